"""Stop 61's CLI leftovers and hunt: each test failed before its fix."""

from __future__ import annotations

import gzip
import io
import os
import sqlite3
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.cli_inproc import run_main

RECORDS = b'{"id": 1, "a": 2}\n{"id": 2, "a": 3}\n'


def _database(path: Path) -> bytes:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    data = path.read_bytes()
    path.unlink()
    return data


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


# -- serve --db FILE that is no database: what it is, and what to give -------------------------------


def _serve_db_said(tmp_path: Path, name: str, data: bytes) -> tuple[str, str]:
    """What ``serve --db NAME`` (serving) and ``serve --db NAME --query x`` say of ``data`` in NAME."""
    (tmp_path / name).write_bytes(data)
    serving = run_main("serve", "--db", name, "--port", "0", cwd=tmp_path, timeout=20)
    query = run_main("serve", "--db", name, "--query", "x", cwd=tmp_path, timeout=20)
    assert serving.returncode == 2 and query.returncode == 2, (serving.err, query.err)
    return serving.err.strip(), query.err.strip()


def test_serve_db_a_tar_or_zip_holding_no_database_is_named_so(tmp_path: Path) -> None:
    """A plain tar (or a ZIP) given as --db said "file is not a database" alone; a tar.gz of NDJSON was told to write
    its NDJSON out as a database (``tar -xOf r.tar.gz r.ndjson > r.ndjson.db, then give r.ndjson.db``)."""
    for name, data, what in (
        ("r.tar", _tar({"r.ndjson": RECORDS}), "a tar archive"),
        ("r.zip", _zip({"r.ndjson": RECORDS}), "a ZIP archive"),
        ("r.tar.gz", gzip.compress(_tar({"r.ndjson": RECORDS})), "a gzip-compressed tar archive"),
    ):
        serving, query = _serve_db_said(tmp_path, name, data)
        held = (
            f"file is not a database (it is {what}, and none of the files it holds is an SQLite database: give --db the database file serve keeps its sinks in"
        )
        assert serving == f"mapper serve: cannot open the database {name}: {held}, or a new file's name: serve makes it)", serving
        assert query == f"mapper serve: cannot read the database {name}: {held})", query  # (--query makes none)


def test_serve_db_an_archive_holding_a_database_gives_the_command_writing_it_out(tmp_path: Path) -> None:
    db = _database(tmp_path / "made.db")
    for name, data, what, command in (
        ("b.tar", _tar({"notes.txt": b"hi\n", "serve.db": db}), "a tar archive", "tar -xOf b.tar serve.db"),
        ("b.zip", _zip({"notes.txt": b"hi\n", "serve.db": db}), "a ZIP archive", "unzip -p b.zip serve.db"),
    ):
        serving, _query = _serve_db_said(tmp_path, name, data)
        assert serving.endswith(
            f"file is not a database (it is {what}, not a database file: serve reads and writes its database in place, "
            f"never inside an archive; write it out, {command} > serve.db, then give serve.db)"
        ), serving


def test_serve_db_gzip_of_records_is_not_told_to_be_unpacked_as_a_database(tmp_path: Path) -> None:
    """``--db r.ndjson.gz`` was told ``gzip -dc r.ndjson.gz > r.ndjson.db, then give r.ndjson.db``: NDJSON as a database."""
    serving, query = _serve_db_said(tmp_path, "r.ndjson.gz", gzip.compress(RECORDS))
    assert "gzip -dc" not in serving and "r.ndjson.db" not in serving, serving
    assert serving.endswith(
        "file is not a database (it is gzip-compressed data, and its text is JSON text: give --db the database file serve keeps its sinks in, "
        "or a new file's name: serve makes it; a sink definition is given as SINK, after the options)"
    ), serving
    # a plain JSON file (a sink given as --db) is named as such
    serving, _query = _serve_db_said(tmp_path, "sink.json", b'{"name": "s"}\n')
    assert serving.endswith(
        "(it is JSON text, not a database: give --db the database file serve keeps its sinks in, or a new file's name: serve makes it; a sink definition is given as SINK, after the options)"
    ), serving


@pytest.mark.parametrize("layers", [0, 1])
def test_serve_db_a_compressed_database_is_still_told_to_be_unpacked(tmp_path: Path, layers: int) -> None:
    db = _database(tmp_path / "made.db")
    if layers:
        serving, _query = _serve_db_said(tmp_path, "s.db.gz", gzip.compress(db))
        assert serving.endswith("file is not a database (it is gzip-compressed data: gzip -dc s.db.gz > s.db, then give s.db)"), serving
    else:  # (a database: served, no error; --query of a database without mapper's tables says so)
        (tmp_path / "s.db").write_bytes(db)
        query = run_main("serve", "--db", "s.db", "--query", "x", cwd=tmp_path)
        assert query.returncode == 2 and "holds no sinks of mapper serve" in query.err, query.err


# -- infer's notes name a record's line, as validate does -------------------------------------------


def test_infer_notes_name_a_records_line_in_its_file_as_validate_does(tmp_path: Path) -> None:
    """With several inputs infer's notes said ``(first: record 5, b.json)``: which line of it? Now the line
    validate names it on, in an NDJSON file with blank lines and in a pretty-printed JSON array alike."""
    import json

    (tmp_path / "a.ndjson").write_text('{"id": 1, "e": "x", "n": 1}\n\n\n{"id": 2, "e": "", "n": 1}\n{"id": 3, "e": "x", "n": 1}\n')
    rows = [{"id": 4, "e": "x", "n": 1}, {"e": "x", "n": 1}, {"id": 6, "e": "x", "n": 1e400}]
    (tmp_path / "b.json").write_text(json.dumps(rows, indent=2).replace('"n": Infinity', '"n": 1e400') + "\n")  # (a number beyond float64)
    ran = run_main("infer", "--id-field", "id", "a.ndjson", "b.json", cwd=tmp_path)
    assert ran.returncode == 0, ran.err
    places = {
        'e: "" in 1 of 6 records (first: record 1, a.ndjson line 4)',
        "identity id is missing in 1 (first: record 4, b.json line 7) of 6 records",
        "(the first in record 5, b.json line 11, 1e400)",
    }
    for said in places:
        assert said in ran.err, (said, ran.err)
    draft = run_main("infer", "--id-field", "id", "a.ndjson", "b.json", "-q", cwd=tmp_path).out
    (tmp_path / "d.json").write_text(draft)
    validated = run_main("validate", "d.json", "a.ndjson", "b.json", cwd=tmp_path).out
    for place in ("record 1, a.ndjson line 4", "record 4, b.json line 7", "record 5, b.json line 11"):
        assert place in validated, (place, validated)


def test_infer_lines_runs_give_each_records_line() -> None:
    """The runs infer keeps each record's line in give the line it was given, whatever the strides and breaks."""
    import random

    from mapper.infer import _Lines

    rng = random.Random(61)
    for _ in range(200):
        lines: list[int | None] = []
        line = 1
        for _n in range(rng.randrange(0, 40)):
            line = rng.choice([line, line + 1, line + 1, line + 3, 1, rng.randrange(1, 50)])
            lines.append(None if rng.random() < 0.05 else line)
        runs = _Lines()
        for index, at in enumerate(lines):
            runs.add(index, at)
            runs.add(index, 999)  # (a record placed again, refused after its scan: its first line stands)
        assert [runs.of(i) for i in range(len(lines))] == lines, lines
        assert runs.of(len(lines)) is None
        assert len(runs.at) <= max(1, len(lines))


# -- an archive the peek at standard input cannot tell is refused in check_archives' words ----------

SINK_TEXT = (
    '{"name": "s", "sink_details": {"database_id": "<database_id>", "table": "t"}, "schema": {"type": "json", "id_field": "id", '
    '"allow_missing_fields": false, "definition": [{"name": "id", "path": ["id"], "type": "int"}, {"name": "a", "path": ["a"], "type": "int"}]}}'
)
REFUSED = "not records: mapper reads NDJSON, a JSON array or a request body, never the files it holds; give their text, e.g."


def _bzip2_tar() -> bytes:
    """A bzip2-compressed tar whose first block is well past the 8 KiB standard input's peek holds: bzip2 gives
    no byte of a block before it has read it whole, so the peek cannot tell the tar (the reader did, in its words)."""
    import bz2
    import random

    noise = random.Random(61).randbytes(64 << 10)  # (random bytes: no smaller compressed)
    data = bz2.compress(_tar({"r.ndjson": RECORDS, "noise.bin": noise}))
    assert len(data) > 4 * 8192
    return data


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["validate", "s.json", "-"], "mapper validate s.json -"),
        (["validate", "s.json"], "mapper validate s.json"),
        (["map", "s.json", "-", "-o", "o.npz"], "mapper map s.json - -o o.npz"),
        (["bench", "s.json", "-"], "mapper bench s.json -"),
        (["infer", "-"], "mapper infer -"),
    ],
    ids=["validate", "validate-no-records", "map", "bench", "infer"],
)
def test_an_archive_the_stdin_peek_misses_is_refused_with_the_command(tmp_path: Path, argv: list[str], command: str) -> None:
    """It was ``give their text (... | tar -xjOf - | mapper ... -)``: the command line elided, the words not check_archives'."""
    (tmp_path / "s.json").write_text(SINK_TEXT)
    ran = run_main(*argv, input=_bzip2_tar(), cwd=tmp_path)
    said = f"mapper: standard input is a bzip2-compressed tar archive, {REFUSED} ... | tar -xjOf - | {command}\n"
    assert ran.returncode == 2 and ran.err == said, ran.err
    assert not (tmp_path / "o.npz").exists()


def test_an_archive_named_by_dev_stdin_is_refused_as_standard_input_is(tmp_path: Path) -> None:
    """``/dev/stdin`` (as a ``<(...)`` pipe) is not peeked before the run, being read once: the reader refused it in
    other words than ``-``'s refusal before reading; now one function says both, with the command line."""
    (tmp_path / "s.json").write_text(SINK_TEXT)
    tar = _tar({"r.ndjson": RECORDS})
    before = run_main("validate", "s.json", "-", input=tar, cwd=tmp_path)
    read = run_main("validate", "s.json", "/dev/stdin", input=tar, cwd=tmp_path)
    assert before.returncode == 2 and before.err == f"mapper: standard input is a tar archive, {REFUSED} ... | tar -xOf - | mapper validate s.json -\n", (
        before.err
    )
    assert read.returncode == 2 and read.err == f"mapper: /dev/stdin is a tar archive, {REFUSED} ... | tar -xOf - | mapper validate s.json -\n", read.err
    assert read.err.replace("/dev/stdin", "standard input") == before.err, (read.err, before.err)
    # send says it too, after what it read of the inputs before
    sent = run_main("send", "s.json", "/dev/stdin", "--dry-run", input=tar, cwd=tmp_path)
    assert sent.returncode == 2, sent.err
    assert (
        f"mapper send: stopped: an input could not be read: /dev/stdin is a tar archive, {REFUSED} ... | tar -xOf - | mapper send s.json - --dry-run\n"
        in sent.err
    ), sent.err


# -- a usage error names every argument missing at once ---------------------------------------------


@pytest.mark.parametrize(
    ("argv", "missing"),
    [
        (["map"], "SINK, -o/--output"),  # (it said -o/--output alone, and, given it, SINK: two rounds)
        (["map", "-q"], "SINK, -o/--output"),
        (["map", "s.json"], "-o/--output"),  # (RECORDS may be left out: standard input)
        (["map", "-o", "x.npz"], "SINK"),
        (["map", "--", "-o"], "-o/--output"),  # (a SINK named -o, after --)
        (["spark-validate"], "SINK, PATH, -o/--output"),
        (["spark-validate", "-o", "out"], "SINK, PATH"),
    ],
)
def test_a_usage_error_names_the_positionals_missing_beside_a_required_option(argv: list[str], missing: str) -> None:
    ran = run_main(*argv)
    assert ran.returncode == 2 and ran.out == "", ran
    assert ran.err.splitlines()[-1] == f"mapper {argv[0]}: error: the following arguments are required: {missing}", ran.err


# -- help and the version, standard output full or gone ------------------------------------------


class _Full(io.StringIO):
    """Standard output on a full disk (``> /dev/full``): each write fails, or only the flush (``at_flush``)."""

    def __init__(self, broken: type[OSError] = OSError, at_flush: bool = False) -> None:
        super().__init__()
        self.broken, self.at_flush = broken, at_flush

    def _fail(self) -> None:
        import errno

        code = errno.EPIPE if self.broken is BrokenPipeError else errno.ENOSPC
        raise self.broken(code, os.strerror(code))

    def write(self, text: str) -> int:
        if not self.at_flush:
            self._fail()
        return super().write(text)

    def flush(self) -> None:
        self._fail()


@pytest.mark.parametrize("argv", [["--help"], ["help"], ["help", "validate"], ["validate", "--help"], ["--version"]])
@pytest.mark.parametrize("at_flush", [False, True], ids=["write", "flush"])
def test_help_not_written_is_said_and_exit_2(argv: list[str], at_flush: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``mapper --help > /dev/full`` printed nothing and said nothing, exit 0 (argparse drops a write's error)."""
    import sys

    from mapper.cli import main

    monkeypatch.setattr(sys, "stdout", _Full(at_flush=at_flush))
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err == "mapper: cannot write standard output: No space left on device\n", (code, err)


def test_help_into_a_closed_pipe_ends_quietly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from mapper.cli import main

    for at_flush in (False, True):
        monkeypatch.setattr(sys, "stdout", _Full(BrokenPipeError, at_flush))
        try:
            code = main(["--help"])
        except SystemExit as ended:  # (the help written, its flush failing: argparse's exit 0)
            code = ended.code
        assert code == 0 and capsys.readouterr().err == "", at_flush


# -- standard output redirected onto an input: said, as validate and map say it ----------------------


@pytest.mark.parametrize(
    ("argv", "target", "said"),
    [
        (["infer", "r.ndjson"], "r.ndjson", "infer writes the draft to standard output, which is redirected to r.ndjson, an input: write it elsewhere"),
        (
            ["bench", "s.json", "r.ndjson"],
            "r.ndjson",
            "bench writes its figures to standard output, which is redirected to r.ndjson, an input: write them elsewhere",
        ),
        (["check", "s.json"], "s.json", "check writes its report to standard output, which is redirected to s.json, an input: write it elsewhere"),
        (["explain", "s.json"], "s.json", "explain writes the source to standard output, which is redirected to s.json, an input: write it elsewhere"),
    ],
    ids=["infer", "bench", "check", "explain"],
)
def test_standard_output_redirected_onto_an_input_is_said(tmp_path: Path, argv: list[str], target: str, said: str) -> None:
    """``mapper infer r.ndjson > r.ndjson``: the shell emptied the file first, and infer said "no records to infer a sink
    from: the input holds none" (bench "no records to measure", check "sink file s.json is empty", in the file itself).
    Standard output made a file is what a process alone shows: a subprocess."""
    import subprocess
    import sys

    from tests.cli_inproc import ROOT

    (tmp_path / "s.json").write_text(SINK_TEXT)
    (tmp_path / "r.ndjson").write_bytes(RECORDS)
    with open(tmp_path / target, "ab") as out:  # (appended, not emptied: the file still holds what the command would read)
        ran = subprocess.run(
            [sys.executable, "-m", "mapper", *argv], cwd=tmp_path, stdout=out, stderr=subprocess.PIPE, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
    assert ran.returncode == 2 and ran.stderr.decode() == f"mapper: {said}\n", ran.stderr
    assert (tmp_path / "s.json").read_text() == SINK_TEXT and (tmp_path / "r.ndjson").read_bytes() == RECORDS  # (nothing written into it)


# -- a SINK that is an archive: the sink definition in it written out, not the records beside it ------


def test_a_sink_archive_is_told_to_give_the_json_file_it_holds(tmp_path: Path) -> None:
    """A tar holding ``r.ndjson`` then ``sink.json`` given as SINK was told ``tar -xOf rs.tar r.ndjson > r.ndjson, then
    give r.ndjson``: the records as the sink. A ZIP was named "a .npz file ... mapper.read_batch reads it back"."""
    sink = SINK_TEXT.encode()
    for name, data, command in (
        ("rs.tar", _tar({"r.ndjson": RECORDS, "conf/sink.json": sink}), "tar -xOf rs.tar conf/sink.json > sink.json (tar -tf rs.tar lists"),
        ("rs.tar.gz", gzip.compress(_tar({"r.ndjson": RECORDS, "conf/sink.json": sink})), "tar -xOf rs.tar.gz conf/sink.json > sink.json (tar -tf"),
        ("rs.zip", _zip({"r.ndjson": RECORDS, "conf/sink.json": sink}), "unzip -p rs.zip conf/sink.json > sink.json (unzip -l rs.zip lists"),
    ):
        (tmp_path / name).write_bytes(data)
        ran = run_main("check", name, cwd=tmp_path)
        assert ran.returncode == 2 and f"(unpack it first: {command}" in ran.out and "then give sink.json)" in ran.out, ran.out
        assert "r.ndjson" not in ran.out and "npz" not in ran.out, ran.out
    # a .npz file mapper wrote is still named as such
    (tmp_path / "o.npz").write_bytes(_zip({"a.npy": b"\x93NUMPY"}))
    ran = run_main("check", "o.npz", cwd=tmp_path)
    assert "a .npz file, as mapper map -o out.npz writes" in ran.out, ran.out


def test_spark_validate_without_pyspark_names_the_command_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It said ``mapper: mapper spark-validate needs pyspark: ...``."""
    import sys

    monkeypatch.setitem(sys.modules, "pyspark", None)  # (not installed, whether it is or not: an import of it fails)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    (tmp_path / "s.json").write_text(SINK_TEXT)
    (tmp_path / "r.ndjson").write_bytes(RECORDS)
    ran = run_main("spark-validate", "s.json", "r.ndjson", "-o", "out", cwd=tmp_path)
    assert ran.returncode == 2 and ran.err.startswith("mapper: spark-validate needs pyspark: pip install 'featurebase-mapper[spark]'"), ran.err
