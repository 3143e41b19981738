"""Edges: every field a node type can be traversed by, read from both ends of each link.

A link `s.name -> t` gives `s` the outgoing edge `name` and `t` the incoming
edge `backref`. GraphQL fields, Cypher patterns and submission all look a
field up by name on one node type, so a name must mean one thing there:
clashes between properties, link names and backrefs are reported here. The
one exception is a self-link whose backref is its own name (`related` on
`sample -> sample`): both ends are the same field, one edge walked both ways.

A backref named as a property of its target is a warning, not an error:
GDC-style dictionaries declare a "reverse link" property (`files` on
`archive`, shaped like a link) next to the backref of the same name, and
Gen3 loads them, its backref replacing the property. Commons does the same:
the property is not served.
"""

from __future__ import annotations

from engine.dictionary.errors import ErrorList, json_path
from engine.dictionary.links import ParsedLinks
from engine.dictionary.model import Edge, Multiplicity

_REVERSED: dict[str, Multiplicity] = {
    "one_to_one": "one_to_one",
    "one_to_many": "many_to_one",
    "many_to_one": "one_to_many",
    "many_to_many": "many_to_many",
}


def reverse_multiplicity(multiplicity: Multiplicity) -> Multiplicity:
    """The multiplicity read from the target's side: many_to_one becomes one_to_many."""
    return _REVERSED[multiplicity]


def build_edges(
    properties: dict[str, set[str]], links: dict[str, ParsedLinks], errors: ErrorList
) -> dict[str, dict[str, Edge]]:
    """Edges by node type and field name; `properties` holds each node's non-link property names."""
    edges: dict[str, dict[str, Edge]] = {node: {} for node in properties}
    # What already owns each field name of each node, in words for the error messages.
    owners: dict[str, dict[str, str]] = {
        node: dict.fromkeys(names, "a property") for node, names in properties.items()
    }
    for node in sorted(links):
        parsed = links[node]
        for link, site in zip(parsed.links, parsed.sites, strict=True):
            if link.name in edges[node]:
                first = parsed.sites[parsed.links.index(edges[node][link.name].link)]
                errors.add(
                    site.file,
                    (*site.path, "name"),
                    f"'{link.name}' is already the name of {json_path(first.path)}",
                )
                continue
            edges[node][link.name] = Edge(
                link.name, link.relationship, "out", link.target, link.multiplicity, link
            )
            owners[node][link.name] = "a link"
    for node in sorted(links):
        parsed = links[node]
        for link, site in zip(parsed.links, parsed.sites, strict=True):
            own = edges[node].get(link.name)
            if link.target not in edges or own is None or own.link is not link:
                continue  # unknown target or a duplicate name, both reported elsewhere
            if link.target == node and link.backref == link.name:
                edges[node][link.name] = Edge(
                    link.name, link.relationship, "both", node, link.multiplicity, link
                )
                continue
            owner = owners[link.target].get(link.backref)
            if owner == "a property":
                errors.warn(
                    site.file,
                    (*site.path, "backref"),
                    f"'{link.backref}' is also a property of {link.target}; the backref replaces "
                    "it (as in Gen3), so the property is not served",
                )
            elif owner:
                errors.add(
                    site.file,
                    (*site.path, "backref"),
                    f"'{link.backref}' is already a field of {link.target} ({owner})",
                )
                continue
            edges[link.target][link.backref] = Edge(
                link.backref,
                link.relationship,
                "in",
                node,
                reverse_multiplicity(link.multiplicity),
                link,
            )
            owners[link.target][link.backref] = f"the backref of {node}.{link.name}"
    return edges
