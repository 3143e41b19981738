"""Peregrine's transaction log fields as query trees: `transaction_log`, `_transaction_log_count`,
and each node's `_transaction_logs` / `_transaction_logs_count`.

The records (engine/submission/transaction_log.py) are nodes of one label,
so a list of them is a `NodeList` and the Cypher builder treats them as it
treats any other node, readable projects included. Arguments keep
peregrine's meaning (its `resolve_transaction_log_query`): each filter is an
equality, `type` is `upload` for both `create` and `update` (its TYPE_MAP),
`quick_search` an id (anything else finds nothing), `committable` a dry run
that SUCCEEDED, is not closed and was never committed, `entities` the ids a
record wrote; `first` is 10 when not given (0: all), `last` the newest
records by id (it replaces `first`), `offset` skips; a count is what the
list would hold without a `first`, less `offset`, at most `first`.
`related_cases` finds nothing: Commons keeps no case cache, so no record
names related cases. Where peregrine ignores an argument it does not know
how to use (a sort key), this refuses it and names the keys it can sort by.

Documents and snapshots are held as (packed) JSON text; they are read only when
asked for, and shaped here to the selection, down to `response.entities.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from graphql import FieldNode, GraphQLField, GraphQLObjectType, get_named_type

from engine.graphql.collect import Fields
from engine.graphql.serialize import converter
from engine.query.errors import QueryError
from engine.query.tree import (
    NEVER,
    And,
    AnyOf,
    Branch,
    Compare,
    Computed,
    Constant,
    Entry,
    NodeCount,
    NodeList,
    Not,
    Or,
    Page,
    Predicate,
    Present,
    Shape,
    Value,
    conjunction,
)
from engine.submission.transaction_log import LABEL, State, unpack

Collect = Callable[[GraphQLObjectType, list[FieldNode]], Fields]
Shaper = Callable[[dict[str, Any]], dict[str, Any]]

DEFAULT_FIRST = 10
# Peregrine's TYPE_MAP: what a record's `type` says of its role ("external facing").
TYPE_MAP = {"create": "upload", "update": "upload"}
SORTABLE = (
    "id",
    "submitter",
    "role",
    "program",
    "project",
    "created_datetime",
    "canonical_json",
    "project_id",
)
PAGE = ("first", "last", "offset", "order_by_asc", "order_by_desc")
# Stored as they are answered.
STORED = (
    "id",
    "is_dry_run",
    "closed",
    "committed_by",
    "state",
    "submitter",
    "role",
    "program",
    "project",
    "created_datetime",
    "project_id",
)
EQUAL = ("project", "program", "state", "is_dry_run", "closed")


def _integer(argument: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise QueryError(
            f"{argument}: {value!r} is not a transaction id (transaction ids are integers)"
        ) from None


def _committable(wanted: bool) -> Predicate:
    succeeded = Compare("state", "=", State.SUCCEEDED.value)
    if wanted:
        return And(
            (
                Compare("is_dry_run", "=", True),
                succeeded,
                Compare("closed", "=", False),
                Not(Present("committed_by")),
            )
        )
    return Or(
        (
            Compare("is_dry_run", "=", False),
            Not(succeeded),
            Compare("closed", "=", True),
            Present("committed_by"),
        )
    )


def _filter(name: str, value: Any) -> Predicate:
    if name == "id":
        return Compare("id", "=", _integer(name, value))
    if name == "quick_search":
        try:
            return Compare("id", "=", int(value))
        except ValueError:
            return NEVER
    if name == "type":
        roles = tuple(role for role, kind in TYPE_MAP.items() if kind == value) or (value,)
        return AnyOf("role", roles)
    if name == "project_id":
        return AnyOf("project_id", tuple(value))
    if name == "entities":
        return AnyOf("entity_ids", tuple(value), array=True)
    if name == "committed_by":
        return Compare("committed_by", "=", _integer(name, value))
    if name == "committable":
        return _committable(value)
    if name == "related_cases":
        return NEVER
    assert name in EQUAL, name
    return Compare(name, "=", value)


def where(arguments: dict[str, Any]) -> Predicate:
    """The records the arguments let through (before readable projects)."""
    return conjunction(
        [
            _filter(name, value)
            for name, value in arguments.items()
            if value is not None and name not in PAGE
        ]
    )


def _counted(arguments: dict[str, Any], name: str) -> int | None:
    value = arguments.get(name)
    if value is not None and value < 0:
        raise QueryError(f"{name}: {value} is negative; use 0 for all records")
    return value


def page(arguments: dict[str, Any]) -> Page:
    first, last = _counted(arguments, "first"), _counted(arguments, "last")
    offset = _counted(arguments, "offset") or 0
    order: list[tuple[str, bool]] = []
    for argument, descending in (("order_by_asc", False), ("order_by_desc", True)):
        key = arguments.get(argument)
        if key is None:
            continue
        if key not in SORTABLE:
            raise QueryError(
                f"{argument}: cannot order transaction logs by {key!r}; "
                f"use one of {', '.join(SORTABLE)}"
            )
        order.append((key, descending))
    if last is not None:  # the newest `last`, after any order asked for, as peregrine sorts
        return Page(last or None, offset, (*order, ("id", True)))
    return Page(DEFAULT_FIRST if first is None else first or None, offset, tuple(order))


def count(arguments: dict[str, Any]) -> NodeCount:
    offset = _counted(arguments, "offset") or 0
    return NodeCount(LABEL, where(arguments), offset, _counted(arguments, "first") or None)


def listing(
    collect: Collect, field: GraphQLField, nodes: list[FieldNode], arguments: dict[str, Any]
) -> NodeList:
    kind = get_named_type(field.type)
    assert isinstance(kind, GraphQLObjectType)
    return NodeList(
        (Branch(LABEL, where(arguments), _shape(collect, kind, nodes)),), page(arguments)
    )


# Shaping -----------------------------------------------------------------------


def _text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _resolved(value: Any) -> Any:
    """Values of the objects below may be left to work out when asked for (callables)."""
    return value() if callable(value) else value


def _shaper(collect: Collect, kind: GraphQLObjectType, nodes: list[FieldNode]) -> Shaper:
    """Answers an object of `kind` (a map of its fields' plain values) as the selection asks."""
    parts: list[tuple[str, Callable[[dict[str, Any]], Any]]] = []
    for key, selected in collect(kind, nodes).items():
        name = selected[0].name.value
        if name == "__typename":
            parts.append((key, lambda _, kind_name=kind.name: kind_name))
            continue
        field_type = kind.fields[name].type
        inner = get_named_type(field_type)
        if isinstance(inner, GraphQLObjectType):
            shape = _shaper(collect, inner, selected)
            parts.append(
                (key, lambda obj, n=name, shape=shape: _objects(_resolved(obj.get(n)), shape))
            )
        else:
            convert = converter(field_type)
            parts.append((key, lambda obj, n=name, convert=convert: convert(_resolved(obj.get(n)))))
    return lambda obj: {key: part(obj) for key, part in parts}


def _objects(value: Any, shape: Shaper) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [shape(item) for item in value]
    return shape(value)


def _response(text: bytes) -> dict[str, Any]:
    """A document's answer (sheepdog's transaction JSON) as peregrine's TransactionResponse:
    `transactional_errors` is an Int there (how many), `unique_keys` and `warnings` JSON text."""
    answer = orjson.loads(text)
    entities = [
        {
            **entity,
            "unique_keys": _text(entity.get("unique_keys", [])),
            "warnings": _text(entity.get("warnings", [])),
            "related_cases": [],
            "errors": [{**error, "dependents": []} for error in entity.get("errors", [])],
        }
        for entity in answer.get("entities", [])
    ]
    return {
        **answer,
        "transactional_errors": len(answer.get("transactional_errors", [])),
        "entities": entities,
    }


def _documents(stored: dict[str, Any]) -> list[dict[str, Any]]:
    documents = orjson.loads(stored["documents"])
    texts, responses = stored.get("docs"), stored.get("responses")
    found = []
    for position, document in enumerate(documents):
        found.append(
            {
                **document,
                "id": position + 1,
                "transaction_id": stored["id"],
                "doc": lambda p=position: texts[p],
                "response_json": lambda p=position: unpack(responses[p]).decode(),
                "response": lambda p=position: _response(unpack(responses[p])),
            }
        )
    return found


def _snapshots(stored: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": position + 1,
            "transaction_id": stored["id"],
            "entity_id": entity_id,
            "action": action,
            "old_props": lambda old=old: _text(old),
            "new_props": lambda new=new: _text(new),
        }
        for position, (entity_id, action, old, new) in enumerate(
            orjson.loads(unpack(stored["snapshots"]))
        )
    ]


def _listed(
    collect: Collect,
    kind: GraphQLObjectType,
    selected: list[FieldNode],
    key: str,
    props: tuple[str, ...],
    make: Callable[[dict[str, Any]], list[dict[str, Any]]],
) -> Computed:
    """A list of objects of `kind` made from the stored `props` by `make`."""
    shape = _shaper(collect, kind, selected)
    return Computed(key, props, lambda stored: [shape(item) for item in make(stored)])


def _object_type(kind: GraphQLObjectType, name: str) -> GraphQLObjectType:
    found = get_named_type(kind.fields[name].type)
    assert isinstance(found, GraphQLObjectType), name
    return found


def _shape(collect: Collect, kind: GraphQLObjectType, nodes: list[FieldNode]) -> Shape:
    """The entries of a TransactionLog: stored fields read as they are, the rest worked out.
    A document's text and answer are read from the store only when asked for."""
    entries: list[Entry] = []
    for key, selected in collect(kind, nodes).items():
        name = selected[0].name.value
        if name == "__typename":
            entries.append(Constant(key, kind.name))
        elif name in STORED:
            entries.append(Value(key, name, converter(kind.fields[name].type)))
        elif name == "type":
            convert = converter(kind.fields[name].type)
            entries.append(Computed(key, ("role",), lambda stored, c=convert: c(_type(stored))))
        elif name == "documents":
            inner = _object_type(kind, name)
            asked = {each[0].name.value for each in collect(inner, selected).values()}
            props = ("id", "documents")
            props += ("docs",) if "doc" in asked else ()
            props += ("responses",) if asked & {"response", "response_json"} else ()
            entries.append(_listed(collect, inner, selected, key, props, _documents))
        elif name == "snapshots":
            inner = _object_type(kind, name)
            entries.append(_listed(collect, inner, selected, key, ("id", "snapshots"), _snapshots))
        elif name == "related_cases":
            entries.append(Constant(key, []))
        else:  # quick_search, canonical_json: peregrine answers no value
            entries.append(Constant(key, None))
    return Shape(tuple(entries))


def _type(stored: dict[str, Any]) -> str:
    return TYPE_MAP.get(stored["role"], stored["role"])


def of_node(
    collect: Collect,
    name: str,
    field: GraphQLField,
    nodes: list[FieldNode],
    arguments: dict[str, Any],
) -> NodeList | NodeCount:
    """A node's `_transaction_logs` or `_transaction_logs_count`: the records that wrote it
    (its id stands for `entities`, as in peregrine)."""
    own = {key: value for key, value in arguments.items() if key != "entities"}
    return count(own) if name == "_transaction_logs_count" else listing(collect, field, nodes, own)
