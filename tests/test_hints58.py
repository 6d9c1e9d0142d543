"""Hints name what works when pasted (session hints58): each test failed before its fix."""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

import pytest
import sinks
from cli_inproc import run_main

import mapper
from mapper.errors import OptionError, PathSyntaxError
from mapper.paths import parse_path, records_path_keys

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"
DATA = Path("/work/shared/data")
PIAWARE = DATA / "adsb" / "aircraft-piaware-2023-01-15.json"
TWITTER = DATA / "json-corpora" / "twitter.json"

#: What a hint says to write: ``write 'X'`` or ``write it 'X'`` (a Python string literal), or ``'X' reads every element``.
_WRITE = re.compile(r"write(?: it)? ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|('(?:[^'\\]|\\.)*') reads every element")


def _told(said: str) -> str:
    match = _WRITE.search(said)
    assert match is not None, said
    told = ast.literal_eval(match[1] or match[2])
    assert isinstance(told, str)
    return told


# ---------------------------------------------------------------------------------------
# 1. a records path with white space at its start or end


@pytest.mark.parametrize(
    ("given", "meant", "where"),
    [
        (" $.items[*]", "items", "the space at its start is part of the records path given"),
        ("$.items[*]  ", "items", ""),  # (told as before: the trailing spaces are dropped by the selector's pattern)
        ("  $.aircraft", "aircraft", "the spaces at its start are part of the records path given"),
        ("\t$.a.b[0]", "a.b", "the white space at its start is part of the records path given"),
        (" $['my feed'][*]", '"my feed"', "the space at its start"),
    ],
)
def test_a_records_path_with_white_space_around_it_is_told_the_path_without_it(given: str, meant: str, where: str) -> None:
    """`` $.items[*]`` (a shell's quotes keep the space) was "Invalid jmespath expression at character 2" alone."""
    with pytest.raises(OptionError) as caught:
        records_path_keys(given)
    said = str(caught.value)
    assert where in said, said
    assert _told(said) == meant and records_path_keys(meant), said


def test_the_command_line_tells_a_records_path_with_a_space_before_it_what_to_give(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text(json.dumps({"aircraft": [json.loads(line) for line in RECORDS.read_text().splitlines()[:2]]}))
    ran = run_main("validate", SINK, "d.json", "--records-path", " $.aircraft[*]", cwd=tmp_path)
    assert ran.returncode == 2 and "the space at its start is part of the records path given" in ran.err, ran.err
    assert run_main("validate", SINK, "d.json", "--records-path", _told(ran.err), cwd=tmp_path).returncode == 0


def test_a_column_path_with_a_space_before_its_dollar_is_told_the_path_from_the_first_key() -> None:
    """A column's `` $.data.x`` had no hint (``$.data.x`` is told 'data.x')."""
    with pytest.raises(PathSyntaxError) as caught:
        parse_path(" $.data.x ")
    assert _told(caught.value.hint) == "data.x", caught.value.hint


# ---------------------------------------------------------------------------------------
# 2. a key holding a space, written in dot notation inside an expression


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("$.my key.b[0]", '"my key".b[0]'),
        ("my key.b[0]", '"my key".b[0]'),
        ("a.b c[0]", 'a."b c"[0]'),
        ("a[0].my key", 'a[0]."my key"'),
        ("$.my key[*].x", '"my key"[*].x'),
        # JSONPath's keys in brackets (a column path: a records path was told so already)
        ('$["my key"]', '"my key"'),
        ("$['a'].b[0]", "a.b[0]"),
        ('$.a["b c"][0]', 'a."b c"[0]'),
    ],
)
def test_a_column_path_is_told_the_quoted_form_that_parses(given: str, meant: str) -> None:
    """``$.my key.b[0]`` was told only that a path starts at the record's first key, ``my key.b[0]`` nothing:
    the key with the space, in double quotes, is written, and what is written parses, unwarned."""
    with pytest.raises(PathSyntaxError) as caught:
        parse_path(given)
    told = _told(caught.value.hint)
    assert told == meant, caught.value.hint
    parse_path(told)
    doc = sinks.schema(sinks.column("k", "string"), sinks.column("v", "string", path=told), primary_key_fields=["k"])
    assert [p.code for p in mapper.check_sink(doc).problems if p.severity != "note" and p.code != "jmespath"] == [], told


def test_check_tells_a_sink_with_a_spaced_key_in_an_expression_the_path_to_write(tmp_path: Path) -> None:
    definition = [{"name": "k", "path": ["k"], "type": "string"}, {"name": "v", "path": "$.my key.b[0]", "type": "string"}]
    (tmp_path / "s.json").write_text(json.dumps({"primary_key_fields": ["k"], "allow_missing_fields": True, "definition": definition}))
    ran = run_main("check", "s.json", cwd=tmp_path)
    assert ran.returncode == 2 and "write '\"my key\".b[0]'" in ran.out, ran.out


# ---------------------------------------------------------------------------------------
# 3. serve --db of a compressed database: the file the hint unpacks it to is a database's name, never one there


def _database(path: Path) -> bytes:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "there", "out"),
    [
        ("serve.db.gz", ["serve.db"], "serve-2.db"),  # (was serve.db.gz.db)
        ("serve.db.gz", ["serve.db", "serve-2.db"], "serve-3.db"),
        ("serve.db.gz", [], "serve.db"),
        ("serve.sqlite.gz", ["serve.sqlite"], "serve-2.sqlite"),  # (was serve.sqlite.gz.db)
        ("serve.db.bak.gz", [], "serve.db"),  # (was serve.db.bak)
        ("serve.db.bak.gz", ["serve.db"], "serve-2.db"),
        ("serve.gz", [], "serve.db"),  # (was serve: no ending)
        ("backup", [], "backup.db"),
        ("x.db.bak", ["x.db"], "x-2.db"),  # (gzip data by its bytes, no .gz: was x.db.bak.db)
        ("x.db", [], "x-2.db"),  # (was x.db.db)
    ],
)
def test_a_compressed_databases_hint_names_a_database_file_beside_it(tmp_path: Path, name: str, there: list[str], out: str) -> None:
    """``serve --db serve.db.gz`` with serve.db there was told ``gzip -dc serve.db.gz > serve.db.gz.db``: a database named
    as compressed data. The file is named as a database, its own database ending kept, ``-2`` before it while one is there."""
    import gzip

    db = _database(tmp_path / "made.db")
    (tmp_path / name).write_bytes(gzip.compress(db))
    for taken in there:
        (tmp_path / taken).write_bytes(db)
    ran = run_main("serve", "--db", name, "--query", "x", cwd=tmp_path)
    assert ran.returncode == 2 and f"(it is gzip-compressed data: gzip -dc {name} > {out}, then give {out})" in ran.err, ran.err
    assert not (tmp_path / out).exists()  # (never a file there)
    (tmp_path / out).write_bytes(db)  # what the hint says, done: serve reads it (another program's database, said so)
    ran = run_main("serve", "--db", out, "--query", "x", cwd=tmp_path)
    assert ran.returncode == 2 and "holds no sinks of mapper serve" in ran.err, ran.err


@pytest.mark.parametrize(
    ("name", "empty", "there", "ending", "out"),
    [
        ("s3.db.gz", False, [], ".gz", "s3.db"),
        ("s3.db.gz", True, [], ".gz", "s3.db"),  # (an empty file: the store makes a new database in it)
        ("s3.db.tar.gz", False, ["s3.db"], ".tar.gz", "s3-2.db"),
        ("x.sqlite.zst", False, [], ".zst", "x.sqlite"),
        ("backup.zip", False, [], ".zip", "backup.db"),
    ],
)
def test_serve_makes_no_new_database_under_a_compressed_files_name(tmp_path: Path, name: str, empty: bool, there: list[str], ending: str, out: str) -> None:
    """``serve --db s3.db.gz``, no such file there, made a SQLite database named s3.db.gz (which the hints then took
    for gzip data by its name): refused, a usage error naming the file, why, and the name to give, and nothing made.
    (A SINK file that is not there: the run, refused or not, ends without serving.)"""
    if empty:
        (tmp_path / name).touch()
    for taken in there:
        (tmp_path / taken).write_bytes(b"")
    ran = run_main("serve", "--db", name, "nosuch.json", cwd=tmp_path, timeout=20)
    said = f"mapper serve: --db {name} names no database yet, and none is made under a compressed file's or an archive's name ({ending})"
    assert ran.returncode == 2 and said in ran.err and f" --db {out} for a new one" in ran.err, ran.err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*there, *([name] if empty else [])])
    if empty:
        assert (tmp_path / name).stat().st_size == 0  # (no database made in it)


def test_serve_makes_a_new_database_under_a_name_of_no_compression(tmp_path: Path) -> None:
    # (a compression's ending inside the name is no compression: the start goes through and makes the database; every
    # refused start makes none, a port another program holds included, so this one starts, then stops)
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "serve", "--db", "s3.gz.db", "--port", "0", "-q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert "listening on http://127.0.0.1:" in line, line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0 and b"names no database yet" not in err, err
    assert (tmp_path / "s3.gz.db").is_file()


def test_a_compressed_sink_files_hint_names_a_json_file_not_one_ending_gz_json(tmp_path: Path) -> None:
    """``mapper check sink.json.gz`` with sink.json there said ``> sink.json.gz.json``; ``other.gz``, ``> other``."""
    import gzip

    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    for name, out in (("sink.json.gz", "sink-2.json"), ("other.gz", "other.json")):
        (tmp_path / name).write_bytes(gzip.compress(SINK.read_bytes()))
        ran = run_main("check", name, cwd=tmp_path)
        assert ran.returncode == 2 and f"(unpack it first: gzip -dc {name} > {out}, then give {out})" in ran.out, ran.out


# ---------------------------------------------------------------------------------------
# 4. a value too long to give whole: its middle left out, saying so outside its quotes, the command kept


def test_a_long_records_path_a_hint_names_is_cut_in_the_middle_saying_so() -> None:
    """``$.<230 k>.b[0]`` was told ``'kkk...(232 characters)' reads every element``: cut inside the quotes (a path
    that reads as the one to write, its ``.b`` gone). Now its start and end, each quoted, and what was left out between."""
    long = "k" * 230
    with pytest.raises(OptionError) as caught:
        records_path_keys(f"$.{long}.b[0]")
    said = str(caught.value)
    assert f"'{'k' * 100}'(...32 of 232 characters left out...)'{'k' * 98}.b' reads every element" in said, said
    assert "...(232 characters)" not in said, said
    told = said[said.index("'" + "k" * 100) : said.index(" reads every element")]
    with pytest.raises(SyntaxError):  # (pasted into Python, refused: not taken for a shorter path)
        ast.literal_eval(told)


def test_a_long_column_path_told_from_its_root_keeps_its_end() -> None:
    long = "k" * 300
    with pytest.raises(PathSyntaxError) as caught:
        parse_path(f"$.{long}[0].x")
    assert caught.value.hint.endswith(f": write '{'k' * 100}'(...105 of 305 characters left out...)'{'k' * 95}[0].x'"), caught.value.hint


def test_the_readers_hint_on_a_long_records_path_keeps_the_command(tmp_path: Path) -> None:
    """A path to the records longer than 200 characters was told "give the first one's path as --records-path (records_path=)":
    no path. The command is given, the path's middle left out, saying so (a shell refuses the ``(`` pasted)."""
    import shlex

    long = "k" * 230
    (tmp_path / "d.json").write_text(json.dumps({long: {"x": [{"a": 1}, {"a": 2}]}}))
    ran = run_main("validate", SINK, "d.json", cwd=tmp_path)
    cut = f"{'k' * 100}(...32 of 232 characters left out...){'k' * 98}.x"
    assert f"if those are the records, use --records-path {cut} (records_path='{'k' * 100}'(...32 of" in ran.out, ran.out
    assert "(" in shlex.split(cut, posix=True)[0] and "(" in list(shlex.shlex(cut, punctuation_chars=True))  # (no one word to a shell)
    short = "k" * 190  # (a path of 200 characters: whole)
    (tmp_path / "d.json").write_text(json.dumps({short: {"x": [{"a": 1}]}}))
    ran = run_main("validate", SINK, "d.json", cwd=tmp_path)
    assert f"use --records-path {short}.x (records_path='{short}.x')" in ran.out, ran.out


# ---------------------------------------------------------------------------------------
# 5. a producer's usual mistakes, each told what works when pasted


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("items[?n > 1]", "items[?n > `1`]"),
        ("items[?n >= -1.5].id", "items[?n >= `-1.5`].id"),
        ("items[?1 < n]", "items[?`1` < n]"),
        ("items[?kind == '1' && n > 2]", "items[?kind == '1' && n > `2`]"),
        ("$.items[?n > 1].id", "items[?n > `1`].id"),
        ("my items[?n > 1]", '"my items"[?n > `1`]'),
    ],
)
def test_a_filter_comparing_a_bare_number_is_told_the_literal_in_backticks(given: str, meant: str) -> None:
    """JSONPath's ``[?n > 1]`` was "invalid token" alone: JMESPath writes a number as a literal, in backticks."""
    with pytest.raises(PathSyntaxError) as caught:
        parse_path(given)
    told = _told(caught.value.hint)
    assert told == meant, caught.value.hint
    assert parse_path(told).expression == told
    import jmespath

    assert jmespath.search(told, {"items": [{"n": 3, "id": 1, "kind": "1"}], "my items": [{"n": 3}]})  # (it finds what was meant)


def test_records_and_sink_given_the_other_way_round_are_told_the_command_swapped(tmp_path: Path) -> None:
    """``mapper validate r.ndjson sink.json`` said "the sink comes first, then the records (mapper validate SINK RECORDS)":
    the command with the two swapped, its options kept, is given, and it runs."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    (tmp_path / "my r.ndjson").write_bytes(RECORDS.read_bytes())
    for command in (("validate",), ("map", "-o", "o u.npz")):
        ran = run_main(command[0], "my r.ndjson", "sink.json", *command[1:], "--allow-missing-fields", cwd=tmp_path)
        swapped = f"mapper {command[0]} sink.json 'my r.ndjson'" + "".join(f" {shlex_quote(w)}" for w in command[1:]) + " --allow-missing-fields"
        assert ran.returncode == 2 and f"mapper: sink.json is a sink definition: the sink comes first, then the records ({swapped})\n" in ran.err, ran.err
        import shlex

        again = run_main(*shlex.split(swapped)[1:], cwd=tmp_path)
        assert again.returncode == 0, again.err
    ran = run_main("validate", "my r.ndjson", "my r.ndjson", cwd=tmp_path)  # (no records file a sink: no such line)
    assert ran.returncode == 2 and "is a sink definition" not in ran.err, ran.err


def shlex_quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


_needs_data = pytest.mark.skipif(not PIAWARE.is_file() or not TWITTER.is_file(), reason="the shared data (/work/shared/data) is absent")


@_needs_data
@pytest.mark.parametrize(
    ("data", "given"),
    [
        (PIAWARE, " $.aircraft[*]"),
        (PIAWARE, "$.aircraft[*]"),
        (PIAWARE, "$['aircraft'][0]"),
        (PIAWARE, "aircraft[*] "),
        (TWITTER, "$.statuses[*]"),
        (TWITTER, "\t$.statuses"),
        (TWITTER, "$.statuses[0]"),
    ],
)
def test_a_records_path_hint_on_real_feeds_works_when_pasted(tmp_path: Path, data: Path, given: str) -> None:
    """Each refused records path on a real feed (dump1090's piaware snapshot, Twitter's search answer) is told a
    records path, and validate given that one reads the feed's records (none fails no_records)."""
    ran = run_main("validate", SINK, data, "--records-path", given, "--allow-missing-fields", cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    told = _told(ran.err)
    again = run_main("validate", SINK, data, "--records-path", told, "--allow-missing-fields", "--report", "json", cwd=tmp_path)
    report = json.loads(again.out)
    assert report["records"] >= 100 and "no_records" not in json.dumps(report.get("error_counts", {})), again.out[:500]


def test_a_sink_file_of_column_entries_one_a_line_is_told_the_command_that_makes_the_array(tmp_path: Path) -> None:
    """A definition written as NDJSON, an entry a line, was told "it looks like NDJSON records ...: the sink comes first,
    then the records (mapper validate SINK RECORDS)": it is the sink. Told the jq that makes the array, and that runs
    (jq, where installed); sinks one a line are told to give one."""
    import shutil
    import subprocess

    entries = json.loads(SINK.read_text())["schema"]["definition"]
    (tmp_path / "entries.ndjson").write_text("".join(json.dumps(e) + "\n" for e in entries))
    ran = run_main("check", "entries.ndjson", cwd=tmp_path)
    said = "(make it one: jq -s . entries.ndjson > entries.json, then give entries.json)"
    assert ran.returncode == 2 and "it is column entries, one a line (NDJSON)" in ran.out and said in ran.out, ran.out
    assert "NDJSON records" not in ran.out, ran.out
    ran = run_main("check", "-", input=(tmp_path / "entries.ndjson").read_bytes(), cwd=tmp_path)
    assert "(make it one: ... | jq -s . > definition.json, then give definition.json)" in ran.out, ran.out
    if shutil.which("jq"):
        subprocess.run("jq -s . entries.ndjson > entries.json", shell=True, cwd=tmp_path, check=True)
        ran = run_main("check", "entries.json", "--primary-key-fields", "record_id", "--allow-missing-fields", cwd=tmp_path)
        assert ran.returncode == 0, ran.out
    (tmp_path / "sinks.ndjson").write_text(json.dumps(json.loads(SINK.read_text())) + "\n" + json.dumps(json.loads(SINK.read_text())) + "\n")
    ran = run_main("check", "sinks.ndjson", cwd=tmp_path)
    assert (
        "it holds 2 sink definitions, one a line (NDJSON): give one, a JSON document (the first: head -n 1 sinks.ndjson > sinks.json, then give sinks.json)"
        in ran.out
    )
    (tmp_path / "r.ndjson").write_bytes(RECORDS.read_bytes())  # (records: told as before)
    assert "it looks like NDJSON records" in run_main("check", "r.ndjson", cwd=tmp_path).out


def test_records_given_as_the_sink_are_told_the_infer_that_drafts_one(tmp_path: Path) -> None:
    """``mapper check aircraft.json`` (a dump1090 snapshot) said only what a definition is; NDJSON records only
    "(mapper validate SINK RECORDS)". Each is told the ``mapper infer`` that drafts a sink from them, which runs."""
    (tmp_path / "snap.json").write_text(json.dumps({"now": 1.5, "aircraft": [json.loads(line) for line in RECORDS.read_text().splitlines()]}))
    (tmp_path / "r.ndjson").write_bytes(RECORDS.read_bytes())
    for name, command in (("snap.json", "mapper infer snap.json --records-path aircraft > sink.json"), ("r.ndjson", "mapper infer r.ndjson > sink.json")):
        ran = run_main("check", name, cwd=tmp_path)
        assert ran.returncode == 2 and (f"(`{command}` drafts a sink from them)" in ran.out or f"; `{command}` drafts a sink from them" in ran.out), ran.out
        import shlex

        words = shlex.split(command)
        drafted = run_main(*words[1:-2], cwd=tmp_path)
        assert drafted.returncode == 0, drafted.err
        (tmp_path / "sink.json").write_text(drafted.out)
        assert run_main("check", "sink.json", cwd=tmp_path).returncode == 0
        (tmp_path / "sink.json").unlink()
    ran = run_main("check", "-", input=(tmp_path / "snap.json").read_bytes(), cwd=tmp_path)
    assert "(`... | mapper infer - --records-path aircraft > sink.json` drafts a sink from them)" in ran.out, ran.out
    (tmp_path / "sink.json").write_text("{}")  # (never over a file)
    assert "> sink-2.json` drafts" in run_main("check", "snap.json", cwd=tmp_path).out


@pytest.mark.parametrize(("given", "meant"), [("data['x']", "data.x"), ("data.'x'", "data.x"), ("data['my key'][0]", 'data."my key"[0]')])
def test_a_key_in_single_quotes_refused_is_told_the_key_written_as_one(given: str, meant: str) -> None:
    """``data['x']`` (JSONPath's, Python's quoting) was "Expecting: star, got: literal" alone."""
    with pytest.raises(PathSyntaxError) as caught:
        parse_path(given)
    assert "a key in single quotes is JMESPath's string, not a key" in caught.value.hint and _told(caught.value.hint) == meant, caught.value.hint
    parse_path(meant)


def test_a_key_in_single_quotes_taken_as_a_string_is_warned_with_the_path_meant() -> None:
    """``'my key'.b`` parses (the string's ``b``: null, missing, on every record) and was warned only as any JMESPath
    expression is: the warning names the path meant, which reads the record."""
    definition = [{"name": "k", "path": ["k"], "type": "string"}, {"name": "v", "path": "'my key'.b", "type": "string"}]
    doc = {"primary_key_fields": ["k"], "allow_missing_fields": True, "definition": definition}
    (said,) = [p.message for p in mapper.check_sink(doc).problems if p.code == "jmespath"]
    told = _told(said)
    assert told == '"my key".b', said
    assert parse_path(told).keys == ("my key", "b")
    definition[1]["path"] = "items[?kind == 'a'].n"  # (a string literal where one belongs: no such hint)
    (said,) = [p.message for p in mapper.check_sink(doc).problems if p.code == "jmespath"]
    assert "single quotes" not in said, said


@pytest.mark.parametrize(
    ("given", "meant"),
    [(".aircraft", "aircraft"), (".aircraft[]", "aircraft"), (".data.items[*]", "data.items"), (".statuses[0]", "statuses"), (".[]", None), (".", None)],
)
def test_a_records_path_written_as_jq_writes_it_is_told_the_one_taken(given: str, meant: str | None) -> None:
    """jq's ``.aircraft`` (a producer's other tool) was "empty key (two dots in a row, or a leading dot)" alone."""
    with pytest.raises(OptionError) as caught:
        records_path_keys(given)
    said = str(caught.value)
    assert "jq's leading dot is no part of a records path" in said, said
    if meant is None:
        assert "leave the records path out" in said, said
    else:
        assert _told(said) == meant and records_path_keys(meant), said


@pytest.mark.parametrize(("given", "meant"), [(".flight", "flight"), (".data.x", "data.x"), (".items[0].id", "items[0].id"), (".my key", '"my key"')])
def test_a_column_path_written_as_jq_writes_it_is_told_the_path_without_the_dot(given: str, meant: str) -> None:
    with pytest.raises(PathSyntaxError) as caught:
        parse_path(given)
    assert "without jq's leading dot" in caught.value.hint and _told(caught.value.hint) == meant, caught.value.hint
    parse_path(meant)


@pytest.mark.parametrize(
    ("option", "given", "column"),
    [("--id-field", "id", "record_id"), ("--primary-key-fields", "$.id", "record_id"), ("--primary-key-fields", "data.icaoId", "icao_id")],
)
def test_an_identity_field_given_as_a_path_is_told_the_column_that_reads_it(tmp_path: Path, option: str, given: str, column: str) -> None:
    """``--id-field id`` where the column reading the path ``id`` is ``record_id`` said "names no column of the
    definition" alone (``data.icaoId`` "did you mean" a name alike at best): the column is named, and it is taken."""
    entries = json.loads(SINK.read_text())["schema"]["definition"]
    (tmp_path / "entries.json").write_text(json.dumps(entries))
    (tmp_path / "r.ndjson").write_bytes(RECORDS.read_bytes())
    ran = run_main("validate", "entries.json", "r.ndjson", option, given, "--allow-missing-fields", cwd=tmp_path)
    said = f"names no column of the definition (the column {column!r} reads the path {given!r}: an identity field names a column, not a path: write {column!r})"
    assert ran.returncode == 2 and said in ran.err, ran.err
    again = run_main("validate", "entries.json", "r.ndjson", option, _told(ran.err), "--allow-missing-fields", cwd=tmp_path)
    assert "names no column" not in again.err, again.err
