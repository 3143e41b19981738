"""The fields a selection asks of one object type, after fragments and `@skip`/`@include`.

The same rules as graphql-core's executor (which keeps its own version
internal): fields are grouped by response key (alias or name) in the order
they first appear, fragments apply when their type condition is the object
type or an interface it implements, and each named fragment is read once.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionNode,
    SelectionSetNode,
    get_directive_values,
)
from graphql.execution.values import VariableValues

Fields = dict[str, list[FieldNode]]


def _included(node: SelectionNode, variables: VariableValues) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip and skip["if"]:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (include and not include["if"])


def _applies(
    schema: GraphQLSchema, condition: NamedTypeNode | None, kind: GraphQLObjectType
) -> bool:
    if condition is None or condition.name.value == kind.name:
        return True
    wanted = schema.get_type(condition.name.value)
    return wanted is not None and schema.is_sub_type(wanted, kind)  # type: ignore[arg-type]


def collect_fields(
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    variables: VariableValues,
    kind: GraphQLObjectType,
    selection_sets: Iterable[SelectionSetNode | None],
) -> Fields:
    fields: Fields = {}
    seen: set[str] = set()

    def visit(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if not _included(selection, variables):
                continue
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if _applies(schema, selection.type_condition, kind):
                    visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if name in seen or fragment is None:
                    continue
                seen.add(name)
                if _applies(schema, fragment.type_condition, kind):
                    visit(fragment.selection_set)

    for selection_set in selection_sets:
        if selection_set is not None:
            visit(selection_set)
    return fields
