"""Exploration on a large graph: a guppy aggregation over 1,000,000 simulated nodes.

The default dictionary's chain (study <- subject <- sample <- aliquot <-
read_group <- files, and demographics) is written straight into an embedded
ArcadeDB (4 GB heap) with bare `UNWIND ... CREATE` batches, property values
drawn from the dictionary's schemas (engine/dictionary/simulate_values.py),
spread over four projects. Then the dashboard's kind of question is asked
through the guppy GraphQL schema, as `POST /guppy/graphql` would:
`_totalCount` and 4 facets (3 value counts and a 10-bin histogram) of
`sample`, with one filter (`preservation_method = FFPE`) and one linked-node
filter (the sample's subject is `Homo sapiens`).

Usage: python tests/bench/bench_explore.py [NODES] [RUNS]
Ends with: BENCH explore p50_ms=... p95_ms=... nodes=...
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.dictionary.compile import compile_dictionary  # noqa: E402
from engine.dictionary.model import Dictionary  # noqa: E402
from engine.dictionary.simulate_values import SKIP, ValueMaker  # noqa: E402
from engine.graph.arcadedb import EmbeddedArcadeDB  # noqa: E402
from engine.graph.ddl import apply_ddl  # noqa: E402
from engine.graph.store import GraphStore  # noqa: E402
from engine.graphql.guppy_schema import GuppySchema  # noqa: E402
from engine.query.access import Access  # noqa: E402
from engine.query.counts import counts_by_project, counts_by_type  # noqa: E402
from engine.query.rows import read_rows  # noqa: E402
from engine.query.scope import Scope  # noqa: E402

BATCH = 5000
PROJECTS = [f"bench-p{i}" for i in range(4)]
# (node type, share of the nodes, link to its parent, parent type)
PLAN = [
    ("subject", 0.15, "studies", "study"),
    ("demographic", 0.15, "subjects", "subject"),
    ("sample", 0.25, "subjects", "subject"),
    ("aliquot", 0.15, "samples", "sample"),
    ("read_group", 0.10, "aliquots", "aliquot"),
    ("submitted_unaligned_reads", 0.10, "read_groups", "read_group"),
    ("aligned_reads", 0.10, "read_groups", "read_group"),
]
STUDIES = 10
# Identifiers, checksums and file pointers: long random text nobody counts by.
UNCOUNTED = ("type", "submitter_id", "object_id", "md5sum", "file_name")
QUERY = """query ($filter: JSON) { _aggregation { sample(filter: $filter) {
  _totalCount
  sample_type { histogram { key count } }
  tissue_type { histogram { key count } }
  is_ffpe { histogram { key count } }
  weight_mg { histogram(binCount: 10) { key count } }
} } }"""
FILTER = {
    "AND": [
        {"=": {"preservation_method": "FFPE"}},
        {"path": "subjects", "filter": {"=": {"species": "Homo sapiens"}}},
    ]
}


def _properties(dictionary: Dictionary, label: str, values: ValueMaker, rng: random.Random) -> dict:
    node = dictionary.nodes[label]
    found: dict[str, Any] = {}
    for prop in node.properties.values():
        if prop.system or prop.name in UNCOUNTED or rng.random() >= 0.8:
            continue
        value = values.value(prop.name, node.schema["properties"][prop.name])
        if value is not SKIP:
            found[prop.name] = value
    return found


def load(store: GraphStore, dictionary: Dictionary, nodes: int) -> None:
    rng = random.Random(7)
    values = ValueMaker(rng)
    store.write("CREATE (:program {id: $id, name: 'bench'})", {"id": str(uuid.uuid4())})
    store.write(
        "UNWIND $codes AS code CREATE (:project {id: randomUUID(), code: code, project_id: code})",
        {"codes": PROJECTS},
    )
    ids: dict[str, list[str]] = {"study": [str(uuid.uuid4()) for _ in range(STUDIES)]}
    store.write(
        "UNWIND $rows AS r CREATE (n:study) SET n = r",
        {
            "rows": [
                {
                    "id": i,
                    "project_id": PROJECTS[k % 4],
                    "submitter_id": f"study-{k}",
                    "study_design": "Cohort",
                }
                for k, i in enumerate(ids["study"])
            ]
        },
    )
    for label, share, link, parent in PLAN:
        count, start = int(nodes * share), time.perf_counter()
        ids[label] = []
        parents = ids[parent]
        for offset in range(0, count, BATCH):
            rows = []
            for index in range(offset, min(count, offset + BATCH)):
                node_id = str(uuid.uuid4())
                ids[label].append(node_id)
                props = {
                    "id": node_id,
                    "submitter_id": f"{label}-{index}",
                    "project_id": PROJECTS[index % 4],
                    "state": "validated",
                    **_properties(dictionary, label, values, rng),
                }
                # One demographic per subject; other children pick a parent at random.
                target = (
                    parents[index % len(parents)] if label == "demographic" else rng.choice(parents)
                )
                rows.append({"props": props, "parent": target})
            store.write(
                f"UNWIND $rows AS r MATCH (t:`{parent}` {{id: r.parent}}) "
                f"CREATE (n:`{label}`) SET n = r.props CREATE (n)-[:`{link.upper()}`]->(t)",
                {"rows": rows},
            )
        elapsed = time.perf_counter() - start
        print(f"loaded {count:>9,} {label:<26} {count / elapsed:8,.0f} nodes/s", flush=True)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(
    schema: GuppySchema, store: GraphStore, guppy_filter: Any, runs: int
) -> tuple[list[float], dict]:
    answer: dict = {}
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        answer, status = schema.execute(store, Access(), QUERY, {"filter": guppy_filter})
        samples.append((time.perf_counter() - start) * 1000)
        assert status == 200, answer
    return samples, answer["data"]["_aggregation"]["sample"]


def once_ms(work: Any) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def dashboard_requests(store: GraphStore, dictionary: Dictionary) -> None:
    """What the dashboard's other views ask, for the record (not part of the goal)."""
    scope = Scope(dictionary, dictionary.nodes["sample"], FILTER)
    timings = {
        "dictionary view (counts by type)": once_ms(lambda: counts_by_type(store, dictionary)),
        "project overview (counts by type and project)": once_ms(
            lambda: counts_by_project(store, dictionary)
        ),
        "explorer table (20 filtered rows by submitter_id)": once_ms(
            lambda: read_rows(store, scope, first=20, sort=[{"submitter_id": "asc"}])
        ),
        "explorer table (20 of all samples by submitter_id)": once_ms(
            lambda: read_rows(
                store, Scope(dictionary, scope.node), first=20, sort=[{"submitter_id": "asc"}]
            )
        ),
    }
    for name, ms in timings.items():
        print(f"{name}: {ms:.0f} ms", flush=True)


def main() -> None:
    nodes = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    compiled = compile_dictionary(REPO / "dictionaries" / "default")
    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedArcadeDB(Path(folder) / "graph", heap="4g")
        endpoint = server.start()
        store = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
        try:
            # Uniqueness first (the loader finds parents by id), other indexes built at the end.
            indexes = [
                statement for statement in compiled.ddl if statement.startswith("CREATE INDEX")
            ]
            apply_ddl(store, [s for s in compiled.ddl if s not in indexes])
            start = time.perf_counter()
            load(store, compiled.dictionary, nodes)
            apply_ddl(store, indexes)
            total = store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
            print(f"loaded {total:,} nodes in {time.perf_counter() - start:.0f} s", flush=True)
            schema = GuppySchema(compiled.dictionary)
            timed(schema, store, FILTER, 3)
            samples, answer = timed(schema, store, FILTER, runs)
            print(f"filtered: {answer['_totalCount']:,} of the samples match", flush=True)
            everything, answer = timed(schema, store, None, 3)
            print(
                f"unfiltered, same 4 facets over all {answer['_totalCount']:,} samples: "
                f"p50 {statistics.median(everything):.0f} ms",
                flush=True,
            )
            dashboard_requests(store, compiled.dictionary)
        finally:
            store.close()
            server.stop()
    print(
        f"BENCH explore p50_ms={statistics.median(samples):.0f} "
        f"p95_ms={percentile(samples, 0.95):.0f} nodes={total}"
    )


if __name__ == "__main__":
    main()
