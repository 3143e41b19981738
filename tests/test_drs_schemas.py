"""Every answer of `/ga4gh/drs/v1`, in a realistic flow, valid against the GA4GH DRS 1.4 schemas.

The schemas below are written here from DRS 1.4's OpenAPI components
(`openapi/components/schemas/*.yaml` and `responses/*.yaml` at tag
drs-1.4.0 of ga4gh/data-repository-service-schemas) and the GA4GH
service-info 1.0.0 `Service` it extends. They are closed
(`additionalProperties: false`) where the spec's are open: Commons answers
only the fields DRS names, so a stray one (indexd's `form`, a `null`) is
flagged too. `date-time` is RFC 3339 (a zone is required) and `uri` an
absolute URI, checked by the format checker below.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.auth.policy_store import save_policy
from engine.graph.arcadedb import EmbeddedArcadeDB
from engine.graph.store import GraphStore
from engine.stores import Stores
from tests.auth_fixture import anonymous_client, bearer
from tests.drs_world import DATA, DEMO, INDEXER, MD5, OPEN, POLICY, READER, SUBMITTER, upload

DRS = "/ga4gh/drs/v1"


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


STRING = {"type": "string"}
STRINGS = {"type": "array", "items": STRING}
INTEGER = {"type": "integer"}
DATE_TIME = {"type": "string", "format": "date-time"}
URI = {"type": "string", "format": "uri"}
ACCESS_URL = _object(["url"], url=STRING, headers=STRINGS)
AUTHORIZATIONS = _object(
    [],
    drs_object_id=STRING,
    supported_types={
        "type": "array",
        "items": {"enum": ["None", "BasicAuth", "BearerAuth", "PassportAuth"]},
    },
    passport_auth_issuers=STRINGS,
    bearer_auth_issuers=STRINGS,
)
ACCESS_METHOD = {
    **_object(
        ["type"],
        type={"enum": ["s3", "gs", "ftp", "gsiftp", "globus", "htsget", "https", "file"]},
        access_url=ACCESS_URL,
        access_id=STRING,
        region=STRING,
        authorizations=AUTHORIZATIONS,
    ),
    # "at least one of `access_url` and `access_id` must be provided"
    "anyOf": [{"required": ["access_url"]}, {"required": ["access_id"]}],
}
CHECKSUM = _object(["checksum", "type"], checksum=STRING, type=STRING)
CONTENTS_OBJECT = _object(
    ["name"], name=STRING, id=STRING, drs_uri=STRINGS, contents={"type": "array"}
)
DRS_OBJECT = _object(
    ["id", "self_uri", "size", "created_time", "checksums"],
    id=STRING,
    name=STRING,
    self_uri={"type": "string", "pattern": "^drs://[^/]+/.+"},
    size={"type": "integer", "minimum": 0},
    created_time=DATE_TIME,
    updated_time=DATE_TIME,
    version=STRING,
    mime_type=STRING,
    checksums={"type": "array", "minItems": 1, "items": CHECKSUM},
    access_methods={"type": "array", "minItems": 1, "items": ACCESS_METHOD},
    contents={"type": "array", "items": CONTENTS_OBJECT},
    description=STRING,
    aliases=STRINGS,
)
BLOB = {**DRS_OBJECT, "required": [*DRS_OBJECT["required"], "access_methods"]}
SUMMARY = _object([], requested=INTEGER, resolved=INTEGER, unresolved=INTEGER)
UNRESOLVED = {
    "type": "array",
    "items": _object([], error_code=INTEGER, object_ids=STRINGS),
}
BULK_ACCESS_URL = _object(
    ["url"], drs_object_id=STRING, drs_access_id=STRING, url=STRING, headers=STRINGS
)
BULK_OBJECTS = _object(
    [],
    summary=SUMMARY,
    unresolved_drs_objects=UNRESOLVED,
    resolved_drs_object={"type": "array", "items": DRS_OBJECT},
)
BULK_ACCESS = _object(
    [],
    summary=SUMMARY,
    unresolved_drs_objects=UNRESOLVED,
    resolved_drs_object_access_urls={"type": "array", "items": BULK_ACCESS_URL},
)
SERVICE_INFO = _object(
    ["id", "name", "type", "organization", "version", "maxBulkRequestLength"],
    id=STRING,
    name=STRING,
    type=_object(
        ["group", "artifact", "version"], group=STRING, artifact={"const": "drs"}, version=STRING
    ),
    description=STRING,
    organization=_object(["name", "url"], name=STRING, url=URI),
    contactUrl=URI,
    documentationUrl=URI,
    createdAt=DATE_TIME,
    updatedAt=DATE_TIME,
    environment=STRING,
    version=STRING,
    maxBulkRequestLength={"type": "integer", "minimum": 1},
)
ERROR = _object(["msg", "status_code"], msg=STRING, status_code=INTEGER)

FORMATS = FormatChecker(formats=())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(RFC3339.match(value))


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)


def valid(response: httpx.Response, schema: dict[str, Any], status: int = 200) -> Any:
    """The JSON answer, once its status, media type and body are what DRS says."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in Draft202012Validator(schema, format_checker=FORMATS).iter_errors(body)
    ]
    assert not errors, (errors, body)
    if schema is ERROR:
        assert body["status_code"] == status
    return body


def refused(response: httpx.Response, status: int) -> str:
    """The message of a DRS error answer `{msg, status_code}` with this status."""
    return valid(response, ERROR, status)["msg"]


@pytest.fixture
def world(api: TestClient, graph: GraphStore) -> dict[str, Any]:
    """Callers of the DRS policy (tests/drs_world.py) and the objects a submitter put there."""
    save_policy(graph, POLICY)
    callers = {"anonymous": anonymous_client(api)}
    for name, user in (("submitter", SUBMITTER), ("reader", READER), ("indexer", INDEXER)):
        callers[name] = TestClient(api.app, headers=bearer(api.app, user))
    submitter = callers["submitter"]
    mirrored = submitter.post(
        "/index/index",
        json={
            "size": len(DATA),
            "hashes": {"md5": MD5, "sha1": "b" * 40, "sha256": "c" * 64, "crc": "d" * 8},
            "urls": [
                "https://example.org/data/mirrored.txt",
                "http://mirror.example.org/mirrored.txt",
                "s3://another-bucket/mirrored.txt",
                "gs://a-gcs-bucket/mirrored.txt",
            ],
            "file_name": "mirrored.txt",
            "description": "one file at several places",
            "authz": [DEMO],
        },
    )
    assert mirrored.status_code == 200, mirrored.text
    elsewhere = submitter.post(
        "/index/index",
        json={
            "size": 1,
            "hashes": {"etag": "e" * 32},
            "urls": ["s3://not-ours/x"],
            "authz": [DEMO],
        },
    )
    objects = {
        "elsewhere": elsewhere.json()["did"],
        "uploaded": upload(submitter, DEMO, "reads.bam"),
        "open": upload(submitter, OPEN, "open.vcf"),
        "mirrored": mirrored.json()["did"],
        "pending": submitter.post(
            "/user/data/upload", json={"file_name": "later.bin", "authz": [DEMO]}
        ).json()["guid"],
    }
    return {"callers": callers, "objects": objects}


def test_service_info(api: TestClient) -> None:
    info = valid(anonymous_client(api).get(f"{DRS}/service-info"), SERVICE_INFO)
    assert info["type"] == {"group": "org.ga4gh", "artifact": "drs", "version": "1.4.0"}
    assert info["maxBulkRequestLength"] == 1000
    assert valid(api.get(f"{DRS}/service-info"), SERVICE_INFO) == info


def test_objects(world: dict[str, Any]) -> None:
    """Uploaded, mirrored and open objects, by GET and by POST (with or without passports and
    `expand`, which a blob ignores), for their readers and for anyone (open data)."""
    callers, objects = world["callers"], world["objects"]
    reader = callers["reader"]
    for name in ("uploaded", "mirrored", "open"):
        did = objects[name]
        found = valid(reader.get(f"{DRS}/objects/{did}"), BLOB)
        assert found["id"] == did and found["size"] == len(DATA)
        for asked in (
            reader.get(f"{DRS}/objects/{did}", params={"expand": "true"}),
            reader.post(f"{DRS}/objects/{did}", json={"passports": [], "expand": True}),
            reader.post(f"{DRS}/objects/{did}"),
            callers["indexer"].get(f"{DRS}/objects/{did}"),
        ):
            assert valid(asked, BLOB) == found
    assert valid(callers["anonymous"].get(f"{DRS}/objects/{objects['open']}"), BLOB)

    # Bytes in a bucket Commons does not hold: no way to them, no name, and no nulls for either.
    elsewhere = valid(reader.get(f"{DRS}/objects/{objects['elsewhere']}"), DRS_OBJECT)
    assert not {"access_methods", "name", "description"} & set(elsewhere)

    mirrored = valid(reader.get(f"{DRS}/objects/{objects['mirrored']}"), BLOB)
    assert mirrored["description"] == "one file at several places"
    assert {c["type"] for c in mirrored["checksums"]} == {"md5", "sha1", "sha-256", "crc"}
    assert [m["access_url"]["url"] for m in mirrored["access_methods"]] == [
        "https://example.org/data/mirrored.txt",
        "http://mirror.example.org/mirrored.txt",
    ]


def test_access(world: dict[str, Any]) -> None:
    """Signed URLs for readers, by GET and POST; open data for anyone; the bytes behind them."""
    callers, objects = world["callers"], world["objects"]
    for caller, name in (("reader", "uploaded"), ("submitter", "uploaded"), ("anonymous", "open")):
        client = callers[caller]
        for answer in (
            client.get(f"{DRS}/objects/{objects[name]}/access/s3"),
            client.post(f"{DRS}/objects/{objects[name]}/access/s3", json={"passports": []}),
        ):
            url = valid(answer, ACCESS_URL)["url"]
            assert httpx.get(url).content == DATA


def test_bulk(world: dict[str, Any]) -> None:
    callers, objects = world["callers"], world["objects"]
    reader = callers["reader"]
    asked = [objects["uploaded"], objects["mirrored"], objects["pending"], "no-such-id"]
    found = valid(
        reader.post(f"{DRS}/objects", json={"bulk_object_ids": asked, "passports": []}),
        BULK_OBJECTS,
    )
    assert found["summary"] == {"requested": 4, "resolved": 2, "unresolved": 2}
    for item in found["resolved_drs_object"]:
        assert valid(reader.get(f"{DRS}/objects/{item['id']}"), BLOB) == item

    pairs = [
        {"bulk_object_id": objects["uploaded"], "bulk_access_ids": ["s3", "https"]},
        {"bulk_object_id": objects["open"], "bulk_access_ids": ["s3"]},
        {"bulk_object_id": "no-such-id", "bulk_access_ids": ["s3"]},
    ]
    for caller, resolved in (("reader", 2), ("anonymous", 1)):
        body = valid(
            callers[caller].post(f"{DRS}/objects/access", json={"bulk_object_access_ids": pairs}),
            BULK_ACCESS,
        )
        assert body["summary"] == {"requested": 4, "resolved": resolved, "unresolved": 4 - resolved}
        for item in body["resolved_drs_object_access_urls"]:
            assert httpx.get(item["url"]).content == DATA


def test_authorizations(world: dict[str, Any]) -> None:
    """OPTIONS answers DRS Authorizations: bearer tokens here (no passport issuer is set)."""
    uploaded = world["objects"]["uploaded"]
    found = valid(
        world["callers"]["anonymous"].options(f"{DRS}/objects/{uploaded}"), AUTHORIZATIONS
    )
    assert found["supported_types"] == ["BearerAuth"] and found["drs_object_id"] == uploaded


def test_errors(world: dict[str, Any]) -> None:
    """400, 401, 403, 404, 405 and 413 answers all read `{msg, status_code}`, with their headers."""
    callers, objects = world["callers"], world["objects"]
    reader, uploaded = callers["reader"], objects["uploaded"]
    forged = TestClient(reader.app, headers={"Authorization": "Bearer not-a-token"})
    cases = [
        (reader.post(f"{DRS}/objects", json={"bulk_object_ids": []}), 400),
        (reader.post(f"{DRS}/objects", content=b"{nope"), 400),
        (reader.post(f"{DRS}/objects/access", json={"bulk_object_access_ids": ["x"]}), 400),
        (forged.get(f"{DRS}/objects/{objects['open']}"), 401),
        (forged.post(f"{DRS}/objects", json={"bulk_object_ids": [uploaded]}), 401),
        (callers["indexer"].get(f"{DRS}/objects/{uploaded}/access/s3"), 403),
        (reader.get(f"{DRS}/objects/no-such-id"), 404),
        (reader.get(f"{DRS}/objects/{objects['pending']}"), 404),
        (reader.get(f"{DRS}/objects/{uploaded}/access/gs"), 404),
        (reader.get(f"{DRS}/objects/no-such-id/access/s3"), 404),
        (reader.get(f"{DRS}/no-such-route"), 404),
        (reader.delete(f"{DRS}/objects/{uploaded}"), 405),
        (reader.put(f"{DRS}/service-info"), 405),
        (reader.post(f"{DRS}/objects", json={"bulk_object_ids": ["x"] * 1001}), 413),
        (reader.post(f"{DRS}/objects", content=b" " * (1024 * 1024 + 1)), 413),  # MAX_BODY_MB
    ]
    for response, status in cases:
        assert refused(response, status), response.request.url
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
        if status == 405:
            assert "GET" in response.headers["allow"]


def test_an_unexpected_failure(api: TestClient, arcadedb_server: EmbeddedArcadeDB) -> None:
    """A graph store gone under the app (its connection closed) is a 500 in DRS's shape, telling
    nothing of the failure; elsewhere it stays Starlette's plain text."""
    state, endpoint = api.app.state, arcadedb_server.endpoint
    closed = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
    app = create_app(Stores(closed, state.stores.objects), state.settings, state.compiled)
    closed.close()
    client = TestClient(app, raise_server_exceptions=False)
    message = refused(client.get(f"{DRS}/objects/anything"), 500)
    assert message == "an unexpected error occurred; the server logged it"
    assert client.get("/index/index/anything").text == "Internal Server Error"
