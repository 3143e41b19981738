"""What the indexd, DRS and fence routes share: the data-object service and request parsing.

Routes stay thin: they parse, call `DataObjects` (made for the request's
caller, whose rights it checks) in a worker thread (the store drivers
block) and shape the answer. Malformed parameters are a 400
that names the parameter.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from engine.auth.principal import Principal, principal
from engine.json_input import INT64_MAX
from engine.objects.access import RecordAccess
from engine.objects.record import RecordError, check_fields
from engine.objects.service import DataObjects


def record_access(request: Request, who: Principal) -> RecordAccess:
    """`who`'s rights over index records, as the INDEX_READ setting has records read."""
    return RecordAccess(who, public_read=request.app.state.settings.index_read == "public")


async def data_objects(request: Request) -> DataObjects:
    """The data-object service, acting for the caller of `request` (who may do what is checked there)."""
    stores, settings = request.app.state.stores, request.app.state.settings
    return DataObjects(
        stores.graph,
        stores.objects,
        record_access(request, await principal(request)),
        guid_prefix=settings.index_guid_prefix,
        max_ttl=settings.signed_url_ttl,
    )


def whole_number(name: str, value: Any, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """A count from a query string or a JSON body; bools, floats and numbers past what a graph
    property holds (64 bits) are refused too."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        digits = value.strip()
        if len(digits) > 20:  # past 64 bits, whatever the sign (and int() refuses 4,300 digits)
            raise RecordError(
                400,
                f"{name} must be a whole number from {minimum} to {maximum}, got {digits[:24]}...",
            )
        value = int(digits)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RecordError(400, f"{name} must be a whole number >= {minimum}, got {value!r}")
    if value > maximum:
        raise RecordError(400, f"{name} must be at most {maximum}, got {value}")
    return value


def optional_number(
    request: Request, name: str, minimum: int = 0, maximum: int = INT64_MAX
) -> int | None:
    value = request.query_params.get(name)
    return None if value in (None, "") else whole_number(name, value, minimum, maximum)


def required_param(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise RecordError(400, f"the query parameter {name} is required")
    return value


def listed(request: Request, name: str, *, split: bool = True) -> tuple[str, ...]:
    """A list given as the parameter repeated, or (`split`) as `a,b`."""
    values = request.query_params.getlist(name)
    return tuple(
        item for value in values for item in (value.split(",") if split else [value]) if item
    )


def hashes_param(request: Request) -> dict[str, str]:
    """indexd's `hash=<type>:<value>` parameters (repeated), checked as a record's hashes are."""
    pairs = [value.partition(":") for value in request.query_params.getlist("hash")]
    if any(not sep or not digest for _, sep, digest in pairs):
        raise RecordError(400, "hash must be given as <type>:<value>, e.g. md5:<32 hex digits>")
    return check_fields(
        {"hashes": {kind: digest for kind, _, digest in pairs}}, frozenset({"hashes"})
    )["hashes"]
