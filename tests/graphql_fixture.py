"""The GraphQL tests' own data: peregrine's test fixture, re-told in the default dictionary.

Peregrine's tests post 13 records to CGCI/BLGSP: an experiment, five cases
with consent codes cc1, cc2, cc3 / cc1 / cc2 / xcc1 / cc1x, one sample,
aliquot and read group (read_length 59627182820, beyond 32 bits), and
clinical records. Here the same shapes are a study, five subjects, samples
(three under the first subject, one of them derived from another), aliquots,
a read group, a file (of 59627182820 bytes: this dictionary caps read_length)
and a demographic, plus one subject in a second project. Everything goes in through the submission API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.config import load_settings
from engine.dictionary.compile import CompiledDictionary
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.stores import Stores
from tests.auth_fixture import as_admin

BASE = "/api/v0/submission"
GRAPHQL = f"{BASE}/graphql"
SUBJECTS = {
    "BLGSP-71-06-00019": ["cc1", "cc2", "cc3"],
    "BLGSP-71-06-00020": ["cc1"],
    "BLGSP-71-06-00021": ["cc2"],
    "BLGSP-71-06-00022": ["xcc1"],
    "BLGSP-71-06-00023": ["cc1x"],
}
FIRST = "BLGSP-71-06-00019"


def _sample(submitter_id: str, subject: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "sample",
        "submitter_id": submitter_id,
        "subjects": {"submitter_id": subject},
        **extra,
    }


RECORDS: list[dict[str, Any]] = [
    {
        "type": "study",
        "submitter_id": "BLGSP-study",
        "study_design": "Cohort",
        "keywords": ["lymphoma", "burkitt"],
        "planned_enrollment": 5,
        "projects": {"code": "BLGSP"},
    },
    *(
        {
            "type": "subject",
            "submitter_id": submitter_id,
            "consent_codes": codes,
            "species": "Homo sapiens",
            "studies": {"submitter_id": "BLGSP-study"},
        }
        for submitter_id, codes in SUBJECTS.items()
    ),
    _sample(
        f"{FIRST}s",
        FIRST,
        sample_type="Blood Derived Normal",
        is_ffpe=False,
        days_to_collection=10,
        weight_mg=1.5,
    ),
    _sample(f"{FIRST}t", FIRST, sample_type="Primary Tumor", is_ffpe=True, days_to_collection=20),
    _sample(
        f"{FIRST}u",
        FIRST,
        sample_type="Primary Tumor",
        days_to_collection=30,
        parent_samples=[{"submitter_id": f"{FIRST}t"}],
    ),
    _sample("BLGSP-71-06-00020s", "BLGSP-71-06-00020", sample_type="Blood Derived Normal"),
    {
        "type": "aliquot",
        "submitter_id": f"{FIRST}-01A-11D",
        "analyte_type": "DNA",
        "concentration": 0.07,
        "samples": {"submitter_id": f"{FIRST}s"},
    },
    {
        "type": "aliquot",
        "submitter_id": f"{FIRST}-01B-11R",
        "analyte_type": "RNA",
        "concentration": 1.25,
        "samples": {"submitter_id": f"{FIRST}t"},
    },
    {
        "type": "read_group",
        "submitter_id": "test-readgroup-1",
        "library_strategy": "WXS",
        "library_name": "library1",
        "is_paired_end": False,
        "read_length": 151,
        "aliquots": {"submitter_id": f"{FIRST}-01A-11D"},
    },
    {
        "type": "submitted_unaligned_reads",
        "submitter_id": "test-readgroup-1-R1",
        "file_name": "readgroup-1_R1.fastq.gz",
        "file_size": 59627182820,
        "md5sum": "d076e32372fbb1a16cdd3a6a983da9f0",
        "data_category": "Sequencing Reads",
        "data_type": "Unaligned Reads",
        "data_format": "FASTQ",
        "experimental_strategy": "WXS",
        "read_groups": {"submitter_id": "test-readgroup-1"},
    },
    {
        "type": "demographic",
        "submitter_id": f"{FIRST}-demographic",
        "sex_at_birth": "male",
        "year_of_birth": 1952,
        "subjects": {"submitter_id": FIRST},
    },
]
OTHER_PROJECT_RECORDS: list[dict[str, Any]] = [
    {
        "type": "study",
        "submitter_id": "OTHER-study",
        "study_design": "Cohort",
        "projects": {"code": "OTHER"},
    },
    {"type": "subject", "submitter_id": "OTHER-1", "studies": {"submitter_id": "OTHER-study"}},
]


def make_client(
    graph: GraphStore, compiled: CompiledDictionary, data_dir: Path, **settings: str
) -> TestClient:
    """The whole app over the test graph, with settings as environment variables, as an admin.

    Queries and submissions never reach the object store, so none is started for them.
    """
    apply_ddl(graph, compiled.ddl)
    environ = {
        "COMMONS_CONFIG": "/nonexistent.yaml",
        "COMMONS_DATA_DIR": str(data_dir),
        "COMMONS_PUBLIC_URL": "http://testserver",
        **settings,
    }
    stores = Stores(graph, objects=None)  # type: ignore[arg-type]
    return as_admin(TestClient(create_app(stores, load_settings(environ=environ), compiled)))


def submit(client: TestClient, project: str, records: list[dict[str, Any]]) -> None:
    response = client.put(f"{BASE}/CGCI/{project}", json=records)
    assert response.status_code == 200, response.text


def load(client: TestClient) -> None:
    """CGCI/BLGSP with RECORDS, CGCI/OTHER with one subject."""
    response = client.put(
        f"{BASE}/", json={"type": "program", "name": "CGCI", "dbgap_accession_number": "phs000235"}
    )
    assert response.status_code == 200, response.text
    for code in ("BLGSP", "OTHER"):
        response = client.put(
            f"{BASE}/CGCI",
            json={"type": "project", "code": code, "name": code, "dbgap_accession_number": "phs1"},
        )
        assert response.status_code == 200, response.text
    submit(client, "BLGSP", RECORDS)
    submit(client, "OTHER", OTHER_PROJECT_RECORDS)


def loaded_client(graph: GraphStore, compiled: CompiledDictionary, data_dir: Path) -> TestClient:
    """An app over an emptied graph holding the fixture: what a test module shares."""
    graph.write("MATCH (n) DETACH DELETE n")
    client = make_client(graph, compiled, data_dir)
    load(client)
    return client


def query(client: TestClient, text: str, variables: Any = None, status: int = 200) -> Any:
    """`data` of a query that must answer `status` (200: without errors)."""
    body: dict[str, Any] = {"query": text}
    if variables is not None:
        body["variables"] = variables
    response = client.post(GRAPHQL, json=body)
    assert response.status_code == status, response.text
    if status == 200:
        assert "errors" not in response.json(), response.json()
    return response.json()["data"]


def errors(client: TestClient, text: str, variables: Any = None) -> list[str]:
    """The messages of a query that must fail with 400."""
    body: dict[str, Any] = {"query": text}
    if variables is not None:
        body["variables"] = variables
    response = client.post(GRAPHQL, json=body)
    assert response.status_code == 400, response.text
    messages = response.json()["errors"]
    assert all(isinstance(message, str) for message in messages)
    return messages
