"""Run ``mapper.cli.main(ARGS)`` in the test's own process as ``python -m mapper ARGS`` runs it.

A ``python -m mapper`` subprocess costs ~0.4 s of CPU before it does anything (Python, numpy
and mapper imported again); the CLI tests start hundreds of them. Where the process boundary
is not what a test checks, :func:`run_main` runs the command here instead, with what the
command sees made the same as in a subprocess started by ``subprocess.run(input=...,
capture_output=True)``:

* descriptors 0, 1 and 2 are pipes for the call (the command opens ``/dev/stdin``, writes
  ``/dev/stdout``, compares files with standard output: the descriptors matter, not only
  ``sys.stdin`` and ``sys.stdout``), fed and drained by threads; ``sys.stdin``,
  ``sys.stdout`` and ``sys.stderr`` are new text streams on them, as Python makes them;
* the working directory is ``cwd``; ``SystemExit`` (argparse's usage errors, ``--help``)
  is the exit status, as at a process's end, and what standard output still buffers is
  flushed as at exit;
* warnings are shown on standard error as Python's default filters show them.

What a subprocess alone shows stays a subprocess (``env=`` changing imports, signals,
terminals, exit at once, a pipe closed under the command, a full disk at exit): a test
about those calls :func:`run_process`. Every run is checked for a traceback on either
stream, as the subprocess runs were.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]


class CommandTimeout(BaseException):
    """The in-process command ran past its time (a BaseException: main takes no OSError or MapperError for it)."""


class Ran(subprocess.CompletedProcess):
    out: str
    err: str


def _finish(proc: Any) -> Ran:
    proc.out = proc.stdout.decode("utf-8", "replace")
    proc.err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in proc.err, proc.err
    assert "Traceback" not in proc.out, proc.out
    return proc  # type: ignore[no-any-return]


def run_process(*args: Any, input: bytes | None = None, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 60) -> Ran:
    """``python -m mapper ARGS`` in a subprocess; never a traceback on stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "mapper", *[str(a) for a in args]],
        input=input if input is not None else b"",
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    return _finish(proc)


def _drain(fd: int, into: list[bytes]) -> None:
    while chunk := os.read(fd, 1 << 16):
        into.append(chunk)
    os.close(fd)


def _feed(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:  # (the command stopped reading: as subprocess.run takes it)
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """``CommandTimeout`` after ``seconds``, by SIGALRM; under a test's own alarm (one pending), that one bounds the run."""
    if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise CommandTimeout(f"the command ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_main(*args: Any, input: bytes | None = None, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 60) -> Ran:
    """``mapper.cli.main(ARGS)`` here, as ``python -m mapper ARGS`` runs; ``env`` given: a subprocess."""
    if env is not None:  # (an environment of its own: imports may change with it)
        return run_process(*args, input=input, cwd=cwd, env=env, timeout=timeout)
    from mapper.cli import main

    argv = [str(a) for a in args]
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    out: list[bytes] = []
    err: list[bytes] = []
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    streams = sys.stdin, sys.stdout, sys.stderr
    here = os.getcwd()
    for fd in (in_r, out_w, err_w):
        os.set_inheritable(fd, False)
    threads = [
        threading.Thread(target=_feed, args=(in_w, input or b""), daemon=True),
        threading.Thread(target=_drain, args=(out_r, out), daemon=True),
        threading.Thread(target=_drain, args=(err_r, err), daemon=True),
    ]
    code: Any = 0
    try:
        for fd, pipe_end in ((0, in_r), (1, out_w), (2, err_w)):
            os.dup2(pipe_end, fd)
            os.close(pipe_end)
        for t in threads:
            t.start()
        sys.stdin = open(0, encoding="utf-8", errors="surrogateescape", closefd=False)  # noqa: SIM115
        sys.stdout = stdout = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)  # noqa: SIM115
        sys.stderr = stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)  # noqa: SIM115
        os.chdir(cwd)
        with warnings.catch_warnings():
            warnings.resetwarnings()  # Python's default filters, as the subprocess had them
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            warnings.simplefilter("ignore", ImportWarning)
            warnings.simplefilter("ignore", ResourceWarning)
            warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: stderr.write(
                warnings.formatwarning(message, category, filename, lineno, line)
            )
            with _deadline(timeout):
                try:
                    code = main(argv)
                except SystemExit as exc:  # (argparse: usage errors and --help)
                    code = exc.code
        if code is None:
            code = 0
        elif not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        stdout.flush()  # (what a process flushes at its exit; an error here would be a process's own business: run_process)
        stderr.flush()
    finally:
        for stream in (sys.stdout, sys.stderr):
            if stream not in streams:
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
        os.chdir(here)
        sys.stdin, sys.stdout, sys.stderr = streams
        for fd, old in zip((0, 1, 2), saved):
            os.dup2(old, fd)  # (the pipes' last write ends close here: the drains end)
            os.close(old)
        for t in threads:
            t.join(timeout)
    return _finish(subprocess.CompletedProcess(["mapper", *argv], code, b"".join(out), b"".join(err)))
