"""A new user's command lines on real data (stop 60's hunt): what each says is what a pasted command does."""

from __future__ import annotations

import pytest

from tests.cli_inproc import ROOT, run_main

SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"


# -- another command's option is named as that command's, not as a near miss of one of this one's ----


@pytest.mark.parametrize(
    ("argv", "said", "not_said"),
    [
        # bench's --report was "did you mean '--repeat'?": --repeat json is no number
        (["bench", SINK, RECORDS, "--report", "json"], "--report json (--report is an option of validate, infer, not of bench)", "--repeat"),
        # validate's --repeat was "did you mean '--report'?": --report 3 is no report format
        (["validate", SINK, RECORDS, "--repeat", "3"], "--repeat 3 (--repeat is an option of bench, not of validate)", "did you mean"),
        (["bench", SINK, RECORDS, "-o", "out.npz"], "-o out.npz (-o is an option of map, not of bench)", "did you mean"),
        (["validate", SINK, RECORDS, "--json", "figures.json"], "--json figures.json (--json is an option of bench, not of validate)", "did you mean"),
    ],
    ids=["bench --report", "validate --repeat", "bench -o", "validate --json"],
)
def test_another_commands_option_is_said_to_be_its(argv, said, not_said):
    ran = run_main(*argv)
    assert ran.returncode == 2 and ran.out == "", ran
    line = ran.err.splitlines()[-1]
    assert f"error: unrecognized arguments: {said}" in line and not_said not in line, ran.err
