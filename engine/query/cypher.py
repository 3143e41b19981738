"""The query tree as one Cypher statement: the builder every GraphQL request goes through.

A request becomes a single statement, one `CALL () { ... }` block per root
field, each returning one column. A list is a `MATCH` of its node type,
filtered, sorted and cut to its page, collected into maps; each nested list
is a `CALL (parent) { ... }` inside it, cut to its page per parent, so
`first`/`offset` hold for every parent; each count is a `COUNT { }`
subquery. A node's transaction records are matched by the node's id among
the ids each record wrote (within the node's project, which is indexed), and
its `_links` neighbours by a `UNION` of one match per neighbour type. The number of round trips is therefore one per request whatever
the depth of the selection or the number of rows, and the store does the
joins where the indexes are.

Values only ever travel as parameters; labels, relationship types and
property names come from the query tree, which takes them from the compiled
dictionary, and are quoted by engine.graph.cypher. `visible` is the one place
that limits every node the statement touches to readable projects.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from engine.dictionary.model import Edge
from engine.graph.cypher import Parameters, name
from engine.query.tree import (
    ALWAYS,
    AllOf,
    And,
    AnyOf,
    Compare,
    Computed,
    Count,
    HasEdge,
    Link,
    Logged,
    Matches,
    Neighbours,
    NodeCount,
    NodeList,
    Not,
    Or,
    Page,
    Predicate,
    Present,
    Reach,
    Search,
    StoreQuery,
    Value,
)

# The key of the node type in the maps of a list over several types.
LABEL_KEY = "label"


@dataclass(frozen=True)
class Statement:
    text: str
    parameters: dict[str, Any]
    # The column of each root query, in order.
    columns: tuple[str, ...]
    # Where each Value, Count and Link entry is found in the returned maps, by id() of the entry.
    keys: dict[int, str]


def arrow(edge: Edge, relationships: str) -> str:
    if edge.direction == "out":
        return f"-[:{relationships}]->"
    if edge.direction == "in":
        return f"<-[:{relationships}]-"
    return f"-[:{relationships}]-"


class ConditionBuilder:
    def __init__(self, readable: frozenset[str] | None, max_rows: int) -> None:
        self.parameters = Parameters()
        self.keys: dict[int, str] = {}
        self.names = itertools.count()
        self.readable = readable
        self.readable_parameters: dict[frozenset[str], str] = {}
        self.max_rows = max_rows

    def variable(self) -> str:
        return f"n{next(self.names)}"

    # Filters -----------------------------------------------------------------

    def visible(self, variable: str, label: str) -> list[str]:
        """The readable-projects condition on a node of `label`, if access is limited."""
        if self.readable is None:
            return []
        return [self.in_projects(variable, label, self.readable)]

    def in_projects(self, variable: str, label: str, projects: frozenset[str]) -> str:
        """That a node of `label` belongs to one of `projects`.

        A program has no project_id: it belongs where one of its projects
        does, so a caller sees a program (its name, id, accession) only if
        they may read a project beneath it, as the submission API lists
        programs (`Principal.reaches`). Gen3's peregrine filters on
        project_id alone, which shows every program to every logged-in caller.
        """
        if projects not in self.readable_parameters:
            self.readable_parameters[projects] = self.parameters.add(sorted(projects))
        parameter = self.readable_parameters[projects]
        if label == "program":
            project = self.variable()
            return (
                f"EXISTS {{ MATCH ({variable})--({project}:{name('project')}) "
                f"WHERE {project}.project_id IN {parameter} }}"
            )
        return f"{variable}.project_id IN {parameter}"

    def where(
        self, variable: str, label: str, predicate: Predicate, first: tuple[str, ...] = ()
    ) -> str:
        """` WHERE ...`: the conditions `first` (Cypher text), readable projects, `predicate`."""
        parts = [*first, *self.visible(variable, label)]
        if predicate != ALWAYS:
            parts.append(self.condition(variable, predicate))
        return f" WHERE {' AND '.join(parts)}" if parts else ""

    def condition(self, variable: str, predicate: Predicate) -> str:
        if isinstance(predicate, And | Or):
            if not predicate.predicates:
                return "true" if isinstance(predicate, And) else "false"
            joiner = " AND " if isinstance(predicate, And) else " OR "
            return (
                "(" + joiner.join(self.condition(variable, p) for p in predicate.predicates) + ")"
            )
        if isinstance(predicate, Not):
            return f"NOT coalesce({self.condition(variable, predicate.predicate)}, false)"
        if isinstance(predicate, Present):
            return f"{variable}.{name(predicate.prop)} IS NOT NULL"
        if isinstance(predicate, Matches):
            return f"{variable}.{name(predicate.prop)} =~ {self.parameters.add(predicate.pattern)}"
        if isinstance(predicate, Search):
            text = self.parameters.add(predicate.text)
            found = [
                f"toLower(toString({variable}.{name(prop)})) CONTAINS {text}"
                for prop in predicate.props
            ]
            return "(" + " OR ".join(found) + ")"
        if isinstance(predicate, HasEdge):
            return self.exists(
                variable,
                arrow(predicate.edge, name(predicate.edge.relationship)),
                predicate.edge.target,
                predicate.where,
            )
        if isinstance(predicate, Reach):
            types = "|".join(name(relationship) for relationship in predicate.relationships)
            path = f"{types}*1..{predicate.hops}"
            walk = f"-[:{path}]->" if predicate.direction == "out" else f"<-[:{path}]-"
            return self.exists(variable, walk, predicate.target, predicate.where)
        return self.comparison(variable, predicate)

    def comparison(self, variable: str, predicate: Compare | AnyOf | AllOf) -> str:
        prop = f"{variable}.{name(predicate.prop)}"
        if isinstance(predicate, AllOf):
            item = self.variable()
            return f"all({item} IN {self.parameters.add(list(predicate.values))} WHERE {item} IN {prop})"
        if isinstance(predicate, AnyOf):
            operator, placeholder = "IN", self.parameters.add(list(predicate.values))
        else:
            operator, placeholder = predicate.op, self.parameters.add(predicate.value)
        if not predicate.array:
            return f"{prop} {operator} {placeholder}"
        item = self.variable()
        return f"any({item} IN coalesce({prop}, []) WHERE {item} {operator} {placeholder})"

    def exists(self, variable: str, walk: str, target: str, where: Predicate) -> str:
        other = self.variable()
        return (
            f"EXISTS {{ MATCH ({variable}){walk}({other}:{name(target)})"
            f"{self.where(other, target, where)} }}"
        )

    # Lists -------------------------------------------------------------------

    def cut(self, variable: str, page: Page, distinct: bool = False) -> str:
        """`WITH n ORDER BY ... SKIP ... LIMIT ...`: one page (per parent, inside a CALL)."""
        clause = f"WITH {'DISTINCT ' if distinct else ''}{variable}"
        if page.order:
            keys = ", ".join(
                f"{variable}.{name(prop)} {'DESC' if descending else 'ASC'}"
                for prop, descending in page.order
            )
            clause += f" ORDER BY {keys}"
        if page.offset:
            clause += f" SKIP {self.parameters.add(page.offset)}"
        # One row past the limit is enough to tell that the answer would exceed it.
        cap = self.max_rows + 1
        limit = cap if page.first is None else min(page.first, cap)
        return f"{clause} LIMIT {self.parameters.add(limit)}"

    def objects(self, variable: str, nodes: NodeList) -> str:
        """`CALL` blocks for the nested lists, then `RETURN collect({...})` of the maps."""
        several = len(nodes.branches) > 1
        calls: list[str] = []
        fields: dict[str, str] = {}
        if several:
            fields[LABEL_KEY] = f"labels({variable})[0]"
        for branch in nodes.branches:
            parent = f"{variable}:{name(branch.label)}" if several else variable
            for entry in branch.shape.entries:
                if isinstance(entry, Value):
                    key = f"p_{entry.prop}"
                    fields[key] = f"{variable}.{name(entry.prop)}"
                elif isinstance(entry, Count):
                    key = f"c{next(self.names)}"
                    other = self.variable()
                    fields[key] = (
                        f"COUNT {{ MATCH ({parent}){arrow(entry.edge, name(entry.edge.relationship))}"
                        f"({other}:{name(entry.edge.target)}){self.where(other, entry.edge.target, entry.where)} }}"
                    )
                elif isinstance(entry, Link):
                    key = f"k{next(self.names)}"
                    calls.append(f"CALL ({variable}) {{ {self.link(parent, entry, key)} }}")
                    fields[key] = key
                elif isinstance(entry, Computed):
                    key = f"v{next(self.names)}"
                    fields[key] = (
                        "{"
                        + ", ".join(f"{name(p)}: {variable}.{name(p)}" for p in entry.props)
                        + "}"
                    )
                elif isinstance(entry, Logged):
                    key = f"t{next(self.names)}"
                    own = (f"{variable}:{name(branch.label)}",) if several else ()
                    if isinstance(entry.query, NodeList):
                        block = self.logged(variable, own, entry.query, key)
                        calls.append(f"CALL ({variable}) {{ {block} }}")
                        fields[key] = key
                    else:
                        _, match = self.logged_match(variable, own, entry.query)
                        fields[key] = f"COUNT {{ {match} }}"
                elif isinstance(entry, Neighbours):
                    key = f"k{next(self.names)}"
                    block = self.neighbours(variable, parent, entry, key)
                    calls.append(f"CALL ({variable}) {{ {block} }}")
                    fields[key] = key
                else:
                    continue
                self.keys[id(entry)] = key
        projection = ", ".join(f"{name(key)}: {value}" for key, value in fields.items())
        return f"{' '.join(calls)} RETURN collect({variable} {{{projection}}})"

    def link(self, parent: str, entry: Link, column: str) -> str:
        edge, nodes = entry.edge, entry.nodes
        branch = nodes.branches[0]
        variable = self.variable()
        match = (
            f"MATCH ({parent}){arrow(edge, name(edge.relationship))}({variable}:{name(branch.label)})"
            f"{self.where(variable, branch.label, branch.where)}"
        )
        distinct = edge.direction == "both"
        return f"{match} {self.cut(variable, nodes.page, distinct)} {self.objects(variable, nodes)} AS {column}"

    def logged_match(
        self, parent: str, own: tuple[str, ...], query: NodeList | NodeCount
    ) -> tuple[str, str]:
        """(variable, `MATCH`) of the transaction records that wrote `parent` (a node
        meeting `own`: of its branch's label, in a list of several types)."""
        label, where = (
            (query.branches[0].label, query.branches[0].where)
            if isinstance(query, NodeList)
            else (query.label, query.where)
        )
        record = self.variable()
        first = (
            *own,
            f"{record}.project_id = {parent}.project_id",
            f"{parent}.id IN {record}.entity_ids",
        )
        return record, f"MATCH ({record}:{name(label)}){self.where(record, label, where, first)}"

    def logged(self, parent: str, own: tuple[str, ...], query: NodeList, column: str) -> str:
        record, match = self.logged_match(parent, own, query)
        return f"{match} {self.cut(record, query.page)} {self.objects(record, query)} AS {column}"

    def neighbours(self, imported: str, parent: str, entry: Neighbours, column: str) -> str:
        """Every node one relationship away from `parent` (`imported`, of its branch's label),
        of the types `entry` lists, each once."""
        variable = self.variable()
        routes = dict(entry.routes)
        union = " UNION ".join(
            f"MATCH ({parent})-[:{'|'.join(name(r) for r in routes[branch.label])}]-"
            f"({variable}:{name(branch.label)}){self.where(variable, branch.label, branch.where)} "
            f"RETURN {variable}"
            for branch in entry.nodes.branches
        )
        return (
            f"CALL ({imported}) {{ {union} }} {self.cut(variable, entry.nodes.page)} "
            f"{self.objects(variable, entry.nodes)} AS {column}"
        )

    def root_list(self, nodes: NodeList, column: str) -> str:
        variable = self.variable()
        matches = [
            f"MATCH ({variable}:{name(branch.label)}){self.where(variable, branch.label, branch.where)}"
            for branch in nodes.branches
        ]
        if len(matches) == 1:
            source = matches[0]
        else:
            # Each branch is cut to offset+first first: the page of the union is within them.
            top = Page(
                None if nodes.page.first is None else nodes.page.offset + nodes.page.first,
                0,
                nodes.page.order,
            )
            union = " UNION ALL ".join(
                f"{match} {self.cut(variable, top)} RETURN {variable}" for match in matches
            )
            source = f"CALL () {{ {union} }}"
        return (
            f"{source} {self.cut(variable, nodes.page)} {self.objects(variable, nodes)} AS {column}"
        )

    def root_count(self, count: NodeCount, column: str) -> str:
        variable = self.variable()
        return (
            f"MATCH ({variable}:{name(count.label)}){self.where(variable, count.label, count.where)} "
            f"RETURN count({variable}) AS {column}"
        )


def build_statement(
    queries: list[StoreQuery], *, readable: frozenset[str] | None = None, max_rows: int
) -> Statement:
    """One statement answering every query; `readable` limits all of it to those project ids."""
    builder = ConditionBuilder(readable, max_rows)
    blocks: list[str] = []
    columns: list[str] = []
    for position, query in enumerate(queries):
        column = f"r{position}"
        body = (
            builder.root_list(query, column)
            if isinstance(query, NodeList)
            else builder.root_count(query, column)
        )
        blocks.append(f"CALL () {{ {body} }}")
        columns.append(column)
    text = " ".join(blocks) + " RETURN " + ", ".join(columns)
    return Statement(text, builder.parameters.values, tuple(columns), builder.keys)
