"""Entities -> TSV/CSV lines: exports and templates, written to be read back by `documents`.

Anything exported (or a filled-in template) must submit again unchanged, so
the columns, list separators and empty cells are the ones `iter_table`
reads, and quoting is left to the csv module.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from engine.dictionary.model import SYSTEM_PROPERTIES, Link, NodeType
from engine.submission.documents import LIST_SEPARATORS

# Set by Commons, so exported for reading but never part of a template.
EXPORT_SYSTEM_COLUMNS = ("project_id", "created_datetime", "updated_datetime", "state")
_LEADING = ("type", "id", "submitter_id")
# How a link column names its target: by the target's own unique key, as
# sheepdog's templates do; every other node type is named by submitter_id.
_TARGET_KEYS = {"project": "code", "program": "name"}


def link_key(link: Link) -> str:
    """The key a link column holds for `link`'s targets: `projects.code`, `cases.submitter_id`."""
    return _TARGET_KEYS.get(link.target, "submitter_id")


def entity_columns(node: NodeType, include_system: bool = False) -> list[str]:
    """Identity, then links in declared order, then properties in declared order.

    Declared order keeps columns where the dictionary's author put them, and
    stable from one export to the next.
    """
    columns = [name for name in _LEADING if name in node.properties]
    columns += [f"{link.name}.{link_key(link)}" for link in node.links]
    columns += [
        name
        for name, prop in node.properties.items()
        if name not in _LEADING and not prop.system and name not in SYSTEM_PROPERTIES
    ]
    if include_system:
        columns += [name for name in EXPORT_SYSTEM_COLUMNS if name in node.properties]
    return columns


def template(node: NodeType, delimiter: str) -> str:
    """The header a submitter fills in, `*` marking what is required (as sheepdog's templates do)."""
    columns = [column for column in entity_columns(node) if column != "id"]
    marked = ["*" + c if c.split(".", 1)[0] in node.required else c for c in columns]
    return next(_lines([marked], delimiter))


def write_table(
    node: NodeType,
    rows: Iterable[dict[str, Any]],
    delimiter: str,
    include_system: bool = False,
    without_id: bool = False,
) -> Iterator[str]:
    """The header, then one line per row, each ending in a newline; `without_id`: no `id` column.

    Rows are documents as submitted or fetched: a link is `row[link]`, a
    target dict or a list of them, so an export needs no reshaping first.
    """
    columns = [c for c in entity_columns(node, include_system) if not (without_id and c == "id")]
    separator = LIST_SEPARATORS[delimiter]
    cells = ([_cell(node, column, row, separator) for column in columns] for row in rows)
    yield from _lines(itertools.chain([columns], cells), delimiter)


def write_columns(
    columns: list[str], rows: Iterable[dict[str, Any]], delimiter: str
) -> Iterator[str]:
    """The header `columns`, then each row's values under them: tables that are not entities."""
    separator = LIST_SEPARATORS[delimiter]
    cells = ([_text(row.get(column), separator) for column in columns] for row in rows)
    yield from _lines(itertools.chain([columns], cells), delimiter)


def _lines(rows: Iterable[list[str]], delimiter: str) -> Iterator[str]:
    """Each row as one line ending in a newline; one writer and buffer for all, as an export can be long.

    The writer is told to end rows with CR LF only because it then quotes a
    cell holding either character: a lone CR in an unquoted cell would end
    the line for a reader.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()[:-2] + "\n"


def _cell(node: NodeType, column: str, row: dict[str, Any], separator: str) -> str:
    if column == "type":
        return node.name
    link, _, key = column.partition(".")
    if key:
        targets = row.get(link)
        targets = targets if isinstance(targets, list) else [targets]
        found = [t[key] for t in targets if isinstance(t, dict) and t.get(key) is not None]
        return separator.join(str(value) for value in found)
    return _text(row.get(column), separator)


def _text(value: Any, separator: str) -> str:
    """What `documents` casts back to `value`: booleans as true/false, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return separator.join(_text(item, separator) for item in value)
    return str(value)
