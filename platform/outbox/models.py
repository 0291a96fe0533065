"""The event log and the relay's bookkeeping.

The log is the platform's own (global) table: it holds every tenant's events and the
platform-scoped ones (no tenant), read by one relay across tenants. On PostgreSQL a row
policy still keeps a tenant's session to its own events.

- `outbox_events`: one row a domain event, appended by the transaction that caused it.
  `seq` orders inserts; `position` is given by the relay's sequencer, per lane, in the
  order events became visible, so a cursor over positions never skips an event whose
  transaction committed late.
- `relay_lanes`: a lane's last given position (the sequencer locks this row).
- `relay_cursors`: how far each subscriber has read a lane, and its lease (so two relay
  workers never deliver one subscriber's events at once).
- `relay_parked`: events a cursor has passed that the subscriber has not had yet: one
  that failed (with its attempts and when it is retried: `retry_at`), or one waiting
  behind a failed event of its aggregate (`retry_at` empty).
- `relay_receipts`: what a subscriber has applied or sent, by event id, so a redelivered
  event changes nothing twice.
- `relay_dead_letters`: events a subscriber gave up on, kept for replay.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jifen.db import Base
from jifen.types import ID, Json, UTCDateTime

# SQLite gives a rowid alias (and so an autoincrementing key) only to INTEGER PRIMARY KEY.
Sequence = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        # Only sequenced events: an append adds no entry here (one index fewer per write).
        Index(
            "ix_outbox_events_position",
            "lane",
            "position",
            unique=True,
            sqlite_where=text("position IS NOT NULL"),
            postgresql_where=text("position IS NOT NULL"),
        ),
        Index(
            "ix_outbox_events_unsequenced",
            "lane",
            "seq",
            sqlite_where=text("position IS NULL"),
            postgresql_where=text("position IS NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(ID, unique=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ID, ForeignKey("tenants.id"))
    lane: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(SmallInteger)
    aggregate: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[uuid.UUID] = mapped_column(ID)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    position: Mapped[int | None] = mapped_column(BigInteger)


class RelayLane(Base):
    __tablename__ = "relay_lanes"

    lane: Mapped[str] = mapped_column(String(16), primary_key=True)
    head: Mapped[int] = mapped_column(BigInteger, default=0)


class RelayCursor(Base):
    __tablename__ = "relay_cursors"

    subscriber: Mapped[str] = mapped_column(String(64), primary_key=True)
    lane: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RelayParked(Base):
    __tablename__ = "relay_parked"

    subscriber: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RelayReceipt(Base):
    __tablename__ = "relay_receipts"

    subscriber: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    outcome: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RelayDeadLetter(Base):
    __tablename__ = "relay_dead_letters"

    subscriber: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
