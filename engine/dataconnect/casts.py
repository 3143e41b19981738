"""`CAST(x AS <type>)` for the Trino types whose values JSON holds as they are.

Data Connect's parameters arrive typed by JSON (a number is a double, a
string a varchar), and its SQL says `CAST(? AS DATE)` where another type is
meant. A cast here follows Trino's rules for the types that map onto JSON
and the graph's values without loss: VARCHAR, BIGINT, INTEGER, SMALLINT,
TINYINT, DOUBLE, BOOLEAN, DATE and TIMESTAMP (without a time zone). A value
the type cannot take is a 400 naming it, as Trino fails the query. Others
(DECIMAL and REAL, whose values JSON would round; CHAR(n) and VARCHAR(n),
which pad or cut; zoned timestamps, JSON, ARRAY, ROW) are refused by name.

Dates and timestamps are ISO 8601 text, as the graph keeps its datetimes
(in UTC), so a cast value compares with a datetime column as text does; a
zoned text is read in UTC, and DATE keeps a timestamp's date.
"""

from __future__ import annotations

import math
import re
import reprlib
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlglot import exp

from engine.dataconnect.errors import DataConnectError

DType = exp.DataType.Type
# Each integer type's bounds, as Trino checks them.
INTEGERS = {
    DType.TINYINT: ("TINYINT", 8),
    DType.SMALLINT: ("SMALLINT", 16),
    DType.INT: ("INTEGER", 32),
    DType.BIGINT: ("BIGINT", 64),
}
TYPES = {
    DType.VARCHAR: "VARCHAR",
    DType.DOUBLE: "DOUBLE",
    DType.BOOLEAN: "BOOLEAN",
    DType.DATE: "DATE",
    DType.TIMESTAMP: "TIMESTAMP",
    **{kind: name for kind, (name, _) in INTEGERS.items()},
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "VARCHAR": {"type": ["string", "null"]},
    "DOUBLE": {"type": ["number", "null"]},
    "BOOLEAN": {"type": ["boolean", "null"]},
    "DATE": {"type": ["string", "null"], "format": "date"},
    "TIMESTAMP": {"type": ["string", "null"], "format": "date-time"},
    **{name: {"type": ["integer", "null"]} for name, _ in INTEGERS.values()},
}
_WHOLE = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_TRUTH = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}


def cast_type(node: exp.Cast) -> str:
    """The Trino type a CAST names, if it is one served here; refused by name if not."""
    to = node.args["to"]
    kind = TYPES.get(to.this)
    if kind is None or to.expressions or isinstance(node, exp.TryCast):
        written = "TRY_CAST" if isinstance(node, exp.TryCast) else f"CAST to {to.sql('trino')}"
        raise DataConnectError(
            f"{written} is not supported here (CAST to {', '.join(sorted(SCHEMAS))})"
        )
    return kind


def _java_double(value: float) -> str:
    """A double as Trino writes it (Java's Double.toString): 25.5, 1.0, 1.0E7, 1.0E-4."""
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(float(value))  # Python writes this range without an exponent, as Java does
    sign, digits, exponent = Decimal(repr(float(value))).as_tuple()
    assert isinstance(exponent, int)
    mantissa = f"{digits[0]}.{''.join(map(str, digits[1:])) or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{exponent + len(digits) - 1}"


def _failed(value: Any, kind: str) -> DataConnectError:
    return DataConnectError(f"cannot CAST {reprlib.repr(value)} to {kind}")


def _whole(value: Any, kind: str, bits: int) -> int:
    if isinstance(value, bool):
        found = int(value)
    elif isinstance(value, int):
        found = value
    elif isinstance(value, float) and math.isfinite(value):  # Trino rounds halves away from 0
        found = int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()) and len(value) <= 40:
        found = int(value.strip())
    else:
        raise _failed(value, kind)
    if not -(2 ** (bits - 1)) <= found < 2 ** (bits - 1):
        raise DataConnectError(f"cannot CAST {reprlib.repr(value)} to {kind}: out of range")
    return found


def _double(value: Any) -> float:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        found = float(value.strip())
        if math.isfinite(found):
            return found
    raise _failed(value, "DOUBLE")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        return _java_double(value)
    if isinstance(value, int | str):
        return str(value)
    raise _failed(value, "VARCHAR")


def _truth(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in _TRUTH:
        return _TRUTH[value.strip().lower()]
    raise _failed(value, "BOOLEAN")


def _moment(value: Any, kind: str) -> datetime:
    """A date or timestamp text as a datetime (in UTC without its zone, if it has one)."""
    if not isinstance(value, str):
        raise _failed(value, kind)
    try:
        found = datetime.fromisoformat(value.strip())
        return found.astimezone(UTC).replace(tzinfo=None) if found.tzinfo else found
    except (ValueError, OverflowError):
        raise _failed(value, kind) from None


def cast_value(value: Any, kind: str) -> Any:
    """`CAST(value AS kind)` as Trino answers it; null stays null."""
    if value is None:
        return None
    if kind == "VARCHAR":
        return _text(value)
    if kind == "DOUBLE":
        return _double(value)
    if kind == "BOOLEAN":
        return _truth(value)
    if kind == "DATE":
        return _moment(value, kind).date().isoformat()
    if kind == "TIMESTAMP":
        return _moment(value, kind).isoformat()
    bits = next(bits for name, bits in INTEGERS.values() if name == kind)
    return _whole(value, kind, bits)
