"""`commons submit` and `commons export`: bulk loading and dumping through a running Commons.

The commands speak the same HTTP API as the Gen3 SDK, so they work against
any Commons (local or remote) and go through the same checks. Files are
streamed in chunks of `--batch` rows: memory stays flat however large the
file, and each chunk is one transaction.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from engine.auth.client import CREDENTIALS_OPTION, api_auth
from engine.cli_support import program_project
from engine.gc_tuning import tune_garbage_collector
from engine.pfb.batches import count_entities, pfb_batches
from engine.pfb.read import PFB_TYPES

SUFFIXES = {".tsv": "\t", ".txt": "\t", ".csv": ","}
PFB_SUFFIX = ".avro"
# The PFB reader thread's nice value: below the server's, when both share a machine.
READER_NICE = 10
CONTENT_TYPES = {"\t": "text/tab-separated-values", ",": "text/csv"}
API = "/api/v0/submission"


@dataclass
class Chunk:
    body: bytes
    content_type: str
    first_line: int | None  # line of the first row in the file; None for JSON
    rows: int
    records: list[int] | None = None  # a PFB's: each entity's record number in the file


@dataclass
class FileReport:
    path: Path
    node: str
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _files(paths: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.suffix.lower() in (*SUFFIXES, ".json", PFB_SUFFIX)
            )
        else:
            found.append(path)
    return found


def _node_of(path: Path) -> str:
    """The `type` of the file's first record: what decides its place in import order (a PFB,
    holding many types, goes last: it is put in order itself)."""
    if path.suffix.lower() == PFB_SUFFIX:
        return "pfb"
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        first = data[0] if isinstance(data, list) and data else data
        return str(first.get("type", "")) if isinstance(first, dict) else ""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=SUFFIXES.get(path.suffix.lower(), "\t"))
        header = [cell.strip().lstrip("*") for cell in next(reader, [])]
        row = next(reader, [])
    if "type" in header and len(row) > header.index("type"):
        return row[header.index("type")].strip()
    return ""


def _count_rows(path: Path) -> int:
    if path.suffix.lower() == PFB_SUFFIX:
        return count_entities(path)
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return len(data) if isinstance(data, list) else 1
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def _table_chunks(path: Path, batch: int) -> Iterator[Chunk]:
    delimiter = SUFFIXES.get(path.suffix.lower(), "\t")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        rows: list[list[str]] = []
        first_line = reader.line_num + 1
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # the server skips it too, and a batch of only these would be refused
            if not rows:
                first_line = reader.line_num
            rows.append(row)
            if len(rows) == batch:
                yield _chunk(header, rows, delimiter, first_line)
                rows = []
        if rows:
            yield _chunk(header, rows, delimiter, first_line)


def _chunk(header: list[str], rows: list[list[str]], delimiter: str, first_line: int) -> Chunk:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Chunk(out.getvalue().encode(), CONTENT_TYPES[delimiter], first_line, len(rows))


def _json_chunks(path: Path, batch: int) -> Iterator[Chunk]:
    data = json.loads(path.read_text(encoding="utf-8"))
    docs = data if isinstance(data, list) else [data]
    for offset in range(0, len(docs), batch):
        part = docs[offset : offset + batch]
        yield Chunk(json.dumps(part).encode(), "application/json", None, len(part))


def _yield_the_cpu() -> None:
    """Lower the calling thread's priority (Linux keeps a nice value per thread): on a machine
    shared with the server, the reader's decoding and encoding took the CPU the server wrote
    with (measured: the import ran at three quarters of the TSV rate). Elsewhere a no-op."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), READER_NICE)


def _pfb_chunks(path: Path, batch: int, order: list[str]) -> Iterator[Chunk]:
    """The PFB's batches, each read (decoded and encoded again) while the one before is sent,
    at a lower priority: it has the time the server takes to write a batch to read the next."""
    parts = (
        Chunk(part.body, PFB_TYPES[0], None, len(part.records), part.records)
        for part in pfb_batches(path, batch, order)
    )
    with ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="pfb", initializer=_yield_the_cpu
    ) as reader:
        upcoming = reader.submit(next, parts, None)
        while (chunk := upcoming.result()) is not None:
            upcoming = reader.submit(next, parts, None)
            yield chunk


def _record_errors(report: FileReport, chunk: Chunk, offset: int, body: dict[str, Any]) -> None:
    for position, entity in enumerate(body.get("entities", [])):
        for error in entity.get("errors", []):
            line = chunk.first_line + position if chunk.first_line is not None else None
            record = chunk.records[position] if chunk.records else offset + position + 1
            report.errors.append(
                {
                    "file": str(report.path),
                    "line": line,
                    "record": record,
                    "column": ",".join(error.get("keys", [])),
                    "type": error.get("type"),
                    "message": error.get("message"),
                }
            )
    problems = list(body.get("transactional_errors") or [])
    if not body.get("entities") and not problems:
        problems.append(body.get("message", "the request failed"))
    for message in problems:
        report.errors.append(
            {
                "file": str(report.path),
                "line": chunk.first_line,
                "record": None,
                "column": "",
                "type": "REQUEST",
                "message": message,
            }
        )


def _describe(error: dict[str, Any]) -> str:
    where = (
        f"{error['file']}:{error['line']}"
        if error["line"]
        else f"{error['file']} record {error['record']}"
    )
    column = f" [{error['column']}]" if error["column"] else ""
    return f"{where}{column} {error['type']}: {error['message']}"


def _import_order(client: httpx.Client) -> list[str]:
    response = client.get(f"{API}/_dictionary")
    response.raise_for_status()
    return list(response.json().get("import_order", []))


def _order(files: list[Path], import_order: list[str]) -> list[tuple[Path, str]]:
    order = {name: i for i, name in enumerate(import_order)}
    typed = [(path, _node_of(path)) for path in files]
    return sorted(typed, key=lambda item: (order.get(item[1], len(order)), str(item[0])))


@click.command()
@click.argument("project", metavar="PROGRAM/PROJECT", callback=program_project)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--url",
    envvar="COMMONS_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The Commons to submit to.",
)
@click.option(
    "--batch",
    default=1000,
    show_default=True,
    help="Rows per request; each request is one transaction.",
)
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option(
    "--report", type=click.Path(dir_okay=False), help="Also write every error as JSON to this file."
)
@CREDENTIALS_OPTION
def submit(
    project: tuple[str, str],
    paths: tuple[str, ...],
    url: str,
    batch: int,
    dry_run: bool,
    report: str | None,
    credentials: str | None,
) -> None:
    """Submit TSV, CSV, JSON and PFB (.avro) files (or folders of them) to a project.

    Files are put in the dictionary's import order (link targets first),
    whatever order they are named in, and streamed in chunks of --batch
    rows. Errors are listed by file, line and column; the exit code is 1
    when any record was refused.
    """
    program, code = project
    tune_garbage_collector()
    console = Console(stderr=True)
    endpoint = f"{API}/{program}/{code}" + ("/_dry_run" if dry_run else "")
    reports: list[FileReport] = []
    auth = api_auth(url, credentials)
    with httpx.Client(base_url=url, auth=auth, timeout=httpx.Timeout(600, connect=10)) as client:
        try:
            import_order = _import_order(client)
            ordered = _order(_files(paths), import_order)
        except httpx.HTTPError as error:
            raise click.ClickException(f"cannot reach Commons at {url}: {error}") from None
        total = sum(_count_rows(path) for path, _ in ordered)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("submitting", total=total)
            for path, node in ordered:
                file_report = FileReport(path, node)
                reports.append(file_report)
                progress.update(task, description=f"{path.name} ({node})")
                suffix = path.suffix.lower()
                if suffix == PFB_SUFFIX:
                    chunks = _pfb_chunks(path, batch, import_order)
                elif suffix == ".json":
                    chunks = _json_chunks(path, batch)
                else:
                    chunks = _table_chunks(path, batch)
                offset = 0
                for chunk in chunks:
                    response = client.put(
                        endpoint, content=chunk.body, headers={"content-type": chunk.content_type}
                    )
                    body = (
                        response.json()
                        if response.headers.get("content-type", "").startswith("application/json")
                        else {"message": response.text}
                    )
                    if response.status_code == 200:
                        file_report.created += body.get("created_entity_count", 0)
                        file_report.updated += body.get("updated_entity_count", 0)
                    else:
                        _record_errors(file_report, chunk, offset, body)
                    offset += chunk.rows
                    progress.advance(task, chunk.rows)
    _summarise(console, reports, dry_run)
    errors = [error for file_report in reports for error in file_report.errors]
    if report:
        Path(report).write_text(json.dumps(errors, indent=2))
    if errors:
        for error in errors[:50]:
            console.print(
                _describe(error), style="red", markup=False, highlight=False, soft_wrap=True
            )
        if len(errors) > 50:
            console.print(
                f"... and {len(errors) - 50} more"
                + (f" (all in {report})" if report else " (use --report FILE for all)")
            )
        sys.exit(1)


def _summarise(console: Console, reports: list[FileReport], dry_run: bool) -> None:
    table = Table(title="dry run: nothing written" if dry_run else "submitted")
    for column in ("file", "node", "created", "updated", "errors"):
        table.add_column(
            column, justify="right" if column in ("created", "updated", "errors") else "left"
        )
    for report in reports:
        table.add_row(
            report.path.name,
            report.node,
            str(report.created),
            str(report.updated),
            str(len(report.errors)),
        )
    console.print(table)


@click.command()
@click.argument("project", metavar="PROGRAM/PROJECT", callback=program_project)
@click.option("--node", "node", help="The node type to export (not with --format pfb).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["tsv", "csv", "json", "pfb"]),
    default="tsv",
    show_default=True,
    help="pfb: the whole project as one PFB (Avro) file.",
)
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False), help="Write here instead of standard output."
)
@click.option(
    "--url",
    envvar="COMMONS_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The Commons to export from.",
)
@CREDENTIALS_OPTION
def export(
    project: tuple[str, str],
    node: str | None,
    fmt: str,
    out: str | None,
    url: str,
    credentials: str | None,
) -> None:
    """Export every entity of one node type in a project (or with --format pfb, all of the
    project as a PFB), ready to submit again."""
    program, code = project
    if (fmt == "pfb") == (node is not None):
        raise click.UsageError("give --node for tsv, csv and json; --format pfb takes no --node")
    params = {"format": fmt} | ({"node_label": node} if node else {})
    target = open(out, "wb") if out else sys.stdout.buffer  # noqa: SIM115 - closed below when ours
    try:
        with httpx.stream(
            "GET",
            f"{url}{API}/{program}/{code}/export/",
            params=params,
            auth=api_auth(url, credentials),
            timeout=600,
        ) as response:
            if response.status_code != 200:
                response.read()
                raise click.ClickException(response.json().get("message", response.text))
            for part in response.iter_bytes():
                target.write(part)
    except httpx.HTTPError as error:
        raise click.ClickException(f"cannot reach Commons at {url}: {error}") from None
    finally:
        if out:
            target.close()
