"""GA4GH DRS 1.x at `/ga4gh/drs/v1`: objects, and access URLs signed on request.

Object ids may contain a slash (`dg.1234/<uuid>`), sent escaped (`%2F`) or
not; both arrive decoded, so the id is a `path` parameter and the access
route, whose id is followed by `/access/<id>`, is matched first. GET and
POST answer alike: POST is how DRS clients send passports, which Commons'
bearer tokens stand in for.

The bulk requests (`POST /objects` with `bulk_object_ids`, `POST
/objects/access` with `bulk_object_access_ids`) come before the id routes,
so `POST /objects/access` is the bulk request even if a record's id is
`access`; `GET` of such an object still finds it.

Every object is a blob (Commons keeps no bundles), so `expand` changes
nothing, as DRS says of blobs. `OPTIONS` (DRS Authorizations) is not
served: it answers 405, which DRS reads as "not supported". Every error
answers DRS's `{msg, status_code}` (engine/api/errors.py).
"""

from __future__ import annotations

from typing import Any, TypedDict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api.body import json_body
from engine.api.objects import data_objects
from engine.api.openapi import BODY, CALLER, JSON, Contract, Operation, answer
from engine.objects import drs
from engine.objects.record import RecordError

PREFIX = "/ga4gh/drs/v1"


def _host(request: Request) -> str:
    return request.headers.get("host") or request.url.netloc


async def service_info(request: Request) -> Response:
    return JSONResponse(drs.service_info(_host(request), request.app.state.settings.public_url))


def _region(request: Request) -> str:
    return request.app.state.settings.s3_region


async def drs_object(request: Request) -> Response:
    record = await run_in_threadpool(
        (await data_objects(request)).get, request.path_params["object_id"]
    )
    return JSONResponse(drs.drs_object(record, _host(request), _region(request)))


async def access(request: Request) -> Response:
    object_id, access_id = request.path_params["object_id"], request.path_params["access_id"]
    if access_id != drs.ACCESS_ID:
        raise drs.no_access_method(object_id, access_id)
    url = await run_in_threadpool((await data_objects(request)).download_url, object_id, "s3")
    return JSONResponse({"url": url})


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RecordError(400, f"{name} must be a non-empty list of strings")
    return value


def _bulk(body: Any, name: str) -> list[Any]:
    """The body's list `name`, at most MAX_BULK items (a larger request is a 413, as DRS says)."""
    items = body.get(name) if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise RecordError(400, f"the body must be an object with a non-empty list {name}")
    if len(items) > drs.MAX_BULK:
        raise RecordError(413, f"{name} has {len(items)} items; at most {drs.MAX_BULK} per request")
    return items


async def bulk_objects(request: Request) -> Response:
    """`{"bulk_object_ids": [...]}` -> the DRS objects that resolve, and why the others do not."""
    ids = _strings(_bulk(await json_body(request), "bulk_object_ids"), "bulk_object_ids")
    records = await run_in_threadpool((await data_objects(request)).resolve_many, ids, "read")
    return JSONResponse(drs.drs_objects(ids, records, _host(request), _region(request)))


def _access_pairs(body: Any) -> list[tuple[str, str]]:
    pairs = []
    for item in _bulk(body, "bulk_object_access_ids"):
        if not isinstance(item, dict) or not isinstance(item.get("bulk_object_id"), str):
            raise RecordError(
                400, 'each of bulk_object_access_ids must be {"bulk_object_id", "bulk_access_ids"}'
            )
        access_ids = _strings(item.get("bulk_access_ids"), "bulk_access_ids")
        pairs += [(item["bulk_object_id"], access_id) for access_id in access_ids]
    if len(pairs) > drs.MAX_BULK:
        raise RecordError(
            413, f"{len(pairs)} access URLs asked for; at most {drs.MAX_BULK} per request"
        )
    return pairs


async def bulk_access(request: Request) -> Response:
    """Signed URLs for (object, access id) pairs; only `s3` is an access id here."""
    pairs = _access_pairs(await json_body(request))
    s3_ids = [object_id for object_id, access_id in pairs if access_id == drs.ACCESS_ID]
    signed = await run_in_threadpool(
        (await data_objects(request)).download_urls, s3_ids, None, drs.ACCESS_ID
    )
    return JSONResponse(drs.access_urls(pairs, iter(signed)))


class BulkIds(TypedDict):
    bulk_object_ids: list[str]


class AccessIds(TypedDict):
    bulk_object_id: str
    bulk_access_ids: list[str]


class BulkAccessIds(TypedDict):
    bulk_object_access_ids: list[AccessIds]


_PASSPORTS = {JSON: {"type": "object", "description": "Passports: bearer tokens stand in for them"}}
_OBJECT = Operation(
    "A DRS object (blob)", {200: answer("", drs.DrsObject)}, (*CALLER, 400, 404), body=_PASSPORTS
)
_ACCESS = Operation(
    "A signed URL for the object's bytes (access id `s3`)",
    {200: answer("", drs.AccessURL)},
    (*CALLER, 400, 404),
    body=_PASSPORTS,
)
CONTRACT = Contract(
    "DRS (GA4GH)",
    {
        service_info: {"GET": Operation("GA4GH service-info", {200: answer("", drs.ServiceInfo)})},
        bulk_objects: {
            "POST": Operation(
                "Many DRS objects, and why the others did not resolve",
                {200: answer("", drs.BulkObjects)},
                BODY,
                body={JSON: BulkIds},
            )
        },
        bulk_access: {
            "POST": Operation(
                "Signed URLs for many (object, access id) pairs",
                {200: answer("", drs.BulkAccessURLs)},
                BODY,
                body={JSON: BulkAccessIds},
            )
        },
        access: {"GET": _ACCESS, "POST": _ACCESS},
        drs_object: {"GET": _OBJECT, "POST": _OBJECT},
    },
)

routes = [
    Route(PREFIX + "/service-info", service_info),
    Route(PREFIX + "/objects", bulk_objects, methods=["POST"]),
    Route(PREFIX + "/objects/access", bulk_access, methods=["POST"]),
    Route(PREFIX + "/objects/{object_id:path}/access/{access_id}", access, methods=["GET", "POST"]),
    Route(PREFIX + "/objects/{object_id:path}", drs_object, methods=["GET", "POST"]),
]
