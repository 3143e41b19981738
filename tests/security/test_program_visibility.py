"""Finding 7: a program's name, id and accession are seen only by those who may read beneath it.

A program has no project_id, so a filter on project_id alone (Gen3's
peregrine) shows every program to everyone. Here a program is visible
where one of its projects is readable, on every route that answers
records: peregrine's GraphQL (`program`, `_program_count`, `node`),
guppy (rows and aggregations), and the explorer's record and dictionary
views; as the submission API already lists programs.

tests/auth_world.py: programs `demo` (project A, which the reader may read)
and `other` (project B, which only the admin may).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth_world import BASE, World, build_world

SECRET_ACCESSION = "phs-secret-other"
NO_SUCH_ID = "00000000-0000-4000-8000-000000000000"
PEREGRINE = (
    "{ program(first: 0) { id name dbgap_accession_number } _program_count "
    'other: node(id: "%s", of_type: ["program"]) { id } project(first: 0) { programs { name } } }'
)
GUPPY = (
    "{ program(accessibility: all, first: 100) { id name dbgap_accession_number } "
    "_aggregation { "
    "all: program(accessibility: all) { _totalCount name { histogram { key count } } "
    "dbgap_accession_number { histogram { key count } } id { histogram { key count } } } "
    "un: program(accessibility: unaccessible) { _totalCount name { histogram { key count } } } } }"
)
# caller: the programs they may see
SEEN = {"anonymous": set(), "logged_in": set(), "reader": {"demo"}, "admin": {"demo", "other"}}


@pytest.fixture(scope="module")
def world(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> World:
    world = build_world(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )
    program = {"type": "program", "name": "other", "dbgap_accession_number": SECRET_ACCESSION}
    response = world.client("admin").put(f"{BASE}/", json=program)
    assert response.status_code == 200, response.text
    return world


@pytest.fixture(scope="module")
def programs(world: World) -> dict[str, str]:
    rows = world.graph.read("MATCH (p:program) RETURN p.name AS name, p.id AS id")
    return {row["name"]: row["id"] for row in rows}


def _leaks(text: str, programs: dict[str, str], caller: str) -> list[str]:
    hidden = {"other"} - SEEN[caller]
    needles = [programs[name] for name in hidden] + ([SECRET_ACCESSION] if hidden else [])
    return [needle for needle in needles if needle in text]


@pytest.mark.parametrize("level", ["private", "regular", "libre"])
@pytest.mark.parametrize("caller", list(SEEN))
def test_peregrine_shows_a_program_only_to_readers_beneath_it(
    world: World, programs: dict[str, str], level: str, caller: str
) -> None:
    client = world.client(caller, world.at_tier(level, 50))
    response = client.post(f"{BASE}/graphql", json={"query": PEREGRINE % programs["other"]})
    assert not _leaks(response.text, programs, caller)
    if caller == "anonymous":  # reads nothing: told to log in
        assert response.status_code == 401, response.text
        return
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert {program["name"] for program in data["program"]} == SEEN[caller]
    assert data["_program_count"] == len(SEEN[caller])
    assert data["other"] == ([{"id": programs["other"]}] if "other" in SEEN[caller] else [])
    linked = {p["name"] for project in data["project"] for p in project["programs"]}
    assert linked == SEEN[caller]


@pytest.mark.parametrize("caller", list(SEEN))
def test_guppy_shows_a_program_only_to_readers_beneath_it(
    world: World, programs: dict[str, str], caller: str
) -> None:
    response = world.client(caller, world.at_tier("private", 50)).post(
        "/guppy/graphql", json={"query": GUPPY}
    )
    assert response.status_code == 200, response.text
    assert not _leaks(response.text, programs, caller)
    data = response.json()["data"]
    assert {row["name"] for row in data["program"]} == SEEN[caller]
    found = data["_aggregation"]
    assert found["all"]["_totalCount"] == len(SEEN[caller])
    assert {b["key"] for b in found["all"]["name"]["histogram"]} == SEEN[caller]
    assert found["un"] == {"_totalCount": 0, "name": {"histogram": []}}


@pytest.mark.parametrize("level", ["private", "regular", "libre"])
@pytest.mark.parametrize("caller", list(SEEN))
def test_the_explorer_shows_a_program_only_to_readers_beneath_it(
    world: World, programs: dict[str, str], level: str, caller: str
) -> None:
    client = world.client(caller, world.at_tier(level, 50))
    for name, program_id in programs.items():
        response = client.get(f"/api/v0/explore/records/program/{program_id}")
        if name in SEEN[caller]:
            assert response.status_code == 200 and response.json()["record"]["name"] == name
        else:  # as if there were no such program
            missing = client.get(f"/api/v0/explore/records/program/{NO_SUCH_ID}")
            assert response.json() == {
                **missing.json(),
                "message": f"no program with id {program_id}",
            }
            assert response.status_code == missing.status_code == 404
    response = client.get("/api/v0/explore/dictionary")
    assert response.status_code == 200, response.text
    counts = {node["name"]: node["count"] for node in response.json()["nodes"]}
    assert counts["program"] == len(SEEN[caller])


def test_a_reader_sees_their_program_beside_their_project(
    world: World, programs: dict[str, str]
) -> None:
    client = world.client("reader", world.at_tier("private", 50))
    project_id = world.graph.read("MATCH (p:project {code: 'a'}) RETURN p.id AS id")[0]["id"]
    found: dict[str, Any] = client.get(f"/api/v0/explore/records/project/{project_id}").json()
    (edge,) = [edge for edge in found["edges"] if edge["target"] == "program"]
    assert [n["name"] for n in edge["neighbours"]] == ["demo"] and edge["count"] == 1


@pytest.mark.parametrize(("level", "total"), [("regular", 2), ("libre", 2)])
def test_programs_are_counted_as_the_tier_allows(
    world: World, programs: dict[str, str], level: str, total: int
) -> None:
    """Beyond `private`, the logged-in caller counts programs they cannot read, as any record."""
    response = world.client("logged_in", world.at_tier(level, 1)).post(
        "/guppy/graphql", json={"query": GUPPY}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["program"] == []  # never a row
    found = data["_aggregation"]
    assert found["all"]["_totalCount"] == found["un"]["_totalCount"] == total
    names = {b["key"] for b in found["all"]["name"]["histogram"]}
    assert names == (set(programs) if level == "libre" else set())  # a name is no enum value
