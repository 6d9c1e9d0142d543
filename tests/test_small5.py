"""A byte that is not UTF-8 in any option's value is named, as a usage error, by one check in the
parser (file names exempt) (run in this process: fast)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from mapper.cli import build_parser, main, parse
from mapper.commands import file_name

COMMANDS = {"check", "explain", "validate", "map", "infer", "bench", "send", "serve", "spark-validate"}

#: ``$'a\xff'`` as Python hands it over (os.fsdecode's escape of the byte 0xff)
NOT_UTF8 = os.fsdecode(b"a\xff")

#: what every text option says of it (the byte at character 1 of "a\xff")
SAID = "the value holds the byte \\xff, which is not UTF-8 (at character 1): an option's value is Unicode text; give it in UTF-8"


def _command_parsers() -> dict[str, argparse.ArgumentParser]:
    parsers: dict[str, argparse.ArgumentParser] = build_parser().get_default("commands")
    return parsers


def _required(parser: argparse.ArgumentParser) -> list[str]:
    """Arguments that make the command line complete: a file per positional, each required option."""
    args = []
    for action in parser._actions:
        if not action.option_strings:
            args.append("x.json")
        elif action.required:
            args += [action.option_strings[-1], "out.x"]
    return args


def _options(typed_file: bool) -> list[tuple[str, str]]:
    """(command, option) for every option taking a value; file options (``typed_file``) or the others."""
    found = []
    for name, parser in _command_parsers().items():
        for action in parser._actions:
            if action.option_strings and action.nargs != 0 and (action.type is file_name) == typed_file:
                found.append((name, action.option_strings[-1]))
    return found


TEXT_OPTIONS = _options(typed_file=False)
FILE_OPTIONS = _options(typed_file=True)


def test_the_options_enumerated_are_those_of_every_command() -> None:
    # (the parametrized tests below cannot pass by finding no option)
    assert set(_command_parsers()) == COMMANDS
    assert {name for name, _ in TEXT_OPTIONS} == COMMANDS
    for expected in [
        ("infer", "--include"),
        ("infer", "--exclude"),
        ("infer", "--type"),
        ("validate", "--id-field"),
        ("validate", "--ignore-warning"),
        ("map", "--records-path"),
        ("map", "--on-error"),
        ("send", "--endpoint"),
        ("send", "--token-env"),
        ("serve", "--host"),
        ("serve", "--query"),
        ("spark-validate", "--conf"),
        ("bench", "--max-errors"),
        ("check", "--primary-key-fields"),
        ("explain", "--id-field"),
    ]:
        assert expected in TEXT_OPTIONS
    assert ("map", "--output") in FILE_OPTIONS and ("serve", "--db") in FILE_OPTIONS


@pytest.mark.parametrize(("command", "option"), TEXT_OPTIONS, ids=[f"{c} {o}" for c, o in TEXT_OPTIONS])
def test_every_text_option_names_a_byte_that_is_not_utf8(capsys: pytest.CaptureFixture[str], command: str, option: str) -> None:
    parser = _command_parsers()[command]
    with pytest.raises(SystemExit) as exit_:
        parse([command, *_required(parser), option, NOT_UTF8])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert "udcff" not in err and "surrogate" not in err
    names = next("/".join(a.option_strings) for a in parser._actions if option in a.option_strings)
    assert f"mapper {command}: error: argument {names}: {SAID}" in err


@pytest.mark.parametrize(("command", "option"), FILE_OPTIONS, ids=[f"{c} {o}" for c, o in FILE_OPTIONS])
def test_a_file_option_takes_any_bytes(command: str, option: str) -> None:
    # a file may be named by any bytes: the name is kept as given
    parser = _command_parsers()[command]
    action = next(a for a in parser._actions if option in a.option_strings)
    args = parse([command, *_required(parser), option, NOT_UTF8])
    value = getattr(args, action.dest)
    assert NOT_UTF8 in (value if isinstance(value, list) else [value])


def test_a_file_argument_takes_any_bytes() -> None:
    args = parse(["validate", NOT_UTF8, "--", NOT_UTF8 + ".ndjson"])
    assert args.sink == NOT_UTF8 and args.records == [NOT_UTF8 + ".ndjson"]


def _sink(tmp_path: Path) -> Path:
    path = tmp_path / "sink.json"
    definition = [{"name": "id", "path": ["id"], "type": "int"}, {"name": "s", "path": ["s"], "type": "string"}]
    schema = {"type": "json", "id_field": "id", "allow_missing_fields": True, "definition": definition}
    details = {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"}
    path.write_text(json.dumps({"name": "t", "sink_details": details, "schema": schema}))
    return path


@pytest.mark.parametrize(
    "option",
    [["infer", "{records}", "--include"], ["validate", "{sink}", "{records}", "--id-field"], ["validate", "{sink}", "{records}", "--ignore-warning"]],
    ids=["infer --include", "validate --id-field", "validate --ignore-warning"],
)
def test_the_messages_that_showed_the_escape_name_the_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]) -> None:
    # they said "not matched by --include \udcff", "id_field '\udcff' names no column",
    # "unknown warning kind '\udcff'": the byte typed is \xff
    records = tmp_path / "r.ndjson"
    records.write_text('{"id": 1, "s": "a"}\n')
    argv = [a.format(sink=_sink(tmp_path), records=records) for a in option]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, os.fsdecode(b"\xff")])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert "udcff" not in err
    assert f"argument {option[-1]}: the value holds the byte \\xff, which is not UTF-8 (at character 0)" in err


def test_a_command_name_holding_such_a_byte_is_named_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse([NOT_UTF8])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2 and "udcff" not in err and "the byte \\xff" in err
