"""``Mapper.check(text, max_record_size=N)`` applies the record size limit ``validate`` applies:
a text over it is ``too_large`` in validate's words, refused before it is decoded (a 100 MB str
was decoded whole). Without it a record is not measured, as the endpoint measures bodies only."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mapper
from mapper.errors import OptionError
from mapper.options import MAX_RECORD_SIZE

SINK = Path(__file__).parents[1] / "examples" / "aircraft" / "sink.json"
RECORD = json.loads((Path(__file__).parents[1] / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[0])


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


def _text(size: int, char: str = "x") -> str:
    """A record's JSON text of ``size`` UTF-8 bytes (its reg padded with ``char``, one or two bytes)."""
    base = json.dumps({**RECORD, "data": {**RECORD["data"], "reg": ""}}, ensure_ascii=False)
    pad = size - len(base.encode())
    width = len(char.encode())
    assert pad >= 0 and pad % width == 0
    return base.replace('"reg": ""', '"reg": "' + char * (pad // width) + '"')


def _errors(problems: list[Any]) -> list[Any]:
    """The errors of a check (the seed record's long has a float_decimal warning)."""
    return [p for p in problems if p.severity == "error"]


def _validate_reason(m: mapper.Mapper, text: Any, limit: int) -> str:
    report = m.validate(text, max_record_size=limit)
    (error,) = report.errors
    assert (error.code, error.record) == ("too_large", 0), error
    return error.reason


@pytest.mark.parametrize("kind", [str, bytes, bytearray, memoryview])
def test_a_text_over_the_limit_is_too_large_as_validate_says_it(m: mapper.Mapper, kind: Any) -> None:
    text = _text(2000)
    record = text if kind is str else kind(text.encode())
    problems = m.check(record, max_record_size=1024)
    assert [(p.code, p.record, p.column, p.path) for p in problems] == [("too_large", 0, None, None)], problems
    reason = problems[0].reason
    assert reason == "the record is 2,000 bytes, more than the 1,024 a record may have (--max-record-size, max_record_size=)", reason
    # validate's words, less what its dead letter keeps (check keeps no record)
    assert _validate_reason(m, text.encode(), 1024).startswith(reason + "; its first ")


def test_at_the_limit_the_record_is_checked(m: mapper.Mapper) -> None:
    text = _text(1024)
    assert _errors(m.check(text, max_record_size=1024)) == [] == m.validate(text, max_record_size=1024).errors
    assert [p.code for p in m.check(_text(1025), max_record_size=1024)] == ["too_large"]
    # (the blanks around a record are no part of it: validate reads the line without its newline)
    assert _errors(m.check(" " + text + "\r\n", max_record_size=1024)) == []


def test_a_str_is_measured_in_utf8_bytes(m: mapper.Mapper) -> None:
    text = _text(1101, "é")
    assert len(text) < 1024 < len(text.encode())
    (problem,) = m.check(text, max_record_size=1024)
    assert problem.code == "too_large" and problem.reason.startswith("the record is 1,101 bytes, "), problem


def test_by_default_a_record_is_not_measured_its_text_checked_as_its_mapping_is(m: mapper.Mapper) -> None:
    # (the endpoint limits request bodies, not records: a text just past validate's default is
    # checked as the same record given as a dict is; max_record_size= asks for validate's limit)
    text = _text(MAX_RECORD_SIZE + 2)
    assert _errors(m.check(text)) == _errors(m.check(json.loads(text))) == []
    (problem,) = m.check(text.encode(), max_record_size=MAX_RECORD_SIZE)
    assert problem.code == "too_large", problem
    assert problem.reason.startswith(f"the record is {MAX_RECORD_SIZE + 2:,} bytes, more than the {MAX_RECORD_SIZE:,} "), problem
    assert _errors(m.check(_text(MAX_RECORD_SIZE), max_record_size=MAX_RECORD_SIZE)) == []


def test_a_mapping_is_measured_by_its_text_as_validate_measures_it(m: mapper.Mapper) -> None:
    # (neither measured it until session 61: tests/test_api61.py)
    record = {**RECORD, "data": {**RECORD["data"], "reg": "x" * 4000}}
    assert [e.code for e in _errors(m.check(record, max_record_size=1024))] == ["too_large"]
    assert [e.code for e in m.validate([record], max_record_size=1024).errors] == ["too_large"]
    assert _errors(m.check(record)) == []  # (by default, not measured)


@pytest.mark.parametrize("bad", [0, 1023, "16M", True, 1.5e3])
def test_a_bad_limit_is_an_option_error(m: mapper.Mapper, bad: Any) -> None:
    with pytest.raises(OptionError, match="max_record_size must be a whole number of bytes"):
        m.check(RECORD, max_record_size=bad)


def test_the_batcher_judges_a_big_text_by_its_own_size_rule(m: mapper.Mapper) -> None:
    # the batcher asks check for the errors of a text holding a number beyond float64; its bodies
    # may be larger than check's 16 MiB, and the size rule is its own (a record no body holds):
    # check's limit cut in first, refusing the record as too_large where the service says out_of_range
    raw = _text(MAX_RECORD_SIZE + 16).encode()[:-1] + b', "unmapped": 1e400}'
    v = mapper.Batcher(m, max_bytes=MAX_RECORD_SIZE + 1024).add(raw)
    assert not v.accepted and [(e.code, e.path) for e in v.errors] == [("out_of_range", "$.unmapped")], v.errors


def test_a_big_text_holding_a_number_beyond_float64_is_scanned() -> None:
    # (the scan for the number, gojson._SCAN, took a long string's characters one alternation at a
    # time: 3 s for a 16 MB string, twice per Batcher.add of it; its ordinary characters are now a
    # run at a time. How long it takes is the benchmarks' to say: here, what it finds.)
    from mapper.engine.gojson import huge_number_in

    raw = b'{"a": "' + b"x" * 16_000_000 + b'\\n\\"y", "b": [1, "q\\\\"], "c": 1e400}'
    found = huge_number_in(raw)
    assert found is not None and found[0] == ["c"] and found[2] == "1e400", found


#: The scan's pattern before strings were taken a run at a time: the oracle of the one now.
_SCAN_BEFORE = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\],:]|-?[0-9][0-9.eE+-]*')


@settings(max_examples=150)
@given(
    st.lists(st.sampled_from([b'"', b"\\", b'\\"', b"x", b"1e400", b"-2", b"{", b"}", b"[", b"]", b",", b":", b" ", b"\n", b"\xc3\xa9"]), max_size=40).map(
        b"".join
    )
)
def test_the_scan_finds_the_tokens_it_found_before(raw: bytes) -> None:
    from mapper.engine.gojson import _SCAN

    assert [m.group() for m in _SCAN.finditer(raw)] == [m.group() for m in _SCAN_BEFORE.finditer(raw)]
