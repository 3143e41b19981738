"""MDS path filters, answered by the graph: MDS's own cases (tests/test_query.py of
uc-cdis/metadata-service) and the Postgres text rules behind them."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from engine.metadata.filters import MAX_FILTER_VALUES, parse_filters
from engine.metadata.keys import MAX_KEYS, as_text, blob_keys, exists_key, value_key


def _load(api: TestClient, records: dict[str, dict[str, Any]]) -> None:
    body = [{"guid": guid, "data": data} for guid, data in records.items()]
    assert api.post("/mds/metadata", json=body).status_code == 201


def _found(api: TestClient, query: str) -> list[str]:
    answer = api.get(f"/mds/metadata?{query}&limit=100")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_nested_paths_repeated_keys_or_different_keys_and(api: TestClient) -> None:
    _load(
        api,
        {
            "tq_1": {"a": {"b": {"c": 3}, "d": 4}, "e": 5},
            "tq_2": {"a": {"b": {"c": 3}, "d": 40}, "e": 5},
            "tq_3": {"a": {"b": {"c": 3, "d": 4}}, "e": 5},
            "tq_4": {"a": {"b": {"c": 3, "d": 4, "e": 5}}},
        },
    )
    assert _found(api, "e=5") == ["tq_1", "tq_2", "tq_3"]
    assert _found(api, "a.d=4") == ["tq_1"]
    assert _found(api, "a.b.d=4") == ["tq_3", "tq_4"]
    assert _found(api, "c=3&d=4") == []  # a dotless key is a top-level key only
    assert _found(api, "a.b.c=3&d=4") == []
    assert _found(api, "c=3&a.d=4") == []
    assert _found(api, "a.b.c=3&a.d=4") == ["tq_1"]
    assert _found(api, "a.b.c=3&a.d=4&a.d=40") == ["tq_1", "tq_2"]


def test_star_means_exists_and_escaped_star_is_literal(api: TestClient) -> None:
    _load(
        api,
        {
            "tq_1": {"a": 1},
            "tq_2": {"a": 2},
            "tq_3": {"a": ""},
            "tq_4": {"a": "*"},
            "tq_5": {"a": {"b": 3}},
            "tq_6": {"b": {"a": 1}},
            "tq_7": {"b": 3},
            "tq_8": {"a": None},
        },
    )
    assert _found(api, "a=*") == ["tq_1", "tq_2", "tq_3", "tq_4", "tq_5", "tq_8"]
    assert _found(api, "a.b=*") == ["tq_5"]
    assert _found(api, "a=%5C*") == ["tq_4"]
    assert _found(api, "a=*&a=2") == _found(api, "a=*")  # `*` among values: exists, only
    assert _found(api, "a=1.*") == []  # not a glob
    assert _found(api, "a=") == ["tq_3"]


def test_values_compare_as_text(api: TestClient) -> None:
    _load(
        api,
        {
            "n": {"v": 1},
            "s": {"v": "1"},
            "f": {"v": 1.5},
            "t": {"v": True},
            "z": {"v": None},
            "l": {"v": ["x", 7, {"w": "deep"}]},
        },
    )
    assert _found(api, "v=1") == ["n", "s"]
    assert _found(api, "v=1.5") == ["f"]
    assert _found(api, "v=true") == ["t"]
    assert _found(api, "v=null") == []  # null has no text in Postgres either
    assert _found(api, "v.0=x&v.1=7") == ["l"]  # array items by position, as `#>>` has them
    assert _found(api, "v.2.w=deep") == ["l"]
    assert _found(api, "v.x=*") == ["l"]  # `?` on an array: holds the string


def test_filters_with_paging_and_data(api: TestClient) -> None:
    _load(api, {f"x_{n}_{i:02}": {"x": n} for n in (1, 2) for i in range(30)})
    got: list[str] = []
    while page := api.get("/mds/metadata", params={"x": 1, "offset": len(got), "limit": 7}).json():
        got += page
    assert got == [f"x_1_{i:02}" for i in range(30)]
    data = api.get("/mds/metadata", params={"x": 2, "data": "true", "limit": 2}).json()
    assert data == {"x_2_00": {"x": 2}, "x_2_01": {"x": 2}}


def test_updates_and_deletes_change_what_filters_find(api: TestClient) -> None:
    _load(api, {"r": {"a": {"b": "old"}, "keep": 1}})
    api.put("/mds/metadata/r", params={"merge": "true"}, json={"a": {"c": "new"}})
    assert _found(api, "a.b=old") == []
    assert _found(api, "a.c=new&keep=1") == ["r"]
    api.delete("/mds/metadata/r")
    assert _found(api, "keep=1") == []


def test_too_many_filter_values_is_a_400(api: TestClient) -> None:
    query = "&".join(f"a={i}" for i in range(MAX_FILTER_VALUES + 1))
    answer = api.get(f"/mds/metadata?{query}")
    assert answer.status_code == 400 and str(MAX_FILTER_VALUES) in answer.json()["detail"]


def test_keys_of_a_blob() -> None:
    keys = set(blob_keys({"a": {"b": [1, "x"], "c.d": 1}, "e": None}))
    assert {
        exists_key("a"),
        exists_key("a.b"),
        value_key("a.b.0", "1"),
        value_key("a.b.1", "x"),
        exists_key("a.b.x"),
        exists_key("e"),
    } == keys  # `c.d` cannot be named by a dotted filter, so it is not keyed
    assert [as_text(v) for v in (1, 1.0, 1e20, False, "s", None)] == [
        "1",
        "1.0",
        "100000000000000000000",
        "false",
        "s",
        None,
    ]


def test_a_blob_past_max_keys_is_refused(api: TestClient) -> None:
    answer = api.post("/mds/metadata/big", json={str(i): i for i in range(MAX_KEYS)})
    assert answer.status_code == 400 and str(MAX_KEYS) in answer.json()["detail"]
    assert api.get("/mds/metadata/big").status_code == 404


@pytest.mark.parametrize(
    ("pairs", "groups"),
    [
        ([("a", "1"), ("a", "2"), ("b", "*")], [2, 1]),
        ([("data", "true"), ("limit", "1"), ("offset", "0")], []),
    ],
)
def test_parse_filters(pairs: list[tuple[str, str]], groups: list[int]) -> None:
    assert [len(f.keys) for f in parse_filters(pairs)] == groups
