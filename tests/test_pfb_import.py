"""PFB import: a PFB body PUT or POSTed to a project goes through the submission engine, whole or
not at all; Commons' own exports and pypfb's `pfb from json` files both load."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from engine.cli import main
from engine.dictionary.compile import CompiledDictionary
from engine.graph.store import GraphStore
from engine.objects.store import ObjectStore
from tests.auth_fixture import ADMIN, credentials_file
from tests.live_commons import served
from tests.pfb_world import (
    AWKWARD,
    BASE,
    app_client,
    cohort_documents,
    compiled_awkward,
    export,
    make_project,
    ok,
    pfb,
)

AVRO = {"content-type": "avro/binary"}
# Commons sets these, and ids differ from project to project.
UNCOMPARED = ("project_id", "created_datetime", "updated_datetime")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dictionary")


@pytest.fixture(scope="module")
def compiled(folder: Path) -> CompiledDictionary:
    return compiled_awkward(folder)


@pytest.fixture
def client(
    graph: GraphStore,
    seaweedfs_store: ObjectStore,
    compiled: CompiledDictionary,
    commons_data_dir: Path,
) -> TestClient:
    client = app_client(graph, seaweedfs_store, compiled, commons_data_dir)
    for code in ("alpha", "beta"):
        make_project(client, "prog", code)
    ok(client.put(f"{BASE}/prog/alpha", json=cohort_documents("alpha")))
    return client


def _content(data: bytes) -> list[tuple[str, Any, str, list[tuple[str, Any]]]]:
    """Each entity as (type, submitter_id, its values, its parents), ids and project aside."""
    records = list(fastavro.reader(io.BytesIO(data)))[1:]
    names = {r["id"]: r["object"].get("submitter_id", "the project") for r in records}
    return sorted(
        (
            r["name"],
            r["object"].get("submitter_id"),
            json.dumps(
                {k: v for k, v in r["object"].items() if k not in UNCOMPARED}, sort_keys=True
            ),
            sorted((rel["dst_name"], names[rel["dst_id"]]) for rel in r["relations"]),
        )
        for r in records
        if r["name"] not in ("program", "project")
    )


def _count(graph: GraphStore, project_id: str) -> int:
    return graph.read(
        "MATCH (n) WHERE n.project_id = $p AND n.submitter_id IS NOT NULL RETURN count(n) AS n",
        {"p": project_id},
    )[0]["n"]


def test_round_trip_into_another_project(
    client: TestClient, graph: GraphStore, compiled: CompiledDictionary
) -> None:
    exported = export(graph, compiled, project_id="prog-alpha")
    answer = ok(client.put(f"{BASE}/prog/beta", content=exported, headers=AVRO))
    assert answer["created_entity_count"] == 3 + 3 + len(AWKWARD)
    again = export(graph, compiled, project_id="prog-beta")
    assert _content(again) == _content(exported)
    # New ids in the target project; the source's are untouched.
    alpha = {r["id"] for r in fastavro.reader(io.BytesIO(exported)) if r["name"] == "sample"}
    beta = {r["id"] for r in fastavro.reader(io.BytesIO(again)) if r["name"] == "sample"}
    assert alpha and not alpha & beta
    # Submitted again (PUT), the same file updates the same entities.
    updated = ok(client.put(f"{BASE}/prog/beta", content=exported, headers=AVRO))
    assert updated["updated_entity_count"] == 3 + 3 + len(AWKWARD)
    assert _count(graph, "prog-beta") == 3 + 3 + len(AWKWARD)


def test_pypfb_from_json_output_submits_whole(
    client: TestClient, graph: GraphStore, folder: Path, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.avro"
    pfb("from", "-o", str(schema), "dict", str(folder / "pfb-demo"))
    data = tmp_path / "json"
    data.mkdir()
    by_type: dict[str, list[dict]] = {}
    for doc in cohort_documents("beta"):
        by_type.setdefault(doc["type"], []).append(doc)
    for node_type, docs in by_type.items():
        (data / f"{node_type}.json").write_text(json.dumps(docs))
    made = tmp_path / "from-json.avro"
    pfb(
        "from", "-o", str(made), "json", "-s", str(schema), "--program", "prog",
        "--project", "beta", str(data),
    )  # fmt: skip
    answer = ok(client.put(f"{BASE}/prog/beta", content=made.read_bytes(), headers=AVRO))
    assert answer["created_entity_count"] == sum(len(docs) for docs in by_type.values())
    rows = graph.read(
        "MATCH (s:sample)-[:SUBJECTS]->(t:subject)-[:PROJECTS]->(p:project) "
        "WHERE s.project_id = 'prog-beta' RETURN s.sample_type AS type, s.flags AS flags, "
        "t.submitter_id AS subject, p.code AS code ORDER BY s.submitter_id"
    )
    assert sorted(row["type"] for row in rows) == sorted(AWKWARD)
    assert {row["code"] for row in rows} == {"beta"}


def test_relations_name_entities_already_in_the_project_by_id_or_submitter_id(
    client: TestClient, graph: GraphStore, compiled: CompiledDictionary
) -> None:
    subject = graph.read(
        "MATCH (s:subject {submitter_id: 'subj-0', project_id: 'prog-alpha'}) RETURN s.id AS id"
    )[0]["id"]
    body = _pfb_of(
        compiled,
        [
            _sample("new-1", "Primary Tumor", subject),
            _sample("new-2", "99", "subj-1"),
        ],
    )
    ok(client.put(f"{BASE}/prog/alpha", content=body, headers=AVRO))
    rows = graph.read(
        "MATCH (s:sample)-[:SUBJECTS]->(t:subject) WHERE s.submitter_id IN ['new-1', 'new-2'] "
        "RETURN s.submitter_id AS sample, t.submitter_id AS subject, s.sample_type AS type "
        "ORDER BY sample"
    )
    assert [(r["sample"], r["subject"], r["type"]) for r in rows] == [
        ("new-1", "subj-0", "Primary Tumor"),
        ("new-2", "subj-1", "99"),
    ]


def test_an_invalid_record_is_named_and_nothing_is_written(
    client: TestClient, graph: GraphStore, compiled: CompiledDictionary
) -> None:
    before = _count(graph, "prog-alpha")
    body = _pfb_of(
        compiled,
        [_sample("good", "Primary Tumor", "subj-0"), _sample("orphan", "99", "no-such-subject")],
    )
    response = client.post(f"{BASE}/prog/alpha", content=body, headers=AVRO)
    assert response.status_code == 400
    entities = response.json()["entities"]
    assert [e["valid"] for e in entities] == [True, False]
    (error,) = entities[1]["errors"]
    assert error["type"] == "INVALID_LINK" and "no-such-subject" in error["message"]
    assert entities[1]["unique_keys"][0]["submitter_id"] == "orphan"
    assert _count(graph, "prog-alpha") == before


def test_bad_avro_is_a_400_naming_the_problem(
    client: TestClient, compiled: CompiledDictionary
) -> None:
    def refused(body: bytes) -> str:
        response = client.put(f"{BASE}/prog/alpha", content=body, headers=AVRO)
        assert response.status_code == 400, response.text
        return response.json()["message"]

    assert "not an Avro container" in refused(b"not avro at all")
    other = io.BytesIO()
    fastavro.writer(other, {"type": "record", "name": "Thing", "fields": []}, [{}])
    assert "Entity{id, name, object, relations}" in refused(other.getvalue())
    whole = _pfb_of(compiled, [_sample("cut", "99", "subj-0")] * 50)
    assert "cannot be read" in refused(whole[: len(whole) - 40])
    headless = io.BytesIO()
    fastavro.writer(headless, _schema(compiled), [_sample("x", "99", "subj-0")])
    assert "Metadata record" in refused(headless.getvalue())
    astray = _sample("astray", "99", "subj-0")
    astray["relations"] = [{"dst_id": "x", "dst_name": "demographic"}]
    assert "sample has no link to demographic" in refused(_pfb_of(compiled, [astray]))


def _schema(compiled: CompiledDictionary) -> dict[str, Any]:
    from engine.pfb.schema import avro_schema

    return avro_schema(compiled.dictionary)


def _sample(submitter_id: str, sample_type: str, subject: str) -> dict[str, Any]:
    from engine.pfb.schema import encode_enum

    return {
        "id": submitter_id,
        "name": "sample",
        "object": (
            "sample",
            {"submitter_id": submitter_id, "sample_type": encode_enum(sample_type)},
        ),
        "relations": [{"dst_id": subject, "dst_name": "subject"}],
    }


def _pfb_of(compiled: CompiledDictionary, records: list[dict[str, Any]]) -> bytes:
    from engine.pfb.schema import metadata

    out = io.BytesIO()
    header = {"id": None, "name": "Metadata", "object": ("Metadata", metadata(compiled.dictionary))}
    fastavro.writer(out, _schema(compiled), [{**header, "relations": []}, *records])
    return out.getvalue()


@pytest.fixture
def live_url(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A uvicorn serving `client`'s app; the commands run as its admin (COMMONS_CREDENTIALS)."""
    credentials = credentials_file(client.app, ADMIN, tmp_path / "credentials.json", admin=True)
    monkeypatch.setenv("COMMONS_CREDENTIALS", str(credentials))
    with served(client.app) as url:
        yield url


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_exports_a_project_and_submits_it_in_batches(
    live_url: str, graph: GraphStore, tmp_path: Path
) -> None:
    out = tmp_path / "alpha.avro"
    _cli("export", "prog/alpha", "--format", "pfb", "-o", str(out), "--url", live_url)
    pfb("show", "-i", str(out), "metadata")
    # Batches of 4: samples name their subjects by the ids of project alpha, sent batches ago.
    _cli("submit", "prog/beta", str(out), "--batch", "4", "--url", live_url)
    again = tmp_path / "beta.avro"
    _cli("export", "prog/beta", "--format", "pfb", "-o", str(again), "--url", live_url)
    assert _content(again.read_bytes()) == _content(out.read_bytes())


def test_cli_puts_a_file_in_import_order_and_names_failing_records(
    live_url: str, compiled: CompiledDictionary, graph: GraphStore, tmp_path: Path
) -> None:
    subject = {
        "id": "s-new",
        "name": "subject",
        "object": ("subject", {"submitter_id": "s-new"}),
        "relations": [],
    }
    records = [_sample("x-1", "99", "s-new"), _sample("x-2", "1st visit", "nobody"), subject]
    path = tmp_path / "children-first.avro"
    path.write_bytes(_pfb_of(compiled, records))
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        [
            "submit",
            "prog/beta",
            str(path),
            "--batch",
            "1",
            "--url",
            live_url,
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 1, result.output
    (error,) = json.loads(report.read_text())
    # The file's third record (the Metadata record is the first).
    assert error["record"] == 3 and "nobody" in error["message"]
    assert graph.read(
        "MATCH (s:sample {submitter_id: 'x-1'})-[:SUBJECTS]->(t:subject) RETURN t.submitter_id AS t"
    ) == [{"t": "s-new"}]
