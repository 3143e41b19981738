"""Checks across a node file that a JSON Schema cannot express.

The metaschema says each part has the right shape; these say the parts
agree: links point at node types that exist, `required` and `uniqueKeys`
name things the node has, and link groups can be satisfied.

Two disagreements that Gen3 loads are warnings, served as Gen3 serves them:
a system property that is not a property (ignored: Gen3 serves only
properties), and a required link or group inside a link group (it must
always be given, as Gen3's link validator requires; in an exclusive group
that leaves no room for the other members).
"""

from __future__ import annotations

from typing import Any

from engine.dictionary.errors import ErrorList
from engine.dictionary.links import ParsedLinks
from engine.dictionary.model import LinkGroup


def check_node(
    file: str,
    document: dict[str, Any],
    parsed: ParsedLinks,
    node_types: set[str],
    errors: ErrorList,
) -> None:
    """Report every cross-reference problem of one node file (already valid against the metaschema)."""
    properties = set(document["properties"])
    link_names = {link.name for link in parsed.links}
    for link, site in zip(parsed.links, parsed.sites, strict=True):
        if link.target not in node_types:
            errors.add(file, (*site.path, "target_type"), f"'{link.target}' is not a node type")
    for index, name in enumerate(document.get("required", [])):
        if name not in properties and name not in link_names:
            errors.add(file, ("required", index), f"'{name}' is not a property or link")
    for index, key in enumerate(document.get("uniqueKeys", [])):
        for position, name in enumerate(key):
            if name not in properties:
                errors.add(file, ("uniqueKeys", index, position), f"'{name}' is not a property")
    for index, name in enumerate(document.get("systemProperties", [])):
        if name not in properties:
            errors.warn(
                file,
                ("systemProperties", index),
                f"'{name}' is not a property, so it is ignored (as Gen3 does)",
            )
    _check_groups(parsed, parsed.groups, errors)


def _check_groups(parsed: ParsedLinks, groups: tuple[LinkGroup, ...], errors: ErrorList) -> None:
    """A required member of a group must be given whatever the group says; in an exclusive group
    (at most one member) that forbids the others."""
    for group in groups:
        nested = tuple(member for member in group.members if isinstance(member, LinkGroup))
        others = (
            "so no other member of this exclusive group can be"
            if group.exclusive
            else "whatever its group allows"
        )
        for member in nested:
            if member.required and group.exclusive:
                site = parsed.group_sites[member.id]
                errors.warn(
                    site.file,
                    (*site.path, "required"),
                    f"a required group inside a link group: one of its links must always be given, {others}",
                )
        for link, site in zip(parsed.links, parsed.sites, strict=True):
            if link.required and link.groups and link.groups[-1] == group.id:
                errors.warn(
                    site.file,
                    (*site.path, "required"),
                    f"a required link inside a link group: '{link.name}' must always be linked, {others}",
                )
        _check_groups(parsed, nested, errors)
