"""`commons upload` and `commons download`: files in and out of a running Commons, verified.

Like `commons submit`, they speak the same HTTP API as Gen3 clients. Files
move in parallel; the upload manifest is a TSV whose columns are data-file
node properties, so adding `type`, links and the node's own fields makes
it a submission.
"""

from __future__ import annotations

import csv
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from engine.auth.client import CREDENTIALS_OPTION, api_auth
from engine.auth.resources import project_resource
from engine.cli_support import URL_OPTION, program_project
from engine.objects.transfer import CHUNK, TransferError, Transfers, Uploaded

MANIFEST_COLUMNS = ("submitter_id", "file_name", "file_size", "md5sum", "object_id")
WORKERS_OPTION = click.option(
    "--workers", default=4, show_default=True, help="Files (and parts) moved at once."
)
PART_SIZE_OPTION = click.option(
    "--part-size",
    default=64,
    show_default=True,
    help="MiB; larger files move in parts of this size, in parallel.",
)


def _files(paths: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        found += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return found


def _moving(files: int) -> Progress:
    columns = (
        TextColumn(f"{files} file(s)"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=Console(stderr=True))


def _growing(progress: Progress, task: TaskID) -> Callable[[int], None]:
    """The task's total, grown from the threads that learn each file's size."""
    lock = threading.Lock()
    total = 0

    def expect(size: int) -> None:
        nonlocal total
        with lock:
            total += size
            progress.update(task, total=total)

    return expect


def _report(failed: list[str]) -> None:
    console = Console(stderr=True)
    for message in failed:
        console.print(message, style="red", markup=False, highlight=False)


def _check_project(transfers: Transfers, program: str, project: str) -> None:
    response = transfers.api.get(f"/api/v0/submission/{program}")
    if response.status_code in (401, 403):  # say why: --credentials may be missing
        raise click.ClickException(response.json().get("message", response.text))
    links = response.json().get("links", []) if response.is_success else []
    if f"/v0/submission/{program}/{project}" not in links:
        raise click.ClickException(
            f"project {program}/{project} does not exist at {transfers.api.base_url}"
        )


def _submitter_id(path: Path) -> str:
    """The path as given relative to here, so files of the same name in two folders differ."""
    resolved = path.resolve()
    return (
        str(resolved.relative_to(Path.cwd())) if resolved.is_relative_to(Path.cwd()) else path.name
    )


def _write_manifest(path: Path, uploaded: Iterable[Uploaded], node: str | None) -> None:
    columns = (("type",) if node else ()) + MANIFEST_COLUMNS
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(columns)
        for item in sorted(uploaded, key=lambda u: str(u.path)):
            row = (_submitter_id(item.path), item.path.name, item.size, item.md5, item.guid)
            writer.writerow(((node,) if node else ()) + row)


@contextmanager
def _talking_to(url: str, transfers: Transfers) -> Iterator[None]:
    """Transfer and network failures as CLI errors; the connections closed either way."""
    try:
        yield
    except TransferError as error:
        raise click.ClickException(str(error)) from None
    except httpx.HTTPError as error:
        raise click.ClickException(f"cannot reach Commons at {url}: {error}") from None
    finally:
        transfers.close()


@click.command()
@click.argument("project", metavar="PROGRAM/PROJECT", callback=program_project)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False),
    help="Write a TSV of the uploaded files, ready to submit as data-file nodes.",
)
@click.option("--node", help="The data-file node type, written in the manifest's type column.")
@PART_SIZE_OPTION
@URL_OPTION
@WORKERS_OPTION
@CREDENTIALS_OPTION
def upload(
    project: tuple[str, str],
    paths: tuple[str, ...],
    manifest: str | None,
    node: str | None,
    part_size: int,
    url: str,
    workers: int,
    credentials: str | None,
) -> None:
    """Upload files (or folders of them) into a project's storage.

    Each file becomes an index record readable under the project
    (authz /programs/PROGRAM/projects/PROJECT). Its MD5 is computed here
    and checked by Commons against what S3 stored; the exit code is 1 when
    any file failed.
    """
    program, code = project
    files = _files(paths)
    authz = [project_resource(program, code)]
    transfers = Transfers(url, workers, part_size * CHUNK, auth=api_auth(url, credentials))
    with _talking_to(url, transfers):
        _check_project(transfers, program, code)
        with _moving(len(files)) as progress:
            task = progress.add_task("upload", total=sum(path.stat().st_size for path in files))
            done, failed = transfers.upload(files, authz, lambda n: progress.advance(task, n))
    _report(failed)
    if manifest:
        _write_manifest(Path(manifest), done, node)
    click.echo(f"uploaded {len(done)} file(s), {len(failed)} failed", err=True)
    if failed:
        sys.exit(1)


def _manifest_guids(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    column = next((c for c in ("object_id", "guid", "did") if rows and c in rows[0]), None)
    if column is None:
        raise click.ClickException(f"{path}: no object_id (or guid/did) column")
    return [row[column] for row in rows if row[column]]


@click.command()
@click.argument("guids", nargs=-1)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False),
    help="A TSV with an object_id column, e.g. the one `commons upload` wrote.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="The folder to download into.",
)
@PART_SIZE_OPTION
@URL_OPTION
@WORKERS_OPTION
@CREDENTIALS_OPTION
def download(
    guids: tuple[str, ...],
    manifest: str | None,
    out: str,
    part_size: int,
    url: str,
    workers: int,
    credentials: str | None,
) -> None:
    """Download files by GUID, checking each one's size and MD5 against its record.

    A file is kept only when both match; otherwise nothing of it is left in
    the folder and the exit code is 1.
    """
    wanted = list(guids) + (_manifest_guids(Path(manifest)) if manifest else [])
    if not wanted:
        raise click.UsageError("name GUIDs or give --manifest")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    transfers = Transfers(url, workers, part_size * CHUNK, auth=api_auth(url, credentials))
    with _talking_to(url, transfers), _moving(len(wanted)) as progress:
        task = progress.add_task("download", total=0)
        done, failed = transfers.download(
            wanted, folder, lambda n: progress.advance(task, n), _growing(progress, task)
        )
    _report(failed)
    click.echo(f"downloaded {len(done)} file(s) into {folder}, {len(failed)} failed", err=True)
    if failed:
        sys.exit(1)
