"""What exploration adds to guppy's filter language: filters along links, aliases, `filterSelf`.

engine/query/guppy.py reads guppy's filter (one language for peregrine's
`filter` argument and for exploration); its `nested` walks one link. Gen3
needs an ETL to denormalise linked records into one document before guppy
can filter on them; on the graph any link is there to walk, so exploration
also takes:

- `{"path": "samples.aliquots", "filter": {...}}`: some record reached by
  that chain of links matches the filter;
- a dotted field, `{"=": {"samples.tissue_type": "Tumor"}}`: the same, for
  one condition (the name guppy gives a nested field);
- a dotted `nested` path, `{"nested": {"path": "samples.aliquots", ...}}`.

`expand_paths` rewrites these into chains of one-link `nested` filters, so
they compile to nested `EXISTS` subqueries with the rest, and spells guppy's
word operators (`eq`, `gte`, ...) as their symbols. `without_field` drops a
field's own conditions, as guppy does for `filterSelf: false`.
"""

from __future__ import annotations

from typing import Any

_COMBINE = ("and", "or")
# Guppy takes these words for the symbols, in any case.
_WORDS = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _chain(path: Any, inner: dict[str, Any]) -> Any:
    """`a.b` and a filter -> `{"nested": {"path": "a", "nested": {"path": "b", ...}}}`."""
    if not isinstance(path, str) or not path:
        return {"nested": {"path": path, **inner}}
    for step in reversed(path.split(".")):
        inner = {"nested": {"path": step, **({"AND": [inner]} if inner else {})}}
    return inner


def _expand_operator(op: str, body: Any) -> Any:
    key = op.lower()
    op = _WORDS.get(key, op)
    if key in _COMBINE and isinstance(body, list):
        return {op: [expand_paths(item) for item in body]}
    if key == "nested" and isinstance(body, dict) and "path" in body:
        rest = {name: value for name, value in body.items() if name != "path"}
        return _chain(body["path"], expand_paths(rest) if rest else {})
    if key != "search" and isinstance(body, dict) and len(body) == 1:
        ((name, value),) = body.items()
        if isinstance(name, str) and "." in name:
            path, _, field = name.rpartition(".")
            return _chain(path, {op: {field: value}})
    return {op: body}


def expand_paths(guppy_filter: Any) -> Any:
    """The filter with every path form rewritten to one-link `nested` chains; the rest unchanged."""
    if not isinstance(guppy_filter, dict):
        return guppy_filter
    if set(guppy_filter) == {"path", "filter"}:
        inner = expand_paths(guppy_filter["filter"])
        return _chain(guppy_filter["path"], inner if isinstance(inner, dict) else {"AND": [inner]})
    parts = [_expand_operator(op, body) for op, body in guppy_filter.items()]
    return parts[0] if len(parts) == 1 else {"AND": parts}


def without_field(guppy_filter: Any, field: str) -> Any:
    """The filter without its conditions on `field` of the filtered node itself; None if none is left."""
    if not isinstance(guppy_filter, dict) or set(guppy_filter) == {"path", "filter"}:
        return guppy_filter
    kept: list[Any] = []
    for op, body in guppy_filter.items():
        if op.lower() in _COMBINE and isinstance(body, list):
            items = [item for item in (without_field(i, field) for i in body) if item is not None]
            if items:
                kept.append({op: items})
        elif not (isinstance(body, dict) and list(body) == [field]):
            kept.append({op: body})
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else {"AND": kept}
