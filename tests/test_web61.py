"""Stop 61's leftovers of the web UI: why a source holds fewer rows than the records it stored
said only when upserts are why, the right-to-left keys and values a message quotes isolated,
a source of ~1,100 columns drawn in bounded time, and what using the pages as a newcomer found.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests import test_web60
from tests.test_web_browser import AIRCRAFT_PATHS, ROOT, SEED, api, by_id, cannot_reach, css, new_source, rows_shown, text_of, wait, wait_shown, watch_text
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

SINK = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
SID = SINK["name"]
MERGED = "records with the same _id are stored in one row, the later one updating it"
REMOVED = "%d of them removed by another program (this service removes none)."


def _record(n: int) -> dict[str, Any]:
    seed: dict[str, Any] = json.loads(SEED)
    return seed | {"id": f"{seed['id']}-{n}"}


def test_fewer_rows_are_put_down_to_upserts_only_when_upserts_are_why(browser: Any) -> None:  # noqa: F811
    # the page said "4 records stored: records with the same _id are stored in one row, the later
    # one updating it" of any rows fewer than the records stored: rows removed by another program
    # (the service removes none) were put down to upserts too
    driver = browser
    with browser_server(refresh=0.2) as server:
        store = server.app.store
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200

        def send(*records: dict[str, Any]) -> None:
            assert api(server, "POST", f"/v2/sinks/{SID}", {"records": [{"value": r} for r in records]})[0] == 200

        send(_record(1), _record(2), _record(1))  # (the third an upsert of the first)
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == f"Rows 1 to 2 of 2. 3 records stored: {MERGED}.", "the upsert said")

        table = store.db.execute("SELECT table_name FROM _mapper_sinks WHERE id = ?", (SID,)).fetchone()[0]
        store.db.execute(f'DELETE FROM "{table}" WHERE _id = ?', (_record(2)["id"],))  # (another program, by hand)
        send(_record(3))  # (the counts move: the rows are asked again)
        said = f"Rows 1 to 2 of 2. 4 records stored, 1 of them to an _id stored already ({MERGED}): 3 rows made, {REMOVED % 1}"
        wait(driver, lambda d: rows_shown(d)[0] == said, "the row removed said, not put down to upserts")
        assert api(server, "GET", f"/ui/api/sinks/{SID}/rows")[1]["records"] == {"stored": 4, "merged": 1}

        # a database of an earlier mapper did not count the upserts: both causes said, neither chosen
        store.db.execute("UPDATE _mapper_sinks SET records_merged = NULL")
        send(_record(4))
        said = f"Rows 1 to 3 of 3. 5 records stored: {MERGED}, or rows were removed by another program; which, is not known"
        wait(driver, lambda d: rows_shown(d)[0].startswith(said), "what is known said")

        # every row gone: not "No rows stored yet."
        store.db.execute(f'DELETE FROM "{table}"')
        store.db.execute("UPDATE _mapper_sinks SET records_merged = 1")
        send()  # (a request of no record: the counts' requests move)
        said = f"No rows. 5 records stored, 1 of them to an _id stored already ({MERGED}): 4 rows made, {REMOVED % 4}"
        wait(driver, lambda d: rows_shown(d)[0] == said, "no rows, and why")
        driver.get("about:blank")


#: The sink of tests/test_web60.py's right-to-left test, with an int column at a path of two Hebrew keys.
RTL_SINK = test_web60.RTL_SINK | {
    "schema": test_web60.RTL_SINK["schema"]
    | {"definition": [*test_web60.RTL_SINK["schema"]["definition"], {"name": "n", "path": ["\u05e7", "\u05e8"], "type": "int"}]}
}
#: The text of each <bdi> in the element ``arguments[0]`` matches.
ISOLATES = "return Array.from(document.querySelectorAll(arguments[0] + ' bdi')).map(function (b) { return b.textContent; })"


def test_the_right_to_left_keys_and_values_a_message_quotes_keep_their_places(browser: Any) -> None:  # noqa: F811
    # a message was drawn as one run: "arrays of objects are at `\u05d0\u05d1` (30 objects),
    # `\u05d2\u05d3.\u05e7` (20 objects)" read "(30 objects)" before the key it is of, and the path's
    # second key first; each part a message quotes (not the whole message) is put in an isolate of its own
    driver = browser
    a, b, c = "\u05d0\u05d1", "\u05d2\u05d3", "\u05e7"
    with browser_server() as server:
        server.app.store.create_sink(RTL_SINK)
        driver.get(server.url + "/ui/sources/rtl")
        wait(driver, lambda d: rows_shown(d)[0] == "No rows stored yet.", "the source")
        document = {a: [{"id": str(i)} for i in range(30)], b: {c: [{"id": "x"}] * 20}}
        driver.execute_script("document.getElementById('records').value = arguments[0]", json.dumps(document, ensure_ascii=False))
        by_id(driver, "send").click()
        wait(driver, lambda d: "arrays of objects" in text_of(d, "send-note"), "the note on the document")
        note = text_of(driver, "send-note")
        assert f"arrays of objects are at `{a}` (30 objects), `{b}.{c}` (20 objects)" in note, note
        key, count, first, second = driver.execute_script(test_web60.DRAWN_AT, "#send-note", [a[0], "3", b[0], c])
        assert key < count and first < second, (key, count, first, second)
        assert driver.execute_script(ISOLATES, "#send-note") == [a, b, c, a, a]  # (the jq line's key too)
        # a record's answer: its path's keys, in order, and the English around them not isolated
        driver.execute_script("document.getElementById('records').value = arguments[0]", '{"id": "r1", "\u05e7": {"\u05e8": "x y"}, "tags": ["\u05d0", 5]}')
        by_id(driver, "send").click()
        wait(driver, lambda d: text_of(d, "send-summary") == "0 of 1 record stored, 1 refused.", "the record refused")
        answer = css(driver, "#send-records p.answer")[0]
        assert answer.text.startswith("InvalidBody: Incorrect values"), answer.text
        assert all(len(t) == 1 for t in driver.execute_script(ISOLATES, "#send-records p.answer")), answer.text
        # a name in 'single' quotes (a Python repr), `backticks` and "double" quotes: each isolated, its quotes outside
        name = "\u05e9\u05dd"
        hebrew = {
            "name": "h",
            "sink_details": {"database_id": "db", "table": "h"},
            "schema": {
                "primary_key_fields": [name],
                "allow_missing_fields": True,
                "definition": [{"name": name, "path": [name], "type": "string"}, {"name": "n", "path": ["n"], "type": "int"}],
            },
        }
        server.app.store.create_sink(hebrew)
        driver.get(server.url + "/ui/sources/h")
        wait(driver, lambda d: rows_shown(d)[0] == "No rows stored yet.", "the source")
        by_id(driver, "records").send_keys('{"n": 1}')
        by_id(driver, "send").click()
        wait(driver, lambda d: text_of(d, "send-summary") == "0 of 1 record stored, 1 refused.", "the record refused")
        said = css(driver, "#send-records p.answer")[0].text
        assert f'primary key field \'{name}\' is missing - at `$["{name}"]` (record 1, line 1, column "{name}")' in said, said
        assert driver.execute_script(ISOLATES, "#send-records p.answer") == [name, name, name]


#: [left of the character the caret names, left of the caret] in the first ``.caret`` block ``arguments[0]`` holds: the copy's
#: line, then the caret's line ("    ^"), the caret under the character of its column; and a space's width.
CARET_AT = """
    var node = document.querySelector(arguments[0] + ' .caret').firstChild, text = node.data, lines = text.split('\\n');
    var at = function (i) { var r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1); return r.getBoundingClientRect().left; };
    var column = lines[1].indexOf('^');
    return [at(column), at(lines[0].length + 1 + column), at(1) - at(0)];
"""


def test_the_caret_under_a_right_to_left_path_stands_under_the_character_it_names(browser: Any) -> None:  # noqa: F811
    # "empty key (two dots in a row, or a leading dot) at character 3" over the copy "\u05e9..\u05ea" and a
    # caret: the copy drawn right-to-left, the caret stood under the first dot, not the second
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "web", "rtl", "t", {"_id": "id", "tags": "\u05e9..\u05ea"}, "continue")
        check = "#columns tr[data-column='tags'] .check"
        wait(driver, lambda d: "empty key" in (css(d, check) or [None])[0].text, "the path's problem")
        char, caret, width = driver.execute_script(CARET_AT, check)
        assert abs(char - caret) < width / 2, (char, caret, width)  # (a Hebrew letter of the fallback font is not a column wide)


def test_the_rows_of_a_source_of_1100_columns_are_drawn_100_columns_at_a_time(browser: Any) -> None:  # noqa: F811
    # a page of 25 rows of 1,100 columns drew 27,500 cells (as many "Show whole value" buttons): ~4.4-5.9 s
    # of the browser's layout before the page answered (0.6-0.7 s drawn 100 columns at a time)
    driver = browser
    n = 1_100
    definition = [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"c{i}", "path": [f"c{i}"], "type": "string"} for i in range(n)]
    wide = {
        "name": "wide",
        "sink_details": {"database_id": "db", "table": "wide"},
        "schema": {"id_field": "id", "allow_missing_fields": True, "definition": definition},
    }
    with browser_server() as server:
        store = server.app.store
        store.create_sink(wide)
        body = {"records": [{"value": {"id": i} | {f"c{k}": f"row {i} column {k}" for k in range(n)}} for i in range(30)]}
        assert store.ingest("wide", json.dumps(body).encode()).answer["success_count"] == 30
        driver.get(server.url + "/ui/sources/wide")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 25 of 30.", "the rows")
        heads = [th.text for th in css(driver, "#rows thead th")]
        assert heads[:3] == ["_id", "c0", "c1"] and len(heads) == 101, len(heads)
        assert len(css(driver, "#rows tbody td")) == 25 * 100
        assert text_of(driver, "columns-summary") == "Columns 1 to 100 of 1,100 (100 at a time; the _id always)."
        by_id(driver, "columns-next").click()
        wait(driver, lambda d: text_of(d, "columns-summary").startswith("Columns 101 to 200 of 1,100"), "the next columns")
        assert [th.text for th in css(driver, "#rows thead th")][:2] == ["_id", "c100"]
        assert rows_shown(driver)[2][0][:2] == ["0", '["row 0 column 100"]']
        for _ in range(9):  # (to the last columns, from the keyboard: the focus stays on the pager)
            driver.switch_to.active_element.send_keys(" ")
        wait(driver, lambda d: text_of(d, "columns-summary").startswith("Columns 1,001 to 1,100 of 1,100"), "the last columns")
        assert by_id(driver, "columns-next").get_attribute("disabled") and driver.switch_to.active_element.get_attribute("id") == "columns-prev"
        status, page = api(server, "GET", "/ui/api/sinks/wide/rows?limit=1&column_offset=1099&column_limit=100")
        assert (status, [c["name"] for c in page["columns"]], page["column_total"]) == (200, ["c1099"], 1_100)
        assert api(server, "GET", "/ui/api/sinks/wide/rows?limit=1")[1]["columns"][-1]["name"] == "c1099"  # (every column, asked for none)
        driver.get("about:blank")


def test_a_sources_details_keep_their_room_in_a_phones_window(browser: Any) -> None:  # noqa: F811
    # at 360 px the details' terms took their widest's width ("Records with missing values", 240 px):
    # each value was drawn in the 40 px left, a word or less a line ("Discard" / "the" / "entire" ...,
    # a database id 10 lines), and the mappings' table stood 4 px past the window (the page scrolled sideways)
    driver = browser
    with browser_server() as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": False})
        try:
            driver.get(server.url + f"/ui/sources/{SID}")
            wait(driver, lambda d: text_of(d, "config") != "", "the details")
            missing = [dd for dd in css(driver, "#config dd") if dd.text.startswith("Discard the entire batch")][0]
            width = driver.execute_script(
                "return arguments[0].getBoundingClientRect().width / document.getElementById('config').getBoundingClientRect().width", missing
            )
            assert width > 0.5, width
            assert driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        finally:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


#: How many lines the text of the element ``arguments[0]`` is drawn on.
LINES = """
    var r = document.createRange(); r.selectNodeContents(arguments[0]);
    return new Set(Array.from(r.getClientRects()).map(function (b) { return Math.round(b.top); })).size;
"""


def test_the_lists_names_are_not_broken_inside_in_a_phones_window(browser: Any) -> None:  # noqa: F811
    # at 360 px the list's table (which scrolls sideways in its own box anyway) gave a source's name
    # 43 px: "aircr" / "aft_p" / "ositi" / "ons", its table "aircr" / "aft"
    driver = browser
    with browser_server() as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": False})
        try:
            driver.get(server.url + "/ui/")
            wait(driver, lambda d: css(d, "#sources tbody th a") and css(d, "#sources tbody th a")[0].text == SID, "the list")
            assert driver.execute_script(LINES, css(driver, "#sources tbody th a")[0]) == 1
            assert driver.execute_script(LINES, css(driver, "#sources tbody td.table")[0]) == 1
            assert driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        finally:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_list_says_its_sources_are_the_last_listed_when_the_service_stops(browser: Any) -> None:  # noqa: F811
    # the service stopped under the list: "Cannot reach the service ...", above the sources with their
    # counts and states as if current, nothing said of them
    driver = browser
    with browser_server(refresh=0.2) as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        driver.get(server.url + "/ui/")
        wait(driver, lambda d: [e.text for e in css(d, "#sources tbody th a")] == [SID], "the list")
        watch_text(driver, "load-error")
        said = cannot_reach(server) + "; the sources below are as the service last listed them (asked again every 0.2 s)."
    assert wait_shown(driver, "load-error", lambda t: t != "", "the failure said", timeout=10) == said
    driver.get("about:blank")


def test_a_source_of_no_rows_shows_no_empty_table_or_pager(browser: Any) -> None:  # noqa: F811
    # "No rows stored yet." stood over a table of column names only and two disabled buttons,
    # Previous page and Next page, as if rows were there to page through
    driver = browser
    with browser_server(refresh=0.2) as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == "No rows stored yet.", "the source")
        assert not by_id(driver, "rows").is_displayed() and not by_id(driver, "rows-prev").is_displayed()
        assert api(server, "POST", f"/v2/sinks/{SID}", {"records": [{"value": _record(1)}]})[0] == 200
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 1 of 1.", "the row")
        assert by_id(driver, "rows").is_displayed() and not by_id(driver, "rows-prev").is_displayed()  # (one page: nothing to page through)
        # nor a pager of columns for a source of 150
        definition = [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"c{i}", "path": [f"c{i}"], "type": "int"} for i in range(150)]
        server.app.store.create_sink(
            {
                "name": "wide",
                "sink_details": {"database_id": "db", "table": "wide"},
                "schema": {"id_field": "id", "allow_missing_fields": True, "definition": definition},
            }
        )
        driver.get(server.url + "/ui/sources/wide")
        wait(driver, lambda d: rows_shown(d)[0] == "No rows stored yet.", "the wide source")
        assert not by_id(driver, "columns-pager").is_displayed()
        assert api(server, "POST", "/v2/sinks/wide", {"records": [{"value": {"id": 1, "c0": 1}}]})[0] == 200
        wait(driver, lambda d: text_of(d, "columns-summary").startswith("Columns 1 to 100 of 150"), "the pager of columns, once a row is stored")
        driver.get("about:blank")


def test_the_previews_notes_keep_the_room_of_a_few_words_in_a_phones_window(browser: Any) -> None:  # noqa: F811
    # at 360 px the preview's notes were given 61 px: the seed's note on its timestamp (two sentences)
    # was drawn a word or less a line, a row 813 px tall, blank but for that column (out of sight to the right)
    driver = browser
    with browser_server() as server:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": False})
        try:
            new_source(driver, server, "flights", "seed", "aircraft", AIRCRAFT_PATHS, "continue", SEED)
            wait(driver, lambda d: len(css(d, "#preview-table tbody tr[data-column='ts'] td.notes li")) == 1, "the note on the timestamp")
            height = driver.execute_script("return document.querySelector(\"#preview-table tbody tr[data-column='ts']\").getBoundingClientRect().height")
            assert height < 300, height
            assert driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        finally:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
