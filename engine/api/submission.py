"""Sheepdog's submission API, under `/api/v0/submission` and `/v0/submission`.

Routes parse and answer; the work happens in engine/submission, in a worker
thread, since the store driver blocks. What each route needs of the caller
is the table at the end (`ROUTES`), checked before the handler runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount

from engine.api.body import json_body, json_object, read_body
from engine.api.errors import HTTPProblem
from engine.api.guard import ADMIN, PUBLIC, Need, guarded_routes
from engine.api.objects import data_objects
from engine.auth.principal import Principal, principal
from engine.auth.resources import NameKind, name_problem, program_path, project_resource
from engine.dictionary.compile import CompiledDictionary
from engine.graph.store import GraphStore
from engine.objects.access import RecordAccess
from engine.objects.node_delete import delete_with_records
from engine.submission import projects
from engine.submission.delete import delete_entities
from engine.submission.documents import SourceDoc, as_document, parse_body
from engine.submission.fetch import fetch_by_ids, fetch_documents
from engine.submission.submit import Target, find_project, submit_documents
from engine.submission.tabular import template, write_table
from engine.submission.transaction_log import Document, Origin

PREFIXES = ("/api/v0/submission", "/v0/submission")
SERVICE = "sheepdog"
FORMATS = {"tsv": ("\t", "text/tab-separated-values"), "csv": (",", "text/csv")}


def _store(request: Request) -> GraphStore:
    return request.app.state.stores.graph


def _compiled(request: Request) -> CompiledDictionary:
    return request.app.state.compiled


def _target(request: Request) -> Target:
    return Target(request.path_params["program"], request.path_params["project"])


def _submission_response(result: Any) -> Response:
    """The answer as the transaction log recorded it (encoded once, by orjson)."""
    return Response(result.encoded, status_code=result.status, media_type="application/json")


# Programs and projects -----------------------------------------------------


def _listed(
    who: Principal, kind: NameKind, names: list[str], readable: Callable[[str], bool]
) -> list[str]:
    """The `names` the caller may see listed. Admins see every one, even those made before names
    were checked (so they can delete them); for anyone else such a name grants nothing."""
    return [n for n in names if who.is_admin or (not name_problem(kind, n) and readable(n))]


async def programs(request: Request) -> Response:
    if request.method == "GET":
        who = await principal(request)
        names = await run_in_threadpool(projects.list_programs, _store(request))
        shown = _listed(
            who, "program name", names, lambda n: who.reaches(SERVICE, "read", program_path(n))
        )
        return JSONResponse({"links": [f"/v0/submission/{name}" for name in shown]})
    doc = await json_body(request)
    answer = await run_in_threadpool(
        projects.upsert_program, _store(request), _compiled(request), doc
    )
    return JSONResponse(answer, status_code=200)


async def program(request: Request) -> Response:
    name = request.path_params["program"]
    store, compiled = _store(request), _compiled(request)
    if request.method == "GET":
        who = await principal(request)
        codes = await run_in_threadpool(projects.list_projects, store, compiled, name)
        shown = _listed(
            who,
            "project code",
            codes,
            lambda c: who.can(SERVICE, "read", project_resource(name, c)),
        )
        return JSONResponse({"links": [f"/v0/submission/{name}/{code}" for code in shown]})
    if request.method == "DELETE":
        await run_in_threadpool(projects.delete_program, store, compiled, name)
        return Response(status_code=204)
    doc = await json_body(request)
    result = await run_in_threadpool(
        lambda: projects.upsert_project(
            store, compiled, name, doc, create_only=request.method == "POST"
        )
    )
    return _submission_response(result)


async def project(request: Request) -> Response:
    """POST creates, PUT creates or updates, DELETE removes an empty project."""
    target = _target(request)
    store, compiled = _store(request), _compiled(request)
    if request.method == "DELETE":
        await run_in_threadpool(
            projects.delete_project, store, compiled, target.program, target.project
        )
        return Response(status_code=204)
    body = await read_body(request)
    content_type = request.headers.get("content-type", "")
    sources = parse_body(body, content_type, compiled.dictionary)
    name = request.headers.get("x-document-name")
    document = as_document(body, content_type, name, len(sources))
    return await _submit(request, sources, request.url.path.endswith("/_dry_run"), [document])


async def _submit(
    request: Request, sources: list[SourceDoc], dry_run: bool, documents: list[Document]
) -> Response:
    """`documents`: the texts the sources came in, for the transaction log."""
    who = await principal(request)
    records = RecordAccess(who).readable()
    result = await run_in_threadpool(
        lambda: submit_documents(
            _store(request),
            _compiled(request),
            _target(request),
            sources,
            create_only=request.method == "POST",
            dry_run=dry_run,
            records=records,
            origin=Origin(who.name, tuple(documents)),
        )
    )
    return _submission_response(result)


async def bulk(request: Request) -> Response:
    """Sheepdog's bulk form: `[{"name", "doc", "doc_format": "json"|"tsv"|"csv"}]`, one transaction."""
    items = await json_body(request)
    if not isinstance(items, list):
        raise HTTPProblem(400, "bulk body must be a list of {name, doc, doc_format} objects")
    sources: list[SourceDoc] = []
    documents: list[Document] = []
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("doc"), str):
            raise HTTPProblem(400, f"bulk item {position} must be an object with a string 'doc'")
        kind = str(item.get("doc_format", "json")).lower()
        content_type = {
            "json": "application/json",
            "tsv": "text/tab-separated-values",
            "csv": "text/csv",
        }.get(kind)
        if content_type is None:
            raise HTTPProblem(
                400,
                f"bulk item {position} ({item.get('name')}): doc_format must be json, tsv or csv",
            )
        parsed = parse_body(item["doc"].encode(), content_type, _compiled(request).dictionary)
        if not parsed:
            raise HTTPProblem(
                400,
                f"bulk item {position} ({item.get('name')}) holds no entities: nothing to submit",
            )
        for source in parsed:
            sources.append(SourceDoc(source.doc, source.line, len(sources)))
        documents.append(Document(item.get("name"), kind, item["doc"], len(parsed)))
    return await _submit(request, sources, False, documents)


# Entities, export, templates -------------------------------------------------


def _id_list(value: Any) -> list[str]:
    """The ids in `a,b,c` (or a JSON list of them); a blank between commas names none."""
    parts = value.split(",") if isinstance(value, str) else value or []
    if not isinstance(parts, list) or not all(isinstance(part, str) for part in parts):
        raise HTTPProblem(400, "ids must be a comma-separated text or a list of ids")
    return [text for text in (part.strip() for part in parts) if text]


async def entities(request: Request) -> Response:
    target, store, compiled = _target(request), _store(request), _compiled(request)
    ids = _id_list(request.path_params["ids"])
    if request.method == "DELETE":
        submitter = (await principal(request)).name
        cascade = request.query_params.get("cascade", "false").lower() in ("1", "true", "yes")
        if request.query_params.get("delete_records", "").lower() in ("1", "true", "yes"):
            objects = await data_objects(request)
            result = await run_in_threadpool(
                lambda: delete_with_records(
                    objects, compiled.dictionary, target, ids, cascade=cascade, submitter=submitter
                )
            )
            return _submission_response(result)
        result = await run_in_threadpool(
            lambda: delete_entities(
                store, compiled.dictionary, target, ids, cascade=cascade, submitter=submitter
            )
        )
        return _submission_response(result)

    if not ids:
        raise HTTPProblem(400, "entities/<ids> names no ids: give one or more, separated by commas")

    def read() -> list[dict]:
        return store.execute_read(
            lambda tx: (
                find_project(tx, target),
                fetch_by_ids(tx, compiled.dictionary, target.project_id, ids),
            )[1]
        )

    docs = await run_in_threadpool(read)
    missing = sorted(set(ids) - {doc["id"] for doc in docs})
    if missing:
        raise HTTPProblem(404, f"no entity with id {', '.join(missing)} in {target.project_id}")
    return JSONResponse(
        {"entities": [{"id": doc["id"], "type": doc["type"], "properties": doc} for doc in docs]}
    )


async def export(request: Request) -> Response:
    target, store, compiled = _target(request), _store(request), _compiled(request)
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        params |= await json_object(request, optional=True)
    fmt = str(params.get("format", "json")).lower()
    if fmt not in ("json", *FORMATS):
        raise HTTPProblem(400, f"format must be json, tsv or csv, not '{fmt}'")
    ids = _id_list(params.get("ids"))
    label = params.get("node_label")
    if not ids and not label:
        raise HTTPProblem(400, "export needs ids=<id,...> or node_label=<node type>")
    if label and (not isinstance(label, str) or label not in compiled.dictionary.nodes):
        raise HTTPProblem(400, f"node_label: {label!r} is not a node type")

    def read() -> list[dict]:
        def work(tx):
            find_project(tx, target)
            if label:
                return fetch_documents(tx, compiled.dictionary.nodes[label], target.project_id)
            return fetch_by_ids(tx, compiled.dictionary, target.project_id, ids)

        return store.execute_read(work)

    docs = await run_in_threadpool(read)
    if fmt == "json":
        return JSONResponse({"data": docs} if label else docs)
    delimiter, media_type = FORMATS[fmt]
    node_type = label or (docs[0]["type"] if docs else None)
    if node_type is None:
        return PlainTextResponse("", media_type=media_type)
    node = compiled.dictionary.nodes[node_type]
    lines = write_table(node, [d for d in docs if d["type"] == node_type], delimiter, True)
    filename = f"{node_type}.{fmt}"
    return StreamingResponse(
        (line for line in lines),
        media_type=media_type,
        headers={"content-disposition": f"attachment; filename={filename}"},
    )


MANIFEST_KEYS = ("id", "object_id", "file_name", "file_size", "md5sum")


async def manifest(request: Request) -> Response:
    """Sheepdog's file manifest: the data files among `ids=`, as YAML `files: [...]`."""
    target, store, compiled = _target(request), _store(request), _compiled(request)
    ids = _id_list(request.query_params.get("ids"))
    if not ids:
        raise HTTPProblem(400, "manifest needs ids=<id,...> of the entities whose files to list")

    def read() -> list[dict]:
        def work(tx):
            find_project(tx, target)
            return fetch_by_ids(tx, compiled.dictionary, target.project_id, ids)

        return store.execute_read(work)

    docs = await run_in_threadpool(read)
    files = [{key: doc.get(key) for key in MANIFEST_KEYS} for doc in docs if "file_name" in doc]
    return PlainTextResponse(
        yaml.safe_dump({"files": files}, sort_keys=False), media_type="application/x-yaml"
    )


async def node_template(request: Request) -> Response:
    name = request.path_params["node"]
    node = _compiled(request).dictionary.nodes.get(name)
    if node is None:
        raise HTTPProblem(404, f"'{name}' is not a node type")
    fmt = request.query_params.get("format", "tsv").lower()
    if fmt not in FORMATS:
        raise HTTPProblem(400, f"format must be tsv or csv, not '{fmt}'")
    delimiter, media_type = FORMATS[fmt]
    return PlainTextResponse(
        template(node, delimiter),
        media_type=media_type,
        headers={"content-disposition": f"attachment; filename=submission_{name}_template.{fmt}"},
    )


async def open_project(request: Request) -> Response:
    target, store = _target(request), _store(request)

    def work(tx):
        find_project(tx, target)
        tx.run("MATCH (p:`project` {code: $code}) SET p.state = 'open'", {"code": target.project})

    await run_in_threadpool(store.execute_write, work)
    return JSONResponse({"code": 200, "message": f"project {target.project_id} is open"})


# The dictionary ----------------------------------------------------------------


async def dictionary_index(request: Request) -> Response:
    """Sheepdog's `links`, plus `import_order` (ours), which `commons submit` sorts files by."""
    dictionary = _compiled(request).dictionary
    links = [f"/v0/submission/_dictionary/{name}" for name in sorted(dictionary.nodes)]
    return JSONResponse({"links": links, "import_order": list(dictionary.import_order)})


def _raw_sections(compiled: CompiledDictionary) -> dict[str, Any]:
    dictionary = compiled.dictionary
    return {
        "_definitions": dictionary.definitions,
        "_terms": dictionary.terms,
        "_settings": dictionary.settings,
    }


async def dictionary_all(request: Request) -> Response:
    compiled = _compiled(request)
    body = {name: node.schema for name, node in compiled.dictionary.nodes.items()} | _raw_sections(
        compiled
    )
    return JSONResponse(body)


async def dictionary_node(request: Request) -> Response:
    compiled, name = _compiled(request), request.path_params["node"]
    sections = _raw_sections(compiled)
    if name in sections:
        return JSONResponse(sections[name])
    node = compiled.dictionary.nodes.get(name)
    if node is None:
        raise HTTPProblem(404, f"'{name}' is not a node type")
    return JSONResponse(node.schema)


def _on_project(*methods: str) -> Need:
    return Need("project", SERVICE, methods)


LISTED = PUBLIC  # answers only what the caller may read (the handler filters)
IN_PROGRAM = Need("in_program", SERVICE, ("read",))  # read somewhere in the program
READ = _on_project("read")
DELETE = _on_project("delete")
WRITE = {"POST": _on_project("create"), "PUT": _on_project("create", "update")}
ADMIN_EDITS = dict.fromkeys(("POST", "PUT", "PATCH"), ADMIN)
PROGRAM_NEEDS = {"GET": IN_PROGRAM, **ADMIN_EDITS, "DELETE": ADMIN}
P, Q = "/{program}", "/{program}/{project}"

# Every submission route, and what each of its HTTP methods needs of the caller.
# fmt: off
ROUTES = [
    ("/",                   programs,         {"GET": LISTED, **ADMIN_EDITS}),
    ("/_dictionary",        dictionary_index, {"GET": PUBLIC}),
    ("/_dictionary/_all",   dictionary_all,   {"GET": PUBLIC}),
    ("/_dictionary/{node}", dictionary_node,  {"GET": PUBLIC}),
    ("/template/{node}",    node_template,    {"GET": PUBLIC}),
    (P,                     program,          PROGRAM_NEEDS),
    (P + "/",               program,          PROGRAM_NEEDS),
    (Q,                     project,          {**WRITE, "DELETE": ADMIN}),
    (Q + "/",               project,          {**WRITE, "DELETE": ADMIN}),
    (Q + "/_dry_run",       project,          WRITE),
    (Q + "/bulk",           bulk,             WRITE),
    (Q + "/entities/{ids}", entities,         {"GET": READ, "DELETE": DELETE}),
    (Q + "/export",         export,           {"GET": READ, "POST": READ}),
    (Q + "/export/",        export,           {"GET": READ, "POST": READ}),
    (Q + "/template/{node}", node_template,   {"GET": PUBLIC}),
    (Q + "/manifest",       manifest,         {"GET": READ}),
    (Q + "/open",           open_project,     {"PUT": ADMIN, "POST": ADMIN}),
    (Q + "/_dictionary",    dictionary_index, {"GET": PUBLIC}),
]
# fmt: on

routes = [Mount(prefix, routes=guarded_routes(ROUTES)) for prefix in PREFIXES]
