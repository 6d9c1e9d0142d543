"""A list of dicts read by the dicts' own key objects, and primary keys typed once.

``_columns`` looks the mapped keys up as the first dict's own key objects (a dict finds
a key that *is* its own key object without comparing text), and ``fill_pk`` looks at a
key column's types once. Neither may change what comes out: each case here maps the same
records as dicts (fast path), as dicts carefully (``fast=False``) and as their JSON text.
"""

from __future__ import annotations

import json
from collections import OrderedDict, UserDict
from typing import Any, Callable

import orjson
import pytest
from msgspec import UNSET
from sinks import column, schema

import mapper
from mapper.compiler import _column, _columns, _own_keys
from mapper.engine.core import Engine
from mapper.engine.fast import _plain_keys
from tests.test_objects import outcome

NESTED = schema(
    column("id", "string"),
    column("ts", "int"),
    column("name", "string", path=["data", "name"]),
    column("n", "int", path=["data", "n"]),
    column("x", "decimal", path=["data", "x"], Scale=2),
    primary_key_fields=["id"],
)


def _fresh(text: str) -> str:
    """An equal str that is another object (as a sink's keys are to a record's)."""
    return ("." + text)[1:]


class OddHash(str):
    """A str key that hashes unlike the text it equals: a dict looks it up by neither spelling."""

    def __hash__(self) -> int:
        return 7


def _recs(n: int = 40) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "ts": i * 1000, "data": {"name": f"n{i % 3}", "n": i, "x": i / 4}} for i in range(n)]


def test_own_keys_are_the_first_dicts_key_objects() -> None:
    keys = tuple(_fresh(k) for k in ("data", "id", "nope"))
    first = orjson.loads(b'{"id": 1, "data": {}}')
    own = _own_keys(keys, first)
    by_text = {k: k for k in first}
    assert own == list(keys)
    assert own[0] is by_text["data"] and own[1] is by_text["id"]
    assert own[2] is keys[2]  # (a key the dict lacks stays the sink's)


def test_own_keys_take_only_a_plain_str() -> None:
    odd = OddHash("id")
    keys = (_fresh("id"),)
    assert _own_keys(keys, {odd: 1})[0] is keys[0]
    assert _own_keys(keys, {1: "a", "id": 2})[0] == "id"


class PassesForStr:
    """A key whose ``__class__`` says str: hashing it would run its code, and it is no str."""

    hashed = 0

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return str

    def __hash__(self) -> int:
        PassesForStr.hashed += 1
        return hash("id")

    def __eq__(self, other: object) -> bool:
        return other == "id"


def test_own_keys_are_told_by_their_type_not_their_class_attribute() -> None:
    liar = PassesForStr()
    keys = (_fresh("id"),)
    first = {liar: 1, "n": 2}
    PassesForStr.hashed = 0
    own = _own_keys(keys, first)
    assert own[0] is keys[0] and PassesForStr.hashed == 0


def test_columns_read_the_values_and_raise_keyerror_for_a_missing_key() -> None:
    dicts = [orjson.loads(orjson.dumps({"a": i, "b": str(i), "c": None})) for i in range(5)]
    assert _columns(dicts, (_fresh("b"), _fresh("a"))) == [[str(i) for i in range(5)], list(range(5))]
    assert _columns([], ("a", "b")) == [[], []]
    with pytest.raises(KeyError):
        _columns([*dicts, {"a": 1}], ("a", "b"))


def test_column_reads_one_key_unset_where_a_dict_lacks_it() -> None:
    dicts = [orjson.loads(orjson.dumps({"a": i, "b": None})) for i in range(4)]
    assert _column(dicts, _fresh("a")) == [0, 1, 2, 3]
    assert _column([*dicts, {"b": 1}], _fresh("a")) == [0, 1, 2, 3, UNSET]
    assert _column([{"b": 1}, *dicts], _fresh("b")) == [1, None, None, None, None]
    assert _column([], "a") == []


def _records_with_shared_keys() -> list[Any]:
    return [orjson.loads(orjson.dumps(r)) for r in _recs()]


def _first_lacks_a_key() -> list[Any]:
    recs = _records_with_shared_keys()
    del recs[0]["data"]["n"]
    del recs[5]["ts"]
    return recs


def _first_has_an_odd_key() -> list[Any]:
    recs = _records_with_shared_keys()
    recs[0] = {OddHash("id"): "odd", "ts": 5, "data": {OddHash("name"): "q", "n": 1, "x": 0.5}}
    return recs


def _none_and_non_dicts_inside() -> list[Any]:
    recs = _records_with_shared_keys()
    recs[0]["data"] = None
    recs[3]["data"] = ["not", "an", "object"]
    recs[4]["data"] = "text"
    recs[6]["data"]["n"] = None
    recs[7]["id"] = None
    return recs


def _other_mappings() -> list[Any]:
    recs = _records_with_shared_keys()
    recs[0] = OrderedDict(recs[0])
    recs[2]["data"] = UserDict(recs[2]["data"])
    recs[8]["data"] = OrderedDict(recs[8]["data"])
    return recs


def _odd_key_values() -> list[Any]:
    recs = _records_with_shared_keys()
    recs[0]["id"] = ""
    recs[2]["id"] = 12
    recs[9]["data"]["name"] = True
    recs[10]["data"]["n"] = "7"
    return recs


def _surrogate_key() -> list[Any]:
    recs = _records_with_shared_keys()
    recs[1]["id"] = "\ud800"
    recs[4]["data"]["name"] = "b\udc00"
    return recs


CASES: dict[str, Callable[[], list[Any]]] = {
    "shared-keys": _records_with_shared_keys,
    "first-lacks-a-key": _first_lacks_a_key,
    "first-has-an-odd-key": _first_has_an_odd_key,
    "none-and-non-dicts-inside": _none_and_non_dicts_inside,
    "other-mappings": _other_mappings,
    "odd-key-values": _odd_key_values,
    "surrogate-key": _surrogate_key,
}
#: cases whose JSON text says something else: a key no dict lookup finds (the text has it),
#: a lone surrogate (the text's escape is warned about as the decoder met it)
NOT_AS_TEXT = {"first-has-an-odd-key", "surrogate-key"}


#: one mapped key under "data" (read alone, never with siblings), and the primary key
ONE_KEY = {**NESTED, "definition": [NESTED["definition"][0], NESTED["definition"][3]]}


@pytest.mark.parametrize("sink", [NESTED, ONE_KEY], ids=["siblings", "one-key"])
@pytest.mark.parametrize("case", list(CASES))
def test_dicts_map_as_careful_dicts_and_their_json_text(case: str, sink: dict[str, Any]) -> None:
    m = mapper.compile_sink(sink)
    recs = CASES[case]()
    fast = outcome(m.map(recs, on_error="skip"))
    assert fast == outcome(m.map(recs, on_error="skip", fast=False))
    if case not in NOT_AS_TEXT:
        text = b"".join(json.dumps(r, default=dict).encode() + b"\n" for r in recs)
        assert fast == outcome(m.map(text, on_error="skip"))


def test_shared_keys_take_the_fast_path() -> None:
    m = mapper.compile_sink(NESTED)
    engine = Engine(m.compiled, mapper.MapOptions())
    engine.feed_objects(_records_with_shared_keys())
    batch, _report = engine.finish()
    assert engine.stats["fast_records"] == 40 and engine.stats["careful_records"] == 0
    assert batch is not None and batch.to_rows()[3] == {"_id": "r3", "ts": 3000, "name": "n0", "n": 3, "x": "0.75"}


class Sub(str):
    pass


@pytest.mark.parametrize(
    "values, plain",
    [
        (["a", "b"], True),
        (["a", ""], False),
        (["a", None], False),
        (["a", 3], False),
        (["a", Sub("b")], False),
        ([], False),
    ],
)
def test_plain_keys_are_nonempty_plain_strings(values: list[Any], plain: bool) -> None:
    assert _plain_keys(values, python=True) is plain
    assert _plain_keys(values, python=False) is plain


def test_plain_keys_from_python_hold_no_lone_surrogate() -> None:
    assert _plain_keys(["a", "b\ud800"], python=True) is False
    assert _plain_keys(["a", "b\ud800"], python=False) is True  # (decoded JSON: the decoder's text, looked at elsewhere)
