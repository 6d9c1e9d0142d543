"""The New Source form's columns in a phone's window (360 px), in a real browser: the table fits the
window as a path is typed, never scrolling sideways (it was 548 px wide in a box of 267, and the box
scrolled after the caret as a path was typed, the column's name and type out of sight).

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is
bounded; the layout is read in one script.
"""

from __future__ import annotations

from typing import Any

from tests.test_web_browser import SEED, by_id, new_source, path_input, read_when
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

# The page's and the columns table's widths (scrolled and shown), how far its box is scrolled
# sideways, and the cells of the typed column's row that are not wholly inside the window.
_FIT = """
var t = document.getElementById('columns'), box = t.parentNode, d = document.documentElement;
var row = t.querySelector('tr[data-column="' + arguments[0] + '"]');
var out = Array.from(row.querySelectorAll('th, td, input, select')).filter(function (e) {
  var r = e.getBoundingClientRect(); return r.width > 0 && (r.left < -1 || r.right > d.clientWidth + 1);
}).map(function (e) { return e.tagName + ' ' + (e.className || e.textContent.slice(0, 20)); });
return {page: [d.scrollWidth, d.clientWidth], table: [t.scrollWidth, t.clientWidth], box: [box.scrollWidth, box.clientWidth, box.scrollLeft], out: out};
"""

LONG_PATH = "data.positions.current.latitude_in_decimal_degrees_without_any_break_in_it_at_all"


def _fits(shown: dict[str, Any]) -> bool:
    page, table, box = shown["page"], shown["table"], shown["box"]
    return bool(page[0] <= page[1] and table[0] <= table[1] and table[1] <= box[1] and box[0] <= box[1] and box[2] == 0 and shown["out"] == [])


def test_the_columns_fit_a_phones_window_as_a_long_path_is_typed(browser: Any) -> None:  # noqa: F811
    driver = browser
    with browser_server() as server:
        try:
            driver.set_window_size(360, 900)
            new_source(driver, server, "flights", "phone_paths", "aircraft", {"_id": "id"}, "continue", SEED)
            shown = driver.execute_script(_FIT, "lat")
            assert _fits(shown), shown
            field = path_input(driver, "lat")
            for start in range(0, len(LONG_PATH), 12):  # typed, a key at a time, a piece between reads
                field.send_keys(LONG_PATH[start : start + 12])
                shown = driver.execute_script(_FIT, "lat")
                assert _fits(shown), (LONG_PATH[: start + 12], shown)
            assert field.get_attribute("value") == LONG_PATH
            # a timestamp column's "Sent as" and a path refused with a caret under its place fit too
            path_input(driver, "ts").send_keys("timestamp..ms_since_the_epoch_of_the_aircraft_position")
            by_id(driver, "create").click()  # (every problem shown)
            read_when(driver, lambda d: d.execute_script("return document.querySelector('#columns tr[data-column=ts] .caret') !== null"), bool, "the caret")
            for column in ("ts", "lat", "_id"):
                shown = driver.execute_script(_FIT, column)
                assert _fits(shown), (column, shown)
        finally:
            driver.set_window_size(1280, 1000)
        # a wide window keeps the table: one row a column, its four cells side by side
        driver.refresh()
        tops = read_when(
            driver,
            lambda d: d.execute_script(
                "var r = document.querySelector('#columns tr[data-column=ts]');"
                " return r ? [getComputedStyle(document.getElementById('columns')).display,"
                " Array.from(r.children).map(function (c) { return Math.round(c.getBoundingClientRect().top); })] : null"
            ),
            lambda r: r is not None,
            "the columns again",
        )
        assert tops[0] == "table" and len(set(tops[1])) == 1, tops
