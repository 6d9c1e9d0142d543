"""`mapper check` on sink definitions: small problems a hunt found (an identity naming a
name two entries share, spaces JMESPath drops from a path string, the escape an Epoch is
written with, the excerpt of a CREATE TABLE statement under its caret)."""

from __future__ import annotations

from typing import Any

import mapper


def _problems(definition: Any, **options: Any) -> list[tuple[str, str, str]]:
    return [(p.pointer, p.code, p.message) for p in mapper.check_sink(definition, **options).problems]


def _schema(entries: list[dict[str, Any]], **identity: Any) -> dict[str, Any]:
    return {**identity, "allow_missing_fields": True, "definition": entries}


# 1. an identity naming a name two entries share


def test_an_id_field_two_entries_name_is_ambiguous_and_judged_on_the_first_entry() -> None:
    # the string entry first, the int one after: only duplicate-name was said (the type was
    # judged on the last entry, the int, while by_name, the suggestions' source, held the first)
    entries = [{"name": "a", "path": ["a"], "type": "string"}, {"name": "a", "path": ["b"], "type": "int"}]
    problems = _problems(_schema(entries, id_field="a"))
    assert [(p, c) for p, c, _ in problems] == [
        ("/definition/1/name", "duplicate-name"),
        ("/id_field", "ambiguous-column"),
        ("/id_field", "identity-type"),
    ]
    assert "/definition/0 and /definition/1 share the name" in problems[1][2] and "on the first, /definition/0" in problems[1][2]
    assert "a string column (the first entry of that name, /definition/0)" in problems[2][2]
    # the int entry first: it is the identity's type (no identity-type), still ambiguous
    problems = _problems(_schema(entries[::-1], id_field="a"))
    assert [(p, c) for p, c, _ in problems] == [("/definition/1/name", "duplicate-name"), ("/id_field", "ambiguous-column")]


def test_an_ambiguous_identity_given_as_an_option_or_as_primary_keys_is_said_too() -> None:
    entries = [{"name": "a", "path": ["a"], "type": "strings"}, {"name": "a", "path": ["b"], "type": "string"}, {"name": "a", "path": ["c"], "type": "int"}]
    problems = _problems(entries, id_field="a", allow_missing_fields=True)  # (a bare array: the option's pointer is the root)
    assert [(p, c) for p, c, _ in problems if c not in ("duplicate-name",)] == [("", "ambiguous-column"), ("", "identity-type")]
    assert "/0, /1 and /2 share the name" in problems[2][2]
    problems = _problems(_schema(entries, primary_key_fields=["a"]))
    assert [(p, c) for p, c, _ in problems if c != "duplicate-name"] == [
        ("/primary_key_fields/0", "ambiguous-column"),
        ("/primary_key_fields/0", "identity-type"),
    ]
    assert "a strings column (the first entry of that name, /definition/0)" in problems[-1][2]
    # the first entry broken (no valid type): the identity's type is not judged, its ambiguity is said
    broken = [{"name": "a", "path": ["a"], "type": "nope"}, {"name": "a", "path": ["b"], "type": "string"}]
    assert [c for _, c, _ in _problems(_schema(broken, id_field="a"))] == ["unknown-type", "duplicate-name", "ambiguous-column"]


def test_an_identity_one_entry_names_is_not_ambiguous() -> None:
    entries = [{"name": "a", "path": ["a"], "type": "int"}, {"name": "b", "path": ["b"], "type": "string"}]
    assert _problems(_schema(entries, id_field="a")) == []
    assert [c for _, c, _ in _problems(_schema(entries, id_field="b"))] == ["identity-type"]
    assert [c for _, c, _ in _problems(_schema(entries, id_field="c"))] == ["unknown-column"]
