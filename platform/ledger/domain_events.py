"""The ledger's domain events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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


@dataclass(frozen=True)
class EntriesPosted(DomainEvent):
    """Ledger entries a transaction posted, in order: one event per transaction (a
    batch of 1,000 earnings is one row in the log, not 1,000). Each entry is a dict:
    id, kind, reference, memo, reverses_entry_id, created_at, actor_kind, actor_id,
    data, and changes (member_id, amount, running_total for each wallet touched)."""

    type = "ledger.entries_posted"
    aggregate = "tenant"
    aggregate_field = "tenant_id"

    tenant_id: uuid.UUID
    entries: list[dict[str, Any]]
