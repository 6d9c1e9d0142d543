"""Stop 62's leftovers of the web UI: a wide source's pagers reached from the keyboard before its
values' "Show whole value" buttons, its column window kept in the address as its page is, and what
using the pages as a newcomer found (empty tables and disabled pagers standing for nothing).

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mapper.serve import Server
from tests.test_web_browser import AIRCRAFT_PATHS, ROOT, SEED, api, by_id, css, new_source, paste, rows_shown, text_of, wait
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

#: The wide source's columns besides the id (more than the 100 a page shows at once), and its rows (two pages).
COLUMNS, ROWS = 150, 30


@contextmanager
def wide_source() -> Iterator[Server]:
    """A service holding source ``wide``: 150 string columns, 30 rows whose values are each cut on a page
    (300 characters, over a value's share of 200,000 characters among 25 rows of 101 cells)."""
    definition = [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"c{i}", "path": [f"c{i}"], "type": "string"} for i in range(COLUMNS)]
    wide = {
        "name": "wide",
        "sink_details": {"database_id": "db", "table": "wide"},
        "schema": {"id_field": "id", "allow_missing_fields": True, "definition": definition},
    }
    with browser_server() as server:
        server.app.store.create_sink(wide)
        body = {"records": [{"value": {"id": i} | {f"c{k}": f"r{i}c{k} " + "x" * 300 for k in range(COLUMNS)}} for i in range(ROWS)]}
        assert server.app.store.ingest("wide", json.dumps(body).encode()).answer["success_count"] == ROWS
        yield server


def test_the_pagers_are_reached_from_the_keyboard_before_the_values_buttons(browser: Any) -> None:  # noqa: F811
    # the row pager stood below the table: a keyboard user tabbed through every "Show whole value"
    # button of the page (2,500 of 25 rows of 100 cut values) to reach "Next page"
    from selenium.webdriver.common.keys import Keys

    driver = browser
    with wide_source() as server:
        driver.get(server.url + "/ui/sources/wide")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 25 of 30.", "the rows")
        assert len(css(driver, "#rows tbody button")) == 25 * 100  # (every value cut: a button each)
        driver.execute_script("document.getElementById('send').focus()")  # (the last control before the rows)
        reached = []
        for _ in range(3):
            driver.switch_to.active_element.send_keys(Keys.TAB)
            active = driver.switch_to.active_element
            reached.append(active.get_attribute("id") or active.text)
        assert reached == ["rows-next", "columns-next", "Show whole value"], reached  # (the Previous buttons disabled: skipped)
        driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
        driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
        driver.switch_to.active_element.send_keys(Keys.ENTER)  # (Next page, from the keyboard)
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 26 to 30 of 30.", "the next page")
        # read in order, the rows' count, their pagers, then the table
        order = driver.execute_script(
            "return Array.from(document.querySelectorAll('#rows-section > *')).map(function (e) { return e.id; }).filter(function (id) { return id; })"
        )
        assert order == ["rows-title", "rows-summary", "rows-note", "rows-pager", "columns-pager", "rows-box"], order
        driver.get("about:blank")


def _address(driver: Any) -> str:
    return str(driver.execute_script("return location.pathname + location.search"))


def test_the_columns_shown_and_the_page_are_kept_in_the_address(browser: Any) -> None:  # noqa: F811
    # columns 101-150 and page 2 were not in the address: a reload went back to the first columns
    # (and Back left the page, as the columns were never pushed on the tab's history)
    driver = browser
    with wide_source() as server:
        driver.get(server.url + "/ui/sources/wide")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 25 of 30.", "the rows")
        by_id(driver, "columns-next").click()
        wait(driver, lambda d: text_of(d, "columns-summary").startswith("Columns 101 to 150 of 150"), "the next columns")
        assert _address(driver) == "/ui/sources/wide?columns=101"
        by_id(driver, "rows-next").click()
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 26 to 30 of 30.", "the next page")
        assert _address(driver) == "/ui/sources/wide?page=2&columns=101"

        def shown(d: Any) -> tuple[str, str, str]:
            summary, head, _rows = rows_shown(d)
            return summary, text_of(d, "columns-summary").split(" (")[0], head[1] if len(head) > 1 else ""

        driver.refresh()
        wait(driver, lambda d: shown(d) == ("Rows 26 to 30 of 30.", "Columns 101 to 150 of 150", "c100"), "the page and columns kept by a reload")
        driver.back()
        wait(driver, lambda d: shown(d) == ("Rows 1 to 25 of 30.", "Columns 101 to 150 of 150", "c100"), "back: page 1, the same columns")
        driver.back()
        wait(driver, lambda d: shown(d) == ("Rows 1 to 25 of 30.", "Columns 1 to 100 of 150", "c0"), "back: the first columns")
        assert _address(driver) == "/ui/sources/wide"
        driver.forward()
        wait(driver, lambda d: shown(d)[1:] == ("Columns 101 to 150 of 150", "c100"), "forward: the columns again")

        # columns that are none: said, and the first (or the last) shown, the page kept
        driver.get(server.url + "/ui/sources/wide?page=2&columns=two")
        wait(driver, lambda d: shown(d) == ("Rows 26 to 30 of 30.", "Columns 1 to 100 of 150", "c0"), "the first columns")
        assert text_of(driver, "rows-note") == "columns=two in the address is not a column number (1, 101, ...): the first columns are shown."
        assert _address(driver) == "/ui/sources/wide?page=2"
        driver.get(server.url + "/ui/sources/wide?columns=1000")
        wait(driver, lambda d: shown(d) == ("Rows 1 to 25 of 30.", "Columns 101 to 150 of 150", "c100"), "the last columns")
        assert text_of(driver, "rows-note") == "There is no column 1,000: the source has 150 columns; the last are shown."
        assert _address(driver) == "/ui/sources/wide?columns=101"
        driver.get("about:blank")


def test_rows_that_fill_one_page_show_no_pager(browser: Any) -> None:  # noqa: F811
    # "Rows 1 to 1 of 1." stood over two disabled buttons, Previous page and Next page (now above
    # the table, the first thing under the count), with nothing to page through
    driver = browser
    sink = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
    sid = sink["name"]
    with browser_server(refresh=0.2) as server:
        assert api(server, "POST", "/v1/sinks", sink)[0] == 200
        assert api(server, "POST", f"/v2/sinks/{sid}", {"records": [{"value": json.loads(SEED)}]})[0] == 200
        driver.get(server.url + f"/ui/sources/{sid}")
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 1 of 1.", "the row")
        assert by_id(driver, "rows").is_displayed() and not by_id(driver, "rows-pager").is_displayed()
        records = [{"value": json.loads(SEED) | {"id": f"r{i}"}} for i in range(30)]
        assert api(server, "POST", f"/v2/sinks/{sid}", {"records": records})[0] == 200
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 25 of 31.", "the rows that came")
        assert by_id(driver, "rows-pager").is_displayed() and by_id(driver, "rows-next").is_enabled()
        driver.get("about:blank")


def test_a_sample_that_is_no_record_shows_no_empty_preview_table(browser: Any) -> None:  # noqa: F811
    # "the sample record: Invalid JSON: unexpected end of the record (truncated)" stood over the
    # preview's column names (Column, Path, Value found, Stored, Notes) and no row under them
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "flights", "preview", "aircraft", AIRCRAFT_PATHS, "continue", '{"id": "x", "data": {')
        wait(driver, lambda d: "Invalid JSON" in text_of(d, "preview-summary"), "the sample refused")
        assert not by_id(driver, "preview-table").is_displayed()
        paste(driver, "sample", SEED)
        wait(driver, lambda d: text_of(d, "preview-summary").startswith("The endpoint would"), "the sample previewed")
        assert by_id(driver, "preview-table").is_displayed() and len(css(driver, "#preview-table tbody tr")) > 1
        driver.get("about:blank")
