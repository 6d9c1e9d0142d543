"""A source's page as records flow in while it is open, in a real browser: what it said of the
rows no longer true once others stored records, the details and rows drawn again under a
selection, a poll answered late putting older counts back.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests.test_web_browser import ROOT, SEED, api, by_id, paste, rows_shown, text_of, wait, watch_text
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

SINK = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
SID = SINK["name"]


def _records(n: int) -> dict[str, Any]:
    seed = json.loads(SEED)
    return {"records": [{"value": seed | {"id": f"r{i}"}} for i in range(n)]}


def test_the_note_of_a_page_past_the_last_goes_once_records_come(browser: Any) -> None:  # noqa: F811
    # ?page=2 of a source with no rows: "There is no page 2: no rows are stored." stayed above
    # "Rows 1 to 3 of 3." once another client stored records (the note was never taken back)
    driver = browser
    with browser_server() as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}?page=2")
        wait(driver, lambda d: text_of(d, "rows-note") == "There is no page 2: no rows are stored.", "the note of a page past the last")
        assert api(server, "POST", f"/v2/sinks/{SID}", _records(3))[0] == 200
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 3 of 3.", "the rows another client stored")
        assert text_of(driver, "rows-note") == ""
        # a note still true stays: page 9 of 1, the rows unchanged
        driver.get(server.url + f"/ui/sources/{SID}?page=9")
        wait(driver, lambda d: text_of(d, "rows-note") == "There is no page 9: the rows fill 1 page; the last is shown.", "the note")
        wait(driver, lambda d: "3 stored" in text_of(d, "config"), "the details")
        assert text_of(driver, "rows-note") == "There is no page 9: the rows fill 1 page; the last is shown."


def test_a_selection_in_the_details_survives_records_coming_in(browser: Any) -> None:  # noqa: F811
    # the details (counts, last error, the column mappings) were drawn anew each time the counts
    # moved: a last error or a path being selected to copy was lost every few seconds
    driver = browser
    with browser_server() as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        assert api(server, "POST", f"/v2/sinks/{SID}", b"junk")[0] == 400
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: "400 InvalidBody" in text_of(d, "config"), "the last error")
        selected = driver.execute_script(
            "var dd = Array.from(document.querySelectorAll('#config dd')).find(function (e) { return e.textContent.indexOf('InvalidBody') >= 0; });"
            "var path = document.querySelector('#definition tbody td.path');"
            "var r = document.createRange(); r.selectNodeContents(dd); getSelection().removeAllRanges(); getSelection().addRange(r);"
            "window.kept = [dd, path]; return getSelection().toString();"
        )
        assert ": 400 InvalidBody: " in selected  # (after the time it came)
        assert api(server, "POST", f"/v2/sinks/{SID}", _records(1))[0] == 200
        wait(driver, lambda d: "1 stored, 0 refused, in 2 requests" in text_of(d, "config"), "the counts")
        assert driver.execute_script("return getSelection().toString()") == selected
        assert driver.execute_script("return window.kept.map(function (e) { return e.isConnected; })") == [True, True]
        assert by_id(driver, "status").text == "ACTIVE"


def test_a_poll_answered_late_does_not_put_older_counts_back(browser: Any) -> None:  # noqa: F811
    # the details are asked for by the poll and after a send: a poll answered after the send's
    # request put "0 stored, 0 refused, in 0 requests" back above "Rows 1 to 1 of 1." until the next poll
    driver = browser
    with browser_server(refresh=2.0) as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: "0 stored, 0 refused, in 0 requests" in text_of(d, "config"), "the details")
        driver.execute_script(
            """
            var real = window.fetch;
            window.late = null;  // the next poll: its answer handed to the page 1 s after it came
            window.fetch = function (path, init) {
              var p = real(path, init);
              if (window.late !== null || !/\\/ui\\/api\\/sinks\\/[^/]+$/.test(String(path))) return p;
              window.late = false;
              return p.then(function (r) { return new Promise(function (ok) { setTimeout(function () { window.late = true; ok(r); }, 1000); }); });
            };
            """
        )
        wait(driver, lambda d: d.execute_script("return window.late") is False, "the poll held")
        watch_text(driver, "config")
        paste(driver, "records", SEED)
        by_id(driver, "send").click()
        wait(driver, lambda d: d.execute_script("return window.late"), "the held poll answered")
        driver.execute_script("return new Promise(function (ok) { setTimeout(ok, 100); })")
        shown = [t for t in driver.execute_script("return window.shownTexts.config") if "stored" in t]
        assert shown and "1 stored, 0 refused, in 1 request" in shown[-1], shown[-1:]
        assert rows_shown(driver)[0] == "Rows 1 to 1 of 1."


def test_a_selection_in_the_rows_survives_records_stored_on_other_pages(browser: Any) -> None:  # noqa: F811
    # the page of rows was drawn anew each time the counts moved, the same rows too: a value
    # being selected on page 1 was lost every few seconds while records were stored after it
    driver = browser
    with browser_server() as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        assert api(server, "POST", f"/v2/sinks/{SID}", _records(30))[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 25 of 30.", "the rows")
        selected = driver.execute_script(
            "var cell = document.querySelector('#rows tbody tr td');"
            "var r = document.createRange(); r.selectNodeContents(cell); getSelection().removeAllRanges(); getSelection().addRange(r);"
            "window.kept = cell; return getSelection().toString();"
        )
        assert selected
        more = _records(31)["records"][30:]
        assert api(server, "POST", f"/v2/sinks/{SID}", {"records": more})[0] == 200
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 25 of 31.", "the total moved")
        assert driver.execute_script("return getSelection().toString()") == selected
        assert driver.execute_script("return window.kept.isConnected")
