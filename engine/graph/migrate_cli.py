"""`commons migrate NEW`: move the configured store to a new version of its dictionary."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine.cli_support import fail
from engine.config import ConfigError, load_settings
from engine.dictionary.errors import DictionaryError
from engine.dictionary.loader import load_dictionary
from engine.graph.migrate import migrate as migrate_store
from engine.graph.store import StoreUnavailable

FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)


@click.command()
@click.argument("new", type=FOLDER)
@click.option(
    "--from",
    "old",
    type=FOLDER,
    default=None,
    help="The version the store holds now  [default: COMMONS_DICTIONARY]",
)
def migrate(new: Path, old: Path | None) -> None:
    """Apply the safe changes of dictionary NEW (new constraints and indexes) to the store.

    When any change is breaking nothing is applied: each breaking change is
    listed with the number of stored records it would invalidate, and the
    exit code is 1. Point COMMONS_DICTIONARY at NEW afterwards.
    """
    from engine.stores import open_command_graph

    try:
        settings = load_settings()
        before = load_dictionary(old or settings.commons_dictionary)
        after = load_dictionary(new)
    except (ConfigError, DictionaryError) as error:
        fail(str(error))
    console = Console()
    try:
        with ExitStack() as stack:
            result = migrate_store(open_command_graph(settings, stack), before, after)
    except StoreUnavailable as error:
        fail(str(error))
    if result.refused:
        table = Table(title="breaking changes: nothing was applied")
        for column in ("change", "where", "detail", "stored records"):
            table.add_column(column, overflow="fold")
        for item in result.breaking:
            change = item.change
            cells = (f"{change.kind} {change.what}", change.path, change.detail, str(item.records))
            table.add_row(*(Text(cell) for cell in cells))
        console.print(table)
        sys.exit(1)
    console.print(
        f"{len(result.changes)} safe change(s); {result.applied} constraint/index statement(s) applied."
    )
