"""The sink model: one immutable :class:`Sink` of :class:`Column` entries, whatever form it came in.

This is the bottom of the definition layer: plain frozen data, no checking (that is
:mod:`mapper.checks` and :mod:`mapper.sink`) and no behaviour of column types (that
is :mod:`mapper.types`). Everything above reads the definition through these classes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from .errors import DefinitionError, Problem
from .paths import Path

__all__ = ["CONFIG_ATTRS", "MISSING", "CheckResult", "Column", "ColumnConfig", "Sink"]


class _MissingType:
    """The one "nothing was sent" marker: an absent key in a record, a missing row in a column."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"  # pickles as this module's singleton


#: A key absent from a record (JSON ``null`` is ``None``), and a missing row in
#: :meth:`mapper.ColumnData.canonical`: one object, so ``v is mapper.MISSING`` always works.
MISSING: _MissingType = _MissingType()

#: Config keys as the ingester's Go structs spell them -> :class:`ColumnConfig` attributes.
CONFIG_ATTRS = {
    "Mutex": "mutex",
    "Quantum": "quantum",
    "TTL": "ttl",
    "CacheType": "cache_type",
    "CacheSize": "cache_size",
    "Min": "min",
    "Max": "max",
    "ForeignIndex": "foreign_index",
    "Scale": "scale",
    "Layout": "layout",
    "Epoch": "epoch",
    "Unit": "unit",
    "Granularity": "granularity",
    "CustomUnit": "custom_unit",
}


def counts_numbers(unit: str | None, epoch_given: bool, epoch_zero: bool) -> bool:
    """Whether a time column's values are numbers counted in Unit from Epoch, as the ingester
    decides: a Unit that is not ``""`` (``unit`` None), or an Epoch that is not Go's zero time
    (idk reads strings when ``Epoch.IsZero() && Unit == ""``)."""
    return unit is not None or (epoch_given and not epoch_zero)


@dataclass(frozen=True, slots=True)
class ColumnConfig:
    """A column's config, with the ingester's defaults applied.

    Fields that do not apply to the column's type stay ``None``. ``given`` lists the
    config keys that were written (in their canonical spelling).
    """

    mutex: bool = False
    quantum: str | None = None
    ttl: str | None = None
    ttl_ns: int | None = None
    cache_type: str | None = None
    cache_size: int | None = None
    min: int | None = None
    max: int | None = None
    foreign_index: str | None = None
    scale: int | None = None
    layout: str | None = None
    epoch: str | None = None
    epoch_ns: int = 0
    epoch_zero: bool = False  # Epoch was Go's zero time, which the ingester reads as not set
    unit: str | None = None
    granularity: str | None = None
    custom_unit: str | None = None
    custom_unit_ns: int | None = None
    given: tuple[str, ...] = ()

    @property
    def numeric_time(self) -> bool:
        """timestamp/recordTime: values are numbers counted in Unit from Epoch (else strings with Layout)."""
        return counts_numbers(self.unit, "Epoch" in self.given, self.epoch_zero)

    def to_json(self) -> dict[str, Any]:
        """The config keys that were written, in the endpoint's spelling."""
        out: dict[str, Any] = {}
        for key in self.given:
            value = getattr(self, CONFIG_ATTRS[key])
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True, slots=True)
class Column:
    """One entry of the definition: a table column fed from a path of the record.

    ``pointer`` is the JSON Pointer of the entry in the definition as it was written
    (``/schema/definition/3``, or ``/mapping/lat`` for the UI form).
    """

    index: int
    name: str
    path: Path
    type: str
    config: ColumnConfig
    pointer: str

    def to_entry(self) -> dict[str, Any]:
        """The definition entry in the endpoint's JSON form."""
        entry: dict[str, Any] = {"name": self.name}
        entry["path"] = self.path.as_array() if self.path.is_plain else self.path.text
        entry["type"] = self.type
        cfg = self.config.to_json()
        if cfg:
            entry["config"] = cfg
        return entry


def frozen(value: Any) -> Any:
    """A JSON value read-only in depth, its own copy: an object a ``types.MappingProxyType`` of its own
    dict, an array a tuple, each of their values so too (a loaded :class:`Sink`'s ``sink_details``: a
    read-only view of the top level alone let ``sink.sink_details["x"]["y"] = 1`` change the sink)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(map(frozen, value))
    return value


def thawed(value: Any) -> Any:
    """A new JSON value of dicts and lists from ``value`` (:func:`frozen`'s, or any): objects as
    dicts, arrays as lists, anything else a deep copy (as a body to edit, or to pickle: a
    ``MappingProxyType`` cannot be)."""
    if isinstance(value, Mapping):
        return {k: thawed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return list(map(thawed, value))
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Sink:
    """A checked sink definition. Build it with :func:`mapper.load_sink`; compile it with :func:`mapper.compile_sink`."""

    columns: tuple[Column, ...]
    allow_missing_fields: bool
    id_field: str | None = None
    primary_key_fields: tuple[str, ...] | None = None
    name: str | None = None
    sink_details: Mapping[str, Any] | None = None
    form: str = "schema"
    problems: tuple[Problem, ...] = ()
    source: str | None = None
    table: Any = None  # the parsed CREATE TABLE of the UI form, if any
    #: True on the Sink :func:`mapper.load_sink` made (and its pickled copies); False on one built
    #: or changed by hand (``dataclasses.replace`` sets no ``init=False`` field), whose columns
    #: compiling checks again (:func:`mapper.compiler.hand_built_problems`)
    _checked: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # every Sink holds its own read-only copy of sink_details, however it was made: one built by
        # hand (the class, ``dataclasses.replace``) held the caller's very dict, so editing that dict
        # changed the sink and its to_body(), and its lists made it unequal to the loaded sink (tuples)
        # while hashing the same
        if self.sink_details is not None:
            try:
                object.__setattr__(self, "sink_details", frozen(self.sink_details))
            except RecursionError:  # (it escaped the constructor; load_sink says where, past SHOWN_DEPTH levels)
                said = "sink_details are nested too deeply for Python's recursion limit (a Sink not made by mapper.load_sink)"
                raise DefinitionError([Problem("error", "/sink_details", said, "hand-built")]) from None
        # (a list, as dataclasses.replace(sink, columns=[...]) gives, compiled but made hash(sink) a
        # TypeError: held as the tuple a loaded Sink holds, equal to it and hashing the same)
        if isinstance(self.columns, list):
            object.__setattr__(self, "columns", tuple(self.columns))
        if isinstance(self.primary_key_fields, list):
            object.__setattr__(self, "primary_key_fields", tuple(self.primary_key_fields))

    def __hash__(self) -> int:
        # (the generated hash raised "unhashable type: 'mappingproxy'" for every loaded sink, its sink_details
        # a read-only mapping: no sink as a dict key, in a set, or to a functools.lru_cache'd function; equal
        # sinks have equal fields, so hashing those that always hash keeps equal sinks' hashes equal)
        return hash((self.columns, self.allow_missing_fields, self.id_field, self.primary_key_fields, self.name, self.form))

    def __reduce__(self) -> Any:
        """Pickled (``multiprocessing``, ``copy.deepcopy``) with ``sink_details`` as a dict, restored read-only:
        a ``types.MappingProxyType``, as :func:`mapper.load_sink` keeps it, cannot be pickled."""
        state = dict(self.__dict__)
        if state.get("sink_details") is not None:
            state["sink_details"] = thawed(state["sink_details"])
        return (_sink_of_state, (state, type(self)))  # (its own class: a subclass's copy was a plain Sink)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def identity_columns(self) -> tuple[Column, ...]:
        """The columns that make the record's ``_id``, in order."""
        names = [self.id_field] if self.id_field is not None else list(self.primary_key_fields or ())
        return tuple(self.column(n) for n in names)

    @property
    def id_kind(self) -> str:
        """``"uint64"`` for an ``id_field`` sink, ``"string"`` for a primary-key sink."""
        return "uint64" if self.id_field is not None else "string"

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        """The columns the endpoint stores, in definition order.

        The ingester does not index the ``id_field`` column separately, nor a single
        primary key column of type ``string`` or named ``_id`` (the table's identity
        column itself, as later versions of the docs map it): those only make ``_id``.
        """
        skip: set[str] = set()
        if self.id_field is not None:
            skip.add(self.id_field)
        elif self.primary_key_fields and len(self.primary_key_fields) == 1:
            key = self.primary_key_fields[0]
            col = next((c for c in self.columns if c.name == key), None)  # (None: a definition being checked, named wrong)
            if col is not None and (col.type == "string" or col.name == "_id"):
                skip.add(col.name)
        return tuple(c for c in self.columns if c.name not in skip)

    def to_schema(self) -> dict[str, Any]:
        """The ``schema`` object of the ``POST /v1/sinks`` body."""
        schema: dict[str, Any] = {"type": "json"}
        if self.id_field is not None:
            schema["id_field"] = self.id_field
        else:
            schema["primary_key_fields"] = list(self.primary_key_fields or ())
        schema["allow_missing_fields"] = self.allow_missing_fields
        schema["definition"] = [c.to_entry() for c in self.columns]
        return schema

    def to_body(self) -> dict[str, Any]:
        """The full ``POST /v1/sinks`` body."""
        return {
            "name": self.name or "unnamed",
            # (a copy of its nested values too: the body edited before posting it changed the sink)
            "sink_details": thawed(self.sink_details or {"database_id": "<database_id>", "table": "<table>"}),
            "schema": self.to_schema(),
        }

    def summary(self) -> str:
        """One line: columns, types, identity, policy."""
        types: dict[str, int] = {}
        for c in self.columns:
            types[c.type] = types.get(c.type, 0) + 1
        type_text = ", ".join(f"{n:,} {t}" for t, n in types.items())  # (counts as every count mapper prints: 2,962, not 2962)
        if self.id_field is not None:
            ident = f"_id from id_field {self.id_field!r}"
        else:
            # each quoted as id_field is: a name may hold "|", ", " or a newline (the line is explain's comment)
            ident = "_id from primary_key_fields " + ", ".join(repr(p) for p in self.primary_key_fields or ())
        policy = "missing fields allowed" if self.allow_missing_fields else "missing fields reject the batch"
        who = f"sink {self.name!r}" if self.name else "sink"
        n = len(self.columns)
        return f"{who}: {n:,} column{'' if n == 1 else 's'} ({type_text}); {ident}; {policy}"

    def describe(self) -> dict[str, Any]:
        """What :meth:`summary` says, as JSON (``mapper check --format json``)."""
        types: dict[str, int] = {}
        for c in self.columns:
            types[c.type] = types.get(c.type, 0) + 1
        out: dict[str, Any] = {"name": self.name, "form": self.form}
        if self.id_field is not None:
            out["id_field"] = self.id_field
        else:
            out["primary_key_fields"] = list(self.primary_key_fields or ())
        out["allow_missing_fields"] = self.allow_missing_fields
        out["types"] = types
        out["columns"] = [{"name": c.name, "path": str(c.path), "type": c.type, "pointer": c.pointer} for c in self.columns]
        return out


@dataclass(frozen=True)
class CheckResult:
    """What :func:`mapper.check_sink` found: the sink (``None`` when it has errors) and every problem."""

    sink: Sink | None
    problems: tuple[Problem, ...]
    source: str | None = None

    @property
    def valid(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    def to_dict(self) -> dict[str, Any]:
        """``mapper check --format json``: validity, for a valid sink its summary (the text form's
        line, and the same as JSON under ``sink``), and every problem."""
        out: dict[str, Any] = {"valid": self.valid}
        if self.sink is not None:
            out["summary"] = self.sink.summary()
            out["sink"] = self.sink.describe()
        out["problems"] = [p.to_dict() for p in self.problems]
        return out


def _sink_of_state(state: dict[str, Any], cls: type[Sink] = Sink) -> Sink:
    """A :class:`Sink` (or a subclass's) unpickled (see :meth:`Sink.__reduce__`)."""
    if state.get("sink_details") is not None:
        state["sink_details"] = frozen(state["sink_details"])
    sink = object.__new__(cls)
    sink.__dict__.update(state)
    return sink
