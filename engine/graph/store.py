"""The graph store: Cypher over Bolt with the official neo4j driver.

One code path serves Neo4j 5 and the embedded ArcadeDB. Every statement
runs in a transaction (see dialect.py for why), every value travels
as a parameter, and every statement sent is counted in `round_trips`, so
tests can prove that a request's cost is bounded by its shape, not its rows.

The test suite runs on ArcadeDB only, so it also turns on `record_statements()`:
every distinct statement text sent, which its Neo4j gate (tests/cypher_gate.py)
then runs through Neo4j's own front-end.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import neo4j
from neo4j.exceptions import (
    AuthError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from engine.graph.dialect import Dialect, detect_dialect, is_merge_conflict

T = TypeVar("T")
Row = dict[str, Any]
MERGE_RETRIES = 8
# A write transaction that failed with a transient error runs again after RETRY_WAIT,
# then RETRY_WAIT_MAX each time, until WRITE_RETRY_SECONDS (the driver's budget) are spent.
RETRY_WAIT = 1.0
RETRY_WAIT_MAX = 2.0
WRITE_RETRY_SECONDS = 30.0
READ_RETRIES = 4
HEALTH_CHECK = "RETURN 1 AS one"


class StoreUnavailable(Exception):
    """The graph store cannot be reached; the message says where and how to configure it."""


@dataclass(frozen=True)
class Health:
    name: str
    ok: bool
    version: str = ""
    error: str = ""


class StatementRecorder:
    """Every distinct statement text sent, with the names of the parameters it was sent with."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._statements: dict[str, set[str]] = {}

    def add(self, query: str, params: dict[str, Any] | None) -> None:
        with self._lock:
            names = self._statements.setdefault(query, set())
            if params:
                names.update(params)

    def statements(self) -> dict[str, list[str]]:
        """Each statement text with its parameter names, sorted."""
        with self._lock:
            return {query: sorted(names) for query, names in self._statements.items()}


# Off (None) unless turned on: when off, sending a statement costs one global lookup more.
_recorder: StatementRecorder | None = None


def record_statements() -> StatementRecorder:
    """Record every statement any GraphStore of this process sends from now on (for tests)."""
    global _recorder
    if _recorder is None:
        _recorder = StatementRecorder()
    return _recorder


class Transaction:
    """A transaction whose `run` materialises rows and counts the round trip."""

    def __init__(self, tx: neo4j.ManagedTransaction | neo4j.Transaction, store: GraphStore) -> None:
        self._tx = tx
        self._store = store

    def run(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        self._store._sent(query, params)
        return _rows(self._tx.run(query, params or {}))

    def value(self, query: str, params: dict[str, Any] | None = None) -> Any:
        """The one value of a statement answering one row of one column."""
        self._store._sent(query, params)
        return self._tx.run(query, params or {}).single(strict=True)[0]


def _rows(result: neo4j.Result) -> list[Row]:
    """The rows as the driver decoded them.

    Statements here return values (properties, maps, lists), never nodes,
    so `Record.data()`, which walks every nested value to convert nodes,
    would only cost: 30x `dict(record)` for a record's properties.
    """
    return [dict(record) for record in result]


def _unreachable(uri: str, error: Exception) -> StoreUnavailable:
    return StoreUnavailable(
        f"graph store at {uri} is not reachable ({error}). Start it, or set NEO4J_URI, "
        "NEO4J_USER and NEO4J_PASSWORD to a running Neo4j 5; leave NEO4J_URI unset to use "
        "the embedded ArcadeDB."
    )


class GraphStore:
    """A Bolt connection to one database; thread-safe, like the driver it wraps."""

    def __init__(self, uri: str, user: str, password: str, database: str) -> None:
        self.uri = uri
        self.database = database
        self._driver = neo4j.GraphDatabase.driver(
            uri, auth=(user, password), connection_acquisition_timeout=10
        )
        self._lock = threading.Lock()
        self.round_trips = 0
        try:
            info = self._driver.get_server_info()
        except (ServiceUnavailable, SessionExpired, OSError) as error:
            self._driver.close()
            raise _unreachable(uri, error) from None
        except AuthError as error:
            self._driver.close()
            raise StoreUnavailable(
                f"graph store at {uri} refused the credentials ({error.message}); "
                "check NEO4J_USER and NEO4J_PASSWORD."
            ) from None
        self.dialect: Dialect = detect_dialect(info.agent)

    def _sent(self, query: str, params: dict[str, Any] | None) -> None:
        """Count the round trip of `query`, and record it when recording is on."""
        with self._lock:
            self.round_trips += 1
        if _recorder is not None:
            _recorder.add(query, params)

    @contextmanager
    def _session(self, access: str = neo4j.WRITE_ACCESS) -> Iterator[neo4j.Session]:
        try:
            with self._driver.session(
                database=self.database, default_access_mode=access
            ) as session:
                yield session
        except (ServiceUnavailable, SessionExpired) as error:
            raise _unreachable(self.uri, error) from None

    def read(
        self, query: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> list[Row]:
        """One statement in a read transaction; Neo4j ends it after `timeout` seconds."""
        return self.execute_read(lambda tx: tx.run(query, params), timeout=timeout)

    def lookup(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """A short read by key, sent on its own (auto-commit) rather than in a transaction.

        BEGIN and COMMIT are two more round trips, half of a small read's time
        (measured on ArcadeDB: 1.4 -> 0.75 ms, and half the driver's CPU); a
        request makes a few such reads. Scans and aggregations stay in `read`:
        two round trips are nothing beside their time (a 1M-node facet query
        measured 600-780 ms either way, within this machine's noise). A lookup
        can be asked again, so transient failures are retried as `execute_read`
        would.
        """
        for attempt in itertools.count():
            try:
                with self._session(neo4j.READ_ACCESS) as session:
                    self._sent(query, params)
                    return _rows(session.run(query, params or {}))
            except TransientError:
                if attempt >= READ_RETRIES:
                    raise
                time.sleep(0.005 * 2**attempt)
        raise AssertionError("unreachable")

    def write(
        self, query: str, params: dict[str, Any] | None = None, *, upsert: bool = False
    ) -> list[Row]:
        return self.execute_write(lambda tx: tx.run(query, params), upsert=upsert)

    def execute_read(self, work: Callable[[Transaction], T], *, timeout: float | None = None) -> T:
        """Run `work` in one read transaction; Neo4j ends it after `timeout` seconds (ArcadeDB ignores that)."""

        @neo4j.unit_of_work(timeout=timeout)
        def unit(tx: neo4j.ManagedTransaction) -> T:
            return work(Transaction(tx, self))

        with self._session() as session:
            return session.execute_read(unit)

    def execute_write(self, work: Callable[[Transaction], T], *, upsert: bool = False) -> T:
        """Run `work` in one write transaction: all of it commits or none of it does.

        A transaction that fails with an error the driver calls retryable runs
        again, for up to WRITE_RETRY_SECONDS, as the driver's managed
        transactions do; but their wait keeps doubling (1, 2, 4, 8, 16 s) and
        this one stops at RETRY_WAIT_MAX. On ArcadeDB, whose transactions are
        optimistic (dialect.py), one writer in several fails at commit when
        many write at once, and the doubling left a request waiting past 30 s,
        to end in a 500. Waits much shorter than a second made it worse: the
        retries met the next commits, and throughput halved.
        With `upsert=True` the work is an idempotent MERGE, so a lost MERGE
        race on ArcadeDB is retried too, at once.
        """
        deadline = time.monotonic() + WRITE_RETRY_SECONDS
        with self._session() as session:
            for attempt in itertools.count():
                try:
                    with session.begin_transaction() as tx:
                        result = work(Transaction(tx, self))
                        tx.commit()
                        return result
                except (Neo4jError, DriverError) as error:
                    if upsert and is_merge_conflict(self.dialect, error):
                        if attempt >= MERGE_RETRIES:
                            raise
                        time.sleep(0.005 * 2**attempt)
                        continue
                    if not error.is_retryable() or time.monotonic() > deadline:
                        raise
                wait = min(RETRY_WAIT * 2**attempt, RETRY_WAIT_MAX)
                time.sleep(wait * random.uniform(0.8, 1.2))  # the driver's jitter
        raise AssertionError("unreachable")

    def write_batches(
        self, query: str, rows: Iterable[Row], batch_size: int = 5000, *, upsert: bool = False
    ) -> int:
        """`UNWIND $rows AS row ...` over `rows`, one transaction per batch; returns the rows sent."""
        sent = 0
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, batch_size)):
            self.write(query, {"rows": batch}, upsert=upsert)
            sent += len(batch)
        return sent

    def health(self) -> Health:
        try:
            # A bare statement, not a managed transaction: a down store must be
            # reported at once, not retried for the driver's 30 s.
            with self._session() as session:
                self._sent(HEALTH_CHECK, None)
                session.run(HEALTH_CHECK).consume()
            return Health(self.dialect.name, True, self.dialect.version)
        except (StoreUnavailable, Neo4jError, OSError) as error:
            return Health(self.dialect.name, False, self.dialect.version, str(error))

    def close(self) -> None:
        self._driver.close()
