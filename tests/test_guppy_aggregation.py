"""`/guppy/graphql` aggregations: every answer equals the same count made by plain Cypher."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from engine.graph.store import GraphStore
from engine.query.facets import facets
from tests.explore_cohort import cohort_client, guppy, guppy_error
from tests.test_submission_api import PROJECT, STUDY, make_project, sample, subject

TYPES = ("subject", "sample", "aliquot", "read_group", "submitted_unaligned_reads")
HOMO_SAPIENS = {"path": "subjects", "filter": {"=": {"species": "Homo sapiens"}}}


@pytest.fixture(scope="module")
def cohort(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TestClient:
    return cohort_client(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


def cypher_counts(graph: GraphStore, label: str, prop: str, where: str = "") -> dict[Any, int]:
    """`{value: count}` by plain Cypher, missing values under guppy's "no data"."""
    rows = graph.read(
        f"MATCH (n:`{label}`) {where} "
        f"UNWIND CASE WHEN n.`{prop}` IS NULL THEN ['no data'] "
        f"WHEN n.`{prop}` = [] THEN ['no data'] "
        f"WHEN valueType(n.`{prop}`) STARTS WITH 'LIST' THEN n.`{prop}` ELSE [n.`{prop}`] END AS key "
        "RETURN key, count(*) AS count"
    )
    return {row["key"]: row["count"] for row in rows}


def buckets(answer: list[dict]) -> dict[Any, int]:
    return {bucket["key"]: bucket["count"] for bucket in answer}


def graph_of(client: TestClient) -> GraphStore:
    return client.app.state.stores.graph


@pytest.mark.parametrize("label", TYPES)
def test_every_text_facet_equals_cypher(cohort: TestClient, label: str) -> None:
    graph = graph_of(cohort)
    node = cohort.app.state.compiled.dictionary.nodes[label]
    text = [f.name for f in facets(node).values() if not f.numeric and f.name != "id"]
    selection = " ".join(f"{name} {{ histogram {{ key count }} }}" for name in text)
    answer = guppy(cohort, f"{{ _aggregation {{ {label} {{ _totalCount {selection} }} }} }}")
    found = answer["_aggregation"][label]
    total = graph.read(f"MATCH (n:`{label}`) RETURN count(n) AS n")[0]["n"]
    assert found["_totalCount"] == total > 0
    for name in text:
        expected = cypher_counts(graph, label, name)
        if node.properties.get(name) and node.properties[name].kind == "boolean":
            expected = {str(k).lower() if k != "no data" else k: v for k, v in expected.items()}
        assert buckets(found[name]["histogram"]) == expected, name


def test_value_counts_come_most_frequent_first(cohort: TestClient) -> None:
    answer = guppy(
        cohort, "{ _aggregation { sample { sample_type { histogram { key count } } } } }"
    )
    counts = [b["count"] for b in answer["_aggregation"]["sample"]["sample_type"]["histogram"]]
    assert counts == sorted(counts, reverse=True) and counts[0] == 4


def test_filtered_aggregation_equals_cypher(cohort: TestClient) -> None:
    answer = guppy(
        cohort,
        "query ($f: JSON) { _aggregation { sample(filter: $f) { _totalCount "
        "tissue_type { histogram { key count } } } } }",
        {"f": {"AND": [HOMO_SAPIENS, {"=": {"sample_type": "Primary Tumor"}}]}},
    )["_aggregation"]["sample"]
    where = (
        "WHERE n.sample_type = 'Primary Tumor' AND "
        "EXISTS { MATCH (n)-[:SUBJECTS]->(s:subject) WHERE s.species = 'Homo sapiens' }"
    )
    expected = cypher_counts(graph_of(cohort), "sample", "tissue_type", where)
    assert buckets(answer["tissue_type"]["histogram"]) == expected == {"Tumor": 3}
    assert answer["_totalCount"] == 3


def test_filter_self_false_counts_the_other_values_too(cohort: TestClient) -> None:
    query = (
        "query ($f: JSON, $self: Boolean) { _aggregation { sample(filter: $f, filterSelf: $self) { "
        "_totalCount sample_type { histogram { key count } } tissue_type { histogram { key count } } "
        "weight_mg { histogram(binCount: 2) { count } } } } }"
    )
    variables = {"f": {"=": {"sample_type": "Metastatic"}}, "self": False}
    answer = guppy(cohort, query, variables)["_aggregation"]["sample"]
    assert answer["_totalCount"] == 1
    weighed = graph_of(cohort).read(
        "MATCH (n:sample) WHERE n.sample_type = 'Metastatic' AND n.weight_mg IS NOT NULL "
        "RETURN count(*) AS n"
    )[0]["n"]
    assert sum(b["count"] for b in answer["weight_mg"]["histogram"]) == weighed
    assert buckets(answer["sample_type"]["histogram"]) == cypher_counts(
        graph_of(cohort), "sample", "sample_type"
    )
    assert buckets(answer["tissue_type"]["histogram"]) == {"Tumor": 1}
    kept = guppy(cohort, query, {**variables, "self": True})["_aggregation"]["sample"]
    assert buckets(kept["sample_type"]["histogram"]) == {"Metastatic": 1}


def test_filter_self_false_over_numbers_and_text_equals_cypher(cohort: TestClient) -> None:
    """Each chart counts the records every condition but those on its own field keeps."""
    query = (
        "query ($f: JSON) { _aggregation { sample(filter: $f, filterSelf: false) { _totalCount "
        "sample_type { histogram { key count } } tissue_type { histogram { key count } } "
        "weight_mg { histogram(rangeStart: 0, rangeEnd: 100, rangeStep: 50) { key count } } "
        "} } }"
    )
    both = {"AND": [{"=": {"tissue_type": "Tumor"}}, {">=": {"weight_mg": 20}}]}
    answer = guppy(cohort, query, {"f": both})["_aggregation"]["sample"]
    graph = graph_of(cohort)
    tumor, heavy = "n.tissue_type = 'Tumor'", "n.weight_mg >= 20"
    assert (
        answer["_totalCount"]
        == graph.read(f"MATCH (n:sample) WHERE {tumor} AND {heavy} RETURN count(*) AS n")[0]["n"]
    )
    assert buckets(answer["sample_type"]["histogram"]) == cypher_counts(
        graph, "sample", "sample_type", f"WHERE {tumor} AND {heavy}"
    )
    assert buckets(answer["tissue_type"]["histogram"]) == cypher_counts(
        graph, "sample", "tissue_type", f"WHERE {heavy}"
    )
    weights = [
        row["w"]
        for row in graph.read(f"MATCH (n:sample) WHERE {tumor} RETURN n.weight_mg AS w")
        if row["w"] is not None
    ]
    expected = [sum(low <= w < low + 50 for w in weights) for low in (0, 50, 100)]
    assert [b["count"] for b in answer["weight_mg"]["histogram"]] == expected
    assert sum(expected) > 0


def test_numeric_stats_equal_cypher(cohort: TestClient) -> None:
    answer = guppy(
        cohort,
        "{ _aggregation { sample { weight_mg { histogram { key count min max avg sum } } } } }",
    )["_aggregation"]["sample"]["weight_mg"]["histogram"]
    row = graph_of(cohort).read(
        "MATCH (n:sample) WHERE n.weight_mg IS NOT NULL RETURN count(*) AS count, "
        "min(n.weight_mg) AS min, max(n.weight_mg) AS max, avg(n.weight_mg) AS avg, "
        "sum(n.weight_mg) AS sum"
    )[0]
    assert answer == [{"key": [row["min"], row["max"]], **row}]
    assert row == {"count": 4, "min": 10.0, "max": 99.0, "avg": 43.625, "sum": 174.5}


def test_fixed_width_histogram_equals_cypher(cohort: TestClient) -> None:
    answer = guppy(
        cohort,
        "{ _aggregation { sample { weight_mg { "
        "histogram(rangeStart: 0, rangeEnd: 100, rangeStep: 25) { key count min max } } } } }",
    )["_aggregation"]["sample"]["weight_mg"]["histogram"]
    assert [b["key"] for b in answer] == [[0, 25], [25, 50], [50, 75], [75, 100], [100, 125]]
    for bucket in answer:
        low, high = bucket["key"]
        expected = graph_of(cohort).read(
            "MATCH (n:sample) WHERE n.weight_mg >= $low AND n.weight_mg < $high "
            "RETURN count(*) AS n",
            {"low": low, "high": high},
        )[0]["n"]
        assert bucket["count"] == expected
    assert [b["count"] for b in answer] == [1, 2, 0, 1, 0]
    assert answer[1]["min"] == 25.5 and answer[1]["max"] == 40.0 and answer[2]["min"] is None


def test_bin_count_spans_the_values_and_keeps_the_largest(cohort: TestClient) -> None:
    answer = guppy(
        cohort,
        "{ _aggregation { sample { days_to_collection { histogram(binCount: 4) { key count } } "
        "weight_mg { histogram(binCount: 2, rangeStart: 0, rangeEnd: 50) { key count } } } } }",
    )["_aggregation"]["sample"]
    days = answer["days_to_collection"]["histogram"]
    assert [b["key"] for b in days] == [[5, 28.75], [28.75, 52.5], [52.5, 76.25], [76.25, 100]]
    assert [b["count"] for b in days] == [2, 1, 0, 1]
    weight = answer["weight_mg"]["histogram"]
    assert [(b["key"], b["count"]) for b in weight] == [([0, 25], 1), ([25, 50], 2)]


def test_histograms_of_one_facet_can_be_aliased(cohort: TestClient) -> None:
    answer = guppy(
        cohort,
        "{ _aggregation { sample { w: weight_mg { stats: histogram { count } "
        "bins: histogram(binCount: 2) { count } } } } }",
    )["_aggregation"]["sample"]["w"]
    assert answer == {"stats": [{"count": 4}], "bins": [{"count": 3}, {"count": 1}]}


def test_fragments_and_skip_are_followed(cohort: TestClient) -> None:
    answer = guppy(
        cohort,
        "query ($no: Boolean!) { _aggregation { sample { ...F "
        "tissue_type @skip(if: $no) { histogram { key } } } } } "
        "fragment F on SampleAggregation { _totalCount ... on SampleAggregation { "
        "is_ffpe { histogram { key count } } } }",
        {"no": True},
    )["_aggregation"]["sample"]
    assert answer["_totalCount"] == 6 and "tissue_type" not in answer
    assert buckets(answer["is_ffpe"]["histogram"]) == {"true": 2, "false": 1, "no data": 3}


def test_one_round_trip_per_aggregated_type(cohort: TestClient) -> None:
    """Once this process holds the type's values (engine/query/columns.py) at the graph's
    revision; the first request after a write reads them again, once per project."""
    graph = graph_of(cohort)
    query = (
        "{ _aggregation { sample { _totalCount sample_type { histogram { key } } "
        "tissue_type { histogram { key } } weight_mg { histogram(binCount: 3) { count } } "
        "days_to_collection { histogram { count } } } } }"
    )
    before = graph.round_trips
    guppy(cohort, query)
    projects = len(graph.read("MATCH (n:sample) RETURN DISTINCT n.project_id AS p"))
    assert graph.round_trips - before <= 2 + projects + 1
    before = graph.round_trips
    guppy(cohort, query)
    assert graph.round_trips - before == 2, "one for the caller's grants, one for the aggregation"


def test_mapping_lists_the_fields(cohort: TestClient) -> None:
    answer = guppy(cohort, "{ _mapping { sample subject } }")["_mapping"]
    assert {"sample_type", "weight_mg", "project_id", "id"} <= set(answer["sample"])
    assert "consent_codes" in answer["subject"]


def test_bad_histogram_arguments_are_400(cohort: TestClient) -> None:
    base = "{ _aggregation { sample { weight_mg { histogram(%s) { count } } } } }"
    assert "rangeStep must be above 0" in guppy_error(cohort, base % "rangeStep: 0")
    assert "binCount must be 1 to 1000" in guppy_error(cohort, base % "binCount: 0")
    assert "below rangeStart" in guppy_error(
        cohort, base % "rangeStart: 10, rangeEnd: 1, rangeStep: 1"
    )
    assert "widen rangeStep" in guppy_error(cohort, base % "rangeStep: 0.001")


def test_counts_include_a_record_submitted_one_request_earlier(api: TestClient) -> None:
    make_project(api)
    assert api.put(PROJECT, json=[STUDY, subject("su-1")]).status_code == 200
    query = "{ _aggregation { sample { _totalCount sample_type { histogram { key count } } } } }"
    assert guppy(api, query)["_aggregation"]["sample"]["_totalCount"] == 0
    assert api.put(PROJECT, json=[sample("sa-1", "su-1")]).status_code == 200
    answer = guppy(api, query)["_aggregation"]["sample"]
    assert answer["_totalCount"] == 1
    assert answer["sample_type"]["histogram"] == [{"key": "Primary Tumor", "count": 1}]


def test_guppy_route_answers_only_post(cohort: TestClient, tmp_path: Path) -> None:
    assert cohort.get("/guppy/graphql").status_code == 405
