"""Map or validate one input: in this process (:class:`~mapper.engine.core.Engine`) or with workers."""

from __future__ import annotations

import gc
from typing import Any

from ..batch import Batch
from ..compiler import CompiledSink
from ..options import MapOptions
from ..report import BatchRejected, Report
from .core import Engine
from .parallel import can_fork, rereadable, run_parallel
from .reader import CHUNK_SIZE, iter_units

__all__ = ["run"]


def run(compiled: CompiledSink, records: Any, options: MapOptions, *, output: bool) -> Batch | Report:
    """Map (``output``: the Batch, or :class:`~mapper.errors.BatchRejected`) or validate (the Report) ``records``.

    The cyclic garbage collector is paused meanwhile: mapping makes no reference
    cycles, and in a process that already holds millions of tracked objects each
    collection our allocations trigger would rescan them all (a GC cliff).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        batch, report = _run(compiled, records, options, output)
    finally:
        if was_enabled:
            gc.enable()
    if not output:
        return report
    if batch is None:
        raise BatchRejected(report)
    return batch


def _run(compiled: CompiledSink, records: Any, options: MapOptions, output: bool) -> tuple[Batch | None, Report]:
    if options.workers > 1 and can_fork() and rereadable(records) and len(compiled.stored_index) > 1:
        return run_parallel(compiled, records, options, output=output)
    engine = Engine(compiled, options, output=output)
    if isinstance(records, (bytes, bytearray, memoryview, str)):
        engine.expect_bytes = len(records)
    for unit in iter_units(records, input_format=options.input_format, chunk_size=CHUNK_SIZE, max_record=options.max_record_size):
        engine.feed(unit)
    return engine.finish()
