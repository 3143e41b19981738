"""Load a dictionary's example records (its `examples/` folder) as the demo project.

`examples/program.json` and `examples/project.json` name the program and
project; every other `examples/<node>.json` is submitted in the
dictionary's import order, all through the same path as an API submission.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.dictionary.compile import CompiledDictionary
from engine.graph.store import GraphStore
from engine.submission import projects
from engine.submission.documents import SourceDoc
from engine.submission.submit import Target, submit_documents
from engine.submission.transaction_log import Document, Origin


class DemoError(Exception):
    """The example records did not load; the message names the file and the first errors."""


def _records(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, list) else [data]


def load_examples(store: GraphStore, compiled: CompiledDictionary, examples: Path) -> Target:
    """Submit every example (PUT semantics, so loading twice changes nothing) and return the project."""
    program = _records(examples / "program.json")[0]
    project = _records(examples / "project.json")[0]
    projects.upsert_program(store, compiled, program)
    answer = projects.upsert_project(store, compiled, program["name"], project)
    if not answer.success:
        raise DemoError(f"{examples / 'project.json'}: {answer.to_json()['entities'][0]['errors']}")
    target = Target(program["name"], project["code"])
    for node in compiled.dictionary.import_order:
        path = examples / f"{node}.json"
        if node in ("program", "project") or not path.exists():
            continue
        records = _records(path)
        sources = [SourceDoc(doc, None, index) for index, doc in enumerate(records)]
        document = Document(path.name, "json", path.read_text(encoding="utf-8"), len(records))
        result = submit_documents(
            store, compiled, target, sources, origin=Origin(None, (document,))
        )
        if not result.success:
            errors = [
                error for entity in result.to_json()["entities"] for error in entity["errors"]
            ][:3]
            raise DemoError(f"{path}: {errors}")
    return target
