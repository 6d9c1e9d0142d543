"""What the web UI computes: the New Source form checked and turned into the API body, a sample record previewed, pasted records read.

Nothing here decides anything the engine does not: the form becomes the UI mapping
document (:mod:`mapper.table`) and is checked by :func:`mapper.check_sink` as ``mapper
check`` checks it; the preview asks the compiled sink (:meth:`mapper.Mapper.check` and
:meth:`mapper.Mapper.map`, the careful path and the engine the endpoint uses); pasted
records become the endpoint's request body, which the store ingests as the endpoint does.
"""

from __future__ import annotations

import json
import re
import shlex
import threading
from collections import OrderedDict
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import jmespath
import orjson

from ..api import Mapper
from ..checks import Checker, check_sink_name, json_type, split_pointer
from ..endpoint import INVALID_BODY, INVALID_PARAMETER, ServiceError, encode_body, json_problem, service_loads
from ..engine.gojson import RecordDecodeError, decode_record, go_field_key, go_member, huge_number, json_path, json_problem_at, second_bom
from ..engine.reader import (
    BOM,
    HINT_PATH_LENGTH,
    JSON_WS,
    BrokenDocument,
    JoinedColumns,
    RawRecords,
    Unit,
    document_hint,
    document_units,
    endpoint_units,
    format_of,
    head_lines,
    head_note,
    line_of,
    record_arrays,
    record_arrays_text,
)
from ..errors import MapperError, Problem, preview
from ..model import MISSING, Sink
from ..paths import EVALUATION_ERRORS, evaluation_failure, jq_path, parse_path, to_dot_notation
from ..paths import TOO_DEEP as _TOO_DEEP
from ..report import BatchRejected, RecordError, ValueWarning
from ..sink import check_sink
from ..table import ALLOW_MISSING_REQUIRED, RECORD_TIME_NAME, go_lower
from ..types import beyond_float64_reason
from .catalog import Catalog, CatalogTable

__all__ = [
    "TIME_UNITS",
    "Paste",
    "PasteError",
    "check_name",
    "compact",
    "draft",
    "form_document",
    "format_body",
    "paste_note",
    "paste_records",
    "preview_record",
]

#: What a timestamp column's "Sent as" choice may be: the Unit of a number (else a string in RFC 3339).
TIME_UNITS = ("s", "ms", "us", "ns", "m", "h", "d")
#: Characters of a value shown in the preview (the rest is cut, with "...").
SHOW_LIMIT = 300
_FORM_KEYS = ("name", "database_id", "table", "columns", "allow_missing_fields", "sample")
_COLUMN_KEYS = ("path", "unit")


def _show(value: Any) -> str:
    """A value as JSON text, cut at SHOW_LIMIT characters.

    Only what is shown is rendered: a value a path builds (a JMESPath multiselect over
    itself, ``[@, @] | [@, @] | ...``) can be 2**30 items made of shared references,
    which whole JSON text would never finish writing.
    """
    parts: list[str] = []
    size = 0
    # what is left to write, last first: text, or a value to render. Each value writes at
    # least one character, so a container's items past the budget are never queued, and
    # the depth reached is bounded by the budget too (each level writes a bracket).
    todo: list[tuple[bool, Any]] = [(False, value)]
    while todo and size <= SHOW_LIMIT:
        is_text, item = todo.pop()
        if is_text:
            text = item
        elif isinstance(item, (dict, list, tuple)):
            text = "{" if isinstance(item, dict) else "["
            todo.append((True, "}" if isinstance(item, dict) else "]"))
            entries = item.items() if isinstance(item, dict) else item
            queued: list[tuple[bool, Any]] = []
            for i, entry in enumerate(entries):
                if i > SHOW_LIMIT - size:
                    break
                if i:
                    queued.append((True, ","))
                if isinstance(item, dict):
                    queued += [(False, str(entry[0])), (True, ":"), (False, entry[1])]
                else:
                    queued.append((False, entry))
            todo.extend(reversed(queued))
        else:
            text = _scalar(item)
        parts.append(text)
        size += len(text)
    text = "".join(parts)
    return text if len(text) <= SHOW_LIMIT else text[:SHOW_LIMIT] + "..."


def _scalar(value: Any) -> str:
    """A JSON scalar's text as ``orjson.dumps`` writes it (a string cut past what is shown)."""
    if isinstance(value, str):
        value = value[: SHOW_LIMIT + 1]
    elif isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "null"
    elif isinstance(value, int):
        return str(value)  # (orjson refuses integers beyond 64 bits)
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # pragma: no cover - decoded JSON is always JSON again
        return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def compact(value: Any) -> str:
    """JSON on one line, a space after each ``:`` and ``,`` (integers exact: a page's JavaScript would round those beyond 2**53)."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _ordered(obj: Any, keys: tuple[str, ...]) -> Any:
    if not isinstance(obj, dict):
        return obj
    out = {k: obj[k] for k in keys if k in obj}
    out.update((k, v) for k, v in obj.items() if k not in out)
    return out


def format_body(body: dict[str, Any]) -> str:
    """A ``POST /v1/sinks`` body as the documentation writes it: keys in its order, one definition entry a line."""
    schema = _ordered(body.get("schema") or {}, ("type", "id_field", "primary_key_fields", "allow_missing_fields", "definition"))
    lines = ["{", f'  "name": {compact(body.get("name"))},', f'  "sink_details": {compact(_ordered(body.get("sink_details"), ("database_id", "table")))},']
    lines.append('  "schema": {')
    items = list(schema.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key == "definition" and isinstance(value, list):
            lines.append('    "definition": [')
            for j, entry in enumerate(value):
                lines.append("      " + compact(_ordered(entry, ("name", "path", "type", "config"))) + ("," if j < len(value) - 1 else ""))
            lines.append("    ]" + comma)
        else:
            lines.append(f"    {compact(key)}: {compact(value)}{comma}")
    lines += ["  }", "}"]
    return "\n".join(lines)


def check_name(name: Any) -> str | None:
    """The message ``mapper check`` gives for this source name (its ``/name`` error), or None when the name is valid."""
    ck = Checker()
    check_sink_name(ck, {"name": name}, ())
    errors = [p for p in ck.problems if p.severity == "error"]
    return errors[0].message if errors else None


# ---------------------------------------------------------------------------------------
# The form


def _form_field(form: dict[str, Any], key: str, kinds: tuple[type, ...], what: str) -> Any:
    value = form.get(key)
    if value is not None and not isinstance(value, kinds):
        raise ServiceError(400, INVALID_PARAMETER, f"{key} must be {what}, not {json_type(value)}")
    return value


def form_document(form: Any, catalog: Catalog) -> tuple[dict[str, Any], CatalogTable | None, str | None, list[dict[str, Any]]]:
    """The UI mapping document the form stands for, its table, its database id, and the problems of the form itself.

    ``form``: ``{"name", "database_id", "table", "columns": {"<column>": {"path": "data.x",
    "unit": "ms"}}, "allow_missing_fields": true | false | null, "sample"}`` (what the page
    sends). A column whose path is blank is not mapped. A ``unit`` (timestamp columns:
    the number's Unit) becomes the mapping's ``{"path", "config": {"Unit"}}``.
    """
    if not isinstance(form, dict):
        raise ServiceError(400, INVALID_BODY, f"the form must be a JSON object, not {json_type(form)}")
    unknown = [k for k in form if k not in _FORM_KEYS]
    if unknown:
        raise ServiceError(400, INVALID_PARAMETER, f"unknown form field {preview(str(unknown[0]))!r} (fields: {', '.join(_FORM_KEYS)})")
    name = _form_field(form, "name", (str,), "a string")
    db_id = _form_field(form, "database_id", (str,), "a string")
    table_name = _form_field(form, "table", (str,), "a string")
    columns = _form_field(form, "columns", (dict,), "an object")
    allow = _form_field(form, "allow_missing_fields", (bool,), "true or false")
    _form_field(form, "sample", (str,), "a string (the record's JSON text)")  # (previewed by draft; one of another type was ignored)
    problems: list[dict[str, Any]] = []
    entry: CatalogTable | None = None
    if not db_id:
        problems.append(_problem("error", "missing", "choose a database", "database"))
    elif db_id not in catalog.databases:
        problems.append(_problem("error", "unknown-database", f"no database {preview(db_id)!r} is registered with this service", "database"))
    elif not table_name:
        problems.append(_problem("error", "missing", "choose a table: choosing a table lists its columns to map", "table"))
    else:
        try:
            entry = catalog.table(db_id, table_name)
        except ServiceError as exc:
            problems.append(_problem("error", "unknown-table", exc.message, "table"))
    mapping: dict[str, Any] = {}
    for key, spec in (columns or {}).items():
        if not isinstance(spec, dict):
            raise ServiceError(400, INVALID_PARAMETER, f'columns.{preview(key)} must be an object {{"path", "unit"}}, not {json_type(spec)}')
        unknown = [k for k in spec if k not in _COLUMN_KEYS]
        if unknown:  # ("units": the Unit was dropped, as the form's own unknown fields are not)
            raise ServiceError(
                400, INVALID_PARAMETER, f"unknown field {preview(str(unknown[0]))!r} of column {preview(key)!r} (fields: {', '.join(_COLUMN_KEYS)})"
            )
        path = spec.get("path")
        unit = spec.get("unit")
        if path is not None and not isinstance(path, str):
            raise ServiceError(400, INVALID_PARAMETER, f"the path of column {preview(key)!r} must be a string, not {json_type(path)}")
        if unit is not None and not isinstance(unit, str):  # (said as Python writes it: "not \"['s']\"", an integer quoted as a string)
            raise ServiceError(
                400, INVALID_PARAMETER, f"the unit of column {preview(key)!r} must be a string, one of {', '.join(TIME_UNITS)}, not {json_type(unit)}"
            )
        if unit is not None and unit != "" and unit not in TIME_UNITS:
            raise ServiceError(400, INVALID_PARAMETER, f"the unit of column {preview(key)!r} is one of {', '.join(TIME_UNITS)}, not {preview(str(unit))!r}")
        if not path or not path.strip():
            continue  # left blank: not mapped
        mapping[key] = {"path": path.strip(), "config": {"Unit": unit}} if unit else path.strip()
    doc: dict[str, Any] = {"name": name if name is not None else "", "table": entry.sql if entry else "", "mapping": mapping}
    if allow is not None:
        doc["allow_missing_fields"] = allow
    return doc, entry, db_id, problems


def _problem(severity: str, code: str, message: str, field: str, column: str | None = None) -> dict[str, Any]:
    return {"severity": severity, "code": code, "message": message, "field": field, "column": column}


def _form_problem(p: Problem) -> dict[str, Any] | None:
    """A check problem placed on the form: the field (and column) its JSON Pointer names."""
    tokens = split_pointer(p.pointer)
    head = tokens[0] if tokens else ""
    if head == "mapping":
        if len(tokens) > 1:
            return _problem(p.severity, p.code, p.message, "column", tokens[1])
        return _problem(p.severity, p.code, p.message, "columns")
    if head == "allow_missing_fields":
        return _problem(p.severity, p.code, p.message, "missing")
    if head == "name":
        return _problem(p.severity, p.code, p.message, "name")
    if head == "table":
        if p.code == "unmapped-column":
            return None  # the form shows which columns are left blank
        return _problem(p.severity, p.code, p.message, "table")
    return _problem(p.severity, p.code, p.message, "form")


class _Compiled:
    """Compiled sinks of recent drafts (a page previews the same draft as its sample record changes)."""

    def __init__(self, size: int = 16):
        self.size = size
        self.lock = threading.Lock()
        self.cache: OrderedDict[str, Mapper] = OrderedDict()

    def get(self, body: dict[str, Any], sink: Sink) -> Mapper:
        key = orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
        with self.lock:
            m = self.cache.get(key)
            if m is not None:
                self.cache.move_to_end(key)
                return m
        m = Mapper(sink)
        with self.lock:
            self.cache[key] = m
            while len(self.cache) > self.size:
                self.cache.popitem(last=False)
        return m


_COMPILED = _Compiled()


def draft(form: Any, catalog: Catalog, taken: Any = None) -> dict[str, Any]:
    """Check the New Source form; the answer the page renders.

    ``{"valid", "problems": [{"severity", "code", "message", "field", "column"}], "body":
    the POST /v1/sinks body or null, "preview": ... or null}``. ``taken(name)`` says
    whether a source of that name exists already (the service would answer 409).
    """
    doc, entry, db_id, problems = form_document(form, catalog)
    name = doc["name"]
    message = check_name(name)
    if message is not None:
        problems.append(_problem("error", "invalid-name", message, "name"))
    elif taken is not None and taken(name):
        problems.append(_problem("error", "exists", f"a source named {name!r} exists already: choose another name", "name"))
    sink: Sink | None = None
    bad_paths: dict[str, str] = {}  # mapping key -> why the check refused its path (the preview does not parse it again)
    if entry is not None:
        result = check_sink(doc)
        for p in result.problems:
            if p.code in _PATH_REFUSED and p.severity == "error" and p.pointer.startswith("/mapping/"):
                bad_paths.setdefault(split_pointer(p.pointer)[1], p.message.splitlines()[0])
            if p.pointer == "/name":
                continue  # said above, in the same words
            shown = _form_problem(p)
            if shown is not None:
                problems.append(shown)
        sink = result.sink
    elif "allow_missing_fields" not in doc:  # (a field of its own: said with the database and the name, not once a table is chosen)
        problems.append(_problem("error", "missing", ALLOW_MISSING_REQUIRED, "missing"))
    body: dict[str, Any] | None = None
    if sink is not None and entry is not None and db_id is not None:
        body = sink.to_body()
        body["name"] = name
        body["sink_details"] = {"database_id": db_id, "table": entry.name}
        again = check_sink(body)  # the body is what `mapper check` reads: it must stand on its own
        if again.sink is None:  # pragma: no cover - a checked UI form always makes a valid body
            problems.extend(_problem("error", p.code, p.message, "form") for p in again.errors)
            body = None
        else:
            sink = again.sink
    valid = body is not None and not any(p["severity"] == "error" for p in problems)
    sample = form.get("sample") if isinstance(form, dict) else None
    out: dict[str, Any] = {
        "valid": valid,
        "problems": problems,
        "body": body if valid else None,
        # the body as JSON text: the page posts this very text (JavaScript numbers would round int64 bounds)
        "body_text": compact(body) if valid and body is not None else None,
        "body_shown": format_body(body) if valid and body is not None else None,
        "preview": None,
    }
    # (JSON's whitespace: a no-break space is previewed, refused; a byte order mark opening the box is taken
    # off as the preview and a paste take it off: one alone is no sample, not "Invalid JSON: ... (truncated)")
    if isinstance(sample, str) and sample.removeprefix("\ufeff").strip(" \t\r\n") and entry is not None:
        out["preview"] = preview_record(sample, entry, doc["mapping"], sink if body is not None else None, body, bad_paths)
    return out


# ---------------------------------------------------------------------------------------
# The sample record


def _found(record: Any, path_text: str) -> dict[str, Any]:
    """What a path finds in a decoded record: ``{"kind": "value" | "null" | "missing" | "not_an_object" | "bad_path", "text"}``."""
    try:
        path = parse_path(path_text)
    except MapperError as exc:
        return {"kind": "bad_path", "text": str(exc).splitlines()[0]}
    except RecursionError:
        return {"kind": "bad_path", "text": _TOO_DEEP}
    if path.keys is None:
        try:
            value = jmespath.search(path.expression or "", record)
        except RecursionError:
            return {"kind": "bad_path", "text": _TOO_DEEP}
        except EVALUATION_ERRORS as exc:  # this record's failure, as validate words it (ceil() of 1e400 overflows)
            return {"kind": "bad_path", "text": f"JMESPath expression failed: {evaluation_failure(exc)}"}
        # JMESPath gives null for an explicit null and for a missing key alike: mapper takes it as missing
        return {"kind": "missing", "text": "missing"} if value is None else {"kind": "value", "text": _show(value)}
    cur = record
    for i, key in enumerate(path.keys):
        if cur is None:
            return {"kind": "null", "text": f"null (at {'.'.join(path.keys[:i])})"}
        if not isinstance(cur, dict):
            where = ".".join(path.keys[:i]) or "the record"
            return {"kind": "not_an_object", "text": f"{where} is {json_type(cur)}, not an object"}
        if key not in cur:
            return {"kind": "missing", "text": "missing"}
        cur = cur[key]
    return {"kind": "null", "text": "null"} if cur is None else {"kind": "value", "text": _show(cur)}


#: The codes of a path the check refused (:func:`mapper.checks.check_path`).
_PATH_REFUSED = frozenset({"path-syntax", "path-too-deep"})


def preview_record(
    sample: str,
    entry: CatalogTable,
    mapping: dict[str, Any],
    sink: Sink | None,
    body: dict[str, Any] | None,
    bad_paths: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Per column of the table: the value its path finds in ``sample``, and what the endpoint would store (or the error).

    ``bad_paths``: why the check refused the path of a mapping key, said as that column's ``found``
    (``bad_path``) without parsing it again (a path of megabytes took seconds each time).

    ``{"error": str | None, "record_errors": [...], "stored": bool | None, "id": str | None,
    "columns": [{"column", "path", "found": {"kind", "text"}, "stored": {"kind", "text"} | null,
    "messages": [{"severity", "code", "message", "path"}]}]}``. ``stored`` kinds: ``value``,
    ``null`` (the stored value is cleared), ``missing`` (left alone), ``id`` (the column
    makes the record's ``_id``), ``refused`` (the record would not be stored). Without a
    valid definition only the values found are given.
    """
    # stripped as a paste is (JSON's whitespace): str.strip() also took Unicode spaces
    # (a no-break space copied from a page) that the service refuses; a leading byte order
    # mark taken off as a paste takes it off
    data = sample.encode("utf-8", "surrogatepass")
    if data.startswith(BOM):
        data = data[len(BOM) :]
    raw = data.strip(JSON_WS)
    out: dict[str, Any] = {"error": None, "record_errors": [], "stored": None, "id": None, "columns": []}
    problem = json_problem(data.rstrip(JSON_WS))  # (its leading lines kept: a position it names is the sample box's)
    if problem is not None:
        found = huge_number(raw) if _as_json(raw) is not _NOT_JSON else None
        if found is not None:  # worded as Send records words the record it keeps out of a body
            keys, offset, number = found
            where = _position(data, len(data) - len(data.lstrip(JSON_WS)) + offset)
            problem = f"{_beyond_float64(number, f' ({where}) at `{json_path(keys)}`')}: the endpoint refuses a whole body holding one"
        out["error"] = f"the sample record: {problem}" + _several(sample)
        return out
    record = service_loads(raw)  # (json_problem passed it: as the service reads it)
    if not isinstance(record, dict):
        out["error"] = f"the sample record must be a JSON object, not {json_type(record)}"
        if isinstance(record, str) and isinstance(_decoded_or_none(record.encode("utf-8", "surrogatepass")), dict):
            # a record as a log line or a message queue shows it: JSON text in a string
            out["error"] += ": the string holds a JSON object, written in it with its quotes escaped; paste that object (`jq -r . FILE` prints it)"
        if isinstance(record, list) and record and isinstance(record[0], dict):
            out["error"] += (
                ": the array holds 1 record; paste it without the brackets (`jq -c '.[0]' FILE` prints it)"
                if len(record) == 1
                else f": the array holds {len(record):,} records; paste one of them (`jq -c '.[0]' FILE` prints the first)"
            )
        return out
    if format_of(data) == "endpoint":  # (as Send records tells a body from a record)
        out["error"] = (
            'the sample record is an endpoint request body {"records": [{"value": {...}}]}, not a record: paste the value of one of'
            " its records (`jq -c '.records[0].value' FILE` prints the first)"
        )
        return out
    # a document of records pasted whole (dump1090's aircraft.json): every path finds "missing"; said why, first
    note = _records_inside("the sample record looks like a document holding records, not one of them", record, one=True)
    if note:
        out["record_errors"].append({"severity": "note", "code": "document", "message": note, "path": None})
    names = [c.name for c in entry.table.columns]
    # Each mapping key names its column as check_ui_mapping reads it: case-insensitively (go_lower)
    # (the first key of a column is the one taken; a key naming no column is not shown).
    targets = {RECORD_TIME_NAME.lower(): RECORD_TIME_NAME}
    targets.update((n, n) for n in names)  # (a column named _timequantum is that column)
    paths: dict[str, Any] = {}
    refused: dict[str, str] = {}  # column -> why its path was refused
    for key, value in mapping.items():
        target = targets.get(go_lower(str(key)))
        if target is not None and target not in paths:
            paths[target] = value["path"] if isinstance(value, dict) else value
            if bad_paths and key in bad_paths:
                refused[target] = bad_paths[key]
    if RECORD_TIME_NAME in paths:
        names.append(RECORD_TIME_NAME)
    messages: dict[str, list[dict[str, Any]]] = {}
    row: dict[str, Any] | None = None
    id_columns: set[str] = set()
    stored_names: set[str] = set()
    if sink is not None and body is not None:
        m = _COMPILED.get(body, sink)
        id_columns = {c.name for c in sink.identity_columns}
        stored_names = {c.name for c in sink.stored_columns}
        lead = len(data) - len(data.lstrip(JSON_WS))
        indent = line_of(data, lead)[1] - 1  # (a char a warning names counts from the box's line's start, as validate counts it)
        for p in m.check(raw):
            p = _moved(p, indent) if isinstance(p, ValueWarning) else p
            item = {"severity": p.severity, "code": getattr(p, "code", None) or getattr(p, "kind", ""), "message": p.reason, "path": p.path}
            if p.column is None:
                out["record_errors"].append(item)
            else:
                messages.setdefault(p.column, []).append(item)
        try:
            batch = m.map(raw, input_format="json", on_error="skip")
            rows = batch.to_rows()
        except BatchRejected:  # pragma: no cover - skip without max_errors never discards
            rows = []
        row = rows[0] if rows else None
        out["stored"] = row is not None
        out["id"] = _show(row["_id"]) if row is not None else None
    for name in names:
        path_text = paths.get(name)
        col: dict[str, Any] = {"column": name, "path": path_text, "found": None, "stored": None, "messages": messages.get(name, [])}
        if path_text is None:
            col["found"] = {"kind": "unmapped", "text": "not mapped"}
        elif name in refused:
            col["found"] = {"kind": "bad_path", "text": refused[name]}
        else:
            col["found"] = _found(record, path_text)
        if sink is not None and path_text is not None:
            if row is None:
                col["stored"] = {"kind": "refused", "text": "not stored: the record is refused"}
            elif name in id_columns and name not in stored_names:
                col["stored"] = {"kind": "id", "text": f"_id {_show(row['_id'])}"}
            else:
                value = row.get(name, MISSING)
                if value is MISSING:
                    col["stored"] = {"kind": "missing", "text": "nothing written (the stored value is left alone)"}
                elif value is None:
                    col["stored"] = {"kind": "null", "text": "null (the stored value is cleared)"}
                else:
                    col["stored"] = {"kind": "value", "text": _show(value)}
        out["columns"].append(col)
    return out


# ---------------------------------------------------------------------------------------
# Pasted records


class PasteError(ServiceError):
    """400 ``InvalidBody`` for a paste that cannot be sent, and where in the paste box its error is,
    as numbers beside the message (which says them in words): ``line``, the line of the paste
    the error is on (from 1; the line the page selects); ``char``, the character on it (from 1,
    as an editor counts them; None when the message names none: a record or a document cut
    short); ``record_line``, the line the record holding it starts on (None: the error is
    the paste's as a whole, a document or a body that does not parse)."""

    def __init__(self, message: str, line: int, char: int | None = None, record_line: int | None = None):
        super().__init__(400, INVALID_BODY, message)
        self.line = line
        self.char = char
        self.record_line = record_line

    def to_json(self) -> bytes:
        return orjson.dumps({"code": self.code, "message": self.message, "line": self.line, "char": self.char, "record_line": self.record_line})


class Paste(NamedTuple):
    """Pasted records read (:func:`paste_records`).

    ``body``: the request body of the records that can be sent; ``lines`` and ``shown``:
    per pasted record, in the paste's order, the line of the paste it starts on (None: not
    known) and its text as shown; ``held``: the records kept out of the body (by their
    index in the paste), each with why: JSON the endpoint's decoder refuses (a number beyond
    float64), which would make it refuse the whole body; ``cols``: per pasted record, the
    characters before it on the line of the paste it starts on (an indent, an array's
    ``[``, the records before it there, a body's ``{"value": ``), which an error's ``char``
    counts as ``mapper validate`` counts it (worked out when asked: :func:`in_records`).
    """

    body: bytes
    lines: list[int | None]
    shown: list[str]
    held: dict[int, RecordError]
    cols: Sequence[int]


#: A paste of no records, ``[]`` or the endpoint's body ``{"records": []}``: one refusal for both (the
#: body was sent, "0 of 0 records stored", a request counted against the endpoint's limits, while ``[]``
#: was refused), nothing sent.
NO_RECORDS = "nothing to send: the paste holds no records (an empty array); nothing was sent"


def paste_records(text: Any) -> Paste:
    """The request body for pasted records, each record's line, and each record's text (for display).

    Takes the endpoint's body ``{"records": [{"value": {...}}, ...]}`` (sent as pasted, each
    record on the line of the paste its value starts on), told from a record exactly as
    ``mapper validate`` tells it (:func:`mapper.engine.reader.format_of`, whose rule for an
    object is :func:`mapper.engine.reader.is_body`: ``{"Records": [{"Value": {...}}]}`` is a
    body, other keys beside its records ignored there as the endpoint ignores them; AWS's
    ``{"Records": [{"eventVersion": ...}]}`` is one record),
    one JSON object (pretty-printed or not: one record), and otherwise what ``mapper
    validate`` reads from the same text, by the engine's own rule
    (:func:`mapper.engine.reader.format_of`): NDJSON (one record a line, blank lines
    skipped), a JSON array of records (on one line or over several), or JSON objects one
    after another (pretty-printed, as ``jq .`` prints them), each record on the line it
    starts. A leading UTF-8 byte order mark (U+FEFF) is taken off first, as the engine
    takes it off (the endpoint's body too: Go's decoder refuses one). Records go into the body
    verbatim, as typed (``mapper.endpoint.encode_body``); one that is not an object goes
    in too, and the endpoint refuses it alone. A record that is not JSON cannot be put in
    a body: 400 ``InvalidBody`` naming its line, and nothing is sent (the service refuses
    a body that is not JSON whole). A record that is JSON but holds a number beyond
    float64 (``1e400``), which the endpoint's decoder refuses with the whole body holding
    it, is kept out of the body and refused alone (``held``), as ``mapper send`` refuses
    it; in a pasted body, sent as pasted, it refuses the whole paste, naming the record
    and where the number is, as the endpoint would refuse that body.
    """
    if not isinstance(text, str):
        raise ServiceError(400, INVALID_BODY, f"the records must be text, not {json_type(text)}")
    data = text.encode("utf-8", "surrogatepass")
    if data.startswith(BOM):  # an editor's mark, taken off as the engine takes it off any input (the service refuses it)
        data = data[len(BOM) :]
    stripped = data.strip(JSON_WS)
    if not stripped:
        raise ServiceError(400, INVALID_BODY, 'nothing to send: paste {"records": [{"value": {...}}]} or one JSON record a line')
    lead = len(data) - len(data.lstrip(JSON_WS))  # (where the text starts in the paste: lines are the paste's)
    whole: Any = _NOT_JSON
    problem = None
    if stripped[:1] == b"{":  # (as the service reads it; only what it refuses as the engine decodes it: a body holding 1e400 is one)
        problem = json_problem(stripped)
        whole = service_loads(stripped) if problem is None else _as_json(stripped)
    # a body exactly when mapper validate reads the same text as one (the engine's rule:
    # mapper.engine.reader.is_body; {"Records": [{"Value": ...}]} is one, AWS's event document not)
    fmt = format_of(data)
    if isinstance(whole, dict) and fmt == "endpoint":
        items = go_member(whole, "records")
        if problem is not None:  # JSON, but not for the endpoint's decoder: it refuses this body whole
            raise _body_refusal(data, lead, stripped, problem)
        if items is None:  # ("records": null: a body of none, as Go decodes it)
            raise ServiceError(400, INVALID_BODY, 'nothing to send: the body\'s "records" is null (no records); nothing was sent')
        if items == []:  # ({"records": []}: refused as [] is, in its words; the endpoint answers it "0 stored, 0 refused", a request counted)
            raise ServiceError(400, INVALID_BODY, NO_RECORDS)
        if not isinstance(items, list):  # refused whole, where mapper validate says it
            _document_records(data, endpoint_units(data))
            raise ServiceError(400, INVALID_BODY, f"the body's records must be an array, not {json_type(items)}")  # pragma: no cover - said above
        shown = []
        for item in items:
            value = go_member(item, "value", item) if isinstance(item, dict) else item
            shown.append(_show(value))
        body_lines, body_cols = _body_places(data)
        return Paste(stripped, body_lines, shown, {}, body_cols)
    raws: list[bytes]
    lines: list[int | None]
    cols: Sequence[int]
    if isinstance(whole, dict) and fmt != "endpoint":  # one record, on the line it starts (after blank lines, not line 1), after its indent
        line, char = line_of(data, lead)
        raws, lines, cols = [stripped], [line], [char - 1]
    elif fmt == "json":
        raws, lines, cols = _document_records(data, document_units(data))
    else:
        if fmt == "endpoint":  # a body that is not JSON: refused where mapper validate says it breaks, not read as NDJSON ("line 1: ... truncated")
            _document_records(data, endpoint_units(data))  # (raises: a body read whole was taken above)
        raws, lines, cols = _ndjson_records(data)
    if not raws:  # an array of no records ([] as typed): a body of none would only count a request
        raise ServiceError(400, INVALID_BODY, NO_RECORDS)
    held = _held(data, raws, lines)
    return Paste(encode_body([r for i, r in enumerate(raws) if i not in held]), lines, [_cut(r) for r in raws], held, cols)


def paste_note(text: Any, paste: Paste, failed: int, not_objects: int) -> str:
    """Why the records of a paste failed (``failed`` of them with errors of their own,
    ``not_objects`` of those no JSON objects), when the paste's layout shows it, or ``""``: the
    notes ``mapper validate`` gives of the same text (:func:`mapper.engine.reader.head_note`), said
    in the page's terms. A paste of one object that holds arrays of objects making most of it
    (dump1090's ``aircraft.json``, a search API's ``{"statuses": [...]}``) is sent as one record,
    refused for the columns its records have; validate names the array and ``--records-path``,
    which the page has not: it says to paste the array's objects, with the ``jq`` that prints them.
    Asked only when records failed: valid pastes pay nothing."""
    if not failed or not isinstance(text, str):
        return ""
    data = text.encode("utf-8", "surrogatepass")
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if format_of(data) == "endpoint":  # (a body's records are its records)
        return ""
    if len(paste.lines) == 1:
        stripped = data.strip(JSON_WS)
        doc = _decoded_or_none(stripped) if stripped[:1] == b"{" else None
        return _records_inside("the paste is one JSON object, sent as one record", doc)
    lines = head_lines(data)
    docs = [_decoded_or_none(line) for line in lines]
    if len(docs) >= 2 and all(document_hint(doc) for doc in docs):  # a document a line (dump1090 snapshots): validate's note names --records-path
        first = f"each of the first {len(docs)} lines" if len(paste.lines) > len(docs) else "each line"
        return _records_inside(f"{first} of the paste is a JSON object holding records, sent as one record", docs[0])
    return head_note(lines, len(paste.lines), 2 * not_objects > failed)


def _decoded_or_none(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except (orjson.JSONDecodeError, RecursionError):
        return None


def _several(sample: str) -> str:
    """``""``, or, when the sample box holds several records as Send records reads them (NDJSON,
    objects one after another), how many and to paste one: the preview said "trailing characters at
    line 2 char 1 of the record" of the second line of records copied from a file."""
    try:
        lines = paste_records(sample).lines
    except (MapperError, RecursionError):  # (not records as a paste reads them either: the JSON error says enough)
        return ""
    if len(lines) < 2:
        return ""
    return f" (the box holds {len(lines):,} records, on lines {', '.join(str(n) for n in lines[:3])}{', ...' if len(lines) > 3 else ''}: paste one; the preview is of one record)"


def _records_inside(what: str, doc: Any, one: bool = False) -> str:
    """``what``, then where ``doc`` (a record that looks like a document of records) holds them and how to
    paste them (``one``: one of them, as the sample record); ``""`` if it does not."""
    if not document_hint(doc):
        return ""
    found = record_arrays(doc)
    program = jq_path(found[0][0])
    name = f"`{to_dot_notation(found[0][0])}`"
    if max(len(program), len(name)) > HINT_PATH_LENGTH:  # (a key of 100,000 characters: no command quoting it whole, twice)
        return f"{what}; arrays of objects are at {record_arrays_text(found)}: if those are the records, paste {'one of them' if one else 'them'} instead"
    if one:
        how = f"paste one of them as the sample record (`jq -c {shlex.quote(program + '[0]')} FILE` prints the first of {name})"
    else:
        how = f"paste them instead (`jq -c {shlex.quote(program + '[]')} FILE` prints those of {name} one a line)"
    return f"{what}; arrays of objects are at {record_arrays_text(found)}: if those are the records, {how}"


_NOT_JSON: Any = object()

_AT_CHAR = re.compile(r"(.* at char )(\d+)", re.S)


def in_records(paste: Paste, warnings: Sequence[ValueWarning]) -> list[ValueWarning]:
    """The warnings of the body a paste sent, each ``at char N`` counted from the start of the
    paste's line the record stands on, as ``mapper validate`` counts it of the paste's text: the
    engine counts it from the start of the body's line, and the body is not the paste (one the
    page built is one line, its records each after ``{"value":``; a pasted body was sent without
    the whitespace before it). Records keep their indices in the body."""
    if not any(w.kind == "utf8_replaced" for w in warnings):
        return list(warnings)
    body_cols = _columns(endpoint_units(paste.body))
    sent = [i for i in range(len(paste.lines)) if i not in paste.held]  # a body record's index in the paste
    out = []
    for w in warnings:
        if 0 <= w.record < min(len(body_cols), len(sent)) and sent[w.record] < len(paste.cols):
            w = _moved(w, paste.cols[sent[w.record]] - body_cols[w.record])
        out.append(w)
    return out


def _moved(w: ValueWarning, by: int) -> ValueWarning:
    """``w`` with the ``at char N`` it names (an unpaired surrogate escape's, on its record's first line) ``by`` characters on."""
    m = _AT_CHAR.fullmatch(w.sent) if w.kind == "utf8_replaced" and isinstance(w.sent, str) and by else None
    if m is None:
        return w
    return ValueWarning(w.record, w.line, w.column, w.path, w.kind, f"{m.group(1)}{int(m.group(2)) + by}", w.stored, w.hint, w.pointer, w.file)


def _as_json(raw: bytes) -> Any:
    """``raw`` decoded as the engine (Go's decoder) decodes it, a number beyond float64 as an
    :class:`~mapper.types.OutOfRangeNumber`; ``_NOT_JSON`` for text that is no JSON."""
    try:
        return decode_record(raw, False)[0]
    except RecordDecodeError:
        return _NOT_JSON


def _refusable(raw: bytes, column: int = 0) -> tuple[str, tuple[int, int] | None] | None:
    """Why ``raw`` cannot go into a body as the endpoint reads it, when that is because it is not JSON (refuse the paste); None otherwise.
    With it, the line of ``raw`` (from 1) and the character on that line of the paste the words place the
    error at (None: they name no place).

    ``column``: the characters before ``raw`` on its line of the paste (a place ``at char N`` counts them)."""
    found = json_problem_at(raw, column)
    if found is None or _as_json(raw) is not _NOT_JSON:
        return None  # fine, or JSON the endpoint's decoder refuses: held back alone (_held)
    problem, offset = found
    if offset is None:
        return problem, None
    line, char = line_of(raw, offset)
    return problem, (line, char + column if line == 1 else char)


def _held(data: bytes, raws: list[bytes], lines: list[int | None]) -> dict[int, RecordError]:
    """The records (JSON, every one) that the endpoint's decoder would refuse, with the body holding them: by index, why."""
    held: dict[int, RecordError] = {}
    pos = 0
    for i, (raw, line) in enumerate(zip(raws, lines)):
        at = data.find(raw, pos)  # (each record's text is the paste's, in order: where it stands)
        if at >= 0:
            pos = at + len(raw)
        problem = json_problem(raw)
        if problem is None:
            continue
        found = huge_number(raw)
        if found is None:  # pragma: no cover - orjson and Go's decoder differ only in numbers beyond float64 here
            held[i] = RecordError(i, line, None, None, "invalid_json", f"{problem}: the endpoint refuses a whole body holding this record, so it was not sent")
            continue
        keys, offset, number = found
        where = f" ({_position(data, at + offset)})" if at >= 0 else ""
        reason = f"{_beyond_float64(number, where)}: the endpoint refuses a whole body holding one, so this record was not sent"
        held[i] = RecordError(i, line, None, json_path(keys), "out_of_range", reason)
    return held


def _body_refusal(data: bytes, lead: int, body: bytes, problem: str) -> ServiceError:
    """Why a pasted body is refused whole (it is JSON, but holds what the endpoint's decoder refuses): the record, where."""
    found = huge_number(body)
    if found is None:  # pragma: no cover - orjson and Go's decoder differ only in numbers beyond float64 here
        return ServiceError(400, INVALID_BODY, f"the body: {problem}; nothing was sent")
    keys, offset, number = found
    record = ""
    if len(keys) >= 2 and isinstance(keys[0], str) and isinstance(keys[1], int) and go_field_key(keys[0], "records"):
        record = f"record {keys[1] + 1}, "
    line, char = line_of(data, lead + offset)
    message = (
        f"{record}line {line} char {char}: {_beyond_float64(number, f' at `{json_path(keys)}`')}, "
        "and the endpoint refuses a whole body holding one; nothing was sent "
        "(paste the records alone, one a line, to send the others)"
    )
    return PasteError(message, line, char)  # (the body refused whole: no record_line)


def _beyond_float64(number: str, where: str) -> str:
    """A number the endpoint's decoder refuses, as Send records and the sample preview word it (``where``: after the number)."""
    return beyond_float64_reason(f"{preview(number)}{where}")


def _position(data: bytes, offset: int) -> str:
    """``line 3 char 20``: where a byte of the paste is, as an editor counts (characters, from 1)."""
    return "line {} char {}".format(*line_of(data, offset))


def _columns(units: Iterable[Unit]) -> Sequence[int]:
    """The characters before each record of these units on the line it starts on, looked up when asked."""
    parts: list[Sequence[int]] = []
    ends: list[int] = []
    for unit in units:
        if isinstance(unit, RawRecords):
            parts.append(unit.cols if unit.cols is not None else [0] * len(unit.raws))
            ends.append((ends[-1] if ends else 0) + len(unit.raws))
    return JoinedColumns(parts, ends)


def _body_places(data: bytes) -> tuple[list[int | None], Sequence[int]]:
    """The line of the paste each record of a pasted body starts on (where its value starts), and the characters before it there."""
    units = list(endpoint_units(data))  # (the paste, whitespace before the body included: its lines and chars are the paste's)
    lines: list[int | None] = []
    for unit in units:
        if isinstance(unit, RawRecords):
            lines.extend(unit.lines if unit.lines is not None else [None] * len(unit.raws))
    return lines, _columns(units)


def _ndjson_records(data: bytes) -> tuple[list[bytes], list[int | None], list[int]]:
    """The records of NDJSON, one a line (blank lines skipped), each checked as the service checks it; their lines and indents."""
    raws: list[bytes] = []
    lines: list[int | None] = []
    cols: list[int] = []
    for number, text in enumerate(data.split(b"\n"), 1):
        text = text.rstrip(JSON_WS)  # (its indent kept for the check: a position it names is the paste line's)
        line = text.lstrip(JSON_WS)
        if not line:
            continue
        refused = _refusable(text)
        if refused is not None:
            problem, place = refused
            if number == 1:  # (a mark at char 1 of the first line: the paste's first was taken off, this is a second)
                problem = second_bom(problem)
            message = f"line {number}: {problem}; nothing was sent (one JSON record a line, or the endpoint's body)"
            raise PasteError(message, number, None if place is None else place[1], number)
        raws.append(line)
        lines.append(number)
        cols.append(len(text) - len(line))  # (JSON's whitespace: a character a byte)
    return raws, lines, cols


def _document_records(data: bytes, units: Iterable[Unit]) -> tuple[list[bytes], list[int | None], Sequence[int]]:
    """The records of a JSON array, or of JSON values one after another spread over lines,
    as the engine reads them (``units``: :func:`mapper.engine.reader.document_units`, or for
    a body :func:`~mapper.engine.reader.endpoint_units`): each its own text, as typed, on
    the line it starts, after the characters before it there; each checked as the service
    checks it (a broken one is refused naming the line it starts on)."""
    raws: list[bytes] = []
    lines: list[int | None] = []
    read: list[Unit] = []
    for unit in units:
        if isinstance(unit, BrokenDocument):
            named = unit.failure.line_named if unit.failure is not None else None  # ("at line 3 char 2": placed already)
            where = "" if unit.line is None or unit.line == named else f"line {unit.line}: "
            message = unit.reason
            if unit.hint:  # (the reader's hint names mapper validate's option: the page has none)
                message += "; the paste holds several JSON values: put each record on a line of its own, or all of them in one array"
            message = f"{where}{message}; nothing was sent"
            # the place the words name: the line of the detail (a document over lines), else the unit's (one line, or cut short)
            line = unit.place.line if unit.place is not None and unit.place.line is not None else unit.line
            if line is None:
                raise ServiceError(400, INVALID_BODY, message)
            raise PasteError(message, line, unit.place.char if unit.place is not None else None)
        if isinstance(unit, RawRecords):
            found = list(unit.lines) if unit.lines is not None else [None] * len(unit.raws)
            cols = unit.cols if unit.cols is not None else [0] * len(unit.raws)
            for raw, number, col in zip(unit.raws, found, cols):
                refused = _refusable(raw, col)  # (placed on the paste's line: the column is read only by a refusal)
                if refused is not None:
                    problem, place = refused
                    where = f"line {number}" if number is not None else f"record {len(raws) + 1}"  # (from 1, as the page numbers records)
                    message = f"{where}: {problem}; nothing was sent"
                    if number is None:  # pragma: no cover - the reader gives every record of a paste its line
                        raise ServiceError(400, INVALID_BODY, message)
                    # (a record over lines: the error's line of the paste is the record's line + its own, less one)
                    raise PasteError(message, number if place is None else number + place[0] - 1, None if place is None else place[1], number)
                raws.append(raw)
                lines.append(number)
            read.append(unit)
        # (a Notice, about a lone object holding arrays, is for mapper validate's report)
    return raws, lines, _columns(read)


def _cut(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return text if len(text) <= SHOW_LIMIT else text[:SHOW_LIMIT] + "..."
