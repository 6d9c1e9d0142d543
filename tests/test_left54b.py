"""Small gaps left at stop 54: serve's unclean paths."""

from __future__ import annotations

import socket
from email.message import Message
from pathlib import Path

import pytest

from mapper.serve import App, Server, go_clean_path
from mapper.store import Store

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SINK_ID = "aircraft_positions"
SEED = (ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[0]


# ---------------------------------------------------------------------------------------
# serve: a path Go's ServeMux cleans is a 301 to the cleaned path (it was a 404)


@pytest.fixture(scope="module")
def app() -> App:
    store = Store(":memory:")
    store.create_sink(SINK)
    return App(store, token="t")


@pytest.mark.parametrize(
    ("method", "target", "location"),
    [
        ("GET", "//v2/sinks", "/v2/sinks"),
        ("GET", "/v2/./sinks", "/v2/sinks"),
        ("GET", "/v2/sinks/../sinks", "/v2/sinks"),
        ("HEAD", "/v2//sinks/.", "/v2/sinks"),
        ("POST", f"//v2/sinks/{SINK_ID}?a=1", f"/v2/sinks/{SINK_ID}?a=1"),  # (any method, the query kept; before the token)
        ("POST", "/v1/sinks/./", "/v1/sinks/"),  # (a trailing slash kept, as cleanPath keeps it)
        ("GET", "/../../v2/sinks", "/v2/sinks"),  # (nothing above the root)
        ("GET", "//x#y", "/x%23y"),  # (a # is the path's as sent: escaped, not a fragment of the Location)
    ],
)
def test_an_unclean_path_is_moved_to_the_cleaned_one_as_gos_servemux_moves_it(app: App, method: str, target: str, location: str) -> None:
    resp = app.dispatch(method, target, Message(), lambda limit: b"")
    assert resp.status == 301 and resp.headers["Location"] == location, (target, resp.status, resp.body[:200])
    assert b"not clean" in resp.body and location.encode() in resp.body


@pytest.mark.parametrize("target", ["/v2/sinks/", "/v2/sinks/a%2F..%2Fb", "/v2/sinks/%2e%2e", "/v2/sinks/..x"])
def test_a_clean_path_is_routed_as_sent(app: App, target: str) -> None:
    resp = app.dispatch("GET", target, Message(), lambda limit: b"")
    assert resp.status in (401, 404), (target, resp.status)  # (an escaped / or dot is no separator nor dot segment)


def test_go_clean_path_is_gos_clean_path() -> None:
    # (net/http cleanPath's cases, written by hand from path.Clean's rules)
    for given, clean in (
        ("/", "/"),
        ("//", "/"),
        ("/a/b/", "/a/b/"),
        ("/a//b", "/a/b"),
        ("/a/./b/.", "/a/b"),
        ("/a/../../b/", "/b/"),
        ("/a/b/..", "/a"),
        ("/./", "/"),
        ("/...", "/..."),
    ):
        assert go_clean_path(given) == clean, given


def test_a_post_to_an_unclean_path_is_moved_its_body_read_away_and_the_connection_kept() -> None:
    store = Store(":memory:")
    store.create_sink(SINK)
    server = Server(App(store), idle_timeout=5.0).start()
    try:
        body = b'{"records": [{"value": ' + SEED.encode() + b"}]}"
        post = b"POST //v2/sinks/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        with socket.create_connection((server.host, server.port), timeout=5) as s:
            s.sendall(post % (SINK_ID.encode(), len(body), body) + b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            reply = b"".join(iter(lambda: s.recv(65536), b""))
        first, _, rest = reply.partition(b"\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 301 ") and f"\r\nLocation: /v2/sinks/{SINK_ID}\r\n".encode() in first, first
        assert b"HTTP/1.1 200 " in rest and b'"sinks"' in rest  # (the body was read away: the next request was served)
        assert store.rows(SINK_ID, offset=0, limit=0).total == 0
    finally:
        server.stop(timeout=5.0)
        store.close()
