"""Data Connect's `commons.discovery_metadata`: the metadata service's discovery records as a table.

Studies are published through MDS as an admin (one batch), then read back
through /tables, /info, /data, /search and the signed page cursor; the
columns are the union of the studies' top-level gen3_discovery fields.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from starlette.testclient import TestClient

from engine.auth.policy_store import save_policy
from tests.auth_fixture import anonymous_client, bearer

PREFIX = "/ga4gh/data-connect/v1"
TABLE = "commons.discovery_metadata"
STUDIES: dict[str, dict[str, Any]] = {
    "s-1": {"study_name": "Alpha", "subjects": 10, "tags": [{"name": "x"}], "public": True},
    "s-2": {"study_name": "Beta", "subjects": 25, "program": "demo", "public": False},
    "s-3": {"study_name": "Gamma", "subjects": 3, "program": "demo", "keywords": ["a", "b"]},
    "s-4": {"study_name": "Alphabet", "subjects": 7.5, "program": "other"},
    "s-5": {"study_name": "Delta", "program": None},
}


def _publish(api: TestClient) -> None:
    body = [
        {"guid": guid, "data": {"_guid_type": "discovery_metadata", "gen3_discovery": study}}
        for guid, study in STUDIES.items()
    ]
    body.append({"guid": "not-a-study", "data": {"_guid_type": "indexed_file", "x": 1}})
    answer = api.post("/mds/metadata", json=body)
    assert answer.status_code == 201, answer.text


def _search(client: TestClient, query: str, *parameters: Any) -> list[dict[str, Any]]:
    answer = client.post(f"{PREFIX}/search", json={"query": query, "parameters": list(parameters)})
    assert answer.status_code == 200, answer.text
    assert "pagination" not in answer.json()
    return answer.json()["data"]


def _walk(client: TestClient, first: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of a sequence of pages, each page's data_model the first one's."""
    rows, page = list(first["data"]), first
    while "pagination" in page:
        url = urlsplit(page["pagination"]["next_page_url"])
        page = client.get(f"{url.path}?{url.query}").json()
        assert page["data_model"] == first["data_model"]
        rows += page["data"]
    return rows


def test_listed_with_a_data_model_derived_from_the_studies(api: TestClient) -> None:
    _publish(api)
    listed = {t["name"]: t for t in api.get(f"{PREFIX}/tables").json()["tables"]}
    assert listed[TABLE]["data_model"] == {"$ref": f"http://testserver{PREFIX}/table/{TABLE}/info"}
    info = api.get(f"{PREFIX}/table/discovery_metadata/info").json()
    assert info["name"] == TABLE
    model = info["data_model"]
    jsonschema.Draft7Validator.check_schema(model)
    columns = model["properties"]
    assert list(columns) == [
        "guid", "keywords", "program", "public", "study_name", "subjects", "tags"
    ]  # fmt: skip
    assert columns["guid"]["type"] == "string"
    assert columns["study_name"]["type"] == ["string", "null"]
    assert columns["subjects"]["type"] == ["number", "null"]  # 10 and 7.5
    assert columns["public"]["type"] == ["boolean", "null"]
    assert columns["keywords"]["type"] == ["array", "null"]
    assert columns["keywords"]["items"] == {"type": "string"}
    assert columns["tags"]["type"] == ["array", "null"]


def test_data_is_every_study_in_guid_order(api: TestClient) -> None:
    _publish(api)
    answer = api.get(f"{PREFIX}/table/{TABLE}/data").json()
    assert [row["guid"] for row in answer["data"]] == list(STUDIES)
    validator = jsonschema.Draft7Validator(answer["data_model"])
    for row in answer["data"]:
        validator.validate(row)
    assert answer["data"][0] == {
        "guid": "s-1",
        "keywords": None,
        "program": None,
        "public": True,
        "study_name": "Alpha",
        "subjects": 10,
        "tags": [{"name": "x"}],
    }


def test_search_conditions_order_and_window(api: TestClient) -> None:
    _publish(api)
    q = f"SELECT guid FROM {TABLE}"

    def guids(query: str, *parameters: Any) -> list[str]:
        return [row["guid"] for row in _search(api, query, *parameters)]

    assert guids(f"{q} WHERE program = ?", "demo") == ["s-2", "s-3"]
    assert guids(f"{q} WHERE program IN ('other', 'demo') ORDER BY guid DESC") == [
        "s-4", "s-3", "s-2"
    ]  # fmt: skip
    assert guids(f"{q} WHERE study_name LIKE 'Alpha%'") == ["s-1", "s-4"]
    assert guids(f"{q} WHERE program IS NULL") == ["s-1", "s-5"]
    assert guids(f"{q} WHERE NOT program = 'demo'") == ["s-4"]  # null is not "not demo"
    assert guids(f"{q} WHERE subjects > 5 AND subjects < 20") == ["s-1", "s-4"]
    assert guids(f"{q} WHERE public = true OR keywords = 'b'") == ["s-1", "s-3"]
    assert guids(f"{q} ORDER BY subjects DESC LIMIT 3") == ["s-2", "s-1", "s-4"]
    assert guids(f"{q} ORDER BY subjects NULLS FIRST LIMIT 2 OFFSET 1") == ["s-3", "s-4"]
    rows = _search(api, f"SELECT study_name AS name, subjects FROM {TABLE} WHERE guid = 's-3'")
    assert rows == [{"name": "Gamma", "subjects": 3}]
    assert _search(api, f"SELECT * FROM {TABLE} WHERE guid = 's-5'")[0]["study_name"] == "Delta"


def test_search_aggregates(api: TestClient) -> None:
    _publish(api)
    assert _search(api, f"SELECT count(*) AS n FROM {TABLE}") == [{"n": 5}]
    assert _search(api, f"SELECT count(*) FROM {TABLE} WHERE program = 'none'") == [{"_col0": 0}]
    grouped = _search(
        api,
        f"SELECT program, count(*) AS n, max(subjects) AS top FROM {TABLE} "
        "GROUP BY program ORDER BY n DESC, program",
    )
    assert grouped == [
        {"program": "demo", "n": 2, "top": 25},
        {"program": None, "n": 2, "top": 10},
        {"program": "other", "n": 1, "top": 7.5},
    ]
    casted = f"SELECT CAST(subjects AS BIGINT) AS n FROM {TABLE} WHERE guid IN ('s-4', 's-5')"
    assert _search(api, casted) == [{"n": 8}, {"n": None}]
    sized = f"SELECT CASE WHEN subjects > ? THEN 'big' ELSE 'small' END AS size FROM {TABLE}"
    assert [row["size"] for row in _search(api, f"{sized} ORDER BY guid", 8)] == [
        "big",
        "big",
        "small",
        "small",
        "small",
    ]
    programs = f"SELECT DISTINCT program FROM {TABLE}"
    assert _search(api, f"{programs} ORDER BY program") == [
        {"program": "demo"},
        {"program": "other"},
        {"program": None},
    ]
    assert _search(api, f"SELECT DISTINCT program, public FROM {TABLE} WHERE program = 'demo'") == [
        {"program": "demo", "public": False},
        {"program": "demo", "public": None},
    ]


def test_unsupported_constructs_are_refused_by_name(api: TestClient) -> None:
    _publish(api)
    for query, named in (
        (f"SELECT guid FROM {TABLE} WHERE tags = 'x'", "tags"),
        (f"SELECT guid FROM {TABLE} ORDER BY keywords", "keywords"),
        (f"SELECT upper(study_name) FROM {TABLE}", "upper"),
        (f"SELECT guid FROM {TABLE} WHERE nope = 1", "nope"),
        (f"SELECT guid FROM {TABLE} WHERE subjects = 'ten'", "subjects"),
        (f"SELECT d.guid FROM {TABLE} d JOIN commons.project p ON d.guid = p.id", "JOIN"),
    ):
        answer = api.post(f"{PREFIX}/search", json={"query": query})
        assert answer.status_code == 400, (query, answer.text)
        assert named in answer.json()["errors"][0]["detail"], (query, answer.text)


def test_pages_walked_to_the_end(api: TestClient) -> None:
    _publish(api)
    app = api.app
    app.state.settings = dataclasses.replace(app.state.settings, data_connect_page_size=2)
    first = api.get(f"{PREFIX}/table/{TABLE}/data").json()
    assert len(first["data"]) == 2
    assert [row["guid"] for row in _walk(api, first)] == list(STUDIES)
    query = {"query": f"SELECT guid FROM {TABLE} WHERE subjects IS NOT NULL ORDER BY subjects"}
    searched = api.post(f"{PREFIX}/search", json=query).json()
    assert [row["guid"] for row in _walk(api, searched)] == ["s-3", "s-4", "s-1", "s-2"]
    limited = {"query": f"SELECT guid FROM {TABLE} LIMIT 3 OFFSET 1"}
    page = api.post(f"{PREFIX}/search", json=limited).json()
    assert [row["guid"] for row in _walk(api, page)] == ["s-2", "s-3", "s-4"]


def test_mds_read_authz_decides_who_reads_it(api: TestClient) -> None:
    _publish(api)
    save_policy(
        api.app.state.stores.graph,
        {
            "authz": {
                "anonymous_policies": [],
                "resources": [{"name": "mds_metadata_queries"}],
                "roles": [
                    {
                        "id": "mds_user",
                        "permissions": [
                            {"id": "mds", "action": {"service": "mds_gateway", "method": "access"}}
                        ],
                    }
                ],
                "policies": [
                    {
                        "id": "mds_reader",
                        "role_ids": ["mds_user"],
                        "resource_paths": ["/mds_metadata_queries"],
                    }
                ],
            },
            "users": {"reader@mds": {"policies": ["mds_reader"]}, "other@mds": {"policies": []}},
        },
    )
    app = api.app
    anonymous = anonymous_client(api)
    query = {"query": f"SELECT count(*) AS n FROM {TABLE}"}
    assert anonymous.post(f"{PREFIX}/search", json=query).json()["data"] == [{"n": 5}]  # public
    app.state.settings = dataclasses.replace(app.state.settings, mds_read="authz")
    reader = TestClient(app, headers=bearer(app, "reader@mds"))
    other = TestClient(app, headers=bearer(app, "other@mds"))
    assert reader.post(f"{PREFIX}/search", json=query).json()["data"] == [{"n": 5}]
    for client, status in ((anonymous, 401), (other, 403)):
        for answer in (
            client.post(f"{PREFIX}/search", json=query),
            client.get(f"{PREFIX}/table/{TABLE}/data"),
            client.get(f"{PREFIX}/table/{TABLE}/info"),
        ):
            assert answer.status_code == status, answer.text
            (error,) = answer.json()["errors"]
            assert set(error) == {"title", "detail"} and "mds_metadata_queries" in error["detail"]
    assert TABLE in {t["name"] for t in anonymous.get(f"{PREFIX}/tables").json()["tables"]}
