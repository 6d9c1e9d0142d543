"""The Python API: :func:`compile_sink` and the :class:`Mapper` it returns.

A thin layer over the stages: the sink is loaded (:mod:`mapper.sink`), compiled once
(:mod:`mapper.compiler`), and each call checks its options once
(:class:`~mapper.options.MapOptions`) and runs the engine (:mod:`mapper.engine`).
"""

from __future__ import annotations

from typing import Any, Callable

from .batch import Batch
from .compiler import CompiledSink, compile_definition
from .engine.runner import run
from .model import Column, Sink
from .options import MAX_RECORD_SIZE, MapOptions
from .report import Report
from .sink import load_sink

__all__ = ["Mapper", "compile_sink"]


class Mapper:
    """A compiled sink: call :meth:`map` for a :class:`~mapper.batch.Batch` or :meth:`validate` for a :class:`~mapper.report.Report`.

    Build it with :func:`compile_sink`.
    """

    def __init__(self, sink: Sink):
        self.compiled: CompiledSink = compile_definition(sink)

    @property
    def sink(self) -> Sink:
        return self.compiled.sink

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.compiled.columns

    @property
    def stored(self) -> tuple[Column, ...]:
        """The columns the endpoint stores (see :attr:`mapper.model.Sink.stored_columns`)."""
        return self.compiled.stored

    @property
    def source(self) -> str:
        """The generated source, as compiled."""
        return self.compiled.source

    @property
    def filename(self) -> str:
        """The generated module's name in tracebacks and :mod:`linecache`."""
        return self.compiled.filename

    @property
    def fast_unavailable(self) -> str | None:
        """Why the fast path is off for this sink, or None."""
        return self.compiled.fast_unavailable

    @property
    def walk(self) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
        """The generated careful-path walk: a decoded record -> each column's raw value."""
        return self.compiled.walk

    def __repr__(self) -> str:
        return f"<Mapper {self.sink.summary()}>"

    def map(
        self,
        records: Any,
        *,
        on_error: str = "endpoint",
        max_errors: int | float | None = None,
        strict: bool = False,
        input_format: str = "auto",
        workers: int = 1,
        fast: bool = True,
        max_record_size: int = MAX_RECORD_SIZE,
    ) -> Batch:
        """Map a batch into a :class:`~mapper.batch.Batch`; raise :class:`~mapper.errors.BatchRejected` if the endpoint would discard it.

        ``records``: NDJSON (bytes or str), a JSON array, the endpoint's request body
        ``{"records": [{"value": {...}}]}``, a ``pathlib.Path``, a binary file object,
        or an iterable of dicts.

        ``on_error``: ``"endpoint"`` (the default, the endpoint's own policy: a bad
        record is refused alone, the others are stored; a record lacking a mapped value
        under ``allow_missing_fields: false`` discards the whole batch), ``"reject"``
        (any bad record discards the batch, as the IDK batch ingester does) or
        ``"skip"`` (keep the good records, with ``max_errors``). ``max_errors``: with
        ``"skip"`` only, discard the batch once more than this many records (an int) or
        this share of them (a float from 0.0 to 1.0: ``1.0`` never discards) fail. ``strict``: values the
        endpoint would store differently are errors (``lossy_value``), not warnings.
        ``input_format``: ``auto``, ``ndjson``, ``json`` or ``endpoint``. ``workers``:
        processes to map with (see :mod:`mapper.engine.parallel`). ``fast=False`` maps
        every record on the careful path (for debugging; same results, slower).
        ``max_record_size``: a record longer than this many bytes is refused (code
        ``too_large``) and reading goes on at the next one (16 MiB by default).
        A bad option raises :class:`~mapper.errors.OptionError` before anything is read.
        """
        options = MapOptions(on_error, max_errors, strict, input_format, workers, fast, max_record_size)
        result = run(self.compiled, records, options, output=True)
        assert isinstance(result, Batch)
        return result

    def validate(
        self,
        records: Any,
        *,
        on_error: str = "endpoint",
        max_errors: int | float | None = None,
        strict: bool = False,
        input_format: str = "auto",
        workers: int = 1,
        fast: bool = True,
        max_record_size: int = MAX_RECORD_SIZE,
    ) -> Report:
        """Validate a batch as the endpoint would and return the :class:`~mapper.report.Report`.

        Never raises for bad records (``report.accepted`` says whether the batch would
        be taken); the options are those of :meth:`map`. Columns are not kept, so any
        input size runs in bounded memory.
        """
        options = MapOptions(on_error, max_errors, strict, input_format, workers, fast, max_record_size)
        result = run(self.compiled, records, options, output=False)
        assert isinstance(result, Report)
        return result

    def explain(self) -> str:
        """The generated source, as compiled."""
        return self.compiled.source


def compile_sink(sink: Sink | Any, **load_options: Any) -> Mapper:
    """Compile a sink (a :class:`~mapper.model.Sink`, or anything :func:`~mapper.sink.load_sink` takes)."""
    if not isinstance(sink, Sink):
        sink = load_sink(sink, **load_options)
    return Mapper(sink)
