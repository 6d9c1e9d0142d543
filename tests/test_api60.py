"""Python API leftovers of session 60's review (docs/python-api.md is the contract): each test failed
before its fix."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

import pytest
import sinks

import mapper
from tests.cli_inproc import run_main

PK_SINK = sinks.sink(sinks.column("ab", "string"), sinks.column("n", "int"), primary_key_fields=["ab", "ab"])


def test_a_primary_key_field_listed_twice_is_a_warning_where_it_is() -> None:
    """``primary_key_fields: ["ab", "ab"]``: the ingester takes it (the key joins the value twice, ``"x|x"``), so
    it is a warning pointing at the second, naming the first, not a refusal the endpoint would not make."""
    result = mapper.check_sink(json.dumps(PK_SINK))
    assert result.valid, result.problems
    twice = [p for p in result.problems if p.code == "duplicate"]
    assert [(p.severity, p.pointer) for p in twice] == [("warning", "/schema/primary_key_fields/1")], result.problems
    assert "'ab' is listed twice (as field 0 too)" in twice[0].message
    m = mapper.compile_sink(mapper.load_sink(json.dumps(PK_SINK)))
    assert len(m.map([{"ab": "x", "n": 1}])) == 1


def test_a_hand_built_sink_with_a_primary_key_field_twice_compiles_as_the_loaded_one() -> None:
    sink = mapper.load_sink(json.dumps({**PK_SINK, "schema": {**PK_SINK["schema"], "primary_key_fields": ["ab", "n"]}}))
    built = mapper.compile_sink(dataclasses.replace(sink, primary_key_fields=("n", "n")))
    loaded = mapper.compile_sink(mapper.load_sink(json.dumps(PK_SINK), primary_key_fields=["n", "n"]))
    assert built.map([{"ab": "x", "n": 1}]).to_rows() == loaded.map([{"ab": "x", "n": 1}]).to_rows()


def test_the_primary_key_fields_option_naming_a_field_twice_is_the_definitions_warning(tmp_path: Any) -> None:
    sink = tmp_path / "s.json"
    sink.write_text(json.dumps(sinks.id_sink(sinks.column("n", "int"))))
    proc = run_main("check", sink, "--primary-key-fields", "n, n")
    assert proc.returncode == 0, proc
    assert b"listed twice" in proc.stderr + proc.stdout, proc


ID_SINK = mapper.load_sink(json.dumps(sinks.id_sink(sinks.column("n", "int"))))


def test_a_hand_built_sink_given_its_columns_as_a_list_holds_them_as_the_tuple() -> None:
    """``dataclasses.replace(sink, columns=[...])`` compiled, but ``hash(sink)`` was a TypeError
    (unhashable type: 'list'), where the docs say every Sink is hashable, equal sinks hashing the same."""
    listed = dataclasses.replace(ID_SINK, columns=list(ID_SINK.columns))
    assert listed.columns == ID_SINK.columns and isinstance(listed.columns, tuple)
    assert hash(listed) == hash(ID_SINK) and listed == ID_SINK
    keyed = mapper.load_sink(json.dumps(PK_SINK), primary_key_fields=["ab", "n"])
    pk_listed = dataclasses.replace(keyed, primary_key_fields=["ab", "n"])
    assert hash(pk_listed) == hash(keyed) and pk_listed == keyed
    assert mapper.compile_sink(listed).map([{"id": 1, "n": 2}]).to_rows() == [{"_id": 1, "n": 2}]


def test_a_hand_built_sink_whose_details_are_too_deep_is_a_definition_error() -> None:
    """``sink_details`` nested 5,000 deep raised RecursionError from inside the Sink constructor."""
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(5000):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(mapper.DefinitionError) as info:
        dataclasses.replace(ID_SINK, sink_details={"database_id": "x", "table": "t", "x": deep})
    assert [(p.code, p.pointer) for p in info.value.problems] == [("hand-built", "/sink_details")], info.value.problems
    body = sinks.id_sink()
    body["sink_details"]["x"] = deep
    result = mapper.check_sink(body)  # (load_sink's own check still says where, never raising)
    assert not result.valid and [p.code for p in result.problems if p.severity == "error"] == ["too-deep"], result.problems


@pytest.mark.parametrize("token", ["", " ", "\n"])
def test_an_empty_token_is_refused_by_the_sender_as_by_the_app(token: str) -> None:
    """``Sender(token="")`` sent no Authorization header without a word, while ``token=" "`` and
    ``App(token="")`` were refused: no token is ``None``."""
    with pytest.raises(mapper.OptionError, match=r"token= is empty or white space: give a token, or None to send without one"):
        mapper.Sender("http://127.0.0.1:9/v2/sinks/s", token=token)
    assert not mapper.Sender("http://127.0.0.1:9/v2/sinks/s", token=None).has_token


def test_send_takes_an_empty_featurebase_token_for_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line still reads an empty FEATUREBASE_TOKEN as no token: the Sender it makes gets None."""
    from mapper.send import _token

    monkeypatch.setenv("FEATUREBASE_TOKEN", "")
    token = _token(argparse.Namespace(token_env=None))
    assert token is None
    assert not mapper.Sender("http://127.0.0.1:9/v2/sinks/s", token=token).has_token


@pytest.mark.parametrize("parts", [[[{"a": 1}], [{"a": 2}]], ([{"a": 1}],), [[]]], ids=["two lists", "a tuple of one", "one empty"])
def test_infer_given_lists_of_records_as_sources_says_what_to_pass(parts: Any) -> None:
    """``mapper.infer([[d1], [d2]])`` read one source whose records were lists: "no records to infer a
    sink from: ... record 0: Expected `object`, got `array`", saying neither what was given nor what to pass."""
    with pytest.raises(mapper.InputError) as info:
        mapper.infer(parts)
    said = str(info.value)
    assert said.startswith(f"mapper.infer was given a {type(parts).__name__} of {len(parts)} lists"), said
    assert "pass them as one list, [r for part in parts for r in part]" in said, said
    assert mapper.infer([r for part in parts for r in part] or [{"a": 1}], id_field="a").body["schema"]["id_field"] == "a"


def test_a_lone_surrogate_edited_into_a_string_column_is_refused_by_arrow_and_its_writers(tmp_path: Any) -> None:
    """``batch["s"].stored = edited`` holding ``"\\ud800"`` passed ``check()``, then ``to_arrow()`` built
    a column of bytes that are no UTF-8 and a ``.parquet`` file took them without a word. Mapping
    stores such a string as U+FFFD with a warning; a batch has no warnings to give, so Arrow and its
    writers refuse it naming the column and row (as check(), to_rows and every other writer do since
    session 61: tests/test_api61.py)."""
    pytest.importorskip("pyarrow")
    import numpy as np

    from mapper import writers

    m = mapper.compile_sink(json.dumps(sinks.id_sink(sinks.column("s", "string"))))
    batch = m.map([{"id": 1, "s": "a"}, {"id": 2, "s": "b"}])
    batch["s"].stored = np.array(["a", "x\ud800"], dtype=object)
    said = r"column 's' holds text that is not UTF-8 in row 1 \(counting from 0\): a UTF-16 surrogate, '\\ud800'"
    with pytest.raises(mapper.OutputError, match=said):
        batch.to_arrow()
    for write, ext in ((writers.write_parquet, "parquet"), (writers.write_arrow, "arrow")):
        with pytest.raises(mapper.OutputError, match=said):
            write(batch, tmp_path / f"b.{ext}")
        assert not (tmp_path / f"b.{ext}").exists()
