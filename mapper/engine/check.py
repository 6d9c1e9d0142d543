"""One record at a time, for producers: its errors and warnings, no Batch, no report.

:class:`RecordChecker` runs the careful path (:mod:`mapper.engine.careful`), the
reference every other path agrees with, on one record at row 0 of a small reused
output, and collects what it says in a list instead of a report. A record of a few
dozen fields costs tens of microseconds this way, where a one-record batch pays for
its columns, its report and its policy. One checker serves one thread (the Python
API keeps one per thread); the compiled sink it uses is shared.
"""

from __future__ import annotations

from typing import Any, Union

from ..compiler import CompiledSink
from ..options import MapOptions
from ..report import RecordError, ValueWarning
from .careful import CarefulPath
from .output import RunOutput

__all__ = ["RecordProblem", "RecordChecker"]

#: What :meth:`RecordChecker.check` returns items of: errors first, then warnings.
RecordProblem = Union[RecordError, ValueWarning]


class _Collector:
    """Takes the careful path's errors and warnings (the ReportBuilder calls it makes) into lists."""

    __slots__ = ("errors", "warnings", "source")

    def __init__(self) -> None:
        self.errors: list[RecordError] = []
        self.warnings: list[ValueWarning] = []
        self.source: str | None = None

    def error(self, record: int, line: int | None, column: str | None, path: str | None, code: str, reason: str, pointer: str | None = None) -> None:
        self.errors.append(RecordError(record, line, column, path, code, reason, None, pointer))

    def warning(
        self, record: int, line: int | None, column: str | None, path: str | None, kind: str, sent: Any, stored: Any, hint: str = "", pointer: str | None = None
    ) -> None:
        self.warnings.append(ValueWarning(record, line, column, path, kind, sent, stored, hint, pointer))


class RecordChecker:
    """Checks single records against one compiled sink (one instance per thread)."""

    def __init__(self, compiled: CompiledSink, *, strict: bool = False):
        options = MapOptions(strict=strict, fast=False)
        self.out = RunOutput(compiled, options, keep_rejected=False, keep_failed=False, capacity=16)
        self.careful = CarefulPath(compiled, options, self.out)

    def check(self, record: Any) -> list[RecordProblem]:
        """The errors, then the warnings, of one record: a mapping, or its JSON text (bytes or str).

        An empty list: the endpoint would store the record exactly as sent.
        """
        collector = _Collector()
        careful = self.careful
        careful.rb = collector  # type: ignore[assignment]  # the two calls the careful path makes
        out = self.out
        out.n = 0
        out.pending_raw = {}
        if isinstance(record, str):
            record = record.encode("utf-8", "surrogatepass")
        if isinstance(record, (bytes, bytearray, memoryview)):
            text = bytes(record).strip(b" \t\r\n")
            if not text:
                return [RecordError(0, None, None, None, "invalid_json", "no record: the text is empty")]
            careful.raw(text, 0, None)
        else:
            careful.obj(record, 0, None)
        return [*collector.errors, *collector.warnings]
