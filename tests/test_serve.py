"""`commons serve` as a user runs it: starts its stores, serves, stops cleanly, keeps data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from engine.child_process import free_port
from engine.graph.arcadedb import DATABASE, USER
from engine.graph.store import GraphStore
from engine.objects.store import ObjectStore

COMMONS = str(Path(sys.executable).parent / "commons")
# A loaded 2-core machine starts ArcadeDB and SeaweedFS in well over 30 s.
STARTUP_S = 60


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = (
        Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else "X"
    )
    return state not in {"Z", "X"}


class Serve:
    """One `commons serve` process on fixed ports, so a restart finds the same stores."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port, self.bolt, self.s3 = free_port(), free_port(), free_port()
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "COMMONS_CONFIG": "/nonexistent/commons.yaml",
            "ARCADEDB_BOLT_PORT": str(self.bolt),
            "SEAWEEDFS_S3_PORT": str(self.s3),
        }
        for name in ("NEO4J_URI", "S3_ENDPOINT"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [COMMONS, "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stdout.read()
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/_status").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        output = self.terminate()  # stops its stores too, rather than leaving them running
        pytest.fail(f"commons serve did not report healthy stores within {STARTUP_S} s:\n{output}")

    def graph(self) -> GraphStore:
        password = (self.data_dir / "graph" / "root-password").read_text().strip()
        return GraphStore(f"bolt://127.0.0.1:{self.bolt}", USER, password, DATABASE)

    def objects(self) -> ObjectStore:
        keys = json.loads((self.data_dir / "objects" / "s3-keys.json").read_text())
        return ObjectStore(
            f"127.0.0.1:{self.s3}", keys["access_key"], keys["secret_key"], "commons"
        )

    def terminate(self) -> str:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=30)
        return output


def test_sigterm_leaves_no_child_and_restart_keeps_data(tmp_path: Path) -> None:
    serve = Serve(tmp_path / "data")
    serve.start()
    status = httpx.get(
        f"http://127.0.0.1:{serve.port}/_status", headers={"accept": "application/json"}
    ).json()
    assert status["graph"] == {
        "name": "arcadedb",
        "ok": True,
        "version": status["graph"]["version"],
        "error": "",
    }
    assert status["objects"]["ok"] is True
    version = httpx.get(f"http://127.0.0.1:{serve.port}/_version").json()
    assert version["graph"]["name"] == "arcadedb" and version["objects"]["name"] == "seaweedfs"
    children = _children(serve.process.pid)
    assert len(children) == 2
    graph = serve.graph()
    graph.write("CREATE (:Kept {id: $id})", {"id": "kept-1"})
    graph.close()
    serve.objects().put("kept.txt", b"still here")

    output = serve.terminate()
    assert "Traceback" not in output
    assert not [pid for pid in children if _alive(pid)]

    serve.start()
    graph = serve.graph()
    assert graph.read("MATCH (n:Kept) RETURN n.id AS id") == [{"id": "kept-1"}]
    graph.close()
    assert serve.objects().get("kept.txt") == b"still here"
    serve.terminate()


def test_unreachable_neo4j_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COMMONS_CONFIG": "/nonexistent.yaml",
        "NEO4J_URI": f"bolt://127.0.0.1:{free_port()}",
    }
    result = subprocess.run(
        [COMMONS, "serve", "--data-dir", str(tmp_path), "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "graph store at bolt://127.0.0.1" in result.stderr and "NEO4J_URI" in result.stderr
