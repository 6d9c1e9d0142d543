"""The checks of a JMESPath expression take time linear in its length.

``_check_expression`` finds each function name, slice and ``&`` in the text to place its
error: each search scanned the whole text for its quoted parts again, a match inside a quoted
part was tested against every quoted part, and the pattern of a slice step backtracked over
the colons of a long string literal: a 56 KB path of 8,000 function calls took 26 s of
``mapper check``, 400 KB of a definition (which takes 64 MB) half an hour.
"""

from __future__ import annotations

import gc
import time
from typing import Callable

import pytest

import mapper


def _cpu(text: str) -> float:
    """The least CPU time of three checks of ``text`` (refused or taken alike), the cyclic garbage
    collector held off while each runs: a collection over a test process's whole heap (thousands of
    tests' objects) landing in one run took ~70 ms of CPU, and a 20 ms check was judged quadratic
    (a CI run, 2026-12-06)."""
    best = float("inf")
    for _ in range(3):
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()  # (CPU time: the wall clock of a busy machine is not the code's)
            try:
                mapper.parse_path(text)
            except mapper.PathSyntaxError:
                pass
            best = min(best, time.process_time() - started)
        finally:
            gc.enable()
    return best


def _grows_linearly(make: Callable[[int], str], n: int) -> None:
    # four times the input in at most ~eight times the time (linear: 4x; the quadratic checks: 16x)
    small, big = _cpu(make(n)), _cpu(make(4 * n))
    assert big < 8 * small + 0.02, (n, small, big)


@pytest.mark.parametrize(
    "make, n, refused",
    [
        (lambda n: "[" + ",".join(["abs(a)"] * n) + "]", 400, "more than 256 times over"),  # function names to find (4,000: 7.5 s before)
        (lambda n: "sort_by([" + ",".join(["'&'"] * n) + "], &b)", 1000, "more than 256 times over"),  # & in quotes before the one
        (lambda n: "a[?b=='" + ":" * n + "'][::0]", 5000, "a slice step cannot be 0"),  # the slice's pattern over the colons
    ],
    ids=["functions", "quoted-ampersands", "colons"],
)
@pytest.mark.no_cover  # timed: coverage's tracer would be timed too (the refusals are traced in test_definitions)
def test_a_long_expression_is_checked_in_linear_time(make: Callable[[int], str], n: int, refused: str) -> None:
    with pytest.raises(mapper.PathSyntaxError) as exc:
        mapper.parse_path(make(n))
    assert refused in exc.value.message
    _grows_linearly(make, n)


def test_the_places_of_errors_skip_what_is_quoted() -> None:
    # each error placed at its own token, not at one inside a quoted key or a literal before it
    cases = {
        "\"abs(\".x | ['a[::0]'] | a[::0]": "[::0]",
        "'&b' | `\"&c\"` | &d": "&d",
        '"nope(" | nope(a)': "nope(a)",
        '[abs(a), `"x[1:2:0]"`, a[1 : 2 : 0]]': "[1 : 2 : 0]",
    }
    for text, token in cases.items():
        with pytest.raises(mapper.PathSyntaxError) as exc:
            mapper.parse_path(text)
        assert exc.value.position == text.rindex(token), (text, exc.value.position)


def test_a_wide_multi_select_of_distinct_keys_is_checked_in_linear_time() -> None:
    # how many keys side by side select a part twice was a test of every pair: 4,000 took 3 s
    def make(n: int) -> str:
        return "{" + ",".join(f"a{i}: a{i}" for i in range(n)) + "}"

    assert mapper.parse_path(make(500)).expression == make(500)  # distinct keys: taken
    _grows_linearly(make, 500)
    with pytest.raises(mapper.PathSyntaxError, match="more than 256 times over"):  # still counted: each repeats a
        mapper.parse_path("[a, " + ", ".join(["a.b"] * 300) + "]")
