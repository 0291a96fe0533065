"""Core statements of the earn engine; every one takes its tenant explicitly."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, tuple_, update

from jifen.members.models import Checkin, Member, MemberTag, Referral, Tier
from jifen.rules.models import EarnRule, Event, EventAward, EventKind
from jifen.rules.types import CheckinDay
from jifen.tenants.models import Tenant

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


def rules(
    connection: Connection, tenant_id: uuid.UUID, *, statuses: Sequence[str] = ("active",)
) -> list[Any]:
    return list(
        connection.execute(
            select(_RULES).where(_RULES.c.tenant_id == tenant_id, _RULES.c.status.in_(statuses))
        )
    )


def custom_kinds(connection: Connection, tenant_id: uuid.UUID) -> set[str]:
    table = EventKind.__table__
    return set(
        connection.execute(select(table.c.kind).where(table.c.tenant_id == tenant_id)).scalars()
    )


_MEMBER_COLUMNS = (
    _MEMBERS.c.id,
    _MEMBERS.c.external_id,
    _MEMBERS.c.status,
    _MEMBERS.c.tier,
    _MEMBERS.c.birthday,
    _MEMBERS.c.created_at,
)


def members(
    connection: Connection,
    tenant_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    external_ids: Sequence[str],
) -> list[Any]:
    """The members named by our id or the merchant's, as rules see them."""
    found: list[Any] = []
    for column, values in ((_MEMBERS.c.id, ids), (_MEMBERS.c.external_id, external_ids)):
        if values:
            found.extend(
                connection.execute(
                    select(*_MEMBER_COLUMNS).where(
                        _MEMBERS.c.tenant_id == tenant_id,
                        column.in_(bindparam("values", expanding=True)),
                    ),
                    {"values": list(values)},
                )
            )
    return found


def tags_of(
    connection: Connection, tenant_id: uuid.UUID, member_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    table = MemberTag.__table__
    tags: dict[uuid.UUID, set[str]] = {}
    rows = connection.execute(
        select(table.c.member_id, table.c.tag).where(
            table.c.tenant_id == tenant_id,
            table.c.member_id.in_(bindparam("ids", expanding=True)),
        ),
        {"ids": list(member_ids)},
    )
    for member_id, tag in rows:
        tags.setdefault(member_id, set()).add(tag)
    return tags


def tiers(connection: Connection, tenant_id: uuid.UUID) -> list[Any]:
    table = Tier.__table__
    return list(
        connection.execute(
            select(table).where(table.c.tenant_id == tenant_id).order_by(table.c.rank)
        )
    )


def events_by_key(
    connection: Connection, tenant_id: uuid.UUID, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    """Stored events by (kind, event id)."""
    if not keys:
        return {}
    rows = connection.execute(
        select(_EVENTS.c.kind, _EVENTS.c.event_id, _EVENTS.c.request_hash, _EVENTS.c.result).where(
            _EVENTS.c.tenant_id == tenant_id,
            tuple_(_EVENTS.c.kind, _EVENTS.c.event_id).in_(list(keys)),
        )
    )
    return {(row.kind, row.event_id): row for row in rows}


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


def awards_of(connection: Connection, tenant_id: uuid.UUID, event_id: uuid.UUID) -> list[Any]:
    return list(
        connection.execute(
            select(_AWARDS)
            .where(_AWARDS.c.tenant_id == tenant_id, _AWARDS.c.event_id == event_id)
            .order_by(_AWARDS.c.seq)
        )
    )


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


def tenant_currency(connection: Connection, tenant_id: uuid.UUID) -> str:
    table = Tenant.__table__
    return connection.execute(select(table.c.currency).where(table.c.id == tenant_id)).scalar_one()
