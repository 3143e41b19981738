"""The demo data of `commons serve --demo`: a dictionary's example records and a simulated cohort.

`examples/program.json` and `examples/project.json` name the program and
project; every other `examples/<node>.json` is submitted in the
dictionary's import order, all through the same path as an API submission.

Ten example subjects chart nothing worth looking at, so the demo also loads
a simulated cohort into the project `simulated` of the same program:
DEMO_SUBJECTS subjects, half as many records of each other type and a few of
the administrative ones (a cohort has a few studies), drawn by engine/dictionary/simulate.py with skew
(enums uneven, numbers clustered, dates spread), its data files indexed (an
index record each, so the explorer's manifest lists them; no bytes are
stored). It is loaded once: a `DemoLoaded` node written after the last
record marks the store, and a later start finds it and loads nothing, so
starting stays quick. A start cut short before the mark loads again: every
submission is a PUT and every draw seeded, so that changes nothing twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.dictionary.compile import CompiledDictionary
from engine.dictionary.model import Dictionary
from engine.dictionary.simulate import simulate
from engine.graph.store import GraphStore
from engine.objects.index import RecordIndex
from engine.objects.record import IndexRecord, new_rev, now
from engine.submission import projects
from engine.submission.documents import SourceDoc
from engine.submission.submit import Target, submit_documents
from engine.submission.transaction_log import Document, Origin


class DemoError(Exception):
    """The example records did not load; the message names the file and the first errors."""


def _records(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, list) else [data]


def _submit(
    store: GraphStore,
    compiled: CompiledDictionary,
    target: Target,
    name: str,
    records: list[dict],
    text: str | None = None,
) -> None:
    """Submit `records` as the document `name` (`text`: as sent, else their JSON); DemoError
    naming the first errors if refused."""
    sources = [SourceDoc(doc, None, index) for index, doc in enumerate(records)]
    document = Document(name, "json", text or json.dumps(records), len(records))
    result = submit_documents(store, compiled, target, sources, origin=Origin(None, (document,)))
    if not result.success:
        errors = [error for entity in result.to_json()["entities"] for error in entity["errors"]]
        raise DemoError(f"{name}: {(errors or result.to_json()['transactional_errors'])[:3]}")


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
        text = path.read_text(encoding="utf-8")
        _submit(store, compiled, target, path.name, _records(path), text)
    return target


DEMO_PROJECT = "simulated"
DEMO_SUBJECTS = 2000
DEMO_SEED = 20
DEMO_SKEW = 1.1
# Records per submission: one transaction each, so a slow first start shows progress.
BATCH = 2000
MARK = "DemoLoaded"
DATA_FILE = "data_file"
_DID_NAMESPACE = uuid.UUID("6f3c1f8e-2d55-4d2c-9d0a-5a1f1f3c9e20")


@dataclass(frozen=True)
class DemoLoad:
    target: Target
    # False: an earlier start loaded it, and nothing was submitted now.
    loaded: bool
    records: int


def _mark(store: GraphStore, target: Target) -> int | None:
    rows = store.read(
        f"MATCH (m:{MARK} {{project_id: $project}}) RETURN m.records AS records",
        {"project": target.project_id},
    )
    return rows[0]["records"] if rows else None


def demo_counts(dictionary: Dictionary, subjects: int) -> dict[str, int]:
    """Records per node type besides the subjects: half as many of each other type (some
    subjects have no diagnosis, no files), and a few of the administrative ones (studies)."""
    return {
        name: max(2, subjects // 500) if node.category == "administrative" else subjects // 2
        for name, node in dictionary.nodes.items()
        if name != "subject"
    }


def _index_files(
    store: GraphStore, dictionary: Dictionary, records: dict[str, list[dict]], target: Target
) -> None:
    """An index record for each simulated data file (size and md5 as the file record says),
    named by its object_id; records an earlier, cut-short start made are kept."""
    made: list[IndexRecord] = []
    stamp = now()
    for name, rows in records.items():
        if dictionary.nodes[name].category != DATA_FILE:
            continue
        for row in rows:
            if not {"md5sum", "file_size"} <= set(row):
                continue
            did = str(uuid.uuid5(_DID_NAMESPACE, f"{target.project_id}/{row['submitter_id']}"))
            row["object_id"] = did
            made.append(
                IndexRecord(
                    did=did,
                    baseid=str(uuid.uuid5(_DID_NAMESPACE, did)),
                    rev=new_rev(),
                    created_date=stamp,
                    updated_date=stamp,
                    size=row["file_size"],
                    file_name=row.get("file_name"),
                    hashes={"md5": row["md5sum"]},
                    authz=[f"/programs/{target.program}/projects/{target.project}"],
                )
            )
    index = RecordIndex(store)
    held = {record.did for record in index.find_many([record.did for record in made])}
    index.create([record for record in made if record.did not in held])


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def load_demo(
    store: GraphStore,
    compiled: CompiledDictionary,
    examples: Path,
    subjects: int = DEMO_SUBJECTS,
    seed: int = DEMO_SEED,
) -> DemoLoad:
    """The examples and the simulated cohort, loaded unless an earlier start marked them loaded."""
    program = _records(examples / "program.json")[0]
    target = Target(program["name"], DEMO_PROJECT)
    kept = _mark(store, target)
    if kept is not None:
        return DemoLoad(target, False, kept)
    load_examples(store, compiled, examples)
    project = {
        "type": "project",
        "code": DEMO_PROJECT,
        "name": "Simulated cohort",
        "dbgap_accession_number": f"{program['dbgap_accession_number']}-sim",
        "programs": {"name": program["name"]},
    }
    answer = projects.upsert_project(store, compiled, program["name"], project)
    if not answer.success:
        raise DemoError(f"project {DEMO_PROJECT}: {answer.to_json()['entities'][0]['errors']}")
    dictionary = compiled.dictionary
    records = simulate(
        dictionary,
        subjects,
        seed=seed,
        project=DEMO_PROJECT,
        skew=DEMO_SKEW,
        per_type=demo_counts(dictionary, subjects),
    )
    _index_files(store, dictionary, records, target)
    for name, rows in records.items():
        for part, batch in enumerate(_batches(rows)):
            _submit(store, compiled, target, f"simulated/{name}.{part}.json", batch)
    total = sum(len(rows) for rows in records.values())
    store.write(
        f"MERGE (m:{MARK} {{project_id: $project}}) SET m.records = $records",
        {"project": target.project_id, "records": total},
    )
    return DemoLoad(target, True, total)
