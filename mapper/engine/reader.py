"""Reading record batches: any accepted input cut into units the engine maps one at a time.

Inputs: NDJSON (blank lines skipped, CRLF and a UTF-8 BOM accepted), a JSON array
of records, the endpoint's request body ``{"records": [{"value": {...}}]}``, gzip
files, streams, and Python objects. The format is detected from the first
non-blank byte and can be forced. NDJSON streams in chunks of about
:data:`CHUNK_SIZE` bytes (256 KB), with absolute line numbers; JSON arrays and
request bodies are read whole.

The units are plain data (:class:`NdjsonChunk`, :class:`RawRecords`,
:class:`ObjectRecords`, :class:`BrokenDocument`): the reader knows nothing of the
engine, which takes each unit by its type.
"""

from __future__ import annotations

import gzip
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Union

import msgspec

from ..errors import InputError
from ..options import INPUT_FORMATS

#: Bytes of NDJSON per chunk: small enough to stay in the CPU's caches while mapped.
CHUNK_SIZE = 256 * 1024
_BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n"


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
    """A JSON array or request body that does not parse: one error for the whole input."""

    message: str
    line: int | None


#: What :func:`iter_units` yields.
Unit = Union[NdjsonChunk, RawRecords, ObjectRecords, BrokenDocument]


# ---------------------------------------------------------------------------------------
# Splitting


def split_lines(data: bytes, chunk_size: int, start: int = 0, end: int | None = None) -> Iterator[NdjsonChunk]:
    """Cut NDJSON bytes (``data[start:end]``) into chunks that end at line boundaries.

    Chunks are memoryview slices: the input is not copied again on the way.
    """
    n = len(data) if end is None else end
    view = memoryview(data)
    # One pass over the whole input (bytes.isascii is very quick) spares every chunk
    # its own UTF-8 check, which a memoryview slice could only do at numpy speed.
    ascii_all = start == 0 and n == len(data) and data.isascii()
    first: int | None = 1
    while start < n:
        stop = start + chunk_size
        if stop >= n:
            cut = n
        else:
            nl = data.rfind(b"\n", start, stop)
            if nl < 0:
                nl = data.find(b"\n", stop, n)
            cut = n if nl < 0 else nl + 1
        yield NdjsonChunk(view[start:cut], first, ascii_all)
        first = None
        start = cut


def stream_lines(stream: BinaryIO, chunk_size: int, head: bytes = b"") -> Iterator[NdjsonChunk]:
    """Read NDJSON from a binary stream in chunks that end at line boundaries."""
    first: int | None = 1
    pending = head
    while True:
        block = stream.read(chunk_size)
        if not block:
            break
        pending += block
        nl = pending.rfind(b"\n")
        if nl < 0:
            continue
        chunk, pending = pending[: nl + 1], pending[nl + 1 :]
        yield NdjsonChunk(chunk, first)
        first = None
    if pending:
        yield NdjsonChunk(pending, first)


class _Item(msgspec.Struct):
    # An item without "value" keeps an empty Raw: the engine reports it.
    value: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b""))


class _Body(msgspec.Struct):
    records: list[msgspec.Raw]


_ITEMS = msgspec.json.Decoder(list[_Item])
_ITEM = msgspec.json.Decoder(_Item)


def _line_of(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    col = len(data[data.rfind(b"\n", 0, offset) + 1 : offset].decode("utf-8", "replace")) + 1
    return line, col


def _broken(data: bytes, exc: Exception, what: str) -> BrokenDocument:
    msg = str(exc)
    m = re.search(r"\(byte (\d+)\)", msg)
    if m:
        line, col = _line_of(data, int(m.group(1)))
        text = re.sub(r"\s*\(byte \d+\)", "", msg).replace("JSON is malformed: ", "")
        return BrokenDocument(f"Invalid JSON: {what} is not valid JSON: {text} at line {line} char {col}", line)
    if "truncated" in msg:
        return BrokenDocument(f"Invalid JSON: {what} is truncated", data.count(b"\n") + 1)
    return BrokenDocument(f"Invalid JSON: {what}: {msg}", None)


def json_array_units(data: bytes, chunk_records: int = 512) -> Iterator[Any]:
    """A JSON array of records, split into runs of raw record texts."""
    try:
        raws = msgspec.json.decode(data, type=list[msgspec.Raw])
    except msgspec.ValidationError:
        yield BrokenDocument("Invalid JSON: expected a JSON array of records", 1)
        return
    except (msgspec.DecodeError, ValueError) as exc:
        yield _broken(data, exc, "the JSON array")
        return
    except RecursionError:
        yield BrokenDocument("Invalid JSON: the JSON array is nested too deeply", None)
        return
    for i in range(0, len(raws), chunk_records):
        yield RawRecords([bytes(r) for r in raws[i : i + chunk_records]])


def endpoint_units(data: bytes, chunk_records: int = 512) -> Iterator[Any]:
    """The endpoint's request body ``{"records": [{"value": {...}}, ...]}``."""
    try:
        body = msgspec.json.decode(data, type=_Body)
    except msgspec.ValidationError as exc:
        yield BrokenDocument(f'Invalid JSON: not an endpoint request body {{"records": [{{"value": {{...}}}}]}}: {exc}', 1)
        return
    except (msgspec.DecodeError, ValueError) as exc:
        yield _broken(data, exc, "the request body")
        return
    except RecursionError:
        yield BrokenDocument("Invalid JSON: the request body is nested too deeply", None)
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


def _looks_like_body(data: bytes) -> bool:
    """A single JSON object whose first key is "records" holding an array."""
    return re.match(rb'\s*\{\s*"records"\s*:\s*\[', data) is not None


def detect_format(head: bytes) -> str:
    """``ndjson``, ``json`` or ``endpoint`` from the first bytes of an input."""
    text = head[3:] if head.startswith(_BOM) else head
    stripped = text.lstrip(_WS)
    if stripped[:1] == b"[":
        return "json"
    if _looks_like_body(stripped):
        # One object spanning the whole input is a request body; a first line that is
        # a complete record of its own means NDJSON whose records have a "records" key.
        first = stripped.split(b"\n", 1)[0]
        try:
            msgspec.json.decode(first)
        except (msgspec.DecodeError, ValueError):
            return "endpoint"
        rest = stripped[len(first) :].strip(_WS)
        return "endpoint" if not rest else "ndjson"
    return "ndjson"


def bytes_units(data: bytes, input_format: str, chunk_size: int) -> Iterator[Any]:
    if data.startswith(_BOM):
        data = data[3:]
    fmt = detect_format(data[: 1 << 16]) if input_format == "auto" else input_format
    if fmt == "json":
        yield from json_array_units(data)
    elif fmt == "endpoint":
        yield from endpoint_units(data)
    elif fmt == "ndjson":
        yield from split_lines(data, chunk_size)
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
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    return fh


class _Peek:
    """A stream with its first bytes already read (to detect the format)."""

    def __init__(self, stream: BinaryIO, size: int = 1 << 16):
        try:
            self.head = stream.read(size)
        except (OSError, EOFError, ValueError, gzip.BadGzipFile) as exc:  # ValueError: a closed file
            raise InputError(f"cannot read the input: {exc}") from None
        if isinstance(self.head, str):
            raise InputError("the records stream is a text stream: open the file in binary mode ('rb'), or pass the text itself")
        self.stream = stream


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


def stream_units(stream: BinaryIO, input_format: str, chunk_size: int) -> Iterator[Any]:
    peek = _Peek(stream)
    head = peek.head
    if head[:2] == b"\x1f\x8b":  # gzip, e.g. on stdin (files are unwrapped by open_input)
        stream = gzip.GzipFile(fileobj=_Prepend(head, stream), mode="rb")  # type: ignore[assignment, arg-type, call-overload]
        head = _Peek(stream).head
    if head.startswith(_BOM):
        head = head[3:]
    fmt = detect_format(head) if input_format == "auto" else input_format
    if fmt == "ndjson":
        yield from stream_lines(_Reader(stream), chunk_size, head)  # type: ignore[arg-type]
    else:
        rest = _Reader(stream).read()
        yield from bytes_units(head + rest, fmt, chunk_size)


class _Reader:
    """Turns read errors of a (gzip) stream into InputError."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def read(self, n: int = -1) -> bytes:
        try:
            return self.stream.read(n)
        except (OSError, EOFError, ValueError, gzip.BadGzipFile) as exc:
            raise InputError(f"cannot read the input: {exc}") from None


def iter_units(records: Any, *, input_format: str = "auto", chunk_size: int = CHUNK_SIZE) -> Iterator[Unit]:
    """Cut any accepted input into units the engine maps one at a time."""
    if input_format not in INPUT_FORMATS:
        raise InputError(f"unknown input format {input_format!r}; use one of {', '.join(INPUT_FORMATS)}")
    if isinstance(records, (bytes, bytearray, memoryview)):
        yield from bytes_units(bytes(records), input_format, chunk_size)
    elif isinstance(records, str):
        yield from bytes_units(records.encode("utf-8", "surrogatepass"), input_format, chunk_size)
    elif isinstance(records, os.PathLike):
        with open_input(records) as fh:
            yield from stream_units(fh, input_format, chunk_size)
    elif hasattr(records, "read"):
        yield from stream_units(records, input_format, chunk_size)
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
