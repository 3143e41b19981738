"""The client side of Commons' tokens, for the commands that talk to a running Commons.

`commons submit`, `export`, `upload` and `download` take the credentials.json
that `commons keys create` writes (fence's format, the one the Gen3 SDK
reads) and trade it for an access token at
`/user/credentials/cdis/access_token`, as the SDK does. Access tokens are
short-lived, so a long transfer gets a new one when a request is answered
401, and that request is sent again once.
"""

from __future__ import annotations

import functools
import json
import ssl
import threading
from collections.abc import Generator
from pathlib import Path

import click
import httpx

EXCHANGE = "/user/credentials/cdis/access_token"

CREDENTIALS_OPTION = click.option(
    "--credentials",
    envvar="COMMONS_CREDENTIALS",
    type=click.Path(exists=True, dir_okay=False),
    help="A credentials.json from `commons keys create`; without it, requests are anonymous.",
)


@functools.cache
def tls() -> ssl.SSLContext:
    """One TLS context for the process: each httpx client would read the CA bundle again (~25 ms)."""
    return httpx.create_ssl_context()


class ApiKeyAuth(httpx.Auth):
    """httpx auth from a credentials.json: a bearer access token, renewed when it is refused."""

    def __init__(self, url: str, credentials: Path) -> None:
        try:
            self.credentials = json.loads(credentials.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            message = f"cannot read credentials from {credentials}: {error}"
            raise click.ClickException(message) from None
        if not isinstance(self.credentials, dict) or "api_key" not in self.credentials:
            raise click.ClickException(f"{credentials} holds no api_key (`commons keys create`)")
        self.url = url.rstrip("/")
        self.token: str | None = None
        self.lock = threading.Lock()  # transfers share one client across threads

    def _exchange(self) -> str:
        response = httpx.post(self.url + EXCHANGE, json=self.credentials, timeout=30, verify=tls())
        if response.status_code != 200:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise click.ClickException(f"the API key was refused: {message}")
        return response.json()["access_token"]

    def _current(self, refused: str | None = None) -> str:
        with self.lock:
            if self.token is None or self.token == refused:
                self.token = self._exchange()
            return self.token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self._current(refused=token)}"
            yield request


def api_auth(url: str, credentials: str | None) -> httpx.Auth | None:
    """The auth for `--credentials` (None: anonymous requests)."""
    return ApiKeyAuth(url, Path(credentials)) if credentials else None
