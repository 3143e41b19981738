"""Loading a Gen3 dictionary folder into the typed model (fixture: tests/fixtures/dictionaries/complete)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.dictionary import load_dictionary
from engine.dictionary.model import Dictionary, LinkGroup
from tests.dictionary_fixtures import COMPLETE, edited


@pytest.fixture(scope="module")
def complete() -> Dictionary:
    return load_dictionary(COMPLETE)


def _refs_left(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [key for key in value if str(key).startswith("$ref")] + [
            ref for item in value.values() for ref in _refs_left(item)
        ]
    if isinstance(value, list):
        return [ref for item in value for ref in _refs_left(item)]
    return []


def test_node_types_are_the_files_not_starting_with_underscore(complete: Dictionary) -> None:
    assert sorted(complete.nodes) == [
        "case",
        "demographic",
        "program",
        "project",
        "read_group",
        "sample",
    ]
    assert complete.source == str(COMPLETE)


def test_shared_files_are_kept_as_written(complete: Dictionary) -> None:
    assert complete.settings == {"enable_case_cache": False}
    assert complete.definitions["datetime"]["term"] == {"$ref": "_terms.yaml#/datetime"}
    assert complete.terms["age"]["termDef"]["term"] == "Age"


def test_import_order_puts_targets_first_program_and_project_leading(complete: Dictionary) -> None:
    assert complete.import_order == (
        "program",
        "project",
        "case",
        "demographic",
        "sample",
        "read_group",
    )
    position = {name: index for index, name in enumerate(complete.import_order)}
    for node in complete.nodes.values():
        for link in node.links:
            if link.target != node.name:
                assert position[link.target] < position[node.name]


def test_categories_are_sorted_and_unique(complete: Dictionary) -> None:
    assert complete.categories == ("administrative", "biospecimen", "clinical")


def test_every_reference_is_resolved_and_the_schema_is_json(complete: Dictionary) -> None:
    for node in complete.nodes.values():
        assert _refs_left(node.schema) == [], node.name
        json.dumps(node.schema)
    assert (
        complete.nodes["project"].schema["properties"]["intended_release_date"]["default"]
        == "2020-01-31"
    )


def test_local_reference_inside_a_node_file(complete: Dictionary) -> None:
    visits = complete.nodes["case"].properties["visits"]
    assert (visits.kind, visits.minimum) == ("integer", 0)


def test_ref_prefixed_keys_are_references(complete: Dictionary) -> None:
    case = complete.nodes["case"]
    assert {"id", "submitter_id", "state", "created_datetime"} <= set(case.properties)
    assert "$ref_common" not in case.schema["properties"]


def test_a_list_of_references_merges_in_order(complete: Dictionary) -> None:
    properties = complete.nodes["read_group"].properties
    assert {"submitter_id", "state", "file_name", "file_size", "md5sum", "read_length"} <= set(
        properties
    )
    assert properties["md5sum"].pattern == "^[a-f0-9]{32}$"


def test_referenced_content_overrides_sibling_keys(complete: Dictionary) -> None:
    nickname = complete.nodes["case"].schema["properties"]["nickname"]
    assert nickname["description"] == "The description from the terms."
    assert (
        complete.nodes["case"].properties["nickname"].description
        == "The description from the terms."
    )


def test_nested_references_resolve_in_their_own_file(complete: Dictionary) -> None:
    id_schema = complete.nodes["case"].schema["properties"]["id"]
    assert id_schema["term"] == {"description": "A 128-bit identifier."}
    assert id_schema["systemAlias"] == "node_id"


@pytest.mark.parametrize(
    ("name", "kind", "types"),
    [
        ("age", "integer", ("integer",)),
        ("weight", "number", ("number",)),
        ("smoker", "boolean", ("boolean",)),
        ("sex", "enum", ("string",)),
        ("consent_date", "datetime", ("string",)),
        ("created_datetime", "datetime", ("string", "null")),
        ("identifier", "string", ("string", "integer")),
        ("measurements", "array", ("array",)),
        ("submitter_id", "string", ("string", "null")),
        ("state", "enum", ("string",)),
    ],
)
def test_property_kinds(complete: Dictionary, name: str, kind: str, types: tuple[str, ...]) -> None:
    prop = complete.nodes["case"].properties[name]
    assert (prop.kind, prop.types) == (kind, types)


def test_enums_including_oneof_branches(complete: Dictionary) -> None:
    properties = complete.nodes["case"].properties
    assert properties["sex"].enum == ("female", "male", "unknown")
    assert properties["state"].enum == (
        "uploading",
        "uploaded",
        "error",
        "validated",
        "submitted",
        "released",
    )
    assert complete.nodes["project"].properties["state"].enum == ("open", "review", "closed")


def test_arrays_know_their_items(complete: Dictionary) -> None:
    properties = complete.nodes["case"].properties
    assert (properties["measurements"].item_kind, properties["measurements"].item_enum) == (
        "number",
        (),
    )
    assert (properties["tags"].item_kind, properties["tags"].item_enum) == (
        "enum",
        ("alpha", "beta"),
    )


def test_bounds_and_formats(complete: Dictionary) -> None:
    properties = complete.nodes["case"].properties
    age, weight = properties["age"], properties["weight"]
    assert (age.minimum, age.maximum, age.exclusive_minimum) == (0, 120, False)
    assert (weight.minimum, weight.maximum, weight.exclusive_minimum) == (0, None, True)
    assert properties["consent_date"].format == "date-time"
    assert properties["created_datetime"].format == "date-time"
    assert properties["id"].pattern.startswith("^[a-fA-F0-9]{8}")


def test_required_system_and_deprecated_flags(complete: Dictionary) -> None:
    case = complete.nodes["case"]
    assert case.required == ("submitter_id", "type", "projects")
    assert case.properties["submitter_id"].required and not case.properties["age"].required
    assert case.system_properties == (
        "id",
        "project_id",
        "state",
        "created_datetime",
        "updated_datetime",
    )
    assert case.properties["created_datetime"].system and not case.properties["age"].system
    assert case.deprecated == ("old_code", "legacy_flag")
    assert case.properties["old_code"].deprecated and case.properties["legacy_flag"].deprecated
    assert not case.properties["age"].deprecated


def test_descriptions_come_from_the_property_or_its_term(complete: Dictionary) -> None:
    properties = complete.nodes["case"].properties
    assert properties["smoker"].description == "Smokes."
    assert properties["age"].description == "Age in years."
    assert properties["age"].term == {
        "description": "Age in years.",
        "termDef": {"term": "Age", "source": "fixture"},
    }


def test_node_attributes(complete: Dictionary) -> None:
    case, program = complete.nodes["case"], complete.nodes["program"]
    assert (case.title, case.category, case.namespace) == (
        "Case",
        "administrative",
        "http://example.org",
    )
    assert case.description == "A subject of a study, described on two lines."
    assert case.submittable and not program.submittable
    assert case.additional_properties is False
    assert case.validators == ("check_age",)
    assert case.unique_keys == (("id",), ("project_id", "submitter_id"))
    assert case.label == "case"


def test_link_properties_are_links_not_properties(complete: Dictionary) -> None:
    case = complete.nodes["case"]
    assert "projects" not in case.properties
    assert [link.name for link in case.links] == ["projects"]


def test_links_keep_what_the_yaml_says(complete: Dictionary) -> None:
    cases = complete.nodes["sample"].links[0]
    assert (cases.name, cases.source, cases.target, cases.backref) == (
        "cases",
        "sample",
        "case",
        "samples",
    )
    assert (cases.label, cases.multiplicity, cases.required, cases.groups) == (
        "derived_from",
        "many_to_one",
        True,
        (),
    )
    assert cases.relationship == "CASES"


def test_link_groups_nested_and_flattened(complete: Dictionary) -> None:
    read_group = complete.nodes["read_group"]
    assert [(link.name, link.groups) for link in read_group.links] == [
        ("samples", (0,)),
        ("cases", (0, 1)),
        ("demographics", (0, 1)),
    ]
    inner = LinkGroup(id=1, exclusive=False, required=False, members=("cases", "demographics"))
    assert read_group.link_groups == (
        LinkGroup(id=0, exclusive=True, required=True, members=("samples", inner)),
    )


def test_every_multiplicity_is_read(complete: Dictionary) -> None:
    multiplicities = {link.multiplicity for node in complete.nodes.values() for link in node.links}
    assert multiplicities == {"one_to_one", "one_to_many", "many_to_one", "many_to_many"}


def test_edges_out_and_in_with_multiplicity_seen_from_the_node(complete: Dictionary) -> None:
    case = complete.nodes["case"]
    summary = {
        name: (edge.direction, edge.target, edge.multiplicity) for name, edge in case.edges.items()
    }
    assert summary == {
        "projects": ("out", "project", "many_to_one"),
        "demographics": ("in", "demographic", "one_to_one"),
        "read_groups": ("in", "read_group", "many_to_many"),
        "samples": ("in", "sample", "one_to_many"),
    }
    samples = case.edges["samples"]
    assert samples.relationship == "CASES" and samples.link is complete.nodes["sample"].links[0]


def test_self_links(complete: Dictionary) -> None:
    edges = complete.nodes["sample"].edges
    assert (edges["parent_samples"].direction, edges["parent_samples"].target) == ("out", "sample")
    assert (edges["child_samples"].direction, edges["child_samples"].multiplicity) == (
        "in",
        "one_to_many",
    )
    assert edges["child_samples"].relationship == "PARENT_SAMPLES"
    related = edges["related_samples"]
    assert (related.direction, related.target, related.relationship) == (
        "both",
        "sample",
        "RELATED_SAMPLES",
    )


def test_a_folder_inside_the_dictionary_is_ignored(complete: Dictionary) -> None:
    assert (COMPLETE / "projects" / "project1.yaml").exists()
    assert "project1" not in complete.nodes


def test_loading_is_deterministic(complete: Dictionary) -> None:
    again = load_dictionary(COMPLETE)
    assert again == complete
    assert list(again.nodes) == list(complete.nodes)
    assert [list(node.edges) for node in again.nodes.values()] == [
        list(node.edges) for node in complete.nodes.values()
    ]


def _link(name: str, target: str, backref: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "backref": backref,
        "label": "related_to",
        "target_type": target,
        "multiplicity": "many_to_one",
        "required": required,
    }


def _cycle_warning(site: str, cycle: str, source: str, target: str, consequence: str) -> str:
    return (
        f"{site}: links form a cycle ({cycle}); the import order breaks it here, "
        f"putting {target} after {source}: {consequence}"
    )


def test_a_link_cycle_is_broken_at_its_optional_link_with_a_warning(tmp_path) -> None:
    def link_case_to_sample(case: dict) -> None:
        case["links"].append(_link("index_samples", "sample", "indexed_cases"))

    loaded = load_dictionary(edited(tmp_path, {"case.yaml": link_case_to_sample}))
    assert loaded.import_order == (
        "program",
        "project",
        "case",
        "demographic",
        "sample",
        "read_group",
    )
    assert (
        _cycle_warning(
            "case.yaml: links[1]",
            "case -> sample -> case",
            "case",
            "sample",
            "it can be filled only once its target exists",
        )
        in loaded.warnings
    )


def test_a_cycle_of_required_links_is_broken_too_and_says_so(tmp_path) -> None:
    def link_case_to_sample(case: dict) -> None:
        case["links"].append(_link("index_samples", "sample", "indexed_cases", required=True))

    loaded = load_dictionary(edited(tmp_path, {"case.yaml": link_case_to_sample}))
    assert loaded.import_order.index("case") < loaded.import_order.index("sample")
    assert (
        _cycle_warning(
            "case.yaml: links[1]",
            "case -> sample -> case",
            "case",
            "sample",
            "a record of it can be submitted only together with its target (in one request)",
        )
        in loaded.warnings
    )


def test_the_last_way_to_satisfy_a_required_group_counts_as_required(tmp_path) -> None:
    """read_group must link a sample or a demographic, both of which link back to it: once one
    link is broken, the other is the last way left, so breaking it breaks something required."""

    def one_group(read_group: dict) -> None:
        group = read_group["links"][0]["subgroup"]
        group[1] = group[1]["subgroup"][1]

    def links_back(document: dict) -> None:
        backref = f"{document['id']}_back"
        document["links"].append(_link("read_groups_back", "read_group", backref, required=True))

    loaded = load_dictionary(
        edited(
            tmp_path,
            {
                "read_group.yaml": one_group,
                "sample.yaml": links_back,
                "demographic.yaml": links_back,
            },
        )
    )
    broken = [message for message in loaded.warnings if "breaks it here" in message]
    assert broken == [
        _cycle_warning(
            "read_group.yaml: links[0].subgroup[0]",
            "read_group -> sample -> read_group",
            "read_group",
            "sample",
            "a record of it can be submitted only together with its target (in one request)",
        ),
        _cycle_warning(
            "read_group.yaml: links[0].subgroup[1]",
            "read_group -> demographic -> read_group",
            "read_group",
            "demographic",
            "it can be filled only once its target exists",
        ),
    ]
