"""A differential hunt over the output side: random sinks over every column type, random
records (values, nulls, missing fields, odd text, huge and negative numbers), mapped once,
then the batch in memory against every file written from it (``mapper map -o`` and the
Python writers) read back with ``read_batch``, against ``to_rows`` and the ``.ndjson`` rows.

Each must agree on values, null against missing (presence), ``_record_index``, column
order and types.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator
from unittest import mock

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from mapper import cli, commands, writers
from mapper.checks import COLUMN_NAME_RE
from tests.odd_names import odd_named

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

#: Few examples a run (each draws new ones); HUNT_N=2000 for a long hunt.
HUNT = settings(max_examples=int(os.environ.get("HUNT_N", "8")), suppress_health_check=list(HealthCheck))

# --- sinks over every column type -----------------------------------------------------------

#: (type, config) pairs, each with values of its own kind and some of every other kind.
COLUMN_KINDS: list[tuple[str, dict[str, Any] | None]] = [
    ("id", None),
    ("id", {"Mutex": True}),
    ("ids", None),
    ("string", None),
    ("string", {"Mutex": True}),
    ("strings", None),
    ("bool", None),
    ("int", None),
    ("int", {"Min": -5, "Max": 5}),
    ("decimal", {"Scale": 0}),
    ("decimal", {"Scale": 2}),
    ("decimal", {"Scale": 18}),
    ("timestamp", None),
    ("timestamp", {"Granularity": "ms"}),
    ("timestamp", {"Granularity": "ns"}),
    ("timestamp", {"Unit": "us", "Granularity": "us"}),
    ("timestamp", {"Unit": "s", "Epoch": "2000-01-01T00:00:00Z"}),
    ("recordTime", None),
    ("dateInt", None),
    ("dateInt", {"Unit": "d", "Epoch": "1970-01-01T00:00:00Z"}),
    ("dateInt", {"Unit": "c", "CustomUnit": "36h"}),
    ("signedIntBoolKey", None),
]

odd_text = st.sampled_from(["", " ", "\x00", "a\x00b", "é中", "😀", "\U0010ffff", "\ufeff", "x" * 300, "a,b", "[1,2]", "null"])
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-(2**63), 2**64 - 1),
    st.integers(-10, 10),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e300, -1e300, 2.5e-300]),
)
VALUES: dict[str, Any] = {
    "id": st.one_of(st.integers(0, 2**64 - 1), st.sampled_from(["7", " 0012 "])),
    "ids": st.one_of(st.lists(st.integers(0, 2**64 - 1), max_size=3), st.sampled_from(["1,2", "[3]", []])),
    "string": st.one_of(st.text(max_size=6), odd_text),
    "strings": st.one_of(st.lists(st.one_of(st.text(max_size=4), odd_text), max_size=3), odd_text),
    "bool": st.one_of(st.booleans(), st.sampled_from(["t", "false", "1", 0, 2.5])),
    "int": st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from(["007", "-3", "+4"])),
    "decimal": st.one_of(st.sampled_from(["4.35", "-0.01", "9223372036854775807", "-9223372036854775808", "0.000000000000000001"]), numbers),
    "timestamp": st.one_of(
        st.sampled_from(["2022-08-08T17:57:48Z", "1970-01-01T00:00:00.123456789Z", "0001-01-01T00:00:01Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"]),
        st.integers(-(2**40), 2**40),
    ),
    "recordTime": st.sampled_from(["2022-08-08T17:57:48.5Z", "1677-09-21T00:12:43.145224192Z", "2262-04-11T23:47:16.854775807Z", "0001-01-01T00:00:00Z"]),
    "dateInt": st.sampled_from(["2022-08-08", "1970-01-01", "0001-01-01", "9999-12-31", "1969-12-31"]),
    "signedIntBoolKey": st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-3, 3)),
}
any_value = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=4), odd_text, st.lists(st.integers(0, 3), max_size=2))

#: column names: plain ones, and those that are keys of mapper's own fields or not plain keys of an .npz
NAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True),
    st.sampled_from(["_record_index", "a.present", "x.present", "col0", "col1", "é", "a b", "__header__", "b-c", "_x", "present", "a\x00b", "😀"]),
)


@st.composite
def sinks(draw: Any) -> tuple[dict[str, Any], list[tuple[str, str, dict[str, Any] | None]]]:
    kinds = draw(st.lists(st.sampled_from(COLUMN_KINDS), min_size=1, max_size=6))
    names = draw(st.lists(NAMES, min_size=len(kinds), max_size=len(kinds), unique=True).filter(lambda ns: "rid" not in ns))
    cols = []
    for i, ((type_, config), name) in enumerate(zip(kinds, names)):
        entry: dict[str, Any] = {"name": name, "path": [f"f{i}"], "type": type_}
        if config is not None:
            entry["config"] = config
        cols.append(entry)
    by = draw(st.sampled_from(["id_field", "pk_string", "pk_two"]))
    definition = list(cols)
    sink: dict[str, Any] = {"allow_missing_fields": True}
    if by == "id_field":
        definition.insert(draw(st.integers(0, len(definition))), {"name": "rid", "path": ["rid"], "type": "id"})
        sink["id_field"] = "rid"
    elif by == "pk_string":
        definition.insert(0, {"name": "rid", "path": ["rid"], "type": "string"})
        sink["primary_key_fields"] = ["rid"]
    else:
        definition.insert(0, {"name": "rid", "path": ["rid"], "type": "string"})
        keys = [c["name"] for c in cols if c["type"] not in ("ids", "strings")]
        sink["primary_key_fields"] = ["rid", *keys[:1]]
    sink["definition"] = definition
    return sink, [(c["name"], c["type"], c.get("config")) for c in cols]


@st.composite
def records(draw: Any, cols: list[tuple[str, str, Any]], by_id: bool) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.one_of(st.just(0), st.integers(1, 10)))):
        rec: dict[str, Any] = {}
        if draw(st.integers(0, 9)):
            rec["rid"] = draw(st.integers(0, 2**64 - 1) if by_id else st.one_of(st.text(min_size=1, max_size=4), odd_text))
        for i, (_, type_, _) in enumerate(cols):
            shape = draw(st.integers(0, 19))
            if shape < 2:
                continue  # missing
            if shape == 2:
                rec[f"f{i}"] = None
            elif shape == 3:
                rec[f"f{i}"] = draw(any_value)
            else:
                rec[f"f{i}"] = draw(VALUES[type_])
        out.append(rec)
    return out


@st.composite
def cases(draw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sink, cols = draw(sinks())
    recs = draw(records(cols, "id_field" in sink))
    return sink, recs


def _ndjson(recs: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in recs)


# --- what must agree --------------------------------------------------------------------------


def _cells(batch: mapper.Batch) -> list[tuple[str, str, list[Any], list[bool], list[bool], Any]]:
    """Each column: name, type, values where valid (as canonical rows show them), masks, offsets."""
    out = []
    for name, col in batch.columns.items():
        shown = col.canonical()
        values = [v if ok else None for v, ok in zip(shown, col.valid.tolist())]
        out.append((name, col.ctype.type, values, col.valid.tolist(), col.present.tolist(), None if col.offsets is None else col.offsets.tolist()))
    return out


def _same_batch(got: mapper.Batch, want: mapper.Batch, where: str) -> None:
    assert got.sink.to_body() == want.sink.to_body(), where
    assert list(got.columns) == list(want.columns), where
    assert got.ids.tolist() == want.ids.tolist(), where
    assert got.ids.dtype == want.ids.dtype, where
    assert got.record_index.tolist() == want.record_index.tolist(), where
    assert got.record_index.dtype == np.int64, where
    for (gname, gtype, *grest), (wname, wtype, *wrest) in zip(_cells(got), _cells(want)):
        assert (gname, gtype) == (wname, wtype), where
        assert grest == wrest, f"{where}: column {gname!r}"
    for name in want.columns:
        g, w = got[name], want[name]
        if not hasattr(w.stored, "utf8"):
            assert np.asarray(g.stored).dtype == np.asarray(w.stored).dtype, f"{where}: column {name!r}"
            assert np.array_equal(
                np.asarray(g.stored)[g.valid if g.offsets is None else slice(None)], np.asarray(w.stored)[w.valid if w.offsets is None else slice(None)]
            ), f"{where}: column {name!r}"
    assert got.to_rows() == want.to_rows(), where


def _ndjson_rows(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def _json_rows(batch: mapper.Batch) -> list[Any]:
    return [json.loads(orjson.dumps(r)) for r in batch.to_rows()]


@HUNT
@given(cases())
def test_every_format_reads_back_as_the_batch_in_memory(tmp_path_factory: Any, case: Any) -> None:
    sink, recs = case
    tmp = tmp_path_factory.mktemp("hw")
    batch = mapper.compile_sink(odd_named(sink)).map(_ndjson(recs), on_error="skip")
    for ext in ("npz", "arrow", "parquet"):
        out = tmp / f"api.{ext}"
        getattr(writers, f"write_{ext}")(batch, str(out))
        _same_batch(mapper.read_batch(out), batch, ext)
    out = tmp / "api.ndjson"
    writers.write_ndjson(batch, str(out))
    assert _ndjson_rows(out) == _json_rows(batch)
    # a table saved by pyarrow itself (another tool) reads back the same
    foreign = tmp / "foreign.parquet"
    pq.write_table(batch.to_arrow(), foreign)
    _same_batch(mapper.read_batch(foreign), batch, "pyarrow.parquet.write_table")
    # and a file read back writes the same file again
    again = mapper.read_batch(tmp / "api.npz")
    writers.write_npz(again, str(tmp / "again.npz"))
    assert _npz_arrays(tmp / "again.npz") == _npz_arrays(tmp / "api.npz")
    # the Arrow conversions agree with the batch
    table = batch.to_arrow()
    assert table.column_names[:2] == ["_id", json.loads(table.schema.metadata[b"mapper.fields"])["record_index"]]
    assert table.column("_id").to_pylist() == batch.ids.tolist()


def _plain_names(sink: dict[str, Any]) -> dict[str, Any]:
    """``sink`` with each column name FeatureBase's rule refuses (``a.present``, ``é``) made one it takes."""
    renamed = {e["name"]: e["name"] if COLUMN_NAME_RE.fullmatch(e["name"]) else f"n{i}" for i, e in enumerate(sink["definition"])}
    out = {**sink, "definition": [{**e, "name": renamed[e["name"]]} for e in sink["definition"]]}
    if "primary_key_fields" in out:
        out["primary_key_fields"] = [renamed[n] for n in out["primary_key_fields"]]
    return out


def _npz_arrays(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as z:
        return {k: (z[k].dtype.str, z[k].tolist()) for k in z.files}


@HUNT
@given(cases())
def test_the_command_line_writes_what_the_python_writers_write(tmp_path_factory: Any, case: Any) -> None:
    sink, recs = case
    sink = _plain_names(sink)  # (a definition's names FeatureBase refuses, check refuses: the odd ones stay the other tests')
    tmp = tmp_path_factory.mktemp("hc")
    (tmp / "sink.json").write_text(json.dumps(sink))
    (tmp / "r.ndjson").write_bytes(_ndjson(recs))
    batch = mapper.compile_sink(sink).map(_ndjson(recs), on_error="skip")
    for ext in ("npz", "arrow", "parquet", "ndjson"):
        out = tmp / f"cli.{ext}"
        with mock.patch.object(commands, "DRAIN_RECORDS", 3):  # several parts, some of refused records only
            code = cli.main(["map", str(tmp / "sink.json"), str(tmp / "r.ndjson"), "-o", str(out), "-q", "--on-error", "skip"])
        assert code == (0 if batch.report.error_count == 0 else 1)
        api = tmp / f"api.{ext}"
        getattr(writers, f"write_{ext}")(batch, str(api))
        if ext == "ndjson":
            assert out.read_bytes() == api.read_bytes()
        elif ext == "npz":
            assert _npz_arrays(out) == _npz_arrays(api)
        else:
            _same_batch(mapper.read_batch(out), mapper.read_batch(api), f"cli {ext}")
            assert pa.ipc.open_file(str(out)).schema.equals(pa.ipc.open_file(str(api)).schema, check_metadata=True) if ext == "arrow" else True


def _as_ints(arr: Any) -> Any:
    """An Arrow column's values as Python values, times as their counts of units (a datetime cannot hold one far out)."""
    if pa.types.is_timestamp(arr.type):  # (as ns: polars holds a column of seconds in ms)
        per = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[arr.type.unit]
        return [None if v is None else v * per for v in arr.cast(pa.int64()).to_pylist()]
    return arr.to_pylist()


@HUNT
@given(cases())
def test_arrow_polars_and_pandas_hold_what_the_batch_holds(case: Any) -> None:
    pytest.importorskip("polars")
    pd = pytest.importorskip("pandas")
    sink, recs = case
    batch = mapper.compile_sink(odd_named(sink)).map(_ndjson(recs), on_error="skip")
    table = batch.to_arrow()
    fields = json.loads(table.schema.metadata[b"mapper.fields"])
    names = ["_id", fields["record_index"]]
    for name in batch.columns:
        names += [name, fields["presence"][name]]
    assert table.column_names == names
    assert table.column(fields["record_index"]).to_pylist() == batch.record_index.tolist()
    for name, col in batch.columns.items():
        assert table.column(fields["presence"][name]).to_pylist() == col.present.tolist(), name
        assert [v is not None for v in table.column(name).to_pylist()] == col.valid.tolist(), name
        if col.offsets is None and not hasattr(col.stored, "utf8") and col.ctype.type != "decimal":
            held = table.column(name).combine_chunks()
            held = held.cast(pa.int64()) if pa.types.is_timestamp(held.type) else held
            assert held.to_pylist() == [v if ok else None for v, ok in zip(col.stored.tolist(), col.valid.tolist())], name
    if not any("\x00" in n for n in batch.columns):
        frame = batch.to_polars()
        assert frame.columns == names
        back = frame.to_arrow()
        for name in names:
            assert _as_ints(back.column(name).combine_chunks()) == _as_ints(table.column(name).combine_chunks()), name
    try:
        frame = batch.to_pandas()
    except mapper.MapperError as exc:  # (a time pandas reads as NaT: said, not lost)
        assert "NaT" in str(exc)
        return
    assert list(frame.columns) == names
    for name in names:
        got = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v is pd.NaT else v for v in frame[name].tolist()]
        want = table.column(name).to_pylist()
        if pa.types.is_timestamp(table.column(name).type):
            got = [None if v is None else int(v.asm8.view("i8")) for v in got]  # (in the column's unit, as pandas holds it)
            want = table.column(name).cast(pa.int64()).to_pylist()
        got = [list(v) if isinstance(v, np.ndarray) else v for v in got]
        assert got == want, name


# --- files written by other tools, or damaged ------------------------------------------------


def _decimal_batch() -> mapper.Batch:
    sink = {
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "dec", "path": ["dec"], "type": "decimal", "config": {"Scale": 2}}],
    }
    return mapper.compile_sink(sink).map(b'{"id": 1, "dec": "1.25"}\n{"id": 2, "dec": "-3"}\n')


@pytest.mark.parametrize("scale", [40, 102])
def test_read_batch_names_a_decimal_whose_scale_passes_its_precision(tmp_path: Path, scale: int) -> None:
    # Arrow allows decimal128(38, 40) (another tool's, or a damaged schema's), whose values
    # pyarrow cannot turn into Python decimals: the message shows the row's value all the same
    table = _decimal_batch().to_arrow()
    i = table.column_names.index("dec")
    words = pa.py_buffer(b"".join(v.to_bytes(16, "little", signed=True) for v in (125, -3)))
    odd = pa.Array.from_buffers(pa.decimal128(38, scale), 2, [None, words])
    table = table.set_column(i, table.schema.field(i).with_type(odd.type), odd)
    path = tmp_path / "odd.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    with pytest.raises(mapper.InputError) as info:
        mapper.read_batch(path)
    message = str(info.value)
    assert str(path) in message and "column 'dec'" in message and "row 0" in message and f"1.25E-{scale - 2}" in message


def test_read_batch_of_a_parquet_file_whose_page_data_was_changed_says_so(tmp_path: Path) -> None:
    # a bit flipped in a data page (a disk's, a copy's) read back as another value without a
    # word: mapper writes each page's checksum, and checks it when it reads one back
    sink = {
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int"}],
    }
    marker = 0x0123456789ABCD
    batch = mapper.compile_sink(sink).map(b"".join(b'{"id": %d, "n": %d}\n' % (i, marker + i) for i in range(4)))
    path = tmp_path / "x.parquet"
    writers.write_parquet(batch, str(path))
    data = bytearray(path.read_bytes())
    at = data.find((marker + 2).to_bytes(8, "little"))
    assert at > 0
    data[at] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(mapper.InputError) as info:
        mapper.read_batch(path)
    assert str(path) in str(info.value) and "'n'" in str(info.value) and "row group 1" in str(info.value)


# --- outputs that are one another ---------------------------------------------------------------


def _one_good_one_bad(tmp_path: Path) -> tuple[Path, Path]:
    """A sink of one id column, and two records: the second refused."""
    sink, recs = tmp_path / "sink.json", tmp_path / "r.ndjson"
    sink.write_text(json.dumps({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}))
    recs.write_text('{"id": 1}\n{"id": "bad"}\n')
    return sink, recs


@contextlib.contextmanager
def _descriptor_1_to(path: Path) -> Iterator[None]:
    """Standard output's descriptor open on ``path`` (truncated), as ``> path`` does."""
    saved = os.dup(1)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.close(fd)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def test_map_to_standard_output_refuses_rejects_that_go_there_too(tmp_path: Path) -> None:
    # -o - writes the rows to standard output: --rejects /dev/stdout would mix the rejects into
    # them, and --rejects naming the file standard output is redirected to would replace it
    # (renamed into place), the rows lost; '-' itself is refused, these were taken
    sink, recs = _one_good_one_bad(tmp_path)
    out = tmp_path / "stdout.ndjson"
    with _descriptor_1_to(out):
        codes = [cli.main(["map", str(sink), str(recs), "-o", "-", "--rejects", rejects, "-q"]) for rejects in ("/dev/stdout", "/dev/fd/1", str(out))]
    assert codes == [2, 2, 2]
    assert out.exists() and out.read_bytes() == b""
    # a file of its own, or standard error, is taken
    assert cli.main(["map", str(sink), str(recs), "-o", "-", "--rejects", str(tmp_path / "rej.ndjson"), "-q"]) == 1
    assert json.loads((tmp_path / "rej.ndjson").read_text())["record"] == 1


def test_validate_refuses_rejects_that_would_replace_the_file_its_report_goes_to(tmp_path: Path, capsys: Any) -> None:
    # validate prints its report to standard output: `--rejects f > f` renamed the rejects over
    # f, the report lost; /dev/stdout is written through, before the report, as documented
    sink, recs = _one_good_one_bad(tmp_path)
    out = tmp_path / "report.txt"
    with _descriptor_1_to(out):
        replaced = cli.main(["validate", str(sink), str(recs), "--rejects", str(out), "--report", "json"])
        through = cli.main(["validate", str(sink), str(recs), "--rejects", "/dev/stdout", "--report", "json"])
    assert (replaced, through) == (2, 1)
    said = capsys.readouterr()  # (pytest holds sys.stdout: the report is here, the rejects went to descriptor 1)
    assert "is the file standard output is redirected to" in said.err
    assert json.loads(said.out)["failed_records"] == 1
    assert [json.loads(line)["record"] for line in out.read_text().splitlines()] == [1]


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_read_batch_of_a_directory_or_of_no_file_says_so_in_one_way(tmp_path: Path, ext: str) -> None:
    # a directory named x.parquet (a dataset, as Spark writes one) was "not a whole Parquet file:
    # cut short" to the Parquet reader; each format said a missing file in its own library's words
    (tmp_path / f"d.{ext}").mkdir()
    with pytest.raises(mapper.InputError, match=r"d\.\w+ as a mapper batch: it is a directory, not a file"):
        mapper.read_batch(tmp_path / f"d.{ext}")
    with pytest.raises(mapper.InputError, match=r"none\.\w+ as a mapper batch: no such file$"):
        mapper.read_batch(tmp_path / f"none.{ext}")


def test_an_output_under_a_file_says_the_file_is_no_directory(tmp_path: Path) -> None:
    # (it was "no such directory", of a path that is there)
    (tmp_path / "r.ndjson").write_text("{}\n")
    with pytest.raises(mapper.MapperError, match=r"cannot write .*/r\.ndjson/x\.npz: .*/r\.ndjson is a file, not a directory"):
        writers.check_output(str(tmp_path / "r.ndjson" / "x.npz"))
    with pytest.raises(mapper.MapperError, match=r"no such directory .*/gone$"):
        writers.check_output(str(tmp_path / "gone" / "x.npz"))


@pytest.mark.parametrize("ext", ["parquet", "arrow"])
def test_read_batch_reads_no_number_from_a_time(tmp_path: Path, ext: str) -> None:
    # a time's count depends on its unit, which a file may change: Parquet keeps no seconds, so an
    # int column saved as timestamp[s] came back in ms and read as 1000 times each number
    sink = {
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int"}],
    }
    table = mapper.compile_sink(sink).map(b'{"id": 1, "n": 5}\n{"id": 2, "n": null}\n').to_arrow()
    i = table.column_names.index("n")
    times = table.column(i).cast(pa.timestamp("s"))
    table = table.set_column(i, table.schema.field(i).with_type(times.type), times)
    path = tmp_path / f"x.{ext}"
    if ext == "parquet":
        pq.write_table(table, path)
    else:
        with pa.ipc.new_file(str(path), table.schema) as w:
            w.write_table(table)
    with pytest.raises(
        mapper.InputError, match=r"x\.\w+ as a mapper batch: column 'n' holds timestamp\[m?s\], not the int64 of an int column: .*not from times"
    ):
        mapper.read_batch(path)


class _Unread:
    """Standard input that must not be read."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"standard input was used ({name}) before the outputs were checked")


@pytest.mark.parametrize("flag", ["-o", "--rejects"])
def test_an_output_in_a_missing_directory_fails_before_any_input_is_read(tmp_path: Path, flag: str, capsys: Any) -> None:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}))
    outputs = {"-o": str(tmp_path / "out.npz"), "--rejects": str(tmp_path / "rej.ndjson")}
    outputs[flag] = str(tmp_path / "gone" / Path(outputs[flag]).name)
    with mock.patch("sys.stdin", _Unread()):
        code = cli.main(["map", str(sink), "-", "-o", outputs["-o"], "--rejects", outputs["--rejects"]])
    assert code == 2
    assert f"cannot write {outputs[flag]}: no such directory {tmp_path / 'gone'}" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sink.json"]
