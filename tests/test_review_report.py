"""Review of mapper/report.py and mapper/errors.py (the report, its messages, the exceptions): each test a finding."""

from __future__ import annotations

import io
import json
import pickle
import re
from pathlib import Path
from typing import Any

import mapper
from mapper.commands import print_report
from mapper.errors import DefinitionError, Problem, has_controls, preview, show
from mapper.report import KEEP, Report, ReportBuilder, ValueWarning

ROOT = Path(__file__).resolve().parents[1]


def _sink(*columns: dict[str, Any]) -> dict[str, Any]:
    return {"primary_key_fields": ["id"], "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "string"}, *columns]}


def test_a_not_an_object_error_escapes_the_hidden_characters_of_the_key_it_names() -> None:
    # "element at [...] is not an object" quoted the definition's keys as json.dumps writes them:
    # C0 escaped, but a U+202E (which check only warns of) or a C1 CSI went out as they are, and the
    # text report printed them (the rest of the line read backwards), as no other message does.
    key = "k\u202e\x9b"
    m = mapper.compile_sink(_sink({"name": "n", "path": [key, "q"], "type": "int"}))
    for given in ([{"id": "x", key: 5}], (json.dumps({"id": "x", key: 5}) + "\n").encode()):
        report = m.validate(given)
        (error,) = report.errors
        assert error.code == "not_an_object"
        assert not has_controls(error.message), ascii(error.message)
        assert '["k\\u202e\\u009b"]' in error.reason, error.reason


def test_a_warning_on_an_array_or_object_hashes() -> None:
    # ValueWarning defines __hash__ (an equal one hashes alike), but hashed what was sent and what
    # is stored: a set of warnings, or one as a dict key, raised "unhashable type: 'list'" for a
    # string_from_value of an array or a comma_split (its stored parts are a list).
    m = mapper.compile_sink(_sink({"name": "s", "path": ["s"], "type": "string"}, {"name": "ss", "path": ["ss"], "type": "strings"}))
    report = m.validate([{"id": "a", "s": [1, 2]}, {"id": "b", "s": {"k": 1}}, {"id": "c", "ss": "x,y"}])
    assert sorted(w.kind for w in report.warnings) == ["comma_split", "string_from_value", "string_from_value"]
    copies = pickle.loads(pickle.dumps(report.warnings))
    assert {*report.warnings} == {*copies} and len({*report.warnings, *copies}) == 3
    assert all(hash(w) == hash(c) and w == c for w, c in zip(report.warnings, copies))


def test_the_failed_index_holds_one_error_per_record() -> None:
    # The first KEEP failed records were kept with every error of theirs, for the endpoint answer's
    # message, which quotes one: a wide sink's records failing every column (4,000 columns, 1,500
    # records, 82 MB of NDJSON) held 4,000,000 errors, 1.35 GB, in a validate -q that prints none.
    rb = ReportBuilder(keep_rejected=False)
    for rec in range(KEEP + 5):
        rb.error(rec, rec + 1, "a", "$.a", "missing", "Missing value")
        for col in range(40):
            rb.error(rec, rec + 1, f"c{col}", f"$.c{col}", "invalid_value", f"bad c{col}")
    rb.close_records()
    report = rb.report
    report.records = KEEP + 5
    assert len(report.failed_index) == KEEP and report.failed_records == KEEP + 5
    assert sum(len(errs) for errs in report.failed_index.values()) <= KEEP
    answer = report.endpoint_answer()["records"]
    assert answer[0]["error_code"] == "InvalidBody" and answer[0]["error_message"].endswith('bad c0 - at `$.c0` (record 0, line 1, column "c0")')
    assert answer[-1] == {"status": "error", "error_code": "InvalidBody", "error_message": "Incorrect values for one or more of record fields"}


def test_the_text_report_says_when_warnings_are_past_the_ones_kept() -> None:
    # Past the first 1,000 errors the text report says the counts cover more than the examples;
    # past the first 1,000 warnings it said nothing: groups counted "600 times" showed no example,
    # and --group record's "... and N more records" counted only records with kept entries.
    report = Report(records=2400)
    report.warnings = [ValueWarning(i, i + 1, "a", "$.a", "string_from_value", 5, "5") for i in range(KEEP)]
    report.warning_counts = {("a", "string_from_value"): 1800, ("a", "empty_string"): 600}
    for group in ("column", "record"):
        out = io.StringIO()
        print_report(report, out, group=group)
        text = out.getvalue()
        assert "(counts cover all 2,400 warnings; the first 1,000 are kept in full)" in text, text
        assert "errors;" not in text
    report.warning_counts = {("a", "string_from_value"): KEEP}
    out = io.StringIO()
    print_report(report, out)
    assert "counts cover" not in out.getvalue()


def test_a_definition_error_counts_its_errors_as_every_count_is_written() -> None:
    # Counts in messages are written 1,200 (the verdict, the groups); an invalid definition said "1200 errors".
    exc = DefinitionError([Problem("error", f"/schema/definition/{i}", "bad", "c") for i in range(1200)], "sink.json")
    lines = str(exc).splitlines()
    assert lines[0] == "invalid sink definition sink.json: 1,200 errors" and lines[-1] == "  ... and 1,180 more"
    assert str(DefinitionError([Problem("error", "", "bad", "c")])).splitlines()[0] == "invalid sink definition: 1 error"


def test_a_long_text_or_array_shown_cut_gives_its_size_as_every_count_is_written() -> None:
    # preview said "...(200002 characters)" and show "[...] (1500 items)" where the report says "1,500 records".
    assert preview("x" * 1234) == "x" * 60 + "...(1,234 characters)" and preview("x" * 999, 10).endswith("...(999 characters)")
    assert show([0] * 1500) == "[...] (1,500 items)" and show(dict.fromkeys(range(2000))) == "{...} (2,000 keys)"


def _doc_keys(text: str) -> list[str]:
    """The keys a docs list of an object names: ``{"a", "b": [...], "c"}`` -> ``["a", "b", "c"]``, nested objects left out."""
    depth, top = 0, []
    for m in re.finditer(r'"(\w+)"|[\[{]|[\]}]', text[1:-1]):
        tok = m.group()
        if tok in "[{":
            depth += 1
        elif tok in "]}":
            depth -= 1
        elif depth == 0:
            top.append(m.group(1))
    return top


def test_the_json_report_writes_the_keys_and_types_docs_cli_md_lists() -> None:
    # docs/cli.md gave the warnings as "[...]" and error_counts, warning_counts with no shape: every
    # key of every object --report json writes is listed there now, each the type it is.
    doc = (ROOT / "docs" / "cli.md").read_text()
    said = doc[doc.index("### `--report text|json|endpoint` (validate)") :]
    top = said[said.index("`json`: one object `") + len("`json`: one object `") :]
    top = top[: top.index("`")]
    item = {name: re.search(rf'"{name}": \[(\{{[^}}]*\}})\]', top) for name in ("errors", "warnings", "error_counts", "warning_counts")}
    assert all(item.values()), top
    m = mapper.compile_sink(_sink({"name": "n", "path": ["n"], "type": "int"}, {"name": "s", "path": ["s"], "type": "string"}))
    got = m.validate([{"id": "a", "n": "x", "s": 5}]).to_dict()
    assert _doc_keys(top) == list(got)
    for name, found in item.items():
        assert found is not None and _doc_keys(found.group(1)) == list(got[name][0]), name
    kinds = {"verdict": str, "accepted": bool, "policy": str, "records": int, "success_count": int, "error_count": int, "failed_records": int}
    kinds |= {"errors": list, "warnings": list, "error_counts": list, "warning_counts": list, "truncated": bool, "notes": list, "silenced_warnings": dict}
    assert all(isinstance(got[k], t) for k, t in kinds.items())
    assert got["reject_reason"] is got["document_error"] is got["null_records_at"] is None
