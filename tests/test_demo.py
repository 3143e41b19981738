"""`commons serve --demo`'s data: the examples and a simulated cohort, loaded once and kept."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.objects.index import DDL as RECORD_DDL
from engine.submission.demo import DEMO_PROJECT, MARK, load_demo
from engine.submission.transaction_log import LABEL as LOG

SUBJECTS = 40
PROJECT = f"demo-{DEMO_PROJECT}"


@pytest.fixture
def empty_graph(graph_store: GraphStore, compiled_default) -> GraphStore:
    graph_store.write("MATCH (n) DETACH DELETE n")
    apply_ddl(graph_store, compiled_default.ddl + RECORD_DDL)
    return graph_store


def count(graph: GraphStore, label: str, project: str = PROJECT) -> int:
    return graph.read(
        f"MATCH (n:`{label}` {{project_id: $p}}) RETURN count(n) AS n", {"p": project}
    )[0]["n"]


def logged(graph: GraphStore) -> int:
    return graph.read(f"MATCH (t:{LOG}) RETURN count(t) AS n")[0]["n"]


def test_the_demo_loads_once_then_is_kept(
    empty_graph: GraphStore, compiled_default, repo_root: Path
) -> None:
    examples = repo_root / "dictionaries" / "default" / "examples"
    first = load_demo(empty_graph, compiled_default, examples, subjects=SUBJECTS)
    assert first.loaded and first.target.project_id == PROJECT
    assert count(empty_graph, "subject") == SUBJECTS
    assert count(empty_graph, "sample") == SUBJECTS // 2
    assert count(empty_graph, "study") == 2
    assert count(empty_graph, "subject", "demo-omics") > 0  # the examples came too
    types = [
        name for name in compiled_default.dictionary.nodes if name not in ("program", "project")
    ]
    assert first.records == sum(count(empty_graph, name) for name in types)
    # Skewed: the most common sample type is well ahead of the least common one drawn.
    sample_types = Counter(
        row["t"]
        for row in empty_graph.read(
            "MATCH (n:sample {project_id: $p}) RETURN n.sample_type AS t", {"p": PROJECT}
        )
    )
    ranked = sample_types.most_common()
    assert len(ranked) > 2 and ranked[0][1] >= 2 * ranked[-1][1]
    # Every simulated data file is indexed: its object_id names an index record.
    unindexed = empty_graph.read(
        "MATCH (f:submitted_unaligned_reads {project_id: $p}) "
        "WHERE NOT EXISTS { MATCH (r:IndexRecord) WHERE r.did = f.object_id } "
        "RETURN count(f) AS n",
        {"p": PROJECT},
    )
    assert unindexed == [{"n": 0}] and count(empty_graph, "submitted_unaligned_reads") > 0

    submissions = logged(empty_graph)
    again = load_demo(empty_graph, compiled_default, examples, subjects=SUBJECTS)
    assert not again.loaded and again.records == first.records
    assert logged(empty_graph) == submissions  # nothing submitted on a later start


def held(graph: GraphStore) -> tuple[int, int]:
    """The simulated project's records, and the index records."""
    records = graph.read(
        f"MATCH (n {{project_id: $p}}) WHERE NOT n:{LOG} AND NOT n:{MARK} RETURN count(n) AS n",
        {"p": PROJECT},
    )
    indexed = graph.read("MATCH (r:IndexRecord) RETURN count(r) AS n")
    return records[0]["n"], indexed[0]["n"]


def test_a_load_cut_short_loads_again_without_doubling(
    empty_graph: GraphStore, compiled_default, repo_root: Path
) -> None:
    examples = repo_root / "dictionaries" / "default" / "examples"
    load_demo(empty_graph, compiled_default, examples, subjects=SUBJECTS)
    before = held(empty_graph)
    empty_graph.write(f"MATCH (m:{MARK}) DELETE m")  # as if stopped before the end
    assert load_demo(empty_graph, compiled_default, examples, subjects=SUBJECTS).loaded
    assert held(empty_graph) == before
