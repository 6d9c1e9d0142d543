"""Test-run order (the longest files first) and which files coverage traces.

`.ci/run` runs the tests in three processes, one file to a process at a time
(pytest-xdist's ``--dist loadfile``), handing out files in collection order
(``--no-loadscope-reorder``: without it xdist hands out the files with the most tests
first, whatever their time). In alphabetical order the two longest files (the Spark and
browser sessions) came last, and one process ran them alone for the last minute or two.
Starting the longest files first (longest-processing-time order) lets the short ones
fill in at the end. The order only changes when tests run, never what they check; files
not named here keep their places after these.

The coverage floor (pyproject.toml) is on the semantic modules (definitions, paths,
types, engine). Coverage traces only the test files that reach a line (an arc) of those
modules no other traced file reaches (``TRACED``, computed by tests/traced_files.py),
less their costly tests that reach nothing of their own (``UNTRACED_TESTS``); every
other test runs untraced (:func:`pytest_runtest_call`), the files of ``NOT_TRACED``
whatever they reach. Branch coverage's tracer doubles a traced test's time on Python
3.11: traced, the files not left untraced by hand took 581 s of the test processes'
time (2026-12-06), on a 2-core CI machine whose 600 s a clean `.ci/run` neared (573 s);
the floor's figure is the same either way.
"""

from __future__ import annotations

import multiprocessing.process
import os
import shutil
import signal
import sys
import threading
from typing import Any, Iterator

import pytest
from hypothesis import settings

# The property tests draw their examples from a fixed seed by default (the README's test
# command and `.ci/run`): a run gives the same verdict on the same code, so a gate cannot
# fail on examples it never drew before (stop 45's CI failed on the 71st example of a
# test whose own oracle miscounted a byte order mark). New examples are drawn on purpose:
# `pytest --hypothesis-profile=explore` (each run a new seed; failures are kept in
# Hypothesis' database, `.hypothesis/`, and shown again first).
# No deadline in either: speed is measured in benchmarks/, never by a test's clock (on a
# loaded 2-core machine a first call took 332-445 ms against Hypothesis' 200 ms, its repeat
# under 1 ms: three property tests failed as flaky on 3.10 and 3.13 runs, stop 51).
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("explore", derandomize=False, print_blob=True, deadline=None)

# numpy's OpenBLAS starts a thread per core at import and they spin a while: ~0.1 s of CPU
# in each of the several hundred `python -m mapper` processes (and workers) the tests
# start, on a 2-core CI machine (0.48 -> 0.37 s of CPU a `mapper validate`). mapper makes
# no BLAS calls; the tests' subprocesses inherit this.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# polars sizes its pool when first imported: the benchmark contenders (benchmarks/, run in the same
# test processes by the README's test command) measure it on one thread and refuse it on more, and a
# test process that ran a to_polars test first had imported it with the default (one per core).
os.environ.setdefault("POLARS_MAX_THREADS", "1")

#: Files by their wall time, longest first: from a three-process run's per-file totals (2026-12-06, after
#: coverage came to trace only TRACED: `pytest -n 3 --dist loadfile --no-loadscope-reorder --junitxml`,
#: the files over ~8.5 s; every other file took under 1% of the run). The Spark files follow test_spark.py,
#: with which they run as one unit (:data:`SPARK_TOGETHER`): ~160 s in one process (282 s of the
#: processes' time when each started its own JVM).
LONGEST_FIRST = (
    "test_spark.py",
    "test_spark_leftovers.py",
    "test_spark_inputs.py",
    "test_spark_hunt.py",
    "test_hunt_spark.py",
    "test_spark_streaming.py",
    "test_web_browser.py",
    "test_spark_bench.py",  # (benchmarks/: a Spark master of its own)
    "test_columnar.py",
    "test_objects.py",
    "test_definitions.py",
    "test_instructions.py",  # (benchmarks/: valgrind)
    "test_fuzz_definitions.py",
    "test_parallel.py",
    "test_cli.py",
    "test_depth_cap.py",
    "test_text_past_2gib.py",
    "test_signals.py",
    "test_hostile.py",
    "test_send_serve.py",
    "test_difffuzz.py",
    "test_infer.py",
    "test_vectors.py",
    "test_quick_vouch.py",
    "test_path_checks_linear.py",
    "test_web5_layout.py",
    "test_dict_always_equal.py",
    "test_hunt_web.py",
    "test_send_faults.py",
    "test_batcher.py",
    "test_golayout.py",
)


#: The files whose tests share tests/test_spark.py's session fixture (one SparkSession, one
#: JVM, in each test process that runs any of them). ``--dist loadfile`` hands them out as one
#: unit (:func:`pytest_xdist_make_scheduler`), so one process starts one JVM for all of them:
#: spread over the three processes, each started a JVM of its own (~12-14 s under load, ~15 s
#: of CPU each) and the first test of a file waited for it (2026-12-05: these files took 282 s
#: of the processes' time apart, 170 s in one process).
SPARK_TOGETHER = frozenset(
    {
        "test_spark.py",
        "test_spark_inputs.py",
        "test_spark_leftovers.py",
        "test_spark_hunt.py",
        "test_spark_streaming.py",
        "test_hunt_spark.py",
    }
)


#: Files coverage never traces, decided by hand (see above), whatever they reach: tests/traced_files.py
#: leaves them out of TRACED.
NOT_TRACED = frozenset(
    {
        "test_batcher.py",
        "test_cli.py",
        "test_columnar.py",
        "test_examples.py",
        "test_infer.py",
        "test_mutation_sample.py",
        "test_newcomer.py",
        "test_send_faults.py",
        "test_send_serve.py",
        "test_serve_http.py",
        "test_spark.py",
        "test_web.py",
        "test_web_browser.py",
        "test_web57.py",  # (a browser's, as test_web_browser's)
        "test_web58.py",  # (a browser's too)
        "test_web59.py",  # (a browser's too)
        "test_web60.py",  # (a browser's too)
        "test_web_reach_rows.py",  # (a browser's too)
        "test_web61.py",  # (a browser's too)
        "test_web62.py",  # (a browser's too)
        "test_serve57.py",
    }
) | frozenset(
    # Property and whole-run files: they repeat, at volume, the semantic code that the unit and
    # golden-case files cover line by line, and tracing them cost ~140 s of the test processes'
    # time (2026-12-06: each file's time with and without --cov). Left out, the floor's modules
    # lost ~0.5% (the definition files, test_definitions, test_fuzz_definitions and test_hostile,
    # hold most of sink.py's and checks.py's lines, so they stay traced). The workers their tests
    # fork (``--workers``) run untraced too (:func:`_untraced_children`).
    {
        "test_dict_always_equal.py",
        "test_difffuzz.py",
        "test_fuzz.py",
        "test_hunt_web.py",
        "test_infer_hunt6.py",
        "test_objects.py",
        "test_parallel.py",
        "test_properties.py",
        "test_props_session47_body.py",
        "test_props_session47_notes.py",
        "test_pyjson_quick.py",
        "test_quick_vouch.py",
        "test_quick_vouch_dicts.py",
        "test_spark_hunt.py",
        "test_spark_inputs.py",
        "test_spark_leftovers.py",
        "test_text_past_2gib.py",
        "test_untraced.py",  # (which checks that these run untraced)
        "test_validate_keeps_no_values.py",
        "test_web5_send.py",
    }
)


#: The files coverage traces: those whose tests reach an arc of the floor's modules that no other
#: traced file reaches (computed by tests/traced_files.py from a run tracing every test with a context
#: per test, 2026-12-06: 104 of the 245 files not in NOT_TRACED; traced, those 245 took 581 s of the
#: test processes' time, the 104 less UNTRACED_TESTS 219 s). Every other file runs untraced, a new one too: a file whose tests reach
#: lines nothing else does is added here (tests/traced_files.py says which), else the floor drops.
TRACED = frozenset(
    {
        "test_api58.py",
        "test_api59.py",
        "test_api_contract.py",
        "test_api_options.py",
        "test_batch_id_edits.py",
        "test_body_keys.py",
        "test_body_roads.py",
        "test_careful_places.py",
        "test_check2.py",
        "test_check3.py",
        "test_check_size.py",
        "test_cli_newcomer.py",
        "test_cli_os_errors.py",
        "test_columnar_meaning.py",
        "test_commas.py",
        "test_commas_two_records.py",
        "test_deep_tuple.py",
        "test_definitions.py",
        "test_definitions_hunt.py",
        "test_detect_long_head.py",
        "test_detect_long_head2.py",
        "test_dict_exactness.py",
        "test_dicts_own_keys.py",
        "test_document_error.py",
        "test_documents.py",
        "test_documents_hunt.py",
        "test_documents_hunt2.py",
        "test_door_matrix.py",
        "test_engine_edges.py",
        "test_engine_internals.py",
        "test_entry_points.py",
        "test_few_dicts.py",
        "test_few_fixed_costs.py",
        "test_fuzz_definitions.py",
        "test_fuzz_found.py",
        "test_golayout.py",
        "test_hints57.py",
        "test_hints58.py",
        "test_hints59.py",
        "test_hostile.py",
        "test_hunt2_api.py",
        "test_hunt3_api.py",
        "test_hunt_cli.py",
        "test_hunt_infer.py",
        "test_idk_audit.py",
        "test_infer57.py",
        "test_infer7.py",
        "test_infer8.py",
        "test_infer_hunt5.py",
        "test_inputs59.py",
        "test_inputs60.py",
        "test_jmespath_identity.py",
        "test_json_error_words.py",
        "test_key_not_str_place.py",
        "test_lax_vectors.py",
        "test_left54.py",
        "test_left54b.py",
        "test_left54c.py",
        "test_literals.py",
        "test_locations2.py",
        "test_lookup_text.py",
        "test_mapping_cases.py",
        "test_msgspec_shape.py",
        "test_numbers_written_place.py",
        "test_oracle.py",
        "test_outputs_owner.py",
        "test_parallel_handoff.py",
        "test_path_checks_linear.py",
        "test_polish.py",
        "test_pretty_broken.py",
        "test_producer_hunt.py",
        "test_python_versions.py",
        "test_quick_judge_all.py",
        "test_reader_review.py",
        "test_reader_small.py",
        "test_reader_surrogates.py",
        "test_reader_text_rules.py",
        "test_regressions.py",
        "test_review11.py",
        "test_review57b.py",
        "test_review59.py",
        "test_review_engine.py",
        "test_review_fixes.py",
        "test_review_owners.py",
        "test_review_quick.py",
        "test_review_session2.py",
        "test_review_session3.py",
        "test_review_session4.py",
        "test_review_writers.py",
        "test_scaling.py",
        "test_serve_review55b.py",
        "test_sink55.py",
        "test_small7.py",
        "test_small_stack.py",
        "test_string_numbers_at_once.py",
        "test_survivors.py",
        "test_types.py",
        "test_units.py",
        "test_vectors.py",
        "test_walk_guard_gen.py",
        "test_web5.py",
        "test_web_paste_error_place.py",
        "test_web_paste_places.py",
        "test_words.py",
        "test_words2.py",
    }
)
#: Test functions of TRACED files that run untraced all the same: the costly ones (a second and more,
#: traced) that reach nothing the tests left traced do not (tests/traced_files.py). "file::function",
#: or "file::Class::function"; every parametrization of it.
UNTRACED_TESTS = frozenset(
    {
        "test_definitions.py::test_ten_megabyte_config_key_and_column_name",  # (11.4 s traced)
        "test_infer_hunt5.py::test_read_batch_of_a_wide_file_takes_time_in_its_columns_not_their_square",  # (7.3 s traced)
        "test_lax_vectors.py::test_lax_records_map_as_the_careful_path_maps_them",  # (7.1 s traced)
        "test_fuzz_definitions.py::test_any_definition_text_loads_or_names_its_problems",  # (5.5 s traced)
        "test_hostile.py::test_15_warnings_on_big_values_are_kept_in_full_up_to_a_byte_budget",  # (5.1 s traced)
        "test_hostile.py::test_14_generated_code_is_linear_in_columns_and_check_names_the_limit",  # (3.3 s traced)
        "test_engine_edges.py::test_how_deep_a_record_may_nest_does_not_depend_on_the_callers_stack",  # (2.9 s traced)
        "test_scaling.py::test_one_record_warned_in_every_column_weighs_each_warning_a_few_times",  # (2.9 s traced)
        "test_definitions.py::test_ten_megabyte_path_string",  # (2.6 s traced)
        "test_small7.py::test_texts_starting_as_a_body_are_told_as_the_rules_tell_them",  # (2.6 s traced)
        "test_web_paste_error_place.py::test_the_page_selects_the_line_the_answer_names",  # (2.5 s traced)
        "test_producer_hunt.py::test_check_validate_the_batcher_and_the_json_text_agree_on_a_record",  # (2.4 s traced)
        "test_door_matrix.py::test_every_form_keeps_the_batch_policy",  # (2.4 s traced)
        "test_infer8.py::test_a_followed_identity_is_as_without_max_depth",  # (2.2 s traced)
        "test_definitions_hunt.py::test_generated_definitions_check_compile_and_map_their_own_records_back",  # (2.1 s traced)
        "test_few_dicts.py::test_each_hostile_value_is_judged_as_an_engine_run_judges_it",  # (2.1 s traced)
        "test_api58.py::test_every_numeric_option_takes_the_same_numbers",  # (2.0 s traced)
        "test_engine_internals.py::test_a_wide_sink_reads_ndjson_in_chunks_sized_by_its_columns",  # (1.9 s traced)
        "test_quick_judge_all.py::test_the_generated_judge_vouches_exactly_when_every_form_does",  # (1.9 s traced)
        "test_hostile.py::test_15_validate_keeps_nothing_per_failed_record",  # (1.8 s traced)
        "test_fuzz_definitions.py::test_cli_check_and_explain_print_any_definition_printably",  # (1.7 s traced)
        "test_few_dicts.py::test_a_sink_whose_quick_forms_convert_says_what_an_engine_run_says",  # (1.7 s traced)
        "test_engine_internals.py::test_threads_reading_one_reports_lazy_warnings_at_once_see_them_whole",  # (1.6 s traced)
        "test_inputs59.py::test_a_tar_archive_of_records_is_refused_with_a_command_that_works",  # (1.6 s traced)
        "test_dict_exactness.py::test_check_of_a_dict_holding_itself_is_refused_not_raised",  # (1.6 s traced)
        "test_oracle.py::test_timestamp_matches_oracle",  # (1.5 s traced)
        "test_string_numbers_at_once.py::test_numbers_in_string_columns_reported_as_the_careful_path_reports_them",  # (1.5 s traced)
        "test_definitions.py::test_golden_case_same_from_text_bytes_and_value",  # (1.4 s traced)
        "test_scaling.py::test_infer_with_thousands_of_excluded_paths_tries_no_glob_per_path",  # (1.3 s traced)
        "test_definitions.py::test_golden_pointers_point_into_the_document",  # (1.2 s traced)
        "test_hostile.py::test_09_output_errors_are_a_message_and_exit_2",  # (1.2 s traced)
        "test_locations2.py::test_null_documents_with_workers_and_in_infer",  # (1.2 s traced)
        "test_engine_internals.py::test_same_length_escapes_quick_looks_agree_with_the_exact_pattern",  # (1.2 s traced)
        "test_numbers_written_place.py::test_a_number_as_written_changes_only_its_own_place",  # (1.1 s traced)
        "test_oracle.py::test_id_matches_oracle",  # (1.1 s traced)
        "test_vectors.py::test_decimal_vouches_for_plain_decimal_strings",  # (1.1 s traced)
        "test_documents.py::test_objects_one_after_another_are_read_in_time_linear_in_their_number",  # (1.1 s traced)
        "test_definitions.py::test_five_thousand_entries_on_one_path_report_each",  # (1.1 s traced)
        "test_oracle.py::test_ids_matches_oracle",  # (1.1 s traced)
        "test_lax_vectors.py::test_seed_lax_records_map_as_the_careful_path_maps_them",  # (1.0 s traced)
        "test_documents.py::test_the_real_webhook_payloads_are_records",  # (1.0 s traced)
        "test_vectors.py::test_zero_date_text_alone_and_in_a_batch",  # (1.0 s traced)
    }
)


def pytest_configure(config: Any) -> None:
    if not config.getoption("hypothesis_profile", None):  # (Hypothesis' own option, when given, wins)
        settings.load_profile("repeatable")
    # The Ctrl-C tests start commands as a terminal does, SIGINT with its default action. A run
    # started where SIGINT is ignored (a non-interactive shell's `pytest ... &`) passes SIG_IGN on
    # to every command it starts, and mapper keeps an inherited SIG_IGN, as a command should: those
    # tests then saw no interruption (exit 0, nothing said), in a process (xdist worker) where no
    # Spark test had set a handler of its own before them (which made the children's default again).
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's own order is kept


def _untraced(item: Any) -> bool:
    """A test of a file not in :data:`TRACED` (or in :data:`NOT_TRACED`), one of :data:`UNTRACED_TESTS`,
    a benchmark, or one marked ``no_cover`` (pytest-cov's marker: a load test, a timed check).
    ``MAPPER_TRACE_ALL=1`` traces every test but those of NOT_TRACED files, the benchmarks and the
    ``no_cover`` ones (the run tests/traced_files.py reads)."""
    name = item.path.name
    if name in NOT_TRACED or item.path.parent.name == "benchmarks" or item.get_closest_marker("no_cover") is not None:
        return True
    if os.environ.get("MAPPER_TRACE_ALL") == "1":
        return False
    if name not in TRACED:
        return True
    function = f"{item.cls.__name__}::{item.originalname}" if item.cls is not None else item.originalname
    return f"{name}::{function}" in UNTRACED_TESTS


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: Any) -> Iterator[None]:
    """The test of a :data:`NOT_TRACED` file (or a benchmark) runs with no tracer on its thread, and
    none given to the threads it starts; the tracer (coverage's, under --cov) is given back after.
    Every test must leave the trace functions as it found them: one that does not fails, and they
    are given back.

    pytest-cov's own ``no_cover`` marker did not do it in an xdist worker: two coverage collectors
    run there, and pausing pytest-cov's resumed the one under it, so those tests ran traced all the
    same (their files took as long as traced ones: 2026-12-06, 12.2 s vs 12.3 s of CPU for
    test_properties under ``-n 1``, 4.4 s without --cov). (trylast: the innermost wrapper, next to
    the test itself, so no other wrapper sets a tracer after this one took it away.)

    A test that set a trace function of its own and then ``sys.settrace(None)`` took coverage's away
    for the rest of its process: every later file there ran untraced, and the coverage figure moved
    with which files followed it (95.7-96.2% on the same code; test_send_hunt3.py, 2026-12-06)."""
    tracer, threads = sys.gettrace(), threading.gettrace()
    expected = (tracer, threads)
    bootstrap = None
    if _untraced(item) and (tracer is not None or threads is not None):
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        expected = (None, None)
        bootstrap = _untraced_children()
    try:
        result = yield
    finally:
        left = (sys.gettrace(), threading.gettrace())
        threading.settrace(threads)  # type: ignore[arg-type]
        sys.settrace(tracer)  # (coverage's CTracer installs itself as the C-level tracer again at the next call)
        if bootstrap is not None:
            multiprocessing.process.BaseProcess._bootstrap = bootstrap  # type: ignore[attr-defined]
    if left[0] is not expected[0] or left[1] is not expected[1]:
        pytest.fail(
            f"the test left the trace function changed (sys.gettrace() {left[0]!r}, threading.gettrace() {left[1]!r}; "
            f"it found {expected[0]!r}, {expected[1]!r}; given back now): coverage would not see the tests after it"
        )
    return result


def _untraced_children() -> Any:
    """The processes an untraced test forks (``--workers``) start untraced too: coverage's
    multiprocessing support (``concurrency = multiprocessing``) starts a tracer in every child it
    bootstraps. Returns the bootstrap to give back after the test (None: not patched, no --cov)."""
    patched = sys.modules.get("coverage.multiproc")
    base = multiprocessing.process.BaseProcess
    if patched is None or base._bootstrap is patched.original_bootstrap:  # type: ignore[attr-defined]
        return None
    bootstrap = base._bootstrap  # type: ignore[attr-defined]
    base._bootstrap = patched.original_bootstrap  # type: ignore[attr-defined]
    return bootstrap


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
    """``--dist loadfile``, the files of :data:`SPARK_TOGETHER` one unit (where the first of them
    comes in the collection's order: test_spark.py, the first file). pytest-xdist's own grouping
    (``--dist loadgroup``, ``xdist_group`` marks) groups nothing under pytest 9.2 (docs/ci-log.md)."""
    if config.getoption("dist", None) != "loadfile":
        return None  # (xdist's own scheduler)
    from xdist.scheduler import LoadFileScheduling

    class SparkTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope: str = super()._split_scope(nodeid)
            return "(the Spark files)" if scope.rpartition("/")[2] in SPARK_TOGETHER else scope

    return SparkTogether(config, log)


#: The handlers a test must give back: the commands later tests start inherit an ignored SIGINT
#: or SIGTERM, or a blocked one (Python keeps an inherited SIG_IGN), and a Ctrl-C test then sees
#: the signal lost; commands run in process (tests/cli_inproc.py) change them while they run.
_GIVEN_BACK = (signal.SIGINT, signal.SIGTERM)


@pytest.fixture(autouse=True)
def _signal_handlers_given_back() -> Iterator[None]:
    before = {s: signal.getsignal(s) for s in _GIVEN_BACK}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    yield
    changed = [signal.Signals(s).name for s in _GIVEN_BACK if signal.getsignal(s) is not before[s]]
    for s in _GIVEN_BACK:
        signal.signal(s, before[s])
    if changed:
        pytest.fail(f"the test left the {' and '.join(changed)} handler changed (given back now): a later test's subprocesses would inherit it")
    now = signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    if now != mask:
        pytest.fail(
            f"the test left signals blocked or unblocked ({sorted(s.name for s in now ^ mask)}; given back now): a later test's subprocesses would inherit the mask"
        )
    ignored = _ignored_in_c()
    if ignored:
        pytest.fail(f"the test left {ignored} ignored where Python's handler does not see it")


def _ignored_in_c() -> list[str]:
    """SIGINT or SIGTERM ignored in this process as the kernel sees it (a library's own sigaction)."""
    try:
        with open("/proc/self/status") as fh:
            line = next(x for x in fh if x.startswith("SigIgn:"))
    except (OSError, StopIteration):
        return []
    bits = int(line.split()[1], 16)
    return [signal.Signals(s).name for s in _GIVEN_BACK if bits >> (s - 1) & 1 and signal.getsignal(s) is not signal.SIG_IGN]


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("MAPPER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; MAPPER_REQUIRE_BROWSER=1 says the browser tests must run (.ci/run installs chromium and chromium-driver)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's chromium driven by selenium through Debian's chromedriver, headless, for the browser
    tests (tests/test_web_browser.py): one a test process, started when a test first needs it (each
    file of them started its own before: 11 files, ~2 s a start under load); each file's
    ``browser`` fixture sets the window's size its tests start from."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _browser_unavailable("selenium is not installed (pip install -e '.[test]')")
    binary = os.environ.get("MAPPER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = os.environ.get("MAPPER_CHROMEDRIVER") or shutil.which("chromedriver")
    if not binary or not driver_path:
        _browser_unavailable("chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing but the test server resolves
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, read by no_script_errors
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    try:
        yield driver
    finally:
        driver.quit()
