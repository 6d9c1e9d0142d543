"""Python records judged as the JSON text a producer sends for them.

``Mapper.check`` of a dict read only the mapped values, so a record the endpoint refuses
whole (a NaN, a key that is not a string, a ``set`` or a ``datetime`` in a field nobody
maps: no JSON text; a 400-digit integer: beyond float64) passed it, while ``Batcher.add``
of the same dict refused it. Records given as a set (no order), and an iterator refilling
one dict for each record from some record on (all but the last of a unit lost), were
taken without a word."""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import uuid
from collections.abc import Mapping
from itertools import chain, repeat
from typing import Any, Iterator

import pytest
from sinks import column, id_sink

import mapper

SINK = id_sink(column("n", "int", path=["data", "n"]), column("dec", "decimal", Scale=2), column("s", "string", Mutex=True))


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


class Color(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


class Frozen(Mapping[str, Any]):
    """A mapping other than a dict (read as a JSON object)."""

    def __init__(self, **items: Any):
        self._items = items

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def rec(**extra: Any) -> dict[str, Any]:
    """A good record (every mapped value fine) with ``extra`` members nobody maps."""
    return {"id": 1, "data": {"n": 5}, "dec": "1.25", "s": "x", **extra}


def _nest(depth: int, bottom: Any) -> Any:
    """``bottom`` in ``depth`` levels of dicts and lists."""
    value = bottom
    for i in range(depth):
        value = {"d": value} if i % 2 else [value]
    return value


NO_TEXT = "invalid_json"
#: (name, record, the verdict: None accepted, else (code, path) of the one error)
CASES: list[tuple[str, Any, tuple[str, str | None] | None]] = [
    ("inf", rec(x=float("inf")), (NO_TEXT, None)),
    ("-inf nested", rec(x={"y": float("-inf")}), (NO_TEXT, None)),
    ("nan in a list", rec(x=[1, float("nan")]), (NO_TEXT, None)),
    ("nan under the mapped object", {**rec(), "data": {"n": 5, "other": float("nan")}}, (NO_TEXT, None)),
    ("an int beyond float64", rec(x=10**400), ("out_of_range", "$.x")),
    ("a negative one, nested", rec(x={"y": [0, -(10**400)]}), ("out_of_range", "$.x.y[1]")),
    ("an int beyond 64 bits, within float64", rec(x=2**64), None),
    ("an int below -2**63", rec(x=-(2**63) - 1), None),
    ("a key that is not a str", rec(x={1: "a"}), (NO_TEXT, None)),
    ("a key None at the top", {**rec(), None: 1}, (NO_TEXT, None)),
    ("a tuple (an array)", rec(x=(1, "a")), None),
    ("a set", rec(x={1, 2}), (NO_TEXT, None)),
    ("a frozenset", rec(x=frozenset()), (NO_TEXT, None)),
    ("a datetime", rec(x=datetime.datetime(2020, 1, 2)), (NO_TEXT, None)),
    ("an Enum member", rec(x=Color.RED), (NO_TEXT, None)),
    ("an IntEnum member (an int)", rec(x=Level.HIGH), None),
    ("a UUID", rec(x=uuid.UUID(int=7)), (NO_TEXT, None)),
    ("bytes", rec(x=b"ab"), (NO_TEXT, None)),
    ("a Decimal", rec(x=decimal.Decimal("1.5")), (NO_TEXT, None)),
    ("a str subclass", rec(x=Name("a")), None),
    ("an OrderedDict", rec(x=collections.OrderedDict(a=1)), None),
    ("a lone surrogate (sent escaped)", rec(x="\ud800"), None),
    ("a mapping other than a dict, holding NaN", Frozen(id=1, x=float("nan")), (NO_TEXT, None)),
    ("a mapping other than a dict, holding a datetime", rec(x=Frozen(t=datetime.date(2020, 1, 2))), (NO_TEXT, None)),
    ("nested deeper than orjson writes", rec(x=_nest(300, 1)), None),
    ("... a NaN at its bottom", rec(x=_nest(300, float("nan"))), (NO_TEXT, None)),
    ("nested deeper than the decoders read", rec(x=_nest(10_001, 1)), (NO_TEXT, None)),  # (on every Python: 2,000 is read from 3.13 on, tests/depths.py)
    ("an int of 5,000 digits", rec(x=10**4999), ("out_of_range", "$.x")),
    ("a lone surrogate, a big int, scalars", rec(x=["\ud800", 2**70, {"k": [1.5, True, None, "a"]}, [], {}]), None),
    ("a clean record", rec(), None),
    ("a mapped NaN: the column's error alone", {**rec(), "dec": float("nan")}, ("invalid_value", "$.dec")),
    ("a mapped NaN and an unmapped set: the column's error", {**rec(x={1}), "dec": float("nan")}, ("invalid_value", "$.dec")),
    ("a mapped int beyond float64: said once, at its column", {**rec(), "data": {"n": 10**400}}, ("out_of_range", "$.data.n")),
]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(("name", "record", "verdict"), CASES, ids=[c[0] for c in CASES])
def test_check_of_a_dict_agrees_with_the_batcher(m: mapper.Mapper, name: str, record: Any, verdict: tuple[str, str | None] | None, strict: bool) -> None:
    checked = [e for e in m.check(record, strict=strict) if isinstance(e, mapper.RecordError)]
    added = mapper.Batcher(m, strict=strict).add(record)
    assert [(e.code, e.path) for e in checked] == ([] if verdict is None else [verdict])
    assert added.accepted == (verdict is None)
    assert [(e.code, e.path, e.reason) for e in added.errors] == [(e.code, e.path, e.reason) for e in checked]


def test_the_words_of_a_record_with_no_json_text(m: mapper.Mapper) -> None:
    """The batcher's words, from check: what has no JSON form, named."""
    (nan,) = m.check(rec(x=float("nan")))
    assert nan.reason == "the record holds a float NaN or infinity, which JSON cannot carry"
    (when,) = m.check(rec(x=datetime.date(2020, 1, 2)))
    assert when.reason.startswith("the record cannot be encoded as JSON: a Python datetime.date is not a JSON value")
    (key,) = m.check(rec(x={1: "a"}))
    assert key.reason == "the record cannot be encoded as JSON: a Python mapping key 1 is not a string, as JSON object keys are (a key of the object at $.x)"
    (big,) = m.check(rec(x=10**400))
    assert "beyond the float64 range" in big.reason and "wherever the number is" in big.reason


def test_check_of_a_dict_holding_itself_is_refused_not_raised(m: mapper.Mapper) -> None:
    record = rec()
    record["x"] = record
    assert [(e.code, e.path) for e in m.check(record)] == [(NO_TEXT, None)]
    assert not mapper.Batcher(m).add(record).accepted


@pytest.mark.parametrize("kind", [set, frozenset])
def test_records_given_as_a_set_are_refused(m: mapper.Mapper, kind: type) -> None:
    records = kind(['{"id": 1}', '{"id": 2}', '{"id": 3}'])
    words = rf"given the records as a {kind.__name__}, which has no order.*pass them as a list"
    for name, call in (
        ("map", lambda: m.map(records)),
        ("validate", lambda: m.validate(records)),
        ("validate", lambda: m.validate(records, workers=2)),
        ("iter_batches", lambda: m.iter_batches(records)),
        ("add_many", lambda: mapper.Batcher(m).add_many(records)),
        ("infer", lambda: mapper.infer(records)),
    ):
        with pytest.raises(mapper.InputError, match=rf"^{name} was {words}"):
            call()
    with pytest.raises(mapper.InputError, match=rf"^check takes one record \(a mapping, or its JSON text\), not a {kind.__name__}: .*validate as a list"):
        m.check(records)
    # a list of the same records is taken, and so is one record that is a set (refused as no object)
    assert m.validate(sorted(records)).records == 3
    batcher = mapper.Batcher(m)
    assert [e.code for e in batcher.add(records).errors] == ["not_an_object"]
    assert batcher.added == 1


def _refilling(n: int, start: int) -> Iterator[dict[str, Any]]:
    """Records 0..n-1, each its own dict until ``start``, then one dict filled anew for each."""
    shared: dict[str, Any] = {}
    for i in range(n):
        record = shared if i >= start else {}
        record["id"], record["data"] = i + 1, {"n": i}
        yield record


@pytest.mark.parametrize(("n", "start"), [(10, 5), (3000, 2500), (40, 0)])
def test_an_iterator_refilling_one_dict_from_any_record_on_is_refused(m: mapper.Mapper, n: int, start: int) -> None:
    """The check compared records 0 and 1 only: refilled from record 5 on, records 5-9 were all
    mapped as record 9, accepted without a word."""
    how = "and, changed, again" if start == 0 else "and again"
    for call in (m.map, m.validate, lambda x: list(m.iter_batches(x, records=4096))):
        with pytest.raises(mapper.InputError, match=rf"gave one dict as record {start} {how} as record {start + 1}\b.*yield dict\(record\)"):
            call(_refilling(n, start))
    # each record mapped before the next is read (batches of one), or each its own dict: all there
    rows = m.map([{"id": i + 1, "data": {"n": i}} for i in range(10)]).to_rows()
    assert [row["n"] for row in rows] == list(range(10))
    assert [row for b in m.iter_batches(_refilling(10, 5), records=1) for row in b.to_rows()] == rows
    assert m.map(dict(r) for r in _refilling(10, 5)).to_rows() == rows


def test_records_given_again_that_can_be_told_unchanged_are_taken(m: mapper.Mapper) -> None:
    same = {"id": 7}
    assert m.map(iter([same] * 3)).to_rows() == m.map([{"id": 7}] * 3).to_rows()  # the first record, unchanged
    assert m.validate(iter(['{"id": 7}'] * 3)).records == 3  # a str cannot change
    assert m.validate(iter([None, None])).error_counts == {(None, "not_an_object"): 2}
    assert m.validate([{"id": 1}, same, same]).records == 3  # a list holds its records as they stand
    # given again from a later record on: unchanged or refilled, it cannot be told
    with pytest.raises(mapper.InputError, match=r"gave one dict as record 1 and again as record 2 \(given again unchanged or filled anew: it cannot be told\)"):
        m.validate(chain([{"id": 1}], repeat(same, 3)))
    buffer = bytearray(b'{"id": 1}')
    with pytest.raises(mapper.InputError, match=r"gave one bytearray as record 0 and again as record 1"):
        m.validate(iter([buffer, buffer]))


def test_a_container_other_than_a_list_holds_its_records_as_they_stand(m: mapper.Mapper) -> None:
    """Only an iterator (a generator) can give one dict filled anew: a deque or a numpy array
    of dicts holding one dict twice holds one record twice."""
    import numpy as np

    same = {"id": 7}
    expected = m.map([{"id": 1}, same, same]).to_rows()
    assert m.map(collections.deque([{"id": 1}, same, same])).to_rows() == expected
    assert m.map(np.array([{"id": 1}, same, same], dtype=object)).to_rows() == expected


def test_an_iterator_failing_after_a_refilled_dict_says_the_refill(m: mapper.Mapper) -> None:
    def failing() -> Iterator[dict[str, Any]]:
        yield from _refilling(8, 3)
        raise OSError("the source went away")

    with pytest.raises(mapper.InputError, match=r"gave one dict as record 3 and again as record 4"):
        m.validate(failing())
    with pytest.raises(OSError, match="went away"):
        m.validate(dict(r) for r in failing())
