"""The API fuzzed against its own contract: schemathesis drives a live Commons from /openapi.json.

Every operation is generated from its description (valid and invalid data)
and sent by three callers: two writers, each of a project of their own
(`fuzz-a`, `fuzz-b`), and an anonymous one. Half of a writer's cases name
its own project, records and entities, and its submissions include batches
of valid and invalid entities with overlapping submitter_ids, so writes are
both accepted and refused. Every answer must be no 5xx, of a status the
contract documents, with a body that matches it, within TIMEOUT_S. After
the run, what the store holds in each project must be what a replay of the
2xx answers says was written: nothing of a refused batch, nothing lost.

Budget: one path per handler and method (aliases such as `/v0/submission/...`
run the same handler), a few cases each per caller (ROUNDS), Hypothesis
derandomized (a fixed seed), at most BUDGET_S seconds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.api.openapi import mounted, template
from engine.api.submission import PREFIXES
from engine.graph.arcadedb import EmbeddedArcadeDB
from engine.graph.store import GraphStore
from engine.objects.store import ObjectStore
from tests.auth_world import ok, project_tree, role
from tests.fuzz_summary import FIGURES
from tests.live_commons import bearer, serving

# Cases per operation and caller, in rounds: for a writer, data naming their own project, records
# and entities (first: a run a slow machine cuts short has still written); valid data; entity
# batches; invalid data.
ROUNDS = {"own": 4, "valid": 3, "batches": 10, "invalid": 2}
BUDGET_S = 60.0
TIMEOUT_S = 10.0
# A PFB body (engine/pfb/) is bytes: sent as schemathesis sends application/octet-stream.
schemathesis.serializer.alias("avro/binary", "application/octet-stream")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PROGRAM, CODES = "fuzz", ("a", "b")
WRITERS = {"alice@example.org": "a", "bob@example.org": "b"}
ADMIN = "root@example.org"
STUDIES = ("st-1", "st-2")
SUBJECTS = ("su-1", "su-2", "su-3")
WRITE_ACTIONS = {"create", "update"}
POLICY = {
    "authz": {
        "anonymous_policies": [],
        "all_users_policies": [],
        "resources": [
            {
                "name": "programs",
                "subresources": [
                    {
                        "name": PROGRAM,
                        "subresources": [
                            {"name": "projects", "subresources": [{"name": c} for c in CODES]}
                        ],
                    }
                ],
            }
        ],
        "roles": [
            role(
                "writer",
                [
                    *((s, "*") for s in ("sheepdog", "indexd", "fence")),
                    *((s, "read") for s in ("peregrine", "guppy")),
                ],
            )
        ],
        "policies": [
            {
                "id": f"{code}_writer",
                "role_ids": ["writer"],
                "resource_paths": [f"/programs/{PROGRAM}/projects/{code}"],
            }
            for code in CODES
        ],
    },
    "users": {user: {"policies": [f"{code}_writer"]} for user, code in WRITERS.items()},
}
assert project_tree  # the policy spells its tree out: two projects under one program


@dataclass
class Caller:
    """Who sends a case: their headers, and what their cases may name of their own."""

    name: str
    headers: dict[str, str]
    code: str | None = None  # the project they write
    own: dict[str, list[str]] = field(default_factory=dict)  # path parameter -> known values


@dataclass
class Ledger:
    """What the run sent and was answered, and what the 2xx answers say each project holds."""

    requests: int = 0
    server_errors: int = 0
    failures: list[str] = field(default_factory=list)
    held: dict[str, dict[str, str]] = field(default_factory=dict)  # project_id -> id -> type

    def replay(self, case: Case, status: int, body: Any) -> None:
        """The writes a 2xx submission or deletion answer reports, applied to `held`."""
        params = case.path_parameters or {}
        writes = case.method.upper() in ("POST", "PUT", "DELETE") and "project" in params
        if status >= 300 or not writes or "_dry_run" in case.operation.path:
            return
        if not isinstance(body, dict) or not isinstance(body.get("entities"), list):
            return
        project = self.held.setdefault(f"{params['program']}-{params['project']}", {})
        for entity in body["entities"]:
            if entity["action"] in WRITE_ACTIONS:
                project[entity["id"]] = entity["type"]
            elif entity["action"] == "delete":
                project.pop(entity["id"], None)


def _stored(graph: GraphStore, projects: list[str], types: list[str]) -> dict[str, dict[str, str]]:
    """project_id -> id -> type of every entity the store holds in `projects`."""
    rows = graph.read(
        "MATCH (n) WHERE n.project_id IN $projects RETURN n.project_id AS project, n.id AS id, "
        "labels(n) AS labels",
        {"projects": projects},
    )
    found: dict[str, dict[str, str]] = {project: {} for project in projects}
    for row in rows:
        kinds = [label for label in row["labels"] if label in types]
        if kinds and kinds[0] not in ("program", "project"):
            found[row["project"]][row["id"]] = kinds[0]
    return found


def _study(submitter_id: str, code: str, design: str) -> dict[str, Any]:
    return {
        "type": "study",
        "submitter_id": submitter_id,
        "study_design": design,
        "projects": {"code": code},
    }


def batches(code: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Submissions of 1-4 studies and subjects of a few submitter_ids (so they overlap and update
    each other), some of them invalid (a design not in the enum, a link to no study)."""
    study = st.builds(
        _study,
        st.sampled_from(STUDIES),
        st.just(code),
        st.sampled_from(["Cohort", "Case-Control", "Cohort", "no such design"]),
    )
    subject = st.builds(
        lambda submitter_id, parent: {
            "type": "subject",
            "submitter_id": submitter_id,
            "studies": {"submitter_id": parent},
        },
        st.sampled_from(SUBJECTS),
        st.sampled_from([*STUDIES, "no-such-study"]),
    )
    return st.lists(st.one_of(study, subject), min_size=1, max_size=4)


@dataclass
class World:
    url: str
    graph: GraphStore
    types: list[str]
    callers: list[Caller]
    targets: list[tuple[str, str]]  # (OpenAPI path, method): one per handler and method


def _targets(app_routes: list[Any]) -> list[tuple[str, str]]:
    """The first path of each (handler, method): the others are aliases of it."""
    seen: set[tuple[Any, str]] = set()
    found = []
    for route in mounted(app_routes):
        for method in route.methods:
            if (route.handler, method) not in seen:
                seen.add((route.handler, method))
                found.append((template(route.path), method))
    return found


@pytest.fixture(scope="module")
def world(
    graph_store: GraphStore,
    seaweedfs_store: ObjectStore,
    compiled_default: Any,
    arcadedb_server: EmbeddedArcadeDB,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    """A live Commons with program `fuzz`, its projects `a` and `b`, a writer of each holding an
    index record and an uploaded file, and the callers' tokens."""
    from engine.api.app import create_app
    from engine.config import load_settings
    from engine.stores import Stores

    folder = tmp_path_factory.mktemp("fuzz")
    graph_store.write("MATCH (n) DETACH DELETE n")
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        serving(
            graph_store,
            seaweedfs_store,
            compiled_default,
            arcadedb_server,
            folder,
            monkeypatch,
            policy=POLICY,
        ) as env,
    ):
        url = env["COMMONS_PUBLIC_URL"]

        base = f"{url}{PREFIXES[0]}"
        with httpx.Client(
            headers=bearer(env, folder, ADMIN, "--admin"), timeout=TIMEOUT_S
        ) as admin:
            ok(
                admin.put(
                    f"{base}/",
                    json={"type": "program", "name": PROGRAM, "dbgap_accession_number": "p"},
                )
            )
            for code in CODES:
                project = {
                    "type": "project",
                    "code": code,
                    "name": code,
                    "dbgap_accession_number": code,
                }
                ok(admin.put(f"{base}/{PROGRAM}", json=project))
        callers = [Caller("anonymous", {})]
        for user, code in WRITERS.items():
            caller = Caller(
                user, bearer(env, folder, user), code, {"program": [PROGRAM], "project": [code]}
            )
            with httpx.Client(base_url=url, headers=caller.headers, timeout=TIMEOUT_S) as client:
                authz = [f"/programs/{PROGRAM}/projects/{code}"]
                record = ok(
                    client.post(
                        "/index/index",
                        json={"size": 1, "hashes": {"md5": "0" * 32}, "authz": authz},
                    )
                )
                ticket = ok(
                    client.post("/user/data/upload", json={"file_name": "f.txt", "authz": authz})
                )
                assert httpx.put(ticket["url"], content=b"fuzz\n").status_code == 200
                study = ok(
                    client.put(f"{base}/{PROGRAM}/{code}", json=_study(STUDIES[0], code, "Cohort"))
                )
            dids = [record["did"], ticket["guid"]]
            caller.own |= {"did": dids, "guid": dids, "object_id": dids}
            caller.own["ids"] = [study["entities"][0]["id"]]
            callers.append(caller)
        stores = Stores(graph_store, seaweedfs_store)
        settings_ = load_settings(environ={"COMMONS_CONFIG": "/nonexistent.yaml"})
        targets = _targets(create_app(stores, settings_, compiled_default).routes)
        yield World(url, graph_store, list(compiled_default.dictionary.nodes), callers, targets)


def _plans(operation: Any, caller: Caller) -> dict[str, st.SearchStrategy[Case]]:
    """What to generate for `operation` sent by `caller`, by kind (ROUNDS): valid and invalid
    data; for a writer also cases naming what is theirs, and entity batches for the submission
    routes. Each kind runs on its own, so none is crowded out by another."""
    plans = {"valid": operation.as_strategy(GenerationMode.POSITIVE)}
    if len(operation.query) or len(operation.body):  # invalid path names: "valid" strings are
        # wild enough, and making one fail its pattern takes Hypothesis seconds
        plans["invalid"] = operation.as_strategy(GenerationMode.NEGATIVE)
    names = {p.name for p in operation.path_parameters}
    own = {name: caller.own[name] for name in names if name in caller.own}
    if caller.code is None or not own:
        return plans
    choices = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in own.items()})
    plans["own"] = choices.flatmap(lambda values: operation.as_strategy(path_parameters=values))
    if operation.method.upper() in ("POST", "PUT") and operation.path.endswith("{project}"):
        plans["batches"] = st.tuples(choices, batches(caller.code)).flatmap(
            lambda pair: operation.as_strategy(
                path_parameters=pair[0], body=pair[1], media_type="application/json"
            )
        )
    return plans


def _describe(case: Case, caller: Caller, error: BaseException | str) -> str:
    return f"{caller.name}: {case.method} {case.formatted_path}\n  {str(error).strip()[:1500]}"


def _send(case: Case, caller: Caller, ledger: Ledger) -> None:
    """One case: its answer checked against the contract and replayed into the ledger."""
    ledger.requests += 1
    try:
        response = case.call(headers=caller.headers, timeout=TIMEOUT_S)
    except Exception as error:  # a hang past TIMEOUT_S, a dropped connection
        ledger.failures.append(_describe(case, caller, repr(error)))
        return
    ledger.server_errors += response.status_code >= 500
    try:
        case.validate_response(response, checks=CHECKS, headers=caller.headers)
    except (AssertionError, BaseExceptionGroup) as error:  # schemathesis' FailureGroup
        ledger.failures.append(_describe(case, caller, error))
    ledger.replay(case, response.status_code, _json(response))


def _run(strategy: st.SearchStrategy[Case], examples: int, send: Callable[[Case], None]) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Case) -> None:
        send(case)

    with suppress(Unsatisfiable):  # nothing of the operation can be made invalid (no parameters)
        run()


def fuzz(world: World, ledger: Ledger, deadline: float) -> None:
    """Round by round (ROUNDS), every operation as every caller, until done or past `deadline`:
    a run cut short by a slow machine is shallower, never narrower."""
    schema = schemathesis.openapi.from_url(f"{world.url}/openapi.json")
    plans = [
        (caller, _plans(schema[path][method], caller))
        for path, method in world.targets
        for caller in world.callers
    ]
    for kind, examples in ROUNDS.items():
        for caller, kinds in plans:
            if time.monotonic() > deadline:
                return
            if kind in kinds:
                _run(kinds[kind], examples, lambda case, caller=caller: _send(case, caller, ledger))


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def test_the_api_answers_as_its_contract_says(world: World, request: pytest.FixtureRequest) -> None:
    projects = [f"{PROGRAM}-{code}" for code in CODES]
    ledger = Ledger(held=_stored(world.graph, projects, world.types))
    started = time.monotonic()
    fuzz(world, ledger, started + BUDGET_S)
    took = time.monotonic() - started
    line = f"fuzz requests {ledger.requests}, 5xx {ledger.server_errors}"
    request.config.stash.setdefault(FIGURES, []).append(
        f"{line} ({len(world.targets)} operations x {len(world.callers)} callers, {took:.0f} s)"
    )
    print(line)
    assert ledger.failures == [], "\n\n".join(ledger.failures[:20])
    assert ledger.server_errors == 0
    assert _stored(world.graph, projects, world.types) == ledger.held
    written = sum(len(held) for held in ledger.held.values())
    assert written > len(projects), "the run wrote nothing but what the set-up did"


def test_an_answer_off_the_contract_is_caught(world: World) -> None:
    """The run can fail: a 404 the document is made not to list, and a body it is made to
    misdescribe, are both reported."""
    doc = httpx.get(f"{world.url}/openapi.json").json()
    del doc["paths"]["/index/index/{did}"]["get"]["responses"]["404"]
    doc["components"]["schemas"]["IndexRecord"]["required"].append("not-a-field")
    schema = schemathesis.openapi.from_dict(doc)
    schema.config.update(base_url=world.url)
    operation = schema["/index/index/{did}"]["GET"]
    writer = world.callers[1]
    authz = [f"/programs/{PROGRAM}/projects/{writer.code}"]
    body = {"size": 1, "hashes": {"md5": "1" * 32}, "authz": authz}
    made = ok(httpx.post(f"{world.url}/index/index", json=body, headers=writer.headers))
    ledger = Ledger()
    for did in (str(uuid.uuid4()), made["did"]):
        _send(operation.Case(path_parameters={"did": did}), writer, ledger)
    assert ledger.requests == 2 and len(ledger.failures) == 2
    assert "ST103 Undocumented status code" in ledger.failures[0]
    assert "ST108 Response violates schema" in ledger.failures[1]
    assert "not-a-field" in ledger.failures[1]
