"""Guppy's filter language, on the live graph: the `filter` argument of every list and count.

The Gen3 portal's explorer speaks it to guppy; here it filters any field:

    {"AND": [{"=": {"sample_type": "Primary Tumor"}},
             {"OR": [{">=": {"days_to_collection": 10}}, {"IN": {"tissue_type": ["Tumor"]}}]}]}

Operators: `AND`, `OR` (lists of filters), `=`, `!=`, `IN`, `>`, `>=`, `<`,
`<=` (one field each), `search` (`{"keyword": ..., "fields": [...]}`, a
case-insensitive substring; fields default to `id` and `submitter_id`), and
`nested` (`{"path": <link>, ...a filter on the linked type}`: some linked
node matches; the path may also name a node type above or below, as guppy's
nested paths name tube's flattened types: `{"path": "demographic", ...}` is
some demographic linked to this record however many links away, see
engine/query/linked.py). On an array property, `=`, `IN` and comparisons hold when an
item does. Anything else is refused with the reason.
"""

from __future__ import annotations

from typing import Any

from engine.dictionary.model import Dictionary, NodeType
from engine.json_input import JSONRejected, loads
from engine.query.errors import QueryError
from engine.query.fields import comparable, is_array, one_of, require_field
from engine.query.limits import MAX_FILTER_DEPTH
from engine.query.paths import Paths
from engine.query.tree import (
    ALWAYS,
    NEVER,
    Compare,
    HasEdge,
    Not,
    Or,
    Predicate,
    Search,
    conjunction,
)

COMPARISONS = {">": ">", ">=": ">=", "<": "<", "<=": "<="}
# Guppy takes these in lower case too.
LOWER_CASE = {"and": "AND", "or": "OR", "in": "IN"}
ARGUMENT = "filter"


def _single(operator: str, body: Any) -> tuple[str, Any]:
    if not isinstance(body, dict) or len(body) != 1:
        raise QueryError(
            f'{ARGUMENT}: \'{operator}\' takes one field and its value, e.g. {{"{operator}": {{"submitter_id": "x"}}}}'
        )
    return next(iter(body.items()))


def _search(node: NodeType, body: Any) -> Predicate:
    if not isinstance(body, dict) or not isinstance(body.get("keyword"), str):
        raise QueryError(
            f'{ARGUMENT}: \'search\' takes {{"keyword": <text>, "fields": [<field>...]}}'
        )
    fields = body.get("fields", ["id", "submitter_id"])
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, list) or not fields:
        raise QueryError(f"{ARGUMENT}: 'search' fields must be a list of field names")
    names = tuple(require_field(node, name, ARGUMENT) for name in fields)
    return Search(names, body["keyword"].lower())


class GuppyFilter:
    """Filters of one dictionary; `predicate` reads one filter object for one node type."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self.paths = Paths(dictionary)

    def predicate(self, node: NodeType, spec: Any, depth: int = 1) -> Predicate:
        """`spec` as an object, or as its JSON text (GraphQL literals cannot spell `"="` as a key);
        `depth`: how many filters hold it, at most MAX_FILTER_DEPTH."""
        if depth > MAX_FILTER_DEPTH:
            raise QueryError(
                f"{ARGUMENT}: filters nest more than {MAX_FILTER_DEPTH} deep (AND, OR, nested), "
                "the limit"
            )
        if isinstance(spec, str):
            try:
                spec = loads(spec, f"`{ARGUMENT}`")
            except JSONRejected as error:
                raise QueryError(error.message) from None
        if not isinstance(spec, dict) or not spec:
            raise QueryError(
                f'{ARGUMENT}: expected an object such as {{"=": {{"field": value}}}}, got {spec!r}'
            )
        return conjunction([self._operator(node, op, body, depth) for op, body in spec.items()])

    def _list(self, node: NodeType, operator: str, body: Any, depth: int) -> list[Predicate]:
        if not isinstance(body, list):
            raise QueryError(f"{ARGUMENT}: '{operator}' takes a list of filters")
        return [self.predicate(node, item, depth + 1) for item in body]

    def _operator(self, node: NodeType, operator: str, body: Any, depth: int) -> Predicate:
        operator_key = LOWER_CASE.get(operator, operator)
        if operator_key == "AND":
            return conjunction(self._list(node, operator, body, depth)) if body else ALWAYS
        if operator_key == "OR":
            return Or(tuple(self._list(node, operator, body, depth)))
        if operator_key == "search":
            return _search(node, body)
        if operator_key == "nested":
            return self._nested(node, body, depth)
        if operator_key not in ("=", "!=", "IN", *COMPARISONS):
            raise QueryError(
                f"{ARGUMENT}: unknown operator {operator!r}; use AND, OR, =, !=, IN, >, >=, <, <=, "
                "search or nested"
            )
        name, value = _single(operator, body)
        name = require_field(node, name, ARGUMENT)
        if operator_key == "IN":
            if not isinstance(value, list):
                raise QueryError(f"{ARGUMENT}: 'IN' takes a list of values for {name}")
            return one_of(node, name, value, ARGUMENT)
        if isinstance(value, list | dict):
            raise QueryError(f"{ARGUMENT}: '{operator}' takes one value for {name}, not {value!r}")
        if operator_key == "=":
            return one_of(node, name, [value], ARGUMENT)
        if operator_key == "!=":
            return Not(one_of(node, name, [value], ARGUMENT))
        value = comparable(node, name, value, ARGUMENT)
        return Compare(name, COMPARISONS[operator_key], value, is_array(node, name))

    def _nested(self, node: NodeType, body: Any, depth: int) -> Predicate:
        if not isinstance(body, dict) or not isinstance(body.get("path"), str):
            raise QueryError(f"{ARGUMENT}: 'nested' takes {{\"path\": <link>, ...a filter}}")
        path = body["path"]
        edge = node.edges.get(path)
        rest = {key: value for key, value in body.items() if key != "path"}
        if edge is None:
            return self._linked(node, path, rest, depth)
        target = self.dictionary.nodes[edge.target]
        return HasEdge(edge, self.predicate(target, rest, depth + 1) if rest else ALWAYS)

    def _linked(self, node: NodeType, path: str, rest: dict[str, Any], depth: int) -> Predicate:
        """`path` a node type above or below `node` (guppy's nested path, as tube names it):
        some record of it linked to this one, however many links away, matches."""
        target = self.dictionary.nodes.get(path)
        if target is None or self.paths.reach(node.name, path, ALWAYS) == NEVER:
            raise QueryError(
                f"{ARGUMENT}: {path!r} is neither a link of {node.name} nor a node type linked to it"
            )
        where = self.predicate(target, rest, depth + 1) if rest else ALWAYS
        return self.paths.reach(node.name, path, where)
