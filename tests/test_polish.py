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


# --- 2. lines ending in a lone CR

CR_HINT = "the lines end in a lone CR (carriage return) and NDJSON lines end in LF (\\n): convert them first, e.g. `tr '\\r' '\\n' < FILE`"


def test_lone_cr_lines_get_the_hint(tmp_path, sink, capsys):
    path = tmp_path / "mac.ndjson"
    path.write_bytes(b'{"id":1}\r{"id":2}\r')
    code, out, _ = cli(capsys, "validate", sink, path)
    assert code == 1
    assert f"record 0, line 1: Invalid JSON: trailing characters at char 10; {CR_HINT}" in out


def test_lone_cr_after_a_document_read_whole_gets_the_hint(tmp_path, sink, capsys):
    # (an array, then an object: the hint said to give --input-format ndjson, which splits no CR lines either)
    path = tmp_path / "mac.json"
    path.write_bytes(b'[{"id":1}]\r{"id":2}\r')
    code, out, _ = cli(capsys, "validate", sink, path)
    assert code == 1 and f"trailing characters at char 12; {CR_HINT}" in out and "--input-format ndjson" not in out


def test_trailing_characters_without_a_lone_cr_have_no_cr_hint(tmp_path, sink, capsys):
    for data in (b'{"id":1} {"id":2}\n', b'{"id":1}\r\n', b'{"id":1}\t{"id":2}\r\n'):
        path = tmp_path / "x.ndjson"
        path.write_bytes(data)
        _, out, _ = cli(capsys, "validate", sink, path)
        assert "lone CR" not in out, data


# --- 3. --include '' / --exclude ''


@pytest.mark.parametrize("option", ["--include", "--exclude"])
def test_empty_glob_is_a_usage_error(records, capsys, option):
    # --include '' left every path out, each "not matched by --include " (a trailing space, nothing named)
    with pytest.raises(SystemExit) as exit:
        main(["infer", str(records), option, ""])
    out, err = capsys.readouterr()
    assert exit.value.code == 2 and out == ""
    assert f"argument {option}: takes a glob on dot paths (data.*), not an empty one ('')" in err


def test_empty_glob_from_python_is_an_option_error(records):
    with pytest.raises(OptionError, match=r"infer\(\): include holds an empty glob \(''\)"):
        mapper.infer([str(records)], include="")
    with pytest.raises(OptionError, match=r"infer\(\): exclude holds an empty glob"):
        mapper.infer([str(records)], exclude=["data.*", ""])
