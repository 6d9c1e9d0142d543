"""A differential matrix: the same records through every input form and every door agree.

One set of records (the seed's, edited: exact, lossy, refused, null, missing, non-ASCII,
an invalid UTF-8 byte, CRLF line ends, a line that is no JSON) goes in as NDJSON bytes, a
file, a gzip file, standard input, a JSON array, a request body, documents read with
``records_path``, Python text, dicts, JSON texts, an iterator and a binary stream, and out
through ``Mapper.map``/``validate``, ``iter_batches``, ``workers=2``, ``mapper validate
--report json`` (and ``--rejects``), ``mapper map -o`` (read back), ``mapper bench``,
``Mapper.check``, the ``Batcher``, ``mapper send`` to ``mapper serve``, a body posted to
``serve`` and the web UI's paste. Every door must give the same rows, the same refused
records (index, path, code), the same warnings, and count every record once. Where a form
cannot carry what another does, the difference is spelled out below with the README's words.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

import mapper

ROOT = Path(__file__).resolve().parents[1]
SEED = [json.loads(line) for line in (ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()]
SINK_DOC = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
# allow_missing_fields: true, so the record lacking `speed` is one row leaving it alone, not a discarded batch
SINK_DOC["schema"]["allow_missing_fields"] = True

_DROP = object()


def _edit(i: int, n: int, **data: Any) -> bytes:
    rec = copy.deepcopy(SEED[i % 3])
    rec["id"] = f"r{n}"
    for key, value in data.items():
        if value is _DROP:
            del rec["data"][key]
        else:
            rec["data"][key] = value
    return orjson.dumps(rec)


def _records() -> list[bytes]:
    """The records' JSON texts, one per line (every one a valid JSON text)."""
    out: list[bytes] = []
    edits: list[dict[str, Any]] = [
        {},
        {},
        {},
        {"altitude": 12.9},  # float_truncated
        {"type": 1234567},  # string_from_value
        {"lat": "45.11999"},  # decimal_truncated
        {"altitude": "high"},  # invalid_value
        {"track": 400},  # out_of_range
        {"altitude": None, "reg": None},  # nulls: altitude cleared
        {"speed": _DROP},  # missing
        {"reg": "Zürich✈", "origin": "東京"},  # non-ASCII
        {"reg": "ab\ufffd"},  # replaced below by an invalid UTF-8 byte
        "array",  # not an object
        "data-str",  # not_an_object on the way to data.*
        "null-id",  # invalid_id
        {"altitude": "  42 "},
        {"track": -1},  # out_of_range
    ]
    for n, edit in enumerate(edits):
        if edit == "array":
            out.append(b"[1, 2]")
        elif edit == "data-str":
            rec = json.loads(_edit(n, n))
            rec["data"] = "x"
            out.append(orjson.dumps(rec))
        elif edit == "null-id":
            rec = json.loads(_edit(n, n))
            rec["id"] = None
            out.append(orjson.dumps(rec))
        else:
            assert isinstance(edit, dict)
            out.append(_edit(n, n, **edit))
    out[11] = out[11].replace("ab\ufffd".encode(), b"ab\xff")
    out += [_edit(n, n) for n in range(len(out), len(out) + 6)]
    return out


LINES = _records()
N = len(LINES)
UTF8_RECORD = 11  # the record holding an invalid UTF-8 byte
CRLF = {2, 5, 10}
BROKEN = b'{"id": "bad", "data": {tru}'  # a line that is no JSON: only forms of lines carry it
# NDJSON with CRLF on some lines, a blank line after record 3, and the broken line last (record N)
NDJSON = b"".join(line + (b"\r\n" if i in CRLF else b"\n") + (b"\n" if i == 3 else b"") for i, line in enumerate(LINES)) + BROKEN + b"\n"
NDJSON_LINE = {i: i + 1 + (i > 3) for i in range(N + 1)}  # each record's line in NDJSON
TEXTS = [*LINES, BROKEN]
DICTS = [json.loads(line.decode("utf-8", "replace")) for line in LINES]


def _array() -> bytes:
    # "[" alone on line 1: record i stands on line i + 2, as an array's records stand on the line they start
    return b"[\n" + b",\n".join(LINES) + b"\n]\n"


def _body() -> bytes:
    return b'{"records": [\n' + b",\n".join(b'{"value": ' + line + b"}" for line in LINES) + b"\n]}\n"


def _document() -> bytes:
    return b'{"now": 1, "aircraft": [\n' + b",\n".join(LINES) + b"\n]}\n"


DOC_SIZE = 5


def _documents() -> bytes:
    """NDJSON of documents, DOC_SIZE records in each, one document a line."""
    chunks = [LINES[i : i + DOC_SIZE] for i in range(0, N, DOC_SIZE)]
    # the broken line last: a document that is no JSON is one record refused, the others read on (docs/cli.md, --records-path)
    return b"".join(b'{"aircraft": [' + b", ".join(c) + b"]}\n" for c in chunks) + BROKEN + b"\n"


def sig(report: mapper.Report, shift: int = 0) -> dict[str, Any]:
    """What every door must agree on: refused records (index, path, code), warnings (index, path, kind), counts."""
    return {
        "errors": sorted((e.record + shift, e.path, e.code) for e in report.errors),
        "warnings": sorted((w.record + shift, w.path, w.kind) for w in report.warnings),
        "records": report.records,
        "stored": report.success_count,
    }


def lines_of(report: mapper.Report) -> dict[int, int | None]:
    return {e.record: e.line for e in report.errors} | {w.record: w.line for w in report.warnings}


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK_DOC)


@pytest.fixture(scope="module")
def ref(m: mapper.Mapper) -> dict[str, Any]:
    """The reference: NDJSON bytes through Mapper.map."""
    batch = m.map(NDJSON)
    out = sig(batch.report)
    out["rows"] = batch.to_rows()
    out["index"] = batch.record_index.tolist()
    out["lines"] = lines_of(batch.report)
    return out


def test_the_reference_holds_what_the_matrix_is_about(ref):
    codes = {c for _r, _p, c in ref["errors"]}
    kinds = {k for _r, _p, k in ref["warnings"]}
    assert codes == {"invalid_value", "out_of_range", "not_an_object", "invalid_id", "invalid_json"}
    assert {"float_truncated", "string_from_value", "decimal_truncated", "utf8_replaced", "float_decimal"} <= kinds
    assert ref["records"] == N + 1 == len(ref["rows"]) + len({r for r, _p, _c in ref["errors"]})
    assert ref["lines"][N] == NDJSON_LINE[N] and ref["lines"][UTF8_RECORD] == NDJSON_LINE[UTF8_RECORD]
    row = dict(zip(ref["index"], ref["rows"]))
    assert row[10]["reg"] == "Zürich✈" and row[UTF8_RECORD]["reg"] == "ab\ufffd" and "speed" not in row[9]


def without(ref: dict[str, Any], *, records: set[int] = frozenset(), warnings: set[tuple[int, str]] = frozenset()) -> dict[str, Any]:
    """The reference less what a form cannot carry: whole records (at the end) and some warnings."""
    out = dict(ref)
    out["errors"] = [e for e in ref["errors"] if e[0] not in records]
    out["warnings"] = [w for w in ref["warnings"] if w[0] not in records and (w[0], w[2]) not in warnings]
    out["records"] = ref["records"] - len(records)
    out["rows"] = [r for r, i in zip(ref["rows"], ref["index"]) if i not in records]
    out["index"] = [i for i in ref["index"] if i not in records]
    return out


# A JSON array, a request body, a document or Python dicts cannot hold a line that is no
# JSON (one broken record breaks the whole document: docs/formats.md, *Inputs*), so those forms
# carry the records less the broken line, which stands last so no index moves.
NO_BROKEN = {N}
# A Python dict or str holds text, not bytes: the invalid byte is U+FFFD there already, which
# is a character like any other (README, *Types and coercions*: invalid UTF-8 "becomes U+FFFD";
# only the bytes carry the warning), so the row is the same and the `utf8_replaced` warning is not.
NO_UTF8_WARNING = {(UTF8_RECORD, "utf8_replaced")}


def _full(batch: mapper.Batch, shift: int = 0) -> dict[str, Any]:
    out = sig(batch.report, shift)
    out["rows"] = batch.to_rows()
    out["index"] = [i + shift for i in batch.record_index.tolist()]
    return out


def _same(got: dict[str, Any], want: dict[str, Any]) -> None:
    for key in ("errors", "warnings", "records", "stored", "rows", "index"):
        if key in got:
            assert got[key] == want[key], key
    if "records" in got and "index" in got:
        assert got["records"] == len(got["index"]) + len({e[0] for e in got["errors"]})


def _forms(tmp: Path) -> dict[str, tuple[Any, dict[str, Any], set[int], set[tuple[int, str]]]]:
    """name -> (records, map options, records left out, warnings left out)."""
    (tmp / "r.ndjson").write_bytes(NDJSON)
    (tmp / "r.ndjson.gz").write_bytes(gzip.compress(NDJSON))
    return {
        "ndjson bytes": (NDJSON, {}, set(), set()),
        "ndjson file": (tmp / "r.ndjson", {}, set(), set()),
        "ndjson file str": (str(tmp / "r.ndjson"), {}, set(), set()),
        "gz file": (tmp / "r.ndjson.gz", {}, set(), set()),
        "binary stream": (io.BytesIO(NDJSON), {}, set(), set()),
        "ndjson str": (NDJSON.decode("utf-8", "replace"), {}, set(), NO_UTF8_WARNING),
        "json array": (_array(), {}, NO_BROKEN, set()),
        "request body": (_body(), {"input_format": "endpoint"}, NO_BROKEN, set()),
        "request body detected": (_body(), {}, NO_BROKEN, set()),
        "document": (_document(), {"records_path": "aircraft"}, NO_BROKEN, set()),
        "ndjson of documents": (_documents(), {"records_path": "aircraft"}, set(), set()),
        "document texts": (_documents().splitlines(), {"records_path": "aircraft"}, set(), set()),
        "dicts": (DICTS, {}, NO_BROKEN, NO_UTF8_WARNING),
        "iterator of dicts": (iter(copy.deepcopy(DICTS)), {}, NO_BROKEN, NO_UTF8_WARNING),
        # a Python request body (read as its JSON text: docs/formats.md, *Inputs*) and Python documents
        "python request body": ({"records": [{"value": d} for d in copy.deepcopy(DICTS)]}, {"input_format": "endpoint"}, NO_BROKEN, NO_UTF8_WARNING),
        "python documents": ([{"aircraft": DICTS[i : i + DOC_SIZE]} for i in range(0, N, DOC_SIZE)], {"records_path": "aircraft"}, NO_BROKEN, NO_UTF8_WARNING),
        "json texts (bytes)": (list(TEXTS), {}, set(), set()),
        "json texts (str)": ([t.decode("utf-8", "replace") for t in TEXTS], {}, set(), NO_UTF8_WARNING),
    }


FORM_NAMES = [
    "ndjson bytes",
    "ndjson file",
    "ndjson file str",
    "gz file",
    "binary stream",
    "ndjson str",
    "json array",
    "request body",
    "request body detected",
    "document",
    "ndjson of documents",
    "document texts",
    "dicts",
    "iterator of dicts",
    "python request body",
    "python documents",
    "json texts (bytes)",
    "json texts (str)",
]


@pytest.mark.parametrize("form", FORM_NAMES)
def test_map_validate_and_iter_batches_agree_on_every_form(m, ref, tmp_path, form):
    records, opts, gone, silent = _forms(tmp_path)[form]
    want = without(ref, records=gone, warnings=silent)
    _same(_full(m.map(records, **opts)), want)
    records, opts, _, _ = _forms(tmp_path)[form]  # (a stream or an iterator is read once)
    _same(_full(m.map(records, workers=2, **opts)), want)  # (workers map a regular NDJSON file; the others in one process)
    records, opts, _, _ = _forms(tmp_path)[form]
    got = sig(m.validate(records, **opts))
    _same(got, want)
    records, opts, _, _ = _forms(tmp_path)[form]
    parts = [_full(b, shift=k * 7) for k, b in enumerate(m.iter_batches(records, records=7, **opts))]
    joined = {
        "errors": sorted(e for p in parts for e in p["errors"]),
        "warnings": sorted(w for p in parts for w in p["warnings"]),
        "records": sum(p["records"] for p in parts),
        "stored": sum(p["stored"] for p in parts),
        "rows": [r for p in parts for r in p["rows"]],
        "index": [i for p in parts for i in p["index"]],
    }
    assert all(p["records"] == 7 for p in parts[:-1])
    _same(joined, want)


# Where each form places a record: NDJSON by its line (blank lines counted), an array, a
# body or a document by the line its record (or its "value") starts on (docs/formats.md, *Inputs*),
# NDJSON of documents by its document's line; Python records (dicts) have no lines (None); JSON
# texts are numbered as the NDJSON they would make, with records_path or without (docs/python-api.md).
def _expected_line(form: str, i: int) -> int | None:
    if form in ("json array", "request body", "request body detected", "document"):
        return i + 2
    if form in ("ndjson of documents", "document texts"):
        return i // DOC_SIZE + 1 if i < N else -(-N // DOC_SIZE) + 1  # (the broken line: after the last document)
    if form in ("json texts (bytes)", "json texts (str)"):
        return i + 1  # (one text a line, the broken one last)
    if form in ("dicts", "iterator of dicts", "python request body", "python documents"):
        return None
    if form == "two files":
        return NDJSON_LINE[i] - (SPLIT_LINE if i >= 12 else 0)
    return NDJSON_LINE[i]


@pytest.mark.parametrize("form", FORM_NAMES)
def test_each_form_places_records_on_their_lines(m, ref, tmp_path, form):
    records, opts, _gone, _silent = _forms(tmp_path)[form]
    placed = lines_of(m.validate(records, **opts))
    assert placed, form
    assert placed == {i: _expected_line(form, i) for i in placed}


def test_workers_map_a_file_as_one_process_does(m, ref, tmp_path):
    path = tmp_path / "r.ndjson"
    path.write_bytes(NDJSON)
    _same(_full(m.map(path, workers=2)), ref)
    report = m.validate(path, workers=2)
    _same(sig(report), ref)
    assert lines_of(report) == ref["lines"]


@pytest.mark.parametrize("strict", [False, True])
def test_the_batcher_accepts_the_rows_map_stores(m, ref, strict):
    if strict:
        ref = _full(m.map(NDJSON, strict=True))
    dict_ref = _full(m.map(DICTS, strict=True)) if strict else without(ref, records=NO_BROKEN, warnings=NO_UTF8_WARNING)
    for records, want in ((TEXTS, ref), (DICTS, dict_ref)):
        batcher = mapper.Batcher(m, max_records=4, strict=strict)
        verdicts = [batcher.add(r) for r in records]
        bodies = batcher.ready() + batcher.flush()
        accepted = [v.index for v in verdicts if v.accepted]
        refused = sorted((v.index, e.path, e.code) for v in verdicts for e in v.errors)
        assert accepted == want["index"]
        assert refused == want["errors"]
        assert [i for b in bodies for i in b.indices] == accepted
        rows = [row for b in bodies for row in b.to_batch().to_rows()]
        assert rows == want["rows"]
        assert len(records) == len(accepted) + len({e[0] for e in refused})
        # the warnings the engine gives the bodies' records are the batch's, less the refused records'
        shift = 0
        warned = []
        for b in bodies:
            warned += [(b.indices[w.record], w.path, w.kind) for w in b.to_batch().report.warnings]
            shift += b.count
        refused_ids = {e[0] for e in want["errors"]}
        assert sorted(warned) == [w for w in want["warnings"] if w[0] not in refused_ids]


# ---------------------------------------------------------------------------------------
# The command line: one process per run, all started at once


SPLIT_LINE = NDJSON_LINE[12] - 1  # the first file ends before record 12's line


SUBPROCESS_RUNS = {"validate stdin", "validate workers", "map workers arrow"}  # (standard input, and workers, need a process of their own)


def _cli_runs(tmp: Path) -> dict[str, tuple[list[str], bytes | None]]:
    (tmp / "sink.json").write_text(json.dumps(SINK_DOC))
    (tmp / "r.ndjson").write_bytes(NDJSON)
    (tmp / "r.ndjson.gz").write_bytes(gzip.compress(NDJSON))
    (tmp / "a.json").write_bytes(_array())
    (tmp / "b.json").write_bytes(_body())
    (tmp / "d.json").write_bytes(_document())
    (tmp / "docs.ndjson").write_bytes(_documents())
    # two files, the second gzip: record indices go on, lines restart (docs/formats.md, *Inputs*: several RECORDS files)
    head, tail = NDJSON.split(b"\n")[:SPLIT_LINE], NDJSON.split(b"\n")[SPLIT_LINE:]
    (tmp / "p1.ndjson").write_bytes(b"\n".join(head) + b"\n")
    (tmp / "p2.ndjson.gz").write_bytes(gzip.compress(b"\n".join(tail)))
    sink = str(tmp / "sink.json")
    report = ["--report", "json", "-q"]
    runs: dict[str, tuple[list[str], bytes | None]] = {
        "validate ndjson file": (["validate", sink, str(tmp / "r.ndjson"), "--rejects", str(tmp / "rejects-ndjson-file.ndjson"), *report], None),
        "validate gz file": (["validate", sink, str(tmp / "r.ndjson.gz"), *report], None),
        "validate stdin": (["validate", sink, "-", *report], NDJSON),
        "validate json array": (["validate", sink, str(tmp / "a.json"), *report], None),
        "validate request body": (
            ["validate", sink, str(tmp / "b.json"), "--input-format", "endpoint", "--rejects", str(tmp / "rejects-request-body.ndjson"), *report],
            None,
        ),
        "validate document": (["validate", sink, str(tmp / "d.json"), "--records-path", "aircraft", *report], None),
        "validate ndjson of documents": (
            ["validate", sink, str(tmp / "docs.ndjson"), "--records-path", "aircraft", "--rejects", str(tmp / "rejects-ndjson-of-documents.ndjson"), *report],
            None,
        ),
        "validate two files": (["validate", sink, str(tmp / "p1.ndjson"), str(tmp / "p2.ndjson.gz"), *report], None),
        "validate workers": (["validate", sink, str(tmp / "r.ndjson"), "--workers", "2", "--rejects", str(tmp / "rejects-workers.ndjson"), *report], None),
        "bench": (["bench", sink, str(tmp / "r.ndjson"), "--repeat", "1", "--json", "-", "-q"], None),
    }
    for ext in ("npz", "arrow", "parquet", "ndjson"):
        runs[f"map {ext}"] = (["map", sink, str(tmp / "r.ndjson"), "-q", "-o", str(tmp / f"out.{ext}")], None)
    runs["map body npz"] = (["map", sink, str(tmp / "b.json"), "--input-format", "endpoint", "-q", "-o", str(tmp / "body.npz")], None)
    runs["map documents parquet"] = (["map", sink, str(tmp / "docs.ndjson"), "--records-path", "aircraft", "-q", "-o", str(tmp / "docs.parquet")], None)
    runs["map workers arrow"] = (["map", sink, str(tmp / "r.ndjson"), "--workers", "2", "-q", "-o", str(tmp / "workers.arrow")], None)
    return runs


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory) -> tuple[Path, dict[str, tuple[int, bytes, str]]]:
    """(exit status, stdout, stderr) of each run: standard input and workers in a process, the others in this one."""
    from mapper.cli import main

    tmp = tmp_path_factory.mktemp("cli")
    runs = _cli_runs(tmp)
    procs = {
        name: subprocess.Popen([sys.executable, "-m", "mapper", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        for name, (args, _stdin) in runs.items()
        if name in SUBPROCESS_RUNS
    }
    out = {}
    for name, (args, _stdin) in runs.items():
        if name in SUBPROCESS_RUNS:
            continue
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = main(args)
        out[name] = (rc, stdout.getvalue().encode(), stderr.getvalue())
    for name, proc in procs.items():
        stdout_b, stderr_b = proc.communicate(runs[name][1] or b"", timeout=60)
        out[name] = (proc.returncode, stdout_b, stderr_b.decode("utf-8", "replace"))
    for name, (_rc, _stdout, stderr_text) in out.items():
        assert "Traceback" not in stderr_text, (name, stderr_text)
    return tmp, out


WITH_REJECTS = {"validate ndjson file", "validate request body", "validate workers", "validate ndjson of documents"}
CLI_FORMS = {
    "validate ndjson file": ("ndjson file", set(), set()),
    "validate gz file": ("gz file", set(), set()),
    "validate stdin": ("ndjson bytes", set(), set()),
    "validate json array": ("json array", NO_BROKEN, set()),
    "validate request body": ("request body", NO_BROKEN, set()),
    "validate document": ("document", NO_BROKEN, set()),
    "validate ndjson of documents": ("ndjson of documents", set(), set()),
    "validate workers": ("ndjson file", set(), set()),
    "validate two files": ("two files", set(), set()),
}


@pytest.mark.parametrize("run", list(CLI_FORMS))
def test_cli_validate_reports_as_the_api_does(ref, cli_runs, run):
    tmp, runs = cli_runs
    rc, stdout, stderr = runs[run]
    form, gone, silent = CLI_FORMS[run]
    want = without(ref, records=gone, warnings=silent)
    assert rc == 1, stderr
    report = json.loads(stdout)
    got = {
        "errors": sorted((e["record"], e["path"], e["code"]) for e in report["errors"]),
        "warnings": sorted((w["record"], w["path"], w["kind"]) for w in report["warnings"]),
        "records": report["records"],
        "stored": report["success_count"],
    }
    _same(got, want)
    assert report["records"] == report["success_count"] + report["error_count"]
    placed = {e["record"]: e["line"] for e in report["errors"]} | {w["record"]: w["line"] for w in report["warnings"]}
    assert placed == {i: _expected_line(form, i) for i in placed}
    if form == "two files":
        named = {e["record"]: Path(e["file"]).name for e in report["errors"]} | {w["record"]: Path(w["file"]).name for w in report["warnings"]}
        assert named == {i: "p1.ndjson" if i < 12 else "p2.ndjson.gz" for i in named}
    letters_file = tmp / f"rejects-{run.split(' ', 1)[1].replace(' ', '-')}.ndjson"
    assert letters_file.exists() == (run in WITH_REJECTS)
    if run in WITH_REJECTS:  # the dead letters: each refused record once, its raw text as it came, on its line
        letters = [json.loads(line) for line in letters_file.read_bytes().splitlines()]
        assert sorted((d["record"], e["path"], e["code"]) for d in letters for e in d["errors"]) == want["errors"]
        assert all(d["raw"].encode() == TEXTS[d["record"]] and d["line"] == _expected_line(form, d["record"]) for d in letters)


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet", "ndjson"])
def test_cli_map_writes_the_rows_map_makes(ref, cli_runs, ext):
    tmp, runs = cli_runs
    rc, _stdout, stderr = runs[f"map {ext}"]
    assert rc == 1, stderr
    path = tmp / f"out.{ext}"
    if ext == "ndjson":  # rows, which hold no batch to read back (docs/formats.md, *Output files*): compared as rows
        assert [json.loads(line) for line in path.read_bytes().splitlines()] == ref["rows"]
        return
    batch = mapper.read_batch(path)
    assert batch.to_rows() == ref["rows"]
    assert batch.record_index.tolist() == ref["index"]


@pytest.mark.parametrize(
    ("run", "out", "gone"),
    [("map body npz", "body.npz", NO_BROKEN), ("map documents parquet", "docs.parquet", set()), ("map workers arrow", "workers.arrow", set())],
)
def test_cli_map_of_other_forms_writes_the_rows_map_makes(ref, cli_runs, run, out, gone):
    tmp, runs = cli_runs
    rc, _stdout, stderr = runs[run]
    assert rc == 1, stderr
    batch = mapper.read_batch(tmp / out)
    want = without(ref, records=gone)
    assert (batch.to_rows(), batch.record_index.tolist()) == (want["rows"], want["index"])


def test_cli_bench_counts_the_records_validate_counts(ref, cli_runs):
    _tmp, runs = cli_runs
    rc, stdout, stderr = runs["bench"]
    assert rc == 0, stderr
    figures = json.loads(stdout)
    assert figures["records"] == ref["records"]
    assert figures["mapper"]["stored"] == ref["stored"]
    assert figures["bytes"] == len(NDJSON)


# send's dead letters name each record's line as validate does: in a JSON array or a request
# body, the line it (or its "value") starts on (they said null there: docs/send-serve.md)
@pytest.mark.parametrize("form", ["ndjson file", "json array", "request body"])
def test_send_to_serve_stores_the_rows_map_makes(ref, tmp_path, form):
    from mapper.cli import main
    from mapper.serve import App, Server
    from mapper.store import Store

    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK_DOC))
    source = tmp_path / "r.in"
    source.write_bytes({"ndjson file": NDJSON, "json array": _array(), "request body": _body()}[form])
    want = without(ref, records=set() if form == "ndjson file" else NO_BROKEN)
    rejects = tmp_path / "rejects.ndjson"
    store = Store(tmp_path / "serve.db")
    store.create_sink(SINK_DOC, exist_ok=True)
    server = Server(App(store)).start()
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            rc = main(
                [
                    "send",
                    str(sink),
                    str(source),
                    "--endpoint",
                    f"{server.url}/v2/sinks/{SINK_DOC['name']}",
                    "--body-records",
                    "5",
                    "--rejects",
                    str(rejects),
                    "--report",
                    "json",
                    "--timeout",
                    "5",
                ]
            )
        stored = list(store.iter_rows(SINK_DOC["name"]))
    finally:
        server.stop()
        store.close()
    assert rc == 1
    totals = json.loads(out.getvalue().strip().splitlines()[-1])
    assert stored == want["rows"]  # (every id differs: one row per record, in order)
    assert (totals["records"], totals["stored"], totals["refused_prevalidation"], totals["refused_service"]) == (
        want["records"],
        len(want["rows"]),
        len({e[0] for e in want["errors"]}),
        0,
    )
    letters = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert sorted((d["record"], e["path"], e["code"]) for d in letters for e in d["errors"]) == want["errors"]
    assert {d["record"]: d["line"] for d in letters} == {d["record"]: _expected_line(form, d["record"]) for d in letters}


def test_check_judges_each_record_as_the_batch_does(m, ref):
    for records, want in (
        (TEXTS, ref),
        ([t.decode("utf-8", "replace") for t in TEXTS], without(ref, warnings=NO_UTF8_WARNING)),
        (DICTS, without(ref, records=NO_BROKEN, warnings=NO_UTF8_WARNING)),
    ):
        problems = [(i, p) for i, r in enumerate(records) for p in m.check(r)]
        assert sorted((i, p.path, p.code) for i, p in problems if p.severity == "error") == want["errors"]
        assert sorted((i, p.path, p.kind) for i, p in problems if p.severity == "warning") == want["warnings"]


@pytest.mark.parametrize("policy", [{"strict": True}, {"on_error": "reject"}, {"on_error": "skip", "max_errors": 3}, {"on_error": "skip"}])
@pytest.mark.parametrize("form", FORM_NAMES)
def test_every_form_keeps_the_batch_policy(m, tmp_path, form, policy):
    reference = m.validate(NDJSON, **policy)
    records, opts, gone, silent = _forms(tmp_path)[form]
    got = m.validate(records, **opts, **policy)
    want = without(dict(sig(reference), rows=[], index=[]), records=gone, warnings=silent)
    if silent and policy.get("strict"):
        # under strict the invalid byte refuses its record at `$` (docs/types.md, *Warnings*); text that
        # holds U+FFFD instead has nothing to refuse there (the record fails for its lossy decimals all the same)
        want["errors"] = [e for e in want["errors"] if (e[0], e[1], e[2]) != (UTF8_RECORD, "$", "lossy_value")]
    assert sig(got) == {k: want[k] for k in ("errors", "warnings", "records", "stored")}
    assert got.verdict == reference.verdict
    answer, expected = got.endpoint_answer(), reference.endpoint_answer()
    assert [r.get("error_code") for r in answer["records"]] == [r.get("error_code") for r in expected["records"]][: got.records]


def test_serve_answers_a_posted_body_as_validate_predicts(m, ref, tmp_path):
    import http.client

    from mapper.serve import App, Server
    from mapper.store import Store

    body = _body()
    want = without(ref, records=NO_BROKEN)
    predicted = m.validate(body, input_format="endpoint").endpoint_answer()
    store = Store(tmp_path / "serve.db")
    store.create_sink(SINK_DOC, exist_ok=True)
    server = Server(App(store)).start()
    try:
        host, port = server.url.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("POST", f"/v2/sinks/{SINK_DOC['name']}", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        status, answer = resp.status, json.loads(resp.read())
        conn.close()
        stored = list(store.iter_rows(SINK_DOC["name"]))
    finally:
        server.stop()
        store.close()
    assert status == 200
    assert (
        (answer["success_count"], answer["error_count"]) == (predicted["success_count"], predicted["error_count"]) == (len(want["rows"]), N - len(want["rows"]))
    )
    assert answer["records"] == predicted["records"]
    assert stored == want["rows"]


@pytest.mark.parametrize("paste", ["ndjson", "request body", "json array"])
def test_the_web_ui_paste_sends_the_records_as_validate_judges_them(m, ref, tmp_path, paste):
    import http.client

    from mapper.serve import App, Server
    from mapper.store import Store
    from mapper.web import install, load_catalog

    # the page takes text: the invalid byte is U+FFFD there already, and a line that is no JSON
    # stops the whole paste (nothing sent), so the paste carries the records less the broken line
    text = {"ndjson": NDJSON[: -len(BROKEN) - 1], "request body": _body(), "json array": _array()}[paste].decode("utf-8", "replace")
    want = without(ref, records=NO_BROKEN, warnings=NO_UTF8_WARNING)
    store = Store(":memory:")
    store.create_sink(SINK_DOC, exist_ok=True)
    app = App(store)
    install(app, load_catalog([]))
    server = Server(app).start()
    try:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        conn.request("POST", f"/ui/api/sinks/{SINK_DOC['name']}/send", body=json.dumps({"text": text}), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        status, answer = resp.status, json.loads(resp.read())
        conn.close()
        stored = list(store.iter_rows(SINK_DOC["name"]))
    finally:
        server.stop()
        store.close()
    assert status == 200, answer
    assert stored == want["rows"]
    assert (answer["written"], answer["not_sent"], len(answer["records"])) == (len(want["rows"]), 0, N)
    assert [r["index"] for r in answer["records"] if r["status"] == "success"] == want["index"]
    assert sorted((e["record"], e["path"], e["code"]) for e in answer["errors"]) == want["errors"]
    assert sorted((w["record"], w["path"], w["kind"]) for w in answer["warnings"]) == want["warnings"]
    form = {"ndjson": "ndjson bytes", "request body": "request body", "json array": "json array"}[paste]
    assert all(r["line"] == _expected_line(form, r["index"]) for r in answer["records"])


def test_a_missing_value_under_allow_missing_fields_false_discards_what_each_door_sends_at_once():
    # README, *The batch policy*: under allow_missing_fields: false a record lacking a mapped value makes the
    # endpoint discard the whole batch (validate: `discarded`, every record counted as failed); iter_batches
    # decides each batch alone ("a batch the endpoint would discard comes out with no rows ... and the next
    # goes on"); the Batcher keeps such a record out of its bodies (`missing`), as `--on-error skip` does
    doc = copy.deepcopy(SINK_DOC)
    doc["schema"]["allow_missing_fields"] = False
    strict_sink = mapper.compile_sink(doc)
    missing = 9  # the record lacking data.speed
    report = strict_sink.validate(NDJSON)
    assert (report.verdict, report.records, report.success_count, report.error_count) == ("discarded", N + 1, 0, N + 1)
    assert [(e.record, e.code) for e in report.errors if e.code == "missing"] == [(missing, "missing")]
    skipped = strict_sink.validate(NDJSON, on_error="skip")
    batches = list(strict_sink.iter_batches(NDJSON, records=7))
    assert [b.report.verdict == "discarded" for b in batches] == [k == missing // 7 for k in range(len(batches))]
    kept = [i + 7 * k for k, b in enumerate(batches) for i in b.record_index.tolist()]
    assert kept == [i for i in range(N + 1) if i // 7 != missing // 7 and i not in {e.record for e in skipped.errors}]
    batcher = mapper.Batcher(strict_sink, max_records=100)
    verdicts = [batcher.add(text) for text in TEXTS]
    assert sorted((v.index, e.code) for v in verdicts for e in v.errors) == sorted((e.record, e.code) for e in skipped.errors)
    accepted = [v.index for v in verdicts if v.accepted]
    assert sum(b.count for b in batcher.flush()) == skipped.success_count == len(accepted)
    assert missing not in accepted


@pytest.mark.parametrize("lead", [b"  ", b"\t", b"\n  ", b" \r\n\t"])
def test_check_and_the_batcher_place_a_char_as_validate_does_after_blanks_before_the_text(m, lead):
    # docs/formats.md, *Inputs*: an error's char counts from the start of the line the record stands on, what
    # stands before it counting; check and Batcher.add dropped a text's leading blanks first, so
    # their char was short by them (24 where validate of the same text said 26)
    broken, replaced = lead + BROKEN, lead + LINES[UTF8_RECORD]
    want = [e.reason for e in m.validate([broken]).errors]
    assert len(want) == 1 and "char" in want[0]
    assert [p.reason for p in m.check(broken)] == want
    assert [p.reason for p in m.check(broken.decode())] == want
    assert [e.reason for e in mapper.Batcher(m).add(broken).errors] == want
    sent = [w.sent for w in m.validate([replaced]).warnings if w.kind == "utf8_replaced"]
    assert len(sent) == 1 and "char" in sent[0]
    assert [p.sent for p in m.check(replaced) if p.severity == "warning" and p.kind == "utf8_replaced"] == sent


@pytest.mark.parametrize("lead", [b"  ", b"\n\t"])
def test_a_strict_batcher_places_a_replaced_byte_as_validate_does_after_blanks(m, lead):
    # the strict Batcher judged the text without the blanks before it: `byte 0xff at char 178` where
    # strict validate (and check) of the same text said 181
    text = lead + LINES[UTF8_RECORD]
    want = [e.reason for e in m.validate([text], strict=True).errors if e.path == "$"]
    assert len(want) == 1 and "char" in want[0]
    assert [e.reason for e in m.check(text, strict=True) if e.path == "$"] == want
    assert [e.reason for e in mapper.Batcher(m, strict=True).add(text).errors if e.path == "$"] == want
    assert [e.reason for v in mapper.Batcher(m, strict=True).add_many([text]) for e in v.errors if e.path == "$"] == want
    batcher = mapper.Batcher(m)
    assert batcher.add(lead + LINES[0]).accepted
    assert batcher.flush()[0].raws == [LINES[0]]  # (what is sent: the text without the blanks)
