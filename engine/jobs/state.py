"""Job state in the graph: one `CommonsJob` node per job, so it outlives the process running it.

Sower keeps its jobs as Kubernetes jobs labelled with the user's name and
shows each user only theirs; here a job carries its `owner`, and every
lookup is by uid *and* owner, so another user's job answers as an unknown
one does. A status changes only from Running: a job the start-up sweep
failed stays Failed, even if its thread finishes later.
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from engine.graph.store import GraphStore
from engine.objects.record import now

LABEL = "CommonsJob"
DDL = [
    f"CREATE CONSTRAINT commons_{LABEL}_uid_unique IF NOT EXISTS "
    f"FOR (n:`{LABEL}`) REQUIRE n.`uid` IS UNIQUE",
    f"CREATE INDEX commons_{LABEL}_owner_index IF NOT EXISTS FOR (n:`{LABEL}`) ON (n.`owner`)",
    f"CREATE INDEX commons_{LABEL}_status_index IF NOT EXISTS FOR (n:`{LABEL}`) ON (n.`status`)",
]
Status = Literal["Running", "Completed", "Failed"]
RUNNING: Status = "Running"
INTERRUPTED = "the server stopped before the job finished; dispatch it again"
_NAME_CHARS = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class Job:
    """A job as stored: sower's `{uid, name, status}`, and what Commons keeps to answer it."""

    uid: str
    name: str
    action: str
    owner: str
    status: Status
    created: str
    updated: str
    access_format: str = "presigned_url"
    reason: str | None = None  # why it Failed
    output_key: str | None = None  # the object holding its result
    guid: str | None = None  # the index record of that object (access_format guid)
    expires_at: float | None = None  # when its output goes: epoch seconds, as pelican's MDS
    expired: bool | None = None  # its output is gone (engine/jobs/export.py `expire_exports`)

    def info(self) -> dict[str, Any]:
        """Sower's JobInfo, with the reason of a failure."""
        found: dict[str, Any] = {"uid": self.uid, "name": self.name, "status": self.status}
        if self.reason is not None:
            found["reason"] = self.reason
        return found


def new_job(action: str, owner: str, access_format: str) -> Job:
    """A Running job; named as sower names its jobs: the action and 5 random characters."""
    stamp = now()
    suffix = "".join(secrets.choice(_NAME_CHARS) for _ in range(5))
    return Job(
        str(uuid.uuid4()), f"{action}-{suffix}", action, owner, RUNNING, stamp, stamp, access_format
    )


def _job(props: dict[str, Any]) -> Job:
    return Job(**{name: props.get(name) for name in Job.__dataclass_fields__})


class JobStates:
    """The jobs of one graph store."""

    def __init__(self, graph: GraphStore) -> None:
        self.graph = graph

    def create(self, job: Job) -> None:
        props = {k: v for k, v in vars(job).items() if v is not None}
        self.graph.write(f"CREATE (j:`{LABEL}`) SET j = $props", {"props": props})

    def get(self, uid: str, owner: str) -> Job | None:
        rows = self.graph.lookup(
            f"MATCH (j:`{LABEL}` {{uid: $uid}}) WHERE j.owner = $owner RETURN properties(j) AS p",
            {"uid": uid, "owner": owner},
        )
        return _job(rows[0]["p"]) if rows else None

    def owned(self, owner: str) -> list[Job]:
        """The owner's jobs, newest first."""
        rows = self.graph.read(
            f"MATCH (j:`{LABEL}` {{owner: $owner}}) RETURN properties(j) AS p "
            "ORDER BY j.created DESC, j.uid",
            {"owner": owner},
        )
        return [_job(row["p"]) for row in rows]

    def running(self, owner: str) -> int:
        """How many of the owner's jobs are Running (or waiting for a worker)."""
        rows = self.graph.lookup(
            f"MATCH (j:`{LABEL}` {{owner: $owner}}) WHERE j.status = $running RETURN count(j) AS n",
            {"owner": owner, "running": RUNNING},
        )
        return rows[0]["n"]

    def finish(self, uid: str, status: Status, changes: dict[str, Any]) -> None:
        """Completed or Failed, with `changes` (output, reason), if the job is still Running."""
        self.graph.write(
            f"MATCH (j:`{LABEL}` {{uid: $uid}}) WHERE j.status = $running "
            "SET j += $changes, j.status = $status, j.updated = $updated",
            {
                "uid": uid,
                "running": RUNNING,
                "changes": changes,
                "status": status,
                "updated": now(),
            },
        )

    def due(self, now: float, limit: int = 100) -> list[Job]:
        """Completed jobs whose output expired by `now` and is still there, oldest first."""
        rows = self.graph.read(
            f"MATCH (j:`{LABEL}`) WHERE j.status = $completed AND j.expires_at <= $now "
            "AND j.expired IS NULL RETURN properties(j) AS p ORDER BY j.expires_at LIMIT $limit",
            {"completed": "Completed", "now": now, "limit": limit},
        )
        return [_job(row["p"]) for row in rows]

    def mark_expired(self, uid: str) -> None:
        """The job's output is gone; the job stays, so its owner hears why (410)."""
        self.graph.write(
            f"MATCH (j:`{LABEL}` {{uid: $uid}}) SET j.expired = true, j.updated = $updated",
            {"uid": uid, "updated": now()},
        )

    def fail_interrupted(self) -> int:
        """Every Running job becomes Failed: at start-up, none of them has a thread any more."""
        rows = self.graph.write(
            f"MATCH (j:`{LABEL}`) WHERE j.status = $running "
            "SET j.status = $failed, j.reason = $reason, j.updated = $updated RETURN count(j) AS n",
            {"running": RUNNING, "failed": "Failed", "reason": INTERRUPTED, "updated": now()},
        )
        return rows[0]["n"] if rows else 0
