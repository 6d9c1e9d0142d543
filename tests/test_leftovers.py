"""Small leftovers: file names and column names holding control characters printed escaped
everywhere a message or a text report shows them (as values already were), numbers of a
definition worded as written, and infer's notes alike in giving an example."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sinks

import mapper
from mapper.cli import main
from mapper.errors import _CONTROL, escape_controls, shown_name
from mapper.report import RecordError, location_text
from tests.odd_names import odd_named

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "errors"

#: An ESC starting a colour, a newline, a right-to-left override and a zero-width space.
EVIL = "e\x1b[31m\n\u202ex\u200b"
SHOWN = escape_controls(EVIL)


def test_shown_name_escapes_what_escape_controls_does_and_takes_a_path() -> None:
    assert shown_name(EVIL) == "e\\u001b[31m\\n\\u202ex\\u200b"
    assert shown_name(Path("d") / EVIL) == "d/" + SHOWN
    assert shown_name("plain name.ndjson") == "plain name.ndjson"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "sink.json", "sink.json")
    shutil.copy(EXAMPLES / "records.ndjson", f"r{EVIL}.ndjson")
    shutil.copy(EXAMPLES / "sink.json", f"s{EVIL}.json")
    Path(f"bad{EVIL}.json").write_text('{"schema": {"definition": [{"name": "x", "path": ["x"], "type": "nope"}]}}')
    Path(f"empty{EVIL}.ndjson").write_text("")
    Path(f"utf16{EVIL}.ndjson").write_bytes('{"id": "a"}\n'.encode("utf-16"))
    Path(f"notjson{EVIL}.ndjson").write_text("this is no JSON\n")
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


def _no_raw_controls(text: str) -> None:
    """No control character but the newlines between lines, and no line broken by the name's newline."""
    assert [c for c in _CONTROL.findall(text) if c != "\n"] == [], text
    assert not any(line.startswith("\u202ex") for line in text.split("\n")), text


NAME_CASES = [
    # (arguments, exit status, the file name shown as it must appear)
    (["validate", "sink.json", f"missing{EVIL}.ndjson"], 2, f"no such file: missing{SHOWN}.ndjson"),
    (["validate", f"missing{EVIL}.json", f"r{EVIL}.ndjson"], 2, f"invalid sink missing{SHOWN}.json:"),
    (["validate", f"missing{EVIL}.json", f"r{EVIL}.ndjson"], 2, f"no such file: missing{SHOWN}.json"),
    (["validate", f"bad{EVIL}.json", f"r{EVIL}.ndjson"], 2, f"invalid sink bad{SHOWN}.json:"),
    (
        ["validate", "sink.json", f"r{EVIL}.ndjson", "--rejects", f"nodir{EVIL}/rej.ndjson"],
        2,
        f"cannot write nodir{SHOWN}/rej.ndjson: no such directory nodir{SHOWN}",
    ),
    (["validate", "sink.json", f"r{EVIL}.ndjson", "--rejects", f"r{EVIL}.ndjson"], 2, f"--rejects r{SHOWN}.ndjson is also an input"),
    # (a copy of the sink as the second input, its one record refused: the sink itself given as RECORDS is a usage error)
    (["validate", "sink.json", f"r{EVIL}.ndjson", f"s{EVIL}.json"], 1, f"r{SHOWN}.ndjson line 3"),
    (["validate", "sink.json", f"r{EVIL}.ndjson", f"s{EVIL}.json", "--group", "record"], 1, f"r{SHOWN}.ndjson line 3"),
    (["validate", "sink.json", f"r{EVIL}.ndjson", f"empty{EVIL}.ndjson"], 1, f"empty{SHOWN}.ndjson holds no records"),
    (["validate", "sink.json", f"utf16{EVIL}.ndjson", f"empty{EVIL}.ndjson"], 1, f"utf16{SHOWN}.ndjson is UTF-16 text"),
    (["infer", f"r{EVIL}.ndjson", "-o", f"x{EVIL}.json"], 2, f"unrecognized arguments: -o x{SHOWN}.json"),
    (["map", "sink.json", f"r{EVIL}.ndjson", "-o", f"nodir{EVIL}/o.ndjson"], 2, f"cannot write nodir{SHOWN}/o.ndjson"),
    (["map", "sink.json", f"r{EVIL}.ndjson", "-o", f"r{EVIL}.ndjson"], 2, f"-o r{SHOWN}.ndjson is also an input"),
    (["map", "sink.json", f"r{EVIL}.ndjson", "-o", f"o{EVIL}.ndjson", "--rejects", f"o{EVIL}.ndjson"], 2, f"name the same file o{SHOWN}.ndjson"),
    (["map", "sink.json", f"r{EVIL}.ndjson", "-o", f"o{EVIL}.ndjson", "--allow-missing-fields"], 1, f"written to o{SHOWN}.ndjson"),
    (["check", f"bad{EVIL}.json"], 2, f"invalid: bad{SHOWN}.json: 5 errors"),
    (["check", f"missing{EVIL}.json"], 2, f"no such file: missing{SHOWN}.json"),
    (["explain", f"missing{EVIL}.json"], 2, f"invalid sink missing{SHOWN}.json:"),
    (["infer", f"missing{EVIL}.ndjson"], 2, f"no such file: missing{SHOWN}.ndjson"),
    (["infer", f"notjson{EVIL}.ndjson", f"r{EVIL}.ndjson", "--id-field", "qty"], 0, f"notjson{SHOWN}.ndjson"),
    (["bench", "sink.json", f"missing{EVIL}.ndjson"], 2, f"no such file: missing{SHOWN}.ndjson"),
    (["send", "sink.json", f"missing{EVIL}.ndjson", "--dry-run"], 2, f"missing{SHOWN}.ndjson"),
    (["send", f"missing{EVIL}.json", f"r{EVIL}.ndjson", "--dry-run"], 2, f"missing{SHOWN}.json"),
    (["send", "sink.json", f"r{EVIL}.ndjson", "--dry-run", "--rejects", f"nodir{EVIL}/d.ndjson"], 2, f"nodir{SHOWN}"),
    (["send", "sink.json", f"r{EVIL}.ndjson", "--dry-run", "--checkpoint", f"nodir{EVIL}/c.json"], 2, f"nodir{SHOWN}"),
]


@pytest.mark.parametrize(("argv", "status", "shown"), NAME_CASES, ids=[f"{i}-{c[0][0]}" for i, c in enumerate(NAME_CASES)])
def test_the_command_line_prints_a_file_name_with_its_controls_escaped(
    here: Path, capsys: pytest.CaptureFixture[str], argv: list[str], status: int, shown: str
) -> None:
    code, text = _run(capsys, argv)
    assert shown in text, text
    _no_raw_controls(text)
    assert code == status, text


def test_the_json_report_keeps_the_real_file_name_and_writes_its_controls_as_escapes(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # JSON text is data: its "file" holds the name as it is, which a JSON reader decodes whole; the
    # text itself (on a terminal too) carries no raw control, bidi or invisible character
    code, text = _run(capsys, ["validate", "sink.json", f"r{EVIL}.ndjson", f"s{EVIL}.json", "--report", "json"])
    assert code == 1
    _no_raw_controls(text.rstrip("\n"))
    report = json.loads(text)
    assert {e.get("file") for e in report["errors"]} == {f"r{EVIL}.ndjson", f"s{EVIL}.json"}
    assert f"file r{SHOWN}.ndjson" in report["errors"][0]["message"]


@pytest.mark.parametrize("argv", [["infer", "k.ndjson"], ["infer", "k.ndjson", "--report", "json"], ["check", "k.json", "--format", "json"]])
def test_json_on_standard_output_writes_bidi_and_c1_characters_as_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    # json.dumps(ensure_ascii=False) escapes C0 only: a key's U+202E or U+0085 came out as it is
    monkeypatch.chdir(tmp_path)
    key = "a\u202eb\x85c\u200b"
    Path("k.ndjson").write_text(json.dumps({"id": 1, key: "x"}) + "\n")
    Path("k.json").write_text(json.dumps({"schema": {"definition": [{"name": "k", "path": ["k"], "type": "string", "config": {key: 1}}]}}))
    _code, out = _run(capsys, argv)
    stdout = out[: out.index("\nmapper:") + 1] if "\nmapper:" in out else out
    assert not any(c in stdout for c in "\u202e\x85\u200b") and "a\\u202eb\\u0085c\\u200b" in stdout, stdout
    assert key in json.dumps(json.loads(stdout), ensure_ascii=False)  # (the same value, escaped)


# ---------------------------------------------------------------------------------------
# 2. A column name in a message's location


def test_location_text_escapes_the_column_name_as_check_shows_it() -> None:
    assert location_text("$.a", 1, 2, "c\x1b[2J\u202e") == ' - at `$.a` (record 1, line 2, column "c\\u001b[2J\\u202e")'
    e = RecordError(record=1, line=2, column="q\nty", path="$.qty", code="invalid_value", reason="bad", file="f\x07.ndjson")
    assert e.message == 'bad - at `$.qty` (file f\\u0007.ndjson, record 1, line 2, column "q\\nty")', e.message
    assert e.to_dict()["column"] == "q\nty" and e.to_dict()["file"] == "f\x07.ndjson"  # (data keeps the name)


def test_a_refused_value_of_a_column_named_with_controls_reads_escaped_in_its_message() -> None:
    body = sinks.id_sink(sinks.column("n\u202eum\x1b", "int", path=["n"]), name="s", table="t", database_id="0b7c3a52-2f4e-4a8e-9c61-5d0e8f1a2b3c")
    # (check refuses the name, FeatureBase's rule: a Sink built in Python has it)
    report = mapper.compile_sink(odd_named(body)).validate(b'{"id": 1, "n": "x"}\n')
    (error,) = report.errors
    assert error.column == "n\u202eum\x1b"
    assert 'column "n\\u202eum\\u001b"' in error.message, error.message


# ---------------------------------------------------------------------------------------
# 3. A number of a definition, worded as it was written


def _sink_text(column: str) -> str:
    return (
        '{"name": "s", "sink_details": {"database_id": "0b7c3a52-2f4e-4a8e-9c61-5d0e8f1a2b3c", "table": "t"}, "schema": {"type": "json",'
        ' "id_field": "id", "allow_missing_fields": true, "definition": [{"name": "id", "path": ["id"], "type": "id"}, ' + column + "]}}"
    )


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ('"type": "int", "config": {"Min": 1e3}', "Min must be a whole number, not a number 1e3"),
        ('"type": "int", "config": {"Max": -2E+3}', "Max must be a whole number, not a number -2E+3"),
        ('"type": "int", "config": {"Max": 1.50}', "Max must be a whole number, not a number 1.50"),
        ('"type": "int", "config": {"Min": 1000.0}', "Min must be a whole number, not a number 1000.0"),
        ('"type": "decimal", "config": {"Scale": 2e0}', "Scale must be a whole number, not a number 2e0"),
        ('"type": "timestamp", "config": {"Epoch": 1e3}', "Epoch must be an RFC 3339 time string such as"),
        ('"type": "int", "config": {"Min": 1e400}', "Min must be a whole number, not a number 1e400"),
    ],
)
def test_a_definition_number_is_quoted_as_its_text_writes_it(config: str, said: str) -> None:
    text = _sink_text('{"name": "n", "path": ["n"], ' + config + "}")
    for source in (text, text.encode()):
        result = mapper.check_sink(source)
        messages = [p.message for p in result.problems]
        assert any(said in m for m in messages), messages
        assert not any("1000.0" in m or "2000.0" in m for m in messages if "1000.0" not in config), messages


def test_a_definition_number_given_as_python_is_shown_as_python_writes_it() -> None:
    body = json.loads(_sink_text('{"name": "n", "path": ["n"], "type": "int", "config": {"Min": 1e3}}'))
    (problem,) = mapper.check_sink(body).errors
    assert problem.message == "Min must be a whole number, not a number 1000.0"


def test_the_numbers_quoted_as_written_do_not_change_what_is_kept(tmp_path: Path) -> None:
    # an unknown sink_details key keeps its value in the body, a plain float (orjson writes no subclass)
    text = _sink_text('{"name": "n", "path": ["n"], "type": "decimal", "config": {"Scale": 2}}').replace('"table": "t"', '"table": "t", "x": 1e3')
    sink = mapper.load_sink(text)
    assert sink.to_body()["sink_details"]["x"].__class__ is float
    import orjson

    assert b'"x":1000.0' in orjson.dumps(sink.to_body())


# ---------------------------------------------------------------------------------------
# 4. infer's note on a set column (--type PATH=ids or strings) names a value it refuses, as the others do

SETS = b"".join(
    json.dumps(r).encode() + b"\n"
    for r in (
        {"id": 1, "v": [1, 2], "s": ["a"]},
        {"id": 2, "v": [-3, 4], "s": ["b", 3]},
        {"id": 3, "v": [5], "s": ["c"]},
    )
)


@pytest.mark.parametrize(("path", "ctype"), [("v", "ids"), ("s", "strings")])
def test_a_set_column_note_gives_an_array_it_refuses_as_its_example(path: str, ctype: str) -> None:
    from mapper.infer import infer

    r = infer(SETS, id_field="id", types={path: ctype})
    (text,) = [n for n in r.notes if n.startswith(f"{path}: {ctype} (--type)")]
    # its first array it takes: the example is the first it refuses (shown as show() shows an array)
    assert text.endswith("the endpoint would refuse the record holding the other (e.g. [...] (2 items))"), text
    report = mapper.compile_sink(r.body).validate(SETS, on_error="skip")
    assert [e.record for e in report.errors] == [1]


def test_the_cli_note_on_an_ids_column_typed_by_the_user_has_its_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "sets.ndjson"
    f.write_bytes(SETS)
    code, text = _run(capsys, ["infer", str(f), "--id-field", "id", "--type", "v=ids"])
    assert code == 0
    assert "note: v: ids (--type) stores 2 of 3 values as sent; the endpoint would refuse the record holding the other (e.g. [...] (2 items))" in text


# ---------------------------------------------------------------------------------------
# 5. A key with a bidi or invisible character, in a path as messages show it


@pytest.mark.parametrize("key", ["a\u202eb", "zero\u200bwidth", "x\x85", "t\U000e0041"])
def test_a_dotted_path_quotes_a_key_holding_a_bidi_or_invisible_character_as_its_escape(key: str) -> None:
    from mapper.paths import parse_path, to_dot_notation

    text = to_dot_notation((key, "c"))
    assert not any(c in text for c in "\u202e\u200b\x85\U000e0041"), ascii(text)
    assert text.startswith('"') and text.endswith('".c')
    assert parse_path(text).keys == (key, "c")  # (the same path)


def test_infer_names_a_key_with_a_bidi_character_escaped_in_its_identity_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "k.ndjson"
    f.write_text("".join(json.dumps({"n\u202eame": "v", "t": 1}) + "\n" for i in range(2)))
    code, text = _run(capsys, ["infer", str(f)])
    assert code == 0
    assert 'note: identity "n\\u202eame": its values repeat' in text, text
    _no_raw_controls(text)
    assert '"n\\u202eame"' in text, text
