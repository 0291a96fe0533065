"""Members as rules see them (`MemberProfile`), from rows of `sql.members`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from jifen.members import TierView
from jifen.rules import sql
from jifen.rules.contract import MemberProfile


def profiles(rows: list[Any], ladder: Mapping[str, TierView]) -> dict[uuid.UUID, MemberProfile]:
    """Each member's profile, with their tier as the tenant's `ladder` names it."""
    found = {}
    for row in rows:
        tier = ladder.get(row.tier) if row.tier else None
        found[row.id] = MemberProfile(
            id=row.id,
            external_id=row.external_id,
            tier=row.tier,
            tier_name=tier.name if tier else None,
            tier_multiplier=tier.earn_multiplier if tier else None,
            tags=frozenset(row.tags.split(sql.TAG_SEPARATOR) if row.tags else ()),
            birthday=row.birthday,
            created_at=row.created_at,
        )
    return found
