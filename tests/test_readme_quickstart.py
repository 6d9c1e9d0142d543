"""The README's quick start: the output it shows is what its four commands print, on the example shipped
in the repository (infer's notes changed at stop 57 and the README went on showing the old ones)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _blocks() -> tuple[list[str], str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text[text.index("## Quick start") :]
    commands = re.search(r"```sh\n(.*?)```", quick, re.S)
    shown = re.search(r"```\n(.*?)```", quick[commands.end() :] if commands else "", re.S)
    assert commands and shown, "the quick start's commands and their output are two code blocks"
    return [line.split("#")[0].strip() for line in commands.group(1).splitlines() if line.strip()], shown.group(1)


def test_the_quick_starts_output_is_what_its_commands_print(tmp_path: Path) -> None:
    commands, shown = _blocks()
    assert [c.split()[:2] for c in commands] == [["mapper", "check"], ["mapper", "validate"], ["mapper", "map"], ["mapper", "infer"]]
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # (map writes out.npz where it runs: here, not in the repository)
    env = {**os.environ, "COLUMNS": "200"}
    printed = []
    for command in commands:
        argv = command.split()
        argv = [a for a in argv[: argv.index(">")]] if ">" in argv else argv
        run = subprocess.run([sys.executable, "-m", "mapper", *argv[1:]], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 0, (command, run.stderr)
        # what the README shows of each: check's and validate's reports (stdout), map's and infer's summary and notes (stderr)
        printed.append(run.stdout if argv[1] in ("check", "validate") else run.stderr)
    assert "".join(printed) == shown
