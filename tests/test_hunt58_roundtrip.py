"""Property (hunt 58): records at the edges of every column type of the README's table, mapped
by ``mapper map -o`` into each format and read back with ``read_batch``, are the batch mapped in
memory: the same values, the same presence (value, null and missing kept apart), the same
``_record_index``, the same column types; and ``to_arrow()`` saved as an IPC stream reads back
the same. Edges drawn often: empty batches, all-missing columns, empty strings, text beyond
the BMP, ints at the int64 edges, decimals at their scale's edges, timestamps at the edges of
their unit's range, sets empty and null."""

from __future__ import annotations

import gc
import json
import os
import signal
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sinks import column, id_schema

import mapper
import mapper.owners
import mapper.writers
from mapper import cli, commands
from tests.test_hunt_writers import _json_rows, _ndjson_rows, _same_batch

pa = pytest.importorskip("pyarrow")

EDGES = settings(max_examples=int(os.environ.get("HUNT_N", "10")), suppress_health_check=list(HealthCheck))  # (deadline: the profiles')

I64 = 2**63

#: (type, config, values at its edges): each column's values; null, missing and "" are drawn for every column
KINDS: list[tuple[str, dict[str, Any] | None, list[Any]]] = [
    ("id", None, [0, 2**64 - 1, "18446744073709551615", "18446744073709551614", 2**44, " 7 "]),
    ("id", {"Mutex": True}, [0, "18446744073709551614", "18446744073709551615", 2**53]),
    ("ids", None, [[], [0, 2**64 - 1], "1,2", "[]", [2**44]]),
    ("string", None, ["", "😀", "\U0010ffff", "a\x00b", "é中", "x" * 70000, "\ud800", 12, True]),
    ("string", {"Mutex": True}, ["", "😀𝄞", " ", "\ufeff"]),
    ("strings", None, [[], [""], ["😀", ""], ["a", "a"], "a,,b", "[]", ["\U0010ffff"]]),
    ("bool", None, [True, False, "t", " ", 0]),
    ("int", None, [I64 - 1, -I64, str(I64 - 1), str(-I64), 2**53 + 1, "-0"]),
    ("int", {"Min": -I64, "Max": I64 - 1}, [str(I64 - 1), str(-I64)]),
    ("decimal", {"Scale": 0}, [str(I64 - 1), str(-I64), "0"]),
    ("decimal", {"Scale": 2}, ["92233720368547758.07", "-92233720368547758.08", "0.01", "-0.01"]),
    ("decimal", {"Scale": 18}, ["9.223372036854775807", "-9.223372036854775808", "0.000000000000000001"]),
    ("decimal", {"Scale": 19}, ["0.9223372036854775807", "-0.9223372036854775808", "0.0000000000000000001"]),
    ("timestamp", None, ["0001-01-01T00:00:01Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"]),
    ("timestamp", {"Granularity": "ms"}, ["0001-01-01T00:00:01Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59.999Z"]),
    ("timestamp", {"Granularity": "us"}, ["0001-01-01T00:00:01Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59.999999Z"]),
    ("timestamp", {"Granularity": "ns"}, ["1833-11-24T17:31:44Z", "2106-02-07T06:28:16Z", "1970-01-01T00:00:00.000000001Z"]),
    ("timestamp", {"Unit": "ns", "Granularity": "ns"}, [I64 - 1, -I64, 0, "-1"]),
    ("timestamp", {"Unit": "s", "Epoch": "2000-01-01T00:00:00Z"}, [-(2**35), 2**35, 0]),
    ("recordTime", None, ["1677-09-21T00:12:43.145224192Z", "2262-04-11T23:47:16.854775807Z", "0001-01-01T00:00:00Z"]),
    ("dateInt", None, ["0001-01-01", "9999-12-31", "1969-12-31", "0000-00-00"]),
    ("dateInt", {"Unit": "d", "Epoch": "1970-01-01T00:00:00Z"}, ["0001-01-01", "9999-12-31"]),
    ("dateInt", {"Unit": "c", "CustomUnit": "36h"}, ["0001-01-01", "9999-12-31"]),
    ("signedIntBoolKey", None, [str(I64 - 1), -I64, 0, -1, 2**44]),
]


@st.composite
def cases(draw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    kinds = draw(st.lists(st.sampled_from(range(len(KINDS))), min_size=1, max_size=6))
    by = draw(st.sampled_from(["id_field", "pk_string", "pk_two"]))
    cols = [{"name": f"c{i}", "path": [f"f{i}"], "type": KINDS[k][0], **({"config": KINDS[k][1]} if KINDS[k][1] else {})} for i, k in enumerate(kinds)]
    sink: dict[str, Any] = {"allow_missing_fields": True}
    if by == "id_field":
        sink["id_field"] = "rid"
        definition = [{"name": "rid", "path": ["rid"], "type": "id"}, *cols]
    else:
        definition = [{"name": "rid", "path": ["rid"], "type": "string"}, *cols]
        keys = [c["name"] for c in cols if c["type"] not in ("ids", "strings")]
        sink["primary_key_fields"] = ["rid", *keys[:1]] if by == "pk_two" else ["rid"]
    sink["definition"] = definition
    # columns all missing: no record holds them
    absent = draw(st.sets(st.sampled_from(range(len(kinds)))))
    recs = []
    for _ in range(draw(st.sampled_from([0, 1, 2, 5]))):
        rec: dict[str, Any] = {}
        if draw(st.integers(0, 9)):
            rec["rid"] = draw(st.sampled_from([0, 2**64 - 1, 5]) if by == "id_field" else st.sampled_from(["", "😀", "k", "\U0010ffff"]))
        for i, k in enumerate(kinds):
            if i in absent:
                continue
            shape = draw(st.integers(0, 9))
            if shape == 0:
                continue
            rec[f"f{i}"] = None if shape == 1 else "" if shape == 2 else draw(st.sampled_from(KINDS[k][2]))
        recs.append(rec)
    return sink, recs


@EDGES
@given(case=cases(), parts=st.sampled_from([1, 2, 1000]))
def test_map_o_each_format_reads_back_as_the_batch_mapped(tmp_path_factory: Any, case: Any, parts: int) -> None:
    sink, recs = case
    tmp = tmp_path_factory.mktemp("h58")
    (tmp / "sink.json").write_text(json.dumps(sink))
    text = b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    (tmp / "r.ndjson").write_bytes(text)
    batch = mapper.compile_sink(sink).map(text, on_error="skip")
    for ext in ("npz", "arrow", "parquet", "ndjson"):
        out = tmp / f"out {ext} é😀.{ext}"
        with mock.patch.object(commands, "DRAIN_RECORDS", parts):
            code = cli.main(["map", str(tmp / "sink.json"), str(tmp / "r.ndjson"), "-o", str(out), "-q", "--on-error", "skip"])
        assert code == (0 if batch.report.error_count == 0 else 1), ext
        if ext == "ndjson":
            rows = _ndjson_rows(out)
            assert rows == _json_rows(batch)
            # the presence convention read from the rows themselves: a key where the row writes the
            # column, null where it clears the stored value
            assert len(rows) == len(batch)
            for name, col in batch.columns.items():
                assert [name in row for row in rows] == col.present.tolist(), name
                assert [name in row and row[name] is not None for row in rows] == col.valid.tolist(), name
            continue
        read = mapper.read_batch(out)
        _same_batch(read, batch, ext)
        assert read.equals(batch), ext
        assert (read.report.records, read.report.failed_records) == (batch.report.records, batch.report.failed_records), ext
        for name, col in batch.columns.items():
            got = read[name]
            assert (type(got.ctype), got.ctype.column.config, got.scale, got.unit) == (type(col.ctype), col.ctype.column.config, col.scale, col.unit), (
                f"{ext}: {name}"
            )
    # the Arrow table saved as an IPC stream
    stream = tmp / "stream.arrow"
    table = batch.to_arrow()
    with pa.ipc.new_stream(str(stream), table.schema) as w:
        w.write_table(table)
    read = mapper.read_batch(stream)
    _same_batch(read, batch, "ipc stream")
    assert (read.report.records, read.report.failed_records) == (batch.report.records, batch.report.failed_records)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL") or mapper.owners.owner() is None, reason="no SIGKILL, or temporaries never judged stale here")
@pytest.mark.parametrize("ext", ["parquet", "arrow", "ndjson"])
def test_sigkill_mid_stream_leaves_the_file_there_as_it_was(tmp_path: Path, ext: str) -> None:
    """``map -o`` killed (SIGKILL: no cleanup runs) after its first part was streamed out, over a
    file already there: that file is left byte for byte, nothing else is under its name, and the
    next run removes the killed run's temporary file and writes the whole output."""
    from benchmarks.gen import SINK, generate
    from tests.test_signals import mapper_run

    (tmp_path / "sink.json").write_text(json.dumps(SINK))
    (tmp_path / "r.ndjson").write_bytes(generate(300, "clean"))
    out = tmp_path / f"out.{ext}"
    out.write_bytes(b"the earlier run's output\n")
    kill = (
        "import mapper.writers as w, mapper.commands as c\n"
        "c.DRAIN_RECORDS = 100\n"
        "write = w.BatchWriter.write\n"
        "def once(self, part): write(self, part); os.kill(os.getpid(), signal.SIGKILL)\n"
        "w.BatchWriter.write = once"
    )
    p = mapper_run(tmp_path, kill, "map", tmp_path / "sink.json", tmp_path / "r.ndjson", "-o", out, "-q")
    assert p.returncode == -signal.SIGKILL
    assert out.read_bytes() == b"the earlier run's output\n"
    (left,) = [n for n in os.listdir(tmp_path) if n.startswith(".out")]
    assert left.endswith(".mapper-tmp")
    p = mapper_run(tmp_path, "", "map", tmp_path / "sink.json", tmp_path / "r.ndjson", "-o", out, "-q")
    assert p.returncode == 0 and not [n for n in os.listdir(tmp_path) if n.startswith(".out")]
    if ext == "ndjson":
        assert len(out.read_bytes().splitlines()) == 300
    else:
        assert len(mapper.read_batch(out)) == 300


@pytest.mark.parametrize("kind", ["stream", "file"])
def test_a_batch_read_from_an_arrow_file_holds_its_values_when_the_file_is_written_over(tmp_path: Path, kind: str) -> None:
    """``read_batch`` of an Arrow IPC stream, or file of one record batch (a ``to_arrow()`` table saved
    with pyarrow), memory-mapped the file and handed back arrays that were views of it: the file
    written over in place afterwards (saved again by a tool that opens it truncated, as
    ``pa.ipc.new_file`` does) changed the batch read before (its ``_record_index`` all 0), and
    cut short, crashed the process (SIGBUS) at the next read of the batch."""
    sink = id_schema(column("n", "int"), column("s", "string"))
    batch = mapper.compile_sink(sink).map([{"id": i, "n": i, "s": f"x{i}"} for i in range(5)])
    path = tmp_path / f"{kind}.arrow"
    table = batch.to_arrow()
    with (pa.ipc.new_stream if kind == "stream" else pa.ipc.new_file)(str(path), table.schema) as w:
        w.write_table(table)
    read = mapper.read_batch(path)
    with open(path, "r+b") as fh:  # (in place, the same size: cut short, the old read crashed)
        fh.write(bytes(path.stat().st_size))
    assert read.record_index.tolist() == [0, 1, 2, 3, 4]
    assert read.equals(batch) and read.to_rows() == batch.to_rows()


def test_read_batch_of_a_cut_short_npz_leaves_no_file_open(tmp_path: Path) -> None:
    """An ``.npz`` cut short (its zip directory gone) was opened by ``numpy.load``, which lost the
    file it opened when the zip could not be read: the InputError came, and the file was left
    open for the garbage collector (a ResourceWarning, shown under ``python -X dev``)."""
    sink = id_schema()
    whole = tmp_path / "whole.npz"
    mapper.writers.write_npz(mapper.compile_sink(sink).map(b'{"id": 1}\n'), whole)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(whole.read_bytes()[:100])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(mapper.InputError, match=r"cut\.npz as a mapper batch: it is a zip archive cut short or damaged"):
            mapper.read_batch(cut)
        gc.collect()
        assert len(mapper.read_batch(whole)) == 1
        gc.collect()
    assert [w.message for w in caught if issubclass(w.category, ResourceWarning)] == []


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_read_batch_of_a_file_it_may_not_read_says_so_in_one_way(tmp_path: Path, ext: str) -> None:
    """A file this user may not read was said in each library's words: ``[Errno 13] Failed to open
    local file '...'. Detail: [errno 13] Permission denied`` (pyarrow), the name twice over."""
    sink = id_schema()
    path = tmp_path / f"x.{ext}"
    getattr(mapper.writers, f"write_{ext}")(mapper.compile_sink(sink).map(b'{"id": 1}\n'), path)
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("this user reads any file (the superuser)")
    with pytest.raises(mapper.InputError) as raised:
        mapper.read_batch(path)
    assert str(raised.value) == f"cannot read {path} as a mapper batch: permission denied (this user may not read it)"


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_read_batch_of_a_loop_of_links_says_so_not_no_such_file(tmp_path: Path, ext: str) -> None:
    """Two links naming each other were said to be "no such file" (``os.path.exists`` is False of
    any name the system cannot follow): the file is there, as a link, and the system says why."""
    (tmp_path / f"a.{ext}").symlink_to(f"b.{ext}")
    (tmp_path / f"b.{ext}").symlink_to(f"a.{ext}")
    with pytest.raises(mapper.InputError) as raised:
        mapper.read_batch(tmp_path / f"a.{ext}")
    assert str(raised.value) == f"cannot read {tmp_path / f'a.{ext}'} as a mapper batch: too many levels of symbolic links"
    with pytest.raises(mapper.InputError, match=r"gone\.\w+ as a mapper batch: no such file$"):  # (a link to nothing: as a name of nothing)
        (tmp_path / f"gone.{ext}").symlink_to(f"nothing.{ext}")
        mapper.read_batch(tmp_path / f"gone.{ext}")


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_a_batch_read_back_has_numbers_that_can_be_edited_as_a_mapped_batch_s(tmp_path: Path, ext: str) -> None:
    """A batch read from ``.arrow`` or ``.parquet`` held its numbers (ids, ints, timestamps, set
    elements, ``_record_index``) as read-only views of pyarrow's buffers: an edit, which a mapped
    batch's and an ``.npz``'s take ("numbers are the batch's own array"), raised numpy's
    "assignment destination is read-only"."""
    sink = id_schema(column("n", "int"), column("t", "ids"), column("ts", "timestamp"))
    batch = mapper.compile_sink(sink).map([{"id": i, "n": i, "t": [i], "ts": "2020-01-01T00:00:00Z"} for i in range(3)])
    path = tmp_path / f"x.{ext}"
    getattr(mapper.writers, f"write_{ext}")(batch, path)
    read = mapper.read_batch(path)
    read.ids[0] = 7
    read.record_index[0] = 9
    read["n"].values[0] = -5
    read["t"].values[0] = 8
    read["ts"].values[0] = 0
    assert read.to_rows()[0] == {"_id": 7, "n": -5, "t": [8], "ts": "1970-01-01T00:00:00Z"}
    assert read.record_index.tolist() == [9, 1, 2]


def test_to_polars_keeps_the_nameless_record_time_s_column_name() -> None:
    """A nameless ``recordTime`` (idk's ``RecordTimeField``, a note in ``check``) is the batch's column
    ``''``: polars' ``from_arrow`` named it ``column_2`` and left its presence ``.present``, so the
    frame's names were not ``to_arrow()``'s, nor ``to_pandas()``'s, and the column not found by its name."""
    pytest.importorskip("polars")
    sink = id_schema({"path": ["rt"], "type": "recordTime"}, column("n", "int"))
    batch = mapper.compile_sink(sink).map([{"id": 1, "rt": "2020-01-01T00:00:00Z", "n": 1}, {"id": 2, "n": 2}])
    frame = batch.to_polars()
    assert frame.columns == batch.to_arrow().column_names == ["_id", "_record_index", "", ".present", "n", "n.present"]
    assert frame[""].is_null().to_list() == [False, True] and frame[".present"].to_list() == [True, False]
    assert batch.to_polars(presence=False, record_index=False).columns == ["_id", "", "n"]
