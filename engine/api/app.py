"""The Starlette application: every route family mounted on one app over the open stores."""

from __future__ import annotations

from starlette.applications import Starlette

from engine.api import errors, status, submission
from engine.config import Settings
from engine.dictionary.compile import CompiledDictionary
from engine.stores import Stores


def create_app(stores: Stores, settings: Settings, compiled: CompiledDictionary) -> Starlette:
    """The app serves what `stores` hold; opening and closing them is the caller's job."""
    app = Starlette(routes=[*status.routes, *submission.routes], exception_handlers=errors.handlers)
    app.state.stores = stores
    app.state.settings = settings
    app.state.compiled = compiled
    return app
