"""``mapper bench SINK RECORDS``: throughput on your own sink and data.

Runs the mapper over the records a few times after a warm-up and prints the median
records/s and MB/s, with the time of each stage of the fast path (decode, extract,
convert, the rest) and how many records went down the careful path; with ``--workers``,
how many worker processes mapped (``workers`` in the JSON, 1 without). The peers
(pyarrow, polars, msgspec ...) live in the repository's ``benchmarks/``:
``python -m benchmarks.run --sink SINK --data RECORDS`` runs them side by side on
the same sink and data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

from .commands import (
    archives_told,
    check_archives,
    check_inputs,
    check_paths,
    explain_first,
    file_name,
    inputs_twice,
    integer,
    load_cli_sink,
    map_options,
    no_records_held,
    note_unmatched,
    one_process_reason,
    stdin_note,
    stdout_on_input,
)
from .compiler import CompiledSink, compile_definition
from .engine.core import Engine
from .engine.parallel import Keep, can_fork, cuts_for, run_parallel, splittable
from .engine.reader import HEAD_BYTES, MAGIC_SIZE, chunk_size_for, counted, format_of, open_input, refuse_archive, unexplained, units_for, unpacked
from .engine.runner import gc_paused
from .errors import MapperError, OptionError, OutputError, compression_of
from .options import MapOptions
from .report import plural
from .writers import atomic_output, names_stdout


def add_bench_parser(sub: Any, shared_options: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser(
        "bench",
        help="measure mapping throughput on your sink and records",
        description="Map the records N times (--repeat) after one warm-up and print the median records/s and MB/s, the time of each stage "
        "of the fast path (decode, extract, convert, the rest) and how many records took the careful path (with --workers, the table's first "
        "line says how many worker processes mapped: at most one per CPU, fewer for a small input); records the sink refuses are "
        "counted in the table and said on stderr (the figures then time refusing them); an input without records is an error (exit 2). The peers (pyarrow, "
        "polars ...) run from a checkout: python -m benchmarks.run --sink SINK --data RECORDS.",
    )
    p.add_argument("sink", metavar="SINK", type=file_name, help="sink definition file")
    p.add_argument("records", metavar="RECORDS", nargs="+", type=file_name, help="record files (read into memory first), '-' for stdin")
    p.add_argument(
        "--repeat", type=integer, default=5, metavar="N", help=f"timed runs after one warm-up (default 5, at most {MAX_REPEAT:,}); the median is reported"
    )
    p.add_argument(
        "--json",
        dest="json_out",
        type=file_name,
        metavar="FILE",
        help="also write the figures as JSON to FILE (records, bytes, and under mapper: the median seconds, records/s, MB/s and stage "
        "times, the records stored and refused, the worker processes that mapped (workers: 1 without --workers), the fast/careful path "
        "counts, every run's seconds; command: the arguments); '-': the JSON on stdout instead of the table",
    )
    shared_options(p)


#: The most timed runs ``--repeat`` takes: each maps the whole input, and a median of more says
#: no more (a mistyped 10000000 ran for days, keeping every run's figures).
MAX_REPEAT = 1000


def check_repeat(repeat: int) -> None:
    """An :class:`OptionError` for a ``--repeat`` that is no count of timed runs (below 1, above :data:`MAX_REPEAT`)."""
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:  # (the command line's is a TypedInt)
        raise OptionError(f"--repeat {repeat!r}: give a count of timed runs from 1 to {MAX_REPEAT:,}")


def _read_all(names: list[str]) -> list[bytes]:
    """Each input's text as read, one part per input: several inputs are one batch, each
    read in its own format. A compressed input is unpacked here, one layer, as every command
    unpacks it (a file's by :func:`open_input`, standard input's as the engine's reader unpacks
    it: :func:`unpacked`): the figures count the records' text, and the timed runs do not
    unpack (:func:`measure_mapper`). A compressed input is read through :func:`counted`, as validate
    and send read it: one cut short says the line it was read to (``(after line N)``)."""
    parts = []
    for name in names:
        fh = open_input(name)
        try:
            data = counted(fh).read()
            text = unpacked(data, fh)  # (standard input's; a file's text, its one layer unpacked, is not unpacked again)
            packed = None if text is None else compression_of(data[:MAGIC_SIZE])
            if text is not None:
                data = counted(text).read()
            refuse_archive(data, fh, packed)  # (standard input's its first read did not tell: a file is refused before it is read, check_archives)
        finally:
            if fh is not getattr(sys.stdin, "buffer", None):
                fh.close()
        parts.append(data)
    return parts


#: What each run keeps of the refused records: none, as ``map`` and ``validate`` keep none (their
#: indices only, which a batch needs). The API's default keeps every one with its text and
#: errors: 100,000 refused records took 3x the memory and 1.6x the time a run (the collector
#: scanning them), figures of keeping them, not of mapping.
AS_MAP = Keep(rejected=False, failed=False)


@dataclass(frozen=True)
class Measured:
    """What :func:`measure_mapper` found: ``figures``, the median run's (``--json`` writes them
    under ``mapper``), and beside them what the command says of the input but writes in no
    figure: ``null_records_at``, the records path as written where documents held null (the
    words of no records, :func:`~mapper.commands.no_records_held`), else None. (It rode in the
    figures under an internal key, popped before they were written.)"""

    figures: dict[str, Any]
    null_records_at: str | None = None
    #: the note that the sink and the records may not belong together (:func:`~mapper.commands.note_unmatched`), among
    #: the figures' notes: said when every record is stored too (under allow_missing_fields true, with every column null)
    unmatched: str | None = None


def measure_mapper(compiled: CompiledSink, data: bytes | list[bytes], repeat: int, options: MapOptions, names: list[str] | None = None) -> Measured:
    """The median run of ``repeat`` (after a warm-up) over ``data`` (one input, or each of
    several in turn, as one batch): its total and stage times, records and path counts.
    ``data`` is the records' text, unpacked already (:func:`_read_all`): bytes that are compressed
    data are read as the text they are, not unpacked again (an input compressed twice is no JSON).
    ``names``: the inputs' file names, which the notes' commands name (as validate's; None: bytes, ``FILE``).

    The median of an even count is the lower middle run (a run's stages go with its total).
    With ``workers`` (one input cut into several ranges) the stages are not measured: ``stages`` is None.
    ``workers``: the processes that mapped (one per range the input is cut into: at most
    one per CPU, fewer for a small input; 1 in one process).
    """
    check_repeat(repeat)
    parts = [data] if isinstance(data, bytes) else data
    nbytes = sum(len(p) for p in parts)
    parallel = options.workers > 1 and len(parts) == 1
    # (as the run cuts the input: one process maps each range)
    workers = len(cuts_for(parts[0], options.workers)) - 1 if parallel and can_fork() and splittable(parts[0], options) else 1
    # an input of one range (one line) is mapped in this process, no worker started: measured as one
    # process is, its stages and paths too (it was said "1 worker process", "stages: not measured")
    parallel = parallel and workers > 1
    runs = []
    notes: list[str] = []
    null_at: str | None = None
    unmatched: str | None = None
    result: Any
    for i in range(repeat + 1):
        if parallel:
            start = time.perf_counter()
            with gc_paused():  # (as run() and validate --workers run it)
                result, report = run_parallel(compiled, parts[0], options, output=True, keep=AS_MAP, cli=True)  # (bench's notes: the command's)
            total = time.perf_counter() - start
            stages = None
            stats = {}
            records = report.records
        else:
            engine = Engine(compiled, replace(options, workers=1), output=True, keep_rejected=AS_MAP.rejected, keep_failed=AS_MAP.failed)
            engine.expect_bytes = nbytes
            engine.rb.input_name = names[0] if names is not None and len(names) == 1 else None  # (a note's tr command names it)
            start = time.perf_counter()
            for part in parts:
                for unit in units_for(part, options, chunk_size_for(len(compiled.stored_index)), unpack=False):
                    engine.feed(unit)
            result, report = engine.finish()
            total = time.perf_counter() - start
            stages = list(engine.times)
            stats = dict(engine.stats)
            records = engine.n
        stored, refused = report.success_count, report.failed_records
        if i == repeat:  # (the same in every run: once, untimed) the reader's hint, as validate gives it (use --records-path aircraft)
            # (of NDJSON only, told as the run told it: validate explains the lines it read as NDJSON)
            since = len(report.notes)
            if unexplained(report, options) and (options.input_format == "ndjson" or (options.input_format == "auto" and format_of(parts[0]) == "ndjson")):
                explain_first(report, parts[0][:HEAD_BYTES], names or ["-"])
            # (a sink whose paths no record holds, as validate notes it: the figures time refusing, or mapping empty rows)
            said = len(report.notes)
            note_unmatched(report, compiled.sink, names or ["-"], options, since, data=parts[0])
            unmatched = report.notes[-1] if len(report.notes) > said else None
            notes, null_at = list(report.notes), report.null_records_at
        del result, report
        if i:  # the first run warms up
            runs.append((total, stages, stats, records, stored, refused))
    total, stages, stats, records, stored, refused = sorted(runs, key=lambda r: r[0])[(len(runs) - 1) // 2]
    figures = {
        "seconds": total,
        "records": records,
        "workers": workers,
        "stored": stored,  # (the figures of a sink that refuses the records time the refusing: see cmd_bench's note)
        "refused": refused,  # records with an error of their own (stored + refused < records: the batch discarded with them)
        "records_per_s": records / total if total else 0.0,
        "mb_per_s": nbytes / 1e6 / total if total else 0.0,
        "stages": None if stages is None else {"decode": stages[0], "extract": stages[1], "convert": stages[2], "other": max(0.0, total - sum(stages))},
        "stats": stats,
        "runs": [r[0] for r in runs],  # in the order they ran
        "notes": notes,
    }
    return Measured(figures, null_at, unmatched)


def cmd_bench(args: argparse.Namespace) -> int:
    try:
        check_repeat(args.repeat)  # (before the sink and the records are read)
        stdout_on_input([args.sink, *args.records], "bench writes its figures", "them")  # (> r.ndjson emptied it: "no records to measure")
    except (OptionError, OutputError) as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return 2
    sink = load_cli_sink(args, quiet=args.quiet)
    if sink is None:
        return 2
    if args.json_out and args.json_out != "-" and names_stdout(args.json_out):
        # /dev/stdout, or the file standard output is redirected to (--json f.json > f.json): the JSON
        # alone there, as with -; the table followed it (no longer JSON), or was written into the file
        # the JSON's atomic rename then replaced
        args.json_out = "-"
    try:
        check_inputs(args.records)  # (every file readable, before any is read)
        if args.json_out and args.json_out != "-":
            check_paths(args.sink, args.records, [("--json", args.json_out)])
        check_archives(args.records, args)  # (once the outputs and the sink are checked: standard input's first read is waited for)
        options = map_options(args)
        stdin_note(args.records, args.quiet)  # (reading a terminal looks like a hang otherwise)
        # (before reading: a file named twice is read twice, its records counted twice, as validate notes it)
        twice = inputs_twice(args.records)
        with archives_told(args.records, args):  # (standard input whose first read did not tell: said as check_archives says it)
            parts = _read_all(args.records)
        why = one_process_reason(args.records, options) if options.workers > 1 else None
        if why is not None:  # what validate would do with them: measured as it runs
            if not args.quiet:
                print(f"mapper: --workers {options.workers}: {why}: mapping in one process", file=sys.stderr)
            options = replace(options, workers=1)
        measured = measure_mapper(compile_definition(sink), parts, args.repeat, options, args.records)
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return 2
    nbytes = sum(len(p) for p in parts)
    own = measured.figures
    own["notes"][:0] = twice
    if not own["records"]:  # a records/s of nothing is no figure of the sink: said, not printed as 0 (validate accepts it)
        print(f"mapper: no records to measure: {no_records_held(len(parts), measured.null_records_at)}", file=sys.stderr)
        if not args.quiet:
            for note in own["notes"]:  # (documents holding null at --records-path say so)
                print(f"mapper: note: {note}", file=sys.stderr)
        return 2
    if own["stored"] < own["records"] and not args.quiet:  # (a wrong sink or --records-path maps nothing, fast)
        print(f"mapper: note: {refused_note(own['stored'], own['refused'], own['records'])} (mapper validate says why)", file=sys.stderr)
        for note in own["notes"]:
            print(f"mapper: note: {note}", file=sys.stderr)
    elif not args.quiet:
        for note in [*twice, *([measured.unmatched] if measured.unmatched else [])]:
            print(f"mapper: note: {note}", file=sys.stderr)
    result = {"records": own["records"], "bytes": nbytes, "mapper": own, "command": getattr(args, "argv", None) or ["mapper", *sys.argv[1:]]}
    if args.json_out == "-":
        print(json.dumps(result, indent=2, default=str))
        return 0
    if args.json_out:
        try:
            with atomic_output(args.json_out, "w") as fh:  # a kill leaves no half-written figures under the name
                json.dump(result, fh, indent=2, default=str)
                fh.write("\n")  # (a text file's last line, as print gives - its)
        except MapperError as exc:
            print(f"mapper: {exc}", file=sys.stderr)
            return 2
    _print(own, nbytes)
    return 0


def refused_note(stored: int, refused: int, records: int) -> str:
    """What the figures measure when the sink stores fewer than all the records: refusing costs other
    than mapping (less for lines that are not JSON or a wrong ``--records-path``; far more for records
    missing many values, an error each: 5,000 records/s against 220,000 mapped), so a figure of
    mostly refusals (a wrong sink or ``--records-path``) says so plainly;
    a batch discarded for a few refused records was still mapped whole."""
    said = f"{stored:,} of {plural(records, 'record')} would be stored"
    if refused * 2 > records:
        return f"{said}, {refused:,} refused: the figures are mostly of refusing them, not of mapping"
    if stored + refused < records:
        return f"{said}: {refused:,} refused and the others discarded with the batch: the figures are of mapping them all"
    return f"{said}: the figures include refusing the other {refused:,}"


def _size_said(nbytes: int) -> str:
    """An input's size as the table says it: MB from 1 MB, KB below (a 41 KB input was "0.0 MB"), bytes below 1 KB
    (decimal units, as MB/s is; the JSON form has the exact ``bytes``)."""
    if nbytes >= 999_950:  # (999,999 bytes: "1.0 MB", not "1,000.0 KB")
        return f"{nbytes / 1e6:,.1f} MB"
    if nbytes >= 1000:
        return f"{nbytes / 1e3:,.1f} KB"
    return plural(nbytes, "byte")


def _rate_said(mb_per_s: float) -> str:
    """MB/s with one decimal, or two significant digits below 1 (0.04 MB/s was "0.0"; the JSON form has the figure unrounded)."""
    return f"{mb_per_s:,.1f}" if mb_per_s >= 1 or mb_per_s == 0 else f"{mb_per_s:.2g}"


def _print(own: dict[str, Any], nbytes: int) -> None:
    st = own["stages"]
    total = own["seconds"]
    refused, discarded = own["refused"], own["records"] - own["stored"] - own["refused"]
    said = f" ({refused:,} refused{', the batch discarded' if discarded > 0 else ''})" if refused > 0 else ""  # (in the table too: -q silences the note)
    # (with --workers, the figures are of the processes that ran: at most one per CPU, fewer for a small input)
    ran = f", {plural(own['workers'], 'worker process', 'worker processes')}" if own["workers"] > 1 or st is None else ""
    print(
        f"mapper: {plural(own['records'], 'record')}{said}, {_size_said(nbytes)}: {own['records_per_s']:,.0f} records/s, {_rate_said(own['mb_per_s'])} MB/s "
        f"(median of {len(own['runs'])}{ran})"
    )
    if st is None:
        print("  stages: not measured with --workers (each worker times its own range)")
    elif total:
        parts = ", ".join(f"{k} {v * 1e3:,.0f} ms ({v / total:.0%})" for k, v in st.items())
        print(f"  stages: {parts}")
    stats = own.get("stats") or {}
    if stats:
        runs = ", ".join(f"{stats.get(t + '_runs', 0)} {t}" for t in ("exact", "lax", "lenient", "loose") if stats.get(t + "_runs"))
        fast, careful = stats.get("fast_records", 0), stats.get("careful_records", 0)
        rest = own["records"] - fast - careful  # refused as read (invalid JSON, too large, no records array): neither path decodes them
        undecoded = f"; refused before decoding: {plural(rest, 'record')}" if rest > 0 else ""
        print(f"  fast path: {plural(fast, 'record')} ({runs or 'no runs'}); careful path: {plural(careful, 'record')}{undecoded}")
