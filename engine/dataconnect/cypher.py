"""A `Plan` as one Cypher statement, for one window of its rows.

The tables become a chain of `MATCH`es, each joined table walked from its
parent along the dictionary link; each table's conditions and the
readable-projects condition are written by the query builder GraphQL uses
(`ConditionBuilder.where`), so a joined or linked record is held to the
same access as the first. Rows are cut to the window (`SKIP`/`LIMIT`) before
link columns are read, so a page costs its own rows' links only; a link
column is a pattern comprehension, not a `CALL` subquery: the embedded
ArcadeDB runs any statement holding a `CALL` with its traditional executor,
and one without it with its cost-based optimizer (an index seek on the
first table's conditions; tests/test_data_connect.py asks its EXPLAIN). Without
ORDER BY, rows come in the store's own order, which is the same for every
page while the data do not change, and the store stops reading at the
page's end: sorting 100,000 samples by id to serve the first 100 took
1.5 s where the unsorted page took 0.18 s (embedded ArcadeDB, a busy
2-core machine). An ORDER BY is followed by each table's `id`, so rows with
equal sort values keep one order across pages. Aggregates group in `RETURN`
(as DISTINCT makes its rows, `RETURN DISTINCT`) and are sorted and cut after
it, by the group's values last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.dataconnect.sql import Case, ColumnRef, OrderKey, Output, Plan
from engine.graph.cypher import name
from engine.query.cypher import ConditionBuilder, arrow
from engine.query.tree import ALWAYS


@dataclass(frozen=True)
class Statement:
    text: str
    parameters: dict[str, Any]
    plan: Plan
    variables: dict[str, str]


def _sort_key(expression: str, key: OrderKey) -> list[str]:
    """Nulls last unless asked first, whichever the direction (Trino's default)."""
    return [
        f"{expression} IS NULL{' DESC' if key.nulls_first else ''}",
        f"{expression}{' DESC' if key.descending else ''}",
    ]


def _property(variables: dict[str, str], ref: ColumnRef) -> str:
    return f"{variables[ref.alias]}.{name(ref.column.name)}"


def build(plan: Plan, readable: frozenset[str] | None, skip: int, limit: int) -> Statement:
    """The statement answering rows `skip` to `skip + limit` of the plan's result."""
    builder = ConditionBuilder(readable, max_rows=0)
    variables = {source.alias: f"t{index}" for index, source in enumerate(plan.sources)}
    clauses = []
    for source in plan.sources:
        variable, label = variables[source.alias], source.table.node.label
        where = builder.where(variable, label, plan.where.get(source.alias, ALWAYS))
        if source.parent is None or source.edge is None:
            clauses.append(f"MATCH ({variable}:{name(label)}){where}")
        else:
            walk = arrow(source.edge, name(source.edge.relationship))
            clauses.append(
                f"MATCH ({variables[source.parent]}){walk}({variable}:{name(label)}){where}"
            )
    window = f"SKIP {builder.parameters.add(skip)} LIMIT {builder.parameters.add(limit)}"
    if plan.aggregated:
        clauses.append(_aggregates(plan, variables, window))
    else:
        clauses += _rows(plan, variables, builder, window)
    return Statement(" ".join(clauses), builder.parameters.values, plan, variables)


def _rows(
    plan: Plan, variables: dict[str, str], builder: ConditionBuilder, window: str
) -> list[str]:
    keys = [
        part
        for key in plan.order
        if key.ref is not None
        for part in _sort_key(_property(variables, key.ref), key)
    ]
    if keys:  # ties broken by id, so equal sort values never straddle two pages differently
        keys += [f"{variable}.id" for variable in variables.values()]
    order = f" ORDER BY {', '.join(keys)}" if keys else ""
    clauses = [f"WITH {', '.join(variables.values())}{order} {window}"]
    computed: list[str] = []  # link columns and CASEs
    fields: dict[str, list[str]] = {variable: [] for variable in variables.values()}
    for position, output in enumerate(plan.outputs):
        if output.case is not None:
            computed.append(f"{_case(output.case, variables, builder)} AS c{position}")
            continue
        assert output.ref is not None
        variable = variables[output.ref.alias]
        column = output.ref.column
        if column.edge is None:
            fields[variable].append(f".{name(column.name)}")
            continue
        target = builder.variable()
        walk = arrow(column.edge, name(column.edge.relationship))
        linked = column.edge.target
        computed.append(
            f"[({variable}){walk}({target}:{name(linked)}){builder.where(target, linked, ALWAYS)}"
            f" | {target} {{.id, .submitter_id}}] AS l{position}"
        )
    projections = [
        f"{variable} {{{', '.join(dict.fromkeys(selected))}}} AS {variable}"
        for variable, selected in fields.items()
        if selected
    ]
    clauses.append(f"RETURN {', '.join(projections + computed)}")
    return clauses


def _case(case: Case, variables: dict[str, str], builder: ConditionBuilder) -> str:
    branches = " ".join(
        f"WHEN {builder.condition(variables[alias], predicate)} "
        f"THEN {builder.parameters.add(value)}"
        for alias, predicate, value in case.branches
    )
    return f"CASE {branches} ELSE {builder.parameters.add(case.default)} END"


def _aggregate(variables: dict[str, str], output: Output) -> str:
    if output.ref is None:
        return "count(*)"
    return f"{output.aggregate}({_property(variables, output.ref)})"  # count, min, max or sum


def _aggregates(plan: Plan, variables: dict[str, str], window: str) -> str:
    columns = [
        f"{_aggregate(variables, output) if output.aggregate or output.ref is None else _property(variables, output.ref)}"
        f" AS o{position}"
        for position, output in enumerate(plan.outputs)
    ]
    keys = [
        part
        for key in plan.order
        if key.output is not None
        for part in _sort_key(f"o{key.output}", key)
    ]
    grouped = [f"o{i}" for i, output in enumerate(plan.outputs) if output.aggregate is None]
    keys += grouped
    order = f" ORDER BY {', '.join(keys)}" if keys else ""
    distinct = "DISTINCT " if plan.distinct else ""
    return f"RETURN {distinct}{', '.join(columns)}{order} {window}"


def rows(statement: Statement, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statement's records as result rows: the outputs in order, links as id/submitter_id."""
    plan, variables = statement.plan, statement.variables
    found = []
    for record in records:
        row: dict[str, Any] = {}
        for position, output in enumerate(plan.outputs):
            if plan.aggregated:
                row[output.key] = record[f"o{position}"]
                continue
            if output.case is not None:
                row[output.key] = record[f"c{position}"]
                continue
            assert output.ref is not None
            column = output.ref.column
            if column.edge is None:
                row[output.key] = record[variables[output.ref.alias]].get(column.name)
                continue
            linked = sorted(record[f"l{position}"], key=lambda item: str(item.get("id")))
            row[output.key] = (linked[0] if linked else None) if column.to_one else linked
        found.append(row)
    return found
