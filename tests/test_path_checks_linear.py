"""The checks of a JMESPath expression take time linear in its length.

``_check_expression`` finds each function name, slice and ``&`` in the text to place its
error: each search scanned the whole text for its quoted parts again, a match inside a quoted
part was tested against every quoted part, and the pattern of a slice step backtracked over
the colons of a long string literal: a 56 KB path of 8,000 function calls took 26 s of
``mapper check``, 400 KB of a definition (which takes 64 MB) half an hour.
"""

from __future__ import annotations

import time

import pytest

import mapper


@pytest.mark.parametrize(
    "text, refused",
    [
        ("[" + ",".join(["abs(a)"] * 4000) + "]", "more than 256 times over"),  # 4,000 function names to find (7.5 s before)
        ("sort_by([" + ",".join(["'&'"] * 16000) + "], &b)", "more than 256 times over"),  # 16,000 & in quotes before the one
        ("a[?b=='" + ":" * 40000 + "'][::0]", "a slice step cannot be 0"),  # the slice's pattern over 40,000 colons
    ],
    ids=["functions", "quoted-ampersands", "colons"],
)
def test_a_long_expression_is_checked_in_linear_time(text: str, refused: str) -> None:
    started = time.process_time()  # (CPU time: the wall clock of a busy machine is not the code's)
    with pytest.raises(mapper.PathSyntaxError) as exc:
        mapper.parse_path(text)
    assert time.process_time() - started < 2
    assert refused in exc.value.message


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
    text = "{" + ",".join(f"a{i}: a{i}" for i in range(4000)) + "}"
    started = time.process_time()
    assert mapper.parse_path(text).expression == text  # distinct keys: taken
    assert time.process_time() - started < 1
    with pytest.raises(mapper.PathSyntaxError, match="more than 256 times over"):  # still counted: each repeats a
        mapper.parse_path("[a, " + ", ".join(["a.b"] * 300) + "]")
