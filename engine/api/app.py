"""The Starlette application: every route family mounted on one app over the open stores."""

from __future__ import annotations

from starlette.applications import Starlette

from engine.api import (
    auth,
    dashboard,
    data,
    data_connect,
    drs,
    errors,
    explore,
    guppy,
    index,
    jobs,
    metadata,
    openapi,
    status,
    submission,
)
from engine.api import graphql as graphql_api
from engine.auth.authority import Authority
from engine.config import Settings
from engine.dictionary.compile import CompiledDictionary
from engine.stores import Stores


def create_app(stores: Stores, settings: Settings, compiled: CompiledDictionary) -> Starlette:
    """The app serves what `stores` hold; opening and closing them is the caller's job."""
    app = Starlette(
        routes=[
            *status.routes,
            *graphql_api.routes,
            *submission.routes,
            *auth.routes,
            *index.routes,
            *drs.routes,
            *data_connect.routes,
            *data.routes,
            *guppy.routes,
            *explore.routes,
            *jobs.routes,
            *metadata.routes,
            *openapi.routes,
            # Last: `/` and `/dashboard` are the dashboard's, after every API route.
            *dashboard.routes,
        ],
        exception_handlers=errors.handlers,
        lifespan=jobs.lifespan,
    )
    app.state.stores = stores
    app.state.settings = settings
    app.state.compiled = compiled
    app.state.auth = Authority(stores.graph, settings)
    return app
