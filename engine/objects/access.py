"""Who may do what to an index record: the record's `authz` paths against the caller's grants.

indexd, DRS and fence all reach records through engine/objects/service.py,
which asks here, so one table (`RULES`) decides for every door what each
action needs: one of its permissions on any one of the record's authz
paths (reading) or on every one of them (anything that writes, so a record
cannot be put where its writer may not write). Authz paths are plain
(engine/objects/record.py refuses others as they arrive, and `covers`
puts one made before beneath no grant), so `..` never reaches past a grant.

Reading a record (its metadata: GET, DRS object, listings, URL queries)
depends on the `INDEX_READ` setting. Under `public` (the default, as Gen3's
indexd serves them) everyone, anonymous callers too, reads every record;
the bytes stay behind `download`, which signs URLs only for the record's
own storage key (engine/objects/keys.py). Under `authz` a record is read
with `indexd read` on one of its authz paths.

A record without authz belongs to its `uploader` (set to the caller when a
logged-in user makes one) and is theirs and the admins' alone (under
`public` its metadata is readable too). A record the caller may neither
read nor act on answers exactly as an unknown GUID does (404), so GUIDs
cannot be probed; one they may read but not act on is a 401 or 403 naming
the permission.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from engine.auth.principal import Principal
from engine.objects.record import IndexRecord, RecordError

Action = Literal["read", "download", "create", "upload", "fill", "update", "delete"]


@dataclass(frozen=True)
class Rule:
    """Any one of `permissions` ((service, method) pairs), on any one authz path or on every one."""

    permissions: tuple[tuple[str, str], ...]
    any_path: bool

    def describe(self) -> str:
        return " or ".join(
            f"the {service} '{method}' permission" for service, method in self.permissions
        )


READ = ("indexd", "read")
CREATE = ("indexd", "create")
UPDATE = ("indexd", "update")
DELETE = ("indexd", "delete")
READ_STORAGE = ("fence", "read-storage")
WRITE_STORAGE = ("fence", "write-storage")

# fmt: off
RULES: dict[Action, Rule] = {
    "read":     Rule((READ,),                  any_path=True),   # GET a record, DRS object, listings
    "download": Rule((READ_STORAGE,),          any_path=True),   # signed GET URLs
    "create":   Rule((CREATE, WRITE_STORAGE),  any_path=False),  # new records, by indexd or fence
    "upload":   Rule((WRITE_STORAGE, CREATE),  any_path=False),  # signed PUTs into a record
    "fill":     Rule((UPDATE, WRITE_STORAGE),  any_path=False),  # a blank record's size and hashes
    "update":   Rule((UPDATE,),                any_path=False),
    "delete":   Rule((DELETE,),                any_path=False),
}
# fmt: on


def unknown(did: str) -> RecordError:
    """What an unknown GUID answers, and so also one the caller must not learn exists."""
    return RecordError(404, f"no record with did {did}")


class RecordAccess:
    """One caller's rights over index records; `public_read`: everyone reads every record."""

    def __init__(self, who: Principal, *, public_read: bool) -> None:
        self.who = who
        self.public_read = public_read

    def _on_paths(self, rule: Rule, paths: Iterable[str]) -> bool:
        def allowed(path: str) -> bool:
            return any(self.who.can(service, method, path) for service, method in rule.permissions)

        paths = list(paths)
        return bool(paths) and (any if rule.any_path else all)(allowed(p) for p in paths)

    def may(self, record: IndexRecord, action: Action) -> bool:
        if self.who.is_admin or (action == "read" and self.public_read):
            return True
        if not record.authz:
            return record.uploader is not None and record.uploader == self.who.name
        return self._on_paths(RULES[action], record.authz)

    def check(self, record: IndexRecord, action: Action) -> IndexRecord:
        """`record`, if the caller may `action` it; else 404 when they may not even read it."""
        if self.may(record, action):
            return record
        if action != "read" and self.may(record, "read"):
            self.who.refuse(RULES[action].describe())
        raise unknown(record.did)

    def check_new(self, authz: list[str] | None, action: Action = "create") -> dict[str, Any]:
        """For a record about to be made (or moved) under `authz`: the fields it gets from the caller.

        Without authz the record is the caller's own: they must be logged in,
        and are its `uploader` (an admin may name another).
        """
        if authz:
            if not (self.who.is_admin or self._on_paths(RULES[action], authz)):
                self.who.refuse(RULES[action].describe() + " on every path of its authz")
            return {}
        if self.who.is_anonymous:
            self.who.refuse("a login (a record without authz belongs to its uploader)")
        return {} if self.who.is_admin else {"uploader": self.who.name}

    def readable(self) -> Visibility | None:
        """What listings may return, as a Cypher condition; None for everything (an admin, or
        any caller when records are public)."""
        if self.public_read:
            return None
        paths = self.who.granted_paths(*READ)
        if paths is None:
            return None
        return Visibility(tuple(sorted(p.rstrip("/") for p in paths)), self.who.name)


@dataclass(frozen=True)
class Visibility:
    """Records under one of `paths` (or beneath), and records without authz uploaded by `user`."""

    paths: tuple[str, ...]
    user: str | None

    def cypher(self, variable: str) -> tuple[str, dict[str, Any]]:
        """A condition on `variable` and its parameters: the check runs inside the query."""
        authz = f"coalesce({variable}.authz, [])"
        condition = (
            f"(any(a IN {authz} WHERE any(g IN $visible_paths WHERE a = g OR a STARTS WITH g + '/'))"
            f" OR (size({authz}) = 0 AND {variable}.uploader = $visible_user))"
        )
        return condition, {"visible_paths": list(self.paths), "visible_user": self.user}
