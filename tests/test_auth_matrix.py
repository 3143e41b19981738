"""The access matrix: every route family, against each caller, with the exact status of each cell.

Rows are requests, columns the callers of tests/auth_world.py (anonymous,
logged-in without grants, reader of A, submitter of A, admin). Every cell
also checks that nothing of project B reaches anyone but the admin: no id,
submitter_id, GUID or project_id of B in the body or message, except what
the request itself named (an answer may say "no record with did X" for the
X it was asked about, exactly as it does for a GUID that does not exist).
The world is built once for the module, served with `INDEX_READ=authz`.

A passport holder (a token exchanged for a passport, from a locally minted
trusted broker, granting A's dbGaP study) is a sixth caller: every row is
sent with their token too, and must answer exactly as it does for the
reader of A, with the same checks and nothing of B.

The rows that `INDEX_READ=public` (the default) changes run again under it
(`PUBLIC`): every record is read by everyone, B's GUIDs are then public
metadata, and acting on a record (a signed URL, a change) still needs its
permission, refused as such (401 or 403) since the record's existence is
no secret; nothing else of B reaches anyone, nor a signed URL for B's bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from engine.auth.passports.mint import Broker
from tests.auth_world import (
    A_PATH,
    A_STUDY,
    B_PATH,
    BASE,
    CALLERS,
    MD5,
    A,
    World,
    ok,
)
from tests.passport_world import SUB, exchanged, passport_world

Check = Callable[[httpx.Response, str], None]
PASSPORT = "passport"  # the passport holder's token, in World.tokens
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Case:
    """One request, and the status each caller gets, in CALLERS order."""

    name: str
    method: str
    path: str
    statuses: tuple[int, int, int, int, int]
    body: Any = None
    check: Check | None = None


def _only_a(rows: list[dict[str, Any]], caller: str) -> None:
    """Rows of a listing: the readers of A see A's, the others nothing, the admin more."""
    projects = {row["project_id"] for row in rows}
    if caller == "admin":
        assert A in projects
    else:
        assert projects == ({A} if caller in ("reader", "submitter") else set())


def _graphql_rows(response: httpx.Response, caller: str) -> None:
    if response.status_code == 200:
        _only_a(response.json()["data"]["subject"], caller)


def _probe(response: httpx.Response, caller: str) -> None:
    """Asked by id, B's subject is as absent as an unknown one: the id was the caller's own."""
    if response.status_code == 200:
        data = response.json()["data"]
        found = (data["_subject_count"], len(data["node"]))
        assert found == ((2, 1) if caller == "admin" else (0, 0))


def _guppy_rows(response: httpx.Response, caller: str) -> None:
    _only_a(response.json()["data"]["subject"], caller)


def _programs(response: httpx.Response, caller: str) -> None:
    links = set(response.json()["links"])
    readers = {"/v0/submission/demo"} if caller in ("reader", "submitter") else set()
    assert links == (
        {"/v0/submission/demo", "/v0/submission/other"} if caller == "admin" else readers
    )


def _projects_of_demo(response: httpx.Response, caller: str) -> None:
    if response.status_code == 200:
        assert "/v0/submission/demo/a" in response.json()["links"]


def _index_listing(response: httpx.Response, caller: str) -> None:
    paths = {path for record in response.json()["records"] for path in record["authz"]}
    if caller in ("anonymous", "logged_in"):
        assert paths == set()
    elif caller != "admin":
        assert paths == {A_PATH}


def _bulk(response: httpx.Response, caller: str) -> None:
    authz = {path for record in response.json() for path in record["authz"]}
    expected = {"anonymous": set(), "logged_in": set(), "admin": {A_PATH, B_PATH}}
    assert authz == expected.get(caller, {A_PATH})


def _batch(response: httpx.Response, caller: str) -> None:
    found = [("url" in item, item.get("code")) for item in response.json()["downloads"]]
    readable = caller in ("reader", "submitter", "admin")
    assert found[0] == ((True, None) if readable else (False, 404))
    assert found[1] == ((True, None) if caller == "admin" else (False, 404))


def _a_and_b(count: Callable[[Any], int]) -> Check:
    """Asked for one file of A and one of B: readers of A get one, the admin both, others none."""

    def check(response: httpx.Response, caller: str) -> None:
        expected = {"anonymous": 0, "logged_in": 0, "admin": 2}.get(caller, 1)
        assert count(response.json()) == expected

    return check


def _explore_projects(response: httpx.Response, caller: str) -> None:
    _only_a([{"project_id": p["project_id"]} for p in response.json()["projects"]], caller)


def _public_listing(response: httpx.Response, caller: str) -> None:
    assert {path for record in response.json()["records"] for path in record["authz"]} >= {
        A_PATH,
        B_PATH,
    }


def _public_bulk(response: httpx.Response, caller: str) -> None:
    assert {path for record in response.json() for path in record["authz"]} == {A_PATH, B_PATH}


def _both(count: Callable[[Any], int]) -> Check:
    """Asked for one record of A and one of B: everyone gets both."""

    def check(response: httpx.Response, caller: str) -> None:
        assert count(response.json()) == 2

    return check


def _refusal(caller: str) -> int:
    return 401 if caller == "anonymous" else 403


def _public_bulk_access(response: httpx.Response, caller: str) -> None:
    """Signed URLs as before (readers of A get A's); the others are refused, not unknown."""
    _a_and_b(lambda a: a["summary"]["resolved"])(response, caller)
    codes = {item["error_code"] for item in response.json()["unresolved_drs_objects"]}
    assert codes == (set() if caller == "admin" else {_refusal(caller)})


def _public_batch(response: httpx.Response, caller: str) -> None:
    found = [("url" in item, item.get("code")) for item in response.json()["downloads"]]
    readable = caller in ("reader", "submitter", "admin")
    assert found[0] == ((True, None) if readable else (False, _refusal(caller)))
    assert found[1] == ((True, None) if caller == "admin" else (False, _refusal(caller)))


def _study(name: str, code: str = "a") -> dict[str, Any]:
    return {
        "type": "study",
        "submitter_id": name,
        "study_design": "Cohort",
        "projects": {"code": code},
    }


RECORD = {"size": 1, "hashes": {"md5": MD5}, "urls": ["https://x/y"]}
SUBJECTS = "{ subject(first: 0) { id submitter_id project_id } _subject_count }"
PROBE_B = '{ _subject_count(project_id: "other-b") node(id: "{b_subject}") { id } }'
SUBMIT = (
    'mutation { submitStudy(project_id: "demo-a", dry_run: true, input: [{submitter_id: "m", '
    'study_design: "Cohort", projects: [{code: "a"}]}]) { success } }'
)
DELETE_IN_B = 'mutation { delete(project_id: "other-b", ids: ["nope"]) { success } }'
GUPPY_ROWS = "{ subject(first: 100, accessibility: all) { submitter_id project_id } }"
GUPPY_COUNTS = (
    "{ _aggregation { subject(accessibility: all) { _totalCount "
    "submitter_id { histogram { key count } } project_id { histogram { key count } } } } }"
)

ALL = (200,) * 5
READ_A = (401, 403, 200, 200, 200)  # needs a grant on A; anonymous is asked to log in
WRITE_A = (401, 403, 403, 200, 200)
ADMIN_ONLY = (401, 403, 403, 403, 200)
SEE_A = (404, 404, 200, 200, 200)  # records: what may not be read is not there
SEE_B = (404, 404, 404, 404, 200)
CHANGE_A = (401, 403, 403, 200, 200)  # public records: a change is refused, not unknown

# fmt: off
CASES = [
    # Submission (sheepdog): listings filtered, permission checked before existence.
    Case("list programs", "GET", f"{BASE}/", ALL, check=_programs),
    Case("list projects of demo", "GET", f"{BASE}/demo", READ_A, check=_projects_of_demo),
    Case("list projects of other", "GET", f"{BASE}/other", ADMIN_ONLY),
    Case("list projects of nowhere", "GET", f"{BASE}/nowhere", (401, 403, 403, 403, 404)),
    Case("upsert program", "PUT", f"{BASE}/", ADMIN_ONLY, {"type": "program", "name": "demo", "dbgap_accession_number": "p"}),
    Case("upsert project", "PUT", f"{BASE}/demo", ADMIN_ONLY, {"type": "project", "code": "a", "name": "a", "dbgap_accession_number": A_STUDY}),
    Case("delete unknown project", "DELETE", f"{BASE}/other/gone", (401, 403, 403, 403, 404)),
    Case("open project", "PUT", f"{BASE}/demo/a/open", ADMIN_ONLY),
    Case("get entity of A", "GET", f"{BASE}/demo/a/entities/{{a_subject}}", READ_A),
    Case("get entity of B", "GET", f"{BASE}/other/b/entities/{{b_subject}}", ADMIN_ONLY),
    Case("put to A", "PUT", f"{BASE}/demo/a", WRITE_A, [_study("put-{caller}")]),
    Case("post to A", "POST", f"{BASE}/demo/a", (401, 403, 403, 201, 201), [_study("post-{caller}")]),
    Case("dry run in A", "POST", f"{BASE}/demo/a/_dry_run", WRITE_A, [_study("dry-{caller}")]),
    Case("dry run in B", "PUT", f"{BASE}/other/b/_dry_run", ADMIN_ONLY, [_study("dry", "b")]),
    Case("bulk to A", "PUT", f"{BASE}/demo/a/bulk", WRITE_A, [{"name": "s", "doc": json.dumps(_study("bulk-{caller}")), "doc_format": "json"}]),
    Case("delete own entity in A", "DELETE", f"{BASE}/demo/a/entities/{{my_study}}", WRITE_A),
    Case("delete in B", "DELETE", f"{BASE}/other/b/entities/no-such-id", (401, 403, 403, 403, 400)),
    Case("export A", "GET", f"{BASE}/demo/a/export?node_label=subject&format=tsv", READ_A),
    Case("export B", "GET", f"{BASE}/other/b/export/?node_label=subject", ADMIN_ONLY),
    Case("template", "GET", f"{BASE}/template/subject", ALL),
    Case("dictionary", "GET", f"{BASE}/_dictionary/_all", ALL),
    # GraphQL (peregrine): readable projects inside the query; anonymous with none must log in.
    Case("graphql rows", "POST", f"{BASE}/graphql", (401, 200, 200, 200, 200), {"query": SUBJECTS}, _graphql_rows),
    Case("graphql probe of B", "POST", f"{BASE}/graphql", (401, 200, 200, 200, 200), {"query": PROBE_B}, _probe),
    Case("graphql submit to A", "POST", f"{BASE}/graphql", WRITE_A, {"query": SUBMIT}),
    Case("graphql delete in B", "POST", f"{BASE}/graphql", (401, 403, 403, 403, 200), {"query": DELETE_IN_B}),
    Case("graphql schema", "GET", f"{BASE}/getschema", ALL),
    Case("graphql introspection", "POST", f"{BASE}/graphql", ALL, {"query": "{ __schema { queryType { name } } }"}),
    Case("graphiql", "GET", "/graphql", ALL),
    # Index records (indexd): by each record's authz; unreadable is unknown.
    Case("list records", "GET", "/index/index?limit=1000", ALL, check=_index_listing),
    Case("get record of A", "GET", "/index/index/{a_did}", SEE_A),
    Case("get record of B", "GET", "/index/index/{b_did}", SEE_B),
    Case("bulk records", "POST", "/bulk/documents", ALL, ["{a_did}", "{b_did}"], _bulk),
    Case("record stats", "GET", "/index/_stats", ALL),
    Case("create record in A", "POST", "/index/index", WRITE_A, {**RECORD, "authz": [A_PATH]}),
    Case("create record in B", "POST", "/index/index", ADMIN_ONLY, {**RECORD, "authz": [B_PATH]}),
    Case("update record of A", "PUT", "/index/index/{update_did}?rev={update_rev}", (404, 404, 403, 200, 200), {"file_name": "renamed"}),
    Case("delete record of A", "DELETE", "/index/index/{delete_did}?rev={delete_rev}", (404, 404, 403, 200, 200)),
    Case("new version of B", "POST", "/index/index/{b_record}", SEE_B, {**RECORD, "authz": [B_PATH]}),
    # DRS and fence: reading a record, then signing URLs for its bytes.
    Case("drs object of A", "GET", "/ga4gh/drs/v1/objects/{a_did}", SEE_A),
    Case("drs object of B", "GET", "/ga4gh/drs/v1/objects/{b_did}", SEE_B),
    Case("drs access of A", "GET", "/ga4gh/drs/v1/objects/{a_did}/access/s3", SEE_A),
    Case("drs access of B", "POST", "/ga4gh/drs/v1/objects/{b_did}/access/s3", SEE_B),
    Case("urls of records", "GET", "/index/urls?ids={a_did},{b_did}", ALL, check=_a_and_b(lambda a: len(a["urls"]))),
    Case("query urls", "GET", "/_query/urls/q?include=/f.txt", ALL, check=_a_and_b(len)),
    Case("drs bulk objects", "POST", "/ga4gh/drs/v1/objects", ALL, {"bulk_object_ids": ["{a_did}", "{b_did}"]}, _a_and_b(lambda a: a["summary"]["resolved"])),
    Case("drs bulk access", "POST", "/ga4gh/drs/v1/objects/access", ALL, {"bulk_object_access_ids": [{"bulk_object_id": "{a_did}", "bulk_access_ids": ["s3"]}, {"bulk_object_id": "{b_did}", "bulk_access_ids": ["s3"]}]}, _a_and_b(lambda a: a["summary"]["resolved"])),
    Case("download A", "GET", "/user/data/download/{a_did}", SEE_A),
    Case("download B", "GET", "/user/data/download/{b_did}", SEE_B),
    Case("download batch", "POST", "/user/data/download/batch", ALL, {"guids": ["{a_did}", "{b_did}"]}, _batch),
    Case("upload to A", "POST", "/user/data/upload", (401, 403, 403, 201, 201), {"file_name": "u.txt", "authz": [A_PATH]}),
    Case("upload to B", "POST", "/user/data/upload", (401, 403, 403, 403, 201), {"file_name": "u.txt", "authz": [B_PATH]}),
    Case("upload without authz", "POST", "/user/data/upload", (401, 201, 201, 201, 201), {"file_name": "mine.txt"}),
    Case("upload to B's GUID", "GET", "/user/data/upload/{b_did}?file_name=x", SEE_B[:4] + (409,)),
    Case("delete file of B", "DELETE", "/user/data/{b_trash}", SEE_B[:4] + (204,)),
    # Exploration (guppy, dashboard): rows from readable projects, counts as the tier allows.
    Case("guppy rows", "POST", "/guppy/graphql", ALL, {"query": GUPPY_ROWS}, _guppy_rows),
    Case("guppy counts", "POST", "/guppy/graphql", ALL, {"query": GUPPY_COUNTS}),
    Case("guppy download", "POST", "/guppy/download", ALL, {"type": "subject", "accessibility": "all"}),
    Case("explore dictionary", "GET", "/api/v0/explore/dictionary", ALL),
    Case("explore projects", "GET", "/api/v0/explore/projects", ALL, check=_explore_projects),
    Case("explore record of A", "GET", "/api/v0/explore/records/subject/{a_subject}", SEE_A),
    Case("explore record of B", "GET", "/api/v0/explore/records/subject/{b_subject}", SEE_B),
    # Administration and health.
    Case("policy", "GET", "/admin/policy", ADMIN_ONLY),
    Case("who am I", "GET", "/user/user", (401, 200, 200, 200, 200)),
    Case("status", "GET", "/_status", ALL),
]

# The rows INDEX_READ=public changes: their statuses and checks under it.
PUBLIC: dict[str, tuple[tuple[int, int, int, int, int], Check | None]] = {
    "list records": (ALL, _public_listing),
    "get record of A": (ALL, None),
    "get record of B": (ALL, None),
    "bulk records": (ALL, _public_bulk),
    "update record of A": (CHANGE_A, None),
    "delete record of A": (CHANGE_A, None),
    "new version of B": (ADMIN_ONLY, None),
    "drs object of A": (ALL, None),
    "drs object of B": (ALL, None),
    "drs access of A": (READ_A, None),
    "drs access of B": (ADMIN_ONLY, None),
    "urls of records": (ALL, _both(lambda a: len(a["urls"]))),
    "query urls": (ALL, _both(len)),
    "drs bulk objects": (ALL, _both(lambda a: a["summary"]["resolved"])),
    "drs bulk access": (ALL, _public_bulk_access),
    "download A": (READ_A, None),
    "download B": (ADMIN_ONLY, None),
    "download batch": (ALL, _public_batch),
    "upload to B's GUID": ((401, 403, 403, 403, 409), None),
    "delete file of B": ((401, 403, 403, 403, 204), None),
}
# fmt: on


def _filled(value: Any, values: dict[str, str]) -> Any:
    """`value` with its `{name}` placeholders filled in, through lists and dicts.

    GraphQL's own braces are left alone: they never enclose a known name.
    """
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda found: values.get(found[1], found[0]), value)
    if isinstance(value, list):
        return [_filled(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _filled(item, values) for key, item in value.items()}
    return value


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    with Broker().serving() as found:
        yield found


@pytest.fixture(scope="module")
def world(graph_store, seaweedfs_store, compiled_default, tmp_path_factory, broker) -> World:
    data_dir = tmp_path_factory.mktemp("data")
    world = passport_world(graph_store, seaweedfs_store, compiled_default, data_dir, broker)
    passport = broker.passport(SUB, [broker.visa(SUB, A_STUDY)])
    world.tokens[PASSPORT] = exchanged(world.client("anonymous"), passport)
    return world


@pytest.fixture(scope="module")
def public(world: World) -> World:
    """The same world under INDEX_READ=public, with fresh records to change."""
    return world.served(index_read="public")


def _cell(
    world: World,
    case: Case,
    caller: str,
    expected: int,
    check: Check | None,
    sender: str | None = None,
) -> None:
    """Sends `case` as `caller` (or with `sender`'s token, expected to answer as `caller`);
    checks its status, that nothing of B is in it but, in a public world, its records'
    metadata (never a signed URL for its bytes), and `check`."""
    values = world.values(caller)
    path, body = _filled(case.path, values), _filled(case.body, values)
    response = world.client(sender or caller).request(case.method, path, json=body)
    assert response.status_code == expected, response.text
    if caller != "admin":
        asked = path + json.dumps(body)
        shown = set() if world.app.state.settings.index_read == "authz" else _b_records(world)
        leaked = {n for n in world.needles - shown if n in response.text and n not in asked}
        assert not leaked, f"{sorted(leaked)} of project B in: {response.text[:500]}"
        assert f"{world.names['b_did']}/f.txt?" not in response.text, "a signed URL for B's bytes"
    if check is not None:
        check(response, caller)


def _b_records(world: World) -> set[str]:
    return {world.names[name] for name in ("b_did", "b_record", "b_trash")}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_cell(world: World, case: Case, caller: str) -> None:
    _cell(world, case, caller, case.statuses[CALLERS.index(caller)], case.check)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_passport_cell(world: World, case: Case) -> None:
    """The passport holder answers as the reader of A does (run after test_cell and before
    test_public_cell: the admin's cells delete what some rows name)."""
    reader = CALLERS.index("reader")
    _cell(world, case, "reader", case.statuses[reader], case.check, sender=PASSPORT)


@pytest.mark.parametrize(
    "case", [case for case in CASES if case.name in PUBLIC], ids=lambda case: case.name
)
def test_public_passport_cell(public: World, case: Case) -> None:
    statuses, check = PUBLIC[case.name]
    _cell(public, case, "reader", statuses[CALLERS.index("reader")], check, sender=PASSPORT)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    "case", [case for case in CASES if case.name in PUBLIC], ids=lambda case: case.name
)
def test_public_cell(public: World, case: Case, caller: str) -> None:
    statuses, check = PUBLIC[case.name]
    _cell(public, case, caller, statuses[CALLERS.index(caller)], check)


def test_every_public_row_is_a_row() -> None:
    assert set(PUBLIC) <= {case.name for case in CASES}


def test_a_refusal_reads_the_same_whether_or_not_the_thing_exists(world: World) -> None:
    reader = world.client("reader")
    b_subject = world.names["b_subject"]
    known = reader.get(f"{BASE}/other/b/entities/{b_subject}")
    unknown = reader.get(f"{BASE}/nowhere/at-all/entities/{b_subject}")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 403 and b_subject not in known.text

    hidden = reader.get(f"/index/index/{world.names['b_did']}")
    absent = reader.get("/index/index/00000000-0000-4000-8000-000000000000")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["message"].replace(world.names["b_did"], "X") == absent.json()[
        "message"
    ].replace("00000000-0000-4000-8000-000000000000", "X")


def test_a_record_without_authz_is_its_uploaders_alone(world: World) -> None:
    owner = world.client("logged_in")
    guid = owner.post("/user/data/upload", json={"file_name": "own.txt"}).json()["guid"]
    record = owner.get(f"/index/index/{guid}")
    assert record.status_code == 200 and record.json()["uploader"] == "nobody@example.org"
    assert guid in {r["did"] for r in owner.get("/index/index?limit=1000").json()["records"]}
    assert world.client("reader").get(f"/index/index/{guid}").status_code == 404
    assert guid not in world.client("reader").get("/index/index?limit=1000").text
    assert world.client("admin").get(f"/index/index/{guid}").status_code == 200


def test_a_public_record_without_authz_is_read_by_all_and_changed_by_its_uploader(
    public: World,
) -> None:
    owner, reader = public.client("logged_in"), public.client("reader")
    ticket = ok(owner.post("/user/data/upload", json={"file_name": "own.txt"}))
    assert ok(public.client("anonymous").get(f"/index/index/{ticket['guid']}"))["uploader"] == (
        "nobody@example.org"
    )
    assert ticket["guid"] in reader.get("/index/index?limit=1000").text
    assert reader.get(f"/user/data/upload/{ticket['guid']}?file_name=x").status_code == 403
    assert reader.delete(f"/user/data/{ticket['guid']}").status_code == 403
    assert owner.delete(f"/user/data/{ticket['guid']}").status_code == 204


def test_records_cannot_be_moved_or_made_into_projects_one_may_not_write(world: World) -> None:
    submitter = world.client("submitter")
    ids = submitter.post("/index/index", json={**RECORD, "authz": [A_PATH]}).json()
    moved = submitter.put(f"/index/index/{ids['did']}?rev={ids['rev']}", json={"authz": [B_PATH]})
    assert moved.status_code == 403 and "write-storage" not in moved.json()["message"]
    both = submitter.post("/index/index", json={**RECORD, "authz": [A_PATH, B_PATH]})
    assert both.status_code == 403, "every path of a new record's authz must allow it"
    assert submitter.get(f"/index/index/{ids['did']}").json()["authz"] == [A_PATH]


@pytest.mark.parametrize("index_read", ["authz", "public"])
def test_a_data_file_node_is_checked_against_the_records_its_submitter_may_read(
    world: World, public: World, index_read: str
) -> None:
    """Under authz naming B's GUID answers as an unknown GUID does: B's checksum and size stay
    unsaid; under public B's record is read, and its checksum checked as any other."""
    world = world if index_read == "authz" else public
    doc = {
        "type": "clinical_document",
        "submitter_id": "doc-of-b",
        "subjects": {"submitter_id": "a-su-1"},
        "file_name": "f.txt",
        "file_size": 1,
        "md5sum": "0" * 32,
        "object_id": world.names["b_did"],
        "data_category": "Clinical",
        "data_type": "Pathology Report",
        "data_format": "PDF",
        "document_type": "Pathology Report",
    }
    answer = world.client("submitter").put(f"{BASE}/demo/a/_dry_run", json=doc)
    assert answer.status_code == 400
    if index_read == "authz":
        assert "no index record has this did" in answer.text
        assert MD5 not in answer.text and "disagrees" not in answer.text
    else:
        assert f"disagrees with index record {world.names['b_did']}, which has {MD5}" in answer.text
        assert "no index record" not in answer.text
