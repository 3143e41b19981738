"""A benchmark's own `commons serve` on fresh embedded stores, and admin credentials for it.

Access is enforced, as in production. The credentials are made with the
`commons` CLI, which joins the running server's embedded graph through its
data dir; the API key's issuer must be the URL the server answers at, so
the CLI is told it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx

from engine.child_process import free_port

COMMONS = str(Path(sys.executable).parent / "commons")


def admin_credentials(data_dir: Path, url: str) -> Path:
    """`commons users add bench --admin` and `commons keys create bench`; the credentials.json."""
    env = {
        **os.environ,
        "COMMONS_CONFIG": "/nonexistent",
        "COMMONS_DATA_DIR": str(data_dir),
        "COMMONS_PUBLIC_URL": url,
    }
    env.pop("NEO4J_URI", None)
    subprocess.run(
        [COMMONS, "users", "add", "bench", "--admin"], env=env, check=True, capture_output=True
    )
    keys = subprocess.run(
        [COMMONS, "keys", "create", "bench"], env=env, check=True, capture_output=True, text=True
    )
    path = data_dir.parent / "credentials.json"
    path.write_text(keys.stdout)
    return path


@contextmanager
def running_commons(
    folder: Path, log: Path | None = None, **settings: str
) -> Iterator[tuple[str, Path]]:
    """`commons serve` with its data in `folder` and `settings` (environment variables) added:
    its URL and an admin's credentials.json, once it answers; stopped on the way out. The
    server's output goes to `log` when given, so a benchmark that fails can show why."""
    port = free_port()
    env = {**os.environ, "COMMONS_CONFIG": "/nonexistent", **settings}
    env.pop("NEO4J_URI", None)
    env.pop("S3_ENDPOINT", None)
    with log.open("wb") if log else nullcontext(subprocess.DEVNULL) as output:
        server = subprocess.Popen(
            [COMMONS, "serve", "--data-dir", str(folder / "data"), "--port", str(port)],
            env=env,
            stdout=output,
            stderr=output,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(url + "/_status").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise SystemExit("Commons did not start")
            yield url, admin_credentials(folder / "data", url)
        finally:
            server.terminate()
            server.wait(60)
