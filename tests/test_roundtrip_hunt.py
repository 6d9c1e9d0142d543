"""A hunt over the round trip batch -> file -> batch: foreign, mislabelled and hostile files
given to ``read_batch`` must be refused in mapper's own words, naming the file and what it is,
and never loaded unsafely (an ``.npz`` is read with ``allow_pickle=False``)."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sinks import column, schema

import mapper
from mapper import writers

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

SINK = schema(column("rid", "id"), column("c", "int"), column("s", "string"), id_field="rid")
RECORDS = b'{"rid": 1, "c": 2, "s": "x"}\n{"rid": 2, "c": null}\n{"rid": 3}\n'


def _batch() -> mapper.Batch:
    return mapper.compile_sink(SINK).map(RECORDS)


def _written(tmp: Path, ext: str) -> Path:
    out = tmp / f"ok.{ext}"
    getattr(writers, f"write_{ext}")(_batch(), str(out))
    return out


def _refused(path: Path) -> str:
    with pytest.raises(mapper.MapperError) as info:
        mapper.read_batch(path)
    message = str(info.value)
    assert str(path) in message
    return message


class _Planted:
    """Unpickling it writes a file: a pickle read by mistake would leave it there."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self) -> Any:
        return (Path.write_text, (Path(self.marker), "unpickled"))


FORMATS = {"npz": "a zip archive (as an .npz is)", "arrow": "an Arrow IPC file", "parquet": "a Parquet file"}


@pytest.mark.parametrize("written", ["npz", "arrow", "parquet"])
@pytest.mark.parametrize("named", ["npz", "arrow", "parquet"])
def test_a_file_named_for_another_format_is_said_to_be_what_it_is(tmp_path: Path, written: str, named: str) -> None:
    if written == named:
        return
    wrong = tmp_path / f"batch.{named}"
    shutil.copy(_written(tmp_path, written), wrong)
    message = _refused(wrong)
    assert FORMATS[written] in message, message
    assert f"rename it batch.{written}" in message, message
    assert "pickle" not in message, message


@pytest.mark.parametrize("written", ["npz", "arrow", "parquet"])
def test_a_file_whose_name_says_no_format_is_said_to_be_what_its_content_is(tmp_path: Path, written: str) -> None:
    unnamed = tmp_path / "batch.bin"
    shutil.copy(_written(tmp_path, written), unnamed)
    message = _refused(unnamed)
    assert "cannot tell the format" in message
    assert FORMATS[written] in message and f"name it batch.{written}" in message, message


def test_ndjson_rows_are_said_to_be_rows_read_batch_does_not_read(tmp_path: Path) -> None:
    out = tmp_path / "rows.ndjson"
    writers.write_ndjson(_batch(), str(out))
    message = _refused(out)
    assert "canonical rows" in message and "_record_index" in message, message


def test_a_pickle_named_npz_is_refused_never_unpickled_nor_said_loadable_unsafely(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled.txt"
    planted = tmp_path / "batch.npz"
    planted.write_bytes(pickle.dumps(_Planted(str(marker))))
    message = _refused(planted)
    assert not marker.exists()
    assert "a Python pickle" in message and "never" in message, message
    assert "allow_pickle" not in message and "trust" not in message, message


def test_an_npz_member_holding_python_objects_is_refused_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled.txt"
    good = _written(tmp_path, "npz")
    with np.load(good, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["c"] = np.array([_Planted(str(marker)), None, None], dtype=object)
    planted = tmp_path / "planted.npz"
    np.savez(planted, **arrays)  # (numpy pickles an object array into its .npy member)
    message = _refused(planted)
    assert not marker.exists()
    assert "'c'" in message and "Python objects" in message and "never" in message, message
    assert "damaged or cut short" not in message and "allow_pickle" not in message, message


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_other_files_named_for_a_batch_say_what_they_are_not_a_reader_s_words(tmp_path: Path, ext: str) -> None:
    npy = tmp_path / "one.npy"
    np.save(npy, np.arange(3))
    for content, says in (
        (b'{"_id": 1}\n', "its first bytes say it is JSON text"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "its first bytes say it is gzip-compressed"),
        (npy.read_bytes(), "its first bytes say it is one .npy array"),
        (pickle.dumps([1, 2]), "its first bytes say it is a Python pickle (read_batch never loads one"),
    ):
        path = tmp_path / f"x.{ext}"
        path.write_bytes(content)
        message = _refused(path)
        assert says in message and f"not {writers._FORMATS['.' + ext]} as its name says" in message, message
        assert "rename" not in message and "allow_pickle" not in message and "trust" not in message, message


def test_garbage_named_npz_is_no_zip_archive_not_numpy_s_pickle_advice(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    path.write_bytes(b"\x00" * 100)
    message = _refused(path)
    assert "it is not a zip archive; an .npz is a zip of .npy arrays" in message, message
    assert "allow_pickle" not in message and "trust" not in message, message


def test_a_file_written_by_mapper_still_reads_by_its_own_name(tmp_path: Path) -> None:
    for ext in ("npz", "arrow", "parquet"):
        assert mapper.read_batch(_written(tmp_path, ext)).to_rows() == _batch().to_rows()
    stream = tmp_path / "stream.arrow"  # (an IPC stream, as to_arrow() may be saved: no magic of its own)
    table = _batch().to_arrow()
    with pa.ipc.new_stream(str(stream), table.schema) as w:
        w.write_table(table)
    assert mapper.read_batch(stream).to_rows() == _batch().to_rows()
    assert json.loads(mapper.read_batch(stream).to_arrow().schema.metadata[b"mapper.sink"]) == _batch().sink.to_body()
    assert os.path.exists(stream)


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet", "ndjson"])
def test_an_output_named_only_by_its_extension_is_written_in_that_format(tmp_path: Path, ext: str) -> None:
    out = tmp_path / f".{ext}"  # (a dot file to Path.suffix, which found no extension: "cannot tell the output format of '.npz': use .npz")
    getattr(writers, f"write_{ext}")(_batch(), str(out))
    if ext == "ndjson":
        assert [json.loads(line) for line in out.read_bytes().splitlines()] == _batch().to_rows()
    else:
        assert mapper.read_batch(out).to_rows() == _batch().to_rows()


def _npz_with_header(tmp: Path, edit: Any) -> Path:
    arrays = writers.npz_arrays(_batch())
    header = json.loads(str(arrays["__header__"]))
    arrays["__header__"] = np.array(json.dumps(edit(header)))
    out = tmp / "edited.npz"
    np.savez(out, **arrays)
    return out


@pytest.mark.parametrize("item", ["name", "key"])
@pytest.mark.parametrize("held", [None, 5, [], {"a": 1}])
def test_an_npz_header_naming_a_column_by_no_string_is_refused_in_mapper_s_words(tmp_path: Path, item: str, held: Any) -> None:
    def edit(header: dict[str, Any]) -> dict[str, Any]:
        header["columns"][0][item] = held
        return header

    message = _refused(_npz_with_header(tmp_path, edit))
    assert f"its header's entry for column 1 has {item!r} of the wrong kind ({type(held).__name__}, not a string)" in message, message


@pytest.mark.parametrize("header", [5, [], "x", None])
def test_an_npz_header_that_is_no_object_is_not_said_to_be_an_older_mapper_s(tmp_path: Path, header: Any) -> None:
    message = _refused(_npz_with_header(tmp_path, lambda _: header))
    assert "older mapper" not in message and "not the object mapper writes" in message, message


@pytest.mark.parametrize("held", [[], ["c.present"], {"a": 1}, None, 5])
def test_arrow_metadata_naming_a_presence_field_by_no_string_is_refused_in_mapper_s_words(tmp_path: Path, held: Any) -> None:
    table = _batch().to_arrow()
    meta = dict(table.schema.metadata)
    fields = json.loads(meta[b"mapper.fields"])
    fields["presence"]["c"] = held
    meta[b"mapper.fields"] = json.dumps(fields).encode()
    out = tmp_path / "edited.parquet"
    pq.write_table(table.replace_schema_metadata(meta), out)
    message = _refused(out)
    assert "names mapper's fields wrongly (mapper.fields): the presence of column 'c' is" in message, message
    assert "not a field's name" in message and "unhashable" not in message, message


def _read_in_time(path: Path) -> str:
    """read_batch's message for ``path``, or fail if it has not answered within 5 s (a FIFO's
    open waits for a writer: it is given one, which writes nothing, so the thread ends)."""
    said: list[str] = []

    def run() -> None:
        try:
            mapper.read_batch(path)
        except mapper.MapperError as exc:
            said.append(str(exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # (let the blocked open through)
        thread.join(5)
        pytest.fail(f"read_batch({path}) waited for a writer")
    assert said, "read_batch read a batch from it"
    return said[0]


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_a_fifo_or_a_device_is_refused_at_once_as_no_regular_file(tmp_path: Path, ext: str) -> None:
    fifo = tmp_path / f"fifo.{ext}"
    os.mkfifo(fifo)
    message = _read_in_time(fifo)
    assert str(fifo) in message and "a FIFO, not a regular file" in message, message
    device = tmp_path / f"zero.{ext}"
    device.symlink_to(os.devnull)
    message = _read_in_time(device)
    assert str(device) in message and "a device, not a regular file" in message and "empty" not in message, message


def test_a_file_named_only_by_another_format_s_extension_is_told_that_format_s(tmp_path: Path) -> None:
    wrong = tmp_path / ".npz"
    shutil.copy(_written(tmp_path, "parquet"), wrong)
    message = _refused(wrong)
    assert message.endswith("as its name says: rename it .parquet"), message


def test_a_fifo_named_for_no_format_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.bin"  # (what its first bytes say is not read: a FIFO's open waits for a writer)
    os.mkfifo(fifo)
    message = _read_in_time(fifo)
    assert "cannot tell the format" in message, message
