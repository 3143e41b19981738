"""The facets of a node type: which fields exploration can count and chart, and how.

Guppy knows two kinds of field, text (counted by value) and number
(histograms with ranges and stats); booleans and datetimes are counted by
value too. A list property (`consent_codes`) is counted by its items, as
Elasticsearch does with array fields. Object properties have no single value
to count, so they are left out. The aggregations, the guppy schema and the
dashboard all ask this module, so they agree on what a facet is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from engine.dictionary.model import NodeType, Property

FacetKind = Literal["text", "number", "boolean"]
# The bucket key of records without a value, as guppy names it.
MISSING = "no data"

_KINDS: dict[str, FacetKind] = {
    "string": "text",
    "enum": "text",
    "datetime": "text",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
}


@dataclass(frozen=True)
class Facet:
    name: str
    kind: FacetKind
    # A list property: counted by its items.
    array: bool = False
    # The values an enum allows, in dictionary order.
    enum: tuple[Any, ...] = ()
    # A linked type's property (`demographic.sex`): that type (engine/query/linked.py).
    linked: str | None = None

    @property
    def prop(self) -> str:
        """The property counted: the name itself, or what follows the type of a linked facet."""
        return self.name.rpartition(".")[2] if self.linked else self.name

    @property
    def numeric(self) -> bool:
        return self.kind == "number"


def _facet(prop: Property) -> Facet | None:
    array = prop.kind == "array"
    kind = _KINDS.get(str(prop.item_kind) if array else prop.kind)
    if kind is None:
        return None
    return Facet(prop.name, kind, array=array, enum=prop.item_enum if array else prop.enum)


def facets(node: NodeType) -> dict[str, Facet]:
    """Facets by name: `id` and `project_id` first, then properties in dictionary order."""
    found = {"id": Facet("id", "text"), "project_id": Facet("project_id", "text")}
    for prop in node.properties.values():
        facet = _facet(prop)
        if facet is not None and prop.name != "type":
            found[prop.name] = facet
    return found
