"""Re-apply the survivors issue 12 listed, each by hand, and check that its named test kills it.

    python tests/mutation_survivors.py            # every survivor: KILLED / SURVIVED / GONE (the code is no longer there)

Each entry is (what the issue called it, file, the original text, the mutated text, the
test that must fail). The runner copies the tree to a temporary directory, applies one
mutant at a time (the original text must occur exactly once) and runs only the named
test there. docs/testing.md (*Mutation testing*) gives the command.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
T = "tests/test_survivors.py::"

SURVIVORS: list[tuple[str, str, str, str, str]] = [
    ('types.py:34 "us": 10**3 -> 9**3', "mapper/types/base.py", '"us": 10**3', '"us": 9**3', T + "test_kill_unit_us_timestamp_granularity_and_unit"),
    (
        "project.py:902 _vector_for and -> or (numeric recordTime, fast path)",
        "mapper/types/times.py",
        "ns = self.config.epoch_ns + v * unit_ns",
        "ns = self.config.epoch_ns + v * 10**9",
        T + "test_kill_numeric_record_time_fast_path",
    ),
    (
        "sink.py:756 + -> - (several recordTime columns)",
        "mapper/checks.py",
        'ck.warning(where + (i,), "several-record-times"',
        'ck.warning(where - (i,), "several-record-times"',
        T + "test_kill_several_record_times_warned_not_crashing",
    ),
    (
        "sink.py:262 duplicate JSON keys not reported",
        "mapper/sink.py",
        "            if k in self:\n                self.duplicates.append(k)",
        "            if k not in self:\n                self.duplicates.append(k)",
        T + "test_kill_duplicate_json_keys_reported",
    ),
    (
        "sink.py:544 unknown top-level keys not warned",
        "mapper/sink.py",
        '    ck.unknown_keys(doc, _BODY_KEYS, (), "the POST /v1/sinks body")\n',
        "",
        T + "test_kill_unknown_top_level_keys_warned",
    ),
    (
        "sink.py:72 ns range minimum 10**9 -> 10**8",
        "mapper/types/times.py",
        "TS_MIN_NANO_NS, TS_MAX_NANO_NS = -(2**32) * 10**9,",
        "TS_MIN_NANO_NS, TS_MAX_NANO_NS = -(2**32) * 10**8,",
        T + "test_kill_ns_range_bounds_of_values",
    ),
    (
        "sink.py:72 ns range minimum (the Epoch check)",
        "mapper/types/times.py",
        "TS_MIN_NANO_NS, TS_MAX_NANO_NS = -(2**32) * 10**9,",
        "TS_MIN_NANO_NS, TS_MAX_NANO_NS = -(2**32 + 1) * 10**9,",
        T + "test_kill_ns_range_bounds_of_epoch",
    ),
    (
        "sink.py:63 INT64_MAX 2**63-1 -> 2**62-1",
        "mapper/types/base.py",
        "INT64_MAX = -(2**63), 2**63 - 1",
        "INT64_MAX = -(2**63), 2**62 - 1",
        T + "test_kill_int64_bounds_in_config",
    ),
    (
        "sink.py:63 INT64_MAX (values)",
        "mapper/types/base.py",
        "INT64_MAX = -(2**63), 2**63 - 1",
        "INT64_MAX = -(2**63), 2**63 - 2",
        T + "test_kill_int64_bounds_of_values",
    ),
    (
        "types.py:430 decimal range < -> <=",
        "mapper/types/decimal.py",
        "if not -9.223372036854776e18 <= product < 9.223372036854776e18:",
        "if not -9.223372036854776e18 <= product <= 9.223372036854776e18:",
        T + "test_kill_decimal_number_at_two_to_the_63",
    ),
    (
        "types.py:490 bools of |x| >= 2^63 (the guard inverted)",
        "mapper/types/boolean.py",
        "if abs(f) >= 9.223372036854776e18:",
        "if abs(f) < 9.223372036854776e18:",
        T + "test_kill_bool_of_huge_numbers",
    ),
    ("sink.py:1057 the Scale > 18 warning", "mapper/types/decimal.py", "if scale > 18:", "if scale > 19:", T + "test_kill_scale_19_warning_and_not_18"),
    ("sink.py:1057 the Scale > 18 warning (>=)", "mapper/types/decimal.py", "if scale > 18:", "if scale >= 18:", T + "test_kill_scale_19_warning_and_not_18"),
    (
        'types.py:534 "" into strings not warned',
        "mapper/types/text.py",
        '            if value == "":\n                return empty(value, notes)\n            parts',
        "            parts",
        T + "test_kill_empty_string_into_strings_warned_and_strict",
    ),
    (
        'paths.py:65 to_entry() writes "path": null',
        "mapper/model.py",
        'entry["path"] = self.path.as_array() if self.path.is_plain else self.path.text',
        'entry["path"] = self.path.as_array()',
        T + "test_kill_to_entry_keeps_paths",
    ),
    ("paths.py:31 a>b read as a plain key", "mapper/paths.py", "!,:?=<>`", "!,:?=<`", T + "test_kill_special_characters_make_jmespath"),
    (
        "project.py:808 max_errors=1.0 read as 100% (a share read as a count)",
        "mapper/report.py",
        "ratio = isinstance(limit, float)",
        "ratio = isinstance(limit, float) and limit < 1.0",
        T + "test_kill_max_errors_count_versus_share",
    ),
    (
        "max_errors: more than, not as many as",
        "mapper/report.py",
        "if report.failed_records > allowed:",
        "if report.failed_records >= allowed:",
        T + "test_kill_max_errors_count_versus_share",
    ),
    (
        "never run: primary-key whitespace warning",
        "mapper/sink.py",
        'ck.warning(pkw, "whitespace"',
        'ck.note(pkw, "whitespace"',
        T + "test_kill_primary_key_whitespace_and_duplicate_warnings",
    ),
    (
        "never run: primary-key duplicate warning",
        "mapper/sink.py",
        "        if pk in seen:",
        "        if pk not in seen:",
        T + "test_kill_primary_key_whitespace_and_duplicate_warnings",
    ),
    (
        "never run: several recordTimes (all but the first)",
        "mapper/checks.py",
        "for i in record_times[1:]:",
        "for i in record_times[2:]:",
        T + "test_kill_several_record_times_warned_not_crashing",
    ),
    ("never run: negative TTL", "mapper/types/base.py", "if ttl_ns < 0:", "if ttl_ns < -1:", T + "test_kill_set_field_config_rules"),
    (
        "never run: invalid CacheType",
        "mapper/types/base.py",
        'if cache_type not in CACHE_TYPES and cache_type != "":',
        "if False:",
        T + "test_kill_set_field_config_rules",
    ),
    ("never run: negative CacheSize", "mapper/types/base.py", "if cache_size < 0:", "if cache_size < -1:", T + "test_kill_set_field_config_rules"),
    (
        "never run: zero Epoch",
        "mapper/types/times.py",
        "if ns == GO_ZERO_TIME_NS:\n                rules.warning",
        "if False:\n                rules.warning",
        T + "test_kill_zero_epoch_warning_and_values",
    ),
    (
        "never run: Epoch out of range",
        "mapper/types/times.py",
        "return lo <= ns <= hi",
        "return lo - 10**9 <= ns <= hi",
        T + "test_kill_time_and_int_config_rules",
    ),
    ("never run: CustomUnit not positive", "mapper/types/times.py", "if cu_ns == 0:", "if cu_ns < 0:", T + "test_kill_time_and_int_config_rules"),
    (
        "never run: CustomUnit not a duration",
        "mapper/types/times.py",
        '                return False\n            kw["custom_unit_ns"] = cu_ns',
        '            kw["custom_unit_ns"] = cu_ns',
        T + "test_kill_time_and_int_config_rules",
    ),
    (
        "never run: JMESPath failures",
        "mapper/engine/careful.py",
        'self.error(ci, pos, line, "invalid_value", f"JMESPath expression failed: {v.message}")',
        "pass",
        T + "test_kill_jmespath_failure_is_an_error_of_the_record",
    ),
    (
        "never run: JMESPath failure in a primary key",
        "mapper/engine/careful.py",
        'self.error(ci, pos, line, "invalid_id", f"JMESPath expression failed: {v.message}")\n                return',
        "pass",
        T + "test_kill_jmespath_failure_in_a_primary_key",
    ),
    (
        "never run: primary-key conversion errors",
        "mapper/engine/careful.py",
        'self.error(ci, pos, line, "invalid_id", reason)',
        'self.error(self.pk_cols[0], pos, line, "invalid_id", reason)',
        T + "test_kill_primary_key_conversion_errors",
    ),
    (
        "never run: the empty primary key",
        "mapper/engine/careful.py",
        'if key == "":',
        "if key is None:",
        T + "test_kill_primary_key_conversion_errors",
    ),
    (
        "stop 49's CI sample: text_span or -> and (a list column's text counted 0)",
        "mapper/types/base.py",
        "if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):",
        "if pa.types.is_list(arr.type) and pa.types.is_large_list(arr.type):",
        T + "test_text_span_counts_the_text_of_strings_of_lists_and_of_slices",
    ),
]


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="mapper-survivors-"))
    tree = work / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info"))
    bad = 0
    try:
        for name, rel, old, new, test in SURVIVORS:
            path = tree / rel
            original = path.read_text()
            if original.count(old) != 1:
                print(f"GONE      {name}: {old!r} occurs {original.count(old)} times in {rel}")
                bad += 1
                continue
            path.write_text(original.replace(old, new))
            try:
                proc = subprocess.run(
                    [sys.executable, "-B", "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", test],
                    cwd=tree,
                    capture_output=True,
                    text=True,
                )
            finally:
                path.write_text(original)
            killed = proc.returncode == 1
            bad += not killed
            print(f"{'KILLED' if killed else 'SURVIVED'}  {name}  <- {test.split('::')[-1]}" + ("" if killed else f"\n{proc.stdout[-1500:]}"), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
