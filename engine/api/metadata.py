"""Gen3's metadata service (MDS) at `/mds`, `/mds-admin` and the root `/metadata`, and study counts.

In a Gen3 commons MDS sits behind `/mds`; the Gen3 SDK reads there and
writes through `/mds-admin`, while Gen3's own integration tests write
through `/mds`, so both take every route. An SDK whose endpoint contains
`http://localhost` drops both prefixes, so the `/metadata` routes are
served at the root too (not `/_status` and `/version`: the root ones are
Commons' own). Answers and errors are MDS's (`{"detail": ...}`), as in
uc-cdis/metadata-service src/mds/query.py, maintain.py, aliases.py and
agg_mds/query.py.

Reads are public, as in Gen3, unless `MDS_READ=authz`: then they need
`access` or `read` on `/mds_metadata_queries`, for service
`mds_metadata_queries` (what MDS's FORCE_AUTHZ_CHECK_FOR_METADATA_QUERIES
asks arborist, src/mds/auth.py) or `mds_gateway`. Writes need `access` on
`/mds_gateway` for service `mds_gateway`, or admin; anyone else gets a 403.

`GET /discovery/studies/{guid}/counts` is Commons' own: a study's project
and its subjects and files, counted live in the graph, for the Discovery
page; counts of a project the caller cannot read follow TIER_ACCESS_LEVEL.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any, TypedDict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api.body import json_body
from engine.api.openapi import JSON, Answer, Contract, Operation, Param, answer
from engine.auth.principal import Principal, principal
from engine.auth.tiers import hide_small_count
from engine.metadata import discovery
from engine.metadata.filters import FilterError, parse_filters
from engine.metadata.keys import as_text
from engine.metadata.store import MAX_LIMIT, MetadataError, MetadataStore

SERVICE = "mds_gateway"
# Any of these (service, method) pairs on READ_RESOURCE lets a caller read under MDS_READ=authz.
READERS = [
    (service, method)
    for service in (SERVICE, "mds_metadata_queries")
    for method in ("access", "read")
]
WRITE_RESOURCE, READ_RESOURCE = "/mds_gateway", "/mds_metadata_queries"
DISCOVERY_FILTER = [("_guid_type", discovery.DISCOVERY_TYPE)]
_TRUE, _FALSE = {"true", "1", "yes", "on", "t", "y"}, {"false", "0", "no", "off", "f", "n"}


def _store(request: Request) -> MetadataStore:
    return MetadataStore(request.app.state.stores.graph)


def _flag(request: Request, name: str, default: bool) -> bool:
    """A boolean query parameter, spelled as FastAPI (MDS's framework) takes them."""
    value = request.query_params.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise MetadataError(400, f"{name} must be true or false, got {value[:40]!r}")


def _number(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    text = value.strip()
    if not text.isdigit() or len(text) > 18:
        raise MetadataError(400, f"{name} must be a whole number >= 0, got {value[:40]!r}")
    return int(text)


async def _allowed(request: Request, resource: str) -> None:
    """403 (MDS's answer, signed in or not) unless the caller has `access` on `resource`."""
    who = await principal(request)
    if not who.can(SERVICE, "access", resource):
        raise MetadataError(
            403, f"this needs the {SERVICE} 'access' permission on {resource}, or admin rights"
        )


def reads_metadata(who: Principal) -> bool:
    """Whether `who` may read metadata records when MDS_READ is `authz`."""
    return any(who.can(service, method, READ_RESOURCE) for service, method in READERS)


async def _readable(request: Request) -> MetadataStore:
    authz = request.app.state.settings.mds_read == "authz"
    if authz and not reads_metadata(await principal(request)):
        raise MetadataError(
            403,
            f"reading metadata needs 'access' or 'read' on {READ_RESOURCE}, or admin rights",
        )
    return _store(request)


async def _writable(request: Request) -> MetadataStore:
    await _allowed(request, WRITE_RESOURCE)
    return _store(request)


async def _blob(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise MetadataError(400, "the body must be a JSON object (the metadata)")
    return body


async def _alias_list(request: Request) -> list[str]:
    body = await json_body(request)
    aliases = body.get("aliases") if isinstance(body, dict) else None
    if aliases is None and isinstance(body, dict):
        return []
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise MetadataError(400, 'the body must be {"aliases": [non-empty strings]}')
    return sorted(set(aliases))


def _guid(request: Request) -> str:
    return request.path_params["guid"]


# -- MDS: query, maintain, aliases -------------------------------------------------------------


async def metadata(request: Request) -> Response:
    """GET searches by path filters; POST creates in batch."""
    if request.method == "POST":
        store = await _writable(request)
        overwrite = _flag(request, "overwrite", True)
        items = await json_body(request)
        if not isinstance(items, list):
            raise MetadataError(400, 'the body must be a JSON list of {"guid", "data"} objects')
        result = await run_in_threadpool(store.batch, items, overwrite=overwrite)
        return JSONResponse(result.to_json(), status_code=201)
    store = await _readable(request)
    data = _flag(request, "data", False)
    limit, offset = _number(request, "limit", 10), _number(request, "offset", 0)
    try:
        filters = parse_filters(request.query_params.multi_items())
    except FilterError as error:
        raise MetadataError(400, str(error)) from None
    found = await run_in_threadpool(store.query, filters, limit=limit, offset=offset, data=data)
    return JSONResponse(found)


async def record(request: Request) -> Response:
    """GET reads (an alias too), POST creates, PUT replaces or merges, DELETE removes."""
    guid = _guid(request)
    if request.method == "GET":
        return JSONResponse(await run_in_threadpool((await _readable(request)).get, guid))
    store = await _writable(request)
    if request.method == "DELETE":
        return JSONResponse(await run_in_threadpool(store.delete, guid))
    if request.method == "PUT":
        merge = _flag(request, "merge", False)
        blob = await _blob(request)
        return JSONResponse(await run_in_threadpool(store.update, guid, blob, merge=merge))
    overwrite = _flag(request, "overwrite", False)
    blob = await _blob(request)
    created = await run_in_threadpool(store.create, guid, blob, overwrite=overwrite)
    return JSONResponse(blob, status_code=201 if created else 200)


async def aliases(request: Request) -> Response:
    """GET lists (public), POST adds, PUT sets or merges, DELETE removes all."""
    guid = _guid(request)
    if request.method == "GET":
        found = await run_in_threadpool((await _readable(request)).aliases, guid)
        return JSONResponse({"guid": guid, "aliases": found})
    store = await _writable(request)
    if request.method == "DELETE":
        if not await run_in_threadpool(store.drop_aliases, guid):
            raise MetadataError(404, f"No aliases found for: {guid}")
        return Response(status_code=204)
    wanted = await _alias_list(request)
    if request.method == "PUT":
        merge = _flag(request, "merge", False)
        final = await run_in_threadpool(store.set_aliases, guid, wanted, merge=merge)
    else:
        final = await run_in_threadpool(store.add_aliases, guid, wanted)
    return JSONResponse({"guid": guid, "aliases": final}, status_code=201)


async def alias(request: Request) -> Response:
    guid, name = _guid(request), request.path_params["alias"]
    store = await _writable(request)
    if not await run_in_threadpool(store.drop_aliases, guid, name):
        raise MetadataError(404, f"Alias: '{name}' for GUID: '{guid}' not found.")
    return Response(status_code=204)


async def status(request: Request) -> Response:
    return JSONResponse(
        {
            "status": "OK",
            "timestamp": datetime.now(UTC).isoformat(),
            "aggregate_metadata_enabled": True,
        }
    )


async def version_info(request: Request) -> Response:
    return JSONResponse(version("commons"))


# -- AggMDS over this commons' own studies -----------------------------------------------------


def _commons_name(request: Request) -> str:
    return request.app.state.settings.mds_commons_name


def _studies(store: MetadataStore, limit: int, offset: int) -> dict[str, Any]:
    found = store.query(parse_filters(DISCOVERY_FILTER), limit=limit, offset=offset, data=True)
    assert isinstance(found, dict)
    return found


def _all_studies(store: MetadataStore) -> dict[str, Any]:
    """Every study, read a page of MAX_LIMIT at a time."""
    found: dict[str, Any] = {}
    while page := _studies(store, MAX_LIMIT, len(found)):
        found |= page
        if len(page) < MAX_LIMIT:
            break
    return found


def _named(blob: dict[str, Any], name: str) -> dict[str, Any]:
    """The blob as AggMDS holds it: the commons' name inside the study."""
    study = blob.get(discovery.FIELD)
    return (
        {**blob, discovery.FIELD: {**study, "commons_name": name}}
        if isinstance(study, dict)
        else blob
    )


def _agg_missing(message: str) -> MetadataError:
    return MetadataError(404, {"message": message, "code": 404})


async def agg_commons(request: Request) -> Response:
    await _readable(request)
    return JSONResponse({"commons": [_commons_name(request)]})


async def agg_metadata(request: Request) -> Response:
    store = await _readable(request)
    limit, offset = _number(request, "limit", 20), _number(request, "offset", 0)
    counts = [c for c in request.query_params.get("counts", "").split(",") if c]
    flatten, paginate = _flag(request, "flatten", False), _flag(request, "pagination", False)
    name = _commons_name(request)
    page = await run_in_threadpool(_studies, store, limit, offset)
    hits = await run_in_threadpool(store.count, parse_filters(DISCOVERY_FILTER))
    entries = [
        {guid: discovery.reduce_counts(_named(blob, name), counts)} for guid, blob in page.items()
    ]
    results: Any = entries if flatten else ({name: entries} if entries else {})
    if not paginate:
        return JSONResponse(results)
    pages = math.ceil(hits / limit) if limit else 0
    pagination = {"hits": hits, "offset": offset, "pageSize": limit, "pages": pages}
    return JSONResponse({"results": results, "pagination": pagination})


async def agg_commons_metadata(request: Request) -> Response:
    store = await _readable(request)
    name = request.path_params["name"]
    if name != _commons_name(request):
        raise _agg_missing(f"no common exists with the given: {name}")
    found = await run_in_threadpool(_all_studies, store)
    return JSONResponse([_named(blob, name) for blob in found.values()])


async def agg_commons_info(request: Request) -> Response:
    await _readable(request)
    name = request.path_params["name"]
    if name != _commons_name(request):
        raise _agg_missing(f"no common exists with the given: {name}")
    return JSONResponse({"commons_url": request.app.state.settings.public_url})


async def agg_guid(request: Request) -> Response:
    store, guid = await _readable(request), _guid(request)
    found = await run_in_threadpool(_study, store, guid)
    if found is None:
        raise _agg_missing(f"no entry exists with the given guid: {guid}")
    return JSONResponse(_named(found, _commons_name(request)))


def _study(store: MetadataStore, guid: str) -> dict[str, Any] | None:
    try:
        blob = store.get(guid)
    except MetadataError:
        return None
    return blob if as_text(blob.get("_guid_type")) == discovery.DISCOVERY_TYPE else None


async def agg_tags(request: Request) -> Response:
    store = await _readable(request)
    found = await run_in_threadpool(_all_studies, store)
    return JSONResponse(discovery.tags(list(found.values())))


async def agg_info(request: Request) -> Response:
    store, what = await _readable(request), request.path_params["what"]
    if what != "schema":
        raise _agg_missing(f"information for {what} not found")
    found = await run_in_threadpool(_all_studies, store)
    return JSONResponse(discovery.schema(list(found.values())))


# -- Commons' own: a study's live counts ---------------------------------------------------------


async def study_counts(request: Request) -> Response:
    """A study's project and its subjects and files, counted now; -1 where tiers hide a count."""
    graph, guid = request.app.state.stores.graph, _guid(request)
    await _readable(request)
    project_id = await run_in_threadpool(discovery.linked_project, graph, guid)
    if project_id is False:
        raise MetadataError(404, f"Not found: {guid}")
    counts = {"subjects": 0, "files": 0}
    if isinstance(project_id, str):
        found = await run_in_threadpool(
            discovery.project_counts, graph, request.app.state.compiled, project_id
        )
        who, settings = await principal(request), request.app.state.settings
        readable = await run_in_threadpool(who.readable_projects, "guppy", "read")
        accessible = readable is None or project_id in readable
        counts = {
            kind: hide_small_count(
                total, accessible, settings.tier_access_level, settings.tier_access_limit
            )
            for kind, total in found.items()
        }
    body = discovery.StudyCounts(guid, project_id or None, counts["subjects"], counts["files"])
    return JSONResponse(body.to_json())


# -- Routes and contract -----------------------------------------------------------------------


def _metadata_routes(prefix: str) -> list[Route]:
    base = prefix + "/metadata"
    return [
        Route(base, metadata, methods=["GET", "POST"]),
        Route(base + "/{guid:path}/aliases/{alias:path}", alias, methods=["DELETE"]),
        Route(base + "/{guid:path}/aliases", aliases, methods=["GET", "POST", "PUT", "DELETE"]),
        Route(base + "/{guid:path}", record, methods=["GET", "POST", "PUT", "DELETE"]),
    ]


def _service_routes(prefix: str) -> list[Route]:
    agg = prefix + "/aggregate"
    return [
        Route(prefix + "/_status", status),
        Route(prefix + "/version", version_info),
        *_metadata_routes(prefix),
        Route(agg + "/commons", agg_commons),
        Route(agg + "/metadata", agg_metadata),
        Route(agg + "/metadata/guid/{guid:path}", agg_guid),
        Route(agg + "/metadata/{name}/info", agg_commons_info),
        Route(agg + "/metadata/{name}", agg_commons_metadata),
        Route(agg + "/tags", agg_tags),
        Route(agg + "/info/{what}", agg_info),
    ]


routes = [
    *_service_routes("/mds"),
    *_service_routes("/mds-admin"),
    *_metadata_routes(""),
    Route("/discovery/studies/{guid:path}/counts", study_counts),
]


class BatchAnswer(TypedDict):
    """The guids of a batch create, by outcome (bad_input: the items refused)."""

    created: list[str]
    updated: list[str]
    conflict: list[str]
    bad_input: list[Any]


class AliasesJSON(TypedDict):
    guid: str
    aliases: list[str]


class MdsStatus(TypedDict):
    status: str
    timestamp: str
    aggregate_metadata_enabled: bool


class Pagination(TypedDict):
    hits: int
    offset: int
    pageSize: int
    pages: int


class CountsJSON(TypedDict):
    """A study's project (null when it names none the graph holds) and its counts (-1: hidden)."""

    guid: str
    project_id: str | None
    subjects: int
    files: int


BLOB = dict[str, Any]
_READ = (400, 403)
_WRITE = (400, 403, 413)
_OVERWRITE = Param("overwrite", "Replace an existing record (true) or refuse it (false)", bool)
_MERGE = Param("merge", "Keep what is not given (true) or replace all of it (false)", bool)
_DONE = Answer("Done; no body.")
_QUERY = (
    Param("data", "guid → metadata (true) or guids only (false, the default)", bool),
    Param("limit", f"At most this many (default 10; more than {MAX_LIMIT} is cut to it)", int),
    Param("offset", "Skip this many, in guid order", int),
)
_AGG_PAGE = (
    Param("limit", "At most this many (default 20)", int),
    Param("offset", "Skip this many", int),
    Param("counts", "Comma-separated study fields to give as their length"),
    Param("flatten", "One list, not grouped by commons", bool),
    Param("pagination", "Wrap in {results, pagination}", bool),
)
CONTRACT = Contract(
    "metadata (MDS)",
    {
        metadata: {
            "GET": Operation(
                "Records by path filters (`a.b=v`; a repeated key ORs, keys AND; `*`: exists)",
                {200: answer("Guids, or guid → metadata.", list[str] | dict[str, BLOB])},
                _READ,
                _QUERY,
            ),
            "POST": Operation(
                "Create or update many records",
                {201: answer("Guids by outcome.", BatchAnswer)},
                _WRITE,
                (Param("overwrite", "Update existing records (default true)", bool),),
                {JSON: list[dict[str, Any]]},
            ),
        },
        record: {
            "GET": Operation(
                "A record's metadata (by guid or alias)", {200: answer("", BLOB)}, (403, 404)
            ),
            "POST": Operation(
                "Create a record",
                {201: answer("Created.", BLOB), 200: answer("Overwritten.", BLOB)},
                (*_WRITE, 409),
                (_OVERWRITE,),
                {JSON: BLOB},
            ),
            "PUT": Operation(
                "Replace (or merge into) a record",
                {200: answer("", BLOB)},
                (*_WRITE, 404),
                (_MERGE,),
                {JSON: BLOB},
            ),
            "DELETE": Operation(
                "Delete a record", {200: answer("Its metadata.", BLOB)}, (403, 404)
            ),
        },
        aliases: {
            "GET": Operation("A record's aliases", {200: answer("", AliasesJSON)}, (403,)),
            "POST": Operation(
                "Give a record aliases",
                {201: answer("", AliasesJSON)},
                (*_WRITE, 404, 409),
                body={JSON: dict[str, list[str]]},
            ),
            "PUT": Operation(
                "Set (or merge) a record's aliases",
                {201: answer("", AliasesJSON)},
                (*_WRITE, 404, 409),
                (_MERGE,),
                {JSON: dict[str, list[str]]},
            ),
            "DELETE": Operation("Remove a record's aliases", {204: _DONE}, (403, 404)),
        },
        alias: {"DELETE": Operation("Remove one alias", {204: _DONE}, (403, 404))},
        status: {"GET": Operation("MDS's health", {200: answer("", MdsStatus)})},
        version_info: {"GET": Operation("The version, as a JSON string", {200: answer("", str)})},
        agg_commons: {
            "GET": Operation(
                "The commons aggregated", {200: answer("", dict[str, list[str]])}, (403,)
            )
        },
        agg_metadata: {
            "GET": Operation(
                "This commons' studies, by commons", {200: answer("", Any)}, _READ, _AGG_PAGE
            )
        },
        agg_guid: {"GET": Operation("One study", {200: answer("", BLOB)}, (403, 404))},
        agg_commons_info: {
            "GET": Operation("A commons' URL", {200: answer("", dict[str, str])}, (403, 404))
        },
        agg_commons_metadata: {
            "GET": Operation("Every study of a commons", {200: answer("", list[BLOB])}, (403, 404))
        },
        agg_tags: {
            "GET": Operation("Study tags by category", {200: answer("", dict[str, Any])}, (403,))
        },
        agg_info: {
            "GET": Operation(
                "The study fields' schema", {200: answer("", dict[str, Any])}, (403, 404)
            )
        },
        study_counts: {
            "GET": Operation(
                "A study's project and its subjects and files, counted live",
                {200: answer("", CountsJSON)},
                (401, 403, 404),
            )
        },
    },
)
