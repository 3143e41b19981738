"""Run the store queries of a request in one round trip, and shape the rows as the response.

The statement comes back as one row of nested maps; `Answer` walks them with
the query tree, in response order, serializing each scalar as GraphQL would
and counting the objects against the rows limit.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from engine.graph.store import GraphStore
from engine.query.cypher import LABEL_KEY, Statement, build_statement
from engine.query.limits import Limits
from engine.query.tree import (
    Computed,
    Constant,
    Count,
    Link,
    Logged,
    Neighbours,
    NodeList,
    Shape,
    StoreQuery,
    Value,
)


class Answer:
    """Turns returned maps into response objects; collects the field errors met on the way."""

    def __init__(self, keys: dict[int, str], limits: Limits) -> None:
        self.keys = keys
        self.limits = limits
        self.rows = 0
        self.errors: list[str] = []

    def nodes(self, nodes: NodeList, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(nodes.branches) == 1:
            shape = nodes.branches[0].shape
            return [self.node(shape, record) for record in records]
        shapes = {branch.label: branch.shape for branch in nodes.branches}
        return [self.node(shapes[record[LABEL_KEY]], record) for record in records]

    def node(self, shape: Shape, record: dict[str, Any]) -> dict[str, Any]:
        self.rows += 1
        if self.rows > self.limits.max_rows:
            raise self.limits.too_many_rows()
        keys = self.keys
        answer: dict[str, Any] = {}
        for entry in shape.entries:
            if isinstance(entry, Value):
                answer[entry.key] = self.value(entry, record.get(keys[id(entry)]))
            elif isinstance(entry, Constant):
                answer[entry.key] = entry.value
            elif isinstance(entry, Count):
                answer[entry.key] = record[keys[id(entry)]]
            elif isinstance(entry, Link | Neighbours):
                answer[entry.key] = self.nodes(entry.nodes, record[keys[id(entry)]])
            elif isinstance(entry, Computed):
                answer[entry.key] = entry.compute(record[keys[id(entry)]])
            elif isinstance(entry, Logged):
                answer[entry.key] = self.result(entry.query, record[keys[id(entry)]])
        return answer

    def result(self, query: StoreQuery, found: Any) -> Any:
        """A list's objects from its returned maps; a count as it is shown."""
        if isinstance(query, NodeList):
            return self.nodes(query, found)
        return query.shown(found)

    def value(self, entry: Value, stored: Any) -> Any:
        try:
            return entry.convert(stored)
        except GraphQLError as error:
            self.errors.append(f"{entry.key}: {error.message}")
            return None


def run_queries(
    store: GraphStore,
    queries: list[StoreQuery],
    limits: Limits,
    readable: frozenset[str] | None = None,
) -> tuple[list[Any], list[str]]:
    """The answer to each query (a list of objects, or a count) and the field errors, in one round trip."""
    if not queries:
        return [], []
    statement: Statement = build_statement(queries, readable=readable, max_rows=limits.max_rows)
    rows = store.read(statement.text, statement.parameters, timeout=limits.timeout_s)
    row = rows[0]
    answer = Answer(statement.keys, limits)
    results = [
        answer.result(query, row[column])
        for query, column in zip(queries, statement.columns, strict=True)
    ]
    return results, answer.errors
