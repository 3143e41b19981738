"""A GraphQL document read within limits, before it is validated, planned or executed.

graphql-core's parser refuses nesting past 200 levels itself; what it does
not bound is how much a document asks for. GRAPHQL_MAX_FIELDS caps the
fields one document selects, counted with every fragment spread expanded
(a fragment spread twice counts twice, so a few lines of nested fragments
cannot ask for millions), and counted before validation, whose overlapping
fields rule takes quadratic time in the fields asked (5,000 aliases: about
ten seconds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)


def read_document(query: str, max_fields: int) -> DocumentNode:
    """The parsed document; GraphQLError for a syntax error or more than `max_fields` fields."""
    document = parse(query)
    asked = selected_fields(document, max_fields)
    if asked > max_fields:
        raise GraphQLError(
            f"the query selects more than {max_fields} fields (counting those of fragments "
            "each time they are spread), the limit (GRAPHQL_MAX_FIELDS); ask for fewer"
        )
    return document


def _selections(selection_set: SelectionSetNode | None) -> Iterator[Node]:
    """Every selection inside a selection set, at any depth, without recursion."""
    pending = [selection_set] if selection_set else []
    while pending:
        for selection in pending.pop().selections:
            yield selection
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)


def selected_fields(document: DocumentNode, cap: int) -> int:
    """The fields the operations select, fragments expanded; counting stops past `cap`.

    Each definition is read once, and a fragment's size worked out once from
    the sizes of those it spreads, without recursion however long a chain of
    fragments is. A spread of a missing fragment, or of one in a cycle, counts
    nothing: validation refuses both.
    """
    fields: dict[str, int] = {}
    spreads: dict[str, Counter[str]] = {}
    operations: list[str] = []
    for position, definition in enumerate(document.definitions):
        if isinstance(definition, OperationDefinitionNode):
            key = f" {position}"  # not a GraphQL name: no fragment has it
            operations.append(key)
        elif isinstance(definition, FragmentDefinitionNode):
            key = definition.name.value
        else:
            continue
        selections = list(_selections(definition.selection_set))
        fields[key] = sum(isinstance(s, FieldNode) for s in selections)
        spreads[key] = Counter(
            s.name.value for s in selections if isinstance(s, FragmentSpreadNode)
        )
    size: dict[str, int] = {}
    for operation in operations:
        path, on_path = [operation], {operation}
        while path:
            key = path[-1]
            unsized = (
                n for n in spreads[key] if n in fields and n not in size and n not in on_path
            )
            spread = next(unsized, None)
            if spread is not None:
                path.append(spread)
                on_path.add(spread)
                continue
            expanded = sum(times * size.get(name, 0) for name, times in spreads[key].items())
            size[key] = min(fields[key] + expanded, cap + 1)
            on_path.discard(path.pop())
    return min(sum(size[operation] for operation in operations), cap + 1)
