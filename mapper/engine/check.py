"""One record at a time, for producers: its errors and warnings, no Batch, no report.

:class:`RecordChecker` runs the careful path (:mod:`mapper.engine.careful`), the
reference every other path agrees with, on one record at row 0 of a small reused
output, and collects what it says in a list instead of a report. A record of a few
dozen fields costs tens of microseconds this way, where a one-record batch pays for
its columns, its report and its policy. One checker serves one thread (the Python
API keeps one per thread); the compiled sink it uses is shared.

:func:`validate_lines` is ``validate`` of an input of a few NDJSON lines: the
values the types' quick forms vouch for report nothing, the others take the same
careful path, reporting into a real report, without a run's setup (column builders,
input units, numpy calls per column).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from itertools import repeat
from typing import Any, Callable, Mapping, Union

from ..compiler import CompiledSink
from ..errors import given_bytes, preview, record_file_note
from ..options import MAX_RECORD_SIZE, MapOptions
from ..report import RecordError, Report, ReportBuilder, ValueWarning, decide, line_too_long_reason, too_large_reason
from ..types import ShownFloat, beyond_float64_reason
from .careful import CarefulPath, numbers_as_written
from .fast import decode_few, map_few, map_few_dicts, plan_for, vouch_dicts
from .gojson import huge_number_in, json_path, without_bom
from .output import RunOutput
from .pyjson import mapping_text
from .reader import HEAD_SIZE, OversizedObject, format_of, line_text, lone_object_notice, oversized

__all__ = [
    "SMALL_INPUT",
    "RecordChecker",
    "RecordProblem",
    "beyond_float64",
    "few_dicts",
    "few_lines",
    "thread_checker",
    "validate_dicts",
    "validate_lines",
]

#: What :meth:`RecordChecker.check` returns items of: errors first, then warnings.
RecordProblem = Union[RecordError, ValueWarning]


class _Collector:
    """Takes the careful path's errors and warnings (the ReportBuilder calls it makes) into lists."""

    __slots__ = ("errors", "warnings", "source")

    def __init__(self) -> None:
        self.errors: list[RecordError] = []
        self.warnings: list[ValueWarning] = []
        self.source: str | None = None

    def error(
        self,
        record: int,
        line: int | None,
        column: str | None,
        path: str | None,
        code: str,
        reason: str,
        pointer: str | None = None,
        shown: ShownFloat | None = None,
    ) -> None:
        self.errors.append(RecordError(record, line, column, path, code, reason, None, pointer, shown=shown))

    def warning(
        self, record: int, line: int | None, column: str | None, path: str | None, kind: str, sent: Any, stored: Any, hint: str = "", pointer: str | None = None
    ) -> None:
        self.warnings.append(ValueWarning(record, line, column, path, kind, sent, stored, hint, pointer))

    def warning_lazy(
        self, record: int, line: int | None, column: str | None, path: str | None, kind: str, convert: Any, value: Any, pointer: str | None = None
    ) -> None:
        self.warnings.append(ValueWarning.lazy(record, line, column, path, kind, convert, value, pointer))


class RecordChecker:
    """Checks single records against one compiled sink (one instance per thread)."""

    def __init__(self, compiled: CompiledSink, *, strict: bool = False):
        options = MapOptions(strict=strict, fast=False)
        self.out = RunOutput(compiled, options, keep_rejected=False, keep_failed=False, capacity=16)
        self.careful = CarefulPath(compiled, options, self.out)
        self.busy = False  # checking a mapping: its get may check again on this thread (see thread_checker)

    def check(self, record: Any, limit: int | None = None) -> list[RecordProblem]:
        """The errors, then the warnings, of one record: a mapping, or its JSON text (bytes or str).

        An empty list: the endpoint would store the record exactly as sent. A text longer than
        ``limit`` bytes (``max_record_size``; None: not measured) is ``too_large``, as ``validate``
        refuses it, undecoded.
        """
        # busy the whole call: a check run inside it on this thread (a mapping's own get, a signal
        # handler, a finalizer) gets a checker of its own from thread_checker; sharing this one, the
        # outer record's errors went to the inner call's list (a bad text read as good)
        self.busy = True
        try:
            original, collector = record, _Collector()
            careful = self.careful
            careful.rb = collector  # type: ignore[assignment]  # the calls the careful path makes
            out = self.out
            out.rb = collector  # type: ignore[assignment]
            out.n = 0
            out.pending_raw = {}
            if isinstance(record, str):
                record = record.encode("utf-8", "surrogatepass")
            if isinstance(record, (bytes, bytearray, memoryview)):
                # (blanks before the record kept: an error's char counts them, as validate of the text does)
                whole = without_bom(given_bytes(record, "the record"))
                text = whole.rstrip(b" \t\r\n")
                if not text.lstrip(b" \t\r\n"):
                    return [RecordError(0, None, None, None, "invalid_json", "no record: the text is empty")]
                if limit is not None and len(whole) > limit:
                    # measured as validate measures a line: its record, less the blanks around it, and the whole
                    # text at most twice the limit (reader.oversized)
                    over = oversized(whole, 0, len(whole), limit, None)
                    if over is not None:
                        why = too_large_reason(over.size, limit) if over.size > limit else line_too_long_reason(len(whole), limit, "text")
                        return [RecordError(0, None, None, None, "too_large", why)]
                if not map_few(self.careful.c, [text], careful, first_line=None):
                    careful.raw(text, 0, None)
                errors = collector.errors
                if errors or collector.warnings:  # (their numbers said as the text writes them)
                    numbers_as_written(collector.warnings, {0: errors}, lambda _r: text)
                if not any(e.code == "invalid_json" for e in errors):
                    beyond = beyond_float64(text)
                    if beyond is not None and not any(e.path is not None and _within(beyond.path or "$", e.path) for e in errors):
                        errors.append(beyond)  # (a number in a field nobody maps: the engine's decoders skip it unread)
            else:
                mapping = record.__class__ is dict or isinstance(record, Mapping)
                written = None
                if limit is not None and mapping:
                    # measured by the JSON text a Batcher sends for it (written anyway, below), as
                    # validate given the limit measures it (reader.measured_objects), and not mapped past it
                    written = mapping_text(record, keep=False)
                    raw = written[0]
                    if raw is not None and len(raw) > limit:
                        return [RecordError(0, None, None, None, "too_large", OversizedObject(len(raw), limit).reason)]
                careful.obj(record, 0, None)
                if mapping:
                    _unsendable(record, collector.errors, written)
            errors = collector.errors
            if len(errors) == 1 and errors[0].code in ("invalid_json", "not_an_object"):
                note = record_file_note(original)  # (looked for only when the record failed so: it asks the file system)
                if note is not None:
                    errors = [replace(errors[0], reason=f"{errors[0].reason} ({note})")]
            return [*errors, *collector.warnings]
        finally:
            self.busy = False


def _unsendable(record: Any, errors: list[RecordError], text: tuple[bytes | None, str | None] | None = None) -> None:
    """Add to a mapping's ``errors`` (the engine's, of its mapped values) what the endpoint
    says of the JSON text a producer sends for it, judged by the text :class:`mapper.Batcher`
    sends (:func:`~mapper.engine.pyjson.mapping_text`), anywhere in the record: the engine
    reads only the mapped values.

    A record with no JSON text (a float NaN or infinity, a key that is not a string, a value
    of no JSON type) is ``invalid_json`` in the batcher's words, unless a mapped value was
    already refused (the cause, or a fault of its own: the record is refused either way); a
    text the service's decoder refuses for a number beyond float64 is ``out_of_range`` where
    the number is, as for a record's text (unless already said at its path or around it).
    ``text``: :func:`~mapper.engine.pyjson.mapping_text` of the record, when made already."""
    raw, problem = mapping_text(record, keep=False) if text is None else text
    if problem is None:
        return
    beyond = beyond_float64(raw) if raw is not None else None
    if beyond is not None:
        if not any(e.path is not None and _within(beyond.path or "$", e.path) for e in errors):
            errors.append(beyond)
    elif not errors:
        errors.append(RecordError(0, None, None, None, "invalid_json", problem))


def beyond_float64(raw: bytes) -> RecordError | None:
    """The error (of record 0, as ``check`` numbers its one) of a record whose JSON text holds a number beyond float64 (``1e400``, a
    400-digit integer), wherever it is: the endpoint's decoder (Go's, into float64) refuses the
    whole record for it, mapped or not. ``out_of_range`` at the number's path, as the engine
    says it of a mapped one; None when the text holds none, or is no JSON (that is its error).

    One ``orjson.loads`` when it holds none (about 6% of a ``check`` of a seed record): the
    engine's decoders skip a field nobody maps unread, so ``validate`` of many records does
    not see such a number there (docs/types.md, "Deliberate deviations")."""
    found = huge_number_in(raw)
    if found is None:
        return None
    keys, _offset, number = found
    reason = f"{beyond_float64_reason(preview(number))}: its decoder refuses the whole record, wherever the number is"
    return RecordError(0, None, None, json_path(keys), "out_of_range", reason)


def _within(path: str, outer: str) -> bool:
    """Whether record path ``path`` is ``outer`` or inside it (``$.a[0]`` is inside ``$.a``)."""
    return path == outer or (path.startswith(outer) and path[len(outer) : len(outer) + 1] in (".", "["))


#: Inputs of at most this many lines take :func:`validate_lines` (measured on the seed
#: records, side by side: the quick forms take 0.3x the engine's time at 10 lines, 0.44x
#: at 32, 0.86x at 64; on 2026-12-04, nine rounds, 0.77x at 100 and 0.90x at 128, while
#: at 150 and 200 the engine was faster: there the vector forms' numpy calls and a run's
#: setup are paid off. An earlier host measured 1.05x at 100, and the switch was 90).
SMALL_INPUT = 128
#: ... and at most this many bytes when they are more than one line.
_SMALL_BYTES = 1 << 20


def few_lines(compiled: CompiledSink, records: Any, options: MapOptions, decoded: list[Any] | None = None) -> list[bytes] | None:
    """The records' lines, when ``records`` (bytes, or str holding JSON) is a few NDJSON
    records that :func:`validate_lines` maps as the engine would; else None (the engine's way).

    At most :data:`SMALL_INPUT` lines (a final newline allowed; one line of any size up
    to the record size limit), the first starting with ``{``, none blank or longer than
    the record size limit, read as NDJSON (not an endpoint body or a document), no
    records path. A first line the sink's exact decoder takes, followed by a line starting
    with ``{``, is NDJSON without more ado (as :func:`detect_format` rules, at a third of
    its cost). That first line decoded so is appended to ``decoded`` (if given): the exact
    tier's record of it, which :func:`validate_lines` then need not decode again.
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
    if 0 <= nl < len(records) - 1:  # more than one line
        if len(records) > _SMALL_BYTES:
            return None
        parts = records.split(b"\n", SMALL_INPUT)
        if not parts[-1]:  # (a final newline)
            parts.pop()
        elif len(parts) > SMALL_INPUT:  # the last part holds more lines
            return None
    else:
        parts = [records[:nl] if nl >= 0 else records]
    lines = [line_text(p) for p in parts] if b"\r" in records else parts
    limit = options.max_record_size
    if len(records) > limit and max(map(len, lines)) > limit:
        return None
    if not all(map(bytes.strip, lines, repeat(b" \t\r"))):  # a blank line
        return None
    if options.input_format == "auto" and not _usual_ndjson(compiled, records, nl, lines, decoded) and format_of(records) != "ndjson":
        return None
    return lines


def _usual_ndjson(compiled: CompiledSink, records: bytes, nl: int, lines: list[bytes], decoded: list[Any] | None = None) -> bool:
    """Whether ``records`` is NDJSON by :func:`detect_format`'s first rule (a whole value on the
    first line, a line starting with ``{`` after it), the first line read by the sink's exact
    decoder (it takes only what the format's own decoder takes); its record appended to ``decoded``."""
    if compiled.fast_unavailable is not None or not 0 < nl < HEAD_SIZE - 1 or records[nl + 1 : nl + 2] != b"{":
        return False
    try:
        first = compiled.tiers[0].lines_decoder.decode(lines[0])
    except Exception:  # noqa: BLE001 - any refusal: the general rule decides
        return False
    if decoded is not None:
        decoded.append(first)
    return True


def few_dicts(compiled: CompiledSink, records: Any, options: MapOptions) -> list[dict[str, Any]] | None:
    """The records, when ``records`` is a list (or tuple) of at most :data:`SMALL_INPUT`
    plain dicts that :func:`validate_dicts` maps as the engine would; else None."""
    if records.__class__ not in (list, tuple) or not 0 < len(records) <= SMALL_INPUT:
        return None
    if not options.fast or options.records_path is not None or options.input_format != "auto" or set(map(type, records)) != _DICT:
        return None
    if options.max_record_size != MAX_RECORD_SIZE:  # (each measured by its text: reader.measured_objects, in an engine run)
        return None
    plan = plan_for(compiled)
    return list(records) if plan.dict_exact is not None and compiled.fast_unavailable is None else None


_DICT = {dict}


def _nothing_to_report(n: int, options: MapOptions) -> Report:
    """The report a run makes of ``n`` records that report nothing (every value vouched for),
    made as it stands: without the checker's setup (its report builder, its policy)."""
    return Report(records=n, on_error=options.on_error, strict=options.strict)


def validate_dicts(compiled: CompiledSink, records: list[dict[str, Any]], options: MapOptions) -> Report:
    """The report of validating a few of a caller's dicts (see :func:`few_dicts`), the batch
    policy applied: :func:`~mapper.engine.fast.map_few_dicts`, as :func:`validate_lines`
    does lines. Dicts whose every value the screens let through and the quick forms vouch
    for, read in place (:func:`~mapper.engine.fast.vouch_dicts`), report nothing: only the
    others are judged so, and when there are none (the usual few) their report is made as
    it stands, without the checker's setup."""
    odd = vouch_dicts(compiled, records)
    if odd is not None and not odd and not options.ignore_warnings:
        return _nothing_to_report(len(records), options)
    judged, rows = (records, None) if odd is None else ([records[i] for i in odd], odd)

    def judge(careful: CarefulPath) -> None:
        if not judged:  # (every dict vouched for, warnings left out: nothing to judge)
            return
        if not map_few_dicts(compiled, judged, careful, rows):  # (few_dicts asked first: never, but never unjudged)
            for i, record in enumerate(records):
                careful.obj(record, i, None)

    return _validate_few(compiled, len(records), options, judge, None)


def validate_lines(compiled: CompiledSink, lines: list[bytes], options: MapOptions, first: Any = None) -> Report:
    """The report of validating a few NDJSON records (see :func:`few_lines`), the batch policy applied.

    The fast path's way with the types' quick forms (:func:`~mapper.engine.fast.map_few`),
    else the careful path for each record: without a run's setup (column builders,
    input units) or numpy's fixed costs per column. ``first``: the first line as the
    exact tier decoded it (:func:`few_lines` did), if it did. Records whose every value
    the quick forms vouch for (:func:`~mapper.engine.fast.decode_few`, the usual few)
    report nothing: then their report is made as it stands, without the checker's setup.
    """
    few = decode_few(compiled, lines, first) if options.fast else None
    if few is not None and few[1] == len(lines) and not options.ignore_warnings:
        return _nothing_to_report(len(lines), options)  # every value vouched for (the usual few records)

    def judge(careful: CarefulPath) -> None:
        if not (options.fast and map_few(compiled, lines, careful, first=first, few=few)):
            for i, line in enumerate(lines):
                careful.raw(line, i, i + 1)

    report = _validate_few(compiled, len(lines), options, judge, lines.__getitem__)
    if report.failed_records and len(lines) == 1:  # as an engine run notes it: a document holding the records?
        notice = lone_object_notice(lines[0])
        if notice is not None:
            report.notes = [notice.message]
    return report


def _validate_few(compiled: CompiledSink, n: int, options: MapOptions, judge: Callable[[CarefulPath], None], raw_of: Callable[[int], bytes] | None) -> Report:
    """A report of ``n`` records that ``judge`` maps onto this thread's checker's careful path
    (its output reused, rows from 0), the batch policy applied."""
    checker = thread_checker(compiled, options.strict)
    careful, out = checker.careful, checker.out
    rb = ReportBuilder(on_error=options.on_error, strict=options.strict, ignore_warnings=options.ignore_warnings)
    careful.rb = out.rb = rb
    out.n = 0
    out.pending_raw = {}
    out.prepare(n)
    checker.busy = True  # (a nested mapping's get may validate again on this thread: see thread_checker)
    try:
        judge(careful)
    finally:
        checker.busy = False
    if raw_of is not None and (rb.pending_warnings or rb.bad):  # (their numbers said as the texts write them)
        numbers_as_written(rb.pending_warnings, rb.bad, raw_of)
    rb.close_records(raw_of)
    report = rb.report
    report.records = n
    decide(report, compiled.sink.allow_missing_fields, options.on_error, options.max_errors)
    return report


def thread_checker(compiled: CompiledSink, strict: bool) -> RecordChecker:
    """This thread's checker of ``compiled`` (one per thread and ``strict``; the compiled sink is shared).

    A new one while it is busy checking a mapping whose code (its ``get``) checks or
    validates again on this thread: sharing it, the outer record's errors went to the
    inner call."""
    local = compiled.memo.get("record_checkers")
    if local is None:
        local = compiled.memo["record_checkers"] = threading.local()
    checker: RecordChecker | None = getattr(local, "strict" if strict else "plain", None)
    if checker is None:
        checker = RecordChecker(compiled, strict=strict)
        setattr(local, "strict" if strict else "plain", checker)
    elif checker.busy:
        return RecordChecker(compiled, strict=strict)
    return checker
