"""A hostile user's hunt over the Python API: batches, their conversions and files, concat, the batcher."""

from __future__ import annotations

from typing import Any

import pytest

import mapper
from mapper.endpoint import body_size

SINK: dict[str, Any] = {
    "id_field": "k",
    "allow_missing_fields": True,
    "definition": [{"name": "k", "path": ["k"], "type": "id"}, {"name": "s", "path": ["s"], "type": "string"}],
}


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


# --- the batcher --------------------------------------------------------------------------


def test_a_body_of_a_record_past_16_mib_gives_its_batch_every_record(m: mapper.Mapper) -> None:
    # max_bytes above the engine's default record limit (16 MiB): the batcher takes the record,
    # and Body.to_batch, "the same records as columns", refused it too_large (its row missing)
    batcher = mapper.Batcher(m, max_bytes=18 * 1024 * 1024, max_records=10)
    big = batcher.add({"k": 1, "s": "x" * (16 * 1024 * 1024 + 10)})
    small = batcher.add({"k": 2, "s": "y"})
    assert big.accepted and small.accepted
    (body,) = batcher.flush()
    batch = body.to_batch()
    assert batch.report.errors == []
    assert batch.ids.tolist() == [1, 2]
    assert len(batch["s"].values[0]) == 16 * 1024 * 1024 + 10


def test_the_least_max_bytes_a_batcher_takes_holds_the_smallest_record(m: mapper.Mapper) -> None:
    # body_size(1, 1) was taken: a body of a one-byte record, and no record ("{}" at least) fits it
    least = body_size(1, 2)
    with pytest.raises(mapper.OptionError, match=f"at least {least} "):
        mapper.Batcher(m, max_bytes=least - 1)
    batcher = mapper.Batcher(m, max_bytes=least)
    verdict = batcher.add("{}")
    assert [e.code for e in verdict.errors] == ["invalid_id"]  # (its id is missing: it fits the body)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_pending_verdict_pickles_and_copies_as_judged(m: mapper.Mapper, how: str) -> None:
    # pickled, a pending verdict was a TypeError (its chunk's weak reference to the batcher);
    # deep-copied, reading the copy raised RuntimeError "its batcher was dropped" (never judged)
    import copy
    import pickle

    batcher = mapper.Batcher(m, max_records=10)
    good, bad = batcher.add({"k": 1, "s": "a"}), batcher.add({"k": "x", "s": "b"})
    assert repr(good) == "<Verdict 0 pending>"
    copied = [pickle.loads(pickle.dumps(v)) if how == "pickle" else copy.deepcopy(v) for v in (good, bad)]
    assert [(c.index, c.accepted, [e.code for e in c.errors]) for c in copied] == [(0, True, []), (1, False, ["invalid_id"])]
    assert (good.accepted, bad.accepted) == (True, False)
    assert (batcher.accepted, batcher.refused) == (1, 1)  # (judged once)
    assert [body.indices for body in batcher.flush()] == [[0]]


# --- the writers ----------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet", "ndjson"])
@pytest.mark.parametrize("given", [None, "list", "generator"])
def test_a_writer_given_no_batch_says_so_and_writes_nothing(m: mapper.Mapper, tmp_path: Any, ext: str, given: Any) -> None:
    # None or a list of batches was an AttributeError / TypeError from inside the writer
    # (.npz: "cannot join a NoneType to a batch", though nothing was joined)
    if ext != "ndjson":
        pytest.importorskip("pyarrow")
    from mapper import writers

    batch = m.map([{"k": 1, "s": "a"}])
    value = {"list": [batch], "generator": (b for b in [batch]), None: None}[given]
    out = tmp_path / f"o.{ext}"
    with pytest.raises(mapper.errors.OutputError, match="cannot write an? (NoneType|list|generator) to .*a batch is written") as caught:
        getattr(writers, f"write_{ext}")(value, out)
    assert ("mapper.concat(batches)" in str(caught.value)) == (given is not None)
    assert list(tmp_path.iterdir()) == []


# --- files read back, and concat ------------------------------------------------------------


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
@pytest.mark.parametrize(("on_error", "strict"), [("skip", False), ("reject", True)])
def test_a_batch_read_back_joins_the_batch_it_was_written_from(m: mapper.Mapper, tmp_path: Any, ext: str, on_error: str, strict: bool) -> None:
    # the file kept no options: read back, its report said on_error='endpoint', strict=False, and
    # concat refused it beside the batch it was written from, saying batch 1 "was mapped with" those
    if ext != "npz":
        pytest.importorskip("pyarrow")
    from mapper import writers

    batch = m.map([{"k": 1, "s": "a"}, {"k": 2}], on_error=on_error, strict=strict)
    out = tmp_path / f"o.{ext}"
    getattr(writers, f"write_{ext}")(batch, out)
    back = mapper.read_batch(out)
    assert (back.report.on_error, back.report.strict) == (on_error, strict)
    joined = mapper.concat([batch, back])
    assert joined.ids.tolist() == [1, 2, 1, 2]
    assert joined.record_index.tolist() == [0, 1, 2, 3]
    with pytest.raises(
        mapper.errors.OutputError, match=f"batch 1 \\(counting from 0\\) was mapped with on_error='endpoint', strict=False, batch 0 with on_error='{on_error}'"
    ):
        mapper.concat([back, m.map([{"k": 3}])])


def test_a_file_saying_how_its_batch_was_mapped_wrongly_is_refused_and_one_saying_nothing_reads_as_the_defaults(m: mapper.Mapper, tmp_path: Any) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    table = m.map([{"k": 1, "s": "a"}], on_error="skip").to_arrow()
    meta = dict(table.schema.metadata)
    assert meta.pop(b"mapper.mapped") == b'{"on_error": "skip", "strict": false}'
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "older.parquet")  # (as a file of an older mapper)
    back = mapper.read_batch(tmp_path / "older.parquet")
    assert (back.report.on_error, back.report.strict) == ("endpoint", False)
    for said in (b'{"on_error": "drop", "strict": false}', b'{"on_error": "skip", "strict": 0}', b"[]", b"{"):
        pq.write_table(table.replace_schema_metadata({**meta, b"mapper.mapped": said}), tmp_path / "edited.parquet")
        with pytest.raises(mapper.InputError, match="wrongly|not JSON"):
            mapper.read_batch(tmp_path / "edited.parquet")


# --- errors cross processes -------------------------------------------------------------------


def _raised(call: Any) -> BaseException:
    try:
        call()
    except mapper.MapperError as exc:
        return exc
    raise AssertionError("nothing was raised")


def test_every_error_pickles_as_a_process_pool_sends_it_back(m: mapper.Mapper) -> None:
    # Exception pickles as its class called again with its args (the message alone): BatchRejected,
    # DefinitionError, PathSyntaxError, TableSyntaxError and ServiceError failed to unpickle, and a
    # concurrent.futures pool mapping in a worker broke (BrokenProcessPool), a multiprocessing.Pool hung
    import pickle

    from mapper.endpoint import ServiceError

    strict = mapper.compile_sink({**SINK, "allow_missing_fields": False})
    errors = [
        _raised(lambda: strict.map([{"k": 1, "s": "a"}, {"k": 2}])),
        _raised(lambda: mapper.load_sink({"bogus": 1})),
        _raised(lambda: mapper.parse_path("a..b")),
        _raised(lambda: mapper.parse_create_table("CREATE TABLE (")),
        ServiceError(400, "InvalidBody", "bad body", {"Retry-After": "1"}),
        _raised(lambda: m.map([], on_error="drop")),
        mapper.MissingDependencyError("pyarrow is missing"),
    ]
    assert [type(e).__name__ for e in errors[:4]] == ["BatchRejected", "DefinitionError", "PathSyntaxError", "TableSyntaxError"]
    for exc in errors:
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc) and back.args == exc.args
        assert {k: v for k, v in vars(back).items() if k != "report"} == {k: v for k, v in vars(exc).items() if k != "report"}
    assert pickle.loads(pickle.dumps(errors[0])).report.summary() == errors[0].report.summary()  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(errors[1])).errors == errors[1].errors  # type: ignore[attr-defined]


# --- conversions --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["to_pandas", "to_polars"])
def test_a_conversion_names_itself_for_a_bad_or_unknown_option(m: mapper.Mapper, method: str) -> None:
    # to_pandas(**options) handed them to to_arrow: a bad value was "Batch.to_arrow() takes presence=...",
    # an unknown keyword "Batch.to_arrow() got an unexpected keyword argument"
    pytest.importorskip("pyarrow")
    pytest.importorskip(method[3:])
    batch = m.map([{"k": 1, "s": "a"}, {"k": 2}])
    convert = getattr(batch, method)
    with pytest.raises(mapper.OptionError, match=f"^Batch.{method}\\(\\) takes presence=True or False, not 'no'$"):
        convert(presence="no")
    with pytest.raises(TypeError, match=f"{method}\\(\\) got an unexpected keyword argument 'presense'"):
        convert(presense=False)
    assert list(convert(presence=False, record_index=False).columns) == ["_id", "s"]


def test_a_store_takes_a_record_past_16_mib_in_a_body_it_takes() -> None:
    # serve's --max-body-bytes may be above the engine's record limit (16 MiB): the service limits
    # bodies only, and Store.ingest refused such a record too_large
    store = mapper.Store()
    store.create_sink(SINK, sink_id="s")
    big = "x" * (16 * 1024 * 1024 + 10)
    body = b'{"records": [{"value": {"k": 1, "s": "%s"}}, {"value": {"k": 2, "s": "y"}}]}' % big.encode()
    result = store.ingest("s", body)
    assert result.answer["error_count"] == 0 and result.answer["success_count"] == 2
