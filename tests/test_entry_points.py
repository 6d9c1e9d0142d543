"""One record, one verdict, whichever way it comes in: a dict or its JSON text (bytes or str),
alone (``Mapper.check``), in a batch (``validate``/``map``) or through ``Batcher.add``; and a
batch read back from a file another tool wrote as from mapper's own."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

import mapper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from depths import DECODED, first_refused  # noqa: E402


def _sink(definition: list[dict[str, Any]], **schema: Any) -> str:
    body = {"type": "json", "allow_missing_fields": True, "definition": definition}
    body.update(schema or {"id_field": "id"})
    if "primary_key_fields" in body:
        body.pop("id_field", None)
    return json.dumps({"name": "odd", "sink_details": {"database_id": "x", "table": "t"}, "schema": body})


def _pyarrow() -> Any:
    if os.environ.get("MAPPER_REQUIRE_EXTRAS") == "1":
        return __import__("pyarrow")
    return pytest.importorskip("pyarrow")


# --- read_batch of a file whose strings are dictionary-encoded --------------------------------


def _dictionary_encoded(table: Any, names: list[str], pa: Any, index: Any) -> Any:
    """``table`` with the fields ``names`` dictionary-encoded, as another tool may write them."""
    for name in names:
        i = table.column_names.index(name)
        field = table.schema.field(i)
        if pa.types.is_list(field.type):
            col = table.column(name).combine_chunks()
            values = col.values.dictionary_encode().cast(pa.dictionary(index, pa.string()))
            encoded = pa.ListArray.from_arrays(col.offsets, values, mask=col.is_null())
        else:
            encoded = table.column(name).combine_chunks().dictionary_encode().cast(pa.dictionary(index, field.type))
        table = table.set_column(i, field.with_type(encoded.type), encoded)
    return table


@pytest.mark.parametrize("ext", ["arrow", "parquet"])
@pytest.mark.parametrize("fields", [["_id"], ["s"], ["ss"], ["_id", "s", "ss"]])
def test_read_batch_takes_dictionary_encoded_strings_as_the_strings(tmp_path: Path, ext: str, fields: list[str]) -> None:
    pa = _pyarrow()
    import pyarrow.ipc
    import pyarrow.parquet as pq

    sink = _sink(
        [{"name": "k", "path": ["k"], "type": "string"}, {"name": "s", "path": ["s"], "type": "string"}, {"name": "ss", "path": ["ss"], "type": "strings"}],
        primary_key_fields=["k"],
    )
    recs = [{"k": "a", "s": "x", "ss": ["p", "q"]}, {"k": "b", "s": "x"}, {"k": "c", "s": None, "ss": ["p"]}, {"k": "é😀", "s": "ü", "ss": []}]
    batch = mapper.compile_sink(sink).map(recs)
    table = _dictionary_encoded(batch.to_arrow(), fields, pa, pa.int8() if ext == "arrow" else pa.int32())
    assert all(pa.types.is_dictionary(table.schema.field(f).type) or pa.types.is_dictionary(table.schema.field(f).type.value_type) for f in fields)
    path = tmp_path / f"foreign.{ext}"
    if ext == "arrow":
        with pyarrow.ipc.new_file(path, table.schema) as out:
            out.write_table(table)
    else:
        pq.write_table(table, path, row_group_size=2)  # (two row groups: each chunk its own dictionary)
    back = mapper.read_batch(path)
    assert back.to_rows() == batch.to_rows()
    assert list(back.ids) == ["a", "b", "c", "é😀"]
    assert back["s"].values.tolist() == batch["s"].values.tolist()


@pytest.mark.parametrize("ext", ["arrow", "parquet"])
def test_read_batch_takes_string_views_as_the_strings(tmp_path: Path, ext: str) -> None:
    pa = _pyarrow()
    import pyarrow.ipc
    import pyarrow.parquet as pq

    if not hasattr(pa, "string_view"):
        pytest.skip("pyarrow before 16 has no string_view")
    sink = _sink(
        [{"name": "k", "path": ["k"], "type": "string"}, {"name": "s", "path": ["s"], "type": "string"}, {"name": "ss", "path": ["ss"], "type": "strings"}],
        primary_key_fields=["k"],
    )
    batch = mapper.compile_sink(sink).map([{"k": "a", "s": "x", "ss": ["p", "q"]}, {"k": "b" * 20, "s": None}, {"k": "c", "s": "ü" * 30, "ss": []}])
    table = batch.to_arrow()
    for name in ("_id", "s", "ss"):  # (Arrow's Utf8View: what polars writes strings as)
        i = table.column_names.index(name)
        want = pa.list_(pa.string_view()) if name == "ss" else pa.string_view()
        table = table.set_column(i, table.schema.field(i).with_type(want), table.column(name).cast(want))
    path = tmp_path / f"views.{ext}"
    if ext == "arrow":
        with pyarrow.ipc.new_file(path, table.schema) as out:
            out.write_table(table)
    else:
        pq.write_table(table, path)
    assert mapper.read_batch(path).to_rows() == batch.to_rows()


# --- a key holding a surrogate pair is the character it makes --------------------------------

from types import MappingProxyType  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PAIR = "\ud83d\ude00"  # 😀 as UTF-16 decoded with surrogatepass holds it: two code points
FACE = "😀"

_KEYED = _sink(
    [
        {"name": "id", "path": ["id"], "type": "id"},
        {"name": "top", "path": [FACE], "type": "int"},
        {"name": "deep", "path": "data.😀", "type": "int"},
        {"name": "mixed", "path": ["data", "a" + FACE + "b"], "type": "string"},
        {"name": "plain", "path": ["data", "a"], "type": "int"},
        {"name": "replaced", "path": ["\ufffd"], "type": "int"},
        {"name": "jmes", "path": 'data."😀" | @', "type": "int"},
    ]
)


def _text(record: dict[str, Any]) -> str:
    """A record's JSON text as a producer's encoder writes it (a surrogate as its \\u escape)."""
    return json.dumps(record)


def _codes(problems: list[Any]) -> list[tuple[str | None, str]]:
    return sorted((p.column, p.code) for p in problems if p.severity == "error")


def _agree(m: mapper.Mapper, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's rows and errors, the same as a dict (alone, in a batch) as its JSON text (alone, in a batch)."""
    text = _text(record)
    rows = m.map([record], on_error="skip").to_rows()
    assert rows == m.map(text, on_error="skip").to_rows() == m.map([text], on_error="skip").to_rows()
    assert _codes(m.check(record)) == _codes(m.check(text)) == _codes(m.validate([record]).errors) == _codes(m.validate(text).errors)
    with mapper.Batcher(m) as b:
        assert _codes(b.add(record).errors) == _codes(m.check(record))
    return rows


def test_a_key_holding_a_surrogate_pair_matches_the_character_as_its_text_does() -> None:
    m = mapper.compile_sink(_KEYED)
    rec = {"id": 1, PAIR: 5, "data": {PAIR: 6, "a" + PAIR + "b": "v", "a": 7}}
    assert _agree(m, rec) == [{"_id": 1, "top": 5, "deep": 6, "mixed": "v", "plain": 7, "jmes": 6}]
    assert m.walk({"id": 1, PAIR: 5})[1] == 5
    # the careful path too (a null elsewhere sends the record there), and a mapping that is not a dict
    assert _agree(m, {**rec, "data": {**rec["data"], "a": None}})[0]["top"] == 5
    assert m.map([MappingProxyType({"id": 1, PAIR: 5})]).to_rows() == [{"_id": 1, "top": 5}]
    # a half of the pair alone is U+FFFD to the endpoint: never the character
    for half in ("\ud83d", "\ude00", "\ude00\ud83d"):
        rows = _agree(m, {"id": 1, half: 5, "data": {half: 6}})
        assert "top" not in rows[0] and "deep" not in rows[0] and "jmes" not in rows[0]


def test_of_keys_arriving_as_one_the_last_counts_as_in_the_text() -> None:
    m = mapper.compile_sink(_KEYED)
    assert _agree(m, {"id": 1, FACE: 1, PAIR: 2})[0]["top"] == 2
    assert _agree(m, {"id": 1, PAIR: 2, FACE: 1})[0]["top"] == 1
    assert _agree(m, {"id": 1, "data": {PAIR: None, FACE: 3}})[0]["deep"] == 3


def test_an_unpaired_surrogate_key_arrives_as_u_fffd() -> None:
    # (the text's decoder warns utf8_replaced for it wherever it is; a dict's unmapped keys are not looked at)
    m = mapper.compile_sink(_KEYED)
    assert _agree(m, {"id": 1, "\ud800": 4})[0]["replaced"] == 4


_KEYS = st.sampled_from([FACE, PAIR, "\ud83d", "\ude00", "a", "a" + PAIR + "b", "a" + FACE + "b", "\ufffd", "data"])
_VALUES = st.one_of(st.none(), st.integers(-5, 5), st.sampled_from(["x", PAIR, "1"]))


@settings(max_examples=60, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(_KEYS, _VALUES, max_size=5), st.dictionaries(_KEYS, _VALUES, max_size=5))
def test_keys_with_surrogates_map_as_their_text_does(top: dict[str, Any], data: dict[str, Any]) -> None:
    m = mapper.compile_sink(_KEYED)
    _agree(m, {**top, "id": 1, "data": data})


# --- a deep record: Batcher.add of a dict judges it as check does -----------------------------


def _nested(depth: int) -> dict[str, Any]:
    """A record whose objects nest ``depth`` levels (itself the first), nothing mapped below the top."""
    rec: dict[str, Any] = {"id": 1}
    inner = rec
    for _ in range(depth - 1):
        inner["x"] = {}
        inner = inner["x"]
    return rec


def _nested_text(depth: int) -> str:
    return '{"id":1' + (',"x":' + '{"x":' * (depth - 2) + "{}" + "}" * (depth - 2) if depth > 1 else "") + "}"


def test_a_deep_dict_is_added_as_deep_as_its_text_is_read() -> None:
    m = mapper.compile_sink(_sink([{"name": "id", "path": ["id"], "type": "id"}]))
    assert json.loads(_nested_text(5)) == _nested(5)
    # the depth the engine's decoder stops at (about 995 levels before Python 3.12, Python's
    # recursion limit's; 1,497 on 3.12.1, 9,998 on 3.13.0: tests/depths.py): the first its
    # JSON text is refused at, invalid_json
    limit = first_refused(lambda d: bool(m.check(_nested_text(d))))
    assert abs(limit - DECODED) < 10, (limit, DECODED)
    assert [p.code for p in m.check(_nested_text(limit))] == ["invalid_json"]
    with mapper.Batcher(m) as b:
        for depth in range(limit - 8, limit):  # (json.dumps ran out 4 levels before the decoder: refused, no JSON text)
            assert m.check(_nested(depth)) == m.check(_nested_text(depth)) == []
            verdict = b.add(_nested(depth))
            assert verdict.accepted, (depth, verdict.errors)
            assert verdict.raw == _nested_text(depth).encode()
        for depth in (limit, limit + 1):  # past the decoder: the text added is refused as the text alone is
            assert [e.code for e in b.add(_nested(depth)).errors] == [p.code for p in m.check(_nested_text(depth))] == ["invalid_json"]
        # a dict holding itself has no JSON text at all
        loop: dict[str, Any] = {"id": 1}
        loop["x"] = [loop]
        assert "holds itself" in b.add(loop).errors[0].reason
    (body,) = b.flush()
    assert body.count == 8 and body.to_batch().report.verdict == "accepted"


# --- a number beyond float64: out_of_range from check and from the batcher, wherever it is ---

_NUMBERS = _sink(
    [
        {"name": "id", "path": ["id"], "type": "id"},
        {"name": "n", "path": ["n"], "type": "int"},
        {"name": "s", "path": ["data", "s"], "type": "string"},
        {"name": "tags", "path": ["tags"], "type": "strings"},
    ]
)
_HUGE = ["1e400", "-1E+400", "9" * 400, "0.1e310", "1" + "0" * 309]


def _said(problems: Any) -> list[tuple[str | None, str | None, str, str]]:
    return [(p.column, p.path, p.code, p.reason) for p in problems if p.severity == "error"]


@pytest.mark.parametrize("number", _HUGE)
@pytest.mark.parametrize(
    "template, column, path",
    [
        ('{"id":1,"n":%s}', "n", "$.n"),  # mapped
        ('{"id":1,"data":{"s":%s}}', "s", "$.data.s"),  # mapped, printed as text
        ('{"id":1,"u":%s}', None, "$.u"),  # nobody maps it
        ('{"id":1,"u":{"v":[1,%s]},"n":2}', None, "$.u.v[1]"),
        ('{"id":1,"tags":["a",%s]}', "tags", "$.tags"),  # inside a mapped value
    ],
)
def test_a_number_beyond_float64_is_out_of_range_from_check_and_the_batcher(number: str, template: str, column: str | None, path: str) -> None:
    m = mapper.compile_sink(_NUMBERS)
    text = template % number
    said = _said(m.check(text))
    assert len(said) == 1 and said[0][:2] == (column, path), said
    assert said[0][2] == "out_of_range"  # (in a strings column too, as in an ids one: the number is the fault)
    with mapper.Batcher(m) as b:
        verdict = b.add(text)
        assert _said(verdict.errors) == said == _said(m.check(text.encode()))
        assert [_said(v.errors) for v in b.add_many([text, text.encode()])] == [said, said]
    if column is not None:  # the engine reads a mapped one in a batch too, and says the same
        assert _said(m.validate(text).errors) == _said(m.validate([text]).errors) == said
        answer = m.validate(text).endpoint_answer()
        assert answer["records"][0]["error_code"] == "InvalidBody"


def test_a_python_int_beyond_float64_is_out_of_range_from_check_and_the_batcher() -> None:
    m = mapper.compile_sink(_NUMBERS)
    mapped, unmapped = {"id": 1, "n": 10**400}, {"id": 1, "u": [0, -(10**400)]}
    with mapper.Batcher(m) as b:
        said = _said(m.check(mapped))
        assert [s[:3] for s in said] == [("n", "$.n", "out_of_range")]
        assert _said(b.add(mapped).errors) == said == _said(m.validate([mapped]).errors)
        # a dict's unmapped values are not read by check (README); its text cannot be sent, said alike
        assert [s[1:3] for s in _said(b.add(unmapped).errors)] == [("$.u[1]", "out_of_range")]
        assert _said(b.add(unmapped).errors) == _said(m.check(json.dumps(unmapped)))
    assert b.accepted == 0


# --- strict: a dict holding an unpaired surrogate is judged as check judges it ---------------


def test_a_strict_batcher_judges_a_dict_with_an_unpaired_surrogate_as_check_does() -> None:
    # its text escapes the surrogate (read as U+FFFD), and the engine refused such a text at $
    # wherever the escape was; check of the dict knows which value holds it (the text's now too)
    m = mapper.compile_sink(_sink([{"name": "id", "path": ["id"], "type": "id"}, {"name": "s", "path": ["s"], "type": "string"}]))
    records = [{"id": 1, "u": "a\ud800"}, {"id": 2, "\udc00": 1}, {"id": 3, "s": "a\ud800"}, {"id": 4, "s": PAIR, "u": ["\ud800"]}, {"id": 5, "s": "x"}]
    expected = [_said(m.check(r, strict=True)) for r in records]
    assert [[s[:3] for s in e] for e in expected] == [[], [], [("s", "$.s", "lossy_value")], [], []]
    for how in ("add", "add_many", "a full queue"):
        with mapper.Batcher(m, strict=True) as b:
            if how == "add":
                verdicts = [b.add(r) for r in records]
            elif how == "add_many":
                verdicts = b.add_many(records)
            else:  # (the add that fills the queue judges it: its own verdict too)
                filler = b.add_many([{"id": 10 + i} for i in range(1024 - len(records) + 1)])
                verdicts = [b.add(r) for r in records]
                assert all(v.accepted for v in filler)
            assert [_said(v.errors) for v in verdicts] == expected
            assert [v.accepted for v in verdicts] == [True, True, False, True, True]
        sent = [raw for body in b.flush() for raw in body.raws]
        assert [v.raw in sent for v in verdicts] == [True, True, False, True, True]
        assert b'"u":"a\\ud800"' in verdicts[0].raw  # (sent as JSON carries it; stored nowhere)
    # not strict: the same verdicts as before (a warning is no error); a text is judged as text
    with mapper.Batcher(m) as b:
        assert all(b.add(r).accepted for r in records)
        assert [s[:3] for s in _said(b.add(_text(records[0])).errors)] == []
    with mapper.Batcher(m, strict=True) as b:  # (its text alike: the escape where nobody maps it says nothing, where one does at that column)
        assert [s[:3] for s in _said(b.add(_text(records[0])).errors)] == []
        assert [s[:3] for s in _said(b.add(_text(records[2])).errors)] == [("s", "$.s", "lossy_value")]


# --- records_path in a Python document: its keys as its text's -------------------------------


@pytest.mark.parametrize("records_path", [FACE, [FACE], "a.😀"])
def test_records_path_finds_a_python_documents_surrogate_pair_key_as_in_its_text(records_path: Any) -> None:
    m = mapper.compile_sink(_sink([{"name": "id", "path": ["id"], "type": "id"}]))
    nested = records_path == "a.😀"
    doc: dict[str, Any] = {PAIR: [{"id": 1}, {"id": 2}]}
    if nested:
        doc = {"a": doc}
    for source in (doc, json.dumps(doc), [json.dumps(doc)]):
        assert m.map(source, records_path=records_path).to_rows() == [{"_id": 1}, {"_id": 2}], type(source)
    # of keys arriving as one, the last (Go's decoder keeps it)
    two = {FACE: [{"id": 7}], PAIR: [{"id": 8}]}
    for source in (two, json.dumps(two)):
        assert m.map(
            ({"a": source} if nested else source) if isinstance(source, dict) else (f'{{"a":{source}}}' if nested else source), records_path=records_path
        ).to_rows() == [{"_id": 8}]
    # a hint names such a key as it arrives, a records_path that reads it
    other = {"x": doc}
    reasons = {m.validate(source, records_path="nope").errors[0].reason for source in (other, json.dumps(other))}
    assert len(reasons) == 1 and ("x.a.😀" if nested else "x.😀") in reasons.pop()


def test_infer_drafts_a_surrogate_pair_key_as_its_character_from_dicts_as_from_their_text() -> None:
    recs = [{"id": i, PAIR: "x", "d": {"a" + PAIR: i}} for i in range(5)]
    drafts = [mapper.infer(source).to_dict()["sink"]["schema"]["definition"] for source in (recs, [_text(r) for r in recs])]
    assert drafts[0] == drafts[1]
    assert [c["path"] for c in drafts[0]] == [["id"], [FACE], ["d", "a" + FACE]]
    m = mapper.compile_sink(json.dumps(mapper.infer(recs).to_dict()["sink"]))  # (a draft that maps the dicts it was drawn from)
    assert m.map(recs).to_rows()[1] == m.map([_text(r) for r in recs]).to_rows()[1] and len(m.map(recs).to_rows()[1]) == 3


# --- a record over the engine's default max_record_size, in a batcher whose bodies hold it ----


def test_a_batcher_whose_bodies_hold_a_record_takes_it_as_check_does() -> None:
    from mapper import options

    limit = options.MAX_RECORD_SIZE  # (16 MiB: a record just past it, in bodies of up to 17 MiB)
    m = mapper.compile_sink(_sink([{"name": "id", "path": ["id"], "type": "id"}]))
    big = {"id": 1, "pad": "x" * (limit + 10)}
    assert m.check(big) == m.check(_text(big)) == []
    with mapper.Batcher(m, max_bytes=limit + (1 << 20)) as b:
        assert b.add(big).accepted and b.add(_text(big)).accepted
    with mapper.Batcher(m, max_bytes=limit) as b:  # (a body cannot hold it: the batcher's own too_large)
        verdict = b.add(big)
        assert [e.code for e in verdict.errors] == ["too_large"] and "request body" in verdict.errors[0].reason
