"""Data objects: index records and the bytes they describe, kept in step.

indexd, fence and DRS routes all come here, so the rules hold whichever
door a client uses: bytes Commons holds are checked before their record
becomes valid, deleting a record deletes its bytes, and a signed URL is
only made for a record that exists. It is also the one place where the
caller's rights on a record's `authz` are checked (engine/objects/access.py
says what each action needs): a `DataObjects` is made per request, for
its caller (a `RecordAccess`).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, NamedTuple

from minio.error import S3Error

from engine.auth.errors import AuthError
from engine.graph.store import GraphStore
from engine.objects.access import Action, RecordAccess, unknown
from engine.objects.index import RecordIndex, RecordQuery, check_rev
from engine.objects.integrity import ChecksumMismatch, settle_changes
from engine.objects.keys import check_did, own_key, owned_key, storage_key
from engine.objects.record import (
    BLANK_FIELDS,
    BLANK_UPDATE_FIELDS,
    CREATE_FIELDS,
    UPDATE_FIELDS,
    IndexRecord,
    RecordError,
    batch_folder,
    change_props,
    check_fields,
    mint_did,
    new_rev,
    now,
)
from engine.objects.store import ObjectInfo, ObjectStore
from engine.objects.urls import UrlIndex

PROTOCOLS = ("s3", "http", "https")
MAX_PARTS = 10_000
UPLOAD_FIELDS = frozenset({"file_name", "authz"})
STORE_THREADS = 8


def _refused(action: str, error: S3Error) -> RecordError:
    """The store's refusal of a multipart step; an upload it does not know is a 404."""
    return RecordError(
        404 if error.code == "NoSuchUpload" else 400,
        f"the object store refused to {action} the upload ({error.code}: {error.message})",
    )


def new_record(fields: dict[str, Any], guid_prefix: str = "") -> IndexRecord:
    """A record to create from `fields`, stamped as indexd stamps one: the did they name
    (checked) or one minted under `guid_prefix`, a new baseid unless they name one, a fresh
    rev, and both dates now."""
    stamp = now()
    did = fields.get("did")
    return IndexRecord(
        **{
            **fields,
            "did": check_did(did) if did is not None else mint_did(guid_prefix),
            "baseid": fields.get("baseid") or str(uuid.uuid4()),
            "rev": new_rev(),
            "created_date": stamp,
            "updated_date": stamp,
        }
    )


class SignedDownload(NamedTuple):
    """A signed GET and the record it was signed for: what a client checks the bytes against."""

    record: IndexRecord
    url: str


class DataObjects:
    def __init__(
        self,
        graph: GraphStore,
        store: ObjectStore,
        access: RecordAccess,
        *,
        guid_prefix: str = "",
        max_ttl: int = 3600,
    ) -> None:
        self.index = RecordIndex(graph)
        self.store = store
        self.access = access
        self.guid_prefix = guid_prefix
        self.max_ttl = max_ttl

    # Records (indexd) -----------------------------------------------------------

    def _new(self, fields: dict[str, Any], baseid: str | None = None) -> IndexRecord:
        return new_record({**fields, "baseid": baseid or fields.get("baseid")}, self.guid_prefix)

    def _owned(self, fields: dict[str, Any]) -> dict[str, Any]:
        """`fields` of a new record, once the caller may make it under its authz."""
        return {**fields, **self.access.check_new(fields.get("authz"))}

    def _record(self, did: str, action: Action) -> IndexRecord:
        """The record `did`, if the caller may `action` it (an unreadable one is unknown)."""
        record = self.index.find(did)
        if record is None:
            raise unknown(did)
        return self.access.check(record, action)

    def create(self, doc: Any) -> IndexRecord:
        fields = check_fields(doc, CREATE_FIELDS, required=("hashes", "size"))
        if fields.get("baseid") is not None:
            self._extensible(fields["baseid"])
        return self.index.create([self._new(self._owned(fields))])[0]

    def _extensible(self, baseid: str) -> None:
        """A new record may join the version chain `baseid` only if its caller may update every
        record of it; a chain they cannot read is refused as a taken did is, saying no more."""
        for record in self.index.chain(baseid):
            if not self.access.may(record, "read"):
                raise RecordError(409, f"baseid {baseid} is not available")
            self.access.check(record, "update")

    def new_version(self, did: str, doc: Any) -> IndexRecord:
        """A new record sharing `did`'s baseid: the next version of the same object, made only
        by a caller who may update the record it follows."""
        fields = check_fields(doc, CREATE_FIELDS - {"baseid"}, required=("hashes", "size"))
        baseid = self._record(did, "update").baseid
        self._extensible(baseid)
        return self.index.create([self._new(self._owned(fields), baseid=baseid)])[0]

    def get(self, did: str) -> IndexRecord:
        return self._settled(self._record(did, "read"))

    def query(self, query: RecordQuery) -> list[IndexRecord]:
        """indexd's listing, of the records the caller may read (decided inside the query)."""
        return self.index.query(query, self.access.readable())

    def find_many(self, dids: list[str]) -> list[IndexRecord]:
        """The records that exist and the caller may read, in the order asked for."""
        return [r for r in self.index.find_many(dids) if self.access.may(r, "read")]

    def versions(self, did: str) -> list[IndexRecord]:
        """The versions of `did` the caller may read, oldest first; 404 when there is none."""
        found = [r for r in self.index.versions(did) if self.access.may(r, "read")]
        if not found:
            raise RecordError(404, f"no record with did or baseid {did}")
        return found

    def url_index(self) -> UrlIndex:
        """indexd's URL queries, over the records the caller may read."""
        return UrlIndex(self.index.graph, self.access.readable())

    def stats(self) -> dict[str, int]:
        return self.index.stats(self.access.readable())

    def _settled(self, record: IndexRecord) -> IndexRecord:
        """An upload whose bytes have arrived is checked and recorded on first read.

        The Gen3 SDK's single-part upload never says it is done (Gen3 runs a
        listener for that), so the first read of the record does it instead.
        A key the record does not own is never looked at.
        """
        if not record.pending or own_key(record) is None:
            return record
        try:
            changes = settle_changes(self.store, record)
        except ChecksumMismatch:
            return record
        if changes is None:
            return record
        return self._write_settled(record, changes)

    def _write_settled(self, record: IndexRecord, changes: dict[str, Any]) -> IndexRecord:
        try:
            return self.index.update(record.did, record.rev, change_props(changes))
        except RecordError as error:
            if error.status != 409:
                raise
            return self.index.get(record.did)  # settled by a concurrent reader

    def _moving(self, record: IndexRecord, fields: dict[str, Any], action: Action) -> None:
        """A change of authz needs `action` on the new paths too: no moving into others' projects."""
        if fields.get("authz") and fields["authz"] != record.authz:
            self.access.check_new(fields["authz"], action)

    def update(self, did: str, rev: str, doc: Any) -> IndexRecord:
        fields = check_fields(doc, UPDATE_FIELDS)
        self._moving(self._record(did, "update"), fields, "update")
        return self.index.update(did, rev, change_props(fields))

    def delete(self, did: str, rev: str | None) -> None:
        """The record, then the bytes Commons holds for it (never bytes at others' URLs)."""
        self._record(did, "delete")
        record = self.index.delete(did, rev)
        key = own_key(record)
        if key is not None:
            self.store.delete(key)

    def require_deletable(self, dids: list[str]) -> None:
        """Refuses before anything is deleted when one of the existing records may not be."""
        for record in self.index.find_many(dids):
            self.access.check(record, "delete")

    def create_blank(self, doc: Any) -> IndexRecord:
        return self.index.create([self._new(self._owned(check_fields(doc, BLANK_FIELDS)))])[0]

    def fill_blanks(self, items: list[tuple[str, str, Any]]) -> list[IndexRecord | RecordError]:
        """Give blank records (did, rev, {size, hashes}) their data, all in one write.

        Bytes already uploaded for a record must match what is declared, or
        they are discarded and that item is refused; the stored objects are
        looked at in parallel. Each outcome is the filled record or why not.
        """
        records = {r.did: r for r in self.index.find_many([did for did, _, _ in items])}
        listings = self._batch_listings(list(records.values()))

        def prepare(item: tuple[str, str, Any]) -> tuple[str, str, dict[str, Any]] | RecordError:
            did, rev, doc = item
            try:
                fields = check_fields(doc, BLANK_UPDATE_FIELDS, required=("hashes", "size"))
                record = records.get(did)
                if record is None:
                    raise unknown(did)
                self.access.check(record, "fill")
                self._moving(record, fields, "fill")
                if not record.blank:
                    raise RecordError(409, f"record {did} is not blank: it has a size and hashes")
                check_rev(record.rev, did, rev)
                changes = dict(fields)
                if record.pending:
                    listing = listings.get(batch_folder(owned_key(record)) or "")
                    pending = record.with_changes(fields)
                    changes |= settle_changes(self.store, pending, listing) or {}
                return did, rev, change_props(changes)
            except RecordError as error:
                return error
            except AuthError as error:  # one refused item does not hold back the others
                return RecordError(error.status, error.message)

        with ThreadPoolExecutor(min(len(items), STORE_THREADS) or 1) as pool:
            prepared = list(pool.map(prepare, items))
        written = self.index.update_many([p for p in prepared if not isinstance(p, RecordError)])
        return [
            p
            if isinstance(p, RecordError)
            else written.get(p[0]) or RecordError(409, f"record {p[0]} changed meanwhile; retry")
            for p in prepared
        ]

    def _batch_listings(self, records: list[IndexRecord]) -> dict[str, dict[str, ObjectInfo]]:
        """One listing per batch folder that pending records of `records` were uploaded into."""
        keys = [own_key(record) for record in records if record.pending]
        folders = {batch_folder(key) for key in keys if key is not None}
        return {folder: self.store.listed(folder) for folder in folders if folder}

    def update_blank(self, did: str, rev: str, doc: Any) -> IndexRecord:
        [outcome] = self.fill_blanks([(did, rev, doc)])
        if isinstance(outcome, RecordError):
            raise outcome
        return outcome

    def latest(self, did: str, has_version: bool) -> IndexRecord:
        versions = [v for v in self.versions(did) if v.version or not has_version]
        if not versions:
            raise RecordError(404, f"no version of {did} has a version label")
        return versions[-1]

    def mint(self, count: int) -> list[str]:
        return [mint_did(self.guid_prefix) for _ in range(count)]

    # Signed URLs (fence) -------------------------------------------------------------

    def _expires(self, expires_in: int | None) -> timedelta:
        """What the client asked for, capped at the configured longest lifetime."""
        return timedelta(seconds=min(expires_in or self.max_ttl, self.max_ttl))

    def _pending(self, doc: Any, batch: str | None = None) -> IndexRecord:
        """A new record awaiting its bytes at `<did>/<file_name>`, as fence names them
        (under the folder of `batch`, if one is given)."""
        if not isinstance(doc, dict):
            raise RecordError(400, f"each file must be an object with a file_name, got {doc!r}")
        given = {key: value for key, value in doc.items() if value is not None}
        fields = check_fields(given, UPLOAD_FIELDS, ("file_name",))
        record = self._new({**fields, **self.access.check_new(fields.get("authz"), "upload")})
        assert record.file_name is not None
        key = storage_key(record.did, record.file_name, batch)
        return record.with_changes({"storage_key": key, "pending": True})

    def _upload_target(
        self, did: str | None, file_name: str | None, authz: list[str] | None
    ) -> IndexRecord:
        """A pending record to upload into: a new one, or `did` when it holds no bytes yet."""
        if did is None:
            return self.index.create([self._pending({"file_name": file_name, "authz": authz})])[0]
        record = self._record(did, "upload")
        if record.stored:
            raise RecordError(
                409, f"record {did} already holds its bytes; POST /index/{did} makes a new version"
            )
        if record.pending:
            return record
        name = file_name or record.file_name
        if not name:
            raise RecordError(400, f"record {did} has no file_name: give file_name")
        changes = {"storage_key": storage_key(did, name), "pending": True, "file_name": name}
        return self.index.update(did, record.rev, changes)

    def upload(
        self,
        file_name: str | None,
        authz: list[str] | None = None,
        did: str | None = None,
        expires_in: int | None = None,
    ) -> tuple[IndexRecord, str]:
        """A pending record and a signed PUT URL for its bytes."""
        record = self._upload_target(did, file_name, authz)
        return record, self.store.presign_put(owned_key(record), self._expires(expires_in))

    def upload_many(
        self, files: list[Any], expires_in: int | None = None
    ) -> list[tuple[IndexRecord, str]]:
        """Pending records ({file_name, authz} each) and their signed PUTs, in one write.

        Their keys share a batch folder, so one listing checks them all once they are up.
        """
        expires, signed, batch = self._expires(expires_in), [], uuid.uuid4().hex
        for record in self.index.create([self._pending(doc, batch) for doc in files]):
            signed.append((record, self.store.presign_put(owned_key(record), expires)))
        return signed

    def _location(self, record: IndexRecord, protocol: str | None, expires: timedelta) -> str:
        """A signed URL for the bytes Commons holds, else the record's own http(s) URL."""
        if record.stored and protocol in (None, "s3"):
            return self.store.presign_get(owned_key(record), expires)
        if protocol != "s3":
            for url in record.urls:
                if url.startswith(("http://", "https://")):
                    return url
        if record.pending:
            raise RecordError(
                404, f"the upload of {record.did} is not complete: no bytes to download yet"
            )
        raise RecordError(404, f"record {record.did} has no {protocol or 'downloadable'} location")

    def download_url(
        self, did: str, protocol: str | None = None, expires_in: int | None = None
    ) -> str:
        if protocol not in (None, *PROTOCOLS):
            raise RecordError(400, f"protocol must be one of {', '.join(PROTOCOLS)}")
        record = self._settled(self._record(did, "download"))
        return self._location(record, protocol, self._expires(expires_in))

    def resolve_many(self, dids: list[str], action: Action) -> list[IndexRecord | RecordError]:
        """Per did, its record if the caller may `action` it, else why not; from one read.

        An upload whose bytes have arrived is settled, as a single read does.
        """
        records = {r.did: r for r in self.index.find_many(dids)}
        outcomes: list[IndexRecord | RecordError] = []
        for did in dids:
            try:
                if did not in records:
                    raise unknown(did)
                outcomes.append(self._settled(self.access.check(records[did], action)))
            except RecordError as error:
                outcomes.append(error)
            except AuthError as error:  # one refused did does not hold back the others
                outcomes.append(RecordError(error.status, error.message))
        return outcomes

    def download_urls(
        self, dids: list[str], expires_in: int | None = None, protocol: str | None = None
    ) -> list[SignedDownload | RecordError]:
        """One signed URL (or the reason there is none) per did, from one read."""
        expires = self._expires(expires_in)

        def located(outcome: IndexRecord | RecordError) -> SignedDownload | RecordError:
            if isinstance(outcome, RecordError):
                return outcome
            try:
                return SignedDownload(outcome, self._location(outcome, protocol, expires))
            except RecordError as error:
                return error

        return [located(outcome) for outcome in self.resolve_many(dids, "download")]

    def remove(self, did: str) -> None:
        """fence's delete: no revision asked, record and bytes both go."""
        self.delete(did, None)

    # Multipart uploads (fence) -----------------------------------------------------------

    def multipart_init(
        self, file_name: str | None, authz: list[str] | None = None, did: str | None = None
    ) -> tuple[IndexRecord, str]:
        record = self._upload_target(did, file_name, authz)
        return record, self.store.start_multipart(owned_key(record))

    def _uploading(self, key: Any, upload_id: Any) -> tuple[IndexRecord, str, str]:
        """The pending record of `key`, the key (its own), and `upload_id`: parts of any other
        key are refused."""
        record = self.index.by_storage_key(key) if isinstance(key, str) else None
        if record is None or not record.pending or not self.access.may(record, "read"):
            raise RecordError(404, f"no upload in progress for key {key!r}")
        record = self.access.check(record, "upload")
        owned = owned_key(record)
        if not isinstance(upload_id, str) or not upload_id:
            raise RecordError(400, "uploadId must be the id multipart/init answered")
        return record, owned, upload_id

    def multipart_url(
        self, key: Any, upload_id: Any, part_number: Any, expires_in: int | None = None
    ) -> str:
        _, owned, upload_id = self._uploading(key, upload_id)
        if (
            isinstance(part_number, bool)
            or not isinstance(part_number, int)
            or not 1 <= part_number <= MAX_PARTS
        ):
            raise RecordError(400, f"partNumber must be a whole number from 1 to {MAX_PARTS}")
        return self.store.presign_part(owned, upload_id, part_number, self._expires(expires_in))

    def multipart_abort(self, key: Any, upload_id: Any) -> None:
        """Drop an unfinished multipart upload's parts; the record stays, awaiting its bytes."""
        _, owned, upload_id = self._uploading(key, upload_id)
        try:
            self.store.abort_multipart(owned, upload_id)
        except S3Error as error:
            raise _refused("abort", error) from None

    def multipart_complete(
        self, key: Any, upload_id: Any, parts: Any, md5: Any = None, size: Any = None
    ) -> IndexRecord:
        """Join the parts, then check the object against the record and the client's md5/size."""
        record, owned, upload_id = self._uploading(key, upload_id)
        declared: dict[str, Any] = {} if size is None else {"size": size}
        if md5 is not None:
            declared["hashes"] = {"md5": md5}
        declared = check_fields(declared, BLANK_UPDATE_FIELDS)
        if not isinstance(parts, list) or not parts:
            raise RecordError(400, "parts must be a non-empty list of {PartNumber, ETag}")
        try:
            numbered = [(int(part["PartNumber"]), str(part["ETag"])) for part in parts]
        except (TypeError, KeyError, ValueError):
            raise RecordError(400, 'each part must be {"PartNumber": n, "ETag": etag}') from None
        try:
            self.store.complete_multipart(owned, upload_id, numbered)
        except S3Error as error:
            raise _refused("complete", error) from None
        changes = settle_changes(self.store, record.with_changes(declared))
        if changes is None:
            raise RecordError(409, f"the object for {record.did} is missing after completion")
        return self._write_settled(record, changes)
