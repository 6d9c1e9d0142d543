"""Bugs a producer embedding the Python API met (hunt 3), each pinned by a test that failed before its fix."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from sinks import column, schema

import mapper
from mapper.writers import write_arrow, write_npz, write_parquet

SINK = schema(column("k", "id"), column("i", "int"), id_field="k")
# every third record is refused (i is not an int)
RECORDS = [{"k": n, "i": "x" if n % 3 == 1 else n} for n in range(12)]

WRITERS: dict[str, Callable[[mapper.Batch, Path], None]] = {".npz": write_npz, ".parquet": write_parquet, ".arrow": write_arrow}


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


@pytest.mark.parametrize("ext", list(WRITERS))
def test_slices_written_to_files_join_back_into_their_batch(m: mapper.Mapper, tmp_path: Path, ext: str) -> None:
    """A batch written in slices (a file per 3 rows, say) and read back joins as the slices did: into
    the batch, its record indices kept (each file said the whole batch's records, and each was
    taken for an input of its own: the second file's rows moved past 12 records, the third's past 24)."""
    pytest.importorskip("pyarrow")
    pytest.importorskip("pyarrow.parquet")
    whole = m.map(RECORDS, on_error="skip")
    parts = [whole[0:3], whole[3:4], whole[4:4], whole[4:]]
    assert mapper.concat(parts).equals(whole)
    back = []
    for k, part in enumerate(parts):
        WRITERS[ext](part, tmp_path / f"part{k}{ext}")
        back.append(mapper.read_batch(tmp_path / f"part{k}{ext}"))
    joined = mapper.concat(back)
    assert joined.record_index.tolist() == whole.record_index.tolist()
    assert joined.equals(whole)
    assert (joined.report.records, joined.report.failed_records) == (12, 4)
    # the same file twice is still two inputs, as the same batch twice is
    twice = mapper.concat([back[0], mapper.read_batch(tmp_path / f"part0{ext}")])
    assert twice.record_index.tolist() == [0, 2, 3, 12, 14, 15]
    # and slices of another batch of the same records are another input
    other = m.map(RECORDS, on_error="skip")
    write_npz(other[3:], tmp_path / "other.npz")
    assert mapper.concat([back[0], mapper.read_batch(tmp_path / "other.npz")]).record_index.tolist() == [0, 2, 3, *(np.array(whole.record_index[3:]) + 12)]


@pytest.mark.parametrize("ext", list(WRITERS))
def test_a_whole_input_written_twice_is_the_same_bytes_and_names_no_input(m: mapper.Mapper, tmp_path: Path, ext: str) -> None:
    """Only a file of part of an input's rows (a slice) says which input it is (a random token):
    a whole batch's file names none, so the same records mapped and written twice are the same
    bytes (the first version of the token wrote one into every file)."""
    pytest.importorskip("pyarrow")
    pytest.importorskip("pyarrow.parquet")
    first, second = tmp_path / f"a{ext}", tmp_path / f"b{ext}"
    WRITERS[ext](m.map(RECORDS, on_error="skip"), first)
    WRITERS[ext](m.map(RECORDS, on_error="skip"), second)
    assert mapper.read_batch(first).report.input_token is None
    if ext != ".parquet":  # (parquet's footer names the writing library's version and nothing of the run: compared below)
        assert first.read_bytes() == second.read_bytes()
    else:
        import pyarrow.parquet as pq

        assert pq.ParquetFile(first).metadata.metadata == pq.ParquetFile(second).metadata.metadata
    whole = m.map(RECORDS, on_error="skip")
    WRITERS[ext](whole[:3], tmp_path / f"s{ext}")
    assert mapper.read_batch(tmp_path / f"s{ext}").report.input_token == whole.report.input_token is not None


def test_a_float_subclass_max_errors_is_its_own_not_an_earlier_calls(m: mapper.Mapper) -> None:
    """numpy's float64 is a float: after max_errors=np.float64(0.0), a call with np.float64(-0.0)
    got the options memoized for 0.0 (-0.0 == 0.0, one key), and its reason said 0%, not -0%."""
    records = [{"k": 1, "i": "x"}, {"k": 2}]
    assert "(0: 0% of 2 records)" in str(m.validate(records, on_error="skip", max_errors=np.float64(0.0)).reject_reason)
    got = m.validate(records, on_error="skip", max_errors=np.float64(-0.0))
    assert got.reject_reason == m.validate(records, on_error="skip", max_errors=-0.0).reject_reason
    assert "(0: -0% of 2 records)" in str(got.reject_reason)


def test_slices_pickled_one_by_one_join_back_into_their_batch(m: mapper.Mapper, tmp_path: Path) -> None:
    """Slices sent to other processes one by one (each pickled alone, as a pool's arguments are)
    join back as the slices do, in memory and written to files there; each was unpickled with a
    report of its own, taken for another input (the second slice's indices moved past 12 records)."""
    import pickle

    whole = m.map(RECORDS, on_error="skip")
    a, b = pickle.loads(pickle.dumps(whole[:3])), pickle.loads(pickle.dumps(whole[3:]))
    assert a.report is not b.report
    assert mapper.concat([a, b]).equals(whole)
    write_npz(a, tmp_path / "a.npz")
    write_npz(b, tmp_path / "b.npz")
    assert mapper.concat([mapper.read_batch(tmp_path / "a.npz"), mapper.read_batch(tmp_path / "b.npz")]).equals(whole)
    # a batch and its copy twice over are still two inputs (its rows again from the start)
    assert len(mapper.concat([whole, pickle.loads(pickle.dumps(whole))]).report.failed_indices()) == 8


@pytest.mark.parametrize(("offset", "length"), [(-100, 2), (-100, 95), (-11, 2), (-11, 1), (-3, 2), (-3, 10), (-3, None), (-10, 0), (12, 1), (2, 3)])
def test_slice_with_a_negative_offset_takes_the_rows_polars_takes(m: mapper.Mapper, offset: int, length: int | None) -> None:
    """Batch.slice counts a negative offset from the end as polars' DataFrame.slice does: the window
    of ``length`` rows from there, cut to the rows there are (slice(-11, 2) of 10 rows is row 0 alone,
    as ``rows[-11:-9]``; the window was moved to row 0 first and took rows 0 and 1)."""
    batch = m.map([{"k": n} for n in range(10)])
    rows = list(range(10))
    start = offset + 10 if offset < 0 else offset
    want = rows[max(start, 0) : None if length is None else max(start + length, 0)]
    assert [r["_id"] for r in batch.slice(offset, length).to_rows()] == want
    pl = pytest.importorskip("polars")
    assert pl.DataFrame({"a": rows}).slice(offset, length)["a"].to_list() == want


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_binary_stream_of_utf16_gets_the_note_a_file_gets(m: mapper.Mapper, tmp_path: Path, encoding: str) -> None:
    """Records in UTF-16 given as a binary file object (or a pipe, as ``mapper validate -`` reads
    standard input) get the note the same text gets as bytes or a file name, as the command line
    gives it for standard input: the stream's report said nothing of why every record failed."""
    import io

    text = "".join(f'{{"k": {n}}}\n' for n in range(3)).encode(encoding)
    (tmp_path / "r.ndjson").write_bytes(text)
    want = m.validate(text).notes
    assert want and encoding.upper() in want[0]
    # (a file's note names it in the command that converts it, an open file's too; a stream without a name says FILE)
    named = [n.replace(" FILE`", f" {shlex.quote(str(tmp_path / 'r.ndjson'))}`") for n in want]
    assert m.validate(tmp_path / "r.ndjson").notes == named
    assert m.validate(io.BytesIO(text)).notes == want
    with open(tmp_path / "r.ndjson", "rb") as fh:
        assert m.validate(fh).notes == named
    with pytest.raises(mapper.BatchRejected) as rejected, open(tmp_path / "r.ndjson", "rb") as fh:
        m.map(fh, on_error="reject")
    assert rejected.value.report.notes == named


def test_a_stream_of_documents_a_line_gets_the_note_its_bytes_get(m: mapper.Mapper) -> None:
    """NDJSON whose lines are each a document holding the records, or an array of records, read
    from a binary stream: the note its bytes get (``use records_path``, ``jq -c '.[]'``)."""
    import io
    import json

    for text in (
        "".join(json.dumps({"items": [{"k": n}, {"k": n + 1}]}) + "\n" for n in range(3)).encode(),
        "".join(json.dumps([{"k": n}, {"k": n + 1}]) + "\n" for n in range(3)).encode(),
    ):
        want = m.validate(text).notes
        assert want
        assert m.validate(io.BytesIO(text)).notes == want


PK_SINK = schema(column("k", "string"), column("s", "string"), column("tags", "strings"), primary_key_fields=["k"])


def _edit(arr: np.ndarray, value: object) -> None:
    try:
        arr[0] = value
    except ValueError as exc:  # refused: the batch's strings are held in two forms an edit would tell apart
        assert "read-only" in str(exc)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_edit_of_a_string_column_never_leaves_its_utf8_form_behind(tmp_path: Path, workers: int) -> None:
    """A string column is held as str objects and as UTF-8 (made for Arrow, kept; the workers' form):
    an edit of ``batch["s"].values`` (or ``batch.ids``, or a set's elements) showed in ``to_rows`` while
    ``to_arrow`` and the files written kept the old text (a redacted column was written unredacted).
    The objects handed out are read-only: an edit is refused, never half made."""
    pytest.importorskip("pyarrow")
    m = mapper.compile_sink(PK_SINK)
    text = b"".join(b'{"k": "key%d", "s": "secret%d", "tags": ["t%d"]}\n' % (n, n, n) for n in range(3000))
    batch = m.map(text, workers=workers)
    batch.to_arrow()  # (the UTF-8 forms made, and kept)
    _edit(batch["s"].values, "<redacted>")
    _edit(batch["tags"].values, "<redacted>")
    _edit(batch.ids, "<redacted>")
    row = batch.to_rows()[0]
    table = batch.to_arrow()
    assert (row["_id"], row["s"], row["tags"]) == (table.column("_id")[0].as_py(), table.column("s")[0].as_py(), table.column("tags")[0].as_py())
    write_parquet(batch, tmp_path / "b.parquet")
    assert mapper.read_batch(tmp_path / "b.parquet").to_rows()[0] == row
    # a column given new objects (a copy edited) is the column's one form
    col = batch["s"]
    edited = col.values.copy()
    edited[0] = "<redacted>"
    col.stored = edited
    assert batch.to_rows()[0]["s"] == batch.to_arrow().column("s")[0].as_py() == "<redacted>"


@pytest.mark.parametrize("workers", [1, 2])
def test_concat_joins_a_string_column_given_as_objects_to_one_held_as_mapped(tmp_path: Path, workers: int) -> None:
    """A batch whose string columns were given new objects (``col.stored = edited``, an object array,
    as a hand-built batch holds them) joins batches mapped as usual, in either order: concat raised
    numpy's ValueError (it joined the first part's form: the array and the mapped Strings did not fit)."""
    m = mapper.compile_sink(PK_SINK)
    edited = m.map([{"k": "a", "s": "x", "tags": ["p", "q"]}, {"k": "b", "s": None}, {"k": "c"}])
    for name in ("s", "tags"):
        col = edited[name]
        objects = col.values.copy()
        objects[0] = objects[0].upper()
        col.stored = objects
    mapped = m.map(b"".join(b'{"k": "k%d", "s": "v%d", "tags": ["t%d"]}\n' % (n, n, n) for n in range(3000)), workers=workers)
    for parts in ([edited, mapped], [mapped, edited]):
        joined = mapper.concat(parts)
        assert joined.to_rows() == [row for p in parts for row in p.to_rows()]
        assert joined.to_arrow().column("tags").to_pylist() == [r.get("tags") for r in joined.to_rows()]


@pytest.mark.parametrize("other", [np.int64(3), np.float64(0.5), np.array([1]), np.array([])])
def test_a_batch_compared_with_a_numpy_value_is_unequal(m: mapper.Mapper, other: object) -> None:
    """``batch == np.int64(3)`` (or a batch looked for in a list holding numpy values) is False, as
    with any other object: numpy took the batch for a sequence and iterating it raised TypeError
    ("Could not convert object to sequence")."""
    batch = m.map([{"k": 1}])
    assert (batch == other) is False and (other == batch) is False and (batch != other) is True
    assert batch not in [other] and batch in [other, batch]
