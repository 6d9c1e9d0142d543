"""A new user's runs of the command line on odd values and inputs: each test is a bug found so,
failing before its fix. Run in this process (``mapper.cli.main``) to stay fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sinks

import mapper
from mapper.cli import main
from tests.cli_inproc import run_main

ROOT = Path(__file__).parents[1]
SINK = sinks.id_sink(
    sinks.column("i", "int"), sinks.column("t", "timestamp"), sinks.column("b", "bool"), sinks.column("ss", "strings"), sinks.column("is", "ids")
)


@pytest.fixture
def sink(tmp_path: Path) -> Path:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SINK))
    return path


def validate_json(sink: Path, records: Path, capsys: pytest.CaptureFixture[str], *more: str) -> dict[str, Any]:
    status = main(["validate", str(sink), str(records), "--report", "json", *more])
    out = capsys.readouterr().out
    report: dict[str, Any] = json.loads(out)
    assert status == (0 if report["verdict"] == "accepted" else 1)
    return report


@pytest.mark.parametrize("column", ["i", "t", "b", "ss", "is"])
@pytest.mark.parametrize("number", ["1e400", "-1E+999"])
def test_a_number_beyond_float64_is_out_of_range_in_every_column(
    sink: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, number: str
) -> None:
    """``1e400`` is refused by the endpoint's decoder whatever column it is sent to: the README
    says ``out_of_range`` at a mapped column. A ``timestamp``, ``strings`` or ``ids`` column gave
    ``invalid_value`` ``Expected `timestamp` ..., got `float` inf``, a value the record does not
    hold and another code than an ``int`` column's for the same number."""
    records = tmp_path / "r.ndjson"
    records.write_text(f'{{"id": 1, "{column}": {number}}}\n{{"id": 2, "{column}": [{number}]}}\n')
    report = validate_json(sink, records, capsys)
    assert report["records"] == 2
    by_record = {e["record"]: e for e in report["errors"]}
    assert sorted(by_record) == [0, 1]
    for e in by_record.values():
        assert e["column"] == column
        if column in ("i", "t", "b") and e["record"] == 1:
            continue  # an array into a scalar column: invalid_value, whatever it holds
        assert e["code"] == "out_of_range", e
        assert f"number {number} is beyond the float64 range" in e["message"], e
        assert "inf" not in e["message"]


def test_a_record_beyond_float64_is_shown_as_written(sink: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A line that is only ``1e400`` is no record: the message shows the number as written, not
    as ``inf``, for ``validate`` and ``infer`` alike."""
    records = tmp_path / "r.ndjson"
    records.write_text("1e400\n")
    report = validate_json(sink, records, capsys)
    (error,) = report["errors"]
    assert error["code"] == "not_an_object"
    assert "got `float` 1e400" in error["message"], error
    assert main(["infer", str(records)]) == 2
    err = capsys.readouterr().err
    assert "got `float` 1e400" in err, err


def test_a_python_int_beyond_float64_is_out_of_range_in_a_timestamp_column(sink: Path) -> None:
    """From Python too: an int of 400 digits is refused as beyond float64 in a ``timestamp`` or
    ``strings`` column, as it is in an ``int`` one."""
    batch = mapper.compile_sink(sink).map([{"id": 1, "t": 10**400}, {"id": 2, "ss": [10**400]}, {"id": 3, "i": 10**400}])
    codes = [(e.record, e.code) for e in batch.report.errors]
    assert codes == [(0, "out_of_range"), (1, "out_of_range"), (2, "out_of_range")], batch.report.errors


@pytest.mark.parametrize("pack", ["gzip", "bz2", "lzma"])
def test_send_reads_bzip2_and_xz_on_stdin_as_validate_does(sink: Path, pack: str) -> None:
    """``bzip2 -c r.ndjson | mapper send SINK - --dry-run``: send read only gzip on standard
    input, so a bzip2 or xz stream was one record of binary, refused as invalid JSON (every record
    of the input lost), where ``validate`` and ``map`` read it, as the README and send's help say."""
    import importlib

    text = b'{"id": 1, "i": 2}\n{"id": 2, "i": "x"}\n{"id": 3}\n'
    packed = importlib.import_module(pack).compress(text)
    answers = []
    for command in (["validate", str(sink), "-", "--report", "json"], ["send", str(sink), "-", "--dry-run", "--report", "json"]):
        proc = run_main(*command, input=packed)  # (python -m mapper, in this process: this checkout's mapper)
        assert b"Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == 1, proc.stderr
        answers.append(json.loads(proc.stdout))
    validated, sent = answers
    assert (validated["records"], validated["failed_records"]) == (3, 1)
    assert (sent["records"], sent["refused_prevalidation"], sent["sent"]) == (3, 1, 2)


@pytest.mark.parametrize("leave_out", [["--exclude", "v"], ["--min-presence", "1"]])
def test_infer_does_not_call_a_left_out_conflict_chosen(tmp_path: Path, capsys: pytest.CaptureFixture[str], leave_out: list[str]) -> None:
    """A conflict on a path ``--exclude`` (or ``--min-presence``) leaves out read ``-> skipped``
    with its first candidate ``(chosen)`` and ``--type v=string`` offered for the other, which
    has no effect on a left-out path (a note says so): the report now says why it was skipped
    and what infer would choose, were the path kept."""
    records = tmp_path / "r.ndjson"
    records.write_text('{"id": "a", "v": 1}\n{"id": "b", "v": 2}\n{"id": "c", "v": "x"}\n{"id": "d"}\n')
    assert main(["infer", str(records), *leave_out]) == 0
    err = capsys.readouterr().err
    conflict = err[err.index("conflicts (") :].splitlines()[1:4]
    assert conflict[0].startswith("  v: int 2 (records 0, 1); str 1 (records 2) -> skipped ("), conflict
    assert conflict[1].endswith("(the choice, were the path kept)"), conflict
    assert "(chosen)" not in err and "--type v=string" not in err, err
    assert main(["infer", str(records)]) == 0  # kept: chosen, and the other type offered
    err = capsys.readouterr().err
    assert "-> v: int" in err and "(chosen)" in err and "--type v=string" in err, err


@pytest.mark.parametrize(
    "text, form",
    [(b'[{"id": 2, "s": "a\tb"}]', "json"), (b'{"records": [{"value": {"id": 2, "s": "a\tb"}}]}', "endpoint")],
)
def test_a_control_character_in_a_document_read_whole_is_named(sink: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: bytes, form: str) -> None:
    """A tab pasted into a value of a JSON array or a request body read whole was only
    ``invalid character at char 19``, where the same record as a line of NDJSON says
    ``control character U+0009 in a string (write it as \\t)`` (the README's wording)."""
    path = tmp_path / "r.json"
    path.write_bytes(text)
    report = validate_json(sink, path, capsys, "--input-format", form)
    assert report["document_error"].endswith(": control character U+0009 in a string (write it as \\t)"), report["document_error"]
    line = tmp_path / "r.ndjson"
    line.write_bytes(b'{"id": 2, "s": "a\tb"}\n')
    (error,) = validate_json(sink, line, capsys)["errors"]
    assert ": control character U+0009 in a string (write it as \\t) (record 0, line 1)" in error["message"], error


@pytest.mark.parametrize(
    "body",
    [
        b'{"records":[{"value":{"id":1,"u":1e400}}]}',  # a number beyond float64 in a field nobody maps
        b'{"records":[{"value":{"id":1,"u":1}}],}',  # a trailing comma
        b'{"records":[\n{"value":{"id":1}},\n{"value":{"id":2}} x\n]}',  # junk on line 3
        b'{"records":[{"value":{"id":1}}]}\n{"x":1}',  # a second value
    ],
)
def test_serve_says_why_a_body_is_not_json_as_validate_does(sink: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: bytes) -> None:
    """``mapper serve`` answered a body that is not JSON with orjson's words and places
    (``number is infinity when parsed as double: line 1 column 34 (char 33)``, ``trailing comma
    is not allowed``), where ``validate --input-format endpoint`` of the same body says
    ``the request body's number 1e400 is beyond the float64 range ... (at $.records[0].value.u,
    line 1, char 34)``: one body, two messages, characters counted from 0 in one and 1 in the
    other. The answer now gives validate's words (its ``document_error``)."""
    from mapper.endpoint import INVALID_BODY, ServiceError, parse_body

    path = tmp_path / "body.json"
    path.write_bytes(body)
    report = validate_json(sink, path, capsys, "--input-format", "endpoint")
    said = report["document_error"]
    assert said.startswith("Invalid JSON: ")
    with pytest.raises(ServiceError) as caught:
        parse_body(body)
    assert (caught.value.status, caught.value.code) == (400, INVALID_BODY)
    assert caught.value.message == said.removeprefix("Invalid JSON: ")


@pytest.mark.parametrize(
    "text",
    [
        '{ "now" : 1673799021.7,\n  "aircraft" : [\n    {"id": 1, "i": 2},\n    {"id": 2, "i": 3},\n    {"id": 3}\n  ]\n}\n',
        '{"now": 1673799021.7, "aircraft": [{"id": 1, "i": 2}, {"id": 2, "i": 3}, {"id": 3}]}\n',  # on one line: NDJSON of one record
    ],
)
def test_send_says_why_a_document_holding_the_records_is_refused(sink: Path, tmp_path: Path, text: str) -> None:
    """A dump1090 snapshot (one object, its records in ``aircraft``) given to ``send`` is one
    record, refused: validate's note says ``use --records-path aircraft``, but send dropped the
    reader's note (its ``notes`` were ``[]``), so the run said only ``1 refused by
    pre-validation``. Now the note is validate's, and send takes --records-path too."""
    doc = tmp_path / "aircraft.json"
    doc.write_text(text)
    proc = run_main("send", sink, doc, "--dry-run", "--report", "json")
    assert b"Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    answer = json.loads(proc.stdout)
    assert (answer["records"], answer["refused_prevalidation"]) == (1, 1)
    note, why = answer["notes"]  # (and, without --rejects, why the first refused record was)
    assert why.startswith("the first record refused (") and "--rejects FILE" in why, why
    assert "`aircraft`" in note and "use --records-path aircraft" in note, note
    assert note in mapper.compile_sink(json.loads(sink.read_text())).validate(doc).notes


@pytest.mark.parametrize(
    "text",
    [
        b'[\n  {"id": 1, "ss": "a\tb"},\n  {"id": 2}\n]\n',  # an indented array's element: the indent counts
        b'{"id": 1},\n{"id": 2},\n{"id": 3}\n',  # records separated by commas: each comma a record, after one
        b'{\n  "id": 1\n},   {\n "id": 2}\n',  # objects as jq prints them, a comma after the first's closing brace
    ],
)
def test_send_places_an_error_on_its_line_as_validate_does(sink: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: bytes) -> None:
    """An error's ``char N`` counts from the start of the line the record stands on (the README:
    an indent, an array's ``[``, the records before it count). send's dead letters counted from
    the record's own first character: ``at char 18`` where validate says ``at char 20`` of the
    same input, ``a comma between records at char 1`` where validate says ``char 9``."""
    records = tmp_path / "r.json"
    records.write_bytes(text)
    said = sorted((e["record"], e["message"]) for e in validate_json(sink, records, capsys)["errors"])
    assert said and all(" char " in m for _r, m in said), said
    letters = tmp_path / "dead.ndjson"
    proc = run_main("send", sink, records, "--dry-run", "--rejects", letters)
    assert b"Traceback" not in proc.stderr, proc.stderr
    dead = sorted((e["record"], e["message"]) for line in letters.read_text().splitlines() for e in json.loads(line)["errors"])
    assert dead == said


def test_the_check_a_warning_points_to_shows_it(sink: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``validate SINK R --primary-key-fields id,id`` says ``1 warning about SINK (see: mapper
    check SINK)``, but ``mapper check SINK`` says the sink is ok, without a warning: the warning
    is the option's. The command pointed to now carries the identity and policy options."""
    records = tmp_path / "r.ndjson"
    records.write_text('{"id": 1}\n')
    assert main(["validate", str(sink), str(records), "--primary-key-fields", "id,id", "--allow-missing-fields"]) == 0
    err = capsys.readouterr().err
    said = err[err.index("(see: ") + len("(see: ") : err.index(")\n")]
    assert said == f"mapper check {sink} --primary-key-fields id,id --allow-missing-fields", err
    assert main(said.split()[1:]) == 0
    out = capsys.readouterr().out
    assert "warning: /schema: primary key field 'id' is listed twice" in out, out
