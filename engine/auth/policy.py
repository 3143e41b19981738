"""Arborist's model, read from a document in the shape of Gen3's user.yaml.

Resources form a path tree; a role is a set of `{service, method}` actions
(`*` matches any); a policy binds roles to resource paths and reaches
everything beneath them. Policies are granted to users, to groups, to the
built-in group `anonymous` (every request, logged in or not:
`anonymous_policies`) and to `logged-in` (every authenticated user:
`all_users_policies`). A document is checked whole before it is used, and
every problem is reported at once, so a typo never silently grants or
withholds access: unknown keys are refused (a misspelt `subresources` or
`policies` would withhold, an ignored arborist `constraints` would grant
more), resource names and paths must be plain (engine/auth/resources.py),
and a document without an `authz` section is refused rather than taken as
"grant nothing": that takes `authz: {}`, said outright.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.auth.errors import AuthError
from engine.auth.resources import covers, path_problem

ANONYMOUS = "anonymous"
LOGGED_IN = "logged-in"


@dataclass(frozen=True, order=True)
class Permission:
    """One action allowed on one subtree."""

    service: str
    method: str
    resource: str

    def allows(self, service: str, method: str, resource: str) -> bool:
        return (
            self.service in ("*", service)
            and self.method in ("*", method)
            and covers(self.resource, resource)
        )


@dataclass(frozen=True)
class Group:
    policies: tuple[str, ...]
    users: frozenset[str]


@dataclass(frozen=True)
class UserGrant:
    admin: bool
    policies: tuple[str, ...]


@dataclass(frozen=True)
class Authz:
    """The `authz` section, checked; `document` keeps it as given, for showing and storing."""

    document: dict[str, Any] = field(default_factory=dict)
    roles: Mapping[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    policies: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    groups: Mapping[str, Group] = field(default_factory=dict)

    def policy_ids(self, user: str | None, own: Iterable[str] = ()) -> set[str]:
        """Everything granted to `user` (None: an anonymous request)."""
        granted = set(self.document.get("anonymous_policies", []))
        member_of = {ANONYMOUS}
        if user is not None:
            granted |= set(self.document.get("all_users_policies", [])) | set(own)
            member_of |= {LOGGED_IN} | {n for n, g in self.groups.items() if user in g.users}
        for name in member_of & set(self.groups):
            granted |= set(self.groups[name].policies)
        return granted

    def permissions(self, policy_ids: Iterable[str]) -> frozenset[Permission]:
        """Ids of policies no longer defined grant nothing."""
        found = set()
        for policy_id in policy_ids:
            role_ids, paths = self.policies.get(policy_id, ((), ()))
            for role_id in role_ids:
                for service, method in self.roles.get(role_id, ()):
                    found |= {Permission(service, method, path) for path in paths}
        return frozenset(found)


_KINDS = {list: "a list", dict: "a mapping", str: "a string", bool: "true or false"}
# The keys each part of a user.yaml may have. fence's `clients`, `cloud_providers` and
# top-level `groups` are accepted and not used; descriptions and user details are kept.
KEYS = {
    "document": frozenset({"authz", "users", "clients", "cloud_providers", "groups"}),
    "authz": frozenset(
        {"resources", "roles", "policies", "anonymous_policies", "all_users_policies", "groups"}
    ),
    "resource": frozenset({"name", "description", "subresources"}),
    "role": frozenset({"id", "description", "permissions"}),
    "permission": frozenset({"id", "description", "action"}),
    "action": frozenset({"service", "method"}),
    "policy": frozenset({"id", "description", "role_ids", "resource_paths"}),
    "group": frozenset({"name", "policies", "users"}),
    "user": frozenset({"admin", "policies", "email", "display_name", "phone_number", "tags"}),
}
HINTS = {
    "rbac": "fence's old name for authz: rename it to authz",
    "projects": "per-user projects are not read: grant policies instead",
}


class _Checker:
    """Collects every problem of a document, each with where it is.

    With `stored`, the document is one saved earlier, perhaps by a version
    that checked less: what is refused now only for being unknown or not
    plain is left out instead, so an upgrade never locks everyone out, and a
    path left out grants nothing.
    """

    def __init__(self, stored: bool = False) -> None:
        self.stored = stored
        self.problems: list[str] = []

    def keys(self, item: dict[Any, Any], kind: str, where: str) -> None:
        if self.stored:
            return
        allowed = KEYS[kind]
        for key in sorted({str(key) for key in item} - allowed):
            hint = HINTS.get(key, "expected " + ", ".join(sorted(allowed)))
            self.problems.append(f"{where}: unknown key {key!r} ({hint})")

    def plain(self, path: str, where: str) -> bool:
        """Whether `path` is a plain resource path; a problem when it is not (unless stored)."""
        problem = path_problem(path)
        if problem and not self.stored:
            self.problems.append(f"{where}: {problem}")
        return problem is None

    def expect(self, value: Any, kind: type, where: str) -> bool:
        if not isinstance(value, kind):
            self.problems.append(f"{where}: expected {_KINDS[kind]}, got {value!r}")
        return isinstance(value, kind)

    def strings(self, value: Any, where: str) -> list[str]:
        if not self.expect(value, list, where):
            return []
        return [item for i, item in enumerate(value) if self.expect(item, str, f"{where}[{i}]")]

    def entries(self, value: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
        if not self.expect(value, list, where):
            return []
        places = ((f"{where}[{i}]", item) for i, item in enumerate(value))
        return [(place, item) for place, item in places if self.expect(item, dict, place)]

    def references(
        self, value: Any, where: str, defined: Mapping[str, Any], what: str
    ) -> tuple[str, ...]:
        ids = self.strings(value, where)
        for missing in sorted(set(ids) - set(defined)):
            self.problems.append(f"{where}: no {what} {missing!r} is defined")
        return tuple(ids)

    def raise_if_any(self) -> None:
        if self.problems:
            raise AuthError(
                400, "the policy document is not valid:\n- " + "\n- ".join(self.problems)
            )


def _resource_paths(check: _Checker, items: Any, where: str, parent: str = "") -> set[str]:
    paths: set[str] = set()
    for place, item in check.entries(items, where):
        name = item.get("name")
        if not check.expect(name, str, f"{place}.name"):
            continue
        check.keys(item, "resource", place)
        if not name or "/" in name:
            check.problems.append(
                f"{place}.name: a resource name is one path segment, got {name!r}"
            )
            continue
        path = f"{parent}/{name}"
        if not check.plain(path, f"{place}.name"):
            continue
        below = item.get("subresources", [])
        paths |= {path, *_resource_paths(check, below, f"{place}.subresources", path)}
    return paths


def _roles(check: _Checker, items: Any) -> dict[str, frozenset[tuple[str, str]]]:
    roles: dict[str, frozenset[tuple[str, str]]] = {}
    for place, item in check.entries(items, "authz.roles"):
        role_id = item.get("id")
        if not check.expect(role_id, str, f"{place}.id"):
            continue
        if role_id in roles:
            check.problems.append(f"{place}: role {role_id!r} is defined twice")
        check.keys(item, "role", place)
        actions = set()
        for spot, permission in check.entries(item.get("permissions"), f"{place}.permissions"):
            check.keys(permission, "permission", spot)
            action = permission.get("action")
            if not check.expect(action, dict, f"{spot}.action"):
                continue
            check.keys(action, "action", f"{spot}.action")
            service, method = action.get("service"), action.get("method")
            service_ok = check.expect(service, str, f"{spot}.action.service")
            if check.expect(method, str, f"{spot}.action.method") and service_ok:
                actions.add((service, method))
        roles[role_id] = frozenset(actions)
    return roles


def _policies(
    check: _Checker, items: Any, roles: Mapping[str, Any], declared: set[str]
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    policies: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for place, item in check.entries(items, "authz.policies"):
        policy_id = item.get("id")
        if not check.expect(policy_id, str, f"{place}.id"):
            continue
        if policy_id in policies:
            check.problems.append(f"{place}: policy {policy_id!r} is defined twice")
        check.keys(item, "policy", place)
        role_ids = check.references(item.get("role_ids"), f"{place}.role_ids", roles, "role")
        where = f"{place}.resource_paths"
        given = (p.rstrip("/") or "/" for p in check.strings(item.get("resource_paths"), where))
        paths = tuple(path for path in given if check.plain(path, where))
        for path in paths:
            if path not in declared and path != "/":
                check.problems.append(f"{place}.resource_paths: {path!r} is not in authz.resources")
        policies[policy_id] = (role_ids, paths)
    return policies


def parse_policy(data: Any, *, stored: bool = False) -> tuple[Authz, dict[str, UserGrant]]:
    """A user.yaml-shaped document → its checked authz section and user grants.

    `stored`: the authz section as saved earlier (see `_Checker`).
    """
    if data is None:
        raise AuthError(
            400, "the policy document is empty: send one in the shape of Gen3's user.yaml"
        )
    check = _Checker(stored)
    authz: Any = {}
    users: Any = {}
    if check.expect(data, dict, "the policy document"):
        check.keys(data, "document", "the policy document")
        if "authz" not in data:
            check.problems.append(
                "authz: missing; a policy without one would grant nothing "
                "(to mean that, send authz: {})"
            )
        authz, users = data.get("authz", {}), data.get("users") or {}
        for section, value in (("authz", authz), ("users", users)):
            check.expect(value, dict, section)
        for unused in ("clients", "cloud_providers", "groups"):
            check.expect(data.get(unused) or {}, dict, unused)
    if not (isinstance(authz, dict) and isinstance(users, dict)):
        check.raise_if_any()

    check.keys(authz, "authz", "authz")
    declared = _resource_paths(check, authz.get("resources", []), "authz.resources")
    roles = _roles(check, authz.get("roles", []))
    policies = _policies(check, authz.get("policies", []), roles, declared)
    for key in ("anonymous_policies", "all_users_policies"):
        check.references(authz.get(key, []), f"authz.{key}", policies, "policy")
    groups = {}
    for place, item in check.entries(authz.get("groups", []), "authz.groups"):
        check.keys(item, "group", place)
        if check.expect(item.get("name"), str, f"{place}.name"):
            groups[item["name"]] = Group(
                check.references(item.get("policies", []), f"{place}.policies", policies, "policy"),
                frozenset(check.strings(item.get("users", []), f"{place}.users")),
            )
    grants = {}
    for name, entry in users.items():
        place = f"users.{name}"
        if check.expect(entry or {}, dict, place):
            entry = entry or {}
            check.keys(entry, "user", place)
            check.expect(entry.get("admin", False), bool, f"{place}.admin")
            own = check.references(
                entry.get("policies", []), f"{place}.policies", policies, "policy"
            )
            grants[str(name)] = UserGrant(entry.get("admin") is True, own)
    check.raise_if_any()
    return Authz(authz, roles, policies, groups), grants
