"""The guards every query runs under, read from the settings.

A GraphQL request can ask for a lot with a few characters (nested lists,
`first: 0`), so each request is held to a depth of nested lists, a number of
rows in its answer, and a time; each refusal names the setting to change.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import Settings
from engine.query.errors import QueryError


@dataclass(frozen=True)
class Limits:
    max_depth: int = 10
    max_rows: int = 100_000
    timeout_s: float = 20.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.graphql_max_depth, settings.graphql_max_rows, settings.graphql_timeout_s
        )

    def check_depth(self, depth: int) -> None:
        if depth > self.max_depth:
            raise QueryError(
                f"the query nests lists {depth} deep, more than the limit of {self.max_depth} "
                "(GRAPHQL_MAX_DEPTH)"
            )

    def too_many_rows(self) -> QueryError:
        return QueryError(
            f"the answer would hold more than {self.max_rows} rows, the limit "
            "(GRAPHQL_MAX_ROWS); ask for fewer with `first` and `offset`"
        )

    def timed_out(self) -> QueryError:
        return QueryError(
            f"the query took longer than {self.timeout_s:g} s, the limit (GRAPHQL_TIMEOUT_S); "
            "ask for less: add `first`, remove path filters such as `with_path_to`, or nest fewer lists"
        )
