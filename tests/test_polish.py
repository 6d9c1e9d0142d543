"""Small wording fixes found by a hunt of the command line: a records path holding a byte that is
not UTF-8, lines ending in a lone CR, an empty --include, and msgspec's wording in no_records
messages (run in this process: fast)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sinks

import mapper
from mapper.cli import main
from mapper.errors import OptionError

SINK = sinks.sink(sinks.column("id", "int"), name="polish", primary_key_fields=["id"])


#: A value nested deeper than msgspec decodes (a document holding it is read a level at a time).
DEEP = b"[" * 1100 + b"]" * 1100


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
    # (refused by the parser, as a byte that is not UTF-8 is in every option: tests/test_small5.py)
    with pytest.raises(SystemExit) as exit_:
        cli(capsys, command, *args, "--records-path", "ab\udcff")
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert "surrogate" not in err and "udcff" not in err
    assert "--records-path: the value holds the byte \\xff, which is not UTF-8 (at character 3)" in err


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
    named = CR_HINT.replace("< FILE`", f"< {path}`")  # (the file's name in the command)
    assert f"record 0, line 1: Invalid JSON: trailing characters at char 10; {named}" in out


def test_lone_cr_after_a_document_read_whole_gets_the_hint(tmp_path, sink, capsys):
    # (an array, then an object: the hint said to give --input-format ndjson, which splits no CR lines either)
    path = tmp_path / "mac.json"
    path.write_bytes(b'[{"id":1}]\r{"id":2}\r')
    code, out, _ = cli(capsys, "validate", sink, path)
    named = CR_HINT.replace("< FILE`", f"< {path}`")  # (the document's hint names the file)
    assert code == 1 and f"trailing characters at char 12; {named}" in out and "--input-format ndjson" not in out


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


# --- 4. msgspec's wording in no_records and request body messages


@pytest.mark.parametrize(
    ("doc", "path", "why"),
    [
        ({"a": 1}, "a", "the value at `a` is a number, not an array of records"),
        ({"a": {"b": 1}}, "a", "the value at `a` is an object, not an array of records"),
        ({"a": "x"}, "a", "the value at `a` is a string, not an array of records"),
        ({"a": True}, "a", "the value at `a` is a boolean, not an array of records"),
        ([1], "a", "the document is an array, not an object"),
        ({"a": 2.5}, "a.b", "the value at `a` is a number, not an object"),
        ({"a": {"c": 1}}, "a.b", "no key `b` in the object at `a`"),
        ({"b": 1}, "a.b", "no key `a`"),
    ],
)
def test_no_records_reason_is_worded_by_mapper(tmp_path, sink, capsys, doc, path, why):
    # it was msgspec's "Expected `array`, got `int` - at `a`" (and "no key `b` - at `a`")
    file = tmp_path / "doc.json"
    file.write_text(json.dumps(doc))
    code, out, _ = cli(capsys, "validate", sink, file, "--records-path", path)
    assert code == 1 and f"record 0, line 1: no records at `{path}`: {why}" in out
    assert "Expected `" not in out and " - at `" not in out
    # a Python document, and one too deep for the decoders (read a level at a time), say it alike
    if isinstance(doc, dict):  # (a list is a list of Python documents)
        (err,) = mapper.compile_sink(SINK).validate(doc, records_path=path).errors
        assert err.reason.startswith(f"no records at `{path}`: {why}")
    deep = json.dumps(doc).encode()  # (a member nested deeper than msgspec goes, first)
    deep = deep[:1] + (b'"junk": ' if isinstance(doc, dict) else b"") + DEEP + b", " + deep[1:]
    (err,) = mapper.compile_sink(SINK).validate(deep, records_path=path).errors
    assert err.reason.startswith(f"no records at `{path}`: {why}"), deep[-40:]


def test_msgspec_path_errors_are_reworded():
    from mapper.engine.reader import _msgspec_path_reason

    keys = ("a", "b")
    assert _msgspec_path_reason(keys, "Expected `array | null`, got `int` - at `$.a.b`") == "the value at `a.b` is a number, not an array of records"
    assert _msgspec_path_reason(keys, "Expected `object`, got `str` - at `$.a`") == "the value at `a` is a string, not an object"
    assert _msgspec_path_reason(keys, "Expected `object`, got `array`") == "the document is an array, not an object"
    assert _msgspec_path_reason(keys, "Object missing required field `a`") == "no key `a`"
    assert _msgspec_path_reason(keys, "Object missing required field `b` - at `$.a`") == "no key `b` in the object at `a`"
    assert _msgspec_path_reason(("a.b", "c"), "Expected `array`, got `int` - at `$.a.b.c`") == 'the value at `"a.b".c` is a number, not an array of records'
    # (what does not fit the path is kept as said)
    assert _msgspec_path_reason(keys, "Expected `array`, got `int` - at `$.x`") == "Expected `array`, got `int` - at `$.x`"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"records": 5}, "the value at `records` is a number, not an array of items"),
        ({"RECORDS": {"a": 1}}, "the value at `RECORDS` is an object, not an array of items"),
        ({"x": 1}, "no key `records`"),
        ([1], "the body is an array, not an object"),
    ],
)
def test_a_json_that_is_no_request_body_is_worded_by_mapper(tmp_path, sink, capsys, body, why):
    # it was msgspec's "Expected `array | null`, got `int` - at `$.records`", "Object missing required field `records`"
    said = 'Invalid JSON: not an endpoint request body {"records": [{"value": {...}}]}: ' + why
    file = tmp_path / "body.json"
    file.write_text(json.dumps(body))
    code, out, _ = cli(capsys, "validate", sink, file, "--input-format", "endpoint")
    assert code == 1 and f"record 0, line 1: {said}" in out
    (err,) = mapper.compile_sink(SINK).validate(body, input_format="endpoint").errors
    assert err.reason == said
