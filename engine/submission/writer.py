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


def create_nodes(
    tx: Transaction, label: str, rows: list[dict], project_id: str, timestamp: str
) -> None:
    """rows: `{"id", "props"}`. CREATE, not MERGE: the caller checked they are new, and a
    racing creator of the same key fails on the uniqueness constraint (and is retried)."""
    tx.run(
        f"UNWIND $rows AS r CREATE {cypher.node('n', label)} "
        "SET n = r.props, n.id = r.id, n.project_id = $project_id, n.state = 'validated', "
        "n.created_datetime = $now, n.updated_datetime = $now",
        {"rows": rows, "project_id": project_id, "now": timestamp},
    )


def update_nodes(tx: Transaction, label: str, rows: list[dict], timestamp: str) -> None:
    """rows: `{"id", "props"}`; a None in props removes that property."""
    tx.run(
        f"UNWIND $rows AS r MATCH {cypher.node('n', label, '{id: r.id}')} "
        "SET n += r.props, n.updated_datetime = $now",
        {"rows": rows, "now": timestamp},
    )


def replace_links(
    tx: Transaction,
    dictionary: Dictionary,
    source: str,
    link: str,
    pairs: list[dict],
    updated: list[str],
) -> None:
    """Updated sources lose their old targets of this link first: the document is the truth.

    With the old ones gone, CREATE cannot duplicate a relationship, and is
    cheaper than MERGE; `pairs` holds each (source, target) once.
    """
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
            f"MATCH {cypher.node('t', edge.target, '{id: p.target}')} CREATE (s)-[:{relationship}]->(t)",
            {"pairs": pairs},
        )


def write_entities(
    tx: Transaction, dictionary: Dictionary, entities: list[Entity], project_id: str
) -> None:
    timestamp = now()
    created: dict[str, list[dict]] = defaultdict(list)
    updated: dict[str, list[dict]] = defaultdict(list)
    for entity in entities:
        props = {**entity.props, "submitter_id": entity.result.submitter_id}
        rows = created if entity.result.action == "create" else updated
        rows[entity.node.name].append({"id": entity.result.id, "props": props})
    for label in dictionary.import_order:
        if label in created:
            create_nodes(tx, label, created[label], project_id, timestamp)
        if label in updated:
            update_nodes(tx, label, updated[label], timestamp)
    links: dict[tuple[str, str], tuple[list[dict], list[str]]] = defaultdict(lambda: ([], []))
    for entity in entities:
        for name, targets in entity.targets.items():
            pairs, replaced = links[(entity.node.name, name)]
            pairs.extend(
                {"source": entity.result.id, "target": target} for target in dict.fromkeys(targets)
            )
            if entity.result.action == "update":
                replaced.append(entity.result.id)
    for (source, name), (pairs, replaced) in links.items():
        replace_links(tx, dictionary, source, name, pairs, replaced)
