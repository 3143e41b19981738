"""Request bodies, read within COMMONS_MAX_BODY_MB: raw, as JSON (engine/json_input.py) or as a form.

Every route reads its body here, so every body is held to the one limit:
a Content-Length past it is answered 413 before a byte is read, and a body
sent without one is refused as soon as the bytes read pass it. A body that
is not the JSON a route takes is a 400 naming the problem.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from engine.api.errors import HTTPProblem
from engine.json_input import JSONRejected, loads


def _too_large(limit: int, size: str) -> HTTPProblem:
    return HTTPProblem(
        413, f"request body {size}exceeds the limit of {limit} bytes (COMMONS_MAX_BODY_MB)"
    )


async def body_chunks(request: Request) -> AsyncGenerator[bytes, None]:
    """The body as it arrives, refused (413) once past the limit or when declared past it."""
    limit = request.app.state.settings.commons_max_body_mb * 1024 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, f"of {declared} bytes ")
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, "")
        yield chunk


async def read_body(request: Request) -> bytes:
    """The whole body (JSON, a table, YAML), within the limit."""
    return b"".join([chunk async for chunk in body_chunks(request)])


def _parsed(body: bytes) -> Any:
    try:
        return loads(body)
    except JSONRejected as error:
        raise HTTPProblem(400, error.message) from None


async def json_body(request: Request) -> Any:
    """The body's JSON value, whatever it is: the route checks its shape."""
    return _parsed(await read_body(request))


async def json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The body as a JSON object; `optional`: an empty body is `{}`."""
    body = await read_body(request)
    if optional and not body.strip():
        return {}
    value = _parsed(body)
    if not isinstance(value, dict):
        raise HTTPProblem(400, "the body must be a JSON object")
    return value


async def form_body(request: Request) -> FormData:
    """A form, url-encoded or multipart (fields only: no route here takes files)."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    chunks = body_chunks(request)
    parser = (
        MultiPartParser(request.headers, chunks, max_files=0)
        if media == "multipart/form-data"
        else FormParser(request.headers, chunks)
    )
    try:
        return await parser.parse()
    except MultiPartException as error:
        raise HTTPProblem(400, f"the form is malformed: {error.message}") from None
