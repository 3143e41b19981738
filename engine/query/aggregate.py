"""Counts, value counts and numeric histograms, from one statement on the live graph.

Gen3 copies the graph into Elasticsearch to count it, so its explorer lags
behind submissions; here an aggregation reads the live graph, so a record
submitted a moment ago counts. One statement evaluates the filter once and
answers, in one round trip:

- charts of every record of a type by an enum or boolean, and unfiltered
  totals: from the tallies (engine/query/tallies.py);
- charts of a type's own single-valued fields: the ids of the records the
  filter keeps (`collect(n.id)`), whose values the column tables give
  (engine/query/columns.py, checked against the revision tokens read in the
  same statement);
- the others (list fields, linked types' fields): a `CALL (s0) { UNWIND ... }`
  over the matched records (`collect(n)`), grouping and bucketing in Cypher.

A chart with guppy's `filterSelf: false` counts over the records its own
field's conditions would have removed too, which is a second match, made
once per such field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.graph import cypher
from engine.graph.store import GraphStore
from engine.query.columns import TABLES, Part, Table, chart_row, select
from engine.query.errors import QueryError
from engine.query.facets import MISSING, Facet
from engine.query.linked import add_linked_chart
from engine.query.reaches import linked_chart_row, reached, walked_types
from engine.query.scope import VARIABLE, Scope
from engine.query.tallies import (
    Tallies,
    read_trusted,
    revision_column,
    tallied_fields,
    tallies_of,
    tally_columns,
)
from engine.query.tree import ALWAYS

# Beyond this, a histogram is a request for rows, not a chart.
MAX_BUCKETS = 1000
Bucket = dict[str, Any]
_STATS = ("count", "min", "max", "avg", "sum")


@dataclass(frozen=True)
class Chart:
    """One histogram a request asks for.

    A text or boolean field counts records by value. A number field with no
    range gives one bucket of stats; with `range_step` or `bin_count`,
    buckets from `range_start` (default: the smallest value) to `range_end`
    (default: the largest, included), empty ones too, so a chart has no gaps.
    """

    field: Facet
    filter_self: bool = True
    range_start: float | None = None
    range_end: float | None = None
    range_step: float | None = None
    bin_count: int | None = None

    @property
    def binned(self) -> bool:
        return self.range_step is not None or self.bin_count is not None

    def layout(self, low: Any, high: Any) -> tuple[float, float, float, int] | None:
        """A binned chart's bounds (its own range, else the values' `low` and `high`), bin
        width and number of bins; None where it has no bounds (no values)."""
        low = self.range_start if self.range_start is not None else low
        high = self.range_end if self.range_end is not None else high
        if low is None or high is None:
            return None
        if self.range_step is not None:
            return low, high, float(self.range_step), math.floor((high - low) / self.range_step) + 1
        assert self.bin_count is not None
        return low, high, ((high - low) / self.bin_count) or 1.0, self.bin_count

    def check(self) -> None:
        name = self.field.name
        if self.range_step is not None and self.range_step <= 0:
            raise QueryError(f"{name}: rangeStep must be above 0, got {self.range_step}")
        if self.bin_count is not None and not 0 < self.bin_count <= MAX_BUCKETS:
            raise QueryError(f"{name}: binCount must be 1 to {MAX_BUCKETS}, got {self.bin_count}")
        if None not in (self.range_start, self.range_end) and self.range_end < self.range_start:
            raise QueryError(
                f"{name}: rangeEnd ({self.range_end}) is below rangeStart ({self.range_start})"
            )


def total_count(store: GraphStore, scope: Scope) -> int:
    return aggregate(store, scope, [])[0]


def _from_tallies(scope: Scope, chart: Chart) -> bool:
    """Whether the chart counts every record of its type by a tallied value (tallies.py)."""
    name = chart.field.name
    tallied = tallied_fields(scope.node)
    if not tallied or (name != "project_id" and name not in tallied):
        return False
    return scope.predicate(None if chart.filter_self else name) == ALWAYS


def _from_columns(scope: Scope, chart: Chart) -> bool:
    """Whether the chart counts single values of the type's own records or of linked ones
    (columns.py, reaches.py): of types whose revisions are kept."""
    field = chart.field
    if field.array or not tallied_fields(scope.node):
        return False
    return field.linked is None or bool(tallied_fields(scope.dictionary.nodes[field.linked]))


def aggregate(
    store: GraphStore, scope: Scope, charts: Sequence[Chart]
) -> tuple[int, list[list[Bucket]]]:
    """The number of records in scope, and each chart's buckets, from one statement.

    Charts over every record of the type by a tallied value, and the
    unfiltered total, are read from the tallies (engine/query/tallies.py) in
    that statement: no record is read for them. Charts of the type's own
    single values count the ids the statement answers in the column tables.
    """
    for chart in charts:
        chart.check()
    tallied = bool(tallied_fields(scope.node))
    unfiltered = tallied and scope.predicate() == ALWAYS
    left = [chart for chart in charts if not _from_tallies(scope, chart)]
    columns = [chart for chart in left if _from_columns(scope, chart)]
    counted = [chart for chart in left if not _from_columns(scope, chart)]
    readers: dict[int, Any] = {}
    selections: dict[int, str | None] = {}
    statement: _Statement | None = None

    def text() -> tuple[str, dict[str, Any]]:
        nonlocal statement
        statement = _Statement(scope, not unfiltered)
        readers.update((id(chart), statement.add(chart)) for chart in counted)
        for number, chart in enumerate(columns):
            selections[id(chart)] = statement.ids(chart)
            readers[id(chart)] = statement.reader(chart, f"c{number}")
        if unfiltered or len(counted) < len(charts):
            statement.read_tallies()
        if any(chart.field.linked for chart in columns):
            statement.read_revisions()
        return statement.text(), statement.params.values

    row = read_trusted(store, scope.dictionary, text)
    assert statement is not None
    if "tally_rows" not in row:
        return statement.total(row), [readers[id(chart)](row) for chart in charts]
    tallies = _Tallied(scope, tallies_of(row["tally_rows"]))
    if columns:
        values = statement.params.values
        row |= {name: store.read(text, values)[0]["ids"] for name, text in statement.apart.items()}
        row = {**row, **tallies.column_rows(store, row, columns, selections)}
    total = tallies.total() if unfiltered else statement.total(row)
    return total, [
        readers[id(chart)](row) if id(chart) in readers else tallies.chart(chart.field)
        for chart in charts
    ]


class _Tallied:
    """Counts of one node type's tallies as the scope counts records: over the projects
    it spans, with the part from projects the caller cannot read."""

    def __init__(self, scope: Scope, tallies: Tallies) -> None:
        self.scope, self.tallies = scope, tallies
        readable = scope.access.accessible_projects
        self.parts: list[tuple[str, int]] = []
        for project in tallies.projects():
            hidden = readable is not None and project not in readable
            if scope.counted == "accessible" and hidden:
                continue
            if scope.counted == "unaccessible" and not (hidden and scope.spans_unreadable):
                continue
            self.parts.append((project, int(hidden and scope.spans_unreadable)))

    def total(self) -> int:
        counts = [(self.tallies.total(project), hidden) for project, hidden in self.parts]
        return self.scope.shown(
            sum(count for count, _ in counts), sum(count * hidden for count, hidden in counts)
        )

    def column_rows(
        self,
        store: GraphStore,
        row: dict[str, Any],
        charts: Sequence[Chart],
        selections: dict[int, str | None],
    ) -> dict[str, Any]:
        """The column charts' result columns, counted in the tables at the tokens `row` read
        (`selections`: the result column of the ids each chart counts; None: every record)."""
        tokens = {project: self.tallies.token(project) or "" for project, _ in self.parts}
        fields = {c.field.name: c.field.numeric for c in charts if c.field.linked is None}
        tables = TABLES.get(store, self.scope.node.label, tokens, fields)
        rows: dict[str | None, dict[str, Any]] = {None: {project: None for project in tables}}
        found: dict[str, Any] = {}
        for number, chart in enumerate(charts):
            column = selections[id(chart)]
            if column not in rows:
                rows[column] = select(tables, row[column])
            parts = [
                Part(tables[project], rows[column][project], bool(hidden))
                for project, hidden in self.parts
            ]
            if chart.field.linked is None:
                found |= chart_row(chart, f"c{number}", parts, self.scope.shows_values)
            else:
                found |= self._linked_row(store, row, chart, f"c{number}", tables, parts)
        return found

    def _linked_row(
        self,
        store: GraphStore,
        row: dict[str, Any],
        chart: Chart,
        index: str,
        tables: dict[str, Table],
        parts: list[Part],
    ) -> dict[str, Any]:
        """A linked facet counted over the pairs its root records reach (reaches.py), the
        linked records from readable projects only where the scope keeps to them."""
        linked = chart.field.linked
        assert linked is not None
        dictionary = self.scope.dictionary
        revisions = [tuple(revision) for revision in row["revision_rows"]]
        limited = self.scope.builder().readable
        tokens = {
            project: token
            for label, project, token in revisions
            if label == linked and (limited is None or project in limited)
        }
        others = TABLES.get(store, linked, tokens, {chart.field.prop: chart.field.numeric})
        walked = walked_types(dictionary, self.scope.node.label, linked)
        pairs = reached(
            store,
            dictionary,
            self.scope.node.label,
            linked,
            (tables, others),
            [revision for revision in revisions if revision[0] in walked],
        )
        return linked_chart_row(chart, index, parts, pairs, others, self.scope.shows_values)

    def chart(self, field: Facet) -> list[Bucket]:
        rows: dict[Any, dict[str, Any]] = {}
        for project, hidden in self.parts:
            if field.name == "project_id":
                found = {project: self.tallies.total(project)}
            else:
                found = self.tallies.values(project, field.name)
            for key, count in found.items():
                row = rows.setdefault(key, {"key": key, "count": 0, "unreadable": 0})
                row["count"] += count
                row["unreadable"] += count * hidden
        return value_counts(self.scope, field, [row for row in rows.values() if row["count"]])


def value_counts(scope: Scope, field: Facet, rows: list[dict]) -> list[Bucket]:
    """Most frequent first, by the counts as shown (a hidden count's rank would tell it);
    records without a value count under guppy's "no data".

    Buckets whose key the caller may not learn are left out (engine/query/access.py).
    """
    buckets = [
        {
            "key": MISSING if row["key"] is None else row["key"],
            "count": scope.shown(row["count"], row["unreadable"]),
        }
        for row in rows
    ]
    shown = [b for b in buckets if scope.access.shows_bucket(field, b["key"], scope.counted)]
    return sorted(shown, key=lambda bucket: (-bucket["count"], str(bucket["key"])))


class _Statement:
    """Builds the one statement: a collected record set per distinct filter, a CALL per chart.

    Every count comes with its part from records the caller cannot read
    (`unreadable`, 0 unless the scope spans them), which decides whether the
    tier lets it be shown; default histogram bounds come from what the
    caller may see values of.
    """

    def __init__(self, scope: Scope, records: bool) -> None:
        """`records`: whether the records in scope are to be counted (not when tallies
        count them all); charts may ask for them (`s0`) or their ids (`i0`) too."""
        self.scope = scope
        self.builder = scope.builder()
        self.params = self.builder.parameters
        self.unreadable = scope.unreadable(self.builder)
        self.records = records
        self.clauses: list[str] = []
        self.results: list[str] = []
        self.sets: dict[str | None, str] = {}
        self.id_sets: dict[str | None, str] = {}
        # Statements of their own, for the ids of other record sets (`ids`): inside a subquery
        # the embedded store tests every record for `IN $list` rather than use its index.
        self.apart: dict[str, str] = {}

    def text(self) -> str:
        """The statement: the records in scope matched once first, if anything counts them."""
        kept = [f"collect({VARIABLE}) AS s0"] if "s0" in self.sets.values() else []
        if "i0" in self.id_sets.values():
            kept.append(f"collect({VARIABLE}.id) AS i0")
        first: list[str] = []
        if self.records or kept:
            kept += ["count(*) AS total", f"sum({self.unreadable}) AS unreadable_total"]
            first.append(f"{self.scope.match(self.builder)} WITH {', '.join(kept)}")
        carried = ["total", "unreadable_total"] if first else []
        carried += ["i0"] if "i0" in self.id_sets.values() else []
        return "\n".join([*first, *self.clauses, "RETURN " + ", ".join(carried + self.results)])

    def total(self, row: dict[str, Any]) -> int:
        return self.scope.shown(row["total"], row["unreadable_total"])

    def read_revisions(self) -> None:
        """Read every revision token in this statement too (`revision_rows`: type, project,
        token), for the linked types' tables and walks (reaches.py)."""
        self.results.append(revision_column(self.params))

    def read_tallies(self) -> None:
        """Read the tallies of the scope's type in this statement too (`tally_rows`)."""
        self.results.append(tally_columns(self.params, "type", self.scope.node.label))

    def ids(self, chart: Chart) -> str | None:
        """The result column of the ids of the records this chart counts; None: every record
        of the type in the projects in scope (which the tallies list)."""
        skip = None if chart.filter_self else chart.field.name
        if skip not in self.id_sets:
            predicate = self.scope.predicate(skip)
            if predicate == ALWAYS:
                self.id_sets[skip] = None
            elif predicate == self.scope.predicate():
                self.id_sets[skip] = "i0"
            else:
                name = f"i{len(self.id_sets) + 1}"
                match = self.scope.match(self.builder, skip_field=skip)
                self.apart[name] = f"{match} RETURN collect({VARIABLE}.id) AS ids"
                self.id_sets[skip] = name
        return self.id_sets[skip]

    def _records(self, chart: Chart) -> str:
        """The variable holding the records this chart counts (its own field's filter left out or not)."""
        skip = None if chart.filter_self else chart.field.name
        if skip not in self.sets:
            if self.scope.predicate(skip) == self.scope.predicate():
                self.sets[skip] = "s0"
            else:
                name = f"s{len(self.sets) + 1}"
                match = self.scope.match(self.builder, skip_field=skip)
                self.clauses.append(f"CALL () {{ {match} RETURN collect({VARIABLE}) AS {name} }}")
                self.sets[skip] = name
        return self.sets[skip]

    def _values(self, records: str, field: Facet) -> str:
        """One `value` per record, or per item of a list field (an empty list is no value),
        with its record's `unreadable`.

        Ends in an open `WITH`, so a caller can carry more variables along.
        """
        prop = f"{VARIABLE}.{cypher.name(field.name)}"
        unwind = f"UNWIND {records} AS {VARIABLE}"
        carried = f"{self.unreadable} AS unreadable"
        if field.array:
            items = f"CASE WHEN size(coalesce({prop}, [])) = 0 THEN [null] ELSE {prop} END"
            return f"{unwind} UNWIND {items} AS item WITH item AS value, {carried}"
        return f"{unwind} WITH {prop} AS value, {carried}"

    def add(self, chart: Chart) -> Any:
        """Add the chart's CALLs; return how to read its buckets from the result row."""
        index = len(self.results)
        records = self._records(chart)
        if chart.field.linked is not None:
            add_linked_chart(self, chart, index, records)
            return self.reader(chart, index)
        values = self._values(records, chart.field)
        if not chart.field.numeric:
            self.clauses.append(
                f"CALL ({records}) {{ {values} "
                "WITH value AS key, count(*) AS count, sum(unreadable) AS unreadable "
                f"RETURN collect({{key: key, count: count, unreadable: unreadable}}) AS r{index} }}"
            )
            self.results.append(f"r{index}")
            return self.reader(chart, index)
        # Default bounds: the values the caller may see, so no bucket key is an unreadable value.
        bounded = "value" if self.scope.shows_values else "CASE WHEN unreadable = 0 THEN value END"
        stats = [
            *(f"{stat}(value) AS {stat}{index}" for stat in _STATS),
            f"sum(unreadable) AS unreadable{index}",
            f"min({bounded}) AS low{index}",
            f"max({bounded}) AS high{index}",
        ]
        columns = [f"{stat}{index}" for stat in (*_STATS, "unreadable", "low", "high")]
        if chart.binned:
            self._add_binned(chart, index, records, values, stats, columns)
        else:
            self.clauses.append(
                f"CALL ({records}) {{ {values} WITH value, unreadable WHERE value IS NOT NULL "
                f"RETURN {', '.join(stats)} }}"
            )
        self.results += columns
        return self.reader(chart, index)

    def reader(self, chart: Chart, index: int | str) -> Any:
        """How to read a chart's buckets from the result row, by the columns `add` names."""
        if not chart.field.numeric:
            return lambda row: value_counts(self.scope, chart.field, row[f"r{index}"])
        if chart.binned:
            return lambda row: self._buckets(chart, row, index)
        return lambda row: self._stats(row, index)

    def bins(self, chart: Chart) -> tuple[str, str, str, str]:
        """A binned chart's given bounds (parameters, maybe null), and its bin width and last
        bin index as Cypher over the `low` and `high` in scope."""
        start, end = self.params.add(chart.range_start), self.params.add(chart.range_end)
        if chart.range_step is not None:
            width = f"toFloat({self.params.add(chart.range_step)})"
            return start, end, width, f"toInteger(floor((high - low) / {width}))"
        bins = self.params.add(chart.bin_count)
        width = f"CASE WHEN high > low THEN (high - low) / toFloat({bins}) ELSE 1.0 END"
        return start, end, width, f"{bins} - 1"

    def _add_binned(
        self,
        chart: Chart,
        index: int,
        records: str,
        values: str,
        stats: list[str],
        columns: list[str],
    ) -> None:
        """One CALL for a histogram: one pass over the records reads each value once, keeps
        it in a list of numbers (with its record's `unreadable` where the scope spans
        unreadable records) beside the stats and default bounds, and the buckets are counted
        from that list, not by reading every record's property a second time."""
        start, end, width, last = self.bins(chart)
        if self.unreadable == "0":
            kept, unwind = (
                "collect(value) AS kept",
                "UNWIND kept AS value WITH value, 0 AS unreadable",
            )
        else:
            kept = "collect([value, unreadable]) AS kept"
            unwind = "UNWIND kept AS pair WITH pair[0] AS value, pair[1] AS unreadable"
        carried = ", ".join(columns)
        self.clauses.append(
            f"CALL ({records}) {{ {values} WITH value, unreadable WHERE value IS NOT NULL "
            f"WITH {kept}, {', '.join(stats)} "
            f"WITH kept, {carried}, coalesce({start}, low{index}) AS low, "
            f"coalesce({end}, high{index}) AS high "
            f"WITH kept, {carried}, low, high, {width} AS width "
            f"WITH kept, {carried}, low, high, width, {last} AS last "
            "CALL (kept, low, high, width, last) { "
            f"{unwind}, low, high, width, last WHERE value >= low AND value <= high "
            "WITH value, unreadable, last, toInteger(floor((value - low) / width)) AS raw "
            "WITH value, unreadable, CASE WHEN raw > last THEN last ELSE raw END AS bin "
            f"WITH bin, sum(unreadable) AS unreadable, "
            f"{', '.join(f'{stat}(value) AS {stat}' for stat in _STATS)} "
            "RETURN collect({bin: bin, unreadable: unreadable, "
            f"{', '.join(f'{stat}: {stat}' for stat in _STATS)}}}) AS r{index} }} "
            f"RETURN {carried}, r{index} }}"
        )
        self.results.append(f"r{index}")

    def _numbers(self, key: list[float] | None, stats: dict, unreadable: int) -> Bucket:
        """A number bucket as the caller may see it: its count as the tier shows it, and
        min/max/avg/sum only where values may be shown.
        """
        count = self.scope.shown(stats["count"], unreadable)
        if self.scope.shows_values:
            return {"key": key, **stats, "count": count}
        return {"key": key, "count": count, "min": None, "max": None, "avg": None, "sum": None}

    def _stats(self, row: dict, index: int | str) -> list[Bucket]:
        stats = {stat: row[f"{stat}{index}"] for stat in _STATS}
        if not stats["count"]:
            return []
        key = [stats["min"], stats["max"]] if self.scope.shows_values else None
        return [self._numbers(key, stats, row[f"unreadable{index}"])]

    def _buckets(self, chart: Chart, row: dict, index: int | str) -> list[Bucket]:
        layout = chart.layout(row[f"low{index}"], row[f"high{index}"])
        if not row[f"count{index}"] or layout is None:
            return []
        low, high, width, count = layout
        if count > MAX_BUCKETS:
            raise QueryError(
                f"{chart.field.name}: {count} buckets of {width} from {low} to {high}; "
                f"at most {MAX_BUCKETS}, so widen rangeStep"
            )
        found = {bucket["bin"]: bucket for bucket in row[f"r{index}"]}
        empty = {"count": 0, "unreadable": 0, "min": None, "max": None, "avg": None, "sum": None}
        return [
            self._numbers(
                [low + bin * width, low + (bin + 1) * width],
                {stat: found.get(bin, empty)[stat] for stat in _STATS},
                found.get(bin, empty)["unreadable"],
            )
            for bin in range(count)
        ]
