"""The command line on inputs at their edges: no records at all, stdin named twice, and the notes
validate, map and infer give about how the input is laid out (run in this process: fast)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mapper.cli import main

SINK = {
    "name": "edges",
    "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "edges"},
    "schema": {
        "type": "json",
        "primary_key_fields": ["id"],
        "allow_missing_fields": False,
        "definition": [{"name": "id", "path": ["id"], "type": "string"}, {"name": "n", "path": ["n"], "type": "int"}],
    },
}


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
    assert code == 0 and out.startswith("ACCEPTED: 1 record, all would be stored\n")
    assert f"note: {empty} holds no records (empty, blank lines only, or an empty array)\n" in out
    code, out, _ = cli(capsys, "validate", sink, good, empty, "--report", "json")
    assert json.loads(out)["notes"] == [f"{empty} holds no records (empty, blank lines only, or an empty array)"]
    code, _, err = cli(capsys, "map", sink, empty, good, "-o", tmp_path / "rows.ndjson")
    assert code == 0 and f"mapper: note: {empty} holds no records" in err and "1 row written" in err
    # one input, or inputs that all hold records: no such note
    assert "note:" not in cli(capsys, "validate", sink, good, good)[1]


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
    for command in (["validate", sink], ["map", sink, "-o", tmp_path / "rows.ndjson"], ["infer"]):
        with good.open("rb") as fh:
            monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": fh, "isatty": lambda self: False})())
            assert cli(capsys, *command, *names) == (2, "", message), command
    assert not (tmp_path / "rows.ndjson").exists()
    # once, among files: read
    with good.open("rb") as fh:
        monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": fh, "isatty": lambda self: False})())
        code, out, _ = cli(capsys, "validate", sink, good, "-", "--report", "json")
    assert code == 0 and json.loads(out)["records"] == 2
