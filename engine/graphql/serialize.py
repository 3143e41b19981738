"""Stored values as GraphQL answers them: each scalar through its type's own `serialize`.

So an integer property (a Float in peregrine's schema) comes out as 3.0, an
array as a list of strings, and an enum value that the type cannot
represent raises the same error graphql-core would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLOutputType, is_list_type, is_non_null_type

Convert = Callable[[Any], Any]


def converter(kind: GraphQLOutputType) -> Convert:
    if is_non_null_type(kind):
        return converter(kind.of_type)  # type: ignore[union-attr]
    if is_list_type(kind):
        item = converter(kind.of_type)  # type: ignore[union-attr]

        def convert_list(value: Any) -> Any:
            if value is None:
                return None
            return [item(each) for each in (value if isinstance(value, list) else [value])]

        return convert_list
    serialize = kind.serialize  # type: ignore[union-attr]

    def convert(value: Any) -> Any:
        return None if value is None else serialize(value)

    return convert
