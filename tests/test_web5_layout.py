"""The web UI's layout as a user pasting real data meets it, in a real browser: marker words and short
names never broken inside, wide tables scrolling in their own box in a phone's window, a problem's
caret lines kept as lines.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is
bounded; a table the page draws again is read in one script.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mapper.endpoint import ServiceError
from tests.test_web_browser import SEED, by_id, new_source, read_when, text_of, wait
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
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
        assert check == [["empty key (two dots in a row, or a leading dot) at character 3", "  a..b\n    ^"]], check
        listed = read_when(driver, lambda d: d.execute_script(read, "#problems li"), lambda r: any(c for _t, c in r), "the problems list")
        assert ["Column lat: empty key (two dots in a row, or a leading dot) at character 3", "  a..b\n    ^"] in listed, listed


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
# The markers for no value in a phone's window


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


# Each word of the preview's found and stored cells with the number of lines it is drawn on,
# read in one script: a word on two lines was broken inside.
_VALUE_WORDS = """
var out = [];
document.querySelectorAll('#preview-table td.found, #preview-table td.stored').forEach(function (td) {
  var walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT), node;
  while ((node = walker.nextNode())) {
    var re = /\\S+/g, m;
    while ((m = re.exec(node.data))) {
      var range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      var tops = {};
      Array.from(range.getClientRects()).forEach(function (r) { if (r.width > 0) tops[Math.round(r.top)] = true; });
      out.push([td.closest('tr').getAttribute('data-column'), m[0], Object.keys(tops).length]);
    }
  }
});
return out;
"""


def test_short_values_in_the_preview_are_not_broken_in_a_wide_window(browser: Any) -> None:  # noqa: F811
    # In a window of 1280 px the seed's preview drew its _id "PD2tRswoE3:0:0" and its timestamp
    # 1659981468260 on two lines each ("165998146826" / "0"): the found and stored cells break
    # anywhere, so the table gave their room to the note beside them. A value of up to 16
    # characters stays whole; the preview still fits a phone's window (the test above).
    driver = browser
    paths = {"_id": "id", "ts": "timestamp", "lat": "data.lat", "long": "data.long", "reg": "data.reg", "destination": "data.destination"}
    with browser_server() as server:
        new_source(driver, server, "flights", "values", "aircraft", paths, "continue", SEED)
        read_when(driver, lambda d: text_of(d, "preview-summary"), lambda t: "would" in t, "the preview")
        words = read_when(driver, lambda d: d.execute_script(_VALUE_WORDS), lambda w: any(c == "long" for c, _w, _n in w), "the preview's values")
        broken = [w for w in words if w[2] > 1 and len(w[1]) <= 16]
        assert broken == [], broken
        assert ["_id", '"PD2tRswoE3:0:0"', 1] in words and ["ts", "1659981468260", 1] in words, words
