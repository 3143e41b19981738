"""Peregrine's arguments on a list or count field, as a predicate and a page.

Every argument peregrine takes keeps its meaning (see peregrine's
`apply_query_args`): `id`/`ids`, each property as a filter (a list means
"one of" on scalars and "all of" on arrays, an empty list filters nothing),
`not`, `quick_search` (case-insensitive substring of the id or
submitter_id; empty means no filter), `with_links`(`_any`)/`without_links`,
`with_path_to`(`_any`)/`without_path_to` (an unknown type matches nothing),
the `created`/`updated` `_before`/`_after` bounds, `first` (default 10, 0
for all), `offset`, `order_by_asc`/`_desc`; and Commons' own `filter` (guppy's
language). A wrong argument is refused with a message naming it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.dictionary.model import Dictionary, Edge, NodeType
from engine.query.errors import QueryError
from engine.query.fields import instant, is_field, matches, require_field
from engine.query.guppy import GuppyFilter
from engine.query.limits import bounded
from engine.query.paths import Paths
from engine.query.tree import (
    ALWAYS,
    NEVER,
    AnyOf,
    Compare,
    HasEdge,
    Not,
    Or,
    Page,
    Predicate,
    Search,
    conjunction,
)

PAGE = ("first", "offset", "order_by_asc", "order_by_desc")
# Choose the node types of `node` and `datanode` (see engine/graphql/plan.py), not a filter.
TYPE_CHOICE = ("of_type", "category")
BOUNDS = {
    "created_before": ("created_datetime", "<"),
    "created_after": ("created_datetime", ">"),
    "updated_before": ("updated_datetime", "<"),
    "updated_after": ("updated_datetime", ">"),
}
PATHS = ("with_path_to", "with_path_to_any", "without_path_to")
DEFAULT_FIRST = 10


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class Arguments:
    """Reads the arguments of fields over one dictionary."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self.paths = Paths(dictionary)
        self.guppy = GuppyFilter(dictionary)

    def where(self, node: NodeType, arguments: dict[str, Any]) -> Predicate:
        """The nodes of `node` the arguments let through."""
        return conjunction(
            [
                bounded(self._filter(node, name, value), name)
                for name, value in arguments.items()
                if value is not None and name not in PAGE and name not in TYPE_CHOICE
            ]
        )

    def page(self, nodes: Iterable[NodeType], arguments: dict[str, Any]) -> Page:
        """`first`, `offset` and the order, checked against the node types listed."""
        first = arguments.get("first")
        first = DEFAULT_FIRST if first is None else first
        offset = arguments.get("offset") or 0
        if first < 0:
            raise QueryError(f"first: {first} is negative; use 0 for all rows")
        if offset < 0:
            raise QueryError(f"offset: {offset} is negative")
        nodes = list(nodes)
        order: list[tuple[str, bool]] = []
        for argument, descending in (("order_by_asc", False), ("order_by_desc", True)):
            key = arguments.get(argument)
            if key is None or key == "type":  # peregrine ignores `type`: one value per list
                continue
            if not any(is_field(node, key) for node in nodes):
                listed = "/".join(node.name for node in nodes)
                raise QueryError(f"{argument}: cannot order {listed} by {key!r}, not a property")
            order.append((key, descending))
        return Page(first or None, offset, tuple(order))

    def _filter(self, node: NodeType, name: str, value: Any) -> Predicate:
        if name == "id":
            return AnyOf("id", (value,))
        if name == "ids":
            return AnyOf("id", tuple(value))
        if name == "quick_search":
            return Search(("id", "submitter_id"), value.lower()) if value else ALWAYS
        if name in BOUNDS:
            prop, operator = BOUNDS[name]
            return Compare(prop, operator, instant(name, value))
        if name == "with_links":
            return conjunction([self._has(node, link, name) for link in value])
        if name == "with_links_any":
            return Or(tuple(self._has(node, link, name) for link in value)) if value else ALWAYS
        if name == "without_links":
            return conjunction([Not(self._has(node, link, name)) for link in value])
        if name in PATHS:
            return self._paths(node, name, value)
        if name == "not":
            return self._not(node, value)
        if name == "filter":
            return self.guppy.predicate(node, value)
        values = _listed(value)
        return matches(node, name, values, name) if values else ALWAYS

    def _has(self, node: NodeType, link: str, argument: str) -> Predicate:
        edge: Edge | None = node.edges.get(link)
        if edge is None:
            raise QueryError(f"{argument}: {link!r} is not a link of {node.name}")
        return HasEdge(edge, ALWAYS)

    def _not(self, node: NodeType, value: Any) -> Predicate:
        parts: list[Predicate] = []
        for item in _listed(value):
            if not isinstance(item, dict):
                raise QueryError(
                    f'not: expected an object of properties, e.g. {{submitter_id: "x"}}, got {item!r}'
                )
            for key, values in item.items():
                prop = require_field(node, key, "not")
                parts.append(Not(matches(node, prop, _listed(values), "not")))
        return conjunction(parts)

    def _paths(self, node: NodeType, argument: str, value: Any) -> Predicate:
        found = [self._path(node, argument, entry) for entry in _listed(value)]
        if argument == "with_path_to":
            return conjunction(found)
        if argument == "with_path_to_any":
            return Or(tuple(found))
        return Not(conjunction(found))

    def _path(self, node: NodeType, argument: str, entry: Any) -> Predicate:
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise QueryError(
                f"{argument}: each entry needs the node type to reach, e.g. "
                f'{{type: "case", submitter_id: "x"}}, got {entry!r}'
            )
        target = self.dictionary.nodes.get(entry["type"])
        if target is None:
            return NEVER
        where = conjunction(
            [
                matches(target, require_field(target, key, argument), _listed(values), argument)
                for key, values in entry.items()
                if key != "type"
            ]
        )
        if target.name == node.name:
            return where
        return self.paths.reach(node.name, target.name, where)
