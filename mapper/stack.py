"""Recursion that does not depend on how deep the caller's stack already is.

The decoders (msgspec, the standard library's ``json``) and the walks over decoded
values recurse once per nesting level, and Python counts those levels against the
same budget as the caller's own frames (``sys.getrecursionlimit()``). A record nested
900 deep was read when ``validate`` was called from a script's top level and refused
when it was called 100 frames down (a web handler, a test runner), and a batcher's
verdict could disagree with the mapping of its own body.

:func:`full_stack` gives every such call the same budget: it runs the call where it
is, and if that runs out of stack, once more at the bottom of a new thread's stack
(a bare ``_thread``: the call is two frames from its bottom, where any call into the
engine is six or more frames from a script's top; its stack is :data:`STACK_BYTES`, not
the size a program may have set for its own threads). What that second run refuses,
every caller refuses: a record is read or refused by its own depth (and the process's
recursion limit), never by its caller's.
"""

from __future__ import annotations

import _thread
import os
from typing import Any, Callable, TypeVar

__all__ = ["full_stack"]

T = TypeVar("T")

#: The second run's thread's stack, whatever ``threading.stack_size`` a program set for its
#: own threads (a 256 KiB one: a segfault decoding 990 levels). Reserved, not touched: the
#: pages a run does not reach are never used.
STACK_BYTES = 16 << 20

_starting = _thread.allocate_lock()


def _after_fork() -> None:  # a child forked while another thread held the lock: a new one, not held
    global _starting
    _starting = _thread.allocate_lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def full_stack(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``; if it raises :class:`RecursionError`, ``fn(*args)`` on a new thread's stack.

    Only for calls that can be made twice (decoding, converting, encoding): a caller's
    mapping read by ``fn`` is read again, its ``get`` called on the new thread. The second run's result is returned and its exception
    raised here, :class:`RecursionError` included (a value that holds itself, or one
    deeper than the recursion limit allows from the bottom of a stack). Where no thread can be
    started, the first run's :class:`RecursionError` is raised, as ``fn`` alone would have.
    """
    try:
        return fn(*args)
    except RecursionError as exc:
        first = exc.with_traceback(None)  # (its frames let go: they may hold much of a half-made value)
    outcome: list[Any] = []
    done = _thread.allocate_lock()
    done.acquire()

    def run() -> None:  # (a bare thread: two frames below fn, fewer than any caller of the engine has)
        try:
            outcome.append((True, fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, whatever it is
            outcome.append((False, exc))
        finally:
            done.release()

    with _starting:  # (the size is process-wide: set for this thread's start, then given back)
        try:
            size: int | None = _thread.stack_size(STACK_BYTES)
        except (RuntimeError, ValueError):  # (a system where it cannot be set: its threads' own size)
            size = None
        try:
            _thread.start_new_thread(run, ())
        except RuntimeError:  # no thread can be started (a memory or thread limit; no threads at all): as if called here alone
            raise first from None
        finally:
            if size is not None:
                _thread.stack_size(size)
    done.acquire()
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value
