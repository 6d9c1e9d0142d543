"""What a killed ``mapper spark-validate`` leaves behind, and the next run removes (when it is safe).

A SIGKILL of the driver or a crashed JVM left ``OUT/.mapper-staging-<uuid>/`` (a full copy of
the results) and ``$TMPDIR/mapper-spark-*`` (the driver's log4j2 file), and no later run removed
them: repeated crashes filled the disk. Both are now named by their owner (boot id, pid
namespace, pid, start time), and a run removes those whose owner is gone, never a running
one's (two runs into one OUT at once). All but the last test call the helpers directly: no JVM.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from mapper import owners
from mapper import spark as ms
from mapper.errors import OptionError
from tests import test_spark

spark = test_spark.spark  # the session fixture: one SparkSession (one JVM) for this module and test_spark's

pytestmark = pytest.mark.skipif(
    (ms._owner() or owners.LOCKED).startswith(owners.LOCKED),
    reason="no /proc boot id or pid namespace here: temporaries are judged by their owner's lock (tests/test_outputs_owner.py)",
)

ROOT = Path(__file__).resolve().parent.parent
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"
UUID = "0123456789abcdef0123456789abcdef"


def _dead_pid() -> int:
    """The pid of a process that has ended (the kernel hands pids out in turn: not reused within a test)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, timeout=30, check=True)
    return int(proc.stdout)


@pytest.fixture()
def live() -> Iterator[subprocess.Popen]:
    """Another process, running (a concurrent run's driver)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(10)


def _with(owner: str, *, pid: int | None = None, start: str | None = None, boot: str | None = None, ns: str | None = None) -> str:
    b, n, p, s = owner.split(".")
    return ".".join((boot or b, ns or n, str(pid if pid is not None else p), start or s))


class LocalFs:
    """:class:`mapper.spark._FileSystem`'s list and delete, on the local file system."""

    def __init__(self) -> None:
        self.deleted: list[str] = []

    def list(self, path: str) -> list[str]:
        return os.listdir(path) if os.path.isdir(path) else []

    def delete(self, path: str) -> None:
        self.deleted.append(path)
        shutil.rmtree(path)


def _staging(out: Path, owner: str) -> Path:
    path = out / f"{ms.STAGING_PREFIX}{owner}-{UUID}"
    (path / "mapped").mkdir(parents=True)
    (path / "mapped" / "part-00000.parquet").write_bytes(b"rows" * 100)
    return path


def test_a_staging_directory_is_named_by_its_running_owner() -> None:
    name = ms._staging_name()
    owner = ms._owner_of(name, ms.STAGING_PREFIX)
    assert owner is not None and owner == ms._owner()
    assert owner.split(".")[2] == str(os.getpid())
    assert ms._owner_gone(owner, ms._owner()) is False  # this process: running
    assert name != ms._staging_name()  # (two runs of one process: two directories)


def test_only_the_staging_directories_of_ended_runs_are_removed(tmp_path: Path, live: subprocess.Popen) -> None:
    me = ms._owner()
    assert me is not None
    live_owner = ms._owner(live.pid)
    assert live_owner is not None
    out = tmp_path / "out"
    (out / "mapped").mkdir(parents=True)  # the results: never touched
    dead = _staging(out, _with(me, pid=_dead_pid()))
    reused = _staging(out, _with(me, start="1"))  # this pid, but another process (another start time)
    running = _staging(out, live_owner)  # a concurrent run's
    mine = _staging(out, me)  # this process's own (a run in another thread)
    other_boot = _staging(out, _with(me, pid=_dead_pid(), boot="f" * 32))  # another machine, or before a reboot
    other_ns = _staging(out, _with(me, pid=_dead_pid(), ns="1"))  # a container with its own pids
    old = out / f"{ms.STAGING_PREFIX}{UUID}"  # an older mapper's: no owner
    old.mkdir()
    fs = LocalFs()
    left = ms._sweep_staging(fs, str(out))
    assert set(left.removed) == {dead.name, reused.name}
    assert set(left.unknown) == {other_boot.name, other_ns.name, old.name}
    assert sorted(p.name for p in out.iterdir()) == sorted(["mapped", running.name, mine.name, other_boot.name, other_ns.name, old.name])
    assert (running / "mapped" / "part-00000.parquet").exists() and (mine / "mapped" / "part-00000.parquet").exists()
    # the concurrent run is killed: the next run removes its staging directory
    live.kill()
    live.wait(10)
    left = ms._sweep_staging(fs, str(out))
    assert left.removed == (running.name,)
    assert mine.exists() and other_boot.exists()


def test_a_sweep_never_fails_the_run(tmp_path: Path) -> None:
    me = ms._owner()
    assert me is not None
    dead = _staging(tmp_path, _with(me, pid=_dead_pid()))

    class Failing(LocalFs):
        def delete(self, path: str) -> None:
            raise OSError("read-only")

    assert ms._sweep_staging(Failing(), str(tmp_path)) == ms.Leftovers()  # not removed, not said to be
    assert dead.exists()

    class Unlisted(LocalFs):
        def list(self, path: str) -> list[str]:
            raise RuntimeError("py4j: connection reset")

    assert ms._sweep_staging(Unlisted(), str(tmp_path)) == ms.Leftovers()
    assert ms._sweep_staging(LocalFs(), str(tmp_path / "none")) == ms.Leftovers()  # (OUT not made yet)


@pytest.mark.parametrize(
    "owner",
    [None, "", "garbage", "0" * 32 + ".1.2", UUID, "flock.0123", "flock." + "A" * 32],  # no owner, or not one
)
def test_an_owner_that_cannot_be_read_is_never_taken_for_gone(owner: str | None) -> None:
    assert ms._owner_gone(owner, ms._owner()) is None
    assert ms._owner_of(f"{ms.STAGING_PREFIX}{owner}-{UUID}", ms.STAGING_PREFIX) is None or owner is None


def test_pids_that_are_no_process_are_never_taken_for_gone() -> None:
    me = ms._owner()
    assert me is not None
    assert ms._owner_gone(_with(me, pid=0), me) is None  # (kill(0, 0) is this process group)
    assert ms._owner_gone(_with(me, pid=2**80), me) is None
    assert ms._owner_gone(me, None) is None  # this process unknown (no /proc): nothing is judged
    init = ms._owner(1)
    assert init is not None
    assert ms._owner_gone(init, me) is False  # running, also when not this user's (kill says EPERM)


def test_the_driver_directory_is_named_by_its_owner_and_killed_runs_ones_go(tmp_path: Path, monkeypatch: Any, live: subprocess.Popen) -> None:
    me = ms._owner()
    live_owner = ms._owner(live.pid)
    assert me is not None and live_owner is not None
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    dead = tmp_path / f"{ms.DRIVER_DIR_PREFIX}{_with(me, pid=_dead_pid())}-abc_123"
    dead.mkdir()
    (dead / "log4j2.properties").write_text("rootLogger.level = warn\n")
    running = tmp_path / f"{ms.DRIVER_DIR_PREFIX}{live_owner}-def"
    running.mkdir()
    target = tmp_path / "precious"
    target.mkdir()
    (target / "keep").write_text("x")
    link = tmp_path / f"{ms.DRIVER_DIR_PREFIX}{_with(me, pid=_dead_pid())}-link"
    link.symlink_to(target)  # (the temporary directory is everyone's: never followed)
    old = tmp_path / f"{ms.DRIVER_DIR_PREFIX}k2j4h5"  # an older mapper's (tempfile's name): no owner
    old.mkdir()
    with ms._driver_directory() as directory:
        assert Path(directory).parent == tmp_path
        assert ms._owner_of(Path(directory).name, ms.DRIVER_DIR_PREFIX) == me
        assert not dead.exists()
    assert not Path(directory).exists()
    assert running.exists() and link.is_symlink() and (target / "keep").exists() and old.exists()


def test_spark_validate_says_what_it_removed_and_what_it_left(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """The CLI's notes (the job faked: no JVM)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: spark-validate stops at the missing extra")
    pytest.importorskip("pandas", reason="pandas is not installed: spark-validate stops at the missing extra")
    from mapper.cli import main

    other = f"{ms.STAGING_PREFIX}{UUID}"

    def validate_files(*_args: Any, **_kwargs: Any) -> ms.ValidateCounts:
        return ms.ValidateCounts(3, 3, 0, {}, leftovers=ms.Leftovers(removed=("a", "b"), unknown=(other,)))

    monkeypatch.setattr(ms, "_session", lambda *_args: argparse.Namespace(stop=lambda: None))
    monkeypatch.setattr(ms, "_check_java", lambda: None)
    monkeypatch.setattr(ms, "validate_files", validate_files)
    out = tmp_path / "out"
    assert main(["spark-validate", str(SINK), str(RECORDS), "-o", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert f"note: removed 2 staging directories that killed runs left in {out}\n" in printed
    assert f"note: {out}/{other} is another run's staging directory" in printed and "remove it if no run is writing there" in printed


def test_validate_files_beside_a_killed_and_a_concurrent_run(spark: Any, tmp_path: Path, live: subprocess.Popen, monkeypatch: Any) -> None:
    """The job itself (one JVM: tests/test_spark.py's session): what a killed run left goes,
    a running one's stays, and results another run wrote meanwhile are not replaced."""
    me = ms._owner()
    live_owner = ms._owner(live.pid)
    assert me is not None and live_owner is not None
    out = tmp_path / "out"
    dead = _staging(out, _with(me, pid=_dead_pid()))
    running = _staging(out, live_owner)
    counts = ms.validate_files(spark, SINK, [str(RECORDS)], str(out))
    assert (counts.mapped_rows, counts.refused_records, counts.lost) == (3, 0, 0)
    assert counts.leftovers == ms.Leftovers(removed=(dead.name,))
    assert sorted(p.name for p in out.iterdir()) == sorted(["mapped", "refused", running.name])  # its own staging directory gone too
    # a concurrent run ends while this one maps: its results were deleted and replaced by this run's, without --overwrite
    other = tmp_path / "other"
    sweep = ms._sweep_staging

    def meanwhile(fs: Any, output: str) -> ms.Leftovers:
        (other / "mapped").mkdir(parents=True)
        (other / "mapped" / "theirs.parquet").write_bytes(b"theirs")
        return sweep(fs, output)

    monkeypatch.setattr(ms, "_sweep_staging", meanwhile)
    with pytest.raises(OptionError, match="mapped exists: .*another run wrote it while this one ran"):
        ms.validate_files(spark, SINK, [str(RECORDS)], str(other))
    assert sorted(p.name for p in other.iterdir()) == ["mapped"] and [p.name for p in (other / "mapped").iterdir()] == ["theirs.parquet"]


def test_sparks_local_directory_is_the_runs_own_on_a_local_master_it_starts(tmp_path: Path, monkeypatch: Any) -> None:
    """Spark's spills (the persisted mapped rows) went to /tmp/blockmgr-<uuid>, which a killed
    JVM left and no run can tell from another application's: now under the run's directory."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: spark-validate stops at the missing extra")
    from pyspark import SparkContext

    for name in ("SPARK_LOCAL_DIRS", "PYSPARK_GATEWAY_PORT", "PYSPARK_SUBMIT_ARGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))  # (no spark-defaults.conf)
    monkeypatch.setattr(SparkContext, "_active_spark_context", None)
    assert ms._own_local_dir("local[*]", {}) and ms._own_local_dir("local-cluster[2,1,1024]", {})
    assert not ms._own_local_dir("yarn", {}) and not ms._own_local_dir(None, {})  # (executors elsewhere: theirs)
    assert not ms._own_local_dir("local[2]", {"spark.local.dir": "/big"})  # the user's choice
    (tmp_path / "spark-defaults.conf").write_text("spark.local.dir /big\n")
    assert not ms._own_local_dir("local[2]", {})
    (tmp_path / "spark-defaults.conf").unlink()
    monkeypatch.setenv("SPARK_LOCAL_DIRS", "/big")
    assert not ms._own_local_dir("local[2]", {})
    monkeypatch.delenv("SPARK_LOCAL_DIRS")
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "4040")  # spark-submit's JVM: its settings
    assert not ms._own_local_dir("local[2]", {})
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT")
    monkeypatch.setattr(SparkContext, "_active_spark_context", object())  # a session already running (not this run's to stop)
    assert not ms._own_local_dir("local[2]", {})


def test_spark_validate_stops_its_own_session_before_its_directory_goes(tmp_path: Path, monkeypatch: Any) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed: spark-validate stops at the missing extra")
    pytest.importorskip("pandas", reason="pandas is not installed: spark-validate stops at the missing extra")
    from pyspark import SparkContext

    from mapper.cli import main

    for name in ("SPARK_LOCAL_DIRS", "PYSPARK_GATEWAY_PORT", "PYSPARK_SUBMIT_ARGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    monkeypatch.setattr(SparkContext, "_active_spark_context", None)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    seen: dict[str, Any] = {}

    class Session:
        def stop(self) -> None:
            seen["stopped with"] = sorted(p.name for p in Path(seen["directory"]).iterdir())

    def session(*args: Any) -> Session:
        seen["directory"], seen["local_dir"] = args[2], args[3]
        (Path(args[2]) / "blockmgr-1").mkdir()  # what Spark writes there
        return Session()

    def validate_files(*_args: Any, **_kwargs: Any) -> ms.ValidateCounts:
        return ms.ValidateCounts(3, 3, 0, {})

    monkeypatch.setattr(ms, "_session", session)
    monkeypatch.setattr(ms, "_check_java", lambda: None)
    monkeypatch.setattr(ms, "validate_files", validate_files)
    assert main(["spark-validate", str(SINK), str(RECORDS), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert seen["local_dir"] is True and seen["stopped with"] == ["blockmgr-1"]  # stopped while its files were there ...
    assert not Path(seen["directory"]).exists()  # ... and they went with the directory


def test_spark_validate_on_another_master_removes_its_own_directory_and_leaves_sparks_session(tmp_path: Path, monkeypatch: Any) -> None:
    """On a master that is not local (executors elsewhere), the run's directory holds only its
    own log4j2 file: removed at the end; Spark's local directory stays Spark's (its ``spark-*`` and
    ``blockmgr-*`` in /tmp go when the JVM ends, as Spark removes them), and the session is not stopped."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: spark-validate stops at the missing extra")
    pytest.importorskip("pandas", reason="pandas is not installed: spark-validate stops at the missing extra")
    from pyspark import SparkContext

    from mapper.cli import main

    for name in ("SPARK_LOCAL_DIRS", "PYSPARK_GATEWAY_PORT", "PYSPARK_SUBMIT_ARGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    monkeypatch.setattr(SparkContext, "_active_spark_context", None)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    seen: dict[str, Any] = {}

    class Session:
        def stop(self) -> None:
            seen["stopped"] = True

    def session(*args: Any) -> Session:
        seen["directory"], seen["local_dir"] = args[2], args[3]
        return Session()

    monkeypatch.setattr(ms, "_session", session)
    monkeypatch.setattr(ms, "_check_java", lambda: None)
    monkeypatch.setattr(ms, "validate_files", lambda *_a, **_k: ms.ValidateCounts(3, 3, 0, {}))
    out = tmp_path / "out"
    assert main(["spark-validate", str(SINK), str(RECORDS), "-o", str(out), "-q", "--master", "spark://127.0.0.1:7077"]) == 0
    assert seen["local_dir"] is False and "stopped" not in seen
    assert not Path(seen["directory"]).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # (nothing of the run's left in the temporary directory)


def test_a_ctrl_c_while_the_output_is_probed_leaves_no_probe_behind(tmp_path: Path, monkeypatch: Any):
    # check_output makes and removes a hidden directory in OUT to see it can write there; a Ctrl-C
    # between the two left `.mapper-probe-*` in OUT (the CI run's Ctrl-C test caught one). The
    # signal now waits for the removal, then interrupts.
    import signal
    import tempfile

    made = tempfile.mkdtemp

    def mkdtemp_then_ctrl_c(*args: Any, **kwargs: Any) -> str:
        path = made(*args, **kwargs)
        signal.raise_signal(signal.SIGINT)  # (as a Ctrl-C arriving right after the probe was made)
        return path

    monkeypatch.setattr(ms.tempfile, "mkdtemp", mkdtemp_then_ctrl_c)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        ms.check_output(str(out))
    assert list(out.iterdir()) == []
