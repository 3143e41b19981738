"""PFB throughput and memory: export a project of N entities (default 100,000), import it back.

One embedded Commons server (`commons serve`, the default dictionary):
1. N entities (bench_submission's chain: subject -> sample -> aliquot ->
   read_group -> file) go into project `src` by HTTP PUT of TSV chunks:
   the first load, which also warms the server's JIT;
2. the export, `write_pfb`, runs in a process of its own against the
   server's graph (over Bolt), so its peak RSS is the exporter's alone;
3. `commons submit bench/dst file.avro` imports the file into another
   project (batches of 5,000, each a transaction);
4. the same TSV files go in by HTTP PUT (project `tsv`), and by
   `commons submit` into `tsv1` just before the import and `tsv2` just
   after it: the mean of those two is the rate the import, the same
   command, is held to.
`commons export --format pfb` over HTTP is timed too. Step 2 runs EXPORT_RUNS
times (others share this machine): `export_entities_per_s` is the best run,
`export_median_per_s` the median, `peak_rss_mb` the largest.

`--scale N` measures the export alone on a project of N entities (default
1,000,000), too many to submit through the API in a bench (about 6 minutes at
1M): bench_explore's chain is written straight into an embedded ArcadeDB with
bare `UNWIND ... CREATE` batches, all in one project, built once and kept under
~/.cache/commons (building 1M takes minutes), then exported as in step 2.

Usage: python tests/bench/bench_pfb.py [N]
Ends with: BENCH pfb export_entities_per_s=... import_entities_per_s=... peak_rss_mb=... entities=N
           submit_cli_tsv_per_s=... submission_http_tsv_per_s=... export_median_per_s=...
Usage: python tests/bench/bench_pfb.py --scale [N]
Ends with: BENCH pfb_scale entities=... export_entities_per_s=... export_median_per_s=...
           peak_rss_mb=...
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.auth.client import ApiKeyAuth  # noqa: E402
from engine.child_process import free_port  # noqa: E402
from engine.graph.arcadedb import DATABASE, USER  # noqa: E402
from tests.bench.bench_explore import built_graph  # noqa: E402
from tests.bench.bench_submission import LEVELS, http_rate, make_project, write_chain  # noqa: E402
from tests.bench.serving import COMMONS, running_commons  # noqa: E402

CHUNK = 5000
EXPORT_RUNS = 3
SCALE_PROJECT = "bench-big"


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, not ru_maxrss, which a child forked from a large parent
    (--scale, just after building the graph) inherits."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_in_this_process(bolt: int, password: str, project_id: str, out: str) -> None:
    """Step 2, in the child process: write the PFB, print rate, entities and peak RSS as JSON."""
    from engine.dictionary.compile import compile_dictionary
    from engine.graph.store import GraphStore
    from engine.pfb.write import write_pfb

    dictionary = compile_dictionary(REPO / "dictionaries" / "default").dictionary
    graph = GraphStore(f"bolt://127.0.0.1:{bolt}", USER, password, DATABASE)
    before, rss_before = resource.getrusage(resource.RUSAGE_SELF), peak_rss_mb()
    start = time.perf_counter()
    with open(out, "wb") as handle:
        summary = write_pfb(graph, dictionary, handle, project_id=project_id)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    result = {
        "entities": summary.entities,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(result))


def export(bolt: int, password: str, project_id: str, out: Path) -> dict:
    """Step 2, EXPORT_RUNS times, each in a process of its own: the entities, the best and the
    median rate, the largest peak RSS, and the runs themselves."""
    runs = []
    for _ in range(EXPORT_RUNS):
        done = subprocess.run(
            [sys.executable, __file__, "--export", str(bolt), password, project_id, str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"export failed: {done.stderr[-2000:]}")
        run = json.loads(done.stdout.strip().splitlines()[-1])
        entities = run["entities"]
        print(
            f"write_pfb: {entities} entities, {run['seconds']:.1f} s, "
            f"{entities / run['seconds']:.0f}/s, peak RSS {run['peak_rss_mb']:.0f} MB "
            f"({run['rss_before_mb']:.0f} MB before the export began); the exporter's own CPU: "
            f"{run['cpu_seconds']:.1f} s ({entities / run['cpu_seconds']:.0f} entities per CPU "
            "second)",
            flush=True,
        )
        runs.append(run)
    rates = [run["entities"] / run["seconds"] for run in runs]
    return {
        "entities": runs[0]["entities"],
        "best_per_s": max(rates),
        "median_per_s": statistics.median(rates),
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
    }


def scale(entities: int) -> None:
    """`--scale`: export a project of `entities` entities written straight into the graph."""
    from engine.graph.arcadedb import EmbeddedArcadeDB

    folder = built_graph(entities, "bench-pfb", [SCALE_PROJECT])
    server = EmbeddedArcadeDB(folder / "graph", heap="4g")
    endpoint = server.start()
    try:
        bolt = int(endpoint.uri.rsplit(":", 1)[1])
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "scale.avro"
            exported = export(bolt, endpoint.password, SCALE_PROJECT, out)
            size = out.stat().st_size / 1e6
    finally:
        server.stop()
    print(
        f"BENCH pfb_scale entities={exported['entities']} "
        f"export_entities_per_s={exported['best_per_s']:.0f} "
        f"export_median_per_s={exported['median_per_s']:.0f} "
        f"peak_rss_mb={exported['peak_rss_mb']:.0f} file_mb={size:.0f}"
    )


def cli(*args: str) -> float:
    """Seconds `commons ARGS` took; exits on failure."""
    start = time.perf_counter()
    done = subprocess.run([COMMONS, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"commons {args[0]} failed: {(done.stdout + done.stderr)[-3000:]}")
    return time.perf_counter() - start


def tsv_cli(
    client: httpx.Client, url: str, credentials: Path, files: list[Path], code: str, total: int
) -> float:
    """Entities per second of `commons submit` of the TSV files into a new project `code`."""
    make_project(client, code)
    seconds = cli(
        "submit", f"bench/{code}", *map(str, files), "--batch", str(CHUNK), "--url", url,
        "--credentials", str(credentials),
    )  # fmt: skip
    print(f"commons submit TSV into {code}: {total / seconds:.0f}/s", flush=True)
    return total / seconds


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    per_level = total // len(LEVELS)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_chain(folder, per_level)
        bolt = free_port()
        with running_commons(folder, ARCADEDB_BOLT_PORT=str(bolt), ARCADEDB_HEAP="2g") as (
            url,
            credentials,
        ):
            client = httpx.Client(base_url=url, auth=ApiKeyAuth(url, credentials), timeout=600)
            cold, sent = http_rate(client, files, "src")
            print(f"HTTP PUT TSV into src (cold JIT): {sent} entities, {cold:.0f}/s", flush=True)
            password = (folder / "data" / "graph" / "root-password").read_text().strip()
            out = folder / "src.avro"
            exported = export(bolt, password, "bench-src", out)
            entities = exported["entities"]
            print(f"PFB of {entities} entities: {out.stat().st_size / 1e6:.1f} MB", flush=True)
            over_http = folder / "http.avro"
            seconds = cli(
                "export", "bench/src", "--format", "pfb", "-o", str(over_http), "--url", url,
                "--credentials", str(credentials),
            )  # fmt: skip
            print(f"commons export --format pfb (HTTP): {entities / seconds:.0f}/s", flush=True)
            # The submission rates to match, taken around the import (the server's JIT and this
            # machine's load both drift): HTTP PUT of TSV chunks, and `commons submit` of the same
            # TSV files just before and just after the import (the mean of the two).
            http, _ = http_rate(client, files, "tsv")
            print(f"HTTP PUT TSV (warm): {http:.0f}/s", flush=True)
            tsv_before = tsv_cli(client, url, credentials, files, "tsv1", total=per_level * 5)
            make_project(client, "dst")
            seconds = cli(
                "submit", "bench/dst", str(out), "--batch", str(CHUNK), "--url", url,
                "--credentials", str(credentials),
            )  # fmt: skip
            imported = entities - 2  # program and project are not submitted
            import_rate = imported / seconds
            print(f"commons submit file.avro: {imported} entities, {import_rate:.0f}/s", flush=True)
            tsv_after = tsv_cli(client, url, credentials, files, "tsv2", total=per_level * 5)
            warm = (tsv_before + tsv_after) / 2
    print(
        f"BENCH pfb export_entities_per_s={exported['best_per_s']:.0f} "
        f"import_entities_per_s={import_rate:.0f} peak_rss_mb={exported['peak_rss_mb']:.0f} "
        f"entities={per_level * len(LEVELS)} submit_cli_tsv_per_s={warm:.0f} "
        f"submission_http_tsv_per_s={http:.0f} "
        f"export_median_per_s={exported['median_per_s']:.0f}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--export"]:
        bolt_port, password, project_id, out = sys.argv[2:6]
        export_in_this_process(int(bolt_port), password, project_id, out)
    elif sys.argv[1:2] == ["--scale"]:
        scale(int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
    else:
        os.environ.setdefault("PYTHONHASHSEED", "0")
        main()
