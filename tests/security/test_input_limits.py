"""Input that Python takes but the stores cannot, or that asks for too much: a 4xx, never a 500.

Every route that takes a body is sent, as JSON, a document nested 10,000
deep, a 5,000-digit number, an integer past 64 bits and a lone surrogate;
the routes are read from the app's own route table, so a new route is
covered when it is added. Each must answer 4xx and leave the graph as it
was. Then the GraphQL APIs' limits (fields, filters, list arguments, node
types that do not exist), numbers past what a graph property holds, the
body limit on forms, and what a real uvicorn server answers to a URL or a
body too long to read.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.child_process import free_port
from engine.config import load_settings
from engine.dictionary.compile import CompiledDictionary
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.graphql.document import selected_fields
from engine.objects.index import DDL as RECORD_DDL
from engine.objects.store import ObjectStore
from engine.query.limits import MAX_FILTER_DEPTH, MAX_FILTER_TERMS
from engine.serve import uvicorn_config
from engine.stores import Stores
from engine.submission.transaction_log import COUNTER
from engine.submission.transaction_log import LABEL as LOG
from tests.auth_fixture import as_admin

BASE = "/api/v0/submission"
GRAPHQL = f"{BASE}/graphql"
GUPPY = "/guppy/graphql"
PROGRAM, PROJECT = "sec", "inputs"
MD5 = "5d41402abc4b2a76b9719d911017c592"
LIMIT_MB = 1
MAX_FIELDS = 500  # GRAPHQL_MAX_FIELDS's default


@dataclass(frozen=True)
class World:
    client: TestClient  # an admin's, showing a 500 as a 500 rather than raising
    entity: str  # the subject's id
    record: dict[str, str]  # the index record's did and rev


@pytest.fixture(scope="module")
def world(
    graph_store: GraphStore,
    seaweedfs_store: ObjectStore,
    compiled_default: CompiledDictionary,
    tmp_path_factory: pytest.TempPathFactory,
) -> World:
    """The app over an emptied graph holding a project with a study, a subject and an index
    record."""
    graph_store.write("MATCH (n) DETACH DELETE n")
    apply_ddl(graph_store, compiled_default.ddl + RECORD_DDL)
    settings = load_settings(
        environ={
            "COMMONS_CONFIG": "/nonexistent.yaml",
            "COMMONS_MAX_BODY_MB": str(LIMIT_MB),
            "COMMONS_DATA_DIR": str(tmp_path_factory.mktemp("data")),
            "COMMONS_PUBLIC_URL": "http://testserver",
        }
    )
    app = create_app(Stores(graph_store, seaweedfs_store), settings, compiled_default)
    client = as_admin(TestClient(app, raise_server_exceptions=False))
    program = {"type": "program", "name": PROGRAM, "dbgap_accession_number": "phs1"}
    project = {"type": "project", "code": PROJECT, "name": "inputs", "dbgap_accession_number": "p"}
    entities = [
        {
            "type": "study",
            "submitter_id": "st",
            "study_design": "Cohort",
            "projects": {"code": PROJECT},
        },
        {"type": "subject", "submitter_id": "su", "studies": {"submitter_id": "st"}},
    ]
    for path, body in ((f"{BASE}/", program), (f"{BASE}/{PROGRAM}", project)):
        assert client.put(path, json=body).status_code == 200
    answer = client.put(f"{BASE}/{PROGRAM}/{PROJECT}", json=entities)
    assert answer.status_code == 200, answer.text
    record = client.post(
        "/index/index",
        json={"size": 5, "hashes": {"md5": MD5}, "file_name": "a.txt", "authz": ["/programs/sec"]},
    )
    assert record.status_code == 200, record.text
    return World(client, answer.json()["entities"][1]["id"], record.json())


@pytest.fixture
def client(world: World) -> TestClient:
    return world.client


def snapshot(graph: GraphStore) -> list[str]:
    """Everything the graph holds, to tell that a request wrote nothing (the transaction log
    aside: a submission refused as a whole is recorded there, as sheepdog records it)."""
    nodes = graph.read(
        f"MATCH (n) WHERE NOT n:{LOG} AND NOT n:{COUNTER} "
        "RETURN labels(n) AS labels, properties(n) AS props"
    )
    links = graph.read("MATCH (a)-[r]->(b) RETURN type(r) AS type, a.id AS a, b.id AS b")
    return sorted(repr(sorted(row.items())) for row in nodes + links)


# Every route that takes a body ----------------------------------------------------------

WRITES = ("POST", "PUT", "PATCH")
# Routes whose POST or PUT reads no body: they answer as they would without one.
NO_BODY = ("/open", "/open/_dry_run", "/objects/{object_id:path}", "/access/{access_id}")
BAD_BODIES = {
    "nested 10,000 deep": b"[" * 10_000 + b"]" * 10_000,
    "a 5,000-digit number": b'{"n": ' + b"7" * 5_000 + b"}",
    "an integer past 64 bits": b'{"size": 1180591620717411303424, "hashes": {"md5": "x"}}',
    "a lone surrogate": b'{"type": "subject", "submitter_id": "\\ud800", "query": "\\ud800"}',
}


def body_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route of the app that may take a body."""
    for route in routes:
        if isinstance(route, Mount):
            yield from body_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted(set(route.methods or ()) & set(WRITES)):
                yield method, prefix + route.path


def concrete(path: str, world: World) -> str:
    """The path with its parameters filled with things that exist, so only the body is wrong."""
    values = {
        "program": PROGRAM,
        "project": PROJECT,
        "ids": world.entity,
        "id": world.entity,
        "node": "subject",
        "type": "subject",
        "access_id": "s3",
    }
    did = world.record["did"]
    filled = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m[1], did), path)
    return f"{filled}?rev={world.record['rev']}"


@pytest.mark.parametrize("kind", list(BAD_BODIES))
def test_every_body_route_refuses_what_the_stores_cannot_take(
    world: World, graph_store: GraphStore, kind: str
) -> None:
    client = world.client
    routes = list(body_routes(client.app.routes))  # type: ignore[attr-defined]
    assert len(routes) > 40  # the table was read, not an empty list
    failures = []
    for method, path in routes:
        before = snapshot(graph_store)
        response = client.request(
            method,
            concrete(path, world),
            content=BAD_BODIES[kind],
            headers={"content-type": "application/json"},
        )
        reads_body = not path.endswith(NO_BODY)
        if (response.status_code != 400 if reads_body else response.status_code >= 500) or (
            snapshot(graph_store) != before
        ):
            failures.append(f"{method} {path}: {response.status_code} {response.text[:160]}")
    assert not failures, "\n".join(failures)


def test_the_refusals_name_the_problem(client: TestClient) -> None:
    said = {
        kind: client.post("/index/index", content=body).json()["message"]
        for kind, body in BAD_BODIES.items()
    }
    assert said["nested 10,000 deep"].startswith("the body is not valid JSON: depth limit")
    assert said["a 5,000-digit number"].startswith("the body is not valid JSON: number is")
    assert (
        "1180591620717411303424, which does not fit in 64 bits" in said["an integer past 64 bits"]
    )
    assert "surrogate" in said["a lone surrogate"]
    nested = b"[" * 65 + b"]" * 65
    assert client.post("/index/index", content=nested).json()["message"] == (
        "the body nests deeper than 64 levels of objects and lists"
    )


def test_export_takes_an_object_of_parameters(client: TestClient) -> None:
    export = f"{BASE}/{PROGRAM}/{PROJECT}/export"
    for body, message in (
        ([1, 2], "the body must be a JSON object"),
        ("ids", "the body must be a JSON object"),
        ({"ids": 5}, "ids must be a comma-separated text or a list of ids"),
        ({"node_label": ["subject"]}, "dictionary does not have node with type ['subject']"),
    ):
        response = client.post(export, json=body)
        assert response.status_code == 400, response.text
        assert response.json()["message"] == message
    assert client.post(export, json={"node_label": "subject"}).status_code == 200


def test_submissions_refuse_integers_past_64_bits(
    client: TestClient, graph_store: GraphStore
) -> None:
    before = snapshot(graph_store)
    subject = {"type": "subject", "submitter_id": "big", "studies": {"submitter_id": "st"}}
    for number in (2**63, -(2**63) - 1, 2**70):
        response = client.put(f"{BASE}/{PROGRAM}/{PROJECT}", json={**subject, "age": number})
        assert response.status_code == 400, response.text
        assert "does not fit in 64 bits" in response.json()["message"]
    assert snapshot(graph_store) == before


# Numbers past what a graph property holds, in index records -----------------------------


def test_index_sizes_beyond_64_bits_are_refused(
    client: TestClient, graph_store: GraphStore
) -> None:
    before = snapshot(graph_store)
    for size in (2**63, 2**70):
        body = {"size": size, "hashes": {"md5": MD5}, "authz": ["/programs/sec"]}
        response = client.post("/index/index", json=body)
        assert response.status_code == 400, response.text
        assert f"integer {size}, which does not fit in 64 bits" in response.json()["message"]
    for query, message in (
        (f"size={2**70}", "size must be a whole number from 0 to 9223372036854775807"),
        (f"size={'9' * 5000}", "size must be a whole number from 0 to 9223372036854775807"),
        (f"size={2**63}", "size must be at most 9223372036854775807"),
        (f"page={2**62}", "page must be at most 9007199254740991"),
    ):
        response = client.get(f"/index/index?{query}")
        assert response.status_code == 400, response.text
        assert response.json()["message"].startswith(message)
    assert snapshot(graph_store) == before


# GraphQL: fields, node types, list arguments, filters -----------------------------------


def graphql(client: TestClient, path: str, text: str, variables: Any = None) -> Any:
    return client.post(path, json={"query": text, "variables": variables})


def first_error(response: Any) -> str:
    """The first message of a 400: peregrine's are strings, guppy's objects, a body's a problem."""
    assert response.status_code == 400, response.text
    body = response.json()
    if "errors" not in body:
        return body["message"]
    error = body["errors"][0]
    return error if isinstance(error, str) else error["message"]


def test_unknown_node_types_answer_an_empty_list(client: TestClient) -> None:
    for text in (
        '{ node(of_type: ["nosuchtype"]) { id } }',
        "{ node(of_type: []) { id } }",
        '{ datanode(category: "nosuch") { id } }',
        '{ node(category: "nosuch", of_type: ["subject"]) { id } }',
    ):
        response = graphql(client, GRAPHQL, text)
        assert response.status_code == 200, response.text
        assert response.json()["data"] in ({"node": []}, {"datanode": []})
    found = graphql(client, GRAPHQL, '{ node(of_type: ["subject"]) { type } }')
    assert found.json()["data"] == {"node": [{"type": "subject"}]}


def aliases(count: int, field: str) -> str:
    return "{" + " ".join(f"a{i}: {field}" for i in range(count)) + "}"


@pytest.mark.parametrize(("path", "field"), [(GRAPHQL, "_subject_count"), (GUPPY, "__typename")])
def test_a_document_selects_at_most_max_fields(client: TestClient, path: str, field: str) -> None:
    assert graphql(client, path, aliases(MAX_FIELDS, field)).status_code == 200
    for count in (MAX_FIELDS + 1, 1_000, 5_000):
        started = time.monotonic()
        message = first_error(graphql(client, path, aliases(count, field)))
        assert f"more than {MAX_FIELDS} fields" in message and "GRAPHQL_MAX_FIELDS" in message
        assert time.monotonic() - started < 3  # refused before validation, not after 10 s of it


def test_fields_of_fragments_count_each_time_they_are_spread(client: TestClient) -> None:
    # 2**20 fields in a few lines: each fragment spreads the one before twice.
    fragments = " ".join(
        f"fragment F{i} on subject {{ a: submitter_id ...F{i - 1} ...F{i - 1} }}"
        for i in range(1, 20)
    )
    text = "{ subject { ...F19 } } fragment F0 on subject { id } " + fragments
    response = graphql(client, GRAPHQL, text)
    assert response.status_code == 400
    assert "GRAPHQL_MAX_FIELDS" in response.json()["errors"][0]


def test_introspection_fits_within_the_fields_limit(client: TestClient) -> None:
    from graphql import get_introspection_query, parse

    text = get_introspection_query(descriptions=True)
    assert selected_fields(parse(text), MAX_FIELDS) <= MAX_FIELDS
    assert graphql(client, GRAPHQL, text).status_code == 200
    assert graphql(client, GUPPY, text).status_code == 200


def test_path_arguments_are_bounded(client: TestClient) -> None:
    entries = ", ".join(f'{{type: "study", submitter_id: "s{i}"}}' for i in range(2_000))
    for argument in ("with_path_to_any", "with_path_to", "without_path_to"):
        response = graphql(client, GRAPHQL, f"{{ subject({argument}: [{entries}]) {{ id }} }}")
        assert response.status_code == 400, response.text
        message = response.json()["errors"][0]
        assert message.startswith(f"{argument}: ") and "conditions, more than the limit" in message
    few = ", ".join(f'{{type: "study", submitter_id: "st{i}"}}' for i in range(20))
    text = f'{{ subject(with_path_to_any: [{few}, {{type: "study"}}]) {{ submitter_id }} }}'
    assert graphql(client, GRAPHQL, text).json() == {"data": {"subject": [{"submitter_id": "su"}]}}


def nested_filter(depth: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"=": {"submitter_id": "su"}}
    for _ in range(depth):
        spec = {"AND": [spec]}
    return spec


@pytest.mark.parametrize("path", [GRAPHQL, GUPPY])
def test_filters_nest_at_most_max_filter_depth(client: TestClient, path: str) -> None:
    text = "query ($f: JSON) { subject(filter: $f) { submitter_id } }"
    fits = graphql(client, path, text, {"f": nested_filter(MAX_FILTER_DEPTH - 1)})
    assert fits.status_code == 200 and fits.json()["data"]["subject"] == [{"submitter_id": "su"}]
    for depth, message in (
        (MAX_FILTER_DEPTH, f"filter: filters nest more than {MAX_FILTER_DEPTH} deep"),
        (40, "the body nests deeper than 64 levels"),
        (300, "the body nests deeper than 64 levels"),
    ):
        said = first_error(graphql(client, path, text, {"f": nested_filter(depth)}))
        assert said.startswith(message), said


def test_filters_written_in_the_query_nest_at_most_max_filter_depth(client: TestClient) -> None:
    literal = '{eq: {submitter_id: "su"}}'
    for _ in range(90):  # 180 levels of objects and lists: graphql-core's parser takes 200
        literal = f"{{AND: [{literal}]}}"
    response = graphql(client, GUPPY, f"{{ subject(filter: {literal}) {{ submitter_id }} }}")
    assert f"filters nest more than {MAX_FILTER_DEPTH} deep" in first_error(response)
    dotted = ".".join(["samples", "subjects"] * 1_500)  # a link and its way back, 3,000 times
    response = graphql(
        client, GUPPY, f'{{ subject(filter: {{nested: {{path: "{dotted}"}}}}) {{ submitter_id }} }}'
    )
    assert f"filters nest more than {MAX_FILTER_DEPTH} deep" in first_error(response)


def test_a_filter_of_too_many_conditions_is_refused(client: TestClient) -> None:
    spec = {"OR": [{"=": {"submitter_id": f"s{i}"}} for i in range(MAX_FILTER_TERMS + 1)]}
    response = graphql(
        client, GUPPY, "query ($f: JSON) { subject(filter: $f) { id } }", {"f": spec}
    )
    assert first_error(response).startswith(
        f"filter: {MAX_FILTER_TERMS + 1} conditions, more than the limit"
    )


@pytest.mark.parametrize(
    "written",
    [
        "{gt: {weight_mg: 1e309}}",
        "{lt: {weight_mg: -1e309}}",
        '"{\\"gt\\": {\\"weight_mg\\": NaN}}"',
        '"{\\"IN\\": {\\"weight_mg\\": [1, Infinity]}}"',
    ],
)
def test_guppy_filters_refuse_numbers_that_are_not_finite(client: TestClient, written: str) -> None:
    response = graphql(client, GUPPY, f"{{ sample(filter: {written}) {{ submitter_id }} }}")
    message = first_error(response)
    refusals = ("filter: weight_mg: inf is", "filter: weight_mg: -inf is", "`filter` is not valid")
    assert message.startswith(refusals), message


def test_property_filters_refuse_numbers_that_are_not_finite(client: TestClient) -> None:
    response = graphql(client, GRAPHQL, "{ sample(weight_mg: [1, 1e309]) { id } }")
    assert response.json()["errors"] == ["weight_mg: inf is not a finite number"]


def test_non_finite_numbers_in_variables_are_refused(client: TestClient) -> None:
    for number in ("NaN", "Infinity", "1e309"):
        body = (
            '{"query": "query ($f: JSON) { sample(filter: $f) { id } }", '
            f'"variables": {{"f": {{">": {{"weight_mg": {number}}}}}}}}}'
        )
        response = client.post(GUPPY, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["message"].startswith("the body is not valid JSON")


def test_variables_as_json_text_are_read_as_every_body_is(client: TestClient) -> None:
    text = "query ($s: [String]) { subject(submitter_id: $s) { id } }"
    for variables, message in (
        ('{"s": ["\\ud800"]}', "`variables` is not valid JSON"),
        ('{"s": ' + "[" * 100 + "]" * 100 + "}", "`variables` nests deeper than 64 levels"),
        ('{"s": [1180591620717411303424]}', "`variables` holds the integer"),
    ):
        response = graphql(client, GRAPHQL, text, variables)
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0].startswith(message)


# The body limit on forms, and what uvicorn answers ---------------------------------------

TOKEN = "/user/credentials/cdis/access_token"


def test_form_bodies_are_held_to_the_body_limit(client: TestClient) -> None:
    half = "x" * (LIMIT_MB * 1024 * 1024 // 2 + 1)
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    response = anonymous.post(TOKEN, data={"api_key": "nope", "a": half, "b": half})
    assert response.status_code == 413, response.text
    assert "COMMONS_MAX_BODY_MB" in response.json()["message"]
    response = anonymous.post(
        TOKEN, files={"a": (None, half), "b": (None, half), "api_key": (None, "nope")}
    )
    assert response.status_code == 413, response.text
    assert anonymous.post(TOKEN, data={"api_key": "nope"}).status_code == 401


@contextmanager
def serving(client: TestClient) -> Iterator[int]:
    """The app, served by uvicorn as `commons serve` configures it, on a free port."""
    port = free_port()
    server = uvicorn.Server(uvicorn_config(client.app, "127.0.0.1", port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(5)


def answer_to(port: int, head: bytes) -> bytes:
    """What the server answers, within 5 s, to a request that stops after `head`."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head)
        return sock.recv(4096)


def test_an_over_limit_content_length_is_answered_at_once(client: TestClient) -> None:
    with serving(client) as port:
        for content_type in ("application/x-www-form-urlencoded", "application/json"):
            head = (
                f"POST {TOKEN} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {500 * 1024 * 1024}\r\n\r\napi_key="
            ).encode()
            assert answer_to(port, head).startswith(b"HTTP/1.1 413 "), content_type


def test_a_url_or_headers_too_long_are_answered_not_reset(client: TestClient) -> None:
    with serving(client) as port:
        for path, headers, status in (
            ("/_status?" + "a" * 1_000_000, {}, 414),
            ("/_status", {f"x-h{i}": "v" * 1000 for i in range(1_000)}, 431),
        ):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            assert response.status == status
            assert b"longer than 65536 bytes" in response.read()
            connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/_status?" + "a" * 30_000)
        assert connection.getresponse().status == 200


def test_the_admin_policy_refuses_yaml_too_deep_or_numbers_too_long(client: TestClient) -> None:
    for body in (b"[" * 10_000 + b"]" * 10_000, b"authz: " + b"7" * 5_000):
        response = client.put("/admin/policy", content=body, headers={"content-type": "text/yaml"})
        assert response.status_code == 400, response.text
        assert response.json()["message"].startswith("body is neither JSON nor YAML")
