"""The in-process job runner: a bounded pool of worker threads over the jobs' state in the graph.

Sower starts a Kubernetes job per dispatch; Commons runs the work on one of
`JOBS_WORKERS` threads of the server process (more dispatches wait their
turn, reported Running as a pending Kubernetes job is). A runner starting
up fails every job still Running in the graph: the process that ran it is
gone, so it would never finish, and the portal polling it must hear so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.jobs.state import DDL, Job, JobStates

log = logging.getLogger(__name__)
Work = Callable[[], dict[str, Any]]


class JobRunner:
    """Runs jobs for one app; made once per process start (see engine/api/jobs.py)."""

    def __init__(self, graph: GraphStore, workers: int) -> None:
        self.states = JobStates(graph)
        apply_ddl(graph, DDL)
        failed = self.states.fail_interrupted()
        if failed:
            log.warning("%d job(s) left Running by a previous server are now Failed", failed)
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="commons-job")

    def submit(self, job: Job, work: Work) -> None:
        """Record `job` as Running, then run `work` (which answers the job's output) on a worker."""
        self.states.create(job)
        self._pool.submit(self._run, job, work)

    def _run(self, job: Job, work: Work) -> None:
        try:
            changes = work()
        except Exception as error:  # a job's failure is its status, not the server's
            log.exception("job %s (%s) failed", job.uid, job.name)
            reason = f"the {job.action} failed ({type(error).__name__}); the server logged why"
            self.states.finish(job.uid, "Failed", {"reason": reason})
        else:
            self.states.finish(job.uid, "Completed", changes)

    def stop(self) -> None:
        """No new work; jobs not yet started are dropped (the next start-up fails them)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
