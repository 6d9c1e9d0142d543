"""``mapper serve``: a local ingest service speaking the cloud service's HTTP API, to develop and test producers offline.

    mapper serve SINK... [--db FILE] [--port N] [--token-env VAR]

Routes (one table, :data:`ROUTES`; a web UI adds its pages with :meth:`App.add_route`):

=======  ========================  ===============================================================
POST     ``/v1/sinks``             create a sink (the body ``mapper check`` reads), CREATING at first
GET      ``/v2/sinks``             list the sinks with their state and counters
GET      ``/v2/sinks/<id>``        one sink
POST     ``/v2/sinks/<id>``        ingest ``{"records": [{"value": {...}}]}``: the per-record answer
GET      ``/v2/sinks/<id>/rows``   the stored rows (``?offset=0&limit=100``), null and missing apart
=======  ========================  ===============================================================

Each ingest request is answered record by record exactly as ``mapper validate --report
endpoint`` answers (the same engine), within the limits (the service's throttling answer,
400 ``ResourceThroughputExceeded``, with ``Retry-After``), and stored in one SQLite transaction with
FeatureBase's write semantics (:class:`mapper.store.Store`). Errors are the service's
``{"code", "message"}`` with an HTTP status. A bearer token is required when one is
configured (``--token-env``; the token is never printed or logged; a non-ASCII token is
compared with the bytes the client sent, as UTF-8 or latin-1). HEAD is answered as GET without the body;
a 405 lists the path's methods in ``Allow``; every answer says ``X-Content-Type-Options:
nosniff``. Routes match each segment of the path unescaped, as Go's ServeMux does: ``%2F`` inside a sink id is part of the id.

On a loopback address (the default), a request whose Host names anything but
``localhost``, ``127.0.0.1`` or ``[::1]`` (any port) is refused with 421
``MisdirectedRequest``: a web page of another site whose name resolves to 127.0.0.1
(DNS rebinding) cannot use the service; an HTTP/1.0 request without a Host header is served
(a browser always sends one). An HTTP/1.1 request without a Host header, or any with more than one
or with one holding a byte no host holds (a space, ``/``, ``@``: a 421 before, only a well-formed one is),
is refused 400 ``BadRequest`` (``missing required Host header``, ``too many Host headers``,
``malformed Host header``) on any address, as Go's net/http server (the service's) refuses it;
``OPTIONS *`` is answered as Go's server answers it, before any route or token: 200 with
``Content-Length: 0`` and no body; any other method on ``*`` 400, as Go's ServeMux answers it.
A request that can change something (POST, PUT, ...) which a browser sent for a page of
another origin (its ``Sec-Fetch-Site`` not ``same-origin``, or its ``Origin`` not the
``Host`` it was sent to) is refused with 403 ``CrossOriginRequestRefused``, token or
none (cross-site request forgery: a page of any site can make its visitor's browser
post a form to 127.0.0.1); a client that sends no ``Origin`` (curl, ``mapper send``) is
served, as are the web UI's own pages.

Built on the standard library's ``http.server.ThreadingHTTPServer`` (one thread per
connection, HTTP/1.1 keep-alive (HTTP/1.0's too, when asked), bodies with a Content-Length or chunked; at most ``--max-connections`` open at once, and one
more is answered 503 with ``Retry-After: 1`` and closed; a request's line and headers must
arrive within the idle timeout, however slowly they trickle in (and be at most 1 MiB and 4 KiB, however many lines: 431), and its body within the idle
timeout and a second per :data:`BODY_MIN_RATE` bytes: 408 and closed). It binds 127.0.0.1 unless told otherwise and stops
cleanly on SIGINT/SIGTERM: no new requests, the ones in progress finish (their
transactions commit), the database is closed.
"""

from __future__ import annotations

import argparse
import ast
import errno
import hmac
import io
import ipaddress
import math
import os
import queue
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import errors as email_errors
from email import parser as email_parser
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import orjson

from ._version import __version__
from .api import Mapper
from .commands import EXIT_OK, EXIT_USAGE, decimal, file_name, integer
from .endpoint import (
    ALREADY_EXISTS,
    DEFAULT_BYTES_PER_S,
    DEFAULT_RECORDS_PER_S,
    INTERNAL,
    INVALID_BODY,
    INVALID_CONTENT_TYPE,
    INVALID_PARAMETER,
    METHOD_NOT_ALLOWED,
    MISSING_PARAMETER,
    MISSING_TOKEN,
    NOT_FOUND,
    THROTTLED,
    TOKEN_SPACE,
    TOO_LARGE,
    UNAUTHORIZED,
    UNAVAILABLE,
    Limits,
    ServiceError,
    TokenBucket,
    env_token,
    printable,
    read_numbers,
)
from .errors import MapperError, OptionError, check_function, closest, packed_database_name, read_once, shown_name, unpacked_file
from .options import number_given
from .report import plural
from .store import ForeignDatabaseError, Store, closed_error, not_a_file, stored_sinks_problem
from .writers import binary_stdout, write_whole

__all__ = ["ROUTES", "App", "Request", "Response", "Route", "Server", "add_serve_parser", "cmd_serve", "listen", "page_limit", "query_int"]


# ---------------------------------------------------------------------------------------
# Requests, responses, routes


@dataclass
class Request:
    """One HTTP request as a handler sees it; the body is read on demand (:meth:`body`), after the checks that can refuse it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    params: dict[str, str] = field(default_factory=dict)
    read_body: Callable[[int], bytes] = field(default=lambda limit: b"", repr=False)

    def body(self, limit: int) -> bytes:
        """The body, at most ``limit`` bytes (413 beyond, 400 ``MissingParameter`` without a length; a chunked one decoded)."""
        return self.read_body(limit)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The query string's ``name`` (``default`` when absent or blank); given more than once, a
        400 (which one was meant cannot be told: ``?name=a&name=b`` checked ``b`` alone)."""
        values = self.query.get(name)
        if values and len(values) > 1:
            raise ServiceError(400, INVALID_PARAMETER, f"{name} is given {len(values)} times in the query string: give it once")
        return values[0] if values and values[0] else default


def query_int(req: Request, name: str, default: int) -> int:
    """The query string's ``name`` as a whole number written with the digits 0-9 (``default`` when absent or blank); 400 otherwise.

    ``int()`` would also take ``1_0``, ``+5``, `` 5`` and other scripts' digits (``５``).
    """
    text = req.arg(name)
    if not text:
        return default
    if not _DIGITS.fullmatch(text):
        raise ServiceError(400, INVALID_PARAMETER, f"{name} must be a whole number written with the digits 0-9, not {text[:40]!r}")
    return int(text) if len(text) <= 100 else 10**100  # (past every limit; int() refuses thousands of digits)


def limits_said(limits: Limits, sep: str = " and ") -> str:
    """``1,000 records/s and 1,000,000 bytes/s``: each limit as it was given (``:,.0f`` said ``--records-per-s 1.5``
    as ``2 records/s``, where a request of 2 records is refused 413 for holding more than 1)."""
    return f"{number_given(limits.records_per_s)} records/s{sep}{number_given(limits.bytes_per_s)} bytes/s"


def page_limit(limit: int, most: int) -> None:
    """A rows route's ``limit``, at most ``most`` rows a page: 400 saying so, with the value sent (``offset >= 0 and 0 <=
    limit <= 10000`` named neither; no sign gets past :func:`query_int`, so the limit's size was the only fault)."""
    if limit > most:
        shown = f"{limit:,}" if limit < 10**30 else "a number of over 30 digits"
        raise ServiceError(400, INVALID_PARAMETER, f"limit is at most {most:,} rows a page, not {shown}: page through the rows with offset")


@dataclass
class Response:
    """What a handler answers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""  # (said in serve's log line after the message, never to the client)


def json_response(status: int, obj: Any) -> Response:
    return Response(status, orjson.dumps(obj))


def error_response(err: ServiceError) -> Response:
    return Response(err.status, err.to_json(), headers=dict(err.headers))


#: A handler: the app and the request in, a response out (or a ServiceError raised).
Handler = Callable[["App", Request], Response]


@dataclass(frozen=True)
class Route:
    """``method`` and ``pattern`` (a regular expression matched against the whole path; named groups become ``request.params``)."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool = True  # needs the bearer token, when one is configured


def route(method: str, pattern: str, handler: Handler, auth: bool = True) -> Route:
    return Route(method, re.compile(pattern), handler, auth)


# ---------------------------------------------------------------------------------------
# The handlers


def create_sink(app: App, req: Request) -> Response:
    """``POST /v1/sinks``: checked as ``mapper check`` checks it; CREATING for ``create_delay`` seconds."""
    require_json(req)  # (from the headers: a body of the wrong type is refused unread, whatever its size)
    body = req.body(app.max_body_bytes)
    info = app.store.create_sink(body, activate_after=app.create_delay, body_form=True)
    out = info.to_json()
    out["ingest_url"] = f"/v2/sinks/{info.id}"
    return json_response(200, out)


def list_sinks(app: App, req: Request) -> Response:
    """``GET /v2/sinks``."""
    return json_response(200, {"sinks": [s.to_json() for s in app.store.list_sinks()]})


def sink_details(app: App, req: Request) -> Response:
    """``GET /v2/sinks/<id>``."""
    return json_response(200, app.store.sink(req.params["sink_id"]).to_json())


def ingest(app: App, req: Request) -> Response:
    """``POST /v2/sinks/<id>``: the per-record answer, the accepted records stored in one transaction."""
    sink_id = req.params["sink_id"]
    app.store.sink(sink_id)  # 404 before reading a body for nobody
    body = b""
    try:
        require_json(req)  # (before the body: a large one of the wrong type was answered 413, not InvalidContentType)
        body = req.body(app.max_body_bytes)
        if not body:  # (the engine's words for it, "the request body is truncated", sent a producer looking for a cut)
            raise ServiceError(400, INVALID_BODY, f"the request body is empty (Content-Length: 0, or no chunk): send {_BODY_SHAPE}")
        with app.admitting(sink_id) as admit:
            result = app.store.ingest(sink_id, body, admit=admit)
    except ServiceError as err:
        err = _cut_by_its_length(err, req, len(body))
        app.store.note_error(sink_id, err)
        raise err from None
    if result.error is not None and app.log is not None:  # a body discarded whole: the endpoint logs an error (the seed page)
        app.log(printable(f"sink {sink_id}: {result.error}"))
    return json_response(200, result.answer)


def _cut_by_its_length(err: ServiceError, req: Request, nbytes: int) -> ServiceError:
    """A body cut short, framed by its Content-Length: the message says so. Its JSON ended past the bytes the length
    said, most likely a length short of the body (the client's bug), whose rest was then read as the next request,
    a second refusal ("Bad request version") that named nothing of the first."""
    if err.code != INVALID_BODY or not err.message.startswith("the request body is truncated") or req.headers.get_all("Transfer-Encoding"):
        return err
    if not req.headers.get("Content-Length"):
        return err
    return ServiceError(
        err.status,
        err.code,
        f"{err.message}: it ends at the {plural(nbytes, 'byte')} its Content-Length says, inside its JSON (a Content-Length "
        "short of the body cuts it, and what follows is read as the next request)",
        headers=dict(err.headers),
    )


def sink_rows(app: App, req: Request) -> Response:
    """``GET /v2/sinks/<id>/rows?offset=0&limit=100``: rows as ``mapper map -o -`` writes them (a missing column is left out, a cleared one is null)."""
    offset = query_int(req, "offset", 0)
    limit = query_int(req, "limit", 100)
    page_limit(limit, 10_000)
    return json_response(200, app.store.rows(req.params["sink_id"], offset=offset, limit=limit).to_json())


def require_json(req: Request) -> None:
    """The body's headers, judged before it is read: JSON text in UTF-8, not in a content coding."""
    _once(req.headers, "Content-Type", INVALID_CONTENT_TYPE)
    ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        sent = _sent(req.headers, "Content-Type")
        # (none sent was said "not 'missing'", as if that were the type sent; curl -d sends a form's type unless told)
        said = f"not {_quoted(sent, 60)}" if sent[:60].strip() else "and the request has no Content-Type header"
        curl = " (curl -d sends that type: add -H 'Content-Type: application/json')" if ctype == "application/x-www-form-urlencoded" else ""
        raise ServiceError(400, INVALID_CONTENT_TYPE, f"Content-Type must be application/json, {said}{curl}")
    # The body is read as UTF-8 (RFC 8259 8.1; the service's Go decoder too): one said to be in
    # another charset had each byte beyond ASCII stored as U+FFFD, silently ("Orléans" in latin-1
    # came out "Orl\ufffdans"). Refused naming it, rather than read as what it says it is not.
    charset = _charset(req.headers)
    if charset is not None and charset.lower() not in UTF8_NAMES:
        raise ServiceError(
            400,
            INVALID_CONTENT_TYPE,
            f"the body's charset is {_quoted(charset, 40)}: this endpoint reads JSON as UTF-8 only (send the body in UTF-8, "
            "with Content-Type: application/json or application/json; charset=utf-8)",
        )
    # A compressed body was read as JSON text: "not valid JSON ... (char 0)", not a word of the
    # coding; and a plain body labelled gzip was stored as if the label were not there.
    codings = [c.strip().lower() for v in req.headers.get_all("Content-Encoding") or () for c in v.split(",") if c.strip()]
    if any(c != "identity" for c in codings):
        raise ServiceError(
            415,
            UNSUPPORTED_ENCODING,
            f"the body's Content-Encoding is {_quoted(_sent(req.headers, 'Content-Encoding'), 60)}: this endpoint takes the body as JSON text, not compressed "
            "(send it without a Content-Encoding)",
        )


def _once(headers: Message, name: str, code: str, *, said: bool = True) -> None:
    """A header HTTP allows once (a singleton field, RFC 9110 5.3), sent more than once with values
    that differ: 400 ``code`` naming it (the first copy was checked and the others ignored, where a
    proxy in front may have read another: ``application/json`` then ``text/plain`` was taken). Copies
    that agree are the one value, as RFC 9112 6.3 lets a Content-Length's be. ``said``: the values
    are quoted (never an Authorization's)."""
    values = [v.strip() for v in headers.get_all(name) or ()]
    if len(set(values)) > 1:
        shown = f" ({_quoted(_sent(headers, name), 120)})" if said else ""
        raise ServiceError(400, code, f"{name} is sent {len(values)} times, with different values{shown}: send it once")


#: The ``charset`` values of a body's Content-Type taken (case-insensitively): UTF-8's names.
UTF8_NAMES = frozenset({"utf-8", "utf8"})


def _charset(headers: Message) -> str | None:
    """The ``charset`` parameter of the Content-Type (unquoted; copies of the header agree: :func:`_once`),
    or None when it says none."""
    value = headers.get("Content-Type") or ""
    for param in value.split(";")[1:]:
        name, eq, given = param.partition("=")
        if eq and name.strip().lower() == "charset":
            given = given.strip()
            if len(given) >= 2 and given[0] == given[-1] == '"':
                given = given[1:-1]
            return given.strip()
    return None


#: What a body holds, for the messages that say to send one.
_BODY_SHAPE = '{"records": [{"value": {...}}, ...]}'

#: The code of a 415 for a body in a content coding (the service's documentation names none: a choice of mapper serve).
UNSUPPORTED_ENCODING = "UnsupportedContentEncoding"


#: The service's routes; :meth:`App.add_route` adds more (a UI's pages).
ROUTES: tuple[Route, ...] = (
    route("POST", r"/v1/sinks", create_sink),
    route("GET", r"/v2/sinks", list_sinks),
    route("GET", r"/v2/sinks/(?P<sink_id>[^/]+)", sink_details),
    route("POST", r"/v2/sinks/(?P<sink_id>[^/]+)", ingest),
    route("GET", r"/v2/sinks/(?P<sink_id>[^/]+)/rows", sink_rows),
)


# ---------------------------------------------------------------------------------------
# The application: routing, auth, limits


class App:
    """The service without sockets: :meth:`dispatch` turns a request into a response.

    ``limits``: per sink (endpoint), records/s and bytes/s, each a token bucket holding
    one second's worth; a request that does not fit is answered 400
    ``ResourceThroughputExceeded`` with ``Retry-After`` (the whole seconds, rounded up, until
    it would fit) and stores nothing. ``max_body_bytes``: larger bodies
    are answered 413 (default: the bytes/s limit, the most one second admits).
    ``token``: required as ``Authorization: Bearer <token>`` when set. ``create_delay``:
    seconds a sink created with ``POST /v1/sinks`` stays CREATING.
    """

    def __init__(
        self,
        store: Store,
        *,
        token: str | None = None,
        limits: Limits | None = None,
        max_body_bytes: int | None = None,
        create_delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] | None = None,
    ):
        # (each taken unchecked failed at a request, not here: another store a 500 for every request, a log that is no
        # function a TypeError after each answer (its connection dropped, a line on stderr), a clock so every ingest a 500)
        if not isinstance(store, Store):
            raise OptionError(f"App serves a mapper.store.Store, not {type(store).__name__}")
        check_function("log", log)
        check_function("clock", clock, optional=False)
        max_body_bytes = read_numbers({"max_body_bytes": max_body_bytes})["max_body_bytes"]
        if token is not None and not isinstance(token, str):
            raise OptionError(f"token= is a str (or None), not {type(token).__name__}")
        if limits is not None and not isinstance(limits, Limits):
            raise OptionError(f"limits= is a mapper.endpoint.Limits (or None), not {type(limits).__name__}")
        if token is not None and not token.strip(TOKEN_SPACE):
            raise OptionError("token= is empty or white space: give a token, or None to take requests without one")
        # (an integer past a float's range passed `< math.inf`: every POST /v1/sinks then failed in the store)
        create_delay = read_numbers({"create_delay": create_delay})["create_delay"]
        self.store = store
        self.token = token
        self.limits = limits or Limits()
        self.max_body_bytes = int(max_body_bytes if max_body_bytes is not None else self.limits.bytes_per_s)
        self.create_delay = create_delay
        self.clock = clock
        self.log = log
        self.routes: list[Route] = list(ROUTES)
        self._buckets: dict[str, tuple[TokenBucket, TokenBucket]] = {}
        self._lock = threading.Lock()
        #: (time, sink id, records, bytes) of the latest admitted ingest requests (a test or a UI reads them)
        self.admitted: deque[tuple[float, str, int, int]] = deque(maxlen=100_000)

    def add_route(self, method: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
        """Serve ``handler`` for ``method`` on paths matching ``pattern`` (a UI page: return a ``text/html`` Response),
        after the routes already there."""
        self.routes.append(route(method, pattern, handler, auth))

    def admit(self, sink_id: str, records: int, nbytes: int) -> None:
        """Let a request of ``records`` records and ``nbytes`` bytes in, or raise the service's throttling answer."""
        lim = self.limits
        if records > lim.records_per_s:
            raise ServiceError(
                413, TOO_LARGE, f"a request holds at most {plural(int(lim.records_per_s), 'record')} (the endpoint's limit per second), not {records:,}"
            )
        with self._lock:
            buckets = self._buckets.get(sink_id)
            if buckets is None:
                capacity_bytes = max(lim.bytes_per_s, self.max_body_bytes)
                buckets = self._buckets[sink_id] = (
                    TokenBucket(lim.records_per_s, lim.records_per_s, clock=self.clock),
                    TokenBucket(lim.bytes_per_s, capacity_bytes, clock=self.clock),
                )
            rec, byt = buckets
            wait = max(rec.wait_time(records), byt.wait_time(nbytes))
            if wait == math.inf:  # more than a bucket ever holds: no wait admits it (its Retry-After, math.ceil(inf), was an OverflowError)
                over, size, most = ("record", records, rec.capacity) if records > rec.capacity else ("byte", nbytes, byt.capacity)
                raise ServiceError(
                    413,
                    TOO_LARGE,
                    f"the request is {plural(size, over)}; this endpoint admits at most {plural(int(most), over)} at once: it could never be admitted",
                )
            if wait > 0:
                # Retry-After: the buckets know when the request would fit; whole seconds (RFC 9110
                # 10.2.3 takes no fraction), rounded up so a client that waits them is admitted
                after = max(1, math.ceil(wait))
                raise ServiceError(
                    400,
                    THROTTLED,
                    f"the limits of this endpoint are {limits_said(lim)}: retry with backoff (this request would fit in {after} s: Retry-After)",
                    headers={"Retry-After": str(after)},
                )
            rec.try_take(records)
            byt.try_take(nbytes)
            self.admitted.append((self.clock(), sink_id, records, nbytes))

    def give_back(self, sink_id: str, records: int, nbytes: int) -> None:
        """Return the tokens :meth:`admit` took for a request of ``records`` and ``nbytes`` that then stored nothing (a 500:
        the database refused the write), and take it out of :attr:`admitted`: what the endpoint ingested is what it throttles."""
        with self._lock:
            buckets = self._buckets.get(sink_id)
            if buckets is None:
                return
            buckets[0].give_back(records)
            buckets[1].give_back(nbytes)
            for i, (_t, sid, r, b) in enumerate(reversed(self.admitted)):
                if (sid, r, b) == (sink_id, records, nbytes):
                    del self.admitted[len(self.admitted) - 1 - i]
                    break

    @contextmanager
    def admitting(self, sink_id: str) -> Iterator[Callable[[int, int], None]]:
        """The ``admit`` of one request's :meth:`Store.ingest <mapper.store.Store.ingest>`: :meth:`admit`, its tokens given back
        (:meth:`give_back`) when the ingest then fails, storing nothing (a request answered 500 spent them, and quick retries
        were answered 400 ``ResourceThroughputExceeded``, hiding the error)."""
        taken: list[tuple[int, int]] = []

        def admit(records: int, nbytes: int) -> None:
            self.admit(sink_id, records, nbytes)
            taken.append((records, nbytes))

        try:
            yield admit
        except BaseException:
            for records, nbytes in taken:
                self.give_back(sink_id, records, nbytes)
            raise

    def dispatch(self, method: str, target: str, headers: Message, read_body: Callable[[int], bytes]) -> Response:
        """Route one request; every error becomes the service's ``{"code", "message"}``.

        Routes match the path's segments, each unescaped (:func:`_routed_path`: an escaped ``/``, ``%2F``,
        inside a sink id is part of the id, not a separator); each parameter is unescaped. HEAD is answered as GET
        (the server leaves the body out); a 405 says the path's methods in ``Allow``. An answer
        that says nothing of caching is ``Cache-Control: no-store`` (:data:`NO_STORE`).
        """
        resp = self._dispatch(method, target, headers, read_body)
        if "Cache-Control" not in resp.headers:
            resp.headers = {**resp.headers, **NO_STORE}
        return resp

    def _dispatch(self, method: str, target: str, headers: Message, read_body: Callable[[int], bytes]) -> Response:
        # (as Go's url.ParseRequestURI reads a target: the query after the first ?, and no fragment: a # is the
        # path's, or the query's; urlsplit cut /v2/sinks#x to /v2/sinks)
        raw, _, query = target.partition("?")
        path = urllib.parse.unquote(raw)  # (for messages)
        try:
            refusal = cross_origin_refusal(method, headers)
            if refusal is not None:
                raise refusal
            # (CONNECT 127.0.0.1:8080, a host and no path: Go's ServeMux neither cleans nor redirects a CONNECT's, and matches no
            # pattern with it; a pattern of another method on / makes it a 405)
            authority = method == "CONNECT" and not raw.startswith("/")
            if not raw.startswith("/") and not authority:  # (foo:bar, a scheme, an opaque rest: Go's ServeMux cleans no path to / and redirects)
                return _no_path_redirect(target, query)
            clean = go_clean_path(raw)
            if clean != raw and method != "CONNECT":  # (//v2/sinks, /v2/./sinks: Go's ServeMux redirects before any route or token)
                return _clean_path_redirect(raw, clean, query)
            wanted = "GET" if method == "HEAD" else method
            found = None
            allowed = set()
            routed = "/" if authority else _routed_path(raw)
            for r in self.routes:
                m = r.pattern.fullmatch(routed)
                if m is None:
                    continue
                if r.method == wanted and not authority:
                    found = (r, m)
                    break
                allowed.add(r.method)
            if authority:
                found_host = _authority_of(target)
                path = f"{found_host[0] if found_host else target} (CONNECT names a host and port, and no path: this service is no proxy)"
            if found is None:
                if allowed:
                    if "GET" in allowed:
                        allowed.add("HEAD")
                    allow = ", ".join(sorted(allowed))
                    raise ServiceError(405, METHOD_NOT_ALLOWED, f"{method} is not allowed on {path[:200]} (allowed: {allow})", headers={"Allow": allow})
                raise ServiceError(404, NOT_FOUND, f"no such resource: {path[:200]}")
            r, m = found
            if r.auth and self.token is not None:
                self._authenticate(headers)
            params = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items() if v is not None}
            # (blank values kept: ?offset=&offset=1 is given twice, as ?offset=0&offset=1 is; parse_qs dropped the blank one)
            req = Request(method, path, urllib.parse.parse_qs(query, keep_blank_values=True), headers, params, read_body)
            return r.handler(self, req)
        except ServiceError as err:
            return error_response(self._stopping(err))
        except MapperError as err:  # pragma: no cover - every handler speaks ServiceError; a bug otherwise
            return error_response(self._stopping(ServiceError(500, INTERNAL, str(err))))

    def _stopping(self, err: ServiceError) -> ServiceError:
        """A 500 of a request that met the store closed under it (the stop's timeout, a second Ctrl-C): 503, the service
        stopping (a route of a UI reading the store its own way included), never sqlite3's "Cannot operate on a closed database"."""
        return closed_error(self.store) if err.status == 500 and self.store.closed else err

    def _authenticate(self, headers: Message) -> None:
        _once(headers, "Authorization", _HTTP_CODES[400], said=False)  # (two tokens: which one is meant cannot be told)
        value = headers.get("Authorization")
        if not value:
            raise ServiceError(401, MISSING_TOKEN, "this endpoint needs Authorization: Bearer <token>", headers={"WWW-Authenticate": _CHALLENGE})
        scheme, _, given = value.partition(" ")
        challenge = {"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'}
        # (said apart from a wrong token, neither quoting what was sent: a header that is no bearer token, "Authorization:
        # <token>" or "Basic ...", sent a producer looking for a wrong token; what comes before a space may be the token)
        if scheme.lower() != "bearer":
            raise ServiceError(
                401, UNAUTHORIZED, "the Authorization header does not begin with Bearer and a space: send Authorization: Bearer <token>", headers=challenge
            )
        if not given.strip(" \t"):
            raise ServiceError(401, UNAUTHORIZED, "the Authorization header holds no token after Bearer: send Authorization: Bearer <token>", headers=challenge)
        assert self.token is not None
        # The header's bytes as sent (http.server decodes headers as latin-1: encoding back
        # gives them), against the token's UTF-8 bytes, or its latin-1 bytes: browsers and
        # http.client send a header's text as latin-1, curl and most tools as UTF-8.
        try:
            sent = given.encode("latin-1").strip(b" \t")
        except UnicodeEncodeError:
            sent = b""
        # compare_digest: the time taken does not tell how much of a guess was right
        # (and the token without white space around it: no header's value has any, RFC 9110 5.5; a
        # token read from a file with its line end could never match otherwise)
        if not any(hmac.compare_digest(sent, t) for t in _token_bytes(self.token.strip(TOKEN_SPACE))):
            raise ServiceError(401, UNAUTHORIZED, "the token is not valid", headers=challenge)


#: Headers of an answer that says nothing of caching (the service's JSON: rows, records, errors quoting
#: them): no browser keeps it, in memory or on disk (Firefox wrote every answer not so marked to its disk
#: cache, the data a token guards kept there after the tab closed). The UI's pages and script say ``no-cache``.
NO_STORE = {"Cache-Control": "no-store"}
#: Methods no route changes anything for: a page of another site may send them (it cannot read the answer).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS_ORIGIN = "CrossOriginRequestRefused"
#: What ``Sec-Fetch-Site`` says of a request this service takes: from its own pages, or the user's own doing (a typed URL, a bookmark).
_OWN_SITES = frozenset({"same-origin", "none"})


def cross_origin_refusal(method: str, headers: Message) -> ServiceError | None:
    """A request that can change something (POST, PUT, ...) which a browser sent for a page of another origin: refused (403), token or none.

    A page of any site can make its visitor's browser send a "simple" POST (a form, or
    ``fetch`` with ``Content-Type: text/plain``) to ``http://127.0.0.1:<port>`` without
    asking first; it cannot read the answer, but it must not change anything either. Browsers
    say where such a request comes from: ``Sec-Fetch-Site`` (anything but ``same-origin`` or
    ``none`` is refused; ``same-site`` too: a page on ``localhost:3000`` is another origin)
    and ``Origin`` (when there is no ``Sec-Fetch-Site``: refused unless it names the host and
    port of the ``Host`` header; ``null``, a sandboxed frame's or a ``file:`` page's, is
    refused). A request with neither, as curl, ``mapper send`` and every program send, is
    served: those are not a visitor's browser made to act.
    """
    if method in SAFE_METHODS:
        return None
    sites = [v.strip().lower() for v in headers.get_all("Sec-Fetch-Site") or ()]
    origins = [v.strip() for v in headers.get_all("Origin") or ()]
    if sites:
        if all(s in _OWN_SITES for s in sites):
            return None
        why = f"Sec-Fetch-Site {_quoted(_sent(headers, 'Sec-Fetch-Site'), 40)}"
    elif not origins:
        return None
    else:
        hosts = [v.strip().lower() for v in headers.get_all("Host") or ()]
        if len(hosts) == 1 and all(_origin_hostport(o) == _without_port(hosts[0], "80") for o in origins):
            return None
        why = f"Host {_quoted(_sent(headers, 'Host') or 'missing', 80)}"
    sent = f"Origin {_quoted(', '.join(origins), 80)}" if origins else "no Origin header"
    return ServiceError(
        403,
        CROSS_ORIGIN,
        f"{method} from a page of another origin ({sent}, {why}) is refused: a web page cannot change this service's data. "
        "The service takes such requests from its own pages (the web UI at /ui/) and from clients that send no Origin header (curl, mapper send, a program)",
    )


def _origin_hostport(origin: str) -> str | None:
    """``host[:port]`` of an ``Origin`` (lowercase, the scheme's default port left out); None for ``null`` or anything not an origin."""
    scheme, sep, rest = origin.lower().partition("://")
    default = {"http": "80", "https": "443"}.get(scheme)
    if not sep or default is None or not rest or any(c in rest for c in "/?#@ "):
        return None
    return _without_port(rest, default)


def _without_port(hostport: str, default: str) -> str:
    return hostport[: -len(default) - 1] if hostport.endswith(":" + default) else hostport


#: The challenge of every 401 (HTTP requires one, RFC 9110 11.6.1; a bearer token's is RFC 6750's).
_CHALLENGE = 'Bearer realm="mapper-serve"'


def _token_bytes(token: str) -> list[bytes]:
    """The token as UTF-8 (an environment variable's undecodable bytes, which Python keeps as
    surrogate escapes, as they were), and as latin-1 when it has that form."""
    try:
        forms = [token.encode("utf-8", "surrogateescape")]
    except UnicodeEncodeError:
        forms = [token.encode("utf-8", "surrogatepass")]
    try:
        forms.append(token.encode("latin-1"))
    except UnicodeEncodeError:
        pass
    return forms


# ---------------------------------------------------------------------------------------
# HTTP


def _no_path_redirect(target: str, query: str) -> Response:
    """The answer to a request target with a scheme and no path (``foo:bar``, an opaque URI), as Go's ServeMux (the service's)
    answers it: a 301 to ``/``, the query kept (the path Go's ``cleanPath`` makes of none); the body says why."""
    why = f"the request target {_quoted(target, 100)} names a scheme and no path (a path is /v2/sinks, or a whole URL http://host/v2/sinks): read as /\n"
    return Response(301, why.encode(), "text/plain; charset=utf-8", headers={"Location": "/" + (f"?{query}" if query else "")})


def _routed_path(raw: str) -> str:
    """The path routes match: each segment of the path as sent unescaped, as Go's ServeMux (the service's) matches one
    (``/v2/%73inks`` is ``/v2/sinks``: it was a 404 saying ``no such resource: /v2/sinks``), an escaped ``/`` or ``%``
    kept escaped inside its segment (``%2F`` inside a sink id is part of the id, not a separator; each parameter is
    unescaped once more, to what was sent)."""
    if "%" not in raw:
        return raw
    return "/".join(urllib.parse.unquote(part).replace("%", "%25").replace("/", "%2F") for part in raw.split("/"))


def go_clean_path(path: str) -> str:
    """A request path (starting with ``/``) as Go's ServeMux cleans it (net/http ``cleanPath``):
    ``path.Clean`` (no empty or ``.`` segments, each ``..`` taking the segment before it, none
    above the root), a trailing slash kept. Segments are the path's as sent (an escaped ``/``,
    ``%2F``, or dot, ``%2e``, is no separator nor dot segment: routes match the path as sent)."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    clean = "/" + "/".join(kept)
    return clean + "/" if path.endswith("/") and clean != "/" else clean


def _clean_path_redirect(raw: str, clean: str, query: str) -> Response:
    """The answer to a path Go's ServeMux (the service's) cleans (``//v2/sinks``, ``/v2/./sinks``,
    ``/v2/x/../sinks``), as it answers one before any route or token, for any method: a 301
    Moved Permanently to the cleaned path, the query kept (a ``#``, which the path holds as sent,
    escaped: in a Location it would start a fragment); the body says why."""
    location = clean.replace("#", "%23") + (f"?{query}" if query else "")
    why = (
        f"the path {_quoted(raw, 100)} is not clean (an empty segment, . or ..): moved to {_quoted(location, 100)},"
        " as the service's Go ServeMux redirects it (a client that follows a 301 with a POST may send it as a GET: send to that path)\n"
    )
    return Response(301, why.encode(), "text/plain; charset=utf-8", headers={"Location": location})


def _escaped_target(target: str) -> str:
    """The request target with its bytes beyond ASCII percent-escaped, as a browser escapes them.

    http.server decodes the request line as Latin-1: a client that sends UTF-8 as typed (curl
    ``/v2/sinks/é``) had its path and query read as ``Ã©``; escaped, each is unescaped as UTF-8.
    """
    if target.isascii():
        return target
    return "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode("latin-1", "replace")) for c in target)


def _as_sent(value: str) -> str:
    """A header's value or the request target, as the client sent it: http.server reads the
    request and header lines as Latin-1, so UTF-8 (``é``, a right-to-left override) was quoted or
    logged as its mojibake (``Ã©``, ``â\\x80®``); read as UTF-8, as routing reads the target, a
    byte that is not UTF-8 as ``\\xNN``. Percent-escapes stay as sent; :func:`printable` then escapes what a
    terminal would act on (as for a request line's parts: :func:`_read_as_sent`); a message quotes it with :func:`_quoted`."""
    if value.isascii():
        return value
    return value.encode("latin-1", "replace").decode("utf-8", "backslashreplace")


def _sent(headers: Any, name: str) -> str:
    """The values of the header ``name``, as http.server read them (Latin-1; not lower-cased: a lower-cased reading
    is no longer the bytes that came), joined with ``, ``: for :func:`_quoted` (a vertical tab or NEL sent is shown)."""
    return ", ".join(v.strip(_OWS) for v in headers.get_all(name) or ())


#: A byte no UTF-8 reading took, as ``repr`` writes the surrogate escape it was read as (``\udcff``): not after a
#: backslash of the text's (``repr`` doubles each: an even run of them before it).
_BYTE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])")


def _quoted(value: str, limit: int) -> str:
    """``value`` (a header's or the request target, as http.server read it: Latin-1) quoted as the client sent it, its
    first ``limit`` characters read as :func:`_as_sent` reads them, each character escaped once, by ``repr``: one a
    terminal would act on as its escape (``'\\u202e'``), a byte that is no UTF-8 as ``\\xff``. (:func:`printable`'s
    escapes, or :func:`_as_sent`'s ``\\xff``, quoted with ``repr`` were said with two backslashes, ``'\\\\u202e'``.)"""
    text = value if value.isascii() else value.encode("latin-1", "replace").decode("utf-8", "surrogateescape")
    return _BYTE_ESCAPE.sub(r"\1\\x\2", repr(text[:limit]))


#: A part of a request line http.server quotes with ``repr`` in its messages: ``Unsupported method ('GÃ©T')``.
_QUOTED_PART = re.compile(r"""\((?P<q>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\)""")


def _read_as_sent(text: str) -> str:
    """A message http.server made of the request line, which it reads as Latin-1 (and quotes
    with ``repr``), with the client's bytes read as UTF-8, as routing and mapper's own log lines
    read them (:func:`_as_sent`): ``GéT``, not ``GÃ©T``; a byte that is not UTF-8 as ``\\xNN``.
    :func:`printable` then escapes what a terminal would act on (the UTF-8 of U+202E was ``â\\x80®``),
    as ``repr`` escaped it before: the message is logged and answered."""

    def unquoted(match: re.Match[str]) -> str:
        try:
            part = ast.literal_eval(match.group("q"))
        except (ValueError, SyntaxError):
            return match.group()
        quote = '"' if "'" in part else "'"
        return f"({quote}{part}{quote})"

    text = _QUOTED_PART.sub(unquoted, text)
    try:
        text = text.encode("latin-1").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # (not made of Latin-1 text alone: not a request line's)
        pass
    return printable(text)


def _blank_request_line(line: bytes, skipped: int) -> str:
    """The 400's words for a request ``line`` (its line end kept) that is empty or white space alone, as Go's net/http
    server (the service's) refuses it (``parseRequestLine``, ``validMethod``), ``skipped`` CR or LF bytes read away before
    it after a POST: what came, and why it was no request line (4 were read away after a POST, and more came)."""
    blanks = line.rstrip(b"\r\n")
    if blanks:  # (spaces or tabs: no method, target or version, whatever was read away before it)
        return (
            f"malformed HTTP request: the request line is white space alone ({blanks[:40].decode('latin-1')!r}), no method, target "
            "or version, as the service's Go server reads it: send the request line (METHOD /path HTTP/1.1)"
        )
    if skipped:  # (_skip_line_ends stops at a byte that is no CR or LF: an empty line after it is a 5th, or later, line end)
        return (
            f"malformed HTTP request: the request line is empty: after a POST the service's Go server reads away {skipped} CR or LF "
            "bytes before a request line, no more (an old client's CRLF after its body), and more came: send at most one CRLF after a body"
        )
    return (
        "malformed HTTP request: the request line is empty (an empty line before a request line is read away after a POST "
        "on the connection alone, as the service's Go server reads it: send the request line first)"
    )


class _Handler(BaseHTTPRequestHandler):
    """Bytes in and out; everything else is the App's."""

    protocol_version = "HTTP/1.1"  # keep-alive: a producer sends body after body on one connection
    # Without Nagle: the answer's body (a second write after the headers) would wait for
    # the client's delayed ACK of the headers, 40 ms a request on Linux.
    disable_nagle_algorithm = True
    server_version = f"mapper-serve/{__version__}"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.busy = False
        #: when set (time.monotonic()), the time by which the request line and headers (or the body being read) must have arrived
        self.deadline: float | None = None
        #: the most one read waits while there is a deadline (the idle timeout; LINGER while an unread body is read away)
        self.read_wait: float | None = self.timeout
        self.head_bytes = 0  # bytes of the request head read so far
        self.head_timed_out = False
        self.deadline_passed = False  # (the last read that timed out waited until the deadline)
        self.answered = 0  # requests answered on this connection (a request line after one may be its body's rest)
        self.last_method = ""  # the method of the connection's last request read (Go's conn.lastMethod: see _one_request)
        self.line_ends_skipped = 0  # CR or LF bytes read away before this request line, after a POST (see _skip_line_ends)
        self.linger = False  # (closed after an answer: the client may still be sending; see _linger)
        self.lingering = False
        self.rfile.close()  # (socketserver's file: the socket is closed only once every file made of it is)
        self.rfile = io.BufferedReader(_DeadlineReader(self), io.DEFAULT_BUFFER_SIZE)
        self.server.track(self, True)

    def handle_one_request(self) -> None:
        """One request: its line and headers must arrive within the idle timeout of the
        connection turning idle, however they trickle in (slowloris: a header byte every few
        seconds held a connection, and its thread, for ever; ``--max-connections`` of them shut
        everyone else out). A client cut so mid-head is answered 408 and the connection closed;
        an idle connection that sent nothing is closed without an answer, as before."""
        self.deadline = time.monotonic() + self.timeout if self.timeout else None
        self.head_bytes = 0
        self.head_timed_out = False
        self.command = self.requestline = ""  # (until http.server reads them: a 408 may come first)
        self._one_request()  # (the connection ended on a TimeoutError, as http.server ends it)
        if self.head_timed_out and self.head_bytes:
            self.send_error(
                408,
                f"the request line and headers did not arrive within {self.timeout:g} s, the time this service waits for them "
                "(however slowly they come): send the request whole",
            )
        self.deadline = None

    def _one_request(self) -> None:
        """http.server's ``handle_one_request`` but for its bound on the request line: it refused one over 65,536 bytes,
        414, where Go's net/http server (the service's) reads it as it reads a header line, with no bound of its own, the
        head bounded by its bytes alone (:data:`HEAD_MAX`: 431 beyond)."""
        try:
            self.line_ends_skipped = 0
            if self.last_method == "POST":  # (Go's readRequest: "RFC 7230 section 3 tolerance for old buggy clients", after a POST alone)
                self._skip_line_ends()
            try:
                self.raw_requestline = self._request_line()
            except _HeadTooLarge:
                self._refuse_head()
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self.last_method = self.command
            self._handle()  # (any method, CONNECT too: Go's server hands every one to the handler, which answers 405 or 404)
            self.wfile.flush()
        except TimeoutError as exc:  # a read or a write timed out: the connection is dropped
            self.log_error("Request timed out: %r", exc)
            self.close_connection = True

    def _skip_line_ends(self) -> None:
        """Up to 4 CR or LF bytes before the request line read away, as Go's net/http server (the service's) reads them
        after a POST on the connection (``numLeadingCRorLF`` of a ``Peek(4)``): an old client's CRLF after its body. After
        any other method, or as a connection's first bytes, an empty line is the request line: 400 (:meth:`parse_request`)."""
        reader: io.BufferedReader = self.rfile  # type: ignore[assignment]  # (setup's: a BufferedReader, which peeks)
        try:
            for _ in range(4):
                if reader.peek(1)[:1] not in (b"\r", b"\n"):  # (b"": the connection ended; the line read next says so)
                    return
                reader.read(1)
                self.line_ends_skipped += 1
        except TimeoutError:  # (every byte that came was read away: an idle connection, closed unanswered, not a head begun, 408)
            self.head_bytes = 0
            raise

    def _request_line(self) -> bytes:
        """The request line read (:class:`_HeadTooLarge` past :data:`HEAD_MAX`)."""
        line: bytes = self.rfile.readline(HEAD_MAX + 1)
        if len(line) > HEAD_MAX:
            raise _HeadTooLarge
        return line

    def _refuse_head(self) -> None:
        """A head over :data:`HEAD_MAX` answered 431, as Go's server answers it, and the rest read away."""
        self.send_error(431, f"the request line and headers are over {HEAD_MAX:,} bytes (1 MiB and 4 KiB), the most this server reads, as the service")
        # (the rest read away as the connection closes, LINGER at most: closed with it unread, the connection was reset
        # under a client still writing it, which failed on a broken pipe without reading the 431; see _linger)
        self.linger = True

    def finish(self) -> None:
        try:
            if self.linger:
                self._linger()
            super().finish()
        finally:
            self.server.track(self, False)

    def _linger(self) -> None:
        """A lingering close (RFC 9112 9.6), of a connection closed after an answer while the client may still be sending
        (a body refused unread, or past the cap, a head past HEAD_MAX): the write side shut once the answer is out, so the client
        reads it to its end, then what it sends read away and dropped until it closes, for :data:`LINGER` seconds at most
        (however much: a body of any size was read away so, and one far over the cap sent at once is read in that time).
        Closed at once with bytes unread, the connection was reset, and a client still writing its body (``http.client``,
        ``requests``) failed on a broken pipe, never reading the answer that said why."""
        self.lingering = True  # (a stop wakes it, as an idle connection: nothing of it is in progress)
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            with self._deadline(LINGER, LINGER):
                while self.rfile.read1(1 << 16):
                    pass
        except OSError:
            pass

    def parse_request(self) -> bool:
        """http.server's reading of the request line and headers, and what it lets through refused."""
        self.expect_continue = False
        line: bytes = self.raw_requestline  # type: ignore[has-type]  # (set by http.server before it calls this)
        if not line.strip(b" \t\r\n"):  # (http.server closed the connection unanswered)
            self.command = self.requestline = ""
            self.send_error(400, _blank_request_line(line, self.line_ends_skipped))
            return False
        if self.raw_requestline[:2] == b"\x16\x03":  # a TLS record's first bytes: logged as 400 bytes of "Bad request syntax ('\x16\x03...')"
            self.command = self.requestline = ""
            self.send_error(400, "a TLS handshake (a client given an https:// URL): this server speaks plain HTTP, give it http://")
            return False
        kept = _HeadLines(self.rfile, HEAD_MAX - len(self.raw_requestline))
        self.rfile = kept  # type: ignore[assignment]  # (for http.server's reading of the header lines: see _HeadLines)
        # PRI * HTTP/2.0 (the HTTP/2 preface's line) is a request Go's HTTP/1 server takes (http1ServerSupportsRequest), read
        # as one of HTTP/1.1 here, where http.server refuses any version from 2.0 on 505 before reading a header
        preface = line.rstrip(b"\r\n") == PRI_LINE
        if preface:
            self.raw_requestline = PRI_LINE[:-3] + b"1.1\r\n"
        try:
            parsed = super().parse_request()
        except _HeadTooLarge:  # (99 lines of 64 KiB, 6.4 MB, were read and held: a few MB a connection, 256 connections)
            self._refuse_head()
            return False
        finally:
            self.rfile = kept.reader
            if preface:
                self.raw_requestline = line
                self.requestline, self.request_version = PRI_LINE.decode(), "HTTP/2.0"
        if not parsed:
            return False
        if preface:  # (its answer closes the connection, as Go's closes it: req.Close for the preface, Connection: close else)
            self.close_connection = True
        # the header lines as http.client parses them (ISO-8859-1, the email parser), which had none to read (see _HeadLines)
        self.headers = email_parser.Parser(_class=self.MessageClass).parsestr(b"".join(kept.lines).decode("iso-8859-1"))
        if _CONTINUE_TOKEN.search(self.headers.get("Expect", "")) and _http_version(self.request_version) >= (1, 1):  # (a token, as Go's expectsContinue)
            self.expect_continue = True  # (http.server's look at it saw no headers: handle_expect_100's one effect, here)
        words = self.requestline.split()
        if len(words) == 3 and words[1].startswith("//"):  # (http.server took all but one of its leading slashes off: the target as sent, for Go's 301)
            self.path = words[1]
        if len(words) < 3:  # (HTTP/0.9's: http.server would answer it without a status line)
            self.send_error(400, "the request line has no HTTP version (HTTP/0.9 is not taken)")
            return False
        problem = _request_line_problem(self.requestline)
        if problem is not None:  # (Go's readRequest refuses it before reading a header; http.server took it)
            self.send_error(400, problem)
            return False
        major, minor = _http_version(self.request_version)
        if major != 1 and not preface:  # (HTTP/0.9 said, HTTP/0.5, 2.0 but in PRI *: Go's http1ServerSupportsRequest refuses it 505)
            self.send_error(505, f"Invalid HTTP version ({major}.{minor})")
            return False
        # a line that is not a header: the ones after it (Host, Content-Length) were dropped. (Not
        # the defects the email parser finds in a multipart/form-data Content-Type's missing body:
        # those refused every form post as "malformed", not as the content type it is.)
        lone_cr = _lone_cr_problem(kept.lines)  # (before the defects: a lone CR makes one, said as "no colon" after it)
        if lone_cr is not None:
            self.send_error(400, f"a header line is malformed ({lone_cr}): the headers cannot be read")
            return False
        if any(isinstance(d, _HEADER_DEFECTS) for d in self.headers.defects):
            self.send_error(400, f"a header line is malformed ({_malformed_header(self.headers)}): the headers cannot be read")
            return False
        if any(line[:1] == b":" for line in kept.lines):  # (": value": dropped by the email parser, refused by Go's server; a name is a token)
            self.send_error(400, "a header line is malformed (a line with no name before its colon: a header is Name: value): the headers cannot be read")
            return False
        if any("\n" in v for v in self.headers.values()):  # a line folded (obs-fold, RFC 9112 5.2): read as Go's server reads it
            self.headers = _unfolded(self.headers)
        # Connection is a list of options (RFC 9110 7.6.1), maybe in several headers: http.server looked at the first
        # header's whole value, so "Connection: TE, close" (LWP's) or "keep-alive, close" kept the connection open
        options = {o.strip().lower() for v in self.headers.get_all("Connection") or () for o in v.split(",")}
        if "close" in options:
            self.close_connection = True
        elif "keep-alive" in options:
            self.close_connection = False
        return True

    def _host_problem(self) -> str | None:
        """What is wrong with the request's Host headers, as Go's net/http server (the service's) refuses
        them before any handler (400, the connection closed with the body unread, as Go's ``conn.serve`` closes it): none in an
        HTTP/1.1 request (RFC 9112 3.2; but a CONNECT, whose target names its host, and the HTTP/2 connection preface,
        :meth:`_h2_preface`, as Go's ``readRequest`` lets them through), more than one, or one holding a byte no host
        holds (:func:`_malformed_host`). An HTTP/1.0 request without one is served. (Served before, so a producer whose hand-made requests left Host out, which the service
        refuses, passed against its stand-in; the loopback Host check, :meth:`_HTTPServer.host_refusal`,
        is unchanged: a browser always sends Host.)"""
        hosts = self.headers.get_all("Host") or []
        if len(hosts) > 1:
            shown = ", ".join(_quoted(h.strip(), 80) for h in hosts[:3])
            return f"too many Host headers: the request has {len(hosts)} ({shown}{', ...' if len(hosts) > 3 else ''}), so which host it is for cannot be told; send one"
        if not hosts and _http_version(self.request_version) >= (1, 1) and self.command != "CONNECT" and not self._h2_preface():
            return (
                "missing required Host header: an HTTP/1.1 request names the host and port it is sent to "
                "(Host: 127.0.0.1:8080, RFC 9112 3.2), as the service requires; send one (every HTTP client library does), or send HTTP/1.0"
            )
        return _malformed_host(hosts[0]) if hosts else None

    def _h2_preface(self) -> bool:
        """Whether the request is the HTTP/2 connection preface (``PRI * HTTP/2.0`` and no header: RFC 9113 3.4), which a
        client of HTTP/2 with prior knowledge sends (``curl --http2-prior-knowledge``), as Go's ``Request.isH2Upgrade`` tells
        it. Go's HTTP/1 server takes it, without a Host, and hands it to its handler, whose ServeMux answers a target ``*``
        400 (:meth:`_star_refusal`); it serves no HTTP/2 on a plain connection unless told to (``Server.Protocols``)."""
        return self.command == "PRI" and self.path == "*" and self.request_version == "HTTP/2.0" and not self.headers.keys()

    def handle_expect_100(self) -> bool:
        """Expect: 100-continue: the 100 is sent when the body is read, not before the request is judged."""
        self.expect_continue = True
        return True

    def _handle(self) -> None:
        """One request, in its steps: where its body ends (:meth:`_framing`), the answer
        (:meth:`_answer`), what of the body is left to read away after it (:meth:`_leftover`),
        the answer sent (:meth:`_send`), then the body read away."""
        self._end_head()
        self.busy = True
        self.answered += 1
        start = time.perf_counter()
        self.body_read = False
        self.chunk_pending = 0  # (bytes of a chunk a 413 left unread: read away with the chunks after it)
        self.body_left = False  # (refused as Go refuses it before any handler: the body not read away, the connection closed)
        try:
            framing = self._framing()
            resp = self._answer(framing)
            unread = self._leftover(framing)
            code, why = _said_error(resp)
            said = f"{self.command} {_as_sent(self.path)[:200]} {resp.status}{code}"
            try:
                self._send(resp)
            except OSError as exc:  # (a client gone mid-body left no line at all: the log said nothing of the request)
                how = (
                    f"the client did not read it within {self.timeout:g} s"
                    if isinstance(exc, TimeoutError)
                    else f"the client closed the connection ({type(exc).__name__})"
                )
                self._log(f"{said} not sent, {how} {1000 * (time.perf_counter() - start):.1f} ms{why}{resp.note}")
                raise
            self._log(f"{said} {len(resp.body)} bytes {1000 * (time.perf_counter() - start):.1f} ms{why}{resp.note}")
            if unread:
                self._read_away(unread)
            # (closed with its body unread, or still coming, the connection would be reset under a client still sending it,
            # the answer maybe lost: read away as it closes, _linger; not after a 408, nor a body read away that did not all
            # come within LINGER: the client's time is spent, and the connection closed within LINGER of the answer)
            self.linger = self.close_connection and not unread and resp.status != 408 and self._body_unfinished(framing)
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True
        finally:
            self.busy = False

    def _framing(self) -> _Framing:
        """Where the request's body ends, from its Content-Length and Transfer-Encoding headers, as Go's net/http server
        (the service's) reads them (``transferReader.parseTransferEncoding``, ``fixLength``, ``parseContentLength``)."""
        # (HTTP's white space alone, space and tab (RFC 9110 5.6.3): str.strip() took a vertical tab, a form feed, \x1c-\x1f and,
        # read as Latin-1, NEL and the no-break space too, so "Content-Length: \x0b257" and "Transfer-Encoding: chunked\xa0"
        # framed a body Go's server (the service's) refuses, and a proxy in front may frame otherwise)
        lengths = {v.strip(_OWS) for v in self.headers.get_all("Content-Length") or ()}
        codings = self.headers.get_all("Transfer-Encoding") or []
        chunked = False
        unsupported = None
        if codings and _http_version(self.request_version) < (1, 1):
            # an HTTP/1.0 request's Transfer-Encoding is ignored, its body read by its Content-Length (Go's issue 12785);
            # taken out of the headers the routes read, as Go takes it out of Request.Header
            del self.headers["Transfer-Encoding"]
        elif len(codings) > 1:  # (one header field alone: several were read as one list before, "chunked" last decoding them)
            shown = ", ".join(_quoted(c.strip(_OWS), 30) for c in codings[:3])
            unsupported = f"{len(codings)} Transfer-Encoding headers ({shown}{', ...' if len(codings) > 3 else ''}), where one is taken"
        elif codings:
            coding = codings[0].strip(_OWS)
            chunked = coding.isascii() and coding.lower() == "chunked"  # (ASCII's case alone: Go's ascii.EqualFold)
            if not chunked:
                unsupported = f"a Transfer-Encoding of {_quoted(coding, 60)}"
        length: int | None = None
        bad_length = False
        if len(lengths) == 1 and _DIGITS.fullmatch(next(iter(lengths))):
            digits = next(iter(lengths)).lstrip("0") or "0"
            # beyond an int64 (strconv.ParseUint(s, 10, 63)) Go's server refuses it, 400 "bad Content-Length" (a 413 here before)
            bad_length = len(digits) > 19 or int(digits) > CONTENT_LENGTH_MAX
            length = None if bad_length else int(digits)
        elif lengths:  # junk, a sign, or copies that disagree: where the body ends is unknown
            bad_length = True  # 400, then close (RFC 9112 6.3)
        return _Framing(length, chunked, unsupported, bad_length, lengths)

    def _read_body(self, framing: _Framing, limit: int) -> bytes:
        """The request's body (a route's :meth:`Request.body`), at most ``limit`` bytes: 400 without a
        length, 413 beyond the limit, 408 or 400 (and the connection closed) when it does not all come."""
        length = framing.length
        if framing.chunked:
            return self._read_chunked(limit)
        if length is None:  # a POST with a body and no length (its body would be read as the next request)
            self.close_connection = True
            raise ServiceError(
                400, MISSING_PARAMETER, "the request has no body (neither a Content-Length nor Transfer-Encoding: chunked): send one, with a Content-Length"
            )
        if length > limit:
            raise ServiceError(413, TOO_LARGE, f"the body is {length:,} bytes; this endpoint takes at most {limit:,}")
        self.body_read = True
        if self.expect_continue:  # only now: a body refused unread is never asked for
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        allowed = _body_time(self.timeout, length)
        late = False
        try:
            with self._deadline(allowed, self.timeout):
                data = self._read_exactly(length)
        except TimeoutError:
            data, late = b"", self.deadline_passed
        except OSError:  # the client stopped sending (the idle timeout) or went away
            data = b""
        if late:  # (a byte now and then, each within the idle timeout, held the connection and its thread for ever)
            self.close_connection = True
            raise ServiceError(
                408,
                _HTTP_CODES[408],
                f"the body of {length:,} bytes did not arrive within {allowed:,.1f} s (the idle timeout and a second for each "
                f"{BODY_MIN_RATE:,} bytes): send it faster",
            )
        if len(data) < length:
            self.close_connection = True
            raise ServiceError(400, INVALID_BODY, "the body ended before its Content-Length (the client stopped sending)")
        return data

    def _read_chunked(self, limit: int, wait: float | None = None, seconds: float | None = None) -> bytes:
        """A body sent ``Transfer-Encoding: chunked`` (RFC 9112 7.1: curl ``-T -``, Go's client and
        ``requests`` given a stream send one), decoded, at most ``limit`` bytes: 413 as soon as its
        chunks pass it (the rest is read away after the answer, never kept), 400 for a chunk that is
        not one (and the connection closed), 408 or 400 when it does not all come, as for a body with
        a Content-Length. Chunk extensions and trailer lines are read and ignored. ``wait``: the most a read waits (the
        idle timeout when None); ``seconds``: the most the whole body may take (``wait`` and a second for each
        :data:`BODY_MIN_RATE` bytes of ``limit`` when None)."""
        self.body_read = True
        if self.expect_continue:
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        wait = self.timeout if wait is None else wait
        allowed = _body_time(wait, limit) if seconds is None else seconds
        asked_close = self.close_connection  # (Connection: close, HTTP/1.0)
        self.close_connection = True  # (until its last chunk has come: where it ends is known only then)
        parts: list[bytes] = []
        size = 0
        self.chunk_excess = 0
        try:
            with self._deadline(allowed, wait):
                while True:
                    n = self._chunk_size()
                    if n == 0:
                        self._trailers()
                        break
                    if size + n > limit:
                        self.chunk_pending = n + 2  # (read away after the answer, with the chunks after it)
                        raise ServiceError(413, TOO_LARGE, f"the chunked body is over {limit:,} bytes, the most this endpoint takes")
                    data = self._read_exactly(n)
                    if len(data) < n or self.rfile.read(2) != b"\r\n":
                        raise ServiceError(400, INVALID_BODY, _CHUNK_CUT if len(data) < n else _CHUNK_UNENDED)
                    parts.append(data)
                    size += n
        except TimeoutError:
            if self.deadline_passed:
                raise ServiceError(
                    408,
                    _HTTP_CODES[408],
                    f"the chunked body did not arrive within {allowed:,.1f} s (the idle timeout and a second for each {BODY_MIN_RATE:,} bytes of the largest body): send it faster",
                ) from None
            raise ServiceError(400, INVALID_BODY, _CHUNK_CUT) from None
        except OSError:  # the client went away
            raise ServiceError(400, INVALID_BODY, _CHUNK_CUT) from None
        # (kept with a Content-Length beside it too: Go's fixLength drops the length and keeps the connection; closed before, RFC 9112 6.3)
        self.close_connection = asked_close
        return b"".join(parts)

    def _chunk_size(self) -> int:
        """The next chunk's size line read: its size (0: the last chunk); 400 for one that is not a size."""
        line = self.rfile.readline(CHUNK_LINE_MAX + 1)
        if len(line) > CHUNK_LINE_MAX:  # (its CRLF counted: a line of CHUNK_LINE_MAX + 1 bytes ending in LF was taken)
            raise ServiceError(400, _HTTP_CODES[400], f"a chunk's size line is longer than {CHUNK_LINE_MAX:,} bytes (its extensions): the body cannot be read")
        if not line.endswith(b"\n"):
            raise ServiceError(400, INVALID_BODY, _CHUNK_CUT)
        if not line.endswith(b"\r\n") or b"\r" in line[:-2]:  # (Go's readChunkLine: "chunked line ends with bare LF", "invalid CR in chunked line")
            raise ServiceError(
                400,
                _HTTP_CODES[400],
                f"a chunk's size line must end in CRLF and hold no other CR, not {line[:40].decode('latin-1')!r} (a bare LF ends "
                "no line of a chunked body, RFC 9112 7.1, as the service's Go server reads it): the chunked body cannot be read",
            )
        n = _chunk_size_of(line)
        if n is None:
            # (repr escapes what is not printable: printable's escapes quoted with it were said twice, '5\\x01')
            shown = line.rstrip(b"\r\n")[:40].decode("latin-1")
            raise ServiceError(400, _HTTP_CODES[400], f"a chunk's size must be a hexadecimal number, not {shown!r}: the chunked body cannot be read")
        # The bytes around the data (size lines, extensions, CRLFs) are never kept, but each is read: tiny
        # chunks with long extensions were gigabytes on the wire for a body under the cap. As Go's server
        # counts them: 16 bytes and twice its data's a chunk are free, 16 KiB more at most in all.
        self.chunk_excess = max(0, self.chunk_excess + len(line) + 2 - 16 - 2 * n)
        if self.chunk_excess > CHUNK_EXCESS_MAX:
            raise ServiceError(
                400,
                _HTTP_CODES[400],
                "the chunked body holds too much besides its data (chunk size lines and extensions for chunks of a few bytes): send larger chunks",
            )
        return n

    def _trailers(self) -> None:
        """The trailer lines after the last chunk, up to the empty line that ends the body: read, checked and ignored, at most
        :data:`TRAILER_MAX` bytes of them with that line, as Go's net/http server (the service's) reads them (``body.readTrailer``:
        the double CRLF must come within its reader's 4 KiB buffer, else "suspiciously long trailer after chunked body"; then
        textproto's ``ReadMIMEHeader``: :func:`_trailer_problem`), an error of the body's read: 400 here, and the connection
        closed, as Go closes it after a body read in error. Their count is not bounded (431 past 100 lines or one of 8 KiB
        before: a status Go gives a head alone)."""
        left = TRAILER_MAX
        lines: list[bytes] = []
        while True:
            line = self.rfile.readline(left + 1)
            left -= len(line)
            if left < 0:
                raise ServiceError(
                    400,
                    _HTTP_CODES[400],
                    f"the trailer after the chunked body's last chunk is over {TRAILER_MAX:,} bytes with the empty line ending it, "
                    "the most the service's Go server reads: the body cannot be read (send the fields as headers)",
                )
            if not line.endswith(b"\n"):
                raise ServiceError(400, INVALID_BODY, _CHUNK_CUT)
            if line in (b"\r\n", b"\n"):
                break
            lines.append(line)
        # (Go looks for the CRLF CRLF that ends them, then reads the fields as its textproto reads a head's: ReadMIMEHeader)
        problem = "it does not end in CRLF and an empty line (a bare LF)" if line != b"\r\n" or (lines and lines[-1][-2:] != b"\r\n") else None
        problem = problem or _trailer_problem(lines)
        if problem is not None:
            raise ServiceError(
                400,
                _HTTP_CODES[400],
                f"the trailer after the chunked body's last chunk cannot be read: {problem}, where the service's Go server reads its "
                "fields as a head's (Name: value): the body cannot be read",
            )

    def _answer(self, framing: _Framing) -> Response:
        """The answer: a target no URI for a request, a body whose end is unknown or a Host not served refused, else the app's."""
        target = self.path
        if self.command == "CONNECT" and not target.startswith("/") and target != "*":
            target = "http://" + target  # (an authority, host:port: read as Go's readRequest reads it, its URL a host and no path)
        target_problem = _target_problem(target)
        if target_problem is not None:  # (first: Go's server reads the target before the headers, and closes the connection)
            self.close_connection = self.body_left = True
            return error_response(ServiceError(400, _HTTP_CODES[400], target_problem))
        refusal = self.server.host_refusal(self.headers, target)
        value_problem = _header_value_problem(self.headers)
        if value_problem is not None:  # (Go's textproto refuses it as it reads the headers: before their framing is read)
            self.close_connection = self.body_left = True
            return error_response(ServiceError(400, _HTTP_CODES[400], value_problem))
        if len(self.headers.get_all("Host") or ()) > 1:  # (Go's readRequest: "too many Host headers", before the framing: 501 here before)
            self.close_connection = self.body_left = True
            return error_response(ServiceError(400, _HTTP_CODES[400], str(self._host_problem())))
        if framing.unsupported is not None:  # (before the Content-Length, as Go's readTransfer reads them; 400 here before)
            self.close_connection = self.body_left = True
            # Go's words, which quote nothing the client sent ("so as to mitigate the risk of cross side scripting"); the log
            # says which Transfer-Encoding it was
            resp = error_response(ServiceError(501, _HTTP_CODES[501], "Unsupported transfer encoding"))
            resp.note = f" ({framing.unsupported}; one Transfer-Encoding header saying chunked is decoded, alone)"
            return resp
        if framing.bad_length:  # (Go's readTransfer refuses it: answered, then closed, the body unread, as for any error of readRequest)
            self.close_connection = self.body_left = True
            return error_response(
                ServiceError(
                    400,
                    _HTTP_CODES[400],
                    f"the Content-Length must be one number of bytes, digits 0-9 up to {CONTENT_LENGTH_MAX:,} (2**63-1; copies must agree), "
                    f"not {_quoted(', '.join(sorted(framing.lengths)), 60)}: where the body ends is unknown",
                )
            )
        trailer = _bad_trailer_key(self.headers) if framing.chunked else None
        if trailer is not None:  # (Go's fixTrailer, in readTransfer after the length: 400, the connection closed, the body unread)
            self.close_connection = self.body_left = True
            return error_response(
                ServiceError(
                    400,
                    _HTTP_CODES[400],
                    f"bad trailer key: the Trailer header names {_quoted(trailer, 40)}, a field no trailer may hold (Transfer-Encoding, Trailer and "
                    "Content-Length frame the body: RFC 9110 6.5.1), which the service's Go server refuses",
                )
            )
        host_problem = self._host_problem()  # (after the framing, as Go's server finds it)
        if host_problem is not None:  # (answered, then closed with the body unread, as Go's conn.serve closes it: read away before)
            self.close_connection = self.body_left = True
            return error_response(ServiceError(400, _HTTP_CODES[400], host_problem))
        expected = _expectation_failed(self.headers)
        if expected is not None:  # (after the framing and Host, as Go's server finds it: before any route, token or Host of serve's own)
            self.close_connection = True  # (as Go's sendExpectationFailed closes it)
            return error_response(ServiceError(417, _HTTP_CODES[417], expected))
        if refusal is not None:
            return error_response(refusal)
        if self.path == "*":
            return self._global_options(framing) if self.command == "OPTIONS" else self._star_refusal()
        try:
            return self.server.app.dispatch(self.command, _escaped_target(_origin_form(target)), self.headers, lambda limit: self._read_body(framing, limit))
        except Exception as exc:  # a bug must not take the server down: answer 500, say what on stderr
            # and close: a body read in part (it failed reading) would be read on as the next request
            self.close_connection = True
            if self.server.app.store.closed:  # (the store closed under it by a stop: no bug, the service stopping)
                return error_response(closed_error(self.server.app.store))
            print(
                printable(f"mapper serve: internal error on {self.command} {_as_sent(self.path)[:100]}: {type(exc).__name__}: {exc}"),
                file=sys.stderr,
            )
            return error_response(ServiceError(500, INTERNAL, "internal error"))

    def _global_options(self, framing: _Framing) -> Response:
        """``OPTIONS *`` (the server's own options, RFC 9110 9.3.7), answered as Go's net/http server
        (the service's) answers it before any route or token: 200, ``Content-Length: 0``, no body
        and no Content-Type; a body of up to :data:`OPTIONS_BODY_MAX` bytes is read away (the
        connection kept), a larger one closes the connection after the answer. (A 404 before.)"""
        if framing.length or framing.chunked:
            try:
                self._read_body(framing, OPTIONS_BODY_MAX)
            except ServiceError:  # larger (read away after the answer), cut or late: answered all the same, then closed
                self.close_connection = True
        return Response(200, b"", content_type="")

    def _star_refusal(self) -> Response:
        """The request target ``*`` with a method other than OPTIONS (``GET *``), answered as Go's net/http ServeMux (the
        service's) answers it before any route or token: 400, the connection closed (an HTTP/1.1 one: ``Connection: close``).
        (A 404 ``no such resource: *`` before.) Go's answer has no body; this one says why. So is the HTTP/2 connection
        preface, ``PRI * HTTP/2.0`` (:meth:`_h2_preface`; a 505 before), which Go's server hands to its ServeMux alike."""
        if _http_version(self.request_version) >= (1, 1):
            self.close_connection = True
        if self.command == "PRI" and self.request_version == "HTTP/2.0":
            return error_response(
                ServiceError(
                    400,
                    _HTTP_CODES[400],
                    "PRI * HTTP/2.0 (the HTTP/2 connection preface, sent with prior knowledge) is read as an HTTP/1 request, as the "
                    "service's Go server reads it on a plain connection: this service speaks HTTP/1.1 (send HTTP/1.1, or let the client "
                    "choose: no --http2-prior-knowledge)",
                )
            )
        return error_response(
            ServiceError(
                400,
                _HTTP_CODES[400],
                f"the request target * (the server as a whole, RFC 9112 3.2.4) is for OPTIONS alone, not {printable(_as_sent(self.command))[:20]}: "
                "send a path (/v2/sinks)",
            )
        )

    def _leftover(self, framing: _Framing) -> int:
        """The bytes of a body left unread once answered, to read away after the answer to keep the connection (0: none).
        Says when the connection closes after the answer: then what is left of the body is read away as it closes
        (:meth:`_linger`)."""
        length = framing.length
        if self.body_left:  # (refused as Go's readRequest refuses it: answered, then closed, the body unread, as conn.serve does)
            self.close_connection = True
            return 0
        if self.server.stopping:
            self.close_connection = True
        if framing.chunked and not self.body_read and not self.expect_continue and not self.close_connection:
            self._discard_chunked()  # (before the answer, as Go's server reads it: the answer says whether the connection is kept)
        if framing.bad_length or (framing.chunked and not self.body_read):
            self.close_connection = True  # (a chunked one refused unread, or past the cap: what is left read away as it closes)
        if framing.chunked or self.body_read or not length:
            return 0
        # The body was refused unread (or the route takes none: a GET with a Content-Length): read away after the answer
        # to keep the connection, unless it was never asked for (Expect: 100-continue: the client may not send it). Read
        # before the answer, a body that never came (a GET saying Content-Length: 100 and sending nothing) held the answer
        # and the thread for the idle timeout, 30 s. One of POST_HANDLER_READ_MAX bytes or more closes the connection, as
        # Go's server closes it (it said so: Connection: close; kept up to four times --max-body-bytes before), read away
        # as it closes (_linger): closed at once with the body unread, it was reset under a client still writing the body
        # (http.client, requests), which failed on a broken pipe, never reading the 413.
        if self.expect_continue or length >= POST_HANDLER_READ_MAX:
            self.close_connection = True
        return 0 if self.close_connection else length

    def _body_unfinished(self, framing: _Framing) -> bool:
        """Whether the request's body may still be coming: one not read (refused unread, or past the cap), or not to its end."""
        if framing.chunked:
            return not self.body_read or bool(self.chunk_pending)
        return bool(framing.length) and not self.body_read

    def _discard_chunked(self) -> None:
        """A chunked body refused unread, read away before its answer, as Go's net/http server (the service's) reads one to
        keep the connection (``chunkWriter.writeHeader``): up to :data:`POST_HANDLER_READ_MAX` bytes of its data, for
        :data:`LINGER` seconds at most in all. Read to its last chunk, the connection is kept (closed before, whatever its
        size); a longer body (the rest read away as the connection closes after the answer, :meth:`_linger`), one still coming after
        LINGER (its answer waited for it up to 28 s, a pause of up to LINGER at a time), or one that is no chunked body closes
        it, and the answer says so (``Connection: close``)."""
        try:
            self._read_chunked(POST_HANDLER_READ_MAX, LINGER, LINGER)
        except ServiceError:  # (past the most: chunk_pending is the rest of its chunk, read away after the answer)
            self.close_connection = True

    def _send(self, resp: Response) -> None:
        """The answer's status line, headers and body (none for a HEAD)."""
        self.send_response(resp.status)
        if resp.content_type:  # (none for no body: OPTIONS *)
            self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        # (NO_STORE: an answer written here that says nothing of caching, the handler's own refusals as the routes'
        # (App.dispatch), which said nothing, whatever they quoted of the request)
        headers = {**_ALWAYS, **resp.headers}
        for k, v in ({**headers, **NO_STORE} if "Cache-Control" not in headers else headers).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":  # (kept open as it asked: an HTTP/1.0 client reads to the close unless told, RFC 9112 C.2.2)
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has the headers of the body it does not send
            self.wfile.write(resp.body)

    def _read_exactly(self, n: int) -> bytes:
        """``n`` bytes of the body, or fewer when the client stops sending. A large body is read in
        parts of :data:`BODY_READ_AT_ONCE`: one read of ``n`` bytes asks for all of them at once, and
        with the limits lifted (``--bytes-per-s 1e12``: the body cap follows it) a Content-Length of
        100 GB was a MemoryError before a byte came (a 500)."""
        if n <= BODY_READ_AT_ONCE:
            return self.rfile.read(n)
        parts = []
        while n > 0:
            part = self.rfile.read(min(n, BODY_READ_AT_ONCE))
            if not part:
                break
            parts.append(part)
            n -= len(part)
        return b"".join(parts)

    def _read_away(self, length: int) -> None:
        """Read an answered request's unread body (under :data:`POST_HANDLER_READ_MAX` bytes) away, so the connection can
        carry the next request: all of it within :data:`LINGER` seconds of the answer, as a chunked one is read (a body
        still coming then, or that ends early, closes the connection instead, what more comes read away as it closes:
        :meth:`_linger`). It was given LINGER and a second for each :data:`BODY_MIN_RATE` bytes, 28 s for 256 KiB sent a
        byte now and then, the connection and its thread held all that time."""
        try:
            with self._deadline(LINGER, LINGER):
                length = self._skip(length)
        except OSError:
            pass
        finally:
            if length > 0:
                self.close_connection = True

    def _skip(self, n: int) -> int:
        """Read ``n`` bytes of the request away; how many did not come (the client stopped sending)."""
        while n > 0:
            chunk = self.rfile.read1(min(n, 1 << 16))
            if not chunk:
                break
            n -= len(chunk)
        return n

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, headers too long): in the service's shape, not HTML."""
        self._end_head()
        self.request_version = "HTTP/1.1"  # never answer as HTTP/0.9: a status line always
        self.close_connection = True
        shown = _read_as_sent(message) if message else "the request cannot be read"
        if code == 505:
            shown = f"{shown}: this server speaks HTTP/1.1 and HTTP/1.0"
        if code == 400 and self.answered and (message or "").startswith(("Bad request syntax", "Bad request version")):
            # (the previous request's body longer than its Content-Length: its rest read as this request's line)
            shown += f" after the connection's request {self.answered}: a request line is METHOD /path HTTP/1.1; if that request's Content-Length was short of its body, this is the body's rest"
        err = ServiceError(code, _HTTP_CODES.get(code, f"HTTP{code}"), shown)
        body = err.to_json()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in {**_ALWAYS, **NO_STORE}.items():
                self.send_header(k, v)
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass
        self._log(f"{code} {err.code}: {err.message}")

    @contextmanager
    def _deadline(self, seconds: float | None, wait: float | None) -> Iterator[None]:
        """Reads within it end ``seconds`` from now, each waiting at most ``wait`` s (a TimeoutError
        past either; :attr:`deadline_passed` says the whole time was spent); None: no deadline."""
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.read_wait, self.deadline_passed = wait, False
        if self.deadline is None and wait is not None:
            self.connection.settimeout(wait)
        try:
            yield
        finally:
            self.deadline, self.read_wait = None, self.timeout
            self.head_timed_out = False  # (a body's time out is no head's: no 408 for the head once answered)
            try:
                self.connection.settimeout(self.timeout)
            except OSError:
                pass

    def _end_head(self) -> None:
        """The request's head is read (or refused): reads wait the idle timeout again, each."""
        if self.deadline is not None:
            self.deadline = None
            try:
                self.connection.settimeout(self.timeout)
            except OSError:
                pass

    def log_error(self, format: str, *args: Any) -> None:
        # http.server's "Request timed out: TimeoutError('timed out')" is of a head that did not come in time: a kept-alive
        # connection on which nothing came, closed as it should be (a line for every client that kept one open, naming a
        # request there was none of), or a head cut off, which its 408 says (the same time out, said twice)
        if format.startswith("Request timed out"):
            return
        super().log_error(format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _handle logs each request its own way (with the time it took)

    def log_message(self, format: str, *args: Any) -> None:
        # http.server's own lines (malformed requests, log_error's too): to the app's log, never
        # headers, the request line's bytes read as UTF-8 as every line of mapper's reads them
        self._log(_read_as_sent(format % args))

    def _log(self, line: str) -> None:
        """A line to the app's log, its control characters escaped (a request line may hold terminal escapes)."""
        log = self.server.app.log
        if log is not None:
            log(printable(line))


def _malformed_header(headers: Message) -> str:
    """What is wrong with the header line the email parser stopped at (it keeps that line and those after it as the
    "payload"), naming the header by its name only: a value may be a token ("no colon" was said of every such line,
    ``Content-Length : 5`` too). As http.server read it, Latin-1: :meth:`_Handler.send_error` reads it as sent."""
    if any(isinstance(d, email_errors.FirstHeaderLineIsContinuationDefect) for d in headers.defects):
        return "the first header line starts with white space: a continuation of no header"
    payload = headers.get_payload()
    line = payload.split("\n", 1)[0].rstrip("\r") if isinstance(payload, str) else ""
    name, colon, _ = line.partition(":")
    if colon and name != name.rstrip(" \t"):
        return f"white space between the name '{name.strip()[:40]}' and its colon, RFC 9112 5.1"
    if colon:
        return f"the name '{name[:40]}' holds a character a header name cannot: letters, digits and !#$%&'*+-.^_`|~ only"
    words = line.split()
    return f"no colon after '{(words[0] if words else line)[:40]}': a header is Name: value"


class _HeadLines:
    """A connection's reader for http.server's reading of the header lines, which reads them itself, to the empty line
    that ends them, however long or many: Go's net/http server (the service's) bounds a head by its bytes alone (its
    ``MaxHeaderBytes`` and the 4 KiB ``initialReadLimitSize`` adds: :data:`HEAD_MAX`, the request line's included; past
    it :class:`_HeadTooLarge`, answered 431), where http.client answered 431 to a line over 65,536 bytes or a 100th line.
    It keeps the lines as sent and hands http.client none (:meth:`_Handler.parse_request` parses the lines kept): the
    email parser it reads them with ends a line at a lone CR too, so what a header held after one was read as a header of
    its own, or a CR before the CRLF as the empty line ending the head (:func:`_lone_cr_problem`)."""

    def __init__(self, reader: Any, left: int):
        self.reader = reader
        self.left = left  # the bytes the head may hold yet
        self.lines: list[bytes] = []

    def readline(self, size: int = -1) -> bytes:
        while not self.lines or self.lines[-1] not in (b"\r\n", b"\n", b""):
            line: bytes = self.reader.readline(self.left + 1)
            if len(line) > self.left:
                raise _HeadTooLarge
            self.left -= len(line)
            self.lines.append(line)
        return b"\r\n"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reader, name)


#: A line folded inside a header's value (obs-fold, RFC 9112 5.2) with the white space around the fold.
_FOLD_RUN = re.compile(r"[ \t]*\r?\n[ \t]*")


def _unfolded(headers: Message) -> Message:
    """``headers`` with each folded value read as Go's server (the service's) reads it: the fold and the white space
    around it one space, none before the value. http.server keeps a fold as sent (``"\\r\\n "``): ``Host:\\r\\n 127.0.0.1``
    was a malformed Host (a control character) and ``Authorization: Bearer\\r\\n\\tTOKEN`` a token of the scheme
    ``"Bearer\\r\\n"``, each served by Go's server."""
    unfolded = type(headers)()
    for name, value in headers.items():
        unfolded[name] = _FOLD_RUN.sub(" ", value).lstrip(" \t") if "\n" in value else value
    return unfolded


def _lone_cr_problem(lines: list[bytes]) -> str | None:
    """Why header lines are refused for a carriage return that ends no line (a line ends at LF or CRLF), naming the
    header by its name only: Go's server (the service's) reads a line to its LF and refuses the CR left in it (a control
    character in a header's value, or its name), 400, where http.server read another header, or the head's end, there."""
    name = ""
    for line in lines:
        body = line.removesuffix(b"\n").removesuffix(b"\r")
        if body[:1] not in (b" ", b"\t"):  # (a folded line's CR is its header's)
            name = body.split(b":", 1)[0].split(b"\r", 1)[0].decode("latin-1")
        if b"\r" in body:
            return f"the line of the header {name[:40]!r} holds a carriage return (CR) that is no line's end: a header line ends at CRLF, RFC 9112 2.2"
    return None


#: What the email parser finds wrong in the header lines themselves (its other defects are of a multipart body it never saw).
_HEADER_DEFECTS = (email_errors.MissingHeaderBodySeparatorDefect, email_errors.FirstHeaderLineIsContinuationDefect)


class _DeadlineReader(io.RawIOBase):
    """A connection's bytes for its handler's ``rfile``: while the handler has a deadline (its
    request's head), each read waits at most until then, and a read past it is a TimeoutError,
    as a read that waited the socket's timeout is; otherwise the socket's timeout alone."""

    def __init__(self, handler: _Handler):
        self.handler = handler
        self.sock: socket.socket = handler.connection

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        h = self.handler
        if h.deadline is None:
            return self.sock.recv_into(buffer)
        left = h.deadline - time.monotonic()
        wait = min(left, h.read_wait) if h.read_wait else left
        try:
            if left <= 0:
                raise TimeoutError("the request did not arrive in time")
            self.sock.settimeout(wait)
            n = self.sock.recv_into(buffer)
        except TimeoutError:
            h.head_timed_out = True
            h.deadline_passed = wait >= left  # (the whole time was spent, not one read's wait)
            raise
        h.head_bytes += n
        return n


class _HeadTooLarge(Exception):
    """Raised when a request's head passes :data:`HEAD_MAX` (:meth:`_Handler._request_line`, :class:`_HeadLines`; answered 431)."""


@dataclass(frozen=True)
class _Framing:
    """Where a request's body ends, as its headers say (:meth:`_Handler._framing`)."""

    length: int | None  # the Content-Length (None: none, or not one number)
    chunked: bool  # Transfer-Encoding: chunked (read to its last chunk: :meth:`_Handler._read_chunked`)
    unsupported: str | None  # a Transfer-Encoding other than one header saying chunked, said (501, as Go's server answers it)
    bad_length: bool  # a Content-Length not one number of digits up to 2**63-1, or copies that disagree (400)
    lengths: set[str] = field(default_factory=set)  # the Content-Lengths sent (for the 400's message)


#: A method as Go's ``validMethod`` takes it: a token (RFC 9110 5.6.2), any case (``get`` is a method, not GET).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: An HTTP version as Go's ``ParseHTTPVersion`` reads one: a digit each side of the dot (``HTTP/1.10`` is none).
_GO_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")


#: A byte no header value holds (RFC 9110 5.5; Go's ``httpguts.ValidHeaderFieldValue``): a control character but tab.
#: Of a header's value (:func:`_header_value_problem`) and a trailer field's (:func:`_trailer_problem`) alike.
_NOT_VALUE_BYTE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _bad_trailer_key(headers: Message) -> str | None:
    """The first field a chunked request's ``Trailer`` headers name that frames a body (Transfer-Encoding, Trailer,
    Content-Length: Go's ``fixTrailer`` refuses it, "bad trailer key"), as http.server read it; None when there is none."""
    for value in headers.get_all("Trailer") or ():
        for key in value.split(","):
            if key.strip(_OWS).lower() in ("transfer-encoding", "trailer", "content-length"):
                return key.strip(_OWS)
    return None


def _trailer_problem(lines: list[bytes]) -> str | None:
    """Why trailer lines (each with its line end) are no fields to Go's textproto (``ReadMIMEHeader``, which Go's
    ``body.readTrailer`` reads them with), naming a field by its name alone; None when they are fields. A line folded
    onto the one before (white space first) is its value's, but not the first line's; a name may hold spaces (Go reads
    ``X-A : 1`` in a trailer), no other byte beyond a token's; a value no control character but a tab."""
    for i, raw in enumerate(lines):
        line = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
        if line[:1] in (b" ", b"\t"):
            if not i:
                return "its first line starts with white space, a continuation of no field"
            value = line
        else:
            name, colon, value = line.partition(b":")
            shown = _quoted(name.decode("latin-1"), 40)
            if not colon:
                return f"a line with no colon after {shown}"
            if not name.strip(b" ") or not _TOKEN.fullmatch(name.replace(b" ", b"").decode("latin-1")):
                return f"the name {shown} holds a character a field name cannot"
        bad = _NOT_VALUE_BYTE.search(value.decode("latin-1"))
        if bad is not None:
            return f"the field {shown} holds the control character {bad.group()!r} in its value"
    return None


def _request_line_problem(line: str) -> str | None:
    """Why a request line http.server took (three words, an HTTP version of digits) is refused by Go's net/http server, the
    service's (``parseRequestLine``, ``validMethod``, ``ParseHTTPVersion``: 400 Bad Request, the connection closed); None when
    Go reads it. Go cuts the line at its first two spaces, so words parted by a tab, by two spaces or followed by one are no
    request line to it; a method holds token characters alone (any case); a version is ``HTTP/`` and a digit each side of a dot."""
    method, _, rest = line.partition(" ")
    target, _, version = rest.partition(" ")
    # (each part quoted as http.server quotes one, Latin-1 as it read it: send_error reads it as sent, _read_as_sent)
    if " ".join(line.split()) != line or not target:
        return (
            f"malformed HTTP request ({line[:80]!r}): a request line is METHOD /path HTTP/1.1, one space between each "
            "(a tab, two spaces or a space at its end: no request line to the service, a Go server)"
        )
    if not _TOKEN.fullmatch(method):
        return f"a method is letters, digits and the punctuation of a token (RFC 9110 5.6.2) alone: invalid method ({method[:40]!r})"
    if not _GO_VERSION.fullmatch(version):
        return f"malformed HTTP version ({version[:40]!r}): HTTP/1.1 or HTTP/1.0, a digit each side of the dot"
    return None


def _http_version(version: str) -> tuple[int, int]:
    """A request line's HTTP version as numbers (``HTTP/1.1``: (1, 1)), as http.server has checked it (digits, one dot)."""
    major, _, minor = version.partition("/")[2].partition(".")
    return int(major), int(minor)


def _said_error(resp: Response) -> tuple[str, str]:
    """An error answer's code and message for its log line (``" InvalidBody"``, ``": the body ..."``); empty for any
    other answer. The line said only the status: which of the many 400s a producer got, and why, was in no log."""
    if resp.status < 400 or resp.content_type != "application/json":
        return "", ""
    try:
        err = orjson.loads(resp.body)
    except orjson.JSONDecodeError:
        return "", ""
    if not isinstance(err, dict) or not isinstance(err.get("code"), str):
        return "", ""
    message = str(err.get("message", ""))
    return f" {err['code']}", f": {message[:300]}{'...' if len(message) > 300 else ''}"


#: The longest chunk size line (its extensions and CRLF) or trailer line read in a chunked body: as Go's net/http server
#: (the service's) reads one, within its reader's 4 KiB buffer (``readChunkLine``: "header line too long" beyond).
CHUNK_LINE_MAX = 4096
#: The most bytes of trailer lines after a chunked body's last chunk, with the empty line ending them: Go's net/http server
#: (the service's) finds their end within its reader's buffer, 4 KiB (``body.readTrailer``, ``seeUpcomingDoubleCRLF``).
TRAILER_MAX = 4096
#: What a chunked body may hold besides its data, beyond 16 bytes and twice its data's a chunk (Go's net/http allows as much).
CHUNK_EXCESS_MAX = 16 * 1024
_CHUNK_CUT = "the chunked body ended before its last chunk (the client stopped sending)"
_CHUNK_UNENDED = "a chunk's data is not followed by CRLF where its size says it ends: the chunked body cannot be read"


def _chunk_size_of(line: bytes) -> int | None:
    """A chunk's size from its size line (``size [; extensions] CRLF``), None for a line that is
    not one: white space only before the extensions (RFC 9112 7.1.1), hexadecimal digits alone.
    One rule for a body read and one read away after its refusal (a chunk the first takes
    stopped the second, and the connection was reset before the client read its 413)."""
    if not line.endswith(b"\r\n") or b"\r" in line[:-2]:  # (a bare LF, or a CR inside: no line to Go's readChunkLine)
        return None
    size = line.split(b";", 1)[0].rstrip(b" \t\r\n")
    return int(size, 16) if _HEX.fullmatch(size) else None


#: Headers of every answer: no answer is ever read as another type than it says (a JSON error as HTML)
_ALWAYS = {"X-Content-Type-Options": "nosniff"}


#: HTTP's optional white space around a header's value and its list items (RFC 9110 5.6.3): space and tab, no other; and
#: the CRLF of a line folded there (obs-fold, RFC 9112 5.2: read as a space, as Go's server reads it; http.server keeps it).
_OWS = " \t\r\n"
_DIGITS = re.compile(r"[0-9]+")  # a Content-Length as HTTP spells it (int() would take "1_0", "+5", " ５")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")  # a chunk size (RFC 9112 7.1)

_HTTP_CODES = {
    400: "BadRequest",
    408: "RequestTimeout",
    417: "ExpectationFailed",
    431: "RequestHeaderFieldsTooLarge",
    501: "NotImplemented",
    505: "HTTPVersionNotSupported",
}


#: Host names a server on a loopback address serves (besides the address it listens on).
_LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]", ""})
MISDIRECTED = "MisdirectedRequest"


def _host_of(value: str) -> str | None:
    """The host of a Host header (lowercase, an IPv6 address in brackets), its port checked; None when it is not one."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[: end + 1], value[end + 1 :]
    else:
        host, sep, port = value.partition(":")
        rest = sep + port
    if rest and not (rest[:1] == ":" and (rest == ":" or _DIGITS.fullmatch(rest[1:]))):
        return None
    return host


#: A character a request target's scheme holds after its first, a letter (Go's ``getScheme``, net/url).
_SCHEME_TAIL = frozenset("0123456789+-.")
#: The characters of the user part of an absolute-form target's authority (``user:pass@``), as Go's ``validUserinfo`` takes them.
_USERINFO = re.compile(r"[0-9A-Za-z\-._:~!$&'()*+,;=%@]*")
#: An ASCII character an absolute-form target's host may hold as itself, as Go's ``url.unescape`` in host mode takes it.
_HOST_CHARS = re.compile(r"[0-9A-Za-z\-_.~!$&'()*+,;=:\[\]<>\"%\x80-\xff]*")  # (a byte not ASCII as itself: Go leaves it to IDNA)
#: A ``%`` not followed by two hex digits: no percent-escape (Go: ``invalid URL escape "%zz"``).
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _split_target(target: str) -> tuple[str | None, str]:
    """A request target's scheme and the rest, as Go's ``getScheme`` (net/url) reads it: ``""`` when it names none, None when
    it opens with ``:`` (Go: ``missing protocol scheme``)."""
    for i, c in enumerate(target):
        if ("a" <= c <= "z") or ("A" <= c <= "Z") or (i and c in _SCHEME_TAIL):
            continue
        if c == ":":
            return (target[:i], target[i + 1 :]) if i else (None, target)
        break
    return "", target


def _authority_of(target: str) -> tuple[str, str] | None:
    """An absolute-form target's authority (``user@host:port``) and its path and query (``/v2/sinks?x``); None for another."""
    scheme, rest = _split_target(target)
    if not scheme or not rest.startswith("//"):
        return None
    authority, rest = rest[2:], ""
    cut = min((i for i in (authority.find("/"), authority.find("?")) if i >= 0), default=-1)
    if cut >= 0:
        authority, rest = authority[:cut], authority[cut:]
    return authority, rest


def _origin_form(target: str) -> str:
    """The path and query of a request target (an absolute-form one's ``http://host`` left out): what routes read. An
    absolute-form target with no path (``http://127.0.0.1``, ``http://host?x``) is kept whole: Go's URL has an empty path,
    which its ServeMux cleans to ``/`` and redirects to (:func:`_no_path_redirect`; served as ``/`` before, a 404)."""
    found = _authority_of(target)
    if found is not None:
        return found[1] if found[1].startswith("/") else target
    scheme, rest = _split_target(target)
    return rest if scheme and rest.startswith("/") else target  # (http:/v2/sinks: Go reads the path /v2/sinks)


def _target_problem(target: str) -> str | None:
    """Why a request target (``self.path``: the request line's, read as Latin-1) is no URI for a request, as Go's server reads it
    (``url.ParseRequestURI``, which it answers 400 Bad Request and closes the connection for, before any route or header check):
    a control character; no path (``v2/sinks``, ``*foo``: neither origin-form ``/...``, absolute-form ``http://host/...`` nor
    ``*``); an authority Go cannot read (a port not digits, an IPv6 address not closed, a character no host or user holds);
    a ``%`` that is no percent-escape in the path. None for a target Go reads (``*`` too: :meth:`_Handler._star_refusal`;
    ``mailto:x``, a scheme and an opaque rest, too: redirected to ``/`` as Go's ServeMux does, :func:`_no_path_redirect`)."""
    for i, c in enumerate(target):
        if c < " " or c == "\x7f":
            return f"the request target holds a control character ({c!r} at char {i + 1}): percent-escape it (%{ord(c):02X})"
    if target == "*":
        return None
    scheme, rest = _split_target(target)
    rest = rest.partition("?")[0]  # (Go leaves the query as sent: a bad escape in it is the route's to judge)
    if not rest.startswith("/"):
        if scheme:
            return None
        return (
            f"the request target {_quoted(target, 100)} is not a path (/v2/sinks), a whole URL (http://127.0.0.1:8080/v2/sinks) or * "
            "(RFC 9112 3.2): a request names what it is for so"
        )
    found = _authority_of(target)
    if found is not None:
        authority, rest = found[0], found[1].partition("?")[0]
        problem = _authority_problem(authority)
        if problem is not None:
            return f"the request target's host {_quoted(authority, 100)} is malformed: {problem}"
    bad = _BAD_ESCAPE.search(rest)
    if bad is not None:
        return f"the request target's path holds {rest[bad.start() : bad.start() + 3]!r}, not a percent-escape (% and two hex digits: %25 for a % itself)"
    return None


def _authority_problem(authority: str) -> str | None:
    """Why an absolute-form target's authority is one Go's ``url.ParseRequestURI`` refuses (``parseAuthority``), or None."""
    user, at, host = authority.rpartition("@")
    if at and not _USERINFO.fullmatch(user):
        return f"its user {_quoted(user, 40)} holds a character a URL's user part may not hold as itself (percent-escape it)"
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            return "no ']' closes its IPv6 address"
        port = host[end + 1 :]
    else:
        colon = host.rfind(":")
        port = host[colon:] if colon >= 0 else ""
        if not _HOST_CHARS.fullmatch(host):
            return "it holds a character no host name holds"
        for m in re.finditer("%", host):
            escape = host[m.start() : m.start() + 3]
            if _BAD_ESCAPE.match(host, m.start()):
                return f"{escape!r} is not a percent-escape"
            if escape[1] < "8" and escape != "%25":  # (Go: a host escapes no ASCII character but %)
                return f"{escape!r} escapes an ASCII character, which a host holds as itself"
    if port and not (port[0] == ":" and (port == ":" or _DIGITS.fullmatch(port[1:]))):
        return f"its port {_quoted(port, 20)} is not digits"
    return None


#: A byte a Host header may not hold, as Go's net/http server (the service's) reads it (``httpguts.ValidHostHeader``,
#: golang.org/x/net: letters, digits and the characters of a URI's host and port, an IPv6 address and its zone; leniently,
#: not RFC 3986's grammar: ``a..b`` passes).
_NOT_HOST_BYTE = re.compile(r"[^0-9A-Za-z!$%&'()*+,\-.:;=\[\]_~]")


#: 100-continue as a token of an Expect value, as Go's ``hasToken`` finds it (bounded by a space, a tab, a comma or the ends; ASCII's case aside).
_CONTINUE_TOKEN = re.compile(r"(?:^|[ \t,])100-continue(?:$|[ \t,])", re.I | re.A)


def _expectation_failed(headers: Message) -> str | None:
    """Why a request's ``Expect`` is refused 417, as Go's net/http server (the service's) refuses it before any handler
    (``conn.serve``: an Expect, its first field, that is not empty and holds no ``100-continue`` token,
    ``sendExpectationFailed``, the connection closed); None for none, or one holding 100-continue."""
    value = (headers.get("Expect") or "").strip(_OWS)
    if not value or _CONTINUE_TOKEN.search(value):
        return None
    return (
        f"the request expects {_quoted(value, 60)}: the service (Go's net/http server) meets Expect: 100-continue alone, "
        "and answers 417 to any other expectation: send no Expect header, or Expect: 100-continue"
    )


def _malformed_host(value: str) -> str | None:
    """Why a Host header's value (read as Latin-1: a character a byte) is refused, as Go's server refuses it before any
    handler (400 ``malformed Host header``): a space, a ``/`` or ``@`` (a URL or ``user@`` sent as the host), a control
    character, a byte not ASCII (a name in another script goes in its ``xn--`` form); None for a host it reads. (Refused
    421 before on a loopback address, as a host not served, and served on any other: the service refuses it.) Checked
    before the loopback check, which refuses only well-formed hosts not served."""
    value = value.strip(" \t")  # (as Go's header reader trims it)
    bad = _NOT_HOST_BYTE.search(value)
    if bad is None:
        return None
    c = bad.group()
    xn = ""
    if c == " ":
        what = "a space"
    elif c == "\t":
        what = "a tab"
    elif c < " " or c == "\x7f":
        what = f"the control character {c!r}"
    elif c > "\x7f":  # (the bytes before it are ASCII: its char is its byte's place)
        sent = _as_sent(value[bad.start() :])
        what = f"the byte 0x{ord(c):02X}, not ASCII" if sent.startswith("\\x") else f"{sent[0]!r}, not ASCII"
        xn = "; a name in another script in its xn-- form"
    else:
        what = repr(c)
    return (
        f"malformed Host header: {_quoted(value, 80)} holds {what}, at char {bad.start() + 1}, which no host name, "
        f"IP address or port holds; send the host and port the request is sent to, alone (Host: 127.0.0.1:8080{xn}), as every HTTP client library does"
    )


#: The most bytes of a request's line and headers read, however many lines and however long (Go's server's, the
#: service's: ``http.DefaultMaxHeaderBytes``, 1 MiB, and the 4 KiB of "bufio slop" its ``initialReadLimitSize`` adds; 431
#: beyond). http.server read 99 lines of 64 KiB, 6.4 MB, a connection, and refused a 100th line or a longer one, 431.
HEAD_MAX = (1 << 20) + 4096

#: The largest Content-Length taken (Go's ``parseContentLength``: ``strconv.ParseUint(cl, 10, 63)``): 400 beyond.
CONTENT_LENGTH_MAX = (1 << 63) - 1


def _header_value_problem(headers: Message) -> str | None:
    """Why a request's headers are refused for a value holding a control character (NUL, a vertical tab, DEL; a tab
    and a folded line aside), as Go's net/http server (the service's) refuses them, 400 ``invalid header value``, before
    any handler: served before (``Content-Type: application/json\x0b`` taken as JSON), so a producer passed against serve
    and failed against the service. The header is named, its value never quoted (it may be a token's). (A folded
    line's fold is read as a space before: :func:`_unfolded`.)"""
    for name, value in headers.items():
        bad = _NOT_VALUE_BYTE.search(value)
        if bad is not None:
            return (
                f"invalid header value: the header {_quoted(name, 60)} holds the control character {bad.group()!r}, at char {bad.start() + 1} of its value, "
                "which no header value holds (RFC 9110 5.5), as the service refuses it: send the value without it"
            )
    return None


#: Connections served at once by default (each has its thread; see :class:`Server`).
MAX_CONNECTIONS = 256

#: Seconds the unread body of an answered request (a refusal, a route that takes none) may pause
#: while it is read away before the connection is closed instead (Apache's lingering close waits
#: 2 s too); the answer waits for none but a chunked one's (:meth:`_Handler._discard_chunked`).
LINGER = 2.0

#: The slowest a body may arrive, in bytes/s, after the idle timeout (or :data:`LINGER`, for one read
#: away): a body sent a byte now and then, each within the idle timeout, held its connection and
#: thread for ever (slowloris, on the body rather than the head), and ``--max-connections`` such
#: clients shut everyone else out. 10,000 bytes/s: a 1 MB body may take 30 s + 100 s.
BODY_MIN_RATE = 10_000


#: The most of an unread body read away to keep the connection, as Go's net/http server (the service's) reads it
#: (``maxPostHandlerReadBytes``, 256 KiB): a Content-Length of this or more closes the connection after the answer; a
#: chunked body is read before the answer, its data up to this, kept when it ends within it (:meth:`_Handler._discard_chunked`).
POST_HANDLER_READ_MAX = 256 << 10

#: The request line of the HTTP/2 connection preface (RFC 9113 3.4), a request Go's HTTP/1 server takes (:meth:`_Handler._h2_preface`).
PRI_LINE = b"PRI * HTTP/2.0"

#: The most of an ``OPTIONS *`` request's body read away, the connection kept (Go's net/http's 4 KB; a larger one closes it).
OPTIONS_BODY_MAX = 4 << 10

#: The most of a body asked for in one read (:meth:`_Handler._read_exactly`): memory is taken as the body comes, not as its Content-Length says.
BODY_READ_AT_ONCE = 1 << 24


def _body_time(base: float | None, length: int) -> float | None:
    """Seconds a body of ``length`` bytes may take to arrive: ``base`` and a second per :data:`BODY_MIN_RATE` bytes (None: no limit)."""
    return None if base is None else base + length / BODY_MIN_RATE


#: The answer to a connection past the limit (written by the refusing thread, then the connection closed).
_BUSY = ServiceError(503, UNAVAILABLE, "too many connections are open to this service: retry after the given seconds, or reuse a kept-alive connection")


def _busy_answer() -> bytes:
    body = _BUSY.to_json()
    head = (
        f"HTTP/1.1 503 Service Unavailable\r\nServer: mapper-serve/{__version__}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    )
    return head.encode("ascii") + body


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # stop() waits for requests in progress itself, then lets idle ones go
    request_queue_size = 128  # the listen backlog (socketserver's 5 made a burst of clients wait 1 s for a SYN retry)

    def __init__(self, listener: socket.socket, app: App, idle_timeout: float, max_connections: int = MAX_CONNECTIONS):
        self.app = app
        self.stopping = False
        self.conns: set[_Handler] = set()
        self.conns_lock = threading.Lock()
        self.max_connections = max_connections
        self.open_connections = 0  # (counted from accept to the thread's end: conns only holds those whose handler started)
        self.refused_connections = 0
        self._refusal_said_at = -math.inf  # (the log says refusals at most once a second: a flood is one line a second)
        self._refusals_unsaid = 0
        self.refusals: queue.Queue[Any] = queue.Queue(maxsize=64)  # connections past the limit, to answer 503
        self.refuser: threading.Thread | None = None
        self.closed = False  # (server_close: the refuser ends)
        # an IPv6 address needs an IPv6 socket (socketserver's is IPv4: --host ::1 could not listen)
        self.address_family = listener.family
        # the handler's socket timeout is a class attribute: one subclass per server. The socket is one bound and
        # listening already (:func:`_listen`): socketserver's own, made unbound, is closed for it
        super().__init__(listener.getsockname(), type("_Handler", (_Handler,), {"timeout": idle_timeout}), bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        bound = str(self.server_address[0]).lower()
        try:
            ip = ipaddress.ip_address(bound.split("%")[0])
            # (::ffff:127.0.0.1 is 127.0.0.1 on an IPv6 socket; ipaddress says it is no loopback before Python 3.13)
            self.loopback = ip.is_loopback or (isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback)
        except ValueError:
            self.loopback = False
        self.local_names = {*_LOCAL_NAMES, f"[{bound}]" if ":" in bound else bound}

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread for the connection; past ``max_connections`` open ones (or when no thread
        can be started) the connection is queued for the one refusing thread, which answers
        503 with ``Retry-After`` and closes it: a flood of connections costs no thread each.
        Past 64 queued, or with no thread for the refusals either, it is closed unanswered."""
        with self.conns_lock:
            full = self.open_connections >= self.max_connections
            if not full:
                self.open_connections += 1
        if not full:
            try:
                super().process_request(request, client_address)
                return
            except RuntimeError:  # can't start new thread
                with self.conns_lock:
                    self.open_connections -= 1
        self._say_refusal(client_address)
        with self.conns_lock:
            self.refused_connections += 1
            refuser = self.refuser
            if refuser is None or not refuser.is_alive():
                refuser = self.refuser = threading.Thread(target=self._refuse_queued, name="mapper-serve-busy", daemon=True)
                try:
                    refuser.start()
                except RuntimeError:  # no thread for the refusals either: closed unanswered (a later one tries again)
                    self.refuser = None
                    refuser = None
        if refuser is None:
            self.shutdown_request(request)
            return
        try:
            self.refusals.put_nowait(request)
        except queue.Full:  # a flood: closed unanswered
            self.shutdown_request(request)

    def _say_refusal(self, client_address: Any) -> None:
        """A line on the log for a connection refused 503 (none was written: an operator saw clients retry, and no
        why), at most one a second, counting those it did not say."""
        now = time.monotonic()
        with self.conns_lock:
            self._refusals_unsaid += 1
            if now - self._refusal_said_at < 1.0:
                return
            count, self._refusals_unsaid, self._refusal_said_at = self._refusals_unsaid, 0, now
        log = self.app.log
        if log is not None:
            more = f" ({count - 1:,} more since the last such line)" if count > 1 else ""
            log(
                printable(
                    f"503 ServiceUnavailable: a connection from {client_address[0] if client_address else '?'} refused{more}: "
                    f"{plural(self.max_connections, 'connection')} {'is' if self.max_connections == 1 else 'are'} open, the most --max-connections allows"
                )
            )

    def _refuse_queued(self) -> None:
        """Answer each queued connection 503 and close it once the client has read it (one
        thread for all of them, at most a second each): closed with the request unread, the
        connection is reset, and the client loses the answer."""
        answer = _busy_answer()
        while True:
            request = self.refusals.get()
            if request is None:  # the server is closed (server_close): those queued before were answered
                return
            deadline = time.monotonic() + 1.0
            try:
                request.settimeout(1.0)
                request.sendall(answer)
                request.shutdown(socket.SHUT_WR)
                read = 0
                while read < 1 << 20 and (left := deadline - time.monotonic()) > 0:  # until the client closes
                    request.settimeout(left)
                    chunk = request.recv(65536)
                    if not chunk:
                        break
                    read += len(chunk)
            except OSError:
                pass
            request.close()
            if self.closed and self.refusals.empty():
                return

    def server_close(self) -> None:
        """Close the listening socket, and end the refusing thread once it has answered those queued."""
        super().server_close()
        with self.conns_lock:
            refuser, self.refuser = self.refuser, None
        self.closed = True
        if refuser is not None and refuser.is_alive():
            try:
                self.refusals.put_nowait(None)
            except queue.Full:  # (busy: it ends once it has emptied the queue)
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection's handler failed: a client gone (reset, a broken pipe, a timeout: an
        OSError) ends its connection quietly; anything else is one line on standard error.
        (socketserver's own printed a traceback for each client that reset mid-request.)"""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        print(f"mapper serve: a connection from {client_address[0]} ended on an error: {type(exc).__name__}: {exc}", file=sys.stderr)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.conns_lock:
                self.open_connections -= 1

    def track(self, handler: _Handler, alive: bool) -> None:
        with self.conns_lock:
            if alive:
                self.conns.add(handler)
            else:
                self.conns.discard(handler)

    def host_refusal(self, headers: Message, target: str) -> ServiceError | None:
        """On a loopback address, a request for another host name is refused (421): a page of another site made to resolve to 127.0.0.1 (DNS rebinding) cannot use the service.

        A request without a Host header (HTTP/1.0: an HTTP/1.1 one was refused 400 before, :meth:`_Handler._host_problem`) is served.
        """
        if not self.loopback:
            return None
        names = list(headers.get_all("Host") or ())
        found = _authority_of(target)  # an absolute-form target names its host itself (user@ left out, as Go's req.Host)
        if found is not None:
            names.append(found[0].rpartition("@")[2])
        for value in names:
            if _host_of(value) not in self.local_names:
                return ServiceError(
                    421,
                    MISDIRECTED,
                    f"this service listens on a loopback address and serves requests for localhost, 127.0.0.1 or [::1] only, not Host {_quoted(value.strip(), 80)} "
                    "(a page of another site cannot reach it through a DNS name); use http://127.0.0.1:<port>/",
                )
        return None


def _listen_hint(exc: OSError, keywords: bool) -> str:
    """What to do when ``listen`` cannot bind, where the error's number tells it (a port held, or an address no
    interface has, said the OS's words alone: by what, and what to do, left to the reader)."""
    port, host = ("port= (--port)", "host= (--host)") if keywords else ("--port", "--host")
    if exc.errno == errno.EADDRINUSE:
        return f" (another program listens on it, or another mapper serve: give another {port}, or 0 for a free one)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f" (no interface of this machine has that address: give {host} 127.0.0.1 for this machine only, 0.0.0.0 for every interface)"
    return ""


def listen(host: str = "127.0.0.1", port: int = 0, *, keywords: bool = True) -> socket.socket:
    """A TCP socket bound to ``host`` and ``port`` and listening (an IPv6 address, ``::1`` or ``[::1]``, on an IPv6 socket), for
    :class:`Server`'s ``listener``; a port another program holds, or an address that is none of this machine's, is a
    :class:`~mapper.errors.MapperError` (``cannot listen on 127.0.0.1:8080: Address already in use``) saying what to do,
    naming the option as a Python caller gives it (``port= (--port)``) or, ``keywords`` False, as ``mapper serve``'s flag."""
    if not isinstance(host, str) or not host.strip():  # the socket takes "" as every interface: a --host "$UNSET" was open to the network
        raise OptionError(f"the host must be an address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface), not {host!r}")
    port = read_numbers({"port": port})["port"]
    if host.startswith("[") and host.endswith("]"):  # (an IPv6 address as a URL writes it)
        host = host[1:-1]
    # (socketserver's is IPv4: --host ::1 could not listen)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # (as socketserver's allow_reuse_address: a restart within TIME_WAIT binds)
        sock.bind((host, port))
        sock.listen(_HTTPServer.request_queue_size)
    except OSError as exc:
        sock.close()
        raise MapperError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{_listen_hint(exc, keywords)}") from None
    return sock


class Server:
    """The HTTP server around an :class:`App`: :meth:`start` in a thread (tests) or :meth:`serve_forever`; :meth:`stop`.

    ``idle_timeout``: seconds an idle keep-alive connection is kept open, and the most a
    request's line and headers may take to arrive, in total (408 beyond, then closed); a
    positive finite number of seconds up to :data:`~mapper.endpoint.MAX_WAIT` (a day), or None for no timeout.
    ``max_connections``: connections open at once (each has a thread while it is open,
    idle or not); one more is answered 503 ``ServiceUnavailable`` with ``Retry-After: 1``
    and closed, as a client (``mapper send``) retries. ``listener``: a socket bound and listening
    already (:func:`listen`), served instead of one made for ``host`` and ``port`` (``mapper serve``
    binds its port before it opens the database); the server closes it when it stops.
    """

    def __init__(
        self,
        app: App,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        idle_timeout: float = 30.0,
        max_connections: int = MAX_CONNECTIONS,
        listener: socket.socket | None = None,
    ):
        self.app = app
        # (idle_timeout taken unchecked became every connection's socket timeout: 0 a non-blocking socket, -1, NaN or "5"
        # an error in each connection's thread, inf a failed deadline: every request dropped unanswered, a line on stderr each)
        read = read_numbers({"port": port, "max_connections": max_connections, "idle_timeout": idle_timeout})
        port, max_connections, idle_timeout = read["port"], read["max_connections"], read["idle_timeout"]
        if listener is not None and not (isinstance(listener, socket.socket) and listener.type == socket.SOCK_STREAM):
            raise OptionError(f"listener= is a TCP socket listening (mapper.serve.listen), not {type(listener).__name__}")
        self.httpd = _HTTPServer(listener if listener is not None else listen(host, port), app, idle_timeout, max_connections)
        self.host, self.port = str(self.httpd.server_address[0]), int(self.httpd.server_address[1])
        self.thread: threading.Thread | None = None
        #: set (a second Ctrl-C): :meth:`stop` waits no longer for the requests in progress
        self.hurry = threading.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host.replace('%', '%25')}]" if ":" in self.host else self.host  # (an IPv6 zone is %25 in a URL: RFC 6874)
        return f"http://{host}:{self.port}"

    def start(self) -> Server:
        """Serve in a background thread."""
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="mapper-serve", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking requests, let the ones in progress finish (up to ``timeout`` s, or until :attr:`hurry` is set), close every connection."""
        httpd = self.httpd
        httpd.stopping = True
        if self.thread is not None:
            # the accept loop sees the stop once its wait ends: at its poll interval (0.1 s, ~90 ms a stop on
            # a loaded machine), or at once where closing the listening socket's reading wakes it (Linux: the
            # accepts that follow fail, as a connection now does; another system may refuse, and the loop polls)
            try:
                httpd.socket.shutdown(socket.SHUT_RD)
            except OSError:
                pass
            httpd.shutdown()
            self.thread.join(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.hurry.is_set():
            with httpd.conns_lock:
                conns = list(httpd.conns)
                # (open_connections counts from the accept: a connection accepted just before the stop whose thread had
                # not begun was in no list, the stop returned, the store was closed, and its request was answered 500
                # "cannot read the database ...: Cannot operate on a closed database")
                opened = httpd.open_connections
            if not conns and not opened:
                break
            for h in conns:
                # idle between requests: wake it from its read, it ends. A request whose head has begun to arrive is in
                # progress, as one whose body is: cut, its head read to that point was answered as whatever it then
                # looked like (a request line cut: 400 "Bad HTTP/0.9 request type"; headers cut before Content-Length:
                # "the request has no body"), never stored and never said to be refused for the stop
                if not h.busy and (not h.head_bytes or h.lingering):
                    try:
                        h.connection.shutdown(socket.SHUT_RD)
                    except OSError:
                        pass
            time.sleep(0.02)
        httpd.server_close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------
# The command


def add_serve_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser("serve", help="a local ingest endpoint: the service's HTTP API over a SQLite database")
    p.add_argument(
        "sinks", metavar="SINK", nargs="*", type=file_name, help="sink definitions to create (ACTIVE at once; a sink already in the database is kept)"
    )
    p.add_argument("--db", default="mapper-serve.db", type=file_name, metavar="FILE", help="the SQLite database (default mapper-serve.db; ':memory:' for none)")
    # (the serving options default to None, filled in by cmd_serve: one given beside --query is told from one left out)
    p.add_argument("--host", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=integer, metavar="N", help="port (default 8080; 0 picks a free one)")
    p.add_argument("--token-env", metavar="VAR", help="require Authorization: Bearer <the value of this environment variable>")
    p.add_argument("--records-per-s", type=decimal, metavar="N", help=f"records/s per sink (default {DEFAULT_RECORDS_PER_S:,})")
    p.add_argument("--bytes-per-s", type=decimal, metavar="N", help=f"bytes/s per sink (default {DEFAULT_BYTES_PER_S:,})")
    p.add_argument("--max-body-bytes", type=integer, metavar="N", help="larger bodies are answered 413 (default: the bytes/s limit)")
    p.add_argument(
        "--max-connections",
        type=integer,
        metavar="N",
        help=f"connections open at once, idle ones included (default {MAX_CONNECTIONS}); one more is answered 503 with Retry-After and closed",
    )
    p.add_argument("--create-delay", type=decimal, metavar="S", help="seconds a sink created with POST /v1/sinks stays CREATING (default 1)")
    p.add_argument(
        "--lock-wait",
        type=decimal,
        metavar="S",
        help="seconds a request (and the start) waits for the database's lock another program holds (default 5); then 503 with Retry-After",
    )
    p.add_argument("--query", metavar="SINK_ID", help="print the sink's stored rows as NDJSON (as mapper map -o - writes them) and exit")
    p.add_argument("--offset", type=integer, metavar="N", help="with --query: rows to skip")
    p.add_argument("--limit", type=integer, metavar="N", help="with --query: rows to print at most")
    p.add_argument("-q", "--quiet", action="store_true", help="no request log on stderr")
    return p


#: Called with the app before it listens (a web UI adds its routes); returns lines to print once listening ("{url}" is the server's URL).
Setup = Callable[[App], Sequence[str]]


#: The serving options' defaults (the parser's are None: :func:`_serving_options` tells one given from one left out).
SERVE_DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 8080,
    "records_per_s": DEFAULT_RECORDS_PER_S,
    "bytes_per_s": DEFAULT_BYTES_PER_S,
    "max_connections": MAX_CONNECTIONS,
    "create_delay": 1.0,
    "lock_wait": 5.0,
}

#: The options only a serving run uses (attribute, as the command line names it); ``-q`` aside: --query logs nothing either way.
_SERVING = (
    ("host", "--host"),
    ("port", "--port"),
    ("token_env", "--token-env"),
    ("records_per_s", "--records-per-s"),
    ("bytes_per_s", "--bytes-per-s"),
    ("max_body_bytes", "--max-body-bytes"),
    ("max_connections", "--max-connections"),
    ("create_delay", "--create-delay"),
    ("table", "--table"),  # (the web UI's: mapper.web adds them)
    ("no_ui", "--no-ui"),
)


def _serving_options(args: argparse.Namespace) -> list[str]:
    """The SINK files and options given that only serving uses, as the command line names them."""
    given = []
    sinks = list(getattr(args, "sinks", None) or ())
    if sinks:
        names = ", ".join(shown_name(str(s)) for s in sinks[:3]) + (f" and {len(sinks) - 3:,} more" if len(sinks) > 3 else "")
        given.append(f"the SINK file{'s' if len(sinks) > 1 else ''} {names}")
    for name, option in _SERVING:
        value = getattr(args, name, None)
        if value is not None and value is not False and value != []:
            given.append(option)
    return given


def cmd_serve(args: argparse.Namespace, setup: Setup | None = None) -> int:
    if args.query is not None and (serving := _serving_options(args)):
        # (each was ignored: --query printed the rows, and a --port or a SINK file meant for a serve did nothing, unsaid)
        many = len(serving) > 1 or serving[0].startswith("the SINK files")
        given = ", ".join(serving[:-1]) + (" and " if len(serving) > 1 else "") + serving[-1]
        print(
            f"mapper serve: {given} {'are' if many else 'is'} for serving, and --query serves nothing (it prints the sink's stored rows and exits): "
            f"leave {'them' if many else 'it'} out, or leave out --query to serve",
            file=sys.stderr,
        )
        return EXIT_USAGE
    args = argparse.Namespace(**{**vars(args), **{k: v for k, v in SERVE_DEFAULTS.items() if getattr(args, k, None) is None}})
    if args.query is None and (paged := [o for o in ("offset", "limit") if getattr(args, o, None) is not None]):
        # (the server started, the option ignored: a run meant to print rows listened on the port instead)
        given = " and ".join(f"--{o}" for o in paged)
        many = len(paged) > 1
        print(
            f"mapper serve: {given} {'page' if many else 'pages'} the rows --query prints: give --query SINK_ID, or leave {'them' if many else 'it'} out to serve",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.query is not None and args.db == ":memory:":  # (it said "no sink 'x'" of a sink a serve --db :memory: had)
        print("mapper serve: --db :memory: keeps nothing to query: --query reads the database file a serve stored into (--db FILE)", file=sys.stderr)
        return EXIT_USAGE
    streamed = _db_stream(args.db)
    if streamed is not None:
        print(f"mapper serve: {streamed}", file=sys.stderr)
        return EXIT_USAGE
    if args.query is None and (named := _packed_new_db(args.db)) is not None:
        print(f"mapper serve: {named}", file=sys.stderr)
        return EXIT_USAGE
    try:
        read_numbers({"lock_wait": args.lock_wait}, keywords=False)  # (--query's too: it opens the database)
    except MapperError as exc:
        print(f"mapper serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.query is not None and args.db not in ("", ":memory:"):  # (read only: a file holding no sinks said so, not "no sink 'x'")
        problem = stored_sinks_problem(args.db)
        if problem is not None:
            print(f"mapper serve: {problem}", file=sys.stderr)
            return EXIT_USAGE
    judged: dict[str, _Judged] = {}
    token = None
    if args.query is None:  # (before the database is opened: a start refused for a SINK, --token-env or --port made a new --db file, or sinks in one)
        refused, judged = _sinks_judged(args.sinks, args.db)
        if refused is not None:
            print(f"mapper serve: {refused}", file=sys.stderr)
            return EXIT_USAGE
        try:
            token = env_token(args.token_env) if args.token_env else None
            # (checked here, so that each refused is named by its flag alone, not by the Python keyword of Limits, App or Server)
            read_numbers(
                {name: getattr(args, name) for name in ("records_per_s", "bytes_per_s", "max_body_bytes", "create_delay", "port", "max_connections")},
                keywords=False,
            )
        except MapperError as exc:
            print(f"mapper serve: {exc}", file=sys.stderr)
            return EXIT_USAGE
    listener = None
    if args.query is None:  # (bound before the database is opened: a port another program holds made a new --db file, and the SINKs in one)
        try:
            listener = listen(args.host, args.port, keywords=False)
        except MapperError as exc:
            print(f"mapper serve: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        return _opened(args, judged, token, setup, listener)
    finally:
        if listener is not None:  # (closed by the server once it served; here when the start was refused)
            listener.close()


def _opened(args: argparse.Namespace, judged: dict[str, _Judged], token: str | None, setup: Setup | None, listener: socket.socket | None) -> int:
    """The database opened, then queried, or served on ``listener``."""
    try:
        # (another program's database is refused by the store, read without writing to it: opened as the store, it had
        # mapper's tables written into it and was switched to WAL journaling for good; a new or empty file is the store's to make)
        # (--query reads a database it may not write; a database locked by another program is said at once, not waited for in silence)
        store = Store(args.db, writable=args.query is None, lock_wait=args.lock_wait, waiting=_say_waiting)
    except ForeignDatabaseError as exc:
        print(f"mapper serve: {exc.said_to_serve()}", file=sys.stderr)
        return EXIT_USAGE
    except ServiceError as exc:
        print(f"mapper serve: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if listener is None:  # (--query)
            return _query(store, args)
        return _serve(store, args, judged, token, listener, setup)
    finally:
        store.close()


def _say_waiting(what: str) -> None:
    print(f"mapper serve: {what}", file=sys.stderr, flush=True)


def _packed_new_db(name: str) -> str | None:
    """Why ``--db NAME`` is not made a new database, when no database is there yet (no file, or an empty one: the store
    makes one in it) and its name is a compressed file's or an archive's (``s3.db.gz``): a SQLite database made under it
    (as it was) is read and written in place, never compressed, and was then taken for gzip data by its name. An existing
    compressed database is the store's to refuse, with the command that unpacks it (:func:`unpacked_file`)."""
    if name in ("", ":memory:") or (os.path.exists(name) and not (os.path.isfile(name) and os.path.getsize(name) == 0)):
        return None
    packed = packed_database_name(name)
    if packed is None:
        return None
    ending, instead, meant = packed
    if ending == os.path.basename(name):  # (`--db .gz` made a hidden database named .gz)
        return f"--db {shown_name(name)} is a file ending alone, no name: serve's database is a SQLite file: give --db {instead} for a new one"
    give = (
        f"give --db {meant}, the file there without {ending} (the database meant, most likely), or --db {instead} for a new one"
        if meant
        else f"give --db {instead} for a new one"
    )
    return (
        f"--db {shown_name(name)} names no database yet, and none is made under a compressed file's or an archive's name ({ending}): "
        f"serve's database is a SQLite file, read and written in place, never compressed: {give}"
    )


def _db_stream(name: str) -> str | None:
    """Why ``--db NAME`` names no database file SQLite can open, when it is standard input (``-``), a pipe
    (``/dev/stdin`` fed by one, ``<(...)``'s ``/dev/fd/63``, a named FIFO) or a device (``/dev/null``, a terminal):
    said naming what was given, and what to give instead (``-`` was made a file of that name; a pipe was
    "unable to open database file")."""
    if name == "-":
        what = "standard input"
    else:
        kind = not_a_file(name)  # (None: a file, or none yet, a new database; the store says why it cannot open one)
        if kind is None:
            return None
        if kind == "a device":  # (/dev/null: "disk I/O error", a /dev/null-journal made beside it as root)
            return f"--db {shown_name(name)} is a device, not a database file: give --db a database file (a new one is made)"
        what = "a pipe, read once"
    if read_once(name):
        unpack, file = unpacked_file(name, ".db", stem="serve")
        instead = f"{unpack}give --db {file}" + (" (a file named - is --db ./-)" if name == "-" else "")
    else:
        instead = "write what it gives to a file first, and give --db that file"
    return f"--db {shown_name(name)} is {what}, which SQLite cannot open as a database (it reads and writes a database file in place): {instead}"


def _query(store: Store, args: argparse.Namespace) -> int:
    offset = args.offset or 0
    if offset < 0 or (args.limit is not None and args.limit < 0):
        print("mapper serve: --offset and --limit cannot be negative", file=sys.stderr)
        return 2
    out = binary_stdout()  # (a text-only sys.stdout, a StringIO, has no buffer)
    try:
        for row in store.iter_rows(args.query, offset=offset, limit=args.limit):  # streamed: a big table is not held
            write_whole(out, orjson.dumps(row) + b"\n")  # (a raw file, PYTHONUNBUFFERED=1, may take part of it)
    except ServiceError as exc:
        hint = _sinks_held(store, args.query) if exc.status == 404 else ""
        print(f"mapper serve: {exc.message}{hint}", file=sys.stderr)
        return EXIT_USAGE
    out.flush()
    return EXIT_OK


def _sinks_held(store: Store, asked: str) -> str:
    """For ``--query`` of a sink the database does not hold: the sink whose ``sink_details.table``
    is the name asked (the example sink's table is ``aircraft``, its id ``aircraft_positions``),
    else the one a near miss away, else the sinks it holds (said "no sink 'aircraft'" alone)."""
    try:
        sinks = store.list_sinks()
    except (ServiceError, MapperError):  # (unreadable rows: the 404's words alone)
        return ""
    ids = [s.id for s in sinks]
    for info in sinks:
        details = info.definition.get("sink_details") if isinstance(info.definition, dict) else None
        if isinstance(details, dict) and details.get("table") == asked:
            return f" (the sink for the table {asked!r}, its sink_details.table, is {info.id!r}: --query takes the sink's id, the name it was created with)"
    near = closest(asked, ids)
    if near:
        return f" (did you mean {near!r}?)"
    shown = ", ".join(repr(i) for i in ids[:10]) + (f" and {len(ids) - 10:,} more" if len(ids) > 10 else "")
    return f" (the database holds {shown}: GET /v2/sinks lists them)" if ids else ""


def _bare_array_said(path: Path) -> str | None:
    """For a SINK file that is a bare definition array, what mapper serve needs instead: the
    identity and policy the other commands take as options (serve has none, as one set of them
    would apply to every SINK) written into the file."""
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(doc, list):
        return None
    return (
        "a bare definition array has no record identity or missing-field policy, and mapper serve takes no options for them: "
        'write the file as a schema, {"id_field": COLUMN (or "primary_key_fields": [COLUMNS]), "allow_missing_fields": true or false, '
        '"definition": [...]}, or a POST /v1/sinks body'
    )


def _clash_said(exc: ServiceError, given: dict[str, str], held: set[str], db: str) -> str:
    """A SINK file's 409 said of where its sink id was taken: the SINK given before it with the same
    id (two drafts inferred from one file share its name: "a sink 'x' exists already" was said of a
    database made that moment), or the database ``db``, which held it before this start (``held``);
    ``""`` for another error."""
    if exc.code != ALREADY_EXISTS:
        return ""
    for sid, first in given.items():
        if exc.message.startswith(f"a sink {sid!r} exists already"):
            return (
                f"{shown_name(first)} defines the sink {sid!r} too, another way (a sink's id is its name):"
                " give one of them another name, or serve each with a --db of its own"
            )
    return next((_held_said(sid, db) for sid in held if exc.message.startswith(f"a sink {sid!r} exists already")), "")


def _held_said(sid: str, db: str) -> str:
    """That the database ``db`` held the sink ``sid`` before this start, defined another way than a SINK file gives it."""
    return (
        f"the database {shown_name(db)} holds a sink {sid!r} already, defined another way (a sink's id is its name):"
        " give this one another name, or serve it with another --db"
    )


@dataclass(frozen=True)
class _Judged:
    """A SINK file judged at start (:func:`_sinks_judged`): the first file giving its sink id, its definition as stored
    (JSON, keys sorted), and the sink compiled, which the database's sink is created from (compiled once, not twice)."""

    path: str
    text: bytes
    compiled: Mapper


def _sinks_judged(paths: Sequence[str], db: str) -> tuple[str | None, dict[str, _Judged]]:
    """What refuses the first of the SINK files ``paths`` that cannot be created, named (or None), and each sink id
    they give, judged (:class:`_Judged`). Each is created in a scratch database in memory: what create_sink refuses
    there, a definition with errors or one SINK's id taken by another's another way, it would refuse in the database
    too. Judged before the database is opened, so that a start refused for one creates nothing: it created each SINK
    before the one refused (and a new --db file), and kept them."""
    judged: dict[str, _Judged] = {}
    if not paths:
        return None, judged
    scratch = Store(":memory:")
    try:
        given: dict[str, str] = {}  # (each sink id a SINK file gave, and the first file that gave it)
        for path in paths:
            try:
                info = scratch.create_sink(Path(path), exist_ok=True)  # file names, whatever they look like
            except ServiceError as exc:  # (which of the SINK files, and what serve, without identity options, needs)
                return f"{shown_name(path)}: {_bare_array_said(Path(path)) or _clash_said(exc, given, set(), db) or exc.message}", judged
            if info.id not in given:
                given[info.id] = path
                judged[info.id] = _Judged(path, orjson.dumps(info.definition, option=orjson.OPT_SORT_KEYS), scratch.mapper(info.id))
    finally:
        scratch.close()
    return None, judged


def _held_clash(store: Store, judged: dict[str, _Judged], held: set[str], db: str) -> str | None:
    """The first SINK file (:func:`_sinks_judged`) whose sink id the database holds already (``held``) defined
    another way, said naming it and the database; None when there is none."""
    for sid, sink in judged.items():
        if sid not in held:
            continue
        try:
            kept = store.sink(sid)
        except ServiceError as exc:
            return f"{shown_name(sink.path)}: {exc.message}"
        if orjson.dumps(kept.definition, option=orjson.OPT_SORT_KEYS) != sink.text:
            return f"{shown_name(sink.path)}: {_held_said(sid, db)}"
    return None


def _serve(store: Store, args: argparse.Namespace, judged: dict[str, _Judged], token: str | None, listener: socket.socket, setup: Setup | None = None) -> int:
    try:
        kept = {s.id for s in store.list_sinks()}  # (a catalog it cannot read: said now, exit 2, not once listening)
    except ServiceError as exc:
        print(f"mapper serve: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    # the sinks this start created: a SINK kept from the database (a restart's) was said "(created now)" at every start
    created: set[str] = set()
    held = set(kept)  # (the database's before this start)
    refused = _held_clash(store, judged, held, args.db)
    if refused is not None:  # (every SINK is judged before any is created: the ones before a refused one were created, the start refused)
        print(f"mapper serve: {refused}", file=sys.stderr)
        return EXIT_USAGE
    for sink in judged.values():  # (a SINK file giving a sink id again, the same way, creates nothing more)
        try:
            info = store.create_sink(sink.compiled, exist_ok=True)
            if info.id not in kept:
                created.add(info.id)
                kept.add(info.id)
        except ServiceError as exc:  # (judged above: another process on the database took the id since, say)
            print(f"mapper serve: {shown_name(sink.path)}: {_clash_said(exc, {}, held, args.db) or exc.message}", file=sys.stderr)
            return EXIT_USAGE
    try:
        limits = Limits(args.records_per_s, args.bytes_per_s)
        app = App(store, token=token, limits=limits, max_body_bytes=args.max_body_bytes, create_delay=args.create_delay, log=None if args.quiet else _log)
        announce = list(setup(app)) if setup is not None else []
        server = Server(app, max_connections=args.max_connections, listener=listener)
    except ServiceError as exc:
        print(f"mapper serve: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except MapperError as exc:
        print(f"mapper serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    stop = threading.Event()
    stopped_by: list[int] = []  # the signals taken

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():  # a second one: the requests in progress are not waited for (a transaction under way still
            server.hurry.set()  # ends first: closing the store waits for its lock); a client sending slowly held the stop 10 s
        stopped_by.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        print(
            f"mapper serve: listening on {server.url} (database {shown_name(args.db)}; per sink {limits_said(limits, ', ')}, "
            f"bodies up to {app.max_body_bytes:,} bytes; token {'required' if token else 'not required'})",
            flush=True,
        )
        if not token and not server.httpd.loopback:
            print(f"mapper serve: warning: listening on {args.host} without a token: anyone who reaches this port can write", file=sys.stderr, flush=True)
        for info in store.list_sinks():
            mark = " (created now)" if info.id in created else ""
            print(f"  sink {info.id} {info.state}{mark}: POST {server.url}/v2/sinks/{info.id}", flush=True)
        for line in announce:
            print(f"  {line.replace('{url}', server.url)}", flush=True)
        while not stop.wait(0.5):
            pass
        # (a service manager's SIGTERM is no Ctrl-C: the words name what came, and what a second one does)
        again = "Ctrl-C again" if not stopped_by or stopped_by[0] == signal.SIGINT else "a second SIGTERM or Ctrl-C"
        print(f"mapper serve: stopping ({again} not to wait for the requests in progress)", file=sys.stderr, flush=True)
        server.stop()
        # (said before the signals are given back: a second one here only hurries a stop that is over)
        print("mapper serve: stopped", file=sys.stderr, flush=True)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    return EXIT_OK


def _log(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)
