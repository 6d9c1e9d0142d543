"""``mapper infer`` review: what a careful reading of mapper/infer.py found, one small case each."""

from __future__ import annotations

import io
import json
import shlex
from typing import Any

import pytest

import mapper
from mapper.infer import infer


def ndjson(*records: Any) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)


def suggested_types(text: str) -> list[str]:
    """Each ``--type X=T`` a text suggests, as a shell splits it (``--type=-x=T`` too)."""
    found = []
    at = text.find("--type")
    while at >= 0:
        lexer = shlex.shlex(text[at:], posix=True)
        lexer.whitespace_split = True
        flag = lexer.get_token() or ""
        found.append(flag[len("--type=") :] if flag.startswith("--type=") else lexer.get_token() or "")
        at = text.find("--type", at + 1)
    return found


@pytest.mark.parametrize(
    ("records", "key"),
    [
        # the key a_b after the path a.b, whose column is a_b: the key's column is a_b_2
        ([{"id": i, "a": {"b": 1}, "a_b": v} for i, v in enumerate([1, "x", 3, 4])], "a_b"),
        # the key v after the key V, whose column is v
        ([{"id": i, "V": 1, "v": v} for i, v in enumerate([1, "x", 3, 4])], "v"),
        # the key v_2 after V and v (columns v, v_2)
        ([{"id": i, "V": 1, "v": 2, "v_2": v} for i, v in enumerate([1, "x", 3, 4])], "v_2"),
        # the note of times beside an empty string
        ([{"id": i, "A": 1, "a": v} for i, v in enumerate(["2020-01-01T00:00:00Z", "", "2020-01-02T00:00:00Z"])], "a"),
    ],
)
def test_a_suggested_type_option_on_a_key_that_is_another_columns_name_types_that_key(records: list[dict[str, Any]], key: str) -> None:
    # the note offered --type a_b=string for the key a_b, but a_b is the draft's column of the path
    # a.b: pasted, the option failed "'a_b' is taken for the path a_b (the draft's column a_b_2), but
    # the draft's column a_b is the path a.b"
    data = ndjson(*records)
    r = infer(data)
    out = io.StringIO()
    r.print_report(out)
    offers = [o for n in r.notes if n.startswith(f"{key}: ") for o in suggested_types(n)]
    offers += [o for line in out.getvalue().splitlines() if line.startswith("      ") for o in suggested_types(line)]
    assert offers, (r.notes, out.getvalue())
    for offer in offers:
        path, _, ctype = offer.rpartition("=")
        typed = infer(data, types={path: ctype})
        entries = {tuple(e["path"]): e["type"] for e in typed.body["schema"]["definition"]}
        assert entries[(key,)] == ctype, (offer, entries)
        assert mapper.check_sink(typed.body).valid


@pytest.mark.parametrize(
    "values",
    [
        [0.1, "0.123456789012345678901"],  # 21 digits after the point: 19 kept, at Scale 19
        [1, "12345678901.123456789"],  # 20 significant digits: 19 kept, at Scale 8
        ["1.5", 2, "1.00000000000000000001"],  # 21 significant digits
    ],
)
def test_decimal_strings_beyond_19_significant_digits_are_counted_changed_and_said(values: list[Any]) -> None:
    # the endpoint keeps 19 significant digits of a decimal string (pql.ParseDecimal drops the rest,
    # validate warns decimal_truncated), whatever the Scale: infer counted them stored as sent and said
    # nothing of them
    data = ndjson(*({"id": i, "v": v} for i, v in enumerate(values)))
    r = infer(data)
    e = next(e for e in r.body["schema"]["definition"] if e["path"] == ["v"])
    assert e["type"] == "decimal", e
    report = mapper.compile_sink(r.body).validate(data)
    warned = sum(n for (_col, kind), n in report.warning_counts.items() if kind == "decimal_truncated")
    assert warned == 1, report.warning_counts
    tally = r.conflicts["v"]["alternatives"][0]
    assert (tally["type"], tally["changed"], tally["refused"]) == ("decimal", 1, 0), tally
    assert any(n.startswith("v: ") and "19 significant digits" in n for n in r.notes), r.notes


def test_integer_strings_an_id_column_keeps_wrapped_are_counted_changed() -> None:
    # --type v=id over integers and integer strings of 2^44 or more: FeatureBase keeps an id as a
    # row modulo 2^44 (validate warns row_wrapped), but the tally said the strings stored as sent
    values = [1, str(2**44 + 5), "7", 2**44 + 9]
    data = ndjson(*({"id": i, "v": v} for i, v in enumerate(values)))
    r = infer(data, types={"v": "id"})
    tally = r.conflicts["v"]["alternatives"][0]
    report = mapper.compile_sink(r.body).validate(data)
    warned = sum(n for (col, kind), n in report.warning_counts.items() if col == "v")
    assert warned == 2 and report.failed_records == 0, report.summary()
    assert (tally["type"], tally["exact"], tally["changed"], tally["refused"]) == ("id", 2, 2, 0), tally


def test_integers_a_decimal_column_stores_changed_are_said() -> None:
    # found by a tally round-trip: [576460752305, 0.015625] is decimal Scale 6, and the endpoint
    # stores 576460752305 as 576460752304.999936 (the float64 times 10^6 is beyond 2^53, truncated;
    # validate warns int_precision), but infer said nothing of it
    data = ndjson({"id": 0, "v": 576460752305}, {"id": 1, "v": 0.015625}, {"id": 2, "v": 3})
    r = infer(data)
    assert r.body["schema"]["definition"][1]["config"] == {"Scale": 6}
    report = mapper.compile_sink(r.body).validate(data)
    assert report.warning_counts == {("v", "int_precision"): 1}, report.warning_counts
    note = next((n for n in r.notes if n.startswith("v: ")), "")
    assert note.startswith("v: 1 integer stored changed at Scale 6") and "sent 576460752305, stored 576460752304.999936" in note, r.notes
    # integers beyond 2^53 at Scale 0: said once, by the note of such integers
    r = infer(ndjson({"id": 0, "v": 2**60 + 1}, {"id": 1, "v": 2.0}))
    assert [n.split(":")[1].split("(")[0].strip() for n in r.notes if n.startswith("v: ")] == ["integers beyond 2^53"], r.notes
