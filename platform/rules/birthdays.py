"""The birthday job: each tenant-local day, a `birthday` event for every member whose
birthday it is, and on the first of a month one for every member born in that month.

Which of these pays is the birthday rule's choice (`when`: day or month); the rule pays
once a year. Members born on 29 February have their day on the 28th in other years.
Event ids name the member and the date, so running the job twice changes nothing.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, extract, or_, select

from jifen.audit import Actor
from jifen.db import cross_tenant
from jifen.ledger import load_policy
from jifen.members import Member
from jifen.rules.events import EventIn
from jifen.rules.models import EarnRule
from jifen.rules.recording import record_batch

if TYPE_CHECKING:
    from jifen.rules.registry import EarnCollaborators

JOB = Actor(kind="job", id="birthdays")
BATCH = 1000


def _born_today(today: date) -> ColumnElement[bool]:
    month, day = extract("month", Member.birthday), extract("day", Member.birthday)
    born = and_(month == today.month, day == today.day)
    if today.month == 2 and today.day == 28 and not calendar.isleap(today.year):
        born = or_(born, and_(month == 2, day == 29))
    return born


def _events(member_ids: list[uuid.UUID], event_key: str) -> list[EventIn]:
    return [
        EventIn(event_id=f"{event_key}:{member_id}", kind="birthday", member_id=member_id)
        for member_id in member_ids
    ]


def emit_tenant(services: EarnCollaborators, tenant_id: uuid.UUID) -> int:
    """Emit today's birthday events of one tenant; returns how many were new."""
    db = services.db
    with db.session(tenant_id=tenant_id) as session:
        zone = load_policy(session.connection(), tenant_id).zone
        today = services.clock.now().astimezone(zone).date()
        wanted = [(f"birthday:{today.isoformat()}", _born_today(today))]
        if today.day == 1:
            wanted.append(
                (f"birthday-month:{today:%Y-%m}", extract("month", Member.birthday) == today.month)
            )
        batches = []
        for key, condition in wanted:
            ids = list(
                session.scalars(
                    select(Member.id)
                    .where(Member.status == "active", Member.birthday.is_not(None), condition)
                    .order_by(Member.id)
                )
            )
            batches += [
                _events(ids[start : start + BATCH], key) for start in range(0, len(ids), BATCH)
            ]
    new = 0
    for events in batches:
        with db.transaction(tenant_id=tenant_id) as session:
            outcomes = record_batch(
                session,
                events,
                rule_types=services.rule_types,
                actor=JOB,
                clock=services.clock,
                emitted=True,
            )
        new += sum(1 for o in outcomes if o.error is None and not o.replayed)
    return new


def emit(services: EarnCollaborators) -> int:
    """Periodic job: birthday events for every tenant with an active birthday rule."""
    with services.db.session() as session, cross_tenant(session, "birthday events"):
        tenants = sorted(
            set(
                session.scalars(
                    select(EarnRule.tenant_id).where(
                        EarnRule.type == "birthday", EarnRule.status == "active"
                    )
                )
            )
        )
    return sum(emit_tenant(services, tenant_id) for tenant_id in tenants)
