"""JSON sent by clients, read by one reader under one set of limits.

Every request body that holds JSON, and every JSON text sent inside one (a
GraphQL `variables` or a guppy `filter` given as a string), is read here, so
the same input is refused the same way on every route, as a `JSONRejected`
whose message names the problem:

- what JSON does not allow but Python's `json` takes: NaN, Infinity, lone
  surrogates (`"\\ud800"`), bytes that are not UTF-8 (orjson refuses them);
- numbers a graph property cannot hold: beyond a double (`1e309`, a
  5,000-digit number) or an integer beyond 64 bits, the most Neo4j and the
  Bolt driver take;
- nesting deeper than MAX_DEPTH: nothing Commons reads nests more than a
  few levels, while the validators, encoders and GraphQL's coercion that
  see the value next recurse once a level, up to Python's recursion limit.

orjson reads (four times as fast as `json`, for submissions of thousands of
entities); one walk over the value, without recursion, checks depth and
integers.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

MAX_DEPTH = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_BOM = b"\xef\xbb\xbf"
_TWO_TO_63 = 2.0**63


class JSONRejected(ValueError):
    """A JSON text refused; the message names the problem and where it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def loads(text: bytes | str, what: str = "the body") -> Any:
    """The value of a JSON text (a UTF-8 byte-order mark is allowed); `what` names it in errors."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    data = data.removeprefix(_BOM)
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise JSONRejected(
            f"{what} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    if _beyond_64_bits(value, what):
        # orjson reads an integer literal past 64 bits as a double, so which numbers were
        # written as integers is asked of Python's reader (rarely: only numbers this large).
        json.loads(data, parse_int=lambda digits: _integer(digits, what))
    return value


def _beyond_64_bits(value: Any, what: str) -> bool:
    """Whether some number is past 64-bit integers; walked without recursion, checking depth."""
    stack: list[tuple[Any, int]] = [([value], 0)]  # the value, as the one item of a list
    wide = False
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise JSONRejected(f"{what} nests deeper than {MAX_DEPTH} levels of objects and lists")
        for child in item.values() if type(item) is dict else item:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is int:
                wide = wide or not INT64_MIN <= child <= INT64_MAX
            elif kind is float:
                wide = wide or abs(child) >= _TWO_TO_63
    return wide


def _integer(digits: str, what: str) -> int:
    """An integer literal, refused past 64 bits (before `int()`, which refuses 4,300 digits)."""
    if len(digits.lstrip("-")) <= 19 and INT64_MIN <= int(digits) <= INT64_MAX:
        return int(digits)
    shown = digits if len(digits) <= 30 else f"{digits[:20]}... ({len(digits)} digits)"
    raise JSONRejected(
        f"{what} holds the integer {shown}, which does not fit in 64 bits "
        f"(from {INT64_MIN} to {INT64_MAX})"
    )
