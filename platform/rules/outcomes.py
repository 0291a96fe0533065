"""An event read back: what it earned when it was recorded, and what followed from it.

An event's answer is stored with it, so reading it back says what the caller was told.
Some awards come later, from other events it led to: a purchase's refunds take points
back, and a referred member's first purchase is recorded as the referral's next stage,
which pays the inviter. Those events are read with it, each with its own awards.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from jifen.db import tenant_of
from jifen.errors import NotFound
from jifen.rules import sql


def event_outcome(session: Session, event_id: uuid.UUID) -> dict[str, Any]:
    """The event's stored result and, under `later_events`, those of the events that
    followed from it (see `sql.events_following`)."""
    connection = session.connection()
    row = sql.event_by_id(connection, tenant_of(session), event_id)
    if row is None:
        raise NotFound("event", event_id)
    later = [event.result for event in sql.events_following(connection, row)]
    return {**row.result, "later_events": later}
