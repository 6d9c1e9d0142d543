"""An error's message says a float as the record's text writes it (``1e20``, ``-0``, ``1.50``) at
the place its converter showed the value (:class:`mapper.types.ShownFloat`), never by searching
the message for Python's writing of it: the same digits elsewhere in the message (a timestamp
layout, the string a number is stored as) stay as they are."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import sinks
from hypothesis import given
from hypothesis import strategies as st

import mapper
from mapper.engine.careful import numbers_as_written
from mapper.report import RecordError
from mapper.types import ShownFloat

SINK = sinks.id_schema(
    sinks.column("s", "string"),
    sinks.column("n", "int"),
    sinks.column("t", "timestamp"),
    # a layout holding a number's digits as literal text
    sinks.column("ts", "timestamp", Layout="2006-01-02 at 1.5"),
)


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


def reasons(m: mapper.Mapper, text: bytes, **kw: Any) -> list[list[str]]:
    """The error reasons of validate (each path, strict or not as ``kw`` says) and of check."""
    said = [[e.reason for e in m.validate(text, fast=fast, **kw).errors] for fast in (True, False)]
    if not kw:
        said.append([p.reason for p in m.check(text) if p.severity == "error"])
    return said


def test_the_stored_string_is_not_taken_for_the_number_sent(m: mapper.Mapper) -> None:
    # An integer beyond 2^53 is stored by a string column as Go prints its float64, "1e+20": the
    # message searched for the first float it showed (that stored string, the int sent is
    # none), found the record's text of the value equal to it, and rewrote the stored string
    # to 100000000000000000000: what the endpoint stores, misreported
    said = 'non-string stored as text: sent 100000000000000000000, stored "1e+20" (send the string "1e+20" if that is what you mean)'
    assert reasons(m, b'{"id":1,"s":100000000000000000000}', strict=True) == [[said]] * 2
    (w,) = m.validate(b'{"id":1,"s":100000000000000000000}').warnings
    assert w.reason == said


def test_a_layout_holding_the_digits_is_left_as_it_is(m: mapper.Mapper) -> None:
    # Python writes the float sent as 1.5, which the layout holds too, first: it was the layout's
    # text that became 1.50
    said = "Expected `timestamp` (a string in layout 2006-01-02 at 1.5), got `float` 1.50"
    assert reasons(m, b'{"id":1,"ts":1.50}') == [[said]] * 3


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (b'{"id":1,"t":1e20}', "Expected `timestamp` (a string in layout 2006-01-02T15:04:05.999999999Z07:00), got `float` 1e20"),
        (b'{"id":1,"t":-0}', "Expected `timestamp` (a string in layout 2006-01-02T15:04:05.999999999Z07:00), got `float` -0"),
        (b'{"id":1,"n":1E20}', "1E20 does not fit a signed 64-bit integer"),
        (b'{"id":1,"n":-1e19}', "-1e19 does not fit a signed 64-bit integer"),
        (b'{"id":-1.50}', "negative value -1.50 cannot be an id"),  # (the id's error, invalid_id)
    ],
)
def test_the_common_errors_say_the_number_as_written(m: mapper.Mapper, text: bytes, said: str) -> None:
    assert reasons(m, text) == [[said]] * 3


def test_the_error_carries_where_its_reason_shows_the_float(m: mapper.Mapper) -> None:
    # a dict has no text: the place stays on the error, the float said as Python writes it
    (err,) = m.check({"id": 1, "n": 1e20})
    assert isinstance(err, RecordError)
    assert err.reason == "1e+20 does not fit a signed 64-bit integer"
    assert err.shown == ShownFloat(1e20, 0, 5)
    # said as the text writes it: the place is spent (the reason's length changed)
    (err,) = m.check(b'{"id": 1, "n": 1e20}')
    assert isinstance(err, RecordError)
    assert (err.reason, err.shown) == ("1e20 does not fit a signed 64-bit integer", None)
    # strict's lossy_value: the value sent, not another number of the reason
    (err,) = m.check({"id": 1, "n": 2.5}, strict=True)
    assert isinstance(err, RecordError) and err.code == "lossy_value" and err.shown is not None, err
    assert err.reason[err.shown.start : err.shown.end] == "2.5", err
    assert err.reason.startswith("float truncated: sent 2.5,"), err.reason
    # kept when pickled (a workers run hands errors over), and no part of equality
    assert pickle.loads(pickle.dumps(err)).shown == err.shown
    assert err == RecordError(err.record, err.line, err.column, err.path, err.code, err.reason, err.file, err.pointer)


def test_only_the_marked_place_is_rewritten() -> None:
    # the same digits twice in a reason: only the place marked changes, whichever comes first
    reason = "1e+20 is not 1e+20"
    errs = [
        RecordError(0, 1, "v", "$.v", "out_of_range", reason, shown=ShownFloat(1e20, 13, 18)),
        RecordError(0, 1, "v", "$.v", "out_of_range", reason),  # (nothing marked: nothing changes)
    ]
    other = [RecordError(1, 2, "v", "$.v", "out_of_range", reason, shown=ShownFloat(1e20, 0, 5))]  # (its text writes it so)
    texts = [b'{"v": 1E20}', b'{"v": 1e+20}']
    numbers_as_written([], {0: errs, 1: other}, texts.__getitem__)
    assert [e.reason for e in errs + other] == ["1e+20 is not 1E20", reason, reason]
    assert [e.shown for e in errs + other] == [None, None, ShownFloat(1e20, 0, 5)]


# A float's text, written any of the ways JSON allows
_FLOAT_TEXTS = st.builds(
    lambda mant, frac, exp, e, sign: f"{sign}{mant}{frac}{exp and e + exp}",
    st.sampled_from(["0", "1", "2", "12", "123456789"]),
    st.sampled_from(["", ".0", ".5", ".50", ".125", ".000"]),
    st.sampled_from(["", "0", "3", "+3", "-3", "20", "+20", "-7", "017"]),
    st.sampled_from(["e", "E"]),
    st.sampled_from(["", "-"]),
).filter(lambda t: "." in t or "e" in t.lower() or t.startswith("-0"))


@given(text=_FLOAT_TEXTS, column=st.sampled_from(["s", "n", "t", "ts"]), strict=st.booleans())
def test_a_number_as_written_changes_only_its_own_place(text: str, column: str, strict: bool) -> None:
    """A record writing a float otherwise than Python does gets the messages of the record
    writing it as Python does, with that one place of each message saying it as written."""
    m = _MAPPER
    python = float.__repr__(float(text))
    as_written = m.validate(f'{{"id":1,"{column}":{text}}}'.encode(), strict=strict)
    as_python = m.validate(f'{{"id":1,"{column}":{python}}}'.encode(), strict=strict)
    got = [e.reason for e in as_written.errors] + [w.reason for w in as_written.warnings]
    base = [e.reason for e in as_python.errors] + [w.reason for w in as_python.warnings]
    assert len(got) == len(base), (got, base)
    for g, b in zip(got, base):
        if text == python:
            assert g == b
            continue
        # one place of Python's writing said as written; the rest as it was
        places = [i for i in range(len(b)) if b.startswith(python, i) and b[:i] + text + b[i + len(python) :] == g]
        assert len(places) == 1, (text, g, b)


_MAPPER = mapper.compile_sink(SINK)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # another member writes the same float as Python does: an error says its own text
        (b'{"id":1,"n":1e20,"s":1e+20}', ["1e20 does not fit a signed 64-bit integer", "non-string stored as text: sent 1e+20,"]),
        # a warning's is looked up only when the text holds no Python writing of it (a substring
        # search: clean data has warnings by the thousand, and reading every number of each
        # record cost validate of 100-record batches ~30%): said as another member writes it
        (b'{"id":1,"s":2.50,"n":2.5}', ["non-string stored as text: sent 2.5,", "float truncated: sent 2.5,"]),
        # ... or a string holds Python's digits
        (b'{"id":1,"s":1e20,"ts":"1e+20"}', ['Expected `timestamp` in layout 2006-01-02 at 1.5, got `str` "1e+20"', "non-string stored as text: sent 1e+20,"]),
        (b'{"id":1,"s":1e20}', ["non-string stored as text: sent 1e20,"]),
    ],
)
def test_a_number_is_said_as_its_own_text_writes_it_whatever_else_the_record_holds(m: mapper.Mapper, text: bytes, said: list[str]) -> None:
    # an error's record was not scanned when it held Python's writing of the float anywhere (a
    # substring search): the message said 1e+20 where the value's own text wrote 1e20
    for problems in ([*r.errors, *r.warnings] for r in (m.validate(text, fast=True), m.validate(text, fast=False))):
        assert [p.reason[: len(s)] for p, s in zip(problems, said)] == said, [p.reason for p in problems]
    assert [p.reason[: len(s)] for p, s in zip(m.check(text), said)] == said


def test_a_marked_place_is_rewritten_where_the_record_also_writes_the_float_as_python_does() -> None:
    reason = "1e+20 is not 1e+20"
    errs = [
        RecordError(0, 1, "v", "$.v", "out_of_range", reason, shown=ShownFloat(1e20, 13, 18)),
        RecordError(0, 1, "w", "$.w", "out_of_range", reason, shown=ShownFloat(1e20, 0, 5)),  # (its text writes it so)
    ]
    numbers_as_written([], {0: errs}, lambda _r: b'{"v": 1E20, "w": 1e+20, "x": "2024-01-01", "y": -0.5}')
    assert [e.reason for e in errs] == ["1e+20 is not 1E20", reason]


_SETS = mapper.compile_sink(sinks.id_schema(sinks.column("ids", "ids"), sinks.column("ss", "strings"), sinks.column("deep", "ids", path=["a", "b"])))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (b'{"id":1,"ids":[1e20]}', "1e20 does not fit an unsigned 64-bit id at index 0"),
        (b'{"id":1,"ids":[2, -1.50]}', "negative value -1.50 cannot be an id at index 1"),
        (b'{"id":1,"ss":["a", 1E20]}', "Expected `strings` (an array of strings), got `float` 1E20 at index 1"),
        (b'{"id":1,"ss":["a", 2.50]}', "Expected `strings` (an array of strings), got `float` 2.50 at index 1"),
        (b'{"id":1,"a":{"b":[0, 1, -2.0e0, 1e+20]}}', "negative value -2.0e0 cannot be an id at index 2"),
        # the element's own text, not another element's writing the same float (nor the array's path)
        (b'{"id":1,"ids":[3, -1.50, -1.5]}', "negative value -1.50 cannot be an id at index 1"),
        (b'{"id":1,"ids":[3, -1.5, -1.50]}', "negative value -1.5 cannot be an id at index 1"),
    ],
)
def test_an_array_element_is_said_as_written(text: bytes, said: str) -> None:
    # the "at index" wrapping dropped the converter's place, and the lookup knew no element's
    # path: said 1e+20, -1.5
    assert reasons(_SETS, text) == [[said]] * 3


def test_an_element_error_carries_its_index() -> None:
    (err,) = _SETS.check({"id": 1, "ids": [1, 1e20]})
    assert isinstance(err, RecordError)
    assert (err.reason, err.shown) == ("1e+20 does not fit an unsigned 64-bit id at index 1", ShownFloat(1e20, 0, 5, 1))


@given(
    text=_FLOAT_TEXTS,
    column=st.sampled_from(["ids", "ss"]),
    before=st.lists(st.sampled_from(["1", '"a"', "1.5", "1e+20", "-0.0"]), max_size=3),
    strict=st.booleans(),
)
def test_an_element_as_written_changes_only_its_own_place(text: str, column: str, before: list[str], strict: bool) -> None:
    """As :func:`test_a_number_as_written_changes_only_its_own_place`, the float an element of
    an array (the last: the elements before it as Python writes them, its own float among them).
    An error at its index says it as written; a message naming no index (an ids column's
    float_truncated) does where no other element writes the same float (else which is unknown)."""
    python = float.__repr__(float(text))
    as_written = _SETS.validate(f'{{"id":1,"{column}":[{",".join([*before, text])}]}}'.encode(), strict=strict)
    as_python = _SETS.validate(f'{{"id":1,"{column}":[{",".join([*before, python])}]}}'.encode(), strict=strict)
    got = [e.reason for e in as_written.errors] + [w.reason for w in as_written.warnings]
    base = [e.reason for e in as_python.errors] + [w.reason for w in as_python.warnings]
    assert len(got) == len(base), (got, base)
    alone = python not in [float.__repr__(float(b)) for b in before if b[0] != '"']
    for g, b in zip(got, base):
        ours = b.endswith(f" at index {len(before)}") or (alone and b.startswith(f"float truncated: sent {python},"))
        if text == python or not ours:
            assert g == b  # (an earlier element's message, or none of the float's)
            continue
        places = [i for i in range(len(b)) if b.startswith(python, i) and b[:i] + text + b[i + len(python) :] == g]
        assert len(places) == 1, (text, g, b)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (b'{"id":1,"ids":[1.50]}', ["float truncated: sent 1.50, stored 1"]),
        (b'{"id":1,"ids":[3, 2.5e0, 1.50, 7]}', ["float truncated: sent 2.5e0, stored 2", "float truncated: sent 1.50, stored 1"]),
        (b'{"id":1,"ids":[1.50, 1.50]}', ["float truncated: sent 1.50, stored 1"] * 2),
        # two elements writing the float two ways: which one a message is about is unknown, so
        # each is said as Python writes it, never as the other's text
        (b'{"id":1,"ids":[1.50, 1.5]}', ["float truncated: sent 1.5, stored 1"] * 2),
        (b'{"id":1,"ids":[1.50, 1.5e0]}', ["float truncated: sent 1.5, stored 1"] * 2),
    ],
)
def test_an_element_truncated_is_said_as_written(text: bytes, said: list[str]) -> None:
    # float_truncated names no index: the float was looked up at the array's path, no number
    for fast in (True, False):
        r = _SETS.validate(text, fast=fast)
        assert [w.reason for w in r.warnings] == said
        assert [e.reason for e in _SETS.validate(text, fast=fast, strict=True).errors] == said
    assert [p.reason for p in _SETS.check(text)] == said
