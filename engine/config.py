"""Settings: the one place that reads the environment and `commons.yaml`.

Every knob is an environment variable; a `commons.yaml` in the working
directory (or the file named by `COMMONS_CONFIG`) may set the same names, and
the environment wins. Nothing else in the engine reads `os.environ`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TIER_ACCESS_LEVELS = ("private", "regular", "libre")
INDEX_READ_MODES = ("public", "authz")
MDS_READ_MODES = ("public", "authz")


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _as_int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None


def _as_float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None


@dataclass(frozen=True)
class Settings:
    """Each field is read from the upper-case environment variable of the same name."""

    commons_data_dir: Path = Path(".commons")
    commons_dictionary: Path = REPO_ROOT / "dictionaries" / "default"
    commons_host: str = "127.0.0.1"
    commons_port: int = 8000
    commons_max_body_mb: int = 100
    neo4j_uri: str = ""
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    arcadedb_bolt_port: int = 0
    arcadedb_heap: str = "512m"
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "commons"
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_public_endpoint: str = ""
    seaweedfs_s3_port: int = 0
    index_guid_prefix: str = ""
    index_read: str = "public"
    signed_url_ttl: int = 3600
    mds_read: str = "public"
    mds_commons_name: str = "Commons"
    commons_public_url: str = ""
    commons_policy_file: Path = Path("commons.policy.yaml")
    auth_access_token_minutes: int = 20
    auth_api_key_days: int = 30
    auth_oidc_issuer: str = ""
    auth_oidc_jwks_url: str = ""
    auth_oidc_audience: str = ""
    passport_issuers: str = (
        ""  # JSON: the trusted passport and visa issuers (engine/auth/passports)
    )
    passport_max_ttl: int = 365 * 24 * 3600  # seconds a visa's `asserted` stays good for
    passport_map_projects: bool = True  # grants reach projects whose dbgap_accession_number matches
    tier_access_level: str = "private"
    tier_access_limit: int = 50
    graphql_max_depth: int = 10
    graphql_max_fields: int = 500
    graphql_max_rows: int = 100_000
    graphql_timeout_s: float = 20.0
    jobs_workers: int = 2
    jobs_export_root: str = "subject"
    jobs_export_ttl: int = 14 * 24 * 3600  # seconds an export job's file is kept (pelican: 14 days)
    data_connect_page_size: int = 100
    explore_link_hops: int = 2

    def __post_init__(self) -> None:
        if self.tier_access_level not in TIER_ACCESS_LEVELS:
            raise ConfigError(
                f"TIER_ACCESS_LEVEL: expected one of {', '.join(TIER_ACCESS_LEVELS)}, "
                f"got {self.tier_access_level!r}"
            )
        if self.index_read not in INDEX_READ_MODES:
            raise ConfigError(
                f"INDEX_READ: expected one of {', '.join(INDEX_READ_MODES)}, got {self.index_read!r}"
            )
        if self.mds_read not in MDS_READ_MODES:
            raise ConfigError(
                f"MDS_READ: expected one of {', '.join(MDS_READ_MODES)}, got {self.mds_read!r}"
            )
        if not 1 <= self.data_connect_page_size <= 10_000:
            raise ConfigError(
                f"DATA_CONNECT_PAGE_SIZE: expected 1 to 10000 rows, got {self.data_connect_page_size}"
            )
        if self.jobs_export_ttl < 1:
            raise ConfigError(f"JOBS_EXPORT_TTL: expected seconds >= 1, got {self.jobs_export_ttl}")
        if bool(self.auth_oidc_issuer) != bool(self.auth_oidc_jwks_url):
            raise ConfigError(
                "AUTH_OIDC_ISSUER and AUTH_OIDC_JWKS_URL go together: set both to trust an "
                "external OIDC issuer's tokens, or neither"
            )

    @property
    def public_url(self) -> str:
        """The base URL clients reach Commons at: the `iss` of its tokens, which the Gen3 SDK calls back."""
        return (
            self.commons_public_url or f"http://{self.commons_host}:{self.commons_port}"
        ).rstrip("/")

    @property
    def embedded_graph(self) -> bool:
        """No Neo4j named: Commons runs its own ArcadeDB server."""
        return not self.neo4j_uri

    @property
    def embedded_objects(self) -> bool:
        """No S3 endpoint named: Commons runs its own SeaweedFS server."""
        return not self.s3_endpoint


_CONVERTERS = {bool: _as_bool, int: _as_int, float: _as_float}


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of setting names to values")
    return {str(key).lower(): value for key, value in data.items()}


def load_settings(
    environ: dict[str, str] | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Defaults, then `commons.yaml`, then the environment, then explicit overrides."""
    environ = dict(os.environ if environ is None else environ)
    config_file = Path(environ.get("COMMONS_CONFIG", "commons.yaml"))
    values: dict[str, Any] = _read_file(config_file) if config_file.is_file() else {}
    known = {field.name: field for field in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{config_file}: unknown settings {', '.join(unknown)}")
    for name in known:
        if name.upper() in environ:
            values[name] = environ[name.upper()]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    converted: dict[str, Any] = {}
    for name, value in values.items():
        kind = type(known[name].default)
        if kind in _CONVERTERS:
            converted[name] = _CONVERTERS[kind](name.upper(), value)
        elif isinstance(known[name].default, Path):
            converted[name] = Path(value).expanduser()
        elif isinstance(value, list | dict):  # a structured value in commons.yaml: its JSON text
            converted[name] = json.dumps(value)
        else:
            converted[name] = str(value)
    return Settings(**converted)
