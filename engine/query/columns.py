"""Facet values held in this process, one table per (node type, project) and revision.

Counting a facet on the embedded ArcadeDB costs a few microseconds per record
read, so a dashboard's charts over 250,000 samples took seconds however the
statement was shaped. Elasticsearch is fast because it keeps the values in
columns; so do we, without its lag: a table holds the values of one project's
records of one type as they were at one revision, and the revision is the
token the submission writer changes in the very transaction that changes
those records (engine/query/tallies.py). A request reads the tokens in its
own statement and uses only tables at those tokens, loading the others
again, so a record submitted a moment ago is counted.

The store still decides which records a filter keeps (it returns their
ids); the tables give their values, and the charts are counted here with
numpy. Tables are kept least recently used first out, up to MAX_CELLS values.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.query.tallies import LABEL, revision_key

if TYPE_CHECKING:
    from engine.query.aggregate import Chart

# About 8 bytes a number and 4 a coded value, plus each record's id.
MAX_CELLS = 20_000_000


@dataclass
class Column:
    """One field's values: numbers as floats (NaN: none), anything else coded, 0 for none."""

    numbers: np.ndarray | None = None
    # Whether every number is an integer, so min, max and sum are answered as integers.
    integral: bool = True
    codes: np.ndarray | None = None
    keys: list[Any] = field(default_factory=lambda: [None])
    _ranks: np.ndarray | None = None

    def ranks(self) -> np.ndarray:
        """Each code's place in the order of the values (Cypher's: by code point, false first)."""
        if self._ranks is None:
            order = sorted(range(1, len(self.keys)), key=lambda code: cypher_order(self.keys[code]))
            ranks = np.zeros(len(self.keys), dtype=np.int64)
            ranks[order] = np.arange(1, len(order) + 1)
            self._ranks = ranks
        return self._ranks


def cypher_order(value: Any) -> tuple[int, Any]:
    """A sort key ordering values as Cypher's ORDER BY does across types: text, then
    booleans, then numbers (a property may hold more than one type in real data)."""
    if isinstance(value, str):
        return 0, value
    if isinstance(value, bool):
        return 1, value
    if isinstance(value, (int, float)):
        return 2, value
    return 3, str(value)


def _column(values: Sequence[Any], numeric: bool) -> Column:
    if numeric:
        found = [
            v if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in values
        ]
        numbers = np.array([math.nan if v is None else v for v in found], dtype=np.float64)
        integral = all(isinstance(v, int) for v in found if v is not None)
        return Column(numbers=numbers, integral=integral)
    coded: dict[Any, int] = {None: 0}
    keys: list[Any] = [None]
    codes = np.empty(len(values), dtype=np.int32)
    for row, value in enumerate(values):
        code = coded.get(value)
        if code is None:
            code = coded[value] = len(keys)
            keys.append(value)
        codes[row] = code
    return Column(codes=codes, keys=keys)


@dataclass
class Table:
    """One project's records of one type at one revision: their ids and some fields' values."""

    token: str
    ids: list[str]
    columns: dict[str, Column] = field(default_factory=dict)
    _rows: dict[str, int] | None = None
    _id_ranks: np.ndarray | None = None

    def index(self) -> dict[str, int]:
        """Row by record id."""
        if self._rows is None:
            self._rows = {record: row for row, record in enumerate(self.ids)}
        return self._rows

    def id_ranks(self) -> np.ndarray:
        """Each row's place in the order of the ids."""
        if self._id_ranks is None:
            ranks = np.empty(len(self.ids), dtype=np.int64)
            ranks[np.argsort(np.array(self.ids))] = np.arange(len(self.ids))
            self._id_ranks = ranks
        return self._id_ranks

    def value(self, name: str, row: int) -> Any:
        """The value of a row as stored (None where it has none)."""
        column = self.columns[name]
        if column.numbers is not None:
            number = column.numbers[row]
            return None if math.isnan(number) else int(number) if column.integral else float(number)
        assert column.codes is not None
        return column.keys[column.codes[row]]

    def cells(self) -> int:
        return len(self.ids) * (1 + len(self.columns))


class Tables:
    """The tables this process holds, by (type, project, token)."""

    def __init__(self, max_cells: int = MAX_CELLS) -> None:
        self.max_cells = max_cells
        self._tables: OrderedDict[tuple[str, str, str], Table] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        store: GraphStore,
        label: str,
        tokens: dict[str, str],
        fields: dict[str, bool],
    ) -> dict[str, Table]:
        """Each project's table (project -> token given) holding `fields` (name -> numeric);
        loaded from the store where this process holds none at that token.

        A table loaded while another write lands is kept under the token it was read at,
        which the next request's statement will name."""
        found: dict[str, Table] = {}
        for project, token in tokens.items():
            with self._lock:
                table = self._tables.get((label, project, token))
                if table is not None:
                    self._tables.move_to_end((label, project, token))
            missing = {
                name: numeric
                for name, numeric in fields.items()
                if table is None or name not in table.columns
            }
            if table is None or missing:
                table = self._load(store, label, project, table, missing, fields)
            assert table is not None
            found[project] = table
        return found

    def _load(
        self,
        store: GraphStore,
        label: str,
        project: str,
        table: Table | None,
        fields: dict[str, bool],
        every: dict[str, bool],
    ) -> Table:
        """`fields` added to `table` (None: a new table); where the records changed since the
        table was read, a new table with `every` field the request needs."""
        values = "".join(f", n.{cypher.name(name)}" for name in fields)
        row = store.read(
            f"MATCH {cypher.node('n', label)} WHERE n.project_id = $project "
            f"WITH collect([n.id{values}]) AS records "
            f"OPTIONAL MATCH (c:{LABEL} {{key: $key}}) "
            "RETURN records, c.value AS token",
            {"project": project, "key": revision_key(project, label)},
        )[0]
        records = row["records"]
        token = row["token"] or ""
        if table is not None and table.token != token:
            return self._load(store, label, project, None, every, every)
        if table is None:
            table = Table(token, [record[0] for record in records])
            order = range(len(records))
        else:
            # Same revision, so the same records: placed in the rows the table gave them.
            index = table.index()
            order = [index[record[0]] for record in records]
        for place, (name, numeric) in enumerate(fields.items(), start=1):
            ordered: list[Any] = [None] * len(table.ids)
            for row_number, record in zip(order, records, strict=True):
                ordered[row_number] = record[place]
            table.columns[name] = _column(ordered, numeric)
        with self._lock:
            self._tables[(label, project, token)] = table
            self._tables.move_to_end((label, project, token))
            self._evict()
        return table

    def _evict(self) -> None:
        total = sum(table.cells() for table in self._tables.values())
        while total > self.max_cells and len(self._tables) > 1:
            _, table = self._tables.popitem(last=False)
            total -= table.cells()


TABLES = Tables()


@dataclass(frozen=True)
class Part:
    """The records a chart counts in one project's table: `rows` (None: all of them), and
    whether they are records the caller cannot read."""

    table: Table
    rows: np.ndarray | None
    hidden: bool

    def codes(self, name: str) -> np.ndarray:
        codes = self.table.columns[name].codes
        assert codes is not None
        return codes if self.rows is None else codes[self.rows]

    def numbers(self, name: str) -> np.ndarray:
        numbers = self.table.columns[name].numbers
        assert numbers is not None
        return numbers if self.rows is None else numbers[self.rows]


def value_rows(parts: Sequence[Part], name: str) -> list[dict[str, Any]]:
    """`[{key, count, unreadable}]` of a coded field over the parts, as the statement's
    value-count CALL returns them (engine/query/aggregate.py)."""
    found: dict[Any, dict[str, Any]] = {}
    for part in parts:
        keys = part.table.columns[name].keys
        counts = np.bincount(part.codes(name), minlength=len(keys))
        for code in np.flatnonzero(counts):
            row = found.setdefault(keys[code], {"key": keys[code], "count": 0, "unreadable": 0})
            row["count"] += int(counts[code])
            row["unreadable"] += int(counts[code]) * part.hidden
    return list(found.values())


@dataclass(frozen=True)
class Numbers:
    """A number field's values over the parts, with each value's record unreadable or not.

    With `roots` (a linked facet: each value's root record, engine/query/reaches.py), counts
    are of distinct root records, as `count(DISTINCT n)` counts them.
    """

    values: np.ndarray
    unreadable: np.ndarray
    integral: bool
    roots: np.ndarray | None = None

    @classmethod
    def of(cls, parts: Sequence[Part], name: str) -> Numbers:
        values = [part.numbers(name) for part in parts]
        hidden = [
            np.full(len(v), int(part.hidden), dtype=np.int64)
            for v, part in zip(values, parts, strict=True)
        ]
        joined = np.concatenate(values) if values else np.empty(0)
        flags = np.concatenate(hidden) if hidden else np.empty(0, dtype=np.int64)
        present = ~np.isnan(joined)
        integral = all(part.table.columns[name].integral for part in parts)
        return cls(joined[present], flags[present], integral)

    def number(self, value: float) -> int | float:
        return int(value) if self.integral else float(value)

    def counts(self, chosen: Any = slice(None)) -> tuple[int, int]:
        """How many records (or distinct roots) the chosen values count, and unreadable ones."""
        if self.roots is None:
            return len(self.values[chosen]), int(self.unreadable[chosen].sum())
        roots, hidden = self.roots[chosen], self.unreadable[chosen]
        return len(np.unique(roots)), len(np.unique(roots[hidden == 1]))

    def stats(self, chosen: Any = slice(None)) -> dict[str, Any]:
        """count, min, max, avg and sum as Cypher gives them (None over no values)."""
        values = self.values[chosen]
        if not len(values):
            return {"count": 0, "min": None, "max": None, "avg": None, "sum": None}
        total = math.fsum(values.tolist())
        return {
            "count": self.counts(chosen)[0],
            "min": self.number(values.min()),
            "max": self.number(values.max()),
            "avg": total / len(values),
            "sum": self.number(total),
        }

    def bounds(self, shows_values: bool) -> tuple[Any, Any]:
        """The default histogram bounds: over the values the caller may see."""
        seen = self.values if shows_values else self.values[self.unreadable == 0]
        if not len(seen):
            return None, None
        return self.number(seen.min()), self.number(seen.max())

    def bins(self, low: float, high: float, width: float, last: int) -> list[dict[str, Any]]:
        """`[{bin, unreadable, count, min, max, avg, sum}]` of the values within [low, high], as
        the binned histogram's CALL counts them: bin floor((value - low) / width), the last
        one taking what rounds beyond it."""
        inside = np.flatnonzero((self.values >= low) & (self.values <= high))
        bins = np.minimum(np.floor((self.values[inside] - low) / width).astype(np.int64), last)
        order = np.argsort(bins, kind="stable")
        bins, inside = bins[order], inside[order]
        numbers, starts = np.unique(bins, return_index=True)
        ends = [*starts[1:], len(bins)][: len(starts)]
        return [
            {
                "bin": int(number),
                "unreadable": self.counts(inside[start:end])[1],
                **self.stats(inside[start:end]),
            }
            for number, start, end in zip(numbers, starts, ends, strict=True)
        ]


def select(tables: dict[str, Table], ids: Iterable[str]) -> dict[str, np.ndarray]:
    """The rows of each project's table holding one of `ids` (a filter's records)."""
    index, ends = joined(tables)
    found = np.fromiter((index.get(record, -1) for record in ids), dtype=np.int64)
    found = np.sort(found[found >= 0])
    starts = [0, *ends][: len(ends)]
    return {
        project: found[np.searchsorted(found, start) : np.searchsorted(found, end)] - start
        for project, start, end in zip(tables, starts, ends, strict=True)
    }


_JOINED: OrderedDict[tuple[tuple[str, str], ...], tuple[dict[str, int], list[int]]] = OrderedDict()
_JOINED_KEPT = 4
_JOINED_LOCK = threading.Lock()


def joined(tables: dict[str, Table]) -> tuple[dict[str, int], list[int]]:
    """One index over the tables' ids (rows numbered on from one table to the next) and where
    each table's rows end: a filter's ids are each looked up once, whatever their project.
    Kept for the last few sets of tables (tokens are never reused)."""
    key = tuple((project, table.token) for project, table in tables.items())
    with _JOINED_LOCK:
        found = _JOINED.get(key)
    if found is None:
        index: dict[str, int] = {}
        ends: list[int] = []
        for table in tables.values():
            start = len(index)
            index.update(zip(table.ids, range(start, start + len(table.ids)), strict=True))
            ends.append(len(index))
        found = (index, ends)
        with _JOINED_LOCK:
            _JOINED[key] = found
            while len(_JOINED) > _JOINED_KEPT:
                _JOINED.popitem(last=False)
    return found


def chart_row(chart: Chart, index: str, parts: Sequence[Part], shows_values: bool) -> dict:
    """A chart's columns as the statement's CALLs would return them (engine/query/aggregate.py
    reads them alike): `r<index>` value counts, or a number field's stats, bounds and bins."""
    name = chart.field.name
    if not chart.field.numeric:
        return {f"r{index}": value_rows(parts, name)}
    return number_row(chart, index, Numbers.of(parts, name), shows_values)


def number_row(chart: Chart, index: str, numbers: Numbers, shows_values: bool) -> dict:
    """A number chart's stats, bounds and (if binned) buckets, as its CALLs return them."""
    found = {f"{stat}{index}": value for stat, value in numbers.stats().items()}
    low, high = numbers.bounds(shows_values)
    found |= {
        f"unreadable{index}": numbers.counts()[1],
        f"low{index}": low,
        f"high{index}": high,
    }
    if chart.binned:
        layout = chart.layout(low, high)
        found[f"r{index}"] = [] if layout is None else numbers.bins(*layout[:3], layout[3] - 1)
    return found


def first_rows(
    table: Table, rows: np.ndarray | None, keys: Sequence[tuple[str, bool]], count: int
) -> list[int]:
    """The first `count` of `rows` (None: all) by `keys` ((field, descending) held in the
    table), records without a value last either way, then by id: ORDER BY as rows.py
    writes it, here within one table; rows.py merges tables by the values themselves."""
    chosen = np.arange(len(table.ids)) if rows is None else rows
    if not len(chosen) or count <= 0:
        return []
    ordering = [table.id_ranks()[chosen]]
    for name, descending in reversed(keys):
        column = table.columns[name]
        if column.numbers is not None:
            values = column.numbers[chosen]
            missing = np.isnan(values)
            ranks = np.where(missing, 0.0, values)
        else:
            assert column.codes is not None
            codes = column.codes[chosen]
            missing = codes == 0
            ranks = column.ranks()[codes]
        ordering += [-ranks if descending else ranks, missing]
    order = np.lexsort(ordering)[:count]
    return chosen[order].tolist()
