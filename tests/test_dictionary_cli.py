"""`commons dictionary check | compile | sdl | show`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from graphql import build_schema

from engine.cli import main
from engine.dictionary import compile_sdl, load_dictionary
from tests.dictionary_fixtures import COMPLETE, FIXTURES

WIDE = {"COLUMNS": "200"}


def _run(*args: str):
    return CliRunner().invoke(main, ["dictionary", *args], env=WIDE)


def test_check_prints_a_summary() -> None:
    result = _run("check", str(COMPLETE))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{COMPLETE}: 6 node types, 9 links, 3 categories (administrative, biospecimen, clinical)\n"
    )


def test_check_prints_every_problem_to_stderr_and_exits_1() -> None:
    result = _run("check", str(FIXTURES / "broken"))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "_definitions.yaml: to_one.$ref: '#/foreign_kee' points to nothing"
    assert lines[-1] == "5 problem(s) found."
    assert len(lines) == 6


def test_compile_writes_ddl_validators_and_sdl(tmp_path: Path) -> None:
    result = _run("compile", str(COMPLETE), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    cypher = (out / "schema.cypher").read_text().splitlines()
    assert cypher[0].startswith("CREATE CONSTRAINT commons_case_id_unique IF NOT EXISTS")
    assert all(line.endswith(";") for line in cypher)
    assert sorted(path.name for path in (out / "validators").iterdir()) == [
        f"{name}.json"
        for name in sorted(["case", "demographic", "program", "project", "read_group", "sample"])
    ]
    case = json.loads((out / "validators" / "case.json").read_text())
    assert case["properties"]["sex"]["enum"] == ["female", "male", "unknown", None]
    sdl = (out / "schema.graphql").read_text()
    assert sdl == compile_sdl(load_dictionary(COMPLETE))
    build_schema(sdl)


def test_sdl_prints_or_writes(tmp_path: Path) -> None:
    printed = _run("sdl", str(COMPLETE))
    assert printed.exit_code == 0 and printed.stdout == compile_sdl(load_dictionary(COMPLETE))
    written = _run("sdl", str(COMPLETE), "-o", str(tmp_path / "schema.graphql"))
    assert written.exit_code == 0
    assert (tmp_path / "schema.graphql").read_text() == printed.stdout


def test_show_lists_node_types_by_category() -> None:
    result = _run("show", str(COMPLETE))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "│" in line]
    rows = [[cell.strip() for cell in line.split("│")[1:3]] for line in lines]
    assert [row for row in rows if row[0]] == [
        ["administrative", "case"],
        ["administrative", "program"],
        ["administrative", "project"],
        ["biospecimen", "read_group"],
        ["biospecimen", "sample"],
        ["clinical", "demographic"],
    ]


def test_show_one_node() -> None:
    result = _run("show", str(COMPLETE), "case")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "case (Case), category administrative" in text
    assert "integer [0, 120]" in text and "number (0, ]" in text
    assert "female, male, unknown" in text and "array of number" in text
    assert "deprecated" in text and "system" in text
    assert "samples" in text and "one_to_many" in text


def test_show_an_unknown_node_suggests_close_names() -> None:
    result = _run("show", str(COMPLETE), "cas")
    assert result.exit_code == 1
    assert "no node type 'cas'" in result.stderr and "Did you mean: case?" in result.stderr


def test_help_texts() -> None:
    result = _run("--help")
    assert result.exit_code == 0
    for command in ("check", "compile", "sdl", "show"):
        assert command in result.stdout
