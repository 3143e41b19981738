"""`commons users`, `commons keys` and `commons policy`: auth administration from a shell.

They work whether or not `commons serve` is running: with NEO4J_URI they use
Neo4j; with the embedded store they join the ArcadeDB of a server running on
the same COMMONS_DATA_DIR, or start one for the length of the command.
Results go to standard output (`keys create` prints credentials.json),
messages to standard error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
import yaml

from engine.auth import accounts
from engine.auth.authority import Authority
from engine.auth.errors import AuthError
from engine.auth.keys import KeyRing
from engine.auth.policy_store import grant_policy, load_policy_file, revoke_policy, show_policy
from engine.child_process import ChildStartError
from engine.config import ConfigError, Settings, load_settings
from engine.graph.store import StoreUnavailable
from engine.stores import open_command_graph

FAILURES = (ConfigError, StoreUnavailable, ChildStartError, AuthError)


@contextmanager
def _refusals_as_errors() -> Iterator[None]:
    """A refusal is a one-line `Error: ...` and exit code 1, never a traceback."""
    try:
        yield
    except FAILURES as error:
        raise click.ClickException(str(error)) from None


def _settings() -> Settings:
    with _refusals_as_errors():
        return load_settings()


@contextmanager
def _authority() -> Iterator[Authority]:
    with _refusals_as_errors(), ExitStack() as stack:
        settings = load_settings()
        authority = Authority(open_command_graph(settings, stack), settings)
        authority.prepare()
        yield authority


# Users -----------------------------------------------------------------------


@click.group()
def users() -> None:
    """Users who may hold API keys and policies."""


@users.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="May do everything, the policy included.")
def users_add(name: str, admin: bool) -> None:
    """Add user NAME, or set an existing user's admin flag."""
    with _authority() as authority:
        created = accounts.add_user(authority.graph, name, admin)
    role = "an admin" if admin else "not an admin"
    click.echo(f"{'Added' if created else 'Updated'} user {name} ({role}).", err=True)


@users.command("list")
def users_list() -> None:
    """Every user, whether an admin, and the policies granted to them by name."""
    with _authority() as authority:
        found = accounts.list_users(authority.graph)
    for user in found:
        click.echo(f"{user.name}\t{'admin' if user.admin else '-'}\t{','.join(user.policies)}")


# Keys ------------------------------------------------------------------------


@click.group()
def keys() -> None:
    """API keys (create, revoke) and the keys Commons signs tokens with (rotate, retire)."""


@keys.command("create")
@click.argument("name")
@click.option("--days", type=int, default=None, help="Lifetime  [default: AUTH_API_KEY_DAYS or 30]")
def keys_create(name: str, days: int | None) -> None:
    """Print a credentials.json for user NAME, as fence's, which the Gen3 SDK reads."""
    with _authority() as authority:
        credentials = authority.create_api_key(name, days)
    click.echo(json.dumps(credentials))
    click.echo(
        f"API key {credentials['key_id']} for {name}; "
        f"revoke it with `commons keys revoke {credentials['key_id']}`.",
        err=True,
    )


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke the API key KEY_ID (credentials.json's key_id): it and its tokens stop working now."""
    with _authority() as authority:
        owner = accounts.revoke_api_key(authority.graph, key_id)
    click.echo(f"Revoked API key {key_id} of {owner}.", err=True)


@keys.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key; older ones still verify the tokens they signed until retired."""
    ring = KeyRing.in_data_dir(_settings().commons_data_dir)
    key = ring.rotate()
    click.echo(key.kid)
    click.echo(f"{key.kid} signs from now on; trusted keys: {', '.join(ring.kids())}.", err=True)


@keys.command("retire")
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Stop trusting the old signing key KID: every token it signed, API keys too, stops working."""
    ring = KeyRing.in_data_dir(_settings().commons_data_dir)
    with _refusals_as_errors():
        ring.retire(kid)
    click.echo(f"Retired {kid}; trusted keys: {', '.join(ring.kids())}.", err=True)


# Policy ----------------------------------------------------------------------


@click.group()
def policy() -> None:
    """The active access policy (the shape of Gen3's user.yaml), kept in the graph."""


@policy.command("show")
def policy_show() -> None:
    """Print the active policy as YAML, ready to edit and load again."""
    with _authority() as authority:
        current = show_policy(authority.graph)
    click.echo(yaml.safe_dump(current, sort_keys=False), nl=False)


@policy.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def policy_load(path: Path) -> None:
    """Check the policy file PATH whole and make it the active policy."""
    with _authority() as authority:
        load_policy_file(authority.graph, path)
    click.echo(f"Loaded the policy from {path}.", err=True)


@policy.command("grant")
@click.argument("user")
@click.argument("policy_id", metavar="POLICY")
def policy_grant(user: str, policy_id: str) -> None:
    """Grant POLICY to USER."""
    with _authority() as authority:
        grant_policy(authority.graph, user, policy_id)
    click.echo(f"Granted {policy_id} to {user}.", err=True)


@policy.command("revoke")
@click.argument("user")
@click.argument("policy_id", metavar="POLICY")
def policy_revoke(user: str, policy_id: str) -> None:
    """Take POLICY back from USER (grants through groups stay)."""
    with _authority() as authority:
        revoke_policy(authority.graph, user, policy_id)
    click.echo(f"Revoked {policy_id} from {user}.", err=True)
