"""The order to create node types in: every link target before the nodes linking to it.

Submission, demo data loading, export and the simulator walk node types in
this order, so that a parent exists before its children point at it.
Program and project come first, as in every Gen3 graph; ties are broken by
name, so the order is the same on every run.

Real dictionaries have link cycles (the GDC's `file` names its `archive`,
which names related files). A cycle is broken by leaving
one of its links pointing to a type that comes later; optional links are
broken before required ones, so a required link points later only when
the cycle is made of required links alone. The rule callers rely on: a
link to a type earlier in the order can be filled as records are written
in order; a link to a later type is one of the broken links. Self-links
(a type linking to itself) do not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.dictionary.model import Link, LinkGroup, NodeType

_FIRST = {"program": 0, "project": 1}


@dataclass(frozen=True)
class BrokenLink:
    """A link left pointing to a type later in the order, and the cycle it was on."""

    link: Link
    # The node types of the cycle, from the link's source round to its target and back.
    cycle: tuple[str, ...]
    # Whether the link had to be given (required, or the last way left to satisfy a required group).
    required: bool


@dataclass(frozen=True)
class ImportOrder:
    order: tuple[str, ...]
    broken: tuple[BrokenLink, ...]


def _rank(name: str) -> tuple[int, str]:
    return _FIRST.get(name, 2), name


def _flat(group: LinkGroup) -> list[str]:
    """The names of every link in `group`, nested groups included."""
    names: list[str] = []
    for member in group.members:
        names.extend(_flat(member) if isinstance(member, LinkGroup) else [member])
    return names


def _groups_by_id(groups: Iterable[LinkGroup]) -> dict[int, LinkGroup]:
    found: dict[int, LinkGroup] = {}
    for group in groups:
        found[group.id] = group
        found.update(_groups_by_id(m for m in group.members if isinstance(m, LinkGroup)))
    return found


class _Graph:
    """Links still to be satisfied, by source type then target type; the types still to place."""

    def __init__(self, nodes: dict[str, NodeType]) -> None:
        self.nodes = nodes
        self.waiting: dict[str, dict[str, list[Link]]] = {name: {} for name in nodes}
        for node in nodes.values():
            for link in node.links:
                if link.target != node.name and link.target in nodes:
                    self.waiting[node.name].setdefault(link.target, []).append(link)
        self.groups = {name: _groups_by_id(node.link_groups) for name, node in nodes.items()}
        self.broken: list[BrokenLink] = []
        self.broken_names: set[tuple[str, str]] = set()

    def needed(self, link: Link) -> bool:
        """A link that must be given: required, named in `required`, or the last unbroken way
        to satisfy a required group it is in."""
        node = self.nodes[link.source]
        if link.required or link.name in node.required:
            return True
        for group_id in link.groups:
            group = self.groups[link.source][group_id]
            others = [name for name in _flat(group) if name != link.name]
            if group.required and all((link.source, name) in self.broken_names for name in others):
                return True
        return False

    def reach(self, start: str, remaining: set[str]) -> dict[str, str]:
        """Every remaining type `start` waits on, directly or not, with the type it was reached from."""
        came_from = {start: start}
        frontier = [start]
        while frontier:
            current = frontier.pop()
            for target in sorted(self.waiting[current], key=_rank):
                if target in remaining and target not in came_from:
                    came_from[target] = current
                    frontier.append(target)
        return came_from

    def cycle(self, source: str, target: str, remaining: set[str]) -> tuple[str, ...]:
        """source -> target -> ... -> source, through the links still waiting."""
        came_from = self.reach(target, remaining)
        path = [source]
        while path[-1] != target:
            path.append(came_from[path[-1]])
        return (source, *reversed(path[1:]), source)

    def break_one(self, remaining: set[str]) -> None:
        """Break the waiting of one source on one target, chosen in a cycle that nothing outside
        it holds up: optional links first, then a source waiting on fewest types, then by name."""
        reach = {name: self.reach(name, remaining) for name in remaining}
        candidates = []
        for source in remaining:
            component = {other for other in reach[source] if source in reach[other]}
            if all(set(reach[member]) <= component for member in component):
                for target in self.waiting[source]:
                    if target in component:
                        needed = any(self.needed(link) for link in self.waiting[source][target])
                        waits = sum(1 for t in self.waiting[source] if t in remaining)
                        candidates.append((needed, waits, _rank(source), _rank(target)))
        needed, _, (_, source), (_, target) = min(candidates)
        cycle = self.cycle(source, target, remaining)
        for link in self.waiting[source].pop(target):
            self.broken.append(BrokenLink(link, cycle, needed))
            self.broken_names.add((source, link.name))


def import_order(nodes: Iterable[NodeType]) -> ImportOrder:
    """Every node type, each after the targets of its links but for the links broken to undo cycles.

    Links to types that are not in `nodes` are ignored.
    """
    graph = _Graph({node.name: node for node in nodes})
    remaining = set(graph.nodes)
    order: list[str] = []
    while remaining:
        ready = [name for name in remaining if not remaining & set(graph.waiting[name])]
        if not ready:
            graph.break_one(remaining)
            continue
        chosen = min(ready, key=_rank)
        order.append(chosen)
        remaining.discard(chosen)
    return ImportOrder(tuple(order), tuple(graph.broken))
