"""Golden mapping cases: tests/cases/mapping/<case>/{sink.json, records.ndjson, expected.json, options.json}.

``expected.json`` says whether the batch is accepted (not discarded) and, where it
matters, the verdict (accepted, partial, refused, discarded), the canonical rows, and
every error (record, line, column, code, and a ``message`` substring: required) and
warning (record, column, kind, and the sent/stored pair: required). Cases about the ingester's edge cases
also carry ``ingester``: what FeatureBase's ingester does with each record, with the
source it was read from. Each case runs five ways that must agree: NDJSON on the fast
path, NDJSON on the careful path only, a JSON array and the endpoint's request body
(both built from the records' exact text), and Python dicts (unless ``text_only``: the
case depends on how a number is spelled, which a dict cannot carry).
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from sinks import column, id_schema, schema

import mapper
from mapper.report import Report

CASES = sorted(p for p in (Path(__file__).parent / "cases" / "mapping").iterdir() if p.is_dir())


def load_case(path: Path):
    sink = mapper.load_sink(path / "sink.json")
    records = (path / "records.ndjson").read_bytes()
    expected = json.loads((path / "expected.json").read_text())
    options = json.loads((path / "options.json").read_text()) if (path / "options.json").exists() else {}
    return sink, records, expected, options


def outcome(m: mapper.Mapper, records, options, *, lines=True):
    """(verdict, rows or None, errors, warnings) in the expected.json shape."""
    try:
        batch = m.map(records, **options)
        rows, report = batch.to_rows(), batch.report
    except mapper.BatchRejected as exc:
        rows, report = None, exc.report
    return report.verdict, rows, errors_of(report, lines), warnings_of(report)


def errors_of(report: Report, lines: bool = True):
    out = []
    for e in report.errors:
        item = {"record": e.record, "column": e.column, "code": e.code, "message": e.message}
        if lines:
            item["line"] = e.line
        out.append(item)
    return sorted(out, key=lambda d: (d["record"], str(d["column"])))


def warnings_of(report: Report):
    return sorted(
        ({"record": w.record, "column": w.column, "kind": w.kind, "sent": w.sent, "stored": w.stored} for w in report.warnings),
        key=lambda d: (d["record"], str(d["column"]), d["kind"]),
    )


def compare(expected, got, lines=True):
    verdict, rows, errors, warnings = got
    assert (verdict != "discarded") == expected["accepted"]
    if "verdict" in expected:
        assert verdict == expected["verdict"]
    if "rows" in expected:
        assert rows == expected["rows"]
    want_errors = sorted(
        ({k: v for k, v in e.items() if lines or k != "line"} for e in expected.get("errors", [])),
        key=lambda d: (d["record"], str(d["column"])),
    )
    assert len(errors) == len(want_errors), (errors, want_errors)
    for got, want in zip(errors, want_errors):
        message = got.pop("message")
        assert want.get("message"), f"expected.json gives no message substring for {want}"
        assert want["message"] in message, (message, want)
        assert got == {k: v for k, v in want.items() if k != "message"}
    want_warnings = expected.get("warnings", [])
    assert len(warnings) == len(want_warnings)
    for w, want in zip(warnings, sorted(want_warnings, key=lambda d: (d["record"], str(d["column"]), d["kind"]))):
        assert "sent" in want and "stored" in want, f"expected.json gives no sent/stored pair for {want}"
        for key, value in want.items():
            assert w[key] == value, (key, w, want)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_ndjson(case: Path):
    sink, records, expected, options = load_case(case)
    compare(expected, outcome(mapper.compile_sink(sink), records, options))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_careful_path_agrees(case: Path):
    sink, records, expected, options = load_case(case)
    compare(expected, outcome(mapper.compile_sink(sink), records, dict(options, fast=False)))


def _json_records(records: bytes):
    """The records' lines and their decoded values, or None when some line is not JSON."""
    lines, objs = [], []
    for line in records.split(b"\n"):
        line = line.strip(b" \t\r")
        if line:
            try:
                objs.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                return None
            lines.append(line)
    return lines, objs


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_json_array_and_endpoint_body(case: Path):
    sink, records, expected, options = load_case(case)
    parsed = _json_records(records)
    if parsed is None:
        pytest.skip("the case's records are not all JSON")
    lines, objs = parsed
    m = mapper.compile_sink(sink)
    array = b"[" + b",\n".join(lines) + b"]"
    body = b'{"records": [' + b", ".join(b'{"value": ' + line + b"}" for line in lines) + b"]}"
    compare(expected, outcome(m, array, options, lines=False), lines=False)
    compare(expected, outcome(m, body, options, lines=False), lines=False)
    if not expected.get("text_only"):
        compare(expected, outcome(m, objs, options, lines=False), lines=False)


def test_generated_code_is_debuggable_and_holds_no_key_text():
    import inspect
    import linecache

    long_key = "k" * 10_000
    hostile = "]); __import__('os').system('echo pwned') #"
    sink = id_schema(
        column("long", "int", path=["a", long_key]), column("hostile", "string", path=[hostile]), column("uni", "string", path=["d\u00e9j\u00e0", "\u4e2d"])
    )
    m = mapper.compile_sink(sink)
    assert m.fast_unavailable is None  # these keys are fine for the fast path too
    assert m.filename.startswith("<mapper generated sink ")
    assert linecache.getlines(m.filename) == m.source.splitlines(True)
    assert inspect.getsource(m.walk).startswith("def walk(")
    for text in (long_key, hostile, "pwned", "d\u00e9j\u00e0"):
        assert text not in m.source
    record = {"id": 1, "a": {long_key: 7}, hostile: "x", "d\u00e9j\u00e0": {"\u4e2d": "y"}}
    for fast in (True, False):
        rows = m.map(json.dumps(record) + "\n", fast=fast).to_rows()
        assert rows == [{"_id": 1, "long": 7, "hostile": "x", "uni": "y"}]


def test_not_an_object_message_names_the_element_as_the_ingester_does():
    m = mapper.compile_sink(schema(column("k", "id"), column("a", "int", path=["data", "a"]), id_field="k"))
    report = m.validate(b'{"k": 1, "data": 5}\n')
    assert report.errors[0].code == "not_an_object"
    assert report.errors[0].message.startswith('element at ["data"] is not an object (got `int` 5) - at `$.data.a` (record 0, line 1, column "a")')
