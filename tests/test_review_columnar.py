"""Found in review of the columnar changes: files edited by hand that read_batch took wrongly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mapper
from mapper.writers import npz_arrays
from tests.test_columnar import _text_batch

_DEEP = b"[" * 20_000 + b"]" * 20_000  # (JSON nested past Python's recursion limit)


def test_field_metadata_nested_past_the_recursion_limit_is_refused_naming_the_field(tmp_path: Path) -> None:
    # json.loads raised RecursionError, not a ValueError: a traceback instead of "cannot read ..."
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = _text_batch().to_arrow()
    i = table.schema.get_field_index("ts")
    schema = table.schema.set(i, table.schema.field("ts").with_metadata({b"mapper.column": _DEEP}))
    path = tmp_path / "deep.parquet"
    pq.write_table(pa.Table.from_arrays(table.columns, schema=schema), path)
    with pytest.raises(mapper.InputError) as caught:
        mapper.read_batch(path)
    assert "its field 'ts''s metadata's mapper.column" in str(caught.value) and "is not JSON" in str(caught.value)
    assert caught.value.__cause__ is None


def test_an_npz_header_nested_past_the_recursion_limit_is_refused(tmp_path: Path) -> None:
    arrays = npz_arrays(_text_batch())
    arrays["__header__"] = np.array(_DEEP.decode())
    path = tmp_path / "deep.npz"
    np.savez(path, **arrays)
    with pytest.raises(mapper.InputError) as caught:
        mapper.read_batch(path)
    assert "its header (__header__) is not JSON" in str(caught.value)


@pytest.mark.parametrize("offsets", [[1, 2, 4, 6], [0, 2, 4, 5]], ids=["from 1", "short of the end"])
def test_npz_string_offsets_that_leave_text_out_are_refused(tmp_path: Path, offsets: list[int]) -> None:
    # read_batch checked a file's string offsets run from 0 to its text's end (mapper writes no
    # other); since the one offsets check (which takes a batch's strings cut from a longer text)
    # a file whose offsets were edited to start past 0 or stop short loaded, row 0 reading "b"
    # for "ab" (or row 2 "e" for "ef"), with no word said
    arrays = npz_arrays(_text_batch())
    assert arrays["s.utf8"].tobytes() == b"abcdef"
    arrays["s.utf8_offsets"] = np.array(offsets, dtype=np.int64)
    path = tmp_path / "edited.npz"
    np.savez(path, **arrays)
    with pytest.raises(mapper.InputError) as caught:
        mapper.read_batch(path)
    said = str(caught.value)
    assert "'s'" in said and f"from {offsets[0]} to {offsets[-1]}" in said and "6 bytes" in said


def test_npz_string_offsets_as_written_still_read(tmp_path: Path) -> None:
    path = tmp_path / "b.npz"
    np.savez(path, **npz_arrays(_text_batch()))
    rows = mapper.read_batch(path).to_rows()
    assert [r.get("s") for r in rows] == ["ab", "cd", "ef"] and json.dumps(rows)
