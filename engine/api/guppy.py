"""Guppy's HTTP API: `POST /guppy/graphql` and `POST /guppy/download`.

Both run in a worker thread (the store driver blocks). The schema is built
from the app's dictionary on first use and kept on the app. What a caller
may see is `access(request)`, for the dashboard's endpoints too: the
projects they may `read` on `guppy`, under the tier's rules
(engine/query/access.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any, Literal, NotRequired, TypedDict

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from engine.api.body import json_object
from engine.api.errors import HTTPProblem
from engine.api.graphql import GraphQLBody, GraphQLRequest
from engine.api.openapi import (
    BODY,
    JSON,
    Answer,
    Contract,
    NodeTypeName,
    Operation,
    Problem,
    answer,
)
from engine.auth.principal import principal
from engine.graphql.guppy_schema import GuppySchema
from engine.query.access import ACCESSIBILITIES, Access
from engine.query.errors import QueryError
from engine.query.facets import facets
from engine.query.rows import iter_rows
from engine.query.scope import Scope
from engine.submission.tabular import write_columns

FORMATS = {
    "json": "application/json",
    "tsv": "text/tab-separated-values",
    "csv": "text/csv",
}
_BUILDING = threading.Lock()


def guppy_schema(app: Starlette) -> GuppySchema:
    schema = getattr(app.state, "guppy", None)
    if schema is None:
        with _BUILDING:
            schema = getattr(app.state, "guppy", None)
            if schema is None:
                settings = app.state.settings
                schema = app.state.guppy = GuppySchema(
                    app.state.compiled.dictionary,
                    settings.graphql_max_fields,
                    settings.explore_link_hops,
                )
    return schema


async def access(request: Request) -> Access:
    """What the caller may see; async, as finding the caller's projects may ask the store."""
    who = await principal(request)
    readable = await run_in_threadpool(who.readable_projects, "guppy", "read")
    return Access.from_settings(request.app.state.settings, readable)


async def graphql(request: Request) -> Response:
    """`{query, variables, operationName}` -> `{data[, errors]}`; 400 when there are errors."""
    payload = await json_object(request, optional=True)
    schema = guppy_schema(request.app)
    body, status = await run_in_threadpool(
        schema.execute,
        request.app.state.stores.graph,
        await access(request),
        payload.get("query"),
        payload.get("variables"),
        payload.get("operationName"),
    )
    return JSONResponse(body, status_code=status)


def json_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A JSON array written as it is read: `[`, one row a line, `]`."""
    yield "["
    for position, row in enumerate(rows):
        yield ("," if position else "") + "\n" + json.dumps(row)
    yield "\n]\n"


async def download(request: Request) -> Response:
    """Every record of `type` matching `filter`, as JSON, TSV or CSV, streamed page by page.

    Body: `{type, filter?, sort?, fields?, accessibility?, format?: json|tsv|csv}`.
    """
    body = await json_object(request, optional=True)
    dictionary = request.app.state.compiled.dictionary
    node = dictionary.nodes.get(body.get("type"))
    if node is None:
        raise HTTPProblem(400, f"'type' must be one of {', '.join(sorted(dictionary.nodes))}")
    fmt = str(body.get("format", "json")).lower()
    if fmt not in FORMATS:
        raise HTTPProblem(400, f"'format' must be json, tsv or csv, not '{fmt}'")
    accessibility = body.get("accessibility", "accessible")
    if accessibility not in ACCESSIBILITIES:
        raise HTTPProblem(400, f"'accessibility' must be one of {', '.join(ACCESSIBILITIES)}")
    known = list(facets(node))
    fields = body.get("fields") or known
    if not isinstance(fields, list) or not set(fields) <= set(known):
        raise HTTPProblem(
            400, f"'fields' must be a list of fields of {node.name}: {', '.join(known)}"
        )
    scope = Scope(dictionary, node, body.get("filter"), accessibility, await access(request))
    store = request.app.state.stores.graph
    try:
        rows = iter_rows(store, scope, sort=body.get("sort"))
    except QueryError as error:
        raise HTTPProblem(400, error.message) from None
    picked = ({name: row.get(name) for name in fields} for row in rows)
    if fmt == "json":
        lines = json_lines(picked)
    else:
        lines = write_columns(fields, picked, "\t" if fmt == "tsv" else ",")
    return StreamingResponse(
        lines,
        media_type=FORMATS[fmt],
        headers={"content-disposition": f"attachment; filename={node.name}.{fmt}"},
    )


class DownloadRequest(TypedDict):
    type: NotRequired[NodeTypeName]
    filter: NotRequired[Any]
    sort: NotRequired[Any]
    fields: NotRequired[list[str]]
    accessibility: NotRequired[Literal["accessible", "unaccessible", "all"]]
    format: NotRequired[Literal["json", "tsv", "csv"]]


_ANSWER = answer("The answer.", GraphQLBody)
CONTRACT = Contract(
    "exploration (guppy)",
    {
        graphql: {
            "POST": Operation(
                "Aggregations, histograms and rows over what the caller may see",
                {200: _ANSWER, 400: answer("Errors.", GraphQLBody | Problem)},
                (413,),
                body={JSON: GraphQLRequest},
                body_required=False,
            )
        },
        download: {
            "POST": Operation(
                "Every record of `type` matching `filter`, streamed as JSON, TSV or CSV",
                {
                    200: Answer(
                        "The records.",
                        {
                            JSON: list[dict[str, Any]],
                            "text/tab-separated-values": str,
                            "text/csv": str,
                        },
                    )
                },
                BODY,
                body={JSON: DownloadRequest},
                body_required=False,
            )
        },
    },
)

routes = [
    Route("/guppy/graphql", graphql, methods=["POST"]),
    Route("/guppy/download", download, methods=["POST"]),
]
