"""``--workers N``: a worker dies with its parent. A parent killed outright (SIGKILL, the OOM
killer) left its workers mapping the rest of their ranges for nobody (seconds of a CPU each on a
big input), found out only as their answers failed. Now each is told by the kernel as its parent
dies (Linux: ``prctl(PR_SET_PDEATHSIG)``), or watches its parent where that cannot be set, and
exits at once, its shared-memory segment removed.

The worker's range is made to take a minute (its mapping is held in ``time.sleep`` in the
process started here), so the test does not depend on the input's size or the machine's
speed: a worker still there 10 s after its parent was killed outlived it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.gen import SINK, generate

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists() or sys.platform != "linux", reason="a process's state is read in /proc")

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import os, sys, time
import mapper.engine.parallel as parallel
if sys.argv[1] == "watch":  # the other systems' way: the worker looks at its parent
    parallel._death_signal = lambda signum: False
pids, real = sys.argv[2], parallel._map_range
def slow(*args, **kwargs):
    if not kwargs.get("first", True):  # a worker's range (the parent maps its own with first=True)
        with open(os.path.join(pids, str(os.getpid())), "w"):
            pass
        time.sleep(60)
    return real(*args, **kwargs)
parallel._map_range = slow
from mapper.cli import main
sys.exit(main(sys.argv[3:]))
"""


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie not reaped yet has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _wait(what: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if what():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return bool(what())  # type: ignore[operator]


@pytest.mark.parametrize("how", ["signal", "watch"])
def test_workers_end_with_their_parent_killed(tmp_path: Path, how: str) -> None:
    (tmp_path / "sink.json").write_text(json.dumps(SINK))
    (tmp_path / "r.ndjson").write_bytes(generate(2000))
    pids = tmp_path / "pids"
    pids.mkdir()
    shm_before = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    args = ["validate", str(tmp_path / "sink.json"), str(tmp_path / "r.ndjson"), "--workers", "2", "-q"]
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT, how, str(pids), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert _wait(lambda: os.listdir(pids) or parent.poll() is not None, 60), "no worker started"
        assert parent.poll() is None, parent.stderr.read() if parent.stderr else ""
        workers = [int(p) for p in os.listdir(pids)]
        assert workers and not any(_gone(w) for w in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait(lambda: all(_gone(w) for w in workers), 10), f"workers {workers} outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for name in os.listdir(pids):
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass
    if os.path.isdir("/dev/shm"):
        assert not [n for n in set(os.listdir("/dev/shm")) - shm_before if n.startswith("psm_")]
