"""The dictionary as PFB's Avro schema and Metadata record, laid out as pypfb writes them.

pypfb (uc-cdis/pypfb, `pfb from dict`: src/pfb/importers/gen3dict.py and
src/pfb/writer.py `make_avro_schema`) builds one record `Entity{id, name,
object, relations}` whose `object` is a union of the `Metadata` record and
one record per node type. Each property is a nullable union (the value type
first when the property has a default); integer is `long`, number `double`;
an enum is named `<node>_<property>` (`<node>_<property>_anon_enum` for an
array's items). Enum symbols (and array-item enum names) are escaped by
`encode_enum`, since Avro symbols allow only `[A-Za-z0-9_]`: every other
character, and a leading digit, becomes `_<hex code point>_`. Properties
PFB cannot type (a union of an enum and a number) travel as their text.
"""

from __future__ import annotations

import re
from typing import Any

from engine.dictionary.model import Dictionary, NodeType, Property

# What the dictionary keeps out of a node's record: `id` is the Entity's, `type` its `name`.
NOT_IN_RECORD = ("id", "type")
_ESCAPED = re.compile(r"^[0-9]|[^A-Za-z0-9]")
_ESCAPE = re.compile(r"_[a-f0-9]{2,}_")
_SCALARS = {
    "string": "string",
    "datetime": "string",
    "integer": "long",
    "number": "double",
    "boolean": "boolean",
}


def encode_enum(value: Any) -> str:
    """An enum value as an Avro symbol, escaped as pypfb's `encode_enum` escapes it."""
    return _ESCAPED.sub(lambda found: f"_{ord(found.group()):x}_", str(value))


def decode_enum(symbol: str) -> str:
    """The value `encode_enum` escaped, as pypfb's `decode_enum` restores it."""
    return _ESCAPE.sub(lambda found: chr(int(found.group()[1:-1], 16)), symbol)


def as_text(prop: Property) -> bool:
    """Whether a property travels as its text: a union of kinds (`integer` or an enum value)."""
    return bool(prop.alternatives)


def _value_type(node: NodeType, prop: Property) -> Any | None:
    """The property's Avro type (enums escaped), or None when PFB has none (an object)."""
    if as_text(prop):
        return "string"
    if prop.kind == "enum":
        symbols = [encode_enum(value) for value in prop.enum if value is not None]
        return {"type": "enum", "name": f"{node.name}_{prop.name}", "symbols": symbols}
    if prop.kind == "array":
        if prop.item_kind == "enum":
            items: Any = {
                "type": "enum",
                "name": encode_enum(f"{node.name}_{prop.name}_anon_enum"),
                "symbols": [encode_enum(v) for v in prop.item_enum if v is not None],
            }
        else:
            items = _SCALARS.get(prop.item_kind or "string")
        return {"type": "array", "items": items} if items else None
    return _SCALARS.get(prop.kind)


def record_fields(node: NodeType) -> list[tuple[Property, Any]]:
    """The properties a node's record carries, each with its Avro type, in dictionary order."""
    fields = []
    for prop in node.properties.values():
        value_type = None if prop.name in NOT_IN_RECORD else _value_type(node, prop)
        if value_type is not None:
            fields.append((prop, value_type))
    return fields


def _field(node: NodeType, prop: Property, value_type: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"name": prop.name}
    default = node.schema.get("properties", {}).get(prop.name, {}).get("default")
    if default is not None and not as_text(prop):
        if prop.kind == "enum":
            default = encode_enum(default)
        field |= {"type": [value_type, "null"], "default": default}
    else:
        field |= {"type": ["null", value_type], "default": None}
    if prop.description:
        field["doc"] = prop.description
    return field


def node_record(node: NodeType) -> dict[str, Any]:
    """The Avro record of one node type."""
    fields = [_field(node, prop, value_type) for prop, value_type in record_fields(node)]
    return {"type": "record", "name": node.name, "fields": fields}


def _strings(values: Any) -> dict[str, str]:
    """An Avro `map<string>`: the mapping's scalar entries, as text."""
    if not isinstance(values, dict):
        return {}
    return {str(k): str(v) for k, v in values.items() if v is not None}


def _term(schema: dict[str, Any]) -> dict[str, Any]:
    term = schema.get("term")
    return term.get("termDef", {}) if isinstance(term, dict) else {}


def node_metadata(node: NodeType) -> dict[str, Any]:
    """A node's entry of the Metadata record: its term, links (groups flattened), and terms of
    the properties that have one (as pypfb's `_get_ontology_references`)."""
    properties = []
    for name, schema in node.schema.get("properties", {}).items():
        term_def = _term(schema) if isinstance(schema, dict) else {}
        if term_def:
            properties.append(
                {
                    "name": name,
                    "ontology_reference": str(term_def.get("term") or ""),
                    "values": _strings({k: v for k, v in term_def.items() if k != "term"}),
                }
            )
    links = [
        {"multiplicity": link.multiplicity.upper(), "dst": link.target, "name": link.name}
        for link in node.links
    ]
    return {
        "name": node.name,
        "ontology_reference": "",
        "values": _strings(_term(node.schema)),
        "links": links,
        "properties": properties,
    }


def metadata(dictionary: Dictionary) -> dict[str, Any]:
    """The Metadata record: every node type, and no `misc`."""
    return {"nodes": [node_metadata(node) for node in dictionary.nodes.values()], "misc": {}}


def _metadata_record() -> dict[str, Any]:
    def record(name: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
        return {"type": "record", "name": name, "fields": fields}

    def array(items: Any) -> dict[str, Any]:
        return {"type": "array", "items": items}

    strings = {"type": "map", "values": "string"}
    multiplicity = {
        "type": "enum",
        "name": "Multiplicity",
        "symbols": ["ONE_TO_ONE", "ONE_TO_MANY", "MANY_TO_ONE", "MANY_TO_MANY"],
    }
    link = record(
        "Link",
        [
            {"name": "multiplicity", "type": multiplicity},
            {"name": "dst", "type": "string"},
            {"name": "name", "type": "string"},
        ],
    )
    prop = record(
        "Property",
        [
            {"name": "name", "type": "string"},
            {"name": "ontology_reference", "type": "string"},
            {"name": "values", "type": strings},
        ],
    )
    node = record(
        "Node",
        [
            {"name": "name", "type": "string"},
            {"name": "ontology_reference", "type": "string"},
            {"name": "values", "type": strings},
            {"name": "links", "type": array(link)},
            {"name": "properties", "type": array(prop)},
        ],
    )
    return record(
        "Metadata", [{"name": "nodes", "type": array(node)}, {"name": "misc", "type": strings}]
    )


def avro_schema(dictionary: Dictionary) -> dict[str, Any]:
    """The Entity schema of a PFB holding entities of `dictionary`."""
    relation = {
        "type": "record",
        "name": "Relation",
        "fields": [{"name": "dst_id", "type": "string"}, {"name": "dst_name", "type": "string"}],
    }
    objects = [_metadata_record()] + [node_record(node) for node in dictionary.nodes.values()]
    return {
        "type": "record",
        "name": "Entity",
        "fields": [
            {"name": "id", "type": ["null", "string"], "default": None},
            {"name": "name", "type": "string"},
            {"name": "object", "type": objects},
            {"name": "relations", "type": {"type": "array", "items": relation}, "default": []},
        ],
    }
