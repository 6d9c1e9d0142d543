"""The Batch as a library user compares and cuts it: ``equals`` / ``==``, slices (``batch[a:b]``,
``batch.slice(offset, length)``) of every column type, what a slice writes and pickles to, empty
and zero-column batches; and ``mapper explain`` saying a definition's warnings."""

from __future__ import annotations

import json
import pickle
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sinks import column, id_schema, schema

import mapper
from mapper.batch import Strings, concat_batches
from mapper.errors import OptionError, OutputError
from mapper.writers import write_arrow, write_ndjson, write_npz, write_parquet
from tests.cli_inproc import run_main

ROOT = Path(__file__).resolve().parent.parent

SINK = schema(
    column("k", "string"),
    column("n", "int"),
    column("s", "string", Mutex=True),
    column("tags", "strings"),
    column("ids", "ids"),
    column("d", "decimal", Scale=2),
    column("ts", "timestamp", Granularity="s"),
    column("b", "bool"),
    primary_key_fields=["k"],
)


def _record(i: int) -> dict[str, Any]:
    rec: dict[str, Any] = {"k": f"r{i}", "n": i * 7, "s": "é" * (i % 4) or None, "tags": ["a", "bé", "c"][: i % 4], "ids": list(range(i, i + i % 3))}
    rec["d"] = f"{i}.{i % 100:02d}"
    rec["ts"] = f"2020-01-01T00:{i % 60:02d}:{i % 60:02d}Z"
    rec["b"] = i % 2 == 0
    if i % 5 == 3:  # some missing and some null cells
        del rec["n"], rec["tags"]
        rec["d"] = None
    return rec


RECORDS = [_record(i) for i in range(12)]
NDJSON = "\n".join(json.dumps(r) for r in RECORDS).encode()


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(json.dumps(SINK))


@pytest.fixture(scope="module")
def batch(m: mapper.Mapper) -> mapper.Batch:
    return m.map(NDJSON)


def _utf8_held(batch: mapper.Batch) -> mapper.Batch:
    """The batch with every string also held as UTF-8 (as a workers batch or a file's holds them)."""
    for held in [batch.id_values, *(c.stored for c in batch.columns.values())]:
        if isinstance(held, Strings):
            assert held.utf8 is not None
    return batch


# --- equals / == -----------------------------------------------------------------------------


def test_ndjson_a_json_array_and_dicts_give_equal_batches(m: mapper.Mapper, batch: mapper.Batch) -> None:
    others = [m.map(json.dumps(RECORDS).encode()), m.map([dict(r) for r in RECORDS]), m.map(NDJSON.decode())]
    for other in others:
        assert other.equals(batch) and batch.equals(other)
        assert other == batch and (other != batch) is False
    assert _utf8_held(m.map(NDJSON)) == m.map(NDJSON)  # held as bytes against held as str
    assert batch.equals(batch) and batch == pickle.loads(pickle.dumps(batch))
    assert batch == mapper.compile_sink(json.dumps(SINK)).map(NDJSON)  # another sink object of the same definition


def test_a_null_and_a_missing_value_make_unequal_batches(m: mapper.Mapper) -> None:
    null, missing = m.map([{"k": "a", "n": None}]), m.map([{"k": "a"}])
    assert not null["n"].valid[0] and not missing["n"].valid[0]  # (no value either way: only presence differs)
    assert null != missing and not null.equals(missing)
    assert null == m.map([{"k": "a", "n": None}])


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r[3].update(k="other"),  # an _id
        lambda r: r[4].update(n=5),  # a value
        lambda r: r[4].update(s="x"),  # a string
        lambda r: r[2].update(tags=["a", "b"]),  # a set's element
        lambda r: r[2].update(tags=["a"], ids=[2, 3]),  # a set's length
        lambda r: r[6].update(d="6.07"),  # a decimal
        lambda r: r[6].update(ts="2020-01-01T00:06:07Z"),  # a timestamp
        lambda r: r[6].update(b=False),  # a bool
    ],
)
def test_a_batch_differing_in_one_cell_is_not_equal(m: mapper.Mapper, batch: mapper.Batch, change: Any) -> None:
    records = [dict(r) for r in RECORDS]
    change(records)
    other = m.map(records)
    assert other != batch and not batch.equals(other) and not _utf8_held(m.map(records)).equals(_utf8_held(m.map(NDJSON)))


def test_equals_compares_the_sink_and_record_index_not_the_report(m: mapper.Mapper, batch: mapper.Batch) -> None:
    other_sink = json.loads(json.dumps(SINK))
    other_sink["definition"][1]["type"] = "decimal"  # the same numbers, meaning something else
    other_sink["definition"][1]["config"] = {"Scale": 0}
    assert m.map([{"k": "a", "n": 3}]) != mapper.compile_sink(json.dumps(other_sink)).map([{"k": "a", "n": 3}])
    # the same rows of other records (a bad one before them): the record_index differs
    skipped = m.map([{"k": "x", "n": "no"}, *RECORDS], on_error="skip")
    assert skipped.to_rows() == batch.to_rows() and skipped != batch
    # the same records with warnings in one only: the reports differ, the batches do not
    warned = m.map([{"k": "a", "s": ""}])
    assert warned.report.warnings and warned == m.map([{"k": "a"}]) and not m.map([{"k": "a"}]).report.warnings


def test_a_batch_is_not_equal_to_other_things_and_has_no_hash(batch: mapper.Batch) -> None:
    assert batch != batch.to_rows() and not batch.equals(batch.to_rows()) and batch != None  # noqa: E711
    with pytest.raises(TypeError, match="unhashable"):
        hash(batch)


def test_equals_of_a_batch_whose_arrays_do_not_fit_names_them(m: mapper.Mapper) -> None:
    broken = m.map(NDJSON)
    broken.columns["n"].valid = broken.columns["n"].valid[:3]
    with pytest.raises(OutputError, match="column 'n' cannot be read: its valid mask"):
        broken.equals(m.map(NDJSON))
    with pytest.raises(OutputError, match="column 'n' cannot be read"):
        broken[5:9].to_rows()  # (a slice of it holds the fault: said when read, as the batch's is)
    broken.columns["n"].valid = None
    with pytest.raises(OutputError, match="column 'n' cannot be read: its valid mask is a NoneType"):
        broken[1:3]  # (arrays that cannot be sliced at all: said as check says it)


# --- slices ----------------------------------------------------------------------------------


BOUNDS = [(0, 12), (0, 1), (2, 5), (3, 4), (5, 12), (11, 12), (4, 4), (0, 0), (12, 12), (7, 3), (-3, None), (None, -2), (-12, -11), (-20, 5), (8, 40)]


@pytest.mark.parametrize("utf8", [False, True])
@pytest.mark.parametrize("start,stop", BOUNDS)
def test_a_slice_is_the_rows_of_the_batch(m: mapper.Mapper, start: int | None, stop: int | None, utf8: bool) -> None:
    batch = m.map(NDJSON)
    if utf8:
        _utf8_held(batch)
    rows = batch.to_rows()
    part = batch[start:stop]
    assert isinstance(part, mapper.Batch)
    part.check()
    assert part.to_rows() == rows[start:stop]
    assert part.record_index.tolist() == list(range(12))[start:stop]
    assert part.ids.tolist() == batch.ids.tolist()[start:stop]
    for name, col in part.columns.items():
        whole = batch[name]
        assert col.valid.tolist() == whole.valid.tolist()[start:stop] and col.present.tolist() == whole.present.tolist()[start:stop], name
        if col.offsets is not None:  # a set's offsets start at 0 again, into its rows' elements only
            assert col.offsets[0] == 0 and col.offsets[-1] == len(col.values), name
    table = part.to_arrow()
    assert table.num_rows == len(rows[start:stop])
    assert table.column("tags").to_pylist() == [r.get("tags") for r in rows[start:stop]]
    assert table.column("ids").to_pylist() == [r.get("ids") for r in rows[start:stop]]
    assert table.column("s").to_pylist() == [r.get("s") for r in rows[start:stop]]
    # made again from its rows' records, it is that batch (but for the record_index)
    again = m.map(RECORDS[start:stop])
    again.record_index = part.record_index.copy()
    assert part == again


def test_slice_takes_an_offset_and_a_length_as_pyarrow_and_polars(batch: mapper.Batch) -> None:
    assert batch.slice(2, 3) == batch[2:5]
    assert batch.slice(2) == batch[2:]
    assert batch.slice() == batch
    assert batch.slice(-3, 2) == batch[9:11]  # (a negative offset from the end, as polars)
    assert batch.slice(10, 5) == batch[10:]
    assert batch.slice(40, 2).count == 0 and batch.slice(3, 0).count == 0
    assert batch.slice(np.int64(1), np.int64(2)) == batch[1:3]
    pa = pytest.importorskip("pyarrow")
    assert batch.slice(2, 3).to_arrow().equals(batch.to_arrow().slice(2, 3))
    assert isinstance(batch.to_arrow(), pa.Table)


@pytest.mark.parametrize(
    "call,words",
    [
        (lambda b: b[::2], "step of 1 only.*not 2"),
        (lambda b: b[::-1], "step of 1 only.*not -1"),
        (lambda b: b["a":"b"], r"the start of a batch's rows \(batch\[start:stop\]\) must be a whole number \(or None\), not 'a'"),
        (lambda b: b[1.5:], r"the start of .* must be a whole number \(or None\), not 1.5"),
        (lambda b: b.slice(1.5), r"offset must be a whole number of rows, not 1.5"),
        (lambda b: b.slice(True), r"offset must be a whole number of rows, not True"),
        (lambda b: b.slice(0, "2"), r"length must be a whole number of rows, at least 0 \(or None: to the end\), not '2'"),
        (lambda b: b.slice(0, -1), r"length must be a whole number of rows, at least 0 \(or None: to the end\), not -1"),
    ],
)
def test_a_slice_that_is_no_run_of_rows_is_an_option_error(batch: mapper.Batch, call: Any, words: str) -> None:
    with pytest.raises(OptionError, match=words):
        call(batch)


def test_a_row_number_still_says_how_rows_are_taken(batch: mapper.Batch) -> None:
    with pytest.raises(KeyError, match=r"batch\[i:i \+ 1\]"):
        batch[0]
    assert batch[::1] == batch and batch[0:1].count == 1
    assert batch["n"] is batch.columns["n"]


def test_decimal_and_timestamp_slices_keep_their_meaning(batch: mapper.Batch) -> None:
    pa = pytest.importorskip("pyarrow")
    part = batch[5:9]
    table = part.to_arrow()
    assert table.schema.field("d").type == pa.decimal128(38, 2) and table.schema.field("d").metadata == batch.to_arrow().schema.field("d").metadata
    assert pa.types.is_timestamp(table.schema.field("ts").type)
    assert table.column("d").to_pylist() == batch.to_arrow().column("d").to_pylist()[5:9]
    assert table.column("ts").to_pylist() == batch.to_arrow().column("ts").to_pylist()[5:9]
    assert [r.get("d") for r in part.to_rows()] == ["5.05", "6.06", "7.07", None]


def test_a_slice_shares_the_batch_arrays_and_keeps_its_report(batch: mapper.Batch) -> None:
    part = batch[2:6]
    assert np.shares_memory(part["n"].values, batch["n"].values)
    assert np.shares_memory(part["ids"].values, batch["ids"].values)
    assert part.report is batch.report


@pytest.mark.parametrize("ext,write", [("npz", write_npz), ("parquet", write_parquet), ("arrow", write_arrow)])
@pytest.mark.parametrize("start,stop", [(3, 9), (11, 12), (4, 4)])
def test_a_file_written_from_a_slice_reads_back_as_the_slice(tmp_path: Path, m: mapper.Mapper, ext: str, write: Any, start: int, stop: int) -> None:
    pytest.importorskip("pyarrow")
    for utf8 in (False, True):
        batch = m.map(NDJSON)
        if utf8:
            _utf8_held(batch)
        part = batch[start:stop]
        path = tmp_path / f"part{utf8}.{ext}"
        write(part, path)
        back = mapper.read_batch(path)
        assert back == part and back.to_rows() == batch.to_rows()[start:stop]
        assert back.record_index.tolist() == list(range(start, stop))


def test_ndjson_written_from_a_slice_holds_its_rows(tmp_path: Path, batch: mapper.Batch) -> None:
    write_ndjson(batch[3:7], tmp_path / "p.ndjson")
    assert [json.loads(line) for line in (tmp_path / "p.ndjson").read_text().splitlines()] == json.loads(json.dumps(batch.to_rows()[3:7]))


def test_slices_join_back_into_the_batch(m: mapper.Mapper) -> None:
    for utf8 in (False, True):
        batch = m.map(NDJSON)
        if utf8:
            _utf8_held(batch)
        parts = [batch[:0], batch[:4], batch[4:4], batch[4:11], batch[11:]]
        assert concat_batches(parts) == batch


def test_a_pickled_slice_is_the_slice_and_holds_only_its_rows(m: mapper.Mapper) -> None:
    many = m.map([_record(i) for i in range(3000)])
    part = many[10:13]
    back = pickle.loads(pickle.dumps(part))
    assert back == part and back.to_rows() == many.to_rows()[10:13]
    assert len(pickle.dumps(part)) * 20 < len(pickle.dumps(many))  # the views' rows, not the buffers under them
    _utf8_held(many)
    part = many[10:13]
    assert len(pickle.dumps(part)) * 20 < len(pickle.dumps(many))
    assert pickle.loads(pickle.dumps(part)) == part


def test_a_slice_of_a_workers_batch_across_its_parts(m: mapper.Mapper) -> None:
    data = "\n".join(json.dumps(_record(i)) for i in range(400)).encode()
    one = m.map(data)
    for bounds in [(0, 3), (390, 400), (5, 395), (0, 400)]:
        workers = m.map(data, workers=2)
        chunks = workers.id_values.chunks  # type: ignore[union-attr]
        if chunks is None:
            pytest.skip("the workers' batch is held in one piece here")
        cut = chunks[0].n
        for a, b in [bounds, (cut - 2, cut + 2), (cut, cut + 1), (cut - 1, cut)]:
            part = m.map(data, workers=2)[a:b]
            assert part.to_rows() == one.to_rows()[a:b], (a, b)
            assert part.to_arrow().equals(one[a:b].to_arrow()), (a, b)
            assert part == one[a:b]
            assert pickle.loads(pickle.dumps(part)) == one[a:b]


# --- empty and zero-column batches ---------------------------------------------------------------


def test_an_empty_slice_is_an_empty_batch(m: mapper.Mapper, batch: mapper.Batch) -> None:
    empty = m.map(b"")
    for part in (batch[3:3], batch[9:2], batch[50:], batch.slice(4, 0)):
        assert part.count == 0 and part.to_rows() == [] and part == empty
        assert part.to_arrow().schema.equals(batch.to_arrow().schema)
        assert pickle.loads(pickle.dumps(part)) == part


def test_zero_row_batches_to_pandas_and_polars_keep_their_columns(m: mapper.Mapper, batch: mapper.Batch) -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    for part in (m.map(b""), batch[5:5]):
        frame = part.to_pandas()
        assert isinstance(frame, pd.DataFrame) and frame.shape == (0, 2 + 2 * len(batch.columns))
        assert list(frame.dtypes) == list(batch.to_pandas().dtypes)
        polars = part.to_polars()
        assert isinstance(polars, pl.DataFrame) and polars.schema == batch.to_polars().schema and polars.height == 0


def test_a_batch_of_no_columns_slices_compares_and_converts() -> None:
    mz = mapper.compile_sink(json.dumps(id_schema()))
    batch = mz.map([{"id": i} for i in range(5)])
    assert batch.columns == {}
    assert batch[1:3].to_rows() == [{"_id": 1}, {"_id": 2}] and batch[1:3].record_index.tolist() == [1, 2]
    assert batch[1:3] == mz.map([{"id": 0}, {"id": 1}, {"id": 2}])[1:]
    assert batch[1:3] != mz.map([{"id": 1}, {"id": 3}])
    assert concat_batches([batch[:0], batch[:2], batch[2:]]) == batch
    assert batch[2:2] == mz.map(b"")
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    assert batch[2:2].to_pandas().shape == (0, 2) and batch[2:2].to_polars().shape == (0, 2)


# --- mapper explain ------------------------------------------------------------------------------


def _run(*args: Any) -> subprocess.CompletedProcess:
    return run_main(*args)  # (python -m mapper ARGS, in this process; no traceback)


def test_explain_says_the_warnings_check_gives(tmp_path: Path) -> None:
    sink = tmp_path / "s.json"
    definition = [
        {"name": "id", "path": ["id"], "type": "id"},
        {"name": "a", "path": ["a"], "type": "int", "bogus\rprint(1)\n": 1},
        {"name": "t", "path": ["t"], "type": "recordTime"},
    ]
    sink.write_text(json.dumps({"id_field": "id", "allow_missing_fields": True, "definition": definition}))
    check = _run("check", sink).stdout.decode()
    warnings = [line.strip() for line in check.splitlines() if line.strip().startswith("warning:")]
    assert len(warnings) == 2, check
    explain = _run("explain", sink)
    assert explain.returncode == 0
    out = explain.stdout.decode()
    compile(out, "explain", "exec")  # still Python: each warning a comment line
    shown = [line[2:] for line in out.splitlines() if line.startswith("# warning: ")]
    assert shown == warnings
    assert "def walk(" in out
    clean = _run("explain", ROOT / "examples" / "aircraft" / "sink.json").stdout.decode()
    assert "# warning" not in clean


def test_equals_reads_strings_held_as_utf8_from_where_their_offsets_start(m: mapper.Mapper) -> None:
    batch, other = _utf8_held(m.map(NDJSON)), _utf8_held(m.map(NDJSON))
    data, offsets = other["s"].utf8  # type: ignore[misc]
    other["s"].stored = Strings.from_utf8(np.concatenate([np.frombuffer(b"XYZ", np.uint8), data]), offsets + 3, other["s"].valid)
    other.check()
    assert other.to_rows() == batch.to_rows()
    assert other == batch and batch == other
    other["s"].stored = Strings.from_utf8(
        np.concatenate([np.frombuffer(b"XYZ", np.uint8), data[:-1], np.frombuffer(b"?", np.uint8)]), offsets + 3, other["s"].valid
    )
    assert other != batch
