"""What one exploration request may see: guppy's `accessibility`, on top of tiered access.

The projects a caller may read come from auth (engine/api/guppy.py's
`access`: the caller's guppy `read` grants; None: every project, an admin's):

- `accessibility: accessible` counts the readable projects' records,
  `unaccessible` the others', `all` every record;
- under TIER_ACCESS_LEVEL `private`, `all` means the readable records:
  the rest is left out; otherwise counts that span unreadable records are
  shown as engine/auth/tiers.py decides (-1 when too small, always under
  `private`);
- rows (and downloads) only ever come from readable projects;
- a histogram bucket drawn from unreadable records is shown only when
  engine/auth/tiers.py's `bucket_disclosed` allows (never for ids and
  submitter_ids; not for a hidden count, unless its key is public).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from engine.auth.tiers import bucket_disclosed, hide_small_count
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

    def _readable_only(self, accessibility: Accessibility) -> bool:
        return self.accessible_projects is None or accessibility == "accessible"

    def shown(self, count: int, accessibility: Accessibility) -> int:
        """`count` as the caller may see it, given which records it was drawn from."""
        return hide_small_count(count, self._readable_only(accessibility), self.level, self.limit)

    def shows_bucket(
        self, facet: Facet, key: Any, shown: int, accessibility: Accessibility
    ) -> bool:
        """Whether a histogram bucket (its key, and its count as `shown`) may be answered at all."""
        if self._readable_only(accessibility):
            return True
        public = key == MISSING or facet.kind == "boolean" or key in facet.enum
        return bucket_disclosed(facet.name, shown, public)
