"""Where the active policy lives: in the graph, shared by the CLI, the admin API and every replica.

The `authz` section is one JSON document on the `CommonsPolicy` node, with a
version that every change bumps: processes keep the parsed document and read
it again only when the version moves. Each user's admin flag and own policies
live on their `CommonsUser` node. `commons serve` loads the policy file at
start only when it differs from the file last loaded (its sha256 is kept), so
changes made through the CLI or the API survive a restart until the file
itself is edited.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from engine.auth.accounts import require_user, timestamp
from engine.auth.errors import AuthError
from engine.auth.policy import Authz, parse_policy
from engine.graph.store import GraphStore, Transaction

ACTIVE = "active"


def save_policy(graph: GraphStore, data: Any, source_sha256: str = "") -> int:
    """Checks `data` (user.yaml's shape) whole, then stores it in one transaction; returns the version.

    The authz section is replaced; the users it names get its admin flags and
    policies, and users it does not name keep theirs.
    """
    authz, grants = parse_policy(data)
    users = [
        {"name": name, "admin": grant.admin, "policies": list(grant.policies)}
        for name, grant in grants.items()
    ]

    def work(tx: Transaction) -> int:
        rows = tx.run(
            "MERGE (p:CommonsPolicy {id: $id}) "
            "SET p.document = $document, p.version = coalesce(p.version, 0) + 1, "
            "p.source_sha256 = $sha, p.updated = $now RETURN p.version AS version",
            {
                "id": ACTIVE,
                "document": json.dumps(authz.document),
                "sha": source_sha256,
                "now": timestamp(),
            },
        )
        tx.run(
            "UNWIND $users AS user MERGE (u:CommonsUser {name: user.name}) "
            "ON CREATE SET u.created = $now "
            "SET u.admin = user.admin, u.policies = user.policies",
            {"users": users, "now": timestamp()},
        )
        return rows[0]["version"]

    return graph.execute_write(work, upsert=True)


def load_policy_file(graph: GraphStore, path: Path, *, force: bool = True) -> bool:
    """Stores the file's policy; with `force=False` only when it changed since it was last loaded."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as error:
        raise AuthError(400, f"cannot read the policy file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise AuthError(400, f"{path} is not valid YAML: {error}") from None
    sha = hashlib.sha256(text.encode()).hexdigest()
    if not force:
        rows = graph.read(
            "MATCH (p:CommonsPolicy {id: $id}) RETURN p.source_sha256 AS sha", {"id": ACTIVE}
        )
        if rows and rows[0]["sha"] == sha:
            return False
    try:
        save_policy(graph, data, sha)
    except AuthError as error:
        raise AuthError(error.status, f"{path}: {error.message}") from None
    return True


def read_authz(tx: Transaction) -> tuple[int, Authz]:
    """The active authz section and its version; version 0 and nothing granted before any load."""
    rows = tx.run(
        "MATCH (p:CommonsPolicy {id: $id}) RETURN p.version AS version, p.document AS document",
        {"id": ACTIVE},
    )
    if not rows:
        return 0, Authz()
    authz, _ = parse_policy({"authz": json.loads(rows[0]["document"])}, stored=True)
    return rows[0]["version"], authz


def show_policy(graph: GraphStore) -> dict[str, Any]:
    """The active policy in user.yaml's shape: what `policy load` and `PUT /admin/policy` accept."""

    def work(tx: Transaction) -> dict[str, Any]:
        _, authz = read_authz(tx)
        users = tx.run(
            "MATCH (u:CommonsUser) RETURN u.name AS name, u.admin AS admin, "
            "u.policies AS policies ORDER BY name"
        )
        return {
            "authz": authz.document,
            "users": {
                row["name"]: {"admin": bool(row["admin"]), "policies": list(row["policies"] or [])}
                for row in users
            },
        }

    return graph.execute_read(work)


def _change_grant(graph: GraphStore, user: str, policy: str, grant: bool) -> None:
    def work(tx: Transaction) -> None:
        require_user(tx, user)
        _, authz = read_authz(tx)
        if grant and policy not in authz.policies:
            raise AuthError(404, f"no policy {policy!r} in the active policy")
        rows = tx.run(
            "MATCH (u:CommonsUser {name: $name}) WITH u, coalesce(u.policies, []) AS held "
            "SET u.policies = [p IN held WHERE p <> $policy] + "
            "CASE WHEN $grant THEN [$policy] ELSE [] END "
            "RETURN $policy IN held AS held",
            {"name": user, "policy": policy, "grant": grant},
        )
        if not grant and not rows[0]["held"]:
            raise AuthError(404, f"user {user!r} holds no policy {policy!r} of their own")

    graph.execute_write(work)


def grant_policy(graph: GraphStore, user: str, policy: str) -> None:
    _change_grant(graph, user, policy, grant=True)


def revoke_policy(graph: GraphStore, user: str, policy: str) -> None:
    _change_grant(graph, user, policy, grant=False)
