"""The earn engine's domain events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jifen.outbox.events import DomainEvent


@dataclass(frozen=True)
class EarnEventsRecorded(DomainEvent):
    """Events the earn engine kept in one transaction, in order: one row in the log per
    batch. Each is a dict: id (ours), kind, event_id (the merchant's), member_id,
    occurred_at, amount (minor units, when the event had one) and points (what its
    awards gave, pending ones included)."""

    type = "earn.events_recorded"
    aggregate = "tenant"
    aggregate_field = "tenant_id"

    tenant_id: uuid.UUID
    events: list[dict[str, Any]]
