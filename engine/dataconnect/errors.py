"""Why a Data Connect request cannot be answered: the API answers it 400 (or 404) with the reason."""

from __future__ import annotations


class DataConnectError(Exception):
    """A request outside what Data Connect serves here; `message` names the construct or field."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
