"""Names in Cypher text (the only things ever formatted into a query) and the parameters for values.

Labels, relationship types and property names come from the compiled
dictionary, never from a request; values always travel as parameters. Names
are still back-quoted (node types like `case` are Cypher keywords) and
checked, so a malformed dictionary cannot become an injection.
"""

from __future__ import annotations

import re
from typing import Any

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def name(identifier: str) -> str:
    """`case` -> `` `case` ``; anything but a plain identifier is refused."""
    if not _NAME.match(identifier):
        raise ValueError(f"not a valid graph name: {identifier!r}")
    return f"`{identifier}`"


def node(variable: str, label: str, keys: str = "") -> str:
    """`node('n', 'case', '{id: $id}')` -> ``(n:`case` {id: $id})``; `keys` holds parameters only."""
    return f"({variable}:{name(label)}{' ' + keys if keys else ''})"


class Parameters:
    """The values of one statement: each `add` keeps a value and answers the `$name` to write in its place."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        key = f"p{len(self.values)}"
        self.values[key] = value
        return f"${key}"
