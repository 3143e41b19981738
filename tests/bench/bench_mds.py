"""MDS reads over 100,000 records: a one-path filter, next to a plain `GET /mds/metadata/{guid}`.

One embedded `commons serve` is started and 100,000 discovery-like records
are loaded through `POST /mds/metadata` (batches of 2,000). Then, over HTTP
as a client sees it:
- `query`: `GET /mds/metadata?gen3_discovery.group=<g>` (one path; each value
  held by 100 records; the default page of 10), a different value each time;
- `get`: `GET /mds/metadata/<guid>`, a different guid each time;
- `broad` (printed, not the goal): `?_guid_type=discovery_metadata&limit=2000`
  at an offset in the middle, a filter every record matches, as the portal pages.
Each figure is the median of ROUNDS requests. Goal: query p50 < 50 ms.

Usage: python tests/bench/bench_mds.py [RECORDS]
Ends with: BENCH mds query_p50_ms=... get_p50_ms=... records=...
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.auth.client import ApiKeyAuth  # noqa: E402
from tests.bench.serving import running_commons  # noqa: E402

BATCH = 2000
ROUNDS = 200
GROUPS = 1000


def record(i: int) -> dict:
    return {
        "guid": f"dg.bench/{i:08d}",
        "data": {
            "_guid_type": "discovery_metadata",
            "gen3_discovery": {"group": i % GROUPS, "name": f"study {i}"},
        },
    }


def p50_ms(client: httpx.Client, paths: list[str]) -> float:
    times = []
    for path in paths:
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        response.raise_for_status()
    return statistics.median(times) * 1000


def main(records: int) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        running_commons(Path(folder), log=Path(folder) / "serve.log") as (url, key),
    ):
        auth = ApiKeyAuth(url, key)
        with httpx.Client(base_url=url, auth=auth, timeout=600) as client:
            start = time.perf_counter()
            for first in range(0, records, BATCH):
                body = [record(i) for i in range(first, min(first + BATCH, records))]
                client.post("/mds/metadata", json=body).raise_for_status()
            load_s = time.perf_counter() - start
            rng = random.Random(7)
            queries = [
                f"/mds/metadata?gen3_discovery.group={rng.randrange(GROUPS)}" for _ in range(ROUNDS)
            ]
            gets = [f"/mds/metadata/dg.bench/{rng.randrange(records):08d}" for _ in range(ROUNDS)]
            assert len(client.get(queries[0]).json()) == min(10, records // GROUPS)
            p50_ms(client, queries[:20] + gets[:20])  # warm the server and the store
            query = p50_ms(client, queries)
            get = p50_ms(client, gets)
            middle = (records // 2) // BATCH * BATCH
            broad_path = (
                f"/mds/metadata?_guid_type=discovery_metadata&limit={BATCH}&offset={middle}"
            )
            broad = p50_ms(client, [broad_path] * 5)
    print(f"loaded {records} records in {load_s:.1f} s ({records / load_s:.0f}/s)")
    print(f"broad filter, {BATCH} records at offset {middle}: p50 {broad:.0f} ms")
    print(f"BENCH mds query_p50_ms={query:.1f} get_p50_ms={get:.1f} records={records}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
