"""The architecture's promises: one registry, one tier table, an honest public surface.

Also the canaries for the one place the engine reads another library's message text
(msgspec gives no structured position for a failing element): if msgspec rewords its
errors, these fail, so the silent fallback to record-by-record decoding is noticed.
"""

from __future__ import annotations

import linecache
import os
import sys
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sinks import column, id_schema, id_sink

import mapper
from mapper._version import DISTRIBUTION
from mapper.compiler import compile_definition
from mapper.engine.fast import _BYTE_RE, _IDX_RE, FastPath
from mapper.tiers import TIERS
from mapper.types import REGISTRY, TYPES, ColumnType

SINK = id_sink(
    column("alt", "int", path=["data", "alt"]),
    column("lat", "decimal", path=["data", "lat"], Scale=2),
    column("call", "string"),
    name="planes",
    table="t",
    database_id="00000000-0000-0000-0000-000000000000",
    schema_type=None,
)


# ---------------------------------------------------------------------------------------
# msgspec's message text: the canaries


def test_msgspec_names_the_failing_element_of_an_array_as_the_engine_reads_it():
    dec = msgspec.json.Decoder(list[int])
    with pytest.raises(msgspec.ValidationError) as exc:
        dec.decode(b'[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, "x"]')
    m = _IDX_RE.search(str(exc.value))
    assert m is not None and int(m.group(1)) == 12, str(exc.value)


def test_msgspec_names_the_byte_offset_of_malformed_json_as_the_engine_reads_it():
    data = b'[{"a": 1}, {"a": 2}, {"a": ]'
    with pytest.raises(msgspec.DecodeError) as exc:
        msgspec.json.decode(data)
    m = _BYTE_RE.search(str(exc.value))
    assert m is not None and data[int(m.group(1))] == ord("]"), str(exc.value)


def test_msgspec_says_truncated_and_names_a_literal_miss_as_the_engine_reads_it():
    with pytest.raises(msgspec.DecodeError) as exc:
        msgspec.json.decode(b'{"a": [1, 2')
    assert "truncated" in str(exc.value)
    from typing import Literal

    with pytest.raises(msgspec.ValidationError) as exc2:
        msgspec.json.decode(b'"c"', type=Literal["a", "b"])
    assert str(exc2.value).startswith("Invalid enum value")


def test_a_failing_record_in_a_big_chunk_is_split_out_not_the_whole_chunk_made_careful():
    m = mapper.compile_sink(SINK)
    lines = [b'{"id": %d, "data": {"alt": %d, "lat": 1.5}, "call": "A"}' % (i, i) for i in range(2000)]
    lines[1234] = b'{"id": 1234, "data": {"alt": 1234, "lat": }, "call": "A"}'
    from mapper.engine.core import Engine
    from mapper.engine.reader import iter_units

    engine = Engine(m.compiled, mapper.MapOptions(on_error="skip"))
    for unit in iter_units(b"\n".join(lines) + b"\n"):
        engine.feed(unit)
    batch, report = engine.finish()
    assert report.failed_records == 1 and (report.errors[0].record, report.errors[0].line, report.errors[0].code) == (1234, 1235, "invalid_json")
    assert engine.stats["careful_records"] == 0  # not even decoded: the record had no object to walk
    assert engine.stats["fast_records"] == 1999  # the records around it stayed on the fast path
    assert batch is not None and batch.count == 1999


def test_a_line_holding_two_objects_is_one_bad_record_and_the_count_stays_right():
    # a blank line makes the chunk "not clean": its lines are decoded as one array, where
    # the line with two objects would make one value too many
    data = b'{"id": 1, "call": "A"}\n\n{"id": 2, "call": "B"},{"id": 3, "call": "C"}\n{"id": 4, "call": "D"}\n'
    report = mapper.compile_sink(SINK).validate(data, on_error="skip")
    assert report.records == 3
    assert [(e.record, e.line, e.code) for e in report.errors] == [(1, 3, "invalid_json")]


# ---------------------------------------------------------------------------------------
# The registry and the tiers


def test_every_type_has_one_class_in_the_registry_that_names_itself():
    assert tuple(REGISTRY) == TYPES == ("id", "ids", "string", "strings", "bool", "int", "decimal", "timestamp", "recordTime", "dateInt", "signedIntBoolKey")
    for name, cls in REGISTRY.items():
        assert issubclass(cls, ColumnType) and cls.type == name
        assert cls.storage in ("uint64", "int64", "bool", "str", "uint64set", "strset")


def test_a_config_key_of_another_type_is_named_as_such_by_the_checker():
    result = mapper.check_sink([{"name": "a", "path": ["a"], "type": "int", "config": {"scale": 2}}], primary_key_fields=["a"], allow_missing_fields=True)
    (p,) = [p for p in result.problems if p.code == "unknown-config-key"]
    assert p.pointer == "/0/config/scale" and "Scale does not apply to an int column" in p.message


def test_the_tier_table_in_order_with_one_word_per_idea():
    assert [t.name for t in TIERS] == ["exact", "lax", "lenient", "loose"]
    assert [(t.exact_types, t.every_field, t.values_as_text) for t in TIERS] == [
        (True, True, False),
        (False, True, False),
        (False, False, False),
        (False, False, True),
    ]
    assert [t.takes_literals for t in TIERS] == [True, True, False, False]


def test_the_loose_tier_exists_only_where_a_text_column_can_take_numbers():
    with_text = compile_definition(mapper.load_sink(SINK))
    assert [ct.tier.name for ct in with_text.tiers] == ["exact", "lax", "lenient", "loose"]
    numeric = dict(SINK, schema=dict(SINK["schema"], definition=SINK["schema"]["definition"][:3]))
    assert [ct.tier.name for ct in compile_definition(mapper.load_sink(numeric)).tiers] == ["exact", "lax", "lenient"]


# ---------------------------------------------------------------------------------------
# The public surface


def test_one_missing_object_for_absent_keys_and_missing_rows():
    m = mapper.compile_sink(SINK)
    assert m.walk({"id": 1})[1] is mapper.MISSING
    batch = m.map(b'{"id": 1, "data": {}}\n')
    assert batch["alt"].canonical() == [mapper.MISSING]
    assert repr(mapper.MISSING) == "MISSING"
    import pickle

    assert pickle.loads(pickle.dumps(mapper.MISSING)) is mapper.MISSING


def test_fast_path_warnings_are_value_warnings_equal_to_the_careful_ones():
    data = b'{"id": 1, "data": {"alt": 1, "lat": 4.35}, "call": "A"}\n' * 70
    fast = mapper.compile_sink(SINK).validate(data)
    careful = mapper.compile_sink(SINK).validate(data, fast=False)
    assert fast.warnings and all(isinstance(w, mapper.ValueWarning) for w in fast.warnings)
    assert fast.warnings == careful.warnings
    w = fast.warnings[0]
    assert (w.kind, w.sent, w.stored) == ("float_decimal", 4.35, "4.34")
    assert w.pointer == "/schema/definition/2"


@pytest.mark.parametrize("records", [40, 700, 3000])
def test_fast_path_warnings_are_kept_and_counted_as_the_careful_path_keeps_them(records):
    # the vector forms' lazy warnings of a chunk are held, then cut at twice KEEP: the kept
    # ones and the counts are the careful path's (3000: one column's warnings of a chunk pass the cut alone)
    sink = {
        "name": "w",
        "sink_details": {"database_id": "d", "table": "t"},
        "schema": {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": c, "path": [c], "type": "decimal", "config": {"Scale": 2}} for c in "abc"],
        },
    }
    m = mapper.compile_sink(sink)
    rows = [{"id": i, "a": 0.125 + i, "b": 1.005 if i % 3 else 1.5, "c": i} for i in range(records)]
    text = b"".join(orjson.dumps(r) + b"\n" for r in rows)
    careful = m.validate(text, fast=False)
    for fast, lines in ((m.validate(text), True), (m.validate(rows), False)):  # (dicts have no lines)
        assert [(w.record, w.line, w.column, w.kind, w.sent, w.stored) for w in fast.warnings] == [
            (w.record, w.line if lines else None, w.column, w.kind, w.sent, w.stored) for w in careful.warnings
        ]
        assert fast.warning_counts == careful.warning_counts == {("a", "decimal_truncated"): records, ("b", "decimal_truncated"): records - (records + 2) // 3}
    assert len(careful.warnings) == min(1000, records + records - (records + 2) // 3)


@pytest.mark.parametrize(
    "options",
    [
        {"on_error": "drop"},
        {"max_errors": -1, "on_error": "skip"},
        {"max_errors": 5},
        {"max_errors": 5, "on_error": "reject"},
        {"max_errors": float("nan"), "on_error": "skip"},
        {"max_errors": "5", "on_error": "skip"},
        {"workers": 0},
        {"workers": True},
        {"input_format": "xml"},
        {"strict": "yes"},
        # equal to good options that were used before (the options are checked once per
        # distinct arguments: 1 == True == 1.0, and they are not the same option)
        {"strict": 1},
        {"fast": 1},
        {"workers": 1.0},
        {"max_errors": True, "on_error": "skip"},
        {"max_errors": [5], "on_error": "skip"},  # (unhashable)
    ],
)
def test_bad_options_raise_one_documented_error_before_reading(options):
    m = mapper.compile_sink(SINK)
    m.validate(b"", strict=True, fast=True, workers=1)
    m.validate(b"", max_errors=1, on_error="skip")
    never_read = iter(())  # would map to an empty batch if it were read

    with pytest.raises(mapper.OptionError) as exc:
        m.validate(never_read, **options)
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, mapper.MapperError)


def test_each_record_error_names_its_column_in_the_definition():
    report = mapper.compile_sink(SINK).validate(b'{"id": 1, "data": {"alt": "high"}, "call": "A"}\n{"id": -1}\n[]\n', on_error="skip")
    got = [(e.record, e.column, e.pointer) for e in report.errors]
    assert got == [(0, "alt", "/schema/definition/1"), (1, "id", "/schema/definition/0"), (2, None, None)]
    assert report.to_dict()["errors"][0]["pointer"] == "/schema/definition/1"


def test_generated_modules_never_share_a_linecache_name():
    sink = mapper.load_sink(SINK)
    full = compile_definition(sink)
    other = dict(SINK, schema=dict(SINK["schema"], definition=SINK["schema"]["definition"][:2]))
    same_name = compile_definition(mapper.load_sink(other))  # the same sink name, another definition
    part = compile_definition(sink, part=(frozenset({1}), False))  # a workers share of the columns
    names = {full.filename, same_name.filename, part.filename}
    assert len(names) == 3
    for c in (full, same_name, part):
        assert "".join(linecache.getlines(c.filename)) == c.source
    assert compile_definition(sink).filename == full.filename  # the same source reuses its name


def test_generated_functions_are_compiled_when_first_used_at_their_lines_of_the_source():
    # a definition of 3,000 columns took 1.4 s to compile, most of it for functions an input
    # never used (the dict extractor for NDJSON, tiers no chunk needed): each is compiled on
    # first use, and a traceback still points at its line of the source `explain` shows
    import traceback

    c = compile_definition(mapper.load_sink(SINK))
    defined = {name for name in c.namespace if callable(c.namespace[name]) and name.startswith(("walk", "extract"))}
    assert defined == set()
    mapper.Mapper(c.sink).map(b'{"id": 1}\n')  # (its own compilation: this one's stays as it is)
    lines = c.source.splitlines()
    for fn in (c.walk, c.extract_dicts, c.tiers[0].extract, c.tiers[-1].extract):
        assert lines[fn.__code__.co_firstlineno - 1].startswith(f"def {fn.__name__}(")
        assert fn.__code__.co_filename == c.filename
    assert c.walk is c.walk and c.tiers[0].extract is c.tiers[0].extract
    # a failing generated function's traceback shows its source line
    try:
        c.walk(None)
    except Exception as exc:  # noqa: BLE001 - whatever the generated code raises for a non-record
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        assert frame.filename == c.filename and frame.line and frame.line.strip() in c.source
    else:  # pragma: no cover - walk of None cannot succeed
        raise AssertionError("walk(None) returned")


def test_a_missing_optional_package_names_this_distributions_extra(monkeypatch):
    batch = mapper.compile_sink(SINK).map(b'{"id": 1}\n')
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(mapper.MissingDependencyError) as exc:
        batch.to_pandas()
    assert isinstance(exc.value, ImportError) and f"pip install '{DISTRIBUTION}[pandas]'" in str(exc.value)


def test_the_package_exports_only_public_names():
    for name in mapper.__all__:
        assert not name.startswith("_") or name == "__version__"
        assert hasattr(mapper, name)
    assert "contenders" not in dir(mapper)
    assert mapper.TableSyntaxError and mapper.infer and mapper.Mapper.__module__ == "mapper"


def test_a_chunk_of_numeric_strings_maps_on_the_lax_tier():
    m = mapper.compile_sink(SINK)
    from mapper.engine.core import Engine
    from mapper.engine.reader import iter_units

    engine = Engine(m.compiled)
    assert isinstance(engine.fast, FastPath)
    lax = b"".join(b'{"id": %d, "data": {"alt": "%d", "lat": 1}, "call": "A"}\n' % (i, i) for i in range(100))
    for unit in iter_units(lax):
        engine.feed(unit)
    assert engine.stats["lax_runs"] == 1 and engine.stats["exact_runs"] == 0
    batch, _ = engine.finish()
    assert batch is not None and np.array_equal(batch["alt"].values, np.arange(100))


_ESCAPE_ATOMS = [b"\\ud83d", b"\\ude00", b"\\\\", b"\\", b"a", b"\\u00e9", b"\\uD800", b"\\uDC00", b"u", b"d8", b'"']


@settings(max_examples=400)
@given(st.lists(st.sampled_from(_ESCAPE_ATOMS), max_size=10))
def test_same_length_escapes_quick_looks_agree_with_the_exact_pattern(atoms):
    # the quick looks (no surrogate escape; only pairs) spare the exact pattern's ~100 ns a byte
    from mapper.engine import gojson

    data = b"".join(atoms)
    exact = gojson._UNPAIRED.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + b"\\ufffd", data)
    got = gojson.same_length_escapes(data)
    assert got == exact and len(got) == len(data)
    assert (got is data) == (exact == data)


def test_overlapping_runs_on_threads_keep_the_collector_off_until_the_last_ends(monkeypatch):
    # each run saved and restored gc.isenabled() alone: a run ending re-enabled it under
    # another thread's run, and the right interleaving left it off for good
    import threading

    from mapper.engine import runner

    entered = {name: threading.Event() for name in "ab"}
    leave = {name: threading.Event() for name in "ab"}
    seen: dict[str, bool] = {}

    def held_run(compiled, records, options, output):
        name = records.decode()
        entered[name].set()
        assert leave[name].wait(10)
        seen[name] = _collecting()
        return None, mapper.Report()

    monkeypatch.setattr(runner, "_run_engine", held_run)
    m = mapper.compile_sink(id_schema())
    assert _collecting()
    threads = {name: threading.Thread(target=m.validate, args=(name.encode(),)) for name in "ab"}
    threads["a"].start()
    assert entered["a"].wait(10)
    threads["b"].start()
    assert entered["b"].wait(10)
    leave["a"].set()
    threads["a"].join(10)
    assert not _collecting()  # b is still mapping
    leave["b"].set()
    threads["b"].join(10)
    assert _collecting() and seen == {"a": False, "b": False}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # (Python 3.12+)
def test_a_process_forked_while_another_thread_maps_gets_its_collector_back():
    # the child inherited the count of runs under way: the forking thread's peer never ends
    # there, so no run of the child switched the collector back on (off for good)
    import threading
    import time

    m = mapper.compile_sink(id_schema())
    inside, release = threading.Event(), threading.Event()

    def records() -> Any:
        yield {"id": 1}
        inside.set()  # (read under the pause)
        release.wait(10)
        yield {"id": 2}

    assert _collecting()
    t = threading.Thread(target=m.map, args=(records(),))
    t.start()
    try:
        assert inside.wait(10) and not _collecting()
        pid = os.fork()
        if pid == 0:  # the child: its own runs, then the collector as it was before any
            try:
                m.map([{"id": 3}, {"id": 4}, {"id": 5}])
                m.validate([{"id": 3}])
                os._exit(0 if _collecting() else 1)
            except BaseException:  # noqa: BLE001 - a child must never return into pytest
                os._exit(2)
        deadline = time.monotonic() + 20
        while True:  # (a child stuck on an inherited lock is killed, and fails)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if not done:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        assert done and os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        t.join(10)
    assert _collecting()


def _collecting() -> bool:
    """Whether the cyclic collector runs of itself: on, and its first threshold not 0 (a run's
    pause sets it to 0, leaving gc.disable() and gc.enable() to the program)."""
    import gc

    return gc.isenabled() and gc.get_threshold()[0] != 0


def _frozen_at_start() -> int:
    """gc.get_freeze_count() of a new interpreter, before any code of its own: 0, but 375 on
    3.12.1, whose collector moves every immortal object it meets (the built-in classes'
    tuples of bases and MRO) to the permanent generation, which that count counts."""
    import subprocess

    out = subprocess.run([sys.executable, "-I", "-c", "import gc; print(gc.get_freeze_count())"], capture_output=True, text=True, timeout=60, check=True)
    return int(out.stdout)


def test_a_run_with_workers_freezes_when_nothing_but_the_interpreters_own_objects_is_frozen():
    # on 3.12 a new interpreter has objects frozen (the collector's own: immortal tuples), and
    # _freeze_first (now _Freeze.first) took them for a program's gc.freeze() and never froze:
    # the workers' collections copied every page of the objects they share with the parent
    import gc

    from mapper.engine.parallel import _Freeze

    _freeze_first = _Freeze().first

    assert gc.get_freeze_count() <= _frozen_at_start()  # no freeze of this process's own
    made = [[i] for i in range(1000)]  # (tracked objects that a freeze must take)
    before = gc.get_freeze_count()
    try:
        assert _freeze_first() is True
        assert gc.get_freeze_count() >= before + len(made)
    finally:
        gc.unfreeze()
    gc.freeze()  # a program's own freeze: left alone
    try:
        assert _freeze_first() is False
    finally:
        gc.unfreeze()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # (Python 3.12+)
def test_runs_with_workers_on_threads_leave_the_processs_own_frozen_objects_frozen():
    # a run with workers froze the objects before forking and unfroze them all after: a
    # process's own gc.freeze() (a preforking server's) was undone, and of two runs on
    # threads, the first to end unfroze the objects under the other's forks
    import gc
    import threading

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.gen import SINK, generate

    m = mapper.compile_sink(SINK)
    data = generate(8000, "clean")
    want = len(m.map(data))
    counts: list[Any] = []

    def run() -> None:
        counts.append(len(m.map(data, workers=2)))

    own = _frozen_at_start()
    assert gc.get_freeze_count() <= own
    for freeze in (True, False):
        if freeze:
            gc.freeze()
        try:
            frozen = gc.get_freeze_count()
            threads = [threading.Thread(target=run) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            after = gc.get_freeze_count()
            if freeze:  # still frozen (thawed, it was 0); a frozen object that dies leaves the count
                assert frozen * 0.9 < after <= frozen, (frozen, after)
            else:  # the runs' own freeze thawed when they ended (all but what the collector parks itself)
                assert frozen <= own and after <= own, (own, frozen, after)
        finally:
            gc.unfreeze()
    assert counts == [want] * 4


@pytest.mark.parametrize("held", ["objects", "chunks"])
def test_strings_utf8_made_by_another_thread_is_read_whole(monkeypatch, held):
    # the UTF-8 form was kept as (data, offsets) in that order, and the test for it looks at
    # data: another thread asking between the two stores found no offsets (AssertionError).
    # The GIL never splits the two stores; free-threaded Python does: played here
    from mapper.batch import Strings

    whole = Strings.from_objects(np.array(["a", "bb", None, "ccc"], dtype=object), np.array([True, True, False, True]))
    if held == "chunks":
        second = Strings.from_objects(np.array([None, "ccc"], dtype=object), np.array([False, True]))
        parts = [Strings.from_objects(np.array(["a", "bb"], dtype=object)), Strings.from_utf8(*second.utf8, second.valid)]  # (in two forms)
        strings = Strings.concat(parts)
        assert strings.chunks is not None
    else:
        strings = whole
    want = tuple(a.tolist() for a in Strings.from_objects(whole.objects.copy(), whole.valid).utf8)
    seen: list[Any] = []
    slot = Strings.__dict__["_data"]

    def put(self: Strings, value: Any) -> None:
        slot.__set__(self, value)
        if self is strings and value is not None and not seen:  # another thread asks now
            seen.append(tuple(a.tolist() for a in strings.utf8))

    monkeypatch.setattr(Strings, "_data", property(lambda self: slot.__get__(self, Strings), put))
    assert tuple(a.tolist() for a in strings.utf8) == want and seen == [want]


def test_threads_reading_one_reports_lazy_warnings_at_once_see_them_whole():
    # a warning worded on first read: a second thread found its converter cleared halfway
    # (AssertionError, or a TypeError under -O) in about 2 of 5 rounds with a short switch interval
    import threading

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.gen import SINK, generate

    m = mapper.compile_sink(SINK)
    data = generate(3000, "lax")
    want = [w.message for w in m.validate(data).warnings]
    assert len(want) > 50
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(20):
            report = m.validate(data)
            seen: list[Any] = []

            def read(report: mapper.Report = report, seen: list[Any] = seen) -> None:
                try:
                    seen.append([w.message for w in report.warnings])
                except BaseException as exc:  # noqa: BLE001 - the failure is the finding
                    seen.append(exc)

            threads = [threading.Thread(target=read) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert seen == [want] * 4
    finally:
        sys.setswitchinterval(old)


def test_a_wide_sink_reads_ndjson_in_chunks_sized_by_its_columns(monkeypatch):
    # found measuring GitHub payloads (~10 KB) mapped whole by a 2,962-column draft: 21
    # records a 256 KB chunk, and a vector conversion per column per chunk: 80% of the time
    from mapper.engine import core
    from mapper.engine.reader import CHUNK_SIZE, chunk_size_for

    columns = 600
    sink = id_schema()
    sink["definition"] += [{"name": f"c{k}", "path": ["d", f"k{k}"], "type": "int"} for k in range(columns)]
    m = mapper.compile_sink(sink)
    records = [{"id": i, "d": {f"k{k}": i + k for k in range(i % 7, columns, 7)}, "pad": "x" * 4000} for i in range(600)]
    data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    fed = []
    real = core.Engine.feed
    monkeypatch.setattr(core.Engine, "feed", lambda self, unit: fed.append(unit) or real(self, unit))
    batch = m.map(data)
    assert chunk_size_for(columns + 1) == (columns + 1) * 2048 > CHUNK_SIZE
    assert len(data) > 4 * CHUNK_SIZE and len(fed) <= len(data) // chunk_size_for(columns + 1) + 2  # (cut at line ends), not one per CHUNK_SIZE
    assert batch.to_rows() == m.map(records).to_rows()  # (dicts: no chunks at all)
    assert chunk_size_for(14) == CHUNK_SIZE and chunk_size_for(10**6) == 4 << 20


def test_seed_shaped_ndjson_is_mapped_in_512_kb_chunks(monkeypatch):
    # 200k seed records mapped 4-7% quicker in 512 KB chunks than in 256 KB ones (each
    # chunk's fixed costs: a vector conversion per column), the decoded chunk still in cache
    from benchmarks.gen import SINK, generate
    from mapper.engine import core

    data = generate(8_000)  # 2.7 MB
    fed = []
    real = core.Engine.feed
    monkeypatch.setattr(core.Engine, "feed", lambda self, unit: fed.append(unit) or real(self, unit))
    batch = mapper.compile_sink(SINK).map(data)
    assert batch.count == 8_000
    sizes = [len(u.data) for u in fed]
    assert len(fed) == -(-len(data) // (512 << 10)), sizes  # (cut at line ends: a little under 512 KB each)
    assert 500_000 < max(sizes) <= 512 << 10


@pytest.mark.parametrize("allow_missing", [True, False])
def test_nulls_and_missing_values_written_at_once_are_what_the_careful_path_writes(allow_missing):
    # the fast path writes a column's nulls and missing values at once where the type only
    # marks them (a null clears a mutex string, is left alone for a set or a plain string;
    # missing is left alone), and leaves errors (a null id, a missing value under
    # allow_missing_fields false) to the careful path, which words them
    definition = [
        {"name": "id", "path": ["id"], "type": "id"},
        {"name": "s", "path": ["s"], "type": "string", "config": {"Mutex": True}},
        {"name": "t", "path": ["t"], "type": "string"},
        {"name": "n", "path": ["n"], "type": "int"},
        {"name": "b", "path": ["b"], "type": "bool"},
        {"name": "ts", "path": ["ts"], "type": "timestamp", "config": {"Unit": "s"}},
        {"name": "ss", "path": ["ss"], "type": "strings"},
    ]
    # and columns no record has (a wide sink's usual column): written at once for the whole run
    definition += [{**d, "name": f"none_{d['name']}", "path": ["none", *d["path"]]} for d in definition[1:]]
    m = mapper.compile_sink({"id_field": "id", "allow_missing_fields": allow_missing, "definition": definition})
    values = {"s": "x", "t": "y", "n": 3, "b": True, "ts": 1659981468, "ss": ["a"]}
    records = []
    for i in range(60):
        rec = {"id": i}
        for k, (name, v) in enumerate(values.items()):
            shape = (i + k) % 3  # a value, a null, or missing
            if shape == 0:
                rec[name] = v
            elif shape == 1:
                rec[name] = None
        records.append(rec)
    text = b"".join(orjson.dumps(r) + b"\n" for r in records)
    fast, careful = m.map(text, on_error="skip"), m.map(text, on_error="skip", fast=False)
    assert fast.report.to_dict()["errors"] == careful.report.to_dict()["errors"]
    assert fast.to_rows() == careful.to_rows() and len(fast) == len(careful) and (len(fast) > 0) == allow_missing
    for name in [*values, *(f"none_{v}" for v in values)]:
        a, b = fast[name], careful[name]
        assert np.array_equal(a.valid, b.valid) and np.array_equal(a.present, b.present), name


def test_the_careful_path_converts_a_plain_scalar_without_a_call_more(monkeypatch):
    # the hot path of check(dict) and of every careful record: a str, int, float or bool is
    # converted in place; only a list, dict or other object goes through _stored (and
    # full_stack), which cost check() of a seed record 10% as a call for every value (the
    # id's value: one call, not full_stack's too)
    from mapper.engine import careful

    calls = []
    real = careful._stored
    monkeypatch.setattr(careful, "_stored", lambda ct, v: calls.append(v) or real(ct, v))
    m = mapper.compile_sink(id_schema(column("s", "string"), column("f", "int")))
    assert m.check({"id": 1, "s": "caf\u00e9", "f": 2}) == []
    assert calls == [1]  # (the id: one call, not two)
    problems = m.check({"id": 1, "s": ["a", ["b"]], "f": 2})  # a list into a string column: through _stored
    assert calls == [1, ["a", ["b"]], 1] and [type(p).__name__ for p in problems] == ["ValueWarning"]
    assert [p.to_dict()["stored"] for p in m.check({"id": 1, "s": "x\ud800", "f": 2})] == ["x\ufffd"]  # a lone surrogate: replaced in place too
    assert len(calls) == 4


def test_a_ctrl_c_as_a_run_takes_the_collector_pause_leaves_the_collector_as_it_was(monkeypatch):
    # an interrupt as the hold's lock was let go (the counts up, the try after enter() not
    # yet begun), or as the pause's gc.set_threshold() returned (the hold not taken): the collector stayed
    # off for the rest of the process (a notebook's interrupted map)
    import gc
    import threading

    from mapper.engine import runner
    from mapper.engine.parallel import SharedHold

    class InterruptedOnce:
        """A lock whose first release is followed by a KeyboardInterrupt."""

        def __init__(self) -> None:
            self.lock, self.fired = threading.Lock(), False

        def __enter__(self) -> None:
            self.lock.acquire()

        def __exit__(self, *exc: object) -> None:
            self.lock.release()
            if not self.fired and exc[0] is None:
                self.fired = True
                raise KeyboardInterrupt

    thresholds = gc.get_threshold()
    assert _collecting()
    pause = runner._CollectorPause()
    hold = SharedHold(pause.take, pause.give_back)
    hold._lock = InterruptedOnce()  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        with hold():
            pass
    assert _collecting() and gc.get_threshold() == thresholds and hold._count == 0 and hold.depth() == 0

    class FakeGc:
        def get_threshold(self) -> tuple[int, ...]:
            return gc.get_threshold()

        def set_threshold(self, *values: int) -> None:
            gc.set_threshold(*values)
            if not values[0]:
                raise KeyboardInterrupt  # (as the pause's returned)

    monkeypatch.setattr(runner, "gc", FakeGc())
    pause = runner._CollectorPause()
    hold = SharedHold(pause.take, pause.give_back)
    try:
        with pytest.raises(KeyboardInterrupt):
            with hold():
                pass
        assert _collecting() and gc.get_threshold() == thresholds and hold._count == 0
    finally:
        gc.set_threshold(*thresholds)
