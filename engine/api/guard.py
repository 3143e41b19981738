"""Route tables: what a request must be allowed before its handler runs.

A route family lists its routes in one table, each with what every HTTP
method of it needs (`Need`), and `guarded_routes` turns the table into
routes whose endpoints check first. The check runs before the handler looks
anything up, so a refusal reads the same whether or not the program,
project or entity asked about exists, and its message names the permission,
never the resource (engine/auth/principal.py). Before that, the program and
project a path names are checked (engine/auth/resources.py): a malformed
one is a 400 and never meets a grant or the store, except in an admin's
DELETE, so what a store holds from before names were checked can be removed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.auth.principal import principal
from engine.auth.resources import program_path, project_resource

Endpoint = Callable[[Request], Awaitable[Response]]
# Where the permission must be held: nowhere (public), on the project or program the
# path names, or anywhere inside that program (enough to list what of it is readable).
Where = Literal["public", "admin", "project", "in_program"]


@dataclass(frozen=True)
class Need:
    """What one HTTP method of one route needs: `methods` of `service`, all of them, `where`."""

    where: Where = "public"
    service: str = ""
    methods: tuple[str, ...] = ()

    async def check(self, request: Request) -> None:
        """Raises AuthError (401 anonymous, else 403) when the caller lacks what is needed."""
        if self.where == "public":
            return
        who = await principal(request)
        if self.where == "admin":
            who.require_admin()
            return
        if who.is_admin:  # allowed everywhere, even under a name made before names were checked
            return
        params = request.path_params
        if self.where == "project":
            resource = project_resource(params["program"], params["project"])
            for method in self.methods:
                who.require(self.service, method, resource)
            return
        resource = program_path(params["program"])
        for method in self.methods:
            if not who.reaches(self.service, method, resource):
                who.refuse(f"the {self.service} '{method}' permission")


PUBLIC = Need()
ADMIN = Need("admin")


async def _check_names(request: Request) -> None:
    """Raises a 400 when the path names a malformed program or project (not to an admin's DELETE)."""
    params = request.path_params
    if "program" not in params:
        return
    if request.method == "DELETE" and (await principal(request)).is_admin:
        return
    if "project" in params:
        project_resource(params["program"], params["project"])
    else:
        program_path(params["program"])


def guarded(handler: Endpoint, needs: Mapping[str, Need]) -> Endpoint:
    """`handler`, run only once the path's names are plain and the need of the request's method
    is met (HEAD as GET)."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        await _check_names(request)
        await needs[method].check(request)
        return await handler(request)

    return endpoint


def guarded_routes(table: Iterable[tuple[str, Endpoint, Mapping[str, Need]]]) -> list[Route]:
    """One route per row of `(path, handler, {HTTP method: Need})`, allowing those methods only."""
    return [
        Route(path, guarded(handler, needs), methods=list(needs)) for path, handler, needs in table
    ]
