"""The security suite's world: two projects, two writers, each a stranger to the other's data."""

from __future__ import annotations

import pytest

from tests.security.two_projects import TwoProjects, build_two_projects


@pytest.fixture(scope="module")
def two_projects(graph_store, seaweedfs_store, compiled_default, tmp_path_factory) -> TwoProjects:
    return build_two_projects(
        graph_store, seaweedfs_store, compiled_default, tmp_path_factory.mktemp("data")
    )
