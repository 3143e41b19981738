"""A GraphQL operation as query trees: what each root field needs, and from where.

Root fields are planned one by one: a node type's list or count becomes a
store query (engine/query/tree.py) covering its whole nested selection;
`__typename` and `_node_type` are known without the store; `viewer` holds
root fields of its own; `__schema` and `__type` are left to graphql-core.
The transaction log's fields are planned by engine/graphql/transaction_log.py.
A root field whose arguments are wrong is refused alone, with the reason,
as peregrine refuses it; the others are still answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLObjectType,
    get_argument_values,
)
from graphql.execution.values import VariableValues

from engine.dictionary.model import NodeType
from engine.graphql import transaction_log
from engine.graphql.collect import Fields, collect_fields
from engine.graphql.node_types import node_types
from engine.graphql.schema import QuerySchema
from engine.graphql.serialize import converter
from engine.query.arguments import Arguments
from engine.query.errors import QueryError
from engine.query.limits import Limits
from engine.query.tree import (
    Branch,
    Constant,
    Count,
    Entry,
    Link,
    Logged,
    Neighbours,
    NodeCount,
    NodeList,
    Shape,
    StoreQuery,
    Value,
)


@dataclass(frozen=True)
class FromStore:
    query: StoreQuery


@dataclass(frozen=True)
class Known:
    value: Any


@dataclass(frozen=True)
class Nested:
    fields: dict[str, RootField]


@dataclass(frozen=True)
class Introspection:
    nodes: list[FieldNode]


@dataclass(frozen=True)
class Refused:
    message: str


RootField = FromStore | Known | Nested | Introspection | Refused


def _count_of(name: str) -> str:
    """`_samples_count` -> `samples`; "" for any other name."""
    return name[1:-6] if name.startswith("_") and name.endswith("_count") else ""


class Planner:
    """Plans the root fields of one operation, with its fragments and variables."""

    def __init__(
        self,
        schema: QuerySchema,
        arguments: Arguments,
        limits: Limits,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.dictionary = schema.dictionary
        self.arguments = arguments
        self.limits = limits
        self.fragments = fragments
        self.variables = variables

    def collect(self, kind: GraphQLObjectType, nodes: list[FieldNode]) -> Fields:
        return collect_fields(
            self.schema.schema,
            self.fragments,
            self.variables,
            kind,
            [node.selection_set for node in nodes],
        )

    def roots(self, kind: GraphQLObjectType, fields: Fields) -> dict[str, RootField]:
        planned: dict[str, RootField] = {}
        for key, nodes in fields.items():
            try:
                planned[key] = self.root(kind, nodes)
            except QueryError as error:
                planned[key] = Refused(error.message)
        return planned

    def root(self, kind: GraphQLObjectType, nodes: list[FieldNode]) -> RootField:
        name = nodes[0].name.value
        if name == "__typename":
            return Known(kind.name)
        if name in ("__schema", "__type"):
            return Introspection(nodes)
        field = kind.fields[name]
        if name == "viewer":
            viewer = field.type
            assert isinstance(viewer, GraphQLObjectType)
            return Nested(self.roots(viewer, self.collect(viewer, nodes)))
        if name == "_node_type":
            shape = self.shape_of(field, nodes, None, 1)
            return Known(node_types(self.dictionary, shape, self._arguments(field, nodes)))
        if name == "transaction_log":
            arguments = self._arguments(field, nodes)
            return FromStore(transaction_log.listing(self.collect, field, nodes, arguments))
        if name == "_transaction_log_count":
            return FromStore(transaction_log.count(self._arguments(field, nodes)))
        if name in self.schema.counts:
            label = self.schema.counts[name]
            where = self.arguments.where(
                self.dictionary.nodes[label], self._arguments(field, nodes)
            )
            return FromStore(NodeCount(label, where))
        if name in ("node", "datanode"):
            labels = self._generic_labels(name, field, nodes)
            # `of_type` or `category` naming no node type: nothing is of it (nor asked of the store).
            return FromStore(self.node_list(labels, field, nodes, 1)) if labels else Known([])
        return FromStore(self.node_list([name], field, nodes, 1))

    def _arguments(self, field: GraphQLField, nodes: list[FieldNode]) -> dict[str, Any]:
        return get_argument_values(field, nodes[0], self.variables)

    def _generic_labels(self, name: str, field: GraphQLField, nodes: list[FieldNode]) -> list[str]:
        """The node types `node`/`datanode` list, narrowed by `of_type` and `category`.

        `node` leaves programs and projects out unless `of_type` or `category`
        names them: peregrine's `node(first: 100)` lists the entities only,
        and its `node(category: "administrative")` the programs and projects too.
        """
        arguments = self._arguments(field, nodes)
        of_type, category = arguments.get("of_type"), arguments.get("category")
        if name == "datanode":
            labels = self.schema.data_labels
        elif of_type is None and category is None:
            labels = self.schema.node_labels
        else:
            labels = tuple(self.schema.object_types)
        return [
            label
            for label in labels
            if (of_type is None or label in of_type)
            and (category is None or self.dictionary.nodes[label].category == category)
        ]

    def node_list(
        self, labels: list[str], field: GraphQLField, nodes: list[FieldNode], depth: int
    ) -> NodeList:
        self.limits.check_depth(depth)
        arguments = self._arguments(field, nodes)
        types = [self.dictionary.nodes[label] for label in labels]
        branches = tuple(
            Branch(
                node.name,
                self.arguments.where(node, arguments),
                self.shape_of(field, nodes, node, depth),
            )
            for node in types
        )
        return NodeList(branches, self.arguments.page(types, arguments))

    def neighbours(
        self, key: str, node: NodeType, field: GraphQLField, nodes: list[FieldNode], depth: int
    ) -> Entry:
        """`_links`: the node's neighbours of every type its links reach (of `category`, if
        given), each by the relationship types that lead there."""
        routes: dict[str, set[str]] = {}
        for edge in node.edges.values():
            routes.setdefault(edge.target, set()).add(edge.relationship)
        category = self._arguments(field, nodes).get("category")
        labels = sorted(
            label
            for label in routes
            if category is None or self.dictionary.nodes[label].category == category
        )
        if not labels:
            return Constant(key, [])
        listed = self.node_list(labels, field, nodes, depth + 1)
        return Neighbours(
            key, tuple((label, tuple(sorted(routes[label]))) for label in labels), listed
        )

    def shape_of(
        self, field: GraphQLField, nodes: list[FieldNode], node: NodeType | None, depth: int
    ) -> Shape:
        """The entries answered for `node` (None: a `_NodeType`, read from the dictionary)."""
        kind = field.type.of_type if node is None else self.schema.object_types[node.name]  # type: ignore[union-attr]
        entries: list[Entry] = []
        for key, selected in self.collect(kind, nodes).items():
            name = selected[0].name.value
            if name == "__typename":
                entries.append(Constant(key, kind.name))
            elif node is not None and name == "type":
                entries.append(Constant(key, node.name))
            elif node is not None and name in node.edges:
                edge = node.edges[name]
                child = self.node_list([edge.target], kind.fields[name], selected, depth + 1)
                entries.append(Link(key, edge, child))
            elif node is not None and _count_of(name) in node.edges:
                edge = node.edges[_count_of(name)]
                arguments = self._arguments(kind.fields[name], selected)
                where = self.arguments.where(self.dictionary.nodes[edge.target], arguments)
                entries.append(Count(key, edge, where))
            elif node is not None and name in ("_transaction_logs", "_transaction_logs_count"):
                arguments = self._arguments(kind.fields[name], selected)
                logged = transaction_log.of_node(
                    self.collect, name, kind.fields[name], selected, arguments
                )
                entries.append(Logged(key, logged))
            elif node is not None and name == "_links":
                entries.append(self.neighbours(key, node, kind.fields[name], selected, depth))
            else:
                entries.append(Value(key, name, converter(kind.fields[name].type)))
        return Shape(tuple(entries))
