"""Users and API keys, kept in the graph so the CLI and every app replica share one set.

Internal labels start with `Commons`, apart from any dictionary's node types.
An API key's JWT is given to its owner and never stored: the graph keeps its
`jti`, so revoking it is one write and checking it one indexed read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from engine.auth.errors import AuthError
from engine.graph.store import GraphStore, Transaction

SCHEMA = [
    "CREATE CONSTRAINT commons_CommonsUser_name_unique IF NOT EXISTS "
    "FOR (n:CommonsUser) REQUIRE n.name IS UNIQUE",
    "CREATE CONSTRAINT commons_CommonsApiKey_jti_unique IF NOT EXISTS "
    "FOR (n:CommonsApiKey) REQUIRE n.jti IS UNIQUE",
    "CREATE CONSTRAINT commons_CommonsPolicy_id_unique IF NOT EXISTS "
    "FOR (n:CommonsPolicy) REQUIRE n.id IS UNIQUE",
]


@dataclass(frozen=True)
class User:
    name: str
    admin: bool
    policies: tuple[str, ...]


def timestamp(seconds: int | None = None) -> str:
    moment = datetime.now(UTC) if seconds is None else datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="seconds")


def add_user(graph: GraphStore, name: str, admin: bool) -> bool:
    """Creates the user, or sets the admin flag of an existing one; True when created."""
    if not name.strip():
        raise AuthError(400, "a user name must not be empty")
    rows = graph.write(
        "MERGE (u:CommonsUser {name: $name}) "
        "ON CREATE SET u.created = $now, u.policies = [], u._new = true "
        "SET u.admin = $admin WITH u, coalesce(u._new, false) AS created "
        "REMOVE u._new RETURN created",
        {"name": name, "admin": admin, "now": timestamp()},
        upsert=True,
    )
    return rows[0]["created"]


def list_users(graph: GraphStore) -> list[User]:
    rows = graph.read(
        "MATCH (u:CommonsUser) RETURN u.name AS name, u.admin AS admin, "
        "u.policies AS policies ORDER BY name"
    )
    return [User(r["name"], bool(r["admin"]), tuple(r["policies"] or ())) for r in rows]


def require_user(tx: Transaction, name: str) -> None:
    if not tx.run("MATCH (u:CommonsUser {name: $name}) RETURN u.name AS name", {"name": name}):
        raise AuthError(404, f"no user {name!r}; add one with `commons users add {name}`")


def record_api_key(graph: GraphStore, user: str, jti: str, issued: int, expires: int) -> None:
    def work(tx: Transaction) -> None:
        require_user(tx, user)
        tx.run(
            "CREATE (:CommonsApiKey {jti: $jti, user: $user, created: $created, "
            "expires: $expires, revoked: false})",
            {"jti": jti, "user": user, "created": timestamp(issued), "expires": timestamp(expires)},
        )

    graph.execute_write(work)


def revoke_api_key(graph: GraphStore, jti: str) -> str:
    """Revokes the key and returns its owner's name."""
    rows = graph.write(
        "MATCH (k:CommonsApiKey {jti: $jti}) SET k.revoked = true, k.revoked_at = $now "
        "RETURN k.user AS user",
        {"jti": jti, "now": timestamp()},
    )
    if not rows:
        raise AuthError(404, f"no API key with key_id {jti!r}")
    return rows[0]["user"]
