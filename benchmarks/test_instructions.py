"""benchmarks/instructions.py: its profiles are read right, its comparison adds up, and (with
valgrind) a tree counted against itself gives the same instructions per record."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks import instructions
from benchmarks.gen import SINK, generate


def test_dump_totals_reads_the_totals_line(tmp_path: Path):
    p = tmp_path / "cg.out.1"
    p.write_bytes(b"# callgrind format\nversion: 1\nevents: Ir\nsummary: 123456\ntotals: 123456\n")
    assert instructions.dump_totals(p) == 123456
    bad = tmp_path / "other"
    bad.write_bytes(b"not a profile\n")
    with pytest.raises(ValueError, match="no totals line"):
        instructions.dump_totals(bad)


def test_compare_per_record_ratios_and_missing_workloads():
    base = {"map_bytes": {"instructions": 2_000_000, "error": None}, "check_dict": {"instructions": 0, "error": "AttributeError: no check"}}
    new = {"map_bytes": {"instructions": 2_200_000, "error": None}, "check_dict": {"instructions": 500_000, "error": None}}
    rows = instructions.compare(base, new, {"map_bytes": 1000, "check_dict": 10})
    assert rows[0] == {"workload": "map_bytes", "per": 1000, "base": 2000.0, "this": 2200.0, "ratio": pytest.approx(1.1)}
    assert rows[1]["base"] is None and rows[1]["this"] == 50_000 and rows[1]["ratio"] is None
    text = instructions.format_rows(rows, "HEAD~1")
    assert "1.100" in text and "n/a" in text and "(base: AttributeError: no check)" in text


def test_unknown_workload_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        instructions.main(["--workloads", "map_bytes,nope"])
    assert exc.value.code == 2
    assert "unknown workload(s) nope" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
def test_a_tree_against_itself_counts_the_same(tmp_path: Path):
    # the working tree's package copied twice, under paths of one length, as main() does: the
    # same code, the same seed and records, so exactly the same instructions per record
    sink, data = tmp_path / "sink.json", tmp_path / "records.ndjson"
    sink.write_text(json.dumps(SINK))
    data.write_bytes(generate(200, "clean"))
    trees = [tmp_path / "base", tmp_path / "this"]
    for tree in trees:
        shutil.copytree(instructions.REPO / "mapper", tree / "mapper", ignore=shutil.ignore_patterns("__pycache__"))
    names = ["map_bytes", "batcher"]
    # (the two trees counted at once, each a process under valgrind, ~19 s of one core: .ci/run's
    # benchmark step waited for them one after the other while the mutation sample's core was idle)
    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(lambda tree: instructions.count(tree, sink, data, names, calls=10), trees)
    rows = instructions.compare(a, b, {n: 200 for n in names})
    for row in rows:
        assert row["base"] > 5000, row  # (a seed record takes ~20,000 instructions to map)
        assert row["ratio"] == pytest.approx(1.0, abs=0.002), row


def test_counts_say_where_mapper_was_imported_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # a tree without the package: the child imports the installed one, and the count says so
    # rather than comparing the installed code with itself (asked before valgrind starts, so
    # this needs no valgrind: a path to no valgrind shows it never started)
    sink, data = tmp_path / "sink.json", tmp_path / "records.ndjson"
    sink.write_text(json.dumps(SINK))
    data.write_bytes(generate(5, "clean"))
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="imported mapper from"):
        instructions.count(tmp_path / "empty", sink, data, ["map_bytes"], calls=1)
    py = tmp_path / "py"  # a python without the package
    py.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'mapper'\" >&2\nexit 1\n")
    py.chmod(0o755)
    with pytest.raises(RuntimeError, match="cannot import mapper from .*: ModuleNotFoundError: No module named 'mapper'"):
        instructions.count(tmp_path / "empty", sink, data, ["map_bytes"], calls=1, python=str(py))
