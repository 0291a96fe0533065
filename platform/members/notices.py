"""Which notices a member gets: their choice per kind of notice, with when and where
they made it (the latest here, every change in the audit log, so the merchant can show
what a member agreed to and when). A kind no one chose about takes its default."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.i18n import N_
from jifen.members.models import NoticeChoice

_CHOICES = NoticeChoice.__table__


@dataclass(frozen=True)
class Topic:
    name: str
    title: str  # a message id: what the member reads beside the switch
    default: bool  # before the member chooses: a service notice is on, anything else off


EXPIRY_REMINDERS = "points_expiring"
TOPICS = (Topic(EXPIRY_REMINDERS, N_("Reminders before my points expire"), default=True),)
_NAMES = {topic.name for topic in TOPICS}


def choices_of(session: Session, member_id: uuid.UUID) -> dict[str, bool]:
    """Whether the member gets each kind of notice, by topic."""
    rows = session.execute(
        select(NoticeChoice.topic, NoticeChoice.wanted).where(NoticeChoice.member_id == member_id)
    )
    chosen = {topic: wanted for topic, wanted in rows}
    return {topic.name: chosen.get(topic.name, topic.default) for topic in TOPICS}


def wants(connection: Connection, tenant_id: uuid.UUID, member_id: uuid.UUID, topic: str) -> bool:
    """Whether the member gets notices of this kind (for a notifier, on any connection)."""
    wanted = connection.execute(
        select(_CHOICES.c.wanted).where(
            _CHOICES.c.tenant_id == tenant_id,
            _CHOICES.c.member_id == member_id,
            _CHOICES.c.topic == topic,
        )
    ).scalar()
    return next(t.default for t in TOPICS if t.name == topic) if wanted is None else bool(wanted)


def choose(
    session: Session,
    member_id: uuid.UUID,
    wanted: dict[str, bool],
    *,
    chosen_in: str,
    actor: Actor,
    clock: Clock,
) -> dict[str, bool]:
    """Record the member's choices (topics not named keep theirs); each change audited."""
    unknown = set(wanted) - _NAMES
    if unknown:
        raise ValueError(f"unknown notice topics: {sorted(unknown)}")
    before = choices_of(session, member_id)
    now = clock.now()
    tenant_id = tenant_of(session)
    for topic, value in wanted.items():
        if before[topic] == value:
            continue
        row = session.get(NoticeChoice, (tenant_id, member_id, topic))
        if row is None:
            row = NoticeChoice(tenant_id=tenant_id, member_id=member_id, topic=topic)
            session.add(row)
        row.wanted, row.chosen_at, row.chosen_in = value, now, chosen_in
        audit.record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="member.notices",
            object_type="member",
            object_id=member_id,
            before={topic: before[topic]},
            after={topic: value, "in": chosen_in},
            now=now,
        )
    session.flush()
    return choices_of(session, member_id)
