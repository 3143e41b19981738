"""`commons migrate`: safe changes reach the store, breaking ones are refused with counts."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.dictionary import load_dictionary
from engine.graph.migrate import migrate
from engine.graph.store import GraphStore

FIXTURES = Path(__file__).parent / "fixtures" / "dictionaries"
DEFAULT = Path(__file__).resolve().parents[1] / "dictionaries" / "default"


def test_breaking_changes_are_refused_with_the_records_they_touch(graph: GraphStore) -> None:
    old = load_dictionary(FIXTURES / "diff_old")
    new = load_dictionary(FIXTURES / "diff_new")
    graph.write(
        "UNWIND $rows AS r CREATE (n:subject) SET n = r",
        {
            "rows": [
                {"id": "s1", "species": "rat", "legacy_code": "x", "age": 3.5},
                {"id": "s2", "species": "human", "sex": "female"},
                {"id": "s3", "species": "rat"},
            ]
        },
    )
    graph.write("UNWIND ['e1', 'e2'] AS id CREATE (:exposure {id: id})")
    graph.write(
        "CREATE (:reads_file {id: 'f1', tags: ['filtered', 'raw']}), (:reads_file {id: 'f2', tags: ['raw']})"
    )
    result = migrate(graph, old, new)
    assert result.refused and result.applied == 0
    counts = {(b.change.what, b.change.path, b.change.detail): b.records for b in result.breaking}
    assert counts[("enum value", "subject.species", "'rat'")] == 2
    assert counts[("property", "subject.legacy_code", "string")] == 1
    assert counts[("required", "subject.sex", "now required")] == 2
    assert counts[("node", "exposure", "node type exposure (clinical)")] == 2
    assert counts[("enum value", "reads_file.tags[]", "'filtered'")] == 1
    assert counts[("type", "subject.age", "number -> integer")] == 1


def test_safe_changes_add_constraints_and_indexes(graph: GraphStore, tmp_path: Path) -> None:
    new_folder = tmp_path / "default"
    shutil.copytree(DEFAULT, new_folder)
    subject = new_folder / "subject.yaml"
    subject.write_text(
        subject.read_text().replace(
            "\nproperties:\n", "\nproperties:\n  is_sequenced:\n    type: boolean\n", 1
        )
    )
    old, new = load_dictionary(DEFAULT), load_dictionary(new_folder)
    assert "is_sequenced" in new.nodes["subject"].properties
    migrate(graph, old, old)  # the store as the current version has it
    result = migrate(graph, old, new)
    assert not result.refused
    assert [c.path for c in result.changes] == ["subject.is_sequenced"]
    assert result.applied == 1
    indexes = graph.read("SHOW INDEXES")
    assert any(
        row["labelsOrTypes"] == ["subject"] and row["properties"] == ["is_sequenced"]
        for row in indexes
    )
