"""Send records in a real browser: the note under the summary is announced too; a paste refused
for a line inside a record over several lines selects the line the error is on.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import by_id, new_source, paste, read_when, text_of, wait
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server


def _source_page(driver: Any, server: Any, name: str) -> None:
    new_source(driver, server, "flights", name, "aircraft", {"_id": "id", "altitude": "alt"}, "continue")
    by_id(driver, "create").click()
    wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
    driver.get(server.url + f"/ui/sources/{name}")
    wait(driver, lambda d: text_of(d, "source-name") == name, "the source page")


def test_the_send_note_is_announced_beside_the_summary(browser: Any) -> None:  # noqa: F811
    driver = browser
    with browser_server() as server:
        _source_page(driver, server, "nits")
        # a document of records pasted whole: the note says where they are; it was in no live
        # region, so a screen reader said only "0 of 1 record stored, 1 refused."
        paste(driver, "records", json.dumps({"now": 1, "aircraft": [{"id": "a", "alt": 1}, {"id": "b", "alt": 2}]}))
        by_id(driver, "send").click()
        note = read_when(driver, lambda d: text_of(d, "send-note"), lambda t: "aircraft" in t, "the note")
        assert "jq -c '.aircraft[]' FILE" in note, note
        live = driver.execute_script(
            "var n = document.getElementById('send-note');"
            "var live = n.closest('[aria-live]');"
            "return [live && live.getAttribute('aria-live'), live === document.getElementById('send-summary')];"
        )
        assert live == ["polite", False], live  # (its own region: the summary's text stays as it is read)


def test_a_paste_refused_inside_a_record_over_lines_selects_the_errors_line(browser: Any) -> None:  # noqa: F811
    driver = browser
    with browser_server() as server:
        _source_page(driver, server, "lines")
        # objects one after another, as jq prints them: "line 3: Invalid JSON: invalid character at
        # line 2 char 9 of the record": the error is on the paste's line 4 (the record's second),
        # which is selected, not line 3, where the record starts
        lines = ['{"id": "a",', ' "alt": 1}', '{"id": "b",', ' "alt": tru}', '{"id": "c", "alt": 3}']
        paste(driver, "records", "\n".join(lines))
        by_id(driver, "send").click()
        summary = read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: "nothing was sent" in t, "the refusal")
        assert "line 3: " in summary and "at line 2 char " in summary and "of the record" in summary, summary
        state = driver.execute_script(
            "var b = document.getElementById('records');"
            "return [document.activeElement === b, b.getAttribute('aria-invalid'), b.value.slice(b.selectionStart, b.selectionEnd)];"
        )
        assert state == [True, "true", lines[3]], state
