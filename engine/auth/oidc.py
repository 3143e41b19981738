"""An external OIDC issuer whose tokens Commons also accepts, checked against its published JWKS.

PyJWKClient caches the key set and fetches it again when a token names a
`kid` it has not seen, so the issuer's own key rotation needs nothing here.
"""

from __future__ import annotations

from typing import Any

import jwt

from engine.auth.errors import AuthError
from engine.auth.tokens import verify

JWKS_TIMEOUT_S = 5


class ExternalIssuer:
    def __init__(self, issuer: str, jwks_url: str, audience: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, timeout=JWKS_TIMEOUT_S)

    def verify(self, token: str) -> dict[str, Any]:
        try:
            key = self._client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as error:
            raise AuthError(
                503,
                f"the keys of issuer {self.issuer} could not be fetched from {self._client.uri} ({error})",
            ) from None
        except jwt.PyJWTError as error:
            raise AuthError(
                401, f"the token's key is not one issuer {self.issuer} publishes ({error})"
            ) from None
        return verify(token, key, issuer=self.issuer, audience=self.audience)
