"""Decoding one record as the ingester's decoder (Go's ``encoding/json`` into ``interface{}``) sees it.

msgspec decodes almost every record exactly as Go would, and it is what the careful
path tries first. Go differs in four places, each handled here on the records that
need it:

* invalid UTF-8 inside a string: Go replaces each invalid byte with U+FFFD (no error);
* an unpaired surrogate escape (``"\\ud800"``): Go stores U+FFFD;
* the integer ``-0``: Go decodes every number as a float64, so it is ``-0.0`` and
  prints as ``"-0"`` into a string column (msgspec gives the int ``0``);
* a number beyond float64's range (``1e400``, a 400-digit integer): Go refuses the
  whole record. A batch's engine judges such a number where the sink maps it
  (``out_of_range`` at that column) and ignores it elsewhere: the fast decoders never
  read unmapped values, and both paths must agree (a deliberate deviation, listed in
  docs/types.md). ``Mapper.check`` and the batcher look at one record's whole text
  (:func:`huge_number`: ``out_of_range`` where it is).
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
import unicodedata
from sys import getrecursionlimit
from typing import Any, Callable, Iterator, Mapping

import msgspec
import numpy as np
import orjson

from ..errors import SECOND_BOM_NOTE, SURROGATE, as_unescaped, has_lone_surrogate, preview, text_command
from ..stack import GO_RECORD_BYTES, RECORD_DEPTH, ROOMY, UNCAPPED, decoders_pass_record_depth, full_stack, on_roomy_stack
from ..types import OutOfRangeNumber
from ..types.base import beyond_float64_reason, json_path

__all__ = [
    "RecordDecodeError",
    "too_deep",
    "decode_record",
    "deeper_than",
    "past_record_depth",
    "engine_too_deep",
    "NESTED_TOO_DEEPLY",
    "go_field_key",
    "go_member",
    "has_surrogates",
    "has_unpaired",
    "huge_number",
    "invalid_character",
    "joined_keys",
    "json_path",
    "neg_zero_at",
    "record_place",
    "same_length_escapes",
    "surrogate_rows",
    "unpaired_escapes",
    "without_surrogates",
]

_DECODE_ANY = msgspec.json.Decoder()
_BYTE_RE = re.compile(r"\(byte (\d+)\)")
#: an integer -0: not followed by what makes it another number (``-0.5``, ``-0e1``, ``-01``)
_NEG_ZERO = re.compile(rb"-0(?![.eE0-9])")


def _replace_byte(exc: UnicodeError) -> tuple[str, int]:
    # Go's utf8.DecodeRune returns (RuneError, 1) for each byte of an invalid sequence:
    # one U+FFFD per byte (Python's "replace" takes maximal subparts instead).
    assert isinstance(exc, UnicodeDecodeError)
    return "\ufffd", exc.start + 1


codecs.register_error("mapper-go-replace", _replace_byte)


# The request body is decoded into a struct (``{"records": [{"value": ...}]}``): Go's
# encoding/json matches an object's key to a struct field by its exact name first, then
# case-insensitively, and each member it matches is decoded in turn (of a key given twice,
# or in two spellings, the last is what stays). Folding makes ASCII letters one case; of
# the other runes, only the LONG S (U+017F) and the KELVIN SIGN (U+212A) fold onto an ASCII
# letter in every Go version (bytes.EqualFold's special cases; Go 1.21's foldName also folds
# U+0130 and U+0131 onto I, older versions do not: no field name mapper matches has an i).
_GO_ASCII_FOLDS = {"\u017f": "S", "\u212a": "K"}


def go_field_key(key: str, field: str) -> bool:
    """Whether Go's encoding/json decodes a member named ``key`` (unescaped) into the struct
    field whose JSON name is ``field`` (ASCII letters, no ``i``): ``"Records"``, ``"VALUE"``
    and ``"recordſ"`` are taken."""
    if key == field:
        return True
    if len(key) != len(field):
        return False
    return all(a == b or (a.upper() == b.upper() if a.isascii() else _GO_ASCII_FOLDS.get(a) == b.upper()) for a, b in zip(key, field))


def go_member(obj: Mapping[Any, Any], field: str, default: Any = None) -> Any:
    """The member of a decoded object that Go's decoder puts into the struct field ``field``:
    the last key that matches it (:func:`go_field_key`), read through ``get``; ``default``
    when none does. (A Python object holds a key once: a text's member given twice is
    :mod:`mapper.engine.reader`'s.)"""
    found = default
    for key in obj:
        if isinstance(key, str) and go_field_key(key, field):
            found = obj.get(key, default)
    return found


class RecordDecodeError(Exception):
    """A record Go's decoder refuses too: ``message`` says why and where (character position);
    ``offset``: the byte of the record the message places its error at (None: it names no place,
    a record cut short), for a caller that points at it (the web UI selects that line of a paste)."""

    def __init__(self, message: str, offset: int | None = None):
        self.message = message
        self.offset = offset
        super().__init__(message)


def neg_zero_at(data: bytes | memoryview) -> int:
    """The offset of the first JSON integer ``-0`` (a cheap over-approximation), or -1.

    ``-0`` followed by ``.``, ``e``, ``E`` or a digit is another number (``-0.5``); inside
    a string the same text is a false alarm, which only costs that record the careful path.
    """
    m = _NEG_ZERO.search(data)  # (one pass in C: the careful path asks it of every record)
    return -1 if m is None else m.start()


def decode_record(raw: bytes, neg_zero: bool, column: Callable[[], int] | None = None, unpaired: bool = False) -> tuple[Any, str | None]:
    """The record as Go decodes it, and where the decoder put U+FFFD for what it could not read (None: nowhere).

    That is the first invalid UTF-8 byte (``byte 0xff at char 7``), else the first
    unpaired surrogate escape (``escape \\ud800 at char 7``). ``unpaired``: a string's unpaired
    surrogate escape is kept, the lone surrogate in the string (as Python's decoder reads it),
    and not said: the careful path reads it as a Python caller's, U+FFFD noted at the column
    that maps it (said here, it was the whole record's, the decoder replacing it before any
    column was known); a key's is U+FFFD all the same (a path reads the key as Go's decoder
    does: :func:`joined_keys`). ``neg_zero``: an integer ``-0``
    is read as Go reads it, a float64 negative zero (the careful path's: a sink printing numbers
    as text stores ``"-0"``, and a message says what the endpoint got, ``got `float` -0``,
    whatever other columns the sink has); else as 0 (msgspec's int, stored alike by every
    other type). Raises :class:`RecordDecodeError`, also for a record nested deeper than
    the decoders go from the bottom of a stack (:func:`~mapper.stack.full_stack`: the same
    for every caller). ``column``: the characters before the record on the line it starts
    on (a record after another on its line, an array's element), asked only when a message
    names a character of that line (counted from the line's start, as an editor shows it).
    """
    try:
        if ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home):  # (the usual; else a small stack, or a raised limit to cap: see on_roomy_stack)
            found = full_stack(_decode_record, raw, neg_zero, column, unpaired)
        else:
            found = on_roomy_stack(lambda: full_stack(_decode_record, raw, neg_zero, column, unpaired))
    except RecursionError:
        raise RecordDecodeError(NESTED_TOO_DEEPLY) from None
    if past_record_depth(raw):
        raise RecordDecodeError(NESTED_TOO_DEEPLY)  # (read past Go's depth: 3.13's decoders read 9,999 levels)
    return found


#: Why a record nested deeper than the engine's decoders go is refused (:func:`decode_record`).
NESTED_TOO_DEEPLY = "Invalid JSON: nested too deeply"


def engine_too_deep(raw: bytes) -> str | None:
    """:data:`NESTED_TOO_DEEPLY` when the engine's decoders do not read ``raw`` for its nesting
    (from the bottom of a stack, as :func:`decode_record` reads it), else None (its other faults,
    if any, are :func:`json_problem`'s to say). On Python 3.10 and 3.11 they stop about 995 levels
    deep, before orjson's reader (1,024), which :func:`json_problem` goes by: a text between the
    two is the service's JSON, and refused by the engine."""
    try:
        full_stack(_engine_loads, raw)
    except RecursionError:
        return NESTED_TOO_DEEPLY
    except (msgspec.DecodeError, ValueError):  # (not JSON the engine reads for another fault: json_problem's)
        return None
    return NESTED_TOO_DEEPLY if past_record_depth(raw) else None  # (as decode_record)


#: A byte's step in a JSON text's nesting (:func:`nesting_depth`): an opening bracket one level down, a closing one up.
_NESTING_STEP = np.zeros(256, np.int8)
_NESTING_STEP[list(b"[{")] = 1
_NESTING_STEP[list(b"]}")] = -1


def nesting_depth(raw: bytes) -> int:
    """The most levels of arrays and objects ``raw`` nests (JSON text whose strings are whole:
    what a decoder took; NDJSON lines too, each line's from 0), its strings' brackets not counted."""
    bare = _WHOLE_STRING.sub(b"", raw) if b'"' in raw else raw
    return int(_NESTING_STEP[np.frombuffer(bare, np.uint8)].cumsum(dtype=np.int32).max(initial=0))


def deeper_than(raw: bytes, levels: int) -> bool:
    """Whether ``raw`` (as :func:`nesting_depth` reads it) nests more than ``levels`` levels: told
    by its length, then by its count of opening brackets, before its depth is (a wide record of
    many shallow objects is not a deep one)."""
    return len(raw) >= 2 * (levels + 1) and raw.count(b"[") + raw.count(b"{") > levels and nesting_depth(raw) > levels


def past_record_depth(raw: bytes) -> bool:
    """Whether the record ``raw``, which the engine's decoders read, nests past :data:`~mapper.stack.RECORD_DEPTH`
    where they may read deeper than it (:func:`~mapper.stack.decoders_pass_record_depth`: 3.13's read 9,999
    levels), so that it is refused as Go refuses it: told by its length first (a short one never is)."""
    return len(raw) >= GO_RECORD_BYTES and decoders_pass_record_depth() and deeper_than(raw, RECORD_DEPTH)


def _decode_record(raw: bytes, neg_zero: bool, column: Callable[[], int] | None = None, unpaired: bool = False) -> tuple[Any, str | None]:
    replaced: str | None = None
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            replaced = f"byte 0x{raw[exc.start]:02x} {record_place(raw, exc.start, column)}"
            sent = raw  # (an error names a byte of it that is not UTF-8)
            raw = raw.decode("utf-8", "mapper-go-replace").encode("utf-8")
    try:
        obj = _DECODE_ANY.decode(raw)
    except (msgspec.DecodeError, ValueError) as exc:  # ValueError: an integer of 4,300+ digits
        obj = _decode_like_go(raw, str(exc), column, unpaired, None if replaced is None else sent)
        if replaced is None and not unpaired and b"\\u" in raw:
            replaced = _unpaired_escape(raw, column)
        return obj, replaced
    if neg_zero and neg_zero_at(raw) >= 0:
        obj = _decode_like_go(raw, "")
    return obj, replaced


#: A JSON string's text, quotes included (any byte but a quote or backslash, or an escape).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def replaced_string(raw: bytes) -> str | None:
    """The string of ``raw`` (a record's JSON text) holding its first invalid UTF-8 byte, as
    Go's decoder stores it (each invalid byte U+FFFD): the whole value (or key) a
    ``utf8_replaced`` warning of the record says was stored, as another warning's ``stored``
    is. None: ``raw`` is valid UTF-8, or no string holds the byte (then it is no JSON)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = exc.start
    else:
        return None
    for m in _STRING.finditer(raw):
        if m.start() < at < m.end():
            try:
                value = _decode_record(m.group(), False)[0]
            except RecordDecodeError:
                return None
            return value if isinstance(value, str) else None
        if m.start() > at:
            break
    return None


#: A \\uXXXX escape of half a surrogate pair with no other half next to it (after an even run of backslashes).
_UNPAIRED = re.compile(rb"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})")


#: Quick looks first (the exact pattern above tries every position: ~100 ns a byte): any
#: surrogate escape; a pair of them; a backslash before one (an escaped backslash, which
#: may make a pair's first half text).
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_PAIR = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_AFTER_BACKSLASH = re.compile(rb"\\\\u[dD][89a-fA-F]")


def same_length_escapes(data: bytes) -> bytes:
    """``data`` with each unpaired surrogate escape written ``\\ufffd`` (what Go reads it as), every byte in its place.

    ``data`` itself when it holds none: no surrogate escape at all, or only pairs (each
    surrogate escape inside a pair, none after a backslash), told by C-speed scans.
    """
    if _SURROGATE.search(data) is None:
        return data
    if _AFTER_BACKSLASH.search(data) is None and _SURROGATE.search(_PAIR.sub(b"", data)) is None:
        return data  # every surrogate escape is in a pair
    return _UNPAIRED.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + b"\\ufffd", data)


def _unpaired_escape(raw: bytes, column: Callable[[], int] | None = None) -> str | None:
    """Where the first unpaired surrogate escape of a record is (what Go reads as U+FFFD), if any."""
    m = _UNPAIRED.search(raw)
    if m is None:
        return None
    return f"escape {m.group(1).decode('ascii')} {record_place(raw, m.start(1), column)}"


def record_place(raw: bytes, offset: int, column: Callable[[], int] | None = None) -> str:
    """Where byte ``offset`` of a record is, as messages say it: ``at char N`` on the record's
    first line (counted from the start of the line it stands on: ``column()`` characters
    before the record there), ``at line L char N of the record`` on a later one; characters
    as an editor shows them, each invalid UTF-8 byte one (Go's U+FFFD)."""
    start = raw.rfind(b"\n", 0, offset) + 1
    col = len(raw[start:offset].decode("utf-8", "mapper-go-replace")) + 1
    if start:  # a record spread over lines (a pretty-printed array's, `jq .` output): its own line too
        line = raw.count(b"\n", 0, offset) + 1
        return f"at line {line} char {col} of the record"
    return f"at char {col + (column() if column is not None else 0)}"


def _decode_like_go(raw: bytes, msgspec_error: str, column: Callable[[], int] | None = None, unpaired: bool = False, source: bytes | None = None) -> Any:
    """Python's json module with Go's number rules; ``msgspec_error`` words a syntax error.
    ``unpaired``: unpaired surrogate escapes of strings kept as Python's decoder reads them (lone
    surrogates); a key's read as Go reads it (U+FFFD) all the same."""

    def reject(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    def go_int(text: str) -> Any:
        if text == "-0":
            return -0.0
        if len(text) > 400:  # beyond any float64 (and int() refuses 4,300+ digits)
            return OutOfRangeNumber(text)
        n = int(text)
        try:
            float(n)
        except OverflowError:
            return OutOfRangeNumber(text)
        return n

    def go_float(text: str) -> Any:
        f = float(text)
        return OutOfRangeNumber(text) if f in (float("inf"), float("-inf")) else f

    try:
        # decoded here, not by json.loads: given bytes, it takes a byte order mark and
        # UTF-16/32 text, which Go refuses ("invalid character 'ï' looking for beginning of value")
        obj = json.loads(bytes(raw).decode("utf-8"), parse_int=go_int, parse_float=go_float, parse_constant=reject)
    except ValueError:  # json's own wording is worse than msgspec's: keep msgspec's, with a position
        message = msgspec_error or "JSON is malformed"
        raise RecordDecodeError(json_error_text(raw, message, column, source), json_error_offset(raw, message)) from None
    if b"\\u" in raw:
        obj = joined_keys(obj) if unpaired else _fix_surrogates(obj)
    return obj


def _fix_surrogates(v: Any) -> Any:
    """Go stores U+FFFD for an unpaired surrogate escape; Python's json keeps the lone surrogate.

    A pair (a Python caller's ``"\\ud83d\\ude00"``: its JSON escapes are one character to
    every decoder) is the character it makes, as Go joins the two escapes: UTF-16's own
    decoding does both, each unpaired one U+FFFD, exactly as Go's ``unquote``."""
    if isinstance(v, str):
        return as_unescaped(v) if SURROGATE.search(v) else v
    if isinstance(v, (list, tuple)):
        return [_fix_surrogates(x) for x in v]
    if isinstance(v, Mapping):
        return {_fix_surrogates(k): _fix_surrogates(x) for k, x in v.items()}
    return v


def joined_keys(v: Any) -> Any:
    """A JSON value (dicts, lists and scalars) with each key holding surrogates as it reaches the
    endpoint (:func:`~mapper.errors.as_unescaped`: a pair is its character; of keys arriving as
    one, the last counts, as Go's decoder keeps it), as the generated walk reads keys
    (:func:`mapper.compiler.joined_get`); its strings are left as they are (their notes are
    the column's). ``v`` itself when nothing changes."""
    if v.__class__ is list:
        items = [joined_keys(x) for x in v]
        return v if all(a is b for a, b in zip(items, v)) else items
    if v.__class__ is not dict:
        return v
    odd = any(has_lone_surrogate(k) for k in v)
    changed = {k: w for k, x in v.items() if (w := joined_keys(x)) is not x}
    if not odd:
        return {**v, **changed} if changed else v
    out: dict[str, Any] = {}
    for k, x in v.items():
        out[as_unescaped(k) if has_lone_surrogate(k) else k] = changed.get(k, x)  # (the last value, at the first one's place, as its text decodes)
    return out


def has_surrogates(v: Any) -> bool:
    """Whether a Python value holds a string with an unpaired UTF-16 surrogate (no JSON text carries one as text)."""
    if isinstance(v, str):
        return has_lone_surrogate(v)
    if isinstance(v, (list, tuple)):
        return any(has_surrogates(x) for x in v)
    if isinstance(v, Mapping):
        return any(has_surrogates(k) or has_surrogates(x) for k, x in v.items())
    return False


#: A surrogate pair in a Python string: its two JSON escapes arrive as one character.
_PAIRED = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def has_unpaired(v: Any) -> bool:
    """Whether a Python value holds a surrogate that is not half of a pair (which JSON carries
    as an escape read as U+FFFD): pairs alone arrive as the characters they make."""
    if isinstance(v, str):
        return has_lone_surrogate(v) and SURROGATE.search(_PAIRED.sub("", v)) is not None
    if isinstance(v, (list, tuple)):
        return any(has_unpaired(x) for x in v)
    if isinstance(v, Mapping):
        return any(has_unpaired(k) or has_unpaired(x) for k, x in v.items())
    return False


def without_surrogates(v: Any) -> tuple[Any, str]:
    """A value that holds unpaired surrogates as its JSON text would reach the endpoint (each one U+FFFD), and the value as sent, escaped."""
    sent = v.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(v, str) else _sent_text(v)
    return _fix_surrogates(v), sent


def _sent_text(v: Any) -> str:
    """A Python value's JSON text as a warning quotes what was sent; one holding an int past
    Python's 4,300 digits (which ``json.dumps`` raises ValueError for) is described instead."""
    try:
        return json.dumps(v, default=repr)
    except ValueError:
        return f"<a {type(v).__name__} holding an integer of thousands of digits>"


def surrogate_rows(values: list[Any], kinds: set[type] | None = None) -> list[int]:
    """The rows of a column's list of Python values whose strings hold an unpaired surrogate (``kinds``: their types, if known)."""
    try:
        if not _any_surrogate(values, kinds):
            return []
        return [i for i, v in enumerate(values) if has_surrogates(v)]
    except RecursionError:  # values nested this deep are refused by every conversion anyway
        return []


def _any_surrogate(values: list[Any], kinds: set[type] | None = None) -> bool:
    """Whether any string in ``values`` (or in the lists among them) holds an unpaired surrogate.

    The strings are joined and searched at C speed (most lists are all ASCII); a list's
    elements are searched the same way, one level down; mappings are walked.
    """
    if kinds is None:
        kinds = set(map(type, values))
    if kinds == {str}:
        return has_lone_surrogate("".join(values))
    deep = {k for k in kinds if k is not str and issubclass(k, (str, list, tuple, Mapping))}
    strs = [v for v in values if v.__class__ is str]
    if strs and _any_surrogate(strs):
        return True
    if not deep:
        return False
    if deep <= {list, tuple}:
        return _any_surrogate([x for v in values if v.__class__ is list or v.__class__ is tuple for x in v])
    return any(has_surrogates(v) for v in values if v.__class__ is not str)


#: JSON's tokens as the number scan below needs them: strings (skipped whole), punctuation, numbers.
#: (A string's ordinary characters are taken a run at a time, its escapes between runs: one
#: alternation per character took 3 s over a 16 MB string.)
_SCAN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]|-?[0-9][0-9.eE+-]*')


def _value_tokens(raw: bytes) -> Iterator[tuple[re.Match[bytes], list[list[Any]]]]:
    """The value tokens of a JSON text (which the engine's decoder read): its strings that are
    values, not keys, and its numbers, each with the open containers around it, outermost
    first: ``[is_object, key or index, expecting a key, member number]`` (a key as Go reads
    it: an unpaired surrogate escape in it is U+FFFD; of a name given twice, Go keeps the
    later member, whose number this is)."""
    stack: list[list[Any]] = []
    for m in _SCAN.finditer(raw):
        token = m.group()
        c = token[:1]
        if c == b"{":
            stack.append([True, None, True, 0])
        elif c == b"[":
            stack.append([False, 0, False, 0])
        elif c in (b"}", b"]"):
            stack.pop()
        elif c == b",":
            top = stack[-1]
            top[3] += 1
            if top[0]:
                top[2] = True
            else:
                top[1] += 1
        elif c == b":":
            stack[-1][2] = False
        elif c == b'"' and stack and stack[-1][0] and stack[-1][2]:
            stack[-1][1] = _fix_surrogates(json.loads(token.decode("utf-8", "replace")))
        else:
            yield m, stack


def huge_number(raw: bytes) -> tuple[list[str | int], int, str] | None:
    """The first number of a JSON text (which the engine's decoder read) beyond float64, as
    Go's decoder finds it: its path (keys and indices), its offset in ``raw``, its text."""
    for m, stack in _value_tokens(raw):
        token = m.group()
        if token[:1] != b'"' and math.isinf(float(token)):  # (float() of a decimal text too big gives inf, as Go's ParseFloat fails)
            return [top[1] for top in stack], m.start(), token.decode("ascii", "replace")
    return None


def number_texts(raw: bytes) -> dict[str, str]:
    """The numbers of a JSON text (which the engine's decoder read) as it writes them, by the
    path of each as messages write it (``$.s``: ``"1e20"``, ``"-0"``, ``"1.50"``); of a name
    given twice, the later member's, the one Go keeps. Read only for a message (see
    :func:`mapper.engine.careful.numbers_as_written`)."""
    found: dict[str, str] = {}
    for m, stack in _value_tokens(raw):
        token = m.group()
        if token[:1] != b'"':
            found[json_path([top[1] for top in stack])] = token.decode("ascii", "replace")
    return found


def unpaired_escapes(raw: bytes) -> list[tuple[list[str | int], list[int], int, str]]:
    """The unpaired surrogate escapes of a JSON text's string values (not its keys: a key's
    leaves what is stored as sent), in order: the path of the value holding each (keys and
    indices, a key holding an unpaired escape as Go reads it, U+FFFD), the members' and
    elements' numbers along it (of a name given twice, Go keeps the later member), its offset
    in ``raw``, its text (``\\ud800``)."""
    found: list[tuple[list[str | int], list[int], int, str]] = []
    for m, stack in _value_tokens(raw):
        token = m.group()
        if token[:1] == b'"' and b"\\u" in token:
            path, members = [top[1] for top in stack], [top[3] for top in stack]
            found.extend((path, members, m.start() + e.start(1), e.group(1).decode("ascii")) for e in _UNPAIRED.finditer(token))
    return found


#: A text's bytes as :func:`may_hold_huge_number` reads them: a digit as ``0``, an exponent's
#: ``e`` (either case) as ``e``, ``+`` as itself, anything else a blank.
_NUMBER_SHAPE = bytes(48 if 48 <= c <= 57 else 101 if c in (69, 101) else 43 if c == 43 else 32 for c in range(256))
#: Bytes of a text shaped at a time (and the overlap of one window with the next, longer than any mark).
_SHAPE_WINDOW, _SHAPE_OVERLAP = 1 << 20, 256
#: What a number beyond float64 holds (see :func:`may_hold_huge_number`).
_HUGE_MARKS = (b"e000", b"e+000", b"0" * 200)


def may_hold_huge_number(raw: bytes) -> bool:
    """Whether ``raw`` may hold a number beyond float64 (False: it holds none; True: perhaps).

    Such a number (at least about 1.8e308) either has an exponent of three digits or more
    (``1e400``, ``5E+0309``: an exponent of two digits or less cannot lift an integer part of
    fewer than 200 digits past 10^299) or a run of 200 digits or more. Found by shape, a window
    of the text at a time, in C (``bytes.translate`` then ``in``): five times quicker than the
    ``orjson.loads`` of a whole text, which built all of its values (a 50 MB request body's
    peak memory grew 445 MB for it). Strings are not told from numbers (``"abe1234"`` is a
    maybe): a text that may hold one is decoded to tell."""
    n = len(raw)
    if n <= _SHAPE_WINDOW:
        shaped = raw.translate(_NUMBER_SHAPE)
        return any(mark in shaped for mark in _HUGE_MARKS)
    for start in range(0, n, _SHAPE_WINDOW):
        shaped = raw[start : start + _SHAPE_WINDOW + _SHAPE_OVERLAP].translate(_NUMBER_SHAPE)
        if any(mark in shaped for mark in _HUGE_MARKS):
            return True
    return False


def huge_number_in(raw: bytes) -> tuple[list[str | int], int, str] | None:
    """:func:`huge_number` of any text: None when it holds none, or is no JSON Go's decoder
    reads (that is its error). A text that cannot hold one (:func:`may_hold_huge_number`, the
    usual) is not decoded; else one ``orjson.loads`` when it holds none: orjson refuses every
    number beyond float64 (and invalid UTF-8 and unpaired surrogate escapes, which Go reads:
    such a text is decoded as Go decodes it, then scanned)."""
    if not may_hold_huge_number(raw):
        return None
    try:
        orjson.loads(raw)
        return None
    except orjson.JSONDecodeError:
        pass
    try:
        decode_record(raw, False)
    except RecordDecodeError:
        return None
    return huge_number(raw)


def json_error_offset(raw: bytes, message: str) -> int | None:
    """The byte of ``raw`` that msgspec's 'JSON is malformed: ... (byte N)' is about, as
    :func:`json_error_text` places it; None when the message names no byte (input truncated)."""
    message = malformed_text(message, raw)
    m = _BYTE_RE.search(message)
    return error_offset(message, int(m.group(1)), raw) if m else None


def json_error_text(raw: bytes, message: str, column: Callable[[], int] | None = None, source: bytes | None = None) -> str:
    """msgspec's 'JSON is malformed: ... (byte N)' with the character position in the record
    (on its first line counted from the line's start: ``column()`` characters before it, see
    :func:`record_place`); a character that cannot continue the JSON named, with what its place
    needed (:func:`invalid_character`; ``source``: the record as sent, when ``raw`` is it with
    each invalid UTF-8 byte made U+FFFD).

    msgspec gives no structured position: the byte offset is read from its message
    (``tests/test_engine_internals.py`` fails if that wording changes).
    """
    message = malformed_text(message, raw)
    m = _BYTE_RE.search(message)
    text = message.replace("JSON is malformed: ", "").replace("Input data was truncated", "unexpected end of the record (truncated)")
    if m:
        offset = error_offset(message, int(m.group(1)), raw)
        words = _BYTE_RE.sub("", text).strip()
        place = record_place(raw, offset, column)
        text = _BYTE_RE.sub(place, text)
        comma = None
        if raw[offset : offset + 1] == b",":
            comma = _comma_text(raw, offset, text)
            empty = empty_comma(raw, offset, comma)
            if empty is not None:  # (msgspec's words before the place: the place is kept)
                comma = empty + comma[len(comma.split(" at ", 1)[0]) :]
        if comma is not None and comma != text:
            text = comma
        elif raw[offset : offset + 3] == b"\xef\xbb\xbf":  # (what a Windows tool writes first: said by name)
            text += bom_note("record")
        elif written := hand_written(raw, offset):  # (msgspec's "object keys must be strings" said nothing of them)
            text = f"{written[0]} {record_place(raw, offset, column)}{written[1]}"
        elif text.startswith("invalid character") and (note := string_control_note(raw, offset)):
            text += note
        elif text.startswith("trailing characters") and (hint := lone_cr_hint(raw, offset)):
            text += f"; {hint}"
        elif note := space_note(raw, offset):
            text += note
        elif said := invalid_character(words, raw, offset, source):  # (the character named, and what the place needed)
            text = f"{said[0]} {place}{said[1]}"
    return f"Invalid JSON: {text}"


def hand_written(raw: bytes, offset: int) -> tuple[str, str] | None:
    """What JSON5 and hand-written JSON hold and JSON has not, when the character at ``offset``
    (where the text stopped being JSON) starts one outside a string: a comment, a string in single
    quotes; as ``(what, what to do)`` around the place; else None. Only on the error path."""
    if _in_string(raw, offset):
        return None
    if raw[offset : offset + 2] in (b"//", b"/*"):
        return "a comment", ": JSON has none (remove it)"
    if raw[offset : offset + 1] == b"'":
        return "a string in single quotes", ": JSON strings take double quotes"
    return None


#: Characters that look like a space (or nothing) and that JSON does not take as whitespace, besides
#: Unicode's space separators: a zero-width space, the line and paragraph separators.
_SPACE_LIKE = {"\u200b", "\u2028", "\u2029"}


def space_note(raw: bytes, offset: int) -> str:
    """What the character at ``offset`` is, when it looks like a space and JSON takes it for none (a
    no-break space copied from a web page, an ideographic space): "invalid character" or "trailing
    characters" alone named a place where the text shows a blank. Only on the error path."""
    char = raw[offset : offset + 4].decode("utf-8", "ignore")[:1]
    if not char or char.isascii() or not raw.startswith(char.encode("utf-8"), offset):
        return ""
    if unicodedata.category(char) != "Zs" and char not in _SPACE_LIKE:
        return ""
    name = unicodedata.name(char, "").lower()
    return f": U+{ord(char):04X} ({name}), which JSON does not take as whitespace (copied from a web page?): type a plain space, or delete it"


def lone_cr_words(file: str | os.PathLike[Any] | None = None) -> str:
    """What lines ending in a lone CR are, and what to do, the command reading ``file`` (shell-quoted,
    unpacked when compressed: :func:`~mapper.errors.text_command`; ``FILE`` where there is no name)."""
    convert = text_command("tr '\\r' '\\n'", file, stdin=True)
    return f"the lines end in a lone CR (carriage return) and NDJSON lines end in LF (\\n): convert them first, e.g. `{convert}`"


#: What lines ending in a lone CR are, and what to do (:func:`lone_cr_hint`), where the decoder knows no
#: file name: :func:`lone_cr_named` names it where the caller knows it.
LONE_CR_HINT = lone_cr_words()


def lone_cr_named(text: str, file: str | os.PathLike[Any] | None) -> str:
    """``text`` (an error) with its lone-CR hint's command naming ``file`` (None: as it is)."""
    if file is None or not text.endswith(LONE_CR_HINT):
        return text
    return text[: -len(LONE_CR_HINT)] + lone_cr_words(file)


def lone_cr_hint(data: bytes, offset: int) -> str:
    """What the lines are, when the blanks before the trailing characters at ``offset``
    hold a carriage return and no line feed (lines ending in a lone CR, as classic Mac OS wrote
    them: NDJSON read one record of them all, "trailing characters" alone did not say why), else
    ``""``. Only on the error path: a clean input never looks."""
    gap = data[:offset]
    blanks = gap[len(gap.rstrip(b" \t\r\n")) :]
    if b"\r" not in blanks or b"\n" in blanks:
        return ""
    return LONE_CR_HINT


def control_note(byte: int) -> str:
    """What a raw control character inside a string is (a NUL or a tab pasted into a value, which
    JSON must escape): "invalid character" alone did not say which, nor that it can be sent."""
    escape = _ESCAPED.get(byte) or "\\u%04x" % byte
    return f": control character U+{byte:04X} in a string (write it as {escape})"


def string_control_note(data: bytes, offset: int) -> str:
    """:func:`control_note` of the byte at ``offset`` when it is a raw control character inside a
    string, else ``""``: said of a record's text and of a document read whole alike (an array or a
    request body said only "invalid character at char 74")."""
    if data[offset : offset + 1] < b" " and offset < len(data) and _in_string(data, offset):
        return control_note(data[offset])
    return ""


_ESCAPED = {8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}


def _in_string(data: bytes, at: int) -> bool:
    """Whether byte ``at`` of ``data`` stands inside a string: its line's strings before it, once
    the closed ones are taken out, leave one open (a string cannot span lines)."""
    return b'"' in _STRINGS.sub(b"", data[data.rfind(b"\n", 0, at) + 1 : at])


#: What records separated by commas are told (a JSON array's elements without its brackets).
COMMA_HINT = "records are one a line with nothing between, or inside a JSON array's [ ]: is this an array missing its brackets?"


def _comma_text(raw: bytes, offset: int, text: str) -> str:
    """``text`` (``invalid character at char N``) said as what it is when the comma at ``offset``
    stands between records: first in a record (what follows a complete one, cut off it: records
    written ``{...},`` one a line, or pretty-printed with ``},`` between them), or right after
    the record (``{...},{...}`` on one line: trailing characters). Else ``text`` as it was."""
    before = raw[:offset].strip(b" \t\r\n")
    if text.startswith("invalid character at ") and not before:
        return text.replace("invalid character", "a comma between records", 1) + f" ({COMMA_HINT})"
    if text.startswith("trailing characters at "):
        return text.replace("trailing characters", "a comma after the record", 1) + f" ({COMMA_HINT})"
    return text


def empty_comma(data: bytes, offset: int, text: str) -> str | None:
    """What the comma at ``offset`` of ``data`` is, when msgspec's ``text`` (``invalid character
    at ...``, ``object keys must be strings at ...``, ``expected '"' at ...``) is about one that stands right after an
    opening bracket or another comma (``[{...},,{...}]``, ``[,1]``, ``{"a": 1,,``), else None."""
    if data[offset : offset + 1] != b",":
        return None
    before = data[:offset].rstrip(b" \t\r\n")[-1:]
    if text.startswith("invalid character") and before in (b",", b"["):
        return "a comma with no value before it"
    if text.startswith(("object keys must be strings", "expected '\"'")) and before in (b",", b"{"):
        # (msgspec's Raw and its skipping of unmapped objects say "expected '\"'" of the same comma)
        return "a comma with no member before it"
    return None


_TRUNCATED = "Input data was truncated"


def malformed_text(message: str, data: bytes) -> str:
    """msgspec's error ``message`` on ``data``, said as it is: a broken literal near the end
    (``{"a": t}``, of which msgspec wanted four bytes at once) is an invalid character, not a
    truncation; an error past the last byte (``[-``, ``[1.``: the text ends inside a value) is one."""
    if _TRUNCATED in message:
        at = _literal_cut(data)
        if at is not None:
            return f"JSON is malformed: invalid character (byte {at})"
        at = _escape_cut(data)
        return message if at is None else f"JSON is malformed: invalid character in unicode escape (byte {at})"
    m = _BYTE_RE.search(message)
    if m and "trailing characters" not in message:
        end = len(data)
        while end and data[end - 1] in b" \t\r\n":
            end -= 1
        if error_offset(message, int(m.group(1)), data) >= end:
            return _TRUNCATED
    return message


def _literal_cut(data: bytes) -> int | None:
    """Where a literal among the last bytes of ``data`` first differs from the literal it starts
    (``t}``: the ``}``), if it does before the end; None when it does not."""
    for start in range(len(data) - 1, max(len(data) - 5, -1), -1):
        literal = _LITERALS.get(data[start])
        if literal is None or len(data) - start >= len(literal) or not _at_value(data, start):
            continue
        text = data[start:]
        if not literal.startswith(text):
            return start + next(i for i, (a, b) in enumerate(zip(text, literal)) if a != b)
    return None


def without_bom(text: bytes) -> bytes:
    """A JSON text given alone (an input, a record's text given to ``Mapper.check``, ``Batcher.add``, or
    as an item among records) without the UTF-8 byte order mark it may open with, as an input's is
    taken off: the mark is no part of the record (an error's char does not count it, as validate of
    the text does not); one later in the text (``b" \xef\xbb\xbf{}"``, or a record past an input's
    first) is refused (:func:`bom_note`)."""
    return text[3:] if text[:3] == b"\xef\xbb\xbf" else text


def bom_note(what: str) -> str:
    """What a byte order mark is, where one stands inside an input (``what``: a record, a document,
    a value): a file's first bytes may be one, no later bytes may."""
    return f": a byte order mark (U+FEFF), which may open an input (a file's first bytes) but not a {what} within one"


def second_bom(message: str) -> str:
    """``message`` (a record's :func:`json_error_text`) said of a second mark, when it is of a byte
    order mark at char 1 of a text whose first mark was taken off (:data:`SECOND_BOM_NOTE`), else as given."""
    first = f"at char 1{bom_note('record')}"
    return message[: -len(bom_note("record"))] + SECOND_BOM_NOTE if message.endswith(first) else message


#: Why a request body opening with a byte order mark is no JSON (the service's words for it: serve's
#: ingest route and POST /v1/sinks; made on the error path only): the service's decoder (Go's)
#: refuses the body whole, where a file read may open with one (its first bytes, not the body's).
BODY_BOM_PROBLEM = (
    "invalid character at char 1: a byte order mark (U+FEFF), which a file may start with but a request body may not: "
    "the service's decoder refuses the body (send it without one)"
)


def _escape_cut(data: bytes) -> int | None:
    """Where a ``\\u`` escape among the last bytes of ``data`` has a byte that is no hex digit
    before the end (``"\\uz"}``: the ``z``), if one does; None when it does not."""
    at = data.rfind(b"\\u", max(len(data) - 6, 0))
    if at < 0:
        return None
    slashes = at
    while slashes > 0 and data[slashes - 1] == 92:  # (an escaped backslash before it: "\\\\u" is no escape)
        slashes -= 1
    if (at - slashes) % 2:
        return None
    for i in range(at + 2, len(data)):
        if data[i : i + 1] not in _HEX:
            return i
    return None


def error_offset(message: str, offset: int, data: bytes = b"") -> int:
    """The byte of ``data`` a msgspec error message's ``(byte N)`` is about: the first that
    cannot continue valid JSON (where Go's decoder stops). N, except where msgspec points
    elsewhere: one byte on for trailing characters, a bad ``\\u`` escape's digit and (its
    decoder of values, not of raw ones) a bad escape; a broken literal (``tru}``) one byte
    into it (raw values) or past its length (values), where it is the first byte that differs."""
    if "trailing characters" in message:
        return max(offset - 1, 0)
    if "unicode escape" in message:
        at = data.rfind(b"\\u", max(offset - 6, 0), offset + 1)
        if at >= 0:
            at += 2
            while at < offset and data[at : at + 1] in _HEX:
                at += 1
            return at
    elif "invalid escape character" in message and data[offset - 2 : offset - 1] == b"\\":  # (values: one past the character)
        return offset - 1
    elif "invalid character" in message:
        return _literal_error(data, offset)
    return offset


_HEX = frozenset(bytes([c]) for c in b"0123456789abcdefABCDEF")
_LITERALS = {116: b"true", 102: b"false", 110: b"null"}
_STRINGS = re.compile(rb'"(?:[^"\\\n]|\\.)*"')


def _literal_error(data: bytes, offset: int) -> int:
    """For msgspec's "invalid character" at ``offset``: the first byte that differs from the
    literal (``true``, ``false``, ``null``) a broken one starts with, when that is the fault
    (msgspec names the literal's second byte, or the byte past its length); else ``offset``."""
    for start in range(offset - 1, max(offset - 6, -1), -1):
        literal = _LITERALS.get(data[start]) if start < len(data) else None
        if literal is None or offset not in (start + 1, start + len(literal)):
            continue
        text = bytes(data[start : start + len(literal)])
        if text == literal or not _at_value(data, start):
            continue
        return start + next(i for i, (a, b) in enumerate(zip(text + b"\0", literal)) if a != b)
    return offset


def _at_value(data: bytes, at: int) -> bool:
    """Whether byte ``at`` of ``data`` (valid JSON before it) starts a value: after ``[``, ``:``,
    ``,`` or nothing, and outside a string (its line's strings are all closed before it, as a
    string cannot span lines). Only the line is copied (a document may be large)."""
    before = at - 1
    while before >= 0 and data[before] in b" \t\r\n":
        before -= 1
    if before >= 0 and data[before] not in b"[:,":
        return False
    return b'"' not in _STRINGS.sub(b"", data[data.rfind(b"\n", 0, at) + 1 : at])


# orjson's decoder is strict where the service's (Go's encoding/json) is: RFC 8259 only,
# no NaN, numbers must fit a float64 (1e400 fails, as it does in Go), and nesting is
# bounded. mapper's engine only decodes the mapped fields, so a number out of range in a
# field nobody maps would pass it; the service would refuse the whole body for it.
# Three places orjson is stricter than Go: invalid UTF-8, each byte of which Go (and the
# engine) read as U+FFFD, so the text is read again so repaired; a lone UTF-16
# surrogate escape ("\ud800"), which Go takes as U+FFFD; and nesting past orjson's own
# limit of 1,024 levels, where Go's is 10,000: such a text is read again with the json
# module, numbers held to float64's range as Go holds them, as deep as it reads from the
# bottom of a stack (full_stack: as deep as the engine's decoders, about 995 levels before
# Python 3.12, where orjson's refusal stands; more from 3.12 on, where it read records 1,025
# deep that Batcher.add refused as "not valid JSON for the service", the same as tuples accepted).
def too_deep(exc: orjson.JSONDecodeError) -> bool:
    """Whether orjson refused a text for its nesting (past 1,024 levels): "depth limit exceeded"
    from orjson 3.10, "array and object recursion depth exceeded" in 3.9.15 (before it, orjson
    set no limit: pyproject.toml asks for 3.9.15)."""
    return str(exc).startswith(("depth limit exceeded", "array and object recursion depth exceeded"))


def go_loads(data: bytes) -> Any:
    """``orjson.loads`` as the service's decoder reads ``data`` (see above): an ``orjson.JSONDecodeError`` for what it refuses."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return go_loads(data.decode("utf-8", "mapper-go-replace").encode("utf-8"))
        deep = too_deep(exc)
        if not deep and ("surrogate" not in str(exc) or b"\\u" not in data):
            raise
        if not (
            ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home)
        ):  # (read again as deep as the decoders go: on a stack that holds that, see on_roomy_stack)
            return on_roomy_stack(go_loads, data)
        try:
            return full_stack(_go_json_loads, data)
        except RecursionError:  # deeper than the json module reads: the engine's decoder reads a level more (from 3.12)
            try:
                return full_stack(_engine_loads, data)
            except (RecursionError, msgspec.DecodeError, ValueError):  # deeper than the engine reads too: orjson's refusal
                raise exc from None
        except json.JSONDecodeError as fault:  # the text's own fault, past the surrogate orjson stopped at
            raise orjson.JSONDecodeError(fault.msg, fault.doc, fault.pos) from None
        except ValueError as fault:  # a number beyond float64, NaN: said without a position
            found = orjson.JSONDecodeError(str(fault), data.decode("utf-8", "replace"), 0)
            found.args = (str(fault),)
            raise found from None


def _go_json_loads(data: bytes) -> Any:
    return json.loads(data, parse_float=_go_number, parse_int=_go_number, parse_constant=_no_constant)


def _engine_loads(data: bytes) -> Any:
    """The engine's decoder (numbers beyond float64 refused), called as :func:`decode_record` calls
    it, from a Python frame: it reads a level fewer when the thread calls it itself (Python 3.12)."""
    return _DECODE_ANY.decode(data)


def _warm_decoders() -> None:
    """Call the decoder where the engine calls it on a record, often enough that Python 3.11's
    specializing interpreter has specialized each call (after some 8 calls of the function that
    makes it): a specialized call reads one level more, so until then a record at the edge of the
    depth read was refused, and read after a few more records (a dict by :func:`engine_too_deep`, 997
    levels, and its text by :func:`decode_record`: one verdict at a cold site, the other at a warm one)."""
    for _ in range(16):
        _engine_loads(b"0")
        _decode_record(b"0", False)


_warm_decoders()


def _go_number(text: str) -> Any:
    try:
        value = float(text)
    except OverflowError:  # pragma: no cover - float() of a decimal text gives inf rather than raising
        value = math.inf
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of float64 range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def service_loads(data: bytes) -> Any:
    """The JSON value the service's decoder reads from ``data``, which :func:`json_problem`
    passed: invalid UTF-8 and unpaired surrogate escapes read as U+FFFD, as Go reads them."""
    return go_loads(same_length_escapes(data) if b"\\u" in data else data)


def json_problem(raw: bytes) -> str | None:
    """Why the service's JSON decoder would not take this text, or None.

    Text that is not JSON at all is worded as ``mapper validate`` words it (one wording
    per fault); text only the service's stricter decoder refuses (a number beyond
    float64 in a field nobody maps, invalid UTF-8) says so.
    """
    found = json_problem_at(raw)
    return None if found is None else found[0]


def json_problem_at(raw: bytes, column: int = 0) -> tuple[str, int | None] | None:
    """:func:`json_problem`, and the byte of ``raw`` its words place the error at (None: they
    name no place): the place as a number, for a caller that points at it, not read back from the words.
    ``column``: the characters before the text on the line it starts on (an ``at char N`` on that line counts them)."""
    try:
        go_loads(raw)
    except orjson.JSONDecodeError as exc:
        # (read again by the engine's decoders, as deep as they go: on a stack that holds that, see on_roomy_stack)
        return on_roomy_stack(_refused_why, raw, column, exc)
    except RecursionError:  # pragma: no cover - orjson stops at its own depth limit first
        return "not valid JSON for the service: nested too deeply", None
    return None


def _refused_why(raw: bytes, column: int, exc: orjson.JSONDecodeError) -> tuple[str, int | None]:
    """:func:`json_problem_at` of a text orjson refused (``exc``), as the engine's decoders read it."""
    try:
        decode_record(raw, False, (lambda: column) if column else None)
    except RecordDecodeError as bad:
        return bad.message, bad.offset
    found = huge_number(raw)  # (JSON the engine reads: the number orjson refused, said where, not as orjson says it)
    if found is not None:
        keys, offset, number = found
        start = raw.rfind(b"\n", 0, offset) + 1
        line = raw.count(b"\n", 0, offset) + 1
        char = len(raw[start:offset].decode("utf-8", "mapper-go-replace")) + 1 + (column if line == 1 else 0)
        return f"not valid JSON for the service: {beyond_float64_reason(preview(number))} (at {json_path(keys)}, line {line}, char {char})", offset
    return f"not valid JSON for the service: {exc}", None


#: msgspec's words for a character that cannot continue the JSON (a value, a key, a colon, a comma
#: or closing bracket, a literal's or a number's next character was needed): each said as
#: :func:`invalid_character` words it, the character named and what the place needed.
_GENERAL = ("invalid character", "expected ':'", "expected ',' or '}'", "expected ',' or ']'", "object keys must be strings", "invalid number", "expected '\"'")

#: A whole JSON string (its escapes between runs of other bytes: see :data:`_SCAN`), which
#: :func:`scan_state` makes one NUL (no byte of valid JSON outside a string).
_WHOLE_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
#: Every byte but the brackets (deleted to count the containers left open).
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_JSON_BLANKS = b" \t\r\n"
_WHOLE_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_VALUE_START = frozenset(b'{["-0123456789tfn')
_DIGITS = frozenset(b"0123456789")

#: What a place needs, as messages say it after the character's place (see :func:`scan_state`).
_NEEDS = {
    "value": ": a value was expected",
    "element": ": a value or ']' was expected",
    "first key": " where an object key (a string in double quotes) or '}' was expected",
    "key": " where an object key (a string in double quotes) was expected",
    "colon": " after an object key: ':' was expected",
    "{": " after a value in an object: ',' or '}' was expected",
    "[": " after an array element: ',' or ']' was expected",
}


def scan_state(data: bytes, offset: int) -> str | None:
    """What the place at byte ``offset`` of ``data`` needed, the text before it being valid JSON
    (the first byte there that cannot continue it), as Go's scanner says it ("looking for
    beginning of value", "after object key"...): ``: a value was expected``, `` after an object
    key: ':' was expected``, `` in a number: ...``; None when the character there could continue
    the text (then the scan and the decoder disagree: a caller keeps the decoder's words), after
    the top-level value, or inside a string. Only on the error path, and linear without recursion:
    the strings before ``offset`` made a byte each and its brackets picked out (in C), the
    containers left open counted in a loop over the brackets alone, then the last token read."""
    text = _WHOLE_STRING.sub(b"\0", data[:offset])
    if b'"' in text:
        return None  # (a string left open: a control character in it has its own note)
    stack = bytearray()
    for b in text.translate(None, _NOT_BRACKETS):
        if b == 123 or b == 91:
            stack.append(b)
        elif stack:
            stack.pop()
        else:
            return None  # (not JSON: the decoder's words are kept)
    after_value = chr(stack[-1]) if stack else "end"
    tail = text.rstrip(_JSON_BLANKS)
    last = tail[-1:]
    c = data[offset] if offset < len(data) else -1
    if not last:
        state = "value"
    elif last in b"{[":
        state = "first key" if last == b"{" else "element"
    elif last == b",":
        state = "key" if after_value == "{" else "value"
    elif last == b":":
        state = "value"
    elif last == b"\0":
        before = tail[:-1].rstrip(_JSON_BLANKS)[-1:]
        state = "colon" if after_value == "{" and before in (b"{", b",") else after_value
    elif last in b"}]":
        state = after_value
    else:  # a number's or a literal's run
        state = after_value
        run = tail[len(tail.rstrip(b"0123456789+-.eEtrufalsn")) :]
        if not run:
            return None  # (not JSON: the decoder's words are kept)
        if len(tail) == len(text):  # (right before the character: it may be what the run needed)
            said = _run_state(run, c)
            if said is not None:
                return said or None
    if state == "end" or (state in ("value", "element") and c in _VALUE_START) or (state == "element" and c == 93):
        return None
    if (state in ("first key", "key") and c == 34) or (state == "first key" and c == 125) or (state == "colon" and c == 58):
        return None
    if state in ("{", "[") and c in (44, 125 if state == "{" else 93):
        return None
    return _NEEDS[state]


def _run_state(run: bytes, c: int) -> str | None:
    """What a number's or a literal's ``run`` (its text right before the bad character ``c``, a
    byte) needed, when the place is inside it (see :func:`_number_state`); ``""`` when ``c`` would
    continue it (the scan and the decoder disagree), None when it is whole."""
    if run[:1] in (b"t", b"f", b"n"):
        literal = _LITERALS[run[0]]
        if run == literal:
            return None
        if not literal.startswith(run) or c == literal[len(run)]:
            return ""
        return f" in a literal (true, false, null): {literal.decode()} was expected"
    return _number_state(run, c)


def _number_state(number: bytes, c: int) -> str | None:
    """What a number (its text before the bad character ``c``, a byte) needed, when that is what
    the place is in: a digit after ``-``, the decimal point, the exponent's ``e``; none after a
    leading 0. None when the number is whole and ``c`` ends it (what follows a value is needed);
    ``""`` when ``c`` would continue it."""
    if _WHOLE_NUMBER.fullmatch(number):
        if number.lstrip(b"-") == b"0" and c in _DIGITS:
            return " in a number: no digit may follow a leading 0"
        return None
    if c in _DIGITS:
        return ""
    if number.endswith(b"-") and len(number) == 1:
        return " in a number: a digit was expected after '-'"
    if number.endswith(b"."):
        return " in a number: a digit was expected after the decimal point"
    if number[-1:] in (b"e", b"E"):
        return "" if c in (43, 45) else " in a number: a digit (or a sign) was expected in the exponent"
    if number[-1:] in (b"+", b"-"):
        return " in a number: a digit was expected in the exponent"
    return " in a number"


def character_named(data: bytes, offset: int, source: bytes | None = None) -> str:
    """The character at byte ``offset`` of ``data``, named safely for a message: a printable one
    as itself in quotes (``'}'``; a quote in double quotes), any other as ``U+XXXX`` (with its
    name, when Unicode gives it one), a byte that is not UTF-8 as ``byte 0xff``. ``source``: the
    record as it came, when ``data`` is it with each invalid UTF-8 byte made U+FFFD (as Go's
    decoder reads it): such a byte is named from it."""
    char = data[offset : offset + 4].decode("utf-8", "ignore")[:1]
    if not char or not data.startswith(char.encode("utf-8"), offset):
        return f"byte 0x{data[offset]:02x}"
    if char == "\ufffd" and source is not None and source != data:
        sent = source.decode("utf-8", "surrogateescape")[len(data[:offset].decode("utf-8", "surrogateescape"))]
        if "\udc80" <= sent <= "\udcff":
            return f"byte 0x{ord(sent) - 0xDC00:02x}"
    if char == "'":
        return '"\'"'
    if char.isprintable() and not char.isspace():
        return f"'{char}'"
    name = unicodedata.name(char, "").lower()
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def invalid_character(text: str, data: bytes, offset: int, source: bytes | None = None) -> tuple[str, str] | None:
    """msgspec's ``text`` (its words without the place: ``invalid character``, ``expected ':'``,
    ``object keys must be strings``...) said as Go's decoder says it, when it is about a character
    that cannot continue the JSON: ``("invalid character '}'", ": a value was expected")``, the
    place going between (as :func:`scan_state` and :func:`character_named` word them; a byte that is
    not UTF-8 ``invalid byte 0xff (not UTF-8)``); None for
    any other error, or where the scan finds no such place (the decoder's words are kept)."""
    if text not in _GENERAL or offset >= len(data):
        return None
    needed = scan_state(data, offset)
    if needed is None:
        return None
    named = character_named(data, offset, source)
    return (f"invalid {named} (not UTF-8)" if named.startswith("byte") else f"invalid character {named}"), needed
