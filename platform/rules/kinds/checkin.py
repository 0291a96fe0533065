"""`checkin`: a member's daily check-in, once per local day, remembered with the day of
the streak it made.

The streak is counted in one place, the check-in rule, since its parameters (missed days
forgiven, a cycle) define it: the rule reports it in its awards' `data["streak"]` and
that is what is stored. With no check-in rule paying, the streak is counted the plain
way, by the same `next_streak`, so that a rule added later continues it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from jifen.members import Checkin as CheckinRow
from jifen.rules import sql
from jifen.rules.contract import next_streak
from jifen.rules.errors import AlreadyCheckedIn
from jifen.rules.events import CheckedEvent
from jifen.rules.kinds.base import Kind

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from jifen.rules.batch import Batch
    from jifen.rules.contract import EventView
    from jifen.rules.engine import Evaluation
    from jifen.rules.history import History


def streak_made(evaluation: Evaluation, history: History, member_id: uuid.UUID, day: date) -> int:
    """The day of the streak the member's check-in on `day` made (see the module's
    docstring); remembered in `history` for the check-ins after it."""
    reported = [a.data["streak"] for a in evaluation.awards if "streak" in a.data]
    streak = max(reported) if reported else next_streak(history.last_checkin(member_id, day), day)
    history.add_checkin(member_id, day, streak)
    return streak


class Checkin(Kind):
    def __init__(self, batch: Batch) -> None:
        super().__init__(batch)
        self.rows: list[dict[str, Any]] = []

    def _day(self, item: CheckedEvent) -> date:
        return item.occurred_at.astimezone(self.batch.policy.zone).date()

    @classmethod
    def remember(
        cls, history: History, evaluation: Evaluation, event: EventView, zone: ZoneInfo
    ) -> None:
        streak_made(evaluation, history, event.member_id, event.occurred_at.astimezone(zone).date())

    def check(self, item: CheckedEvent) -> None:
        assert item.member_id is not None
        day = self._day(item)
        if self.batch.history.checked_in(item.member_id, day):
            raise AlreadyCheckedIn(details={"day": day.isoformat()})

    def recorded(self, item: CheckedEvent, evaluation: Evaluation, result: dict[str, Any]) -> None:
        assert item.member_id is not None
        day = self._day(item)
        streak = streak_made(evaluation, self.batch.history, item.member_id, day)
        self.rows.append(
            {
                "tenant_id": self.batch.tenant_id,
                "member_id": item.member_id,
                "day": day,
                "streak": streak,
                "created_at": self.batch.now,
            }
        )

    def flush(self, connection: Connection) -> None:
        sql.insert_rows(connection, CheckinRow.__table__, self.rows)
        self.rows = []
