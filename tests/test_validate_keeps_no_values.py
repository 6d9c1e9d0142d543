"""``validate`` builds no batch: its runs hold no text column's values (nor set rows), and
its report is ``map``'s report, word for word, value for value.

A validate-only run (``Engine(output=False)``, the api's, the command line's, and the
caller's share of ``--workers 2``) writes each record's verdict without storing a reference
to each string sent (7% of validating 200k seed records went to those copies); the
differential half checks nothing a report says came from the values not kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from sinks import column, schema

import mapper
import mapper.engine.core as core
from mapper.batch import ColumnBuilder
from mapper.cli import main
from mapper.engine.output import RunOutput
from mapper.report import BatchRejected, Report

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.gen import SINK, generate  # noqa: E402

#: a composite string primary key: its joined keys are the string _id builder's values
PK_SINK = schema(column("k", "string"), column("j", "string"), column("tags", "strings"), column("n", "int", Min=0, Max=100), primary_key_fields=["k", "j"])

NEEDLE = "needle-7f3a"


def _pk_records(n: int) -> bytes:
    recs = [{"k": f"{NEEDLE}-k{i}", "j": f"{NEEDLE}-j{i}", "tags": [f"{NEEDLE}-t{i}"], "n": i % 100} for i in range(n)]
    return b"".join(json.dumps(r).encode() + b"\n" for r in recs)


def _held_strings(out: RunOutput) -> Iterator[str]:
    """Every string any builder of the run still holds (values arrays and set rows)."""
    for b in [*out.builders.values(), out.id_builder]:
        if isinstance(b.values, np.ndarray) and b.values.dtype == object:
            yield from (v for v in b.values.tolist() if isinstance(v, str))
        if b.sets is not None:
            for row in b.sets:
                yield from row or ()


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[RunOutput]:
    """The RunOutput of every engine made in this process meanwhile."""
    made: list[RunOutput] = []

    class Recorded(RunOutput):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(core, "RunOutput", Recorded)
    return made


def _text_builders(out: RunOutput) -> list[ColumnBuilder]:
    return [b for b in [*out.builders.values(), out.id_builder] if b.kind in ("str", "strset")]


@pytest.mark.parametrize("sink, data", [(SINK, generate(3000)), (PK_SINK, _pk_records(3000))], ids=["seed", "pk"])
def test_validate_stores_no_text_value(sink: dict[str, Any], data: bytes, runs: list[RunOutput]) -> None:
    m = mapper.compile_sink(sink)
    report = m.validate(data)
    assert report.accepted and report.records == 3000
    (out,) = runs
    assert out.stats["fast_records"] == 3000  # (the vector forms ran, not only the careful path)
    assert list(_held_strings(out)) == []
    assert _text_builders(out) and not any(b.keeps_rows for b in _text_builders(out))
    # and map still keeps every value
    runs.clear()
    batch = m.map(data)
    assert all(b.keeps_rows for b in _text_builders(runs[0]))
    first = batch.to_rows()[0]
    assert any(isinstance(v, str) and v for v in first.values())


def test_validate_careful_path_stores_no_text_value(runs: list[RunOutput]) -> None:
    # numbers in string columns go element by element (string_from_value warnings), as do
    # comma-split strings: the warnings still hold the values they name
    recs = [{"k": f"{NEEDLE}{i}", "j": i, "tags": "a,b", "n": i % 100} for i in range(400)]
    m = mapper.compile_sink(PK_SINK)
    report = m.validate(recs)
    assert len(runs) == 1 and list(_held_strings(runs[0])) == []
    assert sorted(w.sent for w in report.warnings if w.kind == "string_from_value") == list(range(400))
    assert sorted(w.stored for w in report.warnings if w.kind == "string_from_value") == sorted(str(i) for i in range(400))
    split = [w.stored for w in report.warnings if w.kind == "comma_split"]
    assert len(split) == 400 and all(s == ["a", "b"] for s in split)


def test_validate_with_two_workers_stores_no_text_value_in_the_callers_share(runs: list[RunOutput]) -> None:
    data = generate(20_000)
    report = mapper.compile_sink(SINK).validate(data, workers=2)
    assert report.records == 20_000 and report.accepted
    assert runs and all(list(_held_strings(out)) == [] for out in runs)
    assert all(not any(b.keeps_rows for b in _text_builders(out)) for out in runs)


def test_cli_validate_stores_no_text_value_and_still_writes_rejects(tmp_path: Path, runs: list[RunOutput], capsys: pytest.CaptureFixture[str]) -> None:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    data = generate(2000, "bad")
    src = tmp_path / "in.ndjson"
    src.write_bytes(data)
    rejects = tmp_path / "rejects.ndjson"
    code = main(["validate", str(sink), str(src), "--rejects", str(rejects), "--report", "json"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 1 and printed["failed_records"] > 0
    assert runs and all(list(_held_strings(out)) == [] for out in runs)
    assert all(not any(b.keeps_rows for b in _text_builders(out)) for out in runs)
    # the refused records' raw texts, byte for byte, as map's report has them
    written = [json.loads(line) for line in rejects.read_bytes().splitlines()]
    with pytest.raises(BatchRejected) as exc:
        mapper.compile_sink(SINK).map(data, on_error="reject")
    assert [r["raw"] for r in written] == [r.raw.decode() if isinstance(r.raw, bytes) else r.raw for r in exc.value.report.rejected]
    assert len(written) == printed["failed_records"]


# ---------------------------------------------------------------------------------------
# validate's report is map's


def _whole(report: Report) -> Any:
    """Everything a report says, the warnings' values (sent and stored) and the refused records' raw texts included."""
    return (
        report.to_dict(),
        [(w.record, w.line, w.column, w.kind, repr(w.sent), repr(w.stored), w.hint, w.message) for w in report.warnings],
        [(e.record, e.line, e.column, e.code, e.message) for e in report.errors],
        [r.to_dict() for r in report.rejected],
        {k: [e.message for e in v] for k, v in report.failed_index.items()},
        report.verdict,
        report.summary(),
    )


def _mapped(m: mapper.Mapper, data: Any, **kw: Any) -> Report:
    try:
        return m.map(data, **kw).report
    except BatchRejected as exc:
        return exc.report


def _warning_heavy(n: int) -> bytes:
    """Seed records with numbers and bools in string columns, strings in int columns, values out of range."""
    lines = []
    for i, line in enumerate(generate(n).splitlines()):
        rec = json.loads(line)
        d = rec["data"]
        if i % 3 == 0:
            d["reg"] = 1234567 + i  # string_from_value, worded as Go prints it
            d["type"] = i % 2 == 0
        if i % 5 == 0:
            d["track"] = str(d["track"])
            d["lat"] = d["lat"] + 1e-9  # more digits than the scale keeps
        if i % 97 == 0:
            d["speed"] = 99999  # out of range: an error
        lines.append(json.dumps(rec).encode())
    return b"\n".join(lines) + b"\n"


CASES = {
    "clean": lambda: generate(3000),
    "lax": lambda: generate(3000, "lax"),
    "bad": lambda: generate(3000, "bad"),
    "warnings": lambda: _warning_heavy(3000),
}


@pytest.mark.parametrize("strict", [False, True], ids=["plain", "strict"])
@pytest.mark.parametrize("on_error", ["endpoint", "skip", "reject"])
@pytest.mark.parametrize("case", list(CASES))
def test_validate_reports_what_map_reports(case: str, on_error: str, strict: bool) -> None:
    data = CASES[case]()
    m = mapper.compile_sink(SINK)
    validated = m.validate(data, on_error=on_error, strict=strict)
    mapped = _mapped(m, data, on_error=on_error, strict=strict)
    assert _whole(validated) == _whole(mapped)
    if case == "warnings" and not strict:
        assert validated.warnings and {w.kind for w in validated.warnings} >= {"string_from_value"}
        assert any(w.sent == 1234567 for w in validated.warnings)


@pytest.mark.parametrize("case", ["warnings", "bad"])
def test_validate_as_python_objects_and_with_two_workers_reports_what_map_reports(case: str) -> None:
    data = CASES[case]()
    m = mapper.compile_sink(SINK)
    objs = [json.loads(line) for line in data.splitlines()]
    assert _whole(m.validate(objs)) == _whole(_mapped(m, objs))
    assert _whole(m.validate(data, workers=2)) == _whole(_mapped(m, data, workers=2)) == _whole(_mapped(m, data))


def test_validate_of_a_string_primary_key_reports_what_map_reports() -> None:
    recs = [{"k": f"k{i}", "j": (i if i % 7 == 0 else f"j{i}"), "tags": "x,y" if i % 4 == 0 else ["x"], "n": i % 120} for i in range(400)]
    recs[10]["k"] = ""
    recs[11]["j"] = None
    data = b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    m = mapper.compile_sink(PK_SINK)
    for given in (data, recs):
        validated = m.validate(given)
        assert validated.errors and validated.warnings
        assert _whole(validated) == _whole(_mapped(m, given))
