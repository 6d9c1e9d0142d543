"""The ``mapper`` command line: check, validate, map, explain, infer, bench, spark-validate.

The CLI adds no mapping logic of its own: it reads, streams, reports and writes.
Exit codes: 0 success (valid sink, accepted batch), 1 the batch would be rejected,
2 usage errors, unreadable input or an invalid sink.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Sequence

from ._version import __version__
from .bench import add_bench_parser, cmd_bench
from .commands import EXIT_USAGE, cmd_check, cmd_explain, cmd_map, cmd_validate
from .infer import add_infer_parser, cmd_infer
from .spark import add_spark_parser, cmd_spark_validate

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

    add_infer_parser(sub)
    add_bench_parser(sub, _shared_options)
    add_spark_parser(sub)
    return parser


def _shared_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--on-error",
        choices=("endpoint", "reject", "skip"),
        default="endpoint",
        help="endpoint (default): refuse a bad record alone, as the endpoint does (a missing value under allow_missing_fields false discards the batch); "
        "reject: any bad record discards the batch; skip: keep the good records (with --max-errors)",
    )
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
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


_COMMANDS = {
    "check": cmd_check,
    "explain": cmd_explain,
    "validate": cmd_validate,
    "map": cmd_map,
    "infer": cmd_infer,
    "bench": cmd_bench,
    "spark-validate": cmd_spark_validate,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
