"""GraphQL query latency against hand-written Cypher, on simulated data in the embedded ArcadeDB.

N simulated entities (default 100,000) of the default dictionary go into a
fresh embedded ArcadeDB through the submission engine, in chunks of 5,000.
Then, interleaved, each many times:
- the GraphQL query: subjects(first: 100) -> samples -> aliquots, with counts,
  answered by the query service (parse, plan, one Cypher statement, shaping);
- the Cypher a developer would write by hand for the same answer (checked equal);
- a filtered count, `_sample_count(sample_type: ...)`, through GraphQL.

Usage: python tests/bench/bench_query.py [N]
Ends with: BENCH query graphql_p50_ms=... cypher_p50_ms=... ratio=... count_p50_ms=...
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.dictionary.compile import compile_dictionary  # noqa: E402
from engine.dictionary.simulate import ROOT_TYPES, simulate  # noqa: E402
from engine.graph.arcadedb import EmbeddedArcadeDB  # noqa: E402
from engine.graph.ddl import apply_ddl  # noqa: E402
from engine.graph.store import GraphStore  # noqa: E402
from engine.graphql.execute import QueryService  # noqa: E402
from engine.query.limits import Limits  # noqa: E402
from engine.submission import projects  # noqa: E402
from engine.submission.documents import SourceDoc  # noqa: E402
from engine.submission.submit import Target, submit_documents  # noqa: E402

CHUNK = 5000
ROUNDS = 200
WARM_UP = 20
GRAPHQL = """{ subject(first: 100) {
    id submitter_id _samples_count
    samples { id submitter_id sample_type _aliquots_count aliquots { id submitter_id } }
} }"""
CYPHER = """MATCH (c:subject) WITH c LIMIT 100
RETURN c {.id, .submitter_id,
  _samples_count: COUNT { (c)<-[:SUBJECTS]-(:sample) },
  samples: [(c)<-[:SUBJECTS]-(s:sample) | s {.id, .submitter_id, .sample_type,
    _aliquots_count: COUNT { (s)<-[:SAMPLES]-(:aliquot) },
    aliquots: [(s)<-[:SAMPLES]-(a:aliquot) | a {.id, .submitter_id}][0..10]}][0..10]} AS c"""
COUNT = '{ _sample_count(sample_type: "Primary Tumor") }'


def load(store: GraphStore, total: int) -> int:
    compiled = compile_dictionary(REPO / "dictionaries" / "default")
    apply_ddl(store, compiled.ddl)
    projects.upsert_program(
        store, compiled, {"type": "program", "name": "bench", "dbgap_accession_number": "b"}
    )
    projects.upsert_project(
        store,
        compiled,
        "bench",
        {"type": "project", "code": "sim", "name": "sim", "dbgap_accession_number": "b"},
    )
    dictionary = compiled.dictionary
    kinds = [
        name
        for name in dictionary.import_order
        if name not in ROOT_TYPES and dictionary.nodes[name].submittable
    ]
    records = simulate(dictionary, total // len(kinds), seed=1, project="sim")
    loaded = 0
    for rows in records.values():
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            sources = [SourceDoc(doc, None, index) for index, doc in enumerate(chunk)]
            result = submit_documents(store, compiled, Target("bench", "sim"), sources)
            assert result.success, result.to_json()["entities"][:3]
            loaded += len(chunk)
    return loaded


def _sorted(value: Any) -> Any:
    """Lists in a stable order, keys as GraphQL answers them, to compare answers."""
    if isinstance(value, dict):
        return {key: _sorted(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return sorted((_sorted(item) for item in value), key=repr)
    return value


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def main(total: int) -> None:
    with tempfile.TemporaryDirectory(prefix="commons-bench-query-") as folder:
        server = EmbeddedArcadeDB(Path(folder), heap="1g")
        endpoint = server.start()
        try:
            store = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
            started = time.perf_counter()
            loaded = load(store, total)
            print(f"loaded {loaded} entities in {time.perf_counter() - started:.0f} s")
            service = QueryService(
                compile_dictionary(REPO / "dictionaries" / "default"), store, Limits()
            )
            answer = service.execute(GRAPHQL)
            assert answer.status == 200, answer.body
            by_hand = [row["c"] for row in store.read(CYPHER)]
            assert _sorted(answer.body["data"]["subject"]) == _sorted(by_hand), "answers differ"
            rows = sum(
                1 + len(s["samples"]) + sum(len(x["aliquots"]) for x in s["samples"])
                for s in by_hand
            )
            print(f"3-level answer: {rows} objects; the GraphQL and Cypher answers are equal")
            runs: dict[str, tuple[Callable[[], Any], list[float]]] = {
                "graphql": (lambda: service.execute(GRAPHQL), []),
                "cypher": (lambda: store.read(CYPHER), []),
                "count": (lambda: service.execute(COUNT), []),
            }
            for round_number in range(WARM_UP + ROUNDS):
                for work, times in runs.values():
                    begin = time.perf_counter()
                    work()
                    if round_number >= WARM_UP:
                        times.append((time.perf_counter() - begin) * 1000)
            count = service.execute(COUNT).body["data"]["_sample_count"]
            print(f"filtered count: {count} samples")
            p50 = {}
            for name, (_, times) in runs.items():
                p50[name], p95 = percentiles(times)
                print(f"{name:8s} p50 {p50[name]:7.2f} ms  p95 {p95:7.2f} ms  ({len(times)} runs)")
            ratio = p50["graphql"] / p50["cypher"]
            print(
                f"BENCH query graphql_p50_ms={p50['graphql']:.2f} cypher_p50_ms={p50['cypher']:.2f} "
                f"ratio={ratio:.2f} count_p50_ms={p50['count']:.2f}"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
