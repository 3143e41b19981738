"""Tiered access on every guppy surface: what a caller learns of data they cannot read.

The world is tests/auth_world.py's (project A `demo-a`, which the reader
may read; project B `other-b`, which only the admin may), with one
demographic per subject: B's numbers lie outside A's range, so a bound or
statistic drawn from B is told apart from one drawn from A.

- `private`: nothing unreadable shapes any answer: `unaccessible` answers
  as if there were no such data and `all` equals `accessible` (a property,
  checked with and without random data in B, and the reported probe);
- `regular`: no bound, key or statistic of unreadable data, only counts
  from the limit up (also where the caller's own part is large);
- `libre`: everything aggregated, as in Gen3.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.auth_world import BASE, World, build_world

# submitter_id, its subject, year_of_birth, body_mass_index, sex_at_birth, race
A_DEMOGRAPHICS = [
    ("a-dem-1", "a-su-1", 1961, 21.5, "female", "White"),
    ("a-dem-2", "a-su-2", 1975, 27.25, "male", "White"),
    ("a-dem-3", "a-su-3", 1988, 30.0, "female", "Asian"),
]
B_DEMOGRAPHICS = [
    ("zz-b-dem-1", "zz-b-su-1", 1931, 44.4, "intersex", "White"),
    ("zz-b-dem-2", "zz-b-su-2", 2003, 12.5, "female", "Asian"),
]
# Anything of B that must never turn up outside `libre` (B's ids are the world's needles).
B_VALUES = ("1931", "2003", "44.4", "12.5", "intersex", "zz-b")
NUMBERS = "{ key count min max avg sum }"
CALLERS = ("anonymous", "logged_in", "reader")


def _demographic(row: tuple[Any, ...]) -> dict[str, Any]:
    submitter_id, subject, year, bmi, sex, race = row
    return {
        "type": "demographic",
        "submitter_id": submitter_id,
        "subjects": {"submitter_id": subject},
        "year_of_birth": year,
        "body_mass_index": bmi,
        "sex_at_birth": sex,
        "race": race,
    }


@pytest.fixture(scope="module")
def world(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> World:
    world = build_world(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )
    admin = world.client("admin")
    for path, rows in (("demo/a", A_DEMOGRAPHICS), ("other/b", B_DEMOGRAPHICS)):
        response = admin.put(f"{BASE}/{path}", json=[_demographic(row) for row in rows])
        assert response.status_code == 200, response.text
    return world


@pytest.fixture(scope="module")
def tiers(world: World) -> dict[tuple[str, int], Any]:
    """One app per tier tried here, over the same stores."""
    found = [("private", 50), ("regular", 50), ("regular", 3), ("regular", 1), ("libre", 50)]
    return {tier: world.at_tier(*tier) for tier in found}


def _guppy(
    world: World, caller: str, app: Any, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = world.client(caller, app).post(
        "/guppy/graphql", json={"query": query, "variables": variables}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _aggregation(accessibility: str, histogram: str = "") -> str:
    """One demographic aggregation: the total, both numbers' histograms, the text facets."""
    numbers = f"histogram{histogram} {NUMBERS}"
    return (
        f"demographic(filter: $f, accessibility: {accessibility}) {{ _totalCount "
        f"year_of_birth {{ {numbers} }} body_mass_index {{ {numbers} }} "
        "sex_at_birth { histogram { key count } } race { histogram { key count } } "
        "submitter_id { histogram { key count } } project_id { histogram { key count } } }"
    )


def _ask(world: World, caller: str, app: Any, histogram: str = "", f: Any = None) -> dict:
    query = (
        "query ($f: JSON) { _aggregation { "
        f"accessible: {_aggregation('accessible', histogram)} "
        f"unaccessible: {_aggregation('unaccessible', histogram)} "
        f"all: {_aggregation('all', histogram)} }} }}"
    )
    return _guppy(world, caller, app, query, {"f": f})["_aggregation"]


def _keys(answer: dict, facet: str) -> dict[Any, int]:
    return {bucket["key"]: bucket["count"] for bucket in answer[facet]["histogram"]}


# --- private ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "probed", "values"),
    [
        ("anonymous", "a-dem-1", ("1961", "21.5")),
        ("logged_in", "a-dem-1", ("1961", "21.5")),
        ("reader", "zz-b-dem-1", ("1931", "44.4")),
    ],
)
def test_the_reported_probe_learns_nothing_of_an_unreadable_record(
    world: World, tiers: dict, caller: str, probed: str, values: tuple[str, ...]
) -> None:
    """Finding 2's probe: one unreadable record by submitter_id, one bin: its exact values."""
    one_bin = f"histogram(binCount: 1) {NUMBERS}"
    fields = f"{{ _totalCount year_of_birth {{ {one_bin} }} body_mass_index {{ {one_bin} }} }}"
    query = (
        "query ($f: JSON) { _aggregation { "
        f"un: demographic(filter: $f, accessibility: unaccessible) {fields} "
        f"all: demographic(filter: $f, accessibility: all) {fields} }} }}"
    )
    response = world.client(caller, tiers["private", 50]).post(
        "/guppy/graphql",
        json={"query": query, "variables": {"f": {"=": {"submitter_id": probed}}}},
    )
    assert response.status_code == 200, response.text
    for answer in response.json()["data"]["_aggregation"].values():
        assert answer == {
            "_totalCount": 0,
            "year_of_birth": {"histogram": []},
            "body_mass_index": {"histogram": []},
        }
    assert not [value for value in values if value in response.text]


def test_private_bins_and_keys_come_from_readable_data_only(world: World, tiers: dict) -> None:
    found = _ask(world, "reader", tiers["private", 50], "(binCount: 1)")
    assert found["all"] == found["accessible"]
    assert found["accessible"]["year_of_birth"]["histogram"] == [
        {
            "key": [1961, 1988],
            "count": 3,
            "min": 1961,
            "max": 1988,
            "avg": 1974.6666666666667,
            "sum": 5924,
        }
    ]
    assert found["unaccessible"] == {
        "_totalCount": 0,
        **{
            facet: {"histogram": []}
            for facet in ("year_of_birth", "body_mass_index", "sex_at_birth", "race")
        },
        "submitter_id": {"histogram": []},
        "project_id": {"histogram": []},
    }
    assert not [value for value in B_VALUES if value in json.dumps(found)]


# The property: under `private`, random data in the unreadable project changes no answer.

# Ids of A, of B and of the random records (zz-x-1...).
_SUBMITTER_IDS = ("a-dem-1", "a-su-1", "zz-b-dem-1", "zz-x-1", "zz-x-2", "zz-x-4")
_SEXES = ("female", "male", "intersex", "unknown", "not reported")
_RACES = ("Asian", "White", "unknown", "not reported")
_years = st.integers(1900, 2100)
_bmis = st.integers(500, 10_000).map(lambda hundredths: hundredths / 100)
_records = st.lists(
    st.fixed_dictionaries(
        {
            "year_of_birth": st.none() | _years,
            "body_mass_index": st.none() | _bmis,
            "sex_at_birth": st.none() | st.sampled_from(_SEXES),
            "race": st.none() | st.sampled_from(_RACES),
        }
    ),
    min_size=1,
    max_size=4,
)
_leaves = st.one_of(
    st.sampled_from(_SUBMITTER_IDS).map(lambda sid: {"=": {"submitter_id": sid}}),
    st.tuples(st.sampled_from([">=", "<", "="]), _years).map(
        lambda c: {c[0]: {"year_of_birth": c[1]}}
    ),
    st.tuples(st.sampled_from([">", "<="]), _bmis).map(lambda c: {c[0]: {"body_mass_index": c[1]}}),
    st.lists(st.sampled_from(_SEXES), min_size=1, max_size=3).map(
        lambda sexes: {"IN": {"sex_at_birth": sexes}}
    ),
    st.sampled_from(_RACES).map(lambda race: {"!=": {"race": race}}),
    st.sampled_from(["a-su-1", "zz-b-su-1"]).map(
        lambda sid: {"nested": {"path": "subjects", "=": {"submitter_id": sid}}}
    ),
    st.sampled_from(["zz", "a-", "x-2"]).map(
        lambda word: {"search": {"keyword": word, "fields": ["submitter_id"]}}
    ),
)
_filters = st.none() | st.recursive(
    _leaves,
    lambda inner: st.lists(inner, min_size=1, max_size=3).flatmap(
        lambda items: st.sampled_from([{"AND": items}, {"OR": items}])
    ),
    max_leaves=4,
)
_HISTOGRAMS = ("", "(binCount: 1)", "(binCount: 3)", "(rangeStep: 7)")


def _everything(world: World, app: Any, caller: str, f: Any) -> dict[str, Any]:
    """Every answer a caller gets about demographics (and subjects) for filter `f`."""
    client = world.client(caller, app)
    answers: dict[str, Any] = {
        histogram: _ask(world, caller, app, histogram, f) for histogram in _HISTOGRAMS
    }
    nested = {"nested": {"path": "demographics", **(f or {})}}
    answers["subjects"] = _guppy(
        world,
        caller,
        app,
        "query ($f: JSON, $n: JSON, $s: JSON) { _aggregation { "
        "u: demographic(filter: $f, accessibility: unaccessible, filterSelf: false) "
        "{ _totalCount sex_at_birth { histogram { key count } } } "
        "a: demographic(filter: $f, accessibility: all, filterSelf: false) "
        "{ _totalCount sex_at_birth { histogram { key count } } } "
        "s: subject(filter: $n, accessibility: all) { _totalCount species { histogram { key count } } } "
        "n: subject(filter: $n, accessibility: unaccessible) { _totalCount } } "
        "demographic(filter: $f, accessibility: all, first: 100, sort: $s) "
        "{ submitter_id year_of_birth body_mass_index } }",
        {"f": f, "n": nested, "s": [{"submitter_id": "asc"}]},
    )
    for accessibility in ("unaccessible", "all"):
        body = {"type": "demographic", "filter": f, "accessibility": accessibility}
        response = client.post("/guppy/download", json=body)
        assert response.status_code == 200, response.text
        answers[f"download {accessibility}"] = response.json()
    for route in ("dictionary", "projects"):
        response = client.get(f"/api/v0/explore/{route}")
        answers[route] = (response.status_code, response.json())
    return answers


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=_records, f=_filters, caller=st.sampled_from(CALLERS))
def test_private_answers_ignore_unreadable_data(
    world: World, tiers: dict, records: list[dict[str, Any]], f: Any, caller: str
) -> None:
    app = tiers["private", 50]
    without = _everything(world, app, caller, f)
    edge = world.app.state.compiled.dictionary.nodes["demographic"].edges["subjects"]
    rows = [
        {
            **record,
            "id": str(uuid.uuid4()),
            "submitter_id": f"zz-x-{index + 1}",
            "project_id": "other-b",
        }
        for index, record in enumerate(records)
    ]
    world.graph.write(
        "UNWIND $rows AS r MATCH (s:subject {submitter_id: 'zz-b-su-1'}) "
        "CREATE (d:demographic {id: r.id, submitter_id: r.submitter_id, project_id: r.project_id, "
        "year_of_birth: r.year_of_birth, body_mass_index: r.body_mass_index, "
        f"sex_at_birth: r.sex_at_birth, race: r.race}})-[:{edge.relationship}]->(s)",
        {"rows": rows},
    )
    try:
        assert _everything(world, app, caller, f) == without
    finally:
        world.graph.write(
            "MATCH (d:demographic) WHERE d.id IN $ids DETACH DELETE d",
            {"ids": [row["id"] for row in rows]},
        )


# --- regular ----------------------------------------------------------------------------------

HIDDEN_STATS = {"min": None, "max": None, "avg": None, "sum": None}


def test_regular_shows_no_bounds_keys_or_stats_of_unreadable_data(
    world: World, tiers: dict
) -> None:
    app = tiers["regular", 50]
    stats = _ask(world, "reader", app)
    assert stats["all"]["_totalCount"] == stats["unaccessible"]["_totalCount"] == -1
    for accessibility in ("all", "unaccessible"):
        answer = stats[accessibility]
        for facet in ("year_of_birth", "body_mass_index"):
            assert answer[facet]["histogram"] == [{"key": None, "count": -1, **HIDDEN_STATS}]
        for facet in ("submitter_id", "project_id"):  # not enum values: never keys
            assert answer[facet]["histogram"] == []
    assert _keys(stats["all"], "sex_at_birth") == {"female": -1, "intersex": -1, "male": -1}
    # Hidden counts are not ranked by what they hide (White: 3, Asian: 2).
    assert [b["key"] for b in stats["all"]["race"]["histogram"]] == ["Asian", "White"]
    # Default bounds are the readable values' (A: 1961..1988), not B's (1931, 2003).
    one = _ask(world, "reader", app, "(binCount: 1)")
    assert one["all"]["year_of_birth"]["histogram"] == [
        {"key": [1961, 1988], "count": -1, **HIDDEN_STATS}
    ]
    assert one["unaccessible"]["year_of_birth"]["histogram"] == []
    # Bounds the caller gives are theirs to see; the counts in them follow the tier.
    ranged = _ask(world, "reader", app, "(rangeStart: 1900, rangeEnd: 2099, rangeStep: 100)")
    assert ranged["unaccessible"]["year_of_birth"]["histogram"] == [
        {"key": [1900, 2000], "count": -1, **HIDDEN_STATS},
        {"key": [2000, 2100], "count": -1, **HIDDEN_STATS},
    ]
    text = json.dumps([stats, one, ranged])
    assert not [value for value in B_VALUES if value in text and value != "intersex"]


def test_regular_shows_counts_from_the_limit_up_and_nothing_else(world: World, tiers: dict) -> None:
    found = _ask(world, "reader", tiers["regular", 1], "(binCount: 1)")
    assert [found[a]["_totalCount"] for a in ("accessible", "unaccessible", "all")] == [3, 2, 5]
    assert found["all"]["year_of_birth"]["histogram"] == [
        {"key": [1961, 1988], "count": 3, **HIDDEN_STATS}  # B's years lie outside A's bounds
    ]
    assert _keys(found["all"], "sex_at_birth") == {"female": 3, "male": 1, "intersex": 1}
    assert found["all"]["project_id"]["histogram"] == []
    stats = _ask(world, "reader", tiers["regular", 1])
    assert stats["unaccessible"]["body_mass_index"]["histogram"] == [
        {"key": None, "count": 2, **HIDDEN_STATS}
    ]


def test_regular_hides_a_large_count_with_a_small_unreadable_part(
    world: World, tiers: dict
) -> None:
    """5 spanning records, 2 of them B's: shown, 5 less the reader's own 3 would tell B's 2."""
    found = _ask(world, "reader", tiers["regular", 3])
    assert found["accessible"]["_totalCount"] == 3
    assert found["all"]["_totalCount"] == -1
    assert _keys(found["all"], "sex_at_birth") == {"female": -1, "intersex": -1, "male": -1}
    assert _keys(found["all"], "race") == {"Asian": -1, "White": -1}


def test_regular_hides_small_counts_from_anonymous_callers(world: World, tiers: dict) -> None:
    for probed in ("a-dem-1", "zz-b-dem-1"):
        found = _ask(
            world,
            "anonymous",
            tiers["regular", 50],
            "(binCount: 1)",
            {"=": {"submitter_id": probed}},
        )
        assert found["accessible"]["_totalCount"] == 0
        for accessibility in ("unaccessible", "all"):
            assert found[accessibility]["_totalCount"] == -1
            assert found[accessibility]["year_of_birth"]["histogram"] == []


def test_libre_shows_every_aggregation_as_gen3_does(world: World, tiers: dict) -> None:
    found = _ask(world, "reader", tiers["libre", 50])
    assert found["all"]["_totalCount"] == 5
    assert found["all"]["year_of_birth"]["histogram"] == [
        {"key": [1931, 2003], "count": 5, "min": 1931, "max": 2003, "avg": 1971.6, "sum": 9858}
    ]
    assert _keys(found["all"], "project_id") == {"demo-a": 3, "other-b": 2}
    assert found["all"]["submitter_id"]["histogram"] == []  # ids are never keys
