"""The lax tier's long lists: what a chunk's int, id and timestamp columns hold when numbers
come as strings and floats (the lax seed variant).

Long lists take their own routes: :func:`mapper.types.base.kinds_of` reads the values' types
as references at once (256 values or more), :func:`mapper.types.integers.int_lax` converts a
list of numbers and strings alone in two groups, and the primary key of a tier whose decoder
lets only strings through is looked at for ``""`` alone. None of it may change a result:
each is checked against the oracle (tests/oracle.py) value by value, and whole batches
against the careful path.
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec import UNSET

import mapper
from mapper import MapOptions
from mapper.engine.core import Engine
from mapper.engine.reader import iter_units
from mapper.types import base
from mapper.types.base import kinds_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_vectors import LAX_NUMBER, check, ts_config  # noqa: E402

SETTINGS = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
LONG = base._KINDS_AT_ONCE + 44  # past kinds_of's cut: the numpy form

#: Lax-ish values near every rule of Go's toInt64 / ParseInt(TrimSpace(s)): signs, spaces
#: (Go's and others), leading zeros, exponents, points, 18 / 19 / 20 digits, the int64 and
#: 2^53 edges as ints, floats and strings, -0.0, integral and fractional floats.
EDGES = [
    "0", "-0", "+0", "+7", "-7", "007", "-007", " 7", "7 ", "\t7\n", "\u00a07", "\u20037", "7\n", "\n7", "1e3", "1E3", "12.5", "12.0",
    "0x1F", "1_000", "\u0663", "", "-", "+", "--1", "+-1", "99999999999999999", "999999999999999999", "9999999999999999999",
    "99999999999999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "000000000000000000000000042", "18446744073709551615", "9007199254740993",
    0, -0.0, 0.5, -0.5, 1.5, 250.0, 37996.0, 1e15, 1e20, -1e20, 1e308, 2.0**53, -(2.0**53), 2.0**53 - 1, 2.0**63, 2.0**64,
    2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63), 2**63, 2**64, 2**64 - 1, 10**30,
]  # fmt: skip
LAX_VALUE = st.one_of(LAX_NUMBER, st.sampled_from(EDGES), st.from_regex(r"[+-]?[0-9]{1,20}", fullmatch=True))


def long(values: list[Any], n: int = LONG) -> list[Any]:
    """``values`` repeated to ``n`` of them (their mix of kinds kept)."""
    return (values * (n // len(values) + 1))[:n]


class _Kind(enum.IntEnum):
    A = 1


class _LikeInt(type):
    """A metaclass whose classes claim to be ``int`` by ``==`` and ``hash``."""

    def __eq__(cls, other: object) -> bool:
        return other is int or cls is other

    def __hash__(cls) -> int:
        return hash(int)


class _FakeInt(metaclass=_LikeInt):
    pass


ANY_VALUE = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=4),
    st.booleans(),
    st.none(),
    st.just(UNSET),
    st.just([1]),
    st.just({"a": 1}),
    st.just(_Kind.A),
    st.just(b"7"),
)


@SETTINGS
@given(st.lists(ANY_VALUE, max_size=12), st.sampled_from([0, 1, 16, base._KINDS_AT_ONCE - 1, base._KINDS_AT_ONCE, LONG]))
def test_kinds_of_is_each_values_own_type_short_or_long(values, n):
    lst = long(values, n) if values else []
    kinds = kinds_of(lst)
    assert kinds.dtype == np.int8 and len(kinds) == len(lst)
    want = {int: base.INT, float: base.FLOAT, str: base.STR, bool: base.BOOL}
    assert kinds.tolist() == [want.get(type(v), base.OTHER) for v in lst]


def test_kinds_of_a_long_list_goes_by_identity():
    # a type that only claims to be int is not taken for one by the numpy form (the scalar
    # converter then sees it for what it is)
    lst = long([1, "2", 3.0, _FakeInt()])
    assert kinds_of(lst).tolist() == long([base.INT, base.STR, base.FLOAT, base.OTHER])


def test_addresses_are_identity():
    objs = np.array([int, str, int, None], dtype=object)
    at = base.addresses(objs)
    assert at.dtype == np.intp and at[0] == at[2] != at[1] and len(base.addresses(objs[:0])) == 0


@SETTINGS
@given(
    st.lists(LAX_VALUE, min_size=1, max_size=30),
    st.sampled_from([{}, {"Min": 0, "Max": 360}, {"Min": -2000, "Max": 60000}, {"Min": -(2**60), "Max": 2**60}, {"Min": 5, "Max": 5}]),
    st.sampled_from(["int", "id", "signedIntBoolKey"]),
)
def test_int_lax_long_lists_agree_with_the_oracle(values, bounds, ctype):
    check(ctype, bounds if ctype == "int" else {}, "lax", long(values))


@SETTINGS
@given(st.lists(LAX_VALUE, min_size=1, max_size=30), st.sampled_from([None, UNSET]))
def test_int_lax_long_lists_with_other_values_agree_with_the_oracle(values, other):
    # null or missing among them (the lenient tier's lists): the general loop's (no decoder
    # lets a bool through, and a caller's dict hands UNSET for one)
    lst = long(values)
    lst[len(lst) // 2] = other
    check("int", {}, "lenient", lst)


@SETTINGS
@given(ts_config(), st.lists(st.one_of(LAX_VALUE, st.integers(-(10**13), 10**13), st.from_regex(r"-?[0-9]{12,14}", fullmatch=True)), min_size=1, max_size=30))
def test_timestamp_lax_long_lists_agree_with_the_oracle(cfg, values):
    check("timestamp", cfg, "lax", long(values))


@SETTINGS
@given(st.lists(st.one_of(st.integers(0, 360), st.floats(0, 360), st.from_regex(r"[0-9]{1,3}", fullmatch=True)), min_size=1, max_size=30))
def test_int_lax_vouches_for_numbers_and_digit_strings(values):
    check("int", {}, "lax", long(values), vouch_all=all(not isinstance(v, str) or int(v) <= 2**53 for v in values))


# ---------------------------------------------------------------------------------------
# Whole batches: the fast path against the careful path

SINK = {
    "primary_key_fields": ["key"],
    "allow_missing_fields": True,
    "definition": [
        {"name": "key", "path": ["key"], "type": "string"},
        {"name": "ts", "path": ["ts"], "type": "timestamp", "config": {"Unit": "ms", "Granularity": "ms"}},
        {"name": "track", "path": ["track"], "type": "int", "config": {"Min": 0, "Max": 360}},
        {"name": "big", "path": ["big"], "type": "int"},
        {"name": "n", "path": ["n"], "type": "id"},
    ],
}


def run_engine(m: Any, data: bytes) -> tuple[Engine, Any, Any]:
    engine = Engine(m.compiled, MapOptions(on_error="skip"))
    for unit in iter_units(data, chunk_size=512 * 1024):
        engine.feed(unit)
    batch, report = engine.finish()
    return engine, batch, report


@SETTINGS
@given(
    st.lists(st.tuples(LAX_VALUE, LAX_VALUE, LAX_VALUE, LAX_VALUE), min_size=1, max_size=20),
    st.sampled_from([None, "", 7]),
    st.integers(0, LONG - 1),
)
def test_lax_records_map_as_the_careful_path_maps_them(rows, odd_key, at):
    records = []
    for i, (ts, track, big, n) in enumerate(long(rows)):
        records.append({"key": f"k{i}" if i != at or odd_key is None else odd_key, "ts": ts, "track": track, "big": big, "n": n})
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    m = mapper.compile_sink(SINK)
    engine, batch, report = run_engine(m, data)
    careful = m.map(data, on_error="skip", fast=False)
    assert batch.to_rows() == careful.to_rows()
    assert report.to_dict() == careful.report.to_dict()
    assert engine.stats["fast_records"] > 0


def test_seed_lax_records_map_as_the_careful_path_maps_them():
    from benchmarks.gen import SINK as SEED_SINK
    from benchmarks.gen import generate

    data = generate(3000, "lax")
    m = mapper.compile_sink(SEED_SINK)
    engine, batch, report = run_engine(m, data)
    assert engine.stats["lax_runs"] >= 1 and engine.stats["fast_records"] == 3000
    careful = m.map(data, on_error="skip", fast=False)
    assert batch.to_rows() == careful.to_rows()
    assert report.to_dict() == careful.report.to_dict()


def test_a_lax_chunk_with_an_empty_key_sends_that_record_the_careful_way():
    # the lax decoder lets only strings through for the key: "" is still looked for
    m = mapper.compile_sink(SINK)
    records = [{"key": "" if i == 123 else f"k{i}", "ts": str(1659981468260 + i), "track": float(i % 360), "big": "7", "n": i} for i in range(LONG)]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    engine, batch, report = run_engine(m, data)
    assert engine.stats["lax_runs"] >= 1
    careful = m.map(data, on_error="skip", fast=False)
    assert batch.to_rows() == careful.to_rows() and len(batch.to_rows()) == LONG - 1
    assert report.to_dict() == careful.report.to_dict() and report.failed_records == 1


def test_a_number_key_takes_the_loose_tier_and_is_printed_as_the_careful_path_prints_it():
    # the loose tier lets numbers through for a string key: they are not used as they are
    m = mapper.compile_sink(SINK)
    records = [{"key": 7 if i == 5 else f"k{i}", "ts": "1", "track": 1.0, "big": "7", "n": i} for i in range(LONG)]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    engine, batch, report = run_engine(m, data)
    assert engine.stats["loose_runs"] == 1
    careful = m.map(data, on_error="skip", fast=False)
    assert batch.to_rows()[5]["_id"] == "7"
    assert batch.to_rows() == careful.to_rows()
    assert report.to_dict() == careful.report.to_dict()
