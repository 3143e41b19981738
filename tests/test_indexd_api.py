"""indexd's API on the real stores: records, revisions, versions, blanks, filters, GUID prefixes."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.auth_fixture import anonymous_client

MD5 = hashlib.md5(b"hello").hexdigest()
SHA256 = hashlib.sha256(b"hello").hexdigest()


def new_record(api: TestClient, base: str = "/index/index", **extra) -> dict:
    body = {
        "form": "object",
        "size": 5,
        "hashes": {"md5": MD5},
        "urls": ["s3://elsewhere/hello.txt"],
        "file_name": "hello.txt",
        "authz": ["/programs/demo/projects/omics"],
        **extra,
    }
    response = api.post(f"{base}/", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def prefixed(api: TestClient) -> TestClient:
    """The app minting GUIDs under `dg.TEST/`, as a commons with a prefix does."""
    settings = api.app.state.settings
    api.app.state.settings = dataclasses.replace(settings, index_guid_prefix="dg.TEST")
    return api


def test_create_get_update_delete_with_revisions(api: TestClient) -> None:
    ids = new_record(api, metadata={"lab": "x"})
    record = api.get(f"/index/index/{ids['did']}").json()
    assert record["rev"] == ids["rev"] and record["baseid"] == ids["baseid"]
    assert record["hashes"] == {"md5": MD5} and record["size"] == 5
    assert record["metadata"] == {"lab": "x"} and record["form"] == "object"
    for key in ("created_date", "updated_date", "uploader", "version", "urls_metadata", "acl"):
        assert key in record

    stale = ids["rev"]
    update = api.put(
        f"/index/index/{ids['did']}?rev={stale}",
        json={"file_name": "renamed.txt", "acl": ["*"]},
    )
    assert update.status_code == 200, update.text
    assert update.json()["rev"] != stale
    assert api.get(f"/index/index/{ids['did']}").json()["file_name"] == "renamed.txt"

    conflict = api.put(f"/index/index/{ids['did']}?rev={stale}", json={"file_name": "again"})
    assert conflict.status_code == 409 and "revision mismatch" in conflict.json()["message"]
    assert api.delete(f"/index/index/{ids['did']}?rev={stale}").status_code == 409
    assert api.delete(f"/index/index/{ids['did']}").status_code == 400  # rev is required

    assert api.delete(f"/index/index/{ids['did']}?rev={update.json()['rev']}").status_code == 200
    missing = api.get(f"/index/index/{ids['did']}")
    assert missing.status_code == 404 and ids["did"] in missing.json()["message"]


def test_bad_input_is_a_clear_400(api: TestClient) -> None:
    cases = [
        ({"size": 5}, "missing required field(s): hashes"),
        ({"size": -1, "hashes": {"md5": MD5}}, "size must be a whole number"),
        ({"size": 5, "hashes": {"md5": "nope"}}, "hashes.md5"),
        ({"size": 5, "hashes": {"crc64": "ab"}}, "hash type 'crc64'"),
        ({"size": 5, "hashes": {"md5": MD5}, "urls": "s3://x"}, "urls must be a list"),
        ({"size": 5, "hashes": {"md5": MD5}, "colour": "red"}, "colour: not accepted"),
        ({"size": 5, "hashes": {"md5": MD5}, "form": "blob"}, "form must be one of"),
    ]
    for body, message in cases:
        response = api.post("/index/index/", json=body)
        assert response.status_code == 400, body
        assert message in response.json()["message"], response.json()
    assert api.post("/index/index/", content=b"{not json").status_code == 400
    ids = new_record(api)
    hashes_by_put = api.put(f"/index/index/{ids['did']}?rev={ids['rev']}", json={"size": 1})
    assert hashes_by_put.status_code == 400 and "size" in hashes_by_put.json()["message"]
    assert api.get("/index/index/?limit=0").status_code == 400
    assert api.get("/index/index/?hash=md5").status_code == 400


def test_a_did_that_exists_is_refused(api: TestClient) -> None:
    new_record(api, did="fixed-did")
    again = api.post("/index/index/", json={"did": "fixed-did", "size": 1, "hashes": {"md5": MD5}})
    assert again.status_code == 409 and "fixed-did" in again.json()["message"]


def test_list_filters_and_pages(api: TestClient) -> None:
    first = new_record(api, file_name="a.txt", uploader="ann")
    second = new_record(
        api,
        size=9,
        hashes={"md5": "0" * 32, "sha256": SHA256},
        file_name="b.txt",
        authz=["/programs/demo/projects/omics", "/open"],
        metadata={"kind": "raw"},
    )

    def dids(query: str) -> set[str]:
        response = api.get(f"/index/index/?{query}")
        assert response.status_code == 200, response.text
        return {record["did"] for record in response.json()["records"]}

    assert dids("") == {first["did"], second["did"]}
    assert dids(f"hash=md5:{MD5}") == {first["did"]}
    assert dids(f"hash=sha256:{SHA256}&size=9") == {second["did"]}
    assert dids("size=5") == {first["did"]}
    assert dids("file_name=b.txt") == {second["did"]}
    assert dids("uploader=ann") == {first["did"]}
    assert dids("authz=/open") == {second["did"]}
    assert dids("authz=/programs/demo/projects/omics,/open") == {second["did"]}
    assert dids("url=s3://elsewhere/hello.txt") == {first["did"], second["did"]}
    assert dids("metadata=kind:raw") == {second["did"]}
    assert dids(f"ids={first['did']},nope") == {first["did"]}

    ordered = sorted([first["did"], second["did"]])
    assert dids("limit=1") == {ordered[0]}
    assert dids(f"limit=1&start={ordered[0]}") == {ordered[1]}
    assert dids("limit=1&page=1") == {ordered[1]}
    # The SDK's get_with_params asks without the trailing slash.
    assert (
        api.get(f"/index/index?hash=md5:{MD5}&limit=1").json()["records"][0]["did"] == first["did"]
    )


def test_versions_share_a_baseid(api: TestClient) -> None:
    v1 = new_record(api, version="1")
    v2 = api.post(
        f"/index/index/{v1['did']}",
        json={"form": "object", "size": 6, "hashes": {"md5": "1" * 32}, "urls": [], "version": "2"},
    )
    assert v2.status_code == 200, v2.text
    assert v2.json()["baseid"] == v1["baseid"] and v2.json()["did"] != v1["did"]
    unversioned = api.post(
        f"/index/index/{v1['did']}", json={"size": 7, "hashes": {"md5": "2" * 32}}
    ).json()

    versions = api.get(f"/index/index/{v1['did']}/versions").json()
    assert [versions[k]["did"] for k in sorted(versions)] == [
        v1["did"],
        v2.json()["did"],
        unversioned["did"],
    ]
    assert api.get(f"/index/index/{v1['baseid']}/versions").json() == versions
    assert api.get(f"/index/index/{v1['did']}/latest").json()["did"] == unversioned["did"]
    latest_labelled = api.get(f"/index/index/{v1['did']}/latest?has_version=true").json()
    assert latest_labelled["did"] == v2.json()["did"]
    assert api.get("/index/index/nope/versions").status_code == 404
    assert (
        api.post("/index/index/nope", json={"size": 1, "hashes": {"md5": MD5}}).status_code == 404
    )


def test_blank_records_are_filled_once(api: TestClient) -> None:
    blank = api.post("/index/index/blank/", json={"uploader": "ann", "file_name": "x.bam"})
    assert blank.status_code == 201, blank.text
    ids = blank.json()
    record = api.get(f"/index/index/{ids['did']}").json()
    assert record["size"] is None and record["hashes"] == {} and record["uploader"] == "ann"

    missing = api.put(f"/index/index/blank/{ids['did']}?rev={ids['rev']}", json={"size": 3})
    assert missing.status_code == 400 and "hashes" in missing.json()["message"]
    filled = api.put(
        f"/index/index/blank/{ids['did']}?rev={ids['rev']}",
        json={"size": 3, "hashes": {"md5": MD5}, "urls": ["s3://b/x.bam"]},
    )
    assert filled.status_code == 200, filled.text
    record = api.get(f"/index/index/{ids['did']}").json()
    assert record["size"] == 3 and record["urls"] == ["s3://b/x.bam"]
    again = api.put(
        f"/index/index/blank/{ids['did']}?rev={filled.json()['rev']}",
        json={"size": 4, "hashes": {"md5": MD5}},
    )
    assert again.status_code == 409 and "not blank" in again.json()["message"]


def test_bulk_documents_mint_prefix_and_stats(api: TestClient) -> None:
    a, b = new_record(api), new_record(api, size=10)
    bulk = api.post("/index/bulk/documents", json=[b["did"], "missing", a["did"]])
    assert [record["did"] for record in bulk.json()] == [b["did"], a["did"]]
    assert api.post("/index/bulk/documents", json={"ids": []}).status_code == 400
    assert len(api.get("/index/guid/mint?count=3").json()["guids"]) == 3
    assert api.get("/index/guid/prefix").json() == {"prefix": None}
    assert api.get("/index/_stats").json() == {"fileCount": 2, "totalFileSize": 15}
    assert api.get("/index/_status").text == "Healthy"


def test_the_localhost_sdk_paths_at_the_root(api: TestClient) -> None:
    ids = new_record(api, base="/index")
    assert api.get(f"/index/{ids['did']}").json()["did"] == ids["did"]
    assert api.get(f"/{ids['did']}?no_dist=").json()["did"] == ids["did"]
    assert api.get("/index/?limit=5").json()["records"][0]["did"] == ids["did"]
    assert api.post("/bulk/documents", json=[ids["did"]]).json()[0]["did"] == ids["did"]
    assert api.get("/_stats").json()["fileCount"] == 1
    assert "guids" in api.get("/guid/mint").json()
    blank = api.post("/index/blank", json={"uploader": "u"}).json()
    assert api.get(f"/index/{blank['did']}").json()["size"] is None
    # The root GUID route takes GUID-shaped paths only: everything else is still a 404.
    assert api.get("/no-such-page").status_code == 404


def test_a_prefixed_guid_works_in_every_path(prefixed: TestClient) -> None:
    api = prefixed
    assert api.get("/index/guid/prefix").json() == {"prefix": "dg.TEST"}
    ids = new_record(api)
    did = ids["did"]
    assert did.startswith("dg.TEST/")
    for path in (f"/index/index/{did}", f"/index/{did}", f"/{did}"):
        response = api.get(path)
        assert response.status_code == 200 and response.json()["did"] == did, path
    assert api.get(f"/index/index/{did}/versions").json()["0"]["did"] == did
    assert api.get(f"/index/{did}/latest").json()["did"] == did
    new = api.post(f"/index/index/{did}", json={"size": 1, "hashes": {"md5": MD5}}).json()
    assert new["did"].startswith("dg.TEST/") and new["baseid"] == ids["baseid"]
    updated = api.put(f"/index/{did}?rev={ids['rev']}", json={"version": "x"})
    assert updated.status_code == 200, updated.text
    blank = api.post("/index/index/blank/", json={"uploader": "u"}).json()
    filled = api.put(
        f"/index/index/blank/{blank['did']}?rev={blank['rev']}",
        json={"size": 1, "hashes": {"md5": MD5}},
    )
    assert filled.status_code == 200, filled.text
    assert api.delete(f"/index/index/{did}?rev={updated.json()['rev']}").status_code == 200
    assert api.get(f"/index/index/{did}").status_code == 404


def test_urls_of_records_by_ids_size_and_hash(api: TestClient) -> None:
    a = new_record(
        api,
        urls=["s3://b/a.txt", "https://x/a.txt"],
        urls_metadata={"s3://b/a.txt": {"state": "validated"}},
    )
    b = new_record(api, size=9, hashes={"md5": "0" * 32}, urls=["s3://b/b.txt"])
    a_urls = [
        {"url": "https://x/a.txt", "metadata": {}},
        {"url": "s3://b/a.txt", "metadata": {"state": "validated"}},
    ]
    for base in ("/index/urls", "/urls", "/urls/"):  # indexd's path under /index and at the root
        answer = api.get(f"{base}?ids={a['did']},no-such-did")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "urls": a_urls,
            "limit": 100,
            "start": 0,
            "size": None,
            "hashes": {},
        }

    def urls(query: str) -> list[str]:
        response = api.get(f"/urls?{query}")
        assert response.status_code == 200, response.text
        return [found["url"] for found in response.json()["urls"]]

    assert urls(f"hash=md5:{MD5}") == ["https://x/a.txt", "s3://b/a.txt"]
    assert urls("size=9") == ["s3://b/b.txt"]
    assert urls(f"ids={a['did']},{b['did']}&hash=md5:{'0' * 32}") == ["s3://b/b.txt"]
    assert urls(f"hash=md5:{MD5}&start=1&limit=1") == ["s3://b/a.txt"]  # start skips URLs
    assert api.get("/urls?size=9").json()["size"] == 9
    for bad, message in [
        ("limit=2000", "limit must be at most 1024"),
        ("start=-1", "start must be a whole number"),
        ("size=big", "size must be a whole number"),
        ("hash=md5:nope", "not a valid md5"),
    ]:
        response = api.get(f"/urls?{bad}")
        assert response.status_code == 400 and message in response.json()["message"], bad


def test_query_urls_by_pattern(api: TestClient) -> None:
    a = new_record(api, urls=["s3://b/a.txt", "https://x/a.txt"], version="1")
    b = new_record(api, urls=["s3://b/b.txt"])
    new_record(api, urls=[])  # no URL: never in a URL query

    def found(query: str) -> list[dict]:
        response = api.get(f"/_query/urls/q?{query}")
        assert response.status_code == 200, response.text
        return response.json()

    both = sorted([a["did"], b["did"]])
    assert [row["did"] for row in found("")] == both
    assert found("include=a.txt") == [
        {"did": a["did"], "urls": ["s3://b/a.txt", "https://x/a.txt"]}
    ]
    assert found("exclude=https") == [{"did": b["did"], "urls": ["s3://b/b.txt"]}]
    assert found("include=s3://b/&exclude=a.txt&fields=did") == [{"did": b["did"]}]
    assert found("versioned=true&fields=did") == [{"did": a["did"]}]
    assert found("versioned=no&fields=did") == [{"did": b["did"]}]
    assert found("limit=1&offset=1&fields=did") == [{"did": both[1]}]
    assert api.get("/index/_query/urls/q?include=b.txt").json() == found("include=b.txt")
    unexpected = api.get("/_query/urls/q?pattern=a")
    assert (
        unexpected.status_code == 400
        and "unexpected query parameter(s): pattern" in (unexpected.json()["message"])
    )
    assert api.get("/_query/urls/q?fields=did,colour").status_code == 400


def test_query_urls_by_their_metadata(api: TestClient) -> None:
    a = new_record(
        api,
        urls=["s3://b/a.txt", "gs://c/a.txt"],
        urls_metadata={"s3://b/a.txt": {"state": "ok"}, "gs://c/a.txt": {"state": "ok"}},
    )
    b = new_record(api, urls=["s3://b/b.txt"], urls_metadata={"s3://b/b.txt": {"state": "bad"}})

    def found(query: str) -> list[dict]:
        response = api.get(f"/_query/urls/metadata/q?{query}")
        assert response.status_code == 200, response.text
        return response.json()

    assert found("key=state&value=ok") == [
        {"did": a["did"], "urls": ["gs://c/a.txt"], "rev": a["rev"]},
        {"did": a["did"], "urls": ["s3://b/a.txt"], "rev": a["rev"]},
    ]
    assert found("key=state&value=ok&url=s3://&fields=urls") == [{"urls": ["s3://b/a.txt"]}]
    assert found("key=state&value=ok&offset=1&limit=1&fields=urls") == [{"urls": ["s3://b/a.txt"]}]
    assert found("key=state&value=o") == []  # the value matches whole, not as a prefix

    updated = api.put(
        f"/index/index/{b['did']}?rev={b['rev']}",
        json={"urls_metadata": {"s3://b/b.txt": {"state": "ok"}}},
    ).json()
    assert {"did": b["did"], "urls": ["s3://b/b.txt"], "rev": updated["rev"]} in found(
        "key=state&value=ok"
    )
    missing = api.get("/_query/urls/metadata/q?key=state")
    assert missing.status_code == 400 and "key and value" in missing.json()["message"]
    assert api.get("/_query/urls/metadata/q?key=s&value=v&include=x").status_code == 400


def _record(body: Any) -> set[str]:
    return {body["did"]}


def _listed(body: Any) -> set[str]:
    return {record["did"] for record in body}


def _records(body: Any) -> set[str]:
    return _listed(body["records"])


def _reads(anonymous: TestClient, first: dict, second: dict) -> dict[str, tuple[int, set[str]]]:
    """What an anonymous caller gets from each of indexd's reads: the status, and the dids (the
    URLs, for /urls) of the records answered."""
    did, base = first["did"], "/index/index"
    reads: dict[str, tuple[str, Callable[[Any], set[str]]]] = {
        "record": (f"{base}/{did}", _record),
        "record at the root": (f"/{did}", _record),
        "latest": (f"{base}/{did}/latest", _record),
        "versions": (f"{base}/{did}/versions", lambda body: _listed(body.values())),
        "list": (f"{base}/", _records),
        "by hash and size": (f"{base}/?hash=md5:{MD5}&size=5", _records),
        "by url": (f"{base}/?url=s3://elsewhere/hello.txt", _records),
        "by authz": (f"{base}/?authz=/programs/demo/projects/omics", _records),
        "by acl": (f"{base}/?acl=x", _records),
        "by file name and version": (f"{base}/?file_name=hello.txt&version=1", _records),
        "by ids": (f"{base}/?ids={did},{second['did']}", _records),
        "urls": (f"/index/urls?ids={did}", lambda body: {url["url"] for url in body["urls"]}),
        "query urls": ("/index/_query/urls/q?include=elsewhere", _listed),
    }
    found = {}
    for name, (path, answered) in reads.items():
        response = anonymous.get(path)
        ok = response.status_code == 200
        found[name] = (response.status_code, answered(response.json()) if ok else set())
    bulk = anonymous.post("/bulk/documents", json=[did, second["did"]])
    found["bulk"] = (bulk.status_code, _listed(bulk.json()))
    return found


def test_anonymous_callers_read_every_record_as_gen3s_indexd_serves_them(api: TestClient) -> None:
    """INDEX_READ=public (the default): reads need no token, whatever a record's authz (or
    none); an unknown did is still a 404. Under authz the same reads find nothing."""
    first = new_record(api, version="1", acl=["x"])
    own = api.post("/index/index/blank/", json={"uploader": "ann", "file_name": "hello.txt"})
    second = {"did": own.json()["did"]}  # no authz: its uploader's, yet public metadata
    anonymous = anonymous_client(api)
    everything, only_first = {first["did"], second["did"]}, {first["did"]}
    assert _reads(anonymous, first, second) == {
        "record": (200, only_first),
        "record at the root": (200, only_first),
        "latest": (200, only_first),
        "versions": (200, only_first),
        "list": (200, everything),
        "by hash and size": (200, only_first),
        "by url": (200, only_first),
        "by authz": (200, only_first),
        "by acl": (200, only_first),
        "by file name and version": (200, only_first),
        "by ids": (200, everything),
        "urls": (200, {"s3://elsewhere/hello.txt"}),
        "query urls": (200, only_first),
        "bulk": (200, everything),
    }
    assert anonymous.get(f"/index/index/{second['did']}").json()["uploader"] == "ann"
    unknown = anonymous.get("/index/index/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404 and "no record with did" in unknown.json()["message"]
    assert anonymous.get("/index/index/nope/latest").status_code == 404

    api.app.state.settings = dataclasses.replace(api.app.state.settings, index_read="authz")
    found = _reads(anonymous, first, second)
    assert {name: dids for name, (_, dids) in found.items() if dids} == {}
    assert found["record"][0] == found["latest"][0] == found["versions"][0] == 404
