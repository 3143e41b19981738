"""Graph DDL compiled from the dictionary: constraints and indexes, as Cypher.

Every statement is idempotent (`IF NOT EXISTS`) and named deterministically
(`commons_<label>_<props>_unique`, `commons_<label>_<prop>_index`), so
applying the DDL at every start-up is safe and the same dictionary always
yields the same schema, on Neo4j 5 and on the embedded ArcadeDB.

- `id` is unique for every label: links and the API address nodes by it.
- Each `uniqueKeys` entry becomes a uniqueness constraint (composite where
  it names several properties: `(project_id, submitter_id)`, a program's
  `name`, a project's `code`), and `(project_id, submitter_id)` is unique
  wherever a node has a required `submitter_id`. A key is only enforced
  when all of its properties are always present (required, or `id` /
  `project_id`, which Commons sets): ArcadeDB indexes a missing value as a
  value, so two nodes without it would collide there and not on Neo4j.
- Indexes serve the lookups every request makes (`submitter_id`,
  `project_id`, and each unique key left unconstrained, which the
  submission checks before writing: engine/submission/unique.py) and the
  facets exploration counts on (every enum and boolean property). A
  property already led by a single-property constraint is not indexed again.
- The datetimes and `state` are not indexed: one submission gives all its
  nodes the same datetimes and state, so such an index selects little,
  while every index is written again on each create and update (measured on
  the embedded store: a third of a submission's store time went to indexes).
"""

from __future__ import annotations

import hashlib
import re

from engine.dictionary.model import SYSTEM_PROPERTIES, Dictionary, NodeType
from engine.graph.store import GraphStore

SET_BY_COMMONS = ("id", "project_id")
LOOKUP_PROPERTIES = ("submitter_id", "project_id")


def quote(name: str) -> str:
    """Back-quote a label or property: `case` and `order` are Cypher keywords."""
    return "`" + name.replace("`", "``") + "`"


def _unique_keys(node: NodeType) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [("id",), *node.unique_keys]
    if "submitter_id" in node.required:
        keys.append(("project_id", "submitter_id"))
    always_present = set(node.required) | set(SET_BY_COMMONS)
    return [key for key in dict.fromkeys(keys) if set(key) <= always_present]


class _Names:
    """Schema object names, unique even when `a_b`+`c` and `a`+`b_c` would read the same."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, label: str, props: tuple[str, ...], kind: str) -> str:
        name = f"commons_{label}_{'_'.join(props)}_{kind}"
        if name in self.used:
            digest = hashlib.sha1(repr((label, props)).encode()).hexdigest()[:8]
            name = f"{name}_{digest}"
        self.used.add(name)
        return name


def _constraint(name: str, label: str, key: tuple[str, ...]) -> str:
    if len(key) == 1:
        target = f"n.{quote(key[0])}"
    else:
        target = "(" + ", ".join(f"n.{quote(prop)}" for prop in key) + ")"
    return (
        f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{quote(label)}) REQUIRE {target} IS UNIQUE"
    )


def _index(name: str, label: str, prop: str) -> str:
    return f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{quote(label)}) ON (n.{quote(prop)})"


def _indexed_properties(
    node: NodeType, keys: list[tuple[str, ...]], constrained: set[str]
) -> list[str]:
    """`keys`: the unique keys made constraints; any other is indexed on its first property
    beyond the lookups (`nickname` of `[project_id, nickname]`), so checking it seeks."""
    declared = set(node.properties) | set(node.system_properties)
    wanted = [prop for prop in LOOKUP_PROPERTIES if prop in declared]
    for key in node.unique_keys:
        beyond = [prop for prop in key if prop not in LOOKUP_PROPERTIES]
        if key not in keys and "id" not in key and beyond and beyond[0] in declared:
            wanted.append(beyond[0])
    wanted += sorted(
        name
        for name, prop in node.properties.items()
        if prop.kind in ("enum", "boolean") and name not in SYSTEM_PROPERTIES
    )
    return [prop for prop in dict.fromkeys(wanted) if prop not in constrained]


def compile_ddl(dictionary: Dictionary) -> list[str]:
    """Constraints first (their indexes help the rest), then indexes; node types by name."""
    names = _Names()
    constraints: list[str] = []
    indexes: list[str] = []
    for name in sorted(dictionary.nodes):
        node = dictionary.nodes[name]
        keys = _unique_keys(node)
        constraints += [
            _constraint(names(node.label, key, "unique"), node.label, key) for key in keys
        ]
        single = {key[0] for key in keys if len(key) == 1}
        for prop in _indexed_properties(node, keys, single):
            indexes.append(_index(names(node.label, (prop,), "index"), node.label, prop))
    return constraints + indexes


_NAMED = re.compile(r"^CREATE (CONSTRAINT|INDEX) (\S+) IF NOT EXISTS FOR \(n:`([^`]+)`\)")
_PROPERTY = re.compile(r"n\.`([^`]+)`")


def _present(store: GraphStore) -> set[tuple[str, ...]]:
    """What exists, by name and by (kind, label, properties): an equal constraint made under
    another name makes `IF NOT EXISTS` a no-op, so the name alone would never appear."""
    found: set[tuple[str, ...]] = set()
    for kind, rows in (
        ("CONSTRAINT", store.read("SHOW CONSTRAINTS")),
        ("INDEX", store.read("SHOW INDEXES")),
    ):
        for row in rows:
            found.add(("name", row["name"]))
            for label in row.get("labelsOrTypes") or []:
                found.add((kind, label, *(row.get("properties") or [])))
    return found


def _keys(statement: str) -> set[tuple[str, ...]]:
    match = _NAMED.match(statement)
    if not match:
        return set()
    kind, name, label = match.groups()
    properties = _PROPERTY.findall(statement.split(")", 1)[1])
    return {("name", name), (kind, label, *properties)}


def apply_ddl(store: GraphStore, statements: list[str]) -> int:
    """Run the statements whose constraint or index does not exist yet; returns how many ran.

    Each runs in its own write transaction (Neo4j does not mix schema
    changes). A restart on a populated store asks two questions instead of
    re-running hundreds of statements.
    """
    present = _present(store)
    pending = [s for s in statements if not (_keys(s) & present)]
    for statement in pending:
        store.write(statement)
    return len(pending)
