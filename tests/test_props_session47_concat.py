"""Property: a batch cut into slices, each kept in memory, pickled, written to a file
(``.npz``, ``.arrow``, ``.parquet``) or pickled then written, and its string columns given
as objects (``col.stored = objects``) or left as mapped, joins back (:func:`mapper.concat`)
into the batch: its record indices, each column's values, nulls and presence, and the
report's counts. The oracle is the records generated: which were refused (an ``i`` that is no
int) and so which input indices the rows have. And a whole input's batch written twice (mapped
twice) gives the same bytes (``.npz``, ``.arrow``, ``.parquet``): only a file of part of an
input names its input (a random token)."""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sinks import column, schema

import mapper
from mapper.errors import OutputError
from mapper.writers import write_arrow, write_npz, write_parquet

pytest.importorskip("pyarrow")
pytest.importorskip("pyarrow.parquet")

SINK = schema(column("k", "id"), column("i", "int"), column("s", "string"), column("ss", "strings"), column("b", "bool"), id_field="k")
M = mapper.compile_sink(SINK)
WRITERS: dict[str, Callable[[mapper.Batch, Path], None]] = {".npz": write_npz, ".arrow": write_arrow, ".parquet": write_parquet}
ROADS = ("memory", "pickle", ".npz", ".arrow", ".parquet", "pickle .npz", "pickle .arrow")
STRINGS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
MISSING = object()


def _field(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(MISSING), st.none(), values)


RECORD = st.fixed_dictionaries(
    {
        "i": _field(st.integers(-(2**40), 2**40) | st.just("bad")),
        "s": _field(STRINGS),
        "ss": _field(st.lists(STRINGS, max_size=3)),
        "b": _field(st.booleans()),
    }
)


def _records(draw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"k": n, **{key: value for key, value in rec.items() if value is not MISSING}} for n, rec in enumerate(draw)]


def _kept(records: list[dict[str, Any]]) -> list[int]:
    """The input indices of the records stored: not those whose ``i`` is no int, nor those whose
    ``ss`` is null (a null a `strings` column cannot take: refused, as the docs say)."""
    return [n for n, rec in enumerate(records) if rec.get("i") != "bad" and not ("ss" in rec and rec["ss"] is None)]


def _columns(batch: mapper.Batch) -> dict[str, Any]:
    """Each column's values (by row: None where no value is stored), null mask and presence mask, and the ids."""
    out: dict[str, Any] = {"_id": batch.ids.tolist(), "_record_index": batch.record_index.tolist()}
    for name, col in batch.columns.items():
        values = col.values.tolist()
        if col.offsets is not None:
            values = [values[a:b] for a, b in zip(col.offsets[:-1].tolist(), col.offsets[1:].tolist())]
        out[name] = ([v if ok else None for v, ok in zip(values, col.valid.tolist())], col.valid.tolist(), col.present.tolist())
    return out


def _as_objects(part: mapper.Batch) -> None:
    """Gives each string column of ``part`` its values as objects (a hand-edited column's form)."""
    for name in ("s", "ss"):
        col = part.columns[name]
        col.stored = np.array(col.values.tolist(), dtype=object)


def _through(part: mapper.Batch, road: str, where: Path) -> mapper.Batch:
    if road.startswith("pickle"):
        part = pickle.loads(pickle.dumps(part))
        road = road.removeprefix("pickle").strip() or "memory"
    if road == "memory":
        return part
    WRITERS[road](part, where.with_suffix(road))
    return mapper.read_batch(where.with_suffix(road))


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(RECORD, max_size=12),
    st.lists(st.integers(0, 12), max_size=4),
    st.lists(st.sampled_from(ROADS), min_size=5, max_size=5),
    st.lists(st.booleans(), min_size=5, max_size=5),
)
@example(
    [{"i": 1, "s": "a", "ss": MISSING, "b": MISSING}, {"i": "bad", "s": MISSING, "ss": ["x"], "b": True}] * 3,
    [2, 3, 3],
    [".npz", ".arrow", ".parquet", "pickle .npz", "memory"],
    [False, True, False, True, False],
)
@example(
    [{"i": 1, "s": "a", "ss": MISSING, "b": MISSING}], [1], [".npz", "memory", "memory", "memory", "memory"], [False] * 5
)  # (a slice of every row in a file, an empty one beside)
@example(
    [{"i": "bad", "s": "a", "ss": MISSING, "b": MISSING}], [0], [".arrow", ".parquet", "memory", "memory", "memory"], [False] * 5
)  # (no rows: every slice in a file)
def test_slices_through_any_road_join_back_into_their_batch(draw: list[dict[str, Any]], cuts: list[int], roads: list[str], objects: list[bool]) -> None:
    records = _records(draw)
    whole = M.map(records, on_error="skip")
    kept = _kept(records)
    assert whole.record_index.tolist() == kept  # (the oracle: the records generated)
    bounds = [0, *sorted(min(c, len(whole)) for c in cuts), len(whole)]
    want = _columns(whole)
    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
            part = _through(whole[a:b], roads[k], Path(tmp) / f"part{k}")
            if objects[k]:
                _as_objects(part)
            parts.append(part)
        joined = mapper.concat(parts)
    assert _columns(joined) == want, (roads, bounds)
    assert (joined.report.records, joined.report.failed_records) == (len(records), len(records) - len(kept)), (roads, bounds)
    assert joined.equals(whole)
    assert [r["_id"] for r in joined.to_rows()] == kept


@settings(max_examples=25)
@given(st.lists(RECORD, max_size=8), st.sampled_from(sorted(WRITERS)))
def test_a_whole_input_written_twice_is_the_same_bytes(draw: list[dict[str, Any]], ext: str) -> None:
    records = _records(draw)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"{n}{ext}" for n in range(3)]
        first = M.map(records, on_error="skip")
        WRITERS[ext](first, paths[0])
        WRITERS[ext](M.map(records, on_error="skip"), paths[1])  # (mapped again: another report)
        WRITERS[ext](first, paths[2])  # (the same batch again)
        data = [p.read_bytes() for p in paths]
        assert data[0] == data[1] == data[2]
        back = mapper.read_batch(paths[0])
    assert _columns(back) == _columns(first)
    assert (back.report.records, back.report.failed_records) == (first.report.records, first.report.failed_records)


@settings(max_examples=25)
@given(st.lists(RECORD, min_size=1, max_size=8), st.integers(0, 8), st.sampled_from(["s", "ss"]))
def test_a_string_columns_arrays_are_read_only_and_stored_edits_are_seen(draw: list[dict[str, Any]], row: int, name: str) -> None:
    records = _records(draw)
    batch = M.map(records, on_error="skip")
    col = batch.columns[name]
    arrays = [col.values]
    if isinstance(col.stored, mapper.batch.Strings):
        arrays += list(col.utf8)
    for arr in arrays:
        if len(arr):
            with pytest.raises(ValueError, match="read-only"):
                arr[min(row, len(arr) - 1)] = arr[0]
    # an edit given as col.stored is the column's one form: to_rows, to_arrow and files agree
    if not len(col.values):
        return
    edited = np.array([f"<{v}>" for v in col.values.tolist()], dtype=object)
    col.stored = edited
    rows = batch.to_rows()
    table = batch.to_arrow()
    with tempfile.TemporaryDirectory() as tmp:
        write_npz(batch, Path(tmp) / "e.npz")
        back = mapper.read_batch(Path(tmp) / "e.npz")
    seen = [r.get(name) for r in rows]
    assert all(v is None or (isinstance(v, str) and v.startswith("<")) or (isinstance(v, list) and all(x.startswith("<") for x in v)) for v in seen)
    assert [r.get(name) for r in back.to_rows()] == seen
    assert [v for v in table.column(name).to_pylist()] == [v if col.valid[n] else None for n, v in enumerate(seen)]


@pytest.mark.parametrize("ext", sorted(WRITERS))
def test_a_full_slice_in_a_file_joins_its_empty_siblings(tmp_path: Path, ext: str) -> None:
    """Chunks of 1,000 rows of a batch of 2 (``[b[i:i + 1000] for i in range(0, 3000, 1000)]``),
    each written to a file: the first holds every row and, as a whole input's file, named no
    input; the empty ones named it, so read back they were another input and its records counted twice."""
    whole = M.map([{"k": 0}, {"k": 1, "i": "bad"}, {"k": 2}], on_error="skip")
    parts = [whole[i : i + 1000] for i in range(0, 3000, 1000)]
    for k, part in enumerate(parts):
        WRITERS[ext](part, tmp_path / f"{k}{ext}")
    back = [mapper.read_batch(tmp_path / f"{k}{ext}") for k in range(3)]
    joined = mapper.concat(back)
    assert (joined.report.records, joined.report.failed_records) == (3, 1)
    assert joined.equals(whole)
    # written again from the file read back (its first part), it names its input still
    WRITERS[ext](back[0], tmp_path / f"again{ext}")
    again = mapper.concat([mapper.read_batch(tmp_path / f"again{ext}"), back[1], back[2]])
    assert (again.report.records, again.report.failed_records) == (3, 1)
    # pickled, and as one batch's concat, a slice is one still
    for part in (pickle.loads(pickle.dumps(parts[0])), mapper.concat([parts[0]])):
        WRITERS[ext](part, tmp_path / f"p{ext}")
        assert mapper.concat([mapper.read_batch(tmp_path / f"p{ext}"), back[1]]).report.records == 3
    # the batch as mapped names none: the same bytes each time
    WRITERS[ext](whole, tmp_path / f"w1{ext}")
    WRITERS[ext](M.map([{"k": 0}, {"k": 1, "i": "bad"}, {"k": 2}], on_error="skip"), tmp_path / f"w2{ext}")
    assert (tmp_path / f"w1{ext}").read_bytes() == (tmp_path / f"w2{ext}").read_bytes()


NOT_STR = st.one_of(st.integers(), st.binary(max_size=3), st.floats(allow_nan=False), st.booleans(), st.none())


@settings(max_examples=40)
@given(st.lists(RECORD, min_size=1, max_size=8), st.sampled_from(["s", "ss"]), st.data())
@example([{"i": 1, "s": "a", "ss": ["x"], "b": MISSING}], "s", None)  # (an int in row 0: to_rows gave it, write_npz raised numpy's TypeError naming no column)
def test_a_string_column_given_objects_that_are_no_str_is_refused_naming_the_row(draw: list[dict[str, Any]], name: str, data: Any) -> None:
    """``col.stored = objects`` of a string column where a stored value (a row's, or a set's
    element) is no str: every reader and writer refuses it naming the column and the place (to_rows
    gave the int as the value, write_npz raised "sequence item 0: expected str instance, int found")."""
    batch = M.map(_records(draw), on_error="skip")
    col = batch.columns[name]
    objects = np.array(col.values.tolist(), dtype=object)
    places = range(len(objects)) if col.offsets is not None else np.flatnonzero(col.valid).tolist()
    if not len(places):
        return
    at, bad = (places[0], 7) if data is None else (data.draw(st.sampled_from(list(places))), data.draw(NOT_STR))
    objects[at] = bad
    col.stored = objects
    place = f"{'element' if col.offsets is not None else 'row'} {at} (counting from 0) holds"
    with tempfile.TemporaryDirectory() as tmp:
        for what, call in (
            ("to_rows", batch.to_rows),
            ("to_arrow", batch.to_arrow),
            ("npz", lambda: write_npz(batch, Path(tmp) / "x.npz")),
            ("arrow", lambda: write_arrow(batch, Path(tmp) / "x.arrow")),
            ("concat", lambda: mapper.concat([batch, batch])),
        ):
            with pytest.raises(OutputError) as refused:
                call()
            assert f"column {name!r} cannot be read: {place}" in str(refused.value), (what, refused.value)


@given(st.lists(STRINGS, min_size=1, max_size=4), st.data())
def test_string_ids_given_objects_that_are_no_str_are_refused(keys: list[str], data: Any) -> None:
    m = mapper.compile_sink(schema(column("a", "string"), primary_key_fields=["a"]))
    batch = m.map([{"a": k} for k in keys], on_error="skip")
    ids = np.array(batch.ids.tolist(), dtype=object)
    if not len(ids):
        return
    at = data.draw(st.integers(0, len(ids) - 1))
    ids[at] = data.draw(NOT_STR)
    with pytest.raises(OutputError, match=rf"the batch's _id cannot be set so: row {at} \(counting from 0\) holds"):
        batch.ids = ids
    batch.ids = np.array([str(k) for k in ids.tolist()], dtype=object)  # (str ids are taken)
    assert [r["_id"] for r in batch.to_rows()] == [str(k) for k in ids.tolist()]
