"""One record, one verdict, whichever way it comes in: a dict or its JSON text (bytes or str),
alone (``Mapper.check``), in a batch (``validate``/``map``) or through ``Batcher.add``; and a
batch read back from a file another tool wrote as from mapper's own."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import mapper


def _sink(definition: list[dict[str, Any]], **schema: Any) -> str:
    body = {"type": "json", "allow_missing_fields": True, "definition": definition}
    body.update(schema or {"id_field": "id"})
    if "primary_key_fields" in body:
        body.pop("id_field", None)
    return json.dumps({"name": "odd", "sink_details": {"database_id": "x", "table": "t"}, "schema": body})


def _pyarrow() -> Any:
    if os.environ.get("MAPPER_REQUIRE_EXTRAS") == "1":
        return __import__("pyarrow")
    return pytest.importorskip("pyarrow")


# --- read_batch of a file whose strings are dictionary-encoded --------------------------------


def _dictionary_encoded(table: Any, names: list[str], pa: Any, index: Any) -> Any:
    """``table`` with the fields ``names`` dictionary-encoded, as another tool may write them."""
    for name in names:
        i = table.column_names.index(name)
        field = table.schema.field(i)
        if pa.types.is_list(field.type):
            col = table.column(name).combine_chunks()
            values = col.values.dictionary_encode().cast(pa.dictionary(index, pa.string()))
            encoded = pa.ListArray.from_arrays(col.offsets, values, mask=col.is_null())
        else:
            encoded = table.column(name).combine_chunks().dictionary_encode().cast(pa.dictionary(index, field.type))
        table = table.set_column(i, field.with_type(encoded.type), encoded)
    return table


@pytest.mark.parametrize("ext", ["arrow", "parquet"])
@pytest.mark.parametrize("fields", [["_id"], ["s"], ["ss"], ["_id", "s", "ss"]])
def test_read_batch_takes_dictionary_encoded_strings_as_the_strings(tmp_path: Path, ext: str, fields: list[str]) -> None:
    pa = _pyarrow()
    import pyarrow.ipc
    import pyarrow.parquet as pq

    sink = _sink(
        [{"name": "k", "path": ["k"], "type": "string"}, {"name": "s", "path": ["s"], "type": "string"}, {"name": "ss", "path": ["ss"], "type": "strings"}],
        primary_key_fields=["k"],
    )
    recs = [{"k": "a", "s": "x", "ss": ["p", "q"]}, {"k": "b", "s": "x"}, {"k": "c", "s": None, "ss": ["p"]}, {"k": "é😀", "s": "ü", "ss": []}]
    batch = mapper.compile_sink(sink).map(recs)
    table = _dictionary_encoded(batch.to_arrow(), fields, pa, pa.int8() if ext == "arrow" else pa.int32())
    assert all(pa.types.is_dictionary(table.schema.field(f).type) or pa.types.is_dictionary(table.schema.field(f).type.value_type) for f in fields)
    path = tmp_path / f"foreign.{ext}"
    if ext == "arrow":
        with pyarrow.ipc.new_file(path, table.schema) as out:
            out.write_table(table)
    else:
        pq.write_table(table, path, row_group_size=2)  # (two row groups: each chunk its own dictionary)
    back = mapper.read_batch(path)
    assert back.to_rows() == batch.to_rows()
    assert list(back.ids) == ["a", "b", "c", "é😀"]
    assert back["s"].values.tolist() == batch["s"].values.tolist()
