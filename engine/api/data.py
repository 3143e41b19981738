"""fence's data access at `/user/data/...`: signed URLs to put and get the bytes of a record.

Bytes never pass through Commons: an upload makes a pending record and a
signed PUT (or one signed URL per part for multipart), the client sends the
bytes to S3, and Commons checks what landed before the record becomes
valid. Besides fence's fields, multipart `complete` takes the client's
`md5` and `size`, which the stored object must match; `upload/batch`
with `upload/complete` and `download/batch` (Commons' own) move many
small files in a couple of requests where fence needs one or two per file;
and `multipart/abort` (Commons' own too: clients hold only signed URLs)
drops a failed upload's parts from the store.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api.body import json_object
from engine.api.objects import data_objects, optional_number, whole_number
from engine.api.openapi import BODY, CALLER, EMPTY, JSON, Contract, Operation, Param, answer
from engine.objects.record import IndexRecord, RecordError

PROTOCOL = "s3"
MAX_BATCH = 1000


async def _body(request: Request) -> dict[str, Any]:
    body = await json_object(request)
    if body.get("protocol") not in (None, PROTOCOL):
        raise RecordError(400, f"protocol must be {PROTOCOL}: Commons stores bytes in S3")
    bucket = request.app.state.stores.objects.bucket
    if body.get("bucket") not in (None, bucket):
        raise RecordError(400, f"bucket must be {bucket}, the only bucket Commons writes to")
    return body


def _expires(body: dict[str, Any]) -> int | None:
    value = body.get("expires_in")
    return None if value is None else whole_number("expires_in", value, 1)


async def upload(request: Request) -> Response:
    """A new pending record and a signed PUT for its bytes: `{guid, url}`."""
    body = await _body(request)
    record, url = await run_in_threadpool(
        (await data_objects(request)).upload,
        body.get("file_name"),
        body.get("authz"),
        None,
        _expires(body),
    )
    return JSONResponse({"guid": record.did, "url": url, "rev": record.rev}, status_code=201)


def _files(body: dict[str, Any]) -> list[Any]:
    files = body.get("files")
    if not isinstance(files, list) or not files or len(files) > MAX_BATCH:
        raise RecordError(400, f"files must be a list of 1 to {MAX_BATCH} items")
    return files


async def upload_batch(request: Request) -> Response:
    """Commons' own: `{files: [{file_name, authz}]}` -> one `{guid, url, rev}` each, one write."""
    body = await _body(request)
    signed = await run_in_threadpool(
        (await data_objects(request)).upload_many, _files(body), _expires(body)
    )
    uploads = [{"guid": record.did, "url": url, "rev": record.rev} for record, url in signed]
    return JSONResponse({"uploads": uploads}, status_code=201)


async def upload_complete(request: Request) -> Response:
    """Commons' own: `{files: [{guid, rev, size, md5}]}` -> each checked against what S3 holds.

    Per file the answer is the record or the reason it was refused, so one
    bad upload does not hold back the rest.
    """
    files = _files(await _body(request))
    if not all(isinstance(item, dict) for item in files):
        raise RecordError(400, "each file must be an object {guid, rev, size, md5}")
    items = [
        (
            str(f.get("guid")),
            str(f.get("rev")),
            {"size": f.get("size"), "hashes": {"md5": f.get("md5")}},
        )
        for f in files
    ]
    outcomes = await run_in_threadpool((await data_objects(request)).fill_blanks, items)
    return JSONResponse(
        {
            "records": [o.to_json() for o in outcomes if not isinstance(o, RecordError)],
            "errors": [
                {"guid": guid, "code": o.status, "message": o.message}
                for (guid, _, _), o in zip(items, outcomes, strict=True)
                if isinstance(o, RecordError)
            ],
        }
    )


async def upload_to_guid(request: Request) -> Response:
    """A signed PUT for a record that has no bytes yet (or whose upload was refused)."""
    record, url = await run_in_threadpool(
        (await data_objects(request)).upload,
        request.query_params.get("file_name"),
        None,
        request.path_params["guid"],
        optional_number(request, "expires_in", 1),
    )
    return JSONResponse({"guid": record.did, "url": url, "rev": record.rev})


async def download(request: Request) -> Response:
    url = await run_in_threadpool(
        (await data_objects(request)).download_url,
        request.path_params["guid"],
        request.query_params.get("protocol"),
        optional_number(request, "expires_in", 1),
    )
    return JSONResponse({"url": url})


async def download_batch(request: Request) -> Response:
    """Commons' own: `{guids: [...]}` -> per GUID, a signed URL and its record (or why not),
    from one read: a client checks the bytes against the record without asking for it."""
    body = await _body(request)
    guids = body.get("guids")
    if not isinstance(guids, list) or not guids or len(guids) > MAX_BATCH:
        raise RecordError(400, f"guids must be a list of 1 to {MAX_BATCH} GUIDs")
    if not all(isinstance(guid, str) for guid in guids):
        raise RecordError(400, "guids must be strings")
    outcomes = await run_in_threadpool(
        (await data_objects(request)).download_urls, guids, _expires(body)
    )
    return JSONResponse(
        {
            "downloads": [
                {"guid": guid, "code": outcome.status, "message": outcome.message}
                if isinstance(outcome, RecordError)
                else {"guid": guid, "url": outcome.url, "record": outcome.record.to_json()}
                for guid, outcome in zip(guids, outcomes, strict=True)
            ]
        }
    )


async def delete(request: Request) -> Response:
    await run_in_threadpool((await data_objects(request)).remove, request.path_params["guid"])
    return Response(status_code=204)


async def multipart_init(request: Request) -> Response:
    body = await _body(request)
    record, upload_id = await run_in_threadpool(
        (await data_objects(request)).multipart_init,
        body.get("file_name"),
        body.get("authz"),
        body.get("guid"),
    )
    return JSONResponse(
        {"guid": record.did, "uploadId": upload_id, "key": record.storage_key}, status_code=201
    )


async def multipart_upload(request: Request) -> Response:
    body = await _body(request)
    url = await run_in_threadpool(
        (await data_objects(request)).multipart_url,
        body.get("key"),
        body.get("uploadId"),
        body.get("partNumber"),
        _expires(body),
    )
    return JSONResponse({"presigned_url": url})


async def multipart_abort(request: Request) -> Response:
    """Commons' own: `{key, uploadId}` -> the unfinished upload and its parts are dropped."""
    body = await _body(request)
    await run_in_threadpool(
        (await data_objects(request)).multipart_abort, body.get("key"), body.get("uploadId")
    )
    return Response(status_code=204)


async def multipart_complete(request: Request) -> Response:
    body = await _body(request)
    record = await run_in_threadpool(
        (await data_objects(request)).multipart_complete,
        body.get("key"),
        body.get("uploadId"),
        body.get("parts"),
        body.get("md5"),
        body.get("size"),
    )
    return JSONResponse(record.to_json())


class Ticket(TypedDict):
    """A record awaiting its bytes, and the signed URL to PUT them to."""

    guid: str
    url: str
    rev: str


class Signed(TypedDict):
    url: str


class Uploads(TypedDict):
    uploads: list[Ticket]


class Refused(TypedDict):
    guid: str
    code: int
    message: str


class Completed(TypedDict):
    records: list[IndexRecord]
    errors: list[Refused]


class Download(TypedDict):
    guid: str
    url: NotRequired[str]
    record: NotRequired[IndexRecord]
    code: NotRequired[int]
    message: NotRequired[str]


class Downloads(TypedDict):
    downloads: list[Download]


class Multipart(TypedDict):
    guid: str
    uploadId: str
    key: str


class PartURL(TypedDict):
    presigned_url: str


# Every body may name the protocol and bucket, which must be Commons' own.
_BODY = {JSON: dict[str, Any]}
_EXPIRES = Param("expires_in", "Seconds the URL is valid (capped by SIGNED_URL_TTL)", int)
_SIGNED = (*BODY, *CALLER, 404, 409)


def _posted(summary: str, status: int, model: Any) -> Operation:
    return Operation(summary, {status: answer("", model)}, _SIGNED, body=_BODY)


CONTRACT = Contract(
    "data (fence)",
    {
        upload: {"POST": _posted("A new record and a signed PUT for its bytes", 201, Ticket)},
        upload_batch: {"POST": _posted("Many uploads in one request", 201, Uploads)},
        upload_complete: {
            "POST": _posted("Check uploaded bytes against what was sent", 200, Completed)
        },
        upload_to_guid: {
            "GET": Operation(
                "A signed PUT for a record without bytes",
                {200: answer("", Ticket)},
                (*CALLER, 400, 404, 409),
                (Param("file_name", "The file's name"), _EXPIRES),
            )
        },
        download_batch: {"POST": _posted("Signed URLs and records of many GUIDs", 200, Downloads)},
        download: {
            "GET": Operation(
                "A signed URL for a record's bytes",
                {200: answer("", Signed)},
                (*CALLER, 400, 404),
                (Param("protocol", "s3, or a scheme of the record's URLs"), _EXPIRES),
            )
        },
        multipart_init: {"POST": _posted("Start a multipart upload", 201, Multipart)},
        multipart_upload: {"POST": _posted("A signed URL for one part", 200, PartURL)},
        multipart_complete: {"POST": _posted("Complete a multipart upload", 200, IndexRecord)},
        multipart_abort: {
            "POST": Operation(
                "Drop an unfinished multipart upload", {204: EMPTY}, _SIGNED, body=_BODY
            )
        },
        delete: {
            "DELETE": Operation(
                "Delete a record and its bytes", {204: EMPTY}, (*CALLER, 400, 404, 409)
            )
        },
    },
)

routes = [
    Route("/user/data/upload", upload, methods=["POST"]),
    Route("/user/data/upload/batch", upload_batch, methods=["POST"]),
    Route("/user/data/upload/complete", upload_complete, methods=["POST"]),
    Route("/user/data/upload/{guid:path}", upload_to_guid),
    Route("/user/data/download/batch", download_batch, methods=["POST"]),
    Route("/user/data/download/{guid:path}", download),
    Route("/user/data/multipart/init", multipart_init, methods=["POST"]),
    Route("/user/data/multipart/upload", multipart_upload, methods=["POST"]),
    Route("/user/data/multipart/complete", multipart_complete, methods=["POST"]),
    Route("/user/data/multipart/abort", multipart_abort, methods=["POST"]),
    Route("/user/data/{guid:path}", delete, methods=["DELETE"]),
]
