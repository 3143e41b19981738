"""Unique keys beyond (project_id, submitter_id), checked before the write, as sheepdog reports them.

A dictionary's `uniqueKeys` may hold more than `[id]` and `[project_id,
submitter_id]`: the GDC's publication has `[doi]` and `[pmid]`, MMRF's
data_format `[name]`, any node may have `[project_id, some_code]`. Each is
checked here, within the request and against the store, in the
submission's own transaction, and a clash is a NOT_UNIQUE error on the
entity naming the key's properties (sheepdog's integrity check names them
too). The store's constraints (graph/ddl.py, on keys always present) stay
the last word under races: submit.py turns the loser's constraint failure
into this check's answer.

A key without `project_id` is unique across all projects, so refusing a
value says that some entity somewhere holds it: the rule itself tells that
much, in Gen3 as here. The answer says nothing more: not the holder's id,
submitter_id or project, and the same words whether the holder is in the
caller's project or in one the caller cannot read.

A value held by a stored entity clashes even when the same request moves
that entity to another value: swapping two entities' keys takes two
requests. A key is checked only when the document gives every property of
it (a key over an optional property binds only the entities that have it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from engine.dictionary.model import NodeType
from engine.graph import cypher
from engine.graph.store import Transaction
from engine.submission.entity import Entity
from engine.submission.lookup import refuse_repeated
from engine.submission.result import ErrorType

# Answered by lookup.py already: `id` is unique everywhere, (project_id, submitter_id) decides
# between create and update.
_ANSWERED = {"project_id", "submitter_id"}


def checked_keys(node: NodeType) -> list[tuple[str, ...]]:
    """The node's unique keys this module checks: all but `id` and (project_id, submitter_id)."""
    return [key for key in node.unique_keys if "id" not in key and set(key) != _ANSWERED]


def _values(entity: Entity, key: tuple[str, ...], project_id: str) -> list[Any] | None:
    """The entity's value for each property of `key`; None when the document leaves one out."""
    values = []
    for name in key:
        if name == "project_id":
            value = project_id
        elif name == "submitter_id":
            value = entity.result.submitter_id
        else:
            value = entity.props.get(name)
        if value is None:
            return None
        values.append(value)
    return values


def _described(key: tuple[str, ...], values: list[Any]) -> str:
    """`doi '10.1/x'`: the key's values as the submitter sent them (project_id goes without saying)."""
    return ", ".join(
        f"{name} '{value}'" for name, value in zip(key, values, strict=True) if name != "project_id"
    )


def _scope(key: tuple[str, ...]) -> str:
    named = key[0] if len(key) == 1 else f"({', '.join(key)})"
    where = "within a project" if "project_id" in key else "across all projects"
    return f"{named} is unique {where}"


def check_unique_keys(tx: Transaction, entities: Sequence[Entity], project_id: str) -> None:
    """A NOT_UNIQUE error on each entity whose key another entity of the request holds too, and
    on each valid one (its id assigned) whose key a stored entity of that type, not itself, holds.

    One statement per (node type, key) that the request fills, whatever its rows.
    """
    claims: dict[tuple[str, tuple[str, ...]], list[tuple[Entity, list[Any]]]] = defaultdict(list)
    for entity in entities:
        if entity.node is None:
            continue
        for key in checked_keys(entity.node):
            values = _values(entity, key, project_id)
            if values is not None:
                claims[(entity.node.name, key)].append((entity, values))
    for (label, key), held in claims.items():
        _within_request(key, held)
        _against_store(tx, label, key, project_id, held)


def _within_request(key: tuple[str, ...], held: list[tuple[Entity, list[Any]]]) -> None:
    copies: dict[str, list[Entity]] = defaultdict(list)
    described: dict[str, str] = {}
    for entity, values in held:
        copies[repr(values)].append(entity)
        described[repr(values)] = _described(key, values)
    for same, entities in copies.items():
        refuse_repeated(entities, described[same], *key)


def _against_store(
    tx: Transaction,
    label: str,
    key: tuple[str, ...],
    project_id: str,
    held: list[tuple[Entity, list[Any]]],
) -> None:
    rows = [
        {"index": index, "id": entity.result.id, "values": values}
        for index, (entity, values) in enumerate(held)
        if entity.result.valid and entity.result.id is not None
    ]
    if not rows:
        return
    matches = " AND ".join(f"n.{cypher.name(name)} = r.values[{i}]" for i, name in enumerate(key))
    clashes = tx.value(
        f"UNWIND $rows AS r MATCH {cypher.node('n', label)} WHERE {matches} AND n.id <> r.id "
        "RETURN collect(DISTINCT r.index) AS clashes",
        {"rows": rows},
    )
    where = f" in {project_id}" if "project_id" in key else ""
    for index in clashes:
        entity, values = held[index]
        entity.result.error(
            ErrorType.NOT_UNIQUE,
            f"{label} with {_described(key, values)} already exists{where}; {_scope(key)}",
            *key,
        )
