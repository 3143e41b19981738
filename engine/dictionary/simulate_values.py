"""Random values that satisfy one property's resolved JSON Schema, for `commons simulate`.

Values are drawn from the schema itself (the `schema` kept on each NodeType),
not only from the typed Property, because that schema is what the
validators check: a union such as `anyOf: [{type: integer, maximum: 89},
{enum: [">89"]}]` has no single Property kind, and array items keep their own
bounds. Everything random goes through the caller's `random.Random`, so a
seed fixes the output.
"""

from __future__ import annotations

import functools
import math
import random
import re
import re._constants as sre  # The parser's opcodes; see _compile.
import re._parser as sre_parse  # The stdlib regex parser: the only full reading of a pattern.
import string
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.dictionary.properties import schema_bound
from engine.submission.documents import cell_keeps

# Returned when no valid value can be made; the caller leaves the property out.
SKIP: Any = object()

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = 25 * 365 * 86400
# Tries at drawing text for a pattern that also meets the length bounds and survives a table cell.
_PATTERN_DRAWS = 20
# Upper bound of an unbounded repeat (`*`, `+`, `{2,}`) in a pattern.
_OPEN_REPEAT = 4
# Spread of numbers when the schema sets no bound on one side.
_DEFAULT_SPAN = 1000
# Ranges that make some well-known Gen3 properties look real; the schema's bounds still apply.
_NAME_RANGES: dict[str, tuple[float, float]] = {
    "file_size": (1024, 50 * 2**30),
    "year_of_birth": (1930, 2010),
}
_WORD = string.ascii_letters + string.digits + "_"
_CATEGORIES = {
    sre.CATEGORY_DIGIT: string.digits,
    sre.CATEGORY_NOT_DIGIT: string.ascii_letters,
    sre.CATEGORY_WORD: _WORD,
    sre.CATEGORY_NOT_WORD: "-. ",
    sre.CATEGORY_SPACE: " ",
    sre.CATEGORY_NOT_SPACE: _WORD,
}
_PRINTABLE = string.ascii_letters + string.digits + "-_."


class ValueMaker:
    """Makes values for property schemas; one per simulation, sharing its random generator.

    `skew` 0 draws every allowed value alike. Above 0 the values look like a
    real cohort's, for a demo whose charts mean something: the k-th value of
    an enum (in an order fixed per property) comes with weight 1/k**skew, a
    number clusters towards the lower third of its range, `true` is the
    rarer answer.
    """

    def __init__(self, rng: random.Random, skew: float = 0.0) -> None:
        self.rng = rng
        self.skew = skew

    def value(self, name: str, schema: dict[str, Any], *, listed: bool = False) -> Any:
        """A value valid for `schema`, or SKIP when none can be made (e.g. an unsupported pattern).

        Text is drawn so that it survives a TSV or CSV cell (`listed`: as an
        item of a list) whenever the schema leaves a choice: `commons simulate`
        writes tables, and an enum value holding a comma would split there.
        """
        union = schema.get("oneOf") or schema.get("anyOf")
        if union:
            branches = [b for b in union if isinstance(b, dict) and not _is_null(b)]
            if not branches:
                return SKIP
            rest = {key: item for key, item in schema.items() if key not in ("oneOf", "anyOf")}
            return self.value(name, {**rest, **self.rng.choice(branches)}, listed=listed)
        enum = [item for item in schema.get("enum", ()) if item is not None]
        if enum:
            return self._pick(name, _kept(enum, listed=listed) or enum)
        if "enum" in schema:
            return SKIP
        kind = self._json_type(schema)
        if kind == "boolean":
            return self.rng.random() < (0.3 if self.skew else 0.5)
        if kind in ("integer", "number"):
            return self._number(name, schema, integer=kind == "integer")
        if kind == "array":
            return self._array(name, schema)
        if kind == "object":
            return {}
        return self._string(name, schema, listed=listed)

    def _pick(self, name: str, options: list[Any]) -> Any:
        if not self.skew or len(options) < 2:
            return self.rng.choice(options)
        order = sorted(options, key=lambda option: zlib.crc32(f"{name}={option}".encode()))
        weights = [1 / (rank + 1) ** self.skew for rank in range(len(order))]
        return self.rng.choices(order, weights)[0]

    def _clustered(self, low: float, high: float) -> float:
        return self.rng.triangular(low, high, low + (high - low) / 3)

    def _json_type(self, schema: dict[str, Any]) -> str:
        declared = schema.get("type", "string")
        if isinstance(declared, list):
            real = [item for item in declared if item != "null"]
            return self.rng.choice(real) if real else "null"
        return declared

    def _number(self, name: str, schema: dict[str, Any], *, integer: bool) -> int | float | Any:
        low, low_open, high, high_open = _range(name, schema)
        if integer:
            first = math.floor(low) + 1 if low_open or low != math.floor(low) else int(low)
            last = math.ceil(high) - 1 if high_open or high != math.ceil(high) else int(high)
            if first > last:
                return SKIP
            if not self.skew:
                return self.rng.randint(first, last)
            return min(last, max(first, round(self._clustered(first, last))))
        number = round(self._clustered(low, high) if self.skew else self.rng.uniform(low, high), 2)
        if (
            (low_open and number <= low)
            or (high_open and number >= high)
            or not low <= number <= high
        ):
            number = (low + high) / 2
        return number

    def _array(self, name: str, schema: dict[str, Any]) -> list[Any] | Any:
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {"type": "string"}
        least = schema.get("minItems", 1)
        most = max(least, schema.get("maxItems", least + 2))
        size = self.rng.randint(least, most)
        enum = [item for item in items.get("enum", ()) if item is not None]
        if enum and schema.get("uniqueItems"):
            kept = _kept(enum, listed=True)
            enum = kept if len(kept) >= least else enum
            return self.rng.sample(enum, min(size, len(enum))) if len(enum) >= least else SKIP
        values = [self.value(name, items, listed=True) for _ in range(size)]
        if any(item is SKIP for item in values):
            return SKIP
        if schema.get("uniqueItems"):
            values = list({repr(item): item for item in values}.values())
        return values if len(values) >= least else SKIP

    def _string(self, name: str, schema: dict[str, Any], *, listed: bool) -> str | Any:
        if schema.get("format") == "date-time":
            moment = _EPOCH + timedelta(seconds=self.rng.randrange(_SPAN_SECONDS))
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if schema.get("format") == "date":
            return (
                (_EPOCH + timedelta(days=self.rng.randrange(_SPAN_SECONDS // 86400)))
                .date()
                .isoformat()
            )
        pattern = schema.get("pattern")
        if pattern:
            return self._from_pattern(pattern, schema, listed=listed)
        text = f"{name}_{self.rng.randrange(1, 10_000)}"
        text = text[: schema.get("maxLength", len(text))]
        return text.ljust(schema.get("minLength", 0), "x")

    def _from_pattern(self, pattern: str, schema: dict[str, Any], *, listed: bool) -> str | Any:
        """Text the pattern matches within the length bounds, drawn again (a few times) until a
        table cell would keep it; SKIP when no valid text comes out."""
        least, most = schema.get("minLength", 0), schema.get("maxLength", math.inf)
        valid: list[str] = []
        for _ in range(_PATTERN_DRAWS):
            try:
                text = _render(_compile(pattern), self.rng)
            except (ValueError, re.error):
                return SKIP
            if re.search(pattern, text) and least <= len(text) <= most:
                if cell_keeps(text, listed=listed):
                    return text
                valid.append(text)
        return valid[0] if valid else SKIP


def _kept(values: list[Any], *, listed: bool) -> list[Any]:
    """The values a table cell keeps as written (see `cell_keeps`)."""
    return [value for value in values if cell_keeps(value, listed=listed)]


def _is_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or schema.get("enum") == [None]


def _range(name: str, schema: dict[str, Any]) -> tuple[float, bool, float, bool]:
    """(low, low exclusive, high, high exclusive): the schema's bounds, narrowed by a name hint that fits."""
    low, low_open = schema_bound(schema, "minimum")
    high, high_open = schema_bound(schema, "maximum")
    if name in _NAME_RANGES:
        hint_low, hint_high = _NAME_RANGES[name]
        narrowed_low = hint_low if low is None else max(low, hint_low)
        narrowed_high = hint_high if high is None else min(high, hint_high)
        if narrowed_low < narrowed_high:
            low_open = low_open and narrowed_low == low
            high_open = high_open and narrowed_high == high
            low, high = narrowed_low, narrowed_high
    if low is None:
        low, low_open = (high - _DEFAULT_SPAN if high is not None else 0.0), False
    if high is None:
        high, high_open = low + _DEFAULT_SPAN, False
    return low, low_open, high, high_open


# A compiled pattern: `str` = pick one of these characters; `list` = a sequence;
# `_Repeat` = repeat a part; `_Branch` = one of several parts.
_Part = Any


@dataclass(frozen=True)
class _Branch:
    options: tuple[_Part, ...]


@dataclass(frozen=True)
class _Repeat:
    least: int
    most: int
    part: _Part


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> _Part:
    """A pattern, read once by the stdlib regex parser, as parts `_render` can draw from.

    Dictionaries constrain identifiers with patterns (md5sum, ICD-10 codes,
    DOIs); this covers what they use: literals, classes, categories, repeats,
    groups and alternation. Back-references and look-arounds raise ValueError.
    """
    return _sequence(sre_parse.parse(pattern))


def _render(part: _Part, rng: random.Random) -> str:
    if isinstance(part, str):
        return rng.choice(part) if part else ""
    if isinstance(part, _Repeat):
        return "".join(_render(part.part, rng) for _ in range(rng.randint(part.least, part.most)))
    if isinstance(part, _Branch):
        return _render(rng.choice(part.options), rng)
    return "".join(_render(item, rng) for item in part)


def _sequence(parsed: Any) -> list[_Part]:
    return [_element(op, arg) for op, arg in parsed]


def _element(op: Any, arg: Any) -> _Part:
    if op == sre.LITERAL:
        return chr(arg)
    if op == sre.NOT_LITERAL:
        return "".join(c for c in _PRINTABLE if ord(c) != arg)
    if op == sre.ANY:
        return _WORD
    if op == sre.IN:
        return _class(arg)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        least, most, body = arg
        return _Repeat(
            least, least + _OPEN_REPEAT if most == sre.MAXREPEAT else most, _sequence(body)
        )
    if op == sre.SUBPATTERN:
        return _sequence(arg[-1])
    if op == sre.ATOMIC_GROUP:
        return _sequence(arg)
    if op == sre.BRANCH:
        return _Branch(tuple(_sequence(option) for option in arg[1]))
    if op == sre.AT:
        return ""
    if op == sre.CATEGORY:
        return _CATEGORIES.get(arg, _WORD)
    raise ValueError(f"unsupported pattern element {op}")


def _class(items: list[tuple[Any, Any]]) -> str:
    """The characters a `[...]` class matches (within printable ASCII when negated)."""
    chars: list[str] = []
    negate = False
    for op, arg in items:
        if op == sre.NEGATE:
            negate = True
        elif op == sre.LITERAL:
            chars.append(chr(arg))
        elif op == sre.RANGE:
            chars.extend(chr(code) for code in range(arg[0], arg[1] + 1))
        elif op == sre.CATEGORY:
            chars.extend(_CATEGORIES.get(arg, _WORD))
        else:
            raise ValueError(f"unsupported class element {op}")
    if negate:
        chars = [c for c in _PRINTABLE if c not in chars]
    if not chars:
        raise ValueError("empty character class")
    return "".join(dict.fromkeys(chars))
