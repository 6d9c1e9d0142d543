"""The Python API as a producer embedding it uses it: odd but plausible inputs to ``Mapper.map``,
``validate``, ``check`` and ``iter_batches``, the ``Batch`` object, ``read_batch``, and one
compiled ``Mapper`` shared by threads.

Each test pins a bug the hunt found (a traceback from a dependency, a wrong result, two
entry points disagreeing on one record), or a claim it checked."""

from __future__ import annotations

import json
import os
import pathlib
import sys
import threading
from typing import Any

import numpy as np
import pytest
from sinks import column, id_sink

import mapper
from mapper import writers

SINK = id_sink(
    column("n", "int"),
    column("dec", "decimal", Scale=2),
    column("b", "bool"),
    column("s", "string", Mutex=True),
    column("ss", "strings"),
    column("is", "ids"),
    column("ts", "timestamp", Unit="ms", Granularity="ms"),
    column("di", "dateInt"),
)
RECORDS = [
    {"id": 1, "n": 5, "dec": "1.25", "b": True, "s": "x", "ss": ["a", "b"], "is": [1, 2], "ts": 1000, "di": "2022-01-02"},
    {"id": 2, "n": None, "dec": None, "b": None, "s": None, "ts": None},
    {"id": 3},
]


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


# --- records given as JSON texts of a subclass of str or bytes ----------------------------


class Text(str):
    pass


@pytest.mark.parametrize("make", [np.str_, Text, lambda s: np.bytes_(s.encode()), lambda s: np.array([s])[0]])
def test_a_records_text_of_a_str_or_bytes_subclass_maps_as_check_and_the_batcher_take_it(m: mapper.Mapper, make: Any) -> None:
    """``check`` and ``Batcher.add`` read a ``numpy.str_`` (the items of ``np.array`` of JSON
    texts), a ``numpy.bytes_`` or another subclass of str as the record's JSON text; ``map``
    and ``validate`` refused every such record ``not_an_object``, ``records_path`` each such
    document ``no_records``: the same record judged two ways."""
    texts = [make(json.dumps(r)) for r in RECORDS]
    assert all(m.check(t) == [] for t in texts)
    expected = m.map(RECORDS).to_rows()
    assert m.map(texts).to_rows() == expected
    assert m.map(np.array([json.dumps(r) for r in RECORDS])).to_rows() == expected
    assert m.validate(texts).verdict == "accepted"
    assert [row for b in m.iter_batches(iter(texts), records=2) for row in b.to_rows()] == expected
    mixed = [texts[0], RECORDS[1], texts[2]]
    assert m.map(mixed).to_rows() == expected
    docs = [make(json.dumps({"recs": RECORDS}))]
    assert m.map(docs, records_path="recs").to_rows() == expected


# --- data frames ---------------------------------------------------------------------------


def test_a_pandas_data_frame_is_refused_saying_what_to_pass(m: mapper.Mapper) -> None:
    """Iterating a DataFrame gives its column names: each was read as a record's JSON text,
    and the batch refused as invalid JSON (a polars frame: its columns, not_an_object)."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(RECORDS)
    for call in (m.map, m.validate, lambda x: list(m.iter_batches(x)), lambda x: m.map(x, records_path="a")):
        with pytest.raises(mapper.InputError, match=r"pandas DataFrame.*to_dict\('records'\)"):
            call(frame)


def test_a_polars_data_frame_is_refused_saying_what_to_pass(m: mapper.Mapper) -> None:
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(RECORDS[:1])
    for call in (m.map, m.validate, lambda x: list(m.iter_batches(x))):
        with pytest.raises(mapper.InputError, match=r"polars DataFrame.*to_dicts\(\)"):
            call(frame)


def test_a_pandas_series_of_dicts_is_still_records(m: mapper.Mapper) -> None:
    pd = pytest.importorskip("pandas")
    assert m.map(pd.Series(RECORDS)).to_rows() == m.map(RECORDS).to_rows()


# --- the Batch object ------------------------------------------------------------------------


def test_in_and_iter_on_a_batch_say_what_a_batch_holds(m: mapper.Mapper) -> None:
    """With ``__getitem__`` and ``__len__`` only, ``"n" in batch`` and ``iter(batch)`` fell back
    to the sequence protocol: ``batch[0]``, a KeyError ``no column 0``."""
    batch = m.map(RECORDS)
    assert "n" in batch
    assert "nope" not in batch
    assert "id" not in batch  # (identity only: batch.ids)
    assert [] not in batch  # (unhashable: no column)
    with pytest.raises(TypeError, match=r"to_rows\(\).*columns"):
        iter(batch)
    with pytest.raises(TypeError, match=r"to_rows\(\).*columns"):
        list(batch)


@pytest.mark.parametrize("key", [0, -1])  # (a slice is rows: tests/test_batch_api2.py)
def test_a_batch_indexed_by_row_says_it_is_indexed_by_column(m: mapper.Mapper, key: Any) -> None:
    batch = m.map(RECORDS)
    with pytest.raises(KeyError, match=r"by column name.*to_rows\(\)"):
        batch[key]
    with pytest.raises(KeyError, match=r"no column 'nope'"):
        batch["nope"]


# --- read_batch ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a\x00b", "a\x00b.npz", b"x\x00.parquet", b"\x00"])
def test_read_batch_of_a_name_holding_nul_is_an_input_error(name: Any) -> None:
    """os.stat's ValueError ``embedded null byte`` escaped (the content of a file passed as
    bytes, say, where its name belongs)."""
    with pytest.raises(mapper.InputError, match="NUL"):
        mapper.read_batch(name)


# --- one Mapper, four threads --------------------------------------------------------------


def test_one_mapper_from_four_threads_gives_what_one_thread_gives(m: mapper.Mapper) -> None:
    """map, validate and check of the same records at once from 4 threads (a 1 us switch
    interval): each result as the sequential run's."""
    import random

    rng = random.Random(1)
    values = [None, 1, "x", "1.5", [1, 2], "a,b", True, -5, "2022-01-01", 2**64, {"a": 1}, "", 1e300]
    keys = [c["name"] for c in SINK["schema"]["definition"]]  # type: ignore[index]
    records = [{k: rng.choice(values) for k in keys if rng.random() < 0.8} | {"id": rng.randint(0, 10)} for _ in range(200)]
    ndjson = b"".join(json.dumps(r).encode() + b"\n" for r in records)

    def run() -> str:
        batch = m.map(records, on_error="skip")
        report = m.validate(ndjson)
        checks = [[(p.severity, str(p)) for p in m.check(r)] for r in records[:40]]
        parts = [b.to_rows() for b in m.iter_batches(ndjson, records=64)]
        return json.dumps([batch.to_rows(), report.to_dict(), checks, parts], default=str, sort_keys=True)

    expected = run()
    got: list[list[str]] = [[] for _ in range(4)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=lambda i=i: got[i].extend(run() for _ in range(2))) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        sys.setswitchinterval(old)
    assert [len(g) for g in got] == [2] * 4
    assert all(x == expected for g in got for x in g)


# --- claims checked ------------------------------------------------------------------------


def test_mappings_of_every_kind_read_through_get_and_invent_no_key(m: mapper.Mapper) -> None:
    import collections
    import types

    dd = collections.defaultdict(lambda: 7, {"id": 3})
    assert m.map([dd]).to_rows() == [{"_id": 3, "b": None}]  # (a bool's missing clears it)
    assert list(dd) == ["id"]
    expected = m.map(RECORDS).to_rows()
    assert m.map([collections.OrderedDict(r) for r in RECORDS]).to_rows() == expected
    assert m.map([collections.ChainMap(r) for r in RECORDS]).to_rows() == expected
    assert m.map([types.MappingProxyType(r) for r in RECORDS]).to_rows() == expected
    assert m.map(np.array(RECORDS, dtype=object)).to_rows() == expected


def test_files_of_every_kind(m: mapper.Mapper, tmp_path: pathlib.Path) -> None:
    ndjson = b"".join(json.dumps(r).encode() + b"\n" for r in RECORDS)
    path = tmp_path / "r.ndjson"
    path.write_bytes(ndjson)
    expected = m.map(RECORDS).to_rows()

    class Named(os.PathLike):  # type: ignore[type-arg]
        def __fspath__(self) -> str:
            return str(path)

    for given in (path, Named(), str(path), memoryview(ndjson), bytearray(ndjson)):
        assert m.map(given).to_rows() == expected
    with open(path, encoding="utf-8") as text:
        with pytest.raises(mapper.InputError, match="binary mode"):
            m.map(text)
    with open(path, "rb") as fh:
        pass
    with pytest.raises(mapper.InputError, match="closed file"):
        m.validate(fh)
    with open(path, "rb") as fh:  # a file the caller opened stays open when iteration stops early
        for _ in m.iter_batches(fh, records=1):
            break
        assert not fh.closed


@pytest.mark.parametrize("records", [0, -1, True, 1.0, "2", None])
def test_iter_batches_refuses_a_bad_size_before_reading(m: mapper.Mapper, records: Any) -> None:
    with pytest.raises(mapper.OptionError, match="records must be a whole number"):
        m.iter_batches(RECORDS, records=records)


def test_iter_batches_sizes_and_early_stop_closes_the_callers_generator(m: mapper.Mapper) -> None:
    assert [len(b) for b in m.iter_batches(RECORDS, records=1)] == [1, 1, 1]
    assert [len(b) for b in m.iter_batches(RECORDS, records=10**12)] == [3]
    closed = []

    def gen() -> Any:
        try:
            yield from RECORDS * 5
        finally:
            closed.append(True)

    batches = m.iter_batches(gen(), records=1)
    next(batches)
    batches.close()  # type: ignore[attr-defined]
    assert closed == [True]


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_every_column_type_round_trips_through_each_file(m: mapper.Mapper, tmp_path: pathlib.Path, ext: str) -> None:
    records = RECORDS + [{"id": 4, "dec": "-0.01", "ss": "a,,b", "is": "7", "s": "", "ts": "1", "b": "f"}, {"id": 5, "n": -(2**62), "ss": [], "is": []}]
    batch = m.map(records)
    out = str(tmp_path / f"b.{ext}")
    getattr(writers, {"npz": "write_npz", "arrow": "write_arrow", "parquet": "write_parquet"}[ext])(batch, out)
    assert mapper.read_batch(out).to_rows() == batch.to_rows()
    assert mapper.read_batch(pathlib.Path(out)).to_rows() == batch.to_rows()


# --- writing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet", "ndjson"])
def test_the_writers_take_a_pathlib_path(m: mapper.Mapper, tmp_path: pathlib.Path, ext: str) -> None:
    """``write_npz(batch, Path(...))`` was a TypeError from a regular expression (the output's name is matched against /dev/fd/N)."""
    batch = m.map(RECORDS)
    out = tmp_path / f"b.{ext}"
    getattr(writers, f"write_{ext}")(batch, out)
    if ext == "ndjson":
        assert [json.loads(x) for x in out.read_bytes().splitlines()] == batch.to_rows()
    else:
        assert mapper.read_batch(out).to_rows() == batch.to_rows()
    with pytest.raises(mapper.MapperError, match="cannot write a batch to a int"):
        getattr(writers, f"write_{ext}")(batch, 3)


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet", "ndjson"])
def test_batches_of_two_sinks_are_never_joined(m: mapper.Mapper, tmp_path: pathlib.Path, ext: str) -> None:
    """Parts of one output, or a join, from two sinks: a KeyError from inside (a column the other
    lacks), or, with the same column names, one type's numbers written as another's."""
    from mapper.batch import concat_batches

    other = mapper.compile_sink(json.loads(json.dumps(SINK).replace('"Scale": 2', '"Scale": 3')))
    ours, theirs = m.map(RECORDS), other.map(RECORDS)
    assert theirs["dec"].values.tolist() == [1250, 0, 0]  # (the same names, decimals stored ten times larger)
    with pytest.raises(mapper.MapperError, match="cannot join a batch of sink 't'.*only batches mapped by one sink"):
        concat_batches([ours, theirs])
    assert concat_batches([ours, m.map(RECORDS)]).to_rows() == ours.to_rows() * 2
    renamed = mapper.compile_sink(json.loads(json.dumps(SINK).replace('"n"', '"n2"')))
    writer = writers.open_writer(str(tmp_path / f"b.{ext}"))
    writer.write(ours)
    with pytest.raises(mapper.MapperError, match="only batches mapped by one sink"):
        writer.write(renamed.map(RECORDS))
    writer.abort()


@pytest.mark.parametrize(
    "make",
    [
        lambda b: np.frombuffer(b, dtype=np.uint8),
        lambda b: np.frombuffer(b, dtype=np.int8),
        lambda b: np.frombuffer(b + b"  ", dtype=np.uint8)[::1][: len(b)],
        lambda b: np.repeat(np.frombuffer(b, dtype=np.uint8), 2)[::2],
        lambda b: __import__("array").array("B", b),
    ],
)
def test_an_array_of_bytes_is_read_as_the_bytes_it_holds(m: mapper.Mapper, make: Any) -> None:
    """A numpy uint8 array (``np.frombuffer`` of a message) or an ``array.array('B')`` was iterated:
    each byte a record, refused ``not_an_object`` one by one (3 records: 300 errors)."""
    ndjson = b"".join(json.dumps(r).encode() + b"\n" for r in RECORDS)
    expected = m.map(RECORDS).to_rows()
    assert m.map(make(ndjson)).to_rows() == expected
    assert m.validate(make(ndjson)).verdict == "accepted"
    assert [row for b in m.iter_batches(make(ndjson), records=2) for row in b.to_rows()] == expected


def test_a_file_name_given_as_bytes_is_refused_with_a_note_saying_so(m: mapper.Mapper, tmp_path: pathlib.Path) -> None:
    """Bytes are JSON text, always: ``os.fsencode(path)`` was refused ``Invalid JSON: invalid character
    at char 1`` and no word that the bytes name a file."""
    path = tmp_path / "r.ndjson"
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in RECORDS))
    report = m.validate(os.fsencode(path))
    assert report.verdict == "refused"
    assert report.notes == [
        f"the bytes given name a file, {str(path)!r}: bytes are JSON text, always; pass the name as a str or a pathlib.Path to read the file"
    ]
    with pytest.raises(mapper.BatchRejected) as caught:
        m.map(bytearray(os.fsencode(path)), on_error="reject")
    assert "pathlib.Path" in caught.value.report.notes[0]
    assert m.validate(b"not json").notes == []


def test_an_iterator_giving_one_dict_filled_anew_for_each_record_is_refused(m: mapper.Mapper) -> None:
    """Records are read from an iterator a unit (2,048) at a time before they are mapped: a producer
    yielding one dict it fills anew for each record had every record of a unit mapped as the last
    one (5 rows of _id 4), accepted without a word."""

    def reused() -> Any:
        record: dict[str, Any] = {}
        for i in range(5):
            record["id"], record["n"] = i, i * 10
            yield record

    for call in (m.map, m.validate, lambda x: list(m.iter_batches(x, records=2)), lambda x: m.map(x, workers=2)):
        with pytest.raises(mapper.InputError, match=r"gave one dict as record 0 and, changed, again as record 1.*yield dict\(record\)"):
            call(reused())
    rows = [{"_id": i, "n": i * 10, "b": None} for i in range(5)]
    assert [row for b in m.iter_batches(reused(), records=1) for row in b.to_rows()] == rows  # (each mapped before the next is read)
    assert m.map(dict(r) for r in reused()).to_rows() == rows
    same = {"id": 7}
    assert m.map([same, same]).to_rows() == [{"_id": 7, "b": None}] * 2  # (a list holds its records as they stand)
    assert m.map(iter([same] * 3)).to_rows() == [{"_id": 7, "b": None}] * 3  # (given again unchanged: the same record again)
    text = '{"id": 7}'
    assert m.map(iter([text, text])).to_rows() == [{"_id": 7, "b": None}] * 2  # (a str cannot change)
    assert m.validate(iter([None, None])).error_counts == {(None, "not_an_object"): 2}


def test_a_mapper_and_its_sink_pickle(m: mapper.Mapper) -> None:
    """A Mapper passed to a ``multiprocessing`` worker is pickled: ``cannot pickle 'mappingproxy'
    object`` (the sink's ``sink_details``, read-only), from inside pickle."""
    import copy
    import pickle

    again = pickle.loads(pickle.dumps(m))
    assert again.sink == m.sink
    assert again.map(RECORDS).to_rows() == m.map(RECORDS).to_rows()
    assert dict(again.sink.sink_details or {}) == SINK["sink_details"]
    with pytest.raises(TypeError):
        again.sink.sink_details["table"] = "x"  # type: ignore[index]  # (still read-only)
    assert copy.deepcopy(m.sink) == m.sink


def test_a_batch_pickles(m: mapper.Mapper) -> None:
    """A Batch returned from a ``multiprocessing`` worker is pickled: ``Can't pickle local object
    '_layout_parser.<locals>.parse'`` (a dateInt or timestamp column's type holds its Layout's parser)."""
    import copy
    import pickle

    batch = m.map(RECORDS)
    for again in (pickle.loads(pickle.dumps(batch)), copy.deepcopy(batch)):
        assert again.to_rows() == batch.to_rows()
        assert again.to_arrow().equals(batch.to_arrow())
        assert again.report.verdict == batch.report.verdict
