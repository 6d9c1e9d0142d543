"""A review of the command line's options (mapper/cli.py, mapper/commands.py): each test a
bug found so, failing before its fix. In this process (tests/cli_inproc.py) to stay fast."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from sinks import column, id_sink

from tests.cli_inproc import run_main

SINK = id_sink(column("i", "int"))
RECORDS = b'{"id":1,"i":2}\n{"id":2,"i":"x"}\n{"id":3,"i":4}\n'


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    sink = tmp_path / "s.json"
    sink.write_text(json.dumps(SINK))
    records = tmp_path / "r.ndjson"
    records.write_bytes(RECORDS)
    return sink, records


@pytest.mark.parametrize("typo", [["--ouput=out.npz"], ["--out", "out.npz"], ["--outptu", "out.npz"]])
def test_a_required_option_misspelt_is_named_with_the_one_meant(files: tuple[Path, Path], typo: list[str]) -> None:
    # map's -o misspelt: "the following arguments are required: -o/--output", the option typed
    # (which argparse finds unknown only after) not named: it looked given, and the parser blind to it
    sink, records = files
    p = run_main("map", sink, records, *typo, cwd=sink.parent)
    assert p.returncode == 2 and p.out == ""
    last = p.err.rstrip("\n").splitlines()[-1]
    assert "required: -o/--output" in last and typo[0].split("=")[0] in last and "did you mean '--output'" in last, p.err
    assert not (sink.parent / "out.npz").exists()


def test_a_required_option_missing_alone_is_said_as_before(files: tuple[Path, Path]) -> None:
    sink, records = files
    p = run_main("map", sink, records, "-q", "--examples", "-1", cwd=sink.parent)  # (-1: a value, not an option)
    assert p.returncode == 2
    assert p.err.rstrip("\n").splitlines()[-1] == "mapper map: error: the following arguments are required: -o/--output"
    p = run_main("map", sink, records, "-O", "out.npz", cwd=sink.parent)  # (a short option unknown: named too)
    assert p.err.rstrip("\n").splitlines()[-1] == "mapper map: error: the following arguments are required: -o/--output; unrecognized arguments: -O"


@pytest.mark.parametrize(
    ("name", "said"), [("bad.parquet", "Parquet"), ("bad.npz", "npz"), ("bad.arrow", "Arrow"), ("bad.ndjson.gz", "gzip"), ("bad.zst", "zstd")]
)
@pytest.mark.parametrize("command", ["validate", "map"])
def test_rejects_named_as_another_format_is_refused(files: tuple[Path, Path], name: str, said: str, command: str) -> None:
    # --rejects writes NDJSON whatever the name: `--rejects bad.parquet` (a run's rows go to
    # -o out.parquet) wrote NDJSON under a Parquet name, and `--rejects bad.ndjson.gz` plain text
    # under a gzip one (zcat: "not in gzip format"), found only by whoever read them later
    sink, records = files
    out = ["-o", "out.ndjson"] if command == "map" else []
    p = run_main(command, sink, records, *out, "--rejects", name, cwd=sink.parent)
    assert p.returncode == 2 and p.out == ""
    assert f"--rejects {name}" in p.err and said in p.err and "NDJSON" in p.err, p.err
    assert p.err.rstrip("\n").endswith("name the file bad.ndjson"), p.err


def test_rejects_named_as_compressed_json_lines_is_told_the_name_without_the_compression(files: tuple[Path, Path]) -> None:
    sink, records = files
    p = run_main("validate", sink, records, "--rejects", "bad.jsonl.gz", cwd=sink.parent)
    assert p.returncode == 2 and p.err.rstrip("\n").endswith("name the file bad.jsonl"), p.err
    assert sorted(os.listdir(sink.parent)) == ["r.ndjson", "s.json"]


@pytest.mark.parametrize("name", ["bad.ndjson", "bad.jsonl", "bad.json", "bad.log", "bad", ".parquet-rejects"])
def test_rejects_named_for_text_are_written(files: tuple[Path, Path], name: str) -> None:
    sink, records = files
    p = run_main("validate", sink, records, "--rejects", name, "-q", cwd=sink.parent)
    assert p.returncode == 1, p.err
    assert [json.loads(line)["record"] for line in (sink.parent / name).read_text().splitlines()] == [1]


def test_rejects_to_the_file_of_the_report_names_the_way_that_works_as_it_works(
    files: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `validate ... --rejects f > f` is refused, its message offering --rejects /dev/stdout, which
    # "writes them after the report": they are written as the records are read, the report last
    from mapper import cli

    sink, records = files
    out = tmp_path / "report.txt"
    saved = os.dup(1)
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.close(fd)
        monkeypatch.setattr("sys.stdout", open(1, "w", closefd=False))  # noqa: SIM115 - as Python's own over descriptor 1
        codes = [cli.main(["validate", str(sink), str(records), "--rejects", rejects, "--report", "json"]) for rejects in (str(out), "/dev/stdout")]
        sys.stdout.flush()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    assert codes == [2, 1]
    said = capsys.readouterr().err
    assert "is the file standard output is redirected to" in said and "--rejects /dev/stdout writes them before the report" in said, said
    first, second = out.read_text().splitlines()
    assert json.loads(first)["record"] == 1 and json.loads(second)["failed_records"] == 1  # (the rejects, then the report)


def test_workers_on_standard_input_say_it_is_standard_input(files: tuple[Path, Path]) -> None:
    # `validate SINK --workers 2 < r.ndjson`: "the input is not a regular file", of a regular file
    sink, records = files
    p = run_main("validate", sink, "--workers", "2", "--report", "json", input=records.read_bytes(), cwd=sink.parent)
    assert p.returncode == 1 and json.loads(p.out)["records"] == 3
    assert "mapper: --workers 2: standard input is read as it comes, not cut into ranges (name the file instead of -): mapping in one process" in p.err, p.err


def test_map_to_standard_output_that_is_text_only_writes_the_rows(files: tuple[Path, Path]) -> None:
    # mapper.cli.main called by a program whose sys.stdout is text alone (contextlib.redirect_stdout
    # to a StringIO, a notebook's stream): map -o - raised AttributeError ('StringIO' object has
    # no attribute 'buffer') out of main, a traceback; validate's report was written
    import contextlib
    import io

    from mapper import cli

    sink, records = files
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["map", str(sink), str(records), "-o", "-", "-q"])
    assert code == 1
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [{"_id": 1, "i": 2}, {"_id": 3, "i": 4}]


@pytest.mark.parametrize("command", [["check", "-"], ["check", "-", "--format", "json"], ["explain", "-"], ["validate", "-", "RECORDS", "-q"]])
def test_sink_from_a_text_only_standard_input_is_read(
    files: tuple[Path, Path], command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # main called by a program whose sys.stdin is a StringIO: SINK '-' raised AttributeError
    # ('StringIO' object has no attribute 'buffer') out of main, a traceback
    import io

    from mapper import cli

    sink, records = files
    monkeypatch.setattr("sys.stdin", io.StringIO(sink.read_text()))
    code = cli.main([str(records) if a == "RECORDS" else a for a in command])
    said = capsys.readouterr()
    assert code == (1 if command[0] == "validate" else 0), said.err
    assert ("sink 't'" in said.out) if command[0] != "validate" else said.out.startswith("PARTIAL")


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["validate", "SINK", "RECORDS", "-q"], 1),
        (["map", "SINK", "RECORDS", "-o", "OUT", "-q"], 1),
        (["infer", "RECORDS"], 0),
        (["bench", "SINK", "RECORDS", "--repeat", "1"], 0),
        (["send", "SINK", "RECORDS", "--dry-run"], 1),
    ],
)
def test_record_files_are_read_under_a_text_only_standard_input(
    files: tuple[Path, Path], command: list[str], code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the same program's sys.stdin a StringIO: every run reading a RECORDS file raised
    # AttributeError as it closed the file (`fh is not sys.stdin.buffer`), standard input unread
    import io

    from mapper import cli

    sink, records = files
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    names = {"SINK": str(sink), "RECORDS": str(records), "OUT": str(sink.parent / "out.ndjson")}
    assert cli.main([names.get(a, a) for a in command]) == code, capsys.readouterr().err


def test_serve_query_to_a_text_only_standard_output_writes_the_rows(files: tuple[Path, Path], tmp_path: Path) -> None:
    # as map -o - above: serve --query raised AttributeError ('StringIO' has no attribute 'buffer')
    import contextlib
    import io

    from mapper import cli
    from mapper.store import Store

    sink, _ = files
    db = tmp_path / "fb.db"
    store = Store(str(db))
    store.create_sink(sink)
    store.close()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["serve", "--db", str(db), "--query", "t"])
    assert code == 0 and out.getvalue() == ""


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        (["--on-error", "skip", "--max-errors", "-5%"], "(-5% is taken for an option: a value beginning with '-' is written --max-errors=-5%)"),
        (["-o", "-x.npz"], "(-x.npz is taken for an option: a value beginning with '-' is written --output=-x.npz)"),
    ],
)
def test_a_value_beginning_with_a_dash_is_said_how_to_give(files: tuple[Path, Path], given: list[str], hint: str) -> None:
    # "argument --max-errors: expected one argument" of `--max-errors -5%`: the value was there
    sink, records = files
    p = run_main("map", sink, records, *given, cwd=sink.parent)
    assert p.returncode == 2 and p.err.rstrip("\n").endswith(f"expected one argument {hint}"), p.err


def test_an_option_missing_its_value_before_another_option_gets_no_such_hint(files: tuple[Path, Path]) -> None:
    sink, records = files
    p = run_main("validate", sink, records, "--records-path", "--strict", cwd=sink.parent)
    assert p.returncode == 2 and p.err.rstrip("\n").endswith("argument --records-path: expected one argument"), p.err


def test_map_to_the_null_device_maps_and_writes_nothing(files: tuple[Path, Path]) -> None:
    # `-o /dev/null` (map for the report alone, or to time it): "cannot tell the output format of
    # '/dev/null'", exit 2; a link to it named .ndjson was the way. Nothing is kept there, whatever the format
    sink, records = files
    p = run_main("map", sink, records, "-o", os.devnull, cwd=sink.parent)
    assert p.returncode == 1 and p.out == "", p.err
    assert p.err.rstrip("\n").endswith(f"2 rows written to {os.devnull}"), p.err
    assert sorted(os.listdir(sink.parent)) == ["r.ndjson", "s.json"]


def test_an_option_before_the_command_is_said_to_go_after_it(files: tuple[Path, Path]) -> None:
    # `mapper -q validate ...`: "unrecognized arguments: -q" alone, -q being validate's own
    sink, records = files
    p = run_main("-q", "validate", sink, records, cwd=sink.parent)
    assert p.returncode == 2 and p.out == ""
    assert p.err.rstrip("\n").splitlines()[-1] == "mapper: error: unrecognized arguments: -q (options go after the command: mapper validate -q ...)", p.err


def test_the_check_command_said_for_a_sinks_warnings_runs_as_copied(files: tuple[Path, Path]) -> None:
    # "1 warning about my sink.json (see: mapper check my sink.json)": pasted, two arguments
    sink, records = files
    definition = json.loads(sink.read_text())
    definition["schema"]["definition"][1]["config"] = {"bogus": 1}
    (sink.parent / "my sink.json").write_text(json.dumps(definition))
    p = run_main("validate", "my sink.json", records, "--id-field", "id", cwd=sink.parent)
    assert "mapper: 1 warning about my sink.json (see: mapper check 'my sink.json' --id-field id)" in p.err, p.err


@pytest.mark.parametrize(("out", "meant"), [("x.json", "x.ndjson"), ("x.feather", "x.arrow"), ("x.pq", "x.parquet"), ("x.npy", "x.npz")])
def test_an_output_named_for_a_near_format_is_told_the_name_to_give(files: tuple[Path, Path], out: str, meant: str) -> None:
    # -o x.json: "cannot tell the output format", with no word that .ndjson is JSON rows (x.feather: .arrow is Feather v2)
    sink, records = files
    p = run_main("map", sink, records, "-o", out, cwd=sink.parent)
    assert p.returncode == 2 and f"(did you mean {meant}?" in p.err, p.err


@pytest.mark.parametrize("there", [False, True])
def test_map_of_a_discarded_batch_says_nothing_was_written(files: tuple[Path, Path], there: bool) -> None:
    # the report's DISCARDED line alone, exit 1 as for a partial batch whose rows are written: an
    # out.npz of an earlier run, left as it was, looked like this run's
    sink, records = files
    out = sink.parent / "out.npz"
    if there:
        out.write_bytes(b"an earlier run's")
    p = run_main("map", sink, records, "-o", "out.npz", "--on-error", "reject", cwd=sink.parent)
    assert p.returncode == 1
    left = "; out.npz is left as it was" if there else ""
    assert p.err.rstrip("\n").splitlines()[-1] == f"mapper: the batch is discarded: nothing written to out.npz{left}", p.err
    assert (out.read_bytes() == b"an earlier run's") if there else not out.exists()
    assert run_main("map", sink, records, "-o", "out.npz", "--on-error", "reject", "-q", cwd=sink.parent).err == ""


@pytest.mark.parametrize("append", [False, True])
def test_validate_whose_report_goes_to_an_input_is_refused(
    files: tuple[Path, Path], append: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `mapper validate SINK r.ndjson > r.ndjson`: the shell empties r.ndjson first, and validate said
    # "ACCEPTED: no records", exit 0, of records it never saw (>> appended the report to the
    # records); map -o - refused it so already
    from mapper import cli

    sink, records = files
    saved = os.dup(1)
    try:
        fd = os.open(records, os.O_WRONLY | (os.O_APPEND if append else os.O_TRUNC))
        os.dup2(fd, 1)
        os.close(fd)
        monkeypatch.setattr("sys.stdout", open(1, "w", closefd=False))  # noqa: SIM115 - as Python's own over descriptor 1
        code = cli.main(["validate", str(sink), str(records)])
        sys.stdout.flush()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    assert code == 2
    said = capsys.readouterr().err
    assert said == f"mapper: validate writes its report to standard output, which is redirected to {records}, an input: write it elsewhere\n", said
    assert records.read_bytes() == (RECORDS if append else b"")


@pytest.mark.parametrize(
    ("given", "word"),
    [
        (["-output=out.npz"], "-output=out.npz"),
        (["-output", "out.npz"], "-output"),
        (["-o", "out.npz", "-workers", "2"], "-workers"),
        (["-o", "out.npz", "-quiet"], "-quiet"),
    ],
)
def test_a_long_option_given_with_one_dash_is_refused_naming_it_with_two(files: tuple[Path, Path], given: list[str], word: str) -> None:
    # a Go-style flag: `-output=out.npz` was -o with the value 'utput=out.npz', a file of that name
    # written without a word; `-output out.npz` "cannot tell the output format of 'utput'";
    # `-quiet` "ignored explicit argument 'uiet'"
    sink, records = files
    p = run_main("map", sink, records, *given, cwd=sink.parent)
    assert p.returncode == 2 and p.out == ""
    assert p.err.rstrip("\n").splitlines()[-1] == f"mapper map: error: {word}: a long option takes two dashes: -{word}", p.err
    assert sorted(os.listdir(sink.parent)) == ["r.ndjson", "s.json"]


def test_main_takes_paths_among_its_arguments(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    # main(["validate", Path("s.json"), ...]) from a program: TypeError ('PosixPath' object is not
    # subscriptable) from argparse, a traceback; subprocess.run takes them so
    from mapper import cli

    sink, records = files
    assert cli.main(["validate", sink, records, "--rejects", sink.parent / "rej.ndjson", "-q"]) == 1  # type: ignore[list-item]
    assert capsys.readouterr().out.startswith("PARTIAL")
    assert json.loads((sink.parent / "rej.ndjson").read_text())["record"] == 1


@pytest.mark.parametrize("name", ["-w sink.json", "tab\there.json", "\u00e9 s.json"])
def test_the_check_command_said_for_a_sinks_warnings_quotes_the_name_as_pasted_names_are(files: tuple[Path, Path], name: str) -> None:
    # one spelling for a name offered to be pasted (errors.pasted_name): ./ before a leading -, quoted,
    # control characters escaped (the check command wrote its own, from the name as shown)
    sink, records = files
    definition = json.loads(sink.read_text())
    definition["schema"]["definition"][1]["config"] = {"bogus": 1}
    (sink.parent / name).write_text(json.dumps(definition))
    p = run_main("validate", "--", name, records, cwd=sink.parent) if name.startswith("-") else run_main("validate", name, records, cwd=sink.parent)
    said = {"-w sink.json": "'./-w sink.json'", "tab\there.json": "'tab\\there.json'", "\u00e9 s.json": "'\u00e9 s.json'"}[name]
    assert f"(see: mapper check {said})" in p.err, p.err
