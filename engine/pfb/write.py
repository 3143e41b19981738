"""Entities of the graph -> a PFB file, streamed: a project, or a cohort chosen by a guppy filter.

The store is read one page of one node type at a time (node types in import
order, so every parent is written before its children, as `pfb to tsv`
needs to name a parent's submitter_id) and each page is encoded and handed
on at once, while a reader thread fetches the next page: memory holds a
few pages and the ids of one node type, however large the project. A page
is one statement answering one row, the page's entities with their parents'
ids collected by the store: the driver's cost is per row, and was half the
export's time at a row per entity. The ids of a project's entities come from
one statement per node type; pages of them, never `ORDER BY ... SKIP` (which
sorts again per page).

A cohort is what Gen3's pelican exports for the portal's "Export to PFB":
the root entities a guppy filter matches, everything linked below them,
and every entity above those (up to program), each only where the caller
may read (engine/query/access.py, the rule exploration applies). Its ids
are gathered first (a set of ids, not entities), so a relation never names
an entity the file leaves out.
"""

from __future__ import annotations

import io
import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from fastavro import parse_schema
from fastavro.write import Writer

from engine.dictionary.model import Dictionary, NodeType, Property
from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.pfb.schema import (
    as_text,
    avro_schema,
    encode_enum,
    metadata,
    node_record,
    record_fields,
)
from engine.query.access import Access
from engine.query.counts import counts_by_type
from engine.query.errors import QueryError
from engine.query.scope import VARIABLE, Scope

# Entities per statement. Measured on 100,000 (2 shared cores): pages of 1,000-2,000 kept the
# store and the encoder both busy better than pages of 5,000 (15.6k vs 13.4k entities/s, median).
PAGE = 2_000
# Pages read ahead of the one being encoded: the store works on the next page meanwhile, and
# memory holds at most this many more.
READ_AHEAD = 2
PFB_MEDIA = "avro/binary"
Convert = Callable[[Any], Any]


@dataclass
class ExportSummary:
    """What a PFB holds: its entities, by node type (the Metadata record aside)."""

    entities: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def add(self, node_type: str, count: int) -> None:
        self.entities += count
        self.by_type[node_type] = self.by_type.get(node_type, 0) + count


@dataclass(frozen=True)
class Cohort:
    """The roots of a cohort export: entities of node type `root` matching the guppy `filter`,
    as `access` lets the caller read them (given always: `Access()` is an admin's, all of it)."""

    root: str
    access: Access
    filter: Any = None


def _scalar(kind: str | None) -> Convert | None:
    """How a stored scalar becomes its Avro value: None where it already is one."""
    if kind == "integer":
        return int
    if kind == "number":
        return float
    return None


def _symbols(values: list[Any]) -> Convert:
    """Enum values -> their Avro symbols: the dictionary's values escaped once, not per entity."""
    known = {value: encode_enum(value) for value in values if value is not None}
    return lambda value: known.get(value) or encode_enum(value)


def _converter(prop: Property) -> Convert | None:
    """A stored value -> the value its Avro field holds; None: the stored value is that value."""
    if as_text(prop):
        return lambda value: value if isinstance(value, str) else json.dumps(value)
    if prop.kind == "enum":
        return _symbols(prop.enum)
    if prop.kind == "array":
        item = _symbols(prop.item_enum) if prop.item_kind == "enum" else _scalar(prop.item_kind)
        return None if item is None else lambda values: [item(value) for value in values]
    return _scalar(prop.kind)


class _NodeWriter:
    """How one node type's rows are read from the store and written as Entity records."""

    def __init__(self, node: NodeType) -> None:
        self.node = node
        # Only the fields whose stored value is not already its Avro value are touched per
        # entity: fastavro reads a record's fields by name and skips the keys it has no field for.
        self.converted = [
            (prop.name, convert)
            for prop, _ in record_fields(node)
            if (convert := _converter(prop)) is not None
        ]
        # A field left out would be written as its default: one the entity lacks is null.
        self.defaulted = [
            f["name"] for f in node_record(node)["fields"] if f["default"] is not None
        ]
        self.links = [(position, link) for position, link in enumerate(node.links, 1)]
        # A row is a list: [properties, ids of the parents along each link]. (ArcadeDB answers a
        # map literal holding a map projection with the projection alone.)
        self.row = (
            "[n {.*}"
            + "".join(
                f", [(n)-[:{cypher.name(link.relationship)}]->(m:{cypher.name(link.target)}) | m.id]"
                for link in node.links
            )
            + "]"
        )

    def record(self, row: list[Any], kept: set[str] | None) -> dict[str, Any]:
        """The Entity record of one row (its properties, `row[0]`, converted in place); `kept`:
        the ids a relation may name (None: any)."""
        values = row[0]
        for name, convert in self.converted:
            value = values.get(name)
            if value is not None:
                values[name] = convert(value)
        for name in self.defaulted:
            values.setdefault(name, None)
        relations = [
            {"dst_id": target, "dst_name": link.target}
            for position, link in self.links
            for target in row[position]
            if kept is None or target in kept
        ]
        return {
            "id": values["id"],
            "name": self.node.name,
            "object": (self.node.name, values),
            "relations": relations,
        }


def _project_ids(store: GraphStore, node: _NodeWriter, project_id: str) -> list[str]:
    """The ids of one type's entities in the project (for a program: the project's)."""
    if node.node.name == "program":
        match = (
            f"MATCH {cypher.node('p', 'project')} WHERE p.project_id = $project_id "
            f"MATCH (p)-->{cypher.node('n', 'program')}"
        )
    else:
        match = f"MATCH {cypher.node('n', node.node.name)} WHERE n.project_id = $project_id"
    query = f"{match} RETURN collect(DISTINCT n.id) AS ids"
    return store.read(query, {"project_id": project_id})[0]["ids"]


def _id_pages(store: GraphStore, node: _NodeWriter, ids: list[str]) -> Iterator[list[list[Any]]]:
    """The rows of the entities `ids`, a page per statement, each page one collected row."""
    query = (
        f"UNWIND $ids AS key MATCH {cypher.node('n', node.node.name, '{id: key}')} "
        f"RETURN collect({node.row}) AS rows"
    )
    for start in range(0, len(ids), PAGE):
        yield store.read(query, {"ids": ids[start : start + PAGE]})[0]["rows"]


def _readable(access: Access, variable: str) -> tuple[str, dict[str, Any]]:
    """The condition keeping `variable` to readable projects (a program has none: it is the
    program of a readable entity it is reached from), and its parameters."""
    if access.accessible_projects is None:
        return "", {}
    condition = f" WHERE {variable}.project_id IS NULL OR {variable}.project_id IN $readable"
    return condition, {"readable": sorted(access.accessible_projects)}


def _walk(
    store: GraphStore, label: str, ids: list[str], arrow: str, access: Access
) -> Iterator[tuple[str, str]]:
    """(id, type) of every entity reached from the `label` entities `ids` along `arrow`
    (`<-[*1..]-`: below them, `-[*1..]->`: above them), readable ones only."""
    where, params = _readable(access, "c")
    query = (
        f"UNWIND $ids AS key MATCH {cypher.node('r', label, '{id: key}')} "
        f"MATCH (r){arrow}(c){where} RETURN DISTINCT c.id AS id, labels(c)[0] AS type"
    )
    for start in range(0, len(ids), PAGE):
        for row in store.read(query, {**params, "ids": ids[start : start + PAGE]}):
            yield row["id"], row["type"]


def cohort_ids(
    store: GraphStore, dictionary: Dictionary, cohort: Cohort, scope: Scope
) -> dict[str, set[str]]:
    """The ids a cohort export holds, by node type: the roots, what is below, what is above."""
    builder = scope.builder(rows=True)
    roots = [
        row["id"]
        for row in store.read(
            f"{scope.match(builder)} RETURN {VARIABLE}.id AS id", builder.parameters.values
        )
    ]
    chosen: dict[str, set[str]] = {cohort.root: set(roots)}
    for found, node_type in _walk(store, cohort.root, roots, "<-[*1..]-", cohort.access):
        chosen.setdefault(node_type, set()).add(found)
    above: dict[str, set[str]] = {}
    for label, ids in chosen.items():
        for found, node_type in _walk(store, label, sorted(ids), "-[*1..]->", cohort.access):
            above.setdefault(node_type, set()).add(found)
    for node_type, ids in above.items():
        chosen.setdefault(node_type, set()).update(ids)
    return {node_type: ids for node_type, ids in chosen.items() if node_type in dictionary.nodes}


_DONE = object()


def _read_ahead(pages: Iterator[Any], depth: int = READ_AHEAD) -> Iterator[Any]:
    """`pages`, read by a thread of their own up to `depth` pages ahead of the consumer.

    The store answers the next page while this one is encoded (the driver waits
    on its socket without the GIL). A reader's error is raised to the consumer;
    a consumer that stops early (a client gone) stops the reader before it
    reads another page.
    """
    handed: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def hand(item: Any) -> bool:
        while not stop.is_set():
            try:
                handed.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for page in pages:
                if not hand(page):
                    return
        except BaseException as error:  # handed to the consumer, which raises it
            hand(error)
        else:
            hand(_DONE)

    reader = threading.Thread(target=read, name="pfb-reader", daemon=True)
    reader.start()
    try:
        while (item := handed.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()  # a page at most: the reader stops at its next hand-over


def _encoded(
    dictionary: Dictionary,
    pages: Iterator[tuple[_NodeWriter, list[list[Any]]]],
    kept: set[str] | None,
) -> Iterator[bytes]:
    """The PFB bytes: the header and Metadata record, then a block or more per page."""
    buffer = io.BytesIO()
    writer = Writer(buffer, parse_schema(avro_schema(dictionary)), codec="null")
    header = ("Metadata", metadata(dictionary))
    writer.write({"id": None, "name": "Metadata", "object": header, "relations": []})
    writer.flush()
    for node, rows in pages:
        for row in rows:
            writer.write(node.record(row, kept))
        writer.flush()
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    writer.flush()
    yield buffer.getvalue()


def pfb_chunks(
    store: GraphStore,
    dictionary: Dictionary,
    summary: ExportSummary,
    *,
    project_id: str | None = None,
    cohort: Cohort | None = None,
) -> Iterator[bytes]:
    """The PFB of a project (`project_id`) or of a `cohort`, as chunks of bytes to send on.

    A cohort's filter is checked here, before the first chunk: a bad one raises
    QueryError. This reads the store before it answers (a project's types, a
    cohort's ids), so an async caller runs it in a worker thread, as it reads
    the chunks. `summary` counts the entities as they are written.
    """
    writers = [_NodeWriter(dictionary.nodes[name]) for name in dictionary.import_order]
    if cohort is not None:
        node = dictionary.nodes.get(cohort.root)
        if node is None:
            raise QueryError(f"'{cohort.root}' is not a node type")
        scope = Scope(dictionary, node, cohort.filter, "accessible", cohort.access)
        scope.predicate()
        chosen = cohort_ids(store, dictionary, cohort, scope)
        kept: set[str] | None = set().union(*chosen.values())

        def pages() -> Iterator[tuple[_NodeWriter, list[list[Any]]]]:
            for writer in writers:
                for rows in _id_pages(store, writer, sorted(chosen.get(writer.node.name, ()))):
                    summary.add(writer.node.name, len(rows))
                    yield writer, rows

    elif project_id is not None:
        kept = None
        # One statement tells which types the project holds: a small project's export is then
        # a few statements, not one per node type of the dictionary.
        counts = counts_by_type(store, dictionary, frozenset({project_id}))

        def pages() -> Iterator[tuple[_NodeWriter, list[list[Any]]]]:
            for writer in (writer for writer in writers if counts.get(writer.node.name)):
                for rows in _id_pages(store, writer, _project_ids(store, writer, project_id)):
                    summary.add(writer.node.name, len(rows))
                    yield writer, rows

    else:
        raise ValueError("export a project_id or a cohort")
    return _encoded(dictionary, _read_ahead(pages()), kept)


def write_pfb(
    store: GraphStore,
    dictionary: Dictionary,
    out: BinaryIO,
    *,
    project_id: str | None = None,
    cohort: Cohort | None = None,
) -> ExportSummary:
    """Write the PFB of a project or of a cohort to `out`; answers what it holds.

    For a cohort, `cohort.access` is the caller's (engine/api/guppy.py's `access`):
    only readable entities are written. A bad filter raises QueryError before
    anything is written, as does an unknown root type.
    """
    summary = ExportSummary()
    for chunk in pfb_chunks(store, dictionary, summary, project_id=project_id, cohort=cohort):
        out.write(chunk)
    return summary
