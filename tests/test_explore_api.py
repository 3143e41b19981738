"""The dashboard's own endpoints under /api/v0/explore, and the dashboard at `/`."""

from __future__ import annotations

from collections.abc import Iterator

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


def test_the_dictionary_offers_linked_facets_and_file_types(cohort: TestClient) -> None:
    """A subject's explorer: its samples', demographics' and files' facets, by type."""
    body = cohort.get("/api/v0/explore/dictionary").json()
    subject = next(node for node in body["nodes"] if node["name"] == "subject")
    linked = {group["type"]: group["facets"] for group in subject["linked"]}
    # Within EXPLORE_LINK_HOPS (2) up and down, and every data file type below.
    assert {"study", "demographic", "diagnosis", "sample", "aliquot"} <= set(linked)
    assert "submitted_unaligned_reads" in linked and "read_group" not in linked
    assert "program" not in linked and "project" not in linked
    tissue = next(f for f in linked["sample"] if f["name"] == "sample.tissue_type")
    assert tissue["kind"] == "text" and "Tumor" in tissue["enum"]
    assert not any(f["name"] in ("sample.id", "sample.project_id") for f in linked["sample"])
    assert subject["file_types"] == [
        "clinical_document",
        "gene_expression_file",
        "imaging_file",
        "submitted_unaligned_reads",
        "aligned_reads",
        "variant_call_file",
    ]
    files = next(node for node in body["nodes"] if node["name"] == "submitted_unaligned_reads")
    assert files["file_types"] == ["submitted_unaligned_reads"]


@pytest.fixture
def indexed_files(cohort: TestClient) -> Iterator[None]:
    """f-1 and f-2 with an object_id, as files with index records have; f-3 without."""
    graph = graph_of(cohort)
    set_ids = (
        "MATCH (f:submitted_unaligned_reads) WHERE f.submitter_id IN ['f-1', 'f-2'] "
        "SET f.object_id = 'dg.TEST/' + f.submitter_id"
    )
    graph.write(set_ids)
    yield
    graph.write("MATCH (f:submitted_unaligned_reads) REMOVE f.object_id")


def test_a_cohort_manifest_lists_its_indexed_files(cohort: TestClient, indexed_files) -> None:
    """Gen3's manifest shape; a subject's files four links below it; no object_id, no entry."""
    response = cohort.post(
        "/api/v0/explore/manifest",
        json={"type": "subject", "filter": {"=": {"species": "Homo sapiens"}}},
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == "attachment; filename=manifest.json"
    # In the order of the files' ids.
    assert sorted(response.json(), key=lambda entry: entry["object_id"]) == [
        {
            "object_id": "dg.TEST/f-1",
            "subject_id": record_id(cohort, "subject", "su-1"),
            "md5sum": "0" * 32,
            "file_name": "f-1.bam",
            "file_size": 1000,
        },
        {
            "object_id": "dg.TEST/f-2",
            "subject_id": record_id(cohort, "subject", "su-2"),
            "md5sum": "0" * 32,
            "file_name": "f-2.fastq",
            "file_size": 2000,
        },
    ]
    linked = {"=": {"sample.sample_type": "Metastatic"}}  # su-3: no files
    assert (
        cohort.post("/api/v0/explore/manifest", json={"type": "subject", "filter": linked}).json()
        == []
    )
    own = cohort.post("/api/v0/explore/manifest", json={"type": "submitted_unaligned_reads"})
    assert [entry["submitted_unaligned_reads_id"] for entry in own.json()] == sorted(
        record_id(cohort, "submitted_unaligned_reads", name) for name in ("f-1", "f-2")
    )


def test_a_bad_manifest_request_is_400(cohort: TestClient) -> None:
    response = cohort.post("/api/v0/explore/manifest", json={"type": "nope"})
    assert response.status_code == 400 and response.json()["message"].startswith("'type' must be")
    response = cohort.post(
        "/api/v0/explore/manifest", json={"type": "subject", "filter": {"=": {"nope": 1}}}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "filter: 'nope' is not a property of subject"
