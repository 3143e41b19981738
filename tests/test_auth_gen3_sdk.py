"""The unmodified Gen3 SDK logs in with a credentials.json that `commons keys create` wrote.

The SDK finds the server from the api_key's `iss` and trades the key for an
access token at /user/credentials/cdis/access_token, so this proves both the
claims and the route. The CLI reaches the session's ArcadeDB through
NEO4J_URI, the path it takes against a production Neo4j.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner

from engine.api.app import create_app
from engine.child_process import free_port
from engine.cli import main
from engine.config import load_settings
from engine.graph.arcadedb import EmbeddedArcadeDB
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.objects.store import ObjectStore
from engine.stores import Stores

gen3_auth = pytest.importorskip("gen3.auth")
gen3_submission = pytest.importorskip("gen3.submission")


@pytest.fixture
def live_commons(
    graph: GraphStore,
    seaweedfs_store: ObjectStore,
    compiled_default,
    arcadedb_server: EmbeddedArcadeDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, str]]:
    """A uvicorn serving Commons on a free port, and the environment a CLI needs to share its state."""
    if graph.dialect.name != "arcadedb":
        pytest.skip("the CLI is pointed at the session's ArcadeDB")
    port = free_port()
    endpoint = arcadedb_server.endpoint
    env = {
        "COMMONS_CONFIG": "/nonexistent.yaml",
        "COMMONS_DATA_DIR": str(tmp_path / "data"),
        "COMMONS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "NEO4J_URI": endpoint.uri,
        "NEO4J_USER": endpoint.user,
        "NEO4J_PASSWORD": endpoint.password,
        "NEO4J_DATABASE": endpoint.database,
    }
    apply_ddl(graph, compiled_default.ddl)
    app = create_app(Stores(graph, seaweedfs_store), load_settings(environ=env), compiled_default)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    monkeypatch.setenv("HOME", str(tmp_path))  # the SDK caches tokens under ~/.cache/gen3
    yield env
    server.should_exit = True
    thread.join(5)


def _credentials(env: dict[str, str], path: Path, user: str, *flags: str) -> Path:
    runner = CliRunner()
    for args in (["users", "add", user, *flags], ["keys", "create", user]):
        result = runner.invoke(main, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    path.write_text(result.stdout)
    return path


def test_gen3_sdk_authenticates_with_commons_credentials(
    live_commons: dict[str, str], tmp_path: Path
) -> None:
    credentials = _credentials(live_commons, tmp_path / "credentials.json", "root", "--admin")
    auth = gen3_auth.Gen3Auth(refresh_file=str(credentials))
    assert auth.endpoint == live_commons["COMMONS_PUBLIC_URL"]

    assert gen3_submission.Gen3Submission(auth_provider=auth).get_programs() == {"links": []}
    assert auth.get_access_token().count(".") == 2, "an access token was obtained"
    assert auth.curl("admin/policy").status_code == 200, "and sent: only an admin may read this"

    reader = _credentials(live_commons, tmp_path / "reader.json", "rita")
    assert gen3_auth.Gen3Auth(refresh_file=str(reader)).curl("admin/policy").status_code == 403
