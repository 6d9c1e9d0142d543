"""A hostile user's hunt of ``mapper serve``'s web UI: failures mid-action, the service gone
and back, pages that must not go stuck or say what is not so.

The browser tests use ``tests/test_web_browser.py``'s chromium fixture (they skip, saying
why, without chromium, chromedriver or selenium); every server binds 127.0.0.1 on an
ephemeral port and every wait is bounded.
"""

from __future__ import annotations

from typing import Any

from tests import test_web_browser as wb
from tests.test_web_browser import api, by_id, css, text_of, ui_server, wait, wait_shown, watch_text

browser = wb.browser  # (the fixtures: the test process's chromium, tests/conftest.py's, every test bounded in time)
bounded = wb.bounded
no_script_errors = wb.no_script_errors  # (no exception left uncaught in the page)

_CLICKS = {"_id": {"path": "id"}, "url": {"path": "u"}}


def clicks_source(server: Any, name: str = "c", rows: int = 0) -> None:
    """A source of the web database's clicks table ({"id", "u"} records), with ``rows`` rows stored."""
    from mapper.web import database_id

    status, out = api(
        server,
        "POST",
        "/ui/api/draft",
        {"name": name, "database_id": database_id("web"), "table": "clicks", "columns": _CLICKS, "allow_missing_fields": True, "sample": ""},
    )
    assert status == 200 and out["valid"], out
    assert api(server, "POST", "/v1/sinks", out["body_text"].encode())[0] == 200
    if rows:
        status, answer = api(server, "POST", f"/v2/sinks/{name}", {"records": [{"value": {"id": i, "u": f"u{i}"}} for i in range(rows)]})
        assert status == 200 and answer["success_count"] == rows, answer


#: Makes the page's next fetch of a path holding ``arguments[0]`` fail as a fetch fails when
#: the service is out of reach (stopped, restarting); the ones after it go through.
_FAIL_NEXT_FETCH = """
var real = window.fetch, part = arguments[0], failed = false;
window.fetch = function (path, init) {
  if (String(path).indexOf(part) < 0 || failed) return real(path, init);
  failed = true;
  return Promise.reject(new TypeError("Failed to fetch"));
};
"""


def test_a_page_of_rows_that_cannot_be_fetched_is_said_and_asked_again(browser: Any) -> None:
    # "Next page" while the service was out of reach: the address said page 2, the table
    # still showed rows 1 to 25 under "Rows 1 to 25 of 60.", nothing said the page failed
    # (an uncaught promise rejection), and the rows stayed so once the service was back
    driver = browser
    with ui_server() as server:
        clicks_source(server, rows=60)
        driver.get(server.url + "/ui/sources/c")
        wait(driver, lambda d: text_of(d, "rows-summary") == "Rows 1 to 25 of 60.", "the first page")
        watch_text(driver, "rows-summary")  # (said until the next poll, a fraction of a second in these tests)
        driver.execute_script(_FAIL_NEXT_FETCH, "/rows?")
        by_id(driver, "rows-next").click()
        assert driver.current_url.endswith("/ui/sources/c?page=2")
        wait_shown(driver, "rows-summary", lambda t: "Cannot reach the service" in t, "the failed page said")
        # the service back: the next poll shows the page the address names
        wait(driver, lambda d: text_of(d, "rows-summary") == "Rows 26 to 50 of 60.", "page 2", timeout=10)
        assert css(driver, "#rows tbody th")[0].text == "25"


def test_a_token_beyond_latin_1_is_sent_and_a_wrong_one_is_asked_for_again(browser: Any) -> None:
    # fetch() refuses a header holding a character beyond Latin-1: a token typed with one
    # ("€", a typo or the service's own UTF-8 token) made every request of every page throw,
    # "Cannot reach the service: TypeError: ... non ISO-8859-1 code point", with the token box
    # hidden and the token kept in the tab: no page of the tab worked again, reloads included
    driver = browser
    with ui_server(token="s€cret") as server:
        driver.get(server.url + "/ui/")
        wait(driver, lambda d: by_id(d, "token-box").is_displayed(), "the token box")
        by_id(driver, "token").send_keys("wr€ng\n")
        wait(driver, lambda d: "401" in text_of(d, "load-error"), "the wrong token refused by the service")
        assert text_of(driver, "load-error") == "The service answered 401 Unauthorized: the token is not valid"
        assert by_id(driver, "token-box").is_displayed()
        token = by_id(driver, "token")
        token.clear()
        token.send_keys("s€cret\n")
        wait(driver, lambda d: by_id(d, "empty").is_displayed(), "the list, with the service's token")
        assert text_of(driver, "load-error") == ""


def _raw_get(server: Any, target: bytes) -> dict[str, Any]:
    """A GET whose request target is sent as these bytes (curl sends what was typed, UTF-8 and all); the answer's JSON."""
    import socket

    import orjson

    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    answer: dict[str, Any] = orjson.loads(data.partition(b"\r\n\r\n")[2])
    return answer


def test_a_request_target_sent_as_utf_8_is_read_as_utf_8() -> None:
    # http.server decodes the request line as Latin-1: curl's /v2/sinks/é (UTF-8 as typed) was
    # answered "no sink 'Ã©'", and a name checked as é was said to start with 'Ã'
    with ui_server() as server:
        assert _raw_get(server, "/v2/sinks/é".encode())["message"] == "no sink 'é'"
        assert _raw_get(server, b"/v2/sinks/%C3%A9")["message"] == "no sink 'é'"  # (as a browser escapes it)
        assert _raw_get(server, "/ui/api/name?name=é".encode())["name"] == "é"
        assert _raw_get(server, "/ui/nö".encode())["message"] == "no such resource: /ui/nö"
        assert "'٣'" in _raw_get(server, "/ui/api/sinks/x/rows?offset=٣".encode())["message"]


def _draft(server: Any, form_text: str) -> tuple[int, dict[str, Any]]:
    """POST /ui/api/draft of this JSON text (as the page's JSON.stringify writes a lone surrogate: an escape)."""
    import orjson

    from tests.test_web import request

    status, _h, body = request(server, "POST", "/ui/api/draft", form_text.encode())
    answer: dict[str, Any] = orjson.loads(body)
    return status, answer


def test_half_a_surrogate_pair_in_the_sample_does_not_stop_the_source_being_created() -> None:
    # The sample is the preview's, not the source's: a sample copied with a character cut in
    # two got the whole form refused (400), so the preview and the form's problems went blank
    # and "Create source" said only the sample's problem, creating nothing
    import json

    from mapper.web import database_id

    form = {"name": "clicks", "database_id": database_id("web"), "table": "clicks", "columns": _CLICKS, "allow_missing_fields": True}
    with ui_server() as server:
        text = json.dumps(form | {"sample": '{"id": 1, "u": "a\ud83d"}'})  # (ensure_ascii: the escape \\ud83d)
        status, out = _draft(server, text)
        assert status == 200, out
        assert out["valid"] is True and out["body_text"]
        assert out["preview"]["error"].startswith("the sample record: line 1 char 18 holds U+D83D, half of a UTF-16 surrogate pair")
        assert api(server, "POST", "/v1/sinks", out["body_text"].encode())[0] == 200
        # in a path it is the form's own: refused, naming the field, as before
        broken_path = _CLICKS | {"url": {"path": "u\ud83d"}}
        status, out = _draft(server, json.dumps(form | {"name": "other", "columns": broken_path, "sample": '{"id": 1, "u": "a\ud83d"}'}))
        assert status == 400 and out["message"].startswith("the form's columns.url.path: line 1 char 2 holds U+D83D"), out


def test_create_with_problems_focuses_the_first_on_the_page(browser: Any) -> None:
    # The service lists a form's problems in its own order (the missing-values choice before
    # the columns, the table before the name): the focus went to the first listed, the
    # missing-values choice at the foot of the form, past the column above it that was wrong
    from tests.test_web_browser import new_source, path_input

    driver = browser
    with ui_server() as server:
        new_source(driver, server, "flights", "web_clicks", "aircraft", {"lat": "a..b"}, "continue")
        driver.execute_script("document.getElementById('missing-continue').checked = false")  # (no choice made)
        by_id(driver, "create").click()
        wait(driver, lambda d: "cannot be created yet" in text_of(d, "create-result"), "the problems")
        assert driver.switch_to.active_element.get_attribute("id") == path_input(driver, "lat").get_attribute("id")
        # and the list of problems reads as the form does, top to bottom (read in one script call:
        # a late check of the form may redraw the list between reads of its items)
        expected = ["Column lat", "map the _id column", "allow_missing_fields is required"]

        def heads(d: Any) -> list[str]:
            return [t.split(":")[0] for t in d.execute_script("return Array.from(document.querySelectorAll('#problems li'), e => e.textContent)")]

        wait(driver, lambda d: heads(d) == expected, "the problems in the form's order")


def test_a_page_of_another_origin_changes_nothing_through_the_visitors_browser(browser: Any) -> None:
    # A real browser's cross-site request forgery, each mutating route: a page served from
    # another origin (127.0.0.1 at another port: same site, another origin) posts forms and
    # no-cors text/plain fetches to the service. Nothing may be created, stored or counted.
    import http.server
    import threading

    driver = browser
    with ui_server() as server:
        clicks_source(server, "victim")
        target = server.url
        body = '{"records": [{"value": {"id": 7, "u": "forged"}}]}'
        page = f"""<!doctype html><title>evil</title><body>
        <iframe name="sink1"></iframe><iframe name="sink2"></iframe><iframe name="sink3"></iframe>
        <form id="f1" method="POST" action="{target}/v2/sinks/victim" enctype="text/plain" target="sink1"><input name='{body[:-1]}' value='}}'></form>
        <form id="f2" method="POST" action="{target}/ui/api/sinks/victim/send" enctype="text/plain" target="sink2"><input name='{{"text": "{{\\"id\\": 8, \\"u\\": \\"x\\"}}", "x": "' value='"}}'></form>
        <form id="f3" method="POST" action="{target}/v1/sinks" enctype="text/plain" target="sink3"><input name='{{"name": "forged", "x": "' value='"}}'></form>
        <script>
        var routes = ["/v1/sinks", "/v2/sinks/victim", "/ui/api/sinks/victim/send", "/ui/api/draft"];
        Promise.all(routes.map(function (r) {{
          return fetch("{target}" + r, {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}}, body: '{body}'}}).catch(function () {{}});
        }})).then(function () {{
          ["f1", "f2", "f3"].forEach(function (id) {{ document.getElementById(id).submit(); }});
          setTimeout(function () {{ document.title = "done"; }}, 800);
        }});
        </script></body>"""

        class Evil(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
        threading.Thread(target=evil.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        try:
            driver.get(f"http://127.0.0.1:{evil.server_address[1]}/")
            wait(driver, lambda d: d.title == "done", "the forged requests sent")
        finally:
            evil.shutdown()
            evil.server_close()
        status, sinks = api(server, "GET", "/v2/sinks")
        assert [s["name"] for s in sinks["sinks"]] == ["victim"]
        counts = sinks["sinks"][0]["counts"]
        assert counts == {"requests": 0, "requests_refused": 0, "records_stored": 0, "records_refused": 0}, counts
        assert sinks["sinks"][0]["last_error"] is None


def test_a_page_whose_first_request_fails_asks_again(browser: Any) -> None:
    # The page loaded, then the service was out of reach for its first request (restarted
    # just then): "Cannot reach the service" for good, the list never asked for, until reloaded
    driver = browser
    with ui_server() as server:
        clicks_source(server, "first")
        fail_config_once = """
            var real = window.fetch, failed = false;
            window.fetch = function (path, init) {
              if (String(path).indexOf("/ui/api/config") < 0 || failed) return real(path, init);
              failed = true;
              return Promise.reject(new TypeError("Failed to fetch"));
            };
        """
        added = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": fail_config_once})
        try:
            driver.get(server.url + "/ui/")
            wait(driver, lambda d: "Cannot reach the service" in text_of(d, "load-error"), "the failure said")
            wait(driver, lambda d: [e.text for e in css(d, "#sources tbody th")] == ["first"], "the list, asked again", timeout=10)
            assert text_of(driver, "load-error") == ""
        finally:
            driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})


def test_a_page_address_with_a_slash_after_it_is_sent_to_the_page() -> None:
    # /ui/sources/x/ answered the API's 404 JSON, not the page
    from tests.test_web import request, ui_server

    with ui_server() as server:
        for given, expected in (
            ("/ui/sources/a%2Fb%20c/?page=2", "/ui/sources/a%2Fb%20c?page=2"),
            ("/ui/sources/x/", "/ui/sources/x"),
            ("/ui/new/", "/ui/new"),
        ):
            status, headers, _body = request(server, "GET", given)
            assert (status, headers.get("location")) == (302, expected), given
            status, headers, body = request(server, "GET", expected)
            assert status == 200 and headers["content-type"] == "text/html; charset=utf-8", expected
