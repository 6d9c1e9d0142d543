"""``mapper infer``'s notes of what validate would say of its draft (session 57): the draft's
validation walks the report's warnings once for every note it draws from them."""

from __future__ import annotations

from typing import Any

import pytest

import mapper
import mapper.api

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
