"""The answer to a submission, in sheepdog's shape, so Gen3 clients read it unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import NotRequired, TypedDict

import orjson


class ErrorType(StrEnum):
    INVALID_LINK = "INVALID_LINK"
    INVALID_VALUE = "INVALID_VALUE"
    MISSING_PROPERTY = "MISSING_PROPERTY"
    NOT_UNIQUE = "NOT_UNIQUE"
    INVALID_PERMISSIONS = "INVALID_PERMISSIONS"
    NOT_FOUND = "NOT_FOUND"


class ErrorJSON(TypedDict):
    type: str
    message: str
    keys: list[str]


class UniqueKey(TypedDict):
    project_id: str | None
    submitter_id: str


class EntityJSON(TypedDict):
    id: str | None
    type: str
    action: str
    valid: bool
    errors: list[ErrorJSON]
    warnings: list[str]
    unique_keys: list[UniqueKey]


class SubmissionJSON(TypedDict):
    """Sheepdog's transaction answer (UploadTransaction's, DeletionTransaction's)."""

    code: int
    success: bool
    message: str
    transaction_id: int | None
    entity_error_count: int
    transactional_error_count: int
    transactional_errors: list[str]
    created_entity_count: int
    updated_entity_count: int
    entities: list[EntityJSON]
    deleted_entity_count: NotRequired[int]
    dependent_ids: NotRequired[str]


@dataclass(frozen=True)
class EntityError:
    type: ErrorType
    message: str
    keys: tuple[str, ...] = ()

    def to_json(self) -> ErrorJSON:
        return {"type": self.type.value, "message": self.message, "keys": list(self.keys)}


@dataclass
class EntityResult:
    """One submitted document: what it is, what happened to it, and what is wrong with it."""

    index: int
    type: str
    id: str | None = None
    action: str = "create"
    submitter_id: str | None = None
    project_id: str | None = None
    line: int | None = None
    errors: list[EntityError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, kind: ErrorType, message: str, *keys: str) -> None:
        self.errors.append(EntityError(kind, message, keys))

    def to_json(self) -> EntityJSON:
        unique_keys: list[UniqueKey] = (
            [{"project_id": self.project_id, "submitter_id": self.submitter_id}]
            if self.submitter_id is not None
            else []
        )
        return {
            "id": self.id,
            "type": self.type,
            "action": self.action,
            "valid": self.valid,
            "errors": [error.to_json() for error in self.errors],
            "warnings": list(self.warnings),
            "unique_keys": unique_keys,
        }


@dataclass
class SubmissionResult:
    entities: list[EntityResult]
    dry_run: bool = False
    created: bool = True  # POST answers 201, PUT 200
    transactional_errors: list[str] = field(default_factory=list)
    # The id of its record in the transaction log (engine/submission/transaction_log.py),
    # an integer as sheepdog's; None for what is not logged (programs, projects).
    transaction_id: int | None = None
    deletion: bool = False  # a delete answers sheepdog's DeletionTransaction keys and messages
    dependent_ids: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.transactional_errors and all(entity.valid for entity in self.entities)

    @property
    def status(self) -> int:
        if not self.success:
            return 400
        return 201 if self.created and not self.dry_run else 200

    def message(self) -> str:
        """Sheepdog's message for the outcome (UploadTransaction's, DeletionTransaction's)."""
        invalid = sum(not entity.valid for entity in self.entities)
        if invalid or self.transactional_errors:
            if self.deletion:
                return "Deletion transaction failed."
            causes = [f"{invalid} invalid entit{'y' if invalid == 1 else 'ies'}"] if invalid else []
            if self.transactional_errors:
                causes.append(f"{len(self.transactional_errors)} transactional error(s)")
            return f"Transaction aborted due to {' and '.join(causes)}."
        if self.deletion:
            count = len(self.entities)
            if self.dry_run:
                return f"Dry run successful. Would have deleted {count} entities"
            return f"Successfully deleted {count} entities"
        if self.dry_run:
            return "Transaction would have been successful. User selected dry run option, transaction aborted, no data written to database."
        return "Transaction successful."

    @cached_property
    def encoded(self) -> bytes:
        """The answer as JSON bytes, encoded once: the route sends it, the transaction log keeps
        it (orjson: a 5,000-entity answer takes 3 ms instead of the standard library's 10-30)."""
        return orjson.dumps(self.to_json())

    def to_json(self) -> SubmissionJSON:
        success = self.success  # each reading is a pass over the entities: read it once here
        body: SubmissionJSON = {
            "code": self.status,
            "success": success,
            "message": self.message(),
            "transaction_id": self.transaction_id,
            "entity_error_count": sum(not entity.valid for entity in self.entities),
            "transactional_error_count": len(self.transactional_errors),
            "transactional_errors": list(self.transactional_errors),
            "created_entity_count": sum(e.action == "create" for e in self.entities)
            if success
            else 0,
            "updated_entity_count": sum(e.action == "update" for e in self.entities)
            if success
            else 0,
            "entities": [entity.to_json() for entity in self.entities],
        }
        if self.deletion:
            body["deleted_entity_count"] = len(self.entities) if success else 0
            body["dependent_ids"] = ",".join(self.dependent_ids)
        return body
