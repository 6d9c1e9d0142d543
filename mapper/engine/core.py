"""The engine: one batch, unit by unit, through the fast and careful paths, into a Batch and a Report.

:class:`Engine` takes the units of :mod:`mapper.engine.reader` in order. A clean NDJSON
chunk (one object per line) and runs of raw record texts go to the fast path
(:mod:`mapper.engine.fast`); a chunk that is not clean is cut into its lines first;
decoded Python objects and documents that do not parse go to the careful path
(:mod:`mapper.engine.careful`). After each unit the records it held are closed in the
report (their errors kept in record order, rejected records handed out with their
raw text). :meth:`Engine.finish` applies the batch policy and builds the
:class:`~mapper.batch.Batch`. :func:`mapper.engine.runner.run` is the whole thing for one input.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np

from ..batch import Batch, ColumnArrays, ColumnData, Strings, assemble, compact, plain
from ..compiler import CompiledSink
from ..options import MAX_RECORD_SIZE, MapOptions
from ..report import DocumentFailure, RejectedRecord, Report, decide
from ..types import type_set
from .careful import CarefulPath, numbers_as_written
from .fast import FastPath, Seg, clean_lines
from .output import RunOutput
from .reader import (
    BrokenDocument,
    NdjsonChunk,
    Notice,
    ObjectRecords,
    OversizedRecord,
    RawRecords,
    Unit,
    hints_named,
    item_text,
    line_text,
    measured_objects,
    note_records_path_off,
    oversized,
)

__all__ = ["Engine", "finish_batch"]

_DICT = {dict}
#: Runs of at most this many records take the careful path: a vector form's fixed
#: costs (a few numpy calls per column) outweigh one record's scalar conversions.
SMALL_RUN = 2
#: NDJSON chunks up to this many bytes are counted first (bytes.count, no numpy): a
#: run of at most SMALL_RUN records needs nothing more.
_SMALL_CHUNK = 1 << 12
#: A run of NDJSON records holds at most about this many cells (records times the sink's
#: columns): a wide sink's chunks are large (see chunk_size_for), and small records made
#: a run of every record in them times every column, each cell a few words while it is
#: mapped: 20,000 records of one key each (460 KB) against 2,000 columns took 1.1 GB.
#: Python records (2,048 a unit) are split alike: 8,000 columns took 500 MB.
RUN_CELLS = 1 << 22


class Engine:
    """Maps one batch, unit by unit, into column builders and a report."""

    def __init__(
        self,
        compiled: CompiledSink,
        options: MapOptions | None = None,
        *,
        output: bool = True,
        keep_rejected: bool = True,
        keep_failed: bool = True,
        on_reject: Callable[[RejectedRecord], None] | None = None,
        capacity: int = 1024,
    ):
        """``keep_rejected``: keep every rejected record (with its raw text) in ``report.rejected``;
        ``keep_failed``: keep every failed record's index (a batch, or an endpoint answer, needs
        them; a plain validation does not, and then runs in bounded memory whatever fails)."""
        options = options if options is not None else MapOptions()
        self.c = compiled
        self.options = options
        self.output = output
        self.out = RunOutput(
            compiled, options, keep_rejected=keep_rejected, keep_failed=keep_failed or output, on_reject=on_reject, capacity=capacity, scratch=not output
        )
        self.rb = self.out.rb
        self.careful = CarefulPath(compiled, options, self.out)
        self.fast = FastPath(compiled, options, self.out, self.careful) if options.fast and compiled.fast_unavailable is None else None
        self.next_line = 1
        self.expect_bytes = 0
        self.notices: list[Notice] = []  # notes on the input as a whole, for the report
        #: why the input, read as one document, failed whole (see Report.document_failure)
        self.document_failure: DocumentFailure | None = None
        # records given as Python objects are measured by their JSON text only for a max_record_size
        # asked for (reader.measured_objects: writing each one's text costs about what mapping it does)
        self.measure = options.max_record_size if options.max_record_size != MAX_RECORD_SIZE else None
        self.no_records_hinted = False  # a document without the records path's array for which the reader named another
        self.drained = 0  # records handed out by drain() so far  # size of the whole input, when known, to reserve columns once

    @property
    def n(self) -> int:
        """Records seen so far."""
        return self.out.n

    @property
    def stats(self) -> dict[str, int]:
        return self.out.stats

    @property
    def times(self) -> list[float]:
        """Seconds the fast path spent decoding, extracting and converting."""
        return self.fast.times if self.fast is not None else [0.0, 0.0, 0.0]

    # ------------------------------------------------------------------ input units

    def feed(self, unit: Unit) -> None:
        """Map one unit of input (see :func:`mapper.engine.reader.iter_units`)."""
        if isinstance(unit, NdjsonChunk):
            self.feed_ndjson(unit.data, unit.first_line, unit.ascii)
        elif isinstance(unit, RawRecords):
            self.feed_raw(unit.raws, unit.lines, unit.bad, unit.cols, items=unit.items)
        elif isinstance(unit, ObjectRecords):
            self.feed_objects(unit.objs if self.measure is None else measured_objects(unit.objs, self.measure))
        elif isinstance(unit, BrokenDocument):
            if not unit.one_record and unit.failure is not None:  # (the input, read as one document, failed whole: the verdict says so)
                # (its line is the engine's to say, and its file of several inputs)
                self.document_failure = replace(unit.failure, line=unit.line, file=self.rb.source)
            self.no_records_hinted = self.no_records_hinted or bool(unit.code == "no_records" and unit.hint)
            # (its hint's command names the input's file, where the run knows it)
            self.feed_broken(unit.named(self.rb.input_name), unit.line, unit.raw, unit.code)
        elif isinstance(unit, Notice):
            if self.rb.input_name is not None:
                unit = replace(unit, message=hints_named(unit.message, self.rb.input_name))
            if unit not in self.notices:  # (one note said of many documents comes once per document)
                self.notices.append(unit)
        elif isinstance(unit, OversizedRecord):
            self.feed_oversized(unit.reason, unit.prefix, unit.first_line)
        else:  # pragma: no cover - the reader grew a unit kind
            raise TypeError(f"unknown input unit {type(unit).__name__}")

    def feed_ndjson(self, data: bytes | memoryview, first_line: int | None = None, ascii: bool = False) -> int:
        """Map a chunk of NDJSON that ends at a line boundary (or at the end of input).

        ``first_line`` is the 1-based line number of its first line (None: the line
        after the previous chunk). Returns the line number after the chunk.
        """
        out = self.out
        if first_line is None:
            first_line = self.next_line
        if not data:
            return first_line
        ends_nl = data[-1] == 10
        # a record or a few (a small chunk) are counted without numpy's fixed costs
        count = bytes(data).count(b"\n") + (0 if ends_nl else 1) if len(data) <= _SMALL_CHUNK else SMALL_RUN + 1
        if count > SMALL_RUN:
            buf = np.frombuffer(data, dtype=np.uint8)
            newlines = np.flatnonzero(buf == 10)
            count = len(newlines) + (0 if ends_nl else 1)
            most = max(SMALL_RUN + 1, RUN_CELLS // max(1, len(self.c.stored_index)))
            if count > most:
                return self._feed_ndjson_parts(data, newlines, first_line, ascii, most)
        end_line = self.next_line = first_line + count
        if self.expect_bytes and self.output:
            # First chunk of a batch of known size: reserve what the whole batch will
            # likely need, so columns are not regrown (and copied) along the way (a batch
            # in one chunk needs its count: a margin would be cut off again by finish).
            if len(data) < self.expect_bytes:
                out.prepare(int(count * self.expect_bytes / len(data) * 1.02) + 64)
            self.expect_bytes = 0
        out.prepare(count)
        start = out.n
        if self.fast is not None and count > SMALL_RUN and clean_lines(buf, newlines, ends_nl):
            self.fast.run(data, Seg(out.n, first_line), kind="lines", count=count, ascii=ascii)

            def raw_of(rec: int) -> bytes | None:
                # A rejected record's raw text: line ``rec - start`` of a clean chunk.
                if rec in out.pending_raw:
                    return out.pending_raw[rec]
                i = rec - start
                lo = int(newlines[i - 1]) + 1 if i else 0
                hi = int(newlines[i]) if i < len(newlines) else len(data)
                return line_text(bytes(data[lo:hi]))

            self._close_unit(raw_of)
        else:
            self._lines_one_by_one(bytes(data), first_line)
            self._close_unit()
        return end_line

    def _feed_ndjson_parts(self, data: bytes | memoryview, newlines: np.ndarray, first_line: int, ascii: bool, most: int) -> int:
        """Map a chunk of more than ``most`` lines as parts of ``most`` lines each (see :data:`RUN_CELLS`)."""
        line, lo = first_line, 0
        for i in range(most - 1, len(newlines), most):
            hi = int(newlines[i]) + 1
            line = self.feed_ndjson(data[lo:hi], line, ascii)
            lo = hi
        if lo < len(data):
            line = self.feed_ndjson(data[lo:], line, ascii)
        return line

    def feed_raw(
        self,
        raws: list[bytes],
        lines: Sequence[int | None] | None = None,
        bad: dict[int, str] | None = None,
        cols: Sequence[int] | None = None,
        written: Callable[[int], bool] | None = None,
        items: bool = False,
    ) -> None:
        """Map records given as the raw JSON text of each (JSON array elements, endpoint values).

        ``bad`` marks elements that are not records at all (an endpoint body item that
        is not ``{"value": ...}``): each is an error of its own. ``cols``: the characters
        before each record on the line it starts on (an error's char counts from there).
        ``written``: whether the text of ``raws[i]`` is the caller's own; False for a text the
        caller wrote of a Python record (the Batcher's of a dict), whose floats the messages
        say as Python writes them, as ``check`` of that record does (asked on the error path only).
        ``items``: the texts are items given among Python records, a refused one's raw said as
        its NDJSON line's (:func:`~mapper.engine.reader.item_text`).
        """
        if not raws:
            return
        out = self.out
        out.prepare(len(raws))
        start = out.n
        self.careful.cols, self.careful.cols_start = cols, start
        try:
            self._feed_raw(raws, lines, bad, start, written, items)
        finally:
            self.careful.cols = None

    def _feed_raw(
        self,
        raws: list[bytes],
        lines: Sequence[int | None] | None,
        bad: dict[int, str] | None,
        start: int,
        written: Callable[[int], bool] | None = None,
        items: bool = False,
    ) -> None:
        out = self.out
        limit = self.options.max_record_size
        too_big: dict[int, str] = {}
        if max(map(len, raws)) > limit:  # (texts given as items hold their blanks: measured as a line's record, reader.oversized)
            too_big = {i: over.reason for i, raw in enumerate(raws) if (over := oversized(raw, 0, len(raw), limit, None)) is not None}
            bad = {**(bad or {}), **too_big}
        if bad:  # each one an error of its own; the records between them, runs as usual
            i, n = 0, len(raws)
            while i < n:
                if i in bad:
                    pos, raw = out.n, raws[i]
                    out.pending_raw[pos] = raw
                    self.careful.record_error(pos, lines[i] if lines else None, "too_large" if i in too_big else "not_an_object", bad[i])
                    out.n += 1
                    i += 1
                    continue
                j = next((k for k in range(i + 1, n) if k in bad), n)
                self._raw_run(raws[i:j], lines[i:j] if lines else None)
                i = j
        else:
            self._raw_run(raws, lines)
        said = None if written is None else lambda rec: raws[rec - start] if written(rec - start) else None
        self._close_unit((lambda rec: item_text(raws[rec - start])) if items else (lambda rec: raws[rec - start]), said)

    def _raw_run(self, raws: list[bytes], lines: Sequence[int | None] | None) -> None:
        """Records as raw text, every one a record: decoded as one array, else one by one."""
        out = self.out
        if self.fast is not None and len(raws) > SMALL_RUN:
            data = b"[" + b",".join(raws) + b"]"
            self.fast.run(data, Seg(out.n, None, lines), kind="array", raws=raws)
        else:
            for i, raw in enumerate(raws):
                self.careful.raw(raw, out.n, lines[i] if lines else None)
                out.n += 1

    def feed_objects(self, objs: list[Any]) -> None:
        """Map records given as Python objects: runs of plain dicts on the fast path, anything else carefully."""
        if not objs:
            return
        most = max(SMALL_RUN + 1, RUN_CELLS // max(1, len(self.c.stored_index)))
        if len(objs) > most:  # (a wide sink's: see RUN_CELLS)
            for i in range(0, len(objs), most):
                self.feed_objects(objs[i : i + most])
            return
        out = self.out
        out.prepare(len(objs))
        fast = self.fast
        if fast is None or fast.dict_tier is None or len(objs) <= SMALL_RUN:
            for obj in objs:
                self.careful.obj(obj, out.n, None)
                out.n += 1
        elif type_set(objs) == _DICT:
            fast.run_dicts(objs)
        else:
            i, n = 0, len(objs)
            while i < n:
                j = i
                while j < n and objs[j].__class__ is dict:
                    j += 1
                if j > i:
                    fast.run_dicts(objs[i:j])
                if j < n:  # a mapping of another kind, a list, a marker: alone
                    self.careful.obj(objs[j], out.n, None)
                    out.n += 1
                i = j + 1
        self._close_unit()

    def feed_broken(self, message: str, line: int | None, raw: bytes = b"", code: str = "invalid_json") -> None:
        """A document (JSON array, request body) that does not parse at all, or has no records where
        ``records_path`` says: one bad record, the whole text its raw."""
        out = self.out
        out.prepare(1)
        out.pending_raw[out.n] = raw
        self.careful.record_error(out.n, line, code, message)
        out.n += 1
        self._close_unit()

    def feed_oversized(self, why: str, prefix: bytes, first_line: int | None = None) -> None:
        """An NDJSON line whose record is longer than the maximum record size (``why``: the
        :attr:`~mapper.engine.reader.OversizedRecord.reason`): one refused record (its dead letter keeps the first bytes)."""
        out = self.out
        if first_line is not None:
            self.next_line = first_line
        out.prepare(1)
        out.pending_raw[out.n] = prefix
        reason = f"{why}; its first {len(prefix):,} bytes are kept"
        self.careful.record_error(out.n, self.next_line, "too_large", reason)
        self.next_line += 1
        out.n += 1
        self._close_unit()

    def _lines_one_by_one(self, data: bytes, first_line: int) -> None:
        """A chunk that is not clean NDJSON: take its lines one at a time (blank lines skipped)."""
        out = self.out
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()
        good: list[bytes] = []
        good_lines: list[int | None] = []
        for offset, line in enumerate(lines):
            text = line_text(line)
            if not text.strip(b" \t\r"):
                continue
            good.append(text)
            good_lines.append(first_line + offset)
        if not good:
            return
        out.pending_raw = {out.n + i: raw for i, raw in enumerate(good)}
        if self.fast is not None and len(good) > SMALL_RUN:
            # Each line alone is a complete value or an error: the run decodes each
            # line's text alone (see FastPath.attempt).
            self.fast.run(b"[" + b",".join(good) + b"]", Seg(out.n, None, good_lines), kind="array", raws=good)
        else:
            for text, lineno in zip(good, good_lines):
                self.careful.raw(text, out.n, lineno)
                out.n += 1

    def _close_unit(self, raw_of: Callable[[int], bytes | None] | None = None, said: Callable[[int], bytes | None] | None = None) -> None:
        """``said``: the text whose writing of a number the messages take, by record (None: not the
        record's own text), where it is not ``raw_of``'s (see :meth:`feed_raw`'s ``written``)."""
        out = self.out
        raw_of = raw_of if raw_of is not None else out.pending_raw.get
        if self.rb.pending_warnings or self.rb.bad:  # (their numbers said as the texts write them)
            numbers_as_written(self.rb.pending_warnings, self.rb.bad, said or raw_of)
        self.rb.close_records(raw_of)
        out.pending_raw = {}
        if not self.output:
            out.forget_rows()

    # ------------------------------------------------------------------ the end

    def _report(self) -> Report:
        report = self.rb.report
        report.records = self.out.n
        report.notes = notes_given(self.notices, report)
        report.null_records_at = next((n.at for n in self.notices if n.kind == "null_records"), None)
        if self.options.records_path is not None:
            note_records_path_off(report, self.no_records_hinted)
        report.document_failure = self.document_failure
        return report

    def finish_part(self) -> tuple[dict[str, ColumnArrays], ColumnArrays | None, Report]:
        """Every row of this engine's columns (and _id, if it makes it), for ``workers=N``;
        none when it keeps no output (a worker of ``validate``)."""
        report = self._report()
        if not self.output:
            self.out.release()
            return {}, None, report
        names = self.careful.names
        columns = {names[ci]: self.out.builders[ci].finish(self.out.n) for ci in self.c.stored_index}
        ids = self.out.id_builder.finish(self.out.n) if self.c.with_identity else None
        return columns, ids, report

    def drain(self) -> Batch:
        """The rows mapped since the last drain, failed records left out, as a Batch part.

        For writers that stream (``map -o x.parquet``): the builders' memory is then
        reused, so a run holds at most a part's rows. Call it between units (each
        unit's records are closed, so which of them failed is known). Rows keep
        their input record index; the part's report is the run's, so far.
        """
        out = self.out
        start, end = self.drained, out.n
        names = self.careful.names
        columns = {names[ci]: out.builders[ci].copy_rows(end) for ci in self.c.stored_index}
        ids = plain(out.id_builder.copy_rows(end).values)
        failed = self.rb.report.failed_indices()
        lo, hi = np.searchsorted(failed, [start, end])
        keep = None
        if hi > lo:
            keep = np.ones(end - start, dtype=bool)
            keep[failed[lo:hi] - start] = False
        out.forget_rows()
        self.drained = end
        stored = [(col.name, self.c.ctypes[col.index]) for col in self.c.stored]
        record_index = np.arange(start, end, dtype=np.int64)
        if keep is not None:
            columns = {name: compact(arrays, keep) for name, arrays in columns.items()}
            ids, record_index = ids[keep], record_index[keep]
        part = {name: ColumnData(name, ctype, columns[name]) for name, ctype in stored}
        return Batch._made(self.c.sink, ids, record_index, part, self.rb.report)

    def finish_stream(self) -> tuple[Batch, Report]:
        """The last part (see :meth:`drain`) and the run's report, the batch policy applied: write the
        part and keep the output if ``report.accepted``, else drop everything written."""
        part = self.drain()
        report = self._report()
        opts = self.options
        decide(report, self.c.sink.allow_missing_fields, opts.on_error, opts.max_errors)
        return part, report

    def finish(self) -> tuple[Batch | None, Report]:
        """The batch (None when not kept or rejected) and the report, the batch policy applied."""
        opts = self.options
        report = self._report()
        decide(report, self.c.sink.allow_missing_fields, opts.on_error, opts.max_errors)
        if not self.output or not report.accepted:
            # validate-only, or a batch the endpoint discards: no columns to finish (a discarded
            # run's were 10-20% of its time, sets made flat and thrown away); scratch builders go back
            self.out.release()
            return None, report
        columns, ids, _report = self.finish_part()
        assert ids is not None
        return finish_batch(self.c, columns, plain(ids.values), report), report


def empty_batch(compiled: CompiledSink, report: Report) -> Batch:
    """A batch with no rows, for a run the endpoint would discard (its report says why)."""
    stored = [(col.name, compiled.ctypes[col.index]) for col in compiled.stored]
    ids = np.empty(0, dtype=np.uint64 if compiled.sink.id_field is not None else object)
    return assemble(compiled.sink, stored, {}, ids, report, rows=False)


def finish_batch(compiled: CompiledSink, columns: dict[str, ColumnArrays], ids: np.ndarray | Strings, report: Report) -> Batch:
    """The batch of an accepted run from every row of its columns: failed rows dropped."""
    stored = [(col.name, compiled.ctypes[col.index]) for col in compiled.stored]
    return assemble(compiled.sink, stored, columns, ids, report)


def notes_given(notices: list[Notice], report: Report) -> list[str]:
    """The notes of ``notices`` a run's ``report`` gives: each kept always, or when a record failed
    (:attr:`Notice.if_failed`). One rule for one process and ``workers=N``, whose note on the input's
    format is judged on the merged report."""
    return [n.message for n in notices if not n.if_failed or report.failed_records]
