"""What a filter may name on a node type, and how a filter value meets a stored one.

Peregrine's rules, shared by the arguments and the guppy `filter`: `id`,
every property and every system property can be filtered on; a list of
values means "one of them" on a scalar property and "all of them" on an
array property; `type` is the node type itself, never stored. Commons
stores `created_datetime` and `updated_datetime` as UTC ISO 8601 text, so
values compared with them are brought to the same form first.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from engine.dictionary.model import NodeType
from engine.query.errors import QueryError
from engine.query.tree import ALWAYS, NEVER, AllOf, AnyOf, Predicate

SYSTEM_DATETIMES = ("created_datetime", "updated_datetime")


def is_field(node: NodeType, name: str) -> bool:
    return name == "id" or name in node.properties or name in node.system_properties


def is_array(node: NodeType, name: str) -> bool:
    prop = node.properties.get(name)
    return prop is not None and prop.kind == "array"


def require_field(node: NodeType, name: Any, argument: str) -> str:
    if not isinstance(name, str) or not is_field(node, name):
        raise QueryError(f"{argument}: {name!r} is not a property of {node.name}")
    return name


def instant(argument: str, value: Any) -> str:
    """`2024-05-01` or any ISO 8601 date-time, as the UTC text Commons stores."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise QueryError(
            f"{argument}: {value!r} is not an ISO 8601 date or date-time, e.g. 2024-05-01 "
            "or 2024-05-01T09:30:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def comparable(node: NodeType, name: str, value: Any, argument: str) -> Any:
    """A filter value as it meets the stored one; NaN and infinities meet none, so are refused."""
    if isinstance(value, float) and not math.isfinite(value):
        where = argument if argument == name else f"{argument}: {name}"
        raise QueryError(f"{where}: {value} is not a finite number")
    return instant(argument, value) if name in SYSTEM_DATETIMES else value


def one_of(node: NodeType, name: str, values: list[Any], argument: str) -> Predicate:
    """The field's value (on an array property: one of its items) is one of `values`."""
    if name == "type":
        return ALWAYS if node.name in values else NEVER
    values = [comparable(node, name, value, argument) for value in values]
    return AnyOf(name, tuple(values), is_array(node, name))


def matches(node: NodeType, name: str, values: list[Any], argument: str) -> Predicate:
    """Peregrine's list filter: one of `values` on a scalar property, all of them on an array."""
    if is_array(node, name):
        return AllOf(name, tuple(comparable(node, name, value, argument) for value in values))
    return one_of(node, name, values, argument)
