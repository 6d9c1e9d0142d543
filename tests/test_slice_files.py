"""A file of a slice of a batch (``batch[0:1]``, a part of ``map -o``), read back alone with
``read_batch``, answers as the slice does record by record (``endpoint_answer()``): the file
keeps which records failed and each one's code (``mapper.records``' ``refused`` and ``missing``),
not only their counts; a discarded batch's file answers its own failures with their codes. A file
of a batch with no failed record says neither; an older file (counts only) reads as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mapper
from mapper import writers
from mapper.batch import RECORDS_KEY

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

#: a key and a number, both needed: a record without "n" is MissingField, one with "n": "x" InvalidBody
SINK = {
    "name": "t",
    "allow_missing_fields": False,
    "primary_key_fields": ["k"],
    "definition": [{"name": "k", "path": ["k"], "type": "string"}, {"name": "n", "path": ["n"], "type": "int"}],
}


def _records(n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        rec: dict[str, Any] = {"k": f"r{i}", "n": i}
        if i % 5 == 2:
            del rec["n"]  # MissingField
        if i % 7 == 4:
            rec["n"] = "x"  # InvalidBody
        out.append(rec)
    return out


def _batch(n: int = 30) -> mapper.Batch:
    """A partial batch (``skip``: the endpoint's policy would discard it for the missing values)."""
    return mapper.compile_sink(json.dumps(SINK)).map(_records(n), on_error="skip")


def _codes(report: Any) -> list[tuple[str, Any]]:
    return [(r["status"], r.get("error_code")) for r in report.endpoint_answer()["records"]]


FORMATS = ["npz", "arrow", "parquet"]


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("cut", [(0, 1), (3, 9), (20, 30), (0, 0)])
def test_a_slice_file_read_back_alone_answers_as_the_slice(tmp_path: Path, ext: str, cut: tuple[int, int]) -> None:
    batch = _batch()
    piece = batch[cut[0] : cut[1]]
    out = tmp_path / f"s.{ext}"
    getattr(writers, f"write_{ext}")(piece, out)
    read = mapper.read_batch(out)
    want = _codes(piece.report)
    assert ("error", "MissingField") in want and ("error", "InvalidBody") in want  # (the test's own premise)
    assert _codes(read.report) == want
    assert read.report.endpoint_answer()["success_count"] == piece.report.endpoint_answer()["success_count"]


@pytest.mark.parametrize("ext", FORMATS)
def test_slice_files_joined_answer_as_the_batch(tmp_path: Path, ext: str) -> None:
    batch = _batch()
    names = []
    for k, (a, b) in enumerate([(0, 4), (4, 11), (11, 30)]):
        names.append(tmp_path / f"p{k}.{ext}")
        getattr(writers, f"write_{ext}")(batch[a:b], names[-1])
    joined = mapper.concat([mapper.read_batch(n) for n in names])
    assert joined.equals(batch)
    assert _codes(joined.report) == _codes(batch.report)


@pytest.mark.parametrize("ext", FORMATS)
def test_a_discarded_batch_file_answers_its_own_failures_with_their_codes(tmp_path: Path, ext: str) -> None:
    (batch,) = list(mapper.compile_sink(json.dumps(SINK)).iter_batches(_records(12), records=12, on_error="reject"))
    assert not batch.report.accepted
    out = tmp_path / f"d.{ext}"
    getattr(writers, f"write_{ext}")(batch, out)
    read = mapper.read_batch(out)
    want = _codes(batch.report)
    assert {c for _, c in want} == {"MissingField", "InvalidBody", "BatchDiscarded"}
    assert _codes(read.report) == want


@pytest.mark.parametrize("ext", FORMATS)
def test_map_o_streamed_file_keeps_which_records_failed(tmp_path: Path, ext: str) -> None:
    """``map -o`` writes the file part by part (a Parquet row group at a time): its answer is the run's."""
    records = _records(70_000)  # (past one part: commands.DRAIN_RECORDS)
    src, sink, out = tmp_path / "in.ndjson", tmp_path / "sink.json", tmp_path / f"o.{ext}"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    sink.write_text(json.dumps(SINK))
    run = subprocess.run(
        [sys.executable, "-m", "mapper", "map", str(sink), str(src), "-o", str(out), "-q", "--on-error", "skip"], capture_output=True, timeout=120
    )
    assert run.returncode in (0, 1), run.stderr
    read = mapper.read_batch(out)
    assert _codes(read.report) == _codes(mapper.compile_sink(json.dumps(SINK)).map(records, on_error="skip").report)


def _said(path: Path) -> dict[str, Any]:
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z["__header__"]))["records"]  # type: ignore[no-any-return]
    if path.suffix == ".parquet":
        return json.loads(pq.ParquetFile(path).metadata.metadata[RECORDS_KEY])  # type: ignore[no-any-return]
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_file(source)
        return json.loads(reader.get_batch_with_custom_metadata(reader.num_record_batches - 1).custom_metadata[RECORDS_KEY])  # type: ignore[no-any-return]


@pytest.mark.parametrize("ext", FORMATS)
def test_a_clean_batch_file_says_no_more_than_its_counts(tmp_path: Path, ext: str) -> None:
    m = mapper.compile_sink(json.dumps(SINK))
    out = tmp_path / f"c.{ext}"
    getattr(writers, f"write_{ext}")(m.map([{"k": "a", "n": 1}, {"k": "b", "n": 2}]), out)
    assert _said(out) == {"records": 2, "failed_records": 0}


def test_the_list_stays_small_for_200k_records_one_in_a_hundred_refused() -> None:
    from mapper.batch import from_runs, runs

    rng = np.random.default_rng(7)
    refused = np.sort(rng.choice(200_000, 2_000, replace=False))
    said = json.dumps(runs(refused))  # (as the writers write it)
    assert len(said) < 10_000  # (about 4 characters a refused record; the file holds megabytes)
    assert (from_runs(json.loads(said), 2_000, 200_000, "x") == refused).all()
    assert runs(np.arange(200_000)) == [1, -199_999]  # records all refused: one run


def _rewrite_npz(path: Path, edit: Any) -> None:
    with np.load(path, allow_pickle=False) as z:
        members = {k: z[k] for k in z.files}
    header = json.loads(str(members["__header__"]))
    edit(header["records"])
    members["__header__"] = np.array(json.dumps(header))
    np.savez(path, **members)


def test_an_older_file_counts_only_reads_as_before(tmp_path: Path) -> None:
    batch = _batch()
    out = tmp_path / "old.npz"
    writers.write_npz(batch[0:3], out)
    _rewrite_npz(out, lambda said: (said.pop("refused"), said.pop("missing")))
    read = mapper.read_batch(out)
    assert (read.report.records, read.report.failed_records) == (batch.report.records, batch.report.failed_records)
    assert [c for _, c in _codes(read.report)].count(None) == 30  # (the counts rule: records outside its rows as stored)
    whole = tmp_path / "old_whole.npz"
    writers.write_npz(batch, whole)
    _rewrite_npz(whole, lambda said: (said.pop("refused"), said.pop("missing")))
    assert [c for _, c in _codes(mapper.read_batch(whole).report)] == ["InvalidBody" if c == "MissingField" else c for _, c in _codes(batch.report)]


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda s: s.update(refused=[0, 1]), "which records were refused (refused) wrongly"),
        (lambda s: s.update(refused="x"), "which records were refused (refused) wrongly"),
        (lambda s: s.update(refused=s["refused"] + [10**30, 1]), "which records were refused (refused) wrongly"),
        (lambda s: s.update(missing=[0, 0]), "(missing) wrongly"),
        (lambda s: s.pop("refused"), "but not which records were refused"),
        (lambda s: s.update(refused=[1, 1 - s["failed_records"]]), "holds its row"),  # (records 0 to 9)
    ],
)
def test_a_list_said_wrongly_is_refused_naming_it(tmp_path: Path, edit: Any, words: str) -> None:
    out = tmp_path / "bad.npz"
    writers.write_npz(_batch(), out)
    _rewrite_npz(out, edit)
    with pytest.raises(mapper.MapperError) as info:
        mapper.read_batch(out)
    assert words in str(info.value)


@pytest.mark.parametrize("ext", FORMATS)
def test_a_file_of_batches_of_two_inputs_joined_answers_as_the_join(tmp_path: Path, ext: str) -> None:
    """Each input's failed records, moved by where its indices start in the whole (and a discarded
    one's reason: its records that failed on their own keep their codes)."""
    m = mapper.compile_sink(json.dumps(SINK))
    first = m.map(_records(13), on_error="skip")
    (second,) = list(m.iter_batches(_records(9), records=9, on_error="skip", max_errors=0))
    assert not second.report.accepted
    for parts in ([first, first[2:5]], [first, second]):
        joined = mapper.concat(parts)
        out = tmp_path / f"j.{ext}"
        getattr(writers, f"write_{ext}")(joined, out)
        assert _codes(mapper.read_batch(out).report) == _codes(joined.report)
