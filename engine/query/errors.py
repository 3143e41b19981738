"""Why a query cannot be answered, in words a GraphQL client shows its user."""

from __future__ import annotations


class QueryError(Exception):
    """A bad argument or a guard hit; the message names the argument or the setting."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
