"""The records of a scope, one page at a time: the explorer's table, guppy's rows, downloads.

A page is `ORDER BY <sort>, n.id SKIP .. LIMIT ..`: the `id` tiebreak keeps
pages from overlapping when sort values repeat. A download walks such pages
and yields as it goes, so its memory is one page whatever its size. Rows
only ever come from readable projects (see access.py).

The embedded store sorts every record in scope to answer a page, so a page
of a type's records sorted by its own fields is ordered here instead, over
the column tables (engine/query/columns.py): the statement answers the
revision tokens and, under a filter, the ids it keeps; the page's records
are then read by id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.query.columns import TABLES, cypher_order, first_rows, select
from engine.query.errors import QueryError
from engine.query.facets import facets
from engine.query.scope import VARIABLE, Scope
from engine.query.tallies import read_trusted, tallied_fields, tallies_of, tally_columns
from engine.query.tree import ALWAYS

# Guppy's own ceiling on offset + first; past it, use the download.
MAX_WINDOW = 10_000
DOWNLOAD_PAGE = 5_000
Row = dict[str, Any]


def sort_keys(scope: Scope, sort: Any) -> list[tuple[str, bool]]:
    """Guppy's sort (`[{"field": "asc"}]` or `{"field": "desc"}`) as (field, descending)."""
    if sort is None:
        items: list[tuple[Any, Any]] = []
    elif isinstance(sort, dict):
        items = list(sort.items())
    elif isinstance(sort, list) and all(isinstance(i, dict) and len(i) == 1 for i in sort):
        items = [next(iter(item.items())) for item in sort]
    else:
        raise QueryError(f'sort: expected [{{"<field>": "asc" | "desc"}}, ...], got {sort!r}')
    known = facets(scope.node)
    keys = []
    for name, direction in items:
        if name not in known:
            raise QueryError(f"sort: '{name}' is not a field of {scope.node.name}")
        if str(direction).lower() not in ("asc", "desc"):
            raise QueryError(f"sort: '{name}' must be asc or desc, got {direction!r}")
        keys.append((name, str(direction).lower() == "desc"))
    return keys


def order_by(scope: Scope, sort: Any) -> str:
    """Guppy's sort as an ORDER BY clause.

    Records without a value come last either way, as in guppy (Cypher would
    put them first when descending); required properties always have one.
    """
    # A key every record has needs no `IS NULL` key before it, and one key less to sort by
    # halves the time of a page over many records on the embedded store.
    always = {"id", "project_id", *scope.node.required}
    keys = []
    for name, descending in sort_keys(scope, sort):
        prop = f"{VARIABLE}.{cypher.name(name)}"
        if name not in always:
            keys.append(f"{prop} IS NULL")
        keys.append(f"{prop} {'DESC' if descending else 'ASC'}")
    return "ORDER BY " + ", ".join([*keys, f"{VARIABLE}.id"])


def read_rows(
    store: GraphStore, scope: Scope, *, offset: int = 0, first: int = 10, sort: Any = None
) -> list[Row]:
    """One page of records, every property of each."""
    if offset < 0 or first < 0:
        raise QueryError("offset and first cannot be negative")
    if offset + first > MAX_WINDOW:
        raise QueryError(
            f"offset + first is at most {MAX_WINDOW} (got {offset + first}); "
            "use POST /guppy/download for more"
        )
    keys = sort_keys(scope, sort)
    known = facets(scope.node)
    if tallied_fields(scope.node) and all(not known[name].array for name, _ in keys):
        numeric = {name: known[name].numeric for name, _ in keys}
        return _column_page(store, scope, numeric, keys, offset, first)
    return _page(store, scope, order_by(scope, sort), offset, first)


def _column_page(
    store: GraphStore,
    scope: Scope,
    numeric: dict[str, bool],
    keys: list[tuple[str, bool]],
    offset: int,
    size: int,
) -> list[Row]:
    """A page ordered over the column tables: each readable project's first `offset + size`
    rows, merged by their values, then the page's records read by id."""
    builder = scope.builder(rows=True)
    # `unaccessible` keeps unreadable records, which rows never show: the match keeps none.
    filtered = scope.predicate() != ALWAYS or scope.counted == "unaccessible"

    def statement() -> tuple[str, dict[str, Any]]:
        # The filter's match first, not in a CALL: there the embedded store reads every
        # record to test `IN $list` instead of looking the values up in the index.
        text = f"{scope.match(builder)} WITH collect({VARIABLE}.id) AS ids " if filtered else ""
        text += "RETURN " + tally_columns(builder.parameters, "type", scope.node.label)
        return text + (", ids" if filtered else ""), builder.parameters.values

    row = read_trusted(store, scope.dictionary, statement)
    tallies = tallies_of(row["tally_rows"])
    readable = scope.access.accessible_projects
    tokens = {
        project: tallies.token(project) or ""
        for project in tallies.projects()
        if readable is None or project in readable
    }
    tables = TABLES.get(store, scope.node.label, tokens, numeric)
    chosen = select(tables, row["ids"]) if filtered else {}
    candidates = [
        (table, found)
        for project, table in tables.items()
        for found in first_rows(table, chosen.get(project), keys, offset + size)
    ]
    ordered = sorted(candidates, key=lambda c: c[0].ids[c[1]])
    for name, descending in reversed(keys):
        present = [c for c in ordered if c[0].value(name, c[1]) is not None]
        absent = [c for c in ordered if c[0].value(name, c[1]) is None]
        present.sort(key=lambda c: cypher_order(c[0].value(name, c[1])), reverse=descending)
        ordered = present + absent
    page = [table.ids[found] for table, found in ordered[offset : offset + size]]
    if not page:
        return []
    rows = store.read(
        f"UNWIND $ids AS i MATCH ({VARIABLE}:{cypher.name(scope.node.label)} {{id: i}}) "
        f"RETURN {VARIABLE} {{.*}} AS row",
        {"ids": page},
    )
    by_id = {found["row"]["id"]: found["row"] for found in rows}
    return [by_id[record] for record in page if record in by_id]


def _page(store: GraphStore, scope: Scope, order: str, offset: int, size: int) -> list[Row]:
    builder = scope.builder(rows=True)
    match = scope.match(builder)
    skip, limit = builder.parameters.add(offset), builder.parameters.add(size)
    rows = store.read(
        f"{match} RETURN {VARIABLE} {{.*}} AS row {order} SKIP {skip} LIMIT {limit}",
        builder.parameters.values,
    )
    return [row["row"] for row in rows]


def iter_rows(
    store: GraphStore, scope: Scope, *, sort: Any = None, page: int = DOWNLOAD_PAGE
) -> Iterator[Row]:
    """Every record of the scope, `page` at a time; the filter and sort are checked before the first."""
    order = order_by(scope, sort)
    scope.predicate()

    def pages() -> Iterator[Row]:
        offset = 0
        while True:
            rows = _page(store, scope, order, offset, page)
            yield from rows
            if len(rows) < page:
                return
            offset += page

    return pages()
