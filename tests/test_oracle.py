"""mapper's stored values, errors and warnings against an independent reference (tests/oracle.py), type by type.

Each property draws a column config and a batch of values (typical ones, edge ones near
2^53, 2^63 and 2^64, and junk), maps them on the fast path and on the careful path
(``fast=False``), and compares every record with :func:`oracle.expect`: the value
stored (as ``to_rows()`` shows it), cleared or left alone, the error code, and every
warning's (kind, sent, stored).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sinks import id_schema

import mapper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle  # noqa: E402
from oracle import ANY, MISSING, TimeText, expect, make_time_text  # noqa: E402

SETTINGS = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def run(ctype: str, config: dict, values: list[Any], times: dict[str, TimeText] | None = None) -> None:
    """Map ``values`` into one column of type ``ctype`` on both paths and compare each record with the oracle."""
    entry: dict[str, Any] = {"name": "v", "path": ["v"], "type": ctype}
    public = {k: v for k, v in config.items() if not k.startswith("_")}
    if public:
        entry["config"] = public
    m = mapper.compile_sink(id_schema(entry))
    lines = []
    for i, v in enumerate(values):
        lines.append(json.dumps({"id": i} if v is MISSING else {"id": i, "v": v}))
    data = ("\n".join(lines) + "\n").encode()
    want = [expect(ctype, config, v, times) for v in values]
    for fast in (True, False):
        batch = m.map(data, on_error="skip", fast=fast)
        rows = {r: row for r, row in zip(batch.record_index.tolist(), batch.to_rows())}
        errors = {(e.record): e for e in batch.report.errors}
        warns: dict[int, list] = {}
        for w in batch.report.warnings:
            warns.setdefault(w.record, []).append((w.kind, w.sent, w.stored))
        for i, (v, exp) in enumerate(zip(values, want)):
            where = f"{ctype} {public} value {v!r} (fast={fast})"
            if exp.effect == "error":
                assert i in errors and i not in rows, f"{where}: expected {exp.code}, got row {rows.get(i)!r}"
                assert (errors[i].column, errors[i].code) == ("v", exp.code), f"{where}: expected {exp.code}, got {errors[i].code}: {errors[i].message}"
                continue
            assert i not in errors, f"{where}: unexpected error {errors[i].code}: {errors[i].message}"
            row = rows[i]
            if exp.effect == "store":
                assert "v" in row and row["v"] == exp.stored and type(row["v"]) is type(exp.stored), (
                    f"{where}: expected {exp.stored!r}, got {row.get('v', 'nothing')!r}"
                )
            elif exp.effect == "clear":
                assert "v" in row and row["v"] is None, f"{where}: expected a clear, got {row.get('v', 'nothing')!r}"
            else:
                assert "v" not in row, f"{where}: expected nothing stored, got {row['v']!r}"
            got_w = warns.get(i, [])
            assert len(got_w) == len(exp.warnings), f"{where}: warnings {got_w} != {exp.warnings}"
            for g, e in zip(sorted(got_w, key=lambda t: t[0]), sorted(exp.warnings, key=lambda t: t[0])):
                assert g[0] == e[0] and g[1] == e[1] and type(g[1]) is type(e[1]), f"{where}: warning {g} != {e}"
                if e[2] is not ANY:
                    assert g[2] == e[2], f"{where}: warning {g} stored != {e}"


# ---------------------------------------------------------------------------------------
# Value strategies

EDGES = [0, 1, -1, 2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, 2**62, 10**19, -(10**19)]
FLOAT_EDGES = [0.0, -0.0, 0.5, -0.5, 1.9, -1.9, 12.9, 4.35, 1e15, 9.2e18, 9.223372036854776e18, -9.223372036854776e18, 1.8446744073709552e19, 1e20, 1e-7, 2.675]

ints = st.one_of(st.integers(-1000, 1000), st.integers(-(2**65), 2**65), st.sampled_from(EDGES), st.sampled_from(EDGES).map(lambda n: n + 1))
floats = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(FLOAT_EDGES))
digit_strings = st.one_of(
    st.from_regex(r"[ \t]?[+-]?0{0,3}[0-9]{1,21}[ \t]?", fullmatch=True),
    st.sampled_from(["", " ", "-", "+", "+5", "-0", "007", "1e3", "12.5", "0x10", "١٢", "1_000", "\u00a07", "\u20037\u3000", "7\x1c", "x", "true"]),
)
junk = st.one_of(st.booleans(), st.lists(st.integers(0, 5), max_size=2), st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2))
nulls = st.sampled_from([None, MISSING])


def mixed(*parts, junk_weight=True):
    options = list(parts) + [nulls]
    if junk_weight:
        options.append(junk)
    return st.one_of(*options)


BATCH = dict(min_size=1, max_size=30)


# ---------------------------------------------------------------------------------------
# Integers


@SETTINGS
@given(st.lists(mixed(ints, floats, digit_strings), **BATCH), st.booleans())
def test_id_matches_oracle(values, mutex):
    run("id", {"Mutex": mutex} if mutex else {}, values)


BOUNDS = st.sampled_from(
    [(None, None), (-(2**63), 2**63 - 1), (0, 100), (-(2**62), 2**62), (2**63 - 2, 2**63 - 1), (-(2**63), -(2**63) + 1), (-(2**53), 2**53), (-5, 5)]
)


@SETTINGS
@given(st.lists(mixed(ints, floats, digit_strings), **BATCH), BOUNDS)
def test_int_matches_oracle(values, bounds):
    lo, hi = bounds
    run("int", {} if lo is None else {"Min": lo, "Max": hi}, values)


@SETTINGS
@given(st.lists(mixed(ints, floats, digit_strings), **BATCH))
def test_signed_int_bool_key_matches_oracle(values):
    run("signedIntBoolKey", {}, values)


# ---------------------------------------------------------------------------------------
# bool, string, strings, ids

bool_texts = st.sampled_from(["t", "T", "true", "TRUE", " True ", "1", "f", "False", "0", " ", "\t", "yes", "2", "", "tru", "\u00a0t"])


@SETTINGS
@given(st.lists(mixed(st.booleans(), ints, floats, bool_texts), **BATCH))
def test_bool_matches_oracle(values):
    run("bool", {}, values)


@SETTINGS
@given(
    st.lists(mixed(st.text(max_size=6), ints, floats, st.lists(st.one_of(st.text(max_size=2), st.integers(-3, 3), st.booleans()), max_size=3)), **BATCH),
    st.booleans(),
)
def test_string_matches_oracle(values, mutex):
    run("string", {"Mutex": mutex} if mutex else {}, values)


set_texts = st.one_of(st.from_regex(r"\[?[a-c ,]{0,6}\]?", fullmatch=True), st.sampled_from(["[]", "[", "]", "a,b", ",,", "[a,b]", "a, b"]))


@SETTINGS
@given(
    st.lists(mixed(set_texts, st.lists(st.sampled_from(["a", "b", "", " a"]), max_size=4), st.lists(st.integers(0, 3), min_size=1, max_size=2), ints), **BATCH)
)
def test_strings_matches_oracle(values):
    run("strings", {}, values)


id_set_texts = st.one_of(
    st.from_regex(r"\[?[0-9 ,]{0,8}\]?", fullmatch=True), st.sampled_from(["18446744073709551615,1", "18446744073709551616", "-1", "1,x", "[3]", "1, 2"])
)


@SETTINGS
@given(st.lists(mixed(id_set_texts, st.lists(st.one_of(ints, floats, digit_strings), max_size=3), ints), **BATCH))
def test_ids_matches_oracle(values):
    run("ids", {}, values)


# ---------------------------------------------------------------------------------------
# decimal, Scale 0..19

decimal_texts = st.one_of(
    st.from_regex(r"[+-]?[0-9]{0,21}(\.[0-9]{0,22})?", fullmatch=True),
    st.sampled_from(
        ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "0.9223372036854775807", "92233720368547758.08", "1.2.3", ".", "-.5", "1e5"]
    ),
    # past 19 significant digits pql cuts bytes off the end unread, junk included
    st.from_regex(r"[+-]?[0-9]{0,21}\.[0-9]{15,22}(e5|E-5| |x|é|0)", fullmatch=True),
)


@SETTINGS
@given(st.lists(mixed(decimal_texts, ints, floats), **BATCH), st.integers(0, 19))
def test_decimal_matches_oracle(values, scale):
    run("decimal", {"Scale": scale}, values)


# ---------------------------------------------------------------------------------------
# Times

EPOCHS = {
    None: 0,
    "1970-01-01T00:00:00Z": 0,
    "2000-01-01T00:00:00Z": 946684800 * 10**9,
    "1900-01-01T00:00:00.5Z": -2208988800 * 10**9 + 5 * 10**8,
    "2262-04-11T00:00:00Z": 9223286400 * 10**9,
}


@st.composite
def time_texts(draw, lo_year=1, hi_year=9999):
    year = draw(st.one_of(st.integers(lo_year, hi_year), st.sampled_from([lo_year, hi_year, 1970, 1833, 2106, 1677, 2262])))
    year = min(max(year, lo_year), hi_year)
    start = datetime(year, 1, 1)
    dt = start + timedelta(seconds=draw(st.integers(0, 365 * 86400 - 1)))
    frac_digits = draw(st.sampled_from([0, 0, 3, 6, 9, 1, 2, 10, 12]))
    frac = draw(st.integers(0, 10**frac_digits - 1)) if frac_digits else 0
    offset = draw(st.sampled_from([0, 0, 60, -90, 14 * 60, -12 * 60]))
    return make_time_text(dt, frac, frac_digits, offset)


EDGE_TIMES = [
    make_time_text(datetime(1, 1, 1, 0, 0, 0), 0, 0, 0),
    make_time_text(datetime(1, 1, 1, 0, 0, 1), 0, 0, 0),
    make_time_text(datetime(9999, 12, 31, 23, 59, 59), 0, 0, 0),
    make_time_text(datetime(9999, 12, 31, 23, 59, 59), 5, 1, 0),
    make_time_text(datetime(1833, 11, 24, 17, 31, 44), 0, 0, 0),
    make_time_text(datetime(1833, 11, 24, 17, 31, 43), 999999999, 9, 0),
    make_time_text(datetime(2106, 2, 7, 6, 28, 16), 0, 0, 0),
    make_time_text(datetime(2106, 2, 7, 6, 28, 16), 1, 9, 0),
    make_time_text(datetime(1677, 9, 21, 0, 12, 43), 145224192, 9, 0),
    make_time_text(datetime(1677, 9, 21, 0, 12, 43), 145224191, 9, 0),
    make_time_text(datetime(2262, 4, 11, 23, 47, 16), 854775807, 9, 0),
    make_time_text(datetime(2262, 4, 11, 23, 47, 16), 854775808, 9, 0),
]
# (and "0000-00-00", which the ingester reads as Go's zero time in any layout)
BAD_TIME_TEXTS = ["2022-08-08", "2022-08-08 17:57:48Z", "2022-13-01T00:00:00Z", "2022-08-08T17:57:48", "yesterday", "2022-08-08T17:57:48.Z", "", "0000-00-00"]


def time_values(draw, texts: list[TimeText], numeric: bool) -> list[Any]:
    choices = [st.sampled_from([t.text for t in texts]), st.sampled_from(BAD_TIME_TEXTS), nulls, junk]
    if numeric:
        choices += [ints, floats, digit_strings]
    return draw(st.lists(st.one_of(*choices), **BATCH))


@st.composite
def timestamp_cases(draw):
    gran = draw(st.sampled_from(["s", "ms", "us", "ns"]))
    numeric = draw(st.booleans())
    cfg: dict[str, Any] = {"Granularity": gran}
    if numeric:
        epoch = draw(st.sampled_from(list(EPOCHS)))
        unit = draw(st.sampled_from([None, "d", "h", "m", "s", "ms", "us", "ns"]))
        if unit is None and epoch is None:
            unit = "s"
        if unit is not None:
            cfg["Unit"] = unit
        if epoch is not None:
            lo, hi = oracle.ts_bounds_ns(gran)
            if not lo <= EPOCHS[epoch] <= hi:
                epoch = "2000-01-01T00:00:00Z"
            cfg["Epoch"], cfg["_epoch_ns"] = epoch, EPOCHS[epoch]
    texts = draw(st.lists(time_texts(), min_size=1, max_size=8)) + EDGE_TIMES
    return cfg, time_values(draw, texts, numeric), {t.text: t for t in texts}


@SETTINGS
@given(timestamp_cases())
def test_timestamp_matches_oracle(case):
    cfg, values, times = case
    run("timestamp", cfg, values, times)


@st.composite
def record_time_cases(draw):
    numeric = draw(st.booleans())
    cfg: dict[str, Any] = {}
    if numeric:
        unit = draw(st.sampled_from(["d", "h", "m", "s", "ms", "us", "ns"]))
        cfg["Unit"] = unit
        epoch = draw(st.sampled_from(list(EPOCHS)))
        if epoch is not None:
            cfg["Epoch"], cfg["_epoch_ns"] = epoch, EPOCHS[epoch]
    texts = draw(st.lists(time_texts(1600, 2300), min_size=1, max_size=8)) + EDGE_TIMES
    values = time_values(draw, texts, numeric)
    if numeric:  # near the ends of what Unit.DurationFromValue takes
        unit_ns = oracle.NS[cfg["Unit"]]
        values += [(2**63 - 1) // unit_ns, -(2**63 // unit_ns), -(2**63 // unit_ns) - 1, (2**63 - 1) // unit_ns + 1]
    return cfg, values, {t.text: t for t in texts}


@SETTINGS
@given(record_time_cases())
def test_record_time_matches_oracle(case):
    cfg, values, times = case
    run("recordTime", cfg, values, times)


@st.composite
def date_int_cases(draw):
    unit = draw(st.sampled_from([None, "d", "h", "m", "s", "ms", "us", "ns", "c"]))
    cfg: dict[str, Any] = {}
    if unit is not None:
        cfg["Unit"] = unit
    if unit == "c":
        custom = draw(st.sampled_from([("168h", 168 * 3600 * 10**9), ("1ns", 1), ("90m", 5400 * 10**9)]))
        cfg["CustomUnit"], cfg["_custom_ns"] = custom
    epoch = draw(st.sampled_from(list(EPOCHS)))
    if epoch is not None:
        cfg["Epoch"], cfg["_epoch_ns"] = epoch, EPOCHS[epoch]
    dates = st.builds(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}", st.dates())
    values = draw(
        st.lists(st.one_of(dates, st.sampled_from(["0000-00-00", "2022-02-30", "2022-8-8", "", "20220808", "1677-09-21", "2262-04-12"]), nulls, ints), **BATCH)
    )
    return cfg, values


@SETTINGS
@given(date_int_cases())
@example(({"Epoch": "1900-01-01T00:00:00.5Z", "_epoch_ns": EPOCHS["1900-01-01T00:00:00.5Z"]}, ["1850-01-01", "1950-01-01"]))  # toward_epoch
@example(({"Unit": "c", "CustomUnit": "168h", "_custom_ns": 168 * 3600 * 10**9}, ["1969-12-29", "1969-12-25", "2020-01-01"]))
def test_date_int_matches_oracle(case):
    cfg, values = case
    run("dateInt", cfg, values)


# ---------------------------------------------------------------------------------------
# The oracle itself, on values worked out by hand


@pytest.mark.parametrize(
    ("ctype", "cfg", "value", "effect", "stored"),
    [
        ("int", {}, 12.9, "store", 12),
        ("int", {}, "+12", "store", 12),
        ("int", {}, 9007199254740993, "store", 9007199254740992),
        ("id", {}, -0.5, "store", 0),
        ("decimal", {"Scale": 2}, 4.35, "store", "4.34"),
        ("decimal", {"Scale": 2}, "4.359", "store", "4.35"),
        ("decimal", {"Scale": 2}, "99999999999999999", "error", None),
        ("decimal", {"Scale": 0}, "0.0000000000000000001", "error", None),
        ("decimal", {"Scale": 18}, "10", "error", None),
        ("decimal", {"Scale": 19}, 0.5, "store", "0.5000000000000000000"),
        ("string", {}, 1234567, "store", "1.234567e+06"),
        ("string", {}, -0.0, "store", "-0"),
        ("string", {}, [1.5, "a", True], "store", "[1.5 a true]"),
        ("string", {}, {"k": "v", "a": 2}, "store", "map[a:2 k:v]"),
        ("string", {}, 0.00001, "store", "1e-05"),
        ("string", {}, 123456, "store", "123456"),
        ("strings", {}, "a, b", "store", ["a", " b"]),
        ("ids", {}, "[3,4]", "store", [3, 4]),
        ("bool", {}, " FALSE ", "store", False),
        ("bool", {}, 0.5, "store", False),
        ("timestamp", {"Unit": "ms"}, 1659981468260, "store", "2022-08-08T17:57:48Z"),
        ("timestamp", {"Unit": "ms", "Granularity": "s"}, -1, "error", None),
        ("dateInt", {"Unit": "d"}, "2022-08-08", "store", 19212),
        ("recordTime", {"Unit": "s"}, 1659981468, "store", "2022-08-08T17:57:48Z"),
    ],
)
def test_oracle_on_hand_worked_values(ctype, cfg, value, effect, stored):
    got = expect(ctype, cfg, value)
    assert got.effect == effect and (got.stored == stored or effect == "error")
    run(ctype, cfg, [value])


def test_oracle_go_float_text_matches_gos_examples():
    # Go 1.19 fmt.Sprintf("%v", f), verified in the issue-10 research notes
    cases = {
        100000.0: "100000",
        999999.5: "999999.5",
        1e6: "1e+06",
        1000001.0: "1.000001e+06",
        1e21: "1e+21",
        0.0001: "0.0001",
        0.00012: "0.00012",
        1e-5: "1e-05",
        5e-324: "5e-324",
        1.0: "1",
    }
    for f, text in cases.items():
        assert oracle.go_float(f) == text


def test_oracle_parse_decimal_matches_pql_examples():
    # pql.ParseDecimal results from the issue-10 research notes
    assert oracle.parse_decimal("0.0000000000000000001") == (1, 19, False)
    assert oracle.parse_decimal("+0.66475203080437170194") == (6647520308043717019, 19, True)
    assert oracle.parse_decimal("100000000000000000000") == (1, -20, False)
    assert oracle.parse_decimal("10") == (1, -1, False)
    assert oracle.parse_decimal(".") == (0, 0, False)
    assert oracle.parse_decimal("-0") == (0, 0, False)
    assert oracle.parse_decimal("1.0000000000000000000000") == (1, 0, False)
    with pytest.raises(oracle.Misread) as misread:  # the ingester stores 1.234567 at Scale 6
        oracle.parse_decimal("1.2345678901234567890E-5")
    assert (misread.value.value, misread.value.scale) == (1234567890123456789, 18)
    for bad, code in (
        ("-", "invalid_value"),
        ("1.2.3", "invalid_value"),
        ("1e5", "invalid_value"),
        ("9223372036854775808", "out_of_range"),
        ("12345678901234567890.5", "out_of_range"),
        ("12345678901234567890e5", "invalid_value"),
        ("1.23456789012345678x9", "invalid_value"),
    ):
        with pytest.raises(oracle.Refused) as info:
            oracle.parse_decimal(bad)
        assert info.value.code == code, bad
