"""Stop 62's CLI leftovers: each test failed before its fix."""

from __future__ import annotations

import bz2
import gzip
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from tests.cli_inproc import ROOT, run_main

ERRORS = ROOT / "examples" / "errors"
RECORDS = b'{"id": 1, "iataId": ""}\n\n{"id": 2, "iataId": "X"}\n{"id": 3, "iataId": "Y"}\n'


# -- standard error that cannot be written: the command's own exit status -----------------------------


def _exit_status(args: list[str], stderr: str, cwd: Path) -> int:
    """``python -m mapper ARGS`` with standard error on a full device (``full``) or a pipe its reader has closed (``closed``)."""
    command = [sys.executable, "-m", "mapper", *args]
    if stderr == "full":
        with open("/dev/full", "wb") as full:
            return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=full, cwd=cwd, timeout=60).returncode
    read, write = os.pipe()
    os.close(read)  # (closed before the command writes: its first write is EPIPE)
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=write, cwd=cwd, timeout=60).returncode
    finally:
        os.close(write)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("stderr", ["full", "closed"])
@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["bogus"], 2),  # (the parser's usage error: exit 1 on /dev/full, 0 with the pipe closed)
        (["validate", "--workers", "x", "s.json"], 2),  # (a command's parser)
        (["infer", "gone.ndjson"], 2),  # (a command's own one-line error: exit 1)
        (["validate", str(ERRORS / "sink.json"), str(ERRORS / "records.ndjson")], 1),  # (records refused: the verdict stands)
    ],
    ids=["usage", "command-usage", "command-error", "verdict"],
)
def test_standard_error_that_cannot_be_written_keeps_the_exit_status(tmp_path: Path, args: list[str], status: int, stderr: str) -> None:
    (tmp_path / "s.json").write_text('[{"name": "id", "path": "id", "type": "id"}]')
    assert _exit_status(args, stderr, tmp_path) == status


# -- serve --table: a file that cannot be read, in every command's words --------------------------------


def test_serve_table_a_file_missing_or_a_directory_is_said_as_every_command_says_it(tmp_path: Path) -> None:
    (tmp_path / "table.sql").write_text("CREATE TABLE t (_id ID, a INT);\n")
    (tmp_path / "dir").mkdir()
    missing = run_main("serve", "--db", ":memory:", "--port", "0", "--table", "tabel.sql", cwd=tmp_path)
    assert missing.returncode == 2, missing.err
    # (it said "cannot read tabel.sql: No such file or directory", the OS's words)
    assert missing.err == "mapper serve: --table tabel.sql: no such file: tabel.sql (did you mean table.sql?)\n", missing.err
    directory = run_main("serve", "--db", ":memory:", "--port", "0", "--table", "db=dir", cwd=tmp_path)
    assert directory.returncode == 2, directory.err
    assert directory.err == "mapper serve: --table db=dir: dir is a directory, not a table file\n", directory.err  # ("Is a directory")
    (tmp_path / "s.json").write_text('[{"name": "id", "path": "id", "type": "id"}]')
    records = run_main("validate", "s.json", "dir", cwd=tmp_path)  # (the records' words: the same function)
    assert records.err == "mapper: dir is a directory, not a records file\n", records.err


# -- a number refused is quoted as it was typed ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["serve", "--port", "99999"], "mapper serve: --port must be a whole number, at least 0, at most 65,535 (0 picks a free one), not 99999\n"),
        (["serve", "--max-connections", "00"], "mapper serve: --max-connections must be a whole number of connections, at least 1, not 00\n"),
        (
            ["serve", "--records-per-s", "0.50"],
            "mapper serve: --records-per-s must be a finite number, at least 1 (to admit a body of one record), not 0.50\n",
        ),
        (
            ["send", "s.json", "r.ndjson", "--dry-run", "--timeout", "1e5"],
            "mapper send: --timeout must be a finite number of seconds, above 0, at most 86,400, not 1e5\n",
        ),
        (
            ["send", "s.json", "r.ndjson", "--dry-run", "--body-bytes", "10000000000000"],
            "mapper send: a body must fit in one second of the limits: --body-bytes 10000000000000 is more than --bytes-per-s 1,000,000\n",
        ),
        (
            ["infer", "r.ndjson", "--min-presence", "2000"],
            "mapper: min_presence (--min-presence) must be a finite number, at least 0, at most 1 (a share of the records), not 2000\n",
        ),
    ],
    ids=["port", "max-connections", "records-per-s", "timeout", "body-bytes", "min-presence"],
)
def test_a_number_refused_is_quoted_as_typed(tmp_path: Path, args: list[str], said: str) -> None:
    # (it was said as a number: not 99,999, not 1,000,000, not 0.5, not 0: numbers the user never wrote)
    (tmp_path / "s.json").write_text('[{"name": "id", "path": "id", "type": "id"}]')
    (tmp_path / "r.ndjson").write_bytes(b'{"id": 1}\n')
    ran = run_main(*args, cwd=tmp_path, timeout=20)
    assert (ran.returncode, ran.err) == (2, said)


def test_the_python_api_says_its_numbers_as_before() -> None:
    from mapper.endpoint import read_numbers
    from mapper.errors import OptionError

    with pytest.raises(OptionError, match=r", not 99,999$"):
        read_numbers({"port": 99999})


# -- serve --create-delay: bounded as the other waits are -----------------------------------------------


def test_serve_create_delay_past_a_day_is_refused_naming_the_bound(tmp_path: Path) -> None:
    # (1e29 was taken, and the server started: a sink created stayed CREATING for ever)
    ran = run_main("serve", "--db", ":memory:", "--port", "0", "--create-delay", "1e29", cwd=tmp_path, timeout=20)
    assert (ran.returncode, ran.err) == (2, "mapper serve: --create-delay must be a finite number of seconds, at least 0, at most 86,400, not 1e29\n")


# -- a compressed SINK holding records: said so ---------------------------------------------------------


@pytest.mark.parametrize(("name", "pack"), [("rr.ndjson.gz", gzip.compress), ("rr.ndjson.bz2", bz2.compress)])
def test_a_compressed_sink_holding_records_is_said_to_hold_records(tmp_path: Path, name: str, pack: Callable[[bytes], bytes]) -> None:
    (tmp_path / name).write_bytes(pack(RECORDS))
    (tmp_path / "rr.ndjson").write_bytes(RECORDS)
    ran = run_main("check", name, cwd=tmp_path)
    assert ran.returncode == 2, ran.out
    kind = "gzip" if name.endswith(".gz") else "bzip2"
    # (it was told `gzip -dc rr.ndjson.gz > rr-2.ndjson, then give rr-2.ndjson`: the records given as the sink)
    assert (
        f"sink file {name} is {kind}-compressed NDJSON records: SINK is the sink definition, a JSON document (the POST /v1/sinks body), "
        f"and the records come after it, compressed as they are (mapper validate SINK RECORDS); `mapper infer {name} > sink.json` drafts a sink from them"
    ) in ran.out, ran.out
    assert "then give" not in ran.out, ran.out
    piped = run_main("check", "-", input=pack(RECORDS), cwd=tmp_path)
    assert "sink definition is" in piped.out and "-compressed NDJSON records: SINK is the sink definition" in piped.out, piped.out
    assert "`... | mapper infer - > sink.json` drafts a sink from them" in piped.out, piped.out


def test_a_compressed_sink_definition_is_still_told_to_be_unpacked(tmp_path: Path) -> None:
    (tmp_path / "sink.json.gz").write_bytes(gzip.compress(b'{"name": "x", "schema": {}}\n'))
    ran = run_main("check", "sink.json.gz", cwd=tmp_path)
    assert "is gzip-compressed data, not JSON text" in ran.out and "(unpack it first: gzip -dc sink.json.gz > sink.json, then give sink.json)" in ran.out, (
        ran.out
    )


# -- infer's notes with one input: the record's line, as validate says it ------------------------------


def test_infer_notes_of_one_input_say_the_records_line_as_validate_does(tmp_path: Path) -> None:
    (tmp_path / "data.json").write_bytes(RECORDS)
    ran = run_main("infer", "data.json", cwd=tmp_path)
    assert ran.returncode == 0, ran.err
    # (it said "(first: record 0)", where validate says "record 0, line 1" of the same record)
    assert 'note: iataId: "" in 1 of 3 records (first: record 0, line 1): ' in ran.err, ran.err
    (tmp_path / "draft.json").write_text(ran.out)
    said = run_main("validate", "draft.json", "data.json", cwd=tmp_path)
    assert "record 0, line 1: empty string taken as no value" in said.out, said.out
    # (a record after a blank line: its own line)
    (tmp_path / "later.json").write_bytes(b'{"id": 1, "iataId": "X"}\n\n{"id": 2, "iataId": ""}\n')
    later = run_main("infer", "later.json", cwd=tmp_path)
    assert "(first: record 1, line 3)" in later.err, later.err
