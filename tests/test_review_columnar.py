"""Found in review of the columnar changes: files edited by hand that read_batch took wrongly."""

from __future__ import annotations

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
