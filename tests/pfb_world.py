"""PFB tests' world: the demo dictionary with awkward enum values, an app over it, a small project.

Enum values PFB must escape (encode_enum) and restore: spaces, punctuation,
an underscore, non-ASCII letters, a leading digit, a value that looks
like an escape already.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from starlette.testclient import TestClient

from engine.dictionary.compile import CompiledDictionary, compile_dictionary
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.objects.index import DDL as RECORD_DDL
from engine.objects.store import ObjectStore
from engine.pfb.write import write_pfb
from tests.auth_fixture import as_admin
from tests.auth_world import make_app, ok

DEMO = Path(__file__).resolve().parent.parent / "dictionaries" / "demo"
BASE = "/api/v0/submission"
AWKWARD = [
    "Primary Tumor",
    "Not Reported / Unknown",
    "T-cell (CD4+)",
    "snake_case_value",
    "Größe ≥ 5",
    "3' UTR",
    "1st visit",
    "_20_",
    "99",
]
FLAGS = ["a,b", "x/y", "100%", "déjà vu"]
# The pfb command of the venv running the tests: pypfb is a test dependency.
PFB = str(Path(sys.executable).with_name("pfb"))


def awkward_dictionary(folder: Path) -> Path:
    """The demo dictionary with AWKWARD sample types and an array of FLAGS on samples."""
    target = folder / "pfb-demo"
    shutil.copytree(DEMO, target)
    path = target / "sample.yaml"
    sample = yaml.safe_load(path.read_text())
    sample["properties"]["sample_type"]["enum"] = AWKWARD
    sample["properties"]["flags"] = {
        "type": "array",
        "items": {"type": "string", "enum": FLAGS},
        "description": "Awkward flags.",
    }
    path.write_text(yaml.safe_dump(sample, sort_keys=False, allow_unicode=True))
    return target


_APPLIED: set[tuple[int, str]] = set()


def app_client(
    graph: GraphStore, objects: ObjectStore, compiled: CompiledDictionary, data_dir: Path
) -> TestClient:
    """An admin's client of the whole app over `compiled`."""
    key = (id(graph), compiled.dictionary.source)
    if key not in _APPLIED:
        apply_ddl(graph, compiled.ddl + RECORD_DDL)
        _APPLIED.add(key)
    app = make_app(graph, objects, compiled, data_dir, commons_max_body_mb="4")
    return as_admin(TestClient(app))


def compiled_awkward(folder: Path) -> CompiledDictionary:
    return compile_dictionary(awkward_dictionary(folder))


def export(graph: GraphStore, compiled: CompiledDictionary, **selection: Any) -> bytes:
    """The PFB file of `selection` (write_pfb's `project_id` or `cohort`), in memory."""
    out = io.BytesIO()
    write_pfb(graph, compiled.dictionary, out, **selection)
    return out.getvalue()


def make_project(client: TestClient, program: str, code: str) -> None:
    ok(
        client.put(
            f"{BASE}/", json={"type": "program", "name": program, "dbgap_accession_number": program}
        )
    )
    ok(
        client.put(
            f"{BASE}/{program}",
            json={"type": "project", "code": code, "name": code, "dbgap_accession_number": code},
        )
    )


def cohort_documents(code: str, subjects: int = 3) -> list[dict[str, Any]]:
    """Subjects with a demographic each and samples, every AWKWARD value and FLAG used."""
    docs: list[dict[str, Any]] = []
    for s in range(subjects):
        sid = f"subj-{s}"
        docs.append(
            {
                "type": "subject",
                "submitter_id": sid,
                "projects": {"code": code},
                "disease_type": f"disease {s}" if s % 2 else None,
                "consent_codes": ["GRU", f"C{s}"],
            }
        )
        docs.append(
            {
                "type": "demographic",
                "submitter_id": f"demo-{s}",
                "subjects": {"submitter_id": sid},
                "year_of_birth": 1950 + s,
                "bmi": 20.5 + s,
            }
        )
    for i, value in enumerate(AWKWARD):
        docs.append(
            {
                "type": "sample",
                "submitter_id": f"samp-{i}",
                "sample_type": value,
                "flags": FLAGS[: 1 + i % len(FLAGS)],
                "subjects": {"submitter_id": f"subj-{i % subjects}"},
            }
        )
    return [{k: v for k, v in doc.items() if v is not None} for doc in docs]


def pfb(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The unmodified pypfb CLI, as a user runs it; fails the test when it fails."""
    done = subprocess.run([PFB, *args], input=stdin, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return done
