"""The ``mapper`` command line: check, validate, map, explain, infer, bench.

The CLI adds no mapping logic of its own: it reads, streams, reports and writes.
Exit codes: 0 success (valid sink, accepted batch), 1 the batch would be rejected,
2 usage errors, unreadable input or an invalid sink.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from . import __version__
from .errors import InputError, Problem
from .sink import CheckResult, Sink, check_sink

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
SINK_HELP = "sink definition file: the POST /v1/sinks body, its schema, a definition array, or a UI table mapping"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with a short usage line, as argparse does, but via our printer
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _identity_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("identity and policy (for a bare definition array, or to override)")
    g.add_argument("--id-field", metavar="COLUMN", help="the column whose value is the record's _id")
    g.add_argument(
        "--primary-key-fields",
        metavar="COLUMNS",
        help="comma-separated columns joined with | into a string _id",
    )
    g.add_argument("--allow-missing-fields", dest="allow_missing", action="store_true", default=None, help="store records with missing values as nulls")
    g.add_argument("--no-allow-missing-fields", dest="allow_missing", action="store_false", help="a missing value rejects the whole batch")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mapper",
        description="Map and validate JSON records the way a FeatureBase ingest endpoint (sink) does.",
    )
    parser.add_argument("--version", action="version", version=f"mapper {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("check", help="check a sink definition and print every problem")
    p.add_argument("sink", metavar="SINK", help=SINK_HELP)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    _identity_options(p)

    p = sub.add_parser("explain", help="print the generated accessor source of a sink")
    p.add_argument("sink", metavar="SINK", help=SINK_HELP)
    _identity_options(p)

    for name, helptext in (
        ("validate", "pre-validate records as the endpoint would (exit 0 accepted, 1 rejected)"),
        ("map", "map records into columns and write them"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("sink", metavar="SINK", help=SINK_HELP)
        p.add_argument("records", metavar="RECORDS", nargs="*" if name == "validate" else "+", help="record files, '-' for stdin (default: stdin)")
        if name == "validate":
            p.add_argument("--report", choices=("text", "json", "endpoint"), default="text", help="report format (default: text)")
        else:
            p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file: .npz, .ndjson, .parquet, .arrow; '-' for NDJSON rows on stdout")
        _shared_options(p)

    from .bench import add_bench_parser
    from .infer import add_infer_parser

    add_infer_parser(sub)
    add_bench_parser(sub, _shared_options)
    return parser


def _shared_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--on-error", choices=("reject", "skip"), default="reject", help="reject the batch on any bad record (default), or skip bad records")
    p.add_argument("--max-errors", metavar="N|N%", help="with --on-error skip: reject once more than N records (or N%% of them) fail")
    p.add_argument("--rejects", metavar="FILE", help="write rejected records (index, line, errors, raw text) as NDJSON")
    p.add_argument("--input-format", choices=("auto", "ndjson", "json", "endpoint"), default="auto", help="input format (default: detected)")
    p.add_argument("--strict", action="store_true", help="values the endpoint would store differently are errors, not warnings")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no report on stderr")
    _identity_options(p)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _COMMANDS[args.command](args)
    except BrokenPipeError:  # e.g. `mapper map ... -o - | head`
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:  # pragma: no cover
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------------------------------
# Loading the sink


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    pk = None
    if getattr(args, "primary_key_fields", None):
        pk = [p.strip() for p in args.primary_key_fields.split(",") if p.strip()]
    return {
        "id_field": getattr(args, "id_field", None),
        "primary_key_fields": pk,
        "allow_missing_fields": getattr(args, "allow_missing", None),
    }


def _check(args: argparse.Namespace) -> CheckResult:
    return check_sink(args.sink, **_overrides(args))


def load_cli_sink(args: argparse.Namespace, quiet: bool = False) -> Sink | None:
    """Load the sink for a command; print its errors and return None when it is invalid."""
    result = _check(args)
    if result.sink is None:
        print(f"mapper: invalid sink {args.sink}:", file=sys.stderr)
        _print_problems(result.problems, sys.stderr, only_errors=True)
        return None
    if not quiet:
        warnings = [p for p in result.problems if p.severity == "warning"]
        if warnings:
            print(f"mapper: {len(warnings)} warning(s) about {args.sink} (see: mapper check {args.sink})", file=sys.stderr)
    return result.sink


def _print_problems(problems: Sequence[Problem], out: Any, only_errors: bool = False) -> None:
    for p in problems:
        if only_errors and p.severity != "error":
            continue
        where = p.pointer or "(document)"
        first, *rest = p.message.split("\n")
        print(f"  {p.severity}: {where}: {first}", file=out)
        for line in rest:
            print(f"      {line}", file=out)


# ---------------------------------------------------------------------------------------
# Commands


def cmd_check(args: argparse.Namespace) -> int:
    result = _check(args)
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return EXIT_OK if result.valid else EXIT_USAGE
    if result.valid and result.sink is not None:
        print(f"ok: {result.sink.summary()}")
        if result.problems:
            _print_problems(result.problems, sys.stdout)
        return EXIT_OK
    errors = len(result.errors)
    warnings = len(result.warnings)
    print(f"invalid: {args.sink}: {errors} error(s), {warnings} warning(s)")
    _print_problems(result.problems, sys.stdout)
    return EXIT_USAGE


def cmd_explain(args: argparse.Namespace) -> int:
    sink = load_cli_sink(args, quiet=True)
    if sink is None:
        return EXIT_USAGE
    from .compiler import compile_sink

    m = compile_sink(sink)
    print(f"# {m.filename}")
    print(f"# {sink.summary()}")
    if m.fast_unavailable:
        print(f"# fast path off: {m.fast_unavailable}")
    print(m.source, end="")
    return EXIT_OK


def _max_errors(text: str | None) -> int | float | None:
    if text is None:
        return None
    t = text.strip()
    try:
        if t.endswith("%"):
            value = float(t[:-1]) / 100.0
            if not 0 <= value < 1:
                raise ValueError
            return value
        n = int(t)
        if n < 0:
            raise ValueError
        return n
    except ValueError:
        raise InputError(f"--max-errors takes a count (10) or a percentage below 100 (5%), not {text!r}") from None


def cmd_validate(args: argparse.Namespace) -> int:
    from .run import run_validate

    return run_validate(args)


def cmd_map(args: argparse.Namespace) -> int:
    from .run import run_map

    return run_map(args)


def cmd_infer(args: argparse.Namespace) -> int:
    from .infer import run_infer

    return run_infer(args)


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    return run_bench(args)


_COMMANDS = {
    "check": cmd_check,
    "explain": cmd_explain,
    "validate": cmd_validate,
    "map": cmd_map,
    "infer": cmd_infer,
    "bench": cmd_bench,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
