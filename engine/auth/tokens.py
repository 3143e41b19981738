"""JWTs as fence makes them: what they claim, and what verifying one proves.

`iss` is the public base URL because the Gen3 SDK derives the server to call
back from it; `pur` says what a token may be used for, so an API key is never
accepted where an access token is due. Verification takes nothing from the
token's header but `kid`: the algorithm is fixed to RS256 and the key is one
we trust, so `alg: none` and HS256-signed-with-our-public-key forgeries fail.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt

from engine.auth.errors import AuthError
from engine.auth.keys import ALGORITHM, SigningKey

REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat"]


class Purpose(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"
    API_KEY = "api_key"


def mint(
    key: SigningKey,
    *,
    issuer: str,
    user: str,
    purpose: Purpose,
    lifetime: timedelta,
    expires_at: int | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """A signed token and its claims; `expires_at` caps the lifetime (a token outliving its API key)."""
    now = int(time.time())
    expires = now + int(lifetime.total_seconds())
    claims = {
        "iss": issuer,
        "sub": user,
        "aud": [issuer],
        "iat": now,
        "exp": min(expires, expires_at) if expires_at else expires,
        "jti": uuid.uuid4().hex,
        "pur": purpose.value,
        "context": {"user": {"name": user}},
        **(extra or {}),
    }
    return jwt.encode(
        claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid}
    ), claims


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, read only to choose the key that will verify them."""
    try:
        return jwt.get_unverified_header(token), jwt.decode(
            token, options={"verify_signature": False}
        )
    except jwt.PyJWTError:
        raise AuthError(401, "the token is not a well-formed JWT") from None


_REFUSALS: list[tuple[type[jwt.PyJWTError], str]] = [
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.InvalidAudienceError, "the token is meant for another audience"),
    (jwt.InvalidIssuerError, "the token comes from an untrusted issuer"),
    (jwt.InvalidAlgorithmError, f"the token must be signed with {ALGORITHM}"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
]


def verify(token: str, key: Any, *, issuer: str, audience: str) -> dict[str, Any]:
    """The claims of a token signed by `key` with RS256, for `audience`, from `issuer`, unexpired."""
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.MissingRequiredClaimError as error:
        raise AuthError(401, f"the token lacks the '{error.claim}' claim") from None
    except jwt.PyJWTError as error:
        message = next(
            (text for kind, text in _REFUSALS if isinstance(error, kind)),
            f"the token is not valid ({error})",
        )
        raise AuthError(401, message) from None


def user_name(claims: dict[str, Any]) -> str:
    """fence's `context.user.name`; an external issuer's usual name claims otherwise."""
    context = claims.get("context")
    user = context.get("user") if isinstance(context, dict) else None
    name = user.get("name") if isinstance(user, dict) else None
    return str(name or claims.get("preferred_username") or claims.get("email") or claims["sub"])
