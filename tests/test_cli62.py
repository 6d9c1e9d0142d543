"""Stop 62's CLI leftovers: each test failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_inproc import ROOT, run_main

ERRORS = ROOT / "examples" / "errors"


# -- standard error that cannot be written: the command's own exit status -----------------------------


def _exit_status(args: list[str], stderr: str, cwd: Path) -> int:
    """``python -m mapper ARGS`` with standard error on a full device (``full``) or a pipe its reader has closed (``closed``)."""
    command = [sys.executable, "-m", "mapper", *args]
    if stderr == "full":
        with open("/dev/full", "wb") as full:
            return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=full, cwd=cwd, timeout=60).returncode
    read, write = os.pipe()
    os.close(read)  # (closed before the command writes: its first write is EPIPE)
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=write, cwd=cwd, timeout=60).returncode
    finally:
        os.close(write)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("stderr", ["full", "closed"])
@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["bogus"], 2),  # (the parser's usage error: exit 1 on /dev/full, 0 with the pipe closed)
        (["validate", "--workers", "x", "s.json"], 2),  # (a command's parser)
        (["infer", "gone.ndjson"], 2),  # (a command's own one-line error: exit 1)
        (["validate", str(ERRORS / "sink.json"), str(ERRORS / "records.ndjson")], 1),  # (records refused: the verdict stands)
    ],
    ids=["usage", "command-usage", "command-error", "verdict"],
)
def test_standard_error_that_cannot_be_written_keeps_the_exit_status(tmp_path: Path, args: list[str], status: int, stderr: str) -> None:
    (tmp_path / "s.json").write_text('[{"name": "id", "path": "id", "type": "id"}]')
    assert _exit_status(args, stderr, tmp_path) == status


# -- serve --table: a file that cannot be read, in every command's words --------------------------------


def test_serve_table_a_file_missing_or_a_directory_is_said_as_every_command_says_it(tmp_path: Path) -> None:
    (tmp_path / "table.sql").write_text("CREATE TABLE t (_id ID, a INT);\n")
    (tmp_path / "dir").mkdir()
    missing = run_main("serve", "--db", ":memory:", "--port", "0", "--table", "tabel.sql", cwd=tmp_path)
    assert missing.returncode == 2, missing.err
    # (it said "cannot read tabel.sql: No such file or directory", the OS's words)
    assert missing.err == "mapper serve: --table tabel.sql: no such file: tabel.sql (did you mean table.sql?)\n", missing.err
    directory = run_main("serve", "--db", ":memory:", "--port", "0", "--table", "db=dir", cwd=tmp_path)
    assert directory.returncode == 2, directory.err
    assert directory.err == "mapper serve: --table db=dir: dir is a directory, not a table file\n", directory.err  # ("Is a directory")
    (tmp_path / "s.json").write_text('[{"name": "id", "path": "id", "type": "id"}]')
    records = run_main("validate", "s.json", "dir", cwd=tmp_path)  # (the records' words: the same function)
    assert records.err == "mapper: dir is a directory, not a records file\n", records.err
