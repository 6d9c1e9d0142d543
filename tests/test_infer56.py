"""``mapper infer`` on bools beside floats (counted float by float, as a bool column stores each)."""

from __future__ import annotations

import json
from typing import Any

import mapper


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
