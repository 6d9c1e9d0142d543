"""The property tests leave how examples are drawn to the profiles of tests/conftest.py.

A test's own ``@settings(...)`` wins over the profile loaded: ``derandomize=True`` or
``database=None`` written on a test kept ``pytest --hypothesis-profile=explore`` from
drawing new examples for it (test_difffuzz's four tests ran their fixed examples under
explore too) or from keeping the failures it found. The "repeatable" profile already
gives every test the fixed seed and no database.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

#: the settings that say how examples are drawn and kept, and that no test is timed (speed is
#: measured in benchmarks/: a deadline failed loaded runs as flaky): the profiles' to set
PROFILE_ONLY = ("derandomize", "database", "seed", "deadline")


def _settings_calls(tree: ast.AST) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "settings":
                calls.append(node)
    return calls


def test_no_test_sets_how_examples_are_drawn() -> None:
    found = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name == "conftest.py":  # (where the profiles are made)
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for call in _settings_calls(tree):
            found += [f"{path.name}:{call.lineno} {kw.arg}=" for kw in call.keywords if kw.arg in PROFILE_ONLY]
    assert found == []


def test_the_check_sees_a_setting_written_on_a_test() -> None:
    tree = ast.parse("@settings(max_examples=5, derandomize=True)\ndef t(): ...\nS = hypothesis.settings(database=None)\n")
    assert [[kw.arg for kw in c.keywords] for c in _settings_calls(tree)] == [["max_examples", "derandomize"], ["database"]]
