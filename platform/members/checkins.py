"""A member's check-ins as their calendar shows them: the days of a month they checked
in, each with the day of the streak it made, and their latest check-in.

The streak is the earn engine's (jifen.rules.kinds.checkin counts it, forgiving what its
rule forgives, across months and years): this module only reads what it stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen.members.models import Checkin


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
