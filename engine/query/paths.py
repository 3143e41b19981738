"""`with_path_to`: which relationships can lead from one node type to another.

Peregrine answers `case(with_path_to: {type: "aliquot"})` by walking the
dictionary's links from `case` to `aliquot` without wandering back and
forth. Here that is: the target is an ancestor (reached by following links
the way they point, e.g. aliquot -> sample -> case) or a descendant
(following them backwards). The dictionary says which relationship types
such a walk can use and how long it can be; the graph is then asked for a
variable-length path of only those types, no longer than that. Links form
no cycles (the loader refuses them) apart from self-links, which are left
out: they lead to the same type, which a path filter on that type matches
directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from engine.dictionary.model import Dictionary
from engine.query.tree import NEVER, Or, Predicate, Reach

Direction = Literal["out", "in"]


@dataclass(frozen=True)
class _Routes:
    relationships: frozenset[str]
    hops: int


class Paths:
    """Routes between the node types of one dictionary, worked out once per pair."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self._routes = cache(self._find_routes)

    def _find_routes(self, source: str, target: str, direction: Direction) -> _Routes | None:
        found: list[_Routes] = []
        for edge in self.dictionary.nodes[source].edges.values():
            if edge.direction != direction or edge.target == source:
                continue
            if edge.target == target:
                found.append(_Routes(frozenset({edge.relationship}), 1))
            elif further := self._routes(edge.target, target, direction):
                found.append(_Routes(further.relationships | {edge.relationship}, further.hops + 1))
        if not found:
            return None
        return _Routes(
            frozenset().union(*(r.relationships for r in found)), max(r.hops for r in found)
        )

    def reach(self, source: str, target: str, where: Predicate) -> Predicate:
        """A node of `source` with an ancestor or a descendant of `target` meeting `where`."""
        ways: list[Predicate] = []
        for direction in ("out", "in"):
            routes = self._routes(source, target, direction)
            if routes:
                ways.append(
                    Reach(
                        direction, tuple(sorted(routes.relationships)), routes.hops, target, where
                    )
                )
        if not ways:
            return NEVER
        return ways[0] if len(ways) == 1 else Or(tuple(ways))
