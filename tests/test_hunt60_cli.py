"""A new user's command lines on real data (stop 60's hunt): what each says is what a pasted command does."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from tests.cli_inproc import ROOT, run_main

SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"


# -- another command's option is named as that command's, not as a near miss of one of this one's ----


@pytest.mark.parametrize(
    ("argv", "said", "not_said"),
    [
        # bench's --report was "did you mean '--repeat'?": --repeat json is no number
        (["bench", SINK, RECORDS, "--report", "json"], "--report json (--report is an option of validate, infer, not of bench)", "--repeat"),
        # validate's --repeat was "did you mean '--report'?": --report 3 is no report format
        (["validate", SINK, RECORDS, "--repeat", "3"], "--repeat 3 (--repeat is an option of bench, not of validate)", "did you mean"),
        (["bench", SINK, RECORDS, "-o", "out.npz"], "-o out.npz (-o is an option of map, not of bench)", "did you mean"),
        (["validate", SINK, RECORDS, "--json", "figures.json"], "--json figures.json (--json is an option of bench, not of validate)", "did you mean"),
    ],
    ids=["bench --report", "validate --repeat", "bench -o", "validate --json"],
)
def test_another_commands_option_is_said_to_be_its(argv, said, not_said):
    ran = run_main(*argv)
    assert ran.returncode == 2 and ran.out == "", ran
    line = ran.err.splitlines()[-1]
    assert f"error: unrecognized arguments: {said}" in line and not_said not in line, ran.err


# -- the note on records that hold none of the sink's paths counts the records it says it counts ------


def _long_records(n: int) -> bytes:
    """``n`` records of ~5 KB each, holding none of the aircraft sink's paths: the input's first unit
    as read (64 KiB) holds 13 of them."""
    return b"".join(b'{"blob":"%s","seq":%d}\n' % (b"x" * 5000, i) for i in range(n))


def test_records_that_hold_no_path_are_counted_over_the_file_not_its_first_unit(tmp_path):
    # twitter's 100 statuses were "the records hold keys no column reads ...: "metadata" (in 14)":
    # the first 64 KiB read, kept for other notes, taken for the records (every one holds metadata)
    (tmp_path / "long.ndjson").write_bytes(_long_records(30))
    ran = run_main("validate", SINK, "long.ndjson", cwd=tmp_path)
    assert ran.returncode == 1, ran
    note = next(line for line in ran.out.splitlines() if line.startswith("note: no record holds the path"))
    assert 'the records hold keys no column reads, the most held first: "blob" (in 30), "seq" (in 30)' in note, note


def test_a_streams_first_records_are_said_to_be_its_first(tmp_path):
    # standard input is not read again: the first unit's records (13) are all there is to count, said so
    ran = run_main("validate", SINK, "-", input=_long_records(30), cwd=tmp_path)
    assert ran.returncode == 1, ran
    note = next(line for line in ran.out.splitlines() if line.startswith("note: no record holds the path"))
    said = re.search(r'; (the first (\d+) records|the records) hold keys no column reads, the most held first: "blob" \(in (\d+)\)', note)
    assert said and said.group(2) == said.group(3) and int(said.group(3)) < 30, note


# -- --workers on a compressed NDJSON file says why it maps in one process, not that it is no NDJSON --


def test_workers_on_compressed_ndjson_say_it_is_compressed(tmp_path):
    # it was "the input is not NDJSON (a JSON document, a request body or a compressed file ...)": it is NDJSON
    (tmp_path / "r.ndjson.gz").write_bytes(gzip.compress(RECORDS.read_bytes()))
    ran = run_main("validate", SINK, "r.ndjson.gz", "--workers", "2", cwd=tmp_path)
    assert ran.returncode == 0, ran
    said = "mapper: --workers 2: the input is gzip-compressed, read from its start only (not cut at line ends): mapping in one process"
    assert said in ran.err.splitlines() and "not NDJSON" not in ran.err, ran.err


# -- a pretty-printed document read as NDJSON because --input-format ndjson says so: the note says why --


PRETTY = b'{ "now" : 1673799021.7,\n  "aircraft" : [\n    {"hex":"a46304","alt_baro":38025},\n    {"hex":"a3f500","alt_baro":29325}\n  ]\n}\n'


@pytest.mark.parametrize("command", ["validate", "infer"])
def test_a_document_spread_over_lines_read_as_ndjson_is_said_to_be_one(tmp_path, command):
    # dump1090's aircraft.json given with --input-format ndjson: each of its lines refused as invalid JSON, nothing said why
    (tmp_path / "aircraft.json").write_bytes(PRETTY)
    args = ["validate", SINK] if command == "validate" else ["infer"]
    ran = run_main(*args, "aircraft.json", "--input-format", "ndjson", cwd=tmp_path)
    said = "note: the input is JSON spread over lines (a pretty-printed document, or values one after another), which --input-format ndjson reads"
    assert said in ran.out + ran.err and "leave --input-format out" in ran.out + ran.err, ran
    # told from the content, the same bytes are one document: no such note (its own, --records-path aircraft)
    ran = run_main(*args, "aircraft.json", cwd=tmp_path)
    assert "spread over lines" not in ran.out + ran.err and "--records-path aircraft" in ran.out + ran.err, ran


def test_ndjson_whose_records_fail_gets_no_note_of_a_document():
    from mapper.engine.reader import input_note

    lines = b'{"a": 1}\n{"a": \n{"a": 2}\n'
    assert "spread over lines" not in input_note(lines, 3, 1, 0)


# -- serve: a sink id taken by another SINK file of the same start, or by the database, is said so -----


def _renamed(path, **changes):
    doc = json.loads(SINK.read_text())
    doc["schema"].update(changes)
    path.write_text(json.dumps(doc))
    return path


def test_serve_names_the_sink_file_that_took_the_id_first(tmp_path):
    # two drafts inferred from one file share its name: "a sink 'aircraft_positions' exists already with
    # another definition" was said of the database made that moment
    _renamed(tmp_path / "other.json", allow_missing_fields=True)
    ran = run_main("serve", SINK, "other.json", "--db", "fresh.db", "--port", "0", cwd=tmp_path)
    assert ran.returncode == 2 and ran.out == "", ran
    said = f"mapper serve: other.json: {SINK} defines the sink 'aircraft_positions' too, another way (a sink's id is its name)"
    assert ran.err.startswith(said) and "exists already" not in ran.err, ran.err


def test_serve_names_the_database_that_holds_the_id(tmp_path):
    from mapper.store import Store

    store = Store(str(tmp_path / "kept.db"))
    store.create_sink(SINK)
    store.close()
    _renamed(tmp_path / "other.json", allow_missing_fields=True)
    ran = run_main("serve", "other.json", "--db", "kept.db", "--port", "0", cwd=tmp_path)
    assert ran.returncode == 2 and ran.out == "", ran
    said = "mapper serve: other.json: the database kept.db holds a sink 'aircraft_positions' already, defined another way"
    assert ran.err.startswith(said), ran.err


# -- check's summary counts columns as every count mapper prints ---------------------------------------


def test_check_counts_thousands_of_columns_with_separators(tmp_path):
    # a draft of every GitHub webhook was "2962 columns (2264 string, ...)", where infer said "2,962 columns"
    entries = [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"c{i}", "path": [f"c{i}"], "type": "string"} for i in range(1200)]
    (tmp_path / "wide.json").write_text(json.dumps({"id_field": "id", "allow_missing_fields": True, "definition": entries}))
    ran = run_main("check", "wide.json", cwd=tmp_path)
    assert ran.returncode == 0 and ran.out.startswith("ok: sink: 1,201 columns (1 id, 1,200 string); "), ran
