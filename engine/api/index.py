"""indexd's API: index records at `/index/index/...` and, for the Gen3 SDK, at `/index/...`.

In Gen3 indexd sits behind `/index`, so a record is `/index/index/<did>`.
The Gen3 SDK drops that `/index` when its endpoint contains
`http://localhost` and then calls indexd's paths at the root, so both sets
are served. At the root only indexd's own paths are taken (`/index/...`,
`/bulk/documents`, `/guid/...`, `/_stats`); indexd's `GET /<did>` becomes
`GET /<GUID>`, matched only by GUID-shaped paths so it cannot shadow any
other route, and `/` itself stays free.

GUIDs may carry a prefix with a slash (`dg.1234/<uuid>`) and clients send
it unescaped, so every did is a `path` parameter and the routes with a
suffix (`/versions`, `/latest`) come before the bare record route.
"""

from __future__ import annotations

from typing import Any, TypedDict

from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api import status, urls
from engine.api.body import json_body
from engine.api.objects import (
    data_objects,
    hashes_param,
    listed,
    optional_number,
    required_param,
    whole_number,
)
from engine.api.openapi import BODY, CALLER, EMPTY, JSON, Contract, Operation, Param, answer
from engine.json_input import INT64_MAX
from engine.objects.index import MAX_LIMIT, RecordQuery
from engine.objects.keys import UUID
from engine.objects.record import IndexRecord, RecordError

MAX_MINT = 10_000


class GuidConvertor(Convertor[str]):
    """A GUID, optionally under one prefix segment: `<uuid>` or `dg.1234/<uuid>`."""

    regex = rf"(?:[^/]+/)?{UUID}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("guid", GuidConvertor())


class Ids(TypedDict):
    did: str
    rev: str
    baseid: str


def _ids(record: IndexRecord) -> Ids:
    return {"did": record.did, "rev": record.rev, "baseid": record.baseid}


def _did(request: Request) -> str:
    return request.path_params["did"]


def _query(request: Request) -> RecordQuery:
    params = request.query_params
    return RecordQuery(
        ids=listed(request, "ids"),
        hashes=hashes_param(request),
        size=optional_number(request, "size"),
        file_name=params.get("file_name"),
        uploader=params.get("uploader"),
        version=params.get("version"),
        urls=listed(request, "url", split=False),
        acl=listed(request, "acl"),
        authz=listed(request, "authz"),
        metadata=listed(request, "metadata", split=False),
        start=params.get("start"),
        limit=whole_number("limit", params.get("limit", "100"), 1, MAX_LIMIT),
        page=optional_number(request, "page", maximum=INT64_MAX // MAX_LIMIT) or 0,
    )


async def records(request: Request) -> Response:
    """GET lists records by indexd's filters; POST creates one."""
    service = await data_objects(request)
    if request.method == "POST":
        record = await run_in_threadpool(service.create, await json_body(request))
        return JSONResponse(_ids(record))
    query = _query(request)
    found = await run_in_threadpool(service.query, query)
    return JSONResponse(
        {
            "records": [record.to_json() for record in found],
            "ids": list(query.ids) or None,
            "size": query.size,
            "file_name": query.file_name,
            "hashes": query.hashes,
            "urls": list(query.urls),
            "acl": list(query.acl),
            "authz": list(query.authz),
            "start": query.start,
            "page": query.page,
            "limit": query.limit,
        }
    )


async def record(request: Request) -> Response:
    """GET reads, PUT updates (`?rev=`), DELETE removes (`?rev=`), POST adds a new version."""
    service, did = await data_objects(request), _did(request)
    if request.method == "GET":
        return JSONResponse((await run_in_threadpool(service.get, did)).to_json())
    if request.method == "POST":
        new = await run_in_threadpool(service.new_version, did, await json_body(request))
        return JSONResponse(_ids(new))
    rev = required_param(request, "rev")
    if request.method == "DELETE":
        await run_in_threadpool(service.delete, did, rev)
        return Response(status_code=200)
    updated = await run_in_threadpool(service.update, did, rev, await json_body(request))
    return JSONResponse(_ids(updated))


async def versions(request: Request) -> Response:
    found = await run_in_threadpool((await data_objects(request)).versions, _did(request))
    return JSONResponse({str(i): version.to_json() for i, version in enumerate(found)})


async def latest(request: Request) -> Response:
    has_version = request.query_params.get("has_version", "false").lower() in ("1", "true", "yes")
    found = await run_in_threadpool(
        (await data_objects(request)).latest, _did(request), has_version
    )
    return JSONResponse(found.to_json())


async def blank(request: Request) -> Response:
    record = await run_in_threadpool(
        (await data_objects(request)).create_blank, await json_body(request)
    )
    return JSONResponse(_ids(record), status_code=201)


async def blank_update(request: Request) -> Response:
    rev = required_param(request, "rev")
    record = await run_in_threadpool(
        (await data_objects(request)).update_blank, _did(request), rev, await json_body(request)
    )
    return JSONResponse(_ids(record))


async def bulk_documents(request: Request) -> Response:
    dids: Any = await json_body(request)
    if not isinstance(dids, list) or not all(isinstance(did, str) for did in dids):
        raise RecordError(400, "the body must be a JSON list of dids")
    found = await run_in_threadpool((await data_objects(request)).find_many, dids)
    return JSONResponse([record.to_json() for record in found])


async def mint(request: Request) -> Response:
    count = whole_number("count", request.query_params.get("count", "1"), 1, MAX_MINT)
    return JSONResponse({"guids": (await data_objects(request)).mint(count)})


async def guid_prefix(request: Request) -> Response:
    return JSONResponse({"prefix": request.app.state.settings.index_guid_prefix or None})


async def stats(request: Request) -> Response:
    return JSONResponse(await run_in_threadpool((await data_objects(request)).stats))


def _routes(prefix: str) -> list[Route]:
    index = prefix + "/index"
    return [
        Route(index, records, methods=["GET", "POST"]),
        Route(index + "/", records, methods=["GET", "POST"]),
        Route(index + "/blank", blank, methods=["POST"]),
        Route(index + "/blank/", blank, methods=["POST"]),
        Route(index + "/blank/{did:path}", blank_update, methods=["PUT"]),
        Route(index + "/{did:path}/versions", versions),
        Route(index + "/{did:path}/latest", latest),
        Route(index + "/{did:path}", record, methods=["GET", "PUT", "DELETE", "POST"]),
        Route(prefix + "/bulk/documents", bulk_documents, methods=["POST"]),
        Route(prefix + "/guid/mint", mint),
        Route(prefix + "/guid/prefix", guid_prefix),
        Route(prefix + "/_stats", stats),
        *urls.routes(prefix),
    ]


class RecordList(TypedDict):
    """The records found, and the filters they were found by."""

    records: list[IndexRecord]
    ids: list[str] | None
    size: int | None
    file_name: str | None
    hashes: dict[str, str]
    urls: list[str]
    acl: list[str]
    authz: list[str]
    start: str | None
    page: int
    limit: int


_LISTED = (
    Param("ids", "Comma-separated dids"),
    Param("hash", "`<type>:<value>`, e.g. md5:<32 hex digits> (repeatable)"),
    Param("size", "Size in bytes", int),
    Param("file_name", "File name"),
    Param("uploader", "Uploader"),
    Param("version", "Version label"),
    Param("url", "A URL the record holds (repeatable)"),
    Param("acl", "Comma-separated acl entries"),
    Param("authz", "Comma-separated resource paths"),
    Param("metadata", "`key:value` (repeatable)"),
    Param("start", "Records after this did"),
    Param("limit", f"At most this many (1 to {MAX_LIMIT}, default 100)", int),
    Param("page", "Page number, with limit", int),
)
_REV = Param("rev", "The record's current revision", required=True)
_RECORD = answer("The record.", IndexRecord)
_IDS = answer("The record's did, revision and base id.", Ids)
_WRITE = (*BODY, *CALLER, 404, 409)
CONTRACT = Contract(
    "index (indexd)",
    {
        records: {
            "GET": Operation(
                "Records by indexd's filters", {200: answer("", RecordList)}, (400,), _LISTED
            ),
            "POST": Operation(
                "Create a record", {200: _IDS}, (*BODY, *CALLER, 409), body={JSON: dict[str, Any]}
            ),
        },
        record: {
            "GET": Operation(
                "A record by did (or base id: its latest version)",
                {200: _RECORD},
                (*CALLER, 400, 404),
            ),
            "PUT": Operation(
                "Update a record", {200: _IDS}, _WRITE, (_REV,), {JSON: dict[str, Any]}
            ),
            "DELETE": Operation("Delete a record", {200: EMPTY}, (*CALLER, 400, 404, 409), (_REV,)),
            "POST": Operation(
                "Add a new version", {200: _IDS}, _WRITE, body={JSON: dict[str, Any]}
            ),
        },
        versions: {
            "GET": Operation(
                "Every version of a record, oldest first",
                {200: answer("Versions by position.", dict[str, IndexRecord])},
                (*CALLER, 404),
            )
        },
        latest: {
            "GET": Operation(
                "The latest version of a record",
                {200: _RECORD},
                (*CALLER, 404),
                (Param("has_version", "Only versions with a version label", bool),),
            )
        },
        blank: {
            "POST": Operation(
                "A blank record, filled when its bytes arrive",
                {201: _IDS},
                (*BODY, *CALLER),
                body={JSON: dict[str, Any]},
            )
        },
        blank_update: {
            "PUT": Operation(
                "Fill a blank record", {200: _IDS}, _WRITE, (_REV,), {JSON: dict[str, Any]}
            )
        },
        bulk_documents: {
            "POST": Operation(
                "The records of many dids",
                {200: answer("The records found.", list[IndexRecord])},
                BODY,
                body={JSON: list[str]},
            )
        },
        mint: {
            "GET": Operation(
                "New GUIDs, under the commons' prefix",
                {200: answer("", dict[str, list[str]])},
                (400,),
                (Param("count", f"How many (1 to {MAX_MINT})", int),),
            )
        },
        guid_prefix: {
            "GET": Operation("The commons' GUID prefix", {200: answer("", dict[str, str | None])})
        },
        stats: {"GET": Operation("Record count and total size", {200: answer("", dict[str, int])})},
    },
)

# `/index/...` first: the root set's `/index/{did:path}` would take `/index/index/<did>`.
routes = [
    *_routes("/index"),
    Route("/index/_status", status.status),
    Route("/index/_version", status.version_info),
    *_routes(""),
    Route("/{did:guid}", record, methods=["GET"]),
]
