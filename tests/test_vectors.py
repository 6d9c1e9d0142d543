"""The vector forms (``ColumnType.vector``) against the oracle, element by element, and their speed contract.

A vector form converts a whole list at once and vouches for the elements it can; the
engine redoes the others with the scalar converter. Two properties per type and tier:

* every element it vouches for holds the oracle's stored value, with the oracle's
  warnings (a wrong vouch stores a wrong value: the scalar path never sees it);
* on typical lists (values well inside every limit) it vouches for all of them: a
  stricter test would still store the right values, only slowly, so this is what
  catches it (and what the README's throughput figures rest on).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from mapper.tiers import TIERS
from mapper.types import column_type

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle  # noqa: E402

SETTINGS = settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
TIER = {t.name: t for t in TIERS}
DTYPE = {"int64": np.int64, "uint64": np.uint64, "bool": np.bool_, "str": object}


def column(ctype: str, config: dict):
    entry: dict[str, Any] = {"name": "v", "path": ["v"], "type": ctype}
    public = {k: v for k, v in config.items() if not k.startswith("_")}
    if public:
        entry["config"] = public
    sink = mapper.load_sink([{"name": "k", "path": ["k"], "type": "id"}, entry], id_field="k", allow_missing_fields=True)
    return column_type(sink.column("v"))


def raw_expect(ctype: str, config: dict, v: Any) -> tuple[str, Any, list[str]]:
    """(effect, the raw stored value as the column keeps it, warning kinds) from the oracle."""
    warn: list = []
    try:
        if ctype == "id":
            raw: Any = oracle.uint64_of(v, warn)
        elif ctype in ("int", "signedIntBoolKey"):
            raw = oracle.int64_of(v, warn)
            if ctype == "int" and not config.get("Min", oracle.I64_LO) <= raw <= config.get("Max", oracle.I64_HI):
                raise oracle.Refused("out_of_range")
        elif ctype == "decimal":
            raw = oracle.decimal_of(v, config.get("Scale", 0), warn)
        elif ctype == "timestamp":
            raw = oracle.timestamp_of(v, config, warn, {})
        else:
            exp = oracle.expect(ctype, config, v)
            return exp.effect, exp.stored, [w[0] for w in exp.warnings]
    except oracle.Refused as exc:
        return "error", exc.code, []
    return "store", raw, [w[0] for w in warn]


def check(ctype: str, config: dict, tier: str, values: list[Any], *, vouch_all: bool = False, identity: bool = False) -> None:
    ct = column(ctype, config)
    vec = ct.vector(TIER[tier], identity=identity)
    assert vec is not None, f"{ctype} has no vector form on the {tier} tier"
    out = np.zeros(len(values), dtype=DTYPE[ct.storage])
    with np.errstate(all="ignore"):  # as the engine calls them (FastPath.fill): overflows are caught by the range checks
        result = vec(list(values), out)
    if result is None:
        assert not vouch_all, f"{ctype} {config} {tier}: the vector form gave up on {values!r}"
        check_quick(ct, tier, values, identity, None, ctype, config)
        return
    ok, lossy = result
    flagged = [{kind for kind, mask in lossy if mask[i]} for i in range(len(values))]
    check_quick(ct, tier, values, identity, [(ok is None or bool(ok[i])) and not flagged[i] for i in range(len(values))], ctype, config)
    for i, v in enumerate(values):
        if ok is not None and not ok[i]:
            assert not vouch_all, f"{ctype} {config} {tier}: not vouched for {v!r} in {values!r}"
            continue
        effect, raw, kinds = raw_expect(ctype, config, v)
        if identity and effect == "store" and ct.storage != "str" and raw < 0:
            effect = "error"
        assert effect == "store", f"{ctype} {config} {tier}: vouched for {v!r}, which the endpoint refuses ({raw})"
        got = out[i].item() if hasattr(out[i], "item") else out[i]
        assert got == raw and type(got) is type(raw), f"{ctype} {config} {tier}: {v!r} stored as {got!r}, expected {raw!r}"
        assert flagged[i] == set(kinds), f"{ctype} {config} {tier}: {v!r} warned {flagged[i]}, expected {kinds}"


def check_quick(ct: Any, tier: str, values: list[Any], identity: bool, vouched: list[bool] | None, ctype: str, config: dict) -> None:
    """The quick form (``ColumnType.quick``), where the type has one for the tier: it counts
    a list's values up to the first it does not take alone, and only values the endpoint stores as sent (the
    oracle: stored, no warning), which the vector form vouches for with nothing lossy
    (``vouched``; None: the vector form gave up on the whole list)."""
    quick = ct.quick(TIER[tier], identity=identity)
    if quick is None:
        return
    stored = None if identity else ct.quick_stored(TIER[tier])
    verdicts = [quick([v]) == 1 for v in values]
    assert quick(list(values)) == (verdicts.index(False) if False in verdicts else len(values)), values
    for i, v in enumerate(values):
        if not verdicts[i]:
            continue
        effect, raw, kinds = raw_expect(ctype, config, v)
        assert effect == "store" and kinds == [] and not (identity and raw < 0), f"{ct} {tier}: the quick form takes {v!r} ({effect} {raw!r} {kinds})"
        assert vouched is None or vouched[i], f"{ct} {tier}: the quick form takes {v!r}, which the vector form does not store as sent"
        if stored is not None:  # what a run of a few records writes for it (FastPath.fill)
            got = stored([v])
            assert got == [raw] and type(got[0]) is type(raw), f"{ct} {tier}: {v!r} stored as {got!r} by quick_stored, expected {raw!r}"


# ---------------------------------------------------------------------------------------
# Integers: int_exact (exact tier) and int_lax

TYPICAL_INT = st.integers(-(2**53), 2**53)
ANY_INT = st.one_of(
    TYPICAL_INT, st.integers(-(2**64), 2**64), st.sampled_from(oracle_edges := [2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63), 2**63, 2**64 - 1])
)
BOUNDS = st.sampled_from([{}, {"Min": -5, "Max": 5}, {"Min": 0, "Max": 2**62}, {"Min": -(2**63), "Max": 2**63 - 1}, {"Min": -(2**60), "Max": -(2**54)}])


@SETTINGS
@given(st.lists(ANY_INT, min_size=1, max_size=40), BOUNDS, st.sampled_from(["int", "id", "signedIntBoolKey"]), st.booleans())
def test_int_exact_tier(values, bounds, ctype, identity):
    config = bounds if ctype == "int" else {}
    if ctype == "id":
        values = [abs(v) for v in values]
    check(ctype, config, "exact", values, identity=identity)


@SETTINGS
@given(st.lists(st.integers(-(2**53), 2**53), min_size=1, max_size=40), st.sampled_from(["int", "signedIntBoolKey"]))
def test_int_exact_tier_vouches_for_typical_values(values, ctype):
    if ctype == "signedIntBoolKey":  # (v is row abs(v): rows of 2^44 or more wrap, row_wrapped)
        values = [v % 2**44 if v >= 0 else -(-v % 2**44) for v in values]
    check(ctype, {}, "exact", values, vouch_all=True)
    check("id", {}, "exact", [abs(v) % 2**44 for v in values], vouch_all=True)  # (rows of 2^44 or more wrap: row_wrapped)


LAX_NUMBER = st.one_of(
    ANY_INT,
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.from_regex(r"[+-]?[0-9]{1,19}", fullmatch=True),
    st.sampled_from(["", " 7", "1e3", "-0", "+0", "0x1", "12.5"]),
)


@SETTINGS
@given(
    st.one_of(
        st.lists(LAX_NUMBER, min_size=1, max_size=40), st.lists(ANY_INT, min_size=1, max_size=20), st.lists(st.floats(-1e19, 1e19), min_size=1, max_size=20)
    ),
    BOUNDS,
    st.sampled_from(["int", "id", "signedIntBoolKey"]),
)
def test_int_lax_tier(values, bounds, ctype):
    check(ctype, bounds if ctype == "int" else {}, "lax", values)


@SETTINGS
@given(
    st.one_of(
        st.lists(st.integers(-(2**53), 2**53), min_size=1, max_size=40),
        st.lists(st.floats(-(2.0**52), 2.0**52, allow_nan=False), min_size=1, max_size=40),
        st.lists(st.from_regex(r"-?[0-9]{1,17}", fullmatch=True), min_size=1, max_size=40),
        st.lists(
            st.one_of(st.integers(-1000, 1000), st.floats(-1000, 1000, allow_nan=False), st.from_regex(r"[0-9]{1,6}", fullmatch=True)), min_size=1, max_size=40
        ),
    )
)
def test_int_lax_tier_vouches_for_typical_values(values):
    check("int", {}, "lax", values, vouch_all=True)
    check("signedIntBoolKey", {}, "lax", [v for v in values if abs(float(v)) < 2**44] or [0], vouch_all=True)  # (rows of 2^44 or more wrap)


# ---------------------------------------------------------------------------------------
# decimal


@SETTINGS
@given(
    st.lists(st.one_of(ANY_INT, st.floats(allow_nan=False, allow_infinity=False), st.floats(-1e4, 1e4, allow_nan=False)), min_size=1, max_size=40),
    st.integers(0, 19),
)
def test_decimal_exact_tier(values, scale):
    check("decimal", {"Scale": scale}, "exact", values)


@SETTINGS
@given(
    st.lists(st.one_of(ANY_INT, st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["4.35", "", "x", "1e3"])), min_size=1, max_size=40),
    st.integers(0, 19),
)
def test_decimal_lax_tier(values, scale):
    check("decimal", {"Scale": scale}, "lax", values)


@SETTINGS
@given(st.lists(st.one_of(st.integers(-(10**6), 10**6), st.floats(-(10.0**6), 10.0**6, allow_nan=False)), min_size=1, max_size=40), st.integers(0, 8))
def test_decimal_vouches_for_typical_values(values, scale):
    check("decimal", {"Scale": scale}, "exact", values, vouch_all=True)
    check("decimal", {"Scale": scale}, "lax", values, vouch_all=True)


DECIMAL_TEXT = st.one_of(
    st.from_regex(r"[+-]?[0-9]{0,20}(\.[0-9]{0,20})?", fullmatch=True),
    st.from_regex(r"[+-]?0*[0-9]{1,16}\.?[0-9]{0,16}", fullmatch=True),
    st.sampled_from(["", ".", "-", "+", "1e3", " 1", "1 ", "1.2.3", "\u0661", "0x10", "9223372036854775807", "-9223372036854775808", "1.", "-0"]),
    st.sampled_from(["1.2345678901234567890E-5", "12.34567890123456789012 ", "1.23456789012345678901e5", "1.234567890123456789x0"]),
)


@SETTINGS
@given(st.lists(st.one_of(DECIMAL_TEXT, st.floats(-1e6, 1e6, allow_nan=False), st.none()), min_size=1, max_size=40), st.integers(0, 19))
def test_decimal_strings_read_at_once_agree_with_the_oracle(values, scale):
    # plain decimal strings were read one by one through the careful path (21x a number's
    # cost per value, found by a hunt for slow paths); the vector form reads them at once
    check("decimal", {"Scale": scale}, "lax", values)


@SETTINGS
@given(st.data(), st.integers(0, 14))
def test_decimal_vouches_for_plain_decimal_strings(data, scale):
    whole = st.from_regex(rf"[+-]?[0-9]{{1,{15 - scale}}}", fullmatch=True)
    fraction = st.from_regex(rf"(\.[0-9]{{0,{scale}}})?", fullmatch=True) if scale else st.sampled_from(["", "."])
    values = data.draw(st.lists(st.builds(str.__add__, whole, fraction), min_size=1, max_size=40))
    check("decimal", {"Scale": scale}, "lax", values, vouch_all=True)


# ---------------------------------------------------------------------------------------
# bool, string


@SETTINGS
@given(
    st.lists(st.booleans(), min_size=1, max_size=20),
    st.lists(st.one_of(st.booleans(), st.integers(-3, 3), st.floats(-2, 2), st.sampled_from(["t", "false", "x", ""])), min_size=1, max_size=20),
)
def test_bool_tiers(bools, mixed):
    check("bool", {}, "exact", bools, vouch_all=True)
    check("bool", {}, "lax", bools, vouch_all=True)
    check("bool", {}, "lax", mixed)


@SETTINGS
@given(
    st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=20),
    st.lists(st.one_of(st.text(max_size=3), st.integers(-5, 5), st.floats(-2, 2), st.booleans()), min_size=1, max_size=20),
)
def test_string_tiers(texts, mixed):
    for tier in ("exact", "lax", "lenient", "loose"):
        check("string", {}, tier, texts, vouch_all=True)
    check("string", {}, "lax", [t for t in mixed if isinstance(t, str)] or [""])
    check("string", {}, "loose", mixed)


# ---------------------------------------------------------------------------------------
# numeric timestamps

UNITS = ["d", "h", "m", "s", "ms", "us", "ns"]


@st.composite
def ts_config(draw):
    cfg: dict[str, Any] = {"Unit": draw(st.sampled_from(UNITS)), "Granularity": draw(st.sampled_from(["s", "ms", "us", "ns"]))}
    epoch = draw(st.sampled_from([None, "2000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"]))
    if epoch:
        cfg["Epoch"], cfg["_epoch_ns"] = epoch, {"2000-01-01T00:00:00Z": 946684800 * 10**9, "1969-12-31T23:59:59Z": -(10**9)}[epoch]
    return cfg


@SETTINGS
@given(ts_config(), st.lists(st.one_of(ANY_INT, st.integers(-(10**12), 10**12), st.integers(-3, 3)), min_size=1, max_size=40))
def test_timestamp_exact_tier(cfg, values):
    check("timestamp", cfg, "exact", values)


@SETTINGS
@given(
    ts_config(),
    st.lists(
        st.one_of(ANY_INT, st.integers(-(10**9), 10**9), st.floats(-1e12, 1e12), st.from_regex(r"-?[0-9]{1,12}", fullmatch=True)), min_size=1, max_size=40
    ),
)
def test_timestamp_lax_tier(cfg, values):
    check("timestamp", cfg, "lax", values)


@SETTINGS
@given(st.sampled_from(["s", "ms", "us"]), st.lists(st.integers(0, 4 * 10**9), min_size=1, max_size=40))
def test_timestamp_vouches_for_typical_values(gran, seconds):
    # counted in the column's own unit from 1970, or in a coarser unit: every value vouched for
    cfg = {"Unit": gran, "Granularity": gran}
    factor = {"s": 1, "ms": 10**3, "us": 10**6}[gran]
    check("timestamp", cfg, "exact", [s * factor for s in seconds], vouch_all=True)
    check("timestamp", {"Unit": "s", "Granularity": gran}, "exact", seconds, vouch_all=True)
    check("timestamp", {"Unit": "s", "Granularity": gran, "Epoch": "2000-01-01T00:00:00Z", "_epoch_ns": 946684800 * 10**9}, "lax", seconds, vouch_all=True)


# ---------------------------------------------------------------------------------------
# set columns: plain rows are taken without the careful path (11-18 us a cell before)

SET_ITEMS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["", "a", "\ud800", "é", "a,b"]),
    st.integers(-5, 2**64 + 5),
    st.sampled_from([0, 2**53, 2**53 + 1, True, False, 1.0, None]),
)


@SETTINGS
@given(st.one_of(st.lists(SET_ITEMS, max_size=6), st.text(max_size=6), st.integers(), st.none()))
def test_quick_set_rows_are_what_the_scalar_converter_stores(value):
    from mapper.engine.fast import _QUICK_SETS

    for ctype in ("strings", "ids"):
        ct = column(ctype, {})
        quick = _QUICK_SETS[ct.storage](value)
        if quick is None:
            continue
        notes: list[Any] = []
        assert quick == ct.convert(value, notes) and notes == [], (ctype, value)
    # and what the quick forms take, they take whole
    assert _QUICK_SETS["strset"](["b", "a", "b"]) == ["b", "a"] and _QUICK_SETS["uint64set"]([3, 1, 3]) == [3, 1]


# ---------------------------------------------------------------------------------------
# quick forms (ColumnType.quick): typical values taken, set rows against the scalar converter


def test_quick_forms_take_typical_values_and_only_the_exact_tier():
    cases = [
        ("int", {"Min": 0, "Max": 360}, [0, 250, 360]),
        ("id", {}, [0, 7, 2**44 - 1]),
        ("signedIntBoolKey", {}, [-(2**44) + 1, 0, 2**44 - 1]),
        ("decimal", {"Scale": 4}, [45.1199, -43.4165, 0, 12, -0.5, 1e-4]),
        ("decimal", {"Scale": 0}, [1, -7, 3.0]),
        ("timestamp", {"Unit": "ms", "Granularity": "ms"}, [1659981468260, 0, -5]),
        ("bool", {}, [True, False]),
        ("string", {}, ["x", "é", "G-ZBJA"]),
        ("strings", {}, [["a", "b"], [], ["", "é"]]),
        ("ids", {}, [[1, 2], [], [2**44 - 1]]),
    ]
    for ctype, config, values in cases:
        ct = column(ctype, config)
        quick = ct.quick(TIER["exact"])
        assert quick is not None and quick(values) == len(values), (ctype, config, values)
        assert all(ct.quick(TIER[t]) is None for t in ("lax", "lenient", "loose")), ctype
    for ctype, config, values in [
        ("int", {"Min": 0, "Max": 360}, [361]),
        ("decimal", {"Scale": 2}, [4.35]),
        ("decimal", {"Scale": 4}, [-43.416]),
        ("ids", {}, [[2**53 + 1]]),
        ("ids", {}, [[2**44]]),
        ("id", {}, [2**44]),
        ("signedIntBoolKey", {}, [2**44]),
        ("signedIntBoolKey", {}, [-(2**44)]),
    ]:
        assert column(ctype, config).quick(TIER["exact"])([*values, *values]) == 0, (ctype, values)
    # where the value needs parsing or the arithmetic is not the identity, the converter
    # itself: it counts what it stores cleanly, and stops at a note, an error, a non-scalar
    parsed = [
        ("timestamp", {}, ["2022-08-08T17:57:48Z", "2022-08-08T17:57:48+02:00"], ["2022-08-08T17:57:48.5Z", "2022-08-08", 1659981468, ["x"]]),
        ("timestamp", {"Unit": "s", "Granularity": "ms"}, [1659981468, 0, "1659981468"], [2**62, 1.5]),
        ("dateInt", {}, ["2022-08-08", "1970-01-01"], ["2022-08-08T00:00:00Z", 20220808, None]),
        ("recordTime", {}, ["2022-08-08T17:57:48Z"], ["", 1659981468]),
    ]
    for ctype, config, good, bad in parsed:
        ct = column(ctype, config)
        quick = ct.quick(TIER["exact"])
        assert quick is not None and quick(good) == len(good), (ctype, config, good)
        for v in good:
            notes: list = []
            ct.convert(v, notes)
            assert not notes
        for v in bad:
            assert quick([*good, v, *good]) == len(good), (ctype, config, v)
        assert ct.quick_stored(TIER["exact"]) is None or ctype == "timestamp" and config.get("Unit") == config.get("Granularity")
        assert all(ct.quick(TIER[t]) is None for t in ("lax", "lenient", "loose")), ctype


@SETTINGS
@given(st.lists(st.lists(st.one_of(st.integers(-(2**64), 2**64), st.integers(0, 2**53 + 2)), max_size=4), min_size=1, max_size=10))
def test_ids_quick_form_takes_only_rows_stored_as_sent(rows):
    ct = column("ids", {})
    quick = ct.quick(TIER["exact"])
    verdicts = [quick([row]) == 1 for row in rows]
    for row, taken in zip(rows, verdicts):
        if taken:
            notes: list[Any] = []
            ct.convert(row, notes)  # raises if refused
            assert notes == [], (row, notes)
    assert quick(rows) == (verdicts.index(False) if False in verdicts else len(rows))


# ---------------------------------------------------------------------------------------
# One value alone and in a clean batch: the careful path alone, the vector forms in a batch


def alone_and_in_a_clean_batch(ctype: str, config: dict, value: Any, clean: Any) -> tuple[Any, list, list]:
    """(the row's value or "nothing", errors, warnings) of ``value`` mapped alone and as the
    last of 2,000 NDJSON records whose others hold ``clean``, on the fast and the careful
    path: all four must agree (a run of clean values takes the vector forms, one value the
    careful path, so a special case kept on one side only shows here)."""
    m = mapper.compile_sink(
        {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "v", "path": ["v"], "type": ctype, "config": config}],
        }
    )
    outcomes = []
    for count in (1, 2000):
        values = [clean] * (count - 1) + [value]
        data = b"".join(orjson.dumps({"id": i, "v": v}) + b"\n" for i, v in enumerate(values))
        for fast in (True, False):
            batch = m.map(data, on_error="skip", fast=fast)
            last = count - 1
            row = next((r for i, r in zip(batch.record_index.tolist(), batch.to_rows()) if i == last), None)
            errors = [(e.code, e.reason) for e in batch.report.errors if e.record == last]
            warnings = [(w.kind, w.sent, w.stored) for w in batch.report.warnings if w.record == last]
            assert len(batch.report.errors) == len(errors), f"{clean!r} is not a clean value for {ctype} {config}"
            outcomes.append((row.get("v", "nothing") if row is not None else None, errors, warnings))
    assert all(o == outcomes[0] for o in outcomes), outcomes
    return outcomes[0]


def test_zero_date_text_alone_and_in_a_batch():
    # parseTimeWithLayout reads "0000-00-00" as Go's zero time whatever the layout: no
    # time for the record, out of range for a timestamp, clamped for a dateInt (found by a bug hunt)
    for config in ({}, {"Layout": "2006-01-02"}):
        stored, errors, warnings = alone_and_in_a_clean_batch("recordTime", config, "0000-00-00", "2022-08-08" if config else "2022-08-08T17:57:48Z")
        assert (stored, errors, [w[0] for w in warnings]) == ("nothing", [], ["zero_time"])
        stored, errors, _ = alone_and_in_a_clean_batch("timestamp", config, "0000-00-00", "2022-08-08" if config else "2022-08-08T17:57:48Z")
        assert stored is None and [e[0] for e in errors] == ["out_of_range"] and "Go's zero time" in errors[0][1]
    stored, errors, warnings = alone_and_in_a_clean_batch("dateInt", {"Layout": "01/02/2006"}, "0000-00-00", "08/08/2022")
    assert (stored, errors, [w[0] for w in warnings]) == (-9223372036, [], ["clamped"])


@pytest.mark.parametrize(
    "value, scale, would",
    [("1.2345678901234567890E-5", 6, "1.234567"), ("12.34567890123456789012 ", 6, "12.345678"), ("1.23456789012345678901e5", 2, "1.23")],
)
def test_decimal_strings_pql_misreads_alone_and_in_a_batch(value, scale, would):
    # pql cuts the junk off unread past 19 significant digits: refused on every path,
    # with the value the ingester would store (found by a bug hunt)
    stored, errors, _ = alone_and_in_a_clean_batch("decimal", {"Scale": scale}, value, "4.35")
    assert stored is None and [e[0] for e in errors] == ["out_of_range"] and errors[0][1].endswith(f"would store {would}")
