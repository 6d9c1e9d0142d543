"""Which test files (and which costly tests in them) coverage must trace: the lists
``TRACED`` and ``UNTRACED_TESTS`` of tests/conftest.py, computed from a run that traced
every test with a coverage context per test.

Tracing a test costs about twice its time (branch coverage's tracer on Python 3.11), and
most test files reach only lines of the floor's modules (pyproject.toml's report
``include``) that other files reach too: traced, they bought no coverage. This finds the
files that reach something no other traced file reaches, dropping the costliest
first, then the costly test functions (``--min-seconds`` and over) of the files kept that
reach nothing of their own either.

    MAPPER_TRACE_ALL=1 python -m pytest -q -n 3 --dist loadfile --no-loadscope-reorder \\
        --cov=mapper --cov-context=test --cov-report= --junitxml=times.xml tests benchmarks
    python tests/traced_files.py .coverage times.xml

It prints both lists to paste into tests/conftest.py, and what they cost. (The data file
is the combined one the run leaves; the files of ``NOT_TRACED`` stay untraced whatever
they reach: a decision taken by hand, see there.)
"""

from __future__ import annotations

import argparse
import collections
import fnmatch
import re
import sqlite3
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

Unit = tuple[str, str]  # (test file, test function: "Class::name" or "name"), or ("", "") for what no test ran


def floor_globs() -> list[str]:
    import tomllib  # (Python 3.11 and later: the tool's own, not the tests')

    with open(ROOT / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f)["tool"]["coverage"]["report"]["include"])


def unit_of(context: str, decided: frozenset[str]) -> Unit | None:
    """The test function a coverage context names; ``("", "")`` for what stays traced whatever is decided
    here (code run outside any test, a fixture's setup or teardown); None for a test that runs untraced
    whatever is decided (of a NOT_TRACED file, a benchmark): what it reached counts for nothing."""
    node, _, phase = context.partition("|")
    path, sep, rest = node.partition("::")
    if not sep or phase != "run":
        return ("", "")
    if Path(path).name in decided or not path.startswith("tests/"):
        return None
    return (path, re.sub(r"\[.*$", "", rest))


def reached(data: Path, decided: frozenset[str]) -> dict[tuple[str, int, int], set[Unit]]:
    """Each arc of the floor's modules -> the units that took it."""
    globs = floor_globs()
    db = sqlite3.connect(f"file:{data}?mode=ro", uri=True)
    files = {}
    for fid, path in db.execute("select id, path from file"):
        rel = Path(path).resolve().relative_to(ROOT).as_posix() if Path(path).is_absolute() else path
        if any(fnmatch.fnmatch(rel, g) for g in globs):
            files[fid] = rel
    contexts = {cid: unit_of(c, decided) for cid, c in db.execute("select id, context from context")}
    arcs: dict[tuple[str, int, int], set[Unit]] = collections.defaultdict(set)
    for fid, cid, a, b in db.execute("select file_id, context_id, fromno, tono from arc"):
        if fid in files and (unit := contexts[cid]) is not None:
            arcs[(files[fid], a, b)].add(unit)
    return arcs


def times(junit: Path) -> dict[Unit, float]:
    out: collections.Counter[Unit] = collections.Counter()
    for case in ET.parse(junit).iter("testcase"):
        parts = (case.get("classname") or "").split(".")
        if len(parts) < 2:
            continue
        path = "/".join(parts[:2]) + ".py"
        out[(path, "::".join([*parts[2:], re.sub(r"\[.*$", "", case.get("name") or "")]))] += float(case.get("time") or 0)
    return out


def decide(arcs: dict[tuple[str, int, int], set[Unit]], cost: dict[Unit, float], min_seconds: float) -> tuple[list[str], list[Unit]]:
    """(the files to trace, the test functions in them not to trace): every arc some unit reaches is still
    reached by one left traced."""
    by_unit: dict[Unit, set[tuple[str, int, int]]] = collections.defaultdict(set)
    for arc, units in arcs.items():
        for u in units:
            by_unit[u].add(arc)
    dropped: set[Unit] = set()

    def owns_nothing(units: list[Unit]) -> bool:
        gone = dropped | set(units)
        return all(arcs[arc] - gone for u in units for arc in by_unit[u])

    file_cost: collections.Counter[str] = collections.Counter()
    for (path, _), s in cost.items():
        file_cost[path] += s
    test_files = sorted({u[0] for u in by_unit if u[0]}, key=lambda p: (-file_cost[p], p))
    kept = []
    for path in test_files:
        units = [u for u in by_unit if u[0] == path]
        if owns_nothing(units):
            dropped.update(units)
        else:
            kept.append(path)
    untraced_tests = []
    for u in sorted((u for u in by_unit if u[0] in kept), key=lambda u: (-cost.get(u, 0.0), u)):
        if cost.get(u, 0.0) < min_seconds:
            break
        if owns_nothing([u]):
            dropped.add(u)
            untraced_tests.append(u)
    return sorted(kept), untraced_tests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="the combined coverage data file of a --cov-context=test run")
    parser.add_argument("junit", type=Path, help="that run's --junitxml file (each test's time)")
    parser.add_argument("--min-seconds", type=float, default=1.0, help="the least time of a test function worth listing (default 1.0)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import NOT_TRACED  # (tests/conftest.py: the files left untraced by hand)

    arcs = reached(args.data, NOT_TRACED)
    if not any(u[0] for units in arcs.values() for u in units):
        print(f"{args.data}: no test contexts (run with --cov-context=test and MAPPER_TRACE_ALL=1)", file=sys.stderr)
        return 1
    cost = times(args.junit)
    kept, untraced_tests = decide(arcs, cost, args.min_seconds)
    all_files = {p for p, _ in cost if p.startswith("tests/") and Path(p).name not in NOT_TRACED}
    print("TRACED = frozenset(\n    {")
    for path in kept:
        print(f'        "{Path(path).name}",')
    print("    }\n)")
    print("UNTRACED_TESTS = frozenset(\n    {")
    for path, name in untraced_tests:
        print(f'        "{Path(path).name}::{name}",  # ({cost[(path, name)]:.1f} s traced)')
    print("    }\n)")
    traced_s = sum(s for (p, n), s in cost.items() if p in kept and (p, n) not in set(untraced_tests))
    print(
        f"# {len(kept)} of {len(all_files)} files traced; their tests took {traced_s:.0f} s of the "
        f"{sum(s for (p, _), s in cost.items() if p in all_files):.0f} s the same files took traced",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
