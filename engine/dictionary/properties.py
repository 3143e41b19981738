"""A node's property schema (resolved JSON Schema) -> the typed `Property`.

Gen3 writes the same idea several ways: `type: [string, "null"]`, an `enum`
without a `type`, a `oneOf` of enums (`state`), a `oneOf` of a date-time
string and null (`datetime`). Every later step wants one answer to "what
kind of value is this", so the answer is worked out once, here.
"""

from __future__ import annotations

from typing import Any

from engine.dictionary.model import Property, PropertyKind

_VALUE_TYPES = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
    (type(None), "null"),
)
_JSON_TYPE_ORDER = ("string", "integer", "number", "boolean", "array", "object", "null")


def json_type(value: Any) -> str:
    """The JSON type of a decoded JSON value: one naming for schemas, studies and SQL values."""
    return next((name for kind, name in _VALUE_TYPES if isinstance(value, kind)), "object")


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a `oneOf`/`anyOf` union, flattened; the schema itself when it is not one."""
    union = schema.get("oneOf") or schema.get("anyOf")
    if not union:
        return [schema]
    return [leaf for branch in union if isinstance(branch, dict) for leaf in _branches(branch)]


def _types(schema: dict[str, Any]) -> tuple[str, ...]:
    """JSON types the schema accepts, in a fixed order; () when it does not say (anything goes)."""
    found: set[str] = set()
    for branch in _branches(schema):
        declared = branch.get("type", schema.get("type"))
        if declared is not None:
            found.update(declared if isinstance(declared, list) else [declared])
        elif "enum" in branch:
            found.update(json_type(value) for value in branch["enum"])
        else:
            return ()
    return tuple(name for name in _JSON_TYPE_ORDER if name in found)


def _enum(schema: dict[str, Any]) -> tuple[Any, ...] | None:
    """Enum values when every non-null alternative is an enum (null itself is not a value)."""
    values: list[Any] = []
    for branch in _branches(schema):
        if "enum" in branch:
            values.extend(
                value for value in branch["enum"] if value is not None and value not in values
            )
        elif branch.get("type") != "null":
            return None
    return tuple(values) or None


def _main_branch(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema's keys, with those of its single non-null alternative when it is a nullable union."""
    real = [branch for branch in _branches(schema) if branch.get("type") != "null"]
    return {**schema, **real[0]} if len(real) == 1 and real[0] is not schema else schema


def _kind(schema: dict[str, Any], types: tuple[str, ...]) -> PropertyKind:
    if _enum(schema) is not None:
        return "enum"
    real = [name for name in types if name != "null"]
    if real == ["string"] and _main_branch(schema).get("format") == "date-time":
        return "datetime"
    if len(real) == 1:
        return real[0]  # type: ignore[return-value]
    if real == ["integer", "number"]:
        return "number"
    return "string"


def _alternatives(schema: dict[str, Any], kind: PropertyKind) -> tuple[PropertyKind, ...]:
    """The kinds a table cell may be read as, in the schema's order, when `kind` alone cannot say.

    A cell is text: `69` must become a number for `anyOf: [{type: integer},
    {enum: [">89"]}]` (whose kind is "string", as its values may be either)
    and `1` for `enum: [1, 2]`. Null alternatives are left out (an empty cell
    is null already), and so are arrays and objects, which a union's cell
    cannot hold.
    """
    if kind == "array":
        return ()
    kinds: list[str] = []
    for branch in _branches(schema):
        if "enum" in branch:
            kinds += ["enum"] if any(value is not None for value in branch["enum"]) else []
            continue
        declared = branch.get("type", schema.get("type", "string"))
        kinds += declared if isinstance(declared, list) else [declared]
    found = tuple(dict.fromkeys(k for k in kinds if k not in ("null", "array", "object")))
    if found == ("enum",):
        textual = all(isinstance(value, str) for value in _enum(schema) or ())
        return () if textual else found  # type: ignore[return-value]
    one_reading = len(found) < 2 or set(found) == {"integer", "number"}
    return () if one_reading else found  # type: ignore[return-value]


def schema_bound(schema: dict[str, Any], key: str) -> tuple[float | None, bool]:
    """(bound, exclusive): Draft 4 writes `exclusiveMinimum: true`, later drafts a number."""
    exclusive = schema.get("exclusive" + key.capitalize())
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        return float(exclusive), True
    bound = schema.get(key)
    return (float(bound) if isinstance(bound, int | float) else None), exclusive is True


def _description(schema: dict[str, Any], term: dict[str, Any] | None) -> str:
    text = schema.get("description") or (term or {}).get("description") or ""
    return " ".join(str(text).split())


def build_property(
    name: str, schema: dict[str, Any], *, required: bool, system: bool, deprecated: bool
) -> Property:
    """The typed view of one property; `schema` is its resolved JSON Schema."""
    types = _types(schema)
    main = _main_branch(schema)
    kind = _kind(schema, types)
    alternatives = _alternatives(schema, kind)
    items = main.get("items") if kind == "array" else None
    item_kind: PropertyKind | None = None
    item_enum: tuple[Any, ...] = ()
    if isinstance(items, dict):
        item_kind = _kind(items, _types(items))
        item_enum = _enum(items) or ()
    minimum, exclusive_minimum = schema_bound(main, "minimum")
    maximum, exclusive_maximum = schema_bound(main, "maximum")
    term = schema.get("term") if isinstance(schema.get("term"), dict) else None
    return Property(
        name=name,
        kind=kind,
        types=types,
        enum=_enum(schema) or (),
        alternatives=alternatives,
        item_kind=item_kind,
        item_enum=item_enum,
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=exclusive_minimum,
        exclusive_maximum=exclusive_maximum,
        pattern=main.get("pattern"),
        format=main.get("format"),
        required=required,
        system=system,
        deprecated=deprecated or schema.get("deprecated") is True,
        description=_description(schema, term),
        term=term,
    )
