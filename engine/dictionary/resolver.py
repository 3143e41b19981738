"""Read a dictionary's YAML files and resolve `$ref`, the way dictionaryutils does.

Gen3 dictionaries share definitions through `$ref` (`#/a/b` inside a file,
`_definitions.yaml#/a/b` across files, paths relative to the dictionary
folder). dictionaryutils' semantics, which real dictionaries rely on:

- every key that *starts* with `$ref` (`$ref`, `$ref_file`, ...) is a
  reference, and its value may be one reference or a list of them;
- the referenced mapping is merged into the mapping holding the reference
  and its keys *override* the sibling keys written next to the reference;
- several references merge in order, later ones winning.

A list of references is the GDC's form (its own loader merges them; Gen3's
dictionaryutils fails on it): served, with one warning per file.

Unlike dictionaryutils, a referenced part is resolved against the file it
comes from (so `#/UUID` inside `_definitions.yaml` means that file's UUID),
and a reference cycle is reported instead of recursing forever. A resolved
part is cached and shared between the places that reference it: treat
resolved schemas as read-only.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

import yaml

from engine.dictionary.errors import ErrorList

REF_PREFIX = "$ref"
# Marks "no such file or place"; None cannot, since YAML values may be null.
_MISSING: Any = object()
_CONTAINERS = (dict, list)
JsonPath = tuple[str | int, ...]


class _Loader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML, except that dates stay strings: schemas must stay JSON-serialisable."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path) -> Any:
    """Parse one YAML file (raises yaml.YAMLError or OSError)."""
    with path.open("rb") as stream:
        return yaml.load(stream, Loader=_Loader)


def unreadable(error: Exception) -> str:
    """The message for a file that cannot be read or parsed, on one line."""
    return "cannot be read: " + " ".join(str(error).split())


def _pointer_parts(pointer: str) -> list[str]:
    """`/a/b~1c` -> `['a', 'b/c']` (RFC 6901 escapes)."""
    return [
        part.replace("~1", "/").replace("~0", "~") for part in pointer.strip("/").split("/") if part
    ]


def _describe(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string"}.get(
        type(value), f"the value {value!r}"
    )


class Resolver:
    """Resolves the documents of one dictionary folder; problems go to `errors`."""

    def __init__(self, folder: Path, documents: dict[str, Any], errors: ErrorList) -> None:
        self.folder = folder
        self.documents = documents
        self.errors = errors
        self._cache: dict[tuple[str, str], Any] = {}
        # Where each file holds a list of references, in the order they were resolved.
        self._lists: dict[str, list[JsonPath]] = {}

    def resolve_document(self, name: str) -> Any:
        """The document `name` with every reference in it resolved."""
        return self._target(name, "", [])

    def warn_about_lists(self) -> None:
        """One warning per file holding lists of references, naming the first (GDC's files hold thousands)."""
        for file, paths in self._lists.items():
            first = min(paths, key=lambda path: [(isinstance(part, str), part) for part in path])
            more = f" (and {len(paths) - 1} more in this file)" if len(paths) > 1 else ""
            self.errors.warn(
                file,
                first,
                "a list of references, merged in order as the GDC's loader does; "
                f"Gen3's dictionaryutils cannot load it{more}",
            )

    def _document(self, name: str) -> Any:
        """A document by its folder-relative name, read on first use if not read already."""
        if name not in self.documents:
            path = self.folder / name
            if not path.is_file():
                return _MISSING
            try:
                self.documents[name] = read_yaml(path)
            except (OSError, yaml.YAMLError) as error:
                self.errors.add(name, [], unreadable(error))
                self.documents[name] = None
        return self.documents[name]

    def _target(self, file: str, pointer: str, stack: list[tuple[str, str]]) -> Any:
        key = (file, pointer)
        if key in self._cache:
            return self._cache[key]
        value: Any = self._document(file)
        for part in _pointer_parts(pointer):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return _MISSING
        resolved = self._resolve(file, value, tuple(_pointer_parts(pointer)), [*stack, key])
        self._cache[key] = resolved
        return resolved

    def _resolve(self, file: str, value: Any, path: JsonPath, stack: list[tuple[str, str]]) -> Any:
        """`value` (found in `file` at `path`) with its references merged in; scalars pass as they are."""
        if isinstance(value, list):
            return [
                self._resolve(file, item, (*path, index), stack)
                if isinstance(item, _CONTAINERS)
                else item
                for index, item in enumerate(value)
            ]
        if not isinstance(value, dict):
            return value
        refs = {
            key: item
            for key, item in value.items()
            if isinstance(key, str) and key.startswith(REF_PREFIX)
        }
        if len(value) == 1 and refs and not isinstance(next(iter(refs.values())), list):
            # `{$ref: X}` alone is X itself: share it rather than copy it.
            key, ref = next(iter(refs.items()))
            return self._reference(file, ref, (*path, key), stack)
        merged = {
            key: self._resolve(file, item, (*path, key), stack)
            if isinstance(item, _CONTAINERS)
            else item
            for key, item in value.items()
            if key not in refs
        }
        for key, ref in refs.items():
            if isinstance(ref, list):
                self._lists.setdefault(file, []).append((*path, key))
            for index, one in enumerate(ref if isinstance(ref, list) else [ref]):
                where = (*path, key, index) if isinstance(ref, list) else (*path, key)
                merged.update(self._reference(file, one, where, stack))
        return merged

    def _reference(self, file: str, ref: Any, path: JsonPath, stack: list[tuple[str, str]]) -> dict:
        """The mapping that `ref` (written in `file` at `path`) points to; {} after reporting a problem."""
        if not isinstance(ref, str):
            self.errors.add(
                file, path, f"a reference must be a string like 'file.yaml#/a/b', not {ref!r}"
            )
            return {}
        base, _, pointer = ref.partition("#")
        target_file = posixpath.normpath(base) if base else file
        key = (target_file, "/" + "/".join(_pointer_parts(pointer)) if pointer.strip("/") else "")
        if key in stack:
            cycle = [f"{name}#{pointer or '/'}" for name, pointer in stack[stack.index(key) :]]
            self.errors.add(file, path, f"$ref cycle: {' -> '.join([*cycle, cycle[0]])}")
            return {}
        if self._document(target_file) is _MISSING:
            self.errors.add(file, path, f"'{ref}' points to a missing file '{target_file}'")
            return {}
        target = self._target(*key, stack)
        if target is _MISSING:
            self.errors.add(file, path, f"'{ref}' points to nothing")
            return {}
        if not isinstance(target, dict):
            self.errors.add(
                file, path, f"'{ref}' points to {_describe(target)}, not a mapping to merge"
            )
            return {}
        return target
