"""Engine branches no other test ran (issue 12): odd records on both paths, odd inputs, odd documents.

Each expectation follows from the README (null/missing rules, the request body, records
paths, input detection) and the ingester's wording where mapper copies it.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import sys
from pathlib import Path
from typing import Any

import pytest
from sinks import column, id_schema, schema

import mapper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from depths import READ_EVERYWHERE, REFUSED_EVERYWHERE, read_here  # noqa: E402

ID_UNDER_A = schema(column("id", "id", path=["a", "id"]), column("n", "int", path=["a", "n"]), id_field="id")
PK_TWO = schema(column("k", "string", path=["a", "k"]), column("j", "int", path=["b", "j"]), primary_key_fields=["k", "j"])


def outcome(batch_or_report):
    report = getattr(batch_or_report, "report", batch_or_report)
    rows = batch_or_report.to_rows() if hasattr(batch_or_report, "to_rows") else None
    return rows, [(e.record, e.line, e.column, e.code, e.message.split(" - at ")[0].split(" (record")[0]) for e in report.errors]


@pytest.mark.parametrize("fast", [True, False])
def test_identity_under_a_non_object_is_reported_once(fast):
    m = mapper.compile_sink(ID_UNDER_A)
    rows, errors = outcome(m.map(b'{"a": 5}\n{"a": {"id": 2, "n": 3}}\n', on_error="skip", fast=fast))
    assert rows == [{"_id": 2, "n": 3}]
    # the ingester's wording, once for the element (not once per column below it)
    assert errors == [(0, 1, "n", "not_an_object", 'element at ["a"] is not an object (got `int` 5)')]


@pytest.mark.parametrize("fast", [True, False])
def test_primary_key_under_a_non_object(fast):
    m = mapper.compile_sink(PK_TWO)
    data = b'{"a": 5, "b": {"j": 1}}\n{"a": {"k": "x"}, "b": [1]}\n{"a": {"k": "x"}, "b": {"j": 2}}\n'
    rows, errors = outcome(m.map(data, on_error="skip", fast=fast))
    assert rows == [{"_id": "x|2", "k": "x", "j": 2}]
    assert errors == [
        (0, 1, "k", "not_an_object", 'element at ["a"] is not an object (got `int` 5)'),
        (1, 2, "j", "not_an_object", 'element at ["b"] is not an object (got `array` [...] (1 item))'),
    ]


@pytest.mark.parametrize("fast", [True, False])
def test_request_body_items_that_are_not_records(fast):
    m = mapper.compile_sink(ID_UNDER_A)
    body = b'{"records": [{"value": {"a": {"id": 1}}}, 5, {"nope": 1}, {"value": 7}, {"value": null}]}'
    rows, errors = outcome(m.map(body, on_error="skip", fast=fast))
    assert rows == [{"_id": 1}]
    assert errors == [
        (1, 1, None, "not_an_object", 'the request body item is `int`, not an object with "value"'),
        (2, 1, None, "not_an_object", 'the request body item has no "value"'),
        (3, 1, None, "not_an_object", "Expected `object`, got `int` 7: a record must be a JSON object"),
        (4, 1, None, "not_an_object", "Expected `object`, got `null` null: a record must be a JSON object"),
    ]


@pytest.mark.parametrize("fast", [True, False])
def test_request_body_items_that_are_not_records_keep_their_text(fast):
    # an item without "value" went to the dead letters with an empty raw text: the item lost
    m = mapper.compile_sink(ID_UNDER_A)
    body = b'{"records": [{"value": {"a": {"id": 1}}}, 5, {"nope": 1}, {"value": 7}, {"value": null}]}'
    report = m.validate(body, fast=fast)
    assert [(r.record, r.raw) for r in report.rejected] == [(1, b"5"), (2, b'{"nope": 1}'), (3, b"7"), (4, b"null")]


def test_request_body_as_python_objects():
    m = mapper.compile_sink(ID_UNDER_A)
    rows, errors = outcome(m.map({"records": [{"value": {"a": {"id": 1}}}, 5, {"nope": 1}]}, on_error="skip"))
    assert rows == [{"_id": 1}]
    assert errors == [
        (1, None, None, "not_an_object", 'the request body item is `int`, not an object with "value"'),
        (2, None, None, "not_an_object", 'the request body item has no "value"'),
    ]
    # forced to one JSON document, the same dict is one record (with no id)
    rows, errors = outcome(m.map({"records": [{"value": {"a": {"id": 1}}}]}, on_error="skip", input_format="json"))
    assert rows == [] and errors == [(0, None, "id", "invalid_id", "the record's id (id) is missing")]


@pytest.mark.parametrize(
    ("doc", "path", "message"),
    [
        ({"x": []}, "data", "no records at `data`: no key `data`"),
        ({"data": 5}, "data.items", "no records at `data.items`: the value at `data` is a number, not an object"),
        ({"data": {"a": 1}}, "data", "no records at `data`: the value at `data` is an object, not an array of records"),
    ],
)
def test_records_path_in_python_documents_that_lack_it(doc, path, message):
    m = mapper.compile_sink(ID_UNDER_A)
    rows, errors = outcome(m.map(doc, records_path=path, on_error="skip"))
    assert rows == [] and errors == [(0, None, None, "no_records", message)]


def test_records_path_over_several_python_documents():
    m = mapper.compile_sink(ID_UNDER_A)
    batch = m.map([{"data": [{"a": {"id": 4}}]}, {"data": ({"a": {"id": 5}}, {"a": {"id": 6}})}], records_path="data")
    assert batch.to_rows() == [{"_id": 4}, {"_id": 5}, {"_id": 6}]


def test_inputs_that_are_not_records_are_input_errors():
    m = mapper.compile_sink(ID_UNDER_A)
    with pytest.raises(mapper.InputError, match="cannot read records from a Python builtins.int: give NDJSON"):
        m.map(5)
    with pytest.raises(mapper.InputError, match="cannot read records from a Python builtins.NoneType: give NDJSON"):
        m.validate(None)
    with pytest.raises(mapper.InputError, match=r"no such file: nope.ndjson \(a str is a file name unless it holds JSON"):
        m.map("nope.ndjson")
    with pytest.raises(mapper.OptionError, match="unknown input format 'xml'"):
        m.map(b"{}", input_format="xml")


@pytest.mark.parametrize(
    ("make", "ids"),
    [
        (lambda: io.BytesIO(gzip.compress(b'{"a": {"id": 1}}\n{"a": {"id": 2}}\n')), [1, 2]),  # gzip on a stream
        (lambda: io.BytesIO(b'\xef\xbb\xbf{"a": {"id": 1}}\n'), [1]),  # a BOM on a stream
        (lambda: io.BytesIO(b'[{"a": {"id": 1}},\n{"a": {"id": 2}}]'), [1, 2]),  # a JSON array over lines
        (lambda: gzip.compress(b'{"a": {"id": 3}}\n'), [3]),  # gzip bytes
    ],
)
def test_stream_inputs(make, ids):
    m = mapper.compile_sink(ID_UNDER_A)
    assert m.map(make()).ids.tolist() == ids


def test_records_path_over_gzip_and_streams():
    m = mapper.compile_sink(ID_UNDER_A)
    batch = m.map(gzip.compress(b'{"d": [{"a": {"id": 1}}]}\n{"d": [{"a": {"id": 2}}]}\n'), records_path="d")
    assert batch.ids.tolist() == [1, 2]
    rows, errors = outcome(m.map(io.BytesIO(b'{"d": [{"a": {"id": 1}}]}\n{"x": 1}\n'), records_path="d", on_error="skip"))
    assert rows == [{"_id": 1}] and errors == [(1, 2, None, "no_records", "no records at `d`: no key `d`")]


@pytest.mark.parametrize("pack", [gzip.compress, bz2.compress, lzma.compress])
def test_a_compressed_files_own_handle_is_closed_with_its_reader(pack, tmp_path, monkeypatch):
    # GzipFile, BZ2File and LZMAFile given a file object leave it open: each compressed input's
    # file was left to the garbage collector (a ResourceWarning), open after iter_batches ended
    from mapper.engine import reader

    opened: list[Any] = []
    real_open = open

    def spy(*args: Any, **kwargs: Any) -> Any:
        fh = real_open(*args, **kwargs)
        opened.append(fh)
        return fh

    monkeypatch.setattr(reader, "open", spy, raising=False)
    path = tmp_path / "r.ndjson.z"
    path.write_bytes(pack(b'{"a": {"id": 1}}\n{"a": {"id": 2}}\n{"a": {"id": 3}}\n'))
    m = mapper.compile_sink(ID_UNDER_A)
    assert m.validate(path).records == 3
    batches = m.iter_batches(path, records=1)
    assert len(next(batches)) == 1
    batches.close()  # left early
    assert len(opened) == 2 and all(fh.closed for fh in opened)


@pytest.mark.parametrize("records_path", [None, "d"])
def test_a_stream_cut_midway_says_after_which_line(records_path, tmp_path):
    # "cannot read r.gz: Compressed file ended before the end-of-stream marker was reached"
    # said nothing of where: the batches before it hold the records up to the line it names
    import random

    rnd = random.Random(5)  # (incompressible enough that the cut leaves lines after the first block)
    line = (lambda i: json.dumps({"d": [{"a": {"id": i, "n": rnd.random()}}]})) if records_path else (lambda i: json.dumps({"a": {"id": i, "n": rnd.random()}}))
    text = "".join(line(i) + "\n" for i in range(6_000)).encode()
    path = tmp_path / "r.gz"
    path.write_bytes(gzip.compress(text)[:-2000])
    m = mapper.compile_sink(ID_UNDER_A)
    seen = 0
    with pytest.raises(mapper.InputError, match=r"cannot read .*r\.gz: Compressed file ended .* \(after line ([\d,]+)\)$") as caught:
        for batch in m.iter_batches(path, records=1000, records_path=records_path):
            seen += batch.report.records
    after = int(caught.value.args[0].rpartition("after line ")[2].rstrip(")").replace(",", ""))
    assert 1000 < seen == after < 6_000
    long_line = json.dumps({"a": {"id": 1, "s": rnd.randbytes(150_000).hex()}}).encode() + b"\n"
    with pytest.raises(mapper.InputError, match=r"\(in line 1\)$"):  # cut past the format's head, within its first line
        m.validate(io.BytesIO(gzip.compress(long_line)[:-1000]))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'[{"a": {"id": 1}},\n {"a": ', "Invalid JSON: the JSON array is truncated"),
        (b'[{"a": {"id": 1}},\n {"a": x}]', "Invalid JSON: the JSON array is not valid JSON: invalid character 'x' at line 2 char 8: a value was expected"),
    ],
)
def test_broken_documents_are_one_error_with_a_line(data, message):
    m = mapper.compile_sink(ID_UNDER_A)
    rows, errors = outcome(m.map(data, on_error="skip"))
    assert rows == [] and errors == [(0, 2, None, "invalid_json", message)]


@pytest.mark.parametrize("fast", [True, False])
def test_oversized_records_in_the_middle_and_at_the_end(fast):
    m = mapper.compile_sink(ID_UNDER_A)
    big = b'{"a": {"id": 2, "s": "' + b"x" * 3000 + b'"}}'
    # a limit below the chunk size (256 KiB): lines between the two are measured too, in bytes and in streams
    for data, stored in ((b'{"a": {"id": 1}}\n' + big + b'\n{"a": {"id": 3}}\n', [1, 3]), (b'{"a": {"id": 1}}\n' + big, [1])):
        for records in (data, io.BytesIO(data)):
            batch = m.map(records, max_record_size=1024, on_error="skip", fast=fast)
            assert batch.ids.tolist() == stored
            assert [(e.record, e.line, e.code) for e in batch.report.errors] == [(1, 2, "too_large")]
            assert batch.report.errors[0].message.startswith(
                f"the record is {len(big):,} bytes, more than the 1,024 a record may have (--max-record-size, max_record_size=)"
            )  # (both spellings: the command line's too)
    # a line of exactly the limit is not too large; one byte more is (a CR before the newline does not count)
    exact = b'{"a": {"id": 5, "s": "' + b"y" * (1024 - 22 - 3) + b'"}}'
    assert len(exact) == 1024
    batch = m.map(exact + b"\r\n" + exact[:-3] + b'y"}}\n', max_record_size=1024, on_error="skip", fast=fast)
    assert batch.ids.tolist() == [5] and [(e.record, e.code) for e in batch.report.errors] == [(1, "too_large")]
    # documents at a records path, one per line, measured the same way
    docs = b'{"d": [{"a": {"id": 1}}]}\n{"d": [{"a": {"id": 2, "s": "' + b"z" * 2000 + b'"}}]}\n'
    batch = m.map(docs, records_path="d", max_record_size=1024, on_error="skip", fast=fast)
    assert batch.ids.tolist() == [1] and [e.code for e in batch.report.errors] == ["too_large"]


@pytest.mark.parametrize("fast", [True, False])
def test_numbers_beyond_float64_and_lone_surrogates(fast):
    m = mapper.compile_sink(ID_UNDER_A)
    rows, errors = outcome(m.map(b'{"a": {"id": 1, "n": ' + b"9" * 500 + b"}}\n", on_error="skip", fast=fast))
    assert rows == [] and [(e[2], e[3]) for e in errors] == [("n", "out_of_range")]
    assert errors[0][4].startswith("number 9999") and "beyond the float64 range" in errors[0][4]
    pk = mapper.compile_sink(PK_TWO)
    assert pk.map(b'{"a": {"k": "\\ud800x"}, "b": {"j": 1}}\n', fast=fast).to_rows() == [{"_id": "\ufffdx|1", "k": "\ufffdx", "j": 1}]
    # JSON -0 into an int is 0 (Go's int64(-0.0))
    assert m.map(b'{"a": {"id": 1, "n": -0}}\n', fast=fast).to_rows() == [{"_id": 1, "n": 0}]


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize(
    ("data", "rows", "errors", "warnings"),
    [
        # numbers Go's float64 cannot hold, however they are written, in a mapped field
        (b'{"id": 1, "n": ' + b"9" * 5000 + b"}", [], [("n", "out_of_range")], []),
        (b'{"id": 1, "n": ' + b"1" * 350 + b"}", [], [("n", "out_of_range")], []),
        (b'{"id": 1, "n": 1e400}', [], [("n", "out_of_range")], []),
        (b'{"id": 1, "s": -1e400}', [], [("s", "out_of_range")], []),
        # ... and ignored in an unmapped one (the README's deviation table)
        (b'{"id": 1, "x": ' + b"1" * 5000 + b', "n": 2}', [{"_id": 1, "n": 2}], [], []),
        # NaN is not JSON
        (b'{"id": 1, "n": NaN}', [], [(None, "invalid_json")], []),
        # -0 keeps its sign into a string, and is 0 in an int
        (b'{"id": 1, "n": -0.0, "s": -0}', [{"_id": 1, "n": 0, "s": "-0"}], [], [("string_from_value", "-0")]),
        # unpaired surrogate escapes anywhere become U+FFFD, as Go's decoder does (warned, like invalid UTF-8)
        (b'{"id": 1, "n": 5, "s": "\\ud800", "x": ["\\udc00", {"\\ud801": 1}]}', [{"_id": 1, "n": 5, "s": "\ufffd"}], [], [("utf8_replaced", "\ufffd")]),
        # a pair escaped as a pair is one character, nothing replaced
        (b'{"id": 1, "s": "\\ud83d\\ude00", "x": 1e400}', [{"_id": 1, "s": "\U0001f600"}], [], []),
    ],
)
def test_numbers_and_escapes_as_gos_decoder_reads_them(fast, data, rows, errors, warnings):
    m = mapper.compile_sink(id_schema(column("n", "int"), column("s", "string")))
    batch = m.map(data, on_error="skip", fast=fast)
    assert batch.to_rows() == rows
    assert [(e.column, e.code) for e in batch.report.errors] == errors
    assert [(w.kind, w.stored) for w in batch.report.warnings] == warnings
    for e in batch.report.errors:
        if e.code == "out_of_range":
            assert "is beyond the float64 range the endpoint decodes numbers into" in e.message


@pytest.mark.parametrize("fast", [True, False])
def test_a_record_with_a_byte_order_mark_or_in_utf16_is_invalid_json_past_the_inputs_start(fast):
    # Python's json.loads, given bytes, took a BOM and UTF-16/32 text; Go refuses them
    # ("invalid character 'ï' looking for beginning of value"); the input's own BOM stays fine
    m = mapper.compile_sink(id_schema(column("s", "string")))
    lines = [b'{"id": 0, "s": "z"}', b'\xef\xbb\xbf{"id": 1, "s": "a"}', '{"id": 2, "s": "b"}'.encode("utf-16-le"), '{"id": 3, "s": "c"}'.encode("utf-32-le")]
    report = m.validate(b"\n".join(lines) + b"\n", fast=fast)
    assert report.error_counts == {(None, "invalid_json"): 3} and sorted(report.failed) == [1, 2, 3]
    # the mark is named (found by the README audit: "invalid character at char 1" said nothing of it)
    bom = "invalid character at char 1: a byte order mark (U+FEFF), which may open an input (a file's first bytes) but not a record within one"
    assert [e.reason for e in report.errors if e.record == 1] == [f"Invalid JSON: {bom}"]
    # the line's text given alone is an input of its own, which the mark may open (as validate of it
    # takes it): check and the Batcher take it off, as they take a text's blanks off
    assert m.check(lines[1]) == [] and m.validate(lines[1], fast=fast).errors == []
    assert mapper.Batcher(m).add(lines[1]).accepted
    assert m.check(b" " + lines[1])[0].reason == f"Invalid JSON: {bom.replace('char 1', 'char 2')}"
    assert mapper.Batcher(m).add(b"\n" + lines[1]).errors[0].reason == f"Invalid JSON: {bom.replace('at char 1', 'at line 2 char 1 of the record')}"
    assert m.validate(b"\xef\xbb\xbf" + lines[0] + b"\n" + lines[0] + b"\n", fast=fast).errors == []


#: A record nested deeper than the decoders read on any Python, and than Go's decoder (10,000
#: levels: the service refuses it too); 1,200 levels was that only before 3.12 (tests/depths.py)
DEEP = b'{"id":9,"x":' + b"[" * REFUSED_EVERYWHERE + b"]" * REFUSED_EVERYWHERE + b"}"

ID_AND_V = id_schema(column("v", "int"))


@pytest.mark.parametrize("first", [b'{"id":1,"v":NaN}', b'{"id":1,"v":1e400}', b'{"id":1,"v":-Infinity}'])
def test_a_first_line_the_service_refuses_does_not_make_ndjson_a_document(first, tmp_path):
    # found by a bug hunt: a first line orjson refuses (NaN, 1e400) with a broken line
    # among the next three made the input "objects one after another" (the standard
    # library's decoder takes NaN and 1e400); the records after the broken line were
    # swallowed into its raw text: 6 records in, 3 accounted for
    data = first + b'\n{"id":2}\n{"id":3,\n{"id":4}\n{"id":5}\n{"id":6}\n'
    path = tmp_path / "in.ndjson"
    path.write_bytes(data)
    m = mapper.compile_sink(ID_AND_V)
    for source in (data, path):
        report = m.validate(source)
        assert report.records == 6, source
        assert [(e.record, e.line) for e in report.errors] == [(0, 1), (2, 3)]
    assert len(m.map(data, on_error="skip")) == 4


def test_objects_one_after_another_go_on_after_a_broken_one():
    # a broken pretty-printed object took every object after it into its raw text (one
    # error for several records): now it ends where the next top-level value starts
    data = b'{\n  "id": 1\n}\n{\n  "id": 2,\n  "v": x\n}\n{\n  "id": 3,\n  "v": 7\n}\n[\n  1\n]\n'
    m = mapper.compile_sink(ID_AND_V)
    report = m.validate(data)
    assert report.records == 4
    assert [(e.record, e.line, e.code) for e in report.errors] == [(1, 4, "invalid_json"), (3, 12, "not_an_object")]
    assert report.rejected[0].raw == b'{\n  "id": 2,\n  "v": x\n}'
    assert m.map(data, on_error="skip").to_rows() == [{"_id": 1}, {"_id": 3, "v": 7}]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_half_a_record_beside_a_line_of_two_is_not_taken_for_records(ending):
    # found in review: lines that are not a clean chunk (a blank line among them) were
    # decoded joined into one array, "[" + lines + "]": a line holding half a record (its
    # comma then supplied by the join) beside a line holding "{..}, {..}" made as many
    # values as lines, and both broken lines were stored as records
    m = mapper.compile_sink(id_schema(column("a", "ids")))
    lines = [b'{"id":%d,"a":[%d]}' % (i, i) for i in range(200)]
    lines[5], lines[6] = b'{"id":5,"a":[5', b"6]}"
    lines[10] = b'{"id":10,"a":[2]}, {"id":11,"a":[3]}'
    lines[50] = b""
    data = ending.join(lines) + ending
    for size in (200, 40):  # the engine's runs; the few-lines route (at most SMALL_INPUT lines)
        text = ending.join(lines[:size]) + ending
        report = m.validate(text)
        assert [(e.record, e.line, e.code) for e in report.errors] == [(5, 6, "invalid_json"), (6, 7, "invalid_json"), (10, 11, "invalid_json")]
        assert report.errors == m.validate(text, fast=False).errors
    assert len(m.map(data, on_error="skip")) == 196


def test_a_too_large_record_s_size_leaves_out_a_crlf_s_cr_every_way_it_is_read(tmp_path):
    # found by a bug hunt: the limit left the CR out, the size reported did not ("2,021
    # bytes" for the same 2,020-byte record with CRLF); streams read 1 KiB blocks here, so
    # the sizes below put the CR at a block's end and its newline at the next one's start
    m = mapper.compile_sink(ID_AND_V)
    for size in (2045, 2046, 2047, 2048, 3071, 3072):
        rec = b'{"id":1,"v":2,"x":"' + b"y" * (size - 21) + b'"}'
        assert len(rec) == size
        for sep in (b"\n", b"\r\n"):
            data = rec + sep + b'{"id":2}' + sep
            path = tmp_path / "in.ndjson"
            path.write_bytes(data)
            for source in (data, io.BytesIO(data), path):
                report = m.validate(source, max_record_size=1024)
                assert [(e.record, e.code) for e in report.errors] == [(0, "too_large")], (size, sep, source)
                assert report.errors[0].reason.startswith(f"the record is {size:,} bytes"), (size, sep, type(source), report.errors[0].reason)


def test_a_record_nested_too_deeply_fails_alone_in_every_document_form():
    # found by a bug hunt: one record deeper than the decoders go (valid JSON, the field not
    # even mapped) made a JSON array, a request body or a records_path document one broken
    # record: the others were lost with it, where NDJSON refuses that one record alone
    m = mapper.compile_sink(ID_AND_V)
    deep = DEEP
    recs = [b'{"id":1,"v":1}', deep, b'{"id":2,"v":"2"}', b'{"id":3}']
    forms = {
        "ndjson": (b"\n".join(recs) + b"\n", {}),
        "array": (b"[\n" + b",\n".join(recs) + b"\n]", {}),
        "body": (b'{"records": [' + b", ".join(b'{"value": ' + r + b', "k": [1, {"a": 2}]}' for r in recs) + b'], "n": 1}', {}),
        "path": (b'{"now": [{"a": 1}], "data": {"items": [' + b", ".join(recs) + b'], "more": 1}, "end": "]}"}', {"records_path": "data.items"}),
    }
    want = m.map(forms["ndjson"][0], on_error="skip").to_rows()
    assert [r["_id"] for r in want] == [1, 2, 3]
    for name, (data, options) in forms.items():
        report = m.validate(data, on_error="skip", **options)
        assert (report.records, report.failed_records) == (4, 1), name
        assert [(e.record, e.code) for e in report.errors] == [(1, "invalid_json")] and "nested too deeply" in report.errors[0].reason, name
        assert m.map(data, on_error="skip", **options).to_rows() == want, name
    assert [e.line for e in m.validate(forms["array"][0], on_error="skip").errors] == [3]
    # a deep document that cannot be read shallowly either (cut short) is still one error
    report = m.validate(forms["array"][0][:-3], on_error="skip")
    assert report.records == 1 and "nested too deeply" in report.errors[0].reason


@pytest.mark.parametrize(
    ("form", "make"),
    [
        ("array, then more", lambda recs: b"[" + b",".join(recs) + b'] {"id": 7}'),
        ("array, trailing comma", lambda recs: b"[" + b",".join(recs) + b",]"),
        ("array, empty element", lambda recs: b"[" + recs[0] + b",," + b",".join(recs[1:]) + b"]"),
        ("body, then more", lambda recs: b'{"records": [' + b",".join(b'{"value": ' + r + b"}" for r in recs) + b"]} xyz"),
        ("body, cut short", lambda recs: b'{"records": [' + b",".join(b'{"value": ' + r + b"}" for r in recs) + b"]"),
        ("path, then more", lambda recs: b'{"items": [' + b",".join(recs) + b"]} x"),
        ("path, member without value", lambda recs: b'{"items": [' + b",".join(recs) + b'], "a":}'),
    ],
)
def test_a_deep_record_in_a_document_that_is_not_json_leaves_it_one_broken_document(form, make):
    # found in review: the reader of documents too deep for the decoders stopped at the
    # array's end (what followed was dropped without a word) and took a trailing comma
    m = mapper.compile_sink(ID_AND_V)
    deep = DEEP
    data = make([deep, b'{"id":1,"v":1}', b'{"id":2}'])
    options = {"records_path": "items"} if form.startswith("path") else {"input_format": "endpoint"} if form.startswith("body") else {}
    report = m.validate(data, on_error="skip", **options)
    assert (report.records, report.failed_records) == (1, 1), form
    assert report.errors[0].code == "invalid_json" and "nested too deeply" in report.errors[0].reason


def test_a_lone_surrogate_beside_a_deep_record_in_a_body_is_read_as_go_reads_it():
    m = mapper.compile_sink({**ID_AND_V, "definition": [*ID_AND_V["definition"], {"name": "s", "path": ["s"], "type": "string"}]})
    deep = DEEP
    body = b'{"records": [{"value": ' + deep + b'}, {"value": {"id": 5, "s": "a\\ud800"}}]}'
    report = m.validate(body, on_error="skip")
    assert [(e.record, e.code) for e in report.errors] == [(0, "invalid_json")]
    assert [(w.record, w.kind) for w in report.warnings] == [(1, "utf8_replaced")]


def test_a_pretty_printed_object_holding_nan_is_one_bad_record_not_one_a_line():
    # found in review: holding the first value to JSON in format detection made it NDJSON
    m = mapper.compile_sink(ID_AND_V)
    data = b'{\n  "id": 1,\n  "v": NaN\n}\n{\n  "id": 2,\n  "v": 3\n}\n'
    report = m.validate(data, on_error="skip")
    assert report.records == 2 and [(e.record, e.line, e.code) for e in report.errors] == [(0, 1, "invalid_json")]


def _called_from(frames: int, fn):
    """``fn()`` called from ``frames`` frames further down the stack (a web handler, a test runner)."""
    return fn() if frames == 0 else _called_from(frames - 1, fn)


def test_how_deep_a_record_may_nest_does_not_depend_on_the_callers_stack():
    # found by a bug hunt: the decoders count their levels against the recursion limit the
    # caller's own frames use up too. A record 900 deep was read from a script's top level and
    # refused 600 frames down; a batcher's verdict disagreed with the mapping of its own body.
    import sys

    assert sys.getrecursionlimit() >= 1000  # (the depths below are the default limit's)
    m = mapper.compile_sink({**ID_AND_V, "definition": [*ID_AND_V["definition"], {"name": "j", "path": "x[0] | length(@)", "type": "int"}]})

    def record(depth: int) -> bytes:
        return b'{"id":9,"v":1,"x":' + b"[" * depth + b"]" * depth + b"}"

    def nested(depth: int) -> list:
        value: list = []
        for _ in range(depth - 1):
            value = [value]
        return value

    def outcomes(depth: int) -> list:
        text = record(depth)
        batcher = mapper.Batcher(ID_AND_V)
        verdict = batcher.add(text)
        bodies = list(batcher.flush())
        return [
            outcome(m.map(text + b'\n{"id": 2, "v": 2, "x": [[]]}\n', on_error="skip")),
            outcome(m.validate(b"[" + text + b"]", on_error="skip")),
            outcome(m.validate(b'{"records": [{"value": ' + text + b"}]}", on_error="skip")),
            [p.code for p in m.check(text)],
            [p.code for p in m.check({"id": 9, "v": 1, "x": nested(depth)})],  # a dict: the JMESPath column reads its JSON form whole
            (verdict.accepted, [e.code for e in verdict.errors], [b.to_batch().to_rows() for b in bodies]),
        ]

    read = ([{"_id": 9, "v": 1, "j": 1}, {"_id": 2, "v": 2, "j": 0}], [])  # (the JMESPath column: one [] inside x[0])
    # 1,100 levels: refused before Python 3.12, read from 3.12 on (tests/depths.py)
    for depth in (READ_EVERYWHERE, 990, 1100, REFUSED_EVERYWHERE):
        here = outcomes(depth)
        assert _called_from(600, lambda depth=depth: outcomes(depth)) == here, depth
        if depth == READ_EVERYWHERE or (depth == 1100 and read_here(depth + 1)):  # read, in every form
            assert here[0] == read and here[1][1] == here[2][1] == [] and here[3] == [], (depth, here)
            assert here[5][0] is True and here[5][2] == [[{"_id": 9, "v": 1}]], depth
        elif depth != 990:  # refused, in every form (the batcher's too: the record as the engine reads it)
            assert [e[3] for e in here[0][1]] == ["invalid_json"] and here[3] == ["invalid_json"], depth
            assert [e[3] for e in here[1][1]] == [e[3] for e in here[2][1]] == ["invalid_json"], depth
            assert here[5][0] is False and here[5][1] == ["invalid_json"], depth


def test_full_stack_hands_back_the_second_runs_result_and_raises_its_exception():
    from mapper.stack import full_stack

    calls = []

    def deep_then(outcome):
        calls.append(1)
        if len(calls) == 1:
            raise RecursionError("out of stack here")
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    assert full_stack(deep_then, 7) == 7 and len(calls) == 2
    calls.clear()
    with pytest.raises(KeyError, match="from the new stack"):
        full_stack(deep_then, KeyError("from the new stack"))
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(RecursionError):  # a value that holds itself: no stack is deep enough
        full_stack(json.JSONEncoder(check_circular=False).encode, cyclic)  # (not checked for cycles: it recurses)


def test_records_of_a_pretty_printed_request_body_are_located_by_line():
    # found in review: an error of a request body's record said no line (only NDJSON,
    # arrays and documents had them), so a producer's captured body could not be read back
    m = mapper.compile_sink(ID_AND_V)
    deep = DEEP
    lines = [
        b"{",
        b'  "records": [',
        b"    {",
        b'      "value": {',
        b'        "id": 1,',
        b'        "v": "x"',
        b"      }",
        b"    },",
        b'    {"value": {"id": 2, "v": 3}},',
        b'    {"value": {"id": 3, "v": true, "s": "\\ud800"}}, {"k": 1},',
        b"    5,",
        b'    {"value": {"id": 4, "v": 4}, "k": {"id": 4, "v": 4}}, {"k": {"id": 5, "v": "y"},',
        b'     "value": {"id": 5, "v": "y"}}',
        b"  ]",
        b"}",
    ]
    report = m.validate(b"\n".join(lines), on_error="skip")
    got = [(e.record, e.line, e.code) for e in report.errors]
    assert sorted(got) == [(0, 4, "invalid_value"), (2, 10, "invalid_value"), (3, 10, "not_an_object"), (4, 11, "not_an_object"), (6, 13, "invalid_value")]
    # the same body on one line: line 1 for every record; the items read one by one (a deep one), the same lines
    assert {e.line for e in m.validate(b"".join(lines), on_error="skip").errors} == {1}
    deep_body = b"\n".join([*lines[:-2], b'    , {"value": ' + deep + b"}", *lines[-2:]])
    report = m.validate(deep_body, on_error="skip")
    assert sorted((e.record, e.line, e.code) for e in report.errors) == [*got, (7, 14, "invalid_json")]
    # a body of many records, read in parts (the lines of each part are its own): the last one's line
    items = [b'  {"value": {"id": %d, "v": %d}}' % (i, i) for i in range(5000)] + [b'  {"value":\n    {"id": 5000, "v": "z"}}']
    report = m.validate(b'{"records": [\n' + b",\n".join(items) + b"\n]}", on_error="skip")
    assert [(e.record, e.line) for e in report.errors] == [(5000, 5003)]


def test_a_request_bodys_newlines_are_found_once_for_all_its_parts(monkeypatch):
    """Each part (512 items) of a body is a unit of its own; the body's newline index is
    made once for all of them, not once per part (a scan of the whole body per part:
    quadratic in the body's size)."""
    import numpy as np

    from mapper.engine.reader import RawRecords, endpoint_units

    items = ",\n".join('{"value": {"n": %d}}' % k for k in range(40))
    data = ('{"records": [\n' + items + "\n]}").encode()
    scans = []
    real = np.flatnonzero
    monkeypatch.setattr(np, "flatnonzero", lambda a: scans.append(len(a)) or real(a))
    units = [u for u in endpoint_units(data, chunk_records=4) if isinstance(u, RawRecords)]
    assert len(units) == 10
    got = [u.lines[j] for u in units for j in range(len(u.raws))]
    assert got == [2 + k for k in range(40)]
    assert len(scans) == 1  # the whole body's newlines, once
    assert [u.lines[1:][0] for u in units] == [3 + 4 * k for k in range(10)]  # a part's slice: the same index
    assert len(scans) == 1


def test_a_deep_record_does_not_crash_a_program_that_made_its_threads_stacks_small():
    # threading.stack_size() is the program's to set for its own threads; the thread that
    # full_stack starts must not take it (a 256 KiB stack: a segfault decoding 990 levels)
    import subprocess
    import sys

    script = """if True:
        import sys, threading
        import mapper
        m = mapper.compile_sink(%r)
        deep = b'{"id": 1, "v": 2, "x": ' + b"[" * 990 + b"]" * 990 + b"}"
        threading.stack_size(256 * 1024)
        def down(n):
            return down(n - 1) if n else m.map(deep).to_rows()
        print(down(600), threading.stack_size())
    """ % (ID_AND_V,)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["[{'_id':", "1,", "'v':", "2}]", str(256 * 1024)]


def test_a_request_body_item_with_value_twice_is_located_at_the_value_that_is_read():
    # an item's "value" given twice: the last is the record (as Go's decoder reads it), so
    # the line is where that one starts, not the first "value" at the item's start
    m = mapper.compile_sink(ID_AND_V)
    body = b'{"records": [\n{"value": {"id": 1, "v": 1},\n "value":\n  {"id": 2, "v": "y"}},\n{"value": {"id": 3, "v": "z"}}\n]}'
    report = m.validate(body, on_error="skip")
    assert [(e.record, e.line, e.reason) for e in report.errors] == [
        (0, 4, 'Expected `int` or a string of digits, got `str` "y"'),
        (1, 5, 'Expected `int` or a string of digits, got `str` "z"'),
    ]


def test_a_deep_key_value_holding_a_lone_surrogate_is_judged_the_same_from_a_deep_caller():
    # the key's surrogates were looked for at the bottom of a new stack (found), then replaced
    # on the caller's: a RecursionError out of check, 500 frames down
    m = mapper.compile_sink(schema(column("k", "string"), column("v", "int"), primary_key_fields=["k"]))
    key: object = "\ud800"
    for _ in range(300):
        key = [key]
    record = {"k": key, "v": 1}

    def judged() -> list:
        return [(type(p).__name__, getattr(p, "code", getattr(p, "kind", None)), p.reason) for p in m.check(record)]

    here = judged()
    # (and the key is an array's Go text: string_from_value)
    assert [p[:2] for p in here] == [("ValueWarning", "utf8_replaced"), ("ValueWarning", "string_from_value")]
    assert _called_from(500, judged) == here
    assert _called_from(500, lambda: m.map([record]).to_rows()) == m.map([record]).to_rows()


def test_a_jmespath_column_reads_a_deep_value_the_same_from_a_deep_caller():
    # an expression's evaluation that runs out of the caller's stack (to_string writes its
    # value's JSON text) was that column's failure 600 frames down, read at a script's top
    m = mapper.compile_sink({**ID_AND_V, "definition": [*ID_AND_V["definition"], {"name": "j", "path": "length(to_string(x))", "type": "int"}]})
    text = b'{"id": 9, "v": 1, "x": ' + b"[" * 400 + b"]" * 400 + b"}"

    def mapped() -> tuple:
        batch = m.map(text, on_error="skip")
        return batch.to_rows(), [e.reason for e in batch.report.errors]

    here = mapped()
    assert here == ([{"_id": 9, "v": 1, "j": 800}], [])
    assert _called_from(600, mapped) == here


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork")
def test_full_stack_in_a_child_forked_while_another_thread_started_its_thread():
    # the lock held while the second run's thread is started (its stack size set) is not
    # inherited held by a child forked meanwhile: the child's deep calls do not hang
    import os

    from mapper import stack

    def deep(n: int) -> int:
        return 0 if n == 0 else 1 + deep(n - 1)

    with stack._starting:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                os._exit(0 if _called_from(900, lambda: stack.full_stack(deep, 500)) == 500 else 1)
            except BaseException:
                os._exit(2)
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise AssertionError("the forked child hung")
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize(
    ("value", "warned"), [({"$ref": 1}, "map[$ref:1]"), ([1], "[1]"), (["a", 2], "[a 2]"), (True, None), (1.5, None), (12, None), ("k", None)]
)
def test_a_key_made_of_an_object_or_an_array_is_warned_as_its_go_text(value, warned):
    # the key of a single key field holding an object was stored as "map[$ref:1]" without a word
    m = mapper.compile_sink(schema(column("k", "string"), primary_key_fields=["k"]))
    for records in ([{"k": value}], json.dumps({"k": value}).encode()):
        report = m.validate(records)
        assert [(w.column, w.kind, w.stored) for w in report.warnings] == ([("_id", "string_from_value", warned)] if warned else [])
        strict = m.validate(records, strict=True)
        assert [(e.column, e.code) for e in strict.errors] == ([("_id", "lossy_value")] if warned else [])
