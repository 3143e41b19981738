"""The `export` job: a cohort as a PFB in the object store, as Gen3's pelican-export makes it.

Pelican reads the root ids for the portal's filter from guppy, writes the
PFB, uploads it, and prints a signed URL, or (`access_format: guid`) an
indexd GUID for it. Here the PFB is streamed from the graph (engine/pfb/
write.py) straight into the store, hashed as it goes, so neither memory nor
disk holds the file. Its content is what the caller could read when they
dispatched the job (`cohort.access`, captured then).

An export is kept JOBS_EXPORT_TTL seconds (pelican: RECORD_EXPIRATION_DAYS,
14). As pelican does, a GUID export also gets an MDS record (engine/metadata/)
`{"_expires_at": <epoch seconds>}` under its GUID; where Gen3 runs a cron job
(metadata-delete-expired-objects) that deletes each expired object, its
index record and its MDS record, Commons sweeps them when the server starts
and when jobs are dispatched, listed or asked for their output
(`expire_exports`): no daemon of its own. Every export expires, a signed-URL
one too (pelican leaves those to the bucket's lifecycle rules).

A GUID's record carries no `authz`: it belongs to its uploader, the caller
(engine/objects/access.py), and is theirs and the admins' alone. Pelican
gives it the cohort's project paths instead; Commons lets anyone who may
read any one of a record's paths download it, which would open an export
spanning projects to the readers of each.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.dictionary.model import Dictionary
from engine.jobs.state import Job, JobStates
from engine.metadata.store import MetadataError, MetadataStore
from engine.objects.index import RecordIndex
from engine.objects.keys import storage_key
from engine.objects.record import RecordError, mint_did
from engine.objects.service import new_record
from engine.pfb.write import Cohort, ExportSummary, pfb_chunks
from engine.stores import Stores

ACTION = "export"
GUID = "guid"
PRESIGNED_URL = "presigned_url"
ACCESS_FORMATS = (PRESIGNED_URL, GUID)
EXPORTS = "exports"
EXPIRES_AT = "_expires_at"  # pelican's MDS key: when the export goes, in epoch seconds
log = logging.getLogger(__name__)
_SWEEPING = threading.Lock()


class _ChunkStream(io.RawIOBase):
    """Chunks of bytes read as a file (what an S3 upload reads), counted and hashed on the way."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = memoryview(b"")
        self.md5 = hashlib.md5()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._chunk:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._chunk = memoryview(chunk)
        count = min(len(buffer), len(self._chunk))
        buffer[:count] = self._chunk[:count]
        self.md5.update(self._chunk[:count])
        self._chunk = self._chunk[count:]
        self.size += count
        return count


@dataclass(frozen=True)
class Export:
    """What one export job writes: the cohort (with the caller's access), for whom, in which form."""

    cohort: Cohort
    owner: str
    access_format: str = PRESIGNED_URL


def file_name() -> str:
    """Pelican's name for an export: `export_<UTC time>.avro`."""
    return datetime.now(UTC).strftime("export_%Y-%m-%dT%H-%M-%S.avro")


def run_export(
    stores: Stores,
    dictionary: Dictionary,
    export: Export,
    uid: str,
    ttl: int,
    guid_prefix: str = "",
) -> dict[str, Any]:
    """Write the PFB to the store, kept `ttl` seconds; answers what the job keeps
    (`output_key`, `expires_at`, and `guid` for access_format guid)."""
    name = file_name()
    did = mint_did(guid_prefix) if export.access_format == GUID else None
    key = storage_key(did, name) if did else f"{EXPORTS}/{uid}/{name}"
    stream = _ChunkStream(
        pfb_chunks(stores.graph, dictionary, ExportSummary(), cohort=export.cohort)
    )
    stores.objects.put(key, io.BufferedReader(stream, 1024 * 1024))
    expires_at = time.time() + ttl
    if did is None:
        return {"output_key": key, "expires_at": expires_at}
    record = new_record(
        {
            "did": did,
            "size": stream.size,
            "hashes": {"md5": stream.md5.hexdigest()},
            "file_name": name,
            "uploader": export.owner,
            "urls": [f"s3://{stores.objects.bucket}/{key}"],
            "storage_key": key,
        }
    )
    RecordIndex(stores.graph).create([record])
    MetadataStore(stores.graph).create(did, {EXPIRES_AT: expires_at})
    return {"output_key": key, "guid": did, "expires_at": expires_at}


def _remove(stores: Stores, job: Job) -> None:
    """A job's output: its object, and a GUID's index and MDS records (each may be gone)."""
    if job.output_key:
        stores.objects.delete(job.output_key)  # S3 answers a missing key's delete as done
    if job.guid:
        try:
            RecordIndex(stores.graph).delete(job.guid, None)
        except RecordError as error:
            if error.status != 404:
                raise
        try:
            MetadataStore(stores.graph).delete(job.guid)
        except MetadataError as error:
            if error.status != 404:
                raise


def expire_exports(stores: Stores, states: JobStates, now: float | None = None) -> int:
    """Remove the outputs of the exports whose time is up; answers how many were removed.

    One sweep at a time per process (another caller skips it: the running one
    does the work). An output that cannot be removed now (a store away) is
    logged and tried again by the next sweep; its job answers 410 meanwhile.
    """
    if not _SWEEPING.acquire(blocking=False):
        return 0
    try:
        removed = 0
        for job in states.due(time.time() if now is None else now):
            try:
                _remove(stores, job)
            except Exception:  # one output's store failure must not keep the others
                log.exception("the expired output of job %s was not removed", job.uid)
                continue
            states.mark_expired(job.uid)
            removed += 1
        return removed
    finally:
        _SWEEPING.release()
