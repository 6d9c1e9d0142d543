"""``ids`` columns: a set of unsigned 64-bit ids.

An array of ids (each element converted as an ``id``; ``[]`` stores nothing), or one
string of ids split on ``,`` after one pair of brackets is stripped, each element
trimmed (``comma_split``); duplicates stored once. A lone number fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

from ..errors import show
from .base import (
    NO_VALUE,
    ROW_LIMIT,
    SET_KEYS,
    UINT64_MAX,
    UINT_RE,
    ConfigRules,
    ConversionError,
    Lossy,
    Quick,
    SetType,
    empty,
    expected,
    go_trim,
    integer_text,
    row_note,
    set_field_rules,
    split_set_text,
    to_uint64,
)

if TYPE_CHECKING:
    from ..tiers import Tier


class IdsType(SetType):
    type = "ids"
    config_keys = dict(SET_KEYS)
    storage = "uint64set"

    @classmethod
    def check_config(cls, values: dict[str, Any], invalid: set[str], rules: ConfigRules) -> dict[str, Any] | None:
        return set_field_rules(values, rules)

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, list):
            if not value:
                return NO_VALUE
            out = []
            for i, item in enumerate(value):
                try:
                    out.append(to_uint64(item, notes))
                except ConversionError as exc:
                    raise exc.at_index(i) from None
            rows = list(dict.fromkeys(out))
            if notes is not None and max(rows) >= ROW_LIMIT:
                notes.append(row_note(value, rows, single=False))
            return rows
        if isinstance(value, str):
            if value == "":
                return empty(value, notes)
            out = []
            for part in split_set_text(value):
                n = integer_text(go_trim(part), UINT_RE, 0, UINT64_MAX, f"element {show(part)} does not fit an unsigned 64-bit id")
                if n is None:
                    raise ConversionError(
                        "invalid_value", f"Expected `ids` (unsigned integers), got `str` {show(value)}: element {show(part)} is not an unsigned integer"
                    )
                out.append(n)
            result = list(dict.fromkeys(out))
            if notes is not None and "," in value:
                notes.append(Lossy("comma_split", value, result, "send an array of integers"))
            if notes is not None and max(result) >= ROW_LIMIT:
                notes.append(row_note(value, result, single=False))
            return result
        raise expected("`ids` (an array of ids or a comma-separated string)", value)

    def json_shape(self, tier: Tier) -> Any:
        return list[int] if tier.exact_types else Union[list[int], str]

    def quick(self, tier: Tier, identity: bool = False) -> Quick | None:
        return _quick_ids if tier.exact_types else None


def _quick_ids(lst: list[list[int]]) -> int:
    # ids below 2**44 are exact as float64, as the endpoint decodes numbers, and rows FeatureBase
    # keeps as they are (larger ones wrap: row_wrapped) ([] stores nothing)
    if all([0 <= x < ROW_LIMIT for row in lst for x in row]):
        return len(lst)
    return next(i for i, row in enumerate(lst) if not all([0 <= x < ROW_LIMIT for x in row]))
