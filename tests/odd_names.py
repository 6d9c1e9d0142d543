"""Sinks whose columns have names FeatureBase refuses (``a.present``, a NUL, 239 characters):
``check`` refuses such a definition (``column-name``: no FeatureBase table has the column), but
a :class:`mapper.Sink` built in Python, or renamed with ``dataclasses.replace``, is compiled
with the names it has, and every writer must still keep them apart. Tests of the writers
make them here."""

from __future__ import annotations

import dataclasses
from typing import Any

import mapper


def odd_named(definition: dict[str, Any]) -> mapper.Sink:
    """The Sink of ``definition`` (a schema, or a POST /v1/sinks body), its columns named as its
    entries are, whatever FeatureBase's name rule says: loaded with names the rule takes, then
    renamed (identity fields name columns by their names as given)."""
    schema = definition.get("schema", definition)
    entries = schema["definition"]
    placeholder = {e["name"]: f"c{i}" for i, e in enumerate(entries)}
    renamed = {**schema, "definition": [{**e, "name": placeholder[e["name"]]} for e in entries]}
    for key in ("id_field",):
        if key in renamed:
            renamed[key] = placeholder[renamed[key]]
    if "primary_key_fields" in renamed:
        renamed["primary_key_fields"] = [placeholder[n] for n in renamed["primary_key_fields"]]
    sink = mapper.load_sink(renamed)
    back = {v: k for k, v in placeholder.items()}
    return dataclasses.replace(
        sink,
        columns=tuple(dataclasses.replace(c, name=back[c.name]) for c in sink.columns),
        id_field=back.get(sink.id_field) if sink.id_field is not None else None,
        primary_key_fields=tuple(back[n] for n in sink.primary_key_fields) if sink.primary_key_fields is not None else None,
    )
