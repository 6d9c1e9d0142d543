"""A source's page in a real browser as its source comes and goes and as the service fails
in ways it did not expect: a source created again after a 404, answers that are not the
service's, a page of rows too wide to send whole.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests.test_web_browser import ROOT, SEED, api, by_id, cannot_reach, css, paste, rows_shown, text_of, wait, wait_shown, watch_text
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

SINK = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
SID = SINK["name"]


def _records(n: int) -> dict[str, Any]:
    seed = json.loads(SEED)
    return {"records": [{"value": seed | {"id": f"r{i}"}} for i in range(n)]}


def test_a_source_created_under_the_name_of_the_page_is_shown(browser: Any) -> None:  # noqa: F811
    # after a 404 (the source deleted, a bookmark opened before the source was created) the page
    # stopped asking: the source created under that name stayed "No such source" until a reload
    driver = browser
    with browser_server(refresh=0.1) as server:  # (asked again every 0.5 s after the 404)
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: text_of(d, "source-name") == "No such source", "the 404")
        assert text_of(driver, "load-error").startswith(f"The service answered 404 ResourceNotFound: no sink '{SID}' (asked again every 0.5 s")
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        assert api(server, "POST", f"/v2/sinks/{SID}", _records(2))[0] == 200
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 2 of 2.", "the source created since, and its rows")
        assert text_of(driver, "source-name") == SID and text_of(driver, "load-error") == ""
        for element_id in ("send-form", "endpoint", "config", "rows"):
            assert by_id(driver, element_id).is_displayed(), element_id
        assert "2 stored, 0 refused, in 1 request" in text_of(driver, "config")


def test_a_value_sent_cut_is_shown_whole_from_the_keyboard(browser: Any) -> None:  # noqa: F811
    # each value of a page of rows is cut to its share of the page (a wide table's page was tens
    # of MB); a cut value offers itself whole: a button, reached and pressed from the keyboard
    from selenium.webdriver.common.keys import Keys

    driver = browser
    seed = json.loads(SEED)
    seed["data"]["reg"] = "r" * 5_000
    with browser_server(refresh=0.2) as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        assert api(server, "POST", f"/v2/sinks/{SID}", {"records": [{"value": seed}]})[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 1 of 1.", "the rows")
        buttons = css(driver, "#rows button.whole")
        assert len(buttons) == 1 and buttons[0].get_attribute("aria-label") == "Show the whole value of reg, row 1 (5,002 characters)"
        cell = "Array.from(document.querySelectorAll('#rows tbody td')).find(c => c.querySelector('button.whole, .whole-value'))"
        assert driver.execute_script(f"return {cell}.firstChild.data").endswith("...(5,002 characters)")
        # the service out of reach: said in the cell, the button left to press again
        driver.execute_script(
            "var real = window.fetch, failed = false; window.fetch = function (path, init) {"
            " if (failed || String(path).indexOf('/cell?') < 0) return real(path, init);"
            " failed = true; return Promise.reject(new TypeError('Failed to fetch')); };"
        )
        buttons[0].send_keys(Keys.ENTER)
        wait(driver, lambda d: [e.text for e in css(d, "#rows .whole-note")] == [cannot_reach(server)], "the failure said")
        buttons[0].send_keys(Keys.ENTER)
        wait(driver, lambda d: d.execute_script(f"return {cell}.innerText") == '"' + "r" * 5_000 + '"', "the whole value")
        assert driver.execute_script("return document.activeElement.className") == "whole-value"
        # the page of rows drawn again (a record stored on it): the value stays whole, the focus in it
        # (the table drawn anew took the value shown whole, and the focus, back to the top of the page)
        assert api(server, "POST", f"/v2/sinks/{SID}", _records(1))[0] == 200
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 2 of 2.", "the rows drawn again")
        wait(driver, lambda d: d.execute_script(f"return {cell}.innerText") == '"' + "r" * 5_000 + '"', "the value whole again")
        assert driver.execute_script("return document.activeElement.className") == "whole-value"


def test_a_details_answer_that_is_not_the_services_does_not_stop_the_refreshes(browser: Any) -> None:  # noqa: F811
    # a 2xx that is not the service's JSON (a proxy's page for a moment), like any answer but a
    # 5xx, was said and never asked again: the error stayed over counts that no longer moved
    driver = browser
    with browser_server(refresh=0.2) as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: "0 stored, 0 refused, in 0 requests" in text_of(d, "config"), "the details")
        watch_text(driver, "load-error")  # (said until the next refresh, a fraction of a second)
        driver.execute_script(
            """
            var real = window.fetch;
            window.proxied = false;  // the next details request: a proxy's page, once
            window.fetch = function (path, init) {
              if (window.proxied || !/\\/ui\\/api\\/sinks\\/[^/]+$/.test(String(path))) return real(path, init);
              window.proxied = true;
              return Promise.resolve(new Response("<html>proxy</html>", {status: 200, headers: {"Content-Type": "text/html"}}));
            };
            """
        )
        wait_shown(driver, "load-error", lambda t: t.startswith("The answer to GET /ui/api/sinks/"), "the proxy's page said")
        assert api(server, "POST", f"/v2/sinks/{SID}", _records(2))[0] == 200
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 2 of 2.", "the refreshes going on")
        assert text_of(driver, "load-error") == "" and "2 stored, 0 refused, in 1 request" in text_of(driver, "config")


#: The page's first catalog request fails as a service restarting makes it fail, the next ones reach it.
FAIL_CATALOG_ONCE = """
    var real = window.fetch, failed = false;
    window.fetch = function (path, init) {
      if (String(path).indexOf("/ui/api/catalog") < 0 || failed) return real(path, init);
      failed = window.catalogFailed = true;
      return Promise.reject(new TypeError("Failed to fetch"));
    };
"""


def test_the_pages_ask_again_for_the_catalog_their_first_request_did_not_get(browser: Any) -> None:  # noqa: F811
    # the first catalog request failed (the service restarting): the list's Database column showed
    # the database's id instead of its name for good, and New Source said "Cannot reach the
    # service" over a form with no database to choose, until a reload
    from tests.test_hunt_web import clicks_source

    driver = browser
    with browser_server(refresh=0.2) as server:
        clicks_source(server, "first")
        added = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FAIL_CATALOG_ONCE})
        try:
            driver.get(server.url + "/ui/")
            wait(driver, lambda d: [e.text for e in css(d, "#sources tbody th")] == ["first"], "the list")
            wait(driver, lambda d: [e.text for e in css(d, "#sources tbody td.database")] == ["web"], "the database's name")
            assert driver.execute_script("return window.catalogFailed") is True
            driver.get(server.url + "/ui/new")
            wait(driver, lambda d: len(css(d, "#database option")) > 1, "the databases, asked again")
            assert driver.execute_script("return window.catalogFailed") is True and text_of(driver, "load-error") == ""
        finally:
            driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})


def test_a_name_check_and_a_draft_the_service_could_not_answer_are_asked_again(browser: Any) -> None:  # noqa: F811
    # the service out of reach for a moment as a name was typed: "The name cannot be checked:
    # cannot reach the service" and the form's "Cannot reach the service" stayed, the service
    # back, until another key was typed
    driver = browser
    with browser_server(refresh=0.2) as server:
        driver.get(server.url + "/ui/new")
        wait(driver, lambda d: len(css(d, "#database option")) > 1, "the databases")
        driver.execute_script(
            """
            var real = window.fetch, failed = {};
            window.fetch = function (path, init) {
              var route = (String(path).match(/\\/ui\\/api\\/(name|draft)/) || [])[1];
              if (!route || failed[route]) return real(path, init);
              failed[route] = true;
              return Promise.reject(new TypeError("Failed to fetch"));
            };
            """
        )
        watch_text(driver, "name-check")
        watch_text(driver, "create-result")
        paste(driver, "name", "web_clicks")
        unchecked = f"The name cannot be checked: cannot reach the service at {server.url}: the connection failed (is mapper serve running?)"
        wait_shown(driver, "name-check", lambda t: t == unchecked, "the name unchecked")
        wait_shown(driver, "create-result", lambda t: t == cannot_reach(server), "the draft failed")
        wait(driver, lambda d: text_of(d, "name-check") == "web_clicks is a valid source name", "the name checked again")
        wait(driver, lambda d: text_of(d, "create-result") == "", "the draft asked again")
