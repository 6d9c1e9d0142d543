"""``mapper.concat``: batches joined into one, as a user streaming ``iter_batches`` (or mapping
several inputs) joins them: the batch of the whole input, its rows, ``_id``, masks and values of
every column type, ``record_index`` and report; and the errors of what cannot be joined."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mapper
from mapper.batch import Strings
from mapper.errors import OutputError
from mapper.writers import write_arrow
from tests.test_batch_api2 import SINK  # the batch API tests' sink: every column type, a string primary key

#: the same columns keyed by a uint64 id
ID_SINK = {**SINK, "primary_key_fields": None, "id_field": "id", "definition": [{"name": "id", "path": ["id"], "type": "id"}, *SINK["definition"]]}
del ID_SINK["primary_key_fields"]


def _record(i: int) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": i, "k": f"r{i}", "n": i * 7, "s": "é" * (i % 4) or None, "tags": ["a", "bé", "c"][: i % 4], "ids": list(range(i, i + i % 3))}
    rec["d"] = f"{i}.{i % 100:02d}"
    rec["ts"] = f"2020-01-01T00:{i % 60:02d}:{i % 60:02d}Z"
    rec["b"] = i % 2 == 0
    if i % 5 == 3:  # missing and null cells
        del rec["n"], rec["tags"]
        rec["d"] = None
        rec["s"] = None
    if i % 7 == 5:  # a record the endpoint refuses alone (its row is left out, its error reported)
        rec["n"] = "seven"
    if i % 11 == 4:  # a value stored differently: a warning
        rec["d"] = "1.239"
    return rec


RECORDS = [_record(i) for i in range(23)]
NDJSON = "\n".join(json.dumps(r) for r in RECORDS).encode()


@pytest.fixture(scope="module", params=["primary_key", "id_field"])
def m(request: pytest.FixtureRequest) -> mapper.Mapper:
    return mapper.compile_sink(json.dumps(SINK if request.param == "primary_key" else ID_SINK))


def _inputs(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "records.ndjson"
    path.write_bytes(NDJSON)
    return {
        "ndjson": NDJSON,
        "json_array": json.dumps(RECORDS).encode(),
        "dicts": RECORDS,
        "str": NDJSON.decode(),
        "file": str(path),
    }


@pytest.mark.parametrize("size", [1, 4, 7, 23, 100])
@pytest.mark.parametrize("form", ["ndjson", "json_array", "dicts", "str", "file"])
def test_concat_of_iter_batches_is_the_map_of_the_whole(m: mapper.Mapper, tmp_path: Path, form: str, size: int) -> None:
    source = _inputs(tmp_path)[form]
    whole = m.map(source)
    assert whole.report.failed_records == 3 and whole.report.warnings  # (refused rows and warnings to join)
    parts = list(m.iter_batches(source, records=size))
    assert len(parts) == -(-23 // size)
    joined = mapper.concat(parts)
    assert joined == whole and joined.to_rows() == whole.to_rows()
    assert joined.record_index.tolist() == whole.record_index.tolist()
    for name, col in whole.columns.items():  # a value, a null and a missing value stay apart
        got = joined[name]
        assert got.null.tolist() == col.null.tolist() and got.missing.tolist() == col.missing.tolist()
        assert got.canonical() == col.canonical()
    assert joined.to_arrow().equals(whole.to_arrow())
    assert joined.report.to_dict() == whole.report.to_dict()
    assert [(e.record, e.line) for e in joined.report.errors] == [(e.record, e.line) for e in whole.report.errors]
    assert [(w.record, w.line) for w in joined.report.warnings] == [(w.record, w.line) for w in whole.report.warnings]


def test_a_generator_of_batches_is_taken(m: mapper.Mapper) -> None:
    whole = m.map(NDJSON)
    assert mapper.concat(m.iter_batches(NDJSON, records=5)) == whole
    assert mapper.concat(b for b in m.iter_batches(NDJSON, records=5)) == whole
    assert mapper.concat(tuple(m.iter_batches(NDJSON, records=5))) == whole


def test_one_batch_gives_an_equal_batch_and_the_inputs_are_left_as_they_were(m: mapper.Mapper) -> None:
    whole = m.map(NDJSON)
    one = mapper.concat([whole])
    assert one == whole and one is not whole and one.report is whole.report
    parts = list(m.iter_batches(NDJSON, records=6))
    before = [(p.record_index.copy(), p.to_rows(), p.report.to_dict()) for p in parts]
    mapper.concat(parts)
    assert [(p.record_index.tolist(), p.to_rows(), p.report.to_dict()) for p in parts] == [(i.tolist(), r, d) for i, r, d in before]


def test_strings_held_as_utf8_and_as_objects_join(m: mapper.Mapper) -> None:
    """A workers batch holds its strings as UTF-8 chunks; joined with a batch holding objects, each keeps its form."""
    records = [_record(i) for i in range(300)]
    data = "\n".join(json.dumps(r) for r in records).encode()
    workers = m.map(data, workers=2)
    one = m.map(data)
    joined = mapper.concat([workers, one])
    both = m.map(data + b"\n" + data)
    assert joined == both and joined.to_rows() == both.to_rows()
    assert joined.to_arrow().equals(both.to_arrow())
    held = joined.id_values
    if isinstance(held, Strings):
        assert held.objects.tolist() == both.ids.tolist()


def test_record_index_counts_the_inputs_one_after_the_other(m: mapper.Mapper) -> None:
    """Several inputs mapped one by one: each batch's indices moved past the records of the ones before
    (failed records included), as the inputs read one after the other count them."""
    a, b = m.map(NDJSON), m.map(RECORDS[:10])
    joined = mapper.concat([a, b])
    assert joined.record_index.tolist() == a.record_index.tolist() + [23 + i for i in b.record_index.tolist()]
    assert joined == m.map(RECORDS + RECORDS[:10])
    # which input a row came from: its index against the bases
    base = a.report.records
    assert (joined.record_index < base).sum() == a.count and (joined.record_index >= base).sum() == b.count
    assert joined.report.records == 33 and joined.report.failed_records == a.report.failed_records + b.report.failed_records
    assert [e.record for e in joined.report.errors] == [e.record for e in a.report.errors] + [e.record + 23 for e in b.report.errors]
    assert joined.report.error_counts == {
        k: a.report.error_counts.get(k, 0) + b.report.error_counts.get(k, 0) for k in {**a.report.error_counts, **b.report.error_counts}
    }


def test_slices_of_one_batch_keep_their_indices_and_its_report(m: mapper.Mapper) -> None:
    whole = m.map(NDJSON)
    joined = mapper.concat([whole[:3], whole[3:3], whole[3:10], whole[10:]])
    assert joined == whole and joined.report is whole.report
    # rows not after the ones before: another input (the same records read again)
    back = mapper.concat([whole[5:], whole[:5]])
    assert back.record_index.tolist() == whole.record_index.tolist()[5:] + [23 + i for i in whole.record_index.tolist()[:5]]
    assert mapper.concat([whole, whole]) == m.map(RECORDS + RECORDS)
    dicts = m.map(RECORDS)  # (no line numbers, which each input's report keeps as its own)
    assert mapper.concat([dicts, dicts]).report.to_dict() == m.map(RECORDS + RECORDS).report.to_dict()
    # slices of two batches: each batch's slices are one input
    other = m.map(RECORDS[:4])
    mixed = mapper.concat([whole[:6], whole[6:], other[:2], other[2:]])
    assert mixed == mapper.concat([whole, other]) == m.map(RECORDS + RECORDS[:4])


def test_files_read_back_join_past_each_others_indices(m: mapper.Mapper, tmp_path: Path) -> None:
    """A file written from a slice holds indices past its rows' count: they stay apart all the same."""
    whole = m.map(NDJSON)
    write_arrow(whole[10:], tmp_path / "late.arrow")
    write_arrow(whole[:10], tmp_path / "early.arrow")
    late, early = mapper.read_batch(tmp_path / "late.arrow"), mapper.read_batch(tmp_path / "early.arrow")
    joined = mapper.concat([late, early])
    index = joined.record_index.tolist()
    assert len(set(index)) == len(index) == whole.count
    assert index[: late.count] == late.record_index.tolist() and min(index[late.count :]) > max(index[: late.count])
    assert joined.to_rows() == whole[10:].to_rows() + whole[:10].to_rows()


def test_a_discarded_batch_makes_the_joined_report_say_so(m: mapper.Mapper) -> None:
    """``iter_batches`` gives a discarded batch with no rows: the joined report is not accepted, and says which."""
    parts = list(m.iter_batches(NDJSON, records=5, on_error="reject"))
    assert [p.report.accepted for p in parts] == [True, False, False, False, True]
    joined = mapper.concat(parts)
    assert joined.count == 8 and joined.record_index.tolist() == [0, 1, 2, 3, 4, 20, 21, 22]
    assert joined.report.accepted is False and joined.report.verdict == "discarded"
    assert joined.report.reject_reason == "batch 1 (counting from 0) of the joined batches was discarded: a record failed and on_error is reject"
    accepted = mapper.concat(list(m.iter_batches(NDJSON, records=5, on_error="skip")))
    assert accepted.report.accepted is True and accepted == m.map(NDJSON, on_error="skip")


# --- what is not joined --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "concat takes at least one batch, and was given none"),
        (iter(()), "concat takes at least one batch, and was given none"),
        (3, "concat takes an iterable of batches .*not int"),
        (None, "concat takes an iterable of batches .*not NoneType"),
    ],
)
def test_no_batches_is_refused(value: Any, message: str) -> None:
    with pytest.raises(OutputError, match=message):
        mapper.concat(value)


def test_one_batch_not_in_a_list_is_refused(m: mapper.Mapper) -> None:
    with pytest.raises(OutputError, match=r"not one Batch: mapper.concat\(\[batch\]\)"):
        mapper.concat(m.map(NDJSON))


def test_an_item_that_is_no_batch_is_named_by_its_place(m: mapper.Mapper) -> None:
    b = m.map(NDJSON)
    with pytest.raises(OutputError, match=r"^concat: batch 2 \(counting from 0\) is a dict, not a Batch$"):
        mapper.concat([b, b, {}])
    with pytest.raises(OutputError, match=r"^concat: batch 1 \(counting from 0\) is a list, not a Batch$"):
        mapper.concat([b, [b]])


def test_a_batch_of_another_sink_is_named_by_its_place(m: mapper.Mapper) -> None:
    b = m.map(NDJSON)
    other = mapper.compile_sink(json.dumps(SINK).replace('"Scale": 2', '"Scale": 3'))
    with pytest.raises(OutputError, match=r"concat: batch 2 \(counting from 0\) is of an unnamed sink .*only batches mapped by one sink are joined"):
        mapper.concat([b, b, other.map(RECORDS)])
    same = mapper.compile_sink(json.dumps(SINK if m.sink.id_field is None else ID_SINK))  # another Mapper of the same definition: joined
    assert mapper.concat([b, same.map(RECORDS)]).count == 2 * b.count


def test_a_broken_batch_is_named_by_its_place(m: mapper.Mapper) -> None:
    b = m.map(NDJSON)
    broken = m.map(NDJSON)
    broken["n"].valid = broken["n"].valid[:-1]
    with pytest.raises(OutputError, match=r"^concat: batch 1 \(counting from 0\): column 'n' cannot be read: its valid mask"):
        mapper.concat([b, broken])
    broken = m.map(NDJSON)
    broken.report = None  # type: ignore[assignment]
    with pytest.raises(OutputError, match=r"^concat: batch 1 \(counting from 0\) has a NoneType for its report, not a Report$"):
        mapper.concat([b, broken])


def test_batches_mapped_with_other_options_are_refused(m: mapper.Mapper) -> None:
    """One report says one policy: a join of ``on_error="skip"`` and ``"endpoint"`` batches would say one of them falsely."""
    a, b = m.map(NDJSON), m.map(NDJSON, on_error="skip")
    with pytest.raises(
        OutputError, match=r"concat: batch 1 \(counting from 0\) was mapped with on_error='skip', strict=False, batch 0 with on_error='endpoint'"
    ):
        mapper.concat([a, b])
    assert mapper.concat([b, m.map(NDJSON, on_error="skip")]).report.on_error == "skip"


def test_the_workers_parts_still_join_into_one_batch(m: mapper.Mapper) -> None:
    """``map(workers=2)`` joins its processes' parts (one report, the whole input's indices) as before."""
    records = [_record(i) for i in range(400)]
    data = "\n".join(json.dumps(r) for r in records).encode()
    assert m.map(data, workers=2) == m.map(data)
    assert np.array_equal(m.map(data, workers=2).record_index, m.map(data).record_index)
