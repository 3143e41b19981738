"""JSON Schema validators for submitted entities, one per node type, as sheepdog checks them.

Each validator is Draft 4 (what Gen3 dictionaries are written in) over the
node's resolved schema, with two of Gen3's submission rules applied:

- allow_nulls: a property that is not required also accepts null, so a TSV
  with an empty cell (or an update clearing a value) is valid;
- every link accepts `{"id": ...}` / `{"submitter_id": ...}` or a list of
  them, like Gen3's `to_one`/`to_many` definitions, even when the dictionary
  forgot to declare the link among its properties;
- a link marked `required: true` must be given even when the node's
  `required` list leaves it out, inside a link group too, as Gen3's link
  validator requires ("Entity is missing required link to ...").
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import fastjsonschema
from jsonschema import Draft4Validator, ValidationError

from engine.dictionary.model import Dictionary, Multiplicity, NodeType

_FOREIGN_KEY = {
    "type": "object",
    "additionalProperties": True,
    "properties": {"id": {"type": "string"}, "submitter_id": {"type": "string"}},
}
_TO_ONE = {"anyOf": [{"type": "array", "items": _FOREIGN_KEY, "maxItems": 1}, _FOREIGN_KEY]}
_TO_MANY = {"anyOf": [{"type": "array", "items": _FOREIGN_KEY}, _FOREIGN_KEY]}


def _link_schema(multiplicity: Multiplicity) -> dict[str, Any]:
    """A link pointing to one target (`*_to_one`) takes one reference; others take a list too."""
    return _TO_ONE if multiplicity.endswith("_to_one") else _TO_MANY


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema["type"]
    return declared if isinstance(declared, list) else [declared]


def _accepts_null(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return True
    if "type" in schema and "null" not in _types(schema):
        return False
    if "enum" in schema and None not in schema["enum"]:
        return False
    if "oneOf" in schema and sum(_accepts_null(branch) for branch in schema["oneOf"]) != 1:
        return False
    return "anyOf" not in schema or any(_accepts_null(branch) for branch in schema["anyOf"])


def allow_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, widened to accept null too (a new dict; the dictionary's schema is shared)."""
    if _accepts_null(schema):
        return schema
    widened = dict(schema)
    if "type" in widened and "null" not in _types(widened):
        widened["type"] = [*_types(widened), "null"]
    if "enum" in widened and None not in widened["enum"]:
        widened["enum"] = [*widened["enum"], None]
    for union in ("oneOf", "anyOf"):
        if union in widened and not any(_accepts_null(branch) for branch in widened[union]):
            widened[union] = [*widened[union], {"type": "null"}]
    return widened


def entity_schema(node: NodeType) -> dict[str, Any]:
    """The JSON Schema a submitted entity of `node` must satisfy."""
    properties = dict(node.schema.get("properties", {}))
    for link in node.links:
        properties.setdefault(link.name, _link_schema(link.multiplicity))
    required = [*node.required]
    required += [link.name for link in node.links if link.required and link.name not in required]
    return {
        **node.schema,
        **({"required": required} if required else {}),
        "properties": {
            name: schema if name in required else allow_null(schema)
            for name, schema in properties.items()
        },
    }


class EntityValidator:
    """A Draft 4 validator with a compiled fast path for the common case: a valid entity.

    fastjsonschema turns the schema into Python code that says "valid" about
    ten times faster than jsonschema; only an entity it rejects pays for
    jsonschema's detailed errors, and jsonschema's verdict is the one kept.
    The fast code is generated on first use, so compiling a large dictionary
    stays cheap.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        # What the dictionary says an absent property is; check_document fills these in.
        self.defaults = {
            name: prop["default"]
            for name, prop in schema.get("properties", {}).items()
            if isinstance(prop, dict) and "default" in prop
        }
        self._detailed = Draft4Validator(schema)
        self._fast: Callable[[Any], Any] | None = None

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        return self._detailed.iter_errors(instance)

    def is_valid(self, instance: Any) -> bool:
        if self._fast is None:
            # use_default=False: validation runs on a worker thread and must not change the entity.
            self._fast = fastjsonschema.compile(self.schema, use_default=False)
        try:
            self._fast(instance)
        except fastjsonschema.JsonSchemaException:
            return self._detailed.is_valid(instance)
        return True


def compile_validators(dictionary: Dictionary) -> dict[str, EntityValidator]:
    """One Draft 4 validator per node type.

    The loader's metaschema has already checked every property against the
    Draft 4 keywords, so the schemas are not checked again here.
    """
    return {name: EntityValidator(entity_schema(node)) for name, node in dictionary.nodes.items()}


@dataclass(frozen=True)
class EntityError:
    """One problem of a submitted entity; `keys` name the properties involved, as sheepdog reports."""

    keys: tuple[str, ...]
    message: str
    # The JSON Schema keyword that failed (`required`, `enum`, ...), for mapping to error types.
    rule: str = ""


def _keys(error: Any) -> tuple[str, ...]:
    if error.path:
        return (str(error.path[0]),)
    if error.validator == "required":
        return (ast.literal_eval(error.message.removesuffix(" is a required property")),)
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        return tuple(sorted(str(key) for key in error.instance if key not in allowed))
    return ()


def validate_entity(validator: EntityValidator, entity: dict[str, Any]) -> list[EntityError]:
    """Every problem of `entity`, ordered by property name; [] when it is valid."""
    if validator.is_valid(entity):
        return []
    errors = [
        EntityError(_keys(error), error.message, str(error.validator))
        for error in validator.iter_errors(entity)
    ]
    return sorted(errors, key=lambda item: item.keys)
