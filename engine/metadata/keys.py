"""Path keys: what of a metadata blob the store indexes, so a path filter is one index lookup.

Neo4j properties are scalars or arrays, never nested maps, so a blob is
kept as JSON text and, beside it, as the set of keys a filter can ask for.
Gen3's MDS (Postgres) answers `?a.b=v` with `data #>> '{a,b}' = 'v'` and
`?a.b=*` with `data #> '{a}' ? 'b'`; the keys here say the same things:

- a *value key* for each scalar leaf: its dotted path and its value as
  Postgres prints it as text (`"x"` → `x`, `1` → `1`, `true` → `true`;
  `null` has no text, so it matches no value). Array items are addressed by
  position (`a.0`), as `#>>` does;
- an *existence key* for each key of each object (`a.b` exists, whatever
  its value, null included) and, as Postgres's `?` on an array asks, for
  each string item of an array (`tags.x` exists when `tags` holds `"x"`).

Object keys holding a dot cannot be named by a dotted filter, as in MDS, so
nothing beneath them is keyed. A key is stored as a fixed-size digest of its
`[path, value]` JSON: any value, however long, fits an index entry (Neo4j's
range indexes refuse entries past about 8 kB), and a path or value holding
`=` or `.` cannot be mistaken for another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import orjson

# Keys of one blob: past this a write is refused (400), so no write pays for an unbounded walk.
MAX_KEYS = 20_000


class TooManyKeys(ValueError):
    """A blob with more indexable paths than MAX_KEYS."""


def _digest(parts: list[str]) -> str:
    return hashlib.blake2b(orjson.dumps(parts), digest_size=16).hexdigest()


def value_key(path: str, text: str) -> str:
    """The key of `path` holding a value whose text is `text`."""
    return _digest([path, text])


def exists_key(path: str) -> str:
    """The key of `path` being present."""
    return _digest([path])


def as_text(value: Any) -> str | None:
    """A scalar as Postgres's `->>` prints it; None for null, objects and arrays."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # exponents spelled out, as numeric prints them: 1e20, 1.0
        return format(Decimal(repr(value)), "f")
    return None


def _paths(blob: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(path, text) for every value key and (path, None) for every existence key."""
    stack: list[tuple[str, Any]] = [("", blob)]
    while stack:
        prefix, node = stack.pop()
        if isinstance(node, dict):
            items = [(str(k), v) for k, v in node.items() if "." not in str(k)]
        else:
            items = [(str(i), v) for i, v in enumerate(node)]
            yield from ((f"{prefix}{v}", None) for v in node if isinstance(v, str) and "." not in v)
        for key, value in items:
            path = prefix + key
            if isinstance(node, dict):
                yield path, None
            if isinstance(value, dict | list):
                stack.append((path + ".", value))
            else:
                text = as_text(value)
                if text is not None:
                    yield path, text


def blob_keys(blob: dict[str, Any]) -> list[str]:
    """Every key of `blob`, each once; raises TooManyKeys past MAX_KEYS."""
    keys: set[str] = set()
    for path, text in _paths(blob):
        keys.add(exists_key(path) if text is None else value_key(path, text))
        if len(keys) > MAX_KEYS:
            raise TooManyKeys(
                f"the metadata has more than {MAX_KEYS} paths and values to index; "
                "split it into several records"
            )
    return sorted(keys)
