"""Two runs renaming the same outputs at the same time (``map -o ROWS --rejects LETTERS`` twice,
or a run completing a killed run's pair while another writes the same files): each rename is
atomic, but a pair's two renames were not, nor a completion's check and its renames. Run B's
renames between run A's two left ROWS from A beside LETTERS from B, for good and said by
nobody; a completion that checked the files, then renamed a killed run's files over a pair (or
a single output) a live run had put in place meanwhile, mixed the two runs' files too, or
replaced a run's output it had reported written. Now every rename of an output (and a pair's
markers, check and renames) is made with its directory locked (``flock``): two runs' renames
come one after the other, never between each other's.

The runs are threads of this process (a ``flock`` is the open file's: two threads' locks
exclude each other as two processes' do), held at the critical point by a patched
``os.replace`` until the other run is done or waits for the lock; no sleeps, each wait bounded."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from mapper import owners, writers
from mapper.errors import OutputError

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no flock (Windows)")

#: A killed run's owner (a lock token): judged gone by the tests, every other owner running.
DEAD = "flock." + "d" * 32
BOUND = 10  # seconds any wait may take: a run that hangs fails the test, never the suite


def _staged(path: Path, text: str) -> writers.AtomicFile:
    """An output written whole, not yet renamed into place."""
    out = writers.AtomicFile(str(path))
    out.fh.write(text.encode())
    out.fh.flush()
    return out


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - said by the test
            failed.append(exc)

    return threading.Thread(target=run, daemon=True), failed


class _Hold:
    """``os.replace`` in this (the main) thread holds once, before or after the rename whose target
    ends with ``at``, while ``other`` runs in a thread until it ends or waits for a directory lock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: str, after: bool, other: Callable[[], Any]):
        self.thread, self.failed = _in_thread(self._other(other))
        self.moved = threading.Event()  # the other run is done, or waits for the lock
        self.held = False
        real, main = os.replace, threading.current_thread()

        def replace(src: Any, dst: Any) -> None:
            hold = not self.held and threading.current_thread() is main and os.fspath(dst).endswith(at)
            if hold and not after:
                self._hold()
            real(src, dst)
            if hold and after:
                self._hold()

        waited = getattr(writers, "_lock_waits", None)

        def lock_waits(*args: Any) -> Any:
            if threading.current_thread() is self.thread:
                self.moved.set()
            return waited(*args) if waited is not None else None

        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(writers, "_lock_waits", lock_waits, raising=False)

    def _other(self, other: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            try:
                other()
            finally:
                self.moved.set()

        return run

    def _hold(self) -> None:
        self.held = True
        self.thread.start()
        assert self.moved.wait(BOUND), "the other run neither ended nor waited"

    def join(self) -> None:
        assert self.held, "the critical point was never reached"
        self.thread.join(BOUND)
        assert not self.thread.is_alive(), "the other run never ended"
        assert not self.failed, self.failed


def _killed_pair(rows: Path, rej: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of owner DEAD killed once its pair markers are written, before any rename: its
    temporary files and markers are left, as a SIGKILL leaves them."""
    with monkeypatch.context() as m:
        m.setattr(writers, "owner", lambda *_: DEAD)
        k_rows, k_rej = _staged(rows, "K rows"), _staged(rej, "K rej")
        made = writers._pair_marker((k_rows, k_rej))
    assert len(made) == 2
    for out in (k_rows, k_rej):
        out.fh.close()
        writers.temp_kept(out._tmp or "")  # (never removed by this process: a killed one's)
    for marker in made:
        writers.temp_kept(marker)
    monkeypatch.setattr(writers, "owner_gone", lambda who, me: who == DEAD)


def _left(directory: Path) -> list[str]:
    """What the runs left beside the outputs, and their directory's lock file if it is left (each run removes its own as it lets go)."""
    locks = getattr(owners, "directory_lock", None)  # (none before there were directory locks)
    lock = locks(os.stat(directory)) if locks is not None else None
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".")) + ([lock] if lock is not None and os.path.lexists(lock) else [])


def test_a_runs_pair_renamed_between_another_runs_two_renames_is_never_mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows, rej = tmp_path / "rows.ndjson", tmp_path / "rej.ndjson"
    a = (_staged(rows, "A rows"), _staged(rej, "A rej"))
    b = (_staged(rows, "B rows"), _staged(rej, "B rej"))
    hold = _Hold(monkeypatch, "rej.ndjson", True, lambda: writers.keep_together(*b))
    writers.keep_together(*a)  # (held once its LETTERS are in place: B renames its pair then, or waits)
    hold.join()
    assert (rows.read_text()[0], rej.read_text()[0]) == ("B", "B")  # (B's renames after A's: not A's rows beside B's letters)
    assert _left(tmp_path) == []


def test_a_killed_runs_pair_completed_while_a_live_run_renames_its_own_is_never_mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows, rej = tmp_path / "rows.ndjson", tmp_path / "rej.ndjson"
    rows.write_text("before rows")
    rej.write_text("before rej")
    a = (_staged(rows, "A rows"), _staged(rej, "A rej"))  # (a live run, started before the kill)
    _killed_pair(rows, rej, monkeypatch)
    hold = _Hold(monkeypatch, "rej.ndjson", True, lambda: writers.keep_together(*a))
    writers.clean_stale(str(rows))  # (a third run starting: completes K's pair, held between its two renames)
    hold.join()
    assert (rows.read_text()[0], rej.read_text()[0]) == ("A", "A")  # (A reported both written: not K's rows beside A's letters)
    assert _left(tmp_path) == []


def test_a_killed_runs_pair_is_never_completed_over_a_file_renamed_since_its_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows, rej = tmp_path / "rows.ndjson", tmp_path / "rej.ndjson"
    rows.write_text("before rows")
    rej.write_text("before rej")
    s = _staged(rows, "S rows")  # (a live run writing ROWS alone, started before the kill)
    _killed_pair(rows, rej, monkeypatch)
    hold = _Hold(monkeypatch, "rej.ndjson", False, s.close)
    writers.clean_stale(str(rows))  # (completes K's pair: held after its check, before its first rename)
    hold.join()
    assert rows.read_text() == "S rows"  # (S reported its rows written: K's, older, never renamed over them)
    assert rej.read_text() == "K rej"
    assert _left(tmp_path) == []


def _held_elsewhere(directory: Path) -> tuple[int, str]:
    """``directory``'s lock held as another run holds it for its renames (another open file: excluded as another process is)."""
    import fcntl

    name = owners.directory_lock(os.stat(directory))
    assert name is not None
    fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd, name


def test_a_lock_held_for_ever_fails_the_run_saying_so_with_both_outputs_as_they_were(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows, rej = tmp_path / "rows.ndjson", tmp_path / "rej.ndjson"
    rows.write_text("before rows")
    rej.write_text("before rej")
    pair = (_staged(rows, "A rows"), _staged(rej, "A rej"))
    single = _staged(rows, "S rows")
    monkeypatch.setattr(writers, "LOCK_WAIT", 0.0)
    fd, name = _held_elsewhere(tmp_path)
    try:
        with pytest.raises(OutputError) as info:
            writers.keep_together(*pair)
        with pytest.raises(OutputError) as alone:
            single.close()
    finally:
        os.unlink(name)
        os.close(fd)
    said = f"cannot write {rows}: another mapper has held the lock of its directory, {tmp_path}, for 0 s ({name}: stopped or hung?)"
    assert str(info.value) == f"{said}; neither output was written: {rows} and {rej} are as they were"
    assert str(alone.value) == said
    assert (rows.read_text(), rej.read_text()) == ("before rows", "before rej")
    assert _left(tmp_path) == []  # (no temporary file, no marker, no held link)


def test_a_directory_that_cannot_be_locked_is_renamed_into_unlocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import fcntl

    def no_locks(fd: int, how: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")  # (NFS, a FUSE file system)

    rows, rej = tmp_path / "rows.ndjson", tmp_path / "rej.ndjson"
    pair = (_staged(rows, "A rows"), _staged(rej, "A rej"))
    monkeypatch.setattr(fcntl, "flock", no_locks)
    writers.keep_together(*pair)
    assert (rows.read_text(), rej.read_text()) == ("A rows", "A rej")
    assert _left(tmp_path) == []


def test_a_run_starting_between_a_live_runs_two_renames_leaves_its_temporaries_and_markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (so it was before the locks too: a live owner's marker is never completed, nor its temporary removed)
    rows, rej = tmp_path / "rows.ndjson", tmp_path / "rej.ndjson"
    rows.write_text("before rows")
    a = (_staged(rows, "A rows"), _staged(rej, "A rej"))
    temp = os.path.basename(a[0]._tmp or "")
    seen: list[list[str]] = []

    def starting() -> None:
        writers.clean_stale(str(rows))
        writers.clean_stale(str(rej))
        seen.append(_left(tmp_path))

    hold = _Hold(monkeypatch, "rej.ndjson", True, starting)
    writers.keep_together(*a)
    hold.join()
    assert temp in seen[0]  # (A's rows temporary, left)
    assert sum(name.endswith(".mapper-pair") for name in seen[0]) == 2  # (and both its markers)
    assert (rows.read_text(), rej.read_text()) == ("A rows", "A rej")
    assert _left(tmp_path) == []
