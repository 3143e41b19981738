"""Two locally minted brokers for the passport tests: `trusted` (in PASSPORT_ISSUERS) and `rogue`.

Each has its own key, made in the test, and serves its JWKS (and OIDC
discovery) from a local HTTP server, so Commons fetches keys as it would
from a real broker.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from engine.auth.passports.mint import Broker
from engine.auth.passports.validation import CONTROLLED_ACCESS
from engine.dictionary.compile import CompiledDictionary
from engine.graph.store import GraphStore
from engine.objects.store import ObjectStore
from tests.auth_world import World, build_world

RAS_TYPE = "https://ras.nih.gov/visas/v1.1"
SUB = "researcher-1"


@contextmanager
def brokers() -> Iterator[tuple[Broker, Broker]]:
    """(trusted, rogue), both serving their keys meanwhile."""
    with Broker().serving() as trusted, Broker().serving() as rogue:
        yield trusted, rogue


def issuers_setting(trusted: Broker, **overrides: Any) -> str:
    """PASSPORT_ISSUERS trusting `trusted` for ControlledAccessGrants and RAS visas."""
    entry = trusted.issuer_entry(visa_types=[CONTROLLED_ACCESS, RAS_TYPE], **overrides)
    return json.dumps([entry])


def passport_world(
    graph: GraphStore,
    objects: ObjectStore,
    compiled: CompiledDictionary,
    data_dir: Path,
    trusted: Broker,
) -> World:
    """auth_world's World reading index records by `authz`, taking passports from `trusted`."""
    return build_world(
        graph,
        objects,
        compiled,
        data_dir,
        index_read="authz",
        passport_issuers=issuers_setting(trusted),
    )


def exchanged(client: TestClient, passport: str) -> str:
    """A Commons access token for `passport`, from the exchange route."""
    answer = client.post("/user/ga4gh/passport/exchange", json={"passports": [passport]})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]
