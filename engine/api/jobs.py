"""Sower's job API at `/job/*`, as the portal's "Export to PFB" calls it.

- `POST /job/dispatch {action: "export", input: {filter, root_node?}, access_format?}`
  answers the new job `{uid, name, status}`; the filter is guppy's, on
  `root_node` (default JOBS_EXPORT_ROOT, as pelican's ROOT_NODE);
- `GET /job/status?UID=` answers `{uid, name, status: Running|Completed|Failed}`
  (and a Failed job's `reason`);
- `GET /job/output?UID=` answers `{"output": <signed URL>}`, or the GUID
  of the indexed file for `access_format: guid`; once the export is older
  than JOBS_EXPORT_TTL its file is gone and this answers 410;
- `GET /job/list` answers the caller's jobs, newest first.

Jobs belong to the user who dispatched them: another user's job answers as
an unknown one (404), and anonymous callers have none (401). What an export
holds is what the caller may read when they dispatch it (guppy's `access`).
The runner is made on the app's start-up (`lifespan`), or on first use by an
app served without one; then, and on each dispatch, list and output, the
exports whose time is up are removed (engine/jobs/export.py `expire_exports`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NotRequired, TypedDict

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api.body import json_object
from engine.api.errors import HTTPProblem
from engine.api.guppy import access
from engine.api.openapi import BODY, CALLER, JSON, Contract, NodeTypeName, Operation, Param, answer
from engine.auth.principal import principal
from engine.jobs.export import (
    ACCESS_FORMATS,
    ACTION,
    GUID,
    PRESIGNED_URL,
    Export,
    expire_exports,
    run_export,
)
from engine.jobs.runner import JobRunner
from engine.jobs.state import Job, new_job
from engine.pfb.write import Cohort
from engine.query.access import Access
from engine.query.errors import QueryError
from engine.query.scope import Scope

MAX_RUNNING = 5  # jobs one user may have Running (or waiting for a worker) at once
_STARTING = threading.Lock()
_BODY_KEYS = ("action", "input", "access_format")
_INPUT_KEYS = ("filter", "root_node")


def job_runner(app: Starlette) -> JobRunner:
    """The app's runner, started (and the jobs a previous server left Running failed) once."""
    runner = getattr(app.state, "jobs", None)
    if runner is None:
        with _STARTING:
            runner = getattr(app.state, "jobs", None)
            if runner is None:
                settings = app.state.settings
                runner = JobRunner(app.state.stores.graph, settings.jobs_workers)
                expire_exports(app.state.stores, runner.states)
                app.state.jobs = runner
    return runner


async def _expire(request: Request) -> None:
    """Remove the exports whose time is up (one read when none is)."""
    runner = job_runner(request.app)
    await run_in_threadpool(expire_exports, request.app.state.stores, runner.states)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    runner = await run_in_threadpool(job_runner, app)
    try:
        yield
    finally:
        runner.stop()


async def _owner(request: Request) -> str:
    who = await principal(request)
    if who.name is None:
        who.refuse("a login (a job belongs to the user who dispatched it)")
    return who.name


def _unknown_keys(found: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(found) - set(known))
    if unknown:
        raise HTTPProblem(
            400, f"{where}: {', '.join(unknown)} not accepted (accepted: {', '.join(known)})"
        )


def _cohort(request: Request, given: Any, who_may: Access) -> Cohort:
    """The export's cohort from the body's `input`: 400 naming what is wrong with it."""
    if not isinstance(given, dict):
        raise HTTPProblem(400, "'input' must be an object: {filter, root_node?}")
    _unknown_keys(given, _INPUT_KEYS, "input")
    dictionary = request.app.state.compiled.dictionary
    root = given.get("root_node", request.app.state.settings.jobs_export_root)
    node = dictionary.nodes.get(root) if isinstance(root, str) else None
    if node is None:
        default = "" if "root_node" in given else f" (JOBS_EXPORT_ROOT, {root!r}, is not)"
        raise HTTPProblem(
            400, f"input.root_node must be one of {', '.join(sorted(dictionary.nodes))}{default}"
        )
    cohort = Cohort(node.name, who_may, given.get("filter"))
    try:
        Scope(dictionary, node, cohort.filter, "accessible", who_may).predicate()
    except QueryError as error:
        raise HTTPProblem(400, f"input.filter: {error.message}") from None
    return cohort


async def dispatch(request: Request) -> Response:
    owner = await _owner(request)
    body = await json_object(request)
    _unknown_keys(body, _BODY_KEYS, "the body")
    if body.get("action") != ACTION:
        got = repr(body.get("action"))[:60]
        raise HTTPProblem(400, f"'action' must be one of: {ACTION} (got {got})")
    access_format = body.get("access_format", PRESIGNED_URL)
    if access_format not in ACCESS_FORMATS:
        raise HTTPProblem(400, f"'access_format' must be one of: {', '.join(ACCESS_FORMATS)}")
    export = Export(
        _cohort(request, body.get("input", {}), await access(request)), owner, access_format
    )
    runner = job_runner(request.app)
    await _expire(request)
    if await run_in_threadpool(runner.states.running, owner) >= MAX_RUNNING:
        raise HTTPProblem(
            409, f"{owner} has {MAX_RUNNING} jobs Running: wait for one to finish, then dispatch"
        )
    job = new_job(ACTION, owner, access_format)
    stores, settings = request.app.state.stores, request.app.state.settings
    dictionary = request.app.state.compiled.dictionary

    def work() -> dict[str, Any]:
        return run_export(
            stores,
            dictionary,
            export,
            job.uid,
            settings.jobs_export_ttl,
            settings.index_guid_prefix,
        )

    await run_in_threadpool(runner.submit, job, work)
    return JSONResponse(job.info())


async def _job(request: Request) -> Job:
    """The caller's job named by `UID`; 404 for one that is not theirs, as for none."""
    owner = await _owner(request)
    uid = request.query_params.get("UID")
    if not uid:
        raise HTTPProblem(400, "the query parameter UID is required")
    job = await run_in_threadpool(job_runner(request.app).states.get, uid, owner)
    if job is None:
        raise HTTPProblem(404, f"no job with UID {uid}")
    return job


async def status(request: Request) -> Response:
    return JSONResponse((await _job(request)).info())


async def output(request: Request) -> Response:
    job = await _job(request)
    if job.status != "Completed":
        why = f": {job.reason}" if job.reason else ""
        raise HTTPProblem(
            409, f"job {job.uid} is {job.status}{why}; its output is ready once it is Completed"
        )
    if job.expired or (job.expires_at is not None and job.expires_at <= time.time()):
        await _expire(request)
        when = datetime.fromtimestamp(job.expires_at or 0, UTC).isoformat(timespec="seconds")
        ttl = request.app.state.settings.jobs_export_ttl
        raise HTTPProblem(
            410,
            f"the output of job {job.uid} expired at {when} and was removed (exports are kept "
            f"JOBS_EXPORT_TTL, {ttl} s): dispatch the export again",
        )
    if job.access_format == GUID:
        return JSONResponse({"output": job.guid})
    assert job.output_key is not None
    ttl = timedelta(seconds=request.app.state.settings.signed_url_ttl)
    url = await run_in_threadpool(request.app.state.stores.objects.presign_get, job.output_key, ttl)
    return JSONResponse({"output": url})


async def list_jobs(request: Request) -> Response:
    owner = await _owner(request)
    await _expire(request)
    jobs = await run_in_threadpool(job_runner(request.app).states.owned, owner)
    return JSONResponse([job.info() for job in jobs])


class JobInput(TypedDict):
    """The export's cohort: a guppy filter on `root_node` (default: JOBS_EXPORT_ROOT)."""

    filter: NotRequired[Any]
    root_node: NotRequired[NodeTypeName]


class DispatchRequest(TypedDict):
    action: Literal["export"]
    input: NotRequired[JobInput]
    access_format: NotRequired[Literal["presigned_url", "guid"]]


class JobInfo(TypedDict):
    """Sower's JobInfo; `reason` says why a Failed job failed."""

    uid: str
    name: str
    status: Literal["Running", "Completed", "Failed"]
    reason: NotRequired[str]


class JobOutput(TypedDict):
    """A signed URL of the PFB, or (access_format guid) the GUID of its index record."""

    output: str


_UID = (Param("UID", "The job's uid, as dispatch answered it", required=True),)
CONTRACT = Contract(
    "jobs (sower)",
    {
        dispatch: {
            "POST": Operation(
                "Start a job: `export` writes the cohort `input.filter` picks as a PFB",
                {200: answer("The new job.", JobInfo)},
                (*BODY, *CALLER, 409),
                body={JSON: DispatchRequest},
            )
        },
        status: {
            "GET": Operation(
                "A job of the caller's, and its status",
                {200: answer("The job.", JobInfo)},
                (400, *CALLER, 404),
                query=_UID,
            )
        },
        output: {
            "GET": Operation(
                "What a Completed job made: a signed URL of its PFB, or its GUID (410 once expired)",
                {200: answer("The output.", JobOutput)},
                (400, *CALLER, 404, 409, 410),
                query=_UID,
            )
        },
        list_jobs: {
            "GET": Operation(
                "The caller's jobs, newest first", {200: answer("", list[JobInfo])}, CALLER
            )
        },
    },
)

routes = [
    Route("/job/dispatch", dispatch, methods=["POST"]),
    Route("/job/status", status),
    Route("/job/output", output),
    Route("/job/list", list_jobs),
]
