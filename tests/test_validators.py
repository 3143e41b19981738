"""Entity validators: Draft 4 per node type, with Gen3's allow_nulls and link shapes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from engine.dictionary import compile_validators, load_dictionary
from engine.dictionary.model import Dictionary
from engine.dictionary.validators import (
    EntityError,
    EntityValidator,
    allow_null,
    entity_schema,
    validate_entity,
)
from tests.dictionary_fixtures import COMPLETE, edited

UUID = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"


@pytest.fixture(scope="module")
def dictionary() -> Dictionary:
    return load_dictionary(COMPLETE)


@pytest.fixture(scope="module")
def validators(dictionary: Dictionary) -> dict[str, EntityValidator]:
    return compile_validators(dictionary)


def _case(**values: Any) -> dict[str, Any]:
    return {"type": "case", "submitter_id": "case-1", "projects": {"code": "P1"}, **values}


def _keys(validator: EntityValidator, entity: dict[str, Any]) -> list[tuple[str, ...]]:
    return [error.keys for error in validate_entity(validator, entity)]


def test_one_draft4_validator_per_node_type(dictionary: Dictionary, validators: dict) -> None:
    assert set(validators) == set(dictionary.nodes)
    assert all(isinstance(validator, EntityValidator) for validator in validators.values())
    assert all(
        validator.schema["$schema"].startswith("http://json-schema.org/draft-04")
        for validator in validators.values()
    )


def test_a_valid_entity_has_no_errors(validators: dict) -> None:
    entity = _case(
        age=40,
        weight=70.5,
        smoker=False,
        sex="female",
        race="Not Reported",
        consent_date="2020-01-01T00:00:00Z",
        identifier=12,
        measurements=[1.5, 2],
        tags=["alpha"],
        state="validated",
    )
    assert validate_entity(validators["case"], entity) == []


@pytest.mark.parametrize(
    "name",
    [
        "age",
        "weight",
        "smoker",
        "sex",
        "race",
        "tags",
        "measurements",
        "identifier",
        "state",
        "created_datetime",
    ],
)
def test_a_property_that_is_not_required_accepts_null(validators: dict, name: str) -> None:
    assert validate_entity(validators["case"], _case(**{name: None})) == []


def test_a_required_property_does_not_become_nullable(validators: dict) -> None:
    [error] = validate_entity(validators["case"], _case(type=None))
    assert error == EntityError(("type",), "None is not of type 'string'", "type")


def test_a_required_property_nullable_in_the_dictionary_stays_so(validators: dict) -> None:
    # Gen3 writes submitter_id as [string, "null"] and requires it: present, possibly null.
    assert validate_entity(validators["case"], _case(submitter_id=None)) == []


def test_missing_required_properties_are_named(validators: dict) -> None:
    errors = validate_entity(validators["sample"], {"type": "sample"})
    assert errors == [
        EntityError(("cases",), "'cases' is a required property", "required"),
        EntityError(("submitter_id",), "'submitter_id' is a required property", "required"),
    ]


def test_a_link_marked_required_is_required_even_when_the_required_list_omits_it(
    tmp_path: Path,
) -> None:
    """Gen3's link validator: "Entity is missing required link to parent_samples"."""

    def edit(sample: dict) -> None:
        sample["links"][1]["required"] = True

    validator = compile_validators(load_dictionary(edited(tmp_path, {"sample.yaml": edit})))[
        "sample"
    ]
    entity = {"type": "sample", "submitter_id": "s", "cases": {"submitter_id": "c"}}
    assert validate_entity(validator, entity) == [
        EntityError(("parent_samples",), "'parent_samples' is a required property", "required")
    ]
    assert validate_entity(validator, {**entity, "parent_samples": {"submitter_id": "p"}}) == []


def test_unknown_properties_are_named(validators: dict) -> None:
    [error] = validate_entity(validators["case"], _case(bogus=1, also=2))
    assert error.keys == ("also", "bogus")
    assert "Additional properties are not allowed" in error.message


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"sex": "other"}, "sex"),
        ({"age": 121}, "age"),
        ({"age": -1}, "age"),
        ({"age": 4.5}, "age"),
        ({"weight": 0}, "weight"),
        ({"smoker": "yes"}, "smoker"),
        ({"measurements": ["a"]}, "measurements"),
        ({"measurements": 3}, "measurements"),
        ({"tags": ["gamma"]}, "tags"),
        ({"identifier": 1.5}, "identifier"),
        ({"state": "lost"}, "state"),
        ({"created_datetime": 5}, "created_datetime"),
        ({"id": "not-a-uuid"}, "id"),
    ],
)
def test_invalid_values_are_reported_under_their_property(
    validators: dict, values: dict, key: str
) -> None:
    assert _keys(validators["case"], _case(**values)) == [(key,)]


@pytest.mark.parametrize(
    "link",
    [
        {"submitter_id": "case-1"},
        {"id": UUID},
        [{"submitter_id": "case-1"}],
    ],
)
def test_a_to_one_link_takes_a_reference_or_a_list_of_one(validators: dict, link: Any) -> None:
    assert (
        validate_entity(
            validators["sample"], {"type": "sample", "submitter_id": "s", "cases": link}
        )
        == []
    )


@pytest.mark.parametrize(
    "link", ["case-1", [{"submitter_id": "a"}, {"submitter_id": "b"}], {"id": "nope"}]
)
def test_a_to_one_link_refuses_other_shapes(validators: dict, link: Any) -> None:
    entity = {"type": "sample", "submitter_id": "s", "cases": link}
    assert _keys(validators["sample"], entity) == [("cases",)]


def test_a_to_many_link_takes_several(validators: dict) -> None:
    entity = {
        "type": "sample",
        "submitter_id": "s",
        "cases": {"submitter_id": "c"},
        "related_samples": [{"submitter_id": "a"}, {"id": UUID}],
    }
    assert validate_entity(validators["sample"], entity) == []


def test_a_link_the_dictionary_did_not_declare_as_a_property_is_accepted(validators: dict) -> None:
    # read_group declares the link `demographics` but no property for it.
    entity = {"type": "read_group", "submitter_id": "r", "demographics": {"submitter_id": "d"}}
    assert validate_entity(validators["read_group"], entity) == []
    many = dict(entity, demographics=[{"submitter_id": "d"}, {"submitter_id": "e"}])
    assert _keys(validators["read_group"], many) == [("demographics",)]


def test_validators_leave_the_dictionary_unchanged(dictionary: Dictionary) -> None:
    before = copy.deepcopy(dictionary.nodes["case"].schema)
    compile_validators(dictionary)
    assert dictionary.nodes["case"].schema == before
    assert entity_schema(dictionary.nodes["case"])["properties"]["sex"]["enum"][-1] is None


@pytest.mark.parametrize(
    ("schema", "widened"),
    [
        ({"type": "string"}, {"type": ["string", "null"]}),
        ({"type": ["integer", "null"]}, {"type": ["integer", "null"]}),
        ({"enum": ["a"]}, {"enum": ["a", None]}),
        ({"type": "string", "enum": ["a"]}, {"type": ["string", "null"], "enum": ["a", None]}),
        (
            {"oneOf": [{"enum": ["a"]}, {"enum": ["b"]}]},
            {"oneOf": [{"enum": ["a"]}, {"enum": ["b"]}, {"type": "null"}]},
        ),
        (
            {"oneOf": [{"type": "string"}, {"type": "null"}]},
            {"oneOf": [{"type": "string"}, {"type": "null"}]},
        ),
        (
            {"anyOf": [{"type": "array"}, {"type": "object"}]},
            {"anyOf": [{"type": "array"}, {"type": "object"}, {"type": "null"}]},
        ),
        ({"description": "anything"}, {"description": "anything"}),
    ],
)
def test_allow_null(schema: dict, widened: dict) -> None:
    assert allow_null(schema) == widened
    assert Draft4Validator(allow_null(schema)).is_valid(None)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_fast_path_agrees_with_jsonschema(data: st.DataObject) -> None:
    """The compiled fast path may only ever answer what jsonschema answers."""
    dictionary = load_dictionary(COMPLETE)
    validators = compile_validators(dictionary)
    name = data.draw(st.sampled_from(sorted(validators)))
    validator = validators[name]
    properties = sorted(validator.schema.get("properties", {}))
    entity = data.draw(
        st.dictionaries(
            st.sampled_from(properties) if properties else st.text(), json_values, max_size=6
        )
    )
    assert validator.is_valid(entity) == Draft4Validator(validator.schema).is_valid(entity)
