"""Fuzzing the invariants (issue 11): hypothesis over raw input bytes and over sink definitions.

Whatever the input:
* only ``mapper.MapperError`` escapes the API (and never a traceback the CLI);
* every record ends as a row or a refused record: ``rows + refused == records``;
* a refused record's raw text is its input line exactly (only a CRLF's CR dropped);
* the CLI's exit code means what the README says: 0 every record stored, 1 some
  refused, 2 usage / unreadable input / invalid sink.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sinks import column, schema

import mapper
from tests.cli_inproc import run_main

ROOT = Path(__file__).parents[1]

SINK = schema(
    column("k", "string"),
    column("n", "int", path=["d", "n"], Min=-100, Max=100),
    column("x", "decimal", path=["d", "x"], Scale=2),
    column("b", "bool"),
    column("t", "timestamp", Unit="s"),
    column("ss", "strings"),
    column("s", "string", Mutex=True),
    primary_key_fields=["k"],
)
M = mapper.compile_sink(SINK)

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["k", "d", "n", "x", "b", "t", "ss", "s", "z"]), inner, max_size=4)),
    max_leaves=8,
)
_record_line = st.one_of(
    _json.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["k", "d", "b", "t", "ss", "s"]), _json, max_size=6).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40),  # anything at all: broken JSON, invalid UTF-8, NUL bytes
    st.sampled_from([b"", b"  ", b"[1]", b'{"records": [', b"{" * 50, b'{"k": "-0", "s": -0}', b'{"k": "a", "d": {"n": 1e400}}', b"\xff\xfe"]),
)
_ndjson = st.lists(st.tuples(_record_line, st.sampled_from([b"\n", b"\r\n", b"\r\r\n"])), max_size=25).map(lambda ls: b"".join(line + end for line, end in ls))


def _lines(data: bytes) -> list[bytes]:
    """The input's records' texts as the engine cuts them (blank lines are not records)."""
    out = []
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark opening the input is not part of it
        data = data[3:]
    for line in data.split(b"\n"):
        text = line[:-1] if line.endswith(b"\r") else line
        if text.strip(b" \t\r"):
            out.append(text)
    return out


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_ndjson, st.booleans())
def test_any_bytes_only_mapper_errors_and_every_record_accounted(data: bytes, fast: bool) -> None:
    try:
        batch = M.map(data, on_error="skip", input_format="ndjson", fast=fast)
    except mapper.MapperError:
        return  # e.g. a document that is not readable at all: a clean error is allowed
    report = batch.report
    assert batch.count + report.failed_records == report.records
    assert batch.count == report.success_count
    lines = _lines(data)
    assert report.records == len(lines)
    for rej in report.rejected:
        assert rej.raw == lines[rej.record], (rej.record, rej.raw, lines[rej.record])


@settings(max_examples=200)
@given(st.binary(max_size=200), st.sampled_from(["auto", "json", "endpoint", "ndjson"]))
def test_any_bytes_in_any_format_only_mapper_errors(data: bytes, fmt: str) -> None:
    try:
        report = M.validate(data, input_format=fmt, on_error="skip")
    except mapper.MapperError:
        return
    assert report.success_count + report.failed_records == report.records


# --- definitions -----------------------------------------------------------------------------

_keys = st.one_of(
    st.sampled_from(["name", "path", "type", "config", "id_field", "primary_key_fields", "allow_missing_fields", "definition", "schema"]), st.text(max_size=6)
)
_values = st.recursive(_json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=4)), max_leaves=10)
_entry = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.sampled_from(["a", "b", "k", "A", ""]), _values),
        "path": st.one_of(
            st.lists(st.sampled_from(["a", "b", "k", 'q"', "\\"]), max_size=3), st.sampled_from(["a.b", "a[0]", "a..b", "`x`", "length(a)", 'a."b.c"']), _values
        ),
        "type": st.one_of(
            st.sampled_from(
                ["id", "ids", "string", "strings", "bool", "int", "decimal", "timestamp", "recordTime", "dateInt", "signedIntBoolKey", "Int", "float"]
            ),
            _values,
        ),
        "config": st.one_of(
            st.dictionaries(
                st.sampled_from(
                    [
                        "Mutex",
                        "mutex",
                        "Scale",
                        "Min",
                        "Max",
                        "Unit",
                        "Granularity",
                        "Layout",
                        "Epoch",
                        "Quantum",
                        "TTL",
                        "CustomUnit",
                        "CacheType",
                        "CacheSize",
                    ]
                ),
                st.one_of(_json_scalars, st.sampled_from(["s", "ms", "ns", "c", "YMD", "2006-01-02", "%Y", "24h", "1970-01-01T00:00:00Z"])),
                max_size=4,
            ),
            _values,
        ),
    },
)
_definition = st.fixed_dictionaries(
    {},
    optional={
        "id_field": st.one_of(st.sampled_from(["a", "k"]), _values),
        "primary_key_fields": st.one_of(st.lists(st.sampled_from(["a", "b", "k"]), max_size=2), _values),
        "allow_missing_fields": st.one_of(st.booleans(), _values),
        "definition": st.one_of(st.lists(_entry, max_size=5), _values),
    },
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_definition, _values, st.lists(_entry, max_size=4)), st.lists(_json, max_size=4))
def test_any_definition_checks_without_raising_and_a_valid_one_maps(definition: Any, records: list[Any]) -> None:
    result = mapper.check_sink(definition)
    assert isinstance(result, mapper.CheckResult)
    for p in result.problems:
        assert p.severity in ("error", "warning", "note") and isinstance(p.pointer, str) and p.message
    if result.sink is None:
        assert not result.valid
        return
    m = mapper.compile_sink(result.sink)
    report = m.validate(records, on_error="skip")
    assert report.success_count + report.failed_records == report.records == len(records)
    text = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    assert m.validate(text, on_error="skip", input_format="ndjson").failed_records == report.failed_records


# --- the command line ----------------------------------------------------------------------------


@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_ndjson)
def test_cli_exit_codes_mean_what_the_readme_says(tmp_path_factory: Any, data: bytes) -> None:
    d = tmp_path_factory.mktemp("fuzz")
    sink = d / "sink.json"
    sink.write_text(json.dumps(SINK))
    proc = run_main("validate", sink, "-", "--report", "json", "--input-format", "ndjson", input=data)  # (python -m mapper, in this process)
    assert b"Traceback" not in proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert (proc.returncode == 0) == (report["error_count"] == 0)
    assert report["success_count"] + report["error_count"] == report["records"] == len(_lines(data))
