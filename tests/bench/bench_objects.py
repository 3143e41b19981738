"""Object throughput: `commons upload`/`download` against direct S3 calls, same files, same run.

One embedded Commons server (ArcadeDB + SeaweedFS) is started. Two sets of
random files, 200 MB each, one of 1 MB files and one of 50 MB files, go:
- through `commons upload` (records created, MD5 computed and checked) and
  `commons download` (size and MD5 verified): the command a user types,
  run in this process so that the Python start-up of a `commons` process
  (printed separately: it is the same for every command) is not counted;
- straight into the same SeaweedFS with the minio SDK (`fput_object`,
  `fget_object`) on as many threads, no records and no checks.
Each way runs five times, in turn with the others, and counts its median:
a single run lasts a second or two, and on a shared machine one slow second
swung a figure by a third.

Usage: python tests/bench/bench_objects.py [MB_PER_SET] [WORKERS]
Ends with: BENCH objects upload_mb_s=... direct_upload_mb_s=... download_mb_s=... direct_download_mb_s=...
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from minio import Minio

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.auth.client import ApiKeyAuth  # noqa: E402
from engine.child_process import free_port  # noqa: E402
from engine.cli import main as commons  # noqa: E402
from tests.bench.serving import running_commons  # noqa: E402

MB = 1024 * 1024
ROUNDS = 5  # each figure is the median of this many runs: one run of 200 MB lasts 1-3 s
COMMONS = str(Path(sys.executable).parent / "commons")


def make_files(folder: Path, total_mb: int, size_mb: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(total_mb // size_mb):
        path = folder / f"f{i:04d}.bin"
        path.write_bytes(os.urandom(size_mb * MB))
        paths.append(path)
    return paths


def timed(args: list[str]) -> float:
    """`commons ARGS...` in this process; a failure stops the benchmark."""
    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()) as errors:
        try:
            commons.main(args, standalone_mode=False)
        except SystemExit as exit:
            if exit.code:
                raise SystemExit(f"commons {args[0]} failed:\n{errors.getvalue()}") from None
    return time.perf_counter() - start


def startup_s() -> float:
    start = time.perf_counter()
    subprocess.run([COMMONS, "--help"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def direct(
    client: Minio, bucket: str, work: list[tuple[str, Path]], upload: bool, workers: int
) -> float:
    def one(item: tuple[str, Path]) -> None:
        key, path = item
        if upload:
            client.fput_object(bucket, key, str(path))
        else:
            client.fget_object(bucket, key, str(path))

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, work))
    return time.perf_counter() - start


def make_project(url: str, credentials: Path) -> None:
    client = httpx.Client(base_url=url, auth=ApiKeyAuth(url, credentials))
    client.put(
        "/api/v0/submission/",
        json={"type": "program", "name": "bench", "dbgap_accession_number": "b"},
    ).raise_for_status()
    client.put(
        "/api/v0/submission/bench",
        json={"type": "project", "code": "files", "name": "files", "dbgap_accession_number": "b"},
    ).raise_for_status()


def main() -> None:
    per_set = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    if per_set < 50:
        raise SystemExit("MB_PER_SET must be at least 50: one set is of 50 MB files")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        s3_port = free_port()
        with running_commons(folder, SEAWEEDFS_S3_PORT=str(s3_port)) as (url, credentials):
            os.environ["COMMONS_CREDENTIALS"] = str(credentials)  # for the commands run here
            make_project(url, credentials)
            keys = json.loads((folder / "data" / "objects" / "s3-keys.json").read_text())
            client = Minio(
                f"127.0.0.1:{s3_port}", keys["access_key"], keys["secret_key"], secure=False
            )
            # A few files first, so neither side is timed while the servers warm up.
            warm = make_files(folder / "warm", 8, 1)
            direct(client, "commons", [(f"warm/{p.name}", p) for p in warm], True, workers)
            timed(["upload", "bench/files", str(folder / "warm"), "--url", url])
            totals = {"up": 0.0, "direct_up": 0.0, "down": 0.0, "direct_down": 0.0}
            for size_mb in (1, 50):
                files = make_files(folder / f"in-{size_mb}", per_set, size_mb)
                work = [(f"direct/{size_mb}/{p.name}", p) for p in files]
                rounds: dict[str, list[float]] = {name: [] for name in totals}
                for round_ in range(ROUNDS):
                    manifest = folder / f"manifest-{size_mb}-{round_}.tsv"
                    out = folder / f"out-{size_mb}-{round_}"
                    back = [
                        (key, folder / f"direct-out-{size_mb}-{round_}" / p.name) for key, p in work
                    ]
                    rounds["direct_up"].append(direct(client, "commons", work, True, workers))
                    rounds["up"].append(
                        timed(
                            ["upload", "bench/files", str(files[0].parent), "--url", url]
                            + ["--manifest", str(manifest), "--workers", str(workers)]
                        )
                    )
                    rounds["down"].append(
                        timed(
                            ["download", "--manifest", str(manifest), "--url", url]
                            + ["--out", str(out), "--workers", str(workers)]
                        )
                    )
                    rounds["direct_down"].append(direct(client, "commons", back, False, workers))
                times = {name: statistics.median(seconds) for name, seconds in rounds.items()}
                for name, seconds in times.items():
                    totals[name] += seconds
                rates = ", ".join(f"{name} {per_set / s:.0f} MB/s" for name, s in times.items())
                print(
                    f"{per_set} MB in {size_mb} MB files (median of {ROUNDS}): {rates}", flush=True
                )
    moved = 2 * per_set
    up, direct_up = moved / totals["up"], moved / totals["direct_up"]
    down, direct_down = moved / totals["down"], moved / totals["direct_down"]
    print(f"upload {up / direct_up:.0%} of direct, download {down / direct_down:.0%} of direct")
    print(f"start-up of a `commons` process (not counted above): {startup_s():.1f} s")
    print(
        f"BENCH objects upload_mb_s={up:.1f} direct_upload_mb_s={direct_up:.1f} "
        f"download_mb_s={down:.1f} direct_download_mb_s={direct_down:.1f}"
    )


if __name__ == "__main__":
    main()
