"""Small parts with rules of their own (issue 12: every rule branch run): paths, the model, value helpers, worker transport.

Expected values are worked out by hand from the docstrings and the README.
"""

from __future__ import annotations

import numpy as np
import pytest
from sinks import column, id_schema, id_sink, schema

import mapper
from mapper.engine import parallel
from mapper.errors import OptionError, PathSyntaxError
from mapper.paths import parse_path, path_from_keys, records_path_keys, to_dot_notation
from mapper.types import CLEARED, NO_VALUE, ConversionError, as_json, go_text
from mapper.types.base import as_array, by_type

# ---------------------------------------------------------------------------------------
# paths


def test_path_strings_render_and_compile():
    plain = parse_path('data."a.b"')
    assert plain.keys == ("data", "a.b") and str(plain) == 'data."a.b"' and plain.jsonpath() == '$.data["a.b"]'
    with pytest.raises(ValueError, match="a plain key path has no JMESPath expression"):
        plain.compiled()
    expr = parse_path("items[0].id")
    assert expr.keys is None and expr.as_array() is None and expr.jsonpath() == "$.items[0].id"
    assert expr.compiled().search({"items": [{"id": 7}]}) == 7
    assert str(path_from_keys(["a b", "c"])) == '"a b".c'
    assert to_dot_notation(["", "x"]) == '"".x'
    # control characters (C0, DEL, C1) are written as escapes, never raw: a path label is printed in reports
    for keys in (("ctl\x01key",), ("a", "b\x1b[2J"), ("x\x7fy", "z\x85")):
        text = to_dot_notation(keys)
        assert text.isprintable() and parse_path(text).keys == keys, text


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ('"a\\"b".c', ('a"b', "c")),  # an escaped quote inside a quoted key
        ('"\\u00e9"', ("é",)),
        ("a.b.c", ("a", "b", "c")),
        ("a . b", ("a", "b")),  # spaces end a key: JMESPath reads it, and it is a chain of fields
    ],
)
def test_quoted_keys(text, keys):
    path = parse_path(text)
    assert path.keys == keys


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ('"a\x01b"', "control character in a quoted key (escape it)", 2),
        ('"\\x"', "invalid quoted key", 1),
        ('"abc', "unterminated quoted key", 0),
        ('"ab\\', "unterminated quoted key", 0),  # an escape at the very end steps past the text
        ("a..b", "empty key (two dots in a row, or a leading dot)", 2),
        (".a", "empty key (two dots in a row, or a leading dot)", 0),
        ("", "empty path", 0),
        ("a[", "invalid path", 2),
        ("foo(", "invalid path", None),
    ],
)
def test_path_syntax_errors_say_where(text, message, position):
    with pytest.raises(PathSyntaxError) as info:
        parse_path(text)
    assert info.value.message.startswith(message)
    if position is not None:
        assert info.value.position == position


@pytest.mark.parametrize(
    ("value", "keys"),
    [("aircraft", ("aircraft",)), ("data.items", ("data", "items")), ('meta."a.b"', ("meta", "a.b")), (["data", "x.y"], ("data", "x.y")), (("a",), ("a",))],
)
def test_records_path_keys(value, keys):
    assert records_path_keys(value) == keys


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "records_path as a list must hold one or more keys"),
        (["a", 1], "records_path as a list must hold one or more keys"),
        (5, "records_path must be a dotted path (aircraft, data.items) or a list of keys, not int"),
        ("a..b", "records_path: empty key"),
        ("items[0]", "records_path must be a chain of keys"),
    ],
)
def test_records_path_keys_refused(value, message):
    with pytest.raises(OptionError) as info:
        records_path_keys(value)
    assert str(info.value).startswith(message)


# ---------------------------------------------------------------------------------------
# the model


def test_sink_summary_body_and_check_result():
    sink = mapper.load_sink(
        schema(column("k", "string"), column("n", "int", Min=0, Max=9), column("t", "string"), primary_key_fields=["k", "n"], allow_missing=False)
    )
    assert sink.summary() == "sink: 3 columns (2 string, 1 int); _id from primary_key_fields 'k', 'n'; missing fields reject the batch"
    body = sink.to_body()
    assert body["name"] == "unnamed" and body["sink_details"] == {"database_id": "<database_id>", "table": "<table>"}
    assert body["schema"]["primary_key_fields"] == ["k", "n"] and body["schema"]["allow_missing_fields"] is False
    assert body["schema"]["definition"][1] == {"name": "n", "path": ["n"], "type": "int", "config": {"Min": 0, "Max": 9}}
    assert [c.name for c in sink.stored_columns] == ["k", "n", "t"]  # two key fields: every column is stored
    assert sink.id_kind == "string" and [c.name for c in sink.identity_columns] == ["k", "n"]
    with pytest.raises(KeyError):
        sink.column("nope")
    named = mapper.load_sink(id_sink(name="clicks", table="t", schema_type=None))
    assert named.summary() == "sink 'clicks': 1 column (1 id); _id from id_field 'id'; missing fields allowed"
    assert named.id_kind == "uint64" and named.stored_columns == ()
    result = mapper.check_sink({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id", "extra": 1}]})
    assert result.valid and result.errors == () and [w.code for w in result.warnings] == ["unknown-key"]
    as_dict = result.to_dict()
    assert as_dict["valid"] is True and as_dict["problems"] == [result.problems[0].to_dict()]
    assert as_dict["summary"] == result.sink.summary() and [c["name"] for c in as_dict["sink"]["columns"]] == ["id"]
    bad = mapper.check_sink({"id_field": "id", "allow_missing_fields": True, "definition": []})
    assert not bad.valid and [e.code for e in bad.errors] == ["empty"] and bad.sink is None


# ---------------------------------------------------------------------------------------
# value helpers


def test_markers_and_json_values():
    assert repr(NO_VALUE) == "NO_VALUE" and repr(CLEARED) == "CLEARED"
    # tuples are arrays, mappings objects; a list is copied only when something inside changes
    inner = [1, 2]
    same = [inner, "x"]
    assert as_json(same) is same
    assert as_json([1, (2, 3)]) == [1, [2, 3]]
    from types import MappingProxyType

    assert as_json({"a": (1,), "b": MappingProxyType({"c": 2})}) == {"a": [1], "b": {"c": 2}}
    with pytest.raises(ConversionError, match="a Python mapping key 1 is not a string"):
        as_json({1: 2})
    assert go_text((1, "a")) == "[1 a]" and go_text(None) == "<nil>" and go_text({"b": [True], "a": None}) == "map[a:<nil> b:[true]]"
    with pytest.raises(ConversionError, match="an array of 10001 items is too long to print as text"):
        go_text([0] * 10_001)


def test_numpy_reading_helpers():
    assert as_array([]) is None
    assert as_array([[1], [2, 3]]) is None  # ragged: numpy refuses
    assert as_array([[1], [2]]) is None  # two-dimensional: not a column
    assert as_array([1, 2.5]).dtype.kind == "f"
    objs, kinds = by_type([1, 2.5, "x", True, None, [1]])
    assert objs.tolist() == [1, 2.5, "x", True, None, [1]] and kinds.tolist() == [0, 1, 2, 3, 4, 4]


def test_set_columns_to_arrow():
    pa = pytest.importorskip("pyarrow")
    m = mapper.compile_sink(id_schema(column("ss", "strings"), column("ii", "ids"), column("d", "decimal", Scale=2), column("t", "recordTime")))
    batch = m.map(b'{"id": 1, "ss": ["a", "b"], "ii": [3], "d": "1.5", "t": "2022-08-08T17:57:48Z"}\n{"id": 2}\n')
    table = batch.to_arrow() if hasattr(batch, "to_arrow") else None
    if table is None:
        from mapper.writers import to_arrow_table

        table = to_arrow_table(batch)
    rows = table.to_pylist()
    assert rows[0]["ss"] == ["a", "b"] and rows[0]["ii"] == [3] and str(rows[0]["d"]) == "1.50"
    assert rows[1]["ss"] is None and rows[1]["ii"] is None and rows[1]["d"] is None
    assert table.schema.field("t").type == pa.timestamp("ns", tz="UTC")


# ---------------------------------------------------------------------------------------
# worker transport: string columns travel as text, not pickled objects


@pytest.mark.parametrize(
    "values",
    [
        ["a", "b", "a", "a", "b", "a"],  # repetitive: distinct values + codes
        ["x", None, "y\x00z", ""],  # a NUL inside: lengths instead of separators
        ["p", "q", None],
        [],
        ["\ud800", "é中"],  # a lone surrogate survives the trip
    ],
)
def test_string_columns_survive_the_trip(values):
    from mapper.batch import ColumnArrays, Strings

    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    valid = np.array([v is not None for v in values], dtype=bool)
    strings = Strings.from_objects(arr, valid)
    packed = parallel._packed(ColumnArrays(strings, valid, valid.copy(), None))
    assert packed[0] == "utf8"  # text, not pickled str objects
    back = parallel._unpacked(parallel._from_shared(*parallel._to_shared(packed)))
    assert isinstance(back.values, Strings) and not back.values.has_objects  # objects only when asked for
    got = back.values.objects.tolist()
    assert [g if ok else None for g, ok in zip(got, valid.tolist())] == values
    assert back.valid.tolist() == valid.tolist()
    nums = np.arange(5, dtype=np.int64)
    packed = parallel._packed(ColumnArrays(nums, np.ones(5, dtype=bool), np.ones(5, dtype=bool), None))
    assert packed[0] == "array" and parallel._unpacked(parallel._from_shared(*parallel._to_shared(packed))).values.tolist() == [0, 1, 2, 3, 4]


def test_workers_agree_on_many_string_columns():
    # eight string columns and one number, nulls among them: the rows agree with one process
    definition = [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"s{i}", "path": [f"s{i}"], "type": "string"} for i in range(8)]
    m = mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": definition})
    lines = [
        '{"id": %d, %s}' % (i, ", ".join(f'"s{k}": "{"v" if i % 3 else "w"}{k}"' if (i + k) % 5 else f'"s{k}": null' for k in range(8))) for i in range(3000)
    ]
    data = ("\n".join(lines) + "\n").encode()
    assert m.map(data, workers=2).to_rows() == m.map(data).to_rows()


def test_every_module_is_either_measured_for_the_coverage_floor_or_left_untraced():
    # `[tool.coverage.run] omit` spares the tracer the modules the floor does not read; a new
    # module must be put in one list or the other (else it is traced for nothing, or silently unmeasured)
    import fnmatch
    import sys
    from pathlib import Path

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: pytest itself depends on tomli there
        import tomli as tomllib

    root = Path(__file__).resolve().parent.parent
    cov = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["coverage"]
    omitted, measured = cov["run"]["omit"], cov["report"]["include"]
    modules = sorted(p.relative_to(root).as_posix() for p in (root / "mapper").rglob("*.py"))
    for module in modules:
        lists = [name for name, patterns in (("omit", omitted), ("include", measured)) if any(fnmatch.fnmatch(module, pat) for pat in patterns)]
        assert len(lists) == 1, (module, lists)
