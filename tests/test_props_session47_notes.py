"""Properties of what a failed input is told.

* A binary stream (``BytesIO``, an open file) gets the notes on why its records failed that the
  same bytes get, and a file name (text in UTF-16 or UTF-32, NDJSON of documents holding the
  records, arrays of records a line, lines ending in a lone CR, ...), and so do gzip-compressed
  bytes: the oracle is the plain bytes' own report, for random records in random shapes and encodings.
* A character that looks like a space (Unicode's space separators, the zero-width space, the line
  and paragraph separators) where JSON takes only its four blanks fails that record alone, named
  by its code point: the oracle is the same text with a plain space there, which is valid.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import shlex
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

import mapper

SINK = {
    "id_field": "k",
    "allow_missing_fields": True,
    "definition": [{"name": "k", "path": ["k"], "type": "id"}, {"name": "i", "path": ["i"], "type": "int"}, {"name": "s", "path": ["s"], "type": "string"}],
}
M = mapper.compile_sink(SINK)
LETTERS = st.text("abcxyz", max_size=4)
RECORD = st.builds(lambda k, i, s: {"k": k, "i": i, "s": s}, st.integers(0, 50), st.integers(-3, 3) | st.just("bad"), LETTERS)


def _shaped(records: list[dict[str, Any]], shape: str) -> str:
    if shape == "ndjson":
        return "".join(json.dumps(r) + "\n" for r in records)
    if shape == "lone CR":
        return "".join(json.dumps(r) + "\r" for r in records)
    if shape == "documents a line":
        return "".join(json.dumps({"items": records[n : n + 2]}) + "\n" for n in range(0, len(records), 2))
    if shape == "arrays a line":
        return "".join(json.dumps(records[n : n + 2]) + "\n" for n in range(0, len(records), 2))
    if shape == "pretty array":
        return json.dumps(records, indent=2)
    if shape == "pretty objects":
        return "".join(json.dumps(r, indent=2) + "\n" for r in records)
    if shape == "one document":
        return json.dumps({"meta": {"n": len(records)}, "data": {"items": records}}, indent=1)
    raise AssertionError(shape)


SHAPES = ["ndjson", "lone CR", "documents a line", "arrays a line", "pretty array", "pretty objects", "one document"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]


class _Pipe:
    """A binary stream that can only be read, in small pieces (a pipe's): no seek, no name, no fileno."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        n = len(self.data) if n < 0 else min(n, 4096)  # (a short read, as a pipe gives; -1 is all that is left)
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out


def _told(report: mapper.Report) -> tuple[Any, ...]:
    return report.records, report.failed_records, report.notes, [(e.record, e.line, e.code, e.reason) for e in report.errors]


def _named(notes: list[str], path: Path, packed: bool = False) -> list[str]:
    """``notes`` of a stream as a file's are said: the command in them (`iconv`, `jq`) names the file, not FILE;
    a gzip file's unpacked into it (`gzip -dc in.json | jq -c '.[]'`: jq reads no gzip)."""
    quoted = shlex.quote(str(path))
    if packed:
        return [re.sub(r"`([^`]*?)(?: <)? FILE`", lambda m: f"`gzip -dc {quoted} | {m[1]}`", n) for n in notes]
    return [n.replace(" FILE`", f" {quoted}`") for n in notes]


def _piped(notes: list[str], packed: bool = False) -> list[str]:
    """``notes`` of standard input: the command in them takes its text through a pipe (``... | jq -c '.[]'``), unpacked first."""
    return [re.sub(r"`([^`]*?)(?: <)? FILE`", lambda m: f"`... | {'gzip -dc | ' if packed else ''}{m[1]}`", n) for n in notes]


@settings(max_examples=100)
@given(st.lists(RECORD, min_size=1, max_size=6), st.sampled_from(SHAPES), st.sampled_from(ENCODINGS), st.booleans())
@example([{"k": 0, "i": 0, "s": ""}] * 3, "ndjson", "utf-16", False)
@example([{"k": 0, "i": 0, "s": ""}] * 3, "documents a line", "utf-8", False)
@example([{"k": 0, "i": 0, "s": ""}] * 3, "arrays a line", "utf-8", False)
@example([{"k": 0, "i": 0, "s": ""}] * 3, "documents a line", "utf-8-sig", False)  # (bytes and files: no note, their first line's BOM kept)
@example([{"k": 0, "i": 0, "s": ""}] * 3, "arrays a line", "utf-8-sig", False)
@example([{"k": 0, "i": 0, "s": ""}] * 3, "documents a line", "utf-8", True)  # (gzip bytes: no note, their compressed bytes read for lines)
@example([{"k": 0, "i": 0, "s": ""}] * 3, "ndjson", "utf-16", True)
def test_a_binary_stream_is_told_what_its_bytes_are(records: list[dict[str, Any]], shape: str, encoding: str, packed: bool) -> None:
    data = _shaped(records, shape).encode(encoding)
    want = _told(M.validate(data))
    given = gzip.compress(data, mtime=0) if packed else data  # (and gzip-compressed, by every road)
    if packed:
        assert _told(M.validate(given)) == want
    assert _told(M.validate(io.BytesIO(given))) == want
    assert _told(M.validate(_Pipe(given))) == want
    if encoding.startswith("utf-8") and not packed:  # (and as a str: the text, its BOM a character)
        assert _told(M.validate(data.decode("utf-8"))) == want
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.json"
        path.write_bytes(given)
        # (and the lone-CR hint of an error, `tr '\r' '\n' < FILE`, names it too)
        errors = [(*e[:3], _named([e[3]], path, packed)[0]) for e in want[3]]
        assert _told(M.validate(path)) == (*want[:2], _named(want[2], path, packed), errors)
        with path.open("rb") as fh:  # (an open file's name too)
            assert _told(M.validate(fh)) == (*want[:2], _named(want[2], path, packed), errors)


SPACES = sorted({chr(c) for c in range(0x80, 0x3001) if unicodedata.category(chr(c)) == "Zs"} | {"\u200b", "\u2028", "\u2029"})


@st.composite
def _spaced(draw: Any) -> tuple[list[str], int, str, int]:
    """NDJSON lines, a line's number (from 0), a space-like character and where in that line's blanks it goes."""
    records = draw(st.lists(RECORD.map(lambda r: {**r, "i": 1}), min_size=1, max_size=4))
    lines = [" " + json.dumps(r) + " " for r in records]  # (every space of the line is a blank between tokens: no string holds one)
    row = draw(st.integers(0, len(lines) - 1))
    blanks = [n for n, c in enumerate(lines[row]) if c == " "]
    return lines, row, draw(st.sampled_from(SPACES)), draw(st.sampled_from(blanks))


@settings(max_examples=100)
@given(_spaced())
@example(([' {"k": 1, "i": 1, "s": "a"} '], 0, "\u00a0", 0))  # (a record's first character)
@example(([' {"k": 1, "i": 1, "s": "a"} ', ' {"k": 2, "i": 1, "s": "b"} '], 1, "\u3000", 27))  # (trailing)
def test_a_space_like_character_is_named(spaced: tuple[list[str], int, str, int]) -> None:
    lines, row, space, at = spaced
    plain = "\n".join(lines) + "\n"
    assert M.validate(plain.encode()).errors == []  # (the oracle: a plain space there is valid)
    lines = lines.copy()
    lines[row] = lines[row][:at] + space + lines[row][at + 1 :]
    data = ("\n".join(lines) + "\n").encode()
    report = M.validate(data)
    for road in (io.BytesIO(data), _Pipe(data), b"\xef\xbb\xbf" + data, gzip.compress(data, mtime=0)):  # (a stream, a BOM, gzip: the same)
        assert _told(M.validate(road)) == _told(report)
    assert [(e.record, e.line) for e in report.errors] == [(row, row + 1)], report.errors
    name = unicodedata.name(space, "").lower()
    assert f"U+{ord(space):04X} ({name}), which JSON does not take as whitespace" in report.errors[0].reason, report.errors[0].reason
    assert report.records - report.failed_records == len(lines) - 1


@settings(max_examples=100)
@given(
    st.lists(RECORD.map(lambda r: {**r, "i": 1}), min_size=1, max_size=3),
    st.sampled_from(["array", "body", "pretty objects"]),
    st.sampled_from(SPACES),
    st.data(),
)
@example([{"k": 1, "i": 1, "s": "a"}], "array", "\u00a0", None)
def test_a_space_like_character_in_a_document_is_named(records: list[dict[str, Any]], layout: str, space: str, data: Any) -> None:
    """The same in a document spread over lines: a JSON array, a request body, objects one after another."""
    doc: Any = {"records": [{"value": r} for r in records]} if layout == "body" else records
    text = "".join(json.dumps(r, indent=1) + "\n" for r in records) if layout == "pretty objects" else json.dumps(doc, indent=1)
    assert M.validate(text.encode()).errors == []  # (the oracle: the plain spaces are blanks)
    blanks = [n for n, c in enumerate(text) if c == " "]
    at = blanks[0] if data is None else data.draw(st.sampled_from(blanks))
    report = M.validate((text[:at] + space + text[at + 1 :]).encode())
    named = f"U+{ord(space):04X} ({unicodedata.name(space, '').lower()}), which JSON does not take as whitespace"
    assert report.errors and named in report.errors[0].reason, (text[:at], report.errors[:1], report.notes)
    # and placed: the line of the input (a record's own lines counted from the record's first) and its character
    line, char = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
    err = report.errors[0]
    place = re.search(r"at line (\d+) char (\d+)( of the record)?", err.reason)
    assert place is not None, err
    said = int(place.group(1)) + (err.line - 1 if place.group(3) else 0)
    assert (said, int(place.group(2))) == (line, char), (err, text[:at])


def _cli_validate(argv: list[str], stdin: bytes | None = None) -> dict[str, Any]:
    import contextlib
    import sys
    from unittest import mock

    from mapper.cli import main

    out, err = io.StringIO(), io.StringIO()
    fake = sys.stdin if stdin is None else type("In", (), {"buffer": io.BytesIO(stdin), "isatty": lambda self: False})()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), mock.patch.object(sys, "stdin", fake):
        main(["validate", *argv, "--report", "json", "-q"])
    assert out.getvalue(), err.getvalue()
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


@settings(max_examples=25)
@given(st.lists(RECORD, min_size=1, max_size=5), st.sampled_from(SHAPES), st.sampled_from(ENCODINGS), st.booleans())
@example([{"k": 0, "i": 0, "s": ""}] * 3, "documents a line", "utf-8-sig", False)  # (--workers 2: no note, the first line's BOM kept)
def test_the_command_line_tells_standard_input_and_a_file_alike(records: list[dict[str, Any]], shape: str, encoding: str, packed: bool) -> None:
    """``mapper validate -`` (standard input, read once) and ``validate FILE`` (``--workers 2`` too)
    say the same notes, and the notes the API says of the bytes."""
    data = _shaped(records, shape).encode(encoding)
    want = M.validate(data).notes
    given = gzip.compress(data, mtime=0) if packed else data
    with tempfile.TemporaryDirectory() as tmp:
        sink, path = Path(tmp) / "sink.json", Path(tmp) / "in.json"
        sink.write_text(json.dumps({"name": "n", "sink_details": {"database_id": "d", "table": "t"}, "schema": SINK}))
        path.write_bytes(given)
        seen = {
            "-": _cli_validate([str(sink), "-"], given)["notes"],
            "FILE": _cli_validate([str(sink), str(path)])["notes"],
            "FILE --workers 2": _cli_validate([str(sink), str(path), "--workers", "2"])["notes"],
        }
    assert seen == {"-": _piped(want, packed), "FILE": _named(want, path, packed), "FILE --workers 2": _named(want, path, packed)}
