"""Peregrine's transaction log and `_links`, against the real stores.

Every submission (REST PUT/POST, bulk, dry run, deletion, GraphQL mutation,
`commons submit`) is recorded, failed ones too, and served through
`transaction_log`, `_transaction_log_count`, each node's `_transaction_logs`
and `_links`, only within readable projects. Several cases are our ports of
peregrine's tests/graphql/test_transaction_logs.py and test_graphql.py
(`test_transaction_logs`, `test_auth_transaction_logs`, the `tx_logs_*`
counts, quick search, ordering, documents and entities), run on the default
dictionary instead of GDC's.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from engine.auth.policy_store import save_policy
from engine.cli import main
from engine.graph.store import GraphStore
from engine.submission import transaction_log, writer
from tests.auth_fixture import ADMIN, bearer
from tests.auth_world import POLICY, USERS
from tests.test_submission_api import BASE, PROJECT, STUDY, count, make_project, sample, subject
from tests.test_submit_cli import live_url  # noqa: F401 - a fixture

GRAPHQL = f"{BASE}/graphql"
# The Gen3 data portal's submission page, word for word (data-portal src/Homepage/relayer.js).
PORTAL = (
    "query { transaction_log(last: 20) "
    "{ id submitter project_id created_datetime documents { doc_size doc } state } }"
)
TSV = "text/tab-separated-values"


def data(client: TestClient, query: str, variables: dict | None = None) -> dict[str, Any]:
    response = client.post(GRAPHQL, json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def logs(client: TestClient, fields: str, arguments: str = "") -> list[dict[str, Any]]:
    found = data(client, f"{{ transaction_log{arguments} {{ {fields} }} }}")["transaction_log"]
    return found


def counted(client: TestClient, arguments: str = "") -> int:
    return data(client, f"{{ n: _transaction_log_count{arguments} }}")["n"]


@pytest.fixture
def project(api: TestClient) -> TestClient:
    """demo-omics with its study: one transaction, id 1, recorded already."""
    make_project(api)
    assert api.put(PROJECT, json=[STUDY]).status_code == 200
    return api


# Writing ---------------------------------------------------------------------


def test_a_put_is_recorded_with_its_document_answer_and_snapshots(project: TestClient) -> None:
    body = "type\tsubmitter_id\tstudies.submitter_id\nsubject\tsu-1\tst-1\nsubject\tsu-2\tst-1\n"
    answer = project.put(
        PROJECT, content=body, headers={"content-type": TSV, "x-document-name": "subjects.tsv"}
    ).json()
    assert isinstance(answer["transaction_id"], int)
    fields = (
        "id submitter role type program project project_id state is_dry_run closed "
        "committed_by created_datetime quick_search canonical_json related_cases { id } "
        "documents { id transaction_id name doc_format doc doc_size response_json "
        "response { transaction_id success code message created_entity_count "
        "entities { id type action valid unique_keys warnings errors { type } } } } "
        "snapshots { id transaction_id entity_id action old_props new_props }"
    )
    [record] = logs(project, fields, f'(id: "{answer["transaction_id"]}")')
    created = record.pop("created_datetime")
    documents, snapshots = record.pop("documents"), record.pop("snapshots")
    assert record == {
        "id": str(answer["transaction_id"]),
        "submitter": ADMIN,
        "role": "update",
        "type": "upload",
        "program": "demo",
        "project": "omics",
        "project_id": "demo-omics",
        "state": "SUCCEEDED",
        "is_dry_run": False,
        "closed": False,
        "committed_by": None,
        "quick_search": None,
        "canonical_json": None,
        "related_cases": [],
    }
    assert created.startswith("20") and created.endswith("+00:00")
    [document] = documents
    assert json.loads(document.pop("response_json")) == answer
    response = document.pop("response")
    assert document == {
        "id": "1",
        "transaction_id": str(answer["transaction_id"]),
        "name": "subjects.tsv",
        "doc_format": "tsv",
        "doc": body,
        "doc_size": len(body),
    }
    assert response["success"] and response["code"] == 200
    assert response["transaction_id"] == str(answer["transaction_id"])
    assert response["created_entity_count"] == 2
    assert [(e["type"], e["action"], e["valid"]) for e in response["entities"]] == [
        ("subject", "create", True)
    ] * 2
    assert json.loads(response["entities"][0]["unique_keys"]) == [
        {"project_id": "demo-omics", "submitter_id": "su-1"}
    ]
    ids = [entity["id"] for entity in answer["entities"]]
    assert [(s["entity_id"], s["action"]) for s in snapshots] == [(i, "create") for i in ids]
    assert json.loads(snapshots[0]["old_props"]) == {}
    new = json.loads(snapshots[0]["new_props"])
    assert new["submitter_id"] == "su-1" and new["project_id"] == "demo-omics"
    assert snapshots[0]["transaction_id"] == answer["transaction_id"]


def test_ids_increase_and_post_put_delete_have_their_roles(project: TestClient) -> None:
    created = project.post(PROJECT, json=[subject("su-1")]).json()
    updated = project.put(PROJECT, json=[subject("su-1", species="Mus musculus")]).json()
    entity = created["entities"][0]["id"]
    deleted = project.delete(f"{PROJECT}/entities/{entity}").json()
    ids = [created["transaction_id"], updated["transaction_id"], deleted["transaction_id"]]
    assert ids == sorted(ids) and len(set(ids)) == 3
    records = logs(
        project,
        "id role type snapshots { entity_id action old_props new_props } "
        "documents { doc_format name doc }",
        '(order_by_asc: "id")',
    )
    assert [(r["id"], r["role"], r["type"]) for r in records[1:]] == [
        (str(ids[0]), "create", "upload"),
        (str(ids[1]), "update", "upload"),
        (str(ids[2]), "delete", "delete"),
    ]
    update, deletion = records[2]["snapshots"][0], records[3]["snapshots"][0]
    assert update["entity_id"] == entity and update["action"] == "update"
    assert json.loads(update["old_props"])["species"] == "Homo sapiens"
    assert json.loads(update["new_props"])["species"] == "Mus musculus"
    assert (deletion["entity_id"], deletion["action"]) == (entity, "delete")
    assert json.loads(deletion["old_props"])["species"] == "Mus musculus"
    assert json.loads(deletion["new_props"]) == {}
    # A deletion's document is sheepdog's stub, holding the answer.
    assert records[3]["documents"] == [{"doc_format": "N/A", "name": None, "doc": ""}]


def test_a_dry_run_is_recorded_and_writes_nothing(project: TestClient, graph: GraphStore) -> None:
    answer = project.put(f"{PROJECT}/_dry_run", json=[subject("su-1")]).json()
    assert answer["success"] and count(graph, "subject") == 0
    [record] = logs(
        project, "state is_dry_run snapshots { action }", f"(id: {answer['transaction_id']})"
    )
    assert record == {"state": "SUCCEEDED", "is_dry_run": True, "snapshots": []}


def test_a_failed_submission_is_recorded_failed_after_the_rollback(
    project: TestClient, graph: GraphStore
) -> None:
    answer = project.put(
        PROJECT, json=[subject("su-1"), subject("su-2", studies={"submitter_id": "nope"})]
    )
    assert answer.status_code == 400 and count(graph, "subject") == 0
    transaction = answer.json()["transaction_id"]
    [record] = logs(
        project,
        "state snapshots { action } documents { response { success entities { valid "
        "errors { type keys message dependents { id } } } } response_json }",
        f"(id: {transaction})",
    )
    assert record["state"] == "FAILED" and record["snapshots"] == []
    response = record["documents"][0]["response"]
    assert not response["success"]
    assert [e["valid"] for e in response["entities"]] == [True, False]
    [error] = response["entities"][1]["errors"]
    assert error["type"] == "INVALID_LINK" and error["dependents"] == []
    # peregrine's test_transaction_log_entities_errors: the same through response_json
    loaded = json.loads(record["documents"][0]["response_json"])
    assert set(loaded["entities"][1]["errors"][0]) >= {"type", "keys", "message"}


def test_an_error_in_the_write_is_recorded_errored(
    project: TestClient, graph: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("the store went away half way through")

    monkeypatch.setattr(writer, "create_nodes", broken)
    with pytest.raises(RuntimeError):
        project.put(PROJECT, json=[subject("su-1")])
    assert count(graph, "subject") == 0
    [record] = logs(
        project, "state role documents { response { success code message } }", '(state: "ERRORED")'
    )
    assert record["role"] == "update"
    assert record["documents"][0]["response"] == {
        "success": False,
        "code": 500,
        "message": transaction_log.INTERNAL_ERROR,
    }


def test_submissions_give_the_store_the_logs_constraints(
    project: TestClient, graph: GraphStore
) -> None:
    """Applied on a store's first claim, whichever way the submission came in."""
    names = {row["name"] for row in graph.read("SHOW CONSTRAINTS")}
    names |= {row["name"] for row in graph.read("SHOW INDEXES")}
    assert {
        "commons_CommonsTransaction_id_unique",
        "commons_CommonsCounter_name_unique",
        "commons_CommonsTransaction_project_id_index",
    } <= names


def test_a_submission_to_a_missing_project_records_nothing(api: TestClient) -> None:
    make_project(api)
    assert api.put(f"{BASE}/demo/nothere", json=[STUDY]).status_code == 404
    assert counted(api) == 0


def test_bulk_documents_each_keep_their_text_and_answer(project: TestClient) -> None:
    items = [
        {"name": "a.json", "doc_format": "json", "doc": json.dumps([subject("su-1")])},
        {
            "name": "b.tsv",
            "doc_format": "tsv",
            "doc": "type\tsubmitter_id\tstudies.submitter_id\nsubject\tsu-2\tst-1\nsubject\tsu-3\tst-1\n",
        },
    ]
    answer = project.put(f"{PROJECT}/bulk", json=items).json()
    [record] = logs(
        project,
        "documents { name doc_format doc response { entities { id } } }",
        f"(id: {answer['transaction_id']})",
    )
    ids = [entity["id"] for entity in answer["entities"]]
    assert [
        (d["name"], d["doc_format"], d["doc"], [e["id"] for e in d["response"]["entities"]])
        for d in record["documents"]
    ] == [
        ("a.json", "json", items[0]["doc"], ids[:1]),
        ("b.tsv", "tsv", items[1]["doc"], ids[1:]),
    ]


def test_graphql_mutations_are_recorded(project: TestClient) -> None:
    query = (
        "mutation($input: [SubjectInput!]!) { "
        'submitSubject(project_id: "demo-omics", input: $input) { transaction_id entities { id } } }'
    )
    inputs = [{"submitter_id": "su-1", "studies": [{"submitter_id": "st-1"}]}]
    answer = data(project, query, {"input": inputs})["submitSubject"]
    deleted = data(
        project,
        'mutation($ids: [String!]!) { delete(project_id: "demo-omics", ids: $ids) { transaction_id } }',
        {"ids": [answer["entities"][0]["id"]]},
    )["delete"]
    records = logs(project, "id role submitter documents { doc_format doc }", "(last: 2)")
    assert [(r["id"], r["role"], r["submitter"]) for r in records] == [
        (deleted["transaction_id"], "delete", ADMIN),
        (answer["transaction_id"], "update", ADMIN),
    ]
    submitted = json.loads(records[1]["documents"][0]["doc"])
    assert records[1]["documents"][0]["doc_format"] == "json"
    assert submitted[0]["submitter_id"] == "su-1" and submitted[0]["type"] == "subject"


def test_commons_submit_and_its_dry_run_are_recorded(
    live_url: str,  # noqa: F811 - the fixture
    api: TestClient,
    tmp_path: Path,
) -> None:
    table = tmp_path / "subjects.tsv"
    table.write_text("type\tsubmitter_id\tstudies.submitter_id\nsubject\tsu-1\tst-1\n")
    runner = CliRunner()
    for extra in (["--dry-run"], []):
        result = runner.invoke(
            main, ["submit", "demo/omics", str(table), "--url", live_url, *extra]
        )
        assert result.exit_code == 0, result.output
    records = logs(api, "is_dry_run state submitter documents { doc_format doc }", "(last: 2)")
    assert [(r["is_dry_run"], r["state"], r["submitter"]) for r in records] == [
        (False, "SUCCEEDED", ADMIN),
        (True, "SUCCEEDED", ADMIN),
    ]
    assert records[0]["documents"] == [{"doc_format": "tsv", "doc": table.read_text()}]


def test_concurrent_submissions_get_distinct_increasing_ids(project: TestClient) -> None:
    answers: list[dict] = []

    def submit(offset: int) -> None:
        for start in range(0, 30, 10):
            docs = [subject(f"su-{offset}-{i}") for i in range(start, start + 10)]
            answers.append(project.put(PROJECT, json=docs).json())

    threads = [threading.Thread(target=submit, args=(offset,)) for offset in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [answer["transaction_id"] for answer in answers]
    assert all(answer["success"] for answer in answers)
    assert len(set(ids)) == 9
    recorded = [int(r["id"]) for r in logs(project, "id", "(first: 0)")]
    assert sorted(recorded) == [1, *sorted(ids)]


# Reading: arguments, pages, counts -------------------------------------------------


@pytest.fixture
def history(project: TestClient, graph: GraphStore) -> TestClient:
    """Five records of demo-omics and one of demo-other, of every kind:
    1 study (update), 2 POST subject (create), 3 dry run, 4 failed, 5 delete, 6 other project."""
    created = project.post(PROJECT, json=[subject("su-1")]).json()
    project.put(f"{PROJECT}/_dry_run", json=[subject("su-2")])
    project.put(PROJECT, json=[subject("su-3", studies={"submitter_id": "nope"})])
    project.delete(f"{PROJECT}/entities/{created['entities'][0]['id']}")
    make_project(project, "demo", "other")
    project.put(f"{BASE}/demo/other", json=[{**STUDY, "projects": {"code": "other"}}])
    return project


def ids_of(client: TestClient, arguments: str = "") -> list[int]:
    return [int(record["id"]) for record in logs(client, "id", arguments)]


FILTERS = [
    ("", [1, 2, 3, 4, 5, 6]),
    ('id: "3"', [3]),
    ("id: 3", [3]),
    ('type: "upload"', [1, 2, 3, 4, 6]),
    ('type: "delete"', [5]),
    ('project_id: ["demo-other"]', [6]),
    ('project_id: "demo-omics"', [1, 2, 3, 4, 5]),
    ("project_id: []", []),
    ('project: "other"', [6]),
    ('program: "demo"', [1, 2, 3, 4, 5, 6]),
    ('program: "nope"', []),
    ('state: "FAILED"', [4]),
    ('state: "PENDING"', []),
    ("is_dry_run: true", [3]),
    ("closed: false", [1, 2, 3, 4, 5, 6]),
    ("closed: true", []),
    ("committable: true", [3]),
    ("committable: false", [1, 2, 4, 5, 6]),
    ("committed_by: 12345", []),
    ('related_cases: ["x"]', []),
    ('quick_search: "4"', [4]),
    ("quick_search: 4", [4]),
    ('quick_search: "A"', []),
    ('state: "SUCCEEDED", is_dry_run: false, project: "omics"', [1, 2, 5]),
]


def test_every_argument_filters(history: TestClient) -> None:
    """One query asks every case (aliases), for the list and the count."""
    fields = (
        "".join(
            f'l{i}: transaction_log(order_by_asc: "id", {arguments}) {{ id }} '
            f"c{i}: _transaction_log_count({arguments}) "
            for i, (arguments, _) in enumerate(FILTERS)
        )
        .replace(", )", ")")
        .replace("()", "")
    )
    found = data(history, f"{{ {fields} }}")
    for i, (arguments, expected) in enumerate(FILTERS):
        assert [int(record["id"]) for record in found[f"l{i}"]] == expected, arguments
        assert found[f"c{i}"] == len(expected), arguments


def test_entities_finds_the_records_that_wrote_an_entity(history: TestClient) -> None:
    [entity] = [
        s["entity_id"] for s in logs(history, "snapshots { entity_id }", "(id: 2)")[0]["snapshots"]
    ]
    found = ids_of(history, f'(entities: ["{entity}", "other"], order_by_asc: "id")')
    assert found == [2, 5]


def test_order_first_last_offset_and_counts(history: TestClient) -> None:
    assert ids_of(history, '(order_by_desc: "id")') == [6, 5, 4, 3, 2, 1]
    assert ids_of(history, '(order_by_asc: "project_id", order_by_desc: "id")') == [
        5,
        4,
        3,
        2,
        1,
        6,
    ]
    assert ids_of(history, '(order_by_asc: "id", first: 2)') == [1, 2]
    assert ids_of(history, '(order_by_asc: "id", first: 2, offset: 3)') == [4, 5]
    assert ids_of(history, '(order_by_asc: "id", first: 0)') == [1, 2, 3, 4, 5, 6]
    assert ids_of(history, "(last: 2)") == [6, 5]
    assert ids_of(history, "(last: 2, first: 1)") == [6, 5]
    assert ids_of(history, "(last: 2, offset: 1)") == [5, 4]
    assert ids_of(history, '(last: 3, project: "omics")') == [5, 4, 3]
    assert counted(history) == 6
    assert counted(history, "(first: 4)") == 4
    assert counted(history, "(offset: 4)") == 2
    assert counted(history, "(last: 1)") == 6
    assert len(logs(history, "id")) == 6
    for _ in range(6):
        history.put(PROJECT, json=[subject("su-9")])
    assert len(logs(history, "id")) == 10  # `first` is 10 unless given
    assert counted(history) == 12


WRONG = [
    ('transaction_log(order_by_asc: "doc") { id }', "cannot order transaction logs by 'doc'"),
    ('transaction_log(id: "x") { id }', "id: 'x' is not a transaction id"),
    ("transaction_log(committed_by: 1.5) { id }", "ID cannot represent"),
    ("transaction_log(first: -1) { id }", "first: -1 is negative"),
    ("transaction_log(last: -1) { id }", "last: -1 is negative"),
    ("transaction_log(offset: -2) { id }", "offset: -2 is negative"),
    ("_transaction_log_count(first: -1)", "first: -1 is negative"),
    ("_transaction_log_count(offset: -1)", "offset: -1 is negative"),
    ("subject { _transaction_logs_count(first: -3) }", "first: -3 is negative"),
]


def test_wrong_arguments_are_refused_by_name(project: TestClient) -> None:
    for field, message in WRONG:
        response = project.post(GRAPHQL, json={"query": f"{{ {field} }}"})
        assert response.status_code == 400, field
        assert any(message in error for error in response.json()["errors"]), response.text


def test_the_portals_query_and_peregrines_ports(history: TestClient, graph: GraphStore) -> None:
    portal = data(history, PORTAL)["transaction_log"]
    assert [int(record["id"]) for record in portal] == [6, 5, 4, 3, 2, 1]
    assert portal[0]["project_id"] == "demo-other" and portal[0]["submitter"] == ADMIN
    assert portal[2]["state"] == "FAILED"
    assert all(isinstance(d["doc_size"], int) for r in portal for d in r["documents"])
    # test_graphql.py test_transaction_logs
    assert data(
        history,
        '{ transaction_log(first: 1, order_by_asc: "created_datetime") { project_id submitter } }',
    ) == {"transaction_log": [{"project_id": "demo-omics", "submitter": ADMIN}]}
    # test_null_variable, test_property_lists
    assert data(
        history,
        "query($p: [String]) { t: _transaction_log_count(project_id: $p) "
        'c1: _transaction_log_count(project_id: ["demo-omics"]) '
        'c2: _transaction_log_count(project_id: ["demo-fake"]) '
        'c3: _transaction_log_count(project_id: "demo-omics") }',
    ) == {"t": 6, "c1": 5, "c2": 0, "c3": 5}
    # test_transaction_logs_queries on one record seeded as peregrine seeds it: committed_by set
    graph.write(f"MATCH (t:{transaction_log.LABEL} {{id: 3}}) SET t.committed_by = 12345")
    assert data(
        history,
        "{ total: _transaction_log_count(is_dry_run: true) "
        'succeeded: _transaction_log_count(is_dry_run: true, state: "SUCCEEDED") '
        "right: _transaction_log_count(committed_by: 12345) "
        "wrong: _transaction_log_count(committed_by: 54321) "
        "committable: _transaction_log_count(committable: true) "
        "not_committable: _transaction_log_count(committable: false) "
        "tx_log: transaction_log(is_dry_run: true) { is_dry_run state committed_by } }",
    ) == {
        "total": 1,
        "succeeded": 1,
        "right": 1,
        "wrong": 0,
        "committable": 0,
        "not_committable": 6,
        "tx_log": [{"is_dry_run": True, "state": "SUCCEEDED", "committed_by": "12345"}],
    }


COMPREHENSIVE = """
query TransactionDetailsQuery {
  item: transaction_log {
    id project_id type state committed_by submitter is_dry_run closed created_datetime
    documents {
      id name doc doc_size doc_format response_json
      response {
        message
        entities {
          id unique_keys action type
          related_cases { id submitter_id }
          errors { keys type message dependents { id type } }
        }
      }
    }
  }
}"""


def test_peregrines_comprehensive_query_answers_without_errors(history: TestClient) -> None:
    response = history.post(GRAPHQL, json={"query": COMPREHENSIVE})
    assert response.status_code == 200 and "errors" not in response.json()
    items = response.json()["data"]["item"]
    assert {item["type"] for item in items} == {"upload", "delete"}


def test_typename_and_fragments_reach_the_nested_objects(project: TestClient) -> None:
    found = data(
        project,
        "fragment D on TransactionDocument { __typename name } "
        "{ transaction_log { __typename ...on TransactionLog { documents { ...D r: response { __typename } } } } }",
    )
    assert found["transaction_log"] == [
        {
            "__typename": "TransactionLog",
            "documents": [
                {
                    "__typename": "TransactionDocument",
                    "name": None,
                    "r": {"__typename": "TransactionResponse"},
                }
            ],
        }
    ]


# Access ----------------------------------------------------------------------


def test_only_readable_projects_are_logged_to_a_caller(api: TestClient, graph: GraphStore) -> None:
    """Two projects, two users (peregrine's test_auth_transaction_logs): a reader of demo-a
    sees demo-a's records only, a user without grants none, an anonymous caller must log in."""
    save_policy(graph, POLICY)
    for program, code in (("demo", "a"), ("other", "b")):
        make_project(api, program, code)
        study = {**STUDY, "projects": {"code": code}}
        assert api.put(f"{BASE}/{program}/{code}", json=[study]).status_code == 200
    reader = TestClient(api.app, headers=bearer(api.app, USERS["reader"]))
    nobody = TestClient(api.app, headers=bearer(api.app, USERS["logged_in"]))
    assert [r["project_id"] for r in logs(api, "project_id", '(order_by_asc: "id")')] == [
        "demo-a",
        "other-b",
    ]
    assert [r["project_id"] for r in logs(reader, "project_id")] == ["demo-a"]
    assert counted(reader) == 1 and counted(reader, '(project_id: ["other-b"])') == 0
    assert logs(reader, "id", '(quick_search: "2")') == []
    assert logs(nobody, "id") == [] and counted(nobody) == 0
    assert TestClient(api.app).post(GRAPHQL, json={"query": PORTAL}).status_code == 401
    # A node's own records and links keep to readable projects too.
    subjects = data(reader, "{ study { _transaction_logs_count _links { project_id } } }")
    assert subjects == {
        "study": [{"_transaction_logs_count": 1, "_links": [{"project_id": "demo-a"}]}]
    }


# Per node --------------------------------------------------------------------


def test_each_node_lists_the_records_that_wrote_it(project: TestClient) -> None:
    first = project.put(PROJECT, json=[subject("su-1"), subject("su-2")]).json()
    second = project.put(PROJECT, json=[subject("su-1", species="Mus musculus")]).json()
    project.put(f"{PROJECT}/_dry_run", json=[subject("su-1", species="Mus musculus")])
    found = data(
        project,
        '{ subject(order_by_asc: "submitter_id") { submitter_id '
        '_transaction_logs(order_by_asc: "id") { id role snapshots { entity_id } } '
        "_transaction_logs_count latest: _transaction_logs(last: 1) { id } "
        'none: _transaction_logs_count(state: "FAILED") '
        'ignored: _transaction_logs_count(entities: ["other"]) } }',
    )["subject"]
    one, two = found
    assert [int(r["id"]) for r in one["_transaction_logs"]] == [
        first["transaction_id"],
        second["transaction_id"],
    ]
    assert one["_transaction_logs_count"] == 2 and one["ignored"] == 2 and one["none"] == 0
    assert one["latest"] == [{"id": str(second["transaction_id"])}]
    assert [int(r["id"]) for r in two["_transaction_logs"]] == [first["transaction_id"]]
    assert two["_transaction_logs_count"] == 1


# _links ----------------------------------------------------------------------


def test_links_list_parents_and_children_of_every_type(project: TestClient) -> None:
    project.put(PROJECT, json=[subject("su-1"), subject("su-2")])
    project.put(PROJECT, json=[sample(f"sa-{i}", "su-1") for i in range(3)])
    fields = "id submitter_id type project_id created_datetime updated_datetime"
    [su1, su2] = data(
        project,
        '{ subject(order_by_asc: "submitter_id") { submitter_id '
        f'_links(first: 0, order_by_asc: "submitter_id") {{ {fields} ... on sample {{ sample_type }} }} '
        'few: _links(first: 2, order_by_asc: "submitter_id") { submitter_id } '
        'biospecimens: _links(category: "biospecimen", first: 0) { type } '
        'one: _links(submitter_id: ["sa-2"]) { submitter_id __typename } } }',
    )["subject"]
    assert [(link["type"], link["submitter_id"]) for link in su1["_links"]] == [
        ("sample", "sa-0"),
        ("sample", "sa-1"),
        ("sample", "sa-2"),
        ("study", "st-1"),
    ]
    assert su1["_links"][0]["sample_type"] == "Primary Tumor"
    assert "sample_type" not in su1["_links"][3]
    assert all(
        link["project_id"] == "demo-omics" and link["created_datetime"] for link in su1["_links"]
    )
    assert su1["few"] == [{"submitter_id": "sa-0"}, {"submitter_id": "sa-1"}]
    assert [link["type"] for link in su1["biospecimens"]] == ["sample"] * 3
    assert su1["one"] == [{"submitter_id": "sa-2", "__typename": "sample"}]
    assert [link["submitter_id"] for link in su2["_links"]] == ["st-1"]
    [omics] = data(project, "{ project { _links(first: 0) { type id } } }")["project"]
    assert sorted(link["type"] for link in omics["_links"]) == ["program", "study"]
