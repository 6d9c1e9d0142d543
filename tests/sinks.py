"""Sink definitions the tests write again and again, built by one helper.

:func:`sink` makes the POST /v1/sinks body (the spec's *body* form), :func:`schema` its
``schema`` object alone (the form a bare schema is checked in), :func:`column` one entry
of the definition. Each call returns new dicts, so a test may edit what it gets.
The keys come in the order most of the tests wrote them (type, identity,
allow_missing_fields, definition), so a definition written as JSON text reads as before.

A test whose point is the literal text of a definition (a key spelt oddly, a duplicate
key, a value of the wrong type) keeps writing it out.
"""

from __future__ import annotations

from typing import Any

#: The ``sink_details.database_id`` of the tests' bodies (mapper keeps it as given: any text serves).
DATABASE_ID = "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e"


def column(name: str, type: str, path: Any = None, **config: Any) -> dict[str, Any]:
    """A definition entry: its ``path`` is ``[name]`` unless given, its ``config`` the keywords given, if any."""
    entry: dict[str, Any] = {"name": name, "path": [name] if path is None else path, "type": type}
    if config:
        entry["config"] = config
    return entry


def schema(
    *columns: dict[str, Any],
    id_field: Any = None,
    primary_key_fields: Any = None,
    allow_missing: Any = True,
    schema_type: str | None = None,
) -> dict[str, Any]:
    """A sink's ``schema``: its ``type`` if given, the identity given (``id_field`` or ``primary_key_fields``), ``allow_missing_fields``, the columns."""
    out: dict[str, Any] = {} if schema_type is None else {"type": schema_type}
    if id_field is not None:
        out["id_field"] = id_field
    if primary_key_fields is not None:
        out["primary_key_fields"] = primary_key_fields
    out["allow_missing_fields"] = allow_missing
    out["definition"] = list(columns)
    return out


def sink(
    *columns: dict[str, Any],
    name: str = "t",
    table: str | None = None,
    id_field: Any = None,
    primary_key_fields: Any = None,
    allow_missing: Any = True,
    schema_type: str | None = "json",
    database_id: str = DATABASE_ID,
) -> dict[str, Any]:
    """A POST /v1/sinks body: ``name``, ``sink_details`` (its ``table`` the name unless given), and :func:`schema` of the rest."""
    details = {"database_id": database_id, "table": name if table is None else table}
    body = schema(*columns, id_field=id_field, primary_key_fields=primary_key_fields, allow_missing=allow_missing, schema_type=schema_type)
    return {"name": name, "sink_details": details, "schema": body}


def id_sink(*columns: dict[str, Any], **options: Any) -> dict[str, Any]:
    """The small sink most tests map with: an ``id`` column of type id as its ``id_field``, then ``columns``, missing fields allowed."""
    return sink(column("id", "id"), *columns, id_field="id", **options)


def id_schema(*columns: dict[str, Any], **options: Any) -> dict[str, Any]:
    """:func:`id_sink`'s schema alone (no ``type``, as the bare schemas are written)."""
    return schema(column("id", "id"), *columns, id_field="id", **options)
