"""``mapper infer`` on bools beside floats (counted float by float, as a bool column stores each)
and on text the endpoint stores with U+FFFD (noted, as validate warns ``utf8_replaced``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mapper
from tests.cli_inproc import run_main


def ndjson(*records: Any) -> bytes:
    return b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in records)


def recs(values: list[Any]) -> list[dict[str, Any]]:
    return [{"id": str(i), "v": v} for i, v in enumerate(values)]


def tally(r: Any, ctype: str) -> tuple[int, int, int]:
    t = next(t for t in r.conflicts["v"]["alternatives"] if t["type"] == ctype)
    return t["exact"], t["changed"], t["refused"]


def test_bools_beside_whole_floats_are_no_bool_column_that_stores_them_as_sent() -> None:
    # 2.0, 5.0, 7.0, 3.0 beside true/false: the bool row said "7 stored as sent" and the draft was a
    # bool column storing each float as true, validate saying nothing; bools with 2, 5, 7, 3 are an int
    values = [True, 2.0, False, 5.0, True, 7.0, 3.0]
    r = mapper.infer(ndjson(*recs(values)))
    assert tally(r, "bool") == (3, 4, 0)
    (as_bool,) = [a for a in r.conflicts["v"]["alternatives"] if a["type"] == "bool"]
    assert as_bool["unwarned"].startswith("whole floats stored as booleans (those other than 0 and 1 as true)")
    assert r.body["schema"]["definition"][1]["type"] == "decimal" and tally(r, "decimal") == (4, 0, 3)
    ints = mapper.infer(ndjson(*recs([int(v) if type(v) is float else v for v in values])))
    assert ints.body["schema"]["definition"][1]["type"] == "int"  # (the same rule)
    forced = mapper.infer(ndjson(*recs(values)), types={"v": "bool"})
    assert [n for n in forced.notes if n.startswith("v: ")] == [
        "v: bool (--type) stores the whole floats other than 0 and 1 as true (e.g. 2.0), which mapper validate does not warn about: the values are lost"
    ]


def test_bools_beside_floats_count_1_0_and_0_0_as_sent_and_only_fractions_warned() -> None:
    # 1.0 and 0.0 were counted changed beside 0.5 (3 changed, where validate warns of 1)
    values = [True, 1.0, False, 0.0, True, 0.5]
    text = ndjson(*recs(values))
    r = mapper.infer(text, types={"v": "bool"})
    assert tally(r, "bool") == (5, 1, 0)
    report = mapper.compile_sink(r.body).validate(text)
    assert [(w.record, w.kind) for w in report.warnings] == [(5, "float_truncated")]
    # bools with 0.0 and 1.0 only: every value converts to a bool, as beside 0 and 1
    whole = mapper.infer(ndjson(*recs([True, 1.0, 0.0])))
    assert whole.conflicts["v"]["type"] == "bool" and "every value converts to a bool" in whole.conflicts["v"]["resolution"]
    assert tally(whole, "bool") == (3, 0, 0) and "unwarned" not in whole.conflicts["v"]["alternatives"][0]


def test_lone_surrogates_and_invalid_utf8_are_noted_as_validate_warns_them(tmp_path: Path) -> None:
    # "\ud800" escapes are stored as U+FFFD, validate warns utf8_replaced: infer said nothing
    f = tmp_path / "s.ndjson"
    f.write_bytes(b'{"id":"a","s":"ok\\ud800x"}\n{"id":"b","s":"fine"}\n{"id":"c","s":"\\udc00"}\n{"id":"d","s":"b\xffd"}\n')
    ran = run_main("infer", f)
    assert ran.returncode == 0, ran.err
    notes = [ln for ln in ran.err.splitlines() if ln.startswith("note: s: ") or "UTF-8" in ln]
    assert notes == [
        'note: s: 2 values hold an unpaired UTF-16 surrogate escape (e.g. record 0, line 1: sent "escape \\ud800 at char 18", '
        'stored "ok\ufffdx"), which is no text: the endpoint\'s JSON decoder stores each as U+FFFD (validate warns utf8_replaced); '
        "send the characters themselves (or a surrogate pair's two escapes) to keep the text",
        'note: 1 record holds invalid UTF-8 (e.g. record 3, line 4: sent "byte 0xff at char 17", stored "b\ufffdd"): the '
        "endpoint's JSON decoder stores each invalid byte as U+FFFD (validate warns utf8_replaced); convert the input to UTF-8 first to keep the text",
    ]
    # from Python: a str holding a lone surrogate, as its JSON text reaches the endpoint
    r = mapper.infer([{"id": "a", "s": "ok\ud800x"}, {"id": "b", "s": "fine"}])
    assert [n for n in r.notes if n.startswith("s: ")] == [
        's: 1 value holds an unpaired UTF-16 surrogate escape (e.g. record 0: sent "ok\\ud800x", stored "ok\ufffdx"), which is no '
        "text: the endpoint's JSON decoder stores each as U+FFFD (validate warns utf8_replaced); send the characters themselves "
        "(or a surrogate pair's two escapes) to keep the text"
    ]
    # a pair's two escapes are one character, stored as sent: nothing to say
    assert not [n for n in mapper.infer(b'{"id":"a","s":"\\ud83d\\ude00"}\n').notes if "U+FFFD" in n]


def test_a_named_identity_whose_values_all_differ_comes_before_one_whose_values_repeat() -> None:
    # an id that repeats beside a uuid that does not: the draft keyed the records by id (the first
    # name), so records sharing an id shared one row, a note saying only "choose another"
    text = b'{"id": 1, "uuid": "u1", "v": 1}\n{"id": 1, "uuid": "u2", "v": 2}\n{"id": 2, "uuid": "u3", "v": 3}\n'
    r = mapper.infer(text)
    assert r.body["schema"]["primary_key_fields"] == ["uuid"] and "id_field" not in r.body["schema"]
    assert [n for n in r.notes if n.startswith("identity")] == [
        "identity uuid, whose values all differ, rather than id, whose values repeat (records sharing an _id share one row); --id-field id keeps one row per id"
    ]
    assert mapper.compile_sink(r.body).map(text).ids.tolist() == ["u1", "u2", "u3"]
    # both repeat, or the first named differs: the first named, as before, and no such note
    both = mapper.infer(b'{"id": 1, "uuid": "u1"}\n{"id": 1, "uuid": "u1"}\n')
    assert both.body["schema"]["id_field"] == "id" and not [n for n in both.notes if "rather than" in n]
    plain = mapper.infer(b'{"id": 1, "uuid": "u1"}\n{"id": 2, "uuid": "u1"}\n')
    assert plain.body["schema"]["id_field"] == "id" and not [n for n in plain.notes if "rather than" in n]
    # one that repeats but could not be the identity anyway (missing in a record) is not said
    gap = mapper.infer(b'{"id": 1, "uuid": "u1"}\n{"id": 1, "uuid": "u2"}\n{"uuid": "u3"}\n')
    assert gap.body["schema"]["primary_key_fields"] == ["uuid"] and not [n for n in gap.notes if "rather than" in n]


def test_arrays_holding_an_element_twice_are_noted_where_a_set_column_takes_them() -> None:
    # [255, 0, 0] became an ids column storing {0, 255}, ["x", "x", "y"] a strings column storing
    # {x, y}: the repeats (and the order) lost, without a word from infer or validate
    text = ndjson({"id": "a", "rgb": [255, 0, 0], "tags": ["x", "y"]}, {"id": "b", "rgb": [0, 128, 0], "tags": ["x", "x", "y"]})
    r = mapper.infer(text)
    assert [(d["name"], d["type"]) for d in r.body["schema"]["definition"][1:]] == [("rgb", "ids"), ("tags", "strings")]
    said = [n for n in r.notes if n.startswith(("rgb", "tags"))]
    assert len(said) == 2
    assert said[0].startswith("rgb: 2 arrays hold an element more than once (e.g. [255, 0, 0]): a set column (ids)")
    assert said[1].startswith('tags: 1 array holds an element more than once (e.g. ["x", "x", "y"]): a set column (strings)')
    assert "stores each element once, in no order, without a warning" in r.notes[0]
    assert not mapper.compile_sink(r.body).validate(text).warnings  # (what the note says)
    # distinct elements say nothing; a --type set says it too
    assert not [n for n in mapper.infer(ndjson({"id": "a", "t": ["x", "y"]}, {"id": "b", "t": ["z"]})).notes if "more than once" in n]
    forced = mapper.infer(ndjson({"id": "a", "t": ["q", "q"]}, {"id": "b", "t": "r"}), types={"t": "strings"})
    assert [n[:50] for n in forced.notes if n.startswith("t: ")] == ["t: 1 array holds an element more than once (e.g. ["]


def test_a_scale_set_by_float_arithmetic_digits_that_leaves_little_range_is_noted() -> None:
    # 19.990000000000002 (as 0.1 + 0.2 leaves its digits) made the draft Scale 15, which holds values
    # up to 9223.37 only: a later price of 10000 refused with its record, without a word
    text = ndjson({"id": "a", "price": 19.99}, {"id": "b", "price": 5.5}, {"id": "c", "price": 19.990000000000002})
    r = mapper.infer(text)
    assert r.body["schema"]["definition"][1]["config"] == {"Scale": 15}
    (said,) = [n for n in r.notes if n.startswith("price: Scale")]
    assert said.startswith("price: Scale 15 holds the digits of floats such as 19.990000000000002, as float arithmetic leaves them")
    assert "values only up to 9223.37 in magnitude" in said
    later = mapper.compile_sink(r.body).validate(b'{"id": "d", "price": 10000}\n')
    assert [e.code for e in later.errors] == ["out_of_range"]  # (what the note says)
    # fewer significant digits, or 15 with a range far beyond the values: nothing said
    for values in ([1e15, 2.5], [0.015625, 2.0], [0.123456789012345, 0.5]):
        r = mapper.infer(ndjson(*[{"id": str(i), "v": v} for i, v in enumerate(values)]))
        assert not [n for n in r.notes if n.startswith("v: Scale")], (values, r.notes)


def test_key_values_holding_a_lone_surrogate_from_python_are_compared_as_they_arrive() -> None:
    # "a\ud800" and "a\udc00" from dicts both arrive as "a\ufffd" (one _id): infer said "every value
    # distinct" from the dicts, "values repeat" from their JSON text
    recs = [{"name": "a\ud800", "v": 1}, {"name": "a\udc00", "v": 2}]
    r = mapper.infer(recs)
    assert r.body["schema"]["primary_key_fields"] == ["name"]
    assert any(n.startswith("identity name: its values repeat") for n in r.notes), r.notes
    assert mapper.compile_sink(r.body).map(recs).ids.tolist() == ["a\ufffd", "a\ufffd"]  # (what the note says)
    # a pair's two code points are the character they make: one key with it
    pair = mapper.infer([{"name": "\ud83d\ude00", "v": 1}, {"name": "\U0001f600", "v": 2}])
    assert any(n.startswith("identity name: its values repeat") for n in pair.notes), pair.notes
    assert not [n for n in mapper.infer([{"name": "a\ud800", "v": 1}, {"name": "b", "v": 2}]).notes if "repeat" in n]


def test_the_repeats_note_counts_only_the_arrays_the_set_column_takes() -> None:
    # --type rgb=strings: [255, 0, 0] is refused by a strings column (its record with it), and the note
    # said "a set column (strings) stores each element once" of it; ints and strings counted as one
    text = ndjson({"id": "a", "v": [255, 0, 0]}, {"id": "b", "v": ["x", "x"]}, {"id": "c", "v": [7, 7]})
    as_strings = [n for n in mapper.infer(text, types={"v": "strings"}).notes if "more than once" in n]
    assert len(as_strings) == 1 and as_strings[0].startswith('v: 1 array holds an element more than once (e.g. ["x", "x"]): a set column (strings)')
    as_ids = [n for n in mapper.infer(text, types={"v": "ids"}).notes if "more than once" in n]
    assert len(as_ids) == 1 and as_ids[0].startswith("v: 2 arrays hold an element more than once (e.g. [255, 0, 0]): a set column (ids)")


def test_the_scale_note_is_told_in_mappers_decimal_context_not_the_callers() -> None:
    # a program whose decimal context traps Inexact (or keeps 6 digits): infer raised decimal.Inexact
    # from the Scale note's arithmetic, where mapper's own Decimal arithmetic never takes the caller's
    import decimal

    text = ndjson({"id": "a", "price": 19.99}, {"id": "b", "price": 19.990000000000002})
    plain = [n for n in mapper.infer(text).notes if n.startswith("price: Scale")]
    assert len(plain) == 1 and "values only up to 9223.37 in magnitude" in plain[0]
    with decimal.localcontext(decimal.Context(prec=6, traps=[decimal.Inexact, decimal.Rounded])):  # (3.10: no keywords)
        assert [n for n in mapper.infer(text).notes if n.startswith("price: Scale")] == plain
