"""Two small problems of ``mapper serve`` and its web UI: a name too long for the live check's URL
(a 414, not the name rule's message), and the request log's Latin-1 form of a UTF-8 target.

Route and log tests run without a browser; the page test uses ``tests/test_web_browser.py``'s
fixtures (Debian's chromium, skipped without it). Every server binds 127.0.0.1 and every wait is bounded.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mapper.web import check_name
from tests.test_serve_http import raw, serving, status_of
from tests.test_web import request, ui_server
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import by_id, css, paste, text_of, wait
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

# ---------------------------------------------------------------------------------------
# 0. How often the pages refresh: the service says it (install's refresh=, 3 s unless given)


def test_the_config_says_how_often_the_pages_refresh_and_install_refuses_an_interval_that_is_none() -> None:
    from email.message import Message

    from mapper.errors import OptionError
    from mapper.serve import App
    from mapper.store import Store
    from mapper.web import install, load_catalog

    def served(**kw: Any) -> Any:
        store = Store(":memory:")
        try:
            app = App(store)
            install(app, load_catalog([]), **kw)
            return orjson.loads(app.dispatch("GET", "/ui/api/config", Message(), lambda _n: b"").body)["refresh_seconds"]
        finally:
            store.close()

    assert served() == 3.0
    assert served(refresh=0.25) == 0.25
    for bad in (0, -1.0, float("inf"), float("nan"), True, "1"):
        with pytest.raises(OptionError, match=r"^the pages' refresh interval \(refresh=\) must be a finite number of seconds, above 0, not "):
            served(refresh=bad)


# ---------------------------------------------------------------------------------------
# 1. A name too long: the rule's message, said by the page in the service's words


def _filled(rule: dict[str, Any], length: int) -> str:
    """The config's message filled in as the page fills it."""
    return str(rule["too_long"]).replace("{length}", str(length)).replace("{max}", str(rule["max_length"]))


def test_the_config_gives_the_name_rules_maximum_and_its_message() -> None:
    with ui_server() as server:
        status, _h, body = request(server, "GET", "/ui/api/config")
        assert status == 200
        rule = orjson.loads(body)["name_rule"]
        assert rule["max_length"] == 230
        assert check_name("a" * 230) is None
        for name in ("a" * 231, "x" * 70_000, "a" + "\U0001f600" * 230):
            assert _filled(rule, len(name)) == check_name(name), name
        # the name route says the same for a name short enough to ask about
        status, _h, body = request(server, "GET", "/ui/api/name?name=" + "b" * 300)
        assert status == 200 and orjson.loads(body)["message"] == _filled(rule, 300)


def test_the_page_says_the_name_rules_message_for_a_name_too_long_for_a_url(browser: Any) -> None:  # noqa: F811
    driver = browser
    with browser_server() as server:
        driver.get(server.url + "/ui/new")
        wait(driver, lambda d: len(css(d, "#database option")) > 1, "the databases")
        by_id(driver, "name").send_keys("okname")
        wait(driver, lambda d: text_of(d, "name-check") == "okname is a valid source name", "the valid name")
        # 70,000 characters: asked about in the URL, the service refused the URL (414)
        long_name = "okname" + "x" * 70_000
        paste(driver, "name", long_name)
        expected = check_name(long_name)
        assert expected and "70006 characters long" in expected
        wait(driver, lambda d: text_of(d, "name-check") == expected, "the name rule's message")
        assert by_id(driver, "name").get_attribute("aria-invalid") == "true"
        # characters beyond the BMP count one each, as the service counts them (not UTF-16 units)
        for name in ("a" + "\U0001f600" * 230, "a" + "\U0001f600" * 229):
            paste(driver, "name", name)
            expected = check_name(name)
            assert expected
            wait(driver, lambda d, e=expected: text_of(d, "name-check") == e, f"the message for {len(name)} characters")


# ---------------------------------------------------------------------------------------
# 2. The request log: the target as routed, UTF-8


def test_the_log_shows_a_utf8_target_as_utf8() -> None:
    logged: list[str] = []
    with serving(log=logged) as server:
        reply = raw(server, "GET /v2/sinks/\u00e9t\u00e9 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        assert status_of(reply) == 404
        assert orjson.loads(reply.split(b"\r\n\r\n", 1)[1])["message"] == "no sink '\u00e9t\u00e9'"  # routed as UTF-8
        # a byte that is not UTF-8 is shown as its escape; a control character as UTF-8 is escaped too
        reply = raw(server, b"GET /v2/sinks/a\xffb\xc2\x9b HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert status_of(reply) == 404
    lines = [line for line in logged if line.startswith("GET /v2/sinks/")]
    assert len(lines) == 2, logged
    assert lines[0].startswith("GET /v2/sinks/\u00e9t\u00e9 404 "), lines[0]  # (was "Ã©tÃ©")
    assert lines[1].startswith("GET /v2/sinks/a\\xffb\\x9b 404 "), lines[1]
    assert all(line.isprintable() for line in logged)


def test_a_name_holding_half_a_surrogate_pair_gets_a_verdict(browser: Any) -> None:  # noqa: F811
    # encodeURIComponent threw on it, and the verdict on the name before stayed on show
    driver = browser
    with browser_server() as server:
        driver.get(server.url + "/ui/new")
        wait(driver, lambda d: len(css(d, "#database option")) > 1, "the databases")
        by_id(driver, "name").send_keys("okname")
        wait(driver, lambda d: text_of(d, "name-check") == "okname is a valid source name", "the valid name")
        driver.execute_script(
            "var e = document.getElementById('name'); e.value = 'ok' + String.fromCharCode(0xD800); e.dispatchEvent(new Event('input', {bubbles: true}));"
        )
        expected = check_name("ok\ufffd")
        assert expected
        wait(
            driver,
            lambda d: (
                text_of(d, "name-check") in (expected, "The name cannot be checked: it holds half of a UTF-16 surrogate pair, which is no text: type it again")
            ),
            "a verdict on the new name",
        )
        assert "valid source name" not in text_of(driver, "name-check")
