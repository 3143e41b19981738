"""GA4GH DRS 1.x at `/ga4gh/drs/v1`: objects, and access URLs signed on request.

Object ids may contain a slash (`dg.1234/<uuid>`), sent escaped (`%2F`) or
not; both arrive decoded, so the id is a `path` parameter and the access
route, whose id is followed by `/access/<id>`, is matched first. GET and
POST answer alike, but POST bodies may carry GA4GH `passports` (DRS 1.2+):
the request is then made as the passports' holder
(engine/auth/passports/), so one is sent instead of a bearer token, never
with one (fence answers both at once with a 400, and so does Commons). An
empty `passports` list is no passport.

The bulk requests (`POST /objects` with `bulk_object_ids`, `POST
/objects/access` with `bulk_object_access_ids`) come before the id routes,
so `POST /objects/access` is the bulk request even if a record's id is
`access`; `GET` of such an object still finds it.

Every object is a blob (Commons keeps no bundles), so `expand` changes
nothing, as DRS says of blobs. `OPTIONS /objects/{id}` answers DRS's
Authorizations: the bearer issuer and the trusted passport issuers, the
same for every id, so it tells nothing of which objects exist. Every
error answers DRS's `{msg, status_code}` (engine/api/errors.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NotRequired, TypedDict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api.body import json_body, json_object
from engine.api.errors import HTTPProblem
from engine.api.objects import data_objects
from engine.api.openapi import BODY, CALLER, JSON, Contract, Operation, answer
from engine.auth.authority import Authority
from engine.objects import drs
from engine.objects.record import RecordError

PREFIX = "/ga4gh/drs/v1"


def _host(request: Request) -> str:
    return request.headers.get("host") or request.url.netloc


async def service_info(request: Request) -> Response:
    return JSONResponse(drs.service_info(_host(request), request.app.state.settings.public_url))


def _region(request: Request) -> str:
    return request.app.state.settings.s3_region


def _passports(body: Any) -> list[str]:
    """The body's `passports` (none when the body has none or they are `[]`)."""
    passports = body.get("passports", []) if isinstance(body, dict) else []
    if not isinstance(passports, list) or not all(isinstance(p, str) and p for p in passports):
        raise HTTPProblem(400, "passports must be a list of passport JWTs")
    return passports


async def _as_holder(request: Request, body: Any) -> None:
    """With passports in `body`, the request is made as their holder (checked here)."""
    passports = _passports(body)
    if not passports:
        return
    if request.headers.get("authorization", "").strip():
        raise HTTPProblem(
            400, "send passports or an Authorization header, not both (DRS passports stand alone)"
        )
    authority: Authority = request.app.state.auth
    request.state.principal = await run_in_threadpool(authority.passport_principal, passports)


async def _posted(request: Request) -> None:
    """A POST's `{"expand"?, "passports"?}` body, acted on (GET has none)."""
    if request.method != "POST":
        return
    body = await json_object(request, optional=True)
    if not isinstance(body.get("expand", False), bool):
        raise HTTPProblem(400, "expand must be true or false")
    await _as_holder(request, body)


async def drs_object(request: Request) -> Response:
    await _posted(request)
    record = await run_in_threadpool(
        (await data_objects(request)).get, request.path_params["object_id"]
    )
    return JSONResponse(drs.drs_object(record, _host(request), _region(request)))


async def authorizations(request: Request) -> Response:
    """DRS Authorizations: how a client may be let in, the same for every object."""
    authority: Authority = request.app.state.auth
    issuers = sorted(authority.passports.issuers) if authority.passports else []
    found: drs.Authorizations = {
        "drs_object_id": request.path_params["object_id"],
        "supported_types": ["BearerAuth", *(["PassportAuth"] if issuers else [])],
        "passport_auth_issuers": issuers,
        "bearer_auth_issuers": [authority.issuer],
    }
    return JSONResponse(found)


async def access(request: Request) -> Response:
    await _posted(request)
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
    body = await json_body(request)
    ids = _strings(_bulk(body, "bulk_object_ids"), "bulk_object_ids")
    await _as_holder(request, body)
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
    body = await json_body(request)
    pairs = _access_pairs(body)
    await _as_holder(request, body)
    s3_ids = [object_id for object_id, access_id in pairs if access_id == drs.ACCESS_ID]
    signed = await run_in_threadpool(
        (await data_objects(request)).download_urls, s3_ids, None, drs.ACCESS_ID
    )
    return JSONResponse(drs.access_urls(pairs, iter(signed)))


class BulkIds(TypedDict):
    bulk_object_ids: list[str]
    passports: NotRequired[list[str]]


class AccessIds(TypedDict):
    bulk_object_id: str
    bulk_access_ids: list[str]


class BulkAccessIds(TypedDict):
    bulk_object_access_ids: list[AccessIds]
    passports: NotRequired[list[str]]


class ObjectBody(TypedDict):
    """DRS's PostObjectBody: passports (GA4GH passport JWTs) instead of a bearer token."""

    expand: NotRequired[bool]
    passports: NotRequired[list[str]]


class Passports(TypedDict):
    passports: NotRequired[list[str]]


_OBJECT = Operation("A DRS object (blob)", {200: answer("", drs.DrsObject)}, (*CALLER, 400, 404))
_ACCESS = Operation(
    "A signed URL for the object's bytes (access id `s3`)",
    {200: answer("", drs.AccessURL)},
    (*CALLER, 400, 404),
)
_POST_ERRORS = (*CALLER, *BODY, 404)
_AUTHORIZATIONS = Operation(
    "How a client may be let in: bearer tokens and the trusted passport issuers (DRS 1.4)",
    {200: answer("", drs.Authorizations)},
)
CONTRACT = Contract(
    "DRS (GA4GH)",
    {
        service_info: {"GET": Operation("GA4GH service-info", {200: answer("", drs.ServiceInfo)})},
        bulk_objects: {
            "POST": Operation(
                "Many DRS objects, and why the others did not resolve",
                {200: answer("", drs.BulkObjects)},
                (*BODY, *CALLER),
                body={JSON: BulkIds},
            )
        },
        bulk_access: {
            "POST": Operation(
                "Signed URLs for many (object, access id) pairs",
                {200: answer("", drs.BulkAccessURLs)},
                (*BODY, *CALLER),
                body={JSON: BulkAccessIds},
            )
        },
        access: {
            "GET": _ACCESS,
            "POST": replace(
                _ACCESS, errors=_POST_ERRORS, body={JSON: Passports}, body_required=False
            ),
        },
        drs_object: {
            "GET": _OBJECT,
            "POST": replace(
                _OBJECT, errors=_POST_ERRORS, body={JSON: ObjectBody}, body_required=False
            ),
        },
        authorizations: {"OPTIONS": _AUTHORIZATIONS},
    },
)

routes = [
    Route(PREFIX + "/service-info", service_info),
    Route(PREFIX + "/objects", bulk_objects, methods=["POST"]),
    Route(PREFIX + "/objects/access", bulk_access, methods=["POST"]),
    Route(PREFIX + "/objects/{object_id:path}/access/{access_id}", access, methods=["GET", "POST"]),
    Route(PREFIX + "/objects/{object_id:path}", drs_object, methods=["GET", "POST"]),
    Route(PREFIX + "/objects/{object_id:path}", authorizations, methods=["OPTIONS"]),
]
