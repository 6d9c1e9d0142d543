"""Where a definition's problems point: entry keys match case-insensitively (``"Name"``,
``"PATH"``, as Go's decoder matches them), and every problem's JSON Pointer names the key as
the document spells it, so it resolves."""

from __future__ import annotations

from typing import Any

import pytest

import mapper
from mapper import checks


def _resolves(doc: Any, pointer: str) -> bool:
    """Whether JSON Pointer ``pointer`` names a value of ``doc``."""
    node = doc
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def _spelled(doc: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(p.code, p.pointer, _resolves(doc, p.pointer)) for p in mapper.check_sink(doc).problems]


def test_problems_of_entries_whose_keys_are_spelled_in_another_case_point_at_the_keys_as_spelled() -> None:
    doc = {
        "primary_key_fields": ["k"],
        "allow_missing_fields": True,
        "definition": [
            {"name": "k", "path": ["k"], "type": "string"},
            {"Name": "k", "Path": ["j"], "type": "string"},  # duplicate-name
            {"NAME": "_id", "path": ["i"], "type": "string"},  # reserved-name
            {"name": "v", "PATH": ["k"], "type": "string"},  # same-path
            {"name": "w", "pAth": ["k", "x"], "type": "string"},  # prefix-path
        ],
    }
    found = _spelled(doc)
    assert ("duplicate-name", "/definition/1/Name", True) in found, found
    assert ("reserved-name", "/definition/2/NAME", True) in found, found
    assert ("same-path", "/definition/3/PATH", True) in found, found
    assert ("prefix-path", "/definition/4/pAth", True) in found, found
    assert all(ok for _code, _pointer, ok in found), found


def test_a_name_given_twice_in_one_entry_points_at_the_spelling_whose_value_counts() -> None:
    # Go reads both keys in turn: the last string wins, a null after it leaves it as it was
    doc = {
        "id_field": "k",
        "allow_missing_fields": True,
        "definition": [{"name": "k", "path": ["k"], "type": "id"}, {"name": "k", "NAME": None, "path": ["j"], "type": "int"}],
    }
    assert ("duplicate-name", "/definition/1/name", True) in _spelled(doc)


def test_the_key_limit_and_the_exists_field_point_at_the_keys_as_spelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "MAX_PATH_TREE_KEYS", 3)
    doc = {
        "id_field": "i",
        "allow_missing_fields": True,
        "definition": [
            {"name": "i", "path": ["i"], "type": "id"},
            {"Name": "s" * 224, "Path": ["a", "b", "c"], "type": "signedIntBoolKey"},
        ],
    }
    found = _spelled(doc)
    assert ("too-many-keys", "/definition/1/Path", True) in found, found
    assert ("exists-name-too-long", "/definition/1/Name", True) in found, found
