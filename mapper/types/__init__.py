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
    ColumnType,
    ConversionError,
    Lossy,
    OutOfRangeNumber,
    Quick,
    ShownFloat,
    arrow_fixed,
    arrow_strings,
    as_json,
    beyond_float64_reason,
    digit_strings,
    go_float_text,
    go_text,
    go_trim,
    located,
    quick_always,
    quick_inline,
    text_span,
    type_set,
)
from .boolean import BoolType
from .decimal import DecimalType, MisreadDecimal, format_decimal, parse_decimal_text, parse_decimal_text_ex
from .idset import IdsType
from .integers import IdType, IntType, SignedIntBoolKeyType
from .text import StringsType, StringType
from .times import DateIntType, RecordTimeType, TimestampType

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
    "INT64_MAX",
    "INT64_MIN",
    "LOSSY_KINDS",
    "CLEARED",
    "NO_VALUE",
    "QUANTUMS",
    "REGISTRY",
    "TYPES",
    "ColumnType",
    "ConversionError",
    "Lossy",
    "MisreadDecimal",
    "OutOfRangeNumber",
    "Quick",
    "ShownFloat",
    "quick_always",
    "quick_inline",
    "text_span",
    "arrow_fixed",
    "arrow_strings",
    "beyond_float64_reason",
    "column_type",
    "digit_strings",
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
    "type_set",
]
