"""Program names, project codes and resource paths: one spelling each, never a way around a grant.

A grant on `/programs/Z/projects/B1` must reach B1 and nothing else: not a
project whose code is `B1/x` or `B1/../A1`, not an index record whose authz
climbs out with `..`. Names are checked where they are made (sheepdog's
program and project routes, policies, index records) and again wherever one
meets a grant, so a store that already holds a malformed name gives it no
power; an admin can still delete it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from engine.auth.errors import AuthError
from engine.auth.policy import parse_policy
from engine.auth.policy_store import save_policy
from engine.auth.resources import covers, project_path
from engine.cli import main
from engine.graph.store import GraphStore
from tests.auth_fixture import bearer

BASE = "/api/v0/submission"
GRAPHQL = f"{BASE}/graphql"
B1 = "/programs/Z/projects/B1"
A1 = "/programs/A/projects/A1"
MD5 = hashlib.md5(b"x").hexdigest()
USER = "b1-submitter@example.org"

BAD_PROGRAMS = ["Z-dash", "Z/slash", "", "Z\u0000", "Z.", "..", "Z%2F", "Z\\x", "Z x", "Zé"]
BAD_CODES = ["B1/x", "B1/../A1", "", "..", "B1\\x", "B1%2Fx", "B1 x", "B1\u0000", "B1.x", "-B1"]
BAD_PATHS = [
    "/programs/Z/projects/B1/../../A/projects/A1",
    "/programs/Z/projects/B1/./x",
    "/programs/Z/projects/B1//x",
    "/programs/Z/projects/B1/",
    "/programs/Z/projects/B1/%2e%2e",
    "/programs/Z/projects/B1\\..\\A1",
    "/programs/Z/projects/B1/x\u0000",
    "/programs/Z/projects/B1/ x",
    "programs/Z/projects/B1",
]


def _tree(program: str, code: str) -> dict[str, Any]:
    return {
        "name": program,
        "subresources": [{"name": "projects", "subresources": [{"name": code}]}],
    }


POLICY = {
    "authz": {
        "resources": [{"name": "programs", "subresources": [_tree("Z", "B1"), _tree("A", "A1")]}],
        "roles": [
            {
                "id": "everything",
                "permissions": [{"id": "all", "action": {"service": "*", "method": "*"}}],
            }
        ],
        "policies": [{"id": "b1", "role_ids": ["everything"], "resource_paths": [B1]}],
    },
    "users": {USER: {"policies": ["b1"]}},
}


def _program(api: TestClient, name: str) -> Any:
    return api.put(
        f"{BASE}/", json={"type": "program", "name": name, "dbgap_accession_number": "p"}
    )


def _project(api: TestClient, program: str, code: str) -> Any:
    doc = {"type": "project", "code": code, "name": code, "dbgap_accession_number": "q"}
    return api.put(f"{BASE}/{program}", json=doc)


def _legacy_project(graph: GraphStore, program: str, code: str) -> None:
    """A project as a store made before names were checked holds it (the API no longer makes one)."""
    graph.write(
        "MERGE (g:`program` {name: $program}) ON CREATE SET g.id = $program "
        "CREATE (p:`project` {id: $pid, code: $code, project_id: $pid, state: 'open', "
        "name: $code, dbgap_accession_number: 'q'})-[:PROGRAMS]->(g)",
        {"program": program, "code": code, "pid": f"{program}-{code}"},
    )


def _count(graph: GraphStore, label: str) -> int:
    return graph.read(f"MATCH (n:`{label}`) RETURN count(n) AS n")[0]["n"]


@pytest.fixture
def world(api: TestClient, graph: GraphStore) -> TestClient:
    """Programs Z (project B1) and A (project A1); USER may do anything on B1 alone."""
    save_policy(graph, POLICY)
    for program, code in (("Z", "B1"), ("A", "A1")):
        assert _program(api, program).status_code == 200
        assert _project(api, program, code).status_code == 200
    return TestClient(api.app, headers=bearer(api.app, USER))


# Where names are made ----------------------------------------------------------


@pytest.mark.parametrize("name", BAD_PROGRAMS)
def test_a_malformed_program_name_is_refused(api: TestClient, graph: GraphStore, name: str) -> None:
    response = _program(api, name)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 400 and "'name'" in body["message"]
    assert _count(graph, "program") == 0


@pytest.mark.parametrize("code", BAD_CODES)
def test_a_malformed_project_code_is_refused(
    world: TestClient, api: TestClient, graph: GraphStore, code: str
) -> None:
    response = _project(api, "Z", code)
    assert response.status_code == 400, response.text
    errors = [e for entity in response.json()["entities"] for e in entity["errors"]]
    assert [e["keys"] for e in errors] == [["code"]]
    assert "project code" in errors[0]["message"]
    assert _count(graph, "project") == 2


def test_good_names_still_work(api: TestClient) -> None:
    assert _program(api, "TCGA_2").status_code == 200
    assert _project(api, "TCGA_2", "BRCA-HMB_IRB").status_code == 200
    assert project_path("TCGA_2-BRCA-HMB_IRB") == "/programs/TCGA_2/projects/BRCA-HMB_IRB"


# Where names meet grants -------------------------------------------------------


@pytest.mark.parametrize("path", BAD_PATHS)
def test_a_malformed_path_is_beneath_no_grant(path: str) -> None:
    assert not covers(B1, path)
    assert not covers("/", path)


@pytest.mark.parametrize("code", ["B1/x", "B1/../A1"])
def test_a_project_grant_does_not_reach_a_project_named_beneath_it(
    world: TestClient, graph: GraphStore, code: str
) -> None:
    _legacy_project(graph, "Z", code)
    study = f'{{submitter_id: "st", study_design: "Cohort", projects: [{{code: "{code}"}}]}}'
    query = f'mutation {{ submitStudy(project_id: "Z-{code}", input: [{study}]) {{ code }} }}'
    response = world.post(GRAPHQL, json={"query": query})
    assert response.status_code == 400, response.text
    assert "is not a valid project code" in response.json()["errors"][0]
    assert _count(graph, "study") == 0


def test_rest_routes_refuse_a_malformed_name_before_the_store(world: TestClient) -> None:
    for path in (
        f"{BASE}/Z-dash",
        f"{BASE}/Z-dash/B1/export?node_label=study",
        f"{BASE}/Z/B1%00/entities/x",
    ):
        response = world.get(path)
        assert response.status_code == 400, (path, response.text)
    refused = world.put(f"{BASE}/Z/B1%00", json=[])
    assert refused.status_code == 400 and "project code" in refused.json()["message"]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_an_index_record_authz_must_be_a_plain_resource_path(
    world: TestClient, api: TestClient, path: str
) -> None:
    body = {"size": 1, "hashes": {"md5": MD5}, "urls": ["https://x/y"], "authz": [path]}
    for client in (world, api):  # the B1 submitter, and an admin
        response = client.post("/index/index", json=body)
        assert response.status_code == 400, response.text
        assert "authz[0]" in response.json()["message"]
    upload = world.post("/user/data/upload", json={"file_name": "f.txt", "authz": [path]})
    assert upload.status_code == 400, upload.text
    made = world.post("/index/index", json={**body, "authz": [B1]}).json()
    moved = world.put(f"/index/index/{made['did']}?rev={made['rev']}", json={"authz": [path]})
    assert moved.status_code == 400, moved.text


def test_the_b1_submitter_still_works_in_b1(world: TestClient) -> None:
    body = {"size": 1, "hashes": {"md5": MD5}, "urls": ["https://x/y"], "authz": [B1]}
    assert world.post("/index/index", json=body).status_code == 200
    assert world.post("/index/index", json={**body, "authz": [A1]}).status_code == 403


# Policies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "paths", "expected"),
    [
        ([_tree("Z", "B1")], ["/programs/Z/projects/B1/../A1"], "resource_paths"),
        ([_tree("Z-dash", "B1")], ["/programs/Z-dash"], "program name"),
        ([_tree("Z", "B1/x")], [B1], "a resource name is one path segment"),
        ([_tree("Z", "..")], ["/programs/Z/projects/.."], "project code"),
        ([{"name": "open", "subresources": [{"name": "%2e%2e"}]}], ["/open"], "'%2e%2e'"),
    ],
)
def test_a_policy_naming_a_malformed_resource_is_refused(
    resources: list[Any], paths: list[str], expected: str
) -> None:
    policy = {
        "authz": {
            "resources": [{"name": "programs", "subresources": resources}],
            "roles": [{"id": "r", "permissions": []}],
            "policies": [{"id": "p", "role_ids": ["r"], "resource_paths": paths}],
        }
    }
    with pytest.raises(AuthError) as caught:
        parse_policy(policy)
    assert caught.value.status == 400 and expected in caught.value.message


# A store that already holds a malformed name -------------------------------------


def test_an_admin_can_still_delete_a_malformed_program_and_project(
    world: TestClient, api: TestClient, graph: GraphStore
) -> None:
    _legacy_project(graph, "Z-dash", "C1")
    listed = api.get(f"{BASE}/").json()["links"]
    assert "/v0/submission/Z-dash" in listed, "shown to admins, so they can find and delete it"
    assert "/v0/submission/Z-dash" not in world.get(f"{BASE}/").json()["links"]
    assert world.delete(f"{BASE}/Z-dash/C1").status_code == 400, "only an admin's DELETE"
    assert api.delete(f"{BASE}/Z-dash/C1").status_code == 204
    assert api.delete(f"{BASE}/Z-dash").status_code == 204
    assert _count(graph, "program") == 2


# The command line ----------------------------------------------------------------


@pytest.mark.parametrize("project", ["Z/B1/../A1", "Z-dash/B1", "Z/B1%2Fx", "Z/"])
@pytest.mark.parametrize("command", ["submit", "export", "upload"])
def test_the_cli_refuses_a_malformed_program_or_project(
    tmp_path: Path, command: str, project: str
) -> None:
    data = tmp_path / "study.json"
    data.write_text("[]")
    args = {
        "submit": ["submit", project, str(data)],
        "export": ["export", project, "--node", "study"],
        "upload": ["upload", project, str(data)],
    }[command]
    result = CliRunner().invoke(main, [*args, "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 2, result.output
    assert "PROGRAM/PROJECT" in result.output
