"""Counts kept beside the records, so unfiltered facets and the overview read no records.

On the embedded ArcadeDB every record a statement touches costs several
microseconds, so counting the values of one facet over 250,000 samples
takes over a second, however the statement is shaped. A tally is a small
node per (project, node type, facet, value) holding how many records of that
project and type have that value; one per (project, node type) holds how
many records there are (facet and value `""`). The submission writer and
deletes change them in the same transaction as the records
(`record_changes`), so a count read from them is as live as a count of the
records: a record submitted a moment ago is counted, and a failed submission
counts nothing.

Tallied facets are those with a short list of values: enums and booleans
(not lists: they are counted by item). A node type's unfiltered chart of
such a facet, its `_totalCount` and the project overview then read a few
hundred tallies. Programs and projects are left out: the admin routes write
them, and there are few. A tally names its project `project`, not `project_id`: it is no
record of the project, and nothing that looks for records by `project_id` finds it.

Each (project, node type) also has a revision tally (facet REVISION) whose
value is a token the writer replaces in every transaction that changes such
records, whatever field changed: engine/query/columns.py keeps facet values
in this process and uses them only at the token the graph holds now.

Tallies are trusted only when the marker (a `CommonsCounter` named
`facet_tallies`) carries the fingerprint of the tallied facets: a store
filled before tallies existed, or by another dictionary, is counted again
from scratch once (`rebuild`), at start-up or on the first read.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from engine.dictionary.model import Dictionary, NodeType
from engine.graph import cypher
from engine.graph.cypher import Parameters
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore, Transaction
from engine.query.facets import facets

LABEL = "CommonsTally"
MARKER = "facet_tallies"
# The key of a (project, type) tally: how many records there are.
TOTAL = ""
# The facet of a (project, type) revision tally: its value is a token, its count the writes.
REVISION = "#revision"
UNTALLIED_TYPES = frozenset({"program", "project"})
# Written as engine/graph/ddl.py writes its own, so that `apply_ddl` finds them present.
SCHEMA = [
    f"CREATE CONSTRAINT commons_{LABEL}_key_unique IF NOT EXISTS "
    f"FOR (n:`{LABEL}`) REQUIRE n.`key` IS UNIQUE",
    f"CREATE INDEX commons_{LABEL}_type_index IF NOT EXISTS FOR (n:`{LABEL}`) ON (n.`type`)",
    f"CREATE INDEX commons_{LABEL}_field_index IF NOT EXISTS FOR (n:`{LABEL}`) ON (n.`field`)",
]
_APPLY = (
    f"UNWIND $tallies AS t MERGE (c:{LABEL} {{key: t.key}}) "
    "ON CREATE SET c.project = t.project, c.type = t.type, c.field = t.field, "
    "c.value = t.value, c.count = 0 "
    "SET c.count = c.count + t.delta, c.value = coalesce(t.token, c.value)"
)
_MARK = f"MERGE (m:CommonsCounter {{name: '{MARKER}'}}) SET m.value = $version"
# (node type, properties before, properties after): {} before a create, {} after a delete.
Change = tuple[str, Mapping[str, Any], Mapping[str, Any]]


def tallied_fields(node: NodeType) -> tuple[str, ...]:
    """The facets of `node` counted by tallies: single values from a short list."""
    if node.label in UNTALLIED_TYPES:
        return ()
    return tuple(
        f.name
        for f in facets(node).values()
        if not f.array and (f.enum or f.kind == "boolean") and f.name != "project_id"
    )


def fingerprint(dictionary: Dictionary) -> str:
    """Which facets the tallies count: tallies kept for another set are counted again."""
    spec = sorted((label, tallied_fields(node)) for label, node in dictionary.nodes.items())
    spec.append(("", (REVISION,)))
    return hashlib.sha1(orjson.dumps(spec)).hexdigest()[:16]


def _key(project: str, label: str, field: str, value: Any) -> str:
    return orjson.dumps([project, label, field, value]).decode()


def revision_key(project: str, label: str) -> str:
    """The key of the revision tally of a project's records of a type."""
    return _key(project, label, REVISION, None)


def _tally(
    project: str, label: str, field: str, value: Any, delta: int, token: str | None = None
) -> dict[str, Any]:
    return {
        "key": _key(project, label, field, value),
        "project": project,
        "type": label,
        "field": field,
        "value": value,
        "delta": delta,
        "token": token,
    }


def _revisions(pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """A new token for the revision tally of each (project, type), never given to another."""
    return [
        {
            **_tally(project, label, REVISION, None, 1, uuid.uuid4().hex),
            "key": revision_key(project, label),
        }
        for project, label in sorted(set(pairs))
    ]


def _deltas(dictionary: Dictionary, changes: Iterable[Change]) -> list[dict[str, Any]]:
    """What `changes` add to and take from each tally; tallies left as they were are omitted."""
    found: dict[tuple[str, str, str, Any], int] = defaultdict(int)
    revised: set[tuple[str, str]] = set()
    for label, old, new in changes:
        node = dictionary.nodes.get(label)
        if node is None or label in UNTALLIED_TYPES:
            continue
        for props, sign in ((old, -1), (new, 1)):
            project = props.get("project_id")
            if project is None:
                continue
            revised.add((project, label))
            found[(project, label, TOTAL, TOTAL)] += sign
            for field in tallied_fields(node):
                value = props.get(field)
                if value is not None:
                    found[(project, label, field, value)] += sign
    return [_tally(*key, delta) for key, delta in found.items() if delta] + _revisions(revised)


def record_changes(tx: Transaction, dictionary: Dictionary, changes: Iterable[Change]) -> None:
    """Bring the tallies in line with `changes`, inside the transaction that made them."""
    deltas = _deltas(dictionary, changes)
    if deltas:
        tx.run(_APPLY, {"tallies": deltas})


def count_from_scratch(tx: Transaction, dictionary: Dictionary) -> dict[str, int]:
    """Every tally's count as the records give it now, by key: what tallies must always equal."""
    found: dict[str, int] = {}
    for label in sorted(dictionary.nodes):
        node = dictionary.nodes[label]
        if label in UNTALLIED_TYPES:
            continue
        match = f"MATCH {cypher.node('n', label)} WHERE n.project_id IS NOT NULL"
        for row in tx.run(f"{match} RETURN n.project_id AS project, count(*) AS count"):
            found[_key(row["project"], label, TOTAL, TOTAL)] = row["count"]
        for field in tallied_fields(node):
            prop = f"n.{cypher.name(field)}"
            rows = tx.run(
                f"{match} AND {prop} IS NOT NULL "
                f"RETURN n.project_id AS project, {prop} AS value, count(*) AS count"
            )
            for row in rows:
                found[_key(row["project"], label, field, row["value"])] = row["count"]
    return found


def kept_counts(tx: Transaction) -> dict[str, int]:
    """The tallies as kept, by key, without those at 0 and the revision tallies."""
    rows = tx.run(
        f"MATCH (c:{LABEL}) WHERE c.count <> 0 AND c.field <> $revision "
        "RETURN c.key AS key, c.count AS count",
        {"revision": REVISION},
    )
    return {row["key"]: row["count"] for row in rows}


def rebuild(store: GraphStore, dictionary: Dictionary) -> None:
    """Count every tally again from the records, in one transaction, and mark them trusted;
    revision tallies are kept (a token is never used twice) and given new tokens."""

    def work(tx: Transaction) -> None:
        tx.run(
            f"MATCH (c:{LABEL}) WHERE c.field <> $revision DETACH DELETE c", {"revision": REVISION}
        )
        counts = count_from_scratch(tx, dictionary)
        rows = [_tally(*orjson.loads(key), count) for key, count in counts.items()]
        rows += _revisions((row["project"], row["type"]) for row in rows)
        if rows:
            tx.run(_APPLY, {"tallies": rows})
        tx.run(_MARK, {"version": fingerprint(dictionary)})

    apply_ddl(store, SCHEMA)
    store.execute_write(work)


def prepare(store: GraphStore, dictionary: Dictionary) -> bool:
    """At start-up: count the tallies from scratch unless they are trusted already, so no
    request waits for it; answers whether they were counted."""
    apply_ddl(store, SCHEMA)
    version = store.read(
        f"OPTIONAL MATCH (m:CommonsCounter {{name: '{MARKER}'}}) RETURN m.value AS version"
    )[0]["version"]
    if version == fingerprint(dictionary):
        return False
    rebuild(store, dictionary)
    return True


@dataclass(frozen=True)
class Tallies:
    """One node type's tallies: `counts[project][field][value]`, the total under TOTAL."""

    counts: dict[str, dict[str, dict[Any, int]]]

    def projects(self) -> list[str]:
        return sorted(self.counts)

    def total(self, project: str) -> int:
        return self.counts.get(project, {}).get(TOTAL, {}).get(TOTAL, 0)

    def token(self, project: str) -> str | None:
        """The revision token of the project's records of this type (None: never written)."""
        return next(iter(self.counts.get(project, {}).get(REVISION, {})), None)

    def values(self, project: str, field: str) -> dict[Any, int]:
        """Value counts of `field` in `project`, records without a value under None."""
        present = dict(self.counts.get(project, {}).get(field, {}))
        missing = self.total(project) - sum(present.values())
        if missing:
            present[None] = missing
        return {value: count for value, count in present.items() if count}


def tally_columns(parameters: Parameters, key: str, value: str) -> str:
    """Two result columns that add `tally_rows` (rows `[type, project, field, value, count]`
    of the tallies whose `key`, `type` or `field`, is `value`) and `tally_version` (the
    marker's) to a statement's RETURN, so tallies and records are read in one round trip.

    COLLECT subqueries, not `CALL`s: after a `CALL` the embedded store runs the whole
    statement in its slower executor (a 50 ms match took 190 ms)."""
    return (
        f"COLLECT {{ MATCH (c:{LABEL}) WHERE c.{cypher.name(key)} = {parameters.add(value)} "
        "RETURN [c.type, c.project, c.field, c.value, c.count] } AS tally_rows, "
        f"head(COLLECT {{ MATCH (m:CommonsCounter {{name: '{MARKER}'}}) RETURN m.value }}) "
        "AS tally_version"
    )


def revision_column(parameters: Parameters) -> str:
    """A result column, `revision_rows`: `[type, project, token]` of every revision tally."""
    return (
        f"COLLECT {{ MATCH (c:{LABEL}) WHERE c.field = {parameters.add(REVISION)} "
        "RETURN [c.type, c.project, c.value] } AS revision_rows"
    )


def trusted(dictionary: Dictionary, row: Mapping[str, Any]) -> bool:
    """Whether a row read with `tally_columns` (if it was) read tallies kept for this dictionary."""
    return "tally_version" not in row or row["tally_version"] == fingerprint(dictionary)


def read_trusted(store: GraphStore, dictionary: Dictionary, statement: Any) -> dict[str, Any]:
    """The one row of `statement()` (a text and its parameters, maybe with `tally_columns`);
    where the tallies are not trusted yet, they are counted again and the statement rerun."""
    text, values = statement()
    row = store.read(text, values)[0]
    if not trusted(dictionary, row):
        rebuild(store, dictionary)
        row = store.read(text, values)[0]
    return row


def tallies_of(rows: Iterable[list[Any]]) -> Tallies:
    """The `tally_rows` of one node type as Tallies."""
    counts: dict[str, dict[str, dict[Any, int]]] = defaultdict(lambda: defaultdict(dict))
    for _, project, field, value, count in rows:
        counts[project][field][value] = count
    return Tallies(counts)


def read_totals(store: GraphStore, dictionary: Dictionary) -> dict[str, dict[str, int]]:
    """`{type: {project: records}}` of every tallied type."""

    def statement() -> tuple[str, dict[str, Any]]:
        parameters = Parameters()
        text = "RETURN " + tally_columns(parameters, "field", TOTAL)
        return text, parameters.values

    found: dict[str, dict[str, int]] = defaultdict(dict)
    for label, project, _, _, count in read_trusted(store, dictionary, statement)["tally_rows"]:
        if count:
            found[label][project] = count
    return found
