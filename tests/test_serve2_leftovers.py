"""Command-line leftovers of stop 60's review: a refused serve start changes nothing, --table's database name,
help's extra word, -o /dev/stdout, bench's sizes."""

from __future__ import annotations

import json

import pytest

from tests.cli_inproc import ROOT, run_main

SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"
TABLE = ROOT / "examples" / "aircraft" / "table.sql"


def _sink_file(path, name, **schema):
    doc = json.loads(SINK.read_text())
    doc["name"] = name
    doc["schema"].update(schema)
    path.write_text(json.dumps(doc))
    return path.name


def _sinks(db):
    from mapper.store import Store

    store = Store(str(db))
    try:
        return sorted(s.id for s in store.list_sinks())
    finally:
        store.close()


# -- serve: a start refused for one SINK creates none of the SINKs before it ---------------------------


def _kept_db(tmp_path):
    from mapper.store import Store

    store = Store(str(tmp_path / "kept.db"))
    store.create_sink(SINK)
    store.close()
    return tmp_path / "kept.db"


def test_serve_refused_for_a_clash_with_the_database_creates_none(tmp_path):
    db = _kept_db(tmp_path)
    before = _sinks(db)
    first = _sink_file(tmp_path / "first.json", "first_sink")
    clash = _sink_file(tmp_path / "clash.json", "aircraft_positions", allow_missing_fields=True)
    ran = run_main("serve", first, clash, "--db", "kept.db", "--port", "0", cwd=tmp_path)
    assert ran.returncode == 2 and ran.out == "", ran
    assert ran.err.startswith("mapper serve: clash.json: the database kept.db holds a sink 'aircraft_positions' already"), ran.err
    assert _sinks(db) == before == ["aircraft_positions"]  # (first_sink was created, the start refused)


def test_serve_refused_for_a_bad_definition_creates_none(tmp_path):
    db = _kept_db(tmp_path)
    first = _sink_file(tmp_path / "first.json", "first_sink")
    (tmp_path / "bad.json").write_text('{"name": "bad", "sink_details": {}, "schema": {"type": "json", "definition": [{"name": 1}]}}')
    ran = run_main("serve", first, "bad.json", "--db", "kept.db", "--port", "0", cwd=tmp_path)
    assert ran.returncode == 2 and ran.out == "", ran
    assert ran.err.startswith("mapper serve: bad.json: "), ran.err
    assert _sinks(db) == ["aircraft_positions"]


def test_serve_refused_for_two_sink_files_of_one_id_creates_none(tmp_path):
    db = _kept_db(tmp_path)
    first = _sink_file(tmp_path / "first.json", "first_sink")
    again = _sink_file(tmp_path / "again.json", "first_sink", allow_missing_fields=True)
    ran = run_main("serve", first, again, "--db", "kept.db", "--port", "0", cwd=tmp_path)
    assert ran.returncode == 2 and ran.out == "", ran
    assert ran.err.startswith("mapper serve: again.json: first.json defines the sink 'first_sink' too"), ran.err
    assert _sinks(db) == ["aircraft_positions"]


def test_serve_refused_for_a_sink_file_makes_no_new_database(tmp_path):
    # the database file was made (mapper's tables in it) before the SINK was refused
    first = _sink_file(tmp_path / "first.json", "first_sink")
    (tmp_path / "bad.json").write_text('{"name": "bad"}')
    ran = run_main("serve", first, "bad.json", "--db", "new.db", "--port", "0", cwd=tmp_path)
    assert ran.returncode == 2 and ran.err.startswith("mapper serve: bad.json: invalid sink definition"), ran
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "first.json"]


@pytest.mark.parametrize(
    ("options", "said"), [(["--port", "70000"], "--port"), (["--token-env", "MAPPER_TEST_NO_SUCH_VARIABLE"], "MAPPER_TEST_NO_SUCH_VARIABLE")]
)
def test_serve_refused_for_an_option_makes_no_new_database(tmp_path, monkeypatch, options, said):
    # a --port out of range or a --token-env naming no variable was refused once the database file was made
    monkeypatch.delenv("MAPPER_TEST_NO_SUCH_VARIABLE", raising=False)
    first = _sink_file(tmp_path / "first.json", "first_sink")
    ran = run_main("serve", first, "--db", "new.db", *options, cwd=tmp_path)
    assert ran.returncode == 2 and said in ran.err, ran
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.json"]


# -- serve --table: a database name that is not one is said so, with its rule ---------------------------


@pytest.mark.parametrize("database", ["<b>db</b> x", "a/b", "Bad"])
def test_serve_table_says_the_database_name_is_invalid(tmp_path, database):
    # "<b>db</b> x=FILE" was "cannot read <b>db</b> x=FILE: No such file or directory", the whole spec taken for a file
    (tmp_path / "t.sql").write_text(TABLE.read_text())
    ran = run_main("serve", "--db", ":memory:", "--port", "0", "--table", f"{database}=t.sql", cwd=tmp_path)
    assert ran.returncode == 2 and ran.out == "", ran
    said = f"mapper serve: --table {database}=t.sql: the database name {database!r} is invalid: a database name is lowercase letters, digits, '-' and '_', starting with a letter"
    assert ran.err.startswith(said) and "cannot read" not in ran.err, ran.err


def test_serve_table_a_directory_before_the_equals_sign_is_still_a_file_name(tmp_path):
    from mapper.web.catalog import DEFAULT_DATABASE, load_catalog

    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a=b.sql").write_text(TABLE.read_text())
    catalog = load_catalog([str(tmp_path / "dir" / "a=b.sql")])
    assert [d.name for d in catalog.databases.values()] == [DEFAULT_DATABASE] and len(catalog) == 1
    ran = run_main("serve", "--db", ":memory:", "--port", "0", "--table", "dir/gone=t.sql", cwd=tmp_path)  # (t.sql: no such file)
    assert ran.returncode == 2 and ran.err.startswith("mapper serve: --table dir/gone=t.sql: no such file: dir/gone=t.sql"), ran.err


# -- help takes one COMMAND ------------------------------------------------------------------------


def test_help_with_a_word_after_the_command_is_a_usage_error_naming_it():
    # `mapper help validate extra` printed validate's help and exited 0, the extra word unsaid
    ran = run_main("help", "validate", "extra")
    assert ran.returncode == 2 and ran.out == "", ran
    assert ran.err.endswith("mapper help: error: unrecognized argument: 'extra' (help takes one COMMAND: mapper help validate)\n"), ran.err
    many = run_main("help", "validate", "a", "b")
    assert many.returncode == 2 and "unrecognized arguments: 'a', 'b' (help takes one COMMAND" in many.err, many
    assert run_main("help", "validate").returncode == 0  # (one COMMAND: its help, as before)


def test_help_with_an_option_for_its_command_is_a_usage_error_naming_it():
    # `mapper help --strict` printed the top help and exited 0, as if asked for
    ran = run_main("help", "--strict")
    assert ran.returncode == 2 and ran.out == "", ran
    assert "help takes a COMMAND, not an option: '--strict'" in ran.err, ran.err
    assert run_main("help", "--help").returncode == 0  # (help's own help, as before)


# -- map -o /dev/stdout: the command that writes to standard output, pasted ------------------------------


@pytest.mark.parametrize(("given", "pasted"), [(["-o", "/dev/stdout"], "-o -"), (["--output=/dev/fd/1"], "--output=-")])
def test_map_to_stdout_by_a_name_gives_the_command_that_works(tmp_path, given, pasted):
    # "cannot tell the output format of '/dev/stdout': use .npz, ... or - (NDJSON on stdout)": no command to paste
    (tmp_path / "sink.json").write_text(SINK.read_text())
    (tmp_path / "r.ndjson").write_text(RECORDS.read_text())
    ran = run_main("map", "sink.json", "r.ndjson", *given, cwd=tmp_path)
    assert ran.returncode == 2 and ran.out == "", ran
    assert f"NDJSON rows on standard output are -o - (mapper map sink.json r.ndjson {pasted}); .npz" in ran.err, ran.err
    works = run_main("map", "sink.json", "r.ndjson", *pasted.split(), cwd=tmp_path)  # (the command said works)
    assert works.returncode == 0 and len(works.out.splitlines()) == 3, works


# -- bench: a size under 1 MB in KB, the JSON's figures exact -------------------------------------------


def test_bench_says_a_small_input_in_kb_and_its_json_keeps_the_bytes(tmp_path):
    # a 41 KB input was "0.0 MB"
    lines = RECORDS.read_text().splitlines(keepends=True)
    text = "".join(lines[i % len(lines)] for i in range(130))
    (tmp_path / "r.ndjson").write_text(text)
    size = (tmp_path / "r.ndjson").stat().st_size
    assert 40_000 < size < 45_000
    ran = run_main("bench", str(SINK), "r.ndjson", "--repeat", "1", "--json", "f.json", cwd=tmp_path)
    assert ran.returncode == 0, ran
    assert f"mapper: 130 records, {size / 1e3:,.1f} KB: " in ran.out and " MB:" not in ran.out, ran.out
    figures = json.loads((tmp_path / "f.json").read_text())
    assert figures["bytes"] == size and figures["mapper"]["mb_per_s"] == size / 1e6 / figures["mapper"]["seconds"]


def test_bench_size_units():
    from mapper.bench import _size_said

    assert [_size_said(n) for n in (0, 1, 999, 1000, 41_234, 999_999, 1_000_000, 2_345_678)] == [
        "0 bytes",
        "1 byte",
        "999 bytes",
        "1.0 KB",
        "41.2 KB",
        "1.0 MB",
        "1.0 MB",
        "2.3 MB",
    ]
