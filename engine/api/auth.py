"""fence's token routes and the policy admin API.

The Gen3 SDK posts its whole credentials.json as JSON to
`/user/credentials/cdis/access_token`; browsers' forms send the same field
form-encoded, so both are read.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypedDict

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api.body import form_body, json_body, json_object, read_body
from engine.api.errors import HTTPProblem
from engine.api.openapi import BODY, CALLER, JSON, Contract, Operation, answer
from engine.auth.authority import GRANTS_CLAIM, Authority
from engine.auth.errors import AuthError
from engine.auth.policy_store import save_policy, show_policy
from engine.auth.principal import principal
from engine.json_input import MAX_DEPTH


def _authority(request: Request) -> Authority:
    return request.app.state.auth


async def jwks(request: Request) -> Response:
    return JSONResponse(_authority(request).keys.jwks())


async def _api_key(request: Request) -> Any:
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return (await form_body(request)).get("api_key")
    return (await json_object(request, optional=True)).get("api_key")


async def access_token(request: Request) -> Response:
    """API key → access token, as fence answers it: `{"access_token": ...}`."""
    api_key = await _api_key(request)
    if not isinstance(api_key, str) or not api_key:
        raise HTTPProblem(400, "send the API key as 'api_key' (the content of credentials.json)")
    token = await run_in_threadpool(_authority(request).exchange, api_key)
    return JSONResponse({"access_token": token})


async def passport_exchange(request: Request) -> Response:
    """GA4GH passports → a short Commons access token carrying their grants, so GraphQL, guppy
    and the dashboard, which take bearer tokens, follow them; it ends when the first grant does."""
    passports = (await json_object(request)).get("passports")
    if not isinstance(passports, list) or not passports:
        raise HTTPProblem(400, "send 'passports': a non-empty list of passport JWTs")
    if not all(isinstance(passport, str) and passport for passport in passports):
        raise HTTPProblem(400, "passports must be a list of passport JWTs")
    token, claims = await run_in_threadpool(_authority(request).exchange_passports, passports)
    return JSONResponse(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": claims["exp"] - claims["iat"],
            "studies": claims[GRANTS_CLAIM],
        }
    )


async def user_info(request: Request) -> Response:
    """fence's `/user/user`: who the token names and what they may do, as a portal asks it to
    show who is signed in; an anonymous caller is a 401."""
    who = await principal(request)
    if who.is_anonymous:
        raise AuthError(401, "not signed in: send an access token (Authorization: Bearer ...)")
    authz: dict[str, list[dict[str, str]]] = defaultdict(list)
    for grant in sorted(who.permissions, key=lambda p: (p.resource, p.service, p.method)):
        authz[grant.resource].append({"service": grant.service, "method": grant.method})
    return JSONResponse(
        {
            "username": who.name,
            "sub": who.name,
            "is_admin": who.is_admin,
            "authz": authz,
            "resources": sorted(authz),
        }
    )


class _PolicyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting past MAX_DEPTH (it recurses once a level)."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.YAMLError(f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


async def _policy_document(request: Request) -> Any:
    """The policy sent as JSON (read as every JSON body is) or as YAML, user.yaml's format."""
    if request.headers.get("content-type", "").startswith("application/json"):
        return await json_body(request)
    try:
        return yaml.load(await read_body(request), Loader=_PolicyLoader)
    except (yaml.YAMLError, ValueError) as error:  # ValueError: int() of 4,300+ digits
        raise HTTPProblem(400, f"body is neither JSON nor YAML: {error}") from None


async def admin_policy(request: Request) -> Response:
    """GET the active policy in user.yaml's shape; PUT a new one (JSON or YAML), checked whole
    by the same code as `commons policy load` (engine/auth/policy.py): nothing is replaced
    unless the whole document is valid, and it must have an authz section."""
    (await principal(request)).require_admin()
    graph = _authority(request).graph
    if request.method == "PUT":
        data = await _policy_document(request)
        await run_in_threadpool(save_policy, graph, data)
    return JSONResponse(await run_in_threadpool(show_policy, graph))


class JWKS(TypedDict):
    keys: list[dict[str, Any]]


class APIKey(TypedDict):
    """credentials.json: `api_key` is what is read, `key_id` may come along."""

    api_key: str


class AccessToken(TypedDict):
    access_token: str


class PassportToken(TypedDict):
    access_token: str
    token_type: str
    expires_in: int
    studies: list[str]


class PassportsBody(TypedDict):
    passports: list[str]


class Grant(TypedDict):
    service: str
    method: str


class UserInfo(TypedDict):
    username: str
    sub: str
    is_admin: bool
    authz: dict[str, list[Grant]]
    resources: list[str]


_POLICY = answer("The active policy, in user.yaml's shape.", dict[str, Any])
CONTRACT = Contract(
    "auth (fence)",
    {
        jwks: {"GET": Operation("The keys access tokens are signed with", {200: answer("", JWKS)})},
        access_token: {
            "POST": Operation(
                "An API key (credentials.json) exchanged for an access token",
                {200: answer("The access token.", AccessToken)},
                (*BODY, 401),
                body={JSON: APIKey, "application/x-www-form-urlencoded": APIKey},
            )
        },
        passport_exchange: {
            "POST": Operation(
                "GA4GH passports exchanged for an access token carrying their grants",
                {200: answer("The access token, and the studies it opens.", PassportToken)},
                (*BODY, 401),
                body={JSON: PassportsBody},
            )
        },
        user_info: {
            "GET": Operation(
                "Who the token names and what they may do", {200: answer("", UserInfo)}, (401,)
            )
        },
        admin_policy: {
            "GET": Operation("The active policy (admin)", {200: _POLICY}, CALLER),
            "PUT": Operation(
                "Replace the policy, checked whole (admin)",
                {200: _POLICY},
                (*BODY, *CALLER),
                body={JSON: dict[str, Any], "application/x-yaml": str},
            ),
        },
    },
)

routes = [
    Route("/.well-known/jwks.json", jwks),
    Route("/user/.well-known/jwks", jwks),
    Route("/user/credentials/cdis/access_token", access_token, methods=["POST"]),
    Route("/user/credentials/api/access_token", access_token, methods=["POST"]),
    Route("/user/ga4gh/passport/exchange", passport_exchange, methods=["POST"]),
    Route("/user/user", user_info),
    Route("/admin/policy", admin_policy, methods=["GET", "PUT"]),
]
