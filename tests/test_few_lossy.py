"""A few records' values the quick forms do not vouch for but the vector form stores and only
warns about (a decimal cut or stored off its float: ``ColumnType.quick_lossy``) are warned
about as the engine warns (worded when read), not converted one by one."""

from __future__ import annotations

import math
import random
from typing import Any

import orjson
import pytest

import mapper
from mapper.engine import careful, check, runner
from mapper.options import MapOptions
from mapper.types.decimal import TWO51, decimal_lossy, decimal_quick

SINK = {
    "allow_missing_fields": False,
    "primary_key_fields": ["id"],
    "definition": [
        {"name": "id", "path": ["id"], "type": "string"},
        {"name": "lat", "path": ["d", "lat"], "type": "decimal", "config": {"Scale": 4}},
        {"name": "n", "path": ["d", "n"], "type": "int", "config": {"Min": 0, "Max": 9}},
    ],
}

#: lat values: clean, stored off their float (float_decimal), cut (decimal_truncated), beyond
#: the vector form's range (the converter's), ints, zeros
LATS: list[Any] = [1.5, -84.6813, 42.1692, 4.12345, -8.322, 1e20, 7, -0.0, 0.00015, 2**60, -1e-9]


def _recs() -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "d": {"lat": v, "n": i % 10}} for i, v in enumerate(LATS)]


def _engine(m: mapper.Mapper, records: Any, **options: Any) -> mapper.Report:
    return runner._run_engine(m.compiled, records, MapOptions(**options), output=False)[1]


def _everything(rep: mapper.Report) -> tuple[Any, ...]:
    return (
        rep.records,
        rep.accepted,
        [(e.record, e.line, e.column, e.code, e.reason) for e in rep.errors],
        [(w.record, w.line, w.column, w.kind, repr(w.sent), repr(w.stored), w.reason) for w in rep.warnings],
        sorted(rep.error_counts.items(), key=repr),
        sorted(rep.warning_counts.items(), key=repr),
        sorted(rep.silenced_warnings.items()),
        rep.failed_records,
    )


def _converted(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    real = careful.CarefulPath.element
    monkeypatch.setattr(careful.CarefulPath, "element", lambda self, ci, v, *a: (seen.append(v), real(self, ci, v, *a))[1])
    return seen


@pytest.mark.parametrize("as_dicts", [False, True])
@pytest.mark.parametrize("options", [{}, {"strict": True}, {"ignore_warnings": frozenset({"float_decimal"})}, {"on_error": "reject"}])
def test_a_few_records_lossy_decimals_are_warned_as_the_engine_warns_them(monkeypatch, as_dicts, options):
    m = mapper.compile_sink(SINK)
    recs = _recs()
    lines = [orjson.dumps(r) for r in recs]
    data = recs if as_dicts else b"\n".join(lines)
    want = _everything(_engine(m, data, **options))
    assert {w[3] for w in want[3]} == (
        {"decimal_truncated"} if "ignore_warnings" in options else set() if "strict" in options else {"float_decimal", "decimal_truncated"}
    )
    seen = _converted(monkeypatch)
    opts = MapOptions(**options)
    rep = check.validate_dicts(m.compiled, recs, opts) if as_dicts else check.validate_lines(m.compiled, lines, opts)
    assert _everything(rep) == want
    if "strict" not in options:  # converted one by one: only what the vector form leaves to the converter (beyond 2**51)
        assert seen == [1e20, 2**60]
    if not options:  # and validate takes that route
        assert _everything(m.validate(data)) == want


def test_check_of_a_line_words_a_lossy_decimal_as_the_engine():
    m = mapper.compile_sink(SINK)
    line = orjson.dumps({"id": "a", "d": {"lat": -84.6813, "n": 1}})
    (w,) = m.check(line)
    (e,) = _engine(m, line).warnings
    assert (w.kind, w.column, repr(w.sent), repr(w.stored), w.reason) == (e.kind, e.column, repr(e.sent), repr(e.stored), e.reason)


def _two_tests(scale: int, v: Any) -> bool:
    """vec_numbers' tests of a value: the product below 2**51, it rounds back to the number,
    and it truncates where it rounds."""
    factor = 10.0**scale
    try:
        product = v * factor
    except OverflowError:
        return False
    if not -TWO51 < product < TWO51:
        return False
    nearest = round(product)
    return nearest / factor == v and math.trunc(product) == nearest


def test_the_decimal_quick_form_is_vec_numbers_tests_and_a_lossy_kind_only_for_what_it_does_not_vouch_for():
    rnd = random.Random(13)
    edges = [0.0, -0.0, 0.5, 1.5, 2.5, -0.5, 1e-4, 5e-5, 1.5e-4, 1e308, -1e308, 5e-324, float(2**51), 2**51, 2**51 - 1, -(2**51) + 1, 10**400]
    for scale in (0, 1, 2, 4, 6, 9, 12, 15, 18):
        quick, kind_of = decimal_quick(scale), decimal_lossy(scale)
        values = list(edges)
        for _ in range(20_000):
            r = rnd.random()
            if r < 0.4:
                values.append(round(rnd.uniform(-1e3, 1e3), rnd.randrange(0, 8)))
            elif r < 0.6:
                values.append(rnd.uniform(-1e6, 1e6))
            elif r < 0.75:
                values.append(float(rnd.randrange(-(2**53), 2**53)) / 10 ** rnd.randrange(0, 19))
            elif r < 0.85:
                values.append(rnd.randrange(-(10**17), 10**17))
            else:
                values.append(round(rnd.uniform(-180, 180), scale))
        for v in values:
            assert (quick([v]) == 1) == _two_tests(scale, v), (scale, v)
            if quick([v]) == 1:
                assert kind_of(v) is None, (scale, v)
        vouched = [v for v in values if quick([v]) == 1]
        assert quick(vouched) == len(vouched) and quick([*vouched, math.nan, 1.0]) == len(vouched)


#: lat values in runs: float_decimal (3), decimal_truncated (2), the converter's (1e20), float_decimal (2), clean, truncated
RUNS: list[Any] = [-84.6813, 42.1692, -8.322, 4.12345, 0.00015, 1e20, -84.6813, -8.322, 1.5, -1e-9]


@pytest.mark.parametrize("keep", [2, 4, 1000])
def test_a_few_records_lossy_runs_are_warned_a_run_at_once_as_the_engine_warns_them(monkeypatch, keep):
    """A run of one column's lazy warnings of one kind is added in one call (a run ends at a
    value the converter takes or at another kind), the report the engine's, KEEP crossed
    inside a run or not."""
    monkeypatch.setattr(mapper.report, "KEEP", keep)
    m = mapper.compile_sink(SINK)
    recs = [{"id": f"r{i}", "d": {"lat": v, "n": i % 10}} for i, v in enumerate(RUNS)]
    lines = [orjson.dumps(r) for r in recs]
    calls: list[Any] = []
    real_one, real_at = mapper.report.ReportBuilder.warning_lazy, mapper.report.ReportBuilder.warnings_lazy_at
    monkeypatch.setattr(mapper.report.ReportBuilder, "warning_lazy", lambda rb, r, *a: (calls.append((a[3], r)), real_one(rb, r, *a))[1])
    monkeypatch.setattr(mapper.report.ReportBuilder, "warnings_lazy_at", lambda rb, rs, *a: (calls.append((a[3], rs)), real_at(rb, rs, *a))[1])
    seen = _converted(monkeypatch)
    for few, given, data in ((check.validate_lines, lines, b"\n".join(lines)), (check.validate_dicts, recs, recs)):
        want = _everything(_engine(m, data))
        calls.clear()
        seen.clear()
        assert _everything(few(m.compiled, given, MapOptions())) == want
        assert calls == [("float_decimal", [0, 1, 2]), ("decimal_truncated", [3, 4]), ("float_decimal", [6, 7]), ("decimal_truncated", 9)]
        assert seen == [1e20]
