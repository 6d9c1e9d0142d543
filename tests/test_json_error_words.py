"""A record that is not JSON: its error names the character where it stops being JSON and what
that place needed, in Go's decoder's terms ("invalid character '}' looking for beginning of
value"); it said only ``invalid character at char 7``, which named neither.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import mapper
from mapper.endpoint import parse_body
from mapper.engine.gojson import RecordDecodeError, character_named, decode_record, scan_state

ROOT = Path(__file__).resolve().parents[1]
M = mapper.compile_sink(ROOT / "examples" / "aircraft" / "sink.json")

VALUE = ": a value was expected"
LITERAL = " in a literal (true, false, null): {} was expected"
KEY = " where an object key (a string in double quotes) was expected"


def _error(raw: bytes) -> str:
    with pytest.raises(RecordDecodeError) as err:
        decode_record(raw, False)
    return str(err.value)


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b'{"x": }', "invalid character '}' at char 7" + VALUE),
        (b"x", "invalid character 'x' at char 1" + VALUE),
        (b'{"a": NaN}', "invalid character 'N' at char 7" + VALUE),
        (b'{"a": [1, +1]}', "invalid character '+' at char 11" + VALUE),
        (b'{"a": [}', "invalid character '}' at char 8: a value or ']' was expected"),
        (b'{"x" 1}', "invalid character '1' at char 6 after an object key: ':' was expected"),
        (b'{"a":1,"b"}', "invalid character '}' at char 11 after an object key: ':' was expected"),
        (b'{"x": 1 "y": 2}', "invalid character '\"' at char 9 after a value in an object: ',' or '}' was expected"),
        (b'{"a": {"b": 1]}', "invalid character ']' at char 14 after a value in an object: ',' or '}' was expected"),
        (b'{"a": "s\\"" 1}', "invalid character '1' at char 13 after a value in an object: ',' or '}' was expected"),
        (b'{"a": [1 2]}', "invalid character '2' at char 10 after an array element: ',' or ']' was expected"),
        (b'{"a": [[1], {"b": true} x]}', "invalid character 'x' at char 25 after an array element: ',' or ']' was expected"),
        (b"{1: 2}", "invalid character '1' at char 2 where an object key (a string in double quotes) or '}' was expected"),
        (b'{"a": 1, x}', "invalid character 'x' at char 10" + KEY),
        (b'{"a": tru}', "invalid character '}' at char 10" + LITERAL.format("true")),
        (b'{"a": [fx]}', "invalid character 'x' at char 9" + LITERAL.format("false")),
        (b'{"a": nul}', "invalid character '}' at char 10" + LITERAL.format("null")),
        (b'{"a": -x}', "invalid character 'x' at char 8 in a number: a digit was expected after '-'"),
        (b'{"a": 1.}', "invalid character '}' at char 9 in a number: a digit was expected after the decimal point"),
        (b'{"a": 1e}', "invalid character '}' at char 9 in a number: a digit (or a sign) was expected in the exponent"),
        (b'{"a": 1e+}', "invalid character '}' at char 10 in a number: a digit was expected in the exponent"),
        (b'{"a": -01}', "invalid character '1' at char 9 in a number: no digit may follow a leading 0"),
        (b'{"a": true1}', "invalid character '1' at char 11 after a value in an object: ',' or '}' was expected"),
        # the character named safely: a control character or a format
        # character by its code point (and name), a byte that is not UTF-8 by its hex
        (b'{"a": \xc3\xa9}', "invalid character '\u00e9' at char 7" + VALUE),
        (b'{"a": \x01}', "invalid character U+0001 at char 7" + VALUE),
        (b'{"a": \xe2\x80\xae}', "invalid character U+202E (right-to-left override) at char 7" + VALUE),
        (b'{"a": "\xff", "b": \xfe}', "invalid byte 0xfe (not UTF-8) at char 17" + VALUE),
        (b'{"k": 3, \xff"s": 1}', "invalid byte 0xff (not UTF-8) at char 10" + KEY),
        (b'{"a": \xef\xbf\xbd}', "invalid character '\ufffd' at char 7" + VALUE),  # (a U+FFFD sent as such is one)
        # a record spread over lines: its own line and char, as before
        (b'{"a": 1,\n "b": }', "invalid character '}' at line 2 char 7 of the record" + VALUE),
    ],
)
def test_the_character_and_what_its_place_needed_are_said(raw: bytes, said: str) -> None:
    assert _error(raw) == f"Invalid JSON: {said}"


def test_a_quote_is_named_in_the_other_quotes() -> None:
    # (a record's is said to be a string in single quotes: a document's is named)
    assert character_named(b"[']", 1) == '"\'"'
    (err,) = M.validate(b"[{\"hex\": 'a'}]").errors
    assert err.reason == 'Invalid JSON: the JSON array is not valid JSON: invalid character "\'" at char 10' + VALUE


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        # the special notes say more, and stand alone (the character is not named twice)
        (b'{"a": "x\ty"}', "invalid character at char 9: control character U+0009 in a string (write it as \\t)"),
        (b'{"a":\xc2\xa01}', "invalid character at char 6: U+00A0 (no-break space), which JSON does not take as whitespace"),
        (b"{'a': 1}", "a string in single quotes at char 2: JSON strings take double quotes"),
        (b'{"a": 1 // x\n}', "a comment at char 9: JSON has none (remove it)"),
        (b"[1,,2]", "a comma with no value before it at char 4"),
        (b'{"a": \xef\xbb\xbf1}', "invalid character at char 7: a byte order mark (U+FEFF)"),
        # msgspec's own words where they are not about a character's place
        (b"[1,]", "trailing comma in array at char 4"),
        (b'{"a": "\\q"}', "invalid escape character in string at char 9"),
        (b'{"a": 1} x', "trailing characters at char 10"),
    ],
)
def test_the_special_notes_are_kept_as_they_were(raw: bytes, said: str) -> None:
    assert _error(raw).startswith(f"Invalid JSON: {said}")


def test_every_way_in_says_it_alike() -> None:
    # validate's report, check() and the Batcher of a record; a document read whole in its place's words
    raw = b'{"hex": "a", "alt_baro": }'
    said = "Invalid JSON: invalid character '}' at char 26" + VALUE
    assert [e.reason for e in M.validate(raw + b"\n").errors] == [said]
    assert [p.reason for p in M.check(raw)] == [said]
    assert mapper.Batcher(M).add(raw).errors[0].reason == said
    (err,) = M.validate(b'[{"hex": "a"},\n {"hex": "b", "alt_baro": }]').errors
    assert err.reason == "Invalid JSON: the JSON array is not valid JSON: invalid character '}' at line 2 char 27" + VALUE
    # serve's answer to a request body (what the endpoint would refuse): the reader's words
    with pytest.raises(mapper.ServiceError) as refused:
        parse_body(b'{"records": [{"value": {"a": \xff}}]}')
    assert str(refused.value).endswith("the request body is not valid JSON: invalid byte 0xff (not UTF-8) at char 30" + VALUE)
    (err,) = M.validate(b'{"aircraft": [{"hex": "a"} {"hex": "b"}]}', records_path="aircraft").errors
    assert err.reason == ("Invalid JSON: the JSON document is not valid JSON: invalid character '{' at char 28 after an array element: ',' or ']' was expected")


def test_the_scan_is_linear_in_the_bytes_before_the_error() -> None:
    # records may be 16 MiB: the state is found in C over the bytes (strings made a byte each,
    # brackets picked out), a Python loop over the brackets alone; no recursion for nesting
    deep = b"[" * 200_000 + b'{"a": [1, "x", true]' * 20_000 + b"x"
    long_string = b'{"a": "' + b"y" * 4_000_000 + b'", "b": x'
    start = time.process_time()
    assert scan_state(deep, len(deep) - 1) == " after a value in an object: ',' or '}' was expected"
    assert scan_state(long_string, len(long_string) - 1) == VALUE
    assert time.process_time() - start < 0.5
    # the place inside a string, or one the character could continue: no words of its own
    assert scan_state(b'{"a": "x\ty"}', 8) is None and scan_state(b"[1, 2]", 4) is None
