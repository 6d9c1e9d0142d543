"""A hunt in the less-used commands (check, explain, bench) and the command line's global behaviour."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mapper.cli import main

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"
CLOSED = "standard input is closed (no file descriptor 0, as <&- leaves it): nothing to read; name files instead of -"


@pytest.mark.parametrize(
    "argv, meant",
    [
        (["check", str(SINK), "--form", "json"], "--format"),  # --form: a prefix of --format
        (["validate", str(SINK), str(RECORDS), "--o", "skip"], "--on-error"),  # --o: --on-error in validate, ambiguous in map
        (["bench", str(SINK), str(RECORDS), "--rep", "1"], "--repeat"),
        (["--vers"], "--version"),
    ],
)
def test_abbreviated_options_are_usage_errors(argv: list[str], meant: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An option is its whole name: a prefix taken for the option it begins silently changes
    meaning (or turns ambiguous) when an option is added that it also begins."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "unrecognized arguments" in err, err


def test_whole_option_names_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SINK), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["valid"] is True


def test_check_json_of_a_closed_stdin_is_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``check - --format json`` with standard input closed (``<&-``): the unreadable sink is said
    in the JSON asked for (code unreadable), as an unreadable file is; it was one line on stderr
    and nothing on stdout, where a script reads the JSON."""
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["check", "-", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["valid"] is False
    assert doc["problems"] == [{"severity": "error", "pointer": "", "message": CLOSED, "code": "unreadable"}]
    assert err == ""


def test_check_text_of_a_closed_stdin_is_unchanged(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["check", "-"]) == 2
    assert capsys.readouterr() == ("", f"mapper: {CLOSED}\n")


def _refused(tmp_path: Path) -> Path:
    path = tmp_path / "fail.ndjson"
    path.write_text("".join(json.dumps({"id": f"r{i}", "data": {"x": 1}}) + "\n" for i in range(5)))
    return path


def test_bench_says_when_records_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Records the sink refuses (a wrong sink for the data, a wrong --records-path) still give
    records/s: bench says how many would be stored, so the figures are not taken for a mapping's."""
    assert main(["bench", str(SINK), str(_refused(tmp_path)), "--repeat", "1", "--json", "-"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["mapper"]["records"] == 5
    assert doc["mapper"]["stored"] == 0
    assert "0 of 5 records would be stored" in err


def test_bench_text_note_on_stderr_not_in_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", str(SINK), str(_refused(tmp_path)), "--repeat", "1"]) == 0
    out, err = capsys.readouterr()
    assert "would be stored" not in out
    assert "0 of 5 records would be stored" in err


def test_bench_quiet_and_clean_input_say_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", str(SINK), str(_refused(tmp_path)), "--repeat", "1", "-q"]) == 0
    assert "would be stored" not in capsys.readouterr().err
    assert main(["bench", str(SINK), str(RECORDS), "--repeat", "1", "--json", "-"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["mapper"]["stored"] == 3
    assert "would be stored" not in err


def test_bench_workers_counts_stored_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", str(SINK), str(_refused(tmp_path)), "--repeat", "1", "--workers", "2", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["mapper"]["stored"] == 0


def _bench_to(tmp_path: Path, json_out: str, stdout: Path) -> subprocess.CompletedProcess[bytes]:
    with stdout.open("wb") as fh:
        return subprocess.run(
            [sys.executable, "-m", "mapper", "bench", str(SINK), str(RECORDS), "--repeat", "1", "--json", json_out],
            stdout=fh,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            timeout=60,
        )


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "figures.json"])
def test_bench_json_naming_standard_output_is_the_json_alone(tmp_path: Path, name: str) -> None:
    """``--json /dev/stdout`` (or the file standard output is redirected to) is ``--json -``: the JSON
    alone on standard output. It was the JSON, then the table after it (no longer JSON), or with
    ``--json f.json > f.json`` the table written into the file the JSON's rename then replaced."""
    out = tmp_path / "figures.json"
    proc = _bench_to(tmp_path, name, out)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_bytes())
    assert doc["records"] == 3 and doc["command"][-1] == name
    assert b"Traceback" not in proc.stderr


def test_bench_json_file_ends_with_a_newline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    assert main(["bench", str(SINK), str(RECORDS), "--repeat", "1", "--json", str(out)]) == 0
    assert out.read_text().endswith("}\n")
    assert json.loads(out.read_text())["records"] == 3
    assert capsys.readouterr().out.startswith("mapper: 3 records")  # (the table, on standard output)


def test_bench_says_it_reads_a_terminal(tmp_path: Path) -> None:
    """``bench SINK -`` on a terminal says it is reading it, as ``validate`` does (it looked like a hang)."""
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "bench", str(SINK), "-", "--repeat", "1"], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    os.close(slave)
    try:
        os.write(master, b"\x04")  # Ctrl-D at a line's start: end of input
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        os.close(master)
    assert proc.returncode == 2, err  # (no records typed: nothing to measure, said after the note)
    assert b"mapper: reading records from standard input (the terminal)" in err
    assert b"mapper: no records to measure: " in err


def test_bench_gives_the_readers_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dump1090-style document read without --records-path is one record, refused: bench says
    what validate says (use --records-path aircraft), on stderr and in the JSON's notes."""
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"now": 1, "aircraft": [json.loads(line) for line in RECORDS.read_text().splitlines()]}))
    assert main(["bench", str(SINK), str(doc), "--repeat", "2", "--json", "-"]) == 0
    out, err = capsys.readouterr()
    notes = json.loads(out)["mapper"]["notes"]
    assert len(notes) == 1 and "use --records-path aircraft" in notes[0]
    assert f"mapper: note: {notes[0]}\n" in err
    assert main(["bench", str(SINK), str(doc), "--repeat", "1", "--records-path", "aircraft", "--json", "-"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["mapper"]["notes"] == [] and json.loads(out)["mapper"]["stored"] == 3
    assert "note:" not in err


def test_infer_says_it_reads_a_terminal() -> None:
    """``infer -`` on a terminal says it is reading it, as validate, map and bench do: it sat
    silent, looking like a hang."""
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "mapper", "infer", "-"], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    os.close(slave)
    try:
        os.write(master, b"\x04")  # Ctrl-D at a line's start: end of input
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        os.close(master)
    assert b"mapper: reading records from standard input (the terminal)" in err
    assert b"Traceback" not in err
