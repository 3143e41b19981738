"""The executable GraphQL schema: strawberry's, generated from the SDL the dictionary compiles to.

The SDL (engine/dictionary/sdl.py) is the one description of the schema:
engine/graphql/strawberry_schema.py turns it into strawberry types, and what
graphql/default.graphql documents is exactly what is served. Generating the
schema and answering queries are kept apart, as the Neo4j GraphQL Library
keeps them: no query field is ever resolved. Requests are parsed, validated
and introspected against strawberry's graphql-core schema, but answered by
translating the whole selection to Cypher (engine/graphql/plan.py), which is
what keeps a nested query to one round trip instead of one resolver call per
object. Only the mutation fields get resolvers (engine/graphql/mutations.py).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLFieldResolver,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    get_introspection_query,
    graphql_sync,
)

from engine.dictionary.compile import CompiledDictionary
from engine.dictionary.graphql_names import graphql_names
from engine.dictionary.model import Dictionary
from engine.graphql.strawberry_schema import strawberry_schema

# Listed by the root fields of their own, never by `node`, as in peregrine.
NOT_IN_NODE = ("program", "project")


class QuerySchema:
    """The schema of one compiled dictionary and what planning needs to know about its types."""

    def __init__(
        self,
        compiled: CompiledDictionary,
        resolvers: Mapping[tuple[str, str], GraphQLFieldResolver] | None = None,
    ) -> None:
        """`resolvers`: the mutation fields' (engine/graphql/mutations.py); queries have none."""
        self.dictionary: Dictionary = compiled.dictionary
        self.schema: GraphQLSchema = strawberry_schema(compiled.sdl, resolvers)._schema
        names = graphql_names(self.dictionary)
        self.object_types: dict[str, GraphQLObjectType] = {
            label: self._object(type_name) for label, type_name in names.types.items()
        }
        self.counts = {f"_{label}_count": label for label in self.dictionary.nodes}
        self.node_labels = tuple(
            label for label in self._implementing("Node") if label not in NOT_IN_NODE
        )
        self.data_labels = self._implementing("DataNode")
        self._introspection: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def _object(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType), name
        return found

    def _implementing(self, interface: str) -> tuple[str, ...]:
        found = self.schema.get_type(interface)
        if not isinstance(found, GraphQLInterfaceType):
            return ()
        implemented = {kind.name for kind in self.schema.get_implementations(found).objects}
        return tuple(label for label, kind in self.object_types.items() if kind.name in implemented)

    def introspection(self) -> dict[str, Any]:
        """The answer to the standard introspection query, worked out once (`getschema`)."""
        with self._lock:
            if self._introspection is None:
                result = graphql_sync(self.schema, get_introspection_query(descriptions=True))
                assert not result.errors, result.errors
                self._introspection = result.data
            return self._introspection
