"""How the reader measures and locates records, made one rule everywhere: the blanks around a
record are no part of its size (``check`` and ``validate`` of an NDJSON line agree), a UTF-8 BOM
opens any text given whole (``check``'s too), a request body is not decoded whole to look for a
number beyond float64 (its peak memory was ~9x the body's), ..."""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mapper
from mapper.engine.gojson import huge_number_in, may_hold_huge_number

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORD = json.loads((ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[0])


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


def _errors(problems: list[Any]) -> list[Any]:
    return [p for p in problems if p.severity == "error"]


# --- a number beyond float64 in a request body: found without decoding the body whole -------------


def _body(n: int, extra: str = "") -> bytes:
    items = [json.dumps({"value": {**RECORD, "record_id": f"r{i}"}}) for i in range(n)]
    if extra:
        items[-1] = items[-1][:-2] + ", " + extra + "}}"
    return ('{"records": [' + ",\n".join(items) + "]}").encode()


def test_a_body_is_not_decoded_whole_to_look_for_a_huge_number(m: mapper.Mapper) -> None:
    body = _body(4000)
    tracemalloc.start()
    try:
        report = m.validate(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.records == 4000 and not report.errors, report.errors
    # (orjson.loads of the whole body, every value a Python object, peaked at ~9x its size)
    assert peak < 4 * len(body), (peak, len(body))


@pytest.mark.parametrize("number", ["1e400", "1E+0309", "-2e308", "9" * 309, "9" * 250 + "e60", "0.5e310", "2" * 210 + ".5e99"])
def test_a_huge_number_in_a_body_is_still_found(m: mapper.Mapper, number: str) -> None:
    assert math.isinf(float(number))
    body = _body(3, f'"unmapped": {number}')
    (error,) = m.validate(body).errors
    assert error.code == "invalid_json" and "$.records[2].value.unmapped, line 3, char " in error.reason, error.reason
    assert huge_number_in(body) is not None


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.integers().map(str),
        st.tuples(st.integers(1, 10**250), st.integers(-400, 400)).map(lambda t: f"{t[0]}e{t[1]:+d}"),
        st.tuples(st.integers(0, 10**300), st.text("0123456789", min_size=1, max_size=30), st.integers(0, 400)).map(lambda t: f"{t[0]}.{t[1]}E{t[2]:04d}"),
    )
)
def test_a_number_the_shape_passes_is_within_float64(number: str) -> None:
    text = f'{{"a": [1, {number}, "x"]}}'.encode()
    if not may_hold_huge_number(text):
        assert not math.isinf(float(number)), number
    assert (huge_number_in(text) is not None) == math.isinf(float(number)), number


# --- a UTF-8 byte order mark: it may open any text given alone -----------------------------------

BOM = "\ufeff"


@pytest.mark.parametrize("kind", [str, bytes])
def test_check_takes_a_text_opening_with_a_bom_as_validate_takes_it(m: mapper.Mapper, kind: Any) -> None:
    text = json.dumps(RECORD)
    given = BOM + text if kind is str else (BOM + text).encode()
    assert not m.validate(given).errors
    assert m.check(given) == m.check(text)  # (warnings too: the same record)
    assert _errors(m.check(given)) == []
    # an error's char does not count the mark, as validate's does not
    broken = BOM + '{"a":}'
    (error,) = m.validate(broken.encode()).errors
    (problem,) = m.check(broken if kind is str else broken.encode())
    assert problem.reason == error.reason == "Invalid JSON: invalid character at char 6", (problem.reason, error.reason)
    # blanks after the mark: counted, as validate counts them
    (problem,) = m.check(BOM + '  {"a":}')
    assert problem.reason == "Invalid JSON: invalid character at char 8", problem.reason


def test_a_bom_past_a_texts_start_is_still_refused(m: mapper.Mapper) -> None:
    text = json.dumps(RECORD)
    (problem,) = m.check(" " + BOM + text)
    assert problem.code == "invalid_json" and "a byte order mark (U+FEFF)" in problem.reason, problem
    report = m.validate((text + "\n" + BOM + text + "\n").encode())  # (a record within an input)
    assert [(e.record, e.line, e.code) for e in report.errors] == [(1, 2, "invalid_json")], report.errors


def test_the_batcher_and_texts_among_records_take_it_as_check_does(m: mapper.Mapper) -> None:
    text = json.dumps(RECORD)
    batcher = mapper.Batcher(m)
    verdict = batcher.add(BOM + text)
    assert verdict.accepted, verdict.errors
    assert batcher.add((BOM + "  " + '{"a":}').encode()).errors[0].reason == "Invalid JSON: invalid character at char 8"
    (body,) = batcher.flush()
    assert b"\xef\xbb\xbf" not in body.data and body.raws == [text.encode()]  # (sent without it: the service refuses it)
    assert m.validate([BOM + text, (BOM + text).encode(), text]).errors == []
