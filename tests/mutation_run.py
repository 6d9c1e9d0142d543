"""Mutation testing of mapper's semantic modules with cosmic-ray (``pip install -e '.[mutation]'``).

    python tests/mutation_run.py list                          # the parts, their modules and test commands
    python tests/mutation_run.py run types                     # every mutant of one part (hours: see below)
    python tests/mutation_run.py run golayout --sample 200     # a fixed random sample of one part
    python tests/mutation_run.py ci                            # the CI sample: must kill >= 90% (exit 1 otherwise)

A part is a set of modules and the tests that guard them (``PARTS``). The runner copies
the repository to a temporary directory (cosmic-ray rewrites the module under test in
place, so the working tree is never touched), enumerates the mutants with cosmic-ray's
operators minus ``EXCLUDED_OPERATORS`` (replacements into bitwise, shift and power
operators, and comparisons turned into identity tests: mostly crashes or duplicates of
the kept ones), drops the equivalent mutants (those inside annotations, which
``from __future__ import annotations`` leaves unevaluated, and those listed in
``tests/mutation-equivalents.json``, each with the reason), draws the sample (the mutants whose keys, what each changes rather than where, hash lowest
under the seed: an edit elsewhere in a module leaves the sample as it was), and
runs ``cosmic-ray exec`` in ``--jobs`` shards, each on its own copy. A mutant is killed
when its test command fails or times out; a mutant that does not compile is
incompetent and not counted. The score is killed / (killed + survived).

Survivors are printed with their diff; ``--keep DIR`` keeps the session databases
(``cr-report DIR/<part>-0.sqlite`` reads them).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "tests" / "mutation-equivalents.json"

PY = "python -B -m pytest -x -q -p no:cacheprovider -p no:randomly --benchmark-disable --no-header -o addopts="

#: part -> (module globs, test files run against each of its mutants, fastest and most
#: pointed first: ``-x`` stops at the first failure)
PARTS: dict[str, tuple[list[str], list[str]]] = {
    "types": (
        ["mapper/types/*.py"],
        [
            "tests/test_survivors.py",
            "tests/test_types.py",
            "tests/test_vectors.py",
            "tests/test_oracle.py",
            "tests/test_mapping_cases.py",
            "tests/test_regressions.py",
        ],
    ),
    "sink": (
        ["mapper/sink.py", "mapper/checks.py", "mapper/model.py"],
        ["tests/test_survivors.py", "tests/test_units.py", "tests/test_definitions.py", "tests/test_table.py", "tests/test_documents.py"],
    ),
    "engine": (
        ["mapper/engine/*.py", "mapper/compiler.py"],
        [
            "tests/test_survivors.py",
            "tests/test_engine_internals.py",
            "tests/test_engine_edges.py",
            "tests/test_mapping_cases.py",
            "tests/test_parallel.py",
            "tests/test_regressions.py",
            "tests/test_units.py",
            "tests/test_oracle.py",
            "tests/test_objects.py",
            "tests/test_properties.py",
            "tests/test_literals.py",
            "tests/test_hostile.py",
            "tests/test_dict_exactness.py",  # (engine/pyjson.py: a mapping's JSON text, the batcher's and check's)
            "tests/test_batcher.py",
        ],
    ),
    "golayout": (["mapper/golayout.py"], ["tests/test_golayout.py", "tests/test_survivors.py", "tests/test_oracle.py"]),
    "producer": (
        ["mapper/batcher.py", "mapper/endpoint.py"],
        [
            "tests/test_producer_units.py",
            "tests/test_batcher.py",
            "tests/test_body_keys.py",
            "tests/test_entry_points.py",
            "tests/test_send_edges.py",
            "tests/test_send_faults.py",
        ],
    ),
    "paths": (["mapper/paths.py"], ["tests/test_survivors.py", "tests/test_units.py", "tests/test_definitions.py", "tests/test_properties.py"]),
}

#: Operators left out (regular expressions on cosmic-ray's operator names).
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_\w+_(BitAnd|BitOr|BitXor|LShift|RShift|Pow)$",
    r"core/ReplaceComparisonOperator_(Eq|NotEq|Lt|LtE|Gt|GtE|In|NotIn)_(Is|IsNot)$",
    r"core/ReplaceComparisonOperator_(Lt_Gt|Gt_Lt|LtE_GtE|GtE_LtE)$",  # dominated by the boundary flips kept
    r"core/VariableReplacer",
    r"core/VariableInserter",
    r"core/RemoveDecorator",
]

#: The CI sample: this many mutants per part, this seed, this floor, seconds per mutant.
CI_SAMPLE, CI_SEED, CI_FLOOR, CI_TIMEOUT = 4, 12, 0.90, 60.0
#: The parts the CI sample draws from: the modules that hold the conversion and
#: definition rules. The engine's mutants mostly change speed only, and the tests that
#: see its behaviour (fast vs careful properties) are too slow for a CI sample: its score
#: is measured with `run engine` (docs/testing.md). `paths` (the path parser) too: its mutants meet
#: test_definitions whole (~25 s CPU each, one a 60 s timeout), the largest share of the
#: sample's CPU in a CI run near its 10 minutes; `run paths --sample 20` measures it.
CI_PARTS = ("types", "sink", "golayout")
#: In CI each mutant meets only the first this-many test files of its part (the most
#: pointed, seconds each): a mutant they miss counts as a survivor, so the CI score is
#: at most the full run's, and the sample stays within CI's time.
CI_TEST_FILES = {"engine": 6}  # the engine's behaviour is spread wider: its pointed files include the workers'
CI_TEST_FILES_DEFAULT = 4


def modules_of(part: str, root: Path) -> list[Path]:
    globs = PARTS[part][0]
    out = []
    for g in globs:
        out += sorted(p for p in root.glob(g) if p.name != "__init__.py" or g.endswith("__init__.py"))
    return out


def test_command(part: str, files: int | None = None) -> str:
    """The part's test command: its test files, or the first ``files`` of them (the most pointed)."""
    return f"{sys.executable} {PY.replace('python ', '', 1)} " + " ".join(PARTS[part][1][:files])


def copy_tree(dest: Path) -> None:
    # (.coverage*, .hypothesis, .benchmarks: .ci/run's steps write and remove their files beside this copy: one
    # gone between listing and copying failed the copy, seen in a CI run)
    ignore = shutil.ignore_patterns(
        ".git",
        ".venv",
        "__pycache__",
        "*.egg-info",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "mutants",
        ".coverage*",
        ".hypothesis",
        ".benchmarks",
        ".import_linter_cache",
    )
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


def load_equivalents() -> list[dict[str, str]]:
    if not EQUIVALENTS.exists():
        return []
    return json.loads(EQUIVALENTS.read_text())["equivalent"]


def enumerate_mutants(part: str, root: Path) -> list[dict]:
    """Every mutant of the part in ``root``: dicts with module, operator, occurrence, positions, line text."""
    from cosmic_ray.ast import ast_nodes, get_ast_from_path
    from cosmic_ray.plugins import get_operator, operator_names

    excluded = re.compile("|".join(f"(?:{e})" for e in EXCLUDED_OPERATORS))
    ops = [(name, get_operator(name)()) for name in operator_names() if not excluded.match(name) and not get_operator(name).arguments()]
    mutants = []
    for module in modules_of(part, root):
        tree = get_ast_from_path(module)
        lines = module.read_text().splitlines()
        nodes = list(ast_nodes(tree))
        for name, op in ops:
            occurrence = 0
            for node in nodes:
                for start, end in op.mutation_positions(node):
                    mutants.append(
                        {
                            "module": str(module.relative_to(root)),
                            "operator": name,
                            "occurrence": occurrence,
                            "start": list(start),
                            "end": list(end),
                            "line": lines[start[0] - 1].strip() if 0 < start[0] <= len(lines) else "",
                        }
                    )
                    occurrence += 1
    return mutants


def annotation_spans(module: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's annotations are: every module here has ``from __future__ import annotations``,
    so an annotation is a string nobody evaluates and a mutant inside one is equivalent."""
    import ast

    tree = ast.parse(module.read_text())
    spans = []
    for node in ast.walk(tree):
        found: list[ast.expr | None] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            found += [x.annotation for x in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if x is not None]
            found.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
        for ann in found:
            if ann is not None and ann.end_lineno is not None and ann.end_col_offset is not None:
                spans.append(((ann.lineno, ann.col_offset), (ann.end_lineno, ann.end_col_offset)))
    return spans


def is_equivalent(m: dict, equivalents: list[dict[str, str]], spans: list | None = None) -> str | None:
    start = tuple(m["start"])
    if spans and any(lo <= start < hi for lo, hi in spans):
        return "inside an annotation (never evaluated: from __future__ import annotations)"
    for e in equivalents:
        if fnmatch.fnmatchcase(m["module"], e["module"]) and fnmatch.fnmatchcase(m["operator"], e["operator"]) and m["line"] == e["line"]:
            return e["reason"]
    return None


def choose(mutants: list[dict], sample: int | None, seed: int) -> list[dict]:
    """The mutants to run: all of them, or the ``sample`` whose keys hash lowest under ``seed``.

    A mutant's key is what it changes, not where: its module, operator, line text and
    its rank among the mutants with that same module, operator and line (in position
    order). An edit elsewhere in the module, or a new equivalent, leaves every other
    mutant's key as it was, so the sample changes only where the edit does (a new
    mutant enters it only if its hash is among the lowest).
    """
    ordered = sorted(mutants, key=lambda m: (m["module"], m["start"], m["operator"], m["occurrence"]))
    if sample is None or sample >= len(ordered):
        return ordered
    rank: dict[tuple[str, str, str], int] = {}
    keyed = []
    for m in ordered:
        same = (m["module"], m["operator"], m["line"])
        rank[same] = rank.get(same, -1) + 1
        digest = hashlib.blake2b(f"{seed}\0{same[0]}\0{same[1]}\0{same[2]}\0{rank[same]}".encode(), digest_size=8).digest()
        keyed.append((digest, m))
    chosen = sorted(keyed, key=lambda pair: pair[0])[:sample]
    return sorted((m for _digest, m in chosen), key=lambda m: (m["module"], m["start"], m["operator"], m["occurrence"]))


def write_session(db: Path, mutants: list[dict], root: Path) -> None:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import MutationSpec, WorkItem

    with use_db(str(db), WorkDB.Mode.create) as work_db:
        work_db.clear()
        work_db.add_work_items(
            WorkItem.single(
                job_id=f"{i:06d}",
                mutation=MutationSpec(
                    module_path=str(root / m["module"]),
                    operator_name=m["operator"],
                    operator_args={},
                    occurrence=m["occurrence"],
                    start_pos=tuple(m["start"]),
                    end_pos=tuple(m["end"]),
                    definition_name=None,
                ),
            )
            for i, m in mutants
        )


def read_results(db: Path) -> dict[str, tuple[str, str | None, str]]:
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(db), WorkDB.Mode.open) as work_db:
        return {job: (r.worker_outcome.value, r.test_outcome.value if r.test_outcome else None, r.diff or "") for job, r in work_db.results}


def run_part(
    part: str,
    sample: int | None,
    seed: int,
    jobs: int,
    timeout: float | None,
    keep: Path | None,
    quiet: bool = False,
    baseline: bool = True,
    test_files: int | None = None,
) -> dict:
    """Run one part's mutants (or a sample of them); return the tallies and the survivors."""
    equivalents = load_equivalents()
    work = Path(tempfile.mkdtemp(prefix=f"mapper-mutation-{part}-"))
    try:
        copies = []
        for k in range(max(1, jobs)):
            dest = work / f"tree{k}"
            copy_tree(dest)
            copies.append(dest)
        all_mutants = enumerate_mutants(part, copies[0])
        spans = {str(p.relative_to(copies[0])): annotation_spans(p) for p in modules_of(part, copies[0])}
        kept = [m for m in all_mutants if not is_equivalent(m, equivalents, spans[m["module"]])]
        chosen = choose(kept, sample, seed)
        command = test_command(part, test_files)
        t0 = time.monotonic()
        base_s = 60.0
        if baseline:  # the part's tests must pass unmutated, or every mutant would count as killed
            base = subprocess.run(command.split(), cwd=copies[0], capture_output=True, text=True)
            base_s = time.monotonic() - t0
            if base.returncode != 0:
                raise SystemExit(f"the tests of part {part} fail before any mutation:\n{base.stdout[-3000:]}\n{base.stderr[-2000:]}")
        limit = timeout or max(60.0, 4 * base_s)
        procs = []
        for k, tree in enumerate(copies):
            share = [(i, m) for i, m in enumerate(chosen) if i % len(copies) == k]
            if not share:
                continue
            cfg = work / f"cfg{k}.toml"
            cfg.write_text(
                "[cosmic-ray]\n"
                f"module-path = {json.dumps([str(tree / m) for m in sorted({m['module'] for m in all_mutants})])}\n"
                f"timeout = {limit}\nexcluded-modules = []\n"
                f"test-command = {json.dumps(command)}\n"
                '[cosmic-ray.distributor]\nname = "local"\n'
            )
            db = work / f"{part}-{k}.sqlite"
            write_session(db, [(i, dict(m, module=m["module"])) for i, m in share], tree)
            # (each shard in its own process group: stopped with it, below, when this run stops)
            procs.append((db, subprocess.Popen([sys.executable, "-m", "cosmic_ray.cli", "exec", str(cfg), str(db)], cwd=tree, start_new_session=True)))
        results: dict[str, tuple[str, str | None, str]] = {}
        try:
            for db, proc in procs:
                if proc.wait() != 0:
                    raise SystemExit(f"cosmic-ray exec failed on {db}")
                results.update(read_results(db))
        finally:  # stopped (Ctrl-C, `timeout`'s SIGTERM, a failed shard): a shard's test run went on alone, for good on a mutant that loops
            for _db, proc in procs:
                if proc.poll() is None:
                    _kill_tree(proc.pid)
                    proc.wait()
        killed = survived = incompetent = 0
        survivors = []
        for i, m in enumerate(chosen):
            worker, outcome, diff = results.get(f"{i:06d}", ("missing", None, ""))
            if outcome == "killed":
                killed += 1
            elif outcome == "survived":
                survived += 1
                survivors.append(dict(m, diff=diff))
            else:
                incompetent += 1
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for db, _ in procs:
                shutil.copy(db, keep / db.name)
        tally = {
            "part": part,
            "mutants": len(all_mutants),
            "equivalent": len(all_mutants) - len(kept),
            "run": len(chosen),
            "killed": killed,
            "survived": survived,
            "incompetent": incompetent,
            "score": killed / (killed + survived) if killed + survived else 1.0,
            "seconds": round(time.monotonic() - t0, 1),
            "survivors": survivors,
        }
        if not quiet:
            report(tally)
        return tally
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(t: dict) -> None:
    print(
        f"{t['part']:<9} {t['killed']:>5} killed {t['survived']:>4} survived {t['incompetent']:>3} incompetent  "
        f"of {t['run']} run ({t['mutants']} mutants, {t['equivalent']} equivalent excluded)  "
        f"score {t['score']:.1%}  {t['seconds']} s",
        flush=True,
    )
    for s in t["survivors"]:
        print(f"  SURVIVED {s['module']}:{s['start'][0]} {s['operator']}: {s['line']}")
        for line in s["diff"].splitlines():
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
                print(f"      {line}")


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and every process below it (cosmic-ray starts each test run in a
    session of its own, so its process group is not enough), found through /proc where
    there is one; the group otherwise."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat") if Path("/proc/self/stat").exists() else []:
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    todo, tree = [pid], []
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    for p in tree:  # (all found first: a child whose parent is gone would be another's)
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if len(tree) == 1:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _stopped(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # (the shards' process groups are stopped on the way out: see run_part)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stopped)  # (`timeout`, CI's own end)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the parts, their modules, mutant counts and test commands")
    run = sub.add_parser("run", help="run the mutants of one or more parts")
    run.add_argument("parts", nargs="+", choices=sorted(PARTS))
    run.add_argument("--sample", type=int, help="run a fixed random sample of this many mutants per part (default: all)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--jobs", type=int, default=2, help="shards run side by side, each on its own copy of the tree (default 2)")
    run.add_argument("--timeout", type=float, help="seconds per mutant (default: 4x the unmutated run, at least 60)")
    run.add_argument("--keep", type=Path, help="keep the cosmic-ray session databases here")
    run.add_argument("--json", type=Path, help="write the tallies (with the survivors) here")
    ci = sub.add_parser("ci", help=f"the CI sample: {CI_SAMPLE} mutants per part, seed {CI_SEED}; exit 1 below {CI_FLOOR * 100:.0f}%% killed")
    ci.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)

    if args.cmd == "list":
        equivalents = load_equivalents()
        for part in PARTS:
            ms = enumerate_mutants(part, ROOT)
            spans = {str(p.relative_to(ROOT)): annotation_spans(p) for p in modules_of(part, ROOT)}
            eq = sum(1 for m in ms if is_equivalent(m, equivalents, spans[m["module"]]))
            mods = ", ".join(str(p.relative_to(ROOT)) for p in modules_of(part, ROOT))
            print(f"{part}: {len(ms)} mutants ({eq} equivalent) in {mods}\n    {test_command(part)}")
        return 0
    if args.cmd == "run":
        tallies = [run_part(p, args.sample, args.seed, args.jobs, args.timeout, args.keep) for p in args.parts]
        if args.json:
            args.json.write_text(json.dumps(tallies, indent=1))
        return 0
    # .ci/run runs the whole suite after this sample (the tests of each part pass there, so no baseline runs here), with a fixed timeout
    tallies = [
        run_part(p, CI_SAMPLE, CI_SEED, args.jobs, CI_TIMEOUT, None, baseline=False, test_files=CI_TEST_FILES.get(p, CI_TEST_FILES_DEFAULT)) for p in CI_PARTS
    ]
    return ci_verdict(tallies)


def ci_verdict(tallies: list[dict]) -> int:
    """The CI sample's exit status: 0 when at least :data:`CI_FLOOR` of the mutants decided (killed or
    survived) were killed, and at least half the sample was decided; 1 otherwise. A sample whose
    mutants all failed to run (incompetent: a broken copy of the tree, a test command that cannot
    start) decides nothing, and passed as 100% before."""
    killed = sum(t["killed"] for t in tallies)
    survived = sum(t["survived"] for t in tallies)
    run = sum(t["run"] for t in tallies)
    score = killed / (killed + survived) if killed + survived else 0.0
    print(f"mutation sample: {killed} of {killed + survived} killed ({score:.1%}); the floor is {CI_FLOOR:.0%}")
    if 2 * (killed + survived) < run:
        print(f"mutation sample: only {killed + survived} of {run} mutants decided (the others could not be run): failing")
        return 1
    return 0 if score >= CI_FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
