"""Session-wide stores for the suite, on every backend this machine can offer.

The embedded ArcadeDB and SeaweedFS always run (started once per session on
free ports, stopped at the end). Neo4j 5 and MinIO join when a Docker engine
answers within 2 s (testcontainers) or when NEO4J_URI / S3_ENDPOINT name
running servers; otherwise their parameters are skipped with the reason.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.graph.arcadedb import EmbeddedArcadeDB
from engine.graph.store import GraphStore
from engine.objects.seaweedfs import EmbeddedSeaweedFS
from engine.objects.store import ObjectStore
from tests.cypher_gate import cypher_gate, pytest_sessionfinish, pytest_terminal_summary

# The Neo4j gate (tests/cypher_gate.py): its fixture records, its hooks check and report.
__all__ = ["cypher_gate", "pytest_sessionfinish", "pytest_terminal_summary"]

pytest_plugins = ["tests.fuzz_summary"]
GRAPH_BACKENDS = ["arcadedb", "neo4j"]
OBJECT_BACKENDS = ["seaweedfs", "minio"]


@functools.cache
def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers a ping within 2 s, else why not."""
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception as error:  # any failure means: no engine to use
        return f"no Docker engine answered within 2 s ({type(error).__name__}); set NEO4J_URI/S3_ENDPOINT to use running servers"
    return None


@pytest.fixture(scope="session")
def arcadedb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedArcadeDB]:
    server = EmbeddedArcadeDB(tmp_path_factory.mktemp("arcadedb"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweedfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSeaweedFS]:
    server = EmbeddedSeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    yield server
    server.stop()


def _neo4j_store(request: pytest.FixtureRequest) -> GraphStore:
    if os.environ.get("NEO4J_URI"):
        return GraphStore(
            os.environ["NEO4J_URI"],
            os.environ.get("NEO4J_USER", "neo4j"),
            os.environ.get("NEO4J_PASSWORD", ""),
            os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
    reason = docker_unavailable_reason()
    if reason:
        pytest.skip(f"Neo4j backend: {reason}")
    from testcontainers.neo4j import Neo4jContainer

    container = Neo4jContainer("neo4j:5")
    container.start()
    request.addfinalizer(container.stop)
    return GraphStore(container.get_connection_url(), "neo4j", container.password, "neo4j")


@pytest.fixture(scope="session", params=GRAPH_BACKENDS)
def graph_store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    if request.param == "arcadedb":
        endpoint = request.getfixturevalue("arcadedb_server").endpoint
        store = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
    else:
        store = _neo4j_store(request)
    yield store
    store.close()


@pytest.fixture
def graph(graph_store: GraphStore) -> GraphStore:
    """The session's graph store, emptied of nodes (constraints and indexes stay)."""
    graph_store.write("MATCH (n) DETACH DELETE n")
    return graph_store


def _minio_store(request: pytest.FixtureRequest, bucket: str) -> ObjectStore:
    if os.environ.get("S3_ENDPOINT"):
        return ObjectStore(
            os.environ["S3_ENDPOINT"],
            os.environ.get("S3_ACCESS_KEY", ""),
            os.environ.get("S3_SECRET_KEY", ""),
            bucket,
            secure=os.environ.get("S3_SECURE", "false").lower() == "true",
        )
    reason = docker_unavailable_reason()
    if reason:
        pytest.skip(f"MinIO backend: {reason}")
    from testcontainers.minio import MinioContainer

    container = MinioContainer()
    container.start()
    request.addfinalizer(container.stop)
    config = container.get_config()
    return ObjectStore(
        config["endpoint"], config["access_key"], config["secret_key"], bucket, name="minio"
    )


@pytest.fixture(scope="session")
def seaweedfs_store(seaweedfs_server: EmbeddedSeaweedFS) -> ObjectStore:
    endpoint = seaweedfs_server.endpoint
    return ObjectStore(
        endpoint.endpoint,
        endpoint.access_key,
        endpoint.secret_key,
        "commons-test",
        name="seaweedfs",
    )


@pytest.fixture(scope="session", params=OBJECT_BACKENDS)
def object_store(request: pytest.FixtureRequest) -> ObjectStore:
    """Every object backend: for tests of object storage itself."""
    if request.param == "seaweedfs":
        return request.getfixturevalue("seaweedfs_store")
    return _minio_store(request, "commons-test")


@pytest.fixture
def key_prefix() -> str:
    """A fresh folder in the bucket, so tests sharing the session store do not meet."""
    return f"test-{uuid.uuid4().hex}/"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def pytest_report_header() -> list[str]:
    neo4j = (
        "NEO4J_URI"
        if os.environ.get("NEO4J_URI")
        else (docker_unavailable_reason() or "testcontainers")
    )
    minio = (
        "S3_ENDPOINT"
        if os.environ.get("S3_ENDPOINT")
        else (docker_unavailable_reason() or "testcontainers")
    )
    return [
        "graph backends: arcadedb (embedded); neo4j: " + neo4j,
        "object backends: seaweedfs (embedded); minio: " + minio,
    ]


@pytest.fixture(scope="session")
def compiled_default(repo_root: Path):
    from engine.dictionary.compile import compile_dictionary

    return compile_dictionary(repo_root / "dictionaries" / "default")


_DDL_APPLIED: set[int] = set()


@pytest.fixture(scope="session")
def commons_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's data dir in tests: its signing keys are made there once per session."""
    return tmp_path_factory.mktemp("commons-data")


@pytest.fixture
def api(graph: GraphStore, seaweedfs_store: ObjectStore, compiled_default, commons_data_dir: Path):
    """A client of the whole app over the session stores, the default dictionary, an empty graph.

    It acts as an admin (tests/auth_fixture.py): tests of access make their own callers.
    """
    from starlette.testclient import TestClient

    from engine.api.app import create_app
    from engine.config import load_settings
    from engine.graph.ddl import apply_ddl
    from engine.objects.index import DDL as RECORD_DDL
    from engine.stores import Stores
    from tests.auth_fixture import as_admin

    if id(graph) not in _DDL_APPLIED:
        apply_ddl(graph, compiled_default.ddl + RECORD_DDL)
        _DDL_APPLIED.add(id(graph))
    settings = load_settings(
        environ={
            "COMMONS_CONFIG": "/nonexistent.yaml",
            "COMMONS_MAX_BODY_MB": "1",
            "COMMONS_DATA_DIR": str(commons_data_dir),
            "COMMONS_PUBLIC_URL": "http://testserver",
        }
    )
    client = TestClient(create_app(Stores(graph, seaweedfs_store), settings, compiled_default))
    return as_admin(client)


@pytest.fixture
def live_commons(
    request: pytest.FixtureRequest,
    graph: GraphStore,
    seaweedfs_store: ObjectStore,
    compiled_default,
    arcadedb_server: EmbeddedArcadeDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, str]]:
    """A Commons served over HTTP for the Gen3 SDK (tests/live_commons.py); the CLI's environment.

    Served at 127.0.0.1 unless parametrized indirectly with another host.
    """
    from tests.live_commons import serving

    host = getattr(request, "param", "127.0.0.1")
    with serving(
        graph, seaweedfs_store, compiled_default, arcadedb_server, tmp_path, monkeypatch, host
    ) as env:
        yield env
