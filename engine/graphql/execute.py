"""A GraphQL request, answered as peregrine answers it.

Peregrine's habits that the Gen3 portal and SDK depend on are kept:
`variables` may come as a JSON text; errors are a list of messages, not
objects; any error makes the answer HTTP 400, with whatever data could still
be answered beside it. The request is parsed and validated by graphql-core
(documents are cached by their text), planned (engine/graphql/plan.py) and
answered in one store round trip (engine/query/run.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute,
    get_operation_ast,
    get_variable_values,
    validate,
)
from graphql.execution.values import VariableValues

from engine.dictionary.compile import CompiledDictionary
from engine.graph.store import GraphStore
from engine.graphql.document import read_document
from engine.graphql.mutations import Authorize, Mutations
from engine.graphql.plan import FromStore, Introspection, Known, Nested, Planner, RootField
from engine.graphql.schema import QuerySchema
from engine.json_input import JSONRejected, loads
from engine.objects.access import Visibility
from engine.query.arguments import Arguments
from engine.query.errors import QueryError
from engine.query.limits import Limits
from engine.query.run import run_queries

CACHED_DOCUMENTS = 256


@dataclass(frozen=True)
class GraphQLAnswer:
    body: dict[str, Any]
    status: int


def failed(messages: list[str]) -> GraphQLAnswer:
    return GraphQLAnswer({"data": None, "errors": messages}, 400)


def _stored(fields: dict[str, RootField]) -> list[FromStore]:
    found: list[FromStore] = []
    for field in fields.values():
        if isinstance(field, FromStore):
            found.append(field)
        elif isinstance(field, Nested):
            found.extend(_stored(field.fields))
    return found


def _variables(raw: Any) -> dict[str, Any]:
    """Peregrine's swagger declares `variables` a string: JSON text is read, null is none."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = loads(raw, "`variables`")
        except JSONRejected as error:
            raise QueryError(error.message) from None
        return _variables(raw)
    if not isinstance(raw, dict):
        raise QueryError("variables: expected an object of variable values")
    return raw


def _allow(action: str, project_id: str) -> None:
    """The default for callers that have checked permissions already."""


class QueryService:
    """Answers GraphQL queries over one compiled dictionary and one graph store."""

    def __init__(self, compiled: CompiledDictionary, store: GraphStore, limits: Limits) -> None:
        self.mutations = Mutations(compiled, store)
        self.schema = QuerySchema(compiled, self.mutations.resolvers())
        self.store = store
        self.limits = limits
        self.arguments = Arguments(compiled.dictionary)
        self._document = lru_cache(maxsize=CACHED_DOCUMENTS)(self._parse)

    def _parse(self, query: str) -> tuple[DocumentNode | None, tuple[str, ...]]:
        try:
            document = read_document(query, self.limits.max_fields)
        except GraphQLError as error:
            return None, (str(error),)
        errors = validate(self.schema.schema, document)
        if errors:
            return None, tuple(error.message for error in errors)
        return document, ()

    def execute(
        self,
        query: Any,
        variables: Any = None,
        operation_name: str | None = None,
        readable: frozenset[str] | None = None,
        authorize: Authorize | None = None,
        records: Visibility | None = None,
        submitter: str | None = None,
    ) -> GraphQLAnswer:
        """`readable`: the project ids the caller may read (None: all of them);
        `authorize`: the check a mutation makes before it writes (None: allow);
        `records`: the index records a submitted data-file node may name (None: all);
        `submitter`: who a mutation's transaction log names."""
        if not isinstance(query, str) or not query.strip():
            return failed(["query: send the GraphQL query text as `query`"])
        try:
            values = _variables(variables)
        except QueryError as error:
            return failed([error.message])
        document, errors = self._document(query)
        if document is None:
            return failed(list(errors))
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return failed(
                [
                    f"no operation named {operation_name!r}"
                    if operation_name
                    else "the document holds several operations: name one with `operationName`"
                ]
            )
        if operation.operation == OperationType.MUTATION:
            data, messages = self.mutations.execute(
                self.schema.schema,
                document,
                operation_name,
                values,
                authorize or _allow,
                records,
                submitter,
            )
            body = {"data": data, **({"errors": messages} if messages else {})}
            return GraphQLAnswer(body, 400 if messages else 200)
        coerced = get_variable_values(
            self.schema.schema, operation.variable_definitions or (), values
        )
        if isinstance(coerced, list):
            return failed([error.message for error in coerced])
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        planner = Planner(self.schema, self.arguments, self.limits, fragments, coerced)
        root = self.schema.schema.query_type
        assert root is not None
        fields = planner.roots(root, planner.collect(root, [operation]))  # type: ignore[list-item]
        stored = _stored(fields)
        try:
            results, field_errors = run_queries(
                self.store, [field.query for field in stored], self.limits, readable
            )
        except QueryError as error:
            return failed([error.message])
        answers = {id(field): result for field, result in zip(stored, results, strict=True)}
        messages: list[str] = []
        introspect = _Introspector(self.schema, document, operation, coerced, messages)
        data = _fill(fields, answers, introspect, messages)
        messages.extend(field_errors)
        body: dict[str, Any] = {"data": data}
        if messages:
            body["errors"] = messages
        return GraphQLAnswer(body, 400 if messages else 200)


class _Introspector:
    """`__schema` and `__type` fields, executed by graphql-core alone, with the request's fragments."""

    def __init__(
        self,
        schema: QuerySchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        messages: list[str],
    ) -> None:
        self.schema = schema
        self.document = document
        self.operation = operation
        self.variables = variables
        self.messages = messages

    def __call__(self, key: str, field: Introspection) -> Any:
        operation = OperationDefinitionNode(
            operation=OperationType.QUERY,
            variable_definitions=self.operation.variable_definitions,
            selection_set=SelectionSetNode(selections=tuple(field.nodes)),
        )
        fragments = [d for d in self.document.definitions if isinstance(d, FragmentDefinitionNode)]
        document = DocumentNode(definitions=(operation, *fragments))
        result = execute(self.schema.schema, document, variable_values=self.variables.coerced)
        self.messages.extend(error.message for error in result.errors or ())
        return (result.data or {}).get(key)  # type: ignore[union-attr]


def _fill(
    fields: dict[str, RootField],
    answers: dict[int, Any],
    introspect: _Introspector,
    messages: list[str],
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, field in fields.items():
        if isinstance(field, FromStore):
            data[key] = answers[id(field)]
        elif isinstance(field, Known):
            data[key] = field.value
        elif isinstance(field, Nested):
            data[key] = _fill(field.fields, answers, introspect, messages)
        elif isinstance(field, Introspection):
            data[key] = introspect(key, field)
        else:
            data[key] = None
            messages.append(field.message)
    return data
