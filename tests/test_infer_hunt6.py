"""Found by a hunt of ``mapper infer`` over ../shared/data and adversarial keys: the command
lines infer's messages suggest, the draft against ``validate`` on the data it was drafted from."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest

from mapper.cli import build_parser
from mapper.infer import InferError, infer


def ndjson(*records: Any) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)


def parsed(words: list[str]) -> Any:
    """The CLI's reading of ``mapper infer X WORDS`` (argparse exits 2 on a value it takes for an option)."""
    return build_parser().parse_args(["infer", "x.ndjson", *words])


@pytest.mark.parametrize("key", ["-", "-x", "--x", "-1", "-a.b"])
def test_a_suggested_type_option_on_a_key_starting_with_a_dash_parses(key: str) -> None:
    # found by the hunt: `--type -x=string`, as infer suggested it, is argparse's "argument --type:
    # expected one argument" (it reads -x=string as an option), so the suggestion could not be run
    r = infer(ndjson({"id": 1, key: 1}, {"id": 2, key: 2}, {"id": 3, key: "ground"}))
    note = next(n for n in r.notes if "takes them all" in n)
    offered = re.search(r"(--type\S* .*?|--type=\S+) takes them all", note)
    assert offered, note
    (path,) = r.conflicts
    args = parsed(shlex.split(offered.group(1)))
    assert args.type == [f"{path}=string"], (args.type, note)


def test_a_suggested_records_path_starting_with_a_dash_parses() -> None:
    # found by the hunt: the reader's hint `use --records-path -data` is not a command line argparse takes
    with pytest.raises(InferError) as err:
        infer(b'{"-data": [{"id": 1}, {"id": 2}]}')
    offered = re.search(r"use (--records-path\S* \S+|--records-path=\S+) \(", str(err.value))
    assert offered, str(err.value)
    args = parsed(shlex.split(offered.group(1)))
    assert args.records_path == "-data"


def test_a_suggested_identity_option_on_a_key_starting_with_a_dash_parses() -> None:
    # the same for the identity the error offers instead of --id-field (the user's `--id-field=-k`)
    with pytest.raises(InferError) as err:
        infer(ndjson({"-k": "a"}, {"-k": "b"}), id_field="-k")
    offered = re.search(r"use (--primary-key-fields\S* \S+|--primary-key-fields=\S+) instead", str(err.value))
    assert offered, str(err.value)
    assert parsed(shlex.split(offered.group(1))).primary_key_fields == ["-k"]
    # and the exact string twin of integers beyond 2^53
    with pytest.raises(InferError) as err:
        infer(ndjson({"-id": 2**60 + 1, "-id_str": str(2**60 + 1)}, {"-id": 2**60 + 3, "-id_str": str(2**60 + 3)}), id_field="-id")
    offered = re.search(r"use (--id-field\S* \S+|--id-field=\S+)$", str(err.value))
    assert offered, str(err.value)
    assert parsed(shlex.split(offered.group(1))).id_field == "-id_str"
