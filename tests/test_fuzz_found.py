"""Crashes a coverage-guided fuzz campaign (atheris, harnesses outside the repository) found, each
minimized to the input that raised something other than a ``mapper.MapperError``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sinks import column, id_schema

import mapper

ROOT = Path(__file__).parents[1]
HUGE = 10**5000  # past Python's 4,300-digit limit for int -> str
TUPLE_KEY = (HUGE,)  # a Python mapping's key may be a tuple; its str() raises ValueError for the int inside

_ENTRY = {"name": "k", "path": ["k"], "type": "id"}


@pytest.mark.parametrize(
    ("definition", "pointer"),
    [
        ({"table": "x", "mapping": {}, TUPLE_KEY: 1}, "/"),  # the UI's form
        ({"definition": [_ENTRY], "id_field": "k", "allow_missing_fields": True, TUPLE_KEY: 1}, "/"),  # a schema
        ({"definition": [{**_ENTRY, TUPLE_KEY: 1}], "id_field": "k", "allow_missing_fields": True}, "/definition/0/"),  # an entry
        ({"definition": [{**_ENTRY, "config": {TUPLE_KEY: 1}}], "id_field": "k", "allow_missing_fields": True}, "/definition/0/config/"),
    ],
)
def test_a_definitions_key_that_is_a_tuple_holding_a_huge_int_is_named_not_a_value_error(definition: Any, pointer: str) -> None:
    result = mapper.check_sink(definition)  # raised ValueError (Exceeds the limit (4300 digits) ...) from the unknown-key warning
    shown = "<a tuple holding an integer of thousands of digits>"
    warned = [p for p in result.problems if p.code in ("unknown-key", "unknown-config-key")]
    assert [p.pointer for p in warned] == [pointer + shown]
    assert shown in warned[0].message and "is not a string" in warned[0].message


def test_infer_of_a_record_whose_key_is_a_tuple_holding_a_huge_int_drafts_the_other_fields() -> None:
    result = mapper.infer([{TUPLE_KEY: 1, "id": 1}, {"id": 2}])  # raised ValueError
    assert [c["name"] for c in result.body["schema"]["definition"]] == ["id"]


# --- records given as Python objects ---------------------------------------------------------

_ALL = id_schema(
    column("i", "int"),
    column("jm", "string", path="d.arr[0]"),  # a JMESPath column reads the whole record as its JSON text
)
_AIRCRAFT_RECORD = {
    "id": "x",
    "timestamp": 1659981468260,
    "data": {
        "aircraftId": "A",
        "lat": 1.5,
        "long": 2.5,
        "track": 1,
        "altitude": 2,
        "speed": 3,
        "type": "B",
        "reg": "R",
        "origin": "O",
        "destination": "D",
        "icaoId": "I",
        "airline": "L",
    },
}


def test_a_numpy_array_in_a_later_dict_of_a_column_the_first_lacks_is_an_invalid_value_not_a_value_error() -> None:
    # the fast path's "no record has this column" test compared each value with == (list.count):
    # a two-element array's truth is ambiguous, and map raised ValueError (three dicts take the fast path)
    m = mapper.compile_sink({**_ALL, "definition": _ALL["definition"][:2]})
    batch = m.map([{"id": 1}, {"id": 2}, {"id": 3, "i": np.array([1, 2])}])
    assert batch.count == 2 and list(batch.ids) == [1, 2]
    assert [(e.record, e.column, e.code) for e in batch.report.errors] == [(2, "i", "invalid_value")]
    assert "numpy.ndarray" in batch.report.errors[0].reason


@pytest.mark.parametrize("key", [HUGE, TUPLE_KEY], ids=["int", "tuple"])
@pytest.mark.parametrize("fast", [True, False])
def test_a_records_key_holding_a_huge_int_is_an_invalid_value_where_its_json_text_is_read(key: Any, fast: bool) -> None:
    m = mapper.compile_sink(_ALL)
    report = m.validate([{"id": 1, key: 1}], fast=fast)  # raised ValueError (Exceeds the limit (4300 digits) ...)
    assert [(e.column, e.code) for e in report.errors] == [("jm", "invalid_value")]
    assert "digits> is not a string" in report.errors[0].reason
    assert [(p.column, p.code) for p in m.check({"id": 1, key: 1})] == [("jm", "invalid_value")]


def test_check_and_the_batcher_refuse_a_record_whose_key_is_a_huge_int_as_having_no_json_text() -> None:
    record = {**_AIRCRAFT_RECORD, HUGE: 1}
    m = mapper.compile_sink(ROOT / "examples/aircraft/sink.json")
    assert [p.code for p in m.check(record)] == ["invalid_json"]  # raised ValueError writing the record's JSON text
    verdict = mapper.Batcher(ROOT / "examples/aircraft/sink.json").add(record)
    assert not verdict.accepted and [e.code for e in verdict.errors] == ["invalid_json"]


@pytest.mark.parametrize("fast", [True, False])
def test_a_value_holding_an_unpaired_surrogate_and_a_huge_int_is_refused_for_the_int_not_a_value_error(fast: bool) -> None:
    # the utf8_replaced warning quoted the value as sent with json.dumps, which raised ValueError for the int
    m = mapper.compile_sink(id_schema(column("s", "string")))
    report = m.validate([{"id": 1, "s": ["\ud800", HUGE]}], fast=fast)
    assert [(e.column, e.code) for e in report.errors] == [("s", "out_of_range")]
    assert "<an integer of 5,001 digits>" in report.errors[0].reason


@pytest.mark.parametrize(
    ("key", "shown"), [(HUGE, "<an integer of 5,001 digits>"), (TUPLE_KEY, "<a tuple holding an integer of thousands of digits>")], ids=["int", "tuple"]
)
def test_an_unpaired_surrogate_under_a_key_holding_a_huge_int_is_placed_by_a_pointer_naming_the_key(key: Any, shown: str) -> None:
    # the invalid-unicode error's JSON Pointer was made with str(key), which raised ValueError
    definition = {"definition": [_ENTRY], "id_field": "k", "allow_missing_fields": True, key: {"x": "\ud800"}}
    result = mapper.check_sink(definition)
    assert ("/" + shown + "/x", "invalid-unicode") in [(p.pointer, p.code) for p in result.problems]
    assert result.sink is None


def test_a_batch_indexed_or_stepped_by_a_huge_int_says_so_not_a_value_error() -> None:
    # (found reading the code the fuzzing pointed at: the messages made {name!r} and {step} of the int)
    batch = mapper.compile_sink({**_ALL, "definition": _ALL["definition"][:2]}).map([{"id": 1}])
    with pytest.raises(KeyError, match="no column <an integer of 5,001 digits> in the batch"):
        batch[HUGE]  # type: ignore[call-overload]
    with pytest.raises(mapper.OptionError, match="a step of 1 only .* not <an integer of 5,001 digits>"):
        batch[::HUGE]
