"""A hostile user's runs of the command line: each test is a bug found so, failing before its fix.

The CLI runs as ``python -m mapper`` (never a traceback on stderr), or in this process where a
fault must be made (a file the OS refuses to read, which root reads whatever its mode).
"""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sinks import column, id_sink

from mapper.cli import main
from tests.cli_inproc import run_main

ROOT = Path(__file__).parents[1]
SINK = id_sink(column("n", "int"))
#: two good records, one refused (``n`` not an int)
RECORDS = b'{"id": 1, "n": 2}\n{"id": 2, "n": "x"}\n{"id": 3}\n'
#: a file name whose byte 0xff is not UTF-8: os.fsdecode makes it U+DCFF
BAD_NAME = os.fsdecode(b"bad\xffname.ndjson")


def run(*args: Any, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m mapper ARGS`` in ``cwd``, run in this process (:func:`tests.cli_inproc.run_main`: this checkout's mapper); no traceback."""
    return run_main(*args, cwd=cwd)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "s.json").write_text(json.dumps(SINK))
    (tmp_path / "r.ndjson").write_bytes(RECORDS)
    (tmp_path / BAD_NAME).write_bytes(RECORDS + b'{"id": 4,\n')  # and a broken record, a bad record to infer
    return tmp_path


def test_workers_on_an_unreadable_file_is_a_read_error(files: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``--workers 2`` on a file the OS refuses to read: said as the one-process run says it,
    "cannot read", not as an output's fault ("cannot write r.ndjson", which it is not)."""
    refused = str(files / "r.ndjson")
    real_open = builtins.open

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, os.PathLike)) and os.path.abspath(os.fspath(file)) == refused:
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.chdir(files)
    for command in (["validate"], ["map", "-o", "out.ndjson"]):
        code = main([*command, "s.json", "r.ndjson", "--workers", "2", "-q"])
        err = capsys.readouterr().err
        assert code == 2, err
        assert "cannot read r.ndjson: Permission denied" in err, err
        assert "cannot write" not in err, err
    assert not (files / "out.ndjson").exists()


def test_rejects_of_a_file_whose_name_is_not_utf8(files: Path) -> None:
    """``--rejects`` with several inputs, one named with a byte that is not UTF-8: each dead letter
    names its file (as its escape, which ``os.fsencode`` makes the name again), no traceback."""
    proc = run("validate", "s.json", BAD_NAME, "r.ndjson", "--rejects", "rej.ndjson", "-q", cwd=files)
    assert proc.returncode == 1, proc.stderr
    letters = [json.loads(line) for line in (files / "rej.ndjson").read_bytes().splitlines()]
    assert [(os.fsencode(d["errors"][0]["file"]), d["record"]) for d in letters] == [(b"bad\xffname.ndjson", 1), (b"bad\xffname.ndjson", 3), (b"r.ndjson", 5)]
    assert [d["raw"] for d in letters] == ['{"id": 2, "n": "x"}', '{"id": 4,', '{"id": 2, "n": "x"}']


@pytest.mark.parametrize("command", [["validate", "s.json"], ["infer"]])
def test_json_report_of_a_file_whose_name_is_not_utf8_parses(files: Path, command: list[str]) -> None:
    """``--report json`` naming such a file: UTF-8 JSON that parses (the byte went out as it is),
    its ``file`` field the name's escape."""
    proc = run(*command, BAD_NAME, "r.ndjson", "--report", "json", cwd=files)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout.decode("utf-8"))
    assert b"\\udcff" in proc.stdout
    if command[0] == "validate":
        assert sorted(os.fsencode(e["file"]) for e in report["errors"]) == [b"bad\xffname.ndjson", b"bad\xffname.ndjson", b"r.ndjson"]
    else:
        assert [os.fsencode(e["file"]) for e in report["bad_examples"]] == [b"bad\xffname.ndjson"]


def test_send_dead_letters_of_a_file_whose_name_is_not_utf8(files: Path) -> None:
    proc = run("send", "s.json", BAD_NAME, "r.ndjson", "--dry-run", "--rejects", "dl.ndjson", cwd=files)
    assert proc.returncode == 1, proc.stderr
    letters = [json.loads(line) for line in (files / "dl.ndjson").read_bytes().splitlines()]
    assert [os.fsencode(d["file"]) for d in letters] == [b"bad\xffname.ndjson", b"bad\xffname.ndjson", b"r.ndjson"]


def test_send_checkpoint_of_an_input_whose_name_is_not_utf8(tmp_path: Path) -> None:
    """The checkpoint keeps the inputs' names: one that is not UTF-8 is saved as its escape and
    read back as the name (orjson refuses both the surrogate and its escape)."""
    from mapper.send import Checkpoint

    point = Checkpoint(str(tmp_path / "ck.json"))
    assert point.load() is None
    state = {"version": 1, "inputs": [str(tmp_path / BAD_NAME)]}
    point.save(state)
    point.release()
    again = Checkpoint(str(tmp_path / "ck.json"))
    assert again.load() == state
    again.release()


def test_text_report_naming_a_file_whose_name_is_not_utf8_on_a_strict_stdout(files: Path) -> None:
    """A UTF-8 locale other than C.UTF-8 (en_US.UTF-8) makes standard output strict: a text report
    or ``check``'s line naming such a file failed with a traceback (UnicodeEncodeError). The
    name's byte is printed as its escape, as standard error (backslashreplace) shows it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8:strict"}
    bad_sink = os.fsdecode(b"s\xfe.json")
    (files / bad_sink).write_text("{")
    for args, code in ((["validate", "s.json", BAD_NAME, "r.ndjson", "--group", "record"], 1), (["check", bad_sink], 2)):
        proc = subprocess.run([sys.executable, "-m", "mapper", *args], capture_output=True, cwd=files, timeout=60, env=env)
        assert b"Traceback" not in proc.stderr, proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == code, proc.stderr
        assert b"bad\\udcffname.ndjson line 2" in proc.stdout or b"invalid: s\\udcfe.json" in proc.stdout, proc.stdout


def test_infer_names_a_huge_integer_by_its_own_length(tmp_path: Path) -> None:
    """A 400-digit integer: its first 40 characters and its length, 400 (the text was cut twice,
    and the note said "(59 characters)", the length of the first cut)."""
    (tmp_path / "r.ndjson").write_text('{"id": 1, "v": %s}\n{"id": 2, "v": 1}\n' % ("1" * 400))
    proc = run("infer", "r.ndjson", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    note = next(line for line in proc.stderr.decode().splitlines() if line.startswith("note: v:"))
    assert f"(the first in record 0, line 1, {'1' * 40}...(400 characters))" in note, note


def test_a_raw_control_character_in_a_string_is_named(tmp_path: Path) -> None:
    """A tab or a NUL pasted raw into a value: the error names it and its escape (it said only
    "invalid character at char 15", where check names it for a sink); one outside a string, or
    after a string closed (``"\\\\"``), is no string's."""
    (tmp_path / "s.json").write_text(json.dumps(SINK))
    data = b'{"id": 1, "n": "a\tb"}\n{"id": 2, "n": "\\"\x00"}\n{"id": 3, "n": "\\\\"\x00}\n{"id": 4,\x01 "n": 1}\n'
    (tmp_path / "r.ndjson").write_bytes(data)
    proc = run("validate", "s.json", "r.ndjson", "--report", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    messages = {e["record"]: e["message"] for e in json.loads(proc.stdout)["errors"]}
    assert messages[0] == "Invalid JSON: invalid character at char 18: control character U+0009 in a string (write it as \\t) (record 0, line 1)"
    assert messages[1].startswith("Invalid JSON: invalid character at char 19: control character U+0000 in a string (write it as \\u0000)")
    assert "control character" not in messages[2] and "control character" not in messages[3], messages


@pytest.mark.parametrize("stdin_too", [False, True])
def test_map_to_stdout_redirected_to_an_input_is_refused(files: Path, stdin_too: bool) -> None:
    """``map ... -o - > INPUT``: the shell empties the input before the run, which then read no
    records and said "accepted", exit 0; with ``>>`` the rows were appended to it. Refused as
    ``-o INPUT`` is, exit 2, the input left as it was."""
    records = files / "r.ndjson"
    args = [sys.executable, "-m", "mapper", "map", "s.json", "-" if stdin_too else "r.ndjson", "-o", "-"]
    with open(records, "ab") as out, open(records if stdin_too else os.devnull, "rb") as stdin:  # (>>: the input still whole)
        proc = subprocess.run(args, stdin=stdin, stdout=out, stderr=subprocess.PIPE, cwd=files, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr
    assert b"-o - writes the rows to standard output, which is redirected to " in proc.stderr, proc.stderr
    assert records.read_bytes() == RECORDS
