"""``map -o ROWS --rejects LETTERS`` killed between its two renames (SIGKILL, a crash): the
refused records were renamed into place, the rows not, and nothing said so; the next run removed
the killed run's rows (a stale temporary file) and the pair stayed mixed: this run's refused
records beside the rows of the run before. Now the run marks the pair before its renames
(``.ROWS.<owner>.<token>.mapper-pair``, beside each output), and the next run writing either
output completes the killed run's renames first: the pair is one run's again. The kill is made
where it matters: ``os.replace`` in the run started here kills its process once the refused
records are in place."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sinks import column, id_schema

from mapper import owners, writers
from mapper.cli import main
from tests.test_outputs_owner import needs_flock, no_proc

__all__ = ["no_proc"]  # (the fixture, used here)

ROOT = Path(__file__).resolve().parents[1]

SINK = id_schema(column("n", "int"))

# after the rename whose target ends with sys.argv[1] (LETTERS first, ROWS last), the process is killed
SCRIPT = """
import os, signal, sys
real = os.replace
def replace(src, dst):
    real(src, dst)
    if os.fspath(dst).endswith(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
from mapper.cli import main
sys.exit(main(sys.argv[2:]))
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _run_killed(tmp_path: Path, records: bytes, after: str) -> None:
    (tmp_path / "in.ndjson").write_bytes(records)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    args = [
        "map",
        str(tmp_path / "sink.json"),
        str(tmp_path / "in.ndjson"),
        "-o",
        str(tmp_path / "rows.ndjson"),
        "--rejects",
        str(tmp_path / "rej.ndjson"),
        "--on-error",
        "skip",
        "-q",
    ]
    done = subprocess.run([sys.executable, "-c", SCRIPT, after, *args], env=env, capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


def _ids(path: Path) -> list[int]:
    return [json.loads(line)["_id"] for line in path.read_text().splitlines()]


def _refused(path: Path) -> list[int]:
    return [json.loads(json.loads(line)["raw"])["id"] for line in path.read_text().splitlines()]


@pytest.fixture
def earlier(tmp_path: Path) -> Path:
    """A run's pair in place: rows 1, 2 and the refused record 3."""
    (tmp_path / "sink.json").write_text(json.dumps(SINK))
    (tmp_path / "in.ndjson").write_bytes(b'{"id": 1, "n": 1}\n{"id": 2, "n": 2}\n{"id": 3, "n": "x"}\n')
    code = main(
        [
            "map",
            str(tmp_path / "sink.json"),
            str(tmp_path / "in.ndjson"),
            "-o",
            str(tmp_path / "rows.ndjson"),
            "--rejects",
            str(tmp_path / "rej.ndjson"),
            "--on-error",
            "skip",
            "-q",
        ]
    )
    assert code == 1
    assert (_ids(tmp_path / "rows.ndjson"), _refused(tmp_path / "rej.ndjson")) == ([1, 2], [3])
    return tmp_path


KILLED_RUN = b'{"id": 10, "n": 1}\n{"id": 11, "n": "y"}\n{"id": 12, "n": "z"}\n'


def _markers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".mapper-pair")]


def test_a_kill_between_the_renames_is_marked_and_the_next_run_completes_the_pair(earlier: Path) -> None:
    tmp_path = earlier
    _run_killed(tmp_path, KILLED_RUN, "rej.ndjson")
    # the moment of the kill: this run's refused records beside the rows of the run before, and it says so
    assert (_ids(tmp_path / "rows.ndjson"), _refused(tmp_path / "rej.ndjson")) == ([1, 2], [11, 12])
    assert len(_markers(tmp_path)) == 2  # (one beside each output)
    # the next run writing the rows, a batch it discards (a field missing: it writes nothing): the killed run's pair, whole
    (tmp_path / "strict.json").write_text(json.dumps(dict(SINK, allow_missing_fields=False)))
    (tmp_path / "in.ndjson").write_bytes(b'{"id": 20}\n')
    code = main(["map", str(tmp_path / "strict.json"), str(tmp_path / "in.ndjson"), "-o", str(tmp_path / "rows.ndjson"), "-q"])
    assert code == 1
    assert (_ids(tmp_path / "rows.ndjson"), _refused(tmp_path / "rej.ndjson")) == ([10], [11, 12])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ndjson", "rej.ndjson", "rows.ndjson", "sink.json", "strict.json"]


def test_the_next_run_writing_the_refused_records_alone_completes_the_pair_too(earlier: Path) -> None:
    tmp_path = earlier
    _run_killed(tmp_path, KILLED_RUN, "rej.ndjson")
    writers.clean_stale(str(tmp_path / "rej.ndjson"))  # (what a run writing that name does first)
    assert (_ids(tmp_path / "rows.ndjson"), _refused(tmp_path / "rej.ndjson")) == ([10], [11, 12])
    assert not _markers(tmp_path) and not [p for p in tmp_path.iterdir() if p.name.endswith(".mapper-tmp")]


def test_a_name_written_since_the_kill_is_left_alone(earlier: Path) -> None:
    tmp_path = earlier
    _run_killed(tmp_path, KILLED_RUN, "rej.ndjson")
    (tmp_path / "rows.ndjson").unlink()
    (tmp_path / "rows.ndjson").write_text('{"_id": 99}\n')  # (another program wrote the rows since)
    writers.clean_stale(str(tmp_path / "rows.ndjson"))
    assert _ids(tmp_path / "rows.ndjson") == [99]
    assert not _markers(tmp_path) and not [p for p in tmp_path.iterdir() if p.name.endswith(".mapper-tmp")]


def test_a_run_that_completes_leaves_no_marker(earlier: Path) -> None:
    assert not _markers(earlier)
    assert sorted(p.name for p in earlier.iterdir()) == ["in.ndjson", "rej.ndjson", "rows.ndjson", "sink.json"]


def test_a_marker_that_cannot_be_removed_is_completed_once_not_for_ever(earlier: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a directory made read-only since the kill, as a user who is not root finds it): the stale
    # temporaries beside the pair's outputs are cleaned after completing it, which found the
    # marker still there and completed it again, until a RecursionError ended the run
    tmp_path = earlier
    _run_killed(tmp_path, KILLED_RUN, "rej.ndjson")
    real = writers._remove
    monkeypatch.setattr(writers, "_remove", lambda path: None if path.endswith(".mapper-pair") else real(path))
    writers.clean_stale(str(tmp_path / "rows.ndjson"))
    assert (_ids(tmp_path / "rows.ndjson"), _refused(tmp_path / "rej.ndjson")) == ([10], [11, 12])
    assert len(_markers(tmp_path)) == 2


@pytest.mark.parametrize("how", ["edited", "removed"])
def test_a_pair_one_of_whose_files_is_not_the_one_marked_is_not_completed_by_halves(earlier: Path, how: str) -> None:
    # killed before either rename, and the refused records' temporary file is not the one the marker
    # knew (edited, or removed since: by a temporary-file cleaner, or an older mapper's clean-up,
    # which knows no markers): renaming the rows alone left them beside the refused records of the
    # run before
    tmp_path = earlier
    (tmp_path / "in.ndjson").write_bytes(KILLED_RUN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    before_first = SCRIPT.replace("    real(src, dst)\n    if os.fspath(dst).endswith(sys.argv[1]):", "    if os.fspath(dst).endswith(sys.argv[1]):")
    args = ["map", str(tmp_path / "sink.json"), str(tmp_path / "in.ndjson"), "-o", str(tmp_path / "rows.ndjson"), "--rejects", str(tmp_path / "rej.ndjson")]
    done = subprocess.run([sys.executable, "-c", before_first, "rej.ndjson", *args, "--on-error", "skip", "-q"], env=env, capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    assert len(_markers(tmp_path)) == 2
    said = json.loads((tmp_path / _markers(tmp_path)[0]).read_text())
    (temp,) = [o["temp"] for o in said["outputs"] if o["path"].endswith("rej.ndjson")]
    if how == "removed":
        os.unlink(temp)
    else:
        with open(temp, "ab") as fh:
            fh.write(b"\n")
    writers.clean_stale(str(tmp_path / "rows.ndjson"))
    assert (_ids(tmp_path / "rows.ndjson"), _refused(tmp_path / "rej.ndjson")) == ([1, 2], [3])
    assert not _markers(tmp_path)


@needs_flock
def test_without_proc_a_killed_run_s_pair_is_completed_and_its_temporaries_removed(no_proc: Path, earlier: Path) -> None:
    """Where /proc says nothing (macOS, the BSDs), the markers and temporaries a killed run left
    were named by its pid alone and never judged: the pair stayed mixed for good. Now the owner
    is a token whose lock the run holds; the run is a child forked from this process (which owns
    a lock already: the child must make its own, and its death must let go of no lock of the
    parent's), killed by SIGKILL once the refused records are in place."""
    tmp_path = earlier
    parent = owners.owner()
    assert parent is not None and parent.startswith(owners.LOCKED)
    (tmp_path / "in.ndjson").write_bytes(KILLED_RUN)
    args = ["map", str(tmp_path / "sink.json"), str(tmp_path / "in.ndjson"), "-o", str(tmp_path / "rows.ndjson"), "--rejects", str(tmp_path / "rej.ndjson")]
    pid = os.fork()
    if pid == 0:  # the child: killed after the first rename, or ended by the alarm (never back into pytest)
        try:
            signal.alarm(20)
            real = os.replace

            def replace(src: str, dst: str) -> None:
                real(src, dst)
                if os.fspath(dst).endswith("rej.ndjson"):
                    os.kill(os.getpid(), signal.SIGKILL)

            os.replace = replace  # type: ignore[assignment]
            main([*args, "--on-error", "skip", "-q"])
        finally:
            os._exit(3)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == -signal.SIGKILL
    assert (_ids(tmp_path / "rows.ndjson"), _refused(tmp_path / "rej.ndjson")) == ([1, 2], [11, 12])
    markers = _markers(tmp_path)
    (child,) = {m.split(".")[4] for m in markers}  # .rows.ndjson.flock.<hex>.<token>.mapper-pair
    assert len(markers) == 2 and parent != owners.LOCKED + child
    assert owners.owner_gone(owners.LOCKED + child, parent) is True and owners.owner_gone(parent, parent) is False
    # the next run (this process) writing the rows completes the killed run's pair, and removes what it held
    (tmp_path / "strict.json").write_text(json.dumps(dict(SINK, allow_missing_fields=False)))
    (tmp_path / "in.ndjson").write_bytes(b'{"id": 20}\n')
    assert main(["map", str(tmp_path / "strict.json"), str(tmp_path / "in.ndjson"), "-o", str(tmp_path / "rows.ndjson"), "-q"]) == 1
    assert (_ids(tmp_path / "rows.ndjson"), _refused(tmp_path / "rej.ndjson")) == ([10], [11, 12])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ndjson", "rej.ndjson", "rows.ndjson", "sink.json", "strict.json"]
