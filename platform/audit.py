"""The audit log: who did what to which object, from where.

Every service that changes state takes an `Actor` and records what it did. Personal data
(phone, email) never enters the log: callers pass redacted before/after views.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jifen.db import Base, TenantScoped, writing_for
from jifen.driver import DriverStatement
from jifen.pagination import read_page
from jifen.types import ID, Json, UTCDateTime, new_id


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user, an API key, a member, a job or the system itself."""

    kind: str  # "user" | "api_key" | "member" | "job" | "system"
    id: str | None = None
    request_id: str | None = None
    ip: str | None = None


SYSTEM = Actor(kind="system")


class AuditEvent(TenantScoped, Base):
    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True, default=new_id)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json)
    request_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def event(
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime,
) -> dict[str, Any]:
    """An audit event as a row of `audit_events`, for a hot path that writes it together
    with its own rows (`members/sql.py`); everyone else calls `record`."""
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "before": before,
        "after": after,
        "request_id": actor.request_id,
        "ip": actor.ip,
        "created_at": now,
    }


def record(session: Session, **fields: Any) -> None:
    """Append an audit event (the arguments of `event`) to the caller's transaction."""
    row = event(**fields)
    write(writing_for(session, row["tenant_id"]), row)


# Through the driver (`jifen.driver`): every write request records an event, and the
# ORM's bookkeeping, or even SQLAlchemy's per-statement work, would cost a small request
# more than the INSERT itself.
_INSERT = DriverStatement(insert(AuditEvent.__table__))


def write(connection: Connection, row: dict[str, Any]) -> None:
    """Insert an audit event made by `event` on a connection writing for its tenant."""
    _INSERT.execute(connection, [row])


@dataclass(frozen=True)
class Search:
    """What to look for in a tenant's audit log; each part given narrows it. `action` is
    a prefix ("staff." finds every staff action); `since` is inclusive, `until` not."""

    actor_kind: str | None = None
    actor_id: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def search(
    session: Session, search: Search, *, limit: int, cursor: str | None
) -> tuple[list[AuditEvent], str | None]:
    """A page of the session's tenant's audit events matching `search`, newest first
    (ids are time-ordered), and the next page's cursor."""
    query = select(AuditEvent)
    if search.actor_kind is not None:
        query = query.where(AuditEvent.actor_kind == search.actor_kind)
    if search.actor_id is not None:
        query = query.where(AuditEvent.actor_id == search.actor_id)
    if search.action:
        query = query.where(AuditEvent.action.startswith(search.action, autoescape=True))
    if search.object_type:
        query = query.where(AuditEvent.object_type == search.object_type)
    if search.object_id:
        query = query.where(AuditEvent.object_id == search.object_id)
    if search.since is not None:
        query = query.where(AuditEvent.created_at >= search.since)
    if search.until is not None:
        query = query.where(AuditEvent.created_at < search.until)
    return read_page(
        session.scalars, query, [AuditEvent.id], [uuid.UUID], limit, cursor, descending=True
    )
