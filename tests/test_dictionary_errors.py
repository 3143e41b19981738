"""Every way a dictionary can be wrong, each with the exact message a steward reads.

Each test copies tests/fixtures/dictionaries/complete and breaks one thing.
Messages name the file, the JSON path in it, and the rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.dictionary import DictionaryError, load_dictionary
from tests.dictionary_fixtures import FIXTURES, edited, load_errors

GRAPHQL_NAMES = "([_A-Za-z][_0-9A-Za-z]*)"


def _link(
    name: str, target: str, backref: str, multiplicity: str = "many_to_one", **extra: Any
) -> dict:
    return {
        "name": name,
        "backref": backref,
        "label": "related_to",
        "target_type": target,
        "multiplicity": multiplicity,
        "required": False,
        **extra,
    }


def _errors(tmp_path: Path, **edits: Any) -> list[str]:
    return load_errors(
        edited(tmp_path, {name.replace("__", "."): edit for name, edit in edits.items()})
    )


def test_link_target_must_be_a_node_type(tmp_path: Path) -> None:
    def edit(sample: dict) -> None:
        sample["links"][1]["target_type"] = "casee"

    assert _errors(tmp_path, sample__yaml=edit) == [
        "sample.yaml: links[1].target_type: 'casee' is not a node type"
    ]


def test_property_names_must_be_graphql_names(tmp_path: Path) -> None:
    def edit(case: dict) -> None:
        case["properties"]["bad-name"] = {"type": "string"}
        case["properties"]["__reserved"] = {"type": "string"}

    assert _errors(tmp_path, case__yaml=edit) == [
        f"case.yaml: properties.__reserved: property names must be valid GraphQL names {GRAPHQL_NAMES}",
        f"case.yaml: properties.bad-name: property names must be valid GraphQL names {GRAPHQL_NAMES}",
    ]


def test_node_ids_link_names_and_backrefs_must_be_graphql_names(tmp_path: Path) -> None:
    def edit_case(case: dict) -> None:
        case["id"] = "the-case"

    def edit_sample(sample: dict) -> None:
        sample["links"][0]["name"] = "2cases"
        sample["links"][0]["backref"] = "sample s"

    assert _errors(tmp_path, case__yaml=edit_case, sample__yaml=edit_sample) == [
        f"case.yaml: id: node type ids must be valid GraphQL names {GRAPHQL_NAMES}",
        f"sample.yaml: links[0].backref: backrefs must be valid GraphQL names {GRAPHQL_NAMES}",
        f"sample.yaml: links[0].name: link names must be valid GraphQL names {GRAPHQL_NAMES}",
    ]


def test_a_node_cannot_declare_two_links_with_one_name(tmp_path: Path) -> None:
    def edit(sample: dict) -> None:
        sample["links"][1]["name"] = "cases"

    assert _errors(tmp_path, sample__yaml=edit) == [
        "sample.yaml: links[1].name: 'cases' is already the name of links[0]"
    ]


def test_a_link_name_inside_a_group_clashing_with_one_outside(tmp_path: Path) -> None:
    def edit(read_group: dict) -> None:
        read_group["links"].append(_link("demographics", "demographic", "other_read_groups"))

    assert _errors(tmp_path, read_group__yaml=edit) == [
        "read_group.yaml: links[1].name: 'demographics' is already the name of links[0].subgroup[1].subgroup[1]"
    ]


def test_a_backref_cannot_reuse_a_link_of_the_target(tmp_path: Path) -> None:
    def edit(sample: dict) -> None:
        sample["links"][0]["backref"] = "projects"

    assert _errors(tmp_path, sample__yaml=edit) == [
        "sample.yaml: links[0].backref: 'projects' is already a field of case (a link)"
    ]


def test_two_backrefs_cannot_meet_on_one_target(tmp_path: Path) -> None:
    def edit(demographic: dict) -> None:
        demographic["links"][0]["backref"] = "samples"

    assert _errors(tmp_path, demographic__yaml=edit) == [
        "sample.yaml: links[0].backref: 'samples' is already a field of case (the backref of demographic.cases)"
    ]


def test_a_self_link_backref_may_equal_its_name_but_not_another_link(tmp_path: Path) -> None:
    def edit(sample: dict) -> None:
        sample["links"][1]["backref"] = "related_samples"

    assert _errors(tmp_path, sample__yaml=edit) == [
        "sample.yaml: links[1].backref: 'related_samples' is already a field of sample (a link)"
    ]


def test_required_names_a_property_or_link(tmp_path: Path) -> None:
    def edit(case: dict) -> None:
        case["required"].append("missing")

    assert _errors(tmp_path, case__yaml=edit) == [
        "case.yaml: required[3]: 'missing' is not a property or link"
    ]


def test_unique_keys_name_properties(tmp_path: Path) -> None:
    def edit(case: dict) -> None:
        case["uniqueKeys"][1][1] = "nope"

    assert _errors(tmp_path, case__yaml=edit) == [
        "case.yaml: uniqueKeys[1][1]: 'nope' is not a property"
    ]


def test_multiplicity_must_be_one_of_four(tmp_path: Path) -> None:
    def edit(sample: dict) -> None:
        sample["links"][0]["multiplicity"] = "one_to_few"

    assert _errors(tmp_path, sample__yaml=edit) == [
        "sample.yaml: links[0].multiplicity: 'one_to_few' is not one of one_to_one, one_to_many, many_to_one, many_to_many"
    ]


def test_a_link_has_all_its_keys_and_no_others(tmp_path: Path) -> None:
    def edit(sample: dict) -> None:
        del sample["links"][0]["backref"]
        del sample["links"][0]["label"]
        sample["links"][1]["colour"] = "blue"
        sample["links"][2]["required"] = "yes"

    assert _errors(tmp_path, sample__yaml=edit) == [
        "sample.yaml: links[0].backref: is required",
        "sample.yaml: links[0].label: is required",
        "sample.yaml: links[1].colour: unknown key",
        "sample.yaml: links[2].required: must be true or false",
    ]


def test_link_group_structure(tmp_path: Path) -> None:
    def edit(read_group: dict) -> None:
        group = read_group["links"][0]
        del group["exclusive"]
        del group["subgroup"][1]["required"]
        read_group["links"].append({"exclusive": False, "required": False, "subgroup": []})

    assert _errors(tmp_path, read_group__yaml=edit) == [
        "read_group.yaml: links[0].exclusive: is required",
        "read_group.yaml: links[0].subgroup[1].required: is required",
        "read_group.yaml: links[1].subgroup: must not be empty",
    ]


def test_reference_to_a_missing_file(tmp_path: Path) -> None:
    def edit(case: dict) -> None:
        case["properties"]["age"] = {"$ref": "_nope.yaml#/age"}

    assert _errors(tmp_path, case__yaml=edit) == [
        "case.yaml: properties.age.$ref: '_nope.yaml#/age' points to a missing file '_nope.yaml'"
    ]


def test_reference_to_nothing(tmp_path: Path) -> None:
    def edit(case: dict) -> None:
        case["properties"]["age"] = {"$ref": "_definitions.yaml#/nothing/here"}
        case["properties"]["weight"] = {"$ref": "#/x-local/nothing"}

    assert _errors(tmp_path, case__yaml=edit) == [
        "case.yaml: properties.age.$ref: '_definitions.yaml#/nothing/here' points to nothing",
        "case.yaml: properties.weight.$ref: '#/x-local/nothing' points to nothing",
    ]


def test_reference_in_a_list_of_references(tmp_path: Path) -> None:
    def edit(read_group: dict) -> None:
        read_group["properties"]["$ref"][1] = "_files.yaml#/gone"

    assert _errors(tmp_path, read_group__yaml=edit) == [
        "read_group.yaml: properties.$ref[1]: '_files.yaml#/gone' points to nothing"
    ]


def test_reference_to_something_that_is_not_a_mapping(tmp_path: Path) -> None:
    def edit(definitions: dict) -> None:
        definitions["a_list"] = ["x", "y"]

    def edit_case(case: dict) -> None:
        case["properties"]["age"]["$ref"] = "_definitions.yaml#/a_list"
        case["properties"]["weight"]["$ref"] = 5

    assert _errors(tmp_path, _definitions__yaml=edit, case__yaml=edit_case) == [
        "case.yaml: properties.age.$ref: '_definitions.yaml#/a_list' points to a list, not a mapping to merge",
        "case.yaml: properties.weight.$ref: a reference must be a string like 'file.yaml#/a/b', not 5",
    ]


def test_reference_cycle(tmp_path: Path) -> None:
    def edit(definitions: dict) -> None:
        definitions["loop_a"] = {"$ref": "#/loop_b"}
        definitions["loop_b"] = {"description": "b", "$ref": "_terms.yaml#/loop_c"}

    def edit_terms(terms: dict) -> None:
        terms["loop_c"] = {"$ref": "_definitions.yaml#/loop_a"}

    def edit_case(case: dict) -> None:
        case["properties"]["looping"] = {"$ref": "_definitions.yaml#/loop_a"}

    assert _errors(
        tmp_path, _definitions__yaml=edit, _terms__yaml=edit_terms, case__yaml=edit_case
    ) == [
        "_terms.yaml: loop_c.$ref: $ref cycle: _definitions.yaml#/loop_a -> _definitions.yaml#/loop_b "
        "-> _terms.yaml#/loop_c -> _definitions.yaml#/loop_a"
    ]


def test_a_node_referencing_itself_whole(tmp_path: Path) -> None:
    def edit(case: dict) -> None:
        case["properties"]["itself"] = {"$ref": "#"}

    assert _errors(tmp_path, case__yaml=edit) == [
        "case.yaml: properties.itself.$ref: $ref cycle: case.yaml#/ -> case.yaml#/"
    ]


def test_unused_broken_references_in_shared_files_are_not_errors(tmp_path: Path) -> None:
    # As dictionaryutils: only what a node uses is resolved (real dictionaries carry such leftovers).
    def edit(definitions: dict) -> None:
        definitions["unused"] = {"term": {"$ref": "_terms.yaml#/not_there"}}

    assert "case" in load_dictionary(edited(tmp_path, {"_definitions.yaml": edit})).nodes


def test_invalid_yaml(tmp_path: Path) -> None:
    [message] = _errors(tmp_path, sample__yaml="id: sample\nproperties: [\n")
    assert message.startswith("sample.yaml: cannot be read: while parsing")
    assert message.endswith("line 3, column 1")


def test_two_files_with_one_id(tmp_path: Path) -> None:
    folder = edited(tmp_path, {})
    (folder / "case_copy.yaml").write_text((folder / "case.yaml").read_text())
    assert load_errors(folder) == ["case_copy.yaml: id: 'case' is already the id of case.yaml"]


def test_node_file_keys(tmp_path: Path) -> None:
    def edit(case: dict) -> None:
        del case["category"]
        case["links"] = {"projects": "project"}
        case["submittable"] = "yes"
        case["uniqueKeys"].append([])
        case["type"] = "obj"

    assert _errors(tmp_path, case__yaml=edit) == [
        "case.yaml: category: is required",
        "case.yaml: links: must be a list",
        "case.yaml: submittable: must be true or false",
        "case.yaml: type: 'obj' is not one of object",
        "case.yaml: uniqueKeys[2]: must not be empty",
    ]


def test_a_node_file_must_be_a_mapping(tmp_path: Path) -> None:
    assert _errors(tmp_path, sample__yaml="- just\n- a list\n") == [
        "sample.yaml: must be a mapping"
    ]


def test_property_schemas_must_be_valid(tmp_path: Path) -> None:
    def edit(case: dict) -> None:
        properties = case["properties"]
        properties["age"]["type"] = "int"
        properties["weight"]["minimum"] = "zero"
        properties["smoker"] = "boolean"
        properties["sex"]["enum"] = []
        properties["measurements"]["items"] = {"type": ["number", "float"]}
        properties["old_code"]["pattern"] = "[unclosed"

    assert _errors(tmp_path, case__yaml=edit) == [
        "case.yaml: properties.age.type: must be one of string, integer, number, boolean, array, object, null, or a list of them",
        "case.yaml: properties.measurements.items.type[1]: 'float' is not one of string, integer, number, boolean, array, object, null",
        "case.yaml: properties.old_code.pattern: must be a valid regular expression",
        "case.yaml: properties.sex.enum: must not be empty",
        "case.yaml: properties.smoker: must be a mapping",
        "case.yaml: properties.weight.minimum: must be a number",
    ]


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    def edit_case(case: dict) -> None:
        case["required"].append("missing")
        case["properties"]["bad-name"] = {"type": "string"}

    def edit_sample(sample: dict) -> None:
        sample["links"][0]["target_type"] = "casee"

    messages = _errors(tmp_path, case__yaml=edit_case, sample__yaml=edit_sample)
    assert messages == [
        f"case.yaml: properties.bad-name: property names must be valid GraphQL names {GRAPHQL_NAMES}",
        "sample.yaml: links[0].target_type: 'casee' is not a node type",
    ]


def test_cross_checks_run_on_every_valid_file_together(tmp_path: Path) -> None:
    def edit_case(case: dict) -> None:
        case["required"].append("missing")

    def edit_sample(sample: dict) -> None:
        sample["links"][0]["target_type"] = "casee"

    assert _errors(tmp_path, case__yaml=edit_case, sample__yaml=edit_sample) == [
        "case.yaml: required[3]: 'missing' is not a property or link",
        "sample.yaml: links[0].target_type: 'casee' is not a node type",
    ]


def test_the_error_carries_all_messages_in_its_text(tmp_path: Path) -> None:
    def edit(sample: dict) -> None:
        sample["links"][0]["target_type"] = "casee"
        sample["links"][1]["target_type"] = "nope"

    with pytest.raises(DictionaryError) as raised:
        load_dictionary(edited(tmp_path, {"sample.yaml": edit}))
    assert str(raised.value) == "\n".join(raised.value.messages)
    assert len(raised.value.messages) == 2


def test_not_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    assert load_errors(missing) == [
        f"{missing}: not a folder (a dictionary is a folder of YAML files)"
    ]


def test_a_folder_without_node_types(tmp_path: Path) -> None:
    (tmp_path / "_definitions.yaml").write_text("a: 1\n")
    assert load_errors(tmp_path) == [
        f"{tmp_path}: no node types found (expected one YAML file per node type)"
    ]


def test_the_broken_fixture_lists_every_problem() -> None:
    """Cross-checks (target types, required names) run on the files that pass the metaschema."""
    assert load_errors(FIXTURES / "broken") == [
        "_definitions.yaml: to_one.$ref: '#/foreign_kee' points to nothing",
        "aliquot.yaml: links[0].multiplicity: 'many' is not one of one_to_one, one_to_many, many_to_one, many_to_many",
        "aliquot.yaml: properties.concentration.type: must be one of string, integer, number, boolean, array, object, null, or a list of them",
        "case.yaml: required[2]: 'project' is not a property or link",
        "sample.yaml: links[0].target_type: 'casee' is not a node type",
    ]
