"""A search over a table opened with its rows in hand (a `HeldTable`), answered in memory.

The plan is the one sql.py reads for every table, so the SQL subset, its
refusals and its three-valued NOT are the same; only the execution differs:
the query tree's predicates are checked on each row, as Cypher would check
them (a comparison of values of different JSON types holds nowhere), then
rows are grouped (or made DISTINCT), sorted (nulls last unless NULLS FIRST; otherwise by the
table's key column) and returned whole, for read_page to cut into pages.
Object columns (and lists of objects) are only selected: a condition, sort
or aggregate on one is refused naming it.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from typing import Any

from engine.dataconnect.errors import DataConnectError
from engine.dataconnect.sql import ColumnRef, OrderKey, Output, Plan, refuse
from engine.dataconnect.tables import HeldTable
from engine.dictionary.model import Property
from engine.query.tree import And, AnyOf, Compare, Matches, Not, Or, Predicate, Present

Row = dict[str, Any]
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _family(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _compare(stored: Any, op: str, value: Any) -> bool:
    """`stored op value` as Cypher answers it: values of different types compare false."""
    if stored is None or _family(stored) != _family(value):
        return False
    return _OPS[op](stored, value)


def _items(row: Row, prop: str, array: bool) -> list[Any]:
    value = row.get(prop)
    return value if array and isinstance(value, list) else [value]


def holds(predicate: Predicate, row: Row) -> bool:
    """Does `row` meet `predicate`? Only the predicates sql.py makes are met here."""
    match predicate:
        case And(predicates):
            return all(holds(p, row) for p in predicates)
        case Or(predicates):
            return any(holds(p, row) for p in predicates)
        case Not(inner):
            return not holds(inner, row)
        case Present(prop):
            return row.get(prop) is not None
        case Compare(prop, op, value, array):
            return any(_compare(item, op, value) for item in _items(row, prop, array))
        case AnyOf(prop, values, array):
            items = _items(row, prop, array)
            return any(_compare(item, "=", value) for item in items for value in values)
        case Matches(prop, pattern):
            value = row.get(prop)
            return isinstance(value, str) and re.fullmatch(pattern, value) is not None
    raise refuse(type(predicate).__name__)


def _props(predicate: Predicate) -> set[str]:
    match predicate:
        case And(predicates) | Or(predicates):
            return {name for p in predicates for name in _props(p)}
        case Not(inner):
            return _props(inner)
    return {predicate.prop} if hasattr(predicate, "prop") else set()


def _scalar_items(prop: Property) -> bool:
    """Does the column hold scalars, or lists of scalars of one kind?"""
    if prop.kind == "array":
        return prop.item_kind not in (None, "object", "array")
    return prop.kind != "object"


def _check_scalars(plan: Plan, table: HeldTable) -> None:
    """Refuse a condition, sort, group or aggregate on an object column, naming it."""
    conditions = [*plan.where.values()]
    conditions += [p for o in plan.outputs if o.case for _, p, _ in o.case.branches]
    used = {name for p in conditions for name in _props(p)}
    used |= {o.ref.column.name for o in plan.outputs if o.aggregate and o.ref is not None}
    used |= {k.ref.column.name for k in plan.order if k.ref is not None}
    if plan.group is not None:
        used.add(plan.group.column.name)
    for name in sorted(used):
        prop = table.columns[name].prop
        if prop is not None and not _scalar_items(prop):
            raise DataConnectError(
                f"{name} of {table.name} holds objects (or values of several shapes): select it; "
                "WHERE, ORDER BY, GROUP BY and aggregates take its scalar and list columns"
            )
    sorted_by = [("ORDER BY", k.ref) for k in plan.order if k.ref is not None]
    for clause, ref in [*sorted_by, ("GROUP BY", plan.group)]:
        prop = ref.column.prop if ref is not None else None
        if prop is not None and prop.kind == "array":
            raise DataConnectError(f"{clause} {prop.name}: it holds lists; use a scalar column")


def _rank(value: Any) -> tuple[str, Any]:
    """A sort key for values of mixed types: grouped by type, then in their own order."""
    return (_family(value), value)


def _sorted(rows: list[Row], keys: list[tuple[Callable[[Row], Any], OrderKey]]) -> list[Row]:
    """Rows by `keys`, the first deciding most; nulls last unless the key says NULLS FIRST."""
    for value, key in reversed(keys):
        present = sorted(
            (row for row in rows if value(row) is not None),
            key=lambda row: _rank(value(row)),
            reverse=key.descending,
        )
        absent = [row for row in rows if value(row) is None]
        rows = absent + present if key.nulls_first else present + absent
    return rows


def _aggregate(output: Output, group: list[Row]) -> Any:
    if output.ref is None:
        return len(group)
    values = [row.get(output.ref.column.name) for row in group]
    values = [value for value in values if value is not None]
    if output.aggregate == "count":
        return len(values)
    if len({_family(value) for value in values}) > 1:
        raise DataConnectError(f"{output.aggregate}({output.ref.column.name}): mixed value types")
    if output.aggregate == "sum":
        return sum(values) if values else None
    pick = min if output.aggregate == "min" else max
    return pick(values) if values else None


def _column(ref: ColumnRef) -> Callable[[Row], Any]:
    return lambda row: row.get(ref.column.name)


def _value(output: Output, row: Row) -> Any:
    if output.case is not None:
        found = (value for _, predicate, value in output.case.branches if holds(predicate, row))
        return next(found, output.case.default)
    return row.get(output.ref.column.name) if output.ref is not None else None


def held_rows(plan: Plan, table: HeldTable) -> list[Row]:
    """Every row of the search, in order, before OFFSET and LIMIT."""
    if len(plan.sources) > 1:
        raise refuse(f"JOIN with {table.name}")
    _check_scalars(plan, table)
    where = next(iter(plan.where.values()), None)
    found = [row for row in table.rows if where is None or holds(where, row)]
    if not plan.aggregated:
        ordered = [(_column(k.ref), k) for k in plan.order if k.ref is not None]
        default = OrderKey(None, None, descending=False, nulls_first=False)
        found = _sorted(found, [*ordered, (lambda row: row.get(table.key), default)])
        return [{o.key: _value(o, row) for o in plan.outputs} for row in found]
    if plan.group is None and not any(o.aggregate for o in plan.outputs):  # DISTINCT alone
        answered = [{o.key: _value(o, row) for o in plan.outputs} for row in found]
    else:
        groups: dict[Any, list[Row]] = {}
        if plan.group is None:
            groups[None] = found
        for row in found if plan.group is not None else ():
            groups.setdefault(_rank(row.get(plan.group.column.name)), []).append(row)
        answered = [
            {
                o.key: _aggregate(o, group) if o.aggregate else _value(o, group[0])
                for o in plan.outputs
            }
            for group in groups.values()
        ]
    if plan.distinct:  # the first of equal rows kept, in their order
        unique: dict[str, Row] = {}
        for row in answered:
            unique.setdefault(json.dumps(row, sort_keys=True, default=str), row)
        answered = list(unique.values())
    keys = [
        (lambda row, key=plan.outputs[k.output].key: row.get(key), k)
        for k in plan.order
        if k.output is not None
    ]
    return _sorted(answered, keys)
