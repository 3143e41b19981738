"""The graph's shape for metadata records: labels, relationships and the constraints they need.

Records, path keys and aliases are three labels, each with a unique key
(its index); a discovery study is linked to the `project` it describes.
"""

from __future__ import annotations

import weakref

from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore

RECORD, KEY, ALIAS = "MetadataRecord", "MetadataKey", "MetadataAlias"
HAS_KEY, ALIAS_OF, DESCRIBES = "HAS_METADATA_KEY", "ALIAS_OF", "DESCRIBES_PROJECT"
DDL = [
    f"CREATE CONSTRAINT commons_{label}_{prop}_unique IF NOT EXISTS "
    f"FOR (n:`{label}`) REQUIRE n.`{prop}` IS UNIQUE"
    for label, prop in ((RECORD, "guid"), (KEY, "key"), (ALIAS, "alias"))
]
_PREPARED: weakref.WeakSet[GraphStore] = weakref.WeakSet()


def prepare(graph: GraphStore) -> None:
    """The constraints, made once per store: whichever way in (server, CLI, test) comes first."""
    if graph not in _PREPARED:
        apply_ddl(graph, DDL)
        _PREPARED.add(graph)
