"""Request bodies -> documents: JSON as sent, tables by sheepdog's TSV/CSV rules."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dictionary.loader import load_dictionary
from engine.submission.documents import BodyError, SourceDoc, iter_table, parse_body

DICTIONARY = load_dictionary(Path(__file__).parent / "fixtures" / "dictionaries" / "tabular")
TSV = "text/tab-separated-values"
SEND = "send application/json, text/tab-separated-values or text/csv"


def table(*rows: str) -> bytes:
    return "\n".join(rows).encode() + b"\n"


def docs(body: bytes, content_type: str | None = TSV) -> list[dict]:
    return [source.doc for source in parse_body(body, content_type, DICTIONARY)]


def one(header: str, row: str, content_type: str = TSV) -> dict:
    (doc,) = docs(table(header, row), content_type)
    return doc


def body_error(body: bytes, content_type: str | None = TSV) -> str:
    with pytest.raises(BodyError) as caught:
        parse_body(body, content_type, DICTIONARY)
    return str(caught.value)


# JSON


def test_a_json_object_is_one_document_without_a_line() -> None:
    body = b'{"type": "sample", "submitter_id": "S1", "aliquot_count": "3"}'
    assert parse_body(body, "application/json", DICTIONARY) == [
        SourceDoc({"type": "sample", "submitter_id": "S1", "aliquot_count": "3"}, None, 0)
    ]


def test_a_json_list_keeps_each_document_position() -> None:
    body = b'[{"submitter_id": "A"}, {"submitter_id": "B"}]'
    assert parse_body(body, "application/json; charset=utf-8", DICTIONARY) == [
        SourceDoc({"submitter_id": "A"}, None, 0),
        SourceDoc({"submitter_id": "B"}, None, 1),
    ]


def test_an_empty_json_list_is_an_empty_submission() -> None:
    assert parse_body(b"[]", "application/json", DICTIONARY) == []


@pytest.mark.parametrize("content_type", [None, "", "*/*", "*/*; q=0.8"])
@pytest.mark.parametrize("body", [b'{"a": 1}', b'  \n[{"a": 1}]', b'\xef\xbb\xbf{"a": 1}'])
def test_json_is_recognised_without_a_content_type(content_type: str | None, body: bytes) -> None:
    assert docs(body, content_type) == [{"a": 1}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": 1 "b": 2}', "unexpected character, expected ',' or '}' at line 1 column 9"),
        (
            b'[{"a": 1},\n {"b": }]',
            "unexpected character, expected a JSON value at line 2 column 8",
        ),
        (b"", "Input is a zero-length, empty document at line 1 column 1"),
        (b'{"a": NaN}', "unexpected character, expected a JSON value at line 1 column 7"),
        (b'{"a": -Infinity}', "no digit after sign at line 1 column 8"),
        (b'{"a": 1e400}', "number is infinity when parsed as double at line 1 column 7"),
        (
            b'{"a": ' + b"7" * 5000 + b"}",
            "number is infinity when parsed as double at line 1 column 7",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "depth limit exceeded at line 1 column 1026"),
    ],
)
def test_unreadable_json_says_where(body: bytes, message: str) -> None:
    assert body_error(body, "application/json") == f"body is not valid JSON: {message}"


NOT_OBJECTS = [
    ('"x"', "a string"),
    ("3", "a number"),
    ("2.5", "a number"),
    ("true", "a boolean"),
    ("null", "null"),
]
MUST_BE = "JSON body must be an object or a list of objects"


@pytest.mark.parametrize(("item", "kind"), [*NOT_OBJECTS, ("[]", "a list")])
def test_json_items_must_be_objects(item: str, kind: str) -> None:
    assert (
        body_error(f"[{{}}, {item}, {{}}]".encode(), "application/json")
        == f"{MUST_BE}; item 2 is {kind}"
    )


@pytest.mark.parametrize(("body", "kind"), NOT_OBJECTS)
def test_a_json_body_must_be_an_object_or_a_list(body: str, kind: str) -> None:
    assert body_error(body.encode(), "application/json") == f"{MUST_BE}; the body is {kind}"


def test_a_body_that_is_not_utf8_names_the_byte() -> None:
    assert (
        body_error(b'{"a": "\xff"}', "application/json")
        == "body is not UTF-8 (byte 0xff at position 7)"
    )
    assert body_error(b"type\nsam\xc3ple\n") == "body is not UTF-8 (byte 0xc3 at position 8)"


def test_unsupported_content_types_are_named() -> None:
    assert body_error(b"{}", "text/plain") == f"unsupported content type 'text/plain'; {SEND}"
    assert body_error(b"a,b", "application/xml; charset=utf-8") == (
        f"unsupported content type 'application/xml'; {SEND}"
    )


def test_without_a_content_type_only_json_is_guessed() -> None:
    assert body_error(b"type\tsubmitter_id\n", None) == (
        f"no content type, and the body does not look like JSON; {SEND}"
    )
    assert body_error(b"type,submitter_id\n", "*/*") == (
        f"content type '*/*', and the body does not look like JSON; {SEND}"
    )


# Tables: reading


@pytest.mark.parametrize(
    "content_type", ["text/tab-separated-values", "text/tsv", "TEXT/TSV", "text/tsv; charset=utf-8"]
)
def test_tsv_content_types(content_type: str) -> None:
    assert one("type\tsubmitter_id", "case\tC1", content_type) == {
        "type": "case",
        "submitter_id": "C1",
    }


def test_rows_keep_their_line_and_position() -> None:
    body = table("type\tsubmitter_id", "case\tC1", "", "\t", "case\tC2")
    assert parse_body(body, TSV, DICTIONARY) == [
        SourceDoc({"type": "case", "submitter_id": "C1"}, 2, 0),
        SourceDoc({"type": "case", "submitter_id": "C2"}, 5, 1),
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_any_line_ending(newline: str) -> None:
    body = newline.join(["type\tsubmitter_id", "case\tC1", "case\tC2"]).encode()
    assert [(s.doc["submitter_id"], s.line) for s in parse_body(body, TSV, DICTIONARY)] == [
        ("C1", 2),
        ("C2", 3),
    ]


def test_a_quoted_cell_may_span_lines_and_the_row_starts_where_it_starts() -> None:
    body = table(
        "type\tsubmitter_id\tnotes",
        'sample\tS1\t"two\nlines, a tab\t and ""quotes"""',
        "sample\tS2\tx",
    )
    sources = parse_body(body, TSV, DICTIONARY)
    assert [(s.doc["notes"], s.line) for s in sources] == [
        ('two\nlines, a tab\t and "quotes"', 2),
        ("x", 4),
    ]


def test_header_only_and_empty_bodies_are_empty_submissions() -> None:
    assert docs(table("type\tsubmitter_id\tcases.submitter_id")) == []
    assert docs(b"") == []
    assert docs(b"\n\n", "text/csv") == []


def test_blank_lines_before_the_header_are_skipped() -> None:
    assert parse_body(b"\n\ntype\tsubmitter_id\ncase\tC1\n", TSV, DICTIONARY) == [
        SourceDoc({"type": "case", "submitter_id": "C1"}, 4, 0)
    ]


def test_stars_and_whitespace_around_headers_and_cells_are_stripped() -> None:
    body = table("*type\t submitter_id \t* sample_type\tnotes", " sample\tS1 \t Blood\t  a  b  ")
    assert docs(body) == [
        {"type": "sample", "submitter_id": "S1", "sample_type": "Blood", "notes": "a  b"}
    ]


def test_a_byte_order_mark_is_not_part_of_the_first_column() -> None:
    assert docs(b"\xef\xbb\xbftype,submitter_id\r\ncase,C1\r\n", "text/csv") == [
        {"type": "case", "submitter_id": "C1"}
    ]
    lines = iter(["\ufefftype\tsubmitter_id\n", "case\tC1\n"])
    assert [s.doc for s in iter_table(lines, "\t", DICTIONARY)] == [
        {"type": "case", "submitter_id": "C1"}
    ]


def test_empty_and_null_cells_clear_properties() -> None:
    doc = one(
        "type\tsubmitter_id\tnotes\taliquot_count\ttags\tis_ffpe", "sample\tS1\t\tnull\t \tNULL"
    )
    assert doc == {
        "type": "sample",
        "submitter_id": "S1",
        "notes": None,
        "aliquot_count": None,
        "tags": None,
        # only the exact word `null` means None: anything else is a value for the validator
        "is_ffpe": "NULL",
    }


def test_empty_identity_and_system_cells_are_not_given_rather_than_cleared() -> None:
    header = "type\tid\tsubmitter_id\tproject_id\tstate\tcreated_datetime\tupdated_datetime"
    assert one(header, "sample\t\tS1\tnull\t\t\t") == {"type": "sample", "submitter_id": "S1"}
    assert one("type\tsubmitter_id", "\tS1") == {"submitter_id": "S1"}


# Tables: casting by the dictionary


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("3", 3),
        ("-3", -3),
        ("+3", 3),
        ("3.0", 3),
        ("1e3", 1000),
        ("9007199254740993", 9007199254740993),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", 9.223372036854775808e18),
        ("9007199254740994.0", 9.007199254740994e15),
        ("3.5", 3.5),
        ("three", "three"),
        ("1_000", "1_000"),
        ("0x10", "0x10"),
        ("nan", "nan"),
        ("inf", "inf"),
        ("1e400", "1e400"),
        ("٣", "٣"),
    ],
)
def test_integer_cells(cell: str, value: object) -> None:
    doc = one("type\tsubmitter_id\taliquot_count", f"sample\tS1\t{cell}")
    assert doc["aliquot_count"] == value and type(doc["aliquot_count"]) is type(value)


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("0.5", 0.5),
        (".5", 0.5),
        ("5.", 5),
        ("2.0", 2),
        ("-1.25e-2", -0.0125),
        ("1E+2", 100),
        ("heavy", "heavy"),
    ],
)
def test_number_cells(cell: str, value: object) -> None:
    doc = one("type\tsubmitter_id\tweight", f"sample\tS1\t{cell}")
    assert doc["weight"] == value and type(doc["weight"]) is type(value)


@pytest.mark.parametrize(
    ("cell", "value"),
    [("true", True), ("TRUE", True), ("False", False), ("yes", "yes"), ("1", "1")],
)
def test_boolean_cells(cell: str, value: object) -> None:
    assert one("type\tsubmitter_id\tis_ffpe", f"sample\tS1\t{cell}")["is_ffpe"] == value


def test_strings_enums_and_datetimes_stay_text() -> None:
    doc = one(
        "type\tsubmitter_id\tsample_type\tnotes\tcollected_at",
        "sample\t007\ttrue\t42\t2024-01-02T03:04:05Z",
    )
    assert doc == {
        "type": "sample",
        "submitter_id": "007",
        "sample_type": "true",
        "notes": "42",
        "collected_at": "2024-01-02T03:04:05Z",
    }


def test_tsv_arrays_split_on_commas_and_cast_each_item() -> None:
    doc = one("type\tsubmitter_id\ttags\treadings", "sample\tS1\t a , b c ,d\t1, 2.5,3.0,x")
    assert doc["tags"] == ["a", "b c", "d"]
    assert doc["readings"] == [1, 2.5, 3, "x"]
    assert one("type\tsubmitter_id\ttags", "sample\tS1\tsolo")["tags"] == ["solo"]


def test_csv_arrays_split_on_hashes() -> None:
    doc = one("type,submitter_id,tags,readings", 'sample,S1,"a,b#c",1#2.5', "text/csv")
    assert doc["tags"] == ["a,b", "c"]
    assert doc["readings"] == [1, 2.5]


def test_csv_reads_like_tsv() -> None:
    body = table("is_ffpe,type,submitter_id,cases.submitter_id,weight", "FALSE,sample,S1,C1,0.5")
    assert docs(body, "text/csv; charset=utf-8") == [
        {
            "is_ffpe": False,
            "type": "sample",
            "submitter_id": "S1",
            "cases": {"submitter_id": "C1"},
            "weight": 0.5,
        }
    ]


def test_an_unknown_type_is_left_as_text_for_the_validator() -> None:
    doc = one("type\tsubmitter_id\taliquot_count\tnotes\tcases.submitter_id", "widget\tW1\t3\t\tC1")
    assert doc == {
        "type": "widget",
        "submitter_id": "W1",
        "aliquot_count": "3",
        "notes": None,
        "cases": {"submitter_id": "C1"},
    }


def test_an_unknown_column_is_left_as_text_for_the_validator() -> None:
    assert one("type\tsubmitter_id\tcolour", "sample\tS1\t3")["colour"] == "3"


# Tables: links


def test_link_columns_become_link_objects() -> None:
    assert one("type\tsubmitter_id\tcases.submitter_id", "sample\tS1\tC1")["cases"] == {
        "submitter_id": "C1"
    }
    uuid = "8a3a3f64-1e9a-4b3c-9d3e-0c1f2e3d4c5b"
    assert one("type\tsubmitter_id\tcases.id", f"sample\tS1\t{uuid}")["cases"] == {"id": uuid}
    assert one("type\tsubmitter_id\tprojects.code", "case\tC1\tBLGSP")["projects"] == {
        "code": "BLGSP"
    }


def test_id_and_submitter_id_columns_name_the_same_target() -> None:
    header = "type\tsubmitter_id\tcases.submitter_id\tcases.id"
    assert one(header, "sample\tS1\tC1\tU1")["cases"] == {"submitter_id": "C1", "id": "U1"}
    assert one(header, "sample\tS1\tC1\t")["cases"] == {"submitter_id": "C1"}


def test_an_empty_link_cell_means_no_link() -> None:
    header = "type\tsubmitter_id\tsamples.submitter_id\tcases.submitter_id\tcases.id"
    assert one(header, "file\tF1\t\tC1\t") == {
        "type": "file",
        "submitter_id": "F1",
        "cases": {"submitter_id": "C1"},
    }


def test_null_in_a_link_cell_clears_the_link() -> None:
    assert one("type\tsubmitter_id\tcases.submitter_id", "sample\tS1\tnull")["cases"] is None


def test_several_targets_in_one_tsv_cell() -> None:
    doc = one("type\tsubmitter_id\tsamples.submitter_id", "file\tF1\tS1, S2,,S3")
    assert doc["samples"] == [
        {"submitter_id": "S1"},
        {"submitter_id": "S2"},
        {"submitter_id": "S3"},
    ]
    paired = one("type\tsubmitter_id\tsamples.submitter_id\tsamples.id", "file\tF1\tS1,S2\tU1,U2")
    assert paired["samples"] == [
        {"submitter_id": "S1", "id": "U1"},
        {"submitter_id": "S2", "id": "U2"},
    ]


def test_several_targets_in_one_csv_cell() -> None:
    doc = one("type,submitter_id,samples.submitter_id", "file,F1,S1#S2", "text/csv")
    assert doc["samples"] == [{"submitter_id": "S1"}, {"submitter_id": "S2"}]


def test_numbered_link_columns_add_targets() -> None:
    header = (
        "type\tsubmitter_id\tsamples.submitter_id#1\tsamples.submitter_id#2\tslides.submitter_id"
    )
    doc = one(header, "file\tF1\tS1\tS2\t")
    assert doc == {
        "type": "file",
        "submitter_id": "F1",
        "samples": [{"submitter_id": "S1"}, {"submitter_id": "S2"}],
    }
    assert one(header, "file\tF1\t\tS2\t")["samples"] == {"submitter_id": "S2"}


# Tables: what makes a body unreadable


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (table("type\tsubmitter_id", "case\tC1", "case"), "line 3: expected 2 columns, found 1"),
        (table("type\tsubmitter_id", "case\tC1\tx"), "line 2: expected 2 columns, found 3"),
        (
            table("type\tsubmitter_id\tsubmitter_id", "case\tC1\tC1"),
            "line 1: column 'submitter_id' appears more than once",
        ),
        (
            table("type\tsubmitter_id\t *submitter_id", "case\tC1\tC1"),
            "line 1: column 'submitter_id' appears more than once",
        ),
        (
            table("type\tcases\tcases.submitter_id", "sample\t\tC1"),
            "line 1: columns 'cases' and 'cases.submitter_id' both fill 'cases'",
        ),
        (
            table("type\tsubmitter_id\t", "case\tC1\tx"),
            "line 2: column 3 has a value but no name in the header",
        ),
        (
            table("", "type\t.submitter_id"),
            "line 2: column '.submitter_id' is not a link column (<link>.<key> or <link>.<key>#<n>)",
        ),
    ],
)
def test_unreadable_tables_name_the_line(body: bytes, message: str) -> None:
    assert body_error(body) == message


@pytest.mark.parametrize(
    "header", ["cases.", "cases.submitter_id#", "cases.submitter_id#1#2", "cases.#1"]
)
def test_malformed_link_headers(header: str) -> None:
    assert body_error(table(f"type\t{header}", "sample\tC1")) == (
        f"line 1: column '{header}' is not a link column (<link>.<key> or <link>.<key>#<n>)"
    )


def test_an_unnamed_empty_column_is_ignored() -> None:
    assert docs(table("type\tsubmitter_id\t", "case\tC1\t")) == [
        {"type": "case", "submitter_id": "C1"}
    ]


def test_a_cell_over_the_csv_field_limit_is_a_body_error() -> None:
    limit = csv.field_size_limit()
    body = table("type\tnotes", "sample\t" + "x" * (limit + 1))
    assert body_error(body) == f"line 2: field larger than field limit ({limit})"


# Streaming


def test_iter_table_reads_one_row_at_a_time() -> None:
    read: list[str] = []

    def lines() -> Iterator[str]:
        for line in ["type\tsubmitter_id\n", "case\tC1\n", "case\tC2\n", "broken\n"]:
            read.append(line)
            yield line

    rows = iter_table(lines(), "\t", DICTIONARY)
    assert next(rows) == SourceDoc({"type": "case", "submitter_id": "C1"}, 2, 0)
    assert len(read) == 2
    assert next(rows).line == 3
    with pytest.raises(BodyError, match="^line 4: expected 2 columns, found 1$"):
        next(rows)


def test_iter_table_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "samples.csv"
    path.write_bytes(b'type,submitter_id,notes\r\nsample,S1,"a\r\nb"\r\nsample,S2,c\r\n')
    with path.open(newline="", encoding="utf-8") as file:
        sources = list(iter_table(file, ",", DICTIONARY))
    assert [(s.doc["notes"], s.line, s.index) for s in sources] == [("a\r\nb", 2, 0), ("c", 4, 1)]


# Whatever arrives, the answer is documents or a BodyError


CONTENT_TYPES = ["application/json", TSV, "text/tsv", "text/csv", None, "*/*", "text/plain"]
LINK_HEADERS = ["cases.submitter_id", "samples.id", "projects.code"]
VALUES = ["null", "widget", "true", "2.5", "1e999", "", "\r\n", *'\t,\n\r"*.# -{}[]:1\ufeff\x00é']
TOKENS = [*DICTIONARY.nodes, *DICTIONARY.node("sample").properties, *LINK_HEADERS, *VALUES]


def _answer(body: bytes, content_type: str | None) -> None:
    try:
        sources = parse_body(body, content_type, DICTIONARY)
    except BodyError as error:
        assert str(error)
        return
    assert all(isinstance(s.doc, dict) for s in sources)
    assert [s.index for s in sources] == list(range(len(sources)))
    json.dumps([s.doc for s in sources])


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), content_type=st.sampled_from(CONTENT_TYPES))
def test_random_bytes_parse_or_raise_body_error(body: bytes, content_type: str | None) -> None:
    _answer(body, content_type)


@settings(max_examples=500, deadline=None)
@given(
    tokens=st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=60),
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_random_text_parses_or_raises_body_error(
    tokens: list[str], content_type: str | None
) -> None:
    _answer("".join(tokens).encode(), content_type)
