"""``bool`` columns.

Numbers are ``!= 0`` after float64 truncation; strings are trimmed and lower-cased:
``0 f false`` are false (a blank string too), ``1 t true`` are true, anything else
fails (the ingester's rule since October 2022). A table's BOOL column is cleared by
null, by ``""`` and by a missing value alike (the ingester writes a null for each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Union

import numpy as np

from ..errors import show
from .base import (
    BOOL,
    CLEARED,
    ColumnType,
    ConversionError,
    Lossy,
    Quick,
    Vector,
    as_array,
    as_go_float,
    by_type,
    expected,
    go_trim,
    quick_always,
    stored_as_sent,
)

if TYPE_CHECKING:
    from ..tiers import Tier


class BoolType(ColumnType):
    type = "bool"
    storage = "bool"
    on_missing = "clear"

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            if value == "":
                if notes is not None:
                    notes.append(Lossy("empty_string", value, None, "the ingester clears the stored bool"))
                return CLEARED
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

    def json_shape(self, tier: Tier) -> Any:
        return bool if tier.exact_types else Union[bool, int, float, str]

    def vector(self, tier: Tier, identity: bool = False) -> Vector | None:
        return _bool_exact if tier.exact_types else _bool_lax

    def quick(self, tier: Tier, identity: bool = False) -> Quick | None:
        return quick_always if tier.exact_types else None  # true and false only

    def quick_stored(self, tier: Tier) -> Callable[[list[Any]], list[Any]] | None:
        return stored_as_sent if tier.exact_types else None

    def render(self) -> Callable[[Any], Any]:
        return bool


def _bool_exact(lst: list[bool], out: np.ndarray) -> Any:
    out[:] = lst
    return None, []


def _bool_lax(lst: list[Any], out: np.ndarray) -> Any:
    arr = as_array(lst)
    if arr is not None and arr.dtype.kind == "b":
        out[:] = arr
        return None, []
    objs, types = by_type(lst)
    ok = types == BOOL
    if not ok.any():
        return None
    out[ok] = objs[ok].astype(bool)
    return ok, []
