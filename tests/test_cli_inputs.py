"""The command line on inputs at their edges: no records at all, stdin named twice, and the notes
validate, map and infer give about how the input is laid out (run in this process: fast)."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import sinks

from mapper.cli import main

SINK = sinks.sink(sinks.column("id", "string"), sinks.column("n", "int"), name="edges", primary_key_fields=["id"], allow_missing=False)


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sink(tmp_path: Path) -> Path:
    path = tmp_path / "sink.json"
    path.write_text(json.dumps(SINK))
    return path


def test_no_records_at_all_is_accepted_and_the_verdict_says_the_input_holds_none(tmp_path, sink, capsys):
    # validate said only "ACCEPTED: no records", exit 0, as for a batch that holds some
    said = "ACCEPTED: no records: the input holds none (empty, blank lines only, or an empty array), so nothing would be stored\n"
    for data in ("", "\n  \r\n\n", "[]"):
        empty = tmp_path / "empty.ndjson"
        empty.write_text(data)
        assert cli(capsys, "validate", sink, empty) == (0, said, "")
        assert cli(capsys, "validate", sink, empty, "-q") == (0, said, "")  # the verdict line is all -q keeps
        code, out, _ = cli(capsys, "validate", sink, empty, "--report", "json")
        assert code == 0 and json.loads(out)["records"] == 0
        code, out, err = cli(capsys, "map", sink, empty, "-o", tmp_path / "rows.ndjson")
        assert (
            code == 0
            and err
            == "mapper: accepted: no records: the input holds none (empty, blank lines only, or an empty array), so nothing would be stored; 0 rows written to "
            + str(tmp_path / "rows.ndjson")
            + "\n"
        )
    code, out, _ = cli(capsys, "validate", sink, empty, empty)
    assert code == 0 and out.startswith("ACCEPTED: no records: none of the 2 inputs holds any (")


def test_an_input_of_several_that_holds_no_records_is_named(tmp_path, sink, capsys):
    good = tmp_path / "good.ndjson"
    good.write_text('{"id": "a", "n": 1}\n')
    empty = tmp_path / "empty.ndjson"
    empty.write_text("\n")
    code, out, _ = cli(capsys, "validate", sink, good, empty)
    assert code == 0 and out.startswith("ACCEPTED: 1 record, it would be stored\n")
    assert f"note: {empty} holds no records (empty, blank lines only, or an empty array)\n" in out
    code, out, _ = cli(capsys, "validate", sink, good, empty, "--report", "json")
    assert json.loads(out)["notes"] == [f"{empty} holds no records (empty, blank lines only, or an empty array)"]
    code, _, err = cli(capsys, "map", sink, empty, good, "-o", tmp_path / "rows.ndjson")
    assert code == 0 and f"mapper: note: {empty} holds no records" in err and "1 row written" in err
    # one input, or inputs that all hold records: no such note (the same file twice has a note of its own)
    also = tmp_path / "also.ndjson"
    also.write_text('{"id": "b", "n": 2}\n')
    assert "note:" not in cli(capsys, "validate", sink, good, also)[1]


@pytest.mark.parametrize(
    ("names", "said"),
    [(["-", "-"], "'-' twice"), (["-", "/dev/stdin"], "'-' and '/dev/stdin'"), (["-", "-", "-"], "'-' 3 times")],
)
def test_standard_input_named_twice_is_an_option_error(tmp_path, sink, capsys, monkeypatch, names, said):
    # validate - - read stdin once (a pipe's second reading held nothing); - /dev/stdin with a
    # redirected file read it twice (6 records of 3): now a usage error before anything is read
    good = tmp_path / "good.ndjson"
    good.write_text('{"id": "a", "n": 1}\n')
    message = f"mapper: RECORDS name standard input more than once ({said}): it is one stream, read once; name it once\n"
    for command in (["validate", sink], ["map", sink, "-o", tmp_path / "rows.ndjson"], ["infer"], ["bench", sink]):
        with good.open("rb") as fh:
            monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": fh, "isatty": lambda self: False})())
            assert cli(capsys, *command, *names) == (2, "", message), command
    with good.open("rb") as fh:  # send words its option errors as its own
        monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": fh, "isatty": lambda self: False})())
        assert cli(capsys, "send", sink, *names, "--dry-run") == (2, "", message.replace("mapper:", "mapper send:", 1))
    assert not (tmp_path / "rows.ndjson").exists()
    # once, among files: read
    with good.open("rb") as fh:
        monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": fh, "isatty": lambda self: False})())
        code, out, _ = cli(capsys, "validate", sink, good, "-", "--report", "json")
    assert code == 0 and json.loads(out)["records"] == 2


SNAPSHOT = {"now": 1.5, "messages": 3, "aircraft": [{"id": "a", "n": 1}, {"id": "b", "n": 2}, {"id": "c", "n": 3}]}
DOCUMENTS_NOTE = "each record read looks like a document holding the records; arrays of objects are at `aircraft` (3 objects): if those are the records, use --records-path aircraft (records_path='aircraft')"
#: (FILE: the file's name where it is known, shell-quoted; FILE for a text, a stream, standard input)
ARRAYS_NOTE = "each line holds a JSON array of objects, not one record: if those are the records, put them one a line (`jq -c '.[]' FILE`, NDJSON of records) and give that instead"


@pytest.mark.parametrize(("line", "note"), [(json.dumps(SNAPSHOT), DOCUMENTS_NOTE), (json.dumps(SNAPSHOT["aircraft"]), ARRAYS_NOTE)])
def test_the_api_gives_the_notes_the_command_line_gives_on_how_ndjson_is_laid_out(tmp_path, sink, capsys, line, note):
    # NDJSON of documents, or of arrays of records: only `mapper validate` and `map` said why the
    # records failed; Mapper.validate / Mapper.map reports had no note
    import mapper

    path = tmp_path / "lines.ndjson"
    path.write_text((line + "\n") * 3)
    named = note.replace(" FILE`", f" {path}`")  # (a file's note names it)
    code, out, _ = cli(capsys, "validate", sink, path, "--report", "json")
    assert code == 1 and json.loads(out)["notes"] == [named]
    m = mapper.compile_sink(SINK)
    data = path.read_bytes()
    for given, said in ((data, note), (data.decode(), note), (str(path), named), (path, named)):
        assert m.validate(given).notes == [said], type(given)
        assert m.map(given, on_error="skip").report.notes == [said], type(given)
        with pytest.raises(mapper.BatchRejected) as caught:
            m.map(given, on_error="reject")
        assert caught.value.report.notes == [said], type(given)
    # forced NDJSON: the same; another format or a records path: none; a stream (read once) keeps
    # its first lines as they go by, as the command line's standard input: the same (an open
    # file's naming it, a stream without a name saying FILE)
    assert m.validate(data, input_format="ndjson").notes == [note]
    assert m.validate(data, input_format="json").notes != [note]
    assert m.validate(data, records_path="aircraft").notes == []
    with path.open("rb") as fh:
        assert m.validate(fh).notes == [named]
    assert m.validate(io.BytesIO(data)).notes == [note]
    # records that pass: nothing looked at, nothing said
    assert m.validate(b'{"id": "a", "n": 1}\n' * 3).notes == []


def test_infer_on_ndjson_of_arrays_of_records_says_to_put_them_one_a_line(tmp_path, capsys):
    # infer said only "no records to infer a sink from: 3 records read, not JSON objects (...)"
    path = tmp_path / "arrays.ndjson"
    path.write_text((json.dumps(SNAPSHOT["aircraft"]) + "\n") * 3)
    code, out, err = cli(capsys, "infer", path)
    named = ARRAYS_NOTE.replace(" FILE`", f" {path}`")
    assert code == 2 and out == "" and err.endswith(f"\nnote: {named}\n")
    assert err.startswith("mapper: no records to infer a sink from: 3 records read, not JSON objects")
    # of several inputs, the note names its file; most lines objects: no note
    good = tmp_path / "good.ndjson"
    good.write_text('{"id": "a", "n": 1}\n' * 4)
    code, _, err = cli(capsys, "infer", path, good)
    assert code == 0 and f"{path}: {named}" in err
    good.write_text('{"id": "a", "n": 1}\n' * 4 + json.dumps(SNAPSHOT["aircraft"]) + "\n")
    assert "jq" not in cli(capsys, "infer", good)[2]


@pytest.mark.parametrize(
    ("encoding", "name"), [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32"), ("utf-32-le", "UTF-32")]
)
def test_records_in_utf16_or_utf32_text_are_told_to_be_converted(tmp_path, sink, capsys, encoding, name):
    # every record failed "Invalid JSON: invalid character at char 1", and nothing said why
    path = tmp_path / "wide.ndjson"
    path.write_bytes('{"id": "a", "n": 1}\n{"id": "b", "n": 2}\n{"id": "c", "n": 3}\n'.encode(encoding))
    # (the file's name in the command, shell-quoted: FILE stands for standard input's)
    note = f"the input is {name} text, not UTF-8 as JSON must be (and the endpoint reads it): convert it first, e.g. `iconv -f {name} -t UTF-8 {shlex.quote(str(path))}`"
    code, out, _ = cli(capsys, "validate", sink, path)
    assert code == 1 and out.startswith("REFUSED: ") and out.endswith(f"\nnote: {note}\n")
    code, _, err = cli(capsys, "infer", path)
    assert code == 2 and err.endswith(f"\nnote: {note}\n")
    import mapper

    assert mapper.compile_sink(SINK).validate(path).notes == [note]
    # UTF-8, with or without its byte order mark: no such note
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "n": "x"}\n{"id": "b", "n": "y"}\n')
    assert "note:" not in cli(capsys, "validate", sink, path)[1]
