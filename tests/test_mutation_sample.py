"""The mutation sample (tests/mutation_run.py ``choose``) is keyed by what a mutant changes, not where.

CI runs a fixed sample of mutants; when the sample was drawn by position, any edit to a
module shifted every later mutant and drew a different sample. These tests hold the
sample to its promise: an edit elsewhere leaves it alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutation_run import choose  # noqa: E402


def mutants(lines: list[str], module: str = "mapper/m.py") -> list[dict]:
    """Two operators on every line, as cosmic-ray would list them (occurrences count per operator)."""
    out = []
    for op in ("core/NumberReplacer", "core/ReplaceComparisonOperator_Eq_NotEq"):
        for n, text in enumerate(lines, start=1):
            out.append({"module": module, "operator": op, "occurrence": n - 1, "start": [n, 4], "end": [n, 9], "line": text})
    return out


def keys(chosen: list[dict]) -> list[tuple[str, str, str]]:
    return [(m["module"], m["operator"], m["line"]) for m in chosen]


LINES = [f"x{i} = f({i}) == {i}" for i in range(400)]


def test_same_input_same_sample_and_seed_matters() -> None:
    a = choose(mutants(LINES), 6, seed=12)
    assert len(a) == 6
    assert keys(a) == keys(choose(mutants(LINES), 6, seed=12))
    assert keys(a) != keys(choose(mutants(LINES), 6, seed=13))
    # in position order, as the session runs them
    assert [m["start"] for m in a if m["operator"] == a[0]["operator"]] == sorted(m["start"] for m in a if m["operator"] == a[0]["operator"])


def test_an_edit_elsewhere_keeps_the_sample() -> None:
    before = keys(choose(mutants(LINES), 6, seed=12))
    chosen_lines = {line for _m, _op, line in before}
    # insert ten new lines at the top: every mutant moves down (a position-drawn sample reshuffles)
    inserted = [f"y{i} = g({i}) != {i}" for i in range(10)] + LINES
    after = keys(choose(mutants(inserted), 6, seed=12))
    new = [k for k in after if k not in before]
    assert all(line.startswith("y") for _m, _op, line in new)  # only new mutants can come in
    assert len(new) <= 1  # each enters only if it hashes among the lowest: 20 of 820, one at most here
    # delete a line nobody chose: the sample does not move
    spare = next(i for i, line in enumerate(LINES) if line not in chosen_lines)
    assert keys(choose(mutants(LINES[:spare] + LINES[spare + 1 :]), 6, seed=12)) == before


def test_identical_lines_are_told_apart_by_rank() -> None:
    same = ["return a == b"] * 50
    chosen = choose(mutants(same), 10, seed=1)
    assert len({(m["operator"], m["occurrence"]) for m in chosen}) == 10  # ten distinct mutants, not one ten times


def test_no_sample_or_a_big_one_runs_everything() -> None:
    every = mutants(LINES[:5])
    assert len(choose(every, None, 0)) == len(every) == len(choose(every, 99, 0))


def test_the_runner_help_prints() -> None:
    # argparse reads % in help texts as a format: "90% killed" crashed --help
    import subprocess

    for args in (["--help"], ["ci", "--help"]):
        proc = subprocess.run([sys.executable, str(Path(__file__).with_name("mutation_run.py")), *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    assert "exit 1 below 90% killed" in " ".join(
        subprocess.run([sys.executable, str(Path(__file__).with_name("mutation_run.py")), "--help"], capture_output=True, text=True, timeout=60).stdout.split()
    )


def _tally(killed: int, survived: int, incompetent: int) -> dict:
    return {"killed": killed, "survived": survived, "incompetent": incompetent, "run": killed + survived + incompetent}


def test_ci_verdict_needs_the_floor_and_a_decided_sample(capsys) -> None:
    from mutation_run import ci_verdict

    assert ci_verdict([_tally(4, 0, 0), _tally(3, 1, 0), _tally(4, 0, 0)]) == 0  # 11 of 12: above 90%
    assert ci_verdict([_tally(4, 0, 0), _tally(2, 2, 0), _tally(4, 0, 0)]) == 1  # 10 of 12: below
    # every mutant incompetent (nothing decided) passed as 100% before
    assert ci_verdict([_tally(0, 0, 4), _tally(0, 0, 4), _tally(0, 0, 4)]) == 1
    assert "only 0 of 12 mutants decided" in capsys.readouterr().out
    assert ci_verdict([_tally(4, 0, 0), _tally(1, 0, 3), _tally(2, 0, 2)]) == 0  # 7 of 12 decided, all killed
