"""Records and sinks that are archives, and serve's --db names (session inputs60): each test failed before its fix."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from cli_inproc import run_main

import mapper
from mapper.errors import tar_header

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"


def _zip(path: Path) -> bytes:
    """A ZIP archive at ``path`` holding the example records (deflated); their text, as ``unzip -p`` gives it."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("r.ndjson", RECORDS.read_bytes())
    return RECORDS.read_bytes()


def _tar_bytes(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _v7_header(name: bytes, size: int) -> bytes:
    """An old (v7, pre-POSIX) tar header: no ``ustar`` magic, as ``tar --format=v7`` writes one."""
    head = bytearray(512)
    head[0 : len(name)] = name
    for at, width, value in ((100, 8, 0o644), (108, 8, 0), (116, 8, 0), (124, 12, size), (136, 12, 0o15305311160)):
        head[at : at + width] = b"%0*o\x00" % (width - 1, value)
    head[156:157] = b"0"
    head[148:156] = b" " * 8
    head[148:156] = b"%06o\x00 " % sum(head)
    return bytes(head)


def _v7(files: dict[str, bytes]) -> bytes:
    """A v7 tar archive of ``files``."""
    blocks = []
    for name, data in files.items():
        blocks.append(_v7_header(name.encode(), len(data)) + data + b"\x00" * (-len(data) % 512))
    return b"".join(blocks) + b"\x00" * 1024


def _shell(command: str, cwd: Path) -> bytes:
    """What the shell command (a hint's, pasted) writes to standard output."""
    ran = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, check=False)
    assert ran.returncode == 0, (command, ran.stderr)
    return ran.stdout


# ---------------------------------------------------------------------------------------
# 1. one rule: an input that is an archive is never records, whatever format is named


@pytest.mark.parametrize("input_format", ["auto", "ndjson", "json", "endpoint"])
def test_an_archive_given_in_any_format_is_refused_as_bytes_stream_and_file_alike(tmp_path: Path, input_format: str) -> None:
    """Bytes named ``ndjson`` were read as records, their headers refused, the rest stored; gzip'd bytes, a file, a
    stream, and the CLI's ``--input-format ndjson`` were refused: now all are."""
    archive = _tar_bytes({"r.ndjson": RECORDS.read_bytes()})
    (tmp_path / "r.tar").write_bytes(archive)
    compiled = mapper.compile_sink(SINK.read_bytes())
    for given in (lambda: archive, lambda: gzip.compress(archive), lambda: io.BytesIO(archive), lambda: str(tmp_path / "r.tar")):
        with pytest.raises(mapper.InputError, match=r"is a (gzip-compressed )?tar archive, not records"):
            compiled.map(given(), input_format=input_format, on_error="skip")
        with pytest.raises(mapper.InputError, match=r"is a (gzip-compressed )?tar archive, not records"):
            compiled.validate(given(), input_format=input_format)
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    for words, given in ((["r.tar"], None), (["-"], archive)):
        ran = run_main("validate", "sink.json", *words, "--input-format", input_format, input=given, cwd=tmp_path)
        assert ran.returncode == 2 and "tar archive, not records" in ran.err, ran.err


def test_a_body_posted_to_serve_that_is_an_archive_is_its_invalid_body_not_an_input_error() -> None:
    """What is no whole input is never refused as an archive: a request body that is one is the endpoint's 400."""
    from mapper.endpoint import ServiceError
    from mapper.store import Store

    store = Store(":memory:")
    try:
        name = store.create_sink(json.loads(SINK.read_bytes())).id
        for body in (_tar_bytes({"r.ndjson": RECORDS.read_bytes()}), b"PK\x03\x04" + RECORDS.read_bytes()):
            with pytest.raises(ServiceError, match="^400 InvalidBody: the request body is not valid JSON"):
                store.ingest(name, body)
    finally:
        store.close()


# ---------------------------------------------------------------------------------------
# 2. a ZIP on standard input: refused before it is read, with the command that reads it


_COMMANDS = (["validate", "sink.json", "-"], ["infer", "-"], ["bench", "sink.json", "-", "--repeat", "1"], ["send", "sink.json", "-", "--dry-run"])


@pytest.mark.parametrize("command", _COMMANDS, ids=[c[0] for c in _COMMANDS])
def test_a_zip_on_standard_input_is_refused_with_a_command_that_works_pasted(tmp_path: Path, command: list[str]) -> None:
    """``cat r.zip | mapper validate sink.json -`` was read as records (the binary note's "ZIP archive" after them):
    refused as a named ZIP is; unzip reads no pipe, so the command writes it to a file first, never over one."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    text = _zip(tmp_path / "r.zip")
    (tmp_path / "records.zip").write_bytes(b"the user's")
    ran = run_main(*command, input=(tmp_path / "r.zip").read_bytes(), cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    assert "standard input is a ZIP archive, not records" in ran.err, ran.err
    said = ran.err.strip().rsplit("e.g. ", 1)[1]
    assert said == f"... > records-2.zip && unzip -p records-2.zip | mapper {' '.join(command)}", said
    assert not (tmp_path / "records-2.zip").exists()
    if shutil.which("unzip") is not None:  # (the source pasted, "..." what was piped: cat r.zip)
        assert _shell(said.split(" | mapper ")[0].replace("...", "cat r.zip"), tmp_path) == text


def test_a_zip_redirected_to_standard_input_is_named_in_the_command(tmp_path: Path) -> None:
    """``mapper validate sink.json - < r.zip``: the file standard input reads is named, as unzip needs a file."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    _zip(tmp_path / "r.zip")
    with open(tmp_path / "r.zip", "rb") as stdin:
        ran = subprocess.run([sys.executable, "-m", "mapper", "validate", "sink.json", "-"], stdin=stdin, capture_output=True, cwd=tmp_path, check=False)
    err = ran.stderr.decode()
    assert ran.returncode == 2, err
    assert err.strip().endswith(
        "standard input is a ZIP archive, not records: mapper reads NDJSON, a JSON array or a request body, never the files it holds; give their text, e.g. unzip -p r.zip | mapper validate sink.json -"
    ), err


def test_a_zip_stream_given_to_the_api_is_an_input_error(tmp_path: Path) -> None:
    _zip(tmp_path / "r.zip")
    compiled = mapper.compile_sink(SINK.read_bytes())
    with pytest.raises(mapper.InputError, match="^the input is a ZIP archive, not records"):
        compiled.map(io.BytesIO((tmp_path / "r.zip").read_bytes()))


# ---------------------------------------------------------------------------------------
# 3. an old v7 tar archive, told without taking any JSON text for one


def test_a_v7_tar_archive_of_records_is_refused(tmp_path: Path) -> None:
    """No ``ustar`` magic: its headers were read as records (PARTIAL, invalid_json with NUL bytes)."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    archive = _v7({"r.ndjson": RECORDS.read_bytes()})
    with tarfile.open(fileobj=io.BytesIO(archive)) as read:  # (a tar archive, as tarfile reads one)
        assert read.getnames() == ["r.ndjson"]
    (tmp_path / "old.tar").write_bytes(archive)
    ran = run_main("validate", "sink.json", "old.tar", cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    assert ran.err.strip().endswith(
        "old.tar is a tar archive, not records: mapper reads NDJSON, a JSON array or a request body, never the files it holds; give their text, e.g. tar -xOf old.tar | mapper validate sink.json -"
    )
    if shutil.which("tar") is not None:
        assert _shell("tar -xOf old.tar", tmp_path) == RECORDS.read_bytes()


def test_json_text_laid_out_as_a_v7_header_is_records(tmp_path: Path) -> None:
    """A line whose first 512 bytes have a v7 header's checksum right and octal mode, size and time fields (where a
    header has them): no NUL byte, which no JSON text holds and every tar header does, so it is records."""
    line = bytearray(json.dumps({"id": "x" * 600}).encode())
    for at, field in ((100, b"0000644 "), (124, b"00000001734 "), (136, b"15305311160 "), (156, b"0")):
        line[at : at + len(field)] = field
    line[148:156] = b" " * 8
    line[148:156] = b"%06o  " % sum(line[:512])
    assert int(line[148:156], 8) == sum(line[:148]) + 8 * 32 + sum(line[156:512])  # (its checksum right)
    json.loads(line)
    assert not tar_header(bytes(line[:512]))
    (tmp_path / "r.ndjson").write_bytes(bytes(line) + b"\n" + RECORDS.read_bytes())
    ran = run_main("infer", "r.ndjson", cwd=tmp_path)
    assert ran.returncode == 0 and "archive" not in ran.err, ran.err


# ---------------------------------------------------------------------------------------
# 4. a plain tar archive given as SINK is named, as a compressed one is


@pytest.mark.parametrize("old", [False, True], ids=["ustar", "v7"])
def test_a_tar_archive_given_as_sink_is_named_with_the_command_that_takes_its_file_out(tmp_path: Path, old: bool) -> None:
    """It was "sink file s.tar is not valid JSON: Expecting value at line 1 column 1" (a .tar.gz was named)."""
    files = {"conf/air.json": SINK.read_bytes()}
    (tmp_path / "s.tar").write_bytes(_v7(files) if old else _tar_bytes(files))
    ran = run_main("check", "s.tar", cwd=tmp_path)
    assert ran.returncode == 2, ran.out
    assert (
        "sink file s.tar is a tar archive, not JSON text: a sink definition is a JSON document, the POST /v1/sinks body "
        "(unpack it first: tar -xOf s.tar conf/air.json > air.json (tar -tf s.tar lists the files it holds), then give air.json)"
    ) in ran.out, ran.out
    if shutil.which("tar") is not None:  # (what it says, done)
        (tmp_path / "air.json").write_bytes(_shell("tar -xOf s.tar conf/air.json", tmp_path))
        assert run_main("check", "air.json", cwd=tmp_path).returncode == 0


# ---------------------------------------------------------------------------------------
# 5. a compressed ZIP given as RECORDS is refused as the others are


def test_a_gzip_compressed_zip_of_records_is_refused_with_a_command_that_works_pasted(tmp_path: Path) -> None:
    """``x.zip.gz`` was read as records (the binary note after them): refused, unpacked first to a file unzip reads, never over one."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    text = _zip(tmp_path / "x.zip")  # (there: the command writes x-2.zip)
    (tmp_path / "x.zip.gz").write_bytes(gzip.compress((tmp_path / "x.zip").read_bytes()))
    ran = run_main("validate", "sink.json", "x.zip.gz", cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    said = ran.err.strip().rsplit("e.g. ", 1)[1]
    assert "x.zip.gz is a gzip-compressed ZIP archive, not records" in ran.err, ran.err
    assert said == "gzip -dc x.zip.gz > x-2.zip && unzip -p x-2.zip | mapper validate sink.json -", said
    if shutil.which("unzip") is not None and shutil.which("gzip") is not None:
        assert _shell(said.split(" | mapper ")[0], tmp_path) == text
        assert run_main("validate", "sink.json", "-", input=text, cwd=tmp_path).returncode == 0


# ---------------------------------------------------------------------------------------
# 6. serve --db: a compressed name beside its database, and a name that is an ending alone


def test_serve_db_named_compressed_beside_its_database_is_told_that_one(tmp_path: Path) -> None:
    """``--db s3.db.gz`` with s3.db there was told ``--db s3-2.db`` alone: a new database, where the user meant s3.db."""
    (tmp_path / "s3.db").write_bytes(b"")
    ran = run_main("serve", "--db", "s3.db.gz", "nosuch.json", cwd=tmp_path, timeout=20)
    assert ran.returncode == 2, ran.err
    assert ran.err.strip().endswith("give --db s3.db, the file there without .gz (the database meant, most likely), or --db s3-2.db for a new one"), ran.err
    assert sorted(os.listdir(tmp_path)) == ["s3.db"]


@pytest.mark.parametrize(("given", "instead"), [(".gz", "serve.db"), (".tar.gz", "serve.db"), ("sub/.db", "sub/serve.db")])
def test_serve_db_that_is_an_ending_alone_is_refused(tmp_path: Path, given: str, instead: str) -> None:
    """``--db .gz`` made a (hidden) database named .gz."""
    (tmp_path / "sub").mkdir()
    ran = run_main("serve", "--db", given, "nosuch.json", cwd=tmp_path, timeout=20)
    assert ran.returncode == 2, ran.err
    assert f"mapper serve: --db {given} is a file ending alone, no name: serve's database is a SQLite file: give --db {instead} for a new one" in ran.err, (
        ran.err
    )
    assert not (tmp_path / given).exists()
