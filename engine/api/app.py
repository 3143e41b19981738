"""The Starlette application: every route family mounted on one app over the open stores."""

from __future__ import annotations

from starlette.applications import Starlette

from engine.api import status
from engine.config import Settings
from engine.stores import Stores


def create_app(stores: Stores, settings: Settings) -> Starlette:
    """The app serves what `stores` hold; opening and closing them is the caller's job."""
    app = Starlette(routes=[*status.routes])
    app.state.stores = stores
    app.state.settings = settings
    return app
