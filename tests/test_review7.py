"""Review of the session's change (review7): a checkpoint too deep to read, and the helpers merged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mapper
from mapper.batch import RECORDS_KEY
from mapper.errors import InputError, and_list
from mapper.send import Checkpoint

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "aircraft"


def test_checkpoint_nested_too_deep_is_an_input_error(tmp_path):
    # orjson refuses it (depth), and json, read after it for an escaped file name, raised RecursionError: a traceback
    path = tmp_path / "c.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    cp = Checkpoint(str(path))
    try:
        with pytest.raises(InputError, match="cannot read the checkpoint"):
            cp.load()
    finally:
        cp.release()


def test_and_list():
    assert and_list(["a"]) == "a"
    assert and_list(["a", "b"]) == "a and b"
    assert and_list(["a", "b", "c"]) == "a, b and c"


@pytest.mark.parametrize(
    ("records", "said"),
    [
        (10**15, "too many to list"),  # (numpy's MemoryError: 7 PiB for the indices of the refused ones)
        (2**70, "more than a record index"),  # (numpy's "Maximum allowed size exceeded")
    ],
)
def test_read_batch_refuses_a_file_saying_absurdly_many_records(tmp_path, records, said):
    pq = pytest.importorskip("pyarrow.parquet")
    m = mapper.compile_sink(json.loads((EXAMPLES / "sink.json").read_text()))
    table = m.map((EXAMPLES / "records.ndjson").read_bytes()).to_arrow()
    rows = table.num_rows
    meta = {**table.schema.metadata, RECORDS_KEY: json.dumps({"records": records, "failed_records": records - rows}).encode()}
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "b.parquet")
    with pytest.raises(InputError, match=said):
        mapper.read_batch(tmp_path / "b.parquet")
