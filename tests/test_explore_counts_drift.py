"""Facet tallies (engine/query/tallies.py) never drift from the records they count.

Random submissions, updates and deletes go through the real submission API;
after them the tallies as kept must equal the tallies counted again from
the records, and the explorer's unfiltered charts (read from the tallies)
must equal the same charts counted over the records.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from starlette.testclient import TestClient

from engine.graph.store import GraphStore
from engine.query import tallies
from tests.explore_cohort import cohort_client, guppy

BASE = "/api/v0/submission"
PROJECTS = (("demo", "omics", "su-1"), ("demo", "other", "ot-1"))
SAMPLE_TYPES = ("Primary Tumor", "Metastatic", "Solid Tissue Normal", "Saliva")
TISSUE_TYPES = ("Tumor", "Normal", "Peritumoral", None)
CHARTS = """query ($filter: JSON) { _aggregation { sample(filter: $filter) {
  _totalCount project_id { histogram { key count } } sample_type { histogram { key count } }
  tissue_type { histogram { key count } } is_ffpe { histogram { key count } }
} } }"""


@pytest.fixture(scope="module")
def cohort(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TestClient:
    return cohort_client(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


def graph_of(client: TestClient) -> GraphStore:
    return client.app.state.stores.graph


def kept_and_recounted(client: TestClient) -> tuple[dict[str, int], dict[str, int]]:
    dictionary = client.app.state.compiled.dictionary
    return graph_of(client).execute_read(
        lambda tx: (tallies.kept_counts(tx), tallies.count_from_scratch(tx, dictionary))
    )


def charts(client: TestClient) -> dict[str, Any]:
    return guppy(client, CHARTS)["_aggregation"]["sample"]


def charts_over_records(client: TestClient) -> dict[str, Any]:
    """The same charts counted over the records: a filter that every sample meets."""
    everything = {"!=": {"submitter_id": "no such sample"}}
    return guppy(client, CHARTS, {"filter": everything})["_aggregation"]["sample"]


def _sample(rng: random.Random, submitter_id: str, subject: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "sample",
        "submitter_id": submitter_id,
        "sample_type": rng.choice(SAMPLE_TYPES),
        "subjects": {"submitter_id": subject},
    }
    tissue = rng.choice(TISSUE_TYPES)
    if tissue is not None:
        doc["tissue_type"] = tissue
    if rng.random() < 0.7:
        doc["is_ffpe"] = rng.random() < 0.5
    return doc


def test_tallies_equal_a_recount_after_random_writes(cohort: TestClient) -> None:
    rng = random.Random(20)
    alive: dict[str, tuple[str, str, str]] = {}  # submitter_id -> (program, project, subject)
    kept, recounted = kept_and_recounted(cohort)
    assert kept == recounted and kept, "the tallies start out equal to the records"
    for step in range(40):
        program, project, subject = rng.choice(PROJECTS)
        mine = [sid for sid, where in alive.items() if where[:2] == (program, project)]
        action = rng.random()
        if action < 0.5 or not mine:
            docs = [_sample(rng, f"r-{step}-{i}", subject) for i in range(rng.randint(1, 4))]
            answer = cohort.put(f"{BASE}/{program}/{project}", json=docs)
            assert answer.status_code == 200, answer.text
            alive.update({doc["submitter_id"]: (program, project, subject) for doc in docs})
        elif action < 0.8:
            docs = [_sample(rng, sid, subject) for sid in rng.sample(mine, min(2, len(mine)))]
            answer = cohort.put(f"{BASE}/{program}/{project}", json=docs)
            assert answer.status_code == 200, answer.text
        else:
            gone = rng.sample(mine, min(2, len(mine)))
            ids = [
                entity["id"]
                for entity in cohort.put(
                    f"{BASE}/{program}/{project}", json=[_sample(rng, s, subject) for s in gone]
                ).json()["entities"]
            ]
            answer = cohort.delete(f"{BASE}/{program}/{project}/entities/{','.join(ids)}")
            assert answer.status_code == 200, answer.text
            for sid in gone:
                del alive[sid]
    kept, recounted = kept_and_recounted(cohort)
    assert kept == recounted
    assert charts(cohort) == charts_over_records(cohort)


def test_a_sample_submitted_a_moment_ago_is_counted(cohort: TestClient) -> None:
    before = charts(cohort)
    doc = {
        "type": "sample",
        "submitter_id": "just-now",
        "sample_type": "Saliva",
        "is_ffpe": True,
        "subjects": {"submitter_id": "su-2"},
    }
    assert cohort.put(f"{BASE}/demo/omics", json=[doc]).status_code == 200
    after = charts(cohort)
    assert after["_totalCount"] == before["_totalCount"] + 1

    def count(answer: dict[str, Any], facet: str, key: Any) -> int:
        buckets = answer[facet]["histogram"]
        return next((b["count"] for b in buckets if str(b["key"]).lower() == key), 0)

    assert count(after, "sample_type", "saliva") == count(before, "sample_type", "saliva") + 1
    assert count(after, "is_ffpe", "true") == count(before, "is_ffpe", "true") + 1
    assert count(after, "project_id", "demo-omics") == count(before, "project_id", "demo-omics") + 1


def test_a_refused_submission_counts_nothing(cohort: TestClient) -> None:
    before = kept_and_recounted(cohort)[0]
    good = {"type": "sample", "submitter_id": "never", "sample_type": "Saliva"}
    bad = {"type": "sample", "submitter_id": "never-2", "sample_type": "no such type"}
    good["subjects"] = bad["subjects"] = {"submitter_id": "su-1"}
    answer = cohort.put(f"{BASE}/demo/omics", json=[good, bad])
    assert answer.status_code == 400
    assert kept_and_recounted(cohort)[0] == before


def test_tallies_kept_for_another_dictionary_are_counted_again(cohort: TestClient) -> None:
    graph = graph_of(cohort)
    graph.write(
        f"MATCH (c:{tallies.LABEL}) WHERE c.field = '' SET c.count = c.count + 1000 "
        f"WITH count(*) AS changed MATCH (m:CommonsCounter {{name: '{tallies.MARKER}'}}) "
        "SET m.value = 'another dictionary'"
    )
    assert charts(cohort) == charts_over_records(cohort)
    kept, recounted = kept_and_recounted(cohort)
    assert kept == recounted
