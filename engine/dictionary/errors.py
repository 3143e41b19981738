"""Errors in a dictionary, all collected before anything is reported.

A data steward fixing a dictionary wants every problem at once, each one
pointing at a file and a place in it, so checks add to an `ErrorList` and
the loader raises one `DictionaryError` at the end.
"""

from __future__ import annotations

from collections.abc import Iterable


def json_path(parts: Iterable[str | int]) -> str:
    """`['links', 1, 'target_type']` -> `links[1].target_type`, the form every message uses."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def located(file: str, path: Iterable[str | int], message: str) -> str:
    """`case.yaml: links[0].name: message`; the path is left out when it is empty."""
    where = json_path(path)
    return f"{file}: {where}: {message}" if where else f"{file}: {message}"


class DictionaryError(Exception):
    """The dictionary cannot be used; `messages` holds every problem found, one per line."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


class ErrorList:
    """Collects located messages; `raise_if_any` turns them into one DictionaryError."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, file: str, path: Iterable[str | int], message: str) -> None:
        self.messages.append(located(file, path, message))

    def __bool__(self) -> bool:
        return bool(self.messages)

    def raise_if_any(self) -> None:
        if self.messages:
            raise DictionaryError(self.messages)
