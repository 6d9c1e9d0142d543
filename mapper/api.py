"""The Python API: :func:`compile_sink` and the :class:`Mapper` it returns.

A thin layer over the stages: the sink is loaded (:mod:`mapper.sink`), compiled once
(:mod:`mapper.compiler`), and each call checks its options once
(:class:`~mapper.options.MapOptions`) and runs the engine (:mod:`mapper.engine`).
"""

from __future__ import annotations

import array
import io
import lzma
import os
import zlib
from operator import is_
from sys import getrecursionlimit
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Protocol, Sequence, Union

from .batch import Batch
from .compiler import CompiledSink, compile_definition
from .engine.check import RecordProblem, thread_checker
from .engine.reader import (
    FORMAT_BYTES,
    HEAD_BYTES,
    MAGIC_SIZE,
    explain_failures,
    format_head,
    format_of,
    head_in,
    open_input,
    path_named,
    read_head,
    unexplained,
    unpacker,
)
from .engine.runner import iter_batches, run
from .errors import InputError, OptionError, no_set_reason, released_reason
from .model import Column, Sink
from .options import MAX_RECORD_SIZE, NO_WARNINGS, MapOptions, check_max_record_size, whole_number
from .paths import records_path_keys
from .report import BatchRejected, Report, ValueWarning, ignored_kinds
from .sink import SinkSource, load_sink
from .stack import ROOMY, UNCAPPED, on_roomy_stack

__all__ = ["Mapper", "compile_sink"]


class BinaryReader(Protocol):
    """A binary stream records are read from (an ``open(..., "rb")`` file, ``sys.stdin.buffer``, a
    ``gzip.GzipFile``, a socket's ``makefile("rb")``, an HTTP response): anything whose ``read(n)``
    gives bytes (a text stream, whose ``read`` gives str, is an :class:`~mapper.errors.InputError`)."""

    def read(self, size: int, /) -> bytes | bytearray | memoryview | None: ...


#: One record, as :meth:`Mapper.check` and :meth:`mapper.Batcher.add` take it: a mapping (a dict,
#: any :class:`collections.abc.Mapping`) or its JSON text (``str``, or bytes-like).
Record = Union[Mapping[str, Any], str, bytes, bytearray, memoryview]

if TYPE_CHECKING:
    from array import array as ByteArray

    #: The records :meth:`Mapper.map`, :meth:`Mapper.validate` and :meth:`Mapper.iter_batches`
    #: read (see :meth:`Mapper.map`): NDJSON or JSON text (``str``, bytes-like, an ``array('B')``;
    #: a one-dimensional numpy ``uint8`` array is an iterable), a file (a path as ``str`` or
    #: ``os.PathLike``, or a binary stream), one record (a mapping), or an iterable of records.
    Records = Union[str, bytes, bytearray, memoryview, "ByteArray[int]", os.PathLike[Any], BinaryReader, Mapping[str, Any], Iterable[Record]]
else:  # (array[int] is no run-time type before Python 3.12: typing.get_type_hints of map would fail)
    Records = Any


class Mapper:
    """A compiled sink: call :meth:`map` for a :class:`~mapper.batch.Batch` or :meth:`validate` for a :class:`~mapper.report.Report`.

    Build it with :func:`compile_sink`.
    """

    def __init__(self, sink: Sink):
        if not isinstance(sink, Sink):  # (an AttributeError from the compiler)
            raise OptionError(
                f"Mapper takes a loaded Sink, not {type(sink).__name__}: mapper.compile_sink(...) takes a definition "
                "(its file, text or dict) and gives its Mapper"
            )
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
    def walk(self) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        """The generated careful-path walk: a decoded record (a dict, or another Mapping) -> each
        column's raw value (:data:`MISSING` where its path finds nothing). Anything else (a
        record's JSON text, None, a list) is an :class:`~mapper.errors.OptionError`: ``check``
        takes any record and says what is wrong with it."""
        return self.compiled.walk

    def __repr__(self) -> str:
        return f"<Mapper {self.sink.summary()}>"

    def __reduce__(self) -> Any:
        """Pickled as its sink, compiled again where it is unpickled (a ``multiprocessing`` worker's
        argument, say): the generated code is no pickle's."""
        return (Mapper, (self.sink,))

    def map(
        self,
        records: Records,
        *,
        on_error: str = "endpoint",
        max_errors: int | float | None = None,
        strict: bool = False,
        input_format: str = "auto",
        workers: int = 1,
        fast: bool = True,
        max_record_size: int = MAX_RECORD_SIZE,
        records_path: str | Sequence[str] | None = None,
        ignore_warnings: Iterable[str] = NO_WARNINGS,
    ) -> Batch:
        """Map a batch into a :class:`~mapper.batch.Batch`; raise :class:`~mapper.errors.BatchRejected` if the endpoint would discard it.

        ``records``: NDJSON (bytes or str), a JSON array, the endpoint's request body
        ``{"records": [{"value": {...}}]}``, a file (a ``pathlib.Path``, a str naming one:
        see :func:`~mapper.errors.names_a_file`), a binary file object, or an iterable of
        records: dicts (any mapping), or each record's JSON text (a ``str`` or ``bytes`` item,
        as :meth:`check` and :meth:`mapper.Batcher.add` take one; no item is a file name, and
        errors name the record, having no line).

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
        ``too_large``) and reading goes on at the next one (16 MiB by default). It applies
        to records read as text (bytes, str, files, streams, and ``str``/``bytes`` items) and,
        given another limit than the default, to records given as Python mappings, each measured
        by the JSON text a :class:`~mapper.Batcher` writes for it (orjson's, for builtin values),
        as the endpoint reads it. At the default a mapping is not measured: the default bounds
        the text a line holds while it is read, a mapping is held already, and writing each one's
        text costs a list of dicts about what mapping it does (docs/python-api.md, *Records' size*).
        A producer's :class:`~mapper.Batcher` limits what it sends with ``max_bytes``.
        ``records_path``: the records are the array at this path of each document
        (``"aircraft"`` for dump1090's ``{"now": ..., "aircraft": [...]}``, ``"data.items"``,
        or a list of keys): the input's one document, each line's document of NDJSON
        (read line by line), or each Python mapping (or JSON text) given; a document without that
        array is one error (code ``no_records``) naming where arrays of objects are; one
        holding ``null`` there gives no records, as ``[]`` (Go reads null into an array so),
        and ``report.notes`` says so once (``report.null_records_at``: the path, as written).
        ``ignore_warnings``: warning kinds left out of the report, only counted in
        ``report.silenced_warnings`` (as ``--ignore-warning`` and
        :meth:`~mapper.report.Report.silence` do): a set, list or any iterable of kinds
        (``{"empty_string"}``; ``"all"`` among them for every kind); a bare str, an unknown
        kind or a value that is no kind is an :class:`~mapper.errors.OptionError`. Errors
        (``lossy_value`` under ``strict``) are never left out.
        When records fail, ``report.notes`` says why where the input shows it, as ``mapper
        validate`` says it: one document holding the records, and, for NDJSON given as text,
        a file (read again for its first lines) or a binary stream (its first lines kept as
        they are read, as the command line keeps standard input's; not an iterator of
        records), text in UTF-16 or UTF-32 and lines that are each such a document or each an
        array of records.
        A bad option raises :class:`~mapper.errors.OptionError` before anything is read;
        records given as a ``set`` (which has no order) an :class:`~mapper.errors.InputError`.
        """
        _no_set(records, "map")
        options = _options(
            on_error=on_error,
            max_errors=max_errors,
            strict=strict,
            input_format=input_format,
            workers=workers,
            fast=fast,
            max_record_size=max_record_size,
            records_path=_keys(records_path),
            ignore_warnings=_ignored(ignore_warnings),
        )
        records = _bytes_given(records)
        if not (
            ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home)
        ):  # (a thread whose stack cannot hold the deepest record, or a limit to cap: on a new one's, see on_roomy_stack)
            return on_roomy_stack(_mapped, self.compiled, records, options)
        return _mapped(self.compiled, records, options)

    def validate(
        self,
        records: Records,
        *,
        on_error: str = "endpoint",
        max_errors: int | float | None = None,
        strict: bool = False,
        input_format: str = "auto",
        workers: int = 1,
        fast: bool = True,
        max_record_size: int = MAX_RECORD_SIZE,
        records_path: str | Sequence[str] | None = None,
        ignore_warnings: Iterable[str] = NO_WARNINGS,
    ) -> Report:
        """Validate a batch as the endpoint would and return the :class:`~mapper.report.Report`.

        Never raises for bad records (``report.accepted`` says whether the batch would
        be taken); the options are those of :meth:`map` (``ignore_warnings``, as
        ``mapper validate --ignore-warning``, and ``max_record_size``, for records read
        as text only, among them). Columns are not kept, so
        memory does not grow with the records stored; it grows with the records
        refused: ``report.rejected`` keeps each with its raw text (1,000,000 refused
        seed records, 336 MB: about 0.9 GB). For big inputs where many may fail, the
        command line's ``mapper validate --rejects FILE`` writes them as it goes (bounded
        memory), or :meth:`iter_batches` holds one batch's at a time.
        """
        _no_set(records, "validate")
        options = _options(
            on_error=on_error,
            max_errors=max_errors,
            strict=strict,
            input_format=input_format,
            workers=workers,
            fast=fast,
            max_record_size=max_record_size,
            records_path=_keys(records_path),
            ignore_warnings=_ignored(ignore_warnings),
        )
        records = _bytes_given(records)
        if not (ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home)):  # (as in map)
            return on_roomy_stack(_validated, self.compiled, records, options)
        return _validated(self.compiled, records, options)

    def iter_batches(
        self,
        source: Records,
        *,
        records: int = 100_000,
        on_error: str = "endpoint",
        max_errors: int | float | None = None,
        strict: bool = False,
        input_format: str = "auto",
        fast: bool = True,
        max_record_size: int = MAX_RECORD_SIZE,
        records_path: str | Sequence[str] | None = None,
        ignore_warnings: Iterable[str] = NO_WARNINGS,
    ) -> Iterator[Batch]:
        """Map a big input in batches of at most ``records`` records, in bounded memory.

        ``source``: anything :meth:`map` takes; a file (a path as ``str`` or
        ``os.PathLike``, or a binary file object) is read as the batches are asked for.
        Each batch is decided on its own, as the endpoint decides each request: one it
        would discard comes out with no rows and its ``report`` saying why, and the next
        goes on (nothing is raised). An input that fails (the caller's iterator raises,
        a stream cannot be read) ends with a batch of the records read before the failure,
        then its exception. Record indices in a batch and its report count
        from the batch's start; line numbers are the input's. The other options are
        those of :meth:`map` (``ignore_warnings`` and ``max_record_size`` too: each batch's
        report counts what it left out, and notes records given as Python objects, which
        ``max_record_size`` does not measure).
        """
        _no_set(source, "iter_batches")
        records = whole_number(records, "records", least=1, of="records per batch")
        options = _options(
            on_error=on_error,
            max_errors=max_errors,
            strict=strict,
            input_format=input_format,
            workers=1,
            fast=fast,
            max_record_size=max_record_size,
            records_path=_keys(records_path),
            ignore_warnings=_ignored(ignore_warnings),
        )
        source = _bytes_given(source)
        batches = iter_batches(self.compiled, source, options, records)
        # (the run keeps the input's first lines and says why records failed; bytes alone have a
        # note it cannot give: that they name a file, or are compressed)
        return _explained(batches, source, options) if isinstance(source, (bytes, bytearray, memoryview)) else batches

    def check(
        self, record: Record, *, strict: bool = False, ignore_warnings: Iterable[str] = NO_WARNINGS, max_record_size: int | None = None
    ) -> list[RecordProblem]:
        """The errors, then the warnings, of one record, as the endpoint would see it.

        ``record``: a mapping (any :class:`collections.abc.Mapping`), or its JSON text
        (bytes or str; a UTF-8 byte order mark opening it is taken off, as ``validate`` of the text takes
        it off). An empty list means the endpoint would store the record exactly
        as sent; a :class:`~mapper.report.RecordError` in it means the endpoint would
        refuse it (``severity`` tells the two kinds apart). ``strict`` and
        ``ignore_warnings`` (warnings of these kinds left out of the list; errors never
        are): as in :meth:`map`. Made for producers checking each message before it leaves: no
        Batch, no report, a few tens of microseconds for a record of a dozen fields.
        A mapping is judged whole, as the JSON text a producer sends for it (the text
        :class:`~mapper.batcher.Batcher` sends): one holding, even where nothing maps it, what
        has no JSON form (a NaN, a key that is not a str, a ``set``, a ``datetime``) is
        ``invalid_json``, and an integer beyond float64 ``out_of_range`` at its path, in the
        batcher's words (``map`` and ``validate`` of many dicts read only the mapped values).
        ``max_record_size``: when given, as in :meth:`validate`, a JSON text longer than this many
        bytes (UTF-8, the blanks around it not counted) is ``too_large``, refused before it is
        decoded; a mapping, by the JSON text a :class:`Batcher` writes for it (which check writes
        anyway), as ``validate`` given the limit measures it. By default a record is not measured:
        the endpoint limits request bodies, not records, and a text is checked as its mapping is
        (the :class:`Batcher` measures it against its bodies).
        Safe to call from several threads (each has its own checker). A ``set`` (of
        records, or of anything) is an :class:`~mapper.errors.InputError`: check takes one
        record, and several records are a list, which :meth:`validate` takes.
        """
        if not (ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home)):  # (as in map)
            return on_roomy_stack(lambda: self.check(record, strict=strict, ignore_warnings=ignore_warnings, max_record_size=max_record_size))
        if isinstance(record, (set, frozenset)):
            raise InputError(
                f"check takes one record (a mapping, or its JSON text), not a {type(record).__name__}: "
                "several records go to validate as a list (a set has no order, and holds equal records once)"
            )
        if strict is not True and strict is not False:  # (the checker, made once per thread, checked it only when made)
            raise OptionError(f"strict must be True or False, not {strict!r}")
        if max_record_size is not None:
            max_record_size = check_max_record_size(max_record_size)
        if ignore_warnings is NO_WARNINGS:
            return thread_checker(self.compiled, strict).check(record, max_record_size)
        kinds = ignored_kinds(ignore_warnings)
        problems = thread_checker(self.compiled, strict).check(record, max_record_size)
        return [p for p in problems if not (isinstance(p, ValueWarning) and p.kind in kinds)] if kinds else problems

    def explain(self) -> str:
        """The generated source, as compiled."""
        return self.compiled.source


#: The options of earlier calls, by their arguments and the arguments' types (``True``,
#: ``1`` and ``1.0`` are equal keys, and not the same option): checking a call's options
#: costs about 2 us, a twentieth of validating a few records. A float (a share of
#: ``max_errors``, numpy's float64 too) is no key: ``-0.0 == 0.0``, and the report says which it was.
_OPTIONS: dict[tuple[Any, ...], MapOptions] = {}


#: The arguments of a call that gives no option (the very objects of the defaults).
_DEFAULT_ARGS = ("endpoint", None, False, "auto", 1, True, MAX_RECORD_SIZE, None, NO_WARNINGS)


def _options(
    *,
    on_error: Any,
    max_errors: Any,
    strict: Any,
    input_format: Any,
    workers: Any,
    fast: Any,
    max_record_size: Any,
    records_path: Any,
    ignore_warnings: Any,
) -> MapOptions:
    """The :class:`MapOptions` of these (its fields, by name), made and checked once per distinct
    arguments (a call that gives no option found without a key: the defaults' own objects, a third
    of a key's cost). A value MapOptions refuses is refused each time (its OptionError names the
    option): only options made are kept."""
    args = (on_error, max_errors, strict, input_format, workers, fast, max_record_size, records_path, ignore_warnings)  # (MapOptions' field order)
    if all(map(is_, args, _DEFAULT_ARGS)):
        found = _OPTIONS.get(_DEFAULT_ARGS)
        if found is None:
            found = _OPTIONS[_DEFAULT_ARGS] = MapOptions(*args)
        return found
    if isinstance(max_errors, float):  # (the one option a float passes; a float subclass too: numpy's float64)
        return MapOptions(*args)
    key = (*args, *map(type, args))
    try:
        found = _OPTIONS.get(key)
    except TypeError:  # an unhashable argument (which MapOptions refuses)
        return MapOptions(*args)
    if found is None:
        found = MapOptions(*args)
        if len(_OPTIONS) < 256:
            _OPTIONS[key] = found
    return found


def _mapped(compiled: CompiledSink, records: Any, options: MapOptions) -> Batch:
    """:meth:`Mapper.map` of checked options (here, or on a new thread's stack: see :func:`~mapper.stack.on_roomy_stack`)."""
    try:
        result = run(compiled, records, options, output=True)
    except BatchRejected as exc:
        _explain(exc.report, records, options)
        raise
    assert isinstance(result, Batch)
    _explain(result.report, records, options)
    return result


def _validated(compiled: CompiledSink, records: Any, options: MapOptions) -> Report:
    """:meth:`Mapper.validate` of checked options (as :func:`_mapped`)."""
    result = run(compiled, records, options, output=False)
    assert isinstance(result, Report)
    _explain(result, records, options)
    return result


def _explain(report: Report, records: Any, options: MapOptions) -> None:
    """The note the command line gives on why records failed (NDJSON of documents holding the
    records, an array of records a line: :func:`~mapper.engine.reader.explain_failures`), from
    the first lines of an NDJSON input given as text (compressed too) or as a regular file, read again. A stream's
    were kept as it was read (:func:`mapper.engine.runner.run` gives its note); Python objects
    have no lines: no such note for them (a lone document's note, from the reader, is given for
    every input)."""
    if not unexplained(report, options) or options.input_format not in ("auto", "ndjson"):
        return
    # (the format as the run told it, from format_head's bytes: a head of its own size told a
    # document whose first line ran past it from NDJSON otherwise than the run did)
    unpack = unpacker(bytes(records[:MAGIC_SIZE])) if isinstance(records, (bytes, bytearray, memoryview)) else None
    file = None  # (a file's name, for the command a note gives: iconv -f UTF-16 -t UTF-8 NAME)
    if unpack is not None:
        # compressed bytes (a .gz file read into memory): the lines of their text, as a .gz file's
        # (their own first bytes, compressed, were read for lines: no note, where the file had one)
        try:
            with unpack(io.BytesIO(records)) as fh:
                told, head = _told_and_head(fh)
        except (InputError, OSError, EOFError, zlib.error, lzma.LZMAError):  # (the run read them whole: not expected)
            return
    elif isinstance(records, (bytes, bytearray, memoryview)):
        head = bytes(records[:HEAD_BYTES])
        named = _file_named(head) if len(records) < 4096 else None
        if named is not None:
            report.notes.append(
                f"the bytes given name a file, {named!r}: bytes are JSON text, always; pass the name as a str or a pathlib.Path to read the file"
            )
            return
        told = records if isinstance(records, bytes) else head_in(records)
    elif isinstance(records, str) and path_named(records) is None:
        # (its first characters are at least as many bytes as format_of may look at)
        told = records[:FORMAT_BYTES].encode("utf-8", "surrogatepass")
        head = told[:HEAD_BYTES]
    elif isinstance(records, (str, os.PathLike)) and records != "-" and os.path.isfile(records):
        try:
            with open_input(records) as fh:
                told, head = _told_and_head(fh)
        except (InputError, OSError):  # (gone or changed since: no note, the report stands)
            return
        file = records
    else:
        return
    if options.input_format == "ndjson" or format_of(told) == "ndjson":
        explain_failures(report, head, file)


def _explained(batches: Iterator[Batch], source: Any, options: MapOptions) -> Iterator[Batch]:
    """``batches`` of the bytes ``source`` (:meth:`Mapper.iter_batches`), each with the note
    :func:`_explain` gives on why its records failed where the engine's run has none (bytes that
    name a file)."""
    try:
        for batch in batches:
            on_roomy_stack(_explain, batch.report, source, options)  # (its lines decoded again: on a stack that holds them)
            yield batch
    finally:  # (left early: the input's file closed now, as closing iter_batches' own generator did)
        batches.close()  # type: ignore[attr-defined]


def _told_and_head(fh: Any) -> tuple[bytes, bytes]:
    """The bytes of a binary stream its format is told from (:func:`format_head`), and its first :data:`HEAD_BYTES`."""
    told = format_head(fh)
    return told, told[:HEAD_BYTES] if len(told) >= HEAD_BYTES else told + read_head(fh, HEAD_BYTES - len(told))


def _no_set(records: Any, call: str) -> None:
    """An :class:`~mapper.errors.InputError` for records given as a ``set`` or ``frozenset``
    (of JSON texts, say): a set has no order, so records would be numbered (and cut into
    batches and bodies) differently from run to run, and equal records given twice are one."""
    if isinstance(records, (set, frozenset)):
        raise InputError(no_set_reason(records, call))


def _bytes_given(records: Any) -> Any:
    """A one-dimensional array of bytes (numpy's ``uint8`` or ``int8``, ``np.frombuffer`` of a message,
    or of a subclass, an ``np.memmap`` of a file; an ``array.array('B')``) as the ``memoryview`` of its bytes, read as bytes are: iterated, each
    byte was a record, refused ``not_an_object`` one by one. Anything else as it is."""
    kind = type(records)
    if kind is bytes or kind is list:  # (the usual records: nothing to look for)
        return records
    released = released_reason(records, "the records")
    if released is not None:  # (a ValueError from inside the engine)
        raise InputError(released)
    if kind is array.array:
        return memoryview(records).cast("B") if records.itemsize == 1 else records
    if (
        any(k.__module__ == "numpy" and k.__name__ == "ndarray" for k in kind.__mro__)
        and records.ndim == 1
        and records.dtype.itemsize == 1
        and records.dtype.kind in "ui"
    ):
        return memoryview(records.tobytes() if not records.flags.c_contiguous else records).cast("B")
    return records


def _file_named(text: bytes) -> str | None:
    """The file a short text that failed as JSON names (a file name given as bytes), or None."""
    if b"\n" in text or b"\x00" in text or text.lstrip()[:1] in (b"{", b"["):
        return None
    name = os.fsdecode(text)
    try:
        return name if os.path.isfile(name) else None
    except (OSError, ValueError):  # pragma: no cover - (a name no system takes)
        return None


def _keys(records_path: str | Sequence[str] | None) -> tuple[str, ...] | None:
    return None if records_path is None else records_path_keys(records_path)


def _ignored(ignore_warnings: Iterable[str]) -> frozenset[str]:
    """``ignore_warnings`` as the frozenset :class:`~mapper.options.MapOptions` holds, checked
    (the default, the very object, as it is: a call that gives no option pays nothing)."""
    return NO_WARNINGS if ignore_warnings is NO_WARNINGS else ignored_kinds(ignore_warnings)


def compile_sink(
    sink: Sink | SinkSource,
    *,
    id_field: str | None = None,
    primary_key_fields: list[str] | tuple[str, ...] | None = None,
    allow_missing_fields: bool | None = None,
    name: str | None = None,
) -> Mapper:
    """Compile a sink (a :class:`~mapper.model.Sink`, or anything :func:`~mapper.sink.load_sink` takes).

    The options are :func:`~mapper.sink.load_sink`'s, for a definition still to be read
    (given with a loaded Sink, an :class:`~mapper.errors.OptionError`)."""
    loaded = load_sink(sink, id_field=id_field, primary_key_fields=primary_key_fields, allow_missing_fields=allow_missing_fields, name=name)
    return Mapper(loaded)
