"""The embedded graph database: ArcadeDB with its Bolt plugin, run as a child process.

`arcadedb-embedded` ships ArcadeDB's jars and a JRE, so no Java install is
needed. We run the server class with that JRE in a child process rather than
inside Python through JPype: the JVM's memory, threads and shutdown then stay
out of the web server's process, and a crash of either side is contained.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

import neo4j

from engine.child_process import ChildServer, free_port
from engine.graph.store import HEALTH_CHECK

DATABASE = "commons"
USER = "root"
READY_TIMEOUT_S = 60.0
# The JIT's top tier (C2) only for methods ten times hotter than its defaults. ArcadeDB is a
# large code base: with the defaults, C2 kept compiling lukewarm methods for thousands of
# requests, and on a small machine that CPU came out of the work (measured: it halved the
# store's CPU during small-file uploads; submissions after warm-up ran as fast).
JIT_FLAGS = (
    "-XX:Tier4InvocationThreshold=50000",
    "-XX:Tier4MinInvocationThreshold=20000",
    "-XX:Tier4CompileThreshold=60000",
    "-XX:Tier4BackEdgeThreshold=400000",
)


@dataclass(frozen=True)
class BoltEndpoint:
    uri: str
    user: str
    password: str
    database: str


def _package_dir() -> Path:
    import arcadedb_embedded

    return Path(arcadedb_embedded.__file__).resolve().parent


def _root_password(data_dir: Path) -> str:
    """Generated on first start and kept, so the database opens again after a restart."""
    path = data_dir / "root-password"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_answers(endpoint: BoltEndpoint) -> bool:
    """The Bolt port opens before the database exists, so ask the database itself."""
    with socket.create_connection(("127.0.0.1", int(endpoint.uri.rsplit(":", 1)[1])), timeout=0.5):
        pass
    with (
        neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, endpoint.password)) as driver,
        driver.session(database=endpoint.database) as session,
    ):
        session.execute_read(lambda tx: tx.run(HEALTH_CHECK).consume())
    return True


class EmbeddedArcadeDB:
    """Starts ArcadeDB on 127.0.0.1 with data under `data_dir`; `stop()` ends it."""

    def __init__(self, data_dir: Path, bolt_port: int = 0, heap: str = "512m") -> None:
        self.data_dir = data_dir.resolve()
        self.bolt_port = bolt_port or free_port()
        self.heap = heap
        self.password = _root_password(self.data_dir)
        package = _package_dir()
        settings = {
            "arcadedb.server.rootPath": self.data_dir,
            "arcadedb.server.databaseDirectory": self.data_dir / "databases",
            "arcadedb.server.rootPassword": self.password,
            "arcadedb.server.defaultDatabases": f"{DATABASE}[{USER}]",
            "arcadedb.server.plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "arcadedb.server.httpIncomingHost": "127.0.0.1",
            "arcadedb.server.httpIncomingPort": free_port(),
            "arcadedb.server.mode": "production",
            "arcadedb.bolt.host": "127.0.0.1",
            "arcadedb.bolt.port": self.bolt_port,
        }
        command = [
            str(package / "jre" / "bin" / "java"),
            f"-Xmx{heap}",
            *JIT_FLAGS,
            "-cp",
            str(package / "jars" / "*"),
            *(f"-D{key}={value}" for key, value in settings.items()),
            "com.arcadedb.server.ArcadeDBServer",
        ]
        self.child = ChildServer(
            "embedded ArcadeDB", command, self.data_dir / "arcadedb.log", self.data_dir
        )

    @property
    def endpoint(self) -> BoltEndpoint:
        return BoltEndpoint(f"bolt://127.0.0.1:{self.bolt_port}", USER, self.password, DATABASE)

    def start(self) -> BoltEndpoint:
        self.child.start(lambda: _database_answers(self.endpoint), READY_TIMEOUT_S)
        return self.endpoint

    def stop(self) -> None:
        self.child.stop()
