"""Tiered access, as guppy has it: how much a caller may learn about data they cannot read.

- `private`: nothing; data the caller cannot read is left out of every count.
- `regular`: aggregations may span it, but a count from it below
  `TIER_ACCESS_LIMIT` is hidden (-1), so small groups cannot be singled out.
- `libre`: counts are shown whatever their source; rows still are not.
"""

from __future__ import annotations

HIDDEN = -1


def hide_small_count(count: int, accessible: bool, level: str, limit: int) -> int:
    """`count` as the caller may see it: itself, or -1 when it must stay hidden."""
    if accessible or level == "libre":
        return count
    if level == "regular" and count >= limit:
        return count
    return HIDDEN
