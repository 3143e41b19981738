"""The exploration dashboard: `/` serves its page, `/dashboard/...` its files.

Plain HTML, CSS and ES modules from engine/web/dashboard, with no build
step and nothing fetched from elsewhere, so it works on an offline machine.
`/` is an exact route, so it shadows no other path.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from engine.api.openapi import HTML, Contract, Operation

WEB = Path(__file__).resolve().parent.parent / "web" / "dashboard"


async def index(request: Request) -> Response:
    return FileResponse(WEB / "index.html", headers={"cache-control": "no-cache"})


CONTRACT = Contract(
    "dashboard",
    {index: {"GET": Operation("The dashboard", {200: HTML})}},
)
routes = [
    Route("/", index),
    Mount("/dashboard", StaticFiles(directory=WEB), name="dashboard"),
]
