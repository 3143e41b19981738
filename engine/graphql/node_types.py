"""`_node_type`: the dictionary's node types as a list, filtered, sorted and paged like peregrine's.

Answered from the compiled dictionary, without the store.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLString

from engine.dictionary.model import Dictionary
from engine.dictionary.sdl import NODE_TYPE_FIELDS
from engine.query.errors import QueryError
from engine.query.tree import Constant, Shape, Value


def _text(value: Any) -> str | None:
    return None if value is None else GraphQLString.serialize(value)


def node_types(
    dictionary: Dictionary, shape: Shape, arguments: dict[str, Any]
) -> list[dict[str, Any]]:
    schemas = [dictionary.nodes[name].schema for name in sorted(dictionary.nodes)]
    for field in NODE_TYPE_FIELDS:
        wanted = arguments.get(field)
        if wanted is not None:
            schemas = [schema for schema in schemas if _text(schema.get(field)) == wanted]
    for argument, descending in (("order_by_asc", False), ("order_by_desc", True)):
        key = arguments.get(argument)
        if key is None:
            continue
        if key not in NODE_TYPE_FIELDS:
            raise QueryError(f"{argument}: cannot order node types by {key!r}")
        schemas.sort(key=lambda schema: _text(schema.get(key)) or "", reverse=descending)
    first, offset = arguments.get("first") or 0, arguments.get("offset") or 0
    if first < 0 or offset < 0:
        raise QueryError("first and offset cannot be negative")
    schemas = schemas[offset : offset + first] if first else schemas[offset:]
    return [
        {
            entry.key: entry.value
            if isinstance(entry, Constant)
            else entry.convert(schema.get(entry.prop))
            for entry in shape.entries
            if isinstance(entry, Value | Constant)
        }
        for schema in schemas
    ]
