"""Arborist semantics: the path tree, roles and wildcards, groups, built-in groups, admins; tiers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.auth import accounts
from engine.auth.errors import AuthError
from engine.auth.policy import parse_policy
from engine.auth.policy_store import (
    grant_policy,
    load_policy_file,
    revoke_policy,
    save_policy,
    show_policy,
)
from engine.auth.principal import Principal
from engine.auth.resources import covers, program_path, project_path
from engine.auth.tiers import hide_small_count
from engine.config import ConfigError, load_settings
from engine.graph.store import GraphStore

POLICY: dict[str, Any] = {
    "authz": {
        "anonymous_policies": ["open_reader"],
        "all_users_policies": ["tcga_counter"],
        "groups": [
            {"name": "tcga_submitters", "policies": ["tcga_submitter"], "users": ["sam"]},
            {"name": "logged-in", "policies": ["services_reader"], "users": []},
        ],
        "resources": [
            {
                "name": "programs",
                "subresources": [
                    {
                        "name": "TCGA",
                        "subresources": [
                            {
                                "name": "projects",
                                "subresources": [{"name": "BRCA"}, {"name": "LUAD"}],
                            }
                        ],
                    },
                    {
                        "name": "open",
                        "subresources": [{"name": "projects", "subresources": [{"name": "A"}]}],
                    },
                ],
            },
            {"name": "services", "subresources": [{"name": "workspace"}]},
        ],
        "roles": [
            {
                "id": "reader",
                "permissions": [
                    {"id": "p", "action": {"service": "peregrine", "method": "read"}},
                    {"id": "g", "action": {"service": "guppy", "method": "read"}},
                ],
            },
            {
                "id": "submitter",
                "permissions": [{"id": "s", "action": {"service": "sheepdog", "method": "*"}}],
            },
            {
                "id": "anything",
                "permissions": [{"id": "a", "action": {"service": "*", "method": "*"}}],
            },
            {
                "id": "counter",
                "permissions": [{"id": "c", "action": {"service": "guppy", "method": "count"}}],
            },
        ],
        "policies": [
            {"id": "open_reader", "role_ids": ["reader"], "resource_paths": ["/programs/open"]},
            {"id": "tcga_counter", "role_ids": ["counter"], "resource_paths": ["/programs/TCGA"]},
            {
                "id": "brca_reader",
                "role_ids": ["reader"],
                "resource_paths": ["/programs/TCGA/projects/BRCA"],
            },
            {
                "id": "tcga_submitter",
                "role_ids": ["reader", "submitter"],
                "resource_paths": ["/programs/TCGA"],
            },
            {"id": "services_reader", "role_ids": ["anything"], "resource_paths": ["/services"]},
            {"id": "everything_reader", "role_ids": ["reader"], "resource_paths": ["/programs"]},
        ],
    },
    "users": {"rita": {"policies": ["brca_reader"]}, "ada": {"admin": True}},
}
PROJECTS = {"TCGA": {"TCGA-BRCA", "TCGA-LUAD"}, "open": {"open-A"}}
BRCA, LUAD, OPEN_A = (
    project_path("TCGA-BRCA"),
    project_path("TCGA-LUAD"),
    project_path("open-A"),
)


def _principal(name: str | None, own: tuple[str, ...] = (), admin: bool = False) -> Principal:
    authz, _ = parse_policy(POLICY)
    return Principal(
        name,
        admin=admin,
        permissions=authz.permissions(authz.policy_ids(name, own)),
        projects_in=lambda programs: frozenset(pid for p in programs for pid in PROJECTS[p]),
    )


def test_resource_paths() -> None:
    assert project_path("TCGA-BRCA") == "/programs/TCGA/projects/BRCA"
    assert project_path("P-with-dash") == "/programs/P/projects/with-dash"
    assert program_path("TCGA") == "/programs/TCGA"
    with pytest.raises(ValueError, match="<program>-<project>"):
        project_path("nodash")
    assert covers("/programs/TCGA", BRCA) and covers("/", BRCA) and covers(BRCA, BRCA)
    assert not covers("/programs/TC", BRCA) and not covers(BRCA, "/programs/TCGA")


def test_permission_on_a_path_covers_its_descendants_only() -> None:
    rita = _principal("rita", ("brca_reader",))
    assert rita.can("peregrine", "read", BRCA)
    assert rita.can("peregrine", "read", BRCA + "/files/x")
    assert not rita.can("peregrine", "read", LUAD)
    assert not rita.can("peregrine", "read", "/programs/TCGA")
    assert not rita.can("sheepdog", "create", BRCA)
    assert rita.readable_projects() == {"TCGA-BRCA", "open-A"}


def test_program_grant_reaches_every_project_of_the_program() -> None:
    sam = _principal("sam")  # through the group tcga_submitters
    assert sam.can("sheepdog", "create", LUAD) and sam.can("sheepdog", "delete", BRCA)
    assert sam.readable_projects() == {"TCGA-BRCA", "TCGA-LUAD", "open-A"}
    assert sam.readable_projects("sheepdog") == {"TCGA-BRCA", "TCGA-LUAD"}
    assert sam.readable_projects("indexd") == frozenset()


def test_wildcards_match_any_service_and_method() -> None:
    alice = _principal("alice")  # logged-in group: anything on /services
    assert alice.can("workspace", "launch", "/services/workspace")
    assert alice.can("arborist", "delete", "/services")
    assert not alice.can("workspace", "launch", "/programs/TCGA")
    assert not _principal(None).can("workspace", "launch", "/services/workspace")


def test_anonymous_and_logged_in_groups() -> None:
    anonymous, alice = _principal(None), _principal("alice")
    assert anonymous.is_anonymous and not alice.is_anonymous
    assert anonymous.can("peregrine", "read", OPEN_A)
    assert alice.can("peregrine", "read", OPEN_A), "logged-in users are anonymous too"
    assert not anonymous.can("guppy", "count", BRCA) and alice.can("guppy", "count", BRCA)
    assert anonymous.readable_projects() == {"open-A"}
    assert alice.readable_projects("guppy", "count") == {"TCGA-BRCA", "TCGA-LUAD"}


def test_admin_may_do_everything_and_reads_everything() -> None:
    ada = _principal("ada", admin=True)
    assert ada.can("anything", "at-all", "/programs/secret/projects/x")
    assert ada.readable_projects() is None
    ada.require_admin()


def test_grant_on_programs_root_reads_everything() -> None:
    assert _principal("eve", ("everything_reader",)).readable_projects() is None


def test_refusals_name_the_permission_never_the_resource() -> None:
    with pytest.raises(AuthError) as caught:
        _principal(None).require("sheepdog", "create", project_path("TCGA-SECRET"))
    assert caught.value.status == 401
    assert "sheepdog 'create'" in caught.value.message and "SECRET" not in caught.value.message
    with pytest.raises(AuthError) as caught:
        _principal("rita", ("brca_reader",)).require("peregrine", "read", LUAD)
    assert caught.value.status == 403 and "LUAD" not in caught.value.message
    assert (
        caught.value.message
        == "rita does not have the peregrine 'read' permission, which this needs"
    )
    with pytest.raises(AuthError, match="admin rights") as caught:
        _principal("rita").require_admin()
    assert caught.value.status == 403


def test_every_problem_in_a_policy_is_reported_at_once() -> None:
    broken = {
        "authz": {
            "resources": [{"name": "programs", "subresources": [{"name": "a/b"}]}],
            "roles": [
                {"id": "r", "permissions": [{"id": "x", "action": {"service": "peregrine"}}]}
            ],
            "policies": [
                {"id": "p", "role_ids": ["missing_role"], "resource_paths": ["/programs/typo"]},
            ],
            "anonymous_policies": ["nope"],
            "groups": [{"name": "g", "policies": ["p", "gone"], "users": "not-a-list"}],
        },
        "users": {"u": {"admin": "yes", "policies": ["p"]}},
    }
    with pytest.raises(AuthError) as caught:
        parse_policy(broken)
    message = caught.value.message
    for expected in (
        "authz.resources[0].subresources[0].name: a resource name is one path segment",
        "authz.roles[0].permissions[0].action.method: expected a string, got None",
        "authz.policies[0].role_ids: no role 'missing_role' is defined",
        "authz.policies[0].resource_paths: '/programs/typo' is not in authz.resources",
        "authz.anonymous_policies: no policy 'nope' is defined",
        "authz.groups[0].policies: no policy 'gone' is defined",
        "authz.groups[0].users: expected a list, got 'not-a-list'",
        "users.u.admin: expected true or false, got 'yes'",
    ):
        assert expected in message
    assert caught.value.status == 400


def test_shipped_example_policy_is_valid(repo_root: Path) -> None:
    data = yaml.safe_load((repo_root / "docs" / "commons.policy.example.yaml").read_text())
    authz, users = parse_policy(data)
    assert users["admin@example.org"].admin
    reader = authz.permissions(
        authz.policy_ids("reader@example.org", users["reader@example.org"].policies)
    )
    assert any(p.allows("peregrine", "read", project_path("demo-omics")) for p in reader)


@pytest.mark.parametrize(
    ("count", "accessible", "level", "shown"),
    [
        (3, True, "private", 3),
        (3, False, "private", -1),
        (500, False, "private", -1),
        (49, False, "regular", -1),
        (0, False, "regular", -1),
        (50, False, "regular", 50),
        (3, True, "regular", 3),
        (3, False, "libre", 3),
    ],
)
def test_hide_small_count(count: int, accessible: bool, level: str, shown: int) -> None:
    assert hide_small_count(count, accessible, level, 50) == shown


def test_tier_settings_are_checked_and_exposed() -> None:
    settings = load_settings(environ={"COMMONS_CONFIG": "/nonexistent.yaml"})
    assert (settings.tier_access_level, settings.tier_access_limit) == ("private", 50)
    assert settings.public_url == "http://127.0.0.1:8000"
    with pytest.raises(
        ConfigError, match="TIER_ACCESS_LEVEL: expected one of private, regular, libre"
    ):
        load_settings(environ={"COMMONS_CONFIG": "/nonexistent.yaml", "TIER_ACCESS_LEVEL": "open"})


# The policy in the graph ------------------------------------------------------


def test_policy_round_trips_through_the_graph_and_grants_change_users(graph: GraphStore) -> None:
    version = save_policy(graph, POLICY)
    assert save_policy(graph, POLICY) == version + 1
    shown = show_policy(graph)
    assert shown["authz"] == POLICY["authz"]
    assert shown["users"] == {
        "ada": {"admin": True, "policies": []},
        "rita": {"admin": False, "policies": ["brca_reader"]},
    }
    accounts.add_user(graph, "sam", admin=False)
    grant_policy(graph, "sam", "brca_reader")
    grant_policy(graph, "sam", "brca_reader")
    assert show_policy(graph)["users"]["sam"]["policies"] == ["brca_reader"]
    revoke_policy(graph, "sam", "brca_reader")
    assert show_policy(graph)["users"]["sam"]["policies"] == []
    with pytest.raises(AuthError, match="holds no policy 'brca_reader'"):
        revoke_policy(graph, "sam", "brca_reader")
    with pytest.raises(AuthError, match="no policy 'nope' in the active policy"):
        grant_policy(graph, "sam", "nope")
    with pytest.raises(AuthError, match="no user 'bob'"):
        grant_policy(graph, "bob", "brca_reader")


def test_loading_a_file_keeps_users_it_does_not_name(graph: GraphStore, tmp_path: Path) -> None:
    accounts.add_user(graph, "sam", admin=False)
    save_policy(graph, POLICY)
    grant_policy(graph, "sam", "open_reader")
    path = tmp_path / "commons.policy.yaml"
    path.write_text(yaml.safe_dump({"authz": POLICY["authz"], "users": {"rita": {"admin": True}}}))
    assert load_policy_file(graph, path, force=False)
    assert not load_policy_file(graph, path, force=False), "unchanged: not loaded again"
    users = show_policy(graph)["users"]
    assert users["rita"] == {"admin": True, "policies": []}
    assert users["sam"] == {"admin": False, "policies": ["open_reader"]}
    path.write_text("authz: [not, a, mapping]\n")
    with pytest.raises(AuthError, match="commons.policy.yaml: the policy document is not valid"):
        load_policy_file(graph, path)


def test_the_demo_policy_lets_anyone_read_the_demo_program_and_nothing_more() -> None:
    """`commons serve --demo` loads it when no policy file exists: the dashboard works logged out."""

    path = (
        Path(__file__).resolve().parents[1]
        / "dictionaries"
        / "default"
        / "examples"
        / "policy.yaml"
    )
    authz, users = parse_policy(yaml.safe_load(path.read_text()))
    granted = authz.permissions(authz.policy_ids(None))
    project = "/programs/demo/projects/omics"
    for service in ("sheepdog", "peregrine", "guppy", "indexd"):
        assert any(p.allows(service, "read", project) for p in granted), service
    assert not any(p.allows("sheepdog", "create", project) for p in granted)
    assert not any(p.allows("guppy", "read", "/programs/other/projects/x") for p in granted)
    assert users == {}
