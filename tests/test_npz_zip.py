"""``.npz`` files are zips mapper writes itself (``mapper.writers._savez``): each member's header
written once, with its size and CRC (zipfile wrote it, then seeked back to write it again: 3 s
of a 10,000-column batch's write). The members are the bytes ``np.save`` writes, the archive
one zipfile and numpy read, ZIP64 records where sizes, offsets or the count of members need them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sinks import column, schema

import mapper
from mapper import writers
from mapper.writers import npz_pieces, write_npz
from tests.odd_names import odd_named

SINK = schema(
    column("k", "string"),
    column("s", "string"),
    column("n", "int"),
    column("d", "decimal", Scale=2),
    column("t", "timestamp", Granularity="ms"),
    column("ss", "strings"),
    column("ii", "ids"),
    column("b", "bool"),
    column("é", "int", path=["e"]),
    primary_key_fields=["k"],
)
RECORDS = [
    {"k": "a", "s": "x", "n": 1, "d": "1.25", "t": "2022-08-08T17:57:48.260Z", "ss": ["p", "q"], "ii": [1, 2], "b": True, "e": 4},
    {"k": "b", "s": None, "n": 2, "ss": [], "b": False},
    {"k": "ü", "s": "żółw", "n": -3, "d": 7, "ii": [9], "e": 5},
]


@pytest.fixture(scope="module")
def parts() -> list[mapper.Batch]:
    return list(mapper.compile_sink(odd_named(SINK)).iter_batches(RECORDS, records=2))  # ('é': a name FeatureBase refuses, as a Sink built in Python has it)


class _Spy(io.BytesIO):
    seeks = 0

    def seek(self, *args: Any) -> int:
        self.seeks += 1
        return super().seek(*args)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None  # (every member's CRC checked)
        return {name: z.read(name) for name in z.namelist()}


def test_members_are_what_np_save_writes_and_nothing_is_rewritten(parts: list[mapper.Batch]) -> None:
    spy = _Spy()
    writers._savez(spy, npz_pieces(parts))
    assert spy.seeks == 0  # (zipfile seeked back over each member to write its header again)
    expected = {}
    for key, pieces in npz_pieces(parts).items():
        out = io.BytesIO()
        np.save(out, pieces[0] if len(pieces) == 1 else np.concatenate(pieces), allow_pickle=False)
        expected[f"{key}.npy"] = out.getvalue()
    assert _members(spy.getvalue()) == expected


def test_zip64_records_read_back(parts: list[mapper.Batch], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # sizes, offsets and the count of members past their limits (lowered: 4 GiB files are not written here)
    monkeypatch.setattr(writers, "_ZIP64_LIMIT", 40)
    monkeypatch.setattr(writers, "_ZIP_COUNT_LIMIT", 3)
    path = tmp_path / "x.npz"
    whole = mapper.concat(parts)
    write_npz(whole, path)
    data = path.read_bytes()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data  # (the ZIP64 end of directory and its locator)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert any(i.header_offset >= 40 and i.file_size >= 40 for i in z.infolist())
    with np.load(path, allow_pickle=False) as z:
        assert z["n"].tolist() == [1, 2, -3]
    assert mapper.read_batch(path).to_rows() == whole.to_rows()


def test_many_columns_write_without_a_seek_a_member(tmp_path: Path) -> None:
    sink = {
        "id_field": "k",
        "allow_missing_fields": True,
        "definition": [{"name": "k", "path": ["k"], "type": "id"}] + [{"name": f"c{i}", "path": [f"c{i}"], "type": "int"} for i in range(300)],
    }
    batch = mapper.compile_sink(sink).map([{"k": 1, **{f"c{i}": i for i in range(300)}}])
    spy = _Spy()
    writers._savez(spy, npz_pieces([batch]))
    assert spy.seeks == 0
    path = tmp_path / "x.npz"
    path.write_bytes(spy.getvalue())
    assert mapper.read_batch(path).to_rows() == batch.to_rows()
