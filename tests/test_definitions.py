"""Sink definitions: golden cases, hostile input and the ``mapper check`` command (issue 2).

Expected outcomes come from the contract (``shared/spec/featurebase-sink.md`` sections 1-3,
the seed page ``create-ingest-endpoint.md``) and the rules listed in issue 2, not from what
the code happens to print.

Golden cases live in ``tests/cases/definitions/<case>/``:

* ``sink.json`` (or ``sink.txt`` / ``sink.bin`` for raw bytes that are not JSON) - fed to
  :func:`mapper.check_sink` as a file path;
* ``options.json`` (optional) - keyword arguments for ``check_sink``
  (``id_field``, ``primary_key_fields``, ``allow_missing_fields``);
* ``expected.json`` - ``{"valid": bool, "problems": [{"severity", "pointer", "code", "message"}, ...]}``,
  compared as an exact multiset of (severity, pointer, code) triples, each problem's message
  containing the expected ``message`` substring (required), plus optional
  ``"message_contains": {"<pointer>": "substring"}``. ``"xfail": "<reason>"`` marks a case
  where the code is known to disagree with the contract (strict: it must still fail);
  ``"xfail_pointers"`` does the same for the pointer-resolution test only.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import mapper
from tests.cli_inproc import run_main

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CASES_DIR = HERE / "cases" / "definitions"
UUID = "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e"

# The seed page's example record: `data.aircraftId` maps to "40688E".
SEED_RECORD = {
    "id": "PD2tRswoE3:0:0",
    "timestamp": 1659981468260,
    "encoding": "json",
    "data": {
        "aircraftId": "40688E",
        "lat": 45.1199,
        "long": -43.416,
        "track": 250,
        "altitude": 37996,
        "speed": 495,
        "type": "B788",
        "reg": "G-ZBJA",
        "origin": "LHR",
        "destination": "BNA",
        "iataId": "",
        "icaoId": "BAW223N",
        "airline": "BAW",
    },
    "name": "data",
}


# ---------------------------------------------------------------------------------------
# Golden cases


def _case_names() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def _sink_file(case: Path) -> Path:
    for name in ("sink.json", "sink.txt", "sink.bin"):
        if (case / name).exists():
            return case / name
    raise AssertionError(f"{case} has no sink.json / sink.txt / sink.bin")


def _load_case(name: str) -> tuple[Path, dict, dict]:
    case = CASES_DIR / name
    options = json.loads((case / "options.json").read_text()) if (case / "options.json").exists() else {}
    expected = json.loads((case / "expected.json").read_text())
    return _sink_file(case), options, expected


def _triples(problems) -> collections.Counter:
    return collections.Counter((p.severity, p.pointer, p.code) for p in problems)


def _golden_params(xfail_key: str) -> list:
    params = []
    for name in _case_names():
        expected = json.loads((CASES_DIR / name / "expected.json").read_text())
        marks = []
        if expected.get(xfail_key):
            marks.append(pytest.mark.xfail(reason=expected[xfail_key], strict=True))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def assert_messages(problems, expected_problems) -> None:
    """Every expected problem names a stable substring of its message ("message"); each is found in a problem of the same (severity, pointer, code)."""
    pool = collections.defaultdict(list)
    for p in problems:
        pool[(p.severity, p.pointer, p.code)].append(p.message)
    for want in expected_problems:
        assert want.get("message"), f"expected.json gives no message substring for {want}"
        messages = pool[(want["severity"], want["pointer"], want["code"])]
        hit = next((m for m in messages if want["message"] in m), None)
        assert hit is not None, f"{want['message']!r} is in no message of {want['code']} at {want['pointer']!r}: {messages}"
        messages.remove(hit)


def _show(problems) -> str:
    return "\n".join(f"  {p.severity} {p.pointer!r} [{p.code}] {p.message[:300]}" for p in problems)


@pytest.mark.parametrize("name", _golden_params("xfail"))
def test_golden_case(name):
    sink_file, options, expected = _load_case(name)
    result = mapper.check_sink(str(sink_file), **options)

    want = collections.Counter((p["severity"], p["pointer"], p["code"]) for p in expected["problems"])
    got = _triples(result.problems)
    assert got == want, f"problems differ for {name}:\n{_show(result.problems)}"
    assert result.valid is expected["valid"]
    assert result.valid == (not any(p.severity == "error" for p in result.problems))
    if result.valid:
        assert result.sink is not None
    for p in result.problems:
        assert p.severity in ("error", "warning", "note")
        assert p.pointer == "" or p.pointer.startswith("/")
        assert p.message and isinstance(p.message, str)
    assert_messages(result.problems, expected["problems"])
    for pointer, fragment in expected.get("message_contains", {}).items():
        messages = [p.message for p in result.problems if p.pointer == pointer]
        assert messages, f"no problem at {pointer!r}"
        assert any(fragment in m for m in messages), f"{fragment!r} not in any message at {pointer!r}: {messages}"


def _json_cases() -> list[str]:
    return [n for n in _case_names() if (CASES_DIR / n / "sink.json").exists()]


@pytest.mark.parametrize("name", _json_cases())
def test_golden_case_same_from_text_bytes_and_value(name):
    """A file path, JSON text (str and bytes) and the parsed value give the same problems."""
    sink_file, options, _expected = _load_case(name)
    text = sink_file.read_text(encoding="utf-8")
    from_path = _triples(mapper.check_sink(str(sink_file), **options).problems)
    assert _triples(mapper.check_sink(text.encode("utf-8"), **options).problems) == from_path
    value = json.loads(text)
    if isinstance(value, (dict, list)):
        assert _triples(mapper.check_sink(text, **options).problems) == from_path
        assert _triples(mapper.check_sink(value, **options).problems) == from_path


def _resolves(doc, pointer: str) -> bool:
    """The pointer's parent exists in ``doc`` and its last token can name a member of it.

    A member of an object may be absent (a *missing* key); an array member must be an index.
    """
    if pointer == "":
        return True
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]
    node = doc
    for i, tok in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(node, dict):
            if last:
                return True
            if tok not in node:
                return False
            node = node[tok]
        elif isinstance(node, list):
            if not tok.isdigit() or int(tok) >= len(node):
                return False
            if last:
                return True
            node = node[int(tok)]
        else:
            return False
    return True  # pragma: no cover


@pytest.mark.parametrize("name", [p for p in _golden_params("xfail_pointers") if (CASES_DIR / p.values[0] / "sink.json").exists()])
def test_golden_pointers_point_into_the_document(name):
    """Every pointer is a JSON Pointer into the document as written (RFC 6901)."""
    sink_file, options, _expected = _load_case(name)
    doc = json.loads(sink_file.read_text(encoding="utf-8"))
    for p in mapper.check_sink(str(sink_file), **options).problems:
        assert _resolves(doc, p.pointer), f"{p.pointer!r} does not point into the document: {p}"


def test_every_rule_has_a_golden_case():
    """Each problem code the issue's rules produce appears in at least one golden case."""
    codes = set()
    for name in _case_names():
        expected = json.loads((CASES_DIR / name / "expected.json").read_text())
        codes |= {p["code"] for p in expected["problems"]}
    needed = {
        "invalid-name",
        "missing",
        "wrong-type",
        "identity",
        "unknown-column",
        "identity-type",
        "duplicate-name",
        "empty-path",
        "array-index",
        "unknown-type",
        "unknown-config-key",
        "duplicate-key",
        "invalid-quantum",
        "ttl-needs-quantum",
        "invalid-ttl",
        "mutex-quantum",
        "mutex-ttl",
        "max-without-min",
        "min-above-max",
        "invalid-scale",
        "default-scale",
        "invalid-unit",
        "invalid-granularity",
        "invalid-epoch",
        "layout",
        "custom-unit",
        "same-path",
        "prefix-path",
        "path-syntax",
        "jmespath",
        "not-a-definition",
        "invalid-json",
        "invalid-utf8",
        "empty",
    }
    assert needed <= codes, sorted(needed - codes)


# ---------------------------------------------------------------------------------------
# The seed's examples, beyond the golden cases


def test_seed_aircraft_mapping_reads_40688E():
    result = mapper.check_sink(str(CASES_DIR / "seed-aircraft-body" / "sink.json"))
    assert result.valid and result.problems == ()
    sink = result.sink
    col = sink.column("aircraft_id")
    assert col.path.keys == ("data", "aircraftId")
    value = SEED_RECORD
    for key in col.path.keys:
        value = value[key]
    assert value == "40688E"
    assert sink.primary_key_fields == ("record_id",) and sink.id_field is None
    assert sink.allow_missing_fields is False
    assert sink.name == "aircraft_positions"


def test_seed_aircraft_dot_notation_gives_the_same_paths_as_arrays():
    arrays = mapper.load_sink(str(CASES_DIR / "seed-aircraft-body" / "sink.json"))
    dots = mapper.load_sink(str(CASES_DIR / "seed-aircraft-dot-paths-schema" / "sink.json"))
    assert [c.path.keys for c in dots.columns] == [c.path.keys for c in arrays.columns]
    assert dots.column("aircraft_id").path.keys == ("data", "aircraftId")


def test_seed_language_project_model():
    sink = mapper.load_sink(str(CASES_DIR / "seed-language-project-body" / "sink.json"))
    assert [c.name for c in sink.columns] == ["language", "project_id"]
    assert [c.type for c in sink.columns] == ["string", "id"]
    # "mutex" (lowercase, as the seed writes it) is the Mutex config key
    assert sink.column("language").config.mutex is True
    assert sink.column("project_id").config.mutex is False
    assert sink.id_field == "project_id" and sink.primary_key_fields is None
    same = mapper.load_sink(str(CASES_DIR / "seed-language-project-definition" / "sink.json"), id_field="project_id", allow_missing_fields=False)
    assert [(c.name, c.type, c.path.keys) for c in same.columns] == [(c.name, c.type, c.path.keys) for c in sink.columns]


def test_path_strings_parse_into_keys():
    assert mapper.parse_path("data.aircraftId").keys == ("data", "aircraftId")
    assert mapper.parse_path('data."a.b"').keys == ("data", "a.b")
    assert mapper.parse_path("items[0].id").keys is None  # a JMESPath expression, kept as such
    with pytest.raises(mapper.PathSyntaxError):
        mapper.parse_path("data..lat")


def test_path_syntax_error_has_a_caret_under_the_character():
    result = mapper.check_sink(str(CASES_DIR / "path-string-double-dot" / "sink.json"))
    (problem,) = [p for p in result.problems if p.code == "path-syntax"]
    lines = problem.message.split("\n")
    shown = next(i for i, line in enumerate(lines) if "data..lat" in line)
    caret_line = lines[shown + 1]
    assert caret_line.strip() == "^"
    # the empty key is found at the second dot, character 5 of "data..lat"
    assert caret_line.index("^") == lines[shown].index("data..lat") + 5


def test_config_key_pointer_uses_the_spelling_written():
    doc = {
        "id_field": "id",
        "allow_missing_fields": False,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "a", "path": ["a"], "type": "decimal", "config": {"sCaLe": 30}}],
    }
    result = mapper.check_sink(doc)
    assert _triples(result.problems) == collections.Counter({("error", "/definition/1/config/sCaLe", "invalid-scale"): 1})


# ---------------------------------------------------------------------------------------
# load_sink


def test_load_sink_returns_the_model_and_keeps_warnings():
    sink = mapper.load_sink(str(CASES_DIR / "config-unknown-key-mutx" / "sink.json"))
    assert isinstance(sink, mapper.Sink)
    assert [p.code for p in sink.problems] == ["unknown-config-key"]


def test_load_sink_raises_definition_error_with_every_problem():
    path = str(CASES_DIR / "everything-at-once" / "sink.json")
    with pytest.raises(mapper.DefinitionError) as info:
        mapper.load_sink(path)
    assert _triples(info.value.problems) == _triples(mapper.check_sink(path).problems)
    assert len(info.value.errors) == 5


# ---------------------------------------------------------------------------------------
# Hostile input

BIG = 10 * 1024 * 1024


def _body(definition, **schema):
    sch = {"type": "json", "id_field": "id", "allow_missing_fields": False, "definition": definition}
    sch.update(schema)
    return {"name": "hostile", "sink_details": {"database_id": UUID, "table": "t"}, "schema": sch}


def _nested_dict(depth: int):
    d = {"a": 1}
    for _ in range(depth):
        d = {"a": d}
    return d


def _check_ok(source, **kw):
    """check_sink returns problems (never raises), with short messages."""
    result = mapper.check_sink(source, **kw)
    assert isinstance(result, mapper.CheckResult)
    for p in result.problems:
        assert isinstance(p, mapper.Problem)
        assert len(p.message) < 1000, p.message[:200]
    return result


def _load_only_definition_error(source, **kw):
    try:
        mapper.load_sink(source, **kw)
    except mapper.DefinitionError as exc:
        assert exc.problems and any(p.severity == "error" for p in exc.problems)
        assert len(str(exc)) < 20_000
        return exc
    raise AssertionError("load_sink accepted an invalid definition")


@pytest.mark.parametrize("text", [b"42", b'"x"', b"null", b"true", b"[1, 2]", b"{}", b"3.5e400"])
def test_non_object_json(tmp_path, text):
    for source in (text, str(_write(tmp_path, "sink.json", text))):
        result = _check_ok(source)
        assert not result.valid and result.sink is None
        assert any(p.severity == "error" for p in result.problems)
        _load_only_definition_error(source)


@pytest.mark.parametrize("value", [None, 42, True, 4.5, "x", b"", object(), {1: 2}, [None], {"schema": None}])
def test_odd_python_values(value):
    result = _check_ok(value)
    assert not result.valid
    _load_only_definition_error(value)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_ten_megabyte_sink_name():
    for name in ("A" * BIG, "a" * BIG, "a" + "!" * BIG):
        doc = _body([{"name": "id", "path": ["id"], "type": "id"}])
        doc["name"] = name
        result = _check_ok(doc)
        assert [(p.pointer, p.code) for p in result.problems if p.severity == "error"] == [("/name", "invalid-name")]
        _load_only_definition_error(doc)
    # and as JSON text
    text = json.dumps(doc)
    result = _check_ok(text)
    assert [(p.pointer, p.code) for p in result.errors] == [("/name", "invalid-name")]


def test_ten_megabyte_config_key_and_column_name():
    key = "k" * BIG
    doc = _body([{"name": "id", "path": ["id"], "type": "id", "config": {key: 1}}])
    result = _check_ok(doc)
    assert result.valid
    assert _triples(result.problems) == collections.Counter({("warning", "/schema/definition/0/config/" + key, "unknown-config-key"): 1})
    doc = _body([{"name": "C" * BIG, "path": ["x" * BIG], "type": "int"}, {"name": "id", "path": ["id"], "type": "id"}], id_field="i" * BIG)
    result = _check_ok(json.dumps(doc).encode())
    assert not result.valid
    assert ("error", "/schema/id_field", "unknown-column") in _triples(result.problems)


def test_ten_megabyte_path_string():
    doc = {
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "x", "path": "a." + "b" * BIG + "..c", "type": "int"}],
    }
    result = _check_ok(doc)
    assert [(p.pointer, p.code) for p in result.errors] == [("/definition/1/path", "path-syntax")]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "{" * 100_000,
        '{"a":' * 100_000,
        '{"definition": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
)
def test_deeply_nested_text(text):
    for source in (text, text.encode()):
        result = _check_ok(source)
        assert not result.valid
        _load_only_definition_error(source)


def test_deeply_nested_definition_entry():
    deep_text = '{"a":' * 5000 + "1" + "}" * 5000
    text = '{"id_field": "id", "allow_missing_fields": false, "definition": [{"name": "id", "path": ["id"], "type": "id"}, ' + deep_text + "]}"
    result = _check_ok(text)
    assert not result.valid
    _load_only_definition_error(text)
    doc = {  # the same as a Python value
        "id_field": "id",
        "allow_missing_fields": False,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, _nested_dict(5000)],
    }
    result = _check_ok(doc)
    assert not result.valid
    errors = {(p.pointer, p.code) for p in result.errors}
    assert {("/definition/1/name", "missing"), ("/definition/1/path", "missing"), ("/definition/1/type", "missing")} <= errors
    _load_only_definition_error(doc)


def test_deep_junk_inside_config_name_and_path():
    deep = []
    for _ in range(50_000):
        deep = [deep]
    for entry in (
        {"name": "x", "path": ["x"], "type": "string", "config": {"Mutex": deep}},
        {"name": deep, "path": ["x"], "type": "string"},
        {"name": "x", "path": deep, "type": "string"},
        {"name": "x", "path": ["x", deep], "type": "string"},
        {"name": "x", "path": ["x"], "type": deep},
        {"name": "x", "path": ["x"], "type": "string", "config": {"Quantum": _nested_dict(5000)}},
    ):
        doc = _body([{"name": "id", "path": ["id"], "type": "id"}, entry])
        result = _check_ok(doc)
        assert not result.valid
        _load_only_definition_error(doc)
    # junk under an unknown config key is ignored (a warning), not a crash
    doc = _body(
        [{"name": "id", "path": ["id"], "type": "id"}, {"name": "x", "path": ["x"], "type": "string", "config": {"junk": deep, "more": _nested_dict(5000)}}]
    )
    result = _check_ok(doc)
    assert result.valid


def test_non_utf8_bytes_name_line_and_column(tmp_path):
    data = b'{\n  "name": "ab\xff"\n}\n'
    for source in (data, str(_write(tmp_path, "sink.json", data))):
        result = _check_ok(source)
        (problem,) = result.problems
        assert problem.severity == "error" and problem.pointer == ""
        assert "line 2" in problem.message and "column 14" in problem.message
        _load_only_definition_error(source)
    # latin-1 text that is otherwise a valid definition
    doc = json.dumps({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["caf\u00e9"], "type": "id"}]}, ensure_ascii=False)
    result = _check_ok(doc.encode("latin-1"))
    assert not result.valid and "line 1" in result.problems[0].message


def test_invalid_json_text_names_line_and_column(tmp_path):
    text = '{"name": "x",\n "schema": {"id_field": "id"\n "definition": []}}'
    for source in (text, text.encode(), str(_write(tmp_path, "sink.json", text.encode()))):
        result = _check_ok(source)
        (problem,) = result.problems
        assert problem.severity == "error" and problem.pointer == ""
        assert "line 3" in problem.message and "column 2" in problem.message
        _load_only_definition_error(source)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_literal(literal):
    text = '{"id_field": "id", "allow_missing_fields": false, "definition": [{"name": "id", "path": ["id"], "type": "int", "config": {"Min": %s}}]}' % literal
    result = _check_ok(text)
    assert not result.valid
    _load_only_definition_error(text)
    # the same as a Python value: a float Min is not a whole number
    doc = {
        "id_field": "id",
        "allow_missing_fields": False,
        "definition": [{"name": "id", "path": ["id"], "type": "int", "config": {"Min": float(literal.lower().replace("infinity", "inf")), "Max": 1}}],
    }
    result = _check_ok(doc)
    assert ("error", "/definition/0/config/Min", "wrong-type") in _triples(result.problems)


def test_empty_file_directory_and_missing_file(tmp_path):
    empty = _write(tmp_path, "empty.json", b"")
    blank = _write(tmp_path, "blank.json", b"  \n\t\n")
    for source in (str(empty), str(blank), str(tmp_path), str(tmp_path / "nope.json"), tmp_path / "nope.json", b"", b"   "):
        result = _check_ok(source)
        assert not result.valid and result.sink is None
        assert [p.pointer for p in result.problems] == [""]
        _load_only_definition_error(source)


@pytest.mark.no_cover  # it times the checker: coverage tracing would be measured too (pytest-cov's marker)
def test_five_thousand_valid_entries():
    definition = [{"name": f"c{i}", "path": ["data", f"k{i}"], "type": "int", "config": {"Min": 0, "Max": i}} for i in range(5000)]
    doc = {"id_field": "c0", "allow_missing_fields": False, "definition": definition}
    # this process's CPU time, not the wall clock: on a loaded 2-core CI machine the wall clock
    # also counts the time other processes ran (8.9 s seen for ~0.6 s of work)
    start = time.process_time()
    result = _check_ok(doc)
    assert result.valid and result.problems == ()
    assert len(result.sink.columns) == 5000
    assert len(mapper.load_sink(json.dumps(doc).encode()).columns) == 5000
    assert time.process_time() - start < 5


def test_five_thousand_entries_on_one_path_report_each():
    definition = [{"name": f"c{i}", "path": ["x"], "type": "int"} for i in range(5000)]
    result = _check_ok({"id_field": "c0", "allow_missing_fields": False, "definition": definition})
    assert result.valid
    assert sorted(p.pointer for p in result.problems) == sorted(f"/definition/{i}/path" for i in range(1, 5000))


def test_object_with_table_and_mapping_keys_does_not_raise():
    for doc in ({"table": "x", "mapping": {}}, {"table": None, "mapping": None, "name": 5}):
        result = _check_ok(doc)
        assert not result.valid


# ---------------------------------------------------------------------------------------
# Random JSON-like values never make check_sink raise

_KEYS = st.sampled_from(
    [
        "name",
        "path",
        "type",
        "config",
        "schema",
        "definition",
        "id_field",
        "primary_key_fields",
        "allow_missing_fields",
        "sink_details",
        "database_id",
        "Mutex",
        "mutex",
        "Quantum",
        "TTL",
        "Min",
        "Max",
        "Scale",
        "scale",
        "Unit",
        "Granularity",
        "Epoch",
        "Layout",
        "CustomUnit",
        "CacheType",
        "CacheSize",
        "ForeignIndex",
        "a",
        "",
    ]
) | st.text(max_size=8)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(
        [
            "id",
            "ids",
            "string",
            "strings",
            "bool",
            "int",
            "decimal",
            "timestamp",
            "recordTime",
            "dateInt",
            "signedIntBoolKey",
            "Int",
            "YMD",
            "YDM",
            "720h",
            "abc",
            "ms",
            "c",
            "2006-01-02",
            "%Y",
            "1970-01-01T00:00:00Z",
            "data.x",
            "data..x",
            'a."b.c"',
            "a[0]",
            "a[",
            "x",
        ]
    )
    | st.text(max_size=12)
)
_JSONISH = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=30,
)
_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["id", "a", "b", "A"]) | _JSONISH,
        "path": st.lists(st.sampled_from(["data", "x", "y"]) | _SCALARS, max_size=3) | _SCALARS,
        "type": st.sampled_from(["id", "ids", "string", "strings", "bool", "int", "decimal", "timestamp", "recordTime", "dateInt", "signedIntBoolKey"])
        | _SCALARS,
        "config": st.dictionaries(_KEYS, _SCALARS, max_size=4) | _JSONISH,
    },
)
_SCHEMA = st.fixed_dictionaries(
    {},
    optional={
        "id_field": st.sampled_from(["id", "a", "nope"]) | _SCALARS,
        "primary_key_fields": st.lists(st.sampled_from(["id", "a", "b", " a"]) | _SCALARS, max_size=3) | _SCALARS,
        "allow_missing_fields": _SCALARS,
        "definition": st.lists(_ENTRY | _JSONISH, max_size=4) | _JSONISH,
        "type": _SCALARS,
    },
)
_DOCS = (
    _JSONISH
    | _SCHEMA
    | st.lists(_ENTRY, max_size=4)
    | st.fixed_dictionaries({"schema": _SCHEMA | _JSONISH}, optional={"name": _SCALARS, "sink_details": _JSONISH})
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_DOCS, with_options=st.booleans())
@example(doc="\x00", with_options=False)  # a str is a file name, and NUL cannot be in one (found by this test in CI)
def test_random_json_like_values_never_raise(doc, with_options):
    kw = {"id_field": "id", "allow_missing_fields": True} if with_options else {}
    result = mapper.check_sink(doc, **kw)
    assert result.valid == (not any(p.severity == "error" for p in result.problems))
    assert (result.sink is not None) == result.valid
    for p in result.problems:
        assert p.severity in ("error", "warning", "note") and isinstance(p.pointer, str) and p.message
    try:
        text = json.dumps(doc, allow_nan=False)
    except ValueError:
        return
    again = mapper.check_sink(text.encode(), **kw)
    assert again.valid == result.valid


@settings(max_examples=200)
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(lambda s: ("{" + s).encode("utf-8", "surrogatepass")))
def test_random_bytes_never_raise(data):
    result = mapper.check_sink(data)
    assert isinstance(result, mapper.CheckResult)
    if not result.valid:
        with pytest.raises(mapper.DefinitionError):
            mapper.load_sink(data)


# ---------------------------------------------------------------------------------------
# The command line


def _cli(*args: str) -> subprocess.CompletedProcess:
    p = run_main("check", *args, cwd=REPO)  # (python -m mapper check ARGS, in this process: this checkout's mapper)
    return subprocess.CompletedProcess(p.args, p.returncode, p.out, p.err)


def _case_path(name: str) -> str:
    return str(_sink_file(CASES_DIR / name))


def test_cli_valid_prints_one_ok_line():
    proc = _cli(_case_path("seed-language-project-body"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ok:")
    # the summary names the columns' identity and policy
    assert "project_id" in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_cli_invalid_exits_2_and_lists_pointers():
    proc = _cli(_case_path("everything-at-once"))
    assert proc.returncode == 2
    out = proc.stdout + proc.stderr
    for pointer in (
        "/name",
        "/schema/allow_missing_fields",
        "/schema/definition/1/config/TTL",
        "/schema/definition/2/type",
        "/schema/definition/3/config/Scale",
        "/schema/definition/4/config/mutx",
    ):
        assert pointer in out
    assert "Traceback" not in out


@pytest.mark.parametrize("name,valid", [("seed-aircraft-body", True), ("everything-at-once", False), ("config-unknown-key-mutx", True)])
def test_cli_json_format(name, valid):
    proc = _cli("--format", "json", _case_path(name))
    assert proc.returncode == (0 if valid else 2)
    data = json.loads(proc.stdout)
    # a valid sink is summarised, as in the text form (issue 15)
    assert set(data) == ({"valid", "summary", "sink", "problems"} if valid else {"valid", "problems"})
    assert data["valid"] is valid
    expected = json.loads((CASES_DIR / name / "expected.json").read_text())
    assert collections.Counter((p["severity"], p["pointer"], p["code"]) for p in data["problems"]) == collections.Counter(
        (p["severity"], p["pointer"], p["code"]) for p in expected["problems"]
    )
    for p in data["problems"]:
        assert {"severity", "pointer", "message"} <= set(p)
        assert set(p) <= {"severity", "pointer", "message", "code"}


@pytest.mark.parametrize("name,where", [("raw-invalid-json", "line 3 column 20"), ("raw-not-utf8", "line 2 column 14")])
def test_cli_unreadable_file_gives_line_and_column(name, where):
    proc = _cli(_case_path(name))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2
    assert where in out
    assert "Traceback" not in out
    proc = _cli("--format", "json", _case_path(name))
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["valid"] is False and where in data["problems"][0]["message"]


def test_cli_missing_file_and_directory(tmp_path):
    for path in (str(tmp_path / "nope.json"), str(tmp_path)):
        proc = _cli(path)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stdout + proc.stderr


def test_cli_bare_definition_needs_identity_and_policy_options():
    path = _case_path("seed-language-project-definition")
    proc = _cli(path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    proc = _cli(path, "--id-field", "project_id", "--no-allow-missing-fields")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok:")
    proc = _cli("--format", "json", path, "--id-field", "project_id")  # no policy
    assert proc.returncode == 2 and json.loads(proc.stdout)["valid"] is False
    proc = _cli("--format", "json", path, "--allow-missing-fields")  # no identity
    assert proc.returncode == 2 and json.loads(proc.stdout)["valid"] is False


def test_cli_primary_key_fields_option():
    path = _case_path("seed-aircraft-definition-pk-option")
    proc = _cli(path, "--primary-key-fields", "record_id,aircraft_id", "--allow-missing-fields")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _cli(path, "--primary-key-fields", "record_id,nope", "--allow-missing-fields")
    assert proc.returncode == 2


@pytest.mark.parametrize("keys", [["zz"], ["zz", "pk"], ["pk", "zz"]])
def test_a_primary_key_naming_no_column_is_an_error_where_it_is_not_a_keyerror(keys):
    # one unknown key crashed check_sink (stored_columns looked it up), validate and the CLI
    doc = {"primary_key_fields": keys, "allow_missing_fields": True, "definition": [{"name": "pk", "path": ["pk"], "type": "string"}]}
    result = mapper.check_sink(doc)
    assert result.sink is None
    assert [(p.pointer, p.code) for p in result.problems if p.severity == "error"] == [(f"/primary_key_fields/{keys.index('zz')}", "unknown-column")]
    with pytest.raises(mapper.DefinitionError, match="names no column"):
        mapper.load_sink(doc)


@pytest.mark.parametrize(
    "path,message",
    [
        ("lenght(tags)", "unknown function lenght() (did you mean length()?)"),
        ("length(tags, tags)", "length() takes 1 argument, not 2"),
        ("merge()", "merge() takes at least 1 argument, not 0"),
        ("tags[::0]", "a slice step cannot be 0"),
        ("&tags", "an expression reference (&...) is only a function's argument"),
        ("[id, &tags]", "an expression reference (&...) is only a function's argument"),
        # evaluated recursively by the library: a RecursionError on every record (a 500 in serve's draft form)
        ("a" + "|a" * 1200, "too long or nested too deeply to evaluate"),
        # each [@, @] doubles the result: 2^30 times the record from a 250-byte path (serve crashed)
        ("a" + " | [@, @]" * 30, "can repeat a record's values more than 256 times over"),
        ("a" + " | join(`,`, [@, @])" * 9, "more than 256 times over"),
        ("{" + ", ".join(f"k{i}: @" for i in range(300)) + "}", "more than 256 times over"),
        # (the review of the bound) map() runs its expression on each element; a condition is evaluated too
        ("map(&[@, @], " * 9 + "tags" + ")" * 9, "more than 256 times over"),
        ("!to_string(@" + " | [@, @]" * 24 + ")", "more than 256 times over"),
        ("tags[?to_string(@" + " | [@, @]" * 24 + ") == 'x']", "more than 256 times over"),
        # (a bug hunt) reading nothing of the record, it fails on every record as on {}: an OverflowError crashed every run
        ("floor(`1e400`)", "it reads nothing of the record, and its evaluation fails: OverflowError"),
        ("ceil(to_number('1e400'))", "it reads nothing of the record, and its evaluation fails: OverflowError"),
        ('abs(`"x"`)', "it reads nothing of the record, and its evaluation fails: In function abs()"),
    ],
)
def test_jmespath_paths_that_fail_on_every_record_are_refused_by_check(path, message):
    # the jmespath library parses them and fails only when a record is searched: check said ok
    # and validate refused every record
    sink = {
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "c", "path": path, "type": "string"}],
    }
    result = mapper.check_sink(sink)
    assert not result.valid
    (problem,) = [p for p in result.errors if p.pointer.startswith("/definition/1/path")]
    assert message in problem.message
    # what they are near stays a path
    for good in (
        "length(tags)",
        "merge(a, b)",
        "sort_by(tags, &name)",
        "tags[::-1]",
        "a" + " | [@, @]" * 8,
        "[a, b] | [@[0], @[1]]",
        "a[*].[b, c]",
        "{" + ", ".join(f"f{i}: a.f{i}" for i in range(20)) + "} | [" + ", ".join(f"f{i}" for i in range(13)) + "]",
        "[" + ", ".join(f"x{i}" for i in range(300)) + "]",
        "sum(map(&price, items))",
        "floor(`2.5`)",  # reads nothing of the record, and works
        "ceil(to_number(a))",  # fails only on a record whose a is 1e400
    ):
        sink["definition"][1]["path"] = good
        assert mapper.check_sink(sink).valid, good


def _nested(depth: int) -> Any:
    value: Any = {"a": 1, "b": 1}
    for _ in range(depth):
        value = [value]
    return value


#: Expressions nested n deep, one per kind of node the jmespath library recurses through,
#: each with a record that its evaluation reads all the way down.
_NESTINGS = {
    "pipe": (lambda n: "a" + " | a" * n, {"a": 1}),
    "multi-select dict": (lambda n: "{a: " * n + "a" + "}" * n, {"a": 1}),
    "multi-select list": (lambda n: "[" * n + "a" + "]" * n, {"a": 1}),
    "function": (lambda n: "abs(" * n + "a" + ")" * n, {"a": 1}),
    "not": (lambda n: "!" * n + "a", {"a": 1}),
    "or": (lambda n: " || ".join(["a"] * (n + 1)), {"a": 0}),
    "and": (lambda n: " && ".join(["a"] * (n + 1)), {"a": 1}),
    "comparator": (lambda n: "a" + " == a" * n, {"a": 1}),
    "flatten": (lambda n: "a" + "[]" * n, {"a": _nested(700)}),
    "projection": (lambda n: "a" + "[*]" * n, {"a": _nested(700)}),
    "filter": (lambda n: "a" + "[?b]" * n, {"a": _nested(700)}),
    "map": (lambda n: "map(&" * n + "@" + ", @)" * (n - 1) + ", a)", {"a": _nested(700)}),
    "max_by": (lambda n: "max_by(`[1]`, &" * n + "@" + ")" * n, {}),
}


@pytest.mark.parametrize("kind", list(_NESTINGS))
def test_check_refuses_a_jmespath_expression_deeper_than_the_library_evaluates(kind: str) -> None:
    # (a bug hunt) the bound was the checker's own recursion, and the library's takes more
    # frames for some kinds of node: {a: {a: ...}} 260 deep passed check and failed on every
    # record with a RecursionError. The deepest of each kind that check takes now evaluates,
    # from a caller's stack 250 frames deep too; one more level is refused.
    make, record = _NESTINGS[kind]

    def sink(n: int) -> dict[str, Any]:
        return {
            "primary_key_fields": ["k"],
            "allow_missing_fields": True,
            "definition": [{"name": "k", "path": ["k"], "type": "string"}, {"name": "v", "path": make(n), "type": "string"}],
        }

    low, high = 1, 1000  # check takes n = low, refuses n = high
    assert mapper.check_sink(sink(low)).valid and not mapper.check_sink(sink(high)).valid
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if mapper.check_sink(sink(mid)).valid else (low, mid)
    (problem,) = mapper.check_sink(sink(high)).errors
    assert problem.pointer == "/definition/1/path" and "the expression is too long or nested too deeply to evaluate" in problem.message
    m = mapper.compile_sink(sink(low))

    def deeper(frames: int) -> Any:
        return deeper(frames - 1) if frames else m.validate([dict(record, k="r")])

    for report in (m.validate([dict(record, k="r")]), deeper(250)):
        assert "RecursionError" not in str([e.message for e in report.errors]), kind
    if kind == "multi-select dict":
        assert low >= 100  # (the hunt's 247 levels are well past it)


def test_a_path_errors_caret_line_holds_no_control_characters():
    # \r and NUL reached the terminal raw and garbled the caret line
    with pytest.raises(mapper.PathSyntaxError) as info:
        mapper.parse_path("a\rb\x00c..")
    shown, caret = str(info.value).splitlines()[1:3]
    assert all(c.isprintable() for c in shown) and len(shown) == len("  a\rb\x00c..")
    assert caret.index("^") - 2 == info.value.position


def test_a_lone_surrogate_in_a_path_string_is_refused_quoted_or_not():
    # unquoted it was a key, quoted (an escape) an error: one rule, at its position
    for text, at in (("\ud800", 0), ("a.\udc00", 2), ('"\\ud800"', 0), ("a[0].\ud800", 5)):
        with pytest.raises(mapper.PathSyntaxError) as info:
            mapper.parse_path(text)
        assert info.value.position == at and "surrogate" in info.value.message, text
    with pytest.raises(mapper.OptionError):
        mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}).validate(
            b'{"a": []}', records_path="\ud800"
        )


@pytest.mark.parametrize("typ", ["timestamp", "recordTime"])
def test_time_values_are_strings_unless_a_unit_or_a_real_epoch_is_given(typ):
    # idk reads strings when Epoch.IsZero() && Unit == "": Unit "" and Go's zero Epoch made mapper want numbers
    def m(cfg):
        entries = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": ["t"], "type": typ, "config": cfg}]
        return mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": entries})

    text, number = b'{"id": 1, "t": "2020-01-01T00:00:00Z"}\n', b'{"id": 1, "t": 1577836800}\n'
    for cfg in ({"Unit": ""}, {"Epoch": "0001-01-01T00:00:00Z"}, {"Unit": "", "Epoch": "0001-01-01T00:00:00Z"}, {"Layout": ""}, {}):
        assert not m(cfg).validate(text).errors and m(cfg).validate(number).errors, cfg
    for cfg in ({"Unit": "s"}, {"Epoch": "1970-01-01T00:00:00Z"}, {"Unit": "", "Epoch": "2000-01-01T00:00:00Z"}):
        assert not m(cfg).validate(number).errors and m(cfg).validate(text).errors, cfg
    # "" is the default layout (the ingester's), not a layout with no reference-time element
    result = mapper.check_sink(
        {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": ["t"], "type": typ, "config": {"Layout": ""}}],
        }
    )
    assert result.valid and not [p for p in result.problems if p.code == "layout"]


def test_config_keys_given_twice_and_nulls_read_as_go_reads_them():
    def config(text):
        doc = '{"id_field": "id", "allow_missing_fields": true, "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "p", "path": ["p"], "type": "decimal", "config": %s}]}'
        return mapper.check_sink(doc % text)

    # the last value wins, wherever the spellings interleave (the repeated key kept its first place)
    assert config('{"Scale": 2, "scale": 3, "Scale": 4}').sink.columns[1].config.scale == 4
    # null leaves a non-pointer field as it was (Go); Min and Max are pointers: null unsets them
    assert config('{"Scale": 2, "scale": null}').sink.columns[1].config.scale == 2
    assert config('{"Scale": 2, "Min": 1, "min": null}').sink.columns[1].config.min is None
    # the problem points at the spelling whose value counts
    result = config('{"Scale": 2, "scale": 40}')
    assert [p.pointer for p in result.errors] == ["/definition/1/config/scale"]


def test_an_integer_too_long_for_python_is_valid_json_in_a_definition():
    # "is not valid JSON: Exceeds the limit (4300 digits) for integer string conversion" for the whole document
    big = "1" + "0" * 5000
    doc = '{"id_field": "id", "allow_missing_fields": true, "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int", "config": %s}]}'
    assert mapper.check_sink(doc % ('{"zz": %s}' % big)).valid  # an unknown key: ignored, as the ingester does
    result = mapper.check_sink(doc % ('{"Min": -%s}' % big))
    (error,) = result.errors
    assert error.pointer == "/definition/1/config/Min" and error.code == "out-of-range" and "does not fit a signed 64-bit integer" in error.message
    assert len(error.message) < 300


def test_a_python_int_too_long_to_print_is_a_problem_where_it_is_not_a_valueerror():
    # found by a bug hunt: JSON text keeps such an integer as its text, but a definition of
    # Python objects holding one raised ValueError ("Exceeds the limit (4300 digits)") from
    # inside the message naming it (a config value, a name, a path element, a key), and one
    # kept in sink_details made every writer of the sink's JSON raise it
    big = 10**5000  # 5001 digits
    entries = [{"name": "id", "path": ["id"], "type": "id"}]

    def errors(*more: Any, **options: Any) -> list[tuple[str, str]]:
        result = mapper.check_sink([*entries, *more], id_field="id", allow_missing_fields=True, **options)
        return [(p.pointer, p.message) for p in result.problems]

    assert errors({"name": "n", "path": ["n"], "type": "int", "config": {"Min": -big}}) == [
        ("/1/config/Min", "Min -<an integer of 5,001 digits> does not fit a signed 64-bit integer")
    ]
    assert errors({"name": big, "path": ["n"], "type": "int"}) == [("/1/name", "the column name must be a non-empty string, not <an integer of 5,001 digits>")]
    assert errors({"name": "n", "path": [big], "type": "int"}) == [
        ("/1/path/0", "path element <an integer of 5,001 digits> is an array index; the endpoint's paths only take object keys")
    ]
    ((pointer, message),) = errors({"name": "n", "path": ["n"], "type": "int", big: 1})
    assert pointer == "/1/<an integer of 5,001 digits>" and message.startswith("the key <an integer of 5,001 digits> in a column entry is not a string")
    body = {"name": "s", "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t", "x": big}}
    body["schema"] = {"id_field": "id", "allow_missing_fields": True, "definition": entries}
    sink = mapper.load_sink(body)
    assert "x" not in sink.to_body()["sink_details"] and json.loads(json.dumps(sink.to_body()))["sink_details"]["table"] == "t"
    assert ("/sink_details/x", "unknown-key") in [(p.pointer, p.code) for p in sink.problems]  # (an unknown key: its code, whatever its value)
    # such an integer as a key of sink_details (a Python mapping's) is left out too: json.dumps
    # writes a key as its text, and every JSON writer of the sink raised ValueError
    body["sink_details"] = {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t", big: 1}
    sink = mapper.load_sink(body)
    assert json.loads(json.dumps(sink.to_body()))["sink_details"] == {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"}
    assert ("/sink_details/<an integer of 5,001 digits>", "unknown-key") in [(p.pointer, p.code) for p in sink.problems]


@pytest.mark.parametrize(
    "extra, said",
    [
        ({"extra": {1, 2}}, "holds a set, which JSON has no type for"),
        ({"extra": [1, b"x"]}, "holds a bytes, which JSON has no type for"),
        ({"extra": float("nan")}, "holds nan, which JSON has no text for"),
        ({"extra": {"a": {3: 1}}}, "holds the key 3, which is not a string"),
        ({5: 1}, "is a key that is not a string"),
    ],
)
def test_sink_details_a_python_definition_holds_that_json_cannot_carry_are_left_out(extra, said):
    # to_body() kept them as given: every JSON writer of the sink (the .npz header, Arrow's
    # metadata, the Spark plan's sorted keys) raised TypeError or wrote other values
    body = {"name": "s", "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t", **extra}}
    body["schema"] = {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}
    sink = mapper.load_sink(body)
    written = json.dumps(sink.to_body(), sort_keys=True)
    assert json.loads(written)["sink_details"] == {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"}
    assert [p.code for p in sink.problems if said in p.message] == ["unknown-key"]  # (each an unknown key of sink_details)
    batch = mapper.compile_sink(sink).map(b'{"id": 1}\n')
    assert batch.to_rows() == [{"_id": 1}]


def test_entry_keys_match_case_insensitively_as_the_ingesters_decoder_reads_them():
    # "Config" was an unknown key, ignored: a decimal stored with Scale 0 ("4" for 4.35)
    entries = [{"name": "id", "path": ["id"], "type": "id"}, {"Name": "price", "PATH": ["price"], "Type": "decimal", "Config": {"Scale": 2}}]
    result = mapper.check_sink(entries, id_field="id", allow_missing_fields=True)
    assert result.valid and result.sink.columns[1].config.scale == 2
    assert {(p.pointer, p.code) for p in result.problems} == {
        ("/1/Name", "key-case"),
        ("/1/PATH", "key-case"),
        ("/1/Type", "key-case"),
        ("/1/Config", "key-case"),
    }
    m = mapper.compile_sink(entries, id_field="id", allow_missing_fields=True)
    assert m.map(b'{"id": 1, "price": 4.5}\n').to_rows() == [{"_id": 1, "price": "4.50"}]
    # two spellings of one field: the last wins, said; problems point at the spelling read
    twice = [entries[0], {"name": "p", "path": ["p"], "type": "int", "Type": "intt"}]
    result = mapper.check_sink(twice, id_field="id", allow_missing_fields=True)
    assert [(p.pointer, p.code) for p in result.errors] == [("/1/Type", "unknown-type")]
    assert ("/1/Type", "duplicate-key") in [(p.pointer, p.code) for p in result.warnings]


def test_a_repeated_name_is_reported_even_when_an_entry_has_another_error():
    entries = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "a", "path": ["a"], "type": "int"}, {"name": "a", "path": ["b"], "type": "intt"}]
    result = mapper.check_sink(entries, id_field="id", allow_missing_fields=True)
    assert sorted((p.pointer, p.code) for p in result.errors) == [("/2/name", "duplicate-name"), ("/2/type", "unknown-type")]


@pytest.mark.parametrize(
    "path,at",
    [
        ("length(a) && length(b, c)", 13),
        ('"length(".x && length(b,c)', 15),
        ('foo."bar&" && &a', 14),
        ("b[::1] && a[::0]", 11),
        ("x || nofunc (b)", 5),
        ("x[?length(b, c) > `1`].sort_by(y, &z)", 3),  # the AST holds the filter's condition after what follows it
        ("a[?length(x)].length(y, z)", 14),
        ("abs(a) || s(b)", 10),  # a name inside another's is not that function
    ],
)
def test_a_refused_jmespath_path_is_located_at_its_fault(path, at):
    # positions came from the first text.find: inside a quoted key, or at an earlier good call
    with pytest.raises(mapper.PathSyntaxError) as info:
        mapper.parse_path(path)
    assert info.value.position == at


def test_a_long_integer_in_sink_details_is_left_out_not_a_crash_later(tmp_path):
    # kept as written, it reached to_body: every writer's JSON metadata and serve's store raised
    big = "9" * 5000
    doc = (
        '{"name": "s", "sink_details": {"database_id": "<database_id>", "table": "t", "extra": %s}, '
        '"schema": {"id_field": "id", "allow_missing_fields": true, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}}'
    ) % big
    result = mapper.check_sink(doc)
    assert result.valid and ("/sink_details/extra", "unknown-key") in [(p.pointer, p.code) for p in result.warnings]
    assert "extra" not in result.sink.to_body()["sink_details"]
    m = mapper.compile_sink(doc)
    json.dumps(m.sink.to_body())  # serializable, as the writers' metadata needs it
    records, out = tmp_path / "r.ndjson", tmp_path / "out.npz"
    records.write_bytes(b'{"id": 1}\n')
    (tmp_path / "sink.json").write_text(doc)
    proc = subprocess.run(
        [sys.executable, "-m", "mapper", "map", str(tmp_path / "sink.json"), str(records), "-o", str(out), "-q"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and mapper.read_batch(out).count == 1, proc.stderr


def test_a_null_after_a_value_leaves_it_in_every_spelling():
    doc = '{"id_field": "id", "allow_missing_fields": true, "definition": [{"name": "id", "path": ["id"], "type": "id"}, %s]}'
    decimal = '{"name": "p", "path": ["p"], "type": "decimal", "config": {"Scale": 2, "Scale": null}}'
    assert mapper.check_sink(doc % decimal).sink.columns[1].config.scale == 2  # Go keeps 2 (the exact repeat hid it)
    named = '{"name": "d", "path": ["d"], "type": "int", "name": null}'
    result = mapper.check_sink(doc % named)
    assert result.valid and result.sink.columns[1].name == "d"


def test_a_path_key_of_a_str_subclass_is_its_text():
    # found when infer's drafts were first compiled: a key of a str subclass in a path array
    # (a Python definition) was a TypeError from inside msgspec
    class Key(str):
        def __str__(self) -> str:
            return "not the text"

    m = mapper.compile_sink(
        {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": [Key("name")], "type": "string"}],
        }
    )
    assert m.map(b'{"id":1,"name":"x"}').to_rows() == [{"_id": 1, "n": "x"}]


def test_numbers_beyond_float64_and_a_second_byte_order_mark_are_said_as_written(tmp_path):
    # found by a bug hunt: "Scale must be a whole number, not a number Infinity" for 1e309,
    # and Python's own remedy ("decode using utf-8-sig") for a file starting with two BOMs
    text = (
        '{"id_field":"id","allow_missing_fields":true,"definition":[{"name":"id","path":["id"],"type":"id"},'
        '{"name":"d","path":["d"],"type":"decimal","config":{"Scale":1e309}},{"name":"i","path":["i"],"type":"int","config":{"Min":-1e400,"Max":1}}]}'
    )
    messages = [p.message for p in mapper.check_sink(text).problems]
    assert messages == ["Scale must be a whole number, not a number 1e309", "Min must be a whole number, not a number -1e400"]
    path = tmp_path / "two-boms.json"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode())
    problems = mapper.check_sink(str(path)).problems
    assert len(problems) == 1 and "byte order mark (U+FEFF)" in problems[0].message and "utf-8-sig" not in problems[0].message


def test_an_epoch_written_with_a_json_escape_fails_as_in_go(tmp_path):
    # Go 1.19's time.Time.UnmarshalJSON parses the raw JSON text: "2000-01-01T00:00:00\u005a"
    # fails there ("cannot parse \"\\u005a\"" as "Z07:00"), though it decodes to a valid time
    # (found by a bug hunt). Only text shows the escape: a parsed value cannot.
    entry = '{"name": "t", "path": ["t\\u0031"], "type": "timestamp", "config": {"Unit": "s", "%s": "2000-01-01T00:00:00\\u005a", "Layout": "2006\\u002d01"}}'
    body = '{"id_field": "k", "allow_missing_fields": true, "definition": [{"name": "k", "path": ["k"], "type": "id"}, %s]}'
    for key in ("Epoch", "epoch"):  # matched in any case, as Go matches field names
        text = body % (entry % key)
        sink_file = tmp_path / "sink.json"
        sink_file.write_text(text)
        for source in (text, text.encode(), str(sink_file)):
            errors = [p for p in mapper.check_sink(source).problems if p.severity == "error"]
            assert [(p.pointer, p.code) for p in errors] == [(f"/definition/1/config/{key}", "invalid-epoch")], source
            assert "JSON escape" in errors[0].message and "'2000-01-01T00:00:00Z'" in errors[0].message
        assert mapper.check_sink(json.loads(text)).valid  # the escapes elsewhere (a path key, Layout) are fine
    ui = '{"name": "x", "allow_missing_fields": true, "table": "CREATE TABLE t (_id STRING, ts TIMESTAMP TIMEUNIT \'s\')", "mapping": {"_id": "id", "ts": {"path": "ts", "config": {"Epoch": "2000-01-01T00:00:00\\u005a"}}}}'
    assert [(p.pointer, p.code) for p in mapper.check_sink(ui).problems if p.severity == "error"] == [("/mapping/ts/config/Epoch", "invalid-epoch")]
    plain = (body % (entry % "Epoch")).replace("\\u005a", "Z")
    assert mapper.check_sink(plain).valid


def test_a_definition_given_as_text_may_open_with_a_byte_order_mark_as_its_bytes_and_file_may():
    # found by a bug hunt: Path("sink.json").read_text() of a file saved with a BOM keeps
    # it as U+FEFF, and load_sink refused that str ("a byte order mark stands where a value
    # should") while taking the file, its bytes, and map() records given so
    text = '{"id_field": "k", "allow_missing_fields": true, "definition": [{"name": "k", "path": ["k"], "type": "id"}]}'
    sink = mapper.load_sink(text)
    for source in ("\ufeff" + text, b"\xef\xbb\xbf" + text.encode(), "\ufeff  \n" + text):
        loaded = mapper.load_sink(source)
        assert dataclasses.replace(loaded, problems=()) == sink, source
        # (taken off with a warning: the service's decoder refuses a definition so, stop 54)
        assert [(p.severity, p.pointer, p.code) for p in loaded.problems] == [("warning", "", "bom")], source
    escaped = text.replace(
        '"type": "id"}]', '"type": "id"}, {"name": "t", "path": ["t"], "type": "timestamp", "config": {"Unit": "s", "Epoch": "2000-01-01T00:00:00\\u005a"}}]'
    )
    for source in (escaped, "\ufeff" + escaped):  # the escape is still seen where it is
        assert [(p.pointer, p.code) for p in mapper.check_sink(source).problems if p.severity == "error"] == [("/definition/1/config/Epoch", "invalid-epoch")]
    problems = mapper.check_sink("\ufeff\ufeff" + text).problems  # a second one is no byte order mark: as for a file
    assert len(problems) == 1 and "byte order mark (U+FEFF)" in problems[0].message


def test_a_definition_saved_as_utf16_or_utf32_is_said_so_with_its_remedy(tmp_path):
    # found by a bug hunt: a sink.json saved as "Unicode" by a Windows editor was "invalid byte
    # 0xff at line 1 column 1" (with a byte order mark), or invalid JSON at column 2 (without:
    # UTF-16's "{" is "{" and a NUL byte, valid UTF-8), neither naming the encoding
    text = '{"id_field": "k", "allow_missing_fields": true, "definition": [{"name": "k", "path": ["k"], "type": "id"}]}'
    for codec, name in (("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32"), ("utf-32-le", "UTF-32")):
        path = tmp_path / f"{codec}.json"
        path.write_bytes(text.encode(codec))
        for source, subject in ((str(path), f"sink file {path}"), (text.encode(codec), "sink definition")):
            problems = mapper.check_sink(source).problems
            assert [(p.code, p.message) for p in problems] == [
                (
                    "invalid-utf8",
                    f"{subject} is {name} text, not UTF-8 as JSON must be (and the endpoint reads it): convert it first, e.g. `iconv -f {name} -t UTF-8 {shlex.quote(str(path)) if isinstance(source, str) else 'FILE'}`",
                )
            ], codec
    # UTF-8 with a stray 0xff is still named by its byte
    problems = mapper.check_sink(b'{"id_field": "k\xff"}').problems
    assert [p.code for p in problems] == ["invalid-utf8"] and "invalid byte 0xff at line 1 column 16" in problems[0].message


def test_a_definition_may_be_any_bytes_like_text_as_records_may():
    # found by a bug hunt: load_sink(bytearray(text)) was "cannot read a sink definition from a bytearray"
    text = b'{"id_field": "k", "allow_missing_fields": true, "definition": [{"name": "k", "path": ["k"], "type": "id"}]}'
    sink = mapper.load_sink(text)
    for source in (bytearray(text), memoryview(text), memoryview(b"  " + text)[2:]):
        assert mapper.load_sink(source) == sink
    (problem,) = mapper.check_sink(bytearray(b'{"definition": [')).errors
    assert problem.code == "invalid-json"


def test_check_reports_an_entrys_config_and_its_identity_type_whatever_else_is_wrong_with_it():
    # (a bug hunt) the config was checked only when the name and the path were good, and a
    # column with a broken config was no identity to check: one check did not say everything
    result = mapper.check_sink(
        {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [
                {"name": "id", "path": ["id"], "type": "id"},
                {"path": ["x"], "type": "decimal", "config": {"Scale": "x", "Bogus": 1}},
                {"name": "y", "path": "a[", "type": "int", "config": {"Min": 5, "Max": 1}},
                {"name": "z", "path": ["z"], "type": "nope", "config": {"Scale": "x"}},
            ],
        }
    )
    assert [(p.pointer, p.code) for p in result.problems] == [
        ("/definition/1/name", "missing"),
        ("/definition/1/config/Scale", "wrong-type"),
        ("/definition/1/config/Bogus", "unknown-config-key"),
        ("/definition/2/path", "path-syntax"),
        ("/definition/2/config/Min", "min-above-max"),
        ("/definition/3/type", "unknown-type"),  # (no type: nothing to check a config against)
    ]
    for identity, pointer in (({"id_field": "id"}, "/id_field"), ({"primary_key_fields": ["id"]}, "/primary_key_fields/0")):
        entry = {"name": "id", "path": ["id"], "type": "strings", "config": {"Quantum": "YQ"}}
        result = mapper.check_sink({**identity, "allow_missing_fields": True, "definition": [entry]})
        assert [(p.pointer, p.code) for p in result.errors] == [("/definition/0/config/Quantum", "invalid-quantum"), (pointer, "identity-type")]


def test_an_unpaired_surrogate_hides_no_other_problem(tmp_path: Path):
    # (a bug hunt) one lone surrogate anywhere was the only problem check reported; the others,
    # which may quote it, are reported too, the surrogate written as its escape
    text = (
        '{"id_field": "nope", "allow_missing_fields": "yes", "definition": [{"name": "id", "path": ["id"], "type": "idd"},'
        ' {"name": "b\\ud800", "path": ["b"], "type": "int", "config": {"Min": "\\ud800"}}]}'
    )
    result = mapper.check_sink(text)
    assert [(p.pointer, p.code) for p in result.errors] == [
        ("/definition/1/config/Min", "invalid-unicode"),
        ("/definition/1/name", "invalid-unicode"),
        ("/allow_missing_fields", "wrong-type"),
        ("/definition/0/type", "unknown-type"),
        ("/definition/1/config/Min", "wrong-type"),
        ("/id_field", "unknown-column"),
    ]
    assert 'Min must be a whole number, not a string "\\ud800"' in [p.message for p in result.errors]
    path = tmp_path / "sink.json"
    path.write_text(text)
    for fmt in ("text", "json"):
        proc = _cli(str(path), "--format", fmt)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert "idd" in proc.stdout and "\\ud800" in proc.stdout


def test_a_document_missing_its_forms_key_member_is_checked_as_that_form():
    # (a bug hunt) without "schema", "definition" or both of "table" and "mapping", a document
    # got one generic error at the root: what it lacked, a typo of it, a bad name, unsaid
    schema = {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}
    details = {"database_id": "<database_id>", "table": "t"}
    cases = [
        (
            {"name": "Bad Name", "sink_details": details, "schem": schema},
            [("/name", "invalid-name"), ("/schema", "missing", "(the document has 'schem': a typo of 'schema'?)")],
        ),
        ({"name": "clicks", "schema": schema, "sink_detail": details}, [("/sink_details", "missing", "a typo of 'sink_details'?")]),
        (
            {"name": "Bad Name", "table": "CREATE TABLE t (_id ID, a INT)"},
            [("/name", "invalid-name"), ("/allow_missing_fields", "missing"), ("/mapping", "missing")],
        ),
        ({"name": "clicks", "allow_missing_fields": True, "mapping": {"_id": "id"}, "tabel": "x"}, [("/table", "missing", "a typo of 'table'?")]),
        (
            {**{k: v for k, v in schema.items() if k != "definition"}, "definitions": schema["definition"]},
            [("/definition", "missing", "a typo of 'definition'?")],
        ),
        ({"hello": "world"}, [("", "not-a-definition")]),
    ]
    for doc, want in cases:
        errors = mapper.check_sink(doc).errors
        assert [(p.pointer, p.code) for p in errors] == [w[:2] for w in want], (doc, errors)
        for w, p in zip(want, errors):
            assert w[2:] == () or w[2] in p.message, p.message


def test_a_python_mappings_key_that_is_not_a_string_is_said_to_be_one_everywhere():
    # (a bug hunt) a config key 1 or None crashed check_sink with a TypeError (preview(1));
    # elsewhere such a key was an "unknown key '1'", as if it were the string
    entry = {"name": "a", "path": ["a"], "type": "int", "config": {1: 2, None: 3, "Min": 0}}
    result = mapper.check_sink([entry], id_field="a", allow_missing_fields=True)
    assert result.valid and [(p.pointer, p.code, p.message) for p in result.problems] == [
        ("/0/config/1", "unknown-config-key", "the key 1 in the config is not a string (a JSON object's keys are); it is ignored"),
        ("/0/config/None", "unknown-config-key", "the key None in the config is not a string (a JSON object's keys are); it is ignored"),
    ]
    assert result.sink is not None and result.sink.to_body()["schema"]["definition"][0]["config"] == {"Min": 0}
    result = mapper.check_sink({"id_field": "a", "allow_missing_fields": True, 2: 1, "definition": [{**entry, "config": {}, (3,): 1}]})
    assert [p.message for p in result.problems] == [
        "the key 2 in the schema is not a string (a JSON object's keys are); it is ignored",
        "the key (3,) in a column entry is not a string (a JSON object's keys are); it is ignored",
    ]


def test_the_name_option_is_checked_and_kept_for_every_form():
    # (a bug hunt) name= was checked by no rule (load_sink(body, name="Bad Name") loaded, and
    # its to_body() did not), kept only for the body and the UI form, and a NUL in it
    # reached compile() as the generated code's filename: ValueError
    import dataclasses

    schema = {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}
    body = {"name": "web", "sink_details": {"database_id": "<database_id>", "table": "t"}, "schema": schema}
    ui = {"table": "CREATE TABLE t (_id ID)", "mapping": {"_id": "id"}, "allow_missing_fields": True}
    forms = [
        (body, {}),
        ({k: v for k, v in body.items() if k != "name"}, {}),
        (schema, {}),
        (schema["definition"], {"id_field": "id", "allow_missing_fields": True}),
        (ui, {}),
        ({**ui, "name": "web"}, {}),
    ]
    for doc, options in forms:
        sink = mapper.load_sink(doc, name="clicks", **options)
        assert sink.name == "clicks" and mapper.load_sink(sink.to_body()).name == "clicks", doc
        for bad, code in (("Bad Name", "invalid-name"), ("x\x00", "invalid-name"), (5, "wrong-type")):
            result = mapper.check_sink(doc, name=bad, **options)  # type: ignore[arg-type]
            assert [(p.pointer, p.code) for p in result.errors] == [("", code)], (doc, bad)
            assert result.errors[0].message.startswith("the name option: ")
            with pytest.raises(mapper.DefinitionError, match="the name option"):
                mapper.compile_sink(doc, name=bad, **options)  # type: ignore[arg-type]
    # a Sink made by hand may be named anything: its code's label stays a filename
    odd = dataclasses.replace(mapper.load_sink(body), name="x\x00\n<y>")
    m = mapper.compile_sink(odd)
    assert m.map([{"id": 1}]).to_rows() == [{"_id": 1}]


def test_small_wordings_a_bug_hunt_found():
    import numpy as np

    # NaN had no line and column, which read_json_document promises for every JSON error
    (problem,) = mapper.check_sink('{"id_field": "NaN",\n "x": [1, -Infinity, NaN]}').problems
    assert problem.message == "sink definition is not valid JSON: -Infinity is not valid JSON at line 2 column 11"
    # a missing Scale pointed into a config the entry does not have
    decimal = {"name": "d", "path": ["d"], "type": "decimal"}
    for entry, pointer in ((decimal, "/1"), ({**decimal, "config": {}}, "/1/config")):
        result = mapper.check_sink([{"name": "id", "path": ["id"], "type": "id"}, entry], id_field="id", allow_missing_fields=True)
        assert [(p.pointer, p.code) for p in result.problems] == [(pointer, "default-scale")]
    # a Python tuple is an array, as it is in records ("must be an array of keys ..., not an array")
    sink = mapper.load_sink(({"name": "id", "path": ("a", "id"), "type": "id"},), primary_key_fields=("id",), allow_missing_fields=True)
    assert sink.columns[0].path.keys == ("a", "id") and mapper.load_sink(
        {"primary_key_fields": ("id",), "allow_missing_fields": True, "definition": (sink.to_body()["schema"]["definition"][0],)}
    )
    # a value with no JSON form is named by its class and shown as itself (was: not a boolean "True")
    entry = {"name": "s", "path": ["s"], "type": "string", "config": {"Mutex": np.bool_(True)}}
    (problem,) = mapper.check_sink([entry], primary_key_fields=["s"], allow_missing_fields=True).errors
    assert problem.message == f"Mutex must be true or false, not a Python numpy.{type(np.bool_(True)).__qualname__} {np.bool_(True)!r}"


def test_identity_and_policy_options_of_the_wrong_type_are_problems_not_guesses():
    # found by a bug hunt: primary_key_fields="ab" was taken as the two columns a and b (its
    # characters: a composite key, silently), allow_missing_fields="no" made a sink that
    # allows missing fields ("no" is truthy; the UI form's too), and id_field=5 raised
    # TypeError from inside the checker
    two = [{"name": "a", "path": ["a"], "type": "string"}, {"name": "b", "path": ["b"], "type": "string"}]
    result = mapper.check_sink(two, primary_key_fields="ab", allow_missing_fields=True)
    assert [(p.code, p.message.split(" (")[0]) for p in result.errors] == [("unknown-column", "primary key field 'ab' names no column of the definition")]
    # a str is comma-separated names, as --primary-key-fields and infer() take it
    assert mapper.load_sink(two, primary_key_fields="a, b", allow_missing_fields=True).primary_key_fields == ("a", "b")
    for options, message in [
        ({"id_field": 5}, "the id_field option must be a column name (a non-empty str), not an integer 5"),
        ({"id_field": ""}, 'the id_field option must be a column name (a non-empty str), not a string ""'),
        ({"primary_key_fields": {"a"}}, "the primary_key_fields option must be a non-empty list of column names, not a Python builtins.set {'a'}"),
        ({"primary_key_fields": ["a"], "allow_missing_fields": "no"}, 'the allow_missing_fields option must be True or False, not a string "no"'),
        ({"primary_key_fields": ["a"], "allow_missing_fields": 0}, "the allow_missing_fields option must be True or False, not an integer 0"),
    ]:
        result = mapper.check_sink(two, **{"allow_missing_fields": True, **options})
        assert [(p.pointer, p.message) for p in result.errors] == [("", message)], options
        with pytest.raises(mapper.DefinitionError, match="option must be"):
            mapper.compile_sink(two, **{"allow_missing_fields": True, **options})
    ui = {"name": "s", "table": "CREATE TABLE t (_id STRING, a STRING)", "mapping": {"_id": "a", "a": "a"}, "allow_missing_fields": False}
    result = mapper.check_sink(ui, allow_missing_fields="no")
    assert [(p.pointer, p.message) for p in result.errors] == [("", 'the allow_missing_fields option must be True or False, not a string "no"')]


def test_a_source_of_no_accepted_kind_is_named_by_its_class_with_what_is_accepted():
    # (README audit) check_sink(5) said "cannot read a sink definition from a int", and None "from a NoneType"
    for source, name in ((5, "builtins.int"), (None, "builtins.NoneType"), (1.5, "builtins.float")):
        (problem,) = mapper.check_sink(source).problems  # type: ignore[arg-type]
        assert problem.code == "unreadable"
        assert problem.message.startswith(f"cannot read a sink definition from a Python {name}: give a file name"), problem.message
    with pytest.raises(mapper.DefinitionError, match="from a Python builtins.int: give a file name"):
        mapper.load_sink(5)  # type: ignore[arg-type]


def test_an_integer_too_long_to_print_is_named_by_its_exact_digit_count():
    # (README audit) the count was bits * log10(2), one short for most numbers: 10**5000,
    # 5001 digits, was "<an integer of 5000 digits>", and 10**4999 "of 4999"
    def named(value: int) -> str:
        result = mapper.check_sink(
            [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int", "config": {"Min": 0, "Max": value}}],
            id_field="id",
            allow_missing_fields=True,
        )
        (message,) = [p.message for p in result.problems if p.pointer == "/1/config/Max"]
        return message

    # (past Python's 4300 digits: shorter ones are printed.) Worked out by hand: 10**k has
    # k + 1 digits, 10**k - 1 has k; 2**16610 has 5001 (16610 * log10(2) = 5000.14), 2**16609 5000
    for value, digits in ((10**5000, 5001), (10**5000 - 1, 5000), (10**4999, 5000), (10**4400, 4401), (10**4400 - 1, 4400), (2**16610, 5001), (2**16609, 5000)):
        assert named(value) == f"Max <an integer of {digits:,} digits> does not fit a signed 64-bit integer", (digits, named(value))


def test_an_integer_too_long_to_print_has_its_digit_count_with_a_thousands_comma():
    # the count was "5001 digits" where every other count in a message has commas ("5,001")
    from mapper.errors import long_int_text

    assert long_int_text(10**5000) == "<an integer of 5,001 digits>"
    assert long_int_text(-(10**99_999)) == "<an integer of 100,000 digits>"
    # past 3,300,000 bits the count is estimated, and still has its commas (2**3300000 has 993,399 digits: 3,300,000 * log10(2) = 993,398.99)
    assert long_int_text(1 << 3_300_000) == "<an integer of about 993,399 digits>"


def test_a_definition_str_over_64_mib_is_refused_as_its_bytes_are() -> None:
    """Files and bytes over 64 MiB were refused, a str of any size parsed: the str is measured as its UTF-8 text."""
    from mapper.sink import MAX_SINK_BYTES

    assert MAX_SINK_BYTES == 64 << 20
    text = "[" + " " * MAX_SINK_BYTES + "]"
    started = time.process_time()  # (CPU time: the wall clock of a busy machine is not the code's)
    for source, what in ((text, "the sink definition (a str, measured as its UTF-8 bytes, as bytes are)"), (text.encode(), "the sink definition")):
        with pytest.raises(mapper.DefinitionError) as exc:
            mapper.load_sink(source)
        (problem,) = exc.value.problems
        assert problem.code == "too-large" and problem.message.startswith(f"{what} is larger than 64 MiB:"), problem
    assert time.process_time() - started < 5


@pytest.mark.parametrize("fill", ["é", "€", "😀", "\ud800"])
def test_a_definition_str_is_measured_in_utf8_bytes_not_characters(monkeypatch: Any, fill: str) -> None:
    """A str of fewer characters than the limit whose UTF-8 text is over it is refused, as its bytes are;
    one whose text is just at the limit is read (here the limit is lowered: 1 MiB)."""
    from mapper import sink as sink_module

    limit = 1 << 20
    monkeypatch.setattr(sink_module, "MAX_SINK_BYTES", limit)
    width = len(fill.encode("utf-8", "surrogatepass"))
    inside = (limit - 200) // width  # characters of the JSON string inside the definition
    at_limit = '{"id_field": "id", "definition": [{"name": "id", "path": ["id"], "type": "id"}], "x": "' + fill * inside + '"}'
    at_limit += " " * (limit - len(at_limit.encode("utf-8", "surrogatepass")))
    assert len(at_limit.encode("utf-8", "surrogatepass")) == limit and len(at_limit) < limit
    over = at_limit + " "
    problems = mapper.check_sink(over).problems
    assert [p.code for p in problems] == ["too-large"]
    assert problems[0].message.startswith("the sink definition (a str, measured as its UTF-8 bytes, as bytes are) is larger than 1 MiB")
    if fill != "\ud800":  # (bytes hold no unpaired surrogate)
        assert [p.code for p in mapper.check_sink(over.encode()).problems] == ["too-large"]
    assert "too-large" not in [p.code for p in mapper.check_sink(at_limit).problems]
