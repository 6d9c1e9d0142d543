"""`mapper check` on sink definitions: what a hunt on loading and checking found (config keys
matched as Go's decoder matches them, the prefix-path warning of a column that takes an object)."""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

import pytest

import mapper


def _problems(definition: Any, **options: Any) -> list[tuple[str, str, str, str]]:
    return [(p.severity, p.pointer, p.code, p.message) for p in mapper.check_sink(definition, **options).problems]


def _schema(entries: list[dict[str, Any]], **identity: Any) -> dict[str, Any]:
    return {**(identity or {"primary_key_fields": ["k"]}), "allow_missing_fields": True, "definition": entries}


_KEY = {"name": "k", "path": ["k"], "type": "int"}


# 1. config keys matched as Go's encoding/json matches a struct field: ASCII case, and the two
# runes that fold onto an ASCII letter (U+017F onto s, U+212A onto k); not Python's casefold(),
# which also unfolds ligatures ("ﬆ" is "st" to it, a rune of its own to Go)


@pytest.mark.parametrize("spelled", ["Cu\ufb06omUnit", "Cu\ufb05omUnit"])
def test_a_config_key_written_with_a_ligature_is_no_key_the_ingester_reads(spelled: str) -> None:
    # Go ignores the key: the custom Unit has no CustomUnit, which the ingester refuses; mapper
    # read it as CustomUnit and took the definition without a word
    entry = {"name": "d", "path": ["d"], "type": "dateInt", "config": {"Unit": "c", spelled: "5m"}}
    result = mapper.check_sink(_schema([_KEY, entry]))
    assert result.sink is None
    problems = [(s, p, c) for s, p, c, _ in _problems(_schema([_KEY, entry]))]
    assert ("warning", f"/definition/1/config/{spelled}", "unknown-config-key") in problems
    assert ("error", "/definition/1/config/Unit", "custom-unit") in problems


def test_a_dest_name_written_with_a_ligature_renames_nothing() -> None:
    entry = {"name": "a", "path": ["a"], "type": "string", "config": {"De\ufb06NameVal": "other"}}
    problems = _problems(_schema([_KEY, entry]))
    assert [(s, p, c) for s, p, c, _ in problems] == [("warning", "/definition/1/config/De\ufb06NameVal", "unknown-config-key")]


@pytest.mark.parametrize("spelled", ["\u017fcale", "SCALE", "\u017fCALE"])
def test_the_runes_go_folds_onto_ascii_letters_still_name_a_config_key(spelled: str) -> None:
    entry = {"name": "d", "path": ["d"], "type": "decimal", "config": {spelled: 25}}
    problems = _problems(_schema([_KEY, entry]))
    assert ("error", f"/definition/1/config/{spelled}", "invalid-scale") in [(s, p, c) for s, p, c, _ in problems]


# 2. a path inside another column's value: the outer column refuses an object, but for a string
# column, which stores any value as Go prints it (an object as map[b:2])


def _prefix_message(outer_type: str) -> str:
    entries = [_KEY, {"name": "a", "path": ["a"], "type": outer_type}, {"name": "b", "path": ["a", "b"], "type": "int"}]
    (found,) = [(p, m) for _, p, c, m in _problems(_schema(entries)) if c == "prefix-path"]
    assert found[0] == "/definition/2/path"
    return found[1]


def test_a_path_inside_a_string_columns_value_is_not_said_to_be_refused() -> None:
    # the record {"a": {"b": 2}} is stored ('a' as "map[b:2]"): "cannot be both an object and a
    # string" told the user of a refusal that does not happen
    message = _prefix_message("string")
    assert "cannot be both" not in message
    assert "goes inside the value of 'a' ($.a)" in message and "map[" in message
    sink = mapper.compile_sink(_schema([_KEY, {"name": "a", "path": ["a"], "type": "string"}, {"name": "b", "path": ["a", "b"], "type": "int"}]))
    assert sink.validate('{"k": 1, "a": {"b": 2}}').verdict == "accepted"


@pytest.mark.parametrize("outer_type", ["int", "strings", "ids", "recordTime"])
def test_a_path_inside_another_columns_value_says_the_record_cannot_fill_both(outer_type: str) -> None:
    message = _prefix_message(outer_type)
    assert "goes inside the value of 'a' ($.a)" in message
    assert f"cannot be both an object and what {'an' if outer_type[0] in 'aeiou' else 'a'} {outer_type} column takes" in message


# 3. a Sink built or changed by hand (mapper.Sink is public; dataclasses.replace makes one):
# what compiling cannot take is a DefinitionError naming it, not a traceback from inside the
# compiler or the engine, nor a column silently dropped


def _loaded() -> mapper.Sink:
    return mapper.load_sink(_schema([_KEY, {"name": "a", "path": ["a"], "type": "string"}]))


def _hand_built_errors(sink: mapper.Sink) -> list[tuple[str, str]]:
    with pytest.raises(mapper.DefinitionError) as info:
        mapper.compile_sink(sink).map('{"k": 1, "a": "x"}')
    assert all(p.code == "hand-built" and "(a Sink not made by mapper.load_sink)" in p.message for p in info.value.problems)
    return [(p.pointer, p.message.split(" (a Sink")[0]) for p in info.value.problems]


def test_a_hand_built_sink_whose_column_indices_are_not_their_places_is_refused() -> None:
    # an IndexError from inside the compiler (indices past the end), or columns read as each
    # other's types (reordered): "column 'a' cannot be read: it holds strings"
    sink = _loaded()
    shifted = replace(sink, columns=tuple(replace(c, index=c.index + 5) for c in sink.columns))
    assert _hand_built_errors(shifted) == [
        ("/definition/0", "the column's index is 5, its place in columns 0"),
        ("/definition/1", "the column's index is 6, its place in columns 1"),
    ]
    assert [p for p, _ in _hand_built_errors(replace(sink, columns=sink.columns[::-1]))] == ["/definition/1", "/definition/0"]


def test_a_hand_built_sink_with_two_columns_of_one_name_is_refused() -> None:
    # the later column's values went under the first one's name: a column lost without a word
    sink = _loaded()
    twice = replace(sink, columns=(sink.columns[0], replace(sink.columns[1], name="k")))
    assert _hand_built_errors(twice) == [("/definition/1", "the column name 'k' is given twice (columns 0 and 1)")]


def test_a_hand_built_identity_of_a_type_that_makes_no_id_is_refused() -> None:
    sink = _loaded()
    # a string id_field: a TypeError from inside the engine
    assert _hand_built_errors(replace(sink, id_field="a", primary_key_fields=None)) == [
        ("/id_field", "id_field 'a' is a string column; it must be of type id or int")
    ]
    # no primary key field at all: "its _id cannot be read: row 0 (counting from 0) holds None"
    assert _hand_built_errors(replace(sink, primary_key_fields=())) == [("/primary_key_fields", "primary_key_fields is empty")]
    strings = replace(sink, columns=(sink.columns[0], replace(sink.columns[1], type="strings")), primary_key_fields=("a",))
    assert _hand_built_errors(strings) == [("/primary_key_fields/0", "primary key field 'a' is a strings column; a set of strings cannot be a key")]


def test_a_hand_built_name_type_or_identity_that_is_no_str_is_refused_not_a_type_error() -> None:
    # a list or a dict there (unhashable): "TypeError: unhashable type: 'list'" from the
    # checks themselves, before the "must be a non-empty str" that says what is wrong
    sink = _loaded()
    named = replace(sink, columns=(sink.columns[0], replace(sink.columns[1], name=["a"])))
    assert _hand_built_errors(named) == [("/definition/1/name", "the column name must be a non-empty str, not ['a']")]
    typed = replace(sink, columns=(sink.columns[0], replace(sink.columns[1], type={"t": 1})))
    assert _hand_built_errors(typed) == [("/definition/1/type", "unknown type {'t': 1}")]
    assert _hand_built_errors(replace(sink, primary_key_fields=None, id_field=["k"])) == [("/id_field", "id_field ['k'] names no column")]
    assert _hand_built_errors(replace(sink, primary_key_fields=(["k"],))) == [("/primary_key_fields/0", "primary key field ['k'] names no column")]


def test_a_hand_built_column_whose_pointer_is_no_str_is_named_by_its_place() -> None:
    # Column.pointer None (a Column made with its class, the pointer not thought of): the
    # DefinitionError's own text raised a TypeError from escape_controls, and "None/type" was said
    sink = _loaded()
    for pointer in (None, 5):
        twice = replace(sink, columns=(sink.columns[0], replace(sink.columns[1], name="k", type="qq", pointer=pointer)))
        with pytest.raises(mapper.DefinitionError) as info:
            mapper.compile_sink(twice)
        assert "error: /definition/1: the column name 'k' is given twice" in str(info.value)
        assert [p.pointer for p in info.value.problems] == ["/definition/1", "/definition/1/type"]


def test_a_hand_built_path_that_is_no_path_is_refused_not_an_attribute_error() -> None:
    # path="a" (the definition's spelling, not a mapper.Path): "AttributeError: 'str' object has
    # no attribute 'keys'" from the checks themselves, as the config's own check said it clearly
    sink = _loaded()
    for path in ("a", ["a"], None):
        built = replace(sink, columns=(sink.columns[0], replace(sink.columns[1], path=path)))
        assert _hand_built_errors(built) == [("/definition/1/path", f"the column's path must be a mapper.Path (mapper.parse_path makes one), not {path!r}")]


def test_hand_built_primary_key_fields_must_be_a_sequence_of_names() -> None:
    # primary_key_fields="k" (a name, not a tuple of names): "primary key field 'i' names no column"
    # of each character of "id"; a number raised "TypeError: 'int' object is not iterable"
    sink = _loaded()
    for given in ("id", 5):
        assert _hand_built_errors(replace(sink, primary_key_fields=given)) == [
            ("/primary_key_fields", f"primary_key_fields must be a tuple of column names, not {given!r}")
        ]


def test_a_hand_built_missing_field_policy_must_be_a_bool() -> None:
    # "no" is truthy: records missing a value were stored as if the policy allowed it
    assert _hand_built_errors(replace(_loaded(), allow_missing_fields="no")) == [
        ("/allow_missing_fields", "allow_missing_fields must be True or False, not 'no'")
    ]


def _with_column(**changes: Any) -> mapper.Sink:
    sink = _loaded()
    return replace(sink, columns=(sink.columns[0], replace(sink.columns[1], **changes)))


@pytest.mark.parametrize(
    "changes,expected",
    [
        # a KeyError, a TypeError, an AttributeError from inside the column types; the jmespath library's own error
        ({"type": "timestamp", "config": mapper.ColumnConfig(unit="zz")}, ("/definition/1/config/Unit", "Unit 'zz' is not one of")),
        ({"type": "timestamp", "config": mapper.ColumnConfig(layout=5)}, ("/definition/1/config/Layout", "Layout must be a string, not an integer 5")),
        ({"config": None}, ("/definition/1/config", "the column's config must be a mapper.ColumnConfig, not None")),
        ({"path": mapper.Path(keys=None, expression="a[0")}, ("/definition/1/path", "invalid path: Invalid jmespath expression")),
        ({"name": 5}, ("/definition/1/name", "the column name must be a non-empty str, not 5")),
        # taken, and refused only as each record's value: a config the checker refuses is refused here
        ({"type": "decimal", "config": mapper.ColumnConfig(scale=50)}, ("/definition/1/config/Scale", "Scale 50 is outside 0..19")),
        ({"type": "int", "config": mapper.ColumnConfig(min=5, max=1)}, ("/definition/1/config/Min", "Min (5) is greater than Max (1)")),
    ],
)
def test_a_hand_built_columns_config_path_and_name_are_checked_as_a_definitions(changes: dict[str, Any], expected: tuple[str, str]) -> None:
    ((pointer, message),) = _hand_built_errors(_with_column(**changes))
    assert (pointer, message[: len(expected[1])]) == expected


@pytest.mark.parametrize("name", ["Alt", "a" * 231, "_x", "9a", "a b", "_id"])
def test_a_hand_built_column_name_featurebase_refuses_is_refused_as_load_sink_refuses_it(name: str) -> None:
    # a Sink built in Python (or renamed with dataclasses.replace) kept the name: mapped and
    # written, then sent to an endpoint that refuses the sink ('invalid index or field name')
    loaded = mapper.check_sink(_schema([_KEY, {"name": name, "path": ["a"], "type": "string"}]))
    said = [(p.pointer, p.message) for p in loaded.problems if p.severity == "error"]
    assert len(said) == 1 and _hand_built_errors(_with_column(name=name)) == said
    # the identity's own column is not stored (FeatureBase never checks its name): compiled, as
    # load_sink takes it with a warning
    sink = _loaded()
    key = replace(sink, columns=(replace(sink.columns[0], name="K", type="id"), sink.columns[1]), id_field="K", primary_key_fields=None)
    assert mapper.compile_sink(key).map('{"k": 1, "a": "x"}').to_rows() == [{"_id": 1, "a": "x"}]


def test_a_loaded_sink_and_its_pickled_copy_compile_as_they_are() -> None:
    import pickle

    sink = mapper.load_sink("examples/aircraft/table-mapping.json")
    for same in (sink, pickle.loads(pickle.dumps(sink))):
        assert mapper.compile_sink(same).validate('{"id": "a", "timestamp": 1, "data": {}}').verdict in ("accepted", "discarded", "refused")


# 4. a dot path whose key holds a space (`data.my key`, keys of records made from spreadsheets):
# JMESPath's "Unexpected token: key" said where, not how to write it


@pytest.mark.parametrize(
    "path,written,array",
    [
        ("data.my key", 'data."my key"', '["data", "my key"]'),
        ("first name", '"first name"', '["first name"]'),
        ("a.b c.d\te", 'a."b c"."d\\\\te"', '["a", "b c", "d\\te"]'),  # (what to write quoted as Python writes it)
    ],
)
def test_a_dot_path_whose_key_holds_a_space_says_how_to_quote_it(path: str, written: str, array: str) -> None:
    entries = [_KEY, {"name": "a", "path": path, "type": "string"}]
    ((pointer, code, message),) = [(p, c, m) for s, p, c, m in _problems(_schema(entries)) if s == "error"]
    assert (pointer, code) == ("/definition/1/path", "path-syntax")
    assert f"a key holding white space is written in double quotes: write '{written}' (or give the path as an array of keys: {array})" in message
    # written so, it is the path meant
    fixed = mapper.load_sink(_schema([_KEY, {"name": "a", "path": ast.literal_eval(f"'{written}'"), "type": "string"}]))
    assert list(fixed.columns[1].path.keys or ()) == __import__("json").loads(array)


# ("a.b c[0]" is told 'a."b c"[0]', which parses: tests/test_hints58.py)
@pytest.mark.parametrize("path", ["a[0", "a | b c", 'a."b c', "a b(c)"])
def test_a_path_that_is_no_chain_of_keys_gets_no_quoting_hint(path: str) -> None:
    entries = [_KEY, {"name": "a", "path": path, "type": "string"}]
    messages = [m for s, _, _, m in _problems(_schema(entries)) if s == "error"]
    assert messages and not any("double quotes" in m for m in messages)


# 5. a sink pasted through a word processor or a chat app: its quotes made typographic (“name”),
# which JSON does not take; Python's "Expecting property name enclosed in double quotes" did not
# say which character was wrong


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{\u201cname\u201d: \u201cs\u201d}", 'a typographic quote \u201c (U+201C) at line 1 column 2: JSON strings take the ASCII double quote " ('),
        ('{"name": \u201cs\u201d}', "a typographic quote \u201c (U+201C) at line 1 column 10"),
        ('{"definition": [\n  {"path": [\u2018a\u2019]}]}', "a typographic quote \u2018 (U+2018) at line 2 column 13"),
        ('{"name": \u201es\u201c}', "a typographic quote \u201e (U+201E) at line 1 column 10"),
        ('{"name": \uff02s\uff02}', "a typographic quote \uff02 (U+FF02) at line 1 column 10"),
    ],
)
def test_a_sink_with_typographic_quotes_is_told_which_and_where(text: str, said: str) -> None:
    ((severity, pointer, code, message),) = _problems(text)
    assert (severity, pointer, code) == ("error", "", "invalid-json")
    assert said in message, message
    assert "(an editor or a chat app made them: write the ASCII quotes)" in message


# 6. a table's EPOCH outside what its TIMEUNIT takes: FeatureBase refuses to create such a column
# (CheckEpochOutOfRange); said at the EPOCH, mapped or not (it was said only for a mapped column,
# at its mapping entry, as if the mapping had written it)

_EPOCH_TABLE = "CREATE TABLE t (_id ID, a TIMESTAMP TIMEUNIT '{unit}' EPOCH '{epoch}')"


@pytest.mark.parametrize(
    ("unit", "epoch"),
    [("ns", "1700-01-01T00:00:00Z"), ("ns", "2200-01-01T00:00:00Z"), ("s", "0001-01-01T00:00:00Z")],
)
@pytest.mark.parametrize("mapping", [{"_id": "id", "a": "a"}, {"_id": "id"}])
def test_a_tables_epoch_out_of_its_units_range_is_an_error_at_the_epoch(unit: str, epoch: str, mapping: dict[str, str]) -> None:
    sql = _EPOCH_TABLE.format(unit=unit, epoch=epoch)
    problems = _problems({"name": "s", "table": sql, "allow_missing_fields": True, "mapping": mapping})
    errors = [(p, c, m) for s, p, c, m in problems if s == "error"]
    assert [(p, c) for p, c, _ in errors] == [("/table", "table-constraint")], problems
    column = sql.index("'" + epoch) + 1
    assert errors[0][2].startswith(f"line 1 column {column}: EPOCH '{epoch}' is outside the range of TIMEUNIT '{unit}'"), errors[0][2]


def test_a_tables_epoch_within_its_units_range_is_taken() -> None:
    sql = _EPOCH_TABLE.format(unit="ns", epoch="2000-01-01T00:00:00Z")
    result = mapper.check_sink({"name": "s", "table": sql, "allow_missing_fields": True, "mapping": {"_id": "id", "a": "a"}})
    assert result.valid, result.problems


# 7. a CREATE TABLE statement with thousands of problems: each one's excerpt scanned the whole
# statement for its lines and copied its whole line (20,000 columns of MIN above MAX, a 500 KB
# statement on one line: `mapper check` took 17 s, and a 1 MB one minutes)


def test_the_problems_of_a_long_statement_do_not_each_scan_it_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    import mapper.table as table

    scans = []
    lines = table._Lines

    class Counted(lines):  # type: ignore[misc, valid-type]
        def __init__(self, sql: str) -> None:
            scans.append(len(sql))
            super().__init__(sql)

    monkeypatch.setattr(table, "_Lines", Counted)
    sql = "CREATE TABLE t (_id ID, " + ", ".join(f"c{i} INT MIN 5 MAX 1" for i in range(300)) + ")"
    problems = _problems({"name": "s", "table": sql, "allow_missing_fields": True, "mapping": {"_id": "id"}})
    assert len([p for p in problems if p[2] == "min-above-max"]) == 300
    assert len(scans) <= 2, len(scans)
    # each excerpt as it was: the window of the line around the caret
    first, second = [m for _, _, c, m in problems if c == "min-above-max"][:2]
    assert first.splitlines() == [
        "line 1 column 32: MIN (5) is greater than MAX (1)",
        "  CREATE TABLE t (_id ID, c0 INT MIN 5 MAX 1, c1 INT MIN 5 MAX 1, c2 INT ...",
        " " * 33 + "^",
    ]
    assert second.splitlines()[1:] == ["  ...E t (_id ID, c0 INT MIN 5 MAX 1, c1 INT MIN 5 MAX 1, c2 INT MIN 5 MAX 1, c3 INT ...", " " * 45 + "^"]


# 8. a CacheSize past 32 bits: FeatureBase keeps a field's cache size as a uint32 (its field
# options' cacheSize, OptFieldTypeSet/Mutex), so creating the column fails; the table form said
# so (SIZE 4294967296 is too large), the definition's config took it


@pytest.mark.parametrize("size", [4294967296, 5_000_000_000_000, 2**63 - 1])
@pytest.mark.parametrize("ctype", ["string", "id", "ids", "strings"])
def test_a_cache_size_past_32_bits_is_an_error_as_the_tables_size_is(size: int, ctype: str) -> None:
    entry = {"name": "a", "path": ["a"], "type": ctype, "config": {"CacheType": "ranked", "CacheSize": size}}
    errors = [(p, c, m) for s, p, c, m in _problems(_schema([_KEY, entry])) if s == "error"]
    assert errors == [("/definition/1/config/CacheSize", "out-of-range", f"CacheSize {size} is too large (at most 4294967295)")]


def test_a_cache_size_of_32_bits_is_taken() -> None:
    entry = {"name": "a", "path": ["a"], "type": "string", "config": {"CacheType": "ranked", "CacheSize": 4294967295}}
    assert mapper.check_sink(_schema([_KEY, entry])).valid


class _Formatted(int):
    """An int whose text is not its number."""

    def __format__(self, spec: str) -> str:
        return "1 = n2; c1"


def test_a_hand_built_columns_index_that_is_no_plain_int_is_a_definition_error() -> None:
    sink = mapper.load_sink(
        {
            "primary_key_fields": ["k"],
            "allow_missing_fields": True,
            "definition": [
                {"name": "k", "path": ["k"], "type": "string"},
                {"name": "v", "path": ["v"], "type": "string"},
                {"name": "w", "path": ["v", "x"], "type": "string"},
            ],
        }
    )
    for index in (_Formatted(1), True):
        columns = list(sink.columns)
        columns[1] = replace(columns[1], index=index)
        with pytest.raises(mapper.DefinitionError) as exc:
            mapper.compile_sink(replace(sink, columns=tuple(columns)))
        assert [p.pointer for p in exc.value.problems] == ["/definition/1"]


def _deep(keys: list[str], value: Any) -> Any:
    for k in reversed(keys):
        value = {k: value}
    return value


def test_a_hand_built_path_past_the_key_limit_is_a_definition_error() -> None:
    # load_sink refuses a path of more than 100 keys; a Sink built by hand skipped that: 300 keys
    # made a walk of two generated parts that handed back the value itself for its one column
    # (its _id "x" of "xyz"), 3,000 a RecursionError from building its Structs
    sink = mapper.load_sink({"primary_key_fields": ["k"], "allow_missing_fields": True, "definition": [{"name": "k", "path": ["k"], "type": "string"}]})
    for depth in (300, 3000):
        keys = [f"k{i}" for i in range(depth)]
        deep = replace(sink, columns=(replace(sink.columns[0], path=mapper.paths.path_from_keys(keys)),))
        with pytest.raises(mapper.DefinitionError) as exc:
            mapper.compile_sink(deep)
        assert [(p.pointer, p.code) for p in exc.value.problems] == [("/definition/0/path", "hand-built")]
        assert f"{depth:,} keys" in exc.value.problems[0].message


@pytest.mark.parametrize("part_nodes", [1, 2])
def test_a_sink_of_one_column_cut_into_generated_parts_maps_its_value_whole(part_nodes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # the parts' results were put in column order by operator.itemgetter, which of one index
    # gives the item, not a tuple of it: the walk returned "xyz" for its one column's tuple
    import mapper.compiler

    monkeypatch.setattr(mapper.compiler, "PART_NODES", part_nodes)
    m = mapper.compile_sink(
        {"primary_key_fields": ["k"], "allow_missing_fields": True, "definition": [{"name": "k", "path": ["a", "b", "c"], "type": "string"}]}
    )
    rec = _deep(["a", "b", "c"], "xyz")
    want = [{"_id": "xyz"}]
    assert m.compiled.walk(rec) == ("xyz",)
    assert m.map([rec]).to_rows() == m.map('{"a": {"b": {"c": "xyz"}}}\n').to_rows() == m.map('{"a": {"b": {"c": "xyz"}}}\n', fast=False).to_rows() == want
