"""A member merged into another (jifen.members.merging): the events recorded for them and
what each rule awarded them are the other member's, in the merge's transaction, so that
caps, limits and the event history count one person once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.db import reassign
from jifen.members import MergedIntoMember
from jifen.rules.models import Event, EventAward


def member_merged(
    _services: object,
    session: Session,
    event: MergedIntoMember,
    *,
    now: datetime,
    actor: Actor | None,
) -> None:
    """In the merge's transaction: the merged member's events and awards move."""
    for column in (Event.member_id, EventAward.member_id):
        reassign(session, column, event.member_id, event.into_id)
