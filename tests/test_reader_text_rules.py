"""How the reader measures and locates records, made one rule everywhere: the blanks around a
record are no part of its size (``check`` and ``validate`` of an NDJSON line agree), a UTF-8 BOM
opens any text given whole (``check``'s too), a request body is not decoded whole to look for a
number beyond float64 (its peak memory was ~9x the body's), ..."""

from __future__ import annotations

import io
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


@settings(max_examples=300)
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
    assert problem.reason == error.reason == "Invalid JSON: invalid character '}' at char 6: a value was expected", (problem.reason, error.reason)
    # blanks after the mark: counted, as validate counts them
    (problem,) = m.check(BOM + '  {"a":}')
    assert problem.reason == "Invalid JSON: invalid character '}' at char 8: a value was expected", problem.reason


SECOND_BOM = "Invalid JSON: invalid character at char 1: a second byte order mark (U+FEFF): the input's first, which may open it, is taken off and not counted"


def test_a_second_bom_opening_a_text_is_said_to_be_a_second_one(m: mapper.Mapper) -> None:
    # positions do not count the opening mark, so a second one stands at char 1: it was said to be
    # "a byte order mark (U+FEFF), which may open an input ... but not a record within one", as if the first
    text = BOM + BOM + json.dumps(RECORD)
    assert [p.reason for p in m.check(text)] == [p.reason for p in m.check(text.encode())] == [SECOND_BOM]
    for records in (text.encode(), io.BytesIO(text.encode() + b"\n" + json.dumps(RECORD).encode()), [text], [json.dumps(RECORD), text]):
        report = m.validate(records)
        assert [(e.code, e.reason) for e in report.errors] == [("invalid_json", SECOND_BOM)], (records, report.errors)
    doc = (BOM + BOM + json.dumps([RECORD])).encode()
    (error,) = m.validate(doc, input_format="json").errors
    assert error.reason == SECOND_BOM.replace("Invalid JSON: ", "Invalid JSON: the JSON array is not valid JSON: "), error.reason
    assert mapper.Batcher(m).add(text).errors[0].reason == SECOND_BOM
    # a mark opening a later record (files joined), or after a blank, is still one within the input
    (later,) = m.validate((json.dumps(RECORD) + "\n" + BOM + json.dumps(RECORD)).encode()).errors
    assert later.line == 2 and later.reason.endswith("but not a record within one"), later
    assert m.check(BOM + " " + BOM + json.dumps(RECORD))[0].reason.endswith("but not a record within one")


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
    assert batcher.add((BOM + "  " + '{"a":}').encode()).errors[0].reason == "Invalid JSON: invalid character '}' at char 8: a value was expected"
    (body,) = batcher.flush()
    assert b"\xef\xbb\xbf" not in body.data and body.raws == [text.encode()]  # (sent without it: the service refuses it)
    assert m.validate([BOM + text, (BOM + text).encode(), text]).errors == []


# --- the size of a record: the blanks around it are no part of it, on a line as in check ---------

LIMIT = 1024


def _text(size: int) -> str:
    """A record's JSON text of ``size`` bytes."""
    base = json.dumps({**RECORD, "data": {**RECORD["data"], "reg": ""}})
    return base.replace('"reg": ""', '"reg": "' + "x" * (size - len(base)) + '"')


def _validated(m: mapper.Mapper, data: bytes, how: str) -> Any:
    if how == "bytes":
        return m.validate(data, max_record_size=LIMIT)
    if how == "stream":  # (read in blocks of the limit: stream_lines)
        return m.validate(io.BytesIO(data), max_record_size=LIMIT)
    return m.validate([line for line in data.decode().split("\n") if line], max_record_size=LIMIT)  # texts as items


@pytest.mark.parametrize("how", ["bytes", "stream", "items"])
@pytest.mark.parametrize("before, after", [(" ", ""), ("", " \t"), ("\t ", "\r"), ("  ", "  \r")])
def test_a_lines_blanks_are_not_counted_against_the_limit_as_check_does_not(m: mapper.Mapper, how: str, before: str, after: str) -> None:
    ok, big = _text(LIMIT), _text(LIMIT + 1)
    data = "".join(f"{before}{t}{after}\n" for t in (ok, big, ok)).encode()
    report = _validated(m, data, how)
    assert [(e.record, e.line, e.code) for e in report.errors] == [(1, 2, "too_large")], report.errors
    assert report.errors[0].reason.startswith(f"the record is {LIMIT + 1:,} bytes, more than the {LIMIT:,} "), report.errors[0].reason
    assert _errors(m.check(before + ok + after, max_record_size=LIMIT)) == []
    (problem,) = m.check(before + big + after, max_record_size=LIMIT)
    assert problem.code == "too_large" and report.errors[0].reason.startswith(problem.reason), (problem.reason, report.errors[0].reason)


@pytest.mark.parametrize("how", ["bytes", "stream"])
def test_a_line_longer_than_twice_the_limit_is_refused_whatever_its_blanks(m: mapper.Mapper, how: str) -> None:
    # (a stream holds a line whole while it reads it: blanks without bound would grow its memory)
    ok = _text(LIMIT - 10)
    padded = " " * (LIMIT + 20) + ok
    data = f"{ok}\n{padded}\n{ok}\n".encode()
    report = _validated(m, data, how)
    assert [(e.record, e.line, e.code) for e in report.errors] == [(1, 2, "too_large")], report.errors
    assert report.errors[0].reason.startswith(f"the line is {len(padded):,} bytes, more than twice the {LIMIT:,} "), report.errors[0].reason
    (problem,) = m.check(padded, max_record_size=LIMIT)
    assert problem.code == "too_large" and problem.reason.startswith(f"the text is {len(padded):,} bytes, more than twice"), problem.reason
    # within twice the limit, the record within it: taken
    assert not _validated(m, f"{' ' * (LIMIT - 20)}{ok}\n".encode(), how).errors


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.text(" \t", max_size=2200), st.integers(0, 2200), st.text(" \t", max_size=2200), st.booleans()),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([LIMIT, 1500, 4096]),
)
def test_every_line_reader_measures_a_line_alike(lines: list[tuple[str, int, str, bool]], chunk: int) -> None:
    from mapper.engine.reader import OversizedRecord, measured, split_lines, stream_lines

    data = b"".join(f"{a}{'x' * n}{b}{chr(13) if cr else ''}\n".encode() for a, n, b, cr in lines)
    expected = []
    for a, n, b, _cr in lines:
        length = len(a) + n + len(b)  # (a CRLF's CR is the line's end, none of the line: not counted)
        size = n if n else 0
        if size > LIMIT or length > 2 * LIMIT:
            expected.append((size, length))
    for units in (measured(split_lines(data, chunk, LIMIT), LIMIT), measured(stream_lines(io.BytesIO(data), chunk, b"", LIMIT), LIMIT)):
        got = [(u.size, u.line_size) for u in units if isinstance(u, OversizedRecord)]
        assert got == expected, (got, expected)


# --- a pretty-printed array: a broken last element's text ends before the array's own `]` ------------

PAIR_SINK = {
    "primary_key_fields": ["id"],
    "allow_missing_fields": True,
    "definition": [{"name": "id", "path": ["id"], "type": "string"}, {"name": "n", "path": ["n"], "type": "int"}],
}
GOOD = '{\n    "id": "a",\n    "n": 1\n  }'
BROKEN = '{\n    "id": "b",\n    "n": 2,\n  }'  # (a trailing comma)


@pytest.mark.parametrize("close", ["]", "  ]", "\t]", " ]"])
@pytest.mark.parametrize("end", ["", "\n", "\r\n"])
def test_a_broken_last_elements_dead_letter_ends_before_the_arrays_bracket(close: str, end: str) -> None:
    pm = mapper.compile_sink(PAIR_SINK)
    text = f"[\n  {GOOD},\n  {GOOD.replace('a', 'c')},\n  {BROKEN}\n{close}{end}"
    report = pm.validate(text.encode())
    assert report.records == 3 and [(e.record, e.line, e.code) for e in report.errors] == [(2, 10, "invalid_json")], report.errors
    assert report.errors[0].reason == "Invalid JSON: trailing comma in object at line 4 char 3 of the record", report.errors[0].reason
    (rejected,) = report.rejected
    assert rejected.raw == BROKEN.encode(), rejected.raw


def test_an_array_of_arrays_keeps_its_last_elements_own_bracket() -> None:
    # (an element that is an array closes with a `]` at its own indentation: the array's is less indented)
    pm = mapper.compile_sink(PAIR_SINK)
    text = "[\n  [\n    1\n  ],\n  [\n    2,\n  ]\n]\n"
    report = pm.validate(text.encode())
    assert [(e.record, e.line, e.code) for e in report.errors] == [(0, 2, "not_an_object"), (1, 5, "invalid_json")], report.errors
    assert report.rejected[1].raw == b"[\n    2,\n  ]", report.rejected[1].raw


# --- objects one after another, as `jq .` prints them, indented: reading goes on after a broken one ----


def _pretty(i: int, indent: str, broken: bool = False) -> str:
    text = json.dumps({"id": f"r{i}", "n": i, "tags": [{"k": 1}, {"k": 2}]}, indent=2)
    if broken:
        text = text.replace(f'"n": {i},', f'"n": {i},,')
    return "\n".join(indent + line for line in text.split("\n"))


@pytest.mark.parametrize("indent", ["", "  ", "\t", "    "])
@pytest.mark.parametrize("first_broken", [False, True])
def test_objects_indented_alike_are_read_on_after_a_broken_one(indent: str, first_broken: bool) -> None:
    pm = mapper.compile_sink(PAIR_SINK)
    broken = 0 if first_broken else 1
    objects = [_pretty(i, indent, broken=i == broken) for i in range(4)]
    report = pm.validate(("\n".join(objects) + "\n").encode())
    # each object is 12 lines: record i starts on line 12 i + 1; the nested objects, indented
    # deeper than the stream's own, split nothing
    assert report.records == 4, [(e.record, e.line, e.reason) for e in report.errors]
    (error,) = report.errors
    assert (error.record, error.line, error.code) == (broken, 12 * broken + 1, "invalid_json"), error
    assert error.reason == f"Invalid JSON: a comma with no member before it at line 3 char {10 + len(indent)} of the record", error.reason
    (rejected,) = report.rejected
    assert rejected.raw == objects[broken][len(indent) :].encode(), rejected.raw
    assert sorted(report.failed) == [broken]


# --- lines ending in a lone CR: places count LF line ends only, and the report says so ---------------

CR_NOTE_START = "the input's lines end in a lone CR (carriage return), as classic Mac OS wrote them: a line L and char N here count LF"


def _cr_inputs() -> dict[str, tuple[str, int]]:
    """Inputs laid out over lines, their record 1 refused (its n a string): each with the char of that n's value."""
    records = [{"id": "a", "n": 1}, {"id": "b", "n": "x"}, {"id": "c", "n": 3}]
    texts = [json.dumps(r, indent=2) for r in records]
    array = "[\n" + ",\n".join(texts) + "\n]\n"
    body = '{"records": [\n' + ",\n".join('{"value": ' + t + "}" for t in texts) + "\n]}\n"
    stream = "\n".join(texts) + "\n"
    return {"array": (array, 0), "body": (body, 0), "stream": (stream, 0)}


@pytest.mark.parametrize("kind", ["array", "body", "stream"])
def test_a_document_of_lone_cr_lines_is_placed_by_lf_lines_and_says_so(kind: str) -> None:
    pm = mapper.compile_sink(PAIR_SINK)
    text, _ = _cr_inputs()[kind]
    lf = pm.validate(text.encode())
    assert [(e.record, e.code) for e in lf.errors] == [(1, "invalid_value")] and not any("lone CR" in n for n in lf.notes), (lf.errors, lf.notes)
    crlf = pm.validate(text.replace("\n", "\r\n").encode())
    assert [(e.record, e.line, e.code) for e in crlf.errors] == [(e.record, e.line, e.code) for e in lf.errors]
    assert not any("lone CR" in n for n in crlf.notes), crlf.notes
    cr = pm.validate(text.replace("\n", "\r").encode())
    if kind == "stream":  # (one line by LF line ends, as NDJSON's lone-CR lines are: refused whole, its error says why)
        (error,) = cr.errors
        assert (error.record, error.line, error.code) == (0, 1, "invalid_json") and "the lines end in a lone CR" in error.reason, error
        return
    # one rule: LF line ends only (as NDJSON's, JSON decoders', grep -n's); all of it is line 1, and the report says why
    assert [(e.record, e.code) for e in cr.errors] == [(1, "invalid_value")], cr.errors
    assert [e.line for e in cr.errors] == [1], cr.errors
    assert [n for n in cr.notes if n.startswith(CR_NOTE_START)], cr.notes


def test_a_broken_document_of_lone_cr_lines_is_placed_by_its_char_on_line_1() -> None:
    pm = mapper.compile_sink(PAIR_SINK)
    text = "[\r" + ",\r".join(['{\r  "id": "a"\r}', '{\r  "id": "b",\r}']) + "\r]\r"
    report = pm.validate(text.encode())
    (error,) = report.errors
    char = text.index(",\r}") + 3  # (the `}` after the trailing comma, from 1)
    assert error.line == 1 and error.reason.endswith(f"at char {char}"), error.reason
    assert text[char - 1] == "}"
    assert [n for n in report.notes if n.startswith(CR_NOTE_START)], report.notes


def test_ndjson_of_lone_cr_lines_keeps_its_hint() -> None:
    pm = mapper.compile_sink(PAIR_SINK)
    report = pm.validate(b'{"id": "a"}\r{"id": "b"}\r')
    (error,) = report.errors
    assert "the lines end in a lone CR (carriage return)" in error.reason, error.reason


def test_send_says_why_a_line_is_refused_in_the_readers_words() -> None:
    # (send read the unit's size alone: a line refused for its blanks said its record was too large)
    from mapper.engine.reader import OversizedRecord
    from mapper.send import Resume, _items

    unit = OversizedRecord(40, LIMIT, b" " * 40, 3, 3 * LIMIT)
    ((raw, position, problem),) = list(_items(0, [unit], Resume(), 0, None))
    assert raw is None and position.line == 3 and problem == ("too_large", unit.reason)
    assert unit.reason.startswith(f"the line is {3 * LIMIT:,} bytes, more than twice the {LIMIT:,} a record may have"), unit.reason
