"""Tokens: what Commons signs, what it refuses, key rotation, and an external OIDC issuer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.auth import accounts
from engine.auth.authority import Authority
from engine.auth.errors import AuthError
from engine.auth.keys import SigningKey
from engine.auth.tokens import Purpose, mint
from engine.child_process import free_port
from engine.config import load_settings
from engine.graph.store import GraphStore

PUBLIC_URL = "http://commons.test:8000"
IDP = "https://idp.example.org"


def _settings(data_dir: Path, **extra: str):
    return load_settings(
        environ={
            "COMMONS_CONFIG": "/nonexistent.yaml",
            "COMMONS_DATA_DIR": str(data_dir),
            "COMMONS_PUBLIC_URL": PUBLIC_URL,
            **extra,
        }
    )


@pytest.fixture
def authority(graph: GraphStore, tmp_path: Path) -> Authority:
    authority = Authority(graph, _settings(tmp_path))
    authority.prepare()
    accounts.add_user(graph, "alice", admin=False)
    return authority


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": PUBLIC_URL,
        "aud": [PUBLIC_URL],
        "sub": "alice",
        "iat": now,
        "exp": now + 600,
        "jti": "forged",
        "pur": "access",
        "context": {"user": {"name": "alice"}},
    }
    return {**claims, **changes}


def _refusal(authority: Authority, token: str) -> AuthError:
    with pytest.raises(AuthError) as caught:
        authority.principal(token)
    return caught.value


def test_access_token_from_api_key_carries_fence_claims(authority: Authority) -> None:
    credentials = authority.create_api_key("alice")
    assert set(credentials) == {"api_key", "key_id"}
    api_key = jwt.decode(credentials["api_key"], options={"verify_signature": False})
    assert api_key["pur"] == "api_key" and api_key["jti"] == credentials["key_id"]
    assert api_key["exp"] - api_key["iat"] == 30 * 24 * 3600

    token = authority.exchange(credentials["api_key"])
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "RS256", "kid": authority.keys.kids()[-1], "typ": "JWT"}
    assert claims["iss"] == PUBLIC_URL and claims["aud"] == [PUBLIC_URL]
    assert claims["sub"] == "alice" and claims["context"] == {"user": {"name": "alice"}}
    assert claims["pur"] == "access" and claims["api_key_jti"] == credentials["key_id"]
    assert claims["exp"] - claims["iat"] == 20 * 60 and claims["jti"] != api_key["jti"]

    who = authority.principal(token)
    assert who.name == "alice" and not who.is_admin and not who.is_anonymous


def test_access_token_never_outlives_its_api_key(authority: Authority) -> None:
    credentials = authority.create_api_key("alice", days=1)
    authority.access_lifetime = timedelta(days=3)
    claims = jwt.decode(
        authority.exchange(credentials["api_key"]), options={"verify_signature": False}
    )
    api_key = jwt.decode(credentials["api_key"], options={"verify_signature": False})
    assert claims["exp"] == api_key["exp"]


def _wrong_signature(authority: Authority) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = authority.keys.kids()[-1]
    return jwt.encode(_claims(), other, algorithm="RS256", headers={"kid": kid})


def _alg_none(authority: Authority) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": authority.keys.kids()[-1]}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims()).encode())}."


def _hs256_with_public_key(authority: Authority) -> str:
    """The classic confusion attack: the public PEM used as an HMAC secret."""
    key = authority.keys.signing_key()
    secret = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims()).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _signed(authority: Authority, **changes: Any) -> str:
    key = authority.keys.signing_key()
    return jwt.encode(
        _claims(**changes), key.private_key, algorithm="RS256", headers={"kid": key.kid}
    )


def _expired(authority: Authority) -> str:
    return _signed(authority, iat=int(time.time()) - 3600, exp=int(time.time()) - 60)


def _wrong_audience(authority: Authority) -> str:
    return _signed(authority, aud=["http://another-commons.test"])


def _untrusted_issuer(authority: Authority) -> str:
    return _signed(authority, iss="https://evil.example.org")


def _unknown_kid(authority: Authority) -> str:
    key = authority.keys.signing_key()
    return jwt.encode(_claims(), key.private_key, algorithm="RS256", headers={"kid": "nope"})


def _without_expiry(authority: Authority) -> str:
    claims = _claims()
    del claims["exp"]
    key = authority.keys.signing_key()
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (_wrong_signature, "the token's signature does not verify"),
        (_alg_none, "the token must be signed with RS256"),
        (_hs256_with_public_key, "the token must be signed with RS256"),
        (_expired, "the token has expired"),
        (_wrong_audience, "the token is meant for another audience"),
        (_untrusted_issuer, "the token comes from an untrusted issuer"),
        (_unknown_kid, "signed by a key this Commons does not hold"),
        (_without_expiry, "the token lacks the 'exp' claim"),
        (lambda authority: "not-a-jwt", "the token is not a well-formed JWT"),
    ],
)
def test_forged_tokens_are_refused(authority: Authority, forge, message: str) -> None:
    refusal = _refusal(authority, forge(authority))
    assert refusal.status == 401 and message in refusal.message


def test_api_key_is_not_an_access_token_and_access_token_is_not_an_api_key(
    authority: Authority,
) -> None:
    credentials = authority.create_api_key("alice")
    assert "not an access token" in _refusal(authority, credentials["api_key"]).message
    with pytest.raises(AuthError, match="is not an API key"):
        authority.exchange(authority.exchange(credentials["api_key"]))


def test_revoking_an_api_key_stops_it_and_its_access_tokens_at_once(
    authority: Authority, graph: GraphStore
) -> None:
    credentials = authority.create_api_key("alice")
    token = authority.exchange(credentials["api_key"])
    assert authority.principal(token).name == "alice"

    assert accounts.revoke_api_key(graph, credentials["key_id"]) == "alice"
    refusal = _refusal(authority, token)
    assert refusal.status == 401 and "has been revoked" in refusal.message
    with pytest.raises(AuthError, match="the API key has been revoked"):
        authority.exchange(credentials["api_key"])
    with pytest.raises(AuthError, match="no API key with key_id"):
        accounts.revoke_api_key(graph, "unknown")


def test_api_key_of_a_graph_that_never_issued_it_is_refused(authority: Authority) -> None:
    """Signed by our key, but not recorded (a restored backup, a wiped graph): not trusted."""
    token, _ = mint(
        authority.keys.signing_key(),
        issuer=PUBLIC_URL,
        user="alice",
        purpose=Purpose.API_KEY,
        lifetime=timedelta(days=1),
    )
    with pytest.raises(AuthError, match="has been revoked"):
        authority.exchange(token)


def test_rotation_keeps_old_tokens_until_the_old_key_is_retired(authority: Authority) -> None:
    old_kid = authority.keys.kids()[-1]
    old_token = authority.exchange(authority.create_api_key("alice")["api_key"])

    new = authority.keys.rotate()
    assert authority.keys.kids() == [old_kid, new.kid]
    new_token = authority.exchange(authority.create_api_key("alice")["api_key"])
    assert jwt.get_unverified_header(new_token)["kid"] == new.kid
    assert authority.principal(old_token).name == "alice"
    assert [key["kid"] for key in authority.keys.jwks()["keys"]] == [old_kid, new.kid]

    with pytest.raises(AuthError, match="run `commons keys rotate` before retiring it"):
        authority.keys.retire(new.kid)
    authority.keys.retire(old_kid)
    assert "does not hold" in _refusal(authority, old_token).message
    assert authority.principal(new_token).name == "alice"


def test_key_files_are_private_and_a_second_process_sees_a_rotation(
    authority: Authority, graph: GraphStore, tmp_path: Path
) -> None:
    path = authority.keys.folder / f"{authority.keys.kids()[-1]}.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    replica = Authority(graph, _settings(tmp_path))
    new = authority.keys.rotate()
    assert replica.keys.signing_key().kid == new.kid


def test_jwks_publishes_every_trusted_public_key(authority: Authority) -> None:
    authority.keys.rotate()
    jwks = authority.keys.jwks()
    assert len(jwks["keys"]) == 2
    for entry in jwks["keys"]:
        assert entry["kty"] == "RSA" and entry["alg"] == "RS256" and entry["use"] == "sig"
        assert "d" not in entry and "p" not in entry  # public parts only
    token = authority.exchange(authority.create_api_key("alice")["api_key"])
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(entry for entry in jwks["keys"] if entry["kid"] == kid))
    assert jwt.decode(token, key, algorithms=["RS256"], audience=PUBLIC_URL)["sub"] == "alice"


# An external OIDC issuer -------------------------------------------------------


class JwksServer:
    """An identity provider's JWKS endpoint on a local uvicorn, with its own signing key."""

    def __init__(self) -> None:
        self.key = SigningKey(
            "idp-key-1", rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        self.port = free_port()
        app = Starlette(
            routes=[Route("/jwks", lambda request: JSONResponse({"keys": [self.key.jwk()]}))]
        )
        self.server = uvicorn.Server(uvicorn.Config(app, port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/jwks"

    def token(self, key: SigningKey | None = None, **changes: Any) -> str:
        key = key or self.key
        now = int(time.time())
        claims = {
            "iss": IDP,
            "aud": "commons-client",
            "sub": "0f3a9",
            "email": "carol@example.org",
            "iat": now,
            "exp": now + 300,
            **changes,
        }
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


@pytest.fixture(scope="module")
def idp() -> Iterator[JwksServer]:
    server = JwksServer()
    server.thread.start()
    deadline = time.monotonic() + 10
    while not server.server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield server
    server.server.should_exit = True
    server.thread.join(5)


def _trusting(graph: GraphStore, tmp_path: Path, jwks_url: str) -> Authority:
    settings = _settings(
        tmp_path,
        AUTH_OIDC_ISSUER=IDP,
        AUTH_OIDC_JWKS_URL=jwks_url,
        AUTH_OIDC_AUDIENCE="commons-client",
    )
    return Authority(graph, settings)


def test_external_issuer_tokens_are_verified_through_its_jwks(
    idp: JwksServer, graph: GraphStore, tmp_path: Path
) -> None:
    authority = _trusting(graph, tmp_path, idp.url)
    who = authority.principal(idp.token())
    assert who.name == "carol@example.org" and not who.is_admin
    assert authority.principal(idp.token(preferred_username="carol")).name == "carol"

    impostor = SigningKey(
        idp.key.kid, rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    assert "signature does not verify" in _refusal(authority, idp.token(impostor)).message
    unknown = SigningKey("idp-key-2", impostor.private_key)
    assert "not one issuer" in _refusal(authority, idp.token(unknown)).message
    assert "another audience" in _refusal(authority, idp.token(aud="someone-else")).message
    assert "expired" in _refusal(authority, idp.token(exp=int(time.time()) - 5)).message
    refused = _refusal(authority, idp.token(pur="api_key"))
    assert "not an access token" in refused.message


def test_unreachable_jwks_is_a_503_not_a_401(
    graph: GraphStore, tmp_path: Path, idp: JwksServer
) -> None:
    authority = _trusting(graph, tmp_path, f"http://127.0.0.1:{free_port()}/jwks")
    refusal = _refusal(authority, idp.token())
    assert refusal.status == 503 and "could not be fetched" in refusal.message


def test_oidc_issuer_without_jwks_url_is_a_config_error(tmp_path: Path) -> None:
    from engine.config import ConfigError

    with pytest.raises(ConfigError, match="AUTH_OIDC_ISSUER and AUTH_OIDC_JWKS_URL go together"):
        _settings(tmp_path, AUTH_OIDC_ISSUER=IDP)
