"""Every character position a message names ("at character N", "char N") counts from 1, as an
editor's column does, the sink-name rule, a record's ``char N`` and a sink file's ``column N``
count it: a path's syntax error, a Layout's place and an option's byte that is not UTF-8 said
it counted from 0 (``PathSyntaxError.position`` stays the 0-based index, for code)."""

from __future__ import annotations

import os

import pytest

import mapper
from mapper.cli import main


def _schema(entry: dict) -> dict:
    return {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}, entry]}


def test_a_path_syntax_error_counts_its_character_from_1():
    # "data..lat": the second dot, where the empty key is, is the 6th character (said "character 5")
    with pytest.raises(mapper.PathSyntaxError) as exc:
        mapper.parse_path("data..lat")
    assert exc.value.position == 5  # (the index, for code)
    lines = str(exc.value).split("\n")
    assert lines[0] == "empty key (two dots in a row, or a leading dot) at character 6"
    assert lines[2].index("^") == lines[1].index("data..lat") + 5  # the caret still under that dot


def test_a_long_path_s_syntax_error_counts_from_1_too():
    # a path of 2,000 characters or more is said without its caret: the same count
    (problem,) = [p for p in mapper.check_sink(_schema({"name": "t", "path": "a" * 2500 + "..b", "type": "string"})).problems if p.code == "path-syntax"]
    assert problem.message == "empty key (two dots in a row, or a leading dot) at character 2502"


def test_a_layout_s_place_counts_from_1_and_is_said_once():
    # "2006-01-02 %Y": the '%' is the 12th character; "2006-01-02 03:04:05": the '03' starts at the 12th
    # (it said "'03' at position 11 is ... (at character 11)")
    said = {
        p.code: p.message for p in mapper.check_sink(_schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": "2006-01-02 %Y"}})).problems
    }
    assert said["layout"].endswith("(at character 12)")
    said = {
        p.code: p.message
        for p in mapper.check_sink(_schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": "2006-01-02 03:04:05"}})).problems
    }
    assert said["layout"].endswith("(at character 12)") and "position" not in said["layout"], said["layout"]
    said = {
        p.code: p.message
        for p in mapper.check_sink(_schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": "2006-01-02T15:04:05Z"}})).problems
    }
    assert said["layout"].endswith("(at character 20)") and "position" not in said["layout"], said["layout"]
    said = {
        p.code: p.message
        for p in mapper.check_sink(_schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": "2006-01-02 15:04:05 +0700"}})).problems
    }
    assert said["layout"].endswith("(at character 21)") and "position" not in said["layout"], said["layout"]


def test_an_option_s_byte_not_utf8_counts_from_1(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    records = tmp_path / "r.ndjson"
    records.write_text('{"id": 1}\n')
    with pytest.raises(SystemExit) as exit_:
        main(["infer", str(records), "--records-path", os.fsdecode(b"ab\xff")])
    _out, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert "the value holds the byte \\xff, which is not UTF-8 (at character 3)" in err, err
