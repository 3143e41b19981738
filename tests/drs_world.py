"""A world for DRS tests: controlled and open data, the callers who read them, uploaded objects.

`/programs/demo` is controlled: its DRS metadata is public in Commons'
default `INDEX_READ=public` mode (as Gen3's indexd serves it), its bytes are
for `rita` (reader) and `sam` (submitter); `olga` may read its index
records but not its bytes. `/programs/open` is open data: anonymous callers
may read its records and download its bytes, as a Gen3 commons opens a
program through `anonymous_policies`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from tests.auth_world import ok, project_tree, role

DEMO, OPEN = "/programs/demo/projects/omics", "/programs/open/projects/data"
SUBMITTER, READER, INDEXER = "sam@example.org", "rita@example.org", "olga@example.org"
DATA = b"bytes behind a DRS id\n" * 200
MD5 = hashlib.md5(DATA).hexdigest()

POLICY = {
    "authz": {
        "anonymous_policies": ["open_data"],
        "all_users_policies": [],
        "resources": [
            {
                "name": "programs",
                "subresources": [project_tree("demo", "omics"), project_tree("open", "data")],
            }
        ],
        "roles": [
            role("reader", [("indexd", "read"), ("fence", "read-storage")]),
            role("indexer", [("indexd", "read")]),
            role("submitter", [("indexd", "*"), ("fence", "*"), ("sheepdog", "*")]),
        ],
        "policies": [
            {"id": "open_data", "role_ids": ["reader"], "resource_paths": ["/programs/open"]},
            {"id": "demo_reader", "role_ids": ["reader"], "resource_paths": ["/programs/demo"]},
            {"id": "demo_indexer", "role_ids": ["indexer"], "resource_paths": ["/programs/demo"]},
            {
                "id": "submitter",
                "role_ids": ["reader", "submitter"],
                "resource_paths": ["/programs/demo", "/programs/open"],
            },
        ],
    },
    "users": {
        SUBMITTER: {"policies": ["submitter"]},
        READER: {"policies": ["demo_reader"]},
        INDEXER: {"policies": ["demo_indexer"]},
    },
}


def upload(client: Any, authz: str, file_name: str) -> str:
    """A file sent as the Gen3 SDK sends one (fence upload, signed PUT), settled by a read: its GUID."""
    ticket = ok(client.post("/user/data/upload", json={"file_name": file_name, "authz": [authz]}))
    assert httpx.put(ticket["url"], content=DATA).status_code == 200
    assert ok(client.get(f"/index/index/{ticket['guid']}"))["size"] == len(DATA)
    return ticket["guid"]
