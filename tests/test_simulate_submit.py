"""`commons simulate` -> `commons submit` -> GraphQL counts, on every dictionary the project holds.

The promise of `commons simulate` is data that a Commons serving the same
dictionary accepts whole. This checks it as a user meets it: the CLI writes
the files, the CLI submits them to a live server, and peregrine's
`_<type>_count` must answer exactly the number of records simulated, for
several seeds and sizes, on `dictionaries/default` and on every fixture
dictionary (found when the tests are collected, so new fixtures join by
themselves; one that does not load is the loader tests' business and is
skipped here).
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.child_process import free_port
from engine.cli import main
from engine.config import load_settings
from engine.dictionary import DictionaryError
from engine.dictionary.compile import CompiledDictionary, compile_dictionary
from engine.dictionary.simulate import ROOT_TYPES
from engine.dictionary.simulate_values import SKIP, ValueMaker
from engine.graph.ddl import apply_ddl
from engine.graph.store import GraphStore
from engine.objects.index import DDL as RECORD_DDL
from engine.objects.store import ObjectStore
from engine.stores import Stores
from tests.auth_fixture import ADMIN, as_admin, credentials_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "dictionaries"
# A folder with a project.yaml is a dictionary one can submit to.
DICTIONARIES = [ROOT / "dictionaries" / "default"] + sorted(
    folder.parent for folder in FIXTURES.glob("*/project.yaml")
)
# (seed, records per node type, file format): one submission each.
RUNS = [(1, 7, "tsv"), (2, 50, "tsv"), (3, 12, "json")]
BASE = "/api/v0/submission"
PROGRAM = "sim"
_codes = (f"run{number}" for number in itertools.count(1))


@dataclass
class Served:
    """A Commons serving one dictionary over HTTP, with an admin's credentials and client."""

    compiled: CompiledDictionary
    url: str
    credentials: Path
    client: TestClient


@pytest.fixture(scope="module")
def serve(
    graph_store: GraphStore,
    seaweedfs_store: ObjectStore,
    commons_data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[Path, Served]]:
    """A live server per dictionary on the session's stores, started on first use, all stopped
    with the module; each run submits into a project of its own."""
    settings = load_settings(
        environ={
            "COMMONS_CONFIG": "/nonexistent.yaml",
            "COMMONS_DATA_DIR": str(commons_data_dir),
            "COMMONS_PUBLIC_URL": "http://testserver",
        }
    )
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    class Servers(dict[Path, Served]):
        def __missing__(self, folder: Path) -> Served:
            try:
                compiled = compile_dictionary(folder)
            except DictionaryError as error:
                pytest.skip(f"{folder.name} does not load: {error}")
            # The uniqueness constraints only: indexes speed lookups up and change no answer,
            # and each costs ~25 ms to create on the embedded store.
            constraints = [
                s for s in compiled.ddl + RECORD_DDL if s.startswith("CREATE CONSTRAINT")
            ]
            apply_ddl(graph_store, constraints)
            app = create_app(Stores(graph_store, seaweedfs_store), settings, compiled)
            port = free_port()
            config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            running.append((server, thread))
            while not server.started:
                time.sleep(0.02)
            credentials = tmp_path_factory.mktemp("credentials") / "credentials.json"
            credentials_file(app, ADMIN, credentials, admin=True)
            served = Served(
                compiled, f"http://127.0.0.1:{port}", credentials, as_admin(TestClient(app))
            )
            self[folder] = served
            return served

    yield Servers()
    for server, thread in running:
        server.should_exit = True
        thread.join(5)


def _make_project(served: Served, code: str) -> None:
    """The program (once) and a new project, with every property they require."""
    values = ValueMaker(random.Random(0))
    for document, path in (
        ({"type": "program", "name": PROGRAM}, f"{BASE}/"),
        ({"type": "project", "code": code}, f"{BASE}/{PROGRAM}"),
    ):
        node = served.compiled.dictionary.nodes[document["type"]]
        links = {link.name for link in node.links}
        for name in node.required:
            if name not in document and name not in links:
                value = values.value(name, node.schema["properties"][name])
                document[name] = code if value is SKIP else value
        response = served.client.put(path, json=document)
        assert response.status_code == 200, response.text


def _records_written(folder: Path) -> dict[str, int]:
    """Records per node type in the files `commons simulate` wrote."""
    counts: dict[str, int] = {}
    for path in folder.iterdir():
        if path.suffix == ".json":
            rows = json.loads(path.read_text(encoding="utf-8"))
        else:
            with path.open(encoding="utf-8", newline="") as stream:
                rows = list(csv.DictReader(stream, delimiter="\t"))
        counts[rows[0]["type"]] = len(rows)
    return counts


def _counts(served: Served, project_id: str) -> dict[str, int]:
    """`_<type>_count` of every node type below project, in one GraphQL query."""
    names = [name for name in served.compiled.dictionary.nodes if name not in ROOT_TYPES]
    fields = " ".join(f"_{name}_count(project_id: $project)" for name in names)
    response = served.client.post(
        f"{BASE}/graphql",
        json={
            "query": f"query ($project: [String]) {{ {fields} }}",
            "variables": {"project": [project_id]},
        },
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return {name: response.json()["data"][f"_{name}_count"] for name in names}


@pytest.mark.parametrize(("seed", "count", "file_format"), RUNS)
@pytest.mark.parametrize("dictionary", DICTIONARIES, ids=lambda folder: folder.name)
def test_simulated_records_are_all_accepted(
    serve: dict[Path, Served],
    dictionary: Path,
    seed: int,
    count: int,
    file_format: str,
    tmp_path: Path,
) -> None:
    served = serve[dictionary]
    code = next(_codes)
    _make_project(served, code)
    runner = CliRunner()
    simulated = runner.invoke(
        main,
        ["simulate", str(dictionary), "-n", str(count), "--seed", str(seed)]
        + [
            "--out",
            str(tmp_path),
            "--format",
            file_format,
            "--program",
            PROGRAM,
            "--project",
            code,
        ],
    )
    assert simulated.exit_code == 0, simulated.output
    written = _records_written(tmp_path)
    assert written, "nothing simulated"
    submitted = runner.invoke(
        main,
        ["submit", f"{PROGRAM}/{code}", str(tmp_path), "--url", served.url]
        + ["--credentials", str(served.credentials)],
    )
    assert submitted.exit_code == 0, submitted.output
    counts = _counts(served, f"{PROGRAM}-{code}")
    assert counts == {name: written.get(name, 0) for name in counts}
