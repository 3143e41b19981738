"""Discovery studies: MDS records holding a `gen3_discovery` blob, tied to the graph they describe.

A study names its project by `project_id`, or by a dbGaP accession that a
project holds as `dbgap_accession_number` (`phs000123.v1.p1` names
`phs000123` too). The record is linked to that `project` node when it is
written, so a study page can count the project's subjects and files live,
from the graph, with no copy to go stale. A study written before its
project exists is linked when it is written again.

The aggregate read shapes (AggMDS, uc-cdis/metadata-service
src/mds/agg_mds/) are served over this commons' own studies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from engine.dictionary.compile import CompiledDictionary
from engine.dictionary.properties import json_type
from engine.graph.store import GraphStore, Transaction
from engine.metadata.schema import DESCRIBES, RECORD

DISCOVERY_TYPE = "discovery_metadata"
FIELD = "gen3_discovery"
ACCESSION_FIELDS = ("dbgap_accession_number", "dbgap_accession", "study_accession")
SUBJECT_TYPES = ("subject", "case")  # what Gen3 dictionaries call a study's participants
FILE_CATEGORIES = ("data_file", "index_file", "metadata_file")

_UNLINK = f"UNWIND $guids AS guid MATCH (:`{RECORD}` {{guid: guid}})-[e:`{DESCRIBES}`]->() DELETE e"
_LINK = (
    f"UNWIND $rows AS row MATCH (r:`{RECORD}` {{guid: row.guid}}) MATCH (p:`project`) "
    "WHERE p.project_id = row.project_id OR p.dbgap_accession_number IN row.accessions "
    f"MERGE (r)-[:`{DESCRIBES}`]->(p)"
)
_PROJECT = (
    f"MATCH (r:`{RECORD}` {{guid: $guid}}) OPTIONAL MATCH (r)-[:`{DESCRIBES}`]->(p:`project`) "
    "RETURN p.project_id AS project_id ORDER BY project_id LIMIT 1"
)


def study_names(blob: dict[str, Any]) -> dict[str, Any]:
    """The project_id and accessions a record's study names (none for other records)."""
    study = blob.get(FIELD)
    if not isinstance(study, dict):
        return {"project_id": None, "accessions": []}
    project_id = study.get("project_id")
    accessions: set[str] = set()
    for field in ACCESSION_FIELDS:
        value = study.get(field)
        if isinstance(value, str) and value.strip():
            accessions |= {value.strip(), value.strip().split(".")[0]}
    return {
        "project_id": project_id if isinstance(project_id, str) and project_id else None,
        "accessions": sorted(accessions),
    }


def link_studies(tx: Transaction, new: list[dict[str, Any]], old: list[dict[str, Any]]) -> None:
    """Link each written record (rows with `study_names`) to the project it names, in the
    write's transaction; a rewritten record loses the links it had."""
    if old:
        tx.run(_UNLINK, {"guids": [row["guid"] for row in old]})
    naming = [row for row in new + old if row["project_id"] or row["accessions"]]
    if naming:
        tx.run(_LINK, {"rows": naming})


@dataclass(frozen=True)
class StudyCounts:
    """What the graph holds for a study: its project (None when unlinked) and its record counts."""

    guid: str
    project_id: str | None
    subjects: int
    files: int

    def to_json(self) -> dict[str, Any]:
        return {
            "guid": self.guid,
            "project_id": self.project_id,
            "subjects": self.subjects,
            "files": self.files,
        }


def count_labels(compiled: CompiledDictionary) -> dict[str, list[str]]:
    """The node types counted as a study's subjects and as its files, from the dictionary."""
    nodes = compiled.dictionary.nodes
    return {
        "subjects": [name for name in SUBJECT_TYPES if name in nodes],
        "files": sorted(n for n, t in nodes.items() if t.category in FILE_CATEGORIES),
    }


def linked_project(graph: GraphStore, guid: str) -> str | None | bool:
    """The project_id a study is linked to; None when unlinked; False when there is no record."""
    rows = graph.lookup(_PROJECT, {"guid": guid})
    return rows[0]["project_id"] if rows else False


def project_counts(
    graph: GraphStore, compiled: CompiledDictionary, project_id: str
) -> dict[str, int]:
    """Subjects and files of one project, counted live (labels from the dictionary only)."""
    parts = [
        f"MATCH (n:`{label}`) WHERE n.project_id = $project_id "
        f"RETURN '{kind}' AS kind, count(n) AS total"
        for kind, labels in count_labels(compiled).items()
        for label in labels
    ]
    counts = {"subjects": 0, "files": 0}
    if parts:
        query = f"CALL () {{ {' UNION ALL '.join(parts)} }} RETURN kind, sum(total) AS total"
        for row in graph.read(query, {"project_id": project_id}):
            counts[row["kind"]] = row["total"]
    return counts


def reduce_counts(blob: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """AggMDS's `counts=`: a list or object field of the study becomes its length, null 0."""
    study = blob.get(FIELD)
    if not isinstance(study, dict):
        return blob
    study = dict(study)
    for field in fields:
        if field in study:
            value = study[field]
            study[field] = len(value) if isinstance(value, list | dict) else (value or 0)
    return {**blob, FIELD: study}


def tags(blobs: list[dict[str, Any]]) -> dict[str, Any]:
    """AggMDS's `/aggregate/tags`: per tag category, the total and each tag name's count."""
    by_category: dict[str, Counter[str]] = {}
    for blob in blobs:
        study = blob.get(FIELD)
        for tag in study.get("tags") or [] if isinstance(study, dict) else []:
            if isinstance(tag, dict) and isinstance(tag.get("name"), str):
                category = str(tag.get("category") or "")
                by_category.setdefault(category, Counter())[tag["name"]] += 1
    return {
        category: {"total": sum(names.values()), "names": [dict(names.most_common())]}
        for category, names in sorted(by_category.items())
    }


def schema(blobs: list[dict[str, Any]]) -> dict[str, Any]:
    """AggMDS's `/aggregate/info/schema`: each `gen3_discovery` field and its JSON type."""
    fields: dict[str, dict[str, Any]] = {}
    for blob in blobs:
        study = blob.get(FIELD)
        for name, value in study.items() if isinstance(study, dict) else ():
            if value is not None:
                fields.setdefault(name, {"type": json_type(value), "description": ""})
    return dict(sorted(fields.items()))
