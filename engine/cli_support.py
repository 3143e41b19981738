"""What every `commons` command shares."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from engine.auth.resources import MalformedName, project_resource

# The Commons a client command talks to, over its HTTP API.
URL_OPTION = click.option(
    "--url",
    envvar="COMMONS_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The Commons to talk to.",
)


def fail(message: str) -> NoReturn:
    """Print an error the user can act on, and exit 1: never a traceback."""
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)


def program_project(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, str]:
    """A PROGRAM/PROJECT argument as (program, code), checked as the server checks them, so a
    malformed name never becomes a URL path or an authz path."""
    program, _, code = value.partition("/")
    try:
        project_resource(program, code)
    except MalformedName as error:
        raise click.BadParameter(
            f"expected PROGRAM/PROJECT, e.g. demo/omics ({error.message})",
            ctx,
            param,
        ) from None
    return program, code
