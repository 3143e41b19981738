"""The GraphQL SDL compiled from a dictionary: valid, peregrine-shaped, deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    validate_schema,
)

from engine.dictionary import compile_sdl, load_dictionary
from engine.dictionary.graphql_names import graphql_names, pascal_case
from engine.dictionary.model import Dictionary
from engine.dictionary.sdl import QUERY_ARGUMENTS
from tests.dictionary_fixtures import COMPLETE, edited


@pytest.fixture(scope="module")
def dictionary() -> Dictionary:
    return load_dictionary(COMPLETE)


@pytest.fixture(scope="module")
def sdl(dictionary: Dictionary) -> str:
    return compile_sdl(dictionary)


@pytest.fixture(scope="module")
def schema(sdl: str) -> GraphQLSchema:
    return build_schema(sdl)


def _object(schema: GraphQLSchema, name: str) -> GraphQLObjectType:
    found = schema.get_type(name)
    assert isinstance(found, GraphQLObjectType), name
    return found


def _field_types(schema: GraphQLSchema, name: str) -> dict[str, str]:
    return {field: str(value.type) for field, value in _object(schema, name).fields.items()}


def test_the_sdl_is_a_valid_schema(schema: GraphQLSchema) -> None:
    assert validate_schema(schema) == []


def test_the_sdl_is_deterministic(dictionary: Dictionary, sdl: str) -> None:
    assert compile_sdl(dictionary) == sdl
    assert compile_sdl(load_dictionary(COMPLETE)) == sdl


def test_query_has_a_list_and_a_count_per_node_type(
    dictionary: Dictionary, schema: GraphQLSchema
) -> None:
    query = _field_types(schema, "Query")
    expected = {}
    for node in sorted(dictionary.nodes):
        expected[node] = f"[{node}]"
        expected[f"_{node}_count"] = "Int"
    expected |= {"node": "[Node]", "_node_type": "[_NodeType]", "viewer": "viewer"}
    expected |= {"transaction_log": "[TransactionLog]", "_transaction_log_count": "Int"}
    assert query == expected


def test_root_fields_take_peregrine_arguments_and_property_filters(schema: GraphQLSchema) -> None:
    arguments = _object(schema, "Query").fields["case"].args
    assert list(arguments)[: len(QUERY_ARGUMENTS)] == list(QUERY_ARGUMENTS)
    assert arguments["first"].ast_node.default_value.value == "10"
    assert str(arguments["project_id"].type) == "[String]"
    assert str(arguments["with_path_to"].type) == "JSON"
    assert (
        str(arguments["age"].type),
        str(arguments["smoker"].type),
        str(arguments["sex"].type),
    ) == (
        "[Float]",
        "[Boolean]",
        "[String]",
    )
    assert list(_object(schema, "Query").fields["_case_count"].args) == list(arguments)


def test_property_types_follow_peregrine(schema: GraphQLSchema) -> None:
    fields = _field_types(schema, "case")
    assert fields["id"] == "ID!"
    assert (fields["type"], fields["project_id"], fields["submitter_id"]) == (
        "String",
        "String",
        "String",
    )
    assert (fields["age"], fields["weight"], fields["visits"]) == ("Float", "Float", "Float")
    assert fields["smoker"] == "Boolean"
    assert (fields["consent_date"], fields["created_datetime"]) == ("String", "String")
    assert fields["measurements"] == "[String]"
    assert fields["identifier"] == "String"


def test_enums_only_where_every_value_is_a_name(schema: GraphQLSchema) -> None:
    fields = _field_types(schema, "case")
    assert fields["sex"] == "CaseSex"
    assert fields["race"] == "String"  # "Not Reported" and "01" are not GraphQL names
    assert fields["tags"] == "[CaseTags]"
    sex = schema.get_type("CaseSex")
    assert isinstance(sex, GraphQLEnumType) and list(sex.values) == ["female", "male", "unknown"]


def test_edges_are_list_fields_with_counts_both_ways(schema: GraphQLSchema) -> None:
    case = _field_types(schema, "case")
    assert (case["samples"], case["_samples_count"]) == ("[sample]", "Int")
    assert (case["projects"], case["demographics"], case["read_groups"]) == (
        "[project]",
        "[demographic]",
        "[read_group]",
    )
    sample = _field_types(schema, "sample")
    assert (sample["parent_samples"], sample["child_samples"], sample["related_samples"]) == (
        "[sample]",
    ) * 3
    assert "_related_samples_count" in sample


def test_edge_fields_take_the_arguments_of_their_target(schema: GraphQLSchema) -> None:
    samples = _object(schema, "case").fields["samples"]
    assert "sample_type" in samples.args and "age" not in samples.args
    assert list(samples.args) == list(_object(schema, "Query").fields["sample"].args)


def test_descriptions_and_deprecations(schema: GraphQLSchema) -> None:
    case = _object(schema, "case")
    assert case.description == "A subject of a study, described on two lines."
    assert case.fields["age"].description == "Age in years."
    assert (
        case.fields["old_code"].deprecation_reason and case.fields["legacy_flag"].deprecation_reason
    )
    assert case.fields["age"].deprecation_reason is None


def test_input_types_for_submission(schema: GraphQLSchema) -> None:
    case_input = schema.get_type("CaseInput")
    assert isinstance(case_input, GraphQLInputObjectType)
    fields = {name: str(value.type) for name, value in case_input.fields.items()}
    assert (fields["id"], fields["type"], fields["submitter_id"]) == ("String", "String", "String")
    assert (fields["age"], fields["sex"], fields["measurements"], fields["tags"]) == (
        "Float",
        "CaseSex",
        "[Float]",
        "[CaseTags]",
    )
    assert fields["projects"] == "[LinkInput]"
    assert not {"created_datetime", "updated_datetime", "state", "project_id"} & set(fields)
    read_group = {
        name: str(value.type) for name, value in schema.get_type("ReadGroupInput").fields.items()
    }
    assert read_group["demographics"] == read_group["samples"] == "[LinkInput]"


def test_types_are_sorted_after_query_and_mutation(sdl: str) -> None:
    names = [
        line.split()[1]
        for line in sdl.splitlines()
        if line.split(" ")[0] in ("type", "input", "enum", "scalar")
    ]
    assert names[:2] == ["Query", "Mutation"]
    assert names[2:] == sorted(names[2:])


@pytest.mark.parametrize(
    ("node", "type_name"),
    [("read_group", "ReadGroup"), ("case", "Case"), ("slideImage", "SlideImage"), ("_x_y", "XY")],
)
def test_pascal_case(node: str, type_name: str) -> None:
    assert pascal_case(node) == type_name


def test_name_clashes_get_suffixes(tmp_path: Path) -> None:
    # readGroup and read_group both read ReadGroupInput; node case_sex's input meets nothing; node query is not Query.
    def copy(source: str, new_id: str, backref: str) -> str:
        text = (folder / f"{source}.yaml").read_text().replace(f"id: {source}", f"id: {new_id}")
        return text.replace(f"backref: {source}s", f"backref: {backref}")

    folder = edited(tmp_path, {})
    (folder / "readGroup.yaml").write_text(copy("read_group", "readGroup", "read_groups_too"))
    (folder / "case_sex.yaml").write_text(copy("demographic", "case_sex", "case_sexes"))
    (folder / "query.yaml").write_text(copy("demographic", "query", "queries"))
    loaded = load_dictionary(folder)
    names = graphql_names(loaded)
    assert (names.types["read_group"], names.types["readGroup"]) == ("read_group", "readGroup")
    assert (names.inputs["readGroup"], names.inputs["read_group"]) == (
        "ReadGroupInput",
        "ReadGroupInput_",
    )
    assert names.types["case_sex"] == "case_sex" and names.enums["case", "sex"] == "CaseSex"
    assert names.types["query"] == "query"
    schema = build_schema(compile_sdl(loaded))
    assert validate_schema(schema) == []
    assert str(schema.query_type.fields["read_group"].type) == "[read_group]"
    assert {"submitReadGroup", "submitReadGroup_"} <= set(schema.mutation_type.fields)
