"""Synthetic, linked records for every submittable node type of a dictionary.

`commons simulate` exists so a data steward can try a dictionary end to end
(submission, queries, the dashboard) and so tests and benchmarks get data at
any scale, without touching real, often controlled-access, data. Records
come out in import order and link by `submitter_id` only to records made
before them, so submitting the node types in that order succeeds.

Which properties and links to fill comes from the typed model (required
properties, link multiplicities, exclusive and required link groups);
property values come from the resolved schema (see simulate_values).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.dictionary.model import Dictionary, Link, LinkGroup, NodeType
from engine.dictionary.simulate_values import SKIP, ValueMaker
from engine.submission.documents import cell_keeps

Records = dict[str, list[dict[str, Any]]]

# Created by administrators, not by a metadata submission.
ROOT_TYPES = ("program", "project")
# Share of optional properties and optional links that get a value.
FILL_RATE = 0.8
OPTIONAL_LINK_RATE = 0.3
# Most targets one to-many link points to.
MAX_TARGETS = 3
# Tries at drawing a record's properties so that its unique keys are not taken yet.
UNIQUE_DRAWS = 20
# Left out unless required: a made-up GUID would point at no index record.
_UNINDEXED = ("object_id",)


def simulate(
    dictionary: Dictionary,
    count: int,
    seed: int = 0,
    project: str = "simulated",
    skew: float = 0.0,
    per_type: Mapping[str, int] | None = None,
) -> Records:
    """About `count` records per submittable node type below project, by node type in import order.

    `project` is the code of the project the records will be submitted to:
    links to the project node name it. Free text of a key unique across all
    projects starts with `<project>-<seed>_`, so the records of another run
    (another project, or another seed) never take a value this run holds; an
    optional such key of another kind is left out (see _GlobalKeys).
    A node type gets fewer than `count`
    records when its required links run out of targets (e.g. one-to-one
    links), and none when a required target type has no records. `skew`: how unevenly
    values are drawn (see ValueMaker; 0: evenly, as before). `per_type`: a count of
    its own for some node types (a cohort has fewer studies than subjects).
    """
    simulation = _Simulation(random.Random(seed), project, f"{project}-{seed}", skew)
    for name in dictionary.import_order:
        node = dictionary.nodes[name]
        if name not in ROOT_TYPES and node.submittable:
            simulation.add_records(node, (per_type or {}).get(name, count))
    return simulation.records


@dataclass
class _Pool:
    """Targets of a one-to-* link not used yet: each may be picked by one source record only."""

    free: list[int] = field(default_factory=list)
    seen: int = 0

    def refresh(self, total: int) -> None:
        """Targets made since the last look (a self-link's targets grow while records are made)."""
        self.free.extend(range(self.seen, total))
        self.seen = total


class _NodeLinks:
    """A node type's links by name, and which of them every record must fill."""

    def __init__(self, node: NodeType) -> None:
        self.by_name = {link.name: link for link in node.links}
        # Gen3 requires a link marked `required: true` wherever it sits, and one the node's
        # `required` list names (MIDRC's procedure names `cases`, inside an "at least one of"
        # group); the validators want both.
        self.required = {link.name for link in node.links if link.required} | set(node.required)

    def must_fill(self, member: str | LinkGroup) -> bool:
        """Whether every record fills `member`: a required link, or a group holding one or
        required itself (the submission checks a required group wherever it is nested)."""
        if isinstance(member, LinkGroup):
            return member.required or any(self.must_fill(inner) for inner in member.members)
        return member in self.required


class _Simulation:
    def __init__(self, rng: random.Random, project: str, stamp: str, skew: float = 0.0) -> None:
        self.rng = rng
        self.stamp = stamp
        self.values = ValueMaker(rng, skew)
        self.records: Records = {}
        # References to the records made so far, by node type (what links point at).
        self.references: dict[str, list[dict[str, Any]]] = {"project": [{"code": project}]}
        self.pools: dict[tuple[str, str], _Pool] = {}

    def add_records(self, node: NodeType, count: int) -> None:
        rows: list[dict[str, Any]] = []
        # Shared before filling, so a self-link sees the records made so far.
        references = self.references.setdefault(node.name, [])
        width = len(str(count))
        keys = _value_keys(node)
        shared = _global_keys(node)
        taken: set[tuple[tuple[str, ...], str]] = set()
        for index in range(count):
            chosen = self._choose_links(node)
            properties = (
                None if chosen is None else self._unique_properties(node, keys, shared, taken)
            )
            if chosen is None or properties is None:
                break
            record: dict[str, Any] = {
                "type": node.name,
                "submitter_id": f"{node.name}_{index + 1:0{width}d}",
            }
            record.update(properties)
            _name_file(node, record)
            record.update({link.name: self._link_value(node, link) for link in chosen})
            rows.append(record)
            references.append({"submitter_id": record["submitter_id"]})
        if rows:
            self.records[node.name] = rows

    def _unique_properties(
        self,
        node: NodeType,
        keys: list[tuple[str, ...]],
        shared: _GlobalKeys,
        taken: set[tuple[tuple[str, ...], str]],
    ) -> dict[str, Any] | None:
        """Properties whose unique keys no earlier record holds (drawn again when one does);
        None when no such draw comes out: a key over a short enum runs out of values, as a
        one_to_one link runs out of targets. See _GlobalKeys for keys unique across projects."""
        for _ in range(UNIQUE_DRAWS):
            values = self._properties(node, shared.left_out)
            for name in shared.stamped:
                if name in values:
                    values[name] = self._stamped(values[name], node.schema["properties"][name])
            held = {
                (key, repr([values[name] for name in key]))
                for key in keys
                if all(name in values for name in key)
            }
            if not held & taken:
                taken |= held
                return values
        return None

    def _stamped(self, text: str, schema: dict[str, Any]) -> str:
        """`text` with the run's stamp in front, unless that would pass the schema's maxLength."""
        stamped = f"{self.stamp}_{text}"
        return stamped if len(stamped) <= schema.get("maxLength", len(stamped)) else text

    def _properties(self, node: NodeType, left_out: frozenset[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for prop in node.properties.values():
            if prop.system or prop.name in ("type", "submitter_id") or prop.name in left_out:
                continue
            optional_skip = (
                prop.deprecated or prop.name in _UNINDEXED or self.rng.random() >= FILL_RATE
            )
            if not prop.required and optional_skip:
                continue
            value = self.values.value(prop.name, node.schema["properties"][prop.name])
            # An optional value no table cell can hold (an object, an item holding a comma
            # where every item of the enum does) is left out: the records are written as TSV.
            if value is not SKIP and (prop.required or cell_keeps(value)):
                values[prop.name] = value
        return values

    # Links ---------------------------------------------------------------

    def _choose_links(self, node: NodeType) -> list[Link] | None:
        """The links one new record fills; None when a required link or group cannot be met."""
        links = _NodeLinks(node)
        chosen: list[Link] = []
        for link in node.links:
            if link.groups:
                continue
            needed = links.must_fill(link.name)
            if self._available(node, link):
                if needed or self.rng.random() < OPTIONAL_LINK_RATE:
                    chosen.append(link)
            elif needed:
                return None
        for group in node.link_groups:
            names = self._choose_in_group(node, group, links, must=False)
            if names is None:
                return None
            chosen.extend(links.by_name[name] for name in names)
        return chosen

    def _choose_in_group(
        self, node: NodeType, group: LinkGroup, links: _NodeLinks, *, must: bool
    ) -> list[str] | None:
        """Link names filled in `group`; None when its rules cannot be met with the records made.

        At most one member when exclusive, at least one when the group (or the
        group around it) is required, and always the members that must be
        filled (see `_NodeLinks.must_fill`).
        """
        if not self._can_fill(node, group, links):
            return None if must or links.must_fill(group) else []
        forced = [member for member in group.members if links.must_fill(member)]
        options = [member for member in group.members if self._can_fill(node, member, links)]
        if forced:
            picks = forced
            if not group.exclusive:
                picks += [m for m in options if m not in forced and self.rng.random() < 0.5]
        elif group.exclusive:
            wanted = must or group.required or self.rng.random() < OPTIONAL_LINK_RATE
            picks = [self.rng.choice(options)] if wanted else []
        else:
            picks = [member for member in options if self.rng.random() < 0.5]
            if (must or group.required) and not picks:
                picks = [self.rng.choice(options)]
        names: list[str] = []
        for member in picks:
            if isinstance(member, LinkGroup):
                names.extend(self._choose_in_group(node, member, links, must=True) or [])
            else:
                names.append(member)
        return names

    def _can_fill(self, node: NodeType, member: str | LinkGroup, links: _NodeLinks) -> bool:
        """Whether `member` can be filled now: a link with a target left, or a group whose rules
        can be met (every member it must fill, and one of several when exclusive)."""
        if not isinstance(member, LinkGroup):
            return self._available(node, links.by_name[member])
        forced = [inner for inner in member.members if links.must_fill(inner)]
        if forced:
            return (not member.exclusive or len(forced) == 1) and all(
                self._can_fill(node, inner, links) for inner in forced
            )
        return any(self._can_fill(node, inner, links) for inner in member.members)

    def _pool(self, node: NodeType, link: Link) -> _Pool:
        pool = self.pools.setdefault((node.name, link.name), _Pool())
        pool.refresh(len(self.references.get(link.target, ())))
        return pool

    def _available(self, node: NodeType, link: Link) -> bool:
        if link.multiplicity.startswith("one_to_"):
            return bool(self._pool(node, link).free)
        return bool(self.references.get(link.target))

    def _link_value(self, node: NodeType, link: Link) -> dict[str, Any] | list[dict[str, Any]]:
        """A reference for a `*_to_one` link, a list of 1..MAX_TARGETS for a `*_to_many` one."""
        targets = self.references[link.target]
        if link.multiplicity.startswith("one_to_"):
            free = self._pool(node, link).free
            size = (
                1
                if link.multiplicity == "one_to_one"
                else self.rng.randint(1, min(MAX_TARGETS, len(free)))
            )
            picked = [self._take(free) for _ in range(size)]
        else:
            size = (
                1
                if link.multiplicity == "many_to_one"
                else self.rng.randint(1, min(MAX_TARGETS, len(targets)))
            )
            picked = self.rng.sample(range(len(targets)), size)
        references = [dict(targets[index]) for index in picked]
        return references[0] if link.multiplicity.endswith("_to_one") else references

    def _take(self, free: list[int]) -> int:
        """Remove and return a random entry in O(1) (swap with the last)."""
        spot = self.rng.randrange(len(free))
        free[spot], free[-1] = free[-1], free[spot]
        return free.pop()


def _value_keys(node: NodeType) -> list[tuple[str, ...]]:
    """The node's unique keys that its properties alone make (`[name]`, `[project_id, nickname]`),
    without `project_id`, the same for every record; keys with `id` or `submitter_id` are
    unique already."""
    return [
        tuple(name for name in key if name != "project_id")
        for key in node.unique_keys
        if not {"id", "submitter_id"} & set(key) and set(key) != {"project_id"}
    ]


@dataclass(frozen=True)
class _GlobalKeys:
    """Properties of the node's keys unique across all projects (`[doi]`, `[name]`: no
    `project_id`), whose drawn values another run (another project or seed) would repeat.

    Free text (no enum, pattern or format) carries the run's stamp; any other optional one is
    left out, since a number or an enum value cannot be told from another run's. A required one
    is drawn all the same, and may clash with another run's.
    """

    stamped: tuple[str, ...]
    left_out: frozenset[str]


def _global_keys(node: NodeType) -> _GlobalKeys:
    names = {
        name
        for key in node.unique_keys
        if not {"id", "submitter_id", "project_id"} & set(key)
        for name in key
        if name in node.properties
    }
    stamped = tuple(sorted(n for n in names if _free_text(node.schema["properties"][n])))
    return _GlobalKeys(stamped, frozenset(names - set(stamped) - set(node.required)))


def _free_text(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" and not {"enum", "pattern", "format"} & set(schema)


def _name_file(node: NodeType, record: dict[str, Any]) -> None:
    """Name a simulated file after its record and format (`aligned_reads_0007.bam`) when free to."""
    prop = node.properties.get("file_name")
    if (
        prop
        and not prop.pattern
        and isinstance(record.get("data_format"), str)
        and "file_name" in record
    ):
        extension = record["data_format"].lower().replace(" ", "_")
        record["file_name"] = f"{record['submitter_id']}.{extension}"
