"""``mapper serve`` leftovers of the last review: a start refused for its port makes no database, each SINK compiled
once at start, a refused chunked body answered and closed promptly however slowly it comes, and what a hunt found.

Every server binds 127.0.0.1 on a free port (or port 0), every socket has a timeout and every wait a bound.
"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path
from typing import Any

import orjson
import pytest

import mapper.api
import mapper.serve
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


# ---------------------------------------------------------------------------------------
# 2. Each SINK is compiled once at start: judged in a scratch database, then created from what was compiled there


def test_each_sink_is_compiled_once_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str] = []
    real_compile = mapper.api.compile_definition
    monkeypatch.setattr(mapper.api, "compile_definition", lambda sink: compiled.append(sink.name) or real_compile(sink))
    real_start = mapper.serve.Server.start

    def start_then_stop(self: Any) -> Any:  # (listening: stopped as a SIGTERM stops it, in this process's main thread)
        started = real_start(self)
        os.kill(os.getpid(), signal.SIGTERM)
        return started

    monkeypatch.setattr(mapper.serve.Server, "start", start_then_stop)
    other = tmp_path / "other.json"
    doc = orjson.loads(SINK.read_bytes())
    doc["name"] = "other_sink"
    other.write_bytes(orjson.dumps(doc))
    ran = run_main("serve", SINK, other, SINK, "--db", "s.db", "--port", 0, "--no-ui", "-q", cwd=tmp_path, timeout=30)
    assert ran.returncode == 0, ran
    assert "sink aircraft_positions ACTIVE (created now)" in ran.out and "sink other_sink ACTIVE (created now)" in ran.out
    assert sorted(compiled) == ["aircraft_positions", "other_sink"]  # (each twice: in the scratch database, then for real)
    assert _sinks(tmp_path / "s.db") == ["aircraft_positions", "other_sink"]


def test_a_store_creates_a_sink_from_a_compiled_mapper_without_compiling_it_again() -> None:
    compiled = mapper.api.compile_sink(SINK)
    with Store() as store:
        info = store.create_sink(compiled)
        assert info.id == "aircraft_positions" and store.mapper(info.id) is compiled
        assert store.create_sink(compiled, exist_ok=True).id == info.id  # (the same definition: kept)
