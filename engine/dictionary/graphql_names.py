"""GraphQL names for a dictionary's node types, input types and enums.

Node types keep their names both as root fields and as object types
(`read_group`), as peregrine names them: clients write fragments
`on case` and `on project`. Input and enum types get PascalCase names
(`ReadGroupInput`, `CaseSex`). A node name can meet a name the schema
defines itself (`Query`, `Node`), and an enum or input type name can meet a
node's or another's (`read_group`, `readGroup`), so names are handed out in
a fixed order (node types, then inputs, then enums, each sorted) and a
clash gets a suffix instead of breaking the schema. The SDL and the executable schema both ask this module,
so they always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.dictionary.model import Dictionary, NodeType, Property

NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
# Names the schema defines itself (or GraphQL does), which node types may not take.
RESERVED = frozenset(
    {
        "Boolean",
        "Float",
        "ID",
        "Int",
        "String",
        "JSON",
        "Query",
        "Node",
        "DataNode",
        "viewer",
        "_NodeType",
        "Mutation",
        "Subscription",
        "LinkInput",
        "SubmissionResult",
        "SubmittedEntity",
        "SubmissionError",
        "UniqueKey",
        "TransactionLog",
        "TransactionSnapshot",
        "TransactionDocument",
        "TransactionResponse",
        "TransactionResponseEntity",
        "TransactionResponseError",
        "TransactionResponseEntityRelatedCases",
        "GenericEntity",
    }
)


def is_name(value: Any) -> bool:
    """A valid GraphQL name that is not reserved for introspection (`__...`)."""
    return isinstance(value, str) and bool(NAME.match(value)) and not value.startswith("__")


def pascal_case(name: str) -> str:
    """`read_group` -> `ReadGroup`; the rest of each part is kept (`slideImage` -> `SlideImage`)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Type"


def enum_values(prop: Property) -> tuple[str, ...] | None:
    """The values as GraphQL enum values, or None when one of them cannot be one (`01`, `Not Reported`)."""
    values = prop.item_enum if prop.kind == "array" else prop.enum
    if not values or not all(
        is_name(value) and value not in ("true", "false", "null") for value in values
    ):
        return None
    return tuple(values)


@dataclass(frozen=True)
class GraphQLNames:
    # Node type -> object type name, and -> input type name for submission.
    types: dict[str, str]
    inputs: dict[str, str]
    # (node type, property) -> enum type name, only for properties whose values are all valid names.
    enums: dict[tuple[str, str], str]


class _Registry:
    def __init__(self) -> None:
        self.taken = set(RESERVED)

    def claim(self, wanted: str, suffix: str) -> str:
        """`wanted`, else `wanted+suffix`, else `wanted+suffix2`, ...: the first one still free."""
        name, counter = wanted, 1
        while name in self.taken:
            name = f"{wanted}{suffix}{counter if counter > 1 else ''}"
            counter += 1
        self.taken.add(name)
        return name


def _enum_properties(node: NodeType) -> list[str]:
    return [
        name for name in sorted(node.properties) if enum_values(node.properties[name]) is not None
    ]


def graphql_names(dictionary: Dictionary) -> GraphQLNames:
    """All type names of the dictionary's GraphQL schema, deterministic for a given dictionary."""
    registry = _Registry()
    nodes = sorted(dictionary.nodes)
    types = {node: registry.claim(node, "Node") for node in nodes}
    inputs = {node: registry.claim(pascal_case(node) + "Input", "_") for node in nodes}
    enums = {
        (node, prop): registry.claim(pascal_case(node) + pascal_case(prop), "Enum")
        for node in nodes
        for prop in _enum_properties(dictionary.nodes[node])
    }
    return GraphQLNames(types, inputs, enums)
