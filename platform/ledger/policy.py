"""A tenant's points policy: when points expire, reminders, shortfalls, transfers, holds.

Expiry is counted in the tenant's local days: points expire at the end of a local day
(stored as the next local midnight, in UTC), so "expires on 31 December" means what a
member in Shanghai reads it to mean.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import writing_for
from jifen.errors import ValidationFailed
from jifen.field_messages import one_of
from jifen.i18n import N_, Message
from jifen.ledger import sql
from jifen.types import MAX_SAFE_INTEGER

EXPIRY_KINDS = ("none", "rolling", "calendar")
SHORTFALLS = ("debt", "absorb")
UNKNOWN_MEMBERS = ("reject", "create")


@dataclass(frozen=True)
class Policy:
    expiry: str = "none"
    rolling_months: int | None = None
    clear_month: int | None = None
    clear_day: int | None = None
    cutoff_month: int | None = None
    cutoff_day: int | None = None
    clear_years: int | None = None
    notice_days: tuple[int, ...] = (30, 7)
    shortfall: str = "debt"
    transfers_enabled: bool = False
    transfer_max: int | None = None
    transfer_daily_max: int | None = None
    hold_minutes: int = 30
    unknown_members: str = "reject"
    timezone: str = "Asia/Shanghai"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def start_of_local_day(self, day: date) -> datetime:
        return datetime.combine(day, time(), self.zone)

    def end_of_local_day(self, day: date) -> datetime:
        """The instant a local day ends (the next local midnight)."""
        return datetime.combine(day + timedelta(days=1), time(), self.zone)

    def expiry_for(self, earned_at: datetime) -> datetime | None:
        """When points earned at `earned_at` expire under this policy (None: never)."""
        if self.expiry == "none":
            return None
        earned = self.local_day(earned_at)
        if self.expiry == "rolling":
            assert self.rolling_months is not None
            return self.end_of_local_day(earned + relativedelta(months=self.rolling_months))
        assert self.clear_month and self.clear_day and self.clear_years
        cutoff = _day(earned.year, *self.cutoff())
        year = earned.year + self.clear_years - 1 + (1 if earned > cutoff else 0)
        return self.end_of_local_day(_day(year, self.clear_month, self.clear_day))

    def cutoff(self) -> tuple[int, int]:
        """The calendar policy's cut-off (month, day): the clear date unless set; a
        cut-off month without a day means the end of that month."""
        assert self.clear_month and self.clear_day
        if self.cutoff_month is None:
            return self.clear_month, self.cutoff_day or self.clear_day
        return self.cutoff_month, self.cutoff_day or 31


def _day(year: int, month: int, day: int) -> date:
    """A date, with the day clamped to the month (29 February in other years: the 28th)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


_FIELDS = tuple(f.name for f in fields(Policy) if f.name != "timezone")


def load(connection: Connection, tenant_id: uuid.UUID) -> Policy:
    """The tenant's policy (the defaults until it sets one)."""
    return from_row(*sql.policy_row(connection, tenant_id))


def from_row(timezone: str, row: Any) -> Policy:
    """A policy from the tenant's time zone and its `points_policies` row (or None)."""
    if row is None:
        return Policy(timezone=timezone)
    values = {name: row[name] for name in _FIELDS}
    values["notice_days"] = tuple(values["notice_days"] or ())
    return Policy(**values, timezone=timezone)


def policy_of(session: Session, tenant_id: uuid.UUID) -> Policy:
    return load(session.connection(), tenant_id)


def set_policy(
    session: Session,
    tenant_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    actor: Actor,
    clock: Clock,
) -> Policy:
    """Change some of the tenant's policy; the result is validated as a whole."""
    connection = writing_for(session, tenant_id)
    before = load(connection, tenant_id)
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise ValidationFailed(
            details={name: [Message(N_("Unknown field."))] for name in sorted(unknown)}
        )
    if isinstance(changes.get("notice_days"), list | tuple):
        changes = {**changes, "notice_days": tuple(changes["notice_days"])}
    after = replace(before, **changes)
    validate(after)
    row = {name: getattr(after, name) for name in _FIELDS}
    row["notice_days"] = list(after.notice_days)
    now = clock.now()
    exists = sql.policy_row(connection, tenant_id)[1] is not None
    sql.save_policy(connection, tenant_id, {**row, "updated_at": now}, exists=exists)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="points_policy.update",
        object_type="points_policy",
        object_id=tenant_id,
        before=_public(before),
        after=_public(after),
        now=now,
    )
    return after


def _public(policy: Policy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in _FIELDS} | {
        "notice_days": list(policy.notice_days)
    }


def validate(policy: Policy) -> None:
    errors: dict[str, list[str]] = {}

    def check(name: str, ok: bool, message: str) -> None:
        if not ok:
            errors.setdefault(name, []).append(message)

    def in_range(name: str, low: int, high: int, *, required: bool) -> None:
        value = getattr(policy, name)
        if value is None:
            check(name, not required, N_("Required by this expiry policy."))
        else:
            ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            bounds = {"low": low, "high": high}
            check(name, ok, Message(N_("Must be a whole number from %(low)s to %(high)s."), bounds))

    check(
        "unknown_members",
        policy.unknown_members in UNKNOWN_MEMBERS,
        one_of(UNKNOWN_MEMBERS),
    )
    check("expiry", policy.expiry in EXPIRY_KINDS, one_of(EXPIRY_KINDS))
    in_range("rolling_months", 1, 120, required=policy.expiry == "rolling")
    calendar_policy = policy.expiry == "calendar"
    in_range("clear_month", 1, 12, required=calendar_policy)
    in_range("clear_day", 1, 31, required=calendar_policy)
    in_range("cutoff_month", 1, 12, required=False)
    in_range("cutoff_day", 1, 31, required=False)
    in_range("clear_years", 1, 10, required=calendar_policy)
    for month, day in (("clear_month", "clear_day"), ("cutoff_month", "cutoff_day")):
        m, d = getattr(policy, month), getattr(policy, day)
        if isinstance(m, int) and isinstance(d, int) and 1 <= m <= 12:
            check(day, d <= calendar.monthrange(2000, m)[1], N_("No such day in that month."))
    if calendar_policy and policy.clear_years == 1 and not errors:
        # Points earned after the clear date but by the cut-off would expire before
        # they were earned.
        assert policy.clear_month and policy.clear_day  # required, and no errors
        clear = _day(2000, policy.clear_month, policy.clear_day)
        check(
            "cutoff_month",
            _day(2000, *policy.cutoff()) <= clear,
            N_("With clear_years 1 the cut-off cannot fall after the clear date."),
        )
    check(
        "notice_days",
        isinstance(policy.notice_days, tuple)
        and len(policy.notice_days) <= 5
        and all(isinstance(d, int) and 1 <= d <= 365 for d in policy.notice_days),
        N_("Up to 5 whole numbers of days, from 1 to 365."),
    )
    check("shortfall", policy.shortfall in SHORTFALLS, one_of(SHORTFALLS))
    check("transfers_enabled", isinstance(policy.transfers_enabled, bool), N_("true or false."))
    in_range("transfer_max", 1, MAX_SAFE_INTEGER, required=False)
    in_range("transfer_daily_max", 1, MAX_SAFE_INTEGER, required=False)
    in_range("hold_minutes", 1, 7 * 24 * 60, required=True)
    if errors:
        raise ValidationFailed(details=errors)
