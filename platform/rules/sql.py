"""Core statements of the earn engine; every one takes its tenant explicitly."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from jifen.ledger import PointsPolicy
from jifen.members import Checkin, Member, MemberTag, Referral, Tier
from jifen.rules.contract import CheckinDay
from jifen.rules.models import EarnRule, Event, EventAward, EventKind
from jifen.tenants import Tenant

_AWARDS = EventAward.__table__
_EVENTS = Event.__table__
_RULES = EarnRule.__table__
_MEMBERS = Member.__table__
_CHECKINS = Checkin.__table__
_REFERRALS = Referral.__table__


def _in_period(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    clauses = []
    if start is not None:
        clauses.append(column >= start)
    if end is not None:
        clauses.append(column < end)
    return clauses


def granted(
    connection: Connection,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    start: datetime | None,
    end: datetime | None,
    rule_ids: Sequence[uuid.UUID] | None,
    cap_scope: str | None,
) -> int:
    """Points the member's events were awarded in [start, end): by `rule_ids` and the
    caps limiting exactly them when given, else by every rule."""
    query = select(func.coalesce(func.sum(_AWARDS.c.points), 0)).where(
        _AWARDS.c.tenant_id == tenant_id,
        _AWARDS.c.member_id == member_id,
        *_in_period(_AWARDS.c.occurred_at, start, end),
    )
    if rule_ids:
        query = query.where(
            or_(_AWARDS.c.rule_id.in_(list(rule_ids)), _AWARDS.c.cap_scope == cap_scope)
        )
    return int(connection.execute(query).scalar_one())


def times_awarded(
    connection: Connection,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    rule_id: uuid.UUID,
    start: datetime | None,
    end: datetime | None,
) -> int:
    """How many of the member's events the rule gave points to in [start, end)."""
    query = select(func.count(func.distinct(_AWARDS.c.event_id))).where(
        _AWARDS.c.tenant_id == tenant_id,
        _AWARDS.c.member_id == member_id,
        _AWARDS.c.rule_id == rule_id,
        _AWARDS.c.points > 0,
        *_in_period(_AWARDS.c.occurred_at, start, end),
    )
    return int(connection.execute(query).scalar_one())


_AWARDS_SINCE = select(
    _AWARDS.c.event_id,
    _AWARDS.c.member_id,
    _AWARDS.c.rule_id,
    _AWARDS.c.points,
    _AWARDS.c.cap_scope,
    _AWARDS.c.occurred_at,
).where(
    _AWARDS.c.tenant_id == bindparam("tenant_id"),
    _AWARDS.c.member_id.in_(bindparam("ids", expanding=True)),
    _AWARDS.c.occurred_at >= bindparam("since"),
)


def awards_since(
    connection: Connection,
    tenant_id: uuid.UUID,
    member_ids: Sequence[uuid.UUID],
    since: datetime,
) -> list[Any]:
    """Every award of these members that occurred at or after `since`."""
    rows: list[Any] = []
    ids = list(member_ids)
    for start in range(0, len(ids), 1000):
        chunk = {"tenant_id": tenant_id, "ids": ids[start : start + 1000], "since": since}
        rows.extend(connection.execute(_AWARDS_SINCE, chunk))
    return rows


def checkin_on(
    connection: Connection, tenant_id: uuid.UUID, member_id: uuid.UUID, day: date
) -> bool:
    query = select(_CHECKINS.c.day).where(
        _CHECKINS.c.tenant_id == tenant_id,
        _CHECKINS.c.member_id == member_id,
        _CHECKINS.c.day == day,
    )
    return connection.execute(query).first() is not None


def last_checkin(
    connection: Connection, tenant_id: uuid.UUID, member_id: uuid.UUID, before: date
) -> CheckinDay | None:
    row = connection.execute(
        select(_CHECKINS.c.day, _CHECKINS.c.streak)
        .where(
            _CHECKINS.c.tenant_id == tenant_id,
            _CHECKINS.c.member_id == member_id,
            _CHECKINS.c.day < before,
        )
        .order_by(_CHECKINS.c.day.desc())
        .limit(1)
    ).first()
    return None if row is None else CheckinDay(row.day, row.streak)


def rules(connection: Connection, tenant_id: uuid.UUID) -> list[Any]:
    return list(
        connection.execute(
            select(_RULES).where(_RULES.c.tenant_id == tenant_id, _RULES.c.status == "active")
        )
    )


def custom_kinds(connection: Connection, tenant_id: uuid.UUID) -> set[str]:
    table = EventKind.__table__
    return set(
        connection.execute(select(table.c.kind).where(table.c.tenant_id == tenant_id)).scalars()
    )


_TAGS = MemberTag.__table__
# A member's tags in one column; tags cannot hold control characters such as this one.
TAG_SEPARATOR = "\x1f"
_MEMBER_COLUMNS = (
    _MEMBERS.c.id,
    _MEMBERS.c.external_id,
    _MEMBERS.c.status,
    _MEMBERS.c.tier,
    _MEMBERS.c.birthday,
    _MEMBERS.c.created_at,
    select(func.aggregate_strings(_TAGS.c.tag, TAG_SEPARATOR))
    .where(_TAGS.c.tenant_id == _MEMBERS.c.tenant_id, _TAGS.c.member_id == _MEMBERS.c.id)
    .scalar_subquery()
    .label("tags"),
    # Who invited the member, while the invitation awaits its first purchase.
    select(_REFERRALS.c.inviter_id)
    .where(
        _REFERRALS.c.tenant_id == _MEMBERS.c.tenant_id,
        _REFERRALS.c.invitee_id == _MEMBERS.c.id,
        _REFERRALS.c.first_purchase_at.is_(None),
    )
    .scalar_subquery()
    .label("referrer"),
)
_MEMBERS_BY = {
    name: select(*_MEMBER_COLUMNS).where(
        _MEMBERS.c.tenant_id == bindparam("tenant_id"),
        column.in_(bindparam("values", expanding=True)),
    )
    for name, column in (("id", _MEMBERS.c.id), ("external_id", _MEMBERS.c.external_id))
}


def members(
    connection: Connection,
    tenant_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    external_ids: Sequence[str],
) -> list[Any]:
    """The members named by our id or the merchant's, as rules see them, with their
    tags joined by TAG_SEPARATOR."""
    found: list[Any] = []
    for name, values in (("id", ids), ("external_id", external_ids)):
        if values:
            found.extend(
                connection.execute(
                    _MEMBERS_BY[name], {"tenant_id": tenant_id, "values": list(values)}
                )
            )
    return found


_EVENTS_BY_KEY = select(
    _EVENTS.c.id, _EVENTS.c.kind, _EVENTS.c.event_id, _EVENTS.c.request_hash, _EVENTS.c.result
).where(
    _EVENTS.c.tenant_id == bindparam("tenant_id"),
    _EVENTS.c.kind.in_(bindparam("kinds", expanding=True)),
    _EVENTS.c.event_id.in_(bindparam("ids", expanding=True)),
)
# Ids per query: PostgreSQL refuses very long IN lists of (kind, id) pairs ("stack depth
# limit exceeded"), so a batch asks by kinds and ids in chunks and matches pairs here.
# Naming the kinds lets both engines search the unique index (tenant, kind, event id)
# instead of reading every event of the tenant.
KEY_CHUNK = 1000


def events_by_key(
    connection: Connection, tenant_id: uuid.UUID, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    """Stored events by (kind, event id)."""
    wanted = set(keys)
    kinds = sorted({kind for kind, _ in wanted})
    ids = sorted({event_id for _, event_id in wanted})
    found = {}
    for start in range(0, len(ids), KEY_CHUNK):
        chunk = {"tenant_id": tenant_id, "kinds": kinds, "ids": ids[start : start + KEY_CHUNK]}
        for row in connection.execute(_EVENTS_BY_KEY, chunk):
            if (row.kind, row.event_id) in wanted:
                found[(row.kind, row.event_id)] = row
    return found


def event_by_id(connection: Connection, tenant_id: uuid.UUID, event_id: uuid.UUID) -> Any:
    return connection.execute(
        select(_EVENTS).where(_EVENTS.c.tenant_id == tenant_id, _EVENTS.c.id == event_id)
    ).first()


def events_following(connection: Connection, event: Any) -> list[Any]:
    """The events recorded because of `event`, oldest first: a purchase's refunds and the
    referral stage its being a referred member's first purchase reached (recorded with
    it); a referral's later stage (the first purchase, which pays the inviter)."""
    if event.kind == "purchase":
        caused = ((_EVENTS.c.kind == "refund") & (_EVENTS.c.order_id == event.order_id)) | (
            (_EVENTS.c.kind == "referral")
            & (_EVENTS.c.event_id == f"first_purchase:{event.member_id}")
            & (_EVENTS.c.received_at == event.received_at)
        )
    elif event.kind == "referral" and event.data.get("stage") == "registered":
        caused = (
            (_EVENTS.c.kind == "referral")
            & (_EVENTS.c.member_id == event.member_id)
            & (_EVENTS.c.id != event.id)
        )
    else:
        return []
    query = (
        select(_EVENTS)
        .where(_EVENTS.c.tenant_id == event.tenant_id, caused)
        .order_by(_EVENTS.c.received_at, _EVENTS.c.id)
    )
    return list(connection.execute(query))


def purchase(connection: Connection, tenant_id: uuid.UUID, order_id: str) -> Any:
    return connection.execute(
        select(_EVENTS).where(
            _EVENTS.c.tenant_id == tenant_id,
            _EVENTS.c.kind == "purchase",
            _EVENTS.c.event_id == order_id,
        )
    ).first()


def refunded(connection: Connection, tenant_id: uuid.UUID, order_id: str) -> tuple[int, int]:
    """Money and points earlier refunds of the order returned (both as positives)."""
    row = connection.execute(
        select(
            func.coalesce(func.sum(_EVENTS.c.amount), 0),
            func.coalesce(func.sum(_EVENTS.c.points), 0),
        ).where(
            _EVENTS.c.tenant_id == tenant_id,
            _EVENTS.c.kind == "refund",
            _EVENTS.c.order_id == order_id,
        )
    ).one()
    return -int(row[0]), -int(row[1])


def referral_of(connection: Connection, tenant_id: uuid.UUID, invitee_id: uuid.UUID) -> Any:
    return connection.execute(
        select(_REFERRALS).where(
            _REFERRALS.c.tenant_id == tenant_id, _REFERRALS.c.invitee_id == invitee_id
        )
    ).first()


def insert_rows(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(table), rows)


def reach_first_purchase(
    connection: Connection, tenant_id: uuid.UUID, invitee_id: uuid.UUID, at: datetime
) -> None:
    connection.execute(
        update(_REFERRALS)
        .where(and_(_REFERRALS.c.tenant_id == tenant_id, _REFERRALS.c.invitee_id == invitee_id))
        .values(first_purchase_at=at)
    )


def events_between(
    connection: Connection, tenant_id: uuid.UUID, start: datetime, end: datetime, limit: int
) -> list[Any]:
    """The tenant's events that occurred in [start, end), oldest first (a backtest)."""
    return list(
        connection.execute(
            select(_EVENTS)
            .where(
                _EVENTS.c.tenant_id == tenant_id,
                _EVENTS.c.occurred_at >= start,
                _EVENTS.c.occurred_at < end,
            )
            .order_by(_EVENTS.c.occurred_at, _EVENTS.c.id)
            .limit(limit)
        )
    )


def _stamp(table: Any, column: Any) -> Any:
    return (
        select(func.count().label("n"), func.coalesce(func.sum(column), 0).label("v"))
        .where(table.c.tenant_id == bindparam("tenant_id"))
        .subquery()
    )


_TENANTS = Tenant.__table__
_POLICIES = PointsPolicy.__table__
_RULES_STAMP = _stamp(_RULES, _RULES.c.version)
_TIERS_STAMP = _stamp(Tier.__table__, Tier.__table__.c.version)
_PROGRAM = (
    select(
        _TENANTS.c.timezone,
        _TENANTS.c.currency,
        *(c.label(f"policy_{c.name}") for c in _POLICIES.c),
        _RULES_STAMP.c.n.label("rules_n"),
        _RULES_STAMP.c.v.label("rules_v"),
        _TIERS_STAMP.c.n.label("tiers_n"),
        _TIERS_STAMP.c.v.label("tiers_v"),
    )
    .select_from(_TENANTS)
    .outerjoin(_POLICIES, _POLICIES.c.tenant_id == _TENANTS.c.id)
    .join(_RULES_STAMP, true())
    .join(_TIERS_STAMP, true())
    .where(_TENANTS.c.id == bindparam("tenant_id"))
)


def program_row(connection: Connection, tenant_id: uuid.UUID) -> Any:
    """In one query: the tenant's time zone and currency, its points policy's columns
    (`policy_tenant_id` is None when it has none), and stamps of its rules and tiers that
    change with every change of them (their count and the sum of their versions; tiers
    share one version per ladder, so theirs is the sum of equal versions)."""
    return connection.execute(_PROGRAM, {"tenant_id": tenant_id}).one()


def refunded_lines(connection: Connection, tenant_id: uuid.UUID, order_id: str) -> dict[int, int]:
    """Money earlier refunds of the order returned per line index (refunds by line only)."""
    rows = connection.execute(
        select(_EVENTS.c.data).where(
            _EVENTS.c.tenant_id == tenant_id,
            _EVENTS.c.kind == "refund",
            _EVENTS.c.order_id == order_id,
        )
    ).scalars()
    back: dict[int, int] = {}
    for data in rows:
        for line in (data or {}).get("lines") or ():
            back[int(line["index"])] = back.get(int(line["index"]), 0) + int(line["amount"])
    return back
