"""Errors and warnings in a dictionary, all collected before anything is reported.

A data steward fixing a dictionary wants every problem at once, each one
pointing at a file and a place in it, so checks add to an `ErrorList` and
the loader raises one `DictionaryError` at the end.

An error is something Commons cannot serve. A warning is something Gen3's
own tools load (or the GDC's, for the GDC's extensions) and Commons serves
too, in the way stated in the message: real dictionaries carry such quirks,
and refusing them would refuse dictionaries that run in production.
`commons dictionary check --strict` treats warnings as errors.
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


_Found = tuple[str, tuple[str | int, ...], str]


def _sorted(found: list[_Found]) -> list[str]:
    """Located messages sorted by file, then by place in the file: the order a steward reads and fixes."""

    def place(item: _Found) -> tuple:
        file, path, _ = item
        return file, [(isinstance(part, str), part) for part in path]

    return [located(*item) for item in sorted(found, key=place)]


class ErrorList:
    """Collects located problems; `raise_if_any` raises the errors as one DictionaryError.

    Messages come out sorted, whatever order the checks found them in.
    Warnings do not stop the load; the loader hands them on with the dictionary.
    """

    def __init__(self) -> None:
        self._found: list[_Found] = []
        self._warned: list[_Found] = []

    def add(self, file: str, path: Iterable[str | int], message: str) -> None:
        self._found.append((file, tuple(path), message))

    def warn(self, file: str, path: Iterable[str | int], message: str) -> None:
        self._warned.append((file, tuple(path), message))

    def __bool__(self) -> bool:
        return bool(self._found)

    @property
    def messages(self) -> list[str]:
        return _sorted(self._found)

    @property
    def warnings(self) -> list[str]:
        return _sorted(self._warned)

    def raise_if_any(self) -> None:
        if self._found:
            raise DictionaryError(self.messages)
