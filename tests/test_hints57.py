"""Hints the CLI and the API give on wrong input name what can be run or written (session hints57):
each test failed before its fix."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cli_inproc import run_main

from mapper.errors import OptionError
from mapper.paths import records_path_keys

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"


# ---------------------------------------------------------------------------------------
# a refused records path is told a records path that is taken


#: Records paths written as JSONPath, JMESPath or mapper's messages write paths, each refused.
WRONG_RECORDS_PATHS = (
    "$.items[0]",
    "$.items[-1]",
    "items[0]",
    "$.items[*]",
    "$.$.items[*]",
    "$.$.items",
    "$.$",
    "$.items",
    "$.data.items[]",
    "items [*]",
    '$["a.b"].items[*]',
    "$['my feed'][*]",
    "$.my key",
    "$.my key[*]",
    "my key[*]",
    '$.$["x"]',
    "$.items[*].x",
    "$.items.*",
    "$..items",
    "items[*][*]",
)
#: Records paths that name the document itself: no records path is needed.
DOCUMENT_ITSELF = ("$", "$[*]", "$[]", "[*]", "[]", "$[0]", "[0]")
#: A records path a hint names: after "write", "write it" or "quote it:", or before "reads every element".
_NAMED = re.compile(r"(?:write(?: it)?|quote it:) ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|('(?:[^'\\]|\\.)*') reads every element")


def _refusal(text: str) -> str:
    with pytest.raises(OptionError) as caught:
        records_path_keys(text)
    return str(caught.value)


def test_every_records_path_a_refusal_names_is_itself_taken() -> None:
    """``$.items[0]`` was told "write 'items[0]'", ``$.$.items[*]`` "write '$.items[*]'" and ``$.$.items``
    "write it '$.items'": each refused in turn. Whatever records path a refusal names is taken."""
    import ast

    named_somewhere = 0
    for text in WRONG_RECORDS_PATHS + DOCUMENT_ITSELF:
        said = _refusal(text)
        for match in _NAMED.finditer(said):
            named = ast.literal_eval(match[1] or match[2])
            assert records_path_keys(named), (text, named, said)
            named_somewhere += 1
    assert named_somewhere >= 15  # (the pattern finds the hints: a test that found none would pass on anything)


@pytest.mark.parametrize(
    ("given", "names"),
    [
        ("$.items[0]", "'items' reads every element"),
        ("$.items[-1]", "'items' reads every element"),
        ("$.$.items[*]", "write '\"$\".items'"),
        ("$.$.items", "write it '\"$\".items'"),
        ("$.$", "write it '\"$\"'"),
        ('$["a.b"].items[*]', "write '\"a.b\".items'"),
        ("$['my feed'][*]", "write '\"my feed\"'"),
        ("$.my key", "write '\"my key\"'"),
    ],
)
def test_a_refused_records_path_is_told_the_records_path_it_means(given: str, names: str) -> None:
    said = _refusal(given)
    assert names in said, said


@pytest.mark.parametrize("given", DOCUMENT_ITSELF)
def test_a_records_path_to_the_document_itself_is_told_to_leave_it_out(given: str) -> None:
    """``$[*]`` was told "a path starts at the record's first key" and no more; ``[*]`` only that it is an expression."""
    said = _refusal(given)
    assert "leave the records path out" in said or "leave it out" in said, said
    assert "record's first key" not in said, said  # (a records path starts at the document's)


def test_the_command_line_names_the_records_path_that_is_taken(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text(
        json.dumps({"aircraft": [json.loads(line) for line in (ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[:2]]})
    )
    for command in (("validate", SINK), ("map", SINK, "-o", tmp_path / "out.npz"), ("infer",)):
        ran = run_main(*command, "d.json", "--records-path", "$.aircraft[0]", cwd=tmp_path)
        assert ran.returncode == 2 and "'aircraft' reads every element of that array as a record" in ran.err, ran.err
        assert "write 'aircraft[0]'" not in ran.err, ran.err
    assert run_main("validate", SINK, "d.json", "--records-path", "aircraft", cwd=tmp_path).returncode == 0


# ---------------------------------------------------------------------------------------
# a warning about a sink read from standard input points to a check that can be run


def test_warnings_about_a_sink_on_standard_input_point_to_a_check_fed_through_a_pipe(tmp_path: Path) -> None:
    """``mapper validate - r.ndjson < sink-with-bom.json`` said ``(see: mapper check -)``, which waits on the
    terminal's standard input (``/dev/stdin`` so too): the sink is piped to it again, as other hints on standard input say."""
    bom = b"\xef\xbb\xbf" + SINK.read_bytes()  # (a byte order mark: one warning)
    (tmp_path / "r.ndjson").write_bytes((ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes())
    for name in ("-", "/dev/stdin"):
        ran = run_main("validate", name, "r.ndjson", "--allow-missing-fields", input=bom, cwd=tmp_path)
        assert ran.returncode == 0 and f"mapper: 1 warning about {name} (see: ... | mapper check - --allow-missing-fields)" in ran.err, ran.err
        assert "see: mapper check" not in ran.err, ran.err
        said = run_main("check", "-", "--allow-missing-fields", input=bom, cwd=tmp_path)  # (what it points to says the warning)
        assert said.returncode == 0 and "warning: (document): the sink definition's text starts with a UTF-8 byte order mark" in said.out, said.out
    (tmp_path / "s.json").write_bytes(bom)  # (a file is named as before)
    ran = run_main("validate", "s.json", "r.ndjson", cwd=tmp_path)
    assert "mapper: 1 warning about s.json (see: mapper check s.json)" in ran.err, ran.err


# ---------------------------------------------------------------------------------------
# a database given where JSON was expected, from standard input: the hint's --db names a file


def _database(path: Path) -> bytes:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    return path.read_bytes()


def test_a_database_on_standard_input_is_told_to_be_saved_to_a_file_for_serve_db(tmp_path: Path) -> None:
    """``mapper validate s.json - < serve.db`` said ``mapper serve --db FILE --query SINK_ID``: no FILE was given
    (``/dev/stdin`` of a gzip-compressed one so too, where ``-`` said to unpack it). The hint writes it to a file and names that."""
    import gzip

    db = _database(tmp_path / "made.db")
    packed = gzip.compress(db)
    wanted = "(... > serve.db, then mapper serve --db serve.db --query SINK_ID prints the rows a mapper serve database holds)"
    unpacked = "(... | gzip -dc > serve.db, then mapper serve --db serve.db --query SINK_ID prints the rows a mapper serve database holds)"
    for name in ("-", "/dev/stdin"):
        for given, says in ((db, wanted), (packed, unpacked)):
            ran = run_main("validate", SINK, name, input=given, cwd=tmp_path)
            assert (
                ran.returncode == 1
                and f"note: the input is an SQLite database, not JSON text: give the records as NDJSON, a JSON array or a request body {says}" in ran.out
            ), (name, ran.out)
            assert "FILE" not in ran.out, ran.out
        checked = run_main("check", name, input=db, cwd=tmp_path)
        assert (
            checked.returncode == 2
            and f"is an SQLite database, not JSON text: a sink definition is a JSON document, the POST /v1/sinks body {wanted}" in checked.out
        ), checked.out
    (tmp_path / "serve.db").write_bytes(db)  # (never written over: the next name)
    ran = run_main("validate", SINK, "-", input=db, cwd=tmp_path)
    assert "(... > serve-2.db, then mapper serve --db serve-2.db --query SINK_ID" in ran.out, ran.out
    ran = run_main("validate", SINK, "made.db", cwd=tmp_path)  # (a file is named as before)
    assert "(mapper serve --db made.db --query SINK_ID prints the rows" in ran.out, ran.out


# ---------------------------------------------------------------------------------------
# serve --db: what was given named, another program's database checked once


def test_serve_db_on_standard_input_or_a_pipe_is_refused_naming_it(tmp_path: Path) -> None:
    """``mapper serve --db -`` made a database file named ``-``; ``--db /dev/stdin`` fed by a pipe was "unable
    to open database file": refused, naming what was given, with a file to give instead."""
    db = _database(tmp_path / "made.db")
    for name, what in (("-", "standard input"), ("/dev/stdin", "a pipe, read once")):
        for extra in (("--port", "0"), ("--query", "x")):
            ran = run_main("serve", "--db", name, *extra, input=db, cwd=tmp_path)
            assert ran.returncode == 2 and ran.err.startswith(f"mapper serve: --db {name} is {what}, which SQLite cannot open as a database"), ran.err
            assert ran.err.rstrip().endswith("... > serve.db, then give --db serve.db" + (" (a file named - is --db ./-)" if name == "-" else "")), ran.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["made.db"]  # (no file "-" made)
    # a device (serving opened /dev/null as the store: "disk I/O error", a /dev/null-journal made as root; --query alone here)
    ran = run_main("serve", "--db", "/dev/null", "--query", "x", cwd=tmp_path)
    assert (
        ran.returncode == 2 and ran.err == "mapper serve: --db /dev/null is a device, not a database file: give --db a database file (a new one is made)\n"
    ), ran.err


def test_serve_db_compressed_is_told_the_command_that_unpacks_it(tmp_path: Path) -> None:
    """``--db serve.db.gz`` said "file is not a database" alone."""
    import gzip

    (tmp_path / "serve.db.gz").write_bytes(gzip.compress(_database(tmp_path / "made.db")))
    for extra, verb in ((("--port", "0"), "open"), (("--query", "x"), "read")):
        ran = run_main("serve", "--db", "serve.db.gz", *extra, cwd=tmp_path)
        said = f"mapper serve: cannot {verb} the database serve.db.gz: file is not a database (it is gzip-compressed data: gzip -dc serve.db.gz > serve.db, then give serve.db)"
        assert ran.returncode == 2 and said in ran.err, ran.err


def test_serve_reads_whether_the_database_is_another_programs_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """serve read the file's tables itself, and the store read them again: once, with serve's words."""
    import sqlite3

    reads: list[str] = []
    connect = sqlite3.connect

    def counted(target: Any, *args: Any, **kwargs: Any) -> Any:
        if "mode=ro" in str(target):
            reads.append(str(target))
        return connect(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", counted)
    _database(tmp_path / "other.db")
    ran = run_main("serve", "--db", "other.db", "--port", "0", cwd=tmp_path)
    assert ran.returncode == 2 and ran.err == (
        "mapper serve: other.db holds no sinks of mapper serve (it is another program's database, holding 't': serve would write its own "
        "tables into it and switch it to WAL journaling for good): give --db a new file, or one serve stored into\n"
    ), ran.err
    assert len(reads) == 1, reads
    from mapper.store import Store

    with Store(tmp_path / "own.db") as store:  # (a database serve stored into: read to tell, then opened)
        store.create_sink(SINK)
    other = json.loads(SINK.read_text())
    other["schema"]["allow_missing_fields"] = True
    (tmp_path / "clash.json").write_text(json.dumps(other))
    reads.clear()
    ran = run_main("serve", "clash.json", "--db", "own.db", "--port", "0", cwd=tmp_path)  # (the store opened, then the SINK refused)
    assert ran.returncode == 2 and "holds a sink 'aircraft_positions' already" in ran.err, ran.err
    assert len(reads) == 1, reads


# ---------------------------------------------------------------------------------------
# a column's path string from the record's root: what a hint says to write parses, unwarned


def test_what_a_column_paths_root_hint_says_to_write_parses_and_is_not_warned_of() -> None:
    """``$.$.x[0]`` was told to "write '$.x[0]'" (refused in turn), ``$.my key`` '"$"."my key"' (the $ read as a key),
    and the ``path-root`` warning on ``$.$.x`` said to write '$.x' (warned of in turn)."""
    import ast

    import mapper
    from mapper.errors import PathSyntaxError
    from mapper.paths import parse_path

    told = {}
    for text in ("$.$.x[0]", "$.x[0]", "$.$[0]", "$.my key", "$.items[*].x"):
        with pytest.raises(PathSyntaxError) as caught:
            parse_path(text)
        match = re.search(r": write ('(?:[^'\\]|\\.)*')$", caught.value.hint)
        assert match is not None, (text, caught.value.hint)
        told[text] = ast.literal_eval(match[1])
        parse_path(told[text])  # (it parses)
    assert told["$.$.x[0]"] == '"$".x[0]' and told["$.my key"] == '"my key"', told
    for path, meant in (("$.$.x", '"$".x'), ("$.$", '"$"'), ("$.data.x", "data.x")):
        definition = [{"name": "k", "path": ["k"], "type": "string"}, {"name": "v", "path": path, "type": "int"}]
        doc = {"primary_key_fields": ["k"], "allow_missing_fields": True, "definition": definition}
        (root,) = [p.message for p in mapper.check_sink(doc).problems if p.code == "path-root"]
        assert f"write it {meant!r}," in root, root
        definition[1]["path"] = meant
        assert [p for p in mapper.check_sink(doc).problems if p.code == "path-root"] == []  # (not warned of in turn)
