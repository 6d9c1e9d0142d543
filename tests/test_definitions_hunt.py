"""What a bug hunt of sink definitions end to end found (check, explain, mapping with the
compiled sink), each pinned by a test that failed before its fix.

The hunt generated definitions with hostile column names and path keys (quotes, backslashes,
controls, NUL, bidi overrides, Python source, JMESPath syntax), every type with every config
key, and the identity in every combination; these are the properties that broke.
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from mapper.paths import to_dot_notation
from tests.cli_inproc import run_main

REPO = Path(__file__).resolve().parent.parent


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    """``python -m mapper ARGS``, run in this process (:func:`tests.cli_inproc.run_main`: this checkout's mapper), its output as text."""
    p = run_main(*args)
    return subprocess.CompletedProcess(p.args, p.returncode, p.out, p.err)


def _count_fuzzy_comparisons(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Replace difflib's close-match search with one that counts its comparisons (and finds
    nothing): the cost of the "did you mean" hints, counted rather than timed."""
    counted = [0]

    def close_matches(word: str, possibilities: Any, n: int = 3, cutoff: float = 0.6) -> list[str]:
        counted[0] += len(list(possibilities))
        return []

    monkeypatch.setattr(difflib, "get_close_matches", close_matches)
    return counted


def test_many_unknown_key_fields_cost_a_bounded_number_of_did_you_mean_comparisons(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2,000 primary key fields naming no column, against 2,000 columns: each looked for a near
    # miss among all the columns, 4,000,000 difflib ratios, and `mapper check` took 72 s
    n = 1000
    counted = _count_fuzzy_comparisons(monkeypatch)
    definition = [{"name": f"column_{i}", "path": [f"p{i}"], "type": "string"} for i in range(n)]
    result = mapper.check_sink({"primary_key_fields": [f"colunm_{i}" for i in range(n)], "allow_missing_fields": True, "definition": definition})
    unknown = [p for p in result.errors if p.code == "unknown-column"]
    assert len(unknown) == n  # every one is still said, where it is
    assert unknown[-1].pointer == f"/primary_key_fields/{n - 1}"
    assert counted[0] <= 20_000


def test_a_ui_mapping_of_many_keys_no_table_column_has_costs_a_bounded_number_of_comparisons(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 1000
    counted = _count_fuzzy_comparisons(monkeypatch)
    table = "CREATE TABLE t (_id id, " + ", ".join(f"column_{i} string" for i in range(n)) + ")"
    doc = {"name": "t", "table": table, "mapping": {f"colunm_{i}": {"path": [f"p{i}"]} for i in range(n)}}
    result = mapper.check_sink(doc, id_field="x", allow_missing_fields=True)
    assert sum(p.code == "unknown-column" for p in result.errors) >= n
    assert counted[0] <= 20_000


def test_a_near_miss_is_still_suggested_where_the_budget_allows() -> None:
    definition = [{"name": "language", "path": ["language"], "type": "string"}]
    result = mapper.check_sink({"primary_key_fields": ["langauge"], "allow_missing_fields": True, "definition": definition})
    assert "did you mean 'language'?" in result.errors[0].message


_C1_KEY = "a\x9b2J\x85b"  # CSI "2J" clears an 8-bit terminal's screen; NEL ends a line


def test_a_paths_text_in_messages_writes_c1_controls_as_escapes_as_its_dot_notation_does() -> None:
    # Path.jsonpath() left DEL and the C1 controls raw (json.dumps escapes C0 only), in each
    # record error's path and in check's messages, where to_dot_notation escapes them
    definition = [
        {"name": "k", "path": ["k"], "type": "id"},
        {"name": "c", "path": [_C1_KEY, "x\x7f"], "type": "int"},
        {"name": "d", "path": [_C1_KEY, "x\x7f"], "type": "int"},
    ]
    result = mapper.check_sink({"id_field": "k", "allow_missing_fields": True, "definition": definition})
    (same,) = [p for p in result.problems if p.code == "same-path"]
    assert same.message.endswith('$["a\\u009b2J\\u0085b"]["x\\u007f"]')
    m = mapper.compile_sink(result.sink)
    report = m.validate([{"k": 1, _C1_KEY: {"x\x7f": "zz"}}])
    assert [e.path for e in report.errors] == ['$["a\\u009b2J\\u0085b"]["x\\u007f"]'] * 2


@pytest.mark.parametrize("group", ["column", "record"])
def test_the_text_report_writes_a_column_name_and_path_holding_controls_as_escapes(tmp_path: Path, group: str) -> None:
    # check warns of such a name (not a FeatureBase column name) and takes the definition (the
    # identity's column, not stored: a stored one is refused); the report then printed the name
    # and the path raw: an ESC moved the terminal's cursor, a newline made one entry two lines
    name = "c\x1b[2J\n\x9b"
    definition = [{"name": name, "path": ["a\x85b", "x"], "type": "id"}, {"name": "v", "path": ["v"], "type": "int"}]
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps({"id_field": name, "allow_missing_fields": True, "definition": definition}))
    records = tmp_path / "records.ndjson"
    records.write_text(json.dumps({"v": 1, "a\x85b": {"x": "zz"}}) + "\n")
    proc = _cli("validate", sink, records, "--group", group)
    assert "invalid_id" in proc.stdout, proc.stdout + proc.stderr
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", proc.stdout), proc.stdout
    assert "c\\u001b[2J\\n\\u009b (path " in proc.stdout
    assert "\\u0085b" in proc.stdout


def test_the_text_report_and_check_write_bidi_and_invisible_characters_as_escapes(tmp_path: Path) -> None:
    # (h-defs left it) a right-to-left override in a column name or a value made the rest of a
    # report line read backwards ("Trojan Source"); the web UI already showed such characters as
    # escapes (safeText): the command line writes the same set the same way
    # (the name the identity's column, not stored: FeatureBase refuses it for a stored one)
    name = "c\u202eab\u200b"
    definition = [{"name": name, "path": ["v\u2066"], "type": "id"}, {"name": "k", "path": ["k"], "type": "int"}]
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps({"id_field": name, "allow_missing_fields": True, "definition": definition, "zz\u202e": 1}))
    records = tmp_path / "records.ndjson"
    records.write_text(json.dumps({"k": 1, "v\u2066": "x\u202ey\U000e0041"}) + "\n")
    for args in (["validate", str(sink), str(records)], ["check", str(sink)]):
        proc = _cli(*args)
        out = proc.stdout + proc.stderr
        assert not re.search("[\u202e\u200b\u2066\U000e0041]", out), out
        assert "\\u202e" in out, out
    assert "c\\u202eab\\u200b" in _cli("validate", sink, records).stdout


def test_check_prints_a_pointer_holding_controls_with_them_escaped(tmp_path: Path) -> None:
    # a pointer names the keys as written; check's messages quote a key with repr(), but the
    # pointer in front was printed raw: an unknown key's ESC reached the terminal, its newline
    # broke the problem's line in two
    doc = {
        "id_field": "k",
        "allow_missing_fields": True,
        "zz\x1b[2J": 1,
        "definition": [{"name": "k", "path": ["k"], "type": "id", "config": {"q\x9b1m\nx": 1}}, {"name": "b", "path": ["b"], "type": "nope\x1b"}],
    }
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(doc))
    proc = _cli("check", sink)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", proc.stdout), proc.stdout
    lines = proc.stdout.splitlines()
    assert "  warning: /zz\\u001b[2J: unknown key 'zz\\x1b[2J' in the schema; it is ignored" in lines
    assert any(line.startswith("  warning: /definition/0/config/q\\u009b1m\\nx: unknown config key") for line in lines), lines
    # the exception's text, and each problem's, as a Python caller prints them
    with pytest.raises(mapper.DefinitionError) as info:
        mapper.load_sink(doc)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", str(info.value))
    problems = mapper.check_sink(doc).problems
    assert all(not re.search("[\x00-\x1f\x7f-\x9f]", str(p)) for p in problems), [str(p) for p in problems]
    assert {p.pointer for p in problems} >= {"/zz\x1b[2J", "/definition/0/config/q\x9b1m\nx"}  # the pointer itself is as written


def test_values_check_quotes_as_json_write_c1_controls_as_escapes() -> None:
    # json.dumps(ensure_ascii=False) escapes C0 only: a path string's note and a wrong value
    # quoted as JSON printed a CSI (0x9b) or a NEL (0x85) raw
    doc = {
        "name": "s",
        "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"},
        "schema": {
            "id_field": ["k\x9b"],
            "allow_missing_fields": True,
            "definition": [{"name": "k", "path": "a\x9b2J.b\x85", "type": "id"}],
        },
    }
    problems = {p.pointer: p.message for p in mapper.check_sink(doc).problems}
    assert problems["/schema/definition/0/path"].endswith('["a\\u009b2J", "b\\u0085"]')
    assert problems["/schema/id_field"].endswith('not ["k\\u009b"]')
    assert all(not re.search("[\x00-\x1f\x7f-\x9f]", m) for m in problems.values()), problems


def test_a_python_definitions_surrogate_pair_is_not_called_unpaired() -> None:
    # a Python str may hold an emoji as its two UTF-16 halves; check refused it saying it holds
    # an unpaired surrogate, which it does not: the message now says what it holds and the remedy
    definition = [
        {"name": "k", "path": ["k"], "type": "id"},
        {"name": "c", "path": ["o\ud83d\ude00"], "type": "string"},
        {"name": "d\ud800", "path": ["d"], "type": "string"},
    ]
    problems = {p.pointer: p.message for p in mapper.check_sink({"id_field": "k", "allow_missing_fields": True, "definition": definition}).errors}
    pair = problems["/definition/1/path/0"]
    assert "unpaired" not in pair and "surrogate pair as two code points" in pair and "\\U0001f600" in pair, pair
    assert "unpaired" in problems["/definition/2/name"]


def _pk_sink(names: list[str], pk: list[str]) -> dict[str, Any]:
    return {
        "primary_key_fields": pk,
        "allow_missing_fields": True,
        "definition": [{"name": n, "path": [f"p{i}"], "type": "string"} for i, n in enumerate(names)],
    }


def test_primary_key_fields_are_trimmed_as_gos_trimspace_trims_them() -> None:
    # the ingester trims a primary key field with strings.TrimSpace; str.strip() trims more
    # (\x1c-\x1f are whitespace to Python, not to Go), so a column named "c\x1f" was "no column"
    # (a lone string key, not stored: the one column a name FeatureBase refuses is not an error of)
    result = mapper.check_sink(_pk_sink(["c\x1f", "d"], ["c\x1f"]))
    assert result.valid, [str(p) for p in result.problems]
    m = mapper.compile_sink(result.sink)
    assert m.map([{"p0": "x", "p1": "y"}]).to_rows() == [{"_id": "x", "d": "y"}]
    assert not any(p.code == "whitespace" for p in result.problems)
    # what Go trims is still trimmed, and said
    spaced = mapper.check_sink(_pk_sink(["c", "d"], ["\u3000c ", "d"]))
    assert spaced.valid and [p.code for p in spaced.problems] == ["whitespace"]
    assert spaced.sink.primary_key_fields == ("c", "d")


def test_a_long_primary_key_field_with_spaces_is_quoted_cut_short() -> None:
    # the whitespace warning quoted the whole name: a megabyte name, a megabyte message
    long = "x" * 1_000_000
    result = mapper.check_sink(_pk_sink(["c"], [" " + long]))
    assert result.problems and all(len(p.message) < 1000 for p in result.problems), [len(p.message) for p in result.problems]


def _path_problems(path: Any, body: bool = False) -> dict[str, str]:
    schema = {
        "id_field": "k",
        "allow_missing_fields": True,
        "definition": [{"name": "k", "path": ["k"], "type": "id"}, {"name": "c", "path": path, "type": "string"}],
    }
    doc = {"name": "s", "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"}, "schema": schema} if body else schema
    return {p.pointer: p.message for p in mapper.check_sink(doc).problems}


def test_a_jmespath_syntax_errors_token_is_quoted_cut_short_and_with_its_controls_escaped() -> None:
    # the library's message quotes the token it did not expect, decoded: a quoted identifier's
    # \u001b was printed as a raw ESC, and a 100,000-character token made as long a message
    message = _path_problems('@ "x\\u001by"')["/definition/1/path"]
    assert message.startswith("invalid path: Unexpected token: x\\u001by at character 3"), message
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", message)
    long = _path_problems("@ " + "L" * 100_000)["/definition/1/path"]
    assert len(long) < 1000, len(long)


def test_the_path_string_note_quotes_a_long_key_array_cut_short() -> None:
    message = _path_problems("a." + "L" * 100_000, body=True)["/schema/definition/1/path"]
    assert message.startswith('the endpoint\'s API takes a path as an array of keys: ["a", "LLL')
    assert len(message) < 1000, len(message)


def test_an_evaluation_failure_quotes_the_value_cut_short_and_with_its_controls_escaped() -> None:
    # the library's message quotes the value its function refused, raw and whole
    message = _path_problems('floor(`"\\u001bzz"`)')["/definition/1/path"]
    assert "invalid type for value: \\u001bzz" in message and not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", message), message
    assert len(_path_problems('floor(`"' + "L" * 5000 + '"`)')["/definition/1/path"]) < 1000
    # and a record's: the same words name why its expression failed
    m = mapper.compile_sink(
        {
            "id_field": "k",
            "allow_missing_fields": True,
            "definition": [{"name": "k", "path": ["k"], "type": "id"}, {"name": "c", "path": "floor(s)", "type": "int"}],
        }
    )
    (error,) = [e for e in m.validate([{"k": 1, "s": "\x1b" + "L" * 5000}]).errors]
    assert len(error.reason) < 1000 and not re.search("[\x00-\x1f\x7f-\x9f]", error.reason), error.reason


def test_columns_sharing_a_long_path_are_said_with_the_path_cut_short() -> None:
    long = "L" * 100_000
    definition = [
        {"name": "k", "path": ["k"], "type": "id"},
        {"name": "a", "path": [long], "type": "string"},
        {"name": "b", "path": [long], "type": "string"},
        {"name": "c", "path": [long, long], "type": "string"},
    ]
    problems = mapper.check_sink({"id_field": "k", "allow_missing_fields": True, "definition": definition}).problems
    assert sorted(p.code for p in problems) == ["prefix-path", "same-path"]
    assert all(len(p.message) < 1000 for p in problems), [len(p.message) for p in problems]


# ---------------------------------------------------------------------------------------
# The hunt's properties, kept: generated definitions with hostile names and keys


_HOSTILE = [
    '"', "'", "\\", "\n", "\x00", "\x1b[2J", "\x9b", '"""', "{}", "__class__", "]); __import__('os').system('x') #", "class", "None",
    "e\u0301", "\u202e", "\U0001f600", "a.b", "[0]", "*", "@", "`x`", "0", "-1", " ", "~1/", "_id", "rec", "_M", "n1", "_k1", "L" * 300,
]  # fmt: skip
_KEY = st.one_of(st.sampled_from(_HOSTILE), st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=6))
_ROUND_TRIP = {"string": "v", "int": 7, "id": 7, "bool": True, "strings": ["s"], "ids": [3]}


@st.composite
def _definitions(draw: Any) -> dict[str, Any]:
    names = draw(st.lists(_KEY, min_size=1, max_size=6, unique=True))
    entries = []
    for name in names:
        keys = draw(st.lists(_KEY, min_size=1, max_size=3))
        entry: dict[str, Any] = {
            "name": name,
            "path": keys if draw(st.booleans()) else to_dot_notation(keys),
            "type": draw(st.sampled_from(sorted(_ROUND_TRIP))),
        }
        if draw(st.integers(0, 4)) == 0:
            entry["config"] = {
                draw(st.sampled_from(["Mutex", "mutex", "Min", "Scale", "Quantum", _HOSTILE[5]])): draw(st.sampled_from([True, 1, "YMD", None, 1.5]))
            }
        entries.append(entry)
    schema: dict[str, Any] = {"allow_missing_fields": draw(st.booleans()), "definition": entries}
    if draw(st.booleans()):
        entries[0]["type"] = draw(st.sampled_from(["id", "int"]))
        schema["id_field"] = names[0]
    else:
        entries[0]["type"] = "string"
        schema["primary_key_fields"] = [names[0]]
    if draw(st.booleans()):
        return {"name": "s", "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"}, "schema": schema}
    return schema


def _resolves(doc: Any, pointer: str) -> bool:
    """Whether a problem's pointer names a member of ``doc``, or a missing one of a member."""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    for i, token in enumerate(tokens):
        if isinstance(doc, dict) and token in doc:
            doc = doc[token]
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return isinstance(doc, dict) and i == len(tokens) - 1
    return True


@settings(max_examples=150, suppress_health_check=list(HealthCheck))
@given(_definitions(), st.sampled_from(["dict", "text"]))
def test_generated_definitions_check_compile_and_map_their_own_records_back(doc: dict[str, Any], how: str) -> None:
    result = mapper.check_sink(doc if how == "dict" else json.dumps(doc))
    for p in result.problems:
        assert _resolves(doc, p.pointer), p
        assert len(p.message) < 2000 and not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", str(p)), p
    if result.sink is None:
        return
    m = mapper.compile_sink(result.sink)
    source = m.explain()
    compile(source, m.filename, "exec")
    # keys and names are bound as constants, never pasted in: the generator's own text is ASCII and calls no __import__
    assert source.isascii() and "__import__" not in source, source
    record: dict[str, Any] = {}
    for c in result.sink.columns:
        assert c.path.keys is not None
        *parents, last = c.path.keys
        at = record
        for key in parents:
            at = at.setdefault(key, {})
            if not isinstance(at, dict):
                return  # one column's path goes inside another's value
        if last in at:
            return
        at[last] = _ROUND_TRIP[c.type]
    rows = m.map([record]).to_rows()
    assert rows == m.map(json.dumps(record) + "\n").to_rows() == m.map([record], fast=False).to_rows()
    assert not [e for e in m.check(record) if isinstance(e, mapper.RecordError)]
    (row,) = rows
    for c in result.sink.stored_columns:
        assert row[c.name] == _ROUND_TRIP[c.type], c.name


class _Shown(str):
    """A str subclass whose str() is other text (numpy's str_ is one; its repr differs too)."""

    def __str__(self) -> str:
        return "OTHER"

    def __repr__(self) -> str:
        return "_Shown('...')"


def test_a_python_definitions_str_subclass_names_are_held_as_their_plain_text() -> None:
    # path keys were made plain str (a JSON text of the definition gives nothing else); the
    # names, type, id_field and primary key fields were kept as given: a record error named the
    # column by str() ("OTHER"), Arrow's presence field was "OTHER.present", the summary a repr
    for identity in ("id_field", "primary_key_fields"):
        schema: dict[str, Any] = {
            "allow_missing_fields": True,
            "definition": [
                {"name": _Shown("k"), "path": ["k"], "type": _Shown("string" if identity == "primary_key_fields" else "id")},
                {"name": _Shown("c"), "path": ["c"], "type": _Shown("int")},
            ],
        }
        schema[identity] = [_Shown("k")] if identity == "primary_key_fields" else _Shown("k")
        sink = mapper.load_sink(schema)
        values = [sink.id_field, *(sink.primary_key_fields or ()), *(c.name for c in sink.columns), *(c.type for c in sink.columns)]
        assert all(v.__class__ is str for v in values if v is not None), [type(v) for v in values]
        assert "'k'" in sink.summary() and "_Shown" not in sink.summary()
        batch = mapper.compile_sink(sink).map([{"k": 1, "c": "x"}, {"k": 2, "c": 3}])
        assert [e.message.endswith('column "c")') for e in batch.report.errors] == [True]
        if pytest.importorskip("pyarrow"):
            assert "c.present" in batch.to_arrow().schema.names


def test_a_python_definitions_str_subclass_sink_name_and_config_strings_are_held_as_plain_text() -> None:
    doc = {
        "name": _Shown("s"),
        "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"},
        "schema": {
            "id_field": "k",
            "allow_missing_fields": True,
            "definition": [
                {"name": "k", "path": ["k"], "type": "id"},
                {"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": _Shown("2006-01-02"), "Granularity": _Shown("s")}},
                {"name": "q", "path": ["q"], "type": "string", "config": {"Quantum": _Shown("YMD"), "TTL": _Shown("1h"), "CacheType": _Shown("ranked")}},
            ],
        },
    }
    sink = mapper.load_sink(doc)
    assert sink.name.__class__ is str and "'s'" in sink.summary()
    held = [getattr(c.config, f) for c in sink.columns for f in ("layout", "granularity", "quantum", "ttl", "cache_type")]
    assert all(v.__class__ is str for v in held if v is not None), [type(v) for v in held]
    (error,) = mapper.compile_sink(sink).validate([{"k": 1, "t": "x", "q": "a"}]).errors
    assert "in layout 2006-01-02," in error.message, error.message


def test_a_sink_details_key_left_out_is_said_with_its_controls_escaped() -> None:
    key = "x\\u001b[2J"  # as the JSON text writes it
    text = (
        '{"name": "s", "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t", "%s": %s},'
        ' "schema": {"id_field": "k", "allow_missing_fields": true, "definition": [{"name": "k", "path": ["k"], "type": "id"}]}}'
    ) % (key, "1" * 5000)
    (left_out,) = [p for p in mapper.check_sink(text).problems if p.code == "unknown-key"]
    assert left_out.message.startswith("unknown key sink_details.x\\u001b[2J holds an integer of thousands of digits"), left_out.message
