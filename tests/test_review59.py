"""Review of session 59's change (mapper, docs): each test failed before its fix."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import mapper

SINK = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "string"}]
M = mapper.compile_sink(SINK, id_field="id", allow_missing_fields=True)


def _released(text: bytes) -> memoryview:
    view = memoryview(text)
    view.release()
    return view


@pytest.mark.parametrize(
    "call, said",
    [
        (lambda records: M.validate(records), "record 2's text came as a released memoryview"),
        (lambda records: M.map(records), "record 2's text came as a released memoryview"),
        (lambda records: list(M.iter_batches(records, records=2)), "record 2's text came as a released memoryview"),
        (
            lambda records: M.validate([b'{"r": [' + r + b"]}" if isinstance(r, bytes) else r for r in records], records_path="r"),
            "the text of document 2 (counted from 0) came as a released memoryview",
        ),
    ],
)
def test_a_released_memoryview_among_records_given_is_named_by_its_number(call: Callable[[list[Any]], Any], said: str) -> None:
    """Among records (or documents) given as a list, a released memoryview was said as "a record's text came as a
    released memoryview" alone: which of the list's records (maybe thousands) was not said, where the report names
    every record it refuses by its number."""
    records: list[Any] = [b'{"id": 1, "n": "a"}', {"id": 2, "n": "b"}, _released(b'{"id": 3, "n": "c"}'), b'{"id": 4, "n": "d"}']
    with pytest.raises(mapper.InputError) as info:
        call(records)
    assert said in str(info.value), str(info.value)
