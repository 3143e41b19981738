"""What the dashboard asks besides guppy, under `/api/v0/explore`.

- `GET /dictionary`: node types with their category, links, facets and
  properties, and a live count of records of each;
- `GET /projects`: counts per project and node type;
- `GET /records/{type}/{id}`: a record and its neighbours along every edge;
- `POST /manifest`: the file manifest of a cohort (`{type, filter}`), in the
  JSON shape the Gen3 portal saves and gen3-client reads
  (engine/query/manifest.py).

Counts, charts and rows come from guppy's API (engine/api/guppy.py), which
other clients use too, so the dashboard shows what any guppy client sees.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from engine.api.body import json_object
from engine.api.errors import HTTPProblem
from engine.api.guppy import access, json_lines
from engine.api.openapi import BODY, JSON, Contract, NodeTypeName, Operation, answer
from engine.dictionary.model import Dictionary, NodeType
from engine.query.counts import counts_by_project, counts_by_type
from engine.query.errors import QueryError
from engine.query.facets import Facet, facets
from engine.query.linked import data_file_types, linked_facets
from engine.query.manifest import iter_manifest
from engine.query.neighbourhood import neighbourhood
from engine.query.scope import Scope

PREFIX = "/api/v0/explore"


async def _readable(request: Request) -> frozenset[str] | None:
    return (await access(request)).accessible_projects


def _facet_summary(facet: Facet) -> dict[str, Any]:
    return {"name": facet.name, "kind": facet.kind, "array": facet.array, "enum": list(facet.enum)}


def _linked_summary(dictionary: Dictionary, node: NodeType, hops: int) -> dict[str, Any]:
    """What a type's explorer offers beyond its own facets: the linked types' facets, by type
    (engine/query/linked.py), and the data file types its cohort's files are of."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for facet in linked_facets(dictionary, node, hops).values():
        assert facet.linked is not None
        by_type.setdefault(facet.linked, []).append(_facet_summary(facet))
    return {
        "linked": [{"type": name, "facets": found} for name, found in by_type.items()],
        "file_types": data_file_types(dictionary, node.name),
    }


def _node_summary(node: NodeType) -> dict[str, Any]:
    return {
        "name": node.name,
        "title": node.title,
        "category": node.category,
        "description": node.description,
        "links": [
            {
                "name": edge.name,
                "target": edge.target,
                "direction": edge.direction,
                "multiplicity": edge.multiplicity,
            }
            for edge in node.edges.values()
        ],
        "facets": [_facet_summary(f) for f in facets(node).values()],
        "properties": [
            {
                "name": prop.name,
                "kind": prop.kind,
                "item_kind": prop.item_kind,
                "enum": list(prop.item_enum if prop.kind == "array" else prop.enum),
                "required": prop.name in node.required,
                "system": prop.system,
                "description": prop.description,
            }
            for prop in node.properties.values()
        ],
    }


def _dictionary(request: Request) -> Dictionary:
    return request.app.state.compiled.dictionary


async def dictionary(request: Request) -> Response:
    dictionary = _dictionary(request)
    counts = await run_in_threadpool(
        counts_by_type, request.app.state.stores.graph, dictionary, await _readable(request)
    )
    hops = request.app.state.settings.explore_link_hops
    nodes = [
        {
            **_node_summary(dictionary.nodes[name]),
            **_linked_summary(dictionary, dictionary.nodes[name], hops),
            "count": counts.get(name, 0),
        }
        for name in dictionary.import_order
    ]
    return JSONResponse({"categories": list(dictionary.categories), "nodes": nodes})


async def projects(request: Request) -> Response:
    dictionary = _dictionary(request)
    counts = await run_in_threadpool(
        counts_by_project, request.app.state.stores.graph, dictionary, await _readable(request)
    )
    types = [name for name in dictionary.import_order if name not in ("program", "project")]
    return JSONResponse(
        {
            "types": types,
            "projects": [{"project_id": pid, "counts": counts[pid]} for pid in sorted(counts)],
        }
    )


async def record(request: Request) -> Response:
    dictionary = _dictionary(request)
    node = dictionary.nodes.get(request.path_params["type"])
    if node is None:
        raise HTTPProblem(404, f"'{request.path_params['type']}' is not a node type")
    found = await run_in_threadpool(
        neighbourhood,
        request.app.state.stores.graph,
        dictionary,
        node,
        request.path_params["id"],
        await _readable(request),
    )
    if found is None:
        raise HTTPProblem(404, f"no {node.name} with id {request.path_params['id']}")
    return JSONResponse(found)


async def manifest(request: Request) -> Response:
    """Body: `{type, filter?}`; answers `[{object_id, <type>_id, md5sum, file_name, file_size}]`."""
    body = await json_object(request, optional=True)
    dictionary = _dictionary(request)
    node = dictionary.nodes.get(body.get("type"))
    if node is None:
        raise HTTPProblem(400, f"'type' must be one of {', '.join(sorted(dictionary.nodes))}")
    scope = Scope(dictionary, node, body.get("filter"), "accessible", await access(request))
    try:
        entries = iter_manifest(request.app.state.stores.graph, scope)
    except QueryError as error:
        raise HTTPProblem(400, error.message) from None
    return StreamingResponse(
        json_lines(entries),
        media_type="application/json",
        headers={"content-disposition": "attachment; filename=manifest.json"},
    )


class ManifestRequest(TypedDict):
    type: NotRequired[NodeTypeName]
    filter: NotRequired[Any]


class DictionarySummary(TypedDict):
    categories: list[str]
    nodes: list[dict[str, Any]]


class ProjectCounts(TypedDict):
    project_id: str
    counts: dict[str, int]


class Projects(TypedDict):
    types: list[str]
    projects: list[ProjectCounts]


CONTRACT = Contract(
    "exploration (dashboard)",
    {
        dictionary: {
            "GET": Operation(
                "Node types with their links, facets, properties and live counts",
                {200: answer("", DictionarySummary)},
            )
        },
        projects: {
            "GET": Operation("Counts per project and node type", {200: answer("", Projects)})
        },
        manifest: {
            "POST": Operation(
                "The file manifest of a cohort: the data files below the records `filter` keeps",
                {200: answer("Gen3's manifest entries.", list[dict[str, Any]])},
                BODY,
                body={JSON: ManifestRequest},
                body_required=False,
            )
        },
        record: {
            "GET": Operation(
                "A record and its neighbours along every edge",
                {200: answer("`{record, edges}`.", dict[str, Any])},
                (404,),
                path={"type": NodeTypeName},
            )
        },
    },
)

routes = [
    Mount(
        PREFIX,
        routes=[
            Route("/dictionary", dictionary),
            Route("/projects", projects),
            Route("/records/{type}/{id}", record),
            Route("/manifest", manifest, methods=["POST"]),
        ],
    )
]
