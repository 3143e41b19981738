"""Submission throughput: HTTP PUT of TSV chunks, `commons submit`, and the raw store rate.

A linked chain (subject -> sample -> aliquot -> read_group -> file) of N
entities in all (default 100,000) goes in three ways into fresh projects of
one embedded Commons server, once warmed up by a first load of the same rows:
- HTTP PUT of TSV chunks of 5,000 rows (what the Gen3 SDK's submit_file does);
- `commons submit` of the same files;
- bare `UNWIND ... MERGE` statements with the same rows and links, no checks.

Usage: python tests/bench/bench_submission.py [N]
Ends with: BENCH submission entities_per_s=... cli_per_s=... raw_per_s=... ratio=... peak_rss_mb=...
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.auth.client import ApiKeyAuth  # noqa: E402
from engine.child_process import free_port  # noqa: E402
from engine.graph.arcadedb import DATABASE, USER  # noqa: E402
from engine.graph.store import GraphStore  # noqa: E402
from tests.bench.serving import running_commons  # noqa: E402

CHUNK = 5000
LEVELS = [
    # (node type, link column, parent node type, extra columns)
    ("subject", "studies.submitter_id", "study", {}),
    ("sample", "subjects.submitter_id", "subject", {"sample_type": "Primary Tumor"}),
    ("aliquot", "samples.submitter_id", "sample", {"analyte_type": "DNA"}),
    ("read_group", "aliquots.submitter_id", "aliquot", {"library_strategy": "WGS"}),
    (
        "submitted_unaligned_reads",
        "read_groups.submitter_id",
        "read_group",
        {
            "file_name": "r.fastq.gz",
            "file_size": "1000",
            "md5sum": "0" * 32,
            "data_category": "Sequencing Reads",
            "data_type": "Unaligned Reads",
            "data_format": "FASTQ",
            "experimental_strategy": "WGS",
        },
    ),
]


def write_chain(folder: Path, per_level: int) -> list[Path]:
    files = []
    for position, (node, link, parent, extra) in enumerate(LEVELS):
        path = folder / f"{position:02d}_{node}.tsv"
        with path.open("w") as out:
            out.write("\t".join(["type", "submitter_id", link, *extra]) + "\n")
            for i in range(per_level):
                parent_id = "study-1" if parent == "study" else f"{parent}-{i}"
                out.write("\t".join([node, f"{node}-{i}", parent_id, *extra.values()]) + "\n")
        files.append(path)
    return files


def make_project(client: httpx.Client, code: str) -> str:
    client.put(
        "/api/v0/submission/",
        json={"type": "program", "name": "bench", "dbgap_accession_number": "b"},
    )
    response = client.put(
        "/api/v0/submission/bench",
        json={"type": "project", "code": code, "name": code, "dbgap_accession_number": "b"},
    )
    response.raise_for_status()
    study = {
        "type": "study",
        "submitter_id": "study-1",
        "study_design": "Cohort",
        "projects": {"code": code},
    }
    client.put(f"/api/v0/submission/bench/{code}", json=study).raise_for_status()
    return f"/api/v0/submission/bench/{code}"


def http_rate(client: httpx.Client, files: list[Path], code: str = "http") -> tuple[float, int]:
    """Entities per second through PUT of TSV chunks."""
    path = make_project(client, code)
    sent, start = 0, time.perf_counter()
    for file in files:
        lines = file.read_text().splitlines(keepends=True)
        header, rows = lines[0], lines[1:]
        for offset in range(0, len(rows), CHUNK):
            chunk = rows[offset : offset + CHUNK]
            response = client.put(
                path,
                content=header + "".join(chunk),
                headers={"content-type": "text/tab-separated-values"},
            )
            if response.status_code != 200:
                raise SystemExit(f"{file.name}: {response.text[:500]}")
            sent += len(chunk)
    return sent / (time.perf_counter() - start), sent


def cli_rate(
    client: httpx.Client, url: str, files: list[Path], total: int, credentials: Path
) -> tuple[float, float]:
    """Entities per second, and the CLI process's peak RSS in MB."""
    make_project(client, "cli")
    start = time.perf_counter()
    cli = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "commons"),
            "submit",
            "bench/cli",
            *map(str, files),
            "--url",
            url,
            "--batch",
            str(CHUNK),
            "--credentials",
            str(credentials),
        ],
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(cli.pid, 0)  # this process's own peak, not other children's
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("commons submit failed")
    rate = total / (time.perf_counter() - start)
    return rate, usage.ru_maxrss / 1024


def raw_rate(graph: GraphStore, per_level: int) -> float:
    """The same nodes and links through bare UNWIND statements in batches of CHUNK, no checks."""
    graph.write(
        "MERGE (s:study {id: 'raw-study'}) SET s.project_id = 'bench-raw', s.submitter_id = 'study-1'"
    )
    start = time.perf_counter()
    for node, link, parent, extra in LEVELS:
        relationship = link.split(".")[0].upper()
        for offset in range(0, per_level, CHUNK):
            rows = [
                {
                    "id": str(uuid.uuid4()),
                    "parent": "study-1" if parent == "study" else f"{parent}-{i}",
                    "props": {"submitter_id": f"{node}-{i}", "project_id": "bench-raw", **extra},
                }
                for i in range(offset, min(offset + CHUNK, per_level))
            ]

            def work(tx, rows=rows, node=node, parent=parent, relationship=relationship):
                tx.run(
                    f"UNWIND $rows AS r MERGE (n:`{node}` {{id: r.id}}) SET n += r.props",
                    {"rows": rows},
                )
                tx.run(
                    f"UNWIND $rows AS r MATCH (n:`{node}` {{id: r.id}}) "
                    f"MATCH (p:`{parent}` {{project_id: 'bench-raw', submitter_id: r.parent}}) "
                    f"MERGE (n)-[:`{relationship}`]->(p)",
                    {"rows": rows},
                )

            graph.execute_write(work)
    return per_level * len(LEVELS) / (time.perf_counter() - start)


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    per_level = total // len(LEVELS)
    total = per_level * len(LEVELS)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_chain(folder, per_level)
        bolt = free_port()
        with running_commons(folder, ARCADEDB_BOLT_PORT=str(bolt), ARCADEDB_HEAP="2g") as (
            url,
            credentials,
        ):
            client = httpx.Client(base_url=url, auth=ApiKeyAuth(url, credentials), timeout=600)
            # ArcadeDB's JIT keeps compiling through the first ~100,000 writes, and on two
            # cores its compiler competes with the work (measured: C2 used 8.8 s of CPU during
            # a 100k load after a 25k warm-up, 1.2 s after a 100k one). A long-running server
            # is past that, so the rates below are taken after one full load.
            cold, _ = http_rate(client, files, "warmup")
            print(f"HTTP PUT TSV, first load (cold JIT): {cold:.0f} entities/s", flush=True)
            api, sent = http_rate(client, files)
            print(f"HTTP PUT TSV: {sent} entities, {api:.0f} entities/s", flush=True)
            cli, peak = cli_rate(client, url, files, total, credentials)
            print(f"commons submit: {cli:.0f} entities/s", flush=True)
            password = (folder / "data" / "graph" / "root-password").read_text().strip()
            graph = GraphStore(f"bolt://127.0.0.1:{bolt}", USER, password, DATABASE)
            raw = raw_rate(graph, per_level)
            print(f"raw UNWIND: {raw:.0f} entities/s", flush=True)
    print(
        f"BENCH submission entities_per_s={api:.0f} cli_per_s={cli:.0f} raw_per_s={raw:.0f} "
        f"ratio={api / raw:.2f} peak_rss_mb={peak:.0f}"
    )


if __name__ == "__main__":
    main()
