"""Guppy's rows and `POST /guppy/download`: pages, sorts, formats, streaming, errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from starlette.testclient import TestClient

from engine.query.rows import iter_rows
from engine.query.scope import Scope
from tests.explore_cohort import cohort_client, guppy

SAMPLES = ["os-1", "sa-1", "sa-2", "sa-3", "sa-4", "sa-5"]


@pytest.fixture(scope="module")
def cohort(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TestClient:
    return cohort_client(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


def test_rows_page_and_sort(cohort: TestClient) -> None:
    query = (
        "query ($s: JSON, $o: Int, $n: Int) { sample(sort: $s, offset: $o, first: $n) "
        "{ submitter_id weight_mg is_ffpe project_id } }"
    )
    by_id = [{"submitter_id": "asc"}]
    pages = [guppy(cohort, query, {"s": by_id, "o": offset, "n": 4})["sample"] for offset in (0, 4)]
    assert [row["submitter_id"] for page in pages for row in page] == SAMPLES
    heaviest = guppy(cohort, query, {"s": {"weight_mg": "desc"}, "n": 2})["sample"]
    assert [(r["submitter_id"], r["weight_mg"]) for r in heaviest] == [
        ("sa-5", 99.0),
        ("sa-3", 40.0),
    ]
    assert guppy(cohort, "{ sample { id } }")["sample"].__len__() == 6


def test_download_json_is_every_matching_record(cohort: TestClient) -> None:
    response = cohort.post(
        "/guppy/download",
        json={"type": "sample", "filter": {"=": {"sample_type": "Primary Tumor"}}},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/json"
    )
    assert "sample.json" in response.headers["content-disposition"]
    rows = json.loads(response.text)
    assert sorted(row["submitter_id"] for row in rows) == ["os-1", "sa-1", "sa-3", "sa-5"]
    assert {"id", "project_id", "weight_mg"} <= set(rows[0])


@pytest.mark.parametrize(("fmt", "delimiter", "items"), [("tsv", "\t", ","), ("csv", ",", "#")])
def test_download_tables_with_chosen_fields_and_sort(
    cohort: TestClient, fmt: str, delimiter: str, items: str
) -> None:
    response = cohort.post(
        "/guppy/download",
        json={
            "type": "subject",
            "format": fmt,
            "fields": ["submitter_id", "consent_codes", "primary_site"],
            "sort": [{"submitter_id": "desc"}],
            "filter": {"path": "samples", "filter": {}},
        },
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text), delimiter=delimiter))
    assert rows[0] == ["submitter_id", "consent_codes", "primary_site"]
    assert rows[1:] == [
        ["su-4", "HMB", ""],
        ["su-3", "", "Colon"],
        ["su-2", "GRU", "Lung"],
        ["su-1", f"GRU{items}HMB", "Colon"],
        ["ot-1", "", ""],
    ]


def test_downloads_are_read_page_by_page(cohort: TestClient) -> None:
    graph = cohort.app.state.stores.graph
    dictionary = cohort.app.state.compiled.dictionary
    scope = Scope(dictionary, dictionary.nodes["sample"])
    before = graph.round_trips
    rows = iter_rows(graph, scope, sort=[{"submitter_id": "asc"}], page=2)
    assert graph.round_trips == before
    assert [next(rows)["submitter_id"] for _ in range(3)] == SAMPLES[:3]
    assert graph.round_trips - before == 2
    assert [row["submitter_id"] for row in rows] == SAMPLES[3:]
    assert graph.round_trips - before == 4


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "nope"}, "'type' must be one of"),
        ({"type": "sample", "format": "xml"}, "'format' must be json, tsv or csv"),
        ({"type": "sample", "fields": ["nope"]}, "'fields' must be a list of fields of sample"),
        ({"type": "sample", "accessibility": "some"}, "'accessibility' must be one of"),
        ({"type": "sample", "filter": {"=": {"nope": 1}}}, "'nope' is not a property of sample"),
        ({"type": "sample", "sort": [{"nope": "asc"}]}, "'nope' is not a field of sample"),
    ],
)
def test_bad_downloads_are_400(cohort: TestClient, body: dict, message: str) -> None:
    response = cohort.post("/guppy/download", json=body)
    assert response.status_code == 400 and message in response.json()["message"]


def test_download_body_must_be_an_object(cohort: TestClient) -> None:
    assert cohort.post("/guppy/download", content=b"[]").status_code == 400
    assert cohort.post("/guppy/download", content=b"{").status_code == 400
