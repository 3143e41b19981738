"""A cohort's file manifest: the data files below the root records a filter keeps.

Gen3's portal builds it from two guppy indices (the cohort's subject ids,
then the `file` index's records naming them) and saves JSON that
`gen3-client download-multiple --manifest` reads: one object per file with
`object_id`, `subject_id`, `md5sum`, `file_name`, `file_size`. Here one
statement per data file type walks from the cohort's root records down to
its files (engine/query/linked.py). The root's id is named after its type
(`subject_id` for a subject; a file below several of the cohort's subjects
names the first by id). As in the portal, a file with no `object_id` (no
index record, so nothing to download) is left out. Files, like rows, only
come from readable projects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.query.linked import data_file_types, walk
from engine.query.paths import Paths
from engine.query.scope import VARIABLE, Scope

PAGE = 5_000
FILE = "file"
FIELDS = ("object_id", "md5sum", "file_name", "file_size")


def manifest_key(scope: Scope) -> str:
    """The name of the root record's id in each entry: `subject_id` when exploring subjects."""
    return f"{scope.node.name}_id"


def _statement(scope: Scope, file_type: str, offset: int, size: int) -> tuple[str, dict[str, Any]]:
    builder = scope.builder(rows=True)
    match = scope.match(builder)
    label = cypher.name(file_type)
    conditions = [f"{FILE}.object_id IS NOT NULL", *builder.visible(FILE, file_type)]
    if file_type == scope.node.name:
        walked = (
            f"WITH {VARIABLE} AS {FILE}, {VARIABLE}.id AS root WHERE {' AND '.join(conditions)}"
        )
    else:
        pattern = walk(Paths(scope.dictionary), scope.node.name, file_type)
        walked = (
            f"MATCH ({VARIABLE}){pattern}({FILE}:{label}) WHERE {' AND '.join(conditions)} "
            f"WITH {FILE}, min({VARIABLE}.id) AS root"
        )
    columns = ", ".join(f"{FILE}.{cypher.name(name)} AS {name}" for name in FIELDS)
    skip, limit = builder.parameters.add(offset), builder.parameters.add(size)
    text = f"{match} {walked} RETURN {columns}, root ORDER BY {FILE}.id SKIP {skip} LIMIT {limit}"
    return text, builder.parameters.values


def iter_manifest(store: GraphStore, scope: Scope, page: int = PAGE) -> Iterator[dict[str, Any]]:
    """Every manifest entry of the scope's cohort, `page` files at a time; the filter is
    checked before the first."""
    scope.predicate()
    key = manifest_key(scope)

    def entries() -> Iterator[dict[str, Any]]:
        for file_type in data_file_types(scope.dictionary, scope.node.name):
            offset = 0
            while True:
                rows = store.read(*_statement(scope, file_type, offset, page))
                for row in rows:
                    yield {
                        "object_id": row["object_id"],
                        key: row["root"],
                        **{name: row[name] for name in FIELDS[1:]},
                    }
                if len(rows) < page:
                    break
                offset += page

    return entries()
