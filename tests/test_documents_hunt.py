"""Records inside documents and streaming from Python: faults a hunt over ``records_path``
(``--records-path``) and ``Mapper.iter_batches`` found, one small case each."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import mapper
from tests.test_documents import SINK, run_cli


def planes(first: int, n: int) -> list[dict[str, object]]:
    return [{"hex": f"a{i:05x}", "alt_baro": 1000 + i, "flight": f"F{i}"} for i in range(first, first + n)]


def test_infer_reads_on_past_a_broken_line_of_ndjson_of_documents(tmp_path):
    # a dump1090 capture a line with one line cut in the middle: validate refuses that line
    # alone (one record); infer stopped the whole run on it (exit 2), drafting nothing
    lines = [
        json.dumps({"now": 1, "aircraft": planes(0, 3)}),
        json.dumps({"now": 2, "aircraft": planes(3, 3)})[:-9],
        json.dumps({"now": 3, "aircraft": planes(6, 3)}),
    ]
    path = tmp_path / "capture.ndjson"
    path.write_text("\n".join(lines) + "\n")
    report = mapper.compile_sink(SINK).validate(path, records_path="aircraft")
    assert (report.records, report.failed_records, [(e.record, e.line, e.code) for e in report.errors]) == (7, 1, [(3, 2, "invalid_json")])
    r = mapper.infer(path, records_path="aircraft")
    assert (r.records, r.objects, r.bad_records, r.unusable) == (7, 6, 1, None)
    assert r.bad_examples[0]["line"] == 2 and r.bad_examples[0]["reason"] == "Invalid JSON: the JSON document is truncated"
    cli = run_cli("infer", str(path), "--records-path", "aircraft", "--report", "json")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["bad_records"] == 1
    # the first line broken: the same (the others are read on)
    path.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    r = mapper.infer(path, records_path="aircraft")
    assert (r.records, r.objects, r.bad_records, r.bad_examples[0]["line"]) == (7, 6, 1, 1)


# a broken value and the character an error must name (1-based, on the value's line): the
# first byte that cannot continue valid JSON (where Go's decoder stops)
BROKEN_VALUES = [
    ("tru}", 4),  # a literal cut short: the `}` where `e` should be (was char 2 inside a document, 5 past it in a record)
    ("nulx", 4),
    ("fals}", 5),
    ("nu,l", 3),
    ('"\\q"', 3),  # a bad escape: the `q` (was one past it in a record)
    ('"\\ug234"', 4),  # a bad \u escape: its first non-hex digit (was one past it everywhere)
    ('"\\u12g4"', 6),
    ('"\\u12"', 6),
    ("1.}", 3),  # (these were right: kept so)
    ("-}", 2),
    ("+1", 1),
    ('"a\x01"', 3),
]


def _char(reason: str) -> int:
    m = re.search(r"char (\d+)", reason)
    assert m, reason
    return int(m.group(1))


@pytest.mark.parametrize(("value", "at"), BROKEN_VALUES)
def test_a_broken_value_is_placed_on_its_first_bad_character(value, at):
    m = mapper.compile_sink(SINK)
    prefix = '{"hex": "é1", "x": '  # (a non-ASCII character before it: characters are counted, not bytes)
    record = prefix + value + "}"
    want = len(prefix) + at
    # a record of NDJSON
    (err,) = m.validate((record + "\n").encode()).errors
    assert (err.code, err.line, _char(err.reason)) == ("invalid_json", 1, want), err.reason
    # a record inside a document: on its line (a one-line document, then a pretty-printed one)
    line = '{"now": 1, "aircraft": [' + record + "]}"
    (err,) = m.validate((line + "\n").encode(), records_path="aircraft").errors
    assert (err.line, _char(err.reason)) == (1, len('{"now": 1, "aircraft": [') + want), err.reason
    pretty = '{\n  "now": 1,\n  "aircraft": [\n    {"hex": "a"},\n    ' + record + "\n  ]\n}\n"
    (err,) = m.validate(pretty.encode(), records_path="aircraft").errors
    assert (err.line, _char(err.reason)) == (5, 4 + want), err.reason
    assert f"line 5 char {4 + want}" in err.reason
    # a JSON array of records
    (err,) = m.validate(("[\n  " + record + "\n]\n").encode()).errors
    assert (err.line, _char(err.reason)) == (2, 2 + want), err.reason


def test_a_literal_like_word_inside_a_string_is_not_taken_for_a_literal():
    m = mapper.compile_sink(SINK)
    # the control character is the fault, not the `nulx` before it (a string, not a literal)
    record = '{"hex": "a, nulx\x01"}'
    (err,) = m.validate((record + "\n").encode()).errors
    assert _char(err.reason) == record.index("\x01") + 1, err.reason
    (err,) = m.validate(('{"aircraft": [' + record + "]}\n").encode(), records_path="aircraft").errors
    assert _char(err.reason) == len('{"aircraft": [') + record.index("\x01") + 1, err.reason


OPEN = '{"aircraft": ['


@pytest.mark.parametrize(
    ("value", "at", "fault", "needed"),
    [
        # msgspec reads a literal's length at once and said "truncated" when fewer bytes were
        # left (`{"a": t}` is whole; its `}` is the fault, named, with the literal it began)
        ("t}", 2, "invalid character '}'", " in a literal (true, false, null): true was expected"),
        ("n]", 2, "invalid character ']'", " in a literal (true, false, null): null was expected"),
        ("fa}", 3, "invalid character '}'", " in a literal (true, false, null): false was expected"),
        ("nul}", 4, "invalid character '}'", " in a literal (true, false, null): null was expected"),
        # it wants an escape's four digits at once, too, though the escape is broken where it
        # stands (Go: invalid character in \u escape)
        ('"\\uz"}', 4, "invalid character in unicode escape", ""),
        ('"\\u1"}', 5, "invalid character in unicode escape", ""),
        ('"\\u12"}', 6, "invalid character in unicode escape", ""),
    ],
)
def test_a_value_broken_near_the_end_is_no_truncation(value, at, fault, needed):
    m = mapper.compile_sink(SINK)
    record = '{"hex": "a", "x": ' + value
    want = len('{"hex": "a", "x": ') + at
    (err,) = m.validate(record.encode()).errors
    assert err.reason == f"Invalid JSON: {fault} at char {want}{needed}"
    (err,) = m.validate((OPEN + record + "]}").encode(), records_path="aircraft").errors
    assert err.reason == f"Invalid JSON: the JSON document is not valid JSON: {fault} at char {len(OPEN) + want}{needed}"


@pytest.mark.parametrize("value", ["-", "1.", "1e", '"a\\'])
def test_a_document_cut_inside_a_value_is_truncated_not_an_error_past_its_end(value):
    # "invalid character at char 24" named a character past the document's last
    m = mapper.compile_sink(SINK)
    cut = OPEN + '{"hex": ' + value
    for text in (cut, cut + "\n"):
        (err,) = m.validate(text.encode(), records_path="aircraft").errors
        assert err.reason == "Invalid JSON: the JSON document is truncated", err.reason
    (err,) = m.validate(cut[len(OPEN) :].encode()).errors
    assert err.reason == "Invalid JSON: unexpected end of the record (truncated)", err.reason


PEAK = """
import json, sys, tracemalloc
import mapper
m = mapper.compile_sink(json.loads(sys.argv[1]))
tracemalloc.start()
if sys.argv[3] == "validate":
    n = m.validate(sys.argv[2], records_path="aircraft").records
else:
    n = sum(len(b) for b in m.iter_batches(sys.argv[2], records=2_000, records_path="aircraft", on_error="skip"))
print(n, tracemalloc.get_traced_memory()[1])
"""


@pytest.mark.parametrize("how", ["validate", "iter_batches"])
def test_a_large_document_is_held_once_while_its_records_are_read(tmp_path, how):
    # a dump1090-like document (records over lines, a newline at its end): the reader held
    # it, a copy for the read (head + rest), the bytes of every record at once and a copy of
    # it stripped (to ask whether it is one line): about 3.5 times its size at the peak
    path = tmp_path / "big.json"
    n = 20_000
    with open(path, "w") as f:
        f.write('\n{"now": 1.5, "aircraft": [\n')
        f.write(",\n".join(json.dumps({"hex": f"a{i:06x}", "alt_baro": i, "flight": f"F{i}", "pad": "x" * 120}) for i in range(n)))
        f.write("\n]}\n")
    size = path.stat().st_size
    r = subprocess.run([sys.executable, "-c", PEAK, json.dumps(SINK), str(path), how], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    records, peak = map(int, r.stdout.split())
    assert records == n
    assert peak < 2 * size, f"the peak was {peak / size:.1f} times the document's size"


def test_a_byte_order_mark_opening_a_later_document_is_named():
    # files joined (`cat a.ndjson b.ndjson`), the second with its mark: a record there says
    # what the character is; a document said only "invalid character at char 1"
    m = mapper.compile_sink(SINK)
    data = b'{"aircraft": [{"hex": "a"}]}\n\xef\xbb\xbf{"aircraft": [{"hex": "b"}]}\n'
    (err,) = m.validate(data, records_path="aircraft").errors
    assert (err.record, err.line) == (1, 2)
    assert err.reason == (
        "Invalid JSON: the JSON document is not valid JSON: invalid character at char 1: a byte order mark (U+FEFF),"
        " which may open an input (a file's first bytes) but not a document within one"
    )


@pytest.mark.parametrize(
    ("doc", "code"),
    [
        ('{\n  "now": 1\n}\n', "no_records"),  # no key there
        ('{\n  "aircraft": 5\n}\n', "no_records"),  # no array there
        ('[\n  {"hex": "a"}\n]\n', "no_records"),  # no object
        ('{\n  "junk": ' + "[" * 20_000 + "]" * 20_000 + ',\n  "aircraft": 5\n}\n', "no_records"),  # no array there, beside a deep member
    ],
)
def test_a_document_without_records_is_placed_on_the_line_it_starts(doc, code):
    # after blank lines (a file that opens with some), its error named line 1; an object read
    # as one record is placed where it starts, and so is a record of a document
    m = mapper.compile_sink(SINK)
    (err,) = m.validate(("\n\n" + doc).encode(), records_path="aircraft").errors
    assert (err.code, err.line) == (code, 3), err.reason


@pytest.mark.parametrize(
    ("path", "doc", "reason"),
    [
        ("aircraft", '{"junk": DEEP, "now": 1}', "no records at `aircraft`: no key `aircraft`"),
        ("data.items", '{"data": {"junk": DEEP}}', "no records at `data.items`: no key `items` in the object at `data`"),
        (['a"b'], '{"junk": DEEP, "aircraft": []}', 'no records at `"a\\"b"`: no key `"a\\"b"`'),
    ],
)
def test_a_document_too_deep_to_decode_without_the_path_says_no_records(path, doc, reason):
    # msgspec gives up on a member nested deeper than it goes; the document is read a level at a
    # time then: a key the path names that is not there is no_records, as in any document
    # (it was "nested too deeply", which no change to the records would mend)
    m = mapper.compile_sink(SINK)
    (err,) = m.validate(doc.replace("DEEP", "[" * 20_000 + "]" * 20_000).encode(), records_path=path).errors
    assert (err.code, err.reason) == ("no_records", reason)


@pytest.mark.parametrize("doc", ['{"junk": DEEP, "a":}', '{"junk": DEEP, 1: 2}', '{"junk": DEEP, "a" 2}', '{"junk": DEEP'])
def test_a_document_too_deep_to_decode_that_is_not_json_stays_one_broken_document(doc):
    m = mapper.compile_sink(SINK)
    (err,) = m.validate(doc.replace("DEEP", "[" * 20_000 + "]" * 20_000).encode(), records_path="aircraft").errors
    assert (err.code, err.reason) == ("invalid_json", "Invalid JSON: the JSON document is nested too deeply")


@pytest.mark.parametrize(("end", "most"), [("", 2.3), ("\n", 2.8)])
def test_a_large_one_line_document_is_not_held_thrice(tmp_path, end, most):
    # `jq -c` of a large answer: one line, read as NDJSON of one document. The line reader
    # joined its pieces as bytes(tail) + rest (three copies at once) and kept a last line
    # without a newline twice while it was read: at the peak 3.1 times the size with the
    # newline, 2.5 without (now 2.5 and 2.1: the line, the document cut from it, the views)
    path = tmp_path / "one.json"
    n = 20_000
    doc = {"now": 1.5, "aircraft": [{"hex": f"a{i:06x}", "alt_baro": i, "flight": f"F{i}", "pad": "x" * 120} for i in range(n)]}
    path.write_text(json.dumps(doc) + end)
    size = path.stat().st_size
    r = subprocess.run([sys.executable, "-c", PEAK, json.dumps(SINK), str(path), "validate"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    records, peak = map(int, r.stdout.split())
    assert records == n
    assert peak < most * size, f"the peak was {peak / size:.1f} times the document's size"


@pytest.mark.parametrize("bad", [b"\xe2\x82", b"\xff", b"\xc3", b"\xf0\x9f\x98"])
def test_invalid_utf8_before_an_error_counts_a_character_a_byte_everywhere(bad):
    # a record alone counted each invalid byte as a character (as Go's decoder replaces each
    # with U+FFFD, and as the record is stored); a record inside a document or an array counted
    # Python's way (one U+FFFD for a cut sequence), one or two characters fewer
    m = mapper.compile_sink(SINK)
    rec = b'{"s": "' + bad + b'"", "x": 1}'
    want = len('{"s": "') + len(bad) + 2
    (err,) = m.validate(rec + b"\n").errors
    assert _char(err.reason) == want, err.reason
    (err,) = m.validate(b'{"aircraft": [' + rec + b"]}\n", records_path="aircraft").errors
    assert _char(err.reason) == len('{"aircraft": [') + want, err.reason
    (err,) = m.validate(b"[\n" + rec + b"\n]\n").errors
    assert (err.line, _char(err.reason)) == (2, want), err.reason
