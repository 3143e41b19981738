"""Tiered access, as guppy has it: how much a caller may learn about data they cannot read.

- `private`: nothing; data the caller cannot read shapes no answer, whatever
  `accessibility` asks (engine/query/access.py).
- `regular`: counts may span it, but a count below `TIER_ACCESS_LIMIT`, or
  whose part from unreadable data is (Gen3's rule), is hidden (-1), so small
  groups cannot be singled out. Nothing else of that data is shown: no
  bucket key but a public one (an enum's value, a boolean, "no data"), no
  histogram bounds, no min/max/avg/sum (`bucket_disclosed`,
  `values_disclosed`).
- `libre`: counts and charts are shown whatever their source (as Gen3's
  libre does), except that no histogram key names a record; rows still are
  never shown.
"""

from __future__ import annotations

HIDDEN = -1
# Fields whose every value names one record: a histogram of them would be a list of rows.
IDENTIFIERS = frozenset({"id", "submitter_id"})


def hide_small_count(
    count: int, accessible: bool, level: str, limit: int, unreadable: int = 0
) -> int:
    """`count` as the caller may see it: itself, or -1 when it must stay hidden.

    `accessible`: the count is drawn from readable data only. Otherwise
    `unreadable` is the part of it drawn from data the caller cannot read:
    were a small part shown inside a large count, the caller's own count
    subtracted from it would tell it.
    """
    if accessible or level == "libre":
        return count
    if level == "regular" and count >= limit and not 0 < unreadable < limit:
        return count
    return HIDDEN


def bucket_disclosed(field: str, public_key: bool, level: str) -> bool:
    """May a histogram bucket counted over data the caller cannot read be shown at all?

    `public_key`: the key says nothing the dictionary does not (an enum's
    value, a boolean, "no data"). Any other key, free text, a number, a
    date, a project_id, is a value of that data: a rare one singles a
    record out as well as its id does.
    """
    if field in IDENTIFIERS:
        return False
    return public_key or level == "libre"


def values_disclosed(level: str) -> bool:
    """May bounds and min/max/avg/sum of numbers spanning unreadable data be shown?

    Each is a value of that data: the bounds of one record's bucket are its value.
    """
    return level == "libre"
