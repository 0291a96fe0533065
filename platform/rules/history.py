"""What members were given before an event: awards per period, rule counts, check-ins.

Read from the database, plus what events evaluated earlier in the same batch gave (not
yet written), so a batch counts its own awards against caps and limits. Periods are the
tenant's local calendar: a day, an ISO week from Monday, a month, a year.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

if TYPE_CHECKING:
    from jifen.rules.engine import Step

from jifen.rules import sql
from jifen.rules.contract import CheckinDay


def period_start(day: date, period: str) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown period {period!r}")


def period_end(start: date, period: str) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start.replace(year=start.year + 1)


def period_bounds(
    day: date, period: str | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """The UTC instants a local period containing `day` starts and ends (None: ever)."""
    if period is None:
        return None, None
    start = period_start(day, period)
    end = period_end(start, period)
    return datetime.combine(start, time(), zone), datetime.combine(end, time(), zone)


def cap_scope_key(rule_ids: list[uuid.UUID] | None) -> str:
    return ",".join(sorted(str(r) for r in rule_ids or ()))


@dataclass(frozen=True)
class AwardRow:
    """An award as history counts it."""

    event_id: uuid.UUID
    member_id: uuid.UUID
    rule_id: uuid.UUID | None
    points: int
    cap_scope: str | None
    occurred_at: datetime

    @classmethod
    def of(
        cls, step: Step, event_id: uuid.UUID, member_id: uuid.UUID, occurred_at: datetime
    ) -> AwardRow:
        """A step of an event's evaluation (`member_id`: the event's member)."""
        award = step.award
        return cls(
            event_id,
            award.member_id or member_id,
            award.rule.id if award.rule else None,
            award.points,
            step.cap_scope,
            occurred_at,
        )


def _within(at: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or at >= start) and (end is None or at < end)


class History:
    """Earlier awards and check-ins of a tenant's members. With no connection it knows
    only what it is told (a backtest's replay)."""

    def __init__(self, connection: Connection | None, tenant_id: uuid.UUID) -> None:
        self.connection = connection
        self.tenant_id = tenant_id
        self._added: dict[uuid.UUID, list[AwardRow]] = defaultdict(list)
        self._checkins: dict[uuid.UUID, dict[date, int]] = defaultdict(dict)
        # Stored awards read ahead for a batch: every award of these members since then.
        self._stored: dict[uuid.UUID, list[AwardRow]] = {}
        self._stored_since: datetime | None = None

    def preload(self, member_ids: list[uuid.UUID], since: datetime) -> None:
        """Read the members' awards since `since` in one go; questions about periods
        that start no earlier are then answered without a query."""
        if self.connection is None or not member_ids:
            return
        self._stored = {member_id: [] for member_id in member_ids}
        self._stored_since = since
        for row in sql.awards_since(self.connection, self.tenant_id, member_ids, since):
            self._stored[row.member_id].append(
                AwardRow(
                    row.event_id,
                    row.member_id,
                    row.rule_id,
                    row.points,
                    row.cap_scope,
                    row.occurred_at,
                )
            )

    def _preloaded(self, member_id: uuid.UUID, start: datetime | None) -> list[AwardRow] | None:
        since = self._stored_since
        if since is None or start is None or start < since:
            return None
        return self._stored.get(member_id)

    def granted(
        self,
        member_id: uuid.UUID,
        start: datetime | None,
        end: datetime | None,
        rule_ids: list[uuid.UUID] | None,
    ) -> int:
        scope = cap_scope_key(rule_ids) if rule_ids else None
        wanted = {r for r in rule_ids or ()}

        def counts(row: AwardRow) -> bool:
            return scope is None or row.rule_id in wanted or row.cap_scope == scope

        stored = self._preloaded(member_id, start)
        known = self._added[member_id] + (stored or [])
        total = sum(
            row.points for row in known if _within(row.occurred_at, start, end) and counts(row)
        )
        if stored is None and self.connection is not None:
            total += sql.granted(
                self.connection, self.tenant_id, member_id, start, end, rule_ids, scope
            )
        return total

    def times(
        self,
        member_id: uuid.UUID,
        rule_id: uuid.UUID,
        start: datetime | None,
        end: datetime | None,
    ) -> int:
        stored = self._preloaded(member_id, start)
        events = {
            row.event_id
            for row in self._added[member_id] + (stored or [])
            if row.rule_id == rule_id and row.points > 0 and _within(row.occurred_at, start, end)
        }
        count = len(events)
        if stored is None and self.connection is not None:
            count += sql.times_awarded(
                self.connection, self.tenant_id, member_id, rule_id, start, end
            )
        return count

    def checked_in(self, member_id: uuid.UUID, day: date) -> bool:
        if day in self._checkins[member_id]:
            return True
        return self.connection is not None and sql.checkin_on(
            self.connection, self.tenant_id, member_id, day
        )

    def last_checkin(self, member_id: uuid.UUID, before: date) -> CheckinDay | None:
        known = [d for d in self._checkins[member_id] if d < before]
        latest = CheckinDay(max(known), self._checkins[member_id][max(known)]) if known else None
        if self.connection is not None:
            stored = sql.last_checkin(self.connection, self.tenant_id, member_id, before)
            if stored is not None and (latest is None or stored.day > latest.day):
                latest = stored
        return latest

    def add(self, rows: list[AwardRow]) -> None:
        for row in rows:
            self._added[row.member_id].append(row)

    def written(self) -> None:
        """The awards added so far are now stored: from here on they count as stored ones
        (in the database, and with those read ahead), not twice."""
        for member_id, rows in self._added.items():
            if member_id in self._stored:
                self._stored[member_id].extend(rows)
        self._added.clear()

    def add_checkin(self, member_id: uuid.UUID, day: date, streak: int) -> None:
        self._checkins[member_id][day] = streak
