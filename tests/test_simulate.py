"""`simulate` and `commons simulate`: valid, linked, reproducible synthetic records."""

from __future__ import annotations

import csv
import dataclasses
import json
import random
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.dictionary import compile_validators, load_dictionary
from engine.dictionary.model import Dictionary, LinkGroup
from engine.dictionary.simulate import ROOT_TYPES, Records, simulate
from engine.dictionary.simulate_values import SKIP, ValueMaker
from engine.dictionary.validators import validate_entity

DICTIONARIES = Path(__file__).resolve().parent.parent / "dictionaries"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dictionaries"
COUNT = 1000


@pytest.fixture(scope="module")
def default() -> Dictionary:
    return load_dictionary(DICTIONARIES / "default")


@pytest.fixture(scope="module")
def records(default: Dictionary) -> Records:
    return simulate(default, COUNT, seed=1, project="sim")


def _problems(dictionary: Dictionary, records: Records) -> list[tuple[str, str, str]]:
    """(node type, submitter_id, message) of every record the validators refuse."""
    validators = compile_validators(dictionary)
    return [
        (name, record["submitter_id"], error.message)
        for name, rows in records.items()
        for record in rows
        for error in validate_entity(validators[name], record)
    ]


def _references(value: Any) -> list[dict[str, Any]]:
    return value if isinstance(value, list) else [value]


def _filled(group: LinkGroup, record: dict[str, Any]) -> int:
    """How many members of `group` the record fills (a nested group counts once)."""
    return sum(
        bool(_filled(member, record)) if isinstance(member, LinkGroup) else member in record
        for member in group.members
    )


def test_every_submittable_type_below_project_gets_count_records_in_import_order(
    default: Dictionary, records: Records
) -> None:
    expected = [
        name
        for name in default.import_order
        if name not in ROOT_TYPES and default.nodes[name].submittable
    ]
    assert list(records) == expected
    assert "read_group_qc" not in records  # submittable: false
    assert {name: len(rows) for name, rows in records.items()} == dict.fromkeys(expected, COUNT)


def test_records_pass_the_dictionary_validators(default: Dictionary, records: Records) -> None:
    assert _problems(default, records) == []


def test_the_same_seed_gives_the_same_records(default: Dictionary) -> None:
    first = simulate(default, 50, seed=7, project="sim")
    assert simulate(default, 50, seed=7, project="sim") == first
    assert simulate(default, 50, seed=8, project="sim") != first


def test_links_point_at_records_made_before_them(default: Dictionary, records: Records) -> None:
    made: dict[str, set[tuple[str, str]]] = {"project": {("code", "sim")}}
    for name, rows in records.items():
        node = default.nodes[name]
        made.setdefault(name, set())
        for record in rows:
            for link in node.links:
                for reference in _references(record.get(link.name, [])):
                    assert set(reference.items()) <= made[link.target], (name, link.name, reference)
            made[name].add(("submitter_id", record["submitter_id"]))


def test_required_links_groups_and_multiplicities_are_honoured(
    default: Dictionary, records: Records
) -> None:
    for name, rows in records.items():
        node = default.nodes[name]
        used: dict[str, list[str]] = {}
        for record in rows:
            for link in node.links:
                if link.required and not link.groups:
                    assert link.name in record, (name, link.name)
                if link.name in record:
                    value = record[link.name]
                    assert isinstance(value, dict) == link.multiplicity.endswith("_to_one")
                    if link.multiplicity.startswith("one_to_"):
                        used.setdefault(link.name, []).extend(
                            ref["submitter_id"] for ref in _references(value)
                        )
            for group in node.link_groups:
                filled = _filled(group, record)
                assert not group.exclusive or filled <= 1, (name, record["submitter_id"])
                assert not group.required or filled >= 1, (name, record["submitter_id"])
        for link_name, targets in used.items():
            assert len(targets) == len(set(targets)), f"{name}.{link_name} reuses a target"


def test_exclusive_and_nested_groups_use_every_branch(records: Records) -> None:
    """aligned_reads: exactly one of a workflow or (read groups and/or collections)."""
    rows = records["aligned_reads"]
    from_workflow = [row for row in rows if "alignment_workflows" in row]
    direct = [row for row in rows if "read_groups" in row or "core_metadata_collections" in row]
    assert from_workflow and direct
    assert not [row for row in from_workflow if row in direct]
    assert any("parent_samples" in row for row in records["sample"])  # the self-link


def test_values_follow_enums_ranges_arrays_and_datetimes(
    default: Dictionary, records: Records
) -> None:
    sample_types = set(default.nodes["sample"].properties["sample_type"].enum)
    assert {row["sample_type"] for row in records["sample"]} == sample_types
    for row in records["imaging_file"]:
        if "pixel_spacing" in row:
            assert 2 <= len(row["pixel_spacing"]) <= 3
            assert all(isinstance(v, int | float) and v > 0 for v in row["pixel_spacing"])
    ages = [row["age_at_index"] for row in records["demographic"] if "age_at_index" in row]
    assert ">89" in ages and all(a == ">89" or 0 <= a <= 89 for a in ages)
    for row in records["read_group"]:
        if row.get("sequencing_date"):
            datetime.fromisoformat(row["sequencing_date"])
    files = records["submitted_unaligned_reads"]
    assert all(row["file_name"].endswith("." + row["data_format"].lower()) for row in files)
    # Deprecated and index-assigned properties are left to real submissions.
    assert not any("gender" in row for row in records["demographic"])
    assert not any("object_id" in row for row in files)


def test_a_one_to_many_link_running_out_of_targets_stops_that_type(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(DICTIONARIES / "demo", folder)
    demographic = folder / "demographic.yaml"
    demographic.write_text(
        demographic.read_text().replace("multiplicity: one_to_one", "multiplicity: one_to_many")
    )
    records = simulate(load_dictionary(folder), 30, seed=3)
    subjects = [ref["submitter_id"] for row in records["demographic"] for ref in row["subjects"]]
    assert len(records["demographic"]) < 30
    assert sorted(subjects) == sorted(row["submitter_id"] for row in records["subject"])


def test_cli_writes_numbered_tsv_files_in_import_order(tmp_path: Path, default: Dictionary) -> None:
    result = CliRunner().invoke(
        main,
        ["simulate", str(DICTIONARIES / "default"), "-n", "4", "--out", str(tmp_path)]
        + ["--seed", "5", "--program", "demo", "--project", "sim"],
    )
    assert result.exit_code == 0, result.output
    assert "/api/v0/submission/demo/sim" in result.output
    expected = simulate(default, 4, seed=5, project="sim")
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == [f"{index:02d}_{name}.tsv" for index, name in enumerate(expected, start=1)]

    with (tmp_path / files[list(expected).index("imaging_file")]).open() as stream:
        rows = list(csv.DictReader(stream, delimiter="\t"))
    assert [row["submitter_id"] for row in rows] == [
        r["submitter_id"] for r in expected["imaging_file"]
    ]
    for row, record in zip(rows, expected["imaging_file"], strict=True):
        assert row["type"] == "imaging_file"
        assert row["pixel_spacing"] == ",".join(str(v) for v in record.get("pixel_spacing", []))
        subject = record.get("subjects", {}).get("submitter_id", "")
        assert row["subjects.submitter_id"] == subject
    with (tmp_path / files[0]).open() as stream:
        header = next(csv.reader(stream, delimiter="\t"))
    # The same layout as export and templates (engine/submission/tabular.py).
    assert header[:4] == ["type", "id", "submitter_id", "projects.code"]


def test_cli_writes_json_the_same_records(tmp_path: Path, default: Dictionary) -> None:
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            str(DICTIONARIES / "demo"),
            "-n",
            "3",
            "--out",
            str(tmp_path),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    written = {
        path.stem.split("_", 1)[1]: json.loads(path.read_text())
        for path in sorted(tmp_path.glob("*.json"))
    }
    assert written == simulate(load_dictionary(DICTIONARIES / "demo"), 3, seed=0)


def test_cli_reports_an_invalid_dictionary(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: broken\n")
    result = CliRunner().invoke(main, ["simulate", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "not a valid dictionary" in result.output


# MIDRC's shapes (tests/fixtures/dictionaries/midrc_shapes)


@pytest.fixture(scope="module")
def shapes() -> Dictionary:
    return load_dictionary(FIXTURES / "midrc_shapes")


def test_required_links_and_groups_are_filled_inside_any_group(shapes: Dictionary) -> None:
    """procedure: one of (conditions, cases), and `cases` in `required`; measurement: exactly
    one of (procedures, conditions), `procedures` in `required`; observation: imaging studies or
    (cases and/or conditions), `cases` in `required`, so always the nested group;
    annotation_file: `cases` marked `required: true` inside its group; annotation: a required
    group (cases or imaging studies) nested in an optional one."""
    records = simulate(shapes, 40, seed=4)
    assert _problems(shapes, records) == []
    assert all("cases" in row for row in records["procedure"])
    assert any("conditions" in row for row in records["procedure"])
    assert all("procedures" in row and "conditions" not in row for row in records["measurement"])
    observations = records["observation"]
    assert all("cases" in row and "imaging_studies" not in row for row in observations)
    assert any("conditions" in row for row in observations)
    assert all("cases" in row for row in records["annotation_file"])
    annotations = records["annotation"]
    assert all("cases" in row or "imaging_studies" in row for row in annotations)
    assert any("annotation_files" in row for row in annotations)


def test_links_to_types_later_in_import_order_are_left_empty(shapes: Dictionary) -> None:
    """An import order from required links only may put `annotation` before `annotation_file`,
    which its optional link names: that link stays empty and the group takes another member."""
    order = [name for name in shapes.import_order if name != "annotation"]
    order.insert(order.index("annotation_file"), "annotation")
    reordered = dataclasses.replace(shapes, import_order=tuple(order))
    records = simulate(reordered, 30, seed=5)
    assert list(records).index("annotation") < list(records).index("annotation_file")
    assert len(records["annotation"]) == 30
    assert not any("annotation_files" in row for row in records["annotation"])
    assert _problems(shapes, records) == []
    # In the loader's order, the same link is used.
    assert any("annotation_files" in row for row in simulate(shapes, 30, seed=5)["annotation"])


def test_text_is_drawn_so_a_table_cell_keeps_it(shapes: Dictionary) -> None:
    """List items never hold a list separator (`,` in TSV, `#` in CSV) while the enum offers
    others; a single value may (its cell is not split)."""
    records = simulate(shapes, 60, seed=6)
    items = {item for row in records["imaging_study"] for item in row.get("radiation_setting", [])}
    assert items == {
        "GR: high dose for diagnostic quality image acquisition (also called digital spot or cine)"
    }
    parts = {row.get("body_part_examined") for row in records["imaging_study"]}
    assert "CHEST, ABDOMEN" in parts and "PELVIS #1" in parts


def test_pattern_text_keeps_its_length_bounds_and_its_cell() -> None:
    values = ValueMaker(random.Random(2))
    short = {"type": "string", "pattern": "^[a-z]{0,3}$", "minLength": 2}
    assert all(len(values.value("code", short)) >= 2 for _ in range(100))
    spaced = {"type": "string", "pattern": "^ ?[a-z]{2}$"}
    assert all(len(values.value("code", spaced)) == 2 for _ in range(100))
    listed = {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{1,2}([,#][a-z])?$"}}
    items = [item for _ in range(100) for item in values.value("codes", listed)]
    assert items and not any("," in item or "#" in item for item in items)


def test_unique_keys_of_properties_are_never_repeated(shapes: Dictionary) -> None:
    """tag: [project_id, name] over an enum of three values gives three tags at most, and
    [project_id, code] (optional, four values) never repeats a code."""
    tags = simulate(shapes, 20, seed=7)["tag"]
    assert sorted(row["name"] for row in tags) == ["alpha", "beta", "gamma"]
    codes = [row["code"] for row in tags if "code" in row]
    assert len(codes) == len(set(codes))


def test_optional_values_no_table_cell_holds_are_left_out(shapes: Dictionary) -> None:
    """condition: `consent_type` lists items that all hold a comma, `follow_ups` is an object."""
    conditions = simulate(shapes, 40, seed=8)["condition"]
    assert not any("consent_type" in row or "follow_ups" in row for row in conditions)
    assert any("condition_codes" in row for row in conditions)


def test_unique_items_are_unique() -> None:
    values = ValueMaker(random.Random(3))
    schema = {"type": "array", "uniqueItems": True, "minItems": 2, "maxItems": 6}
    schema["items"] = {"type": "integer", "minimum": 1, "maximum": 3}
    drawn = [values.value("scores", schema) for _ in range(50)]
    assert all(item is SKIP or 2 <= len(item) == len(set(item)) for item in drawn)
    assert any(item is not SKIP for item in drawn)
