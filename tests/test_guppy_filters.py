"""Guppy's filter language on `/guppy/graphql`: every operator, links at any depth, clear errors.

Each filter is checked twice, on the rows it lets through and on the count
it gives, against the cohort of tests/explore_cohort.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.explore_cohort import cohort_client, guppy, guppy_error

HUMAN = {"=": {"species": "Homo sapiens"}}
FILES = "samples.aliquots.read_groups.submitted_unaligned_reads_files"


@pytest.fixture(scope="module")
def cohort(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TestClient:
    return cohort_client(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


def matching(client: TestClient, label: str, guppy_filter: Any) -> set[str]:
    """The submitter_ids the filter lets through; the count must agree with them."""
    answer = guppy(
        client,
        f"query ($f: JSON) {{ {label}(filter: $f, first: 100) {{ submitter_id }} "
        f"_aggregation {{ {label}(filter: $f) {{ _totalCount }} }} }}",
        {"f": guppy_filter},
    )
    found = {row["submitter_id"] for row in answer[label]}
    assert answer["_aggregation"][label]["_totalCount"] == len(found)
    return found


SAMPLE_FILTERS = [
    ({"=": {"sample_type": "Primary Tumor"}}, {"sa-1", "sa-3", "sa-5", "os-1"}),
    ({"eq": {"sample_type": "Metastatic"}}, {"sa-4"}),
    ({"GTE": {"weight_mg": 40}}, {"sa-3", "sa-5"}),
    ({"!=": {"tissue_type": "Tumor"}}, {"sa-2", "sa-5"}),
    ({"in": {"tissue_type": ["Normal", "Tumor"]}}, {"sa-1", "sa-2", "sa-3", "sa-4", "os-1"}),
    ({"IN": {"sample_type": ["Metastatic", "Solid Tissue Normal"]}}, {"sa-2", "sa-4"}),
    ({">": {"weight_mg": 25.5}}, {"sa-3", "sa-5"}),
    ({">=": {"weight_mg": 25.5}}, {"sa-2", "sa-3", "sa-5"}),
    ({"<": {"weight_mg": 25.5}}, {"sa-1"}),
    ({"<=": {"weight_mg": 25.5}}, {"sa-1", "sa-2"}),
    ({"=": {"is_ffpe": True}}, {"sa-1", "sa-3"}),
    ({"search": {"keyword": "SA-"}}, {"sa-1", "sa-2", "sa-3", "sa-4", "sa-5"}),
    ({"search": {"keyword": "metas", "fields": ["sample_type"]}}, {"sa-4"}),
    (
        {"AND": [{"=": {"sample_type": "Primary Tumor"}}, {">": {"weight_mg": 20}}]},
        {"sa-3", "sa-5"},
    ),
    (
        {"OR": [{"=": {"sample_type": "Metastatic"}}, {"=": {"tissue_type": "Normal"}}]},
        {"sa-2", "sa-4"},
    ),
    ({"and": [{"or": [{"<": {"weight_mg": 11}}, {">": {"weight_mg": 90}}]}]}, {"sa-1", "sa-5"}),
    ({"nested": {"path": "subjects", **HUMAN}}, {"sa-1", "sa-2", "sa-3", "os-1"}),
    ({"path": "subjects", "filter": HUMAN}, {"sa-1", "sa-2", "sa-3", "os-1"}),
    ({"=": {"subjects.species": "Homo sapiens"}}, {"sa-1", "sa-2", "sa-3", "os-1"}),
    ({"path": "aliquots", "filter": {}}, {"sa-1", "sa-3", "sa-4"}),
    ({}, {"sa-1", "sa-2", "sa-3", "sa-4", "sa-5", "os-1"}),
]


@pytest.mark.parametrize(("guppy_filter", "expected"), SAMPLE_FILTERS)
def test_sample_filters(cohort: TestClient, guppy_filter: Any, expected: set[str]) -> None:
    assert matching(cohort, "sample", guppy_filter) == expected


SUBJECT_FILTERS = [
    ({"=": {"consent_codes": "HMB"}}, {"su-1", "su-4"}),
    ({"in": {"consent_codes": ["GRU"]}}, {"su-1", "su-2"}),
    ({"path": "samples.aliquots", "filter": {"=": {"analyte_type": "DNA"}}}, {"su-1", "su-2"}),
    ({"nested": {"path": "samples.aliquots", "=": {"analyte_type": "RNA"}}}, {"su-1", "su-3"}),
    (
        {
            "nested": {
                "path": "samples",
                "nested": {"path": "aliquots", "=": {"analyte_type": "RNA"}},
            }
        },
        {"su-1", "su-3"},
    ),
    ({"path": FILES, "filter": {"=": {"data_format": "FASTQ"}}}, {"su-2"}),
    ({"=": {f"{FILES}.data_format": "BAM"}}, {"su-1", "su-2"}),
    # Subjects with a sample of tissue type Normal and a file of format BAM: no ETL needed.
    (
        {
            "AND": [
                {"path": "samples", "filter": {"=": {"tissue_type": "Normal"}}},
                {"path": FILES, "filter": {"=": {"data_format": "BAM"}}},
            ]
        },
        {"su-1"},
    ),
    (
        {
            "path": "samples",
            "filter": {"AND": [{"=": {"tissue_type": "Tumor"}}, {"<": {"weight_mg": 20}}]},
        },
        {"su-1"},
    ),
    ({"path": "studies.projects", "filter": {"=": {"code": "other"}}}, {"ot-1", "ot-2"}),
]


@pytest.mark.parametrize(("guppy_filter", "expected"), SUBJECT_FILTERS)
def test_subject_filters(cohort: TestClient, guppy_filter: Any, expected: set[str]) -> None:
    assert matching(cohort, "subject", guppy_filter) == expected


def test_a_filter_from_a_file_up_to_its_subject(cohort: TestClient) -> None:
    up = "read_groups.aliquots.samples.subjects"
    assert matching(cohort, "submitted_unaligned_reads", {"=": {f"{up}.submitter_id": "su-1"}}) == {
        "f-1"
    }


ERRORS = [
    ({"bogus": {"a": 1}}, "unknown operator 'bogus'"),
    ({"=": {"nope": 1}}, "'nope' is not a property of sample"),
    ({"=": {"a": 1, "b": 2}}, "'=' takes one field"),
    ({"in": {"sample_type": "Metastatic"}}, "'IN' takes a list"),
    ({"=": {"sample_type": ["a"]}}, "takes one value"),
    ({"AND": {"=": {"sample_type": "x"}}}, "'AND' takes a list"),
    ({"nested": {"=": {"sample_type": "x"}}}, "'nested' takes"),
    ({"path": "nowhere", "filter": {}}, "'nowhere' is neither a link of sample nor a node type"),
    ({"=": {"subjects.nope": 1}}, "'nope' is not a property of subject"),
    ({"search": {"fields": ["sample_type"]}}, "'search' takes"),
    (5, "expected an object"),
]


@pytest.mark.parametrize(("guppy_filter", "message"), ERRORS)
def test_bad_filters_are_400_with_the_reason(
    cohort: TestClient, guppy_filter: Any, message: str
) -> None:
    for query in (
        "query ($f: JSON) { sample(filter: $f) { id } }",
        "query ($f: JSON) { _aggregation { sample(filter: $f) { _totalCount } } }",
    ):
        assert message in guppy_error(cohort, query, {"f": guppy_filter})


def test_bad_requests_are_400_never_500(cohort: TestClient) -> None:
    assert guppy_error(cohort, "{ sample { nope } }").startswith("Cannot query field 'nope'")
    assert "Syntax Error" in guppy_error(cohort, "{ sample {")
    assert "offset + first is at most 10000" in guppy_error(
        cohort, "{ sample(first: 10001) { id } }"
    )
    assert "cannot be negative" in guppy_error(cohort, "{ sample(offset: -1) { id } }")
    assert "'nope' is not a field of sample" in guppy_error(
        cohort, "query ($s: JSON) { sample(sort: $s) { id } }", {"s": [{"nope": "asc"}]}
    )
    assert "must be asc or desc" in guppy_error(
        cohort, "query ($s: JSON) { sample(sort: $s) { id } }", {"s": {"weight_mg": "up"}}
    )
    for body in (
        b"not json",
        b"[1]",
        b'{"query": 5}',
        b'{"query": "{ _mapping { sample } }", "variables": 3}',
    ):
        response = cohort.post("/guppy/graphql", content=body)
        assert response.status_code == 400, body
