"""`commons metadata get|put|query|delete|load`: metadata records of a running Commons, over MDS's API.

Like `commons submit`, the commands speak the HTTP API Gen3 clients use
(`/mds/metadata...`), so they act with the caller's rights and work
against any Commons. `load` reads a file of many records and sends them in
batches (`POST /mds/metadata`), with a progress bar:

- JSON: a list of `{"guid", "data"}` objects, or one object of guid → metadata;
- TSV (or CSV): a `guid` column and one column per field; a dotted column
  name nests (`gen3_discovery.study_name`), and a cell that reads as JSON
  (a number, `true`, a list, an object) is taken as that value, as
  `gen3 discovery publish` reads its TSVs. Empty cells are left out.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from engine.auth.client import CREDENTIALS_OPTION, api_auth
from engine.cli_support import URL_OPTION, fail
from engine.json_input import JSONRejected, loads

MDS = "/mds/metadata"
Record = tuple[str, dict[str, Any]]


class LoadError(click.ClickException):
    """A record file that cannot be read; the message names the file and line."""


@click.group()
def metadata() -> None:
    """Metadata records (Gen3's metadata service, MDS) of a running Commons."""


def _client(url: str, credentials: str | None) -> httpx.Client:
    return httpx.Client(
        base_url=url, auth=api_auth(url, credentials), timeout=httpx.Timeout(600, connect=10)
    )


def _answer(response: httpx.Response) -> Any:
    """The JSON of a successful answer; otherwise exit 1 with the server's `detail`."""
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text}
    if response.is_success:
        return body
    detail = body.get("detail", body) if isinstance(body, dict) else body
    fail(f"{response.request.method} {response.request.url.path}: {response.status_code} {detail}")


def _send(url: str, credentials: str | None, method: str, path: str, **kwargs: Any) -> Any:
    with _client(url, credentials) as client:
        try:
            return _answer(client.request(method, path, **kwargs))
        except httpx.HTTPError as error:
            fail(f"cannot reach Commons at {url}: {error}")


def _echo(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@metadata.command()
@click.argument("guid")
@URL_OPTION
@CREDENTIALS_OPTION
def get(guid: str, url: str, credentials: str | None) -> None:
    """Print GUID's metadata (GUID may be an alias)."""
    _echo(_send(url, credentials, "GET", f"{MDS}/{guid}"))


@metadata.command()
@click.argument("guid")
@click.argument("source", type=click.File("rb"), default="-")
@click.option("--merge", is_flag=True, help="Only change the top-level keys given.")
@URL_OPTION
@CREDENTIALS_OPTION
def put(guid: str, source: Any, merge: bool, url: str, credentials: str | None) -> None:
    """Write GUID's metadata from SOURCE (a JSON object; `-`, the default, is standard input).

    Creates the record or replaces it; with --merge, an existing record keeps
    the top-level keys SOURCE does not name.
    """
    name = getattr(source, "name", "-")
    try:
        blob = loads(source.read(), name)
    except JSONRejected as error:
        fail(error.message)
    if not isinstance(blob, dict):
        fail(f"{name}: expected a JSON object")
    if merge:
        _echo(_send(url, credentials, "PUT", f"{MDS}/{guid}", params={"merge": "true"}, json=blob))
    else:
        params = {"overwrite": "true"}
        _echo(_send(url, credentials, "POST", f"{MDS}/{guid}", params=params, json=blob))


@metadata.command()
@click.argument("filters", nargs=-1)
@click.option("--data", is_flag=True, help="Print guid → metadata, not only the guids.")
@click.option("--limit", default=10, show_default=True, help="At most this many (up to 2000).")
@click.option("--offset", default=0, show_default=True, help="Skip this many, in guid order.")
@URL_OPTION
@CREDENTIALS_OPTION
def query(
    filters: tuple[str, ...],
    data: bool,
    limit: int,
    offset: int,
    url: str,
    credentials: str | None,
) -> None:
    """Records whose metadata matches every FILTER (`path=value`, e.g. `a.b=1`, `a=*`).

    A path repeated matches any of its values; different paths must all match.
    """
    params: list[tuple[str, str | int]] = [("data", str(data).lower())]
    params += [("limit", limit), ("offset", offset)]
    for item in filters:
        path, equals, value = item.partition("=")
        if not equals or not path:
            raise click.BadParameter(f"expected PATH=VALUE, got {item!r}", param_hint="FILTERS")
        params.append((path, value))
    _echo(_send(url, credentials, "GET", MDS, params=params))


@metadata.command()
@click.argument("guid")
@URL_OPTION
@CREDENTIALS_OPTION
def delete(guid: str, url: str, credentials: str | None) -> None:
    """Delete GUID's record (and its aliases); prints the metadata it had."""
    _echo(_send(url, credentials, "DELETE", f"{MDS}/{guid}"))


def _json_records(path: Path) -> list[Record]:
    try:
        value = loads(path.read_bytes(), str(path))
    except JSONRejected as error:
        raise LoadError(error.message) from None
    if isinstance(value, dict):
        value = [{"guid": guid, "data": data} for guid, data in value.items()]
    if not isinstance(value, list):
        raise LoadError(f"{path}: expected a list of {{guid, data}} or an object of guid → data")
    records = []
    for number, item in enumerate(value, 1):
        guid = item.get("guid") if isinstance(item, dict) else None
        data = item.get("data") if isinstance(item, dict) else None
        if not isinstance(guid, str) or not guid.strip() or not isinstance(data, dict):
            raise LoadError(
                f"{path} record {number}: expected a non-empty string guid and an object data"
            )
        records.append((guid, data))
    return records


def _cell(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _nest(row: dict[str, str], where: str) -> dict[str, Any]:
    blob: dict[str, Any] = {}
    for column, text in row.items():
        if column == "guid" or text in ("", None):
            continue
        *parents, leaf = column.split(".")
        node = blob
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise LoadError(f"{where}: column {column} nests under {part}, which holds a value")
            node = child
        node[leaf] = _cell(text)
    return blob


def _table_records(path: Path) -> list[Record]:
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        if "guid" not in (reader.fieldnames or []):
            raise LoadError(f"{path} line 1: no guid column (columns: {reader.fieldnames})")
        records = []
        for row in reader:
            where = f"{path} line {reader.line_num}"
            if None in row:
                raise LoadError(f"{where}: more cells than columns")
            guid = (row.get("guid") or "").strip()
            if not guid:
                raise LoadError(f"{where}: the guid is empty")
            records.append((guid, _nest(row, where)))
    return records


def read_records(path: Path) -> list[Record]:
    """The records of a JSON, TSV or CSV file; LoadError names the file and line of a problem."""
    try:
        if path.suffix.lower() == ".json":
            return _json_records(path)
        if path.suffix.lower() in (".tsv", ".csv", ".txt"):
            return _table_records(path)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LoadError(f"{path}: cannot read it: {error}") from None
    raise LoadError(f"{path}: expected a .json, .tsv or .csv file")


def _batches(records: list[Record], size: int) -> Iterator[list[Record]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


@metadata.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch", default=500, show_default=True, help="Records per request.")
@click.option(
    "--overwrite/--no-overwrite",
    default=True,
    show_default=True,
    help="Replace records that exist, or leave them (and report them as conflicts).",
)
@URL_OPTION
@CREDENTIALS_OPTION
def load(path: Path, batch: int, overwrite: bool, url: str, credentials: str | None) -> None:
    """Load the records of PATH (JSON, TSV or CSV), in batches, with a progress bar.

    The exit code is 1 when any record was refused or (with --no-overwrite) existed.
    """
    records = read_records(path)
    console = Console(stderr=True)
    totals: dict[str, list[Any]] = {"created": [], "updated": [], "conflict": [], "bad_input": []}
    columns = (TextColumn(path.name), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with _client(url, credentials) as client, Progress(*columns, console=console) as progress:
        task = progress.add_task("loading", total=len(records))
        for chunk in _batches(records, max(batch, 1)):
            body = [{"guid": guid, "data": data} for guid, data in chunk]
            try:
                response = client.post(MDS, params={"overwrite": str(overwrite).lower()}, json=body)
            except httpx.HTTPError as error:
                fail(f"cannot reach Commons at {url}: {error}")
            for outcome, guids in _answer(response).items():
                totals.setdefault(outcome, []).extend(guids)
            progress.advance(task, len(chunk))
    summary = ", ".join(f"{len(guids)} {outcome}" for outcome, guids in totals.items())
    click.echo(f"{path}: {summary}", err=True)
    refused = totals["conflict"] + totals["bad_input"]
    if refused:
        shown = ", ".join(map(str, refused[:20]))
        fail(f"{len(refused)} record(s) not written: {shown}")
