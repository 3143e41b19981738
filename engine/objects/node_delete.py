"""Delete entities together with the index records (and bytes) their `object_id`s name.

A plain entity delete leaves records alone: a record may outlive its
metadata, be named again later, or belong to another node. This is the
asked-for variant. The records are read before the entities go (with
`cascade`, those of the whole deleted subtree), and are deleted only when
the entity delete succeeded.
"""

from __future__ import annotations

from engine.dictionary.model import Dictionary
from engine.graph import cypher
from engine.graph.store import Transaction
from engine.objects.record import RecordError
from engine.objects.service import DataObjects
from engine.submission.delete import delete_entities
from engine.submission.fetch import types_of
from engine.submission.result import SubmissionResult
from engine.submission.submit import Target


def _named_records(
    tx: Transaction, dictionary: Dictionary, project_id: str, ids: list[str], subtree: bool
) -> list[str]:
    labels = sorted(set(types_of(tx, dictionary, project_id, ids).values()))
    if not labels:
        return []
    hops = "*0.." if subtree else "*0..0"
    union = " UNION ".join(
        f"MATCH {cypher.node('n', label)} WHERE n.id IN $ids MATCH (n)<-[{hops}]-(c) "
        "WHERE c.object_id IS NOT NULL RETURN c.object_id AS did"
        for label in labels
    )
    rows = tx.run(f"CALL () {{ {union} }} RETURN DISTINCT did", {"ids": ids})
    return [row["did"] for row in rows]


def delete_with_records(
    objects: DataObjects,
    dictionary: Dictionary,
    target: Target,
    ids: list[str],
    *,
    cascade: bool = False,
    dry_run: bool = False,
    submitter: str | None = None,
) -> SubmissionResult:
    """`dry_run`: every check (the records' too), nothing deleted."""
    graph = objects.index.graph
    dids = graph.execute_read(
        lambda tx: _named_records(tx, dictionary, target.project_id, ids, cascade)
    )
    objects.require_deletable(dids)  # a refusal comes before any entity is deleted
    result = delete_entities(
        graph, dictionary, target, ids, cascade=cascade, dry_run=dry_run, submitter=submitter
    )
    if result.success and not dry_run:
        for did in dids:
            try:
                objects.delete(did, None)
            except RecordError as error:
                if error.status != 404:  # already gone is what was asked for
                    raise
    return result
