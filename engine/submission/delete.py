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
from engine.query.tallies import record_changes
from engine.submission.fetch import linking_to, types_of
from engine.submission.result import EntityResult, ErrorType, SubmissionResult
from engine.submission.submit import ProjectNotFound, Target, find_project
from engine.submission.transaction_log import Entry, Origin, Snapshot, open_entry

NOTHING_TO_DELETE = "Nothing to delete: no ids given"


def _deleted(
    tx: Transaction,
    dictionary: Dictionary,
    target: Target,
    ids: list[str],
    cascade: bool,
    dry_run: bool,
) -> tuple[SubmissionResult, list[Snapshot]]:
    """The answer, and a snapshot of each entity deleted (none for a refusal or a dry run)."""
    found = types_of(tx, dictionary, target.project_id, ids)
    results = [
        EntityResult(index=i, type=found.get(id_, ""), id=id_, action="delete")
        for i, id_ in enumerate(ids)
    ]
    answer = SubmissionResult(results, created=False, deletion=True, dry_run=dry_run)
    for result in results:
        if result.id not in found:
            result.error(
                ErrorType.NOT_FOUND,
                f"no entity with id {result.id} in {target.project_id}",
                "id",
            )
    if not found or not answer.success:
        return answer, []
    dependents = [row for row in linking_to(tx, found, cascade) if row["id"] not in found]
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
    if dry_run:
        return answer, []
    every = {**found, **extra}
    union = " UNION ALL ".join(
        f"MATCH {cypher.node('n', label)} WHERE n.id IN $ids "
        "WITH n, n.id AS id, properties(n) AS old DETACH DELETE n RETURN id, old"
        for label in sorted(set(every.values()))
    )
    rows = tx.run(f"CALL () {{ {union} }} RETURN id, old", {"ids": list(every)})
    record_changes(tx, dictionary, [(every[row["id"]], row["old"], {}) for row in rows])
    return answer, [(row["id"], "delete", row["old"], {}) for row in rows]


def _delete(
    tx: Transaction,
    dictionary: Dictionary,
    target: Target,
    ids: list[str],
    cascade: bool,
    dry_run: bool,
    entry: Entry,
) -> SubmissionResult:
    find_project(tx, target)
    if not ids:
        answer = SubmissionResult(
            [],
            created=False,
            deletion=True,
            dry_run=dry_run,
            transactional_errors=[NOTHING_TO_DELETE],
        )
        entry.write(tx, answer)
        return answer
    answer, snapshots = _deleted(tx, dictionary, target, ids, cascade, dry_run)
    entry.write(tx, answer, snapshots)
    return answer


def delete_entities(
    store: GraphStore,
    dictionary: Dictionary,
    target: Target,
    ids: list[str],
    *,
    cascade: bool = False,
    dry_run: bool = False,
    submitter: str | None = None,
) -> SubmissionResult:
    """Deletes `ids` (and with `cascade` what links to them), or with `dry_run` checks only;
    `submitter` names the caller in the transaction log."""
    entry = open_entry(store, target.program, target.project, "delete", dry_run, Origin(submitter))
    with entry.errors_recorded(store, (ProjectNotFound,)):
        return store.execute_write(
            lambda tx: _delete(tx, dictionary, target, ids, cascade, dry_run, entry)
        )
