"""Live record counts per node type, and per node type and project, for the dashboard.

One statement each (a `UNION ALL` of one count per node type), so the
dictionary view and the project overview cost one round trip whatever the
size of the dictionary. Counts keep to readable projects.
"""

from __future__ import annotations

from engine.dictionary.model import Dictionary
from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.query.cypher import _Builder as Builder


def _where(builder: Builder, label: str) -> str:
    visible = builder.visible("n", label)
    return f" WHERE {' AND '.join(visible)}" if visible else ""


def counts_by_type(
    store: GraphStore, dictionary: Dictionary, readable: frozenset[str] | None = None
) -> dict[str, int]:
    builder = Builder(readable, max_rows=0)
    parts = [
        f"MATCH {cypher.node('n', label)}{_where(builder, label)} "
        f"RETURN {builder.parameters.add(label)} AS type, count(n) AS count"
        for label in sorted(dictionary.nodes)
    ]
    rows = store.read(" UNION ALL ".join(parts), builder.parameters.values)
    return {row["type"]: row["count"] for row in rows}


def counts_by_project(
    store: GraphStore, dictionary: Dictionary, readable: frozenset[str] | None = None
) -> dict[str, dict[str, int]]:
    """`{project_id: {node type: count}}` for every node type that has a project (not program)."""
    builder = Builder(readable, max_rows=0)
    parts = [
        f"MATCH {cypher.node('n', label)}{_where(builder, label)} "
        f"RETURN {builder.parameters.add(label)} AS type, n.project_id AS project, count(n) AS count"
        for label in sorted(dictionary.nodes)
        if label != "program"
    ]
    found: dict[str, dict[str, int]] = {}
    for row in store.read(" UNION ALL ".join(parts), builder.parameters.values):
        if row["project"] is not None:
            found.setdefault(row["project"], {})[row["type"]] = row["count"]
    return found
