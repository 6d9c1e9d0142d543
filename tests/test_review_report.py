"""Review of mapper/report.py and mapper/errors.py (the report, its messages, the exceptions): each test a finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mapper
from mapper.errors import has_controls

ROOT = Path(__file__).resolve().parents[1]


def _sink(*columns: dict[str, Any]) -> dict[str, Any]:
    return {"primary_key_fields": ["id"], "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "string"}, *columns]}


def test_a_not_an_object_error_escapes_the_hidden_characters_of_the_key_it_names() -> None:
    # "element at [...] is not an object" quoted the definition's keys as json.dumps writes them:
    # C0 escaped, but a U+202E (which check only warns of) or a C1 CSI went out as they are, and the
    # text report printed them (the rest of the line read backwards), as no other message does.
    key = "k\u202e\x9b"
    m = mapper.compile_sink(_sink({"name": "n", "path": [key, "q"], "type": "int"}))
    for given in ([{"id": "x", key: 5}], (json.dumps({"id": "x", key: 5}) + "\n").encode()):
        report = m.validate(given)
        (error,) = report.errors
        assert error.code == "not_an_object"
        assert not has_controls(error.message), ascii(error.message)
        assert '["k\\u202e\\u009b"]' in error.reason, error.reason
