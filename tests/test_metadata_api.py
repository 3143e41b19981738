"""Gen3's metadata service (MDS) over HTTP: every status and body its routes answer, and who may write.

The oracle is MDS itself (uc-cdis/metadata-service tests/test_maintain.py,
test_aliases.py, test_query.py): the same requests, the same answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from engine.auth.policy_store import save_policy
from tests.auth_fixture import anonymous_client, bearer

PREFIXES = ("/mds", "/mds-admin", "")

MDS_POLICY = {
    "authz": {
        "anonymous_policies": [],
        "resources": [{"name": "mds_gateway"}, {"name": "mds_metadata_queries"}],
        "roles": [
            {
                "id": "mds_user",
                "permissions": [
                    {"id": "mds", "action": {"service": "mds_gateway", "method": "access"}}
                ],
            },
            {
                "id": "mds_query",  # what MDS asks arborist (src/mds/auth.py)
                "permissions": [
                    {
                        "id": "q",
                        "action": {"service": "mds_metadata_queries", "method": "access"},
                    }
                ],
            },
            {
                "id": "any_reader",
                "permissions": [{"id": "r", "action": {"service": "*", "method": "read"}}],
            },
        ],
        "policies": [
            {"id": "mds_admin", "role_ids": ["mds_user"], "resource_paths": ["/mds_gateway"]},
            {
                "id": "mds_reader",
                "role_ids": ["mds_user"],
                "resource_paths": ["/mds_metadata_queries"],
            },
            {
                "id": "mds_querier",
                "role_ids": ["mds_query"],
                "resource_paths": ["/mds_metadata_queries"],
            },
            {
                "id": "mds_plain_reader",
                "role_ids": ["any_reader"],
                "resource_paths": ["/mds_metadata_queries"],
            },
        ],
    },
    "users": {
        "writer@mds": {"policies": ["mds_admin"]},
        "reader@mds": {"policies": ["mds_reader"]},
        "querier@mds": {"policies": ["mds_querier"]},
        "plain-reader@mds": {"policies": ["mds_plain_reader"]},
    },
}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_create_read_update_delete(api: TestClient, prefix: str) -> None:
    url = f"{prefix}/metadata/dg.1234/abc"
    created = api.post(url, json={"a": 1, "b": {"c": "x"}})
    assert (created.status_code, created.json()) == (201, {"a": 1, "b": {"c": "x"}})
    again = api.post(url, json={"a": 2})
    assert (again.status_code, again.json()) == (409, {"detail": "Conflict: dg.1234/abc"})
    overwritten = api.post(url, params={"overwrite": "true"}, json={"a": 2, "b": 3})
    assert (overwritten.status_code, overwritten.json()) == (200, {"a": 2, "b": 3})
    assert api.get(url).json() == {"a": 2, "b": 3}
    merged = api.put(url, params={"merge": "true"}, json={"c": 4})
    assert (merged.status_code, merged.json()) == (200, {"a": 2, "b": 3, "c": 4})
    replaced = api.put(url, json={"d": 5})
    assert (replaced.status_code, replaced.json()) == (200, {"d": 5})
    deleted = api.delete(url)
    assert (deleted.status_code, deleted.json()) == (200, {"d": 5})
    for answer in (api.get(url), api.delete(url), api.put(url, json={})):
        assert (answer.status_code, answer.json()) == (404, {"detail": "Not found: dg.1234/abc"})


def test_writes_refuse_bad_input(api: TestClient) -> None:
    assert api.post("/mds/metadata/upload", json={}).status_code == 400
    for body in ([1], "text", 3):
        answer = api.post("/mds/metadata/x", json=body)
        assert answer.status_code == 400 and "JSON object" in answer.json()["detail"]
    bad_flag = api.post("/mds/metadata/x", params={"overwrite": "maybe"}, json={})
    assert bad_flag.status_code == 400 and "overwrite" in bad_flag.json()["detail"]
    assert api.post("/mds/metadata", json={"guid": "x"}).status_code == 400
    assert api.get("/mds/metadata/x").status_code == 404  # nothing was written


def test_batch_create(api: TestClient) -> None:
    api.post("/mds/metadata/old", json={"v": 0})
    body = [
        {"guid": "new", "data": {"v": 1}},
        {"guid": "old", "data": {"v": 2}},
        {"guid": "upload", "data": {}},
        {"guid": "no-data"},
    ]
    answer = api.post("/mds-admin/metadata", json=body)
    assert answer.status_code == 201
    assert answer.json() == {
        "created": ["new"],
        "updated": ["old"],
        "conflict": [],
        "bad_input": ["upload", "no-data"],
    }
    kept = api.post("/mds/metadata", params={"overwrite": "false"}, json=body[:2])
    assert kept.json() == {
        "created": [],
        "updated": [],
        "conflict": ["new", "old"],
        "bad_input": [],
    }
    assert api.get("/mds/metadata/old").json() == {"v": 2}


def test_aliases(api: TestClient) -> None:
    api.post("/mds/metadata/g1", json={"n": 1})
    api.post("/mds/metadata/g2", json={"n": 2})
    url = "/mds/metadata/g1/aliases"
    made = api.post(url, json={"aliases": ["b", "a"]})
    assert (made.status_code, made.json()) == (201, {"guid": "g1", "aliases": ["a", "b"]})
    assert api.post(url, json={"aliases": ["c"]}).status_code == 409
    taken = api.post("/mds/metadata/g2/aliases", json={"aliases": ["a"]})
    assert taken.status_code == 409 and "different GUID" in taken.json()["detail"]
    assert api.get("/mds/metadata/a").json() == {"n": 1}  # an alias reads its record
    assert api.get(url).json() == {"guid": "g1", "aliases": ["a", "b"]}
    merged = api.put(url, params={"merge": "true"}, json={"aliases": ["c"]})
    assert (merged.status_code, merged.json()["aliases"]) == (201, ["a", "b", "c"])
    replaced = api.put(url, json={"aliases": ["c", "d"]})
    assert replaced.json()["aliases"] == ["c", "d"]
    assert api.get("/mds/metadata/a").status_code == 404
    assert api.delete(url + "/c").status_code == 204
    missing = api.delete(url + "/c")
    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": "Alias: 'c' for GUID: 'g1' not found."},
    )
    assert api.delete(url).status_code == 204
    assert api.delete(url).json() == {"detail": "No aliases found for: g1"}
    assert api.post("/mds/metadata/none/aliases", json={"aliases": ["z"]}).status_code == 404
    api.put(url, json={"aliases": ["e"]})
    api.delete("/mds/metadata/g1")  # its aliases go with it
    assert api.get("/mds/metadata/g2/aliases").json() == {"guid": "g2", "aliases": []}
    assert api.post("/mds/metadata/g2/aliases", json={"aliases": ["e"]}).status_code == 201


def test_query_paging(api: TestClient) -> None:
    api.post("/mds/metadata", json=[{"guid": f"g{i:02}", "data": {"i": i}} for i in range(25)])
    assert api.get("/mds/metadata").json() == [f"g{i:02}" for i in range(10)]
    page = api.get("/mds/metadata", params={"limit": 3, "offset": 5, "data": "True"}).json()
    assert page == {"g05": {"i": 5}, "g06": {"i": 6}, "g07": {"i": 7}}
    assert len(api.get("/mds/metadata", params={"limit": 5000}).json()) == 25
    for params in ({"limit": -1}, {"offset": "x"}, {"data": "perhaps"}):
        answer = api.get("/mds/metadata", params=params)
        assert answer.status_code == 400 and next(iter(params)) in answer.json()["detail"]


def test_status_and_version(api: TestClient) -> None:
    for prefix in ("/mds", "/mds-admin"):
        body = api.get(f"{prefix}/_status").json()
        assert body["status"] == "OK" and body["aggregate_metadata_enabled"] is True
        assert isinstance(api.get(f"{prefix}/version").json(), str)
    assert api.get("/_status").text == "Healthy"  # Commons' own root status is unchanged
    unknown = api.get("/mds/nothing-here")
    assert unknown.status_code == 404 and "detail" in unknown.json()


def _policy(api: TestClient) -> None:
    save_policy(api.app.state.stores.graph, MDS_POLICY)


def test_writes_need_mds_gateway_access(api: TestClient) -> None:
    _policy(api)
    app = api.app
    writer = TestClient(app, headers=bearer(app, "writer@mds"))
    reader = TestClient(app, headers=bearer(app, "reader@mds"))
    nobody = TestClient(app, headers=bearer(app, "nobody@mds"))
    assert writer.post("/mds-admin/metadata/w", json={"a": 1}).status_code == 201
    for client in (reader, nobody, anonymous_client(api)):
        for method, path, body in (
            ("POST", "/mds/metadata/x", {}),
            ("POST", "/metadata", []),
            ("PUT", "/mds/metadata/w", {}),
            ("DELETE", "/mds/metadata/w", None),
            ("POST", "/mds/metadata/w/aliases", {"aliases": ["q"]}),
            ("DELETE", "/mds/metadata/w/aliases/q", None),
        ):
            answer = client.request(method, path, json=body)
            assert answer.status_code == 403, (method, path, answer.text)
            assert "mds_gateway" in answer.json()["detail"]
        assert client.get("/mds/metadata/w").json() == {"a": 1}  # reads are public
    assert api.get("/mds/metadata/x").status_code == 404


def test_mds_read_authz(api: TestClient) -> None:
    _policy(api)
    app = api.app
    api.post("/mds/metadata/r", json={"a": 1})
    app.state.settings = type(app.state.settings)(
        **{**app.state.settings.__dict__, "mds_read": "authz"}
    )
    readers = [
        TestClient(app, headers=bearer(app, user))
        for user in ("reader@mds", "querier@mds", "plain-reader@mds")
    ]
    writer = TestClient(app, headers=bearer(app, "writer@mds"))
    for path in (
        "/mds/metadata",
        "/mds/metadata/r",
        "/mds/metadata/r/aliases",
        "/mds/aggregate/tags",
    ):
        for reader in readers:
            assert reader.get(path).status_code == 200, path
        assert api.get(path).status_code == 200, path  # admin
        for client in (writer, anonymous_client(api)):
            assert client.get(path).status_code == 403, path


SUBMISSION = "/api/v0/submission"


def _study_record(**study: Any) -> dict[str, Any]:
    return {"_guid_type": "discovery_metadata", "gen3_discovery": study}


def _project_with_subjects(api: TestClient, subjects: int) -> None:
    api.put(
        f"{SUBMISSION}/", json={"type": "program", "name": "demo", "dbgap_accession_number": "p"}
    )
    project = {
        "type": "project",
        "code": "omics",
        "name": "o",
        "dbgap_accession_number": "phs000123",
    }
    assert api.put(f"{SUBMISSION}/demo", json=project).status_code == 200
    study = {
        "type": "study",
        "submitter_id": "st",
        "study_design": "Cohort",
        "projects": {"code": "omics"},
    }
    docs = [study] + [
        {"type": "subject", "submitter_id": f"su-{i}", "studies": {"submitter_id": "st"}}
        for i in range(subjects)
    ]
    assert api.put(f"{SUBMISSION}/demo/omics", json=docs).status_code == 200


def test_study_counts_are_live(api: TestClient) -> None:
    api.post("/mds/metadata/early", json=_study_record(project_id="demo-omics"))
    _project_with_subjects(api, 2)
    api.post("/mds/metadata/by-accession", json=_study_record(dbgap_accession="phs000123.v1.p1"))
    api.post("/mds/metadata/by-id", json=_study_record(project_id="demo-omics"))
    expected = {"project_id": "demo-omics", "subjects": 2, "files": 0}
    for guid in ("by-accession", "by-id"):
        assert api.get(f"/discovery/studies/{guid}/counts").json() == {"guid": guid, **expected}
    unlinked = api.get("/discovery/studies/early/counts").json()  # written before its project
    assert unlinked == {"guid": "early", "project_id": None, "subjects": 0, "files": 0}
    more = [{"type": "subject", "submitter_id": "su-9", "studies": {"submitter_id": "st"}}]
    api.put(f"{SUBMISSION}/demo/omics", json=more)
    assert api.get("/discovery/studies/by-id/counts").json()["subjects"] == 3
    hidden = anonymous_client(api).get("/discovery/studies/by-id/counts").json()
    assert (hidden["subjects"], hidden["files"]) == (-1, -1)  # TIER_ACCESS_LEVEL=private
    missing = api.get("/discovery/studies/none/counts")
    assert (missing.status_code, missing.json()["message"]) == (404, "Not found: none")


def test_aggregate_reads_this_commons_studies(api: TestClient) -> None:
    tags = [{"name": "WGS", "category": "Data Type"}, {"name": "Lung", "category": "Disease"}]
    api.post("/mds/metadata/s1", json=_study_record(name="one", tags=tags, authors=["a", "b"]))
    api.post("/mds/metadata/s2", json=_study_record(name="two", tags=tags[:1], authors=None))
    api.post("/mds/metadata/other", json={"_guid_type": "indexed_file_object"})
    assert api.get("/mds/aggregate/commons").json() == {"commons": ["Commons"]}
    page = api.get("/mds/aggregate/metadata", params={"counts": "authors,tags"}).json()
    assert page == {
        "Commons": [
            {"s1": _study_record(name="one", tags=2, authors=2, commons_name="Commons")},
            {"s2": _study_record(name="two", tags=1, authors=0, commons_name="Commons")},
        ]
    }
    paged = api.get(
        "/mds/aggregate/metadata",
        params={"limit": 1, "offset": 1, "flatten": "true", "pagination": "true"},
    ).json()
    assert list(paged["results"][0]) == ["s2"]
    assert paged["pagination"] == {"hits": 2, "offset": 1, "pageSize": 1, "pages": 2}
    assert api.get("/mds/aggregate/metadata/guid/s1").json()["gen3_discovery"]["name"] == "one"
    for path in ("/mds/aggregate/metadata/guid/other", "/mds/aggregate/metadata/Nope"):
        answer = api.get(path)
        assert answer.status_code == 404 and answer.json()["detail"]["code"] == 404
    assert len(api.get("/mds/aggregate/metadata/Commons").json()) == 2
    assert api.get("/mds/aggregate/metadata/Commons/info").json() == {
        "commons_url": "http://testserver"
    }
    assert api.get("/mds/aggregate/tags").json() == {
        "Data Type": {"total": 2, "names": [{"WGS": 2}]},
        "Disease": {"total": 1, "names": [{"Lung": 1}]},
    }
    schema = api.get("/mds/aggregate/info/schema").json()
    assert schema["tags"]["type"] == "array" and schema["name"]["type"] == "string"
    assert api.get("/mds/aggregate/info/other").status_code == 404
