"""MDS query strings: `GET /metadata?a.b=1&a.b=2&c=*` as groups of path keys.

The rules are MDS's (`search_metadata` in uc-cdis/metadata-service
src/mds/query.py and db.py): every parameter but `data`, `limit` and
`offset` filters; values of one key are ORed, different keys ANDed; a
value is compared as text with the value at the dotted path; `*` among a
key's values means only "the key exists" (the other values do not
matter); `\\*` is the literal string `*`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.metadata.keys import exists_key, value_key

RESERVED = frozenset({"data", "limit", "offset"})
# Filters of one query: each is a group of index lookups, so a bound keeps a query's cost known.
MAX_FILTER_VALUES = 200


class FilterError(ValueError):
    """A query string the store will not run; the message names the limit."""


@dataclass(frozen=True)
class Filter:
    """One key of the query string: a record matches when it holds any of `keys`."""

    path: str
    keys: tuple[str, ...]


def parse_filters(items: Iterable[tuple[str, str]]) -> list[Filter]:
    """The filters of a query string's (key, value) pairs, in the order keys first appear."""
    values: dict[str, list[str]] = {}
    for key, value in items:
        if key not in RESERVED:
            values.setdefault(key, []).append(value)
    if sum(len(v) for v in values.values()) > MAX_FILTER_VALUES:
        raise FilterError(f"a query may hold at most {MAX_FILTER_VALUES} filter values")
    filters = []
    for path, texts in values.items():
        if "*" in texts:
            keys: tuple[str, ...] = (exists_key(path),)
        else:
            keys = tuple(dict.fromkeys(value_key(path, "*" if t == "\\*" else t) for t in texts))
        filters.append(Filter(path, keys))
    return filters
