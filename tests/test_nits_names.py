"""The names read_batch and the writers suggest for a file named with a compression suffix."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

import mapper
from mapper.errors import InputError, OutputError
from mapper.writers import open_writer

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORD = {
    "record_id": "r1",
    "id": "r1",
    "timestamp": 1659981468260,
    "data": {"aircraftId": "A", "lat": 1.0, "long": 2.0, "track": 1, "altitude": 5, "speed": 400, "type": "B", "reg": "G"},
}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("names")
    batch = mapper.compile_sink(SINK).map(json.dumps(RECORD).encode(), on_error="skip")
    for ext in ("npz", "arrow", "parquet"):
        w = open_writer(str(d / f"w.{ext}"))
        w.write(batch)
        w.close()
    return d


def _refused(path: Path) -> str:
    with pytest.raises(InputError) as info:
        mapper.read_batch(path)
    return str(info.value)


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
@pytest.mark.parametrize("packed", [".gz", ".zst"])
def test_a_batch_named_with_a_compression_suffix_is_told_its_own_name(written: Path, ext: str, packed: str) -> None:
    # said "name it w.parquet.parquet"
    named = written / f"w.{ext}{packed}"
    shutil.copy(written / f"w.{ext}", named)
    message = _refused(named)
    assert message.endswith(f": name it w.{ext}"), message


def test_a_batch_named_as_another_format_after_its_own_is_told_its_own_name(written: Path) -> None:
    named = written / "w.parquet.arrow"  # (a Parquet file: "rename it w.parquet.parquet")
    shutil.copy(written / "w.parquet", named)
    message = _refused(named)
    assert message.endswith("as its name says: rename it w.parquet"), message


def test_a_compressed_batch_is_told_to_be_unpacked(written: Path) -> None:
    named = written / "z.npz.gz"
    named.write_bytes(gzip.compress((written / "w.npz").read_bytes()))
    message = _refused(named)
    assert message.endswith("its content is gzip-compressed: read_batch reads batches uncompressed; unpack it first (gzip -dk z.npz.gz)"), message


@pytest.mark.parametrize(("out", "plain", "tool"), [("o.npz.gz", "o.npz", "gzip"), ("o.ndjson.zst", "o.ndjson", "zstd"), ("o.xz", "o.npz", "xz")])
def test_an_output_named_compressed_is_told_mapper_writes_none(tmp_path: Path, out: str, plain: str, tool: str) -> None:
    # said "cannot tell the output format of 'o.npz.gz': use .npz, ..."
    with pytest.raises(OutputError) as info:
        open_writer(str(tmp_path / out))
    plain_path = tmp_path / plain
    assert str(info.value).endswith(f"mapper writes no {tool}-compressed output; write {plain_path} and compress it afterwards ({tool} {plain_path})"), (
        info.value
    )
    assert not (tmp_path / out).exists()
