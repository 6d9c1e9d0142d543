"""``mapper serve`` and its web UI against a hostile web page and hostile clients: cross-site requests, hostile content, odd paths, slow clients.

Every server binds 127.0.0.1 on a free port in this process; every request has a timeout;
no browser is needed (the requests are made as a browser makes them: its ``Origin`` and
``Sec-Fetch-*`` headers, the content types a page may send without a preflight).
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import orjson
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
# Framing


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


def raw(server: Server, data: bytes, timeout: float = 10) -> bytes:
    """Send ``data`` as is on a new connection (closing our side for writing); everything the server answers until it closes."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        parts = []
        while chunk := s.recv(65536):
            parts.append(chunk)
    return b"".join(parts)
