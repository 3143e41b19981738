"""The `commons` command.

Subcommands are imported when they run, not when the command starts: a
`commons upload` should not pay for loading the web server and the
GraphQL schema.
"""

from __future__ import annotations

import importlib

import click

COMMANDS = {
    "serve": "engine.serve:serve",
    "dictionary": "engine.dictionary.cli:dictionary",
    "simulate": "engine.dictionary.simulate_cli:simulate",
    "migrate": "engine.graph.migrate_cli:migrate",
    "submit": "engine.submission.cli:submit",
    "export": "engine.submission.cli:export",
    "upload": "engine.objects.cli:upload",
    "download": "engine.objects.cli:download",
    "users": "engine.auth.cli:users",
    "keys": "engine.auth.cli:keys",
    "policy": "engine.auth.cli:policy",
    "metadata": "engine.metadata.cli:metadata",
}


class LazyGroup(click.Group):
    """A group whose subcommands are named by import path and loaded on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, _, attribute = COMMANDS[name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="commons")
def main() -> None:
    """Commons: a graph-based metadata engine for research data commons.

    Configuration comes from environment variables or a commons.yaml file
    (see the README). With no NEO4J_URI and no S3_ENDPOINT set, Commons runs
    its own embedded graph and object stores under COMMONS_DATA_DIR.
    """
