"""Tiered access, as guppy has it: how much a caller may learn about data they cannot read.

- `private`: nothing; data the caller cannot read is left out of every count.
- `regular`: aggregations may span it, but a count from it below
  `TIER_ACCESS_LIMIT` is hidden (-1), so small groups cannot be singled out.
- `libre`: counts are shown whatever their source; rows still are not.

A histogram bucket's key is a value of the data it counts, so it is a
disclosure of its own (`bucket_disclosed`): a key from data the caller
cannot read never names a record (ids, submitter_ids), and a hidden count
hides its key too, unless the key is public anyway.
"""

from __future__ import annotations

HIDDEN = -1
# Fields whose every value names one record: a histogram of them would be a list of rows.
IDENTIFIERS = frozenset({"id", "submitter_id"})


def hide_small_count(count: int, accessible: bool, level: str, limit: int) -> int:
    """`count` as the caller may see it: itself, or -1 when it must stay hidden."""
    if accessible or level == "libre":
        return count
    if level == "regular" and count >= limit:
        return count
    return HIDDEN


def bucket_disclosed(field: str, count: int, public_key: bool) -> bool:
    """May a bucket counted over data the caller cannot read be shown (with `count` as shown)?

    `public_key`: the key says nothing the dictionary does not (an enum's
    value, a boolean, "no data"). Any other key of a hidden count is left
    out: a rare value can single a record out as well as its id can.
    """
    if field in IDENTIFIERS:
        return False
    return public_key or count != HIDDEN
