"""Checks across a node file that a JSON Schema cannot express.

The metaschema says each part has the right shape; these say the parts
agree: links point at node types that exist, `required` and `uniqueKeys`
name things the node has, and link groups can be satisfied.
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
            errors.add(file, ("systemProperties", index), f"'{name}' is not a property")
    _check_exclusive_groups(parsed, parsed.groups, errors)


def _check_exclusive_groups(
    parsed: ParsedLinks, groups: tuple[LinkGroup, ...], errors: ErrorList
) -> None:
    """In an exclusive group at most one member may be given, so no member may be required on its own."""
    for group in groups:
        nested = tuple(member for member in group.members if isinstance(member, LinkGroup))
        if group.exclusive:
            for member in nested:
                if member.required:
                    site = parsed.group_sites[member.id]
                    errors.add(
                        site.file,
                        (*site.path, "required"),
                        "a required group cannot be inside an exclusive group",
                    )
            for link, site in zip(parsed.links, parsed.sites, strict=True):
                if link.required and link.groups and link.groups[-1] == group.id:
                    errors.add(
                        site.file,
                        (*site.path, "required"),
                        "a required link cannot be inside an exclusive group",
                    )
        _check_exclusive_groups(parsed, nested, errors)
