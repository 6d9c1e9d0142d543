"""The fixed costs of validating a few NDJSON lines: the quick forms' columns extracted
alone (``CompiledSink.extract_exact_of``), and the first line decoded once (``few_lines``
hands its record to ``map_few``). Same reports as before, less work.
"""

from __future__ import annotations

from collections import OrderedDict

import orjson
import pytest
from sinks import column, id_schema

import mapper
from mapper.engine import check, fast
from mapper.engine.runner import run
from mapper.options import MapOptions
from mapper.types import type_set

SINK = id_schema(
    column("s", "string", path=["a", "s"]),
    column("n", "int", path=["a", "n"], Min=-5, Max=5),
    column("d2", "decimal", path=["a", "b", "d2"], Scale=2),
    column("t", "string"),
    allow_missing=False,
)

RECS = [{"id": i, "a": {"s": f"s{i}", "n": i % 5, "b": {"d2": i / 4}}, "t": "x"} for i in range(10)]
LINES = [orjson.dumps(r) for r in RECS]


def test_the_judged_columns_are_extracted_alone_as_the_tier_extracts_them():
    m = mapper.compile_sink(SINK)
    c = m.compiled
    ct = c.tiers[0]
    recs = [ct.lines_decoder.decode(line) for line in LINES]
    full = ct.extract(recs)
    names = [col.name for col in c.columns]
    wanted = (names.index("n"), names.index("d2"))
    some = c.extract_exact_of(wanted)
    assert some is not None
    got = some(recs)
    assert len(got) == len(full)
    for ci, lst in enumerate(got):
        assert lst == (full[ci] if ci in wanted else None), names[ci]
    assert c.extract_exact_of(wanted) is some  # made once


def test_map_few_extracts_only_what_the_quick_forms_judge():
    m = mapper.compile_sink(SINK)
    report = m.validate(b"\n".join(LINES))
    assert report.accepted and report.records == 10 and not report.errors
    plan = fast.plan_for(m.compiled)
    assert plan.quick_extract is None and callable(plan.quick_vouch)  # (all vouched for in place: no lists made)
    bad = [*LINES[:3], orjson.dumps({**RECS[3], "a": {"s": "x", "n": 9, "b": {"d2": 1}}})]
    assert m.validate(b"\n".join(bad)).failed_records == 1
    assert plan.quick_extract is not None and plan.quick_extract is not m.compiled.tiers[0].extract
    judged = {ci for ci, _identity in plan.quick_judged}
    assert judged  # (the int and the decimal: quick forms that may refuse)
    ct = m.compiled.tiers[0]
    lists = plan.quick_extract([ct.lines_decoder.decode(line) for line in LINES])
    assert {ci for ci, lst in enumerate(lists) if lst is not None} == judged


def test_values_the_quick_forms_refuse_are_still_reported():
    m = mapper.compile_sink(SINK)
    bad = [dict(r) for r in RECS]
    bad[3] = {**RECS[3], "a": {"s": "x", "n": 9, "b": {"d2": 0.125}}}
    report = m.validate(b"\n".join(orjson.dumps(r) for r in bad))
    assert report.failed_records == 1
    assert [(e.record, e.column) for e in report.errors] == [(3, "n")]
    assert [(w.record, w.column, w.kind) for w in report.warnings] == [(3, "d2", "decimal_truncated")]


def test_few_lines_hands_on_the_first_record_it_decoded():
    m = mapper.compile_sink(SINK)
    options = MapOptions()
    decoded: list = []
    lines = check.few_lines(m.compiled, b"\n".join(LINES) + b"\n", options, decoded)
    assert lines == LINES
    assert len(decoded) == 1 and decoded[0] == m.compiled.tiers[0].lines_decoder.decode(LINES[0])
    # the record handed on is the one used: a different first record changes the report
    other = m.compiled.tiers[0].lines_decoder.decode(orjson.dumps({**RECS[0], "a": {"s": "x", "n": 7, "b": {"d2": 1}}}))
    report = check.validate_lines(m.compiled, lines, options, other)
    assert [(e.record, e.column) for e in report.errors] == [(0, "n")]
    assert check.validate_lines(m.compiled, lines, options, decoded[0]) == check.validate_lines(m.compiled, lines, options)
    assert run(m.compiled, b"\n".join(LINES), options, output=False) == check.validate_lines(m.compiled, lines, options)


class _Str(str):
    pass


@pytest.mark.parametrize(
    "values",
    [
        [],
        [1, 2, 3],
        [1, True, 2],
        [True, 1],
        [1.0, 1],
        ["a", _Str("b")],
        [_Str("a"), "b"],
        [None, None],
        [{}, {"a": 1}],
        [{}, OrderedDict()],
        [[1], (1,)],
        [1, "1", 1.0, None, b"1"],
    ],
)
def test_type_set_is_the_set_of_the_types(values):
    assert type_set(values) == set(map(type, values))


def test_a_list_of_dicts_with_a_subclass_among_them_is_mapped_carefully_there():
    m = mapper.compile_sink(SINK)
    recs = [dict(r) for r in RECS] * 30  # (300 dicts: the engine's way, not the few records')
    recs[7] = OrderedDict(recs[7])
    recs[9] = {**RECS[9], "a": {**RECS[9]["a"], "s": _Str("s9")}}
    assert m.map(recs).to_rows() == m.map(b"\n".join(orjson.dumps(r) for r in recs)).to_rows()


def test_a_call_giving_no_option_takes_the_defaults_options_without_a_key_and_look_alikes_are_still_checked():
    from mapper import api
    from mapper.errors import OptionError

    m = mapper.compile_sink(SINK)
    m.validate(LINES[0])
    found = api._OPTIONS[api._DEFAULT_ARGS]  # (found by the defaults' own objects)
    names = ("on_error", "max_errors", "strict", "input_format", "workers", "fast", "max_record_size", "records_path", "ignore_warnings")
    assert found == MapOptions() and api._options(**dict(zip(names, api._DEFAULT_ARGS))) is found
    # equal to a default but not it (0 == False, True == 1): checked as before, and refused
    for options in ({"strict": 0}, {"strict": 1}, {"workers": True}, {"fast": 1}):
        with pytest.raises(OptionError):
            m.validate(LINES[0], **options)
    assert m.validate(LINES[0], max_record_size=api.MAX_RECORD_SIZE + 0).records == 1
