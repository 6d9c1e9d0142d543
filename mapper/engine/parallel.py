"""``workers=N``: map one batch with several processes, each taking a share of the rows.

The input (NDJSON bytes, or an NDJSON file) is cut into ``N`` ranges at line ends,
the first :data:`CALLER_SHARE` times the size of each other. Forked workers map the
ranges after the first (a file's range is read by the worker itself, chunk by chunk:
:class:`FileRange`; nothing is pickled on the way in) while the calling process maps
the first (bytes in place, not copied out). Each part keeps every row and every
failure of its records, numbered from its own start; its columns come back whole
through one shared-memory segment (strings as UTF-8 bytes and offsets, never one
pickled object per value), with its report. The parts are then joined in order: columns concatenated (the workers'
strings stay UTF-8 and the caller's stay objects, as chunks of one
:class:`~mapper.batch.Strings`: a form of the whole, string ``_id`` values included,
is made only when someone asks for it; the caller makes its UTF-8 while a worker is
still busy), record indices and line numbers shifted by the records and lines of the
parts before, the reports merged in record order, and the batch policy applied once
to the whole, as one process applies it (:func:`mapper.engine.core.finish_batch`).

Inputs that cannot be cut at line ends (a JSON array, a request body, documents
under ``records_path`` that are not NDJSON, gzip, a stream, Python objects) are
mapped in one process. Fork is required (Linux, macOS).
"""

from __future__ import annotations

import errno
import gc
import mmap
import multiprocessing as mp
import os
import pickle
import secrets
import signal
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from itertools import accumulate
from multiprocessing import resource_tracker, shared_memory
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .._start import interruption_lost, interruption_taken, pending_here, signals_blocked
from ..batch import Batch, ColumnArrays, Strings, concat_batches
from ..compiler import CompiledSink
from ..errors import InputError, MapperError, shown_name
from ..model import Sink
from ..options import MapOptions
from ..report import RejectedRecord, Report, decide, join_reports, moved_rejected
from .core import Engine, finish_batch, notes_given
from .reader import (
    BOM,
    MAGIC_SIZE,
    blank,
    chunk_size_for,
    documents_units,
    format_head,
    format_notice,
    format_of,
    head_in,
    line_limit,
    lone_object_notice,
    measured,
    note_records_path_off,
    safe_points,
    split_lines,
    stream_lines,
    unpacker,
)


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def most_workers() -> int:
    """The most processes ``workers=N`` starts: one per CPU this process may run on, at least 2.

    More only take turns on the same CPUs, each with its share of the input's memory
    (``workers=100000`` forked until the machine ran out of memory)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # (macOS has no affinity)
        cpus = os.cpu_count() or 1
    return max(2, cpus)


def workers_note(asked: int, used: int, cli: bool = False) -> str | None:
    """What a report says when fewer processes than ``asked`` may start (see :func:`most_workers`):
    ``used``, the processes that mapped (one per range: a small input has fewer ranges). ``cli``:
    the option named as the command line spells it, ``--workers 5`` (else the API's, ``workers=5``),
    as the command line's other words on it do (``mapper: --workers 5: several inputs: ...``)."""
    most = most_workers()
    if asked <= most:
        return None
    return f"{f'--workers {asked}' if cli else f'workers={asked}'}: mapped with {used} process{'es' if used != 1 else ''}, at most one per CPU this process may run on ({most}; more would only take turns)"


def splittable(records: Any, options: MapOptions) -> bool:
    """Whether ``records`` is NDJSON that every process can reach (bytes in memory, or a regular file)."""
    if options.input_format not in ("auto", "ndjson"):
        return False
    if isinstance(records, bytes):
        head = records  # (read in place: format_of takes all of it)
    elif isinstance(records, (bytearray, memoryview)):
        head = head_in(records)
    elif isinstance(records, os.PathLike) and Path(os.fsdecode(records)).is_file():
        try:
            with open(records, "rb") as fh:
                head = format_head(fh)
        except OSError as exc:  # (a file there but not readable: said as the reader says it, not as an output's fault)
            raise InputError(f"cannot read {shown_name(records)}: {exc.strerror or exc}") from None
    else:
        return False
    if unpacker(head[:MAGIC_SIZE]) is not None:  # compressed: read from its start only
        return False
    return options.input_format == "ndjson" or format_of(head) == "ndjson"


#: The calling process's range, in shares of a worker's: a worker also pays for making its
#: strings' UTF-8 and packing its columns into shared memory (~0.35 us a seed record: ~1.4 us
#: a record in all, against the caller's ~1.0 us). Joining the parts comes after the workers
#: answer, whatever the shares: the caller's range is balanced against a worker's alone. Measured on 1M seed records, 2
#: workers (CPU time of each process, three runs per share): the caller's mapping against
#: the worker's time to its answer -0.03..-0.13 s at 1.3, -0.03..+0.03 s at 1.4, +0.02..+0.10 s at 1.5.
#: Measured again in wall time once nothing ran before the fork but the cut (each process checks
#: its own range for ASCII after it) and no resource tracker was started: the caller waited
#: 20-33 ms for the worker's answer at 1.4 (median 25), the worker had answered 12-22 ms before
#: the caller was done at 1.5, and at 1.45 neither waited (medians 1.2 and 0.6 ms; workers=2
#: medians 0.657 -> 0.619 s, 12 runs each, alternating; 0.630 -> 0.613 s over the quieter first 6).
CALLER_SHARE = 1.45
#: ... when the parts go to a writer (``map --workers N -o``): the caller then also makes
#: its strings' UTF-8 (~0.4 us a seed record), which the workers make as they pack.
WRITER_CALLER_SHARE = 1.0


def cut_points(view: Any, parts: int, first_share: float = 1.0) -> list[int]:
    """Byte offsets cutting ``view`` into ``parts`` ranges, each after a newline: the first
    ``first_share`` times the size of each other (about equal sizes by default)."""
    n = len(view)
    cuts = [0]
    total = first_share + parts - 1
    for k in range(1, parts):
        at = max(cuts[-1], int(n * (first_share + k - 1) / total))
        nl = view.find(b"\n", at)
        cut = n if nl < 0 else nl + 1
        if cut >= n or blank(view, cut):  # (a range of blank lines alone: the one before takes them)
            break
        if blank(view, 0, cut):  # nothing but blank lines before: the next range takes them (a one-line
            continue  # input after them is still the whole input, and gets its note)
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(n)
    return cuts


def cuts_for(view: Any, workers: int, to_writer: bool = False) -> list[int]:
    """The ranges ``workers=N`` cuts ``view`` (NDJSON bytes or a file's map) into, as
    :func:`cut_points` gives them: one process maps each (at most :func:`most_workers`;
    a small input has fewer ranges). ``mapper bench`` counts them to say how many ran."""
    return cut_points(view, min(workers, most_workers()), WRITER_CALLER_SHARE if to_writer else CALLER_SHARE)


class Part:
    """What mapping one range gave: its columns and ``_id`` (every row), its report, its lines."""

    __slots__ = ("columns", "ids", "report", "lines")

    def __init__(self, columns: dict[str, ColumnArrays], ids: ColumnArrays | None, report: Report, lines: int):
        self.columns, self.ids, self.report, self.lines = columns, ids, report, lines


class Keep:
    """What a range keeps of its refused records: ``rejected`` (every one, with its text,
    in the part's report), ``failed`` (their indices), or neither, each refused record
    then handed to ``on_reject`` as it is found (a worker's goes to its spool file)."""

    __slots__ = ("rejected", "failed", "on_reject")

    def __init__(self, rejected: bool = True, failed: bool = True, on_reject: Callable[[RejectedRecord], None] | None = None):
        self.rejected, self.failed, self.on_reject = rejected, failed, on_reject


_KEEP_ALL = Keep()


def _map_range(
    compiled: CompiledSink,
    data: bytes | FileRange,
    options: MapOptions,
    output: bool,
    first: bool,
    end: int | None = None,
    whole: bool = False,
    keep: Keep = _KEEP_ALL,
    start: int = 0,
    name: str | None = None,
) -> Part:
    """Map one range as a batch of its own: every record, every failure kept (the policy comes after the merge).

    ``data`` from ``start`` up to ``end`` (line ends; None: all of it) is the range: an
    input in memory is read in place, not copied out (whether the range is ASCII is found
    here, by the process mapping it: see :func:`~mapper.engine.reader.split_lines`); a file's range is a
    :class:`FileRange` (its own bounds: ``start`` and ``end`` are not read), read chunk by chunk (a worker of ``validate`` holds one chunk of
    its range at a time, not the range). Lines are counted from the range's start; a
    byte order mark is the input's only at its very start (in a later range it is part
    of its line, as in one process). ``whole``: the range is the whole input (a one-line
    input gets the note a one-line document gets). ``name``: the input file's, for the commands hints give
    (a :class:`FileRange`'s own path by default).
    """
    # validate's workers keep no columns (they held every row of their range: memory grew with the input)
    engine = Engine(
        compiled,
        replace(options, on_error="skip", max_errors=None, workers=1, input_format="ndjson"),
        output=output,
        keep_rejected=keep.rejected,
        keep_failed=keep.failed,
        on_reject=keep.on_reject,
    )
    engine.rb.input_name = name if name is not None or not isinstance(data, FileRange) else os.fspath(data.path)
    limit = line_limit(options.max_record_size, options.records_path)  # as in one process (reader.units_for)
    if isinstance(data, FileRange):
        if whole:  # one range (an input too small, or too few lines, to cut): read as in memory, for the note
            try:
                text = data.read()
            finally:
                data.close()
            return _map_range(compiled, text, options, output, first, whole=True, keep=keep, name=engine.rb.input_name)
        engine.expect_bytes = data.end - data.pos
        head = data.read(len(BOM)) if first else b""
        chunks = measured(stream_lines(data, min(chunk_size_for(len(compiled.stored_index)), limit), b"" if head == BOM else head, limit), limit)
    else:
        end = len(data) if end is None else end
        engine.expect_bytes = end - start
        if first and data.startswith(BOM):
            data, end = data[3:end], end - 3
        # (whether the range is ASCII is found there, in this process: see split_lines)
        chunks = measured(split_lines(data, min(chunk_size_for(len(compiled.stored_index)), limit), limit, end=end, start=start), limit)
    units = safe_points(documents_units(chunks, options.records_path) if options.records_path is not None else chunks)
    try:
        for unit in units:
            engine.feed(unit)
    finally:
        if isinstance(data, FileRange):
            data.close()
    lines_fed = engine.next_line - 1  # (each unit of NDJSON lines moves it on by its lines)
    if whole and options.records_path is None:  # the whole input in one range: one line may be a document
        assert isinstance(data, bytes)
        notice = lone_object_notice(data)
        if notice is not None:
            engine.feed(notice)
    columns, ids, report = engine.finish_part()
    # under a records path the engine sees records, not lines: counted here
    if options.records_path is None:
        lines = lines_fed
    elif isinstance(data, FileRange):
        lines = data.lines
    else:
        assert end is not None  # (set above, for bytes)
        lines = data.count(b"\n", start, end) + (1 if end > start and data[end - 1 : end] != b"\n" else 0)
    return Part(columns, ids, report, lines)


class FileRange:
    """Bytes ``start`` to ``end`` of a file, read as a stream (:func:`~mapper.engine.reader.stream_lines`
    takes it), its lines counted on the way.

    ``ident``: the file's ``(st_dev, st_ino, st_size)`` when it was cut into ranges. The
    file is opened once; another file under its name, or a file now shorter than the
    range, is an :class:`~mapper.errors.InputError` (the ranges were cut in the file as
    it was: records would be lost, or read from two files, without a word).
    """

    def __init__(self, path: Any, start: int, end: int, ident: tuple[int, int, int] | None = None, count_lines: bool = True):
        self.path, self.pos, self.end, self.ident = path, start, end, ident
        self.count_lines = count_lines  # (NDJSON's lines are the engine's count: see _map_range)
        self.newlines = 0
        self.last = b""
        self._fh: Any = None

    def _changed(self, what: str) -> InputError:
        return InputError(f"{self.path} changed while it was read ({what}): map it again once it is written")

    def read(self, n: int = -1) -> bytes:
        want = self.end - self.pos if n < 0 else min(n, self.end - self.pos)
        if want <= 0:
            return b""
        if self._fh is None:
            try:
                self._fh = open(self.path, "rb")  # noqa: SIM115 - closed by close()
            except OSError as exc:
                raise self._changed(f"it cannot be opened: {exc.strerror}") from None
            st = os.fstat(self._fh.fileno())
            if self.ident is not None and ((st.st_dev, st.st_ino) != self.ident[:2] or st.st_size < self.end):
                raise self._changed("another file, or a shorter one, is under its name now")
        try:
            block = os.pread(self._fh.fileno(), want, self.pos)
        except OSError as exc:  # (a disk's EIO: said naming the file, as an input's fault, not as a worker's traceback)
            raise InputError(f"cannot read {shown_name(self.path)}: {exc.strerror or exc}") from None
        if len(block) < want:
            raise self._changed(f"it ended at byte {self.pos + len(block):,}, in a range cut up to byte {self.end:,}")
        self.pos += len(block)
        if self.count_lines:
            self.newlines += block.count(b"\n")
        self.last = block[-1:]
        return block

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    @property
    def lines(self) -> int:
        """The lines read so far (a last one without its newline counted)."""
        assert self.count_lines, "a range read without counting its lines"
        return self.newlines + (1 if self.last not in (b"", b"\n") else 0)


def _range(records: bytes | Path, start: int, end: int, ident: tuple[int, int, int] | None, options: MapOptions) -> bytes | FileRange:
    """One process's range for :func:`_map_range`: an input in memory as it is (the parent's
    bytes, forked, not copied: read in place from ``start`` to ``end``), a file's as a :class:`FileRange`."""
    if isinstance(records, bytes):
        return records
    return FileRange(records, start, end, ident, options.records_path is not None)


def _worker(
    conn: Any,
    inherited: list[Any],
    sink: Sink,
    records: Any,
    start: int,
    end: int,
    options: MapOptions,
    output: bool,
    shm_name: str,
    ident: Any = None,
    keep: tuple[bool, bool, int | None] = (True, True, None),
    held: frozenset[int] = frozenset(),
    parent: int | None = None,
) -> None:
    """Map one range and send it back; ``inherited``: the parent's ends of the pipes (this
    one's included), closed at once, so that a dead parent leaves no reader: the answer
    then fails (EPIPE), or the wait for the parent's word that it took the segment ends
    (EOF), and the worker exits with its segment unlinked. (A small answer fits the pipe:
    a worker that exited once it was sent left its segment behind for good when the
    parent was killed before reading it.) ``shm_name``: the parent's name for this
    worker's segment (the parent removes it after stopping a worker it never heard
    from, whenever the worker was stopped). ``keep``: what the range keeps of its refused
    records (see :class:`Keep`), and the descriptor (inherited) of the spool file its refused
    records are written to as they are found (None: none), for the parent to pass on in order.
    ``records`` in memory (bytes, the parent's: forked, not copied) are read in place.
    ``held``: the signals it was forked with blocked (:func:`_held_across_fork`), unblocked
    once its own handling is in place (SIGTERM always: see below). ``parent``: the parent's
    process id, whose death ends this worker at once (:func:`_die_with_parent`)."""
    for parent_end in inherited:
        parent_end.close()
    if parent is not None:
        _die_with_parent(parent, shm_name)
    # the command line takes SIGTERM as Ctrl-C (mapper.cli): a worker, stopped by its parent or
    # with the process group, just ends (an inherited handler printed its traceback)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.disable()  # a short-lived process that makes few cycles; collections would copy shared pages
    spool = None
    try:
        # what came since the fork is taken now: SIGTERM ends this process, SIGINT is said below.
        # SIGTERM is unblocked even when the parent's thread blocked it (a program that waits for
        # its signals in a thread of its own): the parent stops a worker with it
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held | {signal.SIGTERM})
        compiled = CompiledSink(sink)
        rejected, failed, spool_fd = keep
        on_reject = None
        if spool_fd is not None:
            with _spooling():
                spool = os.fdopen(os.dup(spool_fd), "wb")  # noqa: SIM115 - closed below
            on_reject = partial(_spool, spool)
        data = _range(records, start, end, ident, options)
        part = _map_range(compiled, data, options, output, first=False, end=end, keep=Keep(rejected, failed, on_reject), start=start)
        if spool is not None:
            with _spooling():
                spool.close()  # (a write that fails is this worker's error, said to the parent)
        packed = ({name: _packed(a) for name, a in part.columns.items()}, _packed(part.ids) if part.ids is not None else None)
        payload, name, spans = _to_shared(packed, shm_name)
        try:
            conn.send(("ok", payload, name, spans, part.report, part.lines))
            conn.recv()  # the parent took it (and unlinked it), or is gone: EOF
        except (EOFError, OSError):
            pass
        finally:
            _unlink(name)  # nobody will read it (none left when the parent took it)
    except BrokenPipeError:
        pass  # the parent is gone
    except BaseException as exc:  # tell the parent instead of dying silently
        try:
            if isinstance(exc, InputError):  # the input's fault, said as one process says it
                conn.send(("input", str(exc), "", None, None))
            elif isinstance(exc, WorkerError):  # what it could not set up, said in one line
                conn.send(("setup", str(exc), "", None, None))
            else:
                conn.send(("error", f"{exc.__class__.__name__}: {exc}", traceback.format_exc(), None, None))
        except OSError:
            pass
    finally:
        if spool is not None:
            try:
                spool.close()
            except OSError:  # (its failure is said above)
                pass
        conn.close()


#: The signal a worker is sent when its parent dies (Linux: ``prctl(PR_SET_PDEATHSIG)``), handled
#: by :func:`_die_with_parent` (None where there is no such signal: no workers are forked there).
_ORPHANED: Any = getattr(signal, "SIGUSR1", None)
#: Seconds between a worker's looks at its parent where the system cannot signal its death.
_WATCH_EVERY = 0.05


def _die_with_parent(parent: int, segment: str) -> None:
    """End this worker as soon as its parent process ``parent`` is gone (killed outright: SIGKILL,
    the OOM killer), instead of mapping the rest of its range for nobody (seconds of a CPU, its
    memory held, on a big input) and finding out as its answer fails. Its shared-memory
    ``segment`` (the parent's name for it), if it made it, is removed first: the parent, which
    removes a worker's segment otherwise, is gone.

    On Linux the kernel sends :data:`_ORPHANED` as the parent dies (``PR_SET_PDEATHSIG``, set
    through ctypes); elsewhere, or where that fails, a thread looks at ``os.getppid()`` every
    :data:`_WATCH_EVERY` s (the dead parent's children are handed to another). A parent gone
    before either is in place is seen by the same look, made once at once."""

    def orphaned(*_: Any) -> None:
        _unlink(segment)
        os._exit(1)

    if _ORPHANED is None:  # pragma: no cover - (no fork there)
        return
    signal.signal(_ORPHANED, orphaned)
    if hasattr(signal, "pthread_sigmask"):  # (the forking thread may block it: a program that waits for its signals in one thread)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {_ORPHANED})
    if not _death_signal(_ORPHANED):
        threading.Thread(target=_watch_parent, args=(parent, orphaned), name="mapper-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # (it died before the signal was asked for)
        orphaned()


def _death_signal(signum: int) -> bool:
    """Ask the kernel for ``signum`` when this process's parent dies: whether it was set (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
        return bool(prctl(1, int(signum), 0, 0, 0) == 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # (no prctl in this libc)
        return False


def _watch_parent(parent: int, orphaned: Callable[[], None]) -> None:
    """Where the kernel cannot signal a parent's death: look at it until it is gone."""
    while os.getppid() == parent:
        time.sleep(_WATCH_EVERY)
    orphaned()


#: Blocked in the thread that forks a worker, and in the worker until it has set its own handling
#: (:func:`_worker`). One that came before then ran the parent's handler in the worker: the
#: command line's SIGTERM (a group's, or the parent's stopping it) raised there, and a
#: terminal's Ctrl-C under a program's KeyboardInterrupt: in multiprocessing's start of the
#: process ("Process ForkProcess-1: Traceback ... Terminated" on standard error), or, as the
#: fork returned, in the parent's own code, which the worker then went on running as if it were
#: the parent. Held, it is taken once the worker's handling is in place (SIGTERM's default
#: action ends it); the parent takes its own as the worker is started.
_FORK_HELD = frozenset({signal.SIGINT, signal.SIGTERM})


def _held_across_fork() -> frozenset[int]:
    """Of :data:`_FORK_HELD`, those this thread does not block already (a program's own
    blocked SIGINT stays blocked in its workers); none where threads have no signal masks."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - (every POSIX system the workers run on has it)
        return frozenset()
    return frozenset(_FORK_HELD - signal.pthread_sigmask(signal.SIG_BLOCK, []))


@contextmanager
def _spooling() -> Iterator[None]:
    """An OSError writing a worker's file of refused records (a full disk, the file size
    limit), as a :class:`WorkerError` naming where it is."""
    try:
        yield
    except OSError as exc:
        where = shown_name(tempfile.gettempdir())
        raise WorkerError(
            f"a worker process could not write its refused records to its temporary file in {where}: {exc.strerror or exc}; {ONE_PROCESS}"
        ) from None


def _spool(spool: Any, rejected: RejectedRecord) -> None:
    """A refused record into the worker's spool file, for the parent to pass on in order."""
    with _spooling():
        pickle.dump(rejected, spool, protocol=pickle.HIGHEST_PROTOCOL)


def _unlink(name: str | None) -> None:
    """Remove a shared-memory segment by name (None: there is none): its file where segments
    are files (Linux; attaching a SharedMemory to remove it started a resource tracker, a
    new interpreter forked from this process, at every command line's first run), else
    through SharedMemory."""
    if name is None:
        return
    if os.path.isdir(_SHM_DIR):
        try:
            os.unlink(os.path.join(_SHM_DIR, name))
        except FileNotFoundError:
            pass
        return
    try:
        shm = shared_memory.SharedMemory(name=name)
    except FileNotFoundError:
        return
    shm.close()
    shm.unlink()


def _packed(arrays: ColumnArrays) -> tuple[Any, ...]:
    """A column for the trip back: numbers as they are, strings as UTF-8 bytes and offsets."""
    values = arrays.values
    if isinstance(values, Strings):
        data, offsets = values.utf8
        return ("utf8", data, offsets, arrays.valid, arrays.present, arrays.offsets)
    return ("array", values, None, arrays.valid, arrays.present, arrays.offsets)


def _unpacked(packed: tuple[Any, ...]) -> ColumnArrays:
    kind, values, str_offsets, valid, present, offsets = packed
    if kind == "utf8":
        values = Strings.from_utf8(values, str_offsets, valid if offsets is None else None)
    return ColumnArrays(values, valid, present, offsets)


def _to_shared(obj: Any, name: str | None = None) -> tuple[bytes, str | None, list[tuple[int, int]]]:
    """Pickle ``obj`` with its arrays out of band, in one shared-memory segment (named
    ``name``, when given).

    The arrays are written while the caller is still mapping its own share, instead
    of waiting in a pipe for it to read them; only a small pickle crosses the pipe.
    """
    buffers: list[pickle.PickleBuffer] = []
    payload = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    total = sum(_aligned(r.nbytes) for r in raws)
    if not total:  # nothing to share (an empty batch), but the pickle still counts its buffers
        return payload, None, [(0, 0)] * len(raws)
    spans = []
    offset = 0
    for raw in raws:
        spans.append((offset, raw.nbytes))
        offset += _aligned(raw.nbytes)  # (each array starts aligned: the caller uses them in place)
    if os.path.isdir(_SHM_DIR):
        name = name or segment_name(0)
        _write_segment_file(name, total, raws, spans)
        return payload, name, spans
    shm = _new_segment(name, total)
    try:
        # The caller unlinks it once copied: this process must not (its tracker would).
        resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - tracker internals vary across versions
        pass
    name = shm.name
    try:
        _fill(shm, raws, spans)
    finally:
        shm.close()
    return payload, name, spans


def _write_segment_file(name: str, size: int, raws: list[memoryview], spans: list[tuple[int, int]]) -> None:
    """Where segments are files (Linux, :data:`_SHM_DIR`): make segment ``name`` of ``size`` bytes
    as a file there, its memory reserved, and write the arrays to it at their offsets.

    No SharedMemory: making one registered its name with multiprocessing's resource tracker
    (unregistered at once, as the caller removes the segment), which started the tracker, a new
    interpreter (fork and exec), in the worker of every command line's run and of a program's
    first run, on a machine whose CPUs the workers already fill. Written with ``pwrite``, not
    through a mapping (which faulted every 4 KB page: 22,000 faults and 0.08 s for a worker's
    480,000 seed records). Errors as :func:`_new_segment` says them; nothing is left behind."""
    fd = _new_segment_fd(name, size)
    try:
        for raw, (offset, n) in zip(raws, spans):
            done = 0
            while done < n:
                done += os.pwrite(fd, raw[done:], offset + done)
    except OSError as exc:
        _unlink(name)
        raise WorkerError(f"a worker process could not write its shared-memory segment: {exc.strerror or exc}; {ONE_PROCESS}") from None
    finally:
        os.close(fd)


def _fill(shm: shared_memory.SharedMemory, raws: list[memoryview], spans: list[tuple[int, int]]) -> None:
    """The arrays into the segment at their offsets, through its mapping (where segments are no files)."""
    buf = shm.buf
    assert buf is not None
    for raw, (offset, n) in zip(raws, spans):
        buf[offset : offset + n] = raw
    del buf


class WorkerError(MapperError):
    """What a worker could not set up for its share (its shared-memory segment, its file of
    refused records), said in one line with the way out, not as a failure with a traceback."""


#: The way out of a worker's own failure: one process needs no segment and no spool file.
ONE_PROCESS = "map in one process instead (--workers 1, or workers=1)"


def _segment_limit(what: str, size: int) -> None:
    """A segment is a file to the kernel: beyond the process's file size limit (``ulimit -f``)
    it cannot be sized (EFBIG, or SIGXFSZ killing the worker as it writes)."""
    import resource  # (POSIX only, as forked workers are)

    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and size > limit:
        raise WorkerError(f"{what}: the file size limit (ulimit -f) is {limit} bytes; {ONE_PROCESS}")


def _reserve(fd: int, size: int, what: str, remove: Callable[[], None]) -> None:
    """Reserve a new segment's memory (``posix_fallocate``, where there is one): a full
    ``/dev/shm`` is then ENOSPC here, not a SIGBUS killing the worker as it writes."""
    try:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, size)
        else:  # pragma: no cover - (every POSIX system the workers run on has it)
            os.ftruncate(fd, size)
    except OSError as exc:
        remove()
        where = " (/dev/shm is full)" if exc.errno == errno.ENOSPC and os.path.isdir("/dev/shm") else ""
        raise WorkerError(f"{what}: {exc.strerror or exc}{where}; {ONE_PROCESS}") from None


def _new_segment_fd(name: str, size: int) -> int:
    """A new segment ``name`` of ``size`` bytes as a file in :data:`_SHM_DIR` (readable by this
    user only, as shm_open makes it), its memory reserved: its descriptor, or a :class:`WorkerError`."""
    what = f"a worker process could not make its shared-memory segment of {size} bytes"
    _segment_limit(what, size)
    try:
        fd = os.open(os.path.join(_SHM_DIR, name), os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise WorkerError(f"{what}: {exc.strerror or exc}; {ONE_PROCESS}") from None

    def remove() -> None:
        os.close(fd)
        _unlink(name)

    _reserve(fd, size, what, remove)
    return fd


def _new_segment(name: str | None, size: int) -> shared_memory.SharedMemory:
    """A new shared-memory segment of ``size`` bytes, its memory reserved, or a :class:`WorkerError`.

    A segment is a file to the kernel: beyond the process's file size limit (``ulimit -f``)
    it cannot be sized (EFBIG; and SharedMemory, failing there, unregisters a name it never
    registered, which makes the resource tracker print a KeyError traceback), so that limit
    is checked first. Its memory is reserved (``posix_fallocate``, where there is one): a
    full ``/dev/shm`` is then ENOSPC here, not a SIGBUS killing the worker as it writes.
    """
    what = f"a worker process could not make its shared-memory segment of {size} bytes"
    _segment_limit(what, size)
    try:
        shm = shared_memory.SharedMemory(name=name, create=True, size=size)
    except OSError as exc:
        raise WorkerError(f"{what}: {exc.strerror or exc}; {ONE_PROCESS}") from None

    def remove() -> None:
        shm.close()
        shm.unlink()

    if hasattr(os, "posix_fallocate"):
        _reserve(shm._fd, size, what, remove)  # type: ignore[attr-defined]
    return shm


def segment_name(k: int) -> str:
    """A name for worker ``k``'s segment: this process's id, the worker's number and 32
    random bits (unique among this process's runs; 31 characters at most, macOS's limit)."""
    return f"psm_{os.getpid():x}_{k}_{secrets.token_hex(4)}"


def _aligned(n: int) -> int:
    return -(-n // 64) * 64


#: Where Linux keeps shared-memory segments as files (elsewhere a segment is copied out).
_SHM_DIR = "/dev/shm"


def _mapped(name: str) -> np.ndarray | None:
    """A segment's bytes mapped into this process (None where segments are no files here):
    the mapping lasts while an array views it, after the name is removed."""
    try:
        fd = os.open(os.path.join(_SHM_DIR, name), os.O_RDWR)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        return np.frombuffer(mmap.mmap(fd, size), dtype=np.uint8) if size else None
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


def _from_shared(payload: bytes, name: str | None, spans: list[tuple[int, int]]) -> Any:
    """What a worker sent: its arrays stay in its segment, mapped here (Linux), not copied
    out (0.07 s of the caller's time for a worker's 430,000 seed records); the segment's
    name is removed at once, and its memory goes with the last array that views it."""
    if name is None:
        return pickle.loads(payload, buffers=[b""] * len(spans))
    whole = _mapped(name)
    if whole is not None:
        try:
            return pickle.loads(payload, buffers=[whole[o : o + n] for o, n in spans])
        finally:
            _unlink(name)
    shm = shared_memory.SharedMemory(name=name)
    try:
        buf = shm.buf
        assert buf is not None
        views = [buf[o : o + n] for o, n in spans]
        obj = None
        try:
            obj = _copied(pickle.loads(payload, buffers=views))  # copy out: the segment goes away
        finally:  # (also when interrupted: a view left open makes close() raise BufferError over the interrupt)
            loaded, obj = obj, None
            for v in views:
                v.release()
            del buf, views
        return loaded
    finally:
        try:
            shm.close()
        finally:
            shm.unlink()


def _copied(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, tuple):
        return tuple(_copied(x) for x in obj)
    if isinstance(obj, list):
        return [_copied(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _copied(v) for k, v in obj.items()}
    return obj


class SharedHold:
    """A hold on the process (the collector paused, objects frozen) that runs overlapping on
    any thread share: one count for all of them, as one run holding and releasing it alone
    released it under another's feet.

    ``first()`` takes it when the count leaves 0, and says whether there is something to
    give back (``last()``, when the count returns to 0); ``each()``, if given, runs at every
    later entry while it is held. A child forked meanwhile goes on with the forking
    thread's runs only: the others' never end there, so their count is dropped (else
    nothing gave the hold back there) and the lock is made anew (another thread may have
    held it at the fork).
    """

    def __init__(self, first: Callable[[], bool], last: Callable[[], None], each: Callable[[], None] | None = None):
        self._first, self._last, self._each = first, last, each
        self._lock = threading.Lock()
        self._count = 0
        self._held = False  # first() said there is something to give back
        self._mine = threading.local()  # .count: the runs under way on this thread
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def enter(self) -> None:
        with self._lock:
            mine = getattr(self._mine, "count", 0) + 1
            if not self._count:
                self._held = self._first()
            elif self._held and self._each is not None:
                self._each()
            # both counts at once (no call between: an interrupt cannot fall between them)
            self._count += 1
            self._mine.count = mine

    def depth(self) -> int:
        """The runs under way on this thread."""
        return getattr(self._mine, "count", 0)

    def exit_from(self, depth: int) -> None:
        """:meth:`exit` if this thread entered since it was at ``depth``: an :meth:`enter` that an
        interrupt (Ctrl-C) cut short after it took the hold (as the lock was let go) is given
        back too, where a ``try`` after it would never have begun."""
        if self.depth() > depth:
            self.exit()

    def exit(self) -> None:
        with self._lock:
            self._count -= 1
            self._mine.count -= 1
            if not self._count and self._held:
                self._last()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        depth = self.depth()
        try:
            self.enter()
            yield
        finally:
            self.exit_from(depth)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        inherited, self._count = self._count, getattr(self._mine, "count", 0)
        if inherited and not self._count and self._held:
            self._last()


class _Freeze:
    """The objects of the process frozen while runs with workers are under way (:data:`_FROZEN`),
    and thawed after them only if no one else froze any meanwhile.

    A process's own frozen objects (a preforking server's ``gc.freeze()``) are left alone:
    ``gc.unfreeze`` thaws every frozen object, so nothing is frozen or thawed when some are
    there before the first run. One the program freezes while a run is under way (on another
    thread) is told by the count of frozen objects, which only a freeze raises (a frozen object
    that dies lowers it): past the count the runs' own freezes left, the program froze, and the
    runs' objects stay frozen with its own (thawed, they were thawed too)."""

    def __init__(self) -> None:
        self.count = 0  # frozen objects after the runs' last freeze
        self.theirs = False  # the program froze some while the runs held the freeze

    def first(self) -> bool:
        frozen = gc.get_freeze_count()
        if frozen and frozen > _parked_by_the_collector():
            return False
        gc.freeze()
        self.count, self.theirs = gc.get_freeze_count(), False
        return True

    def each(self) -> None:
        """A later run's freeze (the objects made since the first one's too)."""
        self.theirs = self.theirs or gc.get_freeze_count() > self.count
        gc.freeze()
        self.count = gc.get_freeze_count()

    def last(self) -> None:
        if not self.theirs and gc.get_freeze_count() <= self.count:
            gc.unfreeze()


_parked: int | None = None
_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement or an extension's PyType_FromSpec


def _parked_by_the_collector() -> int:
    """How many of the objects ``gc.get_freeze_count()`` counts the collector froze itself:
    Python 3.12's moves each immortal object it meets to the permanent generation, the
    ``gc.freeze()`` one (the built-in classes' tuples of bases and MRO: 375 on 3.12.1, before
    any code of the program runs), and one frozen object was taken for a program's freeze:
    no run with workers froze anything. A program's ``gc.freeze()`` takes these and its own
    (mortal) objects: more. Thawing them with the run's own does no harm (the next full
    collection parks them again). Counted once, on the first run that finds something
    frozen: the immortal, tracked tuples of the classes (the built-in ones are all made as
    the interpreter starts, as classes of no heap type); 0 before 3.12 (no immortal objects)."""
    global _parked
    if _parked is None:
        immortal = getattr(sys, "_is_immortal", None) or (lambda o: sys.getrefcount(o) >= sys.getrefcount(None))
        found: set[int] = set()
        if sys.version_info >= (3, 12):
            seen, todo = set(), [object]
            while todo:
                cls = todo.pop()
                if cls in seen:
                    continue
                seen.add(cls)
                todo.extend(c for c in type.__subclasses__(cls) if not c.__flags__ & _HEAP_TYPE)  # (a built-in's bases are built-in)
                found.update(id(t) for t in (cls.__bases__, cls.__mro__) if gc.is_tracked(t) and immortal(t))
        _parked = len(found)
    return _parked


#: Keep the collector away from the objects the workers about to be forked share with
#: the parent: collections touch every tracked object, and each touched page is copied
#: (copy-on-write). A later run freezes the objects made since the first one's too.
_FREEZE = _Freeze()
_FROZEN = SharedHold(_FREEZE.first, _FREEZE.last, each=_FREEZE.each)


def run_parallel(
    compiled: CompiledSink, records: Any, options: MapOptions, *, output: bool, keep: Keep = _KEEP_ALL, cli: bool = False
) -> tuple[Batch | None, Report]:
    """Map ``records`` (see :func:`splittable`) with ``options.workers`` processes, each taking a range of lines.

    ``keep``: what the report keeps of the refused records (everything by default, as one
    process keeps it); with an ``on_reject`` they are handed to it in record order as
    the run goes (``mapper validate --workers N --rejects FILE``: memory bounded however
    many are refused): the caller's own as it finds them, each worker's from a spool file
    it writes, passed on once the parts before it are done. ``cli``: the command line's run, its
    notes naming its options as typed (:func:`workers_note`).
    """
    parts, report = run_parallel_parts(compiled, records, options, output=output, keep=keep, ended=_ENDING, cli=cli)
    return (concat_batches(parts) if parts is not None else None), report


#: The workers of past runs that answered, left to end on their own: a worker's exit (its
#: address space freed, ~500 MB for 435,000 seed records) kept the caller idle 0.05-0.15 s
#: of a 0.7 s run when it was waited for. Each run reaps those that have ended since
#: (multiprocessing's next start and its exit handler reap them too).
_ENDING: list[Any] = []


def run_parallel_parts(
    compiled: CompiledSink,
    records: Any,
    options: MapOptions,
    *,
    output: bool,
    keep: Keep = _KEEP_ALL,
    ended: list[Any] | None = None,
    to_writer: bool = False,
    cli: bool = False,
) -> tuple[list[Batch] | None, Report]:
    """:func:`run_parallel`'s batch as the processes' parts, in order, not joined: each part's
    rows (its failed records left out) with record indices of the whole input, and the whole
    run's report. A writer takes them one after the other (``map --workers N -o``): joining
    1M seed records' columns took 0.15 s, with the batch in memory twice meanwhile.

    ``ended``: the workers that answered are put there for the caller to :func:`reap` once it
    has used the parts, instead of being waited for here: a worker's exit (its address space
    freed, ~500 MB for 480,000 seed records) took 0.05-0.16 s, with this process idle.

    ``to_writer``: the parts go to a writer, which wants every string as UTF-8: this process
    makes its own part's while a worker is still busy, its range cut smaller for it
    (:data:`WRITER_CALLER_SHARE`, else :data:`CALLER_SHARE`). (Otherwise they stay objects, as
    one process leaves them, until a form of the whole is asked for.) ``cli``: as :func:`run_parallel`'s."""
    _ENDING[:] = [p for p in _ENDING if p.is_alive()]  # (is_alive reaps one that has ended)
    if isinstance(records, (bytearray, memoryview)):
        records = bytes(records)
    ident = None
    if isinstance(records, bytes):  # (each process finds whether its range is ASCII: see split_lines)
        cuts = cuts_for(records, options.workers, to_writer)
        notice = format_notice(records, options.input_format)
    else:
        with open(records, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if os.path.getsize(records) else _Empty() as mm:
            st = os.fstat(fh.fileno())
            ident = (st.st_dev, st.st_ino, st.st_size)
            cuts = cuts_for(mm, options.workers, to_writer)
            notice = format_notice(mm, options.input_format)  # (the note one process gives: read in place)
    ctx = mp.get_context("fork")
    procs: list[tuple[Any, Any]] = []
    names: list[str] = []
    # each worker's file of refused records (when they are handed on), made before it is forked
    # and named by no path (a kill, the OOM killer's, leaves none behind: a directory of them
    # was left for good); the worker writes it through the descriptor it inherits
    spools: list[Any] = []

    answered: set[int] = set()
    taken: set[int] = set()
    held = _held_across_fork()
    frozen = _FROZEN.depth()
    try:  # (a fork that fails: the workers started are stopped, the objects thawed)
        _FROZEN.enter()
        for start, end in zip(cuts[1:-1], cuts[2:]):
            spool_fd = None
            if keep.on_reject is not None:
                spools.append(tempfile.TemporaryFile(prefix="mapper-rejected-"))  # noqa: SIM115 - closed below
                spool_fd = spools[-1].fileno()
            parent_conn, child_conn = ctx.Pipe()  # both ways: the worker waits for the parent's word that its segment is taken
            inherited = [conn for _p, conn in procs] + [parent_conn]
            names.append(segment_name(len(procs)))
            args = (
                child_conn,
                inherited,
                compiled.sink,
                records,
                start,
                end,
                options,
                output,
                names[-1],
                ident,
                (keep.rejected, keep.failed, spool_fd),
                held,
                os.getpid(),
            )
            p = ctx.Process(target=_worker, args=args, daemon=True)
            # listed before it starts: a signal taken as it starts (held till then) finds it, to stop it
            procs.append((p, parent_conn))
            try:
                with signals_blocked(held):
                    p.start()
            except OSError as exc:  # (a fork refused, ulimit -u or memory: not said as standard output's)
                raise MapperError(f"--workers {options.workers}: cannot start a worker process: {exc.strerror or exc}") from None
            finally:
                child_conn.close()
        data = _range(records, cuts[0], cuts[1], ident, options)  # (cuts[0] is 0)
        parts = [_map_range(compiled, data, options, output, first=True, end=cuts[1], whole=len(cuts) == 2, keep=keep)]
        interruption_lost()  # (this process's range mapped: a signal whose exception a library dropped meanwhile, taken here)
        if output and procs and to_writer:
            # The workers' strings come back as UTF-8; this part's are objects, and the
            # parts are joined as chunks (Strings.concat: nothing copied). While a worker is
            # still busy, this process makes its part's UTF-8 too, which the writer wants.
            # (Not for a batch: a range whose share keeps it busy until the workers answer
            # has no time to spare, and one process does not make them either.)
            for arrays in [*parts[0].columns.values(), parts[0].ids]:
                if arrays is not None and isinstance(arrays.values, Strings) and not all(conn.poll() for _p, conn in procs):
                    arrays.values.utf8  # noqa: B018 - computed and kept
        for k, (_proc, conn) in enumerate(procs):
            try:
                answer = conn.recv()
            except (EOFError, OSError):  # (OSError: multiprocessing's "got end of file during message", an answer cut short)
                answer = None
            if answer is None:
                death = _death(_proc)
                if _proc.exitcode in (-signal.SIGINT, -signal.SIGTERM):  # an interruption: this process's too, if the group got it
                    interruption_taken()
                    if pending_here(-_proc.exitcode):  # (a program's own call, the signal blocked: the program takes it, not this call)
                        raise MapperError(
                            f"a worker process died without a whole answer{death}, a signal this process got too: it waits, blocked in the calling thread, for the program to take it"
                        )
                raise MapperError(f"a worker process died without a whole answer{death}; {ONE_PROCESS}")
            answered.add(k)
            interruption_lost()
            if answer[0] == "input":
                raise InputError(answer[1])
            if answer[0] == "setup":
                raise WorkerError(answer[1])
            if answer[0] != "ok":
                raise MapperError(f"a worker process failed: {answer[1]}\n{answer[2]}")
            _status, payload, shm_name, spans, report, lines = answer
            columns, ids = _from_shared(payload, shm_name, spans)
            taken.add(k)  # (its segment removed, its arrays mapped here)
            try:
                conn.send("taken")  # the worker may end now
            except OSError:
                pass
            parts.append(Part({name: _unpacked(a) for name, a in columns.items()}, _unpacked(ids) if ids is not None else None, report, lines))
            if spools and keep.on_reject is not None:  # this worker's refused records, now that every part before it is done
                record_base, line_base = sum(p.report.records for p in parts[:-1]), sum(p.lines for p in parts[:-1])
                _replay(spools[k], record_base, line_base, keep.on_reject)
    finally:
        for spool in spools:
            spool.close()
        for k, (proc, conn) in enumerate(procs):
            if proc.pid is None:  # never started (its fork failed, or an interruption came first): nothing to stop or wait for
                conn.close()
                continue
            if k not in answered and proc.is_alive():  # interrupted (Ctrl-C) or failed: stop it
                proc.terminate()
            conn.close()  # (a worker still waiting for its word ends at the EOF)
            if k in answered and ended is not None:  # it is ending now: the caller waits for it later
                ended.append(proc)
            else:
                reap([proc])
            if k not in taken:  # its segment, if it made one (the name is ours): sent, being written or not yet (stopped
                # and waited for first), or left by a failure as it was written (an answer said: it makes none after)
                _unlink(names[k])
        _FROZEN.exit_from(frozen)
    merged = merge_reports(compiled, [p.report for p in parts], [p.lines for p in parts], options)
    merged.notes[:0] = notes_given([notice] if notice is not None else [], merged)
    if options.records_path is not None:  # (the parts' note, kept where the whole run is so)
        note_records_path_off(merged, hinted=True)
    note = workers_note(options.workers, len(cuts) - 1, cli)
    if note is not None:
        merged.notes.append(note)
    if not output or not merged.accepted:
        return None, merged
    batches, base = [], 0
    for part in parts:
        assert part.ids is not None  # (a run with output makes _id)
        # string ids stay UTF-8 (as the workers sent them) until Batch.ids is read
        batch = finish_batch(compiled, part.columns, part.ids.values, part.report)
        batch.record_index += base
        batch.report = merged
        batches.append(batch)
        base += part.report.records
    return batches, merged


def _death(proc: Any) -> str:
    """How a worker that sent no whole answer ended, as a message says it: `` (killed by SIGKILL,
    as the system kills a process when memory runs out)``, `` (exit status 1)``; "" if not seen to end soon."""
    proc.join(timeout=5)  # (its end of the pipe closes as it dies: gone, or all but)
    code = proc.exitcode
    if code is None:  # pragma: no cover - a pipe closed by a process that lives on
        return ""
    if code >= 0:
        return f" (exit status {code})"
    try:
        name = signal.Signals(-code).name
    except ValueError:  # pragma: no cover - a signal Python does not name
        name = f"signal {-code}"
    oom = ", as the system kills a process when memory runs out" if -code == signal.SIGKILL else ""
    return f" (killed by {name}{oom})"


def reap(procs: list[Any]) -> None:
    """Wait for the worker processes to end (each is ending, or was stopped); one still there after 10 s is killed."""
    for proc in procs:
        proc.join(timeout=10)
        if proc.is_alive():  # pragma: no cover
            proc.kill()
            proc.join()


class _Empty(bytes):
    """An empty file (mmap cannot map zero bytes)."""

    def __enter__(self) -> bytes:
        return b""

    def __exit__(self, *exc: Any) -> None:
        return None


def merge_reports(compiled: CompiledSink, reports: list[Report], lines: list[int], options: MapOptions) -> Report:
    """One report from the parts' reports, in record order (:func:`~mapper.report.join_reports`:
    indices and lines shifted by the parts before); the batch policy is applied once, to the whole."""
    record_bases = list(accumulate((r.records for r in reports[:-1]), initial=0))
    line_bases = list(accumulate(lines[:-1], initial=0))
    out = join_reports(reports, record_bases, line_bases, options.on_error, options.strict)
    if len(reports) > 1:
        # cut at line ends, the input is no one document: a part's first document failing with no
        # other in its part is one record of the input, as one process reads it (a report said it
        # was the input's document_error)
        out.document_failure = None
    decide(out, compiled.sink.allow_missing_fields, options.on_error, options.max_errors)
    return out


def _replay(fh: Any, record_base: int, line_base: int, on_reject: Callable[[RejectedRecord], None]) -> None:
    """Hand a worker's spooled refused records (its file, written to its end) to ``on_reject``, numbered as in the whole input."""
    fh.seek(0)
    while True:
        try:
            rejected = pickle.load(fh)
        except EOFError:
            return
        on_reject(moved_rejected(rejected, record_base, line_base))
