"""Resource paths: where Gen3 programs and projects sit in the arborist tree, spelt one way only.

A project_id is `<program>-<code>`, split on the first `-` as the Gen3 SDK
splits it, so program names must not contain `-` (project codes may: Gen3
codes with consent suffixes such as `HMB-IRB` do, and the split stays the same). A grant on a path reaches the
paths beneath it, so a path is only compared with a grant once it is
plain: segments of letters, digits, `_`, `-` and `.`, never `.` or `..`,
never empty, never percent-encoded, no backslashes, spaces or control
characters. Otherwise `/programs/Z/projects/B1/../../A/projects/A1`, or a
project coded `B1/x`, would count as "beneath" B1.

A dbGaP study with its consent group (`phs000123.c1`) may stand where a
program name does: fence gives a study's readers `/programs/phs000123.c1`
and index records name it in their `authz` (engine/auth/passports/).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from engine.auth.errors import AuthError

PROGRAMS = "/programs"
PROGRAM_NAME = re.compile(r"[A-Za-z0-9_]+")
PROJECT_CODE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
STUDY = re.compile(r"phs[0-9]{6}(?:\.c[0-9]+)?")


class MalformedName(AuthError, ValueError):
    """A 400 as every route and command answers an AuthError; a ValueError to Python callers."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


NameKind = Literal["program name", "project code", "path segment"]
RULES: dict[NameKind, tuple[re.Pattern[str], str]] = {
    "program name": (PROGRAM_NAME, "only letters, digits and _"),
    "project code": (PROJECT_CODE, "only letters, digits, _ and -, not starting with -"),
    "path segment": (
        SEGMENT,
        "only letters, digits, _, - and ., starting with a letter, digit or _",
    ),
}


def name_problem(kind: NameKind, value: object) -> str | None:
    """Why `value` is not a valid `kind`, or None when it is."""
    pattern, allowed = RULES[kind]
    if isinstance(value, str) and pattern.fullmatch(value):
        return None
    return f"{value!r} is not a valid {kind}: use {allowed}"


def _checked(kind: NameKind, value: object, where: str) -> str:
    """`value`, or a 400 naming `where` it came from when it is not a valid `kind`."""
    problem = name_problem(kind, value)
    if problem:
        raise MalformedName(f"{where}: {problem}")
    assert isinstance(value, str)
    return value


def path_problem(path: str) -> str | None:
    """Why `path` is not a plain resource path, or None (`/` is the root).

    Under /programs, the segment after `programs` must be a program name and
    the one after `projects` a project code, so a policy or a record cannot
    name a program or project that could never be made.
    """
    if path == "/":
        return None
    if not path.startswith("/"):
        return f"{path!r} is not a resource path: it must start with /"
    segments = path[1:].split("/")
    for position, segment in enumerate(segments):
        kind: NameKind = "path segment"
        if segments[0] == "programs" and position == 1:
            if STUDY.fullmatch(segment):
                continue
            kind = "program name"
        elif segments[0] == "programs" and position == 3 and segments[2] == "projects":
            kind = "project code"
        problem = name_problem(kind, segment)
        if problem:
            return f"{path!r} is not a resource path: {problem}"
    return None


@lru_cache(maxsize=4096)
def is_resource_path(path: str) -> bool:
    """Whether `path` is plain (cached: every permission check asks it of the same few paths)."""
    return path_problem(path) is None


def program_path(program: str) -> str:
    """`/programs/P`; a 400 when P is not a valid program name."""
    return f"{PROGRAMS}/{_checked('program name', program, 'program')}"


def project_resource(program: str, code: str) -> str:
    """The path of a project named by its parts, as routes get them: `/programs/P/projects/Q`."""
    return f"{program_path(program)}/projects/{_checked('project code', code, 'project')}"


def split_project_id(project_id: str) -> tuple[str, str]:
    """`P-Q` → (P, Q), each checked; a 400 for anything else."""
    program, dash, code = project_id.partition("-")
    if not (program and dash and code):
        raise MalformedName(f"a project_id is <program>-<project>, got {project_id!r}")
    project_resource(program, code)
    return program, code


def project_path(project_id: str) -> str:
    """`P-Q` → `/programs/P/projects/Q`."""
    return project_resource(*split_project_id(project_id))


def covers(granted: str, resource: str) -> bool:
    """A permission on a path reaches every path beneath it (`/` reaches everything).

    A path that is not plain is beneath nothing: `..`, empty segments and the
    like never let a grant reach past where it was given.
    """
    granted = granted.rstrip("/")
    if not is_resource_path(resource):
        return False
    return not granted or resource == granted or resource.startswith(granted + "/")
