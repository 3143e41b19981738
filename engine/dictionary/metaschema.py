"""Check node files against Commons' metaschema (metaschema.yaml, next to this file).

jsonschema finds the problems; this module words them for a data steward:
`links[1].multiplicity: 'one_to_few' is not one of one_to_one, ...` rather
than jsonschema's Python reprs. A sub-schema with a `message` key reports
that text instead of the generic wording.

Properties are checked apart from the node file, once per distinct shape
(see MetaschemaChecker): a dictionary repeats the same few shapes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from engine.dictionary.errors import ErrorList
from engine.dictionary.graphql_names import is_name
from engine.dictionary.resolver import read_yaml

METASCHEMA_PATH = Path(__file__).with_name("metaschema.yaml")

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
JsonPath = list[str | int]


@functools.cache
def _validators() -> tuple[Draft7Validator, Draft7Validator]:
    """(node file validator, property validator), both from metaschema.yaml."""
    schema = read_yaml(METASCHEMA_PATH)
    Draft7Validator.check_schema(schema)
    checker = FormatChecker(["regex"])
    definitions = schema["definitions"]
    prop = {**definitions["property"], "definitions": definitions}
    return Draft7Validator(schema, format_checker=checker), Draft7Validator(
        prop, format_checker=checker
    )


def _unknown_keys(error: ValidationError) -> list[str]:
    """The keys `additionalProperties: false` refused: neither listed nor matching a pattern."""
    allowed = error.schema.get("properties", {})
    patterns = [re.compile(pattern) for pattern in error.schema.get("patternProperties", {})]
    return [
        str(key)
        for key in error.instance
        if key not in allowed and not any(pattern.search(str(key)) for pattern in patterns)
    ]


def _custom(error: ValidationError) -> str | None:
    message = error.schema.get("message") if isinstance(error.schema, dict) else None
    return message.get(error.validator) if isinstance(message, dict) else message


def _wording(error: ValidationError) -> Iterator[tuple[JsonPath, str]]:
    """(path, message) pairs for one jsonschema error; `required` and `additionalProperties` may give several."""
    path: JsonPath = list(error.absolute_path)
    custom = _custom(error)
    value = error.validator_value
    if error.validator == "additionalProperties" and value is False:
        for key in _unknown_keys(error):
            yield [*path, key], custom or "unknown key"
    elif custom:
        yield path, custom
    elif error.validator == "required":
        for key in value:
            if key not in error.instance:
                yield [*path, key], "is required"
    elif error.validator == "enum":
        yield path, f"{error.instance!r} is not one of {', '.join(str(item) for item in value)}"
    elif error.validator == "type":
        types = value if isinstance(value, list) else [value]
        yield path, "must be " + " or ".join(_TYPE_WORDS.get(item, item) for item in types)
    elif error.validator in ("minItems", "minLength") and value == 1:
        yield path, "must not be empty"
    else:
        yield path, error.message


def _problems(validator: Draft7Validator, instance: Any) -> list[tuple[JsonPath, str]]:
    """Every problem once (jsonschema reports `required` once per missing key, each listing all)."""
    found: dict[str, tuple[JsonPath, str]] = {}
    for error in validator.iter_errors(instance):
        for path, message in _wording(error):
            found.setdefault(f"{path}{message}", (path, message))
    return list(found.values())


class MetaschemaChecker:
    """Checks the node files of one dictionary, each distinct property shape once.

    Whether a property schema passes depends only on the keywords the
    metaschema constrains (`type`, `enum`, `items`, `minimum`, ...), not on
    its description or term, so the check is remembered under those
    keywords: the many `type: string` properties of a dictionary cost one.
    """

    def __init__(self) -> None:
        self._node, self._property = _validators()
        self._keywords = tuple(self._property.schema["properties"])
        self._checked: dict[str, list[tuple[JsonPath, str]]] = {}

    def _property_problems(self, schema: Any) -> list[tuple[JsonPath, str]]:
        if not isinstance(schema, dict):
            return _problems(self._property, schema)
        shape = repr([(key, schema[key]) for key in self._keywords if key in schema])
        if shape not in self._checked:
            self._checked[shape] = _problems(self._property, schema)
        return self._checked[shape]

    def check(self, file: str, document: Any, errors: ErrorList) -> bool:
        """Add every problem of `document` (a resolved node file) to `errors`; True if there is none."""
        problems = _problems(self._node, document)
        properties = document.get("properties") if isinstance(document, dict) else None
        for name, schema in properties.items() if isinstance(properties, dict) else ():
            if is_name(name):
                problems += [
                    (["properties", name, *path], message)
                    for path, message in self._property_problems(schema)
                ]
        for path, message in problems:
            errors.add(file, path, message)
        return not problems
