"""Every example under ``examples/`` runs, and says what its README says it says (issue 15).

The commands are the ones ``examples/README.md`` shows, run from the repository root;
the expected reports are compared byte for byte, so an example cannot drift from the
code it demonstrates.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mapper
from mapper.cli import main
from mapper.serve import App, Server
from mapper.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
AIRCRAFT = EXAMPLES / "aircraft"
ERRORS = EXAMPLES / "errors"
ERROR_CODES = {"invalid_json", "not_an_object", "missing", "invalid_value", "out_of_range", "invalid_id", "too_large", "no_records", "lossy_value"}


@dataclass
class Ran:
    returncode: int
    stdout: bytes
    stderr: bytes


def run(*args: Any, script: Path | None = None) -> Any:
    """``python examples/SCRIPT ARGS`` in a subprocess, or ``mapper ARGS`` in this process (from the repository root)."""
    if script is not None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, cwd=ROOT, env=env, timeout=60)
        assert b"Traceback" not in proc.stderr, proc.stderr.decode()
        return proc
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", write_through=True)
    cwd = os.getcwd()
    os.chdir(ROOT)  # the README's commands name files from the root
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        os.chdir(cwd)
    return Ran(code, out_bytes.getvalue(), err_bytes.getvalue())


def readme_commands() -> str:
    return (EXAMPLES / "README.md").read_text()


# ---------------------------------------------------------------------------------------
# examples/errors: a batch with every kind of error, and its expected report

ERRORS_ARGS = ["validate", "examples/errors/sink.json", "examples/errors/records.ndjson", "--on-error", "skip", "--strict", "--max-record-size", "1K"]
DOCUMENTS_ARGS = ["validate", "examples/errors/sink.json", "examples/errors/documents.ndjson", "--records-path", "batch", "--on-error", "skip"]


def test_the_errors_example_gives_its_expected_text_report() -> None:
    p = run(*ERRORS_ARGS)
    assert p.returncode == 1
    assert p.stdout.decode() == (ERRORS / "expected.txt").read_text()
    assert "mapper " + " ".join(ERRORS_ARGS) in readme_commands()


def test_the_errors_example_gives_its_expected_json_report_with_every_record_level_code() -> None:
    p = run(*ERRORS_ARGS, "--report", "json")
    got = json.loads(p.stdout)
    assert got == json.loads((ERRORS / "expected.json").read_text())
    codes = {e["code"] for e in got["errors"]}
    assert codes == ERROR_CODES - {"no_records"}  # one of each; no_records needs --records-path: documents.ndjson
    assert got["verdict"] == "partial" and got["success_count"] == 2


def test_the_errors_example_documents_give_no_records() -> None:
    p = run(*DOCUMENTS_ARGS)
    assert p.returncode == 1
    assert p.stdout.decode() == (ERRORS / "expected-documents.txt").read_text()
    assert "no_records" in p.stdout.decode()
    assert "mapper " + " ".join(DOCUMENTS_ARGS) in readme_commands()


# ---------------------------------------------------------------------------------------
# The aircraft sink in its other forms: the UI's table mapping, a bare definition array


def rows(*sink_args: str) -> list[dict[str, Any]]:
    p = run("map", *sink_args, "examples/aircraft/records.ndjson", "-o", "-")
    assert p.returncode == 0, p.stderr.decode()
    return [json.loads(line) for line in p.stdout.splitlines()]


def test_the_table_mapping_and_the_definition_array_map_as_the_post_body_does() -> None:
    body = rows("examples/aircraft/sink.json")
    assert len(body) == 3
    assert rows("examples/aircraft/table-mapping.json") == body
    assert rows("examples/aircraft/definition.json", "--primary-key-fields", "record_id", "--no-allow-missing-fields") == body
    text = readme_commands()
    assert "mapper check examples/aircraft/table-mapping.json" in text
    assert "examples/aircraft/definition.json --primary-key-fields record_id --no-allow-missing-fields" in text


def test_the_table_mapping_is_the_ui_form_and_checks() -> None:
    doc = json.loads((AIRCRAFT / "table-mapping.json").read_text())
    assert doc["table"].startswith("CREATE TABLE") and "mapping" in doc
    result = mapper.check_sink(AIRCRAFT / "table-mapping.json")
    assert result.valid and result.sink is not None and result.sink.form == "ui"


def test_the_definition_array_needs_its_options_and_says_so() -> None:
    p = run("check", "examples/aircraft/definition.json")
    assert p.returncode == 2
    assert "--primary-key-fields" in p.stdout.decode() and "--no-allow-missing-fields" in p.stdout.decode()
    p = run("check", "examples/aircraft/definition.json", "--primary-key-fields", "record_id", "--no-allow-missing-fields")
    assert p.returncode == 0 and p.stdout.decode().startswith("ok: sink: 14 columns")


# ---------------------------------------------------------------------------------------
# examples/producer.py


def test_the_producer_dry_run_packs_the_good_records_and_names_the_refused() -> None:
    p = run("examples/aircraft/sink.json", "examples/aircraft/records.ndjson", script=EXAMPLES / "producer.py")
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.decode() == "body: 3 records, 1,031 bytes, lines 1-3\n"
    p = run("examples/errors/sink.json", "examples/errors/records.ndjson", script=EXAMPLES / "producer.py")
    assert p.returncode == 1
    letters = [json.loads(line) for line in p.stderr.decode().splitlines() if line.startswith("{")]
    assert [d["line"] for d in letters] == [3, 4, 5, 6, 7, 8, 9]
    # the same words as mapper validate
    expected = (ERRORS / "expected.txt").read_text()
    assert all(d["errors"][0].split(" - at ")[0].split(" (record ")[0] in expected for d in letters)
    assert "python examples/producer.py examples/aircraft/sink.json examples/aircraft/records.ndjson" in readme_commands()


def test_the_producer_sends_to_a_service_and_every_record_is_stored(tmp_path: Path) -> None:
    store = Store(tmp_path / "serve.db")
    store.create_sink(AIRCRAFT / "sink.json", exist_ok=True)
    server = Server(App(store)).start()
    try:
        url = f"{server.url}/v2/sinks/aircraft_positions"
        p = run("examples/aircraft/sink.json", "examples/aircraft/records.ndjson", "--endpoint", url, script=EXAMPLES / "producer.py")
        assert p.returncode == 0, p.stderr.decode()
        assert p.stderr.decode().strip().endswith("3 stored, 0 refused")
        stored = list(store.iter_rows("aircraft_positions"))
    finally:
        server.stop()
        store.close()
    assert stored == rows("examples/aircraft/sink.json")  # what mapper map writes, row for row


def test_the_web_ui_table_statement_parses_clean_and_takes_the_seed_record() -> None:
    from mapper.table import analyze_create_table

    table, problems = analyze_create_table((AIRCRAFT / "table.sql").read_text())  # what `serve --table` offers
    assert table is not None and problems == []
    assert table.name == "aircraft" and [c.name for c in table.columns][:3] == ["_id", "ts", "aircraftid"]
    assert {c.name: c.type for c in table.columns}["lat"] == "DECIMAL" and len(table.columns) == 15


def test_every_example_file_is_run_by_a_test() -> None:
    here = Path(__file__).read_text()
    for path in EXAMPLES.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert path.name in here, f"{path.relative_to(ROOT)} is run by no test"
