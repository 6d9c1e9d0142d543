"""Issue 11: what a hostile run found, one regression test per item (the item's number in the name).

Each test failed before its fix. Subprocess tests go through ``run`` (no traceback may
reach stderr); everything is bounded in size and time.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sinks

import mapper
from mapper.engine.reader import OversizedRecord, detect_format, iter_units, measured, stream_lines
from mapper.owners import LOCKED, owner
from tests.cli_inproc import run_main
from tests.odd_names import odd_named

sys.path.insert(0, str(Path(__file__).resolve().parent))
from depths import REFUSED_EVERYWHERE, read_here  # noqa: E402

ROOT = Path(__file__).parents[1]

SINK = sinks.schema(sinks.column("k", "id"), sinks.column("s", "string"), sinks.column("n", "int"), id_field="k")


def good(n: int) -> bytes:
    return b"".join(b'{"k": %d, "s": "v%d", "n": %d}\n' % (i, i, i) for i in range(n))


def run(*args: Any, input: bytes = b"", timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m mapper ARGS``, run in this process (:func:`tests.cli_inproc.run_main`); no traceback."""
    return run_main(*args, input=input, timeout=timeout)


@pytest.fixture()
def sink_file(tmp_path: Path) -> Path:
    p = tmp_path / "sink.json"
    p.write_text(json.dumps(SINK))
    return p


def accounted(report: mapper.Report, rows: int) -> None:
    """Every record ends as a row or a refused record."""
    assert rows + report.failed_records == report.records


# --- 1. a bad first line does not swallow the file -----------------------------------------


@pytest.mark.parametrize("first", [b"[1]", b'{"records": [', b'{"records": [1, 2', b"[", b'[{"k": 1}'])
def test_01_a_bad_first_line_is_one_bad_record_not_the_whole_file(sink_file: Path, tmp_path: Path, first: bytes) -> None:
    src = tmp_path / "f.ndjson"
    src.write_bytes(first + b"\n" + good(1000))
    out, rejects = tmp_path / "o.ndjson", tmp_path / "r.ndjson"
    p = run("map", sink_file, src, "-o", out, "--on-error", "skip", "--rejects", rejects)
    assert p.returncode == 1  # one record refused
    assert len(out.read_bytes().splitlines()) == 1000
    (entry,) = [json.loads(x) for x in rejects.read_bytes().splitlines()]
    assert entry["line"] == 1 and entry["raw"].encode() == first


def test_01_documents_spread_over_lines_are_still_documents() -> None:
    assert detect_format(b'[\n  {"k": 1},\n  {"k": 2}\n]\n') == "json"
    assert detect_format(b'{\n "records": [\n  {"value": {"k": 1}}\n ]\n}\n') == "endpoint"
    assert detect_format(b'[{"k": 1}, {"k": 2}]') == "json"
    assert detect_format(b'{"records": [{"value": {"k": 1}}]}') == "endpoint"
    assert detect_format(b'{"k": 1}\n{"k": 2}\n') == "ndjson"
    assert detect_format(b"[1]\n[2]\n") == "ndjson"  # NDJSON whose lines are arrays: each a bad record


# --- 2. a record with a "records" key is a record --------------------------------------------


def test_02_an_object_is_a_request_body_only_when_its_records_are_the_bodys() -> None:
    m = mapper.compile_sink(SINK)
    r = m.validate(b'{"records": ["a", "b"], "k": 1}')
    assert r.records == 1 and r.verdict == "accepted"
    assert m.map(b'{"records": [{"k": 5}], "k": 1}').ids.tolist() == [1]  # items without value: a record's own key
    # every item holding a value is the endpoint's body, its other keys ignored as the endpoint
    # ignores them (engine.reader.is_body: the rule of the web UI's paste too, which sends it so)
    assert m.map(b'{"records": [{"value": {"k": 5}}], "k": 1}').ids.tolist() == [5]
    assert m.map(b'{"records": [{"value": {"k": 5}}]}').ids.tolist() == [5]
    # forced (or posted to serve): a body, its other keys ignored as Go's decoder ignores them,
    # each record answered (one error for the whole body before: an answer short of records)
    forced = m.map(b'{"records": [{"value": {"k": 5}}, {"value": {"k": 6}}], "k": 1}', input_format="endpoint")
    assert forced.ids.tolist() == [5, 6] and forced.report.verdict == "accepted"


# --- 7. deep nesting in a document ----------------------------------------------------------


def test_07_a_body_nested_a_thousand_deep_is_an_error_not_a_recursion_error() -> None:
    m = mapper.compile_sink(SINK)
    for depth in (1100, REFUSED_EVERYWHERE):  # (1,100: refused before Python 3.12, read from 3.12 on: tests/depths.py)
        deep = b'{"records": [{"value": {"k": 1, "x": ' + b"[" * depth + b"]" * depth + b"}}]}"
        r = m.validate(deep)
        if depth < REFUSED_EVERYWHERE and read_here(depth + 1):
            assert r.records == 1 and r.verdict == "accepted", depth
        else:
            assert r.records == 1 and r.verdict == "refused" and r.errors[0].code == "invalid_json", depth
    deep_array = b"[" * REFUSED_EVERYWHERE + b"]" * REFUSED_EVERYWHERE
    r = m.validate(deep_array)
    assert r.verdict == "refused" and "nested too deeply" in r.errors[0].reason


# --- 12. linear stream reading, a maximum record size ----------------------------------------


class _Lazy(io.RawIOBase):
    """A stream of ``size`` bytes of ``fill`` without a newline, then ``tail``: never held whole."""

    def __init__(self, size: int, fill: bytes, tail: bytes):
        self.left, self.fill, self.tail = size, fill, tail

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.left > 0:
            k = min(self.left, n if n > 0 else 1 << 20)
            self.left -= k
            return self.fill * k
        out, self.tail = self.tail[: n if n > 0 else None], self.tail[n if n > 0 else len(self.tail) :]
        return out


def test_12_a_huge_line_is_read_in_linear_time_and_bounded_memory() -> None:
    m = mapper.compile_sink(SINK)
    tracemalloc.start()
    try:
        report = m.validate(_Lazy(64 * 1024 * 1024, b"\x00", b"\n" + good(3)), on_error="skip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024 * 1024  # the old reader held the whole 64 MB line (and copied it)
    assert report.records == 4 and report.failed_records == 1
    (err,) = report.errors
    assert (err.record, err.line, err.code) == (0, 1, "too_large") and "67,108,864 bytes" in err.reason


@pytest.mark.parametrize("where", ["stream", "bytes", "array"])
def test_12_a_record_over_max_record_size_is_refused_and_the_rest_read(where: str) -> None:
    m = mapper.compile_sink(SINK)
    big = b'{"k": 9, "s": "' + b"x" * 300_000 + b'"}'
    lines = good(2) + big + b"\n" + good(2)
    data: Any
    if where == "array":
        data = b"[" + b",".join(lines.strip().split(b"\n")) + b"]"
    elif where == "stream":
        data = io.BytesIO(lines)
    else:
        data = lines
    r = m.validate(data, on_error="skip", max_record_size=100_000)
    assert r.records == 5 and r.failed_records == 1
    assert r.errors[0].record == 2 and r.errors[0].code == "too_large"
    if where != "array":
        assert r.errors[0].line == 3
    dead = r.rejected[0].raw
    assert dead is not None and big.startswith(dead) and 0 < len(dead) <= len(big)


def test_12_stream_lines_keeps_line_numbers_around_oversized_lines() -> None:
    data = b"a\n" + b"x" * 5000 + b"\nb\n" + b"y" * 5000
    units = list(stream_lines(io.BytesIO(data), 1024, max_record=2048))
    kinds = [type(u).__name__ for u in units]
    assert kinds.count("OversizedRecord") == 2
    text = b"".join(bytes(u.data) for u in units if not isinstance(u, OversizedRecord))
    assert text == b"a\nb\n"
    assert [u.size for u in units if isinstance(u, OversizedRecord)] == [5000, 5000]


# --- 17. only the terminator's carriage return leaves the dead letter ------------------------


def test_17_a_line_ending_cr_cr_lf_keeps_one_cr_in_its_raw_text() -> None:
    m = mapper.compile_sink(SINK)
    for fast in (True, False):
        r = m.validate(b'{"k": 1}\r\n{"k": "x"}\r\r\n{"k": 2}\r\n', on_error="skip", fast=fast)
        assert [rej.raw for rej in r.rejected] == [b'{"k": "x"}\r']
        r = m.validate(b'{"k": 1}\n\n{"k": "x"}\r\r\n', on_error="skip", fast=fast)  # a chunk that is not clean
        assert [rej.raw for rej in r.rejected] == [b'{"k": "x"}\r']


# --- 18. gzip bytes through the API ----------------------------------------------------------


def test_18_gzip_bytes_given_to_the_api_are_gunzipped() -> None:
    m = mapper.compile_sink(SINK)
    batch = m.map(gzip.compress(good(5)))
    assert batch.ids.tolist() == [0, 1, 2, 3, 4]
    assert np.array_equal(batch["n"].values, np.arange(5))


def test_invariant_rows_plus_refused_is_records_on_a_mixed_file(sink_file: Path, tmp_path: Path) -> None:
    data = b"[1]\n" + good(10) + b'{"k": "x"}\n' + b"\xff\n" + b"{" * 3 + b"\n" + good(5)
    m = mapper.compile_sink(SINK)
    batch = m.map(data, on_error="skip")
    accounted(batch.report, batch.count)
    assert os.path.exists(sink_file)


# --- 5. workers keep every error in the dead letters -----------------------------------------

TWO_BAD = sinks.schema(
    sinks.column("k", "id"), sinks.column("a", "int"), sinks.column("s", "string"), sinks.column("b", "int"), sinks.column("t", "bool"), id_field="k"
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork")
def test_05_workers_keep_every_error_of_every_record_in_the_dead_letters(tmp_path: Path) -> None:
    data = b"".join(b'{"k": %d, "a": "x%d", "s": "v", "b": "y", "t": true}\n' % (i, i) for i in range(5000))
    src = tmp_path / "bad.ndjson"
    src.write_bytes(data)
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(TWO_BAD))
    letters = {}
    for w in ("1", "2"):
        rej = tmp_path / f"rej{w}.ndjson"
        p = run("validate", sink, src, "--workers", w, "--rejects", rej, "--report", "json")
        assert p.returncode == 1
        letters[w] = rej.read_bytes()
    assert letters["1"] == letters["2"]
    entries = [json.loads(x) for x in letters["2"].splitlines()]
    assert len(entries) == 5000 and all(len(e["errors"]) == 2 for e in entries)
    m = mapper.compile_sink(TWO_BAD)
    one, two = m.validate(data, on_error="skip"), m.validate(data, on_error="skip", workers=2)
    assert [r.errors for r in one.rejected] == [r.errors for r in two.rejected]
    assert one.to_dict() == two.to_dict()


# --- 6. workers on an empty batch --------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork")
@pytest.mark.parametrize("data", [b"", b"\n", b"[]", "[]", []], ids=["empty", "newline", "array", "str", "list"])
def test_06_workers_on_an_empty_batch(data: Any) -> None:
    m = mapper.compile_sink(TWO_BAD)
    batch = m.map(data, workers=2)
    assert batch.count == 0 and batch.report.records == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork")
def test_06_cli_map_with_workers_on_an_empty_file(tmp_path: Path) -> None:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(TWO_BAD))
    src = tmp_path / "empty.ndjson"
    src.write_bytes(b"\n")
    out = tmp_path / "o.npz"
    p = run("map", sink, src, "-o", out, "--workers", "2")
    assert p.returncode == 0 and out.exists()


# --- 8. a path 1,000 keys deep; 14. compile time linear in columns ------------------------------


def test_08_check_refuses_a_path_deeper_than_the_limit_with_a_pointer(sink_file: Path) -> None:
    deep = sinks.schema(sinks.column("k", "id"), sinks.column("d", "int", path=["a"] * 1000), id_field="k")
    result = mapper.check_sink(deep)
    assert not result.valid
    (p,) = result.errors
    assert (p.pointer, p.code) == ("/definition/1/path", "path-too-deep") and "1,000 keys" in p.message
    as_text = dict(deep, definition=[deep["definition"][0], {"name": "d", "path": ".".join(["a"] * 1000), "type": "int"}])
    assert [e.code for e in mapper.check_sink(as_text).errors] == ["path-too-deep"]
    sink_file.write_text(json.dumps(deep))
    for cmd in (["explain", sink_file], ["validate", sink_file, "-"], ["map", sink_file, "-", "-o", "-"]):
        p = run(*cmd, input=b'{"k": 1}\n')
        assert p.returncode == 2 and "path-too-deep" in p.err + p.stdout.decode() or "1,000 keys" in p.err


def test_08_a_path_at_the_limit_maps(tmp_path: Path) -> None:
    from mapper.checks import MAX_PATH_KEYS

    keys = [f"k{i}" for i in range(MAX_PATH_KEYS)]
    sink = sinks.schema(sinks.column("k", "id"), sinks.column("d", "int", path=keys), id_field="k")
    rec: Any = 7
    for key in reversed(keys):
        rec = {key: rec}
    rec["k"] = 1
    m = mapper.compile_sink(sink)
    for fast in (True, False):
        assert m.map([rec], fast=fast).to_rows() == [{"_id": 1, "d": 7}]
        assert m.map(json.dumps(rec), fast=fast).to_rows() == [{"_id": 1, "d": 7}]


def test_14_generated_code_is_linear_in_columns_and_check_names_the_limit() -> None:
    # Compile time follows the generated source: the old generator's grew with the square of
    # the columns (one line naming them all per column; 8x the columns took ~30x to compile).
    # Measured as the source's size, not as seconds: a timing ratio in a unit test failed on a
    # loaded machine (4000 columns took 21x the CPU of 500 once, in a GC pause)
    from mapper.checks import MAX_COLUMNS
    from mapper.compiler import compile_definition

    def sink(n: int) -> dict[str, Any]:
        cols = [{"name": f"c{i}", "path": ["d", f"g{i // 50}", f"f{i}"], "type": ["int", "string"][i % 2]} for i in range(n)]
        return {"id_field": "k", "allow_missing_fields": True, "definition": [{"name": "k", "path": ["k"], "type": "id"}, *cols]}

    small, big = (compile_definition(mapper.load_sink(sink(n))).source for n in (500, 4000))
    assert len(big) < 8 * len(small) * 1.25, (len(small), len(big))  # 8x the columns: about 8x the text
    assert max(map(len, big.splitlines())) < 2 * max(map(len, small.splitlines()))  # no line grows with the columns
    too_many = mapper.check_sink(sink(MAX_COLUMNS))  # one more than the limit with the id column
    assert [(e.pointer, e.code) for e in too_many.errors] == [("/definition", "too-many-columns")]


def test_14_a_sink_cut_into_generated_parts_maps_as_a_small_one() -> None:
    from mapper.compiler import PART_NODES

    n = PART_NODES * 3
    cols = [{"name": f"c{i}", "path": ["d", f"g{i % 7}", f"f{i}"], "type": "int"} for i in range(n)]
    cols += [{"name": "j", "path": "d.g0.f0 || `5`", "type": "int"}]  # a JMESPath column in the mix
    sink = {"id_field": "k", "allow_missing_fields": True, "definition": [{"name": "k", "path": ["k"], "type": "id"}, *cols]}
    m = mapper.compile_sink(sink)
    assert "_walk1" in m.source
    recs = [{"k": r, "d": {f"g{i % 7}": {f"f{i}": i + r} for i in range(0, n, 3)}} for r in range(3)]
    # several g objects per record: rebuild so every column sits under its group
    for r, rec in enumerate(recs):
        groups: dict[str, dict[str, int]] = {}
        for i in range(0, n, 3):
            groups.setdefault(f"g{i % 7}", {})[f"f{i}"] = i + r
        rec["d"] = groups
    data = b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    assert m.fast_unavailable  # the JMESPath column: the parted walk maps everything
    fast = mapper.compile_sink(dict(sink, definition=sink["definition"][:-1]))
    assert fast.fast_unavailable is None and "_extract_required1" in fast.source
    for batch in (m.map(recs), m.map(data), fast.map(data), fast.map(data + b'{"k": 9, "d": null}\n', fast=True)):
        for i in range(0, n, 3):
            assert batch[f"c{i}"].values.tolist()[:3] == [i, i + 1, i + 2]
        assert not batch["c1"].present[:3].any()
    assert m.map(data)["j"].values.tolist() == [0, 1, 2]
    last = fast.map(data + b'{"k": 9, "d": null}\n')  # the lenient tier's parted extractor
    assert last["c0"].null.tolist() == [False, False, False, True]


# --- 4. an output that is an input, or two outputs that are one file ----------------------------


def test_04_outputs_naming_an_input_or_each_other_are_refused_before_reading(sink_file: Path, tmp_path: Path) -> None:
    src = tmp_path / "bad.ndjson"
    data = good(3) + b'{"k": "x"}\n'
    src.write_bytes(data)
    link = tmp_path / "link.ndjson"
    link.symlink_to(src)
    hard = tmp_path / "hard.ndjson"
    os.link(src, hard)
    for args in (
        ["validate", sink_file, src, "--rejects", src],
        ["validate", sink_file, src, "--rejects", link],
        ["validate", sink_file, src, "--rejects", hard],
        ["map", sink_file, src, "-o", link],
        ["map", sink_file, src, "-o", tmp_path / "x.ndjson", "--rejects", tmp_path / "x.ndjson"],
    ):
        p = run(*args)
        assert p.returncode == 2, args
        assert "also an input" in p.err or "the same file" in p.err
        assert src.read_bytes() == data  # the input is untouched
    assert not (tmp_path / "x.ndjson").exists()


# --- 9. outputs that cannot be written ------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_09_a_read_only_directory_is_a_clean_error(sink_file: Path, tmp_path: Path) -> None:  # pragma: no cover - CI runs as root
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    p = run("map", sink_file, "-", "-o", ro / "o.ndjson", input=good(2))
    assert p.returncode == 2 and "cannot write" in p.err


@pytest.mark.parametrize("target", ["dir", "missing_dir", "dev_full_o", "dev_full_rejects", "dev_full_stdout", "dev_full_report", "dev_full_explain"])
def test_09_output_errors_are_a_message_and_exit_2(sink_file: Path, tmp_path: Path, target: str) -> None:
    bad = good(2) + b'{"k": "x"}\n'
    if target == "dir":
        (tmp_path / "d.npz").mkdir()
        p = run("map", sink_file, "-", "-o", tmp_path / "d.npz", input=bad)
    elif target == "missing_dir":
        p = run("map", sink_file, "-", "-o", tmp_path / "nope" / "o.npz", input=bad)
    elif not os.path.exists("/dev/full"):  # pragma: no cover - Linux has it
        pytest.skip("no /dev/full")
    elif target == "dev_full_o":
        link = tmp_path / "full2.ndjson"
        link.symlink_to("/dev/full")
        p = run("map", sink_file, "-", "-o", link, input=bad)
    elif target == "dev_full_rejects":
        link = tmp_path / "rej.ndjson"
        link.symlink_to("/dev/full")
        p = run("validate", sink_file, "-", "--rejects", link, input=bad)
    else:
        cmd = {
            "dev_full_stdout": ["map", sink_file, "-", "-o", "-"],
            "dev_full_report": ["validate", sink_file, "-", "--report", "json"],
            "dev_full_explain": ["explain", sink_file],
        }[target]
        with open("/dev/full", "wb") as full:
            proc = subprocess.run([sys.executable, "-m", "mapper", *map(str, cmd)], input=bad, stdout=full, stderr=subprocess.PIPE, cwd=ROOT, timeout=60)
        err = proc.stderr.decode()
        assert "Traceback" not in err and proc.returncode == 2 and "cannot write standard output" in err, err
        return
    assert p.returncode == 2, p.err
    assert "cannot write" in p.err or "directory" in p.err


# --- 10. only MapperErrors escape the API -------------------------------------------------------


@pytest.mark.parametrize(
    "value", [np.array([1, 2]), object(), {1, 2}, b"x", np.float64("nan"), float("inf")], ids=["ndarray", "object", "set", "bytes", "nan", "inf"]
)
def test_10_python_values_that_are_not_json_are_record_errors(value: Any) -> None:
    sink = {
        "primary_key_fields": ["k", "n"],
        "allow_missing_fields": True,
        "definition": [
            {"name": "k", "path": ["k"], "type": "id"},
            {"name": "n", "path": ["n"], "type": "int"},
            *(  # (named in lower case: FeatureBase refuses a column named dateInt)
                {"name": t.lower(), "path": [t], "type": t}
                for t in ("string", "strings", "ids", "bool", "decimal", "timestamp", "recordTime", "dateInt", "signedIntBoolKey")
            ),
        ],
    }
    m = mapper.compile_sink(sink)
    for key in ("k", "n", "string", "strings", "ids", "bool", "decimal", "timestamp", "recordTime", "dateInt", "signedIntBoolKey"):
        rec = {"k": 1, "n": 2, key: value}
        report = m.validate([rec])
        assert report.records == 1
        if report.failed_records:
            assert report.errors[0].code in ("invalid_value", "invalid_id", "out_of_range")


# --- 11. atomic writes and what is not a regular file ------------------------------------------


def test_11_a_symlinked_output_writes_its_target_and_stays_a_link(sink_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "data.ndjson"
    target.write_bytes(b"old\n")
    link = tmp_path / "link.ndjson"
    link.symlink_to(target)
    p = run("map", sink_file, "-", "-o", link, input=good(2))
    assert p.returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert len(target.read_bytes().splitlines()) == 2


def test_11_an_existing_output_keeps_its_mode(sink_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.ndjson"
    out.write_bytes(b"old\n")
    out.chmod(0o444)
    p = run("map", sink_file, "-", "-o", out, input=good(2))
    assert p.returncode == 0 and len(out.read_bytes().splitlines()) == 2
    assert (out.stat().st_mode & 0o777) == 0o444


def test_11_a_fifo_or_device_is_written_through_not_replaced(sink_file: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "out.ndjson"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    p = run("map", sink_file, "-", "-o", fifo, input=good(2))
    got = reader.communicate(timeout=30)[0]
    assert p.returncode == 0 and len(got.splitlines()) == 2
    assert fifo.is_fifo()  # still the FIFO, not a regular file renamed over it
    link = tmp_path / "null.ndjson"  # as -o /dev/stdout: a link to a device, written through
    link.symlink_to("/dev/null")
    p = run("map", sink_file, "-", "-o", link, input=good(2))
    assert p.returncode == 0 and not Path("/dev/null").is_file() and link.is_symlink()


def _ended(pid: str) -> str | None:
    """A temporary file's owner (mapper.owners): process ``pid`` of this boot and pid namespace,
    which has ended; None where the system does not say (temporaries are then never judged stale)."""
    me = owner()
    if me is None or me.startswith(LOCKED):  # pragma: no cover - Linux says (elsewhere: judged by a lock, tests/test_outputs_owner.py)
        return None
    boot, ns, _pid, start = me.split(".")
    return f"{boot}.{ns}.{pid}.{start}"


@pytest.mark.skipif(_ended("1") is None, reason="no /proc boot id or pid namespace here: temporaries are judged by their owner's lock")
def test_18_a_killed_runs_temporary_files_are_cleaned_by_the_next(sink_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.ndjson"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".o.ndjson.{_ended(dead)}.deadbeef.mapper-tmp"
    stale.write_bytes(b"half")
    other = tmp_path / f".o.ndjson.{owner()}.cafe.mapper-tmp"  # a live process's: kept
    other.write_bytes(b"live")
    p = run("map", sink_file, "-", "-o", out, input=good(2))
    assert p.returncode == 0
    assert not stale.exists() and other.exists()
    assert sorted(x.name for x in tmp_path.iterdir() if "mapper-tmp" in x.name) == [other.name]


# --- 13. strings in .npz are sized by their bytes -----------------------------------------------


def test_13_npz_strings_are_utf8_bytes_not_fixed_width(sink_file: Path, tmp_path: Path) -> None:
    data = good(2000) + b'{"k": 5000, "s": "' + b"x" * 20_000 + b'"}\n'
    out = tmp_path / "o.npz"
    p = run("map", sink_file, "-", "-o", out, input=data)
    assert p.returncode == 0
    assert out.stat().st_size < 500_000  # fixed-width unicode: 2,001 x 20,000 x 4 bytes = 160 MB
    with np.load(out, allow_pickle=False) as z:
        header = json.loads(str(z["__header__"]))
        key = next(c["key"] for c in header["columns"] if c["name"] == "s")
        offsets = z[f"{key}.utf8_offsets"]
        blob = z[f"{key}.utf8"].tobytes()
        assert blob[offsets[-2] : offsets[-1]] == b"x" * 20_000


# --- 15. validate runs in bounded memory whatever fails -------------------------------------------


def test_15_validate_keeps_nothing_per_failed_record(sink_file: Path) -> None:
    from mapper.engine.core import Engine

    m = mapper.compile_sink(SINK)
    data = b"".join(b'{"k": %d, "n": "bad%d"}\n' % (i, i) for i in range(60_000))
    engine = Engine(m.compiled, mapper.MapOptions(), output=False, keep_rejected=False, keep_failed=False)
    for unit in iter_units(data):
        engine.feed(unit)
    _, report = engine.finish()
    assert report.failed_records == 60_000
    assert len(report.failed) == 0 and len(report.rejected) == 0
    assert len(report.errors) == len(report.failed_index) == 1000  # the first KEEP kept in full


def test_15_warnings_on_big_values_are_kept_in_full_up_to_a_byte_budget(tmp_path: Path) -> None:
    # 1,000 kept comma_split warnings on 70 KB strings held ~760 KB each (the stored
    # parts): `mapper validate` of 219 MB peaked at 984 MB. Past KEEP_BYTES of values
    # the rest are only counted; the same prefix in one process, in chunks, with
    # workers and on the careful path
    from mapper.engine.core import Engine
    from mapper.options import MapOptions
    from mapper.report import KEEP, KEEP_BYTES, keep_warnings, value_weight, warning_weight

    sink = sinks.id_schema(sinks.column("tags", "strings"))
    m = mapper.compile_sink(sink)
    value = ",".join(f"t{i}" for i in range(3000))  # ~17 KB, stored as 3,000 parts
    small = 40  # records with a small value first: weighed little
    data = b"".join(json.dumps({"id": i, "tags": "a,b" if i < small else value}).encode() + b"\n" for i in range(600))
    one = m.validate(data)
    assert one.warning_counts == {("tags", "comma_split"): 600}
    weights = [warning_weight(w) for w in one.warnings]
    assert small < len(one.warnings) < 600 and sum(weights[:-1]) < KEEP_BYTES <= sum(weights), (len(one.warnings), sum(weights))
    assert [w.record for w in one.warnings] == list(range(len(one.warnings)))
    path = tmp_path / "r.ndjson"
    path.write_bytes(data)
    engine = Engine(m.compiled, MapOptions(), output=False)  # in chunks of 50 records: the same prefix
    lines = data.splitlines(keepends=True)
    for i in range(0, len(lines), 50):
        engine.feed_ndjson(b"".join(lines[i : i + 50]))
    dicts = [json.loads(line) for line in lines]
    for other in (m.validate(path, workers=2), m.validate(data, fast=False), engine.finish()[1], m.validate(dicts)):
        assert [(w.record, w.kind, w.sent) for w in other.warnings] == [(w.record, w.kind, w.sent) for w in one.warnings]
        assert other.warning_counts == one.warning_counts
    # ordinary warnings: KEEP comes first
    kept: list = []
    weight = keep_warnings(kept, [mapper.ValueWarning(i, None, "c", None, "float_truncated", 1.5, 1) for i in range(KEEP + 5)], 0)
    assert len(kept) == KEEP and weight == KEEP * 128 < KEEP_BYTES
    assert value_weight({"a": ["xy", 1]}) == 64 * 5 + 1 + 2 and value_weight("x" * 10**6, limit=100) == 64 + 10**6
    # a lazy warning weighs the same worded or not (and is not worded to be weighed)
    from mapper.types import Lossy

    lazy = mapper.ValueWarning.lazy(0, 1, "c", None, "decimal_truncated", lambda v, notes: notes.append(Lossy("decimal_truncated", v, "4.3400", "")), 4.34009)
    before = warning_weight(lazy)
    assert lazy._lazy is not None and lazy.stored == "4.3400" and warning_weight(lazy) == before


def test_15_a_chunks_warnings_are_held_to_the_budget_as_they_come() -> None:
    # the budget was applied when a chunk closed: a unit of 2,048 Python records held
    # every warning (each with its stored parts) until then (found by review). The
    # warnings come column by column (the fast path's order), are cut as they come, and
    # the kept ones are still the prefix in record order
    from mapper.report import KEEP_BYTES, ReportBuilder, ValueWarning, keep_warnings

    big = [f"t{i}" for i in range(3000)]
    made: list[ValueWarning] = []
    rb = ReportBuilder()
    most = 0
    for column in ("a", "b"):  # all of column a's records first, then b's
        for record in range(1500):
            w = ValueWarning(record, record + 1, column, None, "comma_split", ",".join(big[:10]) if record % 7 else "x", big if record % 3 else ["x"])
            made.append(w)
            rb.add_warning(w)
            most = max(most, len(rb.pending_warnings))
    rb.close_records()
    expect: list[ValueWarning] = []
    keep_warnings(expect, sorted(made, key=lambda w: w.record), 0)
    assert rb.report.warnings == expect and len(expect) < 1500
    assert most < 3 * len(expect), (most, len(expect))  # (it held all 3,000)
    assert rb.kept_bytes >= KEEP_BYTES


# --- 18. the rest -------------------------------------------------------------------------------


def test_18_options_after_the_files_and_workers_rules(sink_file: Path, tmp_path: Path) -> None:
    src = tmp_path / "f.ndjson"
    src.write_bytes(good(3))
    p = run("validate", sink_file, "--strict", src)
    assert p.returncode == 0
    p = run("validate", sink_file, src, "--report", "json", "--on-error", "skip")
    assert p.returncode == 0 and json.loads(p.stdout)["records"] == 3
    p = run("validate", sink_file, src, "--workers", "0")
    assert p.returncode == 2 and "workers" in p.err
    p = run("validate", sink_file, "/dev/null", "--workers", "2")  # not a regular file: one process, said so
    assert p.returncode == 0 and "one process" in p.err


def test_18_max_errors_floats_are_shares_ints_are_counts() -> None:
    m = mapper.compile_sink(SINK)
    data = good(2) + b'{"k": "x"}\n{"k": "y"}\n'
    assert m.validate(data, on_error="skip", max_errors=1.0).verdict == "partial"  # 100%: never discards
    assert m.validate(data, on_error="skip", max_errors=1).verdict == "discarded"  # a count: 2 > 1
    assert m.validate(data, on_error="skip", max_errors=0.5).verdict == "partial"  # 2 of 4 is not more than half
    assert m.validate(data, on_error="skip", max_errors=0.49).verdict == "discarded"
    with pytest.raises(mapper.OptionError):
        m.validate(data, on_error="skip", max_errors=1.5)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork")
def test_18_error_and_warning_counts_are_listed_in_one_order_with_workers() -> None:
    m = mapper.compile_sink(TWO_BAD)
    data = b"".join(b'{"k": %d, "a": %s, "s": 5, "b": "y", "t": 1.5}\n' % (i, b'"x"' if i % 3 else b"1") for i in range(3000))
    one, two = m.validate(data, on_error="skip"), m.validate(data, on_error="skip", workers=2)
    assert one.to_dict() == two.to_dict()
    assert [c["column"] for c in one.to_dict()["error_counts"]] == sorted(c["column"] for c in one.to_dict()["error_counts"])


def test_a_file_name_holding_nul_is_a_clear_error_not_a_valueerror():
    # the OS takes no NUL in a path; pathlib/open raise ValueError("embedded null byte")
    with pytest.raises(mapper.DefinitionError) as sink_err:
        mapper.load_sink("sink\x00.json")
    assert "'sink\\x00.json' cannot be a file name: it holds a NUL byte" in str(sink_err.value)
    assert [p.code for p in mapper.check_sink("\x00").problems] == ["unreadable"]
    m = mapper.compile_sink(sinks.id_schema())
    for call in (m.map, m.validate, lambda p: list(m.iter_batches(p))):
        with pytest.raises(mapper.InputError, match="cannot be a file name: it holds a NUL byte"):
            call("records\x00.ndjson")


# --- 19. names that mapper's own output fields use ------------------------------------------------


def test_a_stored_column_named_id_is_refused_and_the_identity_named_id_is_the_identity() -> None:
    # a stored column "_id" would write over each row's identity (to_rows, .ndjson, Arrow)
    entries = [{"name": "k", "path": ["k"], "type": "id"}, {"name": "_id", "path": ["other"], "type": "string"}]
    result = mapper.check_sink({"id_field": "k", "allow_missing_fields": True, "definition": entries})
    assert not result.valid
    assert [(p.pointer, p.code) for p in result.problems] == [("/definition/1/name", "reserved-name")]
    with pytest.raises(mapper.DefinitionError, match="_id is the record's identity"):
        mapper.compile_sink({"id_field": "k", "allow_missing_fields": True, "definition": entries})
    # a key part named _id is stored too: refused the same
    two = [{"name": "_id", "path": ["o"], "type": "int"}, {"name": "x", "path": ["x"], "type": "int"}]
    assert [p.code for p in mapper.check_sink({"primary_key_fields": ["_id", "x"], "allow_missing_fields": True, "definition": two}).problems] == [
        "reserved-name"
    ]
    # the entry that makes the identity may be named _id (later docs map it so): it is the table's _id, not a column
    for identity, kind, expected in (({"id_field": "_id"}, "id", 5), ({"primary_key_fields": ["_id"]}, "int", "5")):
        m = mapper.compile_sink({**identity, "allow_missing_fields": True, "definition": [{"name": "_id", "path": ["o"], "type": kind}, two[1]]})
        batch = m.map(b'{"o": 5, "x": 1}\n')
        assert list(batch.columns) == ["x"] and batch.to_rows() == [{"_id": expected, "x": 1}]


def test_columns_named_like_mappers_own_fields_survive_every_format(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from mapper import writers

    entries = [
        {"name": "k", "path": ["k"], "type": "id"},
        {"name": "_record_index", "path": ["r"], "type": "string"},
        {"name": "a", "path": ["a"], "type": "int"},
        {"name": "a.present", "path": ["ap"], "type": "int"},
    ]
    # (names check refuses, FeatureBase's rule: a Sink built in Python has them, the writers keep them apart)
    m = mapper.compile_sink(odd_named({"id_field": "k", "allow_missing_fields": True, "definition": entries}))
    batch = m.map(b'{"k": 7, "r": "zz", "a": null, "ap": 3}\n{"k": 8, "a": 1}\n')
    table = batch.to_arrow()
    assert len(set(table.column_names)) == len(table.column_names) == 8  # no name twice (readers refuse those)
    fields = json.loads(table.schema.metadata[b"mapper.fields"])
    assert table.column(fields["record_index"]).to_pylist() == [0, 1]
    assert table.column("_record_index").to_pylist() == ["zz", None] and table.column("a.present").to_pylist() == [3, None]
    assert table.column(fields["presence"]["a"]).to_pylist() == [True, True]  # a: null, then 1
    assert table.column(fields["presence"]["a.present"]).to_pylist() == [True, False]
    rows = [{"_id": 7, "_record_index": "zz", "a": None, "a.present": 3}, {"_id": 8, "a": 1}]
    assert batch.to_rows() == rows
    for ext in ("arrow", "parquet", "npz"):
        out = tmp_path / f"x.{ext}"
        getattr(writers, f"write_{ext}")(batch, str(out))
        back = mapper.read_batch(out)
        assert back.to_rows() == rows and back.record_index.tolist() == [0, 1], ext


# --- 20. no output option writes over an input ------------------------------------------------------


def test_rejects_and_bench_json_never_overwrite_the_sink_or_the_records(tmp_path: Path, sink_file: Path) -> None:
    sink = sink_file
    records = tmp_path / "r.ndjson"
    records.write_bytes(good(2) + b'{"k": "x"}\n')
    before = {p: p.read_bytes() for p in (sink, records)}
    for args, flag, target in (
        (("map", sink, records, "-o", tmp_path / "out.npz", "--rejects", sink), "--rejects", sink),
        (("validate", sink, records, "--rejects", sink), "--rejects", sink),
        (("bench", sink, records, "--repeat", "1", "--json", records), "--json", records),
        (("bench", sink, records, "--repeat", "1", "--json", sink), "--json", sink),
    ):
        p = run(*args)
        assert p.returncode == 2, (args, p.stderr)
        # the sink named as such: "also an input" left the user to guess which input
        what = "the SINK file (the sink definition)" if target == sink else "also an input"
        assert f"{flag} {target} is {what}: it would be overwritten" in p.stderr.decode(), (args, p.stderr)
        assert {q: q.read_bytes() for q in before} == before
    assert not (tmp_path / "out.npz").exists()
    # '-' is no dead-letter file (it wrote a file named "-" before): stdout carries the report
    p = run("validate", sink, records, "--rejects", "-")
    assert p.returncode == 2 and "--rejects takes a file name, not '-'" in p.err and not (ROOT / "-").exists()
    p = run("bench", sink, records, "--repeat", "1", "--json", tmp_path / "figures.json")
    assert p.returncode == 0 and json.loads((tmp_path / "figures.json").read_text())["records"] == 3


def test_dev_stdin_as_an_output_is_the_input_when_the_records_come_on_stdin(tmp_path: Path, sink_file: Path) -> None:
    # stdin redirected from the records file: /dev/stdin as an output replaced that file (an empty dead-letter file)
    records = tmp_path / "r.ndjson"
    records.write_bytes(good(2) + b'{"k": "x"}\n')
    before = records.read_bytes()
    for args, flag in (
        (("validate", sink_file, "--rejects", "/dev/stdin"), "--rejects"),
        (("bench", sink_file, "-", "--repeat", "1", "--json", "/dev/stdin"), "--json"),
    ):
        with open(records, "rb") as fh:
            p = subprocess.run([sys.executable, "-m", "mapper", *[str(a) for a in args]], stdin=fh, capture_output=True, cwd=ROOT, timeout=60)
        assert p.returncode == 2 and f"{flag} /dev/stdin is also an input" in p.stderr.decode(), (args, p.stderr)
        assert records.read_bytes() == before
    # a pipe read from is refused too; a file given by name leaves /dev/stdin free
    p = run("validate", sink_file, "-", "--rejects", "/dev/stdin", input=before)
    assert p.returncode == 2 and "is also an input" in p.err
    p = run("validate", sink_file, records, "--rejects", tmp_path / "dead.ndjson", "-q")
    assert p.returncode == 1 and (tmp_path / "dead.ndjson").read_bytes().count(b"\n") == 1


def test_bench_reads_each_input_as_validate_does(tmp_path: Path, sink_file: Path) -> None:
    # gzip on stdin failed (a newline was appended after the gzip stream); several arrays or
    # bodies were joined into one text (1 invalid_json "record", or one record per body)
    import gzip

    records = good(3)
    array = tmp_path / "a.json"
    array.write_bytes(b"[" + b",".join(records.splitlines()) + b"]")
    body = tmp_path / "b.json"
    body.write_bytes(b'{"records": [' + b",".join(b'{"value": ' + line + b"}" for line in records.splitlines()) + b"]}")
    for args, stdin, want in (
        (("-",), gzip.compress(records.rstrip(b"\n")), 3),
        ((array, array), b"", 6),
        ((body, body, array), b"", 9),
    ):
        p = run("bench", sink_file, *args, "--repeat", "2", "--json", "-", input=stdin)
        assert p.returncode == 0, p.err
        figures = json.loads(p.stdout)
        assert figures["records"] == want and figures["mapper"]["records"] == want, (args, figures)
        v = run("validate", sink_file, *args, "-q", input=stdin)
        assert v.returncode == 0 and f"{want} records" in v.stdout.decode(), v.stdout
        # the median of an even count is a run that happened (the lower middle one); runs in run order
        runs = figures["mapper"]["runs"]
        assert len(runs) == 2 and figures["mapper"]["seconds"] == min(runs)
        # the command as typed (found by a bug hunt: python -m mapper recorded mapper/__main__.py's path)
        assert figures["command"] == ["mapper", "bench", str(sink_file), *map(str, args), "--repeat", "2", "--json", "-"]
    # from Python, main(argv) records its argv, not the host program's (pytest's, here)
    from mapper.cli import main

    out = tmp_path / "figures.json"
    array_args = [str(sink_file), str(array), "--repeat", "1", "--json", str(out), "-q"]
    assert main(["bench", *array_args]) == 0
    assert json.loads(out.read_text())["command"] == ["mapper", "bench", *array_args]


# --- 21. text that is not Unicode: unpaired surrogates ------------------------------------------------


def test_a_definition_holding_an_unpaired_surrogate_is_refused_where_it_is(tmp_path: Path) -> None:
    # JSON may escape half a UTF-16 pair; it compiled into msgspec structs and Arrow names before (tracebacks)
    text = '{"allow_missing_fields": true, "id_field": "id", "definition": [{"name": "id", "path": ["id"], "type": "id"}, %s]}'
    cases = [
        ('{"name": "c", "path": ["o", "\\ud800"], "type": "string"}', "/definition/1/path/1"),
        ('{"name": "c\\udc00", "path": ["o"], "type": "string"}', "/definition/1/name"),
        ('{"name": "c", "path": ["o"], "type": "string", "config": {"\\ud800": 1}}', "/definition/1/config"),
        ('{"name": "c", "path": "o.\\"\\\\ud800\\"", "type": "string"}', "/definition/1/path"),  # an escape inside a path string
    ]
    for entry, pointer in cases:
        source = text % entry
        result = mapper.check_sink(source)
        assert not result.valid and pointer in [p.pointer for p in result.errors], (entry, result.problems)
        with pytest.raises(mapper.DefinitionError):
            mapper.compile_sink(source)
        path = tmp_path / "sink.json"
        path.write_text(source)
        for args in (("check", path), ("validate", path, "-"), ("explain", path)):
            p = run(*args, input=b'{"id": 1}\n')
            assert p.returncode == 2 and "surrogate" in p.err + p.stdout.decode(), (args, p.err)
    # a pair escaped as a pair is text
    pair = mapper.compile_sink(text % '{"name": "c", "path": "o.\\"\\\\ud83d\\\\ude00\\"", "type": "string"}')
    assert pair.map(b'{"id": 1, "o": {"\\ud83d\\ude00": "x"}}\n').to_rows() == [{"_id": 1, "c": "x"}]


#: A primary key and text columns: where a Python string's surrogates show.
SURROGATE_SINK = sinks.schema(sinks.column("k", "string"), sinks.column("s", "string"), sinks.column("ss", "strings"), primary_key_fields=["k"])


@pytest.mark.parametrize("fast", [True, False])
def test_a_python_string_holding_an_unpaired_surrogate_maps_as_its_json_text_does(fast: bool, tmp_path: Path) -> None:
    # stored unchanged before: invalid UTF-8 in Arrow and Parquet, a TypeError writing .ndjson
    sink = SURROGATE_SINK
    m = mapper.compile_sink(sink)
    dicts = [{"k": "a", "s": "x\ud800", "ss": ["é", "\udc00"]}, {"k": "b\ud800", "s": "ok"}, {"k": "c", "s": "é", "unmapped": "\ud800"}]
    as_text = b"".join(json.dumps(d).encode() + b"\n" for d in dicts)  # json.dumps escapes each as \udXXX
    from_dicts, from_text = m.map(dicts, fast=fast), m.map(as_text, fast=fast)
    rows = [{"_id": "a", "s": "x\ufffd", "ss": ["é", "\ufffd"]}, {"_id": "b\ufffd", "s": "ok"}, {"_id": "c", "s": "é"}]
    assert from_dicts.to_rows() == from_text.to_rows() == rows
    # each value named where it is, from dicts as from their text (nothing of the one nobody maps); what
    # was sent, the dict's value, the text's escape where it has it
    assert [(w.record, w.column, w.kind, w.sent) for w in from_dicts.report.warnings] == [
        (0, "s", "utf8_replaced", "x\\ud800"),
        (0, "ss", "utf8_replaced", '["\\u00e9", "\\udc00"]'),
        (1, "k", "utf8_replaced", "b\\ud800"),
    ]
    assert [(w.record, w.column, w.path, w.kind, w.sent) for w in from_text.report.warnings] == [
        (0, "s", "$.s", "utf8_replaced", "escape \\ud800 at char 19"),
        (0, "ss", "$.ss", "utf8_replaced", "escape \\udc00 at char 46"),
        (1, "k", "$.k", "utf8_replaced", "escape \\ud800 at char 9"),
    ]
    assert [w.kind for w in m.check(dicts[0])] == ["utf8_replaced", "utf8_replaced"]
    assert all(isinstance(w.sent, str) and w.sent.isascii() for w in from_dicts.report.warnings)  # printable, JSON-encodable
    json.dumps(from_dicts.report.to_dict(), ensure_ascii=False).encode("utf-8")
    from mapper import writers

    writers.write_ndjson(from_dicts, str(tmp_path / "x.ndjson"))
    assert [json.loads(x) for x in (tmp_path / "x.ndjson").read_text().splitlines()] == rows
    if pytest.importorskip("pyarrow"):
        from_dicts.to_arrow().validate(full=True)
        writers.write_parquet(from_dicts, str(tmp_path / "x.parquet"))
        assert mapper.read_batch(tmp_path / "x.parquet").to_rows() == rows


def test_strict_refuses_a_record_whose_text_the_endpoint_would_repair() -> None:
    # --strict left the record-level utf8_replaced (invalid bytes, lone surrogate escapes) a warning
    sink = sinks.schema(sinks.column("k", "string"), sinks.column("s", "string"), primary_key_fields=["k"])
    m = mapper.compile_sink(sink)
    text = b'{"k": "a", "s": "x\xff"}\n{"k": "b", "s": "ok"}\n{"k": "c", "s": "\\ud800"}\n'
    lax, strict = m.map(text, on_error="skip"), m.map(text, on_error="skip", strict=True)
    assert lax.to_rows() == [{"_id": "a", "s": "x\ufffd"}, {"_id": "b", "s": "ok"}, {"_id": "c", "s": "\ufffd"}]
    # (invalid UTF-8 at $, the value that held it unknown; an unpaired escape at the column that maps it)
    assert [(w.record, w.path, w.kind) for w in lax.report.warnings] == [(0, "$", "utf8_replaced"), (2, "$.s", "utf8_replaced")]
    assert strict.to_rows() == [{"_id": "b", "s": "ok"}] and not strict.report.warnings
    assert [(e.record, e.line, e.path, e.code) for e in strict.report.errors] == [(0, 1, "$", "lossy_value"), (2, 3, "$.s", "lossy_value")]
    assert "U+FFFD" in strict.report.errors[0].reason


def test_an_empty_sink_file_is_named_by_its_path() -> None:
    # was "sink file null is empty" for /dev/null (the last part of the path only)
    result = mapper.check_sink("/dev/null")
    assert [(p.code, p.message) for p in result.problems] == [("empty", "sink file /dev/null is empty")]


@pytest.mark.parametrize("fast", [True, False])
def test_a_key_value_nested_too_deep_is_refused_not_a_recursion_error(fast: bool) -> None:
    # the surrogate look at a Python key value must not recurse out of the careful path
    m = mapper.compile_sink(sinks.schema(sinks.column("k", "string"), primary_key_fields=["k"]))
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    report = m.validate([{"k": deep}, {"k": "ok"}], on_error="skip", fast=fast)
    assert (report.verdict, [(e.record, e.code) for e in report.errors]) == ("partial", [(0, "invalid_id")])


@pytest.mark.parametrize("part_nodes", [1, 2, 3])
def test_a_generated_part_of_path_nodes_alone_compiles(part_nodes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # a part whose nodes made no column emitted `return (,)`: a SyntaxError (reachable only
    # with more path nodes in a row than PART_NODES, so tried with a small one)
    import mapper.compiler

    monkeypatch.setattr(mapper.compiler, "PART_NODES", part_nodes)
    sink = sinks.schema(sinks.column("k", "id"), sinks.column("deep", "int", path=["a", "b", "c", "d", "e"]), id_field="k")
    m = mapper.compile_sink(sink)
    data = b'{"k": 1, "a": {"b": {"c": {"d": {"e": 5}}}}}\n{"k": 2, "a": {"b": null}}\n'
    want = [{"_id": 1, "deep": 5}, {"_id": 2, "deep": None}]
    assert m.map(data).to_rows() == m.map(data, fast=False).to_rows() == m.map([json.loads(x) for x in data.splitlines()]).to_rows() == want


def test_a_lone_surrogate_escape_is_one_records_warning_in_every_input_format() -> None:
    # an array or a records_path document was refused whole (msgspec refuses the escape), a
    # request body stored the record with no warning (and --strict took it)
    m = mapper.compile_sink(sinks.id_schema(sinks.column("s", "string")))
    rec, other = rb'{"id": 1, "s": "a\ud800b"}', b'{"id": 2, "s": "\\u00e9"}'
    inputs = {
        "ndjson": (rec + b"\n" + other + b"\n", {}),
        "array": (b"[\n" + rec + b",\n" + other + b"\n]", {}),
        "records_path": (b'{"seen": [' + rec + b'],\n "items": [\n' + rec + b",\n" + other + b"]}", {"records_path": "items"}),
        "body": (b'{"records": [{"value": ' + rec + b'}, {"value": ' + other + b"}]}", {}),
        "body, odd item": (b'{"records": [{"x": 1, "value": ' + rec + b'}, {"value": ' + other + b"}, 5]}", {}),
    }
    # (the char counts from the start of the line the record stands on: a body's record after its `{"value": `)
    chars = {"ndjson": 18, "array": 18, "records_path": 18, "body": 23 + 18, "body, odd item": 31 + 18}
    for label, (data, kw) in inputs.items():
        batch = m.map(data, on_error="skip", **kw)
        assert batch.to_rows()[:2] == [{"_id": 1, "s": "a\ufffdb"}, {"_id": 2, "s": "é"}], label
        assert [(w.record, w.kind, w.sent) for w in batch.report.warnings] == [(0, "utf8_replaced", f"escape \\ud800 at char {chars[label]}")], label
        strict = m.map(data, on_error="skip", strict=True, **kw)
        assert strict.to_rows()[:1] == [{"_id": 2, "s": "é"}] and (0, "lossy_value") in [(e.record, e.code) for e in strict.report.errors], label


def _run_cli(*args: Any) -> subprocess.CompletedProcess[str]:
    p = run_main(*args, timeout=120)  # (in this process, descriptors 0-2 pipes as a subprocess has them)
    return subprocess.CompletedProcess(p.args, p.returncode, p.out, p.err)


def _id_n_files(tmp_path: Path) -> tuple[Path, Path]:
    """A sink of an id and an int column, and two records: the first refused (``"n": "x"``)."""
    sink = tmp_path / "s.json"
    definition = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int"}]
    sink.write_text(json.dumps({"id_field": "id", "allow_missing_fields": True, "definition": definition}))
    records = tmp_path / "r.ndjson"
    records.write_bytes(b'{"id": 1, "n": "x"}\n{"id": 2, "n": 2}\n')
    return sink, records


def test_outputs_and_inputs_found_by_a_bug_hunt_of_the_cli(tmp_path: Path) -> None:
    sink, records = _id_n_files(tmp_path)
    # --rejects /dev/stderr with stderr a pipe: realpath named a /proc link that does not exist
    p = _run_cli("validate", sink, records, "-q", "--rejects", "/dev/stderr")
    assert p.returncode == 1 and '"record":0' in p.stderr
    # an output name a file system takes, but not with the temporary file's additions (NAME_MAX)
    long_name = tmp_path / ("a" * 240 + ".ndjson")
    p = _run_cli("map", sink, records, "--on-error", "skip", "-q", "-o", long_name)
    assert p.returncode == 1 and long_name.read_text().count("\n") == 1, p.stderr
    # a killed run's temporary file goes though this run writes nothing (its batch is discarded)
    dead = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".out.parquet.{_ended(dead)}.0123abcd.mapper-tmp"
    stale.touch()
    p = _run_cli("map", sink, records, "-q", "--on-error", "reject", "-o", tmp_path / "out.parquet")
    assert p.returncode == 1 and stale.exists() is (_ended(dead) is None) and not (tmp_path / "out.parquet").exists()
    # a dangling link: the directory missing is its target's
    (tmp_path / "link.ndjson").symlink_to(tmp_path / "nowhere" / "x.ndjson")
    p = _run_cli("map", sink, records, "--on-error", "skip", "-o", tmp_path / "link.ndjson")
    assert p.returncode == 2 and f"no such directory {tmp_path / 'nowhere'}" in p.stderr
    # --records-path '' was taken as no path
    p = _run_cli("validate", sink, records, "--records-path", "")
    assert p.returncode == 2 and "empty path" in p.stderr
    # bench of a corrupt or cut gzip file: a traceback, or a message blaming stdout
    data = gzip.compress(b'{"id": 1, "n": 1}\n' * 5000)
    for name, damaged in (("cut.gz", data[: len(data) // 2]), ("crc.gz", data[:-5] + bytes([data[-5] ^ 0xFF]) + data[-4:])):
        (tmp_path / name).write_bytes(damaged)
        for command in (("bench", sink, tmp_path / name, "--repeat", "1"), ("send", sink, tmp_path / name, "--dry-run", "-q")):
            p = _run_cli(*command)
            assert p.returncode == 2 and f"cannot read {tmp_path / name}" in p.stderr and "Traceback" not in p.stderr, (command, p.stderr)


@pytest.mark.parametrize("size", [1023, 1024, 1025])
@pytest.mark.parametrize("block", [1024, 1025, 1026, 4096])
def test_12_a_crlf_line_end_is_no_part_of_the_record_size_in_a_stream_either(tmp_path: Path, size: int, block: int) -> None:
    # a stream counted the CR of CRLF against the record size limit (bytes did not):
    # 1,024-byte records with CRLF were too_large from a file, fine from bytes (found by review)
    m = mapper.compile_sink(SINK)
    records = [b'{"k": %d, "n": 1, "pad": "' % i for i in range(6)]
    records = [r + b"x" * (size - len(r) - 2) + b'"}' for r in records]
    assert {len(r) for r in records} == {size}
    data = b"\r\n".join(records) + b"\r\n"
    path = tmp_path / "r.ndjson"
    path.write_bytes(data)
    got = {kind: m.validate(src, max_record_size=1024) for kind, src in (("bytes", data), ("file", path))}
    assert got["bytes"].error_counts == got["file"].error_counts == ({} if size <= 1024 else {(None, "too_large"): 6})
    units = list(measured(stream_lines(io.BytesIO(data), block, max_record=1024), 1024))
    assert sum(isinstance(u, OversizedRecord) for u in units) == (0 if size <= 1024 else 6)


def test_an_output_naming_a_descriptor_redirected_to_a_file_is_written_through_it(tmp_path: Path) -> None:
    # `--rejects /dev/stdout >> log`: the atomic write renamed a new file over the log (its
    # earlier lines and this run's report gone); opening the path would truncate it
    sink, records = _id_n_files(tmp_path)
    log = tmp_path / "log.txt"
    log.write_text("an earlier line\n")
    inode = log.stat().st_ino
    link = tmp_path / "rows.ndjson"
    link.symlink_to("/dev/stdout")  # -o takes its format from the name: a link named .ndjson
    for args in (("validate", sink, records, "--rejects", "/dev/stdout"), ("map", sink, records, "--on-error", "skip", "-o", link)):
        with log.open("a") as out:
            p = subprocess.run([sys.executable, "-m", "mapper", *map(str, args)], stdout=out, stderr=subprocess.STDOUT, timeout=120, cwd=ROOT)
        assert p.returncode == 1
    text = log.read_text()
    assert log.stat().st_ino == inode and text.startswith("an earlier line\n")
    assert '"record":0' in text and "PARTIAL" in text  # the rejects line and the report, both appended
    assert '{"_id":2,"n":2}\n' in text and "1 row written" in text
    assert [p.name for p in tmp_path.iterdir() if "mapper-tmp" in p.name] == []


@pytest.mark.parametrize("fast", [True, False])
def test_a_jmespath_function_that_overflows_refuses_its_record_alone(fast: bool, tmp_path: Path) -> None:
    # (a bug hunt) ceil() of an infinity raised OverflowError out of the whole run (a traceback on the CLI)
    sink = sinks.schema(sinks.column("k", "string"), sinks.column("v", "int", path="ceil(to_number(a))"), primary_key_fields=["k"])
    data = b'{"k": "r0", "a": "2.5"}\n{"k": "r1", "a": "1e400"}\n'
    m = mapper.compile_sink(sink)
    for records in (data, [json.loads(line) for line in data.splitlines()]):
        report = m.validate(records, fast=fast)
        assert [(e.record, e.code, e.reason) for e in report.errors] == [
            (1, "invalid_value", "JMESPath expression failed: OverflowError: cannot convert float infinity to integer")
        ]
        assert m.map(records, fast=fast).to_rows() == [{"_id": "r0", "v": 3}]
    (tmp_path / "s.json").write_text(json.dumps(sink))
    (tmp_path / "r.ndjson").write_bytes(data)
    proc = run("validate", tmp_path / "s.json", tmp_path / "r.ndjson")
    assert proc.returncode == 1 and "OverflowError" in proc.stdout.decode()


def test_bench_counts_the_records_bytes_of_gzip_on_stdin_as_of_a_gzip_file(tmp_path: Path, sink_file: Path) -> None:
    # a .gz file is unpacked as it is read (bytes and MB/s counted of the records' text); gzip on
    # stdin was kept packed: its bytes and MB/s were the compressed ones, its runs timed the unpacking
    import gzip

    records = good(50)
    packed = tmp_path / "r.ndjson.gz"
    packed.write_bytes(gzip.compress(records))
    for args, stdin in (((packed,), b""), (("-",), packed.read_bytes())):
        p = run("bench", sink_file, *args, "--repeat", "1", "--json", "-", input=stdin)
        assert p.returncode == 0, p.err
        figures = json.loads(p.stdout)
        assert (figures["records"], figures["bytes"]) == (50, len(records)), args


def test_bench_with_workers_maps_in_one_process_where_validate_does_and_says_so(tmp_path: Path, sink_file: Path) -> None:
    # a JSON array was mapped in one process while bench said "stages: not measured with --workers
    # (each worker times its own range)" of workers that never ran; a .gz file or stdin, which
    # validate --workers maps in one process, was unpacked and timed with workers
    import gzip

    array = tmp_path / "a.json"
    array.write_bytes(b"[" + b",".join(good(20).splitlines()) + b"]")
    packed = tmp_path / "r.ndjson.gz"
    packed.write_bytes(gzip.compress(good(20)))
    for args, stdin, why in (
        ((array,), b"", "the input is not NDJSON"),
        ((packed,), b"", "the input is gzip-compressed, read from its start only"),
        (("-",), good(20), "standard input is read as it comes"),
    ):
        p = run("bench", sink_file, *args, "--repeat", "1", "--workers", "2", "--json", "-", input=stdin)
        assert p.returncode == 0, p.err
        assert f"--workers 2: {why}" in p.err and "mapping in one process" in p.err, (args, p.err)
        assert f"--workers 2: {why}" in run("validate", sink_file, *args, "--workers", "2", input=stdin).err  # validate's own words
        figures = json.loads(p.stdout)
        assert figures["records"] == 20 and figures["mapper"]["stages"] is not None, args
    p = run("bench", sink_file, array, "--repeat", "1", "--workers", "2", "-q")
    assert p.returncode == 0 and p.err == "" and "not measured" not in p.stdout.decode()


def test_bench_accounts_for_every_record_by_path(tmp_path: Path, sink_file: Path) -> None:
    # a line that is not JSON takes neither path: "fast path: 1 records (1 loose); careful path: 2 records" of 4 records
    records = tmp_path / "r.ndjson"
    records.write_bytes(good(1) + b"[1]\nnot json\n")
    p = run("bench", sink_file, records, "--repeat", "1")
    assert p.returncode == 0, p.err
    line = p.stdout.decode().splitlines()[-1]
    assert line.startswith("  fast path: 1 record (") and line.endswith("; careful path: 1 record; refused before decoding: 1 record"), line
    records.write_bytes(good(1))
    assert run("bench", sink_file, records, "--repeat", "1").stdout.decode().startswith("mapper: 1 record, ")
