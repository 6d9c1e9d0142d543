"""A producer's bug hunt through the Python API (session 60): what a service embedding mapper gives it by
mistake is said in mapper's words, never a dependency's traceback or a word that tells nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import mapper

SINK = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "string"}]
M = mapper.compile_sink(SINK, id_field="id", allow_missing_fields=True)

#: 0-dimensional numpy arrays a caller may hold a record, or its text, in (np.array(text), np.array(record, dtype=object))
SCALAR_ARRAYS = [np.array(b'{"id": 1}'), np.array('{"id": 1}'), np.array({"id": 1}, dtype=object), np.array(5, dtype=np.uint8)]


@pytest.mark.parametrize("value", SCALAR_ARRAYS, ids=lambda a: str(a.dtype))
@pytest.mark.parametrize(
    "call",
    [
        lambda v: M.validate(v),
        lambda v: M.map(v),
        lambda v: list(M.iter_batches(v)),
        lambda v: M.validate(v, records_path="r"),
        lambda v: M.validate(v, input_format="endpoint"),
        lambda v: mapper.infer(v),
    ],
    ids=["validate", "map", "iter_batches", "records_path", "endpoint", "infer"],
)
def test_records_given_as_a_0_dimensional_array_are_an_input_error(call: Callable[[Any], Any], value: Any) -> None:
    """A 0-d numpy array passes for an iterable (ndarray has __iter__) but iterating it raises numpy's
    TypeError, "iteration over a 0-d array", which reached the caller from inside the reader."""
    with pytest.raises(mapper.InputError) as info:
        call(value)
    said = str(info.value)
    assert said.startswith("the records came as a 0-dimensional numpy array"), said
    assert "array.item()" in said, said


@pytest.mark.parametrize("value", SCALAR_ARRAYS, ids=lambda a: str(a.dtype))
def test_add_manys_records_or_tags_as_a_0_dimensional_array_are_an_option_error(value: Any) -> None:
    batcher = mapper.Batcher(M)
    with pytest.raises(mapper.OptionError, match=r"^add_many takes its records as an iterable .* not a 0-dimensional numpy array"):
        batcher.add_many(value)
    with pytest.raises(mapper.OptionError, match=r"^add_many takes its tags as an iterable .* not a 0-dimensional numpy array"):
        batcher.add_many([{"id": 1}], tags=value)
    assert batcher.added == 0  # (nothing taken)
    assert batcher.add(value).errors[0].code == "not_an_object"  # (one record: add judges it, as check does)


@pytest.mark.parametrize("mode", ["wb", "ab", "w", "a"])
@pytest.mark.parametrize(
    "call",
    [lambda f: M.validate(f), lambda f: list(M.iter_batches(f)), lambda f: mapper.Batcher(M).add_many(f), lambda f: mapper.infer(f)],
    ids=["validate", "iter_batches", "add_many", "infer"],
)
def test_a_file_opened_for_writing_is_said_to_be_so(call: Callable[[Any], Any], mode: str, tmp_path: Path) -> None:
    """Records given as a file opened for writing were 'cannot read r.ndjson: read' (a buffered writer's
    io.UnsupportedOperation, whose words are the method's name; a text one's 'not readable')."""
    path = tmp_path / "r.ndjson"
    with open(path, mode) as fh:  # noqa: PTH123 - (the file object is what is given)
        with pytest.raises(mapper.InputError) as info:
            call(fh)
    assert str(info.value) == f"cannot read {path}: it is not open for reading (opened with mode {mode!r}): open it with 'rb'"


@pytest.mark.parametrize("field", ["_id", "n", "n.present", "_record_index"])
def test_a_parquet_file_with_two_fields_of_one_name_is_said_so_as_an_arrow_file_is(field: str, tmp_path: Path) -> None:
    """Such a Parquet file was 'its data cannot be read (damaged or cut short): Multiple matches for
    FieldRef.Name(n) in _id: uint64', pyarrow's words cut at their first line: the file is whole."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from mapper.writers import write_arrow, write_parquet

    batch = M.map([{"id": 1, "n": "a"}, {"id": 2}])
    for ext, write in (("parquet", write_parquet), ("arrow", write_arrow)):
        path = tmp_path / f"b.{ext}"
        write(batch, path)
        table = pq.read_table(path) if ext == "parquet" else pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        table = table.append_column(field, table[field])
        if ext == "parquet":
            pq.write_table(table, path)
        else:
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
        with pytest.raises(mapper.InputError) as info:
            mapper.read_batch(path)
        assert str(info.value) == f"cannot read {path} as a mapper batch: it has 2 fields named {field!r} (mapper writes each field once)"


def test_a_count_that_is_not_the_bodys_is_named_when_the_answer_differs(tmp_path: Path) -> None:
    """send(body, count=2) of a body of 3 records was 'the service answered 200 with 3 answers for a body
    of 2 records': the service blamed for the caller's count, the body stored all the same."""
    from mapper.serve import App, Server
    from mapper.store import Store

    store = Store(tmp_path / "serve.db")
    sink_id = store.create_sink(mapper.load_sink(SINK, id_field="id", allow_missing_fields=True, name="s")).id
    body = b'{"records": [{"value": {"id": 1}}, {"value": {"id": 2}}, {"value": {"id": 3}}]}'
    with Server(App(store), idle_timeout=2) as server, mapper.Sender(f"{server.url}/v2/sinks/{sink_id}", retries=0) as sender:
        with pytest.raises(mapper.ServiceError) as info:
            sender.send(body, count=2)
        assert str(info.value).endswith(
            "the service answered 200 with 3 answers for a body of 2 records, as count=2 said, but the body holds 3: "
            "all 3 were sent and answered (give the body's count, or leave count= out: send counts them)"
        ), str(info.value)
        assert sender.send(body).stored == 3  # (counted from the body: no word of count)
    store.close()


@pytest.mark.parametrize(
    "call",
    [lambda: M.map("-"), lambda: M.validate("-"), lambda: list(M.iter_batches("-")), lambda: M.map(Path("-"), workers=2)],
    ids=["map", "validate", "iter_batches", "workers"],
)
def test_records_read_from_standard_input_leave_it_open(call: Callable[[], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """m.map("-") closed the process's standard input once read: the program's next read of it, or a second
    m.map("-"), was a ValueError, 'I/O operation on closed file', from inside (mapper.infer and the commands
    never closed it). The caller owns its standard input: read to its end, it stays open."""
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"id": 1, "n": "a"}\n')))
    call()
    assert not sys.stdin.closed and not sys.stdin.buffer.closed
    assert sys.stdin.read() == ""  # (read to its end)
    assert M.validate("-").records == 0  # (a second read: nothing more, no error)


@pytest.mark.parametrize(
    "details, said",
    [
        ({"database_id": "d", "table": "t", "a": {1, 2}}, "sink_details.a holds a set, which JSON has no type for"),
        ({"database_id": "d", "table": "t", "a": [b"x"]}, "sink_details.a holds a bytes, which JSON has no type for"),
        ({"database_id": "d", "table": "t", "a": float("nan")}, "sink_details.a holds nan, which JSON has no text for"),
        ({"database_id": "d", "table": "t", 1: "x"}, "sink_details.1 is a key that is not a string"),
        ({"database_id": "d", "table": "t", "a": 10**5000}, "sink_details.a holds an integer of thousands of digits"),
        (["d", "t"], "sink_details must be a mapping (an object), not ('d', 't')"),
    ],
)
def test_a_hand_built_sinks_sink_details_that_are_no_json_are_a_definition_error(details: Any, said: str, tmp_path: Path) -> None:
    """dataclasses.replace(sink, sink_details=...) holding what JSON has no form for compiled, then to_arrow,
    the writers and Store.create_sink raised json's or orjson's TypeError ('Object of type set is not JSON
    serializable', 'Dict key must be str'); NaN was written into the files' metadata as NaN, no JSON.
    load_sink leaves such an entry out with a warning; a Sink built by hand is refused by compile_sink."""
    import dataclasses

    sink = dataclasses.replace(M.sink, sink_details=details)
    for make in (mapper.compile_sink, mapper.Batcher, lambda s: mapper.Store().create_sink(s, sink_id="s")):
        with pytest.raises(mapper.DefinitionError) as info:
            make(sink)
        assert f"{said} (a Sink not made by mapper.load_sink)" in str(info.value), str(info.value)
        assert [p.code for p in info.value.problems] == ["hand-built"], info.value.problems


@pytest.mark.parametrize("columns", [None, (5,), [None], "id"])
def test_a_hand_built_sinks_columns_that_are_no_columns_are_a_definition_error(columns: Any) -> None:
    """columns=None was a TypeError ('NoneType' object is not iterable), a column that is no Column an
    AttributeError ('int' object has no attribute 'pointer'), from inside compile_sink's check of a hand-built Sink."""
    import dataclasses

    sink = dataclasses.replace(M.sink, columns=columns)
    with pytest.raises(mapper.DefinitionError) as info:
        mapper.compile_sink(sink)
    assert all(p.code == "hand-built" for p in info.value.problems), info.value.problems
    assert "a Sink not made by mapper.load_sink" in str(info.value)
