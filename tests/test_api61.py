"""Python API leftovers of session 61 (docs/python-api.md is the contract): each test failed before its fix."""

from __future__ import annotations

import gc
import json
import threading
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import sinks

import mapper
from mapper import writers
from mapper.options import MapOptions

# --- 1. one rule for text a batch holds: UTF-8 only, as Arrow's writers hold it -------------------

TEXT_SINK = sinks.schema(sinks.column("k", "string"), sinks.column("s", "string"), sinks.column("tags", "strings"), primary_key_fields=["k"])
SURROGATE = r"holds text that is not UTF-8 in row 1 \(counting from 0\): a UTF-16 surrogate, '\\ud800'"


def _text_batch() -> mapper.Batch:
    return mapper.compile_sink(json.dumps(TEXT_SINK)).map([{"k": "a", "s": "x", "tags": ["p"]}, {"k": "b", "s": "y", "tags": ["q", "r"]}])


def _edited(where: str) -> tuple[mapper.Batch, str]:
    """A mapped batch given a lone surrogate by hand, as a user can (docs/python-api.md: ``col.stored =
    edited``, ``batch.ids = objects`` or an edit in place of ``batch.ids``), and what the refusal names."""
    batch = _text_batch()
    if where == "column":
        batch["s"].stored = np.array(["x", "\ud800y"], dtype=object)
        return batch, "column 's' " + SURROGATE
    if where == "set element":
        batch["tags"].stored = np.array(["p", "q", "\ud800"], dtype=object)
        return batch, r"column 'tags' holds text that is not UTF-8 in row 1 \(counting from 0\), its element 1: a UTF-16 surrogate, '\\ud800'"
    batch.ids[1] = "\ud800"  # (ids held as objects alone: an edit in place shows everywhere)
    return batch, "its _id " + SURROGATE


WHERE = ["column", "set element", "ids edited in place"]


@pytest.mark.parametrize("where", WHERE)
def test_a_lone_surrogate_given_by_hand_is_refused_by_check_to_rows_and_every_writer_alike(tmp_path: Path, where: str) -> None:
    """A str holding ``"\\ud800"`` (mapping stores U+FFFD for one) passed ``batch.check()`` and
    ``to_rows()``; the ``.npz`` writer wrote it as ``surrogatepass`` encodes it (bytes that are no
    UTF-8, which another reader of the file meets as such) and the NDJSON writer as the escape
    ``"\\ud800"`` (which the endpoint, and mapper reading the file again, take as U+FFFD); while
    ``to_arrow`` and the ``.arrow`` / ``.parquet`` writers refused it. Now every one refuses it,
    naming the column (or _id) and row, in the same words, and writes no file."""
    batch, said = _edited(where)
    with pytest.raises(mapper.OutputError, match=said):
        batch.check()
    with pytest.raises(mapper.OutputError, match=said):
        batch.to_rows()
    outs = [("npz", writers.write_npz), ("ndjson", writers.write_ndjson)]
    if _importable("pyarrow"):
        outs += [("arrow", writers.write_arrow), ("parquet", writers.write_parquet)]
        with pytest.raises(mapper.OutputError, match=said):
            batch.to_arrow()
    for ext, write in outs:
        out = tmp_path / f"b.{ext}"
        with pytest.raises(mapper.OutputError, match=said):
            write(batch, out)
        assert not out.exists(), ext


def test_string_ids_given_by_hand_holding_a_lone_surrogate_are_refused_when_given() -> None:
    """``batch.ids = objects`` (and ``mapper.Batch(...)``) refuse an object that is no str there and
    then; a str UTF-8 has no form for is refused the same way, the row named."""
    batch = _text_batch()
    with pytest.raises(mapper.OutputError, match="the batch's _id " + SURROGATE):
        batch.ids = np.array(["a", "\ud800"], dtype=object)
    with pytest.raises(mapper.OutputError, match="the batch's _id " + SURROGATE):
        mapper.Batch(batch.sink, np.array(["a", "\ud800"], dtype=object), batch.record_index, batch.columns, batch.report)


def test_the_text_rule_lets_every_character_through_and_names_the_first_fault_only() -> None:
    """A surrogate pair's character (😀), NUL, and text past ASCII are UTF-8: kept by every output."""
    batch = _text_batch()
    batch["s"].stored = np.array(["é\x00中", "\U0001f600"], dtype=object)
    batch.check()
    assert [r["s"] for r in batch.to_rows()] == ["é\x00中", "\U0001f600"]


def test_an_npz_file_holding_a_lone_surrogate_as_an_older_mapper_wrote_it_is_refused_by_read_batch(tmp_path: Path) -> None:
    """An ``.npz`` the writer wrote before (a lone surrogate as ``surrogatepass`` encodes it) read back
    holding the str, which every output then refused or wrote as its escape: read_batch refuses it
    as it refuses any text that is not UTF-8, naming the column and row."""
    batch = _text_batch()
    out = tmp_path / "b.npz"
    writers.write_npz(batch, out)
    with np.load(out) as z:
        arrays = {k: z[k] for k in z.files}
    text = arrays["s.utf8"].tobytes()
    assert text == b"xy"
    arrays["s.utf8"] = np.frombuffer("x\ud800".encode("utf-8", "surrogatepass"), dtype=np.uint8)
    arrays["s.utf8_offsets"] = np.array([0, 1, 4], dtype=np.int64)
    np.savez(out, **arrays)
    with pytest.raises(mapper.InputError, match=r"column 's' holds text that is not UTF-8 in row 1 \(counting from 0\) \(a UTF-16 surrogate, '\\ud800'"):
        mapper.read_batch(out)


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


# --- 2. the collector's pause gives back what the program asked for ----------------------------

ID_SINK = json.dumps(sinks.id_sink(sinks.column("s", "string")))


def _mapping_on_a_thread(m: mapper.Mapper) -> tuple[threading.Thread, threading.Event, threading.Event, dict[str, Any]]:
    """A map of two records on a thread of its own, held between them (under the collector's pause)
    until ``go`` is set: ``inside`` is set once it is held there."""
    inside, go = threading.Event(), threading.Event()
    out: dict[str, Any] = {}

    def records() -> Iterator[dict[str, Any]]:
        yield {"id": 1, "s": "a"}
        inside.set()
        go.wait(10)
        yield {"id": 2, "s": "b"}

    def run() -> None:
        out["rows"] = len(m.map(records()))

    t = threading.Thread(target=run)
    t.start()
    return t, inside, go, out


def _collecting() -> bool:
    """Whether the collector runs of itself: on, and its first threshold not 0 (which stops it)."""
    return gc.isenabled() and gc.get_threshold()[0] != 0


def test_a_gc_disable_the_program_makes_on_another_thread_while_a_map_runs_is_not_undone() -> None:
    """The engine switched the collector off for a run and on again after it (it was on before):
    a ``gc.disable()`` the program made meanwhile, on its own thread, was undone when the map ended,
    and the program's collector ran again when it had asked for it not to."""
    m = mapper.compile_sink(ID_SINK)
    thresholds = gc.get_threshold()
    assert gc.isenabled()
    t, inside, go, out = _mapping_on_a_thread(m)
    try:
        assert inside.wait(10)
        assert not _collecting()  # (paused while the map runs)
        gc.disable()  # the program's, as the map runs
        go.set()
        t.join(10)
        assert not t.is_alive() and out["rows"] == 2
        assert not gc.isenabled()
        assert gc.get_threshold() == thresholds
    finally:
        go.set()
        t.join(10)
        gc.enable()
        gc.set_threshold(*thresholds)


def test_two_maps_on_two_threads_and_the_programs_gc_disable_between_them() -> None:
    """Map a starts, map b starts, the program disables the collector, a ends, b ends: the collector
    stays paused until b ends, then is as the program left it (off), its thresholds as they were."""
    m = mapper.compile_sink(ID_SINK)
    thresholds = gc.get_threshold()
    runs = [_mapping_on_a_thread(m) for _ in range(2)]
    try:
        assert all(inside.wait(10) for _, inside, _, _ in runs)
        gc.disable()
        (ta, _, go_a, out_a), (tb, _, go_b, out_b) = runs
        go_a.set()
        ta.join(10)
        assert not ta.is_alive() and out_a["rows"] == 2
        assert gc.get_threshold()[0] == 0  # (b is still mapping)
        go_b.set()
        tb.join(10)
        assert not tb.is_alive() and out_b["rows"] == 2
        assert not gc.isenabled() and gc.get_threshold() == thresholds
    finally:
        for t, _, go, _ in runs:
            go.set()
            t.join(10)
        gc.enable()
        gc.set_threshold(*thresholds)


def test_thresholds_the_program_sets_while_a_map_runs_are_kept_and_the_collector_it_enabled_stays_on() -> None:
    """The program had the collector off, and switched it on as a map ran (and set its own thresholds):
    after the map, both are as the program set them."""
    m = mapper.compile_sink(ID_SINK)
    thresholds = gc.get_threshold()
    gc.disable()
    t, inside, go, out = _mapping_on_a_thread(m)
    try:
        assert inside.wait(10)
        gc.enable()
        gc.set_threshold(5000, 20, 20)
        go.set()
        t.join(10)
        assert not t.is_alive() and out["rows"] == 2
        assert gc.isenabled() and gc.get_threshold() == (5000, 20, 20)
    finally:
        go.set()
        t.join(10)
        gc.enable()
        gc.set_threshold(*thresholds)


# --- 3. max_record_size measures a dict by the JSON text a Batcher sends for it ---------------

SIZED_SINK = json.dumps(sinks.id_sink(sinks.column("s", "string"), sinks.column("n", "int", ["d", "n"])))


def _sized(i: int, length: int) -> dict[str, Any]:
    return {"id": i, "s": "é" * length, "d": {"n": i, "other": [1.5, None, "x"]}}


def _sent(record: dict[str, Any]) -> bytes:
    """The text a Batcher sends for ``record`` (what the endpoint measures)."""
    with mapper.Batcher(SIZED_SINK) as batcher:
        verdict = batcher.add(record)
    assert verdict.accepted and verdict.raw is not None
    return verdict.raw


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("n", [2, 300])  # (a few dicts' quick route, and an engine run)
def test_a_max_record_size_given_measures_dicts_as_the_text_the_batcher_sends(fast: bool, n: int) -> None:
    """``m.validate(dicts, max_record_size=2048)`` refused no dict, however big (a note said they were
    not measured), where the same records as texts were ``too_large``: a producer asking for a limit
    meant it of the records it sends. Now a dict is measured by its JSON text as the Batcher writes it
    (orjson's, for builtin values): over the limit by a byte is ``too_large``, at it is not, as for its text."""
    m = mapper.compile_sink(SIZED_SINK)
    over, at = _sized(0, 1200), _sized(1, 0)
    limit = len(_sent(over)) - 1
    at["s"] = "x" * (limit - len(_sent(at)))
    assert len(_sent(at)) == limit
    records = [over, at] + [_sized(i, 3) for i in range(2, n)]
    texts = [_sent(r) for r in records]
    for given in (records, texts):
        report = m.validate(given, max_record_size=limit, fast=fast)
        assert [(e.record, e.code) for e in report.errors] == [(0, "too_large")], given[0].__class__
        assert f"{limit + 1:,} bytes, more than the {limit:,} a record may have" in report.errors[0].reason
        assert report.failed_records == 1 and not [x for x in report.notes if "max_record_size" in x]
    batch = m.map(records, max_record_size=limit, fast=fast)
    assert batch.record_index.tolist() == list(range(1, n))
    assert [p.code for p in m.check(over, max_record_size=limit)] == ["too_large"]
    assert m.check(at, max_record_size=limit) == []


def test_a_dict_is_measured_alone_as_one_record_and_in_iter_batches() -> None:
    m = mapper.compile_sink(SIZED_SINK)
    big = _sized(0, 1200)
    limit = len(_sent(big)) - 1
    assert [e.code for e in m.validate(big, max_record_size=limit).errors] == ["too_large"]
    parts = list(m.iter_batches(iter([_sized(1, 2), big, _sized(2, 2)]), records=2, max_record_size=limit))
    assert [p.report.failed_records for p in parts] == [1, 0] and [len(p) for p in parts] == [1, 1]


def test_at_the_default_limit_dicts_are_not_written_to_be_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing each dict's text costs a list of dicts most of what mapping it does
    (docs/performance.md, *Producers*): at the default (16 MiB, the reader's bound on a line held
    whole; a dict is held already) none is written, for map, validate or check."""
    from mapper.engine import check, core

    def written(*_: Any, **__: Any) -> Any:
        raise AssertionError("a dict's text was written to measure it")

    monkeypatch.setattr(core, "measured_objects", written)
    m = mapper.compile_sink(SIZED_SINK)
    records = [_sized(i, 3) for i in range(300)]
    assert len(m.map(records)) == 300 and m.validate(records[:3]).accepted
    assert m.check(records[0]) == []
    assert check.few_dicts(m.compiled, records[:3], MapOptions()) is not None  # (the quick route kept)


def test_infer_measures_dicts_given_a_limit_as_its_draft_is_verified() -> None:
    """``mapper.infer(dicts, max_record_size=...)`` read every dict into the draft, and its verification
    (validate with the same limit) then refused the big one: the draft's reading and its verification
    disagreed. Read as their texts are: the big one a bad record, said alike."""
    records = [_sized(i, 1200 if i == 1 else 3) for i in range(10)]
    limit = len(_sent(records[1])) - 1
    as_dicts = mapper.infer(records, id_field="id", max_record_size=limit)
    as_texts = mapper.infer([_sent(r) for r in records], id_field="id", max_record_size=limit)
    assert as_dicts.bad_records == as_texts.bad_records == 1
    assert as_dicts.verified == as_texts.verified == {"records": 10, "refused": 1, "errors": {"too_large": 1}}
    assert f"{limit + 1:,} bytes, more than the {limit:,}" in as_dicts.bad_examples[0]["reason"]


# --- 4. the hunt ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "details, pointer",
    [({"note": "a\ud800b"}, "/sink_details/note"), ({"tags": ["ok", {"x": "\udfff"}]}, "/sink_details/tags"), ({"k\ud800": 1}, "/sink_details")],
    ids=["a value", "nested", "a key"],
)
def test_a_hand_built_sinks_details_holding_a_lone_surrogate_are_refused_as_load_sink_refuses_them(
    tmp_path: Path, details: dict[str, Any], pointer: str
) -> None:
    """``load_sink`` refuses a definition whose text holds an unpaired surrogate (``invalid-unicode``);
    a ``Sink`` given such ``sink_details`` by hand (``dataclasses.replace``) compiled, and then
    ``to_arrow`` and the .arrow / .parquet writers raised the codec's UnicodeEncodeError from inside
    (writing the sink into the schema's metadata), and the .npz writer wrote a file read_batch refused."""
    import dataclasses

    sink = mapper.load_sink(json.dumps(TEXT_SINK))
    edited = dataclasses.replace(sink, sink_details={**(sink.sink_details or {}), **details})
    with pytest.raises(mapper.DefinitionError) as info:
        mapper.compile_sink(edited)
    problems = [(p.code, p.pointer) for p in info.value.problems]
    assert problems == [("hand-built", pointer)], info.value.problems
    assert "unpaired UTF-16 surrogate" in info.value.problems[0].message


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63)])
def test_a_time_in_seconds_past_what_parquet_holds_is_refused_naming_its_column_and_row(tmp_path: Path, value: int) -> None:
    """Parquet holds a ``timestamp`` of seconds as milliseconds: a value edited past int64 / 1000
    (mapping never stores one: FeatureBase's range ends at 9999) raised pyarrow's ArrowInvalid from
    inside ``write_parquet`` ("Integer overflow when casting timestamp value ..."), naming neither."""
    pytest.importorskip("pyarrow")
    sink = sinks.id_sink(sinks.column("t", "timestamp"))
    batch = mapper.compile_sink(json.dumps(sink)).map([{"id": 1, "t": "2020-01-01T00:00:00Z"}, {"id": 2, "t": "2021-01-01T00:00:00Z"}])
    batch["t"].values[1] = value
    out = tmp_path / "b.parquet"
    with pytest.raises(mapper.OutputError, match=r"column 't' holds .* in row 1 \(counting from 0\), which a Parquet file cannot hold"):
        writers.write_parquet(batch, out)
    assert not out.exists()
    writers.write_arrow(batch, tmp_path / "b.arrow")  # (Arrow holds seconds as they are)


def test_a_gc_freeze_the_program_makes_while_workers_run_is_not_thawed_when_they_end() -> None:
    """A run with workers freezes the process's objects (``gc.freeze``, so the forked workers share
    their pages) and thaws them when it ends (``gc.unfreeze``, which thaws every frozen object): a
    ``gc.freeze()`` the program made meanwhile, on its own thread (a preforking server's, before
    it forks), was undone with it, as the collector's pause undid a ``gc.disable()`` (above)."""
    from mapper.engine import parallel

    assert gc.get_freeze_count() <= parallel._parked_by_the_collector()  # (nothing of the program's frozen)
    froze = threading.Event()

    def program() -> None:
        gc.freeze()
        froze.set()

    try:
        with parallel._FROZEN():
            t = threading.Thread(target=program)
            t.start()
            assert froze.wait(10)
            t.join(10)
        assert gc.get_freeze_count() > parallel._parked_by_the_collector()  # (the program's freeze holds)
        with parallel._FROZEN():  # (and a later run leaves the process's frozen objects alone, as ever)
            pass
        assert gc.get_freeze_count() > parallel._parked_by_the_collector()
    finally:
        gc.unfreeze()
