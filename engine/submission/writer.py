"""Write a checked submission: node upserts, then links, inside the caller's transaction.

One statement per node type and one or two per link name: the cost in round
trips is fixed by the dictionary, and the transaction around it makes the
whole request land or none of it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from engine.dictionary.model import Dictionary
from engine.graph import cypher
from engine.graph.store import Transaction
from engine.submission.entity import Entity


def now() -> str:
    return datetime.now(UTC).isoformat()


def upsert_nodes(
    tx: Transaction, label: str, rows: list[dict], project_id: str, timestamp: str
) -> None:
    """rows: `{"id", "props"}`; a None in props removes that property."""
    tx.run(
        f"UNWIND $rows AS r MERGE {cypher.node('n', label, '{id: r.id}')} "
        "ON CREATE SET n.created_datetime = $now, n.state = 'validated' "
        "SET n += r.props, n.project_id = $project_id, n.updated_datetime = $now",
        {"rows": rows, "project_id": project_id, "now": timestamp},
    )


def replace_links(
    tx: Transaction,
    dictionary: Dictionary,
    source: str,
    link: str,
    pairs: list[dict],
    updated: list[str],
) -> None:
    """Updated sources lose their old targets of this link first: the document is the truth."""
    edge = dictionary.nodes[source].edges[link]
    relationship = cypher.name(edge.relationship)
    if updated:
        tx.run(
            f"UNWIND $ids AS id MATCH {cypher.node('s', source, '{id: id}')}-[r:{relationship}]->() DELETE r",
            {"ids": updated},
        )
    if pairs:
        tx.run(
            f"UNWIND $pairs AS p MATCH {cypher.node('s', source, '{id: p.source}')} "
            f"MATCH {cypher.node('t', edge.target, '{id: p.target}')} MERGE (s)-[:{relationship}]->(t)",
            {"pairs": pairs},
        )


def write_entities(
    tx: Transaction, dictionary: Dictionary, entities: list[Entity], project_id: str
) -> None:
    timestamp = now()
    nodes: dict[str, list[dict]] = defaultdict(list)
    for entity in entities:
        props = {**entity.props, "submitter_id": entity.result.submitter_id}
        nodes[entity.node.name].append({"id": entity.result.id, "props": props})
    for label in dictionary.import_order:
        if label in nodes:
            upsert_nodes(tx, label, nodes[label], project_id, timestamp)
    links: dict[tuple[str, str], tuple[list[dict], list[str]]] = defaultdict(lambda: ([], []))
    for entity in entities:
        for name, targets in entity.targets.items():
            pairs, updated = links[(entity.node.name, name)]
            pairs.extend({"source": entity.result.id, "target": target} for target in targets)
            if entity.result.action == "update":
                updated.append(entity.result.id)
    for (source, name), (pairs, updated) in links.items():
        replace_links(tx, dictionary, source, name, pairs, updated)
