"""The OpenAPI contract: valid OpenAPI 3.1, the routes the app mounts exactly, and /docs offline.

The app's routes are walked here on their own terms (not with the
generator's walk): every path and method served must be in the document,
and every operation a family's contract table describes must be served, so
neither side can drift from the other.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import engine.api
from engine.api.openapi import Contract

CHROMIUM = Path("/usr/bin/chromium")


def served(routes: list[BaseRoute], prefix: str = "") -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every route, mounts walked; HEAD, which Starlette adds to every
    GET, aside. A mount of static files serves GET `<mount>/{file}`."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            found.add((f"{prefix}{route.path}/{{file}}", "GET"))
        elif isinstance(route, Mount):
            found |= served(route.routes, prefix + route.path)
        else:
            assert isinstance(route, Route), route
            path = re.sub(r"{(\w+):\w+}", r"{\1}", prefix + route.path)
            found |= {(path, method) for method in route.methods or {"GET"} if method != "HEAD"}
    return found


def documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in doc["paths"].items() for method in item}


@pytest.fixture
def doc(api) -> dict[str, Any]:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1.")
    errors = [error.message for error in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert errors == []


def test_every_route_is_documented_and_every_documented_route_is_served(api, doc) -> None:
    mounted = served(api.app.routes)
    assert len(mounted) > 150
    assert sorted(mounted - documented(doc)) == []
    assert sorted(documented(doc) - mounted) == []


def _contracts() -> list[Contract]:
    modules = (
        importlib.import_module(f"engine.api.{info.name}")
        for info in pkgutil.iter_modules(engine.api.__path__)
    )
    return [module.CONTRACT for module in modules if hasattr(module, "CONTRACT")]


def _handlers(routes: list[BaseRoute]) -> set[tuple[Any, str]]:
    found: set[tuple[Any, str]] = set()
    for route in routes:
        if isinstance(route, Mount):
            found |= {(StaticFiles, "GET")} if isinstance(route.app, StaticFiles) else set()
            found |= _handlers(route.routes)
        elif isinstance(route, Route):
            handler = getattr(route.endpoint, "__wrapped__", route.endpoint)
            found |= {(handler, method) for method in route.methods or () if method != "HEAD"}
    return found


def test_every_operation_a_contract_describes_is_served(api) -> None:
    """A handler or method dropped from the routes and left in its table would vanish from the
    document silently; this catches it."""
    routed = _handlers(api.app.routes)
    described = {
        (handler, method)
        for contract in _contracts()
        for handler, methods in contract.operations.items()
        for method in methods
    }
    assert len(_contracts()) >= 11
    stale = sorted(f"{getattr(h, '__name__', h)} {m}" for h, m in described - routed)
    assert stale == []


def test_node_types_and_models_come_from_the_dictionary_and_the_code(api, doc) -> None:
    schemas = doc["components"]["schemas"]
    assert schemas["NodeType"]["enum"] == list(api.app.state.compiled.dictionary.nodes)
    # indexd's record, from the dataclass: every field but Commons' own two, each present.
    record = schemas["IndexRecord"]
    assert "storage_key" not in record["properties"] and "pending" not in record["properties"]
    assert set(record["required"]) == set(record["properties"]) >= {"did", "rev", "hashes"}
    # DRS's object, from its TypedDict: what DRS leaves optional is not required.
    assert "access_methods" not in schemas["DrsObject"]["required"]
    assert {"id", "self_uri", "size", "checksums"} <= set(schemas["DrsObject"]["required"])
    # Errors answer in the shape of the API at the path.
    drs_404 = doc["paths"]["/ga4gh/drs/v1/objects/{object_id}"]["get"]["responses"]["404"]
    index_404 = doc["paths"]["/index/index/{did}"]["get"]["responses"]["404"]
    assert drs_404["content"]["application/json"]["schema"]["$ref"].endswith("/DrsProblem")
    assert index_404["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")


def test_a_status_both_answered_and_errored_may_be_either_body(doc) -> None:
    """A submission's 400 is its transaction answer (invalid entities) or an error (a malformed
    project name, a body that is not JSON): the fuzz run's first finding."""
    post = doc["paths"]["/api/v0/submission/{program}/{project}"]["post"]["responses"]["400"]
    either = post["content"]["application/json"]["schema"]["anyOf"]
    assert [s["$ref"].rsplit("/", 1)[1] for s in either] == ["SubmissionJSON", "Problem"]


def test_graphql_endpoints_are_posts_with_a_request_body(doc) -> None:
    for path in ("/api/v0/submission/graphql", "/v0/submission/graphql", "/guppy/graphql"):
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["$ref"].endswith("/GraphQLRequest")
    request = doc["components"]["schemas"]["GraphQLRequest"]
    assert request["required"] == ["query"]


def test_docs_use_only_local_files(api) -> None:
    """Every file /docs names is served by Commons, and Swagger UI's online validator is off."""
    page = api.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "validatorUrl: null" in page.text
    linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(linked) >= 3
    for link in linked:
        assert "://" not in link and not link.startswith("//"), link
        assert api.get(f"/{link}").status_code == 200, link
    assert 'url: "openapi.json"' in page.text


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (make test installs it)")
def test_docs_render_in_a_browser_without_a_network(live_commons) -> None:
    """Swagger UI shows every operation with every request off the server refused."""
    playwright = pytest.importorskip("playwright.sync_api")
    url = live_commons["COMMONS_PUBLIC_URL"]
    operations = len(documented(httpx.get(f"{url}/openapi.json").json()))
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.route("**/*", only_local)
            page.goto(f"{url}/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            assert page.locator(".opblock").count() == operations
            assert "Commons" in page.locator(".title").first.inner_text()
        finally:
            browser.close()
    assert elsewhere == []
    assert problems == []


# Findings of the fuzz run (tests/test_fuzz_api.py), each held here.


@pytest.mark.parametrize(
    "path",
    [
        "/api/v0/submission/demo/a%0Ab/manifest",  # a line break: the mount's `.*` stops at it
        "/user/data/download/a%0Ab",  # a `path` parameter's `.*` too
        "/no/such/route",
        "/dashboard/no-such-file.js",  # static files
    ],
)
def test_a_path_no_route_takes_answers_the_contract_error_body(api, path: str) -> None:
    """The router's own 404 was Starlette's plain text, which no operation documents: any path,
    however malformed, answers an error body naming what was asked."""
    response = api.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == 404
    assert response.json()["message"].startswith("Not Found: GET /")
