"""``mapper send`` hunt (send2): what a bug hunt against a real ``mapper serve`` found. Servers run
in this process on 127.0.0.1 (``tests/test_send_serve.py``'s fault server), each test bounded in
count and time."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_send_serve import EXIT_REJECTED, EXIT_USAGE, SINK, SINK_ID, aircraft, fault_server, main_in_process  # noqa: E402

from mapper.serve import App  # noqa: E402
from mapper.store import Store  # noqa: E402


def _log(path: Path, n: int) -> Path:
    """n aircraft records: every 4th, from the second, has a bad altitude (refused by pre-validation)."""
    recs = [aircraft(i, altitude="high") if i % 4 == 1 else aircraft(i) for i in range(n)]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    return path


def _letter_ids(path: Path) -> list[str]:
    return [json.loads(json.loads(line)["raw"])["id"] for line in path.read_text().splitlines()]


def test_a_resume_without_the_rejects_its_run_wrote_is_refused_and_writes_nothing(tmp_path, capsys):
    # A run with --rejects stops (a 401 on its second body); its resume without --rejects went on:
    # the refusals after the stop were counted but written to no file, a letter the stopped run
    # wrote past its checkpoint (killed between its letters and its checkpoint) was never cut back,
    # and the checkpoint forgot the file, so a later resume naming it again appended those letters
    # a second time. A resume naming another file was refused already (one --rejects per checkpoint).
    log, rejects, cp = _log(tmp_path / "log.ndjson", 12), tmp_path / "rejects.ndjson", tmp_path / "cp.json"
    store = Store(tmp_path / "s.db")
    store.create_sink(SINK)
    try:
        with fault_server(App(store), ["ok", "401"]) as (url, seen):
            common = ["send", SINK, log, "--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--body-records", 3, "--checkpoint", cp, "-q"]
            rc, _out, _err = main_in_process(capsys, *common, "--rejects", rejects)
            assert rc == EXIT_USAGE and _letter_ids(rejects) == ["r1"]
            requests = len(seen)
            rc, _out, err = main_in_process(capsys, *common)
            assert rc == EXIT_USAGE, err
            assert f"--rejects {rejects}" in err and "dead letters" in err, err
            assert len(seen) == requests  # (refused before anything was sent)
            rc, _out, err = main_in_process(capsys, *common, "--rejects", rejects)
    finally:
        store.close()
    assert rc == EXIT_REJECTED, err
    assert _letter_ids(rejects) == ["r1", "r5", "r9"]  # each refused record's letter, once


def test_a_resumed_run_without_rejects_says_why_its_first_refused_record_was(tmp_path, capsys):
    # Without --rejects a run's summary ends with why its first refused record was. A resume
    # finishes the run that stopped, counting its refusals before the stop, but said why the
    # first refusal after the resume was (record 5), or nothing at all when every refusal came
    # before the stop; the checkpoint now keeps the run's first.
    log, cp = _log(tmp_path / "log.ndjson", 12), tmp_path / "cp.json"
    store = Store(tmp_path / "s.db")
    store.create_sink(SINK)
    try:
        with fault_server(App(store), ["ok", "401"]) as (url, _seen):
            common = ["send", SINK, log, "--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--body-records", 3, "--checkpoint", cp, "--report", "json"]
            rc, out, err = main_in_process(capsys, *common)
            assert rc == EXIT_USAGE, err
            assert "(record 1, line 2" in json.loads(out)["notes"][-1]
            rc, out, err = main_in_process(capsys, *common)
    finally:
        store.close()
    assert rc == EXIT_REJECTED, err
    report = json.loads(out)
    assert report["refused_prevalidation"] == 3
    note = report["notes"][-1]
    assert note.startswith("the first record refused (invalid_value, by pre-validation)") and "(record 1, line 2" in note, note


class _SignalledApp:
    """The service, sending this process ``signum`` as each request is dispatched (before it is answered)."""

    def __init__(self, app: App, signum: int):
        self.app, self.signum = app, signum

    def dispatch(self, *args: Any, **kw: Any) -> Any:
        os.kill(os.getpid(), self.signum)  # (taken by the main thread, waiting for this answer)
        return self.app.dispatch(*args, **kw)


def test_send_keeps_an_inherited_sig_ign_as_every_other_command_does(tmp_path, capsys):
    # A shell without job control starts `mapper send ... &` with SIGINT ignored, so that a Ctrl-C
    # meant for the script's foreground command leaves it alone; the other commands keep an
    # inherited SIG_IGN (tests/test_cli.py), but send put its own handler in its place: the Ctrl-C
    # stopped it, exit 2, "interrupted". Here SIGINT comes while each body's answer is awaited.
    log = _log(tmp_path / "log.ndjson", 8)
    store = Store(tmp_path / "s.db")
    store.create_sink(SINK)
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with fault_server(_SignalledApp(App(store), signal.SIGINT), []) as (url, seen):  # type: ignore[arg-type]
            rc, out, err = main_in_process(capsys, "send", SINK, log, "--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--body-records", 3, "--report", "json")
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # (and left as it was)
    finally:
        signal.signal(signal.SIGINT, before)
        store.close()
    assert rc == EXIT_REJECTED and "interrupted" not in err, err
    report = json.loads(out)
    assert report["completed"] and report["stored"] == 6 and report["refused_prevalidation"] == 2 and len(seen) == 2
