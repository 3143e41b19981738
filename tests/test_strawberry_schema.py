"""The strawberry schema generated from SDL is the SDL: same types, fields, arguments, order.

Both sides are printed by graphql-core, so the comparison is exact: names
(`submitter_id`, `_case_count`, no camelCase), descriptions, defaults,
deprecations, interfaces and the order of everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, print_schema

from engine.dictionary import compile_sdl, load_dictionary
from engine.graphql.strawberry_schema import strawberry_schema
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
