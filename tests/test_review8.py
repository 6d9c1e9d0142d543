"""Review 8: what a review of the changes after 50d3cf6 found (no Spark job runs here)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.test_spark import EXAMPLE_RECORDS, EXAMPLE_SINK


class _Reached(Exception):
    """Raised when validate_files first touches the Spark session: its argument checks passed."""


class _Context:
    @property
    def _jvm(self) -> Any:
        raise _Reached


class _Session:
    sparkContext = _Context()


class _BytesPath(os.PathLike):  # type: ignore[type-arg]
    def __init__(self, path: Path) -> None:
        self.path = path

    def __fspath__(self) -> bytes:
        return os.fsencode(self.path)


def test_validate_files_takes_an_output_pathlike_of_bytes_as_it_takes_the_paths(tmp_path: Path) -> None:
    # paths are os.fsdecode'd (_path_list); the output was os.fspath'd, bytes then reaching
    # str code (check_output) as a TypeError traceback
    pytest.importorskip("pyspark")
    from mapper.spark import validate_files

    with pytest.raises(_Reached):
        validate_files(_Session(), EXAMPLE_SINK, [str(EXAMPLE_RECORDS)], _BytesPath(tmp_path / "out"))
