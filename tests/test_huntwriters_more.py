"""Output-side hunt (session huntwriters): what the writers and ``read_batch`` got wrong, each
pinned by the case that showed it."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sinks import column, id_schema, schema

import mapper
from mapper import cli
from tests.odd_names import odd_named


def _long_name_sink(name: str) -> dict[str, object]:
    return id_schema(column(name, "int", path=["v"]), column("w", "int"))


@pytest.mark.parametrize("length", [239, 70_000])
def test_a_long_column_name_is_no_npz_member_name(tmp_path: Path, length: int) -> None:
    """A plain name (ASCII letters) was the column's key in an .npz at any length: past 65,535
    bytes a zip member's name cannot be (struct.error, a traceback, after the whole input was
    mapped), and past 255 no file name can (``unzip`` cannot write the member out). Such a name
    is keyed ``col<i>``, as a name that is not plain is; the header names the column. (Past 230
    characters check refuses the name, FeatureBase's rule: a Sink built in Python has it.)"""
    from mapper import writers

    name = "a" * length
    batch = mapper.compile_sink(odd_named(_long_name_sink(name))).map(b'{"id": 1, "v": 2, "w": 3}\n{"id": 2, "v": null}\n')
    out = tmp_path / "out.npz"
    writers.write_npz(batch, out)
    with zipfile.ZipFile(out) as zf:
        members = zf.namelist()
    assert max(len(m.encode()) for m in members) <= 255
    assert "col0.npy" in members and "w.npy" in members
    with np.load(out, allow_pickle=False) as z:
        header = json.loads(str(z["__header__"]))
    assert [(c["name"], c["key"]) for c in header["columns"]] == [(name, "col0"), ("w", "w")]
    batch = mapper.read_batch(out)
    assert batch.to_rows() == [{"_id": 1, name: 2, "w": 3}, {"_id": 2, name: None}]


def test_a_plain_name_of_238_characters_is_its_own_key(tmp_path: Path) -> None:
    """(The longest: with the longest suffix a key takes, ``.utf8_offsets.npy``, 255 bytes.)"""
    name = "b" * 238  # (check refuses it, past 230 characters: a Sink built in Python has it)
    batch = mapper.compile_sink(odd_named(_long_name_sink(name))).map(b'{"id": 1, "v": 2}\n')
    out = tmp_path / "out.npz"
    from mapper import writers

    writers.write_npz(batch, out)
    with zipfile.ZipFile(out) as zf:
        assert f"{name}.npy" in zf.namelist()
    assert mapper.read_batch(out).equals(batch)


_TEXT_SINK = schema(column("k", "string"), column("s", "string"), column("tags", "strings"), primary_key_fields=["k"])


@pytest.mark.parametrize("ext", ["arrow", "parquet"])
def test_a_lone_surrogate_given_by_hand_is_refused_as_one_read_back_from_a_file_is(tmp_path: Path, ext: str) -> None:
    """A string column given new objects by hand (``batch["s"].stored = edited``) went to Arrow
    through ``pyarrow.array``, which refuses a lone surrogate in the codec's words ("surrogates
    not allowed", no row named); then it was written as ``surrogatepass`` writes it, bytes that are
    no UTF-8 in a format of UTF-8 text. Now it is refused naming the column and row, and no file is
    written (an .npz too, since session 61, which wrote it as ``surrogatepass`` does: tests/test_api61.py)."""
    pytest.importorskip("pyarrow")
    from mapper import writers

    batch = mapper.compile_sink(_TEXT_SINK).map(b'{"k": "a", "s": "x", "tags": ["p", "q"]}\n{"k": "b", "s": "y", "tags": ["r"]}\n')
    batch["s"].stored = np.array(["ok", "\ud800x"], dtype=object)
    batch["tags"].stored = np.array(["p", "\udfff", "r"], dtype=object)
    out = tmp_path / f"out.{ext}"
    with pytest.raises(mapper.OutputError, match=r"column 's' holds text that is not UTF-8 in row 1 \(counting from 0\): a UTF-16 surrogate"):
        getattr(writers, f"write_{ext}")(batch, out)
    assert not out.exists()


def test_to_pandas_of_a_lone_surrogate_given_by_hand_names_its_row() -> None:
    pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    batch = mapper.compile_sink(_TEXT_SINK).map(b'{"k": "a", "s": "x"}\n{"k": "b", "s": "y"}\n')
    batch["s"].stored = np.array(["ok", "\ud800"], dtype=object)
    with pytest.raises(mapper.OutputError, match=r"column 's' holds text that is not UTF-8 in row 1 \(counting from 0\)"):
        batch.to_pandas()


def test_read_batch_of_an_npz_looks_its_members_up_in_time_linear_in_their_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each array was looked for in numpy's list of the archive's members (``key in z.files``), a
    scan of the list: four or five members a column, as many lookups a column, so time grew with the square
    of the columns (read_batch of a one-row .npz of a 10,000-column sink took about 20 s, 15 of
    them scanning). Counted here: the members scanned in all, for 400 columns (2,000 members)."""
    from mapper import writers

    columns = 400
    sink = {
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"c{i}", "path": [f"f{i}"], "type": "string"} for i in range(columns)],
    }
    batch = mapper.compile_sink(sink).map(json.dumps({"id": 1, **{f"f{i}": "x" for i in range(columns)}}).encode() + b"\n")
    out = tmp_path / "wide.npz"
    writers.write_npz(batch, out)

    scanned = [0]

    class Members(list):  # type: ignore[type-arg]
        def __contains__(self, key: object) -> bool:
            scanned[0] += len(self)
            return super().__contains__(key)

    load = np.load

    def counting_load(*args: object, **kwargs: object) -> object:
        z = load(*args, **kwargs)  # type: ignore[call-overload]
        z.files = Members(z.files)
        return z

    monkeypatch.setattr(np, "load", counting_load)
    # numpy's own z[key] looked the member up in both its lists before numpy 2.3 (the newest on
    # Python 3.10: 2.2), the same square again: each member is read from the zip instead
    got_items = [0]
    get_item = np.lib.npyio.NpzFile.__getitem__

    def counting_get_item(self: Any, key: str) -> Any:
        got_items[0] += 1
        return get_item(self, key)

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", counting_get_item)
    back = mapper.read_batch(out)
    assert back.equals(batch)
    members = 4 * columns + 3  # (each column's .utf8, .utf8_offsets, .valid, .present; _id, _record_index, __header__)
    assert scanned[0] <= 2 * members
    assert got_items[0] == 0


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_read_batch_reads_a_file_whose_name_is_not_utf8(tmp_path: Path, ext: str) -> None:
    """``mapper map -o`` writes a file whose name holds a byte that is not UTF-8 (its str holds the
    byte's escape, as ``os.fsdecode`` makes it), and ``read_batch`` reads it back by that name (a
    str or bytes): pyarrow, given the str, could not encode it ("surrogates not allowed"), and of
    a Parquet file the message said it was cut short or not Parquet."""
    pytest.importorskip("pyarrow")
    name = os.fsencode(tmp_path) + b"/rows\xff." + ext.encode()
    try:
        open(name, "wb").close()  # noqa: SIM115 - (a file system that takes only UTF-8 names refuses it here)
        os.unlink(name)
    except OSError:
        pytest.skip("this file system takes only UTF-8 file names")
    (tmp_path / "sink.json").write_text(json.dumps(_TEXT_SINK))
    (tmp_path / "r.ndjson").write_text('{"k": "a", "s": "x", "tags": ["p"]}\n{"k": "b", "s": null}\n')
    assert cli.main(["map", str(tmp_path / "sink.json"), str(tmp_path / "r.ndjson"), "-o", os.fsdecode(name), "-q"]) == 0
    want = mapper.compile_sink(_TEXT_SINK).map(tmp_path / "r.ndjson")
    for given in (name, os.fsdecode(name), Path(os.fsdecode(name))):
        assert mapper.read_batch(given).equals(want)


_ID_SINK = id_schema(column("v", "int"))


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet", "pyarrow.parquet"])
def test_a_discarded_batch_read_back_from_its_file_is_still_discarded(tmp_path: Path, ext: str) -> None:
    """``iter_batches`` yields a batch the endpoint would discard (no rows, its report saying
    why); written to a file and read back it said "partial: 2 of 3 records would be stored", and
    its endpoint answer listed every record as stored: the file kept the counts, not that the
    batch was discarded. Joined (``mapper.concat``) with the others, the batches read back gave
    a report other than the batches written gave."""
    pytest.importorskip("pyarrow")
    from mapper import writers

    m = mapper.compile_sink(_ID_SINK)
    data = b'{"id": 1, "v": 1}\n{"id": 2, "v": 2}\n{"id": "x"}\n{"id": 4, "v": 4}\n{"id": 5, "v": 5}\n'
    batches = list(m.iter_batches(data, records=2, on_error="reject"))
    assert [b.report.verdict for b in batches] == ["accepted", "discarded", "accepted"]
    back = []
    for i, batch in enumerate(batches):
        out = tmp_path / f"b{i}.{ext.rsplit('.', 1)[-1]}"
        if ext == "pyarrow.parquet":  # (a table saved by pyarrow itself: its schema metadata says it)
            import pyarrow.parquet as pq

            pq.write_table(batch.to_arrow(), out)
        else:
            getattr(writers, f"write_{ext}")(batch, out)
        back.append(mapper.read_batch(out))
    discarded = back[1].report
    assert discarded.verdict == "discarded"
    assert discarded.reject_reason == "a record failed and on_error is reject"
    assert discarded.summary().startswith("discarded: none of 2 records would be stored: a record failed and on_error is reject")
    answer = discarded.endpoint_answer()
    assert (answer["success_count"], answer["error_count"]) == (0, 2)
    assert all(r["status"] == "error" for r in answer["records"])
    assert [b.report.verdict for b in back] == ["accepted", "discarded", "accepted"]
    joined, want = mapper.concat(back), mapper.concat(batches)
    assert joined.equals(want)
    assert (joined.report.verdict, joined.report.reject_reason) == (want.report.verdict, want.report.reject_reason)
    # and the joined batch written and read back again says it too
    out = tmp_path / "joined.npz"
    writers.write_npz(want, out)
    again = mapper.read_batch(out).report
    assert (again.verdict, again.reject_reason) == ("discarded", want.report.reject_reason)


def test_a_file_saying_its_batch_was_discarded_wrongly_is_refused(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    batch = mapper.compile_sink(_ID_SINK).map(b'{"id": 1, "v": 1}\n')
    table = batch.to_arrow()
    meta = dict(table.schema.metadata)
    meta[b"mapper.records"] = json.dumps({"records": 1, "failed_records": 0, "discarded": 7}).encode()
    out = tmp_path / "edited.arrow"
    with pa.OSFile(str(out), "wb") as fh, pa.ipc.new_file(fh, table.schema.with_metadata(meta)) as w:
        w.write_table(table.replace_schema_metadata(meta))
    with pytest.raises(mapper.InputError, match=r"says why its batch was discarded wrongly"):
        mapper.read_batch(out)


def _statuses(answer: dict[str, object]) -> list[tuple[object, object]]:
    return [(r["status"], r.get("error_code")) for r in answer["records"]]  # type: ignore[attr-defined, index]


@pytest.mark.parametrize("ext", ["npz", "parquet"])
def test_files_of_slices_joined_answer_as_the_batch_they_were_cut_from(tmp_path: Path, ext: str) -> None:
    """A file of a slice keeps its batch's counts, not which records failed (no file holds them
    all); joined back (``mapper.concat``), the slices read back cover every record the batch did
    not refuse, so the refused ones are known again, as ``read_batch`` knows them of a whole
    batch's file: the joined endpoint answer listed every record as stored while it counted one
    refused."""
    pytest.importorskip("pyarrow")
    from mapper import writers

    m = mapper.compile_sink(_ID_SINK)
    other = m.map(b'{"id": 9, "v": 9}\n{"id": "y"}\n')
    batch = m.map(b'{"id": 1, "v": 1}\n{"id": "x"}\n{"id": 3, "v": 3}\n{"id": 4, "v": 4}\n')
    files = []
    for i, part in enumerate([batch[0:1], batch[1:], other]):
        out = tmp_path / f"p{i}.{ext}"
        getattr(writers, f"write_{ext}")(part, out)
        files.append(mapper.read_batch(out))
    joined = mapper.concat(files[:2])
    assert joined.equals(batch)
    assert _statuses(joined.report.endpoint_answer()) == _statuses(batch.report.endpoint_answer())
    assert _statuses(joined.report.endpoint_answer())[1] == ("error", "InvalidBody")
    both = mapper.concat(files)  # (two inputs: the slices' batch, then another)
    assert both.equals(mapper.concat([batch, other]))
    assert _statuses(both.report.endpoint_answer()) == _statuses(mapper.concat([batch, other]).report.endpoint_answer())
    assert files[0].report.failed_records == 1  # (each slice's file alone says the whole batch's counts)


@pytest.mark.parametrize("target", ["pandas", "polars"])
def test_string_ids_given_by_hand_holding_a_lone_surrogate_are_refused_by_pandas_and_polars_naming_the_row(target: str) -> None:
    """String ids edited by hand to hold a lone surrogate: to_pandas said pyarrow's "Unknown error:
    Wrapping ... failed", and to_polars returned a frame holding text that is not UTF-8 (polars
    panics on it later), where a column's is refused naming its row. (``batch.ids = objects``
    holding one is refused when given since session 61: tests/test_api61.py; an edit in place is not.)"""
    pytest.importorskip("pyarrow")
    pytest.importorskip(target)
    batch = mapper.compile_sink(_TEXT_SINK).map(b'{"k": "a", "s": "x"}\n{"k": "b", "s": "y"}\n')
    batch.ids[1] = "\ud800"
    with pytest.raises(mapper.OutputError, match=r"its _id holds text that is not UTF-8 in row 1 \(counting from 0\)"):
        getattr(batch, f"to_{target}")()
