"""String ids held as objects are edited in place (``batch.ids[0] = 5``: one form, as numbers are);
one that is no ``str`` passed ``check()``, then ``to_arrow()`` failed with pyarrow's "expected str
instance, int found" naming no row, the .npz writer raised that TypeError itself, and ``to_rows``
(and so an NDJSON file) gave ``"_id": 5``. Each now names the row and what it holds."""

from __future__ import annotations

import re

import numpy as np
import pytest

import mapper
from mapper import writers
from mapper.errors import OutputError

DEFINITION = [
    {"name": "k", "path": "k", "type": "string"},
    {"name": "s", "path": "s", "type": "string"},
    {"name": "t", "path": "t", "type": "strings"},
]
RECORDS = b'{"k":"a","s":"x","t":["p"]}\n{"k":"b","s":"y","t":["q","r"]}\n{"k":"c","s":"z","t":[]}\n'


def _batch() -> mapper.Batch:
    m = mapper.compile_sink(DEFINITION, primary_key_fields=["k"], allow_missing_fields=True)
    return m.map(RECORDS)


def _edited() -> mapper.Batch:
    batch = _batch()
    assert batch.ids.dtype == object and batch.ids.flags.writeable  # (as documented: editable in place)
    batch.ids[1] = 5
    return batch


HELD = "row 1 (counting from 0) holds an int, 5, where str objects are held"


def test_check_names_the_row_of_an_id_edited_to_no_str():
    with pytest.raises(OutputError, match=re.escape(f"its _id cannot be read: {HELD}")):
        _edited().check()


def test_to_rows_names_it_rather_than_giving_the_int_as_the_id():
    with pytest.raises(OutputError, match=re.escape(f"its _id cannot be read: {HELD}")):
        _edited().to_rows()


def test_an_ndjson_file_is_not_written_with_the_int_as_the_id(tmp_path):
    out = tmp_path / "o.ndjson"
    with pytest.raises(OutputError, match=re.escape(HELD)):
        writers.write_ndjson(_edited(), str(out))
    assert not out.exists()


def test_the_npz_writer_names_it(tmp_path):
    out = tmp_path / "o.npz"
    with pytest.raises(OutputError, match=re.escape(f"its _id cannot be written: {HELD}")):
        writers.write_npz(_edited(), str(out))
    assert not out.exists()


@pytest.mark.parametrize("convert", ["to_arrow", "parquet", "arrow"])
def test_arrow_names_it_not_pyarrows_words(tmp_path, convert):
    pytest.importorskip("pyarrow")
    batch = _edited()
    with pytest.raises(OutputError) as info:
        if convert == "to_arrow":
            batch.to_arrow()
        else:
            getattr(writers, f"write_{convert}")(batch, str(tmp_path / f"o.{convert}"))
    assert str(info.value) == f"its _id cannot be made an Arrow array: {HELD}"


def test_an_id_edited_to_another_str_is_taken():
    pytest.importorskip("pyarrow")
    batch = _batch()
    batch.ids[1] = "B"
    batch.check()
    assert batch.to_arrow().column("_id").to_pylist() == ["a", "B", "c"]
    assert [r["_id"] for r in batch.to_rows()] == ["a", "B", "c"]


def test_a_none_id_is_named_too():
    batch = _batch()
    batch.ids[2] = None
    with pytest.raises(OutputError, match=re.escape("its _id cannot be read: row 2 (counting from 0) holds None where str objects are held")):
        batch.check()


@pytest.mark.parametrize(("column", "at", "unit"), [("s", 1, "row"), ("t", 2, "element")])
def test_a_string_column_given_objects_then_edited_in_place_is_named(column, at, unit):
    # (a column's strings are read-only as mapped; objects given by hand, col.stored = ..., are the
    # caller's array, edited in place after: check() reads each stored value's type)
    pytest.importorskip("pyarrow")
    batch = _batch()
    col = batch[column]
    col.stored = np.array(col.values, dtype=object)
    col.stored[at] = 7
    said = f"column {column!r} cannot be read: {unit} {at} (counting from 0) holds an int, 7, where str objects are held"
    for convert in (batch.check, batch.to_arrow, batch.to_rows):
        with pytest.raises(OutputError, match=re.escape(said)):
            convert()
