"""Commons' RS256 signing keys: PEM files in the data dir, the newest signs, all of them verify.

A key id (`kid`) begins with its UTC creation time, so "newest" survives
copies and restores. Rotating adds a key that signs from then on; the old
public keys stay in the JWKS, and tokens they signed keep verifying until the
key is retired. The ring re-reads its folder whenever the folder changes, so
a `commons keys rotate` run beside a server takes effect there at once, and
app replicas that mount one keys folder (a shared volume or a secret, as
fence mounts its keys) sign and verify alike.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from engine.auth.errors import AuthError

ALGORITHM = "RS256"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def jwk(self) -> dict[str, Any]:
        """As fence publishes it: `use: sig` rather than PyJWT's `key_ops`, which the JWK spec says not to mix."""
        jwk = RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        return {
            "kty": jwk["kty"],
            "n": jwk["n"],
            "e": jwk["e"],
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }


def _new_kid() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"


class KeyRing:
    """The keys in `folder`, cached until the folder changes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._keys: dict[str, SigningKey] = {}

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> KeyRing:
        return cls(data_dir / "auth" / "keys")

    def _read(self) -> dict[str, SigningKey]:
        try:
            stamp = self.folder.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        with self._lock:
            if stamp != self._stamp:
                keys = {}
                for path in sorted(self.folder.glob("*.pem")):
                    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
                    if not isinstance(private, rsa.RSAPrivateKey):
                        raise ValueError(f"{path} is not an RSA private key")
                    keys[path.stem] = SigningKey(path.stem, private)
                self._keys, self._stamp = keys, stamp
            return self._keys

    def kids(self) -> list[str]:
        """Oldest first; the last one signs."""
        return sorted(self._read())

    def signing_key(self) -> SigningKey:
        """The newest key, made on first use so a fresh data dir needs no set-up."""
        keys = self._read()
        return keys[max(keys)] if keys else self.rotate()

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        key = self._read().get(kid)
        return key.public_key if key else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for _, key in sorted(self._read().items())]}

    def rotate(self) -> SigningKey:
        """A new key pair that signs from now on; written 0600, whole or not at all."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        kid = _new_kid()
        partial = self.folder / f".{kid}.partial"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        partial.rename(self.folder / f"{kid}.pem")  # readers never see half a key
        return SigningKey(kid, private)

    def retire(self, kid: str) -> None:
        """Stop trusting an old key: every token it signed, API keys included, stops verifying."""
        kids = self.kids()
        if kid not in kids:
            raise AuthError(
                404, f"no signing key {kid!r}; the keys are {', '.join(kids) or 'none'}"
            )
        if kid == kids[-1]:
            raise AuthError(
                400,
                f"{kid} is the key that signs now; run `commons keys rotate` before retiring it",
            )
        (self.folder / f"{kid}.pem").unlink()
