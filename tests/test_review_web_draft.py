"""A review of the New Source form, its preview and the UI's request handling (``mapper.web``), in-process.

Each request goes through :meth:`mapper.serve.App.dispatch` as the server hands it over (no
socket, no browser): what a caller of the UI's routes is answered for a form or a body the
page itself would not send, and for a form the page would call valid.
"""

from __future__ import annotations

from email.message import Message
from pathlib import Path
from typing import Any

import orjson
import pytest

from mapper.endpoint import TOO_LARGE, ServiceError
from mapper.errors import MapperError
from mapper.serve import App
from mapper.store import Store
from mapper.web import database_id, draft, install, load_catalog

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "examples" / "aircraft" / "table.sql"
AIRCRAFT = {
    "_id": {"path": "id"},
    "ts": {"path": "timestamp", "unit": "ms"},
    "lat": {"path": "data.lat"},
    "reg": {"path": "data.reg"},
}


def form(**over: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": "planes",
        "database_id": database_id("local"),
        "table": "aircraft",
        "columns": AIRCRAFT,
        "allow_missing_fields": True,
        "sample": "",
    }
    out.update(over)
    return out


def ui_app(**kw: Any) -> App:
    app = App(Store(":memory:"), create_delay=0, **kw)
    install(app, load_catalog([str(TABLE)]))
    return app


def post(app: App, path: str, data: bytes) -> tuple[int, Any]:
    """The answer to a POST of ``data``, its body read as the server reads it (413 past the route's limit)."""
    headers = Message()
    headers["Content-Type"] = "application/json"

    def read_body(limit: int) -> bytes:
        if len(data) > limit:
            raise ServiceError(413, TOO_LARGE, f"the body is {len(data):,} bytes; this endpoint takes at most {limit:,}")
        return data

    resp = app.dispatch("POST", path, headers, read_body)
    return resp.status, orjson.loads(resp.body)


# ---------------------------------------------------------------------------------------
# A request's key that is no text: said naming the field, not in orjson's words


@pytest.mark.parametrize(
    "data, said",
    [
        # half a surrogate pair in a column's name (a key), not in a value
        (b'{"name": "a", "columns": {"\\ud800x": {"path": "a"}}}', "a key of the form's columns: line 1 char 1 holds U+D800, half of a UTF-16 surrogate pair"),
        (b'{"x\\udc00": 1}', "a key of the request: line 1 char 2 holds U+DC00, half of a UTF-16 surrogate pair"),
        # a byte that is no UTF-8 in a key
        (b'{"name": "a", "columns": {"ab\xff": {"path": "a"}}}', "a key of the form's columns: line 1 char 3 holds the byte 0xFF, which is not UTF-8"),
    ],
)
def test_a_key_that_is_no_text_is_named_as_a_value_is(data: bytes, said: str) -> None:
    status, answer = post(ui_app(), "/ui/api/draft", data)
    assert status == 400
    assert answer["code"] == "InvalidBody"
    assert answer["message"].startswith(said), answer["message"]
    assert "column" not in answer["message"].split(said)[0]  # (orjson's "line 1 column 25 (char 24)" of the request)


def test_half_a_pair_in_a_path_is_said_though_the_sample_holds_one_too() -> None:
    # the sample's alone is left out of a draft (only previewed); the path's stops the form:
    # the error said must be the one that stops it, not the sample's, which fixing alone changed nothing
    data = b'{"name": "a", "sample": "\\udc00", "columns": {"lat": {"path": "data.l\\ud800"}}}'
    status, answer = post(ui_app(), "/ui/api/draft", data)
    assert status == 400
    assert answer["message"].startswith("the form's columns.lat.path: line 1 char 7 holds U+D800"), answer["message"]


# ---------------------------------------------------------------------------------------
# The form's own fields: a typo is refused, not ignored


def test_a_columns_unknown_field_is_refused_as_the_forms_are() -> None:
    # "units" for "unit": the Unit was dropped silently, and the timestamp read as RFC 3339 text
    columns = AIRCRAFT | {"ts": {"path": "timestamp", "units": "ms"}}
    status, answer = post(ui_app(), "/ui/api/draft", orjson.dumps(form(columns=columns)))
    assert status == 400
    assert answer["code"] == "InvalidParameter"
    assert answer["message"] == "unknown field 'units' of column 'ts' (fields: path, unit)"


def test_a_sample_that_is_no_string_is_refused_not_ignored() -> None:
    status, answer = post(ui_app(), "/ui/api/draft", orjson.dumps(form(sample={"id": "a"})))
    assert (status, answer["code"]) == (400, "InvalidParameter")
    assert answer["message"] == "sample must be a string (the record's JSON text), not an object"
    assert draft(form(sample=None), load_catalog([str(TABLE)]))["preview"] is None  # (none given: no preview)


# ---------------------------------------------------------------------------------------
# Valid on the page, refused by the API


def test_a_form_whose_body_is_over_the_services_body_limit_is_not_called_valid() -> None:
    app = ui_app(max_body_bytes=300)
    status, answer = post(app, "/ui/api/draft", orjson.dumps(form()))
    assert status == 200
    assert answer["valid"] is False and answer["body_text"] is None
    [problem] = answer["problems"]
    assert problem["field"] == "form" and problem["code"] == "too-large"
    assert "this service takes at most 300 bytes in a request (--max-body-bytes)" in problem["message"]
    # what "Create source" would have been answered: the same limit
    body = draft(form(), load_catalog([str(TABLE)]))["body_text"].encode()
    status, refused = post(app, "/v1/sinks", body)
    assert len(body) > 300 and status == 413, refused
    # within the limit: valid, and the API takes that very body
    app = ui_app(max_body_bytes=len(body))
    status, answer = post(app, "/ui/api/draft", orjson.dumps(form()))
    assert answer["valid"] is True and answer["problems"] == []
    assert post(app, "/v1/sinks", answer["body_text"].encode())[0] == 200


# ---------------------------------------------------------------------------------------
# The catalog: --table [DATABASE=]FILE


def test_a_table_spec_too_long_for_a_file_name_is_read_as_database_equals_file() -> None:
    # Path.exists() raised ENAMETOOLONG: "mapper: aaa...=table.sql: File name too long", not the database's rule
    with pytest.raises(
        MapperError, match=r"^--table a{20}.*: the database name 'a{20}.*' is invalid: a database name is lowercase letters, digits, '-' and '_'.*at most 230"
    ):
        load_catalog(["a" * 300 + f"={TABLE}"])


def test_a_table_file_name_holding_a_nul_is_said_not_raised() -> None:
    with pytest.raises(MapperError, match=r"^--table .*: '.*\\x00' cannot be a file name: it holds a NUL byte$"):
        load_catalog([str(TABLE) + "\0"])


# ---------------------------------------------------------------------------------------
# The sample record


def test_a_sample_of_a_byte_order_mark_alone_is_no_sample() -> None:
    # taken off as a paste takes it off, nothing was left: "Invalid JSON: unexpected end of the
    # record (truncated)" of a box that shows nothing (a paste of it is "nothing to send")
    catalog = load_catalog([str(TABLE)])
    assert draft(form(sample="\ufeff \n"), catalog)["preview"] is None
    assert draft(form(sample="\ufeff{}"), catalog)["preview"]["error"] is None


def test_a_sample_that_is_a_record_in_a_json_string_says_to_paste_the_record() -> None:
    # a record as a log line or a message queue shows it, JSON text in a string
    record = '{"id": "a", "timestamp": 1659981468260, "data": {"reg": "G-ZBJA"}}'
    said = draft(form(sample=orjson.dumps(record).decode()), load_catalog([str(TABLE)]))["preview"]["error"]
    assert said == (
        "the sample record must be a JSON object, not a string: the string holds a JSON object, "
        "written in it with its quotes escaped; paste that object (`jq -r . FILE` prints it)"
    )
    # a string holding no object: said as before
    assert draft(form(sample='"abc"'), load_catalog([str(TABLE)]))["preview"]["error"] == "the sample record must be a JSON object, not a string"
