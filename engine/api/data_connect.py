"""GA4GH Data Connect 1.0 at `/ga4gh/data-connect/v1`: the graph as tables, with SQL search.

`GET /tables` lists a table per node type (engine/dataconnect/tables.py)
and `commons.discovery_metadata`, the metadata service's discovery records
(engine/dataconnect/discovery.py, readable as MDS_READ says),
its `data_model` a `$ref` to `/table/{name}/info`, which holds the JSON
Schema; `GET /table/{name}/data` and `POST /search` answer pages of rows
(`TableData`), and `GET /page?cursor=...` the pages after the first, named by
`pagination.next_page_url`. Rows come only from the projects the caller may
`read` on `peregrine`, the same grants as GraphQL: an anonymous caller sees
what the policy makes public, and nothing else. Every error answers Data
Connect's `{"errors": [{"title", "detail"}]}` (engine/api/errors.py).
"""

from __future__ import annotations

import threading
from importlib.metadata import version
from typing import Any, NotRequired, TypedDict
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api.body import json_object
from engine.api.errors import HTTPProblem
from engine.api.openapi import BODY, JSON, Contract, Operation, Param, answer
from engine.auth.principal import principal
from engine.dataconnect.cursor import open_cursor, sign_cursor
from engine.dataconnect.discovery import NAME as DISCOVERY_TABLE
from engine.dataconnect.discovery import DiscoveryTable
from engine.dataconnect.errors import DataConnectError
from engine.dataconnect.search import Page, Search, read_page
from engine.dataconnect.tables import LiveTable, NodeTable, TableRegistry, dictionary_tables
from engine.objects.drs import Service

PREFIX = "/ga4gh/data-connect/v1"
QUERY_SERVICE = "peregrine"
_BUILDING = threading.Lock()


def tables(app: Starlette) -> TableRegistry:
    """The app's table registry, made from its dictionary on first use; other sources add to it."""
    registry = getattr(app.state, "data_connect_tables", None)
    if registry is None:
        with _BUILDING:
            registry = getattr(app.state, "data_connect_tables", None)
            if registry is None:
                registry = dictionary_tables(app.state.compiled.dictionary)
                if registry.find(DISCOVERY_TABLE) is None:  # a node type of that name wins
                    registry.add(DiscoveryTable(app.state))
                app.state.data_connect_tables = registry
    return registry


def _base(request: Request) -> str:
    return request.app.state.settings.public_url


def _table(request: Request) -> Any:
    name = request.path_params["table_name"]
    found = tables(request.app).find(name)
    if found is None:
        raise HTTPProblem(404, f"no table named {name}; GET {PREFIX}/tables lists them")
    return found


async def service_info(request: Request) -> Response:
    settings = request.app.state.settings
    return JSONResponse(
        {
            "id": f"{request.url.hostname or 'commons'}.data-connect",
            "name": "Commons Data Connect",
            "type": {"group": "org.ga4gh", "artifact": "data-connect", "version": "1.0.0"},
            "description": "The records of the graph as tables, one per node type, with SQL search.",
            "organization": {"name": "Commons", "url": settings.public_url},
            "version": version("commons"),
        }
    )


async def list_tables(request: Request) -> Response:
    base = _base(request)
    listed = [
        {
            "name": table.name,
            "description": table.description,
            "data_model": {"$ref": f"{base}{PREFIX}/table/{table.name}/info"},
        }
        for table in tables(request.app).tables()
    ]
    return JSONResponse({"tables": listed})


async def _opened(request: Request) -> NodeTable:
    """The named table, a live one read now for the caller (MDS_READ decides who may)."""
    table = _table(request)
    if isinstance(table, LiveTable):
        who = await principal(request)
        try:
            return await run_in_threadpool(table.snapshot, who)
        except DataConnectError as error:
            raise HTTPProblem(error.status, error.message) from None
    return table


async def table_info(request: Request) -> Response:
    table = await _opened(request)
    return JSONResponse(
        {
            "name": table.name,
            "description": table.description,
            "data_model": table.data_model(_base(request)),
        }
    )


async def _page(request: Request, search: Search, start: int) -> Response:
    """The page of `search` from row `start`, with the signed cursor of the next page, if any."""
    app = request.app
    settings = app.state.settings
    who = await principal(request)

    def work() -> Page:
        readable = who.readable_projects(QUERY_SERVICE, "read")
        return read_page(
            app.state.stores.graph,
            tables(app),
            search,
            start,
            readable=readable,
            base_url=settings.public_url,
            size=settings.data_connect_page_size,
            timeout=settings.graphql_timeout_s,
            who=who,
        )

    try:
        page = await run_in_threadpool(work)
    except DataConnectError as error:
        raise HTTPProblem(error.status, error.message) from None
    body: dict[str, Any] = {"data_model": page.data_model, "data": page.data}
    if page.next_start is not None:
        cursor = sign_cursor(app.state.auth.keys, search.cursor(page.next_start))
        body["pagination"] = {
            "next_page_url": f"{settings.public_url}{PREFIX}/page?{urlencode({'cursor': cursor})}"
        }
    return JSONResponse(body)


async def table_data(request: Request) -> Response:
    table = _table(request)
    if not isinstance(table, NodeTable | LiveTable):
        raise HTTPProblem(400, f"{table.name} is listed, but its rows are not served here")
    return await _page(request, Search.of_table(table), 0)


async def search(request: Request) -> Response:
    body = await json_object(request)
    return await _page(request, Search(body.get("query"), body.get("parameters")), 0)


async def next_page(request: Request) -> Response:
    cursor = request.query_params.get("cursor")
    if not cursor:
        raise HTTPProblem(400, "cursor: required; follow pagination.next_page_url")
    try:
        found, start = Search.from_cursor(open_cursor(request.app.state.auth.keys, cursor))
    except DataConnectError as error:
        raise HTTPProblem(error.status, error.message) from None
    return await _page(request, found, start)


# The contract ---------------------------------------------------------------------------------


class DataConnectServiceInfo(Service):
    """GA4GH service-info 1.0's `Service`, typed `org.ga4gh:data-connect:1.0.0`."""


class TableSummary(TypedDict):
    name: str
    description: NotRequired[str]
    data_model: dict[str, Any]


class ListTablesResponse(TypedDict):
    tables: list[TableSummary]


class TablePagination(TypedDict):
    next_page_url: NotRequired[str]


class TableData(TypedDict):
    """A page of rows; `data_model` is the same JSON Schema on every page of a sequence."""

    data_model: NotRequired[dict[str, Any]]
    data: list[dict[str, Any]]
    pagination: NotRequired[TablePagination]


class SearchRequest(TypedDict):
    query: str
    parameters: NotRequired[list[Any]]


_DATA = answer("A page of rows.", TableData)
CONTRACT = Contract(
    "Data Connect (GA4GH)",
    {
        service_info: {
            "GET": Operation("GA4GH service-info", {200: answer("", DataConnectServiceInfo)})
        },
        list_tables: {
            "GET": Operation(
                "A table per node type of the dictionary, and the discovery records",
                {200: answer("", ListTablesResponse)},
            )
        },
        table_info: {
            "GET": Operation(
                "A table and its data model (JSON Schema draft-07)",
                {200: answer("", TableSummary)},
                (401, 403, 404),
            )
        },
        table_data: {
            "GET": Operation(
                "The first page of a table's rows the caller may read",
                {200: _DATA},
                (400, 401, 403, 404),
            )
        },
        search: {
            "POST": Operation(
                "Rows found by a SQL query (the documented subset)",
                {200: _DATA},
                (*BODY, 401, 403, 404),
                body={JSON: SearchRequest},
            )
        },
        next_page: {
            "GET": Operation(
                "The next page of a search or a table's rows",
                {200: _DATA},
                (400, 401, 403, 404),
                query=(Param("cursor", "From `pagination.next_page_url`", required=True),),
            )
        },
    },
)

routes = [
    Route(PREFIX + "/service-info", service_info),
    Route(PREFIX + "/tables", list_tables),
    Route(PREFIX + "/table/{table_name}/info", table_info),
    Route(PREFIX + "/table/{table_name}/data", table_data),
    Route(PREFIX + "/search", search, methods=["POST"]),
    Route(PREFIX + "/page", next_page),
]
