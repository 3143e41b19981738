"""Admin credentials for a benchmark's own `commons serve`: access is enforced, as in production.

Made with the `commons` CLI, which joins the running server's embedded
graph through its data dir; the API key's issuer must be the URL the
server answers at, so the CLI is told it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
