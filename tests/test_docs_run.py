"""The reference pages held to the code: every option of every command is in docs/cli.md, and
docs/python-api.md names every public name with the signature the code has (a docs run)."""

from __future__ import annotations

import argparse
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
CLI = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
API = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _sections() -> dict[str, str]:
    """docs/cli.md's section of each command (``## mapper NAME`` up to the next ``## ``)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^## mapper (\S+)\n(.*?)(?=^## )", CLI, re.S | re.M)}


#: the section whose options every command that maps records takes, by reference
SHARED = CLI[CLI.index("## Options of validate and map") :]


def _named(option: str, text: str) -> bool:
    return re.search(re.escape(option) + r"(?![\w-])", text) is not None


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_option_of_the_command_is_in_docs_cli(command: str) -> None:
    # send's options (--retries, --dry-run, ...) and serve's --token-env, --records-per-s,
    # --bytes-per-s and --no-ui were in docs/send-serve.md only, not in the reference
    section = _sections().get(command)
    assert section is not None, f"docs/cli.md has no '## mapper {command}' section"
    missing = []
    for action in _commands()[command]._actions:
        if action.help == argparse.SUPPRESS:  # (spark-validate's --records-path: named only to refuse it)
            continue
        for option in action.option_strings:
            if option in ("-h", "--help") or _named(option, section):
                continue
            if command != "serve" and _named(option, SHARED):  # (the identity and policy options, -q ...)
                continue
            missing.append(option)
    assert not missing, f"mapper {command}: {missing} not in docs/cli.md"


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_option_docs_cli_names_for_the_command_exists(command: str) -> None:
    section = _sections()[command]
    own = {o for a in _commands()[command]._actions for o in a.option_strings}
    others = {"--rejects", "--sink", "--data"}  # (validate's, and benchmarks.run's, named for comparison)
    named = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", section))
    assert named - own - others == set()


class _Shown:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _shown(obj: Any) -> str:
    """``(a, *, b=1)``: the signature without annotations, a function default by its name (``time.monotonic``)."""
    signature = inspect.signature(obj)
    params = []
    for p in signature.parameters.values():
        if p.name == "self":
            continue
        default = p.default
        if inspect.isbuiltin(default) or inspect.isfunction(default) or inspect.ismethod(default):
            module = default.__module__ or type(getattr(default, "__self__", None)).__module__
            default = _Shown(f"{module}.{default.__name__}")
        params.append(p.replace(annotation=inspect.Parameter.empty, default=default))
    return str(signature.replace(parameters=params, return_annotation=inspect.Signature.empty))


PUBLIC = API[API.index("## Every public name") :] if "## Every public name" in API else ""
SHOWN = re.findall(r"`mapper\.([A-Za-z_]+)(?:\.([a-z_]+))?(\([^`]*\))`", PUBLIC) + re.findall(r"`([A-Z][A-Za-z]+)\.([a-z_]+)(\([^`]*\))`", PUBLIC)


def test_every_public_name_is_in_python_api() -> None:
    # Ack, Body, CheckResult, Column, ColumnConfig, EndpointUnreachable, InferError, InferResult,
    # MapOptions, Problem, SendError, ServiceError, TableSyntaxError and __version__ were named nowhere
    missing = [name for name in mapper.__all__ if not re.search(r"`mapper\." + re.escape(name) + r"[`(]", PUBLIC)]
    assert not missing, missing


def test_every_name_python_api_shows_exists() -> None:
    # (mapper.column, mapper.mapped, mapper.records: keys of the Arrow schema metadata, not names)
    named = set(re.findall(r"(?<![\w/])mapper\.([A-Za-z_]+)", API)) - {"__all__", "column", "mapped", "records"}
    assert named - set(mapper.__all__) == set()
    for name, method, _ in SHOWN:
        assert hasattr(getattr(mapper, name), method or "__call__"), (name, method)


@pytest.mark.parametrize(("name", "method", "shown"), SHOWN, ids=[f"{n}.{m}" if m else n for n, m, _ in SHOWN])
def test_each_signature_python_api_shows_is_the_codes(name: str, method: str, shown: str) -> None:
    obj = getattr(mapper, name)
    if method:
        obj = getattr(obj, method)
    assert shown == _shown(obj)


def test_python_api_shows_the_signatures_of_the_callables() -> None:
    shown = {(n, m) for n, m, _ in SHOWN}
    for name in (
        "load_sink",
        "check_sink",
        "compile_sink",
        "Mapper",
        "concat",
        "read_batch",
        "infer",
        "parse_path",
        "parse_create_table",
        "Batcher",
        "Sender",
        "Store",
    ):
        assert (name, "") in shown, name
    for method in ("map", "validate", "iter_batches", "check"):
        assert ("Mapper", method) in shown, method


@pytest.mark.parametrize("pattern", ["refused/*.txt", "*/*.txt", "refused/part-*.txt", "*/part-*-c000.*"])
def test_spark_validate_refuses_a_glob_reading_the_refused_files_it_writes(tmp_path: Path, pattern: str) -> None:
    # docs/spark.md's run: `head -c 341 out/refused/part-00000-*.json`, but Spark's text writer
    # names them part-00000-<uuid>-c000.txt; check_output_apart knew only the .json name, so a
    # second run reading OUT/refused/*.txt into OUT (with --overwrite: removing its own input)
    # was let through
    from mapper.spark import check_output_apart

    out = tmp_path / "out"
    with pytest.raises(mapper.OutputError, match="reads it"):
        check_output_apart(str(out), [str(out / pattern)])
    check_output_apart(str(out), [str(out / "refused" / "*.ndjson")])  # matches nothing spark-validate writes


def test_each_survivor_mutation_survivors_applies_is_in_the_code_once() -> None:
    # docs/testing.md: `python tests/mutation_survivors.py` checks each survivor issue 12 listed
    # against its test; three of them said GONE (the code they mutate was rewritten: max_errors'
    # allowance, the primary key loop's indent, CustomUnit's zero and negative cases split), so
    # the command exited 1 and those survivors were checked against nothing
    import importlib.util

    spec = importlib.util.spec_from_file_location("mutation_survivors", ROOT / "tests" / "mutation_survivors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    gone = [(name, rel) for name, rel, old, _new, _test in module.SURVIVORS if (ROOT / rel).read_text(encoding="utf-8").count(old) != 1]
    assert not gone, gone
