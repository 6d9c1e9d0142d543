"""Web UI problems of ``mapper serve`` a user pasting real data meets: marker words broken in a
narrow preview, the send route's answer in the paste's terms, and what the hunt over the
``../shared/data`` corpora found (tests using those files skip when the folder is absent).

Route tests run without a browser; the page tests use ``tests/test_web_browser.py``'s fixtures
(Debian's chromium, skipped without it). Every server binds 127.0.0.1 and every wait is bounded;
a table the page draws again is read in one script.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from mapper.endpoint import ServiceError
from mapper.web import paste_records
from tests.test_web import form, request, ui_server
from tests.test_web_browser import SEED, by_id, new_source, paste, read_when, text_of, wait
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import ui_server as browser_server

# ---------------------------------------------------------------------------------------
# The preview's marker words in a narrow window

# Each word of a marker cell (found or stored: missing, null, not mapped, nothing written, not
# stored...) with the number of lines it is drawn on, read in one script: a word on two lines was
# broken inside ("missin" / "g").
_MARKER_WORDS = """
var out = [];
document.querySelectorAll('#preview-table td.found, #preview-table td.stored').forEach(function (td) {
  if (!/kind-(missing|null|unmapped|refused)/.test(td.className)) return;
  var node = td.firstChild;
  if (!node || node.nodeType !== 3) return;
  var text = node.data, re = /\\S+/g, m;
  while ((m = re.exec(text))) {
    var range = document.createRange();
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    var tops = {};
    Array.from(range.getClientRects()).forEach(function (r) { if (r.width > 0) tops[Math.round(r.top)] = true; });
    out.push([td.closest('tr').getAttribute('data-column'), m[0], Object.keys(tops).length]);
  }
});
return out;
"""


def test_marker_words_in_a_narrow_preview_are_never_broken_inside(browser: Any) -> None:  # noqa: F811
    # "missing" was drawn "missin" / "g" in a narrow window: the preview's cells break anywhere
    # (a long value must not widen the page), the marker words with them
    driver = browser
    record = json.loads(SEED)
    record["data"]["lat"] = None
    del record["data"]["speed"]
    record["data"]["reg"] = "R" * 300
    paths = {"_id": "id", "lat": "data.lat", "speed": "data.speed", "track": "data.nowhere", "reg": "data.reg"}
    with browser_server() as server:
        try:
            driver.set_window_size(360, 900)
            new_source(driver, server, "flights", "narrow", "aircraft", paths, "continue", json.dumps(record))

            def words(d: Any) -> list[list[Any]]:
                return [list(w) for w in d.execute_script(_MARKER_WORDS)]

            shown = read_when(
                driver,
                words,
                lambda ws: {"missing", "null", "mapped", "written", "cleared)"} <= {w[1] for w in ws} and "would store" in text_of(driver, "preview-summary"),
                "the preview's marker words",
            )
            broken = [w for w in shown if w[2] != 1]
            assert broken == [], broken
            # a long value still breaks: the preview is no wider than a window of 480 px (at 360 the
            # form's columns table and the markers' 9 characters a cell are wider than the window)
            driver.set_window_size(480, 900)
            right, inside = driver.execute_script(
                "return [document.getElementById('preview-table').getBoundingClientRect().right, document.documentElement.clientWidth]"
            )
            assert right <= inside, (right, inside)
        finally:
            driver.set_window_size(1280, 1000)


# ---------------------------------------------------------------------------------------
# The send route's answer in the paste's terms


def _paste_source(server: Any, name: str, allow_missing: bool) -> None:
    cols = {"_id": {"path": "id"}, "lat": {"path": "lat"}, "altitude": {"path": "alt"}}
    out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name=name, columns=cols, allow_missing_fields=allow_missing))[2])
    assert request(server, "POST", "/v1/sinks", out["body_text"].encode())[0] == 200


def test_the_send_routes_answer_numbers_records_and_lines_as_the_paste_does() -> None:
    # The route's "answer" was the endpoint's to the body the page built: its records numbered
    # from 0 among those sent, all on line 1 ("(record 0, line 1, ...)" of the paste's record 1,
    # "(record 1, line 1" of its record 3 on line 4), beside records and errors in the paste's terms
    text = '{"id": "a", "lat": "x"}\n\n{"id": "b", "lat": 1e400}\n{"id": "c", "alt": "zz"}\n{"id": "d", "lat": 2}\n'
    with ui_server() as server:
        for name, allow_missing in (("keep", True), ("discard", False)):
            _paste_source(server, name, allow_missing)
            status, _h, body = request(server, "POST", f"/ui/api/sinks/{name}/send", {"text": text})
            got = orjson.loads(body)
            assert status == 200, got
            answer = got["answer"]
            # the record held back (1e400) is not in the endpoint's answer: the others, each where the paste has it
            assert [(r["index"], r["line"]) for r in answer["records"]] == [(0, 1), (2, 4), (3, 5)], answer
            shown = {r["index"]: r for r in got["records"]}
            for r in answer["records"]:
                assert {k: r.get(k) for k in ("status", "error_code", "error_message")} == {
                    k: shown[r["index"]][k] for k in ("status", "error_code", "error_message")
                }, (r, shown[r["index"]])
            assert answer["records"][0]["error_message"].endswith('(record 1, line 1, column "lat")'), answer
            assert '(record 3, line 4, column "' in answer["records"][1]["error_message"], answer
            assert not any("record 0" in (r.get("error_message") or "") for r in answer["records"]), answer
            # the endpoint's answer to the same body but for the places: its counts, each record's status and code
            api = orjson.loads(request(server, "POST", f"/v2/sinks/{name}", paste_records(text).body)[2])
            assert (answer["success_count"], answer["error_count"]) == (api["success_count"], api["error_count"])
            assert [(r["status"], r.get("error_code")) for r in answer["records"]] == [(r["status"], r.get("error_code")) for r in api["records"]]


# ---------------------------------------------------------------------------------------
# A document of records pasted whole

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SNAPSHOT = DATA / "adsb" / "aircraft-piaware-2023-01-15.json"  # (license unknown: read in place, never copied)


def _send(server: Any, sink: str, text: str) -> dict[str, Any]:
    status, _h, body = request(server, "POST", f"/ui/api/sinks/{sink}/send", {"text": text})
    got = orjson.loads(body)
    assert status == 200, got
    return dict(got)


def test_a_document_of_records_pasted_whole_is_told_where_its_records_are() -> None:
    # dump1090's aircraft.json pasted as it is: one record, refused for its missing _id, and
    # nothing said why (validate notes the aircraft array; the page said only "_id is missing")
    aircraft = [{"hex": f"a{i}", "flight": f"F{i}"} for i in range(5)]
    doc = {"now": 1.5, "messages": 7, "aircraft": aircraft}
    with ui_server() as server:
        _paste_source(server, "adsb", True)
        got = _send(server, "adsb", json.dumps(doc, indent=2))
        assert got["answer"]["error_count"] == 1
        assert got["notes"] == [
            "the paste is one JSON object, sent as one record; arrays of objects are at `aircraft` (5 objects): if those are"
            " the records, paste them instead (`jq -c '.aircraft[]' FILE` prints those of `aircraft` one a line)"
        ], got["notes"]
        # a snapshot a line: said of each line; a key jq must quote is quoted
        lines = "\n".join(json.dumps({"now": n, "my feed": aircraft}) for n in range(4))
        (note,) = _send(server, "adsb", lines)["notes"]
        assert note.startswith("each of the first 3 lines of the paste is a JSON object holding records, sent as one record;"), note
        assert "`jq -c '.[\"my feed\"][]' FILE`" in note, note
        # the records themselves, or a record that merely holds an array of objects: no note
        assert _send(server, "adsb", "\n".join(json.dumps(a | {"id": a["hex"]}) for a in aircraft))["notes"] == []
        held = {"id": "x", "lat": "bad", "tags": [{"a": 1}], "b": 1, "c": 2, "d": 3, "e": 4}
        assert _send(server, "adsb", json.dumps(held))["notes"] == []

        # the sample record of New Source likewise: every path found "missing", nothing said why
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="adsb2", columns={"_id": {"path": "hex"}}, sample=json.dumps(doc)))[2])
        notes = [e for e in out["preview"]["record_errors"] if e["code"] == "document"]
        assert [e["message"] for e in notes] == [
            "the sample record looks like a document holding records, not one of them; arrays of objects are at `aircraft` (5 objects):"
            " if those are the records, paste one of them as the sample record (`jq -c '.aircraft[0]' FILE` prints the first of `aircraft`)"
        ], out["preview"]
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="adsb2", columns={"_id": {"path": "hex"}}, sample=json.dumps(aircraft[0])))[2])
        assert out["preview"]["record_errors"] == [] and out["preview"]["stored"] is True


@pytest.mark.skipif(not SNAPSHOT.is_file(), reason=f"{SNAPSHOT} is absent (../shared/data)")
def test_the_page_says_where_a_pasted_snapshots_records_are(browser: Any) -> None:  # noqa: F811
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "flights", "snapshot", "aircraft", {"_id": "hex", "reg": "flight"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/snapshot")
        wait(driver, lambda d: text_of(d, "source-name") == "snapshot", "the source page")
        paste(driver, "records", SNAPSHOT.read_text(encoding="utf-8"))
        by_id(driver, "send").click()
        note = read_when(driver, lambda d: text_of(d, "send-note"), lambda t: "aircraft" in t, "the note")
        assert "arrays of objects are at `aircraft` (118 objects)" in note and "jq -c '.aircraft[]' FILE" in note, note
        assert text_of(driver, "send-summary") == "0 of 1 record stored, 1 refused."
        # the records themselves: the note goes
        records = json.loads(SNAPSHOT.read_text(encoding="utf-8"))["aircraft"]
        paste(driver, "records", "\n".join(json.dumps(r) for r in records))
        by_id(driver, "send").click()
        read_when(
            driver, lambda d: (text_of(d, "send-summary"), text_of(d, "send-note")), lambda t: t[0].startswith("118 of 118") and t[1] == "", "the records sent"
        )


# ---------------------------------------------------------------------------------------
# A request body that is not UTF-8


def test_bytes_that_are_not_utf8_are_named_in_their_field_line_and_character() -> None:
    # (the page sends UTF-8 only; another client's body was refused "str is not valid UTF-8:
    # surrogates not allowed: line 1 column 1 (char 0)", orjson's words, naming no place)
    with ui_server() as server:
        _paste_source(server, "bytes", True)
        sample = b'{"id": "a"}\n{"id": "caf\xe9"}'  # (Latin-1)
        status, _h, body = request(server, "POST", "/ui/api/sinks/bytes/send", b'{"text": "' + sample.replace(b'"', b'\\"').replace(b"\n", b"\\n") + b'"}')
        err = orjson.loads(body)
        assert status == 400 and err["code"] == "InvalidBody", err
        assert err["message"].startswith("the records: line 2 char 12 holds the byte 0xE9, which is not UTF-8") and err["message"].endswith(
            "; nothing was sent"
        )
        assert orjson.loads(request(server, "GET", "/ui/api/sinks/bytes")[2])["counts"]["requests"] == 0
        status, _h, body = request(server, "POST", "/ui/api/draft", orjson.dumps(form(name="x")).replace(b'"name":"x"', b'"name":"x\xff"'))
        assert status == 400 and orjson.loads(body)["message"].startswith("the name: line 1 char 2 holds the byte 0xFF"), body
        # outside any string: the byte's offset in the body
        status, _h, body = request(server, "POST", "/ui/api/sinks/bytes/send", b'{"text": "{}"\xff}')
        assert status == 400 and orjson.loads(body)["message"].startswith("the request body is not UTF-8: at byte 13 it holds the byte 0xFF"), body


# ---------------------------------------------------------------------------------------
# A message that draws a caret under its place


def test_a_path_errors_caret_stands_under_its_character(browser: Any) -> None:  # noqa: F811
    # mapper check draws the path and a caret under the place it names; the page ran the lines
    # together ("... at character 2 a..b ^") beside the path's box and in the problems list
    driver = browser
    read = (
        "return Array.from(document.querySelectorAll(arguments[0])).map(function (n) {"
        " var c = n.querySelector('.caret'); return [n.firstChild ? n.firstChild.textContent : '', c ? c.innerText : null]; })"
    )
    with browser_server() as server:
        new_source(driver, server, "flights", "carets", "aircraft", {"_id": "id", "lat": "a..b"}, "continue")
        by_id(driver, "create").click()  # (every problem shown)
        check = read_when(driver, lambda d: d.execute_script(read, "#columns tr[data-column=lat] p.check"), lambda r: r and r[0][1], "the path's check")
        assert check == [["empty key (two dots in a row, or a leading dot) at character 2", "  a..b\n    ^"]], check
        listed = read_when(driver, lambda d: d.execute_script(read, "#problems li"), lambda r: any(c for _t, c in r), "the problems list")
        assert ["Column lat: empty key (two dots in a row, or a leading dot) at character 2", "  a..b\n    ^"] in listed, listed


# ---------------------------------------------------------------------------------------
# Records stored changed are counted in the summary


def test_the_summary_counts_the_records_stored_with_warnings(browser: Any) -> None:  # noqa: F811
    # twitter's ids beyond 2^53 are stored changed (float64), each said beside its record far
    # down a list of 100; the summary said "100 of 100 records stored, 0 refused." and no more
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "web", "warned", "t", {"_id": "id", "n": "n"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/warned")
        wait(driver, lambda d: text_of(d, "source-name") == "warned", "the source page")
        big = 2**53 + 1
        paste(driver, "records", "\n".join([f'{{"id": {big}}}', '{"id": 2}', f'{{"id": {big + 2}, "n": 1}}', '{"id": "x", "n": 1.5e300}']))
        by_id(driver, "send").click()
        summary = read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: t.startswith("3 of 4"), "the answer")
        assert summary == "3 of 4 records stored, 1 refused, 2 stored with warnings (a value stored changed).", summary
        # none changed: the summary as it was
        paste(driver, "records", '{"id": 5}')
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: t == "1 of 1 record stored, 0 refused.", "the second answer")


# ---------------------------------------------------------------------------------------
# Column names and paths in a table with room to spare


# Each cell's text of ``selector`` with the number of lines it is drawn on, read in one script.
_LINES = """
return Array.from(document.querySelectorAll(arguments[0])).map(function (cell) {
  var range = document.createRange();
  range.selectNodeContents(cell);
  var tops = {};
  Array.from(range.getClientRects()).forEach(function (r) { if (r.width > 0) tops[Math.round(r.top)] = true; });
  return [cell.innerText.trim(), Object.keys(tops).length];
});
"""


def test_short_column_names_and_paths_are_not_broken_in_a_wide_window(browser: Any) -> None:  # noqa: F811
    # In a window of 1280 px the preview broke "destination" and "data.destination" inside
    # (their cells break anywhere, so the table gave their room to a long value and a long
    # note): a short name or path stays whole; a long one still breaks
    driver = browser
    record = json.loads(SEED)
    record["data"]["reg"] = "a long registration text " * 12
    record["data"]["altitude"] = "a value that is not an altitude at all, and says so at length " * 3
    paths = {"_id": "id", "aircraftid": "data.aircraftId", "altitude": "data.altitude", "reg": "data.reg", "destination": "data.destination"}
    with browser_server() as server:
        new_source(driver, server, "flights", "wide", "aircraft", paths, "continue", json.dumps(record))
        read_when(driver, lambda d: text_of(d, "preview-summary"), lambda t: "would refuse" in t, "the preview")
        cells = driver.execute_script(_LINES, "#preview-table tbody th, #preview-table td.path")
        broken = [c for c in cells if c[1] > 1]
        assert broken == [], broken


# ---------------------------------------------------------------------------------------
# A paste refused for a line: that line, in the box


def test_a_paste_refused_for_a_line_selects_that_line_in_the_box(browser: Any) -> None:  # noqa: F811
    # "line 25: Invalid JSON ..." was said above the list, and the box (no line numbers) left as it was
    driver = browser
    lines = [json.dumps({"id": f"r{i}", "alt": i}) for i in range(40)]
    lines[24] = '{"id": "r24", "alt": }'
    with browser_server() as server:
        new_source(driver, server, "flights", "lines", "aircraft", {"_id": "id", "altitude": "alt"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/lines")
        wait(driver, lambda d: text_of(d, "source-name") == "lines", "the source page")
        paste(driver, "records", "\n".join(lines))
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: "line 25" in t and "nothing was sent" in t, "the refusal")
        state = driver.execute_script(
            "var b = document.getElementById('records');"
            "return [document.activeElement === b, b.getAttribute('aria-invalid'), b.value.slice(b.selectionStart, b.selectionEnd), b.scrollTop > 0];"
        )
        assert state == [True, "true", lines[24], True], state
        # mended: no longer marked
        by_id(driver, "records").send_keys("x")
        assert by_id(driver, "records").get_attribute("aria-invalid") is None


# ---------------------------------------------------------------------------------------
# The refused records, linked from above the list


def test_the_refused_records_are_linked_from_above_the_list(browser: Any) -> None:  # noqa: F811
    # 10 of dump1090's 118 aircraft are refused ("alt_baro": "ground"): found only by scrolling through all 118
    driver = browser
    lines = [json.dumps({"id": f"r{i}", "alt": "ground" if i in (4, 9, 46) else i}) for i in range(60)]
    links = "return Array.from(document.querySelectorAll('#send-jump a')).map(function (a) { return [a.textContent, a.getAttribute('href')]; })"
    with browser_server() as server:
        new_source(driver, server, "flights", "jumps", "aircraft", {"_id": "id", "altitude": "alt"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/jumps")
        wait(driver, lambda d: text_of(d, "source-name") == "jumps", "the source page")
        paste(driver, "records", "\n".join(lines))
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: t.startswith("57 of 60"), "the answer")
        assert driver.execute_script(links) == [
            ["Record 5 (line 5)", "#record-4"],
            ["Record 10 (line 10)", "#record-9"],
            ["Record 47 (line 47)", "#record-46"],
        ]
        assert text_of(driver, "send-jump").startswith("Refused or not sent: Record 5 (line 5), ")
        driver.execute_script("document.querySelectorAll('#send-jump a')[2].click()")
        top = driver.execute_script("return document.getElementById('record-46').getBoundingClientRect().top")
        assert -2 <= top < 100, top  # (scrolled to it: at the top of the window, to a fraction of a pixel)
        # every record stored: no links
        paste(driver, "records", "\n".join(json.dumps({"id": f"s{i}", "alt": i}) for i in range(3)))
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: t.startswith("3 of 3"), "the second answer")
        assert driver.execute_script(links) == []


# ---------------------------------------------------------------------------------------
# A character that looks like a space, copied from a web page


def test_a_no_break_space_in_a_paste_is_named_not_just_placed() -> None:
    # a record copied from a web page holds U+00A0 where a space was: "trailing characters at
    # char 13" / "invalid character at char 7" pointed at what the box shows as a blank
    named = "U+00A0 (no-break space), which JSON does not take as whitespace (copied from a web page?): type a plain space, or delete it"
    with ui_server() as server:
        _paste_source(server, "spaces", True)
        for text, where in (
            ('{"id": "a"}\u00a0\n{"id": "b"}', "line 1: Invalid JSON: trailing characters at char 12: "),
            ('{"id": "a"}\n{"id":\u00a0"b"}', "line 2: Invalid JSON: invalid character at char 7: "),
            ('[\n {"id": "a"},\u00a0\n {"id": "b"}\n]', "the JSON array is not valid JSON: invalid character at line 2 char 14: "),
            ('{"records": [{"value":\u00a0{"id": "a"}}]}', "the request body is not valid JSON: invalid character at char 23: "),
        ):
            status, _h, body = request(server, "POST", "/ui/api/sinks/spaces/send", {"text": text})
            err = orjson.loads(body)
            assert status == 400 and where + named in err["message"], (text, err)
        ideographic = "U+3000 (ideographic space), which JSON does not take as whitespace"
        status, _h, body = request(server, "POST", "/ui/api/sinks/spaces/send", {"text": '{"id":\u3000"a"}'})
        assert status == 400 and ideographic in orjson.loads(body)["message"], body
        # the sample record likewise
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="s2", sample='{"id":\u00a0"a"}'))[2])
        assert out["preview"]["error"] == f"the sample record: Invalid JSON: invalid character at char 7: {named}", out["preview"]
        # a character no space: as before
        status, _h, body = request(server, "POST", "/ui/api/sinks/spaces/send", {"text": '{"id": "a"}\u00e9'})
        assert orjson.loads(body)["message"].startswith("line 1: Invalid JSON: trailing characters at char 12; nothing was sent"), body


# ---------------------------------------------------------------------------------------
# A sample box holding several records, an array of them or a request body


def test_a_sample_of_several_records_is_told_to_paste_one() -> None:
    # the first lines of an NDJSON file pasted as the sample: "trailing characters at line 2
    # char 1 of the record"; an array of records: "must be a JSON object, not an array"; the
    # endpoint's body: previewed as one record, every path "missing"
    def error(sample: str) -> str:
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="several", sample=sample))[2])
        return str(out["preview"]["error"])

    with ui_server() as server:
        assert error('{"id": "a"}\n{"id": "b"}\n\n{"id": "c"}\n{"id": "d"}') == (
            "the sample record: Invalid JSON: trailing characters at line 2 char 1 of the record"
            " (the box holds 4 records, on lines 1, 2, 4, ...: paste one; the preview is of one record)"
        )
        assert error('{\n  "id": "a"\n}\n{\n  "id": "b"\n}').endswith("(the box holds 2 records, on lines 1, 4: paste one; the preview is of one record)")
        assert error('[{"id": "a"}, {"id": "b"}]') == (
            "the sample record must be a JSON object, not an array: the array holds 2 records; paste one of them (`jq -c '.[0]' FILE` prints the first)"
        )
        assert error('{"records": [{"value": {"id": "a"}}]}') == (
            'the sample record is an endpoint request body {"records": [{"value": {...}}]}, not a record: paste the value of one of'
            " its records (`jq -c '.records[0].value' FILE` prints the first)"
        )
        # one record broken, or an array of no records: as before
        assert error('{"id": "a"') == "the sample record: Invalid JSON: unexpected end of the record (truncated)"
        assert error("[1, 2]") == "the sample record must be a JSON object, not an array"


# ---------------------------------------------------------------------------------------
# A phone's window


_WIDER = (
    "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
    " Array.from(document.querySelectorAll('main *')).filter(function (e) { var r = e.getBoundingClientRect();"
    " return r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !e.closest('.wide, .scroll'); })"
    ".map(function (e) { return e.tagName + '#' + e.id; }).slice(0, 5)]"
)


def test_no_page_is_wider_than_a_phones_window(browser: Any) -> None:  # noqa: F811
    # At 360 px the New Source page was 602 px wide (the name's box 360 px, the columns table
    # widening its fieldset) and Data Sources 529: the whole page scrolled sideways, the
    # form's labels off the side. A table wider than the window scrolls in its own box.
    driver = browser
    with browser_server() as server:
        try:
            driver.set_window_size(360, 900)
            new_source(driver, server, "flights", "phone", "aircraft", {"_id": "id", "lat": "data.lat"}, "continue", SEED)
            read_when(driver, lambda d: text_of(d, "preview-summary"), lambda t: "would store" in t, "the preview")
            shown = driver.execute_script(_WIDER)
            assert shown[0] <= shown[1] and shown[2] == [], shown
            by_id(driver, "create").click()
            wait(driver, lambda d: "/ui/?created=" in d.current_url, "the list")
            read_when(driver, lambda d: text_of(d, "sources"), lambda t: "phone" in t, "the list's row")
            shown = driver.execute_script(_WIDER)
            assert shown[0] <= shown[1] and shown[2] == [], shown
            driver.get(server.url + "/ui/sources/phone")
            wait(driver, lambda d: text_of(d, "source-name") == "phone", "the source page")
            shown = driver.execute_script(_WIDER)
            assert shown[0] <= shown[1] and shown[2] == [], shown
        finally:
            driver.set_window_size(1280, 1000)


# ---------------------------------------------------------------------------------------
# A name taken between the form's last check and Create


def test_a_name_taken_meanwhile_is_said_by_the_name(browser: Any) -> None:  # noqa: F811
    # another tab (or the API) took the name after the form's last draft: the 409 was said at the
    # foot of the form, the name's own check still saying it was a valid name, the focus on Create
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "web", "taken_later", "clicks", {"_id": "id"}, "continue")
        read_when(driver, lambda d: text_of(d, "name-check"), lambda t: t == "taken_later is a valid source name", "the name checked")
        # the page's own POST /v1/sinks is preceded by another, of the same body (the other tab)
        driver.execute_script(
            """
            var real = window.fetch;
            window.fetch = function (path, init) {
              if (String(path) !== "/v1/sinks") return real(path, init);
              return real(path, init).then(function () { return real(path, init); });
            };
            """
        )
        by_id(driver, "create").click()
        result = read_when(driver, lambda d: text_of(d, "create-result"), lambda t: "409" in t, "the refusal")
        assert "taken_later" in result, result
        state = driver.execute_script(
            "var n = document.getElementById('name'), c = document.getElementById('name-check');"
            "return [document.activeElement === n, n.getAttribute('aria-invalid'), c.className, c.textContent];"
        )
        assert state[:3] == [True, "true", "check bad"] and "taken_later" in state[3] and "valid source name" not in state[3], state


def test_the_not_given_marker_is_never_broken_inside(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    # a source made from a schema alone shows "(not given)" for its database and table: in a
    # phone's window the list drew "(not" / "given)" at best and "(not giv" / "en)" at worst
    driver = browser
    schema = {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}
    path = tmp_path / "schema_only_with_a_rather_long_name.json"
    path.write_text(json.dumps(schema))
    words = (
        "return Array.from(document.querySelectorAll(arguments[0])).map(function (cell) {"
        " var range = document.createRange(); range.selectNodeContents(cell); var tops = {};"
        " Array.from(range.getClientRects()).forEach(function (r) { if (r.width > 0) tops[Math.round(r.top)] = true; });"
        " return [cell.textContent, Object.keys(tops).length]; })"
    )
    with browser_server() as server:
        try:
            info = server.app.store.create_sink(path, exist_ok=True)
            server.app.store.note_error(info.id, ServiceError(400, "InvalidBody", "a last error long enough to want the room " * 3))
            driver.set_window_size(360, 900)
            driver.get(server.url + "/ui/")
            cells = read_when(driver, lambda d: d.execute_script(words, "#sources td.missing"), lambda c: len(c) == 2, "the list's markers")
            assert cells == [["(not given)", 1], ["(not given)", 1]], cells
            driver.get(server.url + "/ui/sources/" + info.id)
            cells = read_when(driver, lambda d: d.execute_script(words, "#config dd.missing"), lambda c: len(c) == 2, "the source's markers")
            assert cells == [["(not given)", 1], ["(not given)", 1]], cells
        finally:
            driver.set_window_size(1280, 1000)
