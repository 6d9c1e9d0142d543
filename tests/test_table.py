"""The UI's sink form: a FeatureBase SQL CREATE TABLE plus a column -> path mapping (issue 5, section 3).

Expected values come from the contract (``shared/spec/featurebase-sink.md``, the seed page
``create-ingest-endpoint.md``) and from FeatureBase's SQL grammar and planner
(``sql3/parser``, ``sql3/planner/compilecreatetable.go``), not from what the code prints.

Golden cases live in ``tests/cases/table/<case>/`` in the format of the definition cases:
``sink.json``, ``expected.json`` (``valid``, the exact multiset of (severity, pointer, code),
optional ``message_contains``).
"""

from __future__ import annotations

import collections
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_definitions import assert_messages  # the same rule as the definition cases

import mapper
from mapper.table import (
    COLUMN_TYPES,
    KEYWORDS,
    Table,
    TableColumn,
    TableSyntaxError,
    analyze_create_table,
    parse_create_table,
)
from tests.cli_inproc import run_main

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CASES_DIR = HERE / "cases" / "table"
AIRCRAFT_UI = CASES_DIR / "aircraft-ui" / "sink.json"
RECORDS = REPO / "examples" / "aircraft" / "records.ndjson"


def _cols(table: Table) -> list[tuple]:
    return [(c.name, c.type, c.scale, [(k.keyword, k.value) for k in c.constraints]) for c in table.columns]


def _table(columns: str) -> Table:
    return parse_create_table(f"CREATE TABLE t (_id ID, {columns})")


# ---------------------------------------------------------------------------------------
# The parser: each column type and constraint


@pytest.mark.parametrize(
    "sql_type,name,scale",
    [
        ("ID", "ID", None),
        ("STRING", "STRING", None),
        ("INT", "INT", None),
        ("DECIMAL(2)", "DECIMAL", 2),
        ("TIMESTAMP", "TIMESTAMP", None),
        ("BOOL", "BOOL", None),
        ("IDSET", "IDSET", None),
        ("STRINGSET", "STRINGSET", None),
        ("IDSETQ", "IDSETQ", None),
        ("STRINGSETQ", "STRINGSETQ", None),
        ("decimal(0)", "DECIMAL", 0),
        ("stringSet", "STRINGSET", None),
    ],
)
def test_each_column_type(sql_type, name, scale):
    col = _table(f"c {sql_type}").column("c")
    assert (col.type, col.scale, col.constraints) == (name, scale, ())
    assert col.sql_type == (f"{name}({scale})" if scale is not None else name)


def test_every_type_name_is_covered():
    assert set(COLUMN_TYPES) == {"ID", "STRING", "INT", "DECIMAL", "TIMESTAMP", "BOOL", "IDSET", "STRINGSET", "IDSETQ", "STRINGSETQ"}


@pytest.mark.parametrize(
    "definition,expected",
    [
        ("c INT MIN 0 MAX 360", [("MIN", 0), ("MAX", 360)]),
        ("c INT MIN -2000 MAX 60000", [("MIN", -2000), ("MAX", 60000)]),
        ("c INT MIN - 5 MAX +5", [("MIN", -5), ("MAX", 5)]),
        ("c INT MAX 10", [("MAX", 10)]),
        ("c TIMESTAMP TIMEUNIT 'ms'", [("TIMEUNIT", "ms")]),
        ("c TIMESTAMP TIMEUNIT 's' EPOCH '2021-01-01T00:00:00Z'", [("TIMEUNIT", "s"), ("EPOCH", "2021-01-01T00:00:00Z")]),
        ("c STRINGSETQ TIMEQUANTUM 'YMD'", [("TIMEQUANTUM", "YMD")]),
        ("c IDSETQ TIMEQUANTUM 'YMDH' TTL '24h'", [("TIMEQUANTUM", "YMDH"), ("TTL", "24h")]),
        ("c STRING CACHETYPE RANKED SIZE 1000", [("CACHETYPE", "ranked"), ("SIZE", 1000)]),
        ("c IDSET cachetype lru", [("CACHETYPE", "lru")]),
        ("c ID CACHETYPE none SIZE 0", [("CACHETYPE", "none"), ("SIZE", 0)]),
    ],
)
def test_constraints(definition, expected):
    col = _table(definition).column("c")
    assert [(k.keyword, k.value) for k in col.constraints] == expected
    for keyword, value in expected:
        assert col.get(keyword) == value


def test_statement_options_names_quoting_and_comments():
    sql = (
        "-- the seed's table\n"
        'create table if not exists "Air""craft" (\n'
        "  _id STRING, -- string keys\n"
        '  "Aircraft ID" string,\n'
        "  lat decimal(4),\n"
        "  a-b int,\n"
        ") KEYPARTITIONS 12 COMMENT 'it''s here';  -- done\n"
    )
    t, problems = analyze_create_table(sql)
    assert t is not None
    # names FeatureBase refuses (its CREATE TABLE fails on them): errors, each at its place
    assert [(p.code, p.position.line) for p in problems if p.severity == "error"] == [("table-name", 2), ("column-name", 4)]
    assert t.name == 'air"craft'  # quoted names unescape "" and, as in FeatureBase, are lower-cased
    assert t.if_not_exists and t.key_partitions == 12 and t.comment == "it's here"
    assert [c.name for c in t.columns] == ["_id", "aircraft id", "lat", "a-b"]  # '-' is a name character
    assert t.column("AIRCRAFT ID").written_name == "Aircraft ID"
    assert t.position == (sql.index("create"), 2, 1)
    assert t.columns[1].position.line == 4 and t.columns[1].position.column == 3
    assert t.columns[2].type_position.line == 5 and t.columns[2].type_position.column == 7
    assert t.id_column is t.columns[0]


def test_to_sql_round_trips():
    # ("a'b" is a name FeatureBase refuses, an error: the statement is still read whole)
    t, _ = analyze_create_table(
        'CREATE TABLE x (_id ID, "min" INT MIN -1 MAX 1, s STRING CACHETYPE RANKED SIZE 10, '
        "q STRINGSETQ TIMEQUANTUM 'YM' TTL '1h', t TIMESTAMP TIMEUNIT 'us' EPOCH '2000-01-01T00:00:00Z', "
        "\"a'b\" DECIMAL(3)) COMMENT 'c''d' KEYPARTITIONS 3"
    )
    assert t is not None
    again, _ = analyze_create_table(t.to_sql())
    assert again is not None
    assert _cols(again) == _cols(t)
    assert (again.name, again.comment, again.key_partitions) == (t.name, t.comment, t.key_partitions)


# ---------------------------------------------------------------------------------------
# Malformed statements: an error at the right line and column


@pytest.mark.parametrize(
    "sql,line,column,fragment",
    [
        # a missing comma between two column definitions: at the second column's name
        ("CREATE TABLE t (\n  _id ID,\n  lat DECIMAL(4)\n  long DECIMAL(4)\n)", 4, 3, "missing ','"),
        # an unknown type: at the type
        ("CREATE TABLE t (_id ID, name VARCHAR)", 1, 30, "unsupported column type 'VARCHAR'"),
        ("CREATE TABLE t (_id ID,\n  v VECTOR(3))", 2, 5, "unsupported column type 'VECTOR'"),
        ("CREATE TABLE t (_id ID, n INTEGER)", 1, 27, "use INT"),
        ("CREATE TABLE t (_id ID, n STRNG)", 1, 27, "did you mean STRING?"),
        ("CREATE TABLE t (_id ID, n ID-- no space\n)", 1, 29, "put a space before a -- comment"),
        # an unterminated string: at its opening quote
        ("CREATE TABLE t (_id ID,\n    q STRINGSETQ TIMEQUANTUM 'YMD)", 2, 30, "unterminated string"),
        ("CREATE TABLE t (_id ID, q STRINGSETQ TIMEQUANTUM 'YM\nD')", 1, 50, "unterminated string"),
        ('CREATE TABLE "t (_id ID)', 1, 14, "unterminated quoted name"),
        # a missing closing parenthesis: just after the last token
        ("CREATE TABLE t (_id ID, a INT\n\n", 1, 30, "missing ')' to close the column list opened at line 1 column 16"),
        ("CREATE TABLE t (_id ID,", 1, 24, "missing ')'"),
        ("CREATE TABLE t (_id ID, d DECIMAL(2 )", 1, 38, "missing ')'"),
        ("CREATE TABLE t (_id ID, d DECIMAL(2, e INT)", 1, 36, "expected ')' after the scale of DECIMAL"),
        # DECIMAL without a scale, or with a scale that is not a whole number
        ("CREATE TABLE t (_id ID,\n d DECIMAL)", 2, 4, "DECIMAL needs a scale"),
        ("CREATE TABLE t (_id ID, d DECIMAL(x))", 1, 35, "expected the scale of DECIMAL"),
        ("CREATE TABLE t (_id ID, d DECIMAL(1.5))", 1, 35, "expected the scale of DECIMAL"),
        # MIN / MAX not a number
        ("CREATE TABLE t (_id ID, a INT MIN abc)", 1, 35, "MIN takes a whole number"),
        ("CREATE TABLE t (_id ID, a INT MIN 1 MAX 2.5)", 1, 41, "MAX takes a whole number"),
        ("CREATE TABLE t (_id ID, a INT MIN 'x')", 1, 35, "MIN takes a whole number"),
        ("CREATE TABLE t (_id ID, a INT MIN -)", 1, 36, "MIN takes a whole number"),
        ("CREATE TABLE t (_id ID, a INT MIN 99999999999999999999)", 1, 35, "does not fit a signed 64-bit integer"),
        # other statements and structure
        ("SELECT * FROM t", 1, 1, "expected a CREATE TABLE statement"),
        ("  CREATE VIEW v AS SELECT 1", 1, 10, "not a VIEW"),
        ("CREATE TABLE t _id ID", 1, 16, "expected '('"),
        ("CREATE TABLE (_id ID)", 1, 14, "expected the table name"),
        ("CREATE TABLE IF EXISTS t (_id ID)", 1, 17, "expected NOT"),
        ("CREATE TABLE t (_id ID, 5 INT)", 1, 25, "expected a column name"),
        ("CREATE TABLE t (_id ID, key STRING)", 1, 25, 'quote it to use it as a name: "key"'),
        ("CREATE TABLE t (_id ID, a)", 1, 26, "expected the type of column 'a'"),
        ("CREATE TABLE t (_id ID, a INT NOT NULL)", 1, 31, "column constraints are MIN, MAX"),
        ("CREATE TABLE t (_id ID, a INT MAXX 5)", 1, 31, "did you mean the constraint MAX?"),
        ("CREATE TABLE t (_id ID, a TIMESTAMP EPOCH '2020-01-01T00:00:00Z')", 1, 37, "EPOCH must directly follow TIMEUNIT"),
        ("CREATE TABLE t (_id ID, a STRINGSETQ TTL '1h')", 1, 38, "TTL must directly follow TIMEQUANTUM"),
        ("CREATE TABLE t (_id ID, a STRING CACHETYPE FIFO)", 1, 44, "CACHETYPE takes RANKED, LRU or NONE"),
        ("CREATE TABLE t (_id ID, a STRING CACHETYPE LRU SIZE big)", 1, 53, "SIZE takes a whole number"),
        ("CREATE TABLE t (_id ID, a TIMESTAMP TIMEUNIT ms)", 1, 46, "TIMEUNIT takes a string in single quotes"),
        ("CREATE TABLE t (_id ID) KEYPARTITIONS 0", 1, 39, "outside 1..10000"),
        ("CREATE TABLE t (_id ID) COMMENT 5", 1, 33, "COMMENT takes a string"),
        ("CREATE TABLE t (_id ID) WITH x", 1, 25, "expected the end of the statement"),
        ("CREATE TABLE t (_id ID); CREATE TABLE u (_id ID)", 1, 26, "give one CREATE TABLE statement"),
        ("CREATE TABLE t (_id ID /* key */)", 1, 24, "no /* */ comments"),
        ("CREATE TABLE t (_id ID, a INT MIN 1e)", 1, 35, "malformed number"),
        ("CREATE TABLE t (_id ID, é INT)", 1, 25, "expected a column name"),
        # what FeatureBase's planner refuses after parsing
        ("CREATE TABLE t (a INT)", 1, 1, "the table has no _id column"),
        ("CREATE TABLE t (_id INT)", 1, 21, "_id column must be of type ID or STRING"),
        ("CREATE TABLE t (_id STRING CACHETYPE RANKED)", 1, 28, "the _id column takes no constraints"),
        ("CREATE TABLE t (_id ID, a INT, A STRING)", 1, 32, "column 'a' is defined twice (first at line 1 column 25"),
        ("CREATE TABLE t (_id ID, a INT MIN 5 MAX 1)", 1, 31, "MIN (5) is greater than MAX (1)"),
        ("CREATE TABLE t (_id ID, a STRING TIMEQUANTUM 'YMD')", 1, 34, "TIMEQUANTUM cannot be applied to a column of type STRING"),
        ("CREATE TABLE t (_id ID, a STRINGSETQ CACHETYPE RANKED)", 1, 38, "CACHETYPE cannot be applied"),
        ("CREATE TABLE t (_id ID, a INT TIMEUNIT 's')", 1, 31, "TIMEUNIT cannot be applied"),
        ("CREATE TABLE t (_id ID, a TIMESTAMP TIMEUNIT 'days')", 1, 46, "TIMEUNIT 'days' is not a time unit"),
        ("CREATE TABLE t (_id ID, a TIMESTAMP TIMEUNIT 's' EPOCH 'yesterday')", 1, 56, "is not an RFC 3339 time"),
        ("CREATE TABLE t (_id ID, a IDSETQ TIMEQUANTUM 'YDM')", 1, 46, "'YDM' is not a time quantum"),
        ("CREATE TABLE t (_id ID, a IDSETQ TIMEQUANTUM 'ymd')", 1, 46, "write it in capitals: 'YMD'"),
        ("CREATE TABLE t (_id ID, a IDSETQ TIMEQUANTUM 'YMD' TTL '1 week')", 1, 56, "is not a duration"),
        ("CREATE TABLE t (_id ID, a IDSETQ TIMEQUANTUM 'YMD' TTL '-1h')", 1, 56, "is negative"),
        ("CREATE TABLE t (_id ID, a ID CACHETYPE RANKED SIZE 4294967296)", 1, 52, "too large"),
    ],
)
def test_malformed_statement_error_position(sql, line, column, fragment):
    with pytest.raises(TableSyntaxError) as info:
        parse_create_table(sql)
    exc = info.value
    assert fragment in exc.message, exc.message
    assert (exc.line, exc.column) == (line, column), str(exc)
    # the rendered message names the place and draws the caret under that character
    text = str(exc)
    head, shown, caret = text.split("\n")
    assert head.startswith(f"line {line} column {column}: ")
    line_text = sql.split("\n")[line - 1]
    under = shown[caret.index("^")] if caret.index("^") < len(shown) else ""
    assert under == (line_text[column - 1] if column <= len(line_text) else "")
    if column <= 40:
        assert caret.index("^") - 2 == column - 1
        assert shown[2:].startswith(line_text[: column + 39])
    # the offset agrees with line and column
    assert sql[: exc.position].count("\n") == line - 1
    assert isinstance(exc, mapper.MapperError)


def test_caret_on_a_long_line_stays_under_the_character():
    sql = "CREATE TABLE t (_id ID, " + ", ".join(f"c{i} INT" for i in range(40)) + ", bad VARCHAR)"
    with pytest.raises(TableSyntaxError) as info:
        parse_create_table(sql)
    _head, shown, caret = str(info.value).split("\n")
    assert shown.startswith("  ...")
    assert shown[caret.index("^") :].startswith("VARCHAR")


def test_analyze_collects_every_planner_error_and_warnings():
    table, problems = analyze_create_table(
        "CREATE TABLE t (\n _id ID,\n a VARCHAR,\n b DECIMAL,\n c INT(3),\n d DECIMAL(2) MIN 0,\n e BOOL MAX 1,\n f INT MIN 1 MIN 2\n)"
    )
    assert table is not None
    got = [(p.severity, p.code, p.line) for p in problems]
    assert got == [
        ("error", "unsupported-type", 3),
        ("error", "decimal-scale", 4),
        ("warning", "scale-ignored", 5),
        ("warning", "constraint-ignored", 6),
        ("warning", "constraint-ignored", 7),
        ("warning", "duplicate-constraint", 8),
    ]
    assert table.column("f").get("MIN") == 2  # the last one wins, as in FeatureBase
    with pytest.raises(TableSyntaxError) as info:
        parse_create_table(table.sql)
    assert info.value.line == 3  # parse_create_table raises the first error


def test_a_syntax_error_stops_analysis():
    table, problems = analyze_create_table("CREATE TABLE t (_id ID a INT)")
    assert table is None and [p.code for p in problems] == ["table-syntax"]


_SQL_PIECES = st.sampled_from(
    [
        "CREATE",
        "TABLE",
        "t",
        "(",
        ")",
        ",",
        "_id",
        "ID",
        "STRING",
        "INT",
        "DECIMAL",
        "(2)",
        "MIN",
        "MAX",
        "-",
        "5",
        "1.5",
        "'ms'",
        "'YMD",
        "TIMEUNIT",
        "EPOCH",
        "TIMEQUANTUM",
        "TTL",
        "CACHETYPE",
        "RANKED",
        "SIZE",
        "--",
        "\n",
        '"',
        "'",
        "x'00'",
        "IF",
        "NOT",
        "EXISTS",
        ";",
        "KEYPARTITIONS",
        "COMMENT",
        "/*",
        "1e",
        ".",
        "é",
    ]
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(_SQL_PIECES | st.text(max_size=4), max_size=25), prefix=st.booleans())
def test_random_text_raises_only_table_syntax_error(pieces, prefix):
    sql = ("CREATE TABLE t (" if prefix else "") + " ".join(pieces)
    try:
        table = parse_create_table(sql)
    except TableSyntaxError as exc:
        assert 0 <= exc.position <= len(sql)
        assert exc.line >= 1 and exc.column >= 1
        assert "^" in str(exc)
    else:
        assert table.id_column is not None


_NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(lambda s: s.upper() not in KEYWORDS and s != "_id") | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8
)
_COLUMN_DEFS = st.one_of(
    st.tuples(st.just("INT"), st.none(), st.lists(st.tuples(st.sampled_from(["MIN", "MAX"]), st.integers(-(2**63), 2**63 - 1)), max_size=2)),
    st.tuples(st.just("DECIMAL"), st.integers(0, 19), st.just([])),
    st.tuples(st.just("TIMESTAMP"), st.none(), st.sampled_from([[], [("TIMEUNIT", "ms")], [("TIMEUNIT", "s"), ("EPOCH", "2020-01-01T00:00:00Z")]])),
    st.tuples(
        st.sampled_from(["STRING", "ID", "IDSET", "STRINGSET"]),
        st.none(),
        st.sampled_from([[], [("CACHETYPE", "ranked")], [("CACHETYPE", "lru"), ("SIZE", 7)]]),
    ),
    st.tuples(st.sampled_from(["IDSETQ", "STRINGSETQ"]), st.none(), st.sampled_from([[], [("TIMEQUANTUM", "YMD"), ("TTL", "24h")]])),
    st.tuples(st.just("BOOL"), st.none(), st.just([])),
)


@settings(max_examples=200)
@given(table_name=_NAMES, columns=st.dictionaries(_NAMES.map(str.lower), _COLUMN_DEFS, max_size=6), id_type=st.sampled_from(["ID", "STRING"]))
def test_generated_tables_round_trip(table_name, columns, id_type):
    from mapper.table import Constraint, Position

    p0 = Position(0, 1, 1)
    cols = [TableColumn("_id", id_type, (), p0, p0)]
    for name, (ctype, scale, cons) in columns.items():
        if name == "_id" or any(c.name == name for c in cols):
            continue
        cols.append(TableColumn(name, ctype, tuple(Constraint(k, v, p0, p0) for k, v in cons), p0, p0, scale))
    table = Table(table_name.lower(), tuple(cols))
    parsed, problems = analyze_create_table(table.to_sql())
    assert parsed is not None, problems[0].render()
    errors = [p for p in problems if p.severity == "error" and p.code not in ("table-name", "column-name")]
    if not errors:  # (a name FeatureBase refuses is an error of its own: the statement still reads back)
        assert _cols(parsed) == _cols(table)
        assert parsed.name == table.name
    else:  # only MIN > MAX is generated wrong on purpose
        assert {p.code for p in errors} == {"min-above-max"}


# ---------------------------------------------------------------------------------------
# The UI form: the seed's aircraft example, as the body form


def _aircraft_body() -> dict:
    """The POST /v1/sinks body equivalent to tests/cases/table/aircraft-ui/sink.json."""

    def s(name, *path):
        return {"name": name, "path": list(path), "type": "string", "config": {"Mutex": True}}

    definition = [
        {"name": "_id", "path": ["id"], "type": "string"},
        {"name": "ts", "path": ["timestamp"], "type": "timestamp", "config": {"Unit": "ms", "Granularity": "ms"}},
        s("aircraftid", "data", "aircraftId"),
        {"name": "lat", "path": ["data", "lat"], "type": "decimal", "config": {"Scale": 4}},
        {"name": "long", "path": ["data", "long"], "type": "decimal", "config": {"Scale": 4}},
        {"name": "track", "path": ["data", "track"], "type": "int", "config": {"Min": 0, "Max": 360}},
        {"name": "altitude", "path": ["data", "altitude"], "type": "int", "config": {"Min": -2000, "Max": 60000}},
        {"name": "speed", "path": ["data", "speed"], "type": "int", "config": {"Min": 0, "Max": 2000}},
        s("type", "data", "type"),
        s("reg", "data", "reg"),
        s("origin", "data", "origin"),
        s("destination", "data", "destination"),
        s("icaoid", "data", "icaoId"),
        s("airline", "data", "airline"),
    ]
    return {
        "name": "aircraft_positions",
        "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "aircraft"},
        "schema": {"type": "json", "primary_key_fields": ["_id"], "allow_missing_fields": False, "definition": definition},
    }


def _model(sink: mapper.Sink) -> list[tuple]:
    return [(c.name, c.type, c.path.keys, c.config) for c in sink.columns]


def test_seed_aircraft_ui_form_loads_like_the_body_form():
    doc = json.loads(AIRCRAFT_UI.read_text())
    ui = mapper.load_sink(doc)
    body = mapper.load_sink(_aircraft_body())
    assert ui.form == "ui" and isinstance(ui.table, Table)
    assert _model(ui) == _model(body)
    assert (ui.id_field, ui.primary_key_fields, ui.allow_missing_fields, ui.name) == (
        body.id_field,
        body.primary_key_fields,
        body.allow_missing_fields,
        body.name,
    )
    assert ui.to_schema() == body.to_schema()
    assert ui.to_body()["sink_details"]["table"] == "aircraft"
    # mapping keys match the table's columns case-insensitively: aircraftId is the column aircraftid
    assert ui.column("aircraftid").path.keys == ("data", "aircraftId")
    assert ui.column("aircraftid").pointer == "/mapping/aircraftId"
    # the only problem is the note about the one unmapped column
    assert [(p.severity, p.code, p.pointer) for p in ui.problems] == [("note", "unmapped-column", "/table")]
    assert "'iataid'" in ui.problems[0].message
    # the same from the file path and from JSON text
    assert _model(mapper.load_sink(str(AIRCRAFT_UI))) == _model(ui)
    assert _model(mapper.load_sink(AIRCRAFT_UI.read_bytes())) == _model(ui)


def test_seed_aircraft_ui_form_maps_the_same_rows_as_the_body_form():
    data = RECORDS.read_bytes()
    ui_rows = mapper.compile_sink(json.loads(AIRCRAFT_UI.read_text())).map(data).to_rows()
    body_rows = mapper.compile_sink(_aircraft_body()).map(data).to_rows()
    assert ui_rows == body_rows
    assert len(ui_rows) == 3
    first = ui_rows[0]
    assert first["_id"] == "PD2tRswoE3:0:0"
    assert first["aircraftid"] == "40688E"  # the seed: data.aircraftId maps to "40688E"
    assert first["track"] == 250 and first["altitude"] == 37996


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    """``python -m mapper ARGS`` from the checkout, run in this process (:func:`tests.cli_inproc.run_main`), its output as text."""
    p = run_main(*args, cwd=REPO)
    return subprocess.CompletedProcess(p.args, p.returncode, p.out, p.err)


def test_cli_check_accepts_the_ui_form():
    proc = _cli("check", AIRCRAFT_UI)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("ok: sink 'aircraft_positions': 14 columns")
    assert "_id from primary_key_fields '_id'" in lines[0]
    assert any("note: /table:" in line and "iataid" in line for line in lines[1:])
    assert "Traceback" not in proc.stdout + proc.stderr

    bad = _cli("check", CASES_DIR / "sql-missing-comma" / "sink.json")
    assert bad.returncode == 2
    assert "/table: line 6 column 5: missing ','" in bad.stdout
    assert "^" in bad.stdout


# ---------------------------------------------------------------------------------------
# The UI form: types, identity, mapping values, problems


def _ui(table: str, mapping: dict, **extra) -> dict:
    doc = {"name": "ui_sink", "table": table, "mapping": mapping, "allow_missing_fields": True}
    doc.update(extra)
    return doc


def _problems(doc, **kw) -> list[tuple[str, str, str]]:
    return [(p.severity, p.pointer, p.code) for p in mapper.check_sink(doc, **kw).problems]


def test_every_table_type_becomes_its_definition_entry():
    sink = mapper.load_sink(str(CASES_DIR / "every-type" / "sink.json"))
    entries = {
        c.name: (
            c.type,
            {
                k: getattr(c.config, a)
                for k, a in [
                    ("Mutex", "mutex"),
                    ("Min", "min"),
                    ("Max", "max"),
                    ("Scale", "scale"),
                    ("Granularity", "granularity"),
                    ("Epoch", "epoch"),
                    ("Quantum", "quantum"),
                    ("TTL", "ttl"),
                    ("CacheType", "cache_type"),
                    ("CacheSize", "cache_size"),
                ]
                if k in c.config.given
            },
        )
        for c in sink.columns
    }
    assert entries == {
        "_id": ("id", {}),
        "i": ("int", {"Min": -5, "Max": 5}),
        "d": ("decimal", {"Scale": 2}),
        "t": ("timestamp", {"Granularity": "ms", "Epoch": "2020-01-01T00:00:00Z"}),
        "s": ("string", {"Mutex": True, "CacheType": "lru", "CacheSize": 100}),
        "ss": ("strings", {}),
        "ssq": ("strings", {"Quantum": "YMD", "TTL": "720h"}),
        "n": ("id", {"Mutex": True}),
        "ns": ("ids", {"CacheType": "none"}),
        "nsq": ("ids", {"Quantum": "YMDH"}),
        "b": ("bool", {}),
        "_timeQuantum": ("recordTime", {}),
    }
    assert sink.column("_timeQuantum").config.unit == "s"
    assert sink.id_field == "_id" and sink.primary_key_fields is None  # _id ID: an id_field sink
    assert [c.name for c in sink.columns][-1] == "_timeQuantum"  # table order, the record time last


def test_id_string_is_a_primary_key_and_id_id_an_id_field():
    s = mapper.load_sink(_ui("CREATE TABLE t (_id STRING, a INT)", {"_id": "key", "a": "a"}))
    assert s.primary_key_fields == ("_id",) and s.id_field is None and s.column("_id").type == "string"
    assert [c.name for c in s.stored_columns] == ["a"]
    rows = mapper.compile_sink(s).map(b'{"key": "k1", "a": 3}\n').to_rows()
    assert rows == [{"_id": "k1", "a": 3}]
    s = mapper.load_sink(_ui("CREATE TABLE t (_id ID, a INT)", {"_id": "n", "a": "a"}))
    assert s.id_field == "_id" and s.column("_id").type == "id"
    assert mapper.compile_sink(s).map(b'{"n": 7, "a": 3}\n').to_rows() == [{"_id": 7, "a": 3}]


def test_int_with_only_max_gets_the_tables_default_min():
    s = mapper.load_sink(_ui("CREATE TABLE t (_id ID, a INT MAX 10)", {"_id": "n", "a": "a"}))
    assert (s.column("a").config.min, s.column("a").config.max) == (-(2**63), 10)


def test_mapping_values_path_string_key_array_and_object():
    doc = _ui(
        "CREATE TABLE t (_id ID, a INT, b STRING, c STRING, ts TIMESTAMP TIMEUNIT 'ms')",
        {"_id": "id", "a": ["x", "a.b"], "b": 'data."b.c"', "c": {"path": ["data", "c"]}, "ts": {"path": "sent", "config": {"unit": "ms"}}},
    )
    s = mapper.load_sink(doc)
    assert s.column("a").path.keys == ("x", "a.b")
    assert s.column("b").path.keys == ("data", "b.c")
    assert s.column("c").path.keys == ("data", "c")
    assert s.column("ts").config.unit == "ms" and s.column("ts").config.granularity == "ms"
    rows = mapper.compile_sink(s).map(b'{"id": 1, "x": {"a.b": 2}, "data": {"b.c": "q", "c": "r"}, "sent": 1659981468260}\n').to_rows()
    assert rows == [{"_id": 1, "a": 2, "b": "q", "c": "r", "ts": "2022-08-08T17:57:48.260Z"}]


def test_timestamp_number_needs_unit_from_the_mapping():
    table = "CREATE TABLE t (_id ID, ts TIMESTAMP TIMEUNIT 'ms')"
    plain = mapper.compile_sink(_ui(table, {"_id": "id", "ts": "timestamp"}))
    report = plain.validate(b'{"id": 1, "timestamp": 1659981468260}\n')
    assert report.verdict == "refused"  # the table says how it is stored, not that the JSON sends ms numbers
    with_unit = mapper.compile_sink(_ui(table, {"_id": "id", "ts": {"path": "timestamp", "config": {"Unit": "ms"}}}))
    assert with_unit.validate(b'{"id": 1, "timestamp": 1659981468260}\n').verdict == "accepted"


def test_unmapped_columns_are_notes():
    doc = _ui("CREATE TABLE t (\n _id ID,\n a INT,\n b STRING,\n c BOOL\n)", {"_id": "id", "b": "b", "c": None})
    result = mapper.check_sink(doc)
    assert result.valid
    notes = [p for p in result.problems if p.code == "unmapped-column"]
    assert [(p.severity, p.pointer) for p in notes] == [("note", "/table"), ("note", "/mapping/c")]
    assert "column 'a' (INT, line 3 column 2) is not mapped" in notes[0].message
    assert "left blank" in notes[1].message  # null (or "") in the mapping: the UI's blank field
    assert [c.name for c in result.sink.columns] == ["_id", "b"]


def test_unknown_mapping_keys_are_errors_with_pointers_and_suggestions():
    doc = _ui("CREATE TABLE t (_id ID, altitude INT, speed INT)", {"_id": "id", "altitud": "a", "spede": "s", "zzz": "z"})
    result = mapper.check_sink(doc)
    assert not result.valid
    errors = {p.pointer: p.message for p in result.errors}
    assert set(errors) == {"/mapping/altitud", "/mapping/spede", "/mapping/zzz"}
    assert "did you mean 'altitude'?" in errors["/mapping/altitud"]
    assert "did you mean 'speed'?" in errors["/mapping/spede"]
    assert "is not a column of table 't'" in errors["/mapping/zzz"]
    assert {p.code for p in result.errors} == {"unknown-column"}
    with pytest.raises(mapper.DefinitionError):
        mapper.load_sink(doc)


def test_two_keys_for_one_column_and_the_id_column():
    assert ("error", "/mapping/A", "duplicate-name") in _problems(_ui("CREATE TABLE t (_id ID, a INT)", {"_id": "i", "a": "x", "A": "y"}))
    assert ("error", "/mapping", "missing") in _problems(_ui("CREATE TABLE t (_id ID, a INT)", {"a": "x"}))
    assert ("error", "/mapping/_id", "missing") in _problems(_ui("CREATE TABLE t (_id ID, a INT)", {"_id": "", "a": "x"}))


def test_config_rules_apply_with_pointers_at_the_mapping_entry():
    doc = _ui(
        "CREATE TABLE t (_id ID, s STRING, q IDSETQ TIMEQUANTUM 'YMD', ts TIMESTAMP, d DECIMAL(2))",
        {
            "_id": "id",
            "s": {"path": "s", "config": {"Quantum": "YMD"}},  # a mutex column cannot have a Quantum
            "q": {"path": "q", "config": {"TTL": "soon"}},  # TTL must be a duration
            "ts": {"path": "ts", "config": {"Unit": "weeks", "mutx": 1}},
            "d": {"path": "d", "config": {"Scale": "2"}, "type": "decimal"},
        },
    )
    got = _problems(doc)
    assert ("error", "/mapping/s/config/Quantum", "mutex-quantum") in got
    assert ("error", "/mapping/q/config/TTL", "invalid-ttl") in got
    assert ("error", "/mapping/ts/config/Unit", "invalid-unit") in got
    assert ("warning", "/mapping/ts/config/mutx", "unknown-config-key") in got
    assert ("error", "/mapping/d/config/Scale", "wrong-type") in got
    assert ("warning", "/mapping/d/type", "unknown-key") in got


def test_config_that_contradicts_the_table_is_a_warning():
    doc = _ui("CREATE TABLE t (_id ID, ts TIMESTAMP TIMEUNIT 's')", {"_id": "id", "ts": {"path": "ts", "config": {"Granularity": "ms"}}})
    result = mapper.check_sink(doc)
    assert result.valid
    assert [(p.pointer, p.code) for p in result.warnings] == [("/mapping/ts/config/Granularity", "overrides-table")]
    assert "TIMEUNIT 's'" in result.warnings[0].message
    assert 'Granularity "ms" replaces "s"' in result.warnings[0].message  # as the definition spells them (was 'ms' / 's')
    assert result.sink.column("ts").config.granularity == "ms"


@pytest.mark.parametrize("table", ["a INT MIN 5 MAX 1, b STRING", "a DECIMAL(25), b STRING", "a FOO, b STRING", "a TIMESTAMP TIMEUNIT 'xx', b STRING"])
def test_a_table_with_errors_of_its_own_still_has_the_mapping_checked_against_its_columns(table):
    # found by a bug hunt: any error in the table hid every problem of the mapping
    # (check is to say every problem at once); the columns' own errors are said once
    doc = _ui(f"CREATE TABLE t (_id ID, {table})", {"_id": "id", "a": "x", "b": "b", "zz": "q"})
    got = _problems(doc)
    assert ("error", "/mapping/zz", "unknown-column") in got
    assert [p for p in got if p[1].startswith("/mapping/")] == [("error", "/mapping/zz", "unknown-column")], got
    assert len([p for p in got if p[1] == "/table"]) == 1
    no_id = _problems(_ui("CREATE TABLE t (_id ID, a INT MIN 5 MAX 1)", {"a": "x"}))
    assert ("error", "/mapping", "missing") in no_id  # the _id mapping is missing


def test_bad_mapping_values():
    got = _problems(
        _ui("CREATE TABLE t (_id ID, a INT, b INT, c INT, d INT)", {"_id": "id", "a": 5, "b": "x..y", "c": {"config": {}}, "d": {"path": "d", "config": [1]}})
    )
    assert ("error", "/mapping/a", "wrong-type") in got
    assert ("error", "/mapping/b", "path-syntax") in got
    assert ("error", "/mapping/c/path", "missing") in got
    assert ("error", "/mapping/d/config", "wrong-type") in got


def test_same_path_warning_points_at_the_mapping_entries():
    result = mapper.check_sink(_ui("CREATE TABLE t (_id ID, a INT, b INT, c INT)", {"_id": "id", "a": "x", "b": {"path": "x"}, "c": "x.y"}))
    assert ("/mapping/b/path", "same-path") in [(p.pointer, p.code) for p in result.warnings]
    assert ("/mapping/c", "prefix-path") in [(p.pointer, p.code) for p in result.warnings]


def test_record_time_without_quantum_columns_is_a_warning():
    got = _problems(_ui("CREATE TABLE t (_id ID, a INT)", {"_id": "id", "_timeQuantum": "when"}))
    assert ("warning", "/mapping/_timeQuantum", "unused-record-time") in got


def test_table_problems_are_at_slash_table_with_line_column_and_caret():
    result = mapper.check_sink(_ui("CREATE TABLE t (\n  _id ID,\n  a INT MIN x\n)", {"_id": "id"}))
    [err] = result.errors
    assert (err.pointer, err.code) == ("/table", "table-syntax")
    head, shown, caret = err.message.split("\n")
    assert head.startswith("line 3 column 13: MIN takes a whole number")
    assert shown == "    a INT MIN x" and caret == "  " + " " * 12 + "^"


def test_policy_name_and_identity_overrides():
    doc = _ui("CREATE TABLE t (_id ID, a INT)", {"_id": "id", "a": "a"})
    del doc["allow_missing_fields"]
    del doc["name"]
    assert {("error", "/allow_missing_fields", "missing"), ("error", "/name", "missing")} <= set(_problems(doc))
    s = mapper.load_sink(doc, allow_missing_fields=False, name="given_name")
    assert s.allow_missing_fields is False and s.name == "given_name"
    doc["allow_missing_fields"] = True
    result = mapper.check_sink(doc, allow_missing_fields=False, name="n", id_field="a")
    assert result.valid and result.sink.allow_missing_fields is False and result.sink.id_field == "_id"
    codes = [(p.pointer, p.code) for p in result.problems]
    assert ("/allow_missing_fields", "overridden") in codes and ("/table", "identity-from-table") in codes


@pytest.mark.parametrize(
    "doc",
    [
        {"table": "x", "mapping": {}},
        {"table": None, "mapping": None, "name": 5},
        {"table": 5, "mapping": [], "name": "a", "allow_missing_fields": "yes"},
        {"table": "", "mapping": {"_id": "id"}, "name": "a", "allow_missing_fields": True},
        {"table": "CREATE TABLE t (_id ID)", "mapping": "id", "name": "a", "allow_missing_fields": True},
    ],
)
def test_object_with_table_and_mapping_keys_is_invalid_without_raising(doc):
    result = mapper.check_sink(doc)
    assert not result.valid and result.sink is None
    with pytest.raises(mapper.DefinitionError):
        mapper.load_sink(doc)


# ---------------------------------------------------------------------------------------
# Golden cases


def _case_names() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def _resolves(doc, pointer: str) -> bool:
    if pointer == "":
        return True
    node = doc
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]
    for i, tok in enumerate(tokens):
        if isinstance(node, dict):
            if i == len(tokens) - 1:
                return True
            if tok not in node:
                return False
            node = node[tok]
        elif isinstance(node, list):
            if not tok.isdigit() or int(tok) >= len(node):
                return False
            node = node[int(tok)]
        else:
            return False
    return True


@pytest.mark.parametrize("name", _case_names())
def test_golden_case(name):
    case = CASES_DIR / name
    expected = json.loads((case / "expected.json").read_text())
    doc = json.loads((case / "sink.json").read_text())
    result = mapper.check_sink(str(case / "sink.json"))
    got = collections.Counter((p.severity, p.pointer, p.code) for p in result.problems)
    want = collections.Counter((p["severity"], p["pointer"], p["code"]) for p in expected["problems"])
    assert got == want, "\n".join(f"{p.severity} {p.pointer} [{p.code}] {p.message[:200]}" for p in result.problems)
    assert result.valid is expected["valid"]
    assert (result.sink is not None) == result.valid
    for p in result.problems:
        assert _resolves(doc, p.pointer), p
    for pointer, fragment in expected.get("message_contains", {}).items():
        assert any(fragment in p.message for p in result.problems if p.pointer == pointer), (pointer, fragment)
    assert_messages(result.problems, expected["problems"])


# ---------------------------------------------------------------------------------------
# Random UI documents never make check_sink raise

_MAP_VALUES = (
    st.none()
    | st.sampled_from(["id", "data.x", "a..b", "", "x[0]", 'a."b'])
    | st.integers()
    | st.lists(st.sampled_from(["a", "b"]) | st.integers(), max_size=3)
    | st.fixed_dictionaries(
        {},
        optional={
            "path": st.sampled_from(["p", "", "q.r"]) | st.integers() | st.none(),
            "config": st.none()
            | st.integers()
            | st.dictionaries(
                st.sampled_from(["Unit", "unit", "Granularity", "Quantum", "TTL", "Scale", "Min", "Max", "Mutex", "Epoch", "x"]),
                st.none() | st.booleans() | st.integers(-3, 30) | st.sampled_from(["ms", "YMD", "1h", "bad", "2020-01-01T00:00:00Z"]),
                max_size=3,
            ),
            "type": st.just("int"),
        },
    )
)
_TABLES = (
    st.sampled_from(
        [
            "CREATE TABLE t (_id ID, a INT MIN 0 MAX 9, b STRING, c TIMESTAMP TIMEUNIT 'ms', d DECIMAL(2), q IDSETQ TIMEQUANTUM 'YMD')",
            "CREATE TABLE t (_id STRING, a STRINGSET, b BOOL)",
            "CREATE TABLE t (a INT)",
            "CREATE TABLE t (_id ID, a INT",
        ]
    )
    | st.text(max_size=30)
    | st.integers()
    | st.none()
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=_TABLES,
    mapping=st.dictionaries(st.sampled_from(["_id", "a", "B", "c", "d", "q", "zz", "_timeQuantum"]), _MAP_VALUES, max_size=6) | st.integers() | st.none(),
    allow=st.none() | st.booleans() | st.integers(),
    name=st.none() | st.sampled_from(["ok_name", "Bad Name"]),
)
def test_random_ui_documents_never_raise(table, mapping, allow, name):
    doc = {"table": table, "mapping": mapping}
    if allow is not None:
        doc["allow_missing_fields"] = allow
    if name is not None:
        doc["name"] = name
    result = mapper.check_sink(doc)
    assert result.valid == (not any(p.severity == "error" for p in result.problems))
    assert (result.sink is not None) == result.valid
    for p in result.problems:
        assert p.severity in ("error", "warning", "note") and p.message
        assert _resolves(doc, p.pointer), p
    if result.valid:
        mapper.compile_sink(result.sink)


# ---------------------------------------------------------------------------------------
# Bug hunt against FeatureBase (HEAD 6222e9eb5): numbers, scales, names, TIMEQUANTUM '', white space

_NINES = "9" * 5000


@pytest.mark.parametrize(
    "sql, column, fragment",
    [
        # more digits than Python converts (4300): never a ValueError, always a located error
        (f"CREATE TABLE t (_id ID, i INT MIN {_NINES})", 35, "MIN 9999"),
        (f"CREATE TABLE t (_id ID, i INT MAX -{_NINES})", 35, "MAX -9999"),  # (at the sign)
        (f"CREATE TABLE t (_id ID, i INT MIN - {_NINES})", 35, "MIN -9999"),
        (f"CREATE TABLE t (_id ID) KEYPARTITIONS {_NINES}", 39, "KEYPARTITIONS 9999"),
        (f"CREATE TABLE t (_id ID, d DECIMAL({_NINES}))", 35, "the scale 9999"),
        (f"CREATE TABLE t (_id ID, s ID CACHETYPE LRU SIZE {_NINES})", 49, "SIZE 9999"),
        # 21 digits already fit nowhere (the largest 64-bit number has 20)
        ("CREATE TABLE t (_id ID, i INT MIN 100000000000000000000)", 35, "does not fit a signed 64-bit integer"),
    ],
)
def test_a_very_long_number_is_a_located_error_not_a_traceback(sql, column, fragment):
    with pytest.raises(TableSyntaxError) as info:
        parse_create_table(sql)
    exc = info.value
    assert (exc.line, exc.column) == (1, column), str(exc)
    assert fragment in exc.message
    assert "(5,001 characters)" in exc.message or "(5,000 characters)" in exc.message or len(exc.message) < 200
    expected = {"MIN": "does not fit a signed 64-bit integer", "MAX": "does not fit a signed 64-bit integer", "KEY": "is outside 1..10000"}
    assert expected.get(fragment[:3], "") in exc.message
    head, _shown, caret = str(exc).split("\n")
    assert head.startswith(f"line 1 column {column}: ") and caret.endswith("^")
    # the UI form: a /table error, no traceback
    result = mapper.check_sink(_ui(sql, {"_id": "id"}))
    assert [(p.pointer, p.code) for p in result.errors] == [("/table", "table-syntax")]
    assert result.errors[0].message.startswith(f"line 1 column {column}: ")


def test_leading_zeros_do_not_make_a_number_long():
    table = parse_create_table("CREATE TABLE t (_id ID, d DECIMAL(" + "0" * 5000 + "2), i INT MIN -" + "0" * 5000 + "7) KEYPARTITIONS 0" + "0" * 5000 + "8")
    assert (table.column("d").scale, table.column("i").get("MIN"), table.key_partitions) == (2, -7, 8)


def test_cli_check_of_a_ui_form_with_a_very_long_number(tmp_path):
    doc = tmp_path / "big.json"
    doc.write_text(json.dumps(_ui(f"CREATE TABLE t (_id ID, i INT MIN {_NINES})", {"_id": "id", "i": "i"})))
    proc = _cli("check", doc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "/table: line 1 column 35: MIN 9999" in proc.stdout and "does not fit a signed 64-bit integer" in proc.stdout


@pytest.mark.parametrize("mapping", [{"_id": "id"}, {"_id": "id", "d": "d"}])
@pytest.mark.parametrize("scale", ["20", "25", "99999999999999999999"])
def test_decimal_scale_outside_0_to_19_is_a_table_error_mapped_or_not(mapping, scale):
    # pilosa.OptFieldTypeDecimal: "scale values outside the range [0,19] are not supported"
    sql = f"CREATE TABLE t (_id ID,\n  d DECIMAL({scale}))"
    result = mapper.check_sink(_ui(sql, mapping))
    assert [(p.pointer, p.code) for p in result.errors] == [("/table", "decimal-scale")]
    assert result.errors[0].message.startswith(f"line 2 column 13: the scale {scale} of DECIMAL is outside 0..19")
    with pytest.raises(TableSyntaxError) as info:
        parse_create_table(sql)
    assert (info.value.line, info.value.column) == (2, 13)
    # the bounds are fine
    for ok in ("0", "19"):
        assert parse_create_table(f"CREATE TABLE t (_id ID, d DECIMAL({ok}))").column("d").scale == int(ok)


@pytest.mark.parametrize(
    "columns, column, fragment",
    [
        ("d DECIMAL(2) MIN 5 MAX 1", 38, "MIN (5) is greater than MAX (1)"),
        # the planner cuts MAX to what DECIMAL(19) holds (0.92...): MIN 5 is above it
        ("d DECIMAL(19) MIN 5", 39, "MIN (5) is above the largest value DECIMAL(19) holds (0.9223372036854775807)"),
        ("d DECIMAL(19) MAX -1", 39, "MAX (-1) is below the smallest value DECIMAL(19) holds (-0.9223372036854775808)"),
    ],
)
def test_decimal_min_above_max_is_refused_as_featurebase_does(columns, column, fragment):
    with pytest.raises(TableSyntaxError) as info:
        parse_create_table(f"CREATE TABLE t (_id ID, {columns})")
    assert info.value.code == "min-above-max" and fragment in info.value.message
    assert (info.value.line, info.value.column) == (1, column)


@pytest.mark.parametrize("columns", ["d DECIMAL(2) MIN 1 MAX 1", "d DECIMAL(17) MIN 92 MAX 93", "d DECIMAL(19) MIN 0", "d DECIMAL(0) MIN -5"])
def test_decimal_min_and_max_featurebase_takes(columns):
    parse_create_table(f"CREATE TABLE t (_id ID, {columns})")


def test_ui_form_refuses_names_as_the_body_form_does():
    # FeatureBase's CREATE TABLE refuses these names: errors (they were warnings), each at its place
    sql = 'CREATE TABLE "Bad Name" (\n  _id ID, "Bad Col" INT, _x INT, "9x" INT, "a.b" INT, ok INT)'
    mapping = {"_id": "id", "bad col": "a", "_x": "b", "9x": "c", "a.b": "d", "ok": "e"}
    result = mapper.check_sink(_ui(sql, mapping))
    assert not result.valid
    got = [p for p in result.problems if p.code in ("column-name", "table-name")]
    named = {p.message.split("'")[1]: p for p in got}
    assert set(named) == {"bad name", "bad col", "_x", "9x", "a.b"}  # FeatureBase's rule: a letter first (_id is the id)
    assert all(p.pointer == "/table" and p.severity == "error" for p in got)
    assert named["bad col"].message.startswith("line 2 column 11: 'bad col' is not a valid FeatureBase column name")
    assert named["9x"].message.startswith("line 2 column 34: ")
    assert named["bad name"].message.startswith("line 1 column 14: 'bad name' is not a valid FeatureBase table name")
    # the body form says the same rule of the same names, in the same words
    body = {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}
    body["definition"] += [{"name": n, "path": [n], "type": "int"} for n in ("bad col", "_x", "9x", "a.b")]
    body_names = {p.message.split("'")[1]: p.message for p in mapper.check_sink(body).problems if p.code == "column-name"}
    assert set(body_names) == {"bad col", "_x", "9x", "a.b"}
    for name, message in body_names.items():
        assert named[name].message.split(": ", 1)[1].split(";")[0] == message.split(";")[0]


def test_the_body_of_a_ui_form_with_record_time_checks_clean():
    doc = _ui("CREATE TABLE t (_id ID, q IDSETQ TIMEQUANTUM 'YMD')", {"_id": "id", "q": "q", "_timeQuantum": "t"})
    result = mapper.check_sink(doc)
    assert result.valid and [p for p in result.problems if p.severity != "note"] == []
    body = result.sink.to_body()
    assert body["schema"]["definition"][2] == {"name": "_timeQuantum", "path": ["t"], "type": "recordTime"}
    again = mapper.check_sink(body)
    assert again.valid and [p for p in again.problems if p.severity != "note"] == [], again.problems
    # a real column of that name is refused, as FeatureBase refuses it
    bad = {
        "name": "s",
        "sink_details": {"database_id": "<database_id>", "table": "t"},
        "schema": {
            "type": "json",
            "id_field": "_id",
            "allow_missing_fields": True,
            "definition": [{"name": "_id", "path": ["id"], "type": "id"}, {"name": "_timeQuantum", "path": ["t"], "type": "int"}],
        },
    }
    assert ("error", "/schema/definition/1/name", "column-name") in _problems(bad)


def test_an_empty_timequantum_is_no_quantum():
    # FeatureBase's TimeQuantum.Valid() takes "": the same as no TIMEQUANTUM
    result = mapper.check_sink(_ui("CREATE TABLE t (_id ID, q IDSETQ TIMEQUANTUM '')", {"_id": "id", "q": "q"}))
    assert result.valid and [p for p in result.problems if p.severity != "note"] == []
    assert result.sink.to_body()["schema"]["definition"][1] == {"name": "q", "path": ["q"], "type": "ids"}
    assert parse_create_table("CREATE TABLE t (_id ID, q IDSETQ TIMEQUANTUM '')").column("q").to_sql() == "q IDSETQ TIMEQUANTUM ''"
    # a TTL is still read (FeatureBase parses it), but expires nothing
    result = mapper.check_sink(_ui("CREATE TABLE t (_id ID, q IDSETQ TIMEQUANTUM '' TTL '24h')", {"_id": "id", "q": "q"}))
    assert result.valid and [(p.pointer, p.code) for p in result.problems if p.severity != "note"] == [("/table", "constraint-ignored")]
    assert result.sink.to_body()["schema"]["definition"][1] == {"name": "q", "path": ["q"], "type": "ids"}
    with pytest.raises(TableSyntaxError, match="TTL '-1h' is negative"):
        parse_create_table("CREATE TABLE t (_id ID, q IDSETQ TIMEQUANTUM '' TTL '-1h')")


@pytest.mark.parametrize("ch", ["\x1c", "\x1d", "\x1e", "\x1f"])
def test_separators_are_not_white_space(ch):
    # FeatureBase's scanner skips unicode.IsSpace, which \x1c-\x1f are not (str.isspace says they are)
    with pytest.raises(TableSyntaxError) as info:
        parse_create_table(f"CREATE TABLE t (_id ID{ch}, a INT)")
    assert (info.value.line, info.value.column) == (1, 23)
    assert repr(ch) in info.value.message
    assert repr(ch)[1:-1] in str(info.value).split("\n")[1]  # shown as the message names it, not blanked out


@pytest.mark.parametrize("ch", ["\t", "\v", "\f", "\r", "\x85", "\xa0", "\u1680", "\u2000", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"])
def test_gos_white_space_separates_tokens(ch):
    table = parse_create_table(f"CREATE{ch}TABLE t (_id ID,{ch}a{ch}INT{ch}){ch}")
    assert [c.name for c in table.columns] == ["_id", "a"]
