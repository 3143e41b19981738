"""Real callers for tests: users, API keys and access tokens made by the app's own auth core.

Most tests are about something other than access, so their clients act as
an admin (`as_admin`); tests of access make the callers they need with
`bearer` and an anonymous client with `anonymous_client`.
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.testclient import TestClient

from engine.auth import accounts
from engine.auth.authority import Authority
from engine.auth.policy_store import save_policy
from engine.graph.store import GraphStore

ADMIN = "admin@tests"


def _authority(app: Starlette) -> Authority:
    return app.state.auth


def access_token(app: Starlette, user: str, *, admin: bool = False) -> str:
    """An access token for `user` (added if new), got as a client gets one: from an API key."""
    authority = _authority(app)
    accounts.add_user(authority.graph, user, admin)
    return authority.exchange(authority.create_api_key(user)["api_key"])


def bearer(app: Starlette, user: str, *, admin: bool = False) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(app, user, admin=admin)}"}


def as_admin(client: TestClient) -> TestClient:
    """`client`, sending an admin's token with every request."""
    client.headers.update(bearer(client.app, ADMIN, admin=True))
    return client


def anonymous_client(client: TestClient) -> TestClient:
    """A client of the same app that sends no token."""
    return TestClient(client.app)


def credentials_file(app: Starlette, user: str, path: Path, *, admin: bool = False) -> Path:
    """A credentials.json for `user`, as `commons keys create` writes it."""
    authority = _authority(app)
    accounts.add_user(authority.graph, user, admin)
    path.write_text(json.dumps(authority.create_api_key(user)))
    return path


def open_to_anonymous(graph: GraphStore, service: str = "guppy") -> None:
    """A policy letting every caller, logged in or not, read all of `service` (a public demo)."""
    save_policy(
        graph,
        {
            "authz": {
                "anonymous_policies": ["public"],
                "resources": [{"name": "programs"}],
                "roles": [
                    {
                        "id": "reader",
                        "permissions": [
                            {"id": "r", "action": {"service": service, "method": "read"}}
                        ],
                    }
                ],
                "policies": [
                    {"id": "public", "role_ids": ["reader"], "resource_paths": ["/programs"]}
                ],
            }
        },
    )
