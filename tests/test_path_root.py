"""A path string written from the record's root, ``$.data.x`` (as JSONPath and mapper's own
messages write paths), reads a key named ``$`` first: a warning (``path-root``) saying what to
write, not a column silently missing from every record; a key ``$`` written so is no warning."""

from __future__ import annotations

from typing import Any

import pytest

import mapper
from mapper.paths import to_dot_notation


@pytest.mark.parametrize("path", ["$.data.x", "$", "$.x"])
def test_a_path_string_from_the_records_root_is_a_warning(path: str) -> None:
    doc = {
        "primary_key_fields": ["k"],
        "allow_missing_fields": True,
        "definition": [{"name": "k", "path": ["k"], "type": "string"}, {"name": "v", "path": path, "type": "int"}],
    }
    result = mapper.check_sink(doc)
    assert result.valid  # (the key "$" may be the record's: read as written)
    (root,) = [p for p in result.problems if p.code == "path-root"]
    assert root.severity == "warning" and root.pointer == "/definition/1/path"
    assert "'$'" in root.message or '"$"' in root.message
    if path != "$":
        assert repr(path[2:]) in root.message  # the path to write instead
    assert result.sink is not None and result.sink.columns[1].path.keys[0] == "$"


@pytest.mark.parametrize("path", ['"$".data', ["$", "data"], "data.$", "$a.b", "a$.b"])
def test_a_key_named_dollar_written_so_is_no_warning(path: Any) -> None:
    doc = {
        "primary_key_fields": ["k"],
        "allow_missing_fields": True,
        "definition": [{"name": "k", "path": ["k"], "type": "string"}, {"name": "v", "path": path, "type": "int"}],
    }
    assert [p for p in mapper.check_sink(doc).problems if p.code == "path-root"] == []


def test_a_jmespath_from_the_records_root_says_how_to_write_it() -> None:
    with pytest.raises(mapper.PathSyntaxError) as exc:
        mapper.parse_path("$.items[0]")
    assert "items[0]" in (exc.value.hint or "")


def test_a_first_key_named_dollar_is_written_quoted_and_reads_back_without_a_warning() -> None:
    assert to_dot_notation(["$", "a"]) == '"$".a'
    assert to_dot_notation(["a", "$"]) == "a.$"
    assert mapper.parse_path(to_dot_notation(["$", "a"])).keys == ("$", "a")
