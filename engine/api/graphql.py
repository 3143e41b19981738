"""Peregrine's query API: `POST .../graphql`, `GET .../getschema`, and GraphiQL at `/graphql`.

The GraphQL service is built from the app's compiled dictionary on first
use and kept on the app. A query runs in a worker thread (the store driver
blocks) under GRAPHQL_TIMEOUT_S: past it the client is answered with an
error at once, and the statement is left to finish on its own (Neo4j
also ends it server-side; the embedded ArcadeDB has no such control).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from engine.api.submission import PREFIXES, read_body
from engine.graphql.execute import GraphQLAnswer, QueryService, failed
from engine.query.limits import Limits

GRAPHIQL = Path(__file__).resolve().parent.parent / "web" / "graphiql"
_BUILDING = threading.Lock()


def query_service(app: Starlette) -> QueryService:
    """The app's GraphQL service, built once (it takes about a second for a large dictionary)."""
    service = getattr(app.state, "graphql", None)
    if service is None:
        with _BUILDING:
            service = getattr(app.state, "graphql", None)
            if service is None:
                service = QueryService(
                    app.state.compiled,
                    app.state.stores.graph,
                    Limits.from_settings(app.state.settings),
                )
                app.state.graphql = service
    return service


def _answer(answer: GraphQLAnswer) -> Response:
    return JSONResponse(answer.body, status_code=answer.status)


async def graphql(request: Request) -> Response:
    """`{query, variables, operationName}` in, `{data[, errors]}` out; 400 whenever there are errors."""
    try:
        payload = json.loads(await read_body(request))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return _answer(failed([f"the body is not valid JSON: {error}"]))
    if not isinstance(payload, dict):
        return _answer(failed(["the body must be an object: {query, variables, operationName}"]))
    app = request.app
    timeout = app.state.settings.graphql_timeout_s

    def work() -> GraphQLAnswer:
        return query_service(app).execute(
            payload.get("query"), payload.get("variables"), payload.get("operationName")
        )

    try:
        with anyio.fail_after(timeout):
            answer = await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except TimeoutError:
        answer = failed([Limits.from_settings(app.state.settings).timed_out().message])
    return _answer(answer)


async def getschema(request: Request) -> Response:
    """The introspection of the schema, as peregrine serves it: `{"data": {"__schema": ...}}`."""
    app = request.app
    data = await anyio.to_thread.run_sync(lambda: query_service(app).schema.introspection())
    return JSONResponse({"data": data})


async def graphiql(request: Request) -> Response:
    return FileResponse(GRAPHIQL / "index.html", media_type="text/html")


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for prefix in PREFIXES:
        routes.append(Route(f"{prefix}/graphql", graphql, methods=["POST"]))
        routes.append(Route(f"{prefix}/getschema", getschema, methods=["GET"]))
    routes.append(Route("/graphql", graphiql, methods=["GET"]))
    routes.append(Mount("/graphql/assets", app=StaticFiles(directory=GRAPHIQL / "assets")))
    return routes


# Before the submission routes: their `/{program}` would take `/graphql` for a program name.
routes = _routes()
