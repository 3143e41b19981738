"""Submission through GraphQL: `submit<Type>` and `delete`, on the same engine as the REST API.

A mutation is a handful of root fields, so unlike queries it is executed by
graphql-core with one resolver per field; each resolver hands its input to
engine/submission exactly as a PUT or DELETE would, and answers sheepdog's
transaction JSON. Every field is one transaction of its own, recorded in the
transaction log with its input as a JSON document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLFieldResolver,
    GraphQLResolveInfo,
    GraphQLSchema,
    execute,
)

from engine.auth.resources import MalformedName, split_project_id
from engine.dictionary.compile import CompiledDictionary
from engine.dictionary.graphql_names import graphql_names
from engine.dictionary.sdl import submit_field, submitted_through_graphql
from engine.graph.store import GraphStore
from engine.graphql.strawberry_schema import plain
from engine.objects.access import Visibility
from engine.submission.delete import delete_entities
from engine.submission.documents import SourceDoc
from engine.submission.submit import ProjectNotFound, Target, submit_documents
from engine.submission.transaction_log import Document, Origin

# Called as authorize(action, project_id), action "submit" or "delete", before a mutation
# touches a project; it raises to refuse.
Authorize = Callable[[str, str], None]


def _target(project_id: str) -> Target:
    """The project `project_id` names, its program and code checked before any grant or store."""
    try:
        return Target(*split_project_id(project_id))
    except MalformedName as error:
        raise GraphQLError(error.message) from None


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
    """Resolvers for the Mutation type of one dictionary's schema, over one store."""

    def __init__(self, compiled: CompiledDictionary, store: GraphStore) -> None:
        self.compiled = compiled
        self.store = store

    def resolvers(self) -> dict[tuple[str, str], GraphQLFieldResolver]:
        """graphql-core's resolver of each Mutation field, for the schema to be built with."""
        dictionary = self.compiled.dictionary
        names = graphql_names(dictionary)
        found: dict[tuple[str, str], GraphQLFieldResolver] = {("Mutation", "delete"): self._delete}
        for name in submitted_through_graphql(dictionary):
            integers = frozenset(
                p for p, prop in dictionary.nodes[name].properties.items() if prop.kind == "integer"
            )
            found[("Mutation", submit_field(names, name))] = self._submitter(name, integers)
        return found

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
            docs = [_document(node, entity, integers) for entity in input]
            sources = [SourceDoc(doc, None, i) for i, doc in enumerate(docs)]
            document = Document(None, "json", orjson.dumps(docs).decode(), len(docs))
            try:
                result = submit_documents(
                    self.store,
                    self.compiled,
                    target,
                    sources,
                    dry_run=dry_run,
                    records=info.context["records"],
                    origin=Origin(info.context["submitter"], (document,)),
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
                self.store,
                self.compiled.dictionary,
                target,
                ids,
                cascade=cascade,
                submitter=info.context["submitter"],
            )
        except ProjectNotFound as error:
            raise GraphQLError(str(error)) from None
        return result.to_json()

    @staticmethod
    def execute(
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any],
        authorize: Authorize,
        records: Visibility | None = None,
        submitter: str | None = None,
    ) -> tuple[dict[str, Any] | None, list[str]]:
        """(data, error messages): the fields run one after the other, as GraphQL mutations do.

        `submitter`: who is asking, named in the transaction log."""
        context = {"authorize": authorize, "records": records, "submitter": submitter}
        result = execute(
            schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=context,
        )
        return result.data, [error.message for error in result.errors or ()]
