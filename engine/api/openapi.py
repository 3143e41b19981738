"""The HTTP API's OpenAPI 3.1 contract, at `/openapi.json`, and Swagger UI over it at `/docs`.

Each route family describes its handlers in a table next to its routes
(`CONTRACT`: for each handler, per HTTP method, an `Operation`), naming the
typed models its answers are built from. The document is made by walking
the app's routes, mounts included: the paths and their parameters come
from the routes themselves, the rest from the table of the module that
defines the handler. So a route is described where it is written, and the
document lists what is mounted, nothing else (tests/test_openapi.py checks
both ways). HEAD is left out: Starlette answers it for every GET, as GET
without the body.

Models are Python types (TypedDicts, dataclasses, lists, unions, Literals)
turned into JSON Schema 2020-12 here; a dataclass field with
`metadata={"json": False}` is not part of its JSON. Swagger UI's files ship
in the `swagger-ui-bundle-v2` package and are served from `/docs/assets`,
so the page works on a machine without a network.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import (
    Any,
    Literal,
    NewType,
    NotRequired,
    Required,
    TypedDict,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from engine.api.errors import DATA_CONNECT, GA4GH, MDS

Schema = dict[str, Any]
# A node type of the app's dictionary: its schema is the dictionary's list of them.
NodeTypeName = NewType("NodeTypeName", str)
NODE_TYPE: Schema = {"$ref": "#/components/schemas/NodeType"}
DOCS_PAGE = Path(__file__).resolve().parent.parent / "web" / "docs" / "index.html"
JSON = "application/json"
TEXT = "text/plain"


@dataclass(frozen=True)
class Param:
    """A query parameter: its name, a model of its value, and what it is for."""

    name: str
    description: str
    model: Any = str
    required: bool = False


@dataclass(frozen=True)
class Answer:
    """One answer of an operation: what it means, and its body's model per media type."""

    description: str
    content: Mapping[str, Any] = field(default_factory=dict)


def answer(description: str, model: Any) -> Answer:
    """A JSON answer."""
    return Answer(description, {JSON: model})


@dataclass(frozen=True)
class Operation:
    """What one HTTP method of a route takes and answers.

    `errors` are the statuses answered with the error body of the route's API
    (engine/api/errors.py: `{message, code}`, or DRS's `{msg, status_code}`); a
    status in both `errors` and `answers` may be either. A path parameter's
    model is the string its route matches, unless `path` names a narrower one.
    """

    summary: str
    answers: Mapping[int, Answer]
    errors: tuple[int, ...] = ()
    query: tuple[Param, ...] = ()
    body: Mapping[str, Any] | None = None  # media type -> model
    body_required: bool = True
    path: Mapping[str, Any] = field(default_factory=dict)  # a path parameter's model, if narrower


@dataclass(frozen=True)
class Contract:
    """A route family's operations, under one tag: handler -> HTTP method -> Operation."""

    tag: str
    operations: Mapping[Callable[..., Any], Mapping[str, Operation]]


class Problem(TypedDict):
    """An error, as sheepdog's clients read it (engine/api/errors.py)."""

    message: str
    code: int


class DrsProblem(TypedDict):
    """An error under `/ga4gh/`, as GA4GH's APIs name its parts."""

    msg: str
    status_code: int


class MdsProblem(TypedDict):
    """An error under Gen3's metadata service paths, as FastAPI (MDS's framework) writes it."""

    detail: str | dict[str, Any]


class DataConnectError(TypedDict):
    title: str
    detail: str


class DataConnectProblem(TypedDict):
    """An error under `/ga4gh/data-connect/`, as Data Connect's ErrorResponse has it."""

    errors: list[DataConnectError]


def error_model(path: str) -> Any:
    """The error body of the API at `path` (engine/api/errors.py)."""
    if path.startswith(DATA_CONNECT):
        return DataConnectProblem
    if path.startswith(MDS):
        return MdsProblem
    return DrsProblem if path.startswith(GA4GH) else Problem


REASONS = {
    400: "The request is malformed; the message names the field or parameter.",
    401: "Not signed in: send an access token (Authorization: Bearer ...).",
    403: "The caller lacks the permission the message names.",
    404: "Not found (or not visible to the caller).",
    409: "Conflicts with the current state (e.g. a stale revision).",
    410: "Gone: what was asked for existed, and was removed when it expired.",
    413: "The request is past a limit (COMMONS_MAX_BODY_MB, or a list's length).",
}
CALLER = (401, 403)  # the route checks what the caller may do
BODY = (400, 413)  # the route reads a body (malformed, or past COMMONS_MAX_BODY_MB)
EMPTY = Answer("Done; no body.")
HTML = Answer("The page.", {"text/html": str})
ANY_FILE = Answer("The file.", {"*/*": Any})


# Models -> JSON Schema ------------------------------------------------------------------------


class Schemas:
    """JSON Schema of Python types; named types (TypedDicts, dataclasses) become components."""

    def __init__(self) -> None:
        self.components: dict[str, Schema] = {}

    def of(self, model: Any) -> Schema:
        if isinstance(model, dict):
            return model
        if model is NodeTypeName:
            return NODE_TYPE
        if model is Any or model is object:
            return {}
        scalar = {str: "string", int: "integer", bool: "boolean", float: "number"}
        if model is None or model is type(None):
            return {"type": "null"}
        if model in scalar:
            return {"type": scalar[model]}
        origin, args = get_origin(model), get_args(model)
        if origin is Literal:
            return {"enum": list(args)}
        if origin in (Union, types.UnionType):
            return {"anyOf": [self.of(arg) for arg in args]}
        if origin in (list, tuple, Sequence):
            return {"type": "array", "items": self.of(args[0])}
        if origin in (dict, Mapping):
            return {"type": "object", "additionalProperties": self.of(args[1])}
        if isinstance(model, type) and issubclass(model, enum.Enum):
            return {"enum": [member.value for member in model]}
        if is_typeddict(model) or dataclasses.is_dataclass(model):
            return self._named(model)
        raise TypeError(f"no JSON Schema for {model!r}")

    def _named(self, model: type) -> Schema:
        name = model.__name__
        if name not in self.components:
            self.components[name] = {}  # taken first: a model may refer to itself
            properties, required = (
                self._typed_dict(model) if is_typeddict(model) else self._dataclass(model)
            )
            schema: Schema = {"type": "object", "properties": properties, "required": required}
            if model.__doc__ and not dataclasses.is_dataclass(model):
                schema["description"] = " ".join(model.__doc__.split())
            self.components[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}

    def _typed_dict(self, model: type) -> tuple[Schema, list[str]]:
        """Required-ness read from the hints: on Python 3.11 `__required_keys__` misses a
        `NotRequired` written under `from __future__ import annotations`."""
        properties, required = {}, []
        total = getattr(model, "__total__", True)
        for name, hint in get_type_hints(model, include_extras=True).items():
            qualifier = get_origin(hint)
            if qualifier in (NotRequired, Required):
                hint = get_args(hint)[0]
            if qualifier is Required or (total and qualifier is not NotRequired):
                required.append(name)
            properties[name] = self.of(hint)
        return properties, required

    def _dataclass(self, model: type) -> tuple[Schema, list[str]]:
        """Every field that is part of the JSON, each always present (as `to_json` writes them)."""
        hints = get_type_hints(model)
        shown = [f for f in dataclasses.fields(model) if f.metadata.get("json", True)]
        return {f.name: self.of(hints[f.name]) for f in shown}, [f.name for f in shown]


# Routes -> paths ---------------------------------------------------------------------------

_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z_][a-zA-Z0-9_]*)?}")


def template(path: str) -> str:
    """Starlette's `/a/{b:path}` as OpenAPI's `/a/{b}`."""
    return _PARAM.sub(r"{\1}", path)


def _unwrapped(endpoint: Any) -> Any:
    return getattr(endpoint, "__wrapped__", endpoint)


@dataclass(frozen=True)
class Mounted:
    """One route as the app serves it: its path, methods, handler and path parameters."""

    path: str
    methods: tuple[str, ...]
    handler: Any
    params: Mapping[str, str] = field(default_factory=dict)  # name -> regex it must match


STATIC_FILE = "file"


def mounted(routes: Sequence[BaseRoute], prefix: str = "") -> list[Mounted]:
    """Every route under `routes`, mounts walked; a mount of static files is one GET route
    with the file's path as its parameter."""
    found: list[Mounted] = []
    for route in routes:
        if isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            path = f"{prefix}{route.path}/{{{STATIC_FILE}}}"
            found.append(Mounted(path, ("GET",), StaticFiles, {STATIC_FILE: ".+"}))
        elif isinstance(route, Mount):
            found += mounted(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            methods = tuple(sorted((route.methods or {"GET"}) - {"HEAD"}))
            params = {name: c.regex for name, c in route.param_convertors.items()}
            found.append(Mounted(prefix + route.path, methods, _unwrapped(route.endpoint), params))
    return found


def contract_of(handler: Any) -> Contract | None:
    """The contract of the module defining `handler` (StaticFiles: this module's)."""
    if handler is StaticFiles:
        return CONTRACT
    return getattr(sys.modules.get(handler.__module__), "CONTRACT", None)


class _Document:
    def __init__(self, node_types: Sequence[str]) -> None:
        self.schemas = Schemas()
        self.node_types = list(node_types)

    def operation(self, route: Mounted, contract: Contract, op: Operation) -> Schema:
        error = self.schemas.of(error_model(route.path))
        responses: dict[str, Schema] = {}
        # A path parameter its route cannot match is a 404 from the router.
        errors = sorted({*op.errors, 404}) if route.params else op.errors
        for status in errors:
            responses[str(status)] = {
                "description": REASONS[status],
                "content": {JSON: {"schema": error}},
            }
        for status, given in op.answers.items():
            entry: Schema = {"description": given.description}
            if given.content:
                entry["content"] = {
                    media: {"schema": self.schemas.of(model)}
                    for media, model in given.content.items()
                }
            if status in errors:  # either this answer or an error (e.g. a malformed name)
                entry["description"] += " Or: " + REASONS[status]
                content = entry.setdefault("content", {})
                mine = content.get(JSON, {}).get("schema")
                content[JSON] = {"schema": {"anyOf": [mine, error]} if mine else error}
            responses[str(status)] = entry
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": self.schemas.of(op.path[name])
                if name in op.path
                else {"type": "string", "pattern": f"^(?:{regex})$"},
            }
            for name, regex in route.params.items()
        ] + [
            {
                "name": param.name,
                "in": "query",
                "required": param.required,
                "description": param.description,
                "schema": self.schemas.of(param.model),
            }
            for param in op.query
        ]
        found: Schema = {
            "tags": [contract.tag],
            "summary": op.summary,
            "responses": responses,
        }
        if parameters:
            found["parameters"] = parameters
        if op.body is not None:
            found["requestBody"] = {
                "required": op.body_required,
                "content": {
                    media: {"schema": self.schemas.of(model)} for media, model in op.body.items()
                },
            }
        return found

    def build(self, routes: Sequence[BaseRoute]) -> Schema:
        paths: dict[str, dict[str, Schema]] = {}
        tags: dict[str, None] = {}
        for route in mounted(routes):
            contract = contract_of(route.handler)
            if contract is None:
                continue
            for method in route.methods:
                op = contract.operations.get(route.handler, {}).get(method)
                if op is None:
                    continue
                tags[contract.tag] = None
                item = paths.setdefault(template(route.path), {})
                item[method.lower()] = self.operation(route, contract, op)
        self.schemas.components["NodeType"] = {"enum": self.node_types}
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "Commons",
                "version": version("commons"),
                "description": "Gen3-compatible services of Commons: sheepdog, peregrine, "
                "indexd, DRS, fence, guppy, and Commons' own exploration and admin routes.",
            },
            "tags": [{"name": tag} for tag in tags],
            "paths": paths,
            "components": {
                "schemas": dict(sorted(self.schemas.components.items())),
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                },
            },
            # A token is optional: anonymous callers are answered what they may see.
            "security": [{}, {"bearer": []}],
        }


def document(routes: Sequence[BaseRoute], node_types: Sequence[str]) -> Schema:
    """The OpenAPI document of `routes`; `node_types` are the dictionary's (`NodeType`)."""
    return _Document(node_types).build(routes)


# The routes of the contract itself -----------------------------------------------------------


async def openapi_json(request: Request) -> Response:
    app = request.app
    built = getattr(app.state, "openapi", None)
    if built is None:
        built = app.state.openapi = document(app.routes, app.state.compiled.dictionary.nodes)
    return JSONResponse(built)


async def docs(request: Request) -> Response:
    return FileResponse(DOCS_PAGE, media_type="text/html")


CONTRACT = Contract(
    "docs",
    {
        openapi_json: {"GET": Operation("This document", {200: answer("OpenAPI 3.1.", Any)})},
        docs: {"GET": Operation("Swagger UI over this document (local files only)", {200: HTML})},
        StaticFiles: {
            "GET": Operation(
                "A static file (the dashboard's, GraphiQL's, Swagger UI's)", {200: ANY_FILE}
            )
        },
    },
)

routes = [
    Route("/openapi.json", openapi_json),
    Route("/docs", docs),
    Mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path))),
]
