"""The demo's Discovery studies: one MDS discovery record per demo project.

`commons serve --demo` loads the example records (engine/submission/demo.py);
this publishes a study for each example project, so the dashboard's Discovery
view has something to show. A study is written from the example project and
its `study` record, as `gen3 discovery publish` would write it; its
`_subjects_count` is the project's count when published (as Gen3 fills it from
guppy), while the study page counts live. Publishing twice changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.dictionary.compile import CompiledDictionary
from engine.graph.store import GraphStore
from engine.metadata import discovery
from engine.metadata.store import MetadataStore


def _records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, list) else [data]


def _tags(study: dict[str, Any]) -> list[dict[str, str]]:
    """Tags by category, from what the example study says about itself."""
    tags = [
        {"name": name, "category": "Data Type"}
        for name in study.get("experimental_strategies") or []
    ]
    if study.get("study_design"):
        tags.append({"name": study["study_design"], "category": "Study Design"})
    return tags + [{"name": word, "category": "Keyword"} for word in study.get("keywords") or []]


def publish_demo_studies(
    graph: GraphStore, compiled: CompiledDictionary, examples: Path
) -> list[str]:
    """Publish one study per example project (after the examples are loaded); their guids."""
    program = _records(examples / "program.json")[0]["name"]
    studies = {
        study["projects"]["code"]: study
        for study in _records(examples / "study.json")
        if isinstance(study.get("projects"), dict) and "code" in study["projects"]
    }
    store, guids = MetadataStore(graph), []
    for project in _records(examples / "project.json"):
        project_id = f"{program}-{project['code']}"
        study = studies.get(project["code"], {})
        accession = project.get("dbgap_accession_number")
        record = {
            "_guid_type": discovery.DISCOVERY_TYPE,
            discovery.FIELD: {
                "full_name": study.get("study_title") or project.get("name") or project_id,
                "short_name": project.get("name") or project_id,
                "study_description": study.get("study_description", ""),
                "project_id": project_id,
                "dbgap_accession_number": accession,
                "investigator": {
                    "name": project.get("investigator_name"),
                    "affiliation": project.get("investigator_affiliation"),
                },
                "study_design": study.get("study_design"),
                "_subjects_count": discovery.project_counts(graph, compiled, project_id)[
                    "subjects"
                ],
                "tags": _tags(study),
            },
        }
        guid = accession or project_id
        store.create(guid, record, overwrite=True)
        guids.append(guid)
    return guids
