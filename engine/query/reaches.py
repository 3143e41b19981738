"""Which linked records each root record reaches, held in this process beside the column tables.

A linked-node facet (`subject.species` charted over samples) counts root
records by the values of the records they reach along links
(engine/query/linked.py). Walking the links of 250,000 samples on the
embedded store takes seconds per chart, so the pairs (root record, linked
record) are read once and kept, like the column tables
(engine/query/columns.py), for as long as no record of a type the walk
passes through changes: they are keyed by the revision tokens of every
project of those types, read in the request's own statement. The linked
records' values come from their own column tables.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.dictionary.model import Dictionary
from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.query.columns import Numbers, Part, Table, joined, number_row
from engine.query.linked import walk
from engine.query.paths import Paths
from engine.query.tree import ALWAYS, Reach

if TYPE_CHECKING:
    from engine.query.aggregate import Chart

_KEPT = 16
_LOCK = threading.Lock()
_PAIRS: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()


def walked_types(dictionary: Dictionary, root: str, linked: str) -> set[str]:
    """The types whose records' links a walk from `root` to `linked` may pass through: those
    at either end of a relationship it follows (a write to one changes its token)."""
    reach = Paths(dictionary).reach(root, linked, ALWAYS)
    assert isinstance(reach, Reach)  # as linked.py offers only types reached one way
    found = {root, linked}
    for name, node in dictionary.nodes.items():
        for edge in node.edges.values():
            if edge.relationship in reach.relationships:
                found |= {name, edge.target}
    return found


def reached(
    store: GraphStore,
    dictionary: Dictionary,
    root: str,
    linked: str,
    tables: tuple[dict[str, Table], dict[str, Table]],
    tokens: Sequence[tuple[str, str, str]],
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (root row, linked row) pairs, rows numbered as `joined` numbers the root's and
    the linked type's tables; `tokens`: (type, project, token) of every walked type."""
    roots, others = tables
    key = (
        root,
        linked,
        tuple(sorted(tokens)),
        tuple((p, t.token) for p, t in roots.items()),
        tuple((p, t.token) for p, t in others.items()),
    )
    with _LOCK:
        found = _PAIRS.get(key)
        if found is not None:
            _PAIRS.move_to_end(key)
            return found
    pattern = walk(Paths(dictionary), root, linked)
    pairs = store.read(
        f"MATCH {cypher.node('n', root)}{pattern}{cypher.node('o', linked)} "
        "RETURN collect([n.id, o.id]) AS pairs"
    )[0]["pairs"]
    root_rows, _ = joined(roots)
    linked_rows, _ = joined(others)
    kept = [(root_rows[a], linked_rows[b]) for a, b in pairs if a in root_rows and b in linked_rows]
    both = np.unique(np.array(kept, dtype=np.int64).reshape(-1, 2), axis=0)
    found = (both[:, 0].copy(), both[:, 1].copy())
    with _LOCK:
        _PAIRS[key] = found
        while len(_PAIRS) > _KEPT:
            _PAIRS.popitem(last=False)
    return found


def linked_chart_row(
    chart: Chart,
    index: str,
    parts: Sequence[Part],
    pairs: tuple[np.ndarray, np.ndarray],
    linked: dict[str, Table],
    shows_values: bool,
) -> dict[str, Any]:
    """A linked facet's columns as engine/query/linked.py's CALLs return them: root records
    counted once per distinct value they reach, "no data" for those reaching none."""
    size = sum(len(part.table.ids) for part in parts)
    chosen = np.zeros(size, dtype=bool)
    hidden = np.zeros(size, dtype=np.int64)
    start = 0
    for part in parts:
        rows = np.arange(len(part.table.ids)) if part.rows is None else part.rows
        chosen[start + rows] = True
        hidden[start : start + len(part.table.ids)] = int(part.hidden)
        start += len(part.table.ids)
    roots, others = pairs
    kept = chosen[roots]
    roots, others = roots[kept], others[kept]
    name = chart.field.prop
    if not chart.field.numeric:
        codes, keys = _coded(linked, name)
        values = codes[others]
        present = values != 0
        pair = np.unique(roots[present] * len(keys) + values[present])
        pair_roots, pair_values = pair // len(keys), pair % len(keys)
        counts = np.bincount(pair_values, minlength=len(keys))
        unreadable = np.bincount(pair_values, weights=hidden[pair_roots], minlength=len(keys))
        rows = [
            {"key": keys[code], "count": int(counts[code]), "unreadable": int(unreadable[code])}
            for code in np.flatnonzero(counts)
        ]
        valued = np.zeros(size, dtype=bool)
        valued[pair_roots] = True
        empty = chosen & ~valued
        if empty.any():
            rows.append(
                {"key": None, "count": int(empty.sum()), "unreadable": int(hidden[empty].sum())}
            )
        return {f"r{index}": rows}
    numbers, integral = _numbers(linked, name)
    values = numbers[others]
    present = ~np.isnan(values)
    both = np.unique(np.stack([roots[present], values[present]], axis=1), axis=0)
    found_roots = both[:, 0].astype(np.int64)
    per_root = Numbers(both[:, 1], hidden[found_roots], integral, found_roots)
    return number_row(chart, index, per_root, shows_values)


def _coded(tables: dict[str, Table], name: str) -> tuple[np.ndarray, list[Any]]:
    """The field's codes over the tables' rows as `joined` numbers them, in one code space."""
    coded: dict[Any, int] = {None: 0}
    parts = []
    for table in tables.values():
        column = table.columns[name]
        assert column.codes is not None
        mapping = [coded.setdefault(key, len(coded)) for key in column.keys]
        parts.append(np.array(mapping, dtype=np.int64)[column.codes])
    codes = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    return codes, list(coded)


def _numbers(tables: dict[str, Table], name: str) -> tuple[np.ndarray, bool]:
    columns = [table.columns[name] for table in tables.values()]
    numbers = [column.numbers for column in columns if column.numbers is not None]
    joined_numbers = np.concatenate(numbers) if numbers else np.empty(0)
    return joined_numbers, all(column.integral for column in columns)
