"""The Data Sources list in a real browser: why records were refused (the details page's "Last
records refused", which the list only counted), and the list with 0, 1 and 200 sources and a
source name holding markup.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import time
from typing import Any

from tests.test_web_browser import api, assert_no_alert, by_id, read_when, text_of, ui_server, wait
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)

HOSTILE_IMG = "<img src=x onerror=alert(1)>"


def sink_body(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "sink_details": {"database_id": "d", "table": "t"},
        "schema": {
            "id_field": "_id",
            "allow_missing_fields": True,
            "definition": [{"name": "_id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int", "config": {"min": 0, "max": 9}}],
        },
    }


def list_shown(driver: Any) -> list[dict[str, Any]]:
    """Each row of the list: its name, refused cell's text, and the refused cell's link (href, title) if any, in one script call."""
    return list(
        driver.execute_script(
            "return Array.from(document.querySelectorAll('#sources tbody tr')).map(function (r) {"
            " var a = r.querySelector('td.refused a');"
            " return {name: r.querySelector('th').innerText.trim(), refused: r.querySelector('td.refused').innerText.trim(),"
            "  href: a && a.getAttribute('href'), title: a && a.title}; })"
        )
    )


def test_the_list_says_why_records_were_refused(browser: Any) -> None:  # noqa: F811
    # The details page said why records were refused ("Last records refused"); the list only
    # counted them: "1" refused, no reason, no way to it but opening every source
    driver = browser
    with ui_server() as server:
        for name in ("calm", "noisy"):
            assert api(server, "POST", "/v1/sinks", sink_body(name))[0] == 200
        body = {"records": [{"value": {"id": 1, "n": 2}}, {"value": {"id": 2, "n": HOSTILE_IMG}}]}
        status, answer = api(server, "POST", "/v2/sinks/noisy", body)
        assert status == 200 and answer["error_count"] == 1
        listed = {s["name"]: s for s in api(server, "GET", "/v2/sinks")[1]["sinks"]}
        why = listed["noisy"]["last_refused"]
        assert why.startswith("1 of 2 records refused; the first: InvalidBody: ") and HOSTILE_IMG in why, why
        assert listed["calm"]["last_refused"] is None
        driver.get(server.url + "/ui/")
        rows = read_when(driver, list_shown, lambda r: len(r) == 2 and r[1]["href"], "the list with its refused count linked")
        assert rows[0] == {"name": "calm", "refused": "0", "href": None, "title": None}
        assert rows[1] == {
            "name": "noisy",
            "refused": "1",
            "href": "/ui/sources/noisy#last-refused",
            "title": f"Last records refused ({listed['noisy']['last_refused_at']}): {why}",
        }
        # the markup the refused value held is the title's text: no <img>, nothing ran
        assert driver.execute_script("return document.querySelectorAll('img').length") == 0
        assert_no_alert(driver)
        # the link leads to the reason on the details page, scrolled to (a window too low to show it unscrolled)
        driver.set_window_size(1280, 360)
        try:
            driver.execute_script("document.querySelector('#sources td.refused a').click()")
            wait(driver, lambda d: d.current_url.endswith("/ui/sources/noisy#last-refused"), "the details page")
            shown = read_when(driver, lambda d: text_of(d, "last-refused"), lambda t: t != "", "the last records refused")
            assert shown == f"{listed['noisy']['last_refused_at']}: {why}"  # (when it came, as the title says it)
            in_view = "var r = document.getElementById('last-refused').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight"
            wait(driver, lambda d: d.execute_script(in_view), "the last records refused scrolled into view", timeout=3)
        finally:
            driver.set_window_size(1280, 1000)
        assert driver.execute_script("return document.querySelectorAll('img').length") == 0
        assert_no_alert(driver)
        # the count updates in place: a second refusal gives a new title on the same link
        body2 = {"records": [{"value": {"id": 3, "n": 99}}]}
        assert api(server, "POST", "/v2/sinks/noisy", body2)[0] == 200
        driver.get(server.url + "/ui/")
        rows = read_when(driver, list_shown, lambda r: len(r) == 2 and r[1]["refused"] == "2", "the count after a second refusal")
        again = next(s for s in api(server, "GET", "/v2/sinks")[1]["sinks"] if s["name"] == "noisy")
        assert again["last_refused"].startswith("1 of 1 record refused; the first: InvalidBody: ") and "99" in again["last_refused"]
        assert rows[1]["title"] == f"Last records refused ({again['last_refused_at']}): {again['last_refused']}"


def test_the_list_with_no_one_and_two_hundred_sources_and_a_name_holding_markup(browser: Any) -> None:  # noqa: F811
    driver = browser
    with ui_server() as server:
        driver.get(server.url + "/ui/")
        wait(driver, lambda d: by_id(d, "empty").is_displayed(), "the empty list")
        assert not by_id(driver, "sources").is_displayed()
        assert api(server, "POST", "/v1/sinks", sink_body("s000"))[0] == 200
        driver.get(server.url + "/ui/")
        assert read_when(driver, list_shown, lambda r: len(r) == 1, "one source")[0]["name"] == "s000"
        assert not by_id(driver, "empty").is_displayed()
        for i in range(1, 200):
            server.app.store.create_sink(sink_body(f"s{i:03d}"))
        # a name no service would take (a database edited by hand, or another program's): shown as text
        with server.app.store.lock:
            server.app.store.db.execute("UPDATE _mapper_sinks SET name = ? WHERE id = 's007'", (HOSTILE_IMG,))
        started = time.monotonic()
        driver.get(server.url + "/ui/")
        rows = read_when(driver, list_shown, lambda r: len(r) == 200, "200 sources", timeout=10)
        drawn = time.monotonic() - started
        assert drawn < 5, f"the list of 200 sources took {drawn:.1f} s"  # (all on one page: docs/send-serve.md)
        assert [r["name"] for r in rows] == [HOSTILE_IMG if i == 7 else f"s{i:03d}" for i in range(200)]
        assert driver.execute_script("return document.querySelectorAll('img').length") == 0
        assert driver.execute_script("return document.scripts.length") == 1
        assert_no_alert(driver)
        # its link is still the source's, by its id
        href = driver.execute_script("return document.querySelectorAll('#sources tbody tr')[7].querySelector('th a').getAttribute('href')")
        assert href == "/ui/sources/s007"
        assert api(server, "GET", "/v2/sinks/s007")[1]["name"] == HOSTILE_IMG
