"""What the dashboard asks besides guppy, under `/api/v0/explore`.

- `GET /dictionary`: node types with their category, links, facets and
  properties, and a live count of records of each;
- `GET /projects`: counts per project and node type;
- `GET /records/{type}/{id}`: a record and its neighbours along every edge.

Counts, charts and rows come from guppy's API (engine/api/guppy.py), which
other clients use too, so the dashboard shows what any guppy client sees.
"""

from __future__ import annotations

from typing import Any, TypedDict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from engine.api.errors import HTTPProblem
from engine.api.guppy import access
from engine.api.openapi import Contract, NodeTypeName, Operation, answer
from engine.dictionary.model import Dictionary, NodeType
from engine.query.counts import counts_by_project, counts_by_type
from engine.query.facets import facets
from engine.query.neighbourhood import neighbourhood

PREFIX = "/api/v0/explore"


async def _readable(request: Request) -> frozenset[str] | None:
    return (await access(request)).accessible_projects


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
        "facets": [
            {"name": f.name, "kind": f.kind, "array": f.array, "enum": list(f.enum)}
            for f in facets(node).values()
        ],
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
    nodes = [
        {**_node_summary(dictionary.nodes[name]), "count": counts.get(name, 0)}
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
        ],
    )
]
