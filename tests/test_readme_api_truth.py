"""The README's Python API section, read as a new user reads it: what it promises holds.

Each test is one claim of the Python API (README and docs/python-api.md) that the code did not keep.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

import mapper

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SEED = ROOT / "examples" / "aircraft" / "records.ndjson"

SETS = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "tags", "path": ["tags"], "type": "strings"}],
}


def test_utf8_of_a_string_column_edited_as_the_readme_says_is_its_new_text() -> None:
    """README: edit a string column by giving new objects, ``batch["s"].stored = edited``;
    ``batch["reg"].utf8`` is the column as UTF-8 bytes and offsets. After the edit ``utf8``
    was None, as for a number column."""
    batch = mapper.compile_sink(SINK).map(SEED)
    edited = batch["reg"].values.copy()
    edited[0] = "NEW-Ü"
    batch["reg"].stored = edited
    held = batch["reg"].utf8
    assert held is not None
    data, offsets = held
    assert data.dtype == np.uint8 and offsets.dtype == np.int64
    assert bytes(data[offsets[0] : offsets[1]]) == "NEW-Ü".encode()
    assert [bytes(data[a:b]).decode() for a, b in zip(offsets[:-1], offsets[1:])] == list(edited)
    assert not data.flags.writeable and not offsets.flags.writeable


def test_utf8_of_an_edited_column_keeps_its_nulls_and_set_elements() -> None:
    """The same for a column holding no value in a row, and for a ``strings`` set's elements."""
    m = mapper.compile_sink(SETS)
    batch = m.map([{"id": 1, "tags": ["a", "b"]}, {"id": 2}, {"id": 3, "tags": ["c"]}])
    batch["tags"].stored = np.array(["x", "yy", "z"], dtype=object)
    data, offsets = batch["tags"].utf8  # type: ignore[misc]
    assert bytes(data) == b"xyyz" and offsets.tolist() == [0, 1, 3, 4]
    strings = mapper.compile_sink({**SETS, "definition": [SETS["definition"][0], {"name": "s", "path": ["s"], "type": "string"}]})
    batch = strings.map([{"id": 1, "s": "a"}, {"id": 2}, {"id": 3, "s": "c"}])
    edited = batch["s"].values.copy()
    edited[2] = "cc"
    batch["s"].stored = edited
    data, offsets = batch["s"].utf8  # type: ignore[misc]
    assert bytes(data) == b"acc" and offsets.tolist() == [0, 1, 1, 3]


def test_a_number_column_has_no_utf8() -> None:
    batch = mapper.compile_sink(SINK).map(SEED)
    assert batch["altitude"].utf8 is None


def test_output_error_is_public_as_the_readme_names_it() -> None:
    """README: ``batch.check()`` (and ``concat`` of no batch, ``to_arrow``, ``read_batch`` ...)
    raise an ``OutputError``; ``mapper.OutputError`` was an AttributeError, so a caller could
    not catch it by the name the README gives without importing ``mapper.errors``."""
    from mapper.errors import OutputError

    assert mapper.OutputError is OutputError
    assert "OutputError" in mapper.__all__
    assert issubclass(mapper.OutputError, mapper.MapperError)
    batch = mapper.compile_sink(SINK).map(SEED)
    batch["altitude"].present[0] = False
    with pytest.raises(mapper.OutputError, match="altitude"):
        batch.check()
    with pytest.raises(mapper.OutputError):
        mapper.concat([])
    error = pickle.loads(pickle.dumps(OutputError("x")))
    assert type(error) is OutputError and str(error) == "x"


def test_utf8_of_an_edited_column_holding_no_str_names_the_column_and_row() -> None:
    """Given objects that are not text, ``utf8`` was a TypeError of ``str.join``."""
    batch = mapper.compile_sink(SINK).map(SEED)
    batch["reg"].stored = np.array(["a", 7, "b"], dtype=object)
    with pytest.raises(mapper.OutputError, match=r"column 'reg'.*row 1 .*an int, 7,"):
        batch["reg"].utf8  # noqa: B018
