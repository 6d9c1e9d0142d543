"""`mapper check` on sink definitions: small problems a hunt found (an identity naming a
name two entries share, spaces JMESPath drops from a path string, the escape an Epoch is
written with, the excerpt of a CREATE TABLE statement under its caret)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import mapper
from mapper.table import TableSyntaxError, parse_create_table


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


# 2. spaces around the keys of a path string


@pytest.mark.parametrize(
    ("path", "keys", "quoted"),
    [
        (" a ", ["a"], '\'" a "\' as a path string, or [" a "] as an array of keys'),
        ("a . b", ["a", "b"], '\'"a "." b"\' as a path string, or ["a ", " b"] as an array of keys'),
        ('"a b" ', ["a b"], "put them inside its quotes, or give the path as an array of keys"),
    ],
)
def test_spaces_jmespath_drops_from_a_path_string_are_a_warning(path: str, keys: list[str], quoted: str) -> None:
    # " a " was read as the key "a", the spaces dropped with no word: a producer may mean a key holding them
    result = mapper.check_sink([{"name": "x", "path": path, "type": "int"}], id_field="x", allow_missing_fields=True)
    assert result.valid and result.sink is not None and result.sink.columns[0].path.keys == tuple(keys)  # read as before
    assert [(p.severity, p.pointer, p.code) for p in result.problems] == [("warning", "/0/path", "path-spaces")]
    assert f"reads the keys {json.dumps(keys)}" in result.problems[0].message and quoted in result.problems[0].message


def test_paths_without_dropped_spaces_get_no_warning() -> None:
    for path in ("a.b", '"a b".c', ["a ", " b"], 'a."x y"', "a[0]"):
        problems = [p.code for p in mapper.check_sink([{"name": "x", "path": path, "type": "int"}], id_field="x", allow_missing_fields=True).problems]
        assert "path-spaces" not in problems, path


def test_the_ui_mapping_warns_of_dropped_spaces_at_its_entry() -> None:
    ui = {"name": "s", "allow_missing_fields": True, "table": "CREATE TABLE t (_id ID, x INT)", "mapping": {"_id": "id", "x": " a "}}
    assert [(p.pointer, p.code) for p in mapper.check_sink(ui).problems if p.severity != "note"] == [("/mapping/x", "path-spaces")]


# 3. the escape an Epoch is written with


_BODY = '{"id_field": "id", "allow_missing_fields": true, "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": ["t"], "type": "timestamp", "config": {"Unit": "s", %s}}]}'


def _errors(config: str) -> list[tuple[str, str, str]]:
    return [(p.pointer, p.code, p.message) for p in mapper.check_sink((_BODY % config).encode()).problems if p.severity == "error"]


def test_an_epoch_escape_is_named_as_written() -> None:
    # the message said "(\u...)" whatever the escape was
    ((pointer, code, message),) = _errors('"Epoch": "2000-01-01T00:00:00\\u005a"')
    assert (pointer, code) == ("/definition/1/config/Epoch", "invalid-epoch")
    assert "with the JSON escape \\u005a:" in message and "('Z' for \\u005a)" in message and "\\u..." not in message
    ((_, _, message),) = _errors('"Epoch": "\\u0032000-01-01T00:00:00\\u005a"')
    assert "with the JSON escapes \\u0032 and \\u005a:" in message and "('2' for \\u0032, 'Z' for \\u005a)" in message


def test_an_epoch_given_twice_is_judged_on_each_value_as_written() -> None:
    # the first value written with \n (no time: said so), the second without escapes: the escape
    # was blamed on the second, as "(\u...)", which it does not hold
    errors = _errors('"Epoch": "2000-01-01T00:00:00Z\\n", "Epoch": "2000-01-01T00:00:00Z"')
    assert [(p, c) for p, c, _ in errors] == [("/definition/1/config/Epoch", "invalid-epoch")]
    assert "is not an RFC 3339 time" in errors[0][2] and "JSON escape" not in errors[0][2]
    # the escaped one second (or first): said once, of the value that holds it
    for config in (
        '"Epoch": "2000-01-01T00:00:00Z", "Epoch": "2000-01-01T00:00:00\\u005a"',
        '"Epoch": "2000-01-01T00:00:00\\u005a", "Epoch": "2000-01-01T00:00:00Z"',
    ):
        errors = _errors(config)
        assert len(errors) == 1 and "with the JSON escape \\u005a" in errors[0][2], config
    assert _errors('"Epoch": 5, "Epoch": "2000-01-01T00:00:00\\u005a"')[-1][2].endswith("('Z' for \\u005a)")


def test_an_escaped_epoch_of_the_ui_mapping_is_named_too() -> None:
    ui = (
        '{"name": "x", "allow_missing_fields": true, "table": "CREATE TABLE t (_id STRING, ts TIMESTAMP TIMEUNIT \'s\')",'
        ' "mapping": {"_id": "id", "ts": {"path": "ts", "config": {"Epoch": "2000-01-01T00:00:00\\u005a"}}}}'
    )
    errors = [p for p in mapper.check_sink(ui).problems if p.severity == "error"]
    assert [(p.pointer, p.code) for p in errors] == [("/mapping/ts/config/Epoch", "invalid-epoch")] and "escape \\u005a" in errors[0].message


# 4. the caret excerpt of a CREATE TABLE statement


@pytest.mark.parametrize("ch", ["\x00", "\x1b", "\x1c", "\u200b"])
def test_the_caret_points_at_the_character_as_the_message_names_it(ch: str) -> None:
    # "\x00" after the statement: the message said '\x00', the excerpt showed U+FFFD
    with pytest.raises(TableSyntaxError) as info:
        parse_create_table(f"CREATE TABLE t (_id ID, a INT);{ch}")
    escape = repr(ch)[1:-1]
    assert repr(ch) in info.value.message
    _, excerpt, caret = str(info.value).split("\n")
    assert "\ufffd" not in excerpt and excerpt.index(escape) == caret.index("^")
    # a character not printable before the caret widens the excerpt: the caret still points under its own
    with pytest.raises(TableSyntaxError) as info:
        parse_create_table(f"CREATE TABLE t (_id ID, a INT) COMMENT 'x{ch}y' z")
    _, excerpt, caret = str(info.value).split("\n")
    assert f"'x{escape}y' z" in excerpt and excerpt[caret.index("^")] == "z"


def test_the_ui_form_shows_the_escape_under_its_caret() -> None:
    ui = {"name": "s", "allow_missing_fields": True, "table": "CREATE TABLE t (_id ID, x INT);\x00", "mapping": {"_id": "id"}}
    (problem,) = [p for p in mapper.check_sink(ui).problems if p.severity == "error"]
    _, excerpt, caret = problem.message.split("\n")
    assert "found '\\x00'" in problem.message and excerpt[caret.index("^") :].startswith("\\x00")
