"""``mapper serve`` under a second bug hunt: what a restart on the same database says of its sinks.

Every server binds 127.0.0.1 on a free port; each subprocess is stopped with SIGTERM and
waited for with a timeout.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from test_send_serve import ROOT, SINK, SINK_ID


def _sink_lines(db: Path, *sinks: Path) -> list[str]:
    """The lines a ``mapper serve SINKS --db DB`` prints of its sinks once listening (it is stopped then)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "serve", *map(str, sinks), "--db", str(db), "--port", "0", "-q", "--no-ui"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert "listening on http://127.0.0.1:" in line, line
        lines = [proc.stdout.readline().decode().strip() for _ in sinks]
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return lines


def test_a_restart_does_not_say_a_sink_kept_from_the_database_was_created_now(tmp_path: Path) -> None:
    # found by the hunt: a SINK already in the database (a restart with the same command) was
    # listed "ACTIVE (created now)" at every start, as if its table and rows were new
    db = tmp_path / "r.db"
    other = tmp_path / "other.json"
    other.write_text(SINK.read_text().replace('"aircraft_positions"', '"other_positions"'))
    first = _sink_lines(db, SINK)
    assert first == [f"sink {SINK_ID} ACTIVE (created now): POST {first[0].split('POST ')[1]}"], first
    again = _sink_lines(db, SINK, other)
    assert again[0].startswith(f"sink {SINK_ID} ACTIVE: POST "), again  # kept, not created
    assert again[1].startswith("sink other_positions ACTIVE (created now): POST "), again  # this one is new
