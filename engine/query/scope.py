"""The records one exploration request is about: a node type, a guppy filter, an access.

Counts, histograms, rows and downloads all start from the same
`MATCH (n:<type>) WHERE <filter> AND <access>`, written here. The filter is
read by engine/query/guppy.py and written by engine/query/cypher.py, the
reader and builder of peregrine's queries, so a filter means the same thing
on both APIs and readable projects are enforced by the same code, on linked
records too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.dictionary.model import Dictionary, NodeType
from engine.graph import cypher
from engine.query.access import Access, Accessibility
from engine.query.cypher import ConditionBuilder, arrow
from engine.query.guppy import ARGUMENT, GuppyFilter
from engine.query.guppy_extras import expand_paths, without_field
from engine.query.limits import bounded
from engine.query.tree import ALWAYS, And, HasEdge, Predicate, conjunction

VARIABLE = "n"


@dataclass(frozen=True)
class Scope:
    dictionary: Dictionary
    node: NodeType
    filter: Any = None
    accessibility: Accessibility = "all"
    access: Access = field(default_factory=Access)

    @property
    def counted(self) -> Accessibility:
        return self.access.counted(self.accessibility)

    @property
    def spans_unreadable(self) -> bool:
        return self.access.spans_unreadable(self.counted)

    @property
    def shows_values(self) -> bool:
        return self.access.shows_values(self.counted)

    def builder(self, rows: bool = False) -> ConditionBuilder:
        """A statement builder; `rows` keeps to readable projects whatever accessibility says."""
        limited = rows or self.counted == "accessible"
        return ConditionBuilder(self.access.accessible_projects if limited else None, max_rows=0)

    def predicate(self, skip_field: str | None = None) -> Predicate:
        spec = self.filter if skip_field is None else without_field(self.filter, skip_field)
        if spec is None or spec == {}:
            return ALWAYS
        return bounded(
            GuppyFilter(self.dictionary).predicate(self.node, expand_paths(spec)), ARGUMENT
        )

    def match(self, builder: ConditionBuilder, skip_field: str | None = None) -> str:
        """`MATCH (n:<type>) [WHERE ...]`; `skip_field` leaves that field's own conditions out.

        A filter on a linked record (guppy's `nested`) is matched from the linked side:
        `MATCH (o:<linked type>) WHERE <its filter> MATCH (n:<type>)-->(o) WHERE <own>
        WITH DISTINCT n`, which starts
        from the linked type's indexed values, instead of testing every record of the type
        for such a neighbour (the embedded store reads each record it tests).
        """
        conditions = builder.visible(VARIABLE, self.node.label)
        predicate = self.predicate(skip_field)
        parts = list(predicate.predicates) if isinstance(predicate, And) else [predicate]
        linked = next((p for p in parts if isinstance(p, HasEdge) and p.where != ALWAYS), None)
        start = ""
        if linked is not None:
            parts.remove(linked)
            predicate = conjunction(parts) if parts else ALWAYS
            other = builder.variable()
            edge = linked.edge
            start = (
                f"MATCH {cypher.node(other, edge.target)}"
                f"{builder.where(other, edge.target, linked.where)} "
                f"MATCH {cypher.node(VARIABLE, self.node.label)}"
                f"{arrow(edge, cypher.name(edge.relationship))}({other})"
            )
        own = [builder.condition(VARIABLE, predicate)] if predicate != ALWAYS else []
        if self.counted == "unaccessible":
            # Nothing, for an admin (nothing is unreadable) and under `private` (nothing may be).
            conditions.append(
                f"NOT {self._readable(builder)}" if self.spans_unreadable else "false"
            )
        if start:
            # The record's own conditions before DISTINCT: after it, the embedded store takes
            # twice as long to test them.
            return f"{start}{_where(own + conditions)} WITH DISTINCT {VARIABLE}"
        match = f"MATCH {cypher.node(VARIABLE, self.node.label)}"
        if own and conditions:
            # The filter first, the projects after: with both in one WHERE the embedded store
            # looks up the projects' records (half the type, say) and tests the filter on each.
            return f"{match}{_where(own)} WITH {VARIABLE}{_where(conditions)}"
        return f"{match}{_where(own + conditions)}"

    def _readable(self, builder: ConditionBuilder) -> str:
        assert self.access.accessible_projects is not None  # as the scope spans unreadable data
        return builder.in_projects(VARIABLE, self.node.label, self.access.accessible_projects)

    def unreadable(self, builder: ConditionBuilder) -> str:
        """1 for a record in scope the caller cannot read, else 0: summed, each count's hidden part."""
        if not self.spans_unreadable:
            return "0"
        if self.counted == "unaccessible":
            return "1"
        return f"CASE WHEN {self._readable(builder)} THEN 0 ELSE 1 END"

    def shown(self, count: int, unreadable: int) -> int:
        """`count`, `unreadable` of it from records the caller cannot read, as they may see it."""
        return self.access.shown(count, unreadable, self.counted)


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""
