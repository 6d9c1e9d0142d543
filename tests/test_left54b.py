"""Small gaps left at stop 54: serve's unclean paths, a records path from the document's root,
a sink_details number beyond float64, a sink file's byte order mark, a nameless recordTime entry."""

from __future__ import annotations

import json
import socket
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from cli_inproc import run_main

import mapper
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


# ---------------------------------------------------------------------------------------
# a records path from the document's root ($.items) is refused saying what to write, as a sink's
# path string so written is a path-root warning (it read a key '$' and found no records)

RECORDS_SINK = {
    "primary_key_fields": ["k"],
    "allow_missing_fields": True,
    "definition": [{"name": "k", "path": ["k"], "type": "string"}, {"name": "v", "path": ["v"], "type": "int"}],
}
DOCUMENT = b'{"items": [{"k": "a", "v": 1}]}'


@pytest.mark.parametrize(("given", "says"), [("$.items", "write it 'items'"), ("$.data.items", "write it 'data.items'"), ("$", "leave the records path out")])
def test_a_records_path_from_the_documents_root_is_refused_saying_what_to_write(given: str, says: str) -> None:
    m = mapper.compile_sink(RECORDS_SINK)
    with pytest.raises(mapper.OptionError) as exc:
        m.validate(DOCUMENT, records_path=given)
    message = str(exc.value)
    assert message.startswith(f"records_path {given!r} would read a key named '$' first") and says in message, message
    assert repr('"$"' + given[1:]) in message  # (a key '$' is quoted)


def test_a_records_path_from_the_root_is_a_usage_error_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text(json.dumps(RECORDS_SINK))
    (tmp_path / "d.json").write_bytes(DOCUMENT)
    ran = run_main("validate", "s.json", "d.json", "--records-path", "$.items", cwd=tmp_path)
    assert ran.returncode == 2 and ran.err.startswith("mapper: --records-path '$.items' would read a key named '$' first") and "'items'" in ran.err, ran.err
    assert run_main("validate", "s.json", "d.json", "--records-path", "items", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("given", ['"$".items', ["$", "items"], "items.$", "$x.items"])
def test_a_key_named_dollar_written_so_is_read(given: Any) -> None:
    m = mapper.compile_sink(RECORDS_SINK)
    document = b'{"$": {"items": [{"k": "a"}]}, "$x": {"items": [{"k": "b"}]}, "items": {"$": [{"k": "c"}]}}'
    assert m.validate(document, records_path=given).records == 1, given


# ---------------------------------------------------------------------------------------
# a sink_details number beyond float64 is said as written, not as Python's inf


def test_a_sink_details_number_beyond_float64_is_said_as_written() -> None:
    body = (
        b'{"name": "x", "sink_details": {"database_id": "<uuid>", "table": "t", "n": 1E+400, "m": {"a": [-1e400]}},'
        b' "schema": {"primary_key_fields": ["k"], "allow_missing_fields": true, "definition": [{"name": "k", "path": ["k"], "type": "string"}]}}'
    )
    result = mapper.check_sink(body)
    said = {p.pointer: p.message for p in result.problems if p.code == "unknown-key"}
    assert said["/sink_details/n"].startswith("unknown key sink_details.n holds the number 1E+400, beyond the float64 range"), said
    assert said["/sink_details/m"].startswith("unknown key sink_details.m holds the number -1e400, beyond the float64 range"), said
    assert all("inf" not in m for m in said.values()), said
    assert result.sink is not None and result.sink.sink_details is not None and "n" not in result.sink.sink_details


# ---------------------------------------------------------------------------------------
# a sink file opening with a byte order mark: read (as a records file's), with a warning naming the file


def test_a_sink_file_with_a_byte_order_mark_is_read_with_a_warning_naming_it(tmp_path: Path) -> None:
    text = json.dumps(RECORDS_SINK).encode()
    path = tmp_path / "sink.json"
    path.write_bytes(b"\xef\xbb\xbf" + text)
    result = mapper.check_sink(path)
    assert result.valid and [(p.severity, p.pointer, p.code) for p in result.problems] == [("warning", "", "bom")]
    message = result.problems[0].message
    assert message.startswith(f"sink file {path} starts with a UTF-8 byte order mark") and "offset 0" in message, message
    assert "invalid character 'ï' looking for beginning of value" in message and f"sed -i '1s/^\\xEF\\xBB\\xBF//' {path}" in message
    for given in (b"\xef\xbb\xbf" + text, "\ufeff" + text.decode()):  # (a text given: no file to name)
        (problem,) = mapper.check_sink(given).problems
        assert problem.code == "bom" and problem.message.startswith("the sink definition's text starts with"), problem
    assert mapper.check_sink(path.read_bytes()[3:]).problems == ()
    ran = run_main("check", "sink.json", cwd=tmp_path)
    assert ran.returncode == 0 and "warning: (document): sink file sink.json starts with a UTF-8 byte order mark" in ran.out, ran.out


# ---------------------------------------------------------------------------------------
# a recordTime entry may be nameless, as idk's ParseHeader takes it (it sets the record's time: no column)

TIMED = [{"name": "k", "path": ["k"], "type": "string"}, {"name": "q", "path": ["q"], "type": "string", "config": {"Quantum": "YMD"}}]


@pytest.mark.parametrize("entry", [{"name": ""}, {}, {"name": None}, {"Name": ""}])
def test_a_nameless_record_time_entry_is_taken_as_the_ingester_takes_it(entry: dict[str, Any]) -> None:
    doc = {"primary_key_fields": ["k"], "allow_missing_fields": True, "definition": [*TIMED, {**entry, "path": ["t"], "type": "recordTime"}]}
    result = mapper.check_sink(doc)
    assert result.valid and result.sink is not None, result.problems
    assert [p.code for p in result.problems if p.code not in ("key-case", "record-time-carried")] == ["nameless-record-time"]
    assert result.sink.columns[2].name == ""
    batch = mapper.compile_sink(result.sink).map([{"k": "a", "q": "x", "t": "2022-01-02T03:04:05Z"}, {"k": "b", "q": "y", "t": "bad"}], on_error="skip")
    (row,) = batch.to_rows()
    assert row[""] is not None and batch.columns[""].null_count == 0  # (its values are in the column '')


def test_two_nameless_record_time_entries_share_a_name_as_in_go_and_other_types_need_one() -> None:
    doc = {
        "primary_key_fields": ["k"],
        "allow_missing_fields": True,
        "definition": [*TIMED, {"path": ["t"], "type": "recordTime"}, {"name": "", "path": ["u"], "type": "recordTime"}],
    }
    result = mapper.check_sink(doc)
    assert not result.valid and [(p.pointer, p.code) for p in result.problems if p.severity == "error"] == [("/definition/3/name", "duplicate-name")]
    for entry in ({"name": "", "path": ["t"], "type": "timestamp"}, {"path": ["t"], "type": "int"}):
        assert not mapper.check_sink({**doc, "definition": [*TIMED, entry]}).valid, entry
