"""GA4GH DRS 1.x over the index: objects, checksums, access URLs, ids with a slash."""

from __future__ import annotations

import dataclasses
import hashlib
from urllib.parse import quote

import httpx
from starlette.testclient import TestClient

from tests.auth_fixture import anonymous_client

DATA = b"drs bytes\n" * 1000
MD5 = hashlib.md5(DATA).hexdigest()
DRS = "/ga4gh/drs/v1"


def stored_object(api: TestClient) -> str:
    ticket = api.post("/user/data/upload", json={"file_name": "doc.txt"}).json()
    assert httpx.put(ticket["url"], content=DATA).status_code == 200
    declared = api.put(
        f"/index/index/blank/{ticket['guid']}?rev={ticket['rev']}",
        json={"size": len(DATA), "hashes": {"md5": MD5}},
    )
    assert declared.status_code == 200, declared.text
    return ticket["guid"]


def test_service_info(api: TestClient) -> None:
    info = api.get(f"{DRS}/service-info").json()
    assert info["type"] == {"group": "org.ga4gh", "artifact": "drs", "version": "1.4.0"}


def test_object_access_and_bytes(api: TestClient) -> None:
    guid = stored_object(api)
    drs_object = api.get(f"{DRS}/objects/{guid}").json()
    assert drs_object["id"] == guid and drs_object["self_uri"] == f"drs://testserver/{guid}"
    assert drs_object["size"] == len(DATA) and drs_object["name"] == "doc.txt"
    assert drs_object["checksums"] == [{"type": "md5", "checksum": MD5}]
    assert drs_object["access_methods"] == [
        {"type": "s3", "access_id": "s3", "region": "us-east-1"}
    ]
    assert api.post(f"{DRS}/objects/{guid}", json={"passports": []}).json() == drs_object
    access = api.get(f"{DRS}/objects/{guid}/access/s3")
    assert access.status_code == 200, access.text
    assert httpx.get(access.json()["url"]).content == DATA


def test_ids_with_a_slash_escaped_or_not(api: TestClient) -> None:
    settings = api.app.state.settings
    api.app.state.settings = dataclasses.replace(settings, index_guid_prefix="dg.TEST/")
    guid = stored_object(api)
    assert guid.startswith("dg.TEST/")
    for sent in (guid, quote(guid, safe="")):
        drs_object = api.get(f"{DRS}/objects/{sent}").json()
        assert drs_object["id"] == guid
        # DRS ids in URIs are unreserved characters: the prefix's slash is escaped.
        assert drs_object["self_uri"] == f"drs://testserver/dg.TEST%2F{guid.split('/')[1]}"
        access = api.get(f"{DRS}/objects/{sent}/access/s3")
        assert access.status_code == 200, access.text
    assert httpx.get(access.json()["url"]).content == DATA


def test_http_urls_are_access_urls(api: TestClient) -> None:
    did = api.post(
        "/index/index/",
        json={"size": 3, "hashes": {"sha256": "a" * 64}, "urls": ["https://example.org/x"]},
    ).json()["did"]
    drs_object = api.get(f"{DRS}/objects/{did}").json()
    assert drs_object["checksums"] == [{"type": "sha-256", "checksum": "a" * 64}]
    assert drs_object["access_methods"] == [
        {"type": "https", "access_url": {"url": "https://example.org/x"}}
    ]


def test_optional_fields_without_a_value_are_left_out(api: TestClient) -> None:
    """DRS's schemas type `name`, `description` and `access_methods` (at least one item) but do
    not make them required: a record lacking them answers without the keys, never a null."""
    did = api.post(
        "/index/index/",
        json={"size": 3, "hashes": {"md5": "a" * 32}, "urls": ["s3://another-bucket/x"]},
    ).json()["did"]
    drs_object = api.get(f"{DRS}/objects/{did}").json()
    assert not {"name", "description", "access_methods"} & set(drs_object)
    assert None not in drs_object.values()
    assert {"id", "self_uri", "size", "created_time", "checksums"} <= set(drs_object)


def test_errors_speak_drs(api: TestClient) -> None:
    missing = api.get(f"{DRS}/objects/no-such-id")
    assert missing.status_code == 404
    assert missing.json()["status_code"] == 404 and "no-such-id" in missing.json()["msg"]
    pending = api.post("/user/data/upload", json={"file_name": "a"}).json()["guid"]
    not_yet = api.get(f"{DRS}/objects/{pending}")
    assert not_yet.status_code == 404 and "not complete" in not_yet.json()["msg"]
    guid = stored_object(api)
    assert api.get(f"{DRS}/objects/{guid}/access/gs").status_code == 404


def test_bulk_objects(api: TestClient) -> None:
    stored = stored_object(api)
    pending = api.post("/user/data/upload", json={"file_name": "a"}).json()["guid"]
    asked = [stored, "no-such-id", pending, stored]
    answer = api.post(f"{DRS}/objects", json={"bulk_object_ids": asked, "passports": []})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["summary"] == {"requested": 4, "resolved": 2, "unresolved": 2}
    assert body["resolved_drs_object"] == [api.get(f"{DRS}/objects/{stored}").json()] * 2
    assert body["unresolved_drs_objects"] == [
        {"error_code": 404, "object_ids": ["no-such-id", pending]}
    ]


def test_bulk_access_urls(api: TestClient) -> None:
    first, second = stored_object(api), stored_object(api)
    answer = api.post(
        f"{DRS}/objects/access",
        json={
            "bulk_object_access_ids": [
                {"bulk_object_id": first, "bulk_access_ids": ["s3", "gs"]},
                {"bulk_object_id": second, "bulk_access_ids": ["s3"]},
                {"bulk_object_id": "no-such-id", "bulk_access_ids": ["s3"]},
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["summary"] == {"requested": 4, "resolved": 2, "unresolved": 2}
    assert body["unresolved_drs_objects"] == [
        {"error_code": 404, "object_ids": [first, "no-such-id"]}
    ]
    resolved = body["resolved_drs_object_access_urls"]
    assert [(r["drs_object_id"], r["drs_access_id"]) for r in resolved] == [
        (first, "s3"),
        (second, "s3"),
    ]
    assert all(httpx.get(r["url"]).content == DATA for r in resolved)


def test_bulk_requests_with_ids_with_a_slash(api: TestClient) -> None:
    settings = api.app.state.settings
    api.app.state.settings = dataclasses.replace(settings, index_guid_prefix="dg.TEST/")
    guid = stored_object(api)
    objects = api.post(f"{DRS}/objects", json={"bulk_object_ids": [guid]}).json()
    assert objects["resolved_drs_object"][0]["id"] == guid
    access = api.post(
        f"{DRS}/objects/access",
        json={"bulk_object_access_ids": [{"bulk_object_id": guid, "bulk_access_ids": ["s3"]}]},
    ).json()
    assert httpx.get(access["resolved_drs_object_access_urls"][0]["url"]).content == DATA


def test_bad_bulk_requests(api: TestClient) -> None:
    cases = [
        ("objects", {"bulk_object_ids": []}, 400, "non-empty list bulk_object_ids"),
        ("objects", {"ids": ["x"]}, 400, "non-empty list bulk_object_ids"),
        ("objects", ["x"], 400, "non-empty list bulk_object_ids"),
        ("objects", {"bulk_object_ids": [1]}, 400, "list of strings"),
        ("objects", {"bulk_object_ids": ["x"] * 1001}, 413, "at most 1000"),
        (
            "objects/access",
            {"bulk_object_access_ids": [{"bulk_object_id": "x"}]},
            400,
            "bulk_access_ids",
        ),
        ("objects/access", {"bulk_object_access_ids": ["x"]}, 400, "bulk_object_id"),
        (
            "objects/access",
            {"bulk_object_access_ids": [{"bulk_object_id": "x", "bulk_access_ids": ["s3"] * 1001}]},
            413,
            "at most 1000",
        ),
    ]
    for path, body, status, message in cases:
        response = api.post(f"{DRS}/{path}", json=body)
        assert response.status_code == status, (path, body)
        assert message in response.json()["msg"], response.json()
    assert api.post(f"{DRS}/objects", content=b"{nope").status_code == 400


def test_anonymous_callers_read_objects_but_get_no_access(api: TestClient) -> None:
    """INDEX_READ=public (the default): an object's metadata, alone or in bulk, needs no token,
    as Gen3's indexd serves it; its access URL still does. Under authz the object is unknown."""
    guid = stored_object(api)  # uploaded without authz: its uploader's bytes
    anonymous = anonymous_client(api)
    assert anonymous.get(f"{DRS}/objects/{guid}").json() == api.get(f"{DRS}/objects/{guid}").json()
    bulk = anonymous.post(f"{DRS}/objects", json={"bulk_object_ids": [guid, "no-such-id"]}).json()
    assert [found["id"] for found in bulk["resolved_drs_object"]] == [guid]
    assert bulk["unresolved_drs_objects"] == [{"error_code": 404, "object_ids": ["no-such-id"]}]
    assert anonymous.get(f"{DRS}/objects/no-such-id").status_code == 404
    access = anonymous.get(f"{DRS}/objects/{guid}/access/s3")
    assert access.status_code == 401 and "read-storage" in access.json()["msg"]
    asked = {"bulk_object_access_ids": [{"bulk_object_id": guid, "bulk_access_ids": ["s3"]}]}
    refused = anonymous.post(f"{DRS}/objects/access", json=asked).json()
    assert refused["unresolved_drs_objects"] == [{"error_code": 401, "object_ids": [guid]}]

    api.app.state.settings = dataclasses.replace(api.app.state.settings, index_read="authz")
    assert anonymous.get(f"{DRS}/objects/{guid}").status_code == 404
    hidden = anonymous.post(f"{DRS}/objects", json={"bulk_object_ids": [guid]}).json()
    assert hidden["unresolved_drs_objects"] == [{"error_code": 404, "object_ids": [guid]}]
    assert anonymous.get(f"{DRS}/objects/{guid}/access/s3").status_code == 404
