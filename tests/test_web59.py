"""A source's page in a real browser: a value shown whole is the value of the row the page shows.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests.test_web_browser import ROOT, SEED, api, css, rows_shown, text_of, wait
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
        wait(driver, lambda d: rows_shown(d)[0] == "Rows 1 to 2 of 2.", "the rows drawn again")
        assert text_of(driver, "rows-note") == (
            "Row 2 changed since the rows were drawn (rows removed, or the source created again): its value was not shown, and the rows were refreshed."
        )
        assert not css(driver, "#rows .whole-value"), "another row's value shown whole"
        # asked again, of the row where it is now: its own value, and the note goes
        driver.execute_script(WHOLE_CELL + " cell.querySelector('button.whole').click();", 0)
        wait(driver, lambda d: css(d, "#rows .whole-value"), "the value whole")
        assert driver.execute_script(WHOLE_CELL + " return cell.innerText;", 0) == '"b-' + "r" * 5_000 + '"'
        assert text_of(driver, "rows-note") == ""
