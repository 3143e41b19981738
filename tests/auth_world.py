"""Two projects and five callers, for the access tests: what each may see is known in advance.

Project A is `demo-a` (/programs/demo/projects/a): a study, subjects
a-su-1..3, one uploaded file. Project B is `other-b`: a study, subjects
zz-b-su-1..2 and one uploaded file, which nobody but the admin may read, so
every id, submitter_id and GUID of B is a needle that must not turn up in
anything another caller is answered (`World.needles`).

Callers, as tests/test_auth_matrix.py's columns: anonymous, logged-in
without grants, reader of A, submitter of A, admin. All of them get real
access tokens from the app's auth core, and the policy is a user.yaml.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.auth.policy_store import save_policy
from engine.config import load_settings
from engine.dictionary.compile import CompiledDictionary
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.objects.index import DDL as RECORD_DDL
from engine.objects.store import ObjectStore
from engine.stores import Stores
from engine.submission.transaction_log import LABEL as LOG
from tests.auth_fixture import access_token

BASE = "/api/v0/submission"
A, B = "demo-a", "other-b"
A_PATH, B_PATH = "/programs/demo/projects/a", "/programs/other/projects/b"
A_STUDY = "phs000001.c1"  # A's dbgap_accession_number: a passport granting it opens A
ACCESSIONS = {"a": A_STUDY, "b": "q"}
CALLERS = ("anonymous", "logged_in", "reader", "submitter", "admin")
USERS = {
    "logged_in": "nobody@example.org",
    "reader": "reader@example.org",
    "submitter": "submitter@example.org",
    "admin": "admin@example.org",
}
DATA = b"the bytes of a file\n"
WORLD_TIER = {"tier_access_level": "regular", "tier_access_limit": "50"}
MD5 = hashlib.md5(DATA).hexdigest()


def role(role_id: str, actions: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "id": role_id,
        "permissions": [
            {"id": f"{service}-{method}", "action": {"service": service, "method": method}}
            for service, method in actions
        ],
    }


def project_tree(program: str, code: str) -> dict[str, Any]:
    return {
        "name": program,
        "subresources": [{"name": "projects", "subresources": [{"name": code}]}],
    }


READS = [(s, "read") for s in ("sheepdog", "peregrine", "guppy", "indexd")]
POLICY = {
    "authz": {
        "anonymous_policies": [],
        "all_users_policies": [],
        "resources": [
            {
                "name": "programs",
                "subresources": [project_tree("demo", "a"), project_tree("other", "b")],
            }
        ],
        "roles": [
            role("reader", [*READS, ("fence", "read-storage")]),
            role("submitter", [("sheepdog", "*"), ("indexd", "*"), ("fence", "*")]),
        ],
        "policies": [
            {"id": "a_reader", "role_ids": ["reader"], "resource_paths": [A_PATH]},
            {"id": "a_submitter", "role_ids": ["reader", "submitter"], "resource_paths": [A_PATH]},
        ],
    },
    "users": {
        USERS["reader"]: {"policies": ["a_reader"]},
        USERS["submitter"]: {"policies": ["a_submitter"]},
        USERS["admin"]: {"admin": True},
    },
}


def _study(submitter_id: str, code: str) -> dict[str, Any]:
    return {
        "type": "study",
        "submitter_id": submitter_id,
        "study_design": "Cohort",
        "projects": {"code": code},
    }


def _subject(submitter_id: str, study: str) -> dict[str, Any]:
    return {"type": "subject", "submitter_id": submitter_id, "studies": {"submitter_id": study}}


@dataclass
class World:
    app: Any
    graph: GraphStore
    tokens: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)
    mine: dict[str, dict[str, str]] = field(default_factory=dict)
    needles: frozenset[str] = frozenset()

    def client(self, caller: str, app: Any = None) -> TestClient:
        """A client of `app` (default: the world's) sending `caller`'s token, if any."""
        client = TestClient(app or self.app)
        if caller in self.tokens:
            client.headers["Authorization"] = f"Bearer {self.tokens[caller]}"
        return client

    def app_with(self, **settings: str) -> Any:
        """Another app over the same stores and keys (the same tokens work), with `settings`
        over the tier the world was built at."""
        state = self.app.state
        return make_app(
            self.graph,
            state.stores.objects,
            state.compiled,
            state.settings.commons_data_dir,
            **{**WORLD_TIER, **settings},
        )

    def at_tier(self, level: str, limit: int) -> Any:
        """Another app over the same stores and keys, at this tier."""
        return self.app_with(tier_access_level=level, tier_access_limit=str(limit))

    def served(self, **settings: str) -> World:
        """The same world served by `app_with(**settings)`, with fresh records for each caller
        to change and delete and a fresh `b_trash`."""
        world = dataclasses.replace(
            self, app=self.app_with(**settings), names=dict(self.names), mine=dict(self.mine)
        )
        _records_to_change(world)
        return world

    def values(self, caller: str) -> dict[str, str]:
        """What a case's path and body may name: shared ids, and the caller's own things."""
        return {**self.names, **self.mine[caller], "caller": caller}


def make_app(
    graph: GraphStore,
    objects: ObjectStore,
    compiled: CompiledDictionary,
    data_dir: Path,
    **settings: str,
) -> Any:
    environ = {
        "COMMONS_CONFIG": "/nonexistent.yaml",
        "COMMONS_DATA_DIR": str(data_dir),
        "COMMONS_PUBLIC_URL": "http://testserver",
        **{name.upper(): value for name, value in settings.items()},
    }
    return create_app(Stores(graph, objects), load_settings(environ=environ), compiled)


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def upload(admin: TestClient, authz: str) -> str:
    """A file whose bytes are in the object store, checked: what DRS access and downloads sign."""
    ticket = ok(admin.post("/user/data/upload", json={"file_name": "f.txt", "authz": [authz]}))
    assert httpx.put(ticket["url"], content=DATA).status_code == 200
    assert ok(admin.get(f"/index/index/{ticket['guid']}"))["size"] == len(DATA)  # settled
    return ticket["guid"]


def _record(admin: TestClient, authz: str) -> dict[str, str]:
    body = {"size": 1, "hashes": {"md5": MD5}, "urls": ["https://elsewhere/x"], "authz": [authz]}
    return ok(admin.post("/index/index", json=body))


def _load(world: World) -> None:
    admin = world.client("admin")
    for program, code in (("demo", "a"), ("other", "b")):
        ok(
            admin.put(
                f"{BASE}/",
                json={"type": "program", "name": program, "dbgap_accession_number": "p"},
            )
        )
        project = {
            "type": "project",
            "code": code,
            "name": code,
            "dbgap_accession_number": ACCESSIONS[code],
        }
        ok(admin.put(f"{BASE}/{program}", json=project))
    a_docs = [_study("a-st", "a"), *(_subject(f"a-su-{i}", "a-st") for i in (1, 2, 3))]
    b_docs = [_study("zz-b-st", "b"), *(_subject(f"zz-b-su-{i}", "zz-b-st") for i in (1, 2))]
    mine_docs = [_study(f"del-{caller}", "a") for caller in CALLERS]
    entities = ok(admin.put(f"{BASE}/demo/a", json=a_docs + mine_docs))["entities"]
    a_ids = {entity["unique_keys"][0]["submitter_id"]: entity["id"] for entity in entities}
    ok(admin.put(f"{BASE}/other/b", json=b_docs))
    b_rows = world.graph.read(
        f"MATCH (n) WHERE n.project_id = $b AND NOT n:{LOG} RETURN n.id AS id, n.submitter_id AS sid",
        {"b": B},
    )
    b_subject = next(row["id"] for row in b_rows if row["sid"] == "zz-b-su-1")
    world.names = {
        "a_subject": a_ids["a-su-1"],
        "b_subject": b_subject,
        "a_did": upload(admin, A_PATH),
        "b_did": upload(admin, B_PATH),
        "b_record": _record(admin, B_PATH)["did"],
    }
    world.mine = {caller: {"my_study": a_ids[f"del-{caller}"]} for caller in CALLERS}
    b_values = {row["id"] for row in b_rows} | {row["sid"] for row in b_rows if row["sid"]}
    b_dids = {world.names[name] for name in ("b_did", "b_record")}
    world.needles = frozenset(b_values | b_dids | {B})
    _records_to_change(world)


def _records_to_change(world: World) -> None:
    """A record of B to delete (`b_trash`, a needle too), and for each caller one of A to update
    and one to delete."""
    admin = world.client("admin")
    world.names["b_trash"] = _record(admin, B_PATH)["did"]
    world.needles |= {world.names["b_trash"]}
    for caller in CALLERS:
        update, delete = _record(admin, A_PATH), _record(admin, A_PATH)
        world.mine[caller] = {
            "my_study": world.mine[caller]["my_study"],
            "update_did": update["did"],
            "update_rev": update["rev"],
            "delete_did": delete["did"],
            "delete_rev": delete["rev"],
        }


def build_world(
    graph: GraphStore,
    objects: ObjectStore,
    compiled: CompiledDictionary,
    data_dir: Path,
    **settings: str,
) -> World:
    """An emptied graph holding the policy, both projects and the callers' tokens."""
    graph.write("MATCH (n) DETACH DELETE n")
    apply_ddl(graph, compiled.ddl + RECORD_DDL)
    app = make_app(graph, objects, compiled, data_dir, **{**WORLD_TIER, **settings})
    save_policy(graph, POLICY)
    tokens = {
        caller: access_token(app, user, admin=caller == "admin") for caller, user in USERS.items()
    }
    world = World(app, graph, tokens)
    _load(world)
    return world
