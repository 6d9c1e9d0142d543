"""A record's value whose ``==`` says True to anything, in a list of dicts.

The dict fast path collects each column's values in a list, ``UNSET`` where a record
lacks the key, and writes a column no record of the run has as absent at once. It used
to ask ``lst.count(UNSET) == k``, which compares by ``==`` after identity: a value such
as ``unittest.mock.ANY`` (or any object whose ``__eq__`` returns True) in a later record,
for a column the first record lacks, counted as missing and was dropped without a word,
where ``check()`` and the careful path refuse the record (``invalid_value``). Each case
here holds the fast path to the careful path record by record, and to the JSON text of
the same records with a value every column refuses in the odd object's place.
"""

from __future__ import annotations

import json
from typing import Any, Callable
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec import UNSET
from sinks import column, schema

import mapper
from mapper.engine.fast import _all_unset
from mapper.types import type_set
from tests.test_properties import SETTINGS

SINK = schema(
    column("id", "string"),
    column("n", "int"),
    column("s", "string", Mutex=True),
    column("flag", "bool"),
    column("ts", "timestamp"),
    column("ids", "ids"),
    column("x", "decimal", path=["d", "x"], Scale=2),
    column("tags", "strings", path=["d", "tags"]),
    primary_key_fields=["id"],
)


class AlwaysEqual:
    """Equal to anything, unhashable (as ``mock.ANY``)."""

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "AlwaysEqual()"


class AlwaysEqualHashed(AlwaysEqual):
    """Equal to anything and hashed as ``UNSET``: a set of the values cannot tell it from ``UNSET`` either."""

    def __hash__(self) -> int:
        return hash(UNSET)


class EqualsUnset:
    """Equal to ``UNSET`` alone (nothing a probe with another sentinel would see)."""

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return other is UNSET


ODD_KINDS: list[Callable[[], Any]] = [lambda: mock.ANY, AlwaysEqual, AlwaysEqualHashed, EqualsUnset]
ODD_TYPES = (type(mock.ANY), AlwaysEqual, EqualsUnset)

#: Where an odd value goes: a record holding only an id, then the odd value at a path.
PLACES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "n": lambda v: {"n": v},
    "s": lambda v: {"s": v},
    "ts": lambda v: {"ts": v},
    "ids": lambda v: {"ids": v},
    "ids element": lambda v: {"ids": [1, v]},
    "d": lambda v: {"d": v},
    "d.x": lambda v: {"d": {"x": v}},
    "d.tags": lambda v: {"d": {"tags": v}},
    "d.tags element": lambda v: {"d": {"tags": ["a", v]}},
}

#: A JSON value refused where an odd value is, as the odd value is (with the same code): not for `s`
#: (a string column takes any JSON value, as its text) nor the primary key (a Python object there
#: is not a key either: a second error).
STAND_IN = [[0]]


def _errors(batch: mapper.Batch) -> list[tuple[int, str, str | None, str]]:
    return [(e.record, e.column, e.path, e.code) for e in batch.report.errors]


def _outcome(batch: mapper.Batch) -> tuple[Any, ...]:
    """Rows (with the records they came from), errors and warnings, without the wording
    (an odd object's reason names its Python type, a stand-in's its JSON value)."""
    rep = batch.report
    warnings = [(w.record, w.column, w.kind) for w in rep.warnings]
    return batch.to_rows(), batch.record_index.tolist(), _errors(batch), warnings


def _one_by_one(m: mapper.Mapper, recs: list[dict[str, Any]]) -> tuple[Any, ...]:
    """The oracle: each record mapped alone by the careful path, and what ``check`` says of it."""
    rows: list[Any] = []
    index: list[int] = []
    errors: list[Any] = []
    warnings: list[Any] = []
    for i, rec in enumerate(recs):
        b = m.map([rec], on_error="skip", fast=False)
        rows += b.to_rows()
        index += [i] * len(b.to_rows())
        errors += [(i, *e[1:]) for e in _errors(b)]
        warnings += [(i, w.column, w.kind) for w in b.report.warnings]
        checked = [(e.column, e.code) for e in m.check(rec) if isinstance(e, mapper.RecordError)]
        assert checked == [(e[1], e[3]) for e in _errors(b)], rec
    return rows, index, errors, warnings


MAPPER = mapper.compile_sink(SINK)


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("kind", range(len(ODD_KINDS)))
@pytest.mark.parametrize(("size", "at"), [(3, 1), (3, 2), (3, 0), (300, 150), (300, 299)])
def test_an_odd_value_where_the_other_records_lack_the_column_is_refused(place: str, kind: int, size: int, at: int) -> None:
    recs: list[dict[str, Any]] = [{"id": f"r{i}"} for i in range(size)]
    recs[at].update(PLACES[place](ODD_KINDS[kind]()))
    fast = MAPPER.map(recs, on_error="skip")
    expected_code = "not_an_object" if place == "d" else "invalid_value"
    assert [(e[0], e[3]) for e in _errors(fast)] == [(at, expected_code)]
    assert len(fast.to_rows()) == size - 1
    assert _outcome(fast) == _outcome(MAPPER.map(recs, on_error="skip", fast=False))


def test_an_odd_value_in_a_later_run_of_a_long_list() -> None:
    """Past the first run of records (the fast path takes a long list in runs)."""
    recs: list[dict[str, Any]] = [{"id": f"r{i}"} for i in range(5000)]
    recs[4321]["n"] = mock.ANY
    recs[4999]["d"] = {"tags": AlwaysEqual()}
    fast = MAPPER.map(recs, on_error="skip")
    assert [(e[0], e[1], e[3]) for e in _errors(fast)] == [(4321, "n", "invalid_value"), (4999, "tags", "invalid_value")]
    assert fast.report.success_count == 4998


def test_unset_as_a_value_is_a_missing_value_on_both_paths() -> None:
    """``UNSET`` itself in a caller's dict is the careful path's missing value: the fast path agrees."""
    recs: list[dict[str, Any]] = [{"id": "a"}, {"id": "b", "n": UNSET}, {"id": "c", "n": 3}, {"id": "e", "d": {"x": UNSET}}]
    fast = MAPPER.map(recs, on_error="skip")
    assert _outcome(fast) == _outcome(MAPPER.map(recs, on_error="skip", fast=False))
    assert fast.report.success_count == 4


def test_all_unset_is_told_by_the_types_of_a_dicts_list() -> None:
    for odd in (mock.ANY, AlwaysEqual(), AlwaysEqualHashed(), EqualsUnset()):
        lst = [UNSET, odd, UNSET]
        assert lst.count(UNSET) == 3  # (what the old test believed)
        assert not _all_unset(lst, 3, type_set(lst))
    assert _all_unset([UNSET] * 4, 4, type_set([UNSET] * 4))
    assert type_set([UNSET, UNSET]) == {type(UNSET)} and type_set([UNSET, 0, UNSET]) == {type(UNSET), int}  # (counted, then as a set)
    assert _all_unset([UNSET] * 4, 4)  # a decoder's list (JSON values only) is counted
    assert not _all_unset([UNSET, 1, UNSET], 3)


class EqualStr(str):
    """A ``str`` whose ``==`` says True to anything (its JSON text is its characters)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = str.__hash__


class EqualInt(int):
    """An ``int`` whose ``==`` says True to anything."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = int.__hash__


JSONISH = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2**40),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.text(max_size=3),
    st.lists(st.text(max_size=2), max_size=3),
    st.lists(st.integers(0, 9), max_size=3),
)


def _odd(draw: Any) -> Any:
    return ODD_KINDS[draw(st.integers(0, len(ODD_KINDS) - 1))]()


_STRS = st.text(max_size=3).map(EqualStr)
_INTS = st.integers(-3, 2**20).map(EqualInt)
#: A value each column takes, at times a ``str`` or ``int`` whose ``==`` says True to anything
#: (its JSON text is its builtin value's), alone or in an array.
_TAKEN = {
    "n": st.integers(-5, 10**6) | _INTS,
    "s": st.text(max_size=3) | _STRS,
    "flag": st.booleans(),
    "ts": st.integers(0, 2 * 10**9) | _INTS.filter(lambda v: v >= 0),
    "ids": st.lists(st.integers(0, 9) | _INTS.filter(lambda v: v >= 0), max_size=3),
    "x": st.integers(-999, 999) | st.floats(-1e4, 1e4, allow_nan=False),
    "tags": st.lists(st.text(max_size=2) | _STRS, max_size=3),
}


@st.composite
def _value(draw: Any, key: str, odd_here: bool) -> Any:
    """A value for column ``key``: mostly one it takes, else any JSON value, a subclassed ``str``
    or ``int`` (alone or in an array), or (where ``odd_here``) an odd object, alone or in an array."""
    roll = draw(st.integers(0, 9))
    if roll < 5:
        return draw(_TAKEN[key])
    if roll == 7:
        arrays = st.lists(_STRS | st.text(max_size=2), min_size=1, max_size=3) | st.lists(_INTS | st.integers(0, 9), min_size=1, max_size=3)
        return draw(_STRS | _INTS | arrays)
    if roll < 8 or not odd_here:
        return draw(JSONISH)
    if roll == 8:
        return _odd(draw)
    return [*draw(st.lists(st.text(max_size=2) | st.integers(0, 9), max_size=2)), _odd(draw)]


@st.composite
def _records(draw: Any, odd_in_string: bool) -> list[dict[str, Any]]:
    """A list of records each of whose mapped keys is there or not, some values odd objects
    (anywhere, the primary key and ``s`` when ``odd_in_string``)."""
    size = draw(st.integers(3, 24))
    recs = []
    for i in range(size):
        rec: dict[str, Any] = {"id": f"r{i}"}
        if odd_in_string and draw(st.integers(0, 19)) == 0:
            rec["id"] = _odd(draw)
        for key in ("n", "s", "flag", "ts", "ids"):
            if draw(st.booleans()):
                rec[key] = draw(_value(key, odd_here=odd_in_string or key != "s"))
        d = draw(st.integers(0, 4))
        if d == 1:
            rec["d"] = _odd(draw)
        elif d >= 2:
            rec["d"] = {key: draw(_value(key, odd_here=True)) for key in ("x", "tags") if draw(st.booleans())}
        recs.append(rec)
    return recs


def _stand_in(value: Any) -> Any:
    """``value`` with each odd object in it as :data:`STAND_IN`."""
    if isinstance(value, ODD_TYPES):
        return STAND_IN
    if isinstance(value, dict):
        return {k: _stand_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stand_in(v) for v in value]
    return value


@settings(SETTINGS, max_examples=50)
@given(_records(odd_in_string=True))
def test_dicts_with_odd_values_map_as_each_record_carefully(recs: list[dict[str, Any]]) -> None:
    assert _outcome(MAPPER.map(recs, on_error="skip")) == _one_by_one(MAPPER, recs)


@settings(SETTINGS, max_examples=50)
@given(_records(odd_in_string=False))
def test_dicts_with_odd_values_map_as_their_json_text_with_a_refused_value_there(recs: list[dict[str, Any]]) -> None:
    data = "".join(json.dumps(_stand_in(r)) + "\n" for r in recs).encode()
    from_dicts = _outcome(MAPPER.map(recs, on_error="skip"))
    assert from_dicts == _outcome(MAPPER.map(data, on_error="skip"))
    assert from_dicts == _outcome(MAPPER.map(recs, on_error="skip", fast=False))


def test_always_equal_builtin_subclasses_in_arrays_are_their_json_values() -> None:
    """Inside an array as alone: a ``str`` subclass saying it equals ``""`` was left out of a set."""
    recs: list[dict[str, Any]] = [
        {"id": "a", "d": {"tags": ["x", EqualStr("kept"), EqualStr("too")]}},
        {"id": "b", "d": {"tags": [EqualStr("one")]}},
        {"id": "c", "ids": [1, EqualInt(7), EqualInt(7)]},
        {"id": "e", "s": ["q", EqualStr("w"), {"k": EqualInt(3)}]},
        {"id": "f", "d": {"tags": EqualStr("p,q")}, "n": EqualInt(5), "s": EqualStr("")},
    ]
    data = "".join(json.dumps(r) + "\n" for r in recs).encode()
    expected = _outcome(MAPPER.map(data, on_error="skip"))
    assert [r.get("tags") for r in expected[0]] == [["x", "kept", "too"], ["one"], None, None, ["p", "q"]]
    assert _outcome(MAPPER.map(recs, on_error="skip")) == expected
    assert _outcome(MAPPER.map(recs, on_error="skip", fast=False)) == expected
