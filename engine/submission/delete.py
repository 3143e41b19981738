"""Delete entities: refused while others link to them, unless the caller asks for the subtree.

Deleting a node that children point at would leave them dangling, so the
answer names every dependent; with `cascade` the dependents (and theirs)
are deleted in the same transaction. Each deletion is recorded in the
transaction log, with the properties each deleted entity had.
"""

from __future__ import annotations

from engine.dictionary.model import Dictionary
from engine.graph import cypher
from engine.graph.store import GraphStore, Transaction
from engine.submission.fetch import types_of
from engine.submission.result import EntityResult, ErrorType, SubmissionResult
from engine.submission.submit import ProjectNotFound, Target, find_project
from engine.submission.transaction_log import Entry, Origin, Snapshot, open_entry

NOTHING_TO_DELETE = "Nothing to delete: no ids given"


def _dependents(
    tx: Transaction, dictionary: Dictionary, found: dict[str, str], subtree: bool
) -> list[dict]:
    """Entities linking to the found ones: direct children, or with `subtree` all descendants."""
    hops = "*1.." if subtree else ""
    union = " UNION ALL ".join(
        f"MATCH {cypher.node('n', label)} WHERE n.id IN $ids MATCH (n)<-[{hops}]-(c) "
        "RETURN n.id AS parent, c.id AS id, labels(c)[0] AS type"
        for label in sorted(set(found.values()))
    )
    return tx.run(f"CALL () {{ {union} }} RETURN DISTINCT parent, id, type", {"ids": list(found)})


def _deleted(
    tx: Transaction, dictionary: Dictionary, target: Target, ids: list[str], cascade: bool
) -> tuple[SubmissionResult, list[Snapshot]]:
    """The answer, and a snapshot of each entity deleted (none when the answer is a refusal)."""
    found = types_of(tx, dictionary, target.project_id, ids)
    results = [
        EntityResult(index=i, type=found.get(id_, ""), id=id_, action="delete")
        for i, id_ in enumerate(ids)
    ]
    answer = SubmissionResult(results, created=False)
    for result in results:
        if result.id not in found:
            result.error(
                ErrorType.NOT_FOUND,
                f"no entity with id {result.id} in {target.project_id}",
                "id",
            )
    if not found or not answer.success:
        return answer, []
    dependents = [
        row for row in _dependents(tx, dictionary, found, cascade) if row["id"] not in found
    ]
    if not cascade:
        by_parent: dict[str, list[str]] = {}
        for row in dependents:
            by_parent.setdefault(row["parent"], []).append(f"{row['type']} {row['id']}")
        for result in results:
            if result.id in by_parent:
                names = ", ".join(sorted(by_parent[result.id]))
                result.error(
                    ErrorType.INVALID_LINK,
                    f"{result.type} {result.id} is linked from {names}; delete those first or ask for cascade",
                    "id",
                )
        answer.dependent_ids = sorted({row["id"] for row in dependents})
        if not answer.success:
            return answer, []
    extra = {row["id"]: row["type"] for row in dependents}
    for offset, (identifier, node_type) in enumerate(sorted(extra.items())):
        results.append(
            EntityResult(index=len(ids) + offset, type=node_type, id=identifier, action="delete")
        )
    every = {**found, **extra}
    union = " UNION ALL ".join(
        f"MATCH {cypher.node('n', label)} WHERE n.id IN $ids "
        "WITH n, n.id AS id, properties(n) AS old DETACH DELETE n RETURN id, old"
        for label in sorted(set(every.values()))
    )
    rows = tx.run(f"CALL () {{ {union} }} RETURN id, old", {"ids": list(every)})
    answer.deleted = len(every)
    return answer, [(row["id"], "delete", row["old"], {}) for row in rows]


def _delete(
    tx: Transaction,
    dictionary: Dictionary,
    target: Target,
    ids: list[str],
    cascade: bool,
    entry: Entry,
) -> SubmissionResult:
    find_project(tx, target)
    if not ids:
        answer = SubmissionResult([], created=False, transactional_errors=[NOTHING_TO_DELETE])
        entry.write(tx, answer)
        return answer
    answer, snapshots = _deleted(tx, dictionary, target, ids, cascade)
    entry.write(tx, answer, snapshots)
    return answer


def delete_entities(
    store: GraphStore,
    dictionary: Dictionary,
    target: Target,
    ids: list[str],
    *,
    cascade: bool = False,
    submitter: str | None = None,
) -> SubmissionResult:
    """Deletes the entities `ids` of the project (with `cascade`, those linking to them too);
    `submitter` names the caller in the transaction log."""
    entry = open_entry(store, target.program, target.project, "delete", False, Origin(submitter))
    with entry.errors_recorded(store, (ProjectNotFound,)):
        return store.execute_write(lambda tx: _delete(tx, dictionary, target, ids, cascade, entry))
