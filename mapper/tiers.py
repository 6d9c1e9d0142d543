"""The decoder tiers of the fast path: one table of named settings.

A chunk of input is decoded with msgspec into Structs that hold only the mapped
fields. The Struct types are generated per sink (:mod:`mapper.compiler`) in several
tiers, tried in this order; the first one that takes a chunk maps it, and a record
that no tier takes goes down the careful path alone:

========  =============  ===========  ==============  ============================================
tier      exact_types    every_field  values_as_text  takes
========  =============  ===========  ==============  ============================================
exact     yes            yes          no              each column's plain JSON type, every field set
lax       no             yes          no              also the forms the endpoint converts
                                                      (numeric strings, floats, comma strings)
lenient   no             no           no              lax forms, with nulls and missing fields
loose     no             no           yes             also numbers and bools in string columns
                                                      (only sinks with a string column have it)
========  =============  ===========  ==============  ============================================

What each column type accepts per tier is the type's business
(:meth:`mapper.types.ColumnType.json_shape`); its vector converter for the tier's
lists likewise (:meth:`mapper.types.ColumnType.vector`).

Words used for one idea each: a tier is *exact* when its leaves take only the plain
JSON type. ``strict`` is only ever the user's option (values the endpoint would
store differently are errors).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TIERS", "Tier", "renameable"]


@dataclass(frozen=True, slots=True)
class Tier:
    """One decoder tier (see the module docs)."""

    name: str
    #: prefix of the generated Struct names (``S3``, ``X3`` ...), so ``explain`` shows which is which
    prefix: str
    #: leaves take only each column's plain JSON type, so the lists convert without type checks
    exact_types: bool
    #: every mapped field present and non-null (else fields are optional and nullable)
    every_field: bool
    #: string columns also take numbers and bools (the endpoint prints them as text)
    values_as_text: bool

    @property
    def takes_literals(self) -> bool:
        """Whether low-cardinality string columns may be specialised as ``Literal`` sets.

        Only tiers with a laxer one after them: a value outside the set fails this
        tier and the next one takes the chunk.
        """
        return self.every_field


TIERS: tuple[Tier, ...] = (
    Tier("exact", "S", exact_types=True, every_field=True, values_as_text=False),
    Tier("lax", "X", exact_types=False, every_field=True, values_as_text=False),
    Tier("lenient", "L", exact_types=False, every_field=False, values_as_text=False),
    Tier("loose", "W", exact_types=False, every_field=False, values_as_text=True),
)


def renameable(key: str) -> bool:
    """Whether a Struct field can be renamed to ``key``: msgspec refuses a name holding
    ``\\``, ``"`` or a control character (such a key is read another way)."""
    return not any(c in key for c in '\\"') and all(ord(c) >= 0x20 for c in key)
