"""The web UI's answers as a browser keeps them: what a page of another site, or the browser's
own cache, may do with them (in-process servers, no browser)."""

from __future__ import annotations

import orjson
from test_serve_security import BODY, SINK_ID, serving
from test_web import request


def test_answers_holding_the_services_data_are_never_stored_by_a_browser_cache() -> None:
    # Answers without Cache-Control were written to the browser's disk cache (Firefox keeps
    # every answer not marked no-store; about:cache listed the rows and records pasted after
    # the tab was closed): the data the token guards outlived the token kept "in this tab only".
    with serving(token="s3cret") as server:
        auth = {"Authorization": "Bearer s3cret"}
        assert request(server, "POST", f"/v2/sinks/{SINK_ID}", BODY, auth)[0] == 200
        for method, path, body in (
            ("GET", "/v2/sinks", None),
            ("GET", f"/v2/sinks/{SINK_ID}", None),
            ("GET", f"/v2/sinks/{SINK_ID}/rows", None),
            ("GET", "/ui/api/config", None),
            ("GET", "/ui/api/catalog", None),
            ("GET", "/ui/api/name?name=x", None),
            ("GET", f"/ui/api/sinks/{SINK_ID}", None),
            ("GET", f"/ui/api/sinks/{SINK_ID}/rows", None),
            ("POST", "/ui/api/draft", {}),
            ("POST", f"/ui/api/sinks/{SINK_ID}/send", {"text": "{}"}),
            ("GET", "/ui/api/nope", None),  # an error answer quotes what was asked
            ("GET", "/v2/sinks", "no token"),
        ):
            headers = {} if body == "no token" else auth
            status, got, answer = request(server, method, path, None if body == "no token" else body, headers)
            assert got["content-type"] == "application/json" and orjson.loads(answer) is not None, path
            assert got.get("cache-control") == "no-store", (method, path, status, got)
        # the pages and their script hold no data: revalidated, not refused a cache
        for path in ("/ui/", "/ui/new", f"/ui/sources/{SINK_ID}", "/ui/static/app.js"):
            assert request(server, "GET", path)[1]["cache-control"] == "no-cache", path


def test_the_pages_refuse_every_frame_old_browsers_too() -> None:
    # frame-ancestors 'none' (CSP level 2) is not read by a browser without it (IE 11, Edge
    # before 79): X-Frame-Options DENY says the same to those, against clickjacking.
    with serving() as server:
        for path in ("/ui/", "/ui/new", f"/ui/sources/{SINK_ID}"):
            headers = request(server, "GET", path)[1]
            assert "frame-ancestors 'none'" in headers["content-security-policy"] and headers.get("x-frame-options") == "DENY", path
