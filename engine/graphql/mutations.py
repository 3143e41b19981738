"""Submission through GraphQL: `submit<Type>` and `delete`, on the same engine as the REST API.

A mutation is a handful of root fields, so unlike queries it is executed by
graphql-core with one resolver per field; each resolver hands its input to
engine/submission exactly as a PUT or DELETE would, and answers sheepdog's
transaction JSON. Every field is one transaction of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLResolveInfo, GraphQLSchema, execute

from engine.dictionary.compile import CompiledDictionary
from engine.dictionary.graphql_names import graphql_names
from engine.dictionary.sdl import submit_field
from engine.graph.store import GraphStore
from engine.graphql.strawberry_schema import plain
from engine.objects.access import Visibility
from engine.submission.delete import delete_entities
from engine.submission.documents import SourceDoc
from engine.submission.submit import ProjectNotFound, Target, submit_documents

# Called as authorize(action, project_id), action "submit" or "delete", before a mutation
# touches a project; it raises to refuse.
Authorize = Callable[[str, str], None]


def _target(project_id: str) -> Target:
    program, _, project = project_id.partition("-")
    if not program or not project:
        raise GraphQLError(f"project_id must read PROGRAM-PROJECT, got {project_id!r}")
    return Target(program, project)


def _document(node: str, entity: dict[str, Any], integers: frozenset[str]) -> dict[str, Any]:
    """GraphQL sends every number as Float (peregrine's types): integral ones go back to int."""
    doc = {key: plain(value) for key, value in entity.items()}
    doc.setdefault("type", node)
    for key in integers & doc.keys():
        value = doc[key]
        if isinstance(value, float) and value.is_integer():
            doc[key] = int(value)
    return doc


class Mutations:
    """Resolvers for the Mutation type of one schema, over one store."""

    def __init__(
        self, schema: GraphQLSchema, compiled: CompiledDictionary, store: GraphStore
    ) -> None:
        self.schema = schema
        self.compiled = compiled
        self.store = store
        mutation = schema.mutation_type
        if mutation is None:
            return
        names = graphql_names(compiled.dictionary)
        for name, node in compiled.dictionary.nodes.items():
            field = mutation.fields.get(submit_field(names, name))
            if field is not None:
                integers = frozenset(
                    p for p, prop in node.properties.items() if prop.kind == "integer"
                )
                field.resolve = self._submitter(name, integers)
        mutation.fields["delete"].resolve = self._delete

    def _submitter(self, node: str, integers: frozenset[str]) -> Callable[..., dict[str, Any]]:
        def resolve(
            _: Any,
            info: GraphQLResolveInfo,
            project_id: str,
            input: list[dict[str, Any]],
            dry_run: bool,
        ) -> dict[str, Any]:
            target = _target(project_id)
            info.context["authorize"]("submit", target.project_id)
            sources = [
                SourceDoc(_document(node, entity, integers), None, i)
                for i, entity in enumerate(input)
            ]
            try:
                result = submit_documents(
                    self.store,
                    self.compiled,
                    target,
                    sources,
                    dry_run=dry_run,
                    records=info.context["records"],
                )
            except ProjectNotFound as error:
                raise GraphQLError(str(error)) from None
            return result.to_json()

        return resolve

    def _delete(
        self, _: Any, info: GraphQLResolveInfo, project_id: str, ids: list[str], cascade: bool
    ) -> dict[str, Any]:
        target = _target(project_id)
        info.context["authorize"]("delete", target.project_id)
        try:
            result = delete_entities(
                self.store, self.compiled.dictionary, target, ids, cascade=cascade
            )
        except ProjectNotFound as error:
            raise GraphQLError(str(error)) from None
        return result.to_json()

    def execute(
        self,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any],
        authorize: Authorize,
        records: Visibility | None = None,
    ) -> tuple[dict[str, Any] | None, list[str]]:
        """(data, error messages): the fields run one after the other, as GraphQL mutations do."""
        result = execute(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value={"authorize": authorize, "records": records},
        )
        return result.data, [error.message for error in result.errors or ()]
