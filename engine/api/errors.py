"""How failures become HTTP answers: a specific message and a 4xx, never a traceback.

Sheepdog's clients read `message` and `code` from an error body, so every
error answer carries both.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine.auth.errors import AuthError
from engine.objects.record import RecordError
from engine.submission.documents import BodyError
from engine.submission.projects import AdminError
from engine.submission.submit import ProjectNotFound


class HTTPProblem(Exception):
    """Raised by a route to answer `status` with `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "code": status}, status_code=status)


async def _http_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPProblem | AdminError)
    return problem(error.status, error.message)


async def _auth_error(request: Request, error: Exception) -> Response:
    """A 401 names the scheme to use, as RFC 6750 asks."""
    assert isinstance(error, AuthError)
    response = problem(error.status, error.message)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="commons"'
    return response


async def _record_error(request: Request, error: Exception) -> Response:
    """DRS clients read `msg` and `status_code`, as the GA4GH spec names them."""
    assert isinstance(error, RecordError)
    body = {"message": error.message, "code": error.status}
    if request.url.path.startswith("/ga4gh/"):
        body |= {"msg": error.message, "status_code": error.status}
    return JSONResponse(body, status_code=error.status)


async def _body_error(request: Request, error: Exception) -> Response:
    return problem(400, str(error))


async def _not_found(request: Request, error: Exception) -> Response:
    return problem(404, str(error))


handlers = {
    HTTPProblem: _http_problem,
    AdminError: _http_problem,
    AuthError: _auth_error,
    RecordError: _record_error,
    BodyError: _body_error,
    ProjectNotFound: _not_found,
}
