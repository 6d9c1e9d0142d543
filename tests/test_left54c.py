"""Small gaps left at stop 54 (c): RECORDS checked before any is read, bench's note on a file given
twice, one layer of compression unpacked by every command, the workers note in the command line's
words, --group/--examples refused beside a JSON report, and one parser for every integer option."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from cli_inproc import run_main

from mapper.cli import parse
from mapper.commands import max_record_size_option, parse_max_errors
from mapper.engine import parallel
from mapper.errors import OptionError

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = (ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    (tmp_path / "a.ndjson").write_bytes(RECORDS)
    (tmp_path / "dir").mkdir()
    (tmp_path / "once.gz").write_bytes(gzip.compress(RECORDS))
    (tmp_path / "twice.gz").write_bytes(gzip.compress(gzip.compress(RECORDS)))
    return tmp_path


# ---------------------------------------------------------------------------------------
# 1. every RECORDS file is checked before any is read, the bad ones said at once

COMMANDS = {
    "validate": ["validate", "sink.json"],
    "map": ["map", "sink.json", "-o", "out.ndjson"],
    "bench": ["bench", "sink.json", "--repeat", "1"],
    "infer": ["infer"],
    "send": ["send", "sink.json", "--dry-run"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_bad_records_file_is_said_before_any_is_read(files: Path, command: str) -> None:
    # `validate SINK a.ndjson missing.ndjson`: the missing file was found once a.ndjson had been
    # read and mapped (send: sent), and of several bad ones only the first was said
    p = run_main(*COMMANDS[command], "a.ndjson", "missing.ndjson", "dir", cwd=files)
    assert p.returncode == 2 and p.out == "", (p.out, p.err)
    lines = [line for line in p.err.splitlines() if line.startswith("mapper")]
    assert len(lines) == 1, p.err
    assert "no such file: missing.ndjson" in lines[0] and "dir is a directory, not a records file" in lines[0], p.err
    assert not (files / "out.ndjson").exists()


def test_one_bad_records_file_is_said_as_before(files: Path) -> None:
    p = run_main("validate", "sink.json", "a.ndjson", "a.ndjsn", cwd=files)
    assert p.returncode == 2 and p.out == ""
    assert p.err.strip() == "mapper: no such file: a.ndjsn (did you mean a.ndjson?)", p.err


def test_standard_input_among_records_is_no_bad_file(files: Path) -> None:
    # (- is not looked up as a file: the missing one alone is said, before standard input is read)
    p = run_main("validate", "sink.json", "-", "missing.ndjson", input=b"not json\n", cwd=files)
    assert p.returncode == 2 and p.out == "" and p.err.strip() == "mapper: no such file: missing.ndjson", p.err


# ---------------------------------------------------------------------------------------
# 2. bench notes a file given twice, as validate does


def test_bench_notes_a_file_given_twice(files: Path) -> None:
    p = run_main("bench", "sink.json", "a.ndjson", "a.ndjson", "--repeat", "1", "--json", "b.json", cwd=files)
    assert p.returncode == 0, p.err
    note = "a.ndjson is given twice (inputs 1 and 2 of 2): its records are read and mapped twice"
    assert f"mapper: note: {note}" in p.err, p.err
    figures = json.loads((files / "b.json").read_text())
    assert figures["records"] == 6 and note in figures["mapper"]["notes"]
    # as validate says it
    v = run_main("validate", "sink.json", "a.ndjson", "a.ndjson", cwd=files)
    assert f"note: {note}" in v.out


# ---------------------------------------------------------------------------------------
# 3. one layer of compression, for files and standard input, by every command


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "stdin"])
def test_one_layer_of_compression_is_unpacked(files: Path, stdin: bool) -> None:
    for name, records in (("once.gz", 3), ("twice.gz", None)):
        args = ["-"] if stdin else [name]
        given = (files / name).read_bytes() if stdin else None
        v = run_main("validate", "sink.json", *args, "--report", "json", input=given, cwd=files)
        b = run_main("bench", "sink.json", *args, "--repeat", "1", "--json", "-", input=given, cwd=files)
        got = json.loads(v.out)
        bench = json.loads(b.out)
        if records is not None:
            assert v.returncode == 0 and got["records"] == records and bench["records"] == records, (v.err, b.err)
            continue
        # twice: the text, once unpacked, is gzip data: no JSON, said so with the command that unpacks the rest
        assert v.returncode == 1 and got["success_count"] == 0 and bench["records"] == got["records"], (got, bench)
        (note,) = [n for n in got["notes"] if "compressed twice" in n]
        command = "... | gzip -dc | gzip -dc > records.ndjson`" if stdin else "gzip -dc twice.gz | gzip -dc > twice.ndjson`"
        assert "gzip-compressed data" in note and command in note, note
        assert any("compressed twice" in n for n in bench["mapper"]["notes"]), bench


def test_map_infer_and_send_unpack_one_layer_too(files: Path) -> None:
    m = run_main("map", "sink.json", "twice.gz", "-o", "out.ndjson", cwd=files)
    assert m.returncode == 1 and "compressed twice" in m.err and (files / "out.ndjson").read_bytes() == b"", m.err
    i = run_main("infer", "twice.gz", cwd=files)  # (its draft came from the text of two layers)
    assert i.returncode == 2 and "no records to infer" in i.err and "compressed twice" in i.err, i.err
    s = run_main("send", "sink.json", "twice.gz", "--dry-run", cwd=files)
    assert s.returncode == 1 and "compressed twice" in s.err, s.err
    for command in (["map", "sink.json", "once.gz", "-o", "once.ndjson"], ["send", "sink.json", "once.gz", "--dry-run"]):
        assert run_main(*command, cwd=files).returncode == 0


# ---------------------------------------------------------------------------------------
# 4. the workers note in the command line's words


@pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork")
def test_the_workers_note_names_the_option_as_typed(files: Path) -> None:
    asked = parallel.most_workers() + 3
    p = run_main("validate", "sink.json", "a.ndjson", "--workers", asked, "--report", "json", cwd=files)
    notes = json.loads(p.out)["notes"]
    assert any(n.startswith(f"--workers {asked}: mapped with") for n in notes), notes
    assert not any(n.startswith("workers=") for n in notes), notes
    assert parallel.workers_note(asked, 2) is not None and parallel.workers_note(asked, 2).startswith(f"workers={asked}:")  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------
# 5. --group and --examples lay out the text report only


@pytest.mark.parametrize("report", ["json", "endpoint"])
@pytest.mark.parametrize("option", [["--group", "record"], ["--group", "column"], ["--examples", "5"]])
def test_text_report_options_are_refused_beside_a_json_report(files: Path, report: str, option: list[str]) -> None:
    p = run_main("validate", "sink.json", "a.ndjson", "--report", report, *option, cwd=files)
    assert p.returncode == 2 and p.out == "", p.out
    assert option[0] in p.err and f"--report {report}" in p.err, p.err


def test_text_report_options_still_go_with_the_text_report(files: Path) -> None:
    p = run_main("validate", "sink.json", "a.ndjson", "--report", "text", "--group", "record", "--examples", "1", cwd=files)
    assert p.returncode == 0 and "by record" in p.out, p.err


# ---------------------------------------------------------------------------------------
# 6. one parser for every integer option: ASCII digits

INTEGER_OPTIONS = [
    ["validate", "s.json", "--workers"],
    ["validate", "s.json", "--examples"],
    ["map", "s.json", "-o", "o.npz", "--workers"],
    ["bench", "s.json", "r", "--repeat"],
    ["infer", "r", "--max-depth"],
    ["send", "s.json", "r", "--retries"],
    ["send", "s.json", "r", "--body-records"],
    ["send", "s.json", "r", "--body-bytes"],
    ["serve", "--port"],
    ["serve", "--max-body-bytes"],
    ["serve", "--max-connections"],
    ["serve", "--offset"],
    ["serve", "--limit"],
]


@pytest.mark.parametrize("value", ["1_0", "\u0663", " 5", "+5"])
@pytest.mark.parametrize("argv", INTEGER_OPTIONS, ids=lambda a: f"{a[0]} {a[-1]}")
def test_an_integer_option_takes_ascii_digits_only(capsys: pytest.CaptureFixture[str], argv: list[str], value: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse([*argv, value])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and f"argument {argv[-1]}" in err and "ASCII digits" in err, err


@pytest.mark.parametrize("argv", INTEGER_OPTIONS, ids=lambda a: f"{a[0]} {a[-1]}")
def test_an_integer_option_reads_its_digits(argv: list[str]) -> None:
    args = parse([*argv, "007"])
    dest = argv[-1].lstrip("-").replace("-", "_")
    assert getattr(args, dest) == 7


@pytest.mark.parametrize("value", ["1_0", "\u0663", " 5", "5 ", "+5", "1_0%", "\u0663%", " 5%"])
def test_max_errors_takes_ascii_digits_only(value: str) -> None:
    with pytest.raises(OptionError, match="--max-errors"):
        parse_max_errors(value)
    assert parse_max_errors("10") == 10 and parse_max_errors("5%") == 0.05 and parse_max_errors("2.5%") == 0.025


@pytest.mark.parametrize("value", [" 5K", "5K ", "\u0665K", "1_0K"])
def test_max_record_size_takes_ascii_digits_only(value: str) -> None:
    with pytest.raises(OptionError, match="--max-record-size"):
        max_record_size_option(value)
    assert max_record_size_option("16M") == 16 << 20
