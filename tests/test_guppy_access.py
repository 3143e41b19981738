"""`accessibility` and tiered access, from the projects a caller may read.

Routes pass every project until auth is wired in, so these drive the
engine directly with `accessible_projects` = {demo-omics}: 4 of the 6
subjects (demo-other holds the other 2).
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from engine.graph.store import GraphStore
from engine.query.access import Access
from engine.query.aggregate import Chart, aggregate, total_count
from engine.query.counts import counts_by_project, counts_by_type
from engine.query.facets import facets
from engine.query.neighbourhood import neighbourhood
from engine.query.rows import iter_rows, read_rows
from engine.query.scope import Scope
from tests.explore_cohort import cohort_client

OMICS = frozenset({"demo-omics"})


@pytest.fixture(scope="module")
def cohort(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TestClient:
    return cohort_client(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


@pytest.fixture
def graph(cohort: TestClient) -> GraphStore:
    return cohort.app.state.stores.graph


def scope(cohort: TestClient, label: str, accessibility: str, access: Access, **kw) -> Scope:
    dictionary = cohort.app.state.compiled.dictionary
    return Scope(
        dictionary, dictionary.nodes[label], accessibility=accessibility, access=access, **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("level", "limit", "accessible", "unaccessible", "everything"),
    [
        ("libre", 50, 4, 2, 6),
        ("regular", 1, 4, 2, 6),
        ("regular", 50, 4, -1, -1),
        ("private", 50, 4, 0, 4),
    ],
)
def test_counts_by_accessibility_and_tier(
    cohort: TestClient,
    graph: GraphStore,
    level: str,
    limit: int,
    accessible: int,
    unaccessible: int,
    everything: int,
) -> None:
    access = Access(OMICS, level, limit)
    found = [
        total_count(graph, scope(cohort, "subject", accessibility, access))
        for accessibility in ("accessible", "unaccessible", "all")
    ]
    assert found == [accessible, unaccessible, everything]


def test_nothing_is_unaccessible_when_every_project_is_readable(
    cohort: TestClient, graph: GraphStore
) -> None:
    access = Access(None, "regular", 50)
    assert total_count(graph, scope(cohort, "subject", "unaccessible", access)) == 0
    assert total_count(graph, scope(cohort, "subject", "all", access)) == 6


def test_hidden_counts_hide_their_stats_too(cohort: TestClient, graph: GraphStore) -> None:
    node = cohort.app.state.compiled.dictionary.nodes["sample"]
    found = facets(node)
    charts = [Chart(found["sample_type"]), Chart(found["days_to_collection"])]
    total, (types, days) = aggregate(
        graph, scope(cohort, "sample", "all", Access(OMICS, "regular", 50)), charts
    )
    assert total == -1 and {b["count"] for b in types} == {-1}
    assert days == [{"key": None, "count": -1, "min": None, "max": None, "avg": None, "sum": None}]
    _, (shown,) = aggregate(
        graph, scope(cohort, "sample", "accessible", Access(OMICS, "regular", 50)), charts[:1]
    )
    assert {b["key"]: b["count"] for b in shown} == {
        "Primary Tumor": 3,
        "Solid Tissue Normal": 1,
        "Metastatic": 1,
    }


def test_rows_only_come_from_readable_projects(cohort: TestClient, graph: GraphStore) -> None:
    for level in ("private", "regular", "libre"):
        access = Access(OMICS, level, 50)
        for accessibility in ("accessible", "all"):
            rows = read_rows(graph, scope(cohort, "subject", accessibility, access), first=100)
            assert {row["project_id"] for row in rows} == {"demo-omics"} and len(rows) == 4
        assert read_rows(graph, scope(cohort, "subject", "unaccessible", access), first=100) == []
        download = iter_rows(graph, scope(cohort, "subject", "all", access))
        assert {row["submitter_id"] for row in download} == {"su-1", "su-2", "su-3", "su-4"}


def test_linked_records_of_unreadable_projects_do_not_match(
    cohort: TestClient, graph: GraphStore
) -> None:
    """A path filter walks readable records only: it cannot tell what an unreadable one holds."""
    other = Access(frozenset({"demo-other"}), "private", 50)
    path = {"path": "studies.projects", "filter": {"=": {"code": "omics"}}}
    assert total_count(graph, scope(cohort, "subject", "accessible", other, filter=path)) == 0


def test_dashboard_counts_keep_to_readable_projects(cohort: TestClient, graph: GraphStore) -> None:
    dictionary = cohort.app.state.compiled.dictionary
    assert counts_by_type(graph, dictionary, OMICS)["subject"] == 4
    assert counts_by_type(graph, dictionary)["subject"] == 6
    assert set(counts_by_project(graph, dictionary, OMICS)) == {"demo-omics"}
    record_id = graph.read("MATCH (n:subject {submitter_id: 'ot-1'}) RETURN n.id AS id")[0]["id"]
    assert neighbourhood(graph, dictionary, dictionary.nodes["subject"], record_id, OMICS) is None
