"""``mapper serve`` leftovers of the last review: a start refused for its port makes no database, each SINK compiled
once at start, a refused chunked body answered and closed promptly however slowly it comes, and what a hunt found.

Every server binds 127.0.0.1 on a free port (or port 0), every socket has a timeout and every wait a bound.
"""

from __future__ import annotations

import socket
from pathlib import Path

from mapper.store import Store
from tests.cli_inproc import ROOT, run_main

SINK = ROOT / "examples" / "aircraft" / "sink.json"


def _held_port() -> socket.socket:
    """A socket listening on 127.0.0.1, on a port the kernel picked: another program holding the port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


def _sinks(db: Path) -> list[str]:
    with Store(str(db)) as store:
        return sorted(s.id for s in store.list_sinks())


# ---------------------------------------------------------------------------------------
# 1. A start refused for a port another program holds makes no --db file, and creates no SINK in one there


def test_a_start_refused_for_a_held_port_makes_no_new_database_file(tmp_path: Path) -> None:
    # (the port was bound after the database was opened: new.db, its -wal and -shm, were made, then the start refused)
    with _held_port() as held:
        port = held.getsockname()[1]
        ran = run_main("serve", SINK, "--db", "new.db", "--port", port, cwd=tmp_path)
    assert ran.returncode == 2 and ran.out == "", ran
    assert ran.err.startswith(f"mapper serve: cannot listen on 127.0.0.1:{port}: "), ran.err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_start_refused_for_a_held_port_creates_no_sink_in_the_database(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    with Store(str(db)):
        pass
    before = sorted(p.name for p in tmp_path.iterdir())
    with _held_port() as held:
        ran = run_main("serve", SINK, "--db", "kept.db", "--port", held.getsockname()[1], "--no-ui", cwd=tmp_path)
    assert ran.returncode == 2 and "cannot listen on" in ran.err, ran
    assert _sinks(db) == []  # (the SINK was created, then the start refused)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
