"""Decoding one record as the ingester's decoder (Go's ``encoding/json`` into ``interface{}``) sees it.

msgspec decodes almost every record exactly as Go would, and it is what the careful
path tries first. Go differs in four places, each handled here on the records that
need it:

* invalid UTF-8 inside a string: Go replaces each invalid byte with U+FFFD (no error);
* an unpaired surrogate escape (``"\\ud800"``): Go stores U+FFFD;
* the integer ``-0``: Go decodes every number as a float64, so it is ``-0.0`` and
  prints as ``"-0"`` into a string column (msgspec gives the int ``0``);
* a number beyond float64's range (``1e400``, a 400-digit integer): Go refuses the
  whole record. mapper judges such a number where the sink maps it (``out_of_range`` at
  that column) and ignores it elsewhere: the fast decoders never read unmapped values,
  and both paths must agree (a deliberate deviation, listed in the README).
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

import msgspec

from ..types import OutOfRangeNumber

__all__ = ["RecordDecodeError", "decode_record", "neg_zero_at"]

_DECODE_ANY = msgspec.json.Decoder()
_BYTE_RE = re.compile(r"\(byte (\d+)\)")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NEG_ZERO = re.compile(rb"-0")


def _replace_byte(exc: UnicodeError) -> tuple[str, int]:
    # Go's utf8.DecodeRune returns (RuneError, 1) for each byte of an invalid sequence:
    # one U+FFFD per byte (Python's "replace" takes maximal subparts instead).
    assert isinstance(exc, UnicodeDecodeError)
    return "\ufffd", exc.start + 1


codecs.register_error("mapper-go-replace", _replace_byte)


class RecordDecodeError(Exception):
    """A record Go's decoder refuses too: ``message`` says why and where (character position)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def neg_zero_at(data: bytes | memoryview) -> int:
    """The offset of the first JSON integer ``-0`` (a cheap over-approximation), or -1.

    ``-0`` followed by ``.``, ``e``, ``E`` or a digit is another number (``-0.5``); inside
    a string the same text is a false alarm, which only costs that record the careful path.
    """
    for m in _NEG_ZERO.finditer(data):
        nxt = data[m.end() : m.end() + 1]
        if nxt not in (b".", b"e", b"E") and not (len(nxt) == 1 and 48 <= nxt[0] <= 57):
            return m.start()
    return -1


def decode_record(raw: bytes, neg_zero: bool) -> tuple[Any, int]:
    """The record as Go decodes it, and the offset of the first invalid UTF-8 byte replaced (-1: none).

    ``neg_zero``: the sink prints numbers as text (a string column, a primary key), so an
    integer ``-0`` must stay a negative zero. Raises :class:`RecordDecodeError`.
    """
    replaced = -1
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            replaced = exc.start
            raw = raw.decode("utf-8", "mapper-go-replace").encode("utf-8")
    try:
        obj = _DECODE_ANY.decode(raw)
    except (msgspec.DecodeError, ValueError) as exc:  # ValueError: an integer of 4,300+ digits
        return _decode_like_go(raw, str(exc)), replaced
    except RecursionError:
        raise RecordDecodeError("Invalid JSON: nested too deeply") from None
    if neg_zero and neg_zero_at(raw) >= 0:
        obj = _decode_like_go(raw, "")
    return obj, replaced


def _decode_like_go(raw: bytes, msgspec_error: str) -> Any:
    """Python's json module with Go's number rules; ``msgspec_error`` words a syntax error."""

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
        obj = json.loads(raw, parse_int=go_int, parse_float=go_float, parse_constant=reject)
    except RecursionError:
        raise RecordDecodeError("Invalid JSON: nested too deeply") from None
    except ValueError:  # json's own wording is worse than msgspec's: keep msgspec's, with a position
        raise RecordDecodeError(json_error_text(raw, msgspec_error or "JSON is malformed")) from None
    if b"\\u" in raw:
        try:
            obj = _fix_surrogates(obj)
        except RecursionError:  # pragma: no cover - json.loads would have refused it first
            raise RecordDecodeError("Invalid JSON: nested too deeply") from None
    return obj


def _fix_surrogates(v: Any) -> Any:
    """Go stores U+FFFD for an unpaired surrogate escape; Python's json keeps the lone surrogate."""
    if isinstance(v, str):
        return _SURROGATE.sub("\ufffd", v)
    if isinstance(v, list):
        return [_fix_surrogates(x) for x in v]
    if isinstance(v, dict):
        return {_fix_surrogates(k): _fix_surrogates(x) for k, x in v.items()}
    return v


def json_error_text(raw: bytes, message: str) -> str:
    """msgspec's 'JSON is malformed: ... (byte N)' with the character position in the record.

    msgspec gives no structured position: the byte offset is read from its message
    (``tests/test_engine_internals.py`` fails if that wording changes).
    """
    m = _BYTE_RE.search(message)
    text = message.replace("JSON is malformed: ", "").replace("Input data was truncated", "unexpected end of the record (truncated)")
    if m:
        offset = int(m.group(1))
        col = len(raw[:offset].decode("utf-8", "replace")) + 1
        text = _BYTE_RE.sub(f"at char {col}", text)
    return f"Invalid JSON: {text}"
