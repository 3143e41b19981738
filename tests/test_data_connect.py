"""GA4GH Data Connect at /ga4gh/data-connect/v1, over the exploration cohort (tests/explore_cohort.py).

Samples: demo-omics sa-1..sa-5, demo-other os-1; every value known in
advance, so each SQL construct is checked against the rows it must find.
The reader may read demo-omics only; anonymous callers nothing, unless the
policy makes a project public.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import neo4j
import pytest
import sqlglot
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.api.data_connect import tables
from engine.auth.policy_store import save_policy
from engine.config import load_settings
from engine.dataconnect import sql
from engine.dataconnect.cypher import Statement, build
from engine.dataconnect.sql import read_query
from tests.auth_fixture import access_token, as_admin
from tests.auth_world import project_tree, role
from tests.explore_cohort import cohort_client

PREFIX = "/ga4gh/data-connect/v1"
READER = "dc-reader@example.org"
OMICS_SAMPLES = ["sa-1", "sa-2", "sa-3", "sa-4", "sa-5"]
ALL_SAMPLES = ["os-1", *OMICS_SAMPLES]


def _policy(anonymous: list[str]) -> dict[str, Any]:
    return {
        "authz": {
            "anonymous_policies": anonymous,
            "all_users_policies": [],
            "resources": [{"name": "programs", "subresources": [project_tree("demo", "omics")]}],
            "roles": [role("reader", [("peregrine", "read")])],
            "policies": [
                {
                    "id": "omics_reader",
                    "role_ids": ["reader"],
                    "resource_paths": ["/programs/demo/projects/omics"],
                }
            ],
        },
        "users": {READER: {"policies": ["omics_reader"]}},
    }


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dc-data")


@pytest.fixture(scope="module")
def admin(graph_store, seaweedfs_store, compiled_default, data_dir: Path) -> TestClient:
    client = cohort_client(graph_store, seaweedfs_store, compiled_default, data_dir)
    save_policy(graph_store, _policy([]))
    return client


@pytest.fixture(scope="module")
def reader(admin: TestClient) -> TestClient:
    client = TestClient(admin.app)
    client.headers["Authorization"] = f"Bearer {access_token(admin.app, READER)}"
    return client


@pytest.fixture(scope="module")
def paged(admin: TestClient, data_dir: Path) -> TestClient:
    """An app over the same graph and keys serving pages of 2 rows, as an admin."""
    state = admin.app.state
    settings = load_settings(
        environ={
            "COMMONS_CONFIG": "/nonexistent.yaml",
            "COMMONS_DATA_DIR": str(data_dir),
            "COMMONS_PUBLIC_URL": "http://testserver",
            "DATA_CONNECT_PAGE_SIZE": "2",
        }
    )
    return as_admin(TestClient(create_app(state.stores, settings, state.compiled)))


def search(client: TestClient, query: str, parameters: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query}
    if parameters is not None:
        body["parameters"] = parameters
    response = client.post(f"{PREFIX}/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def refused(client: TestClient, query: str, parameters: list[Any] | None = None) -> tuple[int, str]:
    response = client.post(
        f"{PREFIX}/search", json={"query": query, "parameters": parameters or []}
    )
    body = response.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert set(error) == {"title", "detail"}
    return response.status_code, error["detail"]


def walk(client: TestClient, first: Any) -> list[dict[str, Any]]:
    """Every page of a sequence, following next_page_url from the first response."""
    pages = []
    response = first
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        url = (page.get("pagination") or {}).get("next_page_url")
        if not url:
            return pages
        parts = urlsplit(url)
        response = client.get(f"{parts.path}?{parts.query}")


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["submitter_id"] for row in rows]


# Discovery -----------------------------------------------------------------------------------


def test_service_info_is_typed_data_connect(admin: TestClient) -> None:
    info = admin.get(f"{PREFIX}/service-info").json()
    assert info["type"] == {"group": "org.ga4gh", "artifact": "data-connect", "version": "1.0.0"}
    assert {"id", "name", "organization", "version"} <= set(info)


def test_tables_lists_a_table_per_node_type(admin: TestClient) -> None:
    listed = admin.get(f"{PREFIX}/tables").json()["tables"]
    names = [table["name"] for table in listed]
    nodes = admin.app.state.compiled.dictionary.nodes
    # and the discovery records (tests/test_data_connect_discovery.py)
    assert names == sorted([*(f"commons.{n}" for n in nodes), "commons.discovery_metadata"])
    sample = next(table for table in listed if table["name"] == "commons.sample")
    assert sample["data_model"]["$ref"].endswith(f"{PREFIX}/table/commons.sample/info")


def test_table_info_is_a_json_schema_from_the_dictionary(admin: TestClient) -> None:
    table = admin.get(f"{PREFIX}/table/commons.sample/info").json()
    model = table["data_model"]
    assert table["name"] == "commons.sample" and table["description"]
    assert model["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert model["$id"].endswith(f"{PREFIX}/table/commons.sample/info")
    jsonschema.Draft7Validator.check_schema(model)
    columns = model["properties"]
    assert list(columns)[0] == "id" and "type" not in columns
    assert columns["sample_type"]["enum"][:2] == ["Primary Tumor", "Metastatic"]
    assert columns["sample_type"]["$ref"].endswith("/_dictionary/_terms#/sample_type")
    assert columns["days_to_collection"]["type"] == ["integer", "null"]
    assert columns["created_datetime"]["format"] == "date-time"
    assert columns["subjects"]["properties"]["submitter_id"] == {"type": ["string", "null"]}
    parents = columns["parent_samples"]
    assert parents["type"] == "array" and "id" in parents["items"]["properties"]
    terms = admin.get(urlsplit(columns["sample_type"]["$ref"]).path).json()
    assert "sample_type" in terms


def test_unknown_table_is_a_404_in_data_connect_shape(admin: TestClient) -> None:
    for path in ("table/commons.nowhere/info", "table/nowhere/data"):
        response = admin.get(f"{PREFIX}/{path}")
        assert response.status_code == 404
        assert response.json()["errors"][0]["title"] == "Not Found"
    assert admin.get(f"{PREFIX}/nowhere").json()["errors"][0]["title"] == "Not Found"
    assert admin.delete(f"{PREFIX}/tables").status_code == 405


def test_a_bad_token_is_a_401_in_data_connect_shape(admin: TestClient) -> None:
    client = TestClient(admin.app)
    client.headers["Authorization"] = "Bearer not-a-token"
    response = client.post(f"{PREFIX}/search", json={"query": S})
    assert response.status_code == 401
    assert response.json()["errors"][0]["title"] == "Unauthorized"


def _without_refs(schema: Any) -> Any:
    """The schema with its semantic `$ref`s dropped, to validate rows offline."""
    if isinstance(schema, dict):
        return {k: _without_refs(v) for k, v in schema.items() if k != "$ref"}
    return schema


def test_table_data_rows_match_their_data_model(admin: TestClient) -> None:
    page = admin.get(f"{PREFIX}/table/commons.sample/data").json()
    assert sorted(ids(page["data"])) == ALL_SAMPLES
    validator = jsonschema.Draft7Validator(_without_refs(page["data_model"]))
    for row in page["data"]:
        validator.validate(row)
    sa1 = next(row for row in page["data"] if row["submitter_id"] == "sa-1")
    assert sa1["subjects"]["submitter_id"] == "su-1" and sa1["parent_samples"] == []
    assert sa1["weight_mg"] == 10.0 and sa1["is_ffpe"] is True
    info = admin.get(f"{PREFIX}/table/commons.sample/info").json()
    assert page["data_model"] == info["data_model"]


# The SQL subset --------------------------------------------------------------------------------

S = "SELECT submitter_id FROM commons.sample"


@pytest.mark.parametrize(
    ("query", "parameters", "expected"),
    [
        (f"{S} ORDER BY submitter_id", None, ALL_SAMPLES),
        ("SELECT submitter_id FROM sample ORDER BY 1 DESC", None, ALL_SAMPLES[::-1]),
        (f"{S} WHERE sample_type = 'Metastatic'", None, ["sa-4"]),
        (f"{S} WHERE sample_type <> 'Primary Tumor' ORDER BY 1", None, ["sa-2", "sa-4"]),
        (f"{S} WHERE sample_type != 'Primary Tumor' ORDER BY 1", None, ["sa-2", "sa-4"]),
        (f"{S} WHERE days_to_collection > 10 ORDER BY 1", None, ["sa-2", "sa-3", "sa-4"]),
        (f"{S} WHERE days_to_collection <= 12 ORDER BY 1", None, ["sa-1", "sa-2"]),
        (f"{S} WHERE weight_mg >= 40 ORDER BY 1", None, ["sa-3", "sa-5"]),
        (f"{S} WHERE 25.5 > weight_mg", None, ["sa-1"]),
        (
            f"{S} WHERE sample_type IN ('Metastatic', 'Solid Tissue Normal') ORDER BY 1",
            None,
            ["sa-2", "sa-4"],
        ),
        (f"{S} WHERE sample_type NOT IN ('Primary Tumor') ORDER BY 1", None, ["sa-2", "sa-4"]),
        (f"{S} WHERE submitter_id LIKE 'sa-_' ORDER BY 1", None, OMICS_SAMPLES),
        (f"{S} WHERE tissue_type LIKE '%orm%'", None, ["sa-2"]),
        (f"{S} WHERE submitter_id NOT LIKE 'sa%'", None, ["os-1"]),
        (f"{S} WHERE submitter_id LIKE 'SA%'", None, []),
        (f"{S} WHERE weight_mg IS NULL ORDER BY 1", None, ["os-1", "sa-4"]),
        (f"{S} WHERE weight_mg IS NOT NULL ORDER BY 1", None, ["sa-1", "sa-2", "sa-3", "sa-5"]),
        (
            f"{S} WHERE (sample_type = 'Primary Tumor' AND is_ffpe = true) "
            "OR tissue_type = 'Normal' ORDER BY 1",
            None,
            ["sa-1", "sa-2", "sa-3"],
        ),
        # SQL's NOT: a null is_ffpe makes `is_ffpe = true` unknown, and NOT unknown is no match.
        (f"{S} WHERE NOT is_ffpe = true", None, ["sa-2"]),
        (f"{S} WHERE NOT (sample_type = 'Primary Tumor' OR tissue_type = 'Tumor')", None, ["sa-2"]),
        (
            f"{S} WHERE sample_type = ? AND days_to_collection > ?",
            ["Primary Tumor", 10],
            ["sa-3"],
        ),
        (f"{S} WHERE submitter_id = ?", ["x' OR 1=1 OR '"], []),
        (f"{S} WHERE is_ffpe = ? ORDER BY 1", [True], ["sa-1", "sa-3"]),
        (f"{S} ORDER BY submitter_id LIMIT 2 OFFSET 1", None, ["sa-1", "sa-2"]),
        (f"{S} ORDER BY submitter_id OFFSET ? LIMIT ?", [4, 1], ["sa-4"]),
        (f"{S} WHERE created_datetime > '2000-01-01' ORDER BY 1", None, ALL_SAMPLES),
        (f"{S} WHERE days_to_collection > -1 ORDER BY 1", None, ["sa-1", "sa-2", "sa-3", "sa-4"]),
        (
            "SELECT submitter_id FROM commons.subject WHERE consent_codes = 'GRU' ORDER BY 1",
            None,
            ["su-1", "su-2"],
        ),
    ],
)
def test_where_order_limit(
    admin: TestClient, query: str, parameters: list[Any] | None, expected: list[str]
) -> None:
    assert ids(search(admin, query, parameters)["data"]) == expected


def test_order_by_puts_nulls_last_unless_asked_first(admin: TestClient) -> None:
    last = ids(search(admin, f"{S} ORDER BY days_to_collection DESC")["data"])
    assert last[:4] == ["sa-4", "sa-3", "sa-2", "sa-1"] and sorted(last[4:]) == ["os-1", "sa-5"]
    first = ids(search(admin, f"{S} ORDER BY weight_mg NULLS FIRST")["data"])
    assert sorted(first[:2]) == ["os-1", "sa-4"] and first[2:] == ["sa-1", "sa-2", "sa-3", "sa-5"]


def test_select_star_and_columns(admin: TestClient) -> None:
    star = search(admin, "SELECT * FROM sample WHERE submitter_id = 'sa-2'")
    (row,) = star["data"]
    assert list(row) == list(star["data_model"]["properties"])
    assert row["tissue_type"] == "Normal" and row["project_id"] == "demo-omics"
    picked = search(admin, "SELECT s.submitter_id AS sid, subjects FROM commons.sample s LIMIT 1")
    assert set(picked["data"][0]) == {"sid", "subjects"}
    assert set(picked["data_model"]["properties"]) == {"sid", "subjects"}


def test_aggregates_and_group_by(admin: TestClient) -> None:
    count = search(admin, "SELECT count(*) AS n FROM sample WHERE tissue_type = 'Tumor'")
    assert count["data"] == [{"n": 4}]
    assert count["data_model"]["properties"]["n"] == {"type": "integer"}
    grouped = search(
        admin, "SELECT tissue_type, count(*) AS n FROM sample GROUP BY tissue_type ORDER BY 1"
    )
    assert grouped["data"] == [
        {"tissue_type": "Normal", "n": 1},
        {"tissue_type": "Tumor", "n": 4},
        {"tissue_type": None, "n": 1},
    ]
    by_count = search(
        admin,
        "SELECT sample_type, count(*) FROM sample GROUP BY sample_type ORDER BY count(*) DESC",
    )
    assert by_count["data"][0] == {"sample_type": "Primary Tumor", "_col1": 4}
    stats = search(
        admin,
        "SELECT min(days_to_collection), max(days_to_collection), sum(days_to_collection), "
        "count(weight_mg) FROM sample",
    )
    assert stats["data"] == [{"_col0": 5, "_col1": 100, "_col2": 147, "_col3": 4}]


def test_select_distinct(admin: TestClient, reader: TestClient) -> None:
    types = "SELECT DISTINCT sample_type FROM sample"
    assert search(admin, f"{types} ORDER BY 1 DESC")["data"] == [
        {"sample_type": t} for t in ["Solid Tissue Normal", "Primary Tumor", "Metastatic"]
    ]
    assert search(admin, f"{types} ORDER BY sample_type LIMIT 2 OFFSET 1")["data"] == [
        {"sample_type": t} for t in ["Primary Tumor", "Solid Tissue Normal"]
    ]
    pairs = search(admin, "SELECT DISTINCT sample_type AS t, tissue_type FROM sample")
    assert pairs["data"] == [  # sorted by every column, nulls last, when not told otherwise
        {"t": "Metastatic", "tissue_type": "Tumor"},
        {"t": "Primary Tumor", "tissue_type": "Tumor"},
        {"t": "Primary Tumor", "tissue_type": None},
        {"t": "Solid Tissue Normal", "tissue_type": "Normal"},
    ]
    assert set(pairs["data_model"]["properties"]) == {"t", "tissue_type"}
    tissues = "SELECT DISTINCT tissue_type FROM sample WHERE sample_type = ? ORDER BY 1 DESC"
    assert search(admin, tissues, ["Primary Tumor"])["data"] == [
        {"tissue_type": "Tumor"},
        {"tissue_type": None},
    ]
    joined = search(
        admin,
        "SELECT DISTINCT su.species FROM sample s JOIN subject su ON s.subjects = su.id "
        "WHERE s.sample_type = 'Primary Tumor'",
    )
    assert joined["data"] == [{"species": "Homo sapiens"}, {"species": "Macaca mulatta"}]
    assert search(admin, "SELECT DISTINCT count(*) AS n FROM sample")["data"] == [{"n": 6}]
    species = "SELECT DISTINCT species FROM subject"
    everyone = [row["species"] for row in search(admin, species)["data"]]
    assert everyone == ["Homo sapiens", "Macaca mulatta", "Mus musculus", "Rattus norvegicus"]
    mine = [row["species"] for row in search(reader, species)["data"]]
    assert mine == everyone[:3]  # the rats are demo-other's


def test_distinct_pages_hold_each_value_once(paged: TestClient) -> None:
    first = paged.post(f"{PREFIX}/search", json={"query": "SELECT DISTINCT species FROM subject"})
    pages = walk(paged, first)
    assert [len(page["data"]) for page in pages] == [2, 2]
    assert len({row["species"] for page in pages for row in page["data"]}) == 4


@pytest.mark.parametrize(
    ("condition", "parameters", "expected"),
    [
        ("weight_mg > CAST(? AS DOUBLE)", ["30"], ["sa-3", "sa-5"]),
        ("CAST(? AS DOUBLE) > weight_mg", ["2.55e1"], ["sa-1"]),
        ("days_to_collection = CAST(? AS BIGINT)", [" 12 "], ["sa-2"]),
        ("days_to_collection IN (CAST(? AS INTEGER), CAST(-4.5 AS SMALLINT))", [4.5], ["sa-1"]),
        ("is_ffpe = CAST(? AS BOOLEAN)", ["t"], ["sa-1", "sa-3"]),
        ("is_ffpe = CAST(0 AS BOOLEAN)", [], ["sa-2"]),
        ("submitter_id = CAST(? AS VARCHAR)", ["sa-4"], ["sa-4"]),
        ("created_datetime > CAST(? AS TIMESTAMP)", ["2000-01-01 10:00:00"], ALL_SAMPLES),
        ("created_datetime < CAST(? AS DATE)", ["2000-01-01"], []),
    ],
)
def test_cast_values_in_where(
    admin: TestClient, condition: str, parameters: list[Any], expected: list[str]
) -> None:
    assert ids(search(admin, f"{S} WHERE {condition} ORDER BY 1", parameters)["data"]) == expected


def test_cast_columns_in_select(admin: TestClient) -> None:
    found = search(
        admin,
        "SELECT submitter_id, CAST(weight_mg AS BIGINT) AS w, CAST(weight_mg AS VARCHAR) AS wt, "
        "CAST(days_to_collection AS VARCHAR), CAST(is_ffpe AS VARCHAR) AS f, "
        "CAST(days_to_collection AS DOUBLE) AS d, CAST(created_datetime AS DATE) AS day, "
        "CAST(created_datetime AS TIMESTAMP) AS at "
        "FROM sample WHERE submitter_id IN ('sa-1', 'sa-2', 'sa-5') ORDER BY submitter_id "
        "LIMIT CAST(? AS BIGINT)",
        ["2"],
    )
    (one, two) = found["data"]
    assert {key: one[key] for key in ("w", "wt", "_col3", "f", "d")} == {
        "w": 10,
        "wt": "10.0",
        "_col3": "5",
        "f": "true",
        "d": 5.0,
    }
    assert {key: two[key] for key in ("w", "wt", "_col3", "f", "d")} == {
        "w": 26,
        "wt": "25.5",
        "_col3": "12",
        "f": "false",
        "d": 12.0,
    }  # 25.5 rounds away from zero, as Trino does
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", one["day"]), one
    assert one["at"].startswith(one["day"] + "T") and "+" not in one["at"]
    model = found["data_model"]["properties"]
    assert model["w"] == {"type": ["integer", "null"]}
    assert model["day"] == {"type": ["string", "null"], "format": "date"}
    assert (
        model["submitter_id"]
        == search(admin, S + " LIMIT 1")["data_model"]["properties"]["submitter_id"]
    )
    nulls = search(
        admin, "SELECT CAST(weight_mg AS BIGINT) AS w FROM sample WHERE weight_mg IS NULL"
    )
    assert nulls["data"] == [{"w": None}, {"w": None}]


def test_case_when(admin: TestClient) -> None:
    sizes = search(
        admin,
        "SELECT submitter_id, CASE WHEN weight_mg >= 40 THEN 'heavy' WHEN weight_mg < 20 "
        "THEN 'light' ELSE 'medium' END AS size FROM sample ORDER BY submitter_id",
    )
    assert [row["size"] for row in sizes["data"]] == [  # a null weight meets neither WHEN
        "medium",
        "light",
        "medium",
        "heavy",
        "medium",
        "heavy",
    ]
    assert sizes["data_model"]["properties"]["size"] == {"type": ["string", "null"]}
    codes = search(
        admin,
        "SELECT CASE sample_type WHEN 'Primary Tumor' THEN 1 WHEN ? THEN 2.5 END AS code "
        "FROM sample ORDER BY submitter_id",
        ["Metastatic"],
    )
    assert [row["code"] for row in codes["data"]] == [1.0, 1.0, None, 1.0, 2.5, 1.0]
    assert codes["data_model"]["properties"]["code"] == {"type": ["number", "null"]}
    flagged = search(
        admin,
        "SELECT CASE WHEN is_ffpe = ? THEN ? ELSE ? END AS f, "
        "CASE WHEN NOT weight_mg IS NULL THEN false ELSE true END AS unweighed "
        "FROM sample ORDER BY submitter_id",
        [True, "ffpe", None],
    )
    assert [row["f"] for row in flagged["data"]] == [None, "ffpe", None, "ffpe", None, None]
    assert [row["unweighed"] for row in flagged["data"]] == [True, False, False, False, True, False]
    joined = search(
        admin,
        "SELECT s.submitter_id, CASE WHEN su.species = 'Homo sapiens' THEN 'human' "
        "ELSE 'other' END AS kind FROM sample s JOIN subject su ON s.subjects = su.id "
        "ORDER BY s.submitter_id",
    )
    assert [row["kind"] for row in joined["data"]] == ["human"] * 4 + ["other"] * 2


def test_joins_along_links_both_ways(admin: TestClient) -> None:
    forward = search(
        admin,
        "SELECT s.submitter_id, su.species FROM commons.sample s "
        "JOIN commons.subject su ON s.subjects = su.id "
        "WHERE su.species = 'Homo sapiens' ORDER BY s.submitter_id",
    )
    assert forward["data"] == [
        {"submitter_id": sid, "species": "Homo sapiens"} for sid in ["os-1", "sa-1", "sa-2", "sa-3"]
    ]
    backward = search(
        admin,
        "SELECT su.submitter_id AS subject, s.submitter_id AS sample FROM commons.subject su "
        "INNER JOIN commons.sample s ON su.id = s.subjects "
        "WHERE su.primary_site = 'Colon' AND s.tissue_type = 'Tumor' ORDER BY sample",
    )
    assert backward["data"] == [
        {"subject": "su-1", "sample": "sa-1"},
        {"subject": "su-3", "sample": "sa-4"},
    ]
    chain = search(
        admin,
        "SELECT s.submitter_id, st.submitter_id AS study FROM sample s "
        "JOIN subject su ON s.subjects = su.id JOIN study st ON su.studies = st.id "
        "WHERE st.submitter_id = 'st-9'",
    )
    assert chain["data"] == [{"submitter_id": "os-1", "study": "st-9"}]


def test_ga4gh_type_puts_a_ref_in_the_data_model(admin: TestClient) -> None:
    url = "https://example.org/schemas/SampleId.json"
    found = search(
        admin, f"SELECT ga4gh_type(submitter_id, '$ref:{url}') AS sid FROM sample LIMIT 1"
    )
    assert found["data_model"]["properties"] == {"sid": {"$ref": url}}
    assert set(found["data"][0]) == {"sid"}


@pytest.mark.parametrize(
    ("query", "parameters", "named"),
    [
        ("SELECT DISTINCT subjects FROM sample", [], "subjects is a link"),
        ("SELECT DISTINCT * FROM sample", [], "is a link"),
        ("SELECT count(DISTINCT sample_type) FROM sample", [], "DISTINCT in count()"),
        ("SELECT DISTINCT ON (sample_type) sample_type FROM sample", [], "DISTINCT ON"),
        (
            "SELECT DISTINCT sample_type FROM sample ORDER BY submitter_id",
            [],
            "names one of its outputs",
        ),
        ("SELECT DISTINCT sample_type, count(*) FROM sample", [], "neither aggregated"),
        ("SELECT upper(submitter_id) FROM sample", [], "the function upper"),
        ("SELECT submitter_id FROM sample UNION SELECT submitter_id FROM subject", [], "UNION"),
        ("WITH x AS (SELECT 1) SELECT * FROM sample", [], "WITH"),
        (f"{S} WHERE submitter_id IN (SELECT submitter_id FROM sample)", [], "subquery"),
        ("SELECT s.id FROM sample s LEFT JOIN subject su ON s.subjects = su.id", [], "LEFT JOIN"),
        ("SELECT s.id FROM sample s CROSS JOIN subject su", [], "CROSS JOIN"),
        (
            "SELECT s.id FROM sample s JOIN subject su ON s.submitter_id = su.submitter_id",
            [],
            "link column",
        ),
        ("SELECT * FROM sample s JOIN subject su ON s.subjects = su.id", [], "name the columns"),
        (f"{S} WHERE sample_type = tissue_type", [], "comparing two columns"),
        (
            "SELECT s.id FROM sample s JOIN subject su ON s.subjects = su.id "
            "WHERE s.is_ffpe = true OR su.species = 'x'",
            [],
            "OR across",
        ),
        (
            "SELECT sample_type, count(*) FROM sample GROUP BY sample_type, tissue_type",
            [],
            "GROUP BY more than one column",
        ),
        ("SELECT submitter_id, count(*) FROM sample", [], "neither aggregated"),
        ("SELECT count(*) FROM sample HAVING count(*) > 1", [], "HAVING"),
        ("SELECT nope FROM sample", [], "no column nope"),
        (f"{S} WHERE weight_mg = 'heavy'", [], "holds integer or number values"),
        (f"{S} WHERE weight_mg = NULL", [], "IS NULL"),
        (f"{S} WHERE sample_type = ?", [], "1 ? placeholder"),
        (f"{S} WHERE sample_type = ?", [None], "null parameter"),
        (f"{S} WHERE sample_type = ?", [["a", "b"]], "list parameter"),
        (f"{S}; {S}", [], "one SQL statement"),
        ("SELEC * FROM", [], "not valid SQL"),
        ("DELETE FROM sample", [], "DELETE"),
        ("SELECT CASE WHEN is_ffpe THEN 1 END FROM sample", [], "COLUMN in"),
        ("SELECT CASE WHEN weight_mg > 1 THEN 'a' ELSE 1 END FROM sample", [], "one type"),
        (
            "SELECT CASE "
            + " ".join(f"WHEN weight_mg = {i} THEN {i}" for i in range(120))
            + " END FROM sample",
            [],
            "CASE: 120 conditions, more than the limit of 100",
        ),
        (
            "SELECT CASE WHEN weight_mg > 1 THEN submitter_id END FROM sample",
            [],
            "COLUMN as a CASE",
        ),
        ("SELECT CASE WHEN subjects IS NULL THEN 1 END FROM sample", [], "subjects is a link"),
        (f"{S} WHERE CASE WHEN is_ffpe = true THEN 1 END = 1", [], "CASE in WHERE"),
        (
            "SELECT DISTINCT CASE WHEN is_ffpe = true THEN 1 END FROM sample",
            [],
            "CASE in a query with",
        ),
        (
            "SELECT CASE WHEN is_ffpe = true THEN 1 END AS f FROM sample ORDER BY f",
            [],
            "ORDER BY a CASE output",
        ),
        (
            "SELECT CASE WHEN s.is_ffpe = true OR su.species = 'x' THEN 1 END "
            "FROM sample s JOIN subject su ON s.subjects = su.id",
            [],
            "OR across",
        ),
        (f"{S} WHERE CAST(days_to_collection AS VARCHAR) = '5'", [], "CAST in WHERE"),
        ("SELECT CAST(weight_mg AS DECIMAL(5, 2)) FROM sample", [], "CAST to DECIMAL(5, 2)"),
        ("SELECT CAST(weight_mg AS REAL) FROM sample", [], "CAST to REAL"),
        (f"{S} WHERE submitter_id = CAST(? AS VARCHAR(3))", ["sa-1"], "CAST to VARCHAR(3)"),
        ("SELECT TRY_CAST(weight_mg AS BIGINT) FROM sample", [], "TRY_CAST"),
        (f"{S} WHERE days_to_collection = CAST(? AS BIGINT)", ["12.0"], "cannot CAST '12.0'"),
        (f"{S} WHERE days_to_collection = CAST(? AS TINYINT)", [300], "out of range"),
        (f"{S} WHERE days_to_collection = CAST(1e400 AS BIGINT)", [], "cannot CAST inf"),
        (f"{S} WHERE days_to_collection = CAST(? AS BIGINT)", ["9" * 5000], "cannot CAST '99"),
        (
            f"{S} WHERE created_datetime > CAST(? AS TIMESTAMP)",
            ["0001-01-01T00:00:00+01:00"],
            "to TIMESTAMP",
        ),
        (f"{S} WHERE created_datetime > CAST(? AS DATE)", ["yesterday"], "to DATE"),
        (f"{S} WHERE is_ffpe = CAST(? AS BOOLEAN)", ["yes"], "to BOOLEAN"),
        (f"{S} WHERE weight_mg = CAST(? AS VARCHAR)", [5], "holds integer or number"),
        ("SELECT CAST(sample_type AS BIGINT) FROM sample", [], "cannot CAST 'Primary Tumor'"),
        ("SELECT DISTINCT CAST(weight_mg AS BIGINT) FROM sample", [], "CAST in a query with"),
        ("SELECT CAST(weight_mg AS BIGINT) AS w FROM sample ORDER BY w", [], "ORDER BY a CAST"),
        ("SELECT CAST(subjects AS VARCHAR) FROM sample", [], "subjects is a link"),
        ("SELECT CAST(consent_codes AS VARCHAR) FROM subject", [], "consent_codes is a list"),
        ("SELECT CAST(? AS VARCHAR) FROM sample", ["x"], "PLACEHOLDER in CAST"),
        (f"{S} WHERE submitter_id LIKE 'a!%' ESCAPE '!'", [], "ESCAPE"),
        (f"{S} FETCH FIRST 2 ROWS ONLY", [], "FETCH"),
        (f"{S} WHERE subjects IS NULL", [], "is a link"),
        ("SELECT sum(sample_type) FROM sample", [], "numeric column"),
        (f"{S} LIMIT ?", [-1], "whole number"),
        (f"{S} WHERE submitter_id = :name", [], "named parameter"),
        (f"{S} ORDER BY upper(submitter_id)", [], "the function upper"),
        (f"{S} WHERE {'(' * 3000}weight_mg = 1{')' * 3000}", [], "nested too deeply"),
        (f"{S} WHERE {'NOT ' * 2000}weight_mg = 1", [], "nested too deeply"),
        (
            f"{S} WHERE " + " OR ".join(f"weight_mg = {i}" for i in range(150)),
            [],
            "150 conditions, more than the limit of 100",
        ),
    ],
)
def test_unsupported_sql_is_refused_naming_the_construct(
    admin: TestClient, query: str, parameters: list[Any], named: str
) -> None:
    status, detail = refused(admin, query, parameters)
    assert status == 400, detail
    assert named in detail


def test_unknown_table_in_search_is_a_404(admin: TestClient) -> None:
    status, detail = refused(admin, "SELECT * FROM commons.nowhere")
    assert status == 404 and "no table named commons.nowhere" in detail


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "query"),
        ({"query": 5}, "query"),
        ({"query": S, "parameters": "x"}, "parameters"),
        ({"query": "SELECT " + "a, " * 10_000 + "b FROM sample"}, "limit"),
    ],
)
def test_malformed_search_bodies_are_400(admin: TestClient, body: Any, named: str) -> None:
    response = admin.post(f"{PREFIX}/search", json=body)
    assert response.status_code == 400
    assert named in response.json()["errors"][0]["detail"]


# Pagination ------------------------------------------------------------------------------------


def _count(client: TestClient, node: str) -> int:
    response = client.post("/api/v0/submission/graphql", json={"query": f"{{ _{node}_count }}"})
    assert response.status_code == 200, response.text
    return response.json()["data"][f"_{node}_count"]


@pytest.mark.parametrize("node", ["sample", "subject"])
def test_table_data_pages_walk_to_graphql_count(paged: TestClient, node: str) -> None:
    pages = walk(paged, paged.get(f"{PREFIX}/table/commons.{node}/data"))
    rows = [row for page in pages for row in page["data"]]
    assert len(rows) == _count(paged, node) and len({row["id"] for row in rows}) == len(rows)
    assert all(len(page["data"]) == 2 for page in pages[:-1])
    assert all(page["data_model"] == pages[0]["data_model"] for page in pages)
    assert "pagination" not in pages[-1]


def test_search_pages_keep_limit_offset_and_order(paged: TestClient) -> None:
    first = paged.post(
        f"{PREFIX}/search", json={"query": f"{S} ORDER BY submitter_id DESC LIMIT 3 OFFSET 1"}
    )
    pages = walk(paged, first)
    assert [ids(page["data"]) for page in pages] == [["sa-4", "sa-3"], ["sa-2"]]
    grouped = walk(
        paged,
        paged.post(
            f"{PREFIX}/search",
            json={"query": "SELECT sample_type, count(*) AS n FROM sample GROUP BY sample_type"},
        ),
    )
    assert sum(len(page["data"]) for page in grouped) == 3
    joined = walk(
        paged,
        paged.post(
            f"{PREFIX}/search",
            json={
                "query": "SELECT su.submitter_id AS subject, s.submitter_id FROM subject su "
                "JOIN sample s ON s.subjects = su.id WHERE s.sample_type = ?",
                "parameters": ["Primary Tumor"],
            },
        ),
    )
    assert sorted(ids([row for page in joined for row in page["data"]])) == [
        "os-1",
        "sa-1",
        "sa-3",
        "sa-5",
    ]


def test_cursor_is_signed(paged: TestClient) -> None:
    url = paged.get(f"{PREFIX}/table/commons.sample/data").json()["pagination"]["next_page_url"]
    cursor = urlsplit(url).query.removeprefix("cursor=")
    header, claims, signature = cursor.split(".")
    forged = f"{header}.{claims}.{signature[:-4]}AAAA"
    for value in (forged, "garbage", ""):
        response = paged.get(f"{PREFIX}/page", params={"cursor": value})
        assert response.status_code == 400
        assert "cursor" in response.json()["errors"][0]["detail"]
    token = paged.headers["Authorization"].removeprefix("Bearer ")
    response = paged.get(f"{PREFIX}/page", params={"cursor": token})  # an access token is no cursor
    assert response.status_code == 400


# Speed -----------------------------------------------------------------------------------------


def _plan(endpoint: Any, statement: Statement) -> str:
    """ArcadeDB's own account of how it would run a statement (EXPLAIN)."""
    driver = neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, endpoint.password))
    try:
        with driver.session(database=endpoint.database) as session:
            result = session.run(f"EXPLAIN {statement.text}", statement.parameters)
            return result.consume().plan["args"]["string-representation"]
    finally:
        driver.close()


@pytest.mark.parametrize("readable", [None, frozenset({"demo-omics"})])
def test_link_columns_leave_the_search_to_arcadedbs_optimizer(
    admin: TestClient, request: pytest.FixtureRequest, readable: frozenset[str] | None
) -> None:
    """A CALL subquery sends the whole statement to ArcadeDB's traditional executor; the
    link columns, read by pattern comprehension, leave it to the cost-based one (an index seek)."""
    if request.node.callspec.params.get("graph_store") != "arcadedb":
        pytest.skip("a plan of the embedded ArcadeDB")
    query = "SELECT submitter_id, subjects FROM commons.sample WHERE sample_type = ?"
    plan = read_query(tables(admin.app), query, ["Metastatic"])
    explained = _plan(
        request.getfixturevalue("arcadedb_server").endpoint, build(plan, readable, 0, 3)
    )
    assert "Cost-Based" in explained and "NodeIndexSeek" in explained, explained


def test_pages_of_a_search_parse_its_sql_once(
    paged: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = sqlglot.parse

    def parse(text: str, **options: Any) -> Any:
        parsed.append(text)
        return real(text, **options)

    monkeypatch.setattr(sql.sqlglot, "parse", parse)
    query = (
        "SELECT submitter_id AS once FROM commons.sample WHERE weight_mg > ? OR weight_mg IS NULL"
    )
    pages = walk(paged, paged.post(f"{PREFIX}/search", json={"query": query, "parameters": [1]}))
    assert [len(page["data"]) for page in pages] == [2, 2, 2] and len(parsed) == 1


# Access ----------------------------------------------------------------------------------------


def test_rows_only_from_readable_projects(admin: TestClient, reader: TestClient) -> None:
    everything = search(admin, f"{S} ORDER BY 1")["data"]
    assert ids(everything) == ALL_SAMPLES
    mine = search(reader, f"{S} ORDER BY 1")["data"]
    assert ids(mine) == OMICS_SAMPLES
    assert len(mine) == _count(reader, "sample")
    assert search(reader, "SELECT count(*) AS n FROM sample")["data"] == [{"n": 5}]
    joined = search(
        reader,
        "SELECT st.submitter_id FROM study st JOIN subject su ON su.studies = st.id",
    )["data"]
    assert {row["submitter_id"] for row in joined} == {"st-1"}
    table = reader.get(f"{PREFIX}/table/commons.subject/data").json()["data"]
    assert sorted(ids(table)) == ["su-1", "su-2", "su-3", "su-4"]


def test_anonymous_callers_see_public_projects_only(admin: TestClient) -> None:
    anonymous = TestClient(admin.app)
    assert search(anonymous, S)["data"] == []
    assert anonymous.get(f"{PREFIX}/tables").status_code == 200
    save_policy(admin.app.state.stores.graph, _policy(["omics_reader"]))
    try:
        assert sorted(ids(search(anonymous, S)["data"])) == OMICS_SAMPLES
    finally:
        save_policy(admin.app.state.stores.graph, _policy([]))
    assert search(anonymous, S)["data"] == []


def test_link_columns_hide_unreadable_targets(admin: TestClient, reader: TestClient) -> None:
    graph = admin.app.state.stores.graph
    # A link across projects (as only a direct write could make) must not show its target.
    graph.write(
        "MATCH (s:`sample` {submitter_id: 'sa-5'}) "
        "CALL (s) { MATCH (o:`sample` {submitter_id: 'os-1'}) CREATE (s)-[:PARENT_SAMPLES]->(o) }"
    )
    try:
        query = "SELECT parent_samples FROM sample WHERE submitter_id = 'sa-5'"
        assert ids(search(admin, query)["data"][0]["parent_samples"]) == ["os-1"]
        assert search(reader, query)["data"][0]["parent_samples"] == []
    finally:
        graph.write("MATCH (:`sample` {submitter_id: 'sa-5'})-[r:PARENT_SAMPLES]->() DELETE r")
