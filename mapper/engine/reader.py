"""Reading record batches: any accepted input cut into units the engine maps one at a time.

Inputs: NDJSON (blank lines skipped, CRLF and a UTF-8 BOM accepted), a JSON array
of records, the endpoint's request body ``{"records": [{"value": {...}}]}``, gzip
(files, streams and bytes, recognised by their magic bytes), and Python objects. The
format is detected from the content (see :func:`detect_format`) and can be forced.
NDJSON streams in chunks of about :data:`CHUNK_SIZE` bytes (512 KB), with absolute line
numbers, in linear time and bounded memory whatever the line lengths: a line longer
than the maximum record size (:data:`MAX_RECORD_SIZE` by default) becomes one
:class:`OversizedRecord` and reading goes on at the next line. JSON arrays and request
bodies are read whole.

The units are plain data (:class:`NdjsonChunk`, :class:`RawRecords`,
:class:`ObjectRecords`, :class:`BrokenDocument`, :class:`OversizedRecord`): the reader
knows nothing of the engine, which takes each unit by its type.
"""

from __future__ import annotations

import bisect
import bz2
import contextlib
import copy
import csv
import functools
import gzip
import io
import json
import lzma
import mmap
import os
import re
import stat
import sys
import zlib
from dataclasses import dataclass, replace
from itertools import islice, repeat
from operator import is_
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping, NamedTuple, Optional, Protocol, Sequence, Union, cast, overload

import msgspec
import numpy as np

from .._start import interruption_lost
from ..compiler import joined_get
from ..errors import (
    FILE_NAME_RULE,
    ArchiveInput,
    InputError,
    archive_of,
    article,
    as_unescaped,
    binary_note,
    cannot_open,
    class_name,
    compression_of,
    elided,
    encoding_note,
    escape_controls,
    given_bytes,
    has_lone_surrogate,
    names_a_file,
    option_text,
    preview,
    scalar_array_reason,
    shell_file,
    shown_name,
    stdin_read,
    stream_opened,
    text_command,
    type_name,
    zip_kind,
)
from ..options import INPUT_FORMATS, MAX_RECORD_SIZE, MapOptions
from ..paths import to_dot_notation
from ..report import DocumentFailure, Report, line_too_long_reason, not_an_item_reason, too_large_reason
from ..stack import GO_DEPTH
from ..tiers import renameable
from ..types import beyond_float64_reason, type_set
from .gojson import (
    SECOND_BOM_NOTE,
    RecordDecodeError,
    bom_note,
    decode_record,
    empty_comma,
    error_offset,
    go_field_key,
    go_member,
    huge_number_in,
    invalid_character,
    json_path,
    lone_cr_hint,
    malformed_text,
    same_length_escapes,
    space_note,
    string_control_note,
    without_bom,
)
from .pyjson import mapping_text

#: Bytes of NDJSON per chunk: small enough to stay in the CPU's caches while mapped, big
#: enough that each chunk's fixed costs (a vector conversion per column) stay small: 200k
#: seed records mapped 4-7% quicker than in 256 KB chunks (clean and lax; 1% bad 2-4%),
#: validated 5-7% (CPU time, medians of interleaved runs; 128 KB 5% slower than 256 KB,
#: 768 KB as 512 KB, 2 MB slower again).
CHUNK_SIZE = 512 * 1024
#: Bytes of an oversized record kept for its dead letter.
OVERSIZED_PREFIX = 1024
#: Bytes the format is detected from (more when the first line runs past them: :data:`FIRST_LINE_LIMIT`).
HEAD_SIZE = 1 << 16
#: How far a first line that starts an object or an array and runs past :data:`HEAD_SIZE` is followed to
#: its end to tell the format (see :func:`format_of`): a record's own limit (an NDJSON line
#: longer is refused whole anyway), so a stream holds no more of it than the NDJSON reader
#: would carry, and a file of one line of gigabytes is not read to its end to be told.
FIRST_LINE_LIMIT = MAX_RECORD_SIZE

#: How far the blanks an input opens with (after a byte order mark) are passed over to find its first
#: bytes that are not, which the format is told from (:func:`format_of`); blanks running on past it are
#: told from as they are (NDJSON of no records: a stream holds no more of them than a first line).
BLANKS_LIMIT = FIRST_LINE_LIMIT

#: The UTF-8 byte order mark (U+FEFF) an editor may write first, taken off any input.
BOM = b"\xef\xbb\xbf"
#: JSON's whitespace, the only text taken off around a record (bytes.strip() also takes a form
#: feed and a vertical tab, which the service refuses as not JSON).
JSON_WS = b" \t\r\n"

#: Compressed inputs, by their first bytes, and the reader of each (a file of several streams,
#: as `cat a.gz b.gz` makes, is read whole by each; bytes after the last stream, other than
#: zeros, are an error: :func:`read_input` words gzip's, :class:`_Streams` bzip2's and xz's).
_UNPACKERS: tuple[tuple[bytes, str, Callable[[Any], Any]], ...] = (
    (b"\x1f\x8b", "gzip", lambda f: gzip.GzipFile(fileobj=f, mode="rb")),
    (b"BZh", "bzip2", lambda f: _Unpacking(_named(_Streams(f, "bzip2", bz2.BZ2Decompressor, OSError), f))),
    (b"\xfd7zXZ\x00", "xz", lambda f: _Unpacking(_named(_Streams(f, "xz", lzma.LZMADecompressor, lzma.LZMAError), f))),
)


def _trailing(kind: str) -> str:
    """Why bytes after the last stream of a ``kind`` compressed input are refused."""
    return (
        f"its {kind} data is followed by bytes that are not {kind} data (a file joined to it uncompressed, or garbage): "
        "they would be passed over, the records in them lost; cut them off, or give them apart"
    )


class _Trailing(OSError):
    """Bytes after a compressed input's last stream that start no stream (:func:`_trailing` says it)."""


class _Streams(io.RawIOBase):
    """The text of a bzip2 or xz input of one stream or several, as ``bz2.BZ2File`` and
    ``lzma.LZMAFile`` read it, but for what follows a stream: those pass over bytes that are no
    stream (a plain file joined to it, `cat r.ndjson.bz2 more.ndjson`: its records silently
    lost), and LZMAFile stops at zeros between streams (xz's stream padding: the streams after
    them lost). Here zeros are passed over, and other bytes that start no stream are an OSError
    (:func:`read_input` says it, naming the file)."""

    def __init__(self, fp: Any, kind: str, new: Callable[[], Any], error: type[Exception]):
        super().__init__()
        self.fp, self.kind, self.new, self.error = fp, kind, new, error
        self.unpacker = new()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = memoryview(buffer).nbytes
        if not size:  # (decompress(.., 0) gives nothing, ever)
            return 0
        data = self._read(size)
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def _read(self, n: int) -> bytes:
        while True:
            if self.unpacker.eof:  # a stream ended: another may follow
                rest = self._after()
                if not rest:
                    return b""
                self.unpacker = self.new()
                try:
                    data = self.unpacker.decompress(rest, n)
                except self.error:
                    raise _Trailing(_trailing(self.kind)) from None
            elif self.unpacker.needs_input:
                block = self.fp.read(_PACKED_BLOCK)
                if not block:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                data = self.unpacker.decompress(block, n)
            else:
                data = self.unpacker.decompress(b"", n)
            if data:
                return bytes(data)

    def _after(self) -> bytes:
        """The bytes after the stream that ended, zeros passed over; ``b""`` at the input's end."""
        rest = self.unpacker.unused_data
        while True:
            if not rest:
                rest = self.fp.read(_PACKED_BLOCK)
                if not rest:
                    return b""
            kept = rest.lstrip(b"\0")
            if kept:
                return kept
            rest = b""


class _Unpacking(io.BufferedReader):
    """A bzip2 or xz input's text (:class:`_Streams`), read as a buffered file."""


#: Compressed bytes read at a time (64 KiB; the standard library's 8 KiB measured no quicker).
_PACKED_BLOCK = 1 << 16
#: The most text :class:`_Counted` asks an unpacker for at a time: what a read meeting damage
#: loses (the unpacker's output of a failing read is dropped), so the error names a line at most
#: this much text before the damage.
_UNPACK_STEP = 1 << 16
#: The streams those make (:func:`stream_units` counts their lines: their reads can fail midway).
_COMPRESSED = (gzip.GzipFile, _Unpacking)
#: The longest of those magics, and zstd's, which the standard library (3.10-3.13) cannot read.
MAGIC_SIZE = 6


def _named(stream: Any, source: Any) -> Any:
    """``stream`` with its file's name (a GzipFile has one; the others not before Python 3.13,
    where ``name`` is a read-only property giving the file's own), for errors to name the file."""
    name = getattr(source, "name", None)
    if isinstance(name, str) and getattr(stream, "name", None) != name:
        stream.name = name
    return stream


def unpacker(head: bytes, file: str | os.PathLike[Any] | None = None) -> Callable[[Any], BinaryIO] | None:
    """The reader that unpacks an input starting with ``head`` (gzip, bzip2, xz), or None
    when it is not compressed; zstd is an :class:`InputError` saying what to do (``file``: the
    input's name, for the command that unpacks it)."""
    name = compression_of(head)
    if name == "zstd":
        said = "the input" if shell_file(file) == "FILE" else shown_name(file)  # type: ignore[arg-type]
        # (standard input, /dev/stdin, a stream given unnamed: what it came from, piped through zstd; text_command's form)
        unpack = "... | zstd -dc" if shell_file(file) == "FILE" else f"zstd -dc {shell_file(file)}"
        raise InputError(f"{said} is zstd-compressed, which mapper cannot unpack: give it unpacked ({unpack} | mapper ... -)")
    return next((opener for _magic, known, opener in _UNPACKERS if known == name), None)


class Readable(Protocol):
    """What :func:`stream_lines` reads from: a binary file, a pipe, a range of a file."""

    def read(self, n: int = -1, /) -> bytes: ...


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
    lines: Sequence[int | None] | None = None  # (a request body's: BodyLines, looked up when asked)
    bad: dict[int, str] | None = None
    #: the characters before each record on the line it starts on (None: none, each starts its
    #: line): an error's ``char`` counts from the line's start. Looked up when a message needs it
    #: (:class:`RecordColumns`: a lookup for every record cost a search of each)
    cols: Sequence[int] | None = None
    #: records given as texts among Python records (:class:`_TextsApart`): a refused one's raw
    #: is said as the NDJSON line the text stands for says it (:func:`item_text`)
    items: bool = False


@dataclass
class ObjectRecords:
    """Records given as Python objects (dicts, or :class:`NotAnItem` markers)."""

    objs: list[Any]


@dataclass(frozen=True)
class Place:
    """Where the detail of a document that does not parse places its error, kept as fields that
    the detail is written from (:attr:`detail`), so that a document read alone and then placed
    further down an input (a text among others: :func:`_moved_down`) has it written again, from
    the line moved, never edited in the words.

    ``text``: the error (``invalid character '{'``); ``line``: the line the detail names (None: a
    one-line document, whose detail names its character alone, the unit's line saying which
    line); ``char``: the character on that line, from 1; ``tail``: what follows the place (what
    it needed, `` after an array element: ',' or ']' was expected``; a note on a byte-order mark,
    on what may follow a closing bracket), or ``""``."""

    text: str
    line: int | None
    char: int
    tail: str = ""

    @property
    def detail(self) -> str:
        """``invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected``, or ``... at char 12`` (no line)."""
        where = f"char {self.char}" if self.line is None else f"line {self.line} char {self.char}"
        return f"{self.text} at {where}{self.tail}"


@dataclass
class BrokenDocument:
    """A JSON array or request body that does not parse: one error for the whole input (``raw``: the document)."""

    message: str
    line: int | None
    raw: bytes = b""
    code: str = "invalid_json"  # or "no_records": a document without records where records_path says
    #: the reader's advice that ``message`` ends with (after ``"; "``), or ``""``: a caller that
    #: words its own (the web UI's paste, which has no --input-format) takes ``reason`` and this,
    #: never the message's words
    hint: str = ""
    #: one record of the input, not the whole of it (a blank JSON text among records given as
    #: texts): the others are read on
    one_record: bool = False
    #: ``reason`` in parts (its line and file are the engine's to set: :class:`~mapper.report.DocumentFailure`),
    #: which the verdict of an input that failed whole is built from: set by every document read
    #: whole that fails (:func:`_failed_whole`, the only maker of a unit that is not ``one_record``);
    #: None only for a record's own (``one_record``; a document's unit made one keeps it, unread)
    failure: DocumentFailure | None = None
    #: where the detail of a document that does not parse places its error, the fields the
    #: detail is written from (:func:`_failed_at`); None for any other failure
    place: Place | None = None

    @property
    def reason(self) -> str:
        """``message`` without the ``hint``."""
        return self.message[: -len(self.hint) - 2] if self.hint else self.message

    def named(self, file: str | os.PathLike[Any] | None) -> str:
        """``message`` with the command its hint gives naming ``file``, the input's (the reader knows
        no name: ``FILE``; :func:`hints_named`), by those that know it."""
        if not self.hint or file is None:
            return self.message
        return f"{self.reason}; {hints_named(self.hint, file)}"


@dataclass
class Notice:
    """A note for the report about the input as a whole, kept when some record failed (``if_failed``) or always."""

    message: str
    if_failed: bool = True
    #: what it says: ``"document"`` (the input seems a document holding the records), ``"null_records"``
    #: (documents holding null at the records path, see :func:`null_records_notice`), ``"format"`` (the
    #: format could not be told from the head: :data:`UNDECIDED_NOTE`)
    kind: str = "document"
    #: of a ``"null_records"`` notice, the records path as its note writes it (the report's
    #: :attr:`~mapper.report.Report.null_records_at`); None otherwise
    at: str | None = None


@dataclass
class OversizedRecord:
    """An NDJSON line whose record is longer than the maximum record size, or a line longer than
    twice it whatever its record (see :func:`oversized`): one record, refused (``prefix``: its first bytes)."""

    size: int  # the record's bytes: the line's less the blanks around the record (:func:`record_size`)
    limit: int
    prefix: bytes
    first_line: int | None = None  # as NdjsonChunk: set when it is the input's first line
    line_size: int = 0  # the line's bytes, its blanks counted (0: as ``size``)

    @property
    def reason(self) -> str:
        """Why it is refused: its record is too large, or (its record within the limit) its line too long."""
        if self.size > self.limit:
            return too_large_reason(self.size, self.limit)
        return line_too_long_reason(self.line_size, self.limit)


#: What :func:`iter_units` yields.
Unit = Union[NdjsonChunk, RawRecords, ObjectRecords, BrokenDocument, OversizedRecord, Notice]


# ---------------------------------------------------------------------------------------
# NDJSON


def line_text(line: bytes) -> bytes:
    """A line without its terminator's carriage return (CRLF); any other is part of the record."""
    return line[:-1] if line.endswith(b"\r") else line


def item_text(text: bytes) -> bytes:
    """A refused record's raw text, of a record given as a text item (``validate(f.readlines())``):
    what the NDJSON line the item stands for gives (items are numbered as those lines), the line's
    terminator (a ``\n``, a CRLF's CR) and the blank lines before and after it being no part of
    the record; blanks on its own lines are kept, as a line's are. An item ending ``"\n"`` kept
    it, where the file's line did not: a producer sending a refused record's raw again got
    another text. Asked of refused records only."""
    if b"\n" not in text:
        return line_text(text)
    lead = len(text) - len(text.lstrip(b" \t\r\n"))
    tail = len(text.rstrip(b" \t\r\n"))
    if tail <= lead:  # (a blank text: refused as such, kept as given)
        return text
    end = text.find(b"\n", tail)
    return line_text(text[text.rfind(b"\n", 0, lead) + 1 : len(text) if end < 0 else end])


_LEADING_BLANKS = re.compile(rb"[ \t\r\n]*")


def record_size(data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None) -> int:
    """The bytes of the record in ``data[start:end]`` (a line without its newline, or a text): less the
    blanks (JSON's whitespace, a CRLF's CR too) before and after it, which are no part of the record,
    as the blanks around an array's element or a request body's value are none of it and
    ``Mapper.check`` does not count a text's. Read at C speed (a regex for the blanks before, a few
    ``rstrip`` of windows for those after); asked only of lines longer than the limit."""
    end = len(data) if end is None else end
    match = _LEADING_BLANKS.match(data, start, end)
    lead = end if match is None else match.end()
    stop = end
    while stop > lead:
        low = max(lead, stop - 4096)
        kept = len(bytes(data[low:stop]).rstrip(JSON_WS))
        if kept:
            return low + kept - lead
        stop = low
    return 0


def oversized(data: bytes | bytearray | memoryview, start: int, end: int, limit: int, first: int | None) -> OversizedRecord | None:
    """The :class:`OversizedRecord` of the NDJSON line ``data[start:end]`` (its newline not in it), or None
    when it is taken: its record (:func:`record_size`) is at most ``limit`` bytes, and the line, blanks
    counted, at most twice that (a line is held whole while it is read: blanks past that would grow a
    stream's memory without bound). One rule for every reader of lines, and ``Mapper.check`` of a text."""
    length = end - start
    if length <= limit:  # (the usual: nothing to measure)
        return None
    if data[end - 1] == 13:  # a CRLF's CR is the line's end, none of the line (as line_text takes it off)
        length -= 1
    size = record_size(data, start, end)
    if size <= limit and length <= 2 * limit:
        return None
    return OversizedRecord(size, limit, bytes(data[start : start + OVERSIZED_PREFIX]), first, length)


class _Skipped:
    """A line refused while it is read (:func:`stream_lines`): its bytes counted, not kept, and the
    blanks it opens and ends with, which are no part of its record (:func:`record_size`)."""

    def __init__(self, held: bytes | bytearray) -> None:
        self.prefix = bytes(held[:OVERSIZED_PREFIX])
        self.total = self.lead = self.trail = 0
        self.blank = True  # nothing but blanks so far
        self.cr = False  # the last byte so far is a CR (a CRLF's, at the line's end: none of the line)
        self.add(held)

    def add(self, piece: bytes | bytearray) -> None:
        n = len(piece)
        if n:
            self.cr = piece[-1] == 13
        self.total += n
        kept = len(piece.rstrip(JSON_WS))
        if self.blank:
            if not kept:
                self.lead += n
                return
            self.lead += n - len(piece.lstrip(JSON_WS))
            self.blank = False
            self.trail = n - kept
        else:
            self.trail = self.trail + n if not kept else n - kept

    def record(self, limit: int, first: int | None) -> OversizedRecord:
        size = 0 if self.blank else self.total - self.lead - self.trail
        return OversizedRecord(size, limit, self.prefix, first, self.total - self.cr)


def _over(held: bytes | bytearray, limit: int) -> bool:
    """Whether the start of a line read so far, ``held``, is already refused by :func:`oversized`'s rule
    (a CR it ends with may be a CRLF's, counted by neither)."""
    if len(held) <= limit:
        return False
    length = len(held) - (held[-1] == 13)
    return length > 2 * limit or record_size(held) > limit


def range_is_ascii(view: memoryview) -> bool:
    """Whether the bytes of ``view`` are all ASCII, read in place (a slice of bytes would copy them)."""
    return len(view) == 0 or int(np.frombuffer(view, dtype=np.uint8).max()) < 128


def split_lines(
    data: bytes, chunk_size: int, max_record: int = MAX_RECORD_SIZE, end: int | None = None, start: int = 0
) -> Iterator[NdjsonChunk | OversizedRecord]:
    """Cut NDJSON bytes (from ``start`` up to ``end``, each at a line end) into chunks that end at line boundaries.

    Chunks are memoryview slices: the input is not copied again on the way (a worker of
    ``workers=N`` reads its range in place: copying it out took 0.05 s for 135 MB). A line with
    no newline within ``chunk_size`` bytes is measured; past ``max_record`` it is an
    :class:`OversizedRecord` (lines shorter than a chunk never are: the limit is larger).
    """
    n = len(data) if end is None else end
    view = memoryview(data)
    # One pass over the whole range (bytes.isascii is very quick, numpy's max of a range
    # in place about as quick) spares every chunk its own UTF-8 check (an all-ASCII range
    # has all-ASCII chunks; otherwise each chunk checks its own). Each process of
    # ``workers=N`` checks its own range, after the fork: one pass over the whole input
    # before it (11-15 ms for 335 MB) held the workers back.
    ascii_all = data.isascii() if start == 0 and n == len(data) else range_is_ascii(view[start:n])
    first: int | None = 1
    while start < n:
        stop = start + chunk_size
        if stop >= n:
            cut = n
        else:
            nl = data.rfind(b"\n", start, stop)
            if nl < 0:  # one line longer than a chunk
                nl = data.find(b"\n", stop, n)
                end = n if nl < 0 else nl
                over = oversized(data, start, end, max_record, first)
                if over is not None:
                    yield over
                    first = None
                    start = end + 1
                    continue
            cut = n if nl < 0 else nl + 1
        yield NdjsonChunk(view[start:cut], first, ascii_all)
        first = None
        start = cut


def measured(chunks: Iterable[NdjsonChunk | OversizedRecord], max_record: int) -> Iterator[NdjsonChunk | OversizedRecord]:
    """Split out the lines of a chunk that are longer than ``max_record``.

    :func:`split_lines` and :func:`stream_lines` measure only the lines that do not fit
    a chunk (or a block); with a limit below the chunk size (``--max-record-size 1K``)
    a line between the two would pass. A chunk no longer than the limit cannot hold
    such a line, so with the default limit (16 MiB) this costs one ``len`` per chunk.
    """
    for unit in chunks:
        if not isinstance(unit, NdjsonChunk) or len(unit.data) <= max_record:
            yield unit
            continue
        data = bytes(unit.data)
        first, start, pos, n = unit.first_line, 0, 0, len(data)
        while pos < n:
            nl = data.find(b"\n", pos)
            end = n if nl < 0 else nl
            over = oversized(data, pos, end, max_record, None)
            if over is not None:
                if pos > start:
                    yield NdjsonChunk(data[start:pos], first, unit.ascii)
                    first = None
                yield replace(over, first_line=first)
                first = None
                start = end + 1
            pos = end + 1
        if start < n:
            yield NdjsonChunk(data[start:], first, unit.ascii)


def stream_lines(stream: Readable, chunk_size: int, head: bytes = b"", max_record: int = MAX_RECORD_SIZE) -> Iterator[NdjsonChunk | OversizedRecord]:
    """Read NDJSON from a binary stream in chunks that end at line boundaries.

    Linear in the input and bounded in memory: each block is searched for newlines once,
    and the partial line carried from block to block never grows past ``max_record``
    (the rest of such a line is read and dropped, counted, up to its newline).
    """
    first: int | None = 1
    tail = bytearray()  # the partial line carried over: never holds a newline
    skipped: _Skipped | None = None  # a line refused while it is read, up to its newline

    def blocks() -> Iterator[bytes]:
        nonlocal head
        for i in range(0, len(head), chunk_size):  # the detection's head, in chunks too (a line within one is not measured)
            block = head[i : i + chunk_size]
            if i + chunk_size >= len(head):  # (let go before its last block is read: a first line followed to its
                head = b""  # end to tell the format, megabytes, was held beside the line joined from it)
            yield block
        while True:
            block = stream.read(chunk_size)
            if not block:
                return
            yield block

    for block in blocks():
        pos = 0
        if skipped is not None:  # inside an oversized line: drop up to its newline
            nl = block.find(b"\n")
            if nl < 0:
                skipped.add(block)
                continue
            skipped.add(block[:nl])
            yield skipped.record(max_record, first)
            first = None
            skipped, pos = None, nl + 1
        last = block.rfind(b"\n", pos)
        if last < 0:  # no line ends here: it all joins the partial line
            tail += block[pos:] if pos else block
            if _over(tail, max_record):
                skipped, tail = _Skipped(tail), bytearray()
            continue
        first_nl = block.find(b"\n", pos)
        if len(tail) + first_nl - pos > max_record:  # the partial line ends here, perhaps too long
            line = b"".join((tail, block[pos:first_nl]))
            over = oversized(line, 0, len(line), max_record, first)
            del line
            if over is not None:
                yield over
                first = None
                tail = bytearray()
                pos = first_nl + 1
                if pos > last:
                    tail += block[pos:]
                    continue
        # (joined: bytes(tail) + ... held a long line three times at once)
        chunk = b"".join((tail, block[pos : last + 1])) if tail else block[pos : last + 1]
        tail = bytearray(block[last + 1 :])
        yield NdjsonChunk(chunk, first)
        first = None
        if _over(tail, max_record):
            skipped, tail = _Skipped(tail), bytearray()
    if skipped is not None:
        yield skipped.record(max_record, first)
    elif tail:
        last_line, tail = bytes(tail), bytearray()  # (not held twice while the last line is read)
        yield NdjsonChunk(last_line, first)


# ---------------------------------------------------------------------------------------
# Documents: a JSON array, a request body


class _Item(msgspec.Struct):
    # An item without "value" keeps an empty Raw: the engine reports it.
    value: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b""))


class _Body(msgspec.Struct):
    # A request body: its "records" (other keys are ignored, as Go's decoder ignores them;
    # telling a body from a record is detect_format's: an object whose only key is "records").
    # null is no records, as Go decodes null into a slice: nil, no error.
    records: Union[list[msgspec.Raw], None]


_BODY = msgspec.json.Decoder(_Body)
_ITEM = msgspec.json.Decoder(_Item)
_DECODE_ANY = msgspec.json.Decoder()

# The service decodes a body into a struct with Go's encoding/json, which matches the keys
# "records" and "value" as Go does (mapper.engine.gojson.go_field_key: "Records", "VALUE"
# taken; of a key given twice, or in two spellings, the last). msgspec's structs match the
# exact names (the last of a key given twice too): a text that cannot spell them otherwise
# (no other case of them, no escaped letter, no long s or Kelvin sign, raw or escaped)
# is read so, and any other through its members' names.
_LETTER_ESCAPE = re.compile(rb"\\u(?:00[4-7][0-9a-fA-F]|017[fF]|212[aA])")
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ITEMS_MEMBERS = msgspec.json.Decoder(list[dict[str, msgspec.Raw]])


def _spelled_otherwise(data: bytes) -> bool:
    """Whether ``data`` may name ``records`` or ``value`` other than so spelled (a cheap over-approximation)."""
    low = data.lower()
    return (
        low.count(b'"value"') != data.count(b'"value"')
        or low.count(b'"records"') != data.count(b'"records"')
        or b"\xc5\xbf" in data  # U+017F
        or b"\xe2\x84\xaa" in data  # U+212A
        or _LETTER_ESCAPE.search(data) is not None  # (an ASCII letter, U+017F or U+212A escaped)
    )


@functools.lru_cache(maxsize=64)
def _body_spelled(key: str) -> msgspec.json.Decoder[Any]:
    """A body decoder whose ``records`` is spelled ``key`` (each of its members is checked, as Go decodes each)."""
    return msgspec.json.Decoder(msgspec.defstruct("Body", [("records", Union[list[msgspec.Raw], None])], rename={"records": key}))


def _last_member(members: dict[str, msgspec.Raw], field: str, data: bytes) -> str | None:
    """The key of ``members`` (decoded from ``data``) that Go puts into ``field`` last: of several
    spellings, the one whose value stands last in the text."""
    keys = [k for k in members if len(k) == len(field) and go_field_key(k, field)]  # (Go folds no letter of them onto another length)
    if len(keys) <= 1:
        return keys[0] if keys else None
    return max(keys, key=lambda k: _offset_in(data, members[k]))


def _body_records(data: bytes) -> list[msgspec.Raw]:
    """The items of a request body's ``records``, as the service's decoder finds them.

    Another spelling of ``records`` can only be a member of the body itself: only the text
    around the array read as ``records`` is looked at (the array is most of the body)."""
    try:
        records = _BODY.decode(data).records or []
    except msgspec.ValidationError:  # no "records" so spelled, or not an array: another spelling may be
        pass
    else:
        if records:
            start, last = _offset_in(data, records[0]), records[-1]
            end = _offset_in(data, last) + len(last)
            around = data[:start] + data[end:] if 0 < start < end else data
        else:
            around = data
        if not _spelled_otherwise(around):
            return records
    members = _MEMBERS.decode(data)
    key = _last_member(members, "records", data)
    if key is None:
        return _BODY.decode(data).records or []  # (raises: no records)
    for other in members:  # every spelling's members are decoded (an earlier one that is not an array fails the body, as in Go)
        if other != key and go_field_key(other, "records"):
            _body_spelled(other).decode(data)
    return _body_spelled(key).decode(data).records or []


def _body_null(data: bytes) -> bool:
    """Whether a request body with no items holds null at ``records`` (as Go matches its name: the last spelling)."""
    try:
        members = _MEMBERS.decode(data)
    except (msgspec.DecodeError, ValueError, RecursionError):  # (another member nested too deeply: the value at `records` a level at a time)
        return _shallow_null(data, ("records",))
    key = _last_member(members, "records", data)
    return key is not None and bytes(members[key]) == b"null"


def _item_value(text: bytes) -> msgspec.Raw:
    """The ``value`` of one request body item (empty: it has none), as the service's decoder finds it."""
    if not _spelled_otherwise(text):
        return _ITEM.decode(text).value
    members = _MEMBERS.decode(text)
    key = _last_member(members, "value", text)
    return msgspec.Raw(b"") if key is None else members[key]


def _item_values(joined: bytes) -> list[msgspec.Raw]:
    """The ``value`` of each item of a JSON array of request body items (empty: none).

    Each item's members by name (about 1.3x the decoding of ``{"value"}`` alone, and no
    scan of the text for other spellings): an item of one member ``value`` is the usual
    one (a key given twice is held once, its last value, as Go keeps)."""
    out = []
    for members in _ITEMS_MEMBERS.decode(joined):
        key = "value" if len(members) == 1 and "value" in members else _last_member(members, "value", joined)
        out.append(msgspec.Raw(b"") if key is None else members[key])
    return out


def request_items(data: bytes) -> list[bytes]:
    """The items of a request body's ``records``, as the service's decoder finds them. Raises
    ``msgspec.ValidationError`` for JSON that is no such body, ``msgspec.DecodeError`` for text
    that is not JSON, ``RecursionError`` for a body nested too deeply to find its items."""
    return [bytes(item) for item in _request_items(data)[0]]


def _request_items(data: bytes) -> tuple[list[Any], bytes]:
    """The items of a request body (views into the text decoded) and that text (see :func:`_tolerant`)."""
    try:
        return _tolerant(_body_records, data)
    except RecursionError:  # an item nested deeper than the decoder goes: the items one by one, that one failing alone
        span = _shallow_member(data, *_strip_span(data, 0, len(data)), "records", go=True)
        shallow = None if span is None else _shallow_items(data, *span)
        if shallow is None:
            raise
        return shallow, data


def line_of(data: bytes, offset: int) -> tuple[int, int]:
    """The line and character (from 1, as an editor counts characters) of byte ``offset`` of ``data``
    (an invalid UTF-8 byte one character, as Go's decoder makes it a U+FFFD, and as a record alone counts it)."""
    line = data.count(b"\n", 0, offset) + 1
    col = len(data[data.rfind(b"\n", 0, offset) + 1 : offset].decode("utf-8", "mapper-go-replace")) + 1
    return line, col


def _failed_whole(failure: DocumentFailure, line: int | None, data: bytes = b"", hint: str = "", place: Place | None = None) -> BrokenDocument:
    """A document read whole that failed: a :class:`BrokenDocument` whose message is the
    ``failure``'s reason, then ``hint`` (kept apart too) if any; ``no_records`` when the text is
    valid JSON (no records where ``records_path`` says), else ``invalid_json``."""
    reason = failure.reason
    code = "invalid_json" if failure.invalid else "no_records"
    return BrokenDocument(f"{reason}; {hint}" if hint else reason, line, data, code, hint, failure=failure, place=place)


def _failed_at(place: Place, read: str, line: int | None, data: bytes, hint: str) -> BrokenDocument:
    """A document (``read``: what was read whole) that does not parse, its detail written from
    ``place`` (the line it names kept as a field: :class:`Place`)."""
    return _failed_whole(DocumentFailure(place.detail, read=read, line_named=place.line), line, data, hint, place)


def _broken(data: bytes, exc: Exception, what: str, first_line: int = 1, column: int = 0) -> BrokenDocument:
    # ``column``: the characters before ``data`` on its first line (a value after another on it)
    # msgspec gives no structured position: read the offset from its message (see fast.py)
    msg = malformed_text(str(exc), data)
    m = re.search(r"\(byte (\d+)\)", msg)
    if m:
        offset = error_offset(msg, int(m.group(1)), data)
        line, col = line_of(data, offset)
        col += column if line == 1 else 0
        line += first_line - 1
        text = re.sub(r"\s*\(byte \d+\)", "", msg).replace("JSON is malformed: ", "")
        bom = ""
        if data[offset : offset + 3] == BOM and offset == 0 and first_line == 1 and not column:
            bom = SECOND_BOM_NOTE  # (the input's first char: its first mark was taken off, this is a second)
        elif data[offset : offset + 3] == BOM:  # (files joined, each with its mark)
            bom = bom_note("document" if blank(data, 0, offset) else "value")
        hint = note = ""
        closing = data[:offset].rstrip(JSON_WS)[-1:]
        empty = empty_comma(data, offset, text)
        if empty is not None:  # ([{...},,{...}]: said what it is)
            text = empty
        elif text == "trailing characters" and closing in (b"]", b"}"):
            if data[offset : offset + 1] == b",":
                # a comma after the whole value: a trailing one, or values separated by commas (a JSON
                # array's elements, their brackets missing); as NDJSON each would be junk, not a record
                text = f"a comma after its closing {closing.decode()}"
                if blank(data, offset + 1):
                    note = " (nothing but blanks may follow it)"
                else:
                    hint = "the input holds JSON values separated by commas: give the records one a line with nothing between, or all of them inside one JSON array's [ ]"
            elif not bom and not _VALUE_START_CHAR.match(data, offset):
                note = f" (nothing but blanks may follow its closing {closing.decode()})"
            else:
                # a whole JSON value, then more: NDJSON that the first line did not reveal (a value spread over
                # lines), or lines ending in a lone CR (which --input-format ndjson does not split either)
                hint = lone_cr_hint(data, offset) or (
                    "the input holds several JSON values: if each line is a record, say so with --input-format ndjson (input_format='ndjson')"
                )
                if data[offset:].lstrip(JSON_WS).startswith(b"[") and _ARRAY_OF_OBJECTS.match(data.lstrip(JSON_WS)):
                    # arrays of objects one after another: as NDJSON each would be one record that is no object
                    hint = "the input holds several JSON values: arrays one after another; if they hold the records, put them one a line (`jq -c '.[]' FILE`) and give that instead"
        elif text.startswith("invalid character"):  # (a tab pasted into a value: named, as in a record's own error)
            note = string_control_note(data, offset)
        space = "" if bom else space_note(data, offset)
        if space:  # (a no-break space copied from a web page: "nothing but blanks may follow" it read as a blank)
            note, hint = space, ""
        elif not (bom or note or hint) and empty is None and (said := invalid_character(text, data, offset)):
            text, note = said  # (the character named, and what its place needed: as a record's own error says it)
        # a one-line document (a line of NDJSON documents, one record) names its column only:
        # the error's line says which line, and is shifted with the rest when workers' parts merge
        named = None if b"\n" not in data else line
        return _failed_at(Place(text, named, col, f"{bom}{note}"), what, line, data, hint)
    if "truncated" in msg:
        return _failed_whole(DocumentFailure(f"{what} is truncated"), first_line + data.count(b"\n"), data)
    return _failed_whole(DocumentFailure(f"{what}: {msg}"), None, data)


# --- reading a document too deep for the decoders: its top level only, without recursion

_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]')


def _top_level(data: bytes, pos: int) -> Iterator[tuple[int, int]]:
    """The ``,`` and ``:`` at the top level of the array or object opening at ``data[pos]``, as
    (byte, offset), then its closing bracket's; strings and nested values are skipped with a
    counter, not recursion. Stops early (no closing bracket) on a truncated text."""
    depth = 0
    for m in _TOKEN.finditer(data, pos + 1):
        c = data[m.start()]
        if c == 34:  # a string
            continue
        if c in b"[{":
            depth += 1
        elif c in b"]}":
            if not depth:
                yield c, m.start()
                return
            depth -= 1
        elif not depth:
            yield c, m.start()


def _strip_span(data: bytes, a: int, b: int) -> tuple[int, int]:
    while a < b and data[a] in JSON_WS:
        a += 1
    while b > a and data[b - 1] in JSON_WS:
        b -= 1
    return a, b


def _parts(data: bytes, pos: int, end: int, opening: int) -> list[tuple[int, int, int]] | None:
    """The top-level parts of the array (``opening`` ``[``) or object (``{``) at ``data[pos]``:
    (start, end, first top-level ``:`` or -1) of each, blanks stripped; None unless it is
    such a container holding no empty part (``[1,,2]``, ``[1,]``) and followed by blanks only
    up to ``end`` (a document's own end, or its member's)."""
    if pos >= end or data[pos] != opening:
        return None
    parts: list[tuple[int, int, int]] = []
    start, colon = pos + 1, -1
    for c, at in _top_level(data, pos):
        if c == 58:  # ":"
            if colon < 0:
                colon = at
            continue
        a, b = _strip_span(data, start, at)
        if c == 44 or a < b or parts:  # (only "[]" or "{}" may hold nothing)
            if a >= b:
                return None
            parts.append((a, b, colon))
        if c != 44:  # the closing bracket: the right one, then nothing but blanks
            if c != opening + 2 or not blank(data[at + 1 : end]):
                return None
            return parts
        start, colon = at + 1, -1
    return None  # truncated


def _shallow_items(data: bytes, pos: int, end: int) -> list[memoryview] | None:
    """The texts of the elements of the array at ``data[pos]`` (views into ``data``; None: not
    such an array, see :func:`_parts`): for a document whose records the decoders cannot
    read because one of them is nested deeper than they go (that one then fails alone,
    as on its own line)."""
    parts = _parts(data, pos, end, 91)  # "["
    if parts is None:
        return None
    view = memoryview(data)
    return [view[a:b] for a, b, _colon in parts]


def _shallow_member(data: bytes, pos: int, end: int, key: str, go: bool = False) -> tuple[int, int] | None:
    """The span of the value of member ``key`` (its last, as the decoders take it) of the object
    at ``data[pos]``; None when it has no such member or is no such object (see :func:`_parts`).
    ``go``: a member Go's decoder puts into a struct field named ``key`` (a request body's)."""
    parts = _parts(data, pos, end, 123)  # "{"
    if parts is None:
        return None
    found = None
    for a, b, colon in parts:
        if colon < 0:
            return None  # a member without its ":"
        try:
            name = json.loads(bytes(data[a:colon]).decode("utf-8", "mapper-go-replace"))  # (invalid UTF-8 as Go reads it: U+FFFD)
        except (ValueError, RecursionError):
            return None
        value = _strip_span(data, colon + 1, b)
        if value[0] >= value[1]:
            return None
        if name == key or (go and isinstance(name, str) and go_field_key(name, key)):
            found = value
    return found


def _shallow_records(data: bytes, records_path: tuple[str, ...] | None) -> list[memoryview] | None:
    """A document's records read by :func:`_shallow_items` (at ``records_path``, if given)."""
    pos, end = _strip_span(data, 0, len(data))
    for key in records_path or ():
        found = _shallow_member(data, pos, end, key)
        if found is None:
            return None
        pos, end = found
    return _shallow_items(data, pos, end)


def _shallow_null(data: bytes, records_path: tuple[str, ...]) -> bool:
    """Whether the value at ``records_path`` of a document read a level at a time is null."""
    pos, end = _strip_span(data, 0, len(data))
    for key in records_path:
        found = _shallow_member(data, pos, end, key)
        if found is None:
            return False
        pos, end = found
    return data[pos:end] == b"null"


def _shallow_missing(data: bytes, records_path: tuple[str, ...]) -> str | None:
    """Why a document too deep for the decoders has no records at ``records_path`` when it is
    that a key is missing, or a value on the way is no object or the last no array (its
    objects read a level at a time, see :func:`_shallow_member`), as :func:`_path_problem`
    says it; else None."""
    pos, end = _strip_span(data, 0, len(data))
    for depth, key in enumerate(records_path):
        if depth and data[pos] != 123:  # "{": a value on the way that is no object (one the decoders read)
            kind = _shallow_kind(data, pos, end)
            return None if kind is None else path_reason(records_path, depth, kind)
        found = _shallow_member(data, pos, end, key)
        if found is None:
            parts = _parts(data, pos, end, 123)
            if parts is None or any(colon < 0 or blank(data, colon + 1, b) for _a, b, colon in parts):
                return None  # no object, or one that does not read (a member without its value)
            try:
                names = {
                    json.loads(bytes(data[a:colon]).decode("utf-8", "mapper-go-replace")) for a, _b, colon in parts
                }  # (invalid UTF-8 as Go reads it: U+FFFD)
            except (ValueError, RecursionError, TypeError):
                return None
            if key in names or not all(isinstance(name, str) for name in names):
                return None  # (a key that is no string: the document is not JSON)
            return path_reason(records_path, depth)
        pos, end = found
    if data[pos] != 91:  # "[": the value at the path is no array
        kind = _shallow_kind(data, pos, end)
        return None if kind is None else path_reason(records_path, len(records_path), kind)
    return None


def _shallow_kind(data: bytes, pos: int, end: int) -> str | None:
    """The JSON type of the value ``data[pos:end]``, as Go's decoder reads it; None when it does
    not read (not JSON, or itself too deep)."""
    try:
        value, _replaced = decode_record(bytes(data[pos:end]), False)
    except RecordDecodeError:
        return None
    return _kind(value)


def document_units(
    data: bytes, records_path: tuple[str, ...] | None = None, chunk_records: int = 512, first_line: int = 1, column: int = 0, columns: bool = True
) -> Iterator[Unit]:
    """One JSON document: an array of records, one record (an object), or, with
    ``records_path``, an object holding the array of records at that path.

    Records get the line they start on (found in order in the text, so in linear
    time). A lone object that holds arrays of objects gets a :class:`Notice` naming
    them, shown if the record fails: it is likely a document of records read without
    ``records_path``.

    ``column``: the characters before ``data`` on its first line (a document after another on
    that line), counted in an error's ``char``. ``columns=False``: the records of a document on
    one line get no :attr:`RawRecords.cols` (the caller works them out when asked: NDJSON of
    small documents, where an object per document cost a tenth more time).
    """
    what = "the JSON document" if records_path else "the JSON array"
    first = _NON_BLANK.search(data)  # (not data.lstrip(): a copy of a large document)
    lead = data[first.start() : first.start() + 1] if first else b""
    if records_path is None and lead == b"{":
        several = _concatenated(data, first_line, chunk_records, column)
        if several is not None:  # objects one after another, as `jq .` prints them: each a record
            yield from several
            return
        assert first is not None  # (lead is "{")
        # the blanks before it on its line count in a char, as before a record of any other input
        at = first.start()
        line_start = data.rfind(b"\n", 0, at) + 1
        before = at - line_start + (column if line_start == 0 else 0)
        yield RawRecords([data.strip(JSON_WS)], [first_line + _blank_lines(data)], cols=[before] if before else None)
        hint = _records_hint(data, mostly=True)
        if hint:
            yield Notice(f"the input is one JSON object, mapped as one record; {hint}")
        return
    try:
        if records_path is None:
            raws, fixed = _tolerant(_DECODE_RAWS.decode, data)
        else:
            raws, fixed = _tolerant(_records_decoder(records_path), data)
    except msgspec.ValidationError as exc:  # (said on the line the document starts)
        if records_path is None:
            yield _failed_whole(DocumentFailure("expected a JSON array of records"), first_line + _blank_lines(data), data)
            return
        # the Structs stop at the first value that does not fit: the text may be no JSON past it,
        # or hold more documents (`jq . status.json aircraft.json`), which Go's decoder reads first
        malformed = _malformed(data)
        if malformed is None:
            yield _no_records(data, records_path, str(exc), first_line + _blank_lines(data))
        else:
            yield from _undecodable(data, malformed, records_path, chunk_records, first_line, column)
        return
    except (msgspec.DecodeError, ValueError) as exc:
        yield from _undecodable(data, exc, records_path, chunk_records, first_line, column)
        return
    except RecursionError:  # a record nested deeper than the decoder goes: the records one by one, that one failing alone
        if records_path is not None and _shallow_null(data, records_path):
            yield null_records_notice(records_path)
            return
        shallow = _shallow_records(data, records_path)
        if shallow is None:
            missing = None if records_path is None else _shallow_missing(data, records_path)
            if missing is not None:  # (a valid document, only deep: without the key, as any other)
                yield _no_records(data, records_path, missing, first_line + _blank_lines(data))  # type: ignore[arg-type]
                return
            yield _failed_whole(DocumentFailure(f"{what} is nested too deeply"), first_line + _blank_lines(data), data)
            return
        raws, fixed = shallow, data
    if raws is None:  # null at the records path: no records, as Go reads it (said once, see null_records_notice)
        assert records_path is not None
        yield null_records_notice(records_path)
        return
    # (where the array starts: only a document over lines, or one whose escapes were rewritten, needs it)
    start = _offset_in(fixed, raws[0]) if records_path is not None and raws and (fixed is not data or b"\n" in data) else 0
    yield from _placed(data, fixed, raws, first_line, start, chunk_records, column, columns)


_DECODE_RAW = msgspec.json.Decoder(msgspec.Raw)


def _malformed(data: bytes) -> Exception | None:
    """Why ``data`` is no JSON text as Go's decoder reads it (msgspec skips the whole of it: invalid
    UTF-8 and an unpaired surrogate escape are JSON there), or None."""
    try:
        _tolerant(_DECODE_RAW.decode, data)
    except (msgspec.DecodeError, ValueError) as exc:
        return exc
    except RecursionError:  # (too deep to tell: the caller's verdict stands)
        return None
    return None


def _undecodable(data: bytes, exc: Exception, records_path: tuple[str, ...] | None, chunk_records: int, first_line: int, column: int) -> Iterator[Unit]:
    """A document the decoders refused (``exc``): one broken document, or the records of the
    documents one after another in it (`jq .` output), a broken one (or what follows a document
    on its line) one record refused, as a broken record of NDJSON is."""
    what = "the JSON document" if records_path else "the JSON array"
    first = _NON_BLANK.search(data)
    whole = "trailing characters" in str(exc)  # (the first document whole: what follows is more)
    later = None if whole or records_path is None else _VALUE_START_BYTES.search(data, first.start() + 1 if first else 0)  # (where a later document may start)
    more = whole or (later is not None and records_path is not None and _names_key(data, records_path[0], later.start()))
    documents = _values(data, first_line, column) if records_path is not None and more else None
    if documents is not None:
        units = (
            replace(unit, one_record=True) if isinstance(unit, BrokenDocument) else unit
            for text, line, col in zip(*documents)
            for unit in document_units(text, records_path, chunk_records, first_line if line is None else line, col)
        )
        if whole:
            yield from units
            return
        # a broken first document with a later one holding records (a cut `jq .` capture); not
        # one document whose lines start with its records' `{` (none of its pieces holds any:
        # looked at in C first, as each piece's units, its records' refusals, cost 30 us)
        path = records_path  # (not None: documents are split only on a path)
        read = list(units) if path is not None and any(_may_hold_records(text, path) for text in documents[0]) else []
        if any(isinstance(unit, RawRecords) for unit in read):
            yield from read
            return
    elements = _elements(data, first_line, column) if records_path is None and not whole else None
    if elements is not None:  # a pretty-printed array with a broken element: that one refused, the others read
        yield from _chunked(elements, chunk_records)
        return
    yield _broken(data, exc, what, first_line, column)


def _elements(data: bytes, first_line: int, column: int = 0) -> tuple[list[bytes], list[int | None], list[int]] | None:
    """The elements of a JSON array spread over lines that does not parse (``json.dumps(indent=2)``,
    ``jq .``: each element starts a line, after the first's indentation), the texts of a broken
    one up to the next line starting so (the last one's up to the array's ``]`` starting a line,
    less indented, or the last such line for elements at column 0: what follows that is the whole
    input's error): each a record on the line it starts on (and the
    characters before it there), as :func:`_values` reads values one after another. None when
    the array is not laid out so (on one line), or what is broken is between its elements (a
    comma missing, junk after its ``]``, no ``]`` after a whole element): one error for the
    whole array then, placed where it breaks.

    Read only once the array has failed (the standard library's ``raw_decode`` an element at
    a time, in pieces, see :func:`_decode_at`: no cost for an array that parses)."""
    text = data.decode("utf-8", "surrogateescape")
    pos = _skip_space(text)
    if text[pos : pos + 1] != "[":
        return None
    pos = _skip_space(text, pos + 1)
    line_start = text.rfind("\n", 0, pos) + 1
    indent = text[line_start:pos]
    if line_start == 0 or indent.strip(" \t") or text[pos : pos + 1] not in ("{", "["):
        return None  # (its first element on the line of its `[`, or no element)
    starts = re.compile("\n" + re.escape(indent) + "[{\\[]")
    closing = re.compile("\n[ \t]{0,%d}\\]" % max(len(indent) - 1, 0))  # (the array's own `]`, starting a line, less indented)
    decoder = json.JSONDecoder()
    raws: list[bytes] = []
    lines: list[int | None] = []
    cols: list[int] = []
    line = first_line + text.count("\n", 0, pos)
    broken = False
    while True:
        lines.append(line)
        cols.append(pos - line_start + (column if line_start == 0 else 0))
        found = starts.search(text, pos + 1)
        try:
            end = _decode_at(decoder, text, pos, len(text) if found is None else found.start())
        except (ValueError, RecursionError):
            broken = True
            if found is None:  # the last element: it ends where the array's `]` starts its line (less indented)
                if indent:
                    close = closing.search(text, pos + 1)
                    if close is None and text[pos] == "{":
                        # (or indented as its elements, ending the text: an object's own lines close with `}`,
                        # its nested arrays' `]` are indented deeper)
                        close = re.compile("\n[ \t]{0,%d}\\][ \t\r\n]*\\Z" % len(indent)).search(text, pos + 1)
                    at = -1 if close is None else close.start()
                else:  # (elements at column 0, json.dumps(indent=0): a nested array's `]` starts a line too: the array's own is the last)
                    at = text.rfind("\n]", pos + 1)
                if at >= 0 and _skip_space(text, text.index("]", at) + 1) != len(text):
                    return None  # (more after the array: the whole input's error)
                end = len(text) if at < 0 else at  # (no `]`: the array is cut in this element)
                if at >= 0 and text[pos:end].rstrip(" \t\r\n").endswith(","):
                    return None  # (a comma after the last element)
            else:
                end = found.start()
            raw = text[pos:end].rstrip(" \t\r\n")
            raw = raw[:-1] if found is not None and raw.endswith(",") else raw  # (the comma before the next element)
            raws.append(raw.encode("utf-8", "surrogateescape"))
            if found is None:
                break
            nxt = found.start() + 1 + len(indent)
        else:
            raws.append(text[pos:end].encode("utf-8", "surrogateescape"))
            after = _skip_space(text, end)
            if text[after : after + 1] == "]":
                if _skip_space(text, after + 1) != len(text):
                    return None  # (more after the array: the whole input's error, with its hint)
                break
            if text[after : after + 1] != ",":
                return None  # (a comma missing between elements, or the array cut after one)
            nxt = _skip_space(text, after + 1)
            if not starts.match(text, nxt - len(indent) - 1):
                return None  # (an element not where the layout puts it)
        line += text.count("\n", pos, nxt)
        line_start = text.rfind("\n", 0, nxt) + 1
        pos = nxt
    return (raws, lines, cols) if broken else None


def _names_key(data: bytes, key: str, pos: int) -> bool:
    """Whether ``data`` from ``pos`` on may hold ``key`` as an object's key, as Go's decoder matches
    one (case folded): False only when surely not. (A broken document whose records start lines,
    none of them naming the path's first key, was split into its lines' values, each read as a
    document and refused: 4.7 MB took 4.7 s.)"""
    if not (data.isascii() and key.isascii()) or b"\\u" in data or ("/" in key and b"\\/" in data):
        return True  # (escapes, or case folding beyond ASCII: not looked for)
    return re.compile(re.escape(json.dumps(key).encode()), re.IGNORECASE).search(data, pos) is not None


def _may_hold_records(text: bytes, records_path: tuple[str, ...]) -> bool:
    """Whether :func:`document_units` of ``text`` may give records: the array at ``records_path``
    holds some, or the text is more than one value, or too deep to tell."""
    try:
        raws, _fixed = _tolerant(_records_decoder(records_path), text)
    except msgspec.ValidationError:
        return _malformed(text) is not None
    except (msgspec.DecodeError, ValueError) as exc:
        return "trailing characters" in str(exc)
    except RecursionError:
        return True
    return bool(raws)


def _placed(
    data: bytes, fixed: bytes, raws: Sequence[Any], first_line: int, start: int, chunk_records: int, column: int = 0, columns: bool = True
) -> Iterator[RawRecords]:
    """The records ``raws`` (views into ``fixed``, see :func:`_tolerant`) as they stand in ``data``,
    each with the line it starts on (and the characters before it there, ``column`` more on
    ``data``'s first line), ``chunk_records`` a unit.

    Each is found after the one before (from ``start``: under a records path the array's first
    element, as the same text may stand in an earlier key), so in linear time; their bytes are
    made a unit at a time, so that a large document is held once, with views of its records,
    not also as the bytes of every record at once.
    """
    end = len(data)
    while end and data[end - 1] in JSON_WS:
        end -= 1
    one_line = data.find(b"\n", 0, end) < 0  # (all on the first line: nothing to find)
    pos, line = start, first_line + data.count(b"\n", 0, start)
    if one_line and fixed is data and not columns:  # (NDJSON of documents: their places found when asked, see documents_units)
        for i in range(0, len(raws), chunk_records):
            texts = [bytes(r) for r in raws[i : i + chunk_records]]
            yield RawRecords(texts, [first_line] * len(texts))
        return
    chars = LineChars(data, column=column)
    for i in range(0, len(raws), chunk_records):
        texts = [bytes(r) for r in raws[i : i + chunk_records]]
        if one_line and fixed is data:
            yield RawRecords(texts, [first_line] * len(texts), None, RecordColumns(chars, views=raws[i : i + chunk_records], text=fixed))
            continue
        lines: list[int | None] = []
        offsets: list[int] = []
        for k, text in enumerate(texts):
            at = fixed.find(text, pos)
            if at < 0:  # pragma: no cover - a decoded element is a slice of the text
                lines.append(None)
                offsets.append(-1)
                continue
            if fixed is not data:  # (an escape rewritten: the record as sent)
                texts[k] = data[at : at + len(text)]
            line += data.count(b"\n", pos, at)
            lines.append(line)
            offsets.append(at)
            line += text.count(b"\n")
            pos = at + len(text)
        yield RawRecords(texts, lines, cols=RecordColumns(chars, offsets=offsets))


def _concatenated(data: bytes, first_line: int, chunk_records: int, column: int) -> list[Unit] | None:
    """Several JSON values one after another (pretty-printed objects, as ``jq .`` prints them),
    each a record on the line it starts (and the characters before it there: ``column`` more on
    ``data``'s first line), ``chunk_records`` a unit; None when ``data`` is one value (or starts as none)."""
    several = _values(data, first_line, column, records=True)
    return None if several is None else _chunked(several, chunk_records)


def _chunked(found: tuple[list[bytes], list[int | None], list[int]], chunk_records: int) -> list[Unit]:
    """Records found one by one (:func:`_values`, :func:`_elements`: their texts, lines and
    columns) as units of ``chunk_records`` each."""
    raws, lines, cols = found
    return [RawRecords(raws[i : i + chunk_records], lines[i : i + chunk_records], cols=cols[i : i + chunk_records]) for i in range(0, len(raws), chunk_records)]


#: What, after a value, shows it was closed early: a member (``"key":``, after a comma too), or closing brackets.
_CLOSED_EARLY = re.compile(r'(?:,[ \t\r\n]*)?"(?:[^"\\\n]|\\.)*"[ \t\r\n]*:|[:}\]]')
_VALUE_START = re.compile(r"\n[{\[]")


@functools.lru_cache(maxsize=16)
def _value_start(indent: str) -> re.Pattern[str]:
    """Where a value of a stream of values indented by ``indent`` (its first value's, see
    :func:`_values`) may start: a line starting with ``{`` or ``[``, at column 0 or after that
    indentation (``jq .`` output indented whole, pasted from a log). Values nested in a record
    are indented deeper, so a line so indented starts no value of theirs."""
    return _VALUE_START if not indent else re.compile("\\n(?:" + re.escape(indent) + ")?[{\\[]")


_VALUE_START_BYTES = re.compile(rb"\n[{\[]")
_JSON_SPACE = re.compile(r"[ \t\r\n]*")


def _skip_space(text: str, pos: int = 0) -> int:
    """Where the JSON whitespace at ``pos`` ends (matched in place: no copy of the rest of the text)."""
    m = _JSON_SPACE.match(text, pos)
    assert m is not None  # (the pattern matches the empty string)
    return m.end()


def _values(data: bytes, first_line: int, column: int = 0, records: bool = False) -> tuple[list[bytes], list[int | None], list[int]] | None:
    """The texts of several JSON values one after another, the line each starts on and the
    characters before it on that line (``column`` more on ``data``'s first line); None when
    ``data`` is one value (or starts as none).

    Each value is found with the standard library's ``raw_decode`` (this is no format to be
    fast in: NDJSON is); a value that does not parse is one broken value up to the next
    line that starts with ``{`` or ``[`` (where `jq .` starts each value), at column 0 or
    indented as the first value is (:func:`_value_start`), and reading goes on there: the
    values after a broken one are not lost in it.

    ``records``: the values are records, and one followed by what cannot start a value
    (``"key":``, ``}``) was closed early: it is broken up to the next such line, one bad record,
    not a good one and the rest of its members more (documents holding records keep theirs,
    what follows one on its line one bad record of its own).
    """
    text = data.decode("utf-8", "surrogateescape")
    decoder = json.JSONDecoder()
    ws = " \t\r\n"
    pos = _skip_space(text)
    # the values' indentation, their first's (where it starts its line: not after what stands
    # before ``data`` on its first line): a broken value ends where a line starts so, or at column 0
    indent = text[text.rfind("\n", 0, pos) + 1 : pos]
    starts = _value_start("" if indent.strip(" \t") or (column and "\n" not in text[:pos]) else indent)
    try:
        _value, end = decoder.raw_decode(text, pos)
    except (ValueError, RecursionError):
        if starts.search(text, pos + 1) is None:
            return None  # one broken value: the caller's one bad record
    else:
        if _skip_space(text, end) == len(text):
            return None  # one value alone: the caller's one record
    raws: list[bytes] = []
    lines: list[int | None] = []
    cols: list[int] = []
    line = first_line + text.count("\n", 0, pos)
    line_start = text.rfind("\n", 0, pos) + 1  # (kept as pos moves: a search back from each value costs its line's length, quadratic for values on one line)
    broken = False  # (a value did not parse: decode piece by piece from then on, see _decode_at)
    ahead = [-1, 0]  # (_value_line_ahead's last look)
    while pos < len(text):
        try:
            end = _decode_at(decoder, text, pos, _value_line_ahead(text, pos, ahead, starts)) if broken else decoder.raw_decode(text, pos)[1]
        except (ValueError, RecursionError):
            broken = True
            found = starts.search(text, pos + 1)
            end = len(text) if found is None else found.start() + 1
            raws.append(text[pos:end].rstrip(ws).encode("utf-8", "surrogateescape"))
            lines.append(line)
            cols.append(pos - line_start + (column if line_start == 0 else 0))
            line += text.count("\n", pos, end)
            line_start = max(line_start, text.rfind("\n", pos, end) + 1)
            pos = end
            continue
        nxt = _skip_space(text, end)
        if records and _CLOSED_EARLY.match(text, nxt):
            # what follows cannot start a value (`"long": 1,` or `}`): the value was closed early
            # (`"lat": 16.05}}`), and it is broken up to the next line starting with `{` or `[`,
            # as one that does not parse is (not a good record, then a string, then junk)
            broken = True
            found = starts.search(text, nxt)
            end = nxt = len(text) if found is None else found.start() + 1
            raws.append(text[pos:end].rstrip(ws).encode("utf-8", "surrogateescape"))
        else:
            raws.append(text[pos:end].encode("utf-8", "surrogateescape"))
        lines.append(line)
        cols.append(pos - line_start + (column if line_start == 0 else 0))
        line += text.count("\n", pos, nxt)
        line_start = max(line_start, text.rfind("\n", pos, nxt) + 1)
        pos = nxt
    return raws, lines, cols


#: How far ahead of a value :func:`_value_line_ahead` looks for the next line starting with ``{`` or ``[``.
_NEAR = 1 << 20


def _value_line_ahead(text: str, pos: int, ahead: list[int], starts: re.Pattern[str] = _VALUE_START) -> int:
    """Where the next line starting with ``{`` or ``[`` after ``pos`` starts (its newline), when one
    is within ``_NEAR``; else the text's end.

    ``ahead``: the last call's look, ``pos`` only growing: where that line's newline was found
    (-1: none), and where the look stopped. Looked at again, the text ahead cost each of many
    values on one line up to ``_NEAR`` (quadratic).
    """
    found, looked = ahead
    if found <= pos:  # (passed, or none up to where the last look stopped: looked for from there)
        bound = starts.search(text, pos + 1 if found >= 0 else max(pos + 1, looked - 1), pos + _NEAR)
        found = ahead[0] = -1 if bound is None else bound.start()
        ahead[1] = pos + _NEAR
    return len(text) if found < 0 else found


#: How much of the text :func:`_decode_at` tries a value in first, when the piece up to its bound is longer.
_PEEK = 1 << 10


def _decode_at(decoder: json.JSONDecoder, text: str, pos: int, bound: int) -> int:
    """Where the JSON value at ``pos`` of ``text`` ends, as ``decoder.raw_decode(text, pos)`` says
    (raising when it raises), decoded from the text up to ``bound`` (a line end: the next
    value's line, the next element's) first (an object, array or string far from it, from
    its first ``_PEEK`` characters before that).

    The standard library's error counts the lines of the text up to where it stops, so a value
    that does not parse, decoded in the whole text, cost the length of the text before it:
    40,000 records as ``pprint`` prints them (``{'id': 1, ...}``, each broken) took 18 s to
    read, an array of 20,000 elements each left open 2 s, quadratic. A JSON token holds no
    newline (a string's raw one is an error, ``strict``), so what a piece cut at a line end
    decodes, or fails on before its end, the whole text does alike; a value still open at the
    piece's end is decoded again up to a line end twice as far each time, in the whole text
    (in place: no copy of the rest) once that is past the text's last line. Used once a value
    has failed (the pieces cost a copy: valid input reads 1.7 times slower so).
    """
    if bound - pos > 2 * _PEEK and text[pos : pos + 1] in ("{", "[", '"'):
        # values one after another on a long line: each decoded up to the next value's line
        # copied the rest of the line (40,000 after a broken one: 17 GB); one that closes in
        # its first characters ends there in the whole text too (its closing character read,
        # nothing after it looked at: not so of a number), one that does not is decoded as below
        try:
            end = decoder.raw_decode(text[pos : pos + _PEEK])[1]
        except json.JSONDecodeError:
            pass
        else:
            return end + pos
    size = bound - pos
    while bound < len(text):
        piece = text[pos:bound]
        try:
            return decoder.raw_decode(piece)[1] + pos
        except json.JSONDecodeError as exc:
            if exc.pos < len(piece.rstrip(" \t\r\n")):
                raise
        size *= 2
        line_end = text.find("\n", pos + size)
        bound = len(text) if line_end < 0 else line_end
    return decoder.raw_decode(text, pos)[1]


def line_limit(max_record: int, records_path: tuple[str, ...] | None) -> int:
    """The longest NDJSON line kept: ``max_record``, but no limit when each line is a document
    holding records (``records_path``): the limit is each record's (the engine's), and a
    document is read whole, on one line as over several."""
    return max_record if records_path is None else 1 << 62


#: Records a unit of one document's (:func:`document_units`' ``chunk_records``, as :func:`documents_units` reads documents).
_DOCUMENT_UNIT = 512


def documents_units(chunks: Iterable[NdjsonChunk | OversizedRecord], records_path: tuple[str, ...], chunk_records: int = 512) -> Iterator[Unit]:
    """NDJSON of documents (one per line), each holding an array of records at ``records_path``.

    The records of consecutive documents go out together, up to ``chunk_records`` a unit: each
    unit costs the engine a run of its vector converters, and a unit a document made NDJSON of
    small documents (a few records each) five times slower to map than the records alone.
    """
    raws: list[bytes] = []
    lines: list[int | None] = []
    # each unit's records' characters before them on their line: its own, or (a document on a
    # line, without: see document_units) the document and its first record's index in it
    cols: list[Sequence[int] | bytes | tuple[bytes, int]] = []
    ends: list[int] = []  # (where each part of cols ends in raws)
    found: list[Any] = [None]  # (the last document asked of, read again: shared by the units of its records)
    # A broken document is one record of the input when another document is in it (infer
    # reads on past it, as validate does); the first document, broken, is held until the
    # input shows whether it is all of it (a lone document that does not parse is the input's fault).
    held: BrokenDocument | None = None
    seen = False  # (a document read: what follows is one of several)

    def gathered() -> Iterator[Unit]:
        nonlocal held
        if held is not None:
            yield replace(held, one_record=True)
            held = None
        if raws:
            yield RawRecords(raws[:], lines[:], cols=JoinedColumns(cols, ends, records_path, found))
            raws.clear()
            lines.clear()
            cols.clear()
            ends.clear()

    line = 1
    for chunk in chunks:
        if isinstance(chunk, OversizedRecord):
            if chunk.first_line is not None:
                line = chunk.first_line
            yield from gathered()
            seen = True
            yield replace(chunk, first_line=line)  # (the engine counts no lines here: documents are read as records)
            line += 1
            continue
        if chunk.first_line is not None:
            line = chunk.first_line
        for text in bytes(chunk.data).split(b"\n"):
            doc = text.rstrip(JSON_WS)  # (leading blanks kept: an error's char counts from the line's start)
            if not blank(doc):  # (not doc.lstrip(): a copy of a long line)
                if held is not None:  # (another document: the broken first is one record of several)
                    yield from gathered()
                for k, unit in enumerate(document_units(doc, records_path, _DOCUMENT_UNIT, first_line=line, columns=False)):
                    if isinstance(unit, RawRecords) and unit.bad is None and unit.lines is not None:
                        if held is not None:  # (documents one after another on the line)
                            yield from gathered()
                        raws.extend(unit.raws)
                        lines.extend(unit.lines)
                        # (a document's records come a unit of _DOCUMENT_UNIT at a time: the k-th's first is its k * _DOCUMENT_UNIT-th)
                        cols.append(unit.cols if unit.cols is not None else (doc, k * _DOCUMENT_UNIT) if k else doc)
                        ends.append(len(raws))
                        if len(raws) >= chunk_records:
                            yield from gathered()
                    else:  # (a document without records: one record, in its place)
                        yield from gathered()
                        if isinstance(unit, BrokenDocument) and not seen:
                            held = unit
                        else:
                            yield replace(unit, one_record=True) if isinstance(unit, BrokenDocument) else unit
                    seen = True
                seen = True  # (a document of no records too)
            line += 1
        if chunk.data[-1:] == b"\n":
            line -= 1  # the split's last, empty piece is no line
        if raws:
            yield from gathered()
    if held is not None:
        yield held  # the only document, broken: the input's fault


def _blank_lines(data: bytes) -> int:
    """Lines before the first non-blank byte (found, not stripped: no copy of a large document)."""
    first = _NON_BLANK.search(data)
    return data.count(b"\n", 0, len(data) if first is None else first.start())


def _tolerant(decode: Callable[[bytes], Any], data: bytes) -> tuple[Any, bytes]:
    """``decode(data)``, and the text decoded: ``data``, or when msgspec refuses it for an
    unpaired surrogate escape (which Go reads as U+FFFD), a copy with each written
    ``\\ufffd`` (the same length: every record where it was; take them from ``data``
    with :func:`_as_sent`). The copy is made only after a refusal: no cost otherwise."""
    try:
        return decode(data), data
    except (msgspec.DecodeError, ValueError):
        fixed = same_length_escapes(data) if b"\\u" in data else data
        if fixed is data:
            raise
    return decode(fixed), fixed


_DECODE_RAWS = msgspec.json.Decoder(list[msgspec.Raw])


def _as_sent(data: bytes, fixed: bytes, texts: list[bytes], start: int = 0) -> list[bytes]:
    """``texts`` (found in order in ``fixed`` from ``start``) as they stand in ``data``: the
    two are the same length and differ only where an escape was rewritten."""
    out, pos = [], start
    for text in texts:
        at = fixed.find(text, pos)
        out.append(data[at : at + len(text)])
        pos = at + len(text)
    return out


def _offset_in(data: bytes, raw: msgspec.Raw) -> int:
    """Where ``raw`` (decoded from ``data``) starts in it: msgspec's Raw is a view into the
    decoded buffer, so the distance of their addresses; 0 when it is not (a copy)."""
    at = np.frombuffer(raw, dtype=np.uint8).ctypes.data - np.frombuffer(data, dtype=np.uint8).ctypes.data
    return at if 0 <= at < len(data) and data.startswith(bytes(raw), at) else 0


@functools.lru_cache(maxsize=64)  # (made once per path, not once per document of NDJSON)
def _records_decoder(keys: tuple[str, ...]) -> Callable[[bytes], list[msgspec.Raw] | None]:
    """A function decoding a document into the raw records of the array at ``keys``, a key
    given twice on the way counting by its last value, as Go's decoder keeps it (see
    :func:`_struct_records_decoder`, which refuses an earlier value that does not fit); None
    when the value at ``keys`` is null (no records, as Go's decoder reads null into a slice)."""
    struct = _struct_records_decoder(keys)

    def decode(data: bytes) -> list[msgspec.Raw] | None:
        try:
            return struct(data)
        except msgspec.ValidationError:
            found = _last_members(data, keys)
            if found is None and not _is_utf8(data):  # (a key of invalid UTF-8, which msgspec refuses: read as Go's U+FFFD)
                if _shallow_null(data, keys):
                    return None
                found = _shallow_records(data, keys)  # type: ignore[assignment]
            if found is None:
                raise
            return None if found is _NULL_RECORDS else found

    return decode


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8 (asked of a document the records path was not found in only)."""
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_DECODE_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])


def _last_members(data: bytes, keys: tuple[str, ...]) -> list[msgspec.Raw] | None:
    """The raw records of the array at ``keys`` read an object at a time, each key's last value
    counting (``{"aircraft": 5, "aircraft": [...]}``, ``{"d": {}, "d": {"aircraft": [...]}}``: the
    array, where the nested Structs refused the first); None when there is none
    (:data:`_NULL_RECORDS` when the last value is null). For a document the Structs refused
    only: it costs a decoding per key."""
    value: Any = data
    try:
        for key in keys:
            members = _DECODE_MEMBERS.decode(value)
            if key not in members:
                return None
            value = members[key]
        found = _DECODE_NULLABLE_RAWS.decode(value)
    except msgspec.DecodeError:
        return None
    return _NULL_RECORDS if found is None else found


#: What :func:`_last_members` finds at a path whose value is null (no records).
_NULL_RECORDS: list[msgspec.Raw] = []
_DECODE_NULLABLE_RAWS = msgspec.json.Decoder(Optional[list[msgspec.Raw]])


def null_records_notice(keys: tuple[str, ...]) -> Notice:
    """The notice of documents whose value at the records path ``keys`` is null: no records, as
    ``[]`` (said once however many there are); its :attr:`Notice.at` is the path as the note writes it."""
    path = _path_text(keys)
    message = (
        f"documents holding null at `{path}` give no records, as `[]` does: Go's decoder reads null into an array as an empty one "
        "(and Go's encoder writes an empty slice, a nil one, as null)"
    )
    return Notice(message, if_failed=False, kind="null_records", at=path)


def _struct_records_decoder(keys: tuple[str, ...]) -> Callable[[bytes], list[msgspec.Raw] | None]:
    """A function decoding a document into the raw records of the array at ``keys`` (None: the
    value there is null, see :func:`null_records_notice`).

    Nested Structs take the keys (any other key is skipped, not decoded); msgspec cannot
    name a field after a key holding ``\\``, ``"`` or a control character, so at such a
    key the object is read as raw values by key and the rest is decoded from its value.
    """
    cut = next((i for i, key in enumerate(keys) if not renameable(key)), len(keys))
    head = keys[:cut]
    if cut == len(keys):
        decoder = _path_decoder(head, Optional[list[msgspec.Raw]])

        def decode(data: bytes) -> list[msgspec.Raw] | None:
            raws = decoder.decode(data)
            for _key in head:
                raws = raws.f
            return raws  # type: ignore[no-any-return]  # (None: null at the path, see _NULL_RECORDS)

        return decode
    key, rest = keys[cut], _struct_records_decoder(keys[cut + 1 :])
    outer = _path_decoder(head, dict[str, msgspec.Raw])

    def decode_at_odd_key(data: bytes) -> list[msgspec.Raw] | None:
        values = outer.decode(data)
        for _key in head:
            values = values.f
        if key not in values:
            raise msgspec.ValidationError(f"Object missing required field `{key}`" + (f" - at `$.{'.'.join(head)}`" if head else ""))
        try:
            return rest(values[key])
        except msgspec.ValidationError as exc:  # said of the value at the key: said of the document
            where = "$." + ".".join((*head, key))
            text = str(exc)
            raise msgspec.ValidationError(text.replace(" - at `$", f" - at `{where}", 1) if " - at `$" in text else f"{text} - at `{where}`") from None

    return decode_at_odd_key


def _path_decoder(keys: tuple[str, ...], inner: Any) -> msgspec.json.Decoder[Any]:
    """A decoder taking ``inner`` at ``keys`` (nested Structs: any other key is skipped, not decoded)."""
    found = _PATH_DECODERS.get((keys, inner))
    if found is None:
        typ: Any = inner
        for key in reversed(keys):
            typ = msgspec.defstruct("RecordsAt", [("f", typ)], rename={"f": key})
        if len(_PATH_DECODERS) > 64:
            _PATH_DECODERS.clear()
        found = _PATH_DECODERS[(keys, inner)] = msgspec.json.Decoder(typ)
    return found


_PATH_DECODERS: dict[tuple[tuple[str, ...], Any], msgspec.json.Decoder[Any]] = {}


def _no_records(data: bytes, keys: tuple[str, ...], why: str, line: int) -> BrokenDocument:
    """A document without an array at the records path: why (as for a Python document), and where arrays of objects are."""
    try:
        doc = _DECODE_ANY.decode(data)
    except (msgspec.DecodeError, ValueError, RecursionError):  # (too deep to walk: what msgspec said, in mapper's words)
        reason, hint = _msgspec_path_reason(keys, why), ""
    else:
        reason, hint = _path_problem(doc, keys) or preview(why, 200), no_records_hint(doc, keys)
    return _failed_whole(DocumentFailure(f"no records at `{_path_text(keys)}`: {reason}", invalid=False), line, data, hint)


def lone_object_notice(data: bytes) -> Notice | None:
    """For an input that is one object on one line (one NDJSON record) holding arrays of objects:
    the note that names them (as for a document spread over lines), else None."""
    first = _NON_BLANK.search(data)  # (no copy of the data: this runs on every NDJSON input)
    if first is None or data[first.start() : first.start() + 1] != b"{":
        return None
    newline = data.find(b"\n", first.start())
    if newline >= 0 and _NON_BLANK.search(data, newline) is not None:
        return None  # more than one line
    if _ARRAY_OF_OBJECTS.search(data) is None:
        return None
    hint = _records_hint(data.strip(JSON_WS), mostly=True)
    return Notice(f"the input is one JSON object, mapped as one record; {hint}") if hint else None


def noticed(units: Iterable[NdjsonChunk | OversizedRecord]) -> Iterator[Unit]:
    """NDJSON ``units`` as they come, then :func:`lone_object_notice` of the input when it was
    one line (kept until the end only while it may be all of the input: a second line drops it)."""
    only: bytes | memoryview | None = None
    lines = 0  # non-blank chunks seen, up to 2 (chunks end at line ends: a line is never cut)
    for unit in units:
        if lines < 2 and (isinstance(unit, OversizedRecord) or not blank(unit.data)):
            lines += 1
            only = unit.data if lines == 1 and isinstance(unit, NdjsonChunk) else None
        yield unit
    if lines == 1 and only is not None:
        notice = lone_object_notice(bytes(only))
        if notice is not None:
            yield notice


_ARRAY_OF_OBJECTS = re.compile(rb"\[\s*\{")
#: The first character of a JSON value (what may follow another value as the next of several).
_VALUE_START_CHAR = re.compile(rb'[\[{"\-0-9tfn]')
_NON_BLANK = re.compile(rb"[^ \t\r\n]")


def blank(data: Any, start: int = 0, end: int | None = None) -> bool:
    """Whether ``data`` (bytes, a memoryview, an mmap) holds only blanks from ``start`` on
    (up to ``end``; stops at the first other byte: no copy, quick on any record)."""
    return (_NON_BLANK.search(data, start) if end is None else _NON_BLANK.search(data, start, end)) is None


def _records_hint(data: bytes, mostly: bool = False) -> str:
    """Which keys of a document hold arrays of objects (the likely records), as a ``records_path``
    suggestion (``mostly``: only when they hold most of it, see :func:`_hint_of`)."""
    try:
        doc = _DECODE_ANY.decode(data)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return ""
    return _hint_of(doc, mostly)


def record_arrays(doc: Any) -> list[tuple[tuple[str, ...], int]]:
    """Where a decoded document (or a Python one: any mapping, lists and tuples) holds arrays
    of objects, the likely records: each array's keys and length, the longest first."""
    found: list[tuple[tuple[str, ...], int]] = []

    def look(node: Any, prefix: tuple[str, ...], depth: int) -> None:
        if not isinstance(node, Mapping) or depth > 3:
            return
        for key, value in node.items():
            if not isinstance(key, str):
                continue
            path = (*prefix, key)
            if isinstance(value, (list, tuple)) and value and all(isinstance(v, Mapping) for v in value[:100]):
                found.append((path, len(value)))
            elif isinstance(value, Mapping):
                look(value, path, depth + 1)

    look(doc, (), 0)
    found.sort(key=lambda kv: -kv[1])
    return found


def _values_in(node: Any) -> int:
    """How many values (scalars, empty arrays and objects) a decoded document holds, counted without recursion."""
    count, stack = 0, [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping) and item:
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) and item:
            stack.extend(item)
        else:
            count += 1
    return count


#: How the hint that names a document's arrays of objects as its likely records begins (:func:`_hint_of`):
#: a report whose notes hold it has said why its records miss the sink's paths (commands.note_unmatched).
ARRAYS_AT = "arrays of objects are at "


def record_arrays_text(found: list[tuple[tuple[str, ...], int]]) -> str:
    """The first of :func:`record_arrays` as the hints name them: ```statuses` (100 objects), ...``
    (keys quoted where a path needs it: ``meta."a.b"``; a path longer than :data:`HINT_PATH_LENGTH`
    cut, saying its length, as other messages quote what the user gave)."""
    return ", ".join(f"`{preview(to_dot_notation(_keys_as_sent(path)), HINT_PATH_LENGTH)}` ({n:,} object{'' if n == 1 else 's'})" for path, n in found[:5])


#: The most of a records path a hint quotes (:func:`record_arrays_text`; a document's key of
#: 100,000 characters made a 300 KB message, quoted whole three times).
HINT_PATH_LENGTH = 200


def _keys_as_sent(path: tuple[str, ...]) -> tuple[str, ...]:
    """A Python document's keys as their JSON text arrives (a surrogate pair the character it makes, as records_path finds it)."""
    return tuple(as_unescaped(k) if has_lone_surrogate(k) else k for k in path)


def document_hint(doc: Any) -> str:
    """For a record (a decoded or Python mapping) that looks like a document of records, its
    arrays of objects holding most of it: the ``--records-path`` suggestion; else ``""``."""
    return _hint_of(doc, mostly=True) if isinstance(doc, Mapping) else ""


#: How many of an NDJSON input's first records :func:`head_note` looks at (as ``mapper infer`` does).
HEAD_RECORDS = 3
#: The most of an input's start :func:`head_note` is given (a dump1090 snapshot is ~100 KB a line).
HEAD_BYTES = 4 << 20


def head_lines(data: bytes | memoryview, n: int = HEAD_RECORDS) -> list[bytes]:
    """The first ``n`` non-blank lines of ``data`` (a line cut by its end is left out); a UTF-8
    byte order mark opening it is no part of the first line (the records are read without it).
    Stripped here, not by the caller: ``data`` shortened by it was taken for a whole input, and
    a line cut at :data:`HEAD_BYTES` for a whole line."""
    out: list[bytes] = []
    view = bytes(data[:HEAD_BYTES])
    pos = len(BOM) if view.startswith(BOM) else 0
    while len(out) < n and pos < len(view):
        end = view.find(b"\n", pos)
        if end < 0:
            if len(data) >= HEAD_BYTES:  # (as kept by the caller: its last line may be cut)
                break  # cut: not a whole line
            end = len(view)
        line = view[pos:end].strip(JSON_WS)
        if line:
            out.append(line)
        pos = end + 1
    return out


def documents_note(looked: int, records: int, hint: str) -> str:
    """The note on an input whose first ``looked`` records of ``records`` each look like a
    document holding the records (``hint``: :func:`document_hint`'s), as validate and infer say it."""
    first = "the only record" if records == 1 else f"each of the first {looked} records" if looked < records else "each record"
    return f"{first} read looks like a document holding the records; {hint}"


def head_note(lines: list[bytes], records: int, arrays: bool, file: str | os.PathLike[Any] | None = None) -> str:
    """Why an NDJSON input read without ``records_path`` was refused, from its first records
    (``lines``: :func:`head_lines`), or ``""``. Only asked when records failed, so that valid
    input pays nothing.

    - each is a document holding the records (a dump1090 snapshot a line): the note
      ``mapper infer`` gives, naming the ``--records-path`` (a note only: records that each
      hold many objects, an order and its line items, look the same and are records);
    - ``arrays`` (most refused records are not objects) and each is an array of objects:
      each line holds records, which ``jq -c '.[]'`` puts one a line;
    - ``arrays`` and the first is an array of distinct names, the others arrays of as many
      values: a header and its rows, which jq makes objects of.

    ``file``: the input's name, which the jq commands name (:func:`~mapper.errors.shell_file`;
    ``FILE`` without one).
    """
    if len(lines) < 2:  # one record: lone_object_notice's
        return ""
    try:
        docs = [_DECODE_ANY.decode(line) for line in lines]
    except (msgspec.DecodeError, ValueError, RecursionError):
        return ""
    hints = [document_hint(doc) for doc in docs]
    if all(hints):
        return documents_note(len(docs), records, body_as_record(file) if hints[0] == BODY_AS_RECORD else hints[0])
    if arrays and all(isinstance(doc, list) and doc and all(isinstance(v, dict) for v in doc[:100]) for doc in docs):
        return arrays_note(len(docs), records, file)
    if arrays and _header_and_rows(docs):
        return header_note(len(docs[0]), file)
    return ""


def _header_and_rows(docs: list[Any]) -> bool:
    """Whether the first lines are a header (an array of distinct non-empty names) and rows
    (arrays of as many values, not all of them strings), as CSV-like NDJSON (simdjson's ``amazon_cellphones.ndjson``) is."""
    head = docs[0]
    if not (isinstance(head, list) and head and all(isinstance(name, str) and name for name in head) and len(set(head)) == len(head)):
        return False
    rows = docs[1:]
    if not all(isinstance(row, list) and len(row) == len(head) for row in rows):
        return False
    # rows that hold only strings, as the first line does, are lines of one kind (pairs of a tag
    # and its value), no header and its rows: a header's rows hold a number, null or bool somewhere
    return not all(isinstance(v, str) for row in rows for v in row)


def header_note(names: int, file: str | os.PathLike[Any] | None = None) -> str:
    """The note on NDJSON whose first line is a header of ``names`` names and whose next lines
    are rows of as many values (:func:`head_note`), with the jq that makes each row a record
    (of ``file``, shell-quoted; ``FILE`` without a name)."""
    rows = text_command("jq -c -n 'input as $h | inputs | [$h, .] | transpose | map({(.[0]): .[1]}) | add'", file)
    return (
        f"the first line is an array of {names} names and the lines after it arrays of {names} values, a header and its rows,"
        f" not records: make each row an object (`{rows}`, NDJSON of records)"
        " and give that instead"
    )


def arrays_note(looked: int, records: int, file: str | os.PathLike[Any] | None = None) -> str:
    """The note on NDJSON whose first ``looked`` lines of ``records`` each hold an array of
    objects (:func:`head_note`): each line is one record that is no object, and the objects in
    it are likely the records, which ``jq -c '.[]'`` puts one a line (as validate and infer say it;
    of ``file``, shell-quoted, ``FILE`` without a name)."""
    line = f"each of the first {looked} lines" if records > looked else "each line"
    elements = text_command("jq -c '.[]'", file)
    return (
        f"{line} holds a JSON array of objects, not one record: if those are the records, put them one a line"
        f" (`{elements}`, NDJSON of records) and give that instead"
    )


def mistyped_paths_notes(lines: list[bytes], records: int, columns: Sequence[tuple[str, tuple[str, ...]]]) -> list[str]:
    """The notes on columns (``columns``: name and keys) whose path none of an NDJSON input's
    first records (``lines``: :func:`head_lines`; ``records``: how many it holds) holds, while
    they hold one a near miss away (a key's case or spelling, a dot path written as one key):
    under ``allow_missing_fields: true`` such a column is empty in every record without an
    error, and under false its "missing" errors did not say what the records hold. Read from
    the first lines only, after a run: a run pays nothing for it."""
    docs = []
    for line in lines:
        try:
            doc = _DECODE_ANY.decode(line)
        except (msgspec.DecodeError, ValueError, RecursionError):
            continue
        if isinstance(doc, dict):
            docs.append(doc)
    if not docs:
        return []
    mapped = {keys for _name, keys in columns}
    which = "no record holds" if records <= len(docs) else f"none of the first {len(docs)} records holds"
    notes = []
    for name, keys in columns:
        if not keys or any(_holds(doc, keys) for doc in docs):
            continue
        near = next((found for doc in docs if (found := _near_path(doc, keys))), None)
        if near is not None and near not in mapped:  # (another column's path is no typo of this one's)
            said = escape_controls(
                f"{name}: {which} its path {json.dumps(list(keys), ensure_ascii=False)}; they hold {json.dumps(list(near), ensure_ascii=False)}"
            )
            notes.append(f"{said} (is the path mistyped?)")
    return notes


def _holds(doc: Any, keys: Sequence[str]) -> bool:
    for key in keys:
        if not isinstance(doc, dict) or key not in doc:
            return False
        doc = doc[key]
    return True


def _near_path(doc: Any, keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """The path of ``doc`` a near miss away from ``keys`` that ``doc`` does not hold: each key
    absent taken as the one of its object alike but for case or (a key of 4 characters or more) a
    typo (:func:`_typo_apart`), or, holding dots, as the keys they separate; None if there is none."""
    out: list[str] = []
    for i, key in enumerate(keys):
        if not isinstance(doc, dict):
            return None
        if key in doc:
            out.append(key)
            doc = doc[key]
            continue
        if "." in key and (split := _near_path(doc, tuple(key.split(".")) + keys[i + 1 :])) is not None:
            return (*out, *split)
        names = [k for k in doc if isinstance(k, str)]
        folded = key.casefold()
        alike = [k for k in names if k.casefold() == folded]
        if not alike and len(key) >= 4:  # (short keys are near one another: d18 and d1 are two columns, not a typo)
            alike = [k for k in names if _typo_apart(folded, k.casefold())]
        if not alike:
            return None
        out.append(alike[0])
        doc = doc[alike[0]]
    return tuple(out)


def _typo_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are one typo apart: a letter left out, added or another, or two
    side by side swapped (``lattitude``, ``timestmap``). Not a key another extends or shortens
    by more (``workflow`` and ``workflow_run``, ``branch`` and ``branches``, ``merged`` and
    ``merged_at``): records of one kind lack another kind's keys beside their own, and
    difflib's ratio (0.8) called each such pair a mistyped path."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differ = [i for i in range(len(a)) if a[i] != b[i]]
        return len(differ) == 1 or (len(differ) == 2 and differ[1] == differ[0] + 1 and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((i for i in range(len(short)) if short[i] != long[i]), len(short))
    return short[i:] == long[i + 1 :]


class FirstLines:
    """The first lines of an NDJSON input, kept as its units go by (:meth:`see`: at most
    :data:`HEAD_BYTES`, past :data:`HEAD_RECORDS` lines no more) to explain its records if they
    fail (:func:`explain_failures`), for an input that cannot be read again (a stream, standard
    input). Nothing is kept once a unit is no NDJSON (a document read whole), nor when ``keep``
    is False (an input read with a records path: its records are its documents' own).
    ``mapper send``, which reads NDJSON line by line, keeps them here too (:meth:`take`)."""

    __slots__ = ("head", "keep")

    def __init__(self, keep: bool = True):
        self.head = bytearray()
        self.keep = keep

    def see(self, unit: Unit) -> None:
        if self.keep:  # (the first units only: never the hot path)
            self.keep = isinstance(unit, NdjsonChunk)
            if self.keep:
                self.take(unit.data)  # type: ignore[union-attr]

    def take(self, data: bytes | bytearray | memoryview) -> None:
        """Keep ``data``, the input's next bytes, while its first lines are not all kept (``mapper
        send`` hands them over line by line)."""
        if self.keep:
            self.head += data[: HEAD_BYTES - len(self.head)]
            self.keep = len(self.head) < HEAD_BYTES and self.head.count(b"\n") <= HEAD_RECORDS


def unexplained(report: Report, options: MapOptions) -> bool:
    """Whether records of an input read without a records path failed and no note says why yet:
    then its first lines are worth reading (again) for :func:`explain_failures`."""
    return bool(report.failed_records) and not report.notes and options.records_path is None


def explain_failures(report: Report, head: bytes | bytearray | memoryview, file: str | os.PathLike[Any] | None = None) -> None:
    """Add to ``report`` the note on why its records failed, if the first lines of its NDJSON
    input (``head``, at most :data:`HEAD_BYTES`) show it and no note says why yet
    (:func:`input_note`). Valid input pays nothing: asked only when records failed. The one
    home of these notes, for the command line and the API (an input read with
    ``records_path`` has its records: its caller asks not)."""
    if not report.failed_records or report.notes:
        return
    note = input_note(head, report.records, report.failed_records, report.error_counts.get((None, "not_an_object"), 0), file)
    if note:
        report.notes.append(note)


def input_note(head: bytes | bytearray | memoryview, records: int, failed: int, not_objects: int, file: str | os.PathLike[Any] | None = None) -> str:
    """Why ``failed`` of the ``records`` of an NDJSON input failed (``not_objects`` of them being
    no JSON objects), from its first bytes (``head``), or ``""``: text in UTF-16 or UTF-32
    (:func:`encoding_note`), or its lines' layout (:func:`head_note`). As validate, map,
    the API and infer say it."""
    head = bytes(head[:HEAD_BYTES])
    # (a UTF-8 byte order mark is not the first line's: head_lines reads the lines without it)
    lines = head_lines(head)
    return (
        encoding_note(head, file=file)
        or (binary_note(head, file=file) if failed == records else "")
        or spread_note(head)
        or head_note(lines, records, 2 * not_objects > failed, file)
        or csv_note(lines)
    )


#: What :func:`spread_note` says.
SPREAD_NOTE = (
    "the input is JSON spread over lines (a pretty-printed document, or values one after another), which"
    " --input-format ndjson reads a line at a time, each line a record: leave --input-format out (the format is"
    " then told from the content) or say --input-format json (input_format='json')"
)


def spread_note(head: bytes) -> str:
    """The note on an input read as NDJSON whose first bytes (``head``) are JSON spread over lines,
    which the format told from the content is not (``--input-format ndjson`` given: each line of a
    pretty-printed document refused as invalid JSON, unsaid why), else ``""``. Asked of inputs read
    as NDJSON alone, so ``auto`` never gets it: it told NDJSON from these same bytes."""
    return SPREAD_NOTE if format_of(head) == "json" else ""


_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def csv_note(lines: list[bytes]) -> str:
    """The note on an input whose first ``lines`` (:func:`head_lines`) are CSV (or TSV): a header
    of distinct names, not JSON, and rows of as many fields (each line was refused as invalid JSON,
    "invalid character at char 1", and the rows' commas were said to be an array's); else ``""``."""
    if len(lines) < 2 or lines[0][:1] in (b"{", b"["):
        return ""
    try:
        texts = [line.decode("utf-8") for line in lines]
    except UnicodeDecodeError:
        return ""
    for delimiter, kind in ((",", "CSV"), ("\t", "TSV")):
        try:
            rows = list(csv.reader(texts, delimiter=delimiter))
        except csv.Error:  # (a field past the csv module's limit, 128 KiB: its error escaped as a traceback; no note then)
            continue
        header = rows[0]
        if len(header) < 2 or any(len(row) != len(header) for row in rows) or len(set(header)) < len(header):
            continue
        if not all(n.strip() and not _NUMBER.fullmatch(n.strip()) for n in header):
            continue  # (rows without a header are not told to have one)
        shown = escape_controls(texts[0] if len(texts[0]) <= 80 else texts[0][:77] + "...")
        return (
            f"the input looks like {kind} (a header of {len(header)} names, `{shown}`, then rows of as many values), not JSON records:"
            " make each row a JSON object, one a line (NDJSON), and give that instead"
        )
    return ""


def _hint_of(doc: Any, mostly: bool = False) -> str:
    """:func:`_records_hint` of a decoded document (or a Python one: any mapping, lists and tuples).

    ``mostly``: only if the arrays of objects hold at least two thirds of the document's
    values, as a feed's envelope does (dump1090's ``aircraft``, a search API's ``statuses``:
    all but a few of them). A record that merely holds a few arrays of objects (a GitHub
    webhook payload's ``issue.labels``, ``workflow_job.steps``: at most a third of its
    values) is a record, and saying otherwise made ``mapper infer`` call a directory of
    such payloads, one a file, documents it cannot stand on.
    """
    if _sink_like(doc):  # (its definition's entries are arrays of objects, but no records)
        return SINK_AS_RECORDS
    if is_body(doc) and go_member(doc, "records"):  # (its items' values are the records, which no records path reads)
        return BODY_AS_RECORD
    found = record_arrays(doc)
    if not found:
        return ""
    if mostly and 3 * sum(_values_in(_at(doc, path)) for path, _n in found) < 2 * _values_in(doc):
        return ""
    keys = record_arrays_text(found)
    best = to_dot_notation(_keys_as_sent(found[0][0]))
    # (a path too long to give whole, its middle left out, saying so: the command was left out, "give the first one's path")
    said = option_text("--records-path", best, HINT_PATH_LENGTH)
    return f"{ARRAYS_AT}{keys}: if those are the records, use {said} (records_path={elided(best, HINT_PATH_LENGTH)})"


#: What a document that is a sink definition, given where the records go, is told (:func:`_hint_of`).
SINK_AS_RECORDS = "it is a sink definition (the POST /v1/sinks body), not records: the sink comes first, then the records (mapper validate SINK RECORDS)"


def body_as_record(file: str | os.PathLike[Any] | None = None) -> str:
    """What a document that is the endpoint's request body, one of several, is told (bodies one a
    line: an input of one body is read as one): its records are its items' values, which no
    records path gives; the jq that gives them names ``file`` (shell-quoted; ``FILE`` without a name)."""
    values = text_command("jq -c '.records[].value'", file)
    return (
        'it is an endpoint request body ({"records": [{"value": {...}}]}), whose records are the values of its items: '
        f"an input of one body is read as one; for bodies one a line, put their records one a line (`{values}`) and give that instead"
    )


#: :func:`body_as_record` where no file is named (:func:`_hint_of`'s, which :func:`head_note` names the file in).
BODY_AS_RECORD = body_as_record()


def _sink_like(doc: Any) -> bool:
    """Whether a document is a sink definition: the POST /v1/sinks body, its schema, or a UI table mapping."""
    if not isinstance(doc, Mapping):
        return False
    schema = doc.get("schema")
    held = schema if isinstance(schema, Mapping) else doc
    if isinstance(held.get("definition"), list) and any(k in held for k in ("id_field", "primary_key_fields", "allow_missing_fields")):
        return True
    return isinstance(doc.get("table"), str) and isinstance(doc.get("mapping"), Mapping)


#: What a text or Python object that is no request body is said to be not.
_NOT_A_BODY = 'not an endpoint request body {"records": [{"value": {...}}]}'


def _body_reason(why: str) -> str:
    """msgspec's error ``why`` on JSON that is no request body (``Expected `array | null`, got `int`
    - at `$.records` ``), in mapper's words (as :func:`_object_body` says it of a Python body); its
    own text, cut, when it is none of those."""
    shape = _msgspec_shape(why)  # (the body decoder's struct: an object holding an array (or null) at `records`)
    if shape is not None:
        kind, at = shape.kind, shape.at
        if kind is None and shape.key == "records" and at == "$":
            return "no key `records`"
        if kind is not None and at == "$":
            return _body_kind_reason(kind)
        if kind is not None and at.startswith("$."):
            return _records_kind_reason(at[2:], kind)
    return preview(why, 200)


def _body_kind_reason(kind: str) -> str:
    return f"the body is {_kind_words(kind)}, not an object"


def _records_kind_reason(key: str, kind: str) -> str:
    """Why a body's ``records`` (so spelled: Go matches its name as ``records`` in any case) holds no items."""
    return f"the value at `{_path_text((key,))}` is {_kind_words(kind)}, not an array of items"


def endpoint_units(data: bytes, chunk_records: int = 512) -> Iterator[Unit]:
    """The endpoint's request body ``{"records": [{"value": {...}}, ...]}``.

    An unpaired surrogate escape (``"\\ud800"``), which msgspec refuses and Go reads as
    U+FFFD, is read as ``"\\ufffd"`` (the same length: the records keep their places).
    """
    try:
        records, fixed = _request_items(data)
    except msgspec.ValidationError as exc:
        yield _not_a_body(data, str(exc))
        return
    except (msgspec.DecodeError, ValueError) as exc:
        yield _broken(data, exc, "the request body")
        return
    except RecursionError:
        yield _deep_fault(data) or _failed_whole(DocumentFailure("the request body is nested too deeply"), None, data)
        return
    huge = _huge_number_in(fixed)
    if huge is not None:
        yield huge
        return
    if not records and _body_null(fixed):  # (null: no records, as Go reads it; said, as of a --records-path document)
        yield null_records_notice(("records",))
        return
    items = [bytes(r) for r in records]
    # items holding a rewritten escape: their values are taken as sent (the careful path warns)
    sent = {}
    if fixed is not data and items:
        for k, (item, original) in enumerate(zip(items, _as_sent(data, fixed, items, _offset_in(fixed, records[0])))):
            if original != item:
                sent[k] = original
    newlines = _Newlines(fixed)  # one index of the body's lines for all its parts
    chars = LineChars(fixed, newlines)
    for i in range(0, len(items), chunk_records):
        part = items[i : i + chunk_records]
        raws: list[bytes] = []
        bad: dict[int, str] = {}
        try:
            raws = [bytes(value) for value in _item_values(b"[" + b",".join(part) + b"]")]
        except (msgspec.DecodeError, ValueError, RecursionError):
            for j, text in enumerate(part):  # some item is not {"value": ...}: find which
                try:
                    # (tolerant: an item read without the body's rewrite, below, may hold a lone surrogate)
                    value, fixed_item = _tolerant(_item_value, text)
                    at = _offset_in(fixed_item, value)
                    raws.append(text[at : at + len(value)])
                except RecursionError:  # its value nested too deeply: the value, to fail on its own
                    span = _shallow_member(text, 0, len(text), "value", go=True)
                    if span is None:
                        raws.append(text)
                        bad[j] = _item_problem(text)
                    else:
                        raws.append(text[span[0] : span[1]])
                except (msgspec.DecodeError, ValueError):
                    raws.append(sent.get(i + j, text))
                    bad[j] = _item_problem(text)
        for k in (k for k in sent if i <= k < i + len(part) and k - i not in bad):
            value = _item_value(items[k])  # a view into the item's text: where the value stands in it
            at = _offset_in(items[k], value)
            raws[k - i] = sent[k][at : at + len(value)]
        for j, raw in enumerate(raws):
            if not raw and j not in bad:  # no "value": the item's own text is what its dead letter keeps
                raws[j] = sent.get(i + j, part[j])
                bad[j] = not_an_item_reason(None)
        body = BodyLines(fixed, records, i, len(part), newlines, raws)
        yield RawRecords(raws, body, bad or None, RecordColumns(chars, body=body))


#: Reads a JSON text whole, its syntax checked (Raw: no value built, no string's UTF-8 nor number's range judged, as Go's
#: scanner judges neither).
_DECODE_RAW = msgspec.json.Decoder(msgspec.Raw)


def _not_a_body(data: bytes, why: str) -> BrokenDocument:
    """A request body the body decoder refused for its shape (``why``: msgspec's words), said as Go's decoder finds its faults:
    its text read whole first (a syntax error past where the shape was found wanting: ``[1,}``, ``1 2``), then a number
    beyond float64 anywhere (``{"records": 1e400}``, ``{"x": <400 digits>}``), then the shape (``no key `records```); never
    msgspec's words (``Number out of range - at `$.records```). Only on this path: no cost to a body that is one."""
    try:
        _tolerant(_DECODE_RAW.decode, data)
    except (msgspec.DecodeError, ValueError) as exc:
        return _broken(data, exc, "the request body")
    except RecursionError:  # (nested deeper than the decoder reads: its fault found another way, else its shape and numbers said)
        fault = _deep_fault(data)
        if fault is not None:
            return fault
    huge = _huge_number_in(data)
    if huge is not None:
        return huge
    return _failed_whole(DocumentFailure(f"{_NOT_A_BODY}: {_body_reason(why)}"), 1, data)


def _deep_fault(data: bytes) -> BrokenDocument | None:
    """The first syntax fault of a request body nested deeper than msgspec reads (its RecursionError), which Go's decoder
    finds before anything else: cut short (``[`` 1,000 times: it was said for its shape, or "nested too deeply", where
    Go says "unexpected end of JSON input"), or a character that cannot continue it, found by :func:`_scan_fault` and said
    as :func:`_broken` says msgspec's finding. None when the text is JSON (the caller's words stand). Only on this error path."""
    found = _scan_fault(data)
    return None if found is None else _broken(data, msgspec.DecodeError(found), "the request body")


_BLANK_RUN = re.compile(rb"[ \t\r\n]*")
#: A JSON string's characters, up to its closing quote (or the first byte that cannot stand in it: where the string fails).
_STRING_BODY = re.compile(rb'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*')
_SCALAR = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")


def _scan_fault(data: bytes) -> str | None:
    """Where a JSON text first fails, as Go's scanner reads it (a loop with a stack of its own: any depth), in msgspec's
    words for it (``JSON is malformed: invalid character (byte 903)``, ``Input data was truncated``); None when it is JSON,
    or nests past :data:`GO_DEPTH` levels before any fault (Go's scanner refuses it for that first)."""
    stack = bytearray()
    want = "value"  # value, first (a value or ']'), key, first key (a key or '}'), colon, next (',' or the close), end
    pos, n = 0, len(data)
    while True:
        pos = _BLANK_RUN.match(data, pos).end()  # type: ignore[union-attr]  # (matches the empty string)
        if pos >= n:
            return None if want == "end" else "Input data was truncated"
        c = data[pos]
        if want == "end":
            return f"JSON is malformed: trailing characters (byte {pos})"
        if want == "colon" or want == "next":
            close = 93 if stack[-1] == 91 else 125
            if want == "colon" and c == 58:  # :
                want = "value"
            elif want == "next" and c == 44:  # ,
                want = "value" if stack[-1] == 91 else "key"
            elif want == "next" and c == close:
                stack.pop()
                want = "next" if stack else "end"
            else:
                return f"JSON is malformed: invalid character (byte {pos})"
            pos += 1
            continue
        if (want == "first" and c == 93) or (want == "first key" and c == 125):
            stack.pop()
            pos += 1
            want = "next" if stack else "end"
            continue
        if want in ("value", "first") and c in (91, 123):
            if len(stack) >= GO_DEPTH:
                return None  # (Go's scanner stops here, "exceeded max depth": the caller's "nested too deeply" stands)
            stack.append(c)
            pos += 1
            want = "first" if c == 91 else "first key"
            continue
        if c == 34:  # a string
            m = _STRING_BODY.match(data, pos)
            end = m.end()  # type: ignore[union-attr]
            if end >= n:
                return "Input data was truncated"
            if data[end] != 34:
                return f"JSON is malformed: {'invalid escaped character' if data[end] == 92 else 'invalid character'} (byte {end + (data[end] == 92)})"
            pos = end + 1
            want = "colon" if want in ("key", "first key") else ("next" if stack else "end")
            continue
        m = _SCALAR.match(data, pos) if want in ("value", "first") else None
        if m is None:
            return f"JSON is malformed: invalid character (byte {pos})"
        pos = m.end()
        want = "next" if stack else "end"


def _huge_number_in(body: bytes) -> BrokenDocument | None:
    """A request body holding a number beyond float64, anywhere (a field nobody maps too), as
    the service answers it: its decoder (Go's) refuses the whole body, 400 ``InvalidBody``, as
    ``mapper serve`` does; the engine's decoders never read an unmapped value. One
    ``orjson.loads`` of the body when it holds none."""
    found = huge_number_in(body)
    if found is None:
        return None
    reason, line = huge_number_said(body, found)
    return _failed_whole(DocumentFailure(f"{reason}: the service's decoder refuses the whole body"), line, body)


def huge_number_said(body: bytes, found: tuple[list[str | int], int, str]) -> tuple[str, int]:
    """What and where a body's number beyond float64 is (``found``: :func:`~mapper.engine.gojson.huge_number_in`'s), and its
    line: ``the request body's number 1e400 is beyond the float64 range ... (at $.x, line 1, char 22)``, the one wording of an
    ingest body's answer and of the web UI's own requests (:func:`mapper.endpoint.not_json_said`)."""
    keys, offset, number = found
    line, char = line_of(body, offset)
    return f"the request body's {beyond_float64_reason(preview(number))} (at {json_path(keys)}, line {line}, char {char})", line


_KIND_BY_FIRST = {ord("["): "array", ord('"'): "str", ord("t"): "bool", ord("f"): "bool", ord("n"): "null", ord("{"): "object"}


def _item_problem(text: bytes) -> str:
    """Why a request body item (its text) gives no record, worded as for a Python one
    (:func:`~mapper.report.not_an_item_reason`): an object, or ``null`` (Go decodes it into
    the item as nothing, as it does ``{}``), has no ``value``; any other value is not an object."""
    kind = _json_kind(text)
    return not_an_item_reason(None if kind in ("object", "null") else kind)


def _json_kind(text: bytes) -> str:
    """The JSON type of a value's text (no leading whitespace), named as :func:`~mapper.errors.type_name` names a decoded one."""
    kind = _KIND_BY_FIRST.get(text[0]) if text else None
    if kind is not None:
        return kind
    return "float" if any(c in text for c in b".eE") else "int"


class BodyLines(Sequence[Union[int, None]]):
    """The line each record of a request body starts on (where its ``"value"`` starts), as a
    sequence worked out per record when asked: the records an error, a warning or a dead
    letter names, and those the careful path maps one by one (a run of two records or
    fewer), are looked up; a line for every record cost twice the mapping. A body on one
    line: 1 for each.

    ``items``: the body's items as views into ``data`` (msgspec ``Raw``, or memoryviews;
    ``data`` as decoded: a rewrite of escapes keeps every byte's place); ``start``/``n``:
    this part of them; ``newlines``: the body's, shared by all its parts (found once);
    ``values``: this part's records' texts (their lengths: a ``"value"`` at an item's start is
    the record only if the item ends with it, as the last of a key given twice is read). An
    item that is not a view has no line (None: the decoders' items always are).
    """

    __slots__ = ("data", "items", "start", "n", "_newlines", "values")

    def __init__(self, data: bytes, items: Sequence[Any], start: int, n: int, newlines: _Newlines | None = None, values: Sequence[bytes] = ()):
        self.data, self.items, self.start, self.n = data, items, start, n
        self._newlines = _Newlines(data) if newlines is None else newlines
        self.values = values

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> int | None: ...

    @overload
    def __getitem__(self, i: slice) -> BodyLines: ...

    def __getitem__(self, i: int | slice) -> int | None | BodyLines:
        if isinstance(i, slice):
            a, b, step = i.indices(self.n)
            if step != 1:
                raise ValueError("a request body's lines are sliced in order, one by one")
            return BodyLines(self.data, self.items, self.start + a, max(0, b - a), self._newlines, self.values[a:b])
        if not -self.n <= i < self.n:
            raise IndexError(i)
        newlines = self._newlines.offsets()
        if not len(newlines):
            return 1
        at = self.offset(i)
        return None if at < 0 else 1 + int(np.searchsorted(newlines, at))

    def offset(self, i: int) -> int:
        """Where record ``i`` (its ``"value"``) starts in the body; -1: unknown."""
        i = i % self.n
        data = self.data
        item = self.items[self.start + i]
        at = _offset_in(data, item)
        if at <= 0:
            return -1
        found = _VALUE_KEY.match(data, at)  # the value is the item's only member, as the endpoint's producers write it
        if found is not None and i < len(self.values) and _ITEM_END.fullmatch(data, found.end() + len(self.values[i]), at + len(item)):
            at = found.end()
        else:  # elsewhere in the item: where its decoded value stands (the body's rewrite of an escape keeps lengths)
            try:
                value, text = _tolerant(_item_value, bytes(item))
                at += _offset_in(text, value)  # (0: not a view)
            except (msgspec.DecodeError, ValueError, RecursionError):
                pass
        return at


class LineChars:
    """The characters before a byte of a text on its line, as an error's ``char`` counts them
    (less one: as an editor shows them, each invalid UTF-8 byte one, Go's U+FFFD), ``column``
    more on the text's first line (the characters before the text there: a document after
    another on its line). Asked in order along a line, the characters between one byte and
    the next are counted, not each from the line's start (records on one long line)."""

    __slots__ = ("data", "newlines", "column", "_ascii", "_at", "_chars")

    def __init__(self, data: bytes, newlines: _Newlines | None = None, column: int = 0):
        self.data, self.column = data, column
        self.newlines = newlines  # (found when first asked: most texts' records name no char)
        self._ascii: bool | None = None
        self._at, self._chars = -1, 0  # (the last byte asked, and its characters from its line's start)

    def before(self, offset: int) -> int:
        if self.newlines is None:
            self.newlines = _Newlines(self.data)
        newlines = self.newlines.offsets()
        k = int(np.searchsorted(newlines, offset)) if len(newlines) else 0
        start = int(newlines[k - 1]) + 1 if k else 0
        base = 0 if k else self.column
        if self._ascii is None:
            self._ascii = self.data.isascii()
        if self._ascii:
            return base + offset - start
        at, chars = self._at, self._chars
        if not start <= at <= offset:
            at, chars = start, 0
        chars += len(self.data[at:offset].decode("utf-8", "mapper-go-replace"))
        self._at, self._chars = offset, chars
        return base + chars


class JoinedColumns(Sequence[int]):
    """The :class:`RecordColumns` (or lists) of several units' records as one sequence, part ``k``
    ending at record ``ends[k]``; a part may be a document on its line (and its first record's
    index in it, when not 0): its records' places are found when asked, by reading it again at
    ``records_path``. ``found``: the last document asked of, its records' offsets and its
    :class:`LineChars` (one list, shared by the units of one input: a document's records come
    in several, and each record's place is counted on from the one before, not from the line's
    start: found anew per record, 20,000 records of a document were quadratic, 29 s)."""

    __slots__ = ("parts", "ends", "records_path", "_found")

    def __init__(
        self,
        parts: Sequence[Sequence[int] | bytes | tuple[bytes, int]],
        ends: Sequence[int],
        records_path: tuple[str, ...] | None = None,
        found: list[Any] | None = None,
    ):
        self.parts, self.ends = list(parts), list(ends)
        self.records_path = records_path
        self._found: list[Any] = [None] if found is None else found  # ([(document, its records' offsets, its LineChars)])

    def __len__(self) -> int:
        return self.ends[-1] if self.ends else 0

    @overload
    def __getitem__(self, i: int) -> int: ...

    @overload
    def __getitem__(self, i: slice) -> JoinedColumns: ...

    def __getitem__(self, i: int | slice) -> int | JoinedColumns:
        if isinstance(i, slice):
            a, b, step = i.indices(len(self))
            if step != 1:
                raise ValueError("columns are sliced in order")
            pieces: list[Sequence[int] | bytes | tuple[bytes, int]] = []
            ends: list[int] = []
            start = 0
            for part, end in zip(self.parts, self.ends):
                if start < b and end > a:
                    lo, hi = max(a - start, 0), min(b, end) - start
                    if isinstance(part, (bytes, tuple)):
                        doc, first = (part, 0) if isinstance(part, bytes) else part
                        pieces.append((doc, first + lo))
                    else:
                        pieces.append(part[lo:hi])
                    ends.append((ends[-1] if ends else 0) + hi - lo)
                start = end
            return JoinedColumns(pieces, ends, self.records_path, self._found)
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        k = bisect.bisect_right(self.ends, i)
        part, j = self.parts[k], i - (self.ends[k - 1] if k else 0)
        if not isinstance(part, (bytes, tuple)):
            return part[j]
        doc, first = (part, 0) if isinstance(part, bytes) else part
        held = self._found[0]
        if held is None or held[0] is not doc:
            held = self._found[0] = doc, _record_offsets(doc, self.records_path), LineChars(doc)
        offsets = held[1]
        at = offsets[first + j] if first + j < len(offsets) else 0
        return held[2].before(at) if at > 0 else 0


def _record_offsets(doc: bytes, records_path: tuple[str, ...] | None) -> list[int]:
    """Where each record of a document starts in it (0: not found), as :func:`document_units` reads them."""
    raws: Any
    try:
        raws, fixed = _tolerant(_records_decoder(records_path) if records_path is not None else _DECODE_RAWS.decode, doc)
    except RecursionError:
        raws, fixed = _shallow_records(doc, records_path), doc
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
        return []
    return [_offset_in(fixed, raw) for raw in raws or ()]


class RecordColumns(Sequence[int]):
    """The characters before each record of a unit on the line it starts on (see
    :class:`LineChars`), worked out when asked: from ``offsets`` (each record's first byte,
    -1 unknown), the records' ``views`` into ``text``, or a request body's ``body`` lines."""

    __slots__ = ("chars", "offsets", "views", "text", "body")

    def __init__(
        self, chars: LineChars, offsets: Sequence[int] | None = None, views: Sequence[Any] | None = None, text: bytes = b"", body: BodyLines | None = None
    ):
        self.chars, self.offsets, self.views, self.text, self.body = chars, offsets, views, text, body

    def __len__(self) -> int:
        if self.offsets is not None:
            return len(self.offsets)
        if self.views is not None:
            return len(self.views)
        return len(self.body) if self.body is not None else 0

    @overload
    def __getitem__(self, i: int) -> int: ...

    @overload
    def __getitem__(self, i: slice) -> RecordColumns: ...

    def __getitem__(self, i: int | slice) -> int | RecordColumns:
        if isinstance(i, slice):
            return RecordColumns(
                self.chars,
                None if self.offsets is None else self.offsets[i],
                None if self.views is None else self.views[i],
                self.text,
                None if self.body is None else self.body[i],
            )
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        if self.offsets is not None:
            at = self.offsets[i]
        elif self.views is not None:
            at = _offset_in(self.text, self.views[i])  # (0: not a view; the text starts with no record)
        else:
            assert self.body is not None
            at = self.body.offset(i)
        return 0 if at <= 0 else self.chars.before(at)


class _Newlines:
    """Where a text's newlines are, found the first time they are asked for."""

    __slots__ = ("data", "_offsets")

    def __init__(self, data: bytes):
        self.data = data
        self._offsets: np.ndarray[Any, Any] | None = None

    def offsets(self) -> np.ndarray[Any, Any]:
        found = self._offsets
        if found is None:
            data = self.data
            found = self._offsets = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) if b"\n" in data else np.empty(0, np.int64)
        return found


#: ``{"value":`` at an item's start, up to its value.
_VALUE_KEY = re.compile(rb'\{[ \t\r\n]*"value"[ \t\r\n]*:[ \t\r\n]*')
#: What follows an item's last member: the item's end.
_ITEM_END = re.compile(rb"[ \t\r\n]*\}")


# ---------------------------------------------------------------------------------------
# Telling the format


def _decoded(line: bytes) -> Any:
    """The JSON value of one line, or ``_NOT_JSON`` (a number past float64's range, ``1e400``,
    is JSON: the line is a value, whose record refuses that number where it is mapped)."""
    try:
        return _tolerant(_DECODE_ANY.decode, line)[0]  # (a lone surrogate escape is U+FFFD, as the engine reads it)
    except msgspec.DecodeError as exc:
        if "Invalid UTF-8" in str(exc):  # a value all the same: the engine reads it with each invalid byte replaced
            return _decoded(line.decode("utf-8", "replace").encode())
        if "out of range" not in str(exc):
            return _NOT_JSON
    except (ValueError, RecursionError):
        return _NOT_JSON
    try:
        return _JSON_ONLY.decode(line.decode("utf-8"))
    except (ValueError, RecursionError):  # (UnicodeDecodeError is a ValueError)
        return _NOT_JSON


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: The standard library's decoder, held to JSON: NaN and Infinity refused (it takes them by default).
_JSON_ONLY = json.JSONDecoder(parse_constant=_not_json)


_NOT_JSON: Any = object()
_BODY_START = re.compile(rb'\{\s*"records"\s*:')
#: A key that may be one Go decodes into ``records`` (``"Records"``, ``"recordſ"``, an escape last) holding an array.
_RECORDS_ARRAY = re.compile(rb'(?i)(?:ords|ord\xc5\xbf|\\u[0-9a-f]{4})"\s*:\s*\[')


def _may_be_body_line(line: bytes) -> bool:
    """Whether a line may hold a key Go decodes into ``records`` followed by an array
    (:data:`_RECORDS_ARRAY`), told first by a plain search (the case-blind pattern alone cost
    a one-record validate half of its time)."""
    # (plain searches, no copy of the line: it may be a one-line document of megabytes, and a
    # lowered copy of it raised validate's peak memory by its size)
    if b"[" not in line or not (b"rd" in line or b"RD" in line or b"Rd" in line or b"rD" in line or b"\\u" in line):
        return False
    return _RECORDS_ARRAY.search(line) is not None


#: An object whose first key may be one Go decodes into ``records``: its first character ``r``, ``R`` or an escape.
_KEY_LEAD = re.compile(rb'\{\s*"[rR\\]')
#: A JSON object's first key (or an item's, after the ``[`` of a body's records), up to its colon.
_FIRST_KEY = re.compile(rb'\s*"((?:[^"\\]|\\.){1,64}?)"\s*:\s*')
#: The ``{`` of a body's first item; the string of an item's ``key`` and the comma after it (:func:`_body_head`).
_ITEM_START = re.compile(rb"\s*\{")
_KEY_TEXT = re.compile(rb'"(?:[^"\\]|\\.)*"\s*,')


def is_body(value: Any) -> bool:
    """Whether a decoded JSON object, read in format auto, is the endpoint's request body: its
    ``records``, matched as the endpoint's decoder matches it (Go's encoding/json, which matches
    a struct's field case-insensitively: ``"Records"``, ``"RECORDS"``, ``"recordſ"``; the last
    of them: :func:`~mapper.engine.gojson.go_member`), is an array, and either ``records`` so
    spelled is the only key (any array, as a body was always told), or the array holds items
    and each is an object holding a ``value`` (so matched), beside any other keys, which the
    endpoint ignores. AWS's event document, ``{"Records": [{"eventVersion": ...}]}``, is one
    record; so is a record holding a ``records`` array of its own whose items hold no ``value``.
    The one rule of ``mapper validate``'s detection (text, files, Python objects) and the web
    UI's paste (tuples are arrays and any mapping an object, as everywhere)."""
    if not isinstance(value, Mapping):
        return False
    items = go_member(value, "records")
    if not isinstance(items, (list, tuple)):
        return False
    if len(value) == 1 and "records" in value:
        return True
    return bool(items) and all(isinstance(item, Mapping) and go_member(item, "value", _NOT_JSON) is not _NOT_JSON for item in items)


def _go_key_at(text: bytes, pos: int, field: str) -> int:
    """Where the value after the object key at ``pos`` starts, when that key is one Go decodes
    into ``field`` (:func:`go_field_key`, its escapes read), else -1."""
    match = _FIRST_KEY.match(text, pos)
    if match is None:
        return -1
    raw = match.group(1)
    try:
        if b"\\" in raw:
            key = json.loads(b'"' + raw + b'"')
        elif len(field) <= len(raw) <= 3 * len(field):  # (a key Go folds into field has its characters, each 1 to 3 bytes: "ſ" 2, "K" 3)
            key = raw.decode("utf-8")
        else:
            return -1  # (most first keys: decoding them cost a one-record validate a third of its time)
    except ValueError:
        return -1
    return match.end() if isinstance(key, str) and go_field_key(key, field) else -1


def _body_start(text: bytes) -> bool:
    """Whether ``text`` (an input, blanks and byte order mark taken off) opens an object whose
    first key Go decodes into ``records`` (``"records"``, ``"Records"``, ``"R\\u0065cords"``)."""
    return _KEY_LEAD.match(text) is not None and _go_key_at(text, 1, "records") >= 0


def _body_head(text: bytes) -> bool:
    """Whether the head of an input told from it alone opens a body :func:`is_body` takes: a
    first key ``records`` (so spelled, as the endpoint format was always told), or another
    spelling of it whose array's first item's first key is ``value`` (or ``key`` then ``value``, each
    matched as Go matches it)."""
    if _BODY_START.match(text):
        return True
    at = _go_key_at(text, 1, "records")
    if at < 0 or text[at : at + 1] != b"[":
        return False
    item = _ITEM_START.match(text, at + 1)
    if item is None:
        return False
    value = _go_key_at(text, item.end(), "value")
    if value < 0:  # an item's key first (matched as Go matches it: "Key" too)
        at = _go_key_at(text, item.end(), "key")
        key = None if at < 0 else _KEY_TEXT.match(text, at)
        value = -1 if key is None else _go_key_at(text, key.end(), "value")
    return value >= 0


def format_of(prefix: bytes) -> str:
    """The format of an input from its first bytes, as read (a byte order mark included): its
    :func:`format_head`, or more of it (all of it, in memory). The one rule every reader uses,
    so bytes, files, streams and the workers' split agree.

    The format is told from the first :data:`HEAD_SIZE` bytes, or, when the input's first line
    starts an object and runs past them, from that line whole and :data:`HEAD_SIZE` bytes after
    it (a document whose first line holds a long string, ``{"r": [{"s": "...100 KB..."},``,
    was read as NDJSON from its head, which held no line's end); a line that runs past
    :data:`FIRST_LINE_LIMIT` too is told from the head (:func:`undecided_head` says so). A byte
    more than those says whether they are all of the input. A first line that starts an array
    and runs past the head is NDJSON when :func:`_arrays_a_line` says so, else told from the
    head (a JSON array, read whole).
    """
    if prefix[:1] in _LEAD_BYTES:  # (a blank, or a byte order mark: rarely)
        prefix = _from_lead(prefix)
    lead = _runs_on(prefix)
    if lead == b"[" and _arrays_a_line(prefix):
        return "ndjson"
    end = _head_end(prefix) if lead == b"{" else HEAD_SIZE
    return detect_format(prefix[:end], complete=len(prefix) <= end)


#: JSON's whitespace, each byte apart (a byte of a ``bytes`` sliced is looked up in it).
_BLANK_BYTES = (b" ", b"\t", b"\r", b"\n")
#: The first bytes of an input that may open blanks (:func:`_from_lead`): one of those, or a byte order mark's first.
_LEAD_BYTES = frozenset((*_BLANK_BYTES, BOM[:1]))
#: The most bytes of an input :func:`format_of` looks at (:func:`_from_lead`: a byte order mark, blanks, a first line, a head after it).
FORMAT_BYTES = len(b"\xef\xbb\xbf") + BLANKS_LIMIT + FIRST_LINE_LIMIT + HEAD_SIZE + 2


def _lead(prefix: bytes) -> int:
    """Where the first byte of an input that is not blank stands when blanks come before it (after a
    byte order mark or none), else 0: also when no such byte is within :data:`BLANKS_LIMIT` bytes."""
    start = len(BOM) if prefix[: len(BOM)] == BOM else 0
    if prefix[start : start + 1] not in _BLANK_BYTES:  # (the usual: a record first)
        return 0
    found = _NON_BLANK.search(prefix, start, start + BLANKS_LIMIT)
    return 0 if found is None else found.start()


def _from_lead(prefix: bytes) -> bytes:
    """``prefix`` from its first byte that is not blank (:func:`_lead`), as far as :func:`format_of`
    may look from there: blank lines before a document (64 KiB of them) made its head all blank,
    told as NDJSON, each line of the document a record refused."""
    base = _lead(prefix)
    return prefix[base : base + FIRST_LINE_LIMIT + HEAD_SIZE + 2] if base else prefix


def _runs_on(prefix: bytes) -> bytes:
    """``{`` or ``[`` when an input's first line, after any blanks, starts an object or an array
    and runs past :data:`HEAD_SIZE` bytes, else ``b""`` (``prefix`` may be an ``mmap``: read in place)."""
    start = len(BOM) if prefix[: len(BOM)] == BOM else 0
    lead = _NON_BLANK.search(prefix, start, HEAD_SIZE)
    if lead is None or len(prefix) <= HEAD_SIZE or prefix.find(b"\n", lead.start(), HEAD_SIZE) >= 0:
        return b""
    char = prefix[lead.start() : lead.start() + 1]
    return char if char in (b"{", b"[") else b""


def _arrays_a_line(prefix: bytes) -> bool:
    """Whether an input whose first line starts an array and runs past :data:`HEAD_SIZE` is NDJSON
    (arrays a line): that line ends, within :data:`FIRST_LINE_LIMIT`, in ``]`` and the next line
    not blank starts with ``[`` or ``{``. No JSON document spread over lines holds a ``]`` followed
    by blanks and a ``[`` or ``{`` (a comma must come between, and a string holds no newline),
    so a one-line array stays a JSON array, read whole, as from its head. Told from the line's
    end and the bytes after it alone: the line (megabytes) is neither copied nor decoded, which
    for a one-line array read whole would have cost several times its size."""
    nl = prefix.find(b"\n", HEAD_SIZE, FIRST_LINE_LIMIT)
    if nl < 0:
        return False
    end = nl
    while end > HEAD_SIZE and prefix[end - 1 : end] in (b" ", b"\t", b"\r"):
        end -= 1
    if prefix[end - 1 : end] != b"]":
        return False
    after = _NON_BLANK.search(prefix, nl + 1, nl + 1 + HEAD_SIZE)
    return after is not None and prefix[after.start() : after.start() + 1] in (b"[", b"{")


def _head_end(prefix: bytes) -> int:
    """Where the bytes :func:`format_of` tells the format from end, for a first line that starts an object (see there)."""
    nl = prefix.find(b"\n", HEAD_SIZE, FIRST_LINE_LIMIT)
    if nl < 0:  # no line's end: the input ended first (all of it is here, the one line whole), or the line runs on
        return len(prefix) if len(prefix) < FIRST_LINE_LIMIT else HEAD_SIZE
    return nl + 1 + HEAD_SIZE


def undecided_head(prefix: bytes) -> bool:
    """Whether an input starting with ``prefix`` (its :func:`format_head`, or more) has a first line
    that starts an object and runs on past :data:`FIRST_LINE_LIMIT`: too far to follow, the format
    was told from the head, as NDJSON (one record, oversized, or one broken), which a document spread
    over lines whose first line is that long is not."""
    if prefix[:1] in _LEAD_BYTES:
        prefix = _from_lead(prefix)
    return _runs_on(prefix) == b"{" and len(prefix) >= FIRST_LINE_LIMIT and prefix.find(b"\n", HEAD_SIZE, FIRST_LINE_LIMIT) < 0


def format_notice(prefix: bytes | mmap.mmap, input_format: str = "auto") -> Notice | None:
    """The note on an input read in ``input_format`` whose format could not be told from ``prefix``
    (its :func:`format_head`, or more: all of it, in memory, or an ``mmap`` of its file, read in
    place), else None: the one place it comes from, for every reader (bytes, files, streams,
    ``workers=N``, ``mapper send``). Cheap unless it is given: the format is told again only then."""
    head = cast(bytes, prefix)  # (an mmap is searched and sliced as bytes are, in place)
    if input_format == "auto" and undecided_head(head) and format_of(head) == "ndjson":
        return Notice(UNDECIDED_NOTE, kind="format")
    return None


#: The note given with an input whose format :func:`undecided_head` could not tell.
UNDECIDED_NOTE = (
    f"the first line starts a JSON object and runs past {FIRST_LINE_LIMIT >> 20} MiB without ending, too far to tell the format from: "
    "it was read as NDJSON; if the input is one JSON document spread over lines, say so with --input-format json (input_format='json')"
)


def format_head(stream: Any, head: bytes | None = None) -> bytes:
    """The first bytes of a binary stream that :func:`format_of` tells its format from (reads
    through :func:`read_input`): ``HEAD_SIZE + 1``, or when the first line starts an object or an
    array and runs past them, on to that line's end and ``HEAD_SIZE + 1`` bytes after it, in steps of
    :data:`CHUNK_SIZE` and never past :data:`FIRST_LINE_LIMIT` without a line's end; fewer when
    the input ends first. ``head``: its first ``HEAD_SIZE + 1`` bytes, when read already."""
    if head is None:
        head = read_head(stream, HEAD_SIZE + 1)
    if len(head) > HEAD_SIZE and head[-1:] in _BLANK_BYTES and blank(head, len(BOM) if head.startswith(BOM) else 0):
        head = _past_blanks(stream, head)  # (all blank: read on to the first byte that is not)
    base = _lead(head)
    if base and HEAD_SIZE < len(head) < base + HEAD_SIZE + 1:  # the head is taken from there
        head += read_head(stream, base + HEAD_SIZE + 1 - len(head))
    if not _runs_on(head[base:] if base else head):
        return head
    # (written into one buffer, whose bytes getvalue() hands over: parts joined at the end held
    # the line twice at once, raising a large one-line JSON array's peak, read whole after)
    parts, size, nl = io.BytesIO(), len(head), head.find(b"\n", base + HEAD_SIZE)
    parts.write(head)
    while True:
        if nl < 0:  # the first line's end not found yet: look in the next step (searched once each)
            if size >= base + FIRST_LINE_LIMIT:
                break
            block = read_input(stream, min(CHUNK_SIZE, base + FIRST_LINE_LIMIT - size))
            found = block.find(b"\n")
            if found >= 0:
                nl = size + found
        else:
            if size >= nl + HEAD_SIZE + 2:
                break
            block = read_input(stream, nl + HEAD_SIZE + 2 - size)
        if not block:
            break
        size += parts.write(block)
    return parts.getvalue()


def _past_blanks(stream: Any, head: bytes) -> bytes:
    """``head`` (all blank, but for a byte order mark) and what follows it in ``stream``, read on in
    steps of :data:`CHUNK_SIZE` to a block holding a byte that is not blank, or :data:`BLANKS_LIMIT` bytes of blanks."""
    start = len(BOM) if head.startswith(BOM) else 0
    parts, size = io.BytesIO(), len(head)
    parts.write(head)
    while size < start + BLANKS_LIMIT:
        block = read_input(stream, min(CHUNK_SIZE, start + BLANKS_LIMIT - size))
        if not block:
            break
        size += parts.write(block)
        if not blank(block):
            break
    return parts.getvalue()


def head_in(data: bytes | bytearray | memoryview) -> bytes:
    """:func:`format_head` of an input given in memory (only the bytes it needs copied)."""
    return format_head(_InMemory(data))


class _InMemory:
    """Bytes in memory read as a stream, each read a copy of its bytes only (``io.BytesIO`` copies a bytearray whole)."""

    def __init__(self, data: bytes | bytearray | memoryview):
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        out = bytes(self.data[self.pos :] if n < 0 else self.data[self.pos : self.pos + n])
        self.pos += len(out)
        return out


def detect_format(head: bytes, complete: bool = False) -> str:
    """``ndjson``, ``json`` or ``endpoint`` from the first bytes of an input (up to :data:`HEAD_SIZE`).

    Anything that does not start with ``[`` or ``{`` is NDJSON. Otherwise the first line
    decides when it is a complete JSON value: followed by more lines, the input is NDJSON
    (a first record that is an array, or has a ``records`` key, is one bad or odd record,
    not the whole file); alone, it is a JSON array, a request body (:func:`is_body`: an
    object whose only key is ``records``, or ``{"Records": [{"Value": ...}]}``), or one NDJSON record. When the first line is not a JSON value by
    itself, the next lines decide: if they are (up to three checked), the input is NDJSON
    with a broken first line; if not, it is a document spread over lines (``json``: an
    array, one object, or with ``records_path`` an object holding the records) when
    the whole input (``complete``: ``head`` is all of it) is one JSON value, or when the
    first line ends as a document's does (``{``, ``[``, ``,`` or ``:``; also when the whole
    input is here, for pretty-printed objects whose first is broken). A document spread over
    lines is a request body when the whole input is here, is JSON and :func:`is_body` takes it
    (so ``{"records": null}`` is one record, as on one line), or else when its head opens one
    (:func:`_body_head`: a first key ``records`` so spelled, or another spelling whose first item holds a ``value``).
    """
    text = head[3:] if head.startswith(BOM) else head
    text = text.lstrip(JSON_WS)
    lead = text[:1]
    if lead not in (b"[", b"{"):
        return "ndjson"
    if complete and _BODY_START.match(text) and _records_only(text):
        # what the rules below tell from the whole decoded (is_body takes it), told without decoding
        # the records, which the body's reader decodes next (a second decode of a 1 MB body cost
        # ~10 ms, a third of its validate)
        return "endpoint"
    nl = text.find(b"\n")
    if 0 < nl and text[nl + 1 : nl + 2] == b"{" and _decoded(text[:nl].strip(JSON_WS)) is not _NOT_JSON:
        return "ndjson"  # the usual NDJSON: the rule below at once (a whole first value, a line after it)
    lines = [ln.strip(JSON_WS) for ln in text.split(b"\n", 8)[:8]]
    lines = [ln for ln in lines if ln]
    if len(lines) == 1 and lead == b"{" and not _body_start(text):
        # one line, an object that is no request body (or one whose records follow other keys,
        # is_body's): one record, whole or broken (decoded only when it may hold such records:
        # a one-line document of megabytes was read as NDJSON without being decoded here)
        return "endpoint" if _may_be_body_line(lines[0]) and is_body(_decoded(lines[0])) else "ndjson"
    first = _decoded(lines[0])
    more = lines[1:4]
    if first is not _NOT_JSON:
        if more:
            return "ndjson"
        if lead == b"[":
            return "json"
        return "endpoint" if is_body(first) else "ndjson"
    if more and all(isinstance(_decoded(ln), dict) for ln in more) and not (complete and _comma_after_value(lines[0])):
        return "ndjson"
    if lead == b"[":
        return "json"
    # a body when is_body takes the whole, when it is here and JSON (``{"records": null}`` spread
    # over lines is one record, as on one line or given as a dict), else when its head opens one: a
    # first key records so spelled, or spelled otherwise ("Records") with items holding values
    whole = _decoded(text) if complete else _NOT_JSON
    if is_body(whole) or (whole is _NOT_JSON and _body_head(text)):
        return "endpoint"
    # an object spread over lines (a pretty-printed document) or NDJSON with a broken
    # first line: the whole input decides when it is all here, else how the first line ends
    if complete and (whole is not _NOT_JSON or _starts_with_value(text)):
        return "json"  # one value, or values one after another (pretty-printed objects, as `jq .` prints them)
    # (a first value that is broken, `jq .`-style, is one bad record, and reading goes on
    # at the next line starting with `{` or `[`: see _values)
    # (or when the lines after it are an object's members, `"key": value,`, or its closing
    # brackets: no line of NDJSON starts so, and a first line `{"id": "x"` whose comma is
    # missing made every line after it a record of its own, each refused)
    return "json" if lines[0][-1:] in (b"{", b"[", b",", b":") or _members(more) else "ndjson"


#: A line of an object spread over lines: a member (``"key": ...``, after a comma for a
#: comma-first layout), brackets closing values (``}``, ``],``), or a bracket alone opening
#: the next value as ``jq .`` prints it (no line of NDJSON is a lone ``{``).
_MEMBER_LINE = re.compile(rb'(?:,[ \t]*)?"(?:[^"\\]|\\.)*"[ \t]*:|[\]}]+,?$|[{\[]$')


def _records_only(text: bytes) -> bool:
    """Whether ``text`` is one JSON object whose one member is ``records`` (so spelled), an array:
    a request body, whatever its records hold. Their values are skipped, not decoded, as
    valid JSON (msgspec's Raw): what it takes, :func:`_decoded` takes, each invalid UTF-8 byte
    and a number past float64 too; what it refuses (a lone surrogate escape) is told by the rules."""
    try:
        members = _MEMBERS.decode(text)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return False
    return len(members) == 1 and "records" in members and bytes(members["records"])[:1] == b"["


def _comma_after_value(line: bytes) -> bool:
    """Whether a line is a whole JSON value and a comma after it, as an array's element stands
    without its brackets: ``{...},`` before one last ``{...}`` (two records so) are values one
    after another with a comma between, not NDJSON whose first line is broken (which refused the
    first record whole, where three such records kept all three)."""
    return line.endswith(b",") and _decoded(line[:-1].rstrip(JSON_WS)) is not _NOT_JSON


def _members(lines: list[bytes]) -> bool:
    """Whether ``lines`` (stripped, not blank) are all an object's members, closing brackets or a
    lone opening one (the next object of a short broken one), one at least a member."""
    matched = [_MEMBER_LINE.match(ln) for ln in lines]
    return all(matched) and any(m is not None and m.group().endswith(b":") for m in matched)


def _starts_with_value(text: bytes) -> bool:
    """Whether the text starts with a whole JSON value spread over lines (more may follow)."""
    decoded = text.decode("utf-8", "surrogateescape")
    try:  # (the standard library's leniency kept: a pretty-printed object holding NaN is one bad record, not one a line)
        _value, end = json.JSONDecoder().raw_decode(decoded)
    except (ValueError, RecursionError):
        return False
    # a value on the first line alone (a record holding NaN) is a line of NDJSON: the lines
    # after it are records of their own, broken or not
    return "\n" in decoded[:end]


# ---------------------------------------------------------------------------------------
# Inputs


def bytes_units(
    data: bytes,
    input_format: str,
    chunk_size: int,
    max_record: int = MAX_RECORD_SIZE,
    records_path: tuple[str, ...] | None = None,
    unpack: bool = True,
) -> Iterator[Unit]:
    """The units of an input given as bytes. ``unpack``: compressed bytes (a .gz file read into
    memory) are unpacked, one layer; False: ``data`` is an input's text, unpacked already (a
    stream's document read whole), its layer not unpacked again: text that is compressed data
    once more (an input compressed twice) is read as the text it is, no JSON (:func:`~mapper.errors.binary_note` says so)."""
    if unpack and unpacker(data[:MAGIC_SIZE]) is not None:  # compressed bytes, as a .gz file read into memory
        yield from stream_units(io.BytesIO(data), input_format, chunk_size, max_record, records_path)
        return
    if unpack:  # (records given as bytes, in any format: a stream's text was looked at by stream_units)
        refuse_archive(data, None)
    fmt = format_of(data) if input_format == "auto" else input_format  # (the bytes it needs only: see _head_end)
    notice = format_notice(data, input_format)
    if notice is not None:
        yield notice
    if data.startswith(BOM):
        data = data[3:]
    if fmt not in INPUT_FORMATS[1:]:
        raise InputError(f"unknown input format {input_format!r}; use one of {', '.join(INPUT_FORMATS)}")
    if fmt != "ndjson":  # (NDJSON's lines ending so run into one: its error says it, gojson.lone_cr_hint)
        lone_cr = lone_cr_notice(data)
        if lone_cr is not None:
            yield lone_cr
    if records_path is not None:  # documents holding records: one per line, or one in all
        if fmt == "ndjson":
            limit = line_limit(max_record, records_path)
            yield from documents_units(measured(split_lines(data, chunk_size, limit), limit), records_path)
        else:
            yield from document_units(data, records_path)
    elif fmt == "json":
        yield from document_units(data)
    elif fmt == "endpoint":
        yield from endpoint_units(data)
    else:
        yield from noticed(measured(split_lines(data, chunk_size, max_record), max_record))


#: The note on a document whose lines end in a lone CR (:func:`lone_cr_notice`).
LONE_CR_NOTE = (
    "the input's lines end in a lone CR (carriage return), as classic Mac OS wrote them: a line L and char N here count LF (\\n) "
    "line ends only, as JSON decoders, `wc -l` and `grep -n` do (the CRs are blanks between values, and the places fall on fewer lines "
    "than an editor shows); convert them first to place errors on the lines an editor shows, e.g. `tr '\\r' '\\n' < FILE`"
)


def lone_cr_notice(data: bytes) -> Notice | None:
    """The note on a document (read whole: a JSON array, a request body, objects one after another)
    some of whose lines end in a lone CR, when a record failed: every place in it counts LF line ends
    only (one rule everywhere: NDJSON's lines are LF's, and a lone CR is JSON's whitespace), which
    an editor, taking the CRs as line ends, shows otherwise. One ``memchr`` of a document without a CR."""
    if b"\r" not in data or data.count(b"\r") == data.count(b"\r\n"):
        return None
    return Notice(LONE_CR_NOTE, kind="lines")


#: The command at the end of a hint or note of the reader's that names no file (``FILE``: the reader
#: reads bytes and knows no name), with the words that may follow it: the lone-CR hint and note
#: (``tr '\\r' '\\n' < FILE``), and the jq that puts arrays' elements one a line (arrays one after
#: another, a document's elements that each hold the records path). :func:`hints_named` names the file.
_UNNAMED_COMMAND = re.compile(r"`(jq -c '\.\[\]'|tr '\\r' '\\n' <) FILE(`(?:\) and give that (?:instead|with [^`]*))?)\Z")


def hints_named(text: str, file: str | os.PathLike[Any] | None) -> str:
    """``text`` (an error's message or hint, a note) with the command its ending hint gives naming
    ``file`` (shell-quoted, :func:`~mapper.errors.shell_file`) where the reader wrote ``FILE``, or
    standard input piped through it (``... | jq -c '.[]'``); as it is without a name to give (None). Only the command that ends ``text``
    (a hint comes last): a record's own text quoted before it keeps its words. Asked by those
    that know the input's name (the engine's :attr:`~mapper.report.ReportBuilder.input_name`,
    send's inputs) when a document failed or a note is given: a run pays nothing for it."""
    if file is None or not os.fsdecode(file) or "FILE`" not in text:  # (standard input too: text_command pipes it)
        return text
    return _UNNAMED_COMMAND.sub(lambda m: f"`{_named_command(m[1], file)}{m[2]}", text, count=1)


def _named_command(command: str, file: str | os.PathLike[Any] | None) -> str:
    """The reader's ``command`` before its ``FILE`` (``tr '\\r' '\\n' <``, which reads standard input)
    reading ``file``'s text instead (:func:`~mapper.errors.text_command`: a compressed file's unpacked)."""
    redirected = command.endswith(" <")
    return text_command(command[:-2] if redirected else command, file, redirected)


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal; False for a closed or odd one (None under pythonw, no ``isatty``)."""
    try:
        return bool(stream.isatty())
    except (ValueError, AttributeError, OSError):  # a closed or odd stream
        return False


def stdin_archive() -> tuple[str, str | None] | None:
    """The archive standard input is (:func:`~mapper.errors.archive_of`: ``("tar", "gzip")``, ``("zip", None)``), told
    from the bytes its first read holds, peeked, not taken (the reader reads them after, as it peeks a file's magic), and
    unpacked as far as they go when compressed; None when they start none, when they do not say (fewer than a tar header,
    a bzip2 block not read whole: the reader refuses it then, :func:`refuse_archive`), or for a terminal (read to its Ctrl-D)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None or not hasattr(stream, "peek") or is_terminal(sys.stdin):
        return None
    try:
        head = stream.peek(TAR_BLOCK)
    except (OSError, ValueError):
        return None
    packed = compression_of(head[:MAGIC_SIZE])
    if packed is not None:
        head = _unpacked_start(head, packed)
    kind = archive_of(head[:TAR_BLOCK])
    return None if kind is None else (kind, packed)


#: A tar header's size: the bytes :func:`~mapper.errors.archive_of` tells an archive from.
TAR_BLOCK = 512


def _unpacked_start(head: bytes, packed: str) -> bytes:
    """The first bytes (up to a tar header's) of the compressed data that starts with ``head``, as far as ``head`` holds them."""
    import bz2
    import lzma
    import zlib

    makers: dict[str, Callable[[], Any]] = {"gzip": lambda: zlib.decompressobj(31), "bzip2": bz2.BZ2Decompressor, "xz": lzma.LZMADecompressor}
    maker = makers.get(packed)
    if maker is None:  # (zstd: refused as such)
        return b""
    try:
        return maker().decompress(head, TAR_BLOCK)  # type: ignore[no-any-return]
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error):
        return b""


def open_input(path: str | os.PathLike[Any]) -> BinaryIO:
    """Open a records file for reading, unpacking a compressed one (gzip, bzip2, xz: by its first bytes, whatever its name); ``-`` is stdin.

    ``path``: any ``os.PathLike``, one naming the file in bytes too (``os.scandir(b"dir")``'s entries)."""
    path = os.fsdecode(path)
    if path == "-":
        if getattr(sys.stdin, "buffer", None) is None:  # (a process started without one, pythonw, a service: None; a text-only stand-in)
            raise InputError(
                f"there is no binary standard input to read records from (sys.stdin is {'None' if sys.stdin is None else article(type(sys.stdin).__name__)}): give a file or the records themselves"
            )
        if is_terminal(sys.stdin):
            # Typed records: read to the one Ctrl-D that ends them. A terminal's end of input
            # is not sticky, and chunked reads would wait for a second one.
            try:
                return io.BytesIO(sys.stdin.buffer.read())
            except OSError as exc:  # (a terminal gone, EIO: the input's fault, not said as standard output's)
                raise InputError(f"cannot read standard input: {exc.strerror or exc}") from None
        return sys.stdin.buffer
    p = Path(path)
    try:
        fh: BinaryIO = open(p, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    except (OSError, ValueError) as exc:  # (ValueError: the OS takes no NUL in a file name)
        raise InputError(cannot_open(path, exc, "records file")) from None
    try:
        try:
            head = fh.peek(MAGIC_SIZE)[:MAGIC_SIZE]  # type: ignore[attr-defined]  # peek, not seek: FIFOs and pipes work too
        except OSError as exc:  # (opened but not readable, EIO: the input's fault, not said as standard output's)
            raise InputError(f"cannot read {shown_name(path)}: {exc.strerror or exc}") from None
        unpack = unpacker(head, path)
        if path.startswith("/dev/"):  # (a stream read once by its name: for the command a hint on it gives)
            stream_opened(path, fh, compression_of(head) if unpack is not None else None)
        return fh if unpack is None else _closing(unpack(fh), fh)
    except BaseException:
        fh.close()
        raise


def input_problem(path: str | os.PathLike[Any]) -> str | None:
    """Why :func:`open_input` would refuse ``path`` (``-`` is standard input: none), in its words, or
    None, found without reading it: a command checks every input so before it reads any (a missing
    second file was found once the first had been read, mapped, sent). A regular file is opened
    and closed (its permissions, an ACL); a FIFO or a device is not (opening a FIFO waits for a
    writer, and its reader's end, closed, would be its writer's broken pipe): read as it comes."""
    text = os.fsdecode(path)
    if text == "-":
        return None
    try:
        st = os.stat(text)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if stat.S_ISREG(st.st_mode):
            os.close(os.open(text, os.O_RDONLY))
    except (OSError, ValueError) as exc:
        return cannot_open(text, exc, "records file")
    return None


#: The attribute marking a stream as an input's text, its one layer of compression unpacked (:func:`one_layer`).
_ONE_LAYER = "_mapper_one_layer"


def one_layer(stream: Any) -> bool:
    """Whether ``stream`` is an input's text already unpacked, one layer (by :func:`open_input`, or
    a copy of such text: :func:`unpacked_already`): no reader unpacks it again. Every command
    unpacks one layer, of a file as of standard input: a file's text that is compressed data
    again is read as it is, text that is no JSON, and said so (:func:`~mapper.errors.binary_note`)."""
    return getattr(stream, _ONE_LAYER, False) is True


def unpacked_already(stream: Any) -> Any:
    """``stream`` marked as :func:`one_layer`'s (an unpacker's text, or a copy of it)."""
    setattr(stream, _ONE_LAYER, True)
    return stream


def _closing(stream: BinaryIO, fh: BinaryIO) -> BinaryIO:
    """``stream`` (an unpacker reading ``fh``) closing ``fh`` too when it is closed: a GzipFile,
    BZ2File or LZMAFile given a file object leaves it open (each compressed input's file was
    left to the garbage collector, a ResourceWarning, and open after ``iter_batches`` ended)."""
    close = stream.close

    def close_both() -> None:
        try:
            close()
        finally:
            fh.close()

    setattr(stream, "close", close_both)  # noqa: B010 - (mypy: a method is not assigned to)
    return unpacked_already(stream)  # (its one layer: no reader unpacks its text again)


def _name_of(stream: Any) -> Any:
    """A stream's ``name``: standard input's is ``"<stdin>"`` (as Python names it; ``open(0)`` names it 0)."""
    name = getattr(stream, "name", None)
    return "<stdin>" if type(name) is int and name == 0 else name


class _Prepend:
    """A binary stream that first returns bytes already read from it."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head = head
        self.stream = stream
        self.name = _name_of(stream)  # (what an unpacker reading it is named: standard input's "<stdin>")

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0:
                out, self.head = self.head + self.stream.read(), b""
                return out
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.stream.read(n)


def unreadable(stream: Any, exc: Exception, unnamed: str = "the input") -> InputError:
    """The InputError of a read of ``stream`` that raised ``exc``, naming the file (``cannot read r.ndjson: I/O
    operation on closed file``; ``unnamed`` for a stream with no file's name), as every reader of records says it."""
    name = _name_of(stream)  # a file's (a GzipFile names its file's, _Prepend standard input's)
    where = "standard input" if name == "<stdin>" else shown_name(name) if isinstance(name, str) and name and not name.startswith("<") else unnamed
    detail: Any = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc  # (an OSError's words, as an open's: no [Errno 5])
    mode = getattr(stream, "mode", None)
    if isinstance(exc, io.UnsupportedOperation) and isinstance(mode, str) and "r" not in mode and "+" not in mode:
        # (a file opened for writing: a buffered writer's words are the method's name, "read"; a text one's "not readable")
        detail = f"it is not open for reading (opened with mode {mode!r}): open it with 'rb'"
    elif isinstance(exc, gzip.BadGzipFile) and str(exc).startswith("Not a gzipped file"):
        detail = _trailing("gzip")  # (after a member, bytes that start none: its first was told by its magic)
    else:
        detail = _corrupt(stream, exc) or detail
    return InputError(f"cannot read {where}: {detail}")


def read_input(stream: Any, n: int = -1, one: bool = False) -> bytes:
    """``stream.read(n)``, its errors (a corrupt or cut gzip file, a closed file, a text
    stream) an :class:`InputError` naming the file: every reader of records uses this.
    ``one``: ``stream.read1(n)`` (an unpacker's: one read of its own, see :class:`_Counted`)."""
    try:
        data = stream.read1(n) if one else stream.read(n)
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:  # ValueError: a closed file; zlib, lzma: corrupt data
        raise unreadable(stream, exc) from None
    if isinstance(data, str):
        raise InputError("the records stream is a text stream: open the file in binary mode ('rb'), or pass the text itself")
    if data is None:  # a non-blocking stream with nothing ready: not the end of the input, and nothing to wait on here
        raise InputError("the records stream is non-blocking and had no data ready: give a blocking stream")
    if data.__class__ is not bytes:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InputError(f"the records stream's read() returned {article(type(data).__name__)}, not bytes")
        data = bytes(data)  # (a zero-copy reader's memoryview: the readers search it as bytes)
    return data  # type: ignore[no-any-return]


def _corrupt(stream: Any, exc: Exception) -> str | None:
    """What :func:`read_input` says of a compressed input whose data does not unpack, or None for
    any other error (a cut one, ``EOFError``: its own words; an OS's, with its errno): the unpacker's
    words were the library's (``Error -3 while decompressing data: invalid code -- missing
    end-of-block``, ``CRC check failed 0xbfd4da35 != 0x42a2f5d1``, ``Invalid data stream``)."""
    if isinstance(stream, gzip.GzipFile):
        kind = "gzip"
    elif isinstance(stream, _Unpacking) and isinstance(stream.raw, _Streams):
        kind = stream.raw.kind  # (bzip2, xz: each its command's name too)
    else:
        return None
    if isinstance(exc, (EOFError, _Trailing)) or (isinstance(exc, OSError) and exc.errno is not None):
        return None
    return f"its {kind} data is corrupt, damaged (`{kind} -t` on it fails too)"


def read_head(stream: Any, n: int) -> bytes:
    """The first ``n`` bytes of a stream, or all of it if shorter: an unbuffered stream
    (a pipe, a socket, a raw HTTP response) answers a read with what has arrived so far,
    and a short first read is not the end of the input."""
    head = read_input(stream, n)
    if len(head) >= n or not head:
        return head
    parts = [head]
    got = len(head)
    while got < n:
        more = read_input(stream, n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


class _Reader:
    """A stream whose reads go through :func:`read_input`."""

    def __init__(self, stream: Any):
        self.stream = stream

    def read(self, n: int = -1) -> bytes:
        return read_input(self.stream, n)


class _Counted:
    """A compressed stream (gzip, bzip2, xz: read through :func:`read_input`) counting the lines
    read whole, from its first byte (the format's head too), so that a read failing midway (a cut or
    damaged file) says where: ``(after line N)``, the records up to line N read and mapped
    (``iter_batches`` yields them), the error the line to start again after.

    A read of ``n`` bytes is the unpacker's own reads (``read1``) one after another, the text of
    those before a failing one given first and the error raised at the next read: a buffered
    ``read(n)`` failing dropped the text its reads before had unpacked (up to a chunk, 512 KiB), so
    the line named was the last mapped, that far before the damage. The text a failing read of the
    unpacker's itself had unpacked is the unpacker's, never given: each asks for at most
    :data:`_UNPACK_STEP` (64 KiB), so the line named is at most that much text before the damage
    (asked for a chunk, 512 KiB, very repetitive text, which packs a hundredfold, lost all of it)."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.lines = 0
        self.failed: InputError | None = None

    def read(self, n: int = -1) -> bytes:
        if self.failed is not None:
            raise self.failed
        parts, got = [], 0
        while n < 0 or got < n:
            try:
                data = read_input(self.stream, _UNPACK_STEP if n < 0 else min(n - got, _UNPACK_STEP), one=True)
            except InputError as exc:
                self.failed = exc
                break
            if not data:
                break
            parts.append(data)
            got += len(data)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self.lines += data.count(b"\n")
        if self.failed is not None:
            said = self.failed
            self.failed = InputError(f"{said} (after line {self.lines:,})" if self.lines else f"{said} (in line 1)")
            if not data or n < 0:  # (a read of it all, a document's, has no next read to say it: its part was read as the whole)
                raise self.failed from None
        return data


def counted(stream: Any, lines: int = 0) -> Readable:
    """``stream`` read through :func:`read_input`: a compressed one (gzip, bzip2, xz) by :class:`_Counted`,
    its read error naming the last line read whole (``lines`` read before), the text before it given
    first. Lines are counted only where a read can fail midway: the count is a pass over the text."""
    if not isinstance(stream, _COMPRESSED):
        return _Reader(stream)
    reader = _Counted(stream)
    reader.lines = lines
    return reader


def stream_units(
    stream: BinaryIO, input_format: str, chunk_size: int, max_record: int = MAX_RECORD_SIZE, records_path: tuple[str, ...] | None = None
) -> Iterator[Unit]:
    reader = counted(stream)
    origin = _file_origin(stream)
    head = read_head(reader, HEAD_SIZE + 1)
    text = unpacked(head, stream)
    packed = None if text is None else compression_of(head[:MAGIC_SIZE])
    if text is not None:  # compressed, e.g. on stdin (files are unwrapped by open_input)
        reader = _Counted(text)
        head = read_head(reader, HEAD_SIZE + 1)
        origin = None
    refuse_archive(head, stream, packed)
    lines = reader
    fmt = input_format
    if input_format == "auto":
        head = format_head(lines, head)  # (more than HEAD_SIZE when the first line runs on past it; counted: it may be cut)
        fmt = format_of(head)
        notice = format_notice(head)
        if notice is not None:
            yield notice
    if fmt == "ndjson":
        if head.startswith(BOM):
            head = head[3:]
        limit = max_record if records_path is None else line_limit(max_record, records_path)
        chunks = measured(stream_lines(lines, chunk_size, head, limit), limit)
        del head  # (held by the line reader alone, which lets it go once read: it may be a first line of megabytes)
        yield from noticed(chunks) if records_path is None else documents_units(chunks, records_path)
    else:  # (a byte order mark left on: bytes_units takes it off, one only, as of the same bytes given so)
        held = [head]
        del head  # (held by _whole alone, which lets it go: a first line followed to its end may be megabytes)
        yield from bytes_units(_whole(stream, origin, held, reader), fmt, chunk_size, max_record, records_path, unpack=False)


def unpacked(head: bytes, stream: BinaryIO) -> BinaryIO | None:
    """The unpacked text of a compressed stream whose first bytes, ``head``, were read from it
    already (gzip, bzip2 or xz on stdin: files are unwrapped by :func:`open_input`), or None when it
    is not compressed; zstd is an :class:`InputError` (:func:`unpacker`). Every reader of records
    tells them so (send's read only gzip on stdin: bzip2 or xz was one record of binary, refused).
    None too for the text :func:`open_input` unpacked (:func:`one_layer`): one layer is unpacked,
    of a file as of standard input (a file's second layer was unpacked here, stdin's not)."""
    if one_layer(stream):
        return None
    stdin = stream is getattr(sys.stdin, "buffer", None) or _name_of(stream) == "<stdin>"  # (or a stream reading it: infer's copy)
    unpack = unpacker(head[:MAGIC_SIZE], "-" if stdin else None)
    if stdin:  # (for the command a hint on it gives)
        stdin_read(getattr(sys.stdin, "buffer", None), compression_of(head[:MAGIC_SIZE]) if unpack is not None else None)
    return None if unpack is None else unpack(_Prepend(head, stream))


def refuse_archive(head: bytes, stream: Any, packed: str | None = None) -> None:
    """An :class:`InputError` when ``head``, the text of the input ``stream`` (its compression, ``packed``, unpacked), starts
    an archive (:func:`~mapper.errors.archive_of`: tar, ZIP), whatever format it is to be read in: its headers were read
    as records, NUL bytes and all (the commands refuse a file, and standard input whose first read tells, before it is
    read, with the command they were given in: ``check_archives``). ``stream`` None: bytes given as the input, its text;
    lines that are not a whole input (Spark's cells) are kept from starting it as a file's compression is (``mapper.spark``)."""
    kind = archive_of(head)
    if kind is None:
        return
    if packed is None and isinstance(stream, _COMPRESSED):  # (a file's, a pipe's by its name: open_input unpacked it)
        packed = "gzip" if isinstance(stream, gzip.GzipFile) else getattr(stream.raw, "kind", None)
    name = _name_of(stream)
    named = isinstance(name, str) and name != "<stdin>"
    if kind == "zip" and named and not packed and os.path.isfile(name):  # (its central directory read, as check_inputs reads it)
        kind = zip_kind(name)  # (a .npz file mapper map wrote: said so; a damaged one, no ZIP: the binary note says what it is)
        if kind is None:
            return
    # (bytes, a stream unnamed: a program's, "the input", no command to give it; a command gives its own command line)
    raise ArchiveInput({name if named else "-" if name == "<stdin>" else "": (kind, packed)})


def _file_origin(stream: Any) -> int | None:
    """Where a plain file object (``open(path, "rb")``, stdin from a file) reading a regular file
    stands (it can be read again from there), else None: another reader may give other bytes
    than the file's (a compressed file's text, a member of an archive sharing its file)."""
    try:
        plain = type(stream) is io.FileIO or (type(stream) is io.BufferedReader and type(stream.raw) is io.FileIO)
        if not plain or not stream.seekable() or not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return None
        return int(stream.tell())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _whole(stream: Any, origin: int | None, held: list[bytes], reader: Readable) -> bytes:
    """The whole input (a JSON document, read whole) from its head on (``held``: the head alone,
    taken from it, so that it is not held while the document is read): a regular file is read
    again from ``origin`` in one read of its size, into one object (the head joined to the rest
    held a large document twice at once), its head let go first."""
    if origin is not None:
        try:
            size = os.fstat(stream.fileno()).st_size - origin
            stream.seek(origin)
        except (OSError, ValueError):
            pass
        else:
            held.clear()
            data = read_input(stream, size) if size > 0 else b""
            more = reader.read()  # (a file that grew meanwhile)
            return data + more if more else data
    return held.pop() + reader.read()


#: Python records are taken from their iterable this many at a time (see _object_units).
OBJECT_CHUNK = 2048


def chunk_size_for(columns: int) -> int:
    """The NDJSON chunk size for a sink mapping ``columns`` columns: :data:`CHUNK_SIZE`,
    and 2 KB a column for wide sinks, at most 4 MB.

    Each chunk costs a vector conversion per column whatever it holds: GitHub webhook
    payloads (~10 KB) mapped whole by a 2,962-column draft were 21 records a 256 KB chunk,
    and those fixed costs were 80% of the time (1 MB chunks halved it). A sink of 256
    columns or fewer keeps 512 KB chunks, which measured fastest for the seed's
    14 columns (the chunk's decoded records stay in the CPU's caches).
    """
    return min(max(CHUNK_SIZE, columns * 2048), 4 << 20)


def units_for(records: Any, options: MapOptions, chunk_size: int = CHUNK_SIZE, objects: int = OBJECT_CHUNK, unpack: bool = True) -> Iterator[Unit]:
    """:func:`iter_units` with a run's options (format, record size limit, records path).

    Chunks are at most ``max_record_size`` bytes: a line longer than a chunk is measured
    (and refused past the limit), a line within one is not, so a limit below the chunk
    size (``--max-record-size 1K``) needs chunks that small to be kept. ``unpack``: as :func:`bytes_units`' (bytes only).
    """
    chunk_size = min(chunk_size, options.max_record_size)
    units = iter_units(
        records,
        input_format=options.input_format,
        chunk_size=chunk_size,
        max_record=options.max_record_size,
        records_path=options.records_path,
        objects=objects,
        unpack=unpack,
    )
    return safe_points(units)


def safe_points(units: Iterator[Unit]) -> Iterator[Unit]:
    """``units``, each one's end (the next asked for, or the input's end) a safe point of a command's
    run: a SIGINT or SIGTERM whose exception a library dropped as the unit was read or mapped
    (msgspec, building a decoder) is raised there, as if it came then (:func:`mapper._start.interruption_lost`:
    nothing outside a command's run, a list's truth a unit). Every command that reads records in
    chunks reads them through here (:func:`units_for`, a worker's range), so each is checked alike."""
    try:
        for unit in units:
            yield unit
            interruption_lost()
    finally:  # (left early: the input's file closed now, not when the generator is collected)
        close = getattr(units, "close", None)
        if close is not None:
            close()


def path_named(text: str) -> Path | None:
    """The file a str names, or None when it holds JSON text.

    As ``load_sink("sink.json")`` takes a file name, so does ``m.map("records.ndjson")``,
    by one rule (:func:`~mapper.errors.names_a_file`; ``-`` is stdin).
    """
    return Path(text) if names_a_file(text) else None


def iter_units(
    records: Any,
    *,
    input_format: str = "auto",
    chunk_size: int = CHUNK_SIZE,
    max_record: int = MAX_RECORD_SIZE,
    records_path: tuple[str, ...] | None = None,
    objects: int = OBJECT_CHUNK,
    unpack: bool = True,
) -> Iterator[Unit]:
    """Cut any accepted input into units the engine maps one at a time.

    ``records_path``: the records are the array at these keys of each document (the
    input's one document, or each line's); Python objects are such documents too.
    ``objects``: Python records per unit (an iterator is read that many ahead). ``unpack``: as
    :func:`bytes_units`' (False: bytes that are an input's text, unpacked already).
    """
    if input_format not in INPUT_FORMATS:
        raise InputError(f"unknown input format {input_format!r}; use one of {', '.join(INPUT_FORMATS)}")
    if isinstance(records, (bytes, bytearray, memoryview)):
        yield from bytes_units(given_bytes(records, "the records"), input_format, chunk_size, max_record, records_path, unpack)
    elif isinstance(records, str) and path_named(records) is None:
        yield from bytes_units(records.encode("utf-8", "surrogatepass"), input_format, chunk_size, max_record, records_path)
    elif isinstance(records, (str, os.PathLike)):
        try:
            fh = open_input(records)
        except InputError as exc:
            if isinstance(records, str):  # say why a str was read as a file name
                raise InputError(f"{exc} ({FILE_NAME_RULE})") from None
            raise
        # (standard input is the caller's: read to its end, left open; closed, the program's next read of it was a ValueError)
        with fh if fh is not getattr(sys.stdin, "buffer", None) else contextlib.nullcontext(fh):
            yield from stream_units(fh, input_format, chunk_size, max_record, records_path)
    elif hasattr(records, "read"):
        yield from stream_units(records, input_format, chunk_size, max_record, records_path)
    elif (frame := _frame_hint(records)) is not None:  # (iterated, a frame gives its column names, or its columns)
        raise InputError(f"cannot read records from a {frame}")
    elif (scalar := scalar_array_reason(records, "the records")) is not None:  # (an Iterable whose iteration raises)
        raise InputError(scalar)
    elif records_path is not None:  # Python documents: each one's array at the path
        yield from _documents_given(records, input_format, chunk_size, max_record, records_path, objects)
    elif (input_format == "endpoint" and isinstance(records, (Mapping, Iterable))) or (input_format == "auto" and is_body(records)):
        # a body, read as the service reads one (keys matched as Go matches them)
        body, why = _object_body(records)
        if body is None:
            yield _failed_whole(DocumentFailure(f"{_NOT_A_BODY}: {why}"), None)
        elif why == _NULL_BODY:  # (null: no records, said as of its JSON text)
            yield null_records_notice(("records",))
        else:
            yield from _object_units(_object_items(body), objects)
    elif isinstance(records, Mapping):  # one record (a request body, as detect_format tells one, is is_body's: above)
        yield ObjectRecords([records])
    elif isinstance(records, Iterable):
        yield from _object_units(records, objects, texts=True)
    else:
        # named by its class, as a value with no JSON form is ("a int" read wrong)
        raise InputError(f"cannot read records from a Python {class_name(records)}: give NDJSON or JSON text, a file, or an iterable of dicts")


#: Tables of rows whose iteration gives no rows, by their class's top module and name, and how
#: to pass their rows (each row a record, a dict).
_FRAMES = {
    ("pandas", "DataFrame"): (
        "pandas DataFrame: iterating one gives its column names, not its rows; pass df.to_dict('records'), or df.to_json(orient='records', lines=True)"
    ),
    ("polars", "DataFrame"): "polars DataFrame: iterating one gives its columns, not its rows; pass df.to_dicts(), or df.write_ndjson()",
    ("polars", "LazyFrame"): "polars LazyFrame: collect it, then pass df.to_dicts(), or df.write_ndjson()",
    ("pyarrow", "Table"): "pyarrow Table: pass table.to_pylist()",
    ("pyarrow", "RecordBatch"): "pyarrow RecordBatch: pass batch.to_pylist()",
    # (iterating one is a TypeError: its columns are mapped values, no records)
    ("mapper", "Batch"): "mapper Batch: it holds a sink's mapped columns, not records; give NDJSON or JSON text, a file, or an iterable of dicts",
}


def _frame_hint(records: Any) -> str | None:
    """What a data frame or Arrow table given as records is and what to pass instead, or None."""
    for kind in type(records).__mro__:
        hint = _FRAMES.get((kind.__module__.partition(".")[0], kind.__name__))
        if hint is not None:
            return hint
    return None


def _documents_given(records: Any, input_format: str, chunk_size: int, max_record: int, records_path: tuple[str, ...], objects: int) -> Iterator[Unit]:
    """Python documents (one mapping, or an iterable of them), each one's array at ``records_path``;
    a ``str`` or ``bytes`` item is a document's JSON text (as a record's is read: :class:`_TextsApart`).

    Lines are counted over the items, as in the NDJSON they make one an item (each item
    starting a line; one of several lines, as NDJSON of documents or pretty-printed, takes
    them all; a Python document, one): the lines of a file's ``readlines()`` are those of
    the file, and a record failing in the third document is not said to be on line 1 (each
    text's lines were counted from 1). A blank text is no document: refused, as a blank
    text among records is (:meth:`_TextsApart._text_records`), not passed over without a word."""
    docs = [records] if isinstance(records, Mapping) else records
    line = 1
    for n, doc in enumerate(docs):
        if not isinstance(doc, _TEXT_CLASSES):
            yield from object_document_units(doc, records_path, objects)
            line += 1
            continue
        try:
            text = _text_bytes(doc)
        except InputError:  # (a released memoryview: said by its number, among documents maybe many)
            text = _text_bytes(doc, f"the text of document {n:,} (counted from 0)")
        lines = text.count(b"\n") + (0 if text.endswith(b"\n") else 1)
        if blank(text):
            yield BrokenDocument("no document: the text is empty", line, text, one_record=True)
            line += lines
            continue
        last = 0
        for unit in bytes_units(text, input_format, chunk_size, max_record, records_path):
            if line > 1:
                unit = _moved_down(unit, line - 1)
            last = max(last, _last_line(unit))
            yield unit
        packed = unpacker(text[:MAGIC_SIZE]) is not None  # (its lines are the unpacked text's: the last one seen)
        line = last + 1 if packed else line + lines


def _moved_down(unit: Unit, by: int) -> Unit:
    """``unit`` (of a text read alone, from line 1) with its lines ``by`` further down."""
    if isinstance(unit, RawRecords) and isinstance(unit.lines, list):
        return replace(unit, lines=[None if ln is None else ln + by for ln in unit.lines])
    if isinstance(unit, BrokenDocument) and unit.line is not None:
        place = unit.place
        if place is None or place.line is None or unit.failure is None:  # (a detail naming no line: the unit's says it)
            return replace(unit, line=unit.line + by)
        # a detail naming its line (_broken's "at line 2 char 12"): written again, from its place
        # moved to the line in the whole input
        moved = _failed_at(replace(place, line=place.line + by), unit.failure.read, unit.line + by, unit.raw, unit.hint)
        return replace(moved, one_record=unit.one_record)
    if isinstance(unit, (OversizedRecord, NdjsonChunk)) and unit.first_line is not None:
        return replace(unit, first_line=unit.first_line + by)
    return unit


def _last_line(unit: Unit) -> int:
    """The last line a unit names (0: none)."""
    if isinstance(unit, RawRecords) and isinstance(unit.lines, list):
        return max((ln for ln in unit.lines if ln is not None), default=0)
    if isinstance(unit, BrokenDocument):
        return unit.line or 0
    if isinstance(unit, OversizedRecord):
        return unit.first_line or 0
    return 0


def _object_body(doc: Any) -> tuple[list[Any] | tuple[Any, ...] | None, str]:
    """The ``records`` of a Python request body as the service's decoder finds them (the last
    spelling Go matches), or None and why it is no body, worded as for its JSON text (every
    spelling must be an array: Go fails a body on any of them, as :func:`_body_records`); of a
    body whose ``records`` is null, no records and :data:`_NULL_BODY`."""
    if not isinstance(doc, Mapping):  # (an iterable: a list, a tuple, a generator, each as an array)
        return None, _body_kind_reason("array")
    found: list[Any] | tuple[Any, ...] | None = None
    null = False
    for key in doc:
        if isinstance(key, str) and go_field_key(key, "records"):
            value = doc.get(key)
            null = value is None
            if value is None:  # (null: no records, as Go decodes it)
                value = []
            if not isinstance(value, (list, tuple)):
                return None, _records_kind_reason(key, _kind(value))  # (as the text's is worded)
            found = value
    if found is None:
        return None, "no key `records`"
    return found, _NULL_BODY if null else ""


#: What :func:`_object_body` says of a body whose ``records`` is null (no records, as Go decodes it).
_NULL_BODY = "null"


def _object_items(body: list[Any] | tuple[Any, ...]) -> list[Any]:
    """The records of a Python request body's items (``value``, as Go matches it; :class:`NotAnItem` for the others)."""
    return [go_member(item, "value", _NO_VALUE_KEY) if isinstance(item, Mapping) else NotAnItem(item) for item in body]


def object_document_units(doc: Any, keys: tuple[str, ...], objects: int = OBJECT_CHUNK) -> Iterator[Unit]:
    """A Python document: the records are the list at ``keys`` (a document without it is worded
    as the same document as JSON text is, where arrays of objects are included)."""
    why = _path_problem(doc, keys)
    if why is not None and _at_or(doc, keys) is None:  # null: no records, as its JSON text (see null_records_notice)
        yield null_records_notice(keys)
        return
    if why is not None:
        hint = no_records_hint(doc, keys, python=True)
        yield _failed_whole(DocumentFailure(f"no records at `{_path_text(keys)}`: {why}", invalid=False), None, b"", hint)
        return
    yield from _object_units(_at(doc, keys), objects)


def no_records_hint(doc: Any, keys: tuple[str, ...], python: bool = False) -> str:
    """What to do about a document without the array at ``keys`` (decoded, or a Python one):
    when it is an array of documents that each hold it (a JSON file of dump1090 snapshots),
    how to read those; else where its arrays of objects are (:func:`_hint_of`), or ``""``.

    ``records_path`` reads the input's one document or each line's (each Python mapping
    given): an array of documents is not taken apart, as an array of records is not searched
    for their documents; the hint says how to give the documents instead (``python``: as
    the API takes them).
    """
    if isinstance(doc, (list, tuple)) and doc and all(isinstance(d, Mapping) and _path_problem(d, keys) is None for d in doc[:100]):
        path = _path_text(keys)
        n = f"{len(doc):,} documents that each hold `{path}`" if len(doc) > 1 else f"one document holding `{path}`"
        if python:
            return f"the value is a list of {n}: give the documents themselves as the records (records_path is read in each)"
        # (after the reason, "the document is an array, not an object": the array is not named again)
        held = f"its elements are {n}" if len(doc) > 1 else f"its element is {n}"
        return f"{held}: put them one a line (`jq -c '.[]' FILE`) and give that with {option_text('--records-path', to_dot_notation(keys))}"
    if isinstance(doc, (list, tuple)) and doc and all(isinstance(d, Mapping) for d in doc[:100]) and not _hint_of(doc):
        # (an array of records read with a records path: its elements are the records, most likely)
        n = f"{len(doc):,} objects" if len(doc) > 1 else "one object"
        if python:
            return f"the value is a list of {n}: if those are the records, give them without records_path"
        return f"its elements are {n}: if those are the records, leave --records-path out"
    return _hint_of(doc)


def records_path_off_note() -> str:
    """The note on documents read with a records path when none holds its array nor any array of objects
    (NDJSON records, one a line, read as documents): what ``validate`` and ``infer`` say of them."""
    return "no document read holds the --records-path array or any array of objects: if each is a record itself, leave --records-path out"


def records_path_off(report: Report) -> bool:
    """Whether every record of a run failed ``no_records`` (documents without the records path's array):
    when the reader pointed to no other array either, :func:`records_path_off_note` is worth saying."""
    return bool(report.records) and report.failed_records == report.records and all(code == "no_records" for _c, code in report.error_counts)


def note_records_path_off(report: Report, hinted: bool) -> None:
    """Add :func:`records_path_off_note` to the report of a run read with a records path, when every
    record failed for want of its array and the reader hinted at no other array (``hinted``);
    a report merged from parts keeps it only if the whole run is so."""
    note = records_path_off_note()
    if note in report.notes:
        if not records_path_off(report):
            report.notes.remove(note)
    elif not hinted and records_path_off(report):
        report.notes.append(note)


def _path_text(keys: tuple[str, ...]) -> str:
    """``keys`` as a message names them: in dot notation as a path is written (``meta."a.b"``, ``a.""``),
    cut to 100 characters (a key of 100,000 characters, named once per document, made each
    document's message as long)."""
    return preview(to_dot_notation(keys), 100)


def _path_problem(doc: Any, keys: tuple[str, ...]) -> str | None:
    """Why a decoded (or Python) document has no array at ``keys``, or None when it has one."""
    node = doc
    for depth, key in enumerate(keys):
        if not isinstance(node, Mapping):
            return path_reason(keys, depth, _kind(node))
        node = joined_get(node, key, _NO_KEY)  # (a Python key holding a surrogate pair is the character it makes, as in a record)
        if node is _NO_KEY:
            return path_reason(keys, depth)
    if not isinstance(node, (list, tuple)):
        return path_reason(keys, len(keys), _kind(node))
    return None


def path_reason(keys: tuple[str, ...], depth: int, kind: str | None = None) -> str:
    """Why a document has no records at ``keys``, as its no_records message says it (after ``no
    records at `keys`: ``): ``kind`` (a JSON type as msgspec names it, ``int``) stands at
    ``keys[:depth]`` where an object holding the next key should (``depth < len(keys)``), or the
    array of records (``depth == len(keys)``); no ``kind``: the object there has no key
    ``keys[depth]``. (msgspec's ``Expected `array`, got `int` - at `a` `` was shown as it is.)"""
    if kind is None:
        missing = f"no key `{_path_text(keys[depth : depth + 1])}`"
        return f"{missing} in the object at `{_path_text(keys[:depth])}`" if depth else missing
    what = "the document" if depth == 0 else f"the value at `{_path_text(keys[:depth])}`"
    wanted = "an array of records" if depth == len(keys) else "an object"
    return f"{what} is {_kind_words(kind)}, not {wanted}"


#: A JSON type as msgspec names it (and :func:`_kind`), as messages say it.
_KIND_WORDS = {"object": "an object", "array": "an array", "str": "a string", "int": "a number", "float": "a number", "bool": "a boolean", "null": "null"}


def _kind_words(kind: str) -> str:
    """A JSON type as msgspec names it (``int``), as messages say it (``a number``)."""
    return _KIND_WORDS.get(kind, f"a {kind}")


#: msgspec's error on a document that is not the objects (and the array) a decoder of structs
#: walks (a request body's, a records path's): a JSON type where an object or an array should be,
#: or an object without a required key; `` - at `$.a.b` ``: where, its struct fields joined by dots.
_MSGSPEC_SHAPE_ERROR = re.compile(
    r"(?:Expected `(?P<wanted>(?:array|object)(?: \| null)?)`, got `(?P<kind>[^`]+)`|Object missing required field `(?P<key>[^`]*)`)"
    r"(?: - at `(?P<at>[^`]*)`)?"
)


class _Shape(NamedTuple):
    """msgspec's error on a document's shape (:data:`_MSGSPEC_SHAPE_ERROR`) in parts."""

    #: the JSON type found (as msgspec names it: ``int``) where an object or an array should be; None: a key is missing
    kind: str | None
    #: an array should be there (else an object)
    array: bool
    #: the required key the object at ``at`` lacks; None: a JSON type is wrong
    key: str | None
    #: where: ``$`` the document, ``$.a.b`` the value at keys ``a``, ``b``
    at: str


def _msgspec_shape(why: str) -> _Shape | None:
    """msgspec's error ``why`` on a document's shape in parts, for a message in mapper's words
    (:func:`_body_reason`, :func:`_msgspec_path_reason`); None for any other error."""
    m = _MSGSPEC_SHAPE_ERROR.fullmatch(why)
    if m is None:
        return None
    wanted = m.group("wanted")
    return _Shape(m.group("kind"), wanted is not None and wanted.startswith("array"), m.group("key"), m.group("at") or "$")


def _msgspec_path_reason(keys: tuple[str, ...], why: str) -> str:
    """:func:`path_reason` of msgspec's error ``why`` on a document too deep to walk (its records
    path decoder's: ``Expected `array`, got `int` - at `$.a` ``, ``Object missing required field `b`
    - at `$.a` ``, the path its struct fields joined by dots); its own text, cut, when it is none of those."""
    shape = _msgspec_shape(why)
    if shape is not None:
        for depth in range(len(keys) + 1):
            if shape.at != "$" + "".join("." + k for k in keys[:depth]):
                continue
            if shape.key is not None and depth < len(keys) and keys[depth] == shape.key:
                return path_reason(keys, depth)
            if shape.kind is not None and (depth == len(keys)) == shape.array:
                return path_reason(keys, depth, shape.kind)
    return preview(why, 200)


_NO_KEY = object()


def _at_or(doc: Any, keys: tuple[str, ...]) -> Any:
    """The value at ``keys`` of a Python document, as :func:`_path_problem` walks it; ``_NO_KEY`` when there is none."""
    node = doc
    for key in keys:
        if not isinstance(node, Mapping):
            return _NO_KEY
        node = joined_get(node, key, _NO_KEY)
        if node is _NO_KEY:
            return _NO_KEY
    return node


def _at(doc: Any, keys: tuple[str, ...]) -> Any:
    """The value at ``keys`` of a document (keys :func:`record_arrays` found, or a records path
    :func:`_path_problem` found there: its keys as their JSON text arrives)."""
    for key in keys:
        doc = joined_get(doc, key, None)
    return doc


def _kind(value: Any) -> str:
    """A Python value's JSON type as msgspec names it (any mapping an object, as everywhere)."""
    return "object" if isinstance(value, Mapping) else type_name(value)


class NotAnItem:
    """An element of ``records`` in a request body that is not ``{"value": ...}`` (``item`` None: no "value")."""

    def __init__(self, item: Any):
        self.item = item


class OversizedObject:
    """A record given as a Python mapping whose JSON text (``size`` bytes, as a Batcher writes it) is
    over the maximum record size asked for (``limit``): refused ``too_large``, as its text would be."""

    def __init__(self, size: int, limit: int):
        self.size, self.limit = size, limit

    @property
    def reason(self) -> str:
        return too_large_reason(self.size, self.limit, "the record's JSON text, as a Batcher writes it,")


def measured_objects(objs: list[Any], limit: int) -> list[Any]:
    """``objs`` (Python records), each mapping whose JSON text is over ``limit`` bytes an
    :class:`OversizedObject`: a producer sends that text (:func:`~mapper.engine.pyjson.mapping_text`,
    what :class:`mapper.Batcher` sends and measures), and the endpoint reads it. Asked only for a
    ``max_record_size`` other than the default (see :data:`~mapper.options.MAX_RECORD_SIZE`): writing
    each dict's text costs about what mapping it does. A mapping with no JSON text is left to the
    errors that say why (or to nothing, where no mapped value holds what has none, as ever)."""
    out = objs
    for i, obj in enumerate(objs):
        if obj.__class__ is dict or isinstance(obj, Mapping):  # (typing's isinstance: ~1 us, a dict's told first)
            raw, _ = mapping_text(obj, keep=False)
            if raw is not None and len(raw) > limit:
                if out is objs:
                    out = list(objs)
                out[i] = OversizedObject(len(raw), limit)
    return out


_NO_VALUE_KEY: Any = NotAnItem(None)


def _object_units(objs: Iterable[Any], size: int = OBJECT_CHUNK, texts: bool = False) -> Iterator[ObjectRecords | RawRecords | BrokenDocument]:
    """Python records in units of ``size``, cut at C speed (a step per record here was ~15%
    of mapping a list of dicts). ``texts``: the caller's own iterable of records, where a str
    or bytes is a record's JSON text (:class:`_TextsApart`); not the values of a Python request
    body or document, where a str is the JSON string it is (no record), as in their JSON text."""
    unit = _TextsApart().unit if texts else _objects
    if isinstance(objs, (list, tuple)):
        for i in range(0, len(objs), size):
            part = objs[i : i + size]
            yield from unit(part if isinstance(part, list) else list(part))
        return
    it = iter(objs)
    first = next(it, _NONE)  # (taken alone: its copy, made before the iterator gives another, says whether it was filled anew)
    if first is _NONE:
        return
    given = it is objs  # an iterator (a generator), which may give one dict filled anew; a container (a deque, an array) holds its records
    head, kept = first, (_kept(first) if given else _NONE)
    done = 0  # records in the units before (each mapped before the next is read)
    while True:
        batch: list[Any] = [first] if first is not _NONE else []
        first = _NONE
        try:
            batch.extend(islice(it, size - len(batch)))
        except Exception:  # the caller's iterator failed: the records it gave before go first
            if batch:
                if given:
                    _refuse_refilled(batch, done, head, kept)
                yield from unit(batch)
            raise
        if not batch:
            return
        if given:
            _refuse_refilled(batch, done, head, kept)
        done += len(batch)
        yield from unit(batch)


_NONE: Any = object()


def _kept(record: Any) -> Any:
    """A deep copy of a mapping an iterator gave as its first record (to tell whether it gives it
    again changed), or ``_NONE`` (no mapping, or none copied)."""
    if type(record) is not dict and not isinstance(record, Mapping):
        return _NONE
    try:
        return copy.deepcopy(record)
    except Exception:  # (a value that cannot be copied: not looked at)
        return _NONE


#: Records an iterator may give again, the same object, as its next record: they cannot change.
_UNCHANGING = (str, bytes, int, float, type(None), tuple, frozenset)


def _refuse_refilled(part: list[Any], done: int, head: Any, kept: Any) -> None:
    """An InputError if the caller's iterator gave one object (a dict, any object that can
    change) as a record and again as the next one (one dict filled anew for each record):
    records are read a unit ahead of mapping, so every record of the unit would be read as
    the dict last was, all but the last lost without a word.

    ``part``: a unit of its records, after the ``done`` records of the units before (each
    unit is mapped before the next is read: a record given again across units is no loss);
    ``head``: the first record, ``kept`` its copy made before the iterator gave another
    (:func:`_kept`). A record given again is the same record again only when it can be told
    unchanged: the first record, equal to its copy (``iter([record] * 3)``), or one that cannot
    change (a str); any other is refused, as one filled anew cannot be told from it. An ``is``
    test per pair of records, at C speed: about 10 ns a record.
    """
    if not any(map(is_, part, islice(part, 1, None))):
        return
    head_unchanged: bool | None = None  # (compared once a unit: iter([record] * n) gives it n times)
    for i, (a, b) in enumerate(zip(part, islice(part, 1, None)), 1):
        if a is not b or isinstance(b, _UNCHANGING):
            continue
        if b is head and kept is not _NONE:
            if head_unchanged is None:
                try:
                    head_unchanged = bool(b == kept)
                except Exception:  # (values whose comparison fails: not told unchanged)
                    head_unchanged = False
            if head_unchanged:  # (given again unchanged: the same record again)
                continue
            how = f"as record {done + i - 1} and, changed, again as record {done + i}"
        else:
            how = f"as record {done + i - 1} and again as record {done + i} (given again unchanged or filled anew: it cannot be told)"
        raise InputError(
            f"the records' iterator gave one {type(b).__name__} {how}: records are read a few thousand at a time before they are mapped, "
            "so each record given as that object would be read as it last is; give each record its own dict (yield dict(record), or "
            "copy.deepcopy(record) when its nested objects are filled anew too)"
        )


def _objects(part: list[Any]) -> Iterator[ObjectRecords]:
    yield ObjectRecords(part)


#: The types of a record given as its JSON text among Python records; a subclass of one (a
#: ``numpy.str_``, the items of ``np.array`` of texts; a ``numpy.bytes_``; a str enum) is read as
#: its builtin type, a record's JSON text, as ``Mapper.check`` and ``Batcher.add`` read it.
_TEXT_TYPES = frozenset({str, bytes, bytearray, memoryview})
_TEXT_CLASSES = tuple(_TEXT_TYPES)


def _text_types(types: set[type]) -> set[type]:
    """Those of ``types`` (a unit's, :func:`~mapper.types.type_set`) that are a record's JSON text."""
    return {t for t in types if t in _TEXT_TYPES or issubclass(t, _TEXT_CLASSES)}


def _text_bytes(text: Any, what: str = "a record's text") -> bytes:
    """A record's or a document's JSON text (of a :data:`_TEXT_TYPES` type or a subclass) as bytes; a released
    memoryview an InputError naming it ``what``."""
    return str.encode(text, "utf-8", "surrogatepass") if isinstance(text, str) else given_bytes(text, what)


def _texts_bytes(run: list[Any], first: int) -> list[bytes]:
    """The records' texts ``run`` as bytes (:func:`_text_bytes`), the first of them record ``first`` (as a report
    numbers records, from 0): a released memoryview among them is said by its number (``record 2's text came as a
    released memoryview``), where "a record's text" named none of a list of thousands."""
    try:
        return [_text_bytes(text) for text in run]
    except InputError:  # (looked for again: nothing paid by the texts that are read)
        for k, text in enumerate(run):
            _text_bytes(text, f"record {first + k:,}'s text")
        raise


class _TextsApart:
    """Units of Python records, where each ``str`` or ``bytes`` is a record's JSON text, as
    ``Mapper.check`` and ``Batcher.add`` take one (not a string value, which no record is): runs
    of them are raw records, read as a file's are, numbered by the lines of the NDJSON the
    records would make, one a line (a text spanning several lines takes all of them, a Python
    record one), as documents given with ``records_path`` are (:func:`_documents_given`):
    ``readlines()`` of a file gives the file's line numbers. The types are looked at in C
    (:func:`~mapper.types.type_set`): a unit of dicts pays about 4 us per 512 records."""

    def __init__(self) -> None:
        self.line = 1  # the line the next record starts on
        self.records = 0  # the records given before the next part

    def unit(self, part: list[Any]) -> Iterator[ObjectRecords | RawRecords | BrokenDocument]:
        first = self.records
        self.records += len(part)
        texts = _text_types(type_set(part))
        if not texts:
            self.line += len(part)
            yield ObjectRecords(part)
            return
        start = 0
        for i in range(1, len(part) + 1):
            if i == len(part) or (type(part[i]) in texts) != (type(part[start]) in texts):
                run = part[start:i]
                if type(run[0]) in texts:
                    yield from self._text_records(_texts_bytes(run, first + start))
                else:
                    self.line += len(run)
                    yield ObjectRecords(run)
                start = i

    def _text_records(self, raws: list[bytes]) -> Iterator[RawRecords | BrokenDocument]:
        """Records given as JSON texts; a blank one is refused as ``Mapper.check`` refuses it (an empty
        raw record is a request body's item without ``"value"`` to the engine: never one of these).
        A text opening with a byte order mark is read without it, as ``Mapper.check`` reads it (:func:`without_bom`)."""
        second = False
        if any(map(bytes.startswith, raws, repeat(BOM))):
            raws = list(map(without_bom, raws))
            second = any(map(bytes.startswith, raws, repeat(BOM)))
        firsts = self._lines(raws)
        start = 0
        for i, raw in enumerate(raws):
            if blank(raw) or (second and raw.startswith(BOM)):
                if start < i:
                    yield RawRecords(raws[start:i], firsts[start:i], items=True)
                if raw.startswith(BOM):  # (a text's second mark: its first taken off, as check says it)
                    yield BrokenDocument(f"Invalid JSON: invalid character at char 1{SECOND_BOM_NOTE}", firsts[i], raw, one_record=True)
                else:
                    yield BrokenDocument("no record: the text is empty", firsts[i], raw, one_record=True)  # (check's words)
                start = i + 1
        if start < len(raws):
            yield RawRecords(raws[start:], firsts[start:], items=True)

    def _lines(self, raws: list[bytes]) -> list[int | None]:
        """The line each of ``raws`` stands on (below the blank lines a text opens with; a blank
        text's first), moving :attr:`line` past them all: at C speed when no text spans lines,
        the usual run (one line each; a step per text cost a list of 200,000 texts a fifth more)."""
        if max(map(bytes.find, raws, repeat(b"\n")), default=-1) < 0:  # (memchr's find: bytes.count took 2.5x as long)
            firsts: list[int | None] = list(range(self.line, self.line + len(raws)))
            self.line += len(raws)
            return firsts
        firsts = []
        for raw in raws:
            count = raw.count(b"\n")
            first = self.line
            if count and raw[:1].isspace():  # (blank lines before the record: it starts below them)
                lead = len(raw) - len(raw.lstrip())
                if lead < len(raw):
                    first += raw.count(b"\n", 0, lead)
            firsts.append(first)
            self.line += count + (0 if raw.endswith(b"\n") else 1)
        return firsts
