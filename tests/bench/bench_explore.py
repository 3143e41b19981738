"""Exploration on a large graph: a guppy aggregation over 1,000,000 simulated nodes.

The default dictionary's chain (study <- subject <- sample <- aliquot <-
read_group <- files, and demographics) is written straight into an embedded
ArcadeDB (4 GB heap) with bare `UNWIND ... CREATE` batches, property values
drawn from the dictionary's schemas (engine/dictionary/simulate_values.py),
spread over four projects. The graph is built once per (BUILD, nodes) and kept
under ~/.cache/commons (BENCH_BUILD_ONLY=1 builds it and stops), since building
1M nodes takes minutes; indexes the dictionary gained since are added on start.

Then every kind of question the dashboard and the guppy API send is asked
RUNS times, as `POST /guppy/graphql` and `/api/v0/explore` would: the
explorer's aggregation (`_totalCount` and a chart of every charted facet of
`sample`, numbers with binCount, filterSelf: false) unfiltered, with a
selective filter (at most 10% of the samples), a broad one, a linked-node
one, and as a user who reads two of the four projects; `_totalCount` alone; a
binned histogram; a page of 20 rows; linked-node facets (a subject's and an
aliquot's values, by distinct sample); the project overview; the dictionary
counts. Each kind's p50 and p95 is printed, then over all of them:

Usage: python tests/bench/bench_explore.py [NODES] [RUNS]
Ends with: BENCH explore p50_ms=... p95_ms=... worst_kind=... worst_p95_ms=... nodes=...
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.dictionary.compile import compile_dictionary  # noqa: E402
from engine.dictionary.model import Dictionary, NodeType  # noqa: E402
from engine.dictionary.simulate_values import SKIP, ValueMaker  # noqa: E402
from engine.graph.arcadedb import EmbeddedArcadeDB  # noqa: E402
from engine.graph.ddl import apply_ddl  # noqa: E402
from engine.graph.store import GraphStore  # noqa: E402
from engine.graphql.guppy_schema import GuppySchema  # noqa: E402
from engine.query import tallies  # noqa: E402
from engine.query.access import Access  # noqa: E402
from engine.query.counts import counts_by_project, counts_by_type  # noqa: E402
from engine.query.facets import Facet, facets  # noqa: E402

BATCH = 5000
# The built graph is kept under CACHE, one folder per (BUILD, nodes): change BUILD whenever
# `load` writes something else, so a measurement never runs on a stale graph.
BUILD = "v1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "commons"
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
# The dashboard's explorer asks for `_totalCount` and a chart of every facet worth one
# (engine/web/dashboard/views/explorer.js), with filterSelf: false.
BINS = 12
ROOT = "sample"


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


def load(
    store: GraphStore, dictionary: Dictionary, nodes: int, projects: list[str] = PROJECTS
) -> None:
    """`nodes` nodes of the PLAN chain, spread over `projects` (bench_pfb: one project)."""
    rng = random.Random(7)
    values = ValueMaker(rng)
    store.write("CREATE (:program {id: $id, name: 'bench'})", {"id": str(uuid.uuid4())})
    store.write(
        "UNWIND $codes AS code CREATE (:project {id: randomUUID(), code: code, project_id: code})",
        {"codes": projects},
    )
    ids: dict[str, list[str]] = {"study": [str(uuid.uuid4()) for _ in range(STUDIES)]}
    store.write(
        "UNWIND $rows AS r CREATE (n:study) SET n = r",
        {
            "rows": [
                {
                    "id": i,
                    "project_id": projects[k % len(projects)],
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
                    "project_id": projects[index % len(projects)],
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


def charted(node: NodeType) -> list[Facet]:
    """The facets the dashboard draws: the project, enums, booleans, single numbers."""
    return [
        f
        for f in facets(node).values()
        if f.name == "project_id" or f.enum or f.kind == "boolean" or (f.numeric and not f.array)
    ]


def aggregation(node: NodeType, charts: list[Facet], filter_self: bool = False) -> str:
    fields = " ".join(
        f"{f.name} {{ histogram(binCount: {BINS}) {{ key count }} }}"
        if f.numeric
        else f"{f.name} {{ histogram {{ key count }} }}"
        for f in charts
    )
    own = "" if filter_self else ", filterSelf: false"
    return (
        f"query ($filter: JSON) {{ _aggregation {{ {node.name}(filter: $filter{own}) "
        f"{{ _totalCount {fields} }} }} }}"
    )


def rows_query(node: NodeType, charts: list[Facet]) -> str:
    """A page of 20 as the explorer's table asks for it (the sort travels as a variable)."""
    columns = " ".join(f.name for f in charts)
    return (
        f"query ($filter: JSON, $sort: JSON) {{ {node.name}(filter: $filter, first: 20, "
        f"sort: $sort) {{ id submitter_id {columns} }} }}"
    )


def filters(node: NodeType) -> dict[str, Any]:
    """Filters by how much they keep: `selective` at most 10% of the records, `broad` most."""
    kind = node.properties["sample_type"].enum[0]
    return {
        "unfiltered": None,
        "selective": {"AND": [{"=": {"sample_type": kind}}]},
        "broad": {"!=": {"sample_type": kind}},
        "linked": {"nested": {"path": "subjects", "=": {"species": "Homo sapiens"}}},
        "linked_selective": {
            "AND": [
                {"=": {"project_id": PROJECTS[0]}},
                {"nested": {"path": "subjects", "=": {"species": "Homo sapiens"}}},
            ]
        },
    }


def kinds(store: GraphStore, dictionary: Dictionary) -> dict[str, tuple[Callable[[], Any], str]]:
    """Each query kind the dashboard and the guppy API send: (work, what it keeps)."""
    schema = GuppySchema(dictionary)
    node = dictionary.nodes[ROOT]
    charts = charted(node)
    numeric = next(f for f in charts if f.numeric)

    def guppy(query: str, guppy_filter: Any, access: Access | None = None) -> Callable[[], Any]:
        def work() -> Any:
            variables = {"filter": guppy_filter, "sort": [{"submitter_id": "asc"}]}
            answer, status = schema.execute(store, access or Access(), query, variables)
            assert status == 200, answer
            return answer["data"]

        return work

    total = (
        f"query ($filter: JSON) {{ _aggregation {{ {ROOT}(filter: $filter) {{ _totalCount }} }} }}"
    )
    binned = (
        f"query ($filter: JSON) {{ _aggregation {{ {ROOT}(filter: $filter) {{ _totalCount "
        f"{numeric.name} {{ histogram(binCount: 10) {{ key count }} }} }} }} }}"
    )
    user = Access(frozenset(PROJECTS[:2]), "regular", 50)
    found: dict[str, tuple[Callable[[], Any], str]] = {}
    for name, guppy_filter in filters(node).items():
        found[f"facets_{name}"] = (guppy(aggregation(node, charts), guppy_filter), name)
    found["facets_user_unfiltered"] = (guppy(aggregation(node, charts), None, user), "unfiltered")
    found["facets_user_selective"] = (
        guppy(aggregation(node, charts), filters(node)["selective"], user),
        "selective",
    )
    for name in ("unfiltered", "selective", "broad"):
        guppy_filter = filters(node)[name]
        found[f"total_{name}"] = (guppy(total, guppy_filter), name)
        found[f"histogram_{name}"] = (guppy(binned, guppy_filter), name)
        found[f"rows_{name}"] = (guppy(rows_query(node, charts), guppy_filter), name)
    # The explorer's linked-node facets: a parent's (subject) and a child's (aliquot) values,
    # counted by distinct sample.
    linked = (
        f"query ($filter: JSON) {{ _aggregation {{ {ROOT}(filter: $filter) {{ _totalCount "
        "subject { species { histogram { key count } } } "
        "aliquot { analyte_type { histogram { key count } } } } } }"
    )
    for name in ("unfiltered", "selective"):
        found[f"linked_charts_{name}"] = (guppy(linked, filters(node)[name]), name)
    found["overview"] = (lambda: counts_by_project(store, dictionary), "unfiltered")
    found["dictionary"] = (lambda: counts_by_type(store, dictionary), "unfiltered")
    return found


def measure(store: GraphStore, dictionary: Dictionary, runs: int) -> dict[str, list[float]]:
    """Each kind `runs` times after one warm-up run; milliseconds per run."""
    timings: dict[str, list[float]] = {}
    for name, (work, _) in kinds(store, dictionary).items():
        work()
        timings[name] = []
        for _ in range(runs):
            start = time.perf_counter()
            work()
            timings[name].append((time.perf_counter() - start) * 1000)
        print(
            f"{name:<28} p50 {statistics.median(timings[name]):7.0f} ms  "
            f"p95 {percentile(timings[name], 0.95):7.0f} ms",
            flush=True,
        )
    return timings


def kept(store: GraphStore, dictionary: Dictionary) -> None:
    """How much of the root type each filter keeps (the targets depend on it)."""
    schema = GuppySchema(dictionary)
    node = dictionary.nodes[ROOT]
    query = (
        f"query ($filter: JSON) {{ _aggregation {{ {ROOT}(filter: $filter) {{ _totalCount }} }} }}"
    )
    counts = {
        name: schema.execute(store, Access(), query, {"filter": f})[0]["data"]["_aggregation"][
            ROOT
        ]["_totalCount"]
        for name, f in filters(node).items()
    }
    for name, count in counts.items():
        print(f"filter {name:<18} keeps {count:>9,} {ROOT} ({count / counts['unfiltered']:.1%})")


def built_graph(nodes: int, name: str = "bench-explore", projects: list[str] = PROJECTS) -> Path:
    """The folder of a graph of `nodes` nodes, built once (many minutes at 1M) and then reused."""
    folder = CACHE / f"{name}-{nodes}-{BUILD}"
    if (folder / "built").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    compiled = compile_dictionary(REPO / "dictionaries" / "default")
    server = EmbeddedArcadeDB(folder / "graph", heap="4g")
    endpoint = server.start()
    store = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
    try:
        # Uniqueness first (the loader finds parents by id), other indexes built at the end.
        indexes = [statement for statement in compiled.ddl if statement.startswith("CREATE INDEX")]
        apply_ddl(store, [s for s in compiled.ddl if s not in indexes])
        start = time.perf_counter()
        load(store, compiled.dictionary, nodes, projects)
        apply_ddl(store, indexes)
        print(f"built {nodes:,} nodes in {time.perf_counter() - start:.0f} s", flush=True)
    finally:
        store.close()
        server.stop()
    (folder / "built").write_text(BUILD)
    return folder


def main() -> None:
    nodes = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    folder = built_graph(nodes)
    if os.environ.get("BENCH_BUILD_ONLY"):
        return
    compiled = compile_dictionary(REPO / "dictionaries" / "default")
    server = EmbeddedArcadeDB(folder / "graph", heap="4g")
    endpoint = server.start()
    store = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
    try:
        apply_ddl(store, compiled.ddl)
        start = time.perf_counter()
        if tallies.prepare(store, compiled.dictionary):
            print(f"tallies counted in {time.perf_counter() - start:.0f} s", flush=True)
        total = store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
        kept(store, compiled.dictionary)
        timings = measure(store, compiled.dictionary, runs)
    finally:
        store.close()
        server.stop()
    everything = [ms for samples in timings.values() for ms in samples]
    worst = max(timings, key=lambda name: percentile(timings[name], 0.95))
    print(
        f"BENCH explore p50_ms={statistics.median(everything):.0f} "
        f"p95_ms={percentile(everything, 0.95):.0f} worst_kind={worst} "
        f"worst_p95_ms={percentile(timings[worst], 0.95):.0f} nodes={total}"
    )


if __name__ == "__main__":
    main()
