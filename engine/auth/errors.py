"""The one exception auth raises: it carries the HTTP answer, so routes and the CLI say the same."""

from __future__ import annotations


class AuthError(Exception):
    """Refused or impossible: `status` is 401 (who are you?), 403 (not allowed), 400, 404 or 503."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
