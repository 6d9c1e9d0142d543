"""Tests of the command line (issue 4): every command, option, exit code and output format.

The CLI is run as ``python -m mapper ...`` runs it, from the repository root, through :func:`run`:
in this process (:func:`tests.cli_inproc.run_main`: pipes on descriptors 0-2, as a subprocess
has them), held to the real ``python -m mapper`` by
``test_the_real_command_line_says_what_the_in_process_run_says``; signals, terminals, closed
pipes and the process's own start and exit run real subprocesses. :func:`run` also checks
that no traceback ever reaches stderr or stdout.
Inputs are written byte for byte into a temporary directory, so line endings, BOMs, blank lines
and invalid UTF-8 are exactly what the assertions count on.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sinks

import mapper
from tests.cli_inproc import run_main, run_process

ROOT = Path(__file__).parents[1]
EXAMPLE_SINK = ROOT / "examples" / "aircraft" / "sink.json"
EXAMPLE_RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
JSON_REPORT_KEYS = {"accepted", "records", "success_count", "error_count", "errors", "warnings"}
ERROR_KEYS = {"record", "line", "column", "path", "code", "message"}


def run(*args: Any, input: bytes | None = None, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m mapper ARGS``, run in this process (:func:`tests.cli_inproc.run_main`; with
    ``env``, a subprocess); never a traceback on stderr."""
    return run_main(*args, input=input, cwd=cwd, env=env, timeout=timeout)


def json_out(proc: subprocess.CompletedProcess) -> dict[str, Any]:
    """The single JSON object a ``--report json|endpoint`` run prints (and nothing else)."""
    text = proc.stdout.decode("utf-8")
    obj, end = json.JSONDecoder().raw_decode(text)
    assert text[end:].strip() == "", f"more than one JSON object on stdout: {text!r}"
    assert isinstance(obj, dict)
    return obj


def good(i: int, **over: Any) -> bytes:
    rec = {"id": f"r{i}", "n": i % 1000, "price": "1.5", "ts": 1700000000 + i}
    rec.update(over)
    return json.dumps(rec, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------------------
# Fixture files, written once per session

SINK = sinks.sink(
    sinks.column("id", "string"),
    sinks.column("n", "int", Min=0, Max=1000),
    sinks.column("price", "decimal", Scale=2),
    sinks.column("ts", "timestamp", Unit="s", Granularity="s"),
    name="cli_test",
    primary_key_fields=["id"],
    allow_missing=False,
)

HOSTILE_KEY = "]); __import__('os').system('echo pwned') #"
HOSTILE_KEY2 = "\"\"\"; import os; os.system('echo pwned2') #'''\n"

# The mixed input: invalid JSON at line 3, a non-object at line 5, invalid UTF-8 at line 7.
# Lines 2 and 6 are blank (not records): records are 0:L1 1:L3 2:L4 3:L5 4:L7 5:L8.
MIXED_LINES = [
    b'{"id":"a","n":1,"price":"1.5","ts":1700000000}',  # 1  record 0
    b"",  # 2  blank
    b'{"id":"b","n":2,',  # 3  record 1: invalid JSON (truncated)
    b'{"id":"c","n":3,"price":"2","ts":1700000001}',  # 4  record 2
    b"[1, 2]",  # 5  record 3: not an object
    b"",  # 6  blank
    b'{"id":"e",\xff\xfe"n":4,"price":"3","ts":1700000002}',  # 7  record 4: invalid UTF-8 between the values
    b'{"id":"d","n":5,"price":"4.25","ts":1700000003}',  # 8  record 5
]
MIXED_BAD = {1: (3, "invalid_json"), 3: (5, "not_an_object"), 4: (7, "invalid_json")}  # record -> (line, code)


class Files:
    pass


@pytest.fixture(scope="session")
def f(tmp_path_factory: pytest.TempPathFactory) -> Files:
    d = tmp_path_factory.mktemp("cli")
    fs = Files()
    fs.dir = d

    fs.sink = d / "sink.json"
    fs.sink.write_text(json.dumps(SINK, indent=1))

    fs.good = d / "good.ndjson"
    fs.good.write_bytes(good(0) + b"\n" + good(1, price="2") + b"\n")
    fs.good2 = d / "good2.ndjson"
    fs.good2.write_bytes(good(2) + b"\n" + good(3) + b"\n" + good(4) + b"\n")
    fs.bad2 = d / "bad2.ndjson"  # bad value at line 2 of the second file
    fs.bad2.write_bytes(good(5) + b"\n" + good(6, n="x") + b"\n")

    fs.mixed = d / "mixed.ndjson"
    fs.mixed.write_bytes(b"\n".join(MIXED_LINES) + b"\n")

    # NDJSON with a BOM, CRLF line ends and blank lines (some of them whitespace-only).
    fs.crlf = d / "crlf.ndjson"
    fs.crlf.write_bytes(b"\xef\xbb\xbf" + good(0) + b"\r\n" + b"\r\n" + good(1) + b"\r\n" + b"  \r\n\r\n" + good(2) + b"\r\n" + good(3) + b"\r\n")
    # The same with an error at line 6 (record 2) and one at line 7 (record 3), to check line numbers.
    fs.crlf_bad = d / "crlf_bad.ndjson"
    fs.crlf_bad.write_bytes(
        b"\xef\xbb\xbf" + good(0) + b"\r\n" + b"\r\n" + good(1) + b"\r\n" + b"  \r\n\r\n" + good(2, n=5000) + b"\r\n" + good(3, price="x") + b"\r\n"
    )

    fs.gz = d / "good.ndjson.gz"
    with gzip.open(fs.gz, "wb") as fh:
        fh.write(fs.mixed.read_bytes())

    fs.array = d / "array.json"
    fs.array.write_bytes(b"[\n" + good(0) + b",\n" + good(1) + b",\n 5\n]\n")
    fs.body = d / "body.json"
    fs.body.write_text(json.dumps({"records": [{"value": json.loads(good(0))}, {"value": json.loads(good(1, n=-1))}, {"value": json.loads(good(2))}]}))

    fs.bare = d / "bare.json"
    fs.bare.write_text(
        json.dumps(
            [
                {"name": "a", "path": ["a"], "type": "string"},
                {"name": "b", "path": ["b"], "type": "int"},
                {"name": "c", "path": ["c"], "type": "int"},
            ]
        )
    )
    fs.bare_records = d / "bare.ndjson"
    fs.bare_records.write_bytes(b'{"a": "x", "b": 1, "c": 10}\n{"a": "y", "b": 2}\n')

    hostile = sinks.sink(
        sinks.column("id", "string"),
        sinks.column("v", "int", path=["data", HOSTILE_KEY]),
        sinks.column("w", "string", path=[HOSTILE_KEY2]),
        name="hostile",
        primary_key_fields=["id"],
        allow_missing=False,
    )
    fs.hostile = d / "hostile.json"
    fs.hostile.write_text(json.dumps(hostile))
    fs.hostile_records = d / "hostile.ndjson"
    fs.hostile_records.write_text(json.dumps({"id": "x", "data": {HOSTILE_KEY: 7}, HOSTILE_KEY2: "hi"}) + "\n")

    fs.invalid_sink = d / "invalid_sink.json"
    bad = json.loads(json.dumps(SINK))
    bad["schema"]["definition"][1]["type"] = "integer-ish"
    fs.invalid_sink.write_text(json.dumps(bad))
    fs.broken_sink = d / "broken_sink.json"
    fs.broken_sink.write_text('{"name": ')
    return fs


def api_rows(sink: Path, data: bytes, **kw: Any) -> list[dict[str, Any]]:
    """The canonical rows from the Python API, to compare the CLI's NDJSON with."""
    import mapper

    return mapper.compile_sink(str(sink)).map(data, **kw).to_rows()


# ---------------------------------------------------------------------------------------
# validate: exit codes


def test_validate_exit_codes(f: Files) -> None:
    assert run("validate", f.sink, f.good).returncode == EXIT_OK
    assert run("validate", f.sink, f.mixed).returncode == EXIT_REJECTED
    p = run("validate", f.invalid_sink, f.good)
    assert p.returncode == EXIT_USAGE
    assert "integer-ish" in p.err or "type" in p.err


# The tests above and below run the command line in this process (``run``); these run the real
# entry point, ``python -m mapper``, and hold the in-process runs to it: the same exit status,
# standard output and standard error, byte for byte, for each kind of run (records on a file
# and on a stdin pipe, columns on stdout, each exit status, argparse's usage error and help).
@pytest.mark.parametrize(
    "args, stdin, code",
    [
        (["validate", "{sink}", "{good}"], None, EXIT_OK),
        (["validate", "{sink}", "{mixed}", "--report", "json"], None, EXIT_REJECTED),
        (["validate", "{sink}", "-", "--on-error", "skip", "--rejects", "/dev/stdout"], "mixed", EXIT_REJECTED),
        (["map", "{sink}", "-", "-o", "-"], "good2", EXIT_OK),
        (["map", "{sink}", "{crlf_bad}", "-o", "-", "--on-error", "skip"], None, EXIT_REJECTED),
        (["check", "{invalid_sink}"], None, EXIT_USAGE),
        (["validate", "{sink}", "{good}", "--on-error", "maybe"], None, EXIT_USAGE),
        (["validate", "--help"], None, EXIT_OK),
        (["infer", "-"], "good2", EXIT_OK),
    ],
    ids=["ok", "rejected-json", "stdin-rejects-stdout", "map-stdout", "skip-crlf", "check-invalid", "usage", "help", "infer-stdin"],
)
def test_the_real_command_line_says_what_the_in_process_run_says(f: Files, args: list[str], stdin: str | None, code: int) -> None:
    argv = [a.format(**vars(f)) for a in args]
    data = getattr(f, stdin).read_bytes() if stdin else None
    real, here = run_process(*argv, input=data), run_main(*argv, input=data)
    assert real.returncode == code, real.err
    assert real.stdout + real.stderr and (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["validate", "{dir}/no_such_sink.json", "{good}"], "no_such_sink.json"),
        (["validate", "{broken_sink}", "{good}"], "broken_sink.json"),
        (["validate", "{dir}", "{good}"], "directory"),
        (["validate", "{sink}", "{dir}/no_such_records.ndjson"], "no_such_records.ndjson"),
        (["validate", "{sink}", "{good}", "{dir}/no_such_records.ndjson"], "no_such_records.ndjson"),
        (["validate", "{sink}", "{dir}"], "directory"),
        (["validate", "{sink}", "{good}", "--max-errors", "abc"], "max-errors"),
        (["validate", "{sink}", "{good}", "--max-errors", "-1"], "max-errors"),
        (["validate", "{sink}", "{good}", "--max-errors", "101%"], "max-errors"),
        (["validate", "{sink}", "{good}", "--on-error", "maybe"], "on-error"),
        (["validate", "{sink}", "{good}", "--max-errors", "5"], "--max-errors only applies with --on-error skip"),
        (["map", "{sink}", "{good}", "-o", "-", "--on-error", "reject", "--max-errors", "5"], "only applies with --on-error skip"),
        (["validate", "{sink}", "{good}", "--input-format", "xml"], "input-format"),
        (["validate", "{sink}", "{good}", "--report", "xml"], "report"),
        (["validate", "{sink}", "{mixed}", "--rejects", "{dir}/no_such_dir/rejects.ndjson"], "no_such_dir"),
        (["map", "{sink}", "{good}"], "-o"),
        (["map", "{sink}", "{good}", "-o", "{dir}/no_such_dir/out.ndjson"], "no_such_dir"),
        (["bogus-command"], "bogus-command"),
        ([], "usage"),
        # found by a bug hunt: '' was taken as not given (the definition's identity, or infer's
        # own choice), and empty items were dropped ('id,,n' as id,n)
        (["check", "{sink}", "--primary-key-fields", ""], "argument --primary-key-fields: takes comma-separated names"),
        (["validate", "{sink}", "{good}", "--primary-key-fields", "id,,n"], "argument --primary-key-fields: takes comma-separated names"),
        (["check", "{sink}", "--id-field", ""], "argument --id-field: takes a name"),
        (["infer", "{good}", "--primary-key-fields", ""], "argument --primary-key-fields: takes comma-separated names"),
        (["infer", "{good}", "--primary-key-fields", "id,"], "argument --primary-key-fields: takes comma-separated names"),
        (["infer", "{good}", "--id-field", " "], "argument --id-field: takes a name"),
        # found by the docs audit: these named the API's parameters (workers, max_record_size,
        # records_path), which no command line has
        (["validate", "{sink}", "{good}", "--workers", "0"], "mapper: --workers takes a number of processes >= 1, not 0"),
        (["map", "{sink}", "{good}", "-o", "-", "--max-record-size", "512"], "mapper: --max-record-size must be at least 1K (1024 bytes), not '512'"),
        (["bench", "{sink}", "{good}", "--records-path", "a..b"], "mapper: --records-path: empty key"),
        (["infer", "{good}", "--records-path", "a..b"], "mapper: --records-path: empty key"),
    ],
)
def test_usage_errors_exit_2(f: Files, args: list[str], needle: str) -> None:
    fmt = {k: str(v) for k, v in vars(f).items()}
    p = run(*[a.format(**fmt) for a in args])
    assert p.returncode == EXIT_USAGE, (p.out, p.err)
    assert needle in p.err + p.out
    assert "REJECTED" not in p.out and "ACCEPTED" not in p.out


def test_version() -> None:
    p = run("--version")
    assert p.returncode == 0
    assert re.search(r"\d+\.\d+", p.out + p.err)


# ---------------------------------------------------------------------------------------
# validate: inputs


def test_records_from_several_files_indices_absolute(f: Files) -> None:
    p = run("validate", f.sink, f.good, f.good2, "--report", "json")
    assert p.returncode == EXIT_OK
    assert json_out(p)["records"] == 5
    # the bad record is the 2nd line of the 3rd file: record index 2+3+1 = 6, line 2
    p = run("validate", f.sink, f.good, f.good2, f.bad2, "--report", "json")
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert rep["records"] == 7
    assert [(e["record"], e["line"], e["column"], e["code"]) for e in rep["errors"]] == [(6, 2, "n", "invalid_value")]
    assert "bad2.ndjson" in json.dumps(rep["errors"][0])  # which file it came from


@pytest.mark.parametrize("dash", [True, False], ids=["dash", "no-records"])
def test_records_from_stdin(f: Files, dash: bool) -> None:
    args = ["validate", f.sink, *(["-"] if dash else []), "--report", "json"]
    p = run(*args, input=f.good2.read_bytes())
    assert p.returncode == EXIT_OK
    assert json_out(p)["records"] == 3
    p = run(*args, input=f.mixed.read_bytes())
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert rep["records"] == 6
    assert [(e["record"], e["line"], e["code"]) for e in rep["errors"]] == [(r, ln, c) for r, (ln, c) in sorted(MIXED_BAD.items())]


def test_file_and_stdin_together(f: Files) -> None:
    p = run("validate", f.sink, f.good, "-", "--report", "json", input=f.good2.read_bytes())
    assert p.returncode == EXIT_OK
    assert json_out(p)["records"] == 5


def test_gzip_input(f: Files) -> None:
    assert f.gz.read_bytes()[:2] == b"\x1f\x8b"
    p = run("validate", f.sink, f.gz, "--report", "json")
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert rep["records"] == 6
    assert [(e["record"], e["line"], e["code"]) for e in rep["errors"]] == [(r, ln, c) for r, (ln, c) in sorted(MIXED_BAD.items())]
    p = run("map", f.sink, f.gz, "--on-error", "skip", "-o", "-")
    assert p.returncode == EXIT_REJECTED  # 3 records refused: the 3 stored ones are still written
    assert [json.loads(x)["_id"] for x in p.out.splitlines()] == ["a", "c", "d"]


def test_gzip_on_stdin(f: Files) -> None:
    """Gzip is recognised by its magic bytes on stdin too, not only in a .gz file."""
    p = run("validate", f.sink, "-", "--report", "json", input=f.gz.read_bytes())
    rep = json_out(p)
    assert rep["records"] == 6
    assert [(e["record"], e["line"], e["code"]) for e in rep["errors"]] == [(r, ln, c) for r, (ln, c) in sorted(MIXED_BAD.items())]


def test_corrupt_gzip_is_a_clean_error(f: Files, tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.ndjson.gz"
    bad.write_bytes(f.gz.read_bytes()[:30])  # truncated gzip stream
    p = run("validate", f.sink, bad)
    assert p.returncode == EXIT_USAGE
    assert p.err.strip() and p.out == ""
    # a damaged deflate stream (zlib's own error), among several files: the file is named
    packed = gzip.compress(b"".join(b'{"id": "r%d", "n": 1}\n' % i for i in range(5000)))
    damaged = tmp_path / "damaged.gz"
    damaged.write_bytes(packed[:20] + b"\0" * 50 + packed[70:])
    p = run("validate", f.sink, f.gz, damaged)
    assert p.returncode == EXIT_USAGE and p.out == ""
    assert p.err.startswith(f"mapper: cannot read {damaged}: ") and "Traceback" not in p.err
    p = run("validate", f.sink, "-", input=damaged.read_bytes())
    assert p.returncode == EXIT_USAGE and p.err.startswith("mapper: cannot read standard input: ")
    m = mapper.compile_sink(f.sink)
    for given in (damaged.read_bytes(), damaged, str(damaged)):
        with pytest.raises(mapper.InputError, match="cannot read"):
            m.validate(given)


def test_endpoint_request_body(f: Files) -> None:
    p = run("validate", f.sink, f.body, "--report", "json")
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert rep["records"] == 3
    assert [(e["record"], e["column"], e["code"]) for e in rep["errors"]] == [(1, "n", "out_of_range")]
    p = run("map", f.sink, "-", "-o", "-", input=f.body.read_bytes())
    assert p.returncode == EXIT_REJECTED  # one record refused; the others are written
    assert [json.loads(x)["_id"] for x in p.out.splitlines()] == ["r0", "r2"]


def test_json_array(f: Files) -> None:
    p = run("validate", f.sink, f.array, "--report", "json")
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert rep["records"] == 3
    assert [(e["record"], e["code"]) for e in rep["errors"]] == [(2, "not_an_object")]
    p = run("validate", f.sink, "--report", "json", "--on-error", "skip", input=b"[" + good(0) + b"," + good(1) + b"]")
    assert p.returncode == EXIT_OK
    assert json_out(p)["success_count"] == 2


def test_truncated_json_array_is_an_error_not_a_traceback(f: Files) -> None:
    p = run("validate", f.sink, "--report", "json", input=b"[" + good(0) + b',\n {"id"')
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert (rep["verdict"], rep["records"], rep["success_count"]) == ("refused", 1, 0)  # the document is one bad record
    assert rep["errors"] and rep["errors"][0]["code"] == "invalid_json"


def test_input_format_forces_the_format(f: Files) -> None:
    array = b"[" + good(0) + b"]\n"
    # detected: a JSON array of one good record
    p = run("validate", f.sink, "--report", "json", input=array)
    assert p.returncode == EXIT_OK and json_out(p)["records"] == 1
    # forced NDJSON: the line is an array, not an object
    p = run("validate", f.sink, "--report", "json", "--input-format", "ndjson", input=array)
    assert p.returncode == EXIT_REJECTED
    assert [(e["line"], e["code"]) for e in json_out(p)["errors"]] == [(1, "not_an_object")]
    # forced JSON: one document (an object is one record), or objects one after another
    # (each a record, as `jq .` prints them); an array followed by more is one broken document
    p = run("validate", f.sink, "--report", "json", "--input-format", "json", input=good(0) + b"\n")
    assert p.returncode == EXIT_OK and json_out(p)["records"] == 1
    p = run("validate", f.sink, "--report", "json", "--input-format", "json", input=good(0) + b"\n" + good(1) + b"\n")
    assert p.returncode == EXIT_OK and json_out(p)["records"] == 2
    p = run("validate", f.sink, "--report", "json", "--input-format", "json", input=array + array)
    assert p.returncode == EXIT_REJECTED and json_out(p)["errors"][0]["code"] == "invalid_json"
    # forced endpoint on an NDJSON record: not a request body
    p = run("validate", f.sink, "--report", "json", "--input-format", "endpoint", input=good(0) + b"\n")
    assert p.returncode == EXIT_REJECTED
    assert json_out(p)["errors"][0]["code"] == "invalid_json"
    # forced endpoint on a body; explicit ndjson on plain NDJSON
    p = run("validate", f.sink, f.body, "--report", "json", "--input-format", "endpoint")
    assert json_out(p)["records"] == 3
    p = run("validate", f.sink, f.good2, "--report", "json", "--input-format", "ndjson")
    assert p.returncode == EXIT_OK and json_out(p)["records"] == 3


def test_crlf_bom_and_blank_lines(f: Files) -> None:
    p = run("validate", f.sink, f.crlf, "--report", "json")
    assert p.returncode == EXIT_OK, p.out
    rep = json_out(p)
    assert (rep["accepted"], rep["records"], rep["success_count"], rep["errors"]) == (True, 4, 4, [])
    p = run("validate", f.sink, f.crlf_bad, "--report", "json")
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert [(e["record"], e["line"], e["column"], e["code"]) for e in rep["errors"]] == [(2, 6, "n", "out_of_range"), (3, 7, "price", "invalid_value")]
    # the BOM is not part of the first value, CR is not part of the last
    p = run("map", f.sink, f.crlf, "-o", "-")
    assert p.returncode == EXIT_OK
    rows = [json.loads(x) for x in p.out.splitlines()]
    assert [r["_id"] for r in rows] == ["r0", "r1", "r2", "r3"]


def test_empty_and_blank_inputs_are_accepted_with_zero_records(f: Files) -> None:
    for data in (b"", b"\n\r\n  \n", b"\xef\xbb\xbf"):
        p = run("validate", f.sink, "--report", "json", input=data)
        assert p.returncode == EXIT_OK, data
        assert json_out(p)["records"] == 0


def test_large_input_lines_and_indices_absolute_across_chunks(f: Files) -> None:
    """About 1.2 MB of NDJSON (several read chunks) with blank lines: indices and lines stay absolute."""
    lines: list[bytes] = []
    expect: list[tuple[int, int]] = []
    rec = 0
    for i in range(15000):
        if i % 7 == 3:
            lines.append(b"")
            continue
        if i in (9001, 12345, 14000):
            lines.append(good(i, n=f"bad{i}", pad="x" * 20))
            expect.append((rec, len(lines)))
        else:
            lines.append(good(i, pad="x" * 20))
        rec += 1
    path = f.dir / "big.ndjson"
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(data)
    assert len(data) > 1_000_000
    p = run("validate", f.sink, path, "--report", "json")
    rep = json_out(p)
    assert rep["records"] == rec
    assert [(e["record"], e["line"]) for e in rep["errors"]] == expect
    p = run("validate", f.sink, "--report", "json", "--on-error", "skip", input=data)  # streamed from stdin
    rep = json_out(p)
    assert p.returncode == EXIT_REJECTED
    assert rep["success_count"] == rec - 3
    assert [(e["record"], e["line"]) for e in rep["errors"]] == expect


# ---------------------------------------------------------------------------------------
# Mixed bad input


def test_mixed_bad_input_lines_and_records(f: Files) -> None:
    # the endpoint's policy (the default): each bad record is refused alone
    p = run("validate", f.sink, f.mixed, "--report", "json")
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert (rep["verdict"], rep["accepted"], rep["policy"]) == ("partial", True, "endpoint")
    assert (rep["records"], rep["failed_records"], rep["success_count"], rep["error_count"]) == (6, 3, 3, 3)
    got = [(e["record"], e["line"], e["code"]) for e in rep["errors"]]
    assert got == [(1, 3, "invalid_json"), (3, 5, "not_an_object"), (4, 7, "invalid_json")]
    for e in rep["errors"]:
        assert f"line {e['line']}" in e["message"]

    # all or nothing
    p = run("validate", f.sink, f.mixed, "--report", "json", "--on-error", "reject")
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert (rep["verdict"], rep["accepted"], rep["success_count"]) == ("discarded", False, 0)
    assert rep["error_count"] == 6  # the endpoint answers every record of a discarded batch with an error
    assert [(e["record"], e["line"], e["code"]) for e in rep["errors"]] == got

    p = run("validate", f.sink, f.mixed, "--report", "json", "--on-error", "skip")
    assert p.returncode == EXIT_REJECTED  # some records would be refused
    rep = json_out(p)
    assert (rep["accepted"], rep["records"], rep["success_count"], rep["error_count"]) == (True, 6, 3, 3)
    assert [(e["record"], e["line"], e["code"]) for e in rep["errors"]] == got


def test_truncated_last_line_without_newline(f: Files) -> None:
    data = good(0) + b"\n\n" + good(1) + b"\n" + b'{"id":"z","n":3,"pri'
    p = run("validate", f.sink, "--report", "json", input=data)
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert rep["records"] == 3
    assert [(e["record"], e["line"], e["code"]) for e in rep["errors"]] == [(2, 4, "invalid_json")]


# ---------------------------------------------------------------------------------------
# Report formats


def test_report_json_shape(f: Files) -> None:
    for path, code in ((f.good, EXIT_OK), (f.mixed, EXIT_REJECTED), (EXAMPLE_RECORDS, EXIT_OK)):
        sink = EXAMPLE_SINK if path == EXAMPLE_RECORDS else f.sink
        p = run("validate", sink, path, "--report", "json")
        assert p.returncode == code
        assert len(p.out.strip().splitlines()) == 1  # exactly one JSON object, nothing else
        rep = json_out(p)
        assert JSON_REPORT_KEYS <= set(rep)
        assert isinstance(rep["accepted"], bool) and rep["verdict"] == ("accepted" if code == EXIT_OK else "partial")
        for k in ("records", "success_count", "error_count"):
            assert type(rep[k]) is int
        assert isinstance(rep["errors"], list) and isinstance(rep["warnings"], list)
        for e in rep["errors"]:
            assert ERROR_KEYS <= set(e)
            assert isinstance(e["record"], int) and isinstance(e["message"], str) and e["message"]
    # the example has float decimals the endpoint changes: warnings with record and line
    p = run("validate", EXAMPLE_SINK, EXAMPLE_RECORDS, "--report", "json")
    warnings = json_out(p)["warnings"]
    assert warnings and all({"record", "line", "column"} <= set(w) for w in warnings)


def test_report_json_value_error_fields(f: Files) -> None:
    p = run("validate", f.sink, f.crlf_bad, "--report", "json")
    e = json_out(p)["errors"][0]
    assert (e["record"], e["line"], e["column"], e["path"], e["code"]) == (2, 6, "n", "$.n", "out_of_range")
    assert "5000" in e["message"]


@pytest.mark.parametrize("policy", ["endpoint", "reject", "skip"])
def test_report_endpoint_shape(f: Files, policy: str) -> None:
    p = run("validate", f.sink, f.mixed, "--report", "endpoint", "--on-error", policy)
    assert p.returncode == EXIT_REJECTED
    ans = json_out(p)
    assert set(ans) == {"success_count", "error_count", "records"}
    assert len(ans["records"]) == 6  # one per record; blank lines are not records
    for r in ans["records"]:
        if r["status"] == "success":
            assert r == {"status": "success"}
        else:
            assert r["status"] == "error"
            assert set(r) == {"status", "error_code", "error_message"}
            assert isinstance(r["error_code"], str) and r["error_code"]
            assert isinstance(r["error_message"], str) and r["error_message"]
    statuses = [r["status"] for r in ans["records"]]
    codes = [r.get("error_code") for r in ans["records"]]
    if policy != "reject":
        assert statuses == ["success", "error", "success", "error", "error", "success"]
        assert codes == [None, "InvalidBody", None, "InvalidBody", "InvalidBody", None]
        assert (ans["success_count"], ans["error_count"]) == (3, 3)
    else:
        assert statuses == ["error"] * 6  # a discarded batch stores nothing
        assert codes == ["BatchDiscarded", "InvalidBody", "BatchDiscarded", "InvalidBody", "InvalidBody", "BatchDiscarded"]
        assert (ans["success_count"], ans["error_count"]) == (0, 6)
    for i in MIXED_BAD:
        message = ans["records"][i]["error_message"]
        assert message.startswith("Incorrect values for one or more of record fields: ") and f"line {MIXED_BAD[i][0]}" in message

    p = run("validate", f.sink, f.good2, "--report", "endpoint")
    assert p.returncode == EXIT_OK
    assert json_out(p) == {"success_count": 3, "error_count": 0, "records": [{"status": "success"}] * 3}


def test_human_report(f: Files) -> None:
    p = run("validate", f.sink, f.good)
    assert p.returncode == EXIT_OK
    assert p.out.splitlines()[0].startswith("ACCEPTED")

    p = run("validate", f.sink, f.mixed)
    assert p.returncode == EXIT_REJECTED
    lines = p.out.splitlines()
    assert lines[0] == "PARTIAL: 3 of 6 records would be stored, 3 refused (invalid_json 2, not_an_object 1)"
    # grouped by code with counts: two invalid_json, one not_an_object
    assert any("invalid_json" in ln and re.search(r"\b2\b", ln) for ln in lines[1:])
    assert any("not_an_object" in ln and re.search(r"\b1\b", ln) for ln in lines[1:])
    for rec, (line, _) in MIXED_BAD.items():
        assert any(f"record {rec}" in ln and f"line {line}" in ln for ln in lines), rec

    # many errors in one column: one group with the count, a few examples with record, line and value
    data = b"".join(good(i, n=f"v{i}") + b"\n" for i in range(10)) + good(10, price="x") + b"\n"
    p = run("validate", f.sink, input=data)
    assert p.returncode == EXIT_REJECTED
    lines = p.out.splitlines()
    assert lines[0] == "REFUSED: all 11 records would be refused (invalid_value 11)"
    group = [ln for ln in lines if re.search(r"\bn\b", ln) and "invalid_value" in ln]
    assert len(group) == 1 and re.search(r"\b10\b", group[0])
    assert any(re.search(r"\bprice\b", ln) and "invalid_value" in ln and re.search(r"\b1\b", ln) for ln in lines)
    examples = [ln for ln in lines if '"v' in ln]
    assert 1 <= len(examples) < 10
    assert "record 0" in examples[0] and "line 1" in examples[0] and '"v0"' in examples[0]
    # the n group (10) comes before the price group (1)
    assert lines.index(group[0]) < next(i for i, ln in enumerate(lines) if re.search(r"\bprice\b", ln) and "invalid_value" in ln)


# ---------------------------------------------------------------------------------------
# --on-error skip, --rejects, --max-errors


def test_rejects_raw_is_byte_for_byte(f: Files, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.ndjson"
    p = run("validate", f.sink, f.mixed, "--rejects", rejects, "--report", "json")
    assert p.returncode == EXIT_REJECTED
    assert json_out(p)["success_count"] == 3
    entries = [json.loads(x) for x in rejects.read_bytes().splitlines()]
    assert [(e["record"], e["line"]) for e in entries] == [(1, 3), (3, 5), (4, 7)]
    for e in entries:
        assert e["errors"] and e["errors"][0]["code"] == MIXED_BAD[e["record"]][1]
        original = MIXED_LINES[e["line"] - 1]
        if e["record"] == 4:  # invalid UTF-8: base64 of the exact bytes
            assert "raw" not in e
            assert base64.b64decode(e["raw_base64"]) == original
        else:
            assert e["raw"].encode() == original


def test_rejects_raw_keeps_whitespace_and_escapes_and_drops_crlf(f: Files, tmp_path: Path) -> None:
    lines = [
        good(0),
        b'  {"id":"b","n":"\\u00e9x" , "price":"1","ts":1}  \t',  # padding and an escape kept as sent
        good(2),
        '{"id":"\u00e9","n":5000,"price":"2","ts":1}'.encode(),  # non-ASCII UTF-8
        b'{"id":"d","n":3,"price":"2","ts":17',  # truncated last line, no line end
    ]
    src = tmp_path / "raw.ndjson"
    src.write_bytes(b"\r\n".join(lines))
    rejects = tmp_path / "rejects.ndjson"
    out = tmp_path / "out.ndjson"
    p = run("map", f.sink, src, "--on-error", "skip", "--rejects", rejects, "-o", out)
    assert p.returncode == EXIT_REJECTED
    entries = [json.loads(x) for x in rejects.read_bytes().splitlines()]
    assert [(e["record"], e["line"]) for e in entries] == [(1, 2), (3, 4), (4, 5)]
    for e in entries:
        assert e["raw"].encode() == lines[e["line"] - 1]
    assert [json.loads(x)["_id"] for x in out.read_bytes().splitlines()] == ["r0", "r2"]


def test_map_skip_writes_good_rows_and_rejects(f: Files, tmp_path: Path) -> None:
    out, rejects = tmp_path / "out.ndjson", tmp_path / "rej.ndjson"
    p = run("map", f.sink, f.mixed, "--rejects", rejects, "-o", out)
    assert p.returncode == EXIT_REJECTED
    rows = [json.loads(x) for x in out.read_bytes().splitlines()]
    assert [r["_id"] for r in rows] == ["a", "c", "d"]
    assert len(rejects.read_bytes().splitlines()) == 3


@pytest.mark.parametrize(
    "limit, accepted",
    [("1", False), ("2", False), ("3", True), ("0", False), ("49%", False), ("50%", True), ("0%", False)],
)
def test_max_errors(f: Files, limit: str, accepted: bool) -> None:
    # 3 of the 6 mixed records fail
    p = run("validate", f.sink, f.mixed, "--on-error", "skip", "--max-errors", limit, "--report", "json")
    assert p.returncode == EXIT_REJECTED  # 3 records are refused either way
    rep = json_out(p)
    assert rep["accepted"] is accepted
    assert rep["success_count"] == (3 if accepted else 0)
    assert rep["failed_records"] == 3
    assert rep["success_count"] + rep["error_count"] == 6


def test_max_errors_in_map_rejects_without_output(f: Files, tmp_path: Path) -> None:
    out = tmp_path / "out.ndjson"
    p = run("map", f.sink, f.mixed, "--on-error", "skip", "--max-errors", "1", "-o", out)
    assert p.returncode == EXIT_REJECTED
    assert not out.exists()
    p = run("map", f.sink, f.mixed, "--on-error", "skip", "--max-errors", "50%", "-o", out)
    assert p.returncode == EXIT_REJECTED
    assert len(out.read_bytes().splitlines()) == 3


# ---------------------------------------------------------------------------------------
# map: outputs


def test_map_ndjson_rows_are_canonical(f: Files, tmp_path: Path) -> None:
    data = good(0) + b"\n" + good(1, price=2.5, ts="1700000001") + b"\n" + good(2, price="-0.07", n=0) + b"\n"
    src = tmp_path / "in.ndjson"
    src.write_bytes(data)
    out = tmp_path / "out.ndjson"
    p = run("map", f.sink, src, "-o", out)
    assert p.returncode == EXIT_OK
    text = out.read_bytes()
    rows = [json.loads(x) for x in text.splitlines()]
    assert rows == api_rows(f.sink, data)
    for r in rows:
        assert next(iter(r)) == "_id"
    assert [(r["_id"], r["n"], r["price"], r["ts"]) for r in rows] == [
        ("r0", 0, "1.50", "2023-11-14T22:13:20Z"),
        ("r1", 1, "2.50", "2023-11-14T22:13:21Z"),
        ("r2", 0, "-0.07", "2023-11-14T22:13:22Z"),
    ]
    # -o - : the same rows on stdout
    p = run("map", f.sink, src, "-o", "-")
    assert p.returncode == EXIT_OK
    assert [json.loads(x) for x in p.out.splitlines()] == rows


def test_map_example_rows_rfc3339_ms_and_scale(tmp_path: Path) -> None:
    p = run("map", EXAMPLE_SINK, EXAMPLE_RECORDS, "-o", "-")
    assert p.returncode == EXIT_OK
    rows = [json.loads(x) for x in p.out.splitlines()]
    assert rows == api_rows(EXAMPLE_SINK, EXAMPLE_RECORDS.read_bytes())
    assert len(rows) == 3
    assert rows[0]["_id"] == "PD2tRswoE3:0:0" and next(iter(rows[0])) == "_id"
    assert rows[0]["ts"] == "2022-08-08T17:57:48.260Z"
    for r in rows:
        for col in ("lat", "long"):
            assert re.fullmatch(r"-?\d+\.\d{4}", r[col]), r[col]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["ts"])


def npz_strings(z: Any, key: str) -> list[str]:
    """A string array of a mapper .npz: UTF-8 bytes plus offsets."""
    blob, offsets = z[f"{key}.utf8"].tobytes(), z[f"{key}.utf8_offsets"].tolist()
    return [blob[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:])]


def test_map_npz(f: Files, tmp_path: Path) -> None:
    import numpy as np

    out = tmp_path / "out.npz"
    p = run("map", f.sink, f.good, "-o", out)
    assert p.returncode == EXIT_OK
    with np.load(out, allow_pickle=False) as z:
        files = set(z.files)
        header = json.loads(str(z["__header__"]))
        assert header["id"]["strings"] == "utf8" and npz_strings(z, "_id") == ["r0", "r1"]
        cols = {c["name"]: c for c in header["columns"]}
        assert {"n", "price", "ts"} <= set(cols)
        for name in ("n", "price", "ts"):
            key = cols[name].get("key", name)
            assert {key, f"{key}.valid", f"{key}.present"} <= files
            assert list(z[f"{key}.valid"]) == [True, True]
            assert list(z[f"{key}.present"]) == [True, True]
        assert cols["n"]["type"] == "int"
        assert cols["price"]["type"] == "decimal" and cols["price"]["scale"] == 2
        assert cols["ts"]["type"] == "timestamp" and cols["ts"]["unit"] == "s"
        assert list(z[cols["price"].get("key", "price")]) == [150, 200]
        assert list(z[cols["ts"].get("key", "ts")]) == [1700000000, 1700000001]
        assert list(z[cols["n"].get("key", "n")]) == [0, 1]


def test_map_npz_skip_masks_and_example(tmp_path: Path) -> None:
    import numpy as np

    out = tmp_path / "example.npz"
    p = run("map", EXAMPLE_SINK, EXAMPLE_RECORDS, "-o", out)
    assert p.returncode == EXIT_OK
    with np.load(out, allow_pickle=False) as z:
        header = json.loads(str(z["__header__"]))
        cols = {c["name"]: c for c in header["columns"]}
        assert cols["lat"]["scale"] == 4 and cols["ts"]["unit"] == "ms"
        assert len(npz_strings(z, "_id")) == 3
        assert list(z[cols["altitude"].get("key", "altitude")]) == [37996, 1200, 35000]


@pytest.mark.parametrize("suffix", ["parquet", "arrow"])
def test_map_parquet_and_arrow(f: Files, tmp_path: Path, suffix: str) -> None:
    # skipped without pyarrow, except in .ci/run (MAPPER_REQUIRE_EXTRAS=1), which installs it
    pa = pytest.importorskip("pyarrow") if os.environ.get("MAPPER_REQUIRE_EXTRAS") != "1" else __import__("pyarrow")
    out = tmp_path / f"out.{suffix}"
    p = run("map", f.sink, f.good, "-o", out)
    assert p.returncode == EXIT_OK
    if suffix == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(out)
    else:
        table = pa.ipc.open_file(str(out)).read_all()
    assert table.column_names[0] == "_id"
    rows = table.to_pylist()
    assert [r["_id"] for r in rows] == ["r0", "r1"]
    assert [str(r["price"]) for r in rows] == ["1.50", "2.00"]
    assert [r["n"] for r in rows] == [0, 1]
    assert [int(r["ts"].timestamp()) for r in rows] == [1700000000, 1700000001]


def test_map_parquet_without_pyarrow_names_the_extra(f: Files, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "pyarrow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('pyarrow is hidden by the test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")]))
    for suffix in ("parquet", "arrow"):
        out = tmp_path / f"out.{suffix}"
        p = run("map", f.sink, f.good, "-o", out, env=env)
        assert p.returncode == EXIT_USAGE
        assert "pyarrow" in p.err and "arrow" in p.err and "pip install" in p.err
        assert not out.exists()


def test_map_unknown_suffix_exit_2(f: Files, tmp_path: Path) -> None:
    for name in ("out.csv", "out"):
        out = tmp_path / name
        p = run("map", f.sink, f.good, "-o", out)
        assert p.returncode == EXIT_USAGE
        assert not out.exists()
        assert ".npz" in p.err


@pytest.mark.parametrize("suffix", ["ndjson", "npz"])
def test_map_rejected_leaves_no_output_and_no_temp_files(f: Files, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out.{suffix}"
    p = run("map", f.sink, f.mixed, "--on-error", "reject", "-o", out)
    assert p.returncode == EXIT_REJECTED
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temp file either
    assert "DISCARDED" in p.err


def test_map_rejected_leaves_existing_output_untouched(f: Files, tmp_path: Path) -> None:
    out = tmp_path / "out.ndjson"
    out.write_bytes(b"previous contents\n")
    before = out.stat()
    p = run("map", f.sink, f.mixed, "--on-error", "reject", "-o", out)
    assert p.returncode == EXIT_REJECTED
    assert out.read_bytes() == b"previous contents\n"
    assert out.stat().st_mtime_ns == before.st_mtime_ns and out.stat().st_ino == before.st_ino
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.ndjson"]
    # an accepted batch replaces it
    p = run("map", f.sink, f.good, "-o", out)
    assert p.returncode == EXIT_OK
    assert [json.loads(x)["_id"] for x in out.read_bytes().splitlines()] == ["r0", "r1"]
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.ndjson"]


def test_map_rejected_to_stdout_writes_no_rows(f: Files) -> None:
    p = run("map", f.sink, f.mixed, "--on-error", "reject", "-o", "-")
    assert p.returncode == EXIT_REJECTED
    assert p.stdout == b""


def test_map_to_a_closed_pipe_is_quiet(f: Files, tmp_path: Path) -> None:
    """`mapper map ... -o - | head -1`: a closed stdout is not a traceback."""
    src = tmp_path / "many.ndjson"
    src.write_bytes(b"".join(good(i) + b"\n" for i in range(30000)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "map", str(f.sink), str(src), "-o", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert json.loads(first)["_id"] == "r0"
    assert b"Traceback" not in err, err
    assert proc.returncode == EXIT_OK, (proc.returncode, err)


def test_map_multiple_inputs(f: Files) -> None:
    p = run("map", f.sink, f.good, f.good2, "-o", "-")
    assert p.returncode == EXIT_OK
    assert [json.loads(x)["_id"] for x in p.out.splitlines()] == ["r0", "r1", "r2", "r3", "r4"]


# ---------------------------------------------------------------------------------------
# explain, check


def test_explain_prints_generated_source(f: Files) -> None:
    import ast

    import mapper

    p = run("explain", EXAMPLE_SINK)
    assert p.returncode == EXIT_OK
    assert "def walk(" in p.out
    ast.parse(p.out)  # the printed text is Python
    assert mapper.compile_sink(str(EXAMPLE_SINK)).source in p.out  # as compiled
    p = run("explain", f.invalid_sink)
    assert p.returncode == EXIT_USAGE


def test_explain_hostile_keys_not_in_source_and_mapping_works(f: Files) -> None:
    import ast

    p = run("explain", f.hostile)
    assert p.returncode == EXIT_OK
    assert "def walk(" in p.out
    ast.parse(p.out)
    for text in (HOSTILE_KEY, HOSTILE_KEY2, "__import__", "system(", "pwned"):
        assert text not in p.out, text
    p = run("map", f.hostile, f.hostile_records, "-o", "-")
    assert p.returncode == EXIT_OK
    assert "pwned" not in p.out
    assert [json.loads(x) for x in p.out.splitlines()] == [{"_id": "x", "v": 7, "w": "hi"}]


def test_check_smoke(f: Files) -> None:
    p = run("check", f.sink)
    assert p.returncode == EXIT_OK
    p = run("check", EXAMPLE_SINK, "--format", "json")
    assert p.returncode == EXIT_OK
    assert json_out(p)["valid"] is True
    p = run("check", f.invalid_sink)
    assert p.returncode == EXIT_USAGE
    assert "integer-ish" in p.out + p.err
    p = run("check", f.broken_sink)
    assert p.returncode == EXIT_USAGE


# ---------------------------------------------------------------------------------------
# A bare definition array and the identity options


def test_bare_definition_array_needs_identity_and_policy(f: Files) -> None:
    for extra in ([], ["--id-field", "b"], ["--primary-key-fields", "a,b"], ["--allow-missing-fields"]):
        p = run("check", f.bare, *extra)
        assert p.returncode == EXIT_USAGE, extra
        p = run("validate", f.bare, f.bare_records, *extra)
        assert p.returncode == EXIT_USAGE, extra
    p = run("check", f.bare, "--id-field", "b", "--allow-missing-fields")
    assert p.returncode == EXIT_OK
    p = run("validate", f.bare, f.bare_records, "--id-field", "b", "--primary-key-fields", "a", "--allow-missing-fields")
    assert p.returncode == EXIT_USAGE


def test_bare_definition_array_identity_options(f: Files) -> None:
    p = run("map", f.bare, f.bare_records, "-o", "-", "--primary-key-fields", "a,b", "--allow-missing-fields")
    assert p.returncode == EXIT_OK
    rows = [json.loads(x) for x in p.out.splitlines()]
    assert [r["_id"] for r in rows] == ["x|1", "y|2"]
    assert rows[1].get("c") is None and "c" not in rows[1]  # missing and allowed: left out
    p = run("map", f.bare, f.bare_records, "-o", "-", "--id-field", "b", "--allow-missing-fields")
    assert p.returncode == EXIT_OK
    assert [json.loads(x)["_id"] for x in p.out.splitlines()] == [1, 2]
    p = run("validate", f.bare, f.bare_records, "--id-field", "b", "--no-allow-missing-fields", "--report", "json")
    assert p.returncode == EXIT_REJECTED
    rep = json_out(p)
    assert [(e["record"], e["line"], e["column"], e["code"]) for e in rep["errors"]] == [(1, 2, "c", "missing")]


def test_allow_missing_fields_overrides_a_full_sink(f: Files) -> None:
    data = good(0) + b"\n" + b'{"id":"m","n":1,"ts":1700000000}\n'  # no price
    p = run("validate", f.sink, "--report", "json", input=data)
    assert p.returncode == EXIT_REJECTED
    assert [(e["record"], e["column"], e["code"]) for e in json_out(p)["errors"]] == [(1, "price", "missing")]
    p = run("map", f.sink, "-o", "-", "--allow-missing-fields", "-", input=data)
    assert p.returncode == EXIT_OK
    rows = [json.loads(x) for x in p.out.splitlines()]
    assert [r["_id"] for r in rows] == ["r0", "m"] and "price" not in rows[1]


# ---------------------------------------------------------------------------------------
# --strict (warnings into errors)


def test_strict_turns_warnings_into_errors() -> None:
    p = run("validate", EXAMPLE_SINK, EXAMPLE_RECORDS, "--report", "json")
    assert p.returncode == EXIT_OK and json_out(p)["warnings"]
    p = run("validate", EXAMPLE_SINK, EXAMPLE_RECORDS, "--report", "json", "--strict")
    assert p.returncode == EXIT_REJECTED
    assert {e["code"] for e in json_out(p)["errors"]} == {"lossy_value"}


# ---------------------------------------------------------------------------------------
# --quiet and the progress bar


def test_quiet_prints_nothing_on_stderr(f: Files, tmp_path: Path) -> None:
    p = run("validate", EXAMPLE_SINK, EXAMPLE_RECORDS, "--quiet")
    assert p.returncode == EXIT_OK
    assert p.stderr == b""
    assert p.out.startswith("ACCEPTED")
    p = run("map", EXAMPLE_SINK, EXAMPLE_RECORDS, "-q", "-o", tmp_path / "o.ndjson")
    assert p.returncode == EXIT_OK
    assert p.stderr == b""
    # not quiet: map reports on stderr (the test above is not trivially true)
    p = run("map", EXAMPLE_SINK, EXAMPLE_RECORDS, "-o", tmp_path / "o2.ndjson")
    assert p.returncode == EXIT_OK and p.stderr != b""


def _slow_validate(f: Files, *, tty: bool, quiet: bool) -> tuple[subprocess.Popen, int | None]:
    """Start ``validate`` reading stdin, stderr on a pty or a pipe; feed it for over a second."""
    import pty

    args = [sys.executable, "-m", "mapper", "validate", str(f.sink), "-"] + (["--quiet"] if quiet else [])
    if tty:
        master, slave = pty.openpty()
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=slave, cwd=ROOT)
        os.close(slave)
        return proc, master
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT), None


def _read_pty(master: int) -> bytes:
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return data


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_progress_bar_only_on_a_terminal_and_not_quiet(f: Files) -> None:
    # ~650 KB per write, more than the pipe buffer and the reader's chunk: a blocking write returns
    # only once the process has read most of it, so it is running and its clock has started.
    n = 12000
    chunk1 = b"".join(good(i) + b"\n" for i in range(n))
    chunk2 = b"".join(good(i) + b"\n" for i in range(n, 2 * n))
    assert len(chunk1) > 2 * 256 * 1024
    cases = {"pipe": (False, False), "tty": (True, False), "tty-quiet": (True, True)}
    started = {name: _slow_validate(f, tty=tty, quiet=quiet) for name, (tty, quiet) in cases.items()}
    for proc, _ in started.values():
        proc.stdin.write(chunk1)
        proc.stdin.flush()
    time.sleep(1.3)  # the input takes longer than a second
    stderr: dict[str, bytes] = {}
    for name, (proc, master) in started.items():
        proc.stdin.write(chunk2)
        proc.stdin.close()
        out = proc.stdout.read()
        if master is None:
            stderr[name] = proc.stderr.read()
        proc.wait(timeout=30)
        if master is not None:
            stderr[name] = _read_pty(master)
        assert proc.returncode == EXIT_OK, (name, out, stderr[name])
        assert out.startswith(b"ACCEPTED: %s records, all would be stored" % f"{2 * n:,}".encode()), (name, out)
        assert b"Traceback" not in stderr[name]
    assert b"records/s" not in stderr["pipe"]
    assert stderr["pipe"] == b""
    assert b"records/s" not in stderr["tty-quiet"]
    assert stderr["tty-quiet"] == b""
    assert b"records/s" in stderr["tty"]  # on a terminal the bar shows (records, MB, records/s)
    assert b"MB" in stderr["tty"] and b"records" in stderr["tty"]


# ---------------------------------------------------------------------------------------
# The README's commands


_SHELL_LANGS = {"sh", "bash", "shell", "console", "zsh", "shell-session"}


def _fenced_shell_blocks(text: str) -> list[str]:
    blocks = []
    for m in re.finditer(r"^```[ \t]*([\w-]*)[^\n]*\n(.*?)^```", text, re.M | re.S):
        if m.group(1).lower() in _SHELL_LANGS:
            blocks.append(m.group(2))
    return blocks


def _segments(script: str) -> list[list[str]]:
    """Simple commands of a shell snippet: split on && || ; | and newlines, prompts and comments dropped."""
    script = script.replace("\\\n", " ")
    segments: list[list[str]] = []
    for raw_line in script.splitlines():
        line = raw_line.strip()
        if line.startswith("$ "):
            line = line[2:]
        if not line or line.startswith("#"):
            continue
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        lex.commenters = "#"
        current: list[str] = []
        for tok in lex:
            if tok in ("&&", "||", ";", "|", "&"):
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(tok)
        if current:
            segments.append(current)
    return segments


def _mapper_args(segment: list[str]) -> list[str] | None:
    """The arguments of a ``mapper ...`` / ``.venv/bin/mapper ...`` / ``python -m mapper ...`` command."""
    if segment and (segment[0] == "mapper" or segment[0].endswith("/mapper")):
        return segment[1:]
    for i in range(len(segment) - 1):
        if segment[i] == "-m" and segment[i + 1] == "mapper" and i >= 1 and "python" in Path(segment[i - 1]).name:
            return segment[i + 2 :]
    return None


def _pytest_args(segment: list[str]) -> list[str] | None:
    for i, tok in enumerate(segment):
        if tok == "pytest" or tok.endswith("/pytest"):
            if i == 0 or segment[i - 1] == "-m":
                return segment[i + 1 :]
    return None


def _pip_targets(segment: list[str]) -> set[str] | None:
    if "install" not in segment or not any(Path(t).name.startswith("pip") for t in segment[: segment.index("install")]):
        return None
    return {t for t in segment[segment.index("install") + 1 :] if not t.startswith("-")}


@pytest.fixture(scope="module")
def readme_blocks() -> list[str]:
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet")
    blocks = _fenced_shell_blocks(readme.read_text(encoding="utf-8"))
    assert len(blocks) >= 2, "the README starts with two fenced shell commands (install + example, install + tests)"
    return blocks[:2]


def test_readme_test_command_agrees_with_ci(readme_blocks: list[str]) -> None:
    readme_segments = _segments(readme_blocks[1])
    ci_segments = _segments((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    readme_pytest = [a for s in readme_segments if (a := _pytest_args(s)) is not None]
    ci_pytest = [a for s in ci_segments if (a := _pytest_args(s)) is not None]
    assert readme_pytest, f"no pytest command in the README's second command: {readme_blocks[1]!r}"
    assert ci_pytest, "no pytest command in .ci/run"
    assert readme_pytest[-1] == ci_pytest[-1], (readme_pytest, ci_pytest)
    readme_pip = [t for s in readme_segments if (t := _pip_targets(s)) is not None]
    ci_pip = [t for s in ci_segments if (t := _pip_targets(s)) is not None]
    if readme_pip and ci_pip:
        assert readme_pip[-1] == ci_pip[-1], (readme_pip, ci_pip)  # same install target and extras


def test_readme_first_command_runs(readme_blocks: list[str], tmp_path: Path) -> None:
    calls = [a for s in _segments(readme_blocks[0]) if (a := _mapper_args(s)) is not None]
    assert calls, f"no mapper command in the README's first command: {readme_blocks[0]!r}"
    args = list(calls[-1])
    for i, a in enumerate(args[:-1]):  # keep outputs out of the repository
        if a in ("-o", "--output", "--rejects") and args[i + 1] != "-":
            args[i + 1] = str(tmp_path / Path(args[i + 1]).name)
    p = run(*args)
    assert p.returncode == EXIT_OK, (args, p.out, p.err)
    assert p.out.strip() or list(tmp_path.iterdir()), "the README's command produced nothing"


def test_readme_parsers_on_a_sample() -> None:
    """The README helpers themselves, so the README tests cannot pass vacuously."""
    sample = (
        "# mapper\n\n```sh\npython3 -m venv .venv && .venv/bin/pip install -e . && \\\n"
        "  .venv/bin/mapper validate examples/aircraft/sink.json examples/aircraft/records.ndjson\n```\n\n"
        "```bash\n$ python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest -q\n```\n"
        "```python\nimport mapper\n```\n"
    )
    blocks = _fenced_shell_blocks(sample)
    assert len(blocks) == 2
    calls = [a for s in _segments(blocks[0]) if (a := _mapper_args(s)) is not None]
    assert calls == [["validate", "examples/aircraft/sink.json", "examples/aircraft/records.ndjson"]]
    segs = _segments(blocks[1])
    assert [a for s in segs if (a := _pytest_args(s)) is not None] == [["-q"]]
    assert [t for s in segs if (t := _pip_targets(s)) is not None] == [{".[test]"}]
    ci = _segments("set -uo pipefail\npython3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' || exit 1\n.venv/bin/python -m pytest -q\n")
    assert [a for s in ci if (a := _pytest_args(s)) is not None] == [["-q"]]
    assert [t for s in ci if (t := _pip_targets(s)) is not None] == [{".[test]"}]
    assert _mapper_args(["python", "-m", "mapper", "check", "x"]) == ["check", "x"]


def test_ignore_warning_with_workers_keeps_the_first_of_the_other_warnings(tmp_path: Path) -> None:
    # one process left ignored warnings out as they came; the workers' path silenced the
    # merged report afterwards, when its kept warnings were the first 1,000 of every
    # kind: 1,000 kept in one process, 0 with --workers 2 (found by review)
    sink = sinks.id_schema(sinks.column("n", "int"), sinks.column("tags", "strings"))
    sink_path = tmp_path / "sink.json"
    sink_path.write_text(json.dumps(sink))
    lines = [json.dumps({"id": i, "n": 1.5}) for i in range(3000)] + [json.dumps({"id": 3000 + i, "tags": "a,b"}) for i in range(3000)]
    records = tmp_path / "r.ndjson"
    records.write_text("\n".join(lines) + "\n")
    reports = []
    for workers in ("1", "2"):
        p = run("validate", sink_path, records, "--ignore-warning", "float_truncated", "--report", "json", "--workers", workers, timeout=120)
        assert p.returncode == 0, p.stderr
        reports.append(json.loads(p.stdout))
    one, two = reports
    assert len(one["warnings"]) == 1000 and {w["kind"] for w in one["warnings"]} == {"comma_split"}
    assert one["warnings"] == two["warnings"]
    assert one.get("silenced_warnings") == two.get("silenced_warnings")


def test_map_to_a_pipe_closed_early_is_quiet_at_any_size(tmp_path: Path) -> None:
    # (a review: rows held for standard output are written at the end, where a closed pipe
    # became "cannot write standard output: Broken pipe", exit 2: 30,000 small rows fit the pipe)
    from benchmarks.gen import SINK, generate

    src, sink = tmp_path / "many.ndjson", tmp_path / "sink.json"
    src.write_bytes(generate(20_000, "clean") * 7)
    sink.write_text(json.dumps(SINK))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "map", str(sink), str(src), "-o", "-", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == EXIT_OK and err == b"", (proc.returncode, err)


@pytest.mark.parametrize(
    ("argv", "dest", "expected"),
    [
        (["check", "--", "-s.json"], "sink", "-s.json"),
        (["explain", "--", "-s.json"], "sink", "-s.json"),
        (["validate", "-q", "--", "-s.json", "-w.ndjson"], "records", ["-w.ndjson"]),
        (["validate", "s.json", "a.ndjson", "--strict", "--", "-w.ndjson", "--", "-"], "records", ["a.ndjson", "-w.ndjson", "--", "-"]),
        (["map", "s.json", "-o", "out.ndjson", "--", "-w.ndjson"], "records", ["-w.ndjson"]),
        (["infer", "--", "-w.ndjson"], "records", ["-w.ndjson"]),
        (["infer", "a.ndjson", "-q", "--", "-w.ndjson"], "records", ["a.ndjson", "-w.ndjson"]),
        (["bench", "--", "s.json", "-w.ndjson"], "records", ["-w.ndjson"]),
        (["send", "s.json", "--endpoint", "http://localhost:1", "--", "-w.ndjson"], "records", ["-w.ndjson"]),
        (["serve", "--", "-s.json"], "sinks", ["-s.json"]),
        (["spark-validate", "s.json", "-o", "out", "--", "-w.ndjson"], "paths", ["-w.ndjson"]),
    ],
)
def test_every_argument_after_double_dash_is_a_file(argv: list[str], dest: str, expected: Any) -> None:
    # found by a bug hunt: parse_intermixed_args (Python 3.11) took "-w.ndjson" after "--" for an
    # option ("RECORDS required", "unrecognized arguments") for infer, and validate with -- before SINK
    from mapper.cli import parse

    args = parse(argv)
    assert getattr(args, dest) == expected
    assert not any(isinstance(v, str) and "\0" in v for v in vars(args).values())


def test_double_dash_end_to_end(f: Files, tmp_path: Path) -> None:
    dashed = tmp_path / "-w.ndjson"
    dashed.write_bytes(good(1) + b"\n")
    assert run("validate", "-q", "--", f.sink, dashed.name, cwd=tmp_path).returncode == EXIT_OK
    p = run("infer", "-q", "--", dashed.name, cwd=tmp_path)
    assert p.returncode == EXIT_OK and json.loads(p.out)["name"] == "w"
    p = run("check", "--", f.sink, "-x", cwd=tmp_path)
    assert p.returncode == EXIT_USAGE and "unrecognized arguments: -x" in p.err and "\0" not in p.err


def test_a_sink_file_named_like_json_text_is_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a bug hunt) SINK is a file name, but a str starting with [ or { was read as JSON text:
    # `mapper check '[prod].json'` said "not valid JSON: Expecting value at line 1 column 2"
    monkeypatch.chdir(tmp_path)
    for name in ("[prod].json", "{v2}.json"):
        (tmp_path / name).write_bytes(EXAMPLE_SINK.read_bytes())
        for args in (("check", name), ("explain", name), ("validate", name, EXAMPLE_RECORDS), ("map", name, EXAMPLE_RECORDS, "-o", "out.ndjson")):
            proc = run(*args, "-q", cwd=tmp_path) if args[0] in ("validate", "map") else run(*args, cwd=tmp_path)  # (in this process: this checkout's mapper)
            assert proc.returncode == EXIT_OK, (args, proc.out, proc.err)
        # the API reads such a str as JSON text, as it reads records (a Path is always a file), and says how to give the file
        assert mapper.check_sink(Path(name)).valid
        (problem,) = mapper.check_sink(name).problems
        assert problem.code == "invalid-json" and "a pathlib.Path is always a file" in problem.message


def test_explain_and_check_quote_primary_key_fields_so_a_name_stays_on_its_line(tmp_path: Path) -> None:
    # (a bug hunt) the key names were joined raw with "|": a name holding a newline broke
    # explain's comment line (its output no longer Python) and check's, and ["a|b"] read as ["a", "b"]
    # (each a lone string key, not stored: the one column whose name FeatureBase never checks)
    for name, said in (("k\nprint(1)", "'k\\nprint(1)'"), ("a|b", "'a|b'")):
        sink = tmp_path / "s.json"
        sink.write_text(
            json.dumps(sinks.schema(sinks.column(name, "string", path=["p0"]), sinks.column("v", "string", path=["p1"]), primary_key_fields=[name]))
        )
        explain = run("explain", sink)
        assert explain.returncode == EXIT_OK
        compile(explain.out, "explain", "exec")  # every line it adds to the source is a comment
        assert f"_id from primary_key_fields {said};" in explain.out.splitlines()[1]
        check = run("check", sink)
        assert check.returncode == EXIT_OK and f"_id from primary_key_fields {said}; missing fields allowed" in check.out.splitlines()[0]


def test_the_text_report_cuts_a_long_path_in_its_headers(tmp_path: Path) -> None:
    # (a bug hunt) a 3 KB JMESPath path was printed whole in each group's header; the JSON report keeps it whole
    path = "b || '" + "x" * 3000 + "'"
    sink = tmp_path / "s.json"
    sink.write_text(json.dumps(sinks.schema(sinks.column("k", "string"), sinks.column("v", "int", path=path), primary_key_fields=["k"])))
    records = tmp_path / "r.ndjson"
    records.write_bytes(b'{"k": "x", "b": "zz"}\n')
    for group in ("column", "record"):
        proc = run("validate", sink, records, "--group", group)
        assert proc.returncode == EXIT_REJECTED
        (header,) = [line for line in proc.out.splitlines() if "(path " in line]
        assert len(header) < 300 and "...(3,007 characters))" in header, header
    assert json_out(run("validate", sink, records, "--report", "json"))["errors"][0]["path"] == "$." + path


@pytest.mark.parametrize("kind", ["bz2", "xz"])
def test_bzip2_and_xz_inputs_are_unpacked_as_gzip_is(f: Files, tmp_path: Path, kind: str) -> None:
    """Found by a bug hunt: a .bz2 file was read as its compressed bytes (every record
    invalid_json, exit 1), where spark-validate read it. bzip2 and xz by their first
    bytes, whatever the name: a file, stdin, bytes given to the API, several streams."""
    import bz2
    import lzma

    compress = {"bz2": bz2.compress, "xz": lzma.compress}[kind]
    text = f.gz.read_bytes()
    plain = gzip.decompress(text)
    packed = tmp_path / f"records.ndjson.{kind}"
    packed.write_bytes(compress(plain))
    expected = [(r, ln, c) for r, (ln, c) in sorted(MIXED_BAD.items())]
    for p in (run("validate", f.sink, packed, "--report", "json"), run("validate", f.sink, "-", "--report", "json", input=packed.read_bytes())):
        rep = json_out(p)
        assert p.returncode == EXIT_REJECTED and rep["records"] == 6
        assert [(e["record"], e["line"], e["code"]) for e in rep["errors"]] == expected
    twice = tmp_path / f"twice.{kind}"  # (cat a.bz2 b.bz2: two streams, one file)
    twice.write_bytes(compress(plain) * 2)
    m = mapper.compile_sink(f.sink)
    assert m.validate(twice).records == 12 and m.validate(packed.read_bytes()).records == 6
    cut = tmp_path / f"cut.{kind}"
    cut.write_bytes(packed.read_bytes()[:60])
    p = run("validate", f.sink, cut)
    assert p.returncode == EXIT_USAGE and p.err.startswith(f"mapper: cannot read {cut}: ") and "Traceback" not in p.err
    zstd = tmp_path / "records.ndjson.zst"  # the standard library cannot unpack zstd: said, not read as text
    zstd.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(20))
    p = run("validate", f.sink, zstd)
    assert p.returncode == EXIT_USAGE and "zstd-compressed" in p.err


def test_a_command_imports_only_its_own_modules_and_the_help_lists_every_command() -> None:
    # every run imported every command's module (http.client and ssl for send, sqlite3 for
    # serve, Spark's helpers): ~60 ms of a ~300 ms start, in each of a producer's calls
    code = (
        "import sys; from mapper.cli import main; "
        f"code = main(['validate', {str(EXAMPLE_SINK)!r}, {str(EXAMPLE_RECORDS)!r}, '-q']); "
        "print(code, sorted(m for m in ('mapper.send', 'mapper.store', 'mapper.serve', 'mapper.web', 'mapper.spark', "
        "'mapper.bench', 'sqlite3', 'ssl', 'http.client') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.splitlines()[-1] == "0 []", (proc.stdout, proc.stderr)
    listed = run("--help").out
    for name in ("check", "explain", "validate", "map", "infer", "bench", "send", "serve", "spark-validate"):
        assert re.search(rf"^    {name}(  |$)", listed, re.M), listed
        assert run(name, "--help").out.startswith(f"usage: mapper {name} ")
    p = run("nonsense")
    assert p.returncode == EXIT_USAGE and "invalid choice: 'nonsense'" in p.err and "spark-validate" in p.err


@pytest.mark.parametrize("args", [[], ["--"], ["nosuchcommand"], ["-x"], ["validate"], ["check", "--no-such-option"]])
def test_a_usage_error_goes_to_stderr_and_only_an_asked_for_help_to_stdout(args: list[str]) -> None:
    """argparse's convention, for every way of getting the usage: ``--help`` (exit 0) prints it on
    stdout; a usage error (exit 2) prints it on stderr, with a ``mapper: error:`` line, and nothing
    on stdout. ``mapper`` alone printed the whole help on stdout and exited 2, so ``mapper > out``
    put a help text in the file and showed nothing."""
    p = run(*args)
    assert p.returncode == EXIT_USAGE and p.out == "", (p.out, p.err)
    assert p.err.startswith("usage: mapper") and re.search(r"^mapper( \S+)?: error: ", p.err, re.M), p.err
    if not args:  # no command: the help, whose list of commands says what to type
        assert "the following arguments are required: COMMAND" in p.err and re.search(r"^    validate  ", p.err, re.M), p.err
    for asked in (["--help"], ["-h"], ["validate", "--help"]):
        p = run(*asked)
        assert p.returncode == EXIT_OK and p.err == "" and p.out.startswith("usage: mapper"), (asked, p.out, p.err)


#: The text of the ``mapper`` script pip installs for ``[project.scripts]`` (mapper.cli:main).
CONSOLE_SCRIPT = """import re
import sys
from mapper.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


def _interrupt_once_loaded(argv: list[str], loaded: str, delay: float, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Start ``argv`` with a standard input that stays open (a command reading it never ends on
    its own), send it SIGINT ``delay`` s after a shared library whose path holds ``loaded`` shows
    in its ``/proc/PID/maps``, and return its exit status and stderr.

    Why this lands in the imports: numpy maps ``_multiarray_umath`` while ``import mapper``
    imports numpy, and ``_ssl`` is mapped when ``ssl`` is imported, which only ``send``'s parser
    does; each is about half-way through imports that take ~0.5 s (-X importtime), and longer
    on a loaded machine. The real entries are run, nothing is added to them. Every wait is bounded."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    try:
        _wait_loaded(proc, loaded)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=60)
    return proc.returncode, err.decode("utf-8", "replace")


def _wait_loaded(proc: subprocess.Popen, loaded: str) -> None:
    """Until a shared library whose path holds ``loaded`` is mapped in ``proc`` (at most 60 s)."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if loaded in Path(f"/proc/{proc.pid}/maps").read_text():
                return
        except OSError:  # (not readable yet)
            pass
        time.sleep(0.001)
    raise AssertionError(f"{loaded} never loaded (exit {proc.poll()})")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc/PID/maps (Linux)")
@pytest.mark.parametrize(
    "entry, command, loaded, delay",
    [
        ("-m", "validate", "_multiarray_umath", 0),  # in import mapper (python -m mapper imports the package before any of its code runs)
        ("-m", "validate", "_multiarray_umath", 0.1),
        ("script", "validate", "_multiarray_umath", 0),  # the installed script: in its `from mapper.cli import main`
        ("-m", "send", "_ssl", 0),  # in building send's parser, which imports mapper.send (http.client, ssl)
        ("-m", "send", "_ssl", 1),  # (reading the sink: before send takes SIGINT its own way)
        ("-m", "validate", "_multiarray_umath", 3),  # (reading stdin: as before)
    ],
)
def test_ctrl_c_while_the_command_line_imports_its_modules_exits_130_without_a_traceback(
    tmp_path: Path, entry: str, command: str, loaded: str, delay: float
) -> None:
    """Ctrl-C at any moment ends a command with "interrupted" and exit 130, the imports of its start
    included: there it printed a KeyboardInterrupt traceback through numpy's or the standard
    library's imports (and the shell saw the process killed by SIGINT)."""
    sink = str(EXAMPLE_SINK)
    if command == "send":
        # send takes SIGINT its own way once it has read its sink (an interrupted run: "mapper send:
        # stopped: interrupted", exit 2): a SIGINT sent late (this test slowed down on a loaded
        # machine, 1 run in ~50) landed there. The sink is a FIFO nobody writes: its reading waits,
        # after the imports and before send's own handling, for the SIGINT to come.
        sink = str(tmp_path / "sink.json")
        os.mkfifo(sink)
    args = [command, sink, "-", *(["--dry-run"] if command == "send" else [])]
    env = None
    if entry == "-m":
        argv = [sys.executable, "-m", "mapper", *args]
    else:
        script = tmp_path / "mapper"
        script.write_text(CONSOLE_SCRIPT)
        argv = [sys.executable, str(script), *args]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    code, err = _interrupt_once_loaded(argv, loaded, delay, env)
    assert (code, err) == (130, "interrupted\n"), err


def test_a_programs_own_import_mapper_leaves_ctrl_c_alone() -> None:
    """The command line's way with Ctrl-C while it starts is its own: a program importing mapper (or
    calling mapper.cli.main) keeps Python's KeyboardInterrupt."""
    code = (
        "import signal; assert signal.getsignal(signal.SIGINT) is signal.default_int_handler; import mapper, mapper.cli; "
        "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, mapper.cli.main(['check', 'no-such-sink.json']))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.splitlines()[-1] == f"True {EXIT_USAGE}", (proc.stdout, proc.stderr)


def test_a_users_own_program_named_mapper_keeps_its_keyboardinterrupt(tmp_path: Path) -> None:
    """Found in review: a program of one's own named ``mapper`` (not the installed script) that
    imports mapper was taken for the command line: Ctrl-C then ended it at once, its cleanup
    skipped, for its whole life (only mapper.cli.main gives the handler back)."""
    program = tmp_path / "mapper"
    program.write_text(
        "import os, signal, sys\n"
        "import mapper\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    signal.pause() if hasattr(signal, 'pause') else None\n"
        "except KeyboardInterrupt:\n"
        "    print('cleaned up')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "cleaned up\n"), proc.stderr


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc/PID/maps (Linux)")
def test_an_ignored_sigint_stays_ignored_while_the_command_line_starts() -> None:
    """A command started with SIGINT ignored (``nohup``, ``cmd &`` in a script) is not made interruptible."""
    argv = [sys.executable, "-m", "mapper", "validate", str(EXAMPLE_SINK), "-", "-q"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, preexec_fn=_ignore_sigint)
    try:
        _wait_loaded(proc, "_multiarray_umath")
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)  # (and once it reads its input)
        out, err = proc.communicate(EXAMPLE_RECORDS.read_bytes(), timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=60)
    assert proc.returncode == EXIT_OK and b"ACCEPTED" in out and err == b"", (out, err)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_a_sink_given_as_dash_is_read_from_standard_input(tmp_path):
    # mapper infer r.ndjson | mapper check -: SINK "-" read as "no such file: -"
    sink_text = EXAMPLE_SINK.read_bytes()
    checked = run("check", "-", input=sink_text)
    assert checked.returncode == EXIT_OK and checked.out.startswith("ok: sink"), checked.err
    mapped = run("map", "-", EXAMPLE_RECORDS, "-o", tmp_path / "out.npz", "-q", input=sink_text)
    assert mapped.returncode == EXIT_OK, mapped.err
    assert len(mapper.read_batch(tmp_path / "out.npz")) == len(EXAMPLE_RECORDS.read_bytes().splitlines())
    bad = run("check", "-", input=b"{")
    assert bad.returncode == EXIT_USAGE and "not valid JSON" in bad.err + bad.out


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "-"],
        ["validate", "-", "-"],
        ["validate", "-", "/dev/stdin"],
        ["validate", "/dev/stdin"],
        ["send", "-", "-", "--dry-run"],
        ["bench", "-", "-"],
    ],
)
def test_sink_and_records_cannot_both_be_standard_input(args, monkeypatch, capsys):
    # a usage error before anything is read (in this process, with the sink's text as stdin)
    from mapper.cli import main as cli_main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(EXAMPLE_SINK.read_bytes())))
    assert cli_main(args) == EXIT_USAGE
    assert "SINK and RECORDS cannot both be standard input" in capsys.readouterr().err
    assert sys.stdin.buffer.tell() == 0  # nothing was read
