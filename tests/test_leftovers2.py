"""More leftovers: file names holding control characters printed escaped by spark-validate and
serve (as every other command prints them since errors.shown_name), and a table mapping's
numbers quoted as written (as a definition's are).

No test here starts a JVM: every spark-validate message on a file name is made before Spark
starts (the path checks are called directly; the command line runs with Spark and its job
faked, as tests/test_spark.py's ``no_spark`` does). What Spark writes (OUT/refused's ``file``)
keeps the real name and is untouched here.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
from email.message import Message
from pathlib import Path
from typing import Any, Callable

import pytest
import sinks

import mapper
from mapper.cli import main
from mapper.errors import _CONTROL, MapperError, escape_controls

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "errors" / "sink.json"
RECORD = (ROOT / "examples" / "errors" / "records.ndjson").read_bytes().split(b"\n", 1)[0] + b"\n"

#: An ESC switching the terminal to line drawing, a newline, a right-to-left override and a
#: zero-width space: no glob character (Spark reads a path as a pattern; one with '[' is refused as such).
EVIL = "e\x1b(0\n\u202ex\u200b"
SHOWN = escape_controls(EVIL)


def _no_raw_controls(text: str) -> None:
    """No control character but the newlines between lines, and no line broken by a name's newline."""
    assert [c for c in _CONTROL.findall(text) if c != "\n"] == [], text
    assert not any(line.startswith("\u202ex") for line in text.split("\n")), text


def _message(call: Callable[[], Any]) -> str:
    with pytest.raises(MapperError) as exc:
        call()
    text = str(exc.value)
    _no_raw_controls(text)
    assert "\n" not in text, text
    return text


# ---------------------------------------------------------------------------------------
# 1. spark-validate's checks of its inputs and OUT, made before Spark starts


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _files(here: Path) -> None:
    Path(f"r{EVIL}.ndjson").write_bytes(RECORD)
    Path(f"_h{EVIL}.ndjson").write_bytes(RECORD)
    Path(f"a:b{EVIL}.ndjson").write_bytes(RECORD)
    Path(f"packed{EVIL}.ndjson").write_bytes(gzip.compress(RECORD))
    Path(f"plain{EVIL}.ndjson.gz").write_bytes(RECORD)
    Path(f"array{EVIL}.json").write_bytes(b"[" + RECORD.strip() + b",\n " + RECORD.strip() + b"]\n")
    Path(f"data[1]\x1b[31m{EVIL}.ndjson").write_bytes(RECORD)  # (a real '[': refused as a glob character)
    Path(f"u{EVIL}.ndjson").write_bytes(RECORD.decode().encode("utf-16"))
    Path(f"g{EVIL}").mkdir()
    Path(f"g{EVIL}/ok.ndjson").write_bytes(RECORD)
    Path(f"g{EVIL}/_late{EVIL}.ndjson").write_bytes(RECORD)
    Path(f"mixed{EVIL}/sub{EVIL}").mkdir(parents=True)
    Path(f"mixed{EVIL}/a.ndjson").write_bytes(RECORD)
    Path(f"deep{EVIL}/sub{EVIL}").mkdir(parents=True)
    Path(f"f{EVIL}").write_bytes(b"")
    os.mkfifo(f"fifo{EVIL}")


INPUT_CASES = [
    # (the path given, what the message must say)
    (f"missing{EVIL}.ndjson", f"no such file: missing{SHOWN}.ndjson"),
    (f"_h{EVIL}.ndjson", f"_h{SHOWN}.ndjson: Spark (Hadoop) skips files"),
    (f"_h{EVIL}.ndjson", f"(ln -s _h{SHOWN}.ndjson h{SHOWN}.ndjson)"),
    (f"s3a://bucket/_p{EVIL}.ndjson", f"s3a://bucket/_p{SHOWN}.ndjson: Spark (Hadoop) skips files"),
    (f"nothing{EVIL}*.ndjson", f"no file matches nothing{SHOWN}*.ndjson"),
    (f"g{EVIL}/*.ndjson", f"g{SHOWN}/_late{SHOWN}.ndjson: Spark (Hadoop) skips files"),
    (f"g{EVIL}/*.ndjson", f"(matched by g{SHOWN}/*.ndjson)"),
    (f"data[1]\x1b[31m{EVIL}.ndjson", f"data[1]\\u001b[31m{SHOWN}.ndjson: the path holds glob characters"),
    (f"data[1]\x1b[31m{EVIL}.ndjson", f"(data\\[1\\]\\u001b\\[31m{SHOWN}.ndjson)"),
    (f"a:b{EVIL}.ndjson", f"a:b{SHOWN}.ndjson: Hadoop cannot read"),
    (f"fifo{EVIL}", f"fifo{SHOWN} is not a regular file"),
    (f"packed{EVIL}.ndjson", f"packed{SHOWN}.ndjson is gzip-compressed"),
    (f"packed{EVIL}.ndjson", f"rename it to packed{SHOWN}.ndjson.gz"),
    (f"plain{EVIL}.ndjson.gz", f"plain{SHOWN}.ndjson.gz is named .gz but is not gzip-compressed"),
    (f"array{EVIL}.json", f"array{SHOWN}.json holds a JSON document"),
    (f"mixed{EVIL}", f"mixed{SHOWN} holds files and subdirectories (sub{SHOWN})"),
    (f"deep{EVIL}", f"deep{SHOWN} holds only subdirectories (sub{SHOWN})"),
]


@pytest.mark.parametrize(("path", "said"), INPUT_CASES, ids=[f"{i}-{c[1][:24]}" for i, c in enumerate(INPUT_CASES)])
def test_spark_input_checks_name_a_file_with_its_controls_escaped(here: Path, path: str, said: str) -> None:
    from mapper.spark import check_inputs

    _files(here)
    text = _message(lambda: check_inputs([f"r{EVIL}.ndjson", path]))
    assert said in text, text


def test_spark_notes_a_utf16_input_by_its_name_escaped(here: Path) -> None:
    from mapper.spark import check_inputs

    _files(here)
    notes: list[str] = []
    check_inputs([f"u{EVIL}.ndjson"], notes)
    assert len(notes) == 1 and notes[0].startswith(f"u{SHOWN}.ndjson is UTF-16 text"), notes
    _no_raw_controls(notes[0])


OUTPUT_CASES = [
    # (OUT, what the message must say)
    (f"o{EVIL}*", f"cannot write o{SHOWN}*: Spark reads OUT back as a path pattern"),
    (f"f{EVIL}", f"cannot write f{SHOWN}: it is not a directory"),
    (f"f{EVIL}/sub", f"cannot write f{SHOWN}/sub: "),
    (f"f{EVIL}/sub", f"/f{SHOWN} is not a directory"),
]


@pytest.mark.parametrize(("out", "said"), OUTPUT_CASES)
def test_spark_output_checks_name_out_with_its_controls_escaped(here: Path, out: str, said: str) -> None:
    from mapper.spark import check_output

    _files(here)
    text = _message(lambda: check_output(out))
    assert said in text, text


def test_spark_output_apart_names_out_and_the_input_escaped(here: Path) -> None:
    from mapper.spark import check_output_apart

    Path(f"in{EVIL}").mkdir()
    Path(f"in{EVIL}/r.ndjson").write_bytes(RECORD)
    text = _message(lambda: check_output_apart(f"in{EVIL}", [f"in{EVIL}/r.ndjson"]))
    assert f"cannot write in{SHOWN}: the input in{SHOWN}/r.ndjson reads it" in text, text


def test_spark_results_already_there_and_a_failed_move_name_them_escaped() -> None:
    from mapper.spark import _FileSystem, _refuse_results

    text = _message(lambda: _refuse_results(f"o{EVIL}", lambda _where: True))
    assert text.startswith(f"o{SHOWN}/mapped exists: "), text

    class Refusing:
        def rename(self, _source: Any, _target: Any) -> bool:
            return False

    fs = object.__new__(_FileSystem)
    fs._path = lambda p: p  # (Hadoop's Path, as the JVM gives it)
    fs.fs = Refusing()
    text = _message(lambda: fs.rename(f"o{EVIL}/.staging/mapped", f"o{EVIL}/mapped"))
    assert text == f"cannot move o{SHOWN}/.staging/mapped to o{SHOWN}/mapped", text


@pytest.fixture
def spark_faked(here: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``mapper spark-validate`` in this process with no JVM: the session and the job faked
    (``job["run"]`` is what the job does), as tests/test_spark.py's ``no_spark`` fakes them."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: spark-validate stops at the missing extra")
    pytest.importorskip("pandas", reason="pandas is not installed: spark-validate stops at the missing extra")
    import mapper.spark

    job: dict[str, Any] = {"run": lambda: mapper.spark.ValidateCounts(3, 2, 1, {"invalid_json": 1})}
    monkeypatch.setattr(mapper.spark, "_session", lambda *_args: None)
    monkeypatch.setattr(mapper.spark, "_check_java", lambda: None)
    monkeypatch.setattr(mapper.spark, "validate_files", lambda *_args, **_kwargs: job["run"]())
    _files(here)
    return job


def _spark_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["spark-validate", str(SINK), *args, "-q"])
    out, err = capsys.readouterr()
    _no_raw_controls(out + err)
    return code, out, err


def test_spark_validate_prints_out_and_the_notes_with_their_controls_escaped(spark_faked: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _spark_run(capsys, f"r{EVIL}.ndjson", f"u{EVIL}.ndjson", "-o", f"o{EVIL}")
    assert code == 1, err
    assert f"mapped:  2 rows -> o{SHOWN}/mapped (Parquet)\n" in out, out
    assert f"refused: 1 record -> o{SHOWN}/refused (NDJSON); errors: invalid_json 1\n" in out, out
    assert f"note: u{SHOWN}.ndjson is UTF-16 text" in out, out


def test_spark_validate_refuses_before_spark_with_the_names_escaped(spark_faked: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _spark_run(capsys, f"missing{EVIL}.ndjson", "-o", f"o{EVIL}")
    assert (code, err) == (2, f"mapper: no such file: missing{SHOWN}.ndjson\n")
    code, _out, err = _spark_run(capsys, f"r{EVIL}.ndjson", "-o", f"f{EVIL}")
    assert (code, err) == (2, f"mapper: cannot write f{SHOWN}: it is not a directory\n")
    Path(f"o{EVIL}/refused").mkdir(parents=True)
    code, _out, err = _spark_run(capsys, f"r{EVIL}.ndjson", "-o", f"o{EVIL}")
    assert code == 2 and err.startswith(f"mapper: o{SHOWN}/refused exists: "), err


def test_spark_validate_says_a_failed_job_with_its_controls_escaped(spark_faked: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    def fail() -> None:  # (Hadoop's message names the file it could not read, as it is)
        raise RuntimeError("Encountered error while reading file file:///x/r\x1b(0\u202ex.ndjson. Details:")

    spark_faked["run"] = fail
    code, _out, err = _spark_run(capsys, f"r{EVIL}.ndjson", "-o", f"o{EVIL}")
    assert (code, err) == (2, "mapper: Spark failed: Encountered error while reading file file:///x/r\\u001b(0\\u202ex.ndjson. Details:\n")


def test_spark_validate_names_a_java_home_with_its_controls_escaped(here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed: spark-validate stops at the missing extra")
    pytest.importorskip("pandas", reason="pandas is not installed: spark-validate stops at the missing extra")
    from pyspark import SparkContext

    import mapper.spark

    monkeypatch.setattr(mapper.spark, "_session", lambda *_args: pytest.fail("Spark was started"))
    monkeypatch.setattr(SparkContext, "_gateway", None)  # (no JVM in this process: a test's session may be up)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    monkeypatch.setenv("JAVA_HOME", f"jdk{EVIL}")
    Path(f"r{EVIL}.ndjson").write_bytes(RECORD)
    code, _out, err = _spark_run(capsys, f"r{EVIL}.ndjson", "-o", "out")
    assert code == 2 and f"JAVA_HOME (jdk{SHOWN}) has no bin/java" in err, err


# ---------------------------------------------------------------------------------------
# 2. serve's --db, on the terminal and in an HTTP error


def _db_files(here: Path) -> None:
    Path(f"d{EVIL}").mkdir()
    Path(f"notdb{EVIL}").write_text("hello, no database")
    con = sqlite3.connect(f"other{EVIL}.db")
    con.execute("CREATE TABLE t (x)")
    con.close()


SERVE_CASES = [
    # (arguments, the database named as it must appear)
    (["--db", f"missing{EVIL}.db", "--query", "x"], f"mapper serve: no database missing{SHOWN}.db to query"),
    (["--db", f"d{EVIL}", "--query", "x"], f"mapper serve: cannot read the database d{SHOWN}: it is a directory"),
    (["--db", f"notdb{EVIL}", "--query", "x"], f"mapper serve: cannot read the database notdb{SHOWN}: file is not a database"),
    (["--db", f"other{EVIL}.db", "--query", "x"], f"mapper serve: other{SHOWN}.db holds no sinks of mapper serve"),
    (["--db", f"d{EVIL}", str(SINK)], f"mapper serve: cannot open the database d{SHOWN}: it is a directory"),
    (["--db", f"nodir{EVIL}/x.db", str(SINK)], f"mapper serve: cannot open the database nodir{SHOWN}/x.db: no such directory nodir{SHOWN}\n"),
    (["--db", f"notdb{EVIL}", str(SINK)], f"mapper serve: cannot open the database notdb{SHOWN}: file is not a database"),
]


@pytest.mark.parametrize(("argv", "said"), SERVE_CASES, ids=[f"{i}-{c[1][14:40]}" for i, c in enumerate(SERVE_CASES)])
def test_serve_names_the_database_with_its_controls_escaped(here: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
    _db_files(here)
    code = main(["serve", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == "", (code, out, err)
    assert err.startswith(said), err
    _no_raw_controls(err)


def test_a_database_serve_cannot_read_is_a_500_naming_it_escaped(here: Path) -> None:
    from mapper.serve import App
    from mapper.store import Store

    store = Store(f"db{EVIL}")
    try:
        store.create_sink(SINK)
        other = sqlite3.connect(f"db{EVIL}")
        other.execute("DROP TABLE _mapper_sinks")  # (damaged, or edited by hand)
        other.close()
        resp = App(store).dispatch("GET", "/v2/sinks", Message(), lambda _n: b"")
    finally:
        store.close()
    assert resp.status == 500
    message = json.loads(resp.body)["message"]
    assert message.startswith(f"cannot read the database db{SHOWN}: "), message
    _no_raw_controls(message)


def test_serve_says_its_database_escaped_when_listening(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "serve", str(SINK), "--db", f"p{EVIL}.db", "--port", "0", "-q"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "listening on http://127.0.0.1:" in line and f"(database p{SHOWN}.db; " in line, line + err.decode()
    _no_raw_controls(line + out.decode() + err.decode())
    assert proc.returncode == 0, err


# ---------------------------------------------------------------------------------------
# 3. A table mapping's numbers, quoted as written


def _ui(mapping_n: str, allow: str = "true") -> str:
    return (
        '{"name": "s", "table": "CREATE TABLE t (_id ID, n INT MIN 0 MAX 100)", "mapping": {"_id": "id", "n": '
        + mapping_n
        + '}, "allow_missing_fields": '
        + allow
        + "}"
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (_ui('{"path": "n", "config": {"Min": 1e3}}'), "Min must be a whole number, not a number 1e3"),
        (_ui('{"path": "n", "config": {"Min": 1e3}}'), "Min 1e3 replaces 0, which the table's column"),
        (_ui('{"path": "n", "config": {"Max": 2.50}}'), "Max must be a whole number, not a number 2.50"),
        (_ui('{"path": "n", "config": {"Max": 2.50}}'), "Max 2.50 replaces 100, which the table's column"),
        (_ui('"n"', allow="1e0"), "allow_missing_fields must be true or false, not 1e0"),
    ],
)
def test_a_table_mapping_number_is_quoted_as_its_text_writes_it(text: str, said: str) -> None:
    for source in (text, text.encode()):
        messages = [p.message for p in mapper.check_sink(source).problems]
        assert any(said in m for m in messages), messages
        assert not any("1000.0" in m or "2.5 " in m or "1.0" in m for m in messages), messages


def test_a_table_mapping_given_as_python_is_shown_as_python_writes_it() -> None:
    body = json.loads(_ui('{"path": "n", "config": {"Min": 1e3}}'))
    messages = [p.message for p in mapper.check_sink(body).problems]
    assert any("Min must be a whole number, not a number 1000.0" in m for m in messages), messages


def test_records_with_one_identity_are_one_row_each_as_the_readme_says() -> None:
    """README (Null, missing): two records keyed alike in one batch are two rows, no warning,
    no error (a re-send updates), and numpy.unique(batch.ids, return_counts=True) finds them."""
    import numpy as np

    sink = sinks.sink(
        sinks.column("k", "string"), sinks.column("n", "int"), sinks.column("tags", "strings", path=["t"]), name="s", table="t", primary_key_fields=["k"]
    )
    m = mapper.Mapper(mapper.load_sink(sink))
    batch = m.map([{"k": "a", "n": 1, "t": ["x"]}, {"k": "b", "n": 2}, {"k": "a", "n": 3, "t": ["y"]}])
    assert len(batch) == 3 and not batch.report.errors and not batch.report.warnings
    assert [row["n"] for row in batch.to_rows()] == [1, 2, 3]
    keys, counts = np.unique(batch.ids, return_counts=True)
    assert dict(zip(keys.tolist(), counts.tolist())) == {"a": 2, "b": 1}
