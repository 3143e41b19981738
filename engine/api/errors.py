"""How failures become HTTP answers: a specific message and a 4xx, never a traceback.

Sheepdog's clients read `message` and `code` from an error body, so every
error answer carries both; GA4GH APIs (DRS, under `/ga4gh/`) name them
`msg` and `status_code`, and GA4GH Data Connect (under `/ga4gh/data-connect/`)
`{"errors": [{"title", "detail"}]}`. Every error answers in the shape of its path's API,
a route that does not exist or a method it does not take included, so the
OpenAPI contract (engine/api/openapi.py) holds for any path a client sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from engine.auth.errors import AuthError
from engine.metadata.store import MetadataError
from engine.objects.record import RecordError
from engine.submission.documents import BodyError
from engine.submission.projects import AdminError
from engine.submission.submit import ProjectNotFound

GA4GH = "/ga4gh/"
# Gen3's metadata service answers errors as FastAPI does: `{"detail": ...}`.
MDS = ("/mds/", "/mds-admin/", "/metadata")
DATA_CONNECT = "/ga4gh/data-connect/"


class HTTPProblem(Exception):
    """Raised by a route to answer `status` with `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def problem(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The error answer in the shape the API at the request's path reads."""
    if request.url.path.startswith(DATA_CONNECT):
        body: dict[str, object] = {
            "errors": [{"title": HTTPStatus(status).phrase, "detail": message}]
        }
    elif request.url.path.startswith(GA4GH):
        body = {"msg": message, "status_code": status}
    elif request.url.path.startswith(MDS):
        body = {"detail": message}
    else:
        body = {"message": message, "code": status}
    return JSONResponse(body, status_code=status, headers=headers)


async def _http_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPProblem | AdminError | RecordError)
    return problem(request, error.status, error.message)


async def _metadata_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, MetadataError)
    if isinstance(error.detail, str):
        return problem(request, error.status, error.detail)
    return JSONResponse({"detail": error.detail}, status_code=error.status)


async def _auth_error(request: Request, error: Exception) -> Response:
    """A 401 names the scheme to use, as RFC 6750 asks."""
    assert isinstance(error, AuthError)
    scheme = {"WWW-Authenticate": 'Bearer realm="commons"'} if error.status == 401 else None
    return problem(request, error.status, error.message, scheme)


async def _body_error(request: Request, error: Exception) -> Response:
    return problem(request, 400, str(error))


async def _not_found(request: Request, error: Exception) -> Response:
    return problem(request, 404, str(error))


async def _routing(request: Request, error: Exception) -> Response:
    """No route (a path parameter its route cannot match included, e.g. one holding a line
    break), or not this method: the error body of the API at the path, naming what was asked."""
    assert isinstance(error, HTTPException)
    allowed = (error.headers or {}).get("Allow")
    message = f"{error.detail}: {request.method} {request.url.path}"
    return problem(
        request,
        error.status_code,
        message + (f" (this path answers {allowed})" if allowed else ""),
        error.headers,
    )


async def _server_error(request: Request, error: Exception) -> Response:
    """An unexpected failure (logged with its traceback by the server): nothing of it is told."""
    if not request.url.path.startswith(GA4GH):
        return PlainTextResponse("Internal Server Error", 500)
    return problem(request, 500, "an unexpected error occurred; the server logged it")


handlers = {
    HTTPProblem: _http_problem,
    AdminError: _http_problem,
    RecordError: _http_problem,
    MetadataError: _metadata_error,
    AuthError: _auth_error,
    BodyError: _body_error,
    ProjectNotFound: _not_found,
    HTTPException: _routing,
    Exception: _server_error,
}
