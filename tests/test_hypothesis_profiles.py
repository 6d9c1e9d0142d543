"""The property tests leave how examples are drawn to the profiles of tests/conftest.py.

A test's own ``@settings(...)`` wins over the profile loaded: ``derandomize=True`` or
``database=None`` written on a test kept ``pytest --hypothesis-profile=explore`` from
drawing new examples for it (test_difffuzz's four tests ran their fixed examples under
explore too) or from keeping the failures it found. The "repeatable" profile already
gives every test the fixed seed and no database.
"""

from __future__ import annotations

import ast
import re
import unicodedata
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


def _profile_settings(text: str, filename: str = "<text>") -> list[str]:
    """``LINE ARG=`` of each profile's setting a ``settings(...)`` call in ``text`` gives."""
    words = unicodedata.normalize("NFKC", text) if not text.isascii() else text  # (as Python reads names)
    if "settings" not in words or not _PROFILE_WORD.search(words):
        return []  # (no such call in it: only these files are parsed, 13 of 239, 2026-12-06; all took 3.5 s)
    return [f"{call.lineno} {kw.arg}=" for call in _settings_calls(ast.parse(text, filename=filename)) for kw in call.keywords if kw.arg in PROFILE_ONLY]


_PROFILE_WORD = re.compile(r"\b(?:" + "|".join(PROFILE_ONLY) + r")\b")


def test_no_test_sets_how_examples_are_drawn() -> None:
    found = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name == "conftest.py":  # (where the profiles are made)
            continue
        found += [f"{path.name}:{at}" for at in _profile_settings(path.read_text(encoding="utf-8"), str(path))]
    assert found == []


def test_the_check_sees_a_setting_written_on_a_test() -> None:
    tree = ast.parse("@settings(max_examples=5, derandomize=True)\ndef t(): ...\nS = hypothesis.settings(database=None)\n")
    assert [[kw.arg for kw in c.keywords] for c in _settings_calls(tree)] == [["max_examples", "derandomize"], ["database"]]
    # the files parsed are the ones that may hold such a call: a name split over lines, or written in
    # compatibility characters Python reads as the name, is seen; a settings call without one is none
    assert _profile_settings("@hypothesis.settings(\n    max_examples=5,\n    deadline # (none)\n    = None)\ndef t(): ...\n") == ["1 deadline="]
    assert _profile_settings("@settings(ｄｅｒａｎｄｏｍｉｚｅ=True)\ndef t(): ...\n") == ["1 derandomize="]
    assert _profile_settings("@settings(max_examples=5)\ndef t(seed=1, database=None): ...\n") == []
