"""Quirks of real dictionaries that Gen3 (or the GDC) loads: Commons loads and serves them too, warning.

Each quirk class found in public Gen3 dictionaries (and in the GDC's) has a
small dictionary of its own, written for these tests, under
tests/fixtures/dictionaries/<quirk>/. Each loads with exactly the warnings
below, passes `commons dictionary check`, fails `check --strict`, and can
be served: records are submitted to it and read back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from engine.child_process import free_port
from engine.cli import main
from engine.dictionary import load_dictionary
from engine.dictionary.compile import CompiledDictionary, compile_dictionary
from engine.dictionary.model import Dictionary
from engine.graph.store import GraphStore
from tests.dictionary_fixtures import FIXTURES, edited
from tests.graphql_fixture import BASE, GRAPHQL, make_client

COMMONS = str(Path(sys.executable).parent / "commons")
SHIPPED = Path(__file__).resolve().parents[1] / "dictionaries"
CYCLE = (
    "links form a cycle ({}); the import order breaks it here, putting {} after {}: "
    "it can be filled only once its target exists"
)
QUIRKS: dict[str, list[str]] = {
    "system-property-not-a-property": [
        "sequencing_file.yaml: systemProperties[5]: 'file_state' is not a property, "
        "so it is ignored (as Gen3 does)",
        "sequencing_file.yaml: systemProperties[6]: 'error_type' is not a property, "
        "so it is ignored (as Gen3 does)",
    ],
    "required-link-in-subgroup": [
        "measurement.yaml: links[0].subgroup[0].required: a required link inside a link group: "
        "'subjects' must always be linked, whatever its group allows",
        "qc_report.yaml: links[0].subgroup[1].required: a required link inside a link group: "
        "'aliquots' must always be linked, so no other member of this exclusive group can be",
    ],
    "metaschema-in-folder": [
        "metaschema.yaml: a metaschema, not a node type: not loaded (as dictionaryutils does)"
    ],
    "list-of-refs": [
        "demographic.yaml: properties.$ref: a list of references, merged in order as the GDC's "
        "loader does; Gen3's dictionaryutils cannot load it (and 1 more in this file)"
    ],
    "link-cycle": [
        "archive.yaml: links[1]: " + CYCLE.format("archive -> file -> archive", "file", "archive")
    ],
    "backref-named-as-property": [
        "data_format.yaml: links[0].backref: 'data_formats' is also a property of file; "
        "the backref replaces it (as in Gen3), so the property is not served"
    ],
}


def _check(*args: str):
    return CliRunner().invoke(main, ["dictionary", "check", *args])


@pytest.fixture(scope="module")
def compiled(request: pytest.FixtureRequest) -> CompiledDictionary:
    return compile_dictionary(FIXTURES / request.param)


@pytest.fixture
def client(compiled: CompiledDictionary, graph: GraphStore, tmp_path: Path) -> TestClient:
    """The app over the quirky dictionary (the compile path `commons serve` takes), with a project."""
    client = make_client(graph, compiled, tmp_path)
    program = {"type": "program", "name": "quirks", "dbgap_accession_number": "phs1"}
    assert client.put(f"{BASE}/", json=program).status_code == 200
    project = {"type": "project", "code": "q", "name": "q", "dbgap_accession_number": "phs1"}
    assert client.put(f"{BASE}/quirks", json=project).status_code == 200
    subject = {"type": "subject", "submitter_id": "s1", "projects": {"code": "q"}}
    assert client.put(f"{BASE}/quirks/q", json=subject).status_code == 200
    return client


def _graphql(client: TestClient, query: str) -> dict:
    response = client.post(GRAPHQL, json={"query": query})
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.json()["data"]


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
def test_each_quirk_loads_with_its_warnings(quirk: str) -> None:
    assert list(load_dictionary(FIXTURES / quirk).warnings) == QUIRKS[quirk]


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
def test_check_prints_the_warnings_and_passes_but_strict_fails(quirk: str) -> None:
    relaxed = _check(str(FIXTURES / quirk))
    assert relaxed.exit_code == 0, relaxed.output
    warnings = [f"warning: {message}" for message in QUIRKS[quirk]]
    assert relaxed.stderr.splitlines() == [*warnings, f"{len(warnings)} warning(s)."]
    assert relaxed.stdout.startswith(f"{FIXTURES / quirk}: ")

    strict = _check("--strict", str(FIXTURES / quirk))
    assert strict.exit_code == 1
    assert strict.stderr.splitlines() == [
        *warnings,
        f"{len(warnings)} warning(s) (refused: --strict).",
    ]


def test_strict_passes_a_dictionary_without_quirks() -> None:
    result = _check("--strict", str(FIXTURES / "tabular"))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_serve_compiles_a_quirky_dictionary_and_prints_its_warnings(tmp_path: Path) -> None:
    """`commons serve` gets past the dictionary (to the graph store, unreachable here: no stores start)."""
    env = {
        **os.environ,
        "COMMONS_CONFIG": "/nonexistent.yaml",
        "COMMONS_DICTIONARY": str(FIXTURES / "link-cycle"),
        "NEO4J_URI": f"bolt://127.0.0.1:{free_port()}",
    }
    result = subprocess.run(
        [COMMONS, "serve", "--data-dir", str(tmp_path), "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"warning: {QUIRKS['link-cycle'][0]}" in result.stderr.splitlines()
    assert "does not load" not in result.stderr
    assert "graph store at bolt://127.0.0.1" in result.stderr


def test_system_properties_that_are_not_properties_are_ignored() -> None:
    compiled = compile_dictionary(FIXTURES / "system-property-not-a-property")
    node = compiled.dictionary.nodes["sequencing_file"]
    assert node.system_properties == (
        "id",
        "project_id",
        "created_datetime",
        "updated_datetime",
        "state",
    )
    assert "file_state" not in compiled.sdl and "error_type" not in compiled.sdl


def test_the_metaschema_is_not_a_node_type() -> None:
    assert set(load_dictionary(FIXTURES / "metaschema-in-folder").nodes) == {
        "program",
        "project",
        "subject",
        "visit",
    }


def test_a_list_of_references_merges_each_over_the_keys_beside_it() -> None:
    node = load_dictionary(FIXTURES / "list-of-refs").nodes["demographic"]
    assert {"submitter_id", "state", "recorded_by", "days_to_record"} <= set(node.properties)
    kind = node.properties["subject_kind"]
    assert kind.description == "What kind of subject this is."
    assert kind.enum == ("patient", "healthy volunteer", "relative")


def test_a_required_group_inside_an_exclusive_group_is_a_warning(tmp_path: Path) -> None:
    def edit(read_group: dict) -> None:
        read_group["links"][0]["subgroup"][1]["required"] = True

    loaded = load_dictionary(edited(tmp_path, {"read_group.yaml": edit}))
    assert [message for message in loaded.warnings if "required" in message] == [
        "read_group.yaml: links[0].subgroup[1].required: a required group inside a link group: "
        "one of its links must always be given, so no other member of this exclusive group can be"
    ]


@pytest.mark.parametrize("compiled", ["link-cycle"], indirect=True)
def test_records_linking_round_a_cycle_are_served(client: TestClient) -> None:
    records = [
        {
            "type": "archive",
            "submitter_id": "a1",
            "file_name": "a1.tar",
            "file_size": 10,
            "md5sum": "0" * 32,
            "projects": {"code": "q"},
            "related_to_files": [{"submitter_id": "f1"}],
        },
        {
            "type": "file",
            "submitter_id": "f1",
            "file_name": "f1.bam",
            "file_size": 5,
            "md5sum": "1" * 32,
            "subjects": [{"submitter_id": "s1"}],
            "archives": {"submitter_id": "a1"},
        },
    ]
    response = client.put(f"{BASE}/quirks/q", json=records)
    assert response.status_code == 200, response.text
    data = _graphql(
        client,
        "{ archive { submitter_id related_to_files { submitter_id archives { submitter_id } } } }",
    )
    assert data["archive"] == [
        {
            "submitter_id": "a1",
            "related_to_files": [{"submitter_id": "f1", "archives": [{"submitter_id": "a1"}]}],
        }
    ]


@pytest.mark.parametrize("compiled", ["backref-named-as-property"], indirect=True)
def test_a_backref_named_as_a_property_is_served_as_the_backref(client: TestClient) -> None:
    file = {
        "type": "file",
        "submitter_id": "f1",
        "file_name": "f1.bam",
        "file_size": 5,
        "md5sum": "1" * 32,
        "subjects": {"submitter_id": "s1"},
    }
    data_format = {
        "type": "data_format",
        "submitter_id": "bam",
        "name": "BAM",
        "files": {"submitter_id": "f1"},
    }
    response = client.put(f"{BASE}/quirks/q", json=[file, data_format])
    assert response.status_code == 200, response.text
    data = _graphql(client, "{ file { submitter_id data_formats { name } } }")
    assert data["file"] == [{"submitter_id": "f1", "data_formats": [{"name": "BAM"}]}]


@pytest.mark.parametrize("compiled", ["required-link-in-subgroup"], indirect=True)
def test_a_required_link_in_a_group_must_be_given_and_excludes_the_others(
    client: TestClient,
) -> None:
    parents = [
        {
            "type": "sample",
            "submitter_id": "sa1",
            "sample_type": "blood",
            "subjects": {"submitter_id": "s1"},
        },
        {"type": "aliquot", "submitter_id": "al1", "samples": {"submitter_id": "sa1"}},
    ]
    assert client.put(f"{BASE}/quirks/q", json=parents).status_code == 200
    report = {"type": "qc_report", "submitter_id": "r1", "passed": True}

    def refused(**links: dict) -> list[list[str]]:
        response = client.put(f"{BASE}/quirks/q", json=[{**report, **links}])
        assert response.status_code == 400, response.text
        return [error["keys"] for error in response.json()["entities"][0]["errors"]]

    assert refused(samples={"submitter_id": "sa1"}) == [["aliquots"]]
    assert refused(samples={"submitter_id": "sa1"}, aliquots={"submitter_id": "al1"}) == [
        ["samples", "aliquots"]
    ]
    accepted = client.put(
        f"{BASE}/quirks/q", json=[{**report, "aliquots": {"submitter_id": "al1"}}]
    )
    assert accepted.status_code == 200, accepted.text


def _loadable() -> list[Path]:
    """Every fixture dictionary that loads, and the ones that ship."""
    folders = [*sorted(FIXTURES.iterdir()), *sorted(SHIPPED.iterdir())]
    return [folder for folder in folders if folder.is_dir() and folder.name != "broken"]


@pytest.mark.parametrize("folder", _loadable(), ids=lambda folder: folder.name)
def test_a_link_to_a_later_type_is_always_a_warned_cycle_break(folder: Path) -> None:
    """What the simulator and `commons submit` rely on: links to earlier types can be filled in order."""
    loaded: Dictionary = load_dictionary(folder)
    position = {name: index for index, name in enumerate(loaded.import_order)}
    assert sorted(position) == sorted(loaded.nodes)
    later = [
        (node.name, link.name)
        for node in loaded.nodes.values()
        for link in node.links
        if link.target != node.name and position[link.target] > position[node.name]
    ]
    broken = [
        message for message in loaded.warnings if "the import order breaks it here" in message
    ]
    assert len(later) == len(broken)
