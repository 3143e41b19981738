"""The brokers and visa issuers Commons trusts (`PASSPORT_ISSUERS`), and their keys.

`PASSPORT_ISSUERS` is JSON text (in commons.yaml it may be written as YAML:
engine/config.py keeps a structured value as its JSON), a list of issuers:

    [{"iss": "https://broker.example.org",
      "jwks_uri": "https://broker.example.org/jwks",   # or left out: OIDC discovery at iss
      "visa_types": ["ControlledAccessGrants", "https://ras.nih.gov/visas/v1.1"],
      "sources": ["https://dbgap.ncbi.nlm.nih.gov/"],  # optional; left out: any source
      "jku": ["https://broker.example.org/visa-keys"]}] # JWKS URLs its Visa Document Tokens may name

Nothing else is trusted: a passport or visa whose `iss` is not listed is
refused, a visa type the issuer is not listed for grants nothing, and a
Visa Document Token's `jku` must be one listed for its `iss` (else anyone
could sign a visa and point at their own keys). An issuer listed without a
`jwks_uri` has it found through OIDC discovery, as the AAI profile says.

Key sets are fetched with httpx and kept; a token naming a `kid` the kept
set lacks fetches the set again, at most once every REFRESH_S per URL, so
a stream of made-up `kid`s cannot turn Commons into a flood of requests to
the issuer.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from engine.auth.errors import AuthError
from engine.config import ConfigError

FETCH_TIMEOUT_S = 5
REFRESH_S = 30  # the least time between two fetches of one key set
MAX_AGE_S = 3600  # a key set older than this is fetched again before use
_KEYS = frozenset({"iss", "jwks_uri", "visa_types", "sources", "jku"})


@dataclass(frozen=True)
class TrustedIssuer:
    iss: str
    jwks_uri: str | None
    visa_types: frozenset[str]
    sources: frozenset[str] | None  # None: any source
    jku: frozenset[str]


def _strings(entry: dict[str, Any], key: str, where: str) -> frozenset[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"PASSPORT_ISSUERS{where}.{key}: expected a list of strings")
    return frozenset(value)


def parse_issuers(text: str) -> dict[str, TrustedIssuer]:
    """`PASSPORT_ISSUERS` → the trusted issuers by `iss`; a ConfigError naming what is wrong."""
    if not text.strip():
        return {}
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"PASSPORT_ISSUERS: not valid JSON ({error})") from None
    if not isinstance(entries, list):
        raise ConfigError("PASSPORT_ISSUERS: expected a JSON list of issuers")
    found: dict[str, TrustedIssuer] = {}
    for position, entry in enumerate(entries):
        where = f"[{position}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"PASSPORT_ISSUERS{where}: expected an object")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise ConfigError(
                f"PASSPORT_ISSUERS{where}: unknown keys {', '.join(unknown)} "
                f"(expected {', '.join(sorted(_KEYS))})"
            )
        iss, jwks_uri = entry.get("iss"), entry.get("jwks_uri")
        if not isinstance(iss, str) or not iss.startswith(("https://", "http://")):
            raise ConfigError(f"PASSPORT_ISSUERS{where}.iss: expected the issuer's URL")
        if jwks_uri is not None and not isinstance(jwks_uri, str):
            raise ConfigError(f"PASSPORT_ISSUERS{where}.jwks_uri: expected a URL")
        if iss in found:
            raise ConfigError(f"PASSPORT_ISSUERS{where}: issuer {iss} is listed twice")
        found[iss] = TrustedIssuer(
            iss,
            jwks_uri,
            _strings(entry, "visa_types", where),
            _strings(entry, "sources", where) if "sources" in entry else None,
            _strings(entry, "jku", where),
        )
    return found


@dataclass
class _KeySet:
    keys: dict[str, jwt.PyJWK]
    fetched: float


class KeySets:
    """JWKS documents by URL, fetched when first needed and again on an unknown `kid`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, _KeySet] = {}
        self._discovered: dict[str, str] = {}

    def _get_json(self, url: str, what: str) -> Any:
        try:
            answer = httpx.get(url, timeout=FETCH_TIMEOUT_S, follow_redirects=False)
            answer.raise_for_status()
            return answer.json()
        except (httpx.HTTPError, ValueError) as error:
            raise AuthError(503, f"the {what} at {url} could not be fetched ({error})") from None

    def jwks_uri(self, issuer: TrustedIssuer) -> str:
        """The issuer's key set URL: configured, or read from its OIDC discovery document."""
        if issuer.jwks_uri:
            return issuer.jwks_uri
        if issuer.iss not in self._discovered:
            url = issuer.iss.rstrip("/") + "/.well-known/openid-configuration"
            document = self._get_json(url, "OIDC discovery document")
            found = document.get("jwks_uri") if isinstance(document, dict) else None
            if not isinstance(found, str):
                raise AuthError(503, f"the OIDC discovery document at {url} names no jwks_uri")
            self._discovered[issuer.iss] = found
        return self._discovered[issuer.iss]

    def _fetch(self, url: str) -> _KeySet:
        document = self._get_json(url, "key set")
        try:
            keys = jwt.PyJWKSet.from_dict(document).keys
        except jwt.PyJWTError as error:
            raise AuthError(503, f"the key set at {url} holds no usable key ({error})") from None
        return _KeySet({str(key.key_id): key for key in keys}, time.monotonic())

    def key(self, url: str, kid: str) -> Any:
        """The public key `kid` of the set at `url`; a 401 when the set does not hold it."""
        with self._lock:
            now = time.monotonic()
            kept = self._sets.get(url)
            stale = kept is None or now - kept.fetched > MAX_AGE_S
            unknown = kept is not None and kid not in kept.keys
            if stale or (unknown and now - kept.fetched >= REFRESH_S):
                kept = self._sets[url] = self._fetch(url)
            assert kept is not None
            if kid not in kept.keys:
                raise AuthError(401, f"no key {kid!r} in the key set at {url}")
            return kept.keys[kid].key
