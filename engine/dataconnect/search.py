"""One page of a search (or of a table's data), and where the next one starts.

A page is the plan's rows `start` to `start + size`, read with one row more
than the page: that extra row says there is a next page without counting
the whole result. The user's own OFFSET and LIMIT bound the sequence; the
page size (DATA_CONNECT_PAGE_SIZE) cuts it. Each page is the same statement
over another window, so its `data_model`, made from the plan alone, is the
same on every page. A held table's rows (engine/dataconnect/held.py) are
cut into the same windows in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.auth.principal import Principal
from engine.dataconnect.casts import SCHEMAS, cast_value
from engine.dataconnect.cypher import build, rows
from engine.dataconnect.errors import DataConnectError
from engine.dataconnect.held import held_rows
from engine.dataconnect.sql import Output, Plan, read_query
from engine.dataconnect.tables import SCHEMA_DRAFT, HeldTable, Schema, Table, TableRegistry
from engine.graph.store import GraphStore


@dataclass(frozen=True)
class Search:
    """What a sequence of pages answers: a query and its parameters; `table` for `/data`."""

    query: str
    parameters: list[Any] = field(default_factory=list)
    table: str | None = None

    @classmethod
    def of_table(cls, table: Table) -> Search:
        quoted = ".".join(f'"{part}"' for part in table.name.split("."))
        return cls(f"SELECT * FROM {quoted}", [], table.name)

    def cursor(self, start: int) -> dict[str, Any]:
        return {"q": self.query, "p": self.parameters, "t": self.table, "s": start}

    @classmethod
    def from_cursor(cls, page: dict[str, Any]) -> tuple[Search, int]:
        start, table = page.get("s"), page.get("t")
        if not isinstance(start, int) or not isinstance(page.get("q"), str):
            raise DataConnectError("cursor: not a page cursor of this server")
        parameters = page.get("p") if isinstance(page.get("p"), list) else []
        return cls(page["q"], parameters, table if isinstance(table, str) else None), start


@dataclass(frozen=True)
class Page:
    data_model: Schema
    data: list[dict[str, Any]]
    next_start: int | None


def _output_schema(output: Output, plan: Plan, base_url: str) -> Schema:
    if output.semantic is not None:
        return {"$ref": output.semantic}
    if output.cast is not None:
        return SCHEMAS[output.cast]
    if output.case is not None:
        return {"type": "null" if output.case.kind == "null" else [output.case.kind, "null"]}
    if output.aggregate == "count":
        return {"type": "integer"}
    if output.aggregate == "sum":
        return {"type": ["number", "null"]}
    assert output.ref is not None
    table = next(s.table for s in plan.sources if s.alias == output.ref.alias)
    return table.column_schema(output.ref.column, base_url)


def result_model(plan: Plan, base_url: str) -> Schema:
    """The JSON Schema of a search's rows: each output's column schema, or its aggregate's."""
    return {
        "$schema": SCHEMA_DRAFT,
        "description": "The rows of a search, one property per column the query selects.",
        "properties": {
            output.key: _output_schema(output, plan, base_url) for output in plan.outputs
        },
    }


def read_page(
    store: GraphStore,
    registry: TableRegistry,
    search: Search,
    start: int,
    *,
    readable: frozenset[str] | None,
    base_url: str,
    size: int,
    timeout: float,
    who: Principal | None = None,
) -> Page:
    plan = read_query(registry, search.query, search.parameters, who)
    table = plan.sources[0].table
    model = table.data_model(base_url) if search.table else result_model(plan, base_url)
    want = size if plan.limit is None else max(0, min(size, plan.limit - start))
    if want == 0:
        return Page(model, [], None)
    last = plan.limit is not None and start + want >= plan.limit
    first, take = plan.offset + start, want if last else want + 1
    held = [source.table for source in plan.sources if isinstance(source.table, HeldTable)]
    if held:  # rows read whole when the table was opened: searched in memory
        found = held_rows(plan, held[0])[first : first + take]
    else:
        statement = build(plan, readable, first, take)
        found = rows(statement, store.read(statement.text, statement.parameters, timeout=timeout))
    more = len(found) > want
    return Page(model, cast_rows(plan, found[:want]), start + want if more else None)


def cast_rows(plan: Plan, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with each CAST output's values made its type (engine/dataconnect/casts.py)."""
    casts = [(output.key, output.cast) for output in plan.outputs if output.cast]
    for row in found if casts else ():
        for key, kind in casts:
            row[key] = cast_value(row[key], kind)
    return found
