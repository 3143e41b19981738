"""Finding 1: a writer of B1 cannot reach A1's bytes through a storage key, whichever way he aims.

Every attack ends with `a1_bytes_intact`: alice's records still describe
her bytes, and her downloads still bring exactly them back.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.objects.index import RecordIndex
from engine.objects.keys import own_key, storage_key
from engine.objects.record import IndexRecord, RecordError, new_rev, now
from tests.auth_world import ok
from tests.security.two_projects import B1_PATH, TwoProjects


def _a1_keys(world: TwoProjects) -> dict[str, str]:
    return world.a1["keys"]


def _batch_did(world: TwoProjects) -> str:
    return next(did for did, key in _a1_keys(world).items() if key.startswith("batches/"))


def _crafted_dids(world: TwoProjects) -> list[str]:
    """Dids that, were they storage folders, would reach into A1's keys."""
    keys = _a1_keys(world)
    batch_did = _batch_did(world)
    nested = next(did for did, key in keys.items() if "alice-dir/" in key)
    folder = keys[batch_did].rsplit("/", 2)[0]  # batches/<batch>
    return [
        f"{folder}/{batch_did}",  # bob's key would be alice's batch key
        f"{nested}/alice-dir",  # a UUID as prefix: bob's key is alice's nested file
        f"x/../{nested}",
        f"%2e%2e/{nested}",
        f"./{nested}",
        f"{nested}/..",
        "a\u0000b",
        "line\nbreak",
        "back\\slash",
        "",
        "/",
        "x" * 300,
    ]


@pytest.mark.parametrize("route", ["/index/index", "/index/index/blank"])
def test_a_did_that_could_name_another_folder_is_refused(
    two_projects: TwoProjects, route: str
) -> None:
    bob = two_projects.client("bob")
    for did in _crafted_dids(two_projects):
        body = {"did": did, "authz": [B1_PATH]}
        if route == "/index/index":
            body |= {"size": 3, "hashes": {"md5": "0" * 32}}
        else:
            body["file_name"] = "alice-reads.bam"
        answer = bob.post(route, json=body)
        assert answer.status_code == 400, (did, answer.text)
        assert "did" in answer.json()["message"]
    assert not two_projects.graph.read(
        "MATCH (r:IndexRecord) WHERE any(a IN r.authz WHERE a = $b1) RETURN r.did AS did",
        {"b1": B1_PATH},
    )
    two_projects.a1_bytes_intact()


def _legacy_record(world: TwoProjects, did: str, key: str, **fields: Any) -> IndexRecord:
    """A B1 record written straight into the graph, as before dids and keys were checked."""
    stamp = now()
    record = IndexRecord(
        did=did,
        baseid=str(uuid.uuid4()),
        rev=new_rev(),
        created_date=stamp,
        updated_date=stamp,
        authz=[B1_PATH],
        storage_key=key,
        **fields,
    )
    RecordIndex(world.graph).create([record])
    return record


def _aimed_at_alice(world: TwoProjects, did: str, key: str, *, pending: bool) -> IndexRecord:
    """A legacy B1 record whose key is on A1's bytes; a stored one declares alice's size and
    hashes, to have her bytes signed for him."""
    declared: dict[str, Any] = {}
    if not pending:
        alice_record = next(r for g, r in world.files.items() if world.a1["keys"][g] == key)
        declared = {"size": alice_record["size"], "hashes": dict(alice_record["hashes"])}
    name = key.rsplit("/", 1)[1]
    return _legacy_record(world, did, key, file_name=name, pending=pending, **declared)


def test_a_record_whose_key_is_not_its_own_never_touches_those_bytes(
    two_projects: TwoProjects,
) -> None:
    world, bob = two_projects, two_projects.client("bob")
    batch_did = _batch_did(world)
    key = world.a1["keys"][batch_did]
    pending = _aimed_at_alice(world, key.rsplit("/", 1)[0], key, pending=True)
    name = pending.file_name

    signed = bob.get(f"/user/data/upload/{pending.did}?file_name={name}")
    assert signed.status_code == 409 and "url" not in signed.json(), signed.text
    init = bob.post("/user/data/multipart/init", json={"guid": pending.did, "file_name": name})
    assert init.status_code == 409, init.text
    part = bob.post(
        "/user/data/multipart/upload", json={"key": key, "uploadId": "x", "partNumber": 1}
    )
    assert part.status_code == 404, part.text
    assert ok(bob.get(f"/index/index/{pending.did}"))["size"] is None  # read: not settled
    world.a1_bytes_intact()
    assert bob.delete(f"/user/data/{pending.did}").status_code == 204  # the record goes...
    world.a1_bytes_intact()  # ...alice's bytes stay

    nested_did = next(did for did, k in world.a1["keys"].items() if "alice-dir/" in k)
    nested_key = world.a1["keys"][nested_did]
    stored = _aimed_at_alice(world, f"{nested_did}/alice-dir", nested_key, pending=False)
    download = bob.get(f"/user/data/download/{stored.did}")
    assert download.status_code == 409 and "url" not in download.json(), download.text
    access = bob.get(f"/ga4gh/drs/v1/objects/{stored.did}/access/s3")
    assert access.status_code in (404, 409) and "url" not in access.json(), access.text
    assert world.leaked(download, stored.did) == set()
    world.a1_bytes_intact()


@pytest.mark.parametrize(
    "file_name",
    ["../alice-reads.bam", "a/../../x", "./a", "a//b", "a\\..\\b", "nul\u0000", "x" * 1100],
)
def test_a_file_name_cannot_climb_out_of_its_records_folder(
    two_projects: TwoProjects, file_name: str
) -> None:
    bob = two_projects.client("bob")
    requests = [
        ("/user/data/upload", {"file_name": file_name, "authz": [B1_PATH]}),
        ("/user/data/upload/batch", {"files": [{"file_name": file_name, "authz": [B1_PATH]}]}),
        ("/user/data/multipart/init", {"file_name": file_name, "authz": [B1_PATH]}),
    ]
    for route, body in requests:
        answer = bob.post(route, json=body)
        assert answer.status_code == 400, (route, answer.text)
        assert "file_name" in answer.json()["message"]
    blank = ok(bob.post("/index/index/blank", json={"file_name": "bob.txt", "authz": [B1_PATH]}))
    answer = bob.get(f"/user/data/upload/{blank['did']}", params={"file_name": file_name})
    assert answer.status_code == 400, answer.text
    pending = two_projects.graph.read(
        "MATCH (r:IndexRecord) WHERE r.pending AND any(a IN r.authz WHERE a = $b1) RETURN r.did AS did",
        {"b1": B1_PATH},
    )
    assert not pending, "a refused upload leaves no pending record behind"


@pytest.mark.parametrize(("index_read", "refused"), [("authz", (409, 404)), ("public", (403, 403))])
def test_versions_join_a_chain_only_for_those_who_may_update_it(
    two_projects: TwoProjects, index_read: str, refused: tuple[int, int]
) -> None:
    """Under INDEX_READ=authz a chain Bob cannot read is refused as a taken baseid and an unknown
    did are; under public he reads it, and is refused for lack of `indexd update`."""
    world = two_projects.served(index_read=index_read)
    bob, alice = world.client("bob"), world.client("alice")
    guid = next(iter(world.files))
    baseid = ok(alice.get(f"/index/index/{guid}"))["baseid"]
    versions = ok(alice.get(f"/index/index/{guid}/versions"))
    body = {"size": 1, "hashes": {"md5": "0" * 32}, "authz": [B1_PATH], "version": "bob"}
    joined = bob.post("/index/index", json={**body, "baseid": baseid})
    assert joined.status_code == refused[0] and baseid not in joined.text.replace(baseid, "", 1)
    appended = bob.post(f"/index/index/{guid}", json=body)
    assert appended.status_code == refused[1], appended.text
    assert ok(alice.get(f"/index/index/{guid}/versions")) == versions
    own = ok(
        alice.post(f"/index/index/{guid}", json={**body, "authz": [world.files[guid]["authz"][0]]})
    )
    assert ok(alice.get(f"/index/index/{guid}/latest"))["did"] == own["did"]


def test_a_taken_did_is_refused_alike_whether_or_not_it_can_be_read(
    two_projects: TwoProjects,
) -> None:
    bob = two_projects.client("bob")
    body = {"size": 1, "hashes": {"md5": "0" * 32}, "authz": [B1_PATH]}
    own = ok(bob.post("/index/index", json=body))["did"]
    alices = next(iter(two_projects.files))
    answers = [bob.post("/index/index", json={**body, "did": did}) for did in (own, alices)]
    assert [a.status_code for a in answers] == [409, 409]
    mine, hers = (a.json()["message"] for a in answers)
    assert mine.replace(own, "X") == hers.replace(alices, "X")
    assert two_projects.leaked(answers[1], alices) == set()


def test_deleting_a_record_whose_key_holds_a_nul_deletes_the_record_and_answers(
    two_projects: TwoProjects,
) -> None:
    """Such a key (written before keys were checked) is not the record's own: only the record goes."""
    did = str(uuid.uuid4())
    _legacy_record(two_projects, did, f"{did}/a\u0000b", pending=True)
    bob = two_projects.client("bob")
    assert bob.delete(f"/user/data/{did}").status_code == 204
    assert bob.get(f"/index/index/{did}").status_code == 404


_SEGMENTS = st.text(alphabet="ab.\\-_ %\u00e9\u0000", min_size=0, max_size=4)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), uuids=st.tuples(st.uuids(), st.uuids()))
def test_no_key_lies_in_another_records_folder(data: st.DataObject, uuids: tuple) -> None:
    """The rule, not its examples: whatever two dids and file names are given, a key made for one
    record is never the other's nor under the other's folder, and only its own record owns it.

    Dids and names are drawn to aim at each other: a prefix that is the other's UUID or
    `batches`, names holding the other's UUID or batch folder, dot segments, NULs.
    """
    ids = [str(value) for value in uuids]
    assume(ids[0] != ids[1])
    dids, keys = [], []
    for mine, theirs in ((0, 1), (1, 0)):
        prefix = data.draw(st.sampled_from(["", "dg.1234/", f"{ids[theirs]}/", "batches/", "x/"]))
        dids.append(f"{prefix}{ids[mine]}")
    for mine, theirs in ((0, 1), (1, 0)):
        parts = st.sampled_from([ids[theirs], dids[theirs], "batches", "0" * 32]) | _SEGMENTS
        name = "/".join(data.draw(st.lists(parts, min_size=1, max_size=4)))
        batch = data.draw(st.none() | st.sampled_from(["0" * 32, "f" * 32]))
        try:
            keys.append(storage_key(dids[mine], name, batch))
        except RecordError:
            keys.append(None)  # refused: never a key
    stamp = now()
    for mine, theirs in ((0, 1), (1, 0)):
        if keys[mine] is None:
            continue
        own = IndexRecord(dids[mine], dids[mine], "r", stamp, stamp, storage_key=keys[mine])
        assert own_key(own) == keys[mine]
        other = IndexRecord(dids[theirs], dids[theirs], "r", stamp, stamp, storage_key=keys[mine])
        assert own_key(other) is None
        if keys[theirs] is not None:
            assert keys[mine] != keys[theirs]
            assert not keys[mine].startswith(keys[theirs] + "/")


def test_a_node_naming_a_public_record_gives_its_project_nothing_of_the_bytes(
    two_projects: TwoProjects,
) -> None:
    """Under INDEX_READ=public Bob may name A1's record in a data file of B1 (its checksum and
    size are no secret), but that node is no way to A1's bytes: deleting it with its records
    is refused before anything goes, and Bob gets no signed URL."""
    world = two_projects.served(index_read="public")
    bob = world.client("bob")
    guid, record = next(iter(world.files.items()))
    docs = [
        {"type": "subject", "submitter_id": "bob-holder", "studies": {"submitter_id": "bob-study"}},
        {
            "type": "clinical_document",
            "submitter_id": "bob-names-alice",
            "subjects": {"submitter_id": "bob-holder"},
            "file_name": record["file_name"],
            "file_size": record["size"],
            "md5sum": record["hashes"]["md5"],
            "object_id": guid,
            "data_category": "Clinical",
            "data_type": "Pathology Report",
            "data_format": "PDF",
            "document_type": "Pathology Report",
        },
    ]
    ids = [entity["id"] for entity in ok(bob.put("/api/v0/submission/B/B1", json=docs))["entities"]]
    refused = bob.delete(f"/api/v0/submission/B/B1/entities/{ids[1]}?delete_records=true")
    assert refused.status_code == 403, refused.text
    assert bob.get(f"/user/data/download/{guid}").status_code == 403
    world.a1_bytes_intact()
    ok(bob.delete(f"/api/v0/submission/B/B1/entities/{ids[1]},{ids[0]}"))
