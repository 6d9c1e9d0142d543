"""Text columns: ``string`` (one keyed value, or a mutex) and ``strings`` (a set of keys).

``string``: a string is kept as sent, ``""`` stores nothing, anything else is stored as
Go's ``%v`` prints it (``1234567`` -> ``"1.234567e+06"``: ``string_from_value``).
``strings``: an array of strings (a non-string element fails, ``[]`` is an empty set),
or one string split on ``,`` after one pair of brackets is stripped (``comma_split``);
empty elements are dropped, duplicates stored once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Callable, Union

import msgspec
import numpy as np

from ..errors import show
from .base import (
    BOOL,
    FLOAT,
    INT,
    SET_KEYS,
    STR,
    ColumnType,
    ConfigRules,
    Lossy,
    Quick,
    SetType,
    Vector,
    arrow_strings,
    empty,
    expected,
    go_number_texts,
    go_text,
    is_strings,
    kinds_of,
    quick_always,
    same_value,
    set_field_rules,
    split_set_text,
    stored_as_sent,
)

if TYPE_CHECKING:
    from ..tiers import Tier

#: A string the exact tier takes: "" means no value (or an error) for text-like types.
NONEMPTY_STR = Annotated[str, msgspec.Meta(min_length=1)]


class StringType(ColumnType):
    type = "string"
    config_keys = {"Mutex": "bool", **SET_KEYS}
    storage = "str"
    is_text = True

    def __init__(self, column: Any):
        super().__init__(column)
        # null clears a mutex; into a set (a non-mutex string) it writes nothing
        self.on_null = "clear" if self.config.mutex else "keep"

    @classmethod
    def check_config(cls, values: dict[str, Any], invalid: set[str], rules: ConfigRules) -> dict[str, Any] | None:
        return set_field_rules(values, rules)

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, str):
            if value == "":
                return empty(value, notes)
            return value
        text = go_text(value)
        if notes is not None:
            notes.append(Lossy("string_from_value", value, text, f"send the string {show(text)} if that is what you mean"))
        return text

    def json_shape(self, tier: Tier) -> Any:
        if tier.values_as_text:
            return Union[str, int, float, bool]  # the endpoint prints numbers and bools as text
        return NONEMPTY_STR if tier.exact_types else str

    def vector(self, tier: Tier, identity: bool = False) -> Vector | None:
        if tier.exact_types:
            return _string_exact
        return _string_loose if tier.values_as_text else _string_lax

    def quick(self, tier: Tier, identity: bool = False) -> Quick | None:
        # the exact decoder lets only non-empty strings through (and a decoded JSON
        # string holds no unpaired surrogate: msgspec refuses the escape)
        return quick_always if tier.exact_types else None

    def quick_stored(self, tier: Tier) -> Callable[[list[Any]], list[Any]] | None:
        return stored_as_sent if tier.exact_types else None

    def render(self) -> Callable[[Any], Any]:
        return same_value

    def to_arrow(self, values: Any, valid: np.ndarray, offsets: np.ndarray | None, pa: Any) -> Any:
        if is_strings(values):
            return arrow_strings(values, valid, pa)
        return pa.array(values.tolist(), type=self.arrow_type(pa), mask=~valid)


class StringsType(SetType):
    type = "strings"
    config_keys = dict(SET_KEYS)
    storage = "strset"

    @classmethod
    def check_config(cls, values: dict[str, Any], invalid: set[str], rules: ConfigRules) -> dict[str, Any] | None:
        return set_field_rules(values, rules)

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        if isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise expected("`strings` (an array of strings)", item).at_index(i)
            return list(dict.fromkeys(v for v in value if v != ""))
        if isinstance(value, str):
            if value == "":
                return empty(value, notes)
            parts = list(dict.fromkeys(p for p in split_set_text(value) if p != ""))
            if notes is not None and ("," in value or (value.startswith("[") and value.endswith("]"))):
                notes.append(Lossy("comma_split", value, parts, "send an array of strings to control the elements"))
            return parts
        raise expected("`strings` (an array of strings or a comma-separated string)", value)

    def json_shape(self, tier: Tier) -> Any:
        return list[str] if tier.exact_types else Union[list[str], str]

    def quick(self, tier: Tier, identity: bool = False) -> Quick | None:
        # an array of strings is stored as its distinct non-empty strings, nothing to warn about
        return quick_always if tier.exact_types else None


# ---------------------------------------------------------------------------------------
# Vector forms of ``string``


def _string_exact(lst: list[str], out: np.ndarray) -> Any:
    out[:] = lst  # the exact decoder only lets non-empty strings through
    return None, []


def _string_lax(lst: list[Any], out: np.ndarray) -> Any:
    # The decoders only let str (or None / UNSET on the lenient path) through here, and
    # "", None and UNSET are the only falsy ones: all() finds them in one C-level pass.
    out[:] = lst
    if all(lst):
        return None, []
    ok = np.fromiter(map(bool, lst), dtype=bool, count=len(lst))
    return ok, []


def _string_loose(lst: list[Any], out: np.ndarray) -> Any:
    # Numbers and bools too: stored as Go's %v prints them, each with a string_from_value
    # warning (worded when read, an error under strict: see FastPath.lossy). What is neither
    # ("", None, UNSET, a number %v does not print) goes to the scalar converter.
    out[:] = lst
    kinds = kinds_of(lst)
    ok = (kinds == STR) & np.fromiter(map(bool, lst), dtype=bool, count=len(lst))
    if ok.all():
        return None, []
    numbers = np.flatnonzero((kinds == INT) | (kinds == FLOAT) | (kinds == BOOL))
    if not len(numbers):
        return ok, []
    rows = numbers.tolist()
    texts = go_number_texts([lst[i] for i in rows])
    if None in texts:  # (an int past float64's range, a dict's NaN: refused by the converter)
        rows = [i for i, t in zip(rows, texts) if t is not None]
        texts = [t for t in texts if t is not None]
    out[rows] = np.fromiter(texts, dtype=object, count=len(texts))
    ok[rows] = True
    made = np.zeros(len(lst), dtype=bool)
    made[rows] = True
    return (None if ok.all() else ok), [("string_from_value", made)]
