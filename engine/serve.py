"""`commons serve`: the stores, the dictionary, the API, started and stopped together."""

from __future__ import annotations

import signal
import time
from typing import NoReturn

import click
import uvicorn
from starlette.types import ASGIApp

from engine.auth.errors import AuthError
from engine.child_process import ChildStartError
from engine.cli_support import fail
from engine.config import ConfigError, load_settings
from engine.dictionary.errors import DictionaryError
from engine.gc_tuning import tune_garbage_collector
from engine.graph.store import StoreUnavailable
from engine.http_protocol import MAX_REQUEST_HEAD, LingeringH11Protocol
from engine.objects.store import ObjectStoreUnavailable
from engine.submission.demo import DemoError


def _exit_on_sigterm() -> None:
    """SIGTERM becomes SystemExit, so `with` blocks stop the child servers on the way out."""

    def handler(signum: int, frame: object) -> NoReturn:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def uvicorn_config(app: ASGIApp, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    """uvicorn as Commons runs: a request head of up to MAX_REQUEST_HEAD bytes, and one it
    cannot read answered so that the client reads the answer (engine/http_protocol.py)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=LingeringH11Protocol,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD,
    )


@click.command()
@click.option(
    "--host", default=None, help="Interface to listen on  [default: COMMONS_HOST or 127.0.0.1]"
)
@click.option(
    "--port", type=int, default=None, help="Port to listen on  [default: COMMONS_PORT or 8000]"
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where embedded stores keep data  [default: COMMONS_DATA_DIR or .commons]",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Load the demo data on start: the dictionary's examples and a simulated cohort "
    "(the first start only; later ones find it in the data folder).",
)
def serve(host: str | None, port: int | None, data_dir: str | None, demo: bool) -> None:
    """Start the stores (embedded ones when none are configured) and the API server."""
    from engine.api.app import create_app
    from engine.api.graphql import query_service
    from engine.dictionary.cli import print_warnings
    from engine.dictionary.compile import compile_dictionary
    from engine.graph.ddl import apply_ddl
    from engine.metadata.demo import publish_demo_studies
    from engine.metadata.schema import DDL as METADATA_DDL
    from engine.objects.index import DDL as RECORD_DDL
    from engine.query import tallies
    from engine.stores import open_stores
    from engine.submission.demo import load_demo

    _exit_on_sigterm()
    try:
        settings = load_settings(
            overrides={"commons_host": host, "commons_port": port, "commons_data_dir": data_dir}
        )
    except ConfigError as error:
        fail(str(error))
    try:
        compiled = compile_dictionary(settings.commons_dictionary)
    except DictionaryError as error:
        fail(f"dictionary {settings.commons_dictionary} does not load:\n" + str(error))
    print_warnings(compiled.dictionary)
    click.echo("Starting stores...", err=True)
    try:
        with open_stores(settings) as stores:
            apply_ddl(stores.graph, compiled.ddl + RECORD_DDL + METADATA_DDL)
            if tallies.prepare(stores.graph, compiled.dictionary):
                click.echo("Facet tallies counted from the records.", err=True)
            if demo:
                started, examples = time.monotonic(), settings.commons_dictionary / "examples"
                click.echo("Loading the demo data (a simulated cohort: once)...", err=True)
                loaded = load_demo(stores.graph, compiled, examples)
                click.echo(
                    f"Demo data: {loaded.records} simulated records in "
                    f"{loaded.target.project_id}, "
                    + (
                        f"loaded in {time.monotonic() - started:.1f} s."
                        if loaded.loaded
                        else "kept from an earlier start."
                    ),
                    err=True,
                )
                studies = publish_demo_studies(stores.graph, compiled, examples)
                click.echo(f"Discovery studies published: {', '.join(studies)}.", err=True)
            app = create_app(stores, settings, compiled)
            query_service(app)  # the GraphQL schema, built now rather than on the first query
            policy = settings.commons_policy_file
            if demo and not policy.is_file():
                policy = settings.commons_dictionary / "examples" / "policy.yaml"
            if app.state.auth.prepare(policy):
                click.echo(f"Policy loaded from {policy}.", err=True)
            url = f"http://{settings.commons_host}:{settings.commons_port}/"
            click.secho(
                f"Commons is serving on {url}  (graph: {stores.graph.dialect.name} "
                f"{stores.graph.dialect.version}, objects: {stores.objects.name} at {stores.objects.endpoint})",
                fg="green",
                err=True,
            )
            server = uvicorn.Server(
                uvicorn_config(app, settings.commons_host, settings.commons_port)
            )
            tune_garbage_collector()
            server.run()
    except (
        StoreUnavailable,
        ObjectStoreUnavailable,
        ChildStartError,
        DemoError,
        AuthError,
    ) as error:
        fail(str(error))
