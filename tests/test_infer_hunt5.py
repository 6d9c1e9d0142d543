"""Found by a hunt running infer -> check -> validate -> map -> read_batch on the real corpora
in ../shared/data (read in place, never copied; the real-data test skips when it is absent)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import mapper
from mapper import writers

pytest.importorskip("pyarrow.parquet")

DATA = Path(os.environ.get("MAPPER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _wide_batch(columns: int) -> mapper.Batch:
    definition = [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"c{i}", "path": [f"c{i}"], "type": "string"} for i in range(columns)]
    sink = {"id_field": "id", "allow_missing_fields": True, "definition": definition}
    record = b'{"id": %d, ' + b", ".join(b'"c%d": "v"' % i for i in range(columns)) + b"}\n"
    return mapper.compile_sink(sink).map(b"".join(record % n for n in range(3)))


@pytest.mark.parametrize("ext", ["parquet", "arrow"])
def test_read_batch_of_a_wide_file_takes_time_in_its_columns_not_their_square(ext: str, tmp_path: Path) -> None:
    # the draft of all 273 GitHub webhook payloads has 2,962 columns: its 268-row Parquet file
    # took 20 s to read back (3.6 s to map), as each column asked pyarrow for the list of the
    # table's 5,924 field names (2.8 ms each) to look itself and its presence field up in it
    batch = _wide_batch(2000)
    path = tmp_path / f"x.{ext}"
    (writers.write_parquet if ext == "parquet" else writers.write_arrow)(batch, str(path))
    start = time.perf_counter()
    back = mapper.read_batch(path)
    took = time.perf_counter() - start
    assert back.count == 3 and back.to_rows()[2]["c1999"] == "v"
    assert took < 3.0, f"read_batch of 2,000 columns took {took:.1f} s"
