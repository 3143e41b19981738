"""A writer of one project learns nothing of another's entities from the submission API.

The submitter of `demo-a` probes `other-b` (tests/auth_world.py), whose ids
and submitter_ids are the needles: every answer about one of B's entities
must read as the answer about an entity that does not exist, the probed
value itself aside. Then the bodies that hold nothing, and the values no
property may hold.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.auth_world import BASE, World, build_world

A = f"{BASE}/demo/a"
GRAPHQL = "/api/v0/submission/graphql"
TSV = {"content-type": "text/tab-separated-values"}
# A uuid4 in the answer that is not the probe: an id assigned to a new entity.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def world(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> World:
    """The shared world, and in B a demographic holding zz-b-su-1's one_to_one link."""
    world = build_world(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )
    demographic = {
        "type": "demographic",
        "submitter_id": "zz-b-dm-1",
        "subjects": {"submitter_id": "zz-b-su-1"},
    }
    answer = world.client("admin").put(f"{BASE}/other/b", json=demographic).json()
    assert answer["success"], answer
    world.names["b_demographic"] = answer["entities"][0]["id"]
    world.names["b_study"] = world.graph.read(
        "MATCH (n:study {submitter_id: 'zz-b-st'}) RETURN n.id AS id"
    )[0]["id"]
    world.needles |= {"zz-b-dm-1", world.names["b_demographic"]}
    return world


def fresh() -> str:
    return str(uuid.uuid4())


def leaked(world: World, response: httpx.Response, probe: str) -> set[str]:
    return {needle for needle in world.needles if needle in response.text and needle != probe}


def reading(response: httpx.Response, probe: str) -> tuple[int, Any]:
    """Status and body, the probe and ids assigned to new entities masked, the transaction id gone."""
    text = _UUID.sub("<new>", response.text.replace(probe, "<probe>"))
    if not response.headers.get("content-type", "").startswith("application/json"):
        return response.status_code, text
    body = json.loads(text)
    if isinstance(body, dict):
        body.pop("transaction_id", None)
    return response.status_code, body


def same_as_unknown(
    world: World, send: Any, hidden: str, unknown: str
) -> tuple[httpx.Response, httpx.Response]:
    """`send(value)` for B's value and for an unknown one: the same answer, and no needle in it."""
    known, absent = send(hidden), send(unknown)
    assert not leaked(world, known, hidden), known.text
    assert reading(known, hidden) == reading(absent, unknown), (known.text, absent.text)
    return known, absent


def subject(submitter_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "subject",
        "submitter_id": submitter_id,
        "studies": {"submitter_id": "a-st"},
        **extra,
    }


def sample(submitter_id: str, subject_ref: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "sample",
        "submitter_id": submitter_id,
        "sample_type": "Primary Tumor",
        "subjects": subject_ref,
    }


# Finding 3: existence oracles ---------------------------------------------------


@pytest.mark.parametrize("route", ["", "/_dry_run"])
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_an_id_of_another_project_is_refused_as_any_taken_id(
    world: World, method: str, route: str
) -> None:
    """B's subject id on a new subject of A reads as an id taken in A by another type does."""
    bob = world.client("submitter")

    def send(value: str) -> httpx.Response:
        return bob.request(method, A + route, json=subject("a-su-new", id=value))

    b_subject, a_study = world.names["b_subject"], world.values("submitter")["my_study"]
    known, _ = same_as_unknown(world, send, b_subject, a_study)
    assert known.status_code == 400 and "another project" not in known.text
    errors = known.json()["entities"][0]["errors"]
    assert [(e["type"], e["keys"]) for e in errors] == [("NOT_UNIQUE", ["id"])]
    assert world.graph.read("MATCH (n {submitter_id: 'a-su-new'}) RETURN n.id") == []


def test_an_id_of_another_type_elsewhere_is_taken_too(world: World) -> None:
    """ids are unique across the graph: B's study id cannot become a subject of A."""
    bob = world.client("submitter")
    answer = bob.put(A, json=subject("a-su-stolen", id=world.names["b_study"]))
    assert answer.status_code == 400, answer.text
    assert answer.json()["entities"][0]["errors"][0]["keys"] == ["id"]
    assert not leaked(world, answer, world.names["b_study"])
    assert world.graph.read("MATCH (n {submitter_id: 'a-su-stolen'}) RETURN n.id") == []


@pytest.mark.parametrize("route", ["", "/_dry_run"])
def test_a_link_to_an_entity_of_another_project_reads_as_a_link_to_nothing(
    world: World, route: str
) -> None:
    bob = world.client("submitter")

    def send(value: str) -> httpx.Response:
        return bob.put(A + route, json=sample("a-sa-probe", {"id": value}))

    known, _ = same_as_unknown(world, send, world.names["b_subject"], fresh())
    assert known.status_code == 400 and "another project" not in known.text


def test_a_link_by_submitter_id_of_another_project_reads_as_a_link_to_nothing(
    world: World,
) -> None:
    """Already so before this work (submitter_ids were looked up in the project); a guard."""
    bob = world.client("submitter")

    def send(value: str) -> httpx.Response:
        return bob.put(A + "/_dry_run", json=sample("a-sa-probe", {"submitter_id": value}))

    same_as_unknown(world, send, "zz-b-su-1", "zz-b-su-9")


@pytest.mark.parametrize("route", ["", "/_dry_run"])
def test_a_one_to_one_link_held_in_another_project_names_nobody(world: World, route: str) -> None:
    """A subject sent with B's id (refused) and a demographic of A linking to that id.

    The demographic's answer must be the one it gets when the id is new: it
    never learns that B's demographic holds the link.
    """
    bob = world.client("submitter")

    def send(value: str) -> httpx.Response:
        docs = [
            subject("a-su-121", id=value),
            {"type": "demographic", "submitter_id": "a-dm-121", "subjects": {"id": value}},
        ]
        return bob.put(A + route, json=docs)

    b_subject = world.names["b_subject"]
    known = send(b_subject)
    assert known.status_code == 400
    assert not leaked(world, known, b_subject), known.text
    demographic = known.json()["entities"][1]
    assert demographic["valid"] and demographic["errors"] == [], demographic
    assert "already linked" not in known.text


def test_a_one_to_one_link_taken_in_the_callers_project_still_says_so(world: World) -> None:
    """What the caller may read is still named: the fix must not blunt the own-project answer."""
    bob = world.client("submitter")
    first = {
        "type": "demographic",
        "submitter_id": "a-dm-1",
        "subjects": {"submitter_id": "a-su-2"},
    }
    assert bob.put(A, json=first).status_code == 200
    second = dict(first, submitter_id="a-dm-2")
    answer = bob.put(A + "/_dry_run", json=second)
    assert answer.status_code == 400
    assert "already linked from demographic" in answer.text


@pytest.mark.parametrize(
    ("method", "query"),
    [("GET", ""), ("DELETE", ""), ("DELETE", "?cascade=true&delete_records=true")],
)
def test_entities_of_another_project_read_as_unknown_ids(
    world: World, method: str, query: str
) -> None:
    """Already answered as unknown ids before this work; kept so that it stays so."""
    bob = world.client("submitter")

    def send(value: str) -> httpx.Response:
        return bob.request(method, f"{A}/entities/{value}{query}")

    known, _ = same_as_unknown(world, send, world.names["b_subject"], fresh())
    assert known.status_code in (400, 404)
    assert world.graph.read(
        "MATCH (n:subject {id: $id}) RETURN n.id", {"id": world.names["b_subject"]}
    )


@pytest.mark.parametrize("fmt", ["json", "tsv"])
def test_export_and_manifest_of_another_projects_ids_read_as_unknown_ids(
    world: World, fmt: str
) -> None:
    """Already answered as unknown ids before this work; kept so that it stays so."""
    bob = world.client("submitter")
    b_subject = world.names["b_subject"]
    same_as_unknown(
        world, lambda v: bob.get(f"{A}/export?ids={v}&format={fmt}"), b_subject, fresh()
    )
    same_as_unknown(world, lambda v: bob.get(f"{A}/manifest?ids={v}"), b_subject, fresh())


def test_graphql_submission_of_a_link_to_another_project_reads_as_a_link_to_nothing(
    world: World,
) -> None:
    bob = world.client("submitter")
    mutation = """mutation ($id: String) { submitSample(project_id: "demo-a", dry_run: true,
      input: [{submitter_id: "a-sa-gql", sample_type: "Primary Tumor", subjects: [{id: $id}]}]) {
      code success entities { valid errors { type keys message } } } }"""

    def send(value: str) -> httpx.Response:
        return bob.post(GRAPHQL, json={"query": mutation, "variables": {"id": value}})

    known, _ = same_as_unknown(world, send, world.names["b_subject"], fresh())
    assert known.json()["data"]["submitSample"]["code"] == 400


# Finding 7: bodies that hold nothing, values that no property may hold -------------


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("[]", {"content-type": "application/json"}),
        ("type\tsubmitter_id\tstudies.submitter_id\n", TSV),
        ("type\tsubmitter_id\n\n\t\n", TSV),
        ("type,submitter_id\n", {"content-type": "text/csv"}),
    ],
    ids=["json-list", "tsv-header", "tsv-blank-rows", "csv-header"],
)
@pytest.mark.parametrize("route", ["", "/_dry_run"])
def test_a_submission_of_nothing_is_refused(
    world: World, body: str, headers: dict[str, str], route: str
) -> None:
    answer = world.client("submitter").put(A + route, content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    found = answer.json()
    assert found["code"] == 400 and found["success"] is False
    assert found["entities"] == [] and found["created_entity_count"] == 0
    assert found["transactional_errors"] == ["Nothing to submit: the request holds no entities"]


def test_a_bulk_item_of_nothing_is_refused(world: World) -> None:
    items = [
        {"name": "s.json", "doc": json.dumps(subject("a-su-bulk")), "doc_format": "json"},
        {"name": "empty.tsv", "doc": "type\tsubmitter_id\n", "doc_format": "tsv"},
    ]
    answer = world.client("submitter").put(f"{A}/bulk", json=items)
    assert answer.status_code == 400, answer.text
    assert "empty.tsv" in answer.json()["message"]
    assert world.graph.read("MATCH (n {submitter_id: 'a-su-bulk'}) RETURN n.id") == []


def test_a_graphql_submission_of_nothing_is_refused(world: World) -> None:
    mutation = """mutation { submitSubject(project_id: "demo-a", input: []) {
      code success transactional_errors } }"""
    answer = world.client("submitter").post(GRAPHQL, json={"query": mutation})
    assert answer.json()["data"]["submitSubject"] == {
        "code": 400,
        "success": False,
        "transactional_errors": ["Nothing to submit: the request holds no entities"],
    }


@pytest.mark.parametrize("ids", [",", ",,", "%20,%20", "%20"])
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_id_list_of_nothing_is_refused(world: World, method: str, ids: str) -> None:
    answer = world.client("submitter").request(method, f"{A}/entities/{ids}")
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == 400
    assert "no ids" in answer.text


def test_an_export_of_no_ids_is_refused(world: World) -> None:
    answer = world.client("submitter").get(f"{A}/export?ids=,")
    assert answer.status_code == 400 and "export needs ids=" in answer.text


def test_a_graphql_delete_of_nothing_is_refused(world: World) -> None:
    mutation = 'mutation { delete(project_id: "demo-a", ids: []) { code success } }'
    answer = world.client("submitter").post(GRAPHQL, json={"query": mutation})
    assert answer.json()["data"]["delete"] == {"code": 400, "success": False}


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"])
def test_control_characters_in_a_submitter_id_are_refused(world: World, char: str) -> None:
    submitter_id = f"a-su{char}x"
    answer = world.client("submitter").put(A, json=subject(submitter_id))
    assert answer.status_code == 400, answer.text
    errors = answer.json()["entities"][0]["errors"]
    assert [(e["type"], e["keys"]) for e in errors] == [("INVALID_VALUE", ["submitter_id"])]
    assert f"U+{ord(char):04X}" in errors[0]["message"]
    stored = "MATCH (n:subject {submitter_id: $s}) RETURN n.id"
    assert world.graph.read(stored, {"s": submitter_id}) == []


def test_control_characters_in_any_text_property_are_refused(world: World) -> None:
    docs = [
        subject("a-su-ok", disease_type="tab\there\nand\r\nnewlines"),
        subject("a-su-nul", primary_site="lung\x00"),
        subject("a-su-list", consent_codes=["GRU", "H\x07MB"]),
    ]
    answer = world.client("submitter").put(A, json=docs)
    assert answer.status_code == 400, answer.text
    entities = answer.json()["entities"]
    assert entities[0]["valid"]
    assert [e["keys"] for e in entities[1]["errors"]] == [["primary_site"]]
    assert [e["keys"] for e in entities[2]["errors"]] == [["consent_codes"]]


def test_a_nul_in_a_tsv_cell_names_its_row_and_column(world: World) -> None:
    tsv = "type\tsubmitter_id\tstudies.submitter_id\nsubject\ta-su-t1\ta-st\nsubject\ta-su\x00t2\ta-st\n"
    answer = world.client("submitter").put(A, content=tsv, headers=TSV)
    assert answer.status_code == 400, answer.text
    entities = answer.json()["entities"]
    assert entities[0]["valid"] and not entities[1]["valid"]
    assert entities[1]["errors"][0]["keys"] == ["submitter_id"]
