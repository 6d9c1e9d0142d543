"""Property: :meth:`mapper.Batch.slice` takes the rows polars' ``DataFrame.slice`` takes, and
``batch[a:b]`` the rows Python's list slicing takes, for every offset and length (negative,
zero, past either end) and batches of 0 to 12 rows, some records refused between them (the
oracles are polars and ``list``, not mapper's own slicing)."""

from __future__ import annotations

import functools
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import mapper

pl = pytest.importorskip("polars")

SINK = {
    "id_field": "k",
    "allow_missing_fields": True,
    "definition": [{"name": "k", "path": ["k"], "type": "id"}, {"name": "s", "path": ["s"], "type": "string"}, {"name": "i", "path": ["i"], "type": "int"}],
}
M = mapper.compile_sink(SINK)


@functools.cache
def _batch(n: int, refused: frozenset[int]) -> tuple[mapper.Batch, list[int]]:
    """A batch of ``n`` input records, those in ``refused`` refused (``i`` not an int), and the input indices of its rows."""
    records = [{"k": r, "s": f"v{r}" if r % 2 else None, **({"i": "x"} if r in refused else {"i": r})} for r in range(n)]
    return M.map(records, on_error="skip"), [r for r in range(n) if r not in refused]


ROWS = st.integers(0, 12).flatmap(lambda n: st.tuples(st.just(n), st.frozensets(st.integers(0, max(n - 1, 0)), max_size=n) if n else st.just(frozenset())))
OFFSETS = st.integers(-20, 20)
LENGTHS = st.none() | st.integers(0, 20)


@given(ROWS, OFFSETS, LENGTHS)
@example((10, frozenset()), -11, 2)  # polars: row 0 alone (mapper gave rows 0 and 1 before 48455a4)
@example((10, frozenset()), -12, 5)
@example((0, frozenset()), -1, 1)
def test_slice_takes_the_rows_polars_takes(rows: tuple[int, frozenset[int]], offset: int, length: int | None) -> None:
    batch, kept = _batch(*rows)
    want = pl.DataFrame({"r": kept}, schema={"r": pl.Int64}).slice(offset, length)["r"].to_list()
    part = batch.slice(offset, length)
    assert part.record_index.tolist() == want
    assert [row["_id"] for row in part.to_rows()] == want
    assert [row.get("s") for row in part.to_rows()] == [f"v{r}" if r % 2 else None for r in want]
    assert len(part) == len(want)
    assert part.report is batch.report
    # numpy's ints (a count from an array) take the same rows
    assert batch.slice(np.int64(offset), None if length is None else np.int32(length)).record_index.tolist() == want


@given(ROWS, st.none() | st.integers(-20, 20), st.none() | st.integers(-20, 20))
def test_rows_by_a_python_slice_are_the_lists(rows: tuple[int, frozenset[int]], start: int | None, stop: int | None) -> None:
    batch, kept = _batch(*rows)
    want = kept[start:stop]
    part = batch[start:stop]
    assert part.record_index.tolist() == want
    assert [row["_id"] for row in part.to_rows()] == want


@given(ROWS, OFFSETS, st.integers(-20, -1))
def test_a_negative_length_is_refused(rows: tuple[int, frozenset[int]], offset: int, length: int) -> None:
    batch, _kept = _batch(*rows)
    with pytest.raises(mapper.OptionError, match=r"length must be a whole number of rows, at least 0"):
        batch.slice(offset, length)


KEYED = mapper.compile_sink(
    {
        "primary_key_fields": ["name"],
        "allow_missing_fields": True,
        "definition": [{"name": "name", "path": ["name"], "type": "string"}, {"name": "i", "path": ["i"], "type": "int"}],
    }
)


@functools.cache
def _keyed(n: int, refused: frozenset[int], text: bool) -> tuple[mapper.Batch, list[str]]:
    """As :func:`_batch`, of string ids (a primary key), read from NDJSON text (``text``: ids held as UTF-8) or from dicts."""
    records = [{"name": f"n{r}é", "i": "x" if r in refused else r} for r in range(n)]
    source: Any = "".join(json.dumps(r) + "\n" for r in records).encode() if text else records
    return KEYED.map(source, on_error="skip"), [f"n{r}é" for r in range(n) if r not in refused]


@given(ROWS, OFFSETS, LENGTHS, st.booleans())
def test_slice_of_string_ids_takes_the_rows_polars_takes(rows: tuple[int, frozenset[int]], offset: int, length: int | None, text: bool) -> None:
    batch, kept = _keyed(*rows, text)
    want = pl.DataFrame({"r": kept}, schema={"r": pl.String}).slice(offset, length)["r"].to_list()
    part = batch.slice(offset, length)
    assert part.ids.tolist() == want
    assert [row["_id"] for row in part.to_rows()] == want
    assert part.to_arrow().column("_id").to_pylist() == want
