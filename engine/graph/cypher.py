"""Names in Cypher text (the only things ever formatted into a query) and the parameters for values.

Labels, relationship types and property names come from the compiled
dictionary, never from a request; values always travel as parameters. Names
are still back-quoted (node types like `case` are Cypher keywords) and
checked, so a malformed dictionary cannot become an injection.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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


def property_map(keys: Sequence[str], values: str) -> str:
    """`property_map(["a", "b"], "r")` -> ``{`a`: r[0], `b`: r[1]}``: the properties of a CREATE,
    each read from the list `values` names (a parameter or a row of one).

    Written in the CREATE itself, each index of the label is written once; on
    the embedded store a `SET` after the CREATE updates the new node and every
    index again, which cost a third of creating it.
    """
    return "{" + ", ".join(f"{name(key)}: {values}[{i}]" for i, key in enumerate(keys)) + "}"


class Parameters:
    """The values of one statement: each `add` keeps a value and answers the `$name` to write in its place."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        key = f"p{len(self.values)}"
        self.values[key] = value
        return f"${key}"
