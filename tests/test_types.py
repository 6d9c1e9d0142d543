"""The coercion table: what the endpoint stores for each JSON value, type by type.

Expected values come from the ingester's rules (idk/interfaces.go, pql/decimal.go):
every JSON number is a float64 first; ints truncate; decimals parse strings exactly
and multiply floats; Go formats non-strings with %v.
"""

from __future__ import annotations

import pytest

from mapper.sink import load_sink
from mapper.types import CLEARED, NO_VALUE, ConversionError, MisreadDecimal, column_type, format_decimal, go_float_text, go_text, go_trim, parse_decimal_text


def conv(ctype: str, config: dict | None = None):
    entry = {"name": "c", "path": ["c"], "type": ctype}
    if config is not None:
        entry["config"] = config
    sink = load_sink([entry, {"name": "k", "path": ["k"], "type": "id"}], id_field="k", allow_missing_fields=True)
    return column_type(sink.columns[0])


def stored(ctype, value, config=None):
    notes: list = []
    out = conv(ctype, config).convert(value, notes)
    return out, [n.kind for n in notes]


def fails(ctype, value, config=None) -> str:
    with pytest.raises(ConversionError) as info:
        conv(ctype, config).convert(value, [])
    return info.value.code


# --- Go formatting ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [
        (1234567.0, "1.234567e+06"),
        (123456.0, "123456"),
        (1e6, "1e+06"),
        (0.5, "0.5"),
        (12.0, "12"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-2.5, "-2.5"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (0.0, "0"),
        (-0.0, "-0"),
        (100000.0, "100000"),
        (999999.0, "999999"),
        (3.141592653589793, "3.141592653589793"),
    ],
)
def test_go_float_text(value, text):
    assert go_float_text(value) == text


def test_go_text_composites():
    assert go_text(1234567) == "1.234567e+06"
    assert go_text(True) == "true"
    assert go_text(None) == "<nil>"
    assert go_text([1, "a", [2.5]]) == "[1 a [2.5]]"
    assert go_text({"b": 1, "a": "x"}) == "map[a:x b:1]"


def test_go_trim_is_not_python_strip():
    assert go_trim("\u00a0 12\t\n") == "12"
    assert go_trim("\x1c12") == "\x1c12"  # Python's strip() would remove \x1c; Go's TrimSpace does not


# --- id ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expect, kinds",
    [
        (10, 10, []),
        ("10", 10, []),
        (" 10 ", 10, []),
        (12.9, 12, ["float_truncated"]),
        (12.0, 12, []),
        ("", NO_VALUE, ["empty_string"]),
        (2**53 + 1, 2**53, ["int_precision", "row_wrapped"]),  # (a row of 2^44 or more wraps in FeatureBase)
        ("18446744073709551615", 2**64 - 1, ["row_wrapped"]),
        (2**44 - 1, 2**44 - 1, []),
    ],
)
def test_id(value, expect, kinds):
    assert stored("id", value) == (expect, kinds)


@pytest.mark.parametrize(
    "value, code",
    [
        ("12.0", "invalid_value"),
        ("-1", "invalid_value"),
        ("+1", "invalid_value"),
        (-1, "out_of_range"),
        (True, "invalid_value"),
        ([1], "invalid_value"),
        ("18446744073709551616", "out_of_range"),
        (" ", "invalid_value"),
        ("1_000", "invalid_value"),
        ("١٢", "invalid_value"),
    ],
)
def test_id_failures(value, code):
    assert fails("id", value) == code


def test_digit_strings_take_any_number_of_leading_zeros_as_go_does():
    # strconv.ParseInt/ParseUint read "000...07" as 7; only significant digits can overflow
    zeros = "0" * 60
    assert stored("id", zeros + "7") == (7, [])
    assert stored("int", "-" + zeros + "7") == (-7, [])
    assert stored("ids", f"{zeros}1,{zeros}2")[0] == [1, 2]
    assert fails("id", zeros + "18446744073709551616") == "out_of_range"
    assert fails("int", "+" + zeros + "9" * 41) == "out_of_range"
    assert fails("ids", "1," + "9" * 5000) == "out_of_range"


# --- int -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expect, kinds",
    [
        (10, 10, []),
        (-12, -12, []),
        ("12", 12, []),
        ("+12", 12, []),
        ("-12", -12, []),
        ("007", 7, []),
        (12.9, 12, ["float_truncated"]),
        (-12.9, -12, ["float_truncated"]),
        (505874924095815681, 505874924095815680, ["int_precision"]),
        ("505874924095815681", 505874924095815681, []),
        ("", NO_VALUE, ["empty_string"]),
    ],
)
def test_int(value, expect, kinds):
    assert stored("int", value) == (expect, kinds)


@pytest.mark.parametrize(
    "value, code",
    [
        ("high", "invalid_value"),
        ("12.5", "invalid_value"),
        ("1e3", "invalid_value"),
        (True, "invalid_value"),
        ({}, "invalid_value"),
        (1e19, "out_of_range"),
        (2**63, "out_of_range"),
        ("9223372036854775808", "out_of_range"),
    ],
)
def test_int_failures(value, code):
    assert fails("int", value) == code


def test_int_min_max():
    cfg = {"Min": 0, "Max": 100}
    assert stored("int", 100, cfg) == (100, [])
    assert fails("int", 101, cfg) == "out_of_range"
    assert fails("int", -1, cfg) == "out_of_range"
    assert fails("int", 100.5 + 1, cfg) == "out_of_range"


# --- decimal -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, scale, expect, kinds",
    [
        (4.35, 2, 434, ["float_decimal"]),
        (0.29, 2, 28, ["float_decimal"]),
        ("4.35", 2, 435, []),
        ("5.1", 2, 510, []),
        ("5.129", 2, 512, ["decimal_truncated"]),
        ("-5.129", 2, -512, ["decimal_truncated"]),
        (5, 2, 500, []),
        (10.9, 0, 10, ["decimal_truncated"]),
        ("10.9", 0, 10, ["decimal_truncated"]),
        (4.356, 2, 435, ["decimal_truncated"]),
        (45.1199, 4, 451199, []),
        (-43.416, 4, -434159, ["float_decimal"]),
        ("", 2, NO_VALUE, ["empty_string"]),
        (".5", 1, 5, []),
        ("100", 0, 100, []),
        ("0.000", 2, 0, []),
    ],
)
def test_decimal(value, scale, expect, kinds):
    assert stored("decimal", value, {"Scale": scale}) == (expect, kinds)


@pytest.mark.parametrize(
    "value, code",
    [
        (" 1.5", "invalid_value"),
        ("1e5", "invalid_value"),
        ("1.2.3", "invalid_value"),
        ("abc", "invalid_value"),
        ("-", "invalid_value"),
        (True, "invalid_value"),
        ([1], "invalid_value"),
        ("99999999999999999999", "out_of_range"),
        (1e300, "out_of_range"),
        ("12345678901234567890e5", "invalid_value"),  # no fraction digits to give up: pql says out of range
        ("1.23456789012345678x9", "invalid_value"),  # the x is not cut off: strconv.ParseUint fails
    ],
)
def test_decimal_failures(value, code):
    assert fails("decimal", value, {"Scale": 2}) == code


@pytest.mark.parametrize(
    "value, scale, would",
    [
        ("1.2345678901234567890E-5", 6, "1.234567"),  # the exponent is cut off unread: off by 10^5
        ("12.34567890123456789012 ", 6, "12.345678"),
        ("1.23456789012345678901e5", 2, "1.23"),
        ("-1.234567890123456789é", 2, "-1.23"),  # pql cuts bytes: é is two
        ("1.234567890123456789x0", 2, "1.23"),  # the trailing zero goes first (pql trims zeros), then the x
    ],
)
def test_decimal_strings_pql_misreads_are_refused_with_the_ingesters_value(value, scale, would):
    # pql.ParseDecimal copies any byte but "." into the mantissa, and reducePrecision cuts
    # bytes off its end past 19 significant digits before strconv.ParseUint sees them: the
    # ingester stores these as the digits before the junk (found by a bug hunt)
    with pytest.raises(ConversionError) as info:
        conv("decimal", {"Scale": scale}).convert(value, [])
    assert info.value.code == "out_of_range" and info.value.reason.endswith(f"would store {would}"), info.value.reason
    with pytest.raises(ValueError):  # not a decimal string to infer either
        parse_decimal_text(value)


def test_parse_decimal_text_matches_pql():
    assert parse_decimal_text("1.50") == (15, 1)
    assert parse_decimal_text("100") == (1, -2)
    assert parse_decimal_text("-0") == (0, 0)
    assert parse_decimal_text(".") == (0, 0)
    assert parse_decimal_text("00.05") == (5, 2)
    # more than 19 significant digits: fraction digits are dropped, as pql does
    assert parse_decimal_text("1.23456789012345678901") == (1234567890123456789, 18)
    # the bytes cut off may be anything: what is left is what pql reads
    with pytest.raises(MisreadDecimal) as info:
        parse_decimal_text("1.2345678901234567890E-5")
    assert (info.value.value, info.value.scale) == (1234567890123456789, 18)


def test_format_decimal():
    assert format_decimal(434, 2) == "4.34"
    assert format_decimal(-5, 2) == "-0.05"
    assert format_decimal(7, 0) == "7"


# --- bool ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expect",
    [
        (True, True),
        (False, False),
        ("true", True),
        (" TRUE ", True),
        ("t", True),
        ("1", True),
        ("f", False),
        ("0", False),
        ("false", False),
        (" ", False),
        (1, True),
        (0, False),
        (2, True),
        (-1, True),
    ],
)
def test_bool(value, expect):
    assert stored("bool", value)[0] is expect


def test_bool_float_truncates():
    assert stored("bool", 0.5) == (False, ["float_truncated"])
    assert stored("bool", "") == (CLEARED, ["empty_string"])  # the ingester clears a BOOL column for ""
    assert fails("bool", "yes") == "invalid_value"
    assert fails("bool", [True]) == "invalid_value"


# --- string / strings / ids ------------------------------------------------------------


def test_string():
    assert stored("string", "x") == ("x", [])
    assert stored("string", "") == (NO_VALUE, ["empty_string"])
    assert stored("string", 1234567) == ("1.234567e+06", ["string_from_value"])
    assert stored("string", True) == ("true", ["string_from_value"])
    assert stored("string", [1, 2]) == ("[1 2]", ["string_from_value"])


def test_strings():
    assert stored("strings", ["a", "b", "a", ""]) == (["a", "b"], [])
    assert stored("strings", []) == ([], [])
    assert stored("strings", "a, b") == (["a", " b"], ["comma_split"])
    assert stored("strings", "[a,b]") == (["a", "b"], ["comma_split"])
    assert stored("strings", "a,,b") == (["a", "b"], ["comma_split"])
    assert stored("strings", "solo") == (["solo"], [])
    assert fails("strings", ["a", 1]) == "invalid_value"
    assert fails("strings", 5) == "invalid_value"


def test_ids():
    assert stored("ids", [1, 2, 2]) == ([1, 2], [])
    assert stored("ids", []) == (NO_VALUE, [])
    assert stored("ids", "1, 2") == ([1, 2], ["comma_split"])
    assert stored("ids", "[3,4]") == ([3, 4], ["comma_split"])
    assert fails("ids", 5) == "invalid_value"
    assert fails("ids", "1,,2") == "invalid_value"
    assert fails("ids", [1, "x"]) == "invalid_value"
    assert fails("ids", [-1]) == "out_of_range"


# --- time ------------------------------------------------------------------------------


def test_timestamp_with_unit_ms():
    cfg = {"Unit": "ms", "Granularity": "ms"}
    assert stored("timestamp", 1659981468260, cfg) == (1659981468260, [])
    assert stored("timestamp", "1659981468260", cfg) == (1659981468260, [])


def test_timestamp_ms_into_seconds_truncates():
    out, kinds = stored("timestamp", 1659981468260, {"Unit": "ms"})
    assert out == 1659981468
    assert kinds == ["timestamp_truncated"]


def test_timestamp_epoch():
    # 10 days after 2000-01-01 at granularity s
    out, _ = stored("timestamp", 10, {"Unit": "d", "Epoch": "2000-01-01T00:00:00Z"})
    assert out == 946684800 + 10 * 86400


def test_timestamp_layout_default_rfc3339nano():
    assert stored("timestamp", "2022-08-08T17:57:48Z") == (1659981468, [])
    out, kinds = stored("timestamp", "2022-08-08T17:57:48.260Z")
    assert (out, kinds) == (1659981468, ["timestamp_truncated"])
    out, kinds = stored("timestamp", "2022-08-08T17:57:48.260Z", {"Granularity": "ms"})
    assert (out, kinds) == (1659981468260, [])
    assert stored("timestamp", "2022-08-08T19:57:48+02:00") == (1659981468, [])


def test_timestamp_layout_failures():
    assert fails("timestamp", 1659981468) == "invalid_value"  # a number needs Unit or Epoch
    assert fails("timestamp", "2022-08-08") == "invalid_value"
    assert fails("timestamp", "") == "out_of_range"  # Go's zero time
    assert fails("timestamp", "0000-00-00") == "out_of_range"  # so is this, in any layout (parseTimeWithLayout)
    assert fails("timestamp", "0000-00-00", {"Layout": "2006-01-02"}) == "out_of_range"
    assert fails("timestamp", "2200-01-01T00:00:00Z", {"Granularity": "ns"}) == "out_of_range"


def test_timestamp_custom_layout():
    assert stored("timestamp", "08/08/2022 17:57", {"Layout": "01/02/2006 15:04"}) == (1659981420, [])


def test_timestamp_numeric_range():
    assert fails("timestamp", 10**12, {"Unit": "s"}) == "out_of_range"
    # idk's toInt64 makes any float beyond int64 math.MinInt64 (amd64), which Unit ns takes to
    # 1677-09-21 (in range); mapper refuses it as for int/id (README's deliberate deviations)
    assert fails("timestamp", 1e19, {"Unit": "ns"}) == "out_of_range"
    assert fails("timestamp", -1e19, {"Unit": "ns"}) == "out_of_range"
    assert fails("recordTime", 1e19, {"Unit": "ns"}) == "out_of_range"
    assert fails("timestamp", "x", {"Unit": "s"}) == "invalid_value"


def test_date_int_default_seconds_since_1970():
    assert stored("dateInt", "2022-08-08") == (1659916800, [])
    assert stored("dateInt", "2022-08-08", {"Unit": "d"}) == (19212, [])
    assert fails("dateInt", 20220808) == "invalid_value"
    assert fails("dateInt", "") == "invalid_value"


def test_date_int_zero_date_in_any_layout():
    # Go's zero time, 0001-01-01, is more than 292 years before 1970: clamped as Time.Sub saturates
    assert stored("dateInt", "0000-00-00", {"Layout": "01/02/2006"}) == (-9223372036, ["clamped"])


def test_date_int_custom_unit():
    assert stored("dateInt", "1970-01-15", {"Unit": "c", "CustomUnit": "168h"}) == (2, [])


def test_date_int_negative_custom_unit_counts_backwards():
    # idk DateIntField.PilosafyVal: int64(dur / unit) with the unit time.ParseDuration gives,
    # negative too (no check): Go's division truncates toward zero, so counts come out negated
    week = {"Unit": "c", "CustomUnit": "-168h"}
    assert stored("dateInt", "1970-01-15", week) == (-2, [])
    assert stored("dateInt", "1969-12-24", week) == (1, [])
    assert stored("dateInt", "2022-08-08", {"Unit": "c", "CustomUnit": "-24h"}) == (-19212, [])
    assert stored("dateInt", "9999-12-31", {"Unit": "c", "CustomUnit": "-24h"}) == (-106751, ["clamped"])
    # Time.Sub saturates at math.MinInt64, and Go's MinInt64 / -1 wraps back to MinInt64
    assert stored("dateInt", "0001-01-01", {"Unit": "c", "CustomUnit": "-1ns"}) == (-(2**63), ["clamped"])
    assert stored("dateInt", "9999-01-01", {"Unit": "c", "CustomUnit": "-1ns"}) == (-(2**63) + 1, ["clamped"])


def test_record_time():
    assert stored("recordTime", "2022-08-08T17:57:48Z") == (1659981468 * 10**9, [])
    assert stored("recordTime", "") == (NO_VALUE, ["empty_string"])
    assert stored("recordTime", 1659981468, {"Unit": "s"}) == (1659981468 * 10**9, [])
    # parseTimeWithLayout reads "0000-00-00" as Go's zero time whatever the layout: no time is set
    assert stored("recordTime", "0000-00-00") == (NO_VALUE, ["zero_time"])
    assert stored("recordTime", "0000-00-00", {"Layout": "2006-01-02"}) == (NO_VALUE, ["zero_time"])
    assert fails("recordTime", "0000-00-00", {"Unit": "s"}) == "invalid_value"  # a number is read: not a date at all


def test_signed_int_bool_key():
    assert stored("signedIntBoolKey", -12) == (-12, [])
    assert stored("signedIntBoolKey", "7") == (7, [])
    assert fails("signedIntBoolKey", "x") == "invalid_value"


def test_decimal_float_at_scale_one_is_an_exact_int():
    # 1.5 * 10.0 == 15.0 exactly: stored as the int 15 (never a float, never NaN), no warning
    out, kinds = stored("decimal", 1.5, {"Scale": 1})
    assert (out, kinds) == (15, []) and type(out) is int
    out, kinds = stored("decimal", 0.29, {"Scale": 2})  # 0.29 * 100.0 == 28.999999999999996: truncated to 28
    assert (out, kinds) == (28, ["float_decimal"])


# --- Arrow ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ctype, config, values",
    [
        ("id", None, [0, 2**64 - 1, None]),
        ("int", None, [-(2**63), 2**63 - 1, None]),
        ("decimal", {"Scale": 4}, ["-922337203685477.5808", "922337203685477.5807", "-0.0001", None]),
        ("decimal", {"Scale": 0}, [-1, 0, None]),
        ("bool", None, [True, None]),
        ("string", None, ["x", None]),
        ("strings", None, [["a", "b"], None]),
        ("ids", None, [[1, 2], None]),
        ("timestamp", {"Unit": "ms", "Granularity": "ms"}, [1659981468260, None]),
        ("recordTime", None, ["2022-08-08T17:57:48Z", None]),
        ("dateInt", None, ["2022-08-08", None]),
    ],
)
def test_to_arrow_has_the_declared_arrow_type(ctype, config, values):
    """Schemas are declared from ``arrow_type`` before any row exists (Spark's mapInArrow): the arrays must match it."""
    pa = pytest.importorskip("pyarrow")
    from decimal import Decimal

    import mapper

    entry = {"name": "c", "path": ["c"], "type": ctype, **({"config": config} if config else {})}
    sink = load_sink([entry, {"name": "k", "path": ["k"], "type": "id"}], id_field="k", allow_missing_fields=True)
    records = [{"k": i, **({} if v is None else {"c": v})} for i, v in enumerate(values)]
    col = mapper.compile_sink(sink).map(records)["c"]
    arr = col.ctype.to_arrow(col.values, col.valid, col.offsets, pa)
    arr.validate(full=True)
    assert arr.type == col.ctype.arrow_type(pa)
    assert arr.null_count == values.count(None)
    if ctype == "decimal":  # written straight into the decimal128 buffer: exact, negative values included
        assert arr.to_pylist() == [None if v is None else Decimal(str(v)) for v in values]
    empty = col.ctype.to_arrow(col.values[:0], col.valid[:0], None if col.offsets is None else col.offsets[:1], pa)
    assert empty.type == col.ctype.arrow_type(pa)
