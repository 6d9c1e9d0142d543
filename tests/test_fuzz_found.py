"""Crashes a coverage-guided fuzz campaign (atheris, harnesses outside the repository) found, each
minimized to the input that raised something other than a ``mapper.MapperError``."""

from __future__ import annotations

from typing import Any

import pytest

import mapper

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
