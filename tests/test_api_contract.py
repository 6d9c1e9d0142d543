"""The public Python API against what it says of itself: signatures as the README's
*Python API* examples call them, and a wrong type, None, a negative or huge number or a
NaN for a parameter refused with a :class:`mapper.MapperError` subclass naming it (never a
TypeError from inside, never taken silently)."""

from __future__ import annotations

import inspect
import json
import math
import os
from array import array
from pathlib import Path
from typing import Any, Callable

import pytest

import mapper

ROOT = Path(__file__).resolve().parent.parent
SINK = str(ROOT / "examples" / "aircraft" / "sink.json")
RECORDS = str(ROOT / "examples" / "aircraft" / "records.ndjson")

#: one of each kind of wrong value a caller may pass
BAD: list[Any] = [None, -1, 2**70, math.nan, math.inf, -0.5, "x", b"x", 1.5, [], {}, object()]


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


@pytest.fixture(scope="module")
def batch(m: mapper.Mapper) -> mapper.Batch:
    return m.map(RECORDS)


# --- the README's examples, as signatures ---------------------------------------------

#: (callable's name, keyword arguments the README passes it) for each keyword-only option
README_KEYWORDS: list[tuple[str, Any, set[str]]] = [
    ("Mapper.map", mapper.Mapper.map, {"on_error", "max_errors", "strict", "workers", "records_path"}),
    ("Mapper.validate", mapper.Mapper.validate, set()),
    ("Mapper.iter_batches", mapper.Mapper.iter_batches, {"records"}),
    ("Mapper.check", mapper.Mapper.check, set()),
    ("Batch.to_arrow", mapper.Batch.to_arrow, {"presence", "record_index"}),
    ("Batcher", mapper.Batcher, {"max_records", "max_bytes"}),
    ("Sender", mapper.Sender, {"token"}),
]


@pytest.mark.parametrize(("name", "func", "keywords"), README_KEYWORDS, ids=[r[0] for r in README_KEYWORDS])
def test_the_readmes_keywords_are_keyword_parameters(name: str, func: Callable[..., Any], keywords: set[str]) -> None:
    params = inspect.signature(func).parameters
    for k in keywords:
        assert k in params, f"{name} has no parameter {k}"
        assert params[k].kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD), (name, k)


def test_the_readmes_python_api_examples_run_on_the_examples(tmp_path: Path) -> None:
    """Each line of the README's first Python block that runs on examples/ files, as written."""
    sink = mapper.load_sink(SINK)
    result = mapper.check_sink(SINK)
    assert result.valid and result.problems == () or isinstance(result.problems, tuple)
    m = mapper.compile_sink(sink)
    assert mapper.compile_sink(SINK).sink == m.sink
    ndjson_bytes = Path(RECORDS).read_bytes()
    batch = m.map(ndjson_bytes)
    records = [json.loads(line) for line in ndjson_bytes.splitlines() if line.strip()]
    batch2 = m.map(records, on_error="skip", max_errors=0.01, strict=False, workers=1)
    assert isinstance(batch2, mapper.Batch)
    report = m.validate(ndjson_bytes)
    assert isinstance(report, mapper.Report) and isinstance(report.rejected, list)
    col = batch["altitude"]
    assert col.values.dtype.name == "int64" and col.valid.dtype == bool and col.present.dtype == bool
    assert len(batch.ids) == len(batch.record_index) == len(batch)
    rows = batch.to_rows()
    assert next(iter(rows[0])) == "_id"
    assert "altitude" in batch
    with pytest.raises(TypeError):
        iter(batch)
    part, same = batch[1:3], batch.slice(1, 2)
    assert part.equals(same) and part == same
    with pytest.raises(mapper.OptionError):
        batch[::2]
    assert report.verdict in ("accepted", "partial", "refused", "discarded") and report.summary()
    assert isinstance(report.to_dict(), dict) and isinstance(report.endpoint_answer(), dict)
    report.silence({"empty_string"})
    with pytest.raises(mapper.OptionError):
        report.silence({"no_such_kind"})
    pytest.importorskip("pyarrow")
    table = batch.to_arrow()
    assert table.column_names[:2] == ["_id", "_record_index"]
    assert "_record_index" not in batch.to_arrow(presence=False, record_index=False).column_names
    out = tmp_path / "out.parquet"
    import pyarrow.parquet as pq

    pq.write_table(table, out)
    assert mapper.read_batch(str(out)).equals(batch)
    batch.check()


def test_the_readmes_producer_examples_run_on_the_examples() -> None:
    m = mapper.compile_sink(SINK)
    problems = m.check({"hex": "abc"})
    assert isinstance(problems, list) and all(p.severity in ("error", "warning") for p in problems)
    seen = [(b.report.verdict, len(b)) for b in m.iter_batches(RECORDS, records=100_000)]
    assert seen and sum(n for _, n in seen) == len(m.map(RECORDS))
    assert mapper.concat(m.iter_batches(RECORDS, records=3)) == m.map(RECORDS)
    with mapper.Batcher(SINK, max_records=500, max_bytes=500_000) as batcher:
        verdict = batcher.add({"hex": "abc"})
        assert isinstance(verdict.accepted, bool) and isinstance(verdict.errors, (list, tuple))
        bodies = batcher.ready() + batcher.flush()
    assert all(isinstance(b.to_batch(), mapper.Batch) for b in bodies)
    with pytest.raises(mapper.OptionError):
        batcher.add({"hex": "abc"})
    sender = mapper.Sender("http://127.0.0.1:9/x", token=os.environ.get("FEATUREBASE_TOKEN", "t"))
    sender.close()
    store = mapper.Store(":memory:")
    for name in ("create_sink", "list_sinks", "ingest", "rows"):
        assert callable(getattr(store, name))
    store.close()


# --- wrong arguments -----------------------------------------------------------------


def _refused(call: Callable[[], Any]) -> None:
    """``call`` raises a MapperError subclass (a TypeError or the like from inside fails the test)."""
    with pytest.raises(mapper.MapperError):
        call()


@pytest.mark.parametrize("value", [None, -1, 1.5, [], object(), "x", 0])
def test_check_refuses_a_strict_that_is_no_bool_after_a_check_made_its_checker(m: mapper.Mapper, value: Any) -> None:
    """The check of ``strict`` was the checker's, made once per thread: after one call with
    strict=True (or False), 1.5 or [] (or 0, None) was taken as that one."""
    m.check({"hex": "abc"}, strict=True)
    m.check({"hex": "abc"}, strict=False)
    _refused(lambda: m.check({"hex": "abc"}, strict=value))


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("option", ["on_error", "max_errors", "strict", "input_format", "workers", "fast", "max_record_size", "records_path"])
@pytest.mark.parametrize("method", ["map", "validate", "iter_batches"])
def test_each_mapping_option_refuses_a_wrong_value_with_an_option_error(m: mapper.Mapper, method: str, option: str, value: Any) -> None:
    ok = {
        "max_errors": (None,),  # (any other needs on_error='skip')
        "workers": (2**70,),  # (as many as there are records or cores)
        "max_record_size": (2**70,),
        "records_path": (None, "x"),
        "on_error": (),
        "input_format": (),
    }.get(option, ())
    if method == "iter_batches" and option == "workers":
        pytest.skip("iter_batches maps on one process")
    if any(value is v or (type(value) is type(v) and value == v) for v in ok):
        pytest.skip("a good value")
    call = getattr(m, method)
    with pytest.raises(mapper.OptionError):
        out = call(RECORDS, **{option: value})
        if method == "iter_batches":
            next(iter(out))


@pytest.mark.parametrize("value", [v for v in BAD if not isinstance(v, int) or isinstance(v, bool)] + [True])
def test_iter_batches_refuses_a_records_count_that_is_no_int(m: mapper.Mapper, value: Any) -> None:
    _refused(lambda: m.iter_batches(RECORDS, records=value))


@pytest.mark.parametrize("value", [None, "x", 1.5, math.nan, [], object(), True])
def test_slice_refuses_an_offset_that_is_no_int(batch: mapper.Batch, value: Any) -> None:
    _refused(lambda: batch.slice(value))


@pytest.mark.parametrize("value", ["x", 1.5, math.nan, [], object(), True, -1])
def test_slice_refuses_a_length_that_is_no_count(batch: mapper.Batch, value: Any) -> None:
    _refused(lambda: batch.slice(0, value))


@pytest.mark.parametrize("value", [None, 1.5, "x", [], object(), math.nan, 0, 1])
@pytest.mark.parametrize("option", ["presence", "record_index"])
def test_to_arrow_refuses_a_switch_that_is_no_bool(batch: mapper.Batch, option: str, value: Any) -> None:
    """``presence="no"`` was taken as True, ``presence=None`` as False: a typo chose the columns."""
    pytest.importorskip("pyarrow")
    _refused(lambda: batch.to_arrow(**{option: value}))


@pytest.mark.parametrize("value", [None, -1, 1.5, math.nan, True, object(), [1, "empty_string"], [[]], [None]])
def test_report_silence_refuses_what_is_no_warning_kinds(m: mapper.Mapper, value: Any) -> None:
    report = m.validate(RECORDS)
    _refused(lambda: report.silence(value))


@pytest.mark.parametrize("value", [None, -1, 0, 1.5, math.nan, True, object()])
def test_add_many_refuses_records_that_are_no_iterable(value: Any) -> None:
    with mapper.Batcher(SINK) as batcher:
        _refused(lambda: batcher.add_many(value))
        assert batcher.added == 0


@pytest.mark.parametrize("value", [-1, 0, 1.5, math.nan, True, object(), "ab", b"ab"])
def test_add_many_refuses_tags_that_are_no_iterable(value: Any) -> None:
    """A number was a TypeError from inside; a str gave each record one of its characters."""
    with mapper.Batcher(SINK) as batcher:
        _refused(lambda: batcher.add_many([{"hex": "abc"}, {"hex": "abd"}], tags=value))
        assert batcher.added == 0


@pytest.mark.parametrize("value", [None, -1, 0, 2**70, math.nan, 1.5, True, [], {}, object(), ("a",)])
def test_store_refuses_a_path_that_is_no_path_and_makes_no_file(value: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Store(None)`` made a database file named ``None`` in the working directory."""
    monkeypatch.chdir(tmp_path)
    _refused(lambda: mapper.Store(value))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", [-1, 0, 1.5, math.nan, True, b"x", [], object(), ("a",), ""])
def test_store_create_sink_refuses_a_sink_id_that_is_no_str(value: Any) -> None:
    """A number was a TypeError from ``re``; 0, ``[]`` or "" took the sink's name instead."""
    store = mapper.Store(":memory:")
    try:
        _refused(lambda: store.create_sink(SINK, sink_id=value))
        assert store.list_sinks() == []
    finally:
        store.close()


@pytest.mark.parametrize("value", [None, -1, [], {}, {"a"}, object()])
@pytest.mark.parametrize("method", ["sink", "mapper", "rows"])
def test_store_lookups_refuse_a_sink_id_that_is_no_str(method: str, value: Any) -> None:
    store = mapper.Store(":memory:")
    try:
        _refused(lambda: getattr(store, method)(value))
    finally:
        store.close()


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("option", ["id_field", "primary_key_fields", "allow_missing_fields", "name"])
def test_check_sink_never_raises_for_a_wrong_option(option: str, value: Any) -> None:
    result = mapper.check_sink(SINK, **{option: value})
    assert isinstance(result, mapper.CheckResult)


@pytest.mark.parametrize("value", BAD)
def test_check_sink_never_raises_for_a_wrong_source(value: Any) -> None:
    assert not mapper.check_sink(value).valid


@pytest.mark.parametrize("value", [v for v in BAD if v is not None and v != "x"])
@pytest.mark.parametrize("option", ["id_field", "name"])
def test_load_sink_refuses_a_wrong_option(option: str, value: Any) -> None:
    _refused(lambda: mapper.load_sink(SINK, **{option: value}))
    _refused(lambda: mapper.compile_sink(SINK, **{option: value}))


def test_compile_sink_names_itself_for_an_unknown_option() -> None:
    with pytest.raises(TypeError, match="compile_sink"):
        mapper.compile_sink(SINK, bogus=1)


@pytest.mark.parametrize("value", [None, -1, 1.5, b"x", [], object()])
def test_read_batch_refuses_a_wrong_path(value: Any) -> None:
    _refused(lambda: mapper.read_batch(value))


@pytest.mark.parametrize("option", [{"name": "other"}, {"id_field": "hex"}, {"allow_missing_fields": True}, {"primary_key_fields": ["hex"]}])
@pytest.mark.parametrize("load", [mapper.load_sink, mapper.compile_sink])
def test_an_option_given_with_a_loaded_sink_is_refused_not_dropped(load: Callable[..., Any], option: dict[str, Any]) -> None:
    """``compile_sink(sink, name="other")`` compiled the sink as it was, named as before."""
    sink = mapper.load_sink(SINK)
    with pytest.raises(mapper.OptionError, match=next(iter(option))):
        load(sink, **option)
    assert mapper.compile_sink(sink).sink is sink


def test_compile_sink_takes_load_sinks_options() -> None:
    assert list(inspect.signature(mapper.compile_sink).parameters)[1:] == list(inspect.signature(mapper.load_sink).parameters)[1:]
    assert mapper.compile_sink(SINK, name="other").sink.name == "other"


@pytest.mark.parametrize("value", [None, "x", [], math.nan, -1, True])
def test_store_create_sink_refuses_an_activate_after_that_is_no_count_of_seconds_and_goes_on(value: Any) -> None:
    """None or a str was a TypeError inside the sink's transaction, left open: every later
    create_sink of the store was a 500 "cannot start a transaction within a transaction"."""
    store = mapper.Store(":memory:")
    try:
        _refused(lambda: store.create_sink(SINK, sink_id="a", activate_after=value))
        assert store.create_sink(SINK, sink_id="b").state == "ACTIVE"
        assert [s.id for s in store.list_sinks()] == ["b"]
    finally:
        store.close()


@pytest.mark.parametrize("value", [None, 0, 1, "x", []])
@pytest.mark.parametrize("option", ["exist_ok", "body_form"])
def test_store_create_sink_refuses_a_switch_that_is_no_bool(option: str, value: Any) -> None:
    store = mapper.Store(":memory:")
    try:
        _refused(lambda: store.create_sink(SINK, sink_id="a", **{option: value}))
        assert store.list_sinks() == []
    finally:
        store.close()


@pytest.mark.parametrize("options", [{"page": 2**70}, {"page": 2**63}, {"offset": 2**70}, {"limit": 2**70}])
def test_store_iter_rows_takes_a_huge_count(options: dict[str, Any]) -> None:
    """A page beyond SQLite's 64-bit integers was an OverflowError from sqlite3."""
    store = mapper.Store(":memory:")
    try:
        store.create_sink(SINK, sink_id="a")
        store.ingest("a", b'{"records": [{"value": {"ts": "2023-01-01T00:00:00Z", "aircraft_id": "x"}}]}')
        rows = list(store.iter_rows("a", **options))
        assert len(rows) == (0 if "offset" in options else store.rows("a").total)
    finally:
        store.close()


@pytest.mark.parametrize("value", [1, "x", [], True])
@pytest.mark.parametrize("option", ["on_retry", "clock", "sleep", "rand", "wall_clock"])
def test_sender_refuses_a_hook_that_is_no_function(option: str, value: Any) -> None:
    """``on_retry="log"`` was taken, and a TypeError at the first retry, in the middle of a send."""
    _refused(lambda: mapper.Sender("http://127.0.0.1:9/x", **{option: value}))


@pytest.mark.parametrize("value", [None, b"a.b", 1, ["a"]])
@pytest.mark.parametrize("parse", [mapper.parse_path, mapper.parse_create_table])
def test_the_parsers_say_a_text_that_is_no_str_is_a_type_error(parse: Callable[..., Any], value: Any) -> None:
    """As their docstrings say (the only public callables raising no MapperError for a wrong type)."""
    assert "TypeError" in (parse.__doc__ or "")
    with pytest.raises(TypeError, match="must be a str"):
        parse(value)


@pytest.mark.parametrize("value", [None, SINK, {}, 1])
def test_mapper_of_what_is_no_sink_names_compile_sink(value: Any) -> None:
    """``mapper.Mapper("sink.json")`` was an AttributeError from the compiler."""
    with pytest.raises(mapper.OptionError, match="compile_sink"):
        mapper.Mapper(value)


@pytest.mark.parametrize("name", sorted(n for n in mapper.__all__ if callable(getattr(mapper, n)) and not n.startswith("_")))
def test_every_public_callable_has_a_signature(name: str) -> None:
    """``inspect.signature(mapper.Verdict)`` (and so ``help``) was a NameError: ``_Chunk`` looked up in ``mapper``."""
    obj = getattr(mapper, name)
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return
    inspect.signature(obj)


def _public_callables(owner: Any, prefix: str) -> list[tuple[str, Any]]:
    """The functions a caller reaches on ``owner`` (a class): its public methods (static and class
    ones too), the getters and setters of its properties, and its special methods written in Python."""
    found = []
    for attr in dir(owner):
        if attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__")):
            continue
        value = inspect.getattr_static(owner, attr)
        if isinstance(value, property):
            found += [(f"{prefix}.{attr}", f) for f in (value.fget, value.fset) if f is not None]
        elif isinstance(value, (staticmethod, classmethod)):
            found.append((f"{prefix}.{attr}", value.__func__))
        elif inspect.isfunction(value):
            found.append((f"{prefix}.{attr}", value))
    return found


def _extras_a_fresh_import_of_mapper_imports() -> list[str]:
    """The optional extras a fresh ``import mapper`` imports, in this process: the package's
    modules and the extras (imported by other tests, maybe) are set aside for the import, a finder
    first on ``sys.meta_path`` refuses and notes every import of an extra, and all is put back."""
    import importlib
    import sys

    extras = ("pyarrow", "pandas", "polars", "pyspark")
    asked: list[str] = []

    class Refuse:
        @staticmethod
        def find_spec(name: str, path: Any = None, target: Any = None) -> None:
            if name.partition(".")[0] in extras:
                asked.append(name)
                raise ModuleNotFoundError(f"refused: {name}")

    def ours(name: str) -> bool:
        return name.partition(".")[0] == "mapper" or name in extras

    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    sys.meta_path.insert(0, Refuse)
    try:
        importlib.import_module("mapper")
    finally:
        sys.meta_path.remove(Refuse)
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)
    return asked


def test_the_type_hints_of_every_public_name_and_its_methods_read_at_run_time() -> None:
    """``typing.get_type_hints`` of public calls was a NameError or TypeError: of
    ``Batch.to_arrow`` / ``to_pandas`` / ``to_polars`` (pyarrow, pandas, polars imported for type
    checkers alone), of ``Batch()`` (Sink), ``ColumnData.null`` (NDArray), of the classes
    ``Problem``, ``RecordError``, ``Sink`` (Severity, ShownFloat, Mapping: a public class is
    ``mapper.Name``, and its annotations were read in the module ``mapper``) and ``Report``
    (``array[int]``, no run-time type before Python 3.12). Every name ``mapper`` exports, and
    every public method and property of its classes, is read here; and ``import mapper`` still
    imports none of the optional extras (the hints naming them import them when read)."""
    import sys
    import typing

    from mapper import spark
    from mapper.errors import AnnotatedModule

    assert _extras_a_fresh_import_of_mapper_imports() == []
    objs: list[tuple[str, Any]] = []
    for name in mapper.__all__:
        obj = getattr(mapper, name)
        if isinstance(obj, type):
            objs += [(name, obj), *_public_callables(obj, name)]
        elif inspect.isfunction(obj):
            objs.append((name, obj))
    objs += [("spark.SparkMapping", spark.SparkMapping), ("spark.map_dataframe", spark.map_dataframe)]
    failed = []
    for label, obj in objs:
        try:
            typing.get_type_hints(obj)
        except Exception as exc:  # (every one named, not the first alone)
            failed.append(f"{label}: {type(exc).__name__}: {exc}")
    assert failed == [] and len(objs) > 200, (len(objs), failed)
    pa, pd, pl = (pytest.importorskip(extra) for extra in ("pyarrow", "pandas", "polars"))
    returns = [typing.get_type_hints(getattr(mapper.Batch, f"to_{to}"))["return"] for to in ("arrow", "pandas", "polars")]
    assert returns == [pa.Table, pd.DataFrame, pl.DataFrame]
    assert AnnotatedModule("mapper_no_such_extra").Table is typing.Any  # (an extra not installed)
    assert typing.get_type_hints(mapper.Problem)["severity"] == typing.Literal["error", "warning", "note"]
    assert typing.get_type_hints(mapper.Report)["failed"] is array and mapper.ValueWarning.severity == "warning"
    # (a renamed class's annotations are read in its module: a name the module mapper has too (a
    # pathlib.Path would meet mapper.Path there) means what it means where it is written)
    for name in mapper.__all__:
        cls = getattr(mapper, name)
        hints = typing.get_type_hints(cls) if isinstance(cls, type) else {}
        for attr, hint in vars(cls).get("__annotations__", {}).items() if hints else ():
            if isinstance(hint, typing.ForwardRef):  # (Table's, kept in mapper.table, are strings)
                assert hints[attr] == eval(hint.__forward_arg__, dict(vars(sys.modules[hint.__forward_module__])), dict(vars(cls))), (name, attr)


def test_what_the_public_calls_give_and_take_is_named_by_mapper() -> None:
    """Store's SinkInfo / IngestResult / RowsPage, parse_create_table's Table and its TableColumn,
    and the types the signatures take (Records, Record, SinkSource, BinaryReader, ProgressBar) were
    reachable only by their modules' paths: a typed user could not annotate with them."""
    import importlib
    import typing

    api, infer, sink, store, table = (importlib.import_module(f"mapper.{m}") for m in ("api", "infer", "sink", "store", "table"))
    for name, where in [
        ("SinkInfo", store),
        ("IngestResult", store),
        ("RowsPage", store),
        ("Table", table),
        ("TableColumn", table),
        ("Records", api),
        ("Record", api),
        ("BinaryReader", api),
        ("ProgressBar", infer),
        ("SinkSource", sink),
    ]:
        assert name in mapper.__all__ and getattr(mapper, name) is getattr(where, name), name
    hints = {name: typing.get_type_hints(getattr(mapper.Store, name)) for name in ("create_sink", "list_sinks", "ingest", "rows")}
    assert (hints["create_sink"]["return"], hints["list_sinks"]["return"]) == (mapper.SinkInfo, list[mapper.SinkInfo])
    assert (hints["ingest"]["return"], hints["rows"]["return"]) == (mapper.IngestResult, mapper.RowsPage)
    created = mapper.parse_create_table("CREATE TABLE t (_id ID, n INT)")
    assert isinstance(created, mapper.Table) and isinstance(created.columns[1], mapper.TableColumn)
    assert typing.get_type_hints(mapper.parse_create_table)["return"] is mapper.Table
    assert typing.get_type_hints(mapper.Mapper.check)["record"] == mapper.Record
    assert typing.get_type_hints(mapper.load_sink)["source"] == typing.Union[mapper.SinkSource, mapper.Sink]
    # (left where they are defined: Records is typing.Any at run time, which shown as mapper.Records
    # would be renamed for every program; Table's Position is looked up in its module)
    assert typing.Any.__module__ == "typing" and (mapper.Table.__module__, mapper.SinkInfo.__module__) == ("mapper.table", "mapper.store")
    assert typing.get_type_hints(mapper.Table)["position"] is table.Position


@pytest.mark.parametrize("name", ["Batcher", "Sender", "Store"])
def test_with_gives_a_type_checker_the_class_used_a_subclass_too(name: str) -> None:
    """``__enter__`` was annotated to return the class itself: ``with MyBatcher(...) as b`` typed
    ``b`` a Batcher, so a subclass's own methods on it failed mypy --strict."""
    import typing

    hints = typing.get_type_hints(getattr(mapper, name).__enter__)
    assert isinstance(hints["self"], typing.TypeVar) and hints["return"] is hints["self"]
    assert hints["self"].__bound__ == typing.ForwardRef(name)  # (bound to the class, "Batcher")


@pytest.mark.parametrize("hook", [{"admit": 1}, {"answered": "x"}])
def test_store_ingest_refuses_a_hook_that_is_no_function_before_storing(hook: dict[str, Any]) -> None:
    """``answered="x"`` was taken; a TypeError came once the body was read (or stored)."""
    store = mapper.Store(":memory:")
    try:
        store.create_sink(SINK, sink_id="a")
        _refused(lambda: store.ingest("a", b'{"records": [{"value": {"ts": "2023-01-01T00:00:00Z", "aircraft_id": "x"}}]}', **hook))
        assert store.rows("a").total == 0
    finally:
        store.close()


@pytest.mark.parametrize("count", [-1, "x", 1.5, True, math.nan])
def test_sender_send_refuses_a_count_that_is_no_number_of_records(count: Any) -> None:
    """A negative count paid the pacer back (the next bodies went unpaced); a str was a TypeError."""
    sent: list[float] = []
    sender = mapper.Sender("http://127.0.0.1:9/x", retries=0, timeout=0.2, sleep=sent.append)
    try:
        with pytest.raises(mapper.OptionError, match="count"):
            sender.send(b'{"records": []}', count)
        assert sender.requests_begun() == 0
    finally:
        sender.close()


def test_sender_send_refuses_a_before_sending_that_is_no_function() -> None:
    sender = mapper.Sender("http://127.0.0.1:9/x", retries=0, timeout=0.2)
    try:
        with pytest.raises(mapper.OptionError, match="before_sending"):
            sender.send(b'{"records": []}', before_sending="x")
        assert sender.requests_begun() == 0
    finally:
        sender.close()


def test_a_hook_that_is_no_function_gets_one_message_wherever_it_is_given() -> None:
    """One check (``errors.check_function``) for every hook: ``name= is a function`` (``(or None)`` where None
    is taken), then what was given, as Sender, Sender.send and Store.ingest each wrote it."""
    for option in ("clock", "sleep", "rand", "wall_clock"):
        with pytest.raises(mapper.OptionError, match=rf"^{option}= is a function, not 'x'$"):
            mapper.Sender("http://127.0.0.1:9/x", **{option: "x"})
        with pytest.raises(mapper.OptionError, match=rf"^{option}= is a function, not None$"):
            mapper.Sender("http://127.0.0.1:9/x", **{option: None})
    with pytest.raises(mapper.OptionError, match=r"^on_retry= is a function \(or None\), not 1$"):
        mapper.Sender("http://127.0.0.1:9/x", on_retry=1)
    mapper.Sender("http://127.0.0.1:9/x", on_retry=None).close()
    sender = mapper.Sender("http://127.0.0.1:9/x", retries=0, timeout=0.2)
    try:
        with pytest.raises(mapper.OptionError, match=r"^before_sending= is a function \(or None\), not \['x'\]$"):
            sender.send(b'{"records": []}', before_sending=["x"])
    finally:
        sender.close()
    store = mapper.Store(":memory:")
    try:
        store.create_sink(SINK, sink_id="a")
        for hook in ("admit", "answered"):
            with pytest.raises(mapper.OptionError, match=rf"^{hook}= is a function \(or None\), not 'x'$"):
                store.ingest("a", b'{"records": []}', **{hook: "x"})
    finally:
        store.close()


def test_check_function_takes_any_callable_and_none_only_where_optional() -> None:
    from mapper.errors import check_function

    for ok in (print, lambda: None, mapper.Batch, type("C", (), {"__call__": lambda self: None})()):
        check_function("hook", ok)
        check_function("hook", ok, optional=False)
    check_function("hook", None)
    with pytest.raises(mapper.OptionError, match=r"^hook= is a function, not None$"):
        check_function("hook", None, optional=False)
    with pytest.raises(mapper.OptionError, match=r"^hook= is a function \(or None\), not 0$"):
        check_function("hook", 0)
