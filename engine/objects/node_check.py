"""Data-file nodes must agree with the index record their `object_id` names.

A node's `md5sum` and `file_size` describe bytes that Commons checked when
they were uploaded; a submission that says otherwise would put a second,
unchecked truth in the graph. One query reads every named record of the
request, inside the submission's transaction; a record the submitter may
not read is treated as unknown, so its checksum and size stay unsaid.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.graph.store import Transaction
from engine.objects.access import Visibility
from engine.objects.index import LABEL
from engine.submission.entity import Entity
from engine.submission.result import ErrorType


def check_file_records(
    tx: Transaction, entities: Sequence[Entity], visible: Visibility | None = None
) -> None:
    """Add an INVALID_VALUE error to each entity whose object_id, md5sum or file_size is wrong."""
    files = [entity for entity in entities if isinstance(entity.props.get("object_id"), str)]
    if not files:
        return
    condition, params = visible.cypher("r") if visible else ("true", {})
    rows = tx.run(
        f"MATCH (r:`{LABEL}`) WHERE r.did IN $dids AND {condition} "
        "RETURN r.did AS did, r.size AS size, r.hash_md5 AS md5, r.pending AS pending",
        {**params, "dids": sorted({entity.props["object_id"] for entity in files})},
    )
    records = {row["did"]: row for row in rows}
    for entity in files:
        did = entity.props["object_id"]
        record = records.get(did)
        if record is None:
            entity.result.error(
                ErrorType.INVALID_VALUE,
                f"object_id {did}: no index record has this did",
                "object_id",
            )
        elif record["size"] is None or record["pending"]:
            entity.result.error(
                ErrorType.INVALID_VALUE,
                f"object_id {did}: the upload is not complete, so its size and md5 are not known yet",
                "object_id",
            )
        else:
            _compare(entity, did, "md5sum", record["md5"])
            _compare(entity, did, "file_size", record["size"])


def _compare(entity: Entity, did: str, prop: str, recorded: object) -> None:
    given = entity.props.get(prop)
    if given is None or recorded is None:
        return
    if isinstance(given, str):
        given = given.lower()
    if given != recorded:
        entity.result.error(
            ErrorType.INVALID_VALUE,
            f"{prop} {entity.props[prop]} disagrees with index record {did}, which has {recorded}",
            prop,
        )
