"""Property: format auto finds in a document the records the document holds, whatever its layout
and whatever road it is read by.

A random document, a request body (``{"records": [{"value": record}, ...]}`` in any spelling Go
matches, other keys around it) or a record (holding a ``records`` key of its own, or not), is
written one-line or pretty-printed (any indent), with or without a final newline, after a byte
order mark or blank lines or not, and padded past the 64 KiB head or not; read as bytes, str, a
file (by ``str`` and ``Path``), a ``BytesIO``, a ``.gz`` file and gzip bytes, it maps to the
records the dict holds: the values of its items when :func:`mapper.engine.reader.is_body` takes it
(the documented rule, whose oracle here is the dict), else the document itself as one record.

Documented exception (docs/send-serve.md, tests/test_body_roads.py's HEAD_TOLD): a document
spread over lines longer than the head is told from the head: a body when its first key is
``records`` so spelled, or another spelling whose first item's first key (or the one after
``key``) is ``value``; else one record. Where that verdict and is_body's differ, the example is
skipped (its verdict is test_body_roads' xfail)."""

from __future__ import annotations

import gzip
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from sinks import column, id_schema

import mapper
from mapper.engine.reader import HEAD_SIZE, is_body

SINK = id_schema(column("n", "int"), column("s", "string"))
M = mapper.compile_sink(SINK)
PAD = "x" * (HEAD_SIZE + 4000)

RECORD = st.builds(
    lambda i, n, s: {"id": i, "n": n, **({} if s is None else {"s": s})}, st.integers(0, 99), st.integers(-5, 5), st.none() | st.text(max_size=4)
)
RECORDS_KEY = st.sampled_from(["records", "Records", "RECORDS", "recordſ", "RECORDſ"])  # (ſ, the long s, Go folds onto s)
VALUE_KEY = st.sampled_from(["value", "Value", "VALUE"])


def _go(key: str) -> str:
    """A key as Go's encoding/json matches it to a field: case folded, the long s onto s (the documented matching)."""
    return key.lower().replace("ſ", "s")


@st.composite
def _item(draw: Any) -> dict[str, Any]:
    item = {draw(VALUE_KEY): draw(RECORD)}
    if draw(st.booleans()):
        item = {"key": "k", **item} if draw(st.booleans()) else {**item, "key": "k"}
    return item


@st.composite
def _body(draw: Any) -> dict[str, Any]:
    keys = [(draw(RECORDS_KEY), draw(st.lists(_item(), max_size=3)))]
    keys += [(k, 1) for k in draw(st.lists(st.sampled_from(["x", "meta"]), unique=True, max_size=2))]
    return dict(draw(st.permutations(keys)))


@st.composite
def _record(draw: Any) -> dict[str, Any]:
    record = list(draw(RECORD).items())
    own = draw(st.none() | st.just(None).map(lambda _: None) | st.sampled_from([[], "a", [{"id": 5}], [{"eventVersion": "2.1"}]]) | st.just("null"))
    if own is not None:
        record.append((draw(RECORDS_KEY), None if own == "null" else own))
    return dict(draw(st.permutations(record)))


def _padded(doc: dict[str, Any], where: int) -> dict[str, Any]:
    """``doc`` with a string past the head: in its first record, its last, or the document itself."""
    if is_body(doc):
        items = next(v for k, v in reversed(list(doc.items())) if _go(k) == "records")
        if items:
            item = items[0 if where == 0 else -1]
            vkey = next(k for k in reversed(list(item)) if _go(k) == "value")
            item[vkey] = {**item[vkey], "s": PAD}
            return doc
    return {**doc, "s": PAD} if "id" in doc else {**doc, "pad": PAD}


def _records_of(doc: dict[str, Any]) -> list[Any]:
    """The oracle: the records a document holds (is_body's verdict on the dict; its items' values, each the last key so spelled)."""
    if not is_body(doc):
        return [doc]
    items = [v for k, v in doc.items() if _go(k) == "records"][-1]
    return [[v for k, v in item.items() if _go(k) == "value"][-1] for item in items]


def _head_says_body(doc: dict[str, Any]) -> bool:
    """The documented verdict from the head of a document spread over lines (docs/send-serve.md)."""
    first, value = next(iter(doc.items()))
    if first == "records":
        return True
    if _go(first) != "records" or not isinstance(value, list) or not value or not isinstance(value[0], dict):
        return False
    keys = [_go(k) for k in value[0]]
    return keys[:1] == ["value"] or keys[:2] == ["key", "value"]


def _head_told(data: bytes) -> bool:
    """Whether a document spread over lines is longer than what its format is told from (docs/send-serve.md,
    reader.format_of's docstring): its first :data:`HEAD_SIZE` bytes, or when its first line runs past them,
    that line and :data:`HEAD_SIZE` bytes after it."""
    first = len(data) - len(data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n"))
    nl = data.find(b"\n", first)
    end = nl + 1 + HEAD_SIZE if nl >= HEAD_SIZE else HEAD_SIZE
    return len(data) > end


@st.composite
def _layout(draw: Any) -> tuple[str, bool]:
    """A writer of a document as text, and whether it spreads it over lines."""
    indent = draw(st.none() | st.integers(0, 4) | st.just("\t") | st.just("members"))
    nl = draw(st.sampled_from(["", "\n", "\n\n", "\r\n", " "]))
    lead = draw(st.sampled_from(["", "\n", " \n", "\r\n"]))
    crlf = draw(st.booleans())  # (a pretty document's lines ending in CR LF)
    return (indent, nl, lead, crlf), indent is not None and (indent != "members")


def _mapped(source: Any) -> tuple[int, int, list[dict[str, Any]]]:
    batch = M.map(source, on_error="skip")
    return batch.report.records, batch.report.failed_records, batch.to_rows()


@settings(max_examples=150)
@given(st.one_of(_body(), _record()), _layout(), st.booleans(), st.integers(-1, 1), st.booleans(), st.booleans())
@example({"records": [], "meta": 1, "id": 1}, ((None, "", "", False), False), False, -1, False, True)
@example({"records": None, "id": 3}, ((2, "\n", "", False), True), False, -1, False, True)  # (a body spread over lines, before 4d03579)
@example(
    {"x": 1, "Records": [{"Value": {"id": 1, "n": 1}}]}, ((None, "", "", False), False), False, 1, False, True
)  # one line past the head, no final newline (4d03579)
def test_every_road_finds_the_records_the_document_holds(
    doc: dict[str, Any], layout: tuple[Any, bool], bom: bool, pad: int, gz_road: bool, ascii: bool
) -> None:
    (indent, nl, lead, crlf), _spread = layout
    if pad >= 0:
        doc = _padded(doc, pad)
    # ("members": one top-level member a line, the first line as long as its member, past the head too)
    # (ascii: non-ASCII characters as escapes, keys too: "record\\u017f")
    text = (
        "{" + ",\n".join(f"{json.dumps(k, ensure_ascii=ascii)}: {json.dumps(v, ensure_ascii=ascii)}" for k, v in doc.items()) + "}"
        if indent == "members"
        else json.dumps(doc, indent=indent, ensure_ascii=ascii)
    )
    spread = "\n" in text
    text = lead + (text.replace("\n", "\r\n") if crlf else text) + nl
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    records = _records_of(doc)
    if spread and _head_told(data):  # (told from the head: documented)
        assume(_head_says_body(doc) == is_body(doc))
    want = _mapped(records)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.json"
        path.write_bytes(data)
        roads = {
            "bytes": data,
            "bytearray": bytearray(data),
            "memoryview": memoryview(data),
            "str": ("\ufeff" if bom else "") + text,
            "str path": str(path),
            "Path": path,
            "BytesIO": io.BytesIO(data),
        }
        if gz_road:
            (Path(tmp) / "in.json.gz").write_bytes(gzip.compress(data))
            roads |= {"gz": Path(tmp) / "in.json.gz", "gz bytes": gzip.compress(data)}
        for road, source in roads.items():
            assert _mapped(source) == want, (road, text[:200])
        batches = list(M.iter_batches(data, records=2, on_error="skip"))
        assert [r for b in batches for r in b.to_rows()] == want[2], ("iter_batches", text[:200])
    assert _mapped(doc) == want


def _cli(argv: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    import contextlib
    import sys
    from unittest import mock

    from mapper.cli import main

    out, err = io.StringIO(), io.StringIO()
    fake = sys.stdin if stdin is None else type("In", (), {"buffer": io.BytesIO(stdin), "isatty": lambda self: False})()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), mock.patch.object(sys, "stdin", fake):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


@settings(max_examples=25)
@given(st.one_of(_body(), _record()), _layout(), st.booleans(), st.integers(-1, 1))
@example({"id": 0, "n": 0, "s": "\x85"}, ((None, "", "", False), False), False, -1)  # (NEL in a row: str.splitlines split it)
def test_the_command_line_finds_the_records_the_document_holds(doc: dict[str, Any], layout: tuple[Any, bool], bom: bool, pad: int) -> None:
    """``mapper validate FILE``, ``validate -`` and ``map FILE --workers 2``: the records the dict holds, as the API's roads."""
    (indent, nl, lead, _crlf), _spread = layout
    if pad >= 0:
        doc = _padded(doc, pad)
    text = lead + (json.dumps(doc) if indent == "members" else json.dumps(doc, indent=indent)) + nl
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    if "\n" in text.strip() and _head_told(data):
        assume(_head_says_body(doc) == is_body(doc))
    records = _records_of(doc)
    want = _mapped(records)
    with tempfile.TemporaryDirectory() as tmp:
        sink, path, out = Path(tmp) / "sink.json", Path(tmp) / "in.json", Path(tmp) / "out.ndjson"
        sink.write_text(json.dumps({"name": "b", "sink_details": {"database_id": "d", "table": "t"}, "schema": SINK}))
        path.write_bytes(data)
        for argv, stdin in (([str(path)], None), (["-"], data)):
            _rc, said, err = _cli(["validate", str(sink), *argv, "--report", "json", "-q"], stdin)
            report = json.loads(said) if said else err
            assert (report["records"], report["failed_records"]) == want[:2], (argv, text[:200])
        _cli(["map", str(sink), str(path), "-o", str(out), "--workers", "2", "--on-error", "skip", "-q"])
        # (NDJSON's lines end at LF only: str.splitlines also splits at NEL, U+2028 and the like, which a row's
        # strings hold unescaped)
        rows = [json.loads(line) for line in out.read_bytes().split(b"\n") if line] if out.exists() else []
    assert rows == want[2], text[:200]
