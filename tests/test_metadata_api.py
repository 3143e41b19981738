"""Gen3's metadata service (MDS) over HTTP: every status and body its routes answer, and who may write.

The oracle is MDS itself (uc-cdis/metadata-service tests/test_maintain.py,
test_aliases.py, test_query.py): the same requests, the same answers.
"""

from __future__ import annotations

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
            }
        ],
        "policies": [
            {"id": "mds_admin", "role_ids": ["mds_user"], "resource_paths": ["/mds_gateway"]},
            {
                "id": "mds_reader",
                "role_ids": ["mds_user"],
                "resource_paths": ["/mds_metadata_queries"],
            },
        ],
    },
    "users": {
        "writer@mds": {"policies": ["mds_admin"]},
        "reader@mds": {"policies": ["mds_reader"]},
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
    reader = TestClient(app, headers=bearer(app, "reader@mds"))
    writer = TestClient(app, headers=bearer(app, "writer@mds"))
    for path in (
        "/mds/metadata",
        "/mds/metadata/r",
        "/mds/metadata/r/aliases",
        "/mds/aggregate/tags",
    ):
        assert reader.get(path).status_code == 200, path
        assert api.get(path).status_code == 200, path  # admin
        for client in (writer, anonymous_client(api)):
            assert client.get(path).status_code == 403, path
