"""Where the web UI's Send records says an error or a warning is: the line and char of the paste box,
as ``mapper validate`` says them of the same text saved as a file (``char N`` counted from the
start of the line the record stands on, in characters; docs/formats.md, *Inputs*).

The page builds one request body of the pasted records (one line, each record after
``{"value":``) or sends a pasted body as pasted (its leading whitespace taken off): the
engine's places are the body's, and each is said here in the paste's. Every server binds
127.0.0.1 and every request has a timeout (``tests/test_web.py``).
"""

from __future__ import annotations

import io
import itertools
import json
import re
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

from mapper.cli import main
from mapper.serve import Server
from tests.test_web import form, paste_source, request, ui_server

#: A place as messages say it: ``at char 23``, ``at line 2 char 5 of the record``, ``at line 4 char 1``.
_PLACE = re.compile(r"at (?:line (\d+) )?char \d+( of the record)?")
_PREFIX = re.compile(r"line (\d+): ")
#: An unpaired surrogate escape: the endpoint's decoder stores U+FFFD, and both say where it was
#: (in the records' "id", the key field: a value the sink maps, a string; said nothing of where none does).
ESC = '"\\ud800"'


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with ui_server() as srv:
        paste_source(srv)
        yield srv


@pytest.fixture(scope="module")
def sink_file(tmp_path_factory: pytest.TempPathFactory, server: Server) -> Path:
    """The paste source's definition (under another name: "nm" is taken), as ``mapper validate`` reads it."""
    cols = {"_id": {"path": "id"}, "lat": {"path": "lat"}, "altitude": {"path": "alt"}}
    out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="nm_file", columns=cols, allow_missing_fields=True))[2])
    path = tmp_path_factory.mktemp("sink") / "sink.json"
    path.write_text(out["body_text"])
    return path


def _place(text: str) -> str | None:
    found = [m.group(0) for m in _PLACE.finditer(text)]
    return found[-1] if found else None


def _line_of(message: str, line: int | None) -> int | None:
    """The line a refusal names: its ``line N: `` prefix, else a document's ``at line N char M``."""
    m = _PREFIX.match(message)
    if m:
        return int(m.group(1))
    at = _PLACE.search(message)
    if at and at.group(1) and not at.group(2):
        return int(at.group(1))
    return line


def ui_places(server: Server, text: str) -> list[tuple[int | None, str]]:
    """Each place the page's answer names for this paste: (the record's line, where on it)."""
    status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})
    got = orjson.loads(body)
    if status != 200:
        assert status == 400, got
        place = _place(got["message"])
        return [] if place is None else [(_line_of(got["message"], None), place)]
    out = []
    for e in got["errors"]:
        place = _place(e["message"])
        if place is not None:
            out.append((e["line"], place))
    for w in got["warnings"]:
        place = _place(w["sent"]) if isinstance(w["sent"], str) else None
        if place is not None:
            assert place in w["message"]  # the message says the same place as "sent"
            out.append((w["line"], place))
    for r in got["records"]:  # a record's own error text, when it names a place, names one of these
        if r.get("error_message") and _place(r["error_message"]):
            assert _place(r["error_message"]) in {p for _line, p in out}, r
    return out


def cli_places(sink: Path, tmp_path: Path, text: str) -> list[tuple[int | None, str]]:
    """Each place ``mapper validate`` names for the same text saved as a file."""
    records = tmp_path / "records.txt"
    records.write_bytes(text.encode("utf-8", "surrogatepass"))
    out = io.StringIO()
    with redirect_stdout(out):
        main(["validate", str(sink), str(records), "--report", "json", "-q"])
    report = json.loads(out.getvalue())
    places = []
    for e in report["errors"]:
        place = _place(e["message"])
        if place is not None:
            places.append((_line_of(e["message"], e["line"]) if e["code"] == "invalid_json" else e["line"], place))
    for w in report["warnings"]:
        place = _place(w["sent"]) if isinstance(w["sent"], str) else None
        if place is not None:
            places.append((w["line"], place))
    return places


def _cases(*items: tuple[str, str]) -> Any:
    return pytest.mark.parametrize("text", [pytest.param(text, id=name) for name, text in items])


@_cases(
    # the brief's three: an indent taken off, a one-line array, a body's first line
    ("ndjson-indented", '{"id": "a"}\n    {"alt": 1, "id": ' + ESC + "}\n"),
    ("array-one-line", '[{"id": "a"}, {"lat": 1, "id": ' + ESC + "}]"),
    ("body-indented", '  {"records": [{"value": {"lat": 1, "id": ' + ESC + "}}]}"),
    # a body pasted compact, as the page builds one: its chars are the paste's line's too
    ("body-compact", '{"records":[{"value":{"lat": 1, "id": ' + ESC + "}}]}"),
    ("body-after-blank-lines", '\n\n   {"records":[{"value":{"id": "a"}}, {"value": {"lat": 1, "id": ' + ESC + "}}]}"),
    ("body-over-lines", '\t{"records": [\n  {"value": {"lat": 1, "id": ' + ESC + "}}]}"),
    ("crlf-indented", '{"id": "a"}\r\n  {"lat": 1, "id": ' + ESC + "}\r\n"),
    ("tab-indented", '\t{"lat": 1, "id": ' + ESC + "}\n"),
    ("bom-indented", '\ufeff  {"lat": 1, "id": ' + ESC + "}\n"),
    ("bom-array", '\ufeff[{"id": "a"}, {"lat": 1, "id": ' + ESC + "}]"),
    ("blank-lines-between", '{"id": "a"}\n\n\n   {"lat": 1, "id": ' + ESC + "}\n"),
    ("array-crlf", '[\r\n  {"id": "a"},\r\n  {"lat": 1, "id": ' + ESC + "}\r\n]"),
    ("array-two-a-line", '[\n  {"id": "a"}, {"lat": 1, "id": ' + ESC + "}\n]"),
    ("array-after-non-ascii", '[{"id": "\u00e9\u00e9"}, {"lat": 1, "id": ' + ESC + "}]"),
    ("one-object-indented", '  {"lat": 1, "id": ' + ESC + "}"),
    ("one-object-over-lines", '  {\n  "lat": 1, "id": ' + ESC + "}"),
    ("objects-over-lines", '  {"lat": 1,\n "id": ' + ESC + '}\n  {"lat": 1, "id": ' + ESC + "}"),
    ("object-after-an-object-over-lines", '{\n  "id": "a"\n} {"lat": 1, "id": ' + ESC + "}"),
    # a record held back (a number beyond float64, which the endpoint's decoder refuses with its
    # body): the body's records are not the paste's, by index
    ("after-a-held-record", '[{"id": "a", "x": 1e400}, {"lat": 1, "id": ' + ESC + "}]"),
)
def test_a_replaced_escape_is_placed_where_the_paste_shows_it(server: Server, sink_file: Path, tmp_path: Path, text: str) -> None:
    ui = ui_places(server, text)
    assert ui, "the paste's answer names no place"
    assert ui == cli_places(sink_file, tmp_path, text)


@_cases(
    ("ndjson-indented", '{"id": "a"}\n  {"id": "b", "lat": tru}\n'),
    ("ndjson-crlf", '{"id": "a"}\r\n\t{"id": "b", "lat": tru}\r\n'),
    ("ndjson-bom", '\ufeff  {"id": "b", "lat": tru}\n'),
    ("array-one-line", '[{"id": "a"}, {"id": "b", "lat": tru}]'),
    ("array-trailing-comma", '[{"id": "a"}, {"id": "b"},]'),
    ("array-trailing-comma-over-lines", '[\n  {"id": "a"},\n  {"id": "b"},\n]'),
    ("array-crlf", '[\r\n  {"id": "a"},\r\n  {"id": "b", "lat": tru}\r\n]'),
    ("body-indented", '  {"records": [{"value": {"id": "a", "lat": tru}}]}'),
    # a broken body spread over lines: the paste read it as NDJSON and said "line 1: ... truncated"
    ("body-over-lines", '  {"records": [\n{"value": {"id": "a", "lat": tru}}]}'),
    ("body-over-lines-trailing-comma", '{"records": [\n  {"value": {"id": "a"}},\n]}'),
    ("object-over-lines", '  {\n  "id": "a", "lat": tru}'),
    ("two-objects-a-line", '{"id": "a"} {"id": "b"}'),
)
def test_invalid_json_is_placed_where_the_paste_shows_it(server: Server, sink_file: Path, tmp_path: Path, text: str) -> None:
    ui = ui_places(server, text)
    assert ui, "the refusal names no place"
    assert ui == cli_places(sink_file, tmp_path, text)


def test_a_lone_surrogate_after_a_byte_order_mark_is_placed_without_the_mark(server: Server) -> None:
    # the page's JSON.stringify escapes half an emoji; the mark opening the paste is no character
    # an editor shows (nor one mapper validate counts): "line 1 char 11" was one too far
    for text, place in (
        ("\ufeff" + '{"id": "b\ud83d"}', "line 1 char 10"),
        ('{"id": "b\ud83d"}', "line 1 char 10"),
        ("\ufeff{}\n" + '{"id": "\udc00"}', "line 2 char 9"),
    ):
        raw = orjson.dumps({"text": text.replace("\ud83d", "@").replace("\udc00", "#")})
        raw = raw.replace(b"@", b"\\ud83d").replace(b"#", b"\\udc00")
        assert json.loads(raw)["text"] == text
        status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", raw)
        assert status == 400 and orjson.loads(body)["message"].startswith(f"the records: {place} holds U+"), body
    status, _h, body = request(server, "POST", "/ui/api/draft", orjson.dumps(form(sample="\ufeff@")).replace(b"@", b"\\udc00"))
    # (the sample's is said as its preview's error: the form is still drafted, tests/test_hunt_web.py)
    assert status == 200 and orjson.loads(body)["preview"]["error"].startswith("the sample record: line 1 char 1 holds U+DC00"), body


def test_places_past_the_readers_first_chunk_of_records(sink_file: Path, tmp_path: Path) -> None:
    # the body is read 512 records at a time: the records' places are looked up across its parts
    # (a server of its own, whose clock moves 10 s a look: 700 records a request, the endpoint takes 1,000 a second)
    ticks = itertools.count(0.0, 10.0)
    recs = ['{"lat": %d, "id": %s}' % (i, ESC) if i in (3, 600, 699) else '{"id": "\u00e9%d"}' % i for i in range(700)]
    with ui_server(clock=lambda: next(ticks)) as srv:
        paste_source(srv)
        for text in ("[" + ", ".join(recs) + "]", "\n".join(" " * (i % 3) + r for i, r in enumerate(recs))):
            ui = ui_places(srv, text)
            assert len(ui) == 3 and ui == cli_places(sink_file, tmp_path, text)


@pytest.mark.parametrize(
    "sample",
    [
        '  {"lat": 1, "id": ' + ESC + "}",
        '\ufeff\t{"lat": 1, "id": ' + ESC + "}",
        '\n\n   {"lat": 1,\n "id": ' + ESC + ', "alt": 2}',
        '{"lat": 1, "id": ' + ESC + "}",
    ],
)
def test_the_sample_records_replaced_escape_is_placed_where_its_box_shows_it(server: Server, sink_file: Path, tmp_path: Path, sample: str) -> None:
    # the preview checked the sample without its indent: "at char 21" for the box's char 23
    cols = {"_id": {"path": "id"}, "lat": {"path": "lat"}, "altitude": {"path": "alt"}}
    status, _h, body = request(server, "POST", "/ui/api/draft", form(name="sample_places", columns=cols, allow_missing_fields=True, sample=sample))
    assert status == 200, body
    preview = orjson.loads(body)["preview"]
    said = preview["record_errors"] + [p for col in preview["columns"] for p in col["messages"]]  # (the key field's, under its column)
    found = [p for p in said if p["code"] == "utf8_replaced"]
    assert [_place(p["message"]) for p in found] == [place for _line, place in cli_places(sink_file, tmp_path, sample)]
    assert found
