"""Each column type says what its stored numbers mean (``ColumnType.meaning``), and
``Batch.to_arrow`` puts it on each column's field: a table a user saves carries it, and
``read_batch`` of that file holds it against the sink the file names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mapper
from mapper.writers import MEANING_KEY
from tests.test_properties import FULL_SINK


def _ctype(type_: str, **config: Any) -> Any:
    """The column type of a ``type_`` column ``c`` with ``config``."""
    sink = {
        "primary_key_fields": ["rid"],
        "allow_missing_fields": True,
        "definition": [FULL_SINK["definition"][0], {"name": "c", "path": ["c"], "type": type_, "config": config}],
    }
    return mapper.compile_sink(sink).map([{"id": "a"}])["c"].ctype


@pytest.mark.parametrize(
    "type_, config, said",
    [
        ("int", {}, {"type": "int"}),
        ("string", {}, {"type": "string"}),
        ("decimal", {"Scale": 2}, {"type": "decimal", "scale": 2}),
        ("timestamp", {"Granularity": "ms"}, {"type": "timestamp", "unit": "ms"}),
        ("dateInt", {"Unit": "D"}, {"type": "dateInt", "unit": "d", "epoch": "1970-01-01T00:00:00Z"}),
        (
            "dateInt",
            {"Unit": "c", "CustomUnit": "1.5s", "Epoch": "2000-01-01T00:00:00.25+01:00"},
            {"type": "dateInt", "unit": "c", "custom_unit_ns": 1_500_000_000, "epoch": "1999-12-31T23:00:00.250000000Z"},
        ),
    ],
)
def test_each_type_says_what_its_stored_numbers_mean(type_: str, config: dict[str, Any], said: dict[str, Any]) -> None:
    ctype = _ctype(type_, **config)
    assert ctype.meaning() == said
    json.dumps(said)  # (written as JSON beside the values)


def _saved(tmp_path: Path, edit_sink: Any = None) -> Path:
    """The batch of FULL_SINK's two records as a user saves ``batch.to_arrow()`` with pyarrow (the sink in its metadata edited by ``edit_sink``)."""
    pq = pytest.importorskip("pyarrow.parquet")
    batch = mapper.compile_sink(FULL_SINK).map([{"id": "a", "e": {"di": "2022-08-08"}}, {"id": "b", "e": {"di": "1970-01-02"}}])
    table = batch.to_arrow()
    if edit_sink is not None:
        sink = json.loads(table.schema.metadata[b"mapper.sink"])
        edit_sink(sink)
        table = table.replace_schema_metadata({**table.schema.metadata, b"mapper.sink": json.dumps(sink).encode()})
    pq.write_table(table, tmp_path / "saved.parquet")
    return tmp_path / "saved.parquet"


def test_batch_to_arrow_fields_say_what_the_numbers_mean() -> None:
    pytest.importorskip("pyarrow")
    batch = mapper.compile_sink(FULL_SINK).map([{"id": "a", "d": {"dec": 1.5}}])
    schema = batch.to_arrow().schema
    for name, col in batch.columns.items():
        assert json.loads(schema.field(name).metadata[MEANING_KEY]) == col.ctype.meaning()
    assert schema.field("_id").metadata is None and schema.field("dec.present").metadata is None


def _di_config(key: str, value: Any) -> Any:
    def edit(sink: dict[str, Any]) -> None:
        column = next(c for c in sink["schema"]["definition"] if c["name"] == "di")
        column.setdefault("config", {})[key] = value

    return edit


@pytest.mark.parametrize(
    "edit, words",
    [
        # counts of seconds read as counts of days: 2022-08-08 would mean a date 86,400 times as far
        (_di_config("Unit", "D"), "unit 's' (its sink: 'd')"),
        (_di_config("Epoch", "2000-01-01T00:00:00Z"), "epoch '1970-01-01T00:00:00Z' (its sink: '2000-01-01T00:00:00Z')"),
    ],
)
def test_read_batch_of_a_table_saved_from_to_arrow_checks_what_its_numbers_mean(tmp_path: Path, edit: Any, words: str) -> None:
    # Batch.to_arrow wrote no field metadata (only mapper's own writer added it): a table a
    # user saved, its sink then edited, read back with every dateInt meaning another date
    back = mapper.read_batch(_saved(tmp_path))
    assert [r.get("di") for r in back.to_rows()] == [1_659_916_800, 86_400]  # (seconds since the Epoch, the default Unit)
    path = _saved(tmp_path, edit)
    with pytest.raises(mapper.InputError) as caught:
        mapper.read_batch(path)
    assert "column 'di'" in str(caught.value) and words in str(caught.value), str(caught.value)


def test_the_writer_and_to_arrow_write_the_same_schema(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    batch = mapper.compile_sink(FULL_SINK).map([{"id": "a", "d": {"dec": 1.5}}])
    w = mapper.writers.open_writer(str(tmp_path / "b.arrow"))
    w.write(batch)
    w.close()
    with pa.memory_map(str(tmp_path / "b.arrow")) as source:
        written = pa.ipc.open_file(source).schema
    # (but for the input records the batch covers, which the file says of all its parts at its end)
    own = batch.to_arrow().schema
    assert b"mapper.records" in own.metadata and b"mapper.records" not in written.metadata
    own = own.with_metadata({k: v for k, v in own.metadata.items() if k != b"mapper.records"})
    assert written.equals(own, check_metadata=True)
    assert np.array_equal(mapper.read_batch(tmp_path / "b.arrow").ids, batch.ids)
