"""The security suite's world: two projects, two writers, each a stranger to the other's data.

It is served with `INDEX_READ=authz`, where nothing of A1 (index records
included) is another's to see; tests of the default `public` mode serve the
same world with `TwoProjects.served(index_read="public")`.
"""

from __future__ import annotations

import pytest

from tests.security.two_projects import TwoProjects, build_two_projects


@pytest.fixture(scope="module")
def two_projects(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TwoProjects:
    return build_two_projects(
        graph_store,
        seaweedfs_store,
        compiled_default,
        tmp_path_factory.mktemp("data"),
        index_read="authz",
    )
