"""The web UI's routes on a :class:`mapper.serve.App`, and ``mapper serve``'s options for it.

Pages (no token needed: they hold no data; every datum comes from the JSON routes):

=======  ===========================  ==================================================
GET      ``/``                        redirects to ``/ui/``
GET      ``/ui/``                     Data Sources: every source, its status and counts
GET      ``/ui/new``                  New Source: the form
GET      ``/ui/sources/<id>``         a source's details, Send records, the rows stored
GET      ``/ui/static/<file>``        the page's script and style (package data)
GET      ``/ui/new/``, ``…/<id>/``    redirect to the page without the slash
=======  ===========================  ==================================================

JSON routes the pages call besides the service's own API (``POST /v1/sinks``, ``GET
/v2/sinks``, ``GET /v2/sinks/<id>``, ``GET /v2/sinks/<id>/rows``), behind the same token:

=======  ===============================  ==============================================
GET      ``/ui/api/config``               whether a token is needed, limits (no token needed)
GET      ``/ui/api/catalog``              the databases and tables registered
GET      ``/ui/api/name?name=``           the name checked as ``mapper check`` checks it
POST     ``/ui/api/draft``                the form checked, its API body, the preview
GET      ``/ui/api/sinks/<id>``           a source's details, its API body as text
GET      ``/ui/api/sinks/<id>/rows``      a page of rows stored, each cell as text (cut to a page's share), a window of the columns
GET      ``/ui/api/sinks/<id>/cell``      a value whole (``?offset=&key=&column=``)
POST     ``/ui/api/sinks/<id>/send``      pasted records ingested as the endpoint ingests
=======  ===============================  ==============================================

Values reach the page as text made here (JSON with exact integers): JavaScript's numbers
would round integers beyond 2**53 (an ``INT``'s Min of -2**63, a big id).

Pages are served with a Content-Security-Policy that allows scripts, styles and
requests from this origin only (no inline script can run) and no framing (X-Frame-Options
too); every JSON answer is ``Cache-Control: no-store`` (:data:`mapper.serve.NO_STORE`), the
pages and their script ``no-cache``; and the pages build every
element with ``textContent``: whatever a user typed or sent is shown as text. A POST
sent for a page of another origin is refused before any route sees it
(:func:`mapper.serve.cross_origin_refusal`): the pages' own requests are same-origin.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import urllib.parse
from importlib import resources
from typing import Any, Callable, Sequence

import orjson

from .. import serve
from .._version import __version__
from ..checks import NAME_MAX, NAME_TOO_LONG
from ..commands import EXIT_USAGE, file_name
from ..endpoint import INVALID_BODY, INVALID_PARAMETER, NOT_FOUND, TOO_LARGE, ServiceError, not_json_said, printable, refused_for_depth
from ..errors import SURROGATE, MapperError, OptionError, hidden_js, preview
from ..options import number_given, real_number
from ..paths import to_dot_notation
from ..report import ENDPOINT_MESSAGE, RecordError, Report, ValueWarning, answered_error, location_text, plural
from ..serve import App, Request, Response, json_response, page_limit, query_int, require_json
from .catalog import Catalog, load_catalog
from .draft import TIME_UNITS, Paste, PasteError, check_name, compact, draft, format_body, in_records, paste_note, paste_records

__all__ = ["add_serve_parser", "cmd_serve", "install", "load_assets"]

#: Headers of every page: only this origin's scripts, styles and requests; no framing; no sniffing.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # (frame-ancestors, said to a browser without CSP level 2: IE 11, Edge before 79)
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
#: Characters of a stored value the rows' page shows (then "...(N characters)"): a producer's
#: megabyte strings, 25 rows of them, made a page of tens of megabytes the browser hung on;
#: the whole value is the page's on demand (``GET /ui/api/sinks/<id>/cell``) and the API's
#: (``GET /v2/sinks/<id>/rows``).
CELL_LIMIT = 1000
#: Characters of values a page of rows sends (about: a cut value adds its "...(N characters)"):
#: each value is cut to its share, between CELL_FLOOR and CELL_LIMIT. 1,000 a value alone left a
#: page of 25 rows of a table of 1,100 columns at 27 MB; shared, ~2 MB of JSON at the most.
PAGE_CHARS = 200_000
#: The fewest characters a value is cut to, however many values the page holds.
CELL_FLOOR = 20
#: What to do about a draft over the UI's cap (the page itself leaves out a sample record that big; then a path is).
_DRAFT_ADVICE = "leave the sample record out (it is only previewed, never part of the source), or shorten the paths"
#: The code of a 409 of the cell route: the row asked of is no longer at its place (:func:`_cell_route`).
ROW_CHANGED = "RowChanged"
#: Seconds between a page's refreshes (:func:`install`'s default).
REFRESH_SECONDS = 3.0
#: The longest of those: a browser's timer waits at most 2^31 - 1 ms (setTimeout fires a longer one at once).
MAX_REFRESH_SECONDS = 2_147_483
#: Bytes of a UI request (a draft with its sample record, pasted records): JSON text escapes grow what it carries.
_UI_BODY_FACTOR = 4


#: The line of app.js that holds the characters its ``safeText`` shows escaped: served holding :func:`~mapper.errors.hidden_js`.
_HIDDEN_LINE = re.compile(rb"^  var HIDDEN = /.*/g;", re.M)


def load_assets() -> dict[str, tuple[bytes, str]]:
    """The page files shipped in the package (``mapper/web/static``): name -> (bytes, content type).
    app.js's ``safeText`` escapes the characters messages escape, one list (:data:`~mapper.errors.HIDDEN_RANGES`)."""
    out = {}
    for item in resources.files("mapper.web").joinpath("static").iterdir():
        suffix = "." + item.name.rsplit(".", 1)[-1]
        if item.is_file() and suffix in _TYPES:
            data = item.read_bytes()
            if item.name == "app.js":
                data, n = _HIDDEN_LINE.subn(lambda _m: f"  var HIDDEN = {hidden_js()};".encode(), data, count=1)
                if n != 1:  # pragma: no cover - the script lost the line (tests/test_left54.py fails first)
                    raise RuntimeError("mapper/web/static/app.js holds no 'var HIDDEN = /.../g;' line to write the hidden characters into")
            out[item.name] = (data, _TYPES[suffix])
    return out


def _json_body(req: Request, what: str, app: App, advice: str) -> Any:
    return _decoded(_body_bytes(req, what, app, advice))


def _body_bytes(req: Request, what: str, app: App, advice: str) -> bytes:
    """A UI request's body, JSON by its Content-Type, within the UI's cap (413 naming ``what``, then ``advice``: what to do)."""
    limit = app.max_body_bytes * _UI_BODY_FACTOR
    require_json(req)  # (from the headers, as the API's routes: a large body of the wrong type is refused for its type, unread)
    try:
        data = req.body(limit)
    except ServiceError as err:
        if err.status != 413:
            raise
        # the UI's own cap (a multiple of the endpoint's: JSON escapes grow a paste), said as such:
        # "this endpoint takes at most" it was not the endpoint's limit
        raise ServiceError(
            413,
            err.code,
            f"{what} is too big: as the page sends it (JSON text) it is more than the {limit:,} bytes this page takes "
            f"({_UI_BODY_FACTOR} times the endpoint's body limit of {app.max_body_bytes:,} bytes): {advice}",
        ) from None
    return data


def _decoded(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        found = _lone_surrogate(data) if "surrogate" in str(exc) else None
        # (said as an ingest body's JSON is, never orjson's "unexpected character: line 1 column 11 (char 10)")
        raise found or ServiceError(400, INVALID_BODY, not_json_said(data, f"the request body is not valid JSON: {exc}", refused_for_depth(exc))) from None


#: What the page's fields are, in messages (else the field's name).
_FIELDS: dict[tuple[str, ...], str] = {("text",): "the records", ("sample",): "the sample record", ("name",): "the name"}


def _in_field(keys: tuple[str, ...], value: str, at: int, message: str, key: bool = False) -> ServiceError:
    """400 ``InvalidBody`` for what a field of a UI request holds at ``at``, the message after the
    field's name and place; in the records pasted (the ``text`` of Send records), with that place as
    numbers too (:class:`~mapper.web.draft.PasteError`: the page selects the line). ``key``: ``value``
    is a key of the object at ``keys``, not a field's value (said without the key: it is no text)."""
    line, char = _line_char(value, at)
    if key:
        return ServiceError(400, INVALID_BODY, f"a key of {_field_named(keys) if keys else 'the request'}: line {line} char {char} holds {message}")
    said = f"{_field_named(keys)}: line {line} char {char} holds {message}"
    if keys == ("text",):
        return PasteError(f"{said}; nothing was sent", line, char)
    return ServiceError(400, INVALID_BODY, said)


def _lone_surrogate(data: bytes) -> ServiceError | None:
    """Where a field of a UI request holds half of a UTF-16 surrogate pair, which orjson refuses
    with the request's own position ("no low surrogate in string: line 1 column 23"): said in the
    field's own lines (a page's JSON.stringify escapes a lone surrogate of a pasted text so)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:  # (bytes no UTF-8: a client's own body, never the page's)
        return _not_utf8(data, exc)
    try:
        doc = json.loads(data)  # (keeps a lone surrogate)
    except (ValueError, RecursionError):
        return None
    found = _first_string_match(doc, SURROGATE)
    if found is None:
        return None
    keys, value, m, key = found
    return _in_field(
        keys,
        value,
        m.start(),
        f"U+{ord(m.group()):04X}, half of a UTF-16 surrogate pair (a character cut in two when it was copied), "
        "which no UTF-8 text can carry: delete it, or copy the character whole",
        key,
    )


def _first_string_match(doc: Any, pattern: re.Pattern[str]) -> tuple[tuple[str, ...], str, re.Match[str], bool] | None:
    """The first string of a UI request's JSON ``doc``, in document order, that ``pattern`` finds
    something in, a key too (one in a column's name was said in orjson's words, "no low surrogate
    in string: line 1 column 25 (char 24)"): the keys from the top to it (to the object holding
    it, for a key), the string, the match, and whether it is a key; None when none does."""
    todo: list[tuple[tuple[str, ...], Any, bool]] = [((), doc, False)]
    while todo:
        keys, value, key = todo.pop()
        if isinstance(value, dict):
            for k, v in reversed(value.items()):
                todo += [((*keys, str(k)), v, False), (keys, k, True)]  # (popped: the key, then its value)
        elif isinstance(value, list):
            todo.extend(((*keys, str(i)), v, False) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, str) and (m := pattern.search(value)) is not None:
            return keys, value, m, key
    return None


def _line_char(value: str, at: int) -> tuple[int, int]:
    """The line and char of the character at ``at`` of a field's text, counted from 1 as an editor
    shows them (a byte order mark opening the text is no character an editor shows, nor one
    mapper validate counts)."""
    start = value.rfind("\n", 0, at) + 1
    char = at - start + 1 - (start == 0 and value.startswith("\ufeff"))
    return value.count("\n", 0, at) + 1, char


def _field_named(keys: tuple[str, ...]) -> str:
    """A field of a UI request, as messages name it."""
    return _FIELDS.get(keys) or "the form's " + (".".join(preview(k, 40) for k in keys) or "value")


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> ServiceError:
    """Where a UI request's body holds bytes that are no UTF-8 (orjson said "str is not valid
    UTF-8: surrogates not allowed: line 1 column 1 (char 0)", naming neither the field nor the
    place): the field, its line and character, and the byte; else the byte's offset in the body."""
    byte = f"the byte 0x{data[exc.start]:02X}, which is not UTF-8 (text saved in another encoding, or cut inside a character)"
    try:
        doc = json.loads(data.decode("utf-8", "surrogateescape"))  # (each byte no UTF-8 a character of its own: U+DC80-U+DCFF)
    except (ValueError, RecursionError):
        doc = None
    found = _first_string_match(doc, _ESCAPED_BYTE)
    if found is not None:
        keys, value, m, key = found
        return _in_field(
            keys,
            value,
            m.start(),
            f"the byte 0x{ord(m.group()) - 0xDC00:02X}, which is not UTF-8 (text saved in another encoding, or cut inside a character): the request must be UTF-8",
            key,
        )
    return ServiceError(400, INVALID_BODY, f"the request body is not UTF-8: at byte {exc.start:,} it holds {byte}")


def _without_a_broken_sample(data: bytes, err: ServiceError) -> tuple[dict[str, Any], str]:
    """The form of a draft refused (``err``) for half a surrogate pair in its sample record
    alone, with a blank sample, and why the sample cannot be previewed: the sample is the
    preview's, not the source's, and a form refused whole for it could not be created. ``err``
    raised again for any other refusal (the same half pair in a path is the form's own)."""
    try:
        doc = json.loads(data)  # (keeps a lone surrogate)
    except (ValueError, RecursionError):
        raise err from None
    sample = doc.get("sample") if isinstance(doc, dict) else None
    if not isinstance(sample, str) or SURROGATE.search(sample) is None:
        raise err
    rest = {k: v for k, v in doc.items() if k != "sample"}
    try:
        orjson.dumps(rest)  # (refuses a lone surrogate: another field holds one too)
    except (TypeError, orjson.JSONEncodeError):
        # that field's refusal, which stops the form (the sample's, said instead, was left out of a
        # draft once fixed, and the form refused again for the other field)
        raise _lone_surrogate(json.dumps(rest).encode()) or err from None
    return rest | {"sample": ""}, err.message


def _within_the_body_limit(out: dict[str, Any], app: App) -> None:
    """A draft valid but for its body, which "Create source" posts to ``POST /v1/sinks``, being over
    the service's body limit: not valid, said why (the page called it valid, then creating it was
    answered 413, "the body is 1,519 bytes", of a body the user never saw sent)."""
    if not out["valid"]:
        return
    size = len(out["body_text"].encode())
    if size <= app.max_body_bytes:
        return
    message = (
        f'the source\'s definition, the POST /v1/sinks body "Create source" sends, is {size:,} bytes: this service takes at most '
        f"{app.max_body_bytes:,} bytes in a request (--max-body-bytes): start mapper serve with a larger --max-body-bytes to create it"
    )
    out["problems"].append({"severity": "error", "code": "too-large", "message": message, "field": "form", "column": None})
    out.update(valid=False, body=None, body_text=None, body_shown=None)


def _in_paste(item: RecordError | ValueWarning, index: int, line: int | None) -> dict[str, Any]:
    """An error or warning of the body sent, placed in the paste: its record as the page numbers
    records (``index`` in the paste; "record 2" in the message, from 1, as the page's headings),
    its line the paste's (the body the page built is on one line)."""
    return item.to_dict() | {
        "record": index,
        "line": line,
        "message": item.reason + location_text(item.path, index + 1, line, item.column),
        "reason": item.reason,
    }


def install(app: App, catalog: Catalog, assets: dict[str, tuple[bytes, str]] | None = None, *, refresh: float = REFRESH_SECONDS) -> None:
    """Add the UI's pages and JSON routes to ``app``.

    ``refresh``: seconds between a page's refreshes of what it shows (the list, a source's
    details and rows; a request the service failed is asked again after as long; a CREATING
    source is followed every 0.5 s, or every ``refresh`` if that is shorter). The pages read
    it from ``GET /ui/api/config``; the browser tests give a fraction of a second."""
    given = refresh  # (said as given: 10**20 read as a float is 1e+20)
    refresh = real_number(refresh, "the pages' refresh interval (refresh=)", above=0, of="seconds")
    if refresh > MAX_REFRESH_SECONDS:  # (a browser fired a longer timer at once: the pages asked the service without a pause)
        raise OptionError(
            f"the pages' refresh interval (refresh=) is at most {MAX_REFRESH_SECONDS:,} seconds (about 24 days), a browser's longest timer "
            f"(a longer one fires at once, and the pages would refresh without a pause), not {number_given(given)}"
        )
    ui = _Routes(app, catalog, load_assets() if assets is None else assets)
    app.add_route("GET", r"/", _root, auth=False)
    app.add_route("GET", r"/ui/?", ui.page("sources.html"), auth=False)
    app.add_route("GET", r"/ui/new", ui.page("new.html"), auth=False)
    app.add_route("GET", r"/ui/sources/(?P<sink_id>[^/]+)", ui.page("source.html"), auth=False)
    app.add_route("GET", r"/ui/new/", _without_slash, auth=False)
    app.add_route("GET", r"/ui/sources/(?P<sink_id>[^/]+)/", _without_slash, auth=False)
    app.add_route("GET", r"/ui/static/(?P<name>[^/]+)", ui.static, auth=False)
    app.add_route("GET", r"/ui/api/config", lambda app, req: _config(app, req, refresh), auth=False)
    app.add_route("GET", r"/ui/api/catalog", ui.catalog_route)
    app.add_route("GET", r"/ui/api/name", ui.name_route)
    app.add_route("POST", r"/ui/api/draft", ui.draft_route)
    app.add_route("GET", r"/ui/api/sinks/(?P<sink_id>[^/]+)", ui.view_route)
    app.add_route("GET", r"/ui/api/sinks/(?P<sink_id>[^/]+)/rows", _rows_route)
    app.add_route("GET", r"/ui/api/sinks/(?P<sink_id>[^/]+)/cell", _cell_route)
    app.add_route("POST", r"/ui/api/sinks/(?P<sink_id>[^/]+)/send", _send_route)


class _Routes:
    """The UI's routes that need more than the request: the page files (``files``: name ->
    bytes and content type), the catalog of tables the New Source form offers, and the app
    the UI is installed on (whose sources' names are taken)."""

    def __init__(self, app: App, catalog: Catalog, files: dict[str, tuple[bytes, str]]):
        self.app = app
        self.catalog = catalog
        self.files = files

    def page(self, name: str) -> Callable[[App, Request], Response]:
        """The route of one HTML page, served as it is, with the pages' headers."""
        data, ctype = self.files[name]

        def handler(app: App, req: Request) -> Response:
            return Response(200, data, ctype, headers=dict(PAGE_HEADERS))

        return handler

    def static(self, app: App, req: Request) -> Response:
        """A page's script or style by name (a page itself, or no such file: 404)."""
        found = self.files.get(req.params["name"])
        if found is None or found[1].startswith("text/html"):
            raise ServiceError(404, NOT_FOUND, f"no such file: {preview(req.params['name'])}")
        return Response(200, found[0], found[1], headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

    def catalog_route(self, app: App, req: Request) -> Response:
        """The databases and tables registered."""
        return json_response(200, self.catalog.to_json())

    def taken(self, name: str) -> bool:
        """Whether a source of this name exists."""
        try:
            self.app.store.sink(name)
        except ServiceError:
            return False
        return True

    def name_route(self, app: App, req: Request) -> Response:
        """A source name checked as ``mapper check`` checks it, and whether a source has it already."""
        name = req.arg("name", "") or ""
        message = check_name(name)
        exists = message is None and self.taken(name)
        if exists:
            message = f"a source named {name!r} exists already: choose another name"
        return json_response(200, {"name": name, "valid": message is None, "message": message, "taken": exists})

    def draft_route(self, app: App, req: Request) -> Response:
        """The New Source form checked: its API body and the preview of its sample record (a sample
        holding half a surrogate pair is left out, said why, rather than the form refused)."""
        # (the page leaves out a sample this big, and says so in the preview: a caller of its own is told how)
        data = _body_bytes(req, "the form (with its sample record)", app, _DRAFT_ADVICE)
        broken_sample = None
        try:
            form = _decoded(data)
        except ServiceError as err:
            form, broken_sample = _without_a_broken_sample(data, err)
        try:
            out = draft(form, self.catalog, self.taken)
            _within_the_body_limit(out, app)
            if broken_sample is not None:
                out["preview"] = {"error": broken_sample, "record_errors": [], "stored": None, "id": None, "columns": []}
            return json_response(200, out)
        except RecursionError:  # a path (or a value) nested beyond what Python's stack holds: the form's fault, not the service's
            raise ServiceError(
                400, INVALID_PARAMETER, "the form cannot be checked: a path or the sample record is nested too deeply (or a path is too long) to evaluate"
            ) from None

    def view_route(self, app: App, req: Request) -> Response:
        """A source's details as the page shows them: its definition's entries, identity, counts,
        last error and last records refused (with their times, as ``GET /v2/sinks`` gives them), and its API body as text."""
        info = app.store.sink(req.params["sink_id"])
        details = info.definition.get("sink_details") or {}
        schema = info.definition.get("schema") or {}
        entries = []
        for e in schema.get("definition") or []:
            path = e.get("path")
            entries.append(
                {
                    "name": e.get("name"),
                    "path": to_dot_notation(path) if isinstance(path, list) else str(path),
                    "type": e.get("type"),
                    "config": compact(e["config"]) if e.get("config") else "",
                }
            )
        if "id_field" in schema:
            identity = f"id_field {schema['id_field']}"
        else:
            identity = "primary_key_fields " + ", ".join(map(str, schema.get("primary_key_fields") or []))
        db_id = details.get("database_id")
        listed = info.to_json()  # (its times as GET /v2/sinks gives them: when created, when the last error and refusal came)
        return json_response(
            200,
            {
                "id": info.id,
                "name": info.name,
                "state": info.state,
                "database_id": db_id,
                "database": self.catalog.name_of(db_id),
                "table": details.get("table"),
                "identity": identity,
                "allow_missing_fields": schema.get("allow_missing_fields"),
                "created_at": listed["created_at"],
                "counts": listed["counts"],
                "last_error": info.last_error,
                "last_error_at": listed["last_error_at"],
                "last_refused": info.last_refused,
                "last_refused_at": listed["last_refused_at"],
                "definition": entries,
                "body_text": format_body({"name": info.name, "sink_details": details, "schema": schema}),
                "ingest_path": f"/v2/sinks/{info.id}",
            },
        )


def _root(app: App, req: Request) -> Response:
    """``/``: to the Data Sources page."""
    return Response(302, b"", "text/plain; charset=utf-8", headers={"Location": "/ui/"})


def _without_slash(app: App, req: Request) -> Response:
    """A page's address with a slash after it: to the page, its query kept."""
    # (a page's address with a slash after it, as typed or pasted, was a 404 of the API's JSON)
    sink_id = req.params.get("sink_id")
    target = "/ui/new" if sink_id is None else "/ui/sources/" + urllib.parse.quote(sink_id, safe="")
    if req.query:
        target += "?" + urllib.parse.urlencode(req.query, doseq=True)
    return Response(302, b"", "text/plain; charset=utf-8", headers={"Location": target})


def _config(app: App, req: Request, refresh: float = REFRESH_SECONDS) -> Response:
    """What the pages need to know of the service: whether a token is needed, its version and limits."""
    # ui_body_bytes: the most a UI request may be; the New Source page leaves out a sample record that would pass it
    return json_response(
        200,
        {
            "token_required": app.token is not None,
            "version": __version__,
            "create_delay": app.create_delay,
            "refresh_seconds": refresh,  # (install's refresh=: how often the pages refresh what they show)
            "time_units": TIME_UNITS,
            "max_body_bytes": app.max_body_bytes,
            "ui_body_bytes": app.max_body_bytes * _UI_BODY_FACTOR,
            # the page tells a name too long itself (one of 65 KB in the name route's URL was a 414): the rule's words, from here
            "name_rule": {"max_length": NAME_MAX, "too_long": NAME_TOO_LONG},
        },
    )


def _cell(row: dict[str, Any], name: str, cut: int | None) -> dict[str, Any]:
    """A row's cell as the page shows it: ``kind`` (value, null, missing) and ``text``; a value
    whose text is longer than ``cut`` (None: never) is cut, said in its text ("...(N
    characters)") and by ``length``, its whole text's characters (the page offers it whole)."""
    if name not in row:
        return {"kind": "missing", "text": "missing"}
    if row[name] is None:
        return {"kind": "null", "text": "null"}
    text = compact(row[name])
    if cut is None or len(text) <= cut:
        return {"kind": "value", "text": text}
    return {"kind": "value", "text": preview(text, cut), "length": len(text)}


def _rows_route(app: App, req: Request) -> Response:
    """A page of a source's rows, each cell as text (missing, null, or the value shortened: to
    its share of PAGE_CHARS, so that a page of a wide table stays small), and the source's
    records stored and merged (upserts) read with them. ``column_offset`` and ``column_limit``
    (0: all) give a window of the columns (``column_total``: how many there are)."""
    offset = query_int(req, "offset", 0)
    limit = query_int(req, "limit", 25)
    page_limit(limit, 1000)
    # a window of the columns (column_offset, column_limit: every column unless given): a page of 25 rows of
    # 1,100 columns drew 27,500 cells, ~4-6 s of the browser's layout before the page answered
    column_offset = query_int(req, "column_offset", 0)
    column_limit = query_int(req, "column_limit", 0) or None
    with app.store.lock:  # (the counts and the rows of one moment: records stored between two reads made rows seem gone, or more)
        info = app.store.sink(req.params["sink_id"])
        page = app.store.rows(req.params["sink_id"], offset=offset, limit=limit)
    shown = page.columns[column_offset:] if column_limit is None else page.columns[column_offset : column_offset + column_limit]
    names = [n for n, _t in shown]
    cut = max(CELL_FLOOR, min(CELL_LIMIT, PAGE_CHARS // max(1, len(page.rows) * (len(names) + 1))))
    rows = []
    for row in page.rows:
        ident = _cell(row, "_id", cut)
        rows.append(
            {
                "id": ident["text"],
                **({"id_length": ident["length"]} if "length" in ident else {}),
                "key": row_key(row, cut),
                "cells": [_cell(row, n, cut) for n in names],
            }
        )
    columns = [{"name": n, "type": t} for n, t in shown]
    # records: the records stored, and of them those that went to an _id a row held already (null: not counted, a
    # database of an earlier mapper), so that the page says why the rows are fewer only when upserts are why
    records = {"stored": info.records_stored, "merged": info.records_merged}
    out = {"columns": columns, "total": page.total, "offset": page.offset, "limit": page.limit, "cut": cut, "records": records}
    out |= {"column_total": len(page.columns), "column_offset": min(column_offset, len(page.columns)), "rows": rows}
    return json_response(200, out)


def row_key(row: dict[str, Any], cut: int | None = None) -> str:
    """A row's identity as a page of rows gives it and the cell route takes it back (``key=``):
    its ``_id`` as JSON text (``123`` and ``"123"`` two ids, as a source keyed by numbers and one
    keyed by strings hold them), or, for an id longer than ``cut`` (which the page has only cut),
    ``sha256:`` and the SHA-256 of that text (a string id may be megabytes)."""
    text = compact(row["_id"])
    if cut is None or len(text) <= cut:
        return text
    return _DIGEST + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


#: What opens the key of a row whose id a page has only cut (no id's JSON text opens so: it opens with a quote or a digit).
_DIGEST = "sha256:"


def _cell_route(app: App, req: Request) -> Response:
    """One value of a source's rows whole, as text: the row at ``offset`` (as the rows' pages
    count them) whose ``key`` (:func:`row_key`) the page was given, its ``column`` (``_id``: the
    row's id), what a page of rows shows cut. Another row at that place (rows removed since the
    page was drawn, the source created again) is a 409 ``RowChanged``: its value was shown as the
    value of the row the page showed there."""
    offset = query_int(req, "offset", 0)
    column = req.arg("column")
    key = req.arg("key")
    page = app.store.rows(req.params["sink_id"], offset=offset, limit=1)
    names = ["_id"] + [n for n, _t in page.columns]
    if column is None:
        raise ServiceError(400, INVALID_PARAMETER, "column= is missing: it names one of the source's columns, or _id")
    if column not in names:
        raise ServiceError(400, INVALID_PARAMETER, f"the source has no column {preview(column)!r}: column= names one of its columns, or _id")
    if key is None:
        raise ServiceError(400, INVALID_PARAMETER, "key= is missing: it is the row's key as the page of rows gives it, the row the value is asked of")
    if not page.rows:
        raise ServiceError(
            409,
            ROW_CHANGED,
            f"the row asked of is no longer row {offset:,}: the source holds {plural(page.total, 'row')} now (rows removed, or the source created again)",
        )
    if row_key(page.rows[0], 0 if key.startswith(_DIGEST) else None) != key:
        raise ServiceError(
            409, ROW_CHANGED, f"the row asked of is no longer row {offset:,}: another row is there now (rows removed, or the source created again)"
        )
    return json_response(200, {"offset": page.offset, "column": column, "key": key, **_cell(page.rows[0], column, None)})


def _send_route(app: App, req: Request) -> Response:
    """Records pasted, ingested as the endpoint ingests a request's (those the paste holds back,
    not sent): the endpoint's answer, and each record's fate, errors and warnings placed in the paste."""
    sink_id = req.params["sink_id"]
    app.store.sink(sink_id)  # 404 first
    # The endpoint's limits are per request: a paste over one is sent in parts, each its own request.
    in_parts = f"send it in parts of at most {app.max_body_bytes:,} bytes"
    payload = _json_body(req, "the paste", app, in_parts)
    text = _paste_text(payload)
    paste = paste_records(text)
    sent = [i for i in range(len(paste.lines)) if i not in paste.held]  # the body's records: their indices in the paste
    answer: dict[str, Any] | None = None
    written = 0
    report = None
    placed: list[dict[str, Any]] = []
    if sent or not paste.held:  # (a paste of held records only: nothing to send)
        answer, written, report, placed = _ingest_paste(app, sink_id, paste, sent, in_parts)
    records, errors, warnings = _paste_fates(paste, sent, answer, report, placed)
    # why the records failed, when the paste's layout shows it (a document of records pasted whole), as validate notes it
    notes = [] if report is None else [paste_note(text, paste, report.failed_records, report.error_counts.get((None, "not_an_object"), 0))]
    return json_response(
        200,
        {
            "answer": answer,
            "written": written,
            "not_sent": len(paste.held),
            "records": records,
            "errors": errors,
            "warnings": warnings,
            "notes": [n for n in notes if n],
        },
    )


#: What Send records' ``text`` holds, in messages.
_PASTE_IS = 'the records as pasted, in a string: {"records": [{"value": {...}}]}, one JSON record a line, or a JSON array of records'


def _paste_text(payload: Any) -> Any:
    """The pasted records of a Send records request, ``{"text": "..."}`` (a JSON string alone is
    taken as the text too); 400 ``InvalidBody`` saying the key is missing, or what it should hold
    when it holds null (both were "the records must be text, not null")."""
    if not isinstance(payload, dict):
        return payload
    if "text" not in payload:
        keys = ", ".join(orjson.dumps(k[:40]).decode() for k in list(payload)[:5])
        has = f"its keys are {keys}" if keys else "it is an empty object"
        raise ServiceError(400, INVALID_BODY, f'the request has no "text" ({has}): send {{"text": "..."}}, the text being {_PASTE_IS}')
    text = payload["text"]
    if text is None:
        raise ServiceError(400, INVALID_BODY, f'"text" is null: it holds {_PASTE_IS}')
    return text


def _ingest_paste(app: App, sink_id: str, paste: Paste, sent: list[int], in_parts: str) -> tuple[dict[str, Any], int, Report, list[dict[str, Any]]]:
    """Send the paste's records (``sent``: their indices in the paste) as one request, within the
    endpoint's limits per request (else 413, said how to send it in parts; a refusal is the source's
    last error): the answer in the paste's terms, the rows written, the report, and the endpoint's
    answer of each record sent (its message naming the paste's record and line)."""

    def in_paste(answer: dict[str, Any], report: Report) -> list[dict[str, Any]]:
        """The endpoint's answer per record sent, each message naming the record and line of the paste."""
        out = []
        for k, item in enumerate(answer["records"]):
            first = report.failed_index.get(k)
            if first:  # the endpoint's words (report.endpoint_answer's, of the same error), the paste's place
                i = sent[k]
                item = item | {"error_message": f"{ENDPOINT_MESSAGE}: {_in_paste(answered_error(first), i, paste.lines[i])['message']}"}
            out.append(item)
        return out

    try:
        most = int(app.limits.records_per_s)  # (app.admit's limit, said as a paste's)
        if len(sent) > most:
            raise ServiceError(
                413,
                TOO_LARGE,
                f"the paste holds {len(sent):,} records to send; a request holds at most {plural(most, 'record')} (the endpoint's limit "
                f"per second): send it in parts of at most {plural(most, 'record')}",
            )
        if len(paste.body) > app.max_body_bytes:
            raise ServiceError(
                413,
                TOO_LARGE,
                f"the records pasted make a body of {len(paste.body):,} bytes; this endpoint takes at most {app.max_body_bytes:,}: {in_parts}",
            )
        with app.admitting(sink_id) as admit:  # (its tokens given back when nothing is stored)
            result = app.store.ingest(
                sink_id,
                paste.body,
                admit=admit,
                # a body discarded whole: the source's last error (and the log) name the paste's record and line
                answered=lambda answer, report: answer | {"records": in_paste(answer, report)},
            )
    except ServiceError as err:
        app.store.note_error(sink_id, err)  # as the endpoint does: the source's last error
        raise
    placed = in_paste(result.answer, result.report)
    # The answer in the paste's terms, as everything else the page shows: each record sent with its
    # index and line in the paste, its message naming them (the endpoint's own answer numbers the
    # records of the body the page built, which holds only those sent, from 0, all on its line 1)
    answer = result.answer | {"records": [{"index": i, "line": paste.lines[i]} | item for i, item in zip(sent, placed)]}
    if result.error is not None and app.log is not None:  # a body discarded whole: logged as POST /v2/sinks/<id> logs it
        app.log(printable(f"sink {sink_id}: {result.error}"))
    return answer, result.written, result.report, placed


def _paste_fates(
    paste: Paste, sent: list[int], answer: dict[str, Any] | None, report: Report | None, placed: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Each record of the paste with its fate (held back: not sent, or the endpoint's answer), and
    the errors (in the paste's order) and warnings, each placed in the paste."""
    records = [{"index": i, "line": line, "text": text} for i, (line, text) in enumerate(zip(paste.lines, paste.shown))]
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for i, held in paste.held.items():
        errors.append(_in_paste(held, i, held.line))
        records[i].update(status="not_sent", error_code=None, error_message=errors[-1]["message"])
    if answer is not None and report is not None:
        for i, item in zip(sent, placed):
            records[i].update(status=item["status"], error_code=item.get("error_code"), error_message=item.get("error_message"))
        errors += [_in_paste(e, sent[e.record], paste.lines[sent[e.record]]) for e in report.errors]
        warnings += [_in_paste(w, sent[w.record], paste.lines[sent[w.record]]) for w in in_records(paste, report.warnings)]
    errors.sort(key=lambda e: e["record"])
    return records, errors, warnings


# ---------------------------------------------------------------------------------------
# The command: mapper serve with the UI


def add_serve_parser(sub: Any) -> argparse.ArgumentParser:
    """``mapper serve``'s parser (:func:`mapper.serve.add_serve_parser`) with the UI's options."""
    p = serve.add_serve_parser(sub)
    p.add_argument(
        "--table",
        action="append",
        default=[],
        type=file_name,
        metavar="[DATABASE=]FILE",
        help="a file of FeatureBase CREATE TABLE statements the web UI's New Source form offers, in DATABASE (default 'local'); repeatable",
    )
    p.add_argument("--no-ui", action="store_true", help="serve the API only: no web UI at /ui/")
    return p


def cmd_serve(args: argparse.Namespace) -> int:
    """``mapper serve``: the service, with the web UI at ``/ui/`` unless ``--no-ui``."""
    tables = getattr(args, "table", None) or []
    if args.query is not None or getattr(args, "no_ui", False):
        if tables and args.query is None:
            print("mapper serve: --table is for the web UI; it cannot go with --no-ui", file=sys.stderr)
            return EXIT_USAGE
        return serve.cmd_serve(args)
    try:
        catalog = load_catalog(tables)
    except MapperError as exc:
        print(f"mapper serve: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def setup(app: App) -> Sequence[str]:
        install(app, catalog)
        names = ", ".join(f"{db.name}/{t}" for db in catalog.databases.values() for t in db.tables)
        return [f"web UI: {{url}}/ui/ (tables: {names or 'none; give --table FILE.sql to create sources from the UI'})"]

    return serve.cmd_serve(args, setup=setup)
