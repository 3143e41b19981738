"""Write a checked submission: nodes with their links, then the remaining links, inside the caller's transaction.

A new node is created in the same statement as one relationship per link
(the usual case: a sample names one subject), because on the embedded store
the second statement that matched each new node again cost as much as
creating it. Whatever is left (second and later targets of a link, targets
created later in the same statement, links of updated nodes) goes through
one statement per link name. The number of statements is fixed by the
dictionary, never by the rows, and the transaction around them makes the
whole request land or none of it. What was written is answered as snapshots
for the transaction log: the properties of each node before and after.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.dictionary.model import Dictionary
from engine.graph import cypher
from engine.graph.store import Transaction
from engine.submission.entity import Entity
from engine.submission.transaction_log import Snapshot


class TargetVanished(Exception):
    """A link target checked a moment ago is gone: another transaction deleted it.

    The caller runs the submission again, and the check then reports the missing target.
    """


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class _Links:
    """The relationships of one (source type, link name) that the node statements did not create."""

    pairs: list[dict] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)


def create_nodes(
    tx: Transaction,
    dictionary: Dictionary,
    label: str,
    links: tuple[str, ...],
    keys: tuple[str, ...],
    rows: list[dict],
) -> None:
    """rows: `{"values", "targets"}`, one value per property in `keys` (system ones too) and
    one target id per name in `links`, in order.

    CREATE, not MERGE: the caller checked the nodes are new, and a racing
    creator of the same key fails on the uniqueness constraint (and is retried).
    """
    edges = [dictionary.nodes[label].edges[link] for link in links]
    props = cypher.property_map(keys, "r.values")
    matches = "".join(
        f"MATCH {cypher.node(f't{i}', edge.target, f'{{id: r.targets[{i}]}}')} "
        for i, edge in enumerate(edges)
    )
    relationships = "".join(
        f"CREATE (n)-[:{cypher.name(edge.relationship)}]->(t{i}) " for i, edge in enumerate(edges)
    )
    written = tx.run(
        f"UNWIND $rows AS r {matches}CREATE {cypher.node('n', label, props)} "
        f"{relationships}RETURN count(n) AS created",
        {"rows": rows},
    )
    if written[0]["created"] != len(rows):
        raise TargetVanished(f"a target of a new {label} was deleted during the submission")


def update_nodes(tx: Transaction, label: str, rows: list[dict]) -> list[Snapshot]:
    """rows: `{"id", "props"}`; a None in props removes that property.

    The properties before the update come back from the same statement.
    """
    updated = tx.run(
        f"UNWIND $rows AS r MATCH {cypher.node('n', label, '{id: r.id}')} "
        "WITH n, r, properties(n) AS old SET n += r.props RETURN r.id AS id, old",
        {"rows": rows},
    )
    props = {row["id"]: row["props"] for row in rows}
    return [
        (
            row["id"],
            "update",
            row["old"],
            {k: v for k, v in (row["old"] | props[row["id"]]).items() if v is not None},
        )
        for row in updated
    ]


def replace_links(
    tx: Transaction,
    dictionary: Dictionary,
    source: str,
    link: str,
    pairs: list[dict],
    replaced: list[str],
) -> None:
    """Updated sources (`replaced`) lose their old targets of this link first: the document is the truth.

    With the old ones gone, CREATE cannot duplicate a relationship, and is
    cheaper than MERGE; `pairs` holds each (source, target) once.
    """
    edge = dictionary.nodes[source].edges[link]
    relationship = cypher.name(edge.relationship)
    if replaced:
        tx.run(
            f"UNWIND $ids AS id MATCH {cypher.node('s', source, '{id: id}')}-[r:{relationship}]->() DELETE r",
            {"ids": replaced},
        )
    if pairs:
        written = tx.run(
            f"UNWIND $pairs AS p MATCH {cypher.node('s', source, '{id: p.source}')} "
            f"MATCH {cypher.node('t', edge.target, '{id: p.target}')} "
            f"CREATE (s)-[:{relationship}]->(t) RETURN count(*) AS created",
            {"pairs": pairs},
        )
        if written[0]["created"] != len(pairs):
            raise TargetVanished(f"a target of {source}.{link} was deleted during the submission")


class _Plan:
    """Rows per statement: new nodes grouped by which links they carry, updates, leftover links."""

    def __init__(self, entities: list[Entity], project_id: str) -> None:
        timestamp = now()
        self.updates = {"updated_datetime": timestamp}
        self.creates = {
            "project_id": project_id,
            "state": "validated",
            "created_datetime": timestamp,
            "updated_datetime": timestamp,
        }
        # Created in this request and not yet written: a link to one of these waits for the
        # link statements, since it does not exist yet when its source's statement runs.
        self.unwritten = {e.result.id for e in entities if e.result.action == "create"}
        # Per label, per links carried: the new nodes of one statement, as their values and targets.
        self.created: dict[str, dict[tuple[str, ...], list[tuple[dict, list[str]]]]]
        self.created = defaultdict(lambda: defaultdict(list))
        self.updated: dict[str, list[dict]] = defaultdict(list)
        self.links: dict[tuple[str, str], _Links] = defaultdict(_Links)
        self.snapshots: dict[str, Snapshot] = {}

    def node(self, entity: Entity) -> None:
        """An updated node's links are all replaced; a new one carries the first target of each
        link that is already written, and the other targets are left for the link statements."""
        source, id_ = entity.node.name, entity.result.id
        update = entity.result.action == "update"
        carried: dict[str, str] = {}
        for name, targets in entity.targets.items():
            unique = list(dict.fromkeys(targets))
            links = self.links[(source, name)]
            if update:
                links.replaced.append(id_)
            elif unique and unique[0] not in self.unwritten:
                carried[name] = unique.pop(0)
            links.pairs.extend({"source": id_, "target": target} for target in unique)
        props = {**entity.props, "submitter_id": entity.result.submitter_id}
        if update:
            self.updated[source].append({"id": id_, "props": props | self.updates})
            return
        links = tuple(sorted(carried))
        values = {**props, **self.creates, "id": id_}
        self.snapshots[id_] = (
            id_,
            "create",
            {},
            {k: v for k, v in values.items() if v is not None},
        )
        self.created[source][links].append((values, [carried[n] for n in links]))

    def node_rows(
        self, label: str
    ) -> Iterator[tuple[tuple[str, ...], tuple[str, ...], list[dict]]]:
        """(links, property keys, rows) of each node statement for `label`.

        Rows filling different properties (a table's empty cells, optional
        properties left out) share one statement: a property a row lacks is
        null there, which CREATE leaves unset on Neo4j and ArcadeDB alike, so
        the statements stay one per link set however sparse the rows.
        """
        for links, nodes in self.created.get(label, {}).items():
            keys = tuple(dict.fromkeys(key for values, _ in nodes for key in values))
            rows = [
                {"values": [values.get(key) for key in keys], "targets": targets}
                for values, targets in nodes
            ]
            yield links, keys, rows
            self.unwritten.difference_update(values["id"] for values, _ in nodes)


def write_entities(
    tx: Transaction, dictionary: Dictionary, entities: list[Entity], project_id: str
) -> list[Snapshot]:
    """Writes the entities; answers a snapshot of each, in the order of `entities`."""
    plan = _Plan(entities, project_id)
    by_label: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities:
        by_label[entity.node.name].append(entity)
    for label in dictionary.import_order:
        for entity in by_label.get(label, ()):
            plan.node(entity)
        for links, keys, rows in plan.node_rows(label):
            create_nodes(tx, dictionary, label, links, keys, rows)
        if label in plan.updated:
            for snapshot in update_nodes(tx, label, plan.updated[label]):
                plan.snapshots[snapshot[0]] = snapshot
    for (source, name), links in plan.links.items():
        replace_links(tx, dictionary, source, name, links.pairs, links.replaced)
    return [plan.snapshots[entity.result.id] for entity in entities]
