"""Web UI problems of ``mapper serve`` a user pasting real data meets, without a browser: the send
route's answer in the paste's terms, a document of records pasted whole, bytes that are not UTF-8,
a space-like character copied from a web page, a sample box holding several records.

The pages themselves: ``tests/test_web5_layout.py`` and ``tests/test_web5_send.py``. Every server
binds 127.0.0.1 and every request has a timeout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from mapper.web import paste_records
from tests.test_web import form, request, ui_server

# ---------------------------------------------------------------------------------------
# The send route's answer in the paste's terms


def _paste_source(server: Any, name: str, allow_missing: bool) -> None:
    cols = {"_id": {"path": "id"}, "lat": {"path": "lat"}, "altitude": {"path": "alt"}}
    out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name=name, columns=cols, allow_missing_fields=allow_missing))[2])
    assert request(server, "POST", "/v1/sinks", out["body_text"].encode())[0] == 200


def test_the_send_routes_answer_numbers_records_and_lines_as_the_paste_does() -> None:
    # The route's "answer" was the endpoint's to the body the page built: its records numbered
    # from 0 among those sent, all on line 1 ("(record 0, line 1, ...)" of the paste's record 1,
    # "(record 1, line 1" of its record 3 on line 4), beside records and errors in the paste's terms
    text = '{"id": "a", "lat": "x"}\n\n{"id": "b", "lat": 1e400}\n{"id": "c", "alt": "zz"}\n{"id": "d", "lat": 2}\n'
    with ui_server() as server:
        for name, allow_missing in (("keep", True), ("discard", False)):
            _paste_source(server, name, allow_missing)
            status, _h, body = request(server, "POST", f"/ui/api/sinks/{name}/send", {"text": text})
            got = orjson.loads(body)
            assert status == 200, got
            answer = got["answer"]
            # the record held back (1e400) is not in the endpoint's answer: the others, each where the paste has it
            assert [(r["index"], r["line"]) for r in answer["records"]] == [(0, 1), (2, 4), (3, 5)], answer
            shown = {r["index"]: r for r in got["records"]}
            for r in answer["records"]:
                assert {k: r.get(k) for k in ("status", "error_code", "error_message")} == {
                    k: shown[r["index"]][k] for k in ("status", "error_code", "error_message")
                }, (r, shown[r["index"]])
            assert answer["records"][0]["error_message"].endswith('(record 1, line 1, column "lat")'), answer
            assert '(record 3, line 4, column "' in answer["records"][1]["error_message"], answer
            assert not any("record 0" in (r.get("error_message") or "") for r in answer["records"]), answer
            # the endpoint's answer to the same body but for the places: its counts, each record's status and code
            api = orjson.loads(request(server, "POST", f"/v2/sinks/{name}", paste_records(text).body)[2])
            assert (answer["success_count"], answer["error_count"]) == (api["success_count"], api["error_count"])
            assert [(r["status"], r.get("error_code")) for r in answer["records"]] == [(r["status"], r.get("error_code")) for r in api["records"]]


# ---------------------------------------------------------------------------------------
# A document of records pasted whole

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SNAPSHOT = DATA / "adsb" / "aircraft-piaware-2023-01-15.json"  # (license unknown: read in place, never copied)


def _send(server: Any, sink: str, text: str) -> dict[str, Any]:
    status, _h, body = request(server, "POST", f"/ui/api/sinks/{sink}/send", {"text": text})
    got = orjson.loads(body)
    assert status == 200, got
    return dict(got)


def test_a_document_of_records_pasted_whole_is_told_where_its_records_are() -> None:
    # dump1090's aircraft.json pasted as it is: one record, refused for its missing _id, and
    # nothing said why (validate notes the aircraft array; the page said only "_id is missing")
    aircraft = [{"hex": f"a{i}", "flight": f"F{i}"} for i in range(5)]
    doc = {"now": 1.5, "messages": 7, "aircraft": aircraft}
    with ui_server() as server:
        _paste_source(server, "adsb", True)
        got = _send(server, "adsb", json.dumps(doc, indent=2))
        assert got["answer"]["error_count"] == 1
        assert got["notes"] == [
            "the paste is one JSON object, sent as one record; arrays of objects are at `aircraft` (5 objects): if those are"
            " the records, paste them instead (`jq -c '.aircraft[]' FILE` prints those of `aircraft` one a line)"
        ], got["notes"]
        # a snapshot a line: said of each line; a key jq must quote is quoted
        lines = "\n".join(json.dumps({"now": n, "my feed": aircraft}) for n in range(4))
        (note,) = _send(server, "adsb", lines)["notes"]
        assert note.startswith("each of the first 3 lines of the paste is a JSON object holding records, sent as one record;"), note
        assert "`jq -c '.[\"my feed\"][]' FILE`" in note, note
        # the records themselves, or a record that merely holds an array of objects: no note
        assert _send(server, "adsb", "\n".join(json.dumps(a | {"id": a["hex"]}) for a in aircraft))["notes"] == []
        held = {"id": "x", "lat": "bad", "tags": [{"a": 1}], "b": 1, "c": 2, "d": 3, "e": 4}
        assert _send(server, "adsb", json.dumps(held))["notes"] == []

        # the sample record of New Source likewise: every path found "missing", nothing said why
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="adsb2", columns={"_id": {"path": "hex"}}, sample=json.dumps(doc)))[2])
        notes = [e for e in out["preview"]["record_errors"] if e["code"] == "document"]
        assert [e["message"] for e in notes] == [
            "the sample record looks like a document holding records, not one of them; arrays of objects are at `aircraft` (5 objects):"
            " if those are the records, paste one of them as the sample record (`jq -c '.aircraft[0]' FILE` prints the first of `aircraft`)"
        ], out["preview"]
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="adsb2", columns={"_id": {"path": "hex"}}, sample=json.dumps(aircraft[0])))[2])
        assert out["preview"]["record_errors"] == [] and out["preview"]["stored"] is True


# ---------------------------------------------------------------------------------------
# A request body that is not UTF-8


def test_bytes_that_are_not_utf8_are_named_in_their_field_line_and_character() -> None:
    # (the page sends UTF-8 only; another client's body was refused "str is not valid UTF-8:
    # surrogates not allowed: line 1 column 1 (char 0)", orjson's words, naming no place)
    with ui_server() as server:
        _paste_source(server, "bytes", True)
        sample = b'{"id": "a"}\n{"id": "caf\xe9"}'  # (Latin-1)
        status, _h, body = request(server, "POST", "/ui/api/sinks/bytes/send", b'{"text": "' + sample.replace(b'"', b'\\"').replace(b"\n", b"\\n") + b'"}')
        err = orjson.loads(body)
        assert status == 400 and err["code"] == "InvalidBody", err
        assert err["message"].startswith("the records: line 2 char 12 holds the byte 0xE9, which is not UTF-8") and err["message"].endswith(
            "; nothing was sent"
        )
        assert orjson.loads(request(server, "GET", "/ui/api/sinks/bytes")[2])["counts"]["requests"] == 0
        status, _h, body = request(server, "POST", "/ui/api/draft", orjson.dumps(form(name="x")).replace(b'"name":"x"', b'"name":"x\xff"'))
        assert status == 400 and orjson.loads(body)["message"].startswith("the name: line 1 char 2 holds the byte 0xFF"), body
        # outside any string: the byte's offset in the body
        status, _h, body = request(server, "POST", "/ui/api/sinks/bytes/send", b'{"text": "{}"\xff}')
        assert status == 400 and orjson.loads(body)["message"].startswith("the request body is not UTF-8: at byte 13 it holds the byte 0xFF"), body


# ---------------------------------------------------------------------------------------
# A character that looks like a space, copied from a web page


def test_a_no_break_space_in_a_paste_is_named_not_just_placed() -> None:
    # a record copied from a web page holds U+00A0 where a space was: "trailing characters at
    # char 13" / "invalid character at char 7" pointed at what the box shows as a blank
    named = "U+00A0 (no-break space), which JSON does not take as whitespace (copied from a web page?): type a plain space, or delete it"
    with ui_server() as server:
        _paste_source(server, "spaces", True)
        for text, where in (
            ('{"id": "a"}\u00a0\n{"id": "b"}', "line 1: Invalid JSON: trailing characters at char 12: "),
            ('{"id": "a"}\n{"id":\u00a0"b"}', "line 2: Invalid JSON: invalid character at char 7: "),
            ('[\n {"id": "a"},\u00a0\n {"id": "b"}\n]', "the JSON array is not valid JSON: invalid character at line 2 char 14: "),
            ('{"records": [{"value":\u00a0{"id": "a"}}]}', "the request body is not valid JSON: invalid character at char 23: "),
        ):
            status, _h, body = request(server, "POST", "/ui/api/sinks/spaces/send", {"text": text})
            err = orjson.loads(body)
            assert status == 400 and where + named in err["message"], (text, err)
        ideographic = "U+3000 (ideographic space), which JSON does not take as whitespace"
        status, _h, body = request(server, "POST", "/ui/api/sinks/spaces/send", {"text": '{"id":\u3000"a"}'})
        assert status == 400 and ideographic in orjson.loads(body)["message"], body
        # the sample record likewise
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="s2", sample='{"id":\u00a0"a"}'))[2])
        assert out["preview"]["error"] == f"the sample record: Invalid JSON: invalid character at char 7: {named}", out["preview"]
        # a character no space: as before
        status, _h, body = request(server, "POST", "/ui/api/sinks/spaces/send", {"text": '{"id": "a"}\u00e9'})
        assert orjson.loads(body)["message"].startswith("line 1: Invalid JSON: trailing characters at char 12; nothing was sent"), body


# ---------------------------------------------------------------------------------------
# A sample box holding several records, an array of them or a request body


def test_a_sample_of_several_records_is_told_to_paste_one() -> None:
    # the first lines of an NDJSON file pasted as the sample: "trailing characters at line 2
    # char 1 of the record"; an array of records: "must be a JSON object, not an array"; the
    # endpoint's body: previewed as one record, every path "missing"
    def error(sample: str) -> str:
        out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name="several", sample=sample))[2])
        return str(out["preview"]["error"])

    with ui_server() as server:
        assert error('{"id": "a"}\n{"id": "b"}\n\n{"id": "c"}\n{"id": "d"}') == (
            "the sample record: Invalid JSON: trailing characters at line 2 char 1 of the record"
            " (the box holds 4 records, on lines 1, 2, 4, ...: paste one; the preview is of one record)"
        )
        assert error('{\n  "id": "a"\n}\n{\n  "id": "b"\n}').endswith("(the box holds 2 records, on lines 1, 4: paste one; the preview is of one record)")
        assert error('[{"id": "a"}, {"id": "b"}]') == (
            "the sample record must be a JSON object, not an array: the array holds 2 records; paste one of them (`jq -c '.[0]' FILE` prints the first)"
        )
        assert error('{"records": [{"value": {"id": "a"}}]}') == (
            'the sample record is an endpoint request body {"records": [{"value": {...}}]}, not a record: paste the value of one of'
            " its records (`jq -c '.records[0].value' FILE` prints the first)"
        )
        # one record broken, or an array of no records: as before
        assert error('{"id": "a"') == "the sample record: Invalid JSON: unexpected end of the record (truncated)"
        assert error("[1, 2]") == "the sample record must be a JSON object, not an array"
