"""PFB export: the unmodified pypfb CLI reads what Commons writes, enums and relations intact."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import fastavro
import pytest
from pfb.base import decode_enum
from pfb.reader import PFBReader
from starlette.testclient import TestClient

from engine.dictionary.compile import CompiledDictionary
from engine.graph.store import GraphStore
from engine.objects.store import ObjectStore
from engine.pfb.write import Cohort, _read_ahead, write_pfb
from engine.query.access import Access
from engine.query.errors import QueryError
from tests.pfb_world import (
    AWKWARD,
    BASE,
    FLAGS,
    app_client,
    cohort_documents,
    compiled_awkward,
    export,
    make_project,
    ok,
    pfb,
)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> CompiledDictionary:
    return compiled_awkward(tmp_path_factory.mktemp("dictionary"))


@pytest.fixture
def client(
    graph: GraphStore,
    seaweedfs_store: ObjectStore,
    compiled: CompiledDictionary,
    commons_data_dir: Path,
) -> TestClient:
    client = app_client(graph, seaweedfs_store, compiled, commons_data_dir)
    make_project(client, "prog", "alpha")
    ok(client.put(f"{BASE}/prog/alpha", json=cohort_documents("alpha")))
    make_project(client, "prog", "beta")
    ok(client.put(f"{BASE}/prog/beta", json=cohort_documents("beta", subjects=1)))
    return client


def _records(data: bytes) -> list[dict]:
    with PFBReader(io.BytesIO(data)) as reader:
        return list(reader)


def test_project_export_reads_in_pypfb(
    client: TestClient, graph: GraphStore, compiled: CompiledDictionary, tmp_path: Path
) -> None:
    data = export(graph, compiled, project_id="prog-alpha")
    path = tmp_path / "alpha.avro"
    path.write_bytes(data)
    # The container itself: codec null, the Metadata record first.
    with path.open("rb") as handle:
        avro = fastavro.reader(handle)
        assert avro.codec == "null"
        first = next(avro)
        assert (first["id"], first["name"], first["relations"]) == (None, "Metadata", [])
        assert {node["name"] for node in first["object"]["nodes"]} == set(compiled.dictionary.nodes)
    shown = [json.loads(line) for line in pfb("show", "-i", str(path)).stdout.splitlines()]
    by_type: dict[str, list[dict]] = {}
    for record in shown:
        by_type.setdefault(record["name"], []).append(record)
    assert {k: len(v) for k, v in by_type.items()} == {
        "program": 1,
        "project": 1,
        "subject": 3,
        "demographic": 3,
        "sample": len(AWKWARD),
    }
    subject = by_type["subject"][0]["object"]
    assert subject["project_id"] == "prog-alpha"
    for key in ("submitter_id", "state", "created_datetime", "updated_datetime"):
        assert subject[key], key
    nodes = pfb("show", "-i", str(path), "nodes").stdout.decode().split()
    assert set(nodes) == set(compiled.dictionary.nodes)
    metadata = json.loads(pfb("show", "-i", str(path), "metadata").stdout)
    sample_links = next(n["links"] for n in metadata["nodes"] if n["name"] == "sample")
    assert sample_links == [{"multiplicity": "MANY_TO_ONE", "dst": "subject", "name": "subjects"}]
    schema = json.loads(pfb("show", "-i", str(path), "schema").stdout)
    assert {node["name"] for node in schema} == set(compiled.dictionary.nodes)
    pfb("to", "-i", str(path), "tsv", str(tmp_path / "tsv"))
    tables = {p.stem for p in (tmp_path / "tsv").iterdir()}
    assert tables == set(by_type)
    header, *rows = (tmp_path / "tsv" / "sample.tsv").read_text().splitlines()
    assert "subjects.submitter_id" in header.split("\t")
    assert len(rows) == len(AWKWARD)


def test_decode_enum_restores_every_value(
    client: TestClient, graph: GraphStore, compiled: CompiledDictionary
) -> None:
    data = export(graph, compiled, project_id="prog-alpha")
    raw = list(fastavro.reader(io.BytesIO(data)))
    encoded = [r["object"]["sample_type"] for r in raw if r["name"] == "sample"]
    assert all(symbol.replace("_", "").isalnum() for symbol in encoded)
    assert sorted(decode_enum(symbol) for symbol in encoded) == sorted(AWKWARD)
    # pypfb's reader decodes enums and arrays of enums the same way.
    samples = {
        r["object"]["submitter_id"]: r["object"] for r in _records(data) if r["name"] == "sample"
    }
    for i, value in enumerate(AWKWARD):
        assert samples[f"samp-{i}"]["sample_type"] == value
        assert samples[f"samp-{i}"]["flags"] == FLAGS[: 1 + i % len(FLAGS)]
    # The schema's symbols decode to the dictionary's values, in its order.
    with PFBReader(io.BytesIO(data)) as reader:
        sample = next(node for node in reader.schema if node["name"] == "sample")
    field = next(f for f in sample["fields"] if f["name"] == "sample_type")
    enum = next(t for t in field["type"] if isinstance(t, dict))
    assert enum["symbols"] == AWKWARD


def test_every_relation_names_an_entity_in_the_file(
    client: TestClient, graph: GraphStore, compiled: CompiledDictionary
) -> None:
    records = _records(export(graph, compiled, project_id="prog-alpha"))
    present = {(r["name"], r["id"]) for r in records}
    relations = [(rel["dst_name"], rel["dst_id"]) for r in records for rel in r["relations"]]
    assert relations and set(relations) <= present
    # Parents come before their children.
    seen: set[str] = set()
    for record in records:
        assert all(rel["dst_id"] in seen for rel in record["relations"]), record
        seen.add(record["id"])


def test_cohort_export_holds_roots_what_is_below_and_above(
    client: TestClient, graph: GraphStore, compiled: CompiledDictionary
) -> None:
    cohort = Cohort("subject", Access(), {"IN": {"submitter_id": ["subj-0", "subj-1"]}})
    records = _records(export(graph, compiled, cohort=cohort))
    names = [(r["name"], r["object"].get("submitter_id")) for r in records]
    subjects = [sid for name, sid in names if name == "subject"]
    # Both projects hold subj-0: the filter matches each.
    assert sorted(subjects) == ["subj-0", "subj-0", "subj-1"]
    samples = sorted(sid for name, sid in names if name == "sample")
    assert samples == sorted(
        [f"samp-{i}" for i in range(len(AWKWARD)) if i % 3 in (0, 1)]
        + [f"samp-{i}" for i in range(len(AWKWARD))]
    )
    assert [n for n, _ in names].count("project") == 2
    assert [n for n, _ in names].count("program") == 1
    present = {r["id"] for r in records}
    assert all(rel["dst_id"] in present for r in records for rel in r["relations"])


def test_cohort_export_keeps_to_what_the_caller_may_read(
    client: TestClient, graph: GraphStore, compiled: CompiledDictionary
) -> None:
    access = Access(frozenset({"prog-beta"}))
    records = _records(export(graph, compiled, cohort=Cohort("subject", access)))
    projects = {
        r["object"]["project_id"] for r in records if r["name"] not in ("program", "project")
    }
    assert projects == {"prog-beta"}
    assert [r["object"]["code"] for r in records if r["name"] == "project"] == ["beta"]
    assert sum(r["name"] == "subject" for r in records) == 1
    nothing = _records(export(graph, compiled, cohort=Cohort("subject", Access(frozenset()))))
    assert nothing == []


def test_cohort_filter_is_checked_before_anything_is_written(
    client: TestClient, graph: GraphStore, compiled: CompiledDictionary
) -> None:
    out = io.BytesIO()
    with pytest.raises(QueryError, match="nope"):
        write_pfb(
            graph, compiled.dictionary, out, cohort=Cohort("subject", Access(), {"=": {"nope": 1}})
        )
    with pytest.raises(QueryError, match="not a node type"):
        write_pfb(graph, compiled.dictionary, out, cohort=Cohort("nothing", Access()))
    assert out.getvalue() == b""


def test_export_route_streams_the_project_as_pfb(client: TestClient, tmp_path: Path) -> None:
    response = client.get(f"{BASE}/prog/alpha/export", params={"format": "pfb"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "avro/binary"
    assert "prog-alpha.avro" in response.headers["content-disposition"]
    path = tmp_path / "alpha.avro"
    path.write_bytes(response.content)
    assert len(pfb("show", "-i", str(path)).stdout.splitlines()) == 3 + 3 + len(AWKWARD) + 2
    refused = client.get(f"{BASE}/prog/alpha/export", params={"format": "pfb", "node_label": "x"})
    assert refused.status_code == 400
    assert "whole project" in refused.json()["message"]
    assert client.get(f"{BASE}/prog/nothing/export", params={"format": "pfb"}).status_code == 404
    unknown = client.get(f"{BASE}/prog/alpha/export", params={"format": "xml", "node_label": "x"})
    assert "pfb" in unknown.json()["message"]


def test_read_ahead_hands_on_pages_in_order_and_raises_the_readers_error() -> None:
    def pages():
        yield from ([1], [2], [3])
        raise QueryError("the store failed")

    found = []
    with pytest.raises(QueryError, match="the store failed"):
        for page in _read_ahead(pages(), depth=1):
            found.append(page)
    assert found == [[1], [2], [3]]


def test_read_ahead_stops_reading_when_the_consumer_stops() -> None:
    read = []

    def pages():
        for number in range(1000):
            read.append(number)
            yield [number]

    ahead = _read_ahead(pages(), depth=2)
    assert next(ahead) == [0]
    ahead.close()  # a client gone: the reader stops at its next hand-over
    assert not any(thread.name == "pfb-reader" for thread in threading.enumerate())
    assert len(read) <= 5
