"""A strawberry schema made at run time from SDL text, one strawberry type per definition.

The dictionary's schema is data (engine/dictionary/sdl.py compiles it to
SDL), so its types cannot be Python classes written ahead of time: they are
made here with `type(...)` and strawberry's own decorators. Converting the
SDL text, rather than generating a second time from the dictionary model,
keeps what is served exactly what graphql/default.graphql documents, down to
the order of fields and arguments (tests/test_strawberry_schema.py).

Types refer to each other in cycles (`case.samples: [sample]`,
`sample.cases: [case]`), so a field's annotation names an alias in a
namespace, filled once every class exists. Strawberry evaluates annotations
as its decorators run and retries one that fails at every use, which took
seconds: so the classes are made first and decorated only when the namespace
is complete, and each type reference (`[case]`, `String!`) has one annotation,
resolved once, however many fields and arguments use it (a dictionary repeats
its argument lists on every link field).

Guppy's schema (engine/graphql/guppy_schema.py) is described with
graphql-core's classes instead and goes through the same conversion, from
its printed SDL (`strawberry_schema_of`). Resolvers, where a schema has
any, are graphql-core's, set on the converted graphql-core fields and
called with its GraphQLResolveInfo: guppy's read the path and the
selection, which strawberry's Info would only wrap. Every other field
resolves as graphql-core's default does, by GraphQL name.

What neither schema holds and the conversion could not carry (unions,
subscriptions, custom directives, a described scalar's own coercion) is
refused rather than converted by half.
"""

from __future__ import annotations

import gc
import keyword
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import Enum
from typing import Any, NewType

import strawberry
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFieldResolver,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
    build_schema,
    get_named_type,
    is_introspection_type,
    is_specified_directive,
    is_specified_scalar_type,
    print_schema,
    value_from_ast,
)
from strawberry.annotation import StrawberryAnnotation
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.field import StrawberryField
from strawberry.types.scalar import ScalarDefinition
from strawberry.types.unset import UNSET

# The scalars GraphQL defines, as the Python types strawberry maps to them.
SPECIFIED_SCALARS: dict[str, object] = {
    "String": str,
    "Int": int,
    "Float": float,
    "Boolean": bool,
    "ID": strawberry.ID,
}


def _default(value: GraphQLArgument | GraphQLInputField) -> Any:
    """The default as a Python value; UNSET when there is none."""
    if value.default is None or value.default.literal is None:
        return UNSET
    return value_from_ast(value.default.literal, value.type)


def _attributes(names: list[str]) -> dict[str, str]:
    """GraphQL name -> Python attribute name. dataclasses writes every field into an
    `__init__` signature, where a keyword such as `from` would be a syntax error, so a
    keyword gets underscores until it is free; the GraphQL name stays as it is."""
    found: dict[str, str] = {}
    for name in names:
        attribute = name
        while keyword.iskeyword(attribute) or (attribute != name and attribute in names):
            attribute += "_"
        found[name] = attribute
    return found


class _Converter:
    """Makes every Python type with its fields, then, with the namespace complete, the
    arguments and strawberry's decorators (see the module's docstring)."""

    def __init__(self, parsed: GraphQLSchema) -> None:
        self.parsed = parsed
        # Python type per GraphQL type name; classes are decorated in place, later.
        self.types: dict[str, Any] = dict(SPECIFIED_SCALARS)
        self.scalars: dict[object, ScalarDefinition] = {}
        # Alias -> Python type of one type reference: what the annotations resolve through.
        self.namespace: dict[str, object] = {}
        self.annotations: dict[str, StrawberryAnnotation] = {}
        self.unresolved: dict[str, GraphQLType] = {}
        self.arguments: dict[tuple[str, ...], StrawberryArgument] = {}
        self.outputs: list[tuple[StrawberryField, GraphQLField]] = []
        self.undecorated: list[tuple[Callable[..., Any], GraphQLNamedType]] = []

    def annotation(self, kind: GraphQLType) -> StrawberryAnnotation:
        """The one annotation of a type reference (`[case]`, `String!`), shared by every use."""
        reference = str(kind)
        found = self.annotations.get(reference)
        if found is None:
            alias = f"T{len(self.annotations)}"
            found = StrawberryAnnotation(alias, namespace=self.namespace)
            self.annotations[reference] = found
            if get_named_type(kind).name in self.types:
                self.namespace[alias] = self.python_type(kind)
            else:
                self.unresolved[alias] = kind
        return found

    def python_type(self, kind: GraphQLType) -> object:
        """`[case]` -> `list[case | None] | None`: nullable unless wrapped in non-null."""
        if isinstance(kind, GraphQLNonNull):
            return self._required(kind.of_type)
        return self._required(kind) | None

    def _required(self, kind: GraphQLType) -> object:
        if isinstance(kind, GraphQLList):
            return list[self.python_type(kind.of_type)]
        return self.types[get_named_type(kind).name]

    def argument(self, name: str, argument: GraphQLArgument) -> StrawberryArgument:
        """One StrawberryArgument per distinct argument: a link field repeats its target's list."""
        default = _default(argument)
        key = (
            name,
            str(argument.type),
            repr(default),
            argument.description,
            argument.deprecation_reason,
        )
        found = self.arguments.get(key)
        if found is None:
            found = self.arguments[key] = StrawberryArgument(
                python_name=name,
                graphql_name=name,
                type_annotation=self.annotation(argument.type),
                description=argument.description,
                default=default,
                deprecation_reason=argument.deprecation_reason,
            )
        return found

    def output_field(self, name: str, attribute: str, field: GraphQLField) -> StrawberryField:
        made = StrawberryField(
            python_name=attribute,
            graphql_name=name,
            description=field.description,
            deprecation_reason=field.deprecation_reason,
        )
        self.outputs.append((made, field))
        return made

    def input_field(self, name: str, attribute: str, field: GraphQLInputField) -> StrawberryField:
        default = _default(field)
        return StrawberryField(
            python_name=attribute,
            graphql_name=name,
            description=field.description,
            deprecation_reason=field.deprecation_reason,
            **({} if default is UNSET else {"default": default}),
        )

    def cls(
        self,
        kind: GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType,
        make: Callable[[str, str, Any], StrawberryField],
        decorator: Callable[..., Any],
    ) -> type:
        """An undecorated class whose annotations are the shared annotations themselves:
        dataclasses hands them to the StrawberryFields as they are, namespace included."""
        attributes = _attributes(list(kind.fields))
        namespace: dict[str, Any] = {
            "__module__": __name__,
            "__annotations__": {
                attributes[name]: self.annotation(field.type) for name, field in kind.fields.items()
            },
        }
        for name, field in kind.fields.items():
            namespace[attributes[name]] = make(name, attributes[name], field)
        self.undecorated.append((decorator, kind))
        return type(kind.name, (), namespace)

    def enum(self, kind: GraphQLEnumType) -> type[Enum]:
        # Member names are positional: Enum refuses some valid GraphQL names (`mro`, `_x_`).
        members = {
            f"value_{index}": strawberry.enum_value(
                name,
                name=name,
                description=value.description,
                deprecation_reason=value.deprecation_reason,
            )
            for index, (name, value) in enumerate(kind.values.items())
        }
        return strawberry.enum(
            Enum(kind.name, members),  # type: ignore[misc]
            name=kind.name,
            description=kind.description,
        )

    def scalar(self, kind: GraphQLScalarType) -> object:
        """No coercion of its own, as a scalar read from SDL has none: values pass as given."""
        python = NewType(kind.name, object)  # type: ignore[misc]
        self.scalars[python] = strawberry.scalar(
            name=kind.name, description=kind.description, specified_by_url=kind.specified_by_url
        )
        return python

    def named(self, kind: GraphQLNamedType) -> object:
        if isinstance(kind, GraphQLScalarType):
            return self.scalar(kind)
        if isinstance(kind, GraphQLEnumType):
            return self.enum(kind)
        if isinstance(kind, GraphQLInputObjectType):
            return self.cls(kind, self.input_field, strawberry.input)
        if isinstance(kind, GraphQLInterfaceType):
            return self.cls(kind, self.output_field, strawberry.interface)
        if isinstance(kind, GraphQLObjectType):
            return self.cls(kind, self.output_field, strawberry.type)
        raise ValueError(f"{kind.name}: only object, interface, input, enum and scalar types")

    def implements(self, kind: GraphQLObjectType | GraphQLInterfaceType) -> None:
        """Interfaces as the SDL lists them. Strawberry would read them from the classes'
        bases, but a subclass lists inherited fields first: the SDL's field order would go."""
        definition = self.types[kind.name].__strawberry_definition__
        definition.interfaces = [
            self.types[interface.name].__strawberry_definition__ for interface in kind.interfaces
        ]

    def schema(self) -> strawberry.Schema:
        parsed = self.parsed
        if parsed.query_type is None or parsed.subscription_type is not None:
            raise ValueError("a schema with a query type and no subscriptions is supported")
        custom = [d.name for d in parsed.directives if not is_specified_directive(d)]
        if custom:
            raise ValueError(f"custom directives are not supported: {', '.join(custom)}")
        defined = [
            kind
            for kind in parsed.type_map.values()
            if not is_introspection_type(kind) and not is_specified_scalar_type(kind)
        ]
        for kind in defined:
            self.types[kind.name] = self.named(kind)
        for alias, kind in self.unresolved.items():
            self.namespace[alias] = self.python_type(kind)
        for made, field in self.outputs:
            made.arguments = [self.argument(name, value) for name, value in field.args.items()]
        for decorator, kind in self.undecorated:
            decorated = decorator(
                self.types[kind.name], name=kind.name, description=kind.description
            )
            assert decorated is self.types[kind.name], "the namespace holds the class itself"
        for kind in defined:
            if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType)):
                self.implements(kind)
        mutation = parsed.mutation_type
        return strawberry.Schema(
            query=self.types[parsed.query_type.name],
            mutation=None if mutation is None else self.types[mutation.name],
            types=[self.types[kind.name] for kind in defined],
            config=StrawberryConfig(auto_camel_case=False, scalar_map=self.scalars),
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building makes hundreds of thousands of objects that all stay alive; the cyclic
    garbage collector would walk the growing heap again and again for nothing (it took
    a third of the time for the default dictionary, half of it for a large one)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _resolve(
    schema: GraphQLSchema, resolvers: Mapping[tuple[str, str], GraphQLFieldResolver]
) -> None:
    """graphql-core's resolvers on every object field: the given one, else graphql-core's
    default, which reads the GraphQL name (a dict's key or an attribute). Strawberry's
    own would read the Python attribute, `from_` for a field `from`."""
    unknown = set(resolvers)
    for kind in schema.type_map.values():
        if isinstance(kind, GraphQLObjectType) and not is_introspection_type(kind):
            for name, field in kind.fields.items():
                field.resolve = resolvers.get((kind.name, name))
                unknown.discard((kind.name, name))
    if unknown:
        raise ValueError(f"resolvers of no field: {sorted(unknown)}")


def strawberry_schema(
    sdl: str, resolvers: Mapping[tuple[str, str], GraphQLFieldResolver] | None = None
) -> strawberry.Schema:
    """The strawberry schema of `sdl`; graphql-core's schema object is its `_schema`.

    `resolvers` are graphql-core's, keyed by (type name, field name): they are called
    with graphql-core's GraphQLResolveInfo, not strawberry's Info."""
    with _collector_paused():
        parsed = build_schema(sdl, assume_valid=True, assume_valid_sdl=True)
        served = _Converter(parsed).schema()
    _resolve(served._schema, resolvers or {})
    return served


def strawberry_schema_of(description: GraphQLSchema) -> strawberry.Schema:
    """A schema described with graphql-core's classes, served by strawberry: its printed
    SDL converted, with the resolvers its fields carry. A scalar is converted without
    coercion of its own (see `scalar`), so one that has some is refused."""
    resolvers: dict[tuple[str, str], GraphQLFieldResolver] = {}
    for kind in description.type_map.values():
        if isinstance(kind, GraphQLScalarType) and not is_specified_scalar_type(kind):
            coercion = [name for name, value in kind.to_kwargs().items() if callable(value)]
            if coercion:
                raise ValueError(f"{kind.name}: a scalar's own {', '.join(coercion)}")
        if isinstance(kind, GraphQLObjectType) and not is_introspection_type(kind):
            for name, field in kind.fields.items():
                if field.resolve is not None:
                    resolvers[kind.name, name] = field.resolve
    return strawberry_schema(print_schema(description), resolvers)


def plain(value: Any) -> Any:
    """An argument as JSON gives it: strawberry's enum types hand a value in as a member
    of their Python Enum (a default as it is), which a resolver here never wants."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [plain(each) for each in value]
    return value
