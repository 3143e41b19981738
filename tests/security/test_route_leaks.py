"""Every route in the app's route tables, replayed by outsiders of A1 against A1's ids.

The routes are read from the app itself, so a route added later is probed
too. Each probe is sent twice: naming A1's things, and naming things that
do not exist at all. Under `INDEX_READ=authz` two rules hold for Bob (who
writes B1), an anonymous caller and a user without a policy:
- no answer holds a string of A1 (id, submitter_id, GUID, md5, file name,
  storage key, value) that the request did not carry itself;
- the answer's status (and an error's text, but for the names themselves)
  is the same for A1's things as for nothing at all, so
  no route tells an outsider what exists (the stand-ins are new for every
  probe, since a probe may create what it names). GUIDs, baseids and
  entity ids are unique across the commons, so a create naming a taken one
  is refused whoever holds it: tests/security/test_object_keys.py and
  test_submission_oracles.py check that the refusal says nothing more.
Afterwards A1's bytes and records are as alice left them. A passport
holder (a token exchanged for a passport whose study holds nothing of A1)
is an outsider too.

Under `INDEX_READ=public` (the default) A1's index records are public
metadata: the routes that reach index records (the only ones the setting
changes) are replayed again, and an answer may show A1's record metadata,
and answer otherwise for A1's records than for none, but still shows
nothing else of A1, no signed URL for its bytes, no bytes.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from types import CodeType
from typing import Any

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from engine.auth.passports.mint import Broker
from tests.auth_world import ok
from tests.passport_world import SUB, exchanged, issuers_setting
from tests.security.two_projects import OUTSIDERS, TwoProjects

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
PAIRS_APART = {("A", "B1"), ("B", "A1")}
ALIASES = re.compile(r"^/api(?=/v0/)|^/index(?=/(?:index|bulk|guid|_stats|urls|_query)\b)")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    body: Any = None


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - SKIPPED_METHODS):
                yield method, prefix + route.path, route.endpoint


def _names(code: CodeType) -> Iterator[str]:
    """The global names a function's code (nested functions and lambdas too) refers to."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _names(const)


def _reaches_records(function: Any, seen: frozenset[Any] = frozenset()) -> bool:
    """Whether a route's handler, or a function of its module it calls, asks engine/api/objects.py
    for the data-object service or a caller's record rights: the only way a route reaches index
    records, and so the only routes INDEX_READ changes."""
    function = inspect.unwrap(function)
    module = sys.modules[function.__module__]
    for name in _names(function.__code__):
        if name in ("data_objects", "record_access"):
            return True
        called = getattr(module, name, None)
        local = inspect.isfunction(called) and called.__module__ == module.__name__
        if local and called not in seen and _reaches_records(called, seen | {function}):
            return True
    return False


def _distinct_routes(world: TwoProjects, records_only: bool) -> Iterator[tuple[str, str]]:
    """Each handler once per method and parameters: Gen3's aliases of a path (`/v0/...`
    beside `/api/v0/...`, indexd at `/index/...` and at the root) run the same code."""
    seen = set()
    for method, path, endpoint in _routes(world.app.routes):
        if records_only and not _reaches_records(endpoint):
            continue
        alias = ALIASES.sub("", path).rstrip("/")
        key = (method, endpoint.__module__, endpoint.__qualname__, alias)
        if key not in seen:
            seen.add(key)
            yield method, path


def _targets(world: TwoProjects) -> dict[str, list[str]]:
    """What each path parameter is filled with: A1's things."""
    entity_ids = list(world.a1["entity_ids"].values())
    guids = [next(iter(world.files)), world.a1["elsewhere"]]  # bytes held, bytes elsewhere
    return {
        "program": ["A", "B"],  # A1 itself, and Bob's own project naming A1's things
        "project": ["A1", "B1"],
        "did": guids,
        "guid": guids,
        "object_id": guids,
        "access_id": ["s3"],
        "ids": [",".join(entity_ids), entity_ids[0]],
        "id": entity_ids,
        "type": ["subject", "demographic", "study", "project", "program"],
        "node": ["subject"],
    }


def _query(world: TwoProjects) -> str:
    """A query string naming A1's things by every filter the routes read."""
    guid, record = next(iter(world.files.items()))
    entity = next(iter(world.a1["entity_ids"].values()))
    params = {
        "ids": f"{guid},{entity}",
        "hash": f"md5:{record['hashes']['md5']}",
        "file_name": record["file_name"],
        "url": record["urls"][0],
        "include": "alice",
        "submitter_id": "alice-subject-1",
        "format": "json",
    }
    return "&".join(f"{k}={v}" for k, v in params.items())


def _bodies(world: TwoProjects) -> list[Any]:
    guids = list(world.files)
    guid, record = next(iter(world.files.items()))
    key = world.a1["keys"][guid]
    ids = world.a1["entity_ids"]
    md5 = record["hashes"]["md5"]
    return [
        None,
        guids,
        {"guids": guids, "bulk_object_ids": guids, "ids": list(ids.values())},
        {"files": [{"guid": g, "rev": "x", "size": 1, "md5": md5} for g in guids]},
        {"key": key, "uploadId": "x", "partNumber": 1, "parts": [{"PartNumber": 1, "ETag": md5}]},
        {"guid": guid, "file_name": "bob.txt"},
        {"query": '{ subject(submitter_id: "alice-subject-1") { id submitter_id } }'},
        {
            "query": "query($f: JSON) { subject(filter: $f) { submitter_id } }",
            "variables": {"f": {"=": {"submitter_id": "alice-subject-1"}}},
        },
        {"type": "subject", "submitter_id": "bob-s", "studies": {"submitter_id": "alice-study"}},
        {
            "type": "demographic",
            "submitter_id": "bob-d",
            "subjects": {"id": ids["alice-subject-1"]},
        },
        {"size": 1, "hashes": {"md5": "0" * 32}},  # a create: what Bob writes carries no needle
        {  # a data file naming A1's record: checked against the records Bob may read
            "type": "clinical_document",
            "submitter_id": "bob-doc",
            "subjects": {"submitter_id": "bob-s"},
            "file_name": record["file_name"],
            "file_size": record["size"],
            "md5sum": md5,
            "object_id": guid,
            "data_category": "Clinical",
            "data_type": "Pathology Report",
            "data_format": "PDF",
            "document_type": "Pathology Report",
        },
    ]


def _probes(world: TwoProjects, records_only: bool = False) -> Iterator[Probe]:
    targets, query, bodies = _targets(world), _query(world), _bodies(world)
    for method, template in _distinct_routes(world, records_only):
        names = PARAM.findall(template)
        fills = [{}]
        for name in names:
            fills = [{**fill, name: value} for fill in fills for value in targets.get(name, ["x"])]
        fills = [f for f in fills if (f.get("program"), f.get("project")) not in PAIRS_APART]
        for fill in fills:
            path = PARAM.sub(lambda m, fill=fill: fill.get(m[1], "x"), template)
            if method in ("GET", "DELETE"):
                yield Probe(method, path)
                yield Probe(method, f"{path}?{query}")
            else:
                yield from (Probe(method, path, body) for body in bodies)


def _unknowns(world: TwoProjects) -> dict[str, str]:
    """Each of A1's identifiers, and a stand-in of the same shape that names nothing."""
    names = {guid: str(uuid.uuid4()) for guid in [*world.files, world.a1["elsewhere"]]}
    names |= {eid: str(uuid.uuid4()) for eid in world.a1["entity_ids"].values()}
    names |= {sid: f"zz-none-{i}" for i, sid in enumerate(world.a1["entity_ids"])}
    names |= {key: f"nowhere/{i}" for i, key in enumerate(world.a1["keys"].values())}
    for guid, record in world.files.items():
        names[record["baseid"]] = str(uuid.uuid4())
        names[record["hashes"]["md5"]] = uuid.uuid4().hex
        names[record["file_name"]] = f"none-{guid[:8]}"
    return names


def _swapped(text: str, unknowns: dict[str, str]) -> str:
    for known in sorted(unknowns, key=len, reverse=True):  # keys contain GUIDs: longest first
        text = text.replace(known, unknowns[known])
    return text


def _twin(probe: Probe, unknowns: dict[str, str]) -> Probe:
    path = _swapped(probe.path, unknowns).replace("/A/A1", "/Z/Z1")
    body = None if probe.body is None else json.loads(_swapped(json.dumps(probe.body), unknowns))
    return Probe(probe.method, path, body)


def _masked(text: str) -> str:
    """An answer without what differs between any two requests: generated ids, stand-ins,
    the transaction log's ids (one more for each submission)."""
    text = re.sub(r'"transaction_id": ?\d+', '"transaction_id":<id>', UUID.sub("<uuid>", text))
    return re.sub(r"zz-none-\d+|none-[0-9a-f]{8}|nowhere/\d+|[0-9a-f]{32}", "<name>", text)


def _send(world: TwoProjects, caller: str, probe: Probe) -> Any:
    client = world.client(caller)
    if probe.body is None:
        return client.request(probe.method, probe.path)
    return client.request(probe.method, probe.path, json=probe.body)


def _problems(world: TwoProjects, caller: str, probe: Probe, public: bool) -> list[str]:
    """What `caller`'s answer to `probe` (and to its twin naming nothing) shows that it must not."""
    problems, answer = [], _send(world, caller, probe)
    asked = probe.path + json.dumps(probe.body)
    where = f"{probe.method} {probe.path} {json.dumps(probe.body)[:80]}"
    if answer.status_code >= 500:
        problems.append(f"{where}: {answer.status_code}")
    leaked = world.leaked(answer, asked) - (world.record_needles if public else set())
    if leaked:
        problems.append(f"{where}: leaked {sorted(leaked)}")
    if world.signed(answer):
        problems.append(f"{where}: a signed URL for {sorted(world.signed(answer))}")
    if public and any(needle in asked for needle in world.record_needles):
        return problems  # A1's records are public: naming one may answer otherwise than nothing
    unknowns = _unknowns(world)
    twin = _send(world, caller, _twin(probe, unknowns))
    said, unsaid = _masked(_swapped(answer.text, unknowns)), _masked(twin.text)
    if twin.status_code != answer.status_code or (answer.status_code >= 400 and said != unsaid):
        problems.append(
            f"{where}: {answer.status_code} for A1's, {twin.status_code} for nothing "
            f"({said[:160]} / {unsaid[:160]})"
        )
    return problems


def _replay(world: TwoProjects, caller: str, probes: list[Probe], public: bool) -> None:
    problems = [problem for probe in probes for problem in _problems(world, caller, probe, public)]
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"
    world.a1_bytes_intact()
    alice = world.client("alice")
    for submitter_id, entity_id in world.a1["entity_ids"].items():
        entity = ok(alice.get(f"/api/v0/submission/A/A1/entities/{entity_id}"))
        assert entity["entities"][0]["properties"]["submitter_id"] == submitter_id


PASSPORT_HOLDER = "passport_holder"


def _add_passport_holder(world: TwoProjects) -> None:
    """A token for a passport from a trusted broker granting phs000002.c1, where nothing is."""
    with Broker().serving() as broker:
        served = world.served(index_read="authz", passport_issuers=issuers_setting(broker))
        passport = broker.passport(SUB, [broker.visa(SUB, "phs000002.c1")])
        world.tokens[PASSPORT_HOLDER] = exchanged(TestClient(served.app), passport)


@pytest.mark.parametrize("caller", (*OUTSIDERS, PASSPORT_HOLDER))
def test_no_route_shows_or_betrays_another_projects_things(
    two_projects: TwoProjects, caller: str
) -> None:
    """Under INDEX_READ=authz, the security suite's world (tests/security/conftest.py)."""
    assert two_projects.app.state.settings.index_read == "authz"
    if caller == PASSPORT_HOLDER:
        _add_passport_holder(two_projects)
    probes = list(_probes(two_projects))
    assert len({(p.method, p.path.split("?")[0]) for p in probes}) > 50, "the route table is read"
    _replay(two_projects, caller, probes, public=False)


@pytest.fixture(scope="module")
def public(two_projects: TwoProjects) -> TwoProjects:
    return two_projects.served(index_read="public")


@pytest.mark.parametrize("caller", ("bob", "anonymous"))  # Bob's grants elsewhere, and none
def test_public_records_show_their_metadata_and_nothing_more(
    public: TwoProjects, caller: str
) -> None:
    probes = list(_probes(public, records_only=True))
    paths = {probe.path for probe in probes}
    for family in ("/index/index/", "/ga4gh/drs/v1/objects/", "/user/data/download/", "/graphql"):
        assert any(family in path for path in paths), f"{family} is replayed"
    _replay(public, caller, probes, public=True)
    client, refused = public.client(caller), 401 if caller == "anonymous" else 403
    for guid, record in public.files.items():
        shown = ok(client.get(f"/index/index/{guid}"))
        assert (shown["hashes"], shown["urls"]) == (record["hashes"], record["urls"])
        assert ok(client.get(f"/ga4gh/drs/v1/objects/{guid}"))["id"] == guid
        assert client.get(f"/user/data/download/{guid}").status_code == refused
        assert client.get(f"/ga4gh/drs/v1/objects/{guid}/access/s3").status_code == refused
