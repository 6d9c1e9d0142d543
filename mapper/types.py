"""One converter per FeatureBase column type: the single home of the coercion table.

Each converter takes a JSON value as decoded (``str``, ``int``, ``float``, ``bool``,
``list``, ``dict``; ``None`` and missing values never reach it) and returns what
the FeatureBase ingester (``idk/interfaces.go``) would store, or :data:`NO_VALUE`
where the ingester stores nothing (``""`` for most types), or raises
:class:`ConversionError`. The ingester decodes every JSON number as a 64-bit float
before converting it; the converters reproduce that, so a producer sees what the
endpoint will really store.

Where the stored value differs from what was sent, the converter appends a
:class:`Lossy` note to the ``notes`` list it is given (the report turns them into
warnings, or errors under ``strict``). The vectorised fast paths in
:mod:`mapper.project` must agree with these functions; the tests check that they do.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, Callable, NamedTuple

import numpy as np

from . import golayout
from .errors import type_name
from .sink import TS_MAX_NANO_NS, TS_MAX_NS, TS_MIN_NANO_NS, TS_MIN_NS, Column

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1
TWO53 = 2**53
TWO51 = 2**51
UNIT_NS = {"d": 86400 * 10**9, "h": 3600 * 10**9, "m": 60 * 10**9, "s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}

# Go's unicode.IsSpace set, which strings.TrimSpace trims (Python's str.strip() trims
# more: \x1c-\x1f count as whitespace there).
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_INT_RE = re.compile(r"[+-]?[0-9]+")
_UINT_RE = re.compile(r"[0-9]+")


def _integer_text(text: str, pattern: re.Pattern[str], lo: int, hi: int, too_big: str) -> int | None:
    """The integer a (trimmed) string of digits spells, as Go's ParseInt/ParseUint read it.

    None when ``text`` does not match ``pattern``; ``out_of_range`` (saying ``too_big``)
    outside ``lo..hi``. Leading zeros do not count towards the length guard (Go reads
    any number of them); the guard keeps ``int()`` off strings of 4,300+ digits.
    """
    if not pattern.fullmatch(text):
        return None
    if len(text.lstrip("+-").lstrip("0")) > 40:
        raise ConversionError("out_of_range", too_big)
    n = int(text)
    if not lo <= n <= hi:
        raise ConversionError("out_of_range", too_big)
    return n


class _NoValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"


#: Returned where the ingester stores nothing for a value that was sent (``""``).
NO_VALUE: Any = _NoValue()


class ConversionError(Exception):
    """A value the endpoint cannot take. ``code`` is ``invalid_value`` or ``out_of_range``."""

    def __init__(self, code: str, reason: str):
        self.code = code
        self.reason = reason
        super().__init__(reason)


class Lossy(NamedTuple):
    """A value the endpoint stores differently from how it was sent."""

    kind: str
    sent: Any
    stored: Any
    hint: str = ""


#: Warning kinds, one per silent change, with what each means.
LOSSY_KINDS = {
    "float_truncated": "a float truncated into an integer column",
    "float_decimal": "a float whose float arithmetic at this Scale stores a different number than was written",
    "decimal_truncated": "more digits than Scale (truncated, not rounded)",
    "int_precision": "an integer beyond 2^53 changed by the endpoint's float decoding",
    "string_from_value": "a number, bool, array or object sent to a string column, stored as Go formats it",
    "comma_split": "a comma-separated string split into a set",
    "empty_string": '"" taken as no value',
    "timestamp_truncated": "a time finer than the column's granularity",
    "clamped": "a date too far from Epoch, clamped by Go's duration arithmetic",
}


# ---------------------------------------------------------------------------------------
# What a JSON value looks like in messages, and in Go


def show(value: Any, limit: int = 60) -> str:
    """A short JSON-like rendering of a value for messages: ``"high"``, ``12.5``, ``[...]``."""
    if isinstance(value, str):
        text = '"' + value[: limit * 2].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + ('"' if len(value) <= limit * 2 else "")
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, float):
        text = float.__repr__(value)
    elif isinstance(value, int):
        # str() of an int of more than 4,300 digits raises; such a number is not worth printing
        text = str(value) if value.bit_length() < 4000 else f"<an integer of {value.bit_length() * 30103 // 100000} digits>"
    elif isinstance(value, list):
        text = f"[...] ({len(value)} items)" if value else "[]"
    elif isinstance(value, dict):
        text = f"{{...}} ({len(value)} keys)" if value else "{}"
    else:
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def expected(what: str, value: Any) -> ConversionError:
    """``Expected `int`, got `str` "high"``."""
    return ConversionError("invalid_value", f"Expected {what}, got `{type_name(value)}` {show(value)}")


def go_float_text(f: float) -> str:
    """Go's ``fmt.Sprint(float64)``.

    Go's %v on a float64 is strconv's 'g' format with the shortest precision, which
    switches to exponent notation when the decimal exponent is < -4 or >= 6:
    ``1234567`` -> ``1.234567e+06``, ``123456`` -> ``123456``, ``0.00001`` -> ``1e-05``.
    """
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    _, digits_t, exponent = Decimal(repr(abs(f))).normalize().as_tuple()
    digits = "".join(map(str, digits_t))
    assert isinstance(exponent, int)
    nd = len(digits)
    dp = nd + exponent  # position of the decimal point relative to the digits
    exp = dp - 1
    if exp < -4 or exp >= 6:
        mant = digits[0] + ("." + digits[1:] if nd > 1 else "")
        esign = "+" if exp >= 0 else "-"
        return f"{sign}{mant}e{esign}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= nd:
        return f"{sign}{digits}{'0' * (dp - nd)}"
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def go_text(value: Any) -> str:
    """Go's ``fmt.Sprintf("%v", v)`` of a JSON value decoded into ``interface{}``.

    Numbers are float64 there; arrays print as ``[a b]``; objects as ``map[k:v]``
    with sorted keys; null as ``<nil>``.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return go_float_text(as_go_float(value))
    if isinstance(value, (list, tuple)) and len(value) > 10_000:
        raise ConversionError("invalid_value", f"an array of {len(value)} items is too long to print as text")
    if isinstance(value, list):
        return "[" + " ".join(go_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_text(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def as_go_float(value: int | float) -> float:
    """A JSON number as Go's decoder sees it: the nearest float64 (a builtin float)."""
    if isinstance(value, float):
        if not math.isfinite(value):  # only Python callers can pass these: JSON has no NaN
            raise ConversionError("invalid_value", f"{show(value)} is not a JSON number")
        return float(value)
    try:
        return float(value)
    except OverflowError:
        raise ConversionError("out_of_range", f"number {show(value)} is beyond the float64 range the endpoint decodes numbers into") from None


def go_trim(text: str) -> str:
    """Go's ``strings.TrimSpace``."""
    return text.strip(GO_SPACE)


# ---------------------------------------------------------------------------------------
# The shared numeric rules (Go's toInt64 / toUint64 on decoded JSON)


def _number_to_int(value: int | float, notes: list[Lossy] | None) -> int:
    """float64 -> int64 truncation, as Go's ``int64(f)`` (out-of-range is an error here)."""
    f = as_go_float(value)
    if not math.isfinite(f):  # pragma: no cover - JSON has no inf/nan
        raise ConversionError("out_of_range", f"number {show(value)} is not finite")
    stored = int(f)
    if notes is not None:
        if isinstance(value, float):
            if f != stored:
                notes.append(Lossy("float_truncated", value, stored))
        elif stored != value:
            notes.append(Lossy("int_precision", value, stored, "the endpoint decodes numbers as float64; send it as a string"))
    return stored


def to_int64(value: Any, notes: list[Lossy] | None, what: str = "`int`") -> int:
    """Go's ``toInt64`` on a decoded JSON value."""
    if isinstance(value, bool):
        raise expected(what, value)
    if isinstance(value, (int, float)):
        stored = _number_to_int(value, notes)
        if not INT64_MIN <= stored <= INT64_MAX:
            raise ConversionError("out_of_range", f"{show(value)} does not fit a signed 64-bit integer")
        return stored
    if isinstance(value, str):
        parsed = _integer_text(go_trim(value), _INT_RE, INT64_MIN, INT64_MAX, f"{show(value)} does not fit a signed 64-bit integer")
        if parsed is None:
            raise ConversionError("invalid_value", f"Expected {what} or a string of digits, got `str` {show(value)}")
        return parsed
    raise expected(what, value)


def to_uint64(value: Any, notes: list[Lossy] | None, what: str = "`id`") -> int:
    """Go's ``toUint64`` on a decoded JSON value (negative numbers are errors here)."""
    if isinstance(value, bool):
        raise expected(what, value)
    if isinstance(value, (int, float)):
        stored = _number_to_int(value, None)  # truncated first: -0.5 is stored as 0
        if stored < 0:
            raise ConversionError("out_of_range", f"negative value {show(value)} cannot be an id")
        stored = _number_to_int(value, notes)
        if stored > UINT64_MAX:
            raise ConversionError("out_of_range", f"{show(value)} does not fit an unsigned 64-bit id")
        return stored
    if isinstance(value, str):
        text = go_trim(value)
        parsed = _integer_text(text, _UINT_RE, 0, UINT64_MAX, f"{show(value)} does not fit an unsigned 64-bit id")
        if parsed is None:
            why = "a negative id" if text.startswith("-") and _UINT_RE.fullmatch(text[1:]) else "not an unsigned integer"
            raise ConversionError("invalid_value", f"Expected {what} (an unsigned integer), got `str` {show(value)}: {why}")
        return parsed
    raise expected(what, value)


# ---------------------------------------------------------------------------------------
# Decimal strings (pql.ParseDecimal + Decimal.ToInt64)


def parse_decimal_text(text: str) -> tuple[int, int]:
    """Parse a decimal string the way ``pql.ParseDecimal`` does: ``(value, scale)``."""
    value, scale, _dropped = parse_decimal_text_ex(text)
    return value, scale


def parse_decimal_text_ex(text: str) -> tuple[int, int, bool]:
    """Parse a decimal string the way ``pql.ParseDecimal`` does: ``(value, scale)``.

    An optional sign, ASCII digits and at most one ``.``; no spaces, no exponent
    (``"."`` alone reads as 0, as in pql). When the digits do not fit an int64,
    fraction digits are dropped until they do, as pql does; raises OverflowError
    when they still do not fit, ValueError when the text is not a decimal.
    """
    neg = text[:1] == "-"
    body = text[1:] if text[:1] in ("+", "-") else text
    if body == "":
        raise ValueError("decimal string is empty")
    int_part, dot, frac_part = body.partition(".")
    digits = int_part + frac_part
    if "." in frac_part or (digits and not (digits.isascii() and digits.isdigit())):
        raise ValueError("not a decimal number")
    scale = len(frac_part)
    mantissa = digits.lstrip("0")
    stripped = mantissa.rstrip("0")
    scale -= len(mantissa) - len(stripped)
    mantissa = stripped
    if not mantissa:
        return 0, 0, False
    limit = "9223372036854775808" if neg else "9223372036854775807"
    dropped = False
    extra = len(mantissa) - 19
    if extra > 0:  # drop fraction digits until 19 are left (pql does it one at a time)
        if scale < extra:
            raise OverflowError("value out of range")
        dropped = mantissa[-extra:].strip("0") != ""
        mantissa, scale = mantissa[:-extra], scale - extra
    if len(mantissa) == 19 and mantissa > limit:
        if scale <= 0:
            raise OverflowError("value out of range")
        dropped = dropped or mantissa[-1] != "0"
        mantissa, scale = mantissa[:-1], scale - 1
    value = int(mantissa)
    return (-value if neg else value), scale, dropped


def scale_int(value: int, from_scale: int, to_scale: int) -> int:
    """``Decimal.ToInt64``: move ``value`` from one scale to another, truncating toward zero."""
    diff = to_scale - from_scale
    if diff >= 0:
        return value * 10**diff
    q = abs(value) // 10 ** (-diff)
    return -q if value < 0 else q


# ---------------------------------------------------------------------------------------
# Converters


Convert = Callable[[Any, "list[Lossy] | None"], Any]


class Converter:
    """How one column's values become what the endpoint stores.

    ``convert(value, notes)`` is the reference (scalar) conversion. ``kind`` names the
    storage: ``uint64``, ``int64``, ``bool``, ``str``, ``uint64set``, ``strset``.
    """

    __slots__ = ("column", "type", "kind", "convert", "scale", "unit", "digits")

    def __init__(self, column: Column, kind: str, convert: Convert, *, scale: int | None = None, unit: str | None = None, digits: int = 0):
        self.column = column
        self.type = column.type
        self.kind = kind
        self.convert = convert
        self.scale = scale
        self.unit = unit
        self.digits = digits

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(_DTYPES[self.kind])


_DTYPES = {"uint64": np.uint64, "int64": np.int64, "bool": np.bool_, "str": object, "uint64set": np.uint64, "strset": object}


def converter_for(column: Column) -> Converter:
    """Build the converter of a column from its type and config."""
    return _BUILDERS[column.type](column)


def _id(column: Column) -> Converter:
    def convert(value: Any, notes: list[Lossy] | None) -> Any:
        if value == "" and isinstance(value, str):
            if notes is not None:
                notes.append(Lossy("empty_string", value, None))
            return NO_VALUE
        return to_uint64(value, notes)

    return Converter(column, "uint64", convert)


def _int(column: Column) -> Converter:
    lo, hi = column.config.min, column.config.max
    lo_check = lo if lo is not None else INT64_MIN
    hi_check = hi if hi is not None else INT64_MAX
    bounds = f"[{lo_check}, {hi_check}]"

    def convert(value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, str) and value == "":
            if notes is not None:
                notes.append(Lossy("empty_string", value, None))
            return NO_VALUE
        stored = to_int64(value, notes)
        if not lo_check <= stored <= hi_check:
            raise ConversionError("out_of_range", f"value {stored} is out of range for `int` {bounds}")
        return stored

    return Converter(column, "int64", convert)


def _signed_int_bool_key(column: Column) -> Converter:
    def convert(value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, str) and value == "":
            if notes is not None:
                notes.append(Lossy("empty_string", value, None))
            return NO_VALUE
        return to_int64(value, notes, "`signedIntBoolKey` (an integer)")

    return Converter(column, "int64", convert)


def _decimal(column: Column) -> Converter:
    scale = column.config.scale or 0
    factor = 10.0**scale  # Go: math.Pow10(scale), exact for 0..19

    def convert(value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, str):
            if value == "":
                if notes is not None:
                    notes.append(Lossy("empty_string", value, None))
                return NO_VALUE
            try:
                v, s, dropped = parse_decimal_text_ex(value)
            except OverflowError:
                raise ConversionError("out_of_range", f"decimal {show(value)} does not fit a 64-bit integer") from None
            except ValueError:
                raise ConversionError("invalid_value", f"Expected `decimal` (a number or a decimal string), got `str` {show(value)}") from None
            stored = scale_int(v, s, scale)
            if not INT64_MIN <= stored <= INT64_MAX:
                raise ConversionError("out_of_range", f"decimal {show(value)} at scale {scale} does not fit a 64-bit integer")
            if notes is not None and ((s > scale and scale_int(stored, scale, s) != v) or dropped):
                why = "the endpoint keeps at most 19 significant digits" if dropped else f"Scale is {scale}: extra digits are cut, not rounded"
                notes.append(Lossy("decimal_truncated", value, format_decimal(stored, scale), why))
            return stored
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise expected("`decimal` (a number or a decimal string)", value)
        f = as_go_float(value)
        product = f * factor
        if not -9.223372036854776e18 <= product < 9.223372036854776e18:
            raise ConversionError("out_of_range", f"{show(value)} at scale {scale} does not fit a 64-bit integer")
        stored = int(product)
        if notes is not None:
            note = decimal_note(value, stored, scale)
            if note is not None:
                notes.append(note)
        return stored

    return Converter(column, "int64", convert, scale=scale)


def decimal_note(value: int | float, stored: int, scale: int) -> Lossy | None:
    """Why a JSON number stored as ``stored`` at ``scale`` differs from how it was written, if it does.

    The written number is the shortest text of the float (what a JSON writer emits).
    """
    if isinstance(value, int):
        if stored == value * 10**scale:
            return None
        return Lossy("int_precision", value, format_decimal(stored, scale), "the endpoint decodes numbers as float64; send it as a string")
    written = Decimal(repr(float(value)))
    exponent = written.as_tuple().exponent
    assert isinstance(exponent, int)
    frac_digits = max(0, -exponent)
    v, s = parse_decimal_text(format(written, "f"))
    exact = scale_int(v, s, scale)
    if frac_digits > scale and scale_int(exact, scale, s) != v:
        return Lossy("decimal_truncated", value, format_decimal(stored, scale), f"Scale is {scale}: extra digits are cut, not rounded")
    if exact != stored:
        return Lossy("float_decimal", value, format_decimal(stored, scale), f'send the string "{format(written, "f")}" to store it exactly')
    return None


def format_decimal(stored: int, scale: int) -> str:
    """A scaled integer as text with exactly ``scale`` digits after the point: 434, 2 -> ``"4.34"``."""
    if scale == 0:
        return str(stored)
    sign = "-" if stored < 0 else ""
    digits = str(abs(stored)).rjust(scale + 1, "0")
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}"


def _bool(column: Column) -> Converter:
    def convert(value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            if value == "":
                if notes is not None:
                    notes.append(Lossy("empty_string", value, None))
                return NO_VALUE
            text = go_trim(value.lower())
            if text in ("", "0", "f", "false"):
                return False
            if text in ("1", "t", "true"):
                return True
            raise ConversionError("invalid_value", f"Expected `bool` (true, false, 1, 0, t, f), got `str` {show(value)}")
        if isinstance(value, (int, float)):
            f = as_go_float(value)
            if abs(f) >= 9.223372036854776e18:
                return True
            truncated = int(f)
            if notes is not None and isinstance(value, float) and truncated != f:
                notes.append(Lossy("float_truncated", value, truncated != 0))
            return truncated != 0
        raise expected("`bool`", value)

    return Converter(column, "bool", convert)


def _string(column: Column) -> Converter:
    def convert(value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, str):
            if value == "":
                if notes is not None:
                    notes.append(Lossy("empty_string", value, None))
                return NO_VALUE
            return value
        text = go_text(value)
        if notes is not None:
            notes.append(Lossy("string_from_value", value, text, f"send the string {show(text)} if that is what you mean"))
        return text

    return Converter(column, "str", convert)


def _split_set_text(value: str) -> list[str]:
    text = value
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.split(",")


def _strings(column: Column) -> Converter:
    def convert(value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise ConversionError("invalid_value", f"Expected `strings` (an array of strings), got `{type_name(item)}` {show(item)} at index {i}")
            return list(dict.fromkeys(v for v in value if v != ""))
        if isinstance(value, str):
            if value == "":
                if notes is not None:
                    notes.append(Lossy("empty_string", value, None))
                return NO_VALUE
            parts = list(dict.fromkeys(p for p in _split_set_text(value) if p != ""))
            if notes is not None and ("," in value or (value.startswith("[") and value.endswith("]"))):
                notes.append(Lossy("comma_split", value, parts, "send an array of strings to control the elements"))
            return parts
        raise expected("`strings` (an array of strings or a comma-separated string)", value)

    return Converter(column, "strset", convert)


def _ids(column: Column) -> Converter:
    def convert(value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, list):
            if not value:
                return NO_VALUE
            out = []
            for i, item in enumerate(value):
                try:
                    out.append(to_uint64(item, notes))
                except ConversionError as exc:
                    raise ConversionError(exc.code, f"{exc.reason} at index {i}") from None
            return list(dict.fromkeys(out))
        if isinstance(value, str):
            if value == "":
                if notes is not None:
                    notes.append(Lossy("empty_string", value, None))
                return NO_VALUE
            parts = _split_set_text(value)
            out = []
            for part in parts:
                n = _integer_text(go_trim(part), _UINT_RE, 0, UINT64_MAX, f"element {show(part)} does not fit an unsigned 64-bit id")
                if n is None:
                    raise ConversionError("invalid_value", f"Expected `ids` (unsigned integers), got `str` {show(value)}: element {show(part)} is not an unsigned integer")
                out.append(n)
            result = list(dict.fromkeys(out))
            if notes is not None and "," in value:
                notes.append(Lossy("comma_split", value, result, "send an array of integers"))
            return result
        raise expected("`ids` (an array of ids or a comma-separated string)", value)

    return Converter(column, "uint64set", convert)


def _timestamp(column: Column) -> Converter:
    cfg = column.config
    gran = cfg.granularity or "s"
    gran_ns = UNIT_NS[gran]
    lo, hi = (TS_MIN_NANO_NS, TS_MAX_NANO_NS) if gran == "ns" else (TS_MIN_NS, TS_MAX_NS)
    lo_v, hi_v = -(-lo // gran_ns), hi // gran_ns  # the range in granularity units
    epoch_v = cfg.epoch_ns // gran_ns  # Go: TimestampToVal(granularity, epoch)
    digits = {"s": 0, "ms": 3, "us": 6, "ns": 9}[gran]
    if cfg.numeric_time:
        unit = cfg.unit or "s"
        unit_ns = UNIT_NS[unit]
        ratio = float(unit_ns) / float(gran_ns)  # Go: float64(unitNanos) / float64(granNanos)

        def convert(value: Any, notes: list[Lossy] | None) -> Any:
            v = to_int64(value, notes, f"`timestamp` (a number of {unit})")
            dur = int(float(v) * ratio) if abs(float(v) * ratio) < 9.223372036854776e18 else None
            if dur is None or (dur >= 0 and v < 0) or (dur < 0 and v > 0):
                raise ConversionError("out_of_range", f"timestamp {show(value)} {unit} is out of range at granularity {gran}")
            stored = epoch_v + dur
            if not lo_v <= stored <= hi_v:
                raise ConversionError("out_of_range", f"timestamp {show(value)} {unit} is outside 0001-01-01T00:00:01Z..9999-12-31T23:59:59Z" if gran != "ns" else f"timestamp {show(value)} {unit} is outside 1833-11-24T17:31:44Z..2106-02-07T06:28:16Z (granularity ns)")
            if notes is not None:
                exact_ns = cfg.epoch_ns + v * unit_ns
                if exact_ns != stored * gran_ns:
                    notes.append(Lossy("timestamp_truncated", value, golayout.format_rfc3339(stored * gran_ns, digits), f"granularity is {gran}"))
            return stored

        return Converter(column, "int64", convert, unit=gran, digits=digits)

    parse = _layout_parser("timestamp", cfg.layout or "2006-01-02T15:04:05.999999999Z07:00")

    def convert_text(value: Any, notes: list[Lossy] | None) -> Any:
        if value == "":
            raise ConversionError("out_of_range", 'an empty string is read as Go\'s zero time 0001-01-01T00:00:00Z, which is out of range')
        ns = parse(value)
        if not lo <= ns <= hi:
            raise ConversionError("out_of_range", f"timestamp {show(value)} is outside the range FeatureBase takes" + (" at granularity ns (1833..2106)" if gran == "ns" else ""))
        stored = ns // gran_ns
        if notes is not None and ns % gran_ns:
            notes.append(Lossy("timestamp_truncated", value, golayout.format_rfc3339(stored * gran_ns, digits), f"granularity is {gran}"))
        return stored

    return Converter(column, "int64", convert_text, unit=gran, digits=digits)


def _layout_parser(what: str, layout_text: str) -> Callable[[Any], int]:
    """A string in a Go layout -> ns since 1970, or the ConversionError saying why not."""
    layout = golayout.compile_layout(layout_text)

    def parse(value: Any) -> int:
        if not isinstance(value, str):
            raise expected(f"`{what}` (a string in layout {layout_text})", value)
        try:
            return layout.parse(value)
        except golayout.LayoutError as exc:
            raise ConversionError("invalid_value", f"Expected `{what}` in layout {layout_text}, got `str` {show(value)}: {exc.message}") from None

    return parse


def _record_time(column: Column) -> Converter:
    cfg = column.config
    if cfg.numeric_time:
        unit = cfg.unit or "s"
        unit_ns = UNIT_NS[unit]

        def convert(value: Any, notes: list[Lossy] | None) -> Any:
            v = to_int64(value, notes, f"`recordTime` (a number of {unit})")
            if not INT64_MIN // unit_ns <= v <= INT64_MAX // unit_ns:
                raise ConversionError("out_of_range", f"{v}{unit} is outside representable time scales")
            ns = cfg.epoch_ns + v * unit_ns
            if not INT64_MIN <= ns <= INT64_MAX:
                raise ConversionError("out_of_range", f"recordTime {show(value)} is outside 1677..2262, the range mapper stores recordTime in (ns)")
            return ns

        return Converter(column, "int64", convert, unit="ns", digits=9)

    parse = _layout_parser("recordTime", cfg.layout or "2006-01-02T15:04:05Z07:00")

    def convert_text(value: Any, notes: list[Lossy] | None) -> Any:
        if value == "":
            if notes is not None:
                notes.append(Lossy("empty_string", value, None))
            return NO_VALUE
        ns = parse(value)
        if not INT64_MIN <= ns <= INT64_MAX:
            raise ConversionError("out_of_range", f"recordTime {show(value)} is outside 1677..2262, the range mapper stores recordTime in (ns)")
        return ns

    return Converter(column, "int64", convert_text, unit="ns", digits=9)


def _date_int(column: Column) -> Converter:
    cfg = column.config
    parse = _layout_parser("dateInt", cfg.layout or "2006-01-02")
    unit = cfg.unit or "s"
    unit_ns = cfg.custom_unit_ns if unit == "c" and cfg.custom_unit_ns else UNIT_NS.get(unit, 10**9)
    zero_time_ns = -62135596800 * 10**9

    def convert(value: Any, notes: list[Lossy] | None) -> Any:
        # "0000-00-00" is the ingester's special case: Go's zero time
        ns = zero_time_ns if value == "0000-00-00" else parse(value)
        dur = ns - cfg.epoch_ns
        clamped = min(max(dur, INT64_MIN), INT64_MAX)  # Go's Time.Sub saturates
        q = abs(clamped) // unit_ns
        stored = -q if clamped < 0 else q
        if notes is not None and clamped != dur:
            notes.append(Lossy("clamped", value, stored, "Go's time arithmetic saturates about 292 years from Epoch"))
        return stored

    return Converter(column, "int64", convert, unit=unit)


_BUILDERS: dict[str, Callable[[Column], Converter]] = {
    "id": _id,
    "ids": _ids,
    "string": _string,
    "strings": _strings,
    "bool": _bool,
    "int": _int,
    "decimal": _decimal,
    "timestamp": _timestamp,
    "recordTime": _record_time,
    "dateInt": _date_int,
    "signedIntBoolKey": _signed_int_bool_key,
}
