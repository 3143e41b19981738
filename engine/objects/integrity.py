"""Check uploaded bytes against their record, so a wrong checksum never becomes a valid record.

Clients put bytes straight into S3 through signed URLs, so Commons cannot
see them pass; it reads what the store holds once the upload is over. For
a single-part object S3's ETag is the MD5, so one HEAD suffices; a
multipart ETag is not an MD5, and then (or when another hash type must be
checked) the object is read once and every needed digest computed from it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from engine.objects.record import IndexRecord, RecordError
from engine.objects.store import ObjectInfo, ObjectStore

_HASHLIB = ("md5", "sha1", "sha256", "sha512")


class ChecksumMismatch(RecordError):
    """The stored bytes disagree with what was declared; they have been deleted."""


def _digests(store: ObjectStore, info: ObjectInfo, kinds: set[str]) -> dict[str, str]:
    single_part_md5 = "-" not in info.etag and len(info.etag) == 32
    if kinds <= {"md5"} and single_part_md5:
        return {"md5": info.etag.lower()}
    hashers = {kind: hashlib.new(kind) for kind in kinds | {"md5"}}
    for chunk in store.chunks(info.key):
        for hasher in hashers.values():
            hasher.update(chunk)
    return {kind: hasher.hexdigest() for kind, hasher in hashers.items()}


def settle_changes(
    store: ObjectStore, record: IndexRecord, listing: dict[str, ObjectInfo] | None = None
) -> dict[str, Any] | None:
    """The changes that turn a pending record into a stored one; None while no bytes have arrived.

    The bytes must match every size and checksum the record (with whatever
    the client just declared merged in) states. On any disagreement they are
    deleted and ChecksumMismatch raised: the record stays pending, and the
    client can upload again. `listing`, when given, is the store's listing of
    the folder holding the record's key, read instead of a HEAD.
    """
    assert record.storage_key is not None
    info = store.stat(record.storage_key) if listing is None else listing.get(record.storage_key)
    if info is None:
        return None
    digests = _digests(store, info, {kind for kind in record.hashes if kind in _HASHLIB})
    problems = [
        f"{kind} is {digests[kind]}, expected {record.hashes[kind]}"
        for kind in sorted(digests)
        if kind in record.hashes and record.hashes[kind] != digests[kind]
    ]
    if record.size is not None and record.size != info.size:
        problems.insert(0, f"size is {info.size} bytes, expected {record.size}")
    if problems:
        store.delete(info.key)
        raise ChecksumMismatch(
            400,
            f"upload of {record.did} rejected: the stored object's {'; '.join(problems)}. "
            "The bytes were discarded; upload the file again.",
        )
    url = f"s3://{store.bucket}/{info.key}"
    return {
        "size": info.size,
        "hashes": {**record.hashes, **digests},
        "urls": record.urls if url in record.urls else [*record.urls, url],
        "pending": False,
    }
