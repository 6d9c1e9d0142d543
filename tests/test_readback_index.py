"""Batches read back from files join as the batches written did: a file keeps how many input
records its batch covered (refused records after its last row too), and ``concat`` of batches
read back gives the ``record_index`` (and report counts) that of the batches written gives."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from sinks import column, schema

import mapper
from mapper.cli import main
from mapper.errors import InputError
from mapper.writers import write_arrow, write_npz, write_parquet

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

SINK = schema(column("k", "id"), column("i", "int"), id_field="k")
# records 1 and 3 are refused (i is not an int): each batch of two ends with a refused record
RECORDS = [{"k": 1}, {"k": 2, "i": "x"}, {"k": 3}, {"k": 4, "i": "y"}]

RECORDS_KEY = b"mapper.records"  # (mapper.batch.RECORDS_KEY, as files keep it)
WRITERS: dict[str, Callable[[mapper.Batch, Path], None]] = {".npz": write_npz, ".parquet": write_parquet, ".arrow": write_arrow}


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


def _parts(m: mapper.Mapper) -> list[mapper.Batch]:
    return list(m.iter_batches(RECORDS, records=2, on_error="skip"))


@pytest.mark.parametrize("ext", list(WRITERS))
def test_concat_of_batches_read_back_keeps_record_index(m: mapper.Mapper, tmp_path: Path, ext: str) -> None:
    a, b = _parts(m)
    whole = mapper.concat([a, b])
    assert whole.record_index.tolist() == [0, 2]
    WRITERS[ext](a, tmp_path / f"a{ext}")
    WRITERS[ext](b, tmp_path / f"b{ext}")
    ra, rb = mapper.read_batch(tmp_path / f"a{ext}"), mapper.read_batch(tmp_path / f"b{ext}")
    assert (ra.report.records, ra.report.failed_records) == (2, 1)
    assert ra.report.notes == []
    joined = mapper.concat([ra, rb])
    assert joined.record_index.tolist() == [0, 2]
    assert (joined.report.records, joined.report.failed_records, joined.report.success_count) == (4, 2, 2)
    assert joined.report.verdict == whole.report.verdict == "partial"
    assert joined.report.summary() == "partial: 2 of 4 records would be stored, 2 refused"  # (no empty "()": why is not kept)
    assert joined.to_rows() == whole.to_rows()


@pytest.mark.parametrize("ext", list(WRITERS))
def test_a_joined_batch_written_and_read_back_says_all_its_records(m: mapper.Mapper, tmp_path: Path, ext: str) -> None:
    """One file of two inputs (a joined batch): the records of both, and a third input joined after it moves past them."""
    a, b = _parts(m)
    WRITERS[ext](mapper.concat([a, b]), tmp_path / f"ab{ext}")
    back = mapper.read_batch(tmp_path / f"ab{ext}")
    assert (back.report.records, back.report.failed_records) == (4, 2)
    assert mapper.concat([back, back]).record_index.tolist() == [0, 2, 4, 6]


@pytest.mark.parametrize("ext", list(WRITERS))
@pytest.mark.parametrize("workers", [1, 2])
def test_map_command_streaming_keeps_the_records_of_the_run(m: mapper.Mapper, tmp_path: Path, ext: str, workers: int) -> None:
    """``mapper map -o x.parquet`` writes part by part; the file says the run's records, the last one refused included."""
    sink, records = tmp_path / "sink.json", tmp_path / "records.ndjson"
    sink.write_text(json.dumps(SINK))
    records.write_text("".join(json.dumps(r) + "\n" for r in RECORDS * 3))
    out = tmp_path / f"out{ext}"
    assert main(["map", str(sink), str(records), "-o", str(out), "--on-error", "skip", "--workers", str(workers), "-q"]) in (0, 1)
    back = mapper.read_batch(out)
    assert back.record_index.tolist() == [0, 2, 4, 6, 8, 10]
    assert (back.report.records, back.report.failed_records) == (12, 6)
    assert mapper.concat([back, back]).record_index.tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]


def test_arrow_file_other_readers_see_only_the_rows(m: mapper.Mapper, tmp_path: Path) -> None:
    """The record count rides on a last record batch of no rows: another reader reads the rows alone."""
    a, _b = _parts(m)
    write_arrow(a, tmp_path / "a.arrow")
    reader = pa.ipc.open_file(tmp_path / "a.arrow")
    last = reader.get_batch_with_custom_metadata(reader.num_record_batches - 1)
    assert last.batch.num_rows == 0 and json.loads(last.custom_metadata[RECORDS_KEY]) == {
        "records": 2,
        "failed_records": 1,
        "refused": [2],
    }  # (record 1 refused: 2 on from -1)
    assert reader.read_all().num_rows == 1
    assert pq.ParquetFile(_written_parquet(a, tmp_path)).metadata.num_rows == 1


def _written_parquet(batch: mapper.Batch, tmp_path: Path) -> Path:
    out = tmp_path / "x.parquet"
    write_parquet(batch, out)
    return out


def test_parquet_keeps_the_count_in_its_footer(m: mapper.Mapper, tmp_path: Path) -> None:
    a, _b = _parts(m)
    said = pq.ParquetFile(_written_parquet(a, tmp_path)).metadata.metadata
    assert json.loads(said[RECORDS_KEY]) == {"records": 2, "failed_records": 1, "refused": [2]}  # (record 1 refused: 2 on from -1)


def test_parquet_without_footer_metadata_after_open(m: mapper.Mapper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyarrow before 17 cannot add footer metadata at close: one batch's count goes in the schema at
    open; a stream of parts (map -o) then writes a file that does not say it, which still reads."""
    monkeypatch.delattr(pq.ParquetWriter, "add_key_value_metadata", raising=False)
    a, b = _parts(m)
    back = mapper.read_batch(_written_parquet(a, tmp_path))
    assert (back.report.records, back.report.failed_records) == (2, 1)
    sink, records = tmp_path / "sink.json", tmp_path / "records.ndjson"
    sink.write_text(json.dumps(SINK))
    records.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    out = tmp_path / "streamed.parquet"
    assert main(["map", str(sink), str(records), "-o", str(out), "--on-error", "skip", "-q"]) in (0, 1)
    streamed = mapper.read_batch(out)
    assert streamed.report.records == 3 and "does not say how many input records" in streamed.report.notes[0]


def _old_files(batch: mapper.Batch, tmp_path: Path) -> dict[str, Path]:
    """The batch as files that do not say its records (an older mapper's, another tool's)."""
    write_npz(batch, tmp_path / "full.npz")
    with zipfile.ZipFile(tmp_path / "full.npz") as src, zipfile.ZipFile(tmp_path / "old.npz", "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "__header__.npy":
                header = json.loads(str(np.load(tmp_path / "full.npz")["__header__"]))
                assert "records" in header
                del header["records"]
                buf = io.BytesIO()
                np.save(buf, np.array(json.dumps(header)))
                data = buf.getvalue()
            dst.writestr(item, data)
    table = batch.to_arrow()
    said = table.schema.metadata
    assert RECORDS_KEY in said  # (to_arrow says them: an older mapper's did not)
    table = table.replace_schema_metadata({k: v for k, v in said.items() if k != RECORDS_KEY})
    pq.write_table(table, tmp_path / "old.parquet")
    with pa.OSFile(str(tmp_path / "old.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    return {ext: tmp_path / f"old{ext}" for ext in WRITERS}


@pytest.mark.parametrize("ext", list(WRITERS))
def test_a_file_that_does_not_say_reads_and_notes_it(m: mapper.Mapper, tmp_path: Path, ext: str) -> None:
    a, b = _parts(m)
    old = mapper.read_batch(_old_files(a, tmp_path)[ext])
    assert (old.report.records, old.report.failed_records, old.report.success_count) == (1, 0, 1)
    assert len(old.report.notes) == 1 and old.report.notes[0].startswith(f"{tmp_path / f'old{ext}'} does not say how many input records its batch covered")
    WRITERS[ext](b, tmp_path / f"b{ext}")
    joined = mapper.concat([old, mapper.read_batch(tmp_path / f"b{ext}")])
    assert joined.record_index.tolist() == [0, 1]  # (the most that can be known: the refused record 1 is in no row)
    assert joined.report.notes == old.report.notes


def test_a_file_that_does_not_say_counts_the_gaps_as_refused(m: mapper.Mapper, tmp_path: Path) -> None:
    whole = mapper.concat(_parts(m))  # rows of records 0 and 2
    back = mapper.read_batch(_old_files(whole, tmp_path)[".arrow"])
    assert (back.report.records, back.report.failed_records, back.count) == (3, 1, 2)


@pytest.mark.parametrize(
    ("said", "why"),
    [
        ({"records": 0, "failed_records": 0}, "says its batch covered 0 input records, and holds a row of record 0"),
        ({"records": 2, "failed_records": 3}, "says how many input records its batch covered wrongly"),
        ({"records": "2", "failed_records": 0}, "says how many input records its batch covered wrongly"),
        ([2], "says how many input records its batch covered wrongly"),
        ({"records": 2, "failed_records": 1, "input": 7}, "says which input its batch is of wrongly (7: mapper writes 32 hexadecimal digits)"),
        ({"records": 2, "failed_records": 1, "input": "x" * 32}, "says which input its batch is of wrongly"),
    ],
)
def test_a_count_edited_wrongly_is_refused(m: mapper.Mapper, tmp_path: Path, said: Any, why: str) -> None:
    a, _b = _parts(m)
    table = a.to_arrow()
    with pa.OSFile(str(tmp_path / "bad.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
        w.write_batch(pa.RecordBatch.from_pylist([], schema=table.schema), custom_metadata={RECORDS_KEY: json.dumps(said).encode()})
    with pytest.raises(InputError, match=re.escape(f"bad.arrow as a mapper batch: it {why}")):
        mapper.read_batch(tmp_path / "bad.arrow")


def test_a_count_that_is_not_json_is_refused(m: mapper.Mapper, tmp_path: Path) -> None:
    a, _b = _parts(m)
    table = a.to_arrow()
    with pa.OSFile(str(tmp_path / "bad.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
        w.write_batch(pa.RecordBatch.from_pylist([], schema=table.schema), custom_metadata={RECORDS_KEY: b"{"})
    with pytest.raises(InputError, match=r"mapper\.records \(how many input records its batch covered\) is not JSON"):
        mapper.read_batch(tmp_path / "bad.arrow")


@pytest.mark.parametrize("ext", list(WRITERS))
def test_the_endpoint_answer_of_a_batch_read_back_refuses_the_records_in_no_row(m: mapper.Mapper, tmp_path: Path, ext: str) -> None:
    # the file says 2 records, 1 refused: the answer listed both as successes (success_count 1)
    a, _b = _parts(m)
    WRITERS[ext](a, tmp_path / f"a{ext}")
    back = mapper.read_batch(tmp_path / f"a{ext}")
    answer = back.report.endpoint_answer()
    assert (answer["success_count"], answer["error_count"]) == (1, 1)
    assert [r["status"] for r in answer["records"]] == ["success", "error"] == [r["status"] for r in a.report.endpoint_answer()["records"]]
    joined = mapper.concat([back, back])
    assert [r["status"] for r in joined.report.endpoint_answer()["records"]] == ["success", "error", "success", "error"]
