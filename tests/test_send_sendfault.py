"""``mapper send`` under faults: what the other send tests left open (dead letters shared by runs).

Servers run in this process on 127.0.0.1 (``tests/test_send_serve.py``'s fault server), each test
bounded in time.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_send_serve import EXIT_REJECTED, EXIT_USAGE, SINK, SINK_ID, aircraft, fault_server, main_in_process  # noqa: E402

from mapper.serve import App  # noqa: E402
from mapper.store import Store  # noqa: E402


def _log(path: Path, first: int, n: int) -> Path:
    """n aircraft records from id ``first``: every 4th has a bad altitude (refused by pre-validation)."""
    recs = [aircraft(first + i, altitude="high") if i % 4 == 1 else aircraft(first + i) for i in range(n)]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    return path


def _letter_ids(path: Path) -> list[str]:
    return [json.loads(json.loads(line)["raw"])["id"] for line in path.read_text().splitlines()]


def test_a_resume_does_not_cut_dead_letters_another_run_wrote_since_it_stopped(tmp_path, capsys):
    # Two logs, each with its own checkpoint, one --rejects file (cron jobs sharing it). Run A
    # stops (a 401 on its second body: its checkpoint counts its first letter); run B, a new run,
    # writes the file anew with its own letters. A's resume cut the file back to the bytes A's
    # checkpoint counted: B's letters were lost (cut mid-line, a half letter left), though B's
    # summary counted them refused. Now B is refused before it writes (the file is claimed by A's
    # checkpoint, not done: tests/test_send_rejects_claim.py); and where the claim is not seen (an
    # older mapper's B, a file system without locks) the file is not the one A's checkpoint
    # counted: A's resume is refused, naming it, and B's letters are kept whole.
    a, b = _log(tmp_path / "a.ndjson", 0, 12), _log(tmp_path / "b.ndjson", 100, 12)
    rejects = tmp_path / "rejects.ndjson"
    store = Store(tmp_path / "s.db")
    store.create_sink(SINK)
    try:
        with fault_server(App(store), ["ok", "401"]) as (url, _seen):
            common = ["--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--body-records", 3, "--rejects", rejects, "-q"]
            rc, _out, _err = main_in_process(capsys, "send", SINK, a, "--checkpoint", tmp_path / "a.cp", *common)
            assert rc == EXIT_USAGE and _letter_ids(rejects) == ["r1"]  # (A's first body, records 0-3: r1 refused)
            rc, _out, err = main_in_process(capsys, "send", SINK, b, "--checkpoint", tmp_path / "b.cp", *common)
            assert rc == EXIT_USAGE and "these dead letters are those of the stopped run of the checkpoint" in err
            assert _letter_ids(rejects) == ["r1"]
            (tmp_path / ".rejects.ndjson.claim").unlink()  # (B does not see A's claim)
            rc, _out, _err = main_in_process(capsys, "send", SINK, b, "--checkpoint", tmp_path / "b.cp", *common)
            assert rc == EXIT_REJECTED
            b_letters = rejects.read_bytes()
            assert _letter_ids(rejects) == ["r101", "r105", "r109"]
            rc, _out, err = main_in_process(capsys, "send", SINK, a, "--checkpoint", tmp_path / "a.cp", *common)
    finally:
        store.close()
    assert rc == EXIT_USAGE, err
    assert f"the dead letters {rejects}" in err and "not those the checkpoint" in err and "name another --rejects file" in err
    assert rejects.read_bytes() == b_letters  # B's letters whole: nothing cut


def test_a_send_killed_at_random_moments_and_resumed_accounts_for_every_record_once(tmp_path):
    # SIGKILL at seeded random moments (after the k-th request was seen, and a few ms more: while a
    # body is in flight, its letters or its checkpoint written, or between bodies), then the same
    # command again, until a run completes: every record is a row or a dead letter, once; the rows
    # written twice are re-sends the summary counts; no temporary file is left.
    import random
    import signal
    import subprocess
    import time

    from test_send_serve import ROOT, wait_for

    rng = random.Random(20261205)
    n = 60
    log = _log(tmp_path / "log.ndjson", 0, n)
    refused = {f"r{i}" for i in range(n) if i % 4 == 1}
    checkpoint, rejects = tmp_path / "c.json", tmp_path / "rejects.ndjson"
    store = Store(tmp_path / "s.db")
    store.create_sink(SINK)
    runs: list[int] = []
    app = App(store)
    writes: Counter[str] = Counter()  # each record's writes: bodies the service answered 200

    class Counting:
        def dispatch(self, method: str, path: str, headers: Any, read: Any) -> Any:
            data = read(None)
            resp = app.dispatch(method, path, headers, lambda _limit: data)
            if resp.status == 200:
                writes.update(item["value"]["id"] for item in orjson.loads(data)["records"])
            return resp

    try:
        with fault_server(Counting(), []) as (url, seen):  # type: ignore[arg-type]
            args = [sys.executable, "-m", "mapper", "send", SINK, log, "--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--body-records", 4]
            args += ["--records-per-s", 100_000, "--bytes-per-s", 10**8, "--checkpoint", checkpoint, "--rejects", rejects, "--report", "json", "-q"]
            for kill in range(4):
                proc = subprocess.Popen([str(a) for a in args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                try:
                    if kill < 3:
                        target = len(seen) + rng.randint(1, 4)
                        try:
                            wait_for(lambda: len(seen) >= target or proc.poll() is not None, timeout=20)  # noqa: B023
                        finally:
                            time.sleep(rng.uniform(0, 0.01))
                            proc.send_signal(signal.SIGKILL)
                    out, err = proc.communicate(timeout=30)
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.communicate()
                runs.append(proc.returncode)
                if proc.returncode in (0, 1):
                    break
                assert proc.returncode == -signal.SIGKILL, err.decode()
        ids = [r["_id"] for r in store.iter_rows(SINK_ID)]
    finally:
        store.close()
    assert runs[-1] == EXIT_REJECTED, (runs, err.decode())
    report = json.loads(out.decode().strip().splitlines()[-1])  # (the last run's summary)
    assert sorted(_letter_ids(rejects)) == sorted(refused)  # each refused record once
    assert sorted(ids) == sorted(f"r{i}" for i in range(n) if f"r{i}" not in refused)
    if report.get("read_on_after") is None:  # (the last kill may have come after a run completed: then a new run of nothing)
        assert report["records"] == n and report["stored"] + report["refused_prevalidation"] + report["refused_service"] == n
        # a record written again is a counted re-send (counted once however often it was sent, as
        # within a run a body whose answers were lost again and again is)
        assert sum(1 for k in writes.values() if k > 1) <= report["resent"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_checkpoint_whose_rejects_digest_is_no_digest_is_refused_as_damaged(tmp_path, capsys):
    log = _log(tmp_path / "log.ndjson", 0, 6)
    checkpoint, rejects = tmp_path / "c.json", tmp_path / "rejects.ndjson"
    store = Store(tmp_path / "s.db")
    store.create_sink(SINK)
    try:
        with fault_server(App(store), ["ok", "401"]) as (url, _seen):
            args = ["send", SINK, log, "--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--body-records", 2, "--checkpoint", checkpoint, "--rejects", rejects, "-q"]
            assert main_in_process(capsys, *args)[0] == EXIT_USAGE
            state = json.loads(checkpoint.read_text())
            assert state["rejects"]["bytes"] == rejects.stat().st_size and len(state["rejects"]["blake2b"]) == 32
            state["rejects"]["blake2b"] = "not a digest"
            checkpoint.write_text(json.dumps(state))
            rc, _out, err = main_in_process(capsys, *args)
    finally:
        store.close()
    assert rc == EXIT_USAGE and "is damaged (its rejects)" in err


def test_the_dead_letters_length_a_checkpoint_keeps_is_where_the_runs_last_letter_ends(tmp_path):
    # Another writer appending to the same --rejects file between two of the run's writes (a
    # second send with a checkpoint of its own, running at once): the run counted only its own
    # bytes, so its checkpoint's rejects.bytes fell inside the file, and a resume cut it there,
    # mid-letter (half a line left, the letters after it lost). The length kept is where the
    # run's last letter ends in the file.
    from mapper.send import _DeadLetters

    path = tmp_path / "rejects.ndjson"
    letters = _DeadLetters(str(path), append=True)
    try:
        letters.write([{"record": 0, "raw": "a"}])
        with open(path, "ab") as other:
            other.write(b'{"record": 7, "raw": "the other run\'s"}\n')
        letters.write([{"record": 1, "raw": "b"}])
        assert letters.size == path.stat().st_size
    finally:
        letters.close()
    assert path.read_bytes().endswith(b"\n") and len(path.read_bytes().splitlines()) == 3
