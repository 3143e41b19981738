"""The SQL of `POST /search`: a documented subset of Data Connect's (Trino's) grammar, as a `Plan`.

sqlglot parses the text (Trino dialect); this module walks the tree and
keeps to what the graph can answer the way SQL means it:

- `SELECT [DISTINCT]` columns, `*` (one table), `alias.*`, `AS` names, `count(*)`,
  `count(col)`, `min`, `max`, `sum`, and `ga4gh_type(col, '$ref:<url>')`;
  DISTINCT takes columns that hold values (not links), as GROUP BY does;
  `CAST(col AS <type>)` of a column, and `CAST(<value> AS <type>)` wherever
  a value goes (engine/dataconnect/casts.py names the types); `CASE [col]
  WHEN <condition or value> THEN <value> ... [ELSE <value>] END`, its
  conditions those of WHERE, its results values of one type (or NULL);
- `FROM` one table (`commons.<node>`, or `<node>` alone; a live table such
  as `commons.discovery_metadata` is opened for the caller here); `[INNER] JOIN`
  along a dictionary link, `ON a.<link> = b.id`, either way round;
- `WHERE` with `AND`, `OR`, `NOT`, `= <> != < <= > >=`, `IN (...)`,
  `LIKE`, `IS [NOT] NULL`, against literals or `?` parameters; a condition
  joined with OR keeps to one table;
- `GROUP BY` one column, `ORDER BY` columns, outputs or positions
  (`NULLS FIRST|LAST`; nulls last by default, as Trino), `LIMIT`, `OFFSET`;
  without ORDER BY, rows come in the store's order (engine/dataconnect/cypher.py).

Everything else is refused with the construct named. Conditions become the
query tree's predicates (engine/query/tree.py) per table, with SQL's
three-valued NOT: `NOT p` holds where `p` is false, never where it is
unknown because the column is null. Each `?` is bound to its parameter here,
and reaches Cypher as a parameter like every literal.
"""

from __future__ import annotations

import functools
import math
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.trino import Trino
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from engine.auth.principal import Principal
from engine.dataconnect.casts import cast_type, cast_value
from engine.dataconnect.errors import DataConnectError
from engine.dataconnect.tables import Column, LiveTable, NodeTable, TableRegistry
from engine.dictionary.model import Edge, Property
from engine.dictionary.properties import json_type
from engine.query.errors import QueryError
from engine.query.fields import comparable
from engine.query.limits import bounded
from engine.query.tree import (
    And,
    AnyOf,
    Compare,
    Matches,
    Not,
    Or,
    Predicate,
    Present,
    conjunction,
)

DIALECT = "trino"
# What each `?` becomes before parsing, numbered (`:<MARKER>0`); a name no user may send,
# as named parameters are refused before it is written.
MARKER = f"dc{secrets.token_hex(4)}_"
PARSED_QUERIES = 256
MAX_QUERY_CHARS = 20_000
SUPPORTED = (
    "supported: SELECT [DISTINCT] columns, *, count/min/max/sum, ga4gh_type, CAST, CASE; "
    "FROM one table; JOIN along "
    "a link (ON a.<link> = b.id); WHERE with AND, OR, NOT, comparisons, IN, LIKE, "
    "IS [NOT] NULL; GROUP BY one column; ORDER BY; LIMIT; OFFSET"
)
AGGREGATES: dict[type[exp.Expression], str] = {
    exp.Count: "count",
    exp.Min: "min",
    exp.Max: "max",
    exp.Sum: "sum",
}
COMPARISONS: dict[type[exp.Expression], Any] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
FLIPPED = {"=": "=", "<>": "<>", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
# The parts of a SELECT this subset reads; any other one set is refused by name.
SELECT_PARTS = {
    "distinct",
    "expressions",
    "from",
    "from_",
    "joins",
    "where",
    "group",
    "order",
    "limit",
    "offset",
}
ACCEPTED = {
    "integer": ("integer",),
    "number": ("integer", "number"),
    "string": ("string",),
    "datetime": ("string",),
    "boolean": ("boolean",),
}
_NUMERIC = ("integer", "number")


@dataclass(frozen=True)
class Source:
    """A table of the FROM clause: the first one, or one joined to `parent` through `edge`."""

    alias: str
    table: NodeTable
    parent: str | None = None
    edge: Edge | None = None


@dataclass(frozen=True)
class ColumnRef:
    alias: str
    column: Column


@dataclass(frozen=True)
class Case:
    """`CASE WHEN ... THEN ... ELSE ... END`: the first branch whose condition holds gives the
    value; each condition is on one table (its alias), as a condition joined with OR is."""

    branches: tuple[tuple[str, Predicate, Any], ...]
    default: Any
    kind: str  # the JSON type of its values


@dataclass(frozen=True)
class Output:
    """A column of the result: a table column, an aggregate (`ref` None: `count(*)`) or a CASE."""

    key: str
    ref: ColumnRef | None
    aggregate: str | None = None
    semantic: str | None = None  # the `$ref` ga4gh_type gives it
    cast: str | None = None  # the Trino type CAST makes its values
    case: Case | None = None


@dataclass(frozen=True)
class OrderKey:
    """A sort key: a table column (rows), or the position of an output (aggregates)."""

    ref: ColumnRef | None
    output: int | None
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class Plan:
    sources: tuple[Source, ...]
    outputs: tuple[Output, ...]
    where: dict[str, Predicate] = field(default_factory=dict)
    aggregated: bool = False  # rows made in RETURN: by aggregates, GROUP BY or DISTINCT
    group: ColumnRef | None = None
    order: tuple[OrderKey, ...] = ()
    limit: int | None = None
    offset: int = 0
    distinct: bool = False


def refuse(construct: str) -> DataConnectError:
    return DataConnectError(f"{construct} is not supported here ({SUPPORTED})")


def construct(node: exp.Expression) -> str:
    """How a refusal names a piece of SQL: `the function upper`, `CASE`, `SUBQUERY`."""
    if isinstance(node, exp.Anonymous):
        return f"the function {node.name}"
    if isinstance(node, exp.Func) and not isinstance(node, exp.Cast | exp.Case):
        return f"the function {node.sql_name().lower()}"
    return node.key.upper().replace("_", " ")


def like_pattern(pattern: str) -> str:
    """SQL LIKE (`%` any text, `_` one character, the rest literal) as a whole-value regex."""
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return "(?s)" + "".join(parts)


def accepted_types(prop: Property) -> tuple[str, ...]:
    """The JSON types a value compared with the property may have; () when any may."""
    kind, values = (
        (prop.item_kind, prop.item_enum) if prop.kind == "array" else (prop.kind, prop.enum)
    )
    if values:
        found = {json_type(value) for value in values}
        return tuple(sorted(found | ({"integer"} if "number" in found else set())))
    return ACCEPTED.get(str(kind), ())


def _is_value(node: exp.Expression) -> bool:
    """A literal, a `?`, or a negated or CAST one: what a column may be compared with."""
    if isinstance(node, exp.Neg | exp.Cast):
        return _is_value(node.this)
    return isinstance(node, exp.Literal | exp.Placeholder | exp.Boolean | exp.Null)


def _unwrapped(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _operands(node: exp.Expression) -> list[exp.Expression]:
    """The items of a chain of one connective (`a OR b OR c`), in order, without recursion:
    sqlglot nests a long chain as deep as it is long."""
    kind, items, pending = type(node), [], [node]
    while pending:
        item = _unwrapped(pending.pop())
        if isinstance(item, kind):
            pending += [item.expression, item.this]
        else:
            items.append(item)
    return items


@functools.lru_cache(maxsize=PARSED_QUERIES)
def _statement(text: str) -> exp.Select:
    """The SELECT of a query whose `?` are numbered markers, parsed once per text: each page of
    a search reads its query again, and parsing is most of the time the plan takes. The tree is
    shared, so nothing that reads it may change it."""
    try:
        statements = [s for s in sqlglot.parse(text, read=DIALECT) if s is not None]
    except ParseError as error:
        detail = error.errors[0]["description"] if error.errors else str(error)
        raise DataConnectError(f"the query is not valid SQL: {detail}") from None
    if len(statements) != 1:
        raise DataConnectError(f"send one SQL statement, not {len(statements)}")
    statement = statements[0]
    if not isinstance(statement, exp.Select):
        raise refuse(construct(statement))
    for part, value in statement.args.items():
        if value and part not in SELECT_PARTS:
            raise refuse(part.upper().replace("_", " "))
    return statement


class Reader:
    """Reads one query against the registry's tables, with its `?` parameters."""

    def __init__(
        self, registry: TableRegistry, parameters: list[Any], who: Principal | None = None
    ) -> None:
        self.registry = registry
        self.parameters = parameters
        self.who = who
        self.sources: dict[str, Source] = {}
        self.qualifiers: dict[str, str] = {}

    # Text -> tree ----------------------------------------------------------------------

    def parse(self, query: str) -> exp.Select:
        """The one SELECT of `query`, each `?` numbered in text order (a `:marker<n>` placeholder)."""
        try:
            tokens = Trino().tokenize(query)
        except TokenError as error:
            raise DataConnectError(f"the query is not valid SQL: {error}") from None
        marks = [t for t in tokens if t.token_type == TokenType.PLACEHOLDER]
        named = [t.text for t in marks if t.text != "?"]
        if named:
            raise refuse(f"the named parameter {named[0]} (use ?)")
        if len(marks) != len(self.parameters):
            raise DataConnectError(
                f"parameters: the query has {len(marks)} ? placeholder(s) but {len(self.parameters)} "
                "parameter(s) were given; give one value for each ?, in order"
            )
        text = query
        for number, token in reversed(list(enumerate(marks))):
            text = f"{text[: token.start]}:{MARKER}{number}{text[token.end + 1 :]}"
        return _statement(text)

    # Values ----------------------------------------------------------------------------

    def value(self, node: exp.Expression) -> Any:
        """A literal or a `?` parameter's value; null is refused (SQL compares nothing with it)."""
        if isinstance(node, exp.Placeholder):
            if not str(node.this).startswith(MARKER):
                raise refuse(f"the named parameter :{node.this} (use ?)")
            found = self.parameters[int(str(node.this).removeprefix(MARKER))]
            if isinstance(found, list | dict):
                raise refuse(f"a {type(found).__name__} parameter (arrays and rows) in a condition")
            if found is None:
                raise DataConnectError("a null parameter compares with nothing: use IS NULL")
            return found
        if isinstance(node, exp.Literal):
            if node.is_string:
                return node.this
            number = float(node.this)
            return int(node.this) if re.fullmatch(r"\d+", node.this) else number
        if isinstance(node, exp.Boolean):
            return bool(node.this)
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal | exp.Placeholder):
            inner = self.value(node.this)
            if isinstance(inner, bool) or not isinstance(inner, int | float):
                raise DataConnectError(f"cannot negate {inner!r}")
            return -inner
        if isinstance(node, exp.Null):
            raise DataConnectError("nothing compares with NULL: use IS NULL or IS NOT NULL")
        if isinstance(node, exp.Cast) and _is_value(node):
            return cast_value(self.value(node.this), cast_type(node))
        raise refuse(construct(node))

    def count(self, node: exp.Expression | None, clause: str) -> int | None:
        if node is None:
            return None
        value = self.value(node.args.get("expression") or node)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DataConnectError(f"{clause} takes a whole number, 0 or more; got {value!r}")
        return value

    def checked(self, ref: ColumnRef, value: Any) -> Any:
        """`value` as it meets the column's stored values; a value of another type is refused."""
        prop = ref.column.prop
        assert prop is not None
        accepted = accepted_types(prop)
        given = json_type(value)
        if accepted and given not in accepted:
            raise DataConnectError(
                f"{ref.column.name} holds {' or '.join(accepted)} values; {value!r} is a {given}"
            )
        node = self.sources[ref.alias].table.node
        try:
            return comparable(node, ref.column.name, value, ref.column.name)
        except QueryError as error:
            raise DataConnectError(error.message) from None

    # Tables and columns -----------------------------------------------------------------

    def table(self, node: exp.Expression) -> tuple[str, NodeTable]:
        if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Identifier):
            raise refuse(construct(node))
        name = ".".join(part.name for part in node.parts)
        found = self.registry.find(name) or self.registry.find(name.lower())
        if found is None:
            raise DataConnectError(
                f"no table named {name}; GET /ga4gh/data-connect/v1/tables lists them", 404
            )
        if isinstance(found, LiveTable) and self.who is not None:
            found = found.snapshot(self.who)  # read now, for this caller
        if not isinstance(found, NodeTable):
            raise refuse(f"searching {found.name}, which is listed but not held in the graph,")
        alias = node.alias or found.name.rsplit(".", 1)[-1]
        if alias in self.sources:
            raise DataConnectError(
                f"the table name or alias {alias} is used twice; give each an AS"
            )
        if not node.alias:
            self.qualifiers[found.name] = alias
        self.qualifiers[alias] = alias
        return alias, found

    def column(self, node: exp.Column) -> ColumnRef:
        qualifier = ".".join(part.name for part in node.parts[:-1])
        name = node.name
        if qualifier:
            alias = self.qualifiers.get(qualifier) or self.qualifiers.get(qualifier.lower())
            if alias is None:
                raise DataConnectError(f"{qualifier} is not a table or alias of the query")
            candidates = [alias]
        else:
            candidates = list(self.sources)
        found = []
        for alias in candidates:
            columns = self.sources[alias].table.columns
            key = name if name in columns else name.lower()
            if key in columns:
                found.append(ColumnRef(alias, columns[key]))
        if not found:
            tables = ", ".join(self.sources[a].table.name for a in candidates)
            raise DataConnectError(f"no column {name} in {tables}")
        if len(found) > 1:
            raise DataConnectError(
                f"the column {name} is in several tables: qualify it (alias.{name})"
            )
        return found[0]

    def scalar(self, node: exp.Expression, use: str) -> ColumnRef:
        """A column that holds values (not a link), for `use` (WHERE, ORDER BY...)."""
        if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
            raise refuse(construct(node) + f" in {use}")
        ref = self.column(node)
        if ref.column.is_link:
            raise DataConnectError(
                f"{ref.column.name} is a link: select it, or JOIN through it "
                f"(ON {ref.alias}.{ref.column.name} = <table>.id); it cannot be used in {use}"
            )
        return ref

    # Clauses -----------------------------------------------------------------------------

    def from_clause(self, select: exp.Select) -> None:
        source = select.args.get("from_") or select.args.get("from")
        if source is None:
            raise DataConnectError("the query needs a FROM clause naming a table")
        alias, table = self.table(source.this)
        self.sources[alias] = Source(alias, table)
        for join in select.args.get("joins") or []:
            self.join(join)

    def join(self, join: exp.Join) -> None:
        kind = " ".join(str(join.args.get(k) or "") for k in ("side", "kind")).strip().upper()
        if kind not in ("", "INNER"):
            raise refuse(f"{kind} JOIN")
        if join.args.get("using"):
            raise refuse("JOIN ... USING")
        alias, table = self.table(join.this)
        on = join.args.get("on")
        self.sources[alias] = Source(alias, table)  # its columns may be named in ON
        if not isinstance(on, exp.EQ) or not all(
            isinstance(side, exp.Column) for side in (on.this, on.expression)
        ):
            raise DataConnectError(
                "JOIN ... ON must equal a link column and the id of the table it links to, "
                "e.g. ON s.subjects = su.id"
            )
        left, right = self.column(on.this), self.column(on.expression)
        link, target = (left, right) if left.column.is_link else (right, left)
        if not link.column.is_link or target.column.name != "id":
            raise DataConnectError("JOIN ... ON must equal a link column with the id of its target")
        if alias not in (link.alias, target.alias) or link.alias == target.alias:
            raise DataConnectError(
                f"JOIN ... ON must name the joined table {alias} and one before it"
            )
        edge = link.column.edge
        assert edge is not None
        if edge.target != self.sources[target.alias].table.node.name:
            raise DataConnectError(
                f"{link.alias}.{link.column.name} links to {edge.target}, "
                f"not to {self.sources[target.alias].table.name}"
            )
        if link.alias == alias:  # the joined table holds the link: walk it back from the target
            parent, walked = (
                target.alias,
                self.sources[target.alias].table.node.edges[edge.link.backref],
            )
        else:
            parent, walked = link.alias, edge
        self.sources[alias] = Source(alias, table, parent, walked)

    def outputs(self, select: exp.Select) -> list[Output]:
        found: list[Output] = []
        for position, item in enumerate(select.expressions):
            named = item.alias if isinstance(item, exp.Alias) else None
            inner = item.this if isinstance(item, exp.Alias) else item
            if isinstance(inner, exp.Star):
                if len(self.sources) > 1:
                    raise DataConnectError(
                        "with a JOIN, name the columns (or alias.*) instead of *"
                    )
                found += self.every_column(next(iter(self.sources)))
            elif isinstance(inner, exp.Column) and isinstance(inner.this, exp.Star):
                found += self.every_column(self.qualifiers.get(inner.table, inner.table))
            elif isinstance(inner, exp.Column):
                ref = self.column(inner)
                found.append(Output(named or ref.column.name, ref))
            elif type(inner) in AGGREGATES:
                found.append(self.aggregate(inner, named or f"_col{position}"))
            elif isinstance(inner, exp.Anonymous) and inner.name.lower() == "ga4gh_type":
                found.append(self.typed(inner, named))
            elif isinstance(inner, exp.Cast):
                found.append(self.cast(inner, named or f"_col{position}"))
            elif isinstance(inner, exp.Case):
                found.append(Output(named or f"_col{position}", None, case=self.case(inner)))
            else:
                raise refuse(construct(inner))
        keys = [output.key for output in found]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise DataConnectError(f"the result would have two columns named {repeated[0]}; use AS")
        return found

    def every_column(self, alias: str) -> list[Output]:
        if alias not in self.sources:
            raise DataConnectError(f"{alias} is not a table or alias of the query")
        return [
            Output(name, ColumnRef(alias, column))
            for name, column in self.sources[alias].table.columns.items()
        ]

    def aggregate(self, node: exp.Expression, key: str) -> Output:
        kind = AGGREGATES[type(node)]
        argument = node.this
        if kind == "count" and isinstance(argument, exp.Star):
            return Output(key, None, kind)
        ref = self.scalar(argument, f"{kind}()")
        prop = ref.column.prop
        assert prop is not None
        if kind == "sum" and prop.kind not in _NUMERIC:
            raise DataConnectError(f"sum() takes a numeric column; {ref.column.name} is not one")
        if prop.kind == "array" and kind != "count":
            raise DataConnectError(
                f"{kind}() takes a column of single values; {ref.column.name} is a list"
            )
        return Output(key, ref, kind)

    def typed(self, node: exp.Anonymous, named: str | None) -> Output:
        """`ga4gh_type(col, '$ref:<url>')`: the column, its data model a `$ref` to that URL."""
        arguments = node.expressions
        if (
            len(arguments) != 2
            or not isinstance(arguments[0], exp.Column)
            or not isinstance(arguments[1], exp.Literal | exp.Placeholder)
        ):
            raise DataConnectError("ga4gh_type takes a column and a '$ref:<url>' string")
        ref = self.column(arguments[0])
        marked = self.value(arguments[1])
        if not isinstance(marked, str) or not marked.startswith("$ref:"):
            raise DataConnectError("ga4gh_type's second argument must read '$ref:<url>'")
        return Output(named or ref.column.name, ref, semantic=marked.removeprefix("$ref:"))

    def cast(self, node: exp.Cast, key: str) -> Output:
        """`CAST(col AS <type>)`: the column's values made that type as each row is read."""
        kind = cast_type(node)
        ref = self.scalar(node.this, "CAST")
        if self.is_list(ref):
            raise DataConnectError(
                f"CAST takes a column of single values; {ref.column.name} is a list"
            )
        return Output(key, ref, cast=kind)

    def case(self, node: exp.Case) -> Case:
        """A CASE's branches: `CASE col WHEN v` is `CASE WHEN col = v`; results are values."""
        subject, conditions, values = node.this, [], []
        for branch in node.args.get("ifs") or []:
            when = branch.this  # `col = v` built from copies: the parsed tree is shared
            if subject is not None:
                when = exp.EQ(this=subject.copy(), expression=branch.this.copy())
            conditions.append(self.condition(when, False))
            values.append(self.result(branch.args["true"]))
        values.append(self.result(node.args.get("default") or exp.Null()))
        kinds = {json_type(value) for value in values if value is not None}
        if kinds == {"integer", "number"}:  # Trino's common type of the two: double
            values, kinds = [v if v is None else float(v) for v in values], {"number"}
        if len(kinds) > 1:
            raise DataConnectError(
                f"CASE gives values of one type; these are {' and '.join(sorted(kinds))}"
            )
        branches = tuple(
            (*condition, value) for condition, value in zip(conditions, values[:-1], strict=True)
        )
        return Case(branches, values[-1], kinds.pop() if kinds else "null")

    def result(self, node: exp.Expression) -> Any:
        """A THEN or ELSE value: a literal, a `?` (null allowed), a CAST one, or NULL."""
        node = _unwrapped(node)
        if isinstance(node, exp.Null) or (
            isinstance(node, exp.Placeholder)
            and str(node.this).startswith(MARKER)
            and self.parameters[int(str(node.this).removeprefix(MARKER))] is None
        ):
            return None
        if not _is_value(node):
            raise refuse(construct(node) + " as a CASE result")
        return self.value(node)

    # WHERE --------------------------------------------------------------------------------

    def conjuncts(self, node: exp.Expression, negate: bool = False) -> list[tuple[str, Predicate]]:
        """The condition as (table alias, predicate) parts that must all hold."""
        node = _unwrapped(node)
        if isinstance(node, exp.Not):
            return self.conjuncts(node.this, not negate)
        if isinstance(node, exp.And | exp.Or) and isinstance(node, exp.And) != negate:
            return [part for item in _operands(node) for part in self.conjuncts(item, negate)]
        return [self.condition(node, negate)]

    def condition(self, node: exp.Expression, negate: bool) -> tuple[str, Predicate]:
        node = _unwrapped(node)
        if isinstance(node, exp.Not):
            return self.condition(node.this, not negate)
        if isinstance(node, exp.And | exp.Or):
            parts = [self.condition(item, negate) for item in _operands(node)]
            aliases = {alias for alias, _ in parts}
            if len(aliases) > 1:
                raise refuse("OR across the columns of two tables")
            predicates = tuple(predicate for _, predicate in parts)
            both = isinstance(node, exp.And) != negate
            return parts[0][0], And(predicates) if both else Or(predicates)
        if isinstance(node, exp.Is):
            ref = self.scalar(node.this, "IS NULL")
            if not isinstance(node.expression, exp.Null):
                raise refuse("IS " + construct(node.expression))
            present = Present(ref.column.name)
            return ref.alias, present if negate else Not(present)
        ref, leaf = self.leaf(node)
        if node.args.get("negate"):  # `NOT LIKE`, `NOT IN` as sqlglot may read them
            negate = not negate
        if negate:  # SQL's NOT: false where the column is null, as the condition was unknown there
            leaf = And((Present(ref.column.name), Not(leaf)))
        return ref.alias, leaf

    def leaf(self, node: exp.Expression) -> tuple[ColumnRef, Predicate]:
        if type(node) in COMPARISONS:
            op = COMPARISONS[type(node)]
            column, other = node.this, node.expression
            if not isinstance(column, exp.Column):
                column, other, op = other, column, FLIPPED[op]
            if not isinstance(column, exp.Column):
                odd = next((side for side in (other, column) if not _is_value(side)), column)
                raise refuse(construct(odd) + " in WHERE")
            if isinstance(other, exp.Column):
                raise refuse("comparing two columns")
            ref = self.scalar(column, "WHERE")
            value = self.checked(ref, self.value(other))
            return ref, Compare(ref.column.name, op, value, self.is_list(ref))
        if isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
                raise refuse("IN with a subquery or UNNEST")
            ref = self.scalar(node.this, "WHERE")
            values = tuple(self.checked(ref, self.value(item)) for item in node.expressions)
            return ref, AnyOf(ref.column.name, values, self.is_list(ref))
        if isinstance(node, exp.Like):
            ref = self.scalar(node.this, "LIKE")
            pattern = self.value(node.expression)
            if not isinstance(pattern, str) or self.is_list(ref):
                raise DataConnectError("LIKE compares a text column with a text pattern")
            return ref, Matches(ref.column.name, like_pattern(pattern))
        raise refuse(construct(node) + " in WHERE")

    def is_list(self, ref: ColumnRef) -> bool:
        return ref.column.prop is not None and ref.column.prop.kind == "array"

    # ORDER BY ------------------------------------------------------------------------------

    def order(self, select: exp.Select, outputs: list[Output], aggregated: bool) -> list[OrderKey]:
        order = select.args.get("order")
        keys: list[OrderKey] = []
        for ordered in order.expressions if order else []:
            node = ordered.this
            desc, first = bool(ordered.args.get("desc")), bool(ordered.args.get("nulls_first"))
            position = self.output_position(node, select, outputs)
            if aggregated:
                if position is None:
                    raise DataConnectError(
                        "ORDER BY in a query with aggregates or DISTINCT names one of its outputs"
                    )
                keys.append(OrderKey(None, position, desc, first))
                continue
            if position is not None and outputs[position].cast:
                raise DataConnectError("ORDER BY a CAST output: order by its column instead")
            if position is not None and outputs[position].case:
                raise refuse("ORDER BY a CASE output")
            ref = outputs[position].ref if position is not None else self.scalar(node, "ORDER BY")
            if ref is None or ref.column.is_link:
                raise DataConnectError("ORDER BY takes columns that hold values, not links")
            keys.append(OrderKey(ref, None, desc, first))
        return keys

    def output_position(
        self, node: exp.Expression, select: exp.Select, outputs: list[Output]
    ) -> int | None:
        """Which output an ORDER BY item names: by position (1-based), by name, or by expression."""
        if isinstance(node, exp.Literal) and not node.is_string:
            number = int(float(node.this))
            if not 1 <= number <= len(outputs):
                raise DataConnectError(f"ORDER BY {number}: the result has {len(outputs)} columns")
            return number - 1
        if isinstance(node, exp.Column) and not node.table:
            names = [output.key for output in outputs]
            if node.name in names:
                return names.index(node.name)
        for position, item in enumerate(select.expressions):
            inner = item.this if isinstance(item, exp.Alias) else item
            if type(inner) in AGGREGATES and inner == node and position < len(outputs):
                return position
        return None

    # The whole query ----------------------------------------------------------------------

    def plan(self, query: str) -> Plan:
        select = self.parse(query)
        self.from_clause(select)
        outputs = self.outputs(select)
        where: dict[str, list[Predicate]] = {}
        if select.args.get("where"):
            for alias, predicate in self.conjuncts(select.args["where"].this):
                where.setdefault(alias, []).append(predicate)
        group = self.group(select)
        distinct = self.distinct(select, outputs)
        grouped = group is not None or any(output.aggregate for output in outputs)
        aggregated = grouped or distinct
        for output in outputs if aggregated else ():
            if output.cast or output.case:
                written = "CAST" if output.cast else "CASE"
                raise refuse(f"{written} in a query with aggregates, GROUP BY or DISTINCT")
        if grouped:
            for output in outputs:
                if output.aggregate is None and (group is None or output.ref != group):
                    raise DataConnectError(
                        f"{output.key} is neither aggregated nor the GROUP BY column"
                    )
        limit = select.args.get("limit")
        if limit is not None and not isinstance(limit, exp.Limit):
            raise refuse(construct(limit))
        return Plan(
            tuple(self.sources.values()),
            tuple(outputs),
            {alias: conjunction(predicates) for alias, predicates in where.items()},
            aggregated,
            group,
            tuple(self.order(select, outputs, aggregated)),
            self.count(limit, "LIMIT"),
            self.count(select.args.get("offset"), "OFFSET") or 0,
            distinct,
        )

    def distinct(self, select: exp.Select, outputs: list[Output]) -> bool:
        """`SELECT DISTINCT`: each output a column that holds values, or an aggregate."""
        distinct = select.args.get("distinct")
        if distinct is None:
            return False
        if distinct.args.get("on"):
            raise refuse("DISTINCT ON")
        for output in outputs:
            if output.ref is not None and output.ref.column.is_link:
                raise DataConnectError(
                    f"SELECT DISTINCT takes columns that hold values; {output.key} is a link"
                )
        return True

    def group(self, select: exp.Select) -> ColumnRef | None:
        group = select.args.get("group")
        if group is None:
            return None
        for part, value in group.args.items():
            if value and part != "expressions":
                raise refuse(f"GROUP BY {part.upper()}")
        if len(group.expressions) != 1:
            raise refuse("GROUP BY more than one column")
        return self.scalar(group.expressions[0], "GROUP BY")


def read_query(
    registry: TableRegistry, query: Any, parameters: Any, who: Principal | None = None
) -> Plan:
    """The plan of a search request's `query` and `parameters` (checked here: they come from JSON);
    `who` opens live tables (the discovery records) for that caller."""
    if not isinstance(query, str) or not query.strip():
        raise DataConnectError("query: a SQL SELECT statement (text) is required")
    if len(query) > MAX_QUERY_CHARS:
        raise DataConnectError(
            f"query: {len(query)} characters, more than the limit of {MAX_QUERY_CHARS}"
        )
    if parameters is None:
        parameters = []
    if not isinstance(parameters, list):
        raise DataConnectError("parameters: a JSON array of values, one for each ? in the query")
    for value in parameters:
        if isinstance(value, float) and not math.isfinite(value):
            raise DataConnectError(f"parameters: {value} is not a finite number")
    try:
        plan = Reader(registry, parameters, who).plan(query)
    except RecursionError:
        raise DataConnectError("query: nested too deeply to read") from None
    cases = [output.case for output in plan.outputs if output.case is not None]
    checked = [(predicate, "WHERE") for predicate in plan.where.values()]
    checked += [(And(tuple(p for _, p, _ in case.branches)), "CASE") for case in cases]
    for predicate, clause in checked:
        try:
            bounded(predicate, clause)
        except QueryError as error:
            raise DataConnectError(error.message) from None
    return plan
