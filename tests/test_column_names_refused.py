"""A column name FeatureBase refuses (pilosa.ValidateName: ``^[a-z][a-z0-9Θ_-]{0,229}$``; every
index and field it creates is checked so, CREATE TABLE's and the ingester's alike) is an error
where the column is stored: the table cannot have it, so the endpoint refuses the sink. It was
a warning, and ``check`` called the definition valid. The identity's own column (an id_field,
a lone string primary key) is not stored, so FeatureBase never checks its name: a warning."""

from __future__ import annotations

import mapper


def _body(*entries: dict, identity: dict | None = None) -> dict:
    return {
        "name": "s",
        "sink_details": {"database_id": "<database_id>", "table": "t"},
        "schema": {
            "type": "json",
            **(identity or {"id_field": "id"}),
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}, *entries],
        },
    }


def _said(doc: dict) -> tuple[bool, dict[tuple[str, str], tuple[str, str]]]:
    result = mapper.check_sink(doc)
    return result.valid, {(p.pointer, p.code): (p.severity, p.message) for p in result.problems}


def test_an_uppercase_column_name_is_an_error_where_it_is():
    valid, said = _said(_body({"name": "Altitude", "path": ["alt"], "type": "int"}))
    assert not valid
    severity, message = said[("/schema/definition/1/name", "column-name")]
    assert severity == "error"
    assert message.startswith(
        "'Altitude' is not a valid FeatureBase column name (lowercase letters, digits, '_' and '-', starting with a letter, at most 230 characters)"
    )
    assert "'altitude'" in message  # what to write instead


def test_a_column_name_of_231_characters_is_an_error_and_230_is_not():
    valid, said = _said(_body({"name": "a" * 231, "path": ["a"], "type": "string"}))
    assert not valid and said[("/schema/definition/1/name", "column-name")][0] == "error"
    assert "231 characters" in said[("/schema/definition/1/name", "column-name")][1]
    valid, said = _said(_body({"name": "a" * 230, "path": ["a"], "type": "string"}))
    assert valid and ("/schema/definition/1/name", "column-name") not in said


def test_the_rule_is_featurebase_s_own_theta_included():
    # pilosa.go's nameRegexp takes a Θ after the first letter
    valid, said = _said(_body({"name": "a\u0398b", "path": ["a"], "type": "string"}))
    assert valid and ("/schema/definition/1/name", "column-name") not in said


def test_an_entry_with_errors_of_its_own_is_still_told_its_name():
    valid, said = _said(_body({"name": "Bad", "path": ["a"], "type": "nope"}))
    assert not valid
    assert said[("/schema/definition/1/name", "column-name")][0] == "error"
    assert said[("/schema/definition/1/type", "unknown-type")][0] == "error"


def test_the_name_is_located_as_the_entry_spells_its_key():
    valid, said = _said(_body({"Name": "Bad", "path": ["a"], "type": "int"}))
    assert not valid and said[("/schema/definition/1/Name", "column-name")][0] == "error"


def test_the_identity_s_own_column_is_not_stored_so_its_name_is_a_warning():
    doc = _body(identity={"id_field": "ID"})
    doc["schema"]["definition"][0]["name"] = "ID"
    valid, said = _said(doc)
    assert valid and said[("/schema/definition/0/name", "column-name")][0] == "warning"
    assert "not stored" in said[("/schema/definition/0/name", "column-name")][1]
    # a lone string primary key is not stored either; a key of two columns is
    doc = _body({"name": "Key", "path": ["k"], "type": "string"}, identity={"primary_key_fields": ["Key"]})
    valid, said = _said(doc)
    assert valid and said[("/schema/definition/1/name", "column-name")][0] == "warning"
    doc = _body({"name": "Key", "path": ["k"], "type": "string"}, identity={"primary_key_fields": ["Key", "id"]})
    valid, said = _said(doc)
    assert not valid and said[("/schema/definition/1/name", "column-name")][0] == "error"


def test_a_record_time_entry_names_no_column():
    valid, said = _said(
        _body({"name": "q", "path": ["q"], "type": "ids", "config": {"Quantum": "YMD"}}, {"name": "_timeQuantum", "path": ["t"], "type": "recordTime"})
    )
    assert valid and not [k for k in said if k[1] == "column-name"]


def test_the_ui_form_s_table_with_such_a_name_is_an_error_at_its_line_and_column():
    sql = 'CREATE TABLE "Bad Name" (\n  _id ID, "Bad Col" INT, ok INT, ' + "c" * 231 + " INT)"
    doc = {"name": "ui_sink", "table": sql, "mapping": {"_id": "id", "bad col": "a", "ok": "b"}, "allow_missing_fields": True}
    result = mapper.check_sink(doc)
    assert not result.valid
    got = {p.message.split("'")[1]: p for p in result.problems if p.code in ("column-name", "table-name")}
    assert all(p.severity == "error" and p.pointer == "/table" for p in got.values()), got
    assert got["bad col"].message.startswith("line 2 column 11: 'bad col' is not a valid FeatureBase column name")
    assert got["bad name"].message.startswith("line 1 column 14: 'bad name' is not a valid FeatureBase table name")
    assert got["c" * 60 + "...(231 characters)"].message.startswith("line 2 column 34: ")  # (the long name, shown cut)
