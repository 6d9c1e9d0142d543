"""A service out of reach said as a user reads it, and why a source holds fewer rows than the
records it stored (upserts), where the two numbers meet.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests.test_web_browser import ROOT, SEED, api, cannot_reach, css, rows_shown, text_of, wait, wait_shown, watch_text
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

SINK = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
SID = SINK["name"]
MERGED = "records with the same _id are stored in one row, the later one updating it"


def test_a_service_stopped_is_said_without_the_browsers_error_name(browser: Any) -> None:  # noqa: F811
    # the service stopped under an open page: "Cannot reach the service: TypeError: Failed to
    # fetch", a JavaScript error's name and Chromium's words, nothing a user could act on
    driver = browser
    with browser_server(refresh=0.2) as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == "No rows stored yet.", "the source")
        watch_text(driver, "load-error")
        watch_text(driver, "rows-summary")
    # (a real fetch() failing, a poll after the server stopped: no fetch replaced by the test)
    assert wait_shown(driver, "load-error", lambda t: t != "", "the failure said", timeout=10) == cannot_reach(server)
    driver.get("about:blank")


def test_fewer_rows_than_records_stored_is_explained_where_both_are_shown(browser: Any) -> None:  # noqa: F811
    # the list said "Records stored" 3 and the source's page "Rows 1 to 2 of 2.": correct (the
    # two records of one _id are one row), but nothing said why
    driver = browser
    with browser_server(refresh=0.2) as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        seed = json.loads(SEED)
        other = seed | {"id": seed["id"] + "-2"}
        assert api(server, "POST", f"/v2/sinks/{SID}", {"records": [{"value": seed}, {"value": other}]})[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 2 of 2.", "as many rows as records: nothing more said")
        assert api(server, "POST", f"/v2/sinks/{SID}", {"records": [{"value": seed}]})[0] == 200  # (the same _id again: upserted)
        wait(driver, lambda d: rows_shown(d)[0] == f"Rows 1 to 2 of 2. 3 records stored: {MERGED}.", "the rows fewer than the records")
        assert text_of(driver, "config").count("3 stored, 0 refused") == 1
        driver.get(server.url + "/ui/")
        wait(driver, lambda d: [c.text for c in css(d, "#sources tbody td.stored")] == ["3"], "the list's count")
        (head,) = [th for th in css(driver, "#sources thead th") if th.text == "Records stored"]
        assert MERGED in str(head.get_attribute("title")).lower(), head.get_attribute("title")
        driver.get("about:blank")
