"""Read entities back as documents: by id across node types, or every entity of one type.

A document is what a submitter would send again: its properties, `type`,
`id`, the system properties, and each outgoing link as `{id, submitter_id}`
(a list for links that may name several targets).
"""

from __future__ import annotations

from typing import Any

from engine.dictionary.model import Dictionary, NodeType
from engine.graph import cypher
from engine.graph.store import Transaction


def _links_projection(node: NodeType) -> str:
    parts = [
        f"[(n)-[:{cypher.name(link.relationship)}]->(m:{cypher.name(link.target)}) | m {{.id, .submitter_id, .code}}] AS {cypher.name('link_' + link.name)}"
        for link in node.links
    ]
    return "".join(", " + part for part in parts)


def _document(node: NodeType, row: dict[str, Any]) -> dict[str, Any]:
    doc = {"type": node.name, **{k: v for k, v in row["props"].items() if not k.startswith("_")}}
    for link in node.links:
        targets = [
            {k: v for k, v in target.items() if v is not None}
            for target in row["link_" + link.name]
        ]
        if targets:
            doc[link.name] = targets[0] if link.multiplicity.endswith("_to_one") else targets
    return doc


def types_of(
    tx: Transaction, dictionary: Dictionary, project_id: str, ids: list[str]
) -> dict[str, str]:
    """id -> node type, for the ids that exist in the project (one round trip)."""
    labels = [name for name in dictionary.nodes if name not in ("program", "project")]
    union = " UNION ALL ".join(
        f"MATCH {cypher.node('n', label)} WHERE n.id IN $ids AND n.project_id = $project_id "
        f"RETURN n.id AS id, '{label}' AS type"
        for label in labels
    )
    rows = tx.run(f"CALL () {{ {union} }} RETURN id, type", {"ids": ids, "project_id": project_id})
    return {row["id"]: row["type"] for row in rows}


def linking_to(tx: Transaction, found: dict[str, str], subtree: bool) -> list[dict[str, Any]]:
    """Entities linking to the `found` ones (id -> type): direct children, or with `subtree` all
    descendants; rows of `parent`, `id`, `type`."""
    hops = "*1.." if subtree else ""
    union = " UNION ALL ".join(
        f"MATCH {cypher.node('n', label)} WHERE n.id IN $ids MATCH (n)<-[{hops}]-(c) "
        "RETURN n.id AS parent, c.id AS id, labels(c)[0] AS type"
        for label in sorted(set(found.values()))
    )
    return tx.run(f"CALL () {{ {union} }} RETURN DISTINCT parent, id, type", {"ids": list(found)})


def with_children(
    tx: Transaction, dictionary: Dictionary, project_id: str, ids: list[str], category: str | None
) -> list[str]:
    """`ids`, then every entity of the project below them (of `category` only, when given): what
    sheepdog's export adds for `with_children` (ExportFile.get_entity_tree)."""
    found = types_of(tx, dictionary, project_id, ids)
    below = linking_to(tx, found, subtree=True) if found else []
    kept = [
        row["id"]
        for row in below
        if row["type"] in dictionary.nodes
        and category in (None, dictionary.nodes[row["type"]].category)
    ]
    return list(dict.fromkeys(ids + kept))


def fetch_documents(
    tx: Transaction, node: NodeType, project_id: str, ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """Documents of one node type in a project, all of them or those with `ids`, by submitter_id."""
    where = "n.project_id = $project_id" + (" AND n.id IN $ids" if ids is not None else "")
    rows = tx.run(
        f"MATCH {cypher.node('n', node.name)} WHERE {where} "
        f"RETURN n {{.*}} AS props{_links_projection(node)} ORDER BY n.submitter_id, n.id",
        {"project_id": project_id, "ids": ids or []},
    )
    return [_document(node, row) for row in rows]


def fetch_by_ids(
    tx: Transaction, dictionary: Dictionary, project_id: str, ids: list[str]
) -> list[dict[str, Any]]:
    """Documents for `ids` in request order; unknown ids are left out."""
    types = types_of(tx, dictionary, project_id, ids)
    by_type: dict[str, list[str]] = {}
    for identifier, node_type in types.items():
        by_type.setdefault(node_type, []).append(identifier)
    docs = {
        doc["id"]: doc
        for node_type, group in by_type.items()
        for doc in fetch_documents(tx, dictionary.nodes[node_type], project_id, group)
    }
    return [docs[identifier] for identifier in ids if identifier in docs]
