"""Resource paths: where Gen3 programs and projects sit in the arborist tree.

A project_id is `<program>-<code>`, split on the first `-` as the Gen3 SDK
splits it, so program names must not contain `-`.
"""

from __future__ import annotations

PROGRAMS = "/programs"


def program_path(program: str) -> str:
    return f"{PROGRAMS}/{program}"


def project_resource(program: str, code: str) -> str:
    """The path of a project named by its parts, as routes get them: `/programs/P/projects/Q`."""
    return f"{program_path(program)}/projects/{code}"


def project_path(project_id: str) -> str:
    """`P-Q` → `/programs/P/projects/Q`."""
    program, dash, code = project_id.partition("-")
    if not (program and dash and code):
        raise ValueError(f"a project_id is <program>-<project>, got {project_id!r}")
    return project_resource(program, code)


def covers(granted: str, resource: str) -> bool:
    """A permission on a path reaches every path beneath it (`/` reaches everything)."""
    granted = granted.rstrip("/")
    return not granted or resource == granted or resource.startswith(granted + "/")
