"""Reading record batches: any accepted input cut into units the engine maps one at a time.

Inputs: NDJSON (blank lines skipped, CRLF and a UTF-8 BOM accepted), a JSON array
of records, the endpoint's request body ``{"records": [{"value": {...}}]}``, gzip
(files, streams and bytes, recognised by their magic bytes), and Python objects. The
format is detected from the content (see :func:`detect_format`) and can be forced.
NDJSON streams in chunks of about :data:`CHUNK_SIZE` bytes (256 KB), with absolute line
numbers, in linear time and bounded memory whatever the line lengths: a line longer
than the maximum record size (:data:`MAX_RECORD_SIZE` by default) becomes one
:class:`OversizedRecord` and reading goes on at the next line. JSON arrays and request
bodies are read whole.

The units are plain data (:class:`NdjsonChunk`, :class:`RawRecords`,
:class:`ObjectRecords`, :class:`BrokenDocument`, :class:`OversizedRecord`): the reader
knows nothing of the engine, which takes each unit by its type.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Union

import msgspec

from ..errors import InputError
from ..options import INPUT_FORMATS, MAX_RECORD_SIZE

#: Bytes of NDJSON per chunk: small enough to stay in the CPU's caches while mapped.
CHUNK_SIZE = 256 * 1024
#: Bytes of an oversized record kept for its dead letter.
OVERSIZED_PREFIX = 1024
#: Bytes the format is detected from.
HEAD_SIZE = 1 << 16

_BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n"
_GZIP = b"\x1f\x8b"


@dataclass
class NdjsonChunk:
    """Lines of NDJSON; ``first_line`` is set on the first chunk of an input (1), and
    None on the chunks that follow it (the engine counts the lines it maps)."""

    data: bytes | memoryview
    first_line: int | None = None
    ascii: bool = False  # known to be ASCII (so valid UTF-8) already


@dataclass
class RawRecords:
    """Records given as their raw JSON text; ``bad`` maps an index to why that one is not a record."""

    raws: list[bytes]
    lines: list[int | None] | None = None
    bad: dict[int, str] | None = None


@dataclass
class ObjectRecords:
    """Records given as Python objects (dicts, or :class:`NotAnItem` markers)."""

    objs: list[Any]


@dataclass
class BrokenDocument:
    """A JSON array or request body that does not parse: one error for the whole input (``raw``: the document)."""

    message: str
    line: int | None
    raw: bytes = b""


@dataclass
class OversizedRecord:
    """An NDJSON line longer than the maximum record size: one record, refused (``prefix``: its first bytes)."""

    size: int
    limit: int
    prefix: bytes
    first_line: int | None = None  # as NdjsonChunk: set when it is the input's first line


#: What :func:`iter_units` yields.
Unit = Union[NdjsonChunk, RawRecords, ObjectRecords, BrokenDocument, OversizedRecord]


# ---------------------------------------------------------------------------------------
# NDJSON


def line_text(line: bytes) -> bytes:
    """A line without its terminator's carriage return (CRLF); any other is part of the record."""
    return line[:-1] if line.endswith(b"\r") else line


def split_lines(data: bytes, chunk_size: int, max_record: int = MAX_RECORD_SIZE) -> Iterator[NdjsonChunk | OversizedRecord]:
    """Cut NDJSON bytes into chunks that end at line boundaries.

    Chunks are memoryview slices: the input is not copied again on the way. A line with
    no newline within ``chunk_size`` bytes is measured; past ``max_record`` it is an
    :class:`OversizedRecord` (lines shorter than a chunk never are: the limit is larger).
    """
    n = len(data)
    view = memoryview(data)
    # One pass over the whole input (bytes.isascii is very quick) spares every chunk
    # its own UTF-8 check, which a memoryview slice could only do at numpy speed.
    ascii_all = data.isascii()
    first: int | None = 1
    start = 0
    while start < n:
        stop = start + chunk_size
        if stop >= n:
            cut = n
        else:
            nl = data.rfind(b"\n", start, stop)
            if nl < 0:  # one line longer than a chunk
                nl = data.find(b"\n", stop, n)
                end = n if nl < 0 else nl
                if end - start - (data[end - 1 : end] == b"\r") > max_record:
                    yield OversizedRecord(end - start, max_record, data[start : start + OVERSIZED_PREFIX], first)
                    first = None
                    start = end + 1
                    continue
            cut = n if nl < 0 else nl + 1
        yield NdjsonChunk(view[start:cut], first, ascii_all)
        first = None
        start = cut


def stream_lines(stream: BinaryIO, chunk_size: int, head: bytes = b"", max_record: int = MAX_RECORD_SIZE) -> Iterator[NdjsonChunk | OversizedRecord]:
    """Read NDJSON from a binary stream in chunks that end at line boundaries.

    Linear in the input and bounded in memory: each block is searched for newlines once,
    and the partial line carried from block to block never grows past ``max_record``
    (the rest of such a line is read and dropped, counted, up to its newline).
    """
    first: int | None = 1
    tail = bytearray()  # the partial line carried over: never holds a newline
    skipping = -1  # bytes of an oversized line read so far (-1: not in one)
    prefix = b""

    def blocks() -> Iterator[bytes]:
        if head:
            yield head
        while True:
            block = stream.read(chunk_size)
            if not block:
                return
            yield block

    for block in blocks():
        pos = 0
        if skipping >= 0:  # inside an oversized line: drop up to its newline
            nl = block.find(b"\n")
            if nl < 0:
                skipping += len(block)
                continue
            yield OversizedRecord(skipping + nl, max_record, prefix, first)
            first = None
            skipping, pos = -1, nl + 1
        last = block.rfind(b"\n", pos)
        if last < 0:  # no line ends here: it all joins the partial line
            tail += block[pos:] if pos else block
            if len(tail) > max_record:
                prefix, skipping = bytes(tail[:OVERSIZED_PREFIX]), len(tail)
                tail = bytearray()
            continue
        first_nl = block.find(b"\n", pos)
        if len(tail) + first_nl - pos > max_record:  # the partial line ends here, too long
            yield OversizedRecord(len(tail) + first_nl - pos, max_record, bytes((tail + block[pos:first_nl])[:OVERSIZED_PREFIX]), first)
            first = None
            tail = bytearray()
            pos = first_nl + 1
            if pos > last:
                tail += block[pos:]
                continue
        chunk = bytes(tail) + block[pos : last + 1] if tail else block[pos : last + 1]
        tail = bytearray(block[last + 1 :])
        yield NdjsonChunk(chunk, first)
        first = None
        if len(tail) > max_record:
            prefix, skipping = bytes(tail[:OVERSIZED_PREFIX]), len(tail)
            tail = bytearray()
    if skipping >= 0:
        yield OversizedRecord(skipping, max_record, prefix, first)
    elif tail:
        yield NdjsonChunk(bytes(tail), first)


# ---------------------------------------------------------------------------------------
# Documents: a JSON array, a request body


class _Item(msgspec.Struct):
    # An item without "value" keeps an empty Raw: the engine reports it.
    value: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b""))


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    # A request body is an object whose only key is "records"; any other key makes it a record.
    records: list[msgspec.Raw]


_ITEMS = msgspec.json.Decoder(list[_Item])
_ITEM = msgspec.json.Decoder(_Item)
_DECODE_ANY = msgspec.json.Decoder()


def _line_of(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    col = len(data[data.rfind(b"\n", 0, offset) + 1 : offset].decode("utf-8", "replace")) + 1
    return line, col


def _broken(data: bytes, exc: Exception, what: str) -> BrokenDocument:
    # msgspec gives no structured position: read the offset from its message (see fast.py)
    msg = str(exc)
    m = re.search(r"\(byte (\d+)\)", msg)
    if m:
        line, col = _line_of(data, int(m.group(1)))
        text = re.sub(r"\s*\(byte \d+\)", "", msg).replace("JSON is malformed: ", "")
        return BrokenDocument(f"Invalid JSON: {what} is not valid JSON: {text} at line {line} char {col}", line, data)
    if "truncated" in msg:
        return BrokenDocument(f"Invalid JSON: {what} is truncated", data.count(b"\n") + 1, data)
    return BrokenDocument(f"Invalid JSON: {what}: {msg}", None, data)


def json_array_units(data: bytes, chunk_records: int = 512) -> Iterator[Unit]:
    """A JSON array of records, split into runs of raw record texts."""
    try:
        raws = msgspec.json.decode(data, type=list[msgspec.Raw])
    except msgspec.ValidationError:
        yield BrokenDocument("Invalid JSON: expected a JSON array of records", 1, data)
        return
    except (msgspec.DecodeError, ValueError) as exc:
        yield _broken(data, exc, "the JSON array")
        return
    except RecursionError:
        yield BrokenDocument("Invalid JSON: the JSON array is nested too deeply", None, data)
        return
    for i in range(0, len(raws), chunk_records):
        yield RawRecords([bytes(r) for r in raws[i : i + chunk_records]])


def endpoint_units(data: bytes, chunk_records: int = 512) -> Iterator[Unit]:
    """The endpoint's request body ``{"records": [{"value": {...}}, ...]}``."""
    try:
        body = msgspec.json.decode(data, type=_Body)
    except msgspec.ValidationError as exc:
        yield BrokenDocument(f'Invalid JSON: not an endpoint request body {{"records": [{{"value": {{...}}}}]}}: {exc}', 1, data)
        return
    except (msgspec.DecodeError, ValueError) as exc:
        yield _broken(data, exc, "the request body")
        return
    except RecursionError:
        yield BrokenDocument("Invalid JSON: the request body is nested too deeply", None, data)
        return
    items = [bytes(r) for r in body.records]
    for i in range(0, len(items), chunk_records):
        part = items[i : i + chunk_records]
        try:
            raws = [bytes(item.value) for item in _ITEMS.decode(b"[" + b",".join(part) + b"]")]
            yield RawRecords(raws)
            continue
        except (msgspec.DecodeError, ValueError, RecursionError):
            pass
        raws, bad = [], {}
        for j, text in enumerate(part):  # some item is not {"value": ...}: find which
            try:
                raws.append(bytes(_ITEM.decode(text).value))
            except (msgspec.DecodeError, ValueError, RecursionError):
                raws.append(text)
                bad[j] = 'the request body item is not an object with "value"'
        yield RawRecords(raws, None, bad)


# ---------------------------------------------------------------------------------------
# Telling the format


def _decoded(line: bytes) -> Any:
    """The JSON value of one line, or ``_NOT_JSON``."""
    try:
        return _DECODE_ANY.decode(line)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return _NOT_JSON


_NOT_JSON: Any = object()


def _is_body(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("records"), list)


def detect_format(head: bytes) -> str:
    """``ndjson``, ``json`` or ``endpoint`` from the first bytes of an input (up to :data:`HEAD_SIZE`).

    Anything that does not start with ``[`` or ``{`` is NDJSON. Otherwise the first line
    decides when it is a complete JSON value: followed by more lines, the input is NDJSON
    (a first record that is an array, or has a ``records`` key, is one bad or odd record,
    not the whole file); alone, it is a JSON array, a request body (an object whose only
    key is ``records``), or one NDJSON record. When the first line is not a JSON value by
    itself, the next lines decide: if they are (up to three checked), the input is NDJSON
    with a broken first line; if not, it is a document spread over lines.
    """
    text = head[3:] if head.startswith(_BOM) else head
    text = text.lstrip(_WS)
    lead = text[:1]
    if lead not in (b"[", b"{"):
        return "ndjson"
    lines = [ln.strip(_WS) for ln in text.split(b"\n", 8)[:8]]
    lines = [ln for ln in lines if ln]
    first = _decoded(lines[0])
    more = lines[1:4]
    if first is not _NOT_JSON:
        if more:
            return "ndjson"
        if lead == b"[":
            return "json"
        return "endpoint" if _is_body(first) else "ndjson"
    if more and all(isinstance(_decoded(ln), dict) for ln in more):
        return "ndjson"
    if lead == b"[":
        return "json"
    return "endpoint" if re.match(rb'\{\s*"records"\s*:', text) else "ndjson"


# ---------------------------------------------------------------------------------------
# Inputs


def bytes_units(data: bytes, input_format: str, chunk_size: int, max_record: int = MAX_RECORD_SIZE) -> Iterator[Unit]:
    if data[:2] == _GZIP:  # gzip bytes, as a .gz file read into memory
        yield from stream_units(io.BytesIO(data), input_format, chunk_size, max_record)
        return
    if data.startswith(_BOM):
        data = data[3:]
    fmt = detect_format(data[:HEAD_SIZE]) if input_format == "auto" else input_format
    if fmt == "json":
        yield from json_array_units(data)
    elif fmt == "endpoint":
        yield from endpoint_units(data)
    elif fmt == "ndjson":
        yield from split_lines(data, chunk_size, max_record)
    else:
        raise InputError(f"unknown input format {input_format!r}; use one of {', '.join(INPUT_FORMATS)}")


def open_input(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a records file for reading, gunzipping ``.gz`` (or gzip-magic) files; ``-`` is stdin."""
    if str(path) == "-":
        return sys.stdin.buffer
    p = Path(path)
    try:
        fh: BinaryIO = open(p, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a records file") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    magic = fh.peek(2)[:2]  # type: ignore[attr-defined]  # peek, not seek: FIFOs and pipes work too
    if magic == _GZIP:
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    return fh


class _Prepend:
    """A binary stream that first returns bytes already read from it."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head = head
        self.stream = stream

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0:
                out, self.head = self.head + self.stream.read(), b""
                return out
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.stream.read(n)


class _Reader:
    """Turns read errors of a (gzip) stream into InputError."""

    def __init__(self, stream: Any):
        self.stream = stream

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.stream.read(n)
        except (OSError, EOFError, ValueError, gzip.BadGzipFile) as exc:  # ValueError: a closed file
            raise InputError(f"cannot read the input: {exc}") from None
        if isinstance(data, str):
            raise InputError("the records stream is a text stream: open the file in binary mode ('rb'), or pass the text itself")
        return data


def stream_units(stream: BinaryIO, input_format: str, chunk_size: int, max_record: int = MAX_RECORD_SIZE) -> Iterator[Unit]:
    reader = _Reader(stream)
    head = reader.read(HEAD_SIZE)
    if head[:2] == _GZIP:  # gzip, e.g. on stdin (files are unwrapped by open_input)
        reader = _Reader(gzip.GzipFile(fileobj=_Prepend(head, stream), mode="rb"))  # type: ignore[arg-type, call-overload]
        head = reader.read(HEAD_SIZE)
    if head.startswith(_BOM):
        head = head[3:]
    fmt = detect_format(head) if input_format == "auto" else input_format
    if fmt == "ndjson":
        yield from stream_lines(reader, chunk_size, head, max_record)  # type: ignore[arg-type]
    else:
        yield from bytes_units(head + reader.read(), fmt, chunk_size, max_record)


def iter_units(records: Any, *, input_format: str = "auto", chunk_size: int = CHUNK_SIZE, max_record: int = MAX_RECORD_SIZE) -> Iterator[Unit]:
    """Cut any accepted input into units the engine maps one at a time."""
    if input_format not in INPUT_FORMATS:
        raise InputError(f"unknown input format {input_format!r}; use one of {', '.join(INPUT_FORMATS)}")
    if isinstance(records, (bytes, bytearray, memoryview)):
        yield from bytes_units(bytes(records), input_format, chunk_size, max_record)
    elif isinstance(records, str):
        yield from bytes_units(records.encode("utf-8", "surrogatepass"), input_format, chunk_size, max_record)
    elif isinstance(records, os.PathLike):
        with open_input(records) as fh:
            yield from stream_units(fh, input_format, chunk_size, max_record)
    elif hasattr(records, "read"):
        yield from stream_units(records, input_format, chunk_size, max_record)
    elif isinstance(records, dict):
        body = records.get("records") if len(records) == 1 else None
        if isinstance(body, list) and input_format in ("auto", "endpoint"):
            objs = [item.get("value", _NO_VALUE_KEY) if isinstance(item, dict) else NotAnItem(item) for item in body]
            yield from _object_units(objs)
        else:
            yield ObjectRecords([records])
    elif isinstance(records, Iterable):
        yield from _object_units(records)
    else:
        raise InputError(f"cannot read records from a {type(records).__name__}: give NDJSON or JSON text, a file, or an iterable of dicts")


class NotAnItem:
    """An element of ``records`` in a request body that is not ``{"value": ...}`` (``item`` None: no "value")."""

    def __init__(self, item: Any):
        self.item = item


_NO_VALUE_KEY: Any = NotAnItem(None)


def _object_units(objs: Iterable[Any], size: int = 1024) -> Iterator[ObjectRecords]:
    batch: list[Any] = []
    for obj in objs:
        batch.append(obj)
        if len(batch) >= size:
            yield ObjectRecords(batch)
            batch = []
    if batch:
        yield ObjectRecords(batch)
