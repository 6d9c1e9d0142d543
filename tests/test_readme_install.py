"""The README's install-and-test command, read as a new user runs it on a fresh install."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")


def _floor(requirement: str) -> tuple[int, ...]:
    found = re.search(r">=\s*([0-9][0-9.]*)", requirement)
    assert found, requirement
    return tuple(int(p) for p in found.group(1).split("."))


def test_the_test_extra_installs_an_xdist_that_takes_the_readmes_options() -> None:
    """README (and .ci/run) run ``pytest -n 3 --dist loadfile --no-loadscope-reorder``; that option
    came with pytest-xdist 3.8.0, and the test extra asked for ``>=3.5``: an install that kept an
    older xdist failed the command with "unrecognized arguments"."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "--no-loadscope-reorder" in readme and "--no-loadscope-reorder" in ci
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (xdist,) = [r for r in extras["test"] if r.startswith("pytest-xdist")]
    assert _floor(xdist) >= (3, 8)


def test_the_core_floors_are_versions_the_suite_passes_on() -> None:
    """Run on Python 3.10 with each core dependency at its floor (2026-12-05), numpy 1.24.4 stored an
    int id of 9007199254740993 as written where Go's float64 reading gives 9007199254740992
    (tests/test_vectors.py::test_int_exact_tier; 1.25.2 passes), and msgspec 0.18.4 to 0.22.0 lost
    a records path through a key of invalid UTF-8 (tests/test_reader_small.py; 0.23.0 passes):
    an install keeping those older releases mapped otherwise than the endpoint."""
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    floors = {re.split(r"[<>=!~ ]", r, maxsplit=1)[0]: _floor(r) for r in core}
    assert floors["numpy"] >= (1, 25)
    assert floors["msgspec"] >= (0, 23)


def test_the_readmes_test_command_is_the_one_ci_runs() -> None:
    """The README says its test command is what `.ci/run` runs: the pytest part of both, word for word
    (the benchmark suite moved into it, 2026-12-06; a command changed in one place only would drift)."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    (said,) = re.findall(r"&& \.venv/bin/python -m pytest (-q -n [^\n`]*)", readme)
    (run,) = re.findall(r"^step \.venv/bin/python -m pytest (-q -n [^\n]*)$", ci, re.M)
    assert said.strip() == run.strip()
    assert said.split()[-2:] == ["tests", "benchmarks"]
