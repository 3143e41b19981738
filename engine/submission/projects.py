"""Programs and projects: the two administrative levels every other entity hangs from.

Their ids are sheepdog's deterministic uuid5 of the program name and the
project code, so a program or project keeps its id across commons and
reloads, and links that name a project by id keep working. A program name
and a project code become segments of resource paths and halves of every
project_id, so they are made only in the spelling engine/auth/resources.py
allows; deleting does not check them, so what an older store holds can go.
"""

from __future__ import annotations

import uuid
from typing import Any

from engine.auth.resources import name_problem
from engine.dictionary.compile import CompiledDictionary
from engine.dictionary.model import NodeType
from engine.graph import cypher
from engine.graph.store import GraphStore, Transaction
from engine.submission.entity import MANAGED, schema_findings
from engine.submission.result import EntityResult, ErrorType, SubmissionResult
from engine.submission.writer import now

PROGRAM_SEED = uuid.UUID("85b08c6a-56a6-4474-9c30-b65abfd214a8")
PROJECT_SEED = uuid.UUID("249b4405-2c69-45d9-96bc-7410333d5d80")
# The state sheepdog gives a new project; a submitted state is dropped, as sheepdog drops it.
OPEN = "open"


class AdminError(Exception):
    """A program/project request that cannot be carried out; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def program_id(name: str) -> str:
    return str(uuid.uuid5(PROGRAM_SEED, name))


def project_uuid(code: str) -> str:
    return str(uuid.uuid5(PROJECT_SEED, code))


def list_programs(store: GraphStore) -> list[str]:
    return [
        row["name"] for row in store.read("MATCH (p:`program`) RETURN p.name AS name ORDER BY name")
    ]


def _program_link(compiled: CompiledDictionary) -> str | None:
    """The project's link to its program (`programs` in Gen3 dictionaries)."""
    links = compiled.dictionary.nodes["project"].links
    return next((link.name for link in links if link.target == "program"), None)


def _projects_of(tx: Transaction, compiled: CompiledDictionary, program: str) -> list[str]:
    link = _program_link(compiled)
    if link is None:
        return []
    rows = tx.run(
        f"MATCH (p:`project`)-[:{cypher.name(link.upper())}]->(:`program` {{name: $name}}) "
        "RETURN p.code AS code ORDER BY code",
        {"name": program},
    )
    return [row["code"] for row in rows]


def list_projects(store: GraphStore, compiled: CompiledDictionary, program: str) -> list[str]:
    def work(tx: Transaction) -> list[str]:
        _require_program(tx, program)
        return _projects_of(tx, compiled, program)

    return store.execute_read(work)


def _require_program(tx: Transaction, program: str) -> None:
    if not tx.run("MATCH (p:`program` {name: $name}) RETURN p.id AS id", {"name": program}):
        raise AdminError(404, f"program {program} does not exist")


def require_program(store: GraphStore, program: str) -> None:
    """A 404 when `program` does not exist: asked first, as sheepdog asks it before the body."""
    store.execute_read(lambda tx: _require_program(tx, program))


def _clean(doc: Any, node: str) -> dict[str, Any]:
    """The document to register; a list of one document is that document, as sheepdog takes it."""
    if isinstance(doc, list) and len(doc) == 1:
        doc = doc[0]
    if not isinstance(doc, dict):
        raise AdminError(400, f"a {node} must be a JSON object")
    if doc.get("type", node) != node:
        raise AdminError(400, f"expected a document of type '{node}', got '{doc.get('type')}'")
    return {k: v for k, v in doc.items() if k not in MANAGED and k != "id"} | {"type": node}


def _checked(node: NodeType, doc: dict[str, Any], **set_by_commons: str) -> dict[str, Any]:
    """The document as the schema sees it: with what Commons sets (the id, a project's state)
    among the properties the node declares, so a dictionary that lists them in `required`
    (the GDC's, MMRF's, Kids First's project: `state`) is met by the values sheepdog sets."""
    return doc | {k: v for k, v in set_by_commons.items() if k in node.properties}


def upsert_program(store: GraphStore, compiled: CompiledDictionary, doc: Any) -> dict[str, Any]:
    """Sheepdog's answer: `{id, name, message}`."""
    doc = _clean(doc, "program")
    node = compiled.dictionary.nodes["program"]
    result = EntityResult(index=0, type="program")
    name = doc.get("name")
    identity = {"id": program_id(name)} if isinstance(name, str) else {}
    result.errors += schema_findings(
        node, compiled.validators["program"], _checked(node, doc, **identity)
    )
    if not result.valid:
        raise AdminError(400, "; ".join(error.message for error in result.errors))
    problem = name_problem("program name", doc["name"])
    if problem:
        raise AdminError(400, f"invalid program in key 'name': {problem}")
    props = {k: v for k, v in doc.items() if k in compiled.dictionary.nodes["program"].properties}
    identifier = program_id(doc["name"])

    def work(tx: Transaction) -> bool:
        rows = tx.run(
            "MERGE (p:`program` {id: $id}) ON CREATE SET p.created_datetime = $now, p._new = true "
            "SET p += $props, p.updated_datetime = $now WITH p, coalesce(p._new, false) AS created "
            "REMOVE p._new RETURN created",
            {"id": identifier, "props": props, "now": now()},
        )
        return rows[0]["created"]

    created = store.execute_write(work, upsert=True)
    message = "Program registered." if created else "Program is updated!"
    return {"id": identifier, "name": doc["name"], "message": message}


def upsert_project(
    store: GraphStore, compiled: CompiledDictionary, program: str, doc: Any
) -> SubmissionResult:
    """Creates or updates (whichever the method, as sheepdog's create_project: 200 either way)."""
    doc = _clean(doc, "project")
    node = compiled.dictionary.nodes["project"]
    link = _program_link(compiled)
    code = doc.get("code")
    result = EntityResult(index=0, type="project", submitter_id=None)
    answer = SubmissionResult([result], created=False)
    if link:
        doc[link] = {"id": program_id(program)}
    identity = {"id": project_uuid(code)} if isinstance(code, str) else {}
    checked = _checked(node, doc, state=OPEN, **identity)
    result.errors += schema_findings(node, compiled.validators["project"], checked)
    if not isinstance(code, str):
        return answer
    problem = name_problem("project code", code)
    if problem:
        result.error(ErrorType.INVALID_VALUE, f"invalid project in key 'code': {problem}", "code")
        return answer
    result.id = project_uuid(code)
    project_id = f"{program}-{code}"
    props = {k: v for k, v in doc.items() if k in node.properties and k != link}

    def work(tx: Transaction) -> None:
        _require_program(tx, program)
        existing = tx.run(
            "MATCH (p:`project` {code: $code}) RETURN p.project_id AS project_id", {"code": code}
        )
        if existing and existing[0]["project_id"] != project_id:
            result.error(
                ErrorType.NOT_UNIQUE,
                f"project code '{code}' is used by {existing[0]['project_id']}",
                "code",
            )
        elif existing:
            result.action = "update"
        if not answer.success:
            return
        tx.run(
            "MATCH (g:`program` {name: $program}) MERGE (p:`project` {id: $id}) "
            "ON CREATE SET p.created_datetime = $now, p.state = $state "
            "SET p += $props, p.project_id = $project_id, p.updated_datetime = $now "
            + (f"MERGE (p)-[:{cypher.name(link.upper())}]->(g)" if link else ""),
            {
                "program": program,
                "id": result.id,
                "props": props,
                "project_id": project_id,
                "state": OPEN,
                "now": now(),
            },
        )

    if answer.success:
        store.execute_write(work, upsert=True)
    return answer


def _count_in_project(tx: Transaction, compiled: CompiledDictionary, project_id: str) -> int:
    labels = [name for name in compiled.dictionary.nodes if name not in ("program", "project")]
    if not labels:
        return 0
    union = " UNION ALL ".join(
        f"MATCH (n:`{label}`) WHERE n.project_id = $project_id RETURN n.id AS id LIMIT 1"
        for label in labels
    )
    return len(tx.run(f"CALL () {{ {union} }} RETURN id", {"project_id": project_id}))


def delete_project(
    store: GraphStore, compiled: CompiledDictionary, program: str, code: str
) -> None:
    project_id = f"{program}-{code}"

    def work(tx: Transaction) -> None:
        if not tx.run(
            "MATCH (p:`project` {code: $code, project_id: $pid}) RETURN p.id AS id",
            {"code": code, "pid": project_id},
        ):
            raise AdminError(404, f"project {project_id} does not exist")
        if _count_in_project(tx, compiled, project_id):
            raise AdminError(400, f"project {project_id} is not empty; delete its entities first")
        tx.run("MATCH (p:`project` {code: $code}) DETACH DELETE p", {"code": code})

    store.execute_write(work)


def delete_program(store: GraphStore, compiled: CompiledDictionary, program: str) -> None:
    def work(tx: Transaction) -> None:
        _require_program(tx, program)
        projects = _projects_of(tx, compiled, program)
        if projects:
            raise AdminError(
                400,
                f"program {program} still has projects ({', '.join(projects)}); delete them first",
            )
        tx.run("MATCH (p:`program` {name: $name}) DETACH DELETE p", {"name": program})

    store.execute_write(work)
