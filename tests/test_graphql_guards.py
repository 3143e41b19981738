"""The guards (depth, rows, time) and the round-trip bound, on a fresh graph each."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from engine.graph.store import GraphStore
from tests.graphql_fixture import BASE, errors, load, make_client, query, submit

NESTED = """{ subject(first: 0) {
    submitter_id _samples_count
    samples { submitter_id _aliquots_count aliquots { submitter_id } }
  }
  _subject_count }"""


@pytest.fixture
def make(graph: GraphStore, compiled_default, tmp_path: Path):
    def make(**settings: str) -> TestClient:
        client = make_client(graph, compiled_default, tmp_path, **settings)
        load(client)
        return client

    return make


def test_depth_and_rows_are_limited(make) -> None:
    client = make(GRAPHQL_MAX_DEPTH="2", GRAPHQL_MAX_ROWS="5")
    assert query(client, "{ subject(first: 1) { samples { id } } }")
    (message,) = errors(client, "{ subject(first: 1) { samples { aliquots { id } } } }")
    assert message == "the query nests lists 3 deep, more than the limit of 2 (GRAPHQL_MAX_DEPTH)"
    assert (
        len(query(client, '{ subject(first: 0, project_id: "CGCI-BLGSP") { id } }')["subject"]) == 5
    )
    limit = "the answer would hold more than 5 rows, the limit (GRAPHQL_MAX_ROWS)"
    for text in (
        "{ subject(first: 6) { id } }",
        "{ subject(first: 0) { id } }",
        '{ subject(first: 4, with_links: ["samples"]) { samples { id } } }',
    ):
        (message,) = errors(client, text)
        assert message.startswith(limit), text


def test_time_is_limited(make, graph: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make(GRAPHQL_TIMEOUT_S="0.3")
    slow = graph.read

    def read(query, params=None, *, timeout=None):
        if timeout is not None:  # the query's read; the caller's grants are read without one
            time.sleep(1.5)
        return slow(query, params, timeout=timeout)

    monkeypatch.setattr(graph, "read", read)
    started = time.monotonic()
    (message,) = errors(client, "{ _subject_count }")
    assert time.monotonic() - started < 1.2
    assert message.startswith("the query took longer than 0.3 s, the limit (GRAPHQL_TIMEOUT_S)")


def _chains(start: int, count: int) -> list[dict]:
    """`count` subjects, each with a sample and an aliquot."""
    docs: list[dict] = []
    for index in range(start, start + count):
        subject, sample = f"chain-{index}", f"chain-{index}-s"
        docs.append(
            {"type": "subject", "submitter_id": subject, "studies": {"submitter_id": "OTHER-study"}}
        )
        docs.append(
            {
                "type": "sample",
                "submitter_id": sample,
                "sample_type": "Primary Tumor",
                "subjects": {"submitter_id": subject},
            }
        )
        docs.append(
            {
                "type": "aliquot",
                "submitter_id": f"{sample}-a",
                "analyte_type": "DNA",
                "samples": {"submitter_id": sample},
            }
        )
    return docs


def test_round_trips_depend_on_the_request_not_the_rows(make, graph: GraphStore) -> None:
    client = make()
    answers, trips = [], []
    for start, count in ((0, 5), (5, 195)):
        submit(client, "OTHER", _chains(start, count))
        before = graph.round_trips
        answers.append(query(client, NESTED))
        trips.append(graph.round_trips - before)
    small, large = answers
    assert (small["_subject_count"], large["_subject_count"]) == (6 + 5, 6 + 200)
    assert len(large["subject"]) == 206
    chain = next(row for row in large["subject"] if row["submitter_id"] == "chain-150")
    assert chain["samples"] == [
        {
            "submitter_id": "chain-150-s",
            "_aliquots_count": 1,
            "aliquots": [{"submitter_id": "chain-150-s-a"}],
        }
    ]
    assert trips == [2, 2], "one read for the caller's grants, one for the whole query"
    # Nothing asked of the store, nothing sent to it but the read of the caller's grants.
    before = graph.round_trips
    assert query(client, '{ __typename _node_type(id: "sample") { id } }')
    assert client.get(f"{BASE}/getschema").status_code == 200
    assert graph.round_trips == before + 1
