"""Linked-node facets on `/guppy/graphql`: a subject's samples, aliquots and files as facets
(`sample { sample_type { histogram } }`), counted by distinct subject, and filters on them
(`sample.sample_type`, guppy's `nested` with a type as path) combined across types.

Expected values are read off the cohort (tests/explore_cohort.py) by hand: su-1 has two
samples (Primary Tumor, Solid Tissue Normal), su-2 one (Primary Tumor), su-3 one
(Metastatic), su-4 one (Primary Tumor); ot-1 one (Primary Tumor), ot-2 none.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.explore_cohort import cohort_client, guppy, guppy_error

SUBJECTS = 6


@pytest.fixture(scope="module")
def cohort(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TestClient:
    return cohort_client(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


def buckets(answer: list[dict]) -> dict[Any, int]:
    return {bucket["key"]: bucket["count"] for bucket in answer}


def subject_ids(client: TestClient, guppy_filter: Any) -> set[str]:
    rows = guppy(
        client,
        "query ($f: JSON) { subject(filter: $f, first: 100) { submitter_id } }",
        {"f": guppy_filter},
    )["subject"]
    return {row["submitter_id"] for row in rows}


def test_a_linked_facet_counts_each_subject_once_per_value(cohort: TestClient) -> None:
    answer = guppy(
        cohort,
        "{ _aggregation { subject { _totalCount sample { sample_type { histogram { key count } } } "
        "submitted_unaligned_reads { data_format { histogram { key count } } } } } }",
    )["_aggregation"]["subject"]
    assert answer["_totalCount"] == SUBJECTS
    # su-1's two samples: counted once under each of their two values, never twice under one.
    assert buckets(answer["sample"]["sample_type"]["histogram"]) == {
        "Primary Tumor": 4,
        "Solid Tissue Normal": 1,
        "Metastatic": 1,
        "no data": 1,
    }
    # Files four links below: f-1 (BAM) is su-1's; f-2 (FASTQ) and f-3 (BAM) are su-2's.
    assert buckets(answer["submitted_unaligned_reads"]["data_format"]["histogram"]) == {
        "BAM": 2,
        "FASTQ": 1,
        "no data": 4,
    }


def test_a_linked_number_facet_counts_subjects_in_each_bucket(cohort: TestClient) -> None:
    answer = guppy(
        cohort,
        "{ _aggregation { subject { sample { weight_mg { "
        "all: histogram { count min max } "
        "bins: histogram(rangeStart: 0, rangeEnd: 99.5, rangeStep: 50) { key count } } } } } }",
    )["_aggregation"]["subject"]["sample"]["weight_mg"]
    # su-1 (10, 25.5), su-2 (40), su-4 (99); su-3's sample has no weight.
    assert answer["all"] == [{"count": 3, "min": 10.0, "max": 99.0}]
    assert answer["bins"] == [{"key": [0, 50], "count": 2}, {"key": [50, 100], "count": 1}]


@pytest.mark.parametrize(
    ("guppy_filter", "expected"),
    [
        ({"in": {"sample.sample_type": ["Metastatic"]}}, {"su-3"}),
        ({"nested": {"path": "sample", "AND": [{"=": {"sample_type": "Metastatic"}}]}}, {"su-3"}),
        ({"=": {"aliquot.analyte_type": "RNA"}}, {"su-1", "su-3"}),
        (
            {
                "AND": [
                    {"=": {"sample.tissue_type": "Tumor"}},
                    {"nested": {"path": "aliquot", "=": {"analyte_type": "RNA"}}},
                    {"=": {"species": "Homo sapiens"}},
                ]
            },
            {"su-1"},
        ),
        ({"=": {"submitted_unaligned_reads.data_format": "FASTQ"}}, {"su-2"}),
        ({"=": {"study.study_design": "Cohort"}}, {"su-1", "su-2", "su-3", "su-4", "ot-1", "ot-2"}),
    ],
)
def test_linked_filters_combine_across_types(
    cohort: TestClient, guppy_filter: Any, expected: set[str]
) -> None:
    assert subject_ids(cohort, guppy_filter) == expected
    total = guppy(
        cohort,
        "query ($f: JSON) { _aggregation { subject(filter: $f) { _totalCount } } }",
        {"f": guppy_filter},
    )["_aggregation"]["subject"]["_totalCount"]
    assert total == len(expected)


def test_filter_self_false_keeps_a_linked_facets_other_values(cohort: TestClient) -> None:
    query = (
        "query ($f: JSON) { _aggregation { subject(filter: $f, filterSelf: false) { _totalCount "
        "sample { sample_type { histogram { key count } } } "
        "species { histogram { key count } } } } }"
    )
    answer = guppy(cohort, query, {"f": {"in": {"sample.sample_type": ["Metastatic"]}}})
    found = answer["_aggregation"]["subject"]
    assert found["_totalCount"] == 1
    assert buckets(found["sample"]["sample_type"]["histogram"])["Primary Tumor"] == 4
    assert buckets(found["species"]["histogram"]) == {"Mus musculus": 1}


def test_a_path_that_is_neither_link_nor_linked_type_is_400(cohort: TestClient) -> None:
    message = guppy_error(
        cohort,
        "query ($f: JSON) { subject(filter: $f) { id } }",
        {"f": {"nested": {"path": "core_metadata_collection", "=": {"title": "x"}}}},
    )
    # Above the subject's project, not above or below the subject.
    assert message == (
        "filter: 'core_metadata_collection' is neither a link of subject "
        "nor a node type linked to it"
    )
    message = guppy_error(
        cohort,
        "query ($f: JSON) { subject(filter: $f) { id } }",
        {"f": {"=": {"nosuchtype.x": 1}}},
    )
    assert (
        message == "filter: 'nosuchtype' is neither a link of subject nor a node type linked to it"
    )
