"""`/_status` and `/_version`: is each store up, and which versions are running.

Gen3 services answer `/_status` with the plain text `Healthy`, and the Gen3
SDK's `is_healthy()` compares the body to exactly that, so plain text is the
default. A client that asks for JSON (`Accept: application/json` or
`?format=json`) gets each store's health and version.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from importlib.metadata import version
from typing import Literal, TypedDict

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from engine.api.openapi import JSON, TEXT, Answer, Contract, Operation, Param, answer
from engine.graph.store import Health


def _wants_json(request: Request) -> bool:
    return request.query_params.get(
        "format"
    ) == "json" or "application/json" in request.headers.get("accept", "")


async def status(request: Request) -> Response:
    stores = request.app.state.stores
    graph, objects = await asyncio.gather(
        asyncio.to_thread(stores.graph.health), asyncio.to_thread(stores.objects.health)
    )
    healthy = graph.ok and objects.ok
    code = 200 if healthy else 503
    if _wants_json(request):
        body = {
            "status": "Healthy" if healthy else "Unhealthy",
            "graph": asdict(graph),
            "objects": asdict(objects),
        }
        return JSONResponse(body, status_code=code)
    if healthy:
        return PlainTextResponse("Healthy")
    down = [
        f"{h.name} ({kind} store): {h.error}"
        for kind, h in (("graph", graph), ("object", objects))
        if not h.ok
    ]
    return PlainTextResponse("Unhealthy\n" + "\n".join(down), status_code=code)


async def version_info(request: Request) -> Response:
    stores = request.app.state.stores
    return JSONResponse(
        {
            "commons": version("commons"),
            "graph": {"name": stores.graph.dialect.name, "version": stores.graph.dialect.version},
            "objects": {"name": stores.objects.name, "version": stores.objects.version},
        }
    )


class StatusJSON(TypedDict):
    status: Literal["Healthy", "Unhealthy"]
    graph: Health
    objects: Health


class Named(TypedDict):
    name: str
    version: str


class VersionJSON(TypedDict):
    commons: str
    graph: Named
    objects: Named


def _health(description: str) -> Answer:
    return Answer(description, {TEXT: str, JSON: StatusJSON})


CONTRACT = Contract(
    "status",
    {
        status: {
            "GET": Operation(
                "Whether every store is up: `Healthy` as text (what Gen3 clients compare), "
                "or each store's health as JSON (`Accept: application/json` or `?format=json`)",
                {200: _health("Healthy."), 503: _health("A store is down.")},
                query=(Param("format", "`json` for JSON"),),
            )
        },
        version_info: {"GET": Operation("The versions running", {200: answer("", VersionJSON)})},
    },
)
routes = [Route("/_status", status), Route("/_version", version_info)]
