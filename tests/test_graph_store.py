"""The graph store's own promises: transactions, batching, retries, round trips, clear failures."""

from __future__ import annotations

import threading
import time

import pytest
from neo4j.exceptions import ResultNotSingleError

from engine.graph import store
from engine.graph.dialect import Dialect, detect_dialect, is_merge_conflict
from engine.graph.store import GraphStore, StoreUnavailable, Transaction

UPSERT = "UNWIND $rows AS r MERGE (n:Widget {key: r.key}) SET n += r.props"


@pytest.fixture
def widgets(graph: GraphStore) -> GraphStore:
    graph.write("CREATE CONSTRAINT widget_key IF NOT EXISTS FOR (n:Widget) REQUIRE n.key IS UNIQUE")
    return graph


def test_a_lookup_is_one_statement_answered_as_rows(widgets: GraphStore) -> None:
    widgets.write("CREATE (:Widget {key: 'a', tags: ['x', 'y'], n: 1})")
    before = widgets.round_trips
    rows = widgets.lookup(
        "MATCH (n:Widget {key: $key}) RETURN n.n AS n, properties(n) AS props", {"key": "a"}
    )
    assert rows == [{"n": 1, "props": {"key": "a", "tags": ["x", "y"], "n": 1}}]
    assert widgets.round_trips - before == 1
    assert widgets.lookup("MATCH (n:Widget {key: 'b'}) RETURN n.n AS n") == []


def test_write_batches_sends_every_row_in_batches(widgets: GraphStore) -> None:
    before = widgets.round_trips
    rows = ({"key": f"k{i}", "props": {"n": i}} for i in range(2500))
    assert widgets.write_batches(UPSERT, rows, batch_size=1000) == 2500
    assert widgets.round_trips - before == 3
    assert widgets.read("MATCH (n:Widget) RETURN count(n) AS n, sum(n.n) AS total") == [
        {"n": 2500, "total": sum(range(2500))}
    ]


def test_round_trips_count_statements_not_rows(widgets: GraphStore) -> None:
    widgets.write_batches(UPSERT, ({"key": f"k{i}", "props": {}} for i in range(300)))
    before = widgets.round_trips
    widgets.read("MATCH (n:Widget) RETURN n.key AS key")
    assert widgets.round_trips - before == 1


def test_value_answers_the_one_value_of_a_statement(widgets: GraphStore) -> None:
    widgets.write_batches(UPSERT, ({"key": f"k{i}", "props": {"n": i}} for i in range(3)))
    found = widgets.execute_read(
        lambda tx: tx.value("MATCH (n:Widget) WITH n ORDER BY n.key RETURN collect([n.key, n.n])")
    )
    assert found == [["k0", 0], ["k1", 1], ["k2", 2]]
    with pytest.raises(ResultNotSingleError):
        widgets.execute_read(lambda tx: tx.value("MATCH (n:Widget) RETURN n.key"))


def test_two_writers_with_overlapping_keys_make_no_duplicates(widgets: GraphStore) -> None:
    errors: list[Exception] = []

    def writer(offset: int) -> None:
        try:
            for start in range(0, 400, 50):
                rows = [
                    {"key": f"k{i}", "props": {"by": offset}}
                    for i in range(start + offset, start + offset + 100)
                ]
                widgets.write(UPSERT, {"rows": rows}, upsert=True)
        except Exception as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(offset,)) for offset in (0, 25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = widgets.read("MATCH (n:Widget) RETURN count(n) AS nodes, count(DISTINCT n.key) AS keys")
    assert rows == [{"nodes": 475, "keys": 475}]


def test_a_write_that_keeps_losing_races_waits_a_bounded_time_between_tries(
    widgets: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ArcadeDB fails at commit a transaction whose node another writer committed first. The
    driver's managed retry waited 1, 2, 4, 8, 16 s: a writer that lost five times waited past
    30 s, and then failed (a 500). The waits now stop doubling at RETRY_WAIT_MAX (here scaled
    down to keep the test short)."""
    if widgets.dialect.name != "arcadedb":
        pytest.skip("Neo4j makes the other writer wait on this one's lock")
    monkeypatch.setattr(store, "RETRY_WAIT", 0.05)
    monkeypatch.setattr(store, "RETRY_WAIT_MAX", 0.1)
    widgets.write("CREATE (:Widget {key: 'a', n: 0})")
    bump = "MATCH (n:Widget {key: 'a'}) SET n.n = n.n + $by"
    attempts: list[float] = []

    def losing(tx: Transaction) -> None:
        attempts.append(time.monotonic())
        tx.run(bump, {"by": 1})
        if len(attempts) <= 4:
            widgets.write(bump, {"by": 10})  # another writer commits the node first

    widgets.execute_write(losing)
    assert len(attempts) == 5
    assert attempts[-1] - attempts[0] < 2  # the driver's waits: 1 + 2 + 4 + 8 s
    assert widgets.read("MATCH (n:Widget {key: 'a'}) RETURN n.n AS n") == [{"n": 41}]


def test_dialect_is_detected_from_the_server(graph_store: GraphStore) -> None:
    assert graph_store.dialect.name in {"arcadedb", "neo4j"}
    assert graph_store.dialect.version[0].isdigit()


def test_dialect_detection_from_agent_strings() -> None:
    assert detect_dialect("Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)") == Dialect(
        "arcadedb", "26.10.2"
    )
    assert detect_dialect("Neo4j/5.26.1") == Dialect("neo4j", "5.26.1")


def test_only_arcadedb_merge_races_are_retried() -> None:
    from neo4j.exceptions import ConstraintError

    race = ConstraintError._hydrate_neo4j(
        code="Neo.ClientError.Schema.ConstraintValidationFailed", message="dup"
    )
    assert is_merge_conflict(Dialect("arcadedb", "26"), race)
    assert not is_merge_conflict(Dialect("neo4j", "5"), race)
    assert not is_merge_conflict(Dialect("arcadedb", "26"), ValueError("other"))


def test_unreachable_store_names_itself_and_the_settings() -> None:
    from engine.child_process import free_port

    port = free_port()
    with pytest.raises(StoreUnavailable) as caught:
        GraphStore(f"bolt://127.0.0.1:{port}", "neo4j", "secret", "neo4j")
    message = str(caught.value)
    assert f"bolt://127.0.0.1:{port}" in message
    assert "NEO4J_URI" in message


def test_wrong_password_is_reported(arcadedb_server) -> None:
    endpoint = arcadedb_server.endpoint
    with pytest.raises(StoreUnavailable) as caught:
        GraphStore(endpoint.uri, endpoint.user, "wrong-password", endpoint.database)
    assert "NEO4J_PASSWORD" in str(caught.value)
