"""`diff_dictionaries` and `commons dictionary diff`: every kind of change, and which ones break.

The fixtures diff_old -> diff_new make each change once; comments in
diff_new's files say which.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.dictionary import load_dictionary
from engine.dictionary.diff import Change, diff_dictionaries

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dictionaries"
OLD = FIXTURES / "diff_old"
NEW = FIXTURES / "diff_new"
# Wide enough that rich never folds a path across lines.
WIDE = {"COLUMNS": "200"}

BREAKING = {
    ("removed", "node", "exposure"),
    ("removed", "property", "subject.legacy_code"),
    ("added", "property", "subject.consent_given"),
    ("changed", "required", "subject.sex"),
    ("removed", "enum value", "subject.species"),
    ("removed", "enum value", "sample.sample_type"),
    ("removed", "enum value", "reads_file.tags[]"),
    ("changed", "type", "subject.age"),
    ("changed", "type", "subject.nickname"),
    ("changed", "type", "subject.notes"),
    ("changed", "type", "subject.height"),
    ("added", "unique key", "subject"),
    ("removed", "link", "sample.links.exposures"),
    ("added", "link", "sample.links.diagnoses"),
    ("changed", "link", "sample.links.subjects"),
    ("changed", "link group", "reads_file.links[samples|subjects]"),
}
SAFE = {
    ("added", "node", "diagnosis"),
    ("added", "property", "subject.ethnicity"),
    ("added", "enum value", "subject.species"),
    ("added", "enum value", "sample.sample_type"),
    ("changed", "type", "subject.weight"),
    ("changed", "type", "subject.height"),
    ("changed", "property", "subject.weight"),
    ("changed", "category", "subject"),
    ("added", "link", "sample.links.parent_samples"),
    ("added", "link", "index_file.links.samples"),
    ("changed", "link group", "index_file.links[reads_files|samples]"),
}


@pytest.fixture(scope="module")
def changes() -> list[Change]:
    return diff_dictionaries(load_dictionary(OLD), load_dictionary(NEW))


def _details(changes: list[Change], path: str) -> dict[str, bool]:
    return {change.detail: change.breaking for change in changes if change.path == path}


def test_every_change_is_found_and_flagged(changes: list[Change]) -> None:
    assert {(c.kind, c.what, c.path) for c in changes if c.breaking} == BREAKING
    assert {(c.kind, c.what, c.path) for c in changes if not c.breaking} == SAFE


def test_type_changes_narrowing_breaks_widening_does_not(changes: list[Change]) -> None:
    assert _details(changes, "subject.age") == {"number -> integer": True}
    assert _details(changes, "subject.weight") == {
        "integer -> number": False,
        "now deprecated": False,
    }
    assert _details(changes, "subject.nickname") == {"string -> enum": True}
    assert _details(changes, "subject.notes") == {"no longer accepts null": True}
    assert _details(changes, "subject.height") == {
        "minimum 0 -> 10": True,
        "maximum 300 -> 400": False,
    }


def test_enum_values_dropped_break_added_do_not(changes: list[Change]) -> None:
    assert _details(changes, "subject.species") == {"'rat'": True, "'zebrafish'": False}
    assert _details(changes, "reads_file.tags[]") == {"'filtered'": True}


def test_each_changed_link_attribute_is_its_own_breaking_change(changes: list[Change]) -> None:
    assert _details(changes, "sample.links.subjects") == {
        "backref samples -> subject_samples": True,
        "label derived_from -> taken_from": True,
        "multiplicity many_to_one -> many_to_many": True,
    }
    assert _details(changes, "subject") == {
        "administrative -> clinical": False,
        "[project_id, nickname]": True,
    }


def test_a_link_group_that_only_loosens_is_safe(changes: list[Change]) -> None:
    group = _details(changes, "index_file.links[reads_files|samples]")
    assert group == {
        "at least one of (reads_files) -> at least one of (reads_files, samples)": False
    }


def test_a_dictionary_against_itself_has_no_changes() -> None:
    default = load_dictionary(Path(__file__).resolve().parent.parent / "dictionaries" / "default")
    assert diff_dictionaries(default, default) == []


def test_cli_exits_1_on_breaking_changes(changes: list[Change]) -> None:
    result = CliRunner().invoke(main, ["dictionary", "diff", str(OLD), str(NEW)], env=WIDE)
    assert result.exit_code == 1, result.output
    assert "reads_file.links[samples|subjects]" in result.output
    breaking = sum(change.breaking for change in changes)
    assert f"{len(changes)} change(s), {breaking} breaking." in result.output


def test_cli_exits_0_when_nothing_breaks(tmp_path: Path) -> None:
    same = CliRunner().invoke(main, ["dictionary", "diff", str(OLD), str(OLD)])
    assert (same.exit_code, same.output.strip()) == (0, "No differences.")

    shutil.copytree(OLD, tmp_path / "new")
    subject = tmp_path / "new" / "subject.yaml"
    subject.write_text(subject.read_text() + "  eye_colour:\n    type: string\n")
    safe = CliRunner().invoke(
        main, ["dictionary", "diff", str(OLD), str(tmp_path / "new")], env=WIDE
    )
    assert safe.exit_code == 0, safe.output
    assert "subject.eye_colour" in safe.output and "1 change(s), 0 breaking." in safe.output


def test_cli_exits_2_on_an_invalid_dictionary(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: broken\n")
    result = CliRunner().invoke(main, ["dictionary", "diff", str(OLD), str(tmp_path)])
    assert result.exit_code == 2
    assert "not a valid dictionary" in result.output
