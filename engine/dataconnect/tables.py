"""The tables Data Connect lists: one per node type of the dictionary, and any a source adds.

A node table `commons.<node>` has a column for the node's `id`, one for each
property of its dictionary schema (but `type`, which the table's name says),
and one for each link the node type declares: the linked record's `id` and
`submitter_id`, an object for a link to one record, a list of them for a link
to many. Its `data_model` is a draft-07 JSON Schema derived from the
dictionary: types, enums, formats, descriptions, and a `$ref` to the term
definition the dictionary names, served at `_dictionary/_terms`. A value is
missing when a record has none, so every column but `id` also takes null.

`TableRegistry` is the seam for other sources: anything that is a `Table`
(a name, a description) can be added and is listed. A `LiveTable` (the
metadata service's discovery records, engine/dataconnect/discovery.py) is
opened per request as a `HeldTable`: columns and rows read then, searched
in memory (engine/dataconnect/held.py) instead of by Cypher.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from engine.dictionary.model import Dictionary, Edge, NodeType, Property

if TYPE_CHECKING:
    from engine.auth.principal import Principal

CATALOG = "commons"
SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"
# The dictionary's term definitions, relative to the public base URL (sheepdog's _dictionary).
TERMS_PATH = "/api/v0/submission/_dictionary/_terms"
_JSON_TYPE = {"enum": None, "datetime": "string"}
_TO_ONE = ("many_to_one", "one_to_one")
Schema = dict[str, Any]


class Table(Protocol):
    """What the registry lists: a dotted name and a description."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...


@runtime_checkable
class LiveTable(Protocol):
    """A table whose columns and rows are read when a request opens it, for that caller."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    def snapshot(self, who: Principal) -> HeldTable: ...


@dataclass(frozen=True)
class Column:
    """A column of a node table: a stored property (`prop`), or a link (`edge`, outgoing)."""

    name: str
    prop: Property | None = None
    edge: Edge | None = None
    # A link column's schema (a property's is made per request: its `$ref` names the base URL).
    link: Schema | None = None

    @property
    def is_link(self) -> bool:
        return self.edge is not None

    @property
    def to_one(self) -> bool:
        return self.edge is not None and self.edge.multiplicity in _TO_ONE


def _nullable(schema: Schema) -> Schema:
    """`schema` that also takes null: a record may have no value."""
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _term_names(dictionary: Dictionary) -> dict[str, str]:
    """Each term definition that only one name holds, by its JSON text -> that name."""
    seen: dict[str, list[str]] = {}
    for term_name, definition in dictionary.terms.items():
        if isinstance(definition, dict):
            seen.setdefault(repr(sorted(definition.items())), []).append(term_name)
    return {key: names[0] for key, names in seen.items() if len(names) == 1}


def property_schema(prop: Property, term: str | None, base_url: str) -> Schema:
    """The JSON Schema of a stored property's values (`term`: the name of its term definition)."""
    schema: Schema = {}
    types = [t for t in prop.types if t != "null"]
    if types:
        schema["type"] = types[0] if len(types) == 1 else types
    if prop.enum:
        schema["enum"] = list(prop.enum)
    if prop.kind == "array" and prop.item_kind:
        items: Schema = {}
        item_type = _JSON_TYPE.get(prop.item_kind, prop.item_kind)
        if item_type:
            items["type"] = item_type
        if prop.item_enum:
            items["enum"] = list(prop.item_enum)
        schema["items"] = items
    if prop.kind == "datetime":
        schema["format"] = "date-time"
    elif prop.format:
        schema["format"] = prop.format
    if prop.description:
        schema["description"] = prop.description
    if term is not None:
        schema["$ref"] = f"{base_url}{TERMS_PATH}#/{term}"
    return schema


def link_schema(edge: Edge, target: NodeType) -> Schema:
    """A link column: the linked record's id and submitter_id (a list of them for a link to many)."""
    record: Schema = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "submitter_id": {"type": ["string", "null"]}},
    }
    described = f"The {target.name} record(s) this record links to through `{edge.name}`"
    if edge.multiplicity in _TO_ONE:
        return {**_nullable(record), "description": described + ": its id and submitter_id."}
    return {
        "type": "array",
        "items": record,
        "description": described + ": the id and submitter_id of each.",
    }


@dataclass(frozen=True)
class NodeTable:
    """The table of one node type: its records, as the graph holds them now."""

    name: str
    node: NodeType
    columns: dict[str, Column]
    terms: dict[str, str] = field(default_factory=dict)
    key: str = "id"  # the column every row has, unique: never null

    @property
    def description(self) -> str:
        return self.node.description or f"The {self.node.name} records of the dictionary."

    def column_schema(self, column: Column, base_url: str) -> Schema:
        if column.prop is None:
            return dict(column.link or {})
        schema = property_schema(column.prop, self.terms.get(column.name), base_url)
        return schema if column.name == self.key else _nullable(schema)

    def data_model(self, base_url: str) -> Schema:
        properties = {
            name: self.column_schema(column, base_url) for name, column in self.columns.items()
        }
        return {
            "$id": f"{base_url}/ga4gh/data-connect/v1/table/{self.name}/info",
            "$schema": SCHEMA_DRAFT,
            "description": self.description,
            "properties": properties,
        }


@dataclass(frozen=True)
class HeldTable(NodeTable):
    """A table opened with its rows in hand (`rows`: each a column -> value mapping)."""

    rows: tuple[dict[str, Any], ...] = ()

    @property
    def description(self) -> str:
        return self.node.description


def node_table(dictionary: Dictionary, node: NodeType, terms: dict[str, str]) -> NodeTable:
    columns: dict[str, Column] = {}
    named: dict[str, str] = {}
    for prop in node.properties.values():
        if prop.name == "type":
            continue
        columns[prop.name] = Column(prop.name, prop=prop)
        if prop.term is not None:
            term = terms.get(repr(sorted(prop.term.items())))
            if term is not None:
                named[prop.name] = term
    if "id" in columns:  # the id first, as every row is known by it
        columns = {"id": columns["id"], **columns}
    for link in node.links:
        edge = node.edges[link.name]
        target = dictionary.nodes[edge.target]
        columns[link.name] = Column(link.name, edge=edge, link=link_schema(edge, target))
    return NodeTable(f"{CATALOG}.{node.name}", node, columns, named)


class TableRegistry:
    """The tables of one app, by name; a name without its catalog finds the one table it ends."""

    def __init__(self, tables: Iterable[Table] = ()) -> None:
        self._tables: dict[str, Table] = {}
        for table in tables:
            self.add(table)

    def add(self, table: Table) -> None:
        if table.name in self._tables:
            raise ValueError(f"a table named {table.name} is already registered")
        self._tables[table.name] = table

    def tables(self) -> list[Table]:
        return [self._tables[name] for name in sorted(self._tables)]

    def find(self, name: str) -> Table | None:
        """The table `name` names: in full (`commons.sample`), or its last part if only one ends so."""
        if name in self._tables:
            return self._tables[name]
        ending = [t for key, t in self._tables.items() if key.rsplit(".", 1)[-1] == name]
        return ending[0] if len(ending) == 1 else None


def dictionary_tables(dictionary: Dictionary) -> TableRegistry:
    """A registry holding a table for every node type of `dictionary`."""
    terms = _term_names(dictionary)
    return TableRegistry(
        node_table(dictionary, node, terms) for _, node in sorted(dictionary.nodes.items())
    )
