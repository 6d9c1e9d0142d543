"""Found by a hostile user of infer, check and explain (from the command line and Python)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import mapper

DATA = Path(os.environ.get("MAPPER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _codes(definition: Any, **options: Any) -> list[tuple[str, str]]:
    return [(p.pointer, p.code) for p in mapper.check_sink(definition, **options).problems]


def _schema(*entries: dict[str, Any], id_field: str = "a") -> dict[str, Any]:
    return {"id_field": id_field, "allow_missing_fields": True, "definition": [{"name": "a", "path": ["a"], "type": "id"}, *entries]}


@pytest.mark.parametrize(
    "other",
    [
        {"name": "a", "path": ["c"], "type": "int"},  # a duplicate name
        {"name": "i", "path": [], "type": "int"},  # an empty path
        {"name": "j", "path": ["j"], "type": "nope"},  # an unknown type
    ],
)
def test_a_column_named_id_is_said_whatever_else_is_wrong(other: dict[str, Any]) -> None:
    # `_id` as a stored column was checked only once the whole definition was valid, so
    # any other error hid it: check did not give every problem in one pass
    codes = _codes(_schema({"name": "_id", "path": ["d"], "type": "id"}, other))
    assert ("/definition/1/name", "reserved-name") in codes
    assert len(codes) >= 2


def test_a_column_named_id_is_fine_as_the_identity() -> None:
    schema = {
        "id_field": "_id",
        "allow_missing_fields": True,
        "definition": [{"name": "_id", "path": ["d"], "type": "id"}, {"name": "i", "path": [], "type": "int"}],
    }
    assert ("/definition/0/name", "reserved-name") not in _codes(schema)
    one_key = {"primary_key_fields": ["_id"], "allow_missing_fields": True, "definition": [{"name": "_id", "path": ["d"], "type": "string"}]}
    assert _codes(one_key) == []


def test_a_type_note_counts_the_values_it_changes_apart_from_those_it_refuses() -> None:
    # `--type f=id` on 1.25, -3.5 and 7 said "stores 1 of 3 values as sent; the endpoint would
    # refuse the 1 record holding the others": 1.25, stored as 1, was neither
    text = b'{"id": 1, "f": 1.25}\n{"id": 2, "f": -3.5}\n{"id": 3, "f": 7}\n'
    result = mapper.infer(text, types={"f": "id"})
    note = next(n for n in result.notes if n.startswith("f: "))
    assert "stores 1 of 3 values as sent and 1 changed; the endpoint would refuse the record holding the other (e.g. -3.5)" in note, note
    assert result.verified == {"records": 3, "refused": 1, "errors": {"out_of_range": 1}}


@pytest.mark.parametrize(
    "form",
    [
        lambda path: _schema({"name": "p", "path": path, "type": "string"}),
        lambda path: {"name": "t", "allow_missing_fields": True, "table": "CREATE TABLE t (_id ID, p STRING)", "mapping": {"_id": "id", "p": path}},
        lambda path: {"name": "t", "allow_missing_fields": True, "table": "CREATE TABLE t (_id ID, p STRING)", "mapping": {"_id": "id", "p": {"path": path}}},
    ],
)
def test_a_path_string_holding_half_a_surrogate_pair_is_one_error(form: Any) -> None:
    # it was two at one pointer: invalid-unicode, then path-syntax quoting the key as "a\ufffd"
    problems = mapper.check_sink(form("a\ud800")).problems
    assert [p.code for p in problems] == ["invalid-unicode"], problems
    # a syntax error of its own is still said, as is an escaped half pair (no invalid-unicode there)
    assert [p.code for p in mapper.check_sink(form("a..b")).problems] == ["path-syntax"]
    assert [p.code for p in mapper.check_sink(form('a."\\ud800"')).problems] == ["path-syntax"]


def test_include_and_exclude_take_a_key_holding_glob_characters_by_its_dot_path() -> None:
    # a key `a[1]` is the path "a[1]" (as the presence report prints it), but the glob
    # '"a[1]"' read [1] as a class and matched only "a1": no --include could name the key
    text = b'{"id": 1, "a[1]": 1, "a1": 2, "b": {"c[x]": 3}}\n'
    paths = lambda **kw: [tuple(d["path"]) for d in mapper.infer(text, **kw).body["schema"]["definition"]]  # noqa: E731
    assert paths(include=['"a[1]"']) == [("id",), ("a[1]",)]
    assert paths(exclude=['"a[1]"', 'b."c[x]"']) == [("id",), ("a1",)]
    assert paths(include=["a[1]"]) == [("id",), ("a1",)]  # (a glob is still a glob)


def test_an_escaped_epoch_that_is_no_time_anyway_is_said_to_be_no_time() -> None:
    # "...Z\n" cannot be written without its escape: the error told to "write the characters
    # themselves", which would still be no RFC 3339 time
    entry = '{"name": "t", "path": ["t"], "type": "timestamp", "config": {"Epoch": %s, "Unit": "s"}}'
    text = '{"id_field": "id", "allow_missing_fields": true, "definition": [{"name": "id", "path": ["id"], "type": "id"}, %s]}'
    problems = mapper.check_sink((text % (entry % '"1970-01-01T00:00:00Z\\n"')).encode()).problems
    assert [(p.pointer, p.code) for p in problems] == [("/definition/1/config/Epoch", "invalid-epoch")]
    assert "is not an RFC 3339 time" in problems[0].message and "write the characters themselves" not in problems[0].message
    # a time that only its escape spoils is still said so
    problems = mapper.check_sink((text % (entry % '"1970-01-01T00:00:00\\u005a"')).encode()).problems
    assert [p.code for p in problems] == ["invalid-epoch"] and "write the characters themselves" in problems[0].message


def _stamps(first: str, n: int, other: str) -> bytes:
    return b"".join(b'{"id": %d, "created_at": %s}\n' % (i, (first if i < n else other).encode()) for i in range(n + 1))


def test_a_conflicts_timestamp_row_is_what_its_type_option_gives() -> None:
    # webhooks' repository.created_at: ISO strings, and epoch ints in push payloads. The row
    # offered "timestamp 1 stored as sent, 5 refused  --type created_at=timestamp" (epochs),
    # but that option typed the strings: 5 stored as sent, 1 refused
    text = _stamps('"2019-05-15T15:19:20Z"', 5, "1557933565")
    result = mapper.infer(text)
    rows = [(t["type"], t["exact"], t["refused"]) for t in result.conflicts["created_at"]["alternatives"]]
    assert rows == [("string", 5, 0), ("timestamp", 5, 1)], rows
    typed = mapper.infer(text, types={"created_at": "timestamp"})
    assert typed.conflicts["created_at"]["alternatives"][0]["exact"] == 5 and typed.verified["refused"] == 1  # type: ignore[index]


def test_a_type_option_naming_the_chosen_timestamp_keeps_it() -> None:
    # epoch ints with one ISO string: infer chose the epoch timestamp (5 of 6 as sent), but
    # --type created_at=timestamp, the same type, made it a string-layout one storing 1 of 6
    text = _stamps("1557933565", 5, '"2019-05-15T15:19:20Z"')
    chosen = mapper.infer(text).body["schema"]["definition"][1]
    typed = mapper.infer(text, types={"created_at": "timestamp"})
    assert chosen["config"] == {"Unit": "s", "Granularity": "s"}
    assert typed.body["schema"]["definition"][1] == chosen
    assert typed.verified == {"records": 6, "refused": 1, "errors": {"invalid_value": 1}}


def test_options_take_a_column_name_the_draft_suffixed_and_do_not_rename_columns() -> None:
    # the draft names the key "a.b" a_b and the path a.b a_b_2; --type a_b_2=... and
    # --id-field a_b_2 were "not a path of the records (nor a column name of the draft)",
    # and --id-field a.b renamed the columns (the identity, named first, took a_b)
    text = b'{"id": 1, "a.b": "x", "a": {"b": 5}}\n{"id": 2, "a.b": "y", "a": {"b": 6}}\n'
    names = lambda result: {tuple(d["path"]): d["name"] for d in result.body["schema"]["definition"]}  # noqa: E731
    drafted = names(mapper.infer(text))
    assert drafted == {("id",): "id", ("a.b",): "a_b", ("a", "b"): "a_b_2"}
    typed = mapper.infer(text, types={"a_b_2": "string"})
    assert names(typed) == drafted and typed.body["schema"]["definition"][2]["type"] == "string"
    for option in ("a_b_2", "a.b"):
        keyed = mapper.infer(text, id_field=option)
        assert keyed.body["schema"]["id_field"] == "a_b_2" and names(keyed) == drafted


def test_a_bool_type_option_over_integers_says_it_stores_them_as_true() -> None:
    # --type v=bool on 2, 0, 1 (no conflict: one JSON type) said nothing, and validate does not
    # warn about 2 stored as true: the values were lost without a word
    text = b'{"id": 1, "v": 2}\n{"id": 2, "v": 0}\n{"id": 3, "v": 1}\n'
    notes = [n for n in mapper.infer(text, types={"v": "bool"}).notes if n.startswith("v: ")]
    assert notes == ["v: bool (--type) stores the integers other than 0 and 1 as true (e.g. 2), which mapper validate does not warn about: the values are lost"]
    assert not [n for n in mapper.infer(b'{"id": 1, "v": 1}\n{"id": 2, "v": 0}\n', types={"v": "bool"}).notes if n.startswith("v: ")]
