"""Guppy's GraphQL API on the live graph: rows, `_aggregation` and `_mapping` per node type.

The Gen3 data portal's explorer and guppy's own clients send these queries;
guppy answers them from Elasticsearch indices an ETL fills, Commons from
the graph as it is. The schema is described with graphql-core's classes
from the compiled dictionary, one row type and one aggregation type per
node type, each explorable property a field (engine/query/facets.py says
which, and as what), resolvers on the fields that need them. What is served
is strawberry's, as for peregrine's schema: engine/graphql/strawberry_schema.py
converts the description's SDL and keeps its resolvers, which stay
graphql-core's (they read `info.path`, `info.field_nodes`); requests run on
its graphql-core schema.

An `_aggregation { <type> { ... } }` field reads its own selection (which
facets, which histogram arguments, through fragments and @skip/@include)
and answers all of it with one statement (engine/query/aggregate.py)
instead of one store round trip per facet; the fields below it only pick
their part of that answer, by response key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLFloat,
    GraphQLIncludeDirective,
    GraphQLInt,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSkipDirective,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    execute_sync,
    validate,
)
from graphql.execution.values import get_argument_values, get_directive_values

from engine.dictionary.graphql_names import is_name
from engine.dictionary.model import Dictionary
from engine.graph.store import GraphStore
from engine.graphql.document import read_document
from engine.graphql.strawberry_schema import plain, strawberry_schema_of
from engine.query.access import ACCESSIBILITIES, Access
from engine.query.aggregate import Chart, aggregate
from engine.query.facets import Facet, facets
from engine.query.limits import Limits
from engine.query.linked import DEFAULT_HOPS, linked_facets
from engine.query.rows import read_rows
from engine.query.scope import Scope

# The total's key in an aggregation's answer: not a GraphQL name, so no alias can take it.
TOTAL = " total"

# graphql-core's default coercion is guppy's: any value in and out, an object literal
# read as JSON with the variables in it filled in.
JSON = GraphQLScalarType("JSON", description="Any JSON value: guppy's filter and sort.")
ACCESSIBILITY = GraphQLEnumType("Accessibility", {name: name for name in ACCESSIBILITIES})


def _by_key(parent: dict[str, Any], info: GraphQLResolveInfo, **_: Any) -> Any:
    """This field's part of its parent's answer, found by response key (its alias, if any)."""
    return parent.get(info.path.key)


_STRING_BUCKET = GraphQLObjectType(
    "BucketsForString", {"key": GraphQLField(GraphQLString), "count": GraphQLField(GraphQLInt)}
)
_NUMBER_BUCKET = GraphQLObjectType(
    "BucketsForNumber",
    {
        "key": GraphQLField(GraphQLList(GraphQLFloat)),
        "count": GraphQLField(GraphQLInt),
        **{stat: GraphQLField(GraphQLFloat) for stat in ("min", "max", "avg", "sum")},
    },
)
_STRING_HISTOGRAM = GraphQLObjectType(
    "HistogramForString",
    {"histogram": GraphQLField(GraphQLList(_STRING_BUCKET), resolve=_by_key)},
)
_NUMBER_HISTOGRAM_FIELD = GraphQLField(
    GraphQLList(_NUMBER_BUCKET),
    args={
        "rangeStart": GraphQLArgument(GraphQLFloat),
        "rangeEnd": GraphQLArgument(GraphQLFloat),
        "rangeStep": GraphQLArgument(GraphQLFloat),
        "binCount": GraphQLArgument(GraphQLInt),
    },
    resolve=_by_key,
)
_NUMBER_HISTOGRAM = GraphQLObjectType("HistogramForNumber", {"histogram": _NUMBER_HISTOGRAM_FIELD})
_SCALARS: dict[str, GraphQLOutputType] = {
    "text": GraphQLString,
    "number": GraphQLFloat,
    "boolean": GraphQLBoolean,
}


# Type names the schema defines itself; a node type's names stay clear of them.
_OWN_TYPES = frozenset(
    {"Query", "Aggregation", "Mapping", "JSON", "Accessibility"}
    | {"BucketsForString", "BucketsForNumber", "HistogramForString", "HistogramForNumber"}
)


def _type_name(label: str) -> str:
    """Guppy's name for a node type's row type: the first letter upper-cased (`Read_group`)."""
    name = label[:1].upper() + label[1:]
    return f"{name}Type" if name in _OWN_TYPES else name


@dataclass(frozen=True)
class Context:
    store: GraphStore
    dictionary: Dictionary
    access: Access


def _row_type(name: str, found: dict[str, Facet]) -> GraphQLObjectType:
    return GraphQLObjectType(
        name,
        {
            facet.name: GraphQLField(
                GraphQLList(_SCALARS[facet.kind]) if facet.array else _SCALARS[facet.kind]
            )
            for facet in found.values()
        },
    )


def _histograms(found: dict[str, Facet]) -> dict[str, GraphQLField]:
    """A histogram field per facet, keyed by its GraphQL name (a linked facet's property)."""
    return {
        facet.prop: GraphQLField(
            _NUMBER_HISTOGRAM if facet.numeric else _STRING_HISTOGRAM,
            resolve=lambda parent, info: parent.get(info.path.key, {}),
        )
        for facet in found.values()
    }


def _aggregation_type(
    name: str, found: dict[str, Facet], linked: dict[str, dict[str, Facet]]
) -> GraphQLObjectType:
    """`_totalCount`, a histogram per facet, and an object per linked type holding a histogram
    per facet of it (guppy's nested aggregation: `demographic { sex { histogram {...} } }`)."""
    fields = {"_totalCount": GraphQLField(GraphQLInt, resolve=lambda parent, info: parent[TOTAL])}
    fields.update(_histograms(found))
    for label, of_type in linked.items():
        fields[label] = GraphQLField(
            GraphQLObjectType(f"{name}Linked{_type_name(label)}", _histograms(of_type)),
            resolve=lambda parent, info: parent.get(info.path.key, {}),
        )
    return GraphQLObjectType(f"{name}Aggregation", fields)


def _included(node: Any, info: GraphQLResolveInfo) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, info.variable_values)
    include = get_directive_values(GraphQLIncludeDirective, node, info.variable_values)
    return not (skip and skip["if"]) and not (include and not include["if"])


def _selected(
    selection_set: SelectionSetNode | None, info: GraphQLResolveInfo
) -> Iterator[FieldNode]:
    """The fields a selection set asks for, through fragments, as the executor will see them."""
    for selection in selection_set.selections if selection_set else ():
        if not _included(selection, info):
            continue
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _selected(selection.selection_set, info)
        elif isinstance(selection, FragmentSpreadNode):
            yield from _selected(info.fragments[selection.name.value].selection_set, info)


def _key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def _charts(
    info: GraphQLResolveInfo,
    found: dict[str, Facet],
    linked: dict[str, dict[str, Facet]],
    filter_self: bool,
) -> Iterator[tuple[tuple[str, ...], Chart]]:
    """(response keys down to the histogram, chart) for every histogram the aggregation field
    selects, a linked type's ones too."""
    for field_node in info.field_nodes:
        for facet_node in _selected(field_node.selection_set, info):
            name = facet_node.name.value
            if name in found:
                for keys, chart in _facet_charts(info, facet_node, found[name], filter_self):
                    yield (_key(facet_node), *keys), chart
            elif name in linked:
                for inner in _selected(facet_node.selection_set, info):
                    facet = linked[name].get(inner.name.value)
                    if facet is None:
                        continue
                    for keys, chart in _facet_charts(info, inner, facet, filter_self):
                        yield (_key(facet_node), _key(inner), *keys), chart


def _facet_charts(
    info: GraphQLResolveInfo, facet_node: FieldNode, facet: Facet, filter_self: bool
) -> Iterator[tuple[tuple[str], Chart]]:
    for histogram in _selected(facet_node.selection_set, info):
        if histogram.name.value != "histogram":
            continue
        args = (
            get_argument_values(_NUMBER_HISTOGRAM_FIELD, histogram, info.variable_values)
            if facet.numeric
            else {}
        )
        chart = Chart(
            facet,
            filter_self,
            args.get("rangeStart"),
            args.get("rangeEnd"),
            args.get("rangeStep"),
            args.get("binCount"),
        )
        yield (_key(histogram),), chart


def _scope(info: GraphQLResolveInfo, label: str, filter: Any, accessibility: Any) -> Scope:
    context: Context = info.context
    return Scope(
        context.dictionary,
        context.dictionary.nodes[label],
        filter,
        plain(accessibility),
        context.access,
    )


def _resolve_rows(label: str) -> Any:
    def resolve(
        _: Any,
        info: GraphQLResolveInfo,
        offset: int = 0,
        first: int = 10,
        sort: Any = None,
        filter: Any = None,
        accessibility: Any = "accessible",
    ) -> list[dict[str, Any]]:
        scope = _scope(info, label, filter, accessibility)
        return read_rows(info.context.store, scope, offset=offset, first=first, sort=sort)

    return resolve


def _resolve_aggregation(label: str, linked: dict[str, dict[str, Facet]]) -> Any:
    def resolve(
        _: Any,
        info: GraphQLResolveInfo,
        filter: Any = None,
        accessibility: Any = "accessible",
        filterSelf: bool = True,
    ) -> dict[str, Any]:
        scope = _scope(info, label, filter, accessibility)
        requests = list(_charts(info, facets(scope.node), linked, filterSelf))
        total, answers = aggregate(info.context.store, scope, [chart for _, chart in requests])
        answer: dict[str, Any] = {TOTAL: total}
        for (keys, _), buckets in zip(requests, answers, strict=True):
            place = answer
            for key in keys[:-1]:
                place = place.setdefault(key, {})
            place[keys[-1]] = buckets
        return answer

    return resolve


def _linked_by_type(
    dictionary: Dictionary, label: str, own: dict[str, Facet], hops: int
) -> dict[str, dict[str, Facet]]:
    """A root type's linked facets by linked type and property, as GraphQL can name them."""
    grouped: dict[str, dict[str, Facet]] = {}
    for facet in linked_facets(dictionary, dictionary.nodes[label], hops).values():
        assert facet.linked is not None
        if is_name(facet.linked) and facet.linked not in own and is_name(facet.prop):
            grouped.setdefault(facet.linked, {})[facet.prop] = facet
    return grouped


class GuppySchema:
    """The guppy schema of one dictionary; `execute` answers one request."""

    def __init__(
        self,
        dictionary: Dictionary,
        max_fields: int = Limits.max_fields,
        link_hops: int = DEFAULT_HOPS,
    ) -> None:
        """`max_fields`: the most fields one request may select (GRAPHQL_MAX_FIELDS);
        `link_hops`: how far linked facets reach (EXPLORE_LINK_HOPS, engine/query/linked.py)."""
        self.dictionary = dictionary
        self.max_fields = max_fields
        labels = [label for label in sorted(dictionary.nodes) if is_name(label)]
        rows: dict[str, GraphQLField] = {}
        aggregations: dict[str, GraphQLField] = {}
        for label in labels:
            found = {
                name: f for name, f in facets(dictionary.nodes[label]).items() if is_name(name)
            }
            rows[label] = GraphQLField(
                GraphQLList(_row_type(_type_name(label), found)),
                args={
                    "offset": GraphQLArgument(GraphQLInt, default_value=0),
                    "first": GraphQLArgument(GraphQLInt, default_value=10),
                    "sort": GraphQLArgument(JSON),
                    "filter": GraphQLArgument(JSON),
                    "accessibility": GraphQLArgument(ACCESSIBILITY, default_value="accessible"),
                },
                resolve=_resolve_rows(label),
            )
            linked = _linked_by_type(dictionary, label, found, link_hops)
            aggregations[label] = GraphQLField(
                _aggregation_type(_type_name(label), found, linked),
                args={
                    "filter": GraphQLArgument(JSON),
                    # Readable data unless asked otherwise: spanning more is the tier's to allow.
                    "accessibility": GraphQLArgument(ACCESSIBILITY, default_value="accessible"),
                    "filterSelf": GraphQLArgument(GraphQLBoolean, default_value=True),
                },
                resolve=_resolve_aggregation(label, linked),
            )
        mapping = {
            label: sorted(name for name in facets(dictionary.nodes[label]) if is_name(name))
            for label in labels
        }
        query = GraphQLObjectType(
            "Query",
            {
                **rows,
                "_aggregation": GraphQLField(
                    GraphQLObjectType("Aggregation", aggregations), resolve=lambda *_: {}
                ),
                "_mapping": GraphQLField(
                    GraphQLObjectType(
                        "Mapping",
                        {label: GraphQLField(GraphQLList(GraphQLString)) for label in labels},
                    ),
                    resolve=lambda *_: mapping,
                ),
            },
        )
        self.description = GraphQLSchema(query)
        self.schema = strawberry_schema_of(self.description)._schema

    def execute(
        self,
        store: GraphStore,
        access: Access,
        query: Any,
        variables: Any = None,
        operation_name: Any = None,
    ) -> tuple[dict[str, Any], int]:
        """The response body and its HTTP status: 400 whenever there is an error, as guppy does."""
        if not isinstance(query, str) or not query.strip():
            return {"data": None, "errors": [{"message": "the body needs a 'query' string"}]}, 400
        if variables is not None and not isinstance(variables, dict):
            return {"data": None, "errors": [{"message": "'variables' must be an object"}]}, 400
        try:
            document = read_document(query, self.max_fields)
        except GraphQLError as error:
            return {"data": None, "errors": [error.formatted]}, 400
        invalid = validate(self.schema, document)
        if invalid:
            return {"data": None, "errors": [error.formatted for error in invalid]}, 400
        result = execute_sync(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name if isinstance(operation_name, str) else None,
            context_value=Context(store, self.dictionary, access),
        )
        return result.formatted, 400 if result.errors else 200
