"""What one run writes into: the column builders, the ``_id`` builder and the report.

Both paths (:mod:`mapper.engine.fast`, :mod:`mapper.engine.careful`) write a record's
values at its row (the record's index in the batch), so a record that falls from the
fast path to the careful one lands where it would have anyway.
"""

from __future__ import annotations

import threading
from typing import Callable

from ..batch import ColumnBuilder
from ..compiler import CompiledSink
from ..options import MapOptions
from ..report import RejectedRecord, ReportBuilder

#: A scratch run's builders larger than this many rows are not kept for the next run.
_SCRATCH_KEPT_ROWS = 1 << 16


class RunOutput:
    """Column builders, the ``_id`` builder, the report builder and the record counter of one run."""

    def __init__(
        self,
        compiled: CompiledSink,
        options: MapOptions,
        *,
        keep_rejected: bool = True,
        keep_failed: bool = True,
        on_reject: Callable[[RejectedRecord], None] | None = None,
        capacity: int = 1024,
        scratch: bool = False,
    ):
        """``scratch``: the rows are never kept (validate-only runs): the builders come from
        a per-thread pool of the sink's, and go back with :meth:`release`."""
        self.rb = ReportBuilder(
            on_error=options.on_error,
            strict=options.strict,
            keep_rejected=keep_rejected,
            keep_failed=keep_failed,
            on_reject=on_reject,
            ignore_warnings=options.ignore_warnings,
        )
        self.n = 0  # records seen: the next record's index (and row)
        self._pool: list[tuple[dict[int, ColumnBuilder], ColumnBuilder]] | None = None
        if scratch:
            pools = compiled.memo.get("scratch_builders")
            if pools is None:
                pools = compiled.memo["scratch_builders"] = threading.local()
            pool = getattr(pools, "free", None)
            if pool is None:
                pool = pools.free = []
            self._pool = pool
        self.builders: dict[int, ColumnBuilder]
        self.id_builder: ColumnBuilder
        self.capacity = 0  # rows every builder has room for
        if self._pool:  # left clean by the last run's forget_rows: only the base moves
            self.builders, self.id_builder = self._pool.pop()
            for b in self.builders.values():
                b.base = 0
            self.id_builder.base = 0
            self.capacity = len(self.id_builder.valid)  # every builder grows alike (see prepare)
        else:
            self.builders = {ci: ColumnBuilder(compiled.ctypes[ci].storage, capacity, keep_rows=not scratch) for ci in compiled.stored_index}
            self.id_builder = ColumnBuilder("uint64" if compiled.sink.id_field is not None else "str", capacity, keep_rows=not scratch)
        #: raw text of records of the current unit, where split out (for rejected records)
        self.pending_raw: dict[int, bytes] = {}
        self.stats = {"fast_records": 0, "careful_records": 0, "exact_runs": 0, "lax_runs": 0, "lenient_runs": 0, "loose_runs": 0}

    def prepare(self, k: int) -> None:
        """Room for ``k`` more records."""
        end = self.n + k
        if end <= self.capacity:
            return
        for b in self.builders.values():
            b.reserve(end)
        self.id_builder.reserve(end)
        self.capacity = self.id_builder.base + len(self.id_builder.valid)

    def blank_row(self, pos: int) -> None:
        """A record that is not a record at all: every column missing."""
        for b in self.builders.values():
            b.put_missing(pos)
        self.id_builder.put_missing(pos)

    def release(self) -> None:
        """A scratch run's builders go back to the pool (at most a few kept per thread)."""
        if self._pool is not None and len(self._pool) < 2 and max(len(self.id_builder.valid), 0) <= _SCRATCH_KEPT_ROWS:
            self._pool.append((self.builders, self.id_builder))
        self._pool = None

    def forget_rows(self) -> None:
        """Validate-only runs: the rows written so far are not kept; the memory is reused."""
        n = self.n
        for b in self.builders.values():
            b.base = n  # (a plain store: one-record runs feel each call)
        self.id_builder.base = n
        self.capacity = n + len(self.id_builder.valid)
