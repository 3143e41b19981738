"""Benchmark: load and fully compile a large dictionary (150 node types x 40 properties).

A plain script (`make bench` runs it): it writes a generated Gen3
dictionary into a temporary folder, times `compile_dictionary` (YAML,
$ref resolution, metaschema, model, DDL, validators, SDL) over a few runs
and prints the best. The last line is machine-readable:

    BENCH dictionary compile_s=<seconds>

Goal: under 1 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.dictionary.compile import compile_dictionary  # noqa: E402

NODE_TYPES = 150
PROPERTIES = 40
RUNS = 5

DEFINITIONS = {
    "UUID": {
        "type": "string",
        "pattern": "^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$",
    },
    "foreign_key": {
        "type": "object",
        "additionalProperties": True,
        "properties": {"id": {"$ref": "#/UUID"}, "submitter_id": {"type": "string"}},
    },
    "to_one": {
        "anyOf": [
            {"type": "array", "items": {"$ref": "#/foreign_key"}, "maxItems": 1},
            {"$ref": "#/foreign_key"},
        ]
    },
    "to_many": {
        "anyOf": [{"type": "array", "items": {"$ref": "#/foreign_key"}}, {"$ref": "#/foreign_key"}]
    },
    "datetime": {
        "oneOf": [{"type": "string", "format": "date-time"}, {"type": "null"}],
        "term": {"$ref": "_terms.yaml#/datetime"},
    },
    "state": {
        "default": "validated",
        "oneOf": [
            {"enum": ["uploading", "uploaded", "error"]},
            {"enum": ["validated", "submitted", "released"]},
        ],
    },
    "ubiquitous_properties": {
        "type": {"type": "string"},
        "id": {"$ref": "#/UUID"},
        "submitter_id": {"type": ["string", "null"]},
        "state": {"$ref": "#/state"},
        "project_id": {"type": "string"},
        "created_datetime": {"$ref": "#/datetime"},
        "updated_datetime": {"$ref": "#/datetime"},
    },
}
TERMS = {
    "datetime": {"description": "A date and time."},
    **{f"term_{i}": {"description": f"Term {i}."} for i in range(PROPERTIES)},
}


def _property(node: int, index: int) -> dict:
    """A mix like real dictionaries: strings, enums, numbers with bounds, booleans, arrays, datetimes.

    Each property gets its own description, as in real dictionaries, so no
    two inline property schemas are alike.
    """
    term = {"$ref": f"_terms.yaml#/term_{index}"}
    description = f"Field {index} of node type {node}: what it records and in which unit."
    shapes = [
        {"type": "string"},
        {"enum": [f"Value {value} of {node}" for value in range(12)]},
        {"type": "number", "minimum": 0, "maximum": 1000},
        {"type": "integer"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
        {"$ref": "_definitions.yaml#/datetime"},
        {"type": ["string", "null"]},
    ]
    return {"term": term, "description": description, **shapes[index % len(shapes)]}


def _node(index: int) -> dict:
    name = f"node_{index:03d}"
    parent = "project" if index < 5 else f"node_{(index - 5) // 3:03d}"
    links = [
        {
            "name": "parents",
            "backref": f"{name}_children",
            "label": "child_of",
            "target_type": parent,
            "multiplicity": "many_to_one",
            "required": True,
        }
    ]
    if index >= 10:
        links.append(
            {
                "exclusive": True,
                "required": False,
                "subgroup": [
                    {
                        "name": "first_sources",
                        "backref": f"{name}_first",
                        "label": "derived_from",
                        "target_type": f"node_{index - 10:03d}",
                        "multiplicity": "many_to_many",
                        "required": False,
                    },
                    {
                        "name": "second_sources",
                        "backref": f"{name}_second",
                        "label": "derived_from",
                        "target_type": f"node_{index - 9:03d}",
                        "multiplicity": "many_to_many",
                        "required": False,
                    },
                ],
            }
        )
    properties = {"$ref": "_definitions.yaml#/ubiquitous_properties"}
    properties.update({f"field_{i}": _property(index, i) for i in range(PROPERTIES)})
    properties.update(
        {
            "parents": {"$ref": "_definitions.yaml#/to_one"},
            "first_sources": {"$ref": "_definitions.yaml#/to_many"},
            "second_sources": {"$ref": "_definitions.yaml#/to_many"},
        }
    )
    if index < 10:
        del properties["first_sources"], properties["second_sources"]
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "id": name,
        "title": name.replace("_", " ").title(),
        "type": "object",
        "category": ["clinical", "biospecimen", "data_file"][index % 3],
        "program": "*",
        "project": "*",
        "description": f"Generated node type {index}.",
        "additionalProperties": False,
        "submittable": True,
        "validators": None,
        "systemProperties": ["id", "project_id", "state", "created_datetime", "updated_datetime"],
        "links": links,
        "required": ["submitter_id", "type", "parents"],
        "uniqueKeys": [["id"], ["project_id", "submitter_id"]],
        "properties": properties,
    }


def _administrative() -> dict[str, dict]:
    common = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "category": "administrative",
        "program": "*",
        "project": "*",
        "additionalProperties": False,
        "validators": None,
    }
    program = {
        **common,
        "id": "program",
        "title": "Program",
        "submittable": False,
        "systemProperties": ["id"],
        "links": [],
        "required": ["name"],
        "uniqueKeys": [["id"], ["name"]],
        "properties": {
            "type": {"type": "string"},
            "id": {"$ref": "_definitions.yaml#/UUID"},
            "name": {"type": "string"},
        },
    }
    project = {
        **common,
        "id": "project",
        "title": "Project",
        "submittable": True,
        "systemProperties": ["id"],
        "required": ["code", "programs"],
        "uniqueKeys": [["id"], ["code"]],
        "links": [
            {
                "name": "programs",
                "backref": "projects",
                "label": "member_of",
                "target_type": "program",
                "multiplicity": "many_to_one",
                "required": True,
            }
        ],
        "properties": {
            "type": {"type": "string"},
            "id": {"$ref": "_definitions.yaml#/UUID"},
            "code": {"type": "string"},
            "programs": {"$ref": "_definitions.yaml#/to_one"},
        },
    }
    return {"program": program, "project": project}


def write_dictionary(folder: Path) -> None:
    dump = lambda name, data: (folder / name).write_text(yaml.safe_dump(data, sort_keys=False))  # noqa: E731
    dump("_definitions.yaml", DEFINITIONS)
    dump("_terms.yaml", TERMS)
    dump("_settings.yaml", {"enable_case_cache": False})
    for name, node in _administrative().items():
        dump(f"{name}.yaml", node)
    for index in range(NODE_TYPES - 2):
        dump(f"node_{index:03d}.yaml", _node(index))


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        write_dictionary(folder)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            compiled = compile_dictionary(folder)
            times.append(time.perf_counter() - start)
        nodes = compiled.dictionary.nodes
        print(
            f"{len(nodes)} node types, {sum(len(node.properties) for node in nodes.values())} properties, "
            f"{len(compiled.ddl)} DDL statements, SDL {len(compiled.sdl) // 1024} KiB"
        )
        print("runs (s): " + ", ".join(f"{value:.3f}" for value in times))
        print(f"BENCH dictionary compile_s={min(times):.3f}")


if __name__ == "__main__":
    main()
