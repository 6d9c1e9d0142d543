"""``mapper infer``'s notes of what validate would say of its draft (session 57): empty strings,
which validate warns of (``empty_string``), one note a column; the draft's validation walks the
report's warnings once for every note it draws from them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import mapper
import mapper.api
from tests.cli_inproc import run_main


def ndjson(*records: Any) -> bytes:
    return b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in records)


#: a lone surrogate escape (utf8_replaced) and floats a Scale 4 column stores changed (float_decimal)
MIXED = b'{"id":"a","s":"ok\\ud800x","f":-43.416}\n{"id":"b","s":"fine","f":-6.27}\n{"id":"c","s":"x","f":1.2345}\n'


class _Once:
    """Warnings that can be walked once: a second walk is the test's failure, not an empty list."""

    def __init__(self, items: list[Any]):
        self.items = items
        self.walked = False

    def __iter__(self) -> Any:
        assert not self.walked, "report.warnings walked twice"
        self.walked = True
        return iter(self.items)


def test_the_verification_walks_the_warnings_once_for_every_note(monkeypatch: pytest.MonkeyPatch) -> None:
    # _verify walked report.warnings twice (its utf8_replaced notes' first warnings, then the
    # float_decimal and int_precision ones): one walk keeps the first warning of each note
    real = mapper.api.compile_sink

    def compiled(body: Any) -> Any:
        m = real(body)
        validate = m.validate

        def once(*args: Any, **kwargs: Any) -> Any:
            report = validate(*args, **kwargs)
            report.warnings = _Once(list(report.warnings))  # type: ignore[assignment]
            return report

        monkeypatch.setattr(m, "validate", once)
        return m

    monkeypatch.setattr(mapper.api, "compile_sink", compiled)
    notes = mapper.infer(MIXED).notes
    (s,) = [n for n in notes if n.startswith("s: ")]
    (f,) = [n for n in notes if n.startswith("f: ")]
    assert s.startswith('s: 1 value holds an unpaired UTF-16 surrogate escape (e.g. record 0, line 1: sent "escape \\ud800 at char 18", stored "ok\ufffdx")'), s
    assert f.startswith(
        "f: 2 floats stored changed at Scale 4: the endpoint multiplies the float64 by 10^Scale and truncates; e.g. sent -43.416, stored -43.4159; "
    ), f


def _empty_noted(notes: list[str]) -> dict[str, tuple[int, int]]:
    """The empty-string notes: dot path -> (records holding "", the first of them)."""
    found = [re.fullmatch(r'(\S+): "" in ([0-9,]+) of [0-9,]+ records? \(first: record ([0-9]+), line [0-9]+\): .*', n) for n in notes]
    return {m[1]: (int(m[2].replace(",", "")), int(m[3])) for m in found if m}


#: "" in a string, a bool, an int (beside integers) and a string of times (beside dates: typed string)
EMPTIES = ndjson(
    {"id": "a", "s": "", "b": True, "n": 1, "t": "2024-01-01"},
    {"id": "b", "s": "x", "b": "", "n": "", "t": ""},
    {"id": "c", "s": "", "b": False, "n": 3, "t": "2024-01-02"},
)


def test_empty_strings_are_noted_per_column_as_validate_warns_them(tmp_path: Path) -> None:
    # validate, with the draft, warned empty_string ("empty string taken as no value") for each ""
    # (the warning real corpora give most: twitter's user.location 77 of 100 records) and infer
    # had said nothing of them
    r = mapper.infer(EMPTIES)
    assert _empty_noted(r.notes) == {"s": (2, 0), "b": (1, 1), "n": (1, 1), "t": (1, 1)}
    report = mapper.compile_sink(r.body).validate(EMPTIES)
    warned = [w for w in report.warnings if w.kind == "empty_string"]
    firsts = {w.column: w.record for w in reversed(warned)}
    assert {c: (n, firsts[c]) for (c, kind), n in report.warning_counts.items() if kind == "empty_string"} == _empty_noted(r.notes)
    assert (
        's: "" in 2 of 3 records (first: record 0, line 1): the endpoint stores no value for it, and validate warns empty_string '
        '("empty string taken as no value") for each (--ignore-warning empty_string silences them)'
    ) in r.notes
    (b,) = [n for n in r.notes if n.startswith('b: "" in')]
    assert "stores no value for it (the ingester clears the stored bool), and validate warns empty_string" in b  # (validate's hint)
    f = tmp_path / "e.ndjson"
    f.write_bytes(EMPTIES)
    ran = run_main("infer", f)
    assert ran.returncode == 0 and f"note: {b}\n" in ran.err, ran.err


def test_empty_strings_a_column_refuses_or_an_identity_fails_are_no_empty_string_note() -> None:
    # a timestamp column refuses "" (its record: the refusal note says it); a one-field identity's
    # "" fails the record (the identity's note says it); a field of several keys' "" is no value
    typed = mapper.infer(EMPTIES, types={"t": "timestamp"})
    assert _empty_noted(typed.notes) == {"s": (2, 0), "b": (1, 1), "n": (1, 1)}
    keyed = mapper.infer(EMPTIES, primary_key_fields=["s"])
    assert "s" not in _empty_noted(keyed.notes)
    assert "identity s is empty in 2 (first: record 0, line 1) of 3 records: the endpoint fails those records" in keyed.notes
    assert _empty_noted(mapper.infer(EMPTIES, primary_key_fields=["id", "s"]).notes)["s"] == (2, 0)


def test_an_id_field_holding_empty_strings_is_said_to_fail_those_records() -> None:
    # "" at the id_field: validate refuses the record (invalid_id), and infer said nothing of it
    # (only of a one-field primary key's "")
    text = b'{"id": 1, "v": "a"}\n{"id": "", "v": "b"}\n{"id": "3", "v": "c"}\n'
    r = mapper.infer(text, id_field="id")
    assert "identity id is empty in 1 (first: record 1, line 2) of 3 records: the endpoint fails those records" in r.notes
    assert "id" not in _empty_noted(r.notes)
    assert r.verified == {"records": 3, "refused": 1, "errors": {"invalid_id": 1}}


def test_empty_strings_are_one_note_a_column_however_many_records() -> None:
    text = ndjson(*({"id": str(i), "s": "" if i % 3 else "x", "u": ""} for i in range(3000)))
    r = mapper.infer(text)
    assert _empty_noted(r.notes) == {"s": (2000, 1), "u": (3000, 0)}
    assert len([n for n in r.notes if '"" in' in n]) == 2
    assert 'u: "" in 3,000 of 3,000 records (first: record 0, line 1): ' in "\n".join(r.notes)


def _missing_note(notes: list[str]) -> list[str]:
    return [n for n in notes if n.startswith("allow_missing_fields is false: ")]


def test_a_draft_refusing_missing_fields_says_what_a_record_missing_one_does() -> None:
    # every record read held every path, so the draft said allow_missing_fields false, and said
    # nothing of it: the next record lacking a key makes the endpoint discard its whole batch
    text = ndjson({"id": "a", "n": 1, "o": {"x": "p"}}, {"id": "b", "n": 2, "o": None}, {"id": "c", "n": 3, "o": {"x": "q"}})
    r = mapper.infer(text)
    assert r.body["schema"]["allow_missing_fields"] is False  # (o null: o.x is null there, not missing)
    assert _missing_note(r.notes) == [
        "allow_missing_fields is false: each of the 3 records read holds every mapped path; a later record missing one makes the "
        "endpoint discard the whole batch it is sent in (every record of it, not that one alone): set allow_missing_fields true "
        "if a record may lack a key, and the endpoint stores null for it"
    ]
    # what the note says, as validate judges the draft: one record lacking n, the batch discarded
    later = mapper.compile_sink(r.body).validate(text + ndjson({"id": "d", "o": {"x": "r"}}))
    assert later.verdict == "discarded" and later.error_count == 4, later.reject_reason
    one = mapper.infer(ndjson({"id": "a", "n": 1}))
    assert _missing_note(one.notes)[0].startswith("allow_missing_fields is false: the one record read holds every mapped path; ")
    # records that are no JSON objects are no evidence: the base is those that parsed
    bad = mapper.infer(ndjson({"id": "a", "n": 1}, [1], {"id": "b", "n": 2}))
    assert _missing_note(bad.notes)[0].startswith("allow_missing_fields is false: each of the 2 records that parsed holds every mapped path; ")
    # a record lacking a key: true, and nothing to say
    lacking = mapper.infer(ndjson({"id": "a", "n": 1}, {"id": "b"}))
    assert lacking.body["schema"]["allow_missing_fields"] is True and not _missing_note(lacking.notes)
