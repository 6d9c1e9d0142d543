"""Ctrl-C while the command line starts: its imports (~0.5 s: numpy and the whole package,
most of it in ``import mapper``, before any code of the command runs) end it as any other
moment does (mapper.cli.main): ``interrupted`` and exit 130, not a traceback.

A KeyboardInterrupt raised there cannot be relied on to reach the command: an extension
module's import may turn it into another error (numpy's, interrupted while it imports
``datetime``, into an ImportError), and no code of the command is running yet to catch it.
So the command line's start (only when this process is the command line, and SIGINT has
Python's default handler: an inherited SIG_IGN stays) takes SIGINT with a handler that
ends the process at once (nothing is open or written yet), until :func:`release` gives it
back to Python's handler and the command's own handling.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

_PACKAGE = __name__.rpartition(".")[0]


def command_line() -> bool:
    """Whether this process is the command line starting: the program its real command line
    (``sys.orig_argv``) names, where the program's arguments (``sys.argv``) begin, is this
    package or its ``cli`` module run with ``-m`` (while runpy imports the package,
    ``sys.argv[0]`` is ``-m``, as documented; the name stands alone or as ``-mNAME``), or
    the installed ``mapper`` script (``from mapper.cli import main``, ``sys.argv[0]`` its
    path: its name may end in ``.exe`` or ``-script.pyw`` on Windows). Both reach
    ``mapper.cli.main``, which calls :func:`release`. Not a program's own ``import mapper``,
    nor a process started with another's ``sys.argv`` (a spawned multiprocessing child)."""
    argv, orig = sys.argv, getattr(sys, "orig_argv", [])
    given = orig[len(orig) - len(argv)] if 0 < len(argv) <= len(orig) else ""
    if argv[:1] == ["-m"]:
        return (given.partition("m")[2] if given.startswith("-") else given) in (_PACKAGE, f"{_PACKAGE}.cli")
    script = os.path.basename(argv[0]) if argv and given == argv[0] else ""
    if script.removesuffix(".exe").removesuffix("-script.pyw").removesuffix("-script.py") != _PACKAGE:
        return False
    return _runs_the_cli(argv[0])


def _runs_the_cli(path: str) -> bool:
    """Whether the script at ``path`` is the installed one (pip, uv and installer write ``from
    mapper.cli import main`` into it, and end it with ``sys.exit(main())``), not a program of the
    user's that happens to be named ``mapper``: that one keeps Python's KeyboardInterrupt (its
    own cleanup runs), and what it does once ``main()`` returns (the command line's ends the
    process at once, :func:`exit_at_once`)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4097)
    except OSError:
        return False
    return len(head) <= 4096 and f"from {_PACKAGE}.cli import main".encode() in head and head.rstrip().endswith(b"sys.exit(main())")


def interrupted(signum: int, frame: Any) -> None:
    """SIGINT during the start: the line every interrupted command prints, and 130."""
    try:
        os.write(2, b"interrupted\n")
    finally:
        os._exit(128 + signal.SIGINT)


#: Whether this process is the command line (:func:`command_line`, as it started: under ``-m``,
#: ``sys.argv`` names the package only while runpy imports it).
started_as_command_line = False


def guard() -> None:
    """The command line starting takes SIGINT (run by importing this module, which
    ``import mapper`` does first)."""
    global started_as_command_line
    started_as_command_line = command_line()
    if started_as_command_line and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        try:
            signal.signal(signal.SIGINT, interrupted)
        except ValueError:  # pragma: no cover - not the main thread: not a program's start
            pass


def release() -> None:
    """The command runs: SIGINT is Python's KeyboardInterrupt again (if :func:`guard` took it)."""
    if signal.getsignal(signal.SIGINT) is interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)


guard()


# ---------------------------------------------------------------------------------------
# The command line's end: what a run made is left to the process's end, not freed


#: What ``map`` and ``validate`` made, kept here to the command line's end (None: nothing is
#: kept, as when a program calls ``mapper.cli.main``): freeing 4.2M strings of a ``map --workers
#: 2 -o out.npz`` of 1M seed records took 0.09 s, and the interpreter's teardown 0.05 s more, after
#: the output was written; the command line ends with :func:`exit_at_once` instead.
_kept: list[Any] | None = None


def keep_to_exit(obj: Any) -> None:
    """Keep ``obj`` (a run's columns, written) to the command line's end, when it ends at once."""
    if _kept is not None:
        _kept.append(obj)


def keep_from_now() -> None:
    """The command line will end with :func:`exit_at_once`: what is handed to :func:`keep_to_exit` is kept."""
    global _kept
    _kept = []


def exit_at_once(code: int) -> None:
    """End the command line with ``code`` now, without freeing what it made (:data:`_kept`) or
    tearing the interpreter down: standard output and error flushed, the ``atexit`` handlers run
    (multiprocessing's, coverage's), then ``os._exit``. Every output is written, closed and renamed
    into place before this is called. Returns (the process then ends as usual) when another
    thread still runs, or standard output cannot be flushed (the error is said at the usual exit)."""
    import atexit
    import threading

    run_handlers = getattr(atexit, "_run_exitfuncs", None)  # (CPython's; elsewhere the usual exit)
    if threading.active_count() > 1 or run_handlers is None or not _flushed():
        return
    run_handlers()
    _flushed()  # (what a handler said)
    os._exit(code)


def _flushed() -> bool:
    """Flush standard output and error: False when one cannot be (closed, or a full disk)."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True


class Terminated(KeyboardInterrupt):
    """SIGTERM, taken as Ctrl-C is: outputs in progress are removed on the way out (the default
    action killed the process where it stood, its temporary file left beside the output)."""


#: The interruptions (SIGINT, SIGTERM) that the handlers of a command run by :func:`mapper.cli.main`
#: took, each once (a later one is ignored); None while no such handlers are in place (a program's
#: own calls: a library call notes nothing, and raises no interruption it did not get as Python's
#: own). What a handler raises can be lost: where a library calls Python code and drops what it
#: raises (msgspec, building a decoder, hashes the type's metadata), the run went on as if no signal
#: had come, to its end (exit 0, its output in place), and only SIGKILL stopped it. Looked at by
#: the command's safe points (:func:`interruption_lost`), and where a run sees a worker killed by
#: one of them (:func:`interruption_taken`): the signal the whole process group got.
_taken: list[int] | None = None


#: The process whose command's handlers note what they take (a worker forked meanwhile runs them
#: until its own handling is in place: its parent takes the interruption).
_noter = 0


def noting() -> None:
    """A command's handlers are in place in this process (:func:`mapper.cli.main`): the
    interruptions they take are noted from now (:func:`took`) until :func:`forget`, none noted yet."""
    global _taken, _noter
    _taken, _noter = [], os.getpid()


def forget() -> None:
    """The command's handlers are gone (``main`` called by a program returns): nothing noted, and
    nothing noted from now (the program's next calls, and its own, run whole)."""
    global _taken
    _taken = None


def took(signum: int) -> None:
    """A command's handler took ``signum`` (SIGINT or SIGTERM), and raises its interruption (nothing
    is noted while no command's handlers are in place: :func:`noting`)."""
    if _taken is not None and os.getpid() == _noter:
        _taken.append(signum)


def interruption_lost() -> None:
    """A safe point of a command's run (a chunk read, a worker's answer taken, a report or an output
    about to be let out or renamed into place): the interruption a handler took whose exception was
    lost on the way (:data:`_taken`) is raised here, as if it had come now: SIGTERM as
    :class:`Terminated`, SIGINT as KeyboardInterrupt. Else nothing (a list's truth: no cost a chunk).
    Never for a program's own calls: only a command's handlers note a signal (send notes its own:
    ``mapper.send._interruption_lost``)."""
    if _taken:
        _raise_interruption(_taken)


def interruption_taken() -> None:
    """Raise the interruption this process got, if it got one (a worker killed by SIGINT or SIGTERM:
    the whole process group's, or the worker's alone): a handler of a signal come but not yet run
    is run (its interruption raised from there); one a command's handler took already, whose
    interruption was lost (:data:`_taken`), or, while a command's handlers are in place, one
    pending, blocked in this thread, is raised here: SIGTERM as :class:`Terminated`, SIGINT as
    KeyboardInterrupt. Else nothing: the worker's own death, or a program's own call whose signal
    waits, blocked, for the program to take it (it gets the worker's death, a MapperError, as any
    failure of the call: never an interruption Python would not have raised)."""
    pending: set[int] = set()
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, [])  # (Python runs the handlers of the signals come as it returns)
        pending = set(signal.sigpending())
    if _taken is not None:
        _raise_interruption(pending.union(_taken))


def pending_here(signum: int) -> bool:
    """Whether ``signum`` waits, blocked in this thread, for this process (a program's own handling)."""
    return hasattr(signal, "sigpending") and signum in signal.sigpending() and signum in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def _raise_interruption(got: Iterable[int]) -> None:
    """The interruption of the signals ``got`` (SIGINT, SIGTERM): SIGTERM's :class:`Terminated` over
    SIGINT's KeyboardInterrupt; nothing for neither."""
    got = set(got)
    if signal.SIGTERM in got:
        raise Terminated
    if signal.SIGINT in got:
        raise KeyboardInterrupt


@contextmanager
def signals_blocked(signals: Iterable[int]) -> Iterator[None]:
    """``signals`` blocked in this thread while the body runs (those it blocked already stay so;
    a process forked meanwhile starts with them blocked); one that came meanwhile is taken as the
    body ends. Nothing where threads have no signal masks (Windows), or for no signals."""
    signals = frozenset(signals)
    if not signals or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
