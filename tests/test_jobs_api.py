"""Sower's job API (`/job/*`) as the portal's "Export to PFB" drives it, on the real stores.

Two readers dispatch the same export of everything: the reader of A gets a
PFB of A alone, the reader of A and B one of both. Jobs are their owner's
alone; a restarted server reports a job it was running as Failed; a GUID
export is an index record its owner can resolve and download through DRS.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
import httpx
import pytest
from pfb.reader import PFBReader
from starlette.testclient import TestClient

from engine.api.jobs import MAX_RUNNING, job_runner
from engine.auth.policy_store import save_policy
from engine.config import ConfigError, load_settings
from engine.dictionary.compile import CompiledDictionary
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.jobs.state import INTERRUPTED, JobStates, new_job
from engine.objects.index import DDL as RECORD_DDL
from engine.objects.store import ObjectStore
from tests.auth_fixture import access_token
from tests.auth_world import A_PATH, B_PATH, BASE, make_app, ok
from tests.auth_world import POLICY as WORLD_POLICY
from tests.live_commons import served

USERS = {"a": "a-reader@example.org", "ab": "ab-reader@example.org", "admin": "jobs-admin@x.org"}
POLICY = {
    "authz": {
        **WORLD_POLICY["authz"],  # auth_world's projects (demo/a, other/b) and roles (reader)
        "policies": [
            {"id": "a_reader", "role_ids": ["reader"], "resource_paths": [A_PATH]},
            {"id": "b_reader", "role_ids": ["reader"], "resource_paths": [B_PATH]},
        ],
    },
    "users": {
        USERS["a"]: {"policies": ["a_reader"]},
        USERS["ab"]: {"policies": ["a_reader", "b_reader"]},
        USERS["admin"]: {"admin": True},
    },
}
EVERYTHING = {"action": "export", "input": {"filter": {}}}


@dataclass
class Jobs:
    app: Any
    graph: GraphStore
    tokens: dict[str, str]

    def client(self, caller: str, app: Any = None) -> TestClient:
        client = TestClient(app or self.app)
        if caller in self.tokens:
            client.headers["Authorization"] = f"Bearer {self.tokens[caller]}"
        return client


def _load(admin: TestClient) -> None:
    for program, code in (("demo", "a"), ("other", "b")):
        program_doc = {"type": "program", "name": program, "dbgap_accession_number": program}
        ok(admin.put(f"{BASE}/", json=program_doc))
        project = {"type": "project", "code": code, "name": code, "dbgap_accession_number": code}
        ok(admin.put(f"{BASE}/{program}", json=project))
        docs: list[dict[str, Any]] = [
            {
                "type": "study",
                "submitter_id": f"{code}-st",
                "study_design": "Cohort",
                "projects": {"code": code},
            }
        ]
        for i in (1, 2):
            subject = f"{code}-su-{i}"
            docs.append(
                {
                    "type": "subject",
                    "submitter_id": subject,
                    "studies": {"submitter_id": f"{code}-st"},
                }
            )
            docs.append(
                {
                    "type": "demographic",
                    "submitter_id": f"{code}-de-{i}",
                    "subjects": {"submitter_id": subject},
                }
            )
        ok(admin.put(f"{BASE}/{program}/{code}", json=docs))


@pytest.fixture(scope="module")
def jobs(
    graph_store: GraphStore,
    seaweedfs_store: ObjectStore,
    compiled_default: CompiledDictionary,
    commons_data_dir: Path,
) -> Iterator[Jobs]:
    graph_store.write("MATCH (n) DETACH DELETE n")
    apply_ddl(graph_store, compiled_default.ddl + RECORD_DDL)
    app = make_app(graph_store, seaweedfs_store, compiled_default, commons_data_dir)
    save_policy(graph_store, POLICY)
    tokens = {
        caller: access_token(app, user, admin=caller == "admin") for caller, user in USERS.items()
    }
    world = Jobs(app, graph_store, tokens)
    _load(world.client("admin"))
    yield world
    job_runner(app).stop()


def _finished(client: TestClient, uid: str) -> dict[str, Any]:
    """The job's status once it is no longer Running."""
    deadline = time.monotonic() + 60
    while True:
        found = ok(client.get("/job/status", params={"UID": uid}))
        if found["status"] != "Running" or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _export(client: TestClient, body: dict[str, Any] = EVERYTHING) -> tuple[dict, bytes]:
    """Dispatch, wait, fetch the output through its signed URL: (the job, the PFB's bytes)."""
    job = ok(client.post("/job/dispatch", json=body))
    assert set(job) == {"uid", "name", "status"} and job["status"] == "Running"
    assert job["name"].startswith("export-")
    done = _finished(client, job["uid"])
    assert done == {**job, "status": "Completed"}
    url = ok(client.get("/job/output", params={"UID": job["uid"]}))["output"]
    fetched = httpx.get(url)
    assert fetched.status_code == 200
    return job, fetched.content


def _entities(data: bytes) -> dict[str, set[str]]:
    """Submitter ids (a program's name) by node type, the relations checked to stay inside."""
    records = list(fastavro.reader(io.BytesIO(data)))
    assert records[0]["name"] == "Metadata"
    ids = {record["id"] for record in records[1:]}
    found: dict[str, set[str]] = {}
    for record in records[1:]:
        assert all(relation["dst_id"] in ids for relation in record["relations"])
        values = record["object"]
        found.setdefault(record["name"], set()).add(values.get("submitter_id") or values["name"])
    return found


def test_each_caller_exports_only_what_they_may_read(jobs: Jobs) -> None:
    _, mine = _export(jobs.client("a"))
    assert _entities(mine) == {
        "program": {"demo"},
        "project": {"a"},
        "study": {"a-st"},
        "subject": {"a-su-1", "a-su-2"},
        "demographic": {"a-de-1", "a-de-2"},
    }
    _, both = _export(jobs.client("ab"))
    found = _entities(both)
    assert found["subject"] == {"a-su-1", "a-su-2", "b-su-1", "b-su-2"}
    assert found["program"] == {"demo", "other"} and found["project"] == {"a", "b"}
    with PFBReader(io.BytesIO(both)) as reader:  # pypfb, the oracle, reads it too
        assert len(list(reader)) == 14


def test_the_filter_and_root_node_pick_the_cohort(jobs: Jobs) -> None:
    filtered = {"IN": {"submitter_id": ["a-su-1", "b-su-2"]}}
    _, data = _export(jobs.client("ab"), {"action": "export", "input": {"filter": filtered}})
    assert _entities(data)["subject"] == {"a-su-1", "b-su-2"}
    by_demographic = {"filter": {"=": {"submitter_id": "b-de-1"}}, "root_node": "demographic"}
    _, data = _export(jobs.client("ab"), {"action": "export", "input": by_demographic})
    assert _entities(data)["demographic"] == {"b-de-1"}
    assert _entities(data)["subject"] == {"b-su-1"}


def test_a_caller_sees_only_their_own_jobs(jobs: Jobs) -> None:
    theirs, _ = _export(jobs.client("ab"))
    reader = jobs.client("a")
    for path in ("/job/status", "/job/output"):
        other = reader.get(path, params={"UID": theirs["uid"]})
        none = reader.get(path, params={"UID": "00000000-0000-4000-8000-000000000000"})
        assert other.status_code == none.status_code == 404
        assert other.json()["message"].replace(theirs["uid"], "X") == none.json()[
            "message"
        ].replace("00000000-0000-4000-8000-000000000000", "X")
    listed = ok(jobs.client("ab").get("/job/list"))
    assert (
        theirs in [{**job, "status": "Running"} for job in listed]
        or theirs | {"status": "Completed"} in listed
    )
    assert theirs["uid"] not in {job["uid"] for job in ok(reader.get("/job/list"))}
    anonymous = jobs.client("anonymous")
    assert anonymous.get("/job/list").status_code == 401
    assert anonymous.post("/job/dispatch", json=EVERYTHING).status_code == 401


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"action": "import", "input": {}}, "'action' must be one of: export"),
        ({"input": {}}, "'action'"),
        ({"action": "export", "input": {"filter": {"=": {"nope": 1}}}}, "input.filter:"),
        ({"action": "export", "input": {"filter": {"AND": 3}}}, "input.filter:"),
        ({"action": "export", "input": {"root_node": "nothing"}}, "input.root_node"),
        ({"action": "export", "input": []}, "'input'"),
        ({"action": "export", "input": {"filters": {}}}, "input: filters"),
        ({"action": "export", "access_format": "zip"}, "'access_format'"),
    ],
)
def test_bad_dispatches_are_refused_naming_the_field(
    jobs: Jobs, body: dict[str, Any], named: str
) -> None:
    answer = jobs.client("a").post("/job/dispatch", json=body)
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["message"]


def test_status_and_output_need_a_uid(jobs: Jobs) -> None:
    for path in ("/job/status", "/job/output"):
        answer = jobs.client("a").get(path)
        assert answer.status_code == 400 and "UID" in answer.json()["message"]


def test_guid_export_is_indexed_and_resolves_through_drs(jobs: Jobs) -> None:
    owner = jobs.client("a")
    job = ok(owner.post("/job/dispatch", json={**EVERYTHING, "access_format": "guid"}))
    assert _finished(owner, job["uid"])["status"] == "Completed"
    guid = ok(owner.get("/job/output", params={"UID": job["uid"]}))["output"]
    drs = ok(owner.get(f"/ga4gh/drs/v1/objects/{guid}"))
    assert drs["id"] == guid and drs["name"].endswith(".avro")
    url = ok(owner.get(f"/ga4gh/drs/v1/objects/{guid}/access/s3"))["url"]
    data = httpx.get(url).content
    assert len(data) == drs["size"]
    assert _entities(data)["subject"] == {"a-su-1", "a-su-2"}
    # The file is its owner's: another reader may not download it.
    assert jobs.client("ab").get(f"/ga4gh/drs/v1/objects/{guid}/access/s3").status_code in (
        403,
        404,
    )


def test_a_job_that_raises_is_failed_with_its_reason(jobs: Jobs) -> None:
    def broken() -> dict[str, Any]:
        raise ZeroDivisionError("nothing to see")

    failing = new_job("export", USERS["a"], "presigned_url")
    job_runner(jobs.app).submit(failing, broken)
    found = _finished(jobs.client("a"), failing.uid)
    assert found["status"] == "Failed"
    assert found["reason"] == "the export failed (ZeroDivisionError); the server logged why"


def test_a_user_may_have_only_so_many_jobs_running(jobs: Jobs) -> None:
    states = JobStates(jobs.graph)
    for _ in range(MAX_RUNNING):
        states.create(new_job("export", USERS["admin"], "presigned_url"))
    refused = jobs.client("admin").post("/job/dispatch", json=EVERYTHING)
    assert refused.status_code == 409 and f"{MAX_RUNNING} jobs Running" in refused.json()["message"]
    assert ok(jobs.client("a").post("/job/dispatch", json=EVERYTHING))["status"] == "Running"


def test_a_restarted_server_reports_an_interrupted_job_as_failed(
    jobs: Jobs,
    seaweedfs_store: ObjectStore,
    compiled_default: CompiledDictionary,
    commons_data_dir: Path,
) -> None:
    """A job Running when its server went away: its record written, its thread gone."""
    headers = {"Authorization": f"Bearer {jobs.tokens['a']}"}
    left = new_job("export", USERS["a"], "presigned_url")

    def server() -> Any:
        return make_app(jobs.graph, seaweedfs_store, compiled_default, commons_data_dir)

    with served(server()) as url:
        JobStates(jobs.graph).create(left)
        asked = httpx.get(f"{url}/job/status", params={"UID": left.uid}, headers=headers)
        assert ok(asked)["status"] == "Running"
    with served(server()) as url:  # the same stores, a new process's start-up
        asked = httpx.get(f"{url}/job/status", params={"UID": left.uid}, headers=headers)
        assert ok(asked) == {**left.info(), "status": "Failed", "reason": INTERRUPTED}
        refused = httpx.get(f"{url}/job/output", params={"UID": left.uid}, headers=headers)
        assert refused.status_code == 409 and INTERRUPTED in refused.json()["message"]


def test_an_export_and_its_records_are_removed_after_jobs_export_ttl(
    jobs: Jobs,
    seaweedfs_store: ObjectStore,
    compiled_default: CompiledDictionary,
    commons_data_dir: Path,
) -> None:
    """As pelican's: a GUID export gets an MDS record `{_expires_at}`; once that time is past,
    the file, its index record and its MDS record go, and the output answers 410."""
    ttl = 3
    app = make_app(
        jobs.graph, seaweedfs_store, compiled_default, commons_data_dir, jobs_export_ttl=str(ttl)
    )
    owner = jobs.client("a", app)
    try:
        dispatched = [
            ok(owner.post("/job/dispatch", json={**EVERYTHING, "access_format": form}))
            for form in ("guid", "presigned_url")
        ]
        assert all(_finished(owner, job["uid"])["status"] == "Completed" for job in dispatched)
        guid = ok(owner.get("/job/output", params={"UID": dispatched[0]["uid"]}))["output"]
        assert (
            httpx.get(
                ok(owner.get("/job/output", params={"UID": dispatched[1]["uid"]}))["output"]
            ).status_code
            == 200
        )
        expires_at = ok(owner.get(f"/mds/metadata/{guid}"))["_expires_at"]
        assert time.time() < expires_at <= time.time() + ttl
        kept = [JobStates(jobs.graph).get(job["uid"], USERS["a"]) for job in dispatched]
        keys = [job.output_key for job in kept if job is not None and job.output_key]
        assert len(keys) == 2 and all(seaweedfs_store.stat(key) is not None for key in keys)

        time.sleep(max(0.0, max(job.expires_at or 0 for job in kept if job) - time.time()) + 0.2)
        for job in dispatched:
            gone = owner.get("/job/output", params={"UID": job["uid"]})
            assert gone.status_code == 410, gone.text
            assert "expired" in gone.json()["message"]
            assert "JOBS_EXPORT_TTL" in gone.json()["message"]
            assert ok(owner.get("/job/status", params={"UID": job["uid"]}))["status"] == "Completed"
        assert all(seaweedfs_store.stat(key) is None for key in keys)
        assert owner.get(f"/index/index/{guid}").status_code == 404
        assert owner.get(f"/mds/metadata/{guid}").status_code == 404
        assert owner.get(f"/ga4gh/drs/v1/objects/{guid}").status_code == 404
    finally:
        job_runner(app).stop()


def test_jobs_export_ttl_must_be_a_positive_number_of_seconds() -> None:
    with pytest.raises(ConfigError, match="JOBS_EXPORT_TTL"):
        load_settings(environ={"COMMONS_CONFIG": "/nonexistent.yaml", "JOBS_EXPORT_TTL": "0"})
    settings = load_settings(environ={"COMMONS_CONFIG": "/nonexistent.yaml"})
    assert settings.jobs_export_ttl == 14 * 24 * 3600
