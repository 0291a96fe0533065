"""A member's check-ins as their calendar shows them: the days of a month they checked
in, each with the day of the streak it made, and their latest check-in.

The streak is the earn engine's (jifen.rules.kinds.checkin counts it, forgiving what its
rule forgives, across months and years): this module only reads what it stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from jifen.db import tenant_of
from jifen.members.models import Checkin

_CHECKINS = Checkin.__table__


_STREAK = select(_CHECKINS.c.streak).where(
    _CHECKINS.c.tenant_id == bindparam("tenant_id"),
    _CHECKINS.c.member_id == bindparam("member_id"),
    _CHECKINS.c.day == bindparam("day"),
)


def streak_on(session: Session, member_id: uuid.UUID, day: date) -> int | None:
    """The day of the streak the member's check-in on `day` made (None: no check-in)."""
    params = {"tenant_id": tenant_of(session), "member_id": member_id, "day": day}
    streak: int | None = session.connection().execute(_STREAK, params).scalar()
    return streak


@dataclass(frozen=True)
class Month:
    first: date  # the month's first day
    streaks: dict[date, int]  # each day the member checked in: the day of the streak
    latest: Checkin | None  # their latest check-in, in this month or before


def month_of(session: Session, member_id: uuid.UUID, first: date) -> Month:
    """The member's check-ins in the month starting `first`, and their latest."""
    after = (first + timedelta(days=31)).replace(day=1)
    rows = session.execute(
        select(Checkin.day, Checkin.streak).where(
            Checkin.member_id == member_id, Checkin.day >= first, Checkin.day < after
        )
    )
    latest = session.scalars(
        select(Checkin).where(Checkin.member_id == member_id).order_by(Checkin.day.desc()).limit(1)
    ).first()
    return Month(first, {day: streak for day, streak in rows}, latest)
