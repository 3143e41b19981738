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

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


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


routes = [Route("/_status", status), Route("/_version", version_info)]
