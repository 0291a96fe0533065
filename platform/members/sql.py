"""Core statements for the members hot path; each takes its tenant explicitly."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import AuditEvent
from jifen.db import writing_for
from jifen.members.models import Member, MemberDay, MemberTag

_MEMBERS = Member.__table__
_TAGS = MemberTag.__table__
_INSERT_MEMBER = insert(_MEMBERS)
_INSERT_TAG = insert(_TAGS)


def _bound(table: Any, prefix: str) -> dict[str, Any]:
    return {column.key: bindparam(f"{prefix}{column.key}") for column in table.columns}


# PostgreSQL: the member and its audit event in one statement (a data-modifying CTE),
# which spares registration, the API's busiest write, a round trip.
_INSERT_MEMBER_AUDITED = (
    insert(AuditEvent.__table__)
    .values(_bound(AuditEvent.__table__, "a_"))
    .add_cte(insert(_MEMBERS).values(_bound(_MEMBERS, "m_")).cte("new_member"))
)


def insert_member(
    session: Session,
    tenant_id: uuid.UUID,
    member: dict[str, Any],
    tags: list[str],
    audit_event: dict[str, Any],
) -> None:
    """Insert a new member (a row of `members` without its tenant), its tags and the
    audit event of its registration: Core INSERTs, since registration is the API's
    busiest write and the ORM's unit of work would double its cost."""
    connection = writing_for(session, tenant_id)
    row = {"tenant_id": tenant_id, **member}
    if connection.dialect.name == "postgresql":
        connection.execute(
            _INSERT_MEMBER_AUDITED,
            {f"m_{k}": v for k, v in row.items()} | {f"a_{k}": v for k, v in audit_event.items()},
        )
    else:
        connection.execute(_INSERT_MEMBER, row)
        connection.execute(audit.INSERT, audit_event)
    if tags:
        connection.execute(
            _INSERT_TAG,
            [{"tenant_id": tenant_id, "member_id": member["id"], "tag": tag} for tag in tags],
        )


_DAYS = MemberDay.__table__


def _add_to_day(dialect: Any) -> Any:
    statement = dialect.insert(_DAYS)
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", "member_id", "day"],
        set_={
            "points": _DAYS.c.points + statement.excluded.points,
            "spend": _DAYS.c.spend + statement.excluded.spend,
        },
    )


_ADD_TO_DAY = {"sqlite": _add_to_day(sqlite), "postgresql": _add_to_day(postgresql)}


def add_to_days(
    connection: Connection,
    tenant_id: uuid.UUID,
    totals: Mapping[tuple[uuid.UUID, date], tuple[int, int]],
) -> None:
    """Add (points, spend) to members' local days, by (member id, day)."""
    if not totals:
        return
    connection.execute(
        _ADD_TO_DAY[connection.dialect.name],
        [
            {"tenant_id": tenant_id, "member_id": m, "day": d, "points": p, "spend": s}
            for (m, d), (p, s) in sorted(totals.items())
        ],
    )
