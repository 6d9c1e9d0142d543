"""The ``mapper`` command line: check, validate, map, explain, infer, bench, send, serve, spark-validate.

The CLI adds no mapping logic of its own: it reads, streams, reports and writes.
Exit codes: 0 success (a valid sink; every record would be stored), 1 at least one
record would be refused, 2 usage errors, unreadable input, unwritable output or an
invalid sink. Options may come before or after the files; every argument after ``--``
is a file.
"""

from __future__ import annotations

import argparse
import ast
import errno
import importlib
import io
import os
import re
import shlex
import signal
import sys
import threading
from typing import Any, Callable, Sequence

from . import _start
from ._start import Terminated
from ._version import DISTRIBUTION, __version__
from .commands import EXIT_USAGE, ReaderGone, field_option, fields_option, file_name, integer, unicode_values
from .errors import InputError, MapperError, closest, escape_controls, shown_name, suggest
from .options import INPUT_FORMATS
from .writers import remove_left_temps, write_whole

SINK_HELP = "sink definition file: the POST /v1/sinks body, its schema, a definition array, or a UI table mapping; - reads it from standard input"


class _Probe(Exception):
    """A parser's error while :meth:`_Parser._positionals_missing` parses again (not said: that parse only asks)."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # An option is its whole name: with prefixes taken (argparse's default), `--o skip` was
        # --on-error in validate but ambiguous in map, and a prefix a script relies on changes
        # meaning, or stops working, when an option it also begins is added.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        # Every option of every command is made here or by a group of this parser (below): its
        # type refuses a value holding a byte that is not UTF-8, through argparse's public door
        # for a value's text (this replaced an override of ArgumentParser._get_value, which a
        # Python changing argparse's internals could silently skip; tests/test_small5.py holds
        # every option to the message).
        return unicode_values(super().add_argument(*args, **kwargs))

    def add_argument_group(self, *args: Any, **kwargs: Any) -> Any:
        return _unicode_group(super().add_argument_group(*args, **kwargs))

    def add_mutually_exclusive_group(self, **kwargs: Any) -> Any:
        return _unicode_group(super().add_mutually_exclusive_group(**kwargs))

    #: The arguments :func:`_intermixed` is parsing (those after ``--`` marked), for :meth:`_unknown`.
    given: Sequence[str] = ()

    #: Set while :meth:`_positionals_missing` parses the arguments again: an error is raised, not said.
    _probing = False

    def error(self, message: str) -> Any:  # exit 2 with a short usage line, as argparse does, but via our printer
        if self._probing:
            raise _Probe(message)
        self.print_usage(sys.stderr)
        message = self._required(message.replace(_AFTER_DASHES, ""))
        said = message + self._near_miss(message) + self._unknown(message) + self._dash_value(message)
        print(f"{self.prog}: error: {escape_controls(said)}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)

    def print_help(self, file: Any = None) -> None:
        """argparse's, but an error writing standard output is raised, for :func:`_help_written` to say (argparse
        dropped it: ``mapper --help > /dev/full`` said nothing, exit 0). The version is short: its flush fails there."""
        (file or sys.stdout).write(self.format_help())

    def _dash_value(self, message: str) -> str:
        """For an option's value taken for an option (``--max-errors -5%``, ``-o -x.npz``: "expected
        one argument", the value there), how to give it: ``--max-errors=-5%``. Else ``""`` (the
        next word an option of this command: the value left out)."""
        m = _EXPECTED_ONE.match(message)
        if m is None:
            return ""
        names = m.group(1).split("/")
        known = {o for a in self._actions for o in a.option_strings}
        for word, value in zip(self.given, self.given[1:]):
            if word in names and value.startswith("-") and len(value) > 1 and value.split("=", 1)[0] not in known:
                spelt = next((n for n in names if n.startswith("--")), names[0])
                return f" ({value} is taken for an option: a value beginning with '-' is written {spelt}={value})"
        return ""

    def _unknown(self, message: str) -> str:
        """With a required option missing, the unknown options given (``--ouput=out.npz``), which
        argparse names only once every required one is there: the one meant was typed, misspelt,
        and the message ("required: -o/--output") said nothing of it. Else ``""``."""
        if not message.startswith("the following arguments are required: "):
            return ""
        known = {o for a in self._actions for o in a.option_strings}
        unknown = [w for w in self.given if _OPTION_LIKE.match(w) and w.split("=", 1)[0] not in known]
        if not unknown:
            return ""
        said = f"unrecognized arguments: {' '.join(unknown)}"
        return f"; {said}{self._near_miss(said)}"

    def _near_miss(self, message: str) -> str:
        """`` (did you mean '--records-path'?)`` for an unknown option (``--record-path``) or a
        value not among an argument's choices (a command, ``valdiate``) close to one; else ``""``.
        (argparse of Python < 3.14 suggests none, and 3.14's none for options.)"""
        head = "unrecognized arguments: "
        if message.startswith(head):
            options = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
            found, elsewhere = [], []
            words = message[len(head) :].split(" ")
            for word in words:
                name = word.split("=", 1)[0]
                # (another command's own option first: bench's --report is validate's, not a misspelt --repeat)
                if name.startswith("-") and len(name) > 1 and (whose := self._whose(name)):
                    elsewhere.append(f" ({whose})")
                elif name.startswith("--") and len(name) > 2 and (hint := closest(name, options, cutoff=0.75)):
                    found.append((hint, name))
            this = self.prog.rsplit(" ", 1)[-1]
            if this in ("check", "explain") and not words[0].startswith("-"):
                elsewhere.append(f" ({this} takes one SINK: records are checked by mapper validate SINK RECORDS)")
            said = "".join(elsewhere) + self._before_command(words)
            if len(found) == 1:
                return f" (did you mean {found[0][0]!r}?){said}"
            return (f" (did you mean {', '.join(f'{hint!r} for {name}' for hint, name in found)}?)" if found else "") + said
        m = _INVALID_CHOICE.match(message)
        if m is None:
            return ""
        action = next((a for a in self._actions if m.group(1) == ("/".join(a.option_strings) or a.metavar or a.dest)), None)
        if action is None or not action.choices:
            return ""  # pragma: no cover - argparse names the argument it refused
        try:
            value = ast.literal_eval(m.group(2))
        except (ValueError, SyntaxError):  # pragma: no cover - argparse writes the value's repr
            return ""
        choices = [str(c) for c in action.choices]
        if isinstance(value, str) and _SYNONYMS.get(value.lower()) in choices:
            return f" (did you mean {_SYNONYMS[value.lower()]!r}?)"
        return suggest(value, choices)

    def _before_command(self, words: list[str]) -> str:
        """`` (options go after the command: mapper validate -q ...)`` for a command's options given
        before it (``mapper -q validate``), which the top level, taking none, calls unrecognized; else ``""``."""
        if self.prog != "mapper":
            return ""
        command = next((i for i, w in enumerate(self.given) if w in _COMMANDS), None)
        moved = [w for w in self.given[:command] if w in words and _OPTION_LIKE.match(w)] if command is not None else []
        return f" (options go after the command: mapper {self.given[command]} {' '.join(moved)} ...)" if moved and command is not None else ""

    def _whose(self, option: str) -> str:
        """Which other commands take ``option`` (``-o`` given to validate is map's), said as a hint; else ``""``.
        Only on the error path: the other commands' parsers are built here."""
        this = self.prog.rsplit(" ", 1)[-1]
        if this == "infer" and option in ("-o", "--output"):
            return "infer prints the draft on standard output: mapper infer RECORDS > draft.json"
        owners = [
            name
            for name in _OFTEN_CONFUSED
            if name != this and any(option in a.option_strings for a in build_parser(name).get_default("commands")[name]._actions)
        ]
        return f"{option} is an option of {', '.join(owners)}, not of {this}" if owners and this in _OFTEN_CONFUSED else ""

    def _required(self, message: str) -> str:
        """parse_intermixed_args calls optional positionals (RECORDS of ``validate``) required: name only the required ones."""
        head = "the following arguments are required: "
        if not message.startswith(head):
            return message
        optional = {a.metavar or a.dest for a in self._actions if not a.option_strings and a.nargs in ("*", "?")}
        names = [n for n in message[len(head) :].split(", ") if n not in optional]
        if names and all(n.startswith("-") for n in names) and not self._probing:
            names = self._positionals_missing() + names
        return head + ", ".join(names) if names else message

    def _positionals_missing(self) -> list[str]:
        """The positional arguments missing beside a required option argparse names alone: parse_intermixed_args
        checks the options first and the positionals only once those are there (``mapper map`` was told
        ``required: -o/--output``, and, given it, then ``SINK``). The arguments parsed again by a new parser of the
        command (this one's positionals are switched off while its options are parsed), its options not required;
        ``[]`` when nothing else is missing, or another error stops it. Only on the error path."""
        this = self.prog.rsplit(" ", 1)[-1]
        if this not in _COMMANDS:
            return []
        fresh = build_parser(this).get_default("commands")[this]
        fresh._probing = True
        for action in fresh._actions:
            if action.option_strings:
                action.required = False
        head = "the following arguments are required: "
        try:
            fresh.parse_intermixed_args(list(self.given))
        except _Probe as probe:
            said = str(probe)
            optional = {a.metavar or a.dest for a in fresh._actions if not a.option_strings and a.nargs in ("*", "?")}
            return [n for n in said[len(head) :].split(", ") if not n.startswith("-") and n not in optional] if said.startswith(head) else []
        return []


#: The commands whose options are given to one another (validate's --report to map, map's -o to
#: validate, validate's --report to bench): an unknown option of one is looked up in the others
#: (send, serve and spark-validate, whose modules are heavier to import, are left out).
_OFTEN_CONFUSED = ("check", "explain", "validate", "map", "infer", "bench")

#: Other names of a choice, which a spelling's near miss would not find (``jsonl`` is nearest ``json``).
_SYNONYMS = {"jsonl": "ndjson", "jsonlines": "ndjson", "json-lines": "ndjson", "ldjson": "ndjson"}

#: A word that is an option's name (``--ouput``, ``-O``), not a negative number or ``-``.
_OPTION_LIKE = re.compile(r"--[^-=]|-[A-Za-z]")

#: argparse's words for an option given without its value: the option's names.
_EXPECTED_ONE = re.compile(r"argument (\S+): expected one argument$")

#: argparse's words for a value not among an argument's choices: the argument's name, the value's repr.
_INVALID_CHOICE = re.compile(r"argument (.+?): invalid choice: ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _unicode_group(group: Any) -> Any:
    """An argument group whose options refuse a value that is not UTF-8, as the parser's own
    (a group's ``add_argument`` is not the parser's: it is wrapped here, once, where the group is made)."""
    add = group.add_argument

    def add_argument(*args: Any, **kwargs: Any) -> argparse.Action:
        return unicode_values(add(*args, **kwargs))

    group.add_argument = add_argument
    return group


def _identity_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("identity and policy (for a bare definition array, or to override)")
    g.add_argument("--id-field", type=field_option, metavar="COLUMN", help="the column whose value is the record's _id")
    g.add_argument(
        "--primary-key-fields",
        type=fields_option,
        metavar="COLUMNS",
        help="comma-separated columns joined with | into a string _id",
    )
    g.add_argument(
        "--allow-missing-fields",
        dest="allow_missing",
        action="store_true",
        default=None,
        help="store records lacking a mapped value (the seed's 'as nulls': the value is left alone; a missing bool is cleared)",
    )
    g.add_argument("--no-allow-missing-fields", dest="allow_missing", action="store_false", help="a missing value rejects the whole batch")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (``only``) the top level and that one command: the
    modules of the others (http.client and ssl, sqlite3, the web pages, Spark's helpers)
    are not imported by a run that does not use them."""
    parser = _Parser(
        prog="mapper",
        description="Map and validate JSON records the way a FeatureBase ingest endpoint (sink) does.",
    )
    parser.add_argument("--version", action="version", version=f"mapper {__version__} (pip install {DISTRIBUTION})")
    sub = unicode_values(parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser))
    parser.set_defaults(commands=sub.choices)
    for name, (add, _module, _function) in _COMMANDS.items():
        if only is None or name == only:
            add(sub)
    return parser


def _add_check(sub: Any) -> None:
    p = sub.add_parser("check", help="check a sink definition and print every problem")
    p.add_argument("sink", metavar="SINK", type=file_name, help=SINK_HELP)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    _identity_options(p)


def _add_explain(sub: Any) -> None:
    p = sub.add_parser("explain", help="print the generated accessor source of a sink (its warnings, as check gives them, as comments)")
    p.add_argument("sink", metavar="SINK", type=file_name, help=SINK_HELP)
    _identity_options(p)


def _add_records_command(sub: Any, name: str, helptext: str) -> None:
    p = sub.add_parser(name, help=helptext)
    p.add_argument("sink", metavar="SINK", type=file_name, help=SINK_HELP)
    p.add_argument(
        "records",
        metavar="RECORDS",
        nargs="*",
        type=file_name,
        help="record files (NDJSON, JSON array, endpoint body; gzip, bzip2, xz ok), '-' for stdin (named once); none: stdin (on a terminal, mapper says it is reading it)",
    )
    if name == "validate":
        p.add_argument("--report", choices=("text", "json", "endpoint"), default="text", help="report format (default: text)")
    else:
        p.add_argument(
            "-o",
            "--output",
            required=True,
            type=file_name,
            metavar="OUT",
            help="output file: .npz, .ndjson, .parquet, .arrow; '-' for NDJSON rows on stdout; /dev/null: none kept",
        )
    _report_options(p)
    _shared_options(p, quiet="its text report is its verdict line" if name == "validate" else "the report on stderr is left out")


def _from(module: str, name: str) -> Any:
    """``name`` of ``mapper.<module>``, imported when a command needs it."""
    return getattr(importlib.import_module(f".{module}", __package__), name)


def _report_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("the text report")
    g.add_argument(
        "--group",
        choices=("column", "record"),
        help="column (default): errors and warnings grouped by column and code, with counts; record: each record's errors and warnings together",
    )
    g.add_argument(
        "--examples", type=integer, metavar="N", help="examples per group (default 3), or records listed with --group record (default 10); 0: counts only"
    )
    g.add_argument(
        "--ignore-warning",
        action="append",
        metavar="KIND",
        help="leave warnings of this kind out of the report, only counted (repeatable or comma-separated; all: every kind); --strict errors stay",
    )


def _shared_options(p: argparse.ArgumentParser, rejects: bool = True, quiet: str = "") -> None:
    p.add_argument(
        "--on-error",
        choices=("endpoint", "reject", "skip"),
        default="endpoint",
        help="endpoint (default): refuse a bad record alone, as the endpoint does (a missing value under allow_missing_fields false discards the batch); "
        "reject: any bad record discards the batch; skip: keep the good records (with --max-errors)",
    )
    p.add_argument(
        "--max-errors", metavar="LIMIT", help="with --on-error skip: discard the batch once more than LIMIT records fail (a count, 10, or a percentage, 5%%)"
    )
    if rejects:
        p.add_argument("--rejects", type=file_name, metavar="FILE", help="write rejected records (index, line, errors, raw text) as NDJSON")
    p.add_argument("--input-format", choices=INPUT_FORMATS, default="auto", help="input format (default: detected)")
    p.add_argument(
        "--records-path",
        metavar="PATH",
        help='the records are the array at PATH of each JSON document (aircraft for dump1090\'s {"now": ..., "aircraft": [...]}; data.items)',
    )
    p.add_argument("--strict", action="store_true", help="values the endpoint would store differently are errors, not warnings")
    p.add_argument(
        "--workers", type=integer, default=1, metavar="N", help="worker processes (default 1; needs one regular file: otherwise one process is used)"
    )
    p.add_argument(
        "--max-record-size",
        metavar="BYTES",
        help="a record longer than this is refused (code too_large) and reading goes on (default 16M; suffixes K, M, G)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="nothing on stderr (no progress bar or notes)" + (f"; {quiet}" if quiet else ""))
    _identity_options(p)


#: Marks an argument given after ``--`` (no command-line argument can hold a NUL).
_AFTER_DASHES = "\0"


def _intermixed(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Options anywhere, and every argument after the first ``--`` a positional (a file named ``-w.ndjson``).

    ``parse_intermixed_args`` mishandles ``--`` before positionals with ``nargs="+"`` (Python
    3.11: ``infer -- -w.ndjson`` is "RECORDS required"), so the arguments after it are handed
    to it marked (starting with a NUL, none looks like an option), and unmarked afterwards.
    """
    if "--" in argv:
        at = argv.index("--")
        argv = argv[:at] + [_AFTER_DASHES + a for a in argv[at + 1 :]]
    if isinstance(parser, _Parser):
        parser.given = argv
    long = {o for a in parser._actions for o in a.option_strings if o.startswith("--")}
    for word in argv:  # (a Go-style flag, -output=out.npz: -o with the value 'utput=out.npz', a file so named written)
        if word[:1] == "-" and word[:2] != "--" and f"-{word.split('=', 1)[0]}" in long:
            parser.error(f"{word}: a long option takes two dashes: -{word}")
    args = parser.parse_intermixed_args(argv)
    for name, value in vars(args).items():
        if isinstance(value, str) and value.startswith(_AFTER_DASHES):
            setattr(args, name, value[1:])
        elif isinstance(value, list):
            setattr(args, name, [v[1:] if isinstance(v, str) and v.startswith(_AFTER_DASHES) else v for v in value])
    return args


def _positionals_at(parser: argparse.ArgumentParser, argv: list[str]) -> list[int]:
    """Where the command's positional arguments (SINK, RECORDS) stand in ``argv`` (the command's name
    first), by the parser's options: an option's value, given apart (``-o sink.json``) or joined
    (``-osink.json``, ``--rejects=r.ndjson``), is none, nor the option; every word after ``--`` is one.
    A hint's command that swaps SINK and RECORDS swaps these alone (an option naming the same file
    was swapped with them: ``--rejects r.ndjson`` made ``--rejects sink.json``)."""
    takes = {o: a.nargs != 0 for a in parser._actions for o in a.option_strings}
    at: list[int] = []
    i = 1
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return at + list(range(i + 1, len(argv)))
        if word.startswith("--"):
            i += 2 if "=" not in word and takes.get(word, False) else 1
            continue
        if word.startswith("-") and word != "-":  # (short options: -q, -o OUT, -oOUT, -qo OUT)
            value = False
            for k in range(1, len(word)):
                if takes.get(f"-{word[k]}", False):
                    value = k == len(word) - 1  # (the value is the next word, or the rest of this one)
                    break
            i += 2 if value else 1
            continue
        at.append(i)
        i += 1
    return at


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line's arguments; a command's options may come after its files (``validate SINK FILE --strict``),
    and every argument after ``--`` is a file (``infer -- -w.ndjson``)."""
    # (a path given as a Path, as subprocess.run takes it: argparse read it as text, a TypeError)
    argv = [os.fspath(a) if isinstance(a, os.PathLike) else a for a in (sys.argv[1:] if argv is None else argv)]
    if argv[:1] == ["help"]:  # (git's and pip's way; no command is named help: `mapper help validate` is `mapper validate --help`)
        if len(argv) > 2:  # (`mapper help validate extra` printed validate's help, exit 0, the extra word unsaid; git and pip refuse it)
            extra = argv[2:]
            said = ", ".join(repr(w) for w in extra[:3]) + (f" and {len(extra) - 3:,} more" if len(extra) > 3 else "")
            sys.stderr.write(
                f"usage: mapper help [COMMAND]\nmapper help: error: unrecognized argument{'s' if len(extra) > 1 else ''}: {escape_controls(said)}"
                f" (help takes one COMMAND: mapper help {escape_controls(shlex.quote(argv[1]))})\n"
            )
            raise SystemExit(EXIT_USAGE)
        if len(argv) == 2 and argv[1].startswith("-") and argv[1] not in ("-h", "--help"):  # (`mapper help --strict` printed the top help, exit 0)
            sys.stderr.write(
                f"usage: mapper help [COMMAND]\nmapper help: error: help takes a COMMAND, not an option: {escape_controls(repr(argv[1]))}"
                " (mapper COMMAND --help lists a command's options: mapper validate --help)\n"
            )
            raise SystemExit(EXIT_USAGE)
        argv = [*argv[1:2], "--help"]
    parser = build_parser(argv[0] if argv and argv[0] in _COMMANDS else None)
    commands = parser.get_default("commands")
    if argv and argv[0] in commands:
        args = _intermixed(commands[argv[0]], argv[1:])
        args.command = argv[0]
        args.argv = ["mapper", *argv]  # (what bench --json records as its command: not the host's sys.argv when main(argv) is called)
        args.positionals = [1 + at for at in _positionals_at(commands[argv[0]], argv)]  # (args.argv's SINK and RECORDS, for a hint's command)
        return args
    if isinstance(parser, _Parser):
        parser.given = argv
    args = parser.parse_args(argv)
    if args.command is None:  # a usage error: on stderr, as argparse's own (stdout is for an asked-for --help)
        parser.print_help(sys.stderr)  # the whole help: its list of commands says what to type
        parser.exit(EXIT_USAGE, f"{parser.prog}: error: the following arguments are required: COMMAND\n")
    return args  # pragma: no cover - a known command is handled above


def _help_written(failed: OSError | None = None) -> bool:
    """Whether what ``--help``, ``--version`` or ``mapper help`` printed reached standard output (``failed``: the error
    writing it), flushed here: a failure is said as any command's (``mapper --help > /dev/full`` printed nothing, exit 0:
    argparse drops a write's error, and Python an exit 0's flush error at exit); a closed pipe (``mapper --help | head
    -1``) ends quietly, as a command's output does."""
    try:
        if failed is not None:
            raise failed
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except OSError as exc:
        _quiet_stdout()
        print(f"mapper: cannot write standard output: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _quiet_stdout() -> None:
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
    except OSError:  # pragma: no cover
        pass


#: The process whose command line :func:`main` runs (0 while none: main called by a program
#: keeps its own signals). Its SIGINT and SIGTERM are taken once: see :func:`_settle`.
_owner = 0


def _settle() -> None:
    """The command line's end is settled: its command returned (its code is the exit status),
    or an interruption is being said and cleaned up after. A later SIGINT or SIGTERM is
    ignored to the process's end: one that came in the teardown killed it (exit -2, with a
    traceback from main's last lines, or none once Python had given the signals back),
    after a summary saying the output was written; a second Ctrl-C came through the
    cleanup of the first (a temporary file left) and its "interrupted" line (a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _on_sigint(signum: int, frame: Any) -> None:
    if os.getpid() != _owner:
        # a forked worker (mapper.engine.parallel), which inherits this: its parent, interrupted
        # too by a Ctrl-C (sent to the whole process group), stops it; raised here, where the
        # worker's own handling did not reach (as multiprocessing called it), multiprocessing
        # printed its traceback
        return
    _settle()
    _start.took(signum)  # (what this raises may be lost in a library: the run takes it at its next safe point, _start.interruption_lost)
    raise KeyboardInterrupt


def _on_sigterm(signum: int, frame: Any) -> None:
    if os.getpid() == _owner:
        _settle()
    _start.took(signum)  # (main's process only, main called by a program too: what this raises may be lost, as _on_sigint's)
    raise Terminated


def _on_program_sigint(signum: int, frame: Any) -> None:
    """Python's own Ctrl-C handler, while main called by a program runs a command in its main
    thread: its KeyboardInterrupt, noted as the command line's is (:func:`_on_sigint`), since a
    library may drop it (then a worker killed by the group's Ctrl-C was said as a worker's failure)."""
    _start.took(signum)
    raise KeyboardInterrupt


def _drop_stdout() -> None:
    """Interrupted: nothing more reaches standard output. What its buffer still held was written
    at exit (after the "interrupted" line), and into a full pipe nobody reads that write
    never ended, with SIGINT ignored (:func:`_settle`): standard output is the null device from here."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:  # pragma: no cover - no null device
        pass


class _Closed:
    """Standard input or output whose descriptor is closed (``<&-``, ``>&-``), where Python
    leaves ``sys.stdin`` / ``sys.stdout`` None: reading it is an InputError and writing it an
    OSError, each said in a line (an AttributeError's traceback, exit 1, came out instead,
    which ``validate`` means as records refused)."""

    def __init__(self, name: str):
        self.name = name

    @property
    def buffer(self) -> _Closed:
        return self

    def read(self, *args: Any) -> bytes:
        raise InputError("standard input is closed (no file descriptor 0, as <&- leaves it): nothing to read; name files instead of -")

    read1 = readline = read

    def readinto(self, buffer: Any) -> int:
        self.read()
        return 0  # pragma: no cover - read raised

    def write(self, data: Any) -> int:
        raise OSError(errno.EBADF, "it is closed (no file descriptor 1, as >&- leaves it)")

    def flush(self) -> None:  # (nothing was written: a command that writes no standard output runs as it would)
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, f"standard {'output' if self.name == 'stdout' else 'input'} is closed")


class _Unsaid:
    """Standard error whose descriptor is closed (``2>&-``): what is written to it goes nowhere.
    Python leaves ``sys.stderr`` None, and ``print(..., file=None)`` writes to standard output:
    ``map -o - 2>&-`` ended its rows with the verdict line (no JSON), and a message, a note or
    a progress bar went into what ``-o -`` or ``check`` writes there."""

    @property
    def buffer(self) -> _Unsaid:
        return self

    def write(self, data: Any) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "standard error is closed")


class _Stderr:
    """Standard error as :func:`main` runs a command in the main thread: a write or flush it cannot
    take (``2>/dev/full``, its pipe closed by its reader) ends what is said there, and nothing else,
    as ``2>&-`` does (:class:`_Unsaid`). Nowhere is left to say the error, and the run ends with its
    own exit status: ``mapper bogus 2>/dev/full`` was a traceback nobody saw and exit 1 (records
    refused, to validate's reader), and with the pipe closed exit 0 (taken for standard output's)."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.failed = False

    def write(self, data: Any) -> int:
        if not self.failed:
            try:
                return int(self.stream.write(data))
            except OSError:
                self.failed = True
        return len(data)

    def flush(self) -> None:
        if not self.failed:
            try:
                self.stream.flush()
            except OSError:
                self.failed = True

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...: the stream's own
        return getattr(self.stream, name)


class _Stdout:
    """Standard output as a command writes it (``sys.stdout`` while :func:`main` runs it in the
    main thread; its ``buffer`` too): an OSError its writing raises is kept, so that main says
    ``cannot write standard output`` of that error alone. It said so of any OSError naming no
    file: a fork refused (``--workers`` under ``ulimit -u``), a terminal's read failing."""

    def __init__(self, stream: Any, failed: list[OSError] | None = None):
        self.stream = stream
        self.failed: list[OSError] = [] if failed is None else failed  # (shared with the buffer's)
        self._buffer: _Stdout | None = None

    def raised(self, exc: BaseException) -> bool:
        """Whether ``exc`` came from writing standard output."""
        return any(e is exc for e in self.failed)

    def _kept(self, call: Callable[..., Any], *args: Any) -> Any:
        try:
            return call(*args)
        except OSError as exc:
            self.failed.append(exc)
            raise

    def write(self, data: Any) -> Any:
        return self._kept(self.stream.write, data)

    def writelines(self, lines: Any) -> None:
        self._kept(self.stream.writelines, lines)

    def flush(self) -> None:
        self._kept(self.stream.flush)

    @property
    def buffer(self) -> _Stdout:
        if self._buffer is None:
            self._buffer = _Stdout(self.stream.buffer, self.failed)
        return self._buffer

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...: the stream's own
        return getattr(self.stream, name)


class _WholeWrites(io.RawIOBase):
    """Standard output's raw file (``PYTHONUNBUFFERED=1``, as many container images set it),
    each write taken whole (:func:`mapper.writers.write_whole`): the text stream Python makes
    over it writes through and takes no notice of a write that took part of its bytes (a full
    disk's last ones, a pipe's when a signal comes), and a report lost its tail without a word.
    Still unbuffered, as asked: nothing is held to be flushed, the order with standard error stays."""

    def __init__(self, raw: Any):
        super().__init__()
        self.raw = raw

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        write_whole(self.raw, data)
        return len(data)

    def fileno(self) -> int:
        return int(self.raw.fileno())

    def isatty(self) -> bool:
        return bool(self.raw.isatty())


def _whole(stream: Any) -> Any:
    """``stream`` (standard output), or over a raw file (``PYTHONUNBUFFERED=1``) a text stream
    like it whose every write is taken whole: see :class:`_WholeWrites`. (Closing it leaves the raw file open.)"""
    raw = getattr(stream, "buffer", None)
    if not isinstance(stream, io.TextIOWrapper) or not isinstance(raw, io.RawIOBase) or raw.closed:
        return stream
    try:
        stream.flush()  # (what it holds goes first: Python's own writes through and holds nothing)
    except (OSError, ValueError):
        return stream  # (said by the command's first write, as before)
    return io.TextIOWrapper(_WholeWrites(raw), encoding=stream.encoding, errors=stream.errors, line_buffering=stream.line_buffering, write_through=True)


def _os_error(exc: OSError, out: _Stdout | None) -> int:
    """What main says of an OSError a command let through, and its exit status. Standard
    output's (``out`` kept it; with no ``out``, a closed pipe alone is taken as its): a closed
    pipe ends quietly (``mapper map ... -o - | head``: the reader had what it wanted), another
    is ``cannot write standard output``. Any other is said in the OS's words with the error's
    name (``mapper: Resource temporarily unavailable (EAGAIN)``), and the file it names if any,
    exit 2: where it came from is not known here, and no claim is made."""
    _quiet_stdout()  # (what standard output still holds is not written at exit: the run failed, or it cannot be)
    if isinstance(exc, ReaderGone) or (out.raised(exc) if out is not None else isinstance(exc, BrokenPipeError)):
        if isinstance(exc, BrokenPipeError):
            return exc.status if isinstance(exc, ReaderGone) else 0  # (validate's verdict, check's validity stand)
        print(f"mapper: cannot write standard output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    words = str(exc.strerror or exc)
    name = errno.errorcode.get(exc.errno) if isinstance(exc.errno, int) else None
    where = f"{shown_name(str(exc.filename))}: " if exc.filename else ""
    print(f"mapper: {where}{words}{f' ({name})' if name else ''}", file=sys.stderr)
    return EXIT_USAGE


#: The commands whose command line ends at once once they returned (:func:`mapper._start.exit_at_once`):
#: what they made is not freed one object at a time.
_EXIT_AT_ONCE = {"validate", "map"}

#: The commands that take SIGTERM as an interruption here (send and serve handle it their own way).
_TERM_AS_INTERRUPT = {"check", "explain", "validate", "map", "infer", "bench", "spark-validate"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (``argv``: its arguments; None: ``sys.argv``'s) and return its exit status.

    Run as the command line itself (``python -m mapper``, the ``mapper`` script: no ``argv``),
    it takes SIGINT and SIGTERM once (:func:`_settle`): an interruption at any moment up to
    its return is ``interrupted`` (``terminated``) and 130 (143), and the teardown after it
    keeps the status returned (that of send and serve too, which take signals their own way
    while they run). Called by a program from its main thread, its handlers are in place while
    the command runs (SIGTERM's, and Ctrl-C's where Python's own is there), and what they take is
    noted, as the command line's is, for an interruption a library drops (``mapper._start``); the
    program's own are given back, and what was noted forgotten, as it returns. Standard error closed (``2>&-``, where Python leaves ``sys.stderr``
    None): what is said there goes nowhere (:class:`_Unsaid`); so does what an open one cannot take, from the
    first write it fails (:class:`_Stderr`), the command's exit status kept."""
    given = sys.stderr
    if given is not None and threading.current_thread() is not threading.main_thread():
        return _main(argv)  # (a program running commands in other threads shares one sys.stderr: not swapped under them)
    err = _Unsaid() if given is None else _Stderr(given)
    sys.stderr = err  # type: ignore[assignment]
    try:
        return _main(argv)
    finally:
        if sys.stderr is err:
            sys.stderr = given  # (Python's exit takes a failure flushing it, the status kept)


def _main(argv: Sequence[str] | None) -> int:
    """:func:`main`, standard error there (open, or :class:`_Unsaid`)."""
    global _owner
    try:
        args = parse(argv)  # which imports the command's module (send: http.client and ssl; spark-validate: Spark's helpers)
    except KeyboardInterrupt:  # (main called by a program: python -m mapper and the script leave SIGINT to mapper._start till here)
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # (--help, --version, mapper help: printed by argparse)
        if exc.code in (0, None) and not _help_written():
            return EXIT_USAGE
        raise
    except OSError as exc:  # (standard output's, as the help was written: _Parser.print_help)
        return 0 if _help_written(exc) else EXIT_USAGE
    installed = args.command in _TERM_AS_INTERRUPT and threading.current_thread() is threading.main_thread()
    # the command line itself (not main called by a program); its status, once returned, stands
    # whatever the command (send and serve take signals their own way while they run)
    command_line = argv is None and _start.started_as_command_line and threading.current_thread() is threading.main_thread()
    own = installed and command_line
    if own:
        _owner = os.getpid()
    at_once = command_line and args.command in _EXIT_AT_ONCE
    if at_once:
        _start.keep_from_now()
    if installed:
        _start.noting()  # (the interruptions its handlers take, from now: a program's earlier run's are forgotten)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if installed else None
    program_sigint = installed and not own and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if program_sigint:
        signal.signal(signal.SIGINT, _on_program_sigint)
    # (serve, and send, print only what a run started with >&- may leave unsaid: print() skips a None)
    closed_in, closed_out = sys.stdin is None, sys.stdout is None and args.command in _TERM_AS_INTERRUPT
    if closed_in:
        sys.stdin = _Closed("stdin")  # type: ignore[assignment]
    if closed_out:
        sys.stdout = _Closed("stdout")  # type: ignore[assignment]
    # (a program running commands in other threads shares one sys.stdout: not swapped under them)
    given = sys.stdout
    out = _Stdout(_whole(given)) if threading.current_thread() is threading.main_thread() and given is not None else None
    if out is not None:
        sys.stdout = out  # type: ignore[assignment]
    try:
        try:
            _start.release()  # Ctrl-C is a KeyboardInterrupt again, taken below
            if own and signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # (an inherited SIG_IGN stays)
                signal.signal(signal.SIGINT, _on_sigint)
            _add, module, function = _COMMANDS[args.command]
            code = _from(module, function)(args)
            if installed:  # (an interruption whose exception a library dropped, after the command's last safe point: taken as it returns)
                _start.interruption_lost()
            sys.stdout.flush()  # a full disk or /dev/full shows here, not at exit
        # (an interruption while one of these is said is taken below, as any other)
        except OSError as exc:  # standard output's (files are written through OutputError), or one no command caught
            code = _os_error(exc, out)
        except MapperError as exc:  # (a command says its own; standard input closed under one that reads it as a whole: check -)
            print(f"mapper: {exc}", file=sys.stderr)
            code = EXIT_USAGE
        if command_line:
            _settle()  # (a signal before this is taken below)
        if at_once:
            _start.exit_at_once(code)  # (every output written and in place: nothing to free or tear down)
        return code
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        if own:
            _settle()  # (taken by _on_sigint already, unless a KeyboardInterrupt was raised otherwise)
            if not closed_out:
                _drop_stdout()
        remove_left_temps(threading.get_ident())  # (outputs the interruption came too early or too late for their own cleanup to drop)
        terminated = isinstance(exc, Terminated)
        print("terminated" if terminated else "interrupted", file=sys.stderr)
        return 128 + signal.SIGTERM if terminated else 130
    finally:
        if out is not None and sys.stdout is out:  # (not once _quiet_stdout put the null device there)
            sys.stdout = given
        if installed and not own:  # (the command line's stay ignored to its end: _settle)
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
            if program_sigint and signal.getsignal(signal.SIGINT) is _on_program_sigint:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            _start.forget()  # (the program's next calls, and its own, take nothing this run noted)
        if closed_in:
            sys.stdin = None  # type: ignore[assignment]
        if closed_out:
            sys.stdout = None  # type: ignore[assignment]


#: Each command: how its parser is built, and its function as (module, name), imported
#: when it runs; in `mapper --help`'s order.
_COMMANDS: dict[str, tuple[Callable[[Any], None], str, str]] = {
    "check": (_add_check, "commands", "cmd_check"),
    "explain": (_add_explain, "commands", "cmd_explain"),
    "validate": (
        lambda sub: _add_records_command(
            sub,
            "validate",
            "pre-validate records as the endpoint would (exit 0 accepted, 1 rejected; no records at all is accepted, exit 0, its verdict line saying the input holds none)",
        ),
        "commands",
        "cmd_validate",
    ),
    "map": (lambda sub: _add_records_command(sub, "map", "map records into columns and write them"), "commands", "cmd_map"),
    "infer": (lambda sub: _from("infer", "add_infer_parser")(sub), "infer", "cmd_infer"),
    "bench": (lambda sub: _from("bench", "add_bench_parser")(sub, lambda p: _shared_options(p, rejects=False)), "bench", "cmd_bench"),  # no dead letters
    "send": (lambda sub: _from("send", "add_send_parser")(sub, _identity_options), "send", "cmd_send"),
    "serve": (lambda sub: _from("web", "add_serve_parser")(sub), "web", "cmd_serve"),
    "spark-validate": (lambda sub: _from("spark", "add_spark_parser")(sub), "spark", "cmd_spark_validate"),
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
