"""An output whose directory takes no new file, though its mode says it may (``/proc`` as root, a
file system full or read-only), is refused before any record is read: the run made its temporary
file only once the first part had been mapped, and said so then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mapper import writers
from mapper.errors import OutputError

ROOT = Path(__file__).resolve().parent.parent
SINK = ROOT / "examples" / "aircraft" / "sink.json"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc here")
def test_an_output_in_a_directory_that_takes_no_file_is_refused_before_a_record_is_read() -> None:
    # the records come on standard input, none written and the pipe left open: a run that reads
    # before it checks its output waits there (bounded: the test fails after 60 s)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "map", str(SINK), "-", "-o", "/proc/x.ndjson"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        code = proc.wait(timeout=60)
        err = proc.stderr.read() if proc.stderr is not None else b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdin is not None
        proc.stdin.close()
    assert code == 2
    assert err.decode().strip() == "mapper: cannot write /proc/x.ndjson: No such file or directory"


def test_the_probe_leaves_no_file_and_says_the_systems_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writers.check_output(str(tmp_path / "out.npz"))
    assert list(tmp_path.iterdir()) == []  # (made and removed)
    assert writers._LIVE_TEMPS == {}

    def full(tmp: str, mode: int) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers, "new_temp", full)
    with pytest.raises(OutputError) as caught:
        writers.check_output(str(tmp_path / "out.npz"))
    assert str(caught.value) == f"cannot write {tmp_path / 'out.npz'}: No space left on device"
