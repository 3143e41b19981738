"""Submit documents to a project: check, resolve, write, all in one transaction.

If any document is invalid nothing is written, and the answer lists every
error of every document. Two submissions racing to create the same
(project, submitter_id) cannot both win: the store's uniqueness constraint
fails the loser's transaction, and it is run again, finding the winner's
entity to update. Racing on another unique key (a publication's `doi`) ends
the same way, and the run again answers NOT_UNIQUE (unique.py); should the
constraint still fail after the last run, the checks alone answer, never a
500. A link target deleted by another transaction between the check and the
write is found the same way: the run again reports it.
Every submission that reaches its project is recorded in the transaction
log (engine/submission/transaction_log.py), dry runs and failures too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from neo4j.exceptions import ConstraintError

from engine.dictionary.compile import CompiledDictionary
from engine.gc_tuning import collection_paused
from engine.graph.store import GraphStore, Transaction
from engine.objects.access import Visibility
from engine.objects.node_check import check_file_records
from engine.query.tallies import record_changes
from engine.submission.documents import SourceDoc
from engine.submission.entity import add_findings, check_document, validate_entities
from engine.submission.lookup import (
    ProjectNode,
    assign_ids,
    check_target_multiplicity,
    mark_duplicates,
    resolve_links,
)
from engine.submission.result import SubmissionResult
from engine.submission.transaction_log import Entry, Origin, Snapshot, open_entry
from engine.submission.unique import check_unique_keys
from engine.submission.writer import TargetVanished, write_entities

RACE_RETRIES = 5
STORE_REFUSED = (
    "The store refused the write: other submissions kept writing the same unique keys "
    "meanwhile; nothing was written, submit again"
)
# Schema validation is pure Python while the lookups mostly wait on the store, so the two
# overlap; a few workers serve concurrent requests.
_VALIDATION = ThreadPoolExecutor(max_workers=4, thread_name_prefix="validate")
NOTHING_TO_SUBMIT = "Nothing to submit: the request holds no entities"
# Schema validation is pure Python while the lookups mostly wait on the store, so the two
# overlap; a few workers serve concurrent requests.
_VALIDATION = ThreadPoolExecutor(max_workers=4, thread_name_prefix="validate")


class ProjectNotFound(Exception):
    """The program/project in the path does not exist."""


@dataclass(frozen=True)
class Target:
    program: str
    project: str

    @property
    def project_id(self) -> str:
        return f"{self.program}-{self.project}"


def find_project(tx: Transaction, target: Target) -> ProjectNode:
    rows = tx.run(
        "MATCH (p:`project` {code: $code}) RETURN p.id AS id, p.code AS code, p.project_id AS project_id",
        {"code": target.project},
    )
    if not rows or rows[0]["project_id"] != target.project_id:
        raise ProjectNotFound(f"project {target.project_id} does not exist")
    return ProjectNode(**rows[0])


def _submit(
    tx: Transaction,
    compiled: CompiledDictionary,
    target: Target,
    sources: Sequence[SourceDoc],
    create_only: bool,
    dry_run: bool,
    records: Visibility | None,
    entry: Entry,
    refused_by_store: bool = False,
) -> SubmissionResult:
    """`refused_by_store`: the store's constraint failed every run, so these checks answer
    alone; when they find nothing, the answer is STORE_REFUSED and nothing is written."""
    project = find_project(tx, target)
    if not sources:
        # As sheepdog: a body of no entities (`[]`, a header without rows) is a mistake, not a no-op.
        refused = SubmissionResult(
            [], dry_run=dry_run, created=create_only, transactional_errors=[NOTHING_TO_SUBMIT]
        )
        entry.write(tx, refused)
        return refused
    dictionary = compiled.dictionary
    entities = [
        check_document(
            source.index,
            source.doc,
            source.line,
            dictionary,
            compiled.validators,
            target.project_id,
        )
        for source in sources
    ]
    validated = _VALIDATION.submit(validate_entities, entities, compiled.validators)
    result = SubmissionResult(
        [entity.result for entity in entities], dry_run=dry_run, created=create_only
    )
    mark_duplicates(entities)
    # The schema's findings come in after the lookups: an entity they will fault is looked
    # up too, and its answer lists those errors beside the schema's.
    checkable = [entity for entity in entities if entity.node is not None and entity.result.valid]
    assign_ids(tx, checkable, dictionary, target.project_id, create_only)
    check_unique_keys(tx, [e for e in entities if e.node is not None], target.project_id)
    resolve_links(tx, [e for e in checkable if e.result.id], dictionary, project)
    check_target_multiplicity(
        tx, [e for e in checkable if e.result.valid], dictionary, target.project_id
    )
    check_file_records(tx, [e for e in checkable if e.result.valid], records)
    add_findings(entities, validated.result())
    if refused_by_store and result.success:
        result.transactional_errors.append(STORE_REFUSED)
    snapshots: list[Snapshot] = []
    if result.success and not dry_run:
        snapshots = write_entities(tx, dictionary, entities, target.project_id)
        record_changes(
            tx,
            dictionary,
            [
                (entity.node.name, old, new)
                for entity, (_, _, old, new) in zip(entities, snapshots, strict=True)
            ],
        )
    entry.write(tx, result, snapshots)
    return result


def submit_documents(
    store: GraphStore,
    compiled: CompiledDictionary,
    target: Target,
    sources: Sequence[SourceDoc],
    *,
    create_only: bool = False,
    dry_run: bool = False,
    records: Visibility | None = None,
    origin: Origin | None = None,
) -> SubmissionResult:
    """POST (`create_only`) or PUT documents into one project; nothing is written unless all are valid.

    `records`: the index records the submitter may read, which alone a data-file
    node's `object_id` may name (None: all of them). `origin`: who sent the
    documents, and their texts, for the transaction log.
    """
    role = "create" if create_only else "update"
    entry = open_entry(store, target.program, target.project, role, dry_run, origin or Origin())

    def submission(tx: Transaction, refused_by_store: bool = False) -> SubmissionResult:
        return _submit(
            tx, compiled, target, sources, create_only, dry_run, records, entry, refused_by_store
        )

    with entry.errors_recorded(store, (ProjectNotFound,)):
        for attempt in range(RACE_RETRIES + 1):
            try:
                with collection_paused():
                    return store.execute_write(submission)
            except TargetVanished:
                if attempt == RACE_RETRIES:
                    raise
            except ConstraintError:
                if attempt == RACE_RETRIES:
                    # As sheepdog's integrity check after an IntegrityError: each entity
                    # whose key is taken is named; failing that, a transactional error.
                    return store.execute_write(lambda tx: submission(tx, refused_by_store=True))
            time.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")
