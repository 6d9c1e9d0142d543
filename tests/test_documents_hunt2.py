"""Records inside documents (``records_path``, ``--records-path``): faults a second hunt found,
one small case each, read alike by validate, map, iter_batches and infer."""

from __future__ import annotations

import json
import re

import pytest

import mapper
from tests.test_documents import SINK

A = {"hex": "a1", "alt_baro": 1}
B = {"hex": "b2", "alt_baro": 2}


def seen(data: bytes, path: str | list[str]) -> tuple[object, ...]:
    """What validate, map, iter_batches and infer make of ``data``: they must agree."""
    m = mapper.compile_sink(SINK)
    report = m.validate(data, records_path=path)
    errors = [(e.record, e.line, e.code) for e in report.errors]
    batch = m.map(data, records_path=path, on_error="skip")
    assert [(e.record, e.line, e.code) for e in batch.report.errors] == errors
    (part,) = list(m.iter_batches(data, records_path=path, on_error="skip"))
    assert [(e.record, e.line, e.code) for e in part.report.errors] == errors
    rows = batch.to_rows()
    if rows:  # infer needs a record to draft from
        drafted = mapper.infer(data, records_path=path)
        assert (drafted.records, drafted.bad_records) == (report.records, report.failed_records)
    return report.records, errors, rows


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"aircraft": 5}, "aircraft"),  # an earlier value that is no array
        ({"aircraft": None}, "aircraft"),
        ({"d": {"x": 1}}, "d.aircraft"),  # an earlier object without the key
        ({"d": 5}, "d.aircraft"),
        ({'q"x': 5}, ['q"x']),  # (a key msgspec cannot name a field after)
    ],
)
def test_a_key_given_twice_counts_by_its_last_value(doc, path):
    # Go's decoder (and mapper for a record's own keys) keeps a key's last value: the records
    # were refused, no_records, when an earlier value of a key on the path was not the array
    keys = [path] if isinstance(path, str) and "." not in path else (path if isinstance(path, list) else path.split("."))
    last: object = [A, B]
    for key in reversed(keys[1:]):
        last = {key: last}
    first = json.dumps(doc)[:-1]
    text = (first + ", " + json.dumps(keys[0]) + ": " + json.dumps(last) + "}").encode()
    assert seen(text, path) == (2, [], [{"_id": "a1", "alt": 1}, {"_id": "b2", "alt": 2}])
    # the last no array: no records, as before
    text = ('{"' + keys[0].replace('"', '\\"') + '": ' + json.dumps(last) + ", " + json.dumps(doc)[1:]).encode()
    if doc == {"aircraft": None}:  # the last null: no records and no error, as `[]` (Go reads null into a slice so; tests/test_locations2.py)
        report = mapper.compile_sink(SINK).validate(text, records_path=path)
        assert (report.records, report.errors, len(report.notes)) == (0, [], 1)
        return
    records, errors, rows = seen(text, path)
    assert (records, [code for _r, _l, code in errors], rows) == (1, ["no_records"], [])


def _char(message: str) -> int:
    m = re.search(r"char (\d+)", message)
    assert m, message
    return int(m.group(1))


def test_a_broken_pretty_printed_document_loses_none_of_the_documents_after_it():
    # `jq . a.json b.json` whose first document was cut: one invalid_json for the whole input,
    # the next document's records lost with it (a broken last one was read so already)
    good = json.dumps({"now": 2, "aircraft": [A, B]}, indent=2)
    cut = json.dumps({"now": 1, "aircraft": [A]}, indent=2)[:-4]
    text = (cut + "\n" + good + "\n").encode()
    records, errors, rows = seen(text, "aircraft")
    assert (records, [(r, code) for r, _l, code in errors]) == (3, [(0, "invalid_json")])
    assert rows == [{"_id": "a1", "alt": 1}, {"_id": "b2", "alt": 2}]
    assert errors[0][1] <= cut.count("\n") + 1  # (within the broken document)


def test_trailing_garbage_after_a_pretty_printed_document_is_one_bad_record_for_infer_too():
    # validate counted the garbage one bad record and went on; infer stopped on it (InputError)
    text = (json.dumps({"now": 1, "aircraft": [A, B]}, indent=2) + "\nxyz\n").encode()
    assert seen(text, "aircraft")[:2] == (3, [(2, 14, "invalid_json")])


@pytest.mark.parametrize("ending", [" xyz", "}"])
def test_trailing_garbage_on_a_documents_line_is_placed_on_its_first_character(ending):
    # the garbage was placed at `char 1` of its line, counted from where it starts
    line = json.dumps({"now": 1, "aircraft": [A, B]})
    m = mapper.compile_sink(SINK)
    for text in (line + ending + "\n", json.dumps({"aircraft": [B]}) + "\n" + line + ending + "\n"):
        report = m.validate(text.encode(), records_path="aircraft")
        (err,) = report.errors
        assert (err.code, err.line) == ("invalid_json", text.count("\n"))
        assert _char(err.message) == len(line) + len(ending) - len(ending.lstrip()) + 1, err.message


def test_a_broken_document_whose_lines_start_with_its_records_stays_one_broken_document():
    # (the split above must not cut one document written with its records at the line start
    # into pieces, each a misleading error: no_records for a record taken for a document)
    text = b'{"aircraft": [\n{"hex": "a1"},\n{"hex": tru}\n]}\n'
    report = mapper.compile_sink(SINK).validate(text, records_path="aircraft")
    assert [(e.record, e.line, e.code) for e in report.errors] == [(0, 3, "invalid_json")]
    assert _char(report.errors[0].message) == 12  # (the `}` where `e` should be)


@pytest.mark.parametrize(
    "first",
    [{"now": 1}, {"now": 1, "aircraft": 5}, {"now": 1, "aircraft": {"hex": "x"}}],
)
@pytest.mark.parametrize("indent", [2, None])
def test_documents_after_one_without_the_array_keep_their_records(first, indent):
    # `jq . status.json aircraft.json`: the first document without the array made the whole
    # input one no_records error, every record of the documents after it lost
    docs = [first, {"now": 2, "aircraft": [A, B]}]
    text = (" " if indent is None else "\n").join(json.dumps(d, indent=indent) for d in docs) + "\n"
    records, errors, rows = seen(text.encode(), "aircraft")
    assert (records, [(r, line, code) for r, line, code in errors], rows) == (3, [(0, 1, "no_records")], [{"_id": "a1", "alt": 1}, {"_id": "b2", "alt": 2}])


@pytest.mark.parametrize("bad", ['"x": tru', '"x": [1,]', '"x": 01'])
def test_a_document_that_is_no_json_is_invalid_json_wherever_the_fault_stands(bad):
    # the fault after a value at the path that is no array: it was no_records (the Structs
    # stopped at the first value that did not fit), where Go's decoder says the text is no JSON
    m = mapper.compile_sink(SINK)
    text = '{"now": 1, "aircraft": 5, ' + bad + "}"
    (err,) = m.validate(text.encode(), records_path="aircraft").errors
    assert err.code == "invalid_json" and _char(err.message) > text.index(bad), err.message
    # one document of NDJSON of them: that one line, the others read on
    lines = "\n".join([json.dumps({"aircraft": [A]}), text, json.dumps({"aircraft": [B]})]) + "\n"
    report = m.validate(lines.encode(), records_path="aircraft")
    assert (report.records, [(e.record, e.line, e.code) for e in report.errors]) == (3, [(1, 2, "invalid_json")])
