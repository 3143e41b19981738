"""Pages of guppy rows, ordered over the column tables, equal Cypher's ORDER BY pages.

engine/query/rows.py orders a page of a type's records by its own fields in
this process (engine/query/columns.py); every sort, direction, filter,
offset and access here must give the records Cypher's `ORDER BY` gives,
records without a value last either way and ties broken by id.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from engine.query.access import Access
from engine.query.columns import cypher_order
from engine.query.rows import _page, order_by, read_rows
from engine.query.scope import Scope
from tests.explore_cohort import cohort_client, guppy

SORTS = [
    [{"submitter_id": "asc"}],
    [{"submitter_id": "desc"}],
    {"weight_mg": "asc"},
    {"weight_mg": "desc"},
    [{"tissue_type": "asc"}, {"weight_mg": "desc"}],
    [{"is_ffpe": "desc"}, {"submitter_id": "asc"}],
    [{"sample_type": "desc"}],
    [{"project_id": "asc"}, {"days_to_collection": "asc"}],
]
FILTERS = [None, {"in": {"sample_type": ["Primary Tumor", "Metastatic"]}}, {">": {"weight_mg": 20}}]


@pytest.fixture(scope="module")
def cohort(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TestClient:
    return cohort_client(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


def by_cypher(client: TestClient, sort: Any, spec: Any, offset: int, size: int, access: Access):
    dictionary = client.app.state.compiled.dictionary
    scope = Scope(dictionary, dictionary.nodes["sample"], spec, access=access)
    rows = _page(client.app.state.stores.graph, scope, order_by(scope, sort), offset, size)
    return [row["submitter_id"] for row in rows]


@pytest.mark.parametrize(
    ("sort", "spec"),
    [(sort, FILTERS[i % len(FILTERS)]) for i, sort in enumerate(SORTS)] + [(SORTS[0], FILTERS[1])],
    ids=str,
)
def test_pages_equal_cypher_order_by(cohort: TestClient, sort: Any, spec: Any) -> None:
    query = (
        "query ($f: JSON, $s: JSON, $o: Int, $n: Int) "
        "{ sample(filter: $f, sort: $s, offset: $o, first: $n) { submitter_id } }"
    )
    for offset, size in ((2, 3), (0, 100)):
        answer = guppy(cohort, query, {"f": spec, "s": sort, "o": offset, "n": size})["sample"]
        expected = by_cypher(cohort, sort, spec, offset, size, Access())
        assert [row["submitter_id"] for row in answer] == expected, (offset, size)
        assert expected or offset


def test_a_page_holds_only_readable_records(cohort: TestClient) -> None:
    """As a caller who reads demo-omics only: demo-other's sample never appears."""
    dictionary = cohort.app.state.compiled.dictionary
    access = Access(frozenset({"demo-omics"}), "regular", 50)
    scope = Scope(dictionary, dictionary.nodes["sample"], access=access)
    sort = [{"submitter_id": "desc"}]
    rows = read_rows(cohort.app.state.stores.graph, scope, first=100, sort=sort)
    found = [row["submitter_id"] for row in rows]
    assert found == by_cypher(cohort, sort, None, 0, 100, access)
    assert found and all(row["project_id"] == "demo-omics" for row in rows)


def test_values_of_several_types_order_as_cypher_orders_them(cohort: TestClient) -> None:
    """Real data may hold text, booleans and numbers in one property: the column tables
    order them as the store's ORDER BY does, rather than failing to compare them."""
    values = ["b", 2, True, "a", 1.5, False, -3, "10"]
    expected = cohort.app.state.stores.graph.read(
        "UNWIND $values AS v RETURN v ORDER BY v", {"values": values}
    )
    assert sorted(values, key=cypher_order) == [row["v"] for row in expected]
