"""``mapper send``: one ``--rejects`` per checkpoint, said instead of cut. A resume cuts its dead
letters back to what its checkpoint counted: another run's letters written to the same file were
cut with them, silently; a ``--rejects`` naming the same file through a symbolic link was taken
for another file (nothing cut: a killed run's letters past its checkpoint written twice); and one
naming another file left those letters in the first. Servers run in this process on 127.0.0.1,
each test bounded in time."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_send_serve import EXIT_REJECTED, EXIT_USAGE, SINK, SINK_ID, aircraft, fault_server, main_in_process  # noqa: E402

from mapper.send import _RejectsClaim  # noqa: E402
from mapper.serve import App  # noqa: E402
from mapper.store import Store  # noqa: E402


def _log(path: Path, first: int, n: int) -> Path:
    """n aircraft records from id ``first``: every 4th has a bad altitude (refused by pre-validation)."""
    recs = [aircraft(first + i, altitude="high") if i % 4 == 1 else aircraft(first + i) for i in range(n)]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    return path


def _letter_ids(path: Path) -> list[str]:
    return [json.loads(json.loads(line)["raw"])["id"] for line in path.read_text().splitlines()]


@contextmanager
def _stopped_run(tmp_path: Path, capsys: Any, rejects: Path) -> Iterator[tuple[Path, list[Any]]]:
    """Run A on 12 records, stopped by a 401 on its second body (its checkpoint counts its first
    letter, r1); then the same server, answering every body, and the options of every run."""
    a = _log(tmp_path / "a.ndjson", 0, 12)
    store = Store(tmp_path / "s.db")
    store.create_sink(SINK)
    try:
        with fault_server(App(store), ["ok", "401"]) as (url, _seen):
            common: list[Any] = ["--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--body-records", 3, "-q"]
            rc, _out, _err = main_in_process(capsys, "send", SINK, a, "--checkpoint", tmp_path / "a.cp", "--rejects", rejects, *common)
            assert rc == EXIT_USAGE and _letter_ids(rejects) == ["r1"]
            yield a, common
    finally:
        store.close()


def test_a_file_of_a_stopped_run_named_by_another_run_is_refused_not_cut(tmp_path: Path, capsys: Any) -> None:
    rejects = tmp_path / "rejects.ndjson"
    b = _log(tmp_path / "b.ndjson", 100, 12)
    with _stopped_run(tmp_path, capsys, rejects) as (a, common):
        rc, _out, err = main_in_process(capsys, "send", SINK, b, "--checkpoint", tmp_path / "b.cp", "--rejects", rejects, *common)
        assert rc == EXIT_USAGE
        assert f"--rejects {rejects}: these dead letters are those of the stopped run of the checkpoint {tmp_path / 'a.cp'}" in err
        assert "one --rejects per checkpoint" in err
        assert _letter_ids(rejects) == ["r1"]  # (B wrote nothing: A's resume has nothing of another run's to cut)
        rc, _out, err = main_in_process(capsys, "send", SINK, a, "--checkpoint", tmp_path / "a.cp", "--rejects", rejects, *common)
        assert rc == EXIT_REJECTED, err
        assert _letter_ids(rejects) == ["r1", "r5", "r9"]
        # A completed: its letters are free for any run
        rc, _out, err = main_in_process(capsys, "send", SINK, b, "--checkpoint", tmp_path / "b.cp", "--rejects", rejects, *common)
        assert rc == EXIT_REJECTED, err
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".claim")]


def test_a_file_another_run_is_writing_is_refused(tmp_path: Path, capsys: Any) -> None:
    rejects = tmp_path / "rejects.ndjson"
    a = _log(tmp_path / "a.ndjson", 0, 4)
    store = Store(tmp_path / "s.db")
    store.create_sink(SINK)
    other = _RejectsClaim(str(rejects), str(tmp_path / "other.cp"))  # (a run writing it now)
    try:
        with fault_server(App(store), []) as (url, _seen):
            rc, _out, err = main_in_process(capsys, "send", SINK, a, "--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--rejects", rejects, "-q")
    finally:
        other.release(keep=False)
        store.close()
    assert rc == EXIT_USAGE
    assert f"--rejects {rejects}: another mapper send is writing these dead letters: one run writes a --rejects file at a time" in err
    assert not rejects.exists()


def test_a_resume_knows_its_letters_through_a_symbolic_link(tmp_path: Path, capsys: Any) -> None:
    rejects, link = tmp_path / "rejects.ndjson", tmp_path / "link.ndjson"
    with _stopped_run(tmp_path, capsys, rejects) as (a, common):
        counted = rejects.read_bytes()
        # a letter a killed run wrote past its checkpoint (the resume writes it again: each once)
        rejects.write_bytes(counted + counted.replace(b'"record":1', b'"record":5').replace(b"r1", b"r5"))
        assert _letter_ids(rejects) == ["r1", "r5"]
        link.symlink_to(rejects)
        rc, _out, err = main_in_process(capsys, "send", SINK, a, "--checkpoint", tmp_path / "a.cp", "--rejects", link, *common)
    assert rc == EXIT_REJECTED, err
    assert _letter_ids(rejects) == ["r1", "r5", "r9"]  # (r5 twice before: the link was taken for another file, nothing cut)
    assert link.is_symlink()


def test_a_resume_naming_another_file_is_refused_naming_both(tmp_path: Path, capsys: Any) -> None:
    rejects, other = tmp_path / "rejects.ndjson", tmp_path / "other.ndjson"
    with _stopped_run(tmp_path, capsys, rejects) as (a, common):
        rc, _out, err = main_in_process(capsys, "send", SINK, a, "--checkpoint", tmp_path / "a.cp", "--rejects", other, *common)
    assert rc == EXIT_USAGE
    assert f"--rejects {other} is not the dead letters of the run this checkpoint resumes, {rejects}" in err
    assert f"give --rejects {rejects} (one --rejects per checkpoint)" in err
    assert _letter_ids(rejects) == ["r1"] and not other.exists()


def test_a_claim_removed_between_another_runs_open_and_lock_is_not_held_twice(tmp_path: Path, monkeypatch: Any) -> None:
    """A run that completes removes its claim, then lets go of its lock: a run that opened the claim
    before it was removed, and locks it after, held a file no longer under the name, while a third
    run, which made the claim anew, held that one: two runs writing the same letters, each
    claiming them. The lock taken must be on the file the name holds."""
    import fcntl

    import pytest

    from mapper.errors import OptionError

    rejects = tmp_path / "rejects.ndjson"
    first = _RejectsClaim(str(rejects), None)
    real = fcntl.flock
    third: list[_RejectsClaim] = []

    def flock(fd: int, op: int) -> None:
        if not third and first.fh is not None:  # (this run has opened the claim: the first completes, a third claims anew)
            first.release(keep=False)
            third.append(_RejectsClaim(str(rejects), None))
        real(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock)
    try:
        with pytest.raises(OptionError, match="another mapper send is writing these dead letters"):
            _RejectsClaim(str(rejects), None)
        assert third and third[0].fh is not None
    finally:
        for claim in third:
            claim.release(keep=False)
