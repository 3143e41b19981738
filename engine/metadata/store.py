"""Metadata records in the graph: Gen3 MDS's table of GUID → JSON blob, and its aliases.

One `MetadataRecord {guid, data}` node per record, `data` being the blob as
JSON text; one `MetadataKey {key}` node per path key (engine/metadata/keys.py)
any record holds, linked from each record holding it; one
`MetadataAlias {alias}` node per alias, linked to its record. A path filter
starts at the key nodes, by their unique index, and walks to the records:
ArcadeDB does not answer `$k IN r.keys` from an index on a list property
(measured on 100,000 records: 30-85 ms, a scan), while the key nodes answer
a selective filter in about 1 ms.

Every change is one write transaction: a record, its keys and its aliases
are written, or nothing is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from neo4j.exceptions import ConstraintError

from engine.graph.store import GraphStore, Transaction
from engine.json_input import loads
from engine.metadata.discovery import link_studies, study_names
from engine.metadata.filters import Filter
from engine.metadata.keys import TooManyKeys, blob_keys
from engine.metadata.schema import ALIAS, ALIAS_OF, HAS_KEY, KEY, RECORD, prepare

MAX_LIMIT = 2000  # MDS's METADATA_QUERY_RESULTS_LIMIT: a larger limit is cut to it
FORBIDDEN_GUIDS = frozenset({"upload"})  # MDS's: `/objects/upload` must stay a route

_EXISTING = (
    f"MATCH (r:`{RECORD}`) WHERE r.guid IN $guids "
    "RETURN r.guid AS guid, r.data AS data, r.keys AS keys"
)
# A new record's edges are created, not merged: MERGE of an edge to a key most records hold
# (`_guid_type`) looks through all of that key's edges on ArcadeDB (2-3k edges/s, not 15k).
_CREATE = (
    f"UNWIND $rows AS row CREATE (r:`{RECORD}` {{guid: row.guid, data: row.data, keys: row.keys}}) "
    f"WITH r, row UNWIND row.keys AS key MERGE (k:`{KEY}` {{key: key}}) CREATE (r)-[:`{HAS_KEY}`]->(k)"
)
_SET = (
    f"UNWIND $rows AS row MATCH (r:`{RECORD}` {{guid: row.guid}}) "
    "SET r.data = row.data, r.keys = row.keys "
    f"WITH r, row UNWIND row.added AS key MERGE (k:`{KEY}` {{key: key}}) CREATE (r)-[:`{HAS_KEY}`]->(k)"
)
# Keys a record no longer holds: unlinked, and removed once no record holds them.
_UNLINK = (
    f"UNWIND $rows AS row MATCH (r:`{RECORD}` {{guid: row.guid}})-[e:`{HAS_KEY}`]->(k:`{KEY}`) "
    "WHERE k.key IN row.removed DELETE e WITH DISTINCT k "
    f"WHERE NOT EXISTS {{ MATCH (k)<-[:`{HAS_KEY}`]-() }} DELETE k"
)
_GET = (
    "CALL () { "
    f"MATCH (r:`{RECORD}` {{guid: $guid}}) RETURN r.data AS data, 0 AS rank "
    f"UNION MATCH (:`{ALIAS}` {{alias: $guid}})-[:`{ALIAS_OF}`]->(r:`{RECORD}`) "
    "RETURN r.data AS data, 1 AS rank "
    "} RETURN data ORDER BY rank LIMIT 1"
)
_DELETE = (
    f"MATCH (r:`{RECORD}` {{guid: $guid}}) "
    f"OPTIONAL MATCH (a:`{ALIAS}`)-[:`{ALIAS_OF}`]->(r) DETACH DELETE a"
)
_ALIASES = (
    f"MATCH (a:`{ALIAS}`)-[:`{ALIAS_OF}`]->(:`{RECORD}` {{guid: $guid}}) "
    "RETURN a.alias AS alias ORDER BY alias"
)
_ADD_ALIASES = (
    f"MATCH (r:`{RECORD}` {{guid: $guid}}) UNWIND $aliases AS alias "
    f"CREATE (:`{ALIAS}` {{alias: alias}})-[:`{ALIAS_OF}`]->(r)"
)
_TAKEN = (
    f"MATCH (a:`{ALIAS}`) WHERE a.alias IN $aliases "
    f"MATCH (a)-[:`{ALIAS_OF}`]->(r:`{RECORD}`) WHERE r.guid <> $guid RETURN a.alias AS alias"
)
_DROP_ALIASES = (
    f"MATCH (a:`{ALIAS}`)-[:`{ALIAS_OF}`]->(:`{RECORD}` {{guid: $guid}}) "
    "WHERE $aliases IS NULL OR a.alias IN $aliases "
    "DETACH DELETE a RETURN count(*) AS dropped"
)


class MetadataError(Exception):
    """An MDS request refused: `status` and MDS's `detail` text."""

    def __init__(self, status: int, detail: str | dict[str, Any]) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def not_found(guid: str) -> MetadataError:
    return MetadataError(404, f"Not found: {guid}")


@dataclass(frozen=True)
class BatchResult:
    """MDS's answer to a batch create: the guids in each outcome, in request order."""

    created: list[str]
    updated: list[str]
    conflict: list[str]
    bad_input: list[Any]

    def to_json(self) -> dict[str, list[Any]]:
        return {
            "created": self.created,
            "updated": self.updated,
            "conflict": self.conflict,
            "bad_input": self.bad_input,
        }


def _row(guid: str, blob: dict[str, Any]) -> dict[str, Any]:
    try:
        keys = blob_keys(blob)
    except TooManyKeys as error:
        raise MetadataError(400, f"{guid}: {error}") from None
    return {"guid": guid, "data": orjson.dumps(blob).decode(), "keys": keys, **study_names(blob)}


def _blob(text: str) -> dict[str, Any]:
    return loads(text, "a stored record")


def _held(tx: Transaction, guids: list[str]) -> dict[str, list[str]]:
    """The keys each of `guids` that exists holds."""
    return {row["guid"]: row["keys"] or [] for row in tx.run(_EXISTING, {"guids": guids})}


def check_guid(guid: Any) -> str:
    """A guid a record may have: a non-empty string, not one of MDS's reserved words."""
    if not isinstance(guid, str) or not guid.strip():
        raise MetadataError(400, "a guid must be a non-empty string")
    if guid in FORBIDDEN_GUIDS:
        raise MetadataError(400, f"GUID cannot have value: {sorted(FORBIDDEN_GUIDS)}")
    return guid


def _matching(filters: list[Filter]) -> tuple[str, dict[str, Any]]:
    """MATCH ... binding `r` to each record matching every filter, once: the first filter's
    keys are looked up by their index, the others checked on the few keys of each record.

    No DISTINCT is needed: a filter's keys are one path's existence or its values, and a
    record holds one value at a path, so it meets at most one key of the first filter."""
    if not filters:
        return f"MATCH (r:`{RECORD}`) ", {}
    first, *rest = filters
    params: dict[str, Any] = {"f0": list(first.keys)}
    match = (
        f"MATCH (k0:`{KEY}`) WHERE k0.key IN $f0 "
        f"MATCH (k0)<-[:`{HAS_KEY}`]-(r:`{RECORD}`) "
    )
    exists = []
    for i, extra in enumerate(rest, 1):
        params[f"f{i}"] = list(extra.keys)
        exists.append(
            f"EXISTS {{ MATCH (r)-[:`{HAS_KEY}`]->(k{i}:`{KEY}`) WHERE k{i}.key IN $f{i} }}"
        )
    if exists:
        match += "WHERE " + " AND ".join(exists) + " "
    return match, params


class MetadataStore:
    """The MDS operations over one graph store; each a fixed number of statements."""

    def __init__(self, graph: GraphStore) -> None:
        prepare(graph)
        self.graph = graph

    # -- reads ------------------------------------------------------------------------------

    def get(self, guid: str) -> dict[str, Any]:
        """The blob of `guid`, or of the record `guid` is an alias of; 404 otherwise."""
        rows = self.graph.lookup(_GET, {"guid": guid})
        if not rows:
            raise not_found(guid)
        return _blob(rows[0]["data"])

    def aliases(self, guid: str) -> list[str]:
        return [row["alias"] for row in self.graph.lookup(_ALIASES, {"guid": guid})]

    def count(self, filters: list[Filter]) -> int:
        """How many records match every filter."""
        match, params = _matching(filters)
        return self.graph.read(match + "RETURN count(r) AS total", params)[0]["total"]

    def query(
        self, filters: list[Filter], *, limit: int = 10, offset: int = 0, data: bool = False
    ) -> list[str] | dict[str, Any]:
        """The records matching every filter, ordered by guid: their guids, or guid → blob."""
        match, params = _matching(filters)
        params |= {"limit": min(limit, MAX_LIMIT), "offset": offset}
        returned = "r.guid AS guid, r.data AS data" if data else "r.guid AS guid"
        rows = self.graph.read(
            match + f"RETURN {returned} ORDER BY guid SKIP $offset LIMIT $limit", params
        )
        if data:
            return {row["guid"]: _blob(row["data"]) for row in rows}
        return [row["guid"] for row in rows]

    # -- writes -----------------------------------------------------------------------------

    def create(self, guid: str, blob: dict[str, Any], *, overwrite: bool = False) -> bool:
        """Write `guid`'s blob; True when it is new. 409 when it exists and not `overwrite`."""
        check_guid(guid)
        row = _row(guid, blob)

        def work(tx: Transaction) -> bool:
            had = _held(tx, [guid])
            if had and not overwrite:
                raise MetadataError(409, f"Conflict: {guid}")
            self._write(tx, [] if had else [row], [row] if had else [], had)
            return not had

        try:
            return self.graph.execute_write(work, upsert=True)
        except ConstraintError:  # created by another request since this one looked
            raise MetadataError(409, f"Conflict: {guid}") from None

    def batch(self, items: list[Any], *, overwrite: bool = True) -> BatchResult:
        """MDS's batch create: each `{"guid", "data"}` created, updated, in conflict or refused."""
        result = BatchResult([], [], [], [])
        rows: dict[str, dict[str, Any]] = {}
        for item in items:
            guid = item.get("guid") if isinstance(item, dict) else None
            data = item.get("data") if isinstance(item, dict) else None
            if (
                not isinstance(guid, str)
                or guid in FORBIDDEN_GUIDS
                or not guid.strip()
                or not isinstance(data, dict)
            ):
                result.bad_input.append(guid if isinstance(guid, str) else item)
                continue
            rows[guid] = _row(guid, data)  # a guid repeated: its last blob wins

        def work(tx: Transaction) -> BatchResult:
            had = _held(tx, list(rows))
            new = [row for guid, row in rows.items() if guid not in had]
            old = [row for guid, row in rows.items() if guid in had]
            self._write(tx, new, old if overwrite else [], had)
            return BatchResult(
                [row["guid"] for row in new],
                [row["guid"] for row in old] if overwrite else [],
                [] if overwrite else [row["guid"] for row in old],
                result.bad_input,
            )

        return self.graph.execute_write(work, upsert=True)

    def update(self, guid: str, blob: dict[str, Any], *, merge: bool = False) -> dict[str, Any]:
        """Replace `guid`'s blob, or (`merge`) its top-level keys; 404 when there is none."""

        def work(tx: Transaction) -> dict[str, Any]:
            rows = tx.run(_EXISTING, {"guids": [guid]})
            if not rows:
                raise not_found(guid)
            new = {**_blob(rows[0]["data"]), **blob} if merge else blob
            self._write(tx, [], [_row(guid, new)], {guid: rows[0]["keys"]})
            return new

        return self.graph.execute_write(work, upsert=True)

    def delete(self, guid: str) -> dict[str, Any]:
        """Remove `guid`, its aliases and its keys; its blob as it was, or 404."""

        def work(tx: Transaction) -> dict[str, Any]:
            rows = tx.run(_EXISTING, {"guids": [guid]})
            if not rows:
                raise not_found(guid)
            tx.run(_DELETE, {"guid": guid})
            tx.run(_UNLINK, {"rows": [{"guid": guid, "removed": rows[0]["keys"]}]})
            tx.run(f"MATCH (r:`{RECORD}` {{guid: $guid}}) DETACH DELETE r", {"guid": guid})
            return _blob(rows[0]["data"])

        return self.graph.execute_write(work)

    @staticmethod
    def _write(
        tx: Transaction,
        new: list[dict[str, Any]],
        old: list[dict[str, Any]],
        had: dict[str, list[str]],
    ) -> None:
        """Create `new` records; replace `old` ones, whose keys were `had[guid]`: only the
        keys that changed are unlinked and linked."""
        if new:
            tx.run(_CREATE, {"rows": new})
        if old:
            changed = [
                {
                    **row,
                    "added": sorted(set(row["keys"]) - set(had[row["guid"]])),
                    "removed": sorted(set(had[row["guid"]]) - set(row["keys"])),
                }
                for row in old
            ]
            tx.run(_UNLINK, {"rows": changed})
            tx.run(_SET, {"rows": changed})
        link_studies(tx, new, old)

    # -- aliases ----------------------------------------------------------------------------

    def add_aliases(self, guid: str, aliases: list[str]) -> list[str]:
        """MDS's POST: the guid may not have aliases yet, and none may be taken (409)."""

        def work(tx: Transaction) -> list[str]:
            self._require(tx, guid)
            if tx.run(_ALIASES, {"guid": guid}):
                raise MetadataError(409, f"Aliases already exist for {guid}. Use PUT to overwrite.")
            self._link_aliases(tx, guid, aliases)
            return sorted(aliases)

        return self._aliases_written(work)

    def set_aliases(self, guid: str, aliases: list[str], *, merge: bool = False) -> list[str]:
        """MDS's PUT: the aliases become `aliases` (`merge`: those and the ones it had)."""

        def work(tx: Transaction) -> list[str]:
            self._require(tx, guid)
            had = {row["alias"] for row in tx.run(_ALIASES, {"guid": guid})}
            if not merge:
                dropped = sorted(had - set(aliases))
                if dropped:
                    tx.run(_DROP_ALIASES, {"guid": guid, "aliases": dropped})
            self._link_aliases(tx, guid, sorted(set(aliases) - had))
            return sorted(set(aliases) | (had if merge else set()))

        return self._aliases_written(work)

    def drop_aliases(self, guid: str, alias: str | None = None) -> int:
        """Remove one alias of `guid` (or all of them); how many were removed."""
        params = {"guid": guid, "aliases": None if alias is None else [alias]}
        return self.graph.write(_DROP_ALIASES, params)[0]["dropped"]

    @staticmethod
    def _require(tx: Transaction, guid: str) -> None:
        if not tx.run(_EXISTING, {"guids": [guid]}):
            raise not_found(guid)

    @staticmethod
    def _link_aliases(tx: Transaction, guid: str, aliases: list[str]) -> None:
        if tx.run(_TAKEN, {"guid": guid, "aliases": aliases}):
            raise MetadataError(409, "Alias is already in use by a different GUID.")
        tx.run(_ADD_ALIASES, {"guid": guid, "aliases": aliases})

    def _aliases_written(self, work: Any) -> list[str]:
        try:
            return self.graph.execute_write(work)
        except ConstraintError:  # taken by another request since this one looked
            raise MetadataError(409, "Alias is already in use by a different GUID.") from None
