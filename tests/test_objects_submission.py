"""Data-file nodes and their index records: upload, submit, find by DRS, download, delete."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from starlette.testclient import TestClient

from engine.objects.store import ObjectStore
from tests.test_submission_api import PROJECT, STUDY, errors_of, make_project, subject

DATA = b"%PDF-1.4 pathology report\n" * 500
MD5 = hashlib.md5(DATA).hexdigest()


@pytest.fixture
def project(api: TestClient) -> TestClient:
    make_project(api)
    response = api.put(PROJECT, json=[STUDY, subject("su-1")])
    assert response.status_code == 200, response.text
    return api


def uploaded(api: TestClient) -> str:
    ticket = api.post(
        "/user/data/upload",
        json={"file_name": "report.pdf", "authz": ["/programs/demo/projects/omics"]},
    ).json()
    assert httpx.put(ticket["url"], content=DATA).status_code == 200
    done = api.put(
        f"/index/index/blank/{ticket['guid']}?rev={ticket['rev']}",
        json={"size": len(DATA), "hashes": {"md5": MD5}},
    )
    assert done.status_code == 200, done.text
    return ticket["guid"]


def document(guid: str, **extra) -> dict:
    return {
        "type": "clinical_document",
        "submitter_id": "doc-1",
        "subjects": {"submitter_id": "su-1"},
        "file_name": "report.pdf",
        "file_size": len(DATA),
        "md5sum": MD5,
        "object_id": guid,
        "data_category": "Clinical",
        "data_type": "Pathology Report",
        "data_format": "PDF",
        "document_type": "Pathology Report",
        **extra,
    }


def test_upload_submit_drs_access_bytes_identical(project: TestClient) -> None:
    guid = uploaded(project)
    submitted = project.put(PROJECT, json=document(guid))
    assert submitted.status_code == 200, submitted.text
    node_id = submitted.json()["entities"][0]["id"]
    exported = project.get(f"{PROJECT}/export?ids={node_id}&format=json").json()
    object_id = exported[0]["object_id"]
    drs_object = project.get(f"/ga4gh/drs/v1/objects/{object_id}").json()
    assert drs_object["checksums"] == [{"type": "md5", "checksum": MD5}]
    access = project.get(f"/ga4gh/drs/v1/objects/{object_id}/access/s3").json()
    assert httpx.get(access["url"]).content == DATA


@pytest.mark.parametrize(
    ("change", "key"),
    [({"md5sum": "0" * 32}, "md5sum"), ({"file_size": 1}, "file_size")],
)
def test_a_node_disagreeing_with_its_record_is_invalid(
    project: TestClient, change: dict, key: str
) -> None:
    guid = uploaded(project)
    response = project.put(PROJECT, json=document(guid, **change))
    assert response.status_code == 400
    assert errors_of(response.json()) == [("INVALID_VALUE", [key])]
    assert guid in response.json()["entities"][0]["errors"][0]["message"]


def test_unknown_or_unfinished_records_are_invalid(project: TestClient) -> None:
    unknown = project.put(PROJECT, json=document("no-such-guid"))
    assert errors_of(unknown.json()) == [("INVALID_VALUE", ["object_id"])]
    pending = project.post("/user/data/upload", json={"file_name": "report.pdf"}).json()["guid"]
    unfinished = project.put(PROJECT, json=document(pending))
    assert errors_of(unfinished.json()) == [("INVALID_VALUE", ["object_id"])]
    assert "not complete" in unfinished.json()["entities"][0]["errors"][0]["message"]


def test_deleting_the_node_keeps_the_record_unless_asked(
    project: TestClient, seaweedfs_store: ObjectStore
) -> None:
    guid = uploaded(project)
    node_id = project.put(PROJECT, json=document(guid)).json()["entities"][0]["id"]
    assert project.delete(f"{PROJECT}/entities/{node_id}").status_code == 200
    assert project.get(f"/index/index/{guid}").status_code == 200

    node_id = project.put(PROJECT, json=document(guid)).json()["entities"][0]["id"]
    deleted = project.delete(f"{PROJECT}/entities/{node_id}?delete_records=true")
    assert deleted.status_code == 200, deleted.text
    assert project.get(f"/index/index/{guid}").status_code == 404
    assert seaweedfs_store.stat(f"{guid}/report.pdf") is None


def test_a_cascade_takes_the_records_of_the_whole_subtree(project: TestClient) -> None:
    guid = uploaded(project)
    project.put(PROJECT, json=document(guid))
    subjects = project.get(f"{PROJECT}/export?node_label=subject&format=json").json()["data"]
    subject_id = subjects[0]["id"]
    deleted = project.delete(f"{PROJECT}/entities/{subject_id}?cascade=true&delete_records=1")
    assert deleted.status_code == 200, deleted.text
    assert project.get(f"/index/index/{guid}").status_code == 404
