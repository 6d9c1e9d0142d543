"""Property tests: the generated code agrees with plain references, and only mapper's errors escape."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sinks import column, schema

import mapper
from mapper import MISSING
from mapper.compiler import NotObject
from mapper.engine.reader import unpacker
from mapper.errors import compression_of

SETTINGS = settings(
    max_examples=70, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)  # (150, then 100: CI time; each run draws new examples)

# --- a plain reference for the path walk (the ingester's PathTable.Lookup, with allowMissingFields) ---


def reference_lookup(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = record
    for depth, key in enumerate(keys):
        if not isinstance(node, dict):
            return ("not-object", keys[:depth])
        if key not in node:
            return MISSING
        node = node[key]
        if node is None:
            return None
    return node


def normalise(value: Any) -> Any:
    if isinstance(value, NotObject):
        return ("not-object", value.keys)
    return value


hostile_keys = st.one_of(
    st.sampled_from(["data", "a.b", 'q"uote', "back\\slash", "new\nline", "__import__('os')", "]); x #", "", "é中", "x" * 10_000, "{k}", "%s"]),
    st.text(max_size=12),
)
paths = st.lists(hostile_keys, min_size=1, max_size=4).map(tuple)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))


@st.composite
def sinks_and_records(draw):
    col_paths = draw(st.lists(paths, min_size=1, max_size=6, unique=True))
    records = []
    for _ in range(draw(st.integers(1, 6))):
        rec: dict[str, Any] = {}
        for p in col_paths:
            if draw(st.booleans()):
                node = rec
                for key in p[:-1]:
                    nxt = node.get(key)
                    if not isinstance(nxt, dict):
                        nxt = draw(st.one_of(st.just({}), st.just({}), json_leaf)) if key not in node else nxt
                        if key in node and not isinstance(node[key], dict):
                            break
                        node[key] = nxt
                    if not isinstance(nxt, dict):
                        break
                    node = nxt
                else:
                    node[p[-1]] = draw(json_leaf)
        records.append(rec)
    return col_paths, records


@SETTINGS
@given(sinks_and_records())
def test_generated_walk_agrees_with_reference(case):
    col_paths, records = case
    definition = [{"name": f"c{i}", "path": list(p), "type": "string"} for i, p in enumerate(col_paths)]
    definition.append({"name": "k", "path": ["\x00id"], "type": "id"})
    m = mapper.compile_sink(definition, id_field="k", allow_missing_fields=True)
    for rec in records:
        got = m.walk(rec)
        for i, p in enumerate(col_paths):
            assert normalise(got[i]) == reference_lookup(rec, p)
    # no key text in the generated source: keys are bound constants
    for p in col_paths:
        for key in p:
            if len(key) > 3 and key not in ("data",):
                assert repr(key) not in m.source


# --- fast path versus careful path on messy records ------------------------------------

FULL_SINK = schema(
    column("rid", "string", path=["id"]),
    column("ts", "timestamp", Unit="ms", Granularity="ms"),
    column("tsl", "timestamp", path=["d", "when"]),
    column("i", "int", path=["d", "i"], Min=-1000000, Max=1000000),
    column("big", "int", path=["d", "big"]),
    column("u", "id", path=["d", "u"]),
    column("dec", "decimal", path=["d", "dec"], Scale=3),
    column("b", "bool", path=["d", "b"]),
    column("s", "string", path=["d", "s"]),
    column("ss", "strings", path=["e", "ss"]),
    column("ii", "ids", path=["e", "ii"]),
    column("di", "dateInt", path=["e", "di"]),
    column("x", "signedIntBoolKey", path=["e", "x"]),
    primary_key_fields=["rid"],
)

messy = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**65), 2**65),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(-1000, 1000, allow_nan=False),
    st.sampled_from(["", " ", "12", "-7", "4.35", "007", "1e3", "true", "t", "x", "a,b", "[1,2]", "2022-08-08T17:57:48Z", "2022-08-08", "1659981468260"]),
    st.lists(st.one_of(st.text(max_size=3), st.integers(0, 10)), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


# Mostly well-typed values per key (so most chunks stay on the fast path), some messy ones.
typical = {
    "id": st.text(min_size=1, max_size=5),
    "ts": st.integers(0, 2**45),
    "when": st.sampled_from(["2022-08-08T17:57:48Z", "2022-08-08T17:57:48.123456789+02:00", "1999-12-31T23:59:59.5Z"]),
    "i": st.one_of(st.integers(-1000, 1000), st.floats(-1000, 1000, allow_nan=False), st.sampled_from(["12", "-7", " 3 "])),
    "big": st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**54), 2**54)),
    "u": st.one_of(st.integers(0, 2**64 - 1), st.floats(0, 1e6)),
    "dec": st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-(10**6), 10**6), st.sampled_from(["4.35", "0.001", "-12.3456"])),
    "b": st.one_of(st.booleans(), st.sampled_from([0, 1, 2.5, "t", "FALSE"])),
    "s": st.text(max_size=4),
    "ss": st.one_of(st.lists(st.text(max_size=3), max_size=3), st.sampled_from(["a,b", "[x]", ""])),
    "ii": st.one_of(st.lists(st.integers(0, 99), max_size=3), st.sampled_from(["1,2", "[3]"])),
    "di": st.sampled_from(["2022-08-08", "1970-01-01", "0000-00-00", "2400-02-29"]),
    "x": st.integers(-50, 50),
}


def value_for(draw, key):
    return draw(typical[key]) if draw(st.integers(0, 9)) else draw(messy)


@st.composite
def messy_records(draw, max_records=60):
    recs = []
    for _ in range(draw(st.integers(1, max_records))):
        rec: dict[str, Any] = {}
        if draw(st.integers(0, 19)):
            rec["id"] = value_for(draw, "id")
        if draw(st.integers(0, 9)):
            rec["ts"] = value_for(draw, "ts")
        for section, keys in (("d", ["when", "i", "big", "u", "dec", "b", "s"]), ("e", ["ss", "ii", "di", "x"])):
            shape = draw(st.integers(0, 19))
            if shape == 0:
                continue
            if shape == 1:
                rec[section] = draw(messy)
                continue
            sub = {}
            for k in keys:
                if draw(st.integers(0, 9)):
                    sub[k] = value_for(draw, k)
            rec[section] = sub
        recs.append(rec)
    return recs


def run_both(m, data: bytes):
    out = []
    for fast in (True, False):
        batch = m.map(data, on_error="skip", fast=fast)
        rep = batch.report
        out.append(
            (
                batch.to_rows(),
                batch.record_index.tolist(),
                [(e.record, e.line, e.column, e.code, e.message) for e in rep.errors],
                [(w.record, w.line, w.column, w.kind, repr(w.sent), repr(w.stored)) for w in rep.warnings],
            )
        )
    return out


@SETTINGS
@given(messy_records())
def test_fast_path_agrees_with_careful_path(recs):
    m = mapper.compile_sink(FULL_SINK)
    data = "\n".join(json.dumps(r) for r in recs).encode() + b"\n"
    fast, careful = run_both(m, data)
    assert fast == careful


ERROR_CODES = {"invalid_json", "not_an_object", "missing", "invalid_value", "out_of_range", "invalid_id", "too_large", "no_records", "lossy_value"}


@SETTINGS
@given(
    st.one_of(st.binary(max_size=400), st.lists(st.sampled_from([b"{}", b'{"id": "k"}', b"[1]", b"{", b"", b" ", b"\r", b"null"]), max_size=8).map(b"\n".join)),
    st.sampled_from(["auto", "ndjson", "json", "endpoint"]),
)
@example(b"\xef\xbb\xbf ", "ndjson")  # a byte order mark and a blank: no record (the test's own count said one)
@example(b"\x28\xb5\x2f\xfd\x00", "auto")  # zstd's magic: refused by name (the test's own check raised on it)
def test_only_mapper_errors_escape(data, fmt):
    m = mapper.compile_sink(FULL_SINK)
    try:
        report = m.validate(data, input_format=fmt)
    except mapper.InputError as exc:  # the only error bytes can raise: an unreadable compressed input (a broken gzip, xz, bzip2; zstd)
        if compression_of(data) == "zstd":
            assert "zstd-compressed" in str(exc)
            return
        assert unpacker(data[:8]) is not None and "cannot read" in str(exc)
        return
    # every record is accounted for, once, and every error is a documented one about a record that exists
    assert 0 <= report.failed_records <= report.records
    assert report.success_count + report.error_count == report.records
    assert all(e.code in ERROR_CODES and 0 <= e.record < report.records for e in report.errors)
    assert len({e.record for e in report.errors}) == report.failed_records
    if fmt == "ndjson" and unpacker(data[:8]) is None:
        # one record per line that holds anything but JSON whitespace (blank lines are skipped)
        # (a UTF-8 byte order mark opening the input is not part of its first line: b"\xef\xbb\xbf " is blank)
        text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        lines = [line for line in text.split(b"\n") if line.strip(b" \t\r")]
        assert report.records == len(lines), (data, report.records)


@SETTINGS
@given(st.lists(st.text(max_size=30), max_size=10))
def test_text_lines_never_crash(lines):
    m = mapper.compile_sink(FULL_SINK)
    report = m.validate("\n".join(lines) + "\n")  # a newline: text, never a file name
    assert report.error_count <= report.records


# --- the vector forms agree with the scalar converters ------------------------------------

numeric_texts = st.one_of(
    st.from_regex(r"[+-]?[0-9]{1,20}", fullmatch=True),
    st.sampled_from(["", " ", "-", "+", "--7", "+-3", " 7", "7 ", "1e3", "12.5", "0x10", "١٢", "²", "1_000", "\u00a07", "007", "-0"]),
    st.text(alphabet="0123456789+- .e\t", max_size=6),
)


def go_parse_int(text: str) -> int | None:
    """Go's strconv.ParseInt(strings.TrimSpace(text), 10, 64), written out: None when Go refuses it."""
    t = text.strip("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
    body = t[1:] if t[:1] in ("+", "-") else t
    if not body or any(c not in "0123456789" for c in body):
        return None
    n = int(t)
    return n if -(2**63) <= n <= 2**63 - 1 else None


@SETTINGS
@given(st.lists(numeric_texts, min_size=1, max_size=30))
def test_numeric_string_vector_agrees_with_go_parse_int(texts):
    import numpy as np

    from mapper.types import digit_strings

    got = digit_strings(np.fromiter(texts, dtype=object, count=len(texts)))
    expected = [go_parse_int(t) for t in texts]
    if got is not None:
        assert None not in expected, texts  # the vector form never takes what Go refuses
        assert got.tolist() == expected
    # it vouches for every list of plain ASCII digit strings of up to 18 characters (the fast case)
    if all(re.fullmatch(r"[+-]?[0-9]{1,17}", t) for t in texts):
        assert got is not None and got.tolist() == expected


def test_sparse_columns_agree_with_the_careful_path() -> None:
    """Columns most records lack: the fast path writes their missing rows at once
    (as the careful path marks them one by one), the present ones as usual; whether
    missing is allowed or an error, from bytes and from dicts."""
    import random

    keys = {"ts": ("ts",), **{k: ("d", k) for k in ("when", "i", "big", "u", "dec", "b", "s")}, **{k: ("e", k) for k in ("ss", "ii", "di", "x")}}
    rng = random.Random(7)
    samples = {
        "ts": [0, 1659981468260, "1659981468260", 2.5],
        "when": ["2022-08-08T17:57:48Z", "1999-12-31T23:59:59.5Z", "x", 3],
        "i": [12, -7, "12", 2**70],
        "big": [2**63 - 1, -(2**54), 1.5, "7"],
        "u": [0, 2**64 - 1, -1, 3.0],
        "dec": [4.35, "0.001", -12.3456, "x"],
        "b": [True, False, 1, "t"],
        "s": ["a", "", "é", 5],
        "ss": [["a", "b"], [], "a,b", [1]],
        "ii": [[1, 2], [], "1,2", [-1]],
        "di": ["2022-08-08", "0000-00-00", "2400-02-29", 5],
        "x": [-50, 0, 50, "x"],
    }
    recs = []
    for n in range(300):
        rec: dict[str, Any] = {"id": f"r{n}"}
        for key, where in keys.items():
            roll = rng.random()
            if roll < 0.85:
                continue
            node = rec
            for part in where[:-1]:
                node = node.setdefault(part, {})
            node[where[-1]] = None if roll < 0.88 else rng.choice(samples[key])
        recs.append(rec)
    data = "\n".join(json.dumps(r) for r in recs).encode() + b"\n"
    for allow in (True, False):
        m = mapper.compile_sink({**FULL_SINK, "allow_missing_fields": allow})
        fast, careful = run_both(m, data)
        assert fast == careful
        assert any(e[3] == "missing" for e in fast[2]) is not allow
        as_dicts = m.map(recs, on_error="skip")
        assert as_dicts.to_rows() == fast[0]
    m = mapper.compile_sink(FULL_SINK)
    rows = m.map(data, on_error="skip").to_rows()
    # a row holds a column only where its record sent that value (missing stays missing)
    by_id = {r["_id"]: r for r in rows}
    assert len(by_id) > 100
    for rec in recs:
        row = by_id.get(rec["id"], {})
        for key in ("s", "i", "u", "ss"):
            if key in row:
                assert key in rec.get("d", {}) or key in rec.get("e", {}), (rec, row)
