"""Records inside documents: ``records_path`` / ``--records-path``, and documents read without it.

Real feeds wrap their records (dump1090's ``{"now": ..., "aircraft": [...]}``, a search
API's ``{"statuses": [...]}``). With the path, the records map as if sent alone, with the
lines they start on; without it, a pretty-printed document is one record, and the report
says where arrays of objects are.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from sinks import column, id_schema, schema

import mapper
from tests.cli_inproc import run_main
from tests.test_real_data import data_file

SINK = schema(column("hex", "string"), column("alt", "int", path=["alt_baro"]), column("flight", "string"), primary_key_fields=["hex"])

PLANES = [{"hex": f"a{i:05x}", "alt_baro": 1000 + i if i % 5 else "ground", "flight": f"F{i}"} for i in range(40)]


def document(planes: list[dict[str, Any]], now: float = 1673799021.7) -> dict[str, Any]:
    return {"now": now, "messages": 15, "aircraft": planes}


def pretty(doc: Any) -> bytes:
    """dump1090's layout: the envelope over lines, one record a line."""
    inner = ",\n".join("    " + json.dumps(p) for p in doc["aircraft"])
    return f'{{ "now" : {doc["now"]},\n  "messages" : {doc["messages"]},\n  "aircraft" : [\n{inner}\n  ]\n}}\n'.encode()


def rows_and_errors(batch: mapper.Batch) -> tuple[Any, ...]:
    rep = batch.report
    return batch.to_rows(), [(e.record, e.column, e.code, e.reason) for e in rep.errors], rep.verdict


@pytest.mark.parametrize("layout", ["pretty", "one-line", "compact-indent"])
def test_records_at_a_path_map_as_the_records_sent_alone(layout):
    m = mapper.compile_sink(SINK)
    doc = document(PLANES)
    data = {"pretty": pretty(doc), "one-line": json.dumps(doc).encode(), "compact-indent": json.dumps(doc, indent=2).encode()}[layout]
    alone = m.map(PLANES)
    inside = m.map(data, records_path="aircraft")
    assert rows_and_errors(inside) == rows_and_errors(alone)
    assert len(inside) == 32 and inside.report.verdict == "partial"


def test_each_record_keeps_the_line_it_starts_on():
    m = mapper.compile_sink(SINK)
    report = m.validate(pretty(document(PLANES)), records_path="aircraft")
    # the envelope takes three lines; record i is on line 4 + i
    assert [(e.record, e.line) for e in report.errors] == [(i, 4 + i) for i in range(0, 40, 5)]


def test_ndjson_of_documents_is_read_a_line_at_a_time():
    m = mapper.compile_sink(SINK)
    docs = [document(PLANES[i : i + 10], now=i) for i in range(0, 40, 10)]
    data = b"".join(json.dumps(d).encode() + b"\n" for d in docs)
    batch = m.map(data, records_path="aircraft")
    assert rows_and_errors(batch) == rows_and_errors(m.map(PLANES))
    # a record's line is its document's line
    assert [(e.record, e.line) for e in batch.report.errors] == [(i, i // 10 + 1) for i in range(0, 40, 5)]


def test_a_document_without_records_there_is_one_error_and_the_others_go_on():
    m = mapper.compile_sink(SINK)
    lines = [json.dumps(document(PLANES[:3])), json.dumps({"now": 1, "planes": PLANES[3:5]}), json.dumps({"now": 2, "aircraft": {"a": 1}}), "[1, 2]"]
    report = m.validate(("\n".join(lines) + "\n").encode(), records_path="aircraft")
    assert report.records == 6 and report.success_count == 2  # PLANES[0] says "ground"
    bad = [(e.record, e.line, e.code) for e in report.errors if e.code == "no_records"]
    assert bad == [(3, 2, "no_records"), (4, 3, "no_records"), (5, 4, "no_records")]
    reasons = [e.reason for e in report.errors if e.code == "no_records"]
    assert "no key `aircraft`" in reasons[0] and "`planes` (2 objects)" in reasons[0] and "--records-path planes" in reasons[0]
    assert "the value at `aircraft` is an object, not an array of records" in reasons[1]
    assert "the document is an array, not an object" in reasons[2]


def test_nested_and_quoted_paths_and_lists_of_keys():
    m = mapper.compile_sink(SINK)
    doc = {"meta": {"a.b": {"items": PLANES[:4]}}}
    for path in ('meta."a.b".items', ["meta", "a.b", "items"]):
        assert len(m.map(json.dumps(doc).encode(), records_path=path, on_error="skip")) == 3


def test_python_documents_take_the_path_too():
    m = mapper.compile_sink(SINK)
    assert rows_and_errors(m.map(document(PLANES), records_path="aircraft")) == rows_and_errors(m.map(PLANES))
    two = m.map([document(PLANES[:20]), document(PLANES[20:])], records_path="aircraft")
    assert rows_and_errors(two) == rows_and_errors(m.map(PLANES))
    report = m.validate([{"now": 1}], records_path="aircraft")
    assert [(e.code, e.reason) for e in report.errors] == [("no_records", "no records at `aircraft`: no key `aircraft`")]


@pytest.mark.parametrize("bad", ["aircraft[0]", "", "a..b", 7, []])
def test_a_records_path_that_is_not_a_chain_of_keys_is_an_option_error(bad):
    with pytest.raises(mapper.OptionError, match="records_path"):
        mapper.compile_sink(SINK).validate(b"{}", records_path=bad)


def test_a_pretty_printed_document_without_the_path_is_one_record_and_the_report_says_where_the_records_are():
    m = mapper.compile_sink(SINK)
    report = m.validate(pretty(document(PLANES)))
    assert report.records == 1 and report.errors[0].code == "invalid_id"  # the envelope has no "hex"
    (note,) = report.notes
    assert "`aircraft` (40 objects)" in note and "--records-path aircraft" in note
    assert report.to_dict()["notes"] == [note]
    # a record that passes gets no note, even if it holds arrays of objects
    ok = m.validate(json.dumps({"hex": "x", "legs": [{"a": 1}]}, indent=2).encode())
    assert ok.verdict == "accepted" and ok.notes == []


@pytest.mark.parametrize("ending", [b"", b"\n"])
def test_a_document_on_one_line_gets_the_same_note(ending, tmp_path):
    # one line is one NDJSON record: the note was only given to documents spread over lines
    m = mapper.compile_sink(SINK)
    line = json.dumps(document(PLANES)).encode() + ending
    for given in (line, line + b"\n\n"):  # one record alone (the one-record check) and through an engine run
        report = m.validate(given)
        assert report.records == 1 and len(report.notes) == 1 and "--records-path aircraft" in report.notes[0]
        assert m.map(given, on_error="skip").report.notes == report.notes
    # not for a record that is stored, nor for one line of several: those are NDJSON of documents,
    # noted as such (as mapper validate notes them)
    assert m.validate(json.dumps({"hex": "x", "legs": [{"a": 1}]}).encode()).notes == []
    notes = m.validate(line.rstrip() + b"\n" + line).notes
    assert len(notes) == 1 and notes[0].startswith("each record read looks like a document holding the records; ")
    path = tmp_path / "doc.json"
    path.write_bytes(line)
    r = run_cli("infer", str(path), "--id-field", "messages")
    assert r.returncode == 1 and "--records-path aircraft" in r.stderr


def test_a_record_holding_a_few_arrays_of_objects_is_no_document(tmp_path):
    # a GitHub webhook payload is one record (one delivery, one file) that holds small arrays
    # of objects (issue.labels); it was noted as a document of records, so `mapper infer` on a
    # directory of them exited 1 ("the draft maps the JSON documents read as records, not the
    # records they seem to hold") and printed a --records-path note per file
    def payload(i: int) -> dict[str, Any]:
        return {
            "action": "opened",
            "issue": {"id": i, "title": f"t{i}", "state": "open", "labels": [{"id": 7, "name": "bug"}]},
            "repository": {"id": 5, "name": "r", "full_name": "o/r", "private": False, "owner": {"login": "o", "id": 9}},
            "sender": {"login": "u", "id": 3, "type": "User"},
        }

    m = mapper.compile_sink(SINK)
    assert m.validate(json.dumps(payload(1), indent=2).encode()).notes == []  # no "hex": refused, and no note
    assert m.validate(json.dumps(payload(1)).encode()).notes == []  # on one line alike
    files = []
    for i in range(3):
        f = tmp_path / f"p{i}.json"
        f.write_text(json.dumps(payload(i), indent=2))
        files.append(f)
    r = mapper.infer(files, id_field="issue.id")
    assert r.unusable is None and not [n for n in r.notes if "--records-path" in n]
    # an envelope whose records hold most of its values still gets the note
    assert "--records-path aircraft" in m.validate(json.dumps(document(PLANES[:2]), indent=2).encode()).notes[0]


def test_the_real_webhook_payloads_are_records():
    issues = sorted(data_file("github-webhooks/issues").glob("*.json"))
    r = mapper.infer(issues, primary_key_fields=["issue.node_id", "action"])
    assert r.records == len(issues) > 20 and r.unusable is None
    assert not [n for n in r.notes if "--records-path" in n]


def test_a_records_path_of_more_than_a_hundred_keys_is_an_option_error():
    # a path of 1,000 keys was refused as "Invalid JSON: the JSON document is nested too deeply"
    # (code invalid_json, of a one-line document): the decoder for it could not be built
    m = mapper.compile_sink(SINK)
    deep = ["a"] * 100
    doc: Any = [{"hex": "x"}]
    for key in deep:
        doc = {key: doc}
    assert len(m.map(json.dumps(doc).encode(), records_path=deep)) == 1
    assert m.validate(b'{"a": [{"hex": "x"}]}', records_path=deep).errors[0].code == "no_records"
    for path in (["a"] * 1000, ".".join(["a"] * 101)):
        with pytest.raises(mapper.OptionError, match=r"records_path has 1,000 keys|records_path has 101 keys; mapper takes paths of at most 100"):
            m.validate(b'{"a": [{"hex": "x"}]}', records_path=path)
    with pytest.raises(mapper.OptionError, match="records_path has 101 keys"):
        mapper.infer(b'{"a": [{"hex": "x"}]}', records_path=".".join(["a"] * 101))


def test_a_records_path_with_the_endpoint_format_is_an_option_error(tmp_path, capsys):
    # the format was ignored: the body's items, {"value": {...}}, were read as the records
    # (every mapped value missing, the batch discarded), and infer drafted value.* columns
    body = b'{"records": [{"value": {"hex": "a"}}]}'
    m = mapper.compile_sink(SINK)
    for call in (m.validate, m.map, lambda data, **kw: list(m.iter_batches(data, **kw)), mapper.infer):
        with pytest.raises(mapper.MapperError, match=r"records.path does not go with .*endpoint.*: a request body's records are the values of its items"):
            call(body, records_path="records", input_format="endpoint")
    f = tmp_path / "body.json"
    f.write_bytes(body)
    from mapper.cli import main

    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    for command in (["infer", str(f)], ["validate", str(sink), str(f)]):
        assert main([*command, "--records-path", "records", "--input-format", "endpoint"]) == 2
        assert "mapper: --records-path does not go with --input-format endpoint" in capsys.readouterr().err


def test_infer_on_ndjson_of_documents_without_the_path_says_so(tmp_path, capsys):
    # one dump1090 snapshot a line: one line got the note and exit 1, several lines a draft of
    # the envelope (now, messages; aircraft skipped) with nothing said. Now they get the note too,
    # but the draft stands (exit 0): records that each hold many objects look the same
    lines = b"".join(json.dumps(document(PLANES[i : i + 10], now=1673799021.7 + i)).encode() + b"\n" for i in range(0, 40, 10))
    r = mapper.infer(lines, id_field="messages")
    assert r.records == 4 and r.unusable is None
    orders = b"".join(json.dumps({"id": f"o{i}", "total": i, "items": [{"sku": f"s{k}", "qty": 1} for k in range(20)]}).encode() + b"\n" for i in range(5))
    r2 = mapper.infer(orders, primary_key_fields=["id"])
    assert r2.unusable is None and any("--records-path items" in n for n in r2.notes)  # (said, not held against the draft)
    (note,) = [n for n in r.notes if "--records-path aircraft" in n]
    assert note.startswith("each of the first 3 records read looks like a document holding the records; arrays of objects are at `aircraft`")
    with pytest.raises(mapper.MapperError, match="(?s)no field can be the record identity.*note: each of the first 3 records"):
        mapper.infer(lines)
    assert mapper.infer(lines, records_path="aircraft").unusable is None  # (the records: not looked at as documents)
    # records that hold a few arrays of objects are records; a file of documents beside files of records is not all
    assert mapper.infer(b'{"id": "a", "legs": [{"a": 1}], "x": 1, "y": 2}\n' * 3).unusable is None
    f = tmp_path / "docs.ndjson"
    f.write_bytes(lines)
    g = tmp_path / "planes.ndjson"
    g.write_bytes(b"".join(json.dumps({**p, "messages": 15}).encode() + b"\n" for p in PLANES))
    mixed = mapper.infer([f, g], id_field="messages")
    assert mixed.unusable is None and any(n.startswith(f"{f}: each of the first 3 records") for n in mixed.notes)


def test_small_documents_of_ndjson_go_to_the_engine_together():
    # a unit per document cost the engine a run of its converters each: NDJSON of documents of
    # a record or two mapped five times slower than the records alone
    from mapper.engine.reader import RawRecords, iter_units

    text = b"".join(json.dumps(document([p])).encode() + b"\n" for p in PLANES[:30]) + b'{"x": 1}\n' + json.dumps(document(PLANES[30:])).encode() + b"\n"
    units = list(iter_units(text, records_path=("aircraft",)))
    assert [type(u).__name__ for u in units] == ["RawRecords", "BrokenDocument", "RawRecords"]
    assert isinstance(units[0], RawRecords) and list(units[0].lines or ()) == list(range(1, 31))
    report = mapper.compile_sink(SINK).validate(text, records_path="aircraft", on_error="skip")
    assert [(e.record, e.line, e.code) for e in report.errors if e.code == "no_records"] == [(30, 31, "no_records")]
    assert report.records == 41 and {e.line for e in report.errors if e.record > 30} == {32}


def test_a_records_path_key_holding_a_lone_surrogate_is_an_option_error():
    # the dotted form refused it; as a list, every document was "Invalid JSON: the JSON document:
    # 'utf-8' codec can't encode character '\\ud800' ...", a codec's words as the record's error
    m = mapper.compile_sink(SINK)
    for call in (m.validate, mapper.infer):
        with pytest.raises(mapper.MapperError, match="records_path: the key 'x\\\\ud800' holds half of a UTF-16 surrogate pair"):
            call(b'{"x\\ud800": [{"hex": "a"}]}', records_path=["x\ud800"])


def test_iter_batches_takes_the_path(tmp_path):
    m = mapper.compile_sink(SINK)
    path = tmp_path / "docs.ndjson"
    path.write_bytes(b"".join(json.dumps(document(PLANES[i : i + 10])).encode() + b"\n" for i in range(0, 40, 10)))
    batches = list(m.iter_batches(path, records=15, records_path="aircraft"))
    assert [b.report.records for b in batches] == [15, 15, 10]
    assert sum((b.to_rows() for b in batches), []) == m.map(PLANES).to_rows()


# --- the command line -----------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    p = run_main(*args, timeout=120)  # (python -m mapper ARGS, in this process, from the checkout)
    r = subprocess.CompletedProcess(p.args, p.returncode, p.out, p.err)
    r.stderr = r.stdout + r.stderr if args[0] == "validate" else r.stderr  # validate reports on stdout
    return r


def test_cli_records_path_for_validate_map_and_infer(tmp_path):
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    data = tmp_path / "aircraft.json"
    data.write_bytes(pretty(document(PLANES)))
    r = run_cli("validate", str(sink), str(data), "--records-path", "aircraft")
    assert r.returncode == 1 and "PARTIAL: 32 of 40 records would be stored" in r.stderr
    r = run_cli("validate", str(sink), str(data))
    assert r.returncode == 1 and "note: the input is one JSON object" in r.stderr and "--records-path aircraft" in r.stderr
    out = tmp_path / "rows.ndjson"
    r = run_cli("map", str(sink), str(data), "--records-path", "aircraft", "-o", str(out), "--on-error", "skip")
    assert r.returncode == 1 and len(out.read_text().splitlines()) == 32
    r = run_cli("infer", str(data), "--records-path", "aircraft", "-q")
    assert r.returncode == 0 and {c["name"] for c in json.loads(r.stdout)["schema"]["definition"]} >= {"hex", "alt_baro", "flight"}


def test_infer_does_not_exit_0_when_the_draft_does_not_stand_on_the_input(tmp_path):
    data = tmp_path / "aircraft.json"
    data.write_bytes(pretty(document(PLANES)))
    r = run_cli("infer", str(data), "--primary-key-fields", "now", "-q")
    assert r.returncode == 1 and "the one JSON document read as a record" in r.stderr
    broken = tmp_path / "broken.ndjson"
    broken.write_bytes(b'{"id": 1}\n' + b'{"id": \n' * 3)
    r = run_cli("infer", str(broken), "-q")
    assert r.returncode == 1 and "3 of 4 records are unusable (not valid JSON: 3): the draft stands on the other 1 only" in r.stderr
    fine = tmp_path / "fine.ndjson"
    fine.write_bytes(b'{"id": 1}\n{"id": 2}\n{"id": \n')
    assert run_cli("infer", str(fine), "-q").returncode == 0


def test_infer_reads_on_past_a_broken_document_among_several_as_validate_does(tmp_path):
    # found by a bug hunt: one truncated API response in a list of them (or one broken file of
    # several) stopped infer for the whole run, while validate refuses it as one record
    texts = [json.dumps(document(PLANES[:20])), json.dumps(document(PLANES[20:25]))[:-9], json.dumps(document(PLANES[25:]))]
    r = mapper.infer(texts, records_path="aircraft")
    assert (r.records, r.objects, r.bad_records, r.unusable) == (36, 35, 1, None)
    assert r.bad_examples[0]["reason"] == "Invalid JSON: the JSON document is truncated"
    assert r.verified == {"records": 36, "refused": 8, "errors": {"invalid_json": 1, "invalid_value": 7}}  # (the "ground" altitudes: a conflict's refusals)
    dicts = [document(PLANES[:20]), document(PLANES[20:])]
    assert mapper.infer([texts[0], json.dumps(dicts[1])], records_path="aircraft").objects == 40
    files = []
    for i, text in enumerate(texts):
        files.append(tmp_path / f"{i}.json")
        files[-1].write_text(text)
    r = run_cli("infer", *map(str, files), "--records-path", "aircraft", "-q")
    assert r.returncode == 0 and "1 bad record" not in r.stderr  # (-q)
    report = json.loads(run_cli("infer", *map(str, files), "--records-path", "aircraft", "--report", "json").stdout)
    assert report["bad_records"] == 1 and report["bad_examples"][0]["file"] == str(files[1])
    # one document alone that does not parse leaves nothing to infer from: said as before (exit 2)
    r = run_cli("infer", str(files[1]), "--records-path", "aircraft")
    assert r.returncode == 2 and "Invalid JSON: the JSON document is truncated" in r.stderr
    with pytest.raises(mapper.InputError, match="truncated"):
        mapper.infer(texts[1], records_path="aircraft")


# --- the real documents ---------------------------------------------------------------------


def test_the_real_piaware_capture_maps_with_records_path_aircraft():
    path = data_file("adsb/aircraft-piaware-2023-01-15.json")
    doc = json.loads(path.read_bytes())
    m = mapper.compile_sink(SINK)
    inside = m.map(path, records_path="aircraft", on_error="skip")
    alone = m.map(doc["aircraft"], on_error="skip")
    assert rows_and_errors(inside) == rows_and_errors(alone)
    assert inside.report.records == len(doc["aircraft"]) > 100
    # each record's line is where it starts in the file
    text = path.read_bytes().split(b"\n")
    for err in inside.report.errors:
        assert json.dumps(doc["aircraft"][err.record]["hex"]).encode() in text[err.line - 1]


def test_the_real_twitter_search_document_maps_with_records_path_statuses():
    path = data_file("json-corpora/twitter.json")
    sink = id_schema(column("text", "string"))
    m = mapper.compile_sink(sink)
    doc = json.loads(path.read_bytes())
    batch = m.map(path, records_path="statuses")
    # the endpoint decodes numbers as float64: 18-digit ids come back rounded, with a warning
    assert batch.ids.tolist() == [int(float(s["id"])) for s in doc["statuses"]]
    assert batch.report.warning_counts[("id", "int_precision")] == sum(int(float(s["id"])) != s["id"] for s in doc["statuses"]) > 0
    without = m.validate(path)
    assert without.records == 1 and "`statuses` (100 objects)" in without.notes[0]


@pytest.mark.parametrize("indent", [2, 4, None])
def test_objects_one_after_another_are_a_record_each_on_the_line_it_starts(indent, tmp_path):
    # `jq . file` prints each object over lines: read as NDJSON before, one bogus record per line
    m = mapper.compile_sink(SINK)
    planes = PLANES[:12]
    text = b"".join(json.dumps(p, indent=indent or None).encode() + b"\n" + (b"\n" if i % 4 == 3 else b"") for i, p in enumerate(planes))
    per_line = b"".join(json.dumps(p).encode() + b"\n" for p in planes)
    expected = rows_and_errors(m.map(per_line, on_error="skip"))
    starts, line = [], 1
    for chunk in text.split(b"\n}\n") if indent else []:
        starts.append(line + (1 if chunk.startswith(b"\n") else 0))
        line += chunk.count(b"\n") + 2
    for given in (text, str(tmp_path / "p.json")):
        (tmp_path / "p.json").write_bytes(text)
        batch = m.map(given, on_error="skip")
        assert rows_and_errors(batch) == expected
        if indent:
            assert [e.line for e in batch.report.errors] == [starts[e.record] for e in batch.report.errors]
    if indent:  # a value that does not parse ends the reading: one broken record from where it starts
        report = m.validate(text + b'{\n  "hex": "zz",\n', on_error="skip")
        assert report.records == len(planes) + 1 and [e.code for e in report.errors if e.record == len(planes)] == ["invalid_json"]
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    p = subprocess.run([sys.executable, "-m", "mapper", "validate", str(sink), "-", "--report", "json", "--on-error", "skip"], input=text, capture_output=True)
    assert json.loads(p.stdout)["records"] == len(planes)


# --- found by a bug hunt: entry points that disagreed -------------------------------------


def test_a_record_is_placed_on_its_own_line_when_the_same_text_stands_earlier_in_the_document():
    # the first record was searched from the document's start: the copy under "previous" won
    m = mapper.compile_sink(SINK)
    plane = {"hex": "a1", "alt_baro": "ground"}
    text = json.dumps({"previous": [plane], "aircraft": [plane, plane]}, indent=2).encode()
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip() == b"{"][1:]  # the document's own "{" is first
    assert [(e.record, e.line) for e in m.validate(text, records_path="aircraft").errors] == [(0, starts[1]), (1, starts[2])]


def test_documents_one_after_another_each_give_their_records():
    # `jq . a.json b.json` with --records-path: one invalid_json for all, with a hint that made it worse
    m = mapper.compile_sink(SINK)
    docs = [document(PLANES[:3]), document(PLANES[3:5])]
    text = b"".join(json.dumps(d, indent=2).encode() + b"\n" for d in docs) + b'{"aircraft": [\n'
    report = m.validate(text, records_path="aircraft")
    lines = text.splitlines()
    assert lines[3].strip() == b'"aircraft": [' and lines[4].strip() == b"{"  # record 0 (alt "ground") starts on line 5
    assert report.records == 6 and report.error_counts == {("alt", "invalid_value"): 1, (None, "invalid_json"): 1}
    assert [(e.record, e.line) for e in report.errors] == [(0, 5), (5, len(lines))]  # the broken last document: where it starts
    assert m.map(text, records_path="aircraft", on_error="skip").to_rows() == m.map(PLANES[:5], on_error="skip").to_rows()


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("size", [(1 << 16) - 3, 1 << 16, (1 << 16) + 1, (1 << 16) + 2])
def test_the_format_is_the_same_from_bytes_a_file_a_stream_and_workers(bom, size, tmp_path):
    # a BOM file of more than 64 KiB was read as NDJSON (the cut head taken for all of it),
    # and bytes, files and the workers' split disagreed at exactly 64 KiB
    m = mapper.compile_sink(SINK)
    body = json.dumps(document(PLANES), indent=2).encode()
    pad = size - len(bom) - len(body) - 1
    data = bom + body[:-1] + b" " * max(pad, 0) + body[-1:] + b"\n"
    assert len(data) == size or pad < 0
    path = tmp_path / "doc.json"
    path.write_bytes(data)
    want = m.validate(body, records_path="aircraft")
    assert want.records == 40
    for source in (data, path, str(path)):
        for workers in (1, 2):
            got = m.validate(source, records_path="aircraft", workers=workers)
            assert (got.records, got.error_counts) == (want.records, want.error_counts), (source if isinstance(source, str) else type(source), workers)
    with path.open("rb") as fh:
        assert m.validate(fh, records_path="aircraft").records == 40


def test_records_paths_through_keys_msgspec_cannot_name():
    # a key holding a backslash, a quote or a control character made valid JSON "invalid_json"
    # (msgspec names no Struct field so); the dicts of the same document mapped
    m = mapper.compile_sink(id_schema(column("c", "string", path=["v"])))
    cases = [
        (["a\\b"], {"a\\b": [{"id": 1, "v": "x"}], "other": {"a\\b": 1}}),
        ('meta."x\\"y"', {"meta": {'x"y': [{"id": 1, "v": "x"}, {"id": 2, "v": "y"}]}}),
        (["m\n", "q", "z\x01"], {"m\n": {"q": {"z\x01": [{"id": 3, "v": "z"}]}}}),
    ]
    for path, doc in cases:
        text = json.dumps(doc)
        want = m.map([doc], records_path=path).to_rows()
        assert want and m.map(text, records_path=path).to_rows() == want, path
        ndjson = (text + "\n") * 3
        assert m.map(ndjson.encode(), records_path=path).to_rows() == want * 3
        assert m.map(ndjson.encode(), records_path=path, workers=2).to_rows() == want * 3
    report = m.validate(json.dumps({"p": {"a\\b": 5}}), records_path=["p", "a\\b"])
    # (named as the path is written: the key quoted, as --records-path takes it)
    assert report.errors[0].reason == 'no records at `p."a\\\\b"`: the value at `p."a\\\\b"` is a number, not an array of records'
    # what is wrong after such a key is located in the document, as after any other key
    for doc, why in (
        ({"c": {"d\n": {"e": 3}}}, 'the value at `c."d\\n".e` is a number, not an array of records'),
        ({"c": {"d\n": [3]}}, 'the value at `c."d\\n"` is an array, not an object'),
        ({"c": {"d\n": {}}}, 'no key `e` in the object at `c."d\\n"`'),
    ):
        assert m.validate(json.dumps(doc), records_path=["c", "d\n", "e"]).errors[0].reason.endswith(why), doc
    assert 'no key `"a\\\\b"`' in m.validate('{"x": 1}', records_path=["a\\b"]).errors[0].reason


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        ("orders", {"meta": {"orders": [{"id": 1}]}}),
        ("orders", 5),
        ("orders", {"orders": {"a": 1}}),
        ("orders", [1]),
        ("meta.orders", {"meta": 3}),
        ("meta.orders", {"meta": {"x": 1}, "list": [{"a": 1}, {"a": 2}]}),
        ("orders", {"o": [{"a": 1}], "orders": "x"}),
    ],
)
def test_a_python_document_without_records_is_worded_as_its_json_text_is(path, doc):
    # found by a bug hunt: Python documents had their own words ("the document is a int",
    # "it holds a NoneType") and no hint of where the arrays of objects are
    m = mapper.compile_sink(SINK)
    as_text = m.validate(json.dumps(doc).encode() + b"\n", records_path=path).errors
    as_python = m.validate([doc], records_path=path).errors
    assert [(e.code, e.reason) for e in as_python] == [(e.code, e.reason) for e in as_text]
    assert as_text[0].code == "no_records"


# --- found by a bug hunt: a broken first value, and where JSON errors point ------------------


@pytest.mark.parametrize("count", [3, 2000])  # all of it in the format head (64 KiB), and more than it
def test_objects_one_after_another_whose_first_is_broken_lose_none_of_the_others(count):
    # the first object failing made the whole input one record (over 64 KiB) or every line a
    # record (under it): the good objects after it were refused
    m = mapper.compile_sink(SINK)
    planes = [{"hex": f"b{i}", "alt_baro": i, "flight": "x" * 40} for i in range(1, count)]
    text = b'{\n  "hex": "b0",\n}\n' + b"".join(json.dumps(p, indent=2).encode() + b"\n" for p in planes)
    report = m.validate(text)
    assert (report.records, report.success_count) == (count, count - 1)
    assert [(e.record, e.line, e.code) for e in report.errors] == [(0, 1, "invalid_json")]
    assert "at line 3 char 1 of the record" in report.errors[0].message  # the "}" after the trailing comma
    assert m.map(text, on_error="skip").to_rows() == m.map(planes).to_rows()


def test_ndjson_whose_first_two_lines_are_broken_is_read_a_line_at_a_time_beyond_the_format_head():
    # over 64 KiB, a first line cut after a comma and a second that is no object made the
    # whole file one refused record
    m = mapper.compile_sink(SINK)
    good = [{"hex": f"c{i}", "alt_baro": i} for i in range(3000)]
    text = b'{"hex": "c",\n[2]\n' + b"".join(json.dumps(p).encode() + b"\n" for p in good)
    assert len(text) > 1 << 16
    report = m.validate(text, on_error="skip")
    assert (report.records, report.success_count) == (3002, 3000)
    assert [(e.record, e.line, e.code) for e in report.errors] == [(0, 1, "invalid_json"), (1, 2, "not_an_object")]


@pytest.mark.parametrize(
    ("first", "refused"),
    [
        # an invalid UTF-8 byte in a string (a record, stored with the byte replaced)
        (b'{"hex": "a\xff"}', False),
        # an unpaired surrogate escape (stored as U+FFFD), which msgspec refuses
        (b'{"hex": "a\\ud800"}', False),
        # NaN: no JSON, which the standard library's reading of documents takes
        (b'{"hex": NaN}', True),
    ],
)
def test_ndjson_whose_first_line_is_odd_is_still_read_a_line_at_a_time(first, refused):
    # the first record was taken for no JSON (or for a document), the input read as values one
    # after another, and two broken lines after it merged into one refused record: a record
    # gone from the count
    m = mapper.compile_sink(SINK)
    report = m.validate(first + b'\nxx\nnot json\n{"hex": "b"}\n')
    assert report.records == 4
    assert [(r.record, r.line, r.raw) for r in report.rejected] == [(0, 1, first)] * refused + [(1, 2, b"xx"), (2, 3, b"not json")]


def test_an_object_holding_nan_spread_over_lines_is_one_bad_record():
    m = mapper.compile_sink(SINK)
    # pretty-printed, an object holding NaN is still one bad record over its lines
    report = m.validate(b'{\n  "hex": NaN\n}\n{\n  "hex": "b"\n}\n')
    assert report.records == 2 and [(r.record, r.line) for r in report.rejected] == [(0, 1)]


def test_trailing_characters_are_placed_on_the_first_of_them():
    # msgspec points one byte past the first trailing character (after an array, junk that starts
    # no JSON value is said to be junk: no hint that the input holds several values)
    m = mapper.compile_sink(SINK)
    for text, after in ((b'{"hex": "a"} x\n', " "), (b'[{"hex": "a"}] x', " (nothing but blanks may follow its closing ])")):
        assert f"trailing characters at char {text.rindex(b'x') + 1}{after}" in m.validate(text).errors[0].message


def test_the_record_size_limit_is_each_records_not_a_one_line_documents(tmp_path):
    # a compact document (or a line of NDJSON documents) longer than --max-record-size was
    # one too_large record: every record in it lost
    m = mapper.compile_sink(SINK)
    planes = [{"hex": f"d{i}", "alt_baro": i, "flight": "x" * 100} for i in range(30)]
    planes[7]["flight"] = "y" * 2000  # this one record is too large
    doc = json.dumps(document(planes)).encode()
    path = tmp_path / "docs.ndjson"
    path.write_bytes(doc + b"\n" + doc + b"\n")
    for source in (doc, doc + b"\n" + doc + b"\n", path, str(path)):
        for workers in (1, 2):
            report = m.validate(source, records_path="aircraft", max_record_size=1024, workers=workers, on_error="skip")
            n = 30 if source is doc else 60
            assert (report.records, report.success_count) == (n, n - n // 30), (type(source), workers)
            assert {(e.record % 30, e.code) for e in report.errors} == {(7, "too_large")}
    with path.open("rb") as fh:
        assert m.validate(fh, records_path="aircraft", max_record_size=1024, on_error="skip").success_count == 58


def test_a_one_line_document_longer_than_the_format_head_gets_the_note_from_every_source(tmp_path):
    # only bytes in memory got it: a file, a stream or gzip of more than 64 KiB did not, and
    # infer exited 0 with a one-record draft
    import gzip
    import io

    m = mapper.compile_sink(SINK)
    planes = [dict(p, flight="x" * 2000) for p in PLANES]
    line = json.dumps(document(planes)).encode() + b"\n"
    assert len(line) > 1 << 16
    path = tmp_path / "doc.json"
    path.write_bytes(line)
    zipped = tmp_path / "doc.json.gz"
    zipped.write_bytes(gzip.compress(line))
    for given in (line, path, zipped, io.BytesIO(line), io.BytesIO(gzip.compress(line))):
        report = m.validate(given)
        assert report.records == 1 and len(report.notes) == 1 and "--records-path aircraft" in report.notes[0], type(given)
    # two lines: two records, each such a document: the note of NDJSON of documents, as its bytes get it
    assert m.validate(io.BytesIO(line + line)).notes == m.validate(line + line).notes != report.notes
    r = run_cli("infer", str(path), "--id-field", "messages")
    assert r.returncode == 1 and "--records-path aircraft" in r.stderr


@pytest.mark.parametrize("key", ["a.b", "my key", "@odata.value"])
def test_the_records_path_hint_quotes_the_keys_a_path_must_quote(key):
    # the hint said meta.a.b, which names another path: following it gave no_records
    m = mapper.compile_sink(SINK)
    text = json.dumps({"meta": {key: PLANES[:3]}}).encode()
    message = m.validate(text, records_path="nowhere").errors[0].message
    suggested = message.split("records_path=")[1].rsplit(")", 2)[0]
    assert m.validate(text, records_path=eval(suggested)).records == 3, message  # the Python form, as printed


def test_objects_one_after_another_are_read_in_time_linear_in_their_number():
    """`jq .` output (objects one after another, each over lines): each step copied the rest
    of the text, so 80,000 seed records took 5 minutes (20,000: 17 s); 1 s now."""
    import time

    m = mapper.compile_sink(schema(column("k", "id"), id_field="k"))

    def seconds(n: int) -> float:
        data = "".join(json.dumps({"k": i, "pad": "x" * 40}, indent=2) + "\n" for i in range(n)).encode()
        t0 = time.process_time()  # this process's CPU time (a loaded machine skews the wall clock)
        report = m.validate(data)
        elapsed = time.process_time() - t0
        assert report.records == n and report.success_count == n
        return elapsed

    runs = [(seconds(2_000), seconds(16_000)) for _ in range(2)]  # interleaved: both sizes see the same moments
    small, big = min(r[0] for r in runs), min(r[1] for r in runs)
    assert big < 8 * small * 4, (small, big)  # 8x the objects; the copying reader took ~50x (and a loaded machine once 21x where 8x was due)


def cli_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``mapper ARGS`` run in this process (fast: no interpreter started)."""
    from mapper.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def refusing_sink(tmp_path: Any) -> str:
    """SINK, but every value required: a dump1090 snapshot read as a record is refused."""
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(dict(SINK, allow_missing_fields=False)))
    return str(sink)


def test_ndjson_of_documents_read_as_records_gets_the_records_path_note(tmp_path, capsys):
    # infer named --records-path aircraft for such an input; validate and map said nothing
    sink = refusing_sink(tmp_path)
    lines = tmp_path / "dumps.ndjson"
    lines.write_text("".join(json.dumps(document(PLANES[i : i + 4], now=i)) + "\n" for i in range(5)))
    for command in (["validate"], ["map", "-o", str(tmp_path / "out.ndjson")]):
        code, out, err = cli_main(capsys, *command, sink, str(lines))
        assert code == 1, command  # a note only: the verdict stands
        assert "note: each of the first 3 records read looks like a document holding the records" in out + err
        assert "use --records-path aircraft" in out + err
    code, out, _ = cli_main(capsys, "validate", sink, str(lines), "--report", "json", "--workers", "2")
    assert code == 1 and "--records-path aircraft" in json.loads(out)["notes"][0]
    # with the path, the records: no note; records that pass: none either
    code, out, _ = cli_main(capsys, "validate", sink, str(lines), "--records-path", "aircraft")
    assert "note:" not in out
    two = tmp_path / "two.ndjson"
    two.write_text("".join(json.dumps(dict(document(PLANES[:3]), **PLANES[i + 1])) + "\n" for i in range(2)))
    code, out, _ = cli_main(capsys, "validate", sink, str(two))
    assert code == 0 and "note:" not in out


def test_records_holding_a_few_objects_get_no_document_note(tmp_path, capsys):
    # an order with its line items is a record: refused for a missing value, it is not called a document
    sink = refusing_sink(tmp_path)
    orders = tmp_path / "orders.ndjson"
    orders.write_text("".join(json.dumps({"hex": f"o{i}", "flight": "x", "customer": "Ada", "total": 3, "items": [{"sku": 1}]}) + "\n" for i in range(4)))
    code, out, _ = cli_main(capsys, "validate", sink, str(orders))
    assert code == 1 and "note:" not in out


def test_ndjson_of_arrays_of_records_says_how_to_get_one_record_a_line(tmp_path, capsys):
    sink = refusing_sink(tmp_path)
    arrays = tmp_path / "arrays.ndjson"
    arrays.write_text('[{"hex":"1"},{"hex":"2"}]\n[{"hex":"3"}]\n')
    code, out, _ = cli_main(capsys, "validate", sink, str(arrays))
    assert code == 1 and "not_an_object 2" in out
    assert "note: each line holds a JSON array of objects, not one record" in out and f"jq -c '.[]' {arrays}`" in out
    # forced to one JSON document: not "--input-format ndjson", which refuses each array alike
    code, out, _ = cli_main(capsys, "validate", sink, str(arrays), "--input-format", "json")
    assert code == 1 and "--input-format ndjson" not in out and "arrays one after another" in out and f"jq -c '.[]' {arrays}`" in out
    # arrays of other things, or a few among records: no such note
    arrays.write_text("[1, 2]\n[3]\n")
    assert "note:" not in cli_main(capsys, "validate", sink, str(arrays))[1]


def test_no_records_names_the_path_as_written_and_cuts_a_long_key():
    m = mapper.compile_sink(SINK)
    doc = json.dumps({"a": {"b": PLANES[:2]}})
    assert m.validate(doc, records_path=["a.b"]).errors[0].reason.startswith('no records at `"a.b"`: no key `"a.b"`; arrays of objects are at `a.b`')
    assert m.validate(doc, records_path=["a", ""]).errors[0].reason.startswith('no records at `a.""`: no key `""` in the object at `a`')
    key = "k" * 100_000
    for given in (doc, json.loads(doc), (doc + "\n") * 3):
        for e in m.validate(given, records_path=[key, "b"]).errors:
            assert len(e.reason) < 500 and "(100,002 characters)" in e.reason and "(100,000 characters)" in e.reason, type(given)


def test_the_head_kept_to_explain_failures_leaves_out_a_line_its_end_cuts():
    from mapper.engine.reader import HEAD_BYTES, head_lines, head_note

    line = json.dumps(document(PLANES)).encode() + b"\n"
    head = (line * (HEAD_BYTES // len(line) + 1))[:HEAD_BYTES]  # as validate keeps it: cut at HEAD_BYTES
    lines = head_lines(head, 10_000)
    assert lines and all(text == line.strip() for text in lines)
    assert "--records-path aircraft" in head_note(head_lines(head), 100, arrays=False)


def test_an_array_of_documents_at_a_records_path_is_told_how_to_read_them(tmp_path, capsys):
    # a JSON file of snapshots, [{"now": ..., "aircraft": [...]}, ...]: validate, map and infer said
    # only "no records at `aircraft`: Expected `object`, got `array`" (infer: "1 record read, not JSON objects")
    docs = [document(PLANES[:2], now=1), document(PLANES[2:4], now=2)]
    path = tmp_path / "snapshots.json"
    path.write_text(json.dumps(docs, indent=1))
    hint = f"its elements are 2 documents that each hold `aircraft`: put them one a line (`jq -c '.[]' {path}`) and give that with --records-path aircraft"
    code, out, _ = cli_main(capsys, "validate", refusing_sink(tmp_path), str(path), "--records-path", "aircraft")
    assert code == 1 and "no_records 1" in out and f"no records at `aircraft`: the document is an array, not an object; {hint}" in out
    code, out, err = cli_main(capsys, "infer", str(path), "--records-path", "aircraft")
    assert code == 2 and out == ""
    assert err.startswith("mapper: no records to infer a sink from: 1 document read, none holding the --records-path array (record 0, line 1: ") and hint in err
    # NDJSON of such arrays: the same, each line
    lines = tmp_path / "snapshots.ndjson"
    lines.write_text((json.dumps(docs) + "\n") * 2)
    code, out, _ = cli_main(capsys, "validate", refusing_sink(tmp_path), str(lines), "--records-path", "aircraft")
    assert code == 1 and out.count(hint.replace(str(path), str(lines))) == 2
    # the documents themselves, one a line, as the hint says: the records
    lines.write_text("".join(json.dumps(d) + "\n" for d in docs))
    code, out, _ = cli_main(capsys, "validate", refusing_sink(tmp_path), str(lines), "--records-path", "aircraft", "--report", "json")
    assert json.loads(out)["records"] == 4 and "no_records" not in out
    # from Python, a list holding the documents' list: worded for the API
    m = mapper.compile_sink(SINK)
    reason = m.validate([docs], records_path="aircraft").errors[0].reason
    assert "a list of 2 documents that each hold `aircraft`: give the documents themselves as the records" in reason
    assert m.validate(docs, records_path="aircraft").records == 4
    # an array whose elements do not all hold the path: no such hint
    assert "documents that each hold" not in m.validate(json.dumps([docs[0], {"now": 3}]), records_path="aircraft").errors[0].reason


def test_a_broken_document_carries_the_readers_hint_apart_from_its_reason():
    # the web UI's paste replaced the hint (it names --input-format, which the page has not) by
    # matching the message's words; the hint is now an attribute, and reason the message without it
    from mapper.engine.reader import BrokenDocument, document_units

    for data, starts in (
        (b'[{"a": 1}]\n{"a": 3}\n', "the input holds several JSON values: if each line is a record"),
        (b'[{"a": 1},\n {"a": 2}]\n[{"a": 3}]\n', "the input holds several JSON values: arrays one after another"),
    ):
        broken = [u for u in document_units(data) if isinstance(u, BrokenDocument)]
        assert len(broken) == 1
        unit = broken[0]
        assert unit.hint.startswith(starts) and unit.message == f"{unit.reason}; {unit.hint}"
        assert unit.reason.startswith("Invalid JSON: ") and "several JSON values" not in unit.reason
    unit = next(u for u in document_units(b"[1, 2") if isinstance(u, BrokenDocument))
    assert unit.hint == "" and unit.reason == unit.message
    # a document without the records path: the hint where arrays of objects are
    unit = next(document_units(json.dumps({"planes": PLANES[:2]}).encode(), records_path=("aircraft",)))
    assert isinstance(unit, BrokenDocument) and unit.code == "no_records"
    assert unit.reason == "no records at `aircraft`: no key `aircraft`" and unit.hint.startswith("arrays of objects are at `planes` (2 objects)")


# --- documents given as text items -----------------------------------------------------------


def _made_ndjson(items: list[Any]) -> bytes:
    """The NDJSON the items make, one a line (a text item ending in a newline keeps it)."""
    texts = [i.encode() if isinstance(i, str) else i if isinstance(i, bytes) else json.dumps(i).encode() for i in items]
    return b"".join(t if t.endswith(b"\n") else t + b"\n" for t in texts)


@pytest.mark.parametrize("layout", ["one-line", "pretty", "mixed"])
def test_text_documents_give_their_records_the_lines_of_the_ndjson_they_make(layout):
    # each text's lines were counted from 1: a record failing in the third document was on
    # "line 1" (one-line documents) or on its line within its own text (pretty ones)
    m = mapper.compile_sink(SINK)
    docs = [document(PLANES[i : i + 4], now=i) for i in (2, 7, 12)]  # PLANES[5], [10] and [15] say "ground": record 3 of each
    text = {"one-line": lambda d: json.dumps(d), "pretty": lambda d: pretty(d).decode(), "mixed": lambda d: pretty(d)}[layout]
    items: list[Any] = [text(d) for d in docs]
    if layout == "mixed":
        items[0] = docs[0]  # a Python document: one line
    report = m.validate(items, records_path="aircraft")
    assert [(e.record, e.code) for e in report.errors] == [(3, "invalid_value"), (7, "invalid_value"), (11, "invalid_value")]
    joined = _made_ndjson(items)
    if layout != "mixed":  # (as NDJSON of documents, or documents one after another as `jq .` prints them)
        assert [e.line for e in report.errors] == [e.line for e in m.validate(joined, records_path="aircraft").errors]
    lines = joined.split(b"\n")
    for e, hex_ in zip(report.errors, ("a00005", "a0000a", "a0000f")):
        if e.line is None:  # (a Python document's records have no line)
            assert layout == "mixed" and e.record == 3
            continue
        assert f'"hex": "{hex_}"'.encode() in lines[e.line - 1], (e, lines[e.line - 1])
    assert [e.line for e in report.errors] == {"one-line": [1, 2, 3], "pretty": [7, 16, 25], "mixed": [None, 8, 17]}[layout]


def test_the_lines_of_a_files_readlines_are_the_files(tmp_path):
    m = mapper.compile_sink(SINK)
    path = tmp_path / "docs.ndjson"
    path.write_bytes(b"".join(json.dumps(document(PLANES[i : i + 10], now=i)).encode() + b"\n" for i in range(0, 40, 10)))
    from_file = [(e.record, e.line) for e in m.validate(path, records_path="aircraft").errors]
    assert from_file[-1] == (35, 4)
    with open(path, "rb") as fh:
        items = fh.readlines()
    assert [(e.record, e.line) for e in m.validate(items, records_path="aircraft").errors] == from_file


@pytest.mark.parametrize("blank_text", ["", b"", "  \n", b"\t"])
def test_a_blank_text_document_is_refused_as_a_blank_text_record_is(blank_text):
    # it was passed over without a word (records 4, no error): as a blank text among records
    # given as texts is refused, so is a blank document's; a blank line of NDJSON stays skipped
    m = mapper.compile_sink(SINK)
    items = [json.dumps(document(PLANES[1:3])), blank_text, json.dumps(document(PLANES[3:5]))]
    report = m.validate(items, records_path="aircraft", on_error="skip")
    assert report.records == 5 and report.failed_records == 1
    assert [(e.record, e.line, e.code, e.reason) for e in report.errors] == [(2, 2, "invalid_json", "no document: the text is empty")]
    batch = m.map(items, records_path="aircraft", on_error="skip")
    assert [r["_id"] for r in batch.to_rows()] == ["a00001", "a00002", "a00003", "a00004"]
    as_ndjson = m.validate(b"\n".join(i.encode() if isinstance(i, str) else i for i in items) + b"\n", records_path="aircraft")
    assert as_ndjson.records == 4 and not as_ndjson.errors  # (NDJSON: blank lines skipped, with or without a records path)


def test_real_captures_given_as_text_documents_name_the_lines_of_their_ndjson():
    piaware = data_file("adsb/aircraft-piaware-2023-01-15.json").read_bytes()
    mqtt = data_file("adsb/aircraft-dump1090mqtt-2026-07-29.json").read_bytes()
    m = mapper.compile_sink(SINK)
    items = [mqtt, piaware.decode(), mqtt, piaware]
    report = m.validate(items, records_path="aircraft", on_error="skip")
    docs = [json.loads(t) for t in items]
    records = [p for d in docs for p in d["aircraft"]]
    assert report.records == len(records) and report.errors
    lines = _made_ndjson(items).split(b"\n")
    third_and_fourth = len(docs[0]["aircraft"]) + len(docs[1]["aircraft"])
    assert any(e.record >= third_and_fourth for e in report.errors)
    for e in report.errors:
        assert json.dumps(records[e.record]["hex"]).encode() in lines[e.line - 1], (e, lines[e.line - 1])


def test_ndjson_of_request_bodies_is_not_told_to_read_their_items_as_records():
    # found: request bodies one a line (each line one record, refused: no id) got the note "arrays
    # of objects are at `records`: if those are the records, use --records-path records", which
    # reads the items, {"value": {...}}, as the records: every record refused again, the note's
    # advice wrong. The note now says they are request bodies and how to put their records one a line
    m = mapper.compile_sink(SINK)
    line = json.dumps({"records": [{"value": p} for p in PLANES[:4]]}).encode()
    for given in (line + b"\n" + line + b"\n", line + b"\n" + line):
        report = m.validate(given)
        (note,) = report.notes
        assert report.records == 2 and "--records-path" not in note and "request body" in note and "jq -c '.records[].value' FILE" in note, note
    assert m.validate(line).records == 4  # (one body alone is read as one)
    # a document whose records are not request body items keeps its --records-path note
    assert "--records-path aircraft" in m.validate(json.dumps(document(PLANES)).encode() + b"\n").notes[0]
