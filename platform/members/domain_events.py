"""The members' domain events. Payloads carry ids, never personal data: the log is
read by subscribers and kept for days, and an erased member must stay erased."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from jifen.outbox.events import DomainEvent


@dataclass(frozen=True)
class MemberRegistered(DomainEvent):
    """A merchant registered a member under its own id."""

    type = "member.registered"
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID
    external_id: str


@dataclass(frozen=True)
class TierChanged(DomainEvent):
    """A member moved from tier `before` to tier `after` (codes; None is below every
    tier)."""

    type = "member.tier_changed"
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID
    before: str | None
    after: str | None
