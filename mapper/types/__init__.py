"""The column-type registry: one module per type family, one :class:`ColumnType` subclass per type.

    >>> from mapper.types import column_type
    >>> ct = column_type(sink.column("altitude"))   # an IntType bound to that column's config
    >>> ct.convert("12", notes)                    # what the endpoint stores: 12

Each type holds everything about itself (config rules, the JSON shape per decoder
tier, scalar and vector conversion, lossy-value detection, storage, canonical
rendering, the Arrow array); see :mod:`mapper.types.base`. To add a type: write its
class in a module here, add it to :data:`REGISTRY` below, and document it in the
README's type table.
"""

from __future__ import annotations

from ..model import Column
from .base import (
    CLEARED,
    DEEPEST_JSON,
    EXACT_DECIMALS,
    GO_SPACE,
    INT64_MAX,
    INT64_MIN,
    LOSSY_KINDS,
    NO_VALUE,
    QUANTUMS,
    ROW_LIMIT,
    STR,
    TWO51,
    TWO53,
    UINT64_MAX,
    UNIT_NS,
    ColumnType,
    ConfigRules,
    ConversionError,
    Lossy,
    OutOfRangeNumber,
    Quick,
    ShownFloat,
    arrow_fixed,
    arrow_strings,
    arrow_validity,
    as_go_float,
    as_json,
    beyond_float64_reason,
    by_type,
    digit_strings,
    expected,
    go_float_text,
    go_text,
    go_trim,
    located,
    quick_always,
    quick_inline,
    stored_as_sent,
    text_span,
    to_int64,
    to_uint64,
    type_set,
)
from .boolean import BoolType
from .decimal import DecimalType, MisreadDecimal, decimal_note, format_decimal, parse_decimal_text, parse_decimal_text_ex, scale_int
from .idset import IdsType
from .integers import IdType, IntType, SignedIntBoolKeyType
from .text import StringsType, StringType
from .times import GRANULARITIES, TIME_UNITS, TS_MAX_NANO_NS, TS_MAX_NS, TS_MIN_NANO_NS, TS_MIN_NS, DateIntType, RecordTimeType, TimestampType

#: Every column type, by the name the endpoint spells it with (case-sensitive), in the spec's order.
REGISTRY: dict[str, type[ColumnType]] = {
    cls.type: cls
    for cls in (
        IdType,
        IdsType,
        StringType,
        StringsType,
        BoolType,
        IntType,
        DecimalType,
        TimestampType,
        RecordTimeType,
        DateIntType,
        SignedIntBoolKeyType,
    )
}

#: The type names, in the spec's order.
TYPES: tuple[str, ...] = tuple(REGISTRY)


def column_type(column: Column) -> ColumnType:
    """The type behaviour of a (checked) column, bound to its config."""
    return REGISTRY[column.type](column)


__all__ = [
    "ROW_LIMIT",
    "GO_SPACE",
    "GRANULARITIES",
    "INT64_MAX",
    "INT64_MIN",
    "LOSSY_KINDS",
    "CLEARED",
    "NO_VALUE",
    "QUANTUMS",
    "STR",
    "REGISTRY",
    "TIME_UNITS",
    "TS_MAX_NANO_NS",
    "TS_MAX_NS",
    "TS_MIN_NANO_NS",
    "TS_MIN_NS",
    "TWO51",
    "TWO53",
    "TYPES",
    "UINT64_MAX",
    "UNIT_NS",
    "ColumnType",
    "ConfigRules",
    "ConversionError",
    "Lossy",
    "MisreadDecimal",
    "OutOfRangeNumber",
    "Quick",
    "ShownFloat",
    "quick_always",
    "quick_inline",
    "stored_as_sent",
    "text_span",
    "arrow_fixed",
    "arrow_strings",
    "arrow_validity",
    "as_go_float",
    "beyond_float64_reason",
    "by_type",
    "column_type",
    "decimal_note",
    "digit_strings",
    "expected",
    "format_decimal",
    "go_float_text",
    "EXACT_DECIMALS",
    "DEEPEST_JSON",
    "as_json",
    "located",
    "go_text",
    "go_trim",
    "parse_decimal_text",
    "parse_decimal_text_ex",
    "scale_int",
    "to_int64",
    "to_uint64",
    "type_set",
]
