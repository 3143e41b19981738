"""Facet tallies and column tables never drift from the records they count.

Random submissions, updates and deletes go through the real submission API;
after them the tallies as kept (engine/query/tallies.py) must equal the
tallies counted again from the records, and the explorer's charts (read
from the tallies and the column tables of engine/query/columns.py), filtered
or not, must equal the same charts counted by plain Cypher over the records.
"""

from __future__ import annotations

import math
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
  weight_mg { histogram(binCount: 4) { key count } }
  subject { species { histogram { key count } } }
} } }"""
STUDIES = {"su-1": "st-1", "ot-1": "st-9"}
TEXT = ("project_id", "sample_type", "tissue_type", "is_ffpe")


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


def charts_by_cypher(client: TestClient, where: str = "") -> dict[str, Any]:
    """The same charts counted by plain Cypher over the records (and binned here)."""
    graph = graph_of(client)
    found: dict[str, Any] = {
        "_totalCount": graph.read(f"MATCH (n:sample) {where} RETURN count(n) AS n")[0]["n"]
    }
    for name in TEXT:
        rows = graph.read(
            f"MATCH (n:sample) {where} RETURN n.{name} AS key, count(*) AS count "
            "ORDER BY count DESC"
        )
        keys = {True: "true", False: "false", None: "no data"}
        found[name] = {
            keys.get(r["key"], r["key"]) if name == "is_ffpe" or r["key"] is None else r["key"]: r[
                "count"
            ]
            for r in rows
        }
    weights = [
        row["w"]
        for row in graph.read(f"MATCH (n:sample) {where} RETURN n.weight_mg AS w")
        if row["w"] is not None
    ]
    species = graph.read(
        f"MATCH (n:sample) {where} OPTIONAL MATCH (n)-[:SUBJECTS]->(o:subject) "
        "WITH n, collect(DISTINCT o.species) AS found "
        "UNWIND CASE WHEN size(found) = 0 THEN ['no data'] ELSE found END AS key "
        "RETURN key, count(*) AS count"
    )
    found["subject.species"] = {row["key"]: row["count"] for row in species}
    low, high = min(weights), max(weights)
    width = (high - low) / 4 if high > low else 1.0
    counts = [0] * 4
    for weight in weights:
        counts[min(math.floor((weight - low) / width), 3)] += 1
    found["weight_mg"] = {
        (low + i * width, low + (i + 1) * width): count for i, count in enumerate(counts)
    }
    return found


def as_counts(answer: dict[str, Any]) -> dict[str, Any]:
    """An aggregation answer in the shape of `charts_by_cypher`."""
    found: dict[str, Any] = {"_totalCount": answer["_totalCount"]}
    for name in TEXT:
        found[name] = {b["key"]: b["count"] for b in answer[name]["histogram"]}
    found["weight_mg"] = {tuple(b["key"]): b["count"] for b in answer["weight_mg"]["histogram"]}
    found["subject.species"] = {
        b["key"]: b["count"] for b in answer["subject"]["species"]["histogram"]
    }
    return found


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
    if rng.random() < 0.8:
        doc["weight_mg"] = rng.choice([rng.randint(1, 90), round(rng.uniform(0, 100), 2)])
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
        elif action < 0.6:
            # A linked record changes: the samples' linked chart must see it.
            species = rng.choice(["Homo sapiens", "Mus musculus"])
            doc = {
                "type": "subject",
                "submitter_id": subject,
                "species": species,
                "studies": {"submitter_id": STUDIES[subject]},
            }
            answer = cohort.put(f"{BASE}/{program}/{project}", json=[doc])
            assert answer.status_code == 200, answer.text
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
        if step % 10 == 9:
            # Read between writes, so tables loaded at one revision must be noticed stale.
            assert as_counts(charts(cohort)) == charts_by_cypher(cohort)
    kept, recounted = kept_and_recounted(cohort)
    assert kept == recounted
    assert as_counts(charts(cohort)) == charts_by_cypher(cohort)
    filtered = guppy(cohort, CHARTS, {"filter": {"=": {"sample_type": "Saliva"}}})
    saliva = charts_by_cypher(cohort, "WHERE n.sample_type = 'Saliva'")
    assert as_counts(filtered["_aggregation"]["sample"]) == saliva


def test_a_table_is_read_again_only_after_a_write_to_its_records(
    cohort: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values are read from the records once per revision of a project's samples: a
    second request reads none, and changing only a number (no tally moves) is seen."""
    graph = graph_of(cohort)
    sent: list[str] = []
    read = graph.read

    def recorded(text: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(text)
        return read(text, *args, **kwargs)

    monkeypatch.setattr(graph, "read", recorded)
    charts(cohort)
    sent.clear()
    before = charts(cohort)
    assert not [text for text in sent if "AS records" in text or "AS pairs" in text]
    heaviest = max(b["key"][1] for b in before["weight_mg"]["histogram"])
    doc = {
        "type": "sample",
        "submitter_id": "sa-1",
        "sample_type": "Primary Tumor",
        "weight_mg": heaviest + 1000,
        "subjects": {"submitter_id": "su-1"},
    }
    assert cohort.put(f"{BASE}/demo/omics", json=[doc]).status_code == 200
    sent.clear()
    after = charts(cohort)
    assert max(b["key"][1] for b in after["weight_mg"]["histogram"]) == heaviest + 1000
    loads = [text for text in sent if "AS records" in text]
    assert len(loads) == 1, "only demo-omics's samples are read again"
    walks = [text for text in sent if "AS pairs" in text]
    assert len(walks) == 1, "the samples' links to their subjects are read again"


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
    assert as_counts(charts(cohort)) == charts_by_cypher(cohort)
    kept, recounted = kept_and_recounted(cohort)
    assert kept == recounted
