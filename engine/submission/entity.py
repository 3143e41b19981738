"""One submitted document on its way to the graph, and the checks that need no store.

Everything that can be said about a document by looking at it and at the
dictionary is said here; what needs the store (does it exist, do its links
resolve) is in lookup.py. Every problem becomes an error on the entity's
result, so a submitter sees all of them at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.dictionary.model import Dictionary, LinkGroup, NodeType
from engine.dictionary.validators import EntityValidator, validate_entity
from engine.submission.result import EntityError, EntityResult, ErrorType

# Set by Commons on every entity; a value sent for them is ignored with a warning.
MANAGED = ("created_datetime", "updated_datetime", "state")
LINK_KEYS = ("id", "submitter_id", "code")
# C0 control characters but tab, line feed and carriage return: no text property may hold one.
# A NUL ends the string for many readers of an export; the others are invisible, or move a
# terminal's cursor when a value is printed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class LinkRef:
    """One target named by a document: by `id`, `submitter_id` or (projects) `code`."""

    link: str
    key: str
    value: str


@dataclass
class Entity:
    result: EntityResult
    node: NodeType | None
    doc: dict[str, Any]
    props: dict[str, Any] = field(default_factory=dict)
    links: dict[str, list[LinkRef]] = field(default_factory=dict)
    # Resolved target ids per link, filled by lookup.resolve_links.
    targets: dict[str, list[str]] = field(default_factory=dict)
    # Where in result.errors the schema's findings go, once known (None: not validated).
    schema_at: int | None = None


def _link_refs(entity: Entity, link: str, value: Any) -> list[LinkRef]:
    items = value if isinstance(value, list) else [value]
    refs = []
    for item in items:
        key = None
        if isinstance(item, dict):
            for candidate in LINK_KEYS:
                if item.get(candidate) is not None:
                    key = candidate
                    break
        if key is None:
            entity.result.error(
                ErrorType.INVALID_LINK,
                f"link '{link}' must name its target by id or submitter_id, got {item!r}",
                link,
            )
            continue
        refs.append(LinkRef(link, key, str(item[key])))
    return refs


def schema_findings(
    node: NodeType, validator: EntityValidator, doc: dict[str, Any]
) -> list[EntityError]:
    """The validator's findings as sheepdog's error types, keyed by the property at fault."""
    findings: list[EntityError] = []
    for error in validate_entity(validator, doc):
        if error.rule == "required":
            message = f"'{error.keys[0]}' is a required property"
            findings.append(EntityError(ErrorType.MISSING_PROPERTY, message, error.keys))
        elif error.rule == "additionalProperties":
            findings.extend(
                EntityError(
                    ErrorType.INVALID_VALUE, f"'{key}' is not a property of {node.name}", (key,)
                )
                for key in error.keys
            )
        else:
            link = bool(error.keys) and error.keys[0] in node.edges
            message = f"{error.keys[0]}: {error.message}" if error.keys else error.message
            kind = ErrorType.INVALID_LINK if link else ErrorType.INVALID_VALUE
            findings.append(EntityError(kind, message, error.keys))
    return findings


def validate_entities(
    entities: Sequence[Entity], validators: dict[str, EntityValidator]
) -> list[list[EntityError]]:
    """Each entity's schema findings, touching no entity: a worker thread runs this while the
    store answers the submission's lookups, and `add_findings` files them afterwards."""
    return [
        schema_findings(entity.node, validators[entity.node.name], entity.doc)
        if entity.node is not None and entity.schema_at is not None
        else []
        for entity in entities
    ]


def add_findings(entities: Sequence[Entity], findings: list[list[EntityError]]) -> None:
    """File the findings where check_document would have, so errors read in the same order."""
    for entity, errors in zip(entities, findings, strict=True):
        if errors and entity.schema_at is not None:
            entity.result.errors[entity.schema_at : entity.schema_at] = errors


def _group_members(group: LinkGroup) -> list[str]:
    names: list[str] = []
    for member in group.members:
        names.extend(_group_members(member) if isinstance(member, LinkGroup) else [member])
    return names


def _check_groups(entity: Entity, groups: tuple[LinkGroup, ...]) -> None:
    for group in groups:
        present = []
        for member in group.members:
            names = _group_members(member) if isinstance(member, LinkGroup) else [member]
            if any(name in entity.links for name in names):
                present.append("/".join(names))
        names = _group_members(group)
        if group.exclusive and len(present) > 1:
            entity.result.error(
                ErrorType.INVALID_LINK,
                f"only one of {', '.join(names)} may be linked, got {', '.join(present)}",
                *names,
            )
        if group.required and not present:
            entity.result.error(
                ErrorType.MISSING_PROPERTY,
                f"at least one of {', '.join(names)} must be linked",
                *names,
            )
        _check_groups(entity, tuple(m for m in group.members if isinstance(m, LinkGroup)))


def check_document(
    index: int,
    doc: Any,
    line: int | None,
    dictionary: Dictionary,
    validators: dict[str, EntityValidator],
    project_id: str,
) -> Entity:
    """An Entity whose result carries every error this document has on its own but the
    schema's: `validate_entities` finds those, and may run while the store is asked."""
    result = EntityResult(
        index=index, type=str(doc.get("type")) if isinstance(doc, dict) else "", line=line
    )
    result.project_id = project_id
    if not isinstance(doc, dict):
        result.error(
            ErrorType.INVALID_VALUE, f"an entity must be a JSON object, got {type(doc).__name__}"
        )
        return Entity(result, None, {})
    node = dictionary.nodes.get(result.type)
    entity = Entity(result, node, dict(doc))
    if not isinstance(doc.get("submitter_id"), str | None):
        result.error(ErrorType.INVALID_VALUE, "submitter_id must be a string", "submitter_id")
    result.submitter_id = (
        doc.get("submitter_id") if isinstance(doc.get("submitter_id"), str) else None
    )
    if isinstance(doc.get("id"), str):
        result.id = doc["id"]
    if node is None:
        known = "" if "type" in doc else " (the document has no 'type')"
        result.error(ErrorType.INVALID_VALUE, f"'{result.type}' is not a node type{known}", "type")
        return entity
    if node.name in ("program", "project") or not node.submittable:
        result.error(
            ErrorType.INVALID_PERMISSIONS,
            f"{node.name} entities cannot be submitted to a project"
            + (
                " (use the program and project endpoints)"
                if node.name in ("program", "project")
                else ""
            ),
            "type",
        )
        return entity
    if doc.get("project_id") not in (None, project_id):
        result.error(
            ErrorType.INVALID_VALUE,
            f"project_id '{doc['project_id']}' does not match the project submitted to ({project_id})",
            "project_id",
        )
    for key in MANAGED:
        if key in entity.doc:
            del entity.doc[key]
            result.warnings.append(f"'{key}' is set by Commons; the submitted value was ignored")
    entity.doc.pop("project_id", None)
    for name, value in validators[node.name].defaults.items():
        entity.doc.setdefault(name, value)
    entity.schema_at = len(result.errors)
    for key, value in entity.doc.items():
        edge = node.edges.get(key)
        if edge is not None and edge.direction != "in":
            if value is not None:
                entity.links[key] = _link_refs(entity, key, value)
        elif key in node.properties and key not in ("id", "type"):
            entity.props[key] = value
    for link in node.links:
        refs = entity.links.get(link.name, [])
        if len(refs) > 1 and link.multiplicity in ("many_to_one", "one_to_one"):
            result.error(
                ErrorType.INVALID_LINK,
                f"'{link.name}' is {link.multiplicity}: link one {link.target}, not {len(refs)}",
                link.name,
            )
    _check_groups(entity, node.link_groups)
    _check_text(entity)
    return entity


def _check_text(entity: Entity) -> None:
    """An error per property (submitter_id included) whose text holds a control character."""
    written = {**entity.props, "submitter_id": entity.result.submitter_id}
    for key, value in written.items():
        for item in value if isinstance(value, list) else [value]:
            found = _CONTROL.search(item) if isinstance(item, str) else None
            if found:
                entity.result.error(
                    ErrorType.INVALID_VALUE,
                    f"{key}: control character U+{ord(found.group()):04X} at position "
                    f"{found.start()}; text may hold tabs and line breaks, no other control character",
                    key,
                )
                break
