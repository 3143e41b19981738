"""Settings come from defaults, then commons.yaml, then the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import ConfigError, load_settings


def test_defaults_use_embedded_stores() -> None:
    settings = load_settings(environ={"COMMONS_CONFIG": "/nonexistent.yaml"})
    assert settings.embedded_graph and settings.embedded_objects
    assert settings.s3_bucket == "commons" and settings.commons_port == 8000
    assert settings.index_read == "public"  # index records are public metadata, as in Gen3


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "commons.yaml"
    config.write_text("NEO4J_URI: bolt://db:7687\nS3_SECURE: true\ncommons_port: 9000\n")
    settings = load_settings(environ={"COMMONS_CONFIG": str(config), "COMMONS_PORT": "9100"})
    assert settings.neo4j_uri == "bolt://db:7687" and not settings.embedded_graph
    assert settings.s3_secure is True
    assert settings.commons_port == 9100


def test_explicit_overrides_win_and_none_is_ignored() -> None:
    settings = load_settings(
        environ={"COMMONS_CONFIG": "/nonexistent.yaml", "COMMONS_HOST": "0.0.0.0"},
        overrides={"commons_host": None, "commons_port": 1234},
    )
    assert settings.commons_host == "0.0.0.0" and settings.commons_port == 1234


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("S3_SECURE: maybe\n", "S3_SECURE: expected true or false, got 'maybe'"),
        ("COMMONS_PORT: eighty\n", "COMMONS_PORT: expected a whole number, got 'eighty'"),
        ("NEO4J_URL: bolt://x\n", "unknown settings neo4j_url"),
        ("- a list\n", "expected a mapping of setting names to values"),
        ("INDEX_READ: private\n", "INDEX_READ: expected one of public, authz, got 'private'"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "commons.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"COMMONS_CONFIG": str(config)})
    assert message in str(caught.value)


def test_fractional_seconds_are_read() -> None:
    settings = load_settings(environ={"COMMONS_CONFIG": "/none", "GRAPHQL_TIMEOUT_S": "0.5"})
    assert settings.graphql_timeout_s == 0.5
    with pytest.raises(ConfigError, match="GRAPHQL_TIMEOUT_S: expected a number, got 'soon'"):
        load_settings(environ={"COMMONS_CONFIG": "/none", "GRAPHQL_TIMEOUT_S": "soon"})
