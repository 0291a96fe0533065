"""Core statements for the members hot path; each takes its tenant explicitly."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import AuditEvent
from jifen.db import writing_for
from jifen.driver import DriverStatement
from jifen.members.models import Member, MemberDay, MemberTag, Tier

_MEMBERS = Member.__table__
_TAGS = MemberTag.__table__
_TIERS = Tier.__table__
_AUDIT = AuditEvent.__table__
_INSERT_TAG = insert(_TAGS)


def _bound(table: Any, prefix: str, *, but: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        column.key: bindparam(f"{prefix}{column.key}", type_=column.type)
        for column in table.columns
        if column.key not in but
    }


# A new member starts in the highest tier whose threshold is 0, since nothing measured
# is already enough for it (none: no such tier). Chosen inside the INSERT, so that
# registration, the API's busiest write, spends no statement on it.
_STARTING_TIER = (
    select(_TIERS.c.code)
    .where(_TIERS.c.tenant_id == bindparam("m_tenant_id"), _TIERS.c.threshold <= 0)
    .order_by(_TIERS.c.rank.desc())
    .limit(1)
    .scalar_subquery()
)
_NEW_MEMBER = _bound(_MEMBERS, "m_", but=("tier", "tier_since")) | {
    "tier": _STARTING_TIER,
    "tier_since": case((_STARTING_TIER.is_not(None), bindparam("m_created_at"))),
}
# Through the driver (`jifen.driver`), as are the audit row and the event log's: this
# is the API's busiest write, and SQLAlchemy's per-statement work costs more than it.
_INSERT_MEMBER = DriverStatement(
    insert(_MEMBERS).values(_NEW_MEMBER).returning(_MEMBERS.c.tier), returns=True
)

# PostgreSQL: the member and its audit event in one statement (a data-modifying CTE),
# which spares registration a round trip; the audit's `after` gains the tier chosen.
_inserted = insert(_MEMBERS).values(_NEW_MEMBER).returning(_MEMBERS.c.tier).cte("new_member")
_INSERT_MEMBER_AUDITED = DriverStatement(
    insert(_AUDIT)
    .values(
        _bound(_AUDIT, "a_", but=("after",))
        | {
            "after": bindparam("a_after", type_=_AUDIT.c.after.type).op("||")(
                func.jsonb_build_object("tier", select(_inserted.c.tier).scalar_subquery())
            )
        }
    )
    .add_cte(_inserted)
    .returning(select(_inserted.c.tier).scalar_subquery()),
    returns=True,
)


def insert_member(
    session: Session,
    tenant_id: uuid.UUID,
    member: dict[str, Any],
    tags: list[str],
    audit_event: dict[str, Any],
) -> str | None:
    """Insert a new member (a row of `members` without its tenant and tier), its tags
    and the audit event of its registration, whose `after` gains the member's starting
    tier: the tier's code, returned. Core INSERTs, since registration is the API's
    busiest write and the ORM's unit of work would double its cost."""
    connection = writing_for(session, tenant_id)
    row = {f"m_{k}": v for k, v in member.items()} | {"m_tenant_id": tenant_id}
    tier: str | None
    if connection.dialect.name == "postgresql":
        after = {f"a_{k}": v for k, v in audit_event.items()}
        (tier,) = _INSERT_MEMBER_AUDITED.returned(connection, row | after)
    else:
        (tier,) = _INSERT_MEMBER.returned(connection, row)
        audit.write(connection, {**audit_event, "after": audit_event["after"] | {"tier": tier}})
    if tags:
        connection.execute(
            _INSERT_TAG,
            [{"tenant_id": tenant_id, "member_id": member["id"], "tag": tag} for tag in tags],
        )
    return tier


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
