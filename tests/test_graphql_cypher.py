"""The Cypher builder on query trees, without a store: values as parameters, the readable-projects seam."""

from __future__ import annotations

import pytest

from engine.dictionary.compile import CompiledDictionary
from engine.query.cypher import build_statement
from engine.query.tree import (
    ALWAYS,
    AllOf,
    And,
    AnyOf,
    Branch,
    Compare,
    Count,
    HasEdge,
    Link,
    NodeCount,
    NodeList,
    Not,
    Page,
    Reach,
    Search,
    Shape,
    Value,
)

EVIL = "x' OR 1=1 // `case`"


def _samples(compiled_default: CompiledDictionary) -> NodeList:
    subject = compiled_default.dictionary.nodes["subject"]
    sample = compiled_default.dictionary.nodes["sample"]
    aliquots = NodeList(
        (Branch("aliquot", AnyOf("submitter_id", (EVIL,)), Shape((Value("id", "id", str),))),),
        Page(3, 1, (("submitter_id", True),)),
    )
    where = And(
        (
            Compare("days_to_collection", ">", EVIL),
            Search(("id", "submitter_id"), EVIL),
            Not(AllOf("tags", (EVIL,))),
            HasEdge(sample.edges["aliquots"], AnyOf("submitter_id", (EVIL,))),
            Reach("out", ("SUBJECTS", "STUDIES"), 2, "study", AnyOf("submitter_id", (EVIL,))),
        )
    )
    shape = Shape(
        (
            Value("sid", "submitter_id", str),
            Count("n", sample.edges["aliquots"], ALWAYS),
            Link("aliquots", sample.edges["aliquots"], aliquots),
        )
    )
    assert subject.edges["samples"].target == "sample"
    return NodeList((Branch("sample", where, shape),), Page(10, 0, ()))


def test_values_travel_only_as_parameters(compiled_default: CompiledDictionary) -> None:
    statement = build_statement([_samples(compiled_default)], max_rows=100)
    assert EVIL not in statement.text and "1=1" not in statement.text
    assert EVIL in statement.parameters.values()
    assert [EVIL] in statement.parameters.values()
    assert {3, 10, 1} <= {
        value for value in statement.parameters.values() if isinstance(value, int)
    }
    assert statement.columns == ("r0",)


def test_limits_are_capped_one_past_the_rows_limit(compiled_default: CompiledDictionary) -> None:
    everything = NodeList((Branch("sample", ALWAYS, Shape(())),), Page(None, 0, ()))
    many = NodeList((Branch("sample", ALWAYS, Shape(())),), Page(500, 0, ()))
    assert build_statement([everything], max_rows=50).parameters == {"p0": 51}
    assert build_statement([many], max_rows=50).parameters == {"p0": 51}


def test_readable_projects_reach_every_node_the_statement_touches(
    compiled_default: CompiledDictionary,
) -> None:
    queries = [_samples(compiled_default), NodeCount("subject", ALWAYS)]
    open_statement = build_statement(queries, max_rows=100)
    assert "project_id IN" not in open_statement.text
    statement = build_statement(queries, readable=frozenset({"P-B", "P-A"}), max_rows=100)
    # The root, its nested list, its count, the has-link and path targets, the root count.
    assert statement.text.count(".project_id IN $p0") == 6
    assert statement.parameters["p0"] == ["P-A", "P-B"]


def test_names_are_checked(compiled_default: CompiledDictionary) -> None:
    bad = NodeList((Branch("case`) DETACH DELETE (n", ALWAYS, Shape(())),), Page())
    with pytest.raises(ValueError, match="not a valid graph name"):
        build_statement([bad], max_rows=10)
