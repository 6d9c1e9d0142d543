"""What the docs/*.md pages say, held against the code where the code was wrong (docs truth audit)."""

from __future__ import annotations

import pytest

import mapper


def _sink(extra: dict) -> mapper.Sink:
    definition = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": ["t"], "type": "recordTime", "config": {"Granularity": "ns"}}, extra]
    return mapper.load_sink({"id_field": "id", "allow_missing_fields": True, "definition": definition})


@pytest.mark.parametrize(
    ("column", "said"),
    [
        # docs/spark.md: a sink column named like one mapper adds, in any case, is refused; the
        # message named the sink's '_POSITION' the output column and mapper's '_position' the sink's
        ("_POSITION", "the sink column '_POSITION' clashes with the column mapper adds '_position'"),
        ("_missing", "the column mapper adds '_missing' clashes with the sink column '_missing'"),
        ("t__ns", "the sink column 't__ns' clashes with the column mapper adds 't__ns'"),
        ("_Raw", "the column mapper adds '_raw' clashes with the sink column '_Raw'"),
    ],
)
def test_a_clash_names_which_column_is_the_sinks_and_which_mappers(column: str, said: str) -> None:
    pytest.importorskip("pyarrow")
    from mapper.spark import check_sink_columns

    with pytest.raises(mapper.OptionError) as caught:
        check_sink_columns(_sink({"name": column, "path": ["x"], "type": "int"}))
    assert str(caught.value).startswith(said + ":"), str(caught.value)


def test_a_clash_with_an_input_column_names_it_so() -> None:
    pytest.importorskip("pyarrow")
    from mapper.spark import check_sink_columns

    with pytest.raises(mapper.OptionError) as caught:
        check_sink_columns(_sink({"name": "k", "path": ["x"], "type": "int"}), ["topic", "K"])
    assert str(caught.value).startswith("the sink column 'k' clashes with the input column 'K':"), str(caught.value)
    with pytest.raises(mapper.OptionError) as caught:
        check_sink_columns(_sink({"name": "k", "path": ["x"], "type": "int"}), ["_ID"])
    assert str(caught.value).startswith("the column mapper adds '_id' clashes with the input column '_ID':"), str(caught.value)
