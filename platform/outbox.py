"""The outbox: messages that must not be lost, written in the transaction that causes
them and relayed afterwards (by the notifier and webhook jobs of later modules).

Each message has a key unique within its tenant, so a job that runs twice (a repeated
reminder round) writes it once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from jifen.db import Base, TenantScoped
from jifen.types import ID, Json, UTCDateTime


class OutboxMessage(TenantScoped, Base):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    member_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def add_messages(connection: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert messages (rows of `outbox` with their tenant_id), skipping keys already
    there. Returns how many were new."""
    if not rows:
        return 0
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = OutboxMessage.__table__
    statement = dialect.insert(table).on_conflict_do_nothing().returning(table.c.id)
    return len(connection.execute(statement, rows).all())
