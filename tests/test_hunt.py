"""Found by a bug hunt as a newcomer and a hostile user (the CLI and the Python API): one test per finding.

The command line runs in this process (``mapper.cli.main``), as tests/test_newcomer.py runs it.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from mapper.cli import main
from tests.test_newcomer import Ran, run

ROOT = Path(__file__).resolve().parents[1]
ERRORS = ROOT / "examples" / "errors"
SINK = ERRORS / "sink.json"
RECORDS = ERRORS / "records.ndjson"


# ---------------------------------------------------------------------------------------
# An empty file name ("$UNSET" in a script) was taken as no file: --rejects '' wrote no dead
# letters and bench --json '' no figures, both exiting as if asked for nothing; -o '' and
# RECORDS '' said "cannot write : it is a directory", " is a directory", a SINK '' ". is a
# directory", and serve --db '' kept its rows in an unnamed temporary database.


@pytest.mark.parametrize(
    "args, option",
    [
        (["validate", SINK, RECORDS, "--rejects", ""], "--rejects"),
        (["map", SINK, RECORDS, "-o", "-", "--rejects", ""], "--rejects"),
        (["map", SINK, RECORDS, "-o", ""], "-o/--output"),
        (["bench", SINK, RECORDS, "--repeat", "1", "--json", ""], "--json"),
        (["validate", SINK, ""], "RECORDS"),
        (["validate", SINK, "--", ""], "RECORDS"),
        (["infer", ""], "RECORDS"),
        (["bench", SINK, ""], "RECORDS"),
        (["check", ""], "SINK"),
        (["explain", ""], "SINK"),
        (["validate", "", RECORDS], "SINK"),
        (["bench", "", RECORDS], "SINK"),
        (["serve", "--query", "s", "--db", ""], "--db"),  # (--query: the run ends, fix or no fix)
        (["serve", "--query", "s", "--db", ":memory:", ""], "SINK"),
        (["serve", "--query", "s", "--db", ":memory:", "--table", ""], "--table"),
        (["send", SINK, RECORDS, "--dry-run", "--rejects", ""], "--rejects"),  # (taken as not given: no dead letters)
        (["send", SINK, RECORDS, "--dry-run", "--checkpoint", ""], "--checkpoint"),
        (["send", "", RECORDS, "--dry-run"], "SINK"),
        (["send", SINK, "", "--dry-run"], "RECORDS"),
    ],
)
def test_an_empty_file_name_is_a_usage_error_naming_the_argument(args: list[Any], option: str) -> None:
    p = run(*args)
    assert p.returncode == 2, (p.out, p.err)
    assert f"error: argument {option}: takes a file name, not an empty one ('')" in p.err
    assert p.out == ""


# ---------------------------------------------------------------------------------------
# serve --host '' (a --host "$HOST" left unset) listened on every interface, the socket
# taking "" as 0.0.0.0, and its warning said "listening on  without a token".


@pytest.mark.parametrize("host", ["", " "])
def test_serve_refuses_an_empty_host_rather_than_listening_everywhere(host: str) -> None:
    import mapper
    from mapper.serve import App, Server

    with pytest.raises(mapper.OptionError, match="the host must be an address to listen on"):
        Server(App(mapper.Store(":memory:")), host, 0)


# ---------------------------------------------------------------------------------------
# serve --db DIR said "unable to open database file" (--query: "disk I/O error"), and a
# --db in a directory that does not exist said the same: neither said what was wrong.


def test_a_database_that_is_a_directory_or_in_no_directory_is_named_so(tmp_path: Path) -> None:
    import mapper

    with pytest.raises(mapper.MapperError, match="it is a directory, not a database file"):
        mapper.Store(str(tmp_path))
    with pytest.raises(mapper.MapperError, match=f"no such directory {tmp_path / 'gone'}$"):
        mapper.Store(tmp_path / "gone" / "s.db")
    p = run("serve", "--query", "s", "--db", tmp_path)
    assert p.returncode == 2
    assert p.err == f"mapper serve: cannot read the database {tmp_path}: it is a directory, not a database file\n"


# ---------------------------------------------------------------------------------------
# A closed standard input or output (<&-, >&-: Python makes sys.stdin / sys.stdout None) gave an
# AttributeError's traceback, exit 1, which validate means as "records refused".


def run_closed(monkeypatch: pytest.MonkeyPatch, *args: Any, stdin: bool = False, stdout: bool = False) -> Ran:
    err = io.StringIO()
    with monkeypatch.context() as mp:
        if stdin:
            mp.setattr(sys, "stdin", None)
        if stdout:
            mp.setattr(sys, "stdout", None)
        with contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
        assert (sys.stdin is None) == stdin and (sys.stdout is None) == stdout  # (put back as found)
    return Ran(code, "", err.getvalue())


CLOSED_IN = "mapper: standard input is closed (no file descriptor 0, as <&- leaves it): nothing to read; name files instead of -\n"
CLOSED_OUT = "mapper: cannot write standard output: it is closed (no file descriptor 1, as >&- leaves it)\n"


@pytest.mark.parametrize(
    "args",
    [["validate", SINK], ["validate", SINK, "-"], ["map", SINK, "-o", "-"], ["infer", "-"], ["bench", SINK, "-"], ["check", "-"], ["explain", "-"]],
)
def test_a_closed_standard_input_is_said_when_read(monkeypatch: pytest.MonkeyPatch, args: list[Any]) -> None:
    p = run_closed(monkeypatch, *args, stdin=True)
    assert (p.returncode, p.err) == (2, CLOSED_IN)


def test_a_closed_standard_input_unread_is_no_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    p = run_closed(monkeypatch, "validate", SINK, RECORDS, "-q", stdin=True)
    assert (p.returncode, p.err) == (1, "")  # (the example's records: some refused)


@pytest.mark.parametrize(
    "args",
    [
        ["validate", SINK, RECORDS, "-q"],
        ["validate", SINK, RECORDS, "--report", "json"],
        ["map", SINK, RECORDS, "-o", "-", "--on-error", "skip"],
        ["check", SINK],
        ["infer", ROOT / "examples" / "aircraft" / "records.ndjson", "-q"],
    ],
)
def test_a_closed_standard_output_is_said_when_written(monkeypatch: pytest.MonkeyPatch, args: list[Any]) -> None:
    p = run_closed(monkeypatch, *args, stdout=True)
    assert p.returncode == 2
    assert p.err.endswith(CLOSED_OUT)


def test_a_closed_standard_output_unwritten_is_no_matter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    p = run_closed(monkeypatch, "map", SINK, RECORDS, "-o", tmp_path / "out.npz", "--on-error", "skip", "-q", stdout=True)
    assert (p.returncode, p.err) == (1, "")
    assert (tmp_path / "out.npz").exists()


# ---------------------------------------------------------------------------------------
# A value quoted in a message wrote its control characters as they are (only a newline was
# escaped): a record's ESC sequence cleared the terminal reading `mapper validate`, a CR wrote
# over the line, an OSC set the terminal's title. They are escaped as JSON escapes them.


def test_values_in_messages_show_control_characters_escaped(tmp_path: Path) -> None:
    from mapper.errors import show

    assert show('\x1b[2J\r\nFAKE\t\x07\x7f\x85é\\"') == '"\\u001b[2J\\r\\nFAKE\\t\\u0007\\u007f\\u0085é\\\\\\""'
    data = tmp_path / "r.ndjson"
    data.write_text(json.dumps({"id": "o-1", "qty": "\x1b]0;owned\x07\x1b[2J\rok"}) + "\n")
    p = run("validate", SINK, data, "--group", "record")
    assert p.returncode == 1
    assert 'got `str` "\\u001b]0;owned\\u0007\\u001b[2J\\rok"' in p.out
    assert not any(c in p.out + p.err for c in "\x1b\x07\r")
