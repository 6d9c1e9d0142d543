"""What a user reviewing the pages with real data met (ADS-B, GitHub webhooks, big and hostile
values): the spaces of a value shown as sent.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests.test_web_browser import ROOT, SEED, api, new_source, preview_shown, rows_shown, wait
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
