"""What a user reviewing the pages with real data met (ADS-B, GitHub webhooks, big and hostile
values): the spaces of a value shown as sent, counts written as every other count of the
project writes them, and a source's page saying when it was created and when its last error and
last records refused came.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests.test_web_browser import ROOT, SEED, api, by_id, css, new_source, preview_shown, rows_shown, text_of, wait
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

SINK = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
SID = SINK["name"]
#: dump1090's call signs are padded to 8 characters ("AAL632  ", 82 of the 118 PiAware aircraft)
PADDED = "AAL632  "


def _seed(**data: Any) -> dict[str, Any]:
    seed: dict[str, Any] = json.loads(SEED)
    return seed | {"data": seed["data"] | data}


def _cell_texts(driver: Any, selector: str) -> list[str]:
    """The text each cell shows, as drawn (innerText: the spaces the page's CSS collapsed are gone), untrimmed."""
    return [str(t) for t in driver.execute_script("return Array.from(document.querySelectorAll(arguments[0])).map(c => c.innerText)", selector)]


def test_the_spaces_of_a_value_are_shown_as_sent(browser: Any) -> None:  # noqa: F811
    # a row's cells and the preview's drew their text as HTML does, runs of spaces collapsed to
    # one: dump1090's "AAL632  " showed as "AAL632 ", "a   b" as "a b" (the value stored is not that)
    driver = browser
    with browser_server(refresh=0.2) as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        record = _seed(reg=PADDED, type="a   b", origin=" LHR")
        assert api(server, "POST", f"/v2/sinks/{SID}", {"records": [{"value": record}]})[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 1 of 1.", "the row")
        shown = _cell_texts(driver, "#rows tbody td.value")
        assert json.dumps(PADDED) in shown and '"a   b"' in shown and '" LHR"' in shown, "|".join(shown)

        paths = {"_id": "id", "reg": "data.reg", "type": "data.type"}
        new_source(driver, server, "flights", "padded", "aircraft", paths, "continue", json.dumps(record))
        wait(driver, lambda d: any(row[0] == "reg" and row[3] for row in preview_shown(d)[1]), "the preview of reg")
        found = _cell_texts(driver, "#preview td.found")
        stored = _cell_texts(driver, "#preview td.stored")
        assert json.dumps(PADDED) in found and '"a   b"' in found, found
        assert json.dumps(PADDED) in stored and '"a   b"' in stored, stored


def test_counts_are_written_as_every_count_of_the_project(browser: Any) -> None:  # noqa: F811
    # "1234" records stored in the list, "1234 stored, 0 refused" and "Rows 1 to 25 of 1234." on a
    # source's page, beside "1,234 of 1,234 records refused" (the service's last records refused),
    # "(1,102 characters)" (a value cut) and every count the command line writes ("38,957 bytes")
    driver = browser
    with browser_server() as server:
        store = server.app.store
        store.create_sink(SINK)
        body = {"records": [{"value": _seed() | {"id": f"r{i}"}} for i in range(1_234)]}
        assert store.ingest(SID, json.dumps(body).encode()).answer["success_count"] == 1_234
        driver.get(server.url + "/ui/")
        wait(driver, lambda d: d.execute_script("return (document.querySelector('#sources td.stored') || {}).innerText") == "1,234", "the list's count")
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 25 of 1,234.", "the rows' total")
        assert "1,234 stored, 0 refused, in 1 request" in text_of(driver, "config")
        # a paste's summary too: 1,000 records (the most a paste takes), the seed's with ids of their own
        by_id(driver, "records").send_keys("")  # (the box is there)
        lines = "\n".join(json.dumps(_seed() | {"id": f"p{i}"}) for i in range(1_000))
        driver.execute_script("var e = document.getElementById('records'); e.value = arguments[0];", lines)
        by_id(driver, "send").click()
        wait(driver, lambda d: text_of(d, "send-summary") not in ("", "Sending..."), "the paste's answer")
        # (the seed's records are stored changed: a warning each)
        assert text_of(driver, "send-summary") == "1,000 of 1,000 records stored, 0 refused, 1,000 stored with warnings (a value stored changed)."


def test_a_sources_page_says_when_its_last_error_and_last_records_refused_came(browser: Any) -> None:  # noqa: F811
    # the list titles a refused count with "Last records refused (2023-11-14T22:13:20.000Z): ...",
    # as GET /v2/sinks gives last_refused_at and last_error_at; the source's page said neither when,
    # nor when the source was created (created_at): an error of last week read as one of now
    driver = browser
    now = [1_700_000_000.0]
    with browser_server(store_clock=lambda: now[0]) as server:
        store = server.app.store
        store.create_sink(SINK)
        now[0] += 60.5
        refused = {"records": [{"value": _seed()}, {"value": _seed(altitude="high")}]}
        assert store.ingest(SID, json.dumps(refused).encode()).answer["error_count"] == 1
        now[0] += 3600
        missing = _seed()
        del missing["data"]["reg"]  # (the sink allows no missing value: the body discarded whole, an error logged)
        assert store.ingest(SID, json.dumps({"records": [{"value": missing}]}).encode()).error is not None
        listed = api(server, "GET", "/v2/sinks")[1]["sinks"][0]
        assert (listed["created_at"], listed["last_refused_at"], listed["last_error_at"]) == (
            "2023-11-14T22:13:20.000Z",
            "2023-11-14T22:14:20.500Z",
            "2023-11-14T23:14:20.500Z",
        )
        driver.get(server.url + "/ui/")
        wait(driver, lambda d: d.execute_script("return (document.querySelector('#sources td.last-error') || {}).innerText"), "the list's last error")
        assert driver.execute_script("return document.querySelector('#sources td.last-error').title") == "Last error (2023-11-14T23:14:20.500Z)"
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: "Last error" in text_of(d, "config"), "the details")
        assert text_of(driver, "created") == "2023-11-14T22:13:20.000Z"
        assert text_of(driver, "last-error").startswith("2023-11-14T23:14:20.500Z: " + listed["last_error"][:40])
        assert text_of(driver, "last-refused") == "2023-11-14T22:14:20.500Z: " + listed["last_refused"]


#: The lines each of the token box's label and button is drawn on (a line box each of its text's client rects' tops).
TOKEN_LINES = """
    var lines = function (e) {
      var r = document.createRange(); r.selectNodeContents(e);
      return new Set(Array.from(r.getClientRects()).map(function (b) { return Math.round(b.top); })).size;
    };
    return [lines(document.querySelector('#token-box label')), lines(document.querySelector('#token-box button'))];
"""


def test_the_token_box_keeps_its_label_and_button_whole(browser: Any) -> None:  # noqa: F811
    # the service's words beside the box ("this endpoint needs Authorization: Bearer <token> - this
    # service needs its token ...") took the header's width: the label was drawn "Tok" / "en" and
    # the button "Use" / "token", at 1280 px
    driver = browser
    with browser_server(token="s3cret-token") as server:
        for width in (1280, 360):
            driver.set_window_size(width, 1000)
            try:
                driver.get(server.url + "/ui/")
                wait(driver, lambda d: "401 MissingAuthenticationToken" in text_of(d, "load-error"), "the service's answer")
                wait(driver, lambda d: "Bearer" in text_of(d, "token-hint"), "the service's words beside the box")
                assert driver.execute_script(TOKEN_LINES) == [1, 1], width
                assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), width
            finally:
                driver.set_window_size(1280, 1000)


#: Where (px from the left) the first of each character is drawn in the element ``arguments[0]`` matches.
DRAWN_AT = """
    var root = document.querySelector(arguments[0]);
    return arguments[1].map(function (ch) {
      var walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), node;
      while ((node = walk.nextNode())) {
        var i = node.data.indexOf(ch);
        if (i < 0) continue;
        var r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
        return r.getBoundingClientRect().left;
      }
      return null;
    });
"""

RTL_SINK = {
    "name": "rtl",
    "sink_details": {"database_id": "db", "table": "rtl"},
    "schema": {
        "primary_key_fields": ["id"],
        "allow_missing_fields": True,
        "definition": [
            {"name": "id", "path": ["id"], "type": "string"},
            {"name": "tags", "path": ["tags"], "type": "strings"},
            {"name": "word", "path": ["\u05e2"], "type": "string", "config": {"Mutex": True}},
            {"name": "deep", "path": ["\u05e9", "\u05ea"], "type": "string"},
        ],
    },
}


def test_right_to_left_strings_keep_their_place_in_json_text(browser: Any) -> None:  # noqa: F811
    # the strings of a JSON text drawn as one run when they were right-to-left: a record whose
    # Hebrew key held an Arabic value read as the value first, then the key, and a set of two
    # Hebrew letters in reverse, a path of two Hebrew keys its second key first; each string's (each
    # key's) characters are put in an isolate of their own (<bdi>)
    driver = browser
    with browser_server() as server:
        server.app.store.create_sink(RTL_SINK)
        driver.get(server.url + "/ui/sources/rtl")
        wait(driver, lambda d: rows_shown(d)[0] == "No rows stored yet.", "the source")
        record = '{"id": "r1", "tags": ["\u05d0", "\u05d1"], "\u05e2": "\u0634"}'
        by_id(driver, "records").send_keys(record)
        by_id(driver, "send").click()
        wait(driver, lambda d: text_of(d, "send-summary").startswith("1 of 1 record stored"), "the record stored")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 1 of 1.", "the row")
        # the paste's record: its key before its value, the set's first element before its second
        key, value, first, second = driver.execute_script(DRAWN_AT, "#send-records pre.record-text", ["\u05e2", "\u0634", "\u05d0", "\u05d1"])
        assert key < value and first < second, (key, value, first, second)
        # the row's set, in the order stored
        assert rows_shown(driver)[2][0][1] == '["\u05d0", "\u05d1"]'
        first, second = driver.execute_script(DRAWN_AT, "#rows tbody tr td:nth-child(2)", ["\u05d0", "\u05d1"])
        assert first < second, (first, second)
        # a path of two Hebrew keys, in dot notation: its first key first
        assert [e.text for e in css(driver, "#definition tbody td.path")][3] == "\u05e9.\u05ea"
        first, second = driver.execute_script(DRAWN_AT, "#definition tbody tr:nth-child(4) td.path", ["\u05e9", "\u05ea"])
        assert first < second, (first, second)


#: Holds the page's answers to the requests whose path matches ``arguments[0]`` until ``window.release()``: a slow network.
HOLD = """
    window.held = []; window.release = function () { window.held.splice(0).forEach(function (go) { go(); }); window.holding = false; };
    window.holding = true; var real = window.fetch, pattern = new RegExp(%s);
    window.fetch = function (path, init) {
      if (!window.holding || !pattern.test(String(path))) return real(path, init);
      return new Promise(function (resolve) { window.held.push(function () { resolve(real(path, init)); }); });
    };
"""


def test_a_page_waiting_for_its_first_answer_says_it_is_loading(browser: Any) -> None:  # noqa: F811
    # on a slow network the list was an empty table (as if no source existed) and a source's page
    # an empty skeleton ("Source", "Status:", blank boxes, a Send records button) until the service answered
    driver = browser
    with browser_server() as server:
        server.app.store.create_sink(SINK)
        for page, pattern, shown in (("/ui/", "^/v2/sinks$", "sources"), (f"/ui/sources/{SID}", f"^/ui/api/sinks/{SID}$", "config-section")):
            added = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOLD % json.dumps(pattern)})
            try:
                driver.get(server.url + page)
                wait(driver, lambda d: d.execute_script("return window.held.length") == 1, "the request held")
                assert by_id(driver, "loading").is_displayed(), page
                assert text_of(driver, "loading").startswith("Loading "), page
                assert not by_id(driver, shown).is_displayed(), page
                driver.execute_script("window.release()")
                wait(driver, lambda d, shown=shown: by_id(d, shown).is_displayed() and not by_id(d, "loading").is_displayed(), "the page, loaded")
            finally:
                driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})
        assert text_of(driver, "source-name") == SID


def test_many_column_mappings_are_shown_folded_with_their_count(browser: Any) -> None:  # noqa: F811
    # a source of 1,990 columns drew 1,990 rows of mappings first: the ingest endpoint and Send
    # records were some 60,000 px down the page
    driver = browser
    wide = {
        "name": "wide",
        "sink_details": {"database_id": "db", "table": "wide"},
        "schema": {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"c{i}", "path": [f"c{i}"], "type": "int"} for i in range(150)],
        },
    }
    with browser_server() as server:
        server.app.store.create_sink(wide)
        server.app.store.create_sink(SINK)
        driver.get(server.url + "/ui/sources/wide")
        wait(driver, lambda d: text_of(d, "mappings-title") == "Column mappings (151)", "the mappings' count")
        assert driver.execute_script("return document.getElementById('mappings').open") is False
        assert driver.execute_script("return document.getElementById('endpoint').getBoundingClientRect().top") < 1000
        by_id(driver, "mappings-title").click()  # (opened, and kept so by the refreshes)
        wait(driver, lambda d: len(css(d, "#definition tbody tr")) == 151 and css(d, "#definition tbody tr")[150].is_displayed(), "the mappings, opened")
        # a source of a few columns shows them at once
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: text_of(d, "mappings-title") == "Column mappings (14)", "the seed's mappings")
        assert driver.execute_script("return document.getElementById('mappings').open") is True
