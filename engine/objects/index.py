"""Index records in the graph: one `IndexRecord` node per record, one transaction per change.

Every operation is a fixed number of statements whatever the data, and each
lookup a client can ask for (did, baseid, checksum, size, name, uploader,
authz, storage key) starts from an index. Writes that name a revision check
it in the same transaction they write in, so two clients that read the same
revision cannot both update it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from neo4j.exceptions import ConstraintError

from engine.graph import cypher
from engine.graph.store import GraphStore, Transaction
from engine.objects.access import Visibility
from engine.objects.record import HASH_PATTERNS, IndexRecord, RecordError, new_rev, now

LABEL = "IndexRecord"
_INDEXED = (
    "baseid",
    "hash_md5",
    "size",
    "file_name",
    "uploader",
    "authz",
    "storage_key",
    "created_date",
)
DDL = [
    f"CREATE CONSTRAINT commons_{LABEL}_did_unique IF NOT EXISTS "
    f"FOR (n:`{LABEL}`) REQUIRE n.`did` IS UNIQUE",
    *(
        f"CREATE INDEX commons_{LABEL}_{prop}_index IF NOT EXISTS FOR (n:`{LABEL}`) ON (n.`{prop}`)"
        for prop in _INDEXED
    ),
]
MAX_LIMIT = 1024
_CHAIN = (
    f"MATCH (r:`{LABEL}` {{baseid: $baseid}}) RETURN properties(r) AS props "
    "ORDER BY r.created_date, r.did"
)


@dataclass(frozen=True)
class RecordQuery:
    """indexd's list filters; every one given must hold (lists: the record has all items)."""

    ids: tuple[str, ...] = ()
    hashes: dict[str, str] = field(default_factory=dict)
    size: int | None = None
    file_name: str | None = None
    uploader: str | None = None
    version: str | None = None
    urls: tuple[str, ...] = ()
    acl: tuple[str, ...] = ()
    authz: tuple[str, ...] = ()
    metadata: tuple[str, ...] = ()  # "key:value" pairs
    start: str | None = None  # list dids after this one
    limit: int = 100
    page: int = 0

    def cypher(self, visible: Visibility | None = None) -> tuple[str, dict[str, Any]]:
        """The WHERE clause and its parameters; hash types come from a fixed set, values are parameters.

        `visible` keeps to the records the caller may read (None: all of them).
        """
        clauses, params = visible_clauses(visible)
        if self.ids:
            clauses.append("r.did IN $ids")
            params["ids"] = list(self.ids)
        for kind, digest in self.hashes.items():
            assert kind in HASH_PATTERNS
            clauses.append(f"r.hash_{kind} = $hash_{kind}")
            params[f"hash_{kind}"] = digest
        for name in ("size", "file_name", "uploader", "version", "start"):
            value = getattr(self, name)
            if value is not None:
                clauses.append(f"r.did > ${name}" if name == "start" else f"r.{name} = ${name}")
                params[name] = value
        for name, prop in (("urls", "urls"), ("acl", "acl"), ("authz", "authz")):
            if getattr(self, name):
                clauses.append(f"all(x IN ${name} WHERE x IN r.{prop})")
                params[name] = list(getattr(self, name))
        if self.metadata:
            clauses.append("all(x IN $metadata WHERE x IN r.metadata_pairs)")
            params["metadata"] = list(self.metadata)
        return where(clauses), params


def visible_clauses(visible: Visibility | None) -> tuple[list[str], dict[str, Any]]:
    """The condition keeping a query on `r` to the records `visible` lets the caller read
    (none when `visible` is None: all of them), and its parameters, to add others to."""
    if visible is None:
        return [], {}
    clause, params = visible.cypher("r")
    return [clause], params


def where(clauses: list[str]) -> str:
    return " WHERE " + " AND ".join(clauses) if clauses else ""


def _records(rows: list[dict[str, Any]]) -> list[IndexRecord]:
    return [IndexRecord.from_props(row["props"]) for row in rows]


def check_rev(record_rev: str, did: str, rev: str | None) -> None:
    """`rev` None skips the check (fence's delete asks for no revision)."""
    if rev is not None and record_rev != rev:
        raise RecordError(
            409,
            f"revision mismatch for {did}: asked to change rev {rev}, the record is at rev "
            f"{record_rev}; read it again and retry",
        )


def _checked_rev(tx: Transaction, did: str, rev: str | None) -> None:
    rows = tx.run(f"MATCH (r:`{LABEL}` {{did: $did}}) RETURN r.rev AS rev", {"did": did})
    if not rows:
        raise RecordError(404, f"no record with did {did}")
    check_rev(rows[0]["rev"], did, rev)


class RecordIndex:
    """The records of one graph store."""

    def __init__(self, graph: GraphStore) -> None:
        self.graph = graph

    def create(self, records: list[IndexRecord]) -> list[IndexRecord]:
        """All in one transaction, refused (409) when a did exists: the constraint decides, even in a race.

        One statement per set of properties present, which the CREATE writes itself.
        """
        by_keys: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
        for record in records:
            props = record.to_props()
            by_keys[tuple(props)].append(list(props.values()))

        def work(tx: Transaction) -> None:
            for keys, rows in by_keys.items():
                tx.run(
                    f"UNWIND $rows AS r CREATE (:`{LABEL}` {cypher.property_map(keys, 'r')})",
                    {"rows": rows},
                )

        try:
            self.graph.execute_write(work)
        except ConstraintError:
            dids = ", ".join(record.did for record in records)
            raise RecordError(
                409, f"did {dids} is not available: omit did to have one minted"
            ) from None
        return records

    def find(self, did: str) -> IndexRecord | None:
        rows = self.graph.lookup(
            f"MATCH (r:`{LABEL}` {{did: $did}}) RETURN properties(r) AS props", {"did": did}
        )
        return _records(rows)[0] if rows else None

    def get(self, did: str) -> IndexRecord:
        record = self.find(did)
        if record is None:
            raise RecordError(404, f"no record with did {did}")
        return record

    def find_many(self, dids: list[str]) -> list[IndexRecord]:
        """The records that exist, in the order asked for."""
        rows = self.graph.lookup(
            f"MATCH (r:`{LABEL}`) WHERE r.did IN $dids RETURN properties(r) AS props",
            {"dids": dids},
        )
        by_did = {record.did: record for record in _records(rows)}
        return [by_did[did] for did in dict.fromkeys(dids) if did in by_did]

    def by_storage_key(self, key: str) -> IndexRecord | None:
        rows = self.graph.lookup(
            f"MATCH (r:`{LABEL}` {{storage_key: $key}}) RETURN properties(r) AS props",
            {"key": key},
        )
        return _records(rows)[0] if rows else None

    def update(self, did: str, rev: str | None, props: dict[str, Any]) -> IndexRecord:
        """Set `props` (None removes one) if the record is still at `rev`; it gets a new rev."""
        written = self.update_many([(did, rev, props)])
        if did in written:
            return written[did]
        current = self.get(did)
        check_rev(current.rev, did, rev)
        raise RecordError(409, f"record {did} changed while it was being updated; retry")

    def update_many(
        self, changes: list[tuple[str, str | None, dict[str, Any]]]
    ) -> dict[str, IndexRecord]:
        """(did, rev or None, props) each, one statement; the answer leaves out the records not at their rev."""
        rows = [
            {"did": did, "rev": rev, "props": {**props, "rev": new_rev(), "updated_date": now()}}
            for did, rev, props in changes
        ]
        written = self.graph.write(
            f"UNWIND $rows AS row MATCH (r:`{LABEL}` {{did: row.did}}) "
            "WHERE row.rev IS NULL OR r.rev = row.rev "
            "SET r += row.props RETURN properties(r) AS props",
            {"rows": rows},
        )
        return {record.did: record for record in _records(written)}

    def delete(self, did: str, rev: str | None) -> IndexRecord:
        """Remove the record (checking `rev` when given); returns it, so its bytes can go too."""

        def work(tx: Transaction) -> IndexRecord:
            _checked_rev(tx, did, rev)
            rows = tx.run(
                f"MATCH (r:`{LABEL}` {{did: $did}}) WITH r, properties(r) AS props "
                "DELETE r RETURN props",
                {"did": did},
            )
            return _records(rows)[0]

        return self.graph.execute_write(work)

    def query(self, query: RecordQuery, visible: Visibility | None = None) -> list[IndexRecord]:
        where, params = query.cypher(visible)
        rows = self.graph.read(
            f"MATCH (r:`{LABEL}`){where} RETURN properties(r) AS props "
            "ORDER BY r.did SKIP $skip LIMIT $limit",
            {**params, "skip": query.page * query.limit, "limit": query.limit},
        )
        return _records(rows)

    def versions(self, did: str) -> list[IndexRecord]:
        """Every version sharing the record's baseid (`did` may be the baseid), oldest first."""

        def work(tx: Transaction) -> list[IndexRecord]:
            rows = tx.run(
                f"MATCH (r:`{LABEL}` {{did: $did}}) RETURN r.baseid AS baseid", {"did": did}
            )
            baseid = rows[0]["baseid"] if rows else did
            return _records(tx.run(_CHAIN, {"baseid": baseid}))

        records = self.graph.execute_read(work)
        if not records:
            raise RecordError(404, f"no record with did or baseid {did}")
        return records

    def chain(self, baseid: str) -> list[IndexRecord]:
        """The records sharing `baseid`, oldest first (none: no such chain)."""
        return _records(self.graph.lookup(_CHAIN, {"baseid": baseid}))

    def stats(self, visible: Visibility | None = None) -> dict[str, int]:
        where, params = RecordQuery().cypher(visible)
        row = self.graph.read(
            f"MATCH (r:`{LABEL}`){where} RETURN count(r) AS files, sum(r.size) AS bytes", params
        )[0]
        return {"fileCount": row["files"], "totalFileSize": row["bytes"] or 0}
