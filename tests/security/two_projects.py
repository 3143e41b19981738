"""Alice writes project A1 (`/programs/A/projects/A1`), Bob writes B1: the security suite's world.

Everything of A1 that a string can name (entity ids, submitter_ids, GUIDs,
md5s, file names, storage keys, property values) is a needle: no answer
to Bob, an anonymous caller or a user without a policy may contain one
that the request itself did not carry. A1's files have names with and
without a `/`, single-part, batch and multipart uploads, so every way a
key is made is there to be aimed at.

Under `INDEX_READ=public` A1's index records are public metadata, so their
needles (`record_needles`: GUIDs, md5s, file names, storage keys, URLs)
may be shown to anyone; the rest never, and neither is a signed URL for
A1's bytes (`signed`) nor the bytes themselves. `served` puts the same
world behind an app with other settings, without building it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from engine.auth.policy_store import save_policy
from engine.dictionary.compile import CompiledDictionary
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.objects.index import DDL as RECORD_DDL
from engine.objects.store import ObjectStore
from engine.submission.transaction_log import LABEL as LOG
from tests.auth_fixture import access_token
from tests.auth_world import make_app, ok, project_tree, role

BASE = "/api/v0/submission"
A1_PATH, B1_PATH = "/programs/A/projects/A1", "/programs/B/projects/B1"
USERS = {
    "alice": "alice@example.org",
    "bob": "bob@example.org",
    "nobody": "nobody@example.org",
    "admin": "admin@example.org",
}
OUTSIDERS = ("bob", "anonymous", "nobody")
# What each file of A1 holds: distinctive bytes, so their md5s are needles too.
A1_FILES = {
    "alice-reads.bam": b"alice's private reads\n",
    "alice-dir/alice-nested.vcf": b"alice's private variants\n",
}
A1_BATCH_FILE = ("alice-batch.txt", b"alice's batch upload\n")
A1_MULTIPART_FILE = ("alice-multipart.bin", b"alice's multipart bytes\n" * 4)


WRITES = [
    ("sheepdog", "*"),
    ("peregrine", "read"),
    ("guppy", "read"),
    ("indexd", "*"),
    ("fence", "*"),
]


POLICY = {
    "authz": {
        "anonymous_policies": [],
        "all_users_policies": [],
        "resources": [
            {"name": "programs", "subresources": [project_tree("A", "A1"), project_tree("B", "B1")]}
        ],
        "roles": [role("writer", WRITES)],
        "policies": [
            {"id": "A1_writer", "role_ids": ["writer"], "resource_paths": [A1_PATH]},
            {"id": "B1_writer", "role_ids": ["writer"], "resource_paths": [B1_PATH]},
        ],
    },
    "users": {
        USERS["alice"]: {"policies": ["A1_writer"]},
        USERS["bob"]: {"policies": ["B1_writer"]},
        USERS["admin"]: {"admin": True},
    },
}


@dataclass
class TwoProjects:
    app: Any
    graph: GraphStore
    objects: ObjectStore
    tokens: dict[str, str]
    a1: dict[str, Any] = field(default_factory=dict)  # named things of A1
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # GUID -> alice's record
    needles: set[str] = field(default_factory=set)
    record_needles: set[str] = field(default_factory=set)  # the needles in A1's index records

    def served(self, **settings: str) -> TwoProjects:
        """The same world (stores, data, tokens) served by an app with `settings`."""
        state = self.app.state
        app = make_app(
            self.graph, self.objects, state.compiled, state.settings.commons_data_dir, **settings
        )
        return dataclasses.replace(self, app=app)

    def client(self, caller: str) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)
        if caller in self.tokens:
            client.headers["Authorization"] = f"Bearer {self.tokens[caller]}"
        return client

    def leaked(self, response: httpx.Response, asked: str) -> set[str]:
        """A1's needles in `response` that the request (`asked`) did not carry itself."""
        return {n for n in self.needles if n in response.text and n not in asked}

    def signed(self, response: httpx.Response) -> set[str]:
        """A1's storage keys that `response` holds a URL with a query for: a signed URL."""
        keys = self.a1["keys"].values()
        return {key for key in keys if re.search(re.escape(key) + r"\?", response.text)}

    def a1_bytes_intact(self) -> None:
        """Every file of A1 still holds alice's bytes, and alice still downloads exactly them."""
        alice = self.client("alice")
        for guid, record in self.files.items():
            now = ok(alice.get(f"/index/index/{guid}"))
            assert (now["size"], now["hashes"]) == (record["size"], record["hashes"]), guid
            url = ok(alice.get(f"/user/data/download/{guid}"))["url"]
            assert hashlib.md5(httpx.get(url).content).hexdigest() == record["hashes"]["md5"]


def _a1_bytes() -> list[bytes]:
    return [*A1_FILES.values(), A1_BATCH_FILE[1], A1_MULTIPART_FILE[1]]


def _put_bytes(url: str, data: bytes) -> None:
    assert httpx.put(url, content=data).status_code == 200


def _load_entities(world: TwoProjects) -> None:
    admin, alice, bob = (world.client(c) for c in ("admin", "alice", "bob"))
    for program, code in (("A", "A1"), ("B", "B1")):
        ok(
            admin.put(
                f"{BASE}/",
                json={
                    "type": "program",
                    "name": program,
                    "dbgap_accession_number": f"phs-{program}",
                },
            )
        )
        project = {
            "type": "project",
            "code": code,
            "name": f"project {code}",
            "dbgap_accession_number": f"phs-{code}",
        }
        ok(admin.put(f"{BASE}/{program}", json=project))
    docs = [
        {
            "type": "study",
            "submitter_id": "alice-study",
            "study_design": "Cohort",
            "projects": {"code": "A1"},
        },
        *(
            {
                "type": "subject",
                "submitter_id": f"alice-subject-{i}",
                "studies": {"submitter_id": "alice-study"},
            }
            for i in (1, 2)
        ),
        {
            "type": "demographic",
            "submitter_id": "alice-demographic-1",
            "subjects": {"submitter_id": "alice-subject-1"},
            "year_of_birth": 1931,
            "body_mass_index": 31.25,
        },
    ]
    entities = ok(alice.put(f"{BASE}/A/A1", json=docs))["entities"]
    world.a1["entity_ids"] = {e["unique_keys"][0]["submitter_id"]: e["id"] for e in entities}
    ok(
        bob.put(
            f"{BASE}/B/B1",
            json=[
                {
                    "type": "study",
                    "submitter_id": "bob-study",
                    "study_design": "Cohort",
                    "projects": {"code": "B1"},
                }
            ],
        )
    )


def _load_files(world: TwoProjects) -> None:
    alice = world.client("alice")
    for name, data in A1_FILES.items():
        ticket = ok(alice.post("/user/data/upload", json={"file_name": name, "authz": [A1_PATH]}))
        _put_bytes(ticket["url"], data)
        world.files[ticket["guid"]] = ok(alice.get(f"/index/index/{ticket['guid']}"))  # settles
    name, data = A1_BATCH_FILE
    [ticket] = ok(
        alice.post(
            "/user/data/upload/batch", json={"files": [{"file_name": name, "authz": [A1_PATH]}]}
        )
    )["uploads"]
    _put_bytes(ticket["url"], data)
    done = {
        "guid": ticket["guid"],
        "rev": ticket["rev"],
        "size": len(data),
        "md5": hashlib.md5(data).hexdigest(),
    }
    [record] = ok(alice.post("/user/data/upload/complete", json={"files": [done]}))["records"]
    world.files[record["did"]] = record
    name, data = A1_MULTIPART_FILE
    init = ok(alice.post("/user/data/multipart/init", json={"file_name": name, "authz": [A1_PATH]}))
    part = ok(
        alice.post(
            "/user/data/multipart/upload",
            json={"key": init["key"], "uploadId": init["uploadId"], "partNumber": 1},
        )
    )
    etag = httpx.put(part["presigned_url"], content=data).headers["ETag"]
    complete = {
        "key": init["key"],
        "uploadId": init["uploadId"],
        "parts": [{"PartNumber": 1, "ETag": etag}],
        "md5": hashlib.md5(data).hexdigest(),
        "size": len(data),
    }
    record = ok(alice.post("/user/data/multipart/complete", json=complete))
    world.files[record["did"]] = record
    elsewhere = {
        "size": 7,
        "hashes": {"md5": hashlib.md5(b"alice-x").hexdigest()},
        "urls": ["https://alice.example.org/alice-elsewhere.txt"],
        "authz": [A1_PATH],
        "file_name": "alice-elsewhere.txt",
    }
    world.a1["elsewhere"] = ok(alice.post("/index/index", json=elsewhere))["did"]


def build_two_projects(
    graph: GraphStore,
    objects: ObjectStore,
    compiled: CompiledDictionary,
    data_dir: Path,
    **settings: str,
) -> TwoProjects:
    """An emptied graph holding the policy, A1's and B1's data, and every caller's token."""
    graph.write("MATCH (n) DETACH DELETE n")
    apply_ddl(graph, compiled.ddl + RECORD_DDL)
    app = make_app(graph, objects, compiled, data_dir, **settings)
    save_policy(graph, POLICY)
    tokens = {
        caller: access_token(app, user, admin=caller == "admin") for caller, user in USERS.items()
    }
    world = TwoProjects(app, graph, objects, tokens)
    _load_entities(world)
    _load_files(world)
    rows = graph.read(
        f"MATCH (n) WHERE n.project_id = 'A-A1' AND NOT n:{LOG} "
        "RETURN n.id AS id, n.submitter_id AS sid"
    )
    keys = graph.read(
        "MATCH (r:IndexRecord) WHERE 'A1' IN [a IN r.authz | split(a, '/')[-1]] "
        "RETURN r.did AS did, r.storage_key AS key, r.hash_md5 AS md5, r.file_name AS name"
    )
    world.a1["keys"] = {row["did"]: row["key"] for row in keys if row["key"]}
    world.record_needles = {value for row in keys for value in row.values() if value} | {
        "alice.example.org"
    }
    world.needles = (
        {row["id"] for row in rows}
        | {row["sid"] for row in rows if row["sid"]}
        | {"phs-A1", "project A1"}
        | {data.decode().splitlines()[0] for data in _a1_bytes()}  # bytes never pass
        | world.record_needles
    )
    return world
