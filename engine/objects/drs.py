"""GA4GH DRS 1.4 views of index records: the same objects, in the shape DRS clients read.

The answers are built as the typed models below, written from DRS 1.4's
schemas: a field DRS makes optional is left out when there is no value for
it (its schemas refuse a null), and only the fields DRS names are sent.
A DRS object must have a size and checksums, so a record whose bytes have
not arrived (blank, or an upload still pending) is not a DRS object yet.
Bytes Commons holds are reached through the `s3` access method, which
`/access/s3` turns into a signed URL; a record's own http(s) URLs are
handed out as they are.

Bulk requests (DRS 1.3+) answer every id: what resolved, and the ids that
did not grouped by the status a single request for them would have had.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from importlib.metadata import version
from typing import Literal, NotRequired, TypedDict
from urllib.parse import quote

from engine.objects.record import IndexRecord, RecordError
from engine.objects.service import SignedDownload

ACCESS_ID = "s3"
MAX_BULK = 1000  # ids per bulk request; service-info says it, a longer request is a 413
# DRS names checksum types as IANA's hash function registry does, and others (md5, sha1,
# etag) as their standard names.
_CHECKSUM_TYPES = {"sha256": "sha-256", "sha512": "sha-512"}

# The answers' models, from the DRS 1.4 schemas (openapi/components/schemas): a key that is
# NotRequired is left out when there is no value for it, never sent as null.
AccessType = Literal["s3", "gs", "ftp", "gsiftp", "globus", "htsget", "https", "file"]


class Checksum(TypedDict):
    checksum: str
    type: str


class AccessURL(TypedDict):
    url: str


class AccessMethod(TypedDict):
    """One way to the bytes: an `access_url` to fetch, or an `access_id` to ask `/access` for one."""

    type: AccessType
    access_url: NotRequired[AccessURL]
    access_id: NotRequired[str]
    region: NotRequired[str]


class DrsObject(TypedDict):
    id: str
    self_uri: str
    size: int
    created_time: str
    checksums: list[Checksum]
    updated_time: str
    version: str
    mime_type: str
    name: NotRequired[str]
    description: NotRequired[str]
    access_methods: NotRequired[list[AccessMethod]]


class BulkAccessURL(TypedDict):
    drs_object_id: str
    drs_access_id: str
    url: str


class Unresolved(TypedDict):
    error_code: int
    object_ids: list[str]


class Summary(TypedDict):
    requested: int
    resolved: int
    unresolved: int


class BulkObjects(TypedDict):
    summary: Summary
    unresolved_drs_objects: list[Unresolved]
    resolved_drs_object: list[DrsObject]


class BulkAccessURLs(TypedDict):
    summary: Summary
    unresolved_drs_objects: list[Unresolved]
    resolved_drs_object_access_urls: list[BulkAccessURL]


AuthType = Literal["None", "BasicAuth", "BearerAuth", "PassportAuth"]


class Authorizations(TypedDict):
    """DRS 1.4's Authorizations: what `OPTIONS /objects/{id}` answers."""

    drs_object_id: str
    supported_types: list[AuthType]
    passport_auth_issuers: list[str]
    bearer_auth_issuers: list[str]


class ServiceType(TypedDict):
    group: str
    artifact: str
    version: str


class Organization(TypedDict):
    name: str
    url: str


class Service(TypedDict):
    """GA4GH service-info 1.0's `Service`, which each GA4GH API's service-info extends."""

    id: str
    name: str
    type: ServiceType
    description: str
    organization: Organization
    version: str


class ServiceInfo(Service):
    """GA4GH service-info 1.0's `Service`, with DRS 1.4's `maxBulkRequestLength`."""

    maxBulkRequestLength: int


def service_info(host: str, public_url: str) -> ServiceInfo:
    return {
        "id": f"{host}.drs",
        "name": "Commons DRS",
        "type": {"group": "org.ga4gh", "artifact": "drs", "version": "1.4.0"},
        "description": "Data objects indexed by Commons, served through signed URLs.",
        "organization": {"name": "Commons", "url": public_url},
        "version": version("commons"),
        "maxBulkRequestLength": MAX_BULK,
    }


def _access_type(url: str) -> AccessType | None:
    """The access method of a URL the record holds, if clients can fetch it as it is: DRS has
    one type, `https`, for HTTP(S)."""
    return "https" if url.startswith(("http://", "https://")) else None


def drs_object(record: IndexRecord, host: str, region: str) -> DrsObject:
    if record.size is None or record.pending:  # blank, or its bytes are still awaited
        raise RecordError(404, f"object {record.did} has no data yet: its upload is not complete")
    found: DrsObject = {
        "id": record.did,
        # DRS ids are made of unreserved characters: others (the slash of a prefix) are escaped.
        "self_uri": f"drs://{host}/{quote(record.did, safe='')}",
        "size": record.size,
        "created_time": record.created_date,
        "updated_time": record.updated_date,
        "version": record.rev,
        "mime_type": "application/octet-stream",
        "checksums": [
            {"type": _CHECKSUM_TYPES.get(kind, kind), "checksum": digest}
            for kind, digest in sorted(record.hashes.items())
        ],
    }
    if record.file_name is not None:
        found["name"] = record.file_name
    if record.description is not None:
        found["description"] = record.description
    methods: list[AccessMethod] = []
    if record.stored:
        methods.append({"type": "s3", "access_id": ACCESS_ID, "region": region})
    for url in record.urls:
        kind = _access_type(url)
        if kind is not None:
            methods.append({"type": kind, "access_url": {"url": url}})
    if methods:  # a list of access methods holds at least one
        found["access_methods"] = methods
    return found


def no_access_method(object_id: str, access_id: str) -> RecordError:
    return RecordError(404, f"object {object_id} has no access method {access_id!r}")


def _unresolved(failed: Sequence[tuple[str, RecordError]]) -> list[Unresolved]:
    """The ids that did not resolve, grouped by the status a single request would have had."""
    by_code: dict[int, list[str]] = {}
    for object_id, error in failed:
        by_code.setdefault(error.status, []).append(object_id)
    return [{"error_code": code, "object_ids": ids} for code, ids in by_code.items()]


def _summary(resolved: int, unresolved: int) -> Summary:
    return {"requested": resolved + unresolved, "resolved": resolved, "unresolved": unresolved}


def drs_objects(
    object_ids: list[str], records: list[IndexRecord | RecordError], host: str, region: str
) -> BulkObjects:
    """The bulk answer for `object_ids`, given each one's record or why it has none."""
    resolved: list[DrsObject] = []
    failed: list[tuple[str, RecordError]] = []
    for object_id, record in zip(object_ids, records, strict=True):
        if isinstance(record, RecordError):
            failed.append((object_id, record))
            continue
        try:
            resolved.append(drs_object(record, host, region))
        except RecordError as error:
            failed.append((object_id, error))
    return {
        "summary": _summary(len(resolved), len(failed)),
        "unresolved_drs_objects": _unresolved(failed),
        "resolved_drs_object": resolved,
    }


def access_urls(
    requested: list[tuple[str, str]], signed: Iterator[SignedDownload | RecordError]
) -> BulkAccessURLs:
    """The bulk answer for (object id, access id) pairs; `signed` has a URL per `s3` pair, in order."""
    resolved: list[BulkAccessURL] = []
    failed: list[tuple[str, RecordError]] = []
    for object_id, access_id in requested:
        got = next(signed) if access_id == ACCESS_ID else no_access_method(object_id, access_id)
        if isinstance(got, RecordError):
            failed.append((object_id, got))
        else:
            resolved.append(
                {"drs_object_id": object_id, "drs_access_id": access_id, "url": got.url}
            )
    return {
        "summary": _summary(len(resolved), len(failed)),
        "unresolved_drs_objects": _unresolved(failed),
        "resolved_drs_object_access_urls": resolved,
    }
