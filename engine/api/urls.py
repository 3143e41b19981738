"""indexd's URL queries over HTTP: `/urls` and `/_query/urls/...`, answered in indexd's shapes.

engine/objects/urls.py says what each finds. Mounted wherever indexd is
(at `/index/...` and at the root, see engine/api/index.py). As indexd does,
the `/_query` routes refuse parameters they do not know, so a misspelt
filter is a 400 rather than a silently wider answer, and read `versioned`
as indexd does: true, t, yes or y keep the records with a version, any
other value those without one.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api.objects import data_objects, hashes_param, listed, optional_number, whole_number
from engine.api.openapi import Contract, Operation, Param, answer
from engine.objects.index import MAX_LIMIT, RecordQuery
from engine.objects.record import RecordError
from engine.objects.urls import FIELDS, Page, UrlFilter

_PAGING = frozenset({"versioned", "offset", "limit", "fields"})
_YES = ("true", "t", "yes", "y")


def _page(request: Request, offset: str, default_limit: int) -> Page:
    params = request.query_params
    return Page(
        whole_number(offset, params.get(offset, "0")),
        whole_number("limit", params.get("limit", str(default_limit)), 0, MAX_LIMIT),
    )


def _known(request: Request, accepted: frozenset[str]) -> None:
    unexpected = sorted(set(request.query_params) - accepted)
    if unexpected:
        raise RecordError(
            400,
            f"unexpected query parameter(s): {', '.join(unexpected)} "
            f"(accepted: {', '.join(sorted(accepted))})",
        )


def _filter(request: Request, include: str, fields: str) -> UrlFilter:
    params = request.query_params
    asked = tuple(name for name in params.get("fields", fields).split(",") if name)
    strays = sorted(set(asked) - set(FIELDS))
    if strays:
        raise RecordError(400, f"fields: {', '.join(strays)} unknown (known: {', '.join(FIELDS)})")
    versioned = params.get("versioned")
    return UrlFilter(
        include=params.get(include) or None,
        exclude=params.get("exclude") or None,
        versioned=versioned.lower() in _YES if versioned else None,
        fields=asked,
    )


async def urls(request: Request) -> Response:
    """indexd's `GET /urls`: the URLs of the records matching `ids`, `size` and `hash`."""
    query = RecordQuery(
        ids=listed(request, "ids"),
        hashes=hashes_param(request),
        size=optional_number(request, "size"),
    )
    page = _page(request, "start", 100)
    found = await run_in_threadpool((await data_objects(request)).url_index().urls, query, page)
    return JSONResponse(
        {
            "urls": found,
            "limit": page.limit,
            "start": page.offset,
            "size": query.size,
            "hashes": query.hashes,
        }
    )


async def by_pattern(request: Request) -> Response:
    """indexd's `GET /_query/urls/q`: records by what their URLs contain (`include`, `exclude`)."""
    _known(request, _PAGING | {"include", "exclude"})
    found = _filter(request, "include", "did,urls")
    answer = await run_in_threadpool(
        (await data_objects(request)).url_index().by_pattern, found, _page(request, "offset", 1000)
    )
    return JSONResponse(answer)


async def by_metadata(request: Request) -> Response:
    """indexd's `GET /_query/urls/metadata/q`: the URLs whose urls_metadata has `key` = `value`."""
    _known(request, _PAGING | {"key", "value", "url"})
    params = request.query_params
    key, value = params.get("key"), params.get("value")
    if key is None or value is None:
        raise RecordError(400, "the query parameters key and value are both required")
    answer = await run_in_threadpool(
        (await data_objects(request)).url_index().by_metadata,
        key,
        value,
        _filter(request, "url", "did,urls,rev"),
        _page(request, "offset", 1000),
    )
    return JSONResponse(answer)


_PAGED = (
    Param("versioned", "true: records with a version; anything else: without"),
    Param("offset", "Skip this many", int),
    Param("limit", f"At most this many (up to {MAX_LIMIT})", int),
    Param("fields", f"Comma-separated, of {', '.join(FIELDS)}"),
)
_FOUND = answer("The records found, with the fields asked for.", list[dict[str, Any]])
CONTRACT = Contract(
    "index (indexd)",
    {
        urls: {
            "GET": Operation(
                "The URLs of the records matching ids, size and hash",
                {200: answer("", dict[str, Any])},
                (400,),
                (
                    Param("ids", "Comma-separated dids"),
                    Param("size", "Size in bytes", int),
                    Param("hash", "`<type>:<value>` (repeatable)"),
                    Param("start", "Skip this many", int),
                    Param("limit", f"At most this many (up to {MAX_LIMIT})", int),
                ),
            )
        },
        by_pattern: {
            "GET": Operation(
                "Records by what their URLs contain",
                {200: _FOUND},
                (400,),
                (
                    Param("include", "A text the URL holds"),
                    Param("exclude", "A text it does not"),
                    *_PAGED,
                ),
            )
        },
        by_metadata: {
            "GET": Operation(
                "The URLs whose urls_metadata has key = value",
                {200: _FOUND},
                (400,),
                (
                    Param("key", "urls_metadata key", required=True),
                    Param("value", "its value", required=True),
                    Param("url", "A text the URL holds"),
                    *_PAGED,
                ),
            )
        },
    },
)


def routes(prefix: str) -> list[Route]:
    return [
        Route(prefix + "/urls", urls),
        Route(prefix + "/urls/", urls),
        Route(prefix + "/_query/urls/q", by_pattern),
        Route(prefix + "/_query/urls/metadata/q", by_metadata),
    ]
