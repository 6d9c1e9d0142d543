"""A UI mapping whose columns share a path (a Data Sources page's definition of thousands of
columns read from one field) is checked in time linear in its columns: each same-path warning
searched the list of mapping entries for its own (5,000 such columns took seconds). Counted, not
timed: how many times the entries' keys are read."""

from __future__ import annotations

from typing import Any

import pytest

import mapper
from mapper import table


def _ui(n: int) -> dict[str, Any]:
    cols = ", ".join(f"c{i} INT" for i in range(n))
    mapping: dict[str, Any] = {"_id": "id"}
    for i in range(n):  # (every other one as an object, whose warning points into it: /mapping/cI/path)
        mapping[f"c{i}"] = {"path": "a.b"} if i % 2 else "a.b"
    return {"name": "s", "allow_missing_fields": True, "table": f"CREATE TABLE t (_id ID, {cols})", "mapping": mapping}


def test_colliding_paths_are_placed_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = [0]

    class Counted(table._Mapped):  # type: ignore[misc]
        def __getattribute__(self, name: str) -> Any:
            if name == "key":
                reads[0] += 1
            return super().__getattribute__(name)

    monkeypatch.setattr(table, "_Mapped", Counted)
    n = 600
    result = mapper.check_sink(_ui(n))
    same = [(p.pointer, p.code) for p in result.warnings if p.code == "same-path"]
    assert len(same) == n - 1
    assert same[:2] == [("/mapping/c1/path", "same-path"), ("/mapping/c2", "same-path")]
    assert reads[0] < 10 * n, reads[0]  # (a search per warning: about n * n / 2)
