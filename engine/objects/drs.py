"""GA4GH DRS 1.x views of index records: the same objects, in the shape DRS clients read.

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
from typing import Any

from engine.objects.record import IndexRecord, RecordError
from engine.objects.service import SignedDownload

ACCESS_ID = "s3"
# DRS names checksum types as IANA's hash function registry does.
_CHECKSUM_TYPES = {"sha1": "sha-1", "sha256": "sha-256", "sha512": "sha-512"}


def service_info(host: str) -> dict[str, Any]:
    return {
        "id": f"{host}.drs",
        "name": "Commons DRS",
        "type": {"group": "org.ga4gh", "artifact": "drs", "version": "1.4.0"},
        "description": "Data objects indexed by Commons, served through signed URLs.",
        "organization": {"name": "Commons", "url": f"https://{host}"},
        "version": version("commons"),
    }


def drs_object(record: IndexRecord, host: str, region: str) -> dict[str, Any]:
    if record.blank or record.pending:
        raise RecordError(404, f"object {record.did} has no data yet: its upload is not complete")
    methods: list[dict[str, Any]] = []
    if record.stored:
        methods.append({"type": "s3", "access_id": ACCESS_ID, "region": region})
    methods += [
        {"type": url.split("://", 1)[0], "access_url": {"url": url}}
        for url in record.urls
        if url.startswith(("http://", "https://"))
    ]
    found = {
        "id": record.did,
        "self_uri": f"drs://{host}/{record.did}",
        "name": record.file_name,
        "size": record.size,
        "created_time": record.created_date,
        "updated_time": record.updated_date,
        "version": record.rev,
        "mime_type": "application/octet-stream",
        "description": record.description,
        "checksums": [
            {"type": _CHECKSUM_TYPES.get(kind, kind), "checksum": digest}
            for kind, digest in sorted(record.hashes.items())
        ],
        "access_methods": methods or None,
    }
    # DRS omits an optional field it has no value for (a null fails its schemas), and a
    # list of access methods holds at least one.
    return {name: value for name, value in found.items() if value is not None}


def no_access_method(object_id: str, access_id: str) -> RecordError:
    return RecordError(404, f"object {object_id} has no access method {access_id!r}")


def bulk_answer(
    resolved_key: str, resolved: list[dict[str, Any]], failed: Sequence[tuple[str, RecordError]]
) -> dict[str, Any]:
    """DRS's bulk shape: a summary, the resolved items under `resolved_key`, the failures by code."""
    by_code: dict[int, list[str]] = {}
    for object_id, error in failed:
        by_code.setdefault(error.status, []).append(object_id)
    return {
        "summary": {
            "requested": len(resolved) + len(failed),
            "resolved": len(resolved),
            "unresolved": len(failed),
        },
        "unresolved_drs_objects": [
            {"error_code": code, "object_ids": ids} for code, ids in by_code.items()
        ],
        resolved_key: resolved,
    }


def drs_objects(
    object_ids: list[str], records: list[IndexRecord | RecordError], host: str, region: str
) -> dict[str, Any]:
    """The bulk answer for `object_ids`, given each one's record or why it has none."""
    resolved, failed = [], []
    for object_id, record in zip(object_ids, records, strict=True):
        if isinstance(record, RecordError):
            failed.append((object_id, record))
            continue
        try:
            resolved.append(drs_object(record, host, region))
        except RecordError as error:
            failed.append((object_id, error))
    return bulk_answer("resolved_drs_object", resolved, failed)


def access_urls(
    requested: list[tuple[str, str]], signed: Iterator[SignedDownload | RecordError]
) -> dict[str, Any]:
    """The bulk answer for (object id, access id) pairs; `signed` has a URL per `s3` pair, in order."""
    resolved, failed = [], []
    for object_id, access_id in requested:
        got = next(signed) if access_id == ACCESS_ID else no_access_method(object_id, access_id)
        if isinstance(got, RecordError):
            failed.append((object_id, got))
        else:
            resolved.append(
                {"drs_object_id": object_id, "drs_access_id": access_id, "url": got.url}
            )
    return bulk_answer("resolved_drs_object_access_urls", resolved, failed)
