"""Sheepdog's status codes, error messages and answer shapes, route by route (#16, point 4).

Each case is what sheepdog's own code answers (uc-cdis/sheepdog: the views
in sheepdog/blueprint/routes/views, ExportFile in utils/transforms/
graph_to_doc.py, the transactions' `json`) and where Commons answered
otherwise before. Several are sheepdog's own test cases
(tests/integration/datadict/submission/test_endpoints.py), written again
against Commons' default dictionary.
"""

from __future__ import annotations

import csv
import io
import json
import tarfile
import uuid

import pytest
import yaml
from starlette.testclient import TestClient

from engine.graph.store import GraphStore
from tests.test_submission_api import BASE, PROJECT, STUDY, count, make_project, sample, subject

TSV = {"content-type": "text/tab-separated-values"}


@pytest.fixture
def project(api: TestClient) -> TestClient:
    make_project(api)
    return api


@pytest.fixture
def entities(project: TestClient) -> dict[str, str]:
    """A study, a subject and a sample under it: their ids by type."""
    body = project.put(PROJECT, json=[STUDY, subject("su-1"), sample("sa-1", "su-1")]).json()
    assert body["success"], body
    return {entity["type"]: entity["id"] for entity in body["entities"]}


def rows(text: str, delimiter: str = "\t") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


# Export by ids --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "tsv", "csv"])
def test_an_export_of_unknown_ids_is_a_404_naming_them(project: TestClient, fmt: str) -> None:
    """ExportFile.get_nodes: `NotFoundError("Unable to find " + ", ".join(ids))`."""
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    answer = project.get(f"{PROJECT}/export?ids={','.join(ids)}&format={fmt}")
    assert answer.status_code == 404, answer.text
    assert answer.json() == {"message": f"Unable to find {ids[0]}, {ids[1]}", "code": 404}


def test_an_export_of_a_deleted_id_is_a_404(project: TestClient, entities: dict[str, str]) -> None:
    sample_id = entities["sample"]
    assert project.get(f"{PROJECT}/export?ids={sample_id}&format=json").status_code == 200
    assert project.delete(f"{PROJECT}/entities/{sample_id}").status_code == 200
    answer = project.get(f"{PROJECT}/export?ids={sample_id}&format=json")
    assert answer.status_code == 404
    assert answer.json()["message"] == f"Unable to find {sample_id}"


def test_an_export_of_ids_some_unknown_exports_those_found(
    project: TestClient, entities: dict[str, str]
) -> None:
    """Sheepdog logs the missing ones and exports the rest."""
    answer = project.get(f"{PROJECT}/export?ids={entities['subject']},{uuid.uuid4()}&format=json")
    assert answer.status_code == 200
    assert [doc["id"] for doc in answer.json()] == [entities["subject"]]


def test_an_export_by_id_is_a_tsv_file_by_default(
    project: TestClient, entities: dict[str, str]
) -> None:
    """Sheepdog's test_export_entity_by_id and test_submit_export_encoding: no format is tsv."""
    answer = project.get(f"{PROJECT}/export/?ids={entities['subject']}")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == "attachment; filename=subject.tsv"
    assert [row["submitter_id"] for row in rows(answer.text)] == ["su-1"]
    as_json = project.get(f"{PROJECT}/export/?ids={entities['subject']}&format=json")
    assert as_json.headers["content-disposition"] == "attachment; filename=subject.json"
    assert [doc["id"] for doc in as_json.json()] == [entities["subject"]]


def test_a_node_export_names_its_file_in_every_format(
    project: TestClient, entities: dict[str, str]
) -> None:
    """Sheepdog's test_export_node_with_array_json: the json answer is an attachment too."""
    for fmt in ("json", "tsv", "csv"):
        answer = project.get(f"{PROJECT}/export/?node_label=subject&format={fmt}")
        assert answer.status_code == 200
        assert answer.headers["content-disposition"] == f"attachment; filename=subject.{fmt}"
    default = project.get(f"{PROJECT}/export/?node_label=subject")
    assert default.headers["content-disposition"] == "attachment; filename=subject.tsv"
    assert rows(default.text)[0]["id"] == entities["subject"]


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_a_table_export_of_several_types_is_a_tarball_of_one_table_each(
    project: TestClient, entities: dict[str, str], fmt: str
) -> None:
    """Before, only the first type's rows were written and the others silently left out."""
    ids = ",".join([entities["subject"], entities["sample"], entities["study"]])
    answer = project.get(f"{PROJECT}/export?ids={ids}&format={fmt}")
    assert answer.status_code == 200
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=gdc_export_")
    assert disposition.endswith(".tar.gz")
    with tarfile.open(fileobj=io.BytesIO(answer.content), mode="r:gz") as tar:
        members = {
            member.name: tar.extractfile(member).read().decode()  # type: ignore[union-attr]
            for member in tar.getmembers()
        }
    assert sorted(members) == sorted(f"{t}.{fmt}" for t in ("subject", "sample", "study"))
    delimiter = "\t" if fmt == "tsv" else ","
    sampled = rows(members[f"sample.{fmt}"], delimiter)
    assert [(r["id"], r["subjects.submitter_id"]) for r in sampled] == [
        (entities["sample"], "su-1")
    ]
    as_json = project.get(f"{PROJECT}/export?ids={ids}&format=json")
    assert as_json.headers["content-disposition"].endswith(".json")
    assert {doc["type"] for doc in as_json.json()} == {"subject", "sample", "study"}


def test_ids_win_over_node_label(project: TestClient, entities: dict[str, str]) -> None:
    """`When both are provided, node_label is ignored and ids is used.`"""
    answer = project.get(
        f"{PROJECT}/export?ids={entities['subject']}&node_label=sample&format=json"
    )
    assert [doc["type"] for doc in answer.json()] == ["subject"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "expected either `ids` or `node_label` parameter"),
        ("node_label=nope", "dictionary does not have node with type nope"),
        (
            "node_label=subject&format=xml",
            "Format xml is not supported; supported formats are: csv,tsv,json,pfb.",
        ),
        ("node_label=subject&without_id=maybe", "without_id must be true or false, not 'maybe'"),
    ],
)
def test_export_refusals_say_what_sheepdog_says(
    project: TestClient, query: str, message: str
) -> None:
    answer = project.get(f"{PROJECT}/export?{query}")
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(message)


def test_without_id_exports_what_submits_again_as_new_entities(
    project: TestClient, entities: dict[str, str], graph: GraphStore
) -> None:
    """Sheepdog's test_export_all_node_types_and_resubmit_json/_tsv: export without ids,
    delete, submit the export back."""
    as_json = project.get(f"{PROJECT}/export?node_label=sample&format=json&without_id=true")
    (doc,) = as_json.json()["data"]
    assert "id" not in doc and doc["subjects"] == {"submitter_id": "su-1"}
    as_tsv = project.get(f"{PROJECT}/export?node_label=sample&without_id=True").text
    assert "id" not in as_tsv.splitlines()[0].split("\t")
    by_ids = project.get(f"{PROJECT}/export?ids={entities['sample']}&without_id=true&format=json")
    assert "id" not in by_ids.json()[0]
    assert project.delete(f"{PROJECT}/entities/{entities['sample']}").status_code == 200
    again = project.put(PROJECT, content=as_tsv, headers=TSV)
    assert again.status_code == 200, again.text
    assert again.json()["entities"][0]["id"] != entities["sample"]
    assert count(graph, "sample") == 1


def test_with_children_exports_what_is_below_the_ids(
    project: TestClient, entities: dict[str, str]
) -> None:
    """ExportFile.get_entity_tree: the named entities, then every descendant in the project,
    of `category` only when given (the walk goes on through the others)."""
    extra = [
        sample("sa-2", "su-1", parent_samples=[{"submitter_id": "sa-1"}]),
        {"type": "demographic", "submitter_id": "dm-1", "subjects": {"submitter_id": "su-1"}},
    ]
    assert project.put(PROJECT, json=extra).status_code == 200
    query = f"{PROJECT}/export?ids={entities['study']}&format=json&with_children=true"
    every = project.get(query).json()
    assert every[0]["id"] == entities["study"]
    assert sorted(doc["submitter_id"] for doc in every) == ["dm-1", "sa-1", "sa-2", "st-1", "su-1"]
    biospecimens = project.get(query + "&category=biospecimen").json()
    assert sorted(doc["submitter_id"] for doc in biospecimens) == ["sa-1", "sa-2", "st-1"]
    alone = project.get(f"{PROJECT}/export?ids={entities['study']}&format=json").json()
    assert [doc["submitter_id"] for doc in alone] == ["st-1"]


def test_post_export_takes_its_parameters_as_json(
    project: TestClient, entities: dict[str, str]
) -> None:
    answer = project.post(f"{PROJECT}/export", json={"ids": [str(uuid.uuid4())]})
    assert answer.status_code == 404
    found = project.post(f"{PROJECT}/export", json={"ids": [entities["study"]], "format": "json"})
    assert [doc["id"] for doc in found.json()] == [entities["study"]]


# Entities -----------------------------------------------------------------------


def test_an_entity_reads_as_sheepdogs_entity_list(
    project: TestClient, entities: dict[str, str]
) -> None:
    """utils.create_entity_list: program, project, every property (null when unset), links as
    lists; sheepdog's test_update_to_null_valid reads a property set to null back as None."""
    update = subject("su-1", species=None)
    assert project.put(PROJECT, json=[update]).status_code == 200
    got = project.get(f"{PROJECT}/entities/{entities['sample']},{entities['subject']}").json()
    sampled, subjected = got["entities"]
    assert (sampled["program"], sampled["project"]) == ("demo", "omics")
    assert sampled["properties"]["subjects"] == [
        {"id": entities["subject"], "submitter_id": "su-1"}
    ]
    assert sampled["properties"]["weight_mg"] is None
    assert sampled["properties"]["id"] == entities["sample"]
    assert subjected["properties"]["species"] is None


# Delete -------------------------------------------------------------------------


def test_a_delete_dry_run_checks_and_keeps_everything(
    project: TestClient, entities: dict[str, str], graph: GraphStore
) -> None:
    """Sheepdog's `DELETE entities/_dry_run/<ids>` (test_commit_dry_run_delete's first step)."""
    answer = project.delete(f"{PROJECT}/entities/_dry_run/{entities['sample']}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["message"] == "Dry run successful. Would have deleted 1 entities"
    assert body["deleted_entity_count"] == 1 and body["dependent_ids"] == ""
    assert count(graph, "sample") == 1
    refused = project.delete(f"{PROJECT}/entities/_dry_run/{entities['subject']}")
    assert refused.status_code == 400
    assert refused.json()["dependent_ids"] == entities["sample"]
    assert refused.json()["message"] == "Deletion transaction failed."
    cascade = project.delete(f"{PROJECT}/entities/_dry_run/{entities['subject']}?cascade=true")
    assert cascade.json()["deleted_entity_count"] == 2
    assert count(graph, "subject") == 1 and count(graph, "sample") == 1


def test_a_delete_answers_sheepdogs_deletion_keys(
    project: TestClient, entities: dict[str, str]
) -> None:
    """DeletionTransaction.json: deleted_entity_count and dependent_ids (comma-joined) always."""
    unknown = str(uuid.uuid4())
    missing = project.delete(f"{PROJECT}/entities/{unknown}")
    assert missing.status_code == 400
    body = missing.json()
    assert (body["deleted_entity_count"], body["dependent_ids"]) == (0, "")
    assert body["entities"][0]["errors"][0]["type"] == "NOT_FOUND"
    done = project.delete(f"{PROJECT}/entities/{entities['sample']}").json()
    assert (done["deleted_entity_count"], done["dependent_ids"]) == (1, "")
    assert done["message"] == "Successfully deleted 1 entities"


# Submissions --------------------------------------------------------------------


def test_a_transactional_error_is_counted_in_the_message(project: TestClient) -> None:
    """UploadTransaction.message: `Transaction aborted due to N transactional error(s).`"""
    answer = project.put(PROJECT, json=[])
    assert answer.status_code == 400
    assert answer.json()["message"] == "Transaction aborted due to 1 transactional error(s)."


def test_bulk_answers_one_subtransaction_per_document(
    project: TestClient, graph: GraphStore
) -> None:
    """BulkUploadTransaction.json: subtransactions [{name, response_json}], document_error_count."""
    items = [
        {"name": "study.json", "doc": json.dumps(STUDY), "doc_format": "json"},
        {
            "name": "subjects.tsv",
            "doc": "type\tsubmitter_id\tstudies.submitter_id\nsubject\tsu-1\tst-1\n"
            "subject\tsu-2\tst-1\n",
            "doc_format": "tsv",
        },
    ]
    dry = project.post(f"{PROJECT}/bulk/_dry_run", json=items)
    assert dry.status_code == 200, dry.text
    assert count(graph, "subject") == 0
    answer = project.post(f"{PROJECT}/bulk", json=items)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["message"] == "Bulk Transaction succeeded."
    assert body["document_error_count"] == 0 and body["created_entity_count"] == 3
    parts = [
        (p["name"], p["response_json"]["created_entity_count"]) for p in body["subtransactions"]
    ]
    assert parts == [("study.json", 1), ("subjects.tsv", 2)]
    items[1]["doc"] += "subject\tsu-3\tno-such-study\n"
    failed = project.put(f"{PROJECT}/bulk", json=items).json()
    assert failed["message"] == "Bulk Transaction failed." and failed["document_error_count"] == 1
    assert [p["response_json"]["success"] for p in failed["subtransactions"]] == [True, False]


# Programs and projects ------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_project_registration_answers_200_and_updates_as_sheepdog(
    api: TestClient, method: str, graph: GraphStore
) -> None:
    """create_project answers 200 for every method, creating or updating: POST on an existing
    project was a 400 and a created one a 201."""
    make_project(api)
    doc = {"type": "project", "code": "p2", "name": "first", "dbgap_accession_number": "phs3"}
    created = api.request(method, f"{BASE}/demo", json=doc)
    assert created.status_code == 200 and created.json()["code"] == 200, created.text
    assert created.json()["entities"][0]["action"] == "create"
    updated = api.request(method, f"{BASE}/demo", json=dict(doc, name="second"))
    assert updated.status_code == 200, updated.text
    assert updated.json()["entities"][0]["action"] == "update"
    assert graph.read("MATCH (p:project {code: 'p2'}) RETURN p.name AS name") == [
        {"name": "second"}
    ]


def test_a_list_of_one_program_or_project_is_that_document(api: TestClient) -> None:
    """Sheepdog's create_program/create_project: `if isinstance(doc, list) and len(doc) == 1`."""
    program = {"type": "program", "name": "demo", "dbgap_accession_number": "phs1"}
    assert api.put(f"{BASE}/", json=[program]).json()["message"] == "Program registered."
    project_doc = {"type": "project", "code": "omics", "name": "o", "dbgap_accession_number": "p"}
    assert api.put(f"{BASE}/demo", json=[project_doc]).status_code == 200
    assert api.get(f"{BASE}/demo").json() == {"links": ["/v0/submission/demo/omics"]}


def test_registering_a_project_in_an_unknown_program_is_a_404_whatever_the_body(
    api: TestClient,
) -> None:
    """Sheepdog's test_program_creation_endpoint_for_program_not_supported: POST /abc/ with no
    body is a 404 (assert_program_exists runs first); it was a 400 for the empty body."""
    answer = api.post(f"{BASE}/abc/")
    assert answer.status_code == 404
    assert answer.json()["message"] == "program abc does not exist"


# The dictionary and templates -------------------------------------------------------


def test_dictionary_links_name_every_node_and_all(api: TestClient) -> None:
    """Sheepdog's test_top_level_dictionary_list_entries; `_all` is listed, as sheepdog lists it."""
    links = api.get(f"{BASE}/_dictionary").json()["links"]
    assert "/v0/submission/_dictionary/sample" in links
    assert links[-1] == "/v0/submission/_dictionary/_all"


def test_a_projects_dictionary_links_under_the_project(project: TestClient) -> None:
    """Sheepdog's test_dictionary_list_entries, test_dictionary_get_entries and
    test_dictionary_get_definitions: the project's `_dictionary/<entry>` is served."""
    links = project.get(f"{PROJECT}/_dictionary").json()["links"]
    assert "/v0/submission/demo/omics/_dictionary/sample" in links
    assert "/v0/submission/demo/omics/_dictionary/_all" in links
    assert project.get(f"{PROJECT}/_dictionary/sample").json()["id"] == "sample"
    assert "UUID" in project.get(f"{PROJECT}/_dictionary/_definitions").json()
    assert "sample" in project.get(f"{PROJECT}/_dictionary/_all").json()


def test_unknown_dictionary_entries_and_templates_say_what_sheepdog_says(api: TestClient) -> None:
    entry = api.get(f"{BASE}/_dictionary/nope")
    assert entry.status_code == 404
    assert entry.json()["message"] == "Entry nope not in dictionary"
    template = api.get(f"{BASE}/template/nope")
    assert template.status_code == 404
    assert template.json()["message"] == "Entity type nope is not in dictionary"
    unsupported = api.get(f"{BASE}/template/sample?format=xml")
    assert unsupported.status_code == 400
    assert unsupported.json()["message"].startswith("Format xml is not supported")


# Manifest and open ----------------------------------------------------------------


def test_a_manifest_answers_as_sheepdogs(project: TestClient, entities: dict[str, str]) -> None:
    """utils.manifest.get_manifest: unknown ids are a 404 (it was an empty list), an entity that
    is not a data file a 400 (it was left out); served at upload_manifest too."""
    unknown = str(uuid.uuid4())
    missing = project.get(f"{PROJECT}/manifest?ids={unknown}")
    assert missing.status_code == 404
    assert missing.json()["message"] == f"Unable to find {unknown}"
    not_a_file = project.get(f"{PROJECT}/upload_manifest?ids={entities['subject']}")
    assert not_a_file.status_code == 400
    assert not_a_file.json()["message"] == f"subject {entities['subject']} is not a data file."
    document = {
        "type": "clinical_document",
        "submitter_id": "doc-1",
        "subjects": {"submitter_id": "su-1"},
        "file_name": "report.pdf",
        "file_size": 2048,
        "md5sum": "a" * 32,
        "data_category": "Clinical",
        "data_type": "Pathology Report",
        "data_format": "PDF",
        "document_type": "Pathology Report",
    }
    document_id = project.put(PROJECT, json=[document]).json()["entities"][0]["id"]
    answer = project.get(f"{PROJECT}/upload_manifest?ids={document_id}")
    assert answer.headers["content-disposition"] == (
        "attachment; filename=submission_manifest.yaml"
    )
    (listed,) = yaml.safe_load(answer.text)["files"]
    assert (listed["id"], listed["local_file_path"]) == (document_id, "report.pdf")


def test_opening_a_project_answers_as_sheepdogs_open_transaction(project: TestClient) -> None:
    opened = project.put(f"{PROJECT}/open")
    assert opened.status_code == 200
    body = opened.json()
    assert body["message"] == "Successfully transitioned project state to 'open'"
    assert body["success"] and body["entities"] == [] and "transaction_id" in body
    dry = project.post(f"{PROJECT}/open/_dry_run")
    assert dry.status_code == 200
    assert dry.json()["message"].startswith("Dry run successful.")
