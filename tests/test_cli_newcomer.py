"""A newcomer's usual mistakes, each said where it is found: what is wrong, where, and what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mapper.cli import main

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


# -- the command line: a near miss of an option, a command or a choice is named ------------------


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["validate", SINK, RECORDS, "--record-path", "x"], "unrecognized arguments: --record-path x (did you mean '--records-path'?)"),
        (["validate", SINK, RECORDS, "--on-eror=skip"], "unrecognized arguments: --on-eror=skip (did you mean '--on-error'?)"),
        (["map", SINK, RECORDS, "-o", "-", "--Strict"], "unrecognized arguments: --Strict (did you mean '--strict'?)"),
        (["valdiate", SINK], "'serve', 'spark-validate') (did you mean 'validate'?)"),
        (["validate", SINK, "--report", "jsn"], "argument --report: invalid choice: 'jsn' (choose from 'text', 'json', 'endpoint') (did you mean 'json'?)"),
    ],
    ids=["option", "option=value", "option's case", "command", "choice"],
)
def test_a_near_miss_on_the_command_line_is_suggested(capsys, argv, said):
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert said in err, err


def test_several_unknown_options_each_get_their_suggestion(capsys):
    code, _out, err = cli(capsys, "validate", SINK, RECORDS, "--record-path", "x", "--workerz", "2")
    assert code == 2
    assert "(did you mean '--records-path' for --record-path, '--workers' for --workerz?)" in err, err


def test_an_unknown_option_like_none_gets_no_suggestion(capsys):
    code, _out, err = cli(capsys, "validate", SINK, RECORDS, "--zzzzzz")
    assert code == 2 and err.rstrip().endswith("error: unrecognized arguments: --zzzzzz"), err


@pytest.mark.parametrize("argv", [["help"], ["help", "validate"]])
def test_mapper_help_prints_the_help_as_help_does(capsys, argv):
    code, out, err = cli(capsys, *argv)
    want_code, want_out, _ = cli(capsys, *argv[1:], "--help")
    assert code == 0 and err == "" and out == want_out and want_code == 0


def test_mapper_help_of_no_such_command_is_a_usage_error_with_a_suggestion(capsys):
    code, out, err = cli(capsys, "help", "valdate")
    assert code == 2 and out == ""
    assert "invalid choice: 'valdate'" in err and "(did you mean 'validate'?)" in err, err
