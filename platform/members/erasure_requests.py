"""A member asks, from the mall, to be erased (PIPL art. 47, GDPR art. 17). The merchant
keeps the relationship (orders to finish, a programme's terms), so the merchant erases
them (`service.erase_member`): the request is kept on the member, listed by the API
(`GET /members?erasure_requested=true`) and announced, with no personal data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.members.models import Member
from jifen.outbox.events import DomainEvent, emit


@dataclass(frozen=True)
class ErasureRequested(DomainEvent):
    """A member asked to be erased: erase them (POST /members/{id}/erasure)."""

    type = "member.erasure_requested"
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID


def ask(session: Session, member: Member, *, actor: Actor, clock: Clock) -> Member:
    """Record the member's request (once: asking again changes nothing) and announce it."""
    if member.erasure_requested_at is not None or member.status == "erased":
        return member
    now = clock.now()
    member.erasure_requested_at = now
    session.flush()
    audit.record(
        session,
        tenant_id=member.tenant_id,
        actor=actor,
        action="member.erasure_requested",
        object_type="member",
        object_id=member.id,
        now=now,
    )
    emit(session, ErasureRequested(member.id), now=now, tenant_id=member.tenant_id)
    return member
