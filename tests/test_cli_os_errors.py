"""An OSError a command lets through is said as what it is: ``cannot write standard output``
only when writing standard output raised it. Any OSError naming no file was said so (a fork
refused, a terminal's read failing, a descriptor limit), and a closed pipe from anywhere ended
the run quietly with exit 0, as ``mapper map ... -o - | head`` does."""

from __future__ import annotations

import errno
import io
import multiprocessing.context
import sys
from pathlib import Path

import pytest

from mapper import cli
from mapper.engine.parallel import can_fork

ROOT = Path(__file__).parents[1]
SINK = str(ROOT / "examples" / "aircraft" / "sink.json")
RECORDS = str(ROOT / "examples" / "aircraft" / "records.ndjson")

needs_fork = pytest.mark.skipif(not can_fork(), reason="no fork: --workers maps in one process")


def _refused(exc: OSError):
    def refuse(*args, **kwargs):
        raise exc

    return refuse


@needs_fork
@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (OSError(errno.EMFILE, "Too many open files"), "mapper: Too many open files (EMFILE)\n"),
        (OSError(errno.EACCES, "Permission denied", "/some/where"), "mapper: /some/where: Permission denied (EACCES)\n"),
        # a closed pipe that is not standard output's: said, exit 2 (it ended the run silently, exit 0)
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), "mapper: Broken pipe (EPIPE)\n"),
    ],
)
def test_an_os_error_not_of_standard_output_is_said_in_the_os_words(monkeypatch, capsys, exc, said):
    # the pipe to a worker process cannot be made (ulimit -n): nothing to do with standard output
    monkeypatch.setattr(multiprocessing.context.BaseContext, "Pipe", _refused(exc))
    code = cli.main(["validate", SINK, RECORDS, "--workers", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == said
    assert "standard output" not in err and "cannot write" not in err


@needs_fork
def test_a_fork_refused_names_the_worker_process(monkeypatch, capsys):
    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", _refused(OSError(errno.EAGAIN, "Resource temporarily unavailable")))
    code = cli.main(["validate", SINK, RECORDS, "--workers", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == "mapper: --workers 2: cannot start a worker process: Resource temporarily unavailable\n"


class _FullRaw(io.RawIOBase):
    """A device that takes nothing (/dev/full)."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("command", [["check", SINK], ["validate", SINK, RECORDS, "--report", "json"], ["map", SINK, RECORDS, "-o", "-"]])
def test_standard_output_that_cannot_be_written_is_still_said_so(monkeypatch, capsys, command):
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(_FullRaw()), encoding="utf-8"))
    code = cli.main(command)
    err = capsys.readouterr().err
    assert code == 2
    assert err.endswith("cannot write standard output: No space left on device\n"), err


def test_standard_output_closed_early_still_ends_quietly(monkeypatch, capsys):
    class Gone(_FullRaw):
        def write(self, data) -> int:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(Gone()), encoding="utf-8"))
    code = cli.main(["map", SINK, RECORDS, "-o", "-"])
    assert code == 0
    assert capsys.readouterr().err == ""


class _Terminal:
    """Standard input on a terminal that is gone (a hang-up): its read fails, EIO."""

    class buffer:
        @staticmethod
        def read(*args):
            raise OSError(errno.EIO, "Input/output error")

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return 0


@pytest.mark.parametrize("command", [["validate", SINK, "-"], ["map", SINK, "-", "-o", "-"], ["infer", "-"]])
def test_a_terminal_that_fails_its_read_is_standard_inputs_error(monkeypatch, capsys, command):
    monkeypatch.setattr(sys, "stdin", _Terminal())
    code = cli.main(command)
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[-1] == "mapper: cannot read standard input: Input/output error"
