"""A source's page in a real browser: a value shown whole is the value of the row the page shows,
a page refused for its token stops asking until it is given one, and the labels of a page's cut
values are written with one number formatter.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.test_web_browser import ROOT, SEED, api, by_id, css, new_source, paste, rows_shown, text_of, wait
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

SINK = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
SID = SINK["name"]
#: The text of a cell of the rows' body holding a "Show whole value" (or the value shown whole), by its row.
WHOLE_CELL = (
    "var row = document.querySelectorAll('#rows tbody tr')[arguments[0]];"
    " var cell = Array.from(row.cells).find(c => c.querySelector('button.whole, .whole-value'));"
)


def _long_records(ids: list[str]) -> dict[str, Any]:
    """Records whose reg is long enough to be cut (5,002 characters as JSON text), told apart by their first letter."""
    seed = json.loads(SEED)
    return {"records": [{"value": seed | {"id": i, "data": seed["data"] | {"reg": i + "-" + "r" * 5_000}}} for i in ids]}


def test_a_value_asked_for_whole_of_a_row_no_longer_at_its_place_is_not_another_rows(browser: Any) -> None:  # noqa: F811
    # "Show whole value" asked for the row at its offset: a row removed since the page was
    # drawn (another program writing the database; the source created again) put the next row
    # there, and the page showed that row's value in the cell of the row it showed
    driver = browser
    with browser_server(refresh=0.2) as server:
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200
        assert api(server, "POST", f"/v2/sinks/{SID}", _long_records(["a", "b", "c"]))[0] == 200
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 3 of 3.", "the rows")
        store = server.app.store
        with store.lock:  # (the counts stay: the page is not drawn again)
            assert store.db.execute(f'DELETE FROM "{SID}" WHERE _id = ?', ("a",)).rowcount == 1
        driver.execute_script(WHOLE_CELL + " cell.querySelector('button.whole').click();", 1)  # row 2, "b"
        # (then "3 records stored: ..." follows: the counts of records sent stay as they were)
        wait(driver, lambda d: rows_shown(d)[0].startswith("Rows 1 to 2 of 2. "), "the rows drawn again")
        assert text_of(driver, "rows-note") == (
            "Row 2 changed since the rows were drawn (rows removed, or the source created again): its value was not shown, and the rows were refreshed."
        )
        assert not css(driver, "#rows .whole-value"), "another row's value shown whole"
        # asked again, of the row where it is now: its own value, and the note goes
        driver.execute_script(WHOLE_CELL + " cell.querySelector('button.whole').click();", 0)
        wait(driver, lambda d: css(d, "#rows .whole-value"), "the value whole")
        assert driver.execute_script(WHOLE_CELL + " return cell.innerText;", 0) == '"b-' + "r" * 5_000 + '"'
        assert text_of(driver, "rows-note") == ""


def _count_requests(driver: Any, pattern: str) -> Any:
    """Count, from the next page on, the page's requests whose path matches ``pattern`` (window.asked)."""
    return driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": "window.asked = 0; var real = window.fetch; window.fetch = function (path, init) {"
            f" if (new RegExp({json.dumps(pattern)}).test(String(path))) window.asked++; return real(path, init); }};"
        },
    )


def test_a_page_refused_for_its_token_stops_asking_until_one_is_given(browser: Any) -> None:  # noqa: F811
    # every refresh asked again, each answered 401 and the token box shown again, for as long
    # as the tab was open: the page asks again once a token is given, without a reload
    driver = browser
    with browser_server(token="s3cret-token", refresh=0.1) as server:
        store = server.app.store
        store.create_sink(SINK)
        added = [
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "sessionStorage.setItem('mapper-serve-token', 'wrong')"}),
            _count_requests(driver, f"/ui/api/sinks/{SID}$"),
        ]
        try:
            driver.get(server.url + f"/ui/sources/{SID}")
            wait(driver, lambda d: text_of(d, "load-error") == "The service answered 401 Unauthorized: the token is not valid", "the wrong token said")
            assert by_id(driver, "token-box").is_displayed()
            asked = driver.execute_script("return window.asked")
            time.sleep(1.0)  # ten refreshes: none asks
            assert driver.execute_script("return window.asked") == asked == 1
            driver.execute_script("window.kept = true")  # (gone if the page reloaded)
            by_id(driver, "token").send_keys("s3cret-token\n")
            wait(driver, lambda d: "0 stored, 0 refused, in 0 requests" in text_of(d, "config"), "the details, with the token")
            assert text_of(driver, "load-error") == "" and not by_id(driver, "token-box").is_displayed()
            assert driver.execute_script("return window.kept") is True
            # and the refreshes go on
            assert store.ingest(SID, json.dumps(_long_records(["a"])).encode()).answer["success_count"] == 1
            wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 1 of 1.", "the rows sent since")
        finally:
            for script in added:
                driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})
            driver.execute_script("sessionStorage.clear()")


#: Counts every number formatter the page makes (Intl.NumberFormat, or Number's toLocaleString, which makes one a call).
COUNT_FORMATTERS = """
    window.formatters = 0;
    var toLocale = Number.prototype.toLocaleString;
    Number.prototype.toLocaleString = function () { window.formatters++; return toLocale.apply(this, arguments); };
    Intl.NumberFormat = new Proxy(Intl.NumberFormat, {
      construct: function (target, args) { window.formatters++; return Reflect.construct(target, args); },
      apply: function (target, that, args) { window.formatters++; return Reflect.apply(target, that, args); }
    });
"""


def test_the_labels_of_values_cut_are_written_without_a_formatter_each(browser: Any) -> None:  # noqa: F811
    # each cut value's "Show whole value" label says its length ("(1,104 characters)") with
    # toLocaleString("en"), which makes a number formatter a call: of a page of 25 rows of 1,100
    # columns (27,500 values cut) ~0.35 s of its ~1 s of drawing (measured by hand; no test times it)
    driver = browser
    columns = 40
    wide = {
        "name": "wide",
        "sink_details": {"database_id": "db", "table": "wide"},
        "schema": {
            "primary_key_fields": ["id"],
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "string"}]
            + [{"name": f"c{i}", "path": [f"c{i}"], "type": "string", "config": {"Mutex": True}} for i in range(columns)],
        },
    }
    with browser_server() as server:
        store = server.app.store
        store.create_sink(wide)
        records = [{"value": {"id": f"r{r}", **{f"c{c}": "v" * 1_100 for c in range(columns)}}} for r in range(5)]
        assert store.ingest("wide", json.dumps({"records": records}).encode()).answer["success_count"] == 5
        added = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COUNT_FORMATTERS})
        try:
            driver.get(server.url + "/ui/sources/wide")
            wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 5 of 5.", "the rows")
            labels = driver.execute_script("return Array.from(document.querySelectorAll('#rows button.whole')).map(b => b.getAttribute('aria-label'))")
            assert len(labels) == 5 * columns and labels[0] == "Show the whole value of c0, row 1 (1,102 characters)", labels[:1]
            assert driver.execute_script("return window.formatters") <= 1  # (one for the page: 200 before, one a value)
        finally:
            driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})


def test_the_sample_too_big_to_preview_is_said_with_the_pages_one_formatter(browser: Any) -> None:  # noqa: F811
    # its three sizes were written with toLocaleString("en-US"), a formatter each, a draft at a time,
    # beside the page's COUNT: every count of the page is written by that one
    driver = browser
    added = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COUNT_FORMATTERS})
    try:
        with browser_server(max_body_bytes=2000) as server:  # (UI requests up to 8,000 bytes)
            new_source(driver, server, "flights", "big_sample", "aircraft", {"_id": "id"}, "continue", SEED)
            wait(driver, lambda d: 'with _id "PD2tRswoE3:0:0"' in text_of(d, "preview-summary"), "the seed's preview")
            paste(driver, "sample", json.dumps({"id": "x" * 9000}))
            wait(driver, lambda d: "too big to preview" in text_of(d, "preview-summary"), "the sample said too big")
            summary = text_of(driver, "preview-summary")
            assert "more than the 8,000 bytes this page takes (4 times the endpoint's body limit of 2,000 bytes)" in summary, summary
            assert driver.execute_script("return window.formatters") <= 1  # (the page's COUNT alone)
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})


def test_the_page_makes_one_number_formatter() -> None:
    """The page's script (no browser needed): every count written by ``COUNT``, no ``toLocaleString`` beside it."""
    script = (ROOT / "mapper" / "web" / "static" / "app.js").read_text()
    assert ".toLocaleString(" not in script  # (a formatter a call; its comment names it, unsaid with a dot)
    assert script.count("Intl.NumberFormat(") == 1
