"""Helpers for the dictionary tests: copy a fixture dictionary and change it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.dictionary import DictionaryError, load_dictionary

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dictionaries"
COMPLETE = FIXTURES / "complete"

# A file's new content: a function changing the parsed YAML in place, a
# mapping written as YAML, raw text, or None to delete the file.
Edit = Callable[[Any], None] | dict[str, Any] | str | None


def edited(tmp_path: Path, edits: dict[str, Edit], base: Path = COMPLETE) -> Path:
    """A copy of `base` in tmp_path with `edits` applied, file by file."""
    folder = tmp_path / base.name
    shutil.copytree(base, folder)
    for name, edit in edits.items():
        path = folder / name
        if edit is None:
            path.unlink()
        elif isinstance(edit, str):
            path.write_text(edit)
        elif isinstance(edit, dict):
            path.write_text(yaml.safe_dump(edit, sort_keys=False))
        else:
            document = yaml.safe_load(path.read_text())
            edit(document)
            path.write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def load_errors(folder: Path) -> list[str]:
    """The messages of the DictionaryError that loading `folder` raises."""
    with pytest.raises(DictionaryError) as raised:
        load_dictionary(folder)
    return raised.value.messages
