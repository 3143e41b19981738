"""Where ArcadeDB's Cypher over Bolt differs from Neo4j's: the one place that knows.

Everything else sends the same Cypher text to both. The differences found so
far (each covered by tests/test_cypher_compat.py or tests/test_graph_store.py):

- Two writers MERGE-ing the same key at once: Neo4j makes the second wait on
  the lock; ArcadeDB fails it with ConstraintValidationFailed. No duplicate
  is created either way, so the engine retries such an upsert.
- Two transactions writing at once: Neo4j locks what each writes and makes
  the other wait; ArcadeDB's transactions are optimistic, and the one that
  commits second fails (TransientError DeadlockDetected) when the other
  changed the same pages, as concurrent writers of one node type often do.
  The loser runs again (store.execute_write), after waits that stop doubling.
- Auto-commit statements: ArcadeDB deadlocks on batched relationship MERGE
  and keeps the rows written before a failing statement. The store therefore
  runs every statement inside a transaction (managed or explicit), on both.
- A composite uniqueness constraint counts a missing property as a value on
  ArcadeDB (Neo4j ignores such nodes), and checks it after each SET item.
  So ddl.py only constrains keys that are always present, and the writer
  sets `project_id` and `submitter_id` in the same clause as the node's
  other properties.
- `n.prop IN $list` on a non-unique index scans the label on ArcadeDB;
  `UNWIND $list AS k MATCH (n:L) WHERE n.prop = k` seeks the index, on both.

The text the store is given is the one both databases run, so the text the
test suite records (`record_statements` in store.py) is the Neo4j form, and
the suite's Neo4j gate (tests/cypher_gate.py) checks it with Neo4j's own
front-end while the suite runs it on ArcadeDB: both forms are checked. Should
ArcadeDB ever need a form Neo4j refuses, derive it here from the Neo4j text
when the store sends it, and keep recording the Neo4j text. None is needed so
far: the scope clause Neo4j 5 asks of a subquery (`CALL (x) { ... }`, not the
deprecated `CALL { WITH x ... }`) runs on ArcadeDB as it is, and keeps its
answering `CALL () { MATCH (n:L) RETURN count(*) }` without a scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from neo4j.exceptions import ConstraintError, Neo4jError


@dataclass(frozen=True)
class Dialect:
    name: str
    version: str

    @property
    def merge_conflicts_fail(self) -> bool:
        """Concurrent MERGE of one key fails one writer instead of making it wait."""
        return self.name == "arcadedb"


def detect_dialect(agent: str) -> Dialect:
    """From the Bolt server agent, e.g. 'Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)'."""
    arcade = re.search(r"ArcadeDB\s+([\w.\-]+)", agent)
    if arcade:
        return Dialect("arcadedb", arcade.group(1))
    neo = re.search(r"Neo4j/([\w.\-]+)", agent)
    return Dialect("neo4j", neo.group(1) if neo else "unknown")


def is_merge_conflict(dialect: Dialect, error: Exception) -> bool:
    """True when `error` is the lost race of a concurrent MERGE, worth a retry."""
    return (
        dialect.merge_conflicts_fail
        and isinstance(error, ConstraintError | Neo4jError)
        and getattr(error, "code", "") == "Neo.ClientError.Schema.ConstraintValidationFailed"
    )
