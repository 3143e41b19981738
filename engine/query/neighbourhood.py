"""One record and its neighbours along every edge of its node type, for the record view.

A record is found by its type and id (the `id` uniqueness constraint makes
that an index lookup). Each edge gives its number of neighbours and the
first `limit` of them (by submitter_id), each named well enough to click
(`id`, `submitter_id`, or a project's `code`, a program's `name`). One
statement answers all of it; neighbours keep to readable projects.
"""

from __future__ import annotations

from typing import Any

from engine.dictionary.model import Dictionary, NodeType
from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.query.cypher import ConditionBuilder, arrow

NEIGHBOURS_PER_EDGE = 25
_NAMED_BY = ("id", "submitter_id", "code", "name", "project_id")


def neighbourhood(
    store: GraphStore,
    dictionary: Dictionary,
    node: NodeType,
    record_id: str,
    readable: frozenset[str] | None = None,
    limit: int = NEIGHBOURS_PER_EDGE,
) -> dict[str, Any] | None:
    """`{record, edges: [{name, target, direction, count, neighbours}]}`; None when not found."""
    builder = ConditionBuilder(readable, max_rows=0)
    visible = builder.visible("n", node.label)
    where = f" WHERE {' AND '.join(visible)}" if visible else ""
    clauses = [
        f"MATCH {cypher.node('n', node.label, '{id: ' + builder.parameters.add(record_id) + '}')}{where}"
    ]
    edges = list(node.edges.values())
    named = ", ".join(f".{name}" for name in _NAMED_BY)
    size = builder.parameters.add(limit)
    for index, edge in enumerate(edges):
        visible = builder.visible("m", edge.target)
        target = f"{arrow(edge, cypher.name(edge.relationship))}{cypher.node('m', edge.target)}"
        condition = f" WHERE {' AND '.join(visible)}" if visible else ""
        clauses.append(f"CALL (n) {{ MATCH (n){target}{condition} RETURN count(m) AS c{index} }}")
        clauses.append(
            f"CALL (n) {{ MATCH (n){target}{condition} WITH m ORDER BY m.submitter_id, m.id "
            f"LIMIT {size} RETURN collect(m {{{named}}}) AS e{index} }}"
        )
    columns = ["n {.*} AS record", *(f"c{i}, e{i}" for i in range(len(edges)))]
    rows = store.read(
        " ".join(clauses) + " RETURN " + ", ".join(columns), builder.parameters.values
    )
    if not rows:
        return None
    row = rows[0]
    return {
        "type": node.name,
        "record": row["record"],
        "edges": [
            {
                "name": edge.name,
                "target": edge.target,
                "direction": edge.direction,
                "count": row[f"c{index}"],
                "neighbours": row[f"e{index}"],
            }
            for index, edge in enumerate(edges)
        ],
    }
