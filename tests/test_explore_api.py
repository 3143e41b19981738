"""The dashboard's own endpoints under /api/v0/explore, and the dashboard at `/`."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from engine.graph.store import GraphStore
from tests.explore_cohort import cohort_client


@pytest.fixture(scope="module")
def cohort(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TestClient:
    return cohort_client(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


def graph_of(client: TestClient) -> GraphStore:
    return client.app.state.stores.graph


def record_id(client: TestClient, label: str, submitter_id: str) -> str:
    rows = graph_of(client).read(
        f"MATCH (n:`{label}` {{submitter_id: $s}}) RETURN n.id AS id", {"s": submitter_id}
    )
    return rows[0]["id"]


def test_dictionary_has_every_node_type_with_live_counts(cohort: TestClient) -> None:
    body = cohort.get("/api/v0/explore/dictionary").json()
    dictionary = cohort.app.state.compiled.dictionary
    assert [node["name"] for node in body["nodes"]] == list(dictionary.import_order)
    assert body["categories"] == list(dictionary.categories)
    for node in body["nodes"]:
        expected = graph_of(cohort).read(f"MATCH (n:`{node['name']}`) RETURN count(n) AS n")[0]["n"]
        assert node["count"] == expected, node["name"]
    sample = next(node for node in body["nodes"] if node["name"] == "sample")
    assert sample["category"] == "biospecimen"
    assert {
        "name": "subjects",
        "target": "subject",
        "direction": "out",
        "multiplicity": "many_to_one",
    } in sample["links"]
    tissue = next(p for p in sample["properties"] if p["name"] == "tissue_type")
    assert tissue["kind"] == "enum" and "Tumor" in tissue["enum"]
    assert {"name": "weight_mg", "kind": "number", "array": False, "enum": []} in sample["facets"]


def test_projects_count_each_node_type(cohort: TestClient) -> None:
    body = cohort.get("/api/v0/explore/projects").json()
    assert "sample" in body["types"] and "program" not in body["types"]
    projects = {p["project_id"]: p["counts"] for p in body["projects"]}
    assert set(projects) == {"demo-omics", "demo-other"}
    rows = graph_of(cohort).read(
        "MATCH (n:sample) RETURN n.project_id AS project, count(n) AS n ORDER BY project"
    )
    assert (
        [projects[row["project"]]["sample"] for row in rows] == [row["n"] for row in rows] == [5, 1]
    )
    assert projects["demo-omics"]["submitted_unaligned_reads"] == 3


def test_a_record_comes_with_its_neighbours(cohort: TestClient) -> None:
    body = cohort.get(
        f"/api/v0/explore/records/sample/{record_id(cohort, 'sample', 'sa-1')}"
    ).json()
    assert body["type"] == "sample" and body["record"]["submitter_id"] == "sa-1"
    edges = {edge["name"]: edge for edge in body["edges"]}
    assert edges["subjects"]["count"] == 1 and edges["subjects"]["target"] == "subject"
    assert edges["subjects"]["neighbours"][0]["submitter_id"] == "su-1"
    assert edges["aliquots"]["count"] == 2
    assert [n["submitter_id"] for n in edges["aliquots"]["neighbours"]] == ["al-1", "al-2"]
    assert edges["child_samples"] == {
        "name": "child_samples",
        "target": "sample",
        "direction": "in",
        "count": 0,
        "neighbours": [],
    }


def test_neighbours_are_cut_but_counted(cohort: TestClient) -> None:
    from engine.query.neighbourhood import neighbourhood

    dictionary = cohort.app.state.compiled.dictionary
    found = neighbourhood(
        graph_of(cohort),
        dictionary,
        dictionary.nodes["study"],
        record_id(cohort, "study", "st-1"),
        limit=2,
    )
    assert found is not None
    subjects = next(edge for edge in found["edges"] if edge["name"] == "subjects")
    assert subjects["count"] == 4 and [n["submitter_id"] for n in subjects["neighbours"]] == [
        "su-1",
        "su-2",
    ]


def test_unknown_records_are_404(cohort: TestClient) -> None:
    assert cohort.get("/api/v0/explore/records/nope/x").status_code == 404
    response = cohort.get("/api/v0/explore/records/sample/not-an-id")
    assert (
        response.status_code == 404 and "no sample with id not-an-id" in response.json()["message"]
    )


def test_the_dashboard_is_at_the_root_and_shadows_nothing(cohort: TestClient) -> None:
    page = cohort.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/dashboard/app.js">' in page.text
    assert cohort.get("/dashboard/app.js").headers["content-type"].startswith("text/javascript")
    assert cohort.get("/dashboard/nope.js").status_code == 404
    assert cohort.get("/_status").text == "Healthy"
    assert cohort.get("/api/v0/submission/").json() == {"links": ["/v0/submission/demo"]}
    assert cohort.get("/nope").status_code == 404
