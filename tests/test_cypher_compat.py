"""Every Cypher shape the engine relies on, asserted on results, on every graph backend.

When the engine starts using a new shape, add it here first: this is where a
difference between Neo4j and ArcadeDB shows up, before it shows up in a
feature.
"""

from __future__ import annotations

import pytest
from neo4j.exceptions import ConstraintError

from engine.graph.store import GraphStore


@pytest.fixture
def chain(graph: GraphStore) -> GraphStore:
    """Two subjects, three samples, two aliquots; labels that are Cypher keywords included."""
    graph.write(
        "CREATE CONSTRAINT compat_case_id IF NOT EXISTS FOR (n:`case`) REQUIRE n.id IS UNIQUE"
    )
    graph.write(
        "CREATE CONSTRAINT compat_sample_id IF NOT EXISTS FOR (n:sample) REQUIRE n.id IS UNIQUE"
    )
    graph.write(
        "CREATE CONSTRAINT compat_aliquot_id IF NOT EXISTS FOR (n:aliquot) REQUIRE n.id IS UNIQUE"
    )
    graph.write(
        "UNWIND $rows AS r MERGE (n:`case` {id: r.id}) SET n += r.props",
        {
            "rows": [
                {
                    "id": "c1",
                    "props": {
                        "submitter_id": "case-1",
                        "project_id": "P-A",
                        "age": 40,
                        "tags": ["x", "y"],
                    },
                },
                {
                    "id": "c2",
                    "props": {"submitter_id": "case-2", "project_id": "P-A", "age": 62, "tags": []},
                },
            ]
        },
    )
    graph.write(
        "UNWIND $rows AS r MERGE (n:sample {id: r.id}) SET n += r.props",
        {
            "rows": [
                {
                    "id": f"s{i}",
                    "props": {"submitter_id": f"sample-{i}", "project_id": "P-A", "kind": kind},
                }
                for i, kind in ((1, "Tumor"), (2, "Normal"), (3, "Tumor"))
            ]
        },
    )
    graph.write(
        "UNWIND $rows AS r MERGE (n:aliquot {id: r.id}) SET n += r.props",
        {
            "rows": [
                {"id": f"a{i}", "props": {"submitter_id": f"aliquot-{i}", "project_id": "P-A"}}
                for i in (1, 2)
            ]
        },
    )
    graph.write(
        "UNWIND $rows AS r MATCH (s:sample {id: r.src}) MATCH (c:`case` {id: r.dst}) MERGE (s)-[:CASES]->(c)",
        {
            "rows": [
                {"src": "s1", "dst": "c1"},
                {"src": "s2", "dst": "c1"},
                {"src": "s3", "dst": "c2"},
            ]
        },
    )
    graph.write(
        "UNWIND $rows AS r MATCH (a:aliquot {id: r.src}) MATCH (s:sample {id: r.dst}) MERGE (a)-[:SAMPLES]->(s)",
        {"rows": [{"src": "a1", "dst": "s1"}, {"src": "a2", "dst": "s3"}]},
    )
    return graph


def test_unwind_merge_is_idempotent(chain: GraphStore) -> None:
    chain.write(
        "UNWIND $rows AS r MERGE (n:`case` {id: r.id}) SET n += r.props",
        {"rows": [{"id": "c1", "props": {"age": 41}}]},
    )
    rows = chain.read(
        "MATCH (n:`case`) RETURN n.id AS id, n.age AS age, n.tags AS tags ORDER BY id"
    )
    assert rows == [
        {"id": "c1", "age": 41, "tags": ["x", "y"]},
        {"id": "c2", "age": 62, "tags": []},
    ]


def test_relationship_merge_by_keys_is_idempotent(chain: GraphStore) -> None:
    chain.write(
        "UNWIND $rows AS r MATCH (s:sample {id: r.src}) MATCH (c:`case` {id: r.dst}) MERGE (s)-[:CASES]->(c)",
        {"rows": [{"src": "s1", "dst": "c1"}]},
    )
    assert chain.read("MATCH (:sample)-[r:CASES]->(:`case`) RETURN count(r) AS n") == [{"n": 3}]


def test_set_null_removes_property(chain: GraphStore) -> None:
    chain.write("MATCH (n:`case` {id: $id}) SET n += $props", {"id": "c1", "props": {"age": None}})
    assert chain.read("MATCH (n:`case` {id: 'c1'}) RETURN n.age AS age") == [{"age": None}]


def test_optional_match(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (s:sample) OPTIONAL MATCH (a:aliquot)-[:SAMPLES]->(s) "
        "RETURN s.id AS sample, a.id AS aliquot ORDER BY sample"
    )
    assert rows == [
        {"sample": "s1", "aliquot": "a1"},
        {"sample": "s2", "aliquot": None},
        {"sample": "s3", "aliquot": "a2"},
    ]


def test_variable_length_path(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (a:aliquot)-[*1..3]->(c:`case`) RETURN a.id AS aliquot, c.id AS c ORDER BY aliquot"
    )
    assert rows == [{"aliquot": "a1", "c": "c1"}, {"aliquot": "a2", "c": "c2"}]


def test_exists_and_count_subqueries(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (s:sample) WHERE EXISTS { MATCH (:aliquot)-[:SAMPLES]->(s) } RETURN s.id AS id ORDER BY id"
    )
    assert rows == [{"id": "s1"}, {"id": "s3"}]
    rows = chain.read(
        "MATCH (c:`case`) RETURN c.id AS id, COUNT { MATCH (:sample)-[:CASES]->(c) } AS samples ORDER BY id"
    )
    assert rows == [{"id": "c1", "samples": 2}, {"id": "c2", "samples": 1}]


def test_not_exists_subquery(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (s:sample) WHERE NOT EXISTS { MATCH (:aliquot)-[:SAMPLES]->(s) } RETURN s.id AS id"
    )
    assert rows == [{"id": "s2"}]


def test_map_projection(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (n:`case` {id: $id}) RETURN n {.id, .submitter_id, .age} AS n", {"id": "c2"}
    )
    assert rows == [{"n": {"id": "c2", "submitter_id": "case-2", "age": 62}}]
    rows = chain.read("MATCH (n:`case` {id: $id}) RETURN n {.*} AS n", {"id": "c2"})
    assert rows[0]["n"]["submitter_id"] == "case-2"


def test_order_skip_limit(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (s:sample) RETURN s.id AS id ORDER BY s.submitter_id DESC SKIP $skip LIMIT $limit",
        {"skip": 1, "limit": 1},
    )
    assert rows == [{"id": "s2"}]


def test_call_subquery_per_row(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (c:`case`) CALL (c) { MATCH (s:sample)-[:CASES]->(c) RETURN collect(s.id) AS samples } "
        "RETURN c.id AS id, samples ORDER BY id"
    )
    assert [(r["id"], sorted(r["samples"])) for r in rows] == [("c1", ["s1", "s2"]), ("c2", ["s3"])]


def test_collected_records_imported_by_scope_clauses(chain: GraphStore) -> None:
    """The shape of an aggregation (engine/query/aggregate.py): records collected once, each
    chart a CALL naming what it imports (Neo4j 5 deprecates `CALL { WITH s0 ... }`)."""
    [row] = chain.read(
        "MATCH (c:`case`) WITH collect(c) AS s0, max(c.age) AS high0 "
        "CALL (s0) { UNWIND s0 AS n UNWIND n.tags AS tag WITH tag, count(*) AS count "
        "RETURN collect({key: tag, count: count}) AS r1 } "
        "CALL (s0, high0) { WITH s0, coalesce($low, 0) AS low, high0 AS high "
        "UNWIND s0 AS n WITH n, low, high WHERE n.age >= low AND n.age < high "
        "RETURN count(n) AS r2 } "
        "CALL () { MATCH (n:sample) RETURN count(*) AS r3 } "
        "RETURN size(s0) AS total, r1, r2, r3",
        {"low": None},
    )
    assert sorted(row.pop("r1"), key=lambda bucket: bucket["key"]) == [
        {"key": "x", "count": 1},
        {"key": "y", "count": 1},
    ]
    assert row == {"total": 2, "r2": 1, "r3": 3}


def test_parameter_list_membership_and_string_predicates(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (s:sample) WHERE s.kind IN $kinds AND s.submitter_id STARTS WITH $prefix "
        "AND toLower(s.submitter_id) CONTAINS $part RETURN s.id AS id ORDER BY id",
        {"kinds": ["Tumor"], "prefix": "sample-", "part": "ple-3"},
    )
    assert rows == [{"id": "s3"}]


def test_count_distinct_and_grouping(chain: GraphStore) -> None:
    rows = chain.read("MATCH (s:sample) RETURN s.kind AS kind, count(s) AS n ORDER BY kind")
    assert rows == [{"kind": "Normal", "n": 1}, {"kind": "Tumor", "n": 2}]
    rows = chain.read(
        "MATCH (a:aliquot)-[:SAMPLES]->(:sample)-[:CASES]->(c:`case`) RETURN count(DISTINCT c) AS n"
    )
    assert rows == [{"n": 2}]


def test_labels_and_detach_delete(chain: GraphStore) -> None:
    assert chain.read("MATCH (n {id: 'a1'}) RETURN labels(n) AS labels") == [
        {"labels": ["aliquot"]}
    ]
    chain.write("MATCH (n:sample {id: 's1'}) DETACH DELETE n")
    assert chain.read("MATCH (:aliquot)-[r:SAMPLES]->() RETURN count(r) AS n") == [{"n": 1}]


def test_uniqueness_constraint_rejects_duplicate(chain: GraphStore) -> None:
    with pytest.raises(ConstraintError):
        chain.write("CREATE (:`case` {id: 'c1'})")
    assert chain.read("MATCH (n:`case` {id: 'c1'}) RETURN count(n) AS n") == [{"n": 1}]


def test_failed_transaction_rolls_back_every_statement(chain: GraphStore) -> None:
    def work(tx):
        tx.run("CREATE (:sample {id: 'new-1', submitter_id: 'x'})")
        tx.run("CREATE (:sample {id: 'new-2', submitter_id: 'y'})")
        tx.run("CREATE (:`case` {id: 'c1'})")  # violates the constraint

    with pytest.raises(ConstraintError):
        chain.execute_write(work)
    assert chain.read("MATCH (s:sample) WHERE s.id STARTS WITH 'new' RETURN count(s) AS n") == [
        {"n": 0}
    ]


def test_exception_in_python_rolls_back(chain: GraphStore) -> None:
    def work(tx):
        tx.run("CREATE (:sample {id: 'new-3'})")
        raise RuntimeError("write failed half way")

    with pytest.raises(RuntimeError):
        chain.execute_write(work)
    assert chain.read("MATCH (s:sample {id: 'new-3'}) RETURN count(s) AS n") == [{"n": 0}]


def test_pattern_comprehension_with_map_projection(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (s:sample) RETURN s.id AS id, [(s)-[:CASES]->(c:`case`) | c {.id, .submitter_id}] AS cases "
        "ORDER BY id"
    )
    assert rows[0] == {"id": "s1", "cases": [{"id": "c1", "submitter_id": "case-1"}]}


def test_call_union_all_across_labels(chain: GraphStore) -> None:
    rows = chain.read(
        "CALL () { MATCH (n:`case`) WHERE n.id IN $ids RETURN n.id AS id, 'case' AS type "
        "UNION ALL MATCH (n:sample) WHERE n.id IN $ids RETURN n.id AS id, 'sample' AS type } "
        "RETURN id, type ORDER BY id",
        {"ids": ["c2", "s1", "zz"]},
    )
    assert rows == [{"id": "c2", "type": "case"}, {"id": "s1", "type": "sample"}]


def test_unwind_equality_lookup(chain: GraphStore) -> None:
    rows = chain.read(
        "UNWIND $keys AS key MATCH (n:sample) WHERE n.submitter_id = key AND n.project_id = $p "
        "RETURN n.id AS id ORDER BY id",
        {"keys": ["sample-1", "sample-3", "nope"], "p": "P-A"},
    )
    assert rows == [{"id": "s1"}, {"id": "s3"}]


def test_unwind_lookups_in_union_branches_collected(chain: GraphStore) -> None:
    """An index seek per key in every branch: `IN $ids` would scan each label on ArcadeDB."""
    rows = chain.read(
        "CALL () { UNWIND $ids AS key MATCH (n:`case`) WHERE n.id = key RETURN n.id AS id "
        "UNION ALL UNWIND $ids AS key MATCH (n:sample) WHERE n.id = key RETURN n.id AS id } "
        "RETURN collect(id) AS found",
        {"ids": ["c2", "s1", "zz"]},
    )
    assert sorted(rows[0]["found"]) == ["c2", "s1"]


def test_create_with_map_then_create_relationship(chain: GraphStore) -> None:
    chain.write(
        "UNWIND $rows AS r CREATE (n:aliquot) SET n = r.props, n.id = r.id, n.project_id = $p",
        {"rows": [{"id": "a9", "props": {"submitter_id": "aliquot-9", "skip": None}}], "p": "P-A"},
    )
    chain.write(
        "UNWIND $pairs AS p MATCH (a:aliquot {id: p.source}) MATCH (s:sample {id: p.target}) "
        "CREATE (a)-[:SAMPLES]->(s)",
        {"pairs": [{"source": "a9", "target": "s2"}]},
    )
    rows = chain.read("MATCH (a:aliquot {id: 'a9'})-[:SAMPLES]->(s) RETURN a {.*} AS a, s.id AS s")
    assert rows == [
        {"a": {"id": "a9", "submitter_id": "aliquot-9", "project_id": "P-A"}, "s": "s2"}
    ]


def test_on_create_flag_then_remove(chain: GraphStore) -> None:
    query = (
        "MERGE (p:Program {id: $id}) ON CREATE SET p._new = true SET p.name = $id "
        "WITH p, coalesce(p._new, false) AS created REMOVE p._new RETURN created"
    )
    assert chain.write(query, {"id": "prog"}) == [{"created": True}]
    assert chain.write(query, {"id": "prog"}) == [{"created": False}]
    chain.write("MATCH (p:Program) DETACH DELETE p")


def test_variable_length_dependents(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (n:`case`) WHERE n.id IN $ids MATCH (n)<-[*1..]-(c) "
        "RETURN DISTINCT c.id AS id, labels(c)[0] AS type ORDER BY id",
        {"ids": ["c1"]},
    )
    assert rows == [
        {"id": "a1", "type": "aliquot"},
        {"id": "s1", "type": "sample"},
        {"id": "s2", "type": "sample"},
    ]


def test_one_statement_of_root_calls_with_nested_pages(chain: GraphStore) -> None:
    """The shape of a GraphQL request (engine/query/cypher.py): one CALL per root field."""
    rows = chain.read(
        "CALL () { MATCH (c:`case`) WITH c ORDER BY c.id DESC LIMIT $two "
        "CALL (c) { MATCH (c)<-[:CASES]-(s:sample) WITH s ORDER BY s.id DESC LIMIT $one "
        "RETURN collect(s {`p_id`: s.id, n: COUNT { MATCH (s)<-[:SAMPLES]-(a:aliquot) "
        "WHERE a.project_id IN $projects }}) AS k } "
        "RETURN collect(c {`p_id`: c.id, samples: k}) AS r0 } "
        "CALL () { MATCH (s:sample) WHERE s.kind IN $kinds RETURN count(s) AS r1 } "
        "RETURN r0, r1",
        {"two": 2, "one": 1, "projects": ["P-A"], "kinds": ["Tumor"]},
    )
    assert rows == [
        {
            "r0": [
                {"p_id": "c2", "samples": [{"p_id": "s3", "n": 1}]},
                {"p_id": "c1", "samples": [{"p_id": "s2", "n": 0}]},
            ],
            "r1": 2,
        }
    ]


def test_typed_variable_length_exists_and_list_predicates(chain: GraphStore) -> None:
    rows = chain.read(
        "MATCH (a:aliquot) WHERE EXISTS { MATCH (a)-[:`SAMPLES`|`CASES`*1..2]->(c:`case`) "
        "WHERE c.age > $age } AND NOT coalesce(a.id IN $not, false) RETURN a.id AS id",
        {"age": 50, "not": ["a1"]},
    )
    assert rows == [{"id": "a2"}]
    rows = chain.read(
        "MATCH (c:`case`) WHERE all(t IN $all WHERE t IN c.tags) "
        "AND any(t IN coalesce(c.tags, []) WHERE t IN $any) "
        "AND toLower(toString(c.age)) CONTAINS $text RETURN c.id AS id",
        {"all": ["y"], "any": ["x"], "text": "4"},
    )
    assert rows == [{"id": "c1"}]


def test_union_all_cut_per_branch_then_paged(chain: GraphStore) -> None:
    rows = chain.read(
        "CALL () { CALL () { MATCH (n:sample) WITH n ORDER BY n.id LIMIT 2 RETURN n "
        "UNION ALL MATCH (n:aliquot) WITH n ORDER BY n.id LIMIT 2 RETURN n } "
        "WITH n ORDER BY n.id SKIP 1 LIMIT 2 "
        "RETURN collect(n {label: labels(n)[0], `p_id`: n.id, "
        "c: COUNT { MATCH (n:sample)<-[:SAMPLES]-(x:aliquot) }}) AS r0 } RETURN r0"
    )
    assert rows == [
        {
            "r0": [
                {"label": "aliquot", "p_id": "a2", "c": 0},
                {"label": "sample", "p_id": "s1", "c": 1},
            ]
        }
    ]
