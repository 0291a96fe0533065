"""Domain events and a subscriber for the outbox's tests: a counted event per member,
and a database subscriber that applies each once (a point per event) and notes the
order it saw them in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from jifen.audit import SYSTEM
from jifen.ledger import service as ledger
from jifen.outbox import sql
from jifen.outbox.events import BULK, DomainEvent
from jifen.outbox.relay import Delivered, Subscriber


@dataclass(frozen=True)
class Counted(DomainEvent):
    type = "test.counted"
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID
    n: int
    at: datetime | None = None


@dataclass(frozen=True)
class Bulky(DomainEvent):
    type = "test.bulky"
    aggregate = "member"
    aggregate_field = "member_id"
    lane = BULK

    member_id: uuid.UUID
    n: int


@dataclass(frozen=True)
class Unwanted(DomainEvent):
    type = "test.unwanted"
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID


def applier(seen: list[tuple[uuid.UUID, int]] | None = None) -> Subscriber:
    """A database subscriber of `Counted`: it credits the member one point per event,
    with its receipt in the same transaction, so a redelivered event is applied once;
    `seen` gets (member, n) in the order applied."""

    def deliver(services, delivered: Delivered) -> None:
        event = delivered.event
        with services.db.transaction(tenant_id=delivered.tenant_id) as session:
            now = services.clock.now()
            if not sql.add_receipt(session.connection(), "applier", delivered.id, {}, now):
                return
            ledger.earn(session, event.member_id, 1, actor=SYSTEM, clock=services.clock)
        if seen is not None:
            seen.append((event.member_id, event.n))

    return Subscriber("applier", (Counted,), deliver)
