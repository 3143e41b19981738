"""All or nothing, no duplicates under races, bounded round trips, and 4xx for bad input."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from engine.graph.store import GraphStore
from engine.submission import writer
from engine.submission.transaction_log import COUNTER
from engine.submission.transaction_log import LABEL as LOG
from tests.test_submission_api import PROJECT, STUDY, count, make_project, sample, subject


@pytest.fixture
def project(api: TestClient) -> TestClient:
    make_project(api)
    return api


def test_a_failure_in_the_middle_of_the_write_leaves_nothing(
    project: TestClient, graph: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.put(PROJECT, json=[STUDY])
    real = writer.create_nodes
    calls = []

    def fail_on_second_type(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == 2:
            raise RuntimeError("the store went away half way through")
        return real(*args, **kwargs)

    monkeypatch.setattr(writer, "create_nodes", fail_on_second_type)
    with pytest.raises(RuntimeError):
        project.put(PROJECT, json=[subject("su-1"), subject("su-2"), sample("sa-1", "su-1")])
    assert calls == [
        "subject",
        "sample",
    ]  # subjects and their links were written in the transaction
    assert count(graph, "subject") == 0 and count(graph, "sample") == 0
    assert graph.read("MATCH (:subject)-[r]->() RETURN count(r) AS n") == [{"n": 0}]


def test_a_target_deleted_before_the_write_fails_the_transaction(
    project: TestClient, graph: GraphStore, compiled_default
) -> None:
    """The node statement matches its targets: a vanished one must not drop the node silently."""
    row = {"values": ["su-1", "s-1"], "targets": ["no-such-study"]}

    def write(tx):
        writer.create_nodes(
            tx, compiled_default.dictionary, "subject", ("studies",), ("submitter_id", "id"), [row]
        )

    with pytest.raises(writer.TargetVanished):
        graph.execute_write(write)
    assert count(graph, "subject") == 0


def test_concurrent_submissions_with_overlapping_submitter_ids(
    project: TestClient, graph: GraphStore
) -> None:
    project.put(PROJECT, json=[STUDY])
    failures: list[str] = []

    def submit(offset: int) -> None:
        for start in range(0, 60, 20):
            docs = [subject(f"su-{i}") for i in range(start + offset, start + offset + 30)]
            response = project.put(PROJECT, json=docs)
            if response.status_code != 200:
                failures.append(response.text)

    threads = [threading.Thread(target=submit, args=(offset,)) for offset in (0, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    rows = graph.read(
        "MATCH (n:subject) RETURN count(n) AS n, count(DISTINCT n.submitter_id) AS keys"
    )
    assert rows == [{"n": 80, "keys": 80}]


def test_round_trips_do_not_grow_with_rows(project: TestClient, graph: GraphStore) -> None:
    project.put(PROJECT, json=[STUDY])

    def trips(n: int, prefix: str) -> int:
        docs = [subject(f"{prefix}-{i}") for i in range(n)] + [
            sample(f"{prefix}-s{i}", f"{prefix}-{i}") for i in range(n)
        ]
        before = graph.round_trips
        assert project.put(PROJECT, json=docs).status_code == 200
        return graph.round_trips - before

    assert trips(5, "a") == trips(200, "b")


def test_rows_filling_different_properties_share_their_statements(
    project: TestClient, graph: GraphStore
) -> None:
    """A table's empty cells leave a different set of properties in each row; the statements
    stay one per link set (each took ~25 ms on the embedded store, so one per row was slow)."""
    project.put(PROJECT, json=[STUDY])
    optional = ["disease_type", "primary_site", "index_date", "consent_codes"]
    values = {"disease_type": "d", "primary_site": "p", "index_date": "Diagnosis"}

    def trips(n: int, prefix: str) -> int:
        docs = [
            subject(
                f"{prefix}-{i}",
                **{
                    name: values.get(name, ["c1"])
                    for position, name in enumerate(optional)
                    if i >> position & 1
                },
            )
            for i in range(n)
        ]
        before = graph.round_trips
        assert project.put(PROJECT, json=docs).status_code == 200
        return graph.round_trips - before

    assert trips(1, "a") == trips(16, "b")
    stored = graph.read(
        "MATCH (n:subject) WHERE n.submitter_id STARTS WITH 'b-' "
        "RETURN n.submitter_id AS id, n.disease_type AS d, n.consent_codes AS c"
    )
    assert len(stored) == 16
    assert {row["id"] for row in stored if row["d"] == "d"} == {
        f"b-{i}" for i in range(16) if i & 1
    }
    assert {row["id"] for row in stored if row["c"] == ["c1"]} == {
        f"b-{i}" for i in range(16) if i & 8
    }
    properties = graph.read("MATCH (n:subject {submitter_id: 'b-0'}) RETURN keys(n) AS keys")[0][
        "keys"
    ]
    assert not set(optional) & set(properties)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b'[{"type": "subject",', "application/json", 400, "not valid JSON"),
        (b"\xff\xfe\x00", "application/json", 400, "UTF-8"),
        (b"hello", "text/plain", 400, "content type"),
        (b'"a string"', "application/json", 400, "object or a list"),
        (b"type\tsubmitter_id\nsubject\ta\tb\n", "text/tab-separated-values", 400, "line 2"),
        (b"x" * (1024 * 1024 + 1), "application/json", 413, "limit"),
    ],
)
def test_bad_bodies_get_a_specific_4xx(
    project: TestClient,
    graph: GraphStore,
    body: bytes,
    content_type: str,
    status: int,
    message: str,
) -> None:
    response = project.put(PROJECT, content=body, headers={"content-type": content_type})
    assert response.status_code == status, response.text
    assert message in response.json()["message"]
    assert response.json()["code"] == status
    assert count(graph, "subject") == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
documents = st.fixed_dictionaries(
    {"type": st.sampled_from(["subject", "sample", "study", "program", "nope", 3])},
    optional={
        "submitter_id": st.one_of(st.text(max_size=6), st.integers()),
        "studies": json_values,
        "subjects": json_values,
        "species": json_values,
        "sample_type": json_values,
        "id": st.one_of(st.uuids().map(str), st.text(max_size=5)),
    },
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(st.lists(documents, max_size=4), documents, json_values))
def test_random_documents_never_500_and_never_half_written(
    project: TestClient, graph: GraphStore, body
) -> None:
    # Every submission is recorded in the transaction log, failed ones too: count the rest.
    entities = f"MATCH (n) WHERE NOT n:{LOG} AND NOT n:{COUNTER} RETURN count(n) AS n"
    before = graph.read(entities)[0]["n"]
    response = project.put(
        PROJECT, content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 400), response.text
    after = graph.read(entities)[0]["n"]
    if response.status_code == 400:
        assert after == before
    else:
        assert after - before == response.json()["created_entity_count"]
