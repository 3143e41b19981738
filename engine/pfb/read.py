"""A PFB body -> the documents the submission engine checks and writes, as if sent as JSON.

Each Entity record becomes `{"type": name, ...its object}` with enums
restored (`decode_enum`) and its relations as links: a relation names its
parent's node type (`dst_name`) and id (`dst_id`), and the link is the one
of the record's node type to that type. A PFB written by pypfb from JSON or
TSV uses submitter_ids as ids; one Commons wrote uses node ids. So a
`dst_id` is read as the id of a record of the same body (which is then
named by its submitter_id: the file's ids are not the target project's),
else as the id of an entity of the project, else as a submitter_id there.

The body is imported into one project: its program and project records are
not submitted, a relation to a project names the target project, and an
entity linking to projects without naming one is linked to it (pypfb's
`from json` drops a `{"code": ...}` project link). `project_id`, `state`
and the datetimes are Commons' to set, and are left out. New entities get
new ids; those whose submitter_id the project holds are updated (PUT).
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import orjson
from fastavro import reader as avro_reader

from engine.dictionary.model import Dictionary, Link, NodeType
from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.pfb.schema import as_text, decode_enum
from engine.submission.documents import BodyError, SourceDoc, cell_value
from engine.submission.submit import Target
from engine.submission.transaction_log import Document

PFB_TYPES = ("avro/binary", "application/avro")
ENTITY_FIELDS = {"id", "name", "object", "relations"}
# Set by the target project and by Commons, never taken from a file.
LEFT_OUT = ("id", "type", "project_id", "state", "created_datetime", "updated_datetime")
NOT_SUBMITTED = ("program", "project")
Ref = tuple[str, str]  # (dst_name, dst_id)


def _records(body: bytes) -> Iterator[dict[str, Any]]:
    """The body's records, after checking it is an Avro container of PFB's Entity schema."""
    try:
        records = avro_reader(io.BytesIO(body))
    except Exception as error:  # fastavro raises several kinds for a body that is not Avro
        raise BodyError(f"body is not a PFB: not an Avro container file ({error})") from None
    schema = records.writer_schema
    fields = (
        {f.get("name") for f in schema.get("fields", [])} if isinstance(schema, dict) else set()
    )
    if not isinstance(schema, dict) or schema.get("name") != "Entity" or fields != ENTITY_FIELDS:
        raise BodyError(
            "body is not a PFB: its Avro schema must be the record Entity{id, name, object, "
            f"relations}}, not {schema.get('name') if isinstance(schema, dict) else schema!r}"
        )
    read = 0
    try:
        for record in records:
            read += 1
            yield record
    except Exception as error:  # a truncated or corrupt block
        raise BodyError(f"PFB record {read + 1} cannot be read: {error}") from None


def _enum_fields(schema: dict[str, Any]) -> dict[str, set[str]]:
    """Per node record of the PFB's own schema: the fields holding (arrays of) enum symbols."""
    found: dict[str, set[str]] = {}
    objects = next(f["type"] for f in schema["fields"] if f["name"] == "object")
    for record in objects if isinstance(objects, list) else [objects]:
        if not isinstance(record, dict) or record.get("name") == "Metadata":
            continue
        names = found.setdefault(record.get("name", ""), set())
        for field in record.get("fields", []):
            kinds = field["type"] if isinstance(field["type"], list) else [field["type"]]
            for kind in kinds:
                items = kind.get("items") if isinstance(kind, dict) else None
                if isinstance(kind, dict) and "enum" in (kind.get("type"), _type(items)):
                    names.add(field["name"])
    return found


def _type(value: Any) -> Any:
    return value.get("type") if isinstance(value, dict) else value


class _Node:
    """How one node type's records read: enum symbols back to values, relations to links."""

    def __init__(self, node: NodeType, enums: set[str], named: dict[str, str]) -> None:
        self.node = node
        self.enums = enums
        self.members: dict[str, dict[str, Any]] = {}
        for prop in node.properties.values():
            values = prop.item_enum if prop.kind == "array" else prop.enum
            self.members[prop.name] = {str(value): value for value in values}
        # The link to each parent type: the one the file's Metadata names, else the first declared.
        self.links: dict[str, Link] = {}
        for link in node.links:
            self.links.setdefault(link.target, link)
            if named.get(link.target) == link.name:
                self.links[link.target] = link

    def value(self, name: str, value: Any) -> Any:
        if name in self.enums:
            if isinstance(value, list):
                return [self._member(name, decode_enum(item)) for item in value]
            return self._member(name, decode_enum(value))
        prop = self.node.properties.get(name)
        if prop is not None and as_text(prop) and isinstance(value, str):
            return cell_value(self.node, name, value)
        return value

    def _member(self, name: str, text: str) -> Any:
        return self.members.get(name, {}).get(text, text)


def _metadata_links(metadata: dict[str, Any]) -> dict[str, dict[str, str]]:
    """node -> parent type -> link name, as the file's Metadata record declares them."""
    links: dict[str, dict[str, str]] = {}
    for node in metadata.get("nodes") or []:
        for link in node.get("links") or []:
            links.setdefault(node.get("name"), {}).setdefault(link.get("dst"), link.get("name"))
    return links


def _node_ids_in_project(
    store: GraphStore, project_id: str, wanted: dict[str, set[str]]
) -> set[Ref]:
    """Those (type, id) of `wanted` that are ids of entities in the project."""
    found: set[Ref] = set()
    for label, keys in wanted.items():
        ids = store.read(
            f"UNWIND $keys AS key MATCH {cypher.node('n', label, '{id: key}')} "
            "WHERE n.project_id = $project_id RETURN collect(n.id) AS found",
            {"keys": sorted(keys), "project_id": project_id},
        )[0]["found"]
        found.update((label, identifier) for identifier in ids)
    return found


def _may_be_id(node: NodeType, value: str) -> bool:
    """Whether `value` may be an id of `node`: one its `id` pattern refuses (a submitter_id,
    as `commons submit` renames a parent sent in an earlier batch) is not looked up as one."""
    prop = node.properties.get("id")
    return prop is None or prop.pattern is None or re.search(prop.pattern, value) is not None


def pfb_sources(
    body: bytes, dictionary: Dictionary, store: GraphStore, target: Target
) -> list[SourceDoc]:
    """The body's entities as documents for `target`, in the body's order; BodyError (a 400
    naming the record) when the body is not a PFB or a relation names no link."""
    records = _records(body)
    metadata = next(records, None)
    if metadata is None or metadata.get("name") != "Metadata":
        raise BodyError("PFB record 1 must be the Metadata record (name 'Metadata')")
    schema = avro_reader(io.BytesIO(body)).writer_schema
    enums = _enum_fields(schema)
    named = _metadata_links(metadata.get("object") or {})
    nodes = {
        name: _Node(node, enums.get(name, set()), named.get(name, {}))
        for name, node in dictionary.nodes.items()
    }
    docs: list[tuple[int, dict[str, Any], list[tuple[Link, Ref]]]] = []
    submitter_ids: dict[Ref, str] = {}  # (type, file id) -> submitter_id, for this body's records
    for position, record in enumerate(records, 2):
        name = record.get("name")
        values = record.get("object") or {}
        if name in NOT_SUBMITTED:
            continue
        node = nodes.get(name)
        if node is None:  # check_document names the unknown type
            docs.append((position, {"type": name, **values}, []))
            continue
        doc = {"type": name}
        doc |= {
            k: node.value(k, v) for k, v in values.items() if v is not None and k not in LEFT_OUT
        }
        if record.get("id") is not None and isinstance(doc.get("submitter_id"), str):
            submitter_ids[(name, record["id"])] = doc["submitter_id"]
        refs = []
        for relation in record.get("relations") or []:
            link = node.links.get(relation["dst_name"])
            if link is None:
                raise BodyError(
                    f"PFB record {position} ({name} '{doc.get('submitter_id')}'): a relation to "
                    f"{relation['dst_name']} {relation['dst_id']}, but {name} has no link to "
                    f"{relation['dst_name']}"
                )
            refs.append((link, (relation["dst_name"], relation["dst_id"])))
        to_project = node.links.get("project")
        if to_project is not None and not any(link.target == "project" for link, _ in refs):
            refs.append((to_project, ("project", "")))
        docs.append((position, doc, refs))
    outside: dict[str, set[str]] = defaultdict(set)
    for _, _, refs in docs:
        for _, ref in refs:
            if ref[0] == "project" or ref in submitter_ids:
                continue
            if _may_be_id(dictionary.nodes[ref[0]], ref[1]):
                outside[ref[0]].add(ref[1])
    node_ids = _node_ids_in_project(store, target.project_id, outside)

    def named_by(ref: Ref) -> dict[str, str]:
        if ref[0] == "project":
            return {"code": target.project}
        if ref in submitter_ids:
            return {"submitter_id": submitter_ids[ref]}
        return {"id": ref[1]} if ref in node_ids else {"submitter_id": ref[1]}

    sources = []
    for position, doc, refs in docs:
        linked: dict[str, list[dict[str, str]]] = defaultdict(list)
        for link, ref in refs:
            linked[link.name].append(named_by(ref))
        for link_name, targets in linked.items():
            doc[link_name] = targets[0] if len(targets) == 1 else targets
        sources.append(SourceDoc(doc, None, position - 1))
    return sources


def pfb_document(name: str | None, sources: list[SourceDoc]) -> Document:
    """A PFB body as the transaction log keeps it: the documents read from it, as JSON."""
    text = orjson.dumps([source.doc for source in sources]).decode()
    return Document(name, "pfb", text, len(sources))
