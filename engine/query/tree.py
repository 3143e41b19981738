"""The query tree: what a GraphQL request asks of the graph, before any Cypher is written.

Each list field of a request (a root field such as `case`, or a link field
such as `case.samples`) becomes a `NodeList`: for each node type it lists (a
`Branch`), the `Predicate` its nodes must meet and the `Shape` of the objects
returned (properties, counts, nested lists); and one `Page` over them all. A root count
(`_case_count`) becomes a `NodeCount`. The transaction log's records are
nodes too (one label, no dictionary type): the same `NodeList` lists them,
and a node's own records (`_transaction_logs`) and neighbours of every type
(`_links`) are entries of its shape. Planners (engine/graphql/plan.py)
build the tree; engine/query/cypher.py is the one place that turns it into
Cypher. Keeping the two apart lets tests assert what was asked without
parsing query text, and gives authorization one seam: the builder adds the
readable-projects predicate wherever the tree names a node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from engine.dictionary.model import Edge

Operator = Literal["=", "<>", "<", "<=", ">", ">="]


# Predicates: conditions on one node ---------------------------------------


@dataclass(frozen=True)
class Compare:
    """`prop <op> value`; on an array property, true when any item compares."""

    prop: str
    op: Operator
    value: Any
    array: bool = False


@dataclass(frozen=True)
class AnyOf:
    """The property's value is one of `values` (on an array property: any item is)."""

    prop: str
    values: tuple[Any, ...]
    array: bool = False


@dataclass(frozen=True)
class AllOf:
    """An array property holding every one of `values` (peregrine's list filter on arrays)."""

    prop: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Search:
    """`text` (already lower-cased) is a substring of one of `props`, ignoring case."""

    props: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Matches:
    """The property's whole value matches the regular expression `pattern` (SQL's LIKE, translated)."""

    prop: str
    pattern: str


@dataclass(frozen=True)
class Present:
    """The property has a value."""

    prop: str


@dataclass(frozen=True)
class Not:
    """True when `predicate` is false or unknown (a missing property is not a match)."""

    predicate: Predicate


@dataclass(frozen=True)
class And:
    """All of them; `And(())` is true."""

    predicates: tuple[Predicate, ...]


@dataclass(frozen=True)
class Or:
    """Any of them; `Or(())` is false."""

    predicates: tuple[Predicate, ...]


@dataclass(frozen=True)
class HasEdge:
    """At least one neighbour through `edge` that meets `where`."""

    edge: Edge
    where: Predicate


@dataclass(frozen=True)
class Reach:
    """A path of 1..`hops` relationships of `relationships`, all walked `direction`, to a `target` meeting `where`."""

    direction: Literal["out", "in"]
    relationships: tuple[str, ...]
    hops: int
    target: str
    where: Predicate


Predicate = Compare | AnyOf | AllOf | Search | Matches | Present | Not | And | Or | HasEdge | Reach

ALWAYS: Predicate = And(())
NEVER: Predicate = Or(())


def conjunction(predicates: list[Predicate]) -> Predicate:
    """`And` of the predicates, without the wrapper when there is only one."""
    return predicates[0] if len(predicates) == 1 else And(tuple(predicates))


# Selections: what each node returns ------------------------------------------


@dataclass(frozen=True)
class Page:
    """`first` rows (None: all, up to the rows limit) after `offset`, sorted by `order` ((property, descending) pairs)."""

    first: int | None = 10
    offset: int = 0
    order: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class Value:
    """A scalar field: the stored property `prop`, serialized by `convert` (GraphQL's scalar rules)."""

    key: str
    prop: str
    convert: Callable[[Any], Any]


@dataclass(frozen=True)
class Constant:
    """A field known without the store: `type`, `__typename`."""

    key: str
    value: Any


@dataclass(frozen=True)
class Count:
    """How many neighbours through `edge` meet `where`."""

    key: str
    edge: Edge
    where: Predicate


@dataclass(frozen=True)
class Link:
    """The neighbours through `edge`, listed as `nodes` says (per parent: `first`, `offset`, `order`)."""

    key: str
    edge: Edge
    nodes: NodeList


@dataclass(frozen=True)
class Computed:
    """A field worked out from several stored properties (`props`): `compute` gets them as a
    map (a transaction record's JSON-held documents, its `type` from its role)."""

    key: str
    props: tuple[str, ...]
    compute: Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Logged:
    """The transaction records that wrote this node: listed, or counted (`_transaction_logs`)."""

    key: str
    query: NodeList | NodeCount


@dataclass(frozen=True)
class Neighbours:
    """`_links`: the node's parents and children, each once, a branch of `nodes` per type;
    `routes` names, per type, the relationship types that lead there."""

    key: str
    routes: tuple[tuple[str, tuple[str, ...]], ...]
    nodes: NodeList


Entry = Value | Constant | Count | Link | Computed | Logged | Neighbours


@dataclass(frozen=True)
class Shape:
    """The response object for a node of one type: entries in response order."""

    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Branch:
    """One node type of a list: which of its nodes, and the shape each is answered with."""

    label: str
    where: Predicate
    shape: Shape


@dataclass(frozen=True)
class NodeList:
    """The nodes of every branch together, one page of them (a typed field has one branch, `node` many)."""

    branches: tuple[Branch, ...]
    page: Page


@dataclass(frozen=True)
class NodeCount:
    """How many nodes of `label` meet `where` (a root `_<type>_count`); of them, as peregrine
    counts transaction records, those past `offset`, at most `first` (None: all)."""

    label: str
    where: Predicate
    offset: int = 0
    first: int | None = None

    def shown(self, found: int) -> int:
        left = max(found - self.offset, 0)
        return left if self.first is None else min(left, self.first)


StoreQuery = NodeList | NodeCount
