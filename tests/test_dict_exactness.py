"""Python records judged as the JSON text a producer sends for them.

``Mapper.check`` of a dict read only the mapped values, so a record the endpoint refuses
whole (a NaN, a key that is not a string, a ``set`` or a ``datetime`` in a field nobody
maps: no JSON text; a 400-digit integer: beyond float64) passed it, while ``Batcher.add``
of the same dict refused it. Records given as a set (no order) were taken without a word."""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import uuid
from collections.abc import Mapping
from typing import Any, Iterator

import pytest

import mapper

SINK = {
    "name": "t",
    "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"},
    "schema": {
        "type": "json",
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [
            {"name": "id", "path": ["id"], "type": "id"},
            {"name": "n", "path": ["data", "n"], "type": "int"},
            {"name": "dec", "path": ["dec"], "type": "decimal", "config": {"Scale": 2}},
            {"name": "s", "path": ["s"], "type": "string", "config": {"Mutex": True}},
        ],
    },
}


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
    assert key.reason == "the record cannot be encoded as JSON: a Python mapping key 1 is not a string, as JSON object keys are"
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
