"""`links:` of a node file -> flat `Link`s (with their group path) and the `LinkGroup` tree.

Gen3 nests links in `subgroup`s to say "at least one of" (`required`) and
"at most one of" (`exclusive`). Most code only asks "which links does this
node have", so links are kept flat, each knowing the groups around it, and
the tree is kept beside them for the submission checks that need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.dictionary.model import Link, LinkGroup


@dataclass(frozen=True)
class Site:
    """Where something was written: the file and the JSON path in it, for error messages."""

    file: str
    path: tuple[str | int, ...]


@dataclass(frozen=True)
class ParsedLinks:
    links: tuple[Link, ...]
    groups: tuple[LinkGroup, ...]
    # Where each link of `links` was written, in the same order.
    sites: tuple[Site, ...]
    # Where each group was written, by group id.
    group_sites: dict[int, Site]


def parse_links(node: str, file: str, entries: list[dict[str, Any]]) -> ParsedLinks:
    """Flatten `entries` (already checked against the metaschema) depth-first, in file order.

    Group ids count from 0 in the order the groups appear, so they are stable
    for a given file.
    """
    links: list[Link] = []
    sites: list[Site] = []
    group_sites: dict[int, Site] = {}

    def walk(
        items: list[dict[str, Any]], path: tuple[str | int, ...], groups: tuple[int, ...]
    ) -> tuple:
        members: list[str | LinkGroup] = []
        for index, entry in enumerate(items):
            where = (*path, index)
            if "subgroup" in entry:
                group_id = len(group_sites)
                group_sites[group_id] = Site(file, where)
                inner = walk(entry["subgroup"], (*where, "subgroup"), (*groups, group_id))
                members.append(LinkGroup(group_id, entry["exclusive"], entry["required"], inner))
            else:
                links.append(
                    Link(
                        name=entry["name"],
                        source=node,
                        target=entry["target_type"],
                        backref=entry["backref"],
                        label=entry["label"],
                        multiplicity=entry["multiplicity"],
                        required=entry["required"],
                        groups=groups,
                    )
                )
                sites.append(Site(file, where))
                members.append(entry["name"])
        return tuple(members)

    top = walk(entries, ("links",), ())
    return ParsedLinks(
        links=tuple(links),
        groups=tuple(member for member in top if isinstance(member, LinkGroup)),
        sites=tuple(sites),
        group_sites=group_sites,
    )
