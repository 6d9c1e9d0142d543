"""One record at a time, for producers: its errors and warnings, no Batch, no report.

:class:`RecordChecker` runs the careful path (:mod:`mapper.engine.careful`), the
reference every other path agrees with, on one record at row 0 of a small reused
output, and collects what it says in a list instead of a report. A record of a few
dozen fields costs tens of microseconds this way, where a one-record batch pays for
its columns, its report and its policy. One checker serves one thread (the Python
API keeps one per thread); the compiled sink it uses is shared.

:func:`validate_one_line` is ``validate`` of an input that is one NDJSON line: the
same careful path (the engine takes a run of one record that way too), reporting
into a real report, without a run's setup (column builders, input units).
"""

from __future__ import annotations

import threading
from typing import Any, Union

from ..compiler import CompiledSink
from ..options import MapOptions
from ..report import RecordError, Report, ReportBuilder, ValueWarning, decide
from .careful import CarefulPath
from .output import RunOutput
from .reader import detect_format, line_text, lone_object_notice

__all__ = ["RecordChecker", "RecordProblem", "one_line", "thread_checker", "validate_one_line"]

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
        out.rb = collector  # type: ignore[assignment]
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


def one_line(records: Any, options: MapOptions) -> bytes | None:
    """The line, when ``records`` (bytes, or str holding JSON) is one NDJSON record that
    :func:`validate_one_line` maps as the engine would; else None (the engine's way).

    One line (a final newline allowed) starting with ``{``, read as NDJSON (not an
    endpoint body), no records path, within the record size limit.
    """
    if options.records_path is not None or options.input_format not in ("auto", "ndjson"):
        return None
    if isinstance(records, str):
        if not records.startswith("{"):  # (a str not starting so may be a file name)
            return None
        records = records.encode("utf-8", "surrogatepass")
    elif records.__class__ is not bytes or not records.startswith(b"{"):
        return None
    nl = records.find(b"\n")
    if 0 <= nl < len(records) - 1:
        return None
    line = line_text(records[:nl] if nl >= 0 else records)
    if len(line) > options.max_record_size:
        return None
    if options.input_format == "auto" and detect_format(line, complete=True) != "ndjson":
        return None
    return line


def validate_one_line(compiled: CompiledSink, line: bytes, options: MapOptions) -> Report:
    """The report of validating one NDJSON line (see :func:`one_line`), the batch policy applied."""
    checker = thread_checker(compiled, options.strict)
    careful, out = checker.careful, checker.out
    rb = ReportBuilder(on_error=options.on_error, strict=options.strict)
    careful.rb = out.rb = rb
    out.n = 0
    out.pending_raw = {}
    careful.raw(line, 0, 1)
    rb.close_records(lambda _rec: line)
    report = rb.report
    report.records = 1
    decide(report, compiled.sink.allow_missing_fields, options.on_error, options.max_errors)
    if report.failed_records:  # as an engine run notes it: a document holding the records?
        notice = lone_object_notice(line)
        if notice is not None:
            report.notes = [notice.message]
    return report


def thread_checker(compiled: CompiledSink, strict: bool) -> RecordChecker:
    """This thread's checker of ``compiled`` (one per thread and ``strict``; the compiled sink is shared)."""
    local = compiled.memo.get("record_checkers")
    if local is None:
        local = compiled.memo["record_checkers"] = threading.local()
    checker: RecordChecker | None = getattr(local, "strict" if strict else "plain", None)
    if checker is None:
        checker = RecordChecker(compiled, strict=strict)
        setattr(local, "strict" if strict else "plain", checker)
    return checker
