"""The compose file wires every setting the app reads to the production stores."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import yaml

from engine.config import Settings

EMBEDDED_ONLY = ("arcadedb_", "seaweedfs_")


def test_every_setting_is_set_for_the_app(repo_root: Path) -> None:
    compose = yaml.safe_load((repo_root / "docker" / "compose.yaml").read_text())
    environment = compose["services"]["app"]["environment"]
    needed = {f.name.upper() for f in fields(Settings) if not f.name.startswith(EMBEDDED_ONLY)}
    assert sorted(needed - set(environment)) == []
    assert environment["NEO4J_URI"] == "bolt://neo4j:7687"
    assert environment["S3_ENDPOINT"] == "minio:9000"


def test_stores_have_healthchecks_and_named_volumes(repo_root: Path) -> None:
    compose = yaml.safe_load((repo_root / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert services["neo4j"]["image"] == "neo4j:5"
    assert services["minio"]["image"].startswith("minio/minio")
    for name in ("neo4j", "minio", "app"):
        assert "healthcheck" in services[name], name
        volume = services[name]["volumes"][0].split(":")[0]
        assert volume in compose["volumes"], name
    assert services["app"]["depends_on"]["neo4j"]["condition"] == "service_healthy"
