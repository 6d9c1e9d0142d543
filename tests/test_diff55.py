"""A fresh-eyes review of stop 54's changes: what its new hints, checks and options did in the cases beside the ones its commits named."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from cli_inproc import run_main

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = (ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes()


# ---------------------------------------------------------------------------------------
# 1. the note on an input compressed twice writes its text beside the input, never over a file


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "stdin"])
def test_the_compressed_twice_note_writes_over_no_file(tmp_path: Path, stdin: bool) -> None:
    """Its command ended ``> records.ndjson`` whatever the input and whatever was there: pasted in
    a directory holding the user's records.ndjson, it replaced them (the sink's and Spark's hints
    had been moved beside their file for the same reason)."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    (tmp_path / "records.ndjson").write_bytes(RECORDS)  # (the user's own, a name records often have)
    (tmp_path / "a.ndjson.gz.gz").write_bytes(gzip.compress(gzip.compress(RECORDS)))
    given = (tmp_path / "a.ndjson.gz.gz").read_bytes() if stdin else None
    for there, written in ((), "a.ndjson"), (("a.ndjson",), "a-2.ndjson"):
        for name in there:
            (tmp_path / name).write_bytes(b"{}\n")
        v = run_main("validate", "sink.json", "-" if stdin else "a.ndjson.gz.gz", input=given, cwd=tmp_path)
        (note,) = [line for line in v.out.splitlines() if "compressed twice" in line]
        if stdin:  # (no file to write beside: records.ndjson, which is there)
            assert note.endswith("`... | gzip -dc | gzip -dc > records-2.ndjson`"), note
        else:
            assert note.endswith(f"`gzip -dc a.ndjson.gz.gz | gzip -dc > {written}`"), note


def test_a_compressed_sink_on_standard_input_is_unpacked_over_no_file(tmp_path: Path) -> None:
    """``mapper check - < sink.json.gz``: its hint wrote ``> sink.json`` over the one there."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    c = run_main("check", "-", input=gzip.compress(SINK.read_bytes()), cwd=tmp_path)
    assert c.returncode == 2 and "... | gzip -dc > sink-2.json, then give sink-2.json" in c.out + c.err, c.out + c.err


# ---------------------------------------------------------------------------------------
# 2. the output name a message suggests is in the directory of the one given


def test_a_suggested_output_name_keeps_its_directory(tmp_path: Path) -> None:
    """``--rejects out/bad.ndjson.gz`` was told ``name the file bad.ndjson``, and ``-o out/x.json``
    ``did you mean x.ndjson?``: given so, the file went into the current directory, not out/
    (``-o out/x.gz`` was told ``write out/x.npz``, its directory kept)."""
    (tmp_path / "out").mkdir()
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    (tmp_path / "r.ndjson").write_bytes(RECORDS)
    p = run_main("validate", "sink.json", "r.ndjson", "--rejects", "out/bad.ndjson.gz", cwd=tmp_path)
    assert p.returncode == 2 and p.err.rstrip("\n").endswith("name the file out/bad.ndjson"), p.err
    p = run_main("validate", "sink.json", "r.ndjson", "--rejects", "out/bad.parquet", cwd=tmp_path)
    assert p.returncode == 2 and p.err.rstrip("\n").endswith("name the file out/bad.ndjson"), p.err
    p = run_main("map", "sink.json", "r.ndjson", "-o", "out/x.json", cwd=tmp_path)
    assert p.returncode == 2 and "(did you mean out/x.ndjson? JSON rows, one a line)" in p.err, p.err
    assert sorted(os.listdir(tmp_path / "out")) == []


# ---------------------------------------------------------------------------------------
# 3. a decimal option past a float's range is said as it was written


def test_a_decimal_option_past_a_float_s_range_is_said_as_written() -> None:
    """``--records-per-s 1e400`` was "must be a finite number, not inf": a word the user never wrote
    (commands.decimal took the ASCII text, then float() made it infinity)."""
    import argparse

    from mapper.commands import decimal

    with pytest.raises(argparse.ArgumentTypeError, match=r"'1e400' \(past a float's range"):
        decimal("1e400")
    with pytest.raises(argparse.ArgumentTypeError, match=r"'-1e400' \(past a float's range"):
        decimal("-1e400")
    assert decimal("inf") == float("inf") and decimal("1e308") == 1e308  # (inf as written: said by the option's own check)


# ---------------------------------------------------------------------------------------
# 4. the web UI's refresh interval is one a browser's timer can wait


@pytest.mark.parametrize("refresh", [3e6, 10**20])
def test_a_refresh_interval_no_browser_timer_waits_is_refused(refresh: float) -> None:
    """``install(refresh=3e6)`` (to refresh about never) was served: a browser fires a timer past
    2^31 - 1 ms at once, so the pages asked the service without a pause; ``10**20`` made every
    ``/ui/api/config`` answer fail (orjson takes no integer past 64 bits)."""
    from mapper.errors import OptionError
    from mapper.serve import App
    from mapper.store import Store
    from mapper.web import install, load_catalog

    store = Store(":memory:")
    try:
        with pytest.raises(OptionError, match=r"refresh interval \(refresh=\) is at most 2,147,483 seconds .*, not (3,000,000|100,000,000,000,000,000,000)$"):
            install(App(store), load_catalog([]), refresh=refresh)
        install(App(store), load_catalog([]), refresh=2_147_483)  # (the longest: taken)
    finally:
        store.close()


# ---------------------------------------------------------------------------------------
# 5. a file named with Windows' backslashes is told its / form


def test_a_records_file_named_with_backslashes_is_told_the_one_meant(tmp_path: Path) -> None:
    """``validate sink.json 'd\\r.ndjson'`` (a path pasted from Windows) was told ``did you mean
    r.ndjson?``, another file, alike in the current directory; d/r.ndjson was meant."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "r.ndjson").write_bytes(RECORDS)
    (tmp_path / "r.ndjson").write_bytes(b"")  # (the other file, alike by name)
    p = run_main("validate", "sink.json", "d\\r.ndjson", cwd=tmp_path)
    assert p.returncode == 2 and p.err == "mapper: no such file: d\\r.ndjson (did you mean d/r.ndjson? directories are separated by /, not \\)\n", p.err


# ---------------------------------------------------------------------------------------
# 6. send's checkpoint and dead letters, made in Python, are outputs as the command's are


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="a link of another user's is made by root alone")
def test_send_s_checkpoint_and_dead_letters_refuse_another_user_s_link_from_python(tmp_path: Path) -> None:
    """The command's --checkpoint and --rejects were refused as another user's link in /tmp (check_output),
    but a SendRun made in Python (its Checkpoint, its dead letters) followed one: the checkpoint
    renamed over its target, a file of this user's anywhere, the dead letters appended to it."""
    from mapper.errors import InputError
    from mapper.send import Checkpoint, _DeadLetters

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    for name in ("c.json", "bad.ndjson"):
        link = shared / name
        os.symlink(victim, link)
        os.lchown(link, 12345, 12345)
    with pytest.raises(InputError, match=r"c\.json: it is a symbolic link of another user's in "):
        Checkpoint(str(shared / "c.json")).load()
    with pytest.raises(InputError, match=r"bad\.ndjson: it is a symbolic link of another user's in "):
        _DeadLetters(str(shared / "bad.ndjson"), append=True)
    assert victim.read_text() == "mine\n" and sorted(os.listdir(tmp_path)) == ["shared", "victim.txt"]
    own = shared / "own.json"  # (this user's own link: followed, as ever)
    os.symlink(tmp_path / "own-target.json", own)
    checkpoint = Checkpoint(str(own))
    assert checkpoint.load() is None
    checkpoint.release()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="a link of another user's is made by root alone")
def test_serve_s_database_refuses_another_user_s_link(tmp_path: Path) -> None:
    """``mapper serve --db /tmp/fb.db`` (the README's) where another user made /tmp/fb.db a link:
    SQLite reads the link itself and opened its target, making a database wherever it pointed."""
    from mapper.endpoint import ServiceError
    from mapper.store import Store

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    link = shared / "fb.db"
    os.symlink(tmp_path / "elsewhere.db", link)
    os.lchown(link, 12345, 12345)
    with pytest.raises(ServiceError, match=r"cannot open the database .*fb\.db: it is a symbolic link of another user's in "):
        Store(str(link))
    assert not (tmp_path / "elsewhere.db").exists()
    own = shared / "own.db"  # (this user's own link: followed, as ever)
    os.symlink(tmp_path / "own-target.db", own)
    Store(str(own)).close()
    assert (tmp_path / "own-target.db").exists()


# ---------------------------------------------------------------------------------------
# 7. the dead letters' claim file is a regular file only, as the checkpoint's lock is


def test_the_dead_letters_claim_is_never_a_fifo_or_a_link(tmp_path: Path) -> None:
    """``send --rejects /tmp/bad.ndjson``: any user may make ``/tmp/.bad.ndjson.claim`` first. The
    checkpoint's lock was opened as a regular file only (O_NOFOLLOW, O_NONBLOCK), the claim was
    not: a link's target (a file of this user's anywhere, where no fs.protected_symlinks stops it:
    macOS, many containers) was emptied and written ``{"checkpoint": null}``, and a FIFO was opened,
    locked and let go a hundred times over, the letters left unclaimed without a word."""
    from mapper.errors import InputError
    from mapper.send import _RejectsClaim

    claim = tmp_path / ".bad.ndjson.claim"
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    os.symlink(victim, claim)
    with pytest.raises(InputError, match=r"\.bad\.ndjson\.claim: it is a symbolic link"):
        _RejectsClaim(str(tmp_path / "bad.ndjson"), None)
    assert victim.read_text() == "mine\n"
    claim.unlink()
    os.mkfifo(claim)
    with pytest.raises(InputError, match=r"\.bad\.ndjson\.claim: it is not a regular file"):
        _RejectsClaim(str(tmp_path / "bad.ndjson"), None)
    claim.unlink()
    made = _RejectsClaim(str(tmp_path / "bad.ndjson"), None)  # (none there: made, a regular file)
    assert made.fh is not None and claim.read_bytes() == b'{"checkpoint": null}'
    made.release(keep=False)
    assert not claim.exists()


# ---------------------------------------------------------------------------------------
# 8. send whose standard output is an input is refused, as validate is


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--dry-run"], "--dry-run writes the bodies to standard output, which is redirected to {records}, an input: write them elsewhere"),
        (
            ["--report", "json", "--endpoint", "http://127.0.0.1:9/x"],
            "--report json writes the report to standard output, which is redirected to {records}, an input: write it elsewhere",
        ),
        (
            ["--endpoint", "http://127.0.0.1:9/x"],
            "standard output is redirected to {records}, an input (a > empties it before the run starts): redirect it elsewhere",
        ),
    ],
)
def test_send_whose_standard_output_is_an_input_is_refused(
    tmp_path: Path, extra: list[str], said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``send SINK r.ndjson --dry-run > r.ndjson``: the shell had emptied the records and send said
    "0 records read ... 0 would be sent", exit 0 (validate's same case was refused in stop 54).
    Standard output appended to the records here (``>>``), to see that nothing reads or sends them."""
    import sys

    from mapper import cli

    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    records = tmp_path / "r.ndjson"
    records.write_bytes(RECORDS)
    saved = os.dup(1)
    try:
        fd = os.open(records, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 1)
        os.close(fd)
        monkeypatch.setattr("sys.stdout", open(1, "w", closefd=False))  # noqa: SIM115 - as Python's own over descriptor 1
        code = cli.main(["send", str(tmp_path / "sink.json"), str(records), *extra])
        sys.stdout.flush()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    assert code == 2
    assert capsys.readouterr().err == f"mapper send: {said.format(records=records)}\n"
    assert records.read_bytes() == RECORDS
