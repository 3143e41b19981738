"""Submission through GraphQL mutations: the same engine and answers as the REST API."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from engine.graph.store import GraphStore
from tests.test_submission_api import PROJECT, STUDY, count, make_project

GRAPHQL = "/api/v0/submission/graphql"

SUBMIT_SUBJECTS = """
mutation Add($input: [SubjectInput!]!, $dry: Boolean) {
  submitSubject(project_id: "demo-omics", input: $input, dry_run: $dry) {
    code success created_entity_count updated_entity_count
    entities { id type action valid errors { type keys message } unique_keys { submitter_id } }
  }
}
"""


@pytest.fixture
def project(api: TestClient) -> TestClient:
    make_project(api)
    api.put(PROJECT, json=[STUDY])
    return api


def mutate(api: TestClient, query: str, variables: dict) -> dict:
    return api.post(GRAPHQL, json={"query": query, "variables": variables}).json()


def test_submit_creates_then_updates(project: TestClient, graph: GraphStore) -> None:
    subjects = [
        {"submitter_id": "su-1", "studies": [{"submitter_id": "st-1"}], "consent_codes": ["GRU"]},
        {"submitter_id": "su-2", "studies": [{"submitter_id": "st-1"}]},
    ]
    body = mutate(project, SUBMIT_SUBJECTS, {"input": subjects})
    answer = body["data"]["submitSubject"]
    assert answer["success"] and answer["code"] == 200
    assert answer["created_entity_count"] == 2
    assert [e["unique_keys"][0]["submitter_id"] for e in answer["entities"]] == ["su-1", "su-2"]
    assert count(graph, "subject") == 2
    again = mutate(project, SUBMIT_SUBJECTS, {"input": subjects[:1]})["data"]["submitSubject"]
    assert again["updated_entity_count"] == 1 and again["entities"][0]["action"] == "update"
    assert again["entities"][0]["id"] == answer["entities"][0]["id"]


def test_invalid_input_is_reported_in_sheepdog_shape_and_writes_nothing(
    project: TestClient, graph: GraphStore
) -> None:
    subjects = [{"submitter_id": "su-1", "studies": [{"submitter_id": "nobody"}]}]
    answer = mutate(project, SUBMIT_SUBJECTS, {"input": subjects})["data"]["submitSubject"]
    assert answer["success"] is False and answer["code"] == 400
    assert answer["entities"][0]["errors"][0]["type"] == "INVALID_LINK"
    assert answer["entities"][0]["errors"][0]["keys"] == ["studies"]
    assert count(graph, "subject") == 0


def test_dry_run_and_unknown_project(project: TestClient, graph: GraphStore) -> None:
    subjects = [{"submitter_id": "su-1", "studies": [{"submitter_id": "st-1"}]}]
    answer = mutate(project, SUBMIT_SUBJECTS, {"input": subjects, "dry": True})["data"][
        "submitSubject"
    ]
    assert answer["success"] and count(graph, "subject") == 0
    query = SUBMIT_SUBJECTS.replace("demo-omics", "demo-nothing")
    response = project.post(GRAPHQL, json={"query": query, "variables": {"input": subjects}})
    assert response.status_code == 400
    assert response.json()["errors"] == ["project demo-nothing does not exist"]


def test_values_are_stored_as_rest_would_store_them(project: TestClient, graph: GraphStore) -> None:
    """Integers travel as Float but are stored as integers; enum values as plain strings."""
    project.put(
        PROJECT,
        json=[{"type": "subject", "submitter_id": "su-1", "studies": {"submitter_id": "st-1"}}],
    )
    query = """mutation { submitSample(project_id: "demo-omics", input: [{submitter_id: "sa-1",
      sample_type: "Primary Tumor", days_to_collection: 3, tissue_type: Tumor,
      subjects: [{submitter_id: "su-1"}]}]) { success } }"""
    assert mutate(project, query, {})["data"]["submitSample"]["success"]
    stored = "MATCH (n:sample) RETURN n.days_to_collection AS d, n.tissue_type AS t"
    assert graph.read(stored) == [{"d": 3, "t": "Tumor"}]


def test_delete_refuses_dependents_then_cascades(project: TestClient, graph: GraphStore) -> None:
    subjects = [{"submitter_id": "su-1", "studies": [{"submitter_id": "st-1"}]}]
    subject_id = mutate(project, SUBMIT_SUBJECTS, {"input": subjects})["data"]["submitSubject"][
        "entities"
    ][0]["id"]
    study_id = graph.read("MATCH (n:study) RETURN n.id AS id")[0]["id"]
    delete = 'mutation Del($ids: [String!]!, $cascade: Boolean) { delete(project_id: "demo-omics", ids: $ids, cascade: $cascade) { success deleted_entity_count entities { errors { type message } } } }'
    refused = mutate(project, delete, {"ids": [study_id]})["data"]["delete"]
    assert refused["success"] is False
    assert subject_id in refused["entities"][0]["errors"][0]["message"]
    done = mutate(project, delete, {"ids": [study_id], "cascade": True})["data"]["delete"]
    assert done["success"] and done["deleted_entity_count"] == 2
    assert count(graph, "subject") == 0 and count(graph, "study") == 0


def test_a_mutation_is_validated_against_the_schema(project: TestClient) -> None:
    response = project.post(
        GRAPHQL, json={"query": 'mutation { submitSubject(project_id: "x") { success } }'}
    )
    assert response.status_code == 400
    assert any("input" in message for message in response.json()["errors"])
