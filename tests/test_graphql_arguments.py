"""Peregrine's arguments, each asserted on the answers, over the module's fixture (read-only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from engine.api.graphql import query_service
from engine.graph.store import GraphStore
from tests.graphql_fixture import FIRST, SUBJECTS, errors, loaded_client, query


@pytest.fixture(scope="module")
def client(
    graph_store: GraphStore, compiled_default, tmp_path_factory: pytest.TempPathFactory
) -> TestClient:
    return loaded_client(graph_store, compiled_default, tmp_path_factory.mktemp("data"))


def ids_of(rows: list[dict]) -> list[str]:
    return [row["submitter_id"] for row in rows]


def test_root_list_and_count_with_project_id(client: TestClient) -> None:
    data = query(
        client,
        """{ all: _subject_count
             blgsp: _subject_count(project_id: "CGCI-BLGSP")
             both: _subject_count(project_id: ["CGCI-BLGSP", "CGCI-OTHER"])
             none: subject(project_id: "FAKE") { id }
             other: subject(project_id: ["CGCI-OTHER"]) { submitter_id project_id } }""",
    )
    assert (data["all"], data["blgsp"], data["both"], data["none"]) == (6, 5, 6, [])
    assert data["other"] == [{"submitter_id": "OTHER-1", "project_id": "CGCI-OTHER"}]


def test_project_nodes_answer_project_id(client: TestClient) -> None:
    data = query(
        client,
        """{ a: project(project_id: "CGCI-BLGSP") { project_id code }
             b: project(project_id: ["CGCI-BLGSP", "FAKE"]) { project_id }
             c: project(project_id: "FAKE") { project_id } }""",
    )
    assert data == {
        "a": [{"project_id": "CGCI-BLGSP", "code": "BLGSP"}],
        "b": [{"project_id": "CGCI-BLGSP"}],
        "c": [],
    }


def test_aliases_fragments_typename_and_viewer(client: TestClient) -> None:
    data = query(
        client,
        """query Test {
             alias1: subject(project_id: "CGCI-BLGSP") { ...f }
             viewer { subject(first: 1) { type __typename } }
             __typename
           }
           fragment f on subject { id type a: submitter_id ... on Node { created_datetime } }""",
    )
    assert sorted(row["a"] for row in data["alias1"]) == sorted(SUBJECTS)
    assert {tuple(row) for row in data["alias1"]} == {("id", "type", "a", "created_datetime")}
    assert {row["type"] for row in data["alias1"]} == {"subject"}
    assert data["viewer"] == {"subject": [{"type": "subject", "__typename": "subject"}]}
    assert data["__typename"] == "Query"


def test_skip_and_include_directives(client: TestClient) -> None:
    data = query(
        client,
        """query ($yes: Boolean!) {
             study(project_id: "CGCI-BLGSP") { submitter_id @include(if: $yes) id @skip(if: $yes) }
           }""",
        {"yes": True},
    )
    assert data == {"study": [{"submitter_id": "BLGSP-study"}]}


def test_peregrine_scalar_quirks(client: TestClient) -> None:
    data = query(
        client,
        """{ boolean: sample(submitter_id: "BLGSP-71-06-00019s") { is_ffpe days_to_collection weight_mg }
             float: aliquot(first: 1, order_by_asc: "submitter_id") { concentration }
             long: submitted_unaligned_reads(order_by_desc: "file_size",) { submitter_id file_size }
             read_group { read_length is_paired_end }
             arrays: study(project_id: "CGCI-BLGSP") { keywords planned_enrollment } }""",
    )
    sample = data["boolean"][0]
    assert sample["is_ffpe"] is False
    assert isinstance(sample["days_to_collection"], float) and sample["days_to_collection"] == 10.0
    assert data["float"] == [{"concentration": 0.07}]
    assert data["long"] == [{"submitter_id": "test-readgroup-1-R1", "file_size": 59627182820.0}]
    assert data["read_group"] == [{"read_length": 151.0, "is_paired_end": False}]
    assert data["arrays"] == [{"keywords": ["lymphoma", "burkitt"], "planned_enrollment": 5.0}]


def test_id_ids_and_property_lists(client: TestClient) -> None:
    found = query(client, f'{{ subject(submitter_id: "{FIRST}") {{ id }} }}')["subject"]
    first_id = found[0]["id"]
    data = query(
        client,
        f"""{{ one: subject(id: "{first_id}") {{ submitter_id }}
              many: subject(ids: ["{first_id}", "nope"]) {{ submitter_id }}
              listed: subject(submitter_id: ["{FIRST}", "BLGSP-71-06-00020"], order_by_asc: "submitter_id") {{ submitter_id }}
              empty: _subject_count(submitter_id: [], project_id: "CGCI-BLGSP")
              enum: sample(sample_type: "Primary Tumor", order_by_asc: "submitter_id") {{ submitter_id }}
              booleans: _sample_count(is_ffpe: [true, false])
              yes: _sample_count(is_ffpe: true)
              number: sample(days_to_collection: [20, 30], order_by_asc: "submitter_id") {{ submitter_id }}
              type_match: _subject_count(type: "subject")
              type_other: _subject_count(type: "sample") }}""",
    )
    assert data["one"] == data["many"] == [{"submitter_id": FIRST}]
    assert ids_of(data["listed"]) == [FIRST, "BLGSP-71-06-00020"]
    assert data["empty"] == 5
    assert ids_of(data["enum"]) == ids_of(data["number"]) == [f"{FIRST}t", f"{FIRST}u"]
    assert (data["booleans"], data["yes"]) == (2, 1)
    assert (data["type_match"], data["type_other"]) == (6, 0)


def test_array_property_filters_mean_superset(client: TestClient) -> None:
    data = query(
        client,
        """{ case0: subject(consent_codes: ["cc1"]) { consent_codes }
             case1: subject(consent_codes: ["cc2"]) { consent_codes }
             case2: subject(consent_codes: ["cc2", "cc1"]) { consent_codes }
             case3: subject(consent_codes: ["cc1", "no_such_code"]) { consent_codes }
             case4: subject(consent_codes: "cc1") { consent_codes }
             case5: subject(consent_codes: ["xcc1"]) { consent_codes } }""",
    )
    codes = {key: sorted(row["consent_codes"] for row in rows) for key, rows in data.items()}
    assert codes == {
        "case0": [["cc1"], ["cc1", "cc2", "cc3"]],
        "case1": [["cc1", "cc2", "cc3"], ["cc2"]],
        "case2": [["cc1", "cc2", "cc3"]],
        "case3": [],
        "case4": [["cc1"], ["cc1", "cc2", "cc3"]],
        "case5": [["xcc1"]],
    }


def test_not(client: TestClient) -> None:
    data = query(
        client,
        f"""{{ a: subject(not: {{submitter_id: "{FIRST}"}}, submitter_id: ["{FIRST}", "BLGSP-71-06-00020"]) {{ submitter_id }}
              b: _sample_count(not: [{{sample_type: "Primary Tumor"}}])
              c: _sample_count(not: {{is_ffpe: true}}) }}""",
    )
    assert data["a"] == [{"submitter_id": "BLGSP-71-06-00020"}]
    # A sample without is_ffpe is "not true" too.
    assert (data["b"], data["c"]) == (2, 3)
    assert "not: 'nope' is not a property of sample" in errors(
        client, '{ sample(not: {nope: "x"}) { id } }'
    )


def test_quick_search(client: TestClient) -> None:
    data = query(
        client,
        """{ aliquot(quick_search: "19-01a-11D") { submitter_id project_id type }
             all: _aliquot_count(quick_search: "") }""",
    )
    assert data["aliquot"] == [
        {"submitter_id": f"{FIRST}-01A-11D", "project_id": "CGCI-BLGSP", "type": "aliquot"}
    ]
    assert data["all"] == 2
    an_id = query(client, "{ study { id } }")["study"][0]["id"]
    found = query(client, f'{{ study(quick_search: "{an_id[4:12].upper()}") {{ id }} }}')
    assert found["study"] == [{"id": an_id}]


def test_links_present_or_absent(client: TestClient) -> None:
    data = query(
        client,
        """{ with: subject(with_links: ["samples"], order_by_asc: "submitter_id") { submitter_id }
             both: subject(with_links: ["samples", "demographics"]) { submitter_id }
             any: _subject_count(with_links_any: ["samples", "demographics"])
             any_empty: _subject_count(with_links_any: [], project_id: "CGCI-BLGSP")
             without: _subject_count(without_links: ["samples"], project_id: "CGCI-BLGSP") }""",
    )
    assert ids_of(data["with"]) == [FIRST, "BLGSP-71-06-00020"]
    assert data["both"] == [{"submitter_id": FIRST}]
    assert (data["any"], data["any_empty"], data["without"]) == (2, 5, 3)
    assert "with_links: 'clinicals' is not a link of subject" in errors(
        client, '{ subject(with_links: ["clinicals"]) { id } }'
    )


def test_with_path_to_up_and_down(client: TestClient) -> None:
    data = query(
        client,
        f"""{{ up: aliquot(with_path_to: {{type: "subject", submitter_id: "{FIRST}"}}, order_by_asc: "submitter_id") {{ a: submitter_id }}
              up_other: _aliquot_count(with_path_to: {{type: "subject", submitter_id: "BLGSP-71-06-00020"}})
              up_project: _aliquot_count(with_path_to: {{type: "project", code: "BLGSP"}})
              down: subject(with_path_to: {{type: "read_group"}}) {{ submitter_id }}
              down_count: _subject_count(with_path_to: [{{type: "sample"}}])
              both: _subject_count(with_path_to: [{{type: "sample", sample_type: "Primary Tumor"}}, {{type: "demographic"}}])
              any: _subject_count(with_path_to_any: [{{type: "read_group"}}, {{type: "sample", submitter_id: "BLGSP-71-06-00020s"}}])
              any_none: _subject_count(with_path_to_any: [])
              without: subject(without_path_to: {{type: "sample"}}, project_id: "CGCI-BLGSP", order_by_desc: "submitter_id") {{ submitter_id }}
              bad_type: subject(with_path_to: {{type: "BAD_TYPE"}}) {{ id }}
              negative: _subject_count(with_path_to: {{type: "aliquot", submitter_id: "incorrect"}})
              itself: sample(with_path_to: {{type: "sample", submitter_id: "{FIRST}t"}}) {{ submitter_id }}
              file: _submitted_unaligned_reads_count(with_path_to: {{type: "subject"}}) }}""",
    )
    assert data["up"] == [{"a": f"{FIRST}-01A-11D"}, {"a": f"{FIRST}-01B-11R"}]
    assert (data["up_other"], data["up_project"]) == (0, 2)
    assert data["down"] == [{"submitter_id": FIRST}]
    assert (data["down_count"], data["both"], data["any"], data["any_none"]) == (2, 1, 2, 0)
    assert ids_of(data["without"]) == [
        "BLGSP-71-06-00023",
        "BLGSP-71-06-00022",
        "BLGSP-71-06-00021",
    ]
    assert (data["bad_type"], data["negative"], data["file"]) == ([], 0, 1)
    assert data["itself"] == [{"submitter_id": f"{FIRST}t"}]
    message = "with_path_to: each entry needs the node type to reach"
    assert any(
        message in error
        for error in errors(client, '{ subject(with_path_to: {submitter_id: "x"}) { id } }')
    )


def test_first_offset_and_order(client: TestClient) -> None:
    data = query(
        client,
        """{ default: node { id }
             all: node(first: 0) { id }
             by_id: subject(first: 0, order_by_asc: "id") { id }
             first5: subject(first: 5, order_by_asc: "id") { id }
             after2: subject(offset: 2, order_by_asc: "id") { id }
             asc: subject(order_by_asc: "submitter_id", project_id: "CGCI-BLGSP") { submitter_id }
             desc: subject(order_by_desc: "submitter_id", first: 2) { submitter_id }
             by_type: subject(order_by_asc: "type", first: 1) { type }
             page: sample(first: 2, offset: 1, order_by_desc: "days_to_collection") { days_to_collection } }""",
    )
    assert len(data["default"]) == 10 and len(data["all"]) == 17
    ordered = [row["id"] for row in data["by_id"]]
    assert len(ordered) == 6 and ordered == sorted(ordered)
    assert [row["id"] for row in data["first5"]] == ordered[:5]
    assert [row["id"] for row in data["after2"]] == ordered[2:]
    assert ids_of(data["asc"]) == sorted(SUBJECTS)
    assert ids_of(data["desc"]) == ["OTHER-1", "BLGSP-71-06-00023"]
    assert data["by_type"] == [{"type": "subject"}]
    # Descending puts a missing value first, as Postgres did for peregrine.
    assert data["page"] == [{"days_to_collection": 30.0}, {"days_to_collection": 20.0}]
    assert "order_by_asc: cannot order subject by 'nope', not a property" in errors(
        client, '{ subject(order_by_asc: "nope") { id } }'
    )
    assert "first: -1 is negative; use 0 for all rows" in errors(
        client, "{ subject(first: -1) { id } }"
    )


def test_created_and_updated_bounds(client: TestClient) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    data = query(
        client,
        f"""{{ after: _study_count(created_after: "{yesterday}")
              before: _study_count(created_before: "{yesterday}")
              updated_after: _study_count(updated_after: "{yesterday}", updated_before: "{tomorrow}")
              updated_before: _study_count(updated_before: "{yesterday}") }}""",
    )
    assert data == {"after": 2, "before": 0, "updated_after": 2, "updated_before": 0}
    assert any(
        "created_after: 'last week' is not an ISO 8601 date" in message
        for message in errors(client, '{ study(created_after: "last week") { id } }')
    )


def test_link_fields_take_the_arguments_per_parent(client: TestClient) -> None:
    data = query(
        client,
        """{ subject(with_links: ["samples"], order_by_asc: "submitter_id") {
               submitter_id
               first: samples(first: 1, order_by_asc: "submitter_id") { submitter_id }
               second: samples(first: 1, offset: 1, order_by_asc: "submitter_id") { submitter_id }
               tumours: samples(sample_type: "Primary Tumor") { submitter_id }
               _samples_count
               _tumours: _samples_count(sample_type: "Primary Tumor")
               demographics { sex_at_birth year_of_birth subjects { submitter_id } }
             } }""",
    )
    first, second = data["subject"]
    assert first["first"] == [{"submitter_id": f"{FIRST}s"}]
    assert first["second"] == [{"submitter_id": f"{FIRST}t"}]
    assert sorted(ids_of(first["tumours"])) == [f"{FIRST}t", f"{FIRST}u"]
    assert (first["_samples_count"], first["_tumours"]) == (3, 2)
    assert first["demographics"] == [
        {"sex_at_birth": "male", "year_of_birth": 1952.0, "subjects": [{"submitter_id": FIRST}]}
    ]
    assert second["first"] == [{"submitter_id": "BLGSP-71-06-00020s"}]
    assert (second["second"], second["_samples_count"], second["_tumours"]) == ([], 1, 0)


def test_backrefs_and_self_links(client: TestClient) -> None:
    data = query(
        client,
        f"""{{ sample(submitter_id: "{FIRST}u") {{
                 parent_samples {{ submitter_id child_samples {{ submitter_id }} }}
                 _parent_samples_count
                 subjects {{ studies {{ projects {{ code programs {{ name }} }} }} }}
               }}
               read_group {{ aliquots {{ samples {{ submitter_id }} }} submitted_unaligned_reads_files {{ file_name file_size }} }} }}""",
    )
    sample = data["sample"][0]
    assert sample["parent_samples"] == [
        {"submitter_id": f"{FIRST}t", "child_samples": [{"submitter_id": f"{FIRST}u"}]}
    ]
    assert sample["_parent_samples_count"] == 1
    assert sample["subjects"] == [
        {"studies": [{"projects": [{"code": "BLGSP", "programs": [{"name": "CGCI"}]}]}]}
    ]
    assert data["read_group"] == [
        {
            "aliquots": [{"samples": [{"submitter_id": f"{FIRST}s"}]}],
            "submitted_unaligned_reads_files": [
                {"file_name": "readgroup-1_R1.fastq.gz", "file_size": 59627182820.0}
            ],
        }
    ]


def test_guppy_filter_on_lists_counts_and_links(client: TestClient) -> None:
    text = """query ($f: JSON, $g: JSON, $h: JSON, $n: JSON, $s: JSON) {
        f: sample(filter: $f, order_by_asc: "submitter_id") { submitter_id }
        g: _sample_count(filter: $g)
        h: _subject_count(filter: $h)
        n: subject(filter: $n) { submitter_id samples(filter: $f) { submitter_id } }
        s: _aliquot_count(filter: $s)
        text: _sample_count(filter: "{\\"<=\\": {\\"days_to_collection\\": 20}}")
        literal: _sample_count(filter: {AND: [{IN: {sample_type: ["Primary Tumor"]}}]})
    }"""
    variables = {
        "f": {"AND": [{"=": {"sample_type": "Primary Tumor"}}, {">": {"days_to_collection": 20}}]},
        "g": {"OR": [{"<": {"days_to_collection": 15}}, {">=": {"days_to_collection": 30}}]},
        "h": {"AND": [{"IN": {"consent_codes": ["cc2", "xcc1"]}}, {"!=": {"submitter_id": FIRST}}]},
        "n": {"nested": {"path": "samples", "=": {"is_ffpe": True}}},
        "s": {"search": {"keyword": "01b", "fields": ["submitter_id"]}},
    }
    data = query(client, text, variables)
    assert data["f"] == [{"submitter_id": f"{FIRST}u"}]
    assert data["g"] == 2
    assert data["h"] == 2  # 00021 (cc2) and 00022 (xcc1)
    assert data["n"] == [{"submitter_id": FIRST, "samples": [{"submitter_id": f"{FIRST}u"}]}]
    assert (data["s"], data["text"], data["literal"]) == (1, 2, 2)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"~": {"submitter_id": "x"}}, "filter: unknown operator '~'"),
        ({"=": {"nope": 1}}, "filter: 'nope' is not a property of sample"),
        ({"IN": {"submitter_id": "x"}}, "filter: 'IN' takes a list of values for submitter_id"),
        ({"AND": {"=": {"submitter_id": "x"}}}, "filter: 'AND' takes a list of filters"),
        (
            {"nested": {"path": "nope"}},
            "filter: 'nope' is neither a link of sample nor a node type",
        ),
        ("{not json", "`filter` is not valid JSON"),
    ],
)
def test_bad_filters_are_refused(client: TestClient, spec: object, message: str) -> None:
    found = errors(client, "query ($f: JSON) { sample(filter: $f) { id } }", {"f": spec})
    assert any(error.startswith(message) for error in found), found


def test_node_datanode_and_node_type(client: TestClient) -> None:
    data = query(
        client,
        """{ typed: node(of_type: ["subject"], first: 0) { type }
             project: node(project_id: "CGCI-OTHER") { type ... on subject { submitter_id } }
             admin: node(category: "administrative", first: 0) { type }
             fake: node(project_id: "FAKE-PROJECT") { id }
             by_id: node(submitter_id: ["test-readgroup-1"]) { id type project_id created_datetime }
             datanode { type file_name ... on submitted_unaligned_reads { read_groups { submitter_id } } }
             _node_type(category: "biospecimen", order_by_asc: "id") { id title category }
             one_type: _node_type(id: "sample") { id submittable } }""",
    )
    assert {row["type"] for row in data["typed"]} == {"subject"} and len(data["typed"]) == 6
    assert sorted(data["project"], key=lambda row: row["type"]) == [
        {"type": "study"},
        {"type": "subject", "submitter_id": "OTHER-1"},
    ]
    assert {row["type"] for row in data["admin"]} == {"program", "project", "study", "subject"}
    assert data["fake"] == []
    (read_group,) = data["by_id"]
    assert (read_group["type"], read_group["project_id"]) == ("read_group", "CGCI-BLGSP")
    assert read_group["created_datetime"].startswith(str(datetime.now(UTC).year))
    assert data["datanode"] == [
        {
            "type": "submitted_unaligned_reads",
            "file_name": "readgroup-1_R1.fastq.gz",
            "read_groups": [{"submitter_id": "test-readgroup-1"}],
        }
    ]
    assert [row["id"] for row in data["_node_type"]] == ["aliquot", "read_group", "sample"]
    assert data["one_type"] == [{"id": "sample", "submittable": "true"}]


def test_arguments_on_root_fields_fail_alone(client: TestClient) -> None:
    response = client.post(
        "/api/v0/submission/graphql",
        json={"query": '{ bad: subject(order_by_asc: "nope") { id } good: _study_count }'},
    )
    assert response.status_code == 400
    assert response.json() == {
        "data": {"bad": None, "good": 2},
        "errors": ["order_by_asc: cannot order subject by 'nope', not a property"],
    }


def test_readable_projects_limit_every_level(client: TestClient) -> None:
    """The seam for authorization: the service answers from readable projects only."""
    service = query_service(client.app)
    text = """{ subject { submitter_id studies { submitter_id } _studies_count }
                _sample_count
                node(first: 0) { type } }"""
    answer = service.execute(text, readable=frozenset({"CGCI-OTHER"}))
    assert answer.body == {
        "data": {
            "subject": [
                {
                    "submitter_id": "OTHER-1",
                    "studies": [{"submitter_id": "OTHER-study"}],
                    "_studies_count": 1,
                }
            ],
            "_sample_count": 0,
            "node": [{"type": "study"}, {"type": "subject"}],
        }
    }
