"""The records of a scope, one page at a time: the explorer's table, guppy's rows, downloads.

A page is `ORDER BY <sort>, n.id SKIP .. LIMIT ..`: the `id` tiebreak keeps
pages from overlapping when sort values repeat. A download walks such pages
and yields as it goes, so its memory is one page whatever its size. Rows
only ever come from readable projects (see access.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.query.errors import QueryError
from engine.query.facets import facets
from engine.query.scope import VARIABLE, Scope

# Guppy's own ceiling on offset + first; past it, use the download.
MAX_WINDOW = 10_000
DOWNLOAD_PAGE = 5_000
Row = dict[str, Any]


def order_by(scope: Scope, sort: Any) -> str:
    """Guppy's sort (`[{"field": "asc"}]` or `{"field": "desc"}`) as an ORDER BY clause.

    Records without a value come last either way, as in guppy (Cypher would
    put them first when descending); required properties always have one.
    """
    if sort is None:
        items: list[tuple[Any, Any]] = []
    elif isinstance(sort, dict):
        items = list(sort.items())
    elif isinstance(sort, list) and all(isinstance(i, dict) and len(i) == 1 for i in sort):
        items = [next(iter(item.items())) for item in sort]
    else:
        raise QueryError(f'sort: expected [{{"<field>": "asc" | "desc"}}, ...], got {sort!r}')
    known = facets(scope.node)
    # A key every record has needs no `IS NULL` key before it, and one key less to sort by
    # halves the time of a page over many records on the embedded store.
    always = {"id", "project_id", *scope.node.required}
    keys = []
    for name, direction in items:
        if name not in known:
            raise QueryError(f"sort: '{name}' is not a field of {scope.node.name}")
        if str(direction).lower() not in ("asc", "desc"):
            raise QueryError(f"sort: '{name}' must be asc or desc, got {direction!r}")
        prop = f"{VARIABLE}.{cypher.name(name)}"
        if name not in always:
            keys.append(f"{prop} IS NULL")
        keys.append(f"{prop} {str(direction).upper()}")
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
    return _page(store, scope, order_by(scope, sort), offset, first)


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
