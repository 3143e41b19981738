"""A request body -> entity documents, each remembering where in the body it came from.

Submitters send JSON, or TSV/CSV written by hand, by spreadsheets or by the
Gen3 SDK's `submit_file`. Tables follow sheepdog's rules so those files load
unchanged; every cell arrives as text, so values are cast here by the
dictionary property they fill. A cast that fails keeps the text: the
validator then reports it against the property, which tells the submitter
more than a parse error would. Only a body that cannot be read at all is a
`BodyError` (a 400 for the whole request).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator

from engine.dictionary.model import SYSTEM_PROPERTIES, Dictionary, NodeType, PropertyKind
from engine.gc_tuning import collection_paused
from engine.json_input import JSONRejected, loads
from engine.submission.transaction_log import Document

JSON_TYPES = ("application/json",)
TSV_TYPES = ("text/tab-separated-values", "text/tsv")
CSV_TYPES = ("text/csv",)
# A cell holding several values (array items, link targets) splits on this;
# a CSV cell cannot use the comma, which already separates its cells.
LIST_SEPARATORS = {"\t": ",", ",": "#"}
_SEND = "send application/json, text/tab-separated-values or text/csv"
# These name the entity rather than describe it: an empty cell means "not given", never "clear".
_IDENTITY = ("type", *SYSTEM_PROPERTIES)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEANS = {"true": True, "false": False}
# A cell that says "no value": the key stays, with None, to clear the property.
_NULL_CELLS = ("", "null")


def cell_keeps(value: Any, *, listed: bool = False) -> bool:
    """Whether `value` written in a TSV or CSV cell (as an item of a list when `listed`) reads
    back as itself: cells are stripped, an empty or `null` cell is null, a list splits on the
    separator of either format, and objects or lists of lists have no cell form."""
    if isinstance(value, list):
        return not listed and bool(value) and all(cell_keeps(item, listed=True) for item in value)
    if isinstance(value, dict):
        return False
    if not isinstance(value, str):
        return True
    if value.strip() != value or value in _NULL_CELLS:
        return False
    return not listed or not any(separator in value for separator in LIST_SEPARATORS.values())


@dataclass(frozen=True)
class SourceDoc:
    doc: dict[str, Any]
    # 1-based line of the row in a table (the header is line 1); None for JSON.
    line: int | None
    # 0-based position of the document in the request.
    index: int


class BodyError(Exception):
    """The body cannot be read as documents; the message says where and why."""


@collection_paused()
def parse_body(body: bytes, content_type: str | None, dictionary: Dictionary) -> list[SourceDoc]:
    """Every document in a request body, read by its content type (parameters such as charset ignored)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in TSV_TYPES:
        return list(iter_table(io.StringIO(_decode(body), newline=""), "\t", dictionary))
    if media in CSV_TYPES:
        return list(iter_table(io.StringIO(_decode(body), newline=""), ",", dictionary))
    looks_like_json = body.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"{", b"[")
    if media in JSON_TYPES or (media in ("", "*/*") and looks_like_json):
        return _json_documents(_decode(body))
    if media in ("", "*/*"):
        given = f"content type '{media}'" if media else "no content type"
        raise BodyError(f"{given}, and the body does not look like JSON; {_SEND}")
    raise BodyError(f"unsupported content type '{media}'; {_SEND}")


def as_document(body: bytes, content_type: str | None, name: str | None, entities: int) -> Document:
    """A body `parse_body` read (holding `entities` entities), as the transaction log keeps it:
    its text and its format, named as sheepdog names them (`json`, `tsv`, `csv`)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    kind = "tsv" if media in TSV_TYPES else "csv" if media in CSV_TYPES else "json"
    return Document(name, kind, _decode(body), entities)


def _decode(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        raise BodyError(
            f"body is not UTF-8 (byte 0x{byte:02x} at position {error.start})"
        ) from None
    return text.removeprefix("\ufeff")


def _json_documents(text: str) -> list[SourceDoc]:
    try:
        value = loads(text, "body")
    except JSONRejected as error:
        raise BodyError(error.message) from None
    expected = "JSON body must be an object or a list of objects"
    if isinstance(value, dict):
        return [SourceDoc(value, None, 0)]
    if not isinstance(value, list):
        raise BodyError(f"{expected}; the body is {_json_kind(value)}")
    for position, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise BodyError(f"{expected}; item {position} is {_json_kind(item)}")
    return [SourceDoc(item, None, index) for index, item in enumerate(value)]


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "a list"


@dataclass(frozen=True)
class _Column:
    header: str
    # The property filled, or the link for a link column; "" for an unnamed column.
    name: str
    # For link columns: the target's key (submitter_id, id, code) and the `#n` slot.
    key: str | None = None
    slot: str = ""


def iter_table(lines: Iterable[str], delimiter: str, dictionary: Dictionary) -> Iterator[SourceDoc]:
    """Documents from TSV (`delimiter="\\t"`) or CSV (`","`) lines, one row at a time.

    Streams, so a bulk load holds one row in memory; give it a file opened
    with `newline=""` so quoted cells may hold line breaks. Raises BodyError
    at the first row that cannot be read.
    """
    separator = LIST_SEPARATORS[delimiter]
    columns: list[_Column] | None = None
    index = 0
    for line, cells in _records(csv.reader(lines, delimiter=delimiter)):
        if not any(cell.strip() for cell in cells):
            continue
        if columns is None:
            columns = _header(cells, line)
            continue
        if len(cells) != len(columns):
            raise BodyError(f"line {line}: expected {len(columns)} columns, found {len(cells)}")
        yield SourceDoc(_row_document(columns, cells, line, dictionary, separator), line, index)
        index += 1


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells): a quoted cell may span several lines."""
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise BodyError(f"line {reader.line_num}: {error}") from None
        yield start, cells
        start = reader.line_num + 1


def _header(cells: list[str], line: int) -> list[_Column]:
    columns = [
        _column(cell.removeprefix("\ufeff") if i == 0 else cell, line)
        for i, cell in enumerate(cells)
    ]
    seen: dict[str, str] = {}
    for column in columns:
        if not column.name:
            continue
        full = f"{column.name}.{column.key}#{column.slot}" if column.key else column.name
        if full in seen:
            raise BodyError(f"line {line}: column '{column.header}' appears more than once")
        seen[full] = column.header
    properties = {
        column.name: column.header for column in columns if column.name and not column.key
    }
    for column in columns:
        if column.key and column.name in properties:
            raise BodyError(
                f"line {line}: columns '{properties[column.name]}' and '{column.header}' both fill '{column.name}'"
            )
    return columns


def _column(cell: str, line: int) -> _Column:
    """Sheepdog's header rules: `*` marks a required column; `link.key` or `link.key#n` a link."""
    header = cell.strip().lstrip("*").strip()
    if "." not in header:
        return _Column(header, header)
    link, rest = header.split(".", 1)
    key, numbered, slot = rest.partition("#")
    if not link or not key or (numbered and (not slot or "#" in slot)):
        raise BodyError(
            f"line {line}: column '{header}' is not a link column (<link>.<key> or <link>.<key>#<n>)"
        )
    return _Column(header, link, key, slot)


def _row_document(
    columns: list[_Column], cells: list[str], line: int, dictionary: Dictionary, separator: str
) -> dict[str, Any]:
    values = [cell.strip() for cell in cells]
    type_name = next(
        (v for c, v in zip(columns, values, strict=True) if c.name == "type" and not c.key), None
    )
    node = dictionary.nodes.get(type_name) if type_name else None
    doc: dict[str, Any] = {}
    link_cells: dict[str, list[tuple[_Column, str]]] = {}
    for position, (column, value) in enumerate(zip(columns, values, strict=True), 1):
        if column.key:
            link_cells.setdefault(column.name, []).append((column, value))
        elif not column.name:
            if value:
                raise BodyError(
                    f"line {line}: column {position} has a value but no name in the header"
                )
        elif value in _NULL_CELLS:
            if column.name not in _IDENTITY:
                doc[column.name] = None
        else:
            doc[column.name] = _cast(node, column.name, value, separator)
    for link, linked in link_cells.items():
        _add_link(doc, link, linked, separator)
    return doc


def _add_link(
    doc: dict[str, Any], link: str, linked: list[tuple[_Column, str]], separator: str
) -> None:
    """One target per `#n` slot and per listed value; keys of the same target pair up by position.

    An empty cell names no target; `null` alone clears the link.
    """
    if len(linked) == 1:  # the usual row: one column naming one target
        column, value = linked[0]
        if value and value != "null" and separator not in value:
            doc[link] = {column.key: value}
            return
    targets: dict[tuple[str, int], dict[str, str]] = {}
    cleared = False
    for column, value in linked:
        if value == "null":
            cleared = True
            continue
        items = [item.strip() for item in value.split(separator)]
        for position, item in enumerate(item for item in items if item):
            targets.setdefault((column.slot, position), {})[column.key or ""] = item
    if len(targets) == 1:
        doc[link] = next(iter(targets.values()))
    elif targets:
        doc[link] = list(targets.values())
    elif cleared:
        doc[link] = None


def cell_value(node: NodeType, name: str, text: str) -> Any:
    """`text` as the property's JSON value, read as a TSV cell is: for formats that carry a
    value as text where its type cannot be told (a PFB's union of a number and an enum)."""
    return _cast(node, name, text, LIST_SEPARATORS["\t"])


def _cast(node: NodeType | None, name: str, text: str, separator: str) -> Any:
    """The cell as the property's JSON type; unknown types and columns stay text for the validator."""
    if node is None or name not in node.properties:
        return text
    prop = node.properties[name]
    if prop.kind == "array":
        return [_scalar(prop.item_kind, item.strip()) for item in text.split(separator)]
    if prop.alternatives:
        return _first_valid(node.schema["properties"][name], prop.alternatives, prop.enum, text)
    return _scalar(prop.kind, text)


def _first_valid(
    schema: dict[str, Any], alternatives: tuple[PropertyKind, ...], enum: tuple[Any, ...], text: str
) -> Any:
    """The cell read as each alternative in turn (`69` as an integer, then as an enum member): the
    first reading the property's schema accepts.

    When none is accepted, the first reading that is not text (the number the
    submitter meant) goes on to the validator, whose error then names it.
    """
    readings = [
        _enum_member(enum, text) if kind == "enum" else _scalar(kind, text) for kind in alternatives
    ]
    accepts = _schema_check(json.dumps(schema, sort_keys=True, default=str))
    return next(
        (reading for reading in readings if accepts(reading)),
        next((reading for reading in readings if not isinstance(reading, str)), text),
    )


@functools.lru_cache(maxsize=256)
def _schema_check(schema: str) -> Callable[[Any], bool]:
    """Whether a value is valid for one property's schema (as JSON text, so it can key the cache)."""
    return Draft4Validator(json.loads(schema)).is_valid


def _enum_member(enum: tuple[Any, ...], text: str) -> Any:
    """The enum value the cell writes (`1` for 1, `true` for True), or the text when none."""
    for value in enum:
        if isinstance(value, bool):
            if text.lower() == str(value).lower():
                return value
        elif isinstance(value, int | float):
            if _number(text) == value:
                return value
        elif value == text:
            return value
    return text


def _scalar(kind: PropertyKind | None, text: str) -> Any:
    if kind in ("integer", "number"):
        return _number(text)
    if kind == "boolean":
        return _BOOLEANS.get(text.lower(), text)
    return text


def _number(text: str) -> Any:
    """An int when the value is integral (`1.0` -> 1, so an integer property accepts it), else a float.

    Only while the int is exact and fits the graph's 64-bit integers: a
    longer integer literal, or an integral float beyond 2**53, stays a float.
    """
    if not _NUMBER.fullmatch(text):
        return text
    value = float(text)
    if not math.isfinite(value):
        return text
    if _INTEGER.fullmatch(text) and -(2**63) <= int(text) < 2**63:
        return int(text)
    return int(value) if value.is_integer() and abs(value) <= 2**53 else value
