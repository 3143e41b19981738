"""A Commons served by uvicorn on a free port, administered with the `commons` CLI, for the Gen3 SDK.

The SDK finds the server from its api_key's `iss`, so the app's public URL
is the URL it is served at (`host` may be `localhost` or `127.0.0.1`: the
SDK calls indexd at different paths for each). The CLI reaches the
session's ArcadeDB through NEO4J_URI, the path it takes against a
production Neo4j, so users, keys and the policy are made as an operator
would make them. Settings are the defaults, so index records are public
metadata (`INDEX_READ=public`), which the SDK's tokenless indexd reads need.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from click.testing import CliRunner

from engine.api.app import create_app
from engine.child_process import free_port
from engine.cli import main
from engine.config import load_settings
from engine.dictionary.compile import CompiledDictionary
from engine.graph.arcadedb import EmbeddedArcadeDB
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.objects.index import DDL as RECORD_DDL
from engine.objects.store import ObjectStore
from engine.stores import Stores

# Nothing is granted to anonymous callers: the SDK's tokenless indexd reads work because
# index records are public metadata by default, as Gen3's indexd serves them.
SDK_POLICY = {
    "authz": {
        "anonymous_policies": [],
        "resources": [
            {
                "name": "programs",
                "subresources": [
                    {
                        "name": "demo",
                        "subresources": [{"name": "projects", "subresources": [{"name": "omics"}]}],
                    }
                ],
            }
        ],
        "roles": [
            {
                "id": "reader",
                "permissions": [
                    {"id": service, "action": {"service": service, "method": "read"}}
                    for service in ("peregrine", "sheepdog", "guppy")
                ]
                + [{"id": "rs", "action": {"service": "fence", "method": "read-storage"}}],
            },
            {
                "id": "submitter",
                "permissions": [
                    {"id": service, "action": {"service": service, "method": "*"}}
                    for service in ("sheepdog", "indexd", "fence")
                ],
            },
        ],
        "policies": [
            {"id": "demo_reader", "role_ids": ["reader"], "resource_paths": ["/programs/demo"]},
            {
                "id": "demo_submitter",
                "role_ids": ["reader", "submitter"],
                "resource_paths": ["/programs/demo"],
            },
        ],
    },
    "users": {
        "sam@example.org": {"policies": ["demo_submitter"]},
        "rita@example.org": {"policies": ["demo_reader"]},
    },
}


@contextmanager
def served(app: Any, port: int | None = None) -> Iterator[str]:
    """`app` served by uvicorn in a thread (its lifespan run: start-up and shut-down), on
    `port` or a free one; yields its URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port or free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


def cli(env: dict[str, str], *args: str) -> str:
    """Run `commons ARGS` as an operator would; its standard output."""
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def credentials(env: dict[str, str], path: Path, user: str, *flags: str) -> Path:
    """`commons users add USER [--admin]`, then `commons keys create USER > PATH`."""
    cli(env, "users", "add", user, *flags)
    path.write_text(cli(env, "keys", "create", user))
    return path


def bearer(env: dict[str, str], folder: Path, user: str, *flags: str) -> dict[str, str]:
    """The Authorization header of a new USER [--admin]: an API key traded for an access token."""
    key = json.loads(credentials(env, folder / f"{user}.json", user, *flags).read_text())
    answer = httpx.post(f"{env['COMMONS_PUBLIC_URL']}/user/credentials/cdis/access_token", json=key)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@contextmanager
def serving(
    graph: GraphStore,
    objects: ObjectStore,
    compiled: CompiledDictionary,
    arcadedb: EmbeddedArcadeDB,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    host: str = "127.0.0.1",
    policy: dict | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[dict[str, str]]:
    """Serve Commons at http://HOST:PORT with `policy` (SDK_POLICY unless given) loaded and
    `settings` (environment variables) set; yields the CLI's environment."""
    if graph.dialect.name != "arcadedb":
        pytest.skip("the CLI is pointed at the session's ArcadeDB")
    port = free_port()
    endpoint = arcadedb.endpoint
    env = {
        "COMMONS_CONFIG": "/nonexistent.yaml",
        "COMMONS_DATA_DIR": str(folder / "data"),
        "COMMONS_PUBLIC_URL": f"http://{host}:{port}",
        "NEO4J_URI": endpoint.uri,
        "NEO4J_USER": endpoint.user,
        "NEO4J_PASSWORD": endpoint.password,
        "NEO4J_DATABASE": endpoint.database,
        **(settings or {}),
    }
    apply_ddl(graph, compiled.ddl + RECORD_DDL)
    policy_file = folder / "commons.policy.yaml"
    policy_file.write_text(yaml.safe_dump(SDK_POLICY if policy is None else policy))
    cli(env, "policy", "load", str(policy_file))
    app = create_app(Stores(graph, objects), load_settings(environ=env), compiled)
    monkeypatch.setenv("HOME", str(folder))  # the SDK caches tokens under ~/.cache/gen3
    with served(app, port):
        yield env
