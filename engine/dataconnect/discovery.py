"""The metadata service's discovery records as the table `commons.discovery_metadata`.

A row per MDS record whose `_guid_type` is `discovery_metadata` (the
records the Discovery page lists): its `guid`, then one column per top-level
field of its `gen3_discovery` study. Gen3 fixes no schema for a study (each
commons writes its own fields), so the columns are derived from the records
present when the table is read: the union of their top-level study fields,
each typed by the JSON values it holds (integers and numbers are `number`;
a field holding several kinds lists them all; objects and lists are typed
`object` and `array`). The `data_model` therefore follows the studies
published, and is the same on every page of a sequence while they do not
change.

The rows are read whole, not by Cypher: the discovery records are found by
the store's indexed `_guid_type` key (engine/metadata/store.py), at most
MAX_STUDIES of them, and the search (engine/dataconnect/held.py) runs over
them in memory. Conditions, sorting and aggregates take scalar and list
fields; an object field can only be selected. Who may read the table is
MDS's rule (MDS_READ): everyone, or with `authz` only callers with `access`
on `/mds_metadata_queries` for `mds_gateway`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import State

from engine.api.metadata import READ_RESOURCE, reads_metadata
from engine.auth.principal import Principal
from engine.dataconnect.errors import DataConnectError
from engine.dataconnect.tables import CATALOG, Column, HeldTable
from engine.dictionary.model import NodeType, Property
from engine.dictionary.properties import json_type
from engine.metadata import discovery
from engine.metadata.filters import parse_filters
from engine.metadata.store import MAX_LIMIT, MetadataStore

NAME = f"{CATALOG}.{discovery.DISCOVERY_TYPE}"
GUID = "guid"
# The studies one read may hold: past this the table is refused, so no request reads unbounded.
MAX_STUDIES = 10_000
DESCRIPTION = (
    "The metadata service's discovery records (_guid_type discovery_metadata): the guid and "
    "the top-level fields of each gen3_discovery study."
)


def _kinds(values: list[Any]) -> tuple[str, ...]:
    found = {json_type(value) for value in values if value is not None}
    if {"integer", "number"} <= found:
        found.discard("integer")
    return tuple(sorted(found))


def field_property(name: str, values: list[Any]) -> Property:
    """A study field as a column, typed by the values it holds: one kind; several scalar kinds
    (`enum` without values: compared with any value); an object or list among them (`object`)."""
    kinds = _kinds(values)
    if len(kinds) == 1:
        kind = kinds[0]
    elif {"object", "array"} & set(kinds):
        kind = "object"
    else:
        kind = "enum" if kinds else "string"
    items = [item for value in values if isinstance(value, list) for item in value]
    item_kinds = _kinds(items) if kind == "array" else ()
    return Property(
        name,
        kind,  # type: ignore[arg-type]
        types=kinds,
        item_kind=item_kinds[0] if len(item_kinds) == 1 else None,  # type: ignore[arg-type]
        description=f"The study's `{name}` (gen3_discovery.{name}).",
    )


def study_node(studies: list[dict[str, Any]]) -> NodeType:
    """The node type a snapshot's columns are read from: `guid`, then each study field by name."""
    values: dict[str, list[Any]] = {}
    for study in studies:
        for key, value in study.items():
            if key != GUID:
                values.setdefault(key, []).append(value)
    properties = {GUID: Property(GUID, "string", types=("string",), description="The MDS guid.")}
    properties |= {name: field_property(name, found) for name, found in sorted(values.items())}
    return NodeType(
        name=discovery.DISCOVERY_TYPE,
        title="Discovery metadata",
        category="metadata",
        description=DESCRIPTION,
        submittable=False,
        additional_properties=True,
        properties=properties,
        required=(GUID,),
        system_properties=(),
        unique_keys=((GUID,),),
        links=(),
        link_groups=(),
        edges={},
    )


def _studies(store: MetadataStore) -> list[dict[str, Any]]:
    """Every discovery record as a row (guid + its study's fields), in guid order; bounded."""
    rows: list[dict[str, Any]] = []
    filters = parse_filters([("_guid_type", discovery.DISCOVERY_TYPE)])
    while len(rows) <= MAX_STUDIES:
        page = store.query(filters, limit=MAX_LIMIT, offset=len(rows), data=True)
        assert isinstance(page, dict)
        for guid, blob in page.items():
            study = blob.get(discovery.FIELD)
            rows.append({**(study if isinstance(study, dict) else {}), GUID: guid})
        if len(page) < MAX_LIMIT:
            return rows
    raise DataConnectError(
        f"{NAME} holds more than {MAX_STUDIES} studies, more than one search reads here; "
        "use the metadata service's own queries (GET /mds/metadata)"
    )


@dataclass(frozen=True)
class DiscoveryTable:
    """The registry's entry: its name and description; its columns and rows read per request."""

    state: State
    name: str = NAME
    description: str = DESCRIPTION

    def snapshot(self, who: Principal) -> HeldTable:
        """The table as the records are now, for a caller MDS_READ lets read them."""
        if self.state.settings.mds_read == "authz" and not reads_metadata(who):
            who.refuse(f"'access' or 'read' on {READ_RESOURCE}")
        rows = _studies(MetadataStore(self.state.stores.graph))
        node = study_node(rows)
        columns = {name: Column(name, prop=prop) for name, prop in node.properties.items()}
        return HeldTable(self.name, node, columns, key=GUID, rows=tuple(rows))
