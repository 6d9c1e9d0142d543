"""The account of a batch: every record the endpoint would not take, and every value it would change.

Errors and warnings share one message shape (msgspec's, plus where it happened)::

    Expected `int` or a string of digits, got `str` "high" - at `$.data.altitude` (record 7777, line 7778, column "altitude")

A :class:`Report` keeps counts per (column, code) for the whole batch and the first
:data:`KEEP` entries in full, so a huge batch with a broken column stays cheap.
Locations are only built when something fails. The batch policy (:func:`decide`:
is the batch taken, and if not why) lives here, next to what it reads.
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from array import array
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator, Literal, TextIO, TypeVar

import numpy as np

from .errors import MapperError, OptionError, escape_controls, escaped_json, show, shown_name, suggest, type_name
from .types import LOSSY_KINDS, ConversionError, ShownFloat

if TYPE_CHECKING:
    Int64Array = array[int]
else:  # (array[int] is no run-time type before Python 3.12: typing.get_type_hints(Report) would fail)
    Int64Array = array

#: How many errors (and, separately, warnings) a report keeps in full.
KEEP = 1000
#: About how many bytes the warnings a report keeps in full may hold (:func:`warning_weight`:
#: what was sent, and what is stored when that is an array or an object): past it the rest are only counted, as past
#: :data:`KEEP`. Warnings on ordinary values weigh a few hundred bytes (KEEP comes
#: first); a run of warnings on big ones (``comma_split`` of 70 KB strings held 760 KB
#: each, stored parts and all) stays bounded.
KEEP_BYTES = 16 << 20

#: The endpoint's ``error_code`` for a refused record, by why it was refused (see docs/types.md, "Null, missing, and the batch policy: more"):
#: its own bad value, JSON or shape (the documented ``InvalidBody``), only a missing mapped value
#: under ``allow_missing_fields: false`` (``MissingField``), or nothing of its own: the batch was
#: discarded because of another record (``BatchDiscarded``).
INVALID_BODY, MISSING_FIELD, BATCH_DISCARDED = "InvalidBody", "MissingField", "BatchDiscarded"
#: The endpoint's own message for a refused record (its documentation's only example).
ENDPOINT_MESSAGE = "Incorrect values for one or more of record fields"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 record``, ``2 records``."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def not_an_object_reason(obj: Any) -> str:
    """Why a record that is not a JSON object is refused (``validate`` and ``infer`` word it alike)."""
    return f"Expected `object`, got `{type_name(obj)}` {show(obj)}: a record must be a JSON object"


def not_an_item_reason(kind: str | None) -> str:
    """Why a request body item gives no record (``validate`` and ``infer``, from a body's text or a
    Python one, word it alike): ``kind`` the JSON type of an item that is no object; None for an
    object without ``"value"`` (or ``null``, which Go decodes into the item as nothing)."""
    if kind is None:
        return 'the request body item has no "value"'
    return f'the request body item is `{kind}`, not an object with "value"'


def too_large_reason(size: int, limit: int, what: str = "the record") -> str:
    """Why a record over the maximum record size is refused (``validate`` and ``infer`` word it alike;
    ``what``: what was measured, a record given as a Python object being measured by its JSON text)."""
    return f"{what} is {size:,} bytes, more than the {limit:,} a record may have (--max-record-size, max_record_size=)"


def line_too_long_reason(size: int, limit: int, what: str = "line") -> str:
    """Why a line (``what``: or a text given alone) whose record is within the maximum record size is
    refused: its blanks make it longer than twice that (a line is held whole while it is read)."""
    return (
        f"the {what} is {size:,} bytes, more than twice the {limit:,} a record may have (--max-record-size, max_record_size=): "
        "the blanks around its record are no part of the record, but a line is held whole while it is read"
    )


T = TypeVar("T")


def location_text(path: str | None, record: int | None, line: int | None, column: str | None, file: str | None = None) -> str:
    parts = []
    if file is not None:
        parts.append(f"file {shown_name(file)}")
    if record is not None:
        parts.append(f"record {record}")
    if line is not None:
        parts.append(f"line {line}")
    if column is not None:
        parts.append(f'column "{escape_controls(column)}"')  # (a name may hold an ESC or a U+202E: as check shows it)
    where = f" - at `{path}`" if path else ""
    return f"{where} ({', '.join(parts)})" if parts else where


@dataclass(frozen=True, slots=True)
class RecordError:
    """One reason a record cannot be taken.

    ``path`` is where in the record (``$.data.altitude``); ``pointer`` is where the
    column is defined (a JSON Pointer into the sink definition, ``/schema/definition/3``);
    both are None for an error of the record as a whole.
    """

    record: int
    line: int | None
    column: str | None
    path: str | None
    code: str
    reason: str
    file: str | None = None
    pointer: str | None = None
    #: where ``reason`` shows a float the record sent, as Python writes it (``1e+20``): the
    #: place the record's text's own writing of it (``1e20``) goes (see
    #: :func:`mapper.engine.careful.numbers_as_written`); None when it shows none, or says it so
    shown: ShownFloat | None = field(default=None, compare=False, repr=False, kw_only=True)

    #: Tells errors from warnings in a mixed list (see :meth:`mapper.Mapper.check`); a Literal, so
    #: ``p.severity == "error"`` narrows a ``RecordError | ValueWarning`` for type checkers.
    severity: ClassVar[Literal["error"]] = "error"

    @property
    def message(self) -> str:
        return self.reason + location_text(self.path, self.record, self.line, self.column, self.file)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "record": self.record,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "pointer": self.pointer,
            "code": self.code,
            "message": self.message,
        }
        if self.file is not None:
            out["file"] = self.file
        return out


class _ErrorSlots:
    """:class:`RecordError`'s slots, without its frozen ``__setattr__``: :meth:`ReportBuilder.errors_at`
    fills one per error and makes it a RecordError (``__class__`` assignment, which Python allows
    between classes of one layout: the same slots, in the same order, on ``object``). The frozen
    dataclass's ``__init__`` calls ``object.__setattr__`` for each of its 9 fields, a call with a
    tuple of arguments each: 1.7 us an error against 0.5 (a batch missing 65,000 values made as many)."""

    __slots__ = tuple(f.name for f in fields(RecordError))


assert RecordError.__slots__ == _ErrorSlots.__slots__  # (the layouts __class__ assignment needs)


@dataclass(frozen=True, slots=True)
class DocumentFailure:
    """Why an input read as one document (a JSON array, a request body, a ``records_path``
    document) failed whole, in parts: the verdict is built from them (:meth:`Report.summary`),
    and :attr:`reason` is the document's error as its record's error says it (without the
    reader's hint), the string ``--report json`` gives as ``document_error``.

    ``detail``: what is wrong, in the error's own words (``invalid character '{' at line 3 char
    2 after an array element: ',' or ']' was expected``, ``the request body is truncated``, ``no records at `data`: no key `data```);
    ``invalid``: the text is not valid JSON (else a valid document holding no records where
    ``records_path`` says); ``read``: what was read whole when the error names it as not valid
    JSON (``the request body``, ``the JSON array``, ``the JSON document``), else ``""`` (the
    detail says what it is itself); ``line``: the line the error is placed on; ``file``: of
    several inputs, the one that failed (None: one input); ``line_named``: the line ``detail``
    names itself (``at line 3 char 2``, of a document spread over lines), None when it names
    none (the verdict then places it: ``at line 3``).
    """

    detail: str
    invalid: bool = True
    read: str = ""
    line: int | None = None
    file: str | None = None
    line_named: int | None = None

    @property
    def reason(self) -> str:
        """``Invalid JSON: the request body is not valid JSON: invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected``."""
        said = f"{self.read} is not valid JSON: " if self.read else ""
        return f"{'Invalid JSON: ' if self.invalid else ''}{said}{self.detail}"

    def verdict(self, kinds: str) -> str:
        """What became of the input, ``kinds`` its errors by kind: ``the input is not valid JSON:
        invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected (invalid_json 1, in the request body read whole: no
        record was read)``, not "the only record would be refused" of a record the user never
        wrote; of several inputs, the one that failed is named for "the input"."""
        name = None if self.file is None else "standard input" if self.file == "-" else shown_name(self.file)  # (- : the command line's)
        subject = name or "the input"
        head = f"{subject} is not valid JSON: " if self.invalid else ""
        line = self.line
        # (a detail that places itself, "at line 3 char 2", is not placed again)
        where = f", at line {line}" if line is not None and line != self.line_named else ""
        if self.read:  # ("the request body is not valid JSON: ...": said once)
            read = f", in {self.read} read whole"
        else:
            read = f"; {'it' if name and self.invalid else subject} was read whole, as one document"
        return f"{head}{self.detail} ({kinds}{where}{read}: no record was read)"


_UNRESOLVED: Any = object()


class ValueWarning:
    """A value the endpoint stores differently from how it was sent.

    The fast path knows that a value is lossy (and what it stores) from whole-array
    tests; wording the warning (what was sent, what is stored, the hint) needs the
    scalar converter. A warning made with :meth:`lazy` runs it only when one of those
    is first read (most runs never read them); it then behaves, compares and pickles
    as the plain warning it words.
    """

    __slots__ = ("record", "line", "column", "path", "kind", "pointer", "file", "_sent", "_stored", "_hint", "_lazy", "written")

    #: Tells errors from warnings in a mixed list (see :meth:`mapper.Mapper.check`).
    severity: ClassVar[Literal["warning"]] = "warning"

    def __init__(
        self,
        record: int,
        line: int | None,
        column: str | None,
        path: str | None,
        kind: str,
        sent: Any,
        stored: Any,
        hint: str = "",
        pointer: str | None = None,
        file: str | None = None,
        written: str | None = None,
    ):
        self.record, self.line, self.column, self.path, self.kind, self.pointer = record, line, column, path, kind, pointer
        #: the input file, when a run reads several (as on :class:`RecordError`)
        self.file = file
        #: the number sent as the record's text writes it (``1e20``, ``-0``, ``1.50``), where
        #: Python writes its float otherwise (``1e+20``, ``-0.0``, ``1.5``): what the message says
        #: was sent (``sent`` stays the value); None when it writes it as Python does, or the
        #: record came as no text (a dict)
        self.written = written
        self._sent, self._stored, self._hint = sent, stored, hint
        # (convert, value) until worded: one attribute, read and cleared whole, so that
        # threads reading one report's warnings at once never see half of it
        self._lazy: tuple[Callable[[Any, list[Any]], Any], Any] | None = None

    @classmethod
    def lazy(
        cls,
        record: int,
        line: int | None,
        column: str | None,
        path: str | None,
        kind: str,
        convert: Callable[[Any, list[Any]], Any],
        value: Any,
        pointer: str | None = None,
        file: str | None = None,
    ) -> ValueWarning:
        """A warning worded by ``convert(value, notes)`` when it is first read."""
        w = cls(record, line, column, path, kind, _UNRESOLVED, None, "", pointer, file)
        w._lazy = (convert, value)
        return w

    def _resolve(self) -> None:
        lazy = self._lazy
        if lazy is None:  # worded meanwhile by another thread (which set _sent last)
            return
        convert, value = lazy
        notes: list[Any] = []
        try:
            convert(value, notes)
        except ConversionError:  # pragma: no cover - the vector form vouched for the value
            pass
        note = next((n for n in notes if n.kind == self.kind), notes[0] if notes else None)
        if note is None:  # pragma: no cover - the vector form and the converter disagree
            self._stored, self._sent = None, value
        else:  # _sent last: a reader that sees it worded sees the rest
            self._stored, self._hint, self._sent = note.stored, note.hint, note.sent
        self._lazy = None

    def value_sent(self) -> Any:
        """The value sent, without wording the warning (a lazy one's value is what it was given)."""
        lazy = self._lazy
        return lazy[1] if lazy is not None else self.sent

    @property
    def sent(self) -> Any:
        if self._sent is _UNRESOLVED:
            self._resolve()
        return self._sent

    @property
    def stored(self) -> Any:
        if self._sent is _UNRESOLVED:
            self._resolve()
        return self._stored

    @property
    def hint(self) -> str:
        if self._sent is _UNRESOLVED:
            self._resolve()
        return self._hint

    @property
    def reason(self) -> str:
        """What changed, without where: ``float truncated: sent 12.9, stored 12``."""
        return self.worded()[0]

    def worded(self) -> tuple[str, ShownFloat | None]:
        """:attr:`reason`, and where it shows the float sent as Python writes it (None: no float,
        or said as :attr:`written`): where ``--strict`` refuses the value, the error says it so."""
        stored = "no value" if self.stored is None else show(self.stored)
        head = f"{LOSSY_KINDS.get(self.kind, self.kind)}: sent "
        # (what a utf8_replaced warning says was sent writes the escape as the text had it: shown once)
        sent = self.written if self.written is not None else show(self.sent, escaped=self.kind == "utf8_replaced")
        text = f"{head}{sent}, stored {stored}"
        value = self.sent
        shown = ShownFloat(value, len(head), len(head) + len(sent)) if value.__class__ is float and self.written is None else None
        return (f"{text} ({self.hint})" if self.hint else text), shown

    @property
    def message(self) -> str:
        return self.reason + location_text(self.path, self.record, self.line, self.column, self.file)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "record": self.record,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "pointer": self.pointer,
            "kind": self.kind,
            "sent": _jsonable(self.sent),
            "stored": _jsonable(self.stored),
            "message": self.message,
        }
        if self.file is not None:
            out["file"] = self.file
        return out

    def _key(self) -> tuple[Any, ...]:
        return (self.record, self.line, self.column, self.path, self.kind, self.sent, self.stored, self.hint, self.file)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValueWarning):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        # (not what was sent and what is stored: an array's or an object's, a comma_split's
        # parts, are unhashable; equal warnings are still alike in where and what kind)
        return hash((self.record, self.line, self.column, self.path, self.kind, self.file))

    def __repr__(self) -> str:
        return (
            f"ValueWarning(record={self.record!r}, line={self.line!r}, column={self.column!r}, path={self.path!r}, "
            f"kind={self.kind!r}, sent={self.sent!r}, stored={self.stored!r}, hint={self.hint!r}" + (f", file={self.file!r})" if self.file is not None else ")")
        )

    def __reduce__(self) -> Any:
        return (
            ValueWarning,
            (self.record, self.line, self.column, self.path, self.kind, self.sent, self.stored, self.hint, self.pointer, self.file, self.written),
        )


_TOKEN_LOCK = threading.Lock()


def input_token(report: Report) -> str:
    """The token naming the input of ``report`` (:attr:`Report.input_token`), made the first time
    it is asked for (a random one: an input has no name of its own; under a lock, so that slices
    written or pickled by two threads at once name it alike)."""
    token = report.input_token
    if token is None:
        with _TOKEN_LOCK:
            token = report.input_token
            if token is None:
                token = report.input_token = uuid.uuid4().hex
    return token


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


@dataclass
class RejectedRecord:
    """A record left out of the batch (``on_error="skip"``), with its reasons and raw text."""

    record: int
    line: int | None
    errors: list[RecordError]
    raw: bytes | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"record": self.record, "line": self.line, "errors": [e.to_dict() for e in self.errors]}
        if self.raw is not None:
            out["raw"] = self.raw.decode("utf-8", "replace")
        return out


@dataclass
class Report:
    """Everything the mapper found in one batch.

    ``errors`` holds the first :data:`KEEP` errors in full, ``warnings`` the first
    :data:`KEEP` warnings (fewer when their values hold over :data:`KEEP_BYTES`);
    ``error_counts`` counts every error by (column, code) and ``warning_counts`` every
    warning by (column, kind).
    ``failed_records`` counts records with at least one error of their own;
    ``error_count`` is the endpoint's: every record it answers with an error, which
    is every record when the batch is rejected (``success_count + error_count ==
    records`` always).
    """

    records: int = 0
    errors: list[RecordError] = field(default_factory=list)
    warnings: list[ValueWarning] = field(default_factory=list)
    error_counts: dict[tuple[str | None, str], int] = field(default_factory=dict)
    warning_counts: dict[tuple[str | None, str], int] = field(default_factory=dict)
    failed_records: int = 0
    rejected: list[RejectedRecord] = field(default_factory=list)
    accepted: bool = True
    reject_reason: str | None = None
    on_error: str = "endpoint"
    strict: bool = False
    #: record index -> the error its endpoint answer quotes (:func:`answered_error`, in a list of
    #: one), for the first KEEP failed records
    failed_index: dict[int, list[RecordError]] = field(default_factory=dict)
    #: the index of every failed record, ascending, and per record whether only missing
    #: values failed it (1) or an error of its own (0); kept when the run needs them (a
    #: batch to build, an endpoint answer to give), else empty: memory stays bounded
    failed: Int64Array = field(default_factory=lambda: array("q"))
    failed_only_missing: bytearray = field(default_factory=bytearray)
    #: notes about the input as a whole (e.g. where a document's records seem to be)
    notes: list[str] = field(default_factory=list)
    #: the records path as written (``records``, ``data."a.b"``) when documents held null there (a
    #: request body's ``{"records": null}``: no records, as ``[]``, which a note says); None when none
    #: did. Set whatever the notes keep, and what the words of no records read (``null at `records```)
    null_records_at: str | None = None
    #: warnings left out on request, counted by kind (``--ignore-warning``, :meth:`silence`)
    silenced_warnings: dict[str, int] = field(default_factory=dict)
    #: why the input failed whole, when it was read as one document (a JSON array, a request
    #: body, a ``records_path`` document) that does not parse or holds no records: its one
    #: refused record is that document, which the verdict says; None otherwise
    document_failure: DocumentFailure | None = None
    #: which input this report is of, made when first asked for (:func:`input_token`): when a
    #: batch of it (or a slice) is written to a file, which says it, or pickled, which keeps it;
    #: reports read back or unpickled with the same token are of one input, as one report's
    #: slices are (:func:`mapper.concat`). None until then; not compared.
    input_token: str | None = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its :attr:`input_token`: slices of one batch sent to other processes one
        by one (a pool's arguments) are still of one input there (unpickled, each has a report of
        its own)."""
        input_token(self)
        return self.__dict__

    @property
    def document_error(self) -> str | None:
        """:attr:`document_failure` as its error says it (the reason without the reader's hint), or None."""
        return self.document_failure.reason if self.document_failure is not None else None

    def silence(self, kinds: Iterable[str]) -> None:
        """Leave warnings of these kinds out of the report (``--ignore-warning``; ``"all"`` for every kind): they are
        only counted, by kind, in :attr:`silenced_warnings`. Errors are never silenced
        (under ``strict`` a lossy value is an error, ``lossy_value``)."""
        kinds = warning_kinds(kinds, "silence")
        if not kinds:
            return
        for key in [k for k in self.warning_counts if k[1] in kinds]:
            n = self.warning_counts.pop(key)
            self.silenced_warnings[key[1]] = self.silenced_warnings.get(key[1], 0) + n
        self.warnings = [w for w in self.warnings if w.kind not in kinds]

    def failed_indices(self) -> np.ndarray:
        """The failed records' indices as an int64 array (ascending)."""
        return np.frombuffer(self.failed, dtype=np.int64) if len(self.failed) else np.zeros(0, dtype=np.int64)

    @property
    def error_count(self) -> int:
        """Records the endpoint would answer with an error (all of them when the batch is rejected)."""
        return self.records - self.success_count

    @property
    def success_count(self) -> int:
        """Records the endpoint would store (zero when the batch is rejected)."""
        return self.records - self.failed_records if self.accepted else 0

    @property
    def total_errors(self) -> int:
        return sum(self.error_counts.values())

    @property
    def total_warnings(self) -> int:
        return sum(self.warning_counts.values())

    @property
    def verdict(self) -> Literal["accepted", "partial", "refused", "discarded"]:
        """What the endpoint would do with the batch.

        ``accepted``: every record stored; ``partial``: some stored, the others refused
        one by one; ``refused``: every record refused, each for its own errors;
        ``discarded``: the batch policy discards the whole batch (nothing stored).
        """
        if not self.accepted:
            return "discarded"
        if not self.failed_records:
            return "accepted"
        return "partial" if self.success_count else "refused"

    def error_kinds(self) -> str:
        """Every kind of error with its count, most first: ``invalid_value 2, invalid_json 1``."""
        by_code: dict[str, int] = {}
        for (_column, code), n in self.error_counts.items():
            by_code[code] = by_code.get(code, 0) + n
        return ", ".join(f"{code} {n:,}" for code, n in sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0])))

    def _why(self) -> str:
        """`` (invalid_value 2)``: the kinds of error, for :meth:`summary`; none where the errors are
        not known (the report of a batch read back from a file counts its refused records only)."""
        kinds = self.error_kinds()
        return f" ({kinds})" if kinds else ""

    def summary(self) -> str:
        """One line: how many records would be stored, how many refused, and why, in every kind."""
        n = self.records
        if self.verdict == "accepted":
            head = "accepted: no records" if not n else "accepted: 1 record, it would be stored" if n == 1 else f"accepted: {n:,} records, all would be stored"
        elif self.verdict == "partial":
            head = f"partial: {self.success_count:,} of {plural(n, 'record')} would be stored, {self.failed_records:,} refused{self._why()}"
        elif self.verdict in ("refused", "discarded") and n == 1 and self.failed_records == 1 and self.document_failure is not None:
            # (whatever the policy: the input was never records; the verdict code stays the policy's)
            head = f"{self.verdict}: {self.document_failure.verdict(self.error_kinds())}"
        elif self.verdict == "refused":
            head = f"refused: {'the only record' if n == 1 else 'both records' if n == 2 else 'all ' + plural(n, 'record')} would be refused{self._why()}"
        else:
            head = "discarded: 1 record, it would not be stored" if n == 1 else f"discarded: none of {n:,} records would be stored"
            failed = plural(self.failed_records, "record") + " failed"
            if self.failed_records and self.reject_reason and self.reject_reason.startswith(failed + ","):
                # (max_errors: the reason counts the failed records already; their kinds go with that count)
                head += f": {failed}{self._why()}{self.reject_reason[len(failed) :]}"
            else:
                if self.reject_reason:
                    head += f": {self.reject_reason}"
                if self.failed_records:
                    head += f"; {failed}{self._why()}"
        if self.warning_counts:
            head += f"; {plural(self.total_warnings, 'warning')}"
        return head

    def to_dict(self) -> dict[str, Any]:
        """The ``--report json`` object."""
        return {
            "verdict": self.verdict,
            "accepted": self.accepted,
            "policy": self.on_error,
            # why the batch policy discards the batch (verdict discarded: the text report's words); else null
            "reject_reason": None if self.accepted else self.reject_reason or "a record failed",
            "records": self.records,
            "success_count": self.success_count,
            "error_count": self.error_count,
            "failed_records": self.failed_records,
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
            # in one order however the batch was mapped (chunks, workers)
            "error_counts": [{"column": c, "code": k, "count": n} for (c, k), n in sorted(self.error_counts.items(), key=_count_key)],
            "warning_counts": [{"column": c, "kind": k, "count": n} for (c, k), n in sorted(self.warning_counts.items(), key=_count_key)],
            "truncated": self.total_errors > len(self.errors) or self.total_warnings > len(self.warnings),
            "notes": list(self.notes),
            "silenced_warnings": dict(sorted(self.silenced_warnings.items())),
            # why the input, read as one document (an array, a body, a records_path document), failed whole; else null
            "document_error": self.document_error,
            # the records path, as written, where documents held null (read as []; a note says so); else null
            "null_records_at": self.null_records_at,
        }

    def endpoint_answer(self) -> dict[str, Any]:
        """The endpoint's own answer, record by record (needs the failed indices: see ``failed``).

        A refused record's ``error_code`` is ``InvalidBody`` (an error of its own) or
        ``MissingField`` (only a missing mapped value, under ``allow_missing_fields:
        false``); when the batch is discarded, the records without errors of their own
        are answered ``BatchDiscarded``. ``error_message`` starts with the endpoint's own
        words and goes on with the error that gave the code (:func:`answered_error`; for the
        first 1,000 failed records, the rest get the endpoint's words alone).
        """
        records = list(self._endpoint_records(*self._endpoint_shared()))
        return {"success_count": self.success_count, "error_count": self.error_count, "records": records}

    def write_endpoint_answer(self, out: TextIO) -> None:
        """:meth:`endpoint_answer` as ``validate --report endpoint`` prints it, one line of JSON
        (``json.dumps(..., ensure_ascii=False)``, :func:`~mapper.errors.escaped_json`), the same
        text, written as it goes: the whole answer's list, its text and the escaped copy were held
        at once (about 600 MB for 10 million records)."""
        shared = self._endpoint_shared()
        texts = {id(answer): escaped_json(json.dumps(answer, ensure_ascii=False)) for answer in shared}  # (one text each, as they repeat)
        out.write(f'{{"success_count": {json.dumps(self.success_count)}, "error_count": {json.dumps(self.error_count)}, "records": [')
        part: list[str] = []
        after = ""  # (what goes before the next part: the list's separator, once a part was written)
        for answer in self._endpoint_records(*shared):
            text = texts.get(id(answer))
            part.append(escaped_json(json.dumps(answer, ensure_ascii=False)) if text is None else text)
            if len(part) == 8192:
                out.write(after + ", ".join(part))
                part, after = [], ", "
        if part:
            out.write(after + ", ".join(part))
        out.write("]}\n")

    def _endpoint_shared(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The answers :meth:`endpoint_answer` gives many records, one object each: a record stored, a record discarded."""
        reason = "the batch was discarded: " + (self.reject_reason or "another record failed")
        return {"status": "success"}, {"status": "error", "error_code": BATCH_DISCARDED, "error_message": reason}

    def _endpoint_records(self, success: dict[str, Any], discarded: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Each record's answer, in order (``success`` or ``discarded`` itself where it is that)."""
        failed, only_missing = self.failed, self.failed_only_missing
        k = 0
        for i in range(self.records):
            if k < len(failed) and failed[k] == i:
                code = MISSING_FIELD if only_missing[k] else INVALID_BODY
                errs = self.failed_index.get(i)
                message = f"{ENDPOINT_MESSAGE}: {answered_error(errs).message}" if errs else ENDPOINT_MESSAGE
                yield {"status": "error", "error_code": code, "error_message": message}
                k += 1
            else:
                yield success if self.accepted else discarded

    def errors_by_column(self) -> list[tuple[str | None, str, int, list[RecordError]]]:
        """(column, code, count, first examples) groups, largest first: the human report."""
        return _grouped(self.errors, [(e.column, e.code) for e in self.errors], self.error_counts)

    def warnings_by_column(self) -> list[tuple[str | None, str, int, list[ValueWarning]]]:
        """(column, kind, count, first examples) groups, largest first."""
        return _grouped(self.warnings, [(w.column, w.kind) for w in self.warnings], self.warning_counts)


def answered_error(errors: list[RecordError]) -> RecordError:
    """The error a refused record's answer quotes (of its errors, not empty): the one that gave its
    ``error_code``. A record with an error of its own (``InvalidBody``: a bad value, a missing key)
    is answered with its first such error, not with a missing value it also has, which alone would
    have been ``MissingField`` (a record lacking its key and a latitude was answered ``InvalidBody``
    with "Missing value ... at `$.data.lat`", never naming the key); one refused for missing values
    only, with the first of them."""
    return next((e for e in errors if e.code != "missing"), errors[0])


def _count_key(item: tuple[tuple[str | None, str], int]) -> tuple[str, str]:
    (column, code), _n = item
    return (column or "", code)


def _grouped(items: list[T], keys: list[tuple[str | None, str]], counts: dict[tuple[str | None, str], int]) -> list[tuple[str | None, str, int, list[T]]]:
    # counts cover every record; items only the ones kept as examples
    examples: dict[tuple[str | None, str], list[T]] = {}
    for key, item in zip(keys, items):
        examples.setdefault(key, []).append(item)
    groups = [(c, k, n, examples.get((c, k), [])) for (c, k), n in counts.items()]
    groups.sort(key=lambda g: (-g[2], g[0] or "", g[1]))  # largest first, then one order whatever the mapping order
    return groups


_NONE = object()


def warning_kinds(kinds: Iterable[str], where: str) -> frozenset[str]:
    """The warning kinds named, checked: an unknown one (a typo) would silence nothing. ``"all"``
    names every kind, as ``--ignore-warning all`` does."""
    if kinds.__class__ is frozenset and not kinds:  # (every run's default: none)
        return kinds  # type: ignore[return-value]
    if isinstance(kinds, str):  # one kind, not its letters
        kinds = (kinds,)
    if not isinstance(kinds, Iterable):
        raise OptionError(f"{where}: takes warning kinds (a str, or a list of them), not {kinds!r}")
    kinds = list(kinds)
    odd = next((k for k in kinds if not isinstance(k, str)), _NONE)
    if odd is not _NONE:  # (a list was unhashable, an int among strs unsortable: TypeErrors from inside)
        raise OptionError(f"{where}: a warning kind is a str, not {odd!r}; the kinds are {', '.join(LOSSY_KINDS)}, or all")
    out = frozenset(kinds)
    unknown = sorted(out - LOSSY_KINDS.keys() - {"all"})
    if unknown:
        kind = unknown[0]
        raise OptionError(f"{where}: unknown warning kind {kind!r}{suggest(kind, list(LOSSY_KINDS))}; the kinds are {', '.join(LOSSY_KINDS)}, or all")
    return frozenset(LOSSY_KINDS) if "all" in out else out


def ignored_kinds(kinds: Any) -> frozenset[str]:
    """The ``ignore_warnings`` option of ``map``, ``validate``, ``iter_batches`` and ``check``:
    any iterable of warning kinds (a set, list or tuple of str; ``"all"`` among them for every
    kind), checked as :func:`warning_kinds` checks them. A bare str (or bytes) is refused: it
    iterates as its letters, and ``--ignore-warning``'s ``"a,b"`` is two kinds where a str
    would be taken as one."""
    if isinstance(kinds, (str, bytes, bytearray)):
        text = kinds.decode("utf-8", "replace") if isinstance(kinds, (bytes, bytearray)) else kinds
        named = [k.strip() for k in text.split(",") if k.strip()] or [text]
        raise OptionError(
            f"ignore_warnings takes a set (or list, or any iterable) of warning kinds, not a {type(kinds).__name__}: "
            f"ignore_warnings={{{', '.join(map(repr, named))}}}"
        )
    if kinds is None or not isinstance(kinds, Iterable):
        raise OptionError(
            f"ignore_warnings takes a set (or list, or any iterable) of warning kinds, not {kinds!r}; the kinds are {', '.join(LOSSY_KINDS)}, or all"
        )
    return warning_kinds(kinds, "ignore_warnings")


class ReportBuilder:
    """Collects errors and warnings while a batch is mapped, closing them record by record."""

    def __init__(
        self,
        *,
        on_error: str = "endpoint",
        strict: bool = False,
        keep_rejected: bool = True,
        on_reject: Any = None,
        keep_failed: bool = True,
        ignore_warnings: frozenset[str] = frozenset(),
    ):
        self.report = Report(on_error=on_error, strict=strict)
        self.keep_rejected = keep_rejected
        self.keep_failed = keep_failed
        self.on_reject = on_reject
        self.bad: dict[int, list[RecordError]] = {}  # record index -> errors, for records of the current chunk
        self.source: str | None = None  # the input file, when there are several
        #: the input file's name, one or one of several, for the commands hints give (None: not known, a text, standard input)
        self.input_name: str | None = None
        self.pending_warnings: list[ValueWarning] = []  # warnings of the current chunk (some lazy)
        self.kept_bytes = 0  # the weight of the warnings kept in full (see KEEP_BYTES)
        self.pending_bytes = 0  # ... and of the pending ones
        self.cutoff: int | None = None  # no further warning of this record or a later one can be kept (see _pend)
        #: warning kinds left out of the report, only counted (see :meth:`Report.silence`)
        self.ignore_warnings = warning_kinds(ignore_warnings, "ignore_warnings")

    def _silenced(self, kind: str, n: int = 1) -> bool:
        if kind not in self.ignore_warnings:
            return False
        silenced = self.report.silenced_warnings
        silenced[kind] = silenced.get(kind, 0) + n
        return True

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
        self.add_error(RecordError(record, line, column, path, code, reason, self.source, pointer, shown=shown))

    def errors_at(
        self, records: list[int], lines: list[int | None], column: str | None, path: str | None, code: str, reason: str, pointer: str | None = None
    ) -> None:
        """:meth:`error` at each of ``records`` (each once; ``lines``: theirs), in one loop: the
        fast path's one error of one column at many records (its missing values)."""
        if not records:
            return
        rep = self.report
        key = (column, code)
        rep.error_counts[key] = rep.error_counts.get(key, 0) + len(records)
        bad, source, slots, error = self.bad, self.source, _ErrorSlots, RecordError
        for record, line in zip(records, lines):
            err: Any = slots()
            err.record = record
            err.line = line
            err.column = column
            err.path = path
            err.code = code
            err.reason = reason
            err.file = source
            err.pointer = pointer
            err.shown = None
            err.__class__ = error
            errs = bad.get(record)
            if errs is None:
                bad[record] = [err]
            else:
                errs.append(err)

    def add_error(self, err: RecordError) -> None:
        rep = self.report
        key = (err.column, err.code)
        rep.error_counts[key] = rep.error_counts.get(key, 0) + 1
        self.bad.setdefault(err.record, []).append(err)

    def warning(
        self, record: int, line: int | None, column: str | None, path: str | None, kind: str, sent: Any, stored: Any, hint: str = "", pointer: str | None = None
    ) -> None:
        self.add_warning(ValueWarning(record, line, column, path, kind, sent, stored, hint, pointer))

    def warning_lazy(
        self, record: int, line: int | None, column: str | None, path: str | None, kind: str, convert: Any, value: Any, pointer: str | None = None
    ) -> None:
        """A warning worded by ``convert(value, notes)`` when it is read (see :meth:`ValueWarning.lazy`)."""
        if self.ignore_warnings and self._silenced(kind):
            return
        rep = self.report
        key = (column, kind)
        rep.warning_counts[key] = rep.warning_counts.get(key, 0) + 1
        if not self.warnings_full:
            self._pend(ValueWarning.lazy(record, line, column, path, kind, convert, value, pointer, self.source))

    def warnings_lazy_at(
        self,
        records: list[int],
        lines: list[int | None],
        column: str | None,
        path: str | None,
        kind: str,
        convert: Any,
        values: list[Any],
        pointer: str | None = None,
    ) -> None:
        """:meth:`warning_lazy` of each of ``values`` at ``records`` (ascending; ``lines``: theirs),
        in one loop: the fast path's warnings of one column (a column of 5,000 numbers sent as
        strings cost 1.6 us a record in calls, one per value, of warning_lazy and _pend).

        The same report as one call a value: counted once, silenced alike, and held as
        :meth:`_pend` holds them (the cutoff, then the cut at twice KEEP or KEEP_BYTES, which
        may move the cutoff, as often as one call a value would make it)."""
        n = len(records)
        if not n:
            return
        if self.ignore_warnings and self._silenced(kind, n):
            return
        rep = self.report
        key = (column, kind)
        rep.warning_counts[key] = rep.warning_counts.get(key, 0) + n
        if self.warnings_full:
            return
        # (_pend's test, with what its loop does not change read once: KEEP and KEEP_BYTES as
        # module globals, so that a test that makes them small makes them small here too)
        most = 2 * KEEP - len(rep.warnings)
        heaviest = 2 * KEEP_BYTES - self.kept_bytes
        source, cutoff, weight = self.source, self.cutoff, self.pending_bytes
        pending = self.pending_warnings
        new, cls, unresolved, containers = object.__new__, ValueWarning, _UNRESOLVED, _CONTAINERS
        for record, line, value in zip(records, lines, values):
            if cutoff is not None and record >= cutoff:
                continue
            # ValueWarning.lazy's warning, its slots set here (a call of __init__ a warning cost more than the rest)
            w = new(cls)
            w.record = record
            w.line = line
            w.column = column
            w.path = path
            w.kind = kind
            w.pointer = pointer
            w.file = source
            w.written = None
            w._sent = unresolved
            w._stored = None
            w._hint = ""
            w._lazy = (convert, value)
            pending.append(w)
            # warning_weight(w): value_weight of a scalar is 64, of a text 64 plus its length
            c = value.__class__
            if c is str or c is bytes:
                weight += len(value) + 128
            elif c in containers:
                weight += value_weight(value) + 64
            else:
                weight += 128
            if weight < heaviest and len(pending) < most:
                continue
            self.pending_bytes = weight
            self._cut()
            pending, cutoff, weight = self.pending_warnings, self.cutoff, self.pending_bytes
        self.pending_bytes = weight

    def add_warning(self, w: ValueWarning) -> None:
        if self.ignore_warnings and self._silenced(w.kind):
            return
        if w.file is None:
            w.file = self.source
        rep = self.report
        key = (w.column, w.kind)
        rep.warning_counts[key] = rep.warning_counts.get(key, 0) + 1
        if not self.warnings_full:
            # Kept for the whole chunk, then sorted and cut at KEEP (and KEEP_BYTES): "the
            # first KEEP warnings" are then the same however the input was chunked or split.
            self._pend(w)

    def _pend(self, w: ValueWarning) -> None:
        """Hold a warning of the current chunk; past twice what is kept, cut the chunk's down to what may still be kept.

        The fast path adds a chunk's warnings column by column, so they are sorted only
        when the chunk closes; a chunk of many records with big values (2,048 Python
        records, each warning holding 760 KB) would hold them all until then. Sorted
        here instead: the warnings up to the record where KEEP or KEEP_BYTES is reached
        stay (later ones for the records before it may still come, and sort before), the
        ones from the first not kept on go, and so does any that comes later for its record
        or a record after it.
        """
        if self.cutoff is not None and w.record >= self.cutoff:
            return
        self.pending_warnings.append(w)
        self.pending_bytes += warning_weight(w)
        if self.kept_bytes + self.pending_bytes < 2 * KEEP_BYTES and len(self.report.warnings) + len(self.pending_warnings) < 2 * KEEP:
            return
        self._cut()

    def _cut(self) -> None:
        """:meth:`_pend`'s cut: the pending warnings sorted, down to what may still be kept, and the cutoff set."""
        pending = sorted(self.pending_warnings, key=_record_of)
        probe: list[ValueWarning] = list(self.report.warnings)
        weight = keep_warnings(probe, pending, self.kept_bytes)
        taken = len(probe) - len(self.report.warnings)
        if taken < len(pending):
            # pending[taken] is the first that would not be kept, and neither would anything
            # sorted after it: the rest of its record's (a later one of that record comes
            # after them too) and every later record's. Dropped here, not only the later
            # records': one record of 8,000 warned columns kept them all pending, and each
            # warning past 2 * KEEP sorted and weighed them again (18 s, quadratic).
            self.cutoff = pending[taken].record
            pending = pending[:taken]
        self.pending_warnings = pending
        self.pending_bytes = weight - self.kept_bytes

    def count_warnings(self, column: str | None, kind: str, n: int) -> None:
        """Warnings past the ones kept in full: only counted."""
        if self.ignore_warnings and self._silenced(kind, n):
            return
        key = (column, kind)
        counts = self.report.warning_counts
        counts[key] = counts.get(key, 0) + n

    @property
    def warnings_full(self) -> bool:
        return len(self.report.warnings) >= KEEP or self.kept_bytes >= KEEP_BYTES

    def close_records(self, raw_of: Callable[[int], bytes | None] | None = None) -> set[int]:
        """Finish the records seen so far (a chunk): keep their errors and warnings in record
        order, count failures, hand rejected records out. Returns the failed indices."""
        rep = self.report
        if self.pending_warnings:
            self.pending_warnings.sort(key=lambda w: w.record)  # stable: column order within a record
            self.kept_bytes = keep_warnings(rep.warnings, self.pending_warnings, self.kept_bytes)
            self.pending_warnings = []
            self.pending_bytes, self.cutoff = 0, None
        if not self.bad:
            return set()
        failed = set(self.bad)
        for rec in sorted(self.bad):
            errs = self.bad[rec]
            if len(rep.errors) < KEEP:
                rep.errors.extend(errs[: KEEP - len(rep.errors)])
            rep.failed_records += 1
            if self.keep_failed:
                rep.failed.append(rec)
                rep.failed_only_missing.append(all(e.code == "missing" for e in errs))
            if len(rep.failed_index) < KEEP:  # (the one error its answer quotes: a record of a wide sink may have thousands)
                rep.failed_index[rec] = [answered_error(errs)]
            raw = raw_of(rec) if raw_of is not None else None
            rejected = RejectedRecord(rec, errs[0].line, errs, raw)
            if self.on_reject is not None:
                self.on_reject(rejected)
            if self.keep_rejected:
                rep.rejected.append(rejected)
        self.bad = {}
        return failed


def value_weight(value: Any, limit: int = KEEP_BYTES) -> int:
    """About how many bytes a JSON value holds: 64 a value, plus each string's length (counted up to about ``limit``)."""
    total, stack = 0, [value]
    while stack and total <= limit:
        v = stack.pop()
        total += 64
        c = v.__class__
        if c is str or c is bytes:
            total += len(v)
        elif c is list or c is tuple:
            stack.extend(v)
        elif c is dict:
            stack.extend(v)
            stack.extend(v.values())
    return total


def _record_of(w: ValueWarning) -> int:
    return w.record


def warning_weight(w: ValueWarning) -> int:
    """About how many bytes a warning holds: what was sent, and what is stored when that is an
    array or an object (a scalar or a text stored counts 64).

    A lazy warning is weighed unworded, the same as once worded: it is a vector form's,
    which stores a scalar (wording each kept one cost 5 us, 0.7 ms of a 1,000-record batch).
    """
    lazy = w._lazy  # (read once: another thread may word it meanwhile)
    if lazy is not None:
        return value_weight(lazy[1]) + 64
    stored = w._stored
    return value_weight(w._sent) + (value_weight(stored) if stored.__class__ in _CONTAINERS else 64)


_CONTAINERS = frozenset({list, tuple, dict})


def keep_warnings(kept: list[ValueWarning], items: Iterable[ValueWarning], kept_bytes: int) -> int:
    """Append ``items`` to ``kept``, in order, while it holds fewer than :data:`KEEP` warnings
    weighing under :data:`KEEP_BYTES` (:func:`warning_weight`); returns the weight then kept.

    One rule for a run's chunks and for the parts of ``workers=N``: a prefix of the
    warnings in record order, whatever the chunking.
    """
    for w in items:
        if len(kept) >= KEEP or kept_bytes >= KEEP_BYTES:
            break
        kept.append(w)
        kept_bytes += warning_weight(w)
    return kept_bytes


def join_reports(reports: list[Report], record_bases: list[int], line_bases: list[int], on_error: str, strict: bool) -> Report:
    """One report of parts' reports, in order, each part's record indices and lines moved by its
    base (the records and lines before it): what one run of the parts' records one after the
    other reports, the batch policy not applied (``accepted`` as made: the caller decides).

    Each part kept the first :data:`KEEP` errors and warnings in full and every count; joined
    in order, cut at ``KEEP`` (and ``KEEP_BYTES``) again, they are what one run keeps. The one
    join of reports: the ``workers=N`` processes' parts, and :func:`mapper.concat`'s batches. The
    document failure is the first report's that has one, as it is: a whole input's, of joined batches
    (the parts of one input cut at line ends have none: see merge_reports in mapper.engine.parallel).
    """
    out = Report(on_error=on_error, strict=strict)
    kept_bytes = 0
    for rep, record_base, line_base in zip(reports, record_bases, line_bases):
        if len(out.errors) < KEEP:
            out.errors.extend(moved(e, record_base, line_base) for e in rep.errors[: KEEP - len(out.errors)])
        kept_bytes = keep_warnings(out.warnings, (moved_warning(w, record_base, line_base) for w in rep.warnings), kept_bytes)
        for key, n in rep.error_counts.items():
            out.error_counts[key] = out.error_counts.get(key, 0) + n
        for key, n in rep.warning_counts.items():
            out.warning_counts[key] = out.warning_counts.get(key, 0) + n
        for kind, n in rep.silenced_warnings.items():
            out.silenced_warnings[kind] = out.silenced_warnings.get(kind, 0) + n
        out.failed_records += rep.failed_records
        for record, errs in rep.failed_index.items():
            if len(out.failed_index) < KEEP:
                out.failed_index[record + record_base] = [moved(e, record_base, line_base) for e in errs]
        out.failed.extend(i + record_base for i in rep.failed)
        out.failed_only_missing.extend(rep.failed_only_missing)
        out.rejected.extend(moved_rejected(r, record_base, line_base) for r in rep.rejected)
        out.notes.extend(n for n in rep.notes if n not in out.notes)
        if out.null_records_at is None:
            out.null_records_at = rep.null_records_at
        if out.document_failure is None:
            out.document_failure = rep.document_failure
        out.records += rep.records
    return out


def moved(item: Any, record_base: int, line_base: int) -> Any:
    """A part's error (or refused record), numbered as in the whole input."""
    return replace(item, record=item.record + record_base, line=None if item.line is None else item.line + line_base)


def moved_rejected(r: RejectedRecord, record_base: int, line_base: int) -> RejectedRecord:
    """A part's refused record and its errors, numbered as in the whole input."""
    return replace(moved(r, record_base, line_base), errors=[moved(e, record_base, line_base) for e in r.errors])


def moved_warning(w: ValueWarning, record_base: int, line_base: int) -> ValueWarning:
    """A part's warning, numbered as in the whole input."""
    line = None if w.line is None else w.line + line_base
    return ValueWarning(w.record + record_base, line, w.column, w.path, w.kind, w.sent, w.stored, w.hint, w.pointer, w.file, w.written)


class BatchRejected(MapperError):
    """The batch would be discarded by the endpoint; ``report`` says why, record by record."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__(report.summary())


# ---------------------------------------------------------------------------------------
# The batch policy


def decide(report: Report, allow_missing: bool, on_error: str, limit: int | float | None) -> None:
    """Apply the batch policy to a finished report: is the batch accepted, and if not, why.

    ``endpoint``: a record missing a mapped value under ``allow_missing_fields: false``
    discards the batch; any other failure refuses that record alone. ``reject``: any
    failure discards the batch. ``skip``: failures are refused alone, and more than
    ``limit`` of them (an int: a count; a float: a share of the records, 0.0 to 1.0)
    discard the batch.
    """
    if not report.failed_records:
        return
    missing = 0 if allow_missing else sum(n for (_c, code), n in report.error_counts.items() if code == "missing")
    if missing and on_error in ("endpoint", "reject"):
        report.accepted = False
        report.reject_reason = f"allow_missing_fields is false and {plural(missing, 'mapped value is', 'mapped values are')} missing"
    elif on_error == "reject":
        report.accepted = False
        report.reject_reason = "a record failed and on_error is reject"
    elif on_error == "skip" and limit is not None:
        ratio = isinstance(limit, float)
        # a share times the records is a float (0.29 * 100 is 28.999999999999996, which 29
        # failed records must not exceed): the whole records it allows, its error absorbed
        allowed = math.floor(limit * report.records + 1e-6) if ratio else limit
        if report.failed_records > allowed:
            report.accepted = False
            # said once: how many failed, and how many max_errors allows (a share: also as given)
            what = f"{allowed:,}: {limit * 100:g}% of {plural(report.records, 'record')}" if ratio else f"{int(limit):,}"
            report.reject_reason = f"{plural(report.failed_records, 'record')} failed, more than max_errors allows ({what})"
