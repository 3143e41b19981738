"""Sheepdog's submission API on the default dictionary, against the real stores."""

from __future__ import annotations

import uuid

import pytest
from starlette.testclient import TestClient

from engine.graph.store import GraphStore

BASE = "/api/v0/submission"
PROJECT = f"{BASE}/demo/omics"


def count(graph: GraphStore, label: str, project_id: str = "demo-omics") -> int:
    return graph.read(
        f"MATCH (n:`{label}`) WHERE n.project_id = $p RETURN count(n) AS n", {"p": project_id}
    )[0]["n"]


def make_project(api: TestClient, program: str = "demo", code: str = "omics") -> None:
    response = api.put(
        f"{BASE}/", json={"type": "program", "name": program, "dbgap_accession_number": "phs1"}
    )
    assert response.status_code == 200, response.text
    response = api.put(
        f"{BASE}/{program}",
        json={
            "type": "project",
            "code": code,
            "name": f"Project {code}",
            "dbgap_accession_number": "phs2",
        },
    )
    assert response.status_code == 200, response.text


STUDY = {
    "type": "study",
    "submitter_id": "st-1",
    "study_design": "Cohort",
    "projects": {"code": "omics"},
}


def subject(sid: str, **extra) -> dict:
    return {"type": "subject", "submitter_id": sid, "studies": {"submitter_id": "st-1"}, **extra}


def sample(sid: str, subject_sid: str, **extra) -> dict:
    return {
        "type": "sample",
        "submitter_id": sid,
        "sample_type": "Primary Tumor",
        "subjects": {"submitter_id": subject_sid},
        **extra,
    }


def errors_of(body: dict) -> list[tuple[str, list[str]]]:
    return [
        (error["type"], error["keys"]) for entity in body["entities"] for error in entity["errors"]
    ]


@pytest.fixture
def project(api: TestClient) -> TestClient:
    make_project(api)
    return api


def test_programs_and_projects_have_sheepdog_ids(api: TestClient) -> None:
    response = api.post(
        f"{BASE}/", json={"type": "program", "name": "CGCI", "dbgap_accession_number": "phs000235"}
    )
    assert response.json()["id"] == str(
        uuid.uuid5(uuid.UUID("85b08c6a-56a6-4474-9c30-b65abfd214a8"), "CGCI")
    )
    assert response.json()["message"] == "Program registered."
    response = api.put(
        f"{BASE}/", json={"type": "program", "name": "CGCI", "dbgap_accession_number": "phs000235"}
    )
    assert response.json()["message"] == "Program is updated!"
    response = api.put(
        f"{BASE}/CGCI",
        json={
            "type": "project",
            "code": "BLGSP",
            "name": "Burkitt",
            "dbgap_accession_number": "phs000527",
        },
    )
    assert response.status_code == 200 and response.json()["code"] == 200
    assert response.json()["entities"][0]["id"] == "daa208a7-f57a-562c-a04a-7a7c77542c98"
    assert api.get(f"{BASE}/").json() == {"links": ["/v0/submission/CGCI"]}
    assert api.get(f"{BASE}/CGCI").json() == {"links": ["/v0/submission/CGCI/BLGSP"]}
    assert api.get("/v0/submission/CGCI").json() == {"links": ["/v0/submission/CGCI/BLGSP"]}


def test_unknown_program_and_project_are_404(api: TestClient) -> None:
    assert api.get(f"{BASE}/nope").status_code == 404
    response = api.put(f"{BASE}/nope/nothing", json=[subject("s-1")])
    assert response.status_code == 404 and "nope-nothing" in response.json()["message"]


def test_put_links_in_any_order_within_the_request(project: TestClient, graph: GraphStore) -> None:
    docs = [sample("sa-1", "su-1"), subject("su-1"), STUDY]
    response = project.put(PROJECT, json=docs)
    body = response.json()
    assert response.status_code == 200, body
    assert body["success"] and body["code"] == 200
    assert body["created_entity_count"] == 3 and body["updated_entity_count"] == 0
    assert [e["action"] for e in body["entities"]] == ["create"] * 3
    assert body["entities"][0]["unique_keys"] == [
        {"project_id": "demo-omics", "submitter_id": "sa-1"}
    ]
    uuid.UUID(body["entities"][0]["id"])
    rows = graph.read(
        "MATCH (s:sample)-[:SUBJECTS]->(u:subject)-[:STUDIES]->(t:study)-[:PROJECTS]->(p:project) "
        "RETURN s.submitter_id AS s, u.submitter_id AS u, t.submitter_id AS t, p.code AS p"
    )
    assert rows == [{"s": "sa-1", "u": "su-1", "t": "st-1", "p": "omics"}]


def test_several_targets_targets_of_the_same_type_and_replaced_links(
    project: TestClient, graph: GraphStore
) -> None:
    first = project.put(PROJECT, json=[STUDY, subject("su-1"), sample("sa-0", "su-1")])
    assert first.status_code == 200, first.text
    parents = [{"submitter_id": "sa-0"}, {"submitter_id": "sa-1"}]
    docs = [
        sample("sa-2", "su-1", parent_samples=parents),  # one stored, one created below it
        sample("sa-1", "su-1", parent_samples=[{"submitter_id": "sa-0"}]),
        subject("su-2"),
    ]
    response = project.put(PROJECT, json=docs)
    assert response.status_code == 200, response.text

    def links() -> list[dict]:
        return graph.read(
            "MATCH (s:sample)-[r]->(t) RETURN s.submitter_id AS s, type(r) AS r, "
            "t.submitter_id AS t ORDER BY s, r, t"
        )

    assert links() == [
        {"s": "sa-0", "r": "SUBJECTS", "t": "su-1"},
        {"s": "sa-1", "r": "PARENT_SAMPLES", "t": "sa-0"},
        {"s": "sa-1", "r": "SUBJECTS", "t": "su-1"},
        {"s": "sa-2", "r": "PARENT_SAMPLES", "t": "sa-0"},
        {"s": "sa-2", "r": "PARENT_SAMPLES", "t": "sa-1"},
        {"s": "sa-2", "r": "SUBJECTS", "t": "su-1"},
    ]
    update = sample("sa-2", "su-2", parent_samples=[{"submitter_id": "sa-1"}])
    assert project.put(PROJECT, json=[update]).json()["updated_entity_count"] == 1
    assert links()[3:] == [
        {"s": "sa-2", "r": "PARENT_SAMPLES", "t": "sa-1"},
        {"s": "sa-2", "r": "SUBJECTS", "t": "su-2"},
    ]


def test_post_creates_and_refuses_existing(project: TestClient) -> None:
    assert project.post(PROJECT, json=[STUDY, subject("su-1")]).status_code == 201
    response = project.post(PROJECT, json=[subject("su-1")])
    assert response.status_code == 400
    assert errors_of(response.json()) == [("NOT_UNIQUE", ["submitter_id"])]


def test_put_updates_and_keeps_the_id(project: TestClient, graph: GraphStore) -> None:
    first = project.put(PROJECT, json=[STUDY, subject("su-1", species="Homo sapiens")]).json()
    second = project.put(PROJECT, json=[subject("su-1", species="Mus musculus")]).json()
    assert second["updated_entity_count"] == 1 and second["entities"][0]["action"] == "update"
    assert second["entities"][0]["id"] == first["entities"][1]["id"]
    rows = graph.read("MATCH (n:subject) RETURN n.species AS species, n.id AS id")
    assert rows == [{"species": "Mus musculus", "id": first["entities"][1]["id"]}]


def test_invalid_entities_write_nothing_and_name_each_error(
    project: TestClient, graph: GraphStore
) -> None:
    docs = [
        STUDY,
        subject("su-1", colour="blue"),
        {"type": "sample", "submitter_id": "sa-1", "subjects": {"submitter_id": "su-1"}},
        sample("sa-2", "su-missing"),
        sample("sa-3", "su-1", sample_type="Not A Type"),
        {"type": "casee", "submitter_id": "x"},
        sample("sa-4", "su-missing", sample_type="Not A Type"),
    ]
    response = project.put(PROJECT, json=docs)
    assert response.status_code == 400
    body = response.json()
    assert not body["success"] and body["entity_error_count"] == 6
    assert body["created_entity_count"] == 0
    by_entity = [[(e["type"], e["keys"]) for e in entity["errors"]] for entity in body["entities"]]
    assert by_entity[0] == []
    assert by_entity[1] == [("INVALID_VALUE", ["colour"])]
    assert by_entity[2] == [("MISSING_PROPERTY", ["sample_type"])]
    assert by_entity[3] == [("INVALID_LINK", ["subjects"])]
    assert by_entity[4] == [("INVALID_VALUE", ["sample_type"])]
    assert by_entity[5] == [("INVALID_VALUE", ["type"])]
    # Every error at once, the schema's first: the store is asked about invalid entities too.
    assert by_entity[6] == [("INVALID_VALUE", ["sample_type"]), ("INVALID_LINK", ["subjects"])]
    assert "'casee' is not a node type" in body["entities"][5]["errors"][0]["message"]
    assert (
        "no subject with submitter_id 'su-missing'" in body["entities"][3]["errors"][0]["message"]
    )
    assert count(graph, "study") == 0 and count(graph, "subject") == 0


def test_duplicates_within_a_request(project: TestClient) -> None:
    response = project.put(PROJECT, json=[STUDY, subject("su-1"), subject("su-1")])
    assert response.status_code == 400
    assert errors_of(response.json()) == [("NOT_UNIQUE", ["submitter_id"])] * 2


def test_many_to_one_link_takes_one_target(project: TestClient) -> None:
    project.put(PROJECT, json=[STUDY, subject("su-1"), subject("su-2")])
    doc = sample("sa-1", "su-1")
    doc["subjects"] = [{"submitter_id": "su-1"}, {"submitter_id": "su-2"}]
    response = project.put(PROJECT, json=[doc])
    assert response.status_code == 400
    assert ("INVALID_LINK", ["subjects"]) in errors_of(response.json())


def test_required_link_group(project: TestClient) -> None:
    doc = {
        "type": "submitted_unaligned_reads",
        "submitter_id": "f-1",
        "file_name": "a.fastq",
        "file_size": 10,
        "md5sum": "0" * 32,
        "data_category": "Sequencing Reads",
        "data_type": "Unaligned Reads",
        "data_format": "FASTQ",
        "experimental_strategy": "WGS",
    }
    response = project.put(PROJECT, json=[doc])
    assert response.status_code == 400
    errors = errors_of(response.json())
    assert ("MISSING_PROPERTY", ["read_groups", "core_metadata_collections"]) in errors


def test_cross_project_links_are_refused(project: TestClient, graph: GraphStore) -> None:
    make_project(project, "demo", "other")
    other = dict(STUDY, projects={"code": "other"})
    assert project.put(f"{BASE}/demo/other", json=[other, subject("su-x")]).status_code == 200
    subject_id = graph.read("MATCH (n:subject) RETURN n.id AS id")[0]["id"]
    project.put(PROJECT, json=[STUDY])
    doc = sample("sa-1", "ignored")
    doc["subjects"] = {"id": subject_id}
    response = project.put(PROJECT, json=[doc])
    assert response.status_code == 400
    message = response.json()["entities"][0]["errors"][0]["message"]
    assert (
        message == f"'subjects': no subject with id '{subject_id}' in demo-omics or in this request"
    )
    response = project.put(PROJECT, json=[dict(STUDY, projects={"code": "other"})])
    assert errors_of(response.json()) == [("INVALID_LINK", ["projects"])]


def test_dry_run_writes_nothing(project: TestClient, graph: GraphStore) -> None:
    response = project.put(PROJECT + "/_dry_run", json=[STUDY, subject("su-1")])
    assert response.status_code == 200 and response.json()["success"]
    assert "dry run" in response.json()["message"]
    assert count(graph, "subject") == 0


def test_tsv_with_link_columns_and_a_header_only_body(
    project: TestClient, graph: GraphStore
) -> None:
    project.put(PROJECT, json=[STUDY])
    tsv = "type\tsubmitter_id\tstudies.submitter_id\tconsent_codes\nsubject\tsu-1\tst-1\tGRU,HMB\nsubject\tsu-2\tst-1\t\n"
    response = project.put(
        PROJECT, content=tsv, headers={"content-type": "text/tab-separated-values"}
    )
    assert response.status_code == 200, response.text
    rows = graph.read(
        "MATCH (n:subject) RETURN n.submitter_id AS s, n.consent_codes AS c ORDER BY s"
    )
    assert rows == [{"s": "su-1", "c": ["GRU", "HMB"]}, {"s": "su-2", "c": None}]
    header_only = project.put(
        PROJECT,
        content="type\tsubmitter_id\n",
        headers={"content-type": "text/tab-separated-values"},
    )
    assert header_only.status_code == 400 and header_only.json()["code"] == 400
    assert header_only.json()["transactional_errors"] == [
        "Nothing to submit: the request holds no entities"
    ]


def test_bulk_documents_in_one_transaction(project: TestClient, graph: GraphStore) -> None:
    import json

    items = [
        {"name": "study.json", "doc": json.dumps(STUDY), "doc_format": "JSON"},
        {
            "name": "subjects.tsv",
            "doc": "type\tsubmitter_id\tstudies.submitter_id\nsubject\tsu-1\tst-1\n",
            "doc_format": "TSV",
        },
    ]
    response = project.put(PROJECT + "/bulk", json=items)
    assert response.status_code == 200, response.text
    assert count(graph, "subject") == 1


def test_entities_get_and_delete_with_dependents(project: TestClient, graph: GraphStore) -> None:
    body = project.put(PROJECT, json=[STUDY, subject("su-1"), sample("sa-1", "su-1")]).json()
    ids = {e["type"]: e["id"] for e in body["entities"]}
    got = project.get(f"{PROJECT}/entities/{ids['subject']},{ids['sample']}").json()
    assert [e["type"] for e in got["entities"]] == ["subject", "sample"]
    assert got["entities"][1]["properties"]["subjects"][0]["submitter_id"] == "su-1"
    assert project.get(f"{PROJECT}/entities/{uuid.uuid4()}").status_code == 404

    refused = project.delete(f"{PROJECT}/entities/{ids['subject']}")
    assert refused.status_code == 400
    message = refused.json()["entities"][0]["errors"][0]["message"]
    assert f"sample {ids['sample']}" in message
    assert count(graph, "subject") == 1

    cascade = project.delete(f"{PROJECT}/entities/{ids['subject']}?cascade=true")
    assert cascade.status_code == 200, cascade.text
    assert cascade.json()["deleted_entity_count"] == 2
    assert (
        count(graph, "subject") == 0 and count(graph, "sample") == 0 and count(graph, "study") == 1
    )


def test_export_and_templates(project: TestClient) -> None:
    project.put(PROJECT, json=[STUDY, subject("su-1"), sample("sa-1", "su-1")])
    tsv = project.get(f"{PROJECT}/export/?node_label=sample&format=tsv")
    assert tsv.status_code == 200
    header, row = tsv.text.splitlines()[:2]
    assert header.split("\t")[:4] == ["type", "id", "submitter_id", "subjects.submitter_id"]
    assert row.split("\t")[2:4] == ["sa-1", "su-1"]
    data = project.get(f"{PROJECT}/export?node_label=subject&format=json").json()["data"]
    assert [d["submitter_id"] for d in data] == ["su-1"]
    samples = project.get(f"{PROJECT}/export/?node_label=sample&format=json").json()["data"]
    sample_id = samples[0]["id"]
    by_id = project.get(f"{PROJECT}/export?ids={sample_id}&format=json").json()
    assert by_id[0]["submitter_id"] == "sa-1"
    template = project.get(f"{BASE}/template/sample?format=tsv")
    assert template.status_code == 200
    assert "*subjects.submitter_id" in template.text.splitlines()[0].split("\t")
    assert project.get(f"{BASE}/template/nope").status_code == 404
    assert project.get(f"{PROJECT}/export?format=xml&node_label=sample").status_code == 400


def test_dictionary_endpoints(api: TestClient) -> None:
    links = api.get(f"{BASE}/_dictionary").json()["links"]
    assert "/v0/submission/_dictionary/sample" in links
    everything = api.get(f"{BASE}/_dictionary/_all").json()
    assert {"sample", "_definitions", "_terms", "_settings"} <= set(everything)
    node = api.get(f"{BASE}/_dictionary/sample").json()
    assert node["id"] == "sample" and "$ref" not in str(node)
    assert api.get(f"{BASE}/_dictionary/nope").status_code == 404


def test_delete_empty_project_and_program(project: TestClient) -> None:
    project.put(PROJECT, json=[STUDY])
    assert project.delete(f"{BASE}/demo").status_code == 400
    assert project.delete(PROJECT).status_code == 400
    study_id = project.get(f"{PROJECT}/export?node_label=study&format=json").json()["data"][0]["id"]
    assert project.delete(f"{PROJECT}/entities/{study_id}").status_code == 200
    assert project.delete(PROJECT).status_code == 204
    assert project.delete(f"{BASE}/demo").status_code == 204
    assert project.get(f"{BASE}/").json() == {"links": []}


def test_manifest_lists_the_data_files_named(project: TestClient) -> None:
    import yaml

    document = {
        "type": "clinical_document",
        "submitter_id": "doc-1",
        "subjects": {"submitter_id": "su-1"},
        "file_name": "report.pdf",
        "file_size": 2048,
        "md5sum": "a" * 32,
        "data_category": "Clinical",
        "data_type": "Pathology Report",
        "data_format": "PDF",
        "document_type": "Pathology Report",
    }
    body = project.put(PROJECT, json=[STUDY, subject("su-1"), document]).json()
    document_id = body["entities"][2]["id"]
    assert project.get(f"{PROJECT}/manifest").status_code == 400
    answer = project.get(f"{PROJECT}/manifest?ids={document_id}")
    assert answer.status_code == 200, answer.text
    (listed,) = yaml.safe_load(answer.text)["files"]
    assert listed["local_file_path"] == "report.pdf"
    assert {k: listed[k] for k in ("id", "file_name", "file_size", "md5sum")} == {
        "id": document_id,
        "file_name": "report.pdf",
        "file_size": 2048,
        "md5sum": "a" * 32,
    }


def test_an_absent_property_takes_the_dictionary_default(
    project: TestClient, graph: GraphStore
) -> None:
    """subject.species says `default: Homo sapiens`; an empty cell (null) stays empty."""
    project.put(PROJECT, json=[STUDY, subject("su-1"), subject("su-2", species=None)])
    rows = graph.read("MATCH (n:subject) RETURN n.submitter_id AS sid, n.species AS species")
    assert sorted((row["sid"], row["species"]) for row in rows) == [
        ("su-1", "Homo sapiens"),
        ("su-2", None),
    ]
