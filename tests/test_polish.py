"""Small wording fixes found by a hunt of the command line: a records path holding a byte that is
not UTF-8, lines ending in a lone CR, an empty --include, and msgspec's wording in no_records
messages (run in this process: fast)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.cli import main
from mapper.errors import OptionError

SINK = {
    "name": "polish",
    "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "polish"},
    "schema": {
        "type": "json",
        "primary_key_fields": ["id"],
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "int"}],
    },
}


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sink(tmp_path: Path) -> Path:
    path = tmp_path / "sink.json"
    path.write_text(json.dumps(SINK))
    return path


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "records.ndjson"
    path.write_text('{"id": 1, "data": {"a": 1}}\n{"id": 2, "data": {"a": 2}}\n')
    return path


# --- 1. --records-path holding a byte that is not UTF-8


@pytest.mark.parametrize("command", ["validate", "infer"])
def test_records_path_byte_not_utf8_is_named_not_called_half_a_surrogate_pair(tmp_path, sink, records, capsys, command):
    # $'ab\xff' arrives as "ab\udcff" (os.fsdecode's escape): the message said the path "holds half of
    # a UTF-16 surrogate pair", which the user never typed
    args = [sink, records] if command == "validate" else [records]
    code, out, err = cli(capsys, command, *args, "--records-path", "ab\udcff")
    assert code == 2 and out == ""
    assert "surrogate" not in err
    assert "--records-path: the path holds the byte \\xff, which is not UTF-8 (at character 2)" in err


def test_records_path_lone_surrogate_from_python_keeps_its_words():
    # (from Python, a lone surrogate is one: the API's message is unchanged)
    with pytest.raises(OptionError, match="half of a UTF-16 surrogate pair"):
        mapper.compile_sink(SINK).validate([{"a": [{"id": 1}]}], records_path="a\udcff")
