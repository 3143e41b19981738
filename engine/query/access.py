"""What one exploration request may see: guppy's `accessibility`, on top of tiered access.

The projects a caller may read come from auth (engine/api/guppy.py's
`access`: the caller's guppy `read` grants; None: every project, an admin's):

- `accessibility: accessible` counts the readable projects' records,
  `unaccessible` the others', `all` every record;
- under TIER_ACCESS_LEVEL `private`, nothing unreadable shapes an answer:
  `all` counts what is readable and `unaccessible` nothing, as if there
  were no data beyond it (Gen3's guppy would still draw histogram bounds
  from it);
- otherwise an answer that spans unreadable records (`spans_unreadable`)
  shows of them what engine/auth/tiers.py allows: counts from the tier's
  limit up, public bucket keys only, and bounds and statistics only under
  `libre`;
- rows (and downloads) only ever come from readable projects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from engine.auth.tiers import bucket_disclosed, hide_small_count, values_disclosed
from engine.config import Settings
from engine.query.facets import MISSING, Facet

Accessibility = Literal["accessible", "unaccessible", "all"]
ACCESSIBILITIES: tuple[Accessibility, ...] = ("accessible", "unaccessible", "all")


@dataclass(frozen=True)
class Access:
    accessible_projects: frozenset[str] | None = None
    level: str = "private"
    limit: int = 50

    @classmethod
    def from_settings(
        cls, settings: Settings, accessible_projects: frozenset[str] | None = None
    ) -> Access:
        return cls(accessible_projects, settings.tier_access_level, settings.tier_access_limit)

    def counted(self, accessibility: Accessibility) -> Accessibility:
        """The accessibility a count really gets: under `private`, `all` is what is readable."""
        return "accessible" if self.level == "private" and accessibility == "all" else accessibility

    def spans_unreadable(self, accessibility: Accessibility) -> bool:
        """Whether an answer may draw on records the caller cannot read: never under `private`."""
        return (
            self.accessible_projects is not None
            and self.level != "private"
            and accessibility != "accessible"
        )

    def shown(self, count: int, unreadable: int, accessibility: Accessibility) -> int:
        """`count`, `unreadable` of it from records the caller cannot read, as they may see it."""
        spans = self.spans_unreadable(accessibility)
        return hide_small_count(count, not spans, self.level, self.limit, unreadable)

    def shows_bucket(self, facet: Facet, key: Any, accessibility: Accessibility) -> bool:
        """Whether a histogram bucket (its key and its count) may be answered at all."""
        if not self.spans_unreadable(accessibility):
            return True
        public = key == MISSING or facet.kind == "boolean" or key in facet.enum
        return bucket_disclosed(facet.name, public, self.level)

    def shows_values(self, accessibility: Accessibility) -> bool:
        """Whether numbers drawn from the records (bounds, min, max, avg, sum) may be answered."""
        return not self.spans_unreadable(accessibility) or values_disclosed(self.level)
