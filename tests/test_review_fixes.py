"""Fixes found reviewing the changes since 752cf67: each a case that failed before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mapper.cli import main

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_like_input_with_a_field_past_the_csv_modules_limit_is_no_traceback(tmp_path, capsys):
    # (the csv module refuses a field over 128 KiB, "field larger than field limit": its csv.Error
    # escaped the CSV note as a traceback, from validate and from the API's explained failures)
    path = tmp_path / "r.csv"
    big = "a" * 200_000
    path.write_text(f'name,text\nx,"{big}"\ny,"{big}"\n')
    code, out, err = cli(capsys, "validate", SINK, path)
    assert code == 1, err
    assert "Traceback" not in err and "invalid_json" in out, err
