"""The web UI of ``mapper serve`` (issue 18), without a browser: the catalog, the form, the preview, pasted records, the routes.

The pages themselves are driven in a real browser in ``tests/test_web_browser.py``. Every
server here binds 127.0.0.1, runs in this process (or, for the command, a bounded
subprocess) and every request has a timeout.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

import mapper
from mapper.endpoint import encode_body
from mapper.errors import MapperError
from mapper.serve import App, Server
from mapper.store import Store
from mapper.table import split_statements
from mapper.web import check_name, database_id, draft, install, load_assets, load_catalog, paste_records
from mapper.web.catalog import Catalog
from mapper.web.draft import format_body

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "examples" / "aircraft" / "table.sql"
SEED = (ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[0]
AIRCRAFT_PATHS = {
    "_id": {"path": "id"},
    "ts": {"path": "timestamp", "unit": "ms"},
    "aircraftid": {"path": "data.aircraftId"},
    "lat": {"path": "data.lat"},
    "long": {"path": "data.long"},
    "track": {"path": "data.track"},
    "altitude": {"path": "data.altitude"},
    "speed": {"path": "data.speed"},
    "type": {"path": "data.type"},
    "reg": {"path": "data.reg"},
    "origin": {"path": "data.origin"},
    "destination": {"path": "data.destination"},
    "icaoid": {"path": "data.icaoId"},
    "airline": {"path": "data.airline"},
}


def catalog() -> Catalog:
    return load_catalog([str(TABLE)])


def form(**over: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": "aircraft_positions",
        "database_id": database_id("local"),
        "table": "aircraft",
        "columns": AIRCRAFT_PATHS,
        "allow_missing_fields": False,
        "sample": "",
    }
    out.update(over)
    return out


def answered_as_the_api(ui_answer: dict[str, Any], api_answer: dict[str, Any]) -> bool:
    """The send route's answer is the endpoint's to the same body but for the places (the route's
    names the paste's records and lines): the same counts, each record's status and code."""

    def kept(a: dict[str, Any]) -> Any:
        return a["success_count"], a["error_count"], [(r["status"], r.get("error_code")) for r in a["records"]]

    return bool(kept(ui_answer) == kept(api_answer))


# ---------------------------------------------------------------------------------------
# The catalog: --table [DATABASE=]FILE


def test_catalog_reads_statements_into_databases(tmp_path: Path) -> None:
    script = tmp_path / "schema.sql"
    script.write_text(
        "-- two tables; a ';' inside a string or a comment does not cut\n"
        "CREATE TABLE clicks (_id ID, url STRING) COMMENT 'a;b' ;\n"
        "CREATE TABLE users (_id STRING, age INT MIN 0 MAX 150); -- trailing ; comment\n"
    )
    cat = load_catalog([str(TABLE), f"web={script}"])
    assert [db.name for db in cat.databases.values()] == ["local", "web"]
    web = cat.databases[database_id("web")]
    assert list(web.tables) == ["clicks", "users"]
    assert web.tables["users"].sql == "CREATE TABLE users (_id STRING, age INT MIN 0 MAX 150)"
    assert web.tables["clicks"].source == f"{script}:2"
    assert len(cat) == 3
    # ids are UUIDs derived from the name: the same on every start
    assert database_id("web") == load_catalog([f"web={script}"]).databases[database_id("web")].id
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", database_id("web"))
    # the catalog offered to the page: columns with their SQL types
    users = next(t for t in cat.to_json()["databases"][1]["tables"] if t["name"] == "users")
    assert users["columns"][1] == {"name": "age", "type": "INT", "sql_type": "INT", "sql": "age INT MIN 0 MAX 150"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CREATE TABLE a (_id ID);\n\nCREATE TABLE b (_id ID, n INTEGER);", "line 3 column 27: unsupported column type 'INTEGER'"),
        ("CREATE TABLE a (_id ID);\nCREATE TABLE a (_id STRING);", "line 2: table 'a' is registered twice in database 'local'"),
        ("CREATE TABLE a (_id ID) COMMENT 'x;", "line 1 column 33: unterminated string"),
        ("-- nothing here\n", "no CREATE TABLE statement"),
        ("CREATE TABLE a (n INT)", "_id"),
    ],
)
def test_catalog_errors_name_the_file_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    script = tmp_path / "bad.sql"
    script.write_text(text)
    with pytest.raises(MapperError) as err:
        load_catalog([str(script)])
    assert str(script) in str(err.value)
    assert expected in str(err.value)


def test_a_schema_of_thousands_of_tables_loads_in_linear_time(tmp_path: Path) -> None:
    # found by a bug hunt: each statement was parsed behind the whole script before it, blanked
    # (positions in messages are the script's): time and memory quadratic in the script, 80 s and
    # a copy of the script per table for a schema of 4,000 tables
    statements = [f"CREATE TABLE t{i} (_id ID, a STRING, b INT MIN 0 MAX 10);" for i in range(3000)]
    script = tmp_path / "schema.sql"
    script.write_text("\n".join(statements))
    start = time.thread_time()  # (CPU time: the wall clock of a busy machine is not the code's)
    cat = load_catalog([str(script)])
    assert time.thread_time() - start < 10
    tables = cat.databases[database_id("local")].tables
    assert len(tables) == 3000 and tables["t2999"].source == f"{script}:3000"
    assert max(len(t.table.sql) for t in tables.values()) < 100  # each holds its own statement, not the script
    # an error after them still names the script's line and column, on one line with the others too
    script.write_text(" ".join(statements) + "\n\n  CREATE TABLE z (_id ID, q FOO)")
    with pytest.raises(MapperError, match=r"line 3 column 29: unsupported column type 'FOO'"):
        load_catalog([str(script)])


def test_catalog_refuses_unreadable_files_and_bad_database_names(tmp_path: Path) -> None:
    with pytest.raises(MapperError, match="no such file: .*nope.sql"):
        load_catalog([str(tmp_path / "nope.sql")])
    (tmp_path / "t.sql").write_text("CREATE TABLE t (_id ID)")
    with pytest.raises(MapperError, match="database name 'Web'"):
        load_catalog([f"Web={tmp_path / 't.sql'}"])
    (tmp_path / "latin1.sql").write_bytes(b"CREATE TABLE t (_id ID) COMMENT '\xe9'")
    with pytest.raises(MapperError, match="not UTF-8"):
        load_catalog([str(tmp_path / "latin1.sql")])
    # where, as every other error of the file says it (found by a bug hunt: only "(byte 57)")
    (tmp_path / "latin1.sql").write_bytes(b"CREATE TABLE t (_id ID);\nCREATE TABLE u (_id ID) COMMENT '\xe9'")
    with pytest.raises(MapperError, match=r"latin1.sql is not UTF-8: invalid byte 0xe9 at line 2 column 34$"):
        load_catalog([str(tmp_path / "latin1.sql")])
    (tmp_path / "latin1.sql").write_bytes(b"\xef\xbb\xbfCREATE TABLE t (_id ID) COMMENT '\xe9'")  # after a byte order mark
    with pytest.raises(MapperError, match=r"latin1.sql is not UTF-8: invalid byte 0xe9 at line 1 column 34$"):
        load_catalog([str(tmp_path / "latin1.sql")])


def test_split_statements_keeps_offsets_in_the_script() -> None:
    sql = "CREATE TABLE a (_id ID);-- x;y\n  CREATE TABLE b (_id ID, s STRING) COMMENT ';'  ;  ;"
    spans = split_statements(sql)
    assert [sql[a:b] for a, b in spans] == ["CREATE TABLE a (_id ID)", "CREATE TABLE b (_id ID, s STRING) COMMENT ';'"]
    assert split_statements("  -- only a comment\n") == []


# ---------------------------------------------------------------------------------------
# The form: checked as `mapper check` checks it, turned into the POST /v1/sinks body


def test_the_form_becomes_the_body_mapper_check_accepts() -> None:
    out = draft(form(), catalog())
    assert out["valid"], out["problems"]
    body = out["body"]
    assert body["name"] == "aircraft_positions"
    assert body["sink_details"] == {"database_id": database_id("local"), "table": "aircraft"}
    schema = body["schema"]
    assert schema["primary_key_fields"] == ["_id"] and schema["allow_missing_fields"] is False
    entries = {e["name"]: e for e in schema["definition"]}
    assert entries["ts"] == {"name": "ts", "path": ["timestamp"], "type": "timestamp", "config": {"Granularity": "ms", "Unit": "ms"}}
    assert entries["aircraftid"] == {"name": "aircraftid", "path": ["data", "aircraftId"], "type": "string", "config": {"Mutex": True}}
    assert entries["altitude"]["config"] == {"Min": -2000, "Max": 60000}
    assert "iataid" not in entries  # left blank: not mapped
    result = mapper.check_sink(json.dumps(body))
    assert result.valid and result.sink is not None and result.sink.form == "body"
    # body_text is the exact JSON the page posts, body_shown what the details page shows
    assert orjson.loads(out["body_text"]) == body
    assert json.loads(out["body_shown"]) == body
    # the seed record maps the same through the body as through the UI form
    ui = {"name": "aircraft_positions", "table": TABLE.read_text(), "allow_missing_fields": False, "mapping": {}}
    for key, spec in AIRCRAFT_PATHS.items():
        ui["mapping"][key] = {"path": spec["path"], "config": {"Unit": spec["unit"]}} if "unit" in spec else spec["path"]
    rows = [mapper.compile_sink(s).map(SEED.encode()).to_rows() for s in (body, ui)]
    assert rows[0] == rows[1] and rows[0][0]["aircraftid"] == "40688E"


def test_int64_bounds_survive_as_text() -> None:
    # INT MAX alone implies Min -2**63: JavaScript would round it, so the page gets and posts text
    cat = Catalog()
    cat.add("local", "CREATE TABLE t (_id ID, n INT MAX 100, big ID)")
    out = draft(form(name="t", table="t", columns={"_id": {"path": "id"}, "n": {"path": "n"}}), cat)
    assert out["valid"], out["problems"]
    assert '"Min": -9223372036854775808' in out["body_text"] or '"Min":-9223372036854775808' in out["body_text"]
    assert "-9223372036854775808" in out["body_shown"]
    assert mapper.check_sink(out["body_text"]).valid


def problems_of(out: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(p["field"], p["column"], p["message"]) for p in out["problems"] if p["severity"] == "error"]


def test_problems_are_placed_on_the_fields_they_concern() -> None:
    cols = dict(AIRCRAFT_PATHS)
    del cols["_id"]
    cols["lat"] = {"path": "data..lat"}
    out = draft(form(name="Aircraft", columns=cols, allow_missing_fields=None), catalog())
    assert not out["valid"] and out["body"] is None and out["body_text"] is None
    found = problems_of(out)
    fields = {(f, c) for f, c, _m in found}
    assert ("name", None) in fields and ("missing", None) in fields and ("column", "lat") in fields and ("columns", None) in fields
    by_field = {(f, c): m for f, c, m in found}
    assert "map the _id column" in by_field[("columns", None)]
    assert "allow_missing_fields is required" in by_field[("missing", None)]
    # the name: the rule and the message of `mapper check`
    check = mapper.check_sink({**json.loads(json.dumps(draft(form(), catalog())["body"])), "name": "Aircraft"})
    expected = next(p.message for p in check.problems if p.pointer == "/name")
    assert by_field[("name", None)] == expected == check_name("Aircraft")
    # nothing chosen yet
    out = draft(form(database_id=None, table=None, columns={}), catalog())
    assert problems_of(out)[0] == ("database", None, "choose a database")
    out = draft(form(table="nope"), catalog())
    assert ("table", None, "database 'local' has no table 'nope'") in problems_of(out)


def test_a_taken_name_is_said_before_the_service_says_409() -> None:
    out = draft(form(), catalog(), taken=lambda name: name == "aircraft_positions")
    assert not out["valid"]
    assert ("name", None, "a source named 'aircraft_positions' exists already: choose another name") in problems_of(out)


@pytest.mark.parametrize(
    "bad, message",
    [
        ([], "the form must be a JSON object, not an array"),
        ({"nme": "x"}, "unknown form field 'nme'"),
        ({"columns": {"a": "x"}}, "columns.a must be an object"),
        ({"columns": {"ts": {"path": "t", "unit": "fortnight"}}}, "the unit of column 'ts' is one of s, ms"),
        ({"allow_missing_fields": "yes"}, "allow_missing_fields must be true or false, not a string"),
    ],
)
def test_a_malformed_form_is_a_400_naming_the_field(bad: Any, message: str) -> None:
    with pytest.raises(mapper.ServiceError) as err:
        draft(bad, catalog())
    assert err.value.status == 400 and message in err.value.message


@pytest.mark.parametrize(
    "name, message",
    [
        ("web_clicks_production", None),
        ("Web", "invalid sink name 'Web': it starts with 'W'; it must start with a lowercase letter (e.g. 'web')"),
        ("web clicks", "invalid sink name 'web clicks': character 4 is ' '; only lowercase letters, digits, '-' and '_' are allowed (e.g. 'web_clicks')"),
        ("", "the sink name is empty"),
        ("a" * 231, "the sink name is 231 characters long; at most 230 are allowed"),
    ],
)
def test_the_name_rule_is_mapper_checks(name: str, message: str | None) -> None:
    assert check_name(name) == message
    body = {**draft(form(), catalog())["body"], "name": name}
    got = [p.message for p in mapper.check_sink(body).problems if p.pointer == "/name"]
    assert got == ([message] if message else [])


# ---------------------------------------------------------------------------------------
# The sample record: per column, the value found and what the endpoint would store


def columns_of(preview: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["column"]: c for c in preview["columns"]}


def test_preview_of_the_seed_record() -> None:
    out = draft(form(sample=SEED), catalog())
    p = out["preview"]
    assert p["error"] is None and p["stored"] is True and p["id"] == '"PD2tRswoE3:0:0"'
    cols = columns_of(p)
    assert cols["aircraftid"]["found"] == {"kind": "value", "text": '"40688E"'}
    assert cols["aircraftid"]["stored"] == {"kind": "value", "text": '"40688E"'}
    assert cols["ts"]["found"]["text"] == "1659981468260" and cols["ts"]["stored"]["text"] == '"2022-08-08T17:57:48.260Z"'
    assert cols["lat"]["stored"]["text"] == '"45.1199"'
    assert cols["_id"]["stored"] == {"kind": "id", "text": '_id "PD2tRswoE3:0:0"'}
    assert cols["iataid"]["found"] == {"kind": "unmapped", "text": "not mapped"} and cols["iataid"]["stored"] is None
    # -43.416 at Scale 4 is stored as -43.4159 (float arithmetic): the engine's warning, next to its column
    assert cols["long"]["stored"]["text"] == '"-43.4159"'
    assert [m["code"] for m in cols["long"]["messages"]] == ["float_decimal"]
    assert cols["long"]["messages"][0]["path"] == "$.data.long"


def test_preview_tells_null_missing_and_errors_apart() -> None:
    record = json.loads(SEED)
    record["data"]["lat"] = None
    del record["data"]["speed"]
    record["data"]["altitude"] = "high"
    record["data"]["type"] = {"icao": "B788"}
    cols = dict(AIRCRAFT_PATHS, reg={"path": "data.reg.code"}, origin={"path": "data.origin || data.reg"})
    out = draft(form(columns=cols, allow_missing_fields=True, sample=json.dumps(record, indent=2)), catalog())
    p = out["preview"]
    assert p["stored"] is False  # refused: an invalid value
    c = columns_of(p)
    assert c["lat"]["found"] == {"kind": "null", "text": "null"}
    assert c["speed"]["found"] == {"kind": "missing", "text": "missing"}
    assert c["reg"]["found"] == {"kind": "not_an_object", "text": "data.reg is a string, not an object"}
    assert c["origin"]["found"] == {"kind": "value", "text": '"LHR"'}  # a JMESPath expression
    assert c["altitude"]["stored"]["kind"] == "refused"
    assert [(m["code"], m["path"]) for m in c["altitude"]["messages"]] == [("invalid_value", "$.data.altitude")]
    assert 'got `str` "high"' in c["altitude"]["messages"][0]["message"]
    assert [m["code"] for m in c["reg"]["messages"]] == ["not_an_object"]
    # the same record without its errors is stored: null clears, missing leaves alone
    record["data"]["altitude"] = 1200
    record["data"]["reg"] = {"code": "G-ZBJA"}
    record["data"]["type"] = "B788"
    c = columns_of(draft(form(columns=cols, allow_missing_fields=True, sample=json.dumps(record)), catalog())["preview"])
    assert c["lat"]["stored"] == {"kind": "null", "text": "null (the stored value is cleared)"}
    assert c["speed"]["stored"] == {"kind": "missing", "text": "nothing written (the stored value is left alone)"}
    assert c["reg"]["stored"] == {"kind": "value", "text": '"G-ZBJA"'}
    assert c["altitude"]["stored"] == {"kind": "value", "text": "1200"}


def test_preview_before_the_form_is_complete_and_of_bad_samples() -> None:
    out = draft(form(allow_missing_fields=None, sample=SEED), catalog())
    assert not out["valid"]
    cols = columns_of(out["preview"])
    assert cols["aircraftid"]["found"]["text"] == '"40688E"' and cols["aircraftid"]["stored"] is None
    assert out["preview"]["stored"] is None
    assert draft(form(sample="{nope"), catalog())["preview"]["error"].startswith("the sample record: Invalid JSON: ")
    assert draft(form(sample="[1, 2]"), catalog())["preview"]["error"] == "the sample record must be a JSON object, not an array"
    missing_id = draft(form(sample='{"data": {}}'), catalog())["preview"]
    assert missing_id["stored"] is False
    assert any(m["code"] in ("invalid_id", "missing") for m in missing_id["record_errors"] + columns_of(missing_id)["_id"]["messages"])


def test_a_lone_surrogate_escape_in_a_sample_or_a_paste_is_read_as_the_service_reads_it() -> None:
    # the preview and the paste decoded with plain orjson after json_problem passed the text: a 500
    columns = {"_id": {"path": "id"}}
    preview = draft(form(columns=columns, allow_missing_fields=True, sample='{"id": "a\\ud800"}'), catalog())["preview"]
    assert preview["error"] is None and preview["stored"] is True and preview["id"] == '"a\ufffd"'
    assert preview["record_errors"] == [] and [m["code"] for c in preview["columns"] for m in c["messages"]] == ["utf8_replaced"]  # (the key field's)
    body, lines, shown, _held, _cols = paste_records('{"records": [{"value": {"id": "b\\udc00"}}]}')
    assert lines == [1] and shown == ['{"id":"b\ufffd"}'] and body == b'{"records": [{"value": {"id": "b\\udc00"}}]}'  # sent as pasted


def test_the_preview_says_where_a_number_beyond_float64_is_as_the_paste_does() -> None:
    # it said "not valid JSON for the service: number is infinity when parsed as double: line 1 column 20 (char 19)"
    preview = draft(form(sample='\n\n{"id": "x", "zz": [1e400]}'), catalog())["preview"]
    assert preview["stored"] is None and preview["error"] == (
        "the sample record: number 1e400 (line 3 char 20) at `$.zz[0]` is beyond the float64 range the endpoint decodes numbers into: "
        "the endpoint refuses a whole body holding one"
    )


def test_positions_in_refusals_count_a_lines_indent_and_the_samples_leading_lines() -> None:
    # the line was checked stripped: "invalid character at char 8" for the x at char 11 of the paste's line
    with pytest.raises(mapper.ServiceError, match=r"line 2: Invalid JSON: invalid character 'x' at char 11: a value was expected;"):
        paste_records('{"id": 1}\n   {"id": x}\n')
    # the sample likewise, and its leading blank lines: line 4 char 8 of the sample box (it said line 2)
    preview = draft(form(sample='\n\n  {"id": "x",\n "zz": x}'), catalog())["preview"]
    assert preview["error"] == "the sample record: Invalid JSON: invalid character 'x' at line 4 char 8 of the record: a value was expected"


def test_the_preview_takes_a_leading_byte_order_mark_off_as_the_paste_does() -> None:
    # the paste took it off and sent the record; the preview refused it: "invalid character at char 1"
    assert paste_records("\ufeff" + SEED).body == encode_body([SEED.encode()])
    preview = draft(form(sample="\ufeff" + SEED), catalog())["preview"]
    assert preview["error"] is None and preview["stored"] is True


def test_the_preview_reads_the_sample_as_a_paste_sends_it() -> None:
    # str.strip() took a no-break space (copied from a web page) off the sample, and the preview
    # said the record would be stored; pasted, the same text is refused as not JSON
    for space in ("\u00a0", "\u2028", "\u3000"):
        text = space + SEED
        with pytest.raises(mapper.ServiceError, match="line 1: Invalid JSON: invalid character at char 1"):
            paste_records(text)
        preview = draft(form(sample=text), catalog())["preview"]
        # (the character named: it looks like a space, and JSON takes it for none)
        assert preview["stored"] is None and preview["error"].startswith(
            f"the sample record: Invalid JSON: invalid character at char 1: U+{ord(space):04X} ("
        ), space
        # a sample of such a space alone is previewed (refused), not taken for no sample at all
        preview = draft(form(sample=space), catalog())["preview"]
        assert preview is not None and preview["stored"] is None and "Invalid JSON" in preview["error"], space
    # JSON's own whitespace around the record is taken off both
    preview = draft(form(sample=" \r\n\t" + SEED + "\n "), catalog())["preview"]
    assert preview["error"] is None and preview["stored"] is True
    assert paste_records(" \r\n\t" + SEED + "\n ")[0] == encode_body([SEED.encode()])
    # and only it: a form feed or a vertical tab is no JSON whitespace (bytes.strip() took
    # them off, so the record was sent and stored where mapper validate refuses it)
    for space in ("\x0c", "\x0b"):
        for text in (space + SEED, SEED + space, SEED + "\n" + space + SEED + "\n"):
            assert mapper.compile_sink(ROOT / "examples" / "aircraft" / "sink.json").validate(text.encode()).error_count == 1
            with pytest.raises(mapper.ServiceError, match="Invalid JSON"):
                paste_records(text)
        preview = draft(form(sample=space + SEED), catalog())["preview"]
        assert preview["stored"] is None and preview["error"].startswith("the sample record: Invalid JSON"), space


# ---------------------------------------------------------------------------------------
# Pasted records


def test_paste_takes_the_body_ndjson_or_one_object() -> None:
    body_text = '{"records": [{"value": {"id": "a"}}, {"value": {"id": "b", "x": 4.350}}]}'
    body, lines, shown, _held, _cols = paste_records("\n" + body_text + "\n")
    assert body == body_text.encode() and lines == [2, 2] and shown == ['{"id":"a"}', '{"id":"b","x":4.35}']
    body, lines, shown, _held, _cols = paste_records('{"id": 1, "x": 4.350}\n\n  {"id": 2}\r\n')
    assert body == encode_body([b'{"id": 1, "x": 4.350}', b'{"id": 2}']) and lines == [1, 3]  # verbatim: 4.350 stays
    body, lines, _, _held, _cols = paste_records('{\n  "id": 1,\n  "data": {"a": 2}\n}')
    assert orjson.loads(body) == {"records": [{"value": {"id": 1, "data": {"a": 2}}}]} and lines == [1]
    # after blank lines, the record's line is the one it starts on (it was always line 1)
    body, lines, _, _held, _cols = paste_records('\n\n  {\n  "id": 1\n}\n')
    assert orjson.loads(body) == {"records": [{"value": {"id": 1}}]} and lines == [3]
    assert paste_records('\r\n{"id": 1}')[1] == [2] == paste_records('\r\n{"id": 1}\n{"id": 2}')[1][:1]
    body, lines, _, _held, _cols = paste_records("[1, 2]\n[3]\n")  # a line that is JSON but not an object: the endpoint refuses that record
    assert lines == [1, 2]
    body, lines, _, _held, _cols = paste_records('[{"id": 1}, 2]\n')  # an array alone on its line: its records, as validate reads it
    assert body == encode_body([b'{"id": 1}', b"2"]) and lines == [1, 1]
    with pytest.raises(mapper.ServiceError, match=r"line 2: Invalid JSON: unexpected end of the record \(truncated\); nothing was sent"):
        paste_records('{"id": 1}\n{"id": 2\n')
    with pytest.raises(mapper.ServiceError, match="nothing to send"):
        paste_records("  \n ")


def test_an_empty_array_or_a_second_byte_order_mark_is_said_as_such() -> None:
    # "[]" was sent as a body of no records ("0 stored, 0 refused", a request counted); then the
    # endpoint's body of none was still sent and answered "0 of 0 records stored" while [] was
    # refused: both are one refusal, in one message
    for text in ("[]", "\ufeff[\n]\n", '{"records": []}', '{\n  "records": [ ]\n}\n'):
        with pytest.raises(mapper.ServiceError, match=r"InvalidBody: nothing to send: the paste holds no records \(an empty array\); nothing was sent$"):
            paste_records(text)
    # files joined, each with its mark: the second said to be one (it was "invalid character at char 1"),
    # in the words every reader uses for a mark before a record within an input
    with pytest.raises(mapper.ServiceError, match=r"line 2: Invalid JSON: invalid character at char 1: a byte order mark \(U\+FEFF\), which may open an input"):
        paste_records('{"id": "a"}\n\ufeff{"id": "b"}')
    # a second mark opening the paste: said to be a second (char 1 looked like the first, taken off)
    with pytest.raises(
        mapper.ServiceError,
        match=r"line 1: Invalid JSON: invalid character at char 1: a second byte order mark \(U\+FEFF\): the input's first, which may open it, is taken off",
    ):
        paste_records('\ufeff\ufeff{"id": "a"}')


def test_a_paste_of_several_json_values_is_told_what_the_page_takes_not_a_cli_option() -> None:
    # the reader's hint said "say so with --input-format ndjson (input_format='ndjson')": no such thing on the page
    with pytest.raises(mapper.ServiceError) as err:
        paste_records('[{"id": 1},\n {"id": 2}]\n[{"id": 3}]')
    assert err.value.message == (
        "Invalid JSON: the JSON array is not valid JSON: trailing characters at line 3 char 1; the paste holds several JSON values: "
        "put each record on a line of its own, or all of them in one array; nothing was sent"
    )


# ---------------------------------------------------------------------------------------
# The routes


@contextmanager
def ui_server(token: str | None = None, create_delay: float = 0.0, store_clock: Any = None, **kw: Any) -> Iterator[Server]:
    store = Store(":memory:") if store_clock is None else Store(":memory:", clock=store_clock)
    app = App(store, token=token, create_delay=create_delay, **kw)
    install(app, catalog())
    server = Server(app, idle_timeout=5.0).start()
    try:
        yield server
    finally:
        server.stop(timeout=5.0)
        store.close()


def request(server: Server, method: str, path: str, body: Any = None, headers: dict[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request: ``body`` as bytes, or a value sent as JSON; the status, headers (lower-case names) and body."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        data = body if isinstance(body, (bytes, type(None))) else orjson.dumps(body)
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
        hdrs.update(headers or {})
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_pages_and_assets_are_local_and_locked_down() -> None:
    with ui_server() as server:
        for path, marker in (
            ("/ui/", b'data-page="sources"'),
            ("/ui", b'data-page="sources"'),
            ("/ui/new", b'data-page="new"'),
            ("/ui/sources/x", b'data-page="source"'),
        ):
            status, headers, body = request(server, "GET", path)
            assert status == 200 and marker in body, path
            assert headers["content-type"] == "text/html; charset=utf-8"
            csp = headers["content-security-policy"]
            assert "script-src 'self'" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
            assert headers["x-content-type-options"] == "nosniff"
        status, headers, _ = request(server, "GET", "/")
        assert status == 302 and headers["location"] == "/ui/"
        status, headers, body = request(server, "GET", "/ui/static/app.js")
        assert status == 200 and headers["content-type"] == "text/javascript; charset=utf-8" and b"textContent" in body
        for bad in ("/ui/static/nope.js", "/ui/static/new.html", "/ui/static/..%2Fapp.py"):
            status, _h, body = request(server, "GET", bad)
            assert status == 404 and orjson.loads(body)["code"] == "ResourceNotFound", bad


def test_assets_fetch_nothing_from_elsewhere_and_never_parse_html() -> None:
    assets = load_assets()
    assert set(assets) == {"app.js", "style.css", "sources.html", "new.html", "source.html"}
    for name, (data, _ctype) in assets.items():
        text = data.decode()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), name  # no URL of another host
        assert "@import" not in text and "url(" not in text, name
        if name.endswith(".html"):
            # one script, the package's, and no inline code (the CSP would refuse it anyway)
            assert re.findall(r"<script\b([^>]*)>(.*?)</script>", text, re.S) == [(' src="/ui/static/app.js" defer', "")], name
            assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), name
    js = assets["app.js"][0].decode()
    # what a user sent reaches the page as text only
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js, sink
    # no lookbehind in a regular expression: Safari before 16.4 cannot parse one, and a script it cannot
    # parse runs not at all (every page blank): the message's quoted parts were found with one
    assert not re.search(r"\(\?<[=!]", js)


def test_the_static_files_are_package_data() -> None:
    # pyproject's package-data globs must take every file the UI serves (else a wheel serves 404s)
    m = re.search(r'^"mapper\.web" = (\[.*\])$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert m, "pyproject.toml: [tool.setuptools.package-data] has no mapper.web line"
    globs = json.loads(m.group(1))
    for path in (ROOT / "mapper" / "web" / "static").iterdir():
        assert any(fnmatch(f"static/{path.name}", g) for g in globs), path.name


def test_the_ui_routes_answer_as_the_api() -> None:
    now = [1_700_000_000.0]  # the store's clock: CREATING lasts until it is moved, however slow the requests
    with ui_server(create_delay=0.4, store_clock=lambda: now[0]) as server:
        status, _h, body = request(server, "GET", "/ui/api/catalog")
        assert status == 200 and orjson.loads(body)["databases"][0]["tables"][0]["name"] == "aircraft"
        status, _h, body = request(server, "GET", "/ui/api/name?name=Web")
        assert orjson.loads(body) == {"name": "Web", "valid": False, "message": check_name("Web"), "taken": False}
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form())[2])
        assert out["valid"]
        # the page posts body_text to the API itself
        status, _h, body = request(server, "POST", "/v1/sinks", out["body_text"].encode())
        assert status == 200 and orjson.loads(body)["state"] == "CREATING"
        assert orjson.loads(request(server, "GET", "/ui/api/name?name=aircraft_positions")[2])["taken"] is True
        # CREATING: the paste is answered as the endpoint answers (and noted as the last error)
        status, _h, body = request(server, "POST", "/ui/api/sinks/aircraft_positions/send", {"text": SEED})
        assert status == 400 and orjson.loads(body)["code"] == "InvalidParameter" and "CREATING" in orjson.loads(body)["message"]
        now[0] += 0.5
        assert orjson.loads(request(server, "GET", "/v2/sinks/aircraft_positions")[2])["state"] == "ACTIVE"
        bad = SEED.replace("37996", '"high"').replace(":0:0", ":0:9")
        status, _h, body = request(server, "POST", "/ui/api/sinks/aircraft_positions/send", {"text": SEED + "\n" + bad})
        got = orjson.loads(body)
        assert status == 200
        assert got["answer"]["success_count"] == 1 and got["answer"]["error_count"] == 1
        assert [(e["record"], e["path"], e["code"]) for e in got["errors"]] == [(1, "$.data.altitude", "invalid_value")]
        assert [r["line"] for r in got["records"]] == [1, 2]
        # the answer is the endpoint's for the same body
        api_status, _h, api_body = request(server, "POST", "/v2/sinks/aircraft_positions", encode_body([SEED.encode(), bad.encode()]))
        assert api_status == 200 and answered_as_the_api(got["answer"], orjson.loads(api_body))
        info = orjson.loads(request(server, "GET", "/ui/api/sinks/aircraft_positions")[2])
        assert info["counts"]["records_stored"] == 2 and info["counts"]["records_refused"] == 2
        assert info["last_error"].startswith("400 InvalidParameter") and info["database"] == "local"
        assert json.loads(info["body_text"]) == {k: out["body"][k] for k in ("name", "sink_details", "schema")}
        rows = orjson.loads(request(server, "GET", "/ui/api/sinks/aircraft_positions/rows?limit=5")[2])
        assert rows["total"] == 1 and rows["rows"][0]["id"] == '"PD2tRswoE3:0:0"'
        names = [c["name"] for c in rows["columns"]]
        assert rows["rows"][0]["cells"][names.index("aircraftid")] == {"kind": "value", "text": '"40688E"'}
        assert request(server, "GET", "/ui/api/sinks/aircraft_positions/rows?limit=5000")[0] == 400
        assert request(server, "GET", "/ui/api/sinks/nope")[0] == 404


def test_null_and_missing_rows_are_apart_in_the_ui_rows() -> None:
    with ui_server() as server:
        cols = {"_id": {"path": "id"}, "lat": {"path": "lat"}, "altitude": {"path": "alt"}}
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="nm", columns=cols, allow_missing_fields=True))[2])
        assert request(server, "POST", "/v1/sinks", out["body_text"].encode())[0] == 200
        text = '{"id": "a", "lat": null}\n{"id": "b", "lat": 1.5, "alt": 12}'
        assert request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})[0] == 200
        rows = orjson.loads(request(server, "GET", "/ui/api/sinks/nm/rows")[2])["rows"]
        assert rows[0]["cells"] == [{"kind": "null", "text": "null"}, {"kind": "missing", "text": "missing"}]
        assert rows[1]["cells"] == [{"kind": "value", "text": '"1.5000"'}, {"kind": "value", "text": "12"}]


def paste_source(server: Server, name: str = "nm") -> None:
    """A source taking {"id", "lat", "alt"} records, missing values allowed, to paste into."""
    cols = {"_id": {"path": "id"}, "lat": {"path": "lat"}, "altitude": {"path": "alt"}}
    out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name=name, columns=cols, allow_missing_fields=True))[2])
    assert request(server, "POST", "/v1/sinks", out["body_text"].encode())[0] == 200


def test_a_pasted_json_array_over_lines_is_its_records_as_typed() -> None:
    # mapper validate reads a pretty-printed array as its elements; the paste read it a line
    # at a time and refused "line 1: ... truncated" (the "[" alone)
    first = '{"id": "a", "lat": 1.0, "n": 12345678901234567890}'
    second = '{\n    "id": "b",\n    "alt": 12\n  }'
    text = "[\n  " + first + ",\n  " + second + ",\n  3\n]\n"
    with ui_server() as server:
        paste_source(server)
        status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})
        got = orjson.loads(body)
        assert status == 200
        # each element its own text, as typed (1.0 and the 20-digit integer not re-encoded), on the line it starts
        assert [(r["line"], r["text"]) for r in got["records"]] == [(2, first), (3, second), (7, "3")]
        assert got["answer"]["success_count"] == 2 and got["answer"]["error_count"] == 1
        # an element that is not an object goes into the body and is refused alone, as the CLI reports it
        assert [(e["record"], e["path"], e["code"]) for e in got["errors"]] == [(2, "$", "not_an_object")]
        api_body = encode_body([first.encode(), second.encode(), b"3"])
        assert paste_records(text)[0] == api_body
        assert answered_as_the_api(got["answer"], orjson.loads(request(server, "POST", "/v2/sinks/nm", api_body)[2]))
        rows = orjson.loads(request(server, "GET", "/ui/api/sinks/nm/rows")[2])["rows"]
        assert [r["id"] for r in rows] == ['"a"', '"b"'] and rows[0]["cells"][0] == {"kind": "value", "text": '"1.0000"'}


def test_a_broken_pasted_array_is_refused_naming_its_line_and_nothing_is_sent() -> None:
    with ui_server() as server:
        paste_source(server)
        for text, where in (
            ('[\n  {"id": "a"},\n  {"id": "b"}\n  {"id": "c"}\n]', "at line 4 char 3"),  # a comma missing
            ('[\n  {"id": "a"},\n  {"id": "b",\n', "line 3: Invalid JSON: unexpected end of the record (truncated)"),  # cut short: the record it cuts
        ):
            status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})
            err = orjson.loads(body)
            assert status == 400 and err["code"] == "InvalidBody" and where in err["message"] and "nothing was sent" in err["message"], text
        assert orjson.loads(request(server, "GET", "/ui/api/sinks/nm/rows")[2])["total"] == 0


def test_pasted_objects_one_after_another_are_a_record_each() -> None:
    # `jq .` prints each object over lines, one after another: mapper validate reads each as a
    # record (on the line it starts); the paste refused "line 1: ... truncated"
    first = '{\n  "id": "a",\n  "lat": 1.0\n}'
    second = '{\n  "id": "b",\n  "n": 12345678901234567890\n}'
    third = '{"id": "c", "alt": 7}'
    text = first + "\n" + second + "\n\n" + third + "\n"
    with ui_server() as server:
        paste_source(server)
        status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})
        got = orjson.loads(body)
        assert status == 200 and got["answer"]["success_count"] == 3 and got["errors"] == []
        assert [(r["line"], r["text"]) for r in got["records"]] == [(1, first), (5, second), (10, third)]
        assert paste_records(text)[0] == encode_body([first.encode(), second.encode(), third.encode()])  # as typed
        # one of them broken: refused naming the line it starts on, nothing sent
        broken = first + "\n" + '{\n  "id": \n}' + "\n" + third
        status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": broken})
        err = orjson.loads(body)
        assert status == 400 and err["code"] == "InvalidBody" and err["message"].startswith("line 5: ") and "nothing was sent" in err["message"]
        assert orjson.loads(request(server, "GET", "/ui/api/sinks/nm/rows")[2])["total"] == 3


def test_a_paste_starting_with_a_byte_order_mark_is_read_without_it() -> None:
    # an editor's UTF-8 BOM (U+FEFF): the CLI takes it off; the paste refused "invalid character at char 1"
    body_text = '{"records": [{"value": {"id": "c"}}]}'
    with ui_server() as server:
        paste_source(server)
        for text, ids, lines in (
            ('\ufeff{"id": "a", "lat": 1.0}\n{"id": "b"}\n', ['"a"', '"b"'], [1, 2]),
            ("\ufeff" + body_text, ['"c"'], [1]),
            ('\ufeff[\n  {"id": "d"}\n]', ['"d"'], [2]),
            ('\ufeff{\n  "id": "e"\n}', ['"e"'], [1]),
        ):
            status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})
            got = orjson.loads(body)
            assert status == 200 and got["answer"]["success_count"] == len(ids), text
            assert [r["line"] for r in got["records"]] == lines and "\ufeff" not in got["records"][0]["text"], text
        rows = orjson.loads(request(server, "GET", "/ui/api/sinks/nm/rows")[2])["rows"]
        assert sorted(r["id"] for r in rows) == ['"a"', '"b"', '"c"', '"d"', '"e"']
    assert paste_records("\ufeff" + body_text)[0] == body_text.encode()  # the body as pasted, but for the mark


def test_errors_name_the_pastes_lines_and_records_not_the_built_bodys() -> None:
    # the body the page builds is on one line: the endpoint's messages said "(record 1, line 1, ...)"
    # for the record the page shows as "Record 2 (line 3)"
    with ui_server() as server:
        paste_source(server)
        text = '{"id": "a", "lat": "x"}\n\n{"id": "b", "alt": "zz", "lat": 4.35555}\n'
        got = orjson.loads(request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})[2])
        assert [(r["index"], r["line"], r["status"]) for r in got["records"]] == [(0, 1, "error"), (1, 3, "error")]
        assert [(e["record"], e["line"]) for e in got["errors"]] == [(0, 1), (1, 3)]
        assert got["errors"][1]["message"].endswith('(record 2, line 3, column "altitude")')
        assert got["records"][1]["error_message"].endswith('- at `$.alt` (record 2, line 3, column "altitude")')
        assert [(w["record"], w["line"]) for w in got["warnings"]] == [(1, 3)] and "(record 2, line 3," in got["warnings"][0]["message"]
        # the endpoint's answer to the body sent, in the paste's terms too (its own named "record 1, line 1")
        api = orjson.loads(request(server, "POST", "/v2/sinks/nm", paste_records(text).body)[2])
        assert answered_as_the_api(got["answer"], api) and "(record 1, line 1," in api["records"][1]["error_message"]
        assert got["answer"]["records"][1]["error_message"] == got["records"][1]["error_message"]
        # a pasted body after blank lines, over lines: each record on the line of the paste its value starts on
        body = '{"records": [\n  {"value": {"id": "c"}},\n  {"value":\n    {"id": "d", "lat": "y"}}\n]}'
        got = orjson.loads(request(server, "POST", "/ui/api/sinks/nm/send", {"text": "\n\n" + body})[2])
        assert [r["line"] for r in got["records"]] == [4, 6] and [(e["record"], e["line"]) for e in got["errors"]] == [(1, 6)]
        assert got["records"][1]["error_message"].endswith('(record 2, line 6, column "lat")')


def test_a_number_beyond_float64_keeps_its_record_out_of_the_body_and_says_where() -> None:
    # the endpoint's decoder refuses a whole body holding 1e400: the paste was refused whole,
    # naming "line 1 column 20" of the record's own text; now that record alone is not sent
    text = '[\n  {"id": "a"},\n  {"id": "b",\n   "x": {"q": [1, -2E+999]}},\n  {"id": "c", "lat": 1.5}\n]'
    with ui_server() as server:
        paste_source(server)
        status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})
        got = orjson.loads(body)
        assert status == 200 and got["not_sent"] == 1 and got["answer"]["success_count"] == 2 and got["written"] == 2
        assert [(r["line"], r["status"]) for r in got["records"]] == [(2, "success"), (3, "not_sent"), (5, "success")]
        held = got["records"][1]
        assert held["error_code"] is None and held["error_message"].startswith("number -2E+999 (line 4 char 19) is beyond the float64 range")
        assert held["error_message"].endswith("- at `$.x.q[1]` (record 2, line 3)")
        assert [(e["record"], e["code"], e["path"]) for e in got["errors"]] == [(1, "out_of_range", "$.x.q[1]")]
        rows = orjson.loads(request(server, "GET", "/ui/api/sinks/nm/rows")[2])["rows"]
        assert [r["id"] for r in rows] == ['"a"', '"c"']
        # only such records: nothing is sent (no request counted), each said
        got = orjson.loads(request(server, "POST", "/ui/api/sinks/nm/send", {"text": '{"id": "e", "lat": 1e400}'})[2])
        assert got["answer"] is None and got["not_sent"] == 1 and got["records"][0]["error_message"].startswith("number 1e400 (line 1 char 20)")
        assert orjson.loads(request(server, "GET", "/ui/api/sinks/nm")[2])["counts"]["requests"] == 1
        # the endpoint's body, sent as pasted: refused whole, as the endpoint refuses it, naming the record and where
        body_text = '{"records": [\n  {"value": {"id": "f"}},\n  {"value": {"id": "g", "lat": 1e400}}\n]}'
        status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": "\n" + body_text})
        err = orjson.loads(body)
        assert status == 400 and err["code"] == "InvalidBody", err
        assert err["message"].startswith("record 2, line 4 char 32: number 1e400 at `$.records[1].value.lat` is beyond the float64 range")
        assert "nothing was sent" in err["message"]
        assert orjson.loads(request(server, "GET", "/ui/api/sinks/nm/rows")[2])["total"] == 2


def test_a_lone_surrogate_in_a_paste_is_said_at_its_line_in_the_paste() -> None:
    # half an emoji copied: the page's JSON.stringify escapes it, and orjson refused the UI's
    # request naming the request's own position ("no low surrogate in string: line 1 column 23")
    with ui_server() as server:
        paste_source(server)
        raw = b'{"text": "{\\"id\\": \\"a\\"}\\n{\\"id\\": \\"b\\ud83d\\"}"}'
        assert json.loads(raw)["text"] == '{"id": "a"}\n{"id": "b\ud83d"}'
        status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", raw)
        err = orjson.loads(body)
        assert status == 400 and err["code"] == "InvalidBody", err
        assert err["message"].startswith("the records: line 2 char 10 holds U+D83D, half of a UTF-16 surrogate pair") and "nothing was sent" in err["message"]
        status, _h, body = request(server, "POST", "/ui/api/draft", orjson.dumps(form()).replace(b'"sample":""', b'"sample":"\\udc00"'))
        # (the sample's is said as its preview's error: the form is still drafted, tests/test_hunt_web.py)
        assert status == 200 and orjson.loads(body)["preview"]["error"].startswith("the sample record: line 1 char 1 holds U+DC00")
        assert orjson.loads(request(server, "GET", "/ui/api/sinks/nm/rows")[2])["total"] == 0


def test_the_token_guards_the_data_not_the_pages() -> None:
    with ui_server(token="s3cret") as server:
        assert request(server, "GET", "/ui/new")[0] == 200
        assert orjson.loads(request(server, "GET", "/ui/api/config")[2])["token_required"] is True
        for method, path, body in (("GET", "/ui/api/catalog", None), ("POST", "/ui/api/draft", form()), ("GET", "/ui/api/name?name=x", None)):
            assert request(server, method, path, body)[0] == 401, path
        assert request(server, "GET", "/ui/api/catalog", headers={"Authorization": "Bearer s3cret"})[0] == 200


def test_the_ui_takes_json_only_and_bounds_bodies() -> None:
    with ui_server(max_body_bytes=2000) as server:
        status, _h, body = request(server, "POST", "/ui/api/draft", b"{}", headers={"Content-Type": "text/plain"})
        assert status == 400 and orjson.loads(body)["code"] == "InvalidContentType"  # a cross-site form cannot post here
        status, _h, body = request(server, "POST", "/ui/api/draft", b"{nope")
        assert status == 400 and orjson.loads(body)["code"] == "InvalidBody"
        status, _h, body = request(server, "POST", "/ui/api/draft", orjson.dumps({"sample": "x" * 9000}))
        assert status == 413
        # the UI's own cap, said as such (it said "this endpoint takes at most 8,000", the endpoint's limit being 2,000)
        assert orjson.loads(body)["message"].startswith(
            "the form (with its sample record) is too big: as the page sends it (JSON text) it is more than the 8,000 bytes"
        )
        status, _h, body = request(server, "POST", "/ui/api/sinks/nope/send", {"text": "x" * 9000})
        assert status == 404  # (no such source: said before the paste is read)
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="t"))[2])
        request(server, "POST", "/v1/sinks", out["body_text"].encode())
        status, _h, body = request(server, "POST", "/ui/api/sinks/t/send", {"text": "\n".join([SEED] * 6)})
        assert status == 413 and orjson.loads(body)["code"] == "RequestEntityTooLarge"
        status, _h, body = request(server, "POST", "/ui/api/sinks/t/send", {"text": "\n".join([SEED] * 30)})
        assert (
            status == 413
            and "the paste is too big" in orjson.loads(body)["message"]
            and "endpoint's body limit of 2,000 bytes" in orjson.loads(body)["message"]
        )
        assert orjson.loads(request(server, "GET", "/v2/sinks/t")[2])["last_error"].startswith("413")


def test_a_request_line_too_long_says_what_is_too_long() -> None:
    # http.server refused a request line over 65,536 bytes (a name check of a pasted 70,000 character name) without a
    # message: the answer said only "the request cannot be read"; then 414 naming the limit. Served since, as Go's server
    # (the service's) serves it, the head bounded by its bytes alone: 431 past 1 MiB and 4 KiB, saying so
    with ui_server() as server:
        status, _h, body = request(server, "GET", "/ui/api/name?name=" + "a" * 70_000)
        assert status == 200 and "70000 characters long" in orjson.loads(body)["message"], body[:200]
        status, _h, body = request(server, "GET", "/ui/api/name?name=" + "a" * 1_100_000)
    assert status == 431
    assert orjson.loads(body) == {
        "code": "RequestHeaderFieldsTooLarge",
        "message": "the request line and headers are over 1,052,672 bytes (1 MiB and 4 KiB), the most this server reads, as the service",
    }


def test_format_body_is_the_body() -> None:
    body = draft(form(), catalog())["body"]
    text = format_body(body)
    assert json.loads(text) == body
    assert text.splitlines()[0] == "{" and '      {"name": "_id", "path": ["id"], "type": "string"},' in text.splitlines()


# ---------------------------------------------------------------------------------------
# The command


def test_serve_with_tables_announces_the_ui(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "serve", "--db", str(tmp_path / "s.db"), "--port", "0", "--table", f"flights={TABLE}", "-q"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline().decode()
            lines.append(line)
            if "web UI" in line or not line:
                break
        m = re.search(r"web UI: (http://127\.0\.0\.1:(\d+))/ui/ \(tables: flights/aircraft\)", "".join(lines))
        assert m, lines
        conn = http.client.HTTPConnection("127.0.0.1", int(m.group(2)), timeout=10)
        conn.request("GET", "/ui/api/catalog")
        cat = orjson.loads(conn.getresponse().read())
        conn.close()
        assert cat["databases"][0]["name"] == "flights" and cat["databases"][0]["id"] == database_id("flights")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_serve_refuses_bad_tables_and_contradictory_options(tmp_path: Path, capsys: Any) -> None:
    from mapper.cli import main

    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE TABLE t (_id ID,\n  n INTEGER)")
    assert main(["serve", "--db", ":memory:", "--table", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"mapper serve: {bad}: line 2 column 5: unsupported column type 'INTEGER'" in err
    assert main(["serve", "--db", ":memory:", "--no-ui", "--table", str(TABLE)]) == 2
    assert "--table is for the web UI" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# Bug hunt against FeatureBase: the catalog and the preview agree with `mapper check`


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CREATE TABLE a (_id ID);\nCREATE TABLE b (_id ID,\n  d DECIMAL(25));", "line 3 column 13: the scale 25 of DECIMAL is outside 0..19"),
        ("CREATE TABLE b (_id ID, d DECIMAL(2) MIN 5 MAX 1)", "line 1 column 38: MIN (5) is greater than MAX (1)"),
        ("CREATE TABLE b (_id ID, i INT MIN " + "9" * 5000 + ")", "line 1 column 35: MIN 9999"),
        ("CREATE TABLE b (_id ID) KEYPARTITIONS " + "9" * 5000, "line 1 column 39: KEYPARTITIONS 9999"),
    ],
)
def test_catalog_refuses_what_featurebase_refuses(tmp_path: Path, text: str, expected: str) -> None:
    script = tmp_path / "bad.sql"
    script.write_text(text)
    with pytest.raises(MapperError) as err:
        load_catalog([str(script)])
    assert expected in str(err.value) and "^" in str(err.value)


def test_a_ui_form_with_a_very_long_number_is_a_400_not_a_500() -> None:
    doc = {"name": "big", "table": "CREATE TABLE t (_id ID, i INT MIN " + "9" * 5000 + ")", "mapping": {"_id": "id", "i": "i"}, "allow_missing_fields": False}
    with ui_server() as server:
        status, _h, body = request(server, "POST", "/v1/sinks", doc)
    # the endpoint takes the sink body only: a UI form is the body's fault, said before its own problems
    assert status == 400 and json.loads(body)["code"] == "InvalidBody", body[:500]
    messages = " ".join(p.message for p in mapper.check_sink(doc).problems)
    assert "does not fit a signed 64-bit integer" in messages and "line 1 column 35" in messages


def test_preview_reads_mapping_keys_as_check_does_case_insensitively() -> None:
    cat = Catalog()
    cat.add("local", "CREATE TABLE t (_id ID, n INT, q IDSETQ TIMEQUANTUM 'YMD', other STRING)")
    cols = {"_ID": {"path": "id"}, "N": {"path": "n"}, "q": {"path": "q"}, "_timequantum": {"path": "t"}}
    sample = json.dumps({"id": 7, "n": 3, "q": [1, 2], "t": "2023-01-02T03:04:05Z"})
    out = draft({"name": "cased", "database_id": database_id("local"), "table": "t", "columns": cols, "allow_missing_fields": True, "sample": sample}, cat)
    assert out["valid"], out["problems"]
    assert [e["name"] for e in out["body"]["schema"]["definition"]] == ["_id", "n", "q", "_timeQuantum"]
    c = columns_of(out["preview"])
    assert list(c) == ["_id", "n", "q", "other", "_timeQuantum"]
    assert c["_id"]["path"] == "id" and c["_id"]["found"] == {"kind": "value", "text": "7"}
    assert c["_id"]["stored"] == {"kind": "id", "text": "_id 7"}
    assert c["n"]["path"] == "n" and c["n"]["found"] == {"kind": "value", "text": "3"} and c["n"]["stored"] == {"kind": "value", "text": "3"}
    assert c["_timeQuantum"]["path"] == "t" and c["_timeQuantum"]["found"] == {"kind": "value", "text": '"2023-01-02T03:04:05Z"'}
    assert c["other"]["found"] == {"kind": "unmapped", "text": "not mapped"}
    # every column the body maps is shown mapped, with the body's path
    for entry in out["body"]["schema"]["definition"]:
        assert c[entry["name"]]["found"]["kind"] != "unmapped", entry


def test_a_pasted_body_deeper_than_the_engines_decoder_goes_is_still_sent_as_pasted() -> None:
    # found in review: the body was told by the engine's decoder, which stops about 30 levels before
    # the service's; a body holding a value 1,005 arrays deep was wrapped as one record, the body itself
    deep = "[" * 1005 + "]" * 1005
    body = '{"records": [{"value": {"id": "a", "a": ' + deep + "}}]}"
    pasted = paste_records(body)
    assert pasted.body == body.encode() and pasted.lines == [1] and not pasted.held
