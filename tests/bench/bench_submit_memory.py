"""Memory of `commons submit` on a large load: the CLI streams, so its peak RSS must not grow with rows.

The same linked chain as bench_submission.py (subject -> sample -> aliquot
-> read_group -> file), N rows in all (default 1,000,000), goes into one
embedded Commons server through `commons submit` alone; the CLI process's
peak resident memory is what the issue's goal (< 1 GB) is about.

Usage: python tests/bench/bench_submit_memory.py [N]
Ends with: BENCH submit_memory rows=... cli_per_s=... peak_rss_mb=...
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.auth.client import ApiKeyAuth  # noqa: E402
from tests.bench.bench_submission import CHUNK, LEVELS, cli_rate, write_chain  # noqa: E402
from tests.bench.serving import running_commons  # noqa: E402


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    per_level = total // len(LEVELS)
    total = per_level * len(LEVELS)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_chain(folder, per_level)
        size_mb = sum(file.stat().st_size for file in files) / 2**20
        print(f"{total} rows in {len(files)} files, {size_mb:.0f} MB, batches of {CHUNK}")
        with running_commons(folder) as (url, credentials):
            client = httpx.Client(base_url=url, auth=ApiKeyAuth(url, credentials), timeout=600)
            rate, peak = cli_rate(client, url, files, total, credentials)
    print(f"BENCH submit_memory rows={total} cli_per_s={rate:.0f} peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()
