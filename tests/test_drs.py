"""GA4GH DRS 1.x over the index: objects, checksums, access URLs, ids with a slash."""

from __future__ import annotations

import dataclasses
import hashlib
from urllib.parse import quote

import httpx
from starlette.testclient import TestClient

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
        assert api.get(f"{DRS}/objects/{sent}").json()["id"] == guid
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


def test_errors_speak_drs(api: TestClient) -> None:
    missing = api.get(f"{DRS}/objects/no-such-id")
    assert missing.status_code == 404
    assert missing.json()["status_code"] == 404 and "no-such-id" in missing.json()["msg"]
    pending = api.post("/user/data/upload", json={"file_name": "a"}).json()["guid"]
    not_yet = api.get(f"{DRS}/objects/{pending}")
    assert not_yet.status_code == 404 and "not complete" in not_yet.json()["msg"]
    guid = stored_object(api)
    assert api.get(f"{DRS}/objects/{guid}/access/gs").status_code == 404
