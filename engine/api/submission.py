"""Sheepdog's submission API, under `/api/v0/submission` and `/v0/submission`.

Routes parse and answer; the work happens in engine/submission, in a worker
thread, since the store driver blocks. What each route needs of the caller
is the table at the end (`ROUTES`), checked before the handler runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, Literal, NotRequired, TypedDict

import orjson
import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount

from engine.api.body import json_body, json_object, read_body
from engine.api.errors import HTTPProblem
from engine.api.guard import ADMIN, PUBLIC, Need, guarded_routes
from engine.api.objects import data_objects, record_access
from engine.api.openapi import (
    BODY,
    CALLER,
    EMPTY,
    JSON,
    NODE_TYPE,
    Answer,
    Contract,
    NodeTypeName,
    Operation,
    Param,
    answer,
)
from engine.auth.principal import Principal, principal
from engine.auth.resources import NameKind, name_problem, program_path, project_resource
from engine.dictionary.compile import CompiledDictionary
from engine.dictionary.model import Dictionary, NodeType
from engine.graph.store import GraphStore
from engine.objects.node_delete import delete_with_records
from engine.pfb.read import PFB_TYPES, pfb_document, pfb_sources
from engine.pfb.write import PFB_MEDIA, ExportSummary, pfb_chunks
from engine.submission import projects
from engine.submission.delete import delete_entities
from engine.submission.documents import SourceDoc, as_document, parse_body
from engine.submission.export import (
    DELIMITED,
    EXPORT_FORMATS,
    ExportFile,
    ids_export,
    node_export,
    unsupported,
)
from engine.submission.fetch import fetch_by_ids, fetch_documents, with_children
from engine.submission.result import SubmissionJSON, SubmissionResult
from engine.submission.submit import Target, find_project, submit_documents
from engine.submission.tabular import template
from engine.submission.transaction_log import Document, Origin

PREFIXES = ("/api/v0/submission", "/v0/submission")
SERVICE = "sheepdog"


def _store(request: Request) -> GraphStore:
    return request.app.state.stores.graph


def _compiled(request: Request) -> CompiledDictionary:
    return request.app.state.compiled


def _target(request: Request) -> Target:
    return Target(request.path_params["program"], request.path_params["project"])


def _submission_response(result: SubmissionResult) -> Response:
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
    await run_in_threadpool(projects.require_program, store, name)
    doc = await json_body(request)
    result = await run_in_threadpool(projects.upsert_project, store, compiled, name, doc)
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
    return await _submit(request, *await _sources(request), dry_run=False)


async def project_dry_run(request: Request) -> Response:
    return await _submit(request, *await _sources(request), dry_run=True)


async def _sources(request: Request) -> tuple[list[SourceDoc], list[Document]]:
    """The entities of the body, and the body as the one document of the transaction log."""
    body = await read_body(request)
    content_type = request.headers.get("content-type", "")
    name = request.headers.get("x-document-name")
    if content_type.split(";", 1)[0].strip().lower() in PFB_TYPES:
        dictionary, store = _compiled(request).dictionary, _store(request)
        pfb = await run_in_threadpool(pfb_sources, body, dictionary, store, _target(request))
        return pfb, [pfb_document(name, pfb)]
    sources = parse_body(body, content_type, _compiled(request).dictionary)
    return sources, [as_document(body, content_type, name, len(sources))]


async def _submitted(
    request: Request, sources: list[SourceDoc], documents: list[Document], dry_run: bool
) -> SubmissionResult:
    """`documents`: the texts the sources came in, for the transaction log."""
    who = await principal(request)
    records = record_access(request, who).readable()
    return await run_in_threadpool(
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


async def _submit(
    request: Request, sources: list[SourceDoc], documents: list[Document], dry_run: bool
) -> Response:
    return _submission_response(await _submitted(request, sources, documents, dry_run))


BULK_TYPES = {"json": "application/json", "tsv": "text/tab-separated-values", "csv": "text/csv"}


async def bulk(request: Request) -> Response:
    return await _bulk(request, dry_run=False)


async def bulk_dry_run(request: Request) -> Response:
    return await _bulk(request, dry_run=True)


async def _bulk(request: Request, dry_run: bool) -> Response:
    """Sheepdog's bulk form: `[{"name", "doc", "doc_format": "json"|"tsv"|"csv"}]`, one transaction.

    The answer is sheepdog's bulk answer (`subtransactions`, one per document,
    and `document_error_count`) beside the usual keys over all the entities.
    """
    items = await json_body(request)
    if not isinstance(items, list):
        raise HTTPProblem(400, "bulk body must be a list of {name, doc, doc_format} objects")
    sources: list[SourceDoc] = []
    documents: list[Document] = []
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("doc"), str):
            raise HTTPProblem(400, f"bulk item {position} must be an object with a string 'doc'")
        kind = str(item.get("doc_format", "json")).lower()
        if kind not in BULK_TYPES:
            raise HTTPProblem(
                400,
                f"bulk item {position} ({item.get('name')}): doc_format must be json, tsv or csv",
            )
        parsed = parse_body(item["doc"].encode(), BULK_TYPES[kind], _compiled(request).dictionary)
        if not parsed:
            raise HTTPProblem(
                400,
                f"bulk item {position} ({item.get('name')}) holds no entities: nothing to submit",
            )
        documents.append(Document(item.get("name"), kind, item["doc"], len(parsed)))
        for source in parsed:
            sources.append(SourceDoc(source.doc, source.line, len(sources)))
    result = await _submitted(request, sources, documents, dry_run)
    body = result.to_json() | _bulk_answer(result, documents)
    return Response(orjson.dumps(body), status_code=result.status, media_type="application/json")


def _bulk_answer(result: SubmissionResult, documents: list[Document]) -> dict[str, Any]:
    """BulkUploadTransaction.json's own keys: a `response_json` per document, over its entities."""
    parts, start = [], 0
    for document in documents:
        size = document.entities
        part = SubmissionResult(
            result.entities[start : start + size],
            dry_run=result.dry_run,
            created=result.created,
            transaction_id=result.transaction_id,
        )
        parts.append({"name": document.name, "response_json": part.to_json()})
        start += size
    return {
        "message": f"Bulk Transaction {'succeeded' if result.success else 'failed'}.",
        "document_error_count": sum(not part["response_json"]["success"] for part in parts),
        "subtransactions": parts,
    }


# Entities, export, templates -------------------------------------------------


def _id_list(value: Any) -> list[str]:
    """The ids in `a,b,c` (or a JSON list of them); a blank between commas names none."""
    parts = value.split(",") if isinstance(value, str) else value or []
    if not isinstance(parts, list) or not all(isinstance(part, str) for part in parts):
        raise HTTPProblem(400, "ids must be a comma-separated text or a list of ids")
    return [text for text in (part.strip() for part in parts) if text]


def _not_found(ids: list[str]) -> HTTPProblem:
    """Sheepdog's answer when none of the ids an export or manifest names is in the project
    (ExportFile.get_nodes): the same whether an id never existed, was deleted or is another's."""
    return HTTPProblem(404, f"Unable to find {', '.join(ids)}")


def _flag(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in ("true", "false"):
        raise HTTPProblem(400, f"{name} must be true or false, not {value!r}")
    return text == "true"


def _entity(dictionary: Dictionary, target: Target, doc: dict[str, Any]) -> dict[str, Any]:
    """Sheepdog's entity (utils.create_entity_list): its program and project, and `properties`
    holding every property of its type (null when unset) and each link as a list of targets."""
    node = dictionary.nodes[doc["type"]]
    links = {link.name for link in node.links}
    properties = dict.fromkeys(node.properties) | {
        key: [value] if key in links and isinstance(value, dict) else value
        for key, value in doc.items()
    }
    return {
        "id": doc["id"],
        "type": doc["type"],
        "program": target.program,
        "project": target.project,
        "properties": properties,
    }


async def entities(request: Request) -> Response:
    """GET the entities `ids` names (404 naming those not in the project), or DELETE them."""
    if request.method == "DELETE":
        return await _delete(request, dry_run=False)
    target, store, compiled = _target(request), _store(request), _compiled(request)
    ids = _id_list(request.path_params["ids"])
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
    return JSONResponse({"entities": [_entity(compiled.dictionary, target, doc) for doc in docs]})


async def delete_dry_run(request: Request) -> Response:
    return await _delete(request, dry_run=True)


async def _delete(request: Request, dry_run: bool) -> Response:
    target, store, compiled = _target(request), _store(request), _compiled(request)
    ids = _id_list(request.path_params["ids"])
    submitter = (await principal(request)).name
    cascade = request.query_params.get("cascade", "false").lower() in ("1", "true", "yes")
    options = {"cascade": cascade, "dry_run": dry_run, "submitter": submitter}
    if request.query_params.get("delete_records", "").lower() in ("1", "true", "yes"):
        objects = await data_objects(request)
        result = await run_in_threadpool(
            lambda: delete_with_records(objects, compiled.dictionary, target, ids, **options)
        )
    else:
        result = await run_in_threadpool(
            lambda: delete_entities(store, compiled.dictionary, target, ids, **options)
        )
    return _submission_response(result)


def _exportable(dictionary: Dictionary, label: Any) -> NodeType:
    """The node type `node_label=` names, refused as sheepdog refuses it (validate_export_node)."""
    node = dictionary.nodes.get(label) if isinstance(label, str) else None
    if node is None:
        raise HTTPProblem(400, f"dictionary does not have node with type {label}")
    return node


async def export(request: Request) -> Response:
    """Sheepdog's export: `ids=` (which win over `node_label=`; `with_children=true` adds what is
    below them, of `category=` only when given) or every entity of `node_label=`, as `format=`
    tsv (the default), csv or json, `without_id=true` leaving ids out.

    An export by ids of which none is in the project is a 404, as sheepdog
    answers it; ids of which only some are found export those found.
    """
    target, store, compiled = _target(request), _store(request), _compiled(request)
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        params |= await json_object(request, optional=True)
    fmt = str(params.get("format") or "tsv").lower()
    if fmt == "pfb":
        return await _pfb_export(request, target, params)
    if fmt not in EXPORT_FORMATS:
        raise HTTPProblem(400, unsupported(fmt, (*EXPORT_FORMATS, "pfb")))
    without_id, children = _flag(params, "without_id"), _flag(params, "with_children")
    category = params.get("category") or None
    if category is not None and not isinstance(category, str):
        raise HTTPProblem(400, f"category must be a node category, not {category!r}")
    ids = _id_list(params.get("ids"))
    node = None
    if not ids:
        if not params.get("node_label"):
            raise HTTPProblem(
                400,
                "expected either `ids` or `node_label` parameter: "
                "export needs ids=<id,...> or node_label=<node type>",
            )
        node = _exportable(compiled.dictionary, params["node_label"])

    def read() -> ExportFile | None:
        def work(tx):
            find_project(tx, target)
            if node is not None:
                return fetch_documents(tx, node, target.project_id)
            wanted = (
                with_children(tx, compiled.dictionary, target.project_id, ids, category)
                if children
                else ids
            )
            return fetch_by_ids(tx, compiled.dictionary, target.project_id, wanted)

        docs = store.execute_read(work)
        if node is not None:
            return node_export(node, docs, fmt, without_id=without_id)
        return ids_export(compiled.dictionary, docs, fmt, without_id=without_id) if docs else None

    found = await run_in_threadpool(read)
    if found is None:
        raise _not_found(ids)
    headers = {"content-disposition": f"attachment; filename={found.filename}"}
    if isinstance(found.content, bytes):
        return Response(found.content, media_type=found.media_type, headers=headers)
    return StreamingResponse(found.content, media_type=found.media_type, headers=headers)


async def _pfb_export(request: Request, target: Target, params: dict[str, Any]) -> Response:
    """`format=pfb`: the whole project as a PFB (engine/pfb/write.py), streamed as it is read."""
    if params.get("ids") or params.get("node_label"):
        raise HTTPProblem(400, "format pfb exports the whole project: leave out ids and node_label")
    store, dictionary = _store(request), _compiled(request).dictionary

    def start() -> Iterator[bytes]:
        store.execute_read(lambda tx: find_project(tx, target))
        return pfb_chunks(store, dictionary, ExportSummary(), project_id=target.project_id)

    chunks = await run_in_threadpool(start)
    filename = f"{target.project_id}.avro"
    headers = {"content-disposition": f"attachment; filename={filename}"}
    return StreamingResponse(chunks, media_type=PFB_MEDIA, headers=headers)


async def manifest(request: Request) -> Response:
    """Sheepdog's file manifest of the data files `ids=` names, as YAML `files: [...]`: each file's
    document and its `local_file_path`. An entity that is not a data file is refused (400)."""
    target, store, compiled = _target(request), _store(request), _compiled(request)
    ids = _id_list(request.query_params.get("ids"))
    if not ids:
        raise HTTPProblem(400, "No ids specified. Use query parameter 'ids', e.g. 'ids=id1,id2'.")

    def read() -> list[dict]:
        def work(tx):
            find_project(tx, target)
            return fetch_by_ids(tx, compiled.dictionary, target.project_id, ids)

        return store.execute_read(work)

    docs = await run_in_threadpool(read)
    if not docs:
        raise _not_found(ids)
    not_files = [
        f"{doc['type']} {doc['id']} is not a data file."
        for doc in docs
        if "file_name" not in compiled.dictionary.nodes[doc["type"]].properties
    ]
    if not_files:
        raise HTTPProblem(400, " ".join(not_files))
    files = [{"local_file_path": doc.get("file_name"), **doc} for doc in docs]
    return PlainTextResponse(
        yaml.safe_dump({"files": files}, sort_keys=False),
        media_type="application/x-yaml",
        headers={"content-disposition": "attachment; filename=submission_manifest.yaml"},
    )


async def node_template(request: Request) -> Response:
    name = request.path_params["node"]
    node = _compiled(request).dictionary.nodes.get(name)
    if node is None:
        raise HTTPProblem(404, f"Entity type {name} is not in dictionary")
    fmt = request.query_params.get("format", "tsv").lower()
    if fmt not in DELIMITED:
        raise HTTPProblem(400, unsupported(fmt, DELIMITED))
    delimiter, media_type = DELIMITED[fmt]
    return PlainTextResponse(
        template(node, delimiter),
        media_type=media_type,
        headers={"content-disposition": f"attachment; filename=submission_{name}_template.{fmt}"},
    )


async def open_project(request: Request) -> Response:
    return await _open(request, dry_run=False)


async def open_dry_run(request: Request) -> Response:
    return await _open(request, dry_run=True)


async def _open(request: Request, dry_run: bool) -> Response:
    """Marks the project open; answers as sheepdog's OpenTransaction."""
    target, store = _target(request), _store(request)

    def work(tx):
        find_project(tx, target)
        if not dry_run:
            tx.run(
                "MATCH (p:`project` {code: $code}) SET p.state = 'open'", {"code": target.project}
            )

    await run_in_threadpool(store.execute_write, work)
    answer = SubmissionResult([], dry_run=dry_run, created=False).to_json()
    answer["message"] = (
        "Dry run successful. Would have successfully transitioned project state to 'open'"
        if dry_run
        else "Successfully transitioned project state to 'open'"
    )
    return JSONResponse(answer)


# The dictionary ----------------------------------------------------------------


async def dictionary_index(request: Request) -> Response:
    """Sheepdog's `links` (each node type and `_all`, under the project for a project's
    `_dictionary`), plus `import_order` (ours), which `commons submit` sorts files by."""
    dictionary = _compiled(request).dictionary
    params = request.path_params
    base = "/v0/submission" + (f"/{params['program']}/{params['project']}" if params else "")
    links = [f"{base}/_dictionary/{name}" for name in [*sorted(dictionary.nodes), "_all"]]
    return JSONResponse({"links": links, "import_order": list(dictionary.import_order)})


def _raw_sections(compiled: CompiledDictionary) -> dict[str, Any]:
    dictionary = compiled.dictionary
    return {
        "_definitions": dictionary.definitions,
        "_terms": dictionary.terms,
        "_settings": dictionary.settings,
    }


async def dictionary_node(request: Request) -> Response:
    """One node type's schema, a `_definitions`/`_terms`/`_settings` section, or `_all` of them."""
    compiled, name = _compiled(request), request.path_params["node"]
    sections = _raw_sections(compiled)
    if name == "_all":
        nodes = compiled.dictionary.nodes.items()
        return JSONResponse({name: node.schema for name, node in nodes} | sections)
    if name in sections:
        return JSONResponse(sections[name])
    node = compiled.dictionary.nodes.get(name)
    if node is None:
        raise HTTPProblem(404, f"Entry {name} not in dictionary")
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
    ("/_dictionary/{node}", dictionary_node,  {"GET": PUBLIC}),
    ("/template/{node}",    node_template,    {"GET": PUBLIC}),
    (P,                     program,          PROGRAM_NEEDS),
    (P + "/",               program,          PROGRAM_NEEDS),
    (Q,                     project,          {**WRITE, "DELETE": ADMIN}),
    (Q + "/",               project,          {**WRITE, "DELETE": ADMIN}),
    (Q + "/_dry_run",       project_dry_run,  WRITE),
    (Q + "/bulk",           bulk,             WRITE),
    (Q + "/bulk/_dry_run",  bulk_dry_run,     WRITE),
    (Q + "/entities/{ids}", entities,         {"GET": READ, "DELETE": DELETE}),
    (Q + "/entities/_dry_run/{ids}", delete_dry_run, {"DELETE": DELETE}),
    (Q + "/export",         export,           {"GET": READ, "POST": READ}),
    (Q + "/export/",        export,           {"GET": READ, "POST": READ}),
    (Q + "/template/{node}", node_template,   {"GET": PUBLIC}),
    (Q + "/manifest",       manifest,         {"GET": READ}),
    (Q + "/upload_manifest", manifest,        {"GET": READ}),
    (Q + "/open",           open_project,     {"PUT": ADMIN, "POST": ADMIN}),
    (Q + "/open/_dry_run",  open_dry_run,     {"PUT": ADMIN, "POST": ADMIN}),
    (Q + "/_dictionary",    dictionary_index, {"GET": PUBLIC}),
    (Q + "/_dictionary/{node}", dictionary_node, {"GET": PUBLIC}),
]
# fmt: on

# The contract (engine/api/openapi.py) -------------------------------------------------------


class Links(TypedDict):
    links: list[str]


class DictionaryLinks(Links):
    import_order: list[str]


class ProgramAnswer(TypedDict):
    id: str
    name: str
    message: str


class BulkItem(TypedDict):
    """One document of a bulk submission: its text, in its format."""

    name: NotRequired[Any]
    doc: str
    doc_format: NotRequired[Literal["json", "tsv", "csv"]]


class Subtransaction(TypedDict):
    name: Any
    response_json: SubmissionJSON


class BulkJSON(SubmissionJSON):
    """Sheepdog's bulk answer: the transaction's keys, and one answer per document."""

    document_error_count: int
    subtransactions: list[Subtransaction]


class Entity(TypedDict):
    id: str
    type: str
    program: str
    project: str
    properties: dict[str, Any]


class Entities(TypedDict):
    entities: list[Entity]


DOCUMENT = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": NODE_TYPE, "submitter_id": {"type": "string"}},
    "description": "An entity of the dictionary's node type `type` (see `_dictionary/{node}`)",
}
TABLES = {"text/tab-separated-values": str, "text/csv": str}
AVRO = {"type": "string", "contentMediaType": PFB_MEDIA}
SUBMITTED = {
    JSON: {"anyOf": [DOCUMENT, {"type": "array", "items": DOCUMENT}]},
    **TABLES,
    PFB_MEDIA: AVRO,
}
OUTCOME = answer("Every entity's outcome; nothing written unless all are valid.", SubmissionJSON)
OUTCOMES = {200: OUTCOME, 201: OUTCOME, 400: OUTCOME}


def _submission(summary: str) -> Operation:
    return Operation(summary, OUTCOMES, (*BODY, *CALLER, 404), body=SUBMITTED)


def _bulk_submission(summary: str) -> Operation:
    outcome = answer("The transaction and each document's part.", BulkJSON)
    return Operation(
        summary,
        {200: outcome, 201: outcome, 400: outcome},
        (*BODY, *CALLER, 404),
        body={JSON: list[BulkItem]},
    )


_EXPORT_QUERY = (
    Param("ids", "Comma-separated ids to export (win over node_label)"),
    Param("node_label", "Export every entity of this node type", NODE_TYPE),
    Param(
        "format",
        "tsv (default), csv, json, or pfb (the whole project)",
        Literal["tsv", "csv", "json", "pfb"],
    ),
    Param("with_children", "Also export what is below the ids", Literal["true", "false"]),
    Param("category", "With with_children: only this category"),
    Param("without_id", "Leave ids out", Literal["true", "false"]),
)
_EXPORT_BODY = {
    "type": "object",
    "properties": {
        "ids": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "node_label": NODE_TYPE,
        "format": {"enum": ["tsv", "csv", "json", "pfb"]},
        "with_children": {},
        "category": {"type": "string"},
        "without_id": {},
    },
}
_EXPORTED = Answer("The entities, as a file.", {**TABLES, JSON: Any, PFB_MEDIA: AVRO})
_EXPORT = Operation(
    "Sheepdog's export: by ids or by node type",
    {200: _EXPORTED},
    (*CALLER, 400, 404),
    _EXPORT_QUERY,
)
_DELETE_QUERY = (
    Param("cascade", "Delete what links to the entities too", Literal["true", "false"]),
    Param("delete_records", "Delete their index records and bytes too", Literal["true", "false"]),
)
_DELETED = Operation(
    "Delete entities (comma-separated ids)", OUTCOMES, (*CALLER, 400, 404), _DELETE_QUERY
)
_OPEN = Operation("Mark the project open", {200: OUTCOME}, (*CALLER, 400, 404))
_TEMPLATE = Operation(
    "An empty table of the node type's fields",
    {200: Answer("The template.", TABLES)},
    (400, 404),
    (Param("format", "tsv (default) or csv", Literal["tsv", "csv"]),),
    path={"node": NodeTypeName},
)
_DICTIONARY = Operation(
    "Links to every node type's schema, and the order to submit them in",
    {200: answer("Links.", DictionaryLinks)},
    (400,),
)
_NODE = Operation(
    "A node type's JSON Schema, a section (`_definitions`, `_terms`, `_settings`) or `_all`",
    {200: answer("The schema.", dict[str, Any])},
    (400, 404),
    path={"node": NodeTypeName | Literal["_all", "_definitions", "_terms", "_settings"]},
)
_PROGRAM_EDIT = Operation(
    "Create or update a project of the program (admin)",
    {200: OUTCOME, 400: OUTCOME},
    (*BODY, *CALLER, 404),
    body={JSON: dict[str, Any]},
)
CONTRACT = Contract(
    "submission (sheepdog)",
    {
        programs: {
            "GET": Operation("The programs the caller may read", {200: answer("Links.", Links)}),
            **dict.fromkeys(
                ("POST", "PUT", "PATCH"),
                Operation(
                    "Create or update a program (admin)",
                    {200: answer("The program.", ProgramAnswer)},
                    (*BODY, *CALLER),
                    body={JSON: dict[str, Any]},
                ),
            ),
        },
        program: {
            "GET": Operation(
                "The projects of the program the caller may read",
                {200: answer("Links.", Links)},
                (*CALLER, 400, 404),
            ),
            **dict.fromkeys(("POST", "PUT", "PATCH"), _PROGRAM_EDIT),
            "DELETE": Operation(
                "Delete an empty program (admin)", {204: EMPTY}, (*CALLER, 400, 404, 409)
            ),
        },
        project: {
            "POST": _submission("Create entities (JSON, TSV, CSV or a PFB), in one transaction"),
            "PUT": _submission(
                "Create or update entities (JSON, TSV, CSV or a PFB), in one transaction"
            ),
            "DELETE": Operation(
                "Delete an empty project (admin)", {204: EMPTY}, (*CALLER, 400, 404, 409)
            ),
        },
        project_dry_run: dict.fromkeys(("POST", "PUT"), _submission("Validate, write nothing")),
        bulk: dict.fromkeys(
            ("POST", "PUT"), _bulk_submission("Submit several documents in one transaction")
        ),
        bulk_dry_run: dict.fromkeys(
            ("POST", "PUT"), _bulk_submission("Validate several documents")
        ),
        entities: {
            "GET": Operation(
                "Entities by comma-separated ids",
                {200: answer("The entities.", Entities)},
                (*CALLER, 400, 404),
            ),
            "DELETE": _DELETED,
        },
        delete_dry_run: {"DELETE": _DELETED},
        export: {
            "GET": _EXPORT,
            "POST": replace(_EXPORT, body={JSON: _EXPORT_BODY}, body_required=False),
        },
        manifest: {
            "GET": Operation(
                "The file manifest (YAML) of data files",
                {200: Answer("`files: [...]`.", {"application/x-yaml": str})},
                (*CALLER, 400, 404),
                (Param("ids", "Comma-separated ids of data files", required=True),),
            )
        },
        node_template: {"GET": _TEMPLATE},
        open_project: dict.fromkeys(("POST", "PUT"), _OPEN),
        open_dry_run: dict.fromkeys(("POST", "PUT"), _OPEN),
        dictionary_index: {"GET": _DICTIONARY},
        dictionary_node: {"GET": _NODE},
    },
)

routes = [Mount(prefix, routes=guarded_routes(ROUTES)) for prefix in PREFIXES]
