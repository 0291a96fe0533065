"""The ledger's domain events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from jifen.outbox.events import BULK, DomainEvent


@dataclass(frozen=True)
class PointsExpiring(DomainEvent):
    """A member's points will expire soon: `points` expire at `expires_at`, so
    `last_day` (the tenant's local day) is the last to spend them; sent `notice_days`
    ahead (the narrowest of the tenant's notice windows that holds the date)."""

    type = "member.points_expiring"
    aggregate = "member"
    aggregate_field = "member_id"
    lane = BULK

    member_id: uuid.UUID
    points: int
    expires_at: datetime
    last_day: date
    notice_days: int
