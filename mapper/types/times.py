"""Time columns: ``timestamp``, ``recordTime`` and ``dateInt``.

``timestamp``: without Unit and Epoch, a string in Layout (default RFC 3339 with
nanoseconds); with either, a number (or numeric string) counted in Unit from Epoch.
Stored as an int64 count of Granularity since 1970, within the ingester's range.
``recordTime``: the same inputs, kept as int64 nanoseconds (the record's time for
quantum columns, not a column). ``dateInt``: a date string in Layout, stored as a count
of Unit (or CustomUnit) since Epoch, saturating as Go's duration arithmetic does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence, Union

import numpy as np

from .. import golayout
from ..errors import preview, show, suggest
from ..model import counts_numbers
from .base import (
    INT64_MAX,
    INT64_MIN,
    NO_VALUE,
    TWO53,
    UNIT_NS,
    ColumnType,
    ConfigRules,
    ConversionError,
    Lossy,
    Quick,
    Vector,
    empty,
    expected,
    narrower,
    quick_range,
    stored_as_sent,
    to_int64,
)
from .integers import int_lax
from .text import NONEMPTY_STR

if TYPE_CHECKING:
    from ..model import Column
    from ..tiers import Tier

TIME_UNITS = ("d", "h", "m", "s", "ms", "us", "ns")
GRANULARITIES = ("s", "ms", "us", "ns")
_NUMBER = Union[int, float, str]

# Go's time.Time zero value (0001-01-01T00:00:00Z) in ns since 1970: the ingester treats
# an Epoch equal to it as "not set".
GO_ZERO_TIME_NS = -62135596800 * 10**9
# The ingester's valid timestamp range (idk/interfaces.go), in ns since 1970.
TS_MIN_NS, TS_MAX_NS = -62135596799 * 10**9, 253402300799 * 10**9
TS_MIN_NANO_NS, TS_MAX_NANO_NS = -(2**32) * 10**9, 2**32 * 10**9
_RANGE_TEXT = "0001-01-01T00:00:01Z..9999-12-31T23:59:59Z"
_NANO_RANGE_TEXT = "1833-11-24T17:31:44Z..2106-02-07T06:28:16Z"


def ts_range(granularity: str) -> tuple[int, int]:
    """The ingester's timestamp range in ns since 1970 at a granularity (narrower at ns)."""
    return (TS_MIN_NANO_NS, TS_MAX_NANO_NS) if granularity == "ns" else (TS_MIN_NS, TS_MAX_NS)


class _Time(ColumnType):
    """The config rules every time type shares, and the JSON shapes of time values."""

    config_keys = {"Layout": "str", "Epoch": "time", "Unit": "str"}
    #: the Units this type takes
    units: ClassVar[tuple[str, ...]] = TIME_UNITS
    #: whether values may be numbers counted in Unit from Epoch (else always strings)
    numeric_allowed: ClassVar[bool] = True

    @classmethod
    def check_config(cls, values: dict[str, Any], invalid: set[str], rules: ConfigRules) -> dict[str, Any] | None:
        ok = True
        kw: dict[str, Any] = {}
        unit = values.get("Unit")
        if unit is not None and unit != "":
            if unit.lower() not in cls.units:
                rules.error("Unit", "invalid-unit", f"Unit {preview(unit)!r} is not one of {', '.join(cls.units)}{suggest(unit, cls.units)}")
                ok = False
            elif unit != unit.lower():
                rules.warning("Unit", "unit-case", f"Unit {unit!r} is read as {unit.lower()!r}; write it in lowercase")
            kw["unit"] = unit.lower()
        else:
            kw["unit"] = None
        ok = cls._granularity_rules(values, rules, kw) and ok
        epoch = values.get("Epoch")
        if epoch is not None:
            text, ns = epoch
            if ns == GO_ZERO_TIME_NS:
                rules.warning("Epoch", "zero-epoch", "Epoch 0001-01-01T00:00:00Z is Go's zero time: the ingester treats it as not set (1970-01-01)")
                ns = 0
                kw["epoch_zero"] = True
            elif not cls._epoch_in_range(ns, kw):
                rules.error("Epoch", "epoch-out-of-range", f"Epoch {preview(text)!r} is outside the range FeatureBase timestamps take at this granularity")
                ok = False
            kw["epoch"], kw["epoch_ns"] = text, ns
        layout = values.get("Layout")
        if layout:  # "" is the default layout, as in the ingester
            for severity, message, pos in golayout.check_layout(layout):
                where_msg = f" (at character {pos + 1})" if pos is not None else ""  # (counted from 1, as every place a message names)
                report = rules.error if severity == "error" else rules.warning if severity == "warning" else rules.note
                report("Layout", "layout", f"Layout {preview(layout)!r}: {message}{where_msg}")
                if severity == "error":
                    ok = False
            kw["layout"] = layout
        if cls.numeric_allowed and counts_numbers(kw["unit"], "epoch" in kw, kw.get("epoch_zero", False)):
            if layout:
                rules.warning("Layout", "layout-ignored", "Layout is not used when Unit or Epoch is set: values must then be numbers (or numeric strings)")
            if kw["unit"] is None:
                rules.note("Epoch", "default-unit", "no Unit: numbers are counted in seconds from Epoch")
        ok = cls._unit_rules(values, rules, kw) and ok
        return kw if ok else None

    @classmethod
    def _granularity_rules(cls, values: dict[str, Any], rules: ConfigRules, kw: dict[str, Any]) -> bool:
        """The rules on how the type stores times (fills ``kw``); False on an error."""
        return True

    @classmethod
    def _unit_rules(cls, values: dict[str, Any], rules: ConfigRules, kw: dict[str, Any]) -> bool:
        """The rules on the unit a count is made in, after the shared ones (fills ``kw``); False on an error."""
        return True

    @classmethod
    def _epoch_in_range(cls, ns: int, kw: dict[str, Any]) -> bool:
        return True

    def json_shape(self, tier: Tier) -> Any:
        if self.numeric_allowed and self.config.numeric_time:
            return int if tier.exact_types else _NUMBER
        # "" means no value (or an error) for these types: the exact decoder leaves it out
        return NONEMPTY_STR if tier.exact_types else str


#: The text the ingester reads as Go's zero time whatever the layout (``parseTimeWithLayout``
#: in idk/interfaces.go returns ``time.Time{}`` for it before calling ``time.Parse``).
ZERO_DATE_TEXT = "0000-00-00"


def _layout_parser(what: str, layout_text: str, zoned: bool = False) -> Callable[[Any], Any]:
    """A string in a Go layout -> ns since 1970, or the ConversionError saying why not
    (``zoned``: ns and the UTC offset, as :meth:`mapper.golayout.GoLayout.parse_zoned` gives them)."""
    layout = golayout.compile_layout(layout_text)
    read = layout.parse_zoned if zoned else layout.parse
    zero = (GO_ZERO_TIME_NS, 0) if zoned else GO_ZERO_TIME_NS

    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            raise expected(f"`{what}` (a string in layout {layout_text})", value)
        if value == ZERO_DATE_TEXT:  # every type parses through parseTimeWithLayout, so each sees Go's zero time
            return zero
        try:
            return read(value)
        except golayout.LayoutError as exc:
            raise ConversionError("invalid_value", f"Expected `{what}` in layout {layout_text}, got `str` {show(value)}: {exc.message}") from None

    return parse


class TimestampType(_Time):
    type = "timestamp"
    config_keys = {**_Time.config_keys, "Granularity": "str"}

    def __init__(self, column: Any):
        super().__init__(column)
        cfg = self.config
        gran = self.unit = cfg.granularity or "s"
        self.digits = {"s": 0, "ms": 3, "us": 6, "ns": 9}[gran]
        gran_ns = UNIT_NS[gran]
        lo, hi = ts_range(gran)
        self._range_ns = lo, hi
        self._range_v = -(-lo // gran_ns), hi // gran_ns  # the range in granularity units
        self._epoch_v = cfg.epoch_ns // gran_ns  # Go: TimestampToVal(granularity, epoch)
        if cfg.numeric_time:
            self._unit = unit = cfg.unit or "s"
            self._ratio = float(UNIT_NS[unit]) / float(gran_ns)  # Go: float64(unitNanos) / float64(granNanos)
        else:
            self._parse = _layout_parser("timestamp", cfg.layout or "2006-01-02T15:04:05.999999999Z07:00")

    @classmethod
    def _granularity_rules(cls, values: dict[str, Any], rules: ConfigRules, kw: dict[str, Any]) -> bool:
        gran = values.get("Granularity") or "s"
        kw["granularity"] = gran
        if gran not in GRANULARITIES:
            hint = f" (write {gran.lower()!r} in lowercase)" if gran.lower() in GRANULARITIES else ""
            rules.error("Granularity", "invalid-granularity", f"Granularity {preview(gran)!r} is not one of {', '.join(GRANULARITIES)}{hint}")
            return False
        return True

    @classmethod
    def _epoch_in_range(cls, ns: int, kw: dict[str, Any]) -> bool:
        lo, hi = ts_range(kw.get("granularity") or "s")
        return lo <= ns <= hi

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        if self.config.numeric_time:
            return self._convert_number(value, notes)
        return self._convert_text(value, notes)

    def _convert_number(self, value: Any, notes: list[Lossy] | None) -> int:
        unit, gran = self._unit, self.unit or "s"
        before = len(notes) if notes is not None else 0
        v = to_int64(value, notes, f"`timestamp` (a number of {unit})")
        dur = int(float(v) * self._ratio) if abs(float(v) * self._ratio) < 9.223372036854776e18 else None
        if dur is None or (dur >= 0 and v < 0) or (dur < 0 and v > 0):
            raise ConversionError.showing("out_of_range", "timestamp ", value, f" {unit} is out of range at granularity {gran}")
        stored = self._epoch_v + dur
        lo_v, hi_v = self._range_v
        if not lo_v <= stored <= hi_v:
            outside = _RANGE_TEXT if gran != "ns" else f"{_NANO_RANGE_TEXT} (granularity ns)"
            raise ConversionError.showing("out_of_range", "timestamp ", value, f" {unit} is outside {outside}")
        if notes is not None:
            gran_ns, unit_ns = UNIT_NS[gran], UNIT_NS[unit]
            exact = abs(v) * unit_ns // gran_ns  # the count Go's int64() would give of the exact product
            exact = -exact if v < 0 else exact
            if dur != exact:
                if not any(n.kind == "int_precision" for n in notes[before:]):  # (a JSON number beyond 2^53 is int_precision already)
                    notes.append(
                        Lossy(
                            "int_precision",
                            value,
                            golayout.format_rfc3339(stored * gran_ns, self.digits),
                            f"the ingester scales a count of {unit} to {gran} through a float64, int64(float64(v) * {unit}/{gran}), which keeps "
                            f"53 bits: not {golayout.format_rfc3339((self._epoch_v + exact) * gran_ns, self.digits)}; "
                            "send an RFC 3339 string (no Unit or Epoch) to store it exactly",
                        )
                    )
            elif self.config.epoch_ns + v * unit_ns != stored * gran_ns:
                notes.append(Lossy("timestamp_truncated", value, golayout.format_rfc3339(stored * gran_ns, self.digits), f"granularity is {gran}"))
        return stored

    def _convert_text(self, value: Any, notes: list[Lossy] | None) -> int:
        gran = self.unit or "s"
        if isinstance(value, str) and value == "":
            raise ConversionError("out_of_range", "an empty string is read as Go's zero time 0001-01-01T00:00:00Z, which is out of range")
        ns = self._parse(value)
        lo, hi = self._range_ns
        if not lo <= ns <= hi:
            raise ConversionError(
                "out_of_range",
                f"timestamp {show(value)} is outside the range FeatureBase takes"
                + (" at granularity ns (1833..2106)" if gran == "ns" else "")
                # "0000-00-00" does not look like year 1: say how it got there
                + (": the ingester reads it as Go's zero time 0001-01-01T00:00:00Z" if ns == GO_ZERO_TIME_NS else ""),
            )
        gran_ns = UNIT_NS[gran]
        stored = ns // gran_ns
        if notes is not None and ns % gran_ns:
            notes.append(Lossy("timestamp_truncated", value, golayout.format_rfc3339(stored * gran_ns, self.digits), f"granularity is {gran}"))
        return stored

    def vector(self, tier: Tier, identity: bool = False) -> Vector | None:
        if not self.config.numeric_time:
            return None
        return _timestamp_vector(self, tier.exact_types)

    def quick(self, tier: Tier, identity: bool = False) -> Quick | None:
        if not self._counted_as_stored(tier):
            return super().quick(tier, identity)  # (converted one by one: a layout, another unit or epoch)
        # counted in the column's own unit from 1970 (_timestamp_vector's "same"): stored as sent when within range
        lo_v, hi_v = self._range_v
        return quick_range(max(lo_v, -TWO53), min(hi_v, TWO53))

    def quick_stored(self, tier: Tier) -> Callable[[list[Any]], list[Any]] | None:
        return stored_as_sent if self._counted_as_stored(tier) else None

    def _counted_as_stored(self, tier: Tier) -> bool:
        """Whether the tier's values are numbers counted as the column stores them (its unit, from 1970)."""
        cfg = self.config
        return tier.exact_types and cfg.numeric_time and (cfg.unit or "s") == (self.unit or "s") and not cfg.epoch_ns

    def render(self) -> Callable[[Any], Any]:
        gran_ns = UNIT_NS[self.unit or "s"]
        digits = self.digits
        return lambda v: golayout.format_rfc3339(v * gran_ns, digits)

    def render_all(self, values: np.ndarray) -> list[Any]:
        unit = self.unit or "s"
        return rfc3339_all(values, unit, self.render())

    def arrow_type(self, pa: Any) -> Any:
        return pa.timestamp(self.unit or "s", tz="UTC")

    def stored_range(self) -> tuple[int, int] | None:
        return narrower(*self._range_v)


#: What a recordTime that gives no time does where there are time views: idk/ingest.go reuses
#: one Row for every record and only ``rec.Time.Set`` writes its time (batch.Add copies the
#: Row and resets its Values and Clears, not its Time), so the record keeps the last time set.
KEEPS_PREVIOUS_TIME = (
    "the ingester sets no time of its own for the record, so it files it under the time views of the record it took before it "
    "(its row's time is never reset; that record may be another request's)"
)


class RecordTimeType(_Time):
    type = "recordTime"
    on_null = "error"

    def __init__(self, column: Any):
        super().__init__(column)
        self.unit, self.digits = "ns", 9
        cfg = self.config
        #: how much of a time's RFC 3339 text names its finest time view (13: to the hour), 0: no quantum column
        self._view_chars = 0
        #: the UTC offset (s) of the location the ingester's times take: Epoch's (Go keeps a parsed
        #: offset as a fixed zone), 0 for the default Epoch (Local: UTC here) and for strings without one
        self._epoch_offset = 0
        if cfg.numeric_time:
            self._unit = cfg.unit or "s"
            self.on_missing = "error"  # the ingester reads a number from Epoch: a missing one fails
            if cfg.epoch and not cfg.epoch_zero:
                self._epoch_offset = golayout.compile_layout(golayout.RFC3339).parse_zoned(cfg.epoch)[1]
        else:
            layout = cfg.layout or "2006-01-02T15:04:05Z07:00"
            self._parse = _layout_parser("recordTime", layout)
            #: the time and its offset in one reading (None: the layout has no zone, the offset is 0)
            self._parse_zoned = _layout_parser("recordTime", layout, zoned=True) if golayout.compile_layout(layout).has_zone else None

    def see_columns(self, columns: Sequence[Column]) -> None:
        quanta = "".join(c.config.quantum or "" for c in columns)
        self._view_chars = next((n for letter, n in (("H", 13), ("D", 10), ("M", 7), ("Y", 4)) if letter in quanta), 0)

    def missing_error(self) -> str:
        return "missing: with Unit or Epoch set, the ingester cannot convert a missing recordTime (it reads a number), so this record can never be stored"

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        if self.config.numeric_time:
            unit = self._unit
            unit_ns = UNIT_NS[unit]
            v = to_int64(value, notes, f"`recordTime` (a number of {unit})")
            # Unit.DurationFromValue: math.MinInt64/scale and math.MaxInt64/scale, Go's division truncating toward zero
            if not -(-INT64_MIN // unit_ns) <= v <= INT64_MAX // unit_ns:
                raise ConversionError("out_of_range", f"{v}{unit} is outside representable time scales")
            ns = self.config.epoch_ns + v * unit_ns
            offset = self._epoch_offset
        else:
            if isinstance(value, str) and value == "":
                if notes is not None and self._view_chars:
                    notes.append(Lossy("empty_string", value, None, KEEPS_PREVIOUS_TIME))
                    return NO_VALUE
                return empty(value, notes)
            if notes is not None and self._view_chars and self._parse_zoned is not None:
                ns, offset = self._parse_zoned(value)
            else:
                ns, offset = self._parse(value), 0
            if ns == GO_ZERO_TIME_NS:  # time.Time.IsZero(): the ingester sets no time
                if notes is not None:
                    why = KEEPS_PREVIOUS_TIME if self._view_chars else "the ingester sets no time for the record"
                    notes.append(Lossy("zero_time", value, None, f"read as Go's zero time 0001-01-01T00:00:00Z: {why}"))
                return NO_VALUE
        if not INT64_MIN <= ns <= INT64_MAX:
            raise ConversionError.showing("out_of_range", "recordTime ", value, " is outside 1677..2262, the range mapper stores recordTime in (ns)")
        if offset and notes is not None and self._view_chars:
            # batch.QuantizedTime.Set files the record under t.Format("2006010215"): the wall clock
            # of the time's own location, not UTC
            n = self._view_chars
            utc, wall = golayout.format_rfc3339(ns, 0)[:n], golayout.format_rfc3339(ns + offset * 10**9, 0)[:n]
            if wall != utc:
                notes.append(
                    Lossy(
                        "local_time",
                        value,
                        wall,
                        f"the ingester files the record's time views by the clock of its UTC offset ({_offset_text(offset)}), not by UTC ({utc})",
                    )
                )
        return ns

    def render(self) -> Callable[[Any], Any]:
        return lambda v: golayout.format_rfc3339(v, _digits_needed(v))

    def arrow_type(self, pa: Any) -> Any:
        return pa.timestamp("ns", tz="UTC")


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    h, rest = divmod(abs(seconds), 3600)
    m, sec = divmod(rest, 60)
    return f"{sign}{h:02d}:{m:02d}" + (f":{sec:02d}" if sec else "")


def _digits_needed(ns: int) -> int:
    frac = ns % 10**9
    if frac == 0:
        return 0
    if frac % 10**6 == 0:
        return 3
    if frac % 10**3 == 0:
        return 6
    return 9


class DateIntType(_Time):
    type = "dateInt"
    on_null = "error"
    config_keys = {**_Time.config_keys, "CustomUnit": "str"}
    units = TIME_UNITS + ("c",)
    numeric_allowed = False

    def __init__(self, column: Any):
        super().__init__(column)
        cfg = self.config
        self._parse = _layout_parser("dateInt", cfg.layout or "2006-01-02")
        self.unit = unit = cfg.unit or "s"
        self._unit_ns = cfg.custom_unit_ns if unit == "c" and cfg.custom_unit_ns else UNIT_NS.get(unit, 10**9)

    def meaning(self) -> dict[str, Any]:
        """Also the CustomUnit (in ns, of Unit ``c``) and the Epoch its counts start from (the
        instant, as RFC 3339: an Epoch written otherwise is the same): its field is a plain
        int64, which says none of it."""
        said = super().meaning()
        cfg = self.config
        if self.unit == "c":
            said["custom_unit_ns"] = cfg.custom_unit_ns
        said["epoch"] = golayout.format_rfc3339(cfg.epoch_ns, 0 if cfg.epoch_ns % 10**9 == 0 else 9)
        return said

    def stored_range(self) -> tuple[int, int] | None:
        unit_ns = abs(self._unit_ns)
        if unit_ns <= 1:
            return None
        to_max, to_min = INT64_MAX // unit_ns, -INT64_MIN // unit_ns  # (Go's division truncates toward zero)
        return narrower(*((-to_min, to_max) if self._unit_ns > 0 else (-to_max, to_min)))

    @classmethod
    def _unit_rules(cls, values: dict[str, Any], rules: ConfigRules, kw: dict[str, Any]) -> bool:
        if kw["unit"] == "c":
            cu = values.get("CustomUnit")
            if not cu:
                rules.error("Unit", "custom-unit", 'Unit c (custom) needs CustomUnit, a duration such as "168h"')
                return False
            kw["custom_unit"] = cu
            try:
                cu_ns = golayout.go_parse_duration(cu)
            except ValueError as exc:
                rules.error("CustomUnit", "custom-unit", f"CustomUnit {preview(cu)!r} is not a duration ({exc})")
                return False
            kw["custom_unit_ns"] = cu_ns
            if cu_ns == 0:  # idk divides by it: the ingester panics (integer divide by zero)
                rules.error("CustomUnit", "custom-unit", f"CustomUnit {cu!r} must not be zero: the ingester would divide by it")
                return False
            if cu_ns < 0:  # idk takes it: int64(dur / unit) counts backwards from Epoch
                rules.warning("CustomUnit", "custom-unit-negative", f"CustomUnit {cu!r} is negative: the ingester stores every count negated")
        elif values.get("CustomUnit"):
            rules.warning("CustomUnit", "custom-unit-ignored", 'CustomUnit is only used with Unit "c"')
        return True

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        ns = self._parse(value)
        dur = ns - self.config.epoch_ns
        clamped = min(max(dur, INT64_MIN), INT64_MAX)  # Go's Time.Sub saturates
        unit_ns = self._unit_ns
        q = abs(clamped) // abs(unit_ns)  # Go's division truncates toward zero
        stored = -q if (clamped < 0) != (unit_ns < 0) else q
        if stored > INT64_MAX:  # MinInt64 / -1 wraps to MinInt64 in Go
            stored = INT64_MIN
        if notes is not None:
            if clamped != dur:
                notes.append(Lossy("clamped", value, stored, "Go's time arithmetic saturates about 292 years from Epoch"))
            elif clamped < 0 < unit_ns and clamped % unit_ns:  # before Epoch by a part of a Unit: cut toward zero
                # (a negative CustomUnit negates every count, which check warns about: no direction to speak of)
                notes.append(Lossy("toward_epoch", value, stored, self._toward_epoch(stored)))
        return stored

    def _toward_epoch(self, stored: int) -> str:
        """Why a time before Epoch (a part of a Unit past a whole count) names the Unit after its own."""
        cfg = self.config
        unit = cfg.custom_unit if self.unit == "c" else self.unit
        begins = cfg.epoch_ns + stored * self._unit_ns
        return (
            f"Go's integer division truncates toward zero: count {stored} names the Unit ({unit}) that starts at "
            f"{golayout.format_rfc3339(begins, _digits_needed(begins))}, not the one that holds the time sent (count {stored - 1})"
        )


# ---------------------------------------------------------------------------------------
# The vector form of numeric timestamps


def _timestamp_vector(ts: TimestampType, exact: bool) -> Vector | None:
    cfg = ts.config
    gran_ns = UNIT_NS[ts.unit or "s"]
    unit_ns = UNIT_NS[cfg.unit or "s"]
    if cfg.epoch_ns % gran_ns:
        return None
    epoch_v = cfg.epoch_ns // gran_ns
    ratio = float(unit_ns) / float(gran_ns)
    lo_v, hi_v = ts._range_v
    same = unit_ns == gran_ns and epoch_v == 0

    ints = int_lax(INT64_MIN, INT64_MAX)

    def vec(lst: list[Any], out: np.ndarray) -> Any:
        pre_ok = None
        if exact:
            try:
                v = np.array(lst, dtype=np.int64)
            except (OverflowError, ValueError, TypeError):
                return None
        else:
            v = np.zeros(len(lst), dtype=np.int64)
            r = ints(lst, v)
            if r is None:
                return None
            pre_ok, pre_lossy = r
            for _kind, mask in pre_lossy:  # truncated floats: the scalar path words both notes
                pre_ok = ~mask if pre_ok is None else pre_ok & ~mask
        if pre_ok is None and same and v.min() >= lo_v and v.max() <= hi_v and np.abs(v).max() <= TWO53:
            out[:] = v  # counted in the column's own unit from 1970: stored as sent
            return None, []
        small = np.abs(v) <= TWO53
        dur_f = v.astype(np.float64) * ratio
        fits = np.abs(dur_f) < 9.0e18
        dur = np.where(fits, dur_f, 0.0).astype(np.int64)
        stored = dur + epoch_v
        good = small & fits & ~(((dur >= 0) & (v < 0)) | ((dur < 0) & (v > 0))) & (stored >= lo_v) & (stored <= hi_v)
        if pre_ok is not None:
            good &= pre_ok
        out[:] = stored
        # what Go's int64() would give of the exact product: where dur is not it, the float64
        # moved the count (int_precision); else a count finer than the granularity was cut
        if unit_ns >= gran_ns:
            rounded = good & (dur != v * (unit_ns // gran_ns))
            truncated = None
        else:
            k = gran_ns // unit_ns
            rounded = good & (dur != np.sign(v) * (np.abs(v) // k))
            truncated = good & ~rounded & (v % k != 0)
        lossy = [(kind, mask) for kind, mask in (("timestamp_truncated", truncated), ("int_precision", rounded)) if mask is not None and mask.any()]
        return (None if good.all() else good), lossy

    return vec


#: Nanoseconds from 1970 to 0001-01-01 and to 10000-01-01: numpy prints years 1..9999 as Go does.
_YEAR_1_NS, _YEAR_10000_NS = -62_135_596_800 * 10**9, 253_402_300_800 * 10**9


def rfc3339_all(values: np.ndarray, unit: str, render: Callable[[Any], Any]) -> list[Any]:
    """Times in ``unit`` since 1970 as RFC 3339 UTC text with the unit's digits, at once
    (numpy's ``datetime_as_string``); a column with a year outside 1..9999 goes value by value."""
    if not len(values):
        return []
    per = UNIT_NS[unit]
    lo, hi = int(values.min()), int(values.max())
    if lo * per < _YEAR_1_NS or hi * per >= _YEAR_10000_NS or not hasattr(np, "strings"):
        return [render(v) for v in values.tolist()]
    text = np.datetime_as_string(values.astype(f"datetime64[{unit}]"), unit=unit)  # type: ignore[call-overload]
    return np.strings.add(text, "Z").tolist()  # type: ignore[no-any-return]
