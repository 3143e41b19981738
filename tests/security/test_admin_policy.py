"""`PUT /admin/policy` and `commons policy load`: one check of the whole document, nothing replaced
unless it passes, and never an empty policy by accident.

The active policy is what every non-admin's access comes from: a body like
`{"a": 1}`, a misspelt section or a user.yaml of an older format must be a
400 that names the problem, and the policy in force stays as it was. A
policy that grants nothing must be asked for outright, with `authz: {}`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from engine.auth.errors import AuthError
from engine.auth.policy_store import load_policy_file, show_policy
from engine.graph.store import GraphStore
from tests.auth_fixture import bearer

READER = "rita@example.org"
POLICY: dict[str, Any] = {
    "authz": {
        "anonymous_policies": [],
        "all_users_policies": [],
        "groups": [{"name": "readers", "policies": ["demo_reader"], "users": []}],
        "resources": [{"name": "programs", "subresources": [{"name": "demo"}]}],
        "roles": [
            {
                "id": "reader",
                "description": "reads",
                "permissions": [
                    {"id": "r", "action": {"service": "sheepdog", "method": "read"}},
                ],
            }
        ],
        "policies": [
            {
                "id": "demo_reader",
                "description": "reads demo",
                "role_ids": ["reader"],
                "resource_paths": ["/programs/demo"],
            }
        ],
    },
    "users": {READER: {"policies": ["demo_reader"], "email": READER, "tags": {"name": "Rita"}}},
    "clients": {"wts": {"policies": ["demo_reader"]}},
    "cloud_providers": {},
    "groups": {},
}


def _changed(path: str, value: Any) -> dict[str, Any]:
    """POLICY with `path` (keys joined by /, list positions as numbers) set to `value`."""
    document = copy.deepcopy(POLICY)
    *parents, last = path.split("/")
    place: Any = document
    for part in parents:
        place = place[int(part)] if isinstance(place, list) else place[part]
    place[int(last) if isinstance(place, list) else last] = value
    return document


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in POLICY.items() if k != key}


@pytest.fixture
def admin(api: TestClient) -> TestClient:
    response = api.put("/admin/policy", json=POLICY)
    assert response.status_code == 200, response.text
    return api


def _rita_reads(api: TestClient) -> bool:
    """Whether READER may still read the demo program (through the API, as she would)."""
    rita = TestClient(api.app, headers=bearer(api.app, READER))
    return rita.get("/user/user").json()["authz"] == {
        "/programs/demo": [{"service": "sheepdog", "method": "read"}]
    }


BROKEN = [
    ({"a": 1}, "the policy document: unknown key 'a'"),
    ({}, "authz: missing"),
    ({"users": {READER: {"admin": True}}}, "authz: missing"),
    ({"rbac": POLICY["authz"]}, "unknown key 'rbac' (fence's old name for authz"),
    ({"authz": None}, "authz: expected a mapping, got None"),
    ({"authz": []}, "authz: expected a mapping, got []"),
    ([POLICY], "the policy document: expected a mapping"),
    ("authz", "the policy document: expected a mapping"),
    (_changed("authz/resourcez", []), "authz: unknown key 'resourcez'"),
    (_changed("authz/resources", {"name": "programs"}), "authz.resources: expected a list"),
    (
        _changed("authz/resources/0/subresource", [{"name": "other"}]),
        "authz.resources[0]: unknown key 'subresource'",
    ),
    (
        _changed("authz/roles/0/permissions/0/constraints", {"x": 1}),
        "authz.roles[0].permissions[0]: unknown key 'constraints'",
    ),
    (
        _changed("authz/roles/0/permissions/0/action/methods", "*"),
        "authz.roles[0].permissions[0].action: unknown key 'methods'",
    ),
    (_changed("authz/policies/0/role_id", ["reader"]), "authz.policies[0]: unknown key 'role_id'"),
    (_changed("authz/policies/0/role_ids", ["nope"]), "no role 'nope' is defined"),
    (
        _changed("authz/policies/0/resource_paths", ["/programs/other"]),
        "'/programs/other' is not in authz.resources",
    ),
    (
        _changed("authz/policies/0/resource_paths", ["/programs/demo/../other"]),
        "'/programs/demo/../other' is not a resource path",
    ),
    (_changed("authz/groups/0/user", []), "authz.groups[0]: unknown key 'user'"),
    (_changed("authz/groups/0/policies", ["gone"]), "no policy 'gone' is defined"),
    (_changed("authz/anonymous_policies", "demo_reader"), "expected a list, got 'demo_reader'"),
    (_changed(f"users/{READER}/polices", ["demo_reader"]), "unknown key 'polices'"),
    (_changed(f"users/{READER}/policies", ["nope"]), "no policy 'nope' is defined"),
    (
        _changed(f"users/{READER}/projects", [{"auth_id": "demo", "privilege": ["read"]}]),
        "per-user projects are not read",
    ),
    (_changed(f"users/{READER}/admin", "yes"), "expected true or false, got 'yes'"),
    (_changed("users", ["rita"]), "users: expected a mapping"),
    (_changed("clients", ["wts"]), "clients: expected a mapping"),
]


@pytest.mark.parametrize(("document", "expected"), BROKEN)
def test_an_invalid_policy_is_refused_and_changes_nothing(
    admin: TestClient, graph: GraphStore, document: Any, expected: str
) -> None:
    before = show_policy(graph)
    response = admin.put("/admin/policy", content=json.dumps(document))
    assert response.status_code == 400, response.text
    assert expected in response.json()["message"]
    assert show_policy(graph) == before
    assert _rita_reads(admin)


def test_every_problem_is_named_at_once(admin: TestClient) -> None:
    document = _changed("authz/policies/0/role_id", ["reader"])
    del document["authz"]["policies"][0]["role_ids"]
    document["extra"] = True
    message = admin.put("/admin/policy", json=document).json()["message"]
    assert "the policy document: unknown key 'extra'" in message
    assert "authz.policies[0]: unknown key 'role_id'" in message
    assert "authz.policies[0].role_ids: expected a list, got None" in message


def test_an_empty_body_is_refused(admin: TestClient) -> None:
    for body in (b"", b"null", b"# nothing\n"):
        response = admin.put("/admin/policy", content=body)
        assert response.status_code == 400 and "empty" in response.json()["message"]
    assert _rita_reads(admin)


def test_a_policy_granting_nothing_must_be_asked_for_outright(admin: TestClient) -> None:
    response = admin.put("/admin/policy", json={"authz": {}})
    assert response.status_code == 200, response.text
    assert response.json()["authz"] == {}
    assert not _rita_reads(admin)


def test_the_cli_loads_through_the_same_check(
    admin: TestClient, graph: GraphStore, tmp_path: Path
) -> None:
    """`commons policy load` is `load_policy_file`: the same refusals, prefixed with the file."""
    before = show_policy(graph)
    path = tmp_path / "user.yaml"
    for text in ("", "a: 1\n", "users: {}\n", yaml.safe_dump({"rbac": POLICY["authz"]})):
        path.write_text(text)
        with pytest.raises(AuthError) as caught:
            load_policy_file(graph, path)
        assert caught.value.status == 400 and caught.value.message.startswith(f"{path}: ")
    assert show_policy(graph) == before
    path.write_text(yaml.safe_dump(POLICY))
    assert load_policy_file(graph, path)


def test_a_stored_policy_from_before_the_checks_still_loads_and_grants_only_plain_paths(
    admin: TestClient, graph: GraphStore
) -> None:
    """An upgrade never locks everyone out: what the checks now refuse is left out, not fatal."""
    authz = copy.deepcopy(POLICY["authz"])
    authz["resources"][0]["subresources"].append({"name": "..", "subresources": [{"name": "x"}]})
    authz["policies"][0]["resource_paths"].append("/programs/../x")
    authz["policies"][0]["legacy_key"] = True
    graph.write(
        "MATCH (p:CommonsPolicy) SET p.document = $doc, p.version = p.version + 1",
        {"doc": json.dumps(authz)},
    )
    assert _rita_reads(admin)
    assert admin.get("/admin/policy").status_code == 200
