"""Unique keys beyond (project_id, submitter_id), and programs/projects whose schema requires
what the commons sets: a 4xx naming the key, never a 500, as sheepdog answers.

The dictionary is tests/fixtures/dictionaries/unique-keys: a protocol's `doi` (required, so
the store constrains it too) and `pmid` (optional: only the check guards it) are unique across
all projects, as the GDC's publication keys; a donor's `enrollment_code` is unique within its
project; the project requires `state` and the program `type`, as the GDC, MMRF, Kids First,
HNC and VA dictionaries do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from engine.dictionary.compile import CompiledDictionary, compile_dictionary
from engine.dictionary.simulate import simulate
from engine.graph.store import GraphStore
from engine.submission import projects, submit, writer
from tests.graphql_fixture import BASE, make_client

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "dictionaries" / "unique-keys"
PROGRAM = "uk"


@pytest.fixture(scope="module")
def compiled() -> CompiledDictionary:
    return compile_dictionary(FIXTURE)


def _project(code: str) -> dict[str, Any]:
    return {"type": "project", "code": code, "name": code, "dbgap_accession_number": "phs9"}


@pytest.fixture
def client(compiled: CompiledDictionary, graph: GraphStore, tmp_path: Path) -> TestClient:
    """The app over the fixture dictionary, with projects uk-a and uk-b."""
    client = make_client(graph, compiled, tmp_path)
    program = {"type": "program", "name": PROGRAM, "dbgap_accession_number": "phs8"}
    assert client.put(f"{BASE}/", json=program).status_code == 200
    for code in ("a", "b"):
        response = client.put(f"{BASE}/{PROGRAM}", json=_project(code))
        assert response.status_code == 200, response.text
    return client


def protocol(submitter_id: str, doi: str, code: str = "a", **extra: Any) -> dict[str, Any]:
    return {
        "type": "protocol",
        "submitter_id": submitter_id,
        "doi": doi,
        "projects": {"code": code},
        **extra,
    }


def donor(submitter_id: str, enrollment_code: str, code: str = "a") -> dict[str, Any]:
    return {
        "type": "donor",
        "submitter_id": submitter_id,
        "enrollment_code": enrollment_code,
        "projects": {"code": code},
    }


def errors(response: Any) -> list[tuple[int, str, list[str], str]]:
    return [
        (index, error["type"], error["keys"], error["message"])
        for index, entity in enumerate(response.json()["entities"])
        for error in entity["errors"]
    ]


def count(graph: GraphStore, label: str) -> int:
    return graph.read(f"MATCH (n:`{label}`) RETURN count(n) AS n")[0]["n"]


# Programs and projects ------------------------------------------------------------------


def test_a_project_whose_schema_requires_state_is_created_open(
    client: TestClient, graph: GraphStore
) -> None:
    """Sheepdog sets `state` (open) on creation and drops a submitted one; the schema's
    `required: [state]` is met by the value the commons sets."""
    response = client.put(f"{BASE}/{PROGRAM}", json=_project("c"))
    assert response.status_code == 200, response.text
    assert response.json()["entities"][0]["action"] == "create"
    sent = client.put(f"{BASE}/{PROGRAM}", json={**_project("c"), "state": "closed", "name": "C"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["entities"][0]["action"] == "update"
    rows = graph.read("MATCH (p:project {code: 'c'}) RETURN p.state AS state, p.name AS name")
    assert rows == [{"state": "open", "name": "C"}]


def test_a_project_missing_what_the_submitter_owes_is_still_refused(client: TestClient) -> None:
    response = client.put(f"{BASE}/{PROGRAM}", json={"type": "project", "code": "d", "name": "d"})
    assert response.status_code == 400
    assert [(e[1], e[2]) for e in errors(response)] == [
        ("MISSING_PROPERTY", ["dbgap_accession_number"])
    ]


def test_demo_loading_creates_such_a_project_too(
    compiled: CompiledDictionary, graph: GraphStore
) -> None:
    """The path `commons serve --demo` takes: projects.upsert_program/upsert_project."""
    graph.write("MATCH (n) DETACH DELETE n")
    projects.upsert_program(graph, compiled, {"name": "demo", "dbgap_accession_number": "p"})
    answer = projects.upsert_project(graph, compiled, "demo", _project("e"))
    assert answer.success, answer.to_json()


# Keys checked before writing ------------------------------------------------------------


def test_a_global_key_twice_in_one_request_is_not_unique(
    client: TestClient, graph: GraphStore
) -> None:
    response = client.put(
        f"{BASE}/{PROGRAM}/a",
        json=[protocol("p1", "10.1/x"), protocol("p2", "10.1/y"), protocol("p3", "10.1/x")],
    )
    assert response.status_code == 400
    message = "doi '10.1/x' appears more than once in this request (entities 0, 2)"
    assert errors(response) == [
        (0, "NOT_UNIQUE", ["doi"], message),
        (2, "NOT_UNIQUE", ["doi"], message),
    ]
    assert count(graph, "protocol") == 0


def test_a_global_key_held_in_the_project_or_elsewhere_reads_the_same(
    client: TestClient, graph: GraphStore
) -> None:
    """Uniqueness across projects tells that the value is taken somewhere, and nothing more: the
    answer names neither the holder's id, submitter_id nor project, and reads the same whether
    the holder is the caller's to see or not."""
    holder = client.post(f"{BASE}/{PROGRAM}/a", json=[protocol("held", "10.1/x")])
    assert holder.status_code == 201, holder.text
    holder_id = holder.json()["entities"][0]["id"]
    answers = [
        client.post(f"{BASE}/{PROGRAM}/{code}", json=[protocol("other", "10.1/x", code)])
        for code in ("a", "b")
    ]
    message = "protocol with doi '10.1/x' already exists; doi is unique across all projects"
    for answer in answers:
        assert answer.status_code == 400
        assert errors(answer) == [(0, "NOT_UNIQUE", ["doi"], message)]
        assert holder_id not in answer.text and "held" not in answer.text
        assert "uk-a" not in answer.text.replace('"project_id":"uk-a"', "")
    assert count(graph, "protocol") == 1


def test_updating_an_entity_keeps_its_own_key(client: TestClient) -> None:
    assert client.put(f"{BASE}/{PROGRAM}/a", json=[protocol("p1", "10.1/x")]).status_code == 200
    again = client.put(f"{BASE}/{PROGRAM}/a", json=[protocol("p1", "10.1/x", title="T")])
    assert again.status_code == 200, again.text
    assert again.json()["entities"][0]["action"] == "update"


def test_an_optional_key_is_checked_only_when_given(client: TestClient) -> None:
    """`pmid` is optional, so the store holds no constraint on it: the check alone guards it."""
    first = [protocol("p1", "10.1/1"), protocol("p2", "10.1/2")]
    assert client.put(f"{BASE}/{PROGRAM}/a", json=first).status_code == 200
    given = client.put(f"{BASE}/{PROGRAM}/a", json=[protocol("p3", "10.1/3", pmid="123")])
    assert given.status_code == 200, given.text
    clash = client.put(f"{BASE}/{PROGRAM}/b", json=[protocol("p4", "10.1/4", "b", pmid="123")])
    assert clash.status_code == 400
    assert errors(clash) == [
        (
            0,
            "NOT_UNIQUE",
            ["pmid"],
            "protocol with pmid '123' already exists; pmid is unique across all projects",
        )
    ]


def test_a_key_with_project_id_is_unique_within_the_project_only(client: TestClient) -> None:
    assert client.put(f"{BASE}/{PROGRAM}/a", json=[donor("d1", "E1")]).status_code == 200
    elsewhere = client.put(f"{BASE}/{PROGRAM}/b", json=[donor("d1", "E1", "b")])
    assert elsewhere.status_code == 200, elsewhere.text
    clash = client.put(f"{BASE}/{PROGRAM}/a", json=[donor("d2", "E1")])
    assert clash.status_code == 400
    assert errors(clash) == [
        (
            0,
            "NOT_UNIQUE",
            ["project_id", "enrollment_code"],
            "donor with enrollment_code 'E1' already exists in uk-a; "
            "(project_id, enrollment_code) is unique within a project",
        )
    ]
    twice = client.put(f"{BASE}/{PROGRAM}/b", json=[donor("d7", "E7", "b"), donor("d8", "E7", "b")])
    assert [(e[0], e[2]) for e in errors(twice)] == [
        (0, ["project_id", "enrollment_code"]),
        (1, ["project_id", "enrollment_code"]),
    ]


def test_a_dry_run_reports_the_clash_too(client: TestClient) -> None:
    assert client.put(f"{BASE}/{PROGRAM}/a", json=[protocol("p1", "10.1/x")]).status_code == 200
    dry = client.put(f"{BASE}/{PROGRAM}/b/_dry_run", json=[protocol("p2", "10.1/x", "b")])
    assert dry.status_code == 400
    assert [(e[1], e[2]) for e in errors(dry)] == [("NOT_UNIQUE", ["doi"])]


# Races: the store's constraint is the last word, and it answers a 4xx too ----------------


@pytest.fixture
def rival_commits_first(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Before each write of a submission of protocol `mine`, a rival transaction commits a
    protocol with the same doi in project uk-b: the check passed, the store's constraint fails.
    Yields the statuses of the rival's submissions."""
    real = writer.write_entities
    rivals: list[int] = []

    def write_after_a_rival(tx, dictionary, entities, project_id):  # noqa: ANN001, ANN202
        if any(entity.result.submitter_id == "mine" for entity in entities) and not rivals:
            response = client.put(f"{BASE}/{PROGRAM}/b", json=[protocol("rival", "10.1/race", "b")])
            rivals.append(response.status_code)
        return real(tx, dictionary, entities, project_id)

    monkeypatch.setattr(submit, "write_entities", write_after_a_rival)
    yield rivals


def test_a_rival_committing_the_key_first_makes_a_4xx(
    client: TestClient, graph: GraphStore, rival_commits_first: list[int]
) -> None:
    response = client.put(f"{BASE}/{PROGRAM}/a", json=[protocol("mine", "10.1/race")])
    assert rival_commits_first == [200]
    assert response.status_code == 400, response.text
    assert [(e[1], e[2]) for e in errors(response)] == [("NOT_UNIQUE", ["doi"])]
    assert count(graph, "protocol") == 1


def test_the_constraint_maps_to_a_4xx_when_no_retry_is_left(
    client: TestClient,
    graph: GraphStore,
    rival_commits_first: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(submit, "RACE_RETRIES", 0)
    response = client.put(f"{BASE}/{PROGRAM}/a", json=[protocol("mine", "10.1/race")])
    assert response.status_code == 400, response.text
    assert [(e[1], e[2]) for e in errors(response)] == [("NOT_UNIQUE", ["doi"])]
    assert count(graph, "protocol") == 1


def test_concurrent_writers_of_the_same_keys_get_201_or_a_4xx(
    client: TestClient, graph: GraphStore
) -> None:
    statuses: list[int] = []
    other: list[str] = []
    lock = threading.Lock()

    def write(code: str) -> None:
        for batch in range(4):
            docs = [protocol(f"{code}-{batch}-{i}", f"10.1/{batch}-{i}", code) for i in range(10)]
            response = client.post(f"{BASE}/{PROGRAM}/{code}", json=docs)
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 400 and {e[1] for e in errors(response)} != {
                    "NOT_UNIQUE"
                }:
                    other.append(response.text)

    threads = [threading.Thread(target=write, args=(code,)) for code in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {201, 400} and len(statuses) == 8 and other == []
    rows = graph.read("MATCH (n:protocol) RETURN count(n) AS n, count(DISTINCT n.doi) AS dois")
    assert rows[0]["n"] == rows[0]["dois"] == 40


def test_a_clash_gone_by_the_last_look_is_a_transactional_error(
    client: TestClient,
    graph: GraphStore,
    rival_commits_first: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The constraint failed the write, but the rival is deleted before the checks look again:
    no entity to blame, still a 4xx and nothing written."""
    monkeypatch.setattr(submit, "RACE_RETRIES", 0)
    real = submit.check_unique_keys

    def rival_deleted(tx, entities, project_id):  # noqa: ANN001, ANN202
        if rival_commits_first:
            graph.write("MATCH (n:protocol {submitter_id: 'rival'}) DETACH DELETE n")
        return real(tx, entities, project_id)

    monkeypatch.setattr(submit, "check_unique_keys", rival_deleted)
    response = client.put(f"{BASE}/{PROGRAM}/a", json=[protocol("mine", "10.1/race")])
    assert response.status_code == 400, response.text
    assert response.json()["transactional_errors"] == [submit.STORE_REFUSED]
    assert errors(response) == []
    assert count(graph, "protocol") == 0


# `commons simulate` ---------------------------------------------------------------------


def test_simulated_runs_never_share_a_global_key(
    client: TestClient, compiled: CompiledDictionary
) -> None:
    """The same seed into two projects, then another seed into the first: every run is accepted
    whole, as `commons simulate` promises, though doi and pmid are unique across projects."""
    dictionary = compiled.dictionary
    for code, seed in (("a", 5), ("b", 5), ("a", 6)):
        records = simulate(dictionary, 20, seed=seed, project=code)
        documents = [record for rows in records.values() for record in rows]
        response = client.put(f"{BASE}/{PROGRAM}/{code}", json=documents)
        assert response.status_code == 200, response.text
