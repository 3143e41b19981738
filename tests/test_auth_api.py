"""fence's credential exchange and JWKS routes, the Authorization header, and the policy admin API."""

from __future__ import annotations

import json

import jwt
import pytest
import yaml
from starlette.testclient import TestClient

from engine.auth import accounts
from engine.auth.authority import Authority
from engine.graph.store import GraphStore
from tests.auth_fixture import anonymous_client

POLICY = {
    "authz": {
        "resources": [{"name": "programs", "subresources": [{"name": "demo"}]}],
        "roles": [
            {
                "id": "reader",
                "permissions": [{"id": "r", "action": {"service": "peregrine", "method": "read"}}],
            }
        ],
        "policies": [
            {"id": "demo_reader", "role_ids": ["reader"], "resource_paths": ["/programs/demo"]}
        ],
    },
    "users": {"rita": {"policies": ["demo_reader"]}},
}


def _authority(api: TestClient) -> Authority:
    return api.app.state.auth


def _bearer(
    api: TestClient, user: str, *, admin: bool = False, scheme: str = "Bearer"
) -> dict[str, str]:
    accounts.add_user(_authority(api).graph, user, admin)
    credentials = _authority(api).create_api_key(user)
    response = api.post("/user/credentials/cdis/access_token", json=credentials)
    assert response.status_code == 200, response.text
    return {"Authorization": f"{scheme} {response.json()['access_token']}"}


def test_jwks_is_served_at_both_paths(api: TestClient) -> None:
    _authority(api).keys.signing_key()
    standard, fence = api.get("/.well-known/jwks.json"), api.get("/user/.well-known/jwks")
    assert standard.status_code == fence.status_code == 200
    assert standard.json() == fence.json()
    kids = [key["kid"] for key in standard.json()["keys"]]
    assert kids == _authority(api).keys.kids()
    assert all(
        set(key) == {"kty", "n", "e", "kid", "alg", "use"} for key in standard.json()["keys"]
    )


@pytest.mark.parametrize(
    "path", ["/user/credentials/cdis/access_token", "/user/credentials/api/access_token"]
)
def test_api_key_exchange_accepts_json_and_form(
    api: TestClient, graph: GraphStore, path: str
) -> None:
    accounts.add_user(graph, "alice", admin=False)
    credentials = _authority(api).create_api_key("alice")
    as_json = api.post(path, json=credentials)
    as_form = api.post(path, data={"api_key": credentials["api_key"]})
    for response in (as_json, as_form):
        assert response.status_code == 200
        assert set(response.json()) == {"access_token"}
        claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
        assert claims["pur"] == "access" and claims["sub"] == "alice"
        assert claims["iss"] == "http://testserver"


def test_bad_exchanges_are_clear_4xx(api: TestClient, graph: GraphStore) -> None:
    path = "/user/credentials/cdis/access_token"
    missing = api.post(path, json={"key_id": "x"})
    assert missing.status_code == 400 and "api_key" in missing.json()["message"]
    assert (
        api.post(
            path, content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    forged = api.post(path, json={"api_key": "a.b.c"})
    assert forged.status_code == 401
    assert forged.json() == {"message": "the token is not a well-formed JWT", "code": 401}
    assert forged.headers["www-authenticate"] == 'Bearer realm="commons"'

    accounts.add_user(graph, "alice", admin=False)
    credentials = _authority(api).create_api_key("alice")
    accounts.revoke_api_key(graph, credentials["key_id"])
    revoked = api.post(path, json=credentials)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["message"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_bearer_scheme_is_case_insensitive(api: TestClient, scheme: str) -> None:
    assert (
        api.get(
            "/admin/policy", headers=_bearer(api, "root", admin=True, scheme=scheme)
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic cm9vdDpwdw==", "must read 'Bearer <access token>'"),
        ("Bearer", "must read 'Bearer <access token>'"),
        ("Bearer garbage", "not a well-formed JWT"),
    ],
)
def test_bad_authorization_headers_are_401_never_500(
    api: TestClient, header: str, message: str
) -> None:
    response = api.get("/admin/policy", headers={"Authorization": header})
    assert response.status_code == 401 and message in response.json()["message"]


def test_policy_admin_api_is_for_admins_only(api: TestClient) -> None:
    anonymous = anonymous_client(api).get("/admin/policy")
    assert anonymous.status_code == 401 and "authentication required" in anonymous.json()["message"]
    not_admin = api.get("/admin/policy", headers=_bearer(api, "rita"))
    assert not_admin.status_code == 403
    assert not_admin.json()["message"] == "rita does not have admin rights, which this needs"
    put = api.put("/admin/policy", content=json.dumps(POLICY), headers=_bearer(api, "rita"))
    assert put.status_code == 403


def test_admin_replaces_the_policy_and_it_applies_to_the_next_request(api: TestClient) -> None:
    admin = _bearer(api, "root", admin=True)
    rita = _bearer(api, "rita")
    authority = _authority(api)
    assert not authority.principal(rita["Authorization"].split()[1]).can(
        "peregrine", "read", "/programs/demo"
    )

    put = api.put(
        "/admin/policy",
        content=yaml.safe_dump(POLICY),
        headers={**admin, "content-type": "application/yaml"},
    )
    assert put.status_code == 200
    assert put.json()["authz"] == POLICY["authz"]
    assert put.json()["users"]["rita"] == {"admin": False, "policies": ["demo_reader"]}
    assert put.json()["users"]["root"] == {"admin": True, "policies": []}
    assert authority.principal(rita["Authorization"].split()[1]).can(
        "peregrine", "read", "/programs/demo/x"
    )
    assert api.get("/admin/policy", headers=admin).json() == put.json()

    broken = {"authz": {"policies": [{"id": "p", "role_ids": ["nope"], "resource_paths": []}]}}
    refused = api.put("/admin/policy", json=broken, headers=admin)
    assert refused.status_code == 400
    assert "authz.policies[0].role_ids: no role 'nope' is defined" in refused.json()["message"]
    assert api.get("/admin/policy", headers=admin).json() == put.json(), (
        "a refused policy changes nothing"
    )
    empty = api.put("/admin/policy", content=b"", headers=admin)
    assert empty.status_code == 400 and "user.yaml" in empty.json()["message"]
    not_yaml = api.put("/admin/policy", content=b"authz: [", headers=admin)
    assert not_yaml.status_code == 400 and "neither JSON nor YAML" in not_yaml.json()["message"]


def test_user_info_names_the_caller_and_their_grants(api: TestClient) -> None:
    admin = _bearer(api, "root", admin=True)
    assert api.put("/admin/policy", json=POLICY, headers=admin).status_code == 200
    rita = api.get("/user/user", headers=_bearer(api, "rita"))
    assert rita.status_code == 200, rita.text
    assert rita.json() == {
        "username": "rita",
        "sub": "rita",
        "is_admin": False,
        "authz": {"/programs/demo": [{"service": "peregrine", "method": "read"}]},
        "resources": ["/programs/demo"],
    }
    assert api.get("/user/user", headers=admin).json()["is_admin"] is True
    anonymous = anonymous_client(api).get("/user/user")
    assert anonymous.status_code == 401 and "not signed in" in anonymous.json()["message"]


def test_a_program_grant_reads_the_programs_projects_from_the_graph(api: TestClient) -> None:
    from engine.submission import projects

    graph, compiled = _authority(api).graph, api.app.state.compiled
    for program, codes in (("demo", ["omics", "imaging"]), ("other", ["secret"])):
        projects.upsert_program(graph, compiled, {"name": program, "dbgap_accession_number": "p"})
        for code in codes:
            doc = {"code": code, "name": code, "dbgap_accession_number": "q"}
            projects.upsert_project(graph, compiled, program, doc)
    save = api.put("/admin/policy", json=POLICY, headers=_bearer(api, "root", admin=True))
    assert save.status_code == 200

    rita = _authority(api).principal(_bearer(api, "rita")["Authorization"].split()[1])
    assert rita.readable_projects() == {"demo-omics", "demo-imaging"}
    assert rita.readable_projects("sheepdog") == frozenset()
