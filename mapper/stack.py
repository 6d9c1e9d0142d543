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
every caller refuses: a record is read or refused by its own depth, never by its caller's.

Up to Python 3.11 the decoders count their levels against the recursion limit itself, so a
program that raised it (``sys.setrecursionlimit(1_000_000)``) had them read records deeper
than Go's decoder does (11,000 levels: accepted) and past the end of any stack (40,000: a
segfault). With a limit of :data:`CAPPED_LIMIT` or more, every engine call runs with the limit
lowered to :data:`CAPPED_LIMIT` for the call (:func:`_within_cap`), then given back: how deep a
record is read never depends on the limit a program set. It runs where it is called when that
thread's stack holds :data:`CAPPED_LIMIT` levels (a main thread's usual 8 MiB) and the caller is
not that deep, else on a new thread's stack (:func:`_on_new_stack`).
"""

from __future__ import annotations

import _thread
import functools
import os
import sys
import threading
from sys import getrecursionlimit
from typing import Any, Callable, ParamSpec, TypeVar

__all__ = [
    "CAPPED_LIMIT",
    "GO_DEPTH",
    "GO_RECORD_BYTES",
    "RECORD_DEPTH",
    "UNCAPPED",
    "decoders_pass_record_depth",
    "full_stack",
    "on_roomy_stack",
    "roomy_stack",
    "ROOMY",
]

T = TypeVar("T")
P = ParamSpec("P")

#: The second run's thread's stack, whatever ``threading.stack_size`` a program set for its
#: own threads (a 256 KiB one: a segfault decoding 990 levels). Reserved, not touched: the
#: pages a run does not reach are never used.
STACK_BYTES = 16 << 20

_starting = _thread.allocate_lock()

#: Levels of arrays and objects Go's decoder reads in a request body (encoding/json's
#: ``maxNestingDepth``: the bracket opening level 10,001 is "exceeded max depth", the whole body refused).
GO_DEPTH = 10_000
#: ... and so the levels a record may nest, its own object counted: it sits three levels down in
#: a body, ``{"records":[{"value": RECORD}]}`` (a record of 9,998 levels makes a body of 10,001).
RECORD_DEPTH = GO_DEPTH - 3
#: The shortest text nesting past :data:`RECORD_DEPTH` (a bracket opening and one closing each level):
#: a shorter one is never looked at for its depth.
GO_RECORD_BYTES = 2 * (RECORD_DEPTH + 1)

#: The highest recursion limit the engine runs under on Python 3.10 and 3.11, where the decoders
#: (msgspec, ``json``, the C pickler) count their levels against it: they stop some levels short
#: of it, so before :data:`RECORD_DEPTH`, and a stack of :data:`STACK_BYTES` holds that many.
#: From 3.12 on C code has a limit of its own (about 1,500 levels on 3.12, 10,000 on 3.13) that
#: ``sys.setrecursionlimit`` does not move, and the recursion limit is not capped.
CAPPED_LIMIT = RECORD_DEPTH

#: A recursion limit this high or higher has each engine call capped (see :func:`_within_cap`).
UNCAPPED = CAPPED_LIMIT if sys.version_info < (3, 12) else sys.maxsize

_capping = _thread.allocate_lock()
#: Engine calls running with the limit capped, and the limit the program had set, given back
#: when the last of them ends.
_capped_calls = 0
_program_limit = 0


def _after_fork() -> None:  # a child forked while another thread held a lock: a new one, not held
    global _starting, _capping, _capped_calls
    _starting = _thread.allocate_lock()
    _capping = _thread.allocate_lock()
    mine = 1 if ROOMY.__dict__.get("capped", False) else 0  # (a worker forked by a capped call: its own call is still on)
    if _capped_calls and not mine and sys.getrecursionlimit() == CAPPED_LIMIT and _program_limit:
        sys.setrecursionlimit(_program_limit)  # (the calls that lowered it are not in this process)
    _capped_calls = mine


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


#: The C stack one level of a record's nesting may take in the decoders and the engine's walks
#: (measured on Python 3.11: msgspec 345 bytes, orjson and ``json`` 263; a margin over the largest).
LEVEL_BYTES = 640
#: ... and the stack the engine takes besides, at any depth (its own frames and the caller's).
MARGIN_BYTES = 256 << 10


def deepest_decoded() -> int:
    """The most levels of nesting any decoder the engine calls may go into: Python's recursion
    limit (msgspec and ``json`` count their levels against it up to 3.11), at most
    :data:`CAPPED_LIMIT` (the engine lowers a higher one for its calls), the limit of C code
    from 3.12 on (about 1,500 on 3.12, 10,000 on 3.13; from 3.14 on Python checks the stack
    itself), orjson's own 1,024."""
    c_limit = 10_000 if sys.version_info >= (3, 13) else 1_500 if sys.version_info >= (3, 12) else 0
    return max(min(sys.getrecursionlimit(), CAPPED_LIMIT), c_limit, 1_024)


#: From 3.12 on C code has a limit of its own, the recursion limit none of the decoders' business:
#: about 1,500 levels on 3.12 (short of :data:`RECORD_DEPTH`), 10,000 on 3.13 (past it), the stack's from 3.14.
_C_PASSES_RECORD_DEPTH = None if sys.version_info < (3, 12) else sys.version_info >= (3, 13)


def decoders_pass_record_depth() -> bool:
    """Whether the engine's decoders may read a record nested deeper than :data:`RECORD_DEPTH` here
    (then what they read is told its depth, so it is refused as Go refuses it, whatever their own
    limit): from 3.13 on always (9,999 levels on 3.13.0, by C code's own limit); up to 3.11 when the
    recursion limit they count against is above it and not capped (:data:`UNCAPPED`: never, as it
    is capped to it); on 3.12 never (C code stops at 1,500 levels)."""
    if _C_PASSES_RECORD_DEPTH is not None:
        return _C_PASSES_RECORD_DEPTH
    return RECORD_DEPTH < getrecursionlimit() < UNCAPPED


def needed_bytes() -> int:
    """The stack a thread needs to decode and map the deepest record any decoder accepts."""
    return deepest_decoded() * LEVEL_BYTES + MARGIN_BYTES


def thread_stack_bytes() -> int | None:
    """This thread's stack, in bytes, as the system gave it (Linux and macOS); None where it cannot be told."""
    try:
        import ctypes
        import ctypes.util

        if sys.platform == "darwin":
            libc = ctypes.CDLL(None)
            libc.pthread_self.restype = ctypes.c_void_p
            libc.pthread_get_stacksize_np.restype = ctypes.c_size_t
            libc.pthread_get_stacksize_np.argtypes = [ctypes.c_void_p]
            return int(libc.pthread_get_stacksize_np(libc.pthread_self()))
        if not sys.platform.startswith("linux"):
            return None
        libc = ctypes.CDLL(None)
        libc.pthread_self.restype = ctypes.c_ulong
        libc.pthread_getattr_np.argtypes = [ctypes.c_ulong, ctypes.c_void_p]
        libc.pthread_attr_getstack.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
        libc.pthread_attr_destroy.argtypes = [ctypes.c_void_p]
        attr = ctypes.create_string_buffer(256)  # (a pthread_attr_t: 56 or 64 bytes)
        if libc.pthread_getattr_np(libc.pthread_self(), attr) != 0:
            return None
        try:
            low, size = ctypes.c_void_p(), ctypes.c_size_t()
            if libc.pthread_attr_getstack(attr, ctypes.byref(low), ctypes.byref(size)) != 0:
                return None
            return int(size.value)
        finally:
            libc.pthread_attr_destroy(attr)
    except (OSError, AttributeError, ImportError, ValueError):  # (no ctypes, no such call: as before, the thread's own stack)
        return None


class _Room(threading.local):
    """Per thread: ``roomy``, whether its stack holds the deepest record (:func:`needed_bytes`); told
    once, when the thread first asks; ``deep``, whether it holds :data:`CAPPED_LIMIT` levels (a call
    to cap runs here, not on a new thread: :func:`_on_new_stack`). ``home``: the thread is one
    :func:`_on_new_stack` started (the largest stack there is, the recursion limit capped there as
    needed), or its call runs capped where it is; ``capped``: its call runs with the limit capped."""

    def __init__(self) -> None:
        size = thread_stack_bytes()
        self.roomy = size is None or size >= needed_bytes()
        self.deep = size is not None and size >= CAPPED_LIMIT * LEVEL_BYTES + MARGIN_BYTES  # (a capped call can run here)
        self.home = False
        self.capped = False


#: ``ROOMY.roomy``: whether this thread's stack is large enough for the engine (see :func:`on_roomy_stack`).
#: An entry point runs the engine where it is called when ``ROOMY.roomy and (getrecursionlimit() <
#: UNCAPPED or ROOMY.home)`` (the limit needs no cap, :func:`_within_cap`, or is capped here), else
#: through :func:`on_roomy_stack`.
ROOMY = _Room()


def on_roomy_stack(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, here when this thread's stack holds the deepest record any decoder
    accepts, else on a new thread's of :data:`STACK_BYTES`, this thread waiting for it.

    The decoders (msgspec, orjson, ``json``) recurse in C once per level, and stop at a count
    of levels, not at the end of the stack: on a thread a program made with a small stack
    (``threading.stack_size(256 * 1024)``), a record nested 900 levels deep ended the
    process (a segfault) before any limit was reached. The engine's entry points call
    through here (a read of the thread's verdict and of the recursion limit when the stack is
    large enough and the limit needs no cap: the usual case)."""
    if ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home):
        return fn(*args)
    return _on_new_stack(fn, *args)


def roomy_stack(fn: Callable[P, T]) -> Callable[P, T]:
    """``fn``, each call made through :func:`on_roomy_stack` (keyword arguments too): for entry
    points called once for many records (``infer``, ``check_sink``), where the check's cost
    does not count."""

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        if ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home):
            return fn(*args, **kwargs)
        return _on_new_stack(functools.partial(fn, *args, **kwargs))

    return call


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
    return _on_new_stack(fn, *args, first=first)


def _on_new_stack(fn: Callable[..., T], *args: Any, first: BaseException | None = None) -> T:
    """``fn(*args)`` at the bottom of a new thread's stack of :data:`STACK_BYTES`, this thread waiting for it;
    ``first`` raised where no thread can be started, or the interpreter is ending (None: ``fn(*args)`` here).

    A call with the limit to cap (``first`` None) on a thread whose stack holds :data:`CAPPED_LIMIT` levels
    runs here, the limit capped (:func:`_within_cap`), when it is not too deep here to lower it: a new
    thread cost about 200 us a call (a record added to a ``Batcher``: 3 us)."""
    if first is None and ROOMY.roomy and ROOMY.deep and not ROOMY.home:
        try:
            return _within_cap(fn, *args, here=True)
        except _TooDeep:  # (deeper here than the cap: on a new thread's stack, as before)
            pass
    if sys.is_finalizing():  # (the interpreter ending: a thread started now never runs, and the wait for it never ended)
        if first is not None:  # (a batcher dropped at exit with records queued judges them, __del__: the exit hung, the limit raised)
            raise first from None
        return fn(*args)
    outcome: list[Any] = []
    done = _thread.allocate_lock()
    done.acquire()

    def run() -> None:  # (a bare thread: two frames below fn, fewer than any caller of the engine has)
        try:
            ROOMY.roomy = ROOMY.home = True  # (the largest stack there is: fn runs here, never on yet another thread)
            outcome.append((True, _within_cap(fn, *args)))
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
            started = True
        except RuntimeError:  # no thread can be started (a memory or thread limit; no threads at all): as if called here alone
            if first is not None:
                raise first from None
            started = False
        finally:
            if size is not None:
                _thread.stack_size(size)
    if not started:
        return fn(*args)
    interrupted = _wait(done)
    if interrupted is not None:  # (fn is over, its effects whole: the interruption is raised as if it had landed after it)
        raise interrupted
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


class _TooDeep(Exception):
    """:func:`_within_cap` called ``here`` deeper than :data:`CAPPED_LIMIT`: the limit cannot be lowered to it."""


def _within_cap(fn: Callable[..., T], *args: Any, here: bool = False) -> T:
    """``fn(*args)``, with the recursion limit lowered to :data:`CAPPED_LIMIT` while it runs when
    it is higher (3.10 and 3.11 only: see :data:`CAPPED_LIMIT`), then given back (when the last
    such call, of any thread, ends). Called at the bottom of a new thread's stack (a few frames
    deep: the limit can always be lowered there), or ``here``, on a thread whose stack holds the cap:
    :class:`_TooDeep` raised, ``fn`` not called, when it is deeper than the cap. The limit is the process's: while such a call
    runs, another thread recursing deeper than :data:`CAPPED_LIMIT` gets a RecursionError; a
    call on another thread meanwhile sees a limit at the cap, and is capped too (so the limit is
    not given back under it)."""
    global _capped_calls, _program_limit
    if getrecursionlimit() < UNCAPPED:
        return fn(*args)
    with _capping:
        limit = sys.getrecursionlimit()  # (again, under the lock: the program may have lowered it since)
        if limit < UNCAPPED:
            capped = False
        else:
            capped = True
            try:
                sys.setrecursionlimit(CAPPED_LIMIT)
            except RecursionError:  # (3.10 and 3.11: "the limit is too low" at this depth; never at a thread's bottom)
                raise _TooDeep from None
            if not _capped_calls or limit != CAPPED_LIMIT:
                # (not the cap: the program's own, set while another call ran capped, is the one given back; taken only
                # from the first call, 100,000 was given back after a program had raised it to 1,000,000 meanwhile)
                _program_limit = limit
            _capped_calls += 1
    if not capped:
        return fn(*args)
    home = ROOMY.home
    ROOMY.capped = ROOMY.home = True  # (here: the engine's calls within fn run here too, the limit capped already)
    try:
        return fn(*args)
    finally:
        ROOMY.capped, ROOMY.home = False, home
        with _capping:
            _capped_calls -= 1
            if not _capped_calls and sys.getrecursionlimit() == CAPPED_LIMIT and _program_limit > CAPPED_LIMIT:
                sys.setrecursionlimit(_program_limit)  # (unless the program set another meanwhile: its own stays)


def _wait(done: Any) -> BaseException | None:
    """Wait until ``done`` is released (the new thread's ``fn`` is over); an exception that
    interrupts the wait (Ctrl-C in a main thread, another thread's async exception) is
    returned once it is, not raised at once: raised then, the caller went on while ``fn``
    still ran, unlocked, and changed what the caller thought untouched (a ``Batcher``'s
    judging moved its queued records into bodies after ``add_many`` raised, saying it took
    none of them, and a record added meanwhile was lost)."""
    interrupted: BaseException | None = None
    while True:
        try:
            try:
                done.acquire()
                return interrupted
            except BaseException as exc:  # noqa: BLE001 - raised by the caller, once fn is over
                if interrupted is None:
                    interrupted = exc
        except BaseException as exc:  # noqa: BLE001 - (a second one, landing in the handler above)
            if interrupted is None:
                interrupted = exc
