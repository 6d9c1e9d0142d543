"""Stop 62's CLI leftovers: each test failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_inproc import ROOT

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
