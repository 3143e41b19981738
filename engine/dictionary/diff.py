"""What changed between two versions of a dictionary, and which changes break something.

A dictionary is a contract: records stored under the old version must stay
valid, submitters' TSVs and scripts must still be accepted, GraphQL clients
must still find their fields. `commons dictionary diff` shows a steward,
before deploying, which changes break it. A change is breaking when data or
requests valid before may be refused after: something removed or renamed (a
rename shows as a removal and an addition), a value domain narrowed (enum
value dropped, number -> integer, string -> enum, null no longer accepted,
tighter bounds or a new pattern), a new requirement (required property or
link, unique key, stricter link group), or a changed link (target, label,
backref, multiplicity). Additions of optional things and widenings are safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from engine.dictionary.model import Dictionary, Link, LinkGroup, NodeType, Property

ChangeKind = Literal["added", "removed", "changed"]

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    # node, property, enum value, type, required, link, link group, category, unique key
    what: str
    # Where: `node`, `node.property`, `node.links.name`, `node.links[a|b]`.
    path: str
    detail: str
    breaking: bool


def diff_dictionaries(old: Dictionary, new: Dictionary) -> list[Change]:
    """Every difference that matters to data or clients, node by node (descriptions are ignored)."""
    changes = [
        Change("removed", "node", name, f"node type {name} ({old.nodes[name].category})", True)
        for name in sorted(old.nodes.keys() - new.nodes.keys())
    ]
    changes += [
        Change("added", "node", name, f"node type {name} ({new.nodes[name].category})", False)
        for name in sorted(new.nodes.keys() - old.nodes.keys())
    ]
    for name in sorted(old.nodes.keys() & new.nodes.keys()):
        changes += _node_changes(old.nodes[name], new.nodes[name])
    return changes


def _node_changes(old: NodeType, new: NodeType) -> list[Change]:
    name = new.name
    changes: list[Change] = []
    if old.category != new.category:
        changes.append(
            Change("changed", "category", name, f"{old.category} -> {new.category}", False)
        )
    if old.submittable != new.submittable:
        detail = "now submittable" if new.submittable else "no longer submittable"
        changes.append(Change("changed", "node", name, detail, not new.submittable))
    if old.additional_properties and not new.additional_properties:
        changes.append(Change("changed", "node", name, "additionalProperties now false", True))
    for key in sorted(set(old.unique_keys) - set(new.unique_keys)):
        changes.append(Change("removed", "unique key", name, f"[{', '.join(key)}]", True))
    for key in sorted(set(new.unique_keys) - set(old.unique_keys)):
        changes.append(Change("added", "unique key", name, f"[{', '.join(key)}]", True))
    for prop in old.properties.keys() - new.properties.keys():
        changes.append(
            Change("removed", "property", f"{name}.{prop}", _describe(old.properties[prop]), True)
        )
    for prop in new.properties.keys() - old.properties.keys():
        added = new.properties[prop]
        detail = ("required " if added.required else "optional ") + _describe(added)
        changes.append(Change("added", "property", f"{name}.{prop}", detail, added.required))
    for prop in old.properties.keys() & new.properties.keys():
        changes += _property_changes(f"{name}.{prop}", old.properties[prop], new.properties[prop])
    changes.sort(key=lambda change: change.path)
    return changes + _link_changes(old, new) + _group_changes(old, new)


# Properties ----------------------------------------------------------------


def _describe(prop: Property) -> str:
    if prop.kind == "array" and prop.item_kind:
        return f"array of {prop.item_kind}"
    return prop.kind


def _covers(types: tuple[str, ...], json_type: str) -> bool:
    """Whether a schema accepting `types` accepts values of `json_type` (no types: anything)."""
    return not types or json_type in types or (json_type == "integer" and "number" in types)


def _property_changes(path: str, old: Property, new: Property) -> list[Change]:
    changes = _domain_changes(path, old, new)
    if old.required != new.required:
        detail = "now required" if new.required else "no longer required"
        changes.append(Change("changed", "required", path, detail, new.required))
    if old.deprecated != new.deprecated:
        detail = "now deprecated" if new.deprecated else "no longer deprecated"
        changes.append(Change("changed", "property", path, detail, False))
    return changes


def _domain_changes(path: str, old: Property, new: Property) -> list[Change]:
    """Changes to the values a property accepts: null, types, enum values, items, bounds, pattern, format."""
    changes = []
    if old.types and new.types and ("null" in old.types) != ("null" in new.types):
        accepts = "null" in new.types
        detail = "now accepts null" if accepts else "no longer accepts null"
        changes.append(Change("changed", "type", path, detail, not accepts))
    changes += _kind_changes(path, old.kind, new.kind, _real(old.types), _real(new.types))
    if old.kind == new.kind == "enum":
        changes += _enum_changes(path, old.enum, new.enum)
    if old.kind == new.kind == "array" and old.item_kind and new.item_kind:
        item_types = (_item_types(old), _item_types(new))
        changes += _kind_changes(f"{path}[]", old.item_kind, new.item_kind, *item_types)
        if old.item_kind == new.item_kind == "enum":
            changes += _enum_changes(f"{path}[]", old.item_enum, new.item_enum)
    changes += _bound_changes(path, old, new)
    for attribute in ("pattern", "format"):
        before, after = getattr(old, attribute), getattr(new, attribute)
        if before != after:
            detail = f"{attribute} {before or 'none'} -> {after or 'none'}"
            changes.append(Change("changed", "type", path, detail, after is not None))
    return changes


def _real(types: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in types if name != "null")


def _item_types(prop: Property) -> tuple[str, ...]:
    """JSON types of an array's items, as far as the Property tells (enum values' types, or the kind)."""
    if prop.item_kind == "enum":
        return tuple(sorted({_JSON_TYPES.get(type(value), "object") for value in prop.item_enum}))
    return (prop.item_kind,) if prop.item_kind else ()


def _kind_changes(
    path: str, old_kind: str, new_kind: str, old_types: tuple[str, ...], new_types: tuple[str, ...]
) -> list[Change]:
    """A change of kind or JSON types (null aside); narrowing (e.g. number -> integer, string -> enum) breaks."""
    if old_kind == new_kind == "enum":
        return []
    if new_kind == "enum":
        return [Change("changed", "type", path, f"{old_kind} -> enum", True)]
    if old_kind == "enum":
        widened = all(_covers(new_types, name) for name in old_types)
        return [Change("changed", "type", path, f"enum -> {new_kind}", not widened)]
    if old_types == new_types:
        return []
    lost = [name for name in old_types if not _covers(new_types, name)]
    detail = f"{'|'.join(old_types) or 'any'} -> {'|'.join(new_types) or 'any'}"
    return [
        Change("changed", "type", path, detail, bool(lost) or (bool(new_types) and not old_types))
    ]


def _enum_changes(path: str, old: tuple[Any, ...], new: tuple[Any, ...]) -> list[Change]:
    removed = [
        Change("removed", "enum value", path, repr(value), True)
        for value in old
        if value not in new
    ]
    return removed + [
        Change("added", "enum value", path, repr(value), False) for value in new if value not in old
    ]


def _bound_changes(path: str, old: Property, new: Property) -> list[Change]:
    changes = []
    for side, sign in (("minimum", 1), ("maximum", -1)):
        before = getattr(old, side), getattr(old, f"exclusive_{side}")
        after = getattr(new, side), getattr(new, f"exclusive_{side}")
        if before == after:
            continue
        if after[0] is None:
            tighter = False
        elif before[0] is None:
            tighter = True
        else:
            tighter = sign * after[0] > sign * before[0] or (after[0] == before[0] and after[1])
        detail = f"{side} {_bound_text(*before)} -> {_bound_text(*after)}"
        changes.append(Change("changed", "type", path, detail, tighter))
    return changes


def _bound_text(bound: float | None, exclusive: bool) -> str:
    return "none" if bound is None else f"{bound:g}{' (exclusive)' if exclusive else ''}"


# Links -------------------------------------------------------------------


def _link_changes(old: NodeType, new: NodeType) -> list[Change]:
    before = {link.name: link for link in old.links}
    after = {link.name: link for link in new.links}
    changes = []
    for name in sorted(before.keys() - after.keys()):
        link = before[name]
        changes.append(
            Change("removed", "link", f"{new.name}.links.{name}", f"to {link.target}", True)
        )
    for name in sorted(after.keys() - before.keys()):
        link = after[name]
        detail = (
            f"{'required' if link.required else 'optional'} {link.multiplicity} to {link.target}"
        )
        changes.append(Change("added", "link", f"{new.name}.links.{name}", detail, link.required))
    for name in sorted(before.keys() & after.keys()):
        changes += _changed_link(f"{new.name}.links.{name}", before[name], after[name])
    return changes


def _changed_link(path: str, old: Link, new: Link) -> list[Change]:
    changes = [
        Change(
            "changed",
            "link",
            path,
            f"{attribute} {getattr(old, attribute)} -> {getattr(new, attribute)}",
            True,
        )
        for attribute in ("target", "backref", "label", "multiplicity")
        if getattr(old, attribute) != getattr(new, attribute)
    ]
    if old.required != new.required:
        detail = "now required" if new.required else "no longer required"
        changes.append(Change("changed", "required", path, detail, new.required))
    return changes


@dataclass(frozen=True)
class _Shape:
    """A link group compared by what it says, not by its position in the file."""

    exclusive: bool
    required: bool
    members: frozenset[str | _Shape]

    @property
    def links(self) -> frozenset[str]:
        return frozenset(
            name
            for member in self.members
            for name in (member.links if isinstance(member, _Shape) else [member])
        )

    def text(self) -> str:
        parts = sorted(
            member.text() if isinstance(member, _Shape) else member for member in self.members
        )
        rule = (
            ("exactly one" if self.required else "at most one")
            if self.exclusive
            else ("at least one" if self.required else "any")
        )
        return f"{rule} of ({', '.join(parts)})"


def _shape(group: LinkGroup) -> _Shape:
    members = frozenset(
        _shape(member) if isinstance(member, LinkGroup) else member for member in group.members
    )
    return _Shape(group.exclusive, group.required, members)


def _group_changes(old: NodeType, new: NodeType) -> list[Change]:
    """Link groups added, dropped or changed; a changed group is matched by the links it shares.

    A changed group is safe only when it loosens: it is not newly required
    or exclusive, a required group keeps every old way to satisfy it, and an
    exclusive group gains no member that could now conflict. A change to a
    group holding nested groups is not analysed further: it is reported as
    breaking, so a steward looks at it.
    """
    before = [_shape(group) for group in old.link_groups]
    after = [_shape(group) for group in new.link_groups]
    unmatched = [shape for shape in before if shape not in after]
    changes = []
    for shape in after:
        if shape in before:
            continue
        path = f"{new.name}.links[{'|'.join(sorted(shape.links))}]"
        match = max(
            unmatched, key=lambda old_shape: len(old_shape.links & shape.links), default=None
        )
        if match is None or not match.links & shape.links:
            changes.append(
                Change("added", "link group", path, shape.text(), shape.required or shape.exclusive)
            )
            continue
        unmatched.remove(match)
        changes.append(
            Change(
                "changed",
                "link group",
                path,
                f"{match.text()} -> {shape.text()}",
                not _loosens(match, shape),
            )
        )
    for shape in unmatched:
        path = f"{new.name}.links[{'|'.join(sorted(shape.links))}]"
        changes.append(Change("removed", "link group", path, shape.text(), False))
    return changes


def _loosens(old: _Shape, new: _Shape) -> bool:
    if (new.required and not old.required) or (new.exclusive and not old.exclusive):
        return False
    if any(isinstance(member, _Shape) for member in old.members | new.members):
        return False
    if new.required and not old.links <= new.links:
        return False
    return not (new.exclusive and not new.links <= old.links)
