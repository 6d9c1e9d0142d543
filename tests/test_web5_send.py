"""Send records and Create source as a user pasting real data meets them, in a real browser: a pasted
snapshot told where its records are, the records stored changed counted, a paste refused for a line
selecting that line, the refused records linked, a name taken meanwhile said by the name.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it); tests using
``../shared/data`` skip when it is absent. Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.test_web5 import SNAPSHOT
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import by_id, new_source, paste, read_when, text_of, wait
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

# ---------------------------------------------------------------------------------------
# A snapshot of dump1090 pasted whole


@pytest.mark.skipif(not SNAPSHOT.is_file(), reason=f"{SNAPSHOT} is absent (../shared/data)")
def test_the_page_says_where_a_pasted_snapshots_records_are(browser: Any) -> None:  # noqa: F811
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "flights", "snapshot", "aircraft", {"_id": "hex", "reg": "flight"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/snapshot")
        wait(driver, lambda d: text_of(d, "source-name") == "snapshot", "the source page")
        paste(driver, "records", SNAPSHOT.read_text(encoding="utf-8"))
        by_id(driver, "send").click()
        note = read_when(driver, lambda d: text_of(d, "send-note"), lambda t: "aircraft" in t, "the note")
        assert "arrays of objects are at `aircraft` (118 objects)" in note and "jq -c '.aircraft[]' FILE" in note, note
        assert text_of(driver, "send-summary") == "0 of 1 record stored, 1 refused."
        # the records themselves: the note goes
        records = json.loads(SNAPSHOT.read_text(encoding="utf-8"))["aircraft"]
        paste(driver, "records", "\n".join(json.dumps(r) for r in records))
        by_id(driver, "send").click()
        read_when(
            driver, lambda d: (text_of(d, "send-summary"), text_of(d, "send-note")), lambda t: t[0].startswith("118 of 118") and t[1] == "", "the records sent"
        )


# ---------------------------------------------------------------------------------------
# Records stored changed are counted in the summary


def test_the_summary_counts_the_records_stored_with_warnings(browser: Any) -> None:  # noqa: F811
    # twitter's ids beyond 2^53 are stored changed (float64), each said beside its record far
    # down a list of 100; the summary said "100 of 100 records stored, 0 refused." and no more
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "web", "warned", "t", {"_id": "id", "n": "n"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/warned")
        wait(driver, lambda d: text_of(d, "source-name") == "warned", "the source page")
        big = 2**53 + 1
        paste(driver, "records", "\n".join([f'{{"id": {big}}}', '{"id": 2}', f'{{"id": {big + 2}, "n": 1}}', '{"id": "x", "n": 1.5e300}']))
        by_id(driver, "send").click()
        summary = read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: t.startswith("3 of 4"), "the answer")
        assert summary == "3 of 4 records stored, 1 refused, 2 stored with warnings (a value stored changed).", summary
        # none changed: the summary as it was
        paste(driver, "records", '{"id": 5}')
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: t == "1 of 1 record stored, 0 refused.", "the second answer")


# ---------------------------------------------------------------------------------------
# A paste refused for a line: that line, in the box


def test_a_paste_refused_for_a_line_selects_that_line_in_the_box(browser: Any) -> None:  # noqa: F811
    # "line 25: Invalid JSON ..." was said above the list, and the box (no line numbers) left as it was
    driver = browser
    lines = [json.dumps({"id": f"r{i}", "alt": i}) for i in range(40)]
    lines[24] = '{"id": "r24", "alt": }'
    with browser_server() as server:
        new_source(driver, server, "flights", "lines", "aircraft", {"_id": "id", "altitude": "alt"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/lines")
        wait(driver, lambda d: text_of(d, "source-name") == "lines", "the source page")
        paste(driver, "records", "\n".join(lines))
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: "line 25" in t and "nothing was sent" in t, "the refusal")
        state = driver.execute_script(
            "var b = document.getElementById('records');"
            "return [document.activeElement === b, b.getAttribute('aria-invalid'), b.value.slice(b.selectionStart, b.selectionEnd), b.scrollTop > 0];"
        )
        assert state == [True, "true", lines[24], True], state
        # mended: no longer marked
        by_id(driver, "records").send_keys("x")
        assert by_id(driver, "records").get_attribute("aria-invalid") is None


# ---------------------------------------------------------------------------------------
# The refused records, linked from above the list


def test_the_refused_records_are_linked_from_above_the_list(browser: Any) -> None:  # noqa: F811
    # 10 of dump1090's 118 aircraft are refused ("alt_baro": "ground"): found only by scrolling through all 118
    driver = browser
    lines = [json.dumps({"id": f"r{i}", "alt": "ground" if i in (4, 9, 46) else i}) for i in range(60)]
    links = "return Array.from(document.querySelectorAll('#send-jump a')).map(function (a) { return [a.textContent, a.getAttribute('href')]; })"
    with browser_server() as server:
        new_source(driver, server, "flights", "jumps", "aircraft", {"_id": "id", "altitude": "alt"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/jumps")
        wait(driver, lambda d: text_of(d, "source-name") == "jumps", "the source page")
        paste(driver, "records", "\n".join(lines))
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: t.startswith("57 of 60"), "the answer")
        assert driver.execute_script(links) == [
            ["Record 5 (line 5)", "#record-4"],
            ["Record 10 (line 10)", "#record-9"],
            ["Record 47 (line 47)", "#record-46"],
        ]
        assert text_of(driver, "send-jump").startswith("Refused or not sent: Record 5 (line 5), ")
        driver.execute_script("document.querySelectorAll('#send-jump a')[2].click()")
        top = driver.execute_script("return document.getElementById('record-46').getBoundingClientRect().top")
        assert -2 <= top < 100, top  # (scrolled to it: at the top of the window, to a fraction of a pixel)
        # every record stored: no links
        paste(driver, "records", "\n".join(json.dumps({"id": f"s{i}", "alt": i}) for i in range(3)))
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: t.startswith("3 of 3"), "the second answer")
        assert driver.execute_script(links) == []


# ---------------------------------------------------------------------------------------
# A name taken between the form's last check and Create


def test_a_name_taken_meanwhile_is_said_by_the_name(browser: Any) -> None:  # noqa: F811
    # another tab (or the API) took the name after the form's last draft: the 409 was said at the
    # foot of the form, the name's own check still saying it was a valid name, the focus on Create
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "web", "taken_later", "clicks", {"_id": "id"}, "continue")
        read_when(driver, lambda d: text_of(d, "name-check"), lambda t: t == "taken_later is a valid source name", "the name checked")
        # the page's own POST /v1/sinks is preceded by another, of the same body (the other tab)
        driver.execute_script(
            """
            var real = window.fetch;
            window.fetch = function (path, init) {
              if (String(path) !== "/v1/sinks") return real(path, init);
              return real(path, init).then(function () { return real(path, init); });
            };
            """
        )
        by_id(driver, "create").click()
        result = read_when(driver, lambda d: text_of(d, "create-result"), lambda t: "409" in t, "the refusal")
        assert "taken_later" in result, result
        state = driver.execute_script(
            "var n = document.getElementById('name'), c = document.getElementById('name-check');"
            "return [document.activeElement === n, n.getAttribute('aria-invalid'), c.className, c.textContent];"
        )
        assert state[:3] == [True, "true", "check bad"] and "taken_later" in state[3] and "valid source name" not in state[3], state
