"""Peregrine's query API: `POST .../graphql`, `GET .../getschema`, and GraphiQL at `/graphql`.

The GraphQL service is built from the app's compiled dictionary on first
use and kept on the app. A query runs in a worker thread (the store driver
blocks) under GRAPHQL_TIMEOUT_S: past it the client is answered with an
error at once, and the statement is left to finish on its own (Neo4j
also ends it server-side; the embedded ArcadeDB has no such control).

Access, as peregrine and sheepdog have it: a query reads only the projects
the caller may `read` on `peregrine`, given to the query service as
`readable`, which puts them inside the compiled Cypher at every level; an
anonymous caller who may read nothing is asked to log in (401), as
peregrine does, unless the query only asks about the schema (GraphiQL's
first request, so the public GraphiQL page works). A mutation needs on its project what the same REST
submission would (`MUTATION_NEEDS`), checked before it touches the store.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import anyio
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from engine.api.body import json_object
from engine.api.errors import HTTPProblem
from engine.api.objects import record_access
from engine.api.openapi import HTML, JSON, Contract, Operation, Problem, answer
from engine.api.submission import PREFIXES
from engine.auth.errors import AuthError
from engine.auth.principal import Principal, principal
from engine.auth.resources import project_path
from engine.graphql.execute import GraphQLAnswer, QueryService, failed
from engine.query.limits import Limits

GRAPHIQL = Path(__file__).resolve().parent.parent / "web" / "graphiql"
_BUILDING = threading.Lock()
QUERY_SERVICE = "peregrine"
# A mutation's action (engine/graphql/mutations.py) -> the sheepdog methods it needs on its project.
MUTATION_NEEDS = {"submit": ("create", "update"), "delete": ("delete",)}


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
        payload = await json_object(request)
    except HTTPProblem as problem:  # answered in peregrine's shape, as every GraphQL error is
        return _answer(GraphQLAnswer({"data": None, "errors": [problem.message]}, problem.status))
    app = request.app
    timeout = app.state.settings.graphql_timeout_s
    who = await principal(request)
    refused: list[AuthError] = []

    def authorize(action: str, project_id: str) -> None:
        try:
            for method in MUTATION_NEEDS[action]:
                who.require("sheepdog", method, project_path(project_id))
        except AuthError as error:
            refused.append(error)
            raise

    def work() -> GraphQLAnswer:
        readable = _readable(who, payload.get("query"))
        return query_service(app).execute(
            payload.get("query"),
            payload.get("variables"),
            payload.get("operationName"),
            readable=readable,
            authorize=authorize,
            records=record_access(request, who).readable(),
            submitter=who.name,
        )

    try:
        with anyio.fail_after(timeout):
            answer = await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except TimeoutError:
        answer = failed([Limits.from_settings(app.state.settings).timed_out().message])
    if refused:  # a refused mutation answers as the refusal would on the REST API
        answer = GraphQLAnswer(answer.body, refused[0].status)
    return _answer(answer)


def _readable(who: Principal, query: Any) -> frozenset[str] | None:
    """The projects a query may read; an anonymous caller who may read none must log in.

    Unless the query only asks about the schema, as GraphiQL does when it opens.
    """
    readable = who.readable_projects(QUERY_SERVICE, "read")
    if readable is not None and not readable and who.is_anonymous and _asks_for_data(query):
        who.refuse(f"the {QUERY_SERVICE} 'read' permission")
    return readable


def _asks_for_data(query: Any) -> bool:
    """Whether any operation of `query` has a root field besides `__schema`, `__type`, `__typename`.

    A query that does not parse asks for nothing: the service answers its errors.
    """
    if not isinstance(query, str):
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False
    return any(
        not (isinstance(selection, FieldNode) and selection.name.value.startswith("__"))
        for operation in document.definitions
        if isinstance(operation, OperationDefinitionNode)
        for selection in operation.selection_set.selections
    )


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


class GraphQLRequest(TypedDict):
    query: str
    variables: NotRequired[dict[str, Any] | None]
    operationName: NotRequired[str | None]


class GraphQLBody(TypedDict):
    """A GraphQL answer; `errors` when there are any (peregrine's are strings)."""

    data: Any
    errors: NotRequired[list[Any]]


_ANSWER = answer("The answer.", GraphQLBody)
_REFUSED = answer(
    "Refused: not signed in, or a mutation's permission is lacking.", GraphQLBody | Problem
)
CONTRACT = Contract(
    "query (peregrine)",
    {
        graphql: {
            "POST": Operation(
                "A GraphQL query or mutation over the projects the caller may read",
                {200: _ANSWER, 400: _ANSWER, 401: _REFUSED, 403: _REFUSED, 413: _ANSWER},
                body={JSON: GraphQLRequest},
            )
        },
        getschema: {"GET": Operation("The schema's introspection", {200: answer("", GraphQLBody)})},
        graphiql: {"GET": Operation("GraphiQL", {200: HTML})},
    },
)

# Before the submission routes: their `/{program}` would take `/graphql` for a program name.
routes = _routes()
