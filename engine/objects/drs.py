"""GA4GH DRS 1.x views of index records: the same objects, in the shape DRS clients read.

A DRS object must have a size and checksums, so a record whose bytes have
not arrived (blank, or an upload still pending) is not a DRS object yet.
Bytes Commons holds are reached through the `s3` access method, which
`/access/s3` turns into a signed URL; a record's own http(s) URLs are
handed out as they are.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from engine.objects.record import IndexRecord, RecordError

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
    return {
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
        "access_methods": methods,
    }
