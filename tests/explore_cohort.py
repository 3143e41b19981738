"""A small cohort in two projects, for the exploration tests: every value known in advance.

demo-omics: study st-1; subjects su-1..su-4; samples sa-1..sa-5; aliquots
al-1..al-4; read groups rg-1, rg-2; unaligned-read files f-1..f-3.
demo-other: study st-9; subjects ot-1, ot-2; sample os-1.
Loaded through the submission engine (not HTTP), as `commons serve --demo` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.config import load_settings
from engine.dictionary.compile import CompiledDictionary
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.objects.store import ObjectStore
from engine.stores import Stores
from engine.submission import projects
from engine.submission.documents import SourceDoc
from engine.submission.submit import Target, submit_documents
from tests.auth_fixture import as_admin


def _subject(sid: str, study: str, **props: Any) -> dict[str, Any]:
    return {"type": "subject", "submitter_id": sid, "studies": {"submitter_id": study}, **props}


def _sample(sid: str, subject: str, sample_type: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "sample",
        "submitter_id": sid,
        "sample_type": sample_type,
        "subjects": {"submitter_id": subject},
        **props,
    }


def _aliquot(sid: str, sample: str, analyte: str) -> dict[str, Any]:
    return {
        "type": "aliquot",
        "submitter_id": sid,
        "analyte_type": analyte,
        "samples": {"submitter_id": sample},
    }


def _read_group(sid: str, aliquot: str, strategy: str) -> dict[str, Any]:
    return {
        "type": "read_group",
        "submitter_id": sid,
        "library_strategy": strategy,
        "aliquots": {"submitter_id": aliquot},
    }


def _file(sid: str, read_group: str, fmt: str, size: int) -> dict[str, Any]:
    return {
        "type": "submitted_unaligned_reads",
        "submitter_id": sid,
        "file_name": f"{sid}.{fmt.lower()}",
        "file_size": size,
        "md5sum": "0" * 32,
        "data_category": "Sequencing Reads",
        "data_type": "Unaligned Reads",
        "data_format": fmt,
        "experimental_strategy": "WGS",
        "read_groups": {"submitter_id": read_group},
    }


OMICS = [
    {
        "type": "study",
        "submitter_id": "st-1",
        "study_design": "Cohort",
        "projects": {"code": "omics"},
    },
    _subject(
        "su-1", "st-1", species="Homo sapiens", consent_codes=["GRU", "HMB"], primary_site="Colon"
    ),
    _subject("su-2", "st-1", species="Homo sapiens", consent_codes=["GRU"], primary_site="Lung"),
    _subject("su-3", "st-1", species="Mus musculus", primary_site="Colon"),
    _subject("su-4", "st-1", species="Macaca mulatta", consent_codes=["HMB"]),
    _sample(
        "sa-1",
        "su-1",
        "Primary Tumor",
        tissue_type="Tumor",
        weight_mg=10.0,
        is_ffpe=True,
        days_to_collection=5,
    ),
    _sample(
        "sa-2",
        "su-1",
        "Solid Tissue Normal",
        tissue_type="Normal",
        weight_mg=25.5,
        is_ffpe=False,
        days_to_collection=12,
    ),
    _sample(
        "sa-3",
        "su-2",
        "Primary Tumor",
        tissue_type="Tumor",
        weight_mg=40.0,
        is_ffpe=True,
        days_to_collection=30,
    ),
    _sample("sa-4", "su-3", "Metastatic", tissue_type="Tumor", days_to_collection=100),
    _sample("sa-5", "su-4", "Primary Tumor", weight_mg=99.0),
    _aliquot("al-1", "sa-1", "DNA"),
    _aliquot("al-2", "sa-1", "RNA"),
    _aliquot("al-3", "sa-3", "DNA"),
    _aliquot("al-4", "sa-4", "RNA"),
    _read_group("rg-1", "al-1", "WGS"),
    _read_group("rg-2", "al-3", "RNA-Seq"),
    _file("f-1", "rg-1", "BAM", 1000),
    _file("f-2", "rg-2", "FASTQ", 2000),
    _file("f-3", "rg-2", "BAM", 3000),
]
OTHER = [
    {
        "type": "study",
        "submitter_id": "st-9",
        "study_design": "Cohort",
        "projects": {"code": "other"},
    },
    _subject("ot-1", "st-9", species="Homo sapiens"),
    _subject("ot-2", "st-9", species="Rattus norvegicus"),
    _sample("os-1", "ot-1", "Primary Tumor", tissue_type="Tumor"),
]


def load_cohort(store: GraphStore, compiled: CompiledDictionary) -> None:
    projects.upsert_program(
        store, compiled, {"type": "program", "name": "demo", "dbgap_accession_number": "phs1"}
    )
    for code, docs in (("omics", OMICS), ("other", OTHER)):
        project = {
            "type": "project",
            "code": code,
            "name": code,
            "dbgap_accession_number": f"phs-{code}",
        }
        assert projects.upsert_project(store, compiled, "demo", project).success
        sources = [SourceDoc(doc, None, index) for index, doc in enumerate(docs)]
        result = submit_documents(store, compiled, Target("demo", code), sources)
        assert result.success, result.to_json()


def fresh_app(
    graph: GraphStore, objects: ObjectStore, compiled: CompiledDictionary, data_dir: Path
) -> Starlette:
    """The whole app over an emptied graph, for a module's read-only tests to fill once.

    Loading data once per module, not per test, keeps them fast (the `api`
    fixture empties the graph for every test).
    """
    graph.write("MATCH (n) DETACH DELETE n")
    apply_ddl(graph, compiled.ddl)
    settings = load_settings(
        environ={"COMMONS_CONFIG": "/nonexistent.yaml", "COMMONS_DATA_DIR": str(data_dir)}
    )
    return create_app(Stores(graph, objects), settings, compiled)


def cohort_client(
    graph: GraphStore, objects: ObjectStore, compiled: CompiledDictionary, data_dir: Path
) -> TestClient:
    """A client of the whole app over a graph holding the cohort and nothing else, as an admin."""
    app = fresh_app(graph, objects, compiled, data_dir)
    load_cohort(graph, compiled)
    return as_admin(TestClient(app))


def guppy(
    client: TestClient, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The `data` of a guppy query that must succeed."""
    response = client.post("/guppy/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def guppy_error(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> str:
    """The first error message of a guppy query that must fail with 400."""
    response = client.post("/guppy/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 400, response.text
    return response.json()["errors"][0]["message"]
