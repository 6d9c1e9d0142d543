"""A service out of reach said as a user reads it, and why a source holds fewer rows than the
records it stored (upserts), where the two numbers meet.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests.test_web_browser import ROOT, api, cannot_reach, rows_shown, wait, wait_shown, watch_text
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

SINK = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
SID = SINK["name"]


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
