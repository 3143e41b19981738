"""The strawberry schema generated from SDL is the SDL: same types, fields, arguments, order.

Both sides are printed by graphql-core, so the comparison is exact: names
(`submitter_id`, `_case_count`, no camelCase), descriptions, defaults,
deprecations, interfaces and the order of everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import strawberry
from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    graphql_sync,
    print_schema,
)

from engine.dictionary import compile_sdl, load_dictionary
from engine.graphql.guppy_schema import GuppySchema
from engine.graphql.strawberry_schema import strawberry_schema, strawberry_schema_of
from tests.dictionary_fixtures import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
DICTIONARIES = [
    ROOT / "dictionaries" / "default",
    ROOT / "dictionaries" / "demo",
    *(FIXTURES / name for name in ("complete", "tabular", "diff_old", "diff_new")),
]

# What the dictionaries never write, but a converter of SDL must not get wrong: interfaces
# implementing interfaces, defaults on inputs and of enum and list types, cycles through an
# input, Python keywords and Enum-reserved names (`mro`, `_x_`), a described custom scalar.
HANDWRITTEN = """
"The roots."
type Query {
  "Things, filtered."
  things(first: Int = 10, kinds: [Kind!] = [RED], where: Where, name: String!): [Thing!]!
  named(id: ID!): Named
  class: String
  class_: String
  from(in: Int): Int
}

type Mutation {
  save(items: [Where!]!, dry_run: Boolean = false): Thing
}

interface Named {
  id: ID!
}

"Named, with a text."
interface Described implements Named {
  id: ID!
  text: String
}

type Thing implements Named & Described {
  id: ID!
  text: String
  old_text: String @deprecated(reason: "Gone.")
  kind: Kind
  data: Blob
  parent: Thing
  children(first: Int = 10): [Thing]
}

enum Kind {
  "The red one."
  RED
  mro
  _x_
  OLD @deprecated(reason: "No more.")
}

input Where {
  kind: Kind = RED
  limit: Int = 5
  "Nested."
  nested: Where
}

"Opaque bytes."
scalar Blob @specifiedBy(url: "https://example.org/blob")
"""


def _same_as_sdl(sdl: str) -> None:
    assert print_schema(strawberry_schema(sdl)._schema) == print_schema(build_schema(sdl))


@pytest.mark.parametrize("folder", DICTIONARIES, ids=lambda folder: folder.name)
def test_the_strawberry_schema_is_the_compiled_sdl(folder: Path) -> None:
    _same_as_sdl(compile_sdl(load_dictionary(folder)))


def test_what_the_dictionaries_never_write_is_converted_too() -> None:
    _same_as_sdl(HANDWRITTEN)


@pytest.mark.parametrize(
    ("extra", "refused"),
    [
        ("union Either = Thing | Query", "Either"),
        ("type Subscription { ticks: Int }", "subscriptions"),
        ("directive @mark on FIELD_DEFINITION", "mark"),
    ],
)
def test_what_it_cannot_convert_is_refused(extra: str, refused: str) -> None:
    with pytest.raises(ValueError, match=refused):
        strawberry_schema(HANDWRITTEN + extra)


def test_guppy_serves_the_strawberry_schema_of_its_description() -> None:
    guppy = GuppySchema(load_dictionary(ROOT / "dictionaries" / "default"))
    served = guppy.schema._strawberry_schema  # type: ignore[attr-defined]
    assert isinstance(served, strawberry.Schema)
    assert served._schema is guppy.schema
    assert print_schema(guppy.schema) == print_schema(guppy.description)


def test_resolvers_are_graphql_cores_and_the_rest_read_graphql_names() -> None:
    seen: list[object] = []

    def twice(_: object, info: GraphQLResolveInfo, **arguments: int) -> int:
        seen.append(info)
        return arguments["in"] * 2

    schema = strawberry_schema(HANDWRITTEN, {("Query", "from"): twice})._schema
    result = graphql_sync(schema, "{ from(in: 3) class }", root_value={"class": "c"})
    assert result.errors is None
    assert result.data == {"from": 6, "class": "c"}
    assert [type(info) for info in seen] == [GraphQLResolveInfo]


def test_a_resolver_of_no_field_is_refused() -> None:
    with pytest.raises(ValueError, match="Nope"):
        strawberry_schema(HANDWRITTEN, {("Nope", "things"): lambda *_: None})


def test_a_described_scalar_with_its_own_coercion_is_refused() -> None:
    odd = GraphQLScalarType("Odd", serialize=int)
    description = GraphQLSchema(GraphQLObjectType("Query", {"odd": GraphQLField(odd)}))
    with pytest.raises(ValueError, match="Odd"):
        strawberry_schema_of(description)
