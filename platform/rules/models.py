"""The earn engine's tables: a tenant's rule instances and their versions, the events it
received and the awards each event got."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jifen.db import Base, TenantScoped
from jifen.types import ID, Json, UTCDateTime

RULE_STATUSES = ("draft", "active", "disabled", "archived")


class EarnRule(TenantScoped, Base):
    """A tenant's instance of a rule type: its parameters, priority, audience and window."""

    __tablename__ = "earn_rules"
    __table_args__ = (Index("ix_earn_rules_status", "tenant_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(Json)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: every member. Otherwise {"tiers": [...]}, {"tags": [...]} or
    # {"share": percent, "salt": text}: a stable random share of members.
    audience: Mapped[dict[str, Any] | None] = mapped_column(Json)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EarnRuleVersion(TenantScoped, Base):
    """Every state a rule instance has had, with who made it."""

    __tablename__ = "earn_rule_versions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "rule_id"], ["earn_rules.tenant_id", "earn_rules.id"], ondelete="CASCADE"
        ),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(Json)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventKind(TenantScoped, Base):
    """A kind of event a tenant defines beyond the built-in ones."""

    __tablename__ = "event_kinds"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Event(TenantScoped, Base):
    """An event the engine received, unique by the merchant's own id per kind; its stored
    result answers a repeat."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "event_id", name="uq_events_event_id"),
        Index("ix_events_member", "tenant_id", "member_id", "occurred_at"),
        Index("ix_events_occurred", "tenant_id", "occurred_at"),
        Index("ix_events_order", "tenant_id", "order_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    # A purchase's own id, or the purchase a refund returns money on.
    order_id: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(Json)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # Money the event moved (a purchase's amount; a refund's, negative) and points it
    # gave (negative for a refund's clawback), for tiers and reports.
    amount: Mapped[int | None] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any]] = mapped_column(Json)


class EventAward(TenantScoped, Base):
    """One step of an event's breakdown: a rule's award to one member."""

    __tablename__ = "event_awards"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "event_id"], ["events.tenant_id", "events.id"], ondelete="CASCADE"
        ),
        Index("ix_event_awards_member", "tenant_id", "member_id", "occurred_at"),
        Index("ix_event_awards_rule", "tenant_id", "rule_id", "occurred_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    rule_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    rule_type: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    # The A/B arm of a rule shown to a share of members ("test"), None otherwise.
    arm: Mapped[str | None] = mapped_column(String(8))
    # For a cap: the rule ids it limits, sorted and comma-joined ("" for all rules).
    cap_scope: Mapped[str | None] = mapped_column(String(2000))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
