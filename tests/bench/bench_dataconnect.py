"""Data Connect search on a large table: the first page of a filtered search over 100,000 samples.

The default dictionary's samples (and the subjects and study they link to)
are written straight into an embedded ArcadeDB with `UNWIND ... CREATE`
batches, spread over four projects. Then a filtered search with a link
column is sent through the whole app (`POST /ga4gh/data-connect/v1/search`,
as an admin: every project is readable), and its first page (100 rows, with
a signed cursor to the next) is timed; the same search as a reader of one
project, and its Cypher statement alone (one store round trip), are timed
too, for the record.

The machine's load average is printed beside the timings: on a shared
2-core machine a load of 5 doubles or triples them.

Usage: python tests/bench/bench_dataconnect.py [ROWS] [RUNS]
Ends with: BENCH dataconnect search_p50_ms=... rows=...
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from starlette.testclient import TestClient  # noqa: E402

from engine.api.app import create_app  # noqa: E402
from engine.api.data_connect import tables  # noqa: E402
from engine.auth.policy_store import save_policy  # noqa: E402
from engine.config import load_settings  # noqa: E402
from engine.dataconnect.cypher import build  # noqa: E402
from engine.dataconnect.sql import read_query  # noqa: E402
from engine.dictionary.compile import compile_dictionary  # noqa: E402
from engine.graph.arcadedb import EmbeddedArcadeDB  # noqa: E402
from engine.graph.ddl import apply_ddl  # noqa: E402
from engine.graph.store import GraphStore  # noqa: E402
from engine.stores import Stores  # noqa: E402
from tests.auth_fixture import access_token  # noqa: E402
from tests.auth_world import project_tree, role  # noqa: E402

BATCH = 5000
PROJECTS = [f"bench-p{i}" for i in range(4)]
SUBJECTS = 1000
SAMPLE_TYPES = ["Primary Tumor", "Metastatic", "Solid Tissue Normal", "Blood Derived Normal"]
TISSUES = ["Tumor", "Normal", "Peritumoral", "unknown"]
QUERY = {
    "query": "SELECT submitter_id, sample_type, tissue_type, weight_mg, subjects "
    "FROM commons.sample WHERE sample_type = ? AND weight_mg > ? AND tissue_type IN (?, ?)",
    "parameters": ["Primary Tumor", 20, "Tumor", "Normal"],
}


def load(store: GraphStore, rows: int) -> None:
    rng = random.Random(7)
    store.write("CREATE (:program {id: $id, name: 'bench'})", {"id": str(uuid.uuid4())})
    store.write(
        "UNWIND $codes AS code CREATE (:project {id: randomUUID(), code: code, project_id: code})",
        {"codes": PROJECTS},
    )
    study = str(uuid.uuid4())
    store.write(
        "CREATE (:study {id: $id, submitter_id: 'study-0', project_id: $project})",
        {"id": study, "project": PROJECTS[0]},
    )
    subjects = [str(uuid.uuid4()) for _ in range(SUBJECTS)]
    store.write(
        "UNWIND $rows AS r MATCH (s:study {id: $study}) "
        "CREATE (n:subject) SET n = r CREATE (n)-[:STUDIES]->(s)",
        {
            "study": study,
            "rows": [
                {"id": i, "submitter_id": f"subject-{k}", "project_id": PROJECTS[k % 4]}
                for k, i in enumerate(subjects)
            ],
        },
    )
    start = time.perf_counter()
    for offset in range(0, rows, BATCH):
        batch = [
            {
                "props": {
                    "id": str(uuid.uuid4()),
                    "submitter_id": f"sample-{index}",
                    "project_id": PROJECTS[index % 4],
                    "state": "validated",
                    "sample_type": rng.choice(SAMPLE_TYPES),
                    "tissue_type": rng.choice(TISSUES),
                    "weight_mg": round(rng.uniform(0, 100), 1),
                    "days_to_collection": rng.randrange(0, 1000),
                },
                "subject": subjects[index % SUBJECTS],
            }
            for index in range(offset, min(rows, offset + BATCH))
        ]
        store.write(
            "UNWIND $rows AS r MATCH (t:subject {id: r.subject}) "
            "CREATE (n:sample) SET n = r.props CREATE (n)-[:SUBJECTS]->(t)",
            {"rows": batch},
        )
    print(f"loaded {rows:,} samples in {time.perf_counter() - start:.1f} s", flush=True)


def timed(client: TestClient, runs: int) -> tuple[list[float], dict]:
    samples, page = [], {}
    for _ in range(runs):
        start = time.perf_counter()
        response = client.post("/ga4gh/data-connect/v1/search", json=QUERY)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
        page = response.json()
    return samples, page


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    compiled = compile_dictionary(REPO / "dictionaries" / "default")
    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedArcadeDB(Path(folder) / "graph", heap="2g")
        endpoint = server.start()
        store = GraphStore(endpoint.uri, endpoint.user, endpoint.password, endpoint.database)
        try:
            apply_ddl(store, compiled.ddl)
            load(store, rows)
            settings = load_settings(
                environ={
                    "COMMONS_CONFIG": "/nonexistent.yaml",
                    "COMMONS_DATA_DIR": str(Path(folder) / "data"),
                }
            )
            app = create_app(Stores(store, None), settings, compiled)  # type: ignore[arg-type]
            save_policy(
                store,
                {
                    "authz": {
                        "resources": [
                            {"name": "programs", "subresources": [project_tree("bench", "p0")]}
                        ],
                        "roles": [role("reader", [("peregrine", "read")])],
                        "policies": [
                            {
                                "id": "p0",
                                "role_ids": ["reader"],
                                "resource_paths": ["/programs/bench/projects/p0"],
                            }
                        ],
                    },
                    "users": {"reader@bench": {"policies": ["p0"]}},
                },
            )
            admin, reader = TestClient(app), TestClient(app)
            admin.headers["Authorization"] = (
                f"Bearer {access_token(app, 'admin@bench', admin=True)}"
            )
            reader.headers["Authorization"] = f"Bearer {access_token(app, 'reader@bench')}"
            statement = build(
                read_query(tables(app), QUERY["query"], QUERY["parameters"]), None, 0, 101
            )
            timed(admin, 3)  # warm the store's caches and the app
            load_before = os.getloadavg()[0]
            samples, store_samples, page = [], [], {}
            for _ in range(runs):  # interleaved, so both see the same load on a shared machine
                took, page = timed(admin, 1)
                samples += took
                start = time.perf_counter()
                store.read(statement.text, statement.parameters)
                store_samples.append((time.perf_counter() - start) * 1000)
            reader_samples, _ = timed(reader, runs)
            load_after = os.getloadavg()[0]
        finally:
            store.close()
            server.stop()
    assert len(page["data"]) == settings.data_connect_page_size and page["pagination"]
    p50 = statistics.median(samples)
    print(
        f"first page: {len(page['data'])} rows, next_page_url {len(page['pagination']['next_page_url'])} chars"
    )
    print(f"admin  p50 {p50:.1f} ms  p95 {sorted(samples)[int(0.95 * (runs - 1))]:.1f} ms")
    print(f"reader p50 {statistics.median(reader_samples):.1f} ms (one project of four)")
    print(f"the statement alone (store round trip) p50 {statistics.median(store_samples):.1f} ms")
    # Others share this machine: a load above its cores' count slows every figure above.
    print(
        f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after; {os.cpu_count()} cores"
    )
    print(f"BENCH dataconnect search_p50_ms={p50:.1f} rows={rows}")


if __name__ == "__main__":
    main()
