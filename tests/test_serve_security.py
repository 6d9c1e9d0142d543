"""``mapper serve`` and its web UI against a hostile web page and hostile clients: cross-site requests, hostile content, odd paths, slow clients.

Every server binds 127.0.0.1 on a free port in this process; every request has a timeout;
no browser is needed (the requests are made as a browser makes them: its ``Origin`` and
``Sec-Fetch-*`` headers, the content types a page may send without a preflight).
"""

from __future__ import annotations

import re
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest
import sinks
from test_serve_http import raw
from test_web import request, ui_server

from mapper.serve import Server

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SINK_ID = "aircraft_positions"
SEED = (ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[0]
BODY = b'{"records": [{"value": ' + SEED.encode() + b"}]}"


@contextmanager
def serving(token: str | None = None, **kw: Any) -> Iterator[Server]:
    """The UI server (test_web's), with the aircraft sink created (ACTIVE at once)."""
    with ui_server(token=token, **kw) as server:
        server.app.store.create_sink(SINK)
        yield server


def counts(server: Server) -> tuple[dict[str, int], str | None]:
    info = server.app.store.sink(SINK_ID)
    out = info.to_json()
    return out["counts"], out["last_error"]


def browser(server: Server, site: str, origin: str | None = None) -> dict[str, str]:
    """The headers a browser adds to a page's request: ``site`` is Sec-Fetch-Site, ``origin`` the page's (the server's own by default)."""
    return {"Origin": origin or f"http://127.0.0.1:{server.port}", "Sec-Fetch-Site": site, "Sec-Fetch-Mode": "no-cors"}


EVIL = "http://evil.example"

# ---------------------------------------------------------------------------------------
# 1. Cross-site request forgery


#: What a page of another site can make a browser send without a preflight (a form's
#: encodings, fetch's no-cors bodies): (path, content type, body).
SIMPLE_POSTS = [
    (f"/v2/sinks/{SINK_ID}", "text/plain", BODY),
    (f"/v2/sinks/{SINK_ID}", "text/plain;charset=UTF-8", BODY),
    (f"/v2/sinks/{SINK_ID}", "application/x-www-form-urlencoded", b"records=1"),
    (f"/v2/sinks/{SINK_ID}", "multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--\r\n"),
    ("/v1/sinks", "text/plain", SINK.read_bytes()),
    (f"/ui/api/sinks/{SINK_ID}/send", "text/plain", orjson.dumps({"text": SEED})),
    ("/ui/api/draft", "text/plain", b"{}"),
]


@pytest.mark.parametrize("headers", ["cross-site", "same-site", "origin-only", "null-origin"])
def test_a_cross_site_simple_post_changes_nothing_and_is_refused_403(headers: str) -> None:
    with serving() as server:
        before = counts(server)
        for path, ctype, body in SIMPLE_POSTS:
            if headers == "cross-site":
                hdrs = browser(server, "cross-site", EVIL)
            elif headers == "same-site":  # a page of another port on the same host: another origin
                hdrs = browser(server, "same-site", "http://127.0.0.1:3000")
            elif headers == "origin-only":  # (a browser without Fetch Metadata: Safari before 16.4)
                hdrs = {"Origin": EVIL}
            else:  # a sandboxed frame, a file: page
                hdrs = {"Origin": "null"}
            hdrs["Content-Type"] = ctype
            status, rh, answer = request(server, "POST", path, body, hdrs)
            doc = orjson.loads(answer)
            assert status == 403 and doc["code"] == "CrossOriginRequestRefused", (headers, path, status, answer)
            assert "another origin" in doc["message"] and "Origin" in doc["message"], doc
            assert rh["content-type"] == "application/json"
        # nothing changed: no counter, no last error, no sink
        assert counts(server) == before
        assert [s.id for s in server.app.store.list_sinks()] == [SINK_ID]


def test_a_cross_site_post_is_refused_with_a_token_too_and_before_the_token_is_asked_for() -> None:
    with serving(token="s3cret") as server:
        status, _, answer = request(server, "POST", f"/v2/sinks/{SINK_ID}", BODY, {**browser(server, "cross-site", EVIL), "Content-Type": "text/plain"})
        assert status == 403 and orjson.loads(answer)["code"] == "CrossOriginRequestRefused"


def test_a_refusal_without_an_origin_header_says_so_not_origin_none() -> None:
    # (h-readme2) a cross-site Sec-Fetch-Site without Origin was worded "Origin 'none'", which
    # reads as a header value ("none" is one of Sec-Fetch-Site's)
    with serving() as server:
        status, _, answer = request(server, "POST", f"/v2/sinks/{SINK_ID}", BODY, {"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"})
        message = orjson.loads(answer)["message"]
        assert status == 403 and "no Origin header" in message and "'none'" not in message, message


def test_same_origin_pages_and_clients_without_origin_are_served() -> None:
    with serving() as server:
        own = f"http://127.0.0.1:{server.port}"
        # the UI's own fetch (Chrome, Firefox: Sec-Fetch-Site same-origin and the Origin)
        status, _, answer = request(server, "POST", f"/ui/api/sinks/{SINK_ID}/send", {"text": SEED}, browser(server, "same-origin"))
        assert status == 200 and orjson.loads(answer)["written"] == 1, answer
        status, _, answer = request(server, "POST", f"/v2/sinks/{SINK_ID}", BODY, browser(server, "same-origin"))
        assert status == 200 and orjson.loads(answer)["success_count"] == 1, answer
        # an Origin and no Sec-Fetch-Site (an older browser): its own host and port, as localhost too
        for origin, host in ((own, f"127.0.0.1:{server.port}"), (f"http://localhost:{server.port}", f"localhost:{server.port}")):
            status, _, answer = request(server, "POST", f"/v2/sinks/{SINK_ID}", BODY, {"Origin": origin, "Host": host})
            assert status == 200, (origin, answer)
        # the user's own doing (a typed URL, a bookmark): Sec-Fetch-Site none
        status, _, _ = request(server, "POST", f"/v2/sinks/{SINK_ID}", BODY, {"Sec-Fetch-Site": "none"})
        assert status == 200
        # curl, mapper send, a program: no Origin, no Sec-Fetch-Site
        status, _, answer = request(server, "POST", f"/v2/sinks/{SINK_ID}", BODY)
        assert status == 200 and orjson.loads(answer)["success_count"] == 1
        status, _, answer = request(server, "POST", "/v1/sinks", orjson.loads(SINK.read_bytes()) | {"name": "other"})
        assert status == 200, answer
        # reads are not refused (the page cannot read the answer; nothing changes)
        status, _, _ = request(server, "GET", "/v2/sinks", headers=browser(server, "cross-site", EVIL))
        assert status == 200


def test_an_origin_naming_another_port_or_scheme_trick_is_refused() -> None:
    with serving() as server:
        for origin in (
            f"http://127.0.0.1:{server.port + 1}",
            "http://127.0.0.1",
            f"http://127.0.0.1:{server.port}.evil.example",
            f"http://evil.example@127.0.0.1:{server.port}",
            f"http://127.0.0.1:{server.port}/",
            f"127.0.0.1:{server.port}",
            "",
        ):
            status, _, answer = request(server, "POST", f"/v2/sinks/{SINK_ID}", BODY, {"Origin": origin})
            assert status == 403, (origin, answer)


def test_no_answer_lets_another_origin_read_it_or_send_json() -> None:
    # the preflight a page needs to send application/json (or a token) is never granted, and
    # no answer carries an Access-Control header: a page of another origin reads nothing
    with serving() as server:
        for method, path in (("OPTIONS", "/v1/sinks"), ("OPTIONS", f"/v2/sinks/{SINK_ID}"), ("GET", "/v2/sinks"), ("GET", f"/ui/api/sinks/{SINK_ID}/rows")):
            hdrs = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
            status, headers, _ = request(server, method, path, headers=hdrs)
            assert not [h for h in headers if h.startswith("access-control-")], (method, path, headers)
            assert method == "GET" or status == 405
        # a page whose own name resolves to 127.0.0.1 (DNS rebinding) sends its own Host: refused first, 421
        status, _, answer = request(server, "POST", f"/v2/sinks/{SINK_ID}", BODY, {"Host": "evil.example", "Origin": "http://evil.example"})
        assert status == 421 and orjson.loads(answer)["code"] == "MisdirectedRequest"


def test_a_multipart_form_post_is_told_its_content_type_not_that_its_headers_are_malformed() -> None:
    # http.server's email parser notes a multipart Content-Type without its body as "defects";
    # they were taken for a header line without a colon
    with serving() as server:
        for ctype in ("multipart/form-data; boundary=b", "multipart/form-data", "multipart/mixed; boundary=x"):
            status, _, answer = request(server, "POST", f"/v2/sinks/{SINK_ID}", b"--b--\r\n", {"Content-Type": ctype})
            assert status == 400 and orjson.loads(answer)["code"] == "InvalidContentType", (ctype, answer)
        # a header line without a colon is still refused as one
        reply = raw(server, b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\nContent-Length: 3\r\n\r\nabc")
        assert reply.startswith(b"HTTP/1.1 400 ") and b"malformed" in reply
        reply = raw(server, b"GET /v2/sinks HTTP/1.1\r\n folded: first\r\nHost: 127.0.0.1\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 400 ") and b"malformed" in reply


# ---------------------------------------------------------------------------------------
# 2. Hostile content shown by the pages

APP_JS = ROOT / "mapper" / "web" / "static" / "app.js"
#: Text someone else sent that would reorder or hide what the page shows around it.
HIDDEN_TEXTS = {
    "a\u202eb": "a\\u202eb",  # RIGHT-TO-LEFT OVERRIDE ("Trojan Source")
    "x\u2066y\u2069z": "x\\u2066y\\u2069z",  # isolates
    "\u200f\u200e\u061c": "\\u200f\\u200e\\u061c",  # marks
    "zero\u200bwidth\ufeff": "zero\\u200bwidth\\ufeff",
    "line\u2028para\u2029": "line\\u2028para\\u2029",
    "c1\x85\x9b[31m\x7f": "c1\\u0085\\u009b[31m\\u007f",
    "tag\U000e0041\U000e007f": "tag\\udb40\\udc41\\udb40\\udc7f",  # tag characters: text no one sees
    # characters drawn as nothing, or as a blank (a value "admin\u00ad" showed as "admin"; a Hangul
    # filler is the blank of "invisible identifier" tricks), and the interlinear annotations
    "soft\u00adhyphen\u034f": "soft\\u00adhyphen\\u034f",
    "hangul\u3164\u115f\u1160\uffa0": "hangul\\u3164\\u115f\\u1160\\uffa0",
    "\u17b4\u17b5\u180e\u206a\u206f": "\\u17b4\\u17b5\\u180e\\u206a\\u206f",
    "\ufff9shown\ufffahidden\ufffb": "\\ufff9shown\\ufffahidden\\ufffb",
    "music\U0001d173\U0001d17a": "music\\ud834\\udd73\\ud834\\udd7a",
    # left alone: what any script needs
    "<script>alert(1)</script>": "<script>alert(1)</script>",
    "\u05e9\u05dc\u05d5\u05dd abc": "\u05e9\u05dc\u05d5\u05dd abc",  # Hebrew: right to left by itself, no control
    "\U0001f468\u200d\U0001f469": "\U0001f468\u200d\U0001f469",  # an emoji sequence's joiner (ZWJ)
    "caf\u00e9 \u00a0 \u3000": "caf\u00e9 \u00a0 \u3000",
    "\u2764\ufe0f \u0644\u0627\u200c": "\u2764\ufe0f \u0644\u0627\u200c",  # an emoji's variation selector, a non-joiner
}


def run_shown(texts: list[str]) -> list[str]:
    """app.js's own safeText() (cut out of the file) run by node on ``texts``."""
    import shutil
    import subprocess

    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed (the browser test checks the pages' text too)")
    source = APP_JS.read_text()
    start = source.index("  var HIDDEN = ")
    end = source.index("\n  }\n", source.index("function safeText(")) + 4
    script = source[start:end] + "\nprocess.stdout.write(JSON.stringify(JSON.parse(require('fs').readFileSync(0, 'utf8')).map(safeText)));\n"
    out = subprocess.run([node, "-e", script], input=orjson.dumps(texts), capture_output=True, timeout=10, check=True)
    result: list[str] = orjson.loads(out.stdout)
    return result


def test_the_pages_show_reordering_and_invisible_characters_as_escapes() -> None:
    got = run_shown(list(HIDDEN_TEXTS))
    assert dict(zip(HIDDEN_TEXTS, got)) == HIDDEN_TEXTS


def test_every_text_the_script_writes_goes_through_safe_text() -> None:
    source = APP_JS.read_text()
    # one function of that name, shadowed nowhere (a counter named like it once broke the preview)
    assert len(re.findall(r"\bsafeText\s*=|var safeText\b|function safeText\b|\(safeText[,)]", source)) == 1
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "document.write" not in source
    assert "createTextNode(safeText(" in source and "createTextNode(String(" not in source
    for m in re.finditer(r"\.textContent = ([^;]*);", source):
        assert m.group(1) == '""' or m.group(1).startswith("safeText(") or "safeText(p.message)" in m.group(1), m.group(0)


HOSTILE = "<script>alert(1)</script>\"onmouseover=alert(2) x='</textarea><img src=x onerror=alert(3)> javascript:alert(4) \u202e" + "z" * 5000


def test_hostile_keys_and_values_reach_the_pages_only_as_json_and_the_pages_are_the_files() -> None:
    from mapper.web import load_assets

    assets = load_assets()
    sink = sinks.sink(sinks.column("id", "string"), sinks.column("s", "string", path=[HOSTILE, "x"]), name="hostile", table="t", primary_key_fields=["id"])
    with serving() as server:
        assert request(server, "POST", "/v1/sinks", sink)[0] == 200
        status, _, answer = request(server, "POST", "/v2/sinks/hostile", {"records": [{"value": {"id": HOSTILE, HOSTILE: {"x": HOSTILE}}}]})
        assert status == 200 and orjson.loads(answer)["success_count"] == 1
        server.app.store.note_error("hostile", __import__("mapper.endpoint").endpoint.ServiceError(400, "InvalidBody", HOSTILE))
        # the pages are the package's files byte for byte, whatever the data: nothing is put into HTML
        for path, name in (("/ui/", "sources.html"), ("/ui/new", "new.html"), ("/ui/sources/hostile", "source.html")):
            status, headers, page = request(server, "GET", path)
            assert status == 200 and page == assets[name][0], path
            assert headers["content-type"] == "text/html; charset=utf-8"
            assert "script-src 'self'" in headers["content-security-policy"] and "default-src 'none'" in headers["content-security-policy"]
            assert headers["x-content-type-options"] == "nosniff"
        # the data come as JSON, never as HTML, and with nosniff: a browser opening one shows it as text
        for path in (
            "/v2/sinks",
            "/v2/sinks/hostile",
            "/v2/sinks/hostile/rows",
            "/ui/api/sinks/hostile",
            "/ui/api/sinks/hostile/rows",
            "/ui/api/x%3Cscript%3E",
        ):
            status, headers, answer = request(server, "GET", path)
            assert headers["content-type"] == "application/json" and headers["x-content-type-options"] == "nosniff", path
            orjson.loads(answer)  # (whole: the hostile text is data in it)
            assert b"<script>" in answer and status in (200, 404), path
        for path in ("/ui/static/app.js", "/ui/static/style.css"):
            status, headers, _ = request(server, "GET", path)
            assert status == 200 and headers["content-type"].endswith("; charset=utf-8") and headers["x-content-type-options"] == "nosniff"


def test_the_rows_page_shows_a_long_value_cut_and_says_its_length() -> None:
    # 25 rows of a producer's megabyte strings made the page fetch tens of megabytes of text
    with serving() as server:
        seed = orjson.loads(SEED)
        seed["data"]["reg"] = "r" * 200_000
        seed["id"] = "i" * 100_000
        status, _, answer = request(server, "POST", f"/v2/sinks/{SINK_ID}", {"records": [{"value": seed}]})
        assert status == 200 and orjson.loads(answer)["success_count"] == 1, answer
        status, _, answer = request(server, "GET", f"/ui/api/sinks/{SINK_ID}/rows")
        page = orjson.loads(answer)
        assert status == 200 and len(answer) < 20_000, len(answer)
        reg = page["rows"][0]["cells"][[c["name"] for c in page["columns"]].index("reg")]["text"]
        assert reg == '"' + "r" * 999 + "...(200,002 characters)"
        assert page["rows"][0]["id"].endswith("...(100,002 characters)")
        # the API itself gives the value whole
        status, _, answer = request(server, "GET", f"/v2/sinks/{SINK_ID}/rows")
        assert orjson.loads(answer)["rows"][0]["reg"] == "r" * 200_000


# ---------------------------------------------------------------------------------------
# 3. Odd paths, big headers, slow clients


def test_odd_paths_name_nothing_outside_the_routes() -> None:
    with serving() as server:
        # a path with dot segments or empty ones is moved to its cleaned form, as Go's ServeMux moves it (301): never out of the routes
        for path, location in (("/ui/../..", "/"), ("//etc/passwd", "/etc/passwd"), ("/ui/static/../../serve.py", "/serve.py")):
            status, headers, answer = request(server, "GET", path)
            assert status == 301 and headers["location"] == location, (path, status, answer[:80])
            assert request(server, "GET", location)[0] in (302, 404)  # (/ moves to the UI's page)
        for path in (
            "/ui/static/..%2F..%2Fserve.py",
            "/ui/static/%2e%2e%2f%2e%2e%2f__init__.py",
            "/ui/static/..%5c..%5cserve.py",
            "/ui/static/app.js%00.html",
            "/ui/static/sources.html",  # (a page is served at its route, with its headers, not as a file)
            "/ui/%00",
            "/ui/static/app.js/",
            "/UI/",
            f"/v2/sinks/{SINK_ID}%00",
            f"/v2/sinks/{SINK_ID}%2Frows",
        ):
            status, headers, answer = request(server, "GET", path)
            assert status == 404 and headers["content-type"] == "application/json", (path, status, answer[:80])
            assert orjson.loads(answer)["code"] == "ResourceNotFound"
        # a NUL or a control character in the request line is no crash, and the message says it escaped (400, as Go's server
        # refuses such a target: a 404 before)
        reply = raw(server, b"GET /ui/\x00\x1b[2J HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 400 ") and b"control character ('\\\\x00' at char 5)" in reply, reply


def test_oversized_headers_are_refused_431_and_the_server_keeps_serving() -> None:
    # (a line over 64 KiB or a 100th line: 431 before, http.client's limits; served, as Go's server serves them, since)
    with serving() as server:
        for head in (b"X: " + b"a" * 1_100_000 + b"\r\n", b"X: aaaaaaaaaa\r\n" * 80_000):
            reply = raw(server, b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head + b"\r\n")
            assert reply.startswith(b"HTTP/1.1 431 "), reply[:80]
            assert b'"code":"RequestHeaderFieldsTooLarge"' in reply
        assert request(server, "GET", "/v2/sinks")[0] == 200


@contextmanager
def small_server(idle_timeout: float, max_connections: int) -> Iterator[Server]:
    from mapper.serve import App
    from mapper.store import Store

    store = Store(":memory:")
    server = Server(App(store), idle_timeout=idle_timeout, max_connections=max_connections).start()
    try:
        yield server
    finally:
        server.stop(timeout=3.0)
        store.close()


def test_clients_sending_their_headers_slowly_are_cut_and_others_are_served() -> None:
    # slowloris: a byte of the headers now and then, each within the idle timeout, held a
    # connection (and its thread) for ever; as many as --max-connections shut everyone out (503)
    with small_server(idle_timeout=1.0, max_connections=2) as server:
        slow = [socket.create_connection((server.host, server.port), timeout=5) for _ in range(2)]
        try:
            for s in slow:
                s.sendall(b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            got = [b"", b""]
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                for i, s in enumerate(slow):
                    if got[i]:
                        continue  # answered: no more bytes (sent to a closed socket, they would reset it, the answer unread)
                    s.setblocking(False)
                    try:
                        got[i] = s.recv(65536)
                    except BlockingIOError:
                        s.sendall(b"X: 1\r\n")  # a header line every 0.2 s: never 1 s idle
                    finally:
                        s.setblocking(True)
                time.sleep(0.2)
            # a client that comes now (the slow ones still at it, unless cut) is served: they had 1 s for their headers
            status, _, answer = request(server, "GET", "/v2/sinks")
            assert status == 200, answer
            for i, s in enumerate(slow):  # and they were answered (408, then closed), not left hanging
                s.settimeout(2)
                while got[i] and (chunk := s.recv(65536)):
                    got[i] += chunk
                assert got[i].startswith(b"HTTP/1.1 408 ") and b'"code":"RequestTimeout"' in got[i], got[i][:200]
        finally:
            for s in slow:
                s.close()


def test_a_client_that_stops_mid_request_does_not_hold_up_others() -> None:
    # the others are answered while the stuck one still holds its connection (not answered 408,
    # not closed): a server that served one at a time answered them only once it was cut off
    with small_server(idle_timeout=60.0, max_connections=8) as server:
        with socket.create_connection((server.host, server.port), timeout=5) as stuck:
            stuck.sendall(b"POST /v1/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
            for _ in range(5):
                assert request(server, "GET", "/v2/sinks")[0] == 200  # (each waits at most 10 s)
            stuck.setblocking(False)
            with pytest.raises(BlockingIOError):  # (nothing to read: neither an answer nor the connection's end)
                stuck.recv(1)


def test_a_request_line_cut_short_is_answered_408_and_an_idle_connection_closed_unanswered() -> None:
    with small_server(idle_timeout=0.5, max_connections=8) as server:
        for sent, answered in ((b"GET /v2/si", True), (b"", False), (b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lon", True)):
            with socket.create_connection((server.host, server.port), timeout=5) as s:
                if sent:
                    s.sendall(sent)
                t0 = time.monotonic()
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
                assert time.monotonic() - t0 < 3.0
                if answered:
                    assert data.startswith(b"HTTP/1.1 408 ") and b"did not arrive within 0.5 s" in data, (sent, data[:300])
                else:
                    assert data == b"", data[:200]
        # a kept-alive connection: one request served, then closed quietly once idle
        with socket.create_connection((server.host, server.port), timeout=5) as s:
            s.sendall(b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            assert data.startswith(b"HTTP/1.1 200 ") and data.count(b"HTTP/1.1") == 1, data
