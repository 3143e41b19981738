"""Studies a passport grants → the permissions a policy would give: `read` and `read-storage`.

As fence maps a dbGaP study: `phs000123.c1` → `/programs/phs000123.c1`,
which index records of that study name in their `authz`. With
`PASSPORT_MAP_PROJECTS` (on by default) also every
`/programs/P/projects/Q` whose project, or whose program, has that study
as its `dbgap_accession_number`, so GraphQL, guppy, exploration and
downloads of the project follow from the same grant. The study is matched
as the grant names it: a consent-level grant (`.c1`) does not open a
project recorded under the bare `phs000123`, which may hold other consent
groups too.

The actions are fence's (`{read, read-storage}` for any service), so the
guards that check a policy's grants check these, with nothing special.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.auth.policy import Permission
from engine.auth.resources import PROGRAMS, project_path
from engine.graph.store import GraphStore

METHODS = ("read", "read-storage")
_PROJECTS = (
    "MATCH (p:`project`) WHERE p.dbgap_accession_number IN $studies "
    "RETURN p.project_id AS project_id "
    "UNION "
    "MATCH (p:`project`)-->(g:`program`) WHERE g.dbgap_accession_number IN $studies "
    "RETURN p.project_id AS project_id"
)


def study_paths(graph: GraphStore, studies: Iterable[str], map_projects: bool) -> frozenset[str]:
    """The resource paths the studies open."""
    studies = sorted(set(studies))
    paths = {f"{PROGRAMS}/{study}" for study in studies}
    if map_projects and studies:
        rows = graph.read(_PROJECTS, {"studies": studies})
        paths |= {project_path(row["project_id"]) for row in rows if row["project_id"]}
    return frozenset(paths)


def permissions(paths: Iterable[str]) -> frozenset[Permission]:
    return frozenset(Permission("*", method, path) for path in paths for method in METHODS)
