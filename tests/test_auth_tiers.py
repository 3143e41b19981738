"""Tiered access, as guppy has it: what a caller learns of data they cannot read, per TIER_ACCESS_LEVEL.

The reader of project A (3 subjects) asks about everything, B included (2
subjects they cannot read), at each tier (tests/auth_world.py):

- `private`: only A is ever counted, whatever `accessibility` says
  (`unaccessible` counts nothing);
- `regular`: counts spanning B are shown only from TIER_ACCESS_LIMIT up,
  else -1, and a bucket spanning B keeps its key only when the key is public;
- `libre`: every count is shown.

At every tier, rows come from A alone and no id or submitter_id of B is
answered, not even as a histogram key.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth_world import A, B, World, build_world

COUNTS = """{ _aggregation {
  accessible: subject(accessibility: accessible) { _totalCount }
  unaccessible: subject(accessibility: unaccessible) { _totalCount }
  all: subject(accessibility: all) {
    _totalCount
    project_id { histogram { key count } }
    species { histogram { key count } }
    submitter_id { histogram { key count } }
  }
} }"""
ROWS = "{ subject(first: 100, accessibility: all) { submitter_id project_id } }"
A_SUBJECTS = {"a-su-1": 1, "a-su-2": 1, "a-su-3": 1}

# level, limit: totals (accessible, unaccessible, all), and the `all` histograms' buckets
TIERS = [
    ("private", 50, (3, 0, 3), {A: 3}, {"Homo sapiens": 3}, A_SUBJECTS),
    ("regular", 50, (3, -1, -1), {}, {"Homo sapiens": -1}, {}),
    ("regular", 1, (3, 2, 5), {}, {"Homo sapiens": 5}, {}),
    ("libre", 50, (3, 2, 5), {A: 3, B: 2}, {"Homo sapiens": 5}, {}),
]


@pytest.fixture(scope="module")
def world(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> World:
    return build_world(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )


def _buckets(histogram: list[dict[str, Any]]) -> dict[Any, int]:
    return {bucket["key"]: bucket["count"] for bucket in histogram}


def _guppy(world: World, caller: str, app: Any, query: str) -> tuple[dict[str, Any], str]:
    response = world.client(caller, app).post("/guppy/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    return response.json()["data"], response.text


@pytest.mark.parametrize(("level", "limit", "totals", "projects", "species", "subjects"), TIERS)
def test_what_a_reader_learns_of_data_they_cannot_read(
    world: World,
    level: str,
    limit: int,
    totals: tuple[int, int, int],
    projects: dict[str, int],
    species: dict[str, int],
    subjects: dict[str, int],
) -> None:
    app = world.at_tier(level, limit)
    data, text = _guppy(world, "reader", app, COUNTS)
    found = data["_aggregation"]
    assert (
        tuple(found[key]["_totalCount"] for key in ("accessible", "unaccessible", "all")) == totals
    )
    assert _buckets(found["all"]["project_id"]["histogram"]) == projects
    assert _buckets(found["all"]["species"]["histogram"]) == species
    assert _buckets(found["all"]["submitter_id"]["histogram"]) == subjects

    rows, rows_text = _guppy(world, "reader", app, ROWS)
    assert {row["project_id"] for row in rows["subject"]} == {A} and len(rows["subject"]) == 3
    download = world.client("reader", app).post(
        "/guppy/download", json={"type": "subject", "accessibility": "all"}
    )
    identifiers = world.needles - {B}  # libre shows B's project_id as a key
    for answer in (text, rows_text, download.text):
        assert not {needle for needle in identifiers if needle in answer}


@pytest.mark.parametrize(("level", "everything"), [("private", 0), ("regular", 5), ("libre", 5)])
def test_anonymous_callers_count_only_what_the_tier_shows(
    world: World, level: str, everything: int
) -> None:
    data, _ = _guppy(world, "anonymous", world.at_tier(level, 1), COUNTS)
    assert data["_aggregation"]["accessible"]["_totalCount"] == 0
    assert data["_aggregation"]["all"]["_totalCount"] == everything


def test_the_admin_reads_everything_at_any_tier(world: World) -> None:
    data, _ = _guppy(world, "admin", world.at_tier("private", 50), COUNTS)
    assert data["_aggregation"]["all"]["_totalCount"] == 5
    assert _buckets(data["_aggregation"]["all"]["project_id"]["histogram"]) == {A: 3, B: 2}
