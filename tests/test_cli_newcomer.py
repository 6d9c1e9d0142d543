"""A newcomer's usual mistakes, each said where it is found: what is wrong, where, and what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mapper.cli import main

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


# -- the command line: a near miss of an option, a command or a choice is named ------------------


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["validate", SINK, RECORDS, "--record-path", "x"], "unrecognized arguments: --record-path x (did you mean '--records-path'?)"),
        (["validate", SINK, RECORDS, "--on-eror=skip"], "unrecognized arguments: --on-eror=skip (did you mean '--on-error'?)"),
        (["map", SINK, RECORDS, "-o", "-", "--Strict"], "unrecognized arguments: --Strict (did you mean '--strict'?)"),
        (["valdiate", SINK], "'serve', 'spark-validate') (did you mean 'validate'?)"),
        (["validate", SINK, "--report", "jsn"], "argument --report: invalid choice: 'jsn' (choose from 'text', 'json', 'endpoint') (did you mean 'json'?)"),
    ],
    ids=["option", "option=value", "option's case", "command", "choice"],
)
def test_a_near_miss_on_the_command_line_is_suggested(capsys, argv, said):
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert said in err, err


def test_several_unknown_options_each_get_their_suggestion(capsys):
    code, _out, err = cli(capsys, "validate", SINK, RECORDS, "--record-path", "x", "--workerz", "2")
    assert code == 2
    assert "(did you mean '--records-path' for --record-path, '--workers' for --workerz?)" in err, err


def test_an_unknown_option_like_none_gets_no_suggestion(capsys):
    code, _out, err = cli(capsys, "validate", SINK, RECORDS, "--zzzzzz")
    assert code == 2 and err.rstrip().endswith("error: unrecognized arguments: --zzzzzz"), err


@pytest.mark.parametrize("argv", [["help"], ["help", "validate"]])
def test_mapper_help_prints_the_help_as_help_does(capsys, argv):
    code, out, err = cli(capsys, *argv)
    want_code, want_out, _ = cli(capsys, *argv[1:], "--help")
    assert code == 0 and err == "" and out == want_out and want_code == 0


def test_mapper_help_of_no_such_command_is_a_usage_error_with_a_suggestion(capsys):
    code, out, err = cli(capsys, "help", "valdate")
    assert code == 2 and out == ""
    assert "invalid choice: 'valdate'" in err and "(did you mean 'validate'?)" in err, err


# -- a sink that is not JSON as the endpoint reads it: what it is, where, and what to do ---------


def _sink_text() -> str:
    return json.dumps(json.loads(SINK.read_text()), indent=2)


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            lambda t: t.replace('{\n  "name"', '{\n  // the aircraft sink\n  "name"', 1),
            "is not valid JSON: a comment at line 2 column 3: JSON has none (remove it)",
        ),
        (
            lambda t: t.replace('{\n  "name"', '{\n  /* the aircraft sink */\n  "name"', 1),
            "is not valid JSON: a comment at line 2 column 3: JSON has none (remove it)",
        ),
        (
            lambda t: t.replace('"aircraft"\n  }', '"aircraft",\n  }', 1),
            "is not valid JSON: a trailing comma in an object at line 5 column 24: JSON allows none before the closing } (remove it)",
        ),
        (
            lambda t: t.replace('"record_id"\n    ]', '"record_id",\n    ]', 1),
            "is not valid JSON: a trailing comma in an array at line 10 column 18: JSON allows none before the closing ] (remove it)",
        ),
        (
            lambda t: t.replace('"name": "aircraft_positions"', "'name': 'aircraft_positions'", 1),
            'is not valid JSON: a string in single quotes at line 2 column 3: JSON strings take double quotes ("name")',
        ),
    ],
    ids=["// comment", "/* comment */", "trailing comma in object", "trailing comma in array", "single quotes"],
)
def test_a_json5ish_sink_is_told_what_json_refuses_and_where(tmp_path, capsys, edit, said):
    text = edit(_sink_text())
    assert text != _sink_text()
    path = tmp_path / "sink.json"
    path.write_text(text)
    code, out, err = cli(capsys, "check", path)
    assert code == 2
    assert f"sink file {path} {said}" in out, out
    # the place named is the comma, the comment or the quote itself
    line, column = (int(n) for n in said.split(" at line ")[1].split(":")[0].split(" column "))
    assert text.splitlines()[line - 1][column - 1] in ",/'"


def test_a_yaml_sink_is_told_to_be_json(tmp_path, capsys):
    path = tmp_path / "sink.yaml"
    path.write_text("# aircraft\nname: aircraft_positions\nschema:\n  type: json\n  id_field: id\n")
    code, out, _err = cli(capsys, "check", path)
    assert code == 2
    assert (
        f"sink file {path} is not valid JSON: it looks like YAML (`name: aircraft_positions` at line 2): a sink is a JSON document,"
        " the POST /v1/sinks body: convert it to JSON" in out
    ), out


def test_plain_broken_json_keeps_its_message(tmp_path, capsys):
    path = tmp_path / "sink.json"
    path.write_text('{"name": "a", "schema": {"definition": [}}')
    code, out, _err = cli(capsys, "check", path)
    assert code == 2 and f"sink file {path} is not valid JSON: Expecting value at line 1 column 41" in out, out


@pytest.mark.parametrize(
    ("cut", "said"),
    [
        (  # the last } left out of the example sink: json said "Expecting ',' delimiter at line 102 column 1"
            lambda t: t.rstrip()[:-1] + "\n",
            "is not valid JSON: the { opened at line 1 column 1 is never closed: the text ends before its } (one left out, or the text cut short)",
        ),
        (  # cut inside its definition: json said "Expecting property name enclosed in double quotes"
            lambda t: t[: t.index('"name": "record_id"') + len('"name": "record_id",')],
            "is not valid JSON: the { opened at line 14 column 7 (and 3 brackets around it) is never closed: the text ends before its }",
        ),
        (  # cut inside a string: json's words said "Unterminated string starting at at line 10 column 7"
            lambda t: t[: t.index('"record_id"') + 4],
            'is not valid JSON: a string is never closed: the text ends before its closing " (one left out, or the text cut short);'
            " the string starts at line 10 column 7",
        ),
    ],
    ids=["last brace", "cut in an entry", "cut in a string"],
)
def test_a_sink_cut_short_names_what_is_left_open(tmp_path, capsys, cut, said):
    path = tmp_path / "sink.json"
    path.write_text(cut(_sink_text()))
    code, out, _err = cli(capsys, "check", path)
    assert code == 2 and f"sink file {path} {said}" in out, out


@pytest.mark.parametrize("key", ["sink", "data"])
def test_a_sink_wrapped_in_another_object_says_where_the_sink_is(tmp_path, capsys, key):
    path = tmp_path / "sink.json"
    path.write_text(json.dumps({key: json.loads(SINK.read_text()), "status": "ok"}))
    code, out, _err = cli(capsys, "check", path)
    assert code == 2
    assert f"not a sink definition: it holds one at /{key} (the POST /v1/sinks body): give that object alone (`jq '.{key}' {path}`)" in out, out
    import mapper

    assert f"(`jq '.{key}' FILE`)" in str(mapper.check_sink(path.read_text()).problems[0].message)  # (a text: no file to name)


def test_a_list_of_sinks_says_where_the_first_is(tmp_path, capsys):
    path = tmp_path / "sinks.json"
    path.write_text(json.dumps({"sinks": [json.loads(SINK.read_text())]}))
    code, out, _err = cli(capsys, "check", path)
    assert code == 2
    assert f"not a sink definition: it holds one at /sinks/0 (the POST /v1/sinks body): give that object alone (`jq '.sinks[0]' {path}`)" in out, out


def test_an_object_holding_no_sink_keeps_its_message(tmp_path, capsys):
    path = tmp_path / "sink.json"
    path.write_text(json.dumps({"a": {"b": 1}, "c": [{"d": 2}]}))
    code, out, _err = cli(capsys, "check", path)
    assert code == 2 and 'not a sink definition: expected the POST /v1/sinks body (with "schema")' in out, out


# -- records that are not JSON as the endpoint reads it ------------------------------------------


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (b'{"id": "a", // the id\n', "Invalid JSON: a comment at char 13: JSON has none (remove it)"),
        (b'{"id": "a", /* x */ "timestamp": 1}\n', "Invalid JSON: a comment at char 13: JSON has none (remove it)"),
        (b"{'id': 'a'}\n", "Invalid JSON: a string in single quotes at char 2: JSON strings take double quotes"),
        (b"{\"id\": 'a'}\n", "Invalid JSON: a string in single quotes at char 8: JSON strings take double quotes"),
    ],
    ids=["// comment", "/* comment */", "single-quoted key", "single-quoted value"],
)
def test_a_json5ish_record_is_told_what_json_refuses_and_where(tmp_path, capsys, line, said):
    path = tmp_path / "r.ndjson"
    path.write_bytes(line)
    code, out, _err = cli(capsys, "validate", SINK, path)
    assert code == 1 and f"record 0, line 1: {said}" in out, out


def test_a_csv_file_given_as_records_is_told_to_be_json(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("id,timestamp,data.lat\na,1659981468260,45.1\nb,1659981468261,45.2\n")
    code, out, err = cli(capsys, "validate", SINK, path)
    assert code == 1
    assert (
        "note: the input looks like CSV (a header of 3 names, `id,timestamp,data.lat`, then rows of as many values), not JSON records:"
        " make each row a JSON object, one a line (NDJSON), and give that instead" in out + err
    ), out + err


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "a"}\n{"id": "b"}\n',  # JSON records: no note
        "hello world\nfoo\n",  # no commas: no CSV
        "a,b\n1,2,3\n",  # rows of another width: no CSV
        "1,2\n3,4\n",  # no header: not said to have one
    ],
    ids=["json", "no commas", "ragged", "no header"],
)
def test_input_that_is_no_csv_gets_no_csv_note(tmp_path, capsys, text):
    path = tmp_path / "r.txt"
    path.write_text(text)
    _code, out, err = cli(capsys, "validate", SINK, path)
    assert "looks like CSV" not in out + err


# -- a column whose path the records do not hold, beside one they do ------------------------------


def _sink_with(tmp_path: Path, path: list[str], allow_missing: bool) -> Path:
    sink = json.loads(SINK.read_text())
    sink["schema"]["allow_missing_fields"] = allow_missing
    sink["schema"]["definition"][2]["path"] = path  # aircraft_id, at ["data", "aircraftId"] in the records
    out = tmp_path / "sink.json"
    out.write_text(json.dumps(sink))
    return out


@pytest.mark.parametrize("command", ["validate", "map"])
def test_a_mistyped_path_under_allow_missing_fields_true_is_noted(tmp_path, capsys, command):
    # (every record is stored, the column empty in all of them: nothing else says so)
    sink = _sink_with(tmp_path, ["data", "aircraftID"], allow_missing=True)
    code, out, err = cli(capsys, command, sink, RECORDS, *(["-o", tmp_path / "o.ndjson"] if command == "map" else []))
    assert code == 0
    assert 'note: aircraft_id: no record holds its path ["data", "aircraftID"]; they hold ["data", "aircraftId"] (is the path mistyped?)' in out + err, (
        out + err
    )


def test_a_path_of_one_key_holding_a_dot_is_told_the_keys_it_meant(tmp_path, capsys):
    sink = _sink_with(tmp_path, ["data.aircraftId"], allow_missing=False)
    code, out, err = cli(capsys, "validate", sink, RECORDS)
    assert code == 1  # (each record misses it: the batch is discarded, as before)
    assert 'note: aircraft_id: no record holds its path ["data.aircraftId"]; they hold ["data", "aircraftId"] (is the path mistyped?)' in out + err


def test_of_many_records_the_note_says_it_read_the_first(tmp_path, capsys):
    sink = _sink_with(tmp_path, ["data", "aircraftid"], allow_missing=True)
    records = tmp_path / "r.ndjson"
    records.write_bytes(RECORDS.read_bytes() * 3)
    _code, out, err = cli(capsys, "validate", sink, records)
    assert 'note: aircraft_id: none of the first 3 records holds its path ["data", "aircraftid"]; they hold ["data", "aircraftId"]' in out + err


def test_an_optional_path_the_records_lack_with_nothing_like_it_is_not_noted(tmp_path, capsys):
    sink = _sink_with(tmp_path, ["data", "squawk"], allow_missing=True)
    code, out, err = cli(capsys, "validate", sink, RECORDS)
    assert code == 0 and "mistyped" not in out + err


# -- infer's filters that match nothing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ("--exclude", "note: --exclude data.aircraftID matches no path of the records, so it leaves nothing out (did you mean 'data.aircraftId'?)"),
        ("--include", "note: --include data.aircraftID matches no path of the records (did you mean 'data.aircraftId'?)"),
    ],
)
def test_an_infer_filter_matching_no_path_is_noted_with_the_path_it_likely_meant(capsys, option, said):
    code, out, err = cli(capsys, "infer", RECORDS, option, "data.aircraftID", *(["--include", "data.lat"] if option == "--include" else []))
    assert code == 0 and json.loads(out)
    assert said in err, err


def test_an_infer_filter_that_matches_is_not_noted(capsys):
    code, _out, err = cli(capsys, "infer", RECORDS, "--exclude", "data.aircraftId", "--exclude", "data.l*")
    assert code == 0 and "matches no path" not in err, err


# -- a sink given where the records go --------------------------------------------------------------


@pytest.mark.parametrize("pretty", [True, False], ids=["pretty-printed", "one line"])
def test_a_sink_given_as_the_records_is_said_to_be_one(tmp_path, capsys, pretty):
    sink = json.loads(SINK.read_text())
    path = tmp_path / "also-sink.json"
    path.write_text(json.dumps(sink, indent=2 if pretty else None) + "\n")
    code, out, err = cli(capsys, "validate", SINK, path)
    assert code == 1
    said = (
        "note: the input is one JSON object, mapped as one record; it is a sink definition (the POST /v1/sinks body), not records:"
        " the sink comes first, then the records (mapper validate SINK RECORDS)"
    )
    assert said in out + err and "--records-path" not in out + err, out + err


def test_an_identity_named_in_the_wrong_case_puts_the_path_it_meant_first(capsys):
    # it was "(paths like it: data.aircraftId, data.iataId, data.icaoId, id)": alphabetical, id last
    code, _out, err = cli(capsys, "infer", RECORDS, "--id-field", "ID")
    assert code == 2 and "(paths like it: id, data.iataId, data.icaoId, data.aircraftId)" in err, err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["validate", SINK, RECORDS, "-o", "out.npz"], "unrecognized arguments: -o out.npz (-o is an option of map, not of validate)"),
        (["map", SINK, RECORDS, "-o", "-", "--report", "json"], "unrecognized arguments: --report json (--report is an option of validate, infer, not of map)"),
        (["validate", SINK, RECORDS, "--format", "json"], "unrecognized arguments: --format json (--format is an option of check, not of validate)"),
        (
            ["infer", RECORDS, "-o", "draft.json"],
            "unrecognized arguments: -o draft.json (infer prints the draft on standard output: mapper infer RECORDS > draft.json)",
        ),
        (["check", SINK, RECORDS], f"unrecognized arguments: {RECORDS} (check takes one SINK: records are checked by mapper validate SINK RECORDS)"),
    ],
    ids=["validate -o", "map --report", "validate --format", "infer -o", "check RECORDS"],
)
def test_an_option_of_another_command_says_whose_it_is(capsys, argv, said):
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert said in err, err


@pytest.mark.parametrize("value", ["jsonl", "JSONL", "jsonlines", "ldjson"])
def test_json_lines_by_another_name_is_told_ndjson_not_json(capsys, value):
    # (difflib's nearest, 'json', reads the input as one document: the opposite)
    code, _out, err = cli(capsys, "validate", SINK, RECORDS, "--input-format", value)
    assert code == 2 and err.rstrip().endswith("(did you mean 'ndjson'?)"), err


def test_primary_key_fields_given_as_a_string_is_shown_as_the_array_it_means(tmp_path, capsys):
    sink = json.loads(SINK.read_text())
    sink["schema"]["primary_key_fields"] = "record_id"
    path = tmp_path / "sink.json"
    path.write_text(json.dumps(sink))
    code, out, _err = cli(capsys, "check", path)
    assert code == 2
    assert 'error: /schema/primary_key_fields: primary_key_fields must be a non-empty array of column names, not "record_id" (write ["record_id"])' in out, out


def test_primary_key_fields_given_as_a_comma_list_is_shown_as_the_array_it_means(tmp_path, capsys):
    sink = json.loads(SINK.read_text())
    sink["schema"]["primary_key_fields"] = "record_id, ts"
    path = tmp_path / "sink.json"
    path.write_text(json.dumps(sink))
    code, out, _err = cli(capsys, "check", path)
    assert code == 2 and 'not "record_id, ts" (write ["record_id", "ts"])' in out, out


def test_a_path_near_another_column_s_path_is_not_taken_for_a_typo_of_it(tmp_path, capsys):
    # d18 and d19 absent, d1 mapped by its own column (tests/cases/mapping/ingester-decimal-edges)
    case = ROOT / "tests" / "cases" / "mapping" / "ingester-decimal-edges"
    _code, out, err = cli(capsys, "validate", case / "sink.json", case / "records.ndjson")
    assert "mistyped" not in out + err, out + err


def test_a_short_key_a_letter_away_is_not_taken_for_a_typo():
    from mapper.engine.reader import mistyped_paths_notes

    lines = [b'{"id": 1, "d1": 2}']
    assert mistyped_paths_notes(lines, 1, [("x", ("d18",))]) == []  # (difflib's ratio is 0.8)
    assert mistyped_paths_notes(lines, 1, [("x", ("D1",))]) == ['x: no record holds its path ["D1"]; they hold ["d1"] (is the path mistyped?)']


# -- a file name a letter away from one beside it ---------------------------------------------------


def test_a_mistyped_sink_name_is_told_the_file_beside_it(tmp_path, capsys, monkeypatch):
    (tmp_path / "sink.json").write_text(SINK.read_text())
    (tmp_path / "records.ndjson").write_bytes(RECORDS.read_bytes())
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "validate", "sinkk.json", "records.ndjson")
    assert code == 2 and out == ""
    assert "error: (document): no such file: sinkk.json (did you mean sink.json?)" in err, err
    code, out, err = cli(capsys, "validate", "sink.json", "recods.ndjson")
    assert code == 2 and err == "mapper: no such file: recods.ndjson (did you mean records.ndjson?)\n", err
    code, out, err = cli(capsys, "check", tmp_path / "Sink.json")
    assert code == 2 and f"no such file: {tmp_path / 'Sink.json'} (did you mean {tmp_path / 'sink.json'}?)" in out, out


def test_a_missing_file_with_nothing_like_it_beside_it_is_said_as_before(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sink.json").write_text(SINK.read_text())
    code, _out, err = cli(capsys, "validate", "sink.json", "zzz.ndjson")
    assert code == 2 and err == "mapper: no such file: zzz.ndjson\n"
    code, _out, err = cli(capsys, "validate", "sink.json", "nodir/records.ndjson")
    assert code == 2 and err == "mapper: no such file: nodir/records.ndjson\n"


def test_a_mistyped_path_is_noted_by_a_run_of_several_processes_too(tmp_path, capsys):
    sink = _sink_with(tmp_path, ["data", "aircraftID"], allow_missing=True)
    code, out, err = cli(capsys, "validate", sink, RECORDS, "--workers", "2")
    assert code == 0 and "--workers 2:" not in err  # (mapped by two processes, not one)
    assert 'note: aircraft_id: no record holds its path ["data", "aircraftID"]; they hold ["data", "aircraftId"]' in out + err, out + err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["send", SINK, RECORDS, "--dry-run", "--records-per-s", "0"], "mapper send: --records-per-s must be"),
        (
            ["send", SINK, RECORDS, "--dry-run", "--bytes-per-s", "10"],
            "mapper send: --bytes-per-s must be a finite number, at least 26 (to admit a body of one record), not 10",
        ),
        (
            ["send", SINK, RECORDS, "--dry-run", "--body-records", "0"],
            "mapper send: --body-records must be a whole number, at least 1, not 0",
        ),
        (
            ["send", SINK, RECORDS, "--dry-run", "--body-bytes", "5"],
            "mapper send: --body-bytes must be a whole number, at least 26 (a body holding the smallest record, {}), not 5",
        ),
        (["serve", "--db", ":memory:", "--port", "0", "--records-per-s", "0.5"], "mapper serve: --records-per-s must be"),
    ],
    ids=["send records/s", "send bytes/s", "send body records", "send body bytes", "serve records/s"],
)
def test_a_limit_refused_names_its_option(capsys, argv, said):
    # "mapper send: the limits must be positive finite numbers of records and bytes per second,
    # not 0 and 1e+06" named no option, where docs/cli.md says a value refused names it
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == "" and err.startswith(said) and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("asked", "hint"),
    [
        ("aircraft", "(the sink for the table 'aircraft', its sink_details.table, is 'aircraft_positions': --query takes the sink's id"),
        ("aircraft_position", "(did you mean 'aircraft_positions'?)"),
        ("flights", "(the database holds 'aircraft_positions': GET /v2/sinks lists them)"),
    ],
    ids=["the table's name", "a near miss", "another name"],
)
def test_serve_query_of_a_sink_not_held_names_the_one_meant(tmp_path, capsys, asked, hint):
    # the README's step 4 with the example's table name, `--query aircraft`, said "no sink 'aircraft'" alone
    from mapper.store import Store

    db = tmp_path / "fb.db"
    store = Store(str(db))
    store.create_sink(Path(SINK))
    store.close()
    code, out, err = cli(capsys, "serve", "--db", db, "--query", asked)
    assert code == 2 and out == "" and err.startswith(f"mapper serve: no sink {asked!r} {hint}") and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "localhost:8080/v2/sinks/x",
            "the endpoint must be an http:// or https:// URL, not 'localhost:8080/v2/sinks/x' (did you mean 'http://localhost:8080/v2/sinks/x'?)",
        ),
        (  # (the host and port alone got no hint: the pattern wanted a '/' after the port)
            "localhost:8080",
            "the endpoint must be an http:// or https:// URL, not 'localhost:8080' (did you mean 'http://localhost:8080/v2/sinks/<sink_id>'?)",
        ),
        (
            "[::1]:8080/v2/sinks/x",
            "the endpoint must be an http:// or https:// URL, not '[::1]:8080/v2/sinks/x' (did you mean 'http://[::1]:8080/v2/sinks/x'?)",
        ),
        ("http:///v2/sinks/x", "the endpoint names no host: 'http:///v2/sinks/x' (an ingest URL is http://HOST[:PORT]/v2/sinks/<sink_id>)"),
        ("http://h:99999/v2/sinks/x", "the endpoint's port must be a number from 1 to 65535: 'http://h:99999/v2/sinks/x'"),
    ],
    ids=["no scheme", "no scheme nor path", "no scheme ipv6", "no host", "port out of range"],
)
def test_an_endpoint_mistyped_is_told_what_is_wrong_with_it(capsys, url, said):
    # "must be an http:// or https:// URL" of http:///v2/sinks/x, which is one (its host is what it
    # lacks); "the port is not a number" of 99999; and nothing of the scheme left out, as curl takes it
    code, out, err = cli(capsys, "send", SINK, RECORDS, "--endpoint", url)
    assert code == 2 and out == "" and err == f"mapper send: {said}\n", err


@pytest.mark.parametrize(
    ("option", "given", "meant"),
    [("--id-field", "idd", "id"), ("--type", "data.latt=string", "data.lat"), ("--primary-key-fields", "data.regg", "data.reg")],
)
def test_an_infer_path_a_typo_away_is_named(capsys, option, given, meant):
    # only a path holding the text was suggested ("paths like it"): a letter too many said nothing
    code, out, err = cli(capsys, "infer", RECORDS, option, given)
    asked = given.partition("=")[0]
    assert (
        code == 2
        and out == ""
        and err == f"mapper: {option} {asked!r} is not a path of the records (nor a column name of the draft) (did you mean {meant!r}?)\n"
    )


@pytest.mark.parametrize(
    ("head", "said"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00", "is a ZIP archive (a .npz file, as mapper map -o out.npz writes, is one), not JSON text"),
        (b"PAR1\x15\x04\x15\x80", "is a Parquet file, not JSON text: give the records as NDJSON, a JSON array or a request body (mapper.read_batch"),
        (b"SQLite format 3\x00\x10\x00", "is an SQLite database, not JSON text: give the records as NDJSON, a JSON array or a request body (mapper serve"),
        (b"\x7fELF\x02\x01\x01\x00", "is binary data (it holds NUL bytes), not JSON text"),
    ],
    ids=["npz", "parquet", "serve's database", "other bytes"],
)
def test_a_binary_input_is_named_for_what_it_is(tmp_path, capsys, head, said):
    # out.npz given as RECORDS (`mapper map SINK RECORDS out.npz -o x.npz`, or an output of an
    # earlier run): 53 records refused "invalid character at char 1", and no note said why
    data = tmp_path / "out.bin"
    data.write_bytes(head + b"\x00\x01\n\x02\x03\n\xff\xfe\xfd\n")
    code, out, _err = cli(capsys, "validate", SINK, data)
    assert code == 1 and f"note: the input {said}" in out, out
    code, _out, err = cli(capsys, "map", SINK, RECORDS, data, "-o", tmp_path / "x.npz")  # (of several inputs, that one is named)
    assert code == 1 and f"note: {data} {said}" in err, err


@pytest.mark.parametrize(
    ("head", "said"),
    [
        (
            b"PK\x03\x04\x14\x00\x00\x00\xf7",
            "is a ZIP archive (a .npz file, as mapper map -o out.npz writes, is one), not JSON text: a sink definition is a JSON document",
        ),
        (
            b"\x1f\x8b\x08\x00\xf7",
            "is gzip-compressed data, not JSON text: a sink definition is a JSON document, the POST /v1/sinks body (unpack it first: gzip -dc",
        ),
        (b"SQLite format 3\x00\x10\x00\xf7", "is an SQLite database, not JSON text"),
    ],
    ids=["npz", "gzip", "serve's database"],
)
def test_a_binary_sink_file_is_named_for_what_it_is(tmp_path, capsys, head, said):
    # said "is not UTF-8: invalid byte 0xf7 at line 1 column 15", nothing of what the file is
    path = tmp_path / "sink.bin"
    path.write_bytes(head + b"\x00\x01\n")
    code, out, _err = cli(capsys, "check", path)
    assert code == 2 and f"sink file {path} {said}" in out, out
