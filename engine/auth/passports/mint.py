"""A passport broker of one's own, for tests and trying passports out: keys, a JWKS server, tokens.

    with Broker().serving() as broker:         # JWKS at {broker.iss}/jwks, discovery too
        visa = broker.visa("alice", "phs000123.c1")
        passport = broker.passport("alice", [visa])
        settings = {"PASSPORT_ISSUERS": json.dumps([broker.issuer_entry()])}

Run as `python -m engine.auth.passports.mint --study phs000123.c1` it
prints a `PASSPORT_ISSUERS` value and a passport, and serves the broker's
keys until interrupted: the README's worked example. Its keys live only in
memory, so nothing it mints outlives the process.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from engine.auth.passports.validation import CONTROLLED_ACCESS, PASSPORT_TYP

DBGAP = "https://dbgap.ncbi.nlm.nih.gov/"


class Broker:
    """One signing key (RS256 or ES256) and the issuer URL it is served at."""

    def __init__(self, alg: str = "RS256") -> None:
        self.alg = alg
        self.kid = uuid.uuid4().hex[:12]
        if alg == "ES256":
            self.private_key: Any = ec.generate_private_key(ec.SECP256R1())
            self._jwk = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        else:
            self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self._jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        self.iss = "http://127.0.0.1"
        self.fetches = 0  # key sets served: how tests see that keys are cached

    def jwks(self) -> dict[str, Any]:
        """As brokers publish keys: `use: sig`, not PyJWT's `key_ops` (the JWK spec says not both)."""
        jwk = {name: value for name, value in self._jwk.items() if name != "key_ops"}
        return {"keys": [{**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}]}

    @property
    def jwks_uri(self) -> str:
        return f"{self.iss}/jwks"

    @property
    def jku(self) -> str:
        """Where the same keys are served for Visa Document Tokens that name a `jku`."""
        return f"{self.iss}/visa-keys"

    def issuer_entry(self, **overrides: Any) -> dict[str, Any]:
        """This broker as one entry of PASSPORT_ISSUERS (discovery finds its JWKS)."""
        return {"iss": self.iss, "visa_types": [CONTROLLED_ACCESS], "jku": [self.jku], **overrides}

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims,
            self.private_key,
            algorithm=self.alg,
            headers={"kid": self.kid, **(header or {})},
        )

    def visa(
        self,
        sub: str,
        study: str,
        *,
        lifetime: int = 3600,
        asserted: int | None = None,
        document: bool = False,
        visa: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
        header: dict[str, Any] | None = None,
    ) -> str:
        """A ControlledAccessGrants visa for `study` by a DAC: a Visa Access Token, or with
        `document` a Visa Document Token naming this broker's `jku`; `visa`, `claims` and
        `header` change or add what it says (tests make bad visas with them)."""
        registered = self._registered(sub, lifetime)
        body = {
            **registered,
            "ga4gh_visa_v1": {
                "type": CONTROLLED_ACCESS,
                "asserted": registered["iat"] if asserted is None else asserted,
                "value": f"{DBGAP}{study}",
                "source": DBGAP,
                "by": "dac",
                **(visa or {}),
            },
            **({} if document else {"scope": "openid ga4gh_passport_v1"}),
            **(claims or {}),
        }
        made = {"typ": "vnd.ga4gh.visa+jwt", **({"jku": self.jku} if document else {})}
        return self.sign(body, {**made, **(header or {})})

    def passport(self, sub: str, visas: list[str], *, lifetime: int = 3600) -> str:
        claims = {**self._registered(sub, lifetime), "ga4gh_passport_v1": visas}
        return self.sign(claims, {"typ": PASSPORT_TYP})

    def _registered(self, sub: str, lifetime: int) -> dict[str, Any]:
        """The registered claims of every token this broker mints: issuer, subject, times, id."""
        now = int(time.time())
        return {
            "iss": self.iss,
            "sub": sub,
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
        }

    @contextmanager
    def serving(self, port: int = 0) -> Iterator[Broker]:
        """Serves the keys (`/jwks`, `/visa-keys`) and OIDC discovery on 127.0.0.1 meanwhile."""
        broker = self

        class Keys(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                documents = {
                    "/jwks": broker.jwks(),
                    "/visa-keys": broker.jwks(),
                    "/.well-known/openid-configuration": {
                        "issuer": broker.iss,
                        "jwks_uri": broker.jwks_uri,
                    },
                }
                found = documents.get(self.path)
                broker.fetches += self.path != "/.well-known/openid-configuration"
                body = json.dumps(found or {"error": "not found"}).encode()
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                """Quiet: the broker serves tests and examples."""

        server = ThreadingHTTPServer(("127.0.0.1", port), Keys)
        self.iss = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--study", action="append", required=True, help="e.g. phs000123.c1")
    parser.add_argument("--sub", default="researcher")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--lifetime", type=int, default=3600, help="seconds")
    args = parser.parse_args(argv)
    with Broker().serving(args.port) as broker:
        visas = [broker.visa(args.sub, study, lifetime=args.lifetime) for study in args.study]
        print("PASSPORT_ISSUERS=" + json.dumps([broker.issuer_entry()]))
        print("PASSPORT=" + broker.passport(args.sub, visas, lifetime=args.lifetime), flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
