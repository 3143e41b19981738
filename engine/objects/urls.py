"""indexd's URL queries: where records' bytes are, without the rest of each record.

Gen3 clients find copies of a file by its URLs (`Gen3Index.get_urls`,
`query_urls`), so three of indexd's answers are served as indexd gives them:
- `urls`: each URL of the records matching a `RecordQuery` (ids, size,
  hashes), with that URL's urls_metadata; `start` skips URLs, not records.
- `by_pattern`: records with a URL containing `include` and none containing
  `exclude`, as `{did, urls}`.
- `by_metadata`: the URLs whose urls_metadata has key = value, one
  `{did, urls: [url], rev}` each.

Each sees only the records the caller may read, decided inside the query as
the listing does. indexd matches a pattern against a record's URLs joined
by commas; here each URL is matched on its own, so a pattern never spans two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.graph.store import GraphStore
from engine.objects.access import Visibility
from engine.objects.index import LABEL, RecordQuery, visible_clauses, where
from engine.objects.record import url_metadata_prefix

FIELDS = ("did", "urls", "rev")


@dataclass(frozen=True)
class Page:
    """indexd's paging of URL queries: rows skipped and rows answered."""

    offset: int
    limit: int


@dataclass(frozen=True)
class UrlFilter:
    """Which records a pattern or metadata query keeps, and which fields it answers."""

    include: str | None = None
    exclude: str | None = None
    versioned: bool | None = None  # True: records with a version; False: without one
    fields: tuple[str, ...] = ("did", "urls")


def _common(found: UrlFilter, visible: Visibility | None) -> tuple[list[str], dict[str, Any]]:
    clauses, params = visible_clauses(visible)
    if found.versioned is not None:
        clauses.append(f"r.version IS {'NOT ' if found.versioned else ''}NULL")
    return clauses, params


def _shaped(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{name: row[name] for name in FIELDS if name in fields} for row in rows]


class UrlIndex:
    """The URL queries over one graph store's index records, of those `visible` (None: all)."""

    def __init__(self, graph: GraphStore, visible: Visibility | None) -> None:
        self.graph = graph
        self.visible = visible

    def urls(self, query: RecordQuery, page: Page) -> list[dict[str, Any]]:
        where, params = query.cypher(self.visible)
        rows = self.graph.read(
            f"MATCH (r:`{LABEL}`){where} UNWIND coalesce(r.urls, []) AS url "
            "RETURN url, r.urls_metadata AS metadata ORDER BY r.did, url SKIP $skip LIMIT $limit",
            {**params, "skip": page.offset, "limit": page.limit},
        )
        return [
            {"url": row["url"], "metadata": json.loads(row["metadata"] or "{}").get(row["url"], {})}
            for row in rows
        ]

    def by_pattern(self, found: UrlFilter, page: Page) -> list[dict[str, Any]]:
        clauses, params = _common(found, self.visible)
        clauses.append("size(coalesce(r.urls, [])) > 0")
        if found.include is not None:
            clauses.append("any(u IN r.urls WHERE u CONTAINS $include)")
            params["include"] = found.include
        if found.exclude is not None:
            clauses.append("none(u IN r.urls WHERE u CONTAINS $exclude)")
            params["exclude"] = found.exclude
        rows = self.graph.read(
            f"MATCH (r:`{LABEL}`){where(clauses)} "
            "RETURN r.did AS did, r.urls AS urls, r.rev AS rev "
            "ORDER BY r.did SKIP $skip LIMIT $limit",
            {**params, "skip": page.offset, "limit": page.limit},
        )
        return _shaped(rows, found.fields)

    def by_metadata(
        self, key: str, value: str, found: UrlFilter, page: Page
    ) -> list[dict[str, Any]]:
        """`found.include` narrows to URLs containing it (indexd's `url` parameter)."""
        clauses, params = _common(found, self.visible)
        url_clause = "" if found.include is None else " AND url CONTAINS $include"
        rows = self.graph.read(
            f"MATCH (r:`{LABEL}`){where(clauses)} "
            "UNWIND coalesce(r.urls_metadata_pairs, []) AS pair "
            "WITH r, pair, substring(pair, size($prefix)) AS url "
            f"WHERE pair STARTS WITH $prefix{url_clause} "
            "RETURN r.did AS did, [url] AS urls, r.rev AS rev "
            "ORDER BY did, url SKIP $skip LIMIT $limit",
            {
                **params,
                "prefix": url_metadata_prefix(key, value),
                "include": found.include,
                "skip": page.offset,
                "limit": page.limit,
            },
        )
        return _shaped(rows, found.fields)
