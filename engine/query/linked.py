"""Linked-node facets: a root type explored with the properties of the types linked to it.

Gen3's ETL (tube) flattens a subject's linked records into its document
(`flatten_props`, `nested_props`: demographics, diagnoses, samples...) so
guppy can filter and count subjects by them; its portal then offers those
fields as facets. On the graph the links are there to walk, so a root type
here offers, as `<type>.<property>` (`demographic.sex`), the facets of:

- every type within EXPLORE_LINK_HOPS links of it, up (parents: a subject's
  study) or down (children: its demographic, diagnoses, samples), never
  `program` or `project` (every record has those);
- every data file type below it at any depth (category `data_file`), the
  portal's "Files" tab.

Such a facet counts root records, each once per value whatever number of
linked records hold it (guppy's nested aggregation with `reverse_nested`);
a root with no linked value counts under "no data". Filters name the same
fields (`{"in": {"demographic.sex": [...]}}`) or guppy's nested form with
the type as path (`{"nested": {"path": "demographic", "AND": [...]}}`):
some linked record matches (engine/query/guppy.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from engine.dictionary.model import Dictionary, NodeType
from engine.graph import cypher
from engine.query.facets import Facet, facets
from engine.query.paths import Paths
from engine.query.scope import VARIABLE
from engine.query.tree import ALWAYS, Reach

if TYPE_CHECKING:
    from engine.query.aggregate import Chart, _Statement

DEFAULT_HOPS = 2
DATA_FILE = "data_file"
# Every record links to these: a facet over them tells nothing the root's own project_id does not.
_EVERYWHERE = ("program", "project")
# Own fields of a linked record the root already has (or that only identify it).
_LEFT_OUT = ("id", "project_id")


def _distances(
    dictionary: Dictionary, root: str, direction: Literal["out", "in"]
) -> dict[str, int]:
    """Fewest links from `root` to each type reached by walking links `direction` only."""
    found: dict[str, int] = {}
    queue = deque([(root, 0)])
    while queue:
        name, depth = queue.popleft()
        for edge in dictionary.nodes[name].edges.values():
            if edge.direction == direction and edge.target not in found and edge.target != root:
                found[edge.target] = depth + 1
                queue.append((edge.target, depth + 1))
    return found


def linked_types(dictionary: Dictionary, root: str, hops: int = DEFAULT_HOPS) -> list[str]:
    """The types a root type's explorer offers facets of, in the dictionary's import order."""
    up, down = _distances(dictionary, root, "out"), _distances(dictionary, root, "in")
    chosen = {name for name, depth in {**up, **down}.items() if depth <= hops}
    chosen |= {name for name in down if dictionary.nodes[name].category == DATA_FILE}
    return [name for name in dictionary.import_order if name in chosen and name not in _EVERYWHERE]


def data_file_types(dictionary: Dictionary, root: str) -> list[str]:
    """The data file types below a root type: the files of its cohort."""
    down = _distances(dictionary, root, "in")
    if dictionary.nodes[root].category == DATA_FILE:
        return [root]
    return [
        n
        for n in dictionary.import_order
        if n in down and dictionary.nodes[n].category == DATA_FILE
    ]


def linked_facets(
    dictionary: Dictionary, root: NodeType, hops: int = DEFAULT_HOPS
) -> dict[str, Facet]:
    """`<type>.<property>` -> facet, for every linked type's facets."""
    found: dict[str, Facet] = {}
    for name in linked_types(dictionary, root.name, hops):
        for facet in facets(dictionary.nodes[name]).values():
            if facet.name not in _LEFT_OUT:
                found[f"{name}.{facet.name}"] = replace(
                    facet, name=f"{name}.{facet.name}", linked=name
                )
    return found


def walk(paths: Paths, root: str, target: str) -> str:
    """The relationship pattern from a root record to its linked records of `target`:
    `<-[:A|B*1..3]-` (children) or `-[:A*1..2]->` (parents)."""
    reach = paths.reach(root, target, ALWAYS)
    if not isinstance(reach, Reach):
        raise ValueError(f"{target} is not linked to {root} one way")
    types = "|".join(cypher.name(relationship) for relationship in reach.relationships)
    path = f"{types}*1..{reach.hops}"
    return f"-[:{path}]->" if reach.direction == "out" else f"<-[:{path}]-"


def linked_values(statement: _Statement, records: str, field: Facet, carry: str = "") -> str:
    """Per root record in `records`, one row per distinct value its linked records hold (an
    item of a list property each), or one null row when they hold none: `n, value,
    unreadable` and `carry`, in an open `WITH`."""
    assert field.linked is not None
    more = f", {carry}" if carry else ""
    other = "linked"
    prop = f"{other}.{cypher.name(field.prop)}"
    visible = statement.builder.visible(other, field.linked)
    where = f" WHERE {' AND '.join(visible)}" if visible else ""
    pattern = walk(Paths(statement.scope.dictionary), statement.scope.node.name, field.linked)
    match = f"OPTIONAL MATCH ({VARIABLE}){pattern}({other}:{cypher.name(field.linked)}){where}"
    unreadable = f"{statement.unreadable} AS unreadable"
    if field.array:
        items = f"CASE WHEN size(coalesce({prop}, [])) = 0 THEN [null] ELSE {prop} END"
        values = f"UNWIND {items} AS item WITH {VARIABLE}, {unreadable}, item{more}"
    else:
        values = f"WITH {VARIABLE}, {unreadable}, {prop} AS item{more}"
    # Every grouping key is a variable: ArcadeDB's GROUP BY fails on a key computed in it.
    return (
        f"UNWIND {records} AS {VARIABLE} {match} {values} "
        f"WITH {VARIABLE}, unreadable, collect(DISTINCT item) AS found{more} "
        "UNWIND CASE WHEN size(found) = 0 THEN [null] ELSE found END AS value "
        f"WITH {VARIABLE}, value, unreadable{more}"
    )


def add_linked_chart(statement: _Statement, chart: Chart, index: int, records: str) -> None:
    """A linked facet's CALLs and result columns, in the shape of the root's own charts
    (engine/query/aggregate.py reads them alike), counting root records (`count(DISTINCT n)`)."""
    field = chart.field
    if not field.numeric:
        statement.clauses.append(
            f"CALL ({records}) {{ {linked_values(statement, records, field)} "
            "WITH value AS key, count(*) AS count, sum(unreadable) AS unreadable "
            f"RETURN collect({{key: key, count: count, unreadable: unreadable}}) AS r{index} }}"
        )
        statement.results.append(f"r{index}")
        return
    bounded = "value" if statement.scope.shows_values else "CASE WHEN unreadable = 0 THEN value END"
    statement.clauses.append(
        f"CALL ({records}) {{ {linked_values(statement, records, field)} WHERE value IS NOT NULL "
        f"RETURN {_counted(index)}, {', '.join(f'{s}(value) AS {s}{index}' for s in _VALUE_STATS)}, "
        f"min({bounded}) AS low{index}, max({bounded}) AS high{index} }}"
    )
    statement.results += [
        f"{stat}{index}" for stat in ("count", *_VALUE_STATS, "unreadable", "low", "high")
    ]
    if not chart.binned:
        return
    start, end, width, last = statement.bins(chart)
    carry = "low, high, width, last"
    statement.clauses.append(
        f"CALL ({records}, low{index}, high{index}) {{ "
        f"WITH {records}, coalesce({start}, low{index}) AS low, "
        f"coalesce({end}, high{index}) AS high "
        f"WITH {records}, low, high, {width} AS width "
        f"WITH {records}, low, high, width, {last} AS last "
        f"{linked_values(statement, records, field, carry)} "
        "WHERE value >= low AND value <= high "
        f"WITH {VARIABLE}, value, unreadable, last, toInteger(floor((value - low) / width)) AS raw "
        f"WITH {VARIABLE}, value, unreadable, CASE WHEN raw > last THEN last ELSE raw END AS bin "
        f"WITH bin, {_counted('')}, "
        f"{', '.join(f'{s}(value) AS {s}' for s in _VALUE_STATS)} "
        "RETURN collect({bin: bin, unreadable: unreadable, count: count, "
        f"{', '.join(f'{s}: {s}' for s in _VALUE_STATS)}}}) AS r{index} }}"
    )
    statement.results.append(f"r{index}")


_VALUE_STATS = ("min", "max", "avg", "sum")


def _counted(suffix: int | str) -> str:
    """Root records, each once, and how many of them the caller cannot read."""
    return (
        f"count(DISTINCT {VARIABLE}) AS count{suffix}, "
        f"count(DISTINCT CASE WHEN unreadable = 1 THEN {VARIABLE} END) AS unreadable{suffix}"
    )
