"""Leftovers of the bug hunts (cli2): send says why records were refused without --rejects; infer
names a broken single input; serve words a byte order mark for a request body; infer's note on a
lone value holding the others; numbers shown as the record wrote them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sinks import column, id_schema
from test_send_serve import SINK as AIRCRAFT_SINK
from test_send_serve import SINK_ID, aircraft, request, serving

import mapper
from mapper.cli import main

SINK = id_schema(column("s", "string"), column("ts", "timestamp"), column("n", "int"))


def run(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def sink(tmp_path: Path) -> Path:
    path = tmp_path / "sink.json"
    path.write_text(json.dumps(SINK))
    return path


# ---------------------------------------------------------------------------------------
# 1. send without --rejects says why the first refused record was refused


def test_send_without_rejects_says_why_the_first_refused_record_was(sink: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "r.ndjson"
    records.write_text('{"id": 1}\n{"id": 2, "n": "x"}\n{"id": 3, "n": "y", "ts": [1]}\n')
    code, _out, err = run(capsys, "send", sink, records, "--dry-run")
    assert code == 1 and "2 refused by pre-validation" in err
    (note,) = [line for line in err.splitlines() if line.startswith("mapper send: note: ")]
    assert note.startswith(
        'mapper send: note: the first record refused (invalid_value, by pre-validation): Expected `int` or a string of digits, got `str` "x"'
    ), note
    assert '(record 1, line 2, column "n")' in note and "--rejects FILE" in note and "mapper validate" in note, note
    # --report json: the same note in `notes` (the fields stay as they were)
    code, out, err = run(capsys, "send", sink, records, "--dry-run", "--report", "json")
    answer = json.loads(out)
    assert answer["notes"] == [note.removeprefix("mapper send: note: ")]
    assert set(answer) == {
        "records",
        "bodies",
        "bytes",
        "sent",
        "stored",
        "refused_prevalidation",
        "refused_service",
        "retried",
        "resent",
        "seconds",
        "completed",
        "dry_run",
        "in_doubt",
        "notes",
    }
    # the dead letters asked for: they say why, no note
    code, out, err = run(capsys, "send", sink, records, "--dry-run", "--report", "json", "--rejects", tmp_path / "dead.ndjson")
    assert code == 1 and json.loads(out)["notes"] == [] and "note:" not in err
    # nothing refused: no note
    records.write_text('{"id": 1}\n')
    code, out, err = run(capsys, "send", sink, records, "--dry-run", "--report", "json")
    assert code == 0 and json.loads(out)["notes"] == [] and "note:" not in err


def test_send_names_a_record_the_service_refused_first_and_where_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    strict = json.loads(AIRCRAFT_SINK.read_text())
    strict["schema"]["definition"][6]["config"] = {"Min": -2000, "Max": 1050}  # (the altitude: the service refuses what pre-validation took)
    (tmp_path / "strict.json").write_text(json.dumps(strict))
    records = tmp_path / "r.ndjson"
    records.write_text("".join(json.dumps(aircraft(i)) + "\n" for i in range(55)))
    with serving(tmp_path, tmp_path / "strict.json") as (server, _app, _store):
        code, out, err = run(capsys, "send", AIRCRAFT_SINK, records, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "--report", "json")
    assert code == 1 and json.loads(out)["refused_service"] == 4
    (note,) = json.loads(out)["notes"]
    assert note.startswith("the first record refused (InvalidBody, by the service, record 51, line 52): "), note
    assert "out of range" in note and "--rejects FILE" in note and "mapper validate" not in note, note  # (validate cannot tell the service's sink)
    assert f"mapper send: note: {note}" in err


# ---------------------------------------------------------------------------------------
# 2. infer names the file of a single document that does not parse


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (b'[{"id":1},]', "trailing comma in array at char 11 (file a.json, line 1)"),
        (b'[{"id":1},\n\n{"id":2},]', "trailing comma in array at line 3 char 10 (file a.json)"),  # (its line said once)
    ],
)
def test_infer_names_the_one_input_whose_document_does_not_parse(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: bytes, said: str) -> None:
    doc = tmp_path / "a.json"
    doc.write_bytes(text)
    code, out, err = run(capsys, "infer", doc)
    assert code == 2 and out == ""
    assert err == f"mapper: Invalid JSON: the JSON array is not valid JSON: {said}\n".replace("a.json", str(doc)), err


# ---------------------------------------------------------------------------------------
# 3. serve words a byte order mark opening a request body for a body


def test_serve_words_a_byte_order_mark_opening_a_body_for_a_body(tmp_path: Path) -> None:
    said = "a byte order mark (U+FEFF), which a file may start with but a request body may not: the service's decoder refuses the body (send it without one)"
    sink = json.loads(AIRCRAFT_SINK.read_text()) | {"name": "other"}
    token = {"Authorization": "Bearer t"}
    with serving(tmp_path, AIRCRAFT_SINK, token="t") as (server, _app, store):
        body = json.dumps({"records": [{"value": aircraft(1)}]}).encode()
        status, _h, answer = request(server.url, "POST", f"/v2/sinks/{SINK_ID}", b"\xef\xbb\xbf" + body, token)
        assert (status, answer) == (400, {"code": "InvalidBody", "message": f"the request body is not valid JSON: invalid character at char 1: {said}"})
        status, _h, answer = request(server.url, "POST", "/v1/sinks", b"\xef\xbb\xbf" + json.dumps(sink).encode(), token)
        assert (status, answer["code"]) == (400, "InvalidBody") and answer["message"].endswith(f"Invalid JSON: invalid character at char 1: {said}"), answer
        assert [s.id for s in store.list_sinks()] == [SINK_ID] and request(server.url, "POST", f"/v2/sinks/{SINK_ID}", body, token)[
            0
        ] == 200  # (nothing else changed)


# ---------------------------------------------------------------------------------------
# 4. infer's note on the values a type refuses, worded for one


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ([1, 2, "x"], 'stores 2 of 3 values as sent; the endpoint would refuse the record holding the other (e.g. "x")'),
        (["x"], 'stores 0 of 1 value as sent; the endpoint would refuse the record holding it (e.g. "x")'),
        (["x", "y"], 'stores 0 of 2 values as sent; the endpoint would refuse the 2 records holding them (e.g. "x")'),
        ([1, "y", "x"], 'stores 1 of 3 values as sent; the endpoint would refuse the 2 records holding the others (e.g. "y")'),
    ],
)
def test_infer_words_the_records_a_type_refuses_for_one_and_for_all(values: list[Any], said: str) -> None:
    data = "".join(json.dumps({"id": i, "v": v}) + "\n" for i, v in enumerate(values)).encode()
    result = mapper.infer(data, types={"v": "int"})
    (note,) = [n for n in result.notes if n.startswith("v: ")]
    assert note.startswith(f"v: int (--type) {said}"), note


# ---------------------------------------------------------------------------------------
# 5. numbers said as the record's text writes them, not as Python writes the float it decoded


NUMBERS = b'{"id":1,"s":-0}\n{"id":2,"s":1e20}\n{"id":3,"ts":-0}\n{"id":4,"s":1.50}\n{"id":5,"n":2.50}\n{"id":6,"s":1E2,"s":7}\n'


@pytest.mark.parametrize("fast", [True, False])
def test_messages_show_a_number_as_the_record_wrote_it(fast: bool) -> None:
    m = mapper.compile_sink(SINK)
    report = m.validate(NUMBERS, fast=fast)
    said = [(w.record, w.reason.split(",")[0]) for w in report.warnings]
    assert said == [
        (0, "non-string stored as text: sent -0"),
        (1, "non-string stored as text: sent 1e20"),
        (3, "non-string stored as text: sent 1.50"),
        (4, "float truncated: sent 2.50"),
        (5, "non-string stored as text: sent 7"),  # (of a key given twice, the later member: the one Go keeps)
    ], said
    (err,) = report.errors
    assert err.reason.endswith("got `float` -0"), err.reason
    # what was sent and stored stays the value (the JSON report's "sent")
    assert [w.to_dict()["sent"] for w in report.warnings] == [-0.0, 1e20, 1.5, 2.5, 7]
    assert [w.stored for w in report.warnings][:2] == ["-0", "1e+20"]
    # --strict's errors, check and a Batcher say it alike
    strict = m.validate(NUMBERS, strict=True, fast=fast)
    assert "float truncated: sent 2.50, stored 2" in [e.reason for e in strict.errors]
    assert [p.reason.split(",")[0] for p in m.check(b'{"id": 3, "ts": -0, "s": 1e20}')] == [
        "Expected `timestamp` (a string in layout 2006-01-02T15:04:05.999999999Z07:00)",
        "non-string stored as text: sent 1e20",
    ]
    assert mapper.Batcher(m).add(b'{"id": 3, "ts": 1.0e0}').errors[0].reason.endswith("got `float` 1.0e0")
    # a dict has no text: its float is said as Python writes it
    assert m.check({"id": 1, "s": 1e20})[0].reason.startswith("non-string stored as text: sent 1e+20,")


def test_a_workers_run_says_the_numbers_as_written(tmp_path: Path) -> None:
    path = tmp_path / "r.ndjson"
    path.write_bytes(NUMBERS * 400)
    m = mapper.compile_sink(SINK)
    one, two = m.validate(path), m.validate(path, workers=2)
    assert [w.message for w in two.warnings] == [w.message for w in one.warnings]
    assert [e.message for e in two.errors] == [e.message for e in one.errors]
    assert "sent 1e20" in two.warnings[1].message
