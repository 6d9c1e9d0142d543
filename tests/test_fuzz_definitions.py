"""Fuzzing stages 1-2 (definition -> checked Sink -> generated code) with hostile definitions.

Whatever the definition:
* ``load_sink`` gives a Sink or raises ``DefinitionError`` whose every problem has a JSON
  Pointer into the document and a message (no other exception, no SyntaxError from the
  generated code, nothing the definition says ever runs);
* a Sink compiles, and its Mapper maps any record: every record ends as a row or a refused
  record, and dicts map as their NDJSON text does;
* ``mapper check`` on an unreadable definition file exits 2 naming the file and the place.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import mapper

ROOT = Path(__file__).parents[1]
MAX_ENTRIES_50MB = 20_000
FUZZ = settings(max_examples=int(os.environ.get("MAPPER_FUZZ_EXAMPLES", "200")), suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

INJECTION = "'); import os; os._exit(3); ('"
HOSTILE = [
    "",
    "a",
    "A",
    "k",
    "K",
    '"',
    "'",
    "\\",
    "\\'",
    '\\"',
    "\n",
    "a\nb",
    "\r",
    "\u2028",
    "\u2029",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff",
    "\ud83d\ude00",
    "😀",
    "__class__",
    "__init__",
    "__builtins__",
    "self",
    "None",
    "True",
    "lambda",
    "def",
    "_id",
    INJECTION,
    '"]); __import__("os")._exit(3) #',
    "{0}",
    "%s",
    "${x}",
    "a.b",
    "a[0]",
    "`x`",
    "*",
    "@",
    "٣",  # an Arabic-Indic digit
    "١٢",
    "𝟙",
    "\u212b",  # ANGSTROM SIGN: NFC makes it U+00C5, as it does A and a combining ring
    "\u00c5",
    "A\u030a",
    "ﬁ",
    "x" * 300,
    "y" * 5000,
]
_text = st.one_of(st.sampled_from(HOSTILE), st.text(alphabet=st.sampled_from(list("aAk_.'\"\\\n\x00\u2028`[]@*0\u0663 \u212b\u00c5") + ["\ud800"]), max_size=6))
_key = _text


def _quoted(key: str) -> str:
    """A key as a JMESPath quoted identifier (JSON string syntax), as README documents for dots."""
    return json.dumps(key)


def _dotted(keys: Any) -> Any:
    """Dot notation over ``keys``, each key bare when it can be, else quoted (or quoted anyway)."""
    return st.lists(st.tuples(keys, st.booleans()), min_size=1, max_size=4).map(
        lambda parts: ".".join(_quoted(k) if q or not k.isidentifier() else k for k, q in parts)
    )


_dot_path = _dotted(_key)
_path = st.one_of(
    st.lists(_key, min_size=0, max_size=4),
    _dot_path,
    _text,  # raw text, whatever it parses as
    st.lists(st.one_of(_key, st.integers(), st.none(), st.lists(_key, max_size=2)), max_size=3),
)

TYPES = ["id", "ids", "string", "strings", "bool", "int", "decimal", "timestamp", "recordTime", "dateInt", "signedIntBoolKey"]
CONFIG_KEYS = [
    "Mutex",
    "mutex",
    "Scale",
    "Min",
    "Max",
    "Unit",
    "Granularity",
    "Layout",
    "Epoch",
    "Quantum",
    "TTL",
    "CustomUnit",
    "CacheType",
    "CacheSize",
    "ForeignIndex",
    "NameVal",
    "DestNameVal",
]
HUGE = [2**200, -(2**200), 2**63, 2**64, -(2**63) - 1, 10**30, 1e308, -1e308, 5e-324, float("inf"), float("-inf"), float("nan")]
_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(HUGE),
    st.floats(allow_nan=False),
    _text,
    st.sampled_from(
        ["s", "ms", "us", "ns", "d", "c", "YMD", "H", "24h", "-1h", "2006-01-02", "%Y", "yyyy", "1970-01-01T00:00:00Z", "0s", "-5s", "ranked", "lru"]
    ),
)
_value = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)), max_leaves=6)
_config = st.one_of(st.dictionaries(st.one_of(st.sampled_from(CONFIG_KEYS), _text), _value, max_size=4), _value)
_entry = st.one_of(
    st.fixed_dictionaries(
        {"name": _text, "path": _path, "type": st.sampled_from(TYPES)},
        optional={"config": _config},
    ),
    st.fixed_dictionaries(
        {}, optional={"name": _value, "path": st.one_of(_path, _value), "type": st.one_of(st.sampled_from(TYPES), _value), "config": _config}
    ),
)


@st.composite
def _definitions(draw: Any) -> Any:
    entries = draw(st.lists(_entry, max_size=5))
    if entries and draw(st.booleans()):  # a duplicate entry, or one whose name differs only in case
        e = dict(draw(st.sampled_from(entries)))
        if isinstance(e.get("name"), str) and draw(st.booleans()):
            e["name"] = e["name"].swapcase()
        entries.append(e)
    names = [e["name"] for e in entries if isinstance(e.get("name"), str)]
    ident = st.one_of(st.sampled_from(names), _text) if names else _text
    schema: dict[str, Any] = {"definition": entries}
    which = draw(st.sampled_from(["id_field", "primary_key_fields", "both", "neither"]))
    if which in ("id_field", "both"):
        schema["id_field"] = draw(st.one_of(ident, _value))
    if which in ("primary_key_fields", "both"):
        schema["primary_key_fields"] = draw(st.one_of(st.lists(ident, max_size=3), _value))
    if draw(st.booleans()):
        schema["allow_missing_fields"] = draw(st.one_of(st.booleans(), _value))
    form = draw(st.sampled_from(["schema", "body", "array"]))
    if form == "body":
        return {"name": draw(_text), "schema": schema}
    if form == "array":
        return entries
    return schema


_name = _text.filter(lambda s: s.strip() != "" and not any(0xD800 <= ord(c) <= 0xDFFF for c in s))
_good_key = _name
_good_path = st.one_of(st.lists(_good_key, min_size=1, max_size=3), _dotted(_good_key))
_int = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from(HUGE[:5]))
_VALID_CONFIGS: dict[str, Any] = {
    "id": st.fixed_dictionaries({}, optional={"Mutex": st.booleans(), "CacheType": st.sampled_from(["ranked", "lru", "none"]), "CacheSize": _int}),
    "string": st.fixed_dictionaries({}, optional={"Mutex": st.booleans(), "mutex": st.booleans()}),
    "ids": st.fixed_dictionaries({}, optional={"Quantum": st.sampled_from(["YMD", "H", "", "X"]), "TTL": st.sampled_from(["24h", "0s", "1x", ""])}),
    "strings": st.fixed_dictionaries({}, optional={"Quantum": st.sampled_from(["YMD", "YMDH"]), "TTL": st.sampled_from(["24h", "-1h"])}),
    "bool": st.just({}),
    "int": st.fixed_dictionaries({}, optional={"Min": _int, "Max": _int, "ForeignIndex": _name}),
    "decimal": st.fixed_dictionaries({}, optional={"Scale": st.one_of(st.integers(0, 19), _int)}),
    "timestamp": st.fixed_dictionaries(
        {},
        optional={
            "Unit": st.sampled_from(["d", "h", "m", "s", "ms", "us", "ns", ""]),
            "Granularity": st.sampled_from(["s", "ms", "us", "ns"]),
            "Epoch": st.sampled_from(["1970-01-01T00:00:00Z", "2000-01-01T00:00:00+05:30", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]),
            "Layout": st.sampled_from(["2006-01-02", "2006-01-02T15:04:05.999999999Z07:00", "Jan _2 15:04:05", ""]),
        },
    ),
    "recordTime": st.fixed_dictionaries({}, optional={"Unit": st.sampled_from(["s", "ns"]), "Layout": st.sampled_from(["2006-01-02", "15:04"])}),
    "dateInt": st.fixed_dictionaries(
        {},
        optional={
            "Unit": st.sampled_from(["d", "s", "c"]),
            "CustomUnit": st.sampled_from(["1h", "-2h", "90m"]),
            "Epoch": st.sampled_from(["1970-01-01T00:00:00Z", "2020-02-29T00:00:00Z"]),
            "Layout": st.sampled_from(["2006-01-02", "20060102", "Jan 2 2006"]),
        },
    ),
    "signedIntBoolKey": st.just({}),
}


@st.composite
def _valid_ish(draw: Any) -> Any:
    """Definitions that are mostly valid (so they compile and map), with hostile names and keys."""
    entries = []
    for _ in range(draw(st.integers(1, 6))):
        t = draw(st.sampled_from(TYPES))
        entry: dict[str, Any] = {"name": draw(_name), "path": draw(_good_path), "type": t}
        config = draw(_VALID_CONFIGS[t])
        if config or draw(st.booleans()):
            entry["config"] = config
        entries.append(entry)
    if draw(st.booleans()):  # an id column, or a string primary key
        entries.append({"name": draw(_name), "path": draw(_good_path), "type": draw(st.sampled_from(["id", "int"]))})
        ident: dict[str, Any] = {"id_field": entries[-1]["name"]}
    else:
        keys = draw(st.lists(st.sampled_from(entries), min_size=1, max_size=3))
        ident = {"primary_key_fields": [e["name"] for e in keys]}
    return {**ident, "allow_missing_fields": draw(st.booleans()), "definition": entries}


def _problems_have_locations(problems: Any) -> None:
    assert problems
    for p in problems:
        assert p.severity in ("error", "warning", "note")
        assert isinstance(p.pointer, str) and (p.pointer == "" or p.pointer.startswith("/")), p
        assert isinstance(p.message, str) and p.message, p


def _paths_of(sink: mapper.Sink) -> list[tuple[str, ...]]:
    out = []
    for c in sink.columns:
        keys = getattr(c.path, "keys", None)
        if keys:
            out.append(tuple(keys))
    return out


def _set(rec: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    cur = rec
    for k in keys[:-1]:
        nxt = cur.get(k)
        if not isinstance(nxt, dict):
            nxt = cur[k] = {}
        cur = nxt
    cur[keys[-1]] = value


_record_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**66), max_value=2**66),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
    st.sampled_from(
        ["1", "0010", "-1", "1.5", "t", "2024-01-02T03:04:05Z", "2024-01-02", "a,b", "[1,2]", "", "0" * 5000 + "7", "-" + "0" * 5000 + "7", "9" * 5000]
    ),
    st.lists(st.one_of(st.integers(0, 10), _text), max_size=3),
    st.dictionaries(_text, st.integers(), max_size=2),
)


def _map_both_ways(m: mapper.Mapper, records: list[dict[str, Any]]) -> None:
    report = m.validate(records, on_error="skip")
    assert report.success_count + report.failed_records == report.records == len(records)
    batch = m.map(records, on_error="skip", max_errors=1.0)
    assert batch.count + batch.report.failed_records == len(records)
    text = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    tbatch = m.map(text, on_error="skip", max_errors=1.0, input_format="ndjson")
    assert tbatch.count + tbatch.report.failed_records == len(records)
    assert [r.record for r in tbatch.report.rejected] == [r.record for r in batch.report.rejected]
    assert tbatch.to_rows() == batch.to_rows()
    careful = m.map(text, on_error="skip", max_errors=1.0, input_format="ndjson", fast=False)
    assert careful.to_rows() == batch.to_rows()


@FUZZ
@given(st.one_of(_valid_ish(), _valid_ish(), _definitions()), st.data())
def test_any_definition_loads_or_names_its_problems_and_maps_anything(definition: Any, data: Any) -> None:
    result = mapper.check_sink(definition)
    assert isinstance(result, mapper.CheckResult)
    try:
        sink = mapper.load_sink(definition)
    except mapper.DefinitionError as e:
        assert not result.valid
        _problems_have_locations(e.problems)
        assert any(p.severity == "error" for p in e.problems)
        return
    assert result.valid
    m = mapper.Mapper(sink)
    for section in m.compiled._sections:  # every generated function compiles (most are made on first use)
        assert callable(m.compiled._load(section))
    paths = _paths_of(sink)
    records = []
    for _ in range(data.draw(st.integers(0, 4))):
        rec: dict[str, Any] = data.draw(st.dictionaries(_text, _record_value, max_size=2))
        for keys in paths:
            if data.draw(st.booleans()):
                _set(rec, keys, data.draw(_record_value))
        records.append(rec)
    _map_both_ways(m, records)


@FUZZ
@given(st.lists(_good_key, min_size=1, max_size=4), st.lists(st.booleans(), min_size=4, max_size=4), st.lists(_record_value, min_size=1, max_size=3))
@example(keys=["_k"], quote=[False] * 4, values=[False])  # the value's path is the key's: _id "false" (the test's own int() raised)
def test_a_dotted_path_reads_what_its_list_of_keys_reads(keys: list[str], quote: list[bool], values: list[Any]) -> None:
    dotted = ".".join(_quoted(k) if q or not k.isidentifier() else k for k, q in zip(keys, quote))
    assert mapper.parse_path(dotted).keys == tuple(keys)
    sinks = [
        {
            "primary_key_fields": ["k"],
            "allow_missing_fields": True,
            "definition": [{"name": "k", "path": ["_k"], "type": "string"}, {"name": "v", "path": path, "type": "string"}],
        }
        for path in (keys, dotted)
    ]
    records: list[dict[str, Any]] = []
    for i, value in enumerate(values):
        rec: dict[str, Any] = {"_k": str(i)}
        _set(rec, tuple(keys), value)
        records.append(rec)
    by_list, by_dots = (mapper.compile_sink(d) for d in sinks)
    assert by_list.map(records, on_error="skip", max_errors=1.0).to_rows() == by_dots.map(records, on_error="skip", max_errors=1.0).to_rows()
    text = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    rows = by_dots.map(text, on_error="skip", max_errors=1.0).to_rows()
    if keys[0] == "_k":  # the value was written over the record's key: its _id is no index into values
        return
    for row in rows:
        value = values[int(row["_id"])]
        if isinstance(value, str) and value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            assert row["v"] == value, (row, value)


_TABLE_TYPES = [
    "STRING",
    "ID",
    "INT",
    "INT MIN -5 MAX 5",
    "INT MIN " + "9" * 30,
    "INT MAX -" + "9" * 5000,
    "DECIMAL(2)",
    "DECIMAL(19) MIN 5",
    "DECIMAL(" + "9" * 5000 + ")",
    "TIMESTAMP TIMEUNIT 'ms'",
    "TIMESTAMP TIMEUNIT 'x' EPOCH '1970-01-01T00:00:00Z'",
    "STRINGSET",
    "IDSETQ TIMEQUANTUM 'YMD' TTL '24h'",
    "BOOL",
    "STRING CACHETYPE RANKED SIZE 1000",
    "VARCHAR",
]


@st.composite
def _ui_forms(draw: Any) -> Any:
    """The UI's table mapping: a CREATE TABLE statement (sometimes broken) and dot paths."""
    ident = st.sampled_from(["a", "b", "ts", "x1", "c_d", "e-f", "A", "select"])
    cols = draw(st.lists(st.tuples(ident, st.sampled_from(_TABLE_TYPES)), max_size=4))
    body = ", ".join([f"_id {draw(st.sampled_from(['ID', 'STRING', 'INT', '']))}"] + [f"{n} {t}" for n, t in cols])
    table = draw(
        st.one_of(
            st.just(f"CREATE TABLE t ({body})"), st.just(f"create table if not exists t ({body});"), _text, st.just(f"CREATE TABLE t ({body}" + "(" * 3000)
        )
    )
    mapping: dict[str, Any] = {}
    for n in ["_id"] + [n for n, _ in cols]:
        if n == "_id" or draw(st.booleans()):
            mapping[n] = draw(st.one_of(_dotted(_name), st.fixed_dictionaries({"path": _path}, optional={"config": _config}), _value))
    d: dict[str, Any] = {"name": draw(st.one_of(st.just("t"), _text)), "table": table, "mapping": mapping}
    if draw(st.booleans()):
        d["allow_missing_fields"] = draw(st.one_of(st.booleans(), _value))
    return d


_option = st.one_of(st.none(), _text, st.lists(_text, max_size=3), st.sampled_from(["a,b", ",", "a,,b", " k , A ", "k"]), _value)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.one_of(_ui_forms(), _valid_ish()), _option, _option, st.one_of(st.none(), st.booleans(), _value), st.one_of(st.none(), _text, _value))
def test_the_ui_form_and_the_options_load_or_name_their_problems(definition: Any, id_field: Any, pk: Any, amf: Any, name: Any) -> None:
    try:
        sink = mapper.load_sink(definition, id_field=id_field, primary_key_fields=pk, allow_missing_fields=amf, name=name)
    except mapper.DefinitionError as e:
        _problems_have_locations(e.problems)
        return
    except mapper.OptionError:
        return  # an option of the wrong type, named before anything is read
    m = mapper.Mapper(sink)
    for section in m.compiled._sections:
        assert callable(m.compiled._load(section))
    _map_both_ways(m, [{}, {"a": "1", "b": {"c": 2}}])


# The same definitions as JSON text, so the number literals no Python value writes reach the loader.
_LITERALS = ["1e400", "-1e400", "1" + "0" * 400, "1.5e-400", "-0", "0.0", "1E+2", '"\\ud800"', '"\\u0000"', '"a\\u2028b"']


@FUZZ
@given(st.one_of(_valid_ish(), _definitions()), st.lists(st.sampled_from(_LITERALS), min_size=1, max_size=3), st.booleans())
def test_any_definition_text_loads_or_names_its_problems(definition: Any, literals: list[str], as_bytes: bool) -> None:
    text = json.dumps(definition, allow_nan=True).replace("Infinity", "1e400").replace("NaN", "null")
    for i, lit in enumerate(literals):  # a literal in place of the first numbers the text has
        text = text.replace(": 0", f": {lit}", 1) if i % 2 else text.replace("null", lit, 1)
    source: Any = text.encode("utf-8", "surrogatepass") if as_bytes else text
    try:
        sink = mapper.load_sink(source)
    except mapper.DefinitionError as e:
        _problems_have_locations(e.problems)
        return
    mapper.Mapper(sink).validate([{}, {"a": 1}], on_error="skip")


# --- plain examples: each a crash found by the fuzzing above, kept as it was found ---------------------


def _loads_or_names(definition: Any) -> mapper.Sink | None:
    try:
        return mapper.load_sink(definition)
    except mapper.DefinitionError as e:
        _problems_have_locations(e.problems)
        return None


def test_injection_in_names_and_keys_is_data() -> None:
    d = {
        "primary_key_fields": [INJECTION],
        "allow_missing_fields": True,
        "definition": [
            {"name": INJECTION, "path": [INJECTION, "\u2028", "\x00"], "type": "string"},
            {"name": "b", "path": [INJECTION + "\\"], "type": "int"},
            {"name": "c", "path": f"x.{json.dumps(INJECTION)}", "type": "ids"},
        ],
    }
    m = mapper.compile_sink(d)
    rec = {INJECTION: {"\u2028": {"\x00": "v"}}, INJECTION + "\\": 5, "x": {INJECTION: [1, 2]}}
    rows = m.map([rec]).to_rows()
    assert rows == [{"_id": "v", "b": 5, "c": [1, 2]}]
    _map_both_ways(m, [rec, {}])


def test_a_number_string_with_thousands_of_leading_zeros_is_its_number() -> None:
    # Go reads any number of leading zeros; int() refused the text (over 4,300 digits): a ValueError escaped map
    zeros = "0" * 5000
    d = {
        "id_field": "i",
        "allow_missing_fields": True,
        "definition": [
            {"name": "i", "path": ["i"], "type": "id"},
            {"name": "n", "path": ["n"], "type": "int"},
            {"name": "s", "path": ["s"], "type": "ids"},
            {"name": "t", "path": ["t"], "type": "timestamp", "config": {"Unit": "s"}},
            {"name": "k", "path": ["k"], "type": "signedIntBoolKey"},
        ],
    }
    m = mapper.compile_sink(d)
    rec = {"i": zeros + "3", "n": "-" + zeros + "7", "s": [zeros + "1", "2"], "t": zeros + "60", "k": "+" + zeros + "5"}
    for fast in (True, False):
        assert m.map([rec], fast=fast).to_rows() == [{"_id": 3, "n": -7, "s": [1, 2], "t": "1970-01-01T00:01:00Z", "k": 5}]
    _map_both_ways(m, [rec, {**rec, "n": zeros + "9" * 50}])
    assert m.check({**rec, "n": zeros + "9" * 50})[0].code == "out_of_range"


def test_a_path_index_of_thousands_of_digits_is_named_where_it_is() -> None:
    # the library's int() refused the digits: the message was "invalid path: ValueError", pointing at character 0
    for text, at in (("a[" + "9" * 5000 + "]", 2), ("items[0].b[:-" + "9" * 4400 + "]", 13)):
        with pytest.raises(mapper.PathSyntaxError) as info:
            mapper.parse_path(text)
        assert info.value.position == at, info.value
        assert "ValueError" not in str(info.value) and "digits" in info.value.message
        d = {
            "id_field": "i",
            "allow_missing_fields": True,
            "definition": [{"name": "i", "path": ["i"], "type": "id"}, {"name": "v", "path": text, "type": "ids"}],
        }
        problems = mapper.check_sink(d).problems
        assert [(p.pointer, "digits" in p.message) for p in problems if p.severity == "error"] == [("/definition/1/path", True)]


def test_a_sink_built_by_hand_with_a_surrogate_key_maps_on_the_careful_path() -> None:
    # load_sink refuses such a key, a Sink made with dataclasses.replace may hold one: msgspec's
    # UnicodeEncodeError escaped compiling the fast path's structs
    import dataclasses

    from mapper.paths import Path as KeyPath

    sink = mapper.load_sink(
        {
            "primary_key_fields": ["k"],
            "allow_missing_fields": True,
            "definition": [{"name": "k", "path": ["k"], "type": "string"}, {"name": "v", "path": ["v"], "type": "int"}],
        }
    )
    k, v = sink.columns
    m = mapper.Mapper(dataclasses.replace(sink, columns=(k, dataclasses.replace(v, path=KeyPath(keys=("\ud800", "a"))))))
    assert "surrogate" in (m.compiled.fast_unavailable or "")
    assert m.map([{"k": "x", "\ud800": {"a": 5}}]).to_rows() == [{"_id": "x", "v": 5}]
    assert m.map(b'{"k": "x", "\\ud800": {"a": 5}}').to_rows() == [{"_id": "x"}]  # the escape arrives as U+FFFD


def test_a_sink_built_by_hand_that_cannot_compile_is_a_definition_error() -> None:
    # compiling one raised a KeyError from deep inside (the identity's column, the type's class)
    import dataclasses

    sink = mapper.load_sink(
        {
            "primary_key_fields": ["k"],
            "allow_missing_fields": True,
            "definition": [{"name": "k", "path": ["k"], "type": "string"}, {"name": "v", "path": ["v"], "type": "int"}],
        }
    )
    k, v = sink.columns
    cases = [
        (dataclasses.replace(sink, primary_key_fields=("zz",)), "/primary_key_fields/0"),
        (dataclasses.replace(sink, columns=(k, dataclasses.replace(v, type="nope"))), "/definition/1/type"),
        (dataclasses.replace(sink, columns=(k, dataclasses.replace(v, path=mapper.Path(keys=())))), "/definition/1/path"),
        (dataclasses.replace(sink, id_field="k"), ""),
    ]
    for bad, pointer in cases:
        with pytest.raises(mapper.DefinitionError) as info:
            mapper.Mapper(bad)
        assert [p.pointer for p in info.value.problems] == [pointer], info.value


def test_a_record_error_quotes_the_id_column_name_with_its_controls_escaped() -> None:
    # "the record's id (i<ESC>[31mRED) is missing": the name went into the message raw, and
    # `mapper validate` printed the ESC to the terminal
    name = "i\x1b[31mRED\n" + "x" * 300
    m = mapper.compile_sink({"id_field": name, "allow_missing_fields": True, "definition": [{"name": name, "path": ["i"], "type": "id"}]})
    for fast in (True, False):
        for records in ([{}], b"{}\n"):
            (err,) = m.validate(records, on_error="skip", fast=fast).errors
            assert err.code == "invalid_id" and err.message.startswith("the record's id (i\\u001b[31mRED\\n"), err.message
            assert err.message.isprintable() and len(err.message.split(" - at ")[0]) < 150, err.message


def test_a_table_statements_excerpt_shows_control_characters_as_escapes() -> None:
    # the caret's excerpt of the statement printed an ESC (or a NUL) as it was: to the terminal, by mapper check
    # (then as U+FFFD, while the message named it '\x00': now as the message's escape, test_check2)
    for sql, at, escape in (("CREATE TABLE t (_id ID, a INT\x1b[31m)", 30, "\\x1b"), ("\x00", 1, "\\x00"), ("CREATE TABLE t\x07 (_id ID)", 15, "\\x07")):
        d = {"name": "t", "allow_missing_fields": True, "table": sql, "mapping": {"_id": "a"}}
        (problem,) = (p for p in mapper.check_sink(d).problems if p.pointer == "/table")
        assert f"line 1 column {at}:" in problem.message, problem.message
        assert all(line.isprintable() for line in problem.message.splitlines()), problem.message
        assert escape in problem.message.splitlines()[1]


def test_paths_whose_keys_would_make_gigabytes_of_code_are_refused_at_the_entry_that_passes_the_limit() -> None:
    # 3,000 columns of 100 keys each (a 2.4 MB definition) compiled to 279 MB of source in 18 GB of
    # memory: the generated code grows with the distinct keys of the paths, which nothing bounded
    d = {
        "id_field": "i",
        "allow_missing_fields": True,
        "definition": [{"name": "i", "path": ["i"], "type": "id"}]
        + [{"name": f"c{j}", "path": [f"k{j}_{depth}" for depth in range(100)], "type": "int"} for j in range(1000)],
    }
    errors = [p for p in mapper.check_sink(d).problems if p.severity == "error"]
    assert [(p.pointer, p.code) for p in errors] == [("/definition/500/path", "too-many-keys")], errors
    assert "50,000" in errors[0].message
    # a definition at the column limit whose paths share their parents, as real ones do, is not near it
    wide = {
        "id_field": "i",
        "allow_missing_fields": True,
        "definition": [{"name": "i", "path": ["i"], "type": "id"}]
        + [{"name": f"c{j}", "path": ["data", f"g{j // 50}", f"f{j}", "value"], "type": "int"} for j in range(4999)],
    }
    assert mapper.check_sink(wide).valid
    # the UI's table form: its mapping's dot paths
    ui = {
        "name": "t",
        "allow_missing_fields": True,
        "table": "CREATE TABLE t (_id ID, " + ", ".join(f"c{j} INT" for j in range(600)) + ")",
        "mapping": {"_id": "i", **{f"c{j}": ".".join(f"k{j}_{depth}" for depth in range(100)) for j in range(600)}},
    }
    errors = [p for p in mapper.check_sink(ui).problems if p.severity == "error"]
    assert [(p.pointer, p.code) for p in errors] == [("/mapping/c499", "too-many-keys")], errors


def test_infer_of_records_whose_paths_pass_the_key_limit_says_how_to_narrow_them(monkeypatch: Any) -> None:
    # the draft failed its own check: "internal: the draft does not check" (600 such paths; here
    # the limit is lowered, as 60,000 keys take seconds to infer)
    monkeypatch.setattr(sys.modules["mapper.infer"], "MAX_PATH_TREE_KEYS", 500, raising=False)
    rec: dict[str, Any] = {"id": 1}
    for j in range(6):
        cur = rec
        for depth in range(99):
            cur = cur.setdefault(f"k{j}_{depth}", {})
        cur["v"] = 1
    with pytest.raises(mapper.InferError) as info:
        mapper.infer([json.dumps(rec)])
    assert "internal" not in str(info.value) and "distinct keys" in str(info.value) and "--max-depth" in str(info.value), info.value


def test_a_python_definition_that_holds_itself_is_an_error_where_it_does() -> None:
    # the walk for lone surrogates went round such a definition for ever
    listed: list[Any] = []
    listed.append(listed)
    doc: dict[str, Any] = {"id_field": "i", "allow_missing_fields": True, "definition": [{"name": "i", "path": ["i"], "type": "id", "config": {}}]}
    doc["definition"][0]["config"]["Min"] = doc
    shared = {"Mutex": True}  # a value held twice is no cycle
    twice = {
        "primary_key_fields": ["a"],
        "allow_missing_fields": True,
        "definition": [{"name": n, "path": [n], "type": "string", "config": shared} for n in ("a", "b")],
    }
    assert [(p.pointer, p.code) for p in mapper.check_sink(listed).problems] == [("/0", "cycle")]
    with pytest.raises(mapper.DefinitionError) as info:
        mapper.load_sink(doc)
    assert [(p.pointer, p.code) for p in info.value.problems] == [("/definition/0/config/Min", "cycle")]
    assert "the whole document" in info.value.problems[0].message
    assert mapper.check_sink(twice).valid


def test_huge_and_wrong_typed_config_values_are_problems() -> None:
    for value in (2**200, -(2**200), float("inf"), float("nan"), 1e308, [1], {"a": 1}, "x", True):
        for key in ("Scale", "Min", "Max", "Epoch", "CacheSize", "Unit", "Quantum", "TTL", "CustomUnit", "Mutex", "Layout"):
            d = {
                "id_field": "i",
                "allow_missing_fields": True,
                "definition": [{"name": "i", "path": ["i"], "type": "id"}, {"name": "v", "path": ["v"], "type": "decimal", "config": {key: value}}],
            }
            _loads_or_names(d)


# --- the command line: unreadable definition files ---------------------------------------------------


def _check(tmp_path: Path, name: str, content: bytes) -> subprocess.CompletedProcess[bytes]:
    f = tmp_path / name
    f.write_bytes(content)
    return subprocess.run([sys.executable, "-m", "mapper", "check", str(f)], capture_output=True, cwd=ROOT, timeout=60)


def _check_here(tmp_path: Path, name: str, content: bytes, capsys: Any) -> tuple[int, bytes]:
    """``mapper check FILE`` in this process (a process each took seconds): its exit status and output."""
    from mapper.cli import main

    f = tmp_path / name
    f.write_bytes(content)
    capsys.readouterr()
    try:
        code = main(["check", str(f)])
    except SystemExit as exc:  # (a usage error exits from argparse)
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, (out.out + out.err).encode("utf-8", "backslashreplace")


def test_cli_check_names_the_place_of_unreadable_definitions(tmp_path: Path, capsys: Any) -> None:
    cases = {
        "broken.json": (b'{"id_field": "a",\n  "definition": [\n    {"name": "a", }\n]}', [b"broken.json", b"line 3"]),
        "latin1.json": (b'{"id_field": "\xe9", "allow_missing_fields": true, "definition": []}', [b"latin1.json", b"UTF-8"]),
        "array.json": (b"[1, 2]", [b"array.json", b"/0"]),
        "scalar.json": (b'"x"', [b"scalar.json"]),
        "empty.json": (b"", [b"empty.json"]),
        "deep.json": (b"[" * 10_000 + b"]" * 10_000, [b"deep.json", b"too deeply", b"line 1 column 101"]),
        "deepobj.json": (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, [b"deepobj.json", b"too deeply", b"line 1 column 501"]),
        "deepconfig.json": (
            b'{"id_field": "a", "allow_missing_fields": true,\n "definition": [{"name": "a", "path": ["a"], "type": "id",\n  "config": {"Min": '
            + b"[" * 10_000  # (5,000 levels: read from Python 3.13 on, whose decoder takes 9,998: tests/depths.py)
            + b"]" * 10_000
            + b"}}]}",
            [b"deepconfig.json", b"too deeply", b"line 3 column 117"],
        ),
        "unclosed.json": (b"[" * 100_000, [b"unclosed.json", b"too deeply", b"line 1 column 101"]),
        "nul.json": (b'{"id_field": "x\x00"}', [b"nul.json", b"line 1 column 16", b"U+0000"]),
    }
    for name, (content, wanted) in cases.items():
        code, out = _check_here(tmp_path, name, content, capsys)
        assert code == 2, (name, code, out[-2000:])
        for w in wanted:
            assert w.lower() in out.lower(), (name, w, out[-2000:])
        assert b" at at " not in out, out


def test_a_definition_nested_too_deeply_is_named_where_it_gets_too_deep() -> None:
    # the error said only "the definition is nested too deeply", with no place ("" points at the whole document)
    deep: list[Any] = []
    for _ in range(10_000):  # (5,000 levels: checked whole from Python 3.13 on, where C code recurses 10,000 deep)
        deep = [deep]
    d = {"id_field": "a", "allow_missing_fields": True, "definition": [{"name": "a", "path": ["a"], "type": "int", "config": {"Min": deep}}]}
    (problem,) = mapper.check_sink(d).problems
    assert problem.code == "too-deep"
    assert problem.pointer == "/definition/0/config/Min" + "/0" * 96, problem.pointer


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
@given(st.one_of(_valid_ish(), _definitions(), _ui_forms()), st.sampled_from(["check", "explain"]))
def test_cli_check_and_explain_print_any_definition_printably(tmp_path: Path, capsys: Any, definition: Any, command: str) -> None:
    from mapper.cli import main

    f = tmp_path / "sink.json"
    f.write_bytes(json.dumps(definition, allow_nan=True).replace("Infinity", "1e400").replace("NaN", "null").encode("utf-8", "surrogatepass"))
    capsys.readouterr()
    code = main([command, str(f)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code in (0, 2), (code, text[-2000:])
    assert all(line.isprintable() for line in text.splitlines()), [line for line in text.splitlines() if not line.isprintable()][:3]


def test_an_endless_definition_file_is_refused_by_its_size(monkeypatch: Any, tmp_path: Path, capsys: Any) -> None:
    # `mapper check /dev/zero` read until memory ran out (a MemoryError traceback under a limit);
    # here the limit is lowered, as reading 64 MiB of /dev/zero takes a while
    from mapper import sink as sink_module

    monkeypatch.setattr(sink_module, "MAX_SINK_BYTES", 1 << 20, raising=False)
    for source in (Path("/dev/zero"), b"[" + b" " * (2 << 20) + b"]"):
        (problem,) = mapper.check_sink(source).problems
        assert problem.code == "too-large" and "1 MiB" in problem.message, problem
    code, out = _check_here(tmp_path, "big.json", b"{}" + b" " * (2 << 20), capsys)
    assert code == 2 and b"big.json is larger than 1 MiB" in out, out[-2000:]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.FileIO("/dev/zero"))))
    from mapper.cli import main

    assert main(["check", "-"]) == 2
    assert "larger than 1 MiB" in capsys.readouterr().out


def test_a_definition_of_a_million_entries_is_refused_without_checking_each() -> None:
    # a 50 MB definition of a million bad entries took `mapper check` a minute and printed a million
    # problems; past the column limit only the first entries are checked, and the error says so
    from mapper.checks import MAX_COLUMNS

    n = MAX_COLUMNS * 3
    entries = [{"name": f"n{i}", "path": ["p"], "type": "nope"} for i in range(n)]
    problems = mapper.check_sink({"id_field": "n0", "allow_missing_fields": True, "definition": entries}).problems
    assert problems[0].pointer == "/definition" and "entries after the first 10,100 are not checked" in problems[0].message
    assert len(problems) == 10_100 + 1
    assert problems[1].pointer == "/definition/0/type" and problems[-1].pointer == "/definition/10099/type"


def test_cli_check_of_a_50_mb_definition_names_its_problems(tmp_path: Path) -> None:
    entry = b'{"name": "n%d", "path": ["p"], "type": "int"},'
    body = b"".join(entry % i for i in range(MAX_ENTRIES_50MB))
    proc = _check(tmp_path, "big.json", b'{"id_field": "n0", "allow_missing_fields": true, "definition": [' + body[:-1] + b"]}" + b" " * 49_000_000)
    assert b"Traceback" not in proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert b"error: /definition: the definition has 20,000 columns" in proc.stdout, proc.stdout[-2000:]
