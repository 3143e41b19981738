"""The API every route calls: who is asking, and may they do this?

    who = await principal(request)
    who.require("sheepdog", "create", project_path(project_id))

`principal` never fails with a 500 on a bad token: a missing header is an
anonymous caller, a bad one a 401 that says what is wrong. `require` refuses
with a message that names the permission and never the resource, since the
resource may be an id the caller must not learn exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from engine.auth.errors import AuthError
from engine.auth.policy import Permission
from engine.auth.resources import PROGRAMS, covers

if TYPE_CHECKING:
    from engine.auth.authority import Authority

ProjectsIn = Callable[[frozenset[str]], frozenset[str]]


class Principal:
    """A caller and what the active policy lets them do, fixed for one request."""

    def __init__(
        self,
        name: str | None,
        *,
        admin: bool,
        permissions: frozenset[Permission],
        projects_in: ProjectsIn,
    ) -> None:
        self.name = name
        self.is_admin = admin
        self.permissions = permissions
        self._projects_in = projects_in
        self._readable: dict[tuple[str, str], frozenset[str] | None] = {}

    @property
    def is_anonymous(self) -> bool:
        return self.name is None

    def can(self, service: str, method: str, resource_path: str) -> bool:
        return self.is_admin or any(
            p.allows(service, method, resource_path) for p in self.permissions
        )

    def reaches(self, service: str, method: str, resource_path: str) -> bool:
        """May the caller `method` on `resource_path` or on anything beneath it?

        What a listing asks: a program is shown to whoever may read it or any
        one of its projects. Answered from the grants alone, without the store.
        """
        paths = self.granted_paths(service, method)
        return paths is None or any(
            covers(path, resource_path) or covers(resource_path, path) for path in paths
        )

    def require(self, service: str, method: str, resource_path: str) -> None:
        """Raises AuthError: 401 for an anonymous caller (logging in may help), else 403."""
        if not self.can(service, method, resource_path):
            self.refuse(f"the {service} '{method}' permission")

    def require_admin(self) -> None:
        """For what only admins do: programs, projects, the policy itself."""
        if not self.is_admin:
            self.refuse("admin rights")

    def refuse(self, needed: str) -> NoReturn:
        """Raises the refusal for a request that needs `needed` (named, never its resource)."""
        if self.is_anonymous:
            raise AuthError(
                401,
                f"authentication required: this needs {needed}, which anonymous requests do not "
                "have; send 'Authorization: Bearer <access token>'",
            )
        raise AuthError(403, f"{self.name} does not have {needed}, which this needs")

    def readable_projects(
        self, service: str = "peregrine", method: str = "read"
    ) -> frozenset[str] | None:
        """The project_ids the caller may `method` on `service`; None means all of them.

        Meant as a Cypher parameter (`WHERE n.project_id IN $readable`), so
        nothing unreadable is fetched. A grant on a whole program reads that
        program's projects from the graph (once per request and service):
        call it where the route already does its store work.
        """
        if (service, method) not in self._readable:
            self._readable[service, method] = self._find_readable(service, method)
        return self._readable[service, method]

    def granted_paths(self, service: str, method: str) -> frozenset[str] | None:
        """The resource paths where the caller may `method` on `service` (and beneath them).

        None means everywhere (an admin). For checks that must happen inside
        a store query, such as listing only the index records a caller may read.
        """
        if self.is_admin:
            return None
        return frozenset(
            p.resource
            for p in self.permissions
            if p.service in ("*", service) and p.method in ("*", method)
        )

    def _find_readable(self, service: str, method: str) -> frozenset[str] | None:
        paths = self.granted_paths(service, method)
        if paths is None:
            return None
        if any(covers(path, PROGRAMS) for path in paths):
            return None
        projects, programs = set(), set()
        for path in paths:
            parts = path.split("/")[2:]  # below /programs: P, "projects", Q
            if path.startswith(PROGRAMS + "/") and len(parts) == 3 and parts[1] == "projects":
                projects.add(f"{parts[0]}-{parts[2]}")
            elif path.startswith(PROGRAMS + "/") and parts[1:] in ([], ["projects"]):
                programs.add(parts[0])
        return frozenset(projects) | (
            self._projects_in(frozenset(programs)) if programs else frozenset()
        )


def bearer_token(header: str) -> str | None:
    """The token of `Authorization: Bearer <token>` (any case: the Gen3 SDK sends `bearer`)."""
    if not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(401, "the Authorization header must read 'Bearer <access token>'")
    return token.strip()


async def principal(request: Request) -> Principal:
    """The caller of `request`, worked out once and kept on `request.state`."""
    found = getattr(request.state, "principal", None)
    if found is None:
        token = bearer_token(request.headers.get("authorization", ""))
        authority: Authority = request.app.state.auth
        found = await run_in_threadpool(authority.principal, token)
        request.state.principal = found
    return found
