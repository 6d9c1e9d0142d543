"""Review of the 2026-12-05 changes: mapper.concat of a batch given twice, ..."""

from __future__ import annotations

from typing import Any

import mapper

SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [
        {"name": "id", "path": ["id"], "type": "id"},
        {"name": "n", "path": ["n"], "type": "int", "config": {"Min": 0, "Max": 10}},
    ],
}
M = mapper.compile_sink(SINK)


def test_concat_same_batch_without_rows_twice_is_two_inputs() -> None:
    # concat's rule: "the same batch twice is two inputs, as mapping its records twice";
    # a batch whose every record failed has no rows, and was taken as continuing itself
    bad = M.map(b'{"id": 1, "n": 50}\n{"id": 2, "n": 60}\n', on_error="skip")
    assert bad.count == 0 and bad.report.records == 2
    twice = M.map(b'{"id": 1, "n": 50}\n{"id": 2, "n": 60}\n' * 2, on_error="skip")
    joined = mapper.concat([bad, bad])
    assert joined.report.records == 4
    assert joined.report.failed_records == 4
    assert list(joined.report.failed) == list(twice.report.failed) == [0, 1, 2, 3]
    assert joined.equals(twice)


def test_join_reports_keeps_a_warnings_file() -> None:
    # join_reports keeps an error's file (dataclasses.replace); a warning's was dropped
    from mapper.report import RecordError, Report, ValueWarning, join_reports

    a = Report(records=2)
    a.warnings.append(ValueWarning(1, 2, "n", "n", "float_truncated", 1.5, 1, None, None, "a.ndjson"))
    a.warning_counts[("n", "float_truncated")] = 1
    a.errors.append(RecordError(0, 1, "n", "n", "out_of_range", "too big", "a.ndjson"))
    joined = join_reports([Report(records=3), a], [0, 3], [0, 3], "endpoint", False)
    assert joined.errors[0].file == "a.ndjson"
    assert (joined.warnings[0].record, joined.warnings[0].line, joined.warnings[0].file) == (4, 5, "a.ndjson")


def test_an_array_of_elements_each_left_open_is_read_in_linear_time(monkeypatch: Any) -> None:
    # each element of a pretty-printed array missing its `}`: every one is decoded past its
    # piece, and was decoded in the whole text from there (the standard library counting
    # the lines before it for the error: 2,000 elements 0.05 s, 20,000 2 s)
    import json

    from mapper.engine import reader

    seen: list[int] = []

    class Counting(json.JSONDecoder):
        def raw_decode(self, s: str, idx: int = 0) -> Any:
            seen.append(len(s) - idx)
            return super().raw_decode(s, idx)

    monkeypatch.setattr(reader.json, "JSONDecoder", Counting)
    n = 400
    good = json.dumps([{"id": i, "n": i % 10} for i in range(n)], indent=2)
    text = good.replace("\n  },", ",\n  ", n)  # (each element but the last left open)
    report = M.validate(text.encode())
    assert (report.records, report.failed_records) == (n, n - 1)
    assert [e.line for e in report.errors[:3]] == [2, 6, 10]
    assert sum(seen) < 20 * len(text)  # (was n times the text)
