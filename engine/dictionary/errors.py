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
    """Collects located problems; `raise_if_any` raises them as one DictionaryError.

    Messages come out sorted by file, then by place in the file, whatever
    order the checks found them in: the order a steward reads and fixes.
    """

    def __init__(self) -> None:
        self._found: list[tuple[str, tuple[str | int, ...], str]] = []

    def add(self, file: str, path: Iterable[str | int], message: str) -> None:
        self._found.append((file, tuple(path), message))

    def __bool__(self) -> bool:
        return bool(self._found)

    @property
    def messages(self) -> list[str]:
        def place(item: tuple[str, tuple[str | int, ...], str]) -> tuple:
            file, path, _ = item
            return file, [(isinstance(part, str), part) for part in path]

        return [located(*item) for item in sorted(self._found, key=place)]

    def raise_if_any(self) -> None:
        if self._found:
            raise DictionaryError(self.messages)
