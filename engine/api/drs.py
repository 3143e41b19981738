"""GA4GH DRS 1.x at `/ga4gh/drs/v1`: objects, and access URLs signed on request.

Object ids may contain a slash (`dg.1234/<uuid>`), sent escaped (`%2F`) or
not; both arrive decoded, so the id is a `path` parameter and the access
route, whose id is followed by `/access/<id>`, is matched first. GET and
POST answer alike: POST is how DRS clients send passports, which Commons'
bearer tokens stand in for.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api.objects import data_objects
from engine.objects import drs
from engine.objects.record import RecordError

PREFIX = "/ga4gh/drs/v1"


def _host(request: Request) -> str:
    return request.headers.get("host") or request.url.netloc


async def service_info(request: Request) -> Response:
    return JSONResponse(drs.service_info(_host(request)))


async def drs_object(request: Request) -> Response:
    record = await run_in_threadpool(
        (await data_objects(request)).get, request.path_params["object_id"]
    )
    region = request.app.state.settings.s3_region
    return JSONResponse(drs.drs_object(record, _host(request), region))


async def access(request: Request) -> Response:
    object_id, access_id = request.path_params["object_id"], request.path_params["access_id"]
    if access_id != drs.ACCESS_ID:
        raise RecordError(404, f"object {object_id} has no access method {access_id!r}")
    url = await run_in_threadpool((await data_objects(request)).download_url, object_id, "s3")
    return JSONResponse({"url": url})


routes = [
    Route(PREFIX + "/service-info", service_info),
    Route(PREFIX + "/objects/{object_id:path}/access/{access_id}", access, methods=["GET", "POST"]),
    Route(PREFIX + "/objects/{object_id:path}", drs_object, methods=["GET", "POST"]),
]
