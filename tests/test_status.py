"""`/_status` tells which store is down, with 503; Gen3 clients get the plain `Healthy`."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.config import load_settings
from engine.graph.arcadedb import EmbeddedArcadeDB
from engine.graph.store import GraphStore
from engine.objects.store import ObjectStore
from engine.stores import Stores


def test_healthy_stores_answer_plain_healthy(
    graph_store: GraphStore, object_store: ObjectStore, compiled_default
) -> None:
    client = TestClient(
        create_app(Stores(graph_store, object_store), load_settings(environ={}), compiled_default)
    )
    response = client.get("/_status")
    assert response.status_code == 200 and response.text == "Healthy"
    detail = client.get("/_status?format=json").json()
    assert detail["graph"]["ok"] and detail["objects"]["ok"]


def test_a_stopped_graph_store_gives_503_naming_it(
    tmp_path: Path, seaweedfs_store: ObjectStore, compiled_default
) -> None:
    server = EmbeddedArcadeDB(tmp_path / "graph")
    endpoint = server.start()
    graph = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
    client = TestClient(
        create_app(Stores(graph, seaweedfs_store), load_settings(environ={}), compiled_default)
    )
    assert client.get("/_status").status_code == 200
    server.stop()
    try:
        response = client.get("/_status", headers={"accept": "application/json"})
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "Unhealthy"
        assert body["graph"]["ok"] is False and "not reachable" in body["graph"]["error"]
        assert body["objects"]["ok"] is True
        text = client.get("/_status")
        assert text.status_code == 503 and text.text.startswith("Unhealthy\narcadedb (graph store)")
    finally:
        graph.close()
