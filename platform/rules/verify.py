"""The earn engine's derived rows recomputed (run by `flask jifen ledger verify`): members'
daily totals (`member_days`) must be exactly what their awards and events add up to, per
member and local day, since tiers are measured by them."""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from jifen.members import MemberDay
from jifen.rules.models import Event, EventAward
from jifen.tenants import Tenant

_DAYS, _EVENTS, _AWARDS = MemberDay.__table__, Event.__table__, EventAward.__table__


def daily_totals(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    """The first member day whose stored totals differ from its awards and events, or
    None."""
    zone = ZoneInfo(
        connection.execute(select(Tenant.timezone).where(Tenant.id == tenant_id)).scalar_one()
    )
    expected: dict[tuple[uuid.UUID, date], list[int]] = {}
    for table, column, slot in ((_AWARDS, _AWARDS.c.points, 0), (_EVENTS, _EVENTS.c.amount, 1)):
        rows = connection.execute(
            select(table.c.member_id, table.c.occurred_at, column).where(
                table.c.tenant_id == tenant_id, column.is_not(None), column != 0
            )
        )
        for member_id, occurred_at, value in rows:
            key = (member_id, occurred_at.astimezone(zone).date())
            expected.setdefault(key, [0, 0])[slot] += value
    stored = {
        (row.member_id, row.day): [row.points, row.spend]
        for row in connection.execute(
            select(_DAYS.c.member_id, _DAYS.c.day, _DAYS.c.points, _DAYS.c.spend).where(
                _DAYS.c.tenant_id == tenant_id
            )
        )
    }
    for key in sorted(expected.keys() | stored.keys()):
        # A day whose events cancel out may be stored as zeros, or not at all.
        want, have = expected.get(key, [0, 0]), stored.get(key, [0, 0])
        if want != have:
            member_id, day = key
            return (
                f"member {member_id} on {day}: stored points {have[0]} and spend {have[1]},"
                f" awards and events give {want[0]} and {want[1]}"
            )
    return None
