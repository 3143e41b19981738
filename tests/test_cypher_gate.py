"""The Neo4j gate itself (tests/cypher_gate.py): what it catches, what it lets pass, how it fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.dictionary import load_dictionary
from engine.graph.ddl import compile_ddl
from engine.graph.store import GraphStore, StatementRecorder, record_statements
from tests.cypher_gate import ROOT, dictionary_ddl, lint, required, unavailable

# Statements broken on purpose, and correct ones, each with the parameters sent with it.
BROKEN_SYNTAX = "MATCH (n:`case`) RETRUN n.id AS id"
UNDEFINED = "MATCH (n:`case`) RETURN m.id AS id"
DUPLICATE_COLUMN = "MATCH (n) RETURN n.id AS id, n.submitter_id AS id"
UNSCOPED_CALL = "MATCH (n) CALL { WITH n RETURN count(*) AS c } RETURN c"
DEPRECATED_FUNCTION = "MATCH (n) RETURN id(n) AS i"
SCOPED_CALL = "MATCH (n) CALL (n) { RETURN count(*) AS c } RETURN c"
WITH_PARAMETERS = (
    "UNWIND $rows AS row MERGE (n:`case` {id: row.id}) SET n += row.props "
    "WITH n WHERE n.project_id IN $projects RETURN count(n) AS written"
)
PARAMETER_NOT_SENT = "MATCH (n {id: $id}) RETURN n.x AS x"
TRAILING_SEMICOLON = "RETURN 1 AS one;"
TWO_STATEMENTS = "RETURN 1 AS one; RETURN 2 AS two"
STATEMENTS = {
    BROKEN_SYNTAX: [],
    UNDEFINED: [],
    DUPLICATE_COLUMN: [],
    UNSCOPED_CALL: [],
    DEPRECATED_FUNCTION: [],
    SCOPED_CALL: [],
    WITH_PARAMETERS: ["projects", "rows"],
    PARAMETER_NOT_SENT: ["ids"],
    TRAILING_SEMICOLON: [],
    TWO_STATEMENTS: [],
}


def require_linter() -> None:
    reason = unavailable()
    if reason is not None:
        if required():
            pytest.fail(f"the Neo4j gate cannot run: {reason}")
        pytest.skip(f"the Neo4j gate cannot run: {reason}")


@pytest.fixture(scope="module")
def found() -> dict[str, list[tuple[str, str]]]:
    """What Neo4j's front-end says of each of STATEMENTS: one Node run for all of them."""
    require_linter()
    by_query: dict[str, list[tuple[str, str]]] = {query: [] for query in STATEMENTS}
    for finding in lint(STATEMENTS):
        by_query[finding.query].append((finding.severity, finding.message))
    return by_query


def test_a_syntax_error_is_caught_with_neo4js_message(found) -> None:
    [(severity, message), *_] = found[BROKEN_SYNTAX]
    assert severity == "error"
    assert message.startswith("Invalid input 'RETRUN': expected")


def test_an_undefined_variable_is_caught(found) -> None:
    assert found[UNDEFINED] == [("error", "Variable `m` not defined")]


def test_a_duplicate_column_is_caught(found) -> None:
    assert found[DUPLICATE_COLUMN] == [
        ("error", "Multiple result columns with the same name are not supported")
    ]


def test_a_subquery_without_scope_clause_is_a_deprecation(found) -> None:
    assert found[UNSCOPED_CALL] == [
        (
            "warning",
            "CALL subquery without a variable scope clause is deprecated. Use CALL (n) { ... }",
        )
    ]


def test_a_deprecated_function_is_a_deprecation(found) -> None:
    [(severity, message)] = found[DEPRECATED_FUNCTION]
    assert severity == "warning"
    assert "deprecated function" in message


def test_correct_statements_pass_with_their_parameters(found) -> None:
    assert found[SCOPED_CALL] == []
    assert found[WITH_PARAMETERS] == []
    assert found[TRAILING_SEMICOLON] == []


def test_a_parameter_never_sent_is_an_error(found) -> None:
    assert found[PARAMETER_NOT_SENT] == [("error", "Parameter $id is not defined.")]


def test_two_statements_in_one_text_are_an_error(found) -> None:
    assert found[TWO_STATEMENTS] == [("error", "Expected exactly one statement per query")]


def test_the_ddl_of_the_shipped_and_fixture_dictionaries_is_checked() -> None:
    ddl = dictionary_ddl()
    for folder in (
        "dictionaries/default",
        "dictionaries/demo",
        "tests/fixtures/dictionaries/tabular",
    ):
        assert set(compile_ddl(load_dictionary(ROOT / folder))) <= ddl, folder


def test_the_recorder_keeps_each_text_once_with_its_parameter_names(graph: GraphStore) -> None:
    recorder = record_statements()
    assert isinstance(recorder, StatementRecorder)
    query = "MATCH (n:GateProbe) WHERE n.key IN $keys OR n.key = $key RETURN count(n) AS n"
    graph.read(query, {"keys": ["a"], "key": "b"})
    graph.execute_read(lambda tx: tx.run(query, {"keys": [], "key": "c", "unused": 1}))
    graph.lookup(query, {"keys": [], "key": "d"})
    assert recorder.statements()[query] == ["key", "keys", "unused"]
    assert record_statements() is recorder


# A session of its own: the gate's hooks, and one test that sends one statement.
CONFTEST = (
    "from tests.cypher_gate import cypher_gate, pytest_sessionfinish, pytest_terminal_summary\n"
)
SENDS = (
    "from engine.graph.store import record_statements\n\n\n"
    "def test_sends():\n    record_statements().add({query!r}, {params!r})\n"
)


def session(folder: Path, query: str, params: dict | None, path: str | None = None) -> str:
    """A pytest session apart from this one that sends `query` and ends with the gate; its output.

    Apart, so that a statement broken on purpose never reaches this session's own gate.
    """
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "test_sends.py").write_text(SENDS.format(query=query, params=params))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COMMONS_CYPHER_GATE": "required"}
    if path is not None:
        env["PATH"] = path
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return f"exit {done.returncode}\n{done.stdout}{done.stderr}"


def test_a_broken_statement_fails_the_session_with_the_statement_and_neo4js_message(
    tmp_path: Path,
) -> None:
    require_linter()
    broken = "MATCH (n:`case` {id: $id}) RETURN m.id AS id"
    output = session(tmp_path, broken, {"id": "c1"})
    assert output.startswith("exit 1\n"), output
    assert f"\n{broken}\n  error at line 1, column 35: Variable `m` not defined\n" in output
    assert "1 passed" in output
    assert "statements checked" in output
    assert ", errors 1, deprecations 0" in output


def test_without_node_a_required_gate_fails_clearly(tmp_path: Path) -> None:
    output = session(tmp_path, "RETURN 1 AS one", None, path=str(tmp_path))
    assert output.startswith("exit 1\n"), output
    assert "Neo4j gate FAILED: node not found" in output
