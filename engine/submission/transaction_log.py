"""The transaction log: one record per submission or deletion, as sheepdog keeps one.

Peregrine serves the records (`transaction_log`, engine/graphql/transaction_log.py)
and the Gen3 portal lists the newest. Each is a `CommonsTransaction` node:
`id` (an integer), `submitter`, `role` (`create` for a POST, `update` for a
PUT, `delete`), `program`, `project`, `project_id`, `state`, `is_dry_run`,
`closed`, `created_datetime`, and what was sent and answered: `documents`
(the JSON text of each document's name, format and size), `docs` (their
texts, as sent), `responses` (each document's answer, packed JSON text),
`snapshots` (one packed JSON text of `[entity id, action, old properties,
new properties]` per entity written) and `entity_ids` (the entities written,
what the `entities` filter and each node's `_transaction_logs` look for).
Neo4j keeps scalars and lists, never maps, hence the texts. Packed (`pack`)
is zlib then base64: a 5,000-entity submission's answer and snapshots are
2.4 MB of repetitive JSON and pack to about 0.4 MB (its random ids do not
shrink), and the record's statement took about 13 ms instead of 38 ms
(measured on the embedded store); base64, since Neo4j lists hold text but
not byte arrays.

How a record is written, and why:
- The id is claimed in a small write of its own: a counter node,
  incremented by one claim at a time in this process (one worker thread
  makes them all, in the order asked). Measured on the embedded store,
  concurrent increments of one node fail or wait for the driver's one-second
  retry, and an increment inside the submission's own transaction would fail
  whole submissions; one short claim at a time never collided. The claim
  runs while the submission is checked, which needs the id only when it
  records. Ids increase; one can be skipped (a submission to a project that
  does not exist claims one and records nothing, as sheepdog records nothing).
- The record itself is created inside the submission's transaction, in one
  statement whatever the number of entities, so it says SUCCEEDED exactly
  when the entities were written. A submission refused as a whole (invalid
  entities, nothing to submit) writes nothing else and records FAILED in that
  same transaction. One that fails with an error is rolled back and records
  ERRORED in a write of its own.
- PENDING is never stored (a submission is answered when it has ended), but
  is a state a query may ask for, as in sheepdog.
- Dry runs are recorded too (`is_dry_run`), without snapshots: nothing was
  written. Nothing ever commits a dry run here, so `committed_by` stays empty.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import weakref
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
from neo4j.exceptions import DriverError, Neo4jError

from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore, StoreUnavailable, Transaction
from engine.query.tallies import SCHEMA as TALLY_SCHEMA
from engine.submission.result import SubmissionResult

LABEL = "CommonsTransaction"
COUNTER = "CommonsCounter"
# Written as engine/graph/ddl.py writes its own, so that `apply_ddl` finds them present.
SCHEMA = [
    f"CREATE CONSTRAINT commons_{LABEL}_id_unique IF NOT EXISTS "
    f"FOR (n:`{LABEL}`) REQUIRE n.`id` IS UNIQUE",
    f"CREATE CONSTRAINT commons_{COUNTER}_name_unique IF NOT EXISTS "
    f"FOR (n:`{COUNTER}`) REQUIRE n.`name` IS UNIQUE",
    # Every read is limited to readable projects: the first condition of every query.
    f"CREATE INDEX commons_{LABEL}_project_id_index IF NOT EXISTS "
    f"FOR (n:`{LABEL}`) ON (n.`project_id`)",
]
CLAIM = (
    f"MERGE (c:{COUNTER} {{name: 'transaction_log'}}) "
    "SET c.value = coalesce(c.value, 0) + 1 RETURN c.value AS id"
)
CREATE = f"CREATE (t:{LABEL} $props)"
# Sheepdog's answer to an internal error, which must not tell the caller more.
INTERNAL_ERROR = "Internal server error. Sorry, something unexpected went wrong!"
# (entity id, action, properties before, properties after)
Snapshot = tuple[str, str, dict[str, Any], dict[str, Any]]

# One worker: claims one at a time, in order; `_PREPARED` is only ever touched by it.
_CLAIMS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="transaction-id")
_PREPARED: weakref.WeakSet[GraphStore] = weakref.WeakSet()
_LOG = logging.getLogger(__name__)


class State(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    ERRORED = "ERRORED"
    PENDING = "PENDING"


@dataclass(frozen=True)
class Document:
    """One document of a submission as it came: its name (sheepdog's `X-Document-Name`),
    format (`json`, `tsv`, `csv`; `N/A` for a deletion) and text, and how many of the
    submission's entities it holds (documents hold them in request order)."""

    name: str | None
    doc_format: str
    doc: str
    entities: int


@dataclass(frozen=True)
class Origin:
    """What only the caller knows of a submission: who sent it, and in which documents.

    Without documents (a deletion, a library call) the record holds one empty
    document for the answer, as sheepdog's deletions do.
    """

    submitter: str | None = None
    documents: tuple[Document, ...] = ()


def _claim(store: GraphStore) -> int:
    """The next id (run by the `_CLAIMS` worker). The schema is applied on a store's first
    claim, so every way into a submission (API, GraphQL, demo loading, tests) has the
    constraints that keep ids unique, and tally keys (engine/query/tallies.py) too."""
    if store not in _PREPARED:
        apply_ddl(store, SCHEMA + TALLY_SCHEMA)
        _PREPARED.add(store)
    return store.write(CLAIM, upsert=True)[0]["id"]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def pack(text: bytes) -> str:
    """JSON text as stored: compressed (zlib, its fastest level), then base64."""
    return base64.b64encode(zlib.compress(text, 1)).decode("ascii")


def unpack(stored: str) -> bytes:
    return zlib.decompress(base64.b64decode(stored))


@dataclass(frozen=True)
class Entry:
    """The record of one submission being made: its id being claimed, its outcome not known."""

    claim: Future[int]
    role: str
    program: str
    project: str
    dry_run: bool
    origin: Origin

    def _responses(self, result: SubmissionResult, documents: Sequence[Document]) -> list[str]:
        """Each document's answer, packed: the entities it held (a bulk submission's documents
        each get their own), with the counts and messages of the whole transaction."""
        if len(documents) == 1:
            return [pack(result.encoded)]
        answers, start = [], 0
        for document in documents:
            part = dataclasses.replace(
                result, entities=result.entities[start : start + document.entities]
            )
            answers.append(pack(part.encoded))
            start += document.entities
        return answers

    @property
    def id(self) -> int:
        """The claimed id, waited for (the claim raises here if it failed)."""
        return self.claim.result()

    def _documents(self, entities: int) -> tuple[Document, ...]:
        return self.origin.documents or (Document(None, "N/A", "", entities),)

    def _props(
        self,
        state: State,
        documents: Sequence[Document],
        responses: list[str],
        snapshots: Sequence[Snapshot],
    ) -> dict[str, Any]:
        return {
            "id": self.id,
            "submitter": self.origin.submitter,
            "role": self.role,
            "program": self.program,
            "project": self.project,
            "project_id": f"{self.program}-{self.project}",
            "state": state.value,
            "is_dry_run": self.dry_run,
            "closed": False,
            "created_datetime": _now(),
            "documents": orjson.dumps(
                [
                    {"name": d.name, "doc_format": d.doc_format, "doc_size": len(d.doc)}
                    for d in documents
                ]
            ).decode(),
            "docs": [document.doc for document in documents],
            "responses": responses,
            "snapshots": pack(orjson.dumps(snapshots)),
            "entity_ids": [snapshot[0] for snapshot in snapshots],
        }

    def write(
        self, tx: Transaction, result: SubmissionResult, snapshots: Sequence[Snapshot] = ()
    ) -> None:
        """The record of a submission that ended with `result`, in its own transaction `tx`:
        SUCCEEDED with the snapshots of what was written, or FAILED with none."""
        result.transaction_id = self.id
        state = State.SUCCEEDED if result.success else State.FAILED
        documents = self._documents(len(result.entities))
        responses = self._responses(result, documents)
        kept = snapshots if result.success else ()
        tx.run(CREATE, {"props": self._props(state, documents, responses, kept)})

    def _write_errored(self, store: GraphStore) -> None:
        try:
            answer = {
                "transaction_id": self.id,
                "code": 500,
                "success": False,
                "message": INTERNAL_ERROR,
                "entity_error_count": 0,
                "transactional_error_count": 1,
                "transactional_errors": [INTERNAL_ERROR],
                "created_entity_count": 0,
                "updated_entity_count": 0,
                "entities": [],
            }
            documents = self._documents(0)
            response = pack(orjson.dumps(answer))
            props = self._props(State.ERRORED, documents, [response] * len(documents), ())
            store.execute_write(lambda tx: tx.run(CREATE, {"props": props}))
        except (Neo4jError, DriverError, StoreUnavailable) as error:
            # The submission's own error is the one to answer; this one is only logged.
            _LOG.warning("a transaction's ERRORED record was not written: %s", error)

    @contextmanager
    def errors_recorded(
        self, store: GraphStore, answered: tuple[type[Exception], ...]
    ) -> Iterator[None]:
        """Runs the submission: an error other than the `answered` ones (which are the
        caller's to report, such as a missing project) is recorded as ERRORED, after the
        submission's transaction was rolled back, and raised on."""
        try:
            yield
        except answered:
            raise
        except Exception:
            self._write_errored(store)
            raise


def open_entry(
    store: GraphStore, program: str, project: str, role: str, dry_run: bool, origin: Origin
) -> Entry:
    """A record for a submission about to start, its id being claimed meanwhile."""
    return Entry(_CLAIMS.submit(_claim, store), role, program, project, dry_run, origin)
