"""``lookupText`` is a type FeatureBase's ingester (idk) knows: it writes the value to a separate
PostgreSQL lookup table, not to a FeatureBase column. check called it "unsupported type" as if
it were a typo; it says what it is and that mapper does not do it."""

from __future__ import annotations

import mapper


def _problems(ctype: str) -> dict[tuple[str, str], mapper.Problem]:
    doc = {
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": ["t"], "type": ctype}],
    }
    result = mapper.check_sink(doc)
    assert not result.valid
    return {(p.pointer, p.code): p for p in result.problems}


def test_lookup_text_is_said_to_be_idk_s_and_not_mapper_s():
    (problem,) = _problems("lookupText").values()
    assert (problem.pointer, problem.code, problem.severity) == ("/definition/1/type", "unsupported-type", "error")
    message = problem.message
    assert message.startswith("type 'lookupText' is FeatureBase's ingester's (idk's) lookup text field"), message
    assert "PostgreSQL" in message and "--lookup-db-dsn" in message  # what it is
    assert "mapper does not" in message and "'string'" in message  # what mapper does, what to write instead
    assert "unsupported type" not in message


def test_a_lookup_text_in_another_case_says_how_idk_spells_it():
    (problem,) = _problems("LookupText").values()
    assert problem.code == "unsupported-type" and "idk's definitions spell it 'lookupText'" in problem.message


def test_an_unknown_type_is_still_said_so():
    (problem,) = _problems("strng").values()
    assert problem.code == "unknown-type" and problem.message.startswith("unsupported type 'strng'")
