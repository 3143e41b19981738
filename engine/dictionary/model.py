"""The typed dictionary: what every later step (DDL, validators, GraphQL, submission) reads.

Built once by `load_dictionary` from a folder of Gen3 YAML; frozen, so a
compiled dictionary can be shared between requests and threads.

Graph naming rules (documented in docs/dictionary.md):
- a node type `t` is stored with the label `t` (always back-quoted in Cypher);
- a link `name` declared on node type `s` towards `t` is stored as a
  relationship `(s)-[:NAME]->(t)`, the link name upper-cased: link names are
  unique within a node type, so (node type, link name) fixes exactly one
  (relationship type, direction, target label);
- the backref of that link, read from `t`, is the same relationship walked
  the other way: `(t)<-[:NAME]-(s)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Multiplicity = Literal["one_to_one", "one_to_many", "many_to_one", "many_to_many"]
Direction = Literal["out", "in", "both"]
PropertyKind = Literal[
    "string", "integer", "number", "boolean", "enum", "array", "datetime", "object"
]

SYSTEM_PROPERTIES = ("id", "project_id", "state", "created_datetime", "updated_datetime")


@dataclass(frozen=True)
class Property:
    name: str
    kind: PropertyKind
    # JSON Schema types accepted, e.g. ("string", "null"); enum values if any.
    types: tuple[str, ...] = ()
    enum: tuple[Any, ...] = ()
    # How a table cell may be read when `kind` alone cannot say (a union such as
    # `anyOf: [{type: integer}, {enum: [">89"]}]`, an enum of numbers): the kinds of
    # its alternatives in the order the schema writes them; empty otherwise.
    alternatives: tuple[PropertyKind, ...] = ()
    # For arrays: the kind of the items and their enum values.
    item_kind: PropertyKind | None = None
    item_enum: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    pattern: str | None = None
    format: str | None = None
    required: bool = False
    system: bool = False
    deprecated: bool = False
    description: str = ""
    term: dict[str, Any] | None = None


@dataclass(frozen=True)
class Link:
    """An outgoing link declared on `source`, as written in its YAML."""

    name: str
    source: str
    target: str
    backref: str
    label: str
    multiplicity: Multiplicity
    required: bool
    # Path of enclosing link groups (outermost first); empty for a top-level link.
    groups: tuple[int, ...] = ()

    @property
    def relationship(self) -> str:
        return self.name.upper()


@dataclass(frozen=True)
class LinkGroup:
    """A `subgroup` entry of `links`; `members` are link names or nested groups."""

    id: int
    exclusive: bool
    required: bool
    members: tuple[str | LinkGroup, ...]


@dataclass(frozen=True)
class Edge:
    """A traversable field of a node type: an outgoing link or an incoming backref.

    `multiplicity` is read from this node: an incoming edge reverses its
    link's (a sample's `cases`, many_to_one, is the case's `samples`,
    one_to_many). A self-link whose backref is its own name is one edge,
    direction "both", keeping its link's multiplicity.
    """

    name: str
    relationship: str
    direction: Direction
    target: str
    multiplicity: Multiplicity
    link: Link


@dataclass(frozen=True)
class NodeType:
    name: str
    title: str
    category: str
    description: str
    submittable: bool
    additional_properties: bool
    properties: dict[str, Property]
    required: tuple[str, ...]
    system_properties: tuple[str, ...]
    unique_keys: tuple[tuple[str, ...], ...]
    links: tuple[Link, ...]
    link_groups: tuple[LinkGroup, ...]
    # Outgoing links and incoming backrefs by field name.
    edges: dict[str, Edge]
    validators: tuple[str, ...] = ()
    deprecated: tuple[str, ...] = ()
    namespace: str = ""
    # The node's JSON Schema with every $ref resolved, as dictionaryutils serves it.
    schema: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class Dictionary:
    source: str
    nodes: dict[str, NodeType]
    # Node types ordered so that every link target comes before its source, but for the links
    # broken to undo link cycles (engine.dictionary.ordering): a link to a later type is one.
    import_order: tuple[str, ...]
    categories: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    definitions: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    terms: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # What Gen3 (or the GDC) loads and Commons serves, but a steward should know about:
    # `file: json.path: message`, sorted. `commons dictionary check --strict` refuses them.
    warnings: tuple[str, ...] = ()

    def node(self, name: str) -> NodeType:
        return self.nodes[name]
