"""The query API over HTTP: peregrine's request and error shapes, the schema, GraphiQL."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from engine.graph.store import GraphStore
from tests.graphql_fixture import BASE, GRAPHQL, errors, loaded_client, query


@pytest.fixture(scope="module")
def client(
    graph_store: GraphStore, compiled_default, tmp_path_factory: pytest.TempPathFactory
) -> TestClient:
    return loaded_client(graph_store, compiled_default, tmp_path_factory.mktemp("data"))


def test_both_prefixes_answer_before_the_program_routes(client: TestClient) -> None:
    for path in (GRAPHQL, "/v0/submission/graphql"):
        response = client.post(path, json={"query": "{ _study_count }"})
        assert response.status_code == 200 and response.json() == {"data": {"_study_count": 2}}


def test_variables_may_be_json_text_and_operations_chosen_by_name(client: TestClient) -> None:
    text = """query A($p: [String]) { _subject_count(project_id: $p) }
              query B { _study_count }"""
    response = client.post(
        GRAPHQL,
        json={"query": text, "variables": '{"p": ["CGCI-OTHER"]}', "operationName": "A"},
    )
    assert response.json() == {"data": {"_subject_count": 1}}
    response = client.post(GRAPHQL, json={"query": text, "variables": None, "operationName": "B"})
    assert response.json() == {"data": {"_study_count": 2}}
    assert errors(client, text) == [
        "the document holds several operations: name one with `operationName`"
    ]
    # An unset variable leaves its argument out, as peregrine's test_null_variable expects.
    assert query(client, "query ($p: [String]) { _subject_count(project_id: $p) }") == {
        "_subject_count": 6
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{ subject { nope } }", "Cannot query field 'nope' on type 'subject'."),
        ("{ nope }", "Cannot query field 'nope' on type 'Query'."),
        ('{ subject(first: "ten") { id } }', 'Int cannot represent non-integer value: "ten"'),
        (
            '{ subject(project_id: [["list", "of"], ["lists"]]) { id } }',
            'String cannot represent a non string value: ["list", "of"]',
        ),
        ("{ subject(nope: 1) { id } }", "Unknown argument 'nope' on field 'Query.subject'."),
        ("{ case-1: subject(first: 1) { id } }", "Syntax Error: Expected Name, found Int '-1'."),
        ("mutation { subject { id } }", "Cannot query field 'subject' on type 'Mutation'."),
    ],
)
def test_invalid_requests_are_a_list_of_messages_with_400(
    client: TestClient, text: str, message: str
) -> None:
    response = client.post(GRAPHQL, json={"query": text})
    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None
    assert any(error.startswith(message) for error in body["errors"]), body


def test_bad_bodies(client: TestClient) -> None:
    response = client.post(GRAPHQL, content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["data"] is None
    response = client.post(GRAPHQL, json={"variables": {}})
    assert response.json()["errors"] == ["query: send the GraphQL query text as `query`"]
    response = client.post(GRAPHQL, json={"query": "{ _study_count }", "variables": "[1]"})
    assert response.json()["errors"] == ["variables: expected an object of variable values"]


def test_introspection_beside_data(client: TestClient) -> None:
    data = query(
        client,
        """{ __type(name: "subject") { name fields { name } }
             _study_count
             __schema { queryType { name } } }""",
    )
    assert data["__type"]["name"] == "subject"
    assert {"samples", "_samples_count", "consent_codes"} <= {
        field["name"] for field in data["__type"]["fields"]
    }
    assert (data["_study_count"], data["__schema"]) == (2, {"queryType": {"name": "Query"}})


def test_getschema_is_the_introspection(client: TestClient) -> None:
    for prefix in (BASE, "/v0/submission"):
        response = client.get(f"{prefix}/getschema")
        assert response.status_code == 200
        schema = response.json()["data"]["__schema"]
        names = {kind["name"] for kind in schema["types"]}
        assert {"subject", "sample", "Node", "DataNode", "_NodeType", "viewer", "JSON"} <= names
        assert schema["queryType"]["name"] == "Query"


def test_graphiql_is_served_from_local_assets(client: TestClient) -> None:
    page = client.get("/graphql")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/api/v0/submission/graphql" in page.text
    for asset in (
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ):
        assert f"/graphql/assets/{asset}" in page.text
        assert client.get(f"/graphql/assets/{asset}").status_code == 200
    assert "https://" not in page.text.split("<body>")[0]
