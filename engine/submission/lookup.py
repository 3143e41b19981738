"""What a submission needs to know from the store: which entities exist, where links lead.

Each question is asked once per node type (or per link), with every key of
the request in one parameter list, so the number of round trips depends on
the dictionary's shape, never on the number of rows.

Every answer is about the project submitted to: an entity of another
project is, to the submitter, one that does not exist, so no message can
tell its id or submitter_id from an unknown one. The one exception is an
`id` sent for a new entity: ids are unique across the whole graph, so one
held anywhere is refused, with the same words wherever it is held.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.dictionary.model import Dictionary
from engine.graph import cypher
from engine.graph.store import Transaction
from engine.submission.entity import Entity
from engine.submission.result import ErrorType


@dataclass(frozen=True)
class Stored:
    id: str
    submitter_id: str | None


@dataclass(frozen=True)
class ProjectNode:
    id: str
    code: str
    project_id: str


def find_stored(
    tx: Transaction, label: str, project_id: str, submitter_ids: list[str], ids: list[str]
) -> list[Stored]:
    """Entities of one type in the project, named by submitter_id or by id."""
    # One index seek per key: `n.submitter_id IN $keys` makes ArcadeDB scan the label.
    # One collected list, not a row per entity: over Bolt each row costs three times the seek.
    found = "RETURN collect([n.id, n.submitter_id]) AS found"
    rows: list[list] = []
    for key, keys in (("submitter_id", submitter_ids), ("id", ids)):
        if keys:
            rows += tx.value(
                f"UNWIND $keys AS key MATCH {cypher.node('n', label)} "
                f"WHERE n.{key} = key AND n.project_id = $project_id {found}",
                {"project_id": project_id, "keys": keys},
            )
    return [Stored(*row) for row in rows]


def ids_in_use(tx: Transaction, labels: Iterable[str], ids: list[str]) -> set[str]:
    """Those of `ids` that some node of any of `labels` has, in any project (one round trip)."""
    union = " UNION ALL ".join(
        f"UNWIND $ids AS key MATCH {cypher.node('n', label)} WHERE n.id = key RETURN n.id AS id"
        for label in labels
    )
    return set(tx.value(f"CALL () {{ {union} }} RETURN collect(id) AS taken", {"ids": ids}))


def _by_type(entities: list[Entity]) -> dict[str, list[Entity]]:
    grouped: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities:
        if entity.node is not None:
            grouped[entity.node.name].append(entity)
    return grouped


def mark_duplicates(entities: list[Entity]) -> None:
    """The same (type, submitter_id) or id twice in one request is an error on each copy."""
    seen: dict[tuple[str, str, str], list[Entity]] = defaultdict(list)
    for entity in entities:
        if entity.result.submitter_id is not None:
            seen[("submitter_id", entity.result.type, entity.result.submitter_id)].append(entity)
        if entity.result.id is not None:
            seen[("id", "", entity.result.id)].append(entity)
    for (key, _, value), copies in seen.items():
        refuse_repeated(copies, f"{key} '{value}'", key)


def refuse_repeated(copies: Sequence[Entity], described: str, *keys: str) -> None:
    """A value that must be unique, `described`, held by more than one entity of the request:
    a NOT_UNIQUE error on each copy, naming them all."""
    if len(copies) < 2:
        return
    where = ", ".join(str(copy.result.index) for copy in copies)
    for copy in copies:
        copy.result.error(
            ErrorType.NOT_UNIQUE,
            f"{described} appears more than once in this request (entities {where})",
            *keys,
        )


def assign_ids(
    tx: Transaction,
    entities: list[Entity],
    dictionary: Dictionary,
    project_id: str,
    create_only: bool,
) -> None:
    """Decide create or update for each entity, and the id it will have."""
    claimed: list[Entity] = []  # new entities that bring their own id
    for label, group in _by_type(entities).items():
        stored = find_stored(
            tx,
            label,
            project_id,
            [e.result.submitter_id for e in group if e.result.submitter_id is not None],
            [e.result.id for e in group if e.result.id is not None],
        )
        by_key = {s.submitter_id: s for s in stored if s.submitter_id is not None}
        by_id = {s.id: s for s in stored}
        for entity in group:
            result = entity.result
            existing = by_key.get(result.submitter_id)
            if existing and result.id and existing.id != result.id:
                result.error(
                    ErrorType.NOT_UNIQUE,
                    f"submitter_id '{result.submitter_id}' belongs to {existing.id}, not to the id given ({result.id})",
                    "id",
                    "submitter_id",
                )
                continue
            found = existing or by_id.get(result.id)
            if found is None:
                result.action = "create"
                if result.id is None:
                    result.id = str(uuid.uuid4())
                else:
                    claimed.append(entity)
            elif create_only:
                result.error(
                    ErrorType.NOT_UNIQUE,
                    f"{label} with submitter_id '{found.submitter_id}' already exists in {project_id} (id {found.id}); use PUT to update it",
                    "submitter_id",
                )
            else:
                result.action = "update"
                result.id = found.id
    if claimed:
        taken = ids_in_use(tx, dictionary.nodes, [entity.result.id for entity in claimed])
        for entity in claimed:
            if entity.result.id in taken:
                entity.result.error(
                    ErrorType.NOT_UNIQUE,
                    f"id '{entity.result.id}' is already in use (an id is unique across all "
                    "projects); leave 'id' out to have a new one assigned",
                    "id",
                )


def resolve_links(
    tx: Transaction, entities: list[Entity], dictionary: Dictionary, project: ProjectNode
) -> None:
    """Fill `entity.targets` with the id each link names, from the request or the store."""
    in_request: dict[tuple[str, str, str], str] = {}
    for entity in entities:
        if entity.node is None or entity.result.id is None:
            continue
        in_request[(entity.node.name, "id", entity.result.id)] = entity.result.id
        if entity.result.submitter_id is not None:
            in_request[(entity.node.name, "submitter_id", entity.result.submitter_id)] = (
                entity.result.id
            )
    wanted: dict[str, dict[str, set[str]]] = defaultdict(
        lambda: {"id": set(), "submitter_id": set()}
    )
    for entity in entities:
        for name, refs in entity.links.items():
            target = entity.node.edges[name].target
            for ref in refs:
                if (
                    target != "project"
                    and (target, ref.key, ref.value) not in in_request
                    and ref.key != "code"
                ):
                    wanted[target][ref.key].add(ref.value)
    found: dict[tuple[str, str, str], Stored] = {}
    for target, keys in wanted.items():
        for stored in find_stored(
            tx, target, project.project_id, sorted(keys["submitter_id"]), sorted(keys["id"])
        ):
            found[(target, "id", stored.id)] = stored
            if stored.submitter_id is not None:
                found[(target, "submitter_id", stored.submitter_id)] = stored
    for entity in entities:
        for name, refs in entity.links.items():
            target = entity.node.edges[name].target
            ids = entity.targets.setdefault(name, [])
            for ref in refs:
                if target == "project":
                    if (ref.key == "code" and ref.value == project.code) or (
                        ref.key == "id" and ref.value == project.id
                    ):
                        ids.append(project.id)
                    else:
                        entity.result.error(
                            ErrorType.INVALID_LINK,
                            f"'{name}' must link to this request's project ({project.project_id}); {ref.key} '{ref.value}' is another or no project",
                            name,
                        )
                    continue
                key = (target, ref.key, ref.value)
                if key in in_request:
                    ids.append(in_request[key])
                elif key in found:
                    ids.append(found[key].id)
                else:
                    entity.result.error(
                        ErrorType.INVALID_LINK,
                        f"'{name}': no {target} with {ref.key} '{ref.value}' in {project.project_id} or in this request",
                        name,
                    )


def check_target_multiplicity(
    tx: Transaction, entities: list[Entity], dictionary: Dictionary, project_id: str
) -> None:
    """one_to_one / one_to_many: a target may have only one source through that link.

    Only targets in the project are looked at: a link to another project's id
    (through an entity of the request refused for sending it) is an error
    already, and must not be answered with who holds that target there.
    Links stay inside a project, so the source named is the submitter's to read.
    """
    claims: dict[tuple[str, str, str], list[Entity]] = defaultdict(list)
    for entity in entities:
        for name, ids in entity.targets.items():
            if entity.node.edges[name].multiplicity in ("one_to_one", "one_to_many"):
                for target_id in ids:
                    claims[(entity.node.name, name, target_id)].append(entity)
    by_link: dict[tuple[str, str], list[tuple[str, Entity]]] = defaultdict(list)
    for (source, name, target_id), claimants in claims.items():
        if len(claimants) > 1:
            for entity in claimants:
                entity.result.error(
                    ErrorType.INVALID_LINK,
                    f"'{name}': {target_id} may be linked from one {source} only",
                    name,
                )
        by_link[(source, name)].append((target_id, claimants[0]))
    for (source, name), pairs in by_link.items():
        edge = dictionary.nodes[source].edges[name]
        rows = tx.run(
            f"UNWIND $pairs AS pair MATCH (t:{cypher.name(edge.target)} {{id: pair.target}}) "
            "WHERE t.project_id = $project_id "
            f"MATCH {cypher.node('s', source)}-[:{cypher.name(edge.relationship)}]->(t) WHERE s.id <> pair.source "
            "RETURN pair.source AS source, t.id AS target, s.id AS other",
            {
                "project_id": project_id,
                "pairs": [
                    {"source": entity.result.id, "target": target} for target, entity in pairs
                ],
            },
        )
        claimant = {target: entity for target, entity in pairs}
        for row in rows:
            claimant[row["target"]].result.error(
                ErrorType.INVALID_LINK,
                f"'{name}': {row['target']} is already linked from {source} {row['other']}",
                name,
            )
