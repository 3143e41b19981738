"""Entities -> TSV/CSV: columns, templates and exports, and that what is written reads back the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dictionary import compile_validators
from engine.dictionary.loader import load_dictionary
from engine.dictionary.model import Dictionary
from engine.dictionary.validators import validate_entity
from engine.submission.documents import parse_body
from engine.submission.tabular import entity_columns, link_key, template, write_table

DICTIONARY = load_dictionary(Path(__file__).parent / "fixtures" / "dictionaries" / "tabular")
SAMPLE = DICTIONARY.node("sample")
FILE = DICTIONARY.node("file")
FORMATS = [("\t", "text/tab-separated-values"), (",", "text/csv")]
SAMPLE_COLUMNS = [
    "type",
    "id",
    "submitter_id",
    "cases.submitter_id",
    "sample_type",
    "tags",
    "readings",
    "aliquot_count",
    "weight",
    "is_ffpe",
    "collected_at",
    "notes",
]
SYSTEM = ["project_id", "created_datetime", "updated_datetime", "state"]


def read_back(text: str, content_type: str) -> list[dict[str, Any]]:
    return read_back_from(text, content_type, DICTIONARY)


def read_back_from(text: str, content_type: str, dictionary: Dictionary) -> list[dict[str, Any]]:
    return [source.doc for source in parse_body(text.encode(), content_type, dictionary)]


# Columns


def test_entity_columns_identity_links_then_properties_in_declared_order() -> None:
    assert entity_columns(SAMPLE) == SAMPLE_COLUMNS
    assert entity_columns(SAMPLE, include_system=True) == SAMPLE_COLUMNS + SYSTEM


def test_links_keep_their_declared_order_and_name_targets_by_their_key() -> None:
    assert entity_columns(FILE) == [
        "type",
        "id",
        "submitter_id",
        "samples.submitter_id",
        "cases.submitter_id",
        "file_name",
        "file_size",
    ]
    assert entity_columns(DICTIONARY.node("case"), include_system=True) == [
        "type",
        "id",
        "submitter_id",
        "projects.code",
        "disease_type",
        *SYSTEM,
    ]
    assert entity_columns(DICTIONARY.node("project"), include_system=True) == [
        "type",
        "id",
        "programs.name",
        "code",
        "dbgap_accession_number",
        "state",
    ]
    assert [link_key(link) for link in FILE.links] == ["submitter_id", "submitter_id"]


# Templates


def test_template_is_the_submittable_header_with_required_columns_starred() -> None:
    assert template(SAMPLE, "\t") == (
        "*type\t*submitter_id\t*cases.submitter_id\t*sample_type\ttags\treadings\t"
        "aliquot_count\tweight\tis_ffpe\tcollected_at\tnotes\n"
    )
    assert (
        template(FILE, ",")
        == "*type,*submitter_id,samples.submitter_id,cases.submitter_id,*file_name,*file_size\n"
    )
    assert (
        template(DICTIONARY.node("case"), "\t")
        == "*type\t*submitter_id\t*projects.code\tdisease_type\n"
    )


@pytest.mark.parametrize(("delimiter", "content_type"), FORMATS)
def test_a_filled_in_template_submits(delimiter: str, content_type: str) -> None:
    separator = "," if delimiter == "\t" else "#"
    row = [
        "sample",
        "S1",
        "C1",
        "Blood",
        f"a{separator}b",
        f"1{separator}2.5",
        "3",
        "0.5",
        "TRUE",
        "",
        "null",
    ]
    body = template(SAMPLE, delimiter) + delimiter.join(row) + "\n"
    assert read_back(body, content_type) == [
        {
            "type": "sample",
            "submitter_id": "S1",
            "cases": {"submitter_id": "C1"},
            "sample_type": "Blood",
            "tags": ["a", "b"],
            "readings": [1, 2.5],
            "aliquot_count": 3,
            "weight": 0.5,
            "is_ffpe": True,
            "collected_at": None,
            "notes": None,
        }
    ]


# Exports


def full_sample(**changes: Any) -> dict[str, Any]:
    row = {
        "type": "sample",
        "id": "8a3a3f64-1e9a-4b3c-9d3e-0c1f2e3d4c5b",
        "submitter_id": "S1",
        "cases": {"submitter_id": "C1"},
        "sample_type": "Primary Tumor",
        "tags": ["a b", "c"],
        "readings": [1, 2.5, 1e-05],
        "aliquot_count": 3,
        "weight": 0.5,
        "is_ffpe": False,
        "collected_at": "2024-01-02T03:04:05+00:00",
        "notes": 'said "hi"',
    }
    return row | changes


def test_write_table_tsv_lines() -> None:
    lines = list(
        write_table(
            SAMPLE,
            [full_sample(), {"submitter_id": "S2", "tags": [], "notes": "tab\there\rand"}],
            "\t",
        )
    )
    assert lines == [
        "\t".join(SAMPLE_COLUMNS) + "\n",
        "sample\t8a3a3f64-1e9a-4b3c-9d3e-0c1f2e3d4c5b\tS1\tC1\tPrimary Tumor\ta b,c\t1,2.5,1e-05\t3\t0.5\tfalse\t"
        '2024-01-02T03:04:05+00:00\t"said ""hi"""\n',
        'sample\t\tS2\t\t\t\t\t\t\t\t\t"tab\there\rand"\n',
    ]


def test_write_table_csv_lines_use_hashes_inside_cells() -> None:
    row = full_sample(tags=["x,y", "z"], notes="line\nbreak", is_ffpe=True)
    header, line = write_table(SAMPLE, [row], ",", include_system=True)
    assert header == ",".join(SAMPLE_COLUMNS + SYSTEM) + "\n"
    assert line == (
        'sample,8a3a3f64-1e9a-4b3c-9d3e-0c1f2e3d4c5b,S1,C1,Primary Tumor,"x,y#z",1#2.5#1e-05,3,0.5,true,'
        '2024-01-02T03:04:05+00:00,"line\nbreak",,,,\n'
    )


def test_write_table_writes_every_target_of_a_link() -> None:
    row = {
        "submitter_id": "F1",
        "samples": [{"submitter_id": "S1"}, {"submitter_id": "S2"}],
        "cases": None,
    }
    assert list(write_table(FILE, [row], "\t"))[1] == "file\t\tF1\tS1,S2\t\t\t\n"
    assert list(write_table(FILE, [row], ","))[1] == "file,,F1,S1#S2,,,\n"


def test_write_table_with_no_rows_is_the_header() -> None:
    assert list(write_table(FILE, [], "\t", include_system=True)) == [
        "type\tid\tsubmitter_id\tsamples.submitter_id\tcases.submitter_id\tfile_name\tfile_size\t"
        "project_id\tcreated_datetime\tupdated_datetime\tstate\n"
    ]


@pytest.mark.parametrize(("delimiter", "content_type"), FORMATS)
def test_an_export_reads_back_as_the_same_documents(delimiter: str, content_type: str) -> None:
    samples = [
        full_sample(),
        full_sample(
            submitter_id="S2", tags=["only"], readings=[0.25], notes="a\tb, c#d", is_ffpe=True
        ),
        full_sample(submitter_id="S3", **{key: None for key in SAMPLE_COLUMNS[4:]}),
    ]
    files = [
        {
            "type": "file",
            "id": "0d6bb3a4-6c8e-4f7e-8f55-1d0c2a8e9b11",
            "submitter_id": "F1",
            "samples": [{"submitter_id": "S1"}, {"submitter_id": "S2"}],
            "cases": {"submitter_id": "C1"},
            "file_name": "f1.bam",
            "file_size": 42,
        },
    ]
    for node, rows in [(SAMPLE, samples), (FILE, files)]:
        assert read_back("".join(write_table(node, rows, delimiter)), content_type) == rows


def test_system_columns_read_back_as_text() -> None:
    row = full_sample(
        project_id="P-Q",
        created_datetime="2024-01-01T00:00:00+00:00",
        updated_datetime="2024-01-02T00:00:00+00:00",
        state="validated",
    )
    assert read_back(
        "".join(write_table(SAMPLE, [row], "\t", include_system=True)), "text/tsv"
    ) == [row]


PLAIN = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters=",#"
    ),
    min_size=1,
    max_size=8,
).filter(lambda text: text.strip() == text and text.lower() != "null")
INT64 = st.integers(-(2**63), 2**63 - 1)
NUMBER = INT64 | st.floats(allow_nan=False, allow_infinity=False)
SAMPLES = st.fixed_dictionaries(
    {
        "type": st.just("sample"),
        "submitter_id": PLAIN,
        "cases": st.builds(lambda s: {"submitter_id": s}, PLAIN),
        "sample_type": st.sampled_from(["Primary Tumor", "Blood", "true"]),
        "tags": st.lists(PLAIN, min_size=1, max_size=3) | st.none(),
        "readings": st.lists(NUMBER, min_size=1, max_size=3) | st.none(),
        "aliquot_count": INT64 | st.none(),
        "weight": NUMBER | st.none(),
        "is_ffpe": st.booleans() | st.none(),
        "notes": st.text(
            st.sampled_from('a "\t\r\n,#*.\x00é') | st.characters(codec="utf-8"), max_size=10
        ).filter(lambda t: t.strip() == t and t.lower() not in ("", "null"))
        | st.none(),
    }
)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(SAMPLES, max_size=4), delimiter_and_type=st.sampled_from(FORMATS))
def test_any_export_reads_back(
    rows: list[dict[str, Any]], delimiter_and_type: tuple[str, str]
) -> None:
    delimiter, content_type = delimiter_and_type
    exported = "".join(write_table(SAMPLE, rows, delimiter))
    expected = [{"collected_at": None} | row for row in rows]
    assert read_back(exported, content_type) == expected


# Cells of union-typed properties (anyOf / oneOf / a list of types)

SHAPES = load_dictionary(Path(__file__).parent / "fixtures" / "dictionaries" / "midrc_shapes")
SHAPES_VALIDATORS = compile_validators(SHAPES)


def read_case(cells: dict[str, str], delimiter: str, content_type: str) -> dict[str, Any]:
    """One `case` row of `cells` (column -> cell text) read as submitted, checked by the validator."""
    columns = ["type", "submitter_id", "projects.code", *cells]
    row = ["case", "C1", "P", *cells.values()]
    text = delimiter.join(columns) + "\n" + delimiter.join(row) + "\n"
    [source] = parse_body(text.encode(), content_type, SHAPES)
    return source.doc


@pytest.mark.parametrize(("delimiter", "content_type"), FORMATS)
@pytest.mark.parametrize(
    ("column", "cell", "value"),
    [
        # anyOf [{type: integer, 0..89}, {enum: [">89"]}]: the first alternative that validates.
        ("age_at_index", "69", 69),
        ("age_at_index", "0", 0),
        ("age_at_index", ">89", ">89"),
        # oneOf [{type: integer, 1990..2030}, {enum: [Unknown]}]
        ("index_year", "2001", 2001),
        ("index_year", "Unknown", "Unknown"),
        # type: [integer, string]: a number where a number is allowed, else the text.
        ("site_code", "12", 12),
        ("site_code", "12b", "12b"),
        # enum [1, 2, 3]: the number the cell writes.
        ("cohort", "2", 2),
        # type: [integer, "null"] / [number, "null"] / ["string", "null"] / a string pattern.
        ("visit_count", "4", 4),
        ("bmi", "22.5", 22.5),
        ("race", "007", "007"),
        ("zip3", "007", "007"),
        ("covid19_positive", "TRUE", True),
    ],
)
def test_a_cell_of_a_union_property_is_read_as_its_first_valid_alternative(
    column: str, cell: str, value: Any, delimiter: str, content_type: str
) -> None:
    doc = read_case({column: cell}, delimiter, content_type)
    assert doc[column] == value and type(doc[column]) is type(value)
    assert validate_entity(SHAPES_VALIDATORS["case"], doc) == []


@pytest.mark.parametrize(
    ("column", "cell", "value"),
    [("age_at_index", "120", 120), ("index_year", "1800", 1800), ("cohort", "7", "7")],
)
def test_a_cell_no_alternative_accepts_goes_on_as_the_number_meant(
    column: str, cell: str, value: Any
) -> None:
    """The validator's error then names the number (`120 is not valid ...`), not a quoted text."""
    doc = read_case({column: cell}, "\t", "text/tab-separated-values")
    assert doc[column] == value and type(doc[column]) is type(value)
    [error] = validate_entity(SHAPES_VALIDATORS["case"], doc)
    assert error.keys == (column,) and error.message.startswith(f"{value!r} is not")


def test_empty_and_null_cells_of_a_union_property_clear_it() -> None:
    doc = read_case({"age_at_index": "", "visit_count": "null"}, "\t", "text/tsv")
    assert doc["age_at_index"] is None and doc["visit_count"] is None


@pytest.mark.parametrize(("delimiter", "content_type"), FORMATS)
def test_an_export_of_union_values_reads_back_the_same(delimiter: str, content_type: str) -> None:
    case = SHAPES.node("case")
    rows = [
        {"type": "case", "submitter_id": "C1", "projects": {"code": "P"}, "age_at_index": 69,
         "index_year": "Unknown", "site_code": 12, "cohort": 3, "zip3": "042"},
        {"type": "case", "submitter_id": "C2", "projects": {"code": "P"}, "age_at_index": ">89",
         "index_year": 2020, "site_code": "B7", "cohort": 1, "zip3": "100"},
    ]  # fmt: skip
    text = "".join(write_table(case, rows, delimiter))
    blank = dict.fromkeys(name for name in entity_columns(case)[3:] if "." not in name)
    assert read_back_from(text, content_type, SHAPES) == [blank | row for row in rows]
