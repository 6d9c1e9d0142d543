"""Stop 61's CLI leftovers and hunt: each test failed before its fix."""

from __future__ import annotations

import gzip
import io
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
