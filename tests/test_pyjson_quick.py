"""mapping_text's quick test (orjson writes the record, the C pickler finds only builtin values
in it) gives exactly what the type walk gives: the same text, the same refusal, for every odd
value at every place in a record."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import struct
import threading
import uuid
from typing import Any

import numpy as np
import orjson
import pytest
import sinks
from hypothesis import given, settings
from hypothesis import strategies as st

import mapper
from mapper.engine import pyjson


class Colour(enum.Enum):
    RED = 1


class Size(enum.IntEnum):
    BIG = 3


class Name(str, enum.Enum):
    ANN = "ann"


class Odd(enum.Enum):  # an Enum whose member holds a JSON value that is not its own
    A = {"x": 1}


class Raw(bytes, enum.Enum):  # bytes to the pickler's eye, its value ("text") to orjson's
    def __new__(cls, value: str) -> Raw:
        member = bytes.__new__(cls, b"x")
        member._value_ = value
        return member

    A = "text"


class Str(str):
    pass


class SlotStr(str):  # (no __dict__: not followed by the garbage collector)
    __slots__ = ()


class Int(int):
    pass


class Float(float):
    __slots__ = ()


class Dict(dict):
    def get(self, key: Any, default: Any = None) -> Any:
        return "from get"


class List(list):
    pass


class Tuple(tuple):
    pass


@dataclasses.dataclass
class Point:
    x: int = 1


Pair = collections.namedtuple("Pair", "a b")

NAN, INF = float("nan"), float("inf")

#: Values a record may hold: builtin ones, and every kind the walk refuses or writes its own way.
ODD: list[Any] = [
    1,
    -0.0,
    1.5,
    "s",
    "",
    None,
    True,
    False,
    [],
    {},
    (),
    (1, "a"),
    [1, [2, [3]]],
    {"k": {"j": [None]}},
    NAN,
    INF,
    -INF,
    [NAN],
    (1.0, NAN),
    {"a": [1, (INF,)]},
    2**63 - 1,
    -(2**63),
    2**64,
    -(2**64) - 1,
    10**400,
    "\ud800",
    "a\udfffb",
    "\ud83d\ude00",
    Colour.RED,
    Size.BIG,
    Name.ANN,
    Odd.A,
    Raw.A,
    uuid.UUID(int=7),
    datetime.datetime(2026, 12, 4, 23, 0),
    datetime.date(2026, 12, 4),
    datetime.time(23, 0),
    datetime.timedelta(1),
    decimal.Decimal("1.5"),
    decimal.Decimal("NaN"),
    Point(),
    Pair(1, 2),
    Str("s"),
    SlotStr("s"),
    Int(5),
    Float(1.5),
    Float(NAN),
    Dict(a=1),
    List([1]),
    Tuple((1,)),
    collections.OrderedDict(a=1),
    collections.defaultdict(int, a=1),
    np.float64(1.5),
    np.float64(NAN),
    np.int64(3),
    np.bool_(True),
    np.str_("s"),
    np.arange(3),
    b"x",
    bytearray(b"x"),
    memoryview(b"x"),
    {1, 2},
    frozenset({1}),
    1j,
    object(),
    int,
    len,
    orjson.Fragment(b"1"),
    orjson.Fragment(b'{"a": 1}'),
    {1: "int key"},
    {None: 1},
    {(1, 2): 1},
    {Str("k"): 1},
    {SlotStr("k"): 1},
    {Name.ANN: 1},
]

#: Where in a record a value is put.
PLACES = {
    "top": lambda v: {"id": "a", "v": v},
    "in a dict": lambda v: {"id": "a", "data": {"x": 1, "v": v}},
    "in a list": lambda v: {"id": "a", "v": [1, v]},
    "in a tuple": lambda v: {"id": "a", "v": ("x", v)},
    "in a dict in a list": lambda v: {"id": "a", "v": [{"w": v}]},
    "deep": lambda v: {"a": [[[{"b": ({"c": [v]},)}]]]},
}


def walked(record: Any) -> tuple[bytes | None, str | None]:
    """mapping_text as it was, by the type walk alone (the quick test switched off)."""
    quick = pyjson._builtins_only
    pyjson._builtins_only = None
    try:
        return pyjson.mapping_text(record)
    finally:
        pyjson._builtins_only = quick


def test_the_quick_test_is_in_use() -> None:
    assert pyjson._builtins_only is not None


@pytest.mark.parametrize("place", list(PLACES))
def test_every_odd_value_anywhere_gets_the_walks_text_or_refusal(place: str) -> None:
    for value in ODD:
        record = PLACES[place](value)
        assert pyjson.mapping_text(record) == walked(record), (place, value)


def test_the_quick_test_passes_only_builtin_values() -> None:
    # what orjson writes and the pickler passes holds nothing the walk refuses (tuples aside,
    # which the walk writes as the arrays orjson makes of them)
    for value in ODD:
        for make in PLACES.values():
            record = make(value)
            try:
                orjson.dumps(record)
            except TypeError:
                continue
            if pyjson._pickled_builtins_only(record):
                assert _types(record) <= {str, int, float, bool, type(None), dict, list, tuple}, value


def _types(value: Any) -> set[type]:
    out = {type(value)}
    if type(value) is dict:
        for k, v in value.items():
            out |= _types(k) | _types(v)
    elif type(value) in (list, tuple):
        for v in value:
            out |= _types(v)
    return out


def test_a_builtin_record_skips_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the speed this is for: a dict of builtin values pays orjson and the pickler, not the walk)
    def no_walk(values: Any) -> bool:
        raise AssertionError("walked")

    monkeypatch.setattr(pyjson, "_plain", no_walk)
    record = {"id": "a", "ts": 1, "data": {"lat": 1.5, "ok": True, "tags": ["x", None], "pair": (1, 2)}}
    assert pyjson.mapping_text(record) == (b'{"id":"a","ts":1,"data":{"lat":1.5,"ok":true,"tags":["x",null],"pair":[1,2]}}', None)


def test_a_nan_in_a_tuple_is_found() -> None:
    assert pyjson._non_finite({"a": [(1.0, NAN)]})
    assert not pyjson._non_finite({"a": [(1.0, None)]})


def test_records_deeper_than_orjson_writes_and_holding_themselves_take_the_walk() -> None:
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    loop: list[Any] = []
    loop.append(loop)
    for record in ({"a": deep}, {"a": loop}, {"a": (deep,)}):
        assert pyjson.mapping_text(record) == walked(record)


def test_a_record_deeper_than_orjson_writes_with_a_key_that_is_not_a_string_is_refused_not_raised() -> None:
    # (the deep path's writer met the key: a bare TypeError out of check and Batcher.add)
    deep: Any = 1
    for _ in range(300):
        deep = {"a": deep}
    m = mapper.compile_sink(sinks.schema(sinks.column("id", "string"), primary_key_fields=["id"]))
    for record, key in (({"id": "r", "x": deep, 5: 1}, "5"), ({"id": "r", "x": {"a": deep, "b": {None: 1}}}, "None")):
        raw, why = pyjson.mapping_text(record)
        assert raw is None and why is not None and f"key {key} is not a string" in why
        (error,) = m.check(record)
        assert error.code == "invalid_json" and f"key {key} is not a string" in error.reason
        verdict = mapper.Batcher(m).add(record)
        assert not verdict.accepted and verdict.errors[0].code == "invalid_json" and f"key {key}" in verdict.errors[0].reason


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=4),
    st.sampled_from([Colour.RED, Size.BIG, Name.ANN, uuid.UUID(int=1), Str("s"), Int(1), Float(2.0), np.float64(1.0), orjson.Fragment(b"2"), b"b", Point()]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=3), st.sampled_from([1, Str("k")])), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=3), _VALUES, max_size=4))
def test_any_record_gets_the_walks_text_or_refusal(record: dict[str, Any]) -> None:
    assert pyjson.mapping_text(record) == walked(record)


def test_threads_writing_texts_at_once_each_get_their_own() -> None:
    records = [{"id": str(i), "v": [i, {"x": Colour.RED if i % 3 == 0 else i}]} for i in range(300)]
    expected = [walked(r) for r in records]
    errors: list[Any] = []

    def work() -> None:
        for _ in range(20):
            got = [pyjson.mapping_text(r) for r in records]
            if got != expected:
                errors.append(got)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(pyjson._PICKLERS) <= 5  # (one per thread at most, and the one in use before)


def test_the_batcher_and_check_give_each_odd_record_the_walks_verdict() -> None:
    sink = sinks.sink(sinks.column("id", "string"), name="s", table="t", database_id="d", primary_key_fields=["id"])
    m = mapper.compile_sink(sink)
    records = [make(v) for v in ODD for make in PLACES.values()]

    def run() -> list[Any]:
        b = mapper.Batcher(m)
        verdicts = [b.add(r) for r in records]
        bodies = b.flush()
        return [(v.accepted, v.errors, v.raw) for v in verdicts] + [body.data for body in bodies] + [m.check(r) for r in records]

    quick = run()
    saved = pyjson._builtins_only
    pyjson._builtins_only = None
    try:
        slow = run()
    finally:
        pyjson._builtins_only = saved
    assert quick == slow


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_a_body_is_its_items_wrapped_and_joined(count: int) -> None:
    from mapper.endpoint import body_size, encode_body

    raws = [orjson.dumps({"id": str(i), "v": "x" * i}) for i in range(count)]
    data = encode_body(raws)
    assert data == b'{"records":[' + b",".join(b'{"value":' + r + b"}" for r in raws) + b"]}"
    assert len(data) == body_size(count, sum(map(len, raws)))
    assert [item["value"] for item in orjson.loads(data)["records"]] == [orjson.loads(r) for r in raws]


def test_a_big_record_leaves_the_quick_test_quick() -> None:
    import timeit

    small = {"id": "a", "v": [1, 2.5, "x" * 50, None]}

    def cost() -> float:
        return min(timeit.repeat(lambda: pyjson._pickled_builtins_only(small), number=200, repeat=5)) / 200

    before = cost()
    for record in ({"big": "x" * 20_000_000}, {"many": ["y" * 100] * 200_000}):
        assert pyjson._pickled_builtins_only(record)
    after = cost()
    # (a pickler whose buffer grew to the big record's size allocated as much for every later
    # record: 13 us against 0.3 us; the margin leaves room for a busy machine)
    assert after < 10 * before + 5e-6, (before, after)


def _padded(value: Any) -> dict[str, Any]:
    """A record whose pickle is over 1,200 bytes (where the depth is read from it) holding ``value`` deep inside."""
    return {"id": "a", "none": None, "pad": ["x" * 40] * 40, "data": {"list": [1.5, -2.25, {"v": value}], "more": [None, 1e300]}}


@pytest.mark.parametrize("make", [lambda v: {"a": None, "v": v}, _padded], ids=["small", "padded"])
def test_a_record_with_nulls_and_finite_floats_is_not_walked_for_a_nan(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # orjson writes a NaN as null, so a record's null sent it through a walk of every value
    # (27 us of a GitHub webhook's 40): its pickle, at hand, says it holds no NaN or infinity
    def no_walk(value: Any) -> bool:
        raise AssertionError("walked")

    monkeypatch.setattr(pyjson, "_non_finite", no_walk)
    for v in (1.5, -0.0, 1e-300, 5e-324, 1.7976931348623157e308 / 2**12, "plain", None):
        raw, why = pyjson.mapping_text(make(v))
        assert why is None and raw == orjson.dumps(make(v))


@pytest.mark.parametrize("make", [lambda v: {"a": None, "v": v}, _padded, lambda v: {"a": None, "t": ("s", [v])}], ids=["small", "padded", "tuple"])
def test_a_nan_or_infinity_is_found_whatever_else_the_pickle_holds(make: Any) -> None:
    for v in (NAN, float("inf"), float("-inf"), -NAN, struct.unpack(">d", b"\xff\xff\xff\xff\xff\xff\xff\xff")[0]):
        assert pyjson.mapping_text(make(v)) == (None, pyjson.NON_FINITE), v
    # what looks like one in a pickle (the largest floats, a str holding its bytes) is walked, and sent
    for v in (1.7976931348623157e308, -1e308, "G\x7f\xf0", "G\x7f"):
        assert pyjson.mapping_text(make(v)) == (orjson.dumps(make(v)), None), v


def test_from_3_12_a_big_shallow_record_s_depth_is_read_from_its_pickle(monkeypatch: pytest.MonkeyPatch) -> None:
    # the level walk (12 us of a GitHub webhook's text on 3.12 and 3.13) only where the pickle
    # opens as many containers as orjson breaks at
    monkeypatch.setattr(pyjson, "_PICKLER_AT_RECURSION_LIMIT", False)

    class NoWalk(frozenset):  # type: ignore[type-arg]
        def isdisjoint(self, other: Any) -> bool:
            raise AssertionError("walked")

    monkeypatch.setattr(pyjson, "_NESTED", NoWalk(pyjson._NESTED))
    record = _padded([(1, 2)] * 300)
    assert pyjson.mapping_text(record) == (orjson.dumps(record), None)
    many = _padded([(i,) for i in range(pyjson._ORJSON_DEPTH)])  # (as many containers: walked, and found shallow)
    with pytest.raises(AssertionError, match="walked"):
        pyjson.mapping_text(many)


#: Floats as the quick test reads them from a pickle: every NaN payload and sign, the infinities,
#: and the finite floats nearest them (their first two bytes those of a NaN's but for one bit).
_EDGE_FLOATS = st.one_of(
    st.floats(),
    st.builds(
        lambda sign, payload: struct.unpack(">d", struct.pack(">Q", sign << 63 | 0x7FF << 52 | payload))[0], st.integers(0, 1), st.integers(0, 2**52 - 1)
    ),
    st.sampled_from([-0.0, 5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 2.0**1023, 1e308]),
)
_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), _EDGE_FLOATS, st.text(max_size=4), st.sampled_from(["G\x7f\xf0", "G\xff\xff", "null"])
)
_NESTED_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(0, 2)), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=80)
@given(st.dictionaries(st.text(max_size=3), _NESTED_VALUES, max_size=4), st.sampled_from([0, 1_300, 70_000]), st.booleans())
def test_a_nan_or_infinity_anywhere_in_a_record_of_any_size_is_refused_as_the_walk_refuses_it(record: dict[str, Any], pad: int, pickler_at_limit: bool) -> None:
    # the quick test reads a NaN from the record's pickle, and from 3.12 its depth too (a count of
    # the bytes that open a container): a record padded past 1,200 bytes (one piece, the count
    # read) and past 64 KB (frames written as they fill: walked), as Python 3.12 on too
    if pad:
        record["pad"] = ["x" * 40] * (pad // 40)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pyjson, "_PICKLER_AT_RECURSION_LIMIT", pickler_at_limit)
        assert pyjson.mapping_text(record) == walked(record)
