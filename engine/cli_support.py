"""What every `commons` command shares."""

from __future__ import annotations

import sys
from typing import NoReturn

import click


def fail(message: str) -> NoReturn:
    """Print an error the user can act on, and exit 1: never a traceback."""
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)
