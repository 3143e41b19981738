"""The order to create node types in: every link target before the nodes linking to it.

Submission, demo data loading and export walk node types in this order, so
that a parent exists before its children point at it. Program and project
come first, as in every Gen3 graph; ties are broken by name, so the order
is the same on every run.
"""

from __future__ import annotations

import heapq

from engine.dictionary.model import Link

_FIRST = {"program": 0, "project": 1}


def import_order(nodes: list[str], links: list[Link]) -> tuple[tuple[str, ...], list[str]]:
    """(order, nodes left on a link cycle); self-links and links to unknown types are ignored."""
    known = set(nodes)
    waiting_on: dict[str, set[str]] = {node: set() for node in nodes}
    dependents: dict[str, set[str]] = {node: set() for node in nodes}
    for link in links:
        if link.source != link.target and link.source in known and link.target in known:
            waiting_on[link.source].add(link.target)
            dependents[link.target].add(link.source)
    ready = [(_FIRST.get(node, 2), node) for node in nodes if not waiting_on[node]]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        for dependent in dependents[node]:
            waiting_on[dependent].discard(node)
            if not waiting_on[dependent]:
                heapq.heappush(ready, (_FIRST.get(dependent, 2), dependent))
    return tuple(order), sorted(known - set(order))
