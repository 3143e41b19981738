"""A PFB file cut into PFB bodies of `batch` entities each, in import order: `commons submit`.

Each body is one request, so one transaction, as a table's chunks are. Two
things make the cut more than slicing:

- Order: a batch may only link to what an earlier batch wrote, so entities
  go in the dictionary's import order. A file already in that order (Commons
  writes its exports so) is read once; any other file once per node type.
- Ids: a PFB Commons wrote names parents by their node ids, which the target
  project does not have. A relation to an entity sent in an earlier batch is
  renamed to that entity's submitter_id, which the project now holds. Only
  ids that differ from their submitter_id are remembered.

Program and project records are left out, as the server leaves them out.
Records are copied as read (enums stay escaped), under the file's own schema.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro import block_reader, parse_schema
from fastavro import reader as avro_reader
from fastavro import writer as avro_writer

from engine.pfb.read import NOT_SUBMITTED


@dataclass(frozen=True)
class Batch:
    body: bytes
    # Where each entity of the body is in the file: its record number (the Metadata record is 1).
    records: list[int]


def count_entities(path: Path) -> int:
    """The entities of a PFB file, the Metadata record aside, counted from its block headers."""
    with path.open("rb") as handle:
        return max(sum(block.num_records for block in block_reader(handle)) - 1, 0)


def _read(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(record number, record) of every entity, `object` as (node name, values)."""
    with path.open("rb") as handle:
        records = avro_reader(handle, return_record_name=True, return_record_name_override=True)
        next(records, None)
        yield from enumerate(records, 2)


def _in_order(
    path: Path, rank: dict[str, int], schema_name: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The entities in import order (types the dictionary lacks last, for the server to name).

    The order is read with a reader schema of the `name` alone (under the file's own record
    name, `schema_name`): the records' objects are skipped, not built, which more than halves the
    pass that comes before the first batch is sent."""
    last = len(rank)
    names_only = {
        "type": "record",
        "name": schema_name,
        "fields": [{"name": "name", "type": "string"}],
    }
    with path.open("rb") as handle:
        records = avro_reader(handle, reader_schema=names_only)
        next(records, None)
        ranks = [rank.get(record["name"], last) for record in records]
    if all(a <= b for a, b in itertools.pairwise(ranks)):
        yield from _read(path)
        return
    for wanted in sorted(set(ranks)):
        for (number, record), kind in zip(_read(path), ranks, strict=True):
            if kind == wanted:
                yield number, record


def pfb_batches(path: Path, batch: int, order: Sequence[str]) -> Iterator[Batch]:
    """The file's entities as PFB bodies of up to `batch` entities, in `order` (import order)."""
    with path.open("rb") as handle:
        head = avro_reader(handle, return_record_name=True, return_record_name_override=True)
        schema = parse_schema(head.writer_schema)
        metadata = next(head, None)
    if metadata is None:
        return
    renamed: dict[tuple[str, str], str] = {}  # (type, file id) -> submitter_id, once sent
    rank = {name: position for position, name in enumerate(order)}
    schema_name = head.writer_schema.get("name", "") if isinstance(head.writer_schema, dict) else ""
    wanted = (
        (number, record)
        for number, record in _in_order(path, rank, schema_name)
        if record["name"] not in NOT_SUBMITTED
    )
    while chunk := list(itertools.islice(wanted, batch)):
        for _, record in chunk:
            record["relations"] = [
                {**rel, "dst_id": renamed.get((rel["dst_name"], rel["dst_id"]), rel["dst_id"])}
                for rel in record["relations"]
            ]
        out = io.BytesIO()
        avro_writer(out, schema, [metadata, *(record for _, record in chunk)])
        yield Batch(out.getvalue(), [number for number, _ in chunk])
        for _, record in chunk:
            values = record["object"][1] if isinstance(record["object"], tuple) else {}
            submitter_id = values.get("submitter_id")
            if record["id"] is not None and submitter_id not in (None, record["id"]):
                renamed[(record["name"], record["id"])] = submitter_id
