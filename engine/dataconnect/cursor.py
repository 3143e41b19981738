"""The cursor in `next_page_url`: what the next page is, signed so nobody can forge or alter one.

A cursor is a JWT signed with the server's current signing key (RS256,
engine/auth/keys.py), for an audience of its own, so no token of another
kind passes for one and a cursor never passes for an access token. It
holds the search (or the table) and where the next page starts; the
caller's access is worked out again on every page, so a cursor grants
nothing. It expires after CURSOR_LIFETIME, and a retired key's cursors stop
working with it.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import jwt

from engine.auth.keys import ALGORITHM, KeyRing
from engine.dataconnect.errors import DataConnectError

AUDIENCE = "ga4gh-data-connect-page"
CURSOR_LIFETIME = timedelta(hours=24)


def sign_cursor(keys: KeyRing, page: dict[str, Any]) -> str:
    key = keys.signing_key()
    now = int(time.time())
    claims = {
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + int(CURSOR_LIFETIME.total_seconds()),
        "page": page,
    }
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def open_cursor(keys: KeyRing, cursor: str) -> dict[str, Any]:
    """The page a cursor names; a cursor this server did not sign, or an expired one, is a 400."""
    try:
        kid = str(jwt.get_unverified_header(cursor).get("kid", ""))
    except jwt.PyJWTError:
        raise DataConnectError("cursor: not a page cursor of this server") from None
    key = keys.public_key(kid)
    if key is None:
        raise DataConnectError("cursor: signed by a key this server no longer holds; search again")
    try:
        claims = jwt.decode(
            cursor,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "iat", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise DataConnectError("cursor: expired; run the search again") from None
    except jwt.PyJWTError:
        raise DataConnectError("cursor: not a page cursor of this server") from None
    page = claims.get("page")
    if not isinstance(page, dict):
        raise DataConnectError("cursor: not a page cursor of this server")
    return page
