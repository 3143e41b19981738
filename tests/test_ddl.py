"""Graph DDL compiled from a dictionary: the statements, and their effect on a real store."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from neo4j.exceptions import ConstraintError

from engine.dictionary import load_dictionary
from engine.dictionary.model import Dictionary
from engine.graph.ddl import apply_ddl, compile_ddl, quote
from engine.graph.store import GraphStore
from tests.dictionary_fixtures import COMPLETE

NAME = re.compile(r"^CREATE (?:CONSTRAINT|INDEX) (\S+) IF NOT EXISTS ")


@pytest.fixture(scope="module")
def dictionary() -> Dictionary:
    return load_dictionary(COMPLETE)


@pytest.fixture(scope="module")
def ddl(dictionary: Dictionary) -> list[str]:
    return compile_ddl(dictionary)


def _names(statements: list[str], kind: str) -> set[str]:
    return {
        NAME.match(statement).group(1)
        for statement in statements
        if statement.startswith(f"CREATE {kind}")
    }


def test_every_statement_is_idempotent_and_back_quotes_labels(ddl: list[str]) -> None:
    assert all(NAME.match(statement) for statement in ddl)
    assert all("FOR (n:`" in statement for statement in ddl)
    assert quote("case") == "`case`" and quote("we`ird") == "`we``ird`"


def test_compiling_twice_gives_the_same_statements(dictionary: Dictionary, ddl: list[str]) -> None:
    assert compile_ddl(dictionary) == ddl
    assert len(set(ddl)) == len(ddl)


def test_uniqueness_constraints(ddl: list[str]) -> None:
    constraints = [statement for statement in ddl if statement.startswith("CREATE CONSTRAINT")]
    assert constraints == [
        "CREATE CONSTRAINT commons_case_id_unique IF NOT EXISTS FOR (n:`case`) REQUIRE n.`id` IS UNIQUE",
        "CREATE CONSTRAINT commons_case_project_id_submitter_id_unique IF NOT EXISTS "
        "FOR (n:`case`) REQUIRE (n.`project_id`, n.`submitter_id`) IS UNIQUE",
        "CREATE CONSTRAINT commons_demographic_id_unique IF NOT EXISTS FOR (n:`demographic`) REQUIRE n.`id` IS UNIQUE",
        "CREATE CONSTRAINT commons_demographic_project_id_submitter_id_unique IF NOT EXISTS "
        "FOR (n:`demographic`) REQUIRE (n.`project_id`, n.`submitter_id`) IS UNIQUE",
        "CREATE CONSTRAINT commons_program_id_unique IF NOT EXISTS FOR (n:`program`) REQUIRE n.`id` IS UNIQUE",
        "CREATE CONSTRAINT commons_program_name_unique IF NOT EXISTS FOR (n:`program`) REQUIRE n.`name` IS UNIQUE",
        "CREATE CONSTRAINT commons_project_id_unique IF NOT EXISTS FOR (n:`project`) REQUIRE n.`id` IS UNIQUE",
        "CREATE CONSTRAINT commons_project_code_unique IF NOT EXISTS FOR (n:`project`) REQUIRE n.`code` IS UNIQUE",
        "CREATE CONSTRAINT commons_read_group_id_unique IF NOT EXISTS FOR (n:`read_group`) REQUIRE n.`id` IS UNIQUE",
        "CREATE CONSTRAINT commons_read_group_project_id_submitter_id_unique IF NOT EXISTS "
        "FOR (n:`read_group`) REQUIRE (n.`project_id`, n.`submitter_id`) IS UNIQUE",
        "CREATE CONSTRAINT commons_sample_id_unique IF NOT EXISTS FOR (n:`sample`) REQUIRE n.`id` IS UNIQUE",
        "CREATE CONSTRAINT commons_sample_project_id_submitter_id_unique IF NOT EXISTS "
        "FOR (n:`sample`) REQUIRE (n.`project_id`, n.`submitter_id`) IS UNIQUE",
    ]


def test_a_unique_key_on_a_property_that_may_be_absent_is_not_a_constraint(ddl: list[str]) -> None:
    # demographic.uniqueKeys has [year_of_birth], which is not required.
    assert not any("year_of_birth" in statement for statement in ddl if "CONSTRAINT" in statement)
    # The submission checks it before writing (submission/unique.py): an index finds the holder.
    assert "commons_demographic_year_of_birth_index" in _names(ddl, "INDEX")


def test_indexes(ddl: list[str]) -> None:
    indexes = _names(ddl, "INDEX")
    for prop in ("submitter_id", "project_id", "sex", "race", "smoker", "legacy_flag"):
        assert f"commons_case_{prop}_index" in indexes
    assert {"commons_project_released_index", "commons_sample_sample_type_index"} <= indexes
    # One submission gives all its nodes the same datetimes and state: not worth an index.
    for prop in ("created_datetime", "updated_datetime", "state"):
        assert f"commons_case_{prop}_index" not in indexes
    assert "commons_case_age_index" not in indexes
    assert "CREATE INDEX commons_case_sex_index IF NOT EXISTS FOR (n:`case`) ON (n.`sex`)" in ddl


def test_a_property_led_by_a_constraint_is_not_indexed_again(
    dictionary: Dictionary, ddl: list[str]
) -> None:
    indexes = _names(ddl, "INDEX")
    assert not {f"commons_{label}_id_index" for label in dictionary.nodes} & indexes
    assert not {"commons_program_name_index", "commons_project_code_index"} & indexes


def test_names_stay_unique_when_label_and_property_read_the_same(tmp_path) -> None:
    from tests.dictionary_fixtures import edited

    def add_property(case: dict) -> None:
        case["properties"]["group_sex"] = {"type": "boolean"}

    def rename(read_group: dict) -> None:
        read_group["id"] = "case_group"

    folder = edited(tmp_path, {"case.yaml": add_property, "read_group.yaml": rename})
    statements = compile_ddl(load_dictionary(folder))
    names = [NAME.match(statement).group(1) for statement in statements]
    assert len(names) == len(set(names))


def _existing(graph: GraphStore) -> set[str]:
    return {row["name"] for row in graph.read("SHOW CONSTRAINTS")} | {
        row["name"] for row in graph.read("SHOW INDEXES")
    }


@pytest.fixture
def applied(graph: GraphStore, ddl: list[str]) -> Iterator[GraphStore]:
    """The DDL applied twice; afterwards only what this test created is dropped.

    The session store is shared: the default dictionary's DDL (same naming
    scheme, some of the same labels) may already be there and must stay.
    """
    before = _existing(graph)
    apply_ddl(graph, ddl)
    assert apply_ddl(graph, ddl) == 0  # the second pass finds every name and runs nothing
    yield graph
    graph.write("MATCH (n) DETACH DELETE n")
    for kind in ("CONSTRAINT", "INDEX"):
        for name in sorted(_names(ddl, kind) - before):
            graph.write(f"DROP {kind} {name} IF EXISTS")


def _schema(statement: str) -> tuple[str, tuple[str, ...]]:
    """(label, properties) a statement is about: what the store lists, whatever the name."""
    label = re.search(r"FOR \(n:`([^`]+)`\)", statement).group(1)
    target = (
        statement.split(" REQUIRE ")[-1] if "REQUIRE" in statement else statement.split(" ON ")[-1]
    )
    return label, tuple(re.findall(r"n\.`([^`]+)`", target))


def _listed(rows: list[dict]) -> set[tuple[str, tuple[str, ...]]]:
    return {
        (label, tuple(row["properties"])) for row in rows for label in row["labelsOrTypes"] or ()
    }


def test_applied_twice_the_store_lists_every_constraint_and_index(
    applied: GraphStore, ddl: list[str]
) -> None:
    # By schema, not name: IF NOT EXISTS keeps an equal constraint another test made under its own name.
    constraints = applied.read("SHOW CONSTRAINTS")
    wanted = {_schema(statement) for statement in ddl if statement.startswith("CREATE CONSTRAINT")}
    assert wanted <= _listed(constraints)
    assert ("case", ("project_id", "submitter_id")) in _listed(constraints)
    assert all(
        "UNIQUENESS" in row["type"] for row in constraints if row["name"].startswith("commons_")
    )
    indexes = {_schema(statement) for statement in ddl if statement.startswith("CREATE INDEX")}
    assert indexes <= _listed(applied.read("SHOW INDEXES"))


def test_a_duplicate_submitter_id_in_one_project_is_rejected(applied: GraphStore) -> None:
    create = "CREATE (n:`case` {id: $id, project_id: $project, submitter_id: 'case-1'})"
    applied.write(create, {"id": "c1", "project": "P-A"})
    applied.write(create, {"id": "c2", "project": "P-B"})
    with pytest.raises(ConstraintError):
        applied.write(create, {"id": "c3", "project": "P-A"})
    assert applied.read("MATCH (n:`case`) RETURN count(n) AS n") == [{"n": 2}]


def test_a_duplicate_id_is_rejected(applied: GraphStore) -> None:
    applied.write("CREATE (n:sample {id: 's1', project_id: 'P-A', submitter_id: 'a'})")
    with pytest.raises(ConstraintError):
        applied.write("CREATE (n:sample {id: 's1', project_id: 'P-A', submitter_id: 'b'})")


def test_a_duplicate_project_code_is_rejected(applied: GraphStore) -> None:
    applied.write("CREATE (n:project {id: 'p1', code: 'P-A'})")
    with pytest.raises(ConstraintError):
        applied.write("CREATE (n:project {id: 'p2', code: 'P-A'})")
