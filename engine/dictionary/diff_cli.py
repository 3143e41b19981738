"""`commons dictionary diff OLD NEW`: the changes between two dictionary versions, as a table.

The exit code makes it usable as a CI gate on a dictionary repository:
0 when nothing breaks, 1 when a change is breaking, 2 when a folder is
not a valid dictionary.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine.dictionary.diff import Change, diff_dictionaries
from engine.dictionary.errors import DictionaryError
from engine.dictionary.loader import load_dictionary
from engine.dictionary.model import Dictionary

FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)
EXIT_BREAKING = 1
EXIT_INVALID = 2


def _load(directory: Path) -> Dictionary:
    try:
        return load_dictionary(directory)
    except DictionaryError as error:
        for message in error.messages:
            click.echo(message, err=True)
        click.secho(f"{directory} is not a valid dictionary.", fg="red", err=True)
        sys.exit(EXIT_INVALID)


def changes_table(changes: list[Change]) -> Table:
    """One row per change, breaking ones first and in red."""
    table = Table(title=f"{len(changes)} change(s)")
    table.add_column("", no_wrap=True)
    for column in ("change", "what", "where", "detail"):
        table.add_column(column, overflow="fold")
    for change in sorted(changes, key=lambda item: not item.breaking):
        cells = (
            "BREAKING" if change.breaking else "ok",
            change.kind,
            change.what,
            change.path,
            change.detail,
        )
        # Text, not markup: paths and details hold brackets (`links[a|b]`, `[project_id, code]`).
        table.add_row(*(Text(cell) for cell in cells), style="red" if change.breaking else None)
    return table


@click.command()
@click.argument("old", type=FOLDER)
@click.argument("new", type=FOLDER)
def diff(old: Path, new: Path) -> None:
    """Compare dictionary OLD with NEW; exit 1 when a change breaks existing data or clients.

    Breaking: anything removed or renamed, a value domain narrowed (enum
    value dropped, number to integer, string to enum, null refused, tighter
    bounds), a new required property or link, changed unique keys, a changed
    link (target, label, backref, multiplicity) or a stricter link group.
    """
    changes = diff_dictionaries(_load(old), _load(new))
    if not changes:
        click.echo("No differences.")
        return
    Console().print(changes_table(changes))
    breaking = sum(change.breaking for change in changes)
    click.echo(f"{len(changes)} change(s), {breaking} breaking.")
    if breaking:
        sys.exit(EXIT_BREAKING)
