"""What members and merchants read: a member's points, their history (积分明细) with a
running total, what expires when, and the tenant's outstanding liability."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session, outerjoin

from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.errors import NotFound
from jifen.ledger import memos, sql
from jifen.ledger import policy as policies
from jifen.ledger.models import WALLET, Account, Entry, Hold, Lot, Posting
from jifen.members import Member
from jifen.pagination import decode_cursor, page_of

MAX_PAGE = 200
UPCOMING = 3  # expiry dates shown in a member's summary


@dataclass(frozen=True)
class Expiring:
    last_day: date  # the tenant-local day the points can last be used
    expires_at: datetime
    points: int


@dataclass(frozen=True)
class PointsSummary:
    member_id: uuid.UUID
    balance: int  # available now
    held: int
    pending: int
    debt: int
    expiring: list[Expiring]  # the next expiry dates, soonest first


@dataclass(frozen=True)
class Glance:
    balance: int  # available now
    expiring: list[Expiring]  # the next expiry date, if any


@dataclass(frozen=True)
class HistoryLine:
    entry_id: uuid.UUID
    kind: str
    amount: int
    running_total: int  # balance + held - debt after this line
    reference: str | None
    memo: str | None
    reverses_entry_id: uuid.UUID | None
    created_at: datetime


@dataclass(frozen=True)
class Liability:
    outstanding: int  # available points members hold
    held: int
    pending: int
    debt: int  # owed now: incurred_debt - repaid_debt
    # Clawed-back points that members had already spent, since the merchant began: owed
    # (of which later credits have repaid repaid_debt), or carried by the merchant.
    incurred_debt: int
    repaid_debt: int
    absorbed: int
    expiring_30_days: int
    expiring_90_days: int
    members_with_points: int


def _wallet(session: Session, member_id: uuid.UUID) -> Any:
    row = session.execute(
        select(Member.id, Account.id, Account.balance, Account.held, Account.debt)
        .outerjoin(
            Account,
            (Account.tenant_id == Member.tenant_id) & (Account.member_id == Member.id),
        )
        .where(Member.id == member_id)
    ).first()
    if row is None:
        raise NotFound("member", member_id)
    return row


def _lapsed(now: datetime) -> Any:
    """Per wallet, its available points past their expiry that the sweep has not reached
    yet: no one can spend them (spending expires them first), so no read counts them."""
    return (
        select(Lot.account_id, func.sum(Lot.remaining - Lot.held).label("points"))
        .where(Lot.expires_at <= now, Lot.remaining > Lot.held)
        .group_by(Lot.account_id)
        .subquery()
    )


def wallets_now(
    session: Session, member_ids: list[uuid.UUID], *, clock: Clock
) -> dict[uuid.UUID, tuple[int, int, int]]:
    """The members' wallets now, as (balance, held, debt): the balance less points past
    their expiry that the sweep has not reached yet."""
    lapsed = _lapsed(clock.now())
    rows = session.execute(
        select(
            Account.member_id,
            Account.balance - func.coalesce(lapsed.c.points, 0),
            Account.held,
            Account.debt,
        )
        .outerjoin(lapsed, lapsed.c.account_id == Account.id)
        .where(Account.kind == WALLET, Account.member_id.in_(member_ids))
    )
    # A wallet always has its member (only system accounts have none).
    return {
        cast("uuid.UUID", member_id): (int(balance), held, debt)
        for member_id, balance, held, debt in rows
    }


def summary(
    session: Session, member_id: uuid.UUID, *, clock: Clock, upcoming: int | None = UPCOMING
) -> PointsSummary:
    """A member's points now: available, held, pending, debt, and what expires on the next
    `upcoming` dates (on every one for None).

    Points past their expiry that the sweep has not reached yet are not counted as
    available: the member could not spend them.
    """
    now = clock.now()
    _, account_id, balance, held, debt = _wallet(session, member_id)
    if account_id is None:
        return PointsSummary(member_id, 0, 0, 0, 0, [])
    lapsed = _lapsed(now)
    lapsed_points = session.scalar(
        select(func.coalesce(func.sum(lapsed.c.points), 0)).where(lapsed.c.account_id == account_id)
    )
    pending = session.execute(
        select(func.coalesce(func.sum(Hold.amount), 0)).where(
            Hold.account_id == account_id, Hold.kind == "pending", Hold.status == "open"
        )
    ).scalar_one()
    policy = policies.policy_of(session, tenant_of(session))
    dates = _expiry_dates(Lot.account_id == account_id, now)
    expiring = _expiring(
        session.execute(dates if upcoming is None else dates.limit(upcoming)), policy.zone
    )
    return PointsSummary(member_id, balance - lapsed_points, held, int(pending), debt, expiring)


def glance(session: Session, member_id: uuid.UUID, *, clock: Clock, timezone: str) -> Glance:
    """What a page shows of a member's points at a glance, in one statement: what they
    can spend now and their next expiry, its day in the tenant's `timezone` (which the
    caller has read already). `summary` has the rest."""
    now = clock.now()
    row = sql.glance(session.connection(), tenant_of(session), member_id, now)
    if row is None:
        return Glance(0, [])
    expiring = (
        []
        if row.next_at is None
        else _expiring([(row.next_at, row.next_points)], ZoneInfo(timezone))
    )
    return Glance(int(row.balance), expiring)


def _expiry_dates(wallet: ColumnElement[bool], now: datetime) -> Select[datetime | None, int]:
    """The dates the wallet's available points expire on after `now`, soonest first, each
    with its points."""
    return (
        select(Lot.expires_at, func.sum(Lot.remaining - Lot.held))
        .where(wallet, Lot.expires_at > now, Lot.remaining > Lot.held)
        .group_by(Lot.expires_at)
        .order_by(Lot.expires_at)
    )


def _expiring(rows: Iterable[tuple[datetime, int]], zone: ZoneInfo) -> list[Expiring]:
    # Only lots expiring after now: expires_at is never NULL here. Points expiring at
    # midnight can last be used the local day before.
    return [
        Expiring((at - timedelta(microseconds=1)).astimezone(zone).date(), at, int(points))
        for at, points in rows
    ]


def page(
    session: Session,
    member_id: uuid.UUID,
    *,
    kinds: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[HistoryLine], str | None]:
    """A member's ledger lines, newest first, with the running total after each, and the
    next page's cursor."""
    _, account_id, *_ = _wallet(session, member_id)
    if account_id is None:
        return [], None
    query = (
        select(
            Posting.seq,
            Posting.entry_id,
            Entry.kind,
            Posting.amount,
            Posting.total_after,
            Entry.reference,
            Entry.memo,
            Entry.memo_message,
            Entry.reverses_entry_id,
            Posting.created_at,
        )
        .join(Entry, (Entry.tenant_id == Posting.tenant_id) & (Entry.id == Posting.entry_id))
        .where(Posting.account_id == account_id)
    )
    if kinds:
        query = query.where(Entry.kind.in_(kinds))
    if since is not None:
        query = query.where(Posting.created_at >= since)
    if until is not None:
        query = query.where(Posting.created_at < until)
    if cursor is not None:
        (after,) = decode_cursor(cursor, int)
        query = query.where(Posting.seq < after)
    limit = max(1, min(limit, MAX_PAGE))
    rows, next_cursor = page_of(
        list(session.execute(query.order_by(Posting.seq.desc()).limit(limit + 1))),
        limit,
        lambda row: (row.seq,),
    )
    lines = [
        HistoryLine(
            entry_id=row.entry_id,
            kind=row.kind,
            amount=row.amount,
            running_total=row.total_after,
            reference=row.reference,
            memo=memos.of(row._mapping),
            reverses_entry_id=row.reverses_entry_id,
            created_at=row.created_at,
        )
        for row in rows
    ]
    return lines, next_cursor


def liability(session: Session, *, clock: Clock) -> Liability:
    """The tenant's outstanding points: what its members hold, hold back, are owed
    (pending), owe (debt), and what will expire within 30 and 90 days; and where the
    points of its clawbacks that members had spent went (owed, repaid, absorbed). Points
    past their expiry are left out, even before the sweep has expired them."""
    now = clock.now()
    lapsed = _lapsed(now)
    available = Account.balance - func.coalesce(lapsed.c.points, 0)
    has_points = case((available + Account.held > 0, 1), else_=0)
    # One pass over the wallets, with each one's lapsed points.
    outstanding, held, debt, members = sql.exact_sums(
        session,
        [available, Account.held, Account.debt, has_points],
        Account.kind == WALLET,
        from_=outerjoin(Account, lapsed, lapsed.c.account_id == Account.id),
    )
    (pending,) = sql.exact_sums(
        session, [Hold.amount], Hold.kind == "pending", Hold.status == "open"
    )
    incurred, absorbed = _shortfalls(session)

    def expiring(days: int) -> int:
        (points,) = sql.exact_sums(
            session,
            [Lot.remaining],
            Lot.expires_at > now,
            Lot.expires_at <= now + timedelta(days=days),
            Lot.remaining > 0,
        )
        return points

    return Liability(
        outstanding=outstanding,
        held=held,
        pending=pending,
        debt=debt,
        incurred_debt=incurred,
        # Debt grows only by clawbacks and shrinks only as credits repay it: what was
        # incurred and is no longer owed has been repaid.
        repaid_debt=incurred - debt,
        absorbed=absorbed,
        expiring_30_days=expiring(30),
        expiring_90_days=expiring(90),
        members_with_points=members,
    )


def _shortfalls(session: Session) -> tuple[int, int]:
    """The points the tenant's clawbacks found spent, as their entries record them: made
    the members' debt, and absorbed by the tenant."""

    def recorded(key: str) -> ColumnElement[int]:
        text: ColumnElement[str] = Entry.data[key].as_string()
        return text.cast(BigInteger)

    incurred, absorbed = sql.exact_sums(
        session,
        [recorded("debt"), recorded("absorbed")],
        Entry.kind == "clawback",
        # Every clawback reverses an entry: that index finds them among all the entries.
        Entry.reverses_entry_id.is_not(None),
    )
    return incurred, absorbed
