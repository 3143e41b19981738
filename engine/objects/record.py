"""An index record (indexd's shape) and the checks on what clients send for one.

A record says what a data object is (size, checksums, name, who may read
it) and where its bytes are (`urls`). Records live in the graph as nodes
labelled `IndexRecord`; a graph property holds only a scalar or a list, so
`hashes` becomes one `hash_<type>` property per checksum (the hash types are
a fixed set, so property names never come from a request) and the free-form
maps travel as JSON text. `storage_key` and `pending` are Commons' own:
the key of the bytes Commons holds in its bucket, and whether those bytes
are still awaited (announced by an upload, not yet checked).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from engine.auth.resources import path_problem

HASH_PATTERNS = {
    "md5": re.compile(r"^[0-9a-f]{32}$"),
    "sha1": re.compile(r"^[0-9a-f]{40}$"),
    "sha256": re.compile(r"^[0-9a-f]{64}$"),
    "sha512": re.compile(r"^[0-9a-f]{128}$"),
    "crc": re.compile(r"^[0-9a-f]{8}$"),
    "etag": re.compile(r"^[0-9a-f]{32}(-[0-9]+)?$"),
}
FORMS = ("object", "container", "multipart")
_TEXT = (
    "did",
    "baseid",
    "file_name",
    "version",
    "uploader",
    "description",
    "content_created_date",
    "content_updated_date",
)
_LISTS = ("urls", "acl", "authz")
_MAPS = ("metadata", "urls_metadata")
_SEPARATOR = "\x1f"
BATCHES = "batches"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAMES = ("did", "baseid", "file_name", "version")  # identifiers: no control characters at all

# What each request may set, as indexd allows it.
CREATE_FIELDS = frozenset({"form", "size", "hashes", "metadata", "urls_metadata", *_TEXT, *_LISTS})
UPDATE_FIELDS = frozenset(
    {
        "urls",
        "acl",
        "authz",
        "file_name",
        "version",
        "metadata",
        "urls_metadata",
        "description",
        "content_created_date",
        "content_updated_date",
    }
)
BLANK_FIELDS = frozenset({"uploader", "file_name", "authz", "acl"})
BLANK_UPDATE_FIELDS = frozenset({"hashes", "size", "urls", "authz"})


class RecordError(Exception):
    """A request about records that cannot be served; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def now() -> str:
    return datetime.now(UTC).isoformat()


def new_rev() -> str:
    """indexd's revision: a short random token that changes on every write."""
    return uuid.uuid4().hex[:8]


def mint_did(prefix: str) -> str:
    """A GUID, under the commons' prefix (`dg.1234/`) when it has one."""
    return f"{prefix.rstrip('/')}/{uuid.uuid4()}" if prefix else str(uuid.uuid4())


def batch_folder(key: str) -> str | None:
    """The `batches/<batch>/` folder a key was given in, if any: listing it answers the size
    and ETag of every file of the batch in one request, where each HEAD took about 1 ms of
    Commons' CPU and 1 ms of the store's."""
    parts = key.split("/", 2)
    return f"{parts[0]}/{parts[1]}/" if len(parts) == 3 and parts[0] == BATCHES else None


OWN = {"json": False}  # a field of Commons' own, not part of indexd's record


@dataclass(frozen=True)
class IndexRecord:
    did: str
    baseid: str
    rev: str
    created_date: str
    updated_date: str
    form: str = "object"
    size: int | None = None
    file_name: str | None = None
    version: str | None = None
    uploader: str | None = None
    description: str | None = None
    content_created_date: str | None = None
    content_updated_date: str | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)
    urls_metadata: dict[str, Any] = field(default_factory=dict)
    acl: list[str] = field(default_factory=list)
    authz: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    storage_key: str | None = field(default=None, metadata=OWN)
    pending: bool = field(default=False, metadata=OWN)

    @property
    def blank(self) -> bool:
        """No size and checksums yet: indexd's blank record, waiting for its data."""
        return self.size is None

    @property
    def stored(self) -> bool:
        """Commons holds this record's bytes, checked against the record."""
        return self.storage_key is not None and not self.pending

    def to_json(self) -> dict[str, Any]:
        """indexd's record: every key present (clients `del` some of them unconditionally)."""
        body = dict(vars(self))  # shallow: asdict deep-copies, 55 µs a record
        for name in _OWN:
            del body[name]
        return body

    def to_props(self) -> dict[str, Any]:
        props = {
            k: v for k, v in vars(self).items() if k not in ("hashes", *_MAPS) and v is not None
        }
        props |= {f"hash_{kind}": value for kind, value in self.hashes.items()}
        props |= {name: json.dumps(getattr(self, name)) for name in _MAPS}
        return props | _lookup_props({name: getattr(self, name) for name in _MAPS})

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> IndexRecord:
        known = {f.name for f in fields(cls)} - {"hashes", *_MAPS}
        values = {k: v for k, v in props.items() if k in known}
        values["hashes"] = {
            kind: props[f"hash_{kind}"] for kind in HASH_PATTERNS if f"hash_{kind}" in props
        }
        for name in _MAPS:
            values[name] = json.loads(props.get(name) or "{}")
        for name in _LISTS:
            values[name] = list(props.get(name) or [])
        return cls(**values)

    def with_changes(self, changes: dict[str, Any]) -> IndexRecord:
        return replace(self, **changes)


_OWN = tuple(f.name for f in fields(IndexRecord) if not f.metadata.get("json", True))


def url_metadata_prefix(key: str, value: str) -> str:
    """The start of the `urls_metadata_pairs` entries of the URLs whose metadata has key = value."""
    return f"{key}{_SEPARATOR}{value}{_SEPARATOR}"


def _lookup_props(maps: dict[str, Any]) -> dict[str, list[str]]:
    """The free-form maps among `maps` as lists of strings, which queries can match inside the graph.

    `metadata_pairs` holds "key:value"; `urls_metadata_pairs` one entry per
    URL and key, "key<US>value<US>url" (US is the ASCII unit separator), so a
    query finds the URLs whose metadata has key = value by the entry's start.
    """
    props: dict[str, list[str]] = {}
    if "metadata" in maps:
        props["metadata_pairs"] = [f"{k}:{v}" for k, v in maps["metadata"].items()]
    if "urls_metadata" in maps:
        props["urls_metadata_pairs"] = [
            url_metadata_prefix(key, value if isinstance(value, str) else json.dumps(value)) + url
            for url, entries in maps["urls_metadata"].items()
            if isinstance(entries, dict)
            for key, value in entries.items()
        ]
    return props


def hash_props(hashes: dict[str, str]) -> dict[str, str | None]:
    """Graph properties for a whole new set of hashes: the types not in it are removed."""
    return {f"hash_{kind}": hashes.get(kind) for kind in HASH_PATTERNS}


def change_props(changes: dict[str, Any]) -> dict[str, Any]:
    """Graph properties for checked changes (see `check_fields`); None removes one."""
    props = {k: v for k, v in changes.items() if k not in ("hashes", *_MAPS)}
    if "hashes" in changes:
        props |= hash_props(changes["hashes"])
    for name in _MAPS:
        if name in changes:
            props[name] = json.dumps(changes[name])
    return props | _lookup_props(changes)


def _check_hashes(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise RecordError(400, 'hashes must be an object like {"md5": "<32 hex digits>"}')
    hashes = {}
    for kind, digest in value.items():
        pattern = HASH_PATTERNS.get(kind)
        if pattern is None:
            raise RecordError(400, f"hash type '{kind}' is not one of {', '.join(HASH_PATTERNS)}")
        if not isinstance(digest, str) or not pattern.match(digest.lower()):
            raise RecordError(400, f"hashes.{kind}: {digest!r} is not a valid {kind} checksum")
        hashes[kind] = digest.lower()
    return hashes


def _check_value(name: str, value: Any) -> Any:
    if name == "hashes":
        return _check_hashes(value)
    if name == "size":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RecordError(400, f"size must be a whole number of bytes >= 0, got {value!r}")
        return value
    if name == "form":
        if value not in FORMS:
            raise RecordError(400, f"form must be one of {', '.join(FORMS)}, got {value!r}")
        return value
    if name in _LISTS:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise RecordError(400, f"{name} must be a list of strings, got {value!r}")
        if name == "authz":  # each a plain path, or a grant could be climbed out of with `..`
            for position, path in enumerate(value):
                problem = path_problem(path)
                if problem:
                    raise RecordError(400, f"authz[{position}]: {problem}")
        return list(dict.fromkeys(value))
    if name in _MAPS:
        if not isinstance(value, dict):
            raise RecordError(400, f"{name} must be an object, got {value!r}")
        return value
    if value is not None and not isinstance(value, str):
        raise RecordError(400, f"{name} must be a string, got {value!r}")
    if value is not None and (CONTROL.search(value) if name in _NAMES else "\x00" in value):
        raise RecordError(400, f"{name} must not contain control characters, got {value!r}")
    return value


def check_fields(
    doc: Any, allowed: frozenset[str], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The fields of a request body, checked; unknown or malformed fields are refused (400)."""
    if not isinstance(doc, dict):
        raise RecordError(400, f"the body must be a JSON object, got {type(doc).__name__}")
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise RecordError(
            400, f"{', '.join(unknown)}: not accepted here (accepted: {', '.join(sorted(allowed))})"
        )
    missing = [name for name in required if doc.get(name) is None]
    if missing:
        raise RecordError(400, f"missing required field(s): {', '.join(missing)}")
    checked = {name: _check_value(name, value) for name, value in doc.items()}
    if "urls_metadata" in checked and "urls" in checked:
        strays = sorted(set(checked["urls_metadata"]) - set(checked["urls"]))
        if strays:
            raise RecordError(400, f"urls_metadata names urls not in urls: {', '.join(strays)}")
    return checked
