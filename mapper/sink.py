"""Sink definitions: load every form, check everything, model it once.

A sink definition arrives in one of these forms, all loaded into one immutable
:class:`Sink`:

* the full ``POST /v1/sinks`` body: ``{"name", "sink_details", "schema": {...}}``;
* a bare ``schema`` object: ``{"id_field" | "primary_key_fields", "allow_missing_fields", "definition"}``;
* a bare definition array (the ingester's header file), with the identity and the
  missing-field policy given as arguments;
* the UI's table mapping ``{"name", "table": "CREATE TABLE ...", "mapping": {...}}``
  (see :mod:`mapper.table`).

:func:`check_sink` finds *every* problem at once, each with a JSON Pointer into the
document as written; :func:`load_sink` returns the model or raises
:class:`~mapper.errors.DefinitionError` when any problem is an error. The model is
the single input of the compile stage.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any, Callable, Mapping, Union

from . import golayout
from .errors import DefinitionError, PathSyntaxError, Problem, Severity, make_pointer, preview, type_name
from .paths import Path, parse_path, path_from_keys

__all__ = [
    "TYPES",
    "Column",
    "Sink",
    "CheckResult",
    "check_sink",
    "load_sink",
    "read_json_document",
]

#: Column types of a sink definition, spelled as the endpoint spells them (case-sensitive).
TYPES = (
    "id",
    "ids",
    "string",
    "strings",
    "bool",
    "int",
    "decimal",
    "timestamp",
    "recordTime",
    "dateInt",
    "signedIntBoolKey",
)

QUANTUMS = ("Y", "YM", "YMD", "YMDH", "M", "MD", "MDH", "D", "DH", "H")
TIME_UNITS = ("d", "h", "m", "s", "ms", "us", "ns")
GRANULARITIES = ("s", "ms", "us", "ns")
CACHE_TYPES = ("ranked", "lru", "none")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,229}")
COLUMN_NAME_RE = re.compile(r"[a-z_][a-z0-9_-]{0,229}")

# Go's time.Time zero value (0001-01-01T00:00:00Z) in ns since 1970: the ingester treats
# an Epoch equal to it as "not set".
_GO_ZERO_TIME_NS = -62135596800 * 10**9
# The ingester's valid timestamp range (idk/interfaces.go), in ns since 1970.
TS_MIN_NS, TS_MAX_NS = -62135596799 * 10**9, 253402300799 * 10**9
TS_MIN_NANO_NS, TS_MAX_NANO_NS = -(2**32) * 10**9, 2**32 * 10**9


# ---------------------------------------------------------------------------------------
# The model


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
    unit: str | None = None
    granularity: str | None = None
    custom_unit: str | None = None
    custom_unit_ns: int | None = None
    given: tuple[str, ...] = ()

    @property
    def numeric_time(self) -> bool:
        """timestamp/recordTime: values are numbers counted in Unit from Epoch (else strings with Layout)."""
        return "Unit" in self.given or "Epoch" in self.given


@dataclass(frozen=True, slots=True)
class Column:
    """One entry of the definition: a table column fed from a path of the record."""

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
        cfg = _config_to_json(self.config)
        if cfg:
            entry["config"] = cfg
        return entry


@dataclass(frozen=True)
class Sink:
    """A checked sink definition. Build it with :func:`load_sink`."""

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
        primary key column of type ``string``: those only make ``_id``.
        """
        skip: set[str] = set()
        if self.id_field is not None:
            skip.add(self.id_field)
        elif self.primary_key_fields and len(self.primary_key_fields) == 1:
            col = self.column(self.primary_key_fields[0])
            if col.type == "string":
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
            "sink_details": dict(self.sink_details or {"database_id": "<database_id>", "table": "<table>"}),
            "schema": self.to_schema(),
        }

    def summary(self) -> str:
        """One line: columns, types, identity, policy."""
        types: dict[str, int] = {}
        for c in self.columns:
            types[c.type] = types.get(c.type, 0) + 1
        type_text = ", ".join(f"{n} {t}" for t, n in types.items())
        if self.id_field is not None:
            ident = f"_id from id_field {self.id_field!r}"
        else:
            ident = "_id from primary_key_fields " + "|".join(self.primary_key_fields or ())
        policy = "missing fields allowed" if self.allow_missing_fields else "missing fields reject the batch"
        who = f"sink {self.name!r}" if self.name else "sink"
        return f"{who}: {len(self.columns)} columns ({type_text}); {ident}; {policy}"

    def compile(self) -> Any:
        """Compile this sink into a :class:`~mapper.Mapper` (generated accessor code)."""
        from .compiler import compile_sink

        return compile_sink(self)


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check_sink` found: the sink (``None`` when it has errors) and every problem."""

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
        return {"valid": self.valid, "problems": [p.to_dict() for p in self.problems]}


# ---------------------------------------------------------------------------------------
# Reading the document

SinkSource = Union[str, bytes, os.PathLike, Mapping[str, Any], list]


class _Obj(dict):
    """A JSON object that remembers keys it saw more than once (the last one wins, as in Go)."""

    __slots__ = ("duplicates",)

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__()
        self.duplicates: list[str] = []
        for k, v in pairs:
            if k in self:
                self.duplicates.append(k)
            self[k] = v


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_json_document(data: bytes | str, what: str = "document") -> Any:
    """Parse strict JSON (no NaN, UTF-8 only), raising DefinitionError with line and column.

    Objects come back as dicts that remember duplicate keys.
    """
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise DefinitionError(
                [Problem("error", "", f"{what} is not UTF-8: invalid byte 0x{data[exc.start]:02x} at line {line} column {col}", "invalid-utf8")]
            ) from None
    else:
        text = data
    if not text.strip():
        raise DefinitionError([Problem("error", "", f"{what} is empty", "empty")])
    try:
        return json.loads(text, object_pairs_hook=_Obj, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            [Problem("error", "", f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", "invalid-json")]
        ) from None
    except ValueError as exc:  # NaN / Infinity
        raise DefinitionError([Problem("error", "", f"{what} is not valid JSON: {exc}", "invalid-json")]) from None
    except RecursionError:
        raise DefinitionError([Problem("error", "", f"{what} is nested too deeply to be a sink definition", "too-deep")]) from None


def _read_source(source: SinkSource) -> tuple[Any, str | None]:
    """Turn any accepted source into (parsed JSON value, display name)."""
    if isinstance(source, (dict, list, Mapping)):
        return source, None
    if isinstance(source, bytes):
        return read_json_document(source, "sink definition"), None
    if isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        return read_json_document(source, "sink definition"), None
    if isinstance(source, (str, os.PathLike)):
        path = FsPath(source)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise DefinitionError([Problem("error", "", f"no such file: {preview(str(path), 200)}", "unreadable")], str(path)) from None
        except IsADirectoryError:
            raise DefinitionError([Problem("error", "", f"{preview(str(path), 200)} is a directory, not a sink file", "unreadable")], str(path)) from None
        except OSError as exc:
            raise DefinitionError([Problem("error", "", f"cannot read {preview(str(path), 200)}: {exc.strerror}", "unreadable")], str(path)) from None
        try:
            return read_json_document(data, f"sink file {path.name}"), str(path)
        except DefinitionError as exc:
            raise DefinitionError(exc.problems, str(path)) from None
    raise DefinitionError([Problem("error", "", f"cannot read a sink definition from a {type(source).__name__}", "unreadable")])


# ---------------------------------------------------------------------------------------
# Checking

# Config keys per type, spelled as the ingester's Go structs spell them (matched
# case-insensitively, as Go's encoding/json does).
_SET_KEYS = ("Quantum", "TTL", "CacheType", "CacheSize")
CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "id": ("Mutex",) + _SET_KEYS,
    "ids": _SET_KEYS,
    "string": ("Mutex",) + _SET_KEYS,
    "strings": _SET_KEYS,
    "bool": (),
    "int": ("Min", "Max", "ForeignIndex"),
    "decimal": ("Scale",),
    "timestamp": ("Layout", "Epoch", "Unit", "Granularity"),
    "recordTime": ("Layout", "Epoch", "Unit"),
    "dateInt": ("Layout", "Epoch", "Unit", "CustomUnit"),
    "signedIntBoolKey": (),
}
_KEY_KIND = {
    "Mutex": "bool",
    "Quantum": "str",
    "TTL": "str",
    "CacheType": "str",
    "CacheSize": "int64",
    "Min": "int64",
    "Max": "int64",
    "ForeignIndex": "str",
    "Scale": "int64",
    "Layout": "str",
    "Epoch": "time",
    "Unit": "str",
    "Granularity": "str",
    "CustomUnit": "str",
}
_ATTR = {
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
_ENTRY_KEYS = ("name", "path", "type", "config")
_BODY_KEYS = ("name", "sink_details", "schema")
_SCHEMA_KEYS = ("type", "id_field", "primary_key_fields", "allow_missing_fields", "definition")


_TYPE_PHRASES = {"null": "null", "bool": "a boolean", "int": "an integer", "float": "a number", "str": "a string", "array": "an array", "object": "an object"}


def _json_type(value: Any) -> str:
    """``an integer``, ``a string``: a JSON type as definition messages phrase it."""
    if isinstance(value, Mapping):
        return "an object"
    name = type_name(value)
    return _TYPE_PHRASES.get(name, name)


def _show(value: Any) -> str:
    """A short JSON rendering of a user value for messages."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return preview(text, 80)


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    if not isinstance(word, str) or len(word) > 100:
        return ""
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f" (did you mean {lowered[word.lower()]!r}?)"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, severity: Severity, where: tuple[str | int, ...], code: str, message: str) -> None:
        self.problems.append(Problem(severity, make_pointer(*where), message, code))

    def error(self, where: tuple[str | int, ...], code: str, message: str) -> None:
        self.add("error", where, code, message)

    def warning(self, where: tuple[str | int, ...], code: str, message: str) -> None:
        self.add("warning", where, code, message)

    def note(self, where: tuple[str | int, ...], code: str, message: str) -> None:
        self.add("note", where, code, message)

    def duplicates(self, obj: Any, where: tuple[str | int, ...]) -> None:
        for key in getattr(obj, "duplicates", ()):
            self.warning(where + (key,), "duplicate-key", f"key {preview(key)!r} appears more than once; the last value wins")

    def unknown_keys(self, obj: Mapping[str, Any], known: tuple[str, ...], where: tuple[str | int, ...], what: str) -> None:
        for key in obj:
            if key not in known:
                self.warning(
                    where + (key,),
                    "unknown-key",
                    f"unknown key {preview(str(key))!r} in {what}; it is ignored{_suggest(str(key), known)}",
                )


def check_sink(
    source: SinkSource,
    *,
    id_field: str | None = None,
    primary_key_fields: list[str] | tuple[str, ...] | None = None,
    allow_missing_fields: bool | None = None,
    name: str | None = None,
) -> CheckResult:
    """Load and check a sink definition, collecting every problem.

    ``source`` is a file path, JSON text (str or bytes) or the parsed value. The keyword
    arguments give (or override) the identity and the missing-field policy, which a bare
    definition array does not carry.
    """
    try:
        doc, display = _read_source(source)
    except DefinitionError as exc:
        return CheckResult(None, exc.problems, exc.source)
    ck = _Checker()
    overrides = {
        "id_field": id_field,
        "primary_key_fields": tuple(primary_key_fields) if primary_key_fields is not None else None,
        "allow_missing_fields": allow_missing_fields,
        "name": name,
    }
    try:
        sink = _check_document(ck, doc, overrides)
    except RecursionError:
        ck.error((), "too-deep", "the definition is nested too deeply")
        sink = None
    problems = tuple(ck.problems)
    has_errors = any(p.severity == "error" for p in problems)
    if sink is not None and not has_errors:
        sink = _replace(sink, problems=problems, source=display)
        return CheckResult(sink, problems, display)
    return CheckResult(None, problems, display)


def load_sink(
    source: SinkSource | Sink,
    *,
    id_field: str | None = None,
    primary_key_fields: list[str] | tuple[str, ...] | None = None,
    allow_missing_fields: bool | None = None,
    name: str | None = None,
) -> Sink:
    """Load a sink definition; raise :class:`~mapper.errors.DefinitionError` if it has errors.

    Warnings do not stop loading; they are kept on ``Sink.problems``.
    """
    if isinstance(source, Sink):
        return source
    result = check_sink(
        source,
        id_field=id_field,
        primary_key_fields=primary_key_fields,
        allow_missing_fields=allow_missing_fields,
        name=name,
    )
    if result.sink is None:
        raise DefinitionError(result.problems, result.source)
    return result.sink


def _replace(sink: Sink, **changes: Any) -> Sink:
    from dataclasses import replace

    return replace(sink, **changes)


def _check_document(ck: _Checker, doc: Any, overrides: dict[str, Any]) -> Sink | None:
    if isinstance(doc, list):
        return _check_schema_parts(ck, {"definition": doc}, (), overrides, form="definition", definition_where=())
    if not isinstance(doc, Mapping):
        ck.error(
            (),
            "not-a-definition",
            f"a sink definition is a JSON object (the POST /v1/sinks body or its schema) or an array of "
            f"column entries, not {_json_type(doc)}",
        )
        return None
    ck.duplicates(doc, ())
    if "table" in doc and "mapping" in doc:
        from .table import check_ui_mapping  # the UI's table + mapping form

        return check_ui_mapping(ck, doc, overrides)
    if "schema" in doc:
        return _check_body(ck, doc, overrides)
    if "definition" in doc:
        ck.unknown_keys(doc, _SCHEMA_KEYS, (), "the schema")
        return _check_schema_parts(ck, doc, (), overrides, form="schema", definition_where=("definition",))
    ck.error(
        (),
        "not-a-definition",
        "not a sink definition: expected the POST /v1/sinks body (with \"schema\"), a schema object "
        "(with \"definition\"), an array of column entries, or a UI mapping (\"table\" and \"mapping\")",
    )
    return None


def _check_body(ck: _Checker, doc: Mapping[str, Any], overrides: dict[str, Any]) -> Sink | None:
    ck.unknown_keys(doc, _BODY_KEYS, (), "the POST /v1/sinks body")
    name = check_sink_name(ck, doc, ())
    if overrides.get("name") is not None:
        name = overrides["name"]
    details = doc.get("sink_details")
    if "sink_details" not in doc:
        ck.error(("sink_details",), "missing", 'sink_details is required: {"database_id": "<uuid>", "table": "<table>"}')
    elif not isinstance(details, Mapping):
        ck.error(("sink_details",), "wrong-type", f"sink_details must be an object, not {_json_type(details)}")
        details = None
    else:
        ck.duplicates(details, ("sink_details",))
        ck.unknown_keys(details, ("database_id", "table"), ("sink_details",), "sink_details")
        for key in ("database_id", "table"):
            value = details.get(key)
            if key not in details:
                ck.error(("sink_details", key), "missing", f"sink_details.{key} is required")
            elif not isinstance(value, str) or not value:
                ck.error(("sink_details", key), "wrong-type", f"sink_details.{key} must be a non-empty string, not {_show(value)}")
        db = details.get("database_id")
        if isinstance(db, str) and db and not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", db):
            ck.warning(("sink_details", "database_id"), "not-a-uuid", f"database_id {preview(db)!r} does not look like a database UUID")
    schema = doc.get("schema")
    if not isinstance(schema, Mapping):
        ck.error(("schema",), "wrong-type", f"schema must be an object, not {_json_type(schema)}")
        return None
    ck.duplicates(schema, ("schema",))
    ck.unknown_keys(schema, _SCHEMA_KEYS, ("schema",), "the schema")
    sink = _check_schema_parts(ck, schema, ("schema",), overrides, form="body", definition_where=("schema", "definition"))
    if sink is None:
        return None
    return _replace(sink, name=name, sink_details=MappingProxyType(dict(details)) if isinstance(details, Mapping) else None)


def check_sink_name(ck: _Checker, doc: Mapping[str, Any], where: tuple[str | int, ...]) -> str | None:
    """The sink name rule: lowercase letters, digits, ``-`` and ``_``, starting with a letter, <= 230 chars."""
    if "name" not in doc:
        ck.error(where + ("name",), "missing", "the sink needs a name (lowercase letters, digits, '-' and '_', starting with a letter)")
        return None
    name = doc["name"]
    if not isinstance(name, str):
        ck.error(where + ("name",), "wrong-type", f"the sink name must be a string, not {_json_type(name)}")
        return None
    if len(name) > 230:
        ck.error(where + ("name",), "invalid-name", f"the sink name is {len(name)} characters long; at most 230 are allowed")
    elif not name:
        ck.error(where + ("name",), "invalid-name", "the sink name is empty")
    elif not NAME_RE.fullmatch(name):
        bad = next((i for i, c in enumerate(name) if not (c.isascii() and (c.islower() or c.isdigit() or c in "-_"))), None)
        if not ("a" <= name[0] <= "z"):
            why = f"it starts with {name[0]!r}; it must start with a lowercase letter"
        elif bad is not None:
            why = f"character {bad} is {name[bad]!r}; only lowercase letters, digits, '-' and '_' are allowed"
        else:  # pragma: no cover - the regex and the scan agree
            why = "only lowercase letters, digits, '-' and '_' are allowed"
        hint = re.sub(r"[^a-z0-9_-]", "_", name.lower())[:230]
        if hint and not hint[0].isalpha():
            hint = "s" + hint[:229]
        ck.error(where + ("name",), "invalid-name", f"invalid sink name {preview(name)!r}: {why} (e.g. {preview(hint)!r})")
    return name


def _check_schema_parts(
    ck: _Checker,
    schema: Mapping[str, Any],
    where: tuple[str | int, ...],
    overrides: dict[str, Any],
    *,
    form: str,
    definition_where: tuple[str | int, ...],
) -> Sink | None:
    if "type" in schema and schema["type"] != "json":
        ck.error(where + ("type",), "invalid-value", f'schema type must be "json", not {_show(schema["type"])}')

    # Identity: exactly one of id_field / primary_key_fields.
    id_field: str | None = None
    pk_fields: tuple[str, ...] | None = None
    ov_id, ov_pk = overrides.get("id_field"), overrides.get("primary_key_fields")
    if ov_id is not None or ov_pk is not None:
        if ov_id is not None and ov_pk is not None:
            ck.error(where, "identity", "give either id_field or primary_key_fields, not both")
        if ("id_field" in schema or "primary_key_fields" in schema) and form != "definition":
            ck.note(where, "overridden", "the identity given as an option replaces the one in the definition")
        id_field = ov_id
        pk_fields = tuple(ov_pk) if ov_pk is not None else None
        id_where = pk_where = where
        if pk_fields is not None and (not pk_fields or not all(isinstance(p, str) and p for p in pk_fields)):
            ck.error(where, "identity", "primary key fields must be a non-empty list of column names")
            pk_fields = None
    else:
        has_id, has_pk = "id_field" in schema, "primary_key_fields" in schema
        id_where, pk_where = where + ("id_field",), where + ("primary_key_fields",)
        if has_id and has_pk:
            ck.error(where, "identity", "give exactly one of id_field and primary_key_fields, not both")
        elif not has_id and not has_pk:
            hint = " (a bare definition array needs --id-field or --primary-key-fields)" if form == "definition" else ""
            ck.error(where, "identity", f"the record identity is missing: give id_field or primary_key_fields{hint}")
        if has_id:
            value = schema["id_field"]
            if not isinstance(value, str) or not value:
                ck.error(id_where, "wrong-type", f"id_field must be the name of a column (a non-empty string), not {_show(value)}")
            else:
                id_field = value
        if has_pk:
            value = schema["primary_key_fields"]
            if not isinstance(value, list) or not value:
                ck.error(pk_where, "wrong-type", f"primary_key_fields must be a non-empty array of column names, not {_show(value)}")
            else:
                good = True
                for i, item in enumerate(value):
                    if not isinstance(item, str) or not item.strip():
                        ck.error(pk_where + (i,), "wrong-type", f"a primary key field must be a column name, not {_show(item)}")
                        good = False
                if good:
                    pk_fields = tuple(value)

    # Missing-field policy.
    allow_missing: bool | None = overrides.get("allow_missing_fields")
    if allow_missing is None:
        if "allow_missing_fields" not in schema:
            hint = " (a bare definition array needs --allow-missing-fields or --no-allow-missing-fields)" if form == "definition" else ""
            ck.error(
                where + (("allow_missing_fields",) if form != "definition" else ()),
                "missing",
                f"allow_missing_fields is required: true stores records with missing values as nulls, "
                f"false discards the whole batch{hint}",
            )
        elif not isinstance(schema["allow_missing_fields"], bool):
            ck.error(
                where + ("allow_missing_fields",),
                "wrong-type",
                f"allow_missing_fields must be true or false, not {_show(schema['allow_missing_fields'])}",
            )
        else:
            allow_missing = schema["allow_missing_fields"]
    elif "allow_missing_fields" in schema and form != "definition" and schema["allow_missing_fields"] != allow_missing:
        ck.note(where + ("allow_missing_fields",), "overridden", f"allow_missing_fields is overridden by the option ({str(allow_missing).lower()})")

    # The definition.
    columns = _check_definition(ck, schema.get("definition"), "definition" in schema, definition_where, form)

    by_name = {c.name: c for c in columns} if columns is not None else {}
    if columns is not None:
        if id_field is not None:
            col = by_name.get(id_field)
            if col is None:
                ck.error(id_where, "unknown-column", f"id_field {preview(id_field)!r} names no column of the definition{_suggest(id_field, list(by_name))}")
            elif col.type not in ("id", "int"):
                ck.error(id_where, "identity-type", f"id_field {preview(id_field)!r} is a {col.type} column; it must be of type id or int")
        if pk_fields is not None:
            seen: set[str] = set()
            for i, pk in enumerate(pk_fields):
                pkw = pk_where + ((i,) if pk_where != where else ())
                if pk != pk.strip():
                    ck.warning(pkw, "whitespace", f"primary key field {pk!r} has surrounding spaces; the ingester trims them")
                    pk = pk.strip()
                if pk in seen:
                    ck.warning(pkw, "duplicate", f"primary key field {preview(pk)!r} is listed twice")
                seen.add(pk)
                col = by_name.get(pk)
                if col is None:
                    ck.error(pkw, "unknown-column", f"primary key field {preview(pk)!r} names no column of the definition{_suggest(pk, list(by_name))}")
                elif col.type == "strings":
                    ck.error(pkw, "identity-type", f"primary key field {preview(pk)!r} is a strings column; a set of strings cannot be a key")
            pk_fields = tuple(p.strip() for p in pk_fields)
        _check_paths(ck, columns)
    if columns is None or allow_missing is None or (id_field is None and pk_fields is None):
        return None
    return Sink(
        columns=tuple(columns),
        allow_missing_fields=allow_missing,
        id_field=id_field,
        primary_key_fields=pk_fields if id_field is None else None,
        form=form,
    )


def _check_definition(
    ck: _Checker, definition: Any, present: bool, where: tuple[str | int, ...], form: str
) -> list[Column] | None:
    if not present:
        ck.error(where, "missing", "the definition (an array of column entries) is missing")
        return None
    if not isinstance(definition, list):
        ck.error(where, "wrong-type", f"the definition must be an array of column entries, not {_json_type(definition)}")
        return None
    if not definition:
        ck.error(where, "empty", "the definition has no column entries")
        return None
    columns: list[Column] = []
    names: dict[str, int] = {}
    ok = True
    record_times: list[int] = []
    for i, entry in enumerate(definition):
        col = _check_entry(ck, entry, where + (i,), i, form)
        if col is None:
            ok = False
            continue
        if col.name in names:
            ck.error(
                where + (i, "name"),
                "duplicate-name",
                f"schema field {i} duplicates name of field {names[col.name]} ({preview(col.name)!r})",
            )
            ok = False
        else:
            names[col.name] = i
        if col.type == "recordTime":
            record_times.append(i)
        columns.append(col)
    if len(record_times) > 1:
        for i in record_times[1:]:
            ck.warning(where + (i,), "several-record-times", "more than one recordTime column: the last one read sets the record's time")
    if record_times and ok and not any(c.config.quantum for c in columns):
        ck.warning(
            where + (record_times[0],),
            "unused-record-time",
            "recordTime only matters for columns with a Quantum, and no column has one",
        )
    return columns if ok else None


def _check_entry(ck: _Checker, entry: Any, where: tuple[str | int, ...], index: int, form: str) -> Column | None:
    if not isinstance(entry, Mapping):
        ck.error(where, "wrong-type", f"a column entry must be an object with name, path, type and config, not {_json_type(entry)}")
        return None
    ck.duplicates(entry, where)
    ck.unknown_keys(entry, _ENTRY_KEYS, where, "a column entry")
    ok = True

    name = entry.get("name")
    if "name" not in entry:
        ck.error(where + ("name",), "missing", "the column entry has no name")
        ok = False
    elif not isinstance(name, str) or not name:
        ck.error(where + ("name",), "wrong-type", f"the column name must be a non-empty string, not {_show(name)}")
        ok = False
    elif not COLUMN_NAME_RE.fullmatch(name):
        ck.warning(
            where + ("name",),
            "column-name",
            f"{preview(name)!r} is not a valid FeatureBase column name (lowercase letters, digits, '_' and '-', "
            f"starting with a letter, at most 230 characters)",
        )

    path = _check_path(ck, entry, where, form)
    if path is None:
        ok = False

    ctype = entry.get("type")
    if "type" not in entry:
        ck.error(where + ("type",), "missing", f"the column entry has no type (one of {', '.join(TYPES)})")
        ok = False
    elif not isinstance(ctype, str):
        ck.error(where + ("type",), "wrong-type", f"the column type must be a string, not {_json_type(ctype)}")
        ok = False
    elif ctype not in TYPES:
        ck.error(where + ("type",), "unknown-type", f"unsupported type {preview(ctype)!r}{_suggest(ctype, TYPES)}; types are {', '.join(TYPES)}")
        ok = False

    config = None
    if ok:
        assert isinstance(ctype, str)
        config = _check_config(ck, entry.get("config"), "config" in entry, ctype, where + ("config",), _ConfigKeyWhere(entry))
        if config is None:
            ok = False
    if not ok:
        return None
    assert isinstance(name, str) and path is not None and config is not None and isinstance(ctype, str)
    return Column(index=index, name=name, path=path, type=ctype, config=config, pointer=make_pointer(*where))


def _check_path(ck: _Checker, entry: Mapping[str, Any], where: tuple[str | int, ...], form: str) -> Path | None:
    raw = entry.get("path")
    pw = where + ("path",)
    if raw is None:
        name = entry.get("name")
        who = f"field {preview(name)!r}" if isinstance(name, str) else "the column entry"
        ck.error(pw, "missing", f"{who} is missing a path")
        return None
    if isinstance(raw, list):
        if not raw:
            ck.error(pw, "empty-path", "the path is empty; give at least one key")
            return None
        good = True
        for j, key in enumerate(raw):
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                ck.error(pw + (j,), "wrong-type", f"a path element must be a string (an object key), not {_json_type(key)}")
                good = False
            elif isinstance(key, int):
                ck.error(pw + (j,), "array-index", f"path element {key} is an array index; the endpoint's paths only take object keys")
                good = False
        return path_from_keys(raw) if good else None
    if isinstance(raw, str):
        try:
            path = parse_path(raw)
        except PathSyntaxError as exc:
            ck.error(pw, "path-syntax", exc.render() if len(raw) < 2000 else f"{exc.message} at character {exc.position}")
            return None
        if path.is_plain and form == "body":
            ck.note(pw, "path-string", f"the endpoint's API takes a path as an array of keys: {json.dumps(path.as_array(), ensure_ascii=False)}")
        elif not path.is_plain:
            ck.warning(
                pw,
                "jmespath",
                "a JMESPath expression: the endpoint only takes arrays of keys, so only mapper can evaluate this; "
                "JMESPath gives null for a missing key, so mapper treats its null as missing",
            )
        return path
    ck.error(pw, "wrong-type", f"the path must be an array of keys (or a path string), not {_json_type(raw)}")
    return None


class _ConfigKeyWhere:
    """Maps canonical config keys to the spelling the document used (for pointers)."""

    def __init__(self, entry: Mapping[str, Any]):
        cfg = entry.get("config")
        self.spelled: dict[str, str] = {}
        if isinstance(cfg, Mapping):
            for key in cfg:
                if isinstance(key, str):
                    self.spelled.setdefault(key.casefold(), key)

    def __call__(self, canonical: str) -> str:
        return self.spelled.get(canonical.casefold(), canonical)


def _check_config(
    ck: _Checker,
    cfg: Any,
    present: bool,
    ctype: str,
    where: tuple[str | int, ...],
    spelled: Callable[[str], str],
) -> ColumnConfig | None:
    allowed = CONFIG_KEYS[ctype]
    values: dict[str, Any] = {}
    invalid: set[str] = set()  # keys written with a value that did not check
    ok = True
    if present and cfg is not None and not isinstance(cfg, Mapping):
        ck.error(where, "wrong-type", f"config must be an object, not {_json_type(cfg)}")
        return None
    if isinstance(cfg, Mapping):
        ck.duplicates(cfg, where)
        folded = {k.casefold(): k for k in allowed}
        seen: dict[str, str] = {}
        for key, value in cfg.items():
            canonical = folded.get(key.casefold()) if isinstance(key, str) else None
            kw = where + (key,)
            if canonical is None:
                other = next((t for t, keys in CONFIG_KEYS.items() if any(k.casefold() == key.casefold() for k in keys)), None)
                if other is not None:
                    why = f"{_canonical_key(key)} does not apply to a {ctype} column; the ingester ignores it"
                else:
                    why = f"unknown config key {preview(key)!r}; the ingester ignores it{_suggest(key, allowed)}"
                ck.warning(kw, "unknown-config-key", why)
                continue
            if canonical in seen:
                ck.warning(kw, "duplicate-key", f"{canonical} is given twice ({seen[canonical]!r} and {key!r}); the last one wins")
            seen[canonical] = key
            if value is None:
                values.pop(canonical, None)  # Go: null leaves the default
                continue
            parsed = _config_value(ck, canonical, value, kw)
            if parsed is _INVALID:
                ok = False
                invalid.add(canonical)
            else:
                values[canonical] = parsed
    config = _type_rules(ck, ctype, values, where, spelled, invalid)
    if config is None or not ok:
        return None
    return config


_INVALID = object()


def _canonical_key(key: str) -> str:
    for k in _KEY_KIND:
        if k.casefold() == key.casefold():
            return k
    return key


def _config_value(ck: _Checker, key: str, value: Any, where: tuple[str | int, ...]) -> Any:
    kind = _KEY_KIND[key]
    if kind == "bool":
        if not isinstance(value, bool):
            ck.error(where, "wrong-type", f"{key} must be true or false, not {_json_type(value)} {_show(value)}")
            return _INVALID
        return value
    if kind == "str":
        if not isinstance(value, str):
            ck.error(where, "wrong-type", f"{key} must be a string, not {_json_type(value)} {_show(value)}")
            return _INVALID
        return value
    if kind == "int64":
        if isinstance(value, bool) or not isinstance(value, int):
            ck.error(where, "wrong-type", f"{key} must be a whole number, not {_json_type(value)} {_show(value)}")
            return _INVALID
        if not INT64_MIN <= value <= INT64_MAX:
            ck.error(where, "out-of-range", f"{key} {preview(str(value))} does not fit a signed 64-bit integer")
            return _INVALID
        return value
    if kind == "time":
        if not isinstance(value, str):
            ck.error(where, "wrong-type", f"{key} must be an RFC 3339 time string such as \"1970-01-01T00:00:00Z\", not {_json_type(value)} {_show(value)}")
            return _INVALID
        try:
            return (value, golayout.parse_rfc3339(value))
        except golayout.LayoutError as exc:
            ck.error(where, "invalid-epoch", f"{key} {preview(value)!r} is not an RFC 3339 time: {exc.message}")
            return _INVALID
    raise AssertionError(kind)  # pragma: no cover


def _type_rules(
    ck: _Checker,
    ctype: str,
    v: dict[str, Any],
    where: tuple[str | int, ...],
    spelled: Callable[[str], str],
    invalid: set[str] = frozenset(),  # type: ignore[assignment]
) -> ColumnConfig | None:
    """The per-type rules of the ingester and the server, on already type-checked values.

    Keys in ``invalid`` were written but failed their own check (already reported):
    rules about their absence do not apply.
    """
    ok = True

    def at(key: str) -> tuple[str | int, ...]:
        return where + (spelled(key),)

    kw: dict[str, Any] = {"given": tuple(sorted(v))}
    if ctype in ("id", "ids", "string", "strings"):
        mutex = bool(v.get("Mutex", False))
        quantum, ttl = v.get("Quantum"), v.get("TTL")
        kw["mutex"] = mutex
        if quantum is not None and quantum != "":
            if quantum not in QUANTUMS:
                hint = f" (did you mean {quantum.upper()!r}?)" if quantum.upper() in QUANTUMS else ""
                ck.error(at("Quantum"), "invalid-quantum", f"Quantum {preview(quantum)!r} is not a time quantum; use one of {', '.join(QUANTUMS)}{hint}")
                ok = False
            if mutex:
                ck.error(at("Quantum"), "mutex-quantum", "a mutex column cannot have a Quantum")
                ok = False
            kw["quantum"] = quantum
        if ttl is not None and ttl != "":
            try:
                ttl_ns = golayout.go_parse_duration(ttl)
            except ValueError as exc:
                ck.error(at("TTL"), "invalid-ttl", f"TTL {preview(ttl)!r} is not a duration ({exc}); write it like \"720h\" or \"90m\" (units h, m, s, ms, us, ns)")
                ok = False
            else:
                if ttl_ns < 0:
                    ck.error(at("TTL"), "invalid-ttl", f"TTL {ttl!r} is negative")
                    ok = False
                kw["ttl_ns"] = ttl_ns
            if not quantum:
                ck.error(at("TTL"), "ttl-needs-quantum", "TTL needs a Quantum: only time-quantum columns expire")
                ok = False
            if mutex:
                ck.error(at("TTL"), "mutex-ttl", "a mutex column cannot have a TTL")
                ok = False
            kw["ttl"] = ttl
        cache_type = v.get("CacheType")
        if cache_type is not None:
            if cache_type not in CACHE_TYPES and cache_type != "":
                ck.error(at("CacheType"), "invalid-cache-type", f"CacheType {preview(cache_type)!r} is not one of {', '.join(CACHE_TYPES)}{_suggest(cache_type, CACHE_TYPES)}")
                ok = False
            kw["cache_type"] = cache_type
        cache_size = v.get("CacheSize")
        if cache_size is not None:
            if cache_size < 0:
                ck.error(at("CacheSize"), "out-of-range", f"CacheSize must not be negative, got {cache_size}")
                ok = False
            elif cache_type == "none" and cache_size > 0:
                ck.warning(at("CacheSize"), "cache-size-ignored", "CacheSize has no effect with CacheType none")
            kw["cache_size"] = cache_size
    elif ctype == "int":
        lo, hi = v.get("Min"), v.get("Max")
        if hi is not None and lo is None and "Min" not in invalid:
            ck.error(at("Max"), "max-without-min", "cannot create an integer field with only an upper bound: give Min too")
            ok = False
        if lo is not None and hi is not None and lo > hi:
            ck.error(at("Min"), "min-above-max", f"Min ({lo}) is greater than Max ({hi})")
            ok = False
        kw["min"], kw["max"] = lo, hi
        if v.get("ForeignIndex"):
            kw["foreign_index"] = v["ForeignIndex"]
            ck.note(
                at("ForeignIndex"),
                "foreign-index",
                "with ForeignIndex, the ingester takes string values as keys of the foreign table; mapper only maps numbers and numeric strings here",
            )
    elif ctype == "decimal":
        if "Scale" in invalid:
            kw["scale"] = 0
        elif "Scale" not in v:
            ck.warning(
                where,
                "default-scale",
                "no Scale: the ingester's default is 0, so 4.35 would be stored as 4 (a Cloud table's decimal column defaults to 2); give Scale explicitly",
            )
            kw["scale"] = 0
        else:
            scale = v["Scale"]
            if not 0 <= scale <= 19:
                ck.error(at("Scale"), "invalid-scale", f"Scale {scale} is outside 0..19")
                ok = False
            elif scale > 18:
                ck.warning(at("Scale"), "large-scale", f"Scale {scale}: only values between -0.92 and 0.92 fit a 64-bit integer at this scale")
            kw["scale"] = scale
    elif ctype in ("timestamp", "recordTime", "dateInt"):
        ok = _time_rules(ck, ctype, v, where, at, kw) and ok
    if not ok:
        return None
    return ColumnConfig(**kw)


def _time_rules(
    ck: _Checker,
    ctype: str,
    v: dict[str, Any],
    where: tuple[str | int, ...],
    at: Callable[[str], tuple[str | int, ...]],
    kw: dict[str, Any],
) -> bool:
    ok = True
    unit = v.get("Unit")
    units = TIME_UNITS + (("c",) if ctype == "dateInt" else ())
    if unit is not None and unit != "":
        if unit.lower() not in units:
            ck.error(at("Unit"), "invalid-unit", f"Unit {preview(unit)!r} is not one of {', '.join(units)}{_suggest(unit, units)}")
            ok = False
        elif unit != unit.lower():
            ck.warning(at("Unit"), "unit-case", f"Unit {unit!r} is read as {unit.lower()!r}; write it in lowercase")
        kw["unit"] = unit.lower()
    else:
        kw["unit"] = None
    if ctype == "timestamp":
        gran = v.get("Granularity") or "s"
        if gran not in GRANULARITIES:
            hint = f" (write {gran.lower()!r} in lowercase)" if gran.lower() in GRANULARITIES else ""
            ck.error(at("Granularity"), "invalid-granularity", f"Granularity {preview(gran)!r} is not one of {', '.join(GRANULARITIES)}{hint}")
            ok = False
        kw["granularity"] = gran
    epoch = v.get("Epoch")
    if epoch is not None:
        text, ns = epoch
        if ns == _GO_ZERO_TIME_NS:
            ck.warning(at("Epoch"), "zero-epoch", "Epoch 0001-01-01T00:00:00Z is Go's zero time: the ingester treats it as not set (1970-01-01)")
            ns = 0
        elif ctype == "timestamp":
            lo, hi = (TS_MIN_NANO_NS, TS_MAX_NANO_NS) if kw.get("granularity") == "ns" else (TS_MIN_NS, TS_MAX_NS)
            if not lo <= ns <= hi:
                ck.error(at("Epoch"), "epoch-out-of-range", f"Epoch {preview(text)!r} is outside the range FeatureBase timestamps take at this granularity")
                ok = False
        kw["epoch"], kw["epoch_ns"] = text, ns
    layout = v.get("Layout")
    if layout is not None:
        for severity, message, pos in golayout.check_layout(layout):
            where_msg = f" (at character {pos})" if pos is not None else ""
            ck.add(severity, at("Layout"), "layout", f"Layout {preview(layout)!r}: {message}{where_msg}")  # type: ignore[arg-type]
            if severity == "error":
                ok = False
        kw["layout"] = layout
    numeric = "Unit" in v or "Epoch" in v
    if ctype in ("timestamp", "recordTime") and numeric:
        if layout:
            ck.warning(at("Layout"), "layout-ignored", "Layout is not used when Unit or Epoch is set: values must then be numbers (or numeric strings)")
        if "Unit" not in v:
            ck.note(at("Epoch"), "default-unit", "no Unit: numbers are counted in seconds from Epoch")
    if ctype == "dateInt":
        if kw["unit"] == "c":
            cu = v.get("CustomUnit")
            if not cu:
                ck.error(at("Unit"), "custom-unit", "Unit c (custom) needs CustomUnit, a duration such as \"168h\"")
                ok = False
            else:
                try:
                    cu_ns = golayout.go_parse_duration(cu)
                except ValueError as exc:
                    ck.error(at("CustomUnit"), "custom-unit", f"CustomUnit {preview(cu)!r} is not a duration ({exc})")
                    ok = False
                else:
                    if cu_ns <= 0:
                        ck.error(at("CustomUnit"), "custom-unit", f"CustomUnit {cu!r} must be a positive duration")
                        ok = False
                    kw["custom_unit_ns"] = cu_ns
                kw["custom_unit"] = cu
        elif v.get("CustomUnit"):
            ck.warning(at("CustomUnit"), "custom-unit-ignored", "CustomUnit is only used with Unit \"c\"")
    return ok


def _config_to_json(cfg: ColumnConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in cfg.given:
        attr = _ATTR[key]
        value = getattr(cfg, attr)
        if value is None:
            continue
        out[key] = value
    return out


def _check_paths(ck: _Checker, columns: list[Column]) -> None:
    """Warn where two columns read the same path, or one path is a prefix of another's."""
    plain = [(c, c.path.keys) for c in columns if c.path.keys is not None]
    by_keys: dict[tuple[str, ...], Column] = {}
    for col, keys in plain:
        assert keys is not None
        if keys in by_keys:
            first = by_keys[keys]
            ck.warning(
                _split_pointer(col.pointer) + ("path",),
                "same-path",
                f"columns {preview(first.name)!r} and {preview(col.name)!r} read the same path {col.path.jsonpath()}",
            )
        else:
            by_keys[keys] = col
    for col, keys in plain:
        assert keys is not None
        for n in range(1, len(keys)):
            other = by_keys.get(keys[:n])
            if other is not None:
                ck.warning(
                    _split_pointer(col.pointer) + ("path",),
                    "prefix-path",
                    f"the path of {preview(col.name)!r} ({col.path.jsonpath()}) goes inside the value of "
                    f"{preview(other.name)!r} ({other.path.jsonpath()}); that value cannot be both an object and a {other.type}",
                )
                break


def _split_pointer(pointer: str) -> tuple[str, ...]:
    if not pointer:
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))
