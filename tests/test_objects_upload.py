"""fence's data access on the real stores: signed uploads, checks on arrival, downloads, deletes."""

from __future__ import annotations

import dataclasses
import hashlib
import time

import httpx
import pytest
from starlette.testclient import TestClient

from engine.objects.store import ObjectStore

DATA = b"commons bytes\n" * 4096
MD5 = hashlib.md5(DATA).hexdigest()
PART = 5 * 1024 * 1024  # S3's smallest part but the last


def open_uploads(store: ObjectStore, prefix: str = "") -> list[tuple[str, str]]:
    """(key, upload id) of the store's multipart uploads neither completed nor aborted."""
    found = store.client._list_multipart_uploads(store.bucket, prefix=prefix or None)
    return [(upload.object_name, upload.upload_id) for upload in found.uploads]


def upload(api: TestClient, file_name: str = "reads.bam", **extra) -> dict:
    response = api.post("/user/data/upload", json={"file_name": file_name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def put(url: str, data: bytes) -> httpx.Response:
    response = httpx.put(url, content=data)
    assert response.status_code == 200, response.text
    return response


def test_upload_then_declare_then_download(api: TestClient) -> None:
    ticket = upload(api, authz=["/programs/demo/projects/omics"])
    record = api.get(f"/index/index/{ticket['guid']}").json()
    assert record["size"] is None and record["authz"] == ["/programs/demo/projects/omics"]
    assert api.get(f"/user/data/download/{ticket['guid']}").status_code == 404

    put(ticket["url"], DATA)
    declared = api.put(
        f"/index/index/blank/{ticket['guid']}?rev={ticket['rev']}",
        json={"size": len(DATA), "hashes": {"md5": MD5}},
    )
    assert declared.status_code == 200, declared.text
    record = api.get(f"/index/index/{ticket['guid']}").json()
    assert record["size"] == len(DATA) and record["hashes"] == {"md5": MD5}
    assert record["urls"] == [f"s3://commons-test/{ticket['guid']}/reads.bam"]

    url = api.get(f"/user/data/download/{ticket['guid']}").json()["url"]
    assert httpx.get(url).content == DATA


def test_a_wrong_checksum_never_becomes_a_valid_record(
    api: TestClient, seaweedfs_store: ObjectStore
) -> None:
    ticket = upload(api)
    put(ticket["url"], DATA)
    wrong = api.put(
        f"/index/index/blank/{ticket['guid']}?rev={ticket['rev']}",
        json={"size": len(DATA), "hashes": {"md5": "0" * 32}},
    )
    assert wrong.status_code == 400
    assert "md5" in wrong.json()["message"] and "upload the file again" in wrong.json()["message"]
    record = api.get(f"/index/index/{ticket['guid']}").json()
    assert record["size"] is None and record["hashes"] == {}
    assert seaweedfs_store.stat(f"{ticket['guid']}/reads.bam") is None

    # The same GUID takes a fresh upload, which checks out this time.
    again = api.get(f"/user/data/upload/{ticket['guid']}")
    assert again.status_code == 200, again.text
    put(again.json()["url"], DATA)
    fixed = api.put(
        f"/index/index/blank/{ticket['guid']}?rev={again.json()['rev']}",
        json={"size": len(DATA), "hashes": {"md5": MD5}},
    )
    assert fixed.status_code == 200, fixed.text


def test_declared_before_the_bytes_arrive_is_checked_on_arrival(api: TestClient) -> None:
    ticket = upload(api)
    api.put(
        f"/index/index/blank/{ticket['guid']}?rev={ticket['rev']}",
        json={"size": len(DATA), "hashes": {"md5": "0" * 32}},
    )
    put(ticket["url"], DATA)
    refused = api.get(f"/user/data/download/{ticket['guid']}")
    assert refused.status_code == 404 and "not complete" in refused.json()["message"]


def test_an_upload_nobody_declares_is_recorded_on_first_read(api: TestClient) -> None:
    """The Gen3 SDK's upload_file never says it is done; the first read checks the bytes in."""
    ticket = upload(api)
    put(ticket["url"], DATA)
    record = api.get(f"/index/index/{ticket['guid']}").json()
    assert record["size"] == len(DATA) and record["hashes"] == {"md5": MD5}
    assert api.get(f"/user/data/upload/{ticket['guid']}").status_code == 409


def test_multipart_upload_is_checked_against_the_clients_md5(api: TestClient) -> None:
    data = bytes(range(256)) * (PART // 256) + b"tail"
    init = api.post("/user/data/multipart/init", json={"file_name": "big.bin"})
    assert init.status_code == 201, init.text
    guid, upload_id, key = init.json()["guid"], init.json()["uploadId"], init.json()["key"]
    assert key == f"{guid}/big.bin"
    parts = []
    for number, offset in enumerate(range(0, len(data), PART), start=1):
        signed = api.post(
            "/user/data/multipart/upload",
            json={"key": key, "uploadId": upload_id, "partNumber": number},
        )
        assert signed.status_code == 200, signed.text
        etag = put(signed.json()["presigned_url"], data[offset : offset + PART]).headers["etag"]
        parts.append({"PartNumber": number, "ETag": etag})
    done = api.post(
        "/user/data/multipart/complete",
        json={
            "key": key,
            "uploadId": upload_id,
            "parts": parts,
            "md5": hashlib.md5(data).hexdigest(),
            "size": len(data),
        },
    )
    assert done.status_code == 200, done.text
    assert done.json()["hashes"] == {"md5": hashlib.md5(data).hexdigest()}
    url = api.get(f"/user/data/download/{guid}").json()["url"]
    assert httpx.get(url).content == data


def test_multipart_with_a_wrong_md5_is_rejected(
    api: TestClient, seaweedfs_store: ObjectStore
) -> None:
    init = api.post("/user/data/multipart/init", json={"file_name": "x.bin"}).json()
    signed = api.post(
        "/user/data/multipart/upload",
        json={"key": init["key"], "uploadId": init["uploadId"], "partNumber": 1},
    ).json()
    etag = put(signed["presigned_url"], DATA).headers["etag"]
    done = api.post(
        "/user/data/multipart/complete",
        json={
            "key": init["key"],
            "uploadId": init["uploadId"],
            "parts": [{"PartNumber": 1, "ETag": etag}],
            "md5": "f" * 32,
        },
    )
    assert done.status_code == 400 and "rejected" in done.json()["message"]
    assert seaweedfs_store.stat(init["key"]) is None
    assert api.get(f"/index/index/{init['guid']}").json()["size"] is None


def test_an_aborted_multipart_upload_leaves_no_parts(
    api: TestClient, seaweedfs_store: ObjectStore
) -> None:
    init = api.post("/user/data/multipart/init", json={"file_name": "x.bin"}).json()
    ids = {"key": init["key"], "uploadId": init["uploadId"]}
    signed = api.post("/user/data/multipart/upload", json={**ids, "partNumber": 1}).json()
    put(signed["presigned_url"], DATA)
    assert open_uploads(seaweedfs_store, init["guid"]) == [(init["key"], init["uploadId"])]
    aborted = api.post("/user/data/multipart/abort", json=ids)
    assert aborted.status_code == 204, aborted.text
    assert open_uploads(seaweedfs_store, init["guid"]) == []
    assert api.get(f"/index/index/{init['guid']}").json()["size"] is None  # awaits its bytes
    assert api.post("/user/data/multipart/abort", json=ids).status_code == 204  # idempotent
    elsewhere = api.post("/user/data/multipart/abort", json={**ids, "key": "someone/else.bin"})
    assert elsewhere.status_code == 404
    no_id = api.post("/user/data/multipart/abort", json={"key": init["key"]})
    assert no_id.status_code == 400 and "uploadId" in no_id.json()["message"]


def test_multipart_bad_input(api: TestClient) -> None:
    init = api.post("/user/data/multipart/init", json={"file_name": "x.bin"}).json()
    cases = [
        ({"key": "someone/else.bin", "uploadId": init["uploadId"], "partNumber": 1}, 404),
        ({"key": init["key"], "uploadId": init["uploadId"], "partNumber": 0}, 400),
        ({"key": init["key"], "partNumber": 1}, 400),
    ]
    for body, status in cases:
        response = api.post("/user/data/multipart/upload", json=body)
        assert response.status_code == status, (body, response.text)
    bad_parts = api.post(
        "/user/data/multipart/complete",
        json={"key": init["key"], "uploadId": init["uploadId"], "parts": [{"n": 1}]},
    )
    assert bad_parts.status_code == 400
    unknown_upload = api.post(
        "/user/data/multipart/complete",
        json={
            "key": init["key"],
            "uploadId": "not-an-upload",
            "parts": [{"PartNumber": 1, "ETag": "x"}],
        },
    )
    assert unknown_upload.status_code == 404 and "NoSuchUpload" in unknown_upload.json()["message"]
    assert api.post("/user/data/multipart/init", json={}).status_code == 400


def test_deleting_a_record_deletes_its_bytes(api: TestClient, seaweedfs_store: ObjectStore) -> None:
    ticket = upload(api)
    put(ticket["url"], DATA)
    record = api.get(f"/index/index/{ticket['guid']}").json()
    key = f"{ticket['guid']}/reads.bam"
    assert seaweedfs_store.stat(key) is not None
    deleted = api.delete(f"/index/index/{ticket['guid']}?rev={record['rev']}")
    assert deleted.status_code == 200
    assert seaweedfs_store.stat(key) is None

    other = upload(api)
    put(other["url"], DATA)
    assert api.delete(f"/user/data/{other['guid']}").status_code == 204
    assert seaweedfs_store.stat(f"{other['guid']}/reads.bam") is None
    assert api.get(f"/index/index/{other['guid']}").status_code == 404
    assert api.delete(f"/user/data/{other['guid']}").status_code == 404


def test_signed_urls_expire_and_resist_tampering(api: TestClient) -> None:
    ticket = upload(api)
    put(ticket["url"], DATA)
    guid = ticket["guid"]
    url = api.get(f"/user/data/download/{guid}?expires_in=1").json()["url"]
    tampered = url.replace("reads.bam", "reads.bam2")
    assert httpx.get(tampered).status_code == 403
    signature = url.rsplit("X-Amz-Signature=", 1)[1][:64]
    forged = url.replace(signature, "0" * 64)
    assert httpx.get(forged).status_code == 403
    time.sleep(2.1)
    expired = httpx.get(url)
    assert expired.status_code == 403 and "expired" in expired.text.lower()


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("get", "/user/data/download/no-such-guid", None, 404),
        ("get", "/user/data/upload/no-such-guid", None, 404),
        ("delete", "/user/data/no-such-guid", None, 404),
        ("post", "/user/data/upload", {}, 400),
        ("post", "/user/data/upload", {"file_name": 3}, 400),
        ("post", "/user/data/upload", {"file_name": "a", "protocol": "gs"}, 400),
        ("post", "/user/data/upload", {"file_name": "a", "bucket": "other"}, 400),
        ("post", "/user/data/upload", {"file_name": "a", "expires_in": 0}, 400),
        ("post", "/user/data/upload", {"file_name": "a", "authz": "/x"}, 400),
        ("post", "/user/data/upload", {"file_name": "../other/a"}, 400),
        ("post", "/user/data/multipart/init", {"file_name": "a/./b"}, 400),
    ],
)
def test_bad_requests_get_4xx_with_a_message(
    api: TestClient, method: str, path: str, body: dict | None, status: int
) -> None:
    response = api.request(method.upper(), path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["message"]


def test_expiry_is_capped_and_the_download_protocol_chosen(api: TestClient) -> None:
    ticket = upload(api)
    put(ticket["url"], DATA)
    url = api.get(f"/user/data/download/{ticket['guid']}?expires_in=999999").json()["url"]
    assert "X-Amz-Expires=3600" in url
    external = api.post(
        "/index/index/",
        json={"size": 1, "hashes": {"md5": MD5}, "urls": ["https://example.org/f"]},
    ).json()
    assert api.get(f"/user/data/download/{external['did']}").json() == {
        "url": "https://example.org/f"
    }
    assert api.get(f"/user/data/download/{external['did']}?protocol=s3").status_code == 404
    assert api.get(f"/user/data/download/{external['did']}?protocol=ftp").status_code == 400


def test_batches_sign_check_and_sign_again_in_one_request_each(
    api: TestClient, seaweedfs_store: ObjectStore
) -> None:
    files = [{"file_name": f"f{i}.txt", "authz": ["/open"]} for i in range(3)]
    tickets = api.post("/user/data/upload/batch", json={"files": files})
    assert tickets.status_code == 201, tickets.text
    uploads = tickets.json()["uploads"]
    contents = [DATA, DATA + b"x", b"third"]
    for ticket, data in zip(uploads, contents, strict=True):
        put(ticket["url"], data)
    stored = seaweedfs_store.listed("batches/")
    keys = [
        next(key for key in stored if key.endswith(f"/{ticket['guid']}/f{i}.txt"))
        for i, ticket in enumerate(uploads)
    ]
    assert len({key.split("/")[1] for key in keys}) == 1  # one folder, listed once to check
    declared = [
        {"guid": t["guid"], "rev": t["rev"], "size": len(d), "md5": hashlib.md5(d).hexdigest()}
        for t, d in zip(uploads, contents, strict=True)
    ]
    declared[1]["md5"] = MD5  # not what was sent
    declared[2]["rev"] = "stale"
    checked = api.post("/user/data/upload/complete", json={"files": declared})
    assert checked.status_code == 200, checked.text
    assert [record["did"] for record in checked.json()["records"]] == [uploads[0]["guid"]]
    errors = {error["guid"]: error for error in checked.json()["errors"]}
    assert (
        errors[uploads[1]["guid"]]["code"] == 400 and "md5" in errors[uploads[1]["guid"]]["message"]
    )
    assert errors[uploads[2]["guid"]]["code"] == 409
    assert seaweedfs_store.stat(keys[1]) is None  # the wrong bytes were discarded
    assert seaweedfs_store.stat(keys[0]) is not None

    guids = [uploads[0]["guid"], uploads[1]["guid"], "no-such-guid"]
    signed = api.post("/user/data/download/batch", json={"guids": guids}).json()["downloads"]
    assert httpx.get(signed[0]["url"]).content == DATA
    assert signed[0]["record"]["did"] == uploads[0]["guid"]
    assert signed[0]["record"]["hashes"]["md5"] == hashlib.md5(DATA).hexdigest()
    assert signed[1]["code"] == 404 and "not complete" in signed[1]["message"]
    assert signed[2]["code"] == 404


def test_batches_with_prefixed_guids(api: TestClient) -> None:
    settings = api.app.state.settings
    api.app.state.settings = dataclasses.replace(settings, index_guid_prefix="dg.TEST")
    tickets = api.post("/user/data/upload/batch", json={"files": [{"file_name": "p.txt"}]})
    [ticket] = tickets.json()["uploads"]
    assert ticket["guid"].startswith("dg.TEST/")
    put(ticket["url"], DATA)
    declared = [{"guid": ticket["guid"], "rev": ticket["rev"], "size": len(DATA), "md5": MD5}]
    checked = api.post("/user/data/upload/complete", json={"files": declared}).json()
    assert checked["errors"] == [] and checked["records"][0]["size"] == len(DATA)
    [signed] = api.post("/user/data/download/batch", json={"guids": [ticket["guid"]]}).json()[
        "downloads"
    ]
    assert signed["record"]["did"] == ticket["guid"]
    assert httpx.get(signed["url"]).content == DATA


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/user/data/upload/batch", {"files": []}),
        ("/user/data/upload/batch", {"files": [{"authz": []}]}),
        ("/user/data/upload/batch", {"files": ["a.txt"]}),
        ("/user/data/upload/complete", {"files": "x"}),
        ("/user/data/upload/complete", {"files": [3]}),
        ("/user/data/download/batch", {"guids": []}),
        ("/user/data/download/batch", {"guids": [1]}),
    ],
)
def test_bad_batches_are_a_400(api: TestClient, path: str, body: dict) -> None:
    response = api.post(path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"]
