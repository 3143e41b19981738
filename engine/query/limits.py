"""The guards every query runs under, read from the settings.

A GraphQL request can ask for a lot with a few characters (nested lists,
`first: 0`, aliases), so each request is held to a depth of nested lists, a
number of fields selected, a number of rows in its answer, and a time; each
refusal names the setting to change.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import Settings
from engine.query.errors import QueryError
from engine.query.tree import And, HasEdge, Not, Or, Predicate, Reach, Search

# What one argument's conditions may hold: every condition is text in the statement, and
# ArcadeDB's Cypher parser refuses a chain of 200 conditions and 100 nested EXISTS.
MAX_FILTER_TERMS = 100
MAX_FILTER_DEPTH = 16  # filters inside filters (AND, OR, nested), in guppy's language


@dataclass(frozen=True)
class Limits:
    max_depth: int = 10
    max_rows: int = 100_000
    timeout_s: float = 20.0
    # Below ArcadeDB's limit of about 1,000 `CALL` blocks in a row: one per root field.
    max_fields: int = 500

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.graphql_max_depth,
            settings.graphql_max_rows,
            settings.graphql_timeout_s,
            settings.graphql_max_fields,
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


def bounded(predicate: Predicate, argument: str) -> Predicate:
    """`predicate`, unless it holds more than MAX_FILTER_TERMS conditions (a QueryError)."""
    terms, pending = 0, [predicate]
    while pending:
        item = pending.pop()
        if isinstance(item, And | Or):
            pending.extend(item.predicates)
        elif isinstance(item, Not):
            pending.append(item.predicate)
        else:
            terms += len(item.props) if isinstance(item, Search) else 1
            if isinstance(item, HasEdge | Reach):
                pending.append(item.where)
    if terms > MAX_FILTER_TERMS:
        raise QueryError(
            f"{argument}: {terms} conditions, more than the limit of {MAX_FILTER_TERMS} "
            "for one argument"
        )
    return predicate
