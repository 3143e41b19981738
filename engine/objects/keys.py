"""Which GUIDs a record may have, and the one storage key each record's bytes may live at.

S3 keys are flat strings that signed URLs name exactly, so whoever chooses
a key chooses whose bytes a URL writes, reads or deletes. Callers choose
dids and file names; Commons alone turns them into keys, and only in a way
that no two records can share a key: a did is at most `prefix/` + one
segment (never `.`, `..`, empty, percent-encoded or with control
characters), bytes are stored only under a GUID (`[prefix/]<uuid>`, the
prefix itself not a UUID), and the file name may not climb out of the
did's folder. So a key `<did>/<name>` (or `batches/<batch>/<did>/<name>`)
names its did, and every action on bytes first checks that the key is the
record's own.
"""

from __future__ import annotations

import re

from engine.objects.record import BATCHES, CONTROL, IndexRecord, RecordError

MAX_DID = 256
MAX_KEY_BYTES = 1024  # S3's limit on a key, in UTF-8 bytes
_SEGMENT = re.compile(r"[A-Za-z0-9._:~-]+")
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_IS_UUID = re.compile(UUID)
_BATCH = re.compile(rf"{BATCHES}/[0-9a-f]{{32}}/")


def _did_problem(did: str) -> str | None:
    """Why `did` cannot name a record, or None when it can."""
    segments = did.split("/")
    if len(did) > MAX_DID:
        return f"did is longer than {MAX_DID} characters"
    if len(segments) > 2 or not all(_SEGMENT.fullmatch(segment) for segment in segments):
        return (
            f"did {did!r} is not accepted: a did is one segment, or a prefix and one segment "
            "(`dg.1234/<uuid>`), of letters, digits and . _ : ~ -"
        )
    if any(segment in (".", "..") for segment in segments):
        return f"did {did!r} is not accepted: no '.' or '..' segments"
    if len(segments) == 2 and (_IS_UUID.fullmatch(segments[0]) or segments[0] == BATCHES):
        return f"did {did!r} is not accepted: its prefix may be neither a UUID nor {BATCHES!r}"
    return None


def check_did(did: str) -> str:
    """`did` if it can name a record: 400 naming the rule it breaks otherwise."""
    problem = _did_problem(did)
    if problem:
        raise RecordError(400, problem)
    return did


def is_guid(did: str) -> bool:
    """A UUID, or a prefix and a UUID: what Commons mints and the only dids it stores bytes under."""
    return bool(_IS_UUID.fullmatch(did.rpartition("/")[2])) and _did_problem(did) is None


def _clean_name(name: str) -> bool:
    """No empty, `.` or `..` segments (S3 servers may resolve them), no `\\`, no control characters."""
    return (
        all(part not in ("", ".", "..") for part in name.split("/"))
        and "\\" not in name
        and not CONTROL.search(name)
    )


def storage_key(did: str, file_name: str, batch: str | None = None) -> str:
    """`<did>/<file_name>` (fence's key), under `batches/<batch>/` for a batch upload.

    400 if the did is no GUID, the name could leave the did's folder, or the
    key would be too long. A GUID's first segment is a UUID or a prefix that
    is not one, so no key made here starts with another record's folder.
    """
    if not is_guid(did):
        raise RecordError(
            400,
            f"did {did!r} is not a GUID ([prefix/]<uuid>): Commons stores bytes only under GUIDs",
        )
    if not _clean_name(file_name):
        raise RecordError(
            400,
            f"file_name {file_name!r} cannot name stored bytes: no empty, '.' or '..' path "
            "segments, backslashes or control characters",
        )
    key = f"{BATCHES}/{batch}/{did}/{file_name}" if batch else f"{did}/{file_name}"
    if len(key.encode()) > MAX_KEY_BYTES:
        raise RecordError(
            400, f"file_name is too long: the storage key may hold at most {MAX_KEY_BYTES} bytes"
        )
    return key


def own_key(record: IndexRecord) -> str | None:
    """`record.storage_key` when it lies in the record's own folder, so its bytes are its own;
    None when the record holds no key, or one it does not own.

    Records written before keys were checked may hold a key chosen through a
    crafted did; their bytes are never touched through them.
    """
    key = record.storage_key
    if key is None or not is_guid(record.did):
        return None
    batch = _BATCH.match(key)
    rest = key[batch.end() :] if batch else key
    owned = rest.startswith(record.did + "/") and _clean_name(rest[len(record.did) + 1 :])
    return key if owned else None


def owned_key(record: IndexRecord) -> str:
    """The record's storage key, once it is the record's own (409 otherwise: nothing is touched)."""
    key = own_key(record)
    if key is None:
        raise RecordError(
            409,
            f"record {record.did} does not own its storage key; its bytes cannot be "
            "uploaded, read or deleted through it",
        )
    return key
