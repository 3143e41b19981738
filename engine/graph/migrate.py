"""Move a running store to a new dictionary version: safe changes applied, breaking ones refused.

A safe change only needs the store to gain constraints and indexes. A
breaking one may invalidate what is stored, so instead of applying it the
steward is told, per change, how many stored records it touches: one
indexed count per change, never a scan of the whole graph.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from engine.dictionary.diff import Change, diff_dictionaries
from engine.dictionary.model import Dictionary
from engine.graph import cypher
from engine.graph.ddl import apply_ddl, compile_ddl
from engine.graph.store import GraphStore


@dataclass(frozen=True)
class Breaking:
    change: Change
    # Stored records the change would invalidate (an upper bound for type changes).
    records: int


@dataclass(frozen=True)
class Migration:
    changes: list[Change]
    breaking: list[Breaking]
    applied: int  # DDL statements run; 0 when refused

    @property
    def refused(self) -> bool:
        return bool(self.breaking)


def _count_query(old: Dictionary, change: Change) -> tuple[str, dict]:
    """The Cypher counting what `change` touches, with its parameters."""
    node, _, rest = change.path.partition(".")
    label = cypher.node("n", node)
    links = {link.name: link for link in old.nodes[node].links} if node in old.nodes else {}
    link = links.get(rest.removeprefix("links.")) if rest.startswith("links.") else None
    if link is not None:
        relationship = cypher.name(link.relationship)
        if change.what == "required":
            return (
                f"MATCH {label} WHERE NOT EXISTS {{ MATCH (n)-[:{relationship}]->() }} RETURN count(n) AS n",
                {},
            )
        return f"MATCH {label}-[r:{relationship}]->() RETURN count(r) AS n", {}
    if not rest or rest.startswith("links"):
        return f"MATCH {label} RETURN count(n) AS n", {}
    name = rest.removesuffix("[]")  # `tags[]`: the items of an array property
    prop = cypher.name(name)
    if change.what == "enum value":
        array = old.nodes[node].properties[name].kind == "array"
        test = f"$value IN n.{prop}" if array else f"n.{prop} = $value"
        return f"MATCH {label} WHERE {test} RETURN count(n) AS n", {
            "value": ast.literal_eval(change.detail)
        }
    if change.kind == "added" or change.what == "required":
        return f"MATCH {label} WHERE n.{prop} IS NULL RETURN count(n) AS n", {}
    return f"MATCH {label} WHERE n.{prop} IS NOT NULL RETURN count(n) AS n", {}


def affected_records(store: GraphStore, old: Dictionary, change: Change) -> int:
    """How many stored records `change` would invalidate."""
    if change.kind == "added" and change.what == "node":
        return 0
    query, params = _count_query(old, change)
    return store.read(query, params)[0]["n"]


def migrate(store: GraphStore, old: Dictionary, new: Dictionary) -> Migration:
    """Apply the new version's constraints and indexes, unless a change is breaking."""
    changes = diff_dictionaries(old, new)
    breaking = [Breaking(c, affected_records(store, old, c)) for c in changes if c.breaking]
    if breaking:
        return Migration(changes, breaking, 0)
    return Migration(changes, [], apply_ddl(store, compile_ddl(new)))
