"""Fetched documents -> the file sheepdog's `/export` answers, named and packed as sheepdog does.

Sheepdog (sheepdog/utils/transforms/graph_to_doc.py, `ExportFile`) answers
an export of one node type with `<type>.<format>`, and an export by ids that
spans several types with `gdc_export_<sha>.json` (one list) or
`gdc_export_<sha>.tar.gz` (one table per type): a table holds one type's
columns, so the types are never squeezed into one. `without_id` leaves the
entities' ids out, links named by their targets' submitter_ids alone, so
the file can be submitted again as new entities.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from engine.dictionary.model import Dictionary, NodeType
from engine.submission.tabular import write_table

# Sheepdog's SUPPORTED_FORMATS, in its order, as its error message lists them.
EXPORT_FORMATS = ("csv", "tsv", "json")
DELIMITED = {"tsv": ("\t", "text/tab-separated-values"), "csv": (",", "text/csv")}
TARBALL = "application/gzip"
JSON = "application/json"


@dataclass(frozen=True)
class ExportFile:
    """What an export answers: a file name for Content-Disposition, its media type, its body."""

    filename: str
    media_type: str
    content: bytes | Iterator[str]


def unsupported(fmt: str, formats: Iterable[str] = EXPORT_FORMATS) -> str:
    """Sheepdog's message for a format it does not write (cdiserrors' UnsupportedError)."""
    return f"Format {fmt} is not supported; supported formats are: {','.join(formats)}."


def _without_ids(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` without its id, its links naming their targets without theirs."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != "id"}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    return {key: strip(value) for key, value in doc.items() if key != "id"}


def _json(docs: list[dict[str, Any]], without_id: bool) -> list[dict[str, Any]]:
    return [_without_ids(doc) for doc in docs] if without_id else docs


def _table(node: NodeType, docs: list[dict[str, Any]], fmt: str, without_id: bool) -> Iterator[str]:
    delimiter = DELIMITED[fmt][0]
    return write_table(node, docs, delimiter, include_system=True, without_id=without_id)


def node_export(
    node: NodeType, docs: list[dict[str, Any]], fmt: str, *, without_id: bool = False
) -> ExportFile:
    """Every entity of one type (`node_label=`): `{"data": [...]}` or one table."""
    filename = f"{node.name}.{fmt}"
    if fmt == "json":
        return ExportFile(filename, JSON, orjson.dumps({"data": _json(docs, without_id)}))
    return ExportFile(filename, DELIMITED[fmt][1], _table(node, docs, fmt, without_id))


def _by_type(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The documents grouped by type, types in the order they first appear."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        groups.setdefault(doc["type"], []).append(doc)
    return groups


def _tarball(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in members.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def ids_export(
    dictionary: Dictionary, docs: list[dict[str, Any]], fmt: str, *, without_id: bool = False
) -> ExportFile:
    """The entities named by `ids=` (at least one): a list, one table, or a tarball of tables."""
    groups = _by_type(docs)
    if len(groups) == 1:
        (node_type,) = groups
        single = f"{node_type}.{fmt}"
        if fmt == "json":
            return ExportFile(single, JSON, orjson.dumps(_json(docs, without_id)))
        node = dictionary.nodes[node_type]
        return ExportFile(single, DELIMITED[fmt][1], _table(node, docs, fmt, without_id))
    digest = hashlib.sha256("\n".join(doc["id"] for doc in docs).encode()).hexdigest()
    if fmt == "json":
        return ExportFile(f"gdc_export_{digest}.json", JSON, orjson.dumps(_json(docs, without_id)))
    members = {
        f"{node_type}.{fmt}": "".join(_table(dictionary.nodes[node_type], group, fmt, without_id))
        for node_type, group in groups.items()
    }
    return ExportFile(f"gdc_export_{digest}.tar.gz", TARBALL, _tarball(members))
