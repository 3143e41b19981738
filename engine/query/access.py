"""What one exploration request may see: guppy's `accessibility`, on top of tiered access.

The projects a caller may read come from auth (None: every project, which
is what exploration assumes until a route passes a caller's projects):

- `accessibility: accessible` counts the readable projects' records,
  `unaccessible` the others', `all` every record;
- under TIER_ACCESS_LEVEL `private`, `all` means the readable records:
  the rest is left out; otherwise counts that span unreadable records are
  shown as engine/auth/tiers.py decides (-1 when too small, always under
  `private`);
- rows (and downloads) only ever come from readable projects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.auth.tiers import hide_small_count
from engine.config import Settings

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

    def shown(self, count: int, accessibility: Accessibility) -> int:
        """`count` as the caller may see it, given which records it was drawn from."""
        readable_only = self.accessible_projects is None or accessibility == "accessible"
        return hide_small_count(count, readable_only, self.level, self.limit)
