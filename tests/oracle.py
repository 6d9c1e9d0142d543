"""An independent reference for what the endpoint stores, one small function per column type.

Written from the README's type table, ``shared/spec/featurebase-sink.md`` and the
ingester's code as quoted in the issue-10 research notes (``idk/interfaces.go``,
``pql/decimal.go``), plus mapper's documented deviations (it refuses what the ingester
would store wrongly). It imports nothing from ``mapper``: numbers go through Python's
``float``/``math.trunc``/``fractions``, decimals through ``decimal.Decimal``, times
through ``datetime``, Go's ``%v`` of a float through numpy's Dragon4 formatter. It is
slow and plain on purpose; :mod:`tests.test_oracle` compares mapper's fast and careful
paths with it.

``expect(ctype, config, value)`` returns an :class:`Expect`: the effect (``store``,
``clear``, ``nothing`` or ``error``), the stored value as ``Batch.to_rows()`` shows it,
the error code, and the warnings as ``(kind, sent, stored)`` (``stored`` is ``ANY``
where the reference does not model the warning's rendering).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

MISSING = object()
ANY = object()

I64_LO, I64_HI = -(2**63), 2**63 - 1
U64_HI = 2**64 - 1
ROW_LIMIT = 2**44  # FeatureBase's rows: r * ShardWidth (2^20) + column must fit a uint64


def mutex_of(cfg: dict) -> bool:
    return bool(cfg.get("Mutex"))


UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000}
# idk/interfaces.go MinTimestamp / MaxTimestamp, and the ns range (2^32 s either side of 1970)
TS_MIN_S, TS_MAX_S = -62135596799, 253402300799
NANO_MIN_S, NANO_MAX_S = -(2**32), 2**32
GO_ZERO_S = -62135596800  # 0001-01-01T00:00:00Z


def go_space(c: str) -> bool:
    """Go's unicode.IsSpace: Python's isspace() minus the four separators \\x1c-\\x1f."""
    return c.isspace() and c not in "\x1c\x1d\x1e\x1f"


def trim(s: str) -> str:
    i, j = 0, len(s)
    while i < j and go_space(s[i]):
        i += 1
    while j > i and go_space(s[j - 1]):
        j -= 1
    return s[i:j]


@dataclass
class Expect:
    effect: str  # store | clear | nothing | error
    stored: Any = None
    code: str | None = None
    warnings: list = field(default_factory=list)


class Refused(Exception):
    def __init__(self, code: str):
        self.code = code


class Misread(Exception):
    """Text that is no decimal, which pql.ParseDecimal reads as ``value`` at ``scale`` all the same."""

    def __init__(self, value: int, scale: int):
        self.value, self.scale = value, scale


def err(code: str) -> Refused:
    return Refused(code)


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def as_f64(v: int | float) -> float:
    """A JSON number as Go's decoder holds it."""
    try:
        return float(v)
    except OverflowError:
        raise err("out_of_range") from None


# ---------------------------------------------------------------------------------------
# Go's toInt64 / toUint64 (with mapper's refusals of out-of-range floats)


def int64_of(v: Any, warn: list) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise err("invalid_value")
    if isinstance(v, str):
        t = trim(v)
        if not re.fullmatch(r"[+-]?[0-9]+", t, flags=re.ASCII):
            raise err("invalid_value")
        n = int(t)
        if not I64_LO <= n <= I64_HI:
            raise err("out_of_range")
        return n
    f = as_f64(v)
    n = math.trunc(f)
    if not I64_LO <= n <= I64_HI:
        raise err("out_of_range")
    if isinstance(v, float) and n != f:
        warn.append(("float_truncated", v, n))
    if isinstance(v, int) and n != v:
        warn.append(("int_precision", v, n))
    return n


def uint64_of(v: Any, warn: list) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise err("invalid_value")
    if isinstance(v, str):
        t = trim(v)
        if not re.fullmatch(r"[0-9]+", t, flags=re.ASCII):
            raise err("invalid_value")
        n = int(t)
        if n > U64_HI:
            raise err("out_of_range")
        return n
    f = as_f64(v)
    n = math.trunc(f)
    if n < 0 or n > U64_HI:
        raise err("out_of_range")
    if isinstance(v, float) and n != f:
        warn.append(("float_truncated", v, n))
    if isinstance(v, int) and n != v:
        warn.append(("int_precision", v, n))
    return n


# ---------------------------------------------------------------------------------------
# Go's fmt %v of a decoded JSON value


def go_float(f: float) -> str:
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    sci = np.format_float_scientific(f, unique=True, trim="-")  # shortest round-trip digits
    mant, exp = sci.split("e")
    e = int(exp)
    if e < -4 or e >= 6:
        return f"{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
    return np.format_float_positional(f, unique=True, trim="-")


def go_v(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_num(v):
        return go_float(as_f64(v))
    if isinstance(v, list):
        return "[" + " ".join(go_v(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_v(v[k])}" for k in sorted(v)) + "]"
    if v is None:
        return "<nil>"
    raise AssertionError(v)


# ---------------------------------------------------------------------------------------
# pql.ParseDecimal + Decimal.ToInt64 (pql/decimal.go), and the float path of DecimalField


def parse_decimal(s: str) -> tuple[int, int, bool]:
    """pql.ParseDecimal's state machine: (value, scale, nonzero digits dropped by reducePrecision).

    Raises :class:`Misread` for text that is no decimal but that pql reads as one: the
    bytes reducePrecision cut off held its other characters (mapper refuses it later,
    out_of_range, after the checks of the value pql read).
    """
    sign, state, found_zero, point, mant = False, "sign", False, -1, ""
    for ch in s.encode().decode("latin-1"):  # pql walks bytes: one char per byte
        if state == "sign":
            state = "lead"
            if ch in "+-":
                sign = ch == "-"
                continue
        if state == "lead":
            if ch == "0":
                found_zero = True
                continue
            state = "mant"
        if ch == ".":
            if point != -1:
                raise err("invalid_value")  # "invalid decimal string"
            point = len(mant)
            continue
        mant += ch
    if state == "sign" or (state == "lead" and not found_zero):
        raise err("invalid_value")  # "decimal string is empty"
    junk = not all("0" <= c <= "9" for c in mant)
    kept = mant.rstrip("0")
    scale = -(len(mant) - len(kept)) if point == -1 else len(kept) - point
    mant = kept
    if not mant:
        return 0, 0, False
    mant = mant.lstrip("0")
    if not mant:
        return 0, scale, False
    limit = "9223372036854775808" if sign else "9223372036854775807"
    dropped = False
    while not (len(mant) <= 18 or (len(mant) == 19 and mant <= limit)):  # reducePrecision
        if scale <= 0:
            raise err("invalid_value" if junk else "out_of_range")  # "value out of range" (mapper: not a decimal, when it is not)
        dropped = dropped or mant[-1] != "0"
        mant, scale = mant[:-1], scale - 1
    if not all("0" <= c <= "9" for c in mant):
        raise err("invalid_value")  # strconv.ParseUint fails
    value = int(mant)
    if junk:
        raise Misread((-value if sign else value), scale)
    return (-value if sign else value), scale, dropped


def decimal_text(stored: int, scale: int) -> str:
    return format(Decimal(stored).scaleb(-scale), f".{scale}f") if scale else str(stored)


def decimal_of(v: Any, scale: int, warn: list) -> int:
    if isinstance(v, str):
        misread = False
        try:
            value, vscale, dropped = parse_decimal(v)
        except Misread as exc:
            value, vscale, dropped, misread = exc.value, exc.scale, False, True
        diff = scale - vscale
        if diff < 0:
            if -diff >= 19:
                raise err("invalid_value")  # the ingester divides by Pow10(19+) == 0 and crashes
            q = abs(value) // 10 ** (-diff)
            stored = -q if value < 0 else q
        elif diff >= 19 and value != 0:
            raise err("out_of_range")  # Pow10(19+) == 0: the ingester would store 0
        else:
            stored = value * 10**diff
            if not I64_LO <= stored <= I64_HI:
                raise err("out_of_range")  # the ingester's multiplication wraps
        if misread:
            raise err("out_of_range")  # the ingester stores the digits before the junk (mapper refuses)
        if dropped or Decimal(stored).scaleb(-scale) != Decimal(value).scaleb(-vscale):
            warn.append(("decimal_truncated", v, decimal_text(stored, scale)))
        return stored
    if not is_num(v):
        raise err("invalid_value")
    f = as_f64(v)
    product = f * float(10**scale)  # float64 times math.Pow10(scale), exact for 0..19
    if not -(2.0**63) <= product < 2.0**63:
        raise err("out_of_range")
    stored = math.trunc(product)
    if isinstance(v, int):
        if stored != v * 10**scale:
            warn.append(("int_precision", v, decimal_text(stored, scale)))
        return stored
    written = Decimal(repr(v))  # what a JSON writer emits for this float
    exact = int((written * (Decimal(10) ** scale)).to_integral_value(rounding="ROUND_DOWN"))
    if written != Decimal(exact).scaleb(-scale):
        warn.append(("decimal_truncated", v, decimal_text(stored, scale)))
    elif exact != stored:
        warn.append(("float_decimal", v, decimal_text(stored, scale)))
    return stored


# ---------------------------------------------------------------------------------------
# Times


def rfc3339(ns: int, digits: int) -> str:
    secs, frac = divmod(ns, 10**9)
    dt = EPOCH + timedelta(seconds=secs)
    text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    if digits:
        text += "." + f"{frac:09d}"[:digits]
    return text + "Z"


def digits_needed(ns: int) -> int:
    frac = ns % 10**9
    return 0 if frac == 0 else 3 if frac % 10**6 == 0 else 6 if frac % 10**3 == 0 else 9


@dataclass(frozen=True)
class TimeText:
    """A time string this reference knows the meaning of: ``ns`` since 1970, ``frac_digits`` as written."""

    text: str
    ns: int
    frac_digits: int


def make_time_text(dt: datetime, frac: int, frac_digits: int, offset_min: int) -> TimeText:
    """RFC 3339 text of a wall time ``dt`` (naive, seconds) + ``frac`` (as a ``frac_digits``-digit number) at an offset."""
    text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    if frac_digits:
        text += "." + f"{frac:0{frac_digits}d}"
    if offset_min == 0:
        text += "Z"
    else:
        sign = "+" if offset_min > 0 else "-"
        text += f"{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"
    whole = int((dt.replace(tzinfo=UTC) - EPOCH) // timedelta(seconds=1)) - offset_min * 60
    frac_ns = Fraction(frac, 10**frac_digits) * 10**9 if frac_digits else Fraction(0)
    return TimeText(text, whole * 10**9 + math.floor(frac_ns), frac_digits)


def ts_bounds_ns(gran: str) -> tuple[int, int]:
    lo, hi = (NANO_MIN_S, NANO_MAX_S) if gran == "ns" else (TS_MIN_S, TS_MAX_S)
    return lo * 10**9, hi * 10**9


def timestamp_of(v: Any, cfg: dict, warn: list, times: dict[str, TimeText]) -> int:
    gran = cfg.get("Granularity") or "s"
    g = NS[gran]
    epoch_ns = cfg.get("_epoch_ns", 0)
    lo, hi = ts_bounds_ns(gran)
    if "Unit" in cfg or "Epoch" in cfg:
        unit = cfg.get("Unit") or "s"
        n = int64_of(v, warn)
        p = float(n) * (float(NS[unit]) / float(g))
        if not abs(p) < 2.0**63:
            raise err("out_of_range")
        dur = math.trunc(p)
        if (dur >= 0 and n < 0) or (dur < 0 and n > 0):
            raise err("out_of_range")
        stored = epoch_ns // g + dur  # TimestampToVal floors the epoch
        if not lo // g <= stored <= hi // g:
            raise err("out_of_range")
        # the count without the float64: exact, truncated toward zero as Go's int64() truncates
        exact = abs(n * NS[unit]) // g * (1 if n >= 0 else -1)
        if dur != exact:  # the float64 moved it (a JSON number beyond 2^53 says so already)
            if not any(w[0] == "int_precision" and w[1] is v for w in warn):
                warn.append(("int_precision", v, rfc3339(stored * g, DIGITS[gran])))
        elif epoch_ns + n * NS[unit] != stored * g:
            warn.append(("timestamp_truncated", v, rfc3339(stored * g, DIGITS[gran])))
        return stored
    if not isinstance(v, str):
        raise err("invalid_value")
    if v in ("", "0000-00-00"):
        raise err("out_of_range")  # Go's zero time ("0000-00-00": parseTimeWithLayout's special case)
    tt = times.get(v)
    if tt is None or tt.frac_digits > 9:  # Go 1.19's RFC3339Nano takes at most 9 digits
        raise err("invalid_value")
    if not lo <= tt.ns <= hi:
        raise err("out_of_range")
    stored = tt.ns // g
    if tt.ns % g:
        warn.append(("timestamp_truncated", v, rfc3339(stored * g, DIGITS[gran])))
    return stored


DIGITS = {"s": 0, "ms": 3, "us": 6, "ns": 9}


def record_time_of(v: Any, cfg: dict, warn: list, times: dict[str, TimeText]) -> int | None:
    if "Unit" in cfg or "Epoch" in cfg:
        unit = cfg.get("Unit") or "s"
        n = int64_of(v, warn)
        # Unit.DurationFromValue: Go's int64 division truncates toward zero
        lo, hi = -(2**63 // NS[unit]), (2**63 - 1) // NS[unit]
        if not lo <= n <= hi:
            raise err("out_of_range")
        ns = cfg.get("_epoch_ns", 0) + n * NS[unit]
    else:
        if not isinstance(v, str):
            raise err("invalid_value")
        if v == "":
            warn.append(("empty_string", "", None))
            return None
        tt = TimeText(v, GO_ZERO_S * 10**9, 0) if v == "0000-00-00" else times.get(v)  # parseTimeWithLayout's special case
        if tt is None:
            raise err("invalid_value")
        ns = tt.ns  # RFC 3339 takes any number of fraction digits and keeps 9 (floor of the written value)
        if ns == GO_ZERO_S * 10**9:
            warn.append(("zero_time", v, None))
            return None
    if not I64_LO <= ns <= I64_HI:
        raise err("out_of_range")
    return ns


def date_int_of(v: Any, cfg: dict, warn: list) -> int:
    if not isinstance(v, str):
        raise err("invalid_value")
    if v == "0000-00-00":
        ns = GO_ZERO_S * 10**9
    else:
        m = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", v)
        if not m:
            raise err("invalid_value")
        try:
            day = datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
        except ValueError:
            raise err("invalid_value") from None
        ns = int((day - EPOCH) // timedelta(seconds=1)) * 10**9
    dur = ns - cfg.get("_epoch_ns", 0)
    sat = max(I64_LO, min(I64_HI, dur))  # time.Time.Sub saturates
    unit = cfg.get("_custom_ns") if cfg.get("Unit") == "c" else NS[cfg.get("Unit") or "s"]
    q = abs(sat) // unit
    stored = -q if sat < 0 else q  # Duration / Duration truncates toward zero
    if sat != dur:
        warn.append(("clamped", v, stored))
    elif sat < 0 and unit > 0 and sat % unit:  # before Epoch by a part of a Unit: the count names the Unit after its own
        warn.append(("toward_epoch", v, stored))
    return stored


# ---------------------------------------------------------------------------------------
# The table


def expect(ctype: str, cfg: dict, v: Any, times: dict[str, TimeText] | None = None) -> Expect:
    """What the endpoint does with ``v`` (a decoded JSON value, None, or MISSING) in a column."""
    times = times or {}
    mutex = bool(cfg.get("Mutex"))
    on_null = {
        "id": "clear" if mutex else "nothing",
        "string": "clear" if mutex else "nothing",
        "ids": "error",
        "strings": "error",
        "signedIntBoolKey": "error",
        "recordTime": "error",
        "dateInt": "error",
    }.get(ctype, "clear")
    if v is None:
        return Expect(on_null, code="invalid_value" if on_null == "error" else None)
    if v is MISSING:
        if ctype == "bool":
            return Expect("clear")
        if ctype == "recordTime" and ("Unit" in cfg or "Epoch" in cfg):
            return Expect("error", code="invalid_value")
        return Expect("nothing")
    warn: list = []
    try:
        out = _convert(ctype, cfg, v, warn, times)
    except Refused as exc:
        return Expect("error", code=exc.code)
    if out is _NOTHING:
        return Expect("nothing", warnings=warn)
    if out is _CLEAR:
        return Expect("clear", warnings=warn)
    return Expect("store", stored=out, warnings=warn)


_NOTHING, _CLEAR = object(), object()


def _empty(v: Any, warn: list, hint: Any = None) -> Any:
    warn.append(("empty_string", v, None))
    return _NOTHING


def _convert(ctype: str, cfg: dict, v: Any, warn: list, times: dict[str, TimeText]) -> Any:
    if ctype in ("id", "int", "signedIntBoolKey", "decimal", "string", "ids", "strings") and v == "" and isinstance(v, str):
        return _empty(v, warn)
    if ctype == "id":
        n = uint64_of(v, warn)
        if n >= ROW_LIMIT:  # a field's row r sits at bit r*2^20+column of a uint64 (FeatureBase fragment.go pos)
            marker = n == U64_HI or (n == U64_HI - 1 and mutex_of(cfg))  # batch/batch.go's nil and mutex-clear markers
            warn.append(("row_wrapped", v, None if marker else n % ROW_LIMIT))
        return n
    if ctype in ("int", "signedIntBoolKey"):
        n = int64_of(v, warn)
        lo, hi = cfg.get("Min", I64_LO), cfg.get("Max", I64_HI)
        if ctype == "int" and not lo <= n <= hi:
            raise err("out_of_range")
        if ctype == "signedIntBoolKey" and abs(n) >= ROW_LIMIT:  # v is row abs(v) of a set field (idk/ingest.go)
            warn.append(("row_wrapped", v, abs(n) % ROW_LIMIT))
        return n
    if ctype == "bool":
        if isinstance(v, bool):
            return v
        if isinstance(v, str):
            if v == "":
                warn.append(("empty_string", v, None))
                return _CLEAR
            t = trim(v).lower()
            if t in ("", "0", "f", "false"):
                return False
            if t in ("1", "t", "true"):
                return True
            raise err("invalid_value")
        if is_num(v):
            f = as_f64(v)
            if abs(f) >= 2.0**63:
                return True  # int64(f) is MinInt64 on amd64: not 0
            n = math.trunc(f)
            if isinstance(v, float) and n != f:
                warn.append(("float_truncated", v, n != 0))
            return n != 0
        raise err("invalid_value")
    if ctype == "decimal":
        return decimal_text(decimal_of(v, cfg.get("Scale", 0), warn), cfg.get("Scale", 0))
    if ctype == "string":
        if isinstance(v, str):
            return v
        text = go_v(v)
        warn.append(("string_from_value", v, text))
        return text
    if ctype == "strings":
        if isinstance(v, list):
            if not all(isinstance(x, str) for x in v):
                raise err("invalid_value")
            return list(dict.fromkeys(x for x in v if x != ""))
        if isinstance(v, str):
            inner = v[1:-1] if len(v) >= 2 and v[0] == "[" and v[-1] == "]" else v
            parts = list(dict.fromkeys(p for p in inner.split(",") if p != ""))
            if "," in v or inner is not v:
                warn.append(("comma_split", v, parts))
            return parts
        raise err("invalid_value")
    if ctype == "ids":
        if isinstance(v, list):
            if not v:
                return _NOTHING
            rows = list(dict.fromkeys(uint64_of(x, warn) for x in v))
            if max(rows) >= ROW_LIMIT:
                warn.append(("row_wrapped", v, [r % ROW_LIMIT for r in rows]))
            return rows
        if isinstance(v, str):
            inner = v[1:-1] if len(v) >= 2 and v[0] == "[" and v[-1] == "]" else v
            out = []
            for part in inner.split(","):
                t = trim(part)
                if not re.fullmatch(r"[0-9]+", t, flags=re.ASCII):
                    raise err("invalid_value")
                if int(t) > U64_HI:
                    raise err("out_of_range")
                out.append(int(t))
            parts = list(dict.fromkeys(out))
            if "," in v:
                warn.append(("comma_split", v, parts))
            if max(parts) >= ROW_LIMIT:
                warn.append(("row_wrapped", v, [r % ROW_LIMIT for r in parts]))
            return parts
        raise err("invalid_value")
    if ctype == "timestamp":
        stored = timestamp_of(v, cfg, warn, times)
        gran = cfg.get("Granularity") or "s"
        return rfc3339(stored * NS[gran], DIGITS[gran])
    if ctype == "recordTime":
        ns = record_time_of(v, cfg, warn, times)
        return _NOTHING if ns is None else rfc3339(ns, digits_needed(ns))
    if ctype == "dateInt":
        return date_int_of(v, cfg, warn)
    raise AssertionError(ctype)
