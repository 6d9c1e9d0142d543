"""Records inputs that are archives (session inputs59): each test failed before its fix."""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_inproc import run_main

import mapper

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"


def _tar(path: Path, mode: str) -> bytes:
    """A tar archive at ``path`` (``mode``: ``w``, ``w:gz``, ...) of the example records cut in two files; their text, as ``tar -xO`` gives it."""
    lines = RECORDS.read_bytes().splitlines(keepends=True)
    halves = [b"".join(lines[: len(lines) // 2]), b"".join(lines[len(lines) // 2 :])]
    with tarfile.open(path, mode) as archive:
        for i, half in enumerate(halves):
            info = tarfile.TarInfo(f"part{i}.ndjson")
            info.size = len(half)
            archive.addfile(info, io.BytesIO(half))
    return b"".join(halves)


def _pasted(err: str) -> tuple[str, list[str]]:
    """The command a refusal gives after ``e.g.``: what it pipes in, and the mapper command's words."""
    said = err.strip().rsplit("e.g. ", 1)[1]
    source, command = said.split(" | ")
    return source, shlex.split(command)


_COMMANDS = {
    "validate": ["validate", "sink.json", "{}"],
    "map": ["map", "sink.json", "{}", "-o", "out.npz"],
    "infer": ["infer", "{}"],
    "bench": ["bench", "sink.json", "{}", "--repeat", "1"],
    "send": ["send", "sink.json", "{}", "--dry-run"],
}


@pytest.mark.parametrize("command", list(_COMMANDS))
@pytest.mark.parametrize(("name", "mode"), [("recs.tar.gz", "w:gz"), ("recs.tar", "w"), ("recs.tbz", "w:bz2"), ("recs.tar.xz", "w:xz")])
def test_a_tar_archive_of_records_is_refused_with_a_command_that_works(tmp_path: Path, command: str, name: str, mode: str) -> None:
    """It was read as records: its headers refused, NUL bytes and all, and a CSV note on a header of ``\\u0000``s."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    text = _tar(tmp_path / name, mode)
    words = [w.format(name) for w in _COMMANDS[command]]
    ran = run_main(*words, cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    packed = {"w": "a ", "w:gz": "a gzip-compressed ", "w:bz2": "a bzip2-compressed ", "w:xz": "an xz-compressed "}[mode]
    assert f"{name} is {packed}tar archive, not records" in ran.err
    assert "\\u0000" not in ran.err and "CSV" not in ran.err
    source, again = _pasted(ran.err)
    assert source == f"tar -xOf {name}"
    assert again == ["mapper", *[w if w != name else "-" for w in words]]
    pasted = run_main(*again[1:], input=text, cwd=tmp_path)
    assert pasted.returncode == 0, pasted.err


def test_archives_among_several_inputs_are_each_read_by_process_substitution(tmp_path: Path) -> None:
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    _tar(tmp_path / "a.tar", "w")
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as archive:
        archive.writestr("b.ndjson", RECORDS.read_bytes())
    ran = run_main("validate", "sink.json", "a.tar", "-", "b.zip", input=RECORDS.read_bytes(), cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    assert "a.tar is a tar archive and b.zip is a ZIP archive, not records" in ran.err
    assert ran.err.strip().endswith("e.g. mapper validate sink.json <(tar -xOf a.tar) - <(unzip -p b.zip)")


def test_an_archive_named_twice_is_read_twice_by_process_substitution(tmp_path: Path) -> None:
    """It was told ``tar -xOf r.tar | mapper validate sink.json - -``: standard input named twice, refused."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    _tar(tmp_path / "r.tar", "w")
    ran = run_main("validate", "sink.json", "r.tar", "r.tar", cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    assert ran.err.strip().endswith("e.g. mapper validate sink.json <(tar -xOf r.tar) <(tar -xOf r.tar)"), ran.err


def test_a_zip_of_records_and_a_npz_are_refused_as_what_they_are(tmp_path: Path) -> None:
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    with zipfile.ZipFile(tmp_path / "recs.zip", "w") as archive:
        archive.writestr("r.ndjson", RECORDS.read_bytes())
    ran = run_main("validate", "sink.json", "recs.zip", cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    assert "recs.zip is a ZIP archive, not records" in ran.err
    assert _pasted(ran.err) == ("unzip -p recs.zip", ["mapper", "validate", "sink.json", "-"])
    np.savez(tmp_path / "out.npz", a=np.arange(3))
    ran = run_main("validate", "sink.json", "out.npz", cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    assert "out.npz is a .npz file (as mapper map -o out.npz writes: mapper.read_batch reads it back), not records" in ran.err
    assert "e.g." not in ran.err


@pytest.mark.parametrize(
    ("mode", "what", "option"),
    [
        ("w", "a tar archive", "-xOf"),
        ("w:gz", "a gzip-compressed tar archive", "-xzOf"),
        ("w:bz2", "a bzip2-compressed tar archive", "-xjOf"),
        ("w:xz", "an xz-compressed tar archive", "-xJOf"),
    ],
)
def test_a_tar_archive_on_standard_input_is_refused(tmp_path: Path, mode: str, what: str, option: str) -> None:
    """A compressed one was said "a tar archive" and told ``tar -xOf -``, which GNU tar refuses for a compressed pipe
    ("Archive is compressed. Use -z option"): its compression said, and the option that reads it (refused before it is
    read, session inputs60, with the command given whole, as a file's)."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    text = _tar(tmp_path / "r.tar", mode)
    archive = (tmp_path / "r.tar").read_bytes()
    commands = (["validate", "sink.json", "-"], ["bench", "sink.json", "-", "--repeat", "1"], ["infer", "-"], ["send", "sink.json", "-", "--dry-run"])
    for command in commands:
        ran = run_main(*command, input=archive, cwd=tmp_path)
        assert ran.returncode == 2, ran.err
        assert f"standard input is {what}, not records" in ran.err
        assert ran.err.strip().endswith(f"e.g. ... | tar {option} - | mapper {' '.join(command)}"), ran.err
    if shutil.which("tar") is not None:  # (the option given reads it from a pipe: GNU tar's, bsdtar's)
        unpacked = subprocess.run(["tar", option, "-"], input=archive, capture_output=True, check=False)
        assert (unpacked.returncode, unpacked.stdout) == (0, text), unpacked.stderr


def test_a_tar_archive_given_to_the_api_is_an_input_error(tmp_path: Path) -> None:
    _tar(tmp_path / "r.tar.gz", "w:gz")
    compiled = mapper.compile_sink(SINK.read_bytes())
    with pytest.raises(mapper.InputError, match=r"r\.tar\.gz is a gzip-compressed tar archive, not records"):
        compiled.map(str(tmp_path / "r.tar.gz"))
    _tar(tmp_path / "r.tar", "w")
    with pytest.raises(mapper.InputError, match="the input is a tar archive, not records"):
        compiled.map((tmp_path / "r.tar").read_bytes())


def test_text_saying_ustar_where_tar_has_its_magic_is_read_as_records(tmp_path: Path) -> None:
    """A tar header is told by its checksum too: JSON text with ``ustar`` at byte 257 is records."""
    record = {"id": "x" * 249, "t": "mustard"}
    line = json.dumps(record, separators=(",", ":")).encode()
    at = line.index(b"ustar")
    line = json.dumps({"id": "x" * (249 + 257 - at), "t": "mustard"}, separators=(",", ":")).encode() + b"\n"
    assert line[257:262] == b"ustar"
    path = tmp_path / "r.ndjson"
    path.write_bytes(line * 3)
    assert mapper.errors.archive_of(line * 3) is None
    ran = run_main("infer", "r.ndjson", cwd=tmp_path)
    assert ran.returncode == 0, ran.err


# ---------------------------------------------------------------------------------------
# the recursive-descent hint's example: valid, its placeholder keys none of the path's own


@pytest.mark.parametrize(
    ("given", "what", "target", "example"),
    [
        ("$.a..b..c", "path", "c", "a.d.e.b.f.g.c"),  # (was a.a.b.b..c: a `..` left in it, refused, and a, b the user's keys too)
        ("$.a..b", "path", "b", "a.c.d.b"),  # (was a.a.b.b: which a and b are the placeholders?)
        ("$..a.b..c[1]", "path", "c", "d.e.a.b.f.g.c[1]"),
        ("$.a..b..c", "records path", "the array c", "a.d.e.b.f.g.c"),  # (was "down to the array b, as in a.a.b.b")
        ("$..x", "path", "x", "a.b.x"),
    ],
)
def test_a_descent_hints_example_parses_and_names_no_key_of_the_path_as_a_placeholder(given: str, what: str, target: str, example: str) -> None:
    from mapper.paths import descent_hint, parse_path

    hint = descent_hint(given, what)
    assert f"down to {target}, as in {example}" in hint and hint.endswith(example), hint
    parse_path(example)  # (what it shows is a path)
    written = set(given.replace("$", "").replace("[1]", "").replace(".", " ").split())
    placeholders = [k for k in example.replace("[1]", "").split(".") if k not in written]
    assert len(placeholders) == 2 * given.count(".."), (placeholders, example)


def test_a_descent_whose_example_cannot_be_written_is_told_without_one() -> None:
    """A ``..`` inside a quoted key after the descent: no example holding it (a path refused) is shown."""
    from mapper.paths import descent_hint

    hint = descent_hint('$..a."x..y"')
    assert hint.startswith(".. is JSONPath's recursive descent (a at any depth)"), hint
    assert "as in" not in hint, hint


def test_a_records_path_of_two_descents_is_told_no_array_of_its_first_key_to_write(tmp_path: Path) -> None:
    """``$.a..b..c`` means the arrays at ``c``: "holds one array at a key b: write 'a.x.b'" named the wrong array."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    (tmp_path / "doc.json").write_text(json.dumps({"a": {"x": {"b": [{"c": [{"hex": "abc"}]}]}}}))
    ran = run_main("validate", "sink.json", "doc.json", "--records-path", "$.a..b..c", cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    assert "down to the array c, as in a.d.e.b.f.g.c" in ran.err
    assert "write" not in ran.err.split("as in a.d.e.b.f.g.c", 1)[1], ran.err


# ---------------------------------------------------------------------------------------
# Batcher.add_many: a released memoryview among the records is said by its place in the call


@pytest.mark.parametrize("given", [list, iter])
def test_add_many_names_the_record_given_as_a_released_memoryview(given: type) -> None:
    batcher = mapper.Batcher(mapper.compile_sink(SINK.read_bytes()))
    gone = memoryview(RECORDS.read_bytes().splitlines()[0])
    gone.release()
    first = RECORDS.read_bytes().splitlines()[1]
    with pytest.raises(mapper.InputError) as caught:  # (the InputError docs/python-api.md promises)
        batcher.add_many(given([first, first, gone, first]))
    assert str(caught.value).startswith("the text of add_many's record 2 (its place among the records given, from 0) came as a released memoryview"), (
        caught.value
    )
    assert batcher.added == 0  # (none taken)
    with pytest.raises(mapper.InputError, match="^a record's text came as a released memoryview"):  # (add: the one record)
        batcher.add(gone)


def test_a_compressed_tar_archive_through_a_pipe_named_is_said_compressed(tmp_path: Path) -> None:
    """``<(gzip < r.tar)`` is unpacked as a file is, by its name (/dev/fd/63): it too was told ``tar -xOf -``, which GNU tar refuses."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    _tar(tmp_path / "r.tar.gz", "w:gz")
    read, write = os.pipe()
    try:
        os.write(write, (tmp_path / "r.tar.gz").read_bytes())  # (a few hundred bytes: the pipe holds them)
        os.close(write)
        ran = run_main("validate", "sink.json", f"/dev/fd/{read}", cwd=tmp_path)
    finally:
        os.close(read)
    assert ran.returncode == 2, ran.err
    assert f"/dev/fd/{read} is a gzip-compressed tar archive, not records" in ran.err
    assert ran.err.endswith("give their text, e.g. ... | tar -xzOf - | mapper validate sink.json -\n"), ran.err  # (the command line given: test_cli61)
