"""Map or validate one input: in this process (:class:`~mapper.engine.core.Engine`) or with workers."""

from __future__ import annotations

import gc
import os
from typing import Any, Generator, Iterator

import numpy as np

from ..batch import Batch
from ..compiler import CompiledSink
from ..options import MapOptions
from ..report import BatchRejected, Report
from ..stack import on_roomy_stack
from .check import few_dicts, few_lines, validate_dicts, validate_lines
from .core import Engine, empty_batch
from .parallel import SharedHold, can_fork, run_parallel, splittable
from .reader import (
    OBJECT_CHUNK,
    FirstLines,
    NdjsonChunk,
    Notice,
    ObjectRecords,
    RawRecords,
    Unit,
    blank,
    chunk_size_for,
    explain_failures,
    input_note,
    path_named,
    unexplained,
    units_for,
)

__all__ = ["iter_batches", "run"]


class _CollectorPause:
    """The cyclic collector's automatic collections paused, by its first threshold set to 0 (which
    stops them, as ``gc.disable()`` does), and given back as the program left them.

    ``gc.disable()`` and ``gc.enable()`` are the program's own: a run switching the collector off
    and on again undid a ``gc.disable()`` the program made meanwhile (on another thread, or in a
    generator the run read), which cannot be told from the run's own (the collector off either
    way). A threshold can: the thresholds saved are put back only if they are still the ones set
    here, so a program that set its own meanwhile keeps them, and its ``disable``/``enable`` are
    never touched."""

    def __init__(self) -> None:
        self.saved: tuple[int, ...] = ()
        self.paused: tuple[int, ...] = ()

    def take(self) -> bool:
        """Pause the collections; whether there is something to give back (not when the program's
        own first threshold is 0: they are paused already)."""
        saved = gc.get_threshold()
        if not saved[0]:
            return False
        self.saved, self.paused = saved, (0, *saved[1:])
        try:
            gc.set_threshold(*self.paused)
        except BaseException:  # (Ctrl-C as it returned: the hold is not taken, so nothing would give it back)
            gc.set_threshold(*saved)
            raise
        return True

    def give_back(self) -> None:
        if gc.get_threshold() == self.paused:  # (else the program set its own meanwhile: kept)
            gc.set_threshold(*self.saved)


_pause = _CollectorPause()

#: The cyclic garbage collector's automatic collections paused while any run of this process
#: is under way (``with gc_paused():``): the first run in pauses them, the last one out gives
#: the thresholds back (each run saving and restoring them alone left them paused for good when
#: two threads' runs overlapped).
gc_paused = SharedHold(_pause.take, _pause.give_back)


def run(compiled: CompiledSink, records: Any, options: MapOptions, *, output: bool) -> Batch | Report:
    """Map (``output``: the Batch, or :class:`~mapper.errors.BatchRejected`) or validate (the Report) ``records``.

    The cyclic garbage collector is paused meanwhile: mapping makes no reference
    cycles, and in a process that already holds millions of tracked objects each
    collection our allocations trigger would rescan them all (a GC cliff). (Not for a
    few records validated at once: too few allocations to matter, and the pause costs
    more than their quick check.)
    """
    batch, report = _run(compiled, records, options, output)  # (on a stack that holds the deepest record: Mapper.map's and validate's caller sees to it)
    if not output:
        return report
    if batch is None:
        raise BatchRejected(report)
    return batch


def _run(compiled: CompiledSink, records: Any, options: MapOptions, output: bool) -> tuple[Batch | None, Report]:
    if options.workers > 1 and can_fork():
        named = path_named(records) if isinstance(records, str) else None
        source = named if named is not None else records
        if splittable(source, options):
            with gc_paused():
                return run_parallel(compiled, source, options, output=output)
    if not output:
        decoded: list[Any] = []  # (the first line's record, if few_lines decoded it)
        lines = few_lines(compiled, records, options, decoded)
        if lines is not None:  # a few records: without a run's setup (see validate_lines)
            return None, validate_lines(compiled, lines, options, decoded[0] if decoded else None)
        dicts = few_dicts(compiled, records, options)
        if dicts is not None:  # a few dicts: likewise
            return None, validate_dicts(compiled, dicts, options)
    with gc_paused():
        return _run_engine(compiled, records, options, output)


#: The longest text whose lines are counted to size the builders (:func:`_run_engine`).
_COUNTED = 1 << 18


def stream_name(records: Any) -> str | None:
    """The name of the file a stream of ``records`` reads, for the commands hints give
    (:func:`~mapper.errors.shell_file`): an open file's (``open(name, "rb")``: its ``name``);
    None for anything else: a text, bytes, Python objects, a stream without a name (an
    ``io.BytesIO``; a file opened from a descriptor, whose ``name`` is the number)."""
    name = getattr(records, "name", None) if hasattr(records, "read") else None
    return os.fsdecode(name) if isinstance(name, (str, bytes)) else None


def _run_engine(compiled: CompiledSink, records: Any, options: MapOptions, output: bool) -> tuple[Batch | None, Report]:
    known = len(records) if isinstance(records, (list, tuple)) and options.records_path is None else 0
    text = isinstance(records, (bytes, bytearray, memoryview)) or (isinstance(records, str) and path_named(records) is None)
    if text and not isinstance(records, memoryview) and options.records_path is None:
        # a few lines: builders of their size (a run of 10 records then resizes nothing); counted in a
        # short text only (a count over 67 MB took 20 ms, 4% of mapping them, to learn "more than 1024")
        known = min(records.count("\n" if isinstance(records, str) else b"\n") + 1, 1024) if len(records) <= _COUNTED else 1024
    engine = Engine(compiled, options, output=output, capacity=min(known, 1 << 20) if known else 1024)
    if text:
        engine.expect_bytes = len(records)
    elif isinstance(records, (str, os.PathLike)):  # (a file's name, for the commands hints give)
        engine.rb.input_name = os.fsdecode(records)
    else:  # (an open file's)
        engine.rb.input_name = stream_name(records)
    # a stream is read once: its first lines are kept as they go by, to say why its records
    # failed as the same text given as bytes or a file name says it (mapper.api reads those again)
    first = FirstLines(options.records_path is None and hasattr(records, "read"))
    for unit in units_for(records, options, chunk_size_for(len(compiled.stored_index))):
        first.see(unit)
        engine.feed(unit)
    batch, report = engine.finish()
    if first.head and unexplained(report, options):
        explain_failures(report, first.head, engine.rb.input_name)
    return batch, report


def iter_batches(compiled: CompiledSink, records: Any, options: MapOptions, size: int) -> Iterator[Batch]:
    """Batches of at most ``size`` records each, read as they are needed (bounded memory):
    :func:`_batches`, each made on a stack that holds the deepest record (see
    :func:`~mapper.stack.on_roomy_stack`: the thread asking for it may be another each time)."""
    batches = _batches(compiled, records, options, size)
    try:
        while True:
            batch = on_roomy_stack(next, batches, None)
            if batch is None:
                return
            yield batch
    finally:  # (closed early: the input's file closed now, as closing the batches' own generator does)
        batches.close()


def _batches(compiled: CompiledSink, records: Any, options: MapOptions, size: int) -> Generator[Batch, None, None]:
    """Batches of at most ``size`` records each, read as they are needed (bounded memory).

    Each batch is decided on its own, as the endpoint decides each request: a batch
    it would discard comes out empty (no rows), its report saying why, and the next
    one goes on. Record indices count from each batch's start; line numbers are the
    input's. The garbage collector is paused while a batch is mapped, not while the
    caller holds it.
    """
    units = units_for(
        records, options, chunk_size_for(len(compiled.stored_index)), objects=min(size, OBJECT_CHUNK)
    )  # an iterator is read no further ahead than a batch
    pending: Unit | None = None
    next_line = 1
    failed: Exception | None = None
    # the input's first lines, kept as they go by, to say why a batch's records failed as map
    # says it of the whole input (read once: a file is not read again for them); read counts the
    # records read so far, as the note's words count the input's
    first = FirstLines(options.records_path is None)
    read = 0
    # (a file's name, for the command the note gives: iconv -f UTF-16 -t UTF-8 NAME, as map's; an open file's too)
    file = records if isinstance(records, os.PathLike) or (isinstance(records, str) and path_named(records) is not None) else stream_name(records)
    file = None if file is None else os.fsdecode(file)

    def pull() -> Unit | None:
        # the input failing (the caller's generator, a cut gzip) ends it: the records read
        # before are mapped into their batch, and the error is raised after that batch
        nonlocal failed
        if failed is not None:
            return None
        try:
            return next(units, None)
        except Exception as exc:
            failed = exc
            return None

    while True:
        engine = Engine(compiled, options, output=True, capacity=min(size, 65536))
        engine.rb.input_name = file
        engine.next_line = next_line
        with gc_paused():
            while engine.n < size:
                unit = pending if pending is not None else pull()
                pending = None
                if unit is None:
                    break
                unit, pending = split_unit(unit, size - engine.n)
                first.see(unit)
                engine.feed(unit)
            # a full batch: a note on what it read (it follows its records) goes with it,
            # past the blank lines after its last record (no records: they only count lines)
            if pending is None:
                pending = pull()
            while isinstance(pending, Notice) or (isinstance(pending, NdjsonChunk) and blank(pending.data)):
                first.see(pending)
                engine.feed(pending)
                pending = pull()
            batch, report = engine.finish()
        next_line = engine.next_line
        read += report.records
        if first.head and unexplained(report, options):
            note = input_note(first.head, read, report.failed_records, report.error_counts.get((None, "not_an_object"), 0), file)
            if note:
                report.notes.append(note)
        if report.records:
            yield batch if batch is not None else empty_batch(compiled, report)
        if failed is not None:
            raise failed
        if not report.records:
            return


def split_unit(unit: Unit, room: int) -> tuple[Unit, Unit | None]:
    """``unit`` cut after at most ``room`` records: the head, and the rest (None when it all fits).

    NDJSON is cut at a line end (blank lines count here and are skipped when mapped,
    so a batch may hold fewer records than ``room``); a cut chunk's rest carries on
    counting lines where the head stopped.
    """
    if isinstance(unit, NdjsonChunk):
        data = unit.data
        newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
        count = len(newlines) + (0 if len(data) and data[-1] == 10 else 1)
        if count <= room:
            return unit, None
        at = int(newlines[room - 1]) + 1
        return NdjsonChunk(data[:at], unit.first_line, unit.ascii), NdjsonChunk(data[at:], None, unit.ascii)
    if isinstance(unit, RawRecords):
        if len(unit.raws) <= room:
            return unit, None
        bad = unit.bad or {}
        head_bad = {i: why for i, why in bad.items() if i < room} or None
        rest_bad = {i - room: why for i, why in bad.items() if i >= room} or None
        lines, cols = unit.lines, unit.cols
        return (
            RawRecords(unit.raws[:room], lines[:room] if lines else None, head_bad, cols[:room] if cols else None, unit.items),
            RawRecords(unit.raws[room:], lines[room:] if lines else None, rest_bad, cols[room:] if cols else None, unit.items),
        )
    if isinstance(unit, ObjectRecords):
        if len(unit.objs) <= room:
            return unit, None
        return ObjectRecords(unit.objs[:room]), ObjectRecords(unit.objs[room:])
    return unit, None  # one record: a broken document, an oversized line
