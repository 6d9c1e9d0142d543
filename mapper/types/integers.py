"""Integer columns: ``id`` (unsigned 64-bit), ``int`` (signed, Min/Max) and ``signedIntBoolKey``.

Go's ``toUint64`` / ``toInt64`` on the float64 the ingester decodes numbers into:
floats truncate toward zero (``float_truncated``), integers beyond 2^53 change on the
way (``int_precision``), strings are trimmed and parsed as base-10 digits (any number
of leading zeros), ``""`` stores nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Union

import numpy as np

from .base import (
    FLOAT,
    INT64_MAX,
    INT64_MIN,
    ROW_LIMIT,
    SET_KEYS,
    STR,
    TWO53,
    UINT64_MAX,
    ColumnType,
    ConfigRules,
    ConversionError,
    Lossy,
    Quick,
    Vector,
    as_array,
    by_type,
    digit_strings,
    empty,
    has_strings,
    narrower,
    quick_range,
    row_note,
    set_field_rules,
    stored_as_sent,
    to_int64,
    to_uint64,
)

if TYPE_CHECKING:
    from ..tiers import Tier

_NUMBER = Union[int, float, str]


class _Integer(ColumnType):
    """Shared by the three: the JSON shapes and the vector forms over int64/uint64 storage."""

    signed = True
    lo: int = INT64_MIN
    hi: int = INT64_MAX

    def json_shape(self, tier: Tier) -> Any:
        return int if tier.exact_types else _NUMBER

    def vouched_hi(self, identity: bool) -> int:
        """The greatest value the vector and quick forms store without the scalar converter's word."""
        return self.hi

    def vouched_lo(self, identity: bool) -> int:
        """The least value the vector and quick forms store without the scalar converter's word."""
        return max(self.lo, 0) if identity else self.lo

    def vector(self, tier: Tier, identity: bool = False) -> Vector | None:
        lo, hi = self.vouched_lo(identity), self.vouched_hi(identity)
        return int_exact(lo, hi) if tier.exact_types else int_lax(lo, hi, signed=self.signed)

    def quick(self, tier: Tier, identity: bool = False) -> Quick | None:
        if not tier.exact_types:
            return None
        # as int_exact vouches: ints within range and within +-2**53 (exact as float64)
        return quick_range(max(self.vouched_lo(identity), -TWO53), min(self.vouched_hi(identity), TWO53))

    def quick_stored(self, tier: Tier) -> Callable[[list[Any]], list[Any]] | None:
        return stored_as_sent if tier.exact_types else None


class IdType(_Integer):
    type = "id"
    config_keys = {"Mutex": "bool", **SET_KEYS}
    storage = "uint64"
    signed = False
    lo, hi = 0, UINT64_MAX

    def __init__(self, column: Any):
        super().__init__(column)
        # null clears a mutex; into a set (a non-mutex id) it writes nothing
        self.on_null = "clear" if self.config.mutex else "keep"

    @classmethod
    def check_config(cls, values: dict[str, Any], invalid: set[str], rules: ConfigRules) -> dict[str, Any] | None:
        return set_field_rules(values, rules)

    def vouched_hi(self, identity: bool) -> int:
        return self.hi if identity else ROW_LIMIT - 1  # (a record's _id is a column, which does not wrap)

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, str) and value == "":
            return empty(value, notes)
        stored = to_uint64(value, notes)
        if stored >= ROW_LIMIT and notes is not None:
            notes.append(row_note(value, [stored], self.config.mutex))
        return stored


class IntType(_Integer):
    type = "int"
    config_keys = {"Min": "int64", "Max": "int64", "ForeignIndex": "str"}

    def __init__(self, column: Any):
        super().__init__(column)
        cfg = self.config
        self.lo = cfg.min if cfg.min is not None else INT64_MIN
        self.hi = cfg.max if cfg.max is not None else INT64_MAX
        self._bounds = f"[{self.lo}, {self.hi}]"

    def stored_range(self) -> tuple[int, int] | None:
        return narrower(self.lo, self.hi)

    @classmethod
    def check_config(cls, values: dict[str, Any], invalid: set[str], rules: ConfigRules) -> dict[str, Any] | None:
        ok = True
        lo, hi = values.get("Min"), values.get("Max")
        if hi is not None and lo is None and "Min" not in invalid:
            rules.error("Max", "max-without-min", "cannot create an integer field with only an upper bound: give Min too")
            ok = False
        if lo is not None and hi is not None and lo > hi:
            rules.error("Min", "min-above-max", f"Min ({lo}) is greater than Max ({hi})")
            ok = False
        kw: dict[str, Any] = {"min": lo, "max": hi}
        if values.get("ForeignIndex"):
            kw["foreign_index"] = values["ForeignIndex"]
            rules.note(
                "ForeignIndex",
                "foreign-index",
                "with ForeignIndex, the ingester takes string values as keys of the foreign table; mapper only maps numbers and numeric strings here",
            )
        return kw if ok else None

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, str) and value == "":
            return empty(value, notes)
        stored = to_int64(value, notes)
        if not self.lo <= stored <= self.hi:
            raise ConversionError("out_of_range", f"value {stored} is out of range for `int` {self._bounds}")
        return stored


class SignedIntBoolKeyType(_Integer):
    type = "signedIntBoolKey"
    on_null = "error"

    # v is row abs(v) of a set field (and of its exists field): set for v > 0, cleared
    # otherwise (idk/ingest.go); a row of 2^44 or more wraps there as an id's does
    def vouched_hi(self, identity: bool) -> int:
        return self.hi if identity else ROW_LIMIT - 1  # (a record's _id is a column, which does not wrap)

    def vouched_lo(self, identity: bool) -> int:
        return 0 if identity else 1 - ROW_LIMIT

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, str) and value == "":
            return empty(value, notes)
        stored = to_int64(value, notes, "`signedIntBoolKey` (an integer)")
        if notes is not None and not -ROW_LIMIT < stored < ROW_LIMIT:
            row = abs(stored) % ROW_LIMIT
            notes.append(
                Lossy(
                    "row_wrapped",
                    value,
                    row,
                    "v is row abs(v) of a set field (set for v > 0, else cleared), and FeatureBase keeps row r at bit r*2^20+column"
                    f" of a 64-bit position, so a row of 2^44 (17592186044416) or more wraps to r mod 2^44: this {'sets' if stored > 0 else 'clears'} row {row}",
                )
            )
        return stored


# ---------------------------------------------------------------------------------------
# Vector forms


def int_exact(lo: int, hi: int) -> Vector:
    """For the exact tier's lists, which hold only Python ints."""
    # Ints within +-2**53 convert exactly through the endpoint's float64 decoding.
    lo53, hi53 = max(lo, -TWO53), min(hi, TWO53)

    def vec(lst: list[int], out: np.ndarray) -> Any:
        try:
            out[:] = lst
        except (OverflowError, ValueError, TypeError):
            return None
        if out.min() >= lo53 and out.max() <= hi53:
            return None, []
        return (out >= lo53) & (out <= hi53), []

    return vec


def int_lax(lo: int, hi: int, signed: bool = True) -> Callable[[list[Any], np.ndarray], Any]:
    """For lists that may also hold floats, numeric strings, None and UNSET."""
    lo53, hi53 = max(lo, -TWO53), min(hi, TWO53)
    # A float at +-2**53 may be an int above 2**53 rounded by numpy on the way in:
    # only floats strictly inside are vouched for (the scalar path words int_precision).
    flo, fhi = float(max(lo, -TWO53 + 1)), float(min(hi, TWO53 - 1))

    def vec(lst: list[Any], out: np.ndarray) -> Any:
        # numpy's type inference is the quickest test for "all numbers", but on a list
        # with strings it formats every number as text first: look before leaping.
        arr = None if has_strings(lst) else as_array(lst)
        if arr is not None and arr.dtype.kind == "i":
            ok = (arr >= lo53) & (arr <= hi53)
            out[:] = np.where(ok, arr, 0)
            return (None if ok.all() else ok), []
        if arr is not None and arr.dtype.kind == "f":  # ints and floats: the endpoint's float64 truncation
            t = np.trunc(arr)
            ok = (t >= flo) & (t <= fhi)
            out[:] = np.where(ok, t, 0)
            frac = ok & (t != arr)
            return (None if ok.all() else ok), ([("float_truncated", frac)] if frac.any() else [])
        # Mixed: numeric strings, nulls, missing values. Sort the values by type at C
        # speed and convert each kind at once; only the rest goes element by element.
        objs, types = by_type(lst)
        return _numbers_and_strings(objs, types, out, lo, hi, flo, fhi, signed)

    return vec


def _numbers_and_strings(objs: np.ndarray, types: np.ndarray, out: np.ndarray, lo: int, hi: int, flo: float, fhi: float, signed: bool) -> Any:
    """:func:`int_lax` of a mixed list (``types``: the values' kind codes): numbers and numeric
    strings at once, in two groups, with no mask built where all is vouched for (the lax seed's
    int columns: every chunk, 1,500 values each); the rest (null, missing, bool) and a number
    beyond float64 are left to the scalar converter.

    Ints go with the floats: through float64 they are exact strictly inside +-2**53, the
    range the floats are vouched for in. An int beyond it is redone by the scalar converter,
    as one at +-2**53 exactly is (stored the same, nothing to warn about)."""
    n = len(objs)
    texts = np.flatnonzero(types == STR)
    numbers = np.flatnonzero(types <= FLOAT)
    refused: list[np.ndarray] = []  # positions not vouched for
    if len(texts) + len(numbers) < n:
        refused.append(np.flatnonzero(types > STR))
    lossy: list[tuple[str, np.ndarray]] = []
    f = None
    if len(numbers):
        try:
            f = objs[numbers].astype(np.float64)
        except OverflowError:  # (a number beyond float64: words of its own)
            refused.append(numbers)
    if f is not None:
        t = np.trunc(f)
        good = (t >= flo) & (t <= fhi)
        frac = t != f
        if good.all():
            out[numbers] = t
        else:
            out[numbers] = np.where(good, t, 0)
            refused.append(numbers[~good])
            frac &= good
        if frac.any():
            truncated = np.zeros(n, dtype=bool)
            truncated[numbers[frac]] = True
            lossy.append(("float_truncated", truncated))
    if len(texts):
        values = digit_strings(objs[texts], signed)
        if values is None:
            refused.append(texts)
        else:
            good = (values >= lo) & (values <= hi)  # strings parse exactly: no 2**53 limit
            if good.all():
                out[texts] = values
            else:
                out[texts] = np.where(good, values, 0)
                refused.append(texts[~good])
    if not refused:
        return None, lossy
    ok = np.ones(n, dtype=bool)
    for at in refused:
        ok[at] = False
    return ok, lossy
